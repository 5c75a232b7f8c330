#!/usr/bin/env bash
# An LV that a ulvmd serves is not removed, shrunk or restored away by a
# command that cannot reach that daemon (another run dir, or none): the
# daemon claims the byte ranges it maps (open-file-description locks on
# the PVs) and every command tests them, as lvm2 refuses an active LV.
# Otherwise the next lvcreate would get the same sectors: two writable
# exports over one disk range.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lvm2.bash"
need pvcreate vgcreate lvcreate vgck losetup nbdinfo qemu-io
export ULVM_CONF_DIR=$T/ulvm
declare -A L
attach_pvs 64M a b
lvm2_isolate "${L[@]}"
DEVS="${L[a]},${L[b]}"
step() { echo "== $*"; }
sums() { sha256sum "${L[a]}" "${L[b]}" | awk '{ print $1 }'; }
# elsewhere CMD...: a ulvm command from a run dir where no daemon runs
elsewhere() { ULVM_RUN_DIR=$T/elsewhere "$ULVM_BIN" "$@" --devices "$DEVS"; }
refused() { expect_refused "$1" elsewhere "${@:2}"; }

step "lvm2 makes vg with LVs a and b; ulvmd serves vg/a"
lvm2 pvcreate -q "${L[a]}" "${L[b]}" >/dev/null
lvm2 vgcreate -q vg "${L[a]}" "${L[b]}" >/dev/null
lvm2 vgcfgbackup -q -f "$T/empty.vg" vg >/dev/null
lvm2 lvcreate -q -an -Zn -L 8M -n a vg >/dev/null
lvm2 lvcreate -q -an -Zn -L 8M -n b vg >/dev/null
start_ulvmd
ulvm lvchange -ay --devices "$DEVS" vg/a
qemu-io -f raw -c "write -P 0x61 0 1M" "$(uri vg/a)" >/dev/null

step "from a run dir without that daemon: refused, nothing written"
refused "vg/a in use" lvremove -f vg/a
refused "vg/a in use" lvreduce -f -l -1 vg/a
refused "vg/a in use" vgremove -f vg
refused "active logical volume" vgcfgrestore -f "$T/empty.vg" vg
elsewhere lvremove -f vg/b >/dev/null # not served: goes
qemu-io -f raw -c "read -P 0x61 0 1M" "$(uri vg/a)" >/dev/null || fail "vg/a lost its data"
lvm2 vgck vg >/dev/null

step "deactivated: the same commands go through"
ulvm lvchange -an --devices "$DEVS" vg/a
elsewhere lvreduce -f -l -1 vg/a >/dev/null
elsewhere lvremove -f vg/a >/dev/null
lvm2 vgck vg >/dev/null
stop_ulvmd
echo "lvm-inuse: ok"
