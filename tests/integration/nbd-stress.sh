#!/bin/bash
# The request path under stress, many rounds in a row (NBD_STRESS_ROUNDS,
# default 50; CI runs this script a few times): each round starts the NBD
# server (tests/helpers/nbd-serve), pipelines 300 writes and 300 reads on
# one connection (more than the 64 it admits at once, replies read while
# the requests are sent), then stops it with SIGTERM while a read of the
# slow export is in flight: the read must reply and the server exit 0.
# The pipelined requests go to memory (512 bytes each) and to a file
# opened O_DIRECT (4 KiB each: the connection's io_uring path).
# A hang fails the round through its timeout.  Exit 0 pass, 1 fail, 77 skip.
set -u

here=$(cd "$(dirname "$0")" && pwd)
serve=${ULVM_BUILD:-$here/../../build-san}/tests/helpers/nbd-serve
[ -x "$serve" ] || { echo "no nbd-serve at $serve"; exit 77; }
py=/usr/bin/python3
$py -c 'import nbd' 2>/dev/null || { echo "python3-libnbd is not installed"; exit 77; }
rounds=${NBD_STRESS_ROUNDS:-50}
tmp=$(mktemp -d /tmp/nbd-stress.XXXXXX)
sock=$tmp/sock
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL round $r: $*"; [ -f "$tmp/log" ] && tail -n 20 "$tmp/log"; exit 1; }

# O_DIRECT needs a file system that has it: the scratch dir's, else /var/tmp.
truncate -s 16M "$tmp/dio.img"
if ! dd if="$tmp/dio.img" of=/dev/null bs=4096 count=1 iflag=direct 2>/dev/null; then
	rm -rf "$tmp"
	tmp=$(mktemp -d /var/tmp/nbd-stress.XXXXXX)
	sock=$tmp/sock
	truncate -s 16M "$tmp/dio.img"
fi
for r in $(seq "$rounds"); do
	rm -f "$sock"
	"$serve" "$sock" mem=mem:16M slow=slow:1M dio=direct:"$tmp/dio.img" 2>"$tmp/log" &
	pid=$!
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
	[ -S "$sock" ] || fail "nbd-serve did not start"
	timeout 60 python3 "$here/nbd-protocol.py" --pipelined-only "$sock" mem 16M >"$tmp/out" 2>&1 ||
		{ cat "$tmp/out"; fail "pipelined requests"; }
	timeout 60 python3 "$here/nbd-protocol.py" --pipelined-only --block 4096 "$sock" dio 16M \
		>"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "pipelined requests, O_DIRECT"; }
	timeout 60 $py -m nbd -u "nbd+unix:///slow?socket=$sock" -c "
import os, signal
buf = nbd.Buffer(512)
c = h.aio_pread(buf, 0)
os.kill($pid, signal.SIGTERM)
while not h.aio_command_completed(c):
    h.poll(-1)
" >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "shutdown with a read in flight"; }
	timeout 60 tail --pid="$pid" -f /dev/null || fail "nbd-serve did not exit after SIGTERM"
	wait "$pid" || fail "nbd-serve exited $?"
	pid=
done
echo "nbd-stress: $rounds rounds: ok"
