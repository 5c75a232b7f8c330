#!/usr/bin/env bash
# LVM raid4, raid5 and raid6 LVs, with real lvm2 as the oracle of the VG
# text and a model of MD's formulas (raid_parity_model.py) as the oracle of
# the data on the PVs:
#  - ulvm lvcreate --type raid5 -i 3 -I 64k, --type raid6 -i 3, --type raid4
#    -i 2: lvm2's vgck accepts the VG and its lvs -a shows the same LVs,
#    types, sizes and devices; every image on a PV of its own;
#  - data written over NBD is where MD puts it on the images' extents, with
#    P and Q (raid5 is raid5_ls, raid6 raid6_zr, raid4 parity first);
#  - a raid6 LV whose metadata lvm2 wrote (vgcfgrestore of the text) is
#    activated and laid out the same way;
#  - lvextend online (the new part resyncs), --syncaction check counts a
#    corrupted chunk, repair fixes it;
#  - a PV gone: raid5 and raid6 activate degraded (attr 'p'), take writes,
#    lvconvert --repair rebuilds the lost image on a free PV, and the model
#    finds every stripe consistent;
#  - refused, nothing written: raid6 -i 2, raid5 -m 1, a stripe size that is
#    not a power of two.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
source "$(dirname "$0")/lvm2.bash"
source "$(dirname "$0")/raid.bash"
need vgck lvs losetup qemu-io nbdcopy python3
MODEL=$(dirname "$0")/raid_parity_model.py
export ULVM_CONF_DIR=$T/ulvm
mkdir -p "$ULVM_CONF_DIR"
declare -A L
attach_pvs 48M a b c d e f g
lvm2_isolate "${L[@]}"
step() { echo "== $*"; }
LVM2_EXPECTED_WARNINGS=('check for active volumes')
DEVS=$(IFS=,; echo "${L[*]}")
M=$((1024 * 1024))
start_ulvmd
ulvm pvcreate "${L[@]}" >/dev/null
ulvm vgcreate pvg "${L[a]}" "${L[b]}" "${L[c]}" "${L[d]}" "${L[e]}" "${L[f]}" "${L[g]}" >/dev/null

step "lvcreate raid5 -i 3 -I 64k, raid6 -i 3, raid4 -i 2; lvm2 shows the same"
ulvm lvcreate --type raid5 -i 3 -I 64k -L 12M -n r5 pvg
ulvm lvcreate --type raid6 -i 3 -L 12M -n r6 pvg
ulvm lvcreate --type raid4 -i 2 -L 8M -n r4 pvg
for lv in r5 r6 r4; do synced "pvg/$lv"; done
ulvm lvs -a --devices "$DEVS" -o lv_name,lv_attr,segtype,lv_size,stripes,stripe_size,copy_percent,devices pvg
same_as_lvm2 "lvcreate"
ulvm dmsetup table | grep -q "raid raid5_ls 3 128 region_size 4096 4 " || fail "r5's table: $(ulvm dmsetup table)"
ulvm dmsetup table | grep -q "raid raid6_zr 3 128 region_size 4096 5 " || fail "r6's table: $(ulvm dmsetup table)"

step "data over NBD is where MD puts it, with P and Q"
for spec in "r5 raid5_ls 4 12" "r6 raid6_zr 5 12" "r4 raid4 3 8"; do
	read -r lv type n mib <<<"$spec"
	head -c $((mib * M)) /dev/urandom >"$T/$lv.img"
	nbdcopy --flush "$T/$lv.img" "nbd+unix:///pvg/$lv?socket=$SOCK"
	model "$lv" "$type" "$n" "$T/$lv.img"
done

step "a raid6 LV whose metadata lvm2 wrote activates, laid out the same"
for i in 0 1 2 3 4; do
	pv=${L[$(echo a b c d e | cut -d' ' -f$((i + 1)))]}
	lvm2 lvcreate -an -Zn -Wn -y -l 1 -n "l6m$i" pvg "$pv" >/dev/null
	lvm2 lvcreate -an -Zn -Wn -y -l 2 -n "l6i$i" pvg "$pv" >/dev/null
done
lvm2 vgcfgbackup -f "$T/pvg.vg" pvg >/dev/null
python3 - "$T/pvg.vg" <<'EOF'
import re, sys
p = sys.argv[1]
s = open(p).read()
# lvm2 reserves the sub-LV names: made as l6mN/l6iN, renamed here
s = re.sub(r'\bl6m(\d) \{', r'l6_rmeta_\1 {', s)
s = re.sub(r'\bl6i(\d) \{', r'l6_rimage_\1 {', s)
s = re.sub(r'(l6_r(?:meta|image)_\d \{\n\t*id = "[^"]*"\n\t*)status = \["READ", "WRITE", "VISIBLE"\]',
           r'\1status = ["READ", "WRITE"]', s)
lv = '''
		l6 {
			id = "Raid6a-0000-0000-0000-0000-0000-000001"
			status = ["READ", "WRITE", "VISIBLE"]
			flags = []
			segment_count = 1

			segment1 {
				start_extent = 0
				extent_count = 6

				type = "raid6"
				device_count = 5
				region_size = 4096
				stripe_size = 128

				raids = [
					"l6_rmeta_0", "l6_rimage_0",
					"l6_rmeta_1", "l6_rimage_1",
					"l6_rmeta_2", "l6_rimage_2",
					"l6_rmeta_3", "l6_rimage_3",
					"l6_rmeta_4", "l6_rimage_4"
				]
			}
		}
'''
i = s.index("\t\tl6_rmeta_0 {")
open(p, "w").write(s[:i] + lv.lstrip("\n") + "\n" + s[i:])
EOF
lvm2 vgcfgrestore --force -f "$T/pvg.vg" pvg >/dev/null
lvm2 vgck pvg >/dev/null
ulvm lvchange --devices "$DEVS" -ay pvg/l6
synced pvg/l6
head -c $((6 * M)) /dev/urandom >"$T/l6.img"
nbdcopy --flush "$T/l6.img" "nbd+unix:///pvg/l6?socket=$SOCK"
model l6 raid6_zr 5 "$T/l6.img"

step "lvextend online: the new part resyncs, the old data stays; check and repair"
ulvm lvextend --devices "$DEVS" -L +12M pvg/r5
synced pvg/r5
[ "$(nbdinfo --size "nbd+unix:///pvg/r5?socket=$SOCK")" = $((24 * M)) ] || fail "r5's export did not grow"
nbdcopy "nbd+unix:///pvg/r5?socket=$SOCK" "$T/back"
cmp -n $((12 * M)) "$T/r5.img" "$T/back" || fail "lvextend changed r5's data"
head -c $((12 * M)) /dev/urandom >>"$T/r5.img"
nbdcopy --flush "$T/r5.img" "nbd+unix:///pvg/r5?socket=$SOCK"
same_as_lvm2 "lvextend"
model r5 raid5_ls 4 "$T/r5.img"
# stripe 0 of r5 has its P at the start of rimage_3 (raid5_ls on 4 images)
python3 - pvg r5 <<'EOF'
import json, subprocess, sys
rows = json.loads(subprocess.run(["lvm", "lvs", "-a", "--reportformat", "json", "--units", "b", "--nosuffix", "-o",
                                  "lv_name,seg_pe_ranges,vg_extent_size", sys.argv[1]],
                                 capture_output=True, text=True).stdout)["report"][0]["lv"]
row = next(r for r in rows if r["lv_name"] == f"[{sys.argv[2]}_rimage_3]")
dev, pe = row["seg_pe_ranges"].split()[0].split(":")
pe_start = int(subprocess.run(["lvm", "pvs", "--noheadings", "--units", "b", "--nosuffix", "-o", "pe_start", dev],
                              capture_output=True, text=True).stdout)
with open(dev, "r+b") as f:
    f.seek(pe_start + int(pe.split("-")[0]) * int(row["vg_extent_size"]) + 8192)
    f.write(b"CORRUPT")
EOF
ulvm lvchange --devices "$DEVS" --syncaction check pvg/r5
synced pvg/r5
mm=$(ulvm lvs --devices "$DEVS" --noheadings -o raid_mismatch_count pvg/r5 | tr -d ' ')
[ "$mm" -gt 0 ] || fail "check found no mismatch"
echo "check: $mm sectors mismatched"
ulvm lvchange --devices "$DEVS" --syncaction repair pvg/r5
synced pvg/r5
ulvm lvchange --devices "$DEVS" --syncaction check pvg/r5
synced pvg/r5
[ "$(ulvm lvs --devices "$DEVS" --noheadings -o raid_mismatch_count pvg/r5 | tr -d ' ')" = 0 ] || fail "mismatches after repair"

step "refused, nothing written: raid6 -i 2, raid5 -m 1, stripe size 48k"
seq0=$(lvm2 vgs --noheadings -o vg_seqno pvg | tr -d ' ')
if ulvm lvcreate --type raid6 -i 2 -L 4M -n bad pvg 2>"$T/err"; then fail "raid6 -i 2 accepted"; fi
grep -q "Minimum of 3 stripes required for raid6" "$T/err" || fail "raid6 -i 2: $(cat "$T/err")"
if ulvm lvcreate --type raid5 -m 1 -L 4M -n bad pvg 2>"$T/err"; then fail "raid5 -m 1 accepted"; fi
grep -q "takes no --mirrors" "$T/err" || fail "raid5 -m 1: $(cat "$T/err")"
if ulvm lvcreate --type raid5 -i 2 -I 48k -L 4M -n bad pvg 2>"$T/err"; then fail "stripe size 48k accepted"; fi
grep -qiE "power of two|Invalid argument for --stripesize" "$T/err" || fail "-I 48k: $(cat "$T/err")"
[ "$(lvm2 vgs --noheadings -o vg_seqno pvg | tr -d ' ')" = "$seq0" ] || fail "a refused lvcreate changed the VG"

step "PV b gone: r5 and r6 activate degraded, take writes, lvconvert --repair rebuilds on a free PV"
ulvm lvchange --devices "$DEVS" -an pvg/r5 pvg/r6 pvg/r4 pvg/l6
stop_ulvmd
lose_pv "${L[b]}"
start_ulvmd
for spec in "r5 raid5_ls 4" "r6 raid6_zr 5"; do
	read -r lv type n <<<"$spec"
	ulvm lvchange --devices "$DEVS" -ay "pvg/$lv" 2>"$T/err" || { cat "$T/err"; fail "$lv did not activate degraded"; }
	attr=$(ulvm lvs --devices "$DEVS" --noheadings -o lv_attr "pvg/$lv" 2>/dev/null | tr -d ' ')
	[ "${attr:8:1}" = p ] || fail "$lv attr $attr: no 'p' (partial)"
	nbdcopy "nbd+unix:///pvg/$lv?socket=$SOCK" "$T/back"
	cmp "$T/$lv.img" "$T/back" || fail "$lv: degraded reads differ"
	python3 - "$T/$lv.img" <<'EOF'
import random, sys
p = sys.argv[1]
d = bytearray(open(p, "rb").read())
d[1 << 20:(1 << 20) + 300000] = random.Random(5).randbytes(300000)
open(p, "wb").write(d)
EOF
	nbdcopy --flush "$T/$lv.img" "nbd+unix:///pvg/$lv?socket=$SOCK"
	ulvm lvconvert --devices "$DEVS" --repair "pvg/$lv" | tee "$T/out"
	grep -q "Faulty devices in pvg/$lv successfully replaced" "$T/out" || fail "--repair said: $(cat "$T/out")"
	synced "pvg/$lv"
	nbdcopy "nbd+unix:///pvg/$lv?socket=$SOCK" "$T/back"
	cmp "$T/$lv.img" "$T/back" || fail "$lv: data differs after the repair"
	model "$lv" "$type" "$n" "$T/$lv.img"
done
stop_ulvmd
echo "lvm-raid-parity: ok"
