#!/usr/bin/env bash
# lvconvert --type between raid levels that keep the data in place (lvm2's
# takeover), online, with real lvm2 and a model of MD's formulas
# (raid_parity_model.py) as the oracles:
#  - raid1 of 2 images -> raid5 -> raid1: the data reads back the same
#    throughout, no image added or rebuilt, lvm2 shows the same LVs;
#  - raid5 -i 3 -> raid6 (lvm2's offer for it: raid6_ls_6): a Q image
#    added on a free PV and rebuilt; the model finds the data, P and Q where
#    MD puts them for raid6_ls_6, every superblock says md level 6, layout
#    18 (left-symmetric-6), as the kernel's dm-raid writes after a takeover,
#    and the LV activates again; with two images switched to the error
#    target the LV still reads back whole;
#  - raid6_ls_6 -> raid5 (raid5_ls): the Q image dropped, the model finds
#    raid5_ls;
#  - striped -i 3 -> raid5 (lvm2's offer: raid5_n, a P image rebuilt) ->
#    raid6 (raid6_n_6) -> striped, and striped -> raid0 -> raid5_n ->
#    raid0_meta -> raid6_n_6 -> raid0_meta -> raid0 -> striped (a raid0_meta
#    LV is served with its superblocks): the data in place at every step, the
#    model finds raid5_n and raid6_n_6, lvm2 shows the same LVs;
#  - refused with a message, the VG unchanged: raid1 of 3 images -> raid5,
#    raid5 of 3 images -> raid6, raid5 -> raid6_zr (a reshape), raid6 (zr)
#    -> raid5, -m with a takeover, striped -i 2 -> raid6, striped ->
#    raid5_ls (a reshape), linear -> raid5, striped -> raid5 with no PV
#    left for P.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
source "$(dirname "$0")/lvm2.bash"
source "$(dirname "$0")/raid.bash"
need vgck lvs losetup nbdcopy python3
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
uri() { echo "nbd+unix:///pvg/$1?socket=$SOCK"; }
same_data() { # LV: reads back as $T/LV.img
	nbdcopy "$(uri "$1")" "$T/back"
	cmp "$T/$1.img" "$T/back" || fail "$1: its data changed"
}
segtype() { ulvm lvs --devices "$DEVS" --noheadings -o segtype "pvg/$1" | tr -d ' '; }
# superblocks LV: "level layout devices position" of each image's dm-raid
# superblock (dm-raid.c's struct dm_raid_superblock, little-endian), read
# from its rmeta's extent on the PV where lvm2 says it is.
superblocks() {
	python3 - pvg "$1" <<'EOF' || fail "$1: cannot read its superblocks"
import json, struct, subprocess, sys
vg, lv = sys.argv[1], sys.argv[2]
rows = json.loads(subprocess.run(["lvm", "lvs", "-a", "--reportformat", "json", "--units", "b", "--nosuffix", "-o",
                                  "lv_name,seg_pe_ranges,vg_extent_size", vg],
                                 capture_output=True, text=True).stdout)["report"][0]["lv"]
out = []
for i in range(64):
    row = next((r for r in rows if r["lv_name"] == f"[{lv}_rmeta_{i}]"), None)
    if not row:
        break
    dev, pe = row["seg_pe_ranges"].split()[0].split(":")
    pe_start = int(subprocess.run(["lvm", "pvs", "--noheadings", "--units", "b", "--nosuffix", "-o", "pe_start",
                                   dev], capture_output=True, text=True).stdout)
    with open(dev, "rb") as f:
        f.seek(pe_start + int(pe.split("-")[0]) * int(row["vg_extent_size"]))
        b = f.read(64)
    magic, _, ndev, pos = struct.unpack_from("<IIII", b, 0)
    level, layout = struct.unpack_from("<II", b, 48)
    out.append(f"{level} {layout} {ndev} {pos}" if magic == 0x64526D44 else "none")
print(",".join(out))
EOF
}
# takeover LV TYPE SEGTYPE IMAGES: lvconvert --type TYPE (its output in
# $T/conv), then LV is SEGTYPE with IMAGES images, in sync, reads back as
# written, and lvm2 shows the same LVs.
takeover() {
	ulvm lvconvert --devices "$DEVS" -y --type "$2" "pvg/$1" >"$T/conv" 2>&1 || { cat "$T/conv"; fail "$1 -> $2 refused"; }
	cat "$T/conv"
	[ "$(segtype "$1")" = "$3" ] && [ "$(images "$1")" = "$4" ] ||
		fail "$1 -> $2: $1 is $(segtype "$1") with $(images "$1") images"
	case $3 in raid0* | striped) ;; *) synced "pvg/$1" ;; esac
	same_data "$1"
	same_as_lvm2 "$1 -> $2"
}
images() { ulvm lvs -a --devices "$DEVS" --noheadings -o lv_name pvg | grep -c "\[$1_rimage_"; }

start_ulvmd
ulvm pvcreate "${L[@]}" >/dev/null
ulvm vgcreate pvg "${L[@]}" >/dev/null

step "raid1 of 2 images -> raid5 -> raid1, online, the data in place"
ulvm lvcreate --type raid1 -m 1 -L 8M -n m pvg >/dev/null
synced pvg/m
head -c $((8 * M)) /dev/urandom >"$T/m.img"
nbdcopy --flush "$T/m.img" "$(uri m)"
takeover m raid5 raid5 2
grep -q "Logical volume pvg/m successfully converted" "$T/conv" || fail "raid1 -> raid5 said: $(cat "$T/conv")"
ulvm dmsetup table pvg-m | grep -q " raid raid5_ls 3 128 region_size " || fail "m's table: $(ulvm dmsetup table pvg-m)"
ulvm dmsetup status pvg-m | grep -q " raid raid5_ls 2 AA " || fail "m's status: $(ulvm dmsetup status pvg-m)"
[ "$(superblocks m)" = "5 2 2 0,5 2 2 1" ] || fail "m's superblocks after raid1 -> raid5: $(superblocks m)"
model m raid5_ls 2 "$T/m.img"
takeover m raid1 raid1 2
[ "$(superblocks m)" = "1 0 2 0,1 0 2 1" ] || fail "m's superblocks after raid5 -> raid1: $(superblocks m)"

step "raid5 -i 3 -> raid6: lvm2's raid6_ls_6, a Q image added and rebuilt"
ulvm lvcreate --type raid5 -i 3 -L 12M -n r pvg >/dev/null
synced pvg/r
head -c $((12 * M)) /dev/urandom >"$T/r.img"
nbdcopy --flush "$T/r.img" "$(uri r)"
takeover r raid6 raid6_ls_6 5
grep -q "Replaced LV type raid6 (same as raid6_zr) with possible type raid6_ls_6" "$T/conv" ||
	fail "raid5 -> raid6 said: $(cat "$T/conv")"
sbs="6 18 5 0,6 18 5 1,6 18 5 2,6 18 5 3,6 18 5 4"
[ "$(superblocks r)" = "$sbs" ] || fail "r's superblocks after raid5 -> raid6_ls_6: $(superblocks r)"
ulvm lvchange --devices "$DEVS" -an pvg/r
ulvm lvchange --devices "$DEVS" -ay pvg/r
synced pvg/r
same_data r
model r raid6_ls_6 5 "$T/r.img"

step "raid6_ls_6 -> raid5: the Q image dropped"
takeover r raid5 raid5 4
ulvm dmsetup info pvg-r_rimage_4 >/dev/null 2>&1 && fail "the dropped image's device is still there"
sbs="5 2 4 0,5 2 4 1,5 2 4 2,5 2 4 3"
[ "$(superblocks r)" = "$sbs" ] || fail "r's superblocks after raid6_ls_6 -> raid5: $(superblocks r)"
model r raid5_ls 4 "$T/r.img"

step "striped -i 3 -> raid5 (lvm2's raid5_n) -> raid6 (raid6_n_6) -> striped, online"
ulvm lvcreate -i 3 -I 64k -L 12M -n s pvg >/dev/null
head -c $((12 * M)) /dev/urandom >"$T/s.img"
nbdcopy --flush "$T/s.img" "$(uri s)"
takeover s raid5 raid5_n 4
grep -q "Replaced LV type raid5 (same as raid5_ls) with possible type raid5_n" "$T/conv" ||
	fail "striped -> raid5 said: $(cat "$T/conv")"
model s raid5_n 4 "$T/s.img"
takeover s raid6 raid6_n_6 5
model s raid6_n_6 5 "$T/s.img"
takeover s striped striped 0
ulvm dmsetup table pvg-s | grep -q " striped 3 128 " || fail "s's table: $(ulvm dmsetup table pvg-s)"

step "striped -> raid0 -> raid5_n -> raid0_meta -> raid6_n_6 -> raid0_meta -> raid0 -> striped"
for spec in "raid0 raid0 3" "raid5_n raid5_n 4" "raid0_meta raid0_meta 3" "raid6_n_6 raid6_n_6 5" \
	"raid0_meta raid0_meta 3" "raid0 raid0 3" "striped striped 0"; do
	read -r type want n <<<"$spec"
	takeover s "$type" "$want" "$n"
	metas=$(ulvm lvs -a --devices "$DEVS" --noheadings -o lv_name pvg | grep -c "\[s_rmeta_" || true)
	case $want in raid0 | striped) [ "$metas" = 0 ] ;; *) [ "$metas" = "$n" ] ;; esac || fail "-> $type: $metas rmetas"
	case $want in raid5_n | raid6_n_6) model s "$want" "$n" "$T/s.img" ;; esac
done
ulvm lvremove -y pvg/s >/dev/null

step "refused, the VG unchanged"
ulvm lvcreate --type raid1 -m 2 -L 4M -n m3 pvg >/dev/null
ulvm lvcreate --type raid5 -i 2 -L 4M -n r3 pvg >/dev/null
ulvm lvcreate --type raid6 -i 3 -L 6M -n z pvg >/dev/null
ulvm lvcreate -i 2 -L 4M -n s2 pvg "${L[a]}" "${L[b]}" >/dev/null
ulvm lvcreate -L 4M -n lin pvg >/dev/null
for lv in m3 r3 z; do synced "pvg/$lv"; done
seq0=$(lvm2 vgs --noheadings -o vg_seqno pvg | tr -d ' ')
refused() { # WHAT-THE-MESSAGE-SAYS lvconvert-args...
	local want=$1
	shift
	if ulvm lvconvert --devices "$DEVS" -y "$@" >"$T/out" 2>&1; then fail "lvconvert $* was accepted"; fi
	grep -q "$want" "$T/out" || fail "lvconvert $*: $(cat "$T/out")"
}
refused "with != 2 legs" --type raid5 pvg/m3
refused "Minimum of 4 stripes needed for conversion from raid5 to raid6" --type raid6 pvg/r3
refused "moves its data (a reshape)" --type raid6_zr pvg/r
refused "has no Q device of its own" --type raid5 pvg/z
refused "cannot change the number of images" --type raid5 -m 2 pvg/m
refused "Minimum of 3 stripes needed for conversion from striped to raid6_n_6" --type raid6 pvg/s2
refused "moves its data (a reshape)" --type raid5_ls pvg/s2
refused "has 1 stripe" --type raid5 pvg/lin
refused "Insufficient suitable allocatable extents" --type raid5 pvg/s2 "${L[a]}"
[ "$(lvm2 vgs --noheadings -o vg_seqno pvg | tr -d ' ')" = "$seq0" ] || fail "a refused lvconvert changed the VG"
ulvm lvremove -y pvg/m3 pvg/r3 pvg/z pvg/s2 pvg/lin >/dev/null

step "raid5 -> raid6, then two images lost: the LV still reads back whole"
ulvm lvconvert --devices "$DEVS" -y --type raid6_ls_6 pvg/r >/dev/null
synced pvg/r
for i in 0 2; do
	size=$(ulvm dmsetup table "pvg-r_rimage_$i" | awk '{s += $2} END {print s}')
	ulvm dmsetup reload "pvg-r_rimage_$i" --table "0 $size error"
	ulvm dmsetup resume "pvg-r_rimage_$i"
done
same_data r
health=$(ulvm dmsetup status pvg-r | awk '{print $6}')
[ "$health" = DADAA ] || fail "r's health after two lost images: $health"
stop_ulvmd
echo "lvm-raid-takeover: ok"
