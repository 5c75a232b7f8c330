#!/usr/bin/env bash
# ulvmd --fuse DIR: every active device as a file, and through losetup a
# kernel block device, with no nbd module and no nbdfuse:
#  - DIR/NAME for a dmsetup device, DIR/vg/lv for an LV; size, mode (0400
#    read-only), appearing and going with create, rename, remove; size
#    following an online reload;
#  - losetup + mkfs.ext4 + mount + files + umount + fsck -f on the file;
#  - fio verify on the file; SEEK_DATA/SEEK_HOLE from the device's extents;
#    fallocate --punch-hole discards (the backing file gets a hole),
#    --zero-range writes zeroes; fsync flushes;
#  - the size is fixed: a write past the end fails (ENOSPC/EFBIG) and the
#    file does not grow; truncate to another size and chmod fail (EPERM),
#    truncate to the same size and touch succeed;
#  - ulvmd's SIGTERM unmounts.
source "$(dirname "$0")/lib.sh"
need losetup mkfs.ext4 fsck.ext4 mount fio fallocate python3 mountpoint
[ -e /dev/fuse ] || skip "no /dev/fuse"
step() { echo "== $*"; }
F=$T/fs
mkdir -p "$F" "$T/mnt"
truncate -s 256M "$T/a.img"
truncate -s 64M "$T/b.img"
start_ulvmd --fuse "$F"
LOOP=
cleanup_fuse() {
	mountpoint -q "$T/mnt" && umount "$T/mnt"
	[ -n "$LOOP" ] && losetup -d "$LOOP"
	return 0
}
trap 'cleanup_fuse; cleanup' EXIT # lib.sh's cleanup too: the daemon, then $T

step "files for devices: DIR/NAME, size, mode; rename and remove"
ulvm dmsetup create d1 --table "0 524288 linear $T/a.img 0"
ulvm dmsetup create ro1 --readonly --table "0 131072 linear $T/b.img 0"
[ "$(stat -c %s "$F/d1")" = $((256 << 20)) ] || fail "d1 size $(stat -c %s "$F/d1")"
[ "$(stat -c %a "$F/d1")" = 600 ] || fail "d1 mode"
[ "$(stat -c %a "$F/ro1")" = 400 ] || fail "ro1 mode $(stat -c %a "$F/ro1")"
python3 -c "import os,sys; os.open(sys.argv[1], os.O_RDWR)" "$F/ro1" 2>"$T/err" && fail "ro1 opened for writing"
grep -q 'Read-only file system\|Permission denied' "$T/err" || { cat "$T/err"; fail "ro1: not EROFS"; }
ulvm dmsetup rename ro1 ro2
[ -e "$F/ro2" ] && [ ! -e "$F/ro1" ] || fail "rename: $(ls "$F")"
ulvm dmsetup remove ro2
[ "$(ls "$F")" = d1 ] || fail "after remove: $(ls "$F")"

step "losetup + mkfs.ext4 + mount + files + umount + fsck"
LOOP=$(losetup -f --show "$F/d1")
mkfs.ext4 -q "$LOOP"
mount "$LOOP" "$T/mnt"
head -c 20M /dev/urandom >"$T/data"
cp "$T/data" "$T/mnt/data"
mkdir "$T/mnt/dir" && echo hello >"$T/mnt/dir/hello"
sync
umount "$T/mnt"
fsck.ext4 -fn "$LOOP" >"$T/fsck" 2>&1 || { cat "$T/fsck"; fail "fsck after the first mount"; }
mount -o ro "$LOOP" "$T/mnt"
cmp "$T/data" "$T/mnt/data" || fail "file differs after remount"
[ "$(cat "$T/mnt/dir/hello")" = hello ] || fail "hello"
umount "$T/mnt"
losetup -d "$LOOP"
LOOP=

step "fio verify on the file"
fio --name=v --filename="$F/d1" --rw=randwrite --bs=4k --size=8M --offset=128M --offset_increment=8M --ioengine=psync --numjobs=2 \
	--verify=crc32c --verify_fatal=1 --do_verify=1 >"$T/fio" 2>&1 || { tail -20 "$T/fio"; fail "fio verify"; }

step "SEEK_DATA/SEEK_HOLE, punch hole, zero range, fsync"
ulvm dmsetup create sp --table "0 131072 linear $T/b.img 0"
python3 - "$F/sp" <<'PY' || fail "seek/punch/zero"
import os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
os.pwrite(fd, b"\x5a" * 65536, 1 << 20)
os.fsync(fd)
assert os.lseek(fd, 0, os.SEEK_DATA) == 1 << 20, os.lseek(fd, 0, os.SEEK_DATA)
assert os.lseek(fd, 1 << 20, os.SEEK_HOLE) == (1 << 20) + 65536, os.lseek(fd, 1 << 20, os.SEEK_HOLE)
os.close(fd)
PY
used0=$(du -k "$T/b.img" | cut -f1)
fallocate --punch-hole --keep-size -o $((1 << 20)) -l 65536 "$F/sp"
python3 -c "import sys; d=open(sys.argv[1],'rb').read(); assert d[1<<20:(1<<20)+65536] == bytes(65536)" "$F/sp" ||
	fail "punched range does not read zeroes"
[ "$(du -k "$T/b.img" | cut -f1)" -lt "$used0" ] || fail "the backing file got no hole ($used0 KiB before)"
printf '\xff%.0s' $(seq 4096) | dd of="$F/sp" bs=4096 seek=16 conv=notrunc status=none
fallocate --zero-range -o 65536 -l 4096 "$F/sp"
python3 -c "import sys; d=open(sys.argv[1],'rb').read(); assert d[65536:69632] == bytes(4096)" "$F/sp" ||
	fail "zero range does not read zeroes"

step "the size is fixed: writes past the end, truncate, chmod, touch"
python3 - "$F/sp" <<'PY' || fail "past the end"
import errno, os, sys
fd = os.open(sys.argv[1], os.O_RDWR)
size = os.fstat(fd).st_size
for off in (size, size - 2, size + (1 << 20)):
    try:
        os.pwrite(fd, b"abcd", off)
        raise SystemExit("write at %d of %d succeeded" % (off, size))
    except OSError as e:
        assert e.errno in (errno.ENOSPC, errno.EFBIG), (off, e)
assert os.fstat(fd).st_size == size and os.stat(sys.argv[1]).st_size == size
os.ftruncate(fd, size)
for n in (size - 4096, size + 4096, 0):
    try:
        os.ftruncate(fd, n)
        raise SystemExit("ftruncate to %d succeeded" % n)
    except OSError as e:
        assert e.errno == errno.EPERM, (n, e)
os.close(fd)
PY
truncate -s $((64 << 20)) "$F/sp" || fail "truncate to the same size"
truncate -s 1M "$F/sp" 2>/dev/null && fail "truncate to 1M succeeded"
chmod 644 "$F/sp" 2>/dev/null && fail "chmod succeeded"
touch "$F/sp" || fail "touch"
[ "$(stat -c %s "$F/sp")" = $((64 << 20)) ] || fail "size changed: $(stat -c %s "$F/sp")"

step "the size follows an online reload"
ulvm dmsetup load sp --table "0 262144 linear $T/a.img 0"
ulvm dmsetup resume sp
[ "$(stat -c %s "$F/sp")" = $((128 << 20)) ] || fail "size after reload: $(stat -c %s "$F/sp")"

step "an LV is DIR/vg/lv"
export ULVM_CONF_DIR=$T/conf
truncate -s 64M "$T/pv.img"
ulvm pvcreate "$T/pv.img" >/dev/null
ulvm vgcreate fvg "$T/pv.img" >/dev/null
ulvm lvcreate -L 8M -n data fvg >/dev/null
[ -d "$F/fvg" ] && [ "$(stat -c %s "$F/fvg/data")" = $((8 << 20)) ] || fail "no $F/fvg/data: $(ls -R "$F")"
echo lvdata | dd of="$F/fvg/data" conv=notrunc status=none
ulvm lvchange -an fvg/data
[ ! -e "$F/fvg" ] || fail "$F/fvg still there after lvchange -an"

step "SIGTERM unmounts"
stop_ulvmd
mountpoint -q "$F" && fail "$F still mounted after ulvmd stopped"
echo "fuse export: ok"
