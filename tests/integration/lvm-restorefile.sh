#!/usr/bin/env bash
# lvm2's recovery of a PV whose label and metadata are gone (lvm2's
# "Recovering physical volume metadata"): pvcreate --uuid U --restorefile
# BACKUP DEV, then vgcfgrestore -f BACKUP VG.
#  - the PV ulvm writes is the PV lvm2's pvcreate --restorefile writes on
#    the same device, byte for byte over its label and metadata area
#    headers, for a default PV, one made with --dataalignment 4m and one
#    with two metadata areas;
#  - after vgcfgrestore the LVs come back with their data (read over NBD)
#    and lvm2's vgck and lvs accept the VG;
#  - refused as lvm2 refuses them: --restorefile without --uuid, --uuid
#    without --restorefile (unless --norestorefile), a uuid the backup
#    does not have, a file that is not a VG backup.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
source "$(dirname "$0")/lvm2.bash"
need pvcreate vgck lvs losetup qemu-io
export ULVM_CONF_DIR=$T/ulvm
mkdir -p "$ULVM_CONF_DIR"
declare -A L
attach_pvs 64M a b c
lvm2_isolate "${L[@]}"
step() { echo "== $*"; }
DEVS="${L[a]},${L[b]},${L[c]}"
# lvm2 reads the backup as a VG of PVs without devices, and says so; a
# restored PV is an orphan in its header until vgcfgrestore
LVM2_EXPECTED_WARNINGS=("Couldn't find device with uuid" 'missing the used flag in PV header')
u() { ulvm "$1" --devices "$DEVS" "${@:2}"; }
step "a VG of three PVs, each made otherwise, with LVs and data on each"
u pvcreate "${L[a]}" >/dev/null
u pvcreate --dataalignment 4m "${L[b]}" >/dev/null
u pvcreate --pvmetadatacopies 2 "${L[c]}" >/dev/null
u vgcreate -s 1m vg "${L[a]}" "${L[b]}" "${L[c]}" >/dev/null
start_ulvmd
for p in a b c; do
	u lvcreate -L 8M -n "lv$p" vg "${L[$p]}" >/dev/null
	qio "$(uri "vg/lv$p")" "write -P 0x5$(printf %d "'$p" | tail -c 1) 0 8M" "flush"
done
u vgchange -an vg >/dev/null
u vgcfgbackup -f "$T/vg.backup" vg >/dev/null

for p in a b c; do
	step "PV $p loses its label and metadata area; pvcreate --restorefile writes what lvm2 writes"
	id=$(lvm2 pvs --noheadings -o pv_uuid "${L[$p]}" | tr -d ' ')
	mdas=$(lvm2 pvs --noheadings -o pv_mda_count "${L[$p]}" | tr -d ' ')
	cp --sparse=always "$T/$p.img" "$T/$p.good"
	dd if=/dev/zero of="${L[$p]}" bs=1M count=1 conv=notrunc status=none
	if [ "$mdas" = 2 ]; then # the second area too, at the end
		dd if=/dev/zero of="${L[$p]}" bs=1M seek=63 count=1 conv=notrunc status=none
	fi
	blockdev --flushbufs "${L[$p]}"
	cp --sparse=always "$T/$p.img" "$T/$p.bad"
	lvm2 pvcreate --uuid "$id" --restorefile "$T/vg.backup" --pvmetadatacopies "$mdas" "${L[$p]}" >/dev/null
	cp --sparse=always "$T/$p.img" "$T/$p.lvm2"
	cp --sparse=always "$T/$p.bad" "$T/$p.img"
	blockdev --flushbufs "${L[$p]}"
	u pvcreate --uuid "$id" --restorefile "$T/vg.backup" --pvmetadatacopies "$mdas" "${L[$p]}"
	cmp "$T/$p.lvm2" "$T/$p.img" || {
		cmp -l "$T/$p.lvm2" "$T/$p.img" | head
		fail "PV $p: ulvm's restored PV differs from lvm2's"
	}
	echo "PV $p: the same bytes as lvm2's ($(lvm2 pvs --noheadings --units s -o pe_start,pv_mda_count,pv_mda_size "${L[$p]}"))"
done

step "vgcfgrestore: the LVs come back with their data; lvm2 accepts the VG"
u vgcfgrestore -f "$T/vg.backup" vg
lvm2 vgck vg >/dev/null
lvm2 lvs --noheadings -o lv_name vg | tr -d ' ' | sort | tr '\n' ' ' | grep -qx "lva lvb lvc " || fail "lvm2 lvs: $(lvm2 lvs vg)"
u vgchange -ay vg >/dev/null
for p in a b c; do
	qio "$(uri "vg/lv$p")" "read -P 0x5$(printf %d "'$p" | tail -c 1) 0 8M"
done
u vgchange -an vg >/dev/null

step "refused as lvm2 refuses them"
expect() { # MESSAGE ARGS...
	local msg=$1
	shift
	if u pvcreate "$@" 2>"$T/err"; then fail "pvcreate $* succeeded"; fi
	grep -qF -- "$msg" "$T/err" || fail "pvcreate $*: $(cat "$T/err")"
	echo "refused: pvcreate $*: $msg"
}
id=$(lvm2 pvs --noheadings -o pv_uuid "${L[a]}" | tr -d ' ')
expect "--uuid is required with --restorefile" --restorefile "$T/vg.backup" "${L[a]}"
expect "--restorefile is required with --uuid" --uuid "$id" "${L[a]}"
expect "Can't find uuid 000000-0000-0000-0000-0000-0000-000000 in backup file" \
	--uuid 000000-0000-0000-0000-0000-0000-000000 --restorefile "$T/vg.backup" "${L[a]}"
echo "not a backup" >"$T/junk"
expect "Unable to read volume group from $T/junk" --uuid "$id" --restorefile "$T/junk" "${L[a]}"
lvm2 vgck vg >/dev/null
stop_ulvmd
echo "lvm-restorefile: ok"
