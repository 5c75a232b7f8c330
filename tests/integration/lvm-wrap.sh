#!/usr/bin/env bash
# The metadata ring wraps, several times, under commits by both tools in
# turn: ulvm makes PVs with a small metadata area (--metadatasize 32k --dataalignment 64k),
# then ulvm lvcreate and lvm2 lvchange --addtag alternate.  The proof of
# each wrap is slot 0's raw_locn offset going down (read with lvm-dump
# headers); after every commit both tools read the latest seqno and the
# same LVs, and lvm2's vgck and pvck find nothing wrong.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lvm2.bash"

for t in lvchange vgck pvck lvs vgs losetup; do
	command -v "$t" >/dev/null || skip "$t is not installed"
done
[ -e /dev/loop-control ] || skip "no loop devices"
DUMP=$ULVM_BUILD/tests/helpers/lvm-dump
[ -x "$DUMP" ] || skip "$DUMP is not built"
export ULVM_CONF_DIR=$T/ulvm
declare -A L
for f in a b; do
	mkfile "$T/$f.img" 64M
	L[$f]=$(losetup -f --show "$T/$f.img") || skip "cannot attach a loop device"
	track_loop "${L[$f]}"
done
lvm2_isolate "${L[@]}"
# slot 0's offset in mda 1 of PV a
slot0() { "$DUMP" headers "${L[a]}" | awk '/^mda/ { split($5, a, "+"); print a[1]; exit }'; }
names() { "$@" --noheadings -o lv_name,lv_tags vg0 | awk '{$1=$1; print}' | sort; }

ulvm pvcreate --metadatasize 32k --dataalignment 64k "${L[a]}" "${L[b]}" >/dev/null
ulvm vgcreate -s 1m vg0 "${L[a]}" "${L[b]}" >/dev/null
mda=$("$DUMP" headers "${L[a]}" | awk '/^mda/ { print $3; exit }')
echo "mda size $mda bytes"
[ "$mda" -le $((128 * 1024)) ] || fail "--metadatasize 32k gave an mda of $mda bytes"

wraps=0
last=$(slot0)
for i in $(seq 1 40); do
	if [ $((i % 2)) -eq 1 ]; then
		ulvm lvcreate -an -l 1 -n "lv$i" vg0 >/dev/null
		who=ulvm
	else
		lvm2 lvcreate -an -Zn -l 1 -n "lv$i" vg0 >/dev/null
		lvm2 lvchange --addtag "t$i" "vg0/lv$((i - 1))" >/dev/null
		who=lvm2
	fi
	off=$(slot0)
	if [ "$off" -lt "$last" ]; then
		wraps=$((wraps + 1))
		echo "commit $i by $who: raw_locn offset $last -> $off (wrap $wraps)"
	fi
	last=$off
	useq=$(ulvm vgs --noheadings -o vg_seqno vg0 | tr -d ' ')
	lseq=$(lvm2 vgs --noheadings -o vg_seqno vg0 | tr -d ' ')
	[ "$useq" = "$lseq" ] || fail "commit $i: ulvm reads seqno $useq, lvm2 $lseq"
	names ulvm lvs >"$T/u.txt"
	names lvm2 lvs >"$T/l.txt"
	diff "$T/l.txt" "$T/u.txt" || fail "commit $i: the tools read different LVs"
	grep -q "^lv$i" "$T/u.txt" || fail "commit $i: lv$i is not in the latest metadata"
	ulvm vgck vg0
done
lvm2 vgck vg0 >/dev/null
for f in a b; do
	pvck --dump headers "${L[$f]}" >"$T/pvck" 2>&1 || { cat "$T/pvck"; fail "pvck ${L[$f]}"; }
	grep -q CHECK "$T/pvck" && { cat "$T/pvck"; fail "pvck reports a problem on ${L[$f]}"; }
done
[ "$wraps" -ge 3 ] || fail "the ring wrapped only $wraps times"
echo "lvm-wrap: ok ($wraps wraps)"
