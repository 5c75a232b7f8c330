#!/usr/bin/env bash
# fio through its nbd engine on a striped device: 4 jobs (one NBD
# connection each) of random 4k writes at queue depth 16 with crc32c
# verification, then a second run that only reads and verifies.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
need fio
fio --enghelp 2>/dev/null | grep -qw nbd || skip "fio has no nbd engine"

for i in 0 1 2; do mkfile "$T/s$i.img" 48M; done
start_ulvmd
# 3 stripes of 32 KiB chunks (not a power of two in stripe count): 96 MiB.
ulvm dmsetup create s --table "0 196608 striped 3 64 $T/s0.img 0 $T/s1.img 0 $T/s2.img 2048"

job=(--name=verify --ioengine=nbd --uri="$(uri s)" --rw=randwrite --bs=4k --iodepth=16
	--numjobs=4 --size=24M --offset_increment=24M --verify=crc32c --verify_fatal=1
	--group_reporting)

run_fio() { # log args...
	local log=$1 rc=0
	shift
	fio "${job[@]}" "$@" >"$log" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ] || grep -qE 'err= *[1-9]|verify: bad|fio: pid=' "$log"; then
		cat "$log"
		fail "fio $* (exit $rc)"
	fi
	grep -E 'err=|READ:|WRITE:' "$log"
}

echo "== write and verify"
run_fio "$T/fio1.log" --do_verify=1
echo "== verify only (a second run, new connections)"
run_fio "$T/fio2.log" --verify_only
grep -q 'READ:.*io=96.0MiB' "$T/fio2.log" || fail "the verify pass did not read all 96 MiB"

stop_ulvmd
echo "ok"
