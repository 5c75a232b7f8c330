#!/usr/bin/env bash
# -S/--select, tags, hidden LVs and vgremove against real lvm2 on the same
# PVs (loop devices, isolated lvm.conf, activation disabled for lvm2):
#  - lvs/vgs/pvs -S: a set of expressions (strings, regex, sizes with
#    units, numbers, reserved names, string lists [..] {..}, && || ! ()),
#    the same rows as lvm2; "selected"; vgs with LV fields;
#  - bad selections: refused as lvm2 refuses them, same messages, exit 5;
#  - selection by time (lv_time since "1 week ago", = "2024-02", @EPOCH):
#    creation times rewritten through lvm2's vgcfgrestore, the same rows;
#  - tags: --addtag/--deltag on vgcreate, lvcreate (thin too), lvchange,
#    vgchange, pvchange, written as lvm2 writes them and read both ways;
#    @tag arguments; lvchange/vgchange/pvchange/lvremove -S; bad tags
#    exit 3;
#  - lvs -a of a VG with a thin pool sorts the hidden LVs as lvm2 does;
#  - vgremove counts and names the LVs as lvm2 does.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lvm2.bash"
need lvs vgs pvs vgremove vgcfgbackup losetup
export ULVM_CONF_DIR=$T/ulvm
mkdir -p "$ULVM_CONF_DIR"
declare -A L
attach_pvs 64M a b c
lvm2_isolate --no-backup "${L[@]}"
LVM2_EXPECTED_WARNINGS=(thin Thin 'NOT backed up')
step() { echo "== $*"; }
# both tools' output of the same command, which must be the same
same() {
	lvm2 "$@" >"$T/lvm.out"
	ulvm "$@" >"$T/ulvm.out" || fail "ulvm $*: exit $?"
	diff "$T/lvm.out" "$T/ulvm.out" || fail "$*: lvm2 and ulvm differ"
}

step "a VG with tags, linear, striped and thin LVs (ulvm), more tags (lvm2)"
ulvm pvcreate "${L[a]}" "${L[b]}" "${L[c]}" >/dev/null
ulvm vgcreate --addtag vgtag --addtag @Other sv "${L[a]}" "${L[b]}" >/dev/null
start_ulvmd
ulvm lvcreate -an -L 8M -n lv1 --addtag zeta --addtag alpha sv >/dev/null
ulvm lvcreate -an -L 1500k -n lv2 sv >/dev/null
ulvm lvcreate -an -i 2 -l 4 -n str sv >/dev/null
ulvm lvcreate --type thin-pool -L 20M -n tpool --addtag pooltag sv >/dev/null
ulvm lvcreate -T sv/tpool -V 40M -n thin1 --addtag thintag >/dev/null
ulvm lvcreate -s sv/thin1 -n snap1 >/dev/null
ulvm lvcreate -T sv/tpool -V 8M -n thin2 >/dev/null
ulvm vgchange -an sv >/dev/null
lvm2 lvchange --addtag fromlvm --addtag zeta sv/lv2 >/dev/null
lvm2 pvchange --addtag pvtag "${L[a]}" >/dev/null
lvm2 vgck sv >/dev/null
same lvs -o lv_name,lv_tags sv
same vgs -o vg_name,vg_tags sv
same pvs -o pv_name,pv_tags

step "tags in the metadata text as lvm2 writes them"
lvm2 vgcfgbackup -f "$T/lvm.vg" sv >/dev/null
ulvm vgcfgbackup -f "$T/ulvm.vg" sv >/dev/null
diff <(grep 'tags = ' "$T/lvm.vg") <(grep 'tags = ' "$T/ulvm.vg") || fail "tags written differently"
grep -q '^	tags = \["vgtag", "Other"\]$' "$T/ulvm.vg" || fail "VG tags: $(grep 'tags' "$T/ulvm.vg")"

step "lvs -a: hidden LVs sorted as lvm2 sorts them"
same lvs -a -o lv_name,lv_size,pool_lv,origin,segtype sv
same lvs -a --noheadings -o lv_name -O -lv_name sv

step "-S on lvs, vgs and pvs: the rows lvm2 selects"
while IFS= read -r sel; do
	same lvs -a -o lv_name,lv_size,lv_tags -S "$sel" sv
done <<'EOF'
lv_size>4m
size>=8m && name=~^l
lv_name=lv1 || lv_name=thin2
name=lv1 # name=thin2
!(lv_name=lv1)
!(!(name=lv1))
lv_name!=lv1, lv_name!=lv2
(name=~^t || name=~^s) && size<30m
name=~(^t)
name=~"in" && name!~2
name=~[lv.$]
lv_name="lv1"
lvname='lv2'
LV_NAME = lv1
lv_size=1.5m
lv_size=4
lv_size=4096k
lv_size=8192s
lv_size<4.5m
lv_size>1g
lv_size=.5
seg_count=2
seg_count>1
seg_count=undefined
seg_count!=-1
lv_tags=zeta
tags=[zeta,alpha]
tags=[ alpha , zeta ]
tags=[zeta]
tags={zeta}
tags={alpha && zeta}
tags={zeta#pooltag}
tags=[zeta||thintag]
tags=""
tags=[]
tags!={alpha}
tags={alpha,}
lv_attr=~^V
vg_tags=vgtag && name=lv2
vg_name=sv
segtype=thin
stripes=2
lv_merging=0
lv_skip_activation=no
lv_fixed_minor!=1
all

EOF
same lvs -o lv_name,selected -S name=lv1 sv
same lvs -o lv_name -O selected -S 'size>5m' sv
while IFS= read -r sel; do
	same vgs -o vg_name,vg_tags -S "$sel"
	same pvs -o pv_name,pv_tags -S "$sel"
done <<'EOF'
vg_tags=vgtag
tags=Other
vg_permissions=rw
vg_name=~^s
EOF
for sel in 'pv_tags=pvtag' 'tags=pvtag' 'pv_allocatable=allocatable' 'allocatable=no' 'pv_in_use=used' \
	'pv_name=~loop' 'pv_size>32m'; do
	same pvs -o pv_name -S "$sel"
done
same vgs -o vg_name,lv_name,lv_size -S 'lv_size>5m'
same vgs -o vg_name,lv_name
same vgs -a -o vg_name,lv_name

step "bad selections: refused with lvm2's messages"
for sel in 'foo=1' 'lv_name' 'lv_name>a' 'lv_size>abc' 'lv_name=lv1 lv_name=lv2' '(lv_name=lv1' \
	'lv_name="lv1' 'seg_count=1%' 'seg_count=1k' 'tags=[a,b' 'tags=[a,b}' 'tags=[a,b#c]' 'tags=~a' \
	'seg_count=~1' 'name=~[a-' 'name=lv1&&' '&&name=lv1' '!name=lv1' 'data_percent>101' 'lv_size=1.5.3m'; do
	same_refusal lvs -S "$sel" sv
done
same_refusal vgs -S 'vg_name>a'
same_refusal pvs -S 'nosuch=1'
same_refusal lvs -o lv_name,pv_name sv
for sel in help '?'; do
	lvs -S "$sel" sv 2>&1 >/dev/null | grep -v 'Activation disabled' >"$T/lvm.err"
	ulvm lvs -S "$sel" sv 2>"$T/ulvm.err" >/dev/null || fail "lvs -S $sel"
	diff "$T/lvm.err" "$T/ulvm.err" || fail "lvs -S $sel: the help differs"
done

step "selection by time: lvm2's date forms and words, the LVs lvm2 selects"
# creation times rewritten by vgcfgrestore: a leap day, and times from
# 400 days to 90 seconds ago, none near where the words below fall
now=$(date +%s)
lvm2 vgcfgbackup -f "$T/times.vg" sv >/dev/null
python3 - "$T/times.vg" "$now" <<'PY'
import re, sys
path, now = sys.argv[1], int(sys.argv[2])
when = {"lv1": now - 400 * 86400, "lv2": now - 10 * 86400, "str": now - 2 * 86400, "tpool": now - 5 * 3600,
        "thin1": now - 1800, "snap1": now - 90, "thin2": 1709208000}  # 2024-02-29 12:00:00 UTC
lines, lv = open(path).read().split("\n"), None
for i, l in enumerate(lines):
    m = re.match(r"^\t\t(\w+) \{$", l)
    if m:
        lv = m.group(1)
    if lv in when and re.match(r"^\t\t\tcreation_time = ", l):
        lines[i] = "\t\t\tcreation_time = %d" % when[lv]
open(path, "w").write("\n".join(lines))
PY
vgcfgrestore --force -f "$T/times.vg" sv >"$T/restore.log" 2>&1 || { cat "$T/restore.log"; fail "lvm2 vgcfgrestore"; }
[ "$(ulvm lvs --noheadings -o lv_name -S 'lv_time = "2024-02-29"' sv | tr -d ' ')" = thin2 ] &&
	[ "$(ulvm lvs --noheadings -o lv_name -S 'lv_time since "1 week ago"' sv | wc -l)" = 4 ] ||
	fail "the creation times were not rewritten: $(ulvm lvs -o lv_name,lv_time sv)"
d2=$(date -d @$((now - 2 * 86400)) +%F)
e2=$((now - 2 * 86400))
while IFS= read -r sel; do
	same lvs -a -o lv_name -S "$sel" sv
done <<EOF
lv_time since "1 week ago"
lv_time before "1 year ago"
lv_time since "2 hours ago"
lv_time after "10 min ago"
lv_time until "3 days ago"
lv_time since yesterday
lv_time = today
lv_time = "2024-02-29"
lv_time = "2024-02"
lv_time < "2024-02-29 12:00 +01:00"
lv_time since @$e2
lv_time = @$e2
lv_time since "$d2"
lv_time = "$d2"
lv_time != "$d2"
lv_time since "29 Feb 2024" && lv_time until "Feb 2024"
time since "noon yesterday" || lv_time < 2025
lv_time since "Monday"
EOF
for sel in 'lv_time since "blah"' 'lv_time since "2026-13-01"' 'lv_time since "10:00"' 'lv_time=1' \
	'lv_time since "today yesterday"' 'lv_time since "2 hours ago 3 PM"' 'lv_time since "2024-02-29 1:2:3:4"' \
	'lv_time =~ 2024'; do
	same_refusal lvs -S "$sel" sv
done

step "@tag arguments select as lvm2's do"
for args in "@zeta" "@vgtag" "@nonesuch" "sv @zeta" "@pooltag @thintag"; do
	# shellcheck disable=SC2086
	same lvs -o lv_name $args
done
same vgs -o vg_name @Other
same pvs -o pv_name @pvtag

step "ulvm changes tags (named, @tag, -S); lvm2 reads them"
ulvm lvchange --addtag added -S 'name=~^thin' >/dev/null
ulvm lvchange --addtag second --deltag zeta @fromlvm >/dev/null
ulvm lvchange --addtag x --deltag x sv/lv1 >/dev/null
ulvm vgchange --addtag vg2 --deltag Other -S 'vg_name=sv' >/dev/null
ulvm pvchange --addtag pv2 -S 'pv_tags=pvtag' >/dev/null
ulvm pvchange --addtag pv3 "${L[b]}" >/dev/null
same lvs -a -o lv_name,lv_tags sv
same vgs -o vg_name,vg_tags sv
same pvs -o pv_name,pv_tags
lvm2 vgck sv >/dev/null
[ "$(lvm2 lvs --noheadings -o lv_tags sv/lv2 | tr -d ' ')" = fromlvm,second ] || fail "lv2's tags"
[ "$(lvm2 lvs --noheadings -o lv_tags sv/lv1 | tr -d ' ')" = alpha,zeta ] || fail "lv1: --addtag x --deltag x"

step "lvm2 changes tags; ulvm reads them"
lvm2 lvchange --deltag added -S 'name=thin1' >/dev/null
lvm2 vgchange --deltag vg2 sv >/dev/null
lvm2 pvchange --deltag pv3 "${L[b]}" >/dev/null
same lvs -a -o lv_name,lv_tags sv
same vgs -o vg_name,vg_tags sv
same pvs -o pv_name,pv_tags

step "bad tags and bad -S on the change commands: refused as lvm2"
sums() { for f in a b c; do sha256sum <"${L[$f]}"; done; }
for t in 'bad tag' 'a,b' ''; do
	before=$(sums)
	same_refusal lvchange --addtag "$t" sv/lv1
	same_refusal vgchange --deltag "$t" sv
	[ "$(sums)" = "$before" ] || fail "a refused tag changed the PVs"
done
same_refusal lvchange --addtag x -S 'nonesuch=1'
same_refusal vgchange --addtag x -S 'vg_name>1'
same_refusal pvchange --addtag x "${L[c]}"
ulvm lvs -o lv_name,lv_tags sv | grep -q bad && fail "a bad tag was written"

step "vgchange -ay -S, lvchange -an -S"
active() { ulvm lvs --noheadings -o lv_name -S 'lv_active=active' sv | tr -d ' ' | tr '\n' ' '; }
ulvm vgchange -ay -S 'vg_tags=vgtag' >/dev/null
[ "$(active)" = "lv1 lv2 snap1 str thin1 thin2 tpool " ] || fail "vgchange -ay -S: active: $(active)"
ulvm lvchange -an -S 'name=~^thin || name=snap1' >/dev/null
[ "$(active)" = "lv1 lv2 str tpool " ] || fail "lvchange -an -S: active: $(active)"
ulvm vgchange -an -S 'vg_name=nonesuch' >/dev/null
[ "$(active)" = "lv1 lv2 str tpool " ] || fail "vgchange -an -S of no VG: active: $(active)"
ulvm vgchange -an sv >/dev/null

step "lvremove @TAG and -S"
ulvm lvcreate -an -L 4M -n tmp1 --addtag bye sv >/dev/null
ulvm lvcreate -an -L 4M -n tmp2 --addtag bye sv >/dev/null
ulvm lvcreate -an -L 4M -n tmp3 sv >/dev/null
ulvm lvremove -y @bye >"$T/out"
[ "$(grep -c 'successfully removed' "$T/out")" = 2 ] || { cat "$T/out"; fail "lvremove @bye"; }
ulvm lvremove -y -S 'name=~^tmp' >/dev/null
[ -z "$(lvm2 lvs --noheadings -o lv_name -S 'name=~^tmp' sv)" ] || fail "lvremove left tmp LVs"
ulvm lvcreate -an -L 4M -n old1 sv >/dev/null
ulvm lvcreate -an -L 4M -n old2 sv >/dev/null
ulvm lvremove -y -S 'lv_name=~^old && lv_time since "1 hour ago"' sv >"$T/out" # README's form: -S and a VG
[ "$(grep -c 'successfully removed' "$T/out")" = 2 ] || { cat "$T/out"; fail "lvremove -S SEL VG"; }
[ -z "$(lvm2 lvs --noheadings -o lv_name -S 'name=~^old' sv)" ] || fail "lvremove -S SEL VG left old LVs"

step "vgremove counts the LVs as lvm2 does"
rc1=0 rc2=0
echo n | vgremove sv >"$T/lvm.out" 2>&1 || rc1=$?
echo n | ulvm vgremove sv >"$T/ulvm.out" 2>&1 || rc2=$?
[ "$rc1" = 5 ] && [ "$rc2" = 5 ] || fail "vgremove answered n: exit $rc2, lvm2 $rc1"
diff <(grep -v 'Activation disabled' "$T/lvm.out" | tr -d '\n') <(tr -d '\n' <"$T/ulvm.out") ||
	fail "vgremove's question differs"
grep -q 'containing 7 logical volumes' "$T/ulvm.out" || fail "vgremove does not count the 7 visible LVs"
ulvm vgs sv >/dev/null || fail "vgremove answered n removed the VG"
for f in a b c; do cp --sparse=always "$T/$f.img" "$T/$f.keep"; done
lvm2 vgremove -f sv >"$T/lvm.out"
for f in a b c; do
	cp --sparse=always "$T/$f.keep" "$T/$f.img"
	blockdev --flushbufs "${L[$f]}"
done
ulvm vgs sv >/dev/null || fail "the VG did not come back"
ulvm vgremove -f sv >"$T/ulvm.out"
diff "$T/lvm.out" "$T/ulvm.out" || fail "vgremove -f: lvm2 and ulvm say different things"
if vgs sv >/dev/null 2>&1; then fail "lvm2 still sees sv"; fi
stop_ulvmd
echo "selection, tags, hidden LVs, vgremove: as lvm2"
