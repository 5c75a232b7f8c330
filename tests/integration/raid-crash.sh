#!/usr/bin/env bash
# ext4 on a raid1 (through nbdfuse and a loop device), ulvmd killed with
# -9 while files are being written: after the restart only the regions the
# write-intent bitmap marked are resynced (as many as mdadm counts dirty
# bits), the legs are equal, e2fsck replays the journal and then finds the
# file system clean, and every file fsynced before the crash reads back.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
source "$(dirname "$0")/raid.bash"
need nbdfuse nbdinfo losetup mkfs.ext4 e2fsck fusermount3 mount umount mountpoint sha256sum mdadm
[ "$(id -u)" -eq 0 ] || skip "losetup and mount need root"
[ -c /dev/fuse ] && [ -r /dev/fuse ] && [ -w /dev/fuse ] || skip "/dev/fuse is missing or not usable"
losetup -f >/dev/null 2>&1 || skip "no free loop device (losetup -f failed)"
grep -qw ext4 /proc/filesystems || modprobe ext4 2>/dev/null || skip "the kernel has no ext4"
step() { echo "== $*"; }
FZ=$T/fuse MNT=$T/mnt
mkdir -p "$FZ" "$MNT"
for f in d0 d1; do mkfile "$T/$f" 128M; done
for f in m0 m1; do mkfile "$T/$f" 1M; done
TABLE="0 262144 raid raid1 5 0 region_size 1024 daemon_sleep 1000 2 $T/m0 $T/d0 $T/m1 $T/d1"
trap 'fs_detach; cleanup' EXIT

step "ext4 on a raid1, files written and fsynced"
start_ulvmd
ulvm dmsetup create r --table "$TABLE"
settle r AA
fs_attach r
mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$LOOP" # no background zeroing after mount
mount "$LOOP" "$MNT"
track_mount "$MNT"
mkdir "$MNT/kept"
for i in $(seq 8); do dd if=/dev/urandom of="$MNT/kept/f$i" bs=256k count=$((i * 2)) conv=fsync status=none; done
sync
(cd "$MNT" && sha256sum kept/*) >"$T/sums"
bits() { dd if="$T/m0" bs=4096 skip=1 count=1 status=none | python3 -c '
import sys
print(sum(bin(x).count("1") for x in sys.stdin.buffer.read()[256:]))'; }
sleep 3.5 # the bitmap daemon (daemon_sleep 1000) clears what the files dirtied
before=$(bits)
echo "dirty bits while idle: $before"
[ "$before" -le 4 ] || fail "$before bits still set after 3.5 s idle: the bitmap daemon does not clear them"

step "kill -9 while more files are written"
(
	i=0
	while :; do
		i=$((i + 1))
		dd if=/dev/urandom of="$MNT/busy$((i % 16))" bs=64k count=16 conv=fsync status=none 2>/dev/null || exit 0
	done
) &
W=$!
track "$W"
sleep 1
kill -9 "$ULVMD_PID"
wait "$ULVMD_PID" 2>/dev/null || true
untrack "$ULVMD_PID"
wait "$W" 2>/dev/null || true
untrack "$W"
fs_detach
dirty=$(bits)
echo "dirty bits at the crash: $dirty (mdadm: $(dd if="$T/m0" bs=4096 skip=1 count=1 of="$T/bm" status=none &&
	mdadm --examine-bitmap "$T/bm" | sed -n 's/.*Bitmap : //p'))"
[ "$dirty" -gt 0 ] && [ "$dirty" -lt 256 ] || fail "$dirty of 256 regions dirty at the crash"

step "restart: only the marked regions resync, the legs are equal"
rm -f "$RUN"/*.sock "$RUN"/*.pid
start_ulvmd
ulvm dmsetup create r --table "$TABLE"
settle r AA
grep -q "resync of $dirty regions of 1024 sectors (those the bitmap marked)" "$T/ulvmd.log" ||
	{ grep raid "$T/ulvmd.log"; fail "the resync was not of the $dirty marked regions"; }
cmp "$T/d0" "$T/d1" || fail "the legs differ after the resync"

step "e2fsck replays the journal, then finds nothing; the fsynced files read back"
fs_attach r
rc=0
e2fsck -fy "$LOOP" >"$T/fsck1.log" 2>&1 || rc=$?
[ "$rc" -le 1 ] || { cat "$T/fsck1.log"; fail "e2fsck -fy exited $rc"; }
e2fsck -fn "$LOOP" >"$T/fsck2.log" 2>&1 || { cat "$T/fsck2.log"; fail "e2fsck -fn found errors after the replay"; }
mount "$LOOP" "$MNT"
track_mount "$MNT"
(cd "$MNT" && sha256sum -c --quiet "$T/sums") || fail "files fsynced before the crash differ"
fs_detach
stop_ulvmd
echo "raid-crash: ok"
