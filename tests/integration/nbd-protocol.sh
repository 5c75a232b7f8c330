#!/bin/bash
# The NBD server without the daemon: tests/helpers/nbd-serve on a unix
# socket, driven by nbd-protocol.py (raw, malformed messages) and by real
# clients (nbdinfo, nbdcopy, nbdsh, qemu-img, qemu-io, fio) when installed.
#
#   nbd-protocol.sh [PATH/TO/nbd-serve]
#
# The default is $ULVM_BUILD/tests/helpers/nbd-serve (ULVM_BUILD as in
# lib.sh).  Exit 0 pass, 1 fail, 77 skip.
set -u

here=$(cd "$(dirname "$0")" && pwd)
serve=${1:-${ULVM_BUILD:-$here/../../build-san}/tests/helpers/nbd-serve}
[ -x "$serve" ] || { echo "no nbd-serve at $serve"; exit 77; }
command -v python3 >/dev/null || exit 77

tmp=$(mktemp -d /tmp/nbd-protocol.XXXXXX)
sock=$tmp/sock
log=$tmp/serve.log
pid=
fail=0

cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fail=1; }
have() { command -v "$1" >/dev/null; }

# nbdsh runs "python3 -m nbd": the python3 first in PATH may lack the module.
nbdsh=
if have nbdsh && nbdsh -c pass 2>/dev/null; then
	nbdsh=nbdsh
elif /usr/bin/python3 -c 'import nbd' 2>/dev/null; then
	nbdsh="/usr/bin/python3 -m nbd"
fi

start() {
	rm -f "$sock"
	"$serve" -t "$port" "$@" "$sock" disk="$tmp/disk" mem=mem:16M err=err:1M slow=slow:1M \
		copy="$tmp/copy" file="$tmp/file" 2>>"$log" &
	pid=$!
	for _ in $(seq 100); do
		[ -S "$sock" ] && return 0
		sleep 0.05
	done
	bad "nbd-serve did not start"; cat "$log"; exit 1
}

# Stop with SIGTERM; a clean shutdown exits 0 (and ASan finds no leak).
stop() {
	kill -TERM "$pid"
	if wait "$pid"; then ok "clean shutdown"; else bad "nbd-serve exited $?"; fi
	pid=
}

# A 64 MiB sparse disk: data at 0-1 MiB and 32-33 MiB, holes elsewhere.
truncate -s 64M "$tmp/disk" "$tmp/copy"
truncate -s 16M "$tmp/file"
head -c 1M /dev/urandom | dd of="$tmp/disk" conv=notrunc status=none
head -c 1M /dev/urandom | dd of="$tmp/disk" bs=1M seek=32 conv=notrunc status=none

# A free TCP port on the loopback, for the TCP listener.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start
uri() { echo "nbd+unix:///$1?socket=$sock"; }

python3 "$here/nbd-protocol.py" "$sock" mem 16M --err err --slow slow || bad "nbd-protocol.py"
# again on a file: large requests move by splice, and a client that goes
# away mid-reply must not raise SIGPIPE in the server
python3 "$here/nbd-protocol.py" "$sock" file 16M || bad "nbd-protocol.py on a file"

if have nbdinfo; then
	out=$(nbdinfo --list "$(uri '')" 2>&1)
	grep -q 'export="disk"' <<<"$out" && grep -q 'export="mem"' <<<"$out" &&
		ok "nbdinfo --list" || bad "nbdinfo --list: $out"
	map=$(nbdinfo --map "$(uri disk)" 2>&1)
	echo "$map" | sed 's/^/     /'
	grep -q 'hole,zero' <<<"$map" && grep -q 'data' <<<"$map" &&
		ok "nbdinfo --map shows holes and data" || bad "nbdinfo --map"
	[ "$(nbdinfo --size "nbd://127.0.0.1:$port/mem")" = 16777216 ] &&
		ok "nbdinfo over TCP" || bad "nbdinfo over TCP"
	nbdinfo "$(uri disk)" | grep -q 'can_multi_conn: true' &&
		ok "nbdinfo: can_multi_conn" || bad "nbdinfo: can_multi_conn"
fi

if have nbdcopy; then
	nbdcopy "$tmp/disk" "$(uri copy)" && nbdcopy "$(uri copy)" "$tmp/back" &&
		cmp "$tmp/disk" "$tmp/back" && ok "nbdcopy round trip" || bad "nbdcopy round trip"
	nbdcopy --connections=4 --requests=64 "$(uri disk)" "$(uri copy)" &&
		cmp "$tmp/disk" "$tmp/copy" && ok "nbdcopy 4 connections x 64 requests" ||
		bad "nbdcopy 4 connections"
fi

if have qemu-img; then
	qemu-img compare -f raw -F raw "$tmp/disk" "$(uri disk)" >/dev/null &&
		ok "qemu-img compare" || bad "qemu-img compare"
fi

if have qemu-io; then
	out=$(qemu-io -f raw -c 'write -P 0xab 1000 5000' -c 'read -P 0xab 1000 5000' \
		-c 'write -z 8192 4096' -c 'read -P 0 8192 4096' -c 'discard 65536 65536' \
		-c flush "$(uri mem)" 2>&1)
	grep -qi 'fail\|error\|mismatch' <<<"$out" && bad "qemu-io: $out" || ok "qemu-io write/read/zero/discard"
fi

if have fio && fio --enghelp 2>/dev/null | grep -qw nbd; then
	fio --name=nbd --ioengine=nbd --uri="$(uri mem)" --rw=randrw --bs=4k --iodepth=32 \
		--numjobs=2 --size=8M --offset_increment=8M --verify=crc32c --runtime=10 \
		--time_based=0 --output="$tmp/fio.out" >/dev/null 2>&1 &&
		! grep -q 'verify:' "$tmp/fio.out" && ok "fio randrw iodepth=32 numjobs=2 verify" ||
		{ bad "fio"; cat "$tmp/fio.out"; }
fi

if [ -n "$nbdsh" ]; then
	$nbdsh --base-allocation -u "$(uri mem)" -c '
import errno
h.pwrite(b"odd", 16777213)
assert h.pread(3, 16777213) == b"odd"
assert h.pread(1, 16777215) == b"d"
h.zero(4096, 0, nbd.CMD_FLAG_FAST_ZERO)
h.zero(1, 12345, nbd.CMD_FLAG_NO_HOLE)
h.trim(1000, 3)
h.cache(100, 1)
h.flush()
seen = []
h.block_status(16777216, 0, lambda m, o, e, err: seen.append(e), nbd.CMD_FLAG_REQ_ONE)
assert len(seen) == 1 and len(seen[0]) == 2, seen
try:
    h.pread(512, 16777216 - 100)
    raise SystemExit("read past the end succeeded")
except nbd.Error as e:
    assert e.errnum == errno.EINVAL, e
' && ok "nbdsh odd requests" || bad "nbdsh odd requests"

	# Shutdown lets an in-flight request reply before it disconnects.
	$nbdsh -u "$(uri slow)" -c "
import os, signal
buf = nbd.Buffer(512)
c = h.aio_pread(buf, 0)
os.kill($pid, signal.SIGTERM)
while not h.aio_command_completed(c):
    h.poll(-1)
" && ok "shutdown answers the in-flight read" || bad "shutdown with a read in flight"
	kill -0 "$pid" 2>/dev/null && kill -TERM "$pid"
	if wait "$pid"; then ok "clean shutdown"; else bad "nbd-serve exited $?"; fi
	pid=
else
	stop
fi

# Read-only exports refuse writes with EPERM and do not offer TRIM.
start -r
if [ -n "$nbdsh" ]; then
	$nbdsh -u "$(uri disk)" -c '
import errno
assert h.is_read_only() and not h.can_trim()
h.set_strict_mode(0)  # let the write reach the server
try:
    h.pwrite(b"x", 0)
    raise SystemExit("write to a read-only export succeeded")
except nbd.Error as e:
    assert e.errnum == errno.EPERM, e
' && ok "read-only export" || bad "read-only export"
fi
stop

if grep -q 'AddressSanitizer\|runtime error' "$log"; then
	bad "sanitizer reports"; cat "$log"
fi
exit $fail
