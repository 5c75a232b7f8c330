#!/usr/bin/env bash
# A VG in the middle of an lvm2 pvmove (metadata as lvm2's pvmove writes
# it: the moved LV on a hidden, locked pvmove0 LV whose "mirror" segment
# has a PV leg on each side; LVM2-FORMAT.md §10.2), restored by lvm2:
#  - ulvm counts the PEs of both legs as used (vgs, lvcreate, vgreduce),
#    so a new LV never lands on them;
#  - a ulvm commit writes the segment back so that lvm2's vgck passes,
#    with its PV keys renumbered when the PV list changes.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lvm2.bash"

for t in pvcreate vgck lvs losetup; do
	command -v "$t" >/dev/null || skip "$t is not installed"
done
export ULVM_CONF_DIR=$T/ulvm
declare -A L
attach_pvs 64M a b c
lvm2_isolate "${L[@]}"
LVM2_EXPECTED_WARNINGS=('check for active volumes')
DEVS="${L[a]},${L[b]},${L[c]}"
u() { ulvm "$@" --devices "$DEVS"; }
step() { echo "== $*"; }

step "lvm2: VG mv (c a b), LV lv on a, then pvmove's metadata: lv -> pvmove0 (a:0 -> b:0)"
lvm2 pvcreate -q "${L[a]}" "${L[b]}" "${L[c]}" >/dev/null
lvm2 vgcreate -q mv "${L[c]}" "${L[a]}" "${L[b]}" >/dev/null
lvm2 lvcreate -an -Zn -l 4 -n lv mv "${L[a]}" >/dev/null
lvm2 vgcfgbackup -f "$T/mv.vg" mv >/dev/null
python3 - "$T/mv.vg" <<'EOF'
import sys
p = sys.argv[1]
t = open(p).read()
t = t.replace('status = ["READ", "WRITE", "VISIBLE"]', 'status = ["READ", "WRITE", "VISIBLE", "LOCKED"]', 1)
t = t.replace('"pv1", 0\n', '"pvmove0", 0\n', 1)
i = t.rindex('\t}\n\n}')
t = t[:i] + '''
		pvmove0 {
			id = "abcdef-ghij-klmn-opqr-stuv-wxyz-012345"
			status = ["READ", "WRITE", "PVMOVE", "LOCKED"]
			flags = []
			allocation_policy = "contiguous"
			segment_count = 1

			segment1 {
				start_extent = 0
				extent_count = 4

				type = "mirror"
				mirror_count = 2
				extents_moved = 0
				region_size = 4096

				mirrors = [
					"pv1", 0,
					"pv2", 0
				]
			}
		}
''' + t[i:]
open(p, 'w').write(t)
EOF
lvm2 vgcfgrestore -f "$T/mv.vg" mv >/dev/null
lvm2 vgck mv >/dev/null

step "ulvm counts both legs as used"
[ "$(u vgs --noheadings -o vg_free_count mv | tr -d ' ')" = "$(lvm2 vgs --noheadings -o vg_free_count mv | tr -d ' ')" ] ||
	fail "ulvm's free extent count differs from lvm2's"
u lvs -a --noheadings -o lv_name,devices mv | grep pvmove0 | grep -q "${L[a]}(0),${L[b]}(0)" ||
	{ u lvs -a -o lv_name,devices mv; fail "pvmove0's legs are not shown"; }
if u vgreduce mv "${L[b]}" >"$T/o" 2>&1; then fail "vgreduce removed the PV of pvmove's destination"; fi
cat "$T/o"
free=$(u vgs --noheadings -o vg_free_count mv | tr -d ' ')
if u lvcreate -an -l $((free + 1)) -n toobig mv >/dev/null 2>&1; then fail "lvcreate took more than the free extents"; fi
u lvcreate -an -l "$free" -n all mv >/dev/null
lvm2 vgck mv >/dev/null # lvm2 checks every PE is used once

step "vgreduce of the first PV: the legs keep naming the right PVs"
u lvremove -f mv/all >/dev/null
u vgreduce mv "${L[c]}" >/dev/null
lvm2 vgck mv >/dev/null
lvm2 lvs -a --noheadings -o lv_name,devices mv | grep pvmove0 | grep -q "${L[a]}(0),${L[b]}(0)" ||
	{ lvm2 lvs -a -o lv_name,devices mv; fail "lvm2 sees pvmove0's legs moved"; }
echo "lvm-pvmove-kept: ok"
