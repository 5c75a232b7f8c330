#!/usr/bin/env bash
# Old-style (copy-on-write) LVM snapshots, with real lvm2 as the oracle of
# the VG text:
#  - a snapshot whose metadata lvm2 wrote (COW LV hidden, snapshotN naming
#    origin and COW) activates: the origin as snapshot-origin over its
#    -real layer, the snapshot over -real and -cow, as lvm2 stacks them;
#    origin writes leave the snapshot as it was; lvs shows what lvm2 shows
#    (snapshotN hidden, the COW LV as the snapshot, attr o/s, origin) and
#    snap_percent;
#  - ulvm lvcreate -s -L -c of a mounted ext4 (fsfreeze while it is made):
#    lvm2's vgck and lvs accept the VG; the snapshot fscks clean and holds
#    the files of that moment; the COW LV's extents hold the kernel's
#    exception store (an independent reader rebuilds the snapshot from the
#    PVs);
#  - deactivating the origin takes its snapshots down first; vgchange -ay
#    brings both back, still the same; lvextend of an active snapshot
#    grows its COW and keeps it; lvreduce of an active one shrinks it and
#    keeps it, but never below what its store holds (lvm2 would cut it);
#  - a full snapshot is invalid (attr I), the origin goes on;
#  - snapshot_autoextend_threshold/percent in ulvm.conf with ulvmd
#    --on-event 'ulvm lvextend --use-policies': a filling snapshot grows
#    before it is full and keeps its data;
#  - lvremove of the snapshot: the origin is a plain linear device again,
#    no -real layer left;
#  - refused, nothing written: no size, a chunk that is not a power of two,
#    a snapshot of a snapshot;
#  - lvremove of the origin takes its snapshot first (lvm2's
#    lv_remove_with_dependencies), asking once when the origin is active;
#  - lvextend of an origin, refused while active and to shrink, in lvm2's
#    words; inactive it grows as lvm2 grows it (lvs of both the same), the
#    snapshot keeps its size and contents, writes past its end copy
#    nothing;
#  - a COW LV is never larger than its whole origin needs (lvm2's
#    cow_max_extents): lvcreate cuts it, lvextend stops there as lvm2's
#    does; -l N%ORIGIN.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
source "$(dirname "$0")/lvm2.bash"
need vgck lvs losetup qemu-io nbdcopy python3 mkfs.ext4 fsck.ext4 fsfreeze
export ULVM_CONF_DIR=$T/ulvm
mkdir -p "$ULVM_CONF_DIR"
declare -A L
attach_pvs 64M a b
lvm2_isolate "${L[@]}"
step() { echo "== $*"; }
LVM2_EXPECTED_WARNINGS=('check for active volumes')
DEVS="${L[a]},${L[b]}"
FZ=$T/fuse MNT=$T/mnt
mkdir -p "$FZ" "$MNT"
trap 'fs_detach; cleanup' EXIT
M=$((1024 * 1024))
FIELDS=lv_name,lv_attr,lv_size,origin,devices
same_as_lvm2() {
	lvm2 vgck svg >/dev/null
	f() { "$@" -a --noheadings --units s --separator '|' -o "$FIELDS" svg | sed 's/^ *//' | sort |
		awk -F'|' '{ $2 = substr($2, 1, 4) } 1' OFS='|'; }
	f lvm2 lvs >"$T/lvm2.txt"
	f ulvm lvs --devices "$DEVS" >"$T/ulvm.txt"
	diff "$T/lvm2.txt" "$T/ulvm.txt" || fail "$1: lvs -a of lvm2 and ulvm differ"
}
extents() { lvm2_extents svg "$1" "$2"; }

step "a snapshot lvm2 wrote activates stacked as lvm2 stacks it; origin writes leave it as it was"
lvm2 pvcreate "${L[a]}" "${L[b]}" >/dev/null
lvm2 vgcreate -s 1m svg "${L[a]}" "${L[b]}" >/dev/null
lvm2 lvcreate -an -Zn -Wn -y -L 16M -n lin svg "${L[a]}" >/dev/null
lvm2 lvcreate -an -Zn -Wn -y -L 8M -n old svg "${L[b]}" >/dev/null
mkfile "$T/zero" 4096
dd if="$T/zero" of="${L[b]}" bs=4096 seek=256 conv=notrunc status=none # the COW's first chunk: a fresh store
lvm2 vgcfgbackup -f "$T/v.vg" svg >/dev/null
python3 - "$T/v.vg" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p).read()
s = re.sub(r'(\n\t\told \{\n\t*id = "[^"]*"\n\t*)status = \["READ", "WRITE", "VISIBLE"\]', r'\1status = ["READ", "WRITE"]', s)
add = """		snapshot0 {
			id = "SnapSh-0000-0000-0000-0000-0000-000001"
			status = ["READ", "WRITE", "VISIBLE"]
			flags = []
			segment_count = 1

			segment1 {
				start_extent = 0
				extent_count = 16

				type = "snapshot"
				chunk_size = 8
				origin = "lin"
				cow_store = "old"
			}
		}

"""
i = s.index("\t\told {")
open(p, "w").write(s[:i] + add + s[i:])
PY
lvm2 vgcfgrestore -f "$T/v.vg" svg >/dev/null
start_ulvmd
ulvm lvchange --devices "$DEVS" -ay svg/lin
qio "$(uri svg/lin)" "write -P 0x11 0 16M" "flush"
ulvm lvchange --devices "$DEVS" -ay svg/old
ulvm dmsetup table svg-lin | grep -q "snapshot-origin /dev/mapper/svg-lin-real" || fail "origin: $(ulvm dmsetup table svg-lin)"
ulvm dmsetup table svg-old | grep -q "snapshot /dev/mapper/svg-lin-real /dev/mapper/svg-old-cow P 8" ||
	fail "snapshot: $(ulvm dmsetup table svg-old)"
qio "$(uri svg/lin)" "write -P 0x22 1M 2M" "flush"
qio "$(uri svg/old)" "read -P 0x11 0 16M"
same_as_lvm2 "lvm2's snapshot"
pct=$(ulvm lvs --devices "$DEVS" --noheadings -o snap_percent svg/old | tr -d ' ')
echo "svg/old: snap_percent $pct"
[ -n "$pct" ] && [ "$pct" != 0.00 ] || fail "no snap_percent for svg/old"

step "lvcreate -s -L -c of a mounted ext4 (fsfreeze while it is made): fsck-clean, the files of that moment"
ulvm lvcreate --devices "$DEVS" -L 24M -n fs svg "${L[a]}" >/dev/null
fs_attach svg/fs
mkfs.ext4 -q -F "$LOOP"
mount "$LOOP" "$MNT"
cp -r "$(dirname "$0")" "$MNT/before"
sync
fsfreeze -f "$MNT"
ulvm lvcreate --devices "$DEVS" -s -L 12M -c 16k -n fssnap svg/fs
fsfreeze -u "$MNT"
cp -r "$(dirname "$0")" "$MNT/after"
rm -rf "$MNT/before/lib.sh"
sync
same_as_lvm2 "ulvm's snapshot"
umount "$MNT"
fs_detach
check_snapshot_fs svg/fssnap
nbdcopy "$(uri svg/fssnap)" "$T/snap.img"
extents fs "$T/origin.img"
extents fssnap "$T/cow.img"
python3 "$(dirname "$0")/snapshot_store.py" "$T/origin.img" "$T/cow.img" "$T/rebuilt.img"
cmp "$T/rebuilt.img" "$T/snap.img" || fail "the COW LV's extents, read as the kernel's store, are not the snapshot"

step "the origin goes down after its snapshots; vgchange -ay brings them back the same"
ulvm lvchange --devices "$DEVS" -an svg/fs
for d in svg-fs svg-fs-real svg-fssnap svg-fssnap-cow; do
	if ulvm dmsetup info "$d" >/dev/null 2>&1; then fail "$d is still there"; fi
done
ulvm vgchange --devices "$DEVS" -ay svg >/dev/null
nbdcopy "$(uri svg/fssnap)" "$T/snap2.img"
cmp "$T/snap.img" "$T/snap2.img" || fail "the snapshot changed across deactivation"

step "lvextend of an active snapshot: its COW grows, the store reloads, nothing changes in it"
before=$(ulvm dmsetup status svg-fssnap | awk '{print $4}')
ulvm lvextend --devices "$DEVS" -L +8M svg/fssnap
after=$(ulvm dmsetup status svg-fssnap | awk '{print $4}')
echo "svg-fssnap: $before -> $after"
[ "${after#*/}" -gt "${before#*/}" ] || fail "the snapshot's COW did not grow: $before -> $after"
nbdcopy "$(uri svg/fssnap)" "$T/snap3.img"
cmp "$T/snap.img" "$T/snap3.img" || fail "the snapshot changed when it grew"
same_as_lvm2 "extended"

step "lvreduce of an active snapshot: not below what its store holds; above, the COW shrinks and keeps it"
qio "$(uri svg/fs)" "write -P 0x5a 4M 2M" "flush" # 2 MiB more for the store to hold
status=$(ulvm dmsetup status svg-fssnap | awk '{print $4}')
used=${status%/*} es=$(lvm2 vgs --noheadings --units s --nosuffix -o vg_extent_size svg | tr -d ' ')
chunk=$(lvm2 lvs --noheadings --units s --nosuffix -o chunk_size svg/fssnap | tr -d ' ')
need=$(((used + chunk + es - 1) / es))
echo "svg-fssnap uses $used sectors (chunk $chunk, extent $es): $need extents at least"
[ "$need" -gt 1 ] || fail "the snapshot holds too little for this test"
s0=$(lvm2 vgs --noheadings -o vg_seqno svg | tr -d ' ')
if ulvm lvreduce --devices "$DEVS" -y -l $((need - 1)) svg/fssnap 2>"$T/err"; then fail "a snapshot was cut below its use"; fi
grep -q "holds .* of changes and metadata: it cannot be reduced to" "$T/err" || fail "lvreduce: $(cat "$T/err")"
[ "$(lvm2 vgs --noheadings -o vg_seqno svg | tr -d ' ')" = "$s0" ] || fail "a refused lvreduce changed the VG"
ulvm lvreduce --devices "$DEVS" -y -L -4M svg/fssnap | tee "$T/out"
grep -q "WARNING: Reducing active logical volume svg/fssnap" "$T/out" || fail "no lvm2 warning"
nbdcopy "$(uri svg/fssnap)" "$T/snap4.img"
cmp "$T/snap.img" "$T/snap4.img" || fail "the snapshot changed when it shrank"
ulvm lvreduce --devices "$DEVS" -y -l "$need" svg/fssnap >/dev/null # to the least it may have: the store loads
nbdcopy "$(uri svg/fssnap)" "$T/snap4.img"
cmp "$T/snap.img" "$T/snap4.img" || fail "the snapshot changed when it shrank to its use"
same_as_lvm2 "reduced"

step "a full snapshot is invalid; the origin goes on"
qio "$(uri svg/lin)" "write -P 0x33 0 16M" "flush"
ulvm dmsetup status svg-old | grep -q Invalid || fail "svg/old: $(ulvm dmsetup status svg-old)"
attr=$(ulvm lvs --devices "$DEVS" --noheadings -o lv_attr svg/old | tr -d ' ')
[ "${attr:4:1}" = I ] || fail "svg/old's attr $attr: no I"
qio "$(uri svg/lin)" "read -P 0x33 0 16M"

step "lvremove of the snapshot: the origin is plain linear again"
ulvm lvremove --devices "$DEVS" -y svg/old
ulvm dmsetup table svg-lin | grep -q " linear " || fail "svg/lin: $(ulvm dmsetup table svg-lin)"
if ulvm dmsetup info svg-lin-real >/dev/null 2>&1; then fail "svg-lin-real is left behind"; fi
qio "$(uri svg/lin)" "read -P 0x33 0 16M"
same_as_lvm2 "removed"

step "refused, nothing written: no size, chunk 3k, a snapshot of a snapshot, lvremove of an origin"
seq0=$(lvm2 vgs --noheadings -o vg_seqno svg | tr -d ' ')
refuse() { # WHY ARGS...
	local why=$1
	shift
	if ulvm "$@" 2>"$T/err"; then fail "accepted: $*"; fi
	grep -qi "$why" "$T/err" || fail "$* did not say '$why': $(cat "$T/err")"
}
refuse "size" lvcreate --devices "$DEVS" -s -n x svg/lin
refuse "chunk" lvcreate --devices "$DEVS" -s -L 4M -c 3k -n x svg/lin
refuse "not supported" lvcreate --devices "$DEVS" -s -L 4M -n x svg/fssnap
[ "$(lvm2 vgs --noheadings -o vg_seqno svg | tr -d ' ')" = "$seq0" ] || fail "a refused command changed the VG"

step "lvremove of an origin takes its snapshot first, as lvm2 (asked once: the origin is active)"
if echo n | ulvm lvremove --devices "$DEVS" svg/fs >"$T/out" 2>&1; then fail "removed without a yes"; fi
grep -q "Do you really want to remove active logical volume svg/fs?" "$T/out" || { cat "$T/out"; fail "not asked"; }
[ "$(lvm2 vgs --noheadings -o vg_seqno svg | tr -d ' ')" = "$seq0" ] || fail "a refused lvremove changed the VG"
ulvm lvremove --devices "$DEVS" -y svg/fs | tee "$T/out"
[ "$(grep -c 'successfully removed' "$T/out")" = 2 ] || fail "not the snapshot and the origin"
grep -q 'Logical volume "fssnap" successfully removed' "$T/out" || fail "the snapshot was not removed"
lvm2 vgck svg >/dev/null
lvm2 lvs -a --noheadings -o lv_name svg | grep -qE 'fs|snapshot' && fail "lvm2 still lists them"
ulvm dmsetup ls | grep -q svg-fs && fail "devices of the origin or the snapshot are left"
step "snapshot_autoextend: ulvmd --on-event 'ulvm lvextend --use-policies' grows a filling snapshot"
stop_ulvmd
cat >"$ULVM_CONF_DIR/ulvm.conf" <<'EOC'
activation {
	snapshot_autoextend_threshold = 50
	snapshot_autoextend_percent = 50
}
EOC
start_ulvmd --on-event "$ULVM_BIN lvextend --devices $DEVS --use-policies" --on-event-interval 1
ulvm lvchange --devices "$DEVS" -ay svg/lin
ulvm lvcreate --devices "$DEVS" -s -L 4M -n grow svg/lin
for i in $(seq 0 11); do
	qio "$(uri svg/lin)" "write -P 0x5$((i % 10)) ${i}M 1M" "flush"
	sleep 1.2
done
size=$(ulvm lvs --devices "$DEVS" --noheadings --units m --nosuffix -o lv_size svg/grow | tr -d ' ')
st=$(ulvm dmsetup status svg-grow)
echo "svg/grow: ${size} MiB, $st"
grep "autoextend: snapshot" "$T/ulvmd.log" | head -3 || true
[ "${size%.*}" -gt 4 ] || fail "the snapshot did not grow: $size MiB"
case "$st" in *Invalid*) fail "the snapshot filled up before it grew: $st" ;; esac
qio "$(uri svg/grow)" "read -P 0x33 0 16M"
same_as_lvm2 "autoextended"

step "lvextend of an origin, as lvm2: up only, while inactive; its snapshot keeps its size and what it held"
nbdcopy "$(uri svg/grow)" "$T/grow.img"
refuse "Snapshot origin volumes cannot be reduced in size yet" lvreduce --devices "$DEVS" -y -L -4M svg/lin
refuse "can be resized only while inactive: try lvchange -an" lvextend --devices "$DEVS" -L +4M svg/lin
ulvm lvchange --devices "$DEVS" -an svg/lin
OFIELDS=lv_name,lv_size,origin,origin_size,seg_count,devices
for f in a b; do cp --sparse=always "$T/$f.img" "$T/$f.before"; done
lvm2 lvextend -L +4M svg/lin >/dev/null
lvm2 lvs -a --noheadings --units s --separator '|' -o "$OFIELDS" svg >"$T/lvm2-ext.txt"
for f in a b; do
	cp --sparse=always "$T/$f.before" "$T/$f.img"
	blockdev --flushbufs "${L[$f]}"
done
ulvm lvextend --devices "$DEVS" -L +4M svg/lin
ulvm lvs --devices "$DEVS" -a --noheadings --units s --separator '|' -o "$OFIELDS" svg >"$T/ulvm-ext.txt"
diff "$T/lvm2-ext.txt" "$T/ulvm-ext.txt" || fail "lvm2 and ulvm extend an origin differently"
lvm2 vgck svg >/dev/null
ulvm vgchange --devices "$DEVS" -ay svg >/dev/null
[ "$(nbdinfo --size "$(uri svg/lin)")" = $((20 * M)) ] || fail "the origin is not 20 MiB"
[ "$(nbdinfo --size "$(uri svg/grow)")" = $((16 * M)) ] || fail "the snapshot is not 16 MiB any more"
used0=$(ulvm dmsetup status svg-grow | awk '{print $4}')
qio "$(uri svg/lin)" "write -P 0x66 16M 4M" "flush"
used1=$(ulvm dmsetup status svg-grow | awk '{print $4}')
echo "svg-grow: $used0 before, $used1 after writes past its end"
[ "${used1%/*}" = "${used0%/*}" ] || fail "writes to the origin's new extents were copied: $used0 -> $used1"
qio "$(uri svg/lin)" "write -P 0x77 0 1M" "flush"
nbdcopy "$(uri svg/grow)" "$T/grow2.img"
cmp "$T/grow.img" "$T/grow2.img" || fail "the snapshot changed when its origin grew"
qio "$(uri svg/lin)" "read -P 0x77 0 1M" "read -P 0x66 16M 4M"

step "a COW no bigger than its whole origin needs: lvcreate cuts it, lvextend stops there (as lvm2), -l N%ORIGIN"
ulvm lvcreate --devices "$DEVS" -s -c 64k -L 100M -n big svg/lin | tee "$T/out"
grep -q "Reducing COW size 100.00 MiB down to maximum usable size 21.00 MiB." "$T/out" || fail "lvcreate did not cut the COW"
[ "$(ulvm lvs --devices "$DEVS" --noheadings --units m --nosuffix -o lv_size svg/big | tr -d ' ')" = 21.00 ] ||
	fail "svg/big is not 21 MiB"
ulvm lvremove --devices "$DEVS" -y svg/big >/dev/null
ulvm lvcreate --devices "$DEVS" -s -c 64k -l 50%ORIGIN -n half svg/lin
# lvm2: the metadata chunks of the whole origin (1 extent here) and half its 20
[ "$(ulvm lvs --devices "$DEVS" --noheadings --units m --nosuffix -o lv_size svg/half | tr -d ' ')" = 11.00 ] ||
	fail "-l 50%ORIGIN: not 11 MiB"
ulvm lvchange --devices "$DEVS" -an svg/lin
for f in a b; do cp --sparse=always "$T/$f.img" "$T/$f.before"; done
lvm2 lvextend -L +100M svg/half >"$T/lvm2.out"
lvm2 lvs -a --noheadings --units s --separator '|' -o "$OFIELDS" svg >"$T/lvm2-ext.txt"
for f in a b; do
	cp --sparse=always "$T/$f.before" "$T/$f.img"
	blockdev --flushbufs "${L[$f]}"
done
ulvm lvextend --devices "$DEVS" -L +100M svg/half >"$T/ulvm.out"
grep -q "Reached maximum COW size 21.00 MiB (21 extents)." "$T/ulvm.out" || fail "lvextend: $(cat "$T/ulvm.out")"
grep "Reached maximum" "$T/lvm2.out" | diff - <(grep "Reached maximum" "$T/ulvm.out") || fail "lvm2 says otherwise"
ulvm lvs --devices "$DEVS" -a --noheadings --units s --separator '|' -o "$OFIELDS" svg >"$T/ulvm-ext.txt"
diff "$T/lvm2-ext.txt" "$T/ulvm-ext.txt" || fail "lvm2 and ulvm extend a snapshot to its maximum differently"
stop_ulvmd
echo "lvm-snapshot: ok"
