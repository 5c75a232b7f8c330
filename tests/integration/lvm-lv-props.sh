#!/usr/bin/env bash
# LV properties lvm2 keeps in the VG text, changed by lvchange and set by
# lvcreate, with real lvm2 as the oracle: the same command on twin VGs (vga
# by lvm2, vgb by ulvm) prints the same lines, exits the same and leaves
# the same LV text (ids and times aside):
#  - --alloc POLICY and -C y|n (allocation policy; "already" refused),
#    --setactivationskip y|n (the 'k' attr; -ay passes it over, -K not),
#    -r/--readahead N|Nk|none|auto (whole pages, with lvm2's warning;
#    "already" refused); lvcreate -C y, -k y, -r, -p r;
#  - sizes in percent (%PVS, %LV, %FREE) and their rounding;
#  - -qq (lvm2's silent mode): no "created"/"changed" lines; -q: as without;
#  - a thin pool's --errorwhenfull y|n, --discards, -Z y|n, with lvm2's
#    refusals, and lvcreate --errorwhenfull y of a pool; an active pool is
#    reloaded with them: with error_if_no_space
#    a write past its space fails at once instead of waiting.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lvm2.bash"
need vgck lvs losetup qemu-io timeout
export ULVM_CONF_DIR=$T/ulvm
mkdir -p "$ULVM_CONF_DIR"
declare -A L
attach_pvs 64M a b
lvm2_isolate "${L[@]}"
step() { echo "== $*"; }
ulvm pvcreate "${L[a]}" "${L[b]}" >/dev/null
ulvm vgcreate vga "${L[a]}" >/dev/null
ulvm vgcreate vgb "${L[b]}" >/dev/null
for vg in vga vgb; do
	ulvm lvcreate -an -L 8M -n lv "$vg" >/dev/null
	ulvm lvcreate -an -T -L 16M "$vg/pool" >/dev/null
done
same_text() { # WHAT: vga's and vgb's LV text the same
	lvtext vga >"$T/a.txt"
	lvtext vgb >"$T/b.txt"
	diff "$T/a.txt" "$T/b.txt" || fail "$1: lvm2's and ulvm's LV text differ"
}
# twin ARGS: lvm2 on vga (VG in the args, DEV its PV), ulvm on vgb: the same lines,
# the same exit status and the same text after
twin() {
	local rc1=0 rc2=0
	local a=("${@//VG/vga}") b=("${@//VG/vgb}")
	lvm "${a[@]//DEV/${L[a]}}" >"$T/lvm.out" 2>"$T/lvm.err" || rc1=$?
	ulvm "${b[@]//DEV/${L[b]}}" >"$T/ulvm.out" 2>"$T/ulvm.err" || rc2=$?
	[ "$rc1" = "$rc2" ] || { cat "$T/lvm.err" "$T/ulvm.err"; fail "$*: exit $rc2, lvm2 $rc1"; }
	for o in out err; do
		grep -v -e 'WARNING: Activation disabled' -e 'NOT backed up' -e 'not zeroed' "$T/lvm.$o" |
			sed "s/vga/VG/g; s|${L[a]}|DEV|g" >"$T/l"
		grep -v 'not zeroed' "$T/ulvm.$o" | sed "s/vgb/VG/g; s|${L[b]}|DEV|g" | diff "$T/l" - ||
			fail "$*: lvm2 and ulvm say different things"
	done
	same_text "$*"
	local f=lv_name,lv_read_ahead,lv_allocation_policy,lv_allocation_locked,lv_skip_activation,lv_permissions,lv_when_full,discards,zero
	lvm lvs --noheadings -o "$f" vga 2>/dev/null >"$T/l"
	ulvm lvs --noheadings -o "$f" vgb | diff "$T/l" - || fail "$*: lvs of lvm2 (vga) and ulvm (vgb) differ"
	echo "as lvm2: $* (exit $rc1$(grep -v -e "Activation disabled" -e "not zeroed" -e "NOT backed" "$T/lvm.err" | head -n 1 | sed "s/^ */: /"))"
}

start_ulvmd
step "allocation policy: --alloc, -C y|n"
twin lvchange -C y VG/lv
twin lvchange -C y VG/lv
twin lvchange --alloc anywhere VG/lv
twin lvchange --alloc anywhere VG/lv
twin lvchange -C n VG/lv
twin lvchange --alloc normal VG/lv
twin lvchange --alloc inherit VG/lv

step "activation skip: -k / --setactivationskip"
twin lvchange --setactivationskip y VG/lv
twin lvchange -k y VG/lv
[ "$(ulvm lvs --noheadings -o lv_attr vgb/lv | tr -d ' ' | cut -c10)" = k ] || fail "no 'k' in lv_attr"
if ulvm lvchange -ay vgb/lv >/dev/null 2>&1 && ulvm lvs --noheadings -o lv_active vgb/lv | grep -q active; then
	fail "an LV with activation skip was activated without -K"
fi
ulvm lvchange -ay -K vgb/lv >/dev/null
ulvm lvs --noheadings -o lv_active vgb/lv | grep -q active || fail "-ay -K did not activate it"
ulvm lvchange -an vgb/lv >/dev/null
twin lvchange --setactivationskip n VG/lv

step "read ahead: sectors, units, whole pages, none, auto"
twin lvchange -r 256 VG/lv
twin lvchange -r 256 VG/lv
twin lvchange -r 3 VG/lv
twin lvchange --readahead 100k VG/lv
twin lvchange -r none VG/lv
twin lvchange -r none VG/lv
twin lvchange -r auto VG/lv
twin lvchange -r auto VG/lv
twin lvchange -r 1m -C y -k y VG/lv

step "lvcreate -C y -k y -r 64 -p r"
twin lvcreate -an -Zn -Wn -C y -k y -r 64 -p r -L 4M -n made VG
[ "$(ulvm lvs --noheadings -o lv_attr vgb/made | tr -d ' ' | cut -c1-2,10)" = -rk ] ||
	fail "made: $(ulvm lvs --noheadings -o lv_attr vgb/made)"

step "-qq: nothing on standard output, as lvm2's silent mode; -q changes nothing printed"
twin lvcreate -qq -an -Zn -Wn -L 4M -n quiet VG
[ -s "$T/ulvm.out" ] && fail "lvcreate -qq printed: $(cat "$T/ulvm.out")"
twin lvchange -qq -C y VG/quiet
twin lvchange -q -C n VG/quiet

step "sizes in percent: %PVS of the named PVs' free extents, %LV, %FREE; a resize rounds up as lvm2"
twin lvcreate -an -Zn -l 30%PVS -n pct VG DEV
twin lvextend -l +50%PVS VG/pct DEV
twin lvextend -l 20%PVS VG/pct DEV
# (ulvm warns before reducing an inactive LV too; lvm2 2.03.16 only an active one)
lvm lvreduce -y -l -50%LV vga/pct >/dev/null 2>&1
ulvm lvreduce -y -l -50%LV vgb/pct >/dev/null
same_text "lvreduce -l -50%LV"
twin lvextend -l +50%LV VG/pct
twin lvextend -l +33%FREE VG/pct
twin lvextend -l +150%LV VG/pct
twin lvcreate -an -Zn -l 10%LV -n p3 VG
twin lvremove -y VG/pct

step "PE ranges as lvm2 reads them: N, N-M, N-, -M, N+LEN; refused: PV:, past the PV, overlapping"
# the first free run of at least 4 PEs on vga (vgb's is the same: the twins stay alike)
read -r f _ < <(lvm pvs --noheadings --segments -o pvseg_start,pvseg_size,lv_name "${L[a]}" 2>/dev/null |
	awk 'NF == 2 && $2 >= 4 {print $1, $2; exit}')
[ -n "$f" ] || fail "no free run of 4 PEs on vga"
twin lvcreate -an -Zn -l 2 -n r1 VG "DEV:$f+2"
twin lvcreate -an -Zn -l 1 -n r2 VG "DEV:$((f + 2))-"
twin lvcreate -an -Zn -l 1 -n r3 VG "DEV:-$((f + 3))"
twin lvcreate -an -Zn -l 1 -n r4 VG "DEV:-$((f + 3))" "DEV:$((f + 3))"
twin lvcreate -an -Zn -l 1 -n r4 VG DEV:
twin lvcreate -an -Zn -l 1 -n r4 VG DEV:99
twin lvcreate -an -Zn -l 2 -n r4 VG DEV:10-11 DEV:11-12
twin lvcreate -an -Zn -l 1 -n r4 VG DEV:1x
twin lvremove -y VG/r1 VG/r2 VG/r3

step "a thin pool's --errorwhenfull, --discards, -Z"
twin lvchange --errorwhenfull y VG/pool
twin lvchange --errorwhenfull y VG/pool
twin lvchange --discards nopassdown VG/pool
twin lvchange --discards nopassdown VG/pool
twin lvchange -Z n VG/pool
twin lvchange -Z n VG/pool
twin lvchange --discards ignore VG/pool
twin lvchange -Z y VG/pool
twin lvchange --errorwhenfull n VG/pool
lvm2 vgck vga >/dev/null
lvm2 vgck vgb >/dev/null

step "an active pool reloaded: error_if_no_space in its table, a write past its space fails at once"
ulvm lvchange --discards passdown vgb/pool >/dev/null
ulvm lvcreate -T vgb/pool -V 64M -n thin >/dev/null
refused_keeps_vg vgb "Cannot change support for discards while pool volume vgb/pool is active." \
	ulvm lvchange --discards ignore vgb/pool
ulvm lvchange --errorwhenfull y vgb/pool | grep -q "Logical volume vgb/pool changed." || fail "--errorwhenfull y"
ulvm dmsetup table vgb-pool-tpool | grep -q ' error_if_no_space$' || fail "no error_if_no_space: $(ulvm dmsetup table vgb-pool-tpool)"
[ "$(ulvm lvs --noheadings -o lv_when_full vgb/pool | tr -d ' ')" = error ] || fail "lv_when_full"
rc=0
timeout 60 qemu-io -f raw -c 'write -P 0x33 0 32M' "nbd+unix:///vgb/thin?socket=$SOCK" >"$T/qio" 2>&1 || rc=$?
[ "$rc" != 124 ] || fail "a write past the pool's space waited (queue_if_no_space)"
grep -qi "error\|failed" "$T/qio" || { cat "$T/qio"; fail "a write past the pool's space did not fail"; }
ulvm lvchange --errorwhenfull n vgb/pool >/dev/null
ulvm dmsetup table vgb-pool-tpool | grep -q error_if_no_space && fail "error_if_no_space stayed"
ulvm lvcreate --type thin-pool --errorwhenfull y -L 8M -n p2 vgb >/dev/null
[ "$(lvm lvs --noheadings -o lv_when_full vgb/p2 2>/dev/null | tr -d ' ')" = error ] ||
	fail "lvcreate --errorwhenfull y: lvm2 sees $(lvm lvs --noheadings -o lv_when_full vgb/p2 2>/dev/null)"
ulvm dmsetup table vgb-p2-tpool | grep -q ' error_if_no_space$' || fail "p2: no error_if_no_space"
refused_keeps_vg vgb "--errorwhenfull applies to thin pools" ulvm lvcreate --errorwhenfull y -L 4M -n lin vgb
ulvm vgchange -an vgb >/dev/null
echo "PASS"
