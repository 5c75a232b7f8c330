#!/usr/bin/env bash
# After a daemon restart what should be served comes back, by lvm2's
# autoactivation rules: `ulvmd --autoactivate` runs `ulvm vgchange -aay`,
# which activates every LV but those with --setautoactivation n (on the LV
# or its VG), the activation-skip ones, and, when ulvm.conf sets
# activation/auto_activation_volume_list, those not in it. lvm2 reads the
# flags ulvm writes (its autoactivation field).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lvm2.bash"
need pvcreate vgcreate lvs vgck losetup nbdinfo qemu-io
export ULVM_CONF_DIR=$T/ulvm
declare -A L
attach_pvs 64M a b
lvm2_isolate "${L[@]}"
DEVS="${L[a]},${L[b]}"
mkdir -p "$ULVM_CONF_DIR"
printf '%s\n%s\n' "${L[a]}" "${L[b]}" >"$ULVM_CONF_DIR/devices"
step() { echo "== $*"; }
served() { nbdinfo --size "$(uri "$1")" >/dev/null 2>&1; }
lvm2 pvcreate -q "${L[a]}" "${L[b]}" >/dev/null
lvm2 vgcreate -q va "${L[a]}" >/dev/null
ulvm vgcreate --setautoactivation n vb "${L[b]}" >/dev/null
for lv in on off skip; do ulvm lvcreate -an -L 4M -n "$lv" va >/dev/null; done
ulvm lvchange --setautoactivation n va/off >/dev/null
lvm2 lvchange -ky va/skip >/dev/null
ulvm lvcreate -an -L 4M -n lv vb >/dev/null
lvm2 vgck va >/dev/null
lvm2 vgck vb >/dev/null
[ "$(lvm2 lvs --noheadings -o autoactivation va/off | tr -d ' ')" = "" ] || fail "lvm2 does not see va/off's autoactivation off"
[ "$(lvm2 lvs --noheadings -o autoactivation va/on | tr -d ' ')" = enabled ] || fail "lvm2 does not see va/on autoactivated"
[ "$(lvm2 vgs --noheadings -o autoactivation vb | tr -d ' ')" = "" ] || fail "lvm2 does not see vb's autoactivation off"

step "ulvmd --autoactivate: va/on only"
start_ulvmd --autoactivate
for _ in $(seq 100); do served va/on && break; sleep 0.1; done
served va/on || { cat "$T/ulvmd.log"; fail "va/on is not served after start"; }
for lv in va/off va/skip vb/lv; do served "$lv" && fail "$lv was autoactivated"; done
qemu-io -f raw -c "write -P 0x5a 0 64k" "$(uri va/on)" >/dev/null
ulvm lvchange -ay va/off # by hand it is

step "a restart brings va/on back, with its data"
stop_ulvmd
start_ulvmd --autoactivate
for _ in $(seq 100); do served va/on && break; sleep 0.1; done
qemu-io -f raw -c "read -P 0x5a 0 64k" "$(uri va/on)" >/dev/null || fail "va/on is not back with its data"
served va/off && fail "va/off came back though its autoactivation is off"

step "auto_activation_volume_list narrows it; vgchange --setautoactivation y"
ulvm vgchange -an va >/dev/null
echo 'activation { auto_activation_volume_list = [ "vb" ] }' >"$ULVM_CONF_DIR/ulvm.conf"
ulvm vgchange --setautoactivation y vb >/dev/null
ulvm vgchange -aay >/dev/null
served vb/lv || fail "vb/lv (listed, autoactivation on) was not activated"
served va/on && fail "va/on was activated though not in the list"
lvm2 vgck vb >/dev/null
stop_ulvmd
echo "lvm-autoactivate: ok"
