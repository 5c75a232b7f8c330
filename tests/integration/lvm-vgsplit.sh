#!/usr/bin/env bash
# vgsplit and vgmerge as lvm2 does them, with real lvm2 as the oracle:
#  - refused with lvm2's words and exit status, nothing written: an LV
#    with extents on both sides (a striped LV, a raid LV), the same VG
#    twice, a PV not in the VG, a bad VG name, -n with PVs, an active LV
#    (ulvm's: it is served), an existing VG with another extent size or
#    an LV of the same name;
#  - ulvm splits a raid1 LV (with its images) off into a new VG, then a
#    thin pool with its thin LV and the linear LV into that VG (-n POOL,
#    then a PV): after each step lvm2's vgck accepts both VGs and lvs -a,
#    pvs and vgs of lvm2 and ulvm agree, and lvm2 doing the same split on
#    the same PVs gives the same layout;
#  - the data written before stays: each LV is activated in its new VG
#    and read over NBD;
#  - ulvm merges the VGs back, as lvm2 (of two pool metadata spares the
#    larger is kept);
#    lvm2 splits and ulvm reads the result and merges it back too.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
source "$(dirname "$0")/lvm2.bash"
need vgsplit vgmerge vgck lvs losetup qemu-io python3 md5sum blockdev
export ULVM_CONF_DIR=$T/ulvm
mkdir -p "$ULVM_CONF_DIR"
declare -A L
attach_pvs 48M a b c d e f
lvm2_isolate "${L[@]}"
step() { echo "== $*"; }
sums() { for f in a b c d e f; do md5sum <"$T/$f.img"; done; }
# the layout both tools report, sorted
layout() {
	"$@" lvs -a --noheadings -o vg_name,lv_name,lv_uuid,segtype,lv_size,seg_pe_ranges | awk '{$1=$1; print}' | sort
	"$@" pvs --noheadings -o pv_name,vg_name,pv_attr,pv_free | awk '{$1=$1; print}' | sort
	"$@" vgs --noheadings -o vg_name,vg_attr,vg_extent_size,pv_count,lv_count,vg_mda_count,vg_free |
		awk '{$1=$1; print}' | sort
}
agree() {
	local vg
	for vg in "$@"; do lvm2 vgck "$vg" >/dev/null; done
	layout lvm2 >"$T/lvm.txt"
	layout ulvm >"$T/ulvm.txt"
	diff "$T/lvm.txt" "$T/ulvm.txt" || fail "lvm2 and ulvm read the VGs differently"
}
# the PV images as they are, and back (for lvm2 to do the same change)
save() { for f in a b c d e f; do cp --sparse=always "$T/$f.img" "$T/$f.$1"; done; }
restore() {
	for f in a b c d e f; do
		cp --sparse=always "$T/$f.$1" "$T/$f.img"
		blockdev --flushbufs "${L[$f]}"
	done
}
# do CMD with ulvm, then the same with lvm2 on the PVs as they were:
# the same layout but for the new VG's uuid
same_as_lvm2() {
	save before
	ulvm "$@" || fail "ulvm $*"
	layout ulvm | sed -E 's/ [A-Za-z0-9]{6}(-[A-Za-z0-9]{4}){5}-[A-Za-z0-9]{6} / UUID /' >"$T/ulvm.layout"
	save after
	restore before
	lvm2 "$@" >/dev/null
	layout lvm2 | sed -E 's/ [A-Za-z0-9]{6}(-[A-Za-z0-9]{4}){5}-[A-Za-z0-9]{6} / UUID /' >"$T/lvm.layout"
	diff "$T/lvm.layout" "$T/ulvm.layout" || fail "$*: lvm2 lays it out otherwise"
	restore after
}

# lvm2's vgmerge warns when the merged VG's seqno is above the source's
# (lvmcache_has_old_metadata): the source's PVs hold "older" metadata
LVM2_EXPECTED_WARNINGS=('updating old metadata')
start_ulvmd
step "a VG of linear, striped, raid1 and thin LVs, each with data"
ulvm pvcreate "${L[@]}" >/dev/null
ulvm vgcreate vg0 "${L[a]}" "${L[b]}" "${L[c]}" "${L[d]}" "${L[e]}" "${L[f]}" >/dev/null
ulvm lvcreate -L 8M -n lin vg0 "${L[a]}" >/dev/null
ulvm lvcreate --type raid1 -m 1 -L 8M -n r1 vg0 "${L[b]}" "${L[c]}" >/dev/null
ulvm lvcreate -T vg0/pool -L 8M "${L[d]}" >/dev/null
ulvm lvcreate -T vg0/pool -V 16M -n thin >/dev/null
ulvm lvcreate -i 2 -L 8M -n str vg0 "${L[e]}" "${L[f]}" >/dev/null
qio "$(uri vg0/lin)" "write -P 0x11 0 8M" "flush"
qio "$(uri vg0/r1)" "write -P 0x22 0 8M" "flush"
qio "$(uri vg0/thin)" "write -P 0x33 1M 2M" "flush"
qio "$(uri vg0/str)" "write -P 0x44 0 8M" "flush"
ulvm lvchange -an vg0/lin vg0/r1 vg0/str >/dev/null

step "refusals: lvm2's words and exit status, nothing written"
before=$(sums)
same_refusal vgsplit vg0 vg1 "${L[e]}"
same_refusal vgsplit vg0 vg1 "${L[b]}"
same_refusal vgsplit vg0 vg0 "${L[a]}"
same_refusal vgsplit vg0 vg1 /dev/nosuchpv
same_refusal vgsplit vg0 bad/name "${L[a]}"
same_refusal vgsplit -n nosuchlv vg0 vg1
same_refusal vgsplit -n lin vg0 vg1 "${L[a]}"
same_refusal vgmerge vg0 vg0
same_refusal vgmerge vg0 nosuchvg
# the pool is active in ulvmd (its thin LV is served): lvm2 has no such state here
expect_refused "must be inactive" ulvm vgsplit vg0 vg1 "${L[d]}"
[ "$(sums)" = "$before" ] || fail "a refused command changed the PVs"
ulvm lvchange -an vg0/thin vg0/pool >/dev/null
agree vg0

step "vgsplit: raid1 LV into a new VG, as lvm2"
same_as_lvm2 vgsplit vg0 vg1 "${L[b]}" "${L[c]}"
agree vg0 vg1
ulvm vgs -o vg_name,lv_count vg1 | grep -q 'vg1 *1' || fail "vg1 does not hold r1"

step "vgsplit -n POOL, then a PV, into the existing VG"
same_as_lvm2 vgsplit -n pool vg0 vg1
agree vg0 vg1
lvm2 lvs vg1/thin >/dev/null
same_as_lvm2 vgsplit vg0 vg1 "${L[a]}"
agree vg0 vg1
ulvm lvs --noheadings -o lv_name vg0 | grep -qw str || fail "str left vg0"

step "the data stays: each LV read in its VG"
ulvm vgchange -ay vg1 >/dev/null
rqio "$(uri vg1/lin)" "read -P 0x11 0 8M"
rqio "$(uri vg1/r1)" "read -P 0x22 0 8M"
rqio "$(uri vg1/thin)" "read -P 0x33 1M 2M"
ulvm lvchange -ay vg0/str >/dev/null
rqio "$(uri vg0/str)" "read -P 0x44 0 8M"

step "vgmerge refusals: active LVs, another extent size, an LV name in both"
# only a linear LV stays active (a raid LV may write its bitmap meanwhile)
ulvm vgchange -an vg0 >/dev/null
ulvm lvchange -an vg1/r1 vg1/thin vg1/pool >/dev/null
expect_refused 'Logical volumes in "vg1" must be inactive' ulvm vgmerge vg0 vg1
ulvm vgchange -an vg1 >/dev/null
mkfile "$T/g.img" 32M
ulvm pvcreate "$T/g.img" >/dev/null
ulvm vgcreate -s 1m vg9 "$T/g.img" >/dev/null
expect_refused 'Extent sizes differ: 8192 (vg0) and 2048 (vg9)' ulvm vgmerge vg0 vg9
ulvm vgremove -y vg9 >/dev/null
ulvm vgcreate vg9 "$T/g.img" >/dev/null
ulvm lvcreate -an -L 4M -n str vg9 >/dev/null
expect_refused 'Duplicate logical volume name "str" in "vg9" and "vg0"' ulvm vgmerge vg9 vg0
ulvm vgremove -y vg9 >/dev/null
ulvm pvremove "$T/g.img" >/dev/null

step "vgmerge: vg1 back into vg0, as lvm2 (two pool metadata spares: the larger stays)"
ulvm lvcreate -an -T vg0/pool2 -L 4M --poolmetadatasize 8M "${L[e]}" >/dev/null
[ "$(ulvm lvs -a --noheadings -o lv_name | grep -c pmspare)" = 2 ] || fail "not a spare in each VG"
same_as_lvm2 vgmerge vg0 vg1
agree vg0
[ "$(lvm2 lvs -a --noheadings -o lv_name,lv_size vg0 | grep pmspare | awk '{print $2}')" = 8.00m ] ||
	fail "not one pool metadata spare, the larger"

step "lvm2 splits, ulvm reads and merges back"
lvm2 vgsplit vg0 vg2 "${L[b]}" "${L[c]}" >/dev/null
agree vg0 vg2
ulvm lvchange -ay vg2/r1 >/dev/null
rqio "$(uri vg2/r1)" "read -P 0x22 0 8M"
ulvm lvchange -an vg2/r1 >/dev/null
ulvm vgmerge vg0 vg2 | grep -q 'Volume group "vg2" successfully merged into "vg0"' || fail "vgmerge said otherwise"
agree vg0
ulvm vgchange -ay vg0 >/dev/null
rqio "$(uri vg0/r1)" "read -P 0x22 0 8M"
rqio "$(uri vg0/thin)" "read -P 0x33 1M 2M"
ulvm vgchange -an vg0 >/dev/null
stop_ulvmd
echo "ok"
