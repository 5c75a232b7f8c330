#!/usr/bin/env bash
# pvmove: how fast extents move, and what clients of the moving LV keep,
# in one run, on two files as PVs (their data in the page cache):
#   1. pvmove of an LV of BENCH_SIZE_MIB on an idle VG, against dd of the
#      same bytes from the source file to another file (bs=1M), each
#      followed by sync; bar: pvmove >= 0.8 x dd;
#   2. 4 KiB random reads QD32 on the LV, idle and while its extents move;
#      bar: during >= 0.5 x idle.
#   bench/pvmove.sh BUILD_DIR
# Environment: BENCH_DIR [/var/tmp], BENCH_RUNTIME [5], BENCH_SIZE_MIB [4096].
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
SIZE_MIB=${BENCH_SIZE_MIB:-4096}
command -v fio >/dev/null || { echo "pvmove: fio is not installed" >&2; exit 2; }
source "$top/bench/raid-common.bash"
echo "machine: $(nproc) CPUs; bench dir $S ($(df -h "$S" | awk 'NR==2 {print $1}'))"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
secs() { awk -v t="$(($(date +%s%N) - $1))" 'BEGIN {printf "%.2f", t / 1e9}'; }
export ULVM_CONF_DIR=$S/conf
for p in a b c; do truncate -s "$((SIZE_MIB + 64))M" "$S/$p.img"; done
DEVS="$S/a.img,$S/b.img,$S/c.img"
u() { "$ULVM" "$@" --devices "$DEVS"; }
start
u pvcreate "$S/a.img" "$S/b.img" "$S/c.img" >/dev/null
u vgcreate bvg "$S/a.img" "$S/b.img" "$S/c.img" >/dev/null
u lvcreate -L "${SIZE_MIB}M" -n lv bvg "$S/a.img" >/dev/null
fio --name=fill --ioengine=nbd --uri="$(uri bvg/lv)" --rw=write --bs=1M --iodepth=8 --size="${SIZE_MIB}M" \
	--refill_buffers >/dev/null

echo "== 1. pvmove of ${SIZE_MIB} MiB on an idle VG, and dd of the same bytes"
sync
cat "$S/a.img" >/dev/null
t=$(date +%s%N)
dd if="$S/a.img" of="$S/dd.img" bs=1M skip=1 count="$SIZE_MIB" status=none
sync
DD=$(secs "$t")
rm -f "$S/dd.img"
t=$(date +%s%N)
u pvmove -i 0 "$S/a.img" "$S/b.img"
sync
PV=$(secs "$t")
printf 'dd %s s (%s MB/s), pvmove %s s (%s MB/s): %s\n' "$DD" "$(ratio "$SIZE_MIB" "$DD")" "$PV" \
	"$(ratio "$SIZE_MIB" "$PV")" "$(ratio "$DD" "$PV")"
MOVE=$(ratio "$DD" "$PV")

echo "== 2. 4 KiB random reads QD32 on the LV: idle, then while it moves"
IDLE=$(fio_rate idle randread 4k 32 bvg/lv)
u pvmove -i 0 "$S/b.img" "$S/c.img" &
PM=$!
sleep 0.5
BUSY=$(fio_rate busy randread 4k 32 bvg/lv 3)
still=$(kill -0 "$PM" 2>/dev/null && echo "still moving at the end of the run" || echo "THE MOVE ENDED BEFORE THE RUN: use a larger BENCH_SIZE_MIB")
wait "$PM"
printf 'idle %s IOPS, during the move %s IOPS (%s): %s\n' "$IDLE" "$BUSY" "$still" "$(ratio "$BUSY" "$IDLE")"
READS=$(ratio "$BUSY" "$IDLE")
stop

echo
printf '%-52s %8s %s\n' bar measured verdict
verdict() { awk -v v="$2" -v b="$3" 'BEGIN {ok = v >= b; printf "%-52s %8s %s\n", ARGV[1], v, ok ? "MET" : "NOT MET"}' "$1"; }
verdict "pvmove of an idle LV / dd of the same bytes >= 0.8" "$MOVE" 0.8
verdict "4k random reads during the move / idle >= 0.5" "$READS" 0.5
