#!/usr/bin/env bash
# The run directory is trusted only when it is this user's and no one
# else can write to it (as ssh-agent and tmux): ulvmd refuses to start in
# one that another user owns or that is group/world writable, ulvm refuses
# to talk to a control.sock there or one owned by another user, and
# --listen warns that TCP has no TLS.
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" -eq 0 ] || skip "needs root to make directories of another user"
NOBODY=$(id -u nobody)
step() { echo "== $*"; }
refused_daemon() { # DIR PATTERN
	if "$ULVMD_BIN" --run-dir "$1" >"$T/d.log" 2>&1; then fail "ulvmd started in $1"; fi
	grep -q -- "$2" "$T/d.log" || { cat "$T/d.log"; fail "ulvmd in $1: no \"$2\""; }
	[ ! -e "$1/control.sock" ] || fail "ulvmd left a control.sock in $1"
	echo "ulvmd refused $1: $(grep -m1 -- "$2" "$T/d.log")"
}

step "ulvmd refuses a run dir of another user, or one others may write to"
mkdir -m 700 "$T/theirs" && chown nobody "$T/theirs"
refused_daemon "$T/theirs" "owned by uid $NOBODY"
mkdir -m 777 "$T/open"
refused_daemon "$T/open" "others may write"
mkdir -m 770 "$T/group"
refused_daemon "$T/group" "others may write"

step "ulvm refuses a control.sock in such a dir, or one another user made"
start_ulvmd
ulvm dmsetup create z --table "0 8 zero"
ulvm dmsetup ls | grep -q '^z' || fail "no device z"
chmod 777 "$RUN"
if ulvm dmsetup ls >"$T/o" 2>&1; then fail "ulvm talked to a daemon in a world-writable dir"; fi
grep -q "others may write" "$T/o" || { cat "$T/o"; fail "no reason given"; }
chmod 700 "$RUN"
# another user's socket in a dir of ours (one they swapped in earlier)
mkdir -m 700 "$T/swap"
python3 -c "import socket; s = socket.socket(socket.AF_UNIX); s.bind('$T/swap/control.sock')"
chown nobody "$T/swap/control.sock"
if ULVM_RUN_DIR=$T/swap ulvm dmsetup ls >"$T/o" 2>&1; then fail "ulvm talked to another user's socket"; fi
grep -q "owned by uid $NOBODY" "$T/o" || { cat "$T/o"; fail "no reason given for the foreign socket"; }
ulvm dmsetup remove z
stop_ulvmd

step "--listen says TCP has no TLS"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start_ulvmd --listen "127.0.0.1:$port"
grep -q "no TLS" "$T/ulvmd.log" || { cat "$T/ulvmd.log"; fail "no warning about TCP without TLS"; }
stop_ulvmd
echo "rundir-safety: ok"
