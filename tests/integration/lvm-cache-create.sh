#!/usr/bin/env bash
# lvcreate of cached LVs in one step (lvmcache(7)), with real lvm2 as the
# oracle.  lvm2 here has no device-mapper, so it makes what needs none on
# its VG (lvg) and ulvm the same on its own (uvg); the two VG texts must
# be the same but for ids, times and the VG's name:
#  - lvcreate --type cache -L SIZE -n POOL VG/LV: a new cache pool caches
#    an existing LV (lvm2 does this itself, with metadata format 1 and a
#    policy given); on an active LV ulvm restacks it online, its data
#    stays, cache_check accepts the metadata the target wrote;
#  - lvcreate --type cache -L SIZE -n LV --cachepool POOL VG (or VG/POOL
#    as the argument): a new LV cached at once, as lvm2's lvcreate then
#    lvconvert make it, with lvm2's one "created" line; the same with
#    --cachevol (cache and writecache), data through NBD;
#  - --cachedevice PV [--cachesize]: a new cachevol LV_cache (LV_cache0
#    when that is taken) on the PV, as lvm2's _lv_create_cachevol: all of
#    an unused PV after lvm2's question, --cachesize required on a used one;
#  - refused before anything is made: an LV not in the VG, another VG's,
#    --cachevol with another type, an origin that is not there; an
#    attach that fails takes the new LV away
#    again ("Removing new LV after failing to add writecache.").
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
source "$(dirname "$0")/lvm2.bash"
need vgck lvs losetup qemu-io cache_check
export ULVM_CONF_DIR=$T/ulvm
mkdir -p "$ULVM_CONF_DIR"
declare -A L
attach_pvs 96M a b c d
attach_pvs 32M e
lvm2_isolate "${L[@]}"
step() { echo "== $*"; }
LVM2_EXPECTED_WARNINGS=('created without initialization' 'not zeroed' 'Reusing cache pool metadata' 'Skipping zeroing and wip'
	'check for active volumes')
same_text() {
	lvm2 vgck uvg >/dev/null
	lvtext lvg >"$T/lvg.txt"
	lvtext uvg >"$T/uvg.txt"
	diff "$T/lvg.txt" "$T/uvg.txt" || fail "$1: the VG texts of lvm2 and ulvm differ"
}
sums() { md5sum "${L[a]}" "${L[b]}" "${L[e]}"; }
refused() { expect_refused "$1" ulvm lvcreate "${@:2}"; }
lvm2 pvcreate "${L[c]}" "${L[d]}" >/dev/null
lvm2 vgcreate -s 1m lvg "${L[c]}" "${L[d]}" >/dev/null
lvm2 lvcreate -an -Zn -Wn -y -L 16M -n main lvg "${L[c]}" >/dev/null
ulvm pvcreate "${L[a]}" "${L[b]}" >/dev/null
ulvm vgcreate -s 1m uvg "${L[a]}" "${L[b]}" >/dev/null
ulvm lvcreate -an -Zn -Wn -L 16M -n main uvg "${L[a]}" 2>/dev/null >/dev/null
start_ulvmd

step "lvcreate --type cache -L 8M -n cp VG/main: a new cache pool caches main, as lvm2 makes it"
opts=(--type cache -L 8M -n cp --cachemetadataformat 1 --cachepolicy smq)
lvm2 lvcreate -an "${opts[@]}" lvg/main "${L[d]}" >"$T/lvm2.out"
ulvm lvcreate -an "${opts[@]}" uvg/main "${L[b]}" >"$T/ulvm.out"
sed 's/lvg/VG/' "$T/lvm2.out" | diff - <(sed 's/uvg/VG/' "$T/ulvm.out") || fail "lvm2 and ulvm say different things"
cat "$T/ulvm.out"
same_text "lvcreate --type cache VG/LV"

step "--cachepool: a new LV cached at once, as lvm2's lvcreate then lvconvert --type cache"
for v in uvg:b lvg:d; do
	lvm2 lvcreate --type cache-pool -L 8M -n cpa "${v%:*}" "${L[${v#*:}]}" >/dev/null
done
lvm2 lvcreate -an -Zn -Wn -L 8M -n new lvg "${L[c]}" >/dev/null
lvm2 lvconvert -y --type cache --cachepool lvg/cpa --zero n --cachemetadataformat 1 --cachepolicy smq lvg/new \
	>/dev/null
ulvm lvcreate -an -Zn -Wn --type cache -L 8M -n new --cachepool uvg/cpa --cachemetadataformat 1 --cachepolicy smq \
	uvg "${L[a]}" 2>/dev/null | tee "$T/out"
grep -qx '  Logical volume "new" created.' "$T/out" && ! grep -q 'is now cached' "$T/out" ||
	fail "not lvm2's one line (lv_create_single prints only \"created\")"
same_text "lvcreate --cachepool"

step "the same on an active LV: restacked online, its data kept, the metadata cache_check-clean"
ulvm lvcreate -L 8M -n m2 uvg "${L[a]}" >/dev/null
qio "$(uri uvg/m2)" "write -P 0x51 0 8M" "flush"
ulvm lvcreate --type cache -L 8M -n cp2 uvg/m2 "${L[b]}" | tee "$T/out"
grep -qx '  Logical volume uvg/m2 is now cached.' "$T/out" || fail "no 'is now cached'"
ulvm dmsetup table uvg-m2 | grep -q " cache " || fail "uvg/m2 is not a cache device"
qio "$(uri uvg/m2)" "read -P 0x51 0 8M" "write -P 0x52 1M 1M" "read -P 0x52 1M 1M"
ulvm lvchange -an uvg/m2
lvm2_extents uvg cp2_cpool_cmeta "$T/cmeta"
cache_check "$T/cmeta" >"$T/cc.log" 2>&1 || { cat "$T/cc.log"; fail "cache_check of cp2's metadata"; }
lvm2 vgck uvg >/dev/null

step "--cachevol, for cache and writecache: new LVs cached at once, their data through NBD"
ulvm lvcreate -an -L 4M -n fast uvg "${L[b]}" >/dev/null
ulvm lvcreate -an -L 4M -n fast2 uvg "${L[b]}" >/dev/null
ulvm lvcreate -y --type cache -L 8M -n nc --cachevol uvg/fast uvg "${L[a]}" | tee "$T/out"
grep -qx '  Logical volume uvg/nc is now cached.' "$T/out" || fail "no 'is now cached'"
ulvm lvcreate -y --type writecache -L 8M -n nw --cachevol fast2 uvg "${L[a]}" >/dev/null
[ "$(lvm2 lvs --noheadings --separator '|' -o segtype,pool_lv uvg/nc uvg/nw | tr -d ' ' | tr '\n' ' ')" = \
	"cache|[fast_cvol] writecache|[fast2_cvol] " ] || fail "lvm2: $(lvm2 lvs -a uvg)"
qio "$(uri uvg/nc)" "write -P 0x61 0 8M" "read -P 0x61 0 8M"
qio "$(uri uvg/nw)" "write -P 0x62 0 8M" "read -P 0x62 0 8M"
lvm2 vgck uvg >/dev/null

step "--cachedevice PV [--cachesize]: a new cachevol LV_cache (LV_cache0 when taken), lvconvert and lvcreate"
ulvm vgextend uvg "${L[e]}" >/dev/null
ulvm lvcreate -L 8M -n slow uvg "${L[a]}" >/dev/null
qio "$(uri uvg/slow)" "write -P 0x71 0 8M" "flush"
ulvm lvcreate -an -L 4M -n slow_cache uvg "${L[a]}" >/dev/null # the name lvm2 would take first
s0=$(lvm2 vgs --noheadings -o vg_seqno uvg | tr -d ' ')
echo n | ulvm lvconvert --type writecache --cachedevice "${L[e]}" uvg/slow >"$T/out" 2>&1 && fail "converted after a no"
grep -qF "Use all 31.00 MiB from ${L[e]} for cache? [y/n]" "$T/out" &&
	grep -qF "Use --cachesize SizeMB to use a part of the cachedevice." "$T/out" ||
	{ cat "$T/out"; fail "not asked as lvm2 asks"; }
expect_refused "PV ${L[b]} is in use, --cachesize is required." ulvm lvconvert --type cache --cachedevice "${L[b]}" uvg/slow
[ "$(lvm2 vgs --noheadings -o vg_seqno uvg | tr -d ' ')" = "$s0" ] || fail "a refused --cachedevice changed the VG"
ulvm lvconvert -y --type writecache --cachedevice "${L[e]}" uvg/slow 2>/dev/null | tee "$T/out"
grep -qx "  Creating cachevol LV slow_cache0 with size 31.00 MiB." "$T/out" &&
	grep -qx '  Logical volume "slow_cache0" created.' "$T/out" || fail "not lvm2's cachevol"
qio "$(uri uvg/slow)" "read -P 0x71 0 8M" "write -P 0x72 0 1M" "read -P 0x72 0 1M"
ulvm lvcreate --type cache -L 8M -n nd --cachedevice "${L[b]}" --cachesize 4M uvg "${L[a]}" | tee "$T/out"
grep -qx "  Creating cachevol LV nd_cache with size 4.00 MiB." "$T/out" &&
	grep -qx "  Logical volume uvg/nd is now cached." "$T/out" || fail "lvcreate --cachedevice"
lvm2 lvs -a --noheadings --separator '|' -o segtype,pool_lv,devices uvg/slow uvg/nd | tr -d ' ' >"$T/lvs"
cat "$T/lvs"
[ "$(sed 's/([0-9]*)//g' "$T/lvs" | tr '\n' ' ')" = "cache|[nd_cache_cvol]|nd_corig writecache|[slow_cache0_cvol]|slow_wcorig " ] ||
	fail "lvm2 does not list the cachevols as made"
qio "$(uri uvg/nd)" "write -P 0x73 0 8M" "read -P 0x73 0 8M"
lvm2 vgck uvg >/dev/null

step "refused before anything is made"
ulvm lvchange -an uvg/nc uvg/nw uvg/slow uvg/nd >/dev/null # nothing writes to the PVs while their sums are compared
ulvm lvcreate -L 4M -n fast3 uvg "${L[b]}" >/dev/null # active: a cachevol must be inactive
refused "Logical volume nosuch not found in volume group uvg." --type cache -L 4M -n x --cachevol uvg/nosuch uvg
refused "Logical volume lvg/cpa is not in volume group uvg." --type cache -L 4M -n x --cachepool lvg/cpa uvg
refused "--cachevol goes with --type cache or writecache." --type raid1 -L 4M -n x --cachevol uvg/fast3 uvg
refused "--cachevol, --cachepool and --cachedevice go one at a time." -L 4M -n x --cachevol uvg/fast3 --cachepool uvg/cpa uvg
refused "Ambiguous syntax, please create --type cache-pool nosuch separately." --type cache -L 4M uvg/nosuch


step "lvcreate --type cache -L SIZE -n LV VG/POOL: a new LV cached by an existing pool"
ulvm lvcreate --type cache-pool -L 4M -n cpb uvg "${L[b]}" >/dev/null
ulvm lvcreate --type cache -L 4M -n v3 uvg/cpb "${L[a]}" | tee "$T/out"
grep -qx '  Logical volume "v3" created.' "$T/out" || fail "not lvm2's line"
[ "$(lvm2 lvs --noheadings --separator '|' -o segtype,pool_lv uvg/v3 | tr -d ' ')" = "cache|[cpb_cpool]" ] ||
	fail "lvm2: $(lvm2 lvs -a uvg)"
qio "$(uri uvg/v3)" "write -P 0x74 0 4M" "read -P 0x74 0 4M"
lvm2 vgck uvg >/dev/null

step "an attach that fails takes the new LV away"
if ulvm lvcreate -y --type writecache -L 4M -n w2 --cachevol uvg/fast3 uvg >"$T/out" 2>&1; then
	cat "$T/out"
	fail "a writecache over an active cachevol was made"
fi
cat "$T/out"
grep -q "must be inactive to attach" "$T/out" && grep -qx "  Removing new LV after failing to add writecache." "$T/out" ||
	fail "not refused as lvm2"
if lvm lvs uvg/w2 >/dev/null 2>&1; then fail "the new LV uvg/w2 stayed"; fi
lvm2 vgck uvg >/dev/null
stop_ulvmd
echo "lvm-cache-create: ok"
