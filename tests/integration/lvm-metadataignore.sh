#!/usr/bin/env bash
# Which metadata areas hold a VG's metadata, with real lvm2 as the oracle
# (its pvs/vgs mda counts and vgck read what ulvm wrote, and the other way
# round):
#  - pvcreate --metadataignore y: the PV's areas are ignored; pvchange
#    --metadataignore n|y of an orphan PV takes them back or not;
#  - vgcreate --vgmetadatacopies N (and --metadatacopies, which on a vg
#    command means the VG's copies, as in lvm2): N areas in use, one per
#    PV where it can; ulvm's later commits keep N in use;
#  - pvchange --metadataignore y|n of a PV in a VG: lvm2 sees its areas
#    ignored or in use; with managed copies it asks first (not with -f)
#    and the VG's number of copies follows (the same warning as lvm2's);
#    a PV holding every area in use of its VG is refused, as by lvm2;
#  - a VG made of PVs whose areas are all ignored takes one (or N) into
#    use, as lvm2's vg_write does;
#  - vgchange --vgmetadatacopies N|all|unmanaged: balanced at once;
#  - an area taken back into use holds the VG at once: with every other
#    area ignored lvm2 reads the VG, LVs made since included, from it;
#  - after lvm2 changed the areas, ulvm sees the same and its commit
#    keeps lvm2's choice;
#  - refused as lvm2 (already ignored, already in use, the last areas in
#    use, an answer n), and
#    bad values, each leaving the VG's seqno as it was.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lvm2.bash"
need pvcreate vgck vgs pvs losetup
export ULVM_CONF_DIR=$T/ulvm
mkdir -p "$ULVM_CONF_DIR"
declare -A L
attach_pvs 32M a b c d e f g h
lvm2_isolate "${L[@]}"
step() { echo "== $*"; }
LVM2_EXPECTED_WARNINGS=('Changing preferred number of copies')
# mdas TOOL: every PV's areas and every VG's counts as TOOL reports them
mdas() {
	"$@" pvs --noheadings -o pv_name,vg_name,pv_mda_count,pv_mda_used_count | sed 's/^ *//' | sort
	"$@" vgs --noheadings -o vg_name,vg_mda_count,vg_mda_used_count,vg_mda_copies | sed 's/^ *//' | sort
}
same_mdas() { # WHAT
	mdas lvm >"$T/lvm2.txt" 2>/dev/null
	mdas ulvm >"$T/ulvm.txt"
	diff "$T/lvm2.txt" "$T/ulvm.txt" || fail "$1: the metadata areas lvm2 and ulvm see differ"
}
used() { lvm pvs --noheadings -o pv_mda_used_count "$1" 2>/dev/null | tr -d ' '; } # lvm2's view of PV $1
vgused() { lvm vgs --noheadings -o vg_mda_used_count,vg_mda_copies "$1" 2>/dev/null | sed 's/^ *//; s/  */ /g'; }
seqno() { lvm vgs --noheadings -o vg_seqno "$1" 2>/dev/null | tr -d ' '; }

step "pvcreate --metadataignore y: lvm2 sees the areas ignored; pvchange of the orphan PV takes them back"
ulvm pvcreate --pvmetadatacopies 2 "${L[a]}" "${L[b]}" "${L[c]}" "${L[d]}" >/dev/null
ulvm pvcreate --pvmetadatacopies 2 --metadataignore y "${L[e]}" "${L[g]}" >/dev/null
[ "$(used "${L[e]}")" = 0 ] || fail "lvm2 sees $(used "${L[e]}") areas of e in use"
ulvm pvchange --metadataignore n "${L[e]}" | grep -q "Physical volume \"${L[e]}\" changed" || fail "pvchange of an orphan"
[ "$(used "${L[e]}")" = 2 ] || fail "lvm2 sees $(used "${L[e]}") areas of e in use after --metadataignore n"
same_refusal pvchange --metadataignore n "${L[e]}"
ulvm pvchange --metadataignore y "${L[e]}" >/dev/null
[ "$(used "${L[e]}")" = 0 ] || fail "lvm2 sees $(used "${L[e]}") areas of e in use after --metadataignore y"
same_refusal pvchange --metadataignore y "${L[e]}"
# y|n options take y or n only, checked before any VG is read (lvm2's yes_no_arg)
same_refusal pvchange --metadataignore yes "${L[e]}"
same_refusal vgchange --setautoactivation no novg
same_refusal lvcreate -Z 1 -L 4m -n x novg
# so are sizes, allocation policies and stripe counts; any command-line error exits 3
same_refusal lvcreate -L abc -n x novg
same_refusal lvcreate --alloc bogus -L 4m -n x novg
same_refusal lvcreate -i 0 -L 4m -n x novg
for bad in "lvs --bogus" "lvcreate -n x" "vgcreate"; do
	rc1=0 rc2=0
	lvm $bad >/dev/null 2>&1 || rc1=$?
	ulvm $bad >/dev/null 2>&1 || rc2=$?
	[ "$rc1" = 3 ] && [ "$rc2" = 3 ] || fail "$bad: exit $rc2, lvm2 $rc1"
done
lvm2 pvcreate --pvmetadatacopies 2 --metadataignore y "${L[f]}" "${L[h]}" >/dev/null
ulvm lvmdevices --adddev "${L[f]}" >/dev/null
ulvm lvmdevices --adddev "${L[h]}" >/dev/null
same_mdas "orphan PVs"

step "vgcreate --vgmetadatacopies 3: three of eight areas in use, on three PVs; lvm2 and ulvm commits keep three"
ulvm vgcreate --vgmetadatacopies 3 vg "${L[a]}" "${L[b]}" "${L[c]}" "${L[d]}" >/dev/null
lvm2 vgck vg >/dev/null
[ "$(vgused vg)" = "3 3" ] || fail "lvm2 sees vg's mdas used, copies: $(vgused vg)"
for p in a b c; do [ "$(used "${L[$p]}")" = 1 ] || fail "PV $p has $(used "${L[$p]}") areas in use, not 1"; done
same_mdas "vgcreate --vgmetadatacopies 3"
lvm2 lvcreate -an -Zn -Wn -y -L 4M -n l1 vg >/dev/null
ulvm lvcreate -an -L 4M -n l2 vg >/dev/null
lvm2 vgck vg >/dev/null
[ "$(vgused vg)" = "3 3" ] || fail "after lvcreate lvm2 sees vg's mdas used, copies: $(vgused vg)"
same_mdas "lvcreate in a VG of 3 copies"

step "vgcreate --metadatacopies of PVs with every area ignored: one taken into use, as lvm2 does"
ulvm vgcreate --metadatacopies 1 vgu "${L[e]}" >/dev/null
# lvm2's vgcreate looks at the orphans without reading the VGs, and so
# warns of d, in vg with no area in use (lvm2 does so of a VG it made so)
LVM2_EXPECTED_WARNINGS+=('is marked in use but no VG was found using it' 'might need repairing')
lvm2 vgcreate --metadatacopies 1 vgl "${L[f]}" >/dev/null
[ "$(vgused vgu)" = "$(vgused vgl)" ] || fail "vgcreate --metadatacopies 1: ulvm's VG $(vgused vgu), lvm2's $(vgused vgl)"
[ "$(vgused vgu)" = "1 1" ] || fail "vgu: $(vgused vgu)"
ulvm vgextend vgu "${L[g]}" >/dev/null
lvm2 vgextend vgl "${L[h]}" >/dev/null
LVM2_EXPECTED_WARNINGS=('Changing preferred number of copies')
[ "$(vgused vgu)" = "1 1" ] && [ "$(vgused vgl)" = "1 1" ] || fail "vgextend: vgu $(vgused vgu), vgl $(vgused vgl)"
same_mdas "vgcreate --metadatacopies 1, vgextend"
before=$(seqno vgu)
if ulvm vgextend --metadatacopies 2 vgu "${L[d]}" >"$T/out" 2>&1; then fail "vgextend took --metadatacopies"; fi
grep -q "option '--metadatacopies' does not apply to vgextend" "$T/out" || { cat "$T/out"; fail "vgextend --metadatacopies said"; }
[ "$(seqno vgu)" = "$before" ] || fail "a refused vgextend changed vgu"

step "pvchange --metadataignore with managed copies: asked (-f: not); the copies follow, with lvm2's warning"
before=$(seqno vgu)
if echo n | ulvm pvchange --metadataignore n "${L[g]}" >"$T/out" 2>&1; then fail "answered n, pvchange went on"; fi
grep -q "Override preferred number of copies of VG vgu metadata? \[y/n\]" "$T/out" || { cat "$T/out"; fail "not asked"; }
[ "$(seqno vgu)" = "$before" ] || fail "answered n, vgu changed"
# like_lvm2 ARGS: ulvm on vgu (PV G is g, E is e) and lvm2 on vgl (G is
# h, E is f) exit and print the same lines
like_lvm2() {
	local rc1=0 rc2=0 la=("${@/#G/${L[h]}}") ua=("${@/#G/${L[g]}}")
	la=("${la[@]/#E/${L[f]}}")
	ua=("${ua[@]/#E/${L[e]}}")
	lvm "${la[@]}" >"$T/lvm.out" 2>"$T/lvm.err" || rc1=$?
	ulvm "${ua[@]}" >"$T/ulvm.out" 2>"$T/ulvm.err" || rc2=$?
	[ "$rc1" = "$rc2" ] || { cat "$T/lvm.err" "$T/ulvm.err"; fail "$*: exit $rc2, lvm2 $rc1"; }
	for o in out err; do
		grep -v 'WARNING: Activation disabled' "$T/lvm.$o" |
			diff - <(sed 's/vgu/vgl/g; s|'"${L[g]}"'|'"${L[h]}"'|g; s|'"${L[e]}"'|'"${L[f]}"'|g' "$T/ulvm.$o") ||
			fail "$*: lvm2 and ulvm say different things"
	done
	echo "as lvm2: $* (exit $rc1)"
}
like_lvm2 pvchange -f --metadataignore n G
[ "$(vgused vgu)" = "3 3" ] && [ "$(vgused vgl)" = "3 3" ] || fail "after pvchange: vgu $(vgused vgu), vgl $(vgused vgl)"
like_lvm2 pvchange -f --metadataignore y G
[ "$(vgused vgu)" = "1 1" ] && [ "$(vgused vgl)" = "1 1" ] || fail "after pvchange: vgu $(vgused vgu), vgl $(vgused vgl)"
like_lvm2 pvchange -f --metadataignore y G
# e (lvm2: f) holds the VG's one area in use: refused both ways
like_lvm2 pvchange -f --metadataignore n E
same_mdas "pvchange with managed copies"

step "vgchange --vgmetadatacopies all, N, unmanaged: balanced at once"
ulvm vgchange --vgmetadatacopies all vg >/dev/null
[ "$(vgused vg)" = "8 unmanaged" ] || fail "all: lvm2 sees $(vgused vg)"
ulvm vgchange --vgmetadatacopies 2 vg >/dev/null
[ "$(vgused vg)" = "2 2" ] || fail "2: lvm2 sees $(vgused vg)"
ulvm vgchange --vgmetadatacopies 2 vg 2>"$T/err" >/dev/null
grep -q "Number of metadata copies for VG vg is already 2." "$T/err" || { cat "$T/err"; fail "no 'already 2'"; }
ulvm vgchange --metadatacopies unmanaged vg >/dev/null
[ "$(vgused vg)" = "2 unmanaged" ] || fail "unmanaged: lvm2 sees $(vgused vg)"
lvm2 vgck vg >/dev/null
same_mdas "vgchange --vgmetadatacopies"

step "the VG read from an area taken back into use: every other area ignored, lvm2 reads l3 from it"
ulvm vgchange --vgmetadatacopies all vg >/dev/null
ulvm pvchange --metadataignore y "${L[a]}" "${L[b]}" "${L[c]}" >/dev/null
for p in a b c; do [ "$(used "${L[$p]}")" = 0 ] || fail "PV $p has $(used "${L[$p]}") areas in use"; done
[ "$(used "${L[d]}")" = 2 ] || fail "d's areas in use: $(used "${L[d]}")"
refused_keeps_vg vg "Cannot disable all metadata areas in volume group vg." ulvm pvchange --metadataignore y "${L[d]}"
ulvm lvcreate -an -L 4M -n l3 vg >/dev/null
lvm2 vgck vg >/dev/null
lvm lvs --noheadings -o lv_name vg 2>/dev/null | grep -qw l3 || fail "lvm2 does not read l3 from d's areas"
same_mdas "only d's areas in use"

step "lvm2 changes the areas, ulvm sees the same, and its commit keeps lvm2's choice"
lvm2 pvchange --metadataignore n "${L[a]}" "${L[b]}" >/dev/null
lvm2 vgchange --vgmetadatacopies 3 vg >/dev/null
same_mdas "after lvm2's vgchange --vgmetadatacopies 3"
mdas lvm >"$T/lvm2-before.txt" 2>/dev/null
ulvm lvcreate -an -L 4M -n l4 vg >/dev/null
lvm2 vgck vg >/dev/null
mdas lvm 2>/dev/null | diff "$T/lvm2-before.txt" - || fail "ulvm's commit moved the copies lvm2 chose"

step "refused as lvm2, the VG as it was"
lvm2 vgchange --vgmetadatacopies all vg >/dev/null
lvm2 pvchange --metadataignore y "${L[c]}" >/dev/null
ignored=c inuse=a
before=$(seqno vg)
same_refusal pvchange --metadataignore y "${L[$ignored]}"
same_refusal pvchange --metadataignore n "${L[$inuse]}"
[ "$(seqno vg)" = "$before" ] || fail "a refused pvchange changed vg"
refused_keeps_vg vg "Invalid argument for --vgmetadatacopies: two" ulvm vgchange --vgmetadatacopies two vg
refused_keeps_vg vg "Invalid argument for --metadataignore: maybe" ulvm pvchange --metadataignore maybe "${L[a]}"
refused_keeps_vg vg "Invalid argument for --vgmetadatacopies: -1" ulvm vgchange --vgmetadatacopies -1 vg
lvm2 vgck vg >/dev/null
echo "PASS"
