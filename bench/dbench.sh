#!/usr/bin/env bash
# dbench on ext4 on a ulvm LV through `ulvmd --fuse` and a loop device,
# against the same dbench on ext4 over a loop device on a plain file.
#   bench/dbench.sh BUILD_DIR
# The bar (installable issue): the ulvm LV >= 0.8 of the plain file.
#
# Environment (defaults in brackets):
#   BENCH_DIR        scratch dir parent, a real disk, not tmpfs [/var/tmp]
#   BENCH_RUNTIME    dbench -t, seconds per run [30]
#   BENCH_CLIENTS    dbench clients [4]
#   BENCH_SIZE_MIB   size of each file system [2048]
#   BENCH_REPEAT     runs per column, interleaved, the order rotated each
#                    round (ulvm plain, plain ulvm, ...) so that a noisy
#                    neighbour or a first run's fresh pages hit all alike;
#                    the table gives medians [1]
#   BENCH_WARMUP     seconds of an unmeasured dbench on each column first [10]
#   BENCH_NBDFUSE=1  also a column for the same LV setup read through
#                    nbdfuse on ulvmd's NBD export (a second LV)
#   BENCH_VERBOSE=1  print the end of each dbench output
#
# Setup, exactly: one `ulvmd --run-dir S/run --fuse S/fs`; two sparse PV
# files, `ulvm pvcreate`, `vgcreate`, `lvcreate -L SIZE` (linear) on the
# first (the nbdfuse column's LV on the second);
# `losetup -f --show S/fs/VG/LV` (a plain losetup: buffered, as for the
# plain file); `mkfs.ext4 -q -E lazy_itable_init=0,lazy_journal_init=0`
# (no background initialisation during the runs); mount.  The plain
# column is a sparse file of the same size, the same losetup, mkfs, mount.  Before
# every run: sync and drop the page cache.  Everything started here is
# stopped by its PID, every loop device detached by its name, every mount
# unmounted, at exit.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
RUNTIME=${BENCH_RUNTIME:-30}
CLIENTS=${BENCH_CLIENTS:-4}
SIZE_MIB=${BENCH_SIZE_MIB:-2048}
REPEAT=${BENCH_REPEAT:-1}
WARMUP=${BENCH_WARMUP:-10}
COLS=(ulvm-fuse plain)
[ "${BENCH_NBDFUSE:-0}" = 1 ] && COLS=(ulvm-fuse nbdfuse plain)
need=(dbench losetup mkfs.ext4 mountpoint)
[ ${#COLS[@]} = 3 ] && need+=(nbdfuse)
for t in "${need[@]}"; do command -v "$t" >/dev/null || { echo "dbench: $t is not installed" >&2; exit 2; }; done
[ "$(id -u)" = 0 ] || { echo "dbench: needs root (losetup, mount, drop_caches)" >&2; exit 2; }

S=$(mktemp -d "${BENCH_DIR:-/var/tmp}/ulvm-dbench.XXXXXX")
UPID= NPID=
declare -A LOOP=() MNT=()
cleanup() {
	set +e
	for c in "${!MNT[@]}"; do mountpoint -q "${MNT[$c]}" && umount "${MNT[$c]}"; done
	for c in "${!LOOP[@]}"; do losetup -d "${LOOP[$c]}"; done
	if [ -n "$NPID" ]; then
		mountpoint -q "$S/nf" && fusermount3 -u "$S/nf"
		kill "$NPID" 2>/dev/null; wait "$NPID" 2>/dev/null
	fi
	if [ -n "$UPID" ]; then kill "$UPID" 2>/dev/null; wait "$UPID" 2>/dev/null; fi
	rm -rf "$S"
}
trap cleanup EXIT
mkdir -p "$S/fs" "$S/nf" "$S/conf"
export ULVM_RUN_DIR=$S/run ULVM_CONF_DIR=$S/conf
ulvm() { "$build/src/cli/ulvm" "$@"; }

"$build/src/daemon/ulvmd" --run-dir "$S/run" --fuse "$S/fs" >"$S/ulvmd.log" 2>&1 &
UPID=$!
for _ in $(seq 100); do [ -S "$S/run/control.sock" ] && [ -S "$S/run/nbd.sock" ] && break; sleep 0.1; done
VG=dbench$$
# One PV file per LV: an fsync of one column's LV flushes only its file.
truncate -s $((SIZE_MIB + 8))M "$S/pv1.img" "$S/pv2.img"
ulvm pvcreate "$S/pv1.img" "$S/pv2.img" >/dev/null
ulvm vgcreate "$VG" "$S/pv1.img" "$S/pv2.img" >/dev/null
ulvm lvcreate -L "${SIZE_MIB}M" -n fuse "$VG" "$S/pv1.img" >/dev/null
for _ in $(seq 100); do [ -e "$S/fs/$VG/fuse" ] && break; sleep 0.1; done
declare -A FILE=([ulvm-fuse]=$S/fs/$VG/fuse [plain]=$S/plain.img)
truncate -s "${SIZE_MIB}M" "$S/plain.img"
if [ ${#COLS[@]} = 3 ]; then
	ulvm lvcreate -L "${SIZE_MIB}M" -n nbd "$VG" "$S/pv2.img" >/dev/null
	nbdfuse "$S/nf/lv" "nbd+unix:///$VG/nbd?socket=$S/run/nbd.sock" 2>"$S/nbdfuse.log" &
	NPID=$!
	for _ in $(seq 100); do [ -e "$S/nf/lv" ] && break; sleep 0.1; done
	FILE[nbdfuse]=$S/nf/lv
fi
for c in "${COLS[@]}"; do
	LOOP[$c]=$(losetup -f --show "${FILE[$c]}")
	mkfs.ext4 -q -E lazy_itable_init=0,lazy_journal_init=0 "${LOOP[$c]}"
	MNT[$c]=$S/mnt-$c
	mkdir -p "${MNT[$c]}"
	mount "${LOOP[$c]}" "${MNT[$c]}"
done

echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); dbench $CLIENTS clients," \
	"${RUNTIME}s per run, $REPEAT run(s) each, ext4 on a loop device"
median() { printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
declare -A RUNS=() RES=()
run() { # column, seconds: prints MB/s
	local out v
	sync; echo 3 >/proc/sys/vm/drop_caches
	out=$(dbench -D "${MNT[$1]}" -t "$2" "$CLIENTS" 2>&1) || { echo "$out" | tail -5 >&2; return 1; }
	v=$(awk '/^Throughput/ {print $2}' <<<"$out")
	[ -z "${BENCH_VERBOSE:-}" ] || echo "$out" | tail -25 >&2
	[ -n "$v" ] || { echo "$out" | tail -5 >&2; return 1; }
	echo "$v"
}
if [ "$WARMUP" -gt 0 ]; then
	for c in "${COLS[@]}"; do printf '%-10s warm-up: %10s MB/s\n' "$c" "$(run "$c" "$WARMUP")"; done
fi
for rep in $(seq "$REPEAT"); do
	n=${#COLS[@]}
	for ((i = 0; i < n; i++)); do
		c=${COLS[(i + rep - 1) % n]}
		v=$(run "$c" "$RUNTIME")
		RUNS[$c]+="$v "
		printf '%-10s run %d: %10s MB/s\n' "$c" "$rep" "$v"
	done
done
echo
printf '%-10s %12s %8s\n' column "MB/s" "/plain"
for c in "${COLS[@]}"; do
	# shellcheck disable=SC2086 # the runs, one word each
	RES[$c]=$(median ${RUNS[$c]})
done
for c in "${COLS[@]}"; do
	printf '%-10s %12s %8s\n' "$c" "${RES[$c]}" "$(awk -v a="${RES[$c]}" -v b="${RES[plain]}" 'BEGIN {printf "%.2f", a / b}')"
done
r=$(awk -v a="${RES[ulvm-fuse]}" -v b="${RES[plain]}" 'BEGIN {printf "%.2f", a / b}')
if awk -v r="$r" 'BEGIN {exit !(r >= 0.8)}'; then echo "bar (ulvm LV through FUSE >= 0.8 of the plain file): MET ($r)"
else echo "bar (ulvm LV through FUSE >= 0.8 of the plain file): NOT MET ($r)"; fi
