#!/usr/bin/env bash
# lvm2's VG limits, with real lvm2 as the oracle (same_refusal: the same
# exit status and message lines from both):
#  - vgchange -x n makes a VG not resizeable (lvm2 reads the flag ulvm
#    wrote, ulvm the one lvm2 wrote): vgextend, vgreduce, vgsplit (by PV,
#    by -n LV, into a non-resizeable VG) and vgchange -l/-p are refused;
#    vgmerge is not (lvm2 does not check it either);
#  - vgchange -l N (MaxLogicalVolume): lvcreate of any type is refused
#    once the VG holds N visible LVs; N below that count is refused;
#  - vgchange -p N (MaxPhysicalVolumes): vgextend past it is refused, and
#    vgcreate -p N of more PVs; vgcreate -l/-p set both;
#  - every refusal leaves the PVs as they were (checksums).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lvm2.bash"
need pvcreate vgck vgs lvs losetup
export ULVM_CONF_DIR=$T/ulvm
mkdir -p "$ULVM_CONF_DIR"
declare -A L
attach_pvs 32M a b c d e
lvm2_isolate "${L[@]}"
step() { echo "== $*"; }
sums() { md5sum "${L[a]}" "${L[b]}" "${L[c]}" "${L[d]}" "${L[e]}"; }
# lvm2 refuses it, ulvm says the same, and no byte of any PV changed
same_refused() {
	local before
	before=$(sums)
	same_refusal "$@"
	[ "$(sums)" = "$before" ] || fail "a refused $* changed the PVs"
}
attr() { lvm2 vgs --noheadings -o vg_attr "$1" | tr -d ' '; }
ulvm pvcreate "${L[a]}" "${L[b]}" "${L[c]}" "${L[d]}" "${L[e]}" >/dev/null
lvm2 vgcreate vg "${L[a]}" "${L[b]}" >/dev/null
lvm2 vgcreate vg2 "${L[c]}" >/dev/null
lvm2 lvcreate -an -Zn -Wn -y -L 4M -n l1 vg "${L[a]}" >/dev/null

step "vgchange -x n: lvm2 reads the flag ulvm wrote; the VG's PVs stay"
ulvm vgchange -x n vg | grep -qx '  Volume group "vg" successfully changed' || fail "vgchange -x n"
[ "$(attr vg)" = w---n- ] || fail "lvm2 sees vg as $(attr vg)"
[ "$(ulvm vgs --noheadings -o vg_attr vg | tr -d ' ')" = w---n- ] || fail "ulvm's vg_attr"
same_refused vgchange -x n vg
same_refused vgextend vg "${L[d]}"
same_refused vgreduce vg "${L[b]}"
same_refused vgsplit vg vg3 "${L[b]}"
same_refused vgsplit vg vg2 "${L[b]}"
same_refused vgsplit -n l1 vg vg2
same_refused vgchange -l 1 vg
same_refused vgchange -p 4 vg
lvm2 vgchange -x n vg2 >/dev/null # and into a VG lvm2 made not resizeable
lvm2 vgchange -x y vg >/dev/null
same_refused vgsplit vg vg2 "${L[b]}"
same_refused vgsplit -n l1 vg vg2
ulvm vgchange -x y vg2 >/dev/null
[ "$(attr vg2)" = wz--n- ] || fail "lvm2 sees vg2 as $(attr vg2)"

step "vgchange -l N: MaxLogicalVolume holds for every lvcreate"
same_refusal vgchange -x y vg
ulvm vgchange -l 1 vg >/dev/null
[ "$(lvm2 vgs --noheadings -o max_lv vg | tr -d ' ')" = 1 ] || fail "lvm2 does not see MaxLV 1"
same_refused lvcreate -an -Zn -Wn -L 4M -n l2 vg
same_refused lvcreate -an --type thin-pool -L 8M -n pool vg
same_refused lvcreate -an --type raid1 -m 1 -L 4M -n r vg
ulvm vgchange -l 0 vg >/dev/null
ulvm lvcreate -an -Zn -Wn -L 4M -n l2 vg >/dev/null
same_refused vgchange -l 1 vg

step "vgchange -p N: MaxPhysicalVolumes holds for vgextend"
same_refused vgchange -p 1 vg
ulvm vgchange -p 2 vg >/dev/null
[ "$(lvm2 vgs --noheadings -o max_pv vg | tr -d ' ')" = 2 ] || fail "lvm2 does not see MaxPV 2"
same_refused vgextend vg "${L[d]}"
same_refused vgcreate -p 1 vg9 "${L[d]}" "${L[e]}"
ulvm vgcreate -l 3 -p 5 vg9 "${L[e]}" >/dev/null
[ "$(lvm2 vgs --noheadings --separator , -o max_lv,max_pv vg9 | tr -d ' ')" = 3,5 ] || fail "vgcreate -l 3 -p 5"
ulvm vgremove vg9 >/dev/null
lvm2 vgchange -p 0 vg >/dev/null
ulvm vgextend vg "${L[d]}" | grep -q 'successfully extended' || fail "vgextend after MaxPV 0"

step "vgmerge takes no notice of the flag, as lvm2"
ulvm vgchange -x n vg >/dev/null
ulvm vgmerge vg vg2 | grep -q 'successfully merged' || fail "vgmerge into a VG that is not resizeable"
lvm2 vgck vg >/dev/null
[ "$(lvm2 vgs --noheadings -o pv_count vg | tr -d ' ')" = 4 ] || fail "vgmerge"
echo "lvm-vg-limits: ok"
