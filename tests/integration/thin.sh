#!/usr/bin/env bash
# thin-pool and thin through ulvmd and NBD, with thin-provisioning-tools
# as the oracle: fio verify on a thin, a snapshot and a thin on it,
# discards that nbdinfo --map shows as holes, thin_check / thin_dump /
# thin_ls on the metadata; kill -9 during fio with periodic fsyncs, then
# the pool from the same files is clean and the flushed data verifies;
# out of data space with error_if_no_space.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
need fio qemu-io nbdinfo jq thin_check thin_dump thin_ls
fio --enghelp 2>/dev/null | grep -qw nbd || skip "fio has no nbd engine"

mkfile "$T/meta" 8M
mkfile "$T/data" 256M
POOL_LEN=$((256 * 2048))
pool_table="0 $POOL_LEN thin-pool $T/meta $T/data 128 0"

start_ulvmd
ulvm dmsetup create pool --table "$pool_table"
ulvm dmsetup message pool 0 "create_thin 0"
ulvm dmsetup create thin0 --table "0 $((1024 * 2048)) thin /dev/mapper/pool 0"
[ "$(ulvm dmsetup table thin0)" = "0 2097152 thin /dev/mapper/pool 0" ] || fail "thin table"

run_fio() { # log args...
	local log=$1 rc=0
	shift
	fio --name=thin --ioengine=nbd --bs=4k --iodepth=16 --verify=crc32c --verify_fatal=1 \
		--group_reporting "$@" >"$log" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ] || grep -qE 'err= *[1-9]|verify: bad|fio: pid=' "$log"; then
		cat "$log"
		fail "fio $* (exit $rc)"
	fi
}

echo "== fio randwrite + verify on thin0"
run_fio "$T/fio1.log" --uri="$(uri thin0)" --rw=randwrite --size=32M --numjobs=2 \
	--offset_increment=32M --do_verify=1
ulvm dmsetup status pool

echo "== snapshot of a live thin, and a thin on the snapshot"
ulvm dmsetup suspend thin0
ulvm dmsetup message pool 0 "create_snap 1 0"
ulvm dmsetup resume thin0
ulvm dmsetup create snap1 --table "0 $((1024 * 2048)) thin /dev/mapper/pool 1"
echo "== more writes on the origin; the snapshot still verifies the first run"
qio "$(uri thin0)" "write -P 0x5a 0 1M" "write -P 0x5b 100M 64k"
run_fio "$T/fio2.log" --uri="$(uri snap1)" --rw=randwrite --size=32M --numjobs=2 \
	--offset_increment=32M --verify_only
qio "$(uri thin0)" "read -P 0x5a 0 1M" "read -P 0x5b 100M 64k"

echo "== delete of an open thin is refused (the kernel's -EBUSY), its data kept"
before=$(ulvm dmsetup status pool)
if ulvm dmsetup message pool 0 "delete 1" 2>"$T/err"; then fail "delete of the open snap1 succeeded"; fi
grep -q "Deletion of thin device 1 failed: it is open" "$T/err" || fail "delete of an open thin: $(cat "$T/err")"
[ "$(ulvm dmsetup status pool)" = "$before" ] || fail "a refused delete changed the pool"
run_fio "$T/fio2b.log" --uri="$(uri snap1)" --rw=randwrite --size=32M --numjobs=2 \
	--offset_increment=32M --verify_only

echo "== discard and holes"
is_hole "$(uri thin0)" $((512 << 20)) $((256 << 20))
qio "$(uri thin0)" "discard 0 16M"
is_hole "$(uri thin0)" 0 $((16 << 20))
is_data "$(uri snap1)" 0 $((1 << 20))
qio "$(uri thin0)" "read -P 0 0 16M"

st=$(ulvm dmsetup status thin0)
echo "thin0: $st"
mapped=$(awk '{print $4}' <<<"$st")

echo "== remove, then check the metadata with thin-provisioning-tools"
ulvm dmsetup remove snap1
ulvm dmsetup remove thin0
ulvm dmsetup remove pool
thin_check "$T/meta" || fail "thin_check"
thin_dump "$T/meta" >"$T/dump.xml"
grep -c '<device' "$T/dump.xml" | grep -qx 2 || fail "thin_dump does not show 2 devices"
thin_ls --no-headers -o DEV,MAPPED_BLOCKS "$T/meta" >"$T/ls.txt"
cat "$T/ls.txt"
[ "$(awk '$1 == 0 {print $2}' "$T/ls.txt")" = "$((mapped / 128))" ] ||
	fail "thin_ls mapped blocks differ from the thin status ($mapped sectors)"

echo "== kill -9 during fio with periodic fsyncs"
ulvm dmsetup create pool --table "$pool_table"
ulvm dmsetup create thin0 --table "0 $((1024 * 2048)) thin /dev/mapper/pool 0"
# One pass that completes (its data is flushed at the end), then a
# random-write load that is killed.
run_fio "$T/fio3.log" --uri="$(uri thin0)" --rw=write --bs=64k --size=16M --offset=200M \
	--fsync=1 --do_verify=0
fio --name=load --ioengine=nbd --uri="$(uri thin0)" --rw=randwrite --bs=4k --iodepth=8 \
	--size=64M --offset=400M --fsync=16 --time_based --runtime=30 >"$T/fio4.log" 2>&1 &
FIO=$!
track "$FIO"
sleep 3
kill -9 "$ULVMD_PID"
wait "$ULVMD_PID" 2>/dev/null || true
untrack "$ULVMD_PID"
wait "$FIO" 2>/dev/null || true
untrack "$FIO"
thin_check "$T/meta" || fail "thin_check after kill -9"
rm -f "$RUN"/*.sock
start_ulvmd --thin-no-space-timeout 30
ulvm dmsetup create pool --table "$pool_table"
ulvm dmsetup create thin0 --table "0 $((1024 * 2048)) thin /dev/mapper/pool 0"
run_fio "$T/fio5.log" --uri="$(uri thin0)" --rw=write --bs=64k --size=16M --offset=200M \
	--verify_only
grep -q 'READ:.*io=16.0MiB' "$T/fio5.log" || fail "the flushed data did not all verify"
ulvm dmsetup remove thin0
ulvm dmsetup remove pool
thin_check "$T/meta" || fail "thin_check after restart"

echo "== out of data space: error_if_no_space"
mkfile "$T/meta2" 4M
mkfile "$T/data2" 4M
ulvm dmsetup create pool2 --table "0 8192 thin-pool $T/meta2 $T/data2 128 0 1 error_if_no_space"
ulvm dmsetup message pool2 0 "create_thin 0"
ulvm dmsetup create small --table "0 65536 thin /dev/mapper/pool2 0"
qio "$(uri small)" "write -P 1 0 4M"
out=$(qemu-io -f raw -c "write -P 2 4M 64k" "$(uri small)" 2>&1) || true
grep -qiE 'No space left|error' <<<"$out" || fail "a write past the pool's space succeeded: $out"
ulvm dmsetup status pool2 | grep -q ' out_of_data_space ' || fail "status is not out_of_data_space"
qio "$(uri small)" "read -P 1 0 4M"
ulvm dmsetup remove small
ulvm dmsetup remove pool2
thin_check "$T/meta2" || fail "thin_check of the full pool"

echo "== out of data space: queue_if_no_space, then the pool grows"
mkfile "$T/meta3" 4M
mkfile "$T/data3" 8M
ulvm dmsetup create d3 --table "0 8192 linear $T/data3 0"
ulvm dmsetup create pool3 --table "0 8192 thin-pool $T/meta3 /dev/mapper/d3 128 0"
ulvm dmsetup message pool3 0 "create_thin 0"
ulvm dmsetup create q --table "0 65536 thin /dev/mapper/pool3 0"
qio "$(uri q)" "write -P 1 0 4M"
qemu-io -f raw -c "write -P 3 4M 64k" "$(uri q)" >"$T/qwait.log" 2>&1 &
QW=$!
track "$QW"
wait_for 10 sh -c "'$ULVM_BIN' dmsetup status pool3 | grep -q ' out_of_data_space '" ||
	fail "the pool did not report out_of_data_space"
kill -0 "$QW" 2>/dev/null || { cat "$T/qwait.log"; fail "the write did not wait for space"; }
ulvm dmsetup load d3 --table "0 16384 linear $T/data3 0"
ulvm dmsetup resume d3
ulvm dmsetup load pool3 --table "0 16384 thin-pool $T/meta3 /dev/mapper/d3 128 0"
ulvm dmsetup resume pool3
wait "$QW" || { cat "$T/qwait.log"; fail "the queued write failed after the pool grew"; }
untrack "$QW"
grep -qiE 'error|fail' "$T/qwait.log" && { cat "$T/qwait.log"; fail "queued write"; }
qio "$(uri q)" "read -P 3 4M 64k" "read -P 1 0 4M"
ulvm dmsetup status pool3 | grep -q ' 65/128 - rw ' || fail "pool3: $(ulvm dmsetup status pool3)"
ulvm dmsetup remove q
ulvm dmsetup remove pool3
ulvm dmsetup remove d3
thin_check "$T/meta3" || fail "thin_check of the grown pool"

stop_ulvmd
echo "ok"
