#!/usr/bin/env bash
# A PV that comes back after the VG was written without it (its text says
# MISSING), as lvm2 handles it, with real lvm2 as the oracle:
#  - with extents allocated, its data may be older than the VG's: it stays
#    missing (lvm2's "was missing PV" warning, attr m, VG partial), its LVs
#    are not activated and the VG is not changed, nothing written;
#  - unused, it is simply back ("unused reappeared PV"), its flag dropped
#    at the next write;
#  - vgextend --restoremissing of a PV that was not missing is refused as
#    lvm2 refuses it; of the one that came back, it is used again: lvm2's
#    vgck accepts the VG, both tools report the PVs alike, and the LV on it
#    is served with the data it had;
#  - a PV removed with vgreduce --removemissing --force while it was gone
#    and then back holds an outdated VG: both tools warn, and vgck
#    --updatemetadata wipes it to a free PV as lvm2 does.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
source "$(dirname "$0")/lvm2.bash"
need vgcfgrestore vgck pvs losetup qemu-io md5sum python3
export ULVM_CONF_DIR=$T/ulvm
mkdir -p "$ULVM_CONF_DIR"
declare -A L
attach_pvs 32M a b c
lvm2_isolate "${L[@]}"
LVM2_EXPECTED_WARNINGS=('was missing PV' 'unused reappeared PV' 'previously updated while PV')
step() { echo "== $*"; }
sums() { for f in a b c; do md5sum <"$T/$f.img"; done; }
pvrows() { "$@" pvs --noheadings -o pv_name,vg_name,pv_attr | awk '{$1=$1; print}' | sort; }
agree() {
	pvrows lvm2 >"$T/lvm.txt"
	pvrows ulvm 2>/dev/null >"$T/ulvm.txt"
	diff "$T/lvm.txt" "$T/ulvm.txt" || fail "lvm2 and ulvm report the PVs differently"
}

start_ulvmd
step "a VG on three PVs, an LV with data on the second"
ulvm pvcreate "${L[a]}" "${L[b]}" "${L[c]}" >/dev/null
ulvm vgcreate vg "${L[a]}" "${L[b]}" "${L[c]}" >/dev/null
ulvm lvcreate -L 8M -n onb vg "${L[b]}" >/dev/null
qio "$(uri vg/onb)" "write -P 0x5b 0 8M" "flush"
ulvm lvchange -an vg/onb >/dev/null

step "the VG as a command leaves it that wrote it while b and c were gone"
ulvm vgcfgbackup -f "$T/vg.bk" vg >/dev/null
python3 - "$T/vg.bk" <<'EOF'
import re, sys
text, pv = open(sys.argv[1]).read().split("\n"), None
for i, line in enumerate(text):
    m = re.match(r"\s*(pv\d+) \{", line)
    pv = m.group(1) if m else pv
    if pv in ("pv1", "pv2") and 'status = ["ALLOCATABLE"]' in line:
        text[i] = line.replace('["ALLOCATABLE"]', '["ALLOCATABLE", "MISSING"]')
open(sys.argv[1], "w").write("\n".join(text))
EOF
ulvm vgcfgrestore -f "$T/vg.bk" vg >/dev/null
ulvm pvs >/dev/null 2>"$T/err"
grep -q "WARNING: VG vg was missing PV ${L[b]} " "$T/err" || { cat "$T/err"; fail "no warning for b"; }
grep -q "WARNING: VG vg has unused reappeared PV ${L[c]} " "$T/err" || { cat "$T/err"; fail "no warning for c"; }
grep -q "WARNING: VG vg was previously updated while PV ${L[b]} was missing." "$T/err" || fail "no warning"
agree
ulvm vgs --noheadings -o vg_attr vg 2>/dev/null | grep -q 'wz-pn-' || fail "the VG is not partial"
# an LV on the missing PV is partial: lv_attr's 9th letter and lv_health_status
lvrows() { "$@" lvs --noheadings -o lv_name,lv_attr,lv_health_status vg 2>/dev/null | awk '{print $1, substr($2, 9, 1), $3}'; }
lvrows lvm2 >"$T/lvm.txt"
lvrows ulvm >"$T/ulvm.txt"
diff "$T/lvm.txt" "$T/ulvm.txt" || fail "lvm2 and ulvm see the LVs on the missing PV differently"
grep -qx "onb p partial" "$T/ulvm.txt" || fail "onb is not partial: $(cat "$T/ulvm.txt")"

step "refused while b is marked missing; nothing written"
before=$(sums)
if ulvm lvchange -ay vg/onb >"$T/out" 2>&1; then fail "an LV on b was activated"; fi
if ulvm lvcreate -an -L 4M -n new vg >"$T/out" 2>&1; then fail "the VG was changed"; fi
grep -q "vgextend --restoremissing" "$T/out" || { cat "$T/out"; fail "no hint"; }
if ulvm vgextend --restoremissing vg "${L[a]}" >"$T/out" 2>&1; then fail "restored a PV that was not missing"; fi
grep -q "WARNING: PV ${L[a]} was not missing in VG vg" "$T/out" || { cat "$T/out"; fail "no warning"; }
grep -q "No PV has been restored." "$T/out" || fail "no refusal"
if command vgextend --restoremissing vg "${L[a]}" >"$T/out" 2>&1; then fail "lvm2 restored a PV that was not missing"; fi
grep -q "No PV has been restored." "$T/out" || { cat "$T/out"; fail "lvm2 says otherwise"; }
[ "$(sums)" = "$before" ] || fail "a refused command wrote to the PVs"

step "vgextend --restoremissing: b used again, c's flag dropped"
ulvm vgextend --restoremissing vg "${L[b]}" 2>/dev/null | grep -q 'Volume group "vg" successfully extended' ||
	fail "vgextend --restoremissing"
ulvm pvs >/dev/null 2>"$T/err"
grep -q WARNING "$T/err" && { cat "$T/err"; fail "warnings after the restore"; }
LVM2_EXPECTED_WARNINGS=()
lvm2 vgck vg >/dev/null
agree
lvm2 pvs --noheadings -o pv_attr | grep -q m && fail "lvm2 still sees a missing PV"
ulvm lvchange -ay vg/onb >/dev/null
qio "$(uri vg/onb)" "read -P 0x5b 0 8M"
ulvm lvchange -an vg/onb >/dev/null

step "c removed with vgreduce --removemissing --force while gone, then back: outdated; vgck --updatemetadata frees it"
ulvm lvcreate -an -L 4M -n onc vg "${L[c]}" >/dev/null
ulvm vgreduce --removemissing --force vg --devices "${L[a]},${L[b]}" >/dev/null 2>&1 || fail "vgreduce --removemissing"
LVM2_EXPECTED_WARNINGS=('ignoring metadata seqno' 'Inconsistent metadata found' 'outdated PV')
lvm2 pvs >/dev/null
ulvm pvs >/dev/null 2>"$T/err"
grep -q "WARNING: outdated PV ${L[c]} seqno [0-9]* has been removed in current VG vg seqno" "$T/err" ||
	{ cat "$T/err"; fail "no outdated-PV warning for c"; }
agree
ulvm vgck --updatemetadata vg 2>"$T/err" >/dev/null || { cat "$T/err"; fail "vgck --updatemetadata"; }
grep -q "WARNING: wiping header on outdated PV ${L[c]}" "$T/err" || { cat "$T/err"; fail "c not wiped"; }
LVM2_EXPECTED_WARNINGS=()
lvm2 vgck vg >/dev/null
agree
[ "$(lvm2 pvs --noheadings -o vg_name "${L[c]}" | tr -d ' ')" = "" ] || fail "lvm2 does not see c free"
ulvm pvs 2>&1 >/dev/null | grep -q WARNING && fail "warnings after the wipe"
stop_ulvmd
echo "ok"
