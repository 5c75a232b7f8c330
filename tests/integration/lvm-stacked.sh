#!/usr/bin/env bash
# An LV whose areas are other LVs (lvm2's AREA_LV: a striped segment whose
# stripes list names LVs, not PVs), with real lvm2 as the oracle:
#  - the VG text lvm2's vgcfgrestore writes and vgck accepts; ulvm reads it,
#    lvs shows the sub-LVs as its devices, as lvm2's lvs does;
#  - lvchange -ay brings the sub-LVs up below it and serves it over NBD:
#    a pattern written through it lands at the right place of each sub-LV's
#    extents on the PVs; -an takes the sub-LVs down with it;
#  - lvrename renames its "<name>_..." sub-LVs and the references to them,
#    and lvm2 still accepts the VG; lvremove takes them along;
#  - a stripes list that loops (an LV over itself) is refused on read.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
source "$(dirname "$0")/lvm2.bash"
need vgck lvs vgcfgrestore losetup qemu-io nbdinfo python3
export ULVM_CONF_DIR=$T/ulvm
mkdir -p "$ULVM_CONF_DIR"
declare -A L
attach_pvs 64M a b
lvm2_isolate "${L[@]}"
step() { echo "== $*"; }
LVM2_EXPECTED_WARNINGS=('check for active volumes')
E=$((4 * 1024 * 1024))

step "a VG with top striped over hidden top_s0 and top_s1, restored by lvm2"
ulvm pvcreate "${L[a]}" "${L[b]}" >/dev/null
ulvm vgcreate vgs "${L[a]}" "${L[b]}" >/dev/null
ulvm lvcreate -an -l 2 -n top_s0 vgs "${L[a]}" >/dev/null
ulvm lvcreate -an -l 2 -n top_s1 vgs "${L[b]}" >/dev/null
ulvm vgcfgbackup -f "$T/vgs.vg" vgs >/dev/null
python3 - "$T/vgs.vg" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
# the two become hidden sub-LVs
s = re.sub(r'(top_s[01] \{\n\t+id = "[^"]+"\n\t+status = \["READ", "WRITE)(", "VISIBLE")\]', r'\1"]', s)
top = '''
		top {
			id = "aaaaaa-bbbb-cccc-dddd-eeee-ffff-000000"
			status = ["READ", "WRITE", "VISIBLE"]
			flags = []
			segment_count = 1

			segment1 {
				start_extent = 0
				extent_count = 4

				type = "striped"
				stripe_count = 2
				stripe_size = 128

				stripes = [
					"top_s0", 0,
					"top_s1", 0
				]
			}
		}
'''
i = s.index('\t\ttop_s0 {')
s = s[:i] + top.lstrip('\n') + '\n' + s[i:]
open(p, 'w').write(s)
PY
lvm2 vgcfgrestore -f "$T/vgs.vg" vgs >/dev/null
lvm2 vgck vgs >/dev/null
lvs_cmp() { "$@" -a --noheadings -o lv_name,segtype,devices vgs | awk '{$1=$1; print}' | sort; }
lvm2 lvs_cmp lvs >"$T/lvm2.lvs"
lvs_cmp ulvm lvs >"$T/ulvm.lvs"
cat "$T/ulvm.lvs"
diff "$T/lvm2.lvs" "$T/ulvm.lvs" || fail "lvs -a of lvm2 and ulvm differ"
grep -q '^top striped top_s0(0),top_s1(0)$' "$T/ulvm.lvs" || fail "top's devices"

step "lvchange -ay: the sub-LVs below it, I/O lands in their extents"
start_ulvmd
ulvm lvchange -ay vgs/top
[ "$(nbdinfo --size "$(uri vgs/top)")" = $((4 * E)) ] || fail "top's size"
for d in vgs-top_s0 vgs-top_s1 vgs-top; do
	ulvm dmsetup info "$d" >/dev/null || fail "no device $d"
done
ulvm dmsetup table vgs-top | grep -q 'striped 2 128 /dev/mapper/vgs-top_s0 0 /dev/mapper/vgs-top_s1 0$' ||
	fail "top's table: $(ulvm dmsetup table vgs-top)"
# chunk 0 (64 KiB) on top_s0, chunk 1 on top_s1, chunk 2 on top_s0 again
qio "$(uri vgs/top)" "write -P 0xa0 0 64k" "write -P 0xa1 64k 64k" "write -P 0xa2 128k 64k"
# each sub-LV is "0 LEN linear PV OFFSET"
read -r _ _ _ pv0 o0 < <(ulvm dmsetup table vgs-top_s0)
read -r _ _ _ pv1 o1 < <(ulvm dmsetup table vgs-top_s1)
bytes_are "$pv0" $((o0 * 512)) 65536 0xa0
bytes_are "$pv1" $((o1 * 512)) 65536 0xa1
bytes_are "$pv0" $((o0 * 512 + 65536)) 65536 0xa2
ulvm lvchange -an vgs/top
for d in vgs-top_s0 vgs-top_s1 vgs-top; do
	ulvm dmsetup info "$d" >/dev/null 2>&1 && fail "$d still active after lvchange -an"
done

step "lvrename renames the sub-LVs and the stripes list; lvremove takes them along"
ulvm lvrename vgs/top vgs/stack >/dev/null
ulvm lvs -a --noheadings -o lv_name,devices vgs | awk '{$1=$1; print}' | sort >"$T/names"
cat "$T/names"
grep -q '^stack stack_s0(0),stack_s1(0)$' "$T/names" || fail "renamed stack"
grep -q '^\[stack_s0\]' "$T/names" || fail "stack_s0"
lvm2 vgck vgs >/dev/null
ulvm lvchange -ay vgs/stack
qio "$(uri vgs/stack)" "read -P 0xa0 0 64k" "read -P 0xa1 64k 64k" "read -P 0xa2 128k 64k"
ulvm lvremove -y vgs/stack >/dev/null
[ -z "$(ulvm lvs --noheadings -a -o lv_name vgs)" ] || fail "LVs left: $(ulvm lvs -a --noheadings -o lv_name vgs)"
lvm2 vgck vgs >/dev/null

step "stripes that loop are refused on read"
sed 's/"top_s1", 0/"top", 0/' "$T/vgs.vg" >"$T/loop.vg"
if ulvm vgcfgrestore -f "$T/loop.vg" vgs 2>"$T/err"; then
	fail "vgcfgrestore of a looping stack succeeded"
fi
grep -q 'loop' "$T/err" || { cat "$T/err"; fail "no reason for the loop"; }
echo "stacked LVs: ok"
