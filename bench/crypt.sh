#!/usr/bin/env bash
# dm-crypt: ulvm's crypt target against nbdkit's luks filter on the same
# LUKS1 file (aes-xts-plain64, 512-byte sectors, the volume key cryptsetup
# dumps), and against the same file through a plain linear device (the
# limit), in one run, fio over NBD, the file in the page cache:
#   1 MiB sequential read and write QD8, 4 KiB random read and write QD32.
# Bars: crypt >= 2 x nbdkit --filter=luks on each; crypt 1 MiB sequential
# read >= 0.6 x linear.  `openssl speed -evp aes-256-xts` (one core) is
# printed beside, as the CPU's limit.
#   bench/crypt.sh BUILD_DIR
# Environment: BENCH_DIR [/var/tmp], BENCH_RUNTIME [5], BENCH_SIZE_MIB [1024].
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
SIZE_MIB=${BENCH_SIZE_MIB:-1024}
for t in fio nbdkit cryptsetup openssl; do
	command -v "$t" >/dev/null || { echo "crypt: $t is not installed" >&2; exit 2; }
done
source "$top/bench/raid-common.bash"
NPID=
trap '[ -n "$NPID" ] && kill "$NPID" 2>/dev/null; cleanup' EXIT
echo "machine: $(nproc) CPUs; bench dir $S ($(df -h "$S" | awk 'NR==2 {print $1}'))"
printf 'bench' >"$S/pass"
truncate -s $((SIZE_MIB + 2))M "$S/luks.img"
cryptsetup luksFormat --type luks1 --batch-mode --key-file "$S/pass" --pbkdf-force-iterations 1000 \
	--cipher aes-xts-plain64 --key-size 512 "$S/luks.img"
cryptsetup luksDump --dump-volume-key --volume-key-file "$S/vk.bin" --key-file "$S/pass" --batch-mode \
	"$S/luks.img" >/dev/null
OFF=$(cryptsetup luksDump "$S/luks.img" | awk '/^Payload offset:/ {print $3}')
SECT=$((SIZE_MIB * 2048))
rate() { # NAME URI RW BS QD
	local out
	out=$(fio --name="$1" --ioengine=nbd --uri="$2" --rw="$3" --bs="$4" --iodepth="$5" --size="${SIZE_MIB}M" \
		--time_based --runtime="$RUNTIME" --ramp_time=1 --output-format=json)
	python3 -c '
import json,sys
t=sys.stdin.read(); j=json.loads(t[t.index("{"):]); d=j["jobs"][0]
d=d["write"] if d["write"]["io_bytes"]>d["read"]["io_bytes"] else d["read"]
print("%.0f" % (d["bw_bytes"]/1e6 if sys.argv[1]=="1M" else d["iops"]))' "$4" <<<"$out"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
start
"$ULVM" dmsetup create cr --table "0 $SECT crypt aes-xts-plain64 $(xxd -p -c 64 "$S/vk.bin") 0 $S/luks.img $OFF"
"$ULVM" dmsetup create lin --table "0 $SECT linear $S/luks.img $OFF"
fio --name=fill --ioengine=nbd --uri="$(uri cr)" --rw=write --bs=1M --iodepth=8 --size="${SIZE_MIB}M" \
	--refill_buffers >/dev/null
nbdkit -U "$S/nbdkit.sock" -P "$S/nbdkit.pid" --filter=luks file "$S/luks.img" passphrase=bench
for _ in $(seq 50); do [ -S "$S/nbdkit.sock" ] && break; sleep 0.1; done
NPID=$(cat "$S/nbdkit.pid")
NK="nbd+unix:///?socket=$S/nbdkit.sock"
echo "openssl speed -evp aes-256-xts, one core, 1024-byte blocks (512-byte sectors are smaller still):" \
	"$(openssl speed -evp aes-256-xts -seconds 2 2>/dev/null | awk 'tolower($1) == "aes-256-xts" {print $5}') 1000s of bytes/s"
printf '%-22s %12s %12s %12s %8s %8s\n' workload ulvm-crypt nbdkit-luks linear crypt/nk crypt/lin
declare -A R
for w in "read 1M 8" "write 1M 8" "randread 4k 32" "randwrite 4k 32"; do
	set -- $w
	c=$(rate crypt "$(uri cr)" "$1" "$2" "$3")
	n=$(rate nk "$NK" "$1" "$2" "$3")
	l=$(rate lin "$(uri lin)" "$1" "$2" "$3")
	R[$1]=$(ratio "$c" "$n")
	[ "$1" = read ] && LIN=$(ratio "$c" "$l")
	printf '%-22s %12s %12s %12s %8s %8s\n' "$1 $2 QD$3" "$c" "$n" "$l" "$(ratio "$c" "$n")" "$(ratio "$c" "$l")"
done
echo "(1M: MB/s, 4k: IOPS)"
kill "$NPID"
NPID=
stop
echo
verdict() { awk -v v="$2" -v b="$3" 'BEGIN {ok = v >= b; printf "%-52s %8s %s\n", ARGV[1], v, ok ? "MET" : "NOT MET"}' "$1"; }
for w in read write randread randwrite; do verdict "crypt / nbdkit luks, $w >= 2" "${R[$w]}" 2; done
verdict "crypt / linear, 1 MiB sequential read >= 0.6" "$LIN" 0.6
