#!/usr/bin/env bash
# VGs this host must not use, as lvm2 decides: an exported VG (vgexport)
# and a VG whose system ID names another host are neither changed nor
# activated until vgimport / their host; a shared (lock_type) VG is
# refused until a lock manager is supported. vgexport, vgimport and
# --systemid made by ulvm read back in lvm2, and the other way round.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lvm2.bash"
need pvcreate vgcreate vgexport vgimport lvs vgck losetup
export ULVM_CONF_DIR=$T/ulvm
declare -A L
attach_pvs 64M a b
lvm2_isolate "${L[@]}"
LVM2_EXPECTED_WARNINGS=('system ID' 'inaccessible' 'NOT backed up')
mkdir -p "$ULVM_CONF_DIR"
DEVS="${L[a]},${L[b]}"
u() { ulvm "$@" --devices "$DEVS"; }
step() { echo "== $*"; }
sums() { sha256sum "${L[a]}" "${L[b]}" | awk '{ print $1 }'; }
refused() { expect_refused "$1" u "${@:2}"; }
lvm2 pvcreate -q "${L[a]}" "${L[b]}" >/dev/null
lvm2 vgcreate -q ex "${L[a]}" >/dev/null
lvm2 lvcreate -q -an -Zn -L 8M -n lv ex >/dev/null
lvm2 vgcreate -q fo "${L[b]}" >/dev/null
lvm2 lvcreate -q -an -Zn -L 8M -n lv fo >/dev/null
start_ulvmd

step "exported by lvm2: listed, not changed or activated; ulvm vgimport, vgexport"
lvm2 vgexport ex >/dev/null
u vgs --noheadings -o vg_name,vg_attr ex | grep -q 'wzx' || fail "ulvm does not show ex exported"
refused "is exported" lvcreate -an -L 4M -n new ex
refused "is exported" lvchange -ay ex/lv
# LV reports pass an exported VG over, and name it when asked for it
same_refusal lvs --devices "$DEVS" ex
same_refusal lvdisplay --devices "$DEVS" ex/lv
same_refusal lvcreate --devices "$DEVS" -an -Zn -L 4M -n new ex
[ -z "$(u lvs --noheadings -o lv_name,vg_name | grep ' ex$')" ] || fail "lvs lists the LVs of an exported VG"
u vgimport ex >/dev/null
u lvchange -ay ex/lv
refused "active logical volumes" vgexport ex
u lvchange -an ex/lv
u vgexport ex >/dev/null
lvm2 vgs --noheadings -o vg_attr ex | grep -q 'x' || fail "lvm2 does not see ex exported by ulvm"
lvm2 vgimport ex >/dev/null
lvm2 vgck ex >/dev/null

step "another host's VG (system ID): not changed or activated; its host may"
lvm2 vgchange -y --systemid hostB --config 'global { system_id_source = "lvmlocal" } local { system_id = "hostA" }' fo >/dev/null
u vgs --noheadings -o vg_name,vg_systemid --foreign fo | grep -q hostB || fail "ulvm does not show the system ID"
# another host's VG is left out of reports unless --foreign, as lvm2's
for tool in lvm2 u; do
	[ -z "$($tool vgs --noheadings -o vg_name 2>/dev/null | grep -w fo || true)" ] || fail "$tool vgs lists another host's VG"
	$tool lvs --noheadings -o lv_name --foreign fo 2>/dev/null | grep -q lv || fail "$tool lvs --foreign does not list fo/lv"
done
refused "with system ID hostB" lvcreate -an -L 4M -n new fo
refused "with system ID hostB" lvchange -ay fo/lv
u vgchange -ay >/dev/null 2>&1 || true
if ulvm dmsetup info fo-lv >/dev/null 2>&1; then fail "vgchange -ay activated another host's VG"; fi
printf 'global { system_id_source = "lvmlocal" }\nlocal { system_id = "hostB" }\n' >"$ULVM_CONF_DIR/ulvm.conf"
u lvcreate -an -L 4M -n byB fo >/dev/null # now we are hostB
u vgchange --systemid "" fo >/dev/null 2>&1
rm "$ULVM_CONF_DIR/ulvm.conf"
u lvcreate -an -L 4M -n anyone fo >/dev/null
lvm2 vgck fo >/dev/null
lvm2 lvs --noheadings -o lv_name fo | grep -q byB || fail "lvm2 does not see fo/byB"

step "a shared VG (lock_type sanlock): refused, naming the lock type"
lvm2 vgcfgbackup -q -f "$T/fo.vg" fo >/dev/null
sed 's/^\(\t*\)status = \["RESIZEABLE", "READ", "WRITE"\]/&\n\1lock_type = "sanlock"/' "$T/fo.vg" >"$T/shared.vg"
grep -q 'lock_type = "sanlock"' "$T/shared.vg" || fail "could not make the shared VG's metadata"
u vgcfgrestore -f "$T/shared.vg" fo >/dev/null
refused "lock type sanlock" lvcreate -an -L 4M -n new fo
refused "lock type sanlock" lvchange -ay fo/lv
stop_ulvmd
echo "lvm-foreign: ok"
