#!/usr/bin/env bash
# lvchange --refresh and vgchange --refresh (lvm2's lv_refresh and
# vg_refresh_visible): an active raid1 LV's image fails (its device is
# switched to the error target, as a leg that went away), writes go on
# degraded; a refresh loads the LV's tables again, the image comes back
# and only what was written meanwhile is copied to it (the bitmap): both
# images read the same from the PVs afterwards, as lvm2 maps them.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
source "$(dirname "$0")/lvm2.bash"
source "$(dirname "$0")/raid.bash"
need vgck lvs losetup qemu-io python3
export ULVM_CONF_DIR=$T/ulvm
mkdir -p "$ULVM_CONF_DIR"
declare -A L
attach_pvs 32M a b
lvm2_isolate "${L[@]}"
step() { echo "== $*"; }
DEVS="${L[a]},${L[b]}"
ulvm pvcreate "${L[a]}" "${L[b]}" >/dev/null
ulvm vgcreate -s 1m rvg "${L[a]}" "${L[b]}" >/dev/null
start_ulvmd
ulvm lvcreate --type raid1 -m 1 -L 8M -n r rvg >/dev/null
synced rvg/r
fail_leg() {
	ulvm dmsetup reload rvg-r_rimage_1 --table "0 $(ulvm dmsetup table rvg-r_rimage_1 | awk '{print $2}') error"
	ulvm dmsetup resume rvg-r_rimage_1
	qio "$(uri rvg/r)" "write -P $1 1M 2M" "flush" # no error to the client: the leg fails
	ulvm dmsetup status rvg-r | grep -q " AD " || fail "the image did not fail: $(ulvm dmsetup status rvg-r)"
}
same_images() {
	lvm2_extents rvg r_rimage_0 "$T/img0"
	lvm2_extents rvg r_rimage_1 "$T/img1"
	cmp "$T/img0" "$T/img1" || fail "$1: the images differ on the PVs"
}

for how in "lvchange --refresh rvg/r" "vgchange --refresh rvg"; do
	step "$how brings a failed image back; what was written meanwhile is copied to it"
	pat=0x$((RANDOM % 90 + 10))
	fail_leg "$pat"
	ulvm $how
	synced rvg/r
	ulvm dmsetup status rvg-r | grep -q " AA " || fail "$how: $(ulvm dmsetup status rvg-r)"
	ulvm dmsetup table rvg-r_rimage_1 | grep -q " linear " || fail "$how: r_rimage_1 is still the error target"
	qio "$(uri rvg/r)" "read -P $pat 1M 2M"
	ulvm lvchange -an rvg/r
	same_images "$how"
	ulvm lvchange -ay rvg/r
	synced rvg/r
done
if ulvm vgchange --refresh -ay rvg 2>"$T/err"; then fail "vgchange --refresh -ay accepted"; fi
grep -q -- "--refresh goes without -a." "$T/err" || fail "vgchange --refresh -ay: $(cat "$T/err")"
lvm2 vgck rvg >/dev/null
echo "lvm-refresh: ok"
