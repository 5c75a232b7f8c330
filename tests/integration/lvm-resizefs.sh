#!/usr/bin/env bash
# lvextend/lvreduce/lvresize -r (--resizefs): the LV's ext4 resized with
# it, as lvm2's fsadm does, for LVs that have no kernel block device:
#  - an unmounted ext4 reached through ulvmd's FUSE file (ulvmd --fuse):
#    e2fsck, the LV grown, resize2fs to its size; lvreduce -r shrinks the
#    filesystem first, then the LV (no question: nothing is lost);
#  - without ulvmd --fuse, through a private nbdfuse mount (gone after);
#  - mounted from a loop device over ulvmd's FUSE file: no fsck, the loop
#    device told the new size (losetup -c), resize2fs online (where the
#    kernel lets this machine resize a mounted ext4; else the failure is
#    reported and the filesystem is as it was); shrinking it is refused
#    before anything changes;
#  - a thin LV grows with its filesystem (lvextend -r);
#  - refused, the LV unchanged: an inactive LV, an LV without a
#    filesystem, an LV open by an NBD client, -r shrinking a thin LV;
#  - after each, the files read back the same, e2fsck -fn is clean,
#    dumpe2fs's size is the LV's, and lvm2's vgck reads the VG.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
source "$(dirname "$0")/lvm2.bash"
need losetup mkfs.ext4 e2fsck dumpe2fs resize2fs nbdfuse fusermount3 nbdsh mount mountpoint vgck
[ -e /dev/fuse ] || skip "no /dev/fuse"
export ULVM_CONF_DIR=$T/ulvm
mkdir -p "$ULVM_CONF_DIR" "$T/fs" "$T/mnt"
declare -A L
attach_pvs 256M a
lvm2_isolate "${L[@]}"
step() { echo "== $*"; }
LOOP=
cleanup_fs() {
	mountpoint -q "$T/mnt" && umount "$T/mnt"
	[ -n "$LOOP" ] && losetup -d "$LOOP"
	return 0
}
trap 'cleanup_fs; cleanup' EXIT
start_ulvmd --fuse "$T/fs"
F=$T/fs/vg
M=$((1024 * 1024))
size() { ulvm lvs --noheadings --units b --nosuffix -o lv_size "vg/$1" | tr -d ' '; }
fs_bytes() { # FILE: the ext4's size in bytes, as dumpe2fs says
	dumpe2fs -h "$1" 2>/dev/null | awk -F: '/^Block count/ { c = $2 } /^Block size/ { s = $2 } END { print c * s }'
}
# fs_same LV: clean, the size of the LV, holding the files
fs_same() {
	e2fsck -fn "$F/$1" >"$T/fsck" 2>&1 || { cat "$T/fsck"; fail "$1: e2fsck after the resize"; }
	[ "$(fs_bytes "$F/$1")" = "$(size "$1")" ] || fail "$1: the filesystem is $(fs_bytes "$F/$1") bytes, the LV $(size "$1")"
	mount -o ro,loop "$F/$1" "$T/mnt"
	cmp "$T/data" "$T/mnt/data" || fail "$1: the file changed"
	umount "$T/mnt"
}
lv_kept() { # LV BYTES MESSAGE ARGS...: refused with MESSAGE, the LV still BYTES
	local lv=$1 bytes=$2 msg=$3
	shift 3
	if ulvm "$@" >"$T/out" 2>&1; then cat "$T/out"; fail "$* succeeded"; fi
	grep -qF -- "$msg" "$T/out" || { cat "$T/out"; fail "$*: no \"$msg\""; }
	[ "$(size "$lv")" = "$bytes" ] || fail "a refused $* changed $lv to $(size "$lv")"
	echo "refused: $*: $msg"
}
head -c $((6 * M)) /dev/urandom >"$T/data"
ulvm vgcreate vg "${L[a]}" >/dev/null
ulvm lvcreate -L 64M -n lv vg >/dev/null
mkfs.ext4 -q "$F/lv"
mount -o loop "$F/lv" "$T/mnt"
cp "$T/data" "$T/mnt/data"
umount "$T/mnt"

step "lvextend -r, unmounted, through ulvmd's FUSE file: e2fsck, the LV, resize2fs"
ulvm lvextend -r -L +32M vg/lv >"$T/out" 2>&1 || { cat "$T/out"; fail "lvextend -r"; }
cat "$T/out"
grep -q "Logical volume vg/lv successfully resized" "$T/out" && grep -q "is now" "$T/out" || fail "lvextend -r said: $(cat "$T/out")"
[ "$(size lv)" = $((96 * M)) ] || fail "lv is $(size lv)"
fs_same lv

step "lvreduce -r: the filesystem first, then the LV; no question"
ulvm lvreduce -r -L 72M vg/lv </dev/null >"$T/out" 2>&1 || { cat "$T/out"; fail "lvreduce -r"; }
grep -q "Do you really want" "$T/out" && fail "lvreduce -r asked"
grep -q "truncate" "$T/out" && fail "resize2fs's truncate of the LV's file came through: $(cat "$T/out")"
[ "$(size lv)" = $((72 * M)) ] || fail "lv is $(size lv)"
fs_same lv
lv_kept lv $((72 * M)) "Filesystem resize failed." lvreduce -r -L 8M vg/lv

step "mounted from a loop device over the FUSE file: no fsck, losetup -c, resize2fs online"
LOOP=$(losetup -f --show "$F/lv")
mount "$LOOP" "$T/mnt"
lv_kept lv $((72 * M)) "Cannot reduce the filesystem of vg/lv mounted on $T/mnt: unmount it first." lvreduce -r -L 64M vg/lv
rc=0
ulvm lvextend -r -L +24M vg/lv >"$T/out" 2>&1 || rc=$?
cat "$T/out"
grep -q "Skipping filesystem check for device \"vg/lv\" as the filesystem is mounted on $T/mnt" "$T/out" ||
	fail "no fsck skipped for the mounted filesystem"
[ "$(size lv)" = $((96 * M)) ] || fail "lv is $(size lv)"
[ "$(blockdev --getsize64 "$LOOP")" = $((96 * M)) ] || fail "the loop device was not told the new size"
if [ "$rc" = 0 ]; then
	[ "$(df -B1 --output=size "$T/mnt" | tail -n 1 | tr -d ' ')" -gt $((80 * M)) ] || fail "df: not grown online"
	cmp "$T/data" "$T/mnt/data" || fail "the file changed online"
	umount "$T/mnt"
else
	# a mounted ext4 grows only with CAP_SYS_RESOURCE, which some
	# containers do not give: the failure is said, the filesystem stays
	grep -q "Permission denied to resize filesystem" "$T/out" && grep -q "Filesystem resize failed." "$T/out" ||
		fail "lvextend -r of a mounted filesystem failed with: $(cat "$T/out")"
	echo "online resize not permitted here (no CAP_SYS_RESOURCE): offline after umount"
	umount "$T/mnt"
	e2fsck -f -p "$LOOP" >/dev/null && resize2fs "$LOOP" >/dev/null 2>&1 || fail "resize2fs after a refused online resize"
fi
losetup -d "$LOOP"
LOOP=
fs_same lv

step "without ulvmd --fuse: a private nbdfuse mount, gone after"
ulvm vgchange -an vg >/dev/null
stop_ulvmd
start_ulvmd
ulvm vgchange -ay vg >/dev/null
ls -d /tmp/ulvm-fsadm.* >"$T/before" 2>/dev/null || true
ulvm lvextend -r -L +16M vg/lv >"$T/out" 2>&1 || { cat "$T/out"; fail "lvextend -r through nbdfuse"; }
grep -q "ulvm-fsadm\..*/nbd is now" "$T/out" || fail "not through nbdfuse: $(cat "$T/out")"
ls -d /tmp/ulvm-fsadm.* 2>/dev/null | diff "$T/before" - >/dev/null || fail "the nbdfuse directory was left"
grep -q ulvm-fsadm /proc/self/mountinfo && fail "the nbdfuse mount was left"
ulvm lvreduce -r -L 96M vg/lv >"$T/out" 2>&1 || { cat "$T/out"; fail "lvreduce -r through nbdfuse"; }
grep -q "truncate" "$T/out" && fail "resize2fs's truncate came through: $(cat "$T/out")"
ulvm vgchange -an vg >/dev/null
stop_ulvmd
start_ulvmd --fuse "$T/fs"
ulvm vgchange -ay vg >/dev/null
[ "$(size lv)" = $((96 * M)) ] || fail "lv is $(size lv)"
fs_same lv

step "a thin LV grows with its filesystem; -r does not shrink one"
ulvm lvcreate -T -L 64M vg/pool -V 32M -n thin >/dev/null
mkfs.ext4 -q "$F/thin"
mount -o loop "$F/thin" "$T/mnt"
cp "$T/data" "$T/mnt/data"
umount "$T/mnt"
ulvm lvextend -r -L +16M vg/thin >"$T/out" 2>&1 || { cat "$T/out"; fail "lvextend -r of a thin LV"; }
[ "$(size thin)" = $((48 * M)) ] || fail "thin is $(size thin)"
fs_same thin
lv_kept thin $((48 * M)) "only grows (lvextend -r)" lvreduce -r -L 32M vg/thin

step "refused, the LV unchanged: inactive, no filesystem, open by an NBD client"
ulvm lvcreate -L 8M -n nofs vg >/dev/null
lv_kept nofs $((8 * M)) "Filesystem check failed." lvextend -r -L +4M vg/nofs
grep -q 'Cannot get FSTYPE of "vg/nofs"' "$T/out" || fail "no reason: $(cat "$T/out")"
nbdsh -u "nbd+unix:///vg/lv?socket=$SOCK" -c 'import time; time.sleep(120)' &
client=$!
track "$client"
wait_for 10 bash -c "'$ULVM_BIN' dmsetup info vg-lv | grep -q 'Open count: *1'" || fail "the NBD client did not open vg/lv"
lv_kept lv $((96 * M)) "is open (an NBD client" lvextend -r -L +4M vg/lv
{ kill "$client" && wait "$client"; } 2>/dev/null || true
untrack "$client"
ulvm lvchange -an vg/nofs >/dev/null
lv_kept nofs $((8 * M)) "Logical volume vg/nofs must be activated before resizing filesystem." lvextend -r -L +4M vg/nofs
lvm2 vgck vg >/dev/null
echo "PASS"
