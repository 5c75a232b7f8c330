#!/usr/bin/env bash
# Thin pool autoextend by the daemon (docs/LVM.md, docs/ulvmd.8.md): an LVM
# thin pool with activation/thin_pool_autoextend_threshold = 70 and _percent
# = 20, ulvmd --on-event 'ulvm lvextend --use-policies'; fio writes (crc32c
# verify) well past the pool's first size; the pool raises dm events at its
# low water mark, the daemon runs the hook, the pool grows by itself, no
# write fails and everything verifies.  Also: the dm event number, and
# lvextend --use-policies taking the dm name.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
need fio qemu-io
fio --enghelp 2>/dev/null | grep -qw nbd || skip "fio has no nbd engine"

M=$((1024 * 1024))
export ULVM_CONF_DIR=$T/conf
mkdir -p "$ULVM_CONF_DIR"
cat >"$ULVM_CONF_DIR/ulvm.conf" <<EOC
activation {
	thin_pool_autoextend_threshold = 70
	thin_pool_autoextend_percent = 20
}
EOC
step() { echo "== $*"; }
field() { ulvm lvs --noheadings --nosuffix --units m -o "$2" "$1" | tr -d ' '; }
event_nr() { ulvm dmsetup info "$1" | awk '/^Event number:/ {print $3}'; }

mkfile "$T/a.img" 512M
ulvm pvcreate "$T/a.img" >/dev/null
ulvm vgcreate vg0 "$T/a.img" >/dev/null
start_ulvmd --on-event "$ULVM_BIN lvextend --use-policies" --on-event-interval 1

step "an LVM thin pool of 64 MiB, its low water mark at 30% free"
ulvm lvcreate --type thin-pool -L 64M -n pool vg0 >/dev/null
ulvm lvcreate -T vg0/pool -V 1G -n thin1 >/dev/null
# 64 KiB chunks: 1024 blocks, 307 of them the low water mark.
ulvm dmsetup table vg0-pool-tpool | grep -q ' 128 307 ' || fail "pool table: $(ulvm dmsetup table vg0-pool-tpool)"
[ "$(event_nr vg0-pool-tpool)" = 0 ] || fail "event number of a new pool: $(event_nr vg0-pool-tpool)"

step "fio writes 160 MiB with crc32c verify, 2 jobs: the pool grows by itself"
fio --name=auto --ioengine=nbd --uri="$(uri vg0/thin1)" --rw=write --bs=64k --iodepth=8 \
	--size=80M --numjobs=2 --offset_increment=256M --verify=crc32c --verify_fatal=1 \
	--do_verify=1 --group_reporting >"$T/fio.log" 2>&1 || { cat "$T/fio.log" "$T/ulvmd.log"; fail "fio failed"; }
if grep -qE 'err= *[1-9]|verify: bad|fio: pid=' "$T/fio.log"; then
	cat "$T/fio.log"
	fail "fio reported errors"
fi
grep -q 'WRITE:.*io=160MiB' "$T/fio.log" || { cat "$T/fio.log"; fail "fio did not write 160 MiB"; }
# The last event may still be running its hook: let it end.
hooks_done() {
	[ "$(grep -c ': event [0-9]*, running' "$T/ulvmd.log")" = \
		"$(grep -cE 'on-event vg0-pool-tpool: (done|exited with|killed by)' "$T/ulvmd.log")" ]
}
wait_for 30 hooks_done || fail "a hook did not end"
size=$(field vg0/pool lv_size)
echo "pool: ${size} MiB, $(ulvm dmsetup status vg0-pool-tpool)"
ulvm lvs -a vg0
[ "${size%.*}" -gt 160 ] || { cat "$T/ulvmd.log"; fail "the pool did not grow past 160 MiB: $size"; }
nr=$(event_nr vg0-pool-tpool)
[ "$nr" -ge 3 ] || fail "the pool raised $nr events"
grep -q "on-event vg0-pool-tpool: event [0-9]*, running .*lvextend --use-policies vg0-pool-tpool" "$T/ulvmd.log" ||
	{ cat "$T/ulvmd.log"; fail "the daemon log has no hook run"; }
grep -q "on-event vg0-pool-tpool: .*Size of logical volume vg0/pool_tdata changed from" "$T/ulvmd.log" ||
	{ cat "$T/ulvmd.log"; fail "the daemon log does not say the pool grew"; }
grep -q "on-event vg0-pool-tpool: done" "$T/ulvmd.log" || fail "no hook ended well"
grep -q "on-event vg0-pool-tpool: exited with status" "$T/ulvmd.log" &&
	{ cat "$T/ulvmd.log"; fail "a hook run failed"; }
grep -q "reached the low water mark" "$T/ulvmd.log" || fail "no low water mark in the log"
grep -n "on-event\|low water" "$T/ulvmd.log" | head -20

step "the data verifies again after the growth"
fio --name=auto --ioengine=nbd --uri="$(uri vg0/thin1)" --rw=write --bs=64k --iodepth=8 \
	--size=80M --numjobs=2 --offset_increment=256M --verify=crc32c --verify_fatal=1 \
	--verify_only --group_reporting >"$T/fio2.log" 2>&1 || { cat "$T/fio2.log"; fail "fio verify"; }
grep -q 'READ:.*io=160MiB' "$T/fio2.log" || { cat "$T/fio2.log"; fail "fio did not verify 160 MiB"; }

step "lvextend --use-policies takes the dm names"
for n in vg0-pool-tpool /dev/mapper/vg0-pool-tpool vg0-pool vg0-pool_tdata; do
	ulvm lvextend --use-policies "$n" >"$T/out" 2>&1 || { cat "$T/out"; fail "lvextend --use-policies $n"; }
	grep -q 'vg0/pool' "$T/out" || { cat "$T/out"; fail "lvextend --use-policies $n: $(cat "$T/out")"; }
done
ulvm lvextend --use-policies vg0-nosuch-tpool >/dev/null 2>&1 && fail "a missing pool was accepted"

stop_ulvmd
grep -q "thin-pool .*metadata reached" "$T/ulvmd.log" && fail "a metadata event with metadata to spare"
echo "thin-autoextend: all passed"
