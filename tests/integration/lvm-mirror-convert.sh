#!/usr/bin/env bash
# lvconvert of old-style mirrors (--type mirror), online, with real lvm2
# as the oracle of the VG and the legs' extents read off the PVs:
#  - mirror -> raid1 (lvm2's advice for mirror users): an rmeta beside
#    each leg, the legs renamed _rimage_N, the log gone, in sync at once
#    (the first table says nosync) and a check scrub finds no mismatch;
#  - raid1 -> mirror: asked first (answering n changes nothing), then a
#    disk log written in sync, the rmetas gone, the images _mimage_N;
#  - -m 0: linear on the first leg, the legs' and the log's dm devices gone;
#  - linear -> mirror -m 2: both new legs copied from the LV;
#  - -m 1 PV: the leg on PV dropped, the others renumbered;
#  - -m 2: a leg added, copied from the first through a new zeroed log
#    (with a core log too, on a mirror made with --nosync);
#  - --mirrorlog core then disk: the log removed and added back, in sync
#    without a copy (the core log's first table says nosync, the new disk
#    log is written in sync), on a PV no leg uses; with -m in one command;
#  - an inactive mirror -> raid1: resynced at its activation;
#  - a leg switched to error under writes: the client sees no error, and
#    with mirror_image_fault_policy = "allocate" ulvmd --on-event replaces
#    the leg on another PV, copied from the good one;
#  - a PV lost (its loop device detached): --repair -y puts the lost leg on
#    another PV, copied from a good one (the data whole on every leg);
#    --repair answered n leaves a mirror of two linear on the good leg;
#  - vgreduce --removemissing: refused, naming the partial LVs as lvm2,
#    the VG unchanged; with --force as lvm2's on the same PVs (lvs -a of
#    both the same): a linear LV goes, a mirror drops its lost leg and
#    keeps its data, a raid1 keeps its lost image and rmeta as error LVs,
#    runs degraded on them and lvconvert --repair replaces them;
#  - --splitmirrors 2 -n NAME of a 3-leg mirror: a new mirror of two legs
#    (core log) holding the data, then --splitmirrors 1 of that: linear LVs;
#    refused without a name, with too many legs, with --trackchanges, with
#    a name in use, on an inactive mirror;
#  - refused with a message, the VG unchanged: --type mirror of raid5, --type raid1 -m 2 of a 2-leg mirror,
#    --type mirror -m 2 of a 2-image raid1, --mirrorlog of a raid1 or not core|disk.
# After every step the data reads back the same over NBD and lvm2's vgck
# and lvs -a agree with ulvm's.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
source "$(dirname "$0")/lvm2.bash"
source "$(dirname "$0")/raid.bash"
need vgck lvs losetup nbdcopy python3
export ULVM_CONF_DIR=$T/ulvm
mkdir -p "$ULVM_CONF_DIR"
declare -A L
attach_pvs 32M a b c d e
lvm2_isolate "${L[@]}"
step() { echo "== $*"; }
LVM2_EXPECTED_WARNINGS=('check for active volumes')
DEVS=$(IFS=,; echo "${L[*]}")
M=$((1024 * 1024))
uri() { echo "nbd+unix:///pvg/$1?socket=$SOCK"; }
same_data() { # LV: reads back as $T/data
	nbdcopy "$(uri "$1")" "$T/back"
	cmp "$T/data" "$T/back" || fail "$1: its data changed"
}
segtype() { ulvm lvs --devices "$DEVS" --noheadings -o segtype "pvg/$1" | tr -d ' '; }
subs() { ulvm lvs -a --devices "$DEVS" --noheadings -o lv_name pvg | tr -d ' []' | grep "^$1_" | sort | tr '\n' ' '; }
seqno() { ulvm vgs --devices "$DEVS" --noheadings -o vg_seqno pvg | tr -d ' '; }
# leg SUBLV [DATA]: its extents, read off the PVs, hold DATA ($T/data)
leg() {
	extents_of "$1" "$T/leg"
	cmp "${2:-$T/data}" "$T/leg" || fail "$1 does not hold the LV's data"
}
# mirror_synced LV: copy_percent 100 (the mirror target's regions all in sync)
mirror_synced() {
	for _ in $(seq 300); do
		[ "$(ulvm lvs --devices "$DEVS" --noheadings -o copy_percent "pvg/$1" | tr -d ' ')" = 100.00 ] && return 0
		sleep 0.1
	done
	fail "$1 did not reach 100% in sync"
}
conv() { # ARGS...: lvconvert, its output in $T/conv
	ulvm lvconvert --devices "$DEVS" "$@" >"$T/conv" 2>&1 || { cat "$T/conv"; fail "lvconvert $* failed"; }
	cat "$T/conv"
	grep -q "Logical volume pvg/m successfully converted" "$T/conv" || fail "lvconvert $* said: $(cat "$T/conv")"
}
refused() { # MESSAGE ARGS...: lvconvert ARGS fails, says MESSAGE, the VG unchanged
	local msg=$1 before
	shift
	before=$(seqno)
	if ulvm lvconvert --devices "$DEVS" "$@" >"$T/conv" 2>&1; then
		cat "$T/conv"
		fail "lvconvert $* was not refused"
	fi
	grep -q "$msg" "$T/conv" || fail "lvconvert $*: $(cat "$T/conv")"
	[ "$(seqno)" = "$before" ] || fail "lvconvert $* changed the VG"
}

start_ulvmd
ulvm pvcreate "${L[@]}" >/dev/null
ulvm vgcreate pvg "${L[@]}" >/dev/null

step "a mirror with a disk log, filled over NBD"
ulvm lvcreate --type mirror -m 1 -L 8M -n m pvg >/dev/null
mirror_synced m
head -c $((8 * M)) /dev/urandom >"$T/data"
nbdcopy --flush "$T/data" "$(uri m)"
leg m_mimage_0
leg m_mimage_1
same_as_lvm2 "the new mirror"

step "mirror -> raid1: rmetas added, the log removed, in sync without a copy"
conv --type raid1 pvg/m
[ "$(segtype m)" = raid1 ] || fail "m is $(segtype m)"
[ "$(subs m)" = "m_rimage_0 m_rimage_1 m_rmeta_0 m_rmeta_1 " ] || fail "m's sub-LVs: $(subs m)"
ulvm dmsetup status pvg-m | grep -q " raid raid1 2 AA 16384/16384 idle 0 " ||
	fail "m is not in sync at once: $(ulvm dmsetup status pvg-m)"
! ulvm dmsetup ls | grep -q "pvg-m_mlog\|pvg-m_mimage" || fail "old dm devices left: $(ulvm dmsetup ls)"
same_data m
same_as_lvm2 "mirror -> raid1"
ulvm lvchange --devices "$DEVS" --syncaction check pvg/m
synced pvg/m
[ "$(ulvm lvs --devices "$DEVS" --noheadings -o raid_mismatch_count pvg/m | tr -d ' ')" = 0 ] ||
	fail "the legs differ after the conversion"

step "raid1 -> mirror: asked first, then a disk log written in sync"
before=$(seqno)
if echo n | ulvm lvconvert --devices "$DEVS" --type mirror pvg/m >"$T/conv" 2>&1; then
	fail "answering n converted m: $(cat "$T/conv")"
fi
grep -q "back to the older mirror type" "$T/conv" && grep -q 'NOT converted to "mirror"' "$T/conv" ||
	fail "the question and answer: $(cat "$T/conv")"
[ "$(seqno)" = "$before" ] || fail "answering n changed the VG"
conv -y --type mirror pvg/m
[ "$(segtype m)" = mirror ] || fail "m is $(segtype m)"
[ "$(subs m)" = "m_mimage_0 m_mimage_1 m_mlog " ] || fail "m's sub-LVs: $(subs m)"
ulvm dmsetup status pvg-m | grep -q " mirror 2 .* 4/4 1 AA 3 disk " || fail "m's status: $(ulvm dmsetup status pvg-m)"
! ulvm dmsetup ls | grep -q "pvg-m_rmeta\|pvg-m_rimage" || fail "old dm devices left: $(ulvm dmsetup ls)"
same_data m
same_as_lvm2 "raid1 -> mirror"

step "-m 0: linear on the first leg"
conv -m 0 pvg/m
[ "$(segtype m)" = linear ] && [ -z "$(subs m)" ] || fail "m is $(segtype m) with $(subs m)"
! ulvm dmsetup ls | grep -q "pvg-m_" || fail "old dm devices left: $(ulvm dmsetup ls)"
same_data m
same_as_lvm2 "mirror -> linear"

step "linear -> mirror -m 2: the new legs copied from it"
conv --type mirror -m 2 pvg/m
[ "$(subs m)" = "m_mimage_0 m_mimage_1 m_mimage_2 m_mlog " ] || fail "m's sub-LVs: $(subs m)"
mirror_synced m
same_data m
for i in 0 1 2; do leg "m_mimage_$i"; done
same_as_lvm2 "linear -> mirror"

step "-m 1 naming the PV of leg 1: that leg goes, leg 2 becomes leg 1"
pv1=$(lvm lvs -a --noheadings -o devices pvg/m_mimage_1 2>/dev/null | tr -d ' ' | sed 's/(.*//')
pv2=$(lvm lvs -a --noheadings -o devices pvg/m_mimage_2 2>/dev/null | tr -d ' ' | sed 's/(.*//')
conv -m 1 pvg/m "$pv1"
[ "$(subs m)" = "m_mimage_0 m_mimage_1 m_mlog " ] || fail "m's sub-LVs: $(subs m)"
[ "$(lvm lvs -a --noheadings -o devices pvg/m_mimage_1 2>/dev/null | tr -d ' ' | sed 's/(.*//')" = "$pv2" ] ||
	fail "m_mimage_1 is not the old leg 2 on $pv2"
same_data m
same_as_lvm2 "mirror -m 1"

step "refused, the VG unchanged"
refused "has 2 legs: convert it to raid1 as it is" --type raid1 -m 2 pvg/m
ulvm lvcreate --type raid5 -i 2 -L 4M -n r5 pvg >/dev/null
refused "Only raid1 LVs convert to mirror" -y --type mirror pvg/r5
ulvm lvcreate --type raid1 -m 1 -L 4M -n r1 pvg >/dev/null
refused "has 2 images: convert it to mirror as it is" -y --type mirror -m 2 pvg/r1
same_data m

step "-m 2: a third leg, copied from the first through a new disk log"
conv -m 2 pvg/m
[ "$(subs m)" = "m_mimage_0 m_mimage_1 m_mimage_2 m_mlog " ] || fail "m's sub-LVs: $(subs m)"
! ulvm dmsetup ls | grep -q "_gone" || fail "the old log's dm device is left: $(ulvm dmsetup ls)"
mirror_synced m
same_data m
for i in 0 1 2; do leg "m_mimage_$i"; done
same_as_lvm2 "mirror -m 2"

step "--mirrorlog core: the disk log removed, in sync without a copy"
conv --mirrorlog core pvg/m
[ "$(subs m)" = "m_mimage_0 m_mimage_1 m_mimage_2 " ] || fail "m's sub-LVs: $(subs m)"
ulvm dmsetup status pvg-m | grep -q " mirror 3 .* 4/4 1 AAA 1 core" || fail "m's status: $(ulvm dmsetup status pvg-m)"
ulvm dmsetup table pvg-m | grep -q " mirror core 2 [0-9]* nosync 3 " || fail "m's table: $(ulvm dmsetup table pvg-m)"
[ "$(ulvm lvs --devices "$DEVS" --noheadings -o lv_attr pvg/m | tr -d ' ' | cut -c1)" = m ] ||
	fail "m stays marked not synced: $(ulvm lvs --devices "$DEVS" --noheadings -o lv_attr pvg/m)"
! ulvm dmsetup ls | grep -q "pvg-m_mlog" || fail "the log's dm device is left: $(ulvm dmsetup ls)"
same_data m
same_as_lvm2 "--mirrorlog core"

step "--mirrorlog disk: a log written in sync, on a PV no leg uses"
conv --mirrorlog disk pvg/m
[ "$(subs m)" = "m_mimage_0 m_mimage_1 m_mimage_2 m_mlog " ] || fail "m's sub-LVs: $(subs m)"
ulvm dmsetup status pvg-m | grep -q " mirror 3 .* 4/4 1 AAA 3 disk " || fail "m's status: $(ulvm dmsetup status pvg-m)"
logpv=$(lvm lvs -a --noheadings -o devices pvg/m_mlog 2>/dev/null | tr -d ' ' | sed 's/(.*//')
for i in 0 1 2; do
	[ "$(lvm lvs -a --noheadings -o devices "pvg/m_mimage_$i" 2>/dev/null | tr -d ' ' | sed 's/(.*//')" != "$logpv" ] ||
		fail "the log is on leg $i's PV $logpv"
done
same_data m
for i in 0 1 2; do leg "m_mimage_$i"; done
same_as_lvm2 "--mirrorlog disk"
refused "a mirror's log is core or disk" --mirrorlog mirrored pvg/m
refused "already has a disk log" --mirrorlog disk pvg/m
refused "mirrorlog goes with --type mirror" --mirrorlog core pvg/r1
refused "a raid1 becomes a mirror with a disk log" -y --type mirror --mirrorlog core pvg/r1

step "-m 2 of a mirror made with --nosync and a core log: the new leg is copied all the same"
ulvm lvcreate --type mirror -m 1 --mirrorlog core --nosync -L 4M -n cm pvg >/dev/null
head -c $((4 * M)) /dev/urandom >"$T/cm.img"
nbdcopy --flush "$T/cm.img" "$(uri cm)"
ulvm lvconvert --devices "$DEVS" -m 2 pvg/cm >/dev/null
mirror_synced cm
for i in 0 1 2; do leg "cm_mimage_$i" "$T/cm.img"; done
same_as_lvm2 "core-log mirror -m 2"

step "-m 1 --mirrorlog disk together: a leg goes, a disk log comes, one line says so"
ulvm lvconvert --devices "$DEVS" -m 1 --mirrorlog disk pvg/cm >"$T/conv" 2>&1 || fail "lvconvert: $(cat "$T/conv")"
[ "$(grep -c "Logical volume pvg/cm successfully converted" "$T/conv")" = 1 ] || fail "lvconvert said: $(cat "$T/conv")"
[ "$(subs cm)" = "cm_mimage_0 cm_mimage_1 cm_mlog " ] || fail "cm's sub-LVs: $(subs cm)"
mirror_synced cm
for i in 0 1; do leg "cm_mimage_$i" "$T/cm.img"; done
same_as_lvm2 "mirror -m 1 --mirrorlog disk"

step "--splitmirrors: two legs leave as a mirror, then one of those as a linear LV, with the data"
ulvm lvcreate --type mirror -m 2 --mirrorlog core -L 4M -n sm pvg >/dev/null
mirror_synced sm
head -c $((4 * M)) /dev/urandom >"$T/sm.img"
nbdcopy --flush "$T/sm.img" "$(uri sm)"
refused "Please name the new LV" --splitmirrors 1 pvg/sm
refused "Unable to reduce images by specified amount - only 3 in sm" --splitmirrors 3 -n x pvg/sm
refused "trackchanges is not available to 'mirror' segment type" --splitmirrors 1 --trackchanges pvg/sm
refused "already exists" --splitmirrors 1 -n m pvg/sm
split() { # LV N NAME: both read as sm did
	ulvm lvconvert --devices "$DEVS" --splitmirrors "$2" -n "$3" "pvg/$1" >"$T/conv" 2>&1 || fail "split: $(cat "$T/conv")"
	grep -q "Logical volume pvg/$1 successfully converted" "$T/conv" || fail "split said: $(cat "$T/conv")"
	for lv in "$1" "$3"; do
		nbdcopy "$(uri "$lv")" "$T/back"
		cmp "$T/sm.img" "$T/back" || fail "$lv does not read as sm did"
	done
}
split sm 2 sm2
[ "$(segtype sm)" = linear ] && [ -z "$(subs sm)" ] && [ "$(segtype sm2)" = mirror ] &&
	[ "$(subs sm2)" = "sm2_mimage_0 sm2_mimage_1 " ] || fail "after the split: sm $(segtype sm) $(subs sm), sm2 $(segtype sm2) $(subs sm2)"
! ulvm dmsetup ls | grep -q "pvg-sm_m" || fail "the split legs' dm devices are left: $(ulvm dmsetup ls)"
mirror_synced sm2
for l in sm2_mimage_0 sm2_mimage_1; do leg "$l" "$T/sm.img"; done
same_as_lvm2 "--splitmirrors 2"
split sm2 1 sm1
[ "$(segtype sm2)" = linear ] && [ "$(segtype sm1)" = linear ] && [ -z "$(subs sm2)" ] ||
	fail "after the second split: sm2 $(segtype sm2) $(subs sm2), sm1 $(segtype sm1)"
same_as_lvm2 "--splitmirrors 1"
ulvm lvcreate --type mirror -m 1 --mirrorlog core -L 4M -n sm3 pvg >/dev/null
ulvm lvchange --devices "$DEVS" -an pvg/sm3
refused "activate it first" --splitmirrors 1 -n z pvg/sm3
ulvm lvremove --devices "$DEVS" -y pvg/sm pvg/sm1 pvg/sm2 pvg/sm3 >/dev/null

step "an inactive mirror -> raid1: resynced when activated"
ulvm lvchange --devices "$DEVS" -an pvg/m
conv --type raid1 pvg/m
ulvm lvchange --devices "$DEVS" -ay pvg/m
synced pvg/m
same_data m
for i in 0 1 2; do leg "m_rimage_$i"; done
same_as_lvm2 "inactive mirror -> raid1"
step "a leg fails under writes: mirror_image_fault_policy = allocate, ulvmd --on-event puts it elsewhere"
with_fault_policy mirror_image_fault_policy
ulvm lvcreate --type mirror -m 1 -L 4M -n fm pvg >/dev/null
mirror_synced fm
pvof() { lvm lvs -a --noheadings -o devices "pvg/$1" 2>/dev/null | tr -d ' ' | sed 's/(.*//'; }
before=$(pvof fm_mimage_1)
qio "$(uri fm)" "write -P 0x19 0 4M"
ulvm dmsetup reload pvg-fm_mimage_1 --table "0 $(ulvm dmsetup table pvg-fm_mimage_1 | awk '{n = $1 + $2} END {print n}') error"
ulvm dmsetup resume pvg-fm_mimage_1
qio "$(uri fm)" "write -P 0x1a 0 4M" # the leg fails, the client does not: a dm event
for _ in $(seq 100); do grep -q "Faulty devices in pvg/fm successfully replaced" "$T/ulvmd.log" && break; sleep 0.1; done
grep -q "Faulty devices in pvg/fm successfully replaced" "$T/ulvmd.log" || { cat "$T/ulvmd.log"; fail "no automatic repair"; }
mirror_synced fm
after=$(pvof fm_mimage_1)
echo "fm_mimage_1: $before -> $after"
[ -n "$after" ] && [ "$before" != "$after" ] || fail "fm_mimage_1 was not moved off its failing PV"
qio "$(uri fm)" "read -P 0x1a 0 4M"
head -c $((4 * M)) /dev/zero | tr '\0' '\032' >"$T/fm.img"
for i in 0 1; do leg "fm_mimage_$i" "$T/fm.img"; done
same_as_lvm2 "a failed leg replaced"
rm "$ULVM_CONF_DIR/ulvm.conf"

step "a PV lost: --repair drops the legs on it, and (asked) puts new legs elsewhere, copied from a good one"
ulvm lvremove --devices "$DEVS" -y pvg/r5 pvg/r1 pvg/cm pvg/m pvg/fm >/dev/null
ulvm lvcreate --type mirror -m 2 -L 4M -n rm pvg >/dev/null
mirror_synced rm
head -c $((4 * M)) /dev/urandom >"$T/rm.img"
nbdcopy --flush "$T/rm.img" "$(uri rm)"
pvx=$(lvm lvs -a --noheadings -o devices pvg/rm_mimage_1 2>/dev/null | tr -d ' ' | sed 's/(.*//')
pvy=$(lvm lvs -a --noheadings -o devices pvg/rm_mimage_0 2>/dev/null | tr -d ' ' | sed 's/(.*//')
ulvm lvcreate --type mirror -m 1 --mirrorlog core -L 4M -n rm2 pvg "$pvy" "$pvx" >/dev/null
mirror_synced rm2
nbdcopy --flush "$T/rm.img" "$(uri rm2)"
# for vgreduce --removemissing below: a mirror left unrepaired, a raid1
# and a linear LV with extents on the PV that goes
ulvm lvcreate --type mirror -m 1 -L 4M -n vm pvg "$pvy" "$pvx" >/dev/null
mirror_synced vm
nbdcopy --flush "$T/rm.img" "$(uri vm)"
ulvm lvcreate --type raid1 -m 1 -L 4M -n rx pvg "$pvy" "$pvx" >/dev/null
nbdcopy --flush "$T/rm.img" "$(uri rx)"
ulvm lvcreate -L 4M -n lx pvg "$pvx" >/dev/null
ulvm lvconvert --devices "$DEVS" --repair pvg/rm | grep -q "is consistent. Nothing to repair" || fail "repair of a whole mirror"
ulvm vgchange --devices "$DEVS" -an pvg >/dev/null
stop_ulvmd
lose_pv "$pvx"
LVM2_EXPECTED_WARNINGS+=('Couldn.t find device' 'is missing PV' 'missing' 'partial')
start_ulvmd
ulvm lvconvert --devices "$DEVS" -y --repair pvg/rm >"$T/conv" 2>&1 || { cat "$T/conv"; fail "--repair -y of rm"; }
cat "$T/conv"
grep -q "Mirror status: 1 of 3 images failed" "$T/conv" && grep -q "Faulty devices in pvg/rm successfully replaced" "$T/conv" ||
	fail "--repair said: $(cat "$T/conv")"
[ "$(subs rm)" = "rm_mimage_0 rm_mimage_1 rm_mimage_2 rm_mlog " ] || fail "rm's sub-LVs after --repair: $(subs rm)"
ulvm lvs -a --devices "$DEVS" --noheadings -o devices pvg | grep -q "$pvx" && fail "an LV still on the lost PV"
ulvm lvchange --devices "$DEVS" -ay pvg/rm
mirror_synced rm
nbdcopy "$(uri rm)" "$T/back"
cmp "$T/rm.img" "$T/back" || fail "rm does not read back after --repair"
for i in 0 1 2; do leg "rm_mimage_$i" "$T/rm.img"; done
# no replacement: the lost leg goes, a mirror of two becomes linear on the good one
echo n | ulvm lvconvert --devices "$DEVS" --repair pvg/rm2 >"$T/conv" 2>&1 || { cat "$T/conv"; fail "--repair of rm2"; }
grep -q "Faulty devices removed from pvg/rm2." "$T/conv" || fail "--repair of rm2 said: $(cat "$T/conv")"
[ "$(segtype rm2)" = linear ] || fail "rm2 is $(segtype rm2)"
ulvm lvchange --devices "$DEVS" -ay pvg/rm2
nbdcopy "$(uri rm2)" "$T/back"
cmp "$T/rm.img" "$T/back" || fail "rm2 does not read back after --repair"
ulvm vgs --devices "$DEVS" --noheadings -o vg_missing_pv_count pvg | grep -q 1 || fail "the lost PV is not counted missing"
# lvm2's vgck refuses a VG with a PV missing (exit 5): its lvs -a, then
fields lvm2 lvs | sed 's/|[^|]*|/|ATTR|/' >"$T/lvm2.txt"
fields ulvm lvs --devices "$DEVS" | sed 's/|[^|]*|/|ATTR|/' >"$T/ulvm.txt"
diff "$T/lvm2.txt" "$T/ulvm.txt" || fail "after --repair: lvs -a of lvm2 and ulvm differ"

step "vgreduce --removemissing: refused while LVs are partial, nothing changed; --force as lvm2: the mirror keeps its good leg, the raid1 error images"
ulvm vgchange --devices "$DEVS" -an pvg >/dev/null
before=$(seqno)
if ulvm vgreduce --devices "$DEVS" --removemissing pvg >"$T/out" 2>&1; then fail "vgreduce --removemissing removed LVs without --force"; fi
for lv in vm vm_mimage_1 rx rx_rimage_1 rx_rmeta_1 lx; do
	grep -q "WARNING: Partial LV $lv needs to be repaired or removed" "$T/out" || fail "vgreduce said: $(cat "$T/out")"
done
grep -q "There are still partial LVs in VG pvg" "$T/out" && grep -q "vgreduce --removemissing --force" "$T/out" ||
	fail "vgreduce said: $(cat "$T/out")"
[ "$(seqno)" = "$before" ] || fail "a refused vgreduce changed the VG"
# --force, as lvm2's (which does it first on the PVs as they are, to
# compare): the mirror keeps its good leg, the raid1 keeps its lost
# image and rmeta as error LVs, the linear LV goes
for f in a b c d e; do cp --sparse=always "$T/$f.img" "$T/$f.before"; done
lvm2 vgreduce --removemissing --force pvg >/dev/null
fields lvm2 lvs | sed 's/|[^|]*|/|ATTR|/' >"$T/lvm2.txt"
for f in a b c d e; do
	cp --sparse=always "$T/$f.before" "$T/$f.img"
	[ -n "${L[$f]}" ] && losetup -a | grep -q "^${L[$f]}:" && blockdev --flushbufs "${L[$f]}"
done
ulvm vgreduce --devices "$DEVS" --removemissing --force pvg | tee "$T/out"
grep -q 'Logical volume "lx" successfully removed' "$T/out" && ! grep -q '"rx"' "$T/out" ||
	fail "vgreduce --force said: $(cat "$T/out")"
fields ulvm lvs --devices "$DEVS" | sed 's/|[^|]*|/|ATTR|/' >"$T/ulvm.txt"
diff "$T/lvm2.txt" "$T/ulvm.txt" || fail "lvm2 and ulvm's vgreduce --removemissing --force differ"
[ "$(segtype vm)" = linear ] && [ -z "$(subs vm)" ] && [ "$(segtype rx)" = raid1 ] &&
	[ "$(segtype rx_rimage_1)" = error ] && [ "$(segtype rx_rmeta_1)" = error ] ||
	fail "after vgreduce: vm $(segtype vm) $(subs vm), rx $(segtype rx) $(segtype rx_rimage_1)"
ulvm vgs --devices "$DEVS" --noheadings -o vg_missing_pv_count pvg | grep -q 0 || fail "the lost PV is still in the VG"
ulvm lvchange --devices "$DEVS" -ay pvg/vm
nbdcopy "$(uri vm)" "$T/back"
cmp "$T/rm.img" "$T/back" || fail "vm does not read back after vgreduce"
# the raid1 runs degraded on its error image, then --repair replaces it
ulvm lvchange --devices "$DEVS" -ay pvg/rx
nbdcopy "$(uri rx)" "$T/back"
cmp "$T/rm.img" "$T/back" || fail "rx does not read back with its error image"
ulvm lvconvert --devices "$DEVS" --repair pvg/rx | grep -q "Faulty devices in pvg/rx successfully replaced" ||
	fail "lvconvert --repair of rx's error image"
[ "$(segtype rx_rimage_1)" = linear ] && [ "$(segtype rx_rmeta_1)" = linear ] || fail "rx's image is still an error LV"
nbdcopy "$(uri rx)" "$T/back"
cmp "$T/rm.img" "$T/back" || fail "rx does not read back after --repair"
same_as_lvm2 "vgreduce --removemissing --force"
stop_ulvmd
echo "lvm-mirror-convert: ok"
