#!/usr/bin/env bash
# ulvm cryptsetup (libcryptsetup for the header, the crypt target for the
# data), with the real cryptsetup as the oracle:
#  - a LUKS2 container cryptsetup made and filled (reencrypt --encrypt)
#    opens in ulvm with --key-file and reads back what was there; a LUKS1
#    one cryptsetup formatted opens with the passphrase on stdin, and what
#    ulvm writes decrypts with the key cryptsetup unlocks; status as
#    cryptsetup's; close;
#  - a container ulvm formats (LUKS2, sector size 4096) holds an ext4 made
#    through it that fscks clean, and its file decrypts with the volume key
#    cryptsetup itself unlocks (an independent decryptor);
#  - keyslots: luksAddKey, luksChangeKey, luksRemoveKey, each checked with
#    cryptsetup open --test-passphrase; isLuks, luksUUID as cryptsetup's;
#  - a wrong passphrase is one line and exit 2; a corrupt header, a file
#    that is no LUKS device and an existing name are refused, naming why;
#  - LUKS on an LV (VG/LV: the header through NBD), its keyslots read by
#    cryptsetup from the LV's bytes, a wrong passphrase leaving them as
#    they were; a detached header (--header, made by luksFormat) whose key
#    decrypts the data file; plain mode with a key file (the key as it is)
#    and with a passphrase (hashed as cryptsetup hashes it).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
need cryptsetup nbdcopy python3 mkfs.ext4 fsck.ext4
python3 -c 'import cryptography' 2>/dev/null || skip "python3-cryptography is not installed"
step() { echo "== $*"; }
M=$((1024 * 1024))
FZ=$T/fuse MNT=$T/mnt
mkdir -p "$FZ" "$MNT"
trap 'fs_detach; cleanup' EXIT
ITER=(--pbkdf pbkdf2 --pbkdf-force-iterations 1000)
printf 'first pass' >"$T/p1"
printf 'second pass' >"$T/p2"
printf 'third pass' >"$T/p3"
start_ulvmd

step "a LUKS2 container cryptsetup made and filled, and a LUKS1 one it formatted, open in ulvm"
head -c $((40 * M)) /dev/urandom >"$T/luks2.img"
cp "$T/luks2.img" "$T/luks2.orig"
# offline encryption of a plain file: no device-mapper needed (LUKS2 only)
cryptsetup reencrypt --encrypt --type luks2 --reduce-device-size 32M --key-file "$T/p1" "${ITER[@]}" \
	--batch-mode "$T/luks2.img"
truncate -s 24M "$T/luks1.img"
cryptsetup luksFormat --type luks1 --key-file "$T/p1" "${ITER[@]}" --batch-mode "$T/luks1.img"
ulvm cryptsetup open --key-file "$T/p1" "$T/luks2.img" c2
ulvm cryptsetup open --type luks1 "$T/luks1.img" c1 <"$T/p1" # the passphrase on stdin
nbdcopy "$(uri c2)" "$T/got"
cmp <(head -c $((8 * M)) "$T/got") <(head -c $((8 * M)) "$T/luks2.orig") ||
	fail "luks2: the data cryptsetup encrypted does not read back"
head -c $((4 * M)) /dev/urandom >"$T/l1.plain"
nbdcopy "$T/l1.plain" "$(uri c1)"
cryptsetup luksDump --dump-volume-key --volume-key-file "$T/vk1" --key-file "$T/p1" --batch-mode "$T/luks1.img" >/dev/null
off1=$(cryptsetup luksDump "$T/luks1.img" | awk '/^Payload offset:/ {print $3}')
python3 "$(dirname "$0")/crypt_model.py" aes-xts-plain64 "$(xxd -p -c 64 "$T/vk1")" "$T/luks1.img" "$off1" 0 512 0 \
	$((4 * M)) "$T/l1.model"
cmp "$T/l1.model" "$T/l1.plain" || fail "luks1: cryptsetup's volume key does not decrypt what ulvm wrote"
ulvm cryptsetup status c2 | tee "$T/status"
grep -q "type:    LUKS2" "$T/status" && grep -q "keysize: 512 bits" "$T/status" && grep -q "cipher:  aes-xts-plain64" "$T/status" ||
	fail "status is not cryptsetup's"
ulvm dmsetup table c2 | grep -q "$(printf '0%.0s' $(seq 128))" || fail "the volume key shows in dmsetup table"
ulvm cryptsetup close c2
ulvm cryptsetup close c1
ulvm dmsetup ls | grep -q '^c[12]' && fail "close left a mapping"

step "ulvm luksFormat (LUKS2, 4096-byte sectors): ext4 through it fscks; cryptsetup's key decrypts the file"
truncate -s 48M "$T/u.img"
ulvm cryptsetup luksFormat -q --type luks2 --sector-size 4096 "${ITER[@]}" --key-file "$T/p1" "$T/u.img"
cryptsetup open --test-passphrase --key-file "$T/p1" "$T/u.img" || fail "cryptsetup does not take ulvm's header"
ulvm cryptsetup open --key-file "$T/p1" "$T/u.img" cu
fs_attach cu
mkfs.ext4 -q -F "$LOOP"
mount "$LOOP" "$MNT"
cp -r "$(dirname "$0")" "$MNT/tests"
umount "$MNT"
fsck.ext4 -fn "$LOOP" >"$T/fsck.log" 2>&1 || { cat "$T/fsck.log"; fail "the ext4 on ulvm's LUKS2 does not fsck clean"; }
fs_detach
nbdcopy "$(uri cu)" "$T/cu.plain"
ulvm cryptsetup close cu
cryptsetup luksDump --dump-volume-key --volume-key-file "$T/vk" --key-file "$T/p1" --batch-mode "$T/u.img" >/dev/null
off=$(cryptsetup luksDump --dump-json-metadata "$T/u.img" | python3 -c \
	'import json,sys; print(int(json.load(sys.stdin)["segments"]["0"]["offset"]) // 512)')
python3 "$(dirname "$0")/crypt_model.py" aes-xts-plain64 "$(xxd -p -c 64 "$T/vk")" "$T/u.img" "$off" 0 4096 0 \
	$((16 * M)) "$T/model"
cmp "$T/model" <(head -c $((16 * M)) "$T/cu.plain") || fail "cryptsetup's volume key does not decrypt what ulvm wrote"

step "keyslots, isLuks, luksUUID"
ulvm cryptsetup luksAddKey --key-file "$T/p1" "${ITER[@]}" "$T/u.img" "$T/p2"
cryptsetup open --test-passphrase --key-file "$T/p2" "$T/u.img" || fail "luksAddKey: cryptsetup does not take the new key"
ulvm cryptsetup luksChangeKey --key-file "$T/p2" "${ITER[@]}" "$T/u.img" "$T/p3"
cryptsetup open --test-passphrase --key-file "$T/p3" "$T/u.img" || fail "luksChangeKey: the new key does not open"
if cryptsetup open --test-passphrase --key-file "$T/p2" "$T/u.img" 2>/dev/null; then fail "luksChangeKey: the old key still opens"; fi
ulvm cryptsetup luksRemoveKey --key-file "$T/p3" "$T/u.img"
if cryptsetup open --test-passphrase --key-file "$T/p3" "$T/u.img" 2>/dev/null; then fail "luksRemoveKey: the key still opens"; fi
cryptsetup open --test-passphrase --key-file "$T/p1" "$T/u.img" || fail "luksRemoveKey removed the other keyslot"
ulvm cryptsetup isLuks "$T/u.img" || fail "isLuks says no to a LUKS device"
if ulvm cryptsetup isLuks "$T/p1"; then fail "isLuks says yes to a text file"; fi
[ "$(ulvm cryptsetup luksUUID "$T/u.img")" = "$(cryptsetup luksUUID "$T/u.img")" ] || fail "luksUUID differs from cryptsetup's"
ulvm cryptsetup luksDump "$T/u.img" | grep -q "^Version:.*2" || fail "luksDump does not show the header"

step "refused: a wrong passphrase (exit 2), a corrupt header, no LUKS device, an existing name"
rc=0
ulvm cryptsetup open --key-file "$T/p2" "$T/u.img" cx 2>"$T/err" || rc=$?
[ "$rc" = 2 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -q "No key available with this passphrase" "$T/err" ||
	{ cat "$T/err"; fail "a wrong passphrase: exit $rc, not 2 with one line"; }
cp "$T/u.img" "$T/bad.img"
printf 'XXXXXX' | dd of="$T/bad.img" conv=notrunc status=none
printf 'XXXXXX' | dd of="$T/bad.img" bs=1 seek=16384 conv=notrunc status=none
before=$(md5sum <"$T/bad.img")
if ulvm cryptsetup open --key-file "$T/p1" "$T/bad.img" cx 2>"$T/err"; then fail "a corrupt header opened"; fi
grep -q "not a valid LUKS device" "$T/err" || { cat "$T/err"; fail "no reason for the corrupt header"; }
[ "$(md5sum <"$T/bad.img")" = "$before" ] || fail "opening a corrupt header wrote to it"
if ulvm cryptsetup open --key-file "$T/p1" "$T/p1" cx 2>"$T/err"; then fail "a text file opened"; fi
head -c 20000 "$T/u.img" >"$T/trunc.img" # the header's JSON, no keyslots
if ulvm cryptsetup open --key-file "$T/p1" "$T/trunc.img" cx 2>"$T/err"; then fail "a truncated header opened"; fi
[ -s "$T/err" ] || fail "no reason for the truncated header"
[ "$(stat -c %s "$T/trunc.img")" = 20000 ] || fail "opening a truncated header wrote to it"
if ulvm cryptsetup luksFormat -q --cipher nosuch-xts-plain64 "${ITER[@]}" --key-file "$T/p1" "$T/trunc.img" \
	2>"$T/err"; then fail "an unknown cipher was formatted"; fi
grep -q "Cannot format device" "$T/err" || { cat "$T/err"; fail "no reason for the unknown cipher"; }
ulvm cryptsetup open --key-file "$T/p1" "$T/u.img" cu
rc=0
ulvm cryptsetup open --key-file "$T/p1" "$T/u.img" cu 2>"$T/err" || rc=$?
[ "$rc" = 5 ] && grep -q "already exists" "$T/err" || { cat "$T/err"; fail "an existing name: exit $rc"; }
# the device is in use by cu: neither opened again nor formatted (cryptsetup's exclusive open)
rc=0
ulvm cryptsetup open --key-file "$T/p1" "$T/u.img" cv 2>"$T/err" || rc=$?
[ "$rc" = 5 ] && grep -q "which is in use" "$T/err" || { cat "$T/err"; fail "a second open of a device in use: exit $rc"; }
before=$(md5sum <"$T/u.img")
if ulvm cryptsetup luksFormat -q "${ITER[@]}" --key-file "$T/p2" "$T/u.img" 2>"$T/err"; then
	fail "luksFormat of a device in use"
fi
grep -q "device in use" "$T/err" || { cat "$T/err"; fail "no reason for luksFormat of a device in use"; }
[ "$(md5sum <"$T/u.img")" = "$before" ] || fail "a refused luksFormat wrote to the device"
ulvm cryptsetup close cu
head -c $((20 * M)) /dev/urandom >"$T/re.img"
cp "$T/re.img" "$T/re.orig"
cryptsetup reencrypt --encrypt --init-only --type luks2 --header "$T/re.hdr" --key-file "$T/p1" "${ITER[@]}" \
	--batch-mode "$T/re.img" >/dev/null
if ulvm cryptsetup open --header "$T/re.hdr" --key-file "$T/p1" "$T/re.img" cr 2>"$T/err"; then
	fail "a device whose encryption has only begun was opened as encrypted"
fi
grep -q "is being reencrypted" "$T/err" || { cat "$T/err"; fail "no reason for the reencryption"; }
cmp "$T/re.img" "$T/re.orig" || fail "the refused open changed the data"

step "key files as cryptsetup reads them: 16 KiB whole both ways, past 8 MiB refused; open --test-passphrase"
head -c 16384 /dev/urandom >"$T/bigkey"
truncate -s 20M "$T/kc.img" "$T/ku.img"
cryptsetup luksFormat -q --key-file "$T/bigkey" "${ITER[@]}" "$T/kc.img"
maps=$(ulvm dmsetup ls)
ulvm cryptsetup open --test-passphrase --key-file "$T/bigkey" "$T/kc.img" || fail "cryptsetup's 16 KiB key file"
[ "$(ulvm dmsetup ls)" = "$maps" ] || fail "open --test-passphrase mapped something"
ulvm cryptsetup luksFormat -q --key-file "$T/bigkey" "${ITER[@]}" "$T/ku.img"
cryptsetup open --test-passphrase --key-file "$T/bigkey" "$T/ku.img" || fail "ulvm's keyslot of a 16 KiB key file"
head -c 1024 "$T/bigkey" >"$T/shortkey"
if cryptsetup open --test-passphrase --key-file "$T/shortkey" "$T/ku.img" 2>/dev/null; then
	fail "the keyslot took only the key file's start"
fi
head -c $((8 * M + 1)) /dev/zero >"$T/hugekey"
if ulvm cryptsetup open --key-file "$T/hugekey" "$T/ku.img" ch 2>"$T/err"; then fail "a 9 MiB key file"; fi
grep -q "Maximum keyfile size exceeded" "$T/err" || { cat "$T/err"; fail "no reason for the 9 MiB key file"; }

step "at a terminal, as cryptsetup: a new passphrase asked twice, the last keyslot kept unless YES"
tty() { python3 "$(dirname "$0")/tty_dialog.py" "$@"; }
truncate -s 20M "$T/tty.img"
rc=0
tty "Are you sure" YES "new LUKS device: " one "Verify passphrase: " two -- \
	"$ULVM_BIN" cryptsetup luksFormat "${ITER[@]}" "$T/tty.img" >"$T/out" || rc=$?
[ "$rc" = 2 ] && grep -q "Passphrases do not match." "$T/out" || { cat "$T/out"; fail "mismatched passphrases: exit $rc"; }
cryptsetup isLuks "$T/tty.img" && fail "mismatched passphrases formatted the device"
tty "Are you sure" YES "new LUKS device: " one "Verify passphrase: " one -- \
	"$ULVM_BIN" cryptsetup luksFormat "${ITER[@]}" "$T/tty.img" >"$T/out" || { cat "$T/out"; fail "luksFormat at a terminal"; }
printf one >"$T/one"
cryptsetup open --test-passphrase --key-file "$T/one" "$T/tty.img" || fail "the passphrase typed twice does not open it"
rc=0
tty "Are you sure" no -- "$ULVM_BIN" cryptsetup luksRemoveKey --key-file "$T/one" "$T/tty.img" >"$T/out" || rc=$?
[ "$rc" != 0 ] && grep -q "This is the last keyslot" "$T/out" && grep -q "the keyslot was NOT wiped" "$T/out" ||
	{ cat "$T/out"; fail "luksRemoveKey of the last keyslot, answered no: exit $rc"; }
cryptsetup open --test-passphrase --key-file "$T/one" "$T/tty.img" || fail "the last keyslot went although answered no"

step "luksHeaderBackup/Restore, luksKillSlot, erase, isLuks --type, luksOpen/luksClose"
truncate -s 20M "$T/kb.img"
ulvm cryptsetup luksFormat -q "${ITER[@]}" --key-file "$T/p1" "$T/kb.img"
ulvm cryptsetup luksAddKey "${ITER[@]}" --key-file "$T/p1" "$T/kb.img" "$T/p2"
ulvm cryptsetup luksHeaderBackup --header-backup-file "$T/kb.ulvm" "$T/kb.img"
cryptsetup luksHeaderBackup --header-backup-file "$T/kb.real" "$T/kb.img"
cmp "$T/kb.ulvm" "$T/kb.real" || fail "luksHeaderBackup differs from cryptsetup's"
ulvm cryptsetup isLuks --type luks2 "$T/kb.img" || fail "isLuks --type luks2"
ulvm cryptsetup isLuks --type luks1 "$T/kb.img" && fail "isLuks --type luks1 of a LUKS2 device"
rc=0
ulvm cryptsetup luksKillSlot --key-file "$T/p1" "$T/kb.img" 0 2>/dev/null || rc=$?
[ "$rc" = 2 ] || fail "luksKillSlot with the slot's own passphrase: exit $rc"
ulvm cryptsetup luksKillSlot --key-file "$T/p2" "$T/kb.img" 0 || fail "luksKillSlot 0"
cryptsetup open --test-passphrase --key-file "$T/p1" "$T/kb.img" 2>/dev/null && fail "keyslot 0 still opens"
cryptsetup open --test-passphrase --key-file "$T/p2" "$T/kb.img" || fail "luksKillSlot 0 took keyslot 1"
ulvm cryptsetup erase -q "$T/kb.img" || fail "erase"
cryptsetup open --test-passphrase --key-file "$T/p2" "$T/kb.img" 2>/dev/null && fail "a keyslot survived erase"
ulvm cryptsetup luksHeaderRestore -q --header-backup-file "$T/kb.real" "$T/kb.img" || fail "luksHeaderRestore"
cryptsetup open --test-passphrase --key-file "$T/p1" "$T/kb.img" || fail "the restored header does not open"
ulvm cryptsetup luksOpen --key-file "$T/p1" "$T/kb.img" kb
ulvm cryptsetup luksClose kb

step "LUKS on an LV: the header written through NBD, cryptsetup reads it from the LV's bytes"
export ULVM_CONF_DIR=$T/conf
mkfile "$T/pv.img" 64M
ulvm pvcreate "$T/pv.img" >/dev/null
ulvm vgcreate vs "$T/pv.img" >/dev/null
ulvm lvcreate -L 32M -n secret vs >/dev/null
ulvm cryptsetup luksFormat -q --type luks2 "${ITER[@]}" --key-file "$T/p1" vs/secret
ulvm cryptsetup luksAddKey --key-file "$T/p1" "${ITER[@]}" vs/secret "$T/p2"
ulvm cryptsetup open --key-file "$T/p2" vs/secret sec
ulvm dmsetup table sec | grep -q " /dev/mapper/vs-secret 32768$" || fail "the crypt table of an LV: $(ulvm dmsetup table sec)"
head -c $((2 * M)) /dev/urandom >"$T/sec.plain"
nbdcopy "$T/sec.plain" "$(uri sec)"
nbdcopy "$(uri sec)" - | head -c $((2 * M)) | cmp - "$T/sec.plain" || fail "the LUKS LV does not read back"
ulvm cryptsetup close sec
nbdcopy "$(uri vs/secret)" "$T/secret.raw"
cryptsetup open --test-passphrase --key-file "$T/p2" "$T/secret.raw" || fail "cryptsetup does not take the LV's second keyslot"
rc=0
ulvm cryptsetup luksChangeKey --key-file "$T/p3" vs/secret "$T/p1" 2>"$T/err" || rc=$?
[ "$rc" = 2 ] || { cat "$T/err"; fail "a wrong passphrase for the LV: exit $rc"; }
nbdcopy "$(uri vs/secret)" - | cmp - "$T/secret.raw" || fail "a refused luksChangeKey wrote to the LV"
ulvm lvcreate -L 8M -n small vs >/dev/null
nbdcopy "$(uri vs/small)" "$T/small.before"
if ulvm cryptsetup luksFormat -q "${ITER[@]}" --key-file "$T/p1" vs/small 2>"$T/err"; then
	fail "luksFormat of an LV too small for the header"
fi
grep -q "is too small" "$T/err" || { cat "$T/err"; fail "no reason for the small LV"; }
nbdcopy "$(uri vs/small)" - | cmp - "$T/small.before" || fail "the refused luksFormat wrote to the LV"
ulvm lvchange -an vs/secret
ulvm cryptsetup isLuks vs/secret 2>/dev/null && fail "isLuks of an inactive LV"

step "a detached header (--header): luksFormat makes the file, the data has none, its key decrypts the data"
mkfile "$T/data.img" 16M
ulvm cryptsetup luksFormat -q --type luks2 "${ITER[@]}" --header "$T/hdr.img" --key-file "$T/p1" "$T/data.img"
cryptsetup isLuks "$T/hdr.img" || fail "no LUKS header in the detached header file"
cryptsetup isLuks "$T/data.img" && fail "a detached header was written to the data device"
ulvm cryptsetup open --header "$T/hdr.img" --key-file "$T/p1" "$T/data.img" dh
ulvm dmsetup table dh | grep -q " $T/data.img 0$" || fail "the detached header's data offset is not 0"
head -c $((M)) /dev/urandom >"$T/dh.plain"
nbdcopy "$T/dh.plain" "$(uri dh)"
ulvm cryptsetup close dh
cryptsetup luksDump --dump-volume-key --volume-key-file "$T/vkh" --key-file "$T/p1" --batch-mode "$T/hdr.img" >/dev/null
python3 "$(dirname "$0")/crypt_model.py" aes-xts-plain64 "$(xxd -p -c 64 "$T/vkh")" "$T/data.img" 0 0 512 0 $((M)) \
	"$T/dh.model"
cmp "$T/dh.model" "$T/dh.plain" || fail "the detached header's key does not decrypt the data"
[ "$(stat -c %a "$T/hdr.img")" = 600 ] || fail "the header file is not private: mode $(stat -c %a "$T/hdr.img")"
ulvm cryptsetup luksFormat -q --type luks1 "${ITER[@]}" --header "$T/hdr1.img" --key-file "$T/p1" "$T/data.img" ||
	fail "a detached LUKS1 header"
cryptsetup open --test-passphrase --header "$T/hdr1.img" --key-file "$T/p1" "$T/data.img" ||
	fail "cryptsetup does not open the detached LUKS1 header"
if ulvm cryptsetup luksFormat -q --cipher nosuch-xts-plain64 "${ITER[@]}" --header "$T/hdr2.img" \
	--key-file "$T/p1" "$T/data.img" 2>/dev/null; then fail "an unknown cipher with a detached header"; fi
[ -e "$T/hdr2.img" ] && fail "a failed luksFormat left the header file it made"

step "plain mode: a key file as it is, a passphrase hashed as cryptsetup hashes it"
mkfile "$T/plain.img" 8M
head -c 64 /dev/urandom >"$T/raw.key"
ulvm cryptsetup open --type plain --cipher aes-xts-plain64 --key-size 512 --offset 8 --key-file "$T/raw.key" \
	"$T/plain.img" pl
head -c $((M)) /dev/urandom >"$T/pl.plain"
nbdcopy "$T/pl.plain" "$(uri pl)"
ulvm cryptsetup status pl | grep -q "type:    PLAIN" || fail "status of a plain mapping"
ulvm cryptsetup close pl
python3 "$(dirname "$0")/crypt_model.py" aes-xts-plain64 "$(xxd -p -c 64 "$T/raw.key")" "$T/plain.img" 8 0 512 0 \
	$((M)) "$T/pl.model"
cmp "$T/pl.model" "$T/pl.plain" || fail "plain mode with a key file: the key is not the file's bytes"
echo word | ulvm cryptsetup open --type plain --hash sha256 "$T/plain.img" pp
[ "$(ulvm dmsetup table --showkeys pp | awk '{print $4, $5}')" = \
	"aes-cbc-essiv:sha256 $(printf word | sha256sum | cut -c1-64)" ] ||
	fail "plain mode: the key is not sha256 of the passphrase ($(ulvm dmsetup table --showkeys pp))"
ulvm cryptsetup close pp
# --hash plain: the passphrase itself, zero-padded (cryptsetup's); status as cryptsetup prints it
echo word | ulvm cryptsetup open --type plain -h plain --skip 16 --allow-discards "$T/plain.img" pq
[ "$(ulvm dmsetup table --showkeys pq | awk '{print $5}')" = "$(printf word | xxd -p)$(printf '0%.0s' $(seq 56))" ] ||
	fail "plain mode, --hash plain: $(ulvm dmsetup table --showkeys pq)"
ulvm cryptsetup status /dev/mapper/pq >"$T/status"
grep -qx "  skipped: 16 sectors" "$T/status" && grep -qx "  flags:   discards " "$T/status" ||
	{ cat "$T/status"; fail "status: no skipped or flags line"; }
ulvm cryptsetup close /dev/mapper/pq
echo "cryptsetup: ok"
