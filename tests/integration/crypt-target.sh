#!/usr/bin/env bash
# The crypt target through `ulvm dmsetup` and NBD clients, with an
# independent decryptor (crypt_model.py: Python's cryptography) and the
# real cryptsetup as oracles:
#  - aes-xts-plain64: what NBD clients write is on the file as dm-crypt
#    lays it out (the model decrypts it byte for byte), unaligned writes
#    included; the table shows the key as zeros unless --showkeys;
#  - the other IV modes and ciphers (cbc-essiv:sha256, cbc-plain,
#    xts-plain64be, cbc-benbi, ecb, sector_size:4096 with and without
#    iv_large_sectors, iv_offset), each checked by the model;
#  - cryptsetup's own ciphertext: a file that `cryptsetup reencrypt
#    --encrypt` turned into LUKS2 (sector size 512 and 4096) reads back
#    through a crypt table with the volume key cryptsetup dumps;
#  - bad tables refused, naming why: unknown cipher or IV mode, keys of
#    the wrong length or not hex, equal XTS halves, a keyring key, a bad
#    sector_size, a length that is no multiple of it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
need qemu-io nbdcopy python3 cryptsetup
python3 -c 'import cryptography' 2>/dev/null || skip "python3-cryptography is not installed"
step() { echo "== $*"; }
M=$((1024 * 1024))
MODEL=$(dirname "$0")/crypt_model.py
start_ulvmd
key() { head -c "$1" /dev/urandom | xxd -p -c 256; }
# check SPEC KEY SECTOR_SIZE LARGE IV_OFFSET [OPTS]: random data through a
# fresh crypt device, read back, and decrypted from the file by the model
check() {
	local spec=$1 k=$2 ss=$3 large=$4 ivo=$5 opts=${6:-}
	rm -f "$T/c.img"
	mkfile "$T/c.img" 9M
	ulvm dmsetup create c --table "0 16384 crypt $spec $k $ivo $T/c.img 2048$opts"
	head -c $((8 * M)) /dev/urandom >"$T/plain.bin"
	nbdcopy "$T/plain.bin" "$(uri c)"
	qio "$(uri c)" "write -P 0x5a 1000 3000" "write -P 0x6b 4095 2" "flush"
	python3 - "$T/plain.bin" <<'PY'
import sys
p = sys.argv[1]
d = bytearray(open(p, "rb").read())
d[1000:4000] = b"\x5a" * 3000
d[4095:4097] = b"\x6b" * 2
open(p, "wb").write(d)
PY
	nbdcopy "$(uri c)" "$T/back.bin"
	cmp "$T/back.bin" "$T/plain.bin" || fail "$spec: what was written does not read back"
	python3 "$MODEL" "$spec" "$k" "$T/c.img" 2048 "$ivo" "$ss" "$large" $((8 * M)) "$T/model.bin"
	cmp "$T/model.bin" "$T/plain.bin" || fail "$spec$opts: the file does not decrypt as dm-crypt lays it out"
	ulvm dmsetup remove c
	echo "$spec$opts: ok"
}

step "aes-xts-plain64: the layout dm-crypt writes, unaligned writes, the key hidden in the table"
K=$(key 64)
check aes-xts-plain64 "$K" 512 0 0
ulvm dmsetup create c --table "0 16384 crypt aes-xts-plain64 $K 0 $T/c.img 2048"
ulvm dmsetup table c | tee "$T/table"
grep -q "$K" "$T/table" && fail "dmsetup table shows the key"
grep -q " $(printf '0%.0s' $(seq 128)) " "$T/table" || fail "the key is not shown as 128 zeros"
ulvm dmsetup table --showkeys c | grep -q "$K" || fail "dmsetup table --showkeys does not show the key"
[ -z "$(ulvm dmsetup status c | cut -d' ' -f4-)" ] || fail "crypt's status line is not empty, as the kernel's"
ulvm dmsetup remove c

step "other ciphers and IV modes, sector_size:4096, iv_large_sectors, iv_offset"
check aes-cbc-essiv:sha256 "$(key 32)" 512 0 0
check aes-cbc-plain "$(key 16)" 512 0 7
check aes-xts-plain64be "$(key 32)" 512 0 0
check aes-cbc-benbi "$(key 24)" 512 0 0
check aes-ecb "$(key 32)" 512 0 0
check aes-xts-plain64 "$(key 64)" 4096 0 0 " 1 sector_size:4096"
check aes-xts-plain64 "$(key 64)" 4096 1 16 " 2 sector_size:4096 iv_large_sectors"
check capi:xts\(aes\)-plain64 "$(key 64)" 512 0 0 " 1 allow_discards"

step "cryptsetup's ciphertext (reencrypt --encrypt, LUKS2) reads back with its volume key"
printf 'correct horse' >"$T/pass"
for ss in 512 4096; do
	head -c $((40 * M)) /dev/urandom >"$T/lk.img"
	cp "$T/lk.img" "$T/lk.orig"
	cryptsetup reencrypt --encrypt --type luks2 --sector-size "$ss" --reduce-device-size 32M --key-file "$T/pass" \
		--pbkdf pbkdf2 --pbkdf-force-iterations 1000 --batch-mode "$T/lk.img"
	rm -f "$T/vk.bin"
	cryptsetup luksDump --dump-volume-key --volume-key-file "$T/vk.bin" --key-file "$T/pass" --batch-mode \
		"$T/lk.img" >/dev/null
	off=$(cryptsetup luksDump --dump-json-metadata "$T/lk.img" | python3 -c \
		'import json,sys; print(int(json.load(sys.stdin)["segments"]["0"]["offset"]) // 512)')
	len=$(((40 * M - off * 512) / 512))
	opts=""
	[ "$ss" = 4096 ] && opts=" 1 sector_size:4096"
	ulvm dmsetup create lk --table "0 $len crypt aes-xts-plain64 $(xxd -p -c 64 "$T/vk.bin") 0 $T/lk.img $off$opts"
	nbdcopy "$(uri lk)" "$T/lk.plain"
	# the data kept is the first (size - 32 MiB) bytes of the file as it was
	cmp <(head -c $((8 * M)) "$T/lk.plain") <(head -c $((8 * M)) "$T/lk.orig") ||
		fail "sector size $ss: cryptsetup's ciphertext does not read back"
	ulvm dmsetup remove lk
	echo "LUKS2 sector size $ss: ok"
done

step "bad tables refused, naming why"
mkfile "$T/x.img" 4M
K64=$(key 64)
HALF=$(key 16)
for t in "serpent-xts-plain64 $K64|Unknown cipher" \
	"aes-xts-essiv $K64|essiv needs a hash" \
	"aes-xts-weird $K64|Invalid IV mode" \
	"aes-xts-plain64 $(key 48)|do not fit aes-xts" \
	"aes-xts-plain64 ${K64%?}|Error decoding" \
	"aes-xts-plain64 ${K64%??}zz|not hex" \
	"aes-xts-plain64 $HALF$HALF|must differ" \
	"aes-xts-plain64 :64:logon:cryptsetup:x|keyring" \
	"aes-cbc $(key 32)|IV mechanism required"; do
	table_refused "0 8192 crypt ${t%%|*} 0 $T/x.img 0" "${t##*|}"
done
for t in "0 8192 crypt aes-xts-plain64 $K64 0 $T/x.img 0 1 sector_size:1000|Invalid feature" \
	"0 8191 crypt aes-xts-plain64 $K64 0 $T/x.img 0 1 sector_size:4096|multiple of sector_size" \
	"0 8192 crypt aes-xts-plain64 $K64 0 $T/x.img 100|too small"; do
	table_refused "${t%%|*}" "${t##*|}"
done
echo "crypt-target: ok"
