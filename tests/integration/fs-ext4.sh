#!/usr/bin/env bash
# ext4 on a ulvm device through nbdfuse and a loop device: mkfs, mount,
# write files, umount, detach everything; then attach again (so nothing
# comes from a cache), fsck -fn must be clean and the files read back.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
need nbdfuse nbdinfo losetup mkfs.ext4 fsck.ext4 fusermount3 mount umount mountpoint sha256sum
[ "$(id -u)" -eq 0 ] || skip "losetup and mount need root"
[ -c /dev/fuse ] && [ -r /dev/fuse ] && [ -w /dev/fuse ] || skip "/dev/fuse is missing or not usable"
losetup -f >/dev/null 2>&1 || skip "no free loop device (losetup -f failed)"
grep -qw ext4 /proc/filesystems || modprobe ext4 2>/dev/null || skip "the kernel has no ext4"

FZ=$T/fuse MNT=$T/mnt
mkdir -p "$FZ" "$MNT"
mkfile "$T/a.img" 64M
mkfile "$T/b.img" 64M
start_ulvmd
# 96 MiB over two files, the line boundary in the middle of the fs.
ulvm dmsetup create vol --table "0 131072 linear $T/a.img 0
131072 65536 linear $T/b.img 2048"
nbdinfo --size "$(uri vol)" >/dev/null

trap 'fs_detach; cleanup' EXIT

echo "== mkfs, mount, write"
fs_attach vol
mkfs.ext4 -q -F "$LOOP"
mount "$LOOP" "$MNT"
track_mount "$MNT"
mkdir "$MNT/dir"
for i in 1 2 3 4 5 6; do head -c $((i * 700 * 1024)) /dev/urandom >"$MNT/dir/f$i"; done
dd if=/dev/urandom of="$MNT/big" bs=1M count=24 status=none conv=fsync
(cd "$MNT" && sha256sum big dir/*) >"$T/sums"
fs_detach

echo "== attach again: fsck, remount, checksums"
fs_attach vol
fsck.ext4 -fn "$LOOP" || fail "fsck.ext4 -fn found errors"
mount "$LOOP" "$MNT"
track_mount "$MNT"
(cd "$MNT" && sha256sum -c --quiet "$T/sums") || fail "checksums differ after remount"
fs_detach

stop_ulvmd
echo "ok"
