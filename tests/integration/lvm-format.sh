#!/usr/bin/env bash
# The LVM2 on-disk format (src/lvm) against real lvm2 on loop devices, both
# ways, with an isolated lvm.conf (activation disabled, a filter that sees
# only our loop devices) and failing on any WARNING lvm2 prints:
#  - lvm2 makes a VG (linear + striped LVs); we read the exact text pvck
#    dumps, re-emit it byte for byte, and rebuild it from its fields;
#  - lvm2 wraps its metadata ring; we read every version back;
#  - our pvcreate writes the same bytes as lvm2's pvcreate, option by option;
#  - we make PVs and a VG on plain files, wrap our ring, and pvs/vgs/lvs/vgck/
#    pvck accept it; lvm2 then writes the next version and we read it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lvm2.bash"

for t in pvcreate vgcreate lvcreate lvchange vgck pvck pvs vgs lvs losetup truncate cmp; do
	command -v "$t" >/dev/null || skip "$t is not installed (lvm2, util-linux)"
done
[ -e /dev/loop-control ] || skip "no loop devices"
DUMP=$ULVM_BUILD/tests/helpers/lvm-dump
[ -x "$DUMP" ] || skip "$DUMP is not built"

# Files: a b (lvm2's VG), c (lvm2's wrapped ring), d (pvcreate
# comparisons), e f (ours).  e and f are written before they are attached.
for f in a b c e f; do mkfile "$T/$f.img" 64M; done
mkfile "$T/d.img" 200M

step() { echo "== $*"; }

# ---- ulvm -> lvm2, part 1: PVs and a VG written on plain files ----------
step "our pvcreate and VG on plain files, ring wrapped"
"$DUMP" pvcreate --metadatasize 32k --dataalignment 64k "$T/e.img"
"$DUMP" pvcreate --metadatacopies 2 --metadatasize 32k --dataalignment 64k "$T/f.img"
"$DUMP" mkvg -s 2048 --lv lin:5 --lv str:6:2 ourvg "$T/e.img" "$T/f.img"
vgid=$("$DUMP" text "$T/e.img" | sed -n 's/^id = "\(.*\)"$/\1/p' | head -n 1)
wrapped=0
for i in $(seq 2 30); do
	specs=(--lv lin:5 --lv str:6:2)
	for k in $(seq $((i * 7 % 40))); do specs+=(--lv "lv$k:1"); done
	"$DUMP" mkvg -s 2048 --id "$vgid" --seqno "$i" "${specs[@]}" ourvg "$T/e.img" "$T/f.img"
	# "mda OFFSET SIZE slot0 OFF+LEN ..." wrapped when OFF+LEN > SIZE
	if "$DUMP" headers "$T/e.img" |
		awk '/^mda/ { split($5, a, "+"); if (a[1] + a[2] > $3) w = 1 } END { exit !w }'; then
		wrapped=$((wrapped + 1))
	fi
done
[ "$wrapped" -gt 0 ] || fail "our metadata never wrapped around the ring"
echo "our ring wrapped on $wrapped of 29 writes"

declare -A L
for f in a b c d e f; do
	L[$f]=$(losetup -f --show "$T/$f.img") || skip "cannot attach a loop device"
	track_loop "${L[$f]}"
done
lvm2_isolate "${L[@]}"

# Our text of a VG must be exactly what pvck dumps from each device.
same_text() { # dev...
	"$DUMP" text "$@" >"$T/ours.txt"
	for d in "$@"; do
		rm -f "$T/pvck.txt" # pvck -f does not replace an existing file
		lvm2 pvck --dump metadata "$d" -f "$T/pvck.txt" >/dev/null
		cmp "$T/ours.txt" "$T/pvck.txt" || fail "text read from $d differs from pvck's"
	done
}

step "lvm2 accepts our VG"
lvm2 pvs -o pv_name,vg_name,pv_uuid,pe_start,pv_mda_count "${L[e]}" "${L[f]}"
lvm2 vgs --noheadings -o vg_name,pv_count,lv_count,vg_seqno ourvg >"$T/vgs.txt"
read -r name pvc lvc seq <"$T/vgs.txt"
[ "$name $pvc $lvc $seq" = "ourvg 2 $((2 + 30 * 7 % 40)) 30" ] || fail "vgs: $(cat "$T/vgs.txt")"
lvm2 vgck ourvg >/dev/null
lvm2 lvs --noheadings -o lv_name,seg_pe_ranges ourvg/lin ourvg/str >"$T/lvs.txt"
grep -q "lin *${L[e]}:0-4" "$T/lvs.txt" || fail "lin: $(cat "$T/lvs.txt")"
grep -q "str *${L[e]}:5-7 ${L[f]}:0-2" "$T/lvs.txt" || fail "str: $(cat "$T/lvs.txt")"
for f in e f; do
	lvm2 pvck --dump headers "${L[$f]}" >/dev/null
	! grep -q CHECK "$T/out" "$T/err" || fail "pvck --dump headers ${L[$f]}: $(grep CHECK "$T/out" "$T/err")"
done
same_text "${L[e]}" "${L[f]}"

step "lvm2 writes the next version of our VG; we read it"
lvm2 lvcreate -an -Zn -n fromlvm -l 3 ourvg >/dev/null
lvm2 lvchange --addtag t1 ourvg/lin >/dev/null
same_text "${L[e]}" "${L[f]}"
"$DUMP" text "${L[e]}" | grep -q '^seqno = 32$' || fail "seqno after two lvm2 writes"
"$DUMP" reemit "${L[e]}" | cmp - "$T/ours.txt" || fail "re-emit differs"

# ---- lvm2 -> ulvm -------------------------------------------------------
step "lvm2's VG: text, re-emit and rebuild are byte-identical"
lvm2 pvcreate "${L[a]}" "${L[b]}" >/dev/null
lvm2 vgcreate lvmvg "${L[a]}" "${L[b]}" >/dev/null
lvm2 lvcreate -an -Zn -n lin -l 3 lvmvg >/dev/null
lvm2 lvcreate -an -Zn -n str -i 2 -I 64k -l 4 lvmvg >/dev/null
lvm2 lvextend -l +2 lvmvg/lin "${L[b]}" >/dev/null
same_text "${L[a]}" "${L[b]}"
"$DUMP" reemit "${L[a]}" "${L[b]}" | cmp - "$T/ours.txt" || fail "re-emit of lvm2's text differs"
"$DUMP" rebuild "${L[a]}" "${L[b]}" | cmp - "$T/ours.txt" || fail "rebuild of lvm2's text differs"

step "lvm2 wraps its ring; we read every version"
lvm2 pvcreate --metadatasize 32k --dataalignment 64k "${L[c]}" >/dev/null
lvm2 vgcreate -s 1m wrapvg "${L[c]}" >/dev/null
wrapped=0
for i in $(seq 1 40); do
	lvm2 lvcreate -an -Zn -n "lv$i" -l 1 wrapvg >/dev/null
	same_text "${L[c]}"
	"$DUMP" reemit "${L[c]}" | cmp - "$T/ours.txt" || fail "re-emit after lvcreate $i"
	if "$DUMP" headers "${L[c]}" |
		awk '/^mda/ { split($5, a, "+"); if (a[1] + a[2] > $3) w = 1 } END { exit !w }'; then
		wrapped=$((wrapped + 1))
	fi
done
[ "$wrapped" -gt 0 ] || fail "lvm2's metadata never wrapped around the ring"
echo "lvm2's ring wrapped on $wrapped of 40 writes"

# ---- pvcreate: the same bytes as lvm2 -----------------------------------
step "our pvcreate writes the same bytes as lvm2's"
uuid=UYvacK-92p4-AvQ5-dSDY-7dRc-R5AW-g3lM2r
for opts in "" "--metadatacopies 2" "--metadatacopies 0" "--metadatasize 4m" \
	"--dataalignment 4m" "--bootloaderareasize 1m" "--labelsector 2" \
	"--metadatacopies 2 --metadatasize 300k --dataalignment 64k" \
	"--metadatacopies 2 --bootloaderareasize 3m --dataalignment 2m"; do
	truncate -s 0 "$T/d.img"
	truncate -s 200M "$T/d.img"
	losetup -c "${L[d]}"
	# shellcheck disable=SC2086
	lvm2 pvcreate --norestorefile --uuid "$uuid" $opts "${L[d]}" >/dev/null
	mkfile "$T/o.img" 200M
	# shellcheck disable=SC2086
	"$DUMP" pvcreate --uuid "$uuid" $opts "$T/o.img"
	cmp "$T/d.img" "$T/o.img" || fail "pvcreate $opts: our PV differs from lvm2's"
	rm -f "$T/o.img"
done

echo "lvm-format: ok"
