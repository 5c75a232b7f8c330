#!/usr/bin/env bash
# LVs on no PV, with real lvm2 as the oracle of the VG text:
#  - zero and error LVs lvm2 made activate as the zero and error targets:
#    a zero LV reads zeroes, an error LV fails every read;
#  - ulvm lvcreate --type zero|error: lvm2's vgck and lvs accept them;
#    lvextend and lvreduce change them as lvm2 changes them (lvm2 does the
#    same resize on the PVs as they were, lvs of both the same);
#  - a sparse volume (lvcreate --type snapshot -V 1G -L 32M, lvm2's old-style
#    snapshot of a hidden zero LV NAME_vorigin): lvs -a of lvm2 and ulvm the
#    same, 1 GiB served, an ext4 on it fscks clean and keeps its files
#    across deactivation; lvm2's lvremove and ulvm's of it leave the same VG
#    (the virtual origin goes with it);
#  - -V without -T: lvm2's global/sparse_segtype_default (thin, or snapshot);
#  - refused: a zero LV without a size, merging a sparse snapshot (its
#    origin is read-only, lvm2's words), shrinking a zero LV to nothing;
#  - vgremove asks lvm2's questions in lvm2's order (the VG's, the pool's
#    "will remove N dependent volume(s)", each active LV's) and a no to
#    any of them leaves the VG.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
source "$(dirname "$0")/lvm2.bash"
need vgck lvs losetup qemu-io nbdinfo nbdfuse mkfs.ext4 fsck.ext4
export ULVM_CONF_DIR=$T/ulvm
mkdir -p "$ULVM_CONF_DIR"
declare -A L
attach_pvs 64M a b
lvm2_isolate "${L[@]}"
step() { echo "== $*"; }
DEVS="${L[a]},${L[b]}"
FZ=$T/fuse MNT=$T/mnt
mkdir -p "$FZ" "$MNT"
trap 'fs_detach; cleanup' EXIT
M=$((1024 * 1024))
# every lvm command of ulvm sees the two PVs
ulvm() {
	local verb=$1
	shift
	case $verb in
	dmsetup) "$ULVM_BIN" dmsetup "$@" ;;
	*) "$ULVM_BIN" "$verb" --devices "$DEVS" "$@" ;;
	esac
}
# lvm2 warns of its own layout detection for zero and error LVs
LVM2_EXPECTED_WARNINGS=('Failed to properly detect layout and role')
lvs_of() { # lvm2|ulvm FIELDS: lvs -a of vg, sorted, attr's state letters masked
	local who=$1
	shift
	if [ "$who" = lvm2 ]; then set -- lvm2 lvs "$@"; else set -- ulvm lvs "$@"; fi
	"$@" -a --noheadings --units s --separator '|' vg 2>/dev/null | sed 's/^ *//' | sort |
		awk -F'|' '{ $2 = substr($2, 1, 4) substr($2, 7) } 1' OFS='|'
}
same_as_lvm2() { # WHAT FIELDS
	lvm2 vgck vg >/dev/null
	lvs_of lvm2 -o "$2" >"$T/lvm2.txt"
	lvs_of ulvm -o "$2" >"$T/ulvm.txt"
	diff "$T/lvm2.txt" "$T/ulvm.txt" || fail "$1: lvs -a of lvm2 and ulvm differ"
}
save() { for f in a b; do cp --sparse=always "$T/$f.img" "$T/$f.$1"; done; }
restore() {
	for f in a b; do
		cp --sparse=always "$T/$f.$1" "$T/$f.img"
		blockdev --flushbufs "${L[$f]}"
	done
}
# CMD... with lvm2 on the PVs as they are, then with ulvm on the same:
# lvs -a of both the same afterwards
both() {
	save before
	lvm2 "$@" >/dev/null
	lvs_of lvm2 -o "$F" >"$T/lvm2.txt"
	restore before
	ulvm "$@" >/dev/null || fail "ulvm $*"
	lvs_of ulvm -o "$F" >"$T/ulvm.txt"
	diff "$T/lvm2.txt" "$T/ulvm.txt" || fail "$*: lvm2 and ulvm differ"
	echo "as lvm2: $*"
}
F=lv_name,lv_attr,lv_size,segtype,seg_count,origin,origin_size,devices

step "zero and error LVs lvm2 made: the zero and error targets"
lvm2 pvcreate "${L[a]}" "${L[b]}" >/dev/null
lvm2 vgcreate -s 1m vg "${L[a]}" "${L[b]}" >/dev/null
lvm2 lvcreate -an -y --type zero -L 8M -n z vg >/dev/null
lvm2 lvcreate -an -y --type error -L 4M -n er vg >/dev/null
start_ulvmd
ulvm lvchange -ay vg/z
ulvm lvchange -ay vg/er
ulvm dmsetup table vg-z | grep -qE "^0 16384 zero *$" || fail "vg-z: $(ulvm dmsetup table vg-z)"
ulvm dmsetup table vg-er | grep -qE "^0 8192 error *$" || fail "vg-er: $(ulvm dmsetup table vg-er)"
qio "$(uri vg/z)" "read -P 0 0 8M"
qio_eio "$(uri vg/er)" "read 0 4k"
same_as_lvm2 "lvm2's zero and error LVs" "$F"

step "lvcreate --type zero|error, lvextend, lvreduce: as lvm2"
ulvm lvcreate --type zero -L 4M -n z2 vg
ulvm lvcreate --type error -l 3 -n e2 vg
same_as_lvm2 "ulvm's zero and error LVs" "$F,lv_layout,lv_modules"
ulvm lvchange -an vg/z vg/er
both lvextend -L +4M vg/z2
both lvreduce -y -L 2M vg/z2
both lvresize -y -l +5 vg/e2
[ "$(nbdinfo --size "$(uri vg/z2)")" = $((2 * M)) ] || fail "vg/z2 is not 2 MiB after lvreduce"
qio "$(uri vg/z2)" "read -P 0 0 2M"
[ "$(nbdinfo --size "$(uri vg/e2)")" = $((8 * M)) ] || fail "vg/e2 is not 8 MiB"

step "a sparse volume: a 1 GiB ext4 on 32 MiB of PV, as lvm2 lists it"
ulvm lvcreate --type snapshot -V 1G -L 32M -n sparse vg
same_as_lvm2 "a sparse volume" "$F,lv_layout,lv_role,lv_modules"
ulvm dmsetup table vg-sparse | grep -q "snapshot /dev/mapper/vg-sparse_vorigin-real /dev/mapper/vg-sparse-cow P 8" ||
	fail "vg-sparse: $(ulvm dmsetup table vg-sparse)"
ulvm dmsetup table vg-sparse_vorigin-real | grep -qE "^0 2097152 zero *$" || fail "the virtual origin is not zero"
[ "$(nbdinfo --size "$(uri vg/sparse)")" = $((1024 * M)) ] || fail "vg/sparse is not 1 GiB"
qio "$(uri vg/sparse)" "read -P 0 1000M 1M"
fs_attach vg/sparse
mkfs.ext4 -q -F -E nodiscard,lazy_itable_init=1,lazy_journal_init=1 "$LOOP"
mount "$LOOP" "$MNT"
cp -r "$(dirname "$0")" "$MNT/tests"
umount "$MNT"
fs_detach
ulvm dmsetup status vg-sparse
ulvm lvchange -an vg/sparse
ulvm dmsetup ls | grep -q sparse && fail "devices of vg/sparse are left: $(ulvm dmsetup ls)"
ulvm lvchange -ay vg/sparse
fs_attach vg/sparse
fsck.ext4 -fn "$LOOP" >"$T/fsck" 2>&1 || { cat "$T/fsck"; fail "the sparse volume's ext4 is not clean"; }
mount -o ro "$LOOP" "$MNT"
diff -r "$(dirname "$0")" "$MNT/tests" >/dev/null || fail "the files on the sparse volume differ"
umount "$MNT"
fs_detach

step "refused: no size, merging a sparse snapshot, shrinking to nothing"
seq0=$(lvm2 vgs --noheadings -o vg_seqno vg | tr -d ' ')
if ulvm lvcreate --type zero -n x vg 2>"$T/err"; then fail "a zero LV without a size"; fi
grep -q "takes -L/--size" "$T/err" || fail "no size: $(cat "$T/err")"
if ulvm lvconvert --merge vg/sparse 2>"$T/err"; then fail "merged a sparse snapshot"; fi
grep -q "Cannot merge snapshot vg/sparse into the read-only origin vg/sparse_vorigin" "$T/err" ||
	fail "merge: $(cat "$T/err")"
if ulvm lvreduce -y -L -8M vg/e2 2>"$T/err"; then fail "reduced an error LV to nothing"; fi
grep -q "Cannot resize logical volume vg/e2 to 0 extents" "$T/err" || fail "lvreduce: $(cat "$T/err")"
seq1=$(lvm2 vgs --noheadings -o vg_seqno vg | tr -d ' ')
[ "$seq1" = "$seq0" ] || fail "the refused commands changed the VG ($seq0 -> $seq1)"

step "lvremove of a sparse volume takes its virtual origin, as lvm2's"
ulvm lvchange -an vg/sparse
both lvremove -y vg/sparse
lvs_of ulvm -o lv_name | grep -q sparse && fail "sparse or its origin is left"
ulvm lvcreate --type snapshot -V 64M -L 4M -n active vg
ulvm lvremove -y vg/active
ulvm dmsetup ls | grep -q active && fail "devices of vg/active are left: $(ulvm dmsetup ls)"

step "-V without -T: global/sparse_segtype_default"
ulvm lvcreate -V 32M -L 4M -n dflt vg >/dev/null
[ "$(ulvm lvs --noheadings -o segtype vg/dflt | tr -d ' ')" = thin ] || fail "-V -L did not make a thin LV"
echo 'global { sparse_segtype_default = "snapshot" }' >"$ULVM_CONF_DIR/ulvm.conf"
ulvm lvcreate -V 32M -L 4M -n sp2 vg
[ "$(ulvm lvs --noheadings -o origin vg/sp2 | tr -d ' ')" = "[sp2_vorigin]" ] || fail "-V -L did not make a sparse snapshot"
same_as_lvm2 "both kinds" "$F"

step "vgremove asks what lvm2's asks, in its order: the VG, the pool, each active LV"
if printf 'y\ny\ny\nn\n' | ulvm vgremove vg >"$T/out" 2>&1; then fail "vgremove went on after a no"; fi
sed 's/? \[y\/n\]: /?\n/g' "$T/out" | grep -v '^$' >"$T/asked"
cat >"$T/want" <<'EOQ'
Do you really want to remove volume group "vg" containing 7 logical volumes?
Removing pool vg/lvol0 will remove 1 dependent volume(s). Proceed?
Do you really want to remove active logical volume vg/dflt?
Do you really want to remove active logical volume vg/lvol0?
  Logical volume vg/lvol0 not removed.
EOQ
diff "$T/want" "$T/asked" || fail "vgremove asked otherwise"
lvm2 vgs vg >/dev/null || fail "a refused vgremove removed the VG"
ulvm vgremove -f vg >/dev/null
stop_ulvmd
echo "lvm-virtual: ok"
