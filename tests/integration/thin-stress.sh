#!/usr/bin/env bash
# Thin pool stress, with thin-provisioning-tools and a reference count as
# the oracles:
#  - random writes by fio (crc32c verify, several jobs, one NBD connection
#    each) on a thin and on a chain of snapshots of depth 4 (0 <- 1 <- 2 <-
#    3), each level checked to still hold what its origin had; qemu-io
#    discards; a thin and a middle snapshot deleted (`delete N`) while the
#    others live;
#  - then every device removed, thin_check clean, thin_ls's mapped blocks
#    equal to each thin's status, and thin-refcount.py: the data space map
#    read by ulvm's own code (thin-meta-tool data_sm) has every unmapped
#    block free and every mapped one counted between 1 and the number of
#    thin_dump mappings to it (dm-thin counts per shared leaf, not per
#    device: see the script; thin_check checks the exact leaf counts);
#  - kill -9 of ulvmd in the middle of the same kind of workload (with
#    fsyncs and snapshots being taken), restart, recreate: the same checks,
#    and the data flushed before the kill verifies.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
need fio qemu-io thin_check thin_dump thin_ls python3
fio --enghelp 2>/dev/null | grep -qw nbd || skip "fio has no nbd engine"
TOOL=$ULVM_BUILD/tests/helpers/thin-meta-tool
REFCOUNT=$top/tests/helpers/thin-refcount.py
[ -x "$TOOL" ] || fail "no $TOOL"

step() { echo "== $*"; }
mkfile "$T/meta" 16M
mkfile "$T/data" 2G
POOL_LEN=$((2048 * 2048))
VLEN=$((1024 * 2048)) # 1 GiB thins
pool_table="0 $POOL_LEN thin-pool $T/meta $T/data 128 0"

run_fio() { # log args...
	local log=$1 rc=0
	shift
	fio --name=stress --ioengine=nbd --iodepth=16 --verify=crc32c --verify_fatal=1 \
		--group_reporting "$@" >"$log" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ] || grep -qE 'err= *[1-9]|verify: bad|fio: pid=' "$log"; then
		cat "$log"
		fail "fio $* (exit $rc)"
	fi
}
# Random writes of mixed sizes by 4 jobs on 4 connections, verified.
wr() { # log id offset [seed]
	run_fio "$1" --uri="$(uri "t$2")" --rw=randwrite --bsrange=4k-64k --size=24M --numjobs=4 \
		--offset="$3" --offset_increment=24M --randseed="${4:-1}" --do_verify=1
}
# The same data read back by verify only.
vo() { # log id offset [seed]
	run_fio "$1" --uri="$(uri "t$2")" --rw=randwrite --bsrange=4k-64k --size=24M --numjobs=4 \
		--offset="$3" --offset_increment=24M --randseed="${4:-1}" --verify_only
}
thin() { ulvm dmsetup create "t$1" --table "0 $VLEN thin /dev/mapper/pool $1"; }
snap() { # new origin: a snapshot of a live thin, as lvm2 takes it
	ulvm dmsetup suspend "t$2"
	ulvm dmsetup message pool 0 "create_snap $1 $2"
	ulvm dmsetup resume "t$2"
	thin "$1"
}
# Remove every device, then check the metadata: thin_check, thin_ls
# against the mapped sectors the thins reported, the reference counts.
check_pool() { # tag ids...
	local tag=$1 id
	shift
	declare -A mapped=()
	for id in "$@"; do
		mapped[$id]=$(ulvm dmsetup status "t$id" | awk '{print $4}')
	done
	for id in "$@"; do ulvm dmsetup remove "t$id"; done
	ulvm dmsetup remove pool
	thin_check "$T/meta" || fail "$tag: thin_check"
	thin_dump "$T/meta" >"$T/dump.xml" || fail "$tag: thin_dump"
	thin_ls --no-headers -o DEV,MAPPED_BLOCKS "$T/meta" >"$T/ls.txt" || fail "$tag: thin_ls"
	[ "$(grep -c '<device ' "$T/dump.xml")" = $# ] || fail "$tag: thin_dump shows $(grep -c '<device ' "$T/dump.xml") devices, not $#"
	for id in "$@"; do
		local ls
		ls=$(awk -v d="$id" '$1 == d {print $2}' "$T/ls.txt")
		[ "$ls" = $((mapped[$id] / 128)) ] ||
			fail "$tag: thin $id: thin_ls says $ls blocks, the status ${mapped[$id]} sectors"
		grep -q "<device dev_id=\"$id\" mapped_blocks=\"$ls\"" "$T/dump.xml" ||
			fail "$tag: thin $id: thin_dump's mapped_blocks differ from thin_ls ($ls)"
	done
	echo "data_sm" | "$TOOL" "$T/meta" >"$T/sm.txt" || fail "$tag: thin-meta-tool data_sm"
	python3 "$REFCOUNT" "$T/dump.xml" "$T/sm.txt" || fail "$tag: reference counts"
}

start_ulvmd
ulvm dmsetup create pool --table "$pool_table"
ulvm dmsetup message pool 0 "create_thin 0"
thin 0

step "random writes on thin 0, then a chain of snapshots 0 <- 1 <- 2 <- 3"
wr "$T/w0.log" 0 0
snap 1 0
wr "$T/w0b.log" 0 0 2     # the origin moves on
vo "$T/v1.log" 1 0        # the snapshot keeps its first data
wr "$T/w1.log" 1 96M
snap 2 1
wr "$T/w2.log" 2 192M
vo "$T/v2a.log" 2 0       # through two levels
vo "$T/v2b.log" 2 96M
snap 3 2
wr "$T/w3.log" 3 0 3
vo "$T/v3.log" 3 192M     # depth 3 still sees level 2's writes
vo "$T/v3b.log" 3 96M

step "a short-lived thin, deleted"
ulvm dmsetup message pool 0 "create_thin 4"
thin 4
wr "$T/w4.log" 4 0
ulvm dmsetup remove t4
ulvm dmsetup message pool 0 "delete 4"

step "discards by qemu-io on the origin and the deepest snapshot"
qio "$(uri t0)" "discard 0 8M" "discard 40M 4M" "discard 70M 64k"
qio "$(uri t3)" "discard 96M 16M" "discard 150M 1M"
qio "$(uri t0)" "read -P 0 0 8M"
qio "$(uri t3)" "read -P 0 96M 16M"
vo "$T/v1b.log" 1 0       # the snapshot did not lose the blocks it shares

step "the middle of the chain deleted: the rest still verifies"
vo "$T/v2c.log" 2 192M
ulvm dmsetup remove t1
ulvm dmsetup message pool 0 "delete 1"
vo "$T/v2d.log" 2 0
vo "$T/v3c.log" 3 192M
wr "$T/w2b.log" 2 300M 4
ulvm dmsetup status pool

step "checks after the workload"
check_pool workload 0 2 3

step "kill -9 of ulvmd in the middle of a workload"
ulvm dmsetup create pool --table "$pool_table"
for id in 0 2 3; do thin "$id"; done
# One pass that completes and is flushed: it must survive the kill.
run_fio "$T/f1.log" --uri="$(uri t3)" --rw=randwrite --bsrange=4k-64k --size=24M --numjobs=2 \
	--offset=400M --offset_increment=24M --randseed=7 --fsync=1 --do_verify=0
# Then random writes with fsyncs on two volumes, and snapshots being
# taken, all killed.
for id in 0 2; do
	fio --name=load --ioengine=nbd --uri="$(uri "t$id")" --rw=randwrite --bsrange=4k-64k \
		--iodepth=8 --numjobs=2 --size=64M --offset=500M --offset_increment=64M --fsync=16 \
		--time_based --runtime=60 >"$T/load$id.log" 2>&1 &
	track $!
	eval "LOAD$id=$!"
done
sleep 2
snap 5 0
qio "$(uri t2)" "discard 300M 2M"
sleep 1
ulvm dmsetup message pool 0 "create_snap 6 5" || true
kill -9 "$ULVMD_PID"
wait "$ULVMD_PID" 2>/dev/null || true
untrack "$ULVMD_PID"
for id in 0 2; do
	eval "p=\$LOAD$id"
	wait "$p" 2>/dev/null || true
	untrack "$p"
done
thin_check "$T/meta" || fail "thin_check after kill -9"
rm -f "$RUN"/*.sock

step "restart, recreate, verify the flushed data, write more, check again"
start_ulvmd
ulvm dmsetup create pool --table "$pool_table"
thin_dump "$T/meta" | grep -o 'dev_id="[0-9]*"' | tr -dc '0-9\n' >"$T/ids"
echo "thins after the kill: $(tr '\n' ' ' <"$T/ids")"
ids=()
while read -r id; do thin "$id"; ids+=("$id"); done <"$T/ids"
run_fio "$T/f2.log" --uri="$(uri t3)" --rw=randwrite --bsrange=4k-64k --size=24M --numjobs=2 \
	--offset=400M --offset_increment=24M --randseed=7 --verify_only
grep -q 'READ:.*io=48.0MiB' "$T/f2.log" || { cat "$T/f2.log"; fail "the flushed data did not all verify"; }
vo "$T/v3d.log" 3 192M
wr "$T/w0c.log" 0 600M 9
qio "$(uri t0)" "discard 600M 4M"
check_pool "after kill -9" "${ids[@]}"
stop_ulvmd
echo "thin-stress: all passed"
