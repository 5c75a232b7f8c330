#!/usr/bin/env bash
# The snapshot and snapshot-origin targets through `ulvm dmsetup` and NBD
# clients:
#  - writes through the origin leave the snapshot reading what the origin
#    held when the snapshot was made; the snapshot takes writes of its own;
#    an independent reader of the kernel's persistent exception store
#    (Python, below) rebuilds the snapshot from the origin file and the COW
#    file, byte for byte what the snapshot serves;
#  - the store persists: after a clean stop and after kill -9 the snapshot
#    reads the same;
#  - 32 origin writes in flight: their exceptions are committed in groups,
#    across many metadata areas, and the snapshot and the store stay exact;
#  - a snapshot of a mounted ext4 (frozen with fsfreeze while the snapshot
#    is made) fscks clean and holds the files of that moment, while the
#    origin goes on;
#  - a full COW device: P invalidates the snapshot (status Invalid, header
#    valid 0, reads fail), the origin stays right; PO refuses the
#    snapshot's own writes (Overflow) and keeps reading; N (transient)
#    keeps no header (its first copy is COW chunk 0);
#  - bad tables and a COW device that holds something else are refused,
#    naming why, nothing written.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
need qemu-io nbdcopy python3 mkfs.ext4 fsck.ext4 fsfreeze
step() { echo "== $*"; }
M=$((1024 * 1024))
FZ=$T/fuse MNT=$T/mnt
mkdir -p "$FZ" "$MNT"
trap 'fs_detach; cleanup' EXIT
start_ulvmd
snap_table() { echo "0 32768 snapshot $T/o.img $T/${2:-c}.img ${1:-P} 32"; }

step "origin writes: the snapshot keeps the old data; its own writes; the COW file as the kernel lays it out"
head -c $((16 * M)) /dev/urandom >"$T/o.img"
cp "$T/o.img" "$T/before.img"
mkfile "$T/c.img" 8M
ulvm dmsetup create base --table "0 32768 snapshot-origin $T/o.img"
ulvm dmsetup create snap --table "$(snap_table)"
qio "$(uri base)" "write -P 0x11 1M 100k" "write -P 0x22 5000 3000" "write -z 12M 1M" "flush"
qio "$(uri snap)" "write -P 0x33 8M 64k" "flush"
ulvm dmsetup status snap
python3 - "$T/before.img" 8388608 65536 0x33 <<'PY'
import sys
p, off, n, b = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4], 16)
d = bytearray(open(p, "rb").read())
d[off:off + n] = bytes([b]) * n
open(p + ".want", "wb").write(d)
PY
nbdcopy "$(uri snap)" "$T/snap.img"
cmp "$T/before.img.want" "$T/snap.img" || fail "the snapshot does not read as the origin did, plus its own write"
qio "$(uri base)" "read -P 0x11 1M 100k" "read -P 0x22 5000 3000" "read -P 0 12M 1M"
python3 "$(dirname "$0")/snapshot_store.py" "$T/o.img" "$T/c.img" "$T/rebuilt.img"
cmp "$T/rebuilt.img" "$T/snap.img" || fail "the COW file, read as the kernel's format, is not the snapshot"

step "the store persists: clean stop, then kill -9 after more writes"
ulvm dmsetup remove snap
ulvm dmsetup remove base
stop_ulvmd
start_ulvmd
ulvm dmsetup create snap --table "$(snap_table)"
ulvm dmsetup create base --table "0 32768 snapshot-origin $T/o.img"
nbdcopy "$(uri snap)" "$T/snap2.img"
cmp "$T/before.img.want" "$T/snap2.img" || fail "the snapshot changed across a restart"
qio "$(uri base)" "write -P 0x44 3M 2M" "flush"
kill -9 "$ULVMD_PID"
wait "$ULVMD_PID" 2>/dev/null || true
rm -f "$RUN"/*.sock "$RUN"/*.pid
start_ulvmd
ulvm dmsetup create snap --table "$(snap_table)"
nbdcopy "$(uri snap)" "$T/snap3.img"
cmp "$T/before.img.want" "$T/snap3.img" || fail "the snapshot changed across kill -9"
ulvm dmsetup status snap
ulvm dmsetup remove snap

step "32 origin writes in flight, their exceptions committed in groups across many areas: snapshot and store exact"
rm -f "$T/c.img"
mkfile "$T/c.img" 32M
cp "$T/o.img" "$T/before2.img"
ulvm dmsetup create snap --table "0 32768 snapshot $T/o.img $T/c.img P 8"
ulvm dmsetup create base --table "0 32768 snapshot-origin $T/o.img"
fio --name=w --ioengine=nbd --uri="$(uri base)" --rw=randwrite --bs=4k --iodepth=32 --size=16M --number_ios=6000 \
	--randrepeat=0 --output="$T/fio.log" >/dev/null 2>&1 || { cat "$T/fio.log"; fail "fio on the origin"; }
ulvm dmsetup status snap
nbdcopy "$(uri snap)" "$T/snap4.img"
cmp "$T/before2.img" "$T/snap4.img" || fail "the snapshot changed under concurrent origin writes"
python3 "$(dirname "$0")/snapshot_store.py" "$T/o.img" "$T/c.img" "$T/rebuilt2.img"
cmp "$T/before2.img" "$T/rebuilt2.img" || fail "the store on the COW file does not rebuild the snapshot"
ulvm dmsetup remove base
ulvm dmsetup remove snap

step "a snapshot of a mounted ext4 (fsfreeze while it is made) fscks clean and holds that moment"
rm -f "$T/o.img" "$T/c.img"
mkfile "$T/o.img" 16M
mkfile "$T/c.img" 8M
ulvm dmsetup create base --table "0 32768 snapshot-origin $T/o.img"
fs_attach base
mkfs.ext4 -q -F "$LOOP"
mount "$LOOP" "$MNT"
cp -r "$(dirname "$0")" "$MNT/before"
sync
fsfreeze -f "$MNT"
ulvm dmsetup create snap --table "$(snap_table)"
fsfreeze -u "$MNT"
cp -r "$(dirname "$0")" "$MNT/after"
rm -rf "$MNT/before/lib.sh"
umount "$MNT"
fsck.ext4 -fn "$LOOP" >"$T/fsck.log" 2>&1 || { cat "$T/fsck.log"; fail "fsck of the origin"; }
fs_detach
check_snapshot_fs snap
ulvm dmsetup status snap
ulvm dmsetup remove snap
ulvm dmsetup remove base

step "a full COW device: P invalidates, PO overflows, N writes no header"
head -c $((16 * M)) /dev/urandom >"$T/o.img"
cp "$T/o.img" "$T/before.img"
for kind in P PO N; do
	rm -f "$T/s.img"
	mkfile "$T/s.img" 256K
	ulvm dmsetup create base --table "0 32768 snapshot-origin $T/o.img"
	ulvm dmsetup create snap --table "$(snap_table "$kind" s)"
	if [ "$kind" = PO ]; then
		if qemu-io -f raw -c "write -P 0x55 0 1M" "$(uri snap)" >"$T/q" 2>&1 && ! grep -qi error "$T/q"; then
			fail "PO: a write past the COW device succeeded"
		fi
		[ "$(ulvm dmsetup status snap | awk '{print $4}')" = Overflow ] || fail "PO: $(ulvm dmsetup status snap)"
		qio "$(uri snap)" "read -P 0x55 0 64k"
		cmp -n $((4 * M)) <(nbdcopy "$(uri snap)" - | tail -c +$((1 * M + 1))) \
			<(tail -c +$((1 * M + 1)) "$T/before.img") || fail "PO: the snapshot no longer reads the origin"
	else
		qio "$(uri base)" "write -P 0x66 0 2M" "flush"
		st=$(ulvm dmsetup status snap | awk '{print $4}')
		echo "$kind: $st"
		[ "$st" = Invalid ] || fail "$kind: status after the COW filled: $st"
		if qemu-io -f raw -r -c "read 0 4k" "$(uri snap)" >"$T/q" 2>&1 && ! grep -qi error "$T/q"; then
			fail "$kind: an invalid snapshot was read"
		fi
		qio "$(uri base)" "read -P 0x66 0 2M"
		cmp -n $((14 * M)) <(nbdcopy "$(uri base)" - | tail -c +$((2 * M + 1))) \
			<(tail -c +$((2 * M + 1)) "$T/before.img") || fail "$kind: the origin changed beyond its writes"
		if [ "$kind" = P ]; then
			[ "$(od -An -tu4 -j4 -N4 "$T/s.img" | tr -d ' ')" = 0 ] || fail "P: the header is still valid"
		else
			# no header: the first copied chunk (origin chunk 0) is COW chunk 0
			cmp -n 16384 "$T/s.img" "$T/before.img" || fail "N: COW chunk 0 is not the origin's old chunk 0"
		fi
	fi
	ulvm dmsetup remove snap
	ulvm dmsetup remove base
	cp "$T/before.img" "$T/o.img"
done
grep -q "snapshot: .*s.img: invalidated (the COW device is full)" "$T/ulvmd.log" || fail "no log line for the invalidation"

step "bad tables and a foreign COW device are refused, naming why; nothing written"
mkfile "$T/c2.img" 1M
printf 'NOTSNAP!' | dd of="$T/c2.img" conv=notrunc status=none
sum=$(cat "$T/o.img" "$T/c2.img" | md5sum)
bad() { # WHY TABLE
	if ulvm dmsetup create bad --table "$2" 2>"$T/err"; then fail "accepted: $2"; fi
	grep -q "$1" "$T/err" || fail "refused without saying '$1': $(cat "$T/err")"
}
bad "Invalid chunk size" "0 32768 snapshot $T/o.img $T/c2.img P 24"
bad "Invalid exception store type" "0 32768 snapshot $T/o.img $T/c2.img X 32"
bad "COW device cannot be the same as origin device" "0 32768 snapshot $T/o.img $T/o.img P 32"
bad "requires exactly 4 arguments" "0 32768 snapshot $T/o.img $T/c2.img P"
bad "larger than its origin" "0 65536 snapshot $T/o.img $T/c2.img P 32"
if ulvm dmsetup create bad --table "0 32768 snapshot $T/o.img $T/c2.img P 32" 2>"$T/err"; then
	fail "a COW device holding something else was used"
fi
grep -q "COW device holds no exception store (bad magic)" "$T/err" || fail "foreign COW device: $(cat "$T/err")"
[ "$(cat "$T/o.img" "$T/c2.img" | md5sum)" = "$sum" ] || fail "a refused table wrote to its devices"
ulvm dmsetup remove bad 2>/dev/null || true
stop_ulvmd
echo "snapshot-target: ok"
