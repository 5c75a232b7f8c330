#!/usr/bin/env bash
# LVM on LUKS on GPT inside a qcow2 disk image, as a Debian install lays it
# out, made and opened with ulvm alone (no kernel device-mapper, no nbd
# module), with sfdisk, cryptsetup, lvm2 and e2fsck as the oracles:
#  - a qcow2 with a GPT (sfdisk) served by qemu-nbd: `ulvm partx --show`
#    reads the table sfdisk wrote, `--add` maps img-p1..3 over the NBD URI;
#  - the real cryptsetup formats partition 3 (a loop device over the raw
#    disk at the partition's offset) before the disk becomes a qcow2; ulvm
#    adds a keyslot on /dev/mapper/img-p3 (the header written through
#    NBD), opens it, pvcreate/vgcreate/lvcreate on /dev/mapper/cr, ext4 on
#    an LV;
#  - everything taken down, the image converted to raw: cryptsetup takes
#    ulvm's keyslot at p3, the volume key it unlocks decrypts the partition
#    (an independent decryptor), lvm2 reads the VG inside and e2fsck the LV
#    read from the extents lvm2 names;
#  - opened again from scratch read-only, as a user would (partx -a -r,
#    cryptsetup open --readonly, vgchange -ay --devices): fsck clean, the
#    files there; then read-write into a thin snapshot whose external
#    origin is the guest's LV: the qcow2 is never touched (sha256);
#  - partx on MBR with logical partitions, in place and through NBD (their
#    EBRs next to them or anywhere), as sfdisk lists them; a table whose entries run past the disk's end and
#    a disk with no table are refused, nothing mapped.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
source "$(dirname "$0")/lvm2.bash"
need qemu-img qemu-nbd sfdisk cryptsetup lvm nbdcopy python3 mkfs.ext4 fsck.ext4 losetup
python3 -c 'import cryptography' 2>/dev/null || skip "python3-cryptography is not installed"
step() { echo "== $*"; }
M=$((1024 * 1024))
FZ=$T/fuse MNT=$T/mnt
mkdir -p "$FZ" "$MNT"
trap 'fs_detach; cleanup' EXIT
export ULVM_CONF_DIR=$T/conf
ITER=(--pbkdf pbkdf2 --pbkdf-force-iterations 1000)
printf 'guest pass' >"$T/pass"
printf 'second pass' >"$T/pass2"
start_ulvmd

# serve IMAGE [qemu-nbd options]: qemu-nbd on $T/img.sock, its PID in QPID
serve() {
	local img=$1
	shift
	rm -f "$T/img.sock"
	qemu-nbd -t -e 16 -f qcow2 -k "$T/img.sock" "$@" "$img" &
	QPID=$!
	track "$QPID"
	wait_for 10 test -S "$T/img.sock" || fail "qemu-nbd did not start"
}
unserve() { kill "$QPID"; wait "$QPID" 2>/dev/null || true; untrack "$QPID"; }
IMG="nbd+unix:///?socket=$T/img.sock"
# parts DISK: "NR START SECTORS" per partition, as sfdisk lists them
parts() {
	sfdisk -J "$1" | python3 -c '
import json, re, sys
for p in json.load(sys.stdin)["partitiontable"]["partitions"]:
    print(re.search(r"(\d+)$", p["node"]).group(1), p["start"], p["size"])'
}
# shown: the same columns of `ulvm partx --show`
shown() { awk 'NR > 1 {print $1, $2, $4}'; }

step "a qcow2 with a GPT (sfdisk); partx --show reads it through NBD; --add maps img-p1..3"
truncate -s 96M "$T/disk.raw"
printf 'label: gpt\n,4M,U\n,8M,L\n,,L\n' | sfdisk -q "$T/disk.raw"
parts "$T/disk.raw" >"$T/want"
read -r _ p3start p3size < <(sed -n 3p "$T/want")
lo=$(losetup -f --show -o $((p3start * 512)) --sizelimit $((p3size * 512)) "$T/disk.raw")
track_loop "$lo"
cryptsetup luksFormat -q --type luks2 "${ITER[@]}" --key-file "$T/pass" "$lo"
losetup -d "$lo"
untrack_loop "$lo"
qemu-img convert -f raw -O qcow2 "$T/disk.raw" "$T/img.qcow2"
serve "$T/img.qcow2" -e 1 # qemu-nbd's default: one client at a time
ulvm partx --show "$IMG" | shown >"$T/got"
diff "$T/want" "$T/got" || fail "partx --show differs from sfdisk"
ulvm partx --add "$IMG"
[ "$(ulvm dmsetup ls | awk '{print $1}' | sort | tr '\n' ' ')" = "img-p1 img-p2 img-p3 " ] ||
	{ ulvm dmsetup ls; fail "partx --add did not make img-p1..3"; }
[ "$(ulvm dmsetup table img-p3)" = "0 $p3size linear $IMG $p3start" ] ||
	fail "img-p3's table: $(ulvm dmsetup table img-p3)"

step "cryptsetup's LUKS2 on /dev/mapper/img-p3: a keyslot added, opened; a VG inside on /dev/mapper/cr, ext4"
ulvm cryptsetup isLuks /dev/mapper/img-p3 || fail "isLuks: no LUKS header on img-p3"
ulvm cryptsetup luksAddKey --key-file "$T/pass" "${ITER[@]}" /dev/mapper/img-p3 "$T/pass2"
ulvm cryptsetup open --key-file "$T/pass2" /dev/mapper/img-p3 cr
ulvm pvcreate /dev/mapper/cr
ulvm vgcreate guest /dev/mapper/cr
ulvm lvcreate -L 24M -n home guest
ulvm lvcreate -L 8M -n swap guest
ulvm lvs -o lv_name,devices guest | grep -q 'home.*/dev/mapper/cr(0)' || fail "guest/home is not on /dev/mapper/cr"
fs_attach guest/home
mkfs.ext4 -q -F "$LOOP"
mount "$LOOP" "$MNT"
cp -r "$(dirname "$0")" "$MNT/tests"
umount "$MNT"
fs_detach
ulvm vgchange -an guest
if ulvm partx --delete "$IMG" 2>"$T/err"; then fail "partx --delete removed a partition cryptsetup holds"; fi
ulvm cryptsetup close cr
ulvm partx --delete "$IMG"
[ -z "$(ulvm dmsetup ls | grep -v 'No devices')" ] || { ulvm dmsetup ls; fail "devices left after close and delete"; }
unserve

step "the image as other tools read it: cryptsetup's LUKS2, lvm2's VG, e2fsck's ext4"
qemu-img convert -f qcow2 -O raw "$T/img.qcow2" "$T/back.raw"
dd if="$T/back.raw" of="$T/p3.raw" bs=512 skip="$p3start" count="$p3size" status=none
cryptsetup isLuks "$T/p3.raw" || fail "cryptsetup finds no LUKS header at partition 3"
cryptsetup open --test-passphrase --key-file "$T/pass2" "$T/p3.raw" || fail "cryptsetup does not take ulvm's keyslot"
cryptsetup luksDump --dump-volume-key --volume-key-file "$T/vk" --key-file "$T/pass" --batch-mode "$T/p3.raw" >/dev/null
off=$(cryptsetup luksDump --dump-json-metadata "$T/p3.raw" | python3 -c \
	'import json,sys; print(int(json.load(sys.stdin)["segments"]["0"]["offset"]) // 512)')
python3 "$(dirname "$0")/crypt_model.py" aes-xts-plain64 "$(xxd -p -c 64 "$T/vk")" "$T/p3.raw" "$off" 0 512 0 \
	$(((p3size - off) * 512)) "$T/cr.raw"
dec=$(losetup -f --show "$T/cr.raw")
track_loop "$dec"
lvm2_isolate "$dec"
lvm2 vgck guest >/dev/null
[ "$(lvm2 lvs --noheadings -o lv_name guest | tr -d ' ' | sort | tr '\n' ' ')" = "home swap " ] ||
	fail "lvm2 does not see guest/home and guest/swap in the decrypted partition"
lvm2_extents guest home "$T/home.raw"
fsck.ext4 -fn "$T/home.raw" >"$T/fsck.log" 2>&1 || { cat "$T/fsck.log"; fail "e2fsck: the guest's home is not clean"; }
losetup -d "$dec"
untrack_loop "$dec"

step "opened again from scratch, read-only: partx -a -r, cryptsetup open --readonly, vgchange -ay --devices"
before=$(sha256sum <"$T/img.qcow2")
serve "$T/img.qcow2" -r
ulvm partx -a -r "$IMG"
ulvm cryptsetup open --readonly --key-file "$T/pass" /dev/mapper/img-p3 cr
rm -rf "$ULVM_CONF_DIR"
ulvm vgchange -ay --devices /dev/mapper/cr guest
fs_attach guest/home
fsck.ext4 -fn "$LOOP" >"$T/fsck.log" 2>&1 || { cat "$T/fsck.log"; fail "fsck of the guest's home, opened again"; }
mount -o ro "$LOOP" "$MNT"
diff -r "$(dirname "$0")" "$MNT/tests" >/dev/null || fail "the guest's home does not hold what was copied"
umount "$MNT"
fs_detach

step "read-write into a thin snapshot of the guest's home: the image is never touched"
mkfile "$T/tmeta" 4M
mkfile "$T/tdata" 64M
ulvm dmsetup create pool --table "0 $((64 * 2048)) thin-pool $T/tmeta $T/tdata 128 0"
ulvm dmsetup message pool 0 "create_thin 0"
ulvm dmsetup create work --table "0 $((24 * 2048)) thin /dev/mapper/pool 0 /dev/mapper/guest-home"
fs_attach work
mount "$LOOP" "$MNT"
rm -r "$MNT/tests/lib.sh"
echo "changed in the snapshot" >"$MNT/new"
umount "$MNT"
fsck.ext4 -fn "$LOOP" >"$T/fsck.log" 2>&1 || { cat "$T/fsck.log"; fail "fsck of the thin snapshot after writes"; }
fs_detach
ulvm dmsetup remove work
ulvm dmsetup remove pool
ulvm vgchange -an --devices /dev/mapper/cr guest
ulvm cryptsetup close cr
ulvm kpartx -d "$IMG"
unserve
[ "$(sha256sum <"$T/img.qcow2")" = "$before" ] || fail "the qcow2 changed while opened read-only"

step "partx on MBR with logical partitions, in place and through NBD; bad tables refused"
truncate -s 64M "$T/mbr.raw"
printf 'label: dos\n,8M,L\n,,E\n,10M,L\n,10M,L\n,,L\n' | sfdisk -q "$T/mbr.raw"
parts "$T/mbr.raw" >"$T/want"
ulvm partx --show "$T/mbr.raw" | shown >"$T/got"
diff "$T/want" "$T/got" || fail "partx --show of an MBR file differs from sfdisk"
qemu-img convert -f raw -O qcow2 "$T/mbr.raw" "$T/mbr.qcow2"
serve "$T/mbr.qcow2" -r
ulvm partx --show "$IMG" | shown >"$T/got"
diff "$T/want" "$T/got" || fail "partx --show of MBR logical partitions through NBD differs from sfdisk"
ulvm kpartx -a "$T/mbr.raw"
ulvm kpartx -l "$T/mbr.raw" | grep -q "^mbr-p5 : 0 20480 linear $T/mbr.raw 20480$" ||
	{ ulvm kpartx -l "$T/mbr.raw"; fail "kpartx -l"; }
[ "$(ulvm dmsetup ls | awk '{print $1}' | sort | tr '\n' ' ')" = "mbr-p1 mbr-p5 mbr-p6 mbr-p7 " ] ||
	{ ulvm dmsetup ls; fail "kpartx -a of the MBR disk (the extended partition is not mapped)"; }
ulvm kpartx -d "$T/mbr.raw"
unserve
# EBRs anywhere in the extended partition, not right after the logical
# partition before: found through NBD by following the chain
truncate -s 64M "$T/gaps.raw"
printf 'label: dos\n,4M,L\n,,E\nstart=20480,size=8192\nstart=61440,size=8192\nstart=100000,size=4096\n' |
	sfdisk -q "$T/gaps.raw"
parts "$T/gaps.raw" >"$T/want"
[ "$(wc -l <"$T/want")" = 5 ] || fail "sfdisk made $(wc -l <"$T/want") partitions, not 5"
qemu-img convert -f raw -O qcow2 "$T/gaps.raw" "$T/gaps.qcow2"
serve "$T/gaps.qcow2" -r
ulvm partx --show "$IMG" | shown >"$T/got"
diff "$T/want" "$T/got" || fail "partx --show through NBD misses logical partitions whose EBRs are apart"
unserve
truncate -s 32M "$T/mbr.raw"
before=$(sha256sum <"$T/mbr.raw")
if ulvm partx -a "$T/mbr.raw" 2>"$T/err"; then fail "a table running past the disk was mapped"; fi
grep -q "runs past the end of the disk" "$T/err" || { cat "$T/err"; fail "no reason for the damaged table"; }
truncate -s 8M "$T/blank.raw"
if ulvm partx -a "$T/blank.raw" 2>"$T/err"; then fail "a disk without a table was mapped"; fi
grep -q "no partition table" "$T/err" || { cat "$T/err"; fail "no reason for the disk without a table"; }
[ -z "$(ulvm dmsetup ls | grep -v 'No devices')" ] || fail "a refused partx mapped something"
[ "$(sha256sum <"$T/mbr.raw")" = "$before" ] || fail "a refused partx wrote to the disk"
echo "disk-image: ok"
