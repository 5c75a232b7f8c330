#!/usr/bin/env bash
# ext4 on a thin LV (ulvm lvcreate -T) through nbdfuse and a loop device:
# mkfs, mount, write files, sync, then a thin snapshot while mounted
# (lvcreate -s suspends the origin, create_snap, resumes); more writes on
# the origin; both filesystems fsck clean (the snapshot attached through a
# second nbdfuse + loop) and the snapshot's files match their checksums.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
need nbdfuse nbdinfo losetup mkfs.ext4 fsck.ext4 fsfreeze fusermount3 mount umount mountpoint sha256sum
[ "$(id -u)" -eq 0 ] || skip "losetup and mount need root"
[ -c /dev/fuse ] && [ -r /dev/fuse ] && [ -w /dev/fuse ] || skip "/dev/fuse is missing or not usable"
losetup -f >/dev/null 2>&1 || skip "no free loop device (losetup -f failed)"
grep -qw ext4 /proc/filesystems || modprobe ext4 2>/dev/null || skip "the kernel has no ext4"

export ULVM_CONF_DIR=$T/conf
mkfile "$T/pv.img" 512M
ulvm pvcreate "$T/pv.img" >/dev/null
ulvm vgcreate vg0 "$T/pv.img" >/dev/null
start_ulvmd
ulvm lvcreate --type thin-pool -L 256M -n pool vg0 >/dev/null
ulvm lvcreate -T vg0/pool -V 2G -n fs >/dev/null

declare -A FUSEPID LOOP MNT
attach() { # name export
	local fz=$T/fuse-$1
	mkdir -p "$fz" "$T/mnt-$1"
	MNT[$1]=$T/mnt-$1
	nbdfuse "$fz" "$(uri "$2")" 2>"$T/nbdfuse-$1.log" &
	FUSEPID[$1]=$!
	track "${FUSEPID[$1]}"
	if ! wait_for 10 test -e "$fz/nbd"; then
		cat "$T/nbdfuse-$1.log"
		if grep -qiE '/dev/fuse|fusermount|fuse_mount|fuse_session|not permitted|permission denied' "$T/nbdfuse-$1.log"; then skip "nbdfuse cannot mount here"; fi
		fail "nbdfuse did not create $fz/nbd"
	fi
	LOOP[$1]=$(losetup -f --show "$fz/nbd") || skip "losetup cannot attach $fz/nbd"
	track_loop "${LOOP[$1]}"
}
detach() { # name
	local fz=$T/fuse-$1
	set +e
	mountpoint -q "${MNT[$1]}" && umount "${MNT[$1]}"
	if [ -n "${LOOP[$1]:-}" ] && losetup -d "${LOOP[$1]}"; then untrack_loop "${LOOP[$1]}"; LOOP[$1]=; fi
	if [ -n "${FUSEPID[$1]:-}" ]; then
		mountpoint -q "$fz" && { wait_for 10 fusermount3 -uq "$fz" 2>/dev/null || fusermount3 -uz "$fz"; }
		kill "${FUSEPID[$1]}" 2>/dev/null
		wait "${FUSEPID[$1]}" 2>/dev/null
		untrack "${FUSEPID[$1]}"
		FUSEPID[$1]=
	fi
	set -e
}
trap 'detach snap; detach fs; cleanup' EXIT

echo "== mkfs, mount, write on vg0/fs"
attach fs vg0/fs
mkfs.ext4 -q -F "${LOOP[fs]}"
mount "${LOOP[fs]}" "${MNT[fs]}"
track_mount "${MNT[fs]}"
mkdir "${MNT[fs]}/dir"
for i in 1 2 3 4 5; do head -c $((i * 900 * 1024)) /dev/urandom >"${MNT[fs]}/dir/f$i"; done
dd if=/dev/urandom of="${MNT[fs]}/big" bs=1M count=32 status=none
(cd "${MNT[fs]}" && sha256sum big dir/*) >"$T/sums"

echo "== snapshot while mounted"
# The kernel's dm suspend freezes the file system under an lvm2 snapshot;
# a userspace one cannot, so freeze it as lvm2 would (after a bare sync
# the metadata may still be only in the journal, and fsck -n of the
# snapshot does not replay it).
sync
fsfreeze -f "${MNT[fs]}"
ulvm lvcreate -s vg0/fs -n snap >/dev/null || { fsfreeze -u "${MNT[fs]}"; fail "lvcreate -s"; }
fsfreeze -u "${MNT[fs]}"
# the origin moves on; the snapshot must not
dd if=/dev/urandom of="${MNT[fs]}/big" bs=1M count=32 status=none conv=notrunc
rm "${MNT[fs]}/dir/f3"
head -c 3M /dev/urandom >"${MNT[fs]}/after"
sync

echo "== the snapshot: fsck clean, files as at the snapshot"
attach snap vg0/snap
fsck.ext4 -fn "${LOOP[snap]}" >"$T/fsck-snap.log" 2>&1 || { cat "$T/fsck-snap.log"; fail "fsck of the snapshot"; }
mount -o ro,noload "${LOOP[snap]}" "${MNT[snap]}"
track_mount "${MNT[snap]}"
(cd "${MNT[snap]}" && sha256sum -c --quiet "$T/sums") || fail "snapshot files differ"
[ ! -e "${MNT[snap]}/after" ] || fail "a file written after the snapshot is in it"
detach snap

echo "== the origin: umount, fsck clean"
(cd "${MNT[fs]}" && sha256sum big after dir/*) >"$T/sums2"
umount "${MNT[fs]}"
fsck.ext4 -fn "${LOOP[fs]}" >"$T/fsck-fs.log" 2>&1 || { cat "$T/fsck-fs.log"; fail "fsck of the origin"; }
mount "${LOOP[fs]}" "${MNT[fs]}"
(cd "${MNT[fs]}" && sha256sum -c --quiet "$T/sums2") || fail "origin files differ"
detach fs
ulvm lvs -o lv_name,lv_attr,pool_lv,origin,data_percent vg0
echo "thin-ext4: all passed"
