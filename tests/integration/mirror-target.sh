#!/usr/bin/env bash
# The mirror target through `ulvm dmsetup` and NBD clients:
#  - a disk-log mirror of two legs copies leg 0 to leg 1 (status reaches
#    N/N, the log on disk is the kernel's: "MiRr", version 2, the region
#    count, every clean bit set); writes reach both legs;
#  - kill -9 of ulvmd under fio writes: at the next activation the log
#    still marks the regions being written, only those are copied again,
#    and the legs end equal;
#  - a write to a region another write has just marked dirty waits, as
#    that one does, until the log is on disk (its device suspended);
#  - a leg that fails (an error target under it) with handle_errors:
#    health D, writes and reads go on from the other leg;
#  - a core log with nosync trusts the legs; the table line prints back
#    as given;
#  - bad tables are refused, naming why.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
need qemu-io fio python3
fio --enghelp 2>/dev/null | grep -qw nbd || skip "fio has no nbd engine"
step() { echo "== $*"; }
M=$((1024 * 1024))
start_ulvmd
in_sync() { # NAME: regions all in sync
	for _ in $(seq 200); do
		ulvm dmsetup status "$1" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+\/[0-9]+$/) { split($i, a, "/"); exit !(a[1] == a[2]) } }' && return 0
		sleep 0.1
	done
	ulvm dmsetup status "$1"
	fail "$1 did not get in sync"
}

step "disk log: leg 0 copied to leg 1, the log in the kernel's format, writes on both legs"
head -c $((16 * M)) /dev/urandom >"$T/a.img"
mkfile "$T/b.img" 16M
mkfile "$T/log.img" 1M
TABLE="0 32768 mirror disk 2 $T/log.img 1024 2 $T/a.img 0 $T/b.img 0 1 handle_errors"
ulvm dmsetup create m --table "$TABLE"
in_sync m
ulvm dmsetup status m
[ "$(ulvm dmsetup table m | cut -d' ' -f4-)" = "$(cut -d' ' -f4- <<<"$TABLE")" ] || fail "the table does not print back as given"
cmp "$T/a.img" "$T/b.img" || fail "leg 1 is not a copy of leg 0"
python3 - "$T/log.img" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read(2048)
magic, version, n = struct.unpack_from("<IIQ", d, 0)
assert (magic, version, n) == (0x4D695272, 2, 32), (hex(magic), version, n)
assert struct.unpack_from("<I", d, 1024)[0] == 0xffffffff, d[1024:1032].hex()
PY
qio "$(uri m)" "write -P 0x5a 3M 1M" "flush"
bytes_are "$T/a.img" $((3 * M)) $M 0x5a
bytes_are "$T/b.img" $((3 * M)) $M 0x5a

step "kill -9 under fio writes: the dirty regions are copied again, the legs end equal"
# Kill while the log holds a dirty region, however slow this machine is
# to get fio going: poll the clean bits the kernel's format keeps at 1 KiB.
# A region is cleaned once its writes end, so on a loaded machine (fio
# stalled) the kill can still land on a clean log: then go again.
log_dirty() { [ "$(od -An -tx4 -j1024 -N4 "$T/log.img" | tr -d ' ')" != ffffffff ]; }
for try in 1 2 3 4 5; do
	fio --name=w --ioengine=nbd --uri="$(uri m)" --rw=randwrite --bs=64k --iodepth=4 --size=16M \
		--time_based --runtime=30 >"$T/fio.log" 2>&1 &
	FIO=$!
	track "$FIO"
	wait_for 60 log_dirty || fail "fio's writes never marked a region dirty in the log"
	kill -9 "$ULVMD_PID"
	wait "$ULVMD_PID" 2>/dev/null || true
	wait "$FIO" 2>/dev/null || true
	rm -f "$RUN"/*.sock "$RUN"/*.pid
	log_dirty && break
	echo "the log was clean at the kill (try $try); again"
	[ "$try" = 5 ] && fail "no region was marked dirty in the log at the kill, 5 times"
	start_ulvmd
	ulvm dmsetup create m --table "$TABLE"
	in_sync m
done
echo "log after the crash: clean bits $(od -An -tx4 -j1024 -N4 "$T/log.img" | tr -d ' ')"
start_ulvmd
ulvm dmsetup create m --table "$TABLE"
ulvm dmsetup status m
in_sync m
cmp "$T/a.img" "$T/b.img" || fail "the legs differ after the resync"

step "the log's dirty bit is on disk before any write it covers, the second writer's to the region too"
ulvm dmsetup remove m
mkfile "$T/log2.img" 1M
ulvm dmsetup create lg --table "0 2048 linear $T/log2.img 0"
ulvm dmsetup create m3 --table "0 32768 mirror disk 3 /dev/mapper/lg 1024 nosync 2 $T/a.img 0 $T/b.img 0 1 handle_errors"
second_writer_waits lg "$(uri m3)" "$T/a.img" "$T/b.img"
ulvm dmsetup remove m3
ulvm dmsetup remove lg

step "a failing leg with handle_errors: health D, I/O goes on from the other"
ulvm dmsetup create bad --table "0 32768 error"
ulvm dmsetup create m2 --table "0 32768 mirror core 2 1024 nosync 2 $T/a.img 0 /dev/mapper/bad 0 1 handle_errors"
ulvm dmsetup table m2 | grep -q "core 2 1024 nosync 2" || fail "nosync does not print back"
qio "$(uri m2)" "write -P 0x6b 5M 64k" "read -P 0x6b 5M 64k"
ulvm dmsetup status m2 | tee "$T/st"
grep -q " AD 1 core" "$T/st" || fail "the failed leg is not D"
qio "$(uri m2)" "read -P 0x6b 5M 64k"
ulvm dmsetup remove m2
ulvm dmsetup remove bad

step "bad tables refused, naming why"
for t in "mirror core 1 1000 2 $T/a.img 0 $T/b.img 0|invalid region size" \
	"mirror core 1 1024 1 $T/a.img 0|Invalid number of mirrors" \
	"mirror core 1 1024 2 $T/a.img 0|Too few mirror arguments" \
	"mirror disk 2 $T/log.img 1024 2 $T/a.img 0 $T/b.img 0 1 keep_log|keep_log feature requires" \
	"mirror core 1 1024 2 $T/a.img 0 $T/b.img 0 1 flush_always|Unrecognised feature" \
	"mirror odd 1 1024 2 $T/a.img 0 $T/b.img 0|not found" \
	"mirror core 1 1024 2 $T/a.img x $T/b.img 0|Invalid offset"; do
	table_refused "0 32768 ${t%%|*}" "${t##*|}"
done
echo "mirror-target: ok"
