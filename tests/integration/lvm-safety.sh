#!/usr/bin/env bash
# lvm2's safety rules on a VG real lvm2 wrote (tests/data/lvm/richvg.backup:
# raid1, cache-pool, old-style snapshot, thin pool beside linear LVs):
#  - sub-LVs and a snapshot's origin are never removed or renamed on
#    their own, sub-LVs never resized, an origin never reduced (lvm2 lets
#    it grow while inactive: lvm-snapshot.sh); a pool or raid LV is renamed with its sub-LVs
#    and every reference; removing a top LV takes its sub-LVs; vgck
#    refuses dangling references (issue items 3);
#  - read-only LVs and hidden sub-LVs are served
#    read-only; lvchange -p r|rw; the activation skip flag (item 2);
#  - vgrename renames every device of an active thin pool (item 7);
#  - a PV without metadata areas belongs to its VG (item 1);
#  - an LV's allocation policy is honoured (item 8);
#  - lvcreate's default names are lvm2's (lvol0_pmspare taken as lvol0).
# After each refused step every PV is byte for byte as before (sha256) and
# real lvm2's vgck reads the VG.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lvm2.bash"

for t in pvcreate vgck lvs losetup nbdinfo qemu-io; do
	command -v "$t" >/dev/null || skip "$t is not installed"
done
F=$top/tests/data/lvm/richvg.backup
export ULVM_CONF_DIR=$T/ulvm
declare -A L
attach_pvs 128M c d e
lvm2_isolate "${L[@]}"
LVM2_EXPECTED_WARNINGS=(thin Thin 'NOT backed up' 'Forced restore' 'check for active volumes')
step() { echo "== $*"; }
DEVS="${L[c]},${L[d]},${L[e]}"
u() { ulvm "$@" --devices "$DEVS"; }
# Every byte of every PV: a refused command changes none.
sums() { sha256sum "${L[c]}" "${L[d]}" "${L[e]}" | awk '{ print $1 }'; }
refused() { expect_refused "$1" u "${@:2}"; }
ro() { nbdinfo --json "$(uri "$1")" | python3 -c 'import json,sys; print(json.load(sys.stdin)["exports"][0]["is_read_only"])'; }

step "richvg as lvm2 restores it; a pattern in every LV's extents"
pv0=$(awk '/pv0 {/ { f = 1 } f && /id =/ { gsub(/"/, "", $3); print $3; exit }' "$F")
pv1=$(awk '/pv1 {/ { f = 1 } f && /id =/ { gsub(/"/, "", $3); print $3; exit }' "$F")
pvcreate -q --uuid "$pv0" --restorefile "$F" "${L[c]}" >/dev/null 2>&1 || fail "pvcreate --uuid"
pvcreate -q --uuid "$pv1" --restorefile "$F" "${L[d]}" >/dev/null 2>&1 || fail "pvcreate --uuid"
vgcfgrestore --force -f "$F" richvg >"$T/o" 2>&1 || { cat "$T/o"; fail "lvm2 vgcfgrestore"; }
for p in c d; do # the data area only: 2 MiB in, 120 MiB
	python3 -c "import sys,hashlib
h=b''.join(hashlib.sha256(b'%s%d'%(sys.argv[1].encode(),i)).digest() for i in range(32768))
sys.stdout.buffer.write(h*120)" "$p" | dd of="${L[$p]}" bs=1M seek=2 count=120 iflag=fullblock conv=notrunc status=none
done
lvm2 vgck richvg >/dev/null
u vgck richvg

step "sub-LVs, a COW and an origin are not removed or renamed alone, an origin not reduced (it goes with its snapshots)"
refused "internal LV" lvremove -f richvg/r1_rimage_0
refused "internal LV" lvremove -f richvg/cp_cdata
refused "internal LV" lvrename richvg/r1_rimage_0 newname
refused "internal LV" lvrename richvg cp_cmeta cmeta2
refused "Snapshot origin volumes cannot be reduced in size yet" lvreduce -f -l -1 richvg/other
refused "internal LV" lvextend -l +1 richvg/r1_rmeta_0
lvm2 vgck richvg >/dev/null

step "served read-only: a hidden sub-LV, an LV lvm2 made read-only"
lvm2 lvchange -pr richvg/data >/dev/null
start_ulvmd
u lvchange -ay richvg/cp_cdata 2>"$T/err"
grep -q "read-only: it is a hidden sub-LV of richvg/cp" "$T/err" || { cat "$T/err"; fail "no read-only notice for cp_cdata"; }
u lvchange -ay richvg/data
before=$(sums)
for lv in cp_cdata data; do
	[ "$(ro "richvg/$lv")" = True ] || fail "richvg/$lv is served writable"
	if qemu-io -f raw -c "write -P 0x55 0 4k" "$(uri "richvg/$lv")" >/dev/null 2>&1; then
		fail "a write to richvg/$lv went through"
	fi
done
[ "$(sums)" = "$before" ] || fail "writes reached a read-only LV's PV"
step "lvchange -p rw on the active LV: writable at once, lvm2 sees 'w'"
u lvchange -p rw richvg/data
[ "$(ro richvg/data)" = False ] || fail "richvg/data still read-only after lvchange -p rw"
qemu-io -f raw -c "write -P 0x55 0 4k" "$(uri richvg/data)" >/dev/null || fail "write after -p rw"
[ "$(lvm2 lvs --noheadings -o lv_attr richvg/data | tr -d ' ' | cut -c2)" = w ] || fail "lvm2 does not see richvg/data writable"
u lvchange -p r richvg/data
[ "$(ro richvg/data)" = True ] || fail "richvg/data writable after lvchange -p r"
refused "already read only" lvchange -p r richvg/data
u lvchange -an richvg/cp_cdata richvg/data

step "the activation skip flag: skipped unless -K"
lvm2 lvchange -ky richvg/str3 >/dev/null
u lvchange -ay richvg/str3
if ulvm dmsetup info richvg-str3 >/dev/null 2>&1; then fail "richvg/str3 activated despite its skip flag"; fi
u vgchange -ay richvg >/dev/null 2>&1 || true
if ulvm dmsetup info richvg-str3 >/dev/null 2>&1; then fail "vgchange -ay activated richvg/str3"; fi
u lvchange -ay -K richvg/str3
ulvm dmsetup info richvg-str3 >/dev/null || fail "lvchange -ay -K did not activate richvg/str3"
u vgchange -an richvg >/dev/null

step "vgck and vgcfgrestore refuse a dangling reference (as lvm2)"
sed 's/thin_pool = "tp"/thin_pool = "nosuchpool"/' "$F" >"$T/broken.vg"
if lvm2_out=$(vgcfgrestore --force -f "$T/broken.vg" richvg 2>&1); then fail "lvm2 accepted the broken file"; fi
refused "nosuchpool" vgcfgrestore --force -f "$T/broken.vg" richvg

step "rename a pool, a cache pool and a raid LV with their sub-LVs"
u lvrename richvg tp pool
u lvrename richvg/cp cpool
u lvrename richvg r1 mirror1
lvm2 vgck richvg >/dev/null
lvm2 lvs -a --noheadings -o lv_name,pool_lv richvg | sed 's/^ *//;s/ *$//' | sort >"$T/names"
for n in pool_tmeta pool_tdata cpool_cdata cpool_cmeta mirror1_rimage_0 mirror1_rmeta_1; do
	grep -q "\[$n\]" "$T/names" || { cat "$T/names"; fail "lvm2 does not list $n after the renames"; }
done
grep -q "^thin1 *pool$" "$T/names" || { cat "$T/names"; fail "thin1's pool is not renamed"; }
u vgck richvg

step "removing a raid LV and a snapshot (by its name, the COW's) takes their sub-LVs, nothing else"
data_before=$(dd if="${L[c]}" bs=1M skip=2 count=120 status=none | sha256sum)
u lvrename richvg snap snap2 # the COW's name is the snapshot's
lvm2 vgck richvg >/dev/null
lvm2 lvs --noheadings -o lv_name,origin richvg | grep -q "snap2 *other" || fail "lvm2 does not see snapshot snap2 of other"
u lvremove -f richvg/mirror1 richvg/snap2 >"$T/o" 2>&1 || { cat "$T/o"; lvm2 pvck --dump metadata "${L[c]}" | tail -80; fail "lvremove of a raid LV and a snapshot"; }
lvm2 vgck richvg >/dev/null
lvm2 lvs -a --noheadings -o lv_name richvg | sed 's/^ *//;s/ *$//' >"$T/names"
if grep -q -e mirror1 -e '^\[*snap' "$T/names"; then cat "$T/names"; fail "sub-LVs left behind"; fi
grep -qx "other" "$T/names" || { cat "$T/names"; fail "the snapshot's origin went with it"; }
[ "$(dd if="${L[c]}" bs=1M skip=2 count=120 status=none | sha256sum)" = "$data_before" ] ||
	fail "lvremove wrote into the data area"
u lvreduce -f -l -1 richvg/other >/dev/null # no snapshot now: allowed
lvm2 vgck richvg >/dev/null

step "vgrename with an active thin pool renames all its devices"
u lvcreate --type thin-pool -L 8M -n tpool2 richvg >/dev/null
u lvcreate -T richvg/tpool2 -V 16M -n t2 >/dev/null
qemu-io -f raw -c "write -P 0x77 0 64k" "$(uri richvg/t2)" >/dev/null
u vgrename richvg rich2 >/dev/null
ulvm dmsetup ls >"$T/ls"
if grep -q '^richvg-' "$T/ls"; then cat "$T/ls"; fail "devices left under the old VG name"; fi
qemu-io -f raw -c "read -P 0x77 0 64k" "$(uri rich2/t2)" >/dev/null || fail "rich2/t2 lost its data"
u lvcreate -T rich2/tpool2 -V 8M -n t3 >/dev/null
u vgchange -an rich2 >/dev/null
[ -z "$(ulvm dmsetup ls | grep '^rich2-' || true)" ] || fail "vgchange -an left devices"
lvm2 vgck rich2 >/dev/null

step "a PV without metadata areas belongs to its VG"
lvm2 pvcreate --pvmetadatacopies 0 "${L[e]}" >/dev/null
lvm2 vgextend rich2 "${L[e]}" >/dev/null
lvm2 lvcreate -an -Zn -l 4 -n one rich2 "${L[e]}" >/dev/null
[ "$(u pvs --noheadings -o pv_name,vg_name | grep -c "${L[e]}")" = 1 ] || { u pvs; fail "the PV is listed twice"; }
u pvs --noheadings -o vg_name "${L[e]}" | grep -q rich2 || fail "the PV is not shown in rich2"
refused "rich2" pvcreate -y "${L[e]}"
refused "rich2" pvremove -y "${L[e]}"
refused "rich2" vgcreate newvg "${L[e]}"
before=$(sums)
if ulvm pvcreate --devices "${L[e]}" -y "${L[e]}" >"$T/o" 2>&1; then fail "pvcreate of a PV whose VG is not in view"; fi
grep -q "used by a VG" "$T/o" || { cat "$T/o"; fail "no reason for the PV in use"; }
[ "$(sums)" = "$before" ] || fail "the refused pvcreate changed the PV"
lvm2 pvchange -q --metadataignore y "${L[d]}" >/dev/null
lvm2 pvs --noheadings -o pv_name,pv_mda_used_count | sort >"$T/lvm.txt"
u pvs --noheadings -o pv_name,pv_mda_used_count | sort >"$T/ulvm.txt"
diff "$T/lvm.txt" "$T/ulvm.txt" || fail "pv_mda_used_count differs from lvm2's"
lvm2 vgck rich2 >/dev/null

step "an LV's allocation policy: contiguous is honoured"
lvm2 lvcreate -an -Zn --alloc contiguous -l 2 -n cont rich2 "${L[e]}" >/dev/null
lvm2 lvcreate -an -Zn -l 1 -n wall rich2 "${L[e]}" >/dev/null
if lvm2_out=$(lvextend -l +2 rich2/cont 2>&1); then fail "lvm2 extended a contiguous LV past another"; fi
refused "contiguous" lvextend -l +2 rich2/cont
u lvextend --alloc normal -l +2 rich2/cont >/dev/null
lvm2 vgck rich2 >/dev/null
step "a device that holds an LV's dm name is not adopted (uuid compared)"
ulvm dmsetup create rich2-ww --table "0 8 zero"
refused "not this LV" lvcreate -L 8M -n ww rich2
[ "$(nbdinfo --size "$(uri rich2-ww)")" = 4096 ] || fail "the foreign device changed"
u lvcreate -an -L 8M -n ww rich2 >/dev/null
refused "not this LV" lvchange -ay rich2/ww
u lvremove -f rich2/ww >/dev/null # inactive: the foreign device stays
ulvm dmsetup info rich2-ww >/dev/null || fail "lvremove removed a device that is not the LV's"
ulvm dmsetup remove rich2-ww

# a thin LV too, and its error says the reason once (not "x: why: why")
u vgchange -ay rich2 >/dev/null 2>&1 || true
ulvm dmsetup create rich2-t9 --table "0 8 zero"
if u lvcreate -T rich2/tpool2 -V 8M -n t9 >"$T/o" 2>&1; then cat "$T/o"; fail "thin lvcreate adopted rich2-t9"; fi
[ "$(grep -o 'exists with uuid' "$T/o" | wc -l)" = 1 ] || { cat "$T/o"; fail "the reason is not said exactly once"; }
[ "$(nbdinfo --size "$(uri rich2-t9)")" = 4096 ] || fail "the foreign device changed"
ulvm dmsetup remove rich2-t9
u lvremove -f rich2/t9 >/dev/null
u vgchange -an rich2 >/dev/null

step "reserved names, on every path that names a new LV"
u vgchange -ay rich2 >/dev/null 2>&1 || true
refused 'including "_tmeta" are reserved' lvcreate -T rich2/tpool2 -V 8M -n x_tmeta
refused 'including "_rimage" are reserved' lvcreate -L 4M -n y_rimage_0 rich2
refused 'starting "snapshot" are reserved' lvcreate -T rich2/tpool2 -V 8M -n snapshot3
refused 'starting "pvmove" are reserved' lvcreate --type thin-pool -L 8M -n pvmove1 rich2
refused 'including "_cdata" are reserved' lvrename rich2 other z_cdata
u vgchange -an rich2 >/dev/null
lvm2 vgck rich2 >/dev/null

step "a new LV's default name is lvm2's: one past the highest lvolN (lvol0_pmspare counts), none reused"
newname() { "$@" -an -Zn -Wn -y -L 4M rich2 2>&1 | sed -n 's/.*Logical volume "\(.*\)" created\./\1/p'; }
for n in 1 2; do
	want=$(newname lvm2 lvcreate)
	lvm2 lvremove -y "rich2/$want" >/dev/null
	got=$(newname u lvcreate)
	[ -n "$want" ] && [ "$got" = "$want" ] || fail "lvcreate without -n: ulvm named it '$got', lvm2 '$want'"
	echo "named as lvm2: $got"
	lvm2 lvrename rich2 "$got" "lvol${n}7x" >/dev/null # lvm2 reads lvol17x as lvol17
done
lvm2 vgck rich2 >/dev/null
stop_ulvmd
echo "lvm-safety: ok"
