#!/usr/bin/env bash
# `ulvm dmsetup` against a live ulvmd: the output of every verb (as
# dmsetup 1.02 prints it), the error cases, the control protocol's
# answers to bad requests, and a clean SIGTERM (exit 0, sockets gone).
#   ULVM_BUILD  build dir with src/daemon/ulvmd and src/cli/ulvm
#               (default: build-san at the top of the tree)
# Exit 0 pass, 1 fail, 77 skip.
set -eu

top=$(cd "$(dirname "$0")/../.." && pwd)
ULVM_BUILD=${ULVM_BUILD:-$top/build-san}
ULVMD=$ULVM_BUILD/src/daemon/ulvmd
ULVM=$ULVM_BUILD/src/cli/ulvm

skip() { echo "skipped: $*"; exit 77; }
[ -x "$ULVMD" ] && [ -x "$ULVM" ] || skip "no ulvmd and ulvm in $ULVM_BUILD"
for t in python3 truncate realpath; do
	command -v "$t" >/dev/null || skip "$t is not installed"
done

T=$(realpath "$(mktemp -d /tmp/ulvm-dmsetup.XXXXXX)")
RUN=$T/run
PID=
HOLDER=

fail() { echo "FAIL: $*" >&2; exit 1; }

# Stop what we started, by PID: the daemon with SIGTERM, which must make
# it exit 0 and remove its sockets and pid file.
finish() {
	local rc=$? drc=0
	set +e
	if [ -n "$HOLDER" ]; then
		rm -f "$T/hold"
		wait "$HOLDER" 2>/dev/null
	fi
	if [ -n "$PID" ]; then
		kill -TERM "$PID"
		for _ in $(seq 100); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
		if kill -0 "$PID" 2>/dev/null; then
			echo "FAIL: ulvmd did not stop on SIGTERM" >&2
			kill -KILL "$PID"
			rc=1
		fi
		wait "$PID"
		drc=$?
		if [ "$drc" -ne 0 ]; then
			echo "FAIL: ulvmd exited with $drc on SIGTERM" >&2
			rc=1
		fi
		for f in control.sock nbd.sock ulvmd.pid; do
			if [ -e "$RUN/$f" ]; then
				echo "FAIL: $RUN/$f left behind" >&2
				rc=1
			fi
		done
		[ "$rc" -eq 0 ] || cat "$T/ulvmd.log" >&2
	fi
	rm -rf "$T"
	exit "$rc"
}
trap finish EXIT

dms() { "$ULVM" --run-dir "$RUN" dmsetup "$@"; }

# check NAME EXPECTED ACTUAL
check() {
	[ "$2" = "$3" ] && return 0
	printf 'FAIL: %s\n--- expected:\n%s\n--- got:\n%s\n' "$1" "$2" "$3" >&2
	exit 1
}

# must_fail STATUS PATTERN CMD...: CMD exits STATUS, its stderr matches PATTERN.
must_fail() {
	local want=$1 pat=$2 rc=0
	shift 2
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	[ "$rc" -eq "$want" ] || fail "'$*' exited $rc, not $want: $(cat "$T/err")"
	grep -q -- "$pat" "$T/err" || fail "'$*': stderr '$(cat "$T/err")' lacks '$pat'"
}

cd "$T"
truncate -s 64M disk1.img
truncate -s 64M disk2.img

# --- no daemon yet ---
must_fail 1 . dms ls
check "daemon not running" \
	"ulvm dmsetup: ulvmd is not running: cannot connect to $RUN/control.sock: No such file or directory" \
	"$(cat "$T/err")"

"$ULVMD" --run-dir "$RUN" >"$T/ulvmd.log" 2>&1 &
PID=$!
for _ in $(seq 100); do
	[ -S "$RUN/control.sock" ] && break
	kill -0 "$PID" 2>/dev/null || { cat "$T/ulvmd.log"; PID=; fail "ulvmd exited at start"; }
	sleep 0.1
done
[ -S "$RUN/control.sock" ] && [ -S "$RUN/nbd.sock" ] || fail "ulvmd made no sockets"
check "control.sock mode" "600" "$(stat -c %a "$RUN/control.sock")"
check "pid file" "$PID" "$(cat "$RUN/ulvmd.pid")"
must_fail 1 "another ulvmd (pid $PID) is running in $RUN" "$ULVMD" --run-dir "$RUN"

# --- an empty daemon ---
check "ls, none" "No devices found" "$(dms ls)"
check "table, none" "No devices found" "$(dms table)"
check "info, none" "No devices found" "$(dms info)"
dms version >"$T/out"
grep -qx 'Library version:   [0-9][0-9.]*' "$T/out" || fail "version: $(cat "$T/out")"
grep -qx 'Driver version:    [0-9][0-9.]*' "$T/out" || fail "version: $(cat "$T/out")"
dms targets >"$T/out"
grep -qx 'linear           v[0-9]*\.[0-9]*\.[0-9]*' "$T/out" || fail "targets: $(cat "$T/out")"
grep -qx 'striped          v[0-9]*\.[0-9]*\.[0-9]*' "$T/out" || fail "targets: $(cat "$T/out")"
grep -qvx '[a-z-]* *v[0-9]*\.[0-9]*\.[0-9]*' "$T/out" && fail "targets format: $(cat "$T/out")"

# --- create, every way a table comes in ---
echo "0 2048 linear ./disk1.img 2048" | dms create d1             # stdin, relative path
dms create s1 --table "0 8192 striped 2 128 ./disk1.img 8192 $T/disk2.img 0"
printf '0 100 zero\n# a comment\n100 100 error\n' >z.table
dms create z1 z.table                                             # table file
dms create n1 --notable
dms create r1 -r -u LVM-test-uuid --table $'0 64 linear ./disk2.img 0\n64 64 zero'

check "ls" "$(printf 'd1\t(254:0)\nn1\t(254:3)\nr1\t(254:4)\ns1\t(254:1)\nz1\t(254:2)')" "$(dms ls)"
check "ls --target" "$(printf 'd1\t(254, 0)\nr1\t(254, 4)')" "$(dms ls --target linear)"
check "table d1" "0 2048 linear $T/disk1.img 2048" "$(dms table d1)"
check "table z1" "$(printf '0 100 zero \n100 100 error ')" "$(dms table z1)"
check "table" "d1: 0 2048 linear $T/disk1.img 2048
n1: 
r1: 0 64 linear $T/disk2.img 0
r1: 64 64 zero 
s1: 0 8192 striped 2 128 $T/disk1.img 8192 $T/disk2.img 0
z1: 0 100 zero 
z1: 100 100 error " "$(dms table)"
check "table two names" "d1: 0 2048 linear $T/disk1.img 2048
z1: 0 100 zero 
z1: 100 100 error " "$(dms table d1 z1)"
check "table --target" "r1: 64 64 zero 
z1: 0 100 zero " "$(dms table --target zero)"
check "status d1" "0 2048 linear " "$(dms status d1)"
dms status s1 | grep -qx "0 8192 striped 2 $T/disk1.img $T/disk2.img 1 AA" ||
	fail "status s1: $(dms status s1)"
check "status n1 (no table)" "" "$(dms status n1)"

check "info d1" "Name:              d1
State:             ACTIVE
Read Ahead:        256
Tables present:    LIVE
Open count:        0
Event number:      $(dms info d1 | sed -n 's/^Event number: *//p')
Major, minor:      254, 0
Number of targets: 1" "$(dms info d1)"
check "info r1" "Name:              r1
State:             ACTIVE (READ-ONLY)" "$(dms info r1 | head -2)"
dms info r1 | grep -qx "UUID: LVM-test-uuid" || fail "info r1: no UUID line"
dms info r1 | grep -qx "Number of targets: 2" || fail "info r1: targets"
dms info n1 | grep -qx "Tables present:    None" || fail "info n1: $(dms info n1)"
check "info, a blank line after each" "2" "$(dms info d1 z1 | grep -c '^$')"
check "info -c" "Name             Maj Min Stat Open Targ Event  UUID                            
r1               254   4 L--r    0    2 $(printf '%6s' "$(dms info r1 | sed -n 's/^Event number: *//p')") LVM-test-uuid                   " \
	"$(dms info -c r1)"
check "info -C --noheadings" "1" "$(dms info -C --noheadings | grep -c '^n1  *254   3 ---w    0    0 ')"
check "info -c --separator" "n1:254:3:---w:0:0:0:" "$(dms info -c --noheadings --separator : n1)"

check "deps d1" "$(printf '1 dependencies\t: (%s/disk1.img)' "$T")" "$(dms deps d1)"
dms deps >"$T/out"
grep -qxF "$(printf 's1: 2 dependencies\t: (%s/disk1.img) (%s/disk2.img)' "$T" "$T")" "$T/out" ||
	fail "deps: $(cat "$T/out")"
grep -qxF "$(printf 'n1: 0 dependencies\t:')" "$T/out" || fail "deps n1: $(cat "$T/out")"

# --- the NBD side ---
if command -v nbdinfo >/dev/null; then
	check "nbd size" "1048576" "$(nbdinfo --size "nbd+unix:///d1?socket=$RUN/nbd.sock")"
	nbdinfo --list "nbd+unix://?socket=$RUN/nbd.sock" >"$T/out"
	grep -q 'export="s1"' "$T/out" || fail "nbd list: $(cat "$T/out")"
	grep -q 'export="n1"' "$T/out" && fail "a device without a table is exported"
else
	echo "note: nbdinfo is not installed; NBD checks left out"
fi

# --- suspend, load, resume, clear ---
dms suspend d1
dms info d1 | grep -qx "State:             SUSPENDED" || fail "suspend: $(dms info d1)"
dms load d1 --table "0 4096 linear ./disk1.img 0"
dms info d1 | grep -qx "Tables present:    LIVE & INACTIVE" || fail "load: $(dms info d1)"
check "table --inactive" "0 4096 linear $T/disk1.img 0" "$(dms table --inactive d1)"
check "table (live) while loaded" "0 2048 linear $T/disk1.img 2048" "$(dms table d1)"
dms resume d1
check "table after resume" "0 4096 linear $T/disk1.img 0" "$(dms table d1)"
dms info d1 | grep -qx "State:             ACTIVE" || fail "resume: $(dms info d1)"
dms info d1 | grep -qx "Tables present:    LIVE" || fail "resume: $(dms info d1)"
echo "0 10 zero" | dms reload d1
dms clear d1
dms info d1 | grep -qx "Tables present:    LIVE" || fail "clear: $(dms info d1)"
dms suspend --noflush --nolockfs d1 s1
dms resume d1 s1

# --- rename ---
dms rename s1 s2
check "ls after rename" "$(printf 's2\t(254:1)')" "$(dms ls | grep '^s')"
dms rename n1 --setuuid NEW-UUID
dms info n1 | grep -qx "UUID: NEW-UUID" || fail "setuuid: $(dms info n1)"
must_fail 1 "already has a uuid" dms rename n1 --setuuid OTHER
must_fail 1 "already exists" dms rename s2 d1
# a table over a renamed device names it by its new name (the kernel's
# major:minor does not change): read back and loaded again, it still maps
# that device, not one made since under the old name
echo "0 10 linear /dev/mapper/s2 0" | dms create up1
dms rename s2 s3
check "table after a lower rename" "0 10 linear /dev/mapper/s3 0" "$(dms table up1)"
check "deps after a lower rename" "1 dependencies	: (/dev/mapper/s3)" "$(dms deps up1)"
dms remove up1
dms rename s3 s2

# --- message ---
must_fail 1 "takes no messages" dms message z1 0 hello world
must_fail 2 "invalid sector" dms message z1 x hello

# --- error cases ---
must_fail 1 "bad: line 2: linear" dms create bad --table $'0 100 zero\n100 100 linear ./disk1.img x'
must_fail 1 "device bad not found" dms info bad
must_fail 1 "unknown target type 'nosuch'" dms create bad --table "0 100 nosuch"
must_fail 1 "bad: line 1: linear" dms create bad --table "0 100 linear ./missing.img 0"
dms ls | grep -q '^bad' && fail "a failed create left a device"
must_fail 1 "already exists" dms create d1 --table "0 1 zero"
must_fail 1 "device nope not found" dms remove nope
must_fail 1 "Couldn't open" dms create bad nosuchfile.table

dms create top --table "0 2048 linear /dev/mapper/d1 0"
check "deps top" "$(printf '1 dependencies\t: (/dev/mapper/d1)')" "$(dms deps top)"
must_fail 1 "in use" dms remove d1
dms remove top

# An open device (an NBD client holds it) is refused unless forced.  The
# client is a bare NBD handshake, so only python3 is needed.
touch "$T/hold"
python3 - "$RUN/nbd.sock" s2 "$T/hold" <<'EOF' &
import os, socket, struct, sys, time
sock, name, flag = sys.argv[1], sys.argv[2].encode(), sys.argv[3]
s = socket.socket(socket.AF_UNIX)
s.connect(sock)
def recv(n):
    b = b""
    while len(b) < n:
        c = s.recv(n - len(b))
        if not c:
            raise SystemExit("server closed")
        b += c
    return b
assert recv(16) == b"NBDMAGICIHAVEOPT"
recv(2)
s.sendall(struct.pack(">I", 3))  # fixed newstyle, no zeroes
data = struct.pack(">I", len(name)) + name + struct.pack(">H", 0)
s.sendall(b"IHAVEOPT" + struct.pack(">II", 7, len(data)) + data)  # NBD_OPT_GO
while True:
    magic, opt, typ, ln = struct.unpack(">QIII", recv(20))
    recv(ln)
    if typ == 1:  # NBD_REP_ACK: in transmission
        break
    if typ & 0x80000000:
        raise SystemExit("NBD_OPT_GO refused")
open(flag + ".open", "w").close()
for _ in range(300):
    if not os.path.exists(flag):
        break
    time.sleep(0.1)
s.sendall(struct.pack(">IHHQQI", 0x25609513, 0, 2, 0, 0, 0))  # NBD_CMD_DISC
s.close()
EOF
HOLDER=$!
for _ in $(seq 100); do [ -e "$T/hold.open" ] && break; sleep 0.1; done
[ -e "$T/hold.open" ] || fail "the NBD client did not connect"
dms info s2 | grep -qx "Open count:        1" || fail "open count: $(dms info s2)"
must_fail 1 "is open" dms remove s2
# remove_all leaves open devices, and says nothing.
check "remove_all" "" "$(dms remove_all 2>&1)"
check "left by remove_all" "$(printf 's2\t(254:1)')" "$(dms ls)"
dms remove -f s2
check "ls after remove -f" "No devices found" "$(dms ls)"
rm -f "$T/hold"
wait "$HOLDER" || true
HOLDER=

# --- usage errors (exit 2) and help ---
must_fail 2 "too few arguments" dms create
must_fail 2 "unknown verb 'frobnicate'" dms frobnicate
must_fail 2 "does not apply" dms ls --inactive
must_fail 2 "unknown option" dms ls --bogus
must_fail 2 "exclude each other" dms create x --notable --table "0 1 zero"
dms --help >"$T/out"
for v in create load reload clear suspend resume remove remove_all rename message table \
	status info ls deps targets version; do
	grep -q "^  $v" "$T/out" || fail "--help lacks $v"
done
# dmsetup's node and udev verbs: nothing to do here, and scripts that call them go on
dms mknodes && dms udevcomplete_all && dms udevcookies && dms udevcomplete 0x0 && dms udevreleasecookie ||
	fail "a node or udev verb failed"
dms create --help | grep -q -- "--table TABLE" || fail "create --help"
dms help remove | grep -q -- "--force" || fail "help remove"

# --- the control protocol: bad requests get errors, the daemon goes on ---
dms create p1 --table "0 8 zero"
python3 - "$RUN/control.sock" <<'EOF'
import json, socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rwb")
def ask(raw):
    f.write(raw + b"\n")
    f.flush()
    return json.loads(f.readline())
def code(r):
    return r.get("error", {}).get("code")
assert code(ask(b"{not json")) == -32700
assert code(ask(b'{"jsonrpc":"2.0","id":1,"method":"ls"} junk')) == -32700
assert code(ask(b"[1,2]")) == -32600
assert code(ask(b'{"id":1,"method":"ls"}')) == -32600
assert code(ask(b"x" * (2 << 20))) == -32600
assert code(ask(b'{"jsonrpc":"2.0","id":2,"method":"nope"}')) == -32601
assert code(ask(b'{"jsonrpc":"2.0","id":3,"method":"create"}')) == -32602
assert code(ask(b'{"jsonrpc":"2.0","id":4,"method":"ls","params":{"bogus":1}}')) == -32602
assert code(ask(b'{"jsonrpc":"2.0","id":5,"method":"ls","params":[1]}')) == -32602
r = ask(b'{"jsonrpc":"2.0","id":"x","method":"remove","params":{"name":"nope"}}')
assert r["id"] == "x" and code(r) == -32000 and r["error"]["data"]["errno"] == 6, r
# A notification gets no answer: the next line answers id 7.
f.write(b'{"jsonrpc":"2.0","method":"version"}\n')
r = ask(b'{"jsonrpc":"2.0","id":7,"method":"ls"}')
assert r["id"] == 7 and r["result"] == [{"name": "p1", "major": 254, "minor": 0}], r
r = ask(b'{"jsonrpc":"2.0","id":8,"method":"info","params":{"name":"p1"}}')["result"][0]
for k in ("name", "uuid", "exists", "suspended", "live_table", "inactive_table", "read_only",
          "open_count", "holders", "event_nr", "major", "minor", "ntargets", "sectors"):
    assert k in r, k
assert r["sectors"] == 8
EOF
check "daemon alive after bad requests" "$(printf 'p1\t(254:0)')" "$(dms ls)"
dms remove_all -f
check "remove_all -f" "No devices found" "$(dms ls)"

# Devices still there at SIGTERM are flushed and removed by the daemon.
dms create last --table "0 2048 linear ./disk1.img 0"
echo "dmsetup-cli: all checks passed"
