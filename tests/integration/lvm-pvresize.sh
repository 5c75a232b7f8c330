#!/usr/bin/env bash
# pvresize as lvm2's pv_resize_single, real lvm2 as the oracle: each
# resize is done by lvm2 on the PVs, whose bytes are then put back as they
# were for ulvm to do the same, and the results compare:
#  - the label sector byte for byte (device_size, the second metadata
#    area's new place; lvm2 leaves the label of a PV in a VG with one mda
#    alone), pvs's sizes and counts, the VG text's dev_size and pe_count,
#    the second mda's header where lvm2 put it;
#  - a PV with two metadata areas grows (to a size that is not a whole
#    MiB) and shrinks: the second mda moves to the new end and holds the
#    VG (lvm2's vgck and pvck read it), an orphan one too;
#  - refused, nothing written, with lvm2's words: a shrink below the
#    allocated extents.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lvm2.bash"
need pvcreate vgck lvs pvck losetup
export ULVM_CONF_DIR=$T/ulvm
mkdir -p "$ULVM_CONF_DIR"
declare -A L
attach_pvs 64M a b o
lvm2_isolate "${L[@]}"
LVM2_EXPECTED_WARNINGS=('Pretending size')
step() { echo "== $*"; }
DEVS="${L[a]},${L[b]},${L[o]}"
u() { ulvm "$1" --devices "$DEVS" "${@:2}"; }
grow() { # NAME BYTES: the file and its loop device
	truncate -s "$2" "$T/$1.img"
	losetup -c "${L[$1]}"
}
save() { for n in a b o; do cp --sparse=always "$T/$n.img" "$T/$n.save"; done; }
restore() {
	for n in a b o; do
		truncate -s "$(stat -c %s "$T/$n.save")" "$T/$n.img"
		dd if="$T/$n.save" of="$T/$n.img" bs=1M conv=notrunc,sparse status=none
		losetup -c "${L[$n]}"
		blockdev --flushbufs "${L[$n]}"
	done
}
# What must be the same after lvm2's and ulvm's resize.
state() {
	for n in a b o; do
		echo "label $n: $(dd if="${L[$n]}" bs=512 skip=1 count=1 status=none | od -An -tx1 | tr -d ' \n' | md5sum)"
	done
	lvm2 pvs --units s -o pv_name,pv_size,dev_size,pe_start,pv_pe_count,pv_pe_alloc_count,pv_mda_count,pv_mda_size
	for n in a o; do
		lvm pvck --dump headers "${L[$n]}" 2>/dev/null >"$T/headers" || true
		grep -E 'device_size|disk_locn\[3\]\.offset|mda_header_2(\.start| at)' "$T/headers" || echo "$n: no second mda"
	done
	if lvm2 vgs vg >/dev/null 2>&1; then
		lvm2 vgcfgbackup -f "$T/vg.txt" vg >/dev/null
		grep -E 'dev_size|pe_count|pe_start' "$T/vg.txt"
	fi
}
both() { # NAME ARGS...: lvm2 and ulvm do pvresize ARGS on the same bytes
	local name=$1
	shift
	save
	lvm2 pvresize -y "$@" >/dev/null
	state >"$T/lvm2.state"
	restore
	u pvresize "$@" | tee "$T/out"
	state >"$T/ulvm.state"
	diff "$T/lvm2.state" "$T/ulvm.state" || fail "$name: lvm2's pvresize and ulvm's differ"
	# and ulvm reports them as lvm2 does: the device's size now, the smallest mda
	local f=pv_name,dev_size,pv_size,pv_mda_size,pv_mda_count,pv_attr
	lvm2 pvs --units s -o $f >"$T/lvm2.pvs"
	u pvs --units s -o $f | diff "$T/lvm2.pvs" - || fail "$name: ulvm's pvs differs from lvm2's"
	[ -n "${SHOW_STATE:-}" ] && cat "$T/ulvm.state"
	lvm2 vgck vg >/dev/null
	lvm pvck "${L[a]}" >"$T/pvck" 2>&1 || { cat "$T/pvck"; fail "$name: lvm2's pvck of the PV"; }
	echo "as lvm2: $name"
}

lvm2 pvcreate --pvmetadatacopies 2 "${L[a]}" "${L[o]}" >/dev/null
lvm2 pvcreate "${L[b]}" >/dev/null
lvm2 vgcreate vg "${L[a]}" "${L[b]}" >/dev/null
lvm2 lvcreate -an -Zn -Wn -y -L 8M -n lv vg "${L[a]}" >/dev/null
lvm2 lvcreate -an -Zn -Wn -y -L 8M -n lv2 vg "${L[b]}" >/dev/null

step "grow to 96.5 MiB: the second mda moves to the new end; one mda: the label stays"
grow a $((96 * 1048576 + 512 * 1024))
grow b $((96 * 1048576 + 512 * 1024))
grow o $((96 * 1048576 + 512 * 1024))
both "grow" "${L[a]}" "${L[b]}"
both "grow an orphan with two mdas" "${L[o]}"

step "shrink to 40 MiB with --setphysicalvolumesize"
both "shrink" --setphysicalvolumesize 40M "${L[a]}"

step "refused, nothing written: below the allocated extents"
save
u pvresize --setphysicalvolumesize 8M "${L[a]}" >"$T/out" 2>&1 && { cat "$T/out"; fail "pvresize cut allocated extents"; }
grep -qF "${L[a]}: cannot resize to 1 extents as 2 are allocated." "$T/out" || { cat "$T/out"; fail "not lvm2's words"; }
cmp "$T/a.img" "$T/a.save" || fail "a refused pvresize wrote to the PV"
lvm2 vgck vg >/dev/null
echo "refused as lvm2: $(grep -F "cannot resize" "$T/out" | sed "s/^ *//")"

step "a PV not allocatable: pv_attr u, as lvm2 shows it"
u pvchange -x n "${L[b]}" >/dev/null
lvm2 pvs -o pv_name,pv_attr >"$T/lvm2.pvs"
u pvs -o pv_name,pv_attr | diff "$T/lvm2.pvs" - || fail "pv_attr of a PV not allocatable"
grep -q "${L[b]} *u--" "$T/lvm2.pvs" || fail "lvm2 does not say u--: $(cat "$T/lvm2.pvs")"
u pvchange -x y "${L[b]}" >/dev/null
echo "lvm-pvresize: ok"
