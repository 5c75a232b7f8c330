#!/usr/bin/env bash
# lvconvert --type thin --thinpool POOL VG/LV (lvmthin(7), "Thin volume
# with external origin" made of an existing LV), with real lvm2 and
# thin_check as oracles:
#  - an LV lvm2 made, holding a mounted ext4, becomes a thin LV of POOL
#    while the filesystem is in use: the same device (name and uuid, as
#    lvm2's swap of identifiers), its old extents now the read-only LV
#    lvol1 (lvol0_pmspare takes lvol0, as in lvm2); what is written after
#    goes into the pool, lvol1 keeps the filesystem of the moment of the
#    conversion; both fsck clean;
#  - lvm2's vgck and lvs -a read the VG as ulvm lists it (the attr 'o' of
#    an external origin); thin_check accepts the pool's metadata;
#  - vgchange -an takes the thin LV down before its external origin, and
#    vgremove -f of such a VG goes through;
#  - a plain LV named by --thinpool is made a thin pool first (lvm2's
#    question; no leaves everything as it was), --originname names the
#    external origin, an inactive LV stays inactive;
#  - refused, nothing written: the LV as its own pool, a pool in another
#    VG or missing, --type thin without --thinpool, an internal LV, a thin
#    LV, an origin name in use.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
source "$(dirname "$0")/lvm2.bash"
need pvcreate vgck lvs losetup qemu-io thin_check mkfs.ext4 fsck.ext4 nbdfuse
fs_can_ext4 || skip "no FUSE here"
export ULVM_CONF_DIR=$T/ulvm
mkdir -p "$ULVM_CONF_DIR"
declare -A L
attach_pvs 64M a b c
lvm2_isolate "${L[@]}"
step() { echo "== $*"; }
DEVS="${L[a]},${L[b]},${L[c]}"
u() { ulvm "$1" --devices "$DEVS" "${@:2}"; }
F=lv_name,lv_attr,lv_size,segtype,pool_lv,origin,lv_uuid,devices
same_as_lvm2() { same_lvs_a vg "$F" "$1"; }
seqno() { lvm2 vgs --noheadings -o vg_seqno vg | tr -d ' '; }
refused() { refused_keeps_vg vg "$1" u lvconvert "${@:2}"; }
uuid() { lvm2 lvs -a --noheadings -o lv_uuid "vg/$1" | tr -d ' '; }
attr() { lvm2 lvs -a --noheadings -o lv_attr "vg/$1" | tr -d ' '; }
FZ=$T/fuse MNT=$T/mnt
mkdir -p "$FZ" "$MNT"
here=$(cd "$(dirname "$0")" && pwd)

step "an LV lvm2 made holds a mounted ext4"
lvm2 pvcreate "${L[a]}" "${L[b]}" "${L[c]}" >/dev/null
lvm2 vgcreate -s 1m vg "${L[a]}" "${L[b]}" "${L[c]}" >/dev/null
lvm2 lvcreate -an -Zn -Wn -y -L 32M -n base vg "${L[a]}" >/dev/null
lvm2 lvcreate -an -Zn -Wn -y -L 4M -n other vg "${L[c]}" >/dev/null
uuid0=$(uuid base)
start_ulvmd
u lvcreate --type thin-pool -L 40M -n pool vg "${L[b]}" >/dev/null
u lvcreate -T vg/pool -V 8M -n thin0 >/dev/null
u lvchange -ay vg/base
fs_attach vg/base
mkfs.ext4 -q -F "$LOOP"
mount "$LOOP" "$MNT"
track_mount "$MNT"
cp -r "$here" "$MNT/before"
sync

step "refused, nothing written (the filesystem stays mounted)"
refused "Use a different LV for thin pool LV and thin LV vg/base." --type thin --thinpool vg/base vg/base
refused "Please use a single volume group name (\"vg\" or \"vg2\")." --type thin --thinpool vg2/pool vg/base
refused "Thin pool nosuch not found." --type thin --thinpool nosuch vg/base
refused "lvconvert --type thin needs --thinpool POOL." --type thin vg/base
refused "lvconvert --type thin needs --thinpool POOL." -T vg/base
refused "--originname goes with --type thin --thinpool POOL." --originname x vg/base
refused "Can't convert internal LV vg/pool_tdata." --type thin --thinpool vg/pool vg/pool_tdata
refused "Thin LV vg/thin0 as an external origin is not supported yet." --type thin --thinpool vg/pool vg/thin0
refused "already exists" --type thin --thinpool vg/pool --originname other vg/base
ulvm dmsetup table vg-base | grep -q " linear " || fail "a refusal changed vg-base's table"

step "lvconvert --type thin --thinpool vg/pool vg/base under the mounted filesystem"
u lvconvert --type thin --thinpool vg/pool vg/base | tee "$T/out"
grep -qx '  Logical volume "lvol1" created.' "$T/out" || fail "no created line"
grep -qx '  Converted vg/base to thin volume with external origin vg/lvol1.' "$T/out" || fail "no Converted line"
ulvm dmsetup table vg-base | grep -q " thin /dev/mapper/vg-pool-tpool [0-9]* /dev/mapper/vg-lvol1$" ||
	{ ulvm dmsetup table; fail "vg-base is not a thin device over vg-lvol1"; }
cp -r "$here" "$MNT/after"
rm "$MNT/before/lib.sh"
sync
umount "$MNT"
fsck.ext4 -fn "$LOOP" >"$T/fsck.log" 2>&1 || { cat "$T/fsck.log"; fail "fsck of vg/base after the conversion"; }
fs_detach
same_as_lvm2 "converted"
[ "$(uuid base)" = "$uuid0" ] || fail "vg/base did not keep its uuid"
[ "$(uuid lvol1)" != "$uuid0" ] || fail "vg/lvol1 has vg/base's uuid"
[ "$(attr lvol1 | cut -c1-2)" = or ] || fail "lvm2: vg/lvol1 is not a read-only origin ($(attr lvol1))"
[ "$(lvm2 lvs --noheadings -o origin vg/base | tr -d ' ')" = lvol1 ] || fail "lvm2: base's origin is not lvol1"
[ "$(lvm2 lvs --noheadings -o segtype vg/base | tr -d ' ')" = thin ] || fail "lvm2: base is not thin"

step "the external origin holds the filesystem as it was; the thin LV what came after"
check_fs() { # EXPORT WANT-AFTER
	fs_attach "$1"
	fsck.ext4 -fn "$LOOP" >"$T/fsck.log" 2>&1 || { cat "$T/fsck.log"; fail "fsck of $1"; }
	mount -o ro,noload "$LOOP" "$MNT" # the origin's journal is as a crash left it
	if [ "$2" = yes ]; then
		[ -d "$MNT/after" ] && [ ! -e "$MNT/before/lib.sh" ] || fail "$1 lacks what was written after"
		diff -r "$here" "$MNT/after" >/dev/null || fail "the files in $1/after differ"
	else
		[ ! -e "$MNT/after" ] && [ -f "$MNT/before/lib.sh" ] || fail "$1 is not the filesystem of the moment"
		diff -r "$here" "$MNT/before" >/dev/null || fail "the files in $1/before differ"
	fi
	umount "$MNT"
	fs_detach
}
check_fs vg/lvol1 no
check_fs vg/base yes
ulvm dmsetup table vg-lvol1 >/dev/null || fail "vg-lvol1 is not active"

step "vgchange -an (the thin LV before its origin); thin_check; up again"
u vgchange -an vg | tee "$T/out"
grep -q ' 0 logical volume(s) in volume group "vg" now active' "$T/out" || fail "vgchange -an left LVs active"
lvm2_extents vg pool_tmeta "$T/tmeta"
thin_check "$T/tmeta" || fail "thin_check of the pool's metadata"
u lvchange -ay vg/base >/dev/null
check_fs vg/base yes

step "a plain LV as --thinpool: made a thin pool first; --originname; an inactive LV stays inactive"
lvm2 lvcreate -an -Zn -Wn -y -L 16M -n p2 vg "${L[c]}" >/dev/null
u lvcreate -an -Zn -Wn -L 8M -n img vg "${L[c]}" >/dev/null
u lvchange -ay vg/img >/dev/null
qio "$(uri vg/img)" "write -P 0x33 0 8M" "flush"
u lvchange -an vg/img >/dev/null
s0=$(seqno)
echo n | u lvconvert --type thin --thinpool vg/p2 --originname img_base vg/img >"$T/out" 2>&1 &&
	{ cat "$T/out"; fail "converted after a no"; }
grep -q "Do you really want to convert vg/p2?" "$T/out" || { cat "$T/out"; fail "no question about vg/p2"; }
[ "$(seqno)" = "$s0" ] || fail "a no changed the VG"
u lvconvert -y --type thin --thinpool vg/p2 --originname img_base vg/img | tee "$T/out"
grep -q "Converted vg/p2 to thin pool." "$T/out" || fail "vg/p2 was not made a pool"
grep -qx '  Converted vg/img to thin volume with external origin vg/img_base.' "$T/out" || fail "no Converted line"
same_as_lvm2 "a new pool, --originname"
if ulvm dmsetup info vg-img >/dev/null 2>&1; then fail "the inactive vg/img was activated"; fi
u lvchange -ay vg/img >/dev/null
qio "$(uri vg/img)" "read -P 0x33 0 8M" "write -P 0x44 4M 1M" "flush" "read -P 0x33 0 4M" "read -P 0x44 4M 1M"
rqio "$(uri vg/img_base)" "read -P 0x33 0 8M"

step "vgremove -f with active thin LVs over external origins"
u vgremove -f vg >/dev/null
if lvm vgs vg >/dev/null 2>&1; then fail "vg is still there"; fi
stop_ulvmd
echo "thin-external: ok"
