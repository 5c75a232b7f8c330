#!/usr/bin/env bash
# Caching tiers: a slow origin (a file behind the delay target: 2 ms
# reads, 5 ms writes and flushes) with a small fast device in front, in
# one run, fio over NBD:
#   - dm-cache (smq, writeback, 64 KiB blocks): 4 KiB random reads QD32
#     over a hot set that fits the cache, after warm-up, against the
#     origin alone and the cache device alone (a linear map of the plain
#     file: the limit);
#   - the hot set's hit rate before and after a 2 GiB sequential read of
#     the whole origin through the cache (smq's stream bypass);
#   - dm-writecache (when the target is there): 4 KiB random writes QD32
#     and the p99 latency of a 4 KiB write + fsync at QD1, against the
#     origin alone;
#   - the cleaner policy writing back a cache of BENCH_FLUSH_MIB dirty
#     MiB, against dd copying as much file to file (disk speed).
# Bars: hot-set reads >= 5 x origin and >= 0.7 x the cache device; hit
# rate after >= 0.9 x before; writecache random writes >= 5 x origin,
# fsync p99 below the origin's.
#   bench/cache.sh BUILD_DIR
# Environment: BENCH_DIR [/var/tmp], BENCH_RUNTIME [5], BENCH_HOT_MIB [128],
# BENCH_FLUSH_MIB [1024].
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
HOT_MIB=${BENCH_HOT_MIB:-128}
FLUSH_MIB=${BENCH_FLUSH_MIB:-1024}
command -v fio >/dev/null || { echo "cache: fio is not installed" >&2; exit 2; }
source "$top/bench/raid-common.bash"
echo "machine: $(nproc) CPUs; bench dir $S ($(df -h "$S" | awk 'NR==2 {print $1}'))"
ORIGIN_SECT=$((2048 * 2048)) # 2 GiB
truncate -s 2G "$S/origin.img"
truncate -s $((HOT_MIB * 2))M "$S/cache.img"
truncate -s 16M "$S/meta.img"
# The hot set has data (the rest of the origin is a hole, read fast by the
# file but slow through the delay like everything else).
head -c "${HOT_MIB}M" /dev/urandom | dd of="$S/origin.img" conv=notrunc status=none
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", b ? a / b : 0}'; }
hot() { # NAME RW EXPORT [extra fio args]: IOPS of 4 KiB QD32 over the hot set
	local out
	out=$(fio --name="$1" --ioengine=nbd --uri="$(uri "$3")" --rw="$2" --bs=4k --iodepth=32 \
		--size="${HOT_MIB}M" --time_based --runtime="$RUNTIME" --ramp_time=1 --randrepeat=0 \
		--output-format=json "${@:4}")
	python3 -c '
import json,sys
t=sys.stdin.read(); j=json.loads(t[t.index("{"):]); d=j["jobs"][0]
d=d["write"] if d["write"]["io_bytes"]>d["read"]["io_bytes"] else d["read"]
print("%.0f" % d["iops"])' <<<"$out"
}
stat_field() { "$ULVM" dmsetup status "$1" | awk -v n="$2" '{ print $(n + 3) }'; }
hit_rate() { # NAME: the hot set's read hit rate over one random-read run
	local h0 m0 h1 m1
	h0=$(stat_field cached 5) m0=$(stat_field cached 6)
	hot "$1" randread cached >/dev/null
	h1=$(stat_field cached 5) m1=$(stat_field cached 6)
	awk -v h=$((h1 - h0)) -v m=$((m1 - m0)) 'BEGIN {printf "%.3f", h / (h + m)}'
}
start
"$ULVM" dmsetup create origin --table "0 $ORIGIN_SECT delay $S/origin.img 0 2 $S/origin.img 0 5 $S/origin.img 0 5"
"$ULVM" dmsetup create fast --table "0 $((HOT_MIB * 4096)) linear $S/cache.img 0"
"$ULVM" dmsetup create cached --table \
	"0 $ORIGIN_SECT cache $S/meta.img $S/cache.img /dev/mapper/origin 128 2 metadata2 writeback smq 0"

echo "== warm-up: random 64 KiB reads over the ${HOT_MIB} MiB hot set until the cache holds it"
for i in $(seq 20); do
	fio --name=warm --ioengine=nbd --uri="$(uri cached)" --rw=randread --bs=64k --iodepth=16 \
		--size="${HOT_MIB}M" --time_based --runtime=3 --randrepeat=0 >/dev/null
	used=$(stat_field cached 4)
	echo "  pass $i: $used cache blocks used"
	[ "${used%/*}" -ge $((HOT_MIB * 16 * 95 / 100)) ] && break
done
sync # the promotions' page-cache writeback is not measured against the cache
sleep 1

printf '%-28s %12s %12s %12s %8s %8s\n' "workload (IOPS)" cache origin cache-dev c/origin c/dev
c=$(hot cache randread cached)
o=$(hot origin randread origin)
f=$(hot fast randread fast)
printf '%-28s %12s %12s %12s %8s %8s\n' "randread 4k QD32, hot set" "$c" "$o" "$f" "$(ratio "$c" "$o")" "$(ratio "$c" "$f")"
R_ORIGIN=$(ratio "$c" "$o") R_DEV=$(ratio "$c" "$f")

echo "== the hot set's hit rate around a 2 GiB sequential read"
before=$(hit_rate before)
t0=$(date +%s%N)
fio --name=seq --ioengine=nbd --uri="$(uri cached)" --rw=read --bs=1M --iodepth=8 --size=2G >/dev/null
secs=$(awk -v t="$(($(date +%s%N) - t0))" 'BEGIN {printf "%.1f", t / 1e9}')
after=$(hit_rate after)
echo "hit rate before $before, after $after (the sequential read took $secs s; promotions so far: $(stat_field cached 10))"
R_SEQ=$(ratio "$after" "$before")

R_WC=0 R_P99=0
if "$ULVM" dmsetup targets | grep -qw writecache; then
	echo "== writecache (origin and cache files written through once, as a disk and an SSD"
	echo "   partition are: no block allocation in the file system behind a flush)"
	dd if=/dev/zero of="$S/wc.img" bs=1M count=$((HOT_MIB * 2)) conv=fsync status=none
	dd if=/dev/zero of="$S/origin3.img" bs=1M count=$((HOT_MIB * 2)) conv=fsync status=none
	WS=$((HOT_MIB * 2 * 2048))
	"$ULVM" dmsetup create origin3 --table "0 $WS delay $S/origin3.img 0 2 $S/origin3.img 0 5 $S/origin3.img 0 5"
	"$ULVM" dmsetup create wc --table "0 $WS writecache s /dev/mapper/origin3 $S/wc.img 4096 0"
	w=$(hot wc randwrite wc)
	ow=$(hot origin-w randwrite origin3)
	printf '%-28s %12s %12s %8s\n' "randwrite 4k QD32" "$w" "$ow" "$(ratio "$w" "$ow")"
	R_WC=$(ratio "$w" "$ow")
	p99() { # EXPORT: p99 of fsync (NBD flush) after each 4 KiB write, microseconds
		fio --name=fs --ioengine=nbd --uri="$(uri "$1")" --rw=randwrite --bs=4k --iodepth=1 --fsync=1 \
			--size="${HOT_MIB}M" --time_based --runtime="$RUNTIME" --output-format=json | python3 -c '
import json,sys
t=sys.stdin.read(); j=json.loads(t[t.index("{"):]); d=j["jobs"][0]
s=d.get("sync",{}).get("lat_ns",{}).get("percentile",{}) or d["write"]["clat_ns"]["percentile"]
print("%.0f" % (s["99.000000"]/1000))'
	}
	pw=$(p99 wc)
	po=$(p99 origin3)
	echo "fsync p99: writecache ${pw} us, origin ${po} us"
	R_P99=$(awk -v a="$pw" -v b="$po" 'BEGIN {print (a < b) ? 1 : 0}')
	"$ULVM" dmsetup remove wc
	"$ULVM" dmsetup remove origin3
fi
"$ULVM" dmsetup remove cached

echo "== flushing a dirty cache: the cleaner policy writes ${FLUSH_MIB} MiB of dirty blocks back"
FS=$((FLUSH_MIB * 2 * 2048))
truncate -s $((FLUSH_MIB * 2))M "$S/origin2.img"
truncate -s $((FLUSH_MIB + 64))M "$S/cache2.img"
truncate -s 64M "$S/meta2.img"
"$ULVM" dmsetup create dirty --table "0 $FS cache $S/meta2.img $S/cache2.img $S/origin2.img 128 2 metadata2 writeback smq 4 read_promote_adjustment 1 write_promote_adjustment 1"
for _ in 1 2; do # a miss, then the promoting write: every block ends dirty in the cache
	fio --name=fill --ioengine=nbd --uri="$(uri dirty)" --rw=randwrite --bs=64k --iodepth=16 \
		--size="${FLUSH_MIB}M" --randrepeat=0 >/dev/null
done
ndirty=$(stat_field dirty 11)
sync
t0=$(date +%s%N)
"$ULVM" dmsetup reload dirty --table "0 $FS cache $S/meta2.img $S/cache2.img $S/origin2.img 128 2 metadata2 writeback cleaner 0"
"$ULVM" dmsetup resume dirty
while [ "$(stat_field dirty 11)" != 0 ]; do sleep 0.1; done
sync
FLUSH_S=$(awk -v t="$(($(date +%s%N) - t0))" 'BEGIN {printf "%.2f", t / 1e9}')
t0=$(date +%s%N)
dd if="$S/cache2.img" of="$S/copy.img" bs=1M count="$FLUSH_MIB" conv=fsync status=none
DD_S=$(awk -v t="$(($(date +%s%N) - t0))" 'BEGIN {printf "%.2f", t / 1e9}')
echo "$ndirty dirty blocks ($((ndirty / 16)) MiB) written back in $FLUSH_S s (with a final sync);" \
	"dd of ${FLUSH_MIB} MiB file to file with fsync: $DD_S s"
"$ULVM" dmsetup remove dirty
stop
echo
verdict() { awk -v v="$2" -v b="$3" 'BEGIN {ok = v >= b; printf "%-56s %8s %s\n", ARGV[1], v, ok ? "MET" : "NOT MET"}' "$1"; }
verdict "cache hot-set randread / origin alone >= 5" "$R_ORIGIN" 5
verdict "cache hot-set randread / cache device alone >= 0.7" "$R_DEV" 0.7
verdict "hot-set hit rate after / before a 2 GiB read >= 0.9" "$R_SEQ" 0.9
verdict "writecache randwrite / origin alone >= 5" "$R_WC" 5
verdict "writecache fsync p99 below the origin's (1 = yes)" "$R_P99" 1
verdict "dirty-cache flush time / dd time <= 2 (shown as dd / flush >= 0.5)" "$(ratio "$DD_S" "$FLUSH_S")" 0.5
