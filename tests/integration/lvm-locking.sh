#!/usr/bin/env bash
# ulvm and lvm2 lock each other out of a VG they both change: ulvm takes
# lvm2's own lock files (V_<vg>, P_global, with lvm2's :aux and unlink
# protocol) in lvm2's locking_dir.
#  - 25 `lvm lvcreate` and 25 `ulvm lvcreate` at once: all 50 LVs are
#    there for both tools and both vgck pass (without the shared locks
#    both loops read the same old metadata and LVs were lost);
#  - a V_<vg> lock held by another process holds ulvm back until it goes.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lvm2.bash"
need pvcreate vgcreate lvcreate lvs vgck losetup flock
export ULVM_CONF_DIR=$T/ulvm
declare -A L
attach_pvs 512M a b
lvm2_isolate "${L[@]}"
mkdir -p "$ULVM_CONF_DIR"
echo "global { locking_dir = \"$T/lock\" }" >"$ULVM_CONF_DIR/ulvm.conf"
DEVS="${L[a]},${L[b]}"
step() { echo "== $*"; }

step "lvm2 makes the VG; both tools create 25 LVs each, at the same time"
lvm2 pvcreate -q "${L[a]}" "${L[b]}" >/dev/null
lvm2 vgcreate -q lk "${L[a]}" "${L[b]}" >/dev/null
(for i in $(seq 25); do
	lvcreate -q -an -Zn -L 4M -n "lvm$i" lk >/dev/null 2>"$T/lvm-$i.err" || echo "lvm lvcreate $i failed" >>"$T/failures"
done) &
p1=$!
(for i in $(seq 25); do
	ulvm lvcreate -an -L 4M -n "ulvm$i" --devices "$DEVS" lk >/dev/null 2>"$T/ulvm-$i.err" ||
		echo "ulvm lvcreate $i failed" >>"$T/failures"
done) &
p2=$!
wait "$p1" "$p2"
[ ! -e "$T/failures" ] || { cat "$T/failures" "$T"/*.err; fail "an lvcreate failed"; }
n_lvm=$(lvm2 lvs --noheadings -o lv_name lk | wc -l)
n_ulvm=$(ulvm lvs --noheadings -o lv_name --devices "$DEVS" lk | wc -l)
echo "LVs: lvm2 sees $n_lvm, ulvm sees $n_ulvm"
[ "$n_lvm" = 50 ] && [ "$n_ulvm" = 50 ] || fail "LVs were lost: lvm2 sees $n_lvm, ulvm $n_ulvm (50 made)"
lvm2 vgck lk >/dev/null
ulvm vgck --devices "$DEVS" lk

step "a V_lk lock held elsewhere holds ulvm back until it is released"
flock -x "$T/lock/V_lk" -c "touch $T/held; sleep 3" &
hp=$!
track "$hp"
for _ in $(seq 50); do [ -e "$T/held" ] && break; sleep 0.1; done
ulvm lvcreate -an -L 4M -n late --devices "$DEVS" lk >/dev/null &
up=$!
sleep 1
kill -0 "$up" 2>/dev/null || fail "ulvm lvcreate ran while V_lk was held"
wait "$hp"
wait "$up" || fail "ulvm lvcreate failed after the lock was released"
lvm2 lvs lk/late >/dev/null
[ ! -e "$T/lock/V_lk" ] || ls -l "$T/lock"
echo "lvm-locking: ok"
