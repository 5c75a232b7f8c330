#!/usr/bin/env bash
# lvconvert of plain LVs into a thin pool (lvm2's lvmthin(7) recipe "create
# a thin pool from two LVs"), with real lvm2 and thin_check as oracles:
#  - lvconvert --type thin-pool --poolmetadata VG/META VG/DATA on LVs lvm2
#    made: lvm2's warning and question; no leaves everything as it was;
#    yes makes DATA the pool (DATA_tdata, META wiped as DATA_tmeta, the
#    spare), which lvm2's vgck and lvs -a read as ulvm lists it;
#  - a thin LV in it keeps what is written (qemu-io), and thin_check
#    accepts the metadata read from the PVs where lvm2 says they are;
#  - lvconvert --thinpool VG/LV: a new metadata LV of the default size;
#    an active LV gives an active pool;
#  - refused, nothing written: the same LV as data and metadata, metadata
#    too small, an internal LV, a thin pool again, --poolmetadata alone;
#  - lvconvert --repair VG/POOL (refused while active): metadata damaged on
#    the PV (thin_check fails) is rebuilt by thin_repair into the spare,
#    which becomes POOL_tmeta (thin_check passes, the thin LV reads back);
#    the damaged copy stays as the visible POOL_meta0, a new spare is made;
#  - --swapmetadata --poolmetadata LV (and --thinpool POOL --poolmetadata
#    LV): LV and POOL_tmeta trade extents and uuids as in lvm2 (refused
#    while the pool is active); swapped back, the thin LV reads again.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
source "$(dirname "$0")/lvm2.bash"
need pvcreate vgck lvs losetup qemu-io thin_check
export ULVM_CONF_DIR=$T/ulvm
mkdir -p "$ULVM_CONF_DIR"
declare -A L
attach_pvs 64M a b
lvm2_isolate "${L[@]}"
step() { echo "== $*"; }
DEVS="${L[a]},${L[b]}"
u() { ulvm "$1" --devices "$DEVS" "${@:2}"; }
F=lv_name,lv_attr,lv_size,segtype,data_lv,metadata_lv,chunk_size,devices
same_as_lvm2() { same_lvs_a vg "$F" "$1"; }
seqno() { lvm2 vgs --noheadings -o vg_seqno vg | tr -d ' '; }
refused() { refused_keeps_vg vg "$1" u lvconvert "${@:2}"; }

step "LVs lvm2 made: lvconvert --type thin-pool --poolmetadata asks first, as lvm2"
lvm2 pvcreate "${L[a]}" "${L[b]}" >/dev/null
lvm2 vgcreate -s 1m vg "${L[a]}" "${L[b]}" >/dev/null
lvm2 lvcreate -an -Zn -Wn -y -L 16M -n data vg "${L[a]}" >/dev/null
lvm2 lvcreate -an -Zn -Wn -y -L 4M -n meta vg "${L[b]}" >/dev/null
lvm2 lvcreate -an -Zn -Wn -y -L 1M -n tiny vg "${L[b]}" >/dev/null
lvm2 lvcreate -an -Zn -Wn -y -L 8M -n d2 vg "${L[b]}" >/dev/null
start_ulvmd
u lvchange -ay vg/meta
qio "$(uri vg/meta)" "write -P 0x77 0 1M" "flush" # old contents the conversion must wipe
u lvchange -an vg/meta
s0=$(seqno)
echo n | u lvconvert --type thin-pool --poolmetadata vg/meta vg/data >"$T/out" 2>&1 && fail "converted after a no"
cat "$T/out"
grep -q "WARNING: Converting vg/data and vg/meta to thin pool's data and metadata volumes with metadata wiping." \
	"$T/out" || fail "no warning"
grep -q "Do you really want to convert vg/data and vg/meta? \[y/n\]" "$T/out" || fail "no question"
grep -q "Conversion aborted." "$T/out" || fail "no refusal"
[ "$(seqno)" = "$s0" ] || fail "a no changed the VG"

step "refused, nothing written"
refused "Can't use same LV for pool data and metadata LV vg/data." --type thin-pool --poolmetadata vg/data vg/data
refused "Pool metadata LV vg/tiny is too small (1 extents) for required metadata (2 extents)." -y \
	--type thin-pool --poolmetadata tiny vg/data
refused "--poolmetadata goes with --type thin-pool" --poolmetadata vg/meta vg/data
refused "Unknown pool metadata LV nosuch." -y --type thin-pool --poolmetadata vg/nosuch vg/data

step "yes: the pool as lvm2 lists it, its metadata wiped"
u lvconvert -y --type thin-pool --poolmetadata vg/meta vg/data | tee "$T/out"
grep -q "Converted vg/data and vg/meta to thin pool." "$T/out" || fail "no Converted line"
same_as_lvm2 "converted"
[ "$(lvm2 lvs --noheadings -o segtype vg/data | tr -d ' ')" = thin-pool ] || fail "lvm2: vg/data is not a thin pool"
lvm2_extents vg data_tmeta "$T/meta.after"
cmp -n 4096 /dev/zero "$T/meta.after" || fail "the metadata LV's first block was not wiped"

step "a thin LV in it keeps its data; thin_check accepts the metadata"
u lvcreate -V 64M -T vg/data -n thin1
qio "$(uri vg/thin1)" "write -P 0x3d 0 4M" "flush"
qio "$(uri vg/thin1)" "read -P 0x3d 0 4M"
u lvchange -an vg/data >/dev/null
lvm2_extents vg data_tmeta "$T/tmeta"
thin_check "$T/tmeta" || fail "thin_check of the converted pool's metadata"
u lvchange -ay vg/thin1 >/dev/null
qio "$(uri vg/thin1)" "read -P 0x3d 0 4M"
same_as_lvm2 "with a thin LV"

step "--thinpool VG/LV: a metadata LV of the default size; the active LV's pool is active"
u lvchange -ay vg/d2
# no room for the metadata LV: refused before anything changes, d2 still served
u lvcreate -l 100%FREE -n filler vg >/dev/null
refused "Insufficient free space" -y --thinpool vg/d2
ulvm dmsetup info vg-d2 >/dev/null || fail "a refused conversion deactivated vg/d2"
u lvremove -y vg/filler >/dev/null
u lvconvert -y --thinpool vg/d2 | grep -q "Converted vg/d2 to thin pool." || fail "--thinpool"
same_as_lvm2 "--thinpool"
[ "$(u lvs --noheadings --units m --nosuffix -o lv_size vg/d2_tmeta | tr -d ' ')" = 2.00 ] ||
	fail "d2_tmeta is not lvm2's default 2 MiB"
u lvs --noheadings -o lv_attr vg/d2 | grep -q "^ *twi-a" || fail "the pool of an active LV is not active"
u lvcreate -V 16M -T vg/d2 -n thin2 >/dev/null
qio "$(uri vg/thin2)" "write -P 0x4e 0 1M" "read -P 0x4e 0 1M"

step "refused: an internal LV, a pool again"
refused "Can't convert internal LV vg/data_tdata." -y --type thin-pool vg/data_tdata
refused "Operation not permitted on LV vg/d2 of type thin-pool" -y --type thin-pool vg/d2
lvm2 vgck vg >/dev/null

step "lvconvert --repair of damaged metadata: thin_repair into the spare, the old kept as data_meta0"
u lvchange -ay vg/thin1 >/dev/null
refused "Active pools cannot be repaired.  Use lvchange -an first." --repair vg/data
u lvchange -an vg/data >/dev/null
# 8 bytes of the metadata's block 1 (its space map here) zeroed on the PV
range=$(lvm2 lvs -a --noheadings -o lv_name,seg_pe_ranges vg | awk '$1 == "[data_tmeta]" { print $2 }')
dev=${range%%:*} pe=${range#*:}
pe=${pe%%-*}
start=$(lvm2 pvs --noheadings --units b --nosuffix -o pe_start "$dev" | tr -d ' ')
dd if=/dev/zero of="$dev" bs=1 count=8 seek=$((start + pe * 1048576 + 4096 + 8)) conv=notrunc status=none
blockdev --flushbufs "$dev"
lvm2_extents vg data_tmeta "$T/damaged"
if thin_check "$T/damaged" >/dev/null 2>&1; then fail "the metadata is not damaged"; fi
u lvconvert --repair vg/data 2>&1 | tee "$T/out"
grep -q "WARNING: LV vg/data_meta0 holds a backup of the unrepaired metadata." "$T/out" || fail "no backup warning"
lvm2_extents vg data_tmeta "$T/repaired"
thin_check "$T/repaired" || fail "thin_check of the repaired metadata"
lvm2_extents vg data_meta0 "$T/kept"
cmp "$T/damaged" "$T/kept" || fail "data_meta0 does not hold the metadata as it was"
same_as_lvm2 "repaired"
u lvs --noheadings -o lv_attr vg/data_meta0 | grep -q "^ *-wi" || fail "data_meta0 is not a visible linear LV"
u lvchange -ay vg/thin1 >/dev/null
qio "$(uri vg/thin1)" "read -P 0x3d 0 4M"

step "--swapmetadata (and --thinpool POOL --poolmetadata LV): the LV and POOL_tmeta trade places, uuids too"
refused "Cannot convert pool vg/data with active volumes." -y --swapmetadata --poolmetadata vg/data_meta0 vg/data
u lvchange -an vg/data >/dev/null
uuid() { lvm2 lvs -a --noheadings -o lv_uuid "vg/$1" | tr -d ' '; }
before_meta0=$(uuid data_meta0) before_tmeta=$(uuid data_tmeta)
u lvconvert -y --thinpool vg/data --poolmetadata vg/data_meta0
lvm2_extents vg data_tmeta "$T/now-tmeta"
lvm2_extents vg data_meta0 "$T/now-meta0"
cmp "$T/damaged" "$T/now-tmeta" && cmp "$T/repaired" "$T/now-meta0" || fail "the metadata did not trade places"
[ "$(uuid data_tmeta)" = "$before_meta0" ] && [ "$(uuid data_meta0)" = "$before_tmeta" ] ||
	fail "the uuids did not go with the extents, as lvm2's swap"
same_as_lvm2 "swapped"
u lvconvert -y --swapmetadata --poolmetadata data_meta0 vg/data
lvm2_extents vg data_tmeta "$T/back"
cmp "$T/repaired" "$T/back" || fail "swapping back did not restore the repaired metadata"
u lvchange -ay vg/thin1 >/dev/null
qio "$(uri vg/thin1)" "read -P 0x3d 0 4M"
u lvchange -an vg/data >/dev/null
lvm2 vgck vg >/dev/null
stop_ulvmd
echo "thin-convert: ok"
