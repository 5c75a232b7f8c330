#!/usr/bin/env bash
# lvconvert --splitmirrors of raid1 LVs, as lvm2 does it, with real lvm2 as
# the oracle of the VG text:
#  - --splitmirrors 1 --trackchanges: the last image becomes a visible,
#    read-only LV (served over NBD with the data of the split moment), the
#    raid LV goes on without it and is not shown as partial; lvm2's vgck
#    accepts the VG and lvs -a shows the same;
#  - writes to the raid LV meanwhile; --merge: the image rejoins and only
#    the regions written while it was away are copied (the log counts
#    them); both images' extents are equal again;
#  - --splitmirrors 1 -n NAME on the PV named: that image becomes LV NAME
#    for good with the data; a raid1 of three keeps two; of two becomes
#    linear;
#  - refused, nothing written: --trackchanges on raid5, a second tracked
#    split, -m while tracking, --merge of an image that is not split,
#    two images at once, the last copy but one without -y (asked first),
#    --splitmirrors without -n or --trackchanges.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
source "$(dirname "$0")/lvm2.bash"
source "$(dirname "$0")/raid.bash"
need vgck lvs losetup qemu-io nbdinfo python3
export ULVM_CONF_DIR=$T/ulvm
mkdir -p "$ULVM_CONF_DIR"
declare -A L
attach_pvs 48M a b c d
lvm2_isolate "${L[@]}"
step() { echo "== $*"; }
LVM2_EXPECTED_WARNINGS=('check for active volumes')
DEVS="${L[a]},${L[b]},${L[c]},${L[d]}"
FIELDS=lv_name,lv_attr,segtype,lv_size,devices
same_as_lvm2() {
	lvm2 vgck svg >/dev/null
	f() { "$@" -a --noheadings --units s --separator '|' -o "$FIELDS" svg | sed 's/^ *//; s/\[\|\]//g' | sort |
		sed 's/|[^|]*|/|ATTR|/'; }
	f lvm2 lvs >"$T/lvm2.txt"
	f ulvm lvs --devices "$DEVS" >"$T/ulvm.txt"
	diff "$T/lvm2.txt" "$T/ulvm.txt" || fail "$1: lvs -a of lvm2 and ulvm differ"
}
# image_bytes LV N OFF LEN: bytes of LV_rimage_N's extents, from its PV
image_bytes() {
	python3 - svg "$1" "$2" "$3" "$4" <<'PY'
import json, subprocess, sys
vg, lv, n, off, ln = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
rows = json.loads(subprocess.run(["lvm", "lvs", "-a", "--reportformat", "json", "--units", "b", "--nosuffix", "-o",
                                  "lv_name,seg_pe_ranges,vg_extent_size", vg], capture_output=True,
                                 text=True).stdout)["report"][0]["lv"]
row = next(r for r in rows if r["lv_name"].strip("[]") == f"{lv}_rimage_{n}" or r["lv_name"].strip("[]") == n)
dev, pe = row["seg_pe_ranges"].split()[0].split(":")
pe_start = int(subprocess.run(["lvm", "pvs", "--noheadings", "--units", "b", "--nosuffix", "-o", "pe_start", dev],
                              capture_output=True, text=True).stdout)
with open(dev, "rb") as f:
    f.seek(pe_start + int(pe.split("-")[0]) * int(row["vg_extent_size"]) + off)
    sys.stdout.buffer.write(f.read(ln))
PY
}
M=$((1024 * 1024))

start_ulvmd
ulvm pvcreate "${L[a]}" "${L[b]}" "${L[c]}" "${L[d]}" >/dev/null
ulvm vgcreate svg "${L[a]}" "${L[b]}" "${L[c]}" "${L[d]}" >/dev/null
ulvm lvcreate --type raid1 -m 1 -R 512k -L 24M -n safe svg
synced svg/safe
qio "nbd+unix:///svg/safe?socket=$SOCK" "write -P 0x61 0 24M" "flush"

step "--splitmirrors 1 --trackchanges: rimage_1 read-only and visible, safe goes on, not partial"
ulvm lvconvert --devices "$DEVS" --splitmirrors 1 --trackchanges svg/safe | tee "$T/out"
grep -q "svg/safe_rimage_1 split from svg/safe for read-only purposes" "$T/out" || fail "split said: $(cat "$T/out")"
grep -q "Use 'lvconvert --merge svg/safe_rimage_1' to merge back into svg/safe" "$T/out" || fail "no --merge hint"
rqio "nbd+unix:///svg/safe_rimage_1?socket=$SOCK" "read -P 0x61 0 24M"
if qemu-io -f raw -c "write -P 0x99 0 4k" "nbd+unix:///svg/safe_rimage_1?socket=$SOCK" >/dev/null 2>&1; then
	fail "the tracked image took a write"
fi
attr=$(ulvm lvs --devices "$DEVS" --noheadings -o lv_attr svg/safe | tr -d ' ')
[ "${attr:8:1}" = - ] || fail "safe's attr $attr while tracking"
ulvm dmsetup table svg-safe | grep -q " - -$" || fail "the tracked slot is still in the table: $(ulvm dmsetup table svg-safe)"
same_as_lvm2 "tracking"
lvm2 lvs -a -o lv_name,lv_attr svg

step "writes meanwhile; --merge copies back only the regions written"
qio "nbd+unix:///svg/safe?socket=$SOCK" "write -P 0x62 4M 512k" "write -P 0x63 20M 100k" "flush"
rqio "nbd+unix:///svg/safe_rimage_1?socket=$SOCK" "read -P 0x61 4M 512k"
if ulvm lvconvert --devices "$DEVS" --splitmirrors 1 --trackchanges svg/safe 2>"$T/err"; then fail "a second tracked split"; fi
grep -q "already tracking changes for svg/safe_rimage_1" "$T/err" || fail "second split: $(cat "$T/err")"
if ulvm lvconvert --devices "$DEVS" -m 2 svg/safe 2>"$T/err"; then fail "-m while tracking accepted"; fi
grep -q "tracking changes for svg/safe_rimage_1: --merge it first" "$T/err" || fail "-m: $(cat "$T/err")"
if ulvm lvconvert --devices "$DEVS" --merge svg/safe_rimage_0 2>"$T/err"; then fail "--merge of rimage_0 accepted"; fi
grep -q "not an image split off svg/safe with --trackchanges" "$T/err" || fail "merge rimage_0: $(cat "$T/err")"
ulvm lvconvert --devices "$DEVS" --merge svg/safe_rimage_1 | tee "$T/out"
grep -q "svg/safe_rimage_1 successfully merged back into svg/safe" "$T/out" || fail "merge said: $(cat "$T/out")"
synced svg/safe
grep "recovers the regions it missed\|recovery finished" "$T/ulvmd.log" | tail -n 2
copied=$(grep "recovery finished" "$T/ulvmd.log" | tail -n1 | sed 's/.*finished: \([0-9]*\) MiB.*/\1/')
[ "$copied" -le 2 ] || fail "--merge copied $copied MiB: more than the 2 regions written"
cmp <(image_bytes safe 0 0 $((24 * M))) <(image_bytes safe 1 0 $((24 * M))) || fail "the images differ after --merge"
same_as_lvm2 "merged"

step "--splitmirrors 1 -n NAME on a named PV: that image becomes an LV for good"
ulvm lvconvert --devices "$DEVS" -m 2 svg/safe "${L[c]}" >/dev/null
synced svg/safe
if ulvm lvconvert --devices "$DEVS" --splitmirrors 1 svg/safe 2>"$T/err"; then fail "split without -n accepted"; fi
grep -q "Please name the new LV" "$T/err" || fail "no -n: $(cat "$T/err")"
ulvm lvconvert --devices "$DEVS" --splitmirrors 1 -n copy svg/safe "${L[a]}"
qio "nbd+unix:///svg/copy?socket=$SOCK" "read -P 0x61 0 4M" "read -P 0x62 4M 512k"
qio "nbd+unix:///svg/copy?socket=$SOCK" "write -P 0x64 0 1M"
qio "nbd+unix:///svg/safe?socket=$SOCK" "read -P 0x61 0 1M"
[ "$(ulvm lvs --devices "$DEVS" --noheadings -o devices svg/copy | tr -d ' ')" = "${L[a]}(1)" ] ||
	fail "copy is not the image that was on ${L[a]}: $(ulvm lvs --devices "$DEVS" --noheadings -o devices svg/copy)"
same_as_lvm2 "split off"
if ulvm lvconvert --devices "$DEVS" --splitmirrors 2 -n copy2 svg/safe 2>"$T/err"; then fail "a split of two images"; fi
grep -q "Unable to split more than one image from svg/safe" "$T/err" || fail "split 2: $(cat "$T/err")"
# the last copy but one: asked first, as lvm2 asks
if echo n | ulvm lvconvert --devices "$DEVS" --splitmirrors 1 -n copy2 svg/safe >"$T/out" 2>&1; then
	fail "answering n split safe: $(cat "$T/out")"
fi
grep -q "losing all resilience" "$T/out" && grep -q "Logical volume svg/safe NOT split" "$T/out" ||
	fail "the question and answer: $(cat "$T/out")"
ulvm lvconvert --devices "$DEVS" -y --splitmirrors 1 -n copy2 svg/safe
[ "$(ulvm lvs --devices "$DEVS" --noheadings -o segtype svg/safe | tr -d ' ')" = linear ] || fail "safe is not linear"
qio "nbd+unix:///svg/copy2?socket=$SOCK" "read -P 0x62 4M 512k"
qio "nbd+unix:///svg/safe?socket=$SOCK" "read -P 0x63 20M 100k"
same_as_lvm2 "split to linear"

step "--splitmirrors 1 -n NAME while tracking: the tracked image leaves for good, read-only, as of the split"
ulvm lvcreate --type raid1 -m 1 -L 4M -n t1 svg >/dev/null
synced svg/t1
qio "nbd+unix:///svg/t1?socket=$SOCK" "write -P 0x71 0 4M" "flush"
ulvm lvconvert --devices "$DEVS" --splitmirrors 1 --trackchanges svg/t1 >/dev/null
qio "nbd+unix:///svg/t1?socket=$SOCK" "write -P 0x72 0 1M" "flush"
pv0=$(ulvm lvs -a --devices "$DEVS" --noheadings -o devices svg/t1_rimage_0 | tr -d ' ' | sed 's/(.*//')
if ulvm lvconvert --devices "$DEVS" -y --splitmirrors 1 -n t1copy svg/t1 "$pv0" 2>"$T/err"; then
	fail "a split of the image that is not tracked"
fi
grep -q "Unable to split additional image from svg/t1 while tracking changes for svg/t1_rimage_1" "$T/err" ||
	fail "split rimage_0: $(cat "$T/err")"
ulvm lvconvert --devices "$DEVS" -y --splitmirrors 1 -n t1copy svg/t1
[ "$(ulvm lvs --devices "$DEVS" --noheadings -o segtype svg/t1 | tr -d ' ')" = linear ] || fail "t1 is not linear"
attr=$(ulvm lvs --devices "$DEVS" --noheadings -o lv_attr svg/t1copy | tr -d ' ')
[ "${attr:1:1}" = r ] && [ "$(ulvm lvs --devices "$DEVS" --noheadings -o lv_permissions svg/t1copy | tr -d ' ')" = read-only ] ||
	fail "t1copy is not read-only: $attr"
[ "$(ulvm lvs --devices "$DEVS" --noheadings -o lv_permissions svg/t1 | tr -d ' ')" = writeable ] || fail "t1's permissions"
rqio "nbd+unix:///svg/t1copy?socket=$SOCK" "read -P 0x71 0 4M"
qio "nbd+unix:///svg/t1?socket=$SOCK" "read -P 0x72 0 1M" "read -P 0x71 1M 3M"
! ulvm dmsetup ls | grep -q "svg-t1_r" || fail "the images' dm devices are left: $(ulvm dmsetup ls)"
same_as_lvm2 "tracked split completed"

step "refused, nothing written: --trackchanges on raid5"
ulvm lvcreate --type raid5 -i 2 -L 8M -n r5 svg >/dev/null
seq0=$(lvm2 vgs --noheadings -o vg_seqno svg | tr -d ' ')
if ulvm lvconvert --devices "$DEVS" --splitmirrors 1 --trackchanges svg/r5 2>"$T/err"; then fail "raid5 split"; fi
grep -q "applies to raid1 LVs" "$T/err" || fail "raid5: $(cat "$T/err")"
[ "$(lvm2 vgs --noheadings -o vg_seqno svg | tr -d ' ')" = "$seq0" ] || fail "a refused lvconvert changed the VG"
stop_ulvmd
echo "lvm-raid-split: ok"
