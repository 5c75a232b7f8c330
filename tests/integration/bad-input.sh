#!/usr/bin/env bash
# Bad tables are refused with a message naming the line and leave nothing
# behind; a bad reload leaves the live table alone; malformed NBD clients
# (tests/integration/nbd-protocol.py when present, and raw garbage) do not
# hurt the daemon, which still serves and exits cleanly.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
need qemu-io nbdinfo python3
here=$(cd "$(dirname "$0")" && pwd)

mkfile "$T/a.img" 1M # 2048 sectors
mkfile "$T/p.img" 16M
start_ulvmd
ulvm dmsetup create good --table "0 2048 linear $T/a.img 0"
# For nbd-protocol.py: a scratch export, one whose second half fails with
# EIO, one whose reads of its first 4 KiB are slow.
ulvm dmsetup create proto --table "0 16384 linear $T/p.img 0"
ulvm dmsetup create proto-err --table "0 4096 linear $T/p.img 16384
4096 4096 error"
ulvm dmsetup create proto-slow --table "0 8 delay $T/p.img 24576 500
8 4088 linear $T/p.img 24584"
# One on a file system with 2 MiB of room for its 8 MiB (root only: a
# tmpfs mount).
full=()
if [ "$(id -u)" = 0 ]; then
	mkdir "$T/small"
	mount -t tmpfs -o size=2M ulvm-test "$T/small"
	track_mount "$T/small"
	mkfile "$T/small/f.img" 8M
	ulvm dmsetup create proto-full --table "0 16384 linear $T/small/f.img 0"
	full=(--full proto-full)
fi
qio "$(uri good)" 'write -P 0x5a 0 1M'
ls_before=$(ulvm dmsetup ls)
table_before=$(ulvm dmsetup table good)

# refuse LINE TABLE: create must fail, name line LINE, and leave no device.
refuse() {
	local line=$1 table=$2 out rc=0
	out=$(ulvm dmsetup create bad --table "$table" 2>&1) || rc=$?
	echo "  [$rc] ${out//$'\n'/ / }"
	[ "$rc" -ne 0 ] || fail "create accepted: $table"
	grep -qi "line $line" <<<"$out" || fail "the message does not name line $line: $out"
	[ "$(ulvm dmsetup ls)" = "$ls_before" ] || { ulvm dmsetup ls; fail "a refused create left something: $table"; }
	out=$(ulvm dmsetup load good --table "$table" 2>&1) && fail "load accepted: $table"
	grep -qi "line $line" <<<"$out" || fail "the load message does not name line $line: $out"
	ulvm dmsetup info good | grep -qiE 'Tables present: *LIVE$' || { ulvm dmsetup info good; fail "a refused load left an inactive table"; }
}

L="linear $T/a.img"
echo "== bad tables"
refuse 2 "0 100 $L 0"$'\n'"200 100 $L 100"             # gap
refuse 2 "0 100 $L 0"$'\n'"50 100 $L 100"              # overlap
refuse 1 "100 100 $L 0"                                # does not start at 0
refuse 1 "0 0 $L 0"                                    # zero length
refuse 2 "0 100 $L 0"$'\n'"100 0 $L 0"                 # zero length, line 2
refuse 1 "0 100 bogus $T/a.img 0"                      # unknown target
refuse 1 "0 1x0 $L 0"                                  # bad length
refuse 1 "0 100 $L zz"                                 # bad offset
refuse 1 "0 100 $L -1"                                 # negative offset
refuse 1 "0 100 $L 99999999999999999999999"            # overflow
refuse 1 "0 4096 $L 0"                                 # lower device too small
refuse 2 "0 1024 $L 0"$'\n'"1024 1024 $L 1025"         # too small, line 2
refuse 1 "0 100 linear $T/missing.img 0"               # missing file
refuse 1 "0 100 linear"                                # missing arguments
refuse 1 "0 256 striped 2 128 $T/a.img 0"              # one stripe missing
refuse 1 "0 256 striped 2 100 $T/a.img 0 $T/a.img 1024" # chunk not a power of two
refuse 1 "0 100 flakey $T/a.img 0 0 0"                 # up + down = 0
refuse 3 "# comment"$'\n'"0 100 $L 0"$'\n'"100 100 bogus" # line numbers count every line
[ "$(ulvm dmsetup table good)" = "$table_before" ] || fail "the table of good changed"
# A device that does not exist, and names that are not names.
ulvm dmsetup remove nosuch 2>/dev/null && fail "removing a missing device succeeded"
ulvm dmsetup create 'a/b' --table "0 100 $L 0" 2>/dev/null && fail "a name with / was accepted"
ulvm dmsetup create good --table "0 100 $L 0" 2>/dev/null && fail "a duplicate name was accepted"
[ "$(ulvm dmsetup ls)" = "$ls_before" ] || fail "dmsetup ls changed"

echo "== malformed NBD clients"
python3 - "$SOCK" <<'EOF'
import os, socket, struct, sys
def conn():
    s = socket.socket(socket.AF_UNIX)
    s.connect(sys.argv[1])
    s.settimeout(5)
    return s
# connect and go away; garbage instead of the client flags; a bad option
# magic; an option with a huge length; half an option.
s = conn(); s.close()
s = conn(); s.recv(18); s.sendall(os.urandom(4096)); s.close()
for payload in (struct.pack(">I", 3) + b"NOTMAGIC" + struct.pack(">II", 1, 0),
                struct.pack(">I", 3) + b"IHAVEOPT" + struct.pack(">II", 7, 0xFFFFFFFF),
                struct.pack(">I", 3) + b"IHAVEOPT" + struct.pack(">II", 1, 100) + b"x"):
    s = conn()
    hello = s.recv(18)
    assert hello[:8] == b"NBDMAGIC" and hello[8:16] == b"IHAVEOPT", hello
    s.sendall(payload)
    try:
        s.recv(4096)
    except OSError:
        pass
    s.close()
EOF
if [ -f "$here/nbd-protocol.py" ]; then
	echo "== nbd-protocol.py"
	python3 "$here/nbd-protocol.py" "$SOCK" proto $((8 * 1024 * 1024)) --err proto-err --slow proto-slow \
		"${full[@]}" || fail "nbd-protocol.py failed"
else
	echo "(no nbd-protocol.py yet)"
fi

echo "== the daemon still serves"
kill -0 "$ULVMD_PID" || fail "ulvmd died"
qio "$(uri good)" 'read -P 0x5a 0 1M'
[ "$(ulvm dmsetup ls)" = "$ls_before" ] || fail "dmsetup ls changed"
stop_ulvmd
echo "ok"
