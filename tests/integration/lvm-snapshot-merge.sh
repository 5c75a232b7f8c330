#!/usr/bin/env bash
# lvconvert --merge of old-style snapshots (the snapshot-merge target),
# with real lvm2 as the oracle of the VG text:
#  - a snapshot of a mounted ext4 that is busy being written (fsfreeze
#    while it is made); the origin keeps its new files; lvconvert --merge
#    with the origin open says it is delayed, writes merging_store (lvm2's
#    vgck and lvs accept it); at the origin's next activation the merge
#    runs and a background lvconvert --merge (lvchange's --poll y) follows
#    it to the end and removes the snapshot: the ext4 fscks clean and holds exactly the files of the
#    snapshot's moment (checksums), the new ones gone;
#  - an origin that is active and not open merges at once, with
#    "Merged: N%" lines, and reads as the snapshot did; no -real or -cow
#    layer is left;
#  - with another snapshot of the same origin: it keeps what it held
#    while the merge rewrites the origin under it;
#  - -s -L of a thin LV makes an old-style snapshot (lvm2's rule: a size
#    means copy-on-write), which merges back into the thin LV;
#  - refused, nothing written: an invalid (full) snapshot.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
source "$(dirname "$0")/lvm2.bash"
need vgck lvs losetup qemu-io nbdcopy python3 mkfs.ext4 fsck.ext4 fsfreeze
export ULVM_CONF_DIR=$T/ulvm
mkdir -p "$ULVM_CONF_DIR"
declare -A L
attach_pvs 96M a b
lvm2_isolate "${L[@]}"
step() { echo "== $*"; }
LVM2_EXPECTED_WARNINGS=('check for active volumes')
DEVS="${L[a]},${L[b]}"
u() { ulvm "$@" --devices "$DEVS"; }
sums() { for p in a b; do md5sum <"${L[$p]}"; done; }
FZ=$T/fuse MNT=$T/mnt
mkdir -p "$FZ" "$MNT"
trap 'fs_detach; cleanup' EXIT
M=$((1024 * 1024))
start_ulvmd
ulvm pvcreate "${L[a]}" "${L[b]}" >/dev/null
ulvm vgcreate vg "${L[a]}" "${L[b]}" >/dev/null

step "a snapshot of a busy mounted ext4; merge delayed while the origin is open, done at its next activation"
u lvcreate -L 32M -n home vg >/dev/null
fs_attach vg/home
mkfs.ext4 -q -F "$LOOP"
mount "$LOOP" "$MNT"
for i in $(seq 20); do head -c 100000 /dev/urandom >"$MNT/old$i"; done
( i=0; while [ ! -e "$T/stop" ]; do head -c 50000 /dev/urandom >"$MNT/busy$((i % 10))"; i=$((i + 1)); done ) &
WR=$!
track "$WR"
sleep 0.3
fsfreeze -f "$MNT"
u lvcreate -s -L 24M -n before vg/home
(cd "$MNT" && md5sum old* busy* | sort -k2) >"$T/at-snapshot.md5"
fsfreeze -u "$MNT"
sleep 0.3
touch "$T/stop"
wait "$WR"
for i in $(seq 5); do head -c 200000 /dev/urandom >"$MNT/old$i"; head -c 100000 /dev/urandom >"$MNT/new$i"; done
rm -f "$MNT/old20"
sync
u lvconvert --merge -i 1 vg/before | tee "$T/merge1.out"
grep -q "Delaying merge since origin is open" "$T/merge1.out" || fail "the merge of an open origin was not delayed"
lvm2 vgck vg >/dev/null
lvm2 vgcfgbackup -f "$T/mid.vg" vg >/dev/null
grep -q 'merging_store = "before"' "$T/mid.vg" || fail "no merging_store in the VG lvm2 reads"
lvm2 lvs -a -o lv_name,lv_attr,origin vg
umount "$MNT"
fs_detach
u lvchange -an vg/home
u lvchange -ay vg/home # the merge starts, and a background lvconvert --merge follows it to its end
for _ in $(seq 300); do u lvs -a --noheadings -o lv_name vg | grep -q before || break; sleep 0.1; done
u lvs -a --noheadings -o lv_name vg | grep -q before && fail "the snapshot is left after the merge"
lvm2 vgck vg >/dev/null
ulvm dmsetup ls | grep -E -- '-real|-cow' && fail "a -real or -cow layer is left"
fs_attach vg/home
fsck.ext4 -fn "$LOOP" >"$T/fsck.log" 2>&1 || { cat "$T/fsck.log"; fail "the merged ext4 does not fsck clean"; }
mount "$LOOP" "$MNT"
(cd "$MNT" && md5sum old* busy* | sort -k2) >"$T/merged.md5"
ls "$MNT"/new* 2>/dev/null && fail "files written after the snapshot survived the merge"
diff "$T/at-snapshot.md5" "$T/merged.md5" || fail "the merged ext4 does not hold the files of the snapshot's moment"
umount "$MNT"
fs_detach

step "an active origin that is not open merges at once; another snapshot keeps what it held"
nbdcopy "$(uri vg/home)" "$T/home.before"
u lvcreate -s -L 16M -n s1 vg/home >/dev/null
u lvcreate -s -L 16M -n s2 vg/home >/dev/null
qio "$(uri vg/home)" "write -P 0x5c 1M 6M" "write -P 0x3d 20M 2M" "flush"
nbdcopy "$(uri vg/s2)" "$T/s2.before"
u lvconvert --merge -i 1 vg/s1 | tee "$T/merge3.out"
grep -q "Merged: 100.00%" "$T/merge3.out" || fail "no progress to 100%"
nbdcopy "$(uri vg/home)" "$T/home.after"
cmp "$T/home.before" "$T/home.after" || fail "the origin does not read as the snapshot did"
nbdcopy "$(uri vg/s2)" "$T/s2.after"
cmp "$T/s2.before" "$T/s2.after" || fail "the other snapshot changed under the merge"
lvm2 vgck vg >/dev/null

step "-s -L of a thin LV: an old-style snapshot, as lvm2 makes it; it merges back"
u lvcreate --type thin-pool -L 16M -n pool vg >/dev/null
u lvcreate -T vg/pool -V 32M -n thin >/dev/null
qio "$(uri vg/thin)" "write -P 0x19 0 4M" "flush"
nbdcopy "$(uri vg/thin)" "$T/thin.before"
u lvcreate -s -L 8M -n tsnap vg/thin
lvm2 vgck vg >/dev/null
[ "$(lvm2 lvs --noheadings -o origin vg/tsnap | tr -d ' ')" = thin ] || fail "lvm2 does not see tsnap as a snapshot of thin"
lvm2 vgcfgbackup -f "$T/thick.vg" vg >/dev/null
grep -q 'cow_store = "tsnap"' "$T/thick.vg" || fail "-s -L of a thin LV did not make an old-style snapshot"
qio "$(uri vg/thin)" "write -P 0x2a 1M 2M" "flush"
nbdcopy "$(uri vg/tsnap)" "$T/tsnap.img"
cmp "$T/thin.before" "$T/tsnap.img" || fail "the thick snapshot of the thin LV does not hold its old data"
u lvconvert --merge -i 1 vg/tsnap
nbdcopy "$(uri vg/thin)" "$T/thin.after"
cmp "$T/thin.before" "$T/thin.after" || fail "the thin LV does not read as its snapshot did after the merge"
lvm2 vgck vg >/dev/null

step "refused, nothing written: an invalid snapshot"
u lvcreate -s -L 4M -n tiny vg/home >/dev/null
qio "$(uri vg/home)" "write -P 0x71 0 12M" "flush"
u lvs -a -o lv_name,lv_attr,snap_percent vg
expect_refused "invalidated snapshot" u lvconvert --merge vg/tiny
echo "lvm-snapshot-merge: ok"
