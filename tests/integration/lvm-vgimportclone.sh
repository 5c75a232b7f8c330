#!/usr/bin/env bash
# vgimportclone: a copy of a VG's disks (a cloned VM image) used beside
# the original, with real lvm2 as the oracle:
#  - the copy's devices alone are refused while any ulvm serves an LV of
#    it ("deactivate first"), and when not every PV of its VG is given;
#  - ulvm gives the copy new PV and VG uuids and the name VG1 (lvm2's
#    rule), and adds the copy to the devices file under its new PVIDs;
#    lvm2's vgck accepts both VGs, lvm2 and ulvm report the same, and
#    lvm2's own vgimportclone of the same copy lays it out the same way;
#  - both VGs are active in one ulvmd at once: the copy has the data of
#    the moment it was made, writes to it leave the original as it was;
#  - -n NAME, with 1, 2... added while taken; an exported copy needs -i;
#  - pvchange -u and vgchange -u, refused while an LV is active, then
#    read by lvm2; vgchange --alloc.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
source "$(dirname "$0")/lvm2.bash"
need vgimportclone vgck lvs losetup qemu-io md5sum blockdev
export ULVM_CONF_DIR=$T/ulvm
mkdir -p "$ULVM_CONF_DIR"
declare -A L
attach_pvs 32M a b ca cb
lvm2_isolate "${L[@]}"
# lvm2 sees the copy beside the original until it is renamed
LVM2_EXPECTED_WARNINGS=('Not using device' 'prefers device')
step() { echo "== $*"; }
ids() { sed -E 's/[A-Za-z0-9]{6}(-[A-Za-z0-9]{4}){5}-[A-Za-z0-9]{6}/UUID/g'; }
layout() {
	"$@" lvs -a --noheadings -o vg_name,lv_name,lv_uuid,segtype,lv_size,seg_pe_ranges | awk '{$1=$1; print}' | sort
	"$@" pvs --noheadings -o pv_name,vg_name,pv_uuid,pv_attr,pv_free | awk '{$1=$1; print}' | sort
	"$@" vgs --noheadings -o vg_name,vg_uuid,vg_attr,pv_count,lv_count | awk '{$1=$1; print}' | sort
}
copy() { # copy the original's PVs onto the copy's
	cp --sparse=always "$T/a.img" "$T/ca.img"
	cp --sparse=always "$T/b.img" "$T/cb.img"
	blockdev --flushbufs "${L[ca]}"
	blockdev --flushbufs "${L[cb]}"
}

start_ulvmd
step "a VG with data, and a copy of its disks"
ulvm pvcreate "${L[a]}" "${L[b]}" >/dev/null
ulvm vgcreate vg0 "${L[a]}" "${L[b]}" >/dev/null
ulvm lvcreate -L 8M -n lin vg0 "${L[a]}" >/dev/null
ulvm lvcreate -i 2 -L 8M -n str vg0 >/dev/null
qio "$(uri vg0/lin)" "write -P 0x11 0 8M" "flush"
qio "$(uri vg0/str)" "write -P 0x22 0 8M" "flush"
ulvm vgchange -an vg0 >/dev/null
copy

step "refused: the copy in use, a PV of it left out; nothing written"
sums() { md5sum <"$T/ca.img"; md5sum <"$T/cb.img"; }
# the copy alone can be activated (--devices): then it may not change
ulvm lvchange -ay --devices "${L[ca]},${L[cb]}" vg0/lin >/dev/null
expect_refused "has active LVs, deactivate first" ulvm vgimportclone "${L[ca]}" "${L[cb]}"
ulvm lvchange -an --devices "${L[ca]},${L[cb]}" vg0/lin >/dev/null
expect_refused "All PVs in the VG must be imported together" ulvm vgimportclone "${L[ca]}"
expect_refused "duplicate PV uuid" ulvm vgimportclone "${L[ca]}" "${L[cb]}" "${L[a]}"
expect_refused "Failed to find device" ulvm vgimportclone "${L[ca]}" /dev/nosuchdevice

step "vgimportclone: new uuids, the name vg01, as lvm2"
cp --sparse=always "$T/ca.img" "$T/ca.before"
cp --sparse=always "$T/cb.img" "$T/cb.before"
ulvm vgimportclone "${L[ca]}" "${L[cb]}" >"$T/out" || fail "vgimportclone"
[ -s "$T/out" ] && { cat "$T/out"; fail "vgimportclone printed something (lvm2 prints nothing)"; }
grep -q "PVID=none" "$ULVM_CONF_DIR/devices" && fail "the devices file lost a PVID"
for d in "${L[ca]}" "${L[cb]}"; do
	id=$(ulvm pvs --noheadings -o pv_uuid "$d" | tr -d ' -')
	grep -q "DEVNAME=$d PVID=$id" "$ULVM_CONF_DIR/devices" || fail "$d is not in the devices file as $id"
done
lvm2 vgck vg0 >/dev/null
lvm2 vgck vg01 >/dev/null
layout lvm2 >"$T/lvm.txt"
layout ulvm >"$T/ulvm.txt"
diff "$T/lvm.txt" "$T/ulvm.txt" || fail "lvm2 and ulvm read the VGs differently"
[ "$(ulvm pvs --noheadings -o pv_uuid | sort -u | wc -l)" = 4 ] || fail "PV uuids are not all new"
[ "$(ulvm vgs --noheadings -o vg_uuid | sort -u | wc -l)" = 2 ] || fail "the VG uuid is not new"
[ "$(ulvm lvs --noheadings -o lv_uuid vg0/lin vg01/lin | sort -u | wc -l)" = 1 ] ||
	fail "the LV uuids changed (lvm2 keeps them)"
ids <"$T/ulvm.txt" >"$T/ulvm.ids"
cp --sparse=always "$T/ca.img" "$T/ca.after"
cp --sparse=always "$T/cb.img" "$T/cb.after"
cp --sparse=always "$T/ca.before" "$T/ca.img"
cp --sparse=always "$T/cb.before" "$T/cb.img"
blockdev --flushbufs "${L[ca]}"
blockdev --flushbufs "${L[cb]}"
lvm2 vgimportclone "${L[ca]}" "${L[cb]}" >/dev/null
layout lvm2 | ids >"$T/lvm.ids"
diff "$T/lvm.ids" "$T/ulvm.ids" || fail "lvm2's vgimportclone lays the copy out otherwise"
cp --sparse=always "$T/ca.after" "$T/ca.img"
cp --sparse=always "$T/cb.after" "$T/cb.img"
blockdev --flushbufs "${L[ca]}"
blockdev --flushbufs "${L[cb]}"

step "the original and the copy active at once"
ulvm vgchange -ay vg0 vg01 >/dev/null
rqio "$(uri vg01/lin)" "read -P 0x11 0 8M"
rqio "$(uri vg01/str)" "read -P 0x22 0 8M"
qio "$(uri vg01/lin)" "write -P 0x33 0 8M" "flush"
rqio "$(uri vg0/lin)" "read -P 0x11 0 8M"
ulvm vgchange -an vg0 vg01 >/dev/null

step "-n NAME (1, 2... added while taken); an exported copy needs -i"
copy
ulvm vgimportclone -n vg0 "${L[ca]}" "${L[cb]}" || fail "vgimportclone -n"
ulvm vgs vg01 >/dev/null || fail "no vg01 (vg0 is taken)"
ulvm vgexport vg0 >/dev/null
copy
expect_refused "VG vg0 is exported, use the --import option." ulvm vgimportclone "${L[ca]}" "${L[cb]}"
ulvm vgimportclone -i -n copy "${L[ca]}" "${L[cb]}" || fail "vgimportclone -i"
ulvm vgs --noheadings -o vg_attr copy | grep -q 'wz--n-' || fail "the copy is still exported"
ulvm vgs --noheadings -o vg_attr vg0 | grep -q 'wzx-n-' || fail "the original is no longer exported"
lvm2 vgck copy >/dev/null

step "pvchange -u, vgchange -u (refused while active), vgchange --alloc; lvm2 reads them"
ulvm vgchange -ay copy >/dev/null
expect_refused "Volume group has active logical volumes" ulvm vgchange -u copy
expect_refused "has active logical volumes" ulvm pvchange -u "${L[ca]}"
ulvm vgchange -an copy >/dev/null
old=$(ulvm pvs --noheadings -o pv_uuid "${L[ca]}" | tr -d ' ')
ulvm pvchange -u "${L[ca]}" | grep -q "Physical volume \"${L[ca]}\" changed" || fail "pvchange -u"
ulvm vgchange -u copy | grep -q 'Volume group "copy" successfully changed' || fail "vgchange -u"
ulvm vgchange --alloc contiguous copy >/dev/null
new=$(ulvm pvs --noheadings -o pv_uuid "${L[ca]}" | tr -d ' ')
[ "$new" != "$old" ] || fail "pvchange -u kept the uuid"
[ "$(lvm2 pvs --noheadings -o pv_uuid "${L[ca]}" | tr -d ' ')" = "$new" ] || fail "lvm2 reads another PV uuid"
[ "$(lvm2 vgs --noheadings -o vg_uuid copy)" = "$(ulvm vgs --noheadings -o vg_uuid copy)" ] ||
	fail "lvm2 reads another VG uuid"
lvm2 vgs --noheadings -o vg_attr copy | grep -q 'wz--c-' || fail "lvm2 does not read the allocation policy"
grep -q "DEVNAME=${L[ca]} PVID=$(echo "$new" | tr -d -)$" "$ULVM_CONF_DIR/devices" || fail "devices file not updated"
lvm2 vgck copy >/dev/null
same_refusal vgchange --alloc contiguous copy
ulvm vgchange -ay copy >/dev/null
rqio "$(uri copy/lin)" "read -P 0x11 0 8M"
ulvm vgchange -an copy >/dev/null

step "two VGs with one name: vgrename by the VG's UUID, as lvm2 offers it"
vg0id=$(ulvm vgs --noheadings -o vg_uuid vg0 | tr -d ' ')
copyid=$(ulvm vgs --noheadings -o vg_uuid copy | tr -d ' ')
ulvm vgrename --devices "${L[ca]},${L[cb]}" copy vg0 >/dev/null
if ulvm vgs vg0 >/dev/null 2>"$T/err"; then fail "vgs of a name two VGs share"; fi
grep -q "multiple VGs found with the same name vg0" "$T/err" || { cat "$T/err"; fail "no reason for the shared name"; }
ulvm vgrename "$copyid" copy2 >"$T/out" || fail "vgrename by UUID"
grep -q "Processing VG vg0 because of matching UUID $copyid" "$T/out" || { cat "$T/out"; fail "vgrename by UUID said"; }
[ "$(ulvm vgs --noheadings -o vg_uuid copy2 | tr -d ' ')" = "$copyid" ] || fail "copy2 is not the copy"
[ "$(ulvm vgs --noheadings -o vg_uuid vg0 | tr -d ' ')" = "$vg0id" ] || fail "vg0 is not the original"
LVM2_EXPECTED_WARNINGS=()
[ "$(lvm2 vgs --noheadings -o vg_uuid vg0 2>/dev/null | tr -d ' ')" = "$vg0id" ] || fail "lvm2 does not see vg0 as it was"
lvm2 vgck copy2 >/dev/null
stop_ulvmd
echo "ok"
