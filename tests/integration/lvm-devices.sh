#!/usr/bin/env bash
# The devices file through lvmdevices and vgimportdevices, as a user who
# brings a disk lvm2 set up:
#  - a VG lvm2 made is not seen until vgimportdevices adds its PVs (found
#    through --devices); lvmdevices lists them with the PVIDs lvm2 reports;
#  - --adddev of a device that is no PV yet; lvm2 makes it a PV: --check
#    says the file needs updating (exit 5), --update writes the PVID,
#    --check is quiet again;
#  - a copy of a PV beside it (duplicate PV uuids): ulvm refuses the VG,
#    lvmdevices still lists the file and --deldev takes the copy out;
#  - --deldev of a device an active LV uses asks first (no: nothing
#    changes), --delpvid by lvm2's dashed uuid, --addpvid finds it again
#    among the --devices given (lvm2's messages when it is listed already
#    or on none of them); bad arguments refused.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lvm2.bash"
need pvcreate vgcreate pvs losetup
export ULVM_CONF_DIR=$T/ulvm
mkdir -p "$ULVM_CONF_DIR"
declare -A L
attach_pvs 32M a b c
lvm2_isolate "${L[@]}"
step() { echo "== $*"; }
file() { cat "$ULVM_CONF_DIR/devices"; }
pvid() { lvm2 pvs --noheadings -o pv_uuid "$1" | tr -d ' -'; }

start_ulvmd
step "a VG lvm2 made, brought in by vgimportdevices"
lvm2 pvcreate "${L[b]}" >/dev/null
lvm2 vgcreate lvmvg "${L[b]}" >/dev/null
lvm2 lvcreate -an -Zn -L 8M -n data lvmvg >/dev/null
ulvm pvcreate "${L[a]}" >/dev/null
ulvm vgcreate ourvg "${L[a]}" >/dev/null
ulvm vgs lvmvg >/dev/null 2>&1 && fail "ulvm sees a VG on a device not in its devices file"
ulvm vgimportdevices --devices "${L[b]}" lvmvg | grep -q "Added 1 devices to devices file." || fail "vgimportdevices"
ulvm vgs lvmvg >/dev/null || fail "vgimportdevices did not bring lvmvg in"
ulvm lvmdevices | tee "$T/list"
grep -q "Device ${L[b]} IDTYPE=devname IDNAME=${L[b]} DEVNAME=${L[b]} PVID=$(pvid "${L[b]}")$" "$T/list" ||
	fail "lvmdevices does not list ${L[b]} with lvm2's PVID"
grep -q "Device ${L[a]} .*PVID=$(pvid "${L[a]}")$" "$T/list" || fail "lvmdevices does not list ${L[a]}"
ulvm lvmdevices --check || fail "--check of a right file"

step "--adddev, then lvm2 makes the device a PV: --check, --update"
ulvm lvmdevices --adddev "${L[c]}"
ulvm lvmdevices | grep -q "Device ${L[c]} .*PVID=none$" || fail "--adddev"
lvm2 pvcreate "${L[c]}" >/dev/null
if ulvm lvmdevices --check 2>"$T/check.err"; then fail "--check missed a PVID"; fi
grep -q "Device ${L[c]} has PVID $(pvid "${L[c]}") (devices file none)" "$T/check.err" || { cat "$T/check.err"; fail "--check"; }
grep -q "Updates needed for devices file." "$T/check.err" || fail "--check did not say updates are needed"
ulvm lvmdevices --update | grep -q "Updated devices file" || fail "--update"
ulvm lvmdevices --check || fail "--check after --update"
ulvm lvmdevices | grep -q "Device ${L[c]} .*PVID=$(pvid "${L[c]}")$" || fail "--update wrote another PVID"

step "a copy of a PV beside it: still listed, --deldev takes it out"
dd if="${L[a]}" of="${L[c]}" bs=1M count=2 conv=fsync 2>/dev/null
if ulvm vgs ourvg >/dev/null 2>&1; then fail "ulvm used a VG with duplicate PV uuids"; fi
ulvm lvmdevices >"$T/list" 2>"$T/dup.err" || fail "lvmdevices with duplicates"
grep -q "duplicate PV uuid" "$T/dup.err" || fail "no warning about the duplicate"
[ "$(grep -c '^  Device' "$T/list")" = 3 ] || fail "not every entry listed"
ulvm lvmdevices --deldev "${L[c]}"
ulvm vgs ourvg >/dev/null || fail "the VG is still refused"
ulvm lvmdevices | grep -q "${L[c]}" && fail "--deldev left the entry"
dd if=/dev/zero of="${L[c]}" bs=1M count=2 conv=fsync 2>/dev/null # lvm2 sees every device

step "--deldev of a device in use asks; --delpvid; refusals"
ulvm lvcreate -L 4M -n busy ourvg >/dev/null
before=$(file)
if echo n | ulvm lvmdevices --deldev "${L[a]}" >"$T/out" 2>&1; then fail "removed a device in use"; fi
grep -q "is used by an active LV" "$T/out" || { cat "$T/out"; fail "no question"; }
grep -q "Device not removed." "$T/out" || fail "no refusal"
[ "$(file)" = "$before" ] || fail "a refused --deldev changed the file"
ulvm lvchange -an ourvg/busy >/dev/null
ulvm lvmdevices --delpvid "$(lvm2 pvs --noheadings -o pv_uuid "${L[b]}" | tr -d ' ')"
ulvm lvmdevices | grep -q "${L[b]}" && fail "--delpvid left the entry"
pvb=$(lvm2 pvs --noheadings -o pv_uuid "${L[b]}" | tr -d ' ')
ulvm lvmdevices --addpvid "$pvb" --devices "${L[a]},${L[b]},${L[c]}"
ulvm lvmdevices | grep -q "Device ${L[b]} .*PVID=${pvb//-/}$" || fail "--addpvid did not bring ${L[b]} back"
if ulvm lvmdevices --addpvid "$pvb" --devices "${L[b]}" 2>"$T/err"; then fail "--addpvid of a PVID listed"; fi
grep -q "PVID already exists in devices file for ${L[b]}." "$T/err" || fail "--addpvid twice: $(cat "$T/err")"
expect_fail() { if "$@" >"$T/out" 2>&1; then fail "$* succeeded"; fi; echo "refused: $*: $(head -n 1 "$T/out")"; }
before=$(file)
expect_fail ulvm lvmdevices --deldev /dev/nosuchdevice
expect_fail ulvm lvmdevices --delpvid nonsense
expect_fail ulvm lvmdevices --adddev /dev/nosuchdevice
expect_fail ulvm lvmdevices --addpvid 000000-0000-0000-0000-0000-0000-000001
expect_fail ulvm lvmdevices --addpvid 000000-0000-0000-0000-0000-0000-000000 --devices "${L[a]}"
expect_fail ulvm lvmdevices --check --update
expect_fail ulvm vgimportdevices
expect_fail ulvm vgimportdevices --devices "${L[a]}" nosuchvg
[ "$(file)" = "$before" ] || fail "a refused command changed the devices file"
stop_ulvmd
echo "ok"
