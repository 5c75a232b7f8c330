#!/usr/bin/env bash
# Segment types ulvm activates only with what they need (thin-pool and
# thin only with formatted metadata; an unused cache-pool has nothing to
# activate, as in lvm2), and error and zero LVs, from
# tests/data/lvm/richvg.backup:
#  - ulvm vgcfgrestore --force writes it; real lvm2's vgck and lvs accept it;
#  - ulvm lvs -a lists every LV with its segment type, as lvm2 does (an
#    old-style snapshot under its COW LV's name, snapshotN not at all);
#  - ulvm lvchange -ay refuses each of them naming the type, while the
#    error and zero LVs activate as those targets, the linear and striped
#    LVs of the same VG activate, the raid1 LV lvm2
#    wrote activates and syncs, and its snapshot activates over its origin
#    (snapshotN alone is refused as internal);
#  - a ulvm commit (lvcreate of a linear LV) writes those segments back
#    unchanged: lvm2's vgck passes and its lvs shows the same fields.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lvm2.bash"

for t in pvcreate vgck lvs losetup nbdinfo; do
	command -v "$t" >/dev/null || skip "$t is not installed"
done
F=$top/tests/data/lvm/richvg.backup
export ULVM_CONF_DIR=$T/ulvm
declare -A L
attach_pvs 128M c d
lvm2_isolate "${L[@]}"
step() { echo "== $*"; }
DEVS="${L[c]},${L[d]}"
# Names, types, sizes and tags; for linear and striped also the PE ranges.
FIELDS=lv_name,segtype,seg_size,lv_tags,seg_pe_ranges
fields() {
	"$@" -a --noheadings --units s --separator '|' -o $FIELDS richvg | sed 's/^ *//' |
		awk -F'|' '$2 != "linear" && $2 != "striped" { $5 = "" } { print }' OFS='|' | sort
}

step "PVs with the fixture's uuids; ulvm vgcfgrestore --force"
pv0=$(awk '/pv0 {/ { f = 1 } f && /id =/ { gsub(/"/, "", $3); print $3; exit }' "$F")
pv1=$(awk '/pv1 {/ { f = 1 } f && /id =/ { gsub(/"/, "", $3); print $3; exit }' "$F")
pvcreate -q --uuid "$pv0" --restorefile "$F" "${L[c]}" >/dev/null 2>&1 || fail "pvcreate --uuid"
pvcreate -q --uuid "$pv1" --restorefile "$F" "${L[d]}" >/dev/null 2>&1 || fail "pvcreate --uuid"
if ulvm vgcfgrestore --devices "$DEVS" -f "$F" richvg >"$T/o" 2>&1; then
	fail "vgcfgrestore without --force restored thin LVs"
fi
cat "$T/o"
ulvm vgcfgrestore --devices "$DEVS" --force -f "$F" richvg
lvm2 vgck richvg >/dev/null

step "ulvm lvs -a lists every type as lvm2 does"
fields lvm2 lvs >"$T/lvm.txt"
fields ulvm lvs --devices "$DEVS" >"$T/ulvm.txt"
diff "$T/lvm.txt" "$T/ulvm.txt" || fail "lvs -a of lvm2 and ulvm differ"
ulvm lvs -a --devices "$DEVS" --noheadings --separator '|' -o lv_name,segtype richvg | sed 's/^ *//' >"$T/types"
for t in thin-pool thin raid1 cache-pool error zero; do
	grep -q "|$t\$" "$T/types" || fail "ulvm lvs -a does not show a $t segment"
done

step "lvchange -ay refuses what it cannot activate, naming the type"
start_ulvmd
for lt in tp:thin-pool thin1:thin snapshot0:snapshot; do
	lv=${lt%%:*}
	t=${lt#*:}
	if ulvm lvchange -ay --devices "$DEVS" "richvg/$lv" 2>"$T/err"; then
		fail "lvchange -ay richvg/$lv succeeded"
	fi
	grep -q "$t" "$T/err" || { cat "$T/err"; fail "lvchange -ay richvg/$lv does not name $t"; }
	echo "richvg/$lv: $(head -n 1 "$T/err" | sed 's/^ *//')"
done
# lvm2's error and zero LVs are the error and zero targets
ulvm lvchange -ay --devices "$DEVS" richvg/err richvg/zer
ulvm dmsetup table richvg-err | grep -qE "^0 [0-9]+ error *$" || fail "richvg/err: $(ulvm dmsetup table richvg-err)"
ulvm dmsetup table richvg-zer | grep -qE "^0 [0-9]+ zero *$" || fail "richvg/zer: $(ulvm dmsetup table richvg-zer)"
ulvm lvchange -ay --devices "$DEVS" richvg/cp # lvm2: "Skipping activation of cache pool"
ulvm dmsetup info richvg-cp >/dev/null 2>&1 && fail "an unused cache pool got a device"
ulvm lvchange -ay --devices "$DEVS" richvg/data richvg/str3 richvg/r1 richvg/snap
ulvm dmsetup table richvg-snap | grep -q "snapshot /dev/mapper/richvg-other-real /dev/mapper/richvg-snap-cow P 8" ||
	fail "richvg/snap: $(ulvm dmsetup table richvg-snap)"
ulvm dmsetup table richvg-other | grep -q "snapshot-origin /dev/mapper/richvg-other-real" ||
	fail "richvg/other is not a snapshot-origin: $(ulvm dmsetup table richvg-other)"
nbdinfo --size "$(uri richvg/snap)" >/dev/null || fail "richvg/snap is not served"
for _ in $(seq 100); do
	ulvm lvs --devices "$DEVS" --noheadings -o copy_percent richvg/r1 | grep -q 100.00 && break
	sleep 0.1
done
ulvm lvs --devices "$DEVS" --noheadings -o copy_percent,raid_sync_action richvg/r1 | grep -q "100.00 *idle" ||
	fail "richvg/r1 (raid1 by lvm2) did not sync"
nbdinfo --size "$(uri richvg/r1)" >/dev/null || fail "richvg/r1 is not served"
nbdinfo --size "$(uri richvg/data)" >/dev/null || fail "richvg/data is not served"
nbdinfo --size "$(uri richvg/str3)" >/dev/null || fail "richvg/str3 is not served"
ulvm vgchange -ay --devices "$DEVS" richvg >"$T/o" 2>&1 && fail "vgchange -ay hid the refusals"
grep -q thin-pool "$T/o" || { cat "$T/o"; fail "vgchange -ay does not name thin-pool"; }
ulvm vgchange -an --devices "$DEVS" richvg >/dev/null
stop_ulvmd
# the raid1's rmeta now carry the array's superblocks: the kept
# segments below are compared as text, which that does not touch

step "a ulvm commit keeps the other segments byte for byte"
lvm2 pvck --dump metadata "${L[c]}" >"$T/before.txt"
ulvm lvcreate -an --devices "$DEVS" -l 2 -n newlin richvg >/dev/null
lvm2 vgck richvg >/dev/null
lvm2 pvck --dump metadata "${L[c]}" >"$T/after.txt"
fields lvm2 lvs | grep -v '^newlin|' >"$T/lvm2.txt"
diff "$T/lvm.txt" "$T/lvm2.txt" || fail "lvm2 sees other LVs after ulvm's commit"
# The text differs only by seqno, the new LV and the trailer.
python3 - "$T/before.txt" "$T/after.txt" <<'EOF' || fail "ulvm changed segments it does not understand"
import re, sys
def lvs(path):
    t = open(path).read()
    t = re.sub(r"\nnewlin \{.*?\nsegment1 \{.*?\n\}\n\}\n", "\n", t, flags=re.S)
    t = re.sub(r"^(seqno|description|creation_time) = .*$", "", t, flags=re.M)
    t = re.sub(r"^  metadata text at .*$", "", t, flags=re.M)
    t = re.sub(r"^# Generated by .*$", "", t, flags=re.M)  # its time may tick
    return re.sub(r"\n{3,}", "\n\n", t)
a, b = lvs(sys.argv[1]), lvs(sys.argv[2])
if a != b:
    import difflib
    sys.stdout.writelines(difflib.unified_diff(a.splitlines(True), b.splitlines(True)))
    sys.exit(1)
EOF
lvm2 lvextend -l +1 richvg/newlin >/dev/null
ulvm vgck --devices "$DEVS" richvg
echo "lvm-segtypes: ok"
