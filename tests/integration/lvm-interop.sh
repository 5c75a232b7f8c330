#!/usr/bin/env bash
# ulvm's lvm2 verbs against real lvm2 on loop devices (isolated lvm.conf,
# activation disabled), failing on any WARNING lvm2 prints:
#  - ulvm creates, extends, reduces, renames and removes; lvm2's vgck and
#    lvs -o +devices,seg_pe_ranges accept it and agree with ulvm lvs;
#  - lvm2 then extends an LV and ulvm reads it;
#  - lvm2 makes a VG with linear and striped LVs and writes data at the PE
#    offsets; ulvm activates them in ulvmd and NBD serves the same bytes.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lvm2.bash"

for t in pvcreate vgcreate lvcreate lvextend vgck lvs losetup truncate cmp nbdcopy; do
	command -v "$t" >/dev/null || skip "$t is not installed"
done
[ -e /dev/loop-control ] || skip "no loop devices"
export ULVM_CONF_DIR=$T/ulvm
declare -A L
for f in a b c d e f; do
	mkfile "$T/$f.img" 64M
	L[$f]=$(losetup -f --show "$T/$f.img") || skip "cannot attach a loop device"
	track_loop "${L[$f]}"
done
lvm2_isolate "${L[@]}"
step() { echo "== $*"; }
# "lv range range..." lines, sorted, from both tools
ranges() { "$@" --noheadings -o lv_name,seg_pe_ranges | awk '{$1=$1; print}' | sort; }

step "ulvm creates, extends, reduces, renames, removes; lvm2 agrees"
ulvm pvcreate "${L[a]}" "${L[b]}" "${L[c]}" >/dev/null
ulvm vgcreate ourvg "${L[a]}" "${L[b]}" >/dev/null
ulvm vgextend ourvg "${L[c]}" >/dev/null
ulvm lvcreate -an -L 20M -n lin ourvg >/dev/null
ulvm lvcreate -an -i 3 -I 64k -l 6 -n str ourvg >/dev/null
ulvm lvcreate -an -l 2 -n tmp ourvg "${L[c]}:10-11" >/dev/null
ulvm lvextend -L +8M ourvg/lin >/dev/null
ulvm lvreduce -y -l -1 ourvg/lin >/dev/null
ulvm lvrename ourvg lin home >/dev/null
ulvm lvremove -y ourvg/tmp >/dev/null
lvm2 vgck ourvg >/dev/null
lvm2 pvs >/dev/null
lvm2 vgs ourvg >/dev/null
ranges lvm2 lvs ourvg >"$T/lvm.txt"
ranges ulvm lvs ourvg >"$T/ulvm.txt"
diff "$T/lvm.txt" "$T/ulvm.txt" || fail "lvs of lvm2 and ulvm differ"
ulvm vgck ourvg

step "--nameprefixes, --unquoted, --rows, --separator --aligned print as lvm2's"
for fmt in "--nameprefixes" "--nameprefixes --unquoted" "--rows" "--separator : --aligned" "--rows --nameprefixes"; do
	# shellcheck disable=SC2086
	lvm2 lvs $fmt -o lv_name,lv_size,seg_count,stripes ourvg >"$T/lvm.txt"
	# shellcheck disable=SC2086
	ulvm lvs $fmt -o lv_name,lv_size,seg_count,stripes ourvg >"$T/ulvm.txt"
	diff "$T/lvm.txt" "$T/ulvm.txt" || fail "lvs $fmt: lvm2 and ulvm differ"
done

step "lvm2 extends our LV; we read it"
lvm2 lvextend -l +2 ourvg/home >/dev/null
ranges lvm2 lvs ourvg >"$T/lvm.txt"
ranges ulvm lvs ourvg >"$T/ulvm.txt"
diff "$T/lvm.txt" "$T/ulvm.txt" || fail "ulvm reads lvm2's extension differently"
ulvm vgck ourvg

step "pvdisplay, vgdisplay, lvdisplay: the long formats match lvm2's field by field"
# Left out: "LV Status" (lvm2 omits the line with activation disabled;
# ulvm says NOT available without ulvmd).  Both run with the same TZ.
for cmd in "pvdisplay" "pvdisplay ${L[a]}" "vgdisplay ourvg" "lvdisplay ourvg" "lvdisplay ourvg/home"; do
	lvm2 $cmd | grep -v '^  LV Status ' >"$T/lvm.txt"
	ulvm $cmd | grep -v '^  LV Status ' >"$T/ulvm.txt"
	diff "$T/lvm.txt" "$T/ulvm.txt" || fail "$cmd: lvm2 and ulvm differ"
done
ulvm lvdisplay ourvg/home | grep -q '^  LV Status              NOT available$' || fail "lvdisplay: LV Status"

step "metadata wraps both ways"
for i in $(seq 1 30); do
	ulvm lvcreate -an -l 1 -n "w$i" ourvg >/dev/null
	lvm2 lvchange --addtag "t$i" "ourvg/w$i" >/dev/null
done
lvm2 vgck ourvg >/dev/null
ulvm vgck ourvg
[ "$(ulvm vgs --noheadings -o vg_seqno ourvg | tr -d ' ')" = \
  "$(lvm2 vgs --noheadings -o vg_seqno ourvg | tr -d ' ')" ] || fail "seqno differs"

step "lvm2's VG: ulvm activates linear and striped LVs, NBD serves the bytes"
lvm2 pvcreate "${L[d]}" "${L[e]}" >/dev/null
lvm2 vgcreate lvmvg "${L[d]}" "${L[e]}" >/dev/null
lvm2 lvcreate -an -Zn -n lin -l 3 lvmvg >/dev/null
lvm2 lvcreate -an -Zn -n str -i 2 -I 64k -l 4 lvmvg >/dev/null
# Write the expected bytes through the PE offsets lvm2 reports.
head -c $((3 * 4 << 20)) /dev/urandom >"$T/lin.data"
read -r pe < <(lvm2 lvs --noheadings -o seg_pe_ranges lvmvg/lin | sed 's/.*:\([0-9]*\)-.*/\1/')
dd if="$T/lin.data" of="${L[d]}" bs=1M seek=$((1 + pe * 4)) conv=notrunc status=none
start_ulvmd
ulvm lvchange -ay --devices "${L[d]},${L[e]}" lvmvg/lin lvmvg/str
nbdcopy "$(uri lvmvg/lin)" "$T/lin.out"
cmp "$T/lin.data" "$T/lin.out" || fail "lvmvg/lin over NBD differs from the PEs"
head -c $((4 * 4 << 20)) /dev/urandom >"$T/str.data"
nbdcopy "$T/str.data" "$(uri lvmvg/str)"
nbdcopy "$(uri lvmvg/str)" "$T/str.out"
cmp "$T/str.data" "$T/str.out" || fail "striped LV read-back differs"
ulvm lvchange -an --devices "${L[d]},${L[e]}" lvmvg/lin lvmvg/str
stop_ulvmd
lvm2 vgck lvmvg >/dev/null

step "pvresize: shrink and grow within the free extents; lvm2 agrees"
ulvm pvcreate "${L[f]}" >/dev/null
ulvm vgcreate rsvg "${L[f]}" >/dev/null
ulvm lvcreate -an -l 3 -n keep rsvg >/dev/null
pe() { lvm2 pvs --noheadings -o pv_pe_count "${L[f]}" | tr -d ' '; }
ulvm pvresize --setphysicalvolumesize 32M "${L[f]}" >/dev/null
lvm2 vgck rsvg >/dev/null
[ "$(pe)" = 7 ] || fail "after pvresize to 32M lvm2 sees $(pe) extents"
if ulvm pvresize --setphysicalvolumesize 12M "${L[f]}" 2>"$T/err"; then fail "pvresize cut allocated extents"; fi
grep -q allocated "$T/err" || fail "pvresize below the allocation: $(cat "$T/err")"
ulvm pvresize "${L[f]}" >/dev/null
lvm2 vgck rsvg >/dev/null
[ "$(pe)" = 15 ] || fail "after pvresize to the device size lvm2 sees $(pe) extents"
pvresize -y --setphysicalvolumesize 40M "${L[f]}" >/dev/null 2>&1 || fail "lvm2 pvresize"
[ "$(ulvm pvs --noheadings -o pv_pe_count "${L[f]}" | tr -d ' ')" = 9 ] || fail "ulvm does not read lvm2's pvresize"
ulvm vgremove -y rsvg >/dev/null

step "bad input: a duplicate PV uuid is refused"
cp "$T/d.img" "$T/dup.img"
if ulvm lvs --devices "${L[d]},$T/dup.img" 2>"$T/err"; then fail "duplicate PV uuids accepted"; fi
grep -q "duplicate PV uuid" "$T/err" || fail "no clear message: $(cat "$T/err")"

echo "lvm-interop: ok"
