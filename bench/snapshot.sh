#!/usr/bin/env bash
# Old-style snapshots: what a copy-on-write snapshot costs its origin, in
# one run, fio over NBD, the files in the page cache:
#   1. 4 KiB random writes QD32 to a snapshot-origin device over a file,
#      without a snapshot and with one (chunk 8 KiB, a fresh COW device:
#      every first write to a chunk copies it and commits its exception);
#      bar: with >= 0.5 x without;
#   2. the same with a thin snapshot instead (thin pool, thin volume and a
#      snapshot of it: a first write to a shared block breaks the sharing);
#      bar: >= 0.8 x without.
#   bench/snapshot.sh BUILD_DIR
# Environment: BENCH_DIR [/var/tmp], BENCH_RUNTIME [5], BENCH_SIZE_MIB [512].
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
SIZE_MIB=${BENCH_SIZE_MIB:-512}
REPEAT=1
command -v fio >/dev/null || { echo "snapshot: fio is not installed" >&2; exit 2; }
source "$top/bench/raid-common.bash"
echo "machine: $(nproc) CPUs; bench dir $S ($(df -h "$S" | awk 'NR==2 {print $1}'))"
SECT=$((SIZE_MIB * 2048))
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
fio --name=fill --filename="$S/o.img" --size="${SIZE_MIB}M" --rw=write --bs=1M --ioengine=libaio --direct=1 \
	--refill_buffers >/dev/null
start

echo "== 1. 4 KiB random writes QD32 to an origin: no snapshot, one old-style snapshot"
"$ULVM" dmsetup create o --table "0 $SECT snapshot-origin $S/o.img"
cat "$S/o.img" >/dev/null
BASE=$(fio_rate base randwrite 4k 32 o)
truncate -s "${SIZE_MIB}M" "$S/cow.img"
"$ULVM" dmsetup create s --table "0 $SECT snapshot $S/o.img $S/cow.img P 16"
SNAP=$(fio_rate snap randwrite 4k 32 o)
"$ULVM" dmsetup status s
printf 'origin alone %s IOPS, with a snapshot %s IOPS: %s\n' "$BASE" "$SNAP" "$(ratio "$SNAP" "$BASE")"
CLASSIC=$(ratio "$SNAP" "$BASE")
"$ULVM" dmsetup remove s
"$ULVM" dmsetup remove o

echo "== 2. the same with a thin volume and a thin snapshot"
truncate -s 64M "$S/tmeta.img"
truncate -s "$((SIZE_MIB * 3))M" "$S/tdata.img"
"$ULVM" dmsetup create pool --table "0 $((SECT * 3)) thin-pool $S/tmeta.img $S/tdata.img 128 0"
"$ULVM" dmsetup message pool 0 "create_thin 1"
"$ULVM" dmsetup create t1 --table "0 $SECT thin /dev/mapper/pool 1"
fio --name=fill --ioengine=nbd --uri="$(uri t1)" --rw=write --bs=1M --iodepth=8 --size="${SIZE_MIB}M" >/dev/null
fio_rate warm randwrite 4k 32 t1 >/dev/null # the pool's blocks allocated, as the snapshot's run finds them
TBASE=$(fio_rate tbase randwrite 4k 32 t1)
"$ULVM" dmsetup suspend t1
"$ULVM" dmsetup message pool 0 "create_snap 2 1"
"$ULVM" dmsetup resume t1
TSNAP=$(fio_rate tsnap randwrite 4k 32 t1)
printf 'thin alone %s IOPS, with a thin snapshot %s IOPS: %s\n' "$TBASE" "$TSNAP" "$(ratio "$TSNAP" "$TBASE")"
THIN=$(ratio "$TSNAP" "$TBASE")
"$ULVM" dmsetup remove t1
"$ULVM" dmsetup remove pool
stop

echo
printf '%-52s %8s %s\n' bar measured verdict
verdict() { awk -v v="$2" -v b="$3" 'BEGIN {ok = v >= b; printf "%-52s %8s %s\n", ARGV[1], v, ok ? "MET" : "NOT MET"}' "$1"; }
verdict "origin 4k random writes, old-style snapshot / none >= 0.5" "$CLASSIC" 0.5
verdict "thin 4k random writes, thin snapshot / none >= 0.8" "$THIN" 0.8
