#!/usr/bin/env bash
# dbench on ext4 over an LV with an old-style snapshot, against the same
# on an LV without one, both through `ulvmd --fuse` and a loop device.
#   bench/snapshot-dbench.sh BUILD_DIR
# The bar (snapshot issue): with a snapshot >= 0.6 of without.
#
# Environment (defaults in brackets): BENCH_DIR [/var/tmp], BENCH_RUNTIME
# (dbench -t) [30], BENCH_CLIENTS [4], BENCH_SIZE_MIB (each file system;
# the snapshot's COW LV is as large) [2048], BENCH_WARMUP [10].
#
# Setup: one ulvmd --fuse; three sparse PV files; LV `plain` on the first,
# LV `origin` on the second; on each, losetup of its FUSE file, mkfs.ext4
# (no lazy init), mount; then `lvcreate -s -L SIZE -n snap VG/origin` (COW
# on the third PV, 8 KiB chunks), so every first write of the runs to a
# chunk of `origin` copies it.  Before every run: sync, drop caches.  The
# warm-up runs first on each (its first writes already copy chunks: the
# measured runs see what a snapshot taken a while ago costs).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
RUNTIME=${BENCH_RUNTIME:-30}
CLIENTS=${BENCH_CLIENTS:-4}
SIZE_MIB=${BENCH_SIZE_MIB:-2048}
WARMUP=${BENCH_WARMUP:-10}
for t in dbench losetup mkfs.ext4 mountpoint; do
	command -v "$t" >/dev/null || { echo "snapshot-dbench: $t is not installed" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "snapshot-dbench: needs root (losetup, mount, drop_caches)" >&2; exit 2; }
S=$(mktemp -d "${BENCH_DIR:-/var/tmp}/ulvm-sdbench.XXXXXX")
UPID=
declare -A LOOP=() MNT=()
cleanup() {
	set +e
	for c in "${!MNT[@]}"; do mountpoint -q "${MNT[$c]}" && umount "${MNT[$c]}"; done
	for c in "${!LOOP[@]}"; do losetup -d "${LOOP[$c]}"; done
	if [ -n "$UPID" ]; then kill "$UPID" 2>/dev/null; wait "$UPID" 2>/dev/null; fi
	rm -rf "$S"
}
trap cleanup EXIT
mkdir -p "$S/fs" "$S/conf"
export ULVM_RUN_DIR=$S/run ULVM_CONF_DIR=$S/conf
ulvm() { "$build/src/cli/ulvm" "$@"; }
"$build/src/daemon/ulvmd" --run-dir "$S/run" --fuse "$S/fs" >"$S/ulvmd.log" 2>&1 &
UPID=$!
for _ in $(seq 100); do [ -S "$S/run/control.sock" ] && [ -S "$S/run/nbd.sock" ] && break; sleep 0.1; done
VG=sdb$$
truncate -s $((SIZE_MIB + 8))M "$S/pv1.img" "$S/pv2.img" "$S/pv3.img"
ulvm pvcreate "$S/pv1.img" "$S/pv2.img" "$S/pv3.img" >/dev/null
ulvm vgcreate "$VG" "$S/pv1.img" "$S/pv2.img" "$S/pv3.img" >/dev/null
ulvm lvcreate -L "${SIZE_MIB}M" -n plain "$VG" "$S/pv1.img" >/dev/null
ulvm lvcreate -L "${SIZE_MIB}M" -n origin "$VG" "$S/pv2.img" >/dev/null
COLS=(origin plain)
for c in "${COLS[@]}"; do
	for _ in $(seq 100); do [ -e "$S/fs/$VG/$c" ] && break; sleep 0.1; done
	LOOP[$c]=$(losetup -f --show "$S/fs/$VG/$c")
	mkfs.ext4 -q -E lazy_itable_init=0,lazy_journal_init=0 "${LOOP[$c]}"
	MNT[$c]=$S/mnt-$c
	mkdir -p "${MNT[$c]}"
	mount "${LOOP[$c]}" "${MNT[$c]}"
done
sync
fsfreeze -f "${MNT[origin]}"
ulvm lvcreate -s -L "${SIZE_MIB}M" -c 8k -n snap "$VG/origin" "$S/pv3.img"
fsfreeze -u "${MNT[origin]}"
echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); dbench $CLIENTS clients, ${RUNTIME}s per run"
run() { # column, seconds: prints MB/s
	local out v
	sync; echo 3 >/proc/sys/vm/drop_caches
	out=$(dbench -D "${MNT[$1]}" -t "$2" "$CLIENTS" 2>&1) || { echo "$out" | tail -5 >&2; return 1; }
	v=$(awk '/^Throughput/ {print $2}' <<<"$out")
	[ -n "$v" ] || { echo "$out" | tail -5 >&2; return 1; }
	echo "$v"
}
declare -A RES=()
if [ "$WARMUP" -gt 0 ]; then
	for c in "${COLS[@]}"; do printf '%-8s warm-up: %10s MB/s\n' "$c" "$(run "$c" "$WARMUP")"; done
fi
for c in "${COLS[@]}"; do
	RES[$c]=$(run "$c" "$RUNTIME")
	printf '%-8s %10s MB/s\n' "$c" "${RES[$c]}"
done
ulvm lvs -o lv_name,lv_attr,origin,snap_percent "$VG"
r=$(awk -v a="${RES[origin]}" -v b="${RES[plain]}" 'BEGIN {printf "%.2f", a / b}')
if awk -v r="$r" 'BEGIN {exit !(r >= 0.6)}'; then echo "bar (dbench with a snapshot >= 0.6 of without): MET ($r)"
else echo "bar (dbench with a snapshot >= 0.6 of without): NOT MET ($r)"; fi
