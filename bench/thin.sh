#!/usr/bin/env bash
# ulvm thin provisioning through ulvmd and NBD, side by side with qemu-nbd
# and qcow2, in one run, with the same fio jobs (fio --ioengine=nbd).
#   bench/thin.sh BUILD_DIR
# Prints one table (IOPS for 4 KiB, MB/s for 1 MiB; ratios ulvm/qcow2 and
# thin/linear), then snapshot creation times for a 1 GiB and a 1 TiB thin
# volume with many mapped blocks, and ulvmd's peak RSS during the 1 TiB part.
# The bars (issue 4): allocating 4 KiB random writes >= 2x qemu-nbd qcow2;
# thin reads within 10% of linear; create_snap < 10 ms and independent of
# the volume's size; metadata cache bounded (64 MiB default).
#
# Environment (defaults in brackets):
#   BENCH_DIR        scratch dir parent, a real disk, not tmpfs [/var/tmp]
#   BENCH_RUNTIME    measured seconds per run [10]
#   BENCH_RAMP       unmeasured warm-up seconds per run [3]
#   BENCH_SIZE_MIB   size of the prefilled volumes / images / base [2048]
#   BENCH_ALLOC_GIB  virtual size of the fresh volumes of the allocating
#                    runs (thin and qcow2 alike) [64]
#   BENCH_ALLOC_FRAC at most this fraction (percent) of the blocks of a fresh
#                    volume is written by an allocating 4 KiB run (io_size
#                    cap), so that the run mostly allocates [25]
#   BENCH_MAP_SECS   time budget for mapping blocks of the 1 TiB volume [90]
#   BENCH_MAP_MAX    at most this many blocks mapped in the 1 TiB volume [2097152]
#   BENCH_SNAPS      create_snap repetitions per volume (median) [7]
#   BENCH_PERF=DIR   perf record -F 499 -g ulvmd during the allocating 4k runs, into DIR
#                    (BENCH_PERF_WL=seq-write: during the fresh 1 MiB writes instead)
#   BENCH_ULVMD_ARGS extra ulvmd options, e.g. --cache=none (qcow2 runs O_DIRECT too)
#   BENCH_QEMU_CACHE qemu-nbd's --cache for the qcow2 column [none]; writeback
#                    (qemu-nbd's own default) compares with ulvm's default in kind
#   BENCH_KEEP=1     keep the scratch dir (fio JSON, logs; big files removed)
#   BENCH_PARTS      which parts to run [alloc seq prefilled origin snap];
#                    `full` (not in the default) is a fully mapped 1 TiB
#                    volume: metadata built by thin_restore (2^24 mappings),
#                    then reads, overwrites, create_snap, copy-on-write
#                    writes, thin_check, under ulvmd's default 64 MiB
#                    metadata cache and again under BENCH_FULL_SMALL_CACHE;
#                    needs thin_restore and thin_check.  Cost here (2 CPUs,
#                    one virtual disk): ~4 min (thin_restore 1-1.5 min;
#                    per cache 3 fio runs and thin_check, ~20-25 s) and
#                    ~1.5 GB of disk (the restored metadata and one copy)
#   BENCH_FULL_BLOCKS      mapped blocks of the full part's volume [16777216]
#   BENCH_FULL_SPARE       free data blocks for its copy-on-write [1048576]
#   BENCH_FULL_SMALL_CACHE --thin-metadata-cache MiB of its second run,
#                          0 = no second run [16]
#   BENCH_FULL_DATA        its pool's data device: zero = a `zero` target of
#                          ulvmd (reads zeroes, drops writes: only the
#                          metadata is exercised), file = a sparse file.
#                          file costs ~3.5 GB of scattered writes per run, a
#                          first suspend that writes back the page cache
#                          (17-48 s here), and a delete of a file of ~10^5
#                          extents (5 min here: ext4 mounted -o discard) [zero]
#
# The servers, exactly as run (every one started here in the background,
# its PID recorded and killed by that PID at exit, never by name):
#   ulvm      ulvmd --run-dir S/run (one daemon for the whole run); pools
#             `thin-pool META DATA 128 0` over two sparse files (64 KiB
#             blocks; block zeroing ON, the default, unless a column says
#             nozero = `1 skip_block_zeroing`); thin volumes by
#             `message pool 0 "create_thin N"` and a `thin /dev/mapper/POOL N
#             [ORIGIN]` table; exported by name over S/run/nbd.sock.
#   qcow2     qemu-nbd -f qcow2 --cache=none (BENCH_QEMU_CACHE) --aio=io_uring --shared=8 -t -k SOCK
#             IMG (--aio=native if io_uring is refused; the output says),
#             IMG from `qemu-img create -f qcow2 -o cluster_size=64k IMG SIZE`,
#             or `-b` a copy of base.raw for the external-origin case; a new
#             image and a new qemu-nbd for every fresh-volume run.
# Before every measured run: sync and drop the page cache.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
ULVMD=$build/src/daemon/ulvmd
ULVM_BIN=$build/src/cli/ulvm
RUNTIME=${BENCH_RUNTIME:-10}
RAMP=${BENCH_RAMP:-3}
SIZE_MIB=${BENCH_SIZE_MIB:-2048}
ALLOC_GIB=${BENCH_ALLOC_GIB:-64}
ALLOC_FRAC=${BENCH_ALLOC_FRAC:-25}
MAP_SECS=${BENCH_MAP_SECS:-90}
MAP_MAX=${BENCH_MAP_MAX:-2097152}
NSNAPS=${BENCH_SNAPS:-7}
PARTS=" ${BENCH_PARTS:-alloc seq prefilled origin snap} "
part() { [[ $PARTS == *" $1 "* ]]; }
BLOCK=65536
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

for t in fio qemu-nbd qemu-img nbdinfo; do
	command -v "$t" >/dev/null || { echo "thin: $t is not installed (tools/install-deps)" >&2; exit 2; }
done
fio --enghelp 2>/dev/null | grep -qx '[[:space:]]*nbd' || { echo "thin: this fio has no nbd engine" >&2; exit 2; }
[ -x "$ULVMD" ] && [ -x "$ULVM_BIN" ] || { echo "thin: $ULVMD or $ULVM_BIN is missing" >&2; exit 2; }

S=$(mktemp -d "${BENCH_DIR:-/var/tmp}/ulvm-thin.XXXXXX")
RUN=$S/run
export ULVM_RUN_DIR=$RUN
declare -A PID=() SOCK=()

cleanup() {
	set +e
	for name in "${!PID[@]}"; do kill -TERM "${PID[$name]}" 2>/dev/null; done
	for name in "${!PID[@]}"; do
		for _ in $(seq 100); do kill -0 "${PID[$name]}" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "${PID[$name]}" 2>/dev/null && echo "note: $name ignored SIGTERM for 10 s; killed"
		wait "${PID[$name]}" 2>/dev/null
	done
	if [ "${BENCH_KEEP:-}" = 1 ]; then
		find "$S" -type f \( -name '*.img' -o -name '*.raw' -o -name '*.qcow2' -o -name '*.meta' -o -name '*.data' \) -delete
		echo "scratch kept in $S (images removed)"
	else
		rm -rf "$S"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fstype=$(findmnt -no FSTYPE -T "$S" 2>/dev/null || stat -f -c %T "$S")
case $fstype in tmpfs|ramfs) echo "thin: $S is on $fstype; set BENCH_DIR to a real disk" >&2; exit 2 ;; esac

disk_src=$(df --output=source "$S" | tail -n 1)
disk_dev=$(lsblk -no PKNAME "$disk_src" 2>/dev/null | head -n 1)
[ -n "$disk_dev" ] || disk_dev=$(basename "$disk_src")
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'),"\
" $(free -g | awk '/^Mem:/ {print $2}') GiB RAM, kernel $(uname -r)"
echo "disk:    $disk_src ($fstype) on $disk_dev: rotational=$(cat /sys/block/"$disk_dev"/queue/rotational 2>/dev/null || echo ?),"\
" $(df -h --output=avail "$S" | tail -n 1 | tr -d ' ') free"
echo "tools:   $(fio --version), $(qemu-nbd --version | head -n 1)"
echo "qemu-nbd --cache=${BENCH_QEMU_CACHE:-none}; ulvmd ${BENCH_ULVMD_ARGS:-(default, --cache=writeback)}"
echo "runs:    ${RUNTIME}s measured after ${RAMP}s ramp, cold page cache before each run; scratch $S"

# ---- helpers -----------------------------------------------------------------
ulvm() { "$ULVM_BIN" "$@"; }
now_ns() { date +%s%N; }
drop_caches() {
	sync
	if [ -w /proc/sys/vm/drop_caches ]; then echo 3 >/proc/sys/vm/drop_caches; fi
}
[ -w /proc/sys/vm/drop_caches ] || echo "note: cannot drop the page cache (not root?)"
wait_sock() { # name
	for _ in $(seq 100); do
		[ -S "${SOCK[$1]}" ] && return 0
		kill -0 "${PID[$1]}" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
stop() { # name: kill a server of ours by its PID
	[ -n "${PID[$1]:-}" ] || return 0
	kill -TERM "${PID[$1]}" 2>/dev/null || true
	wait "${PID[$1]}" 2>/dev/null || true
	unset "PID[$1]"
}

# shellcheck disable=SC2086 # BENCH_ULVMD_ARGS: extra ulvmd options (e.g. --cache=none)
"$ULVMD" --run-dir "$RUN" ${BENCH_ULVMD_ARGS:-} >"$S/ulvmd.log" 2>&1 &
PID[ulvmd]=$!
DPID=${PID[ulvmd]}
SOCK[ulvmd]=$RUN/nbd.sock
for _ in $(seq 100); do [ -S "$RUN/control.sock" ] && break; sleep 0.1; done
wait_sock ulvmd || { cat "$S/ulvmd.log"; echo "thin: ulvmd did not start" >&2; exit 1; }
uuri() { echo "nbd+unix:///$1?socket=$RUN/nbd.sock"; }

QEMU_AIO=io_uring
qemu_start() { # name image fmt
	local name=$1 img=$2 fmt=$3
	SOCK[$name]=$S/$name.sock
	rm -f "${SOCK[$name]}"
	qemu-nbd -f "$fmt" --cache="${BENCH_QEMU_CACHE:-none}" --aio=$QEMU_AIO --shared=8 -t -k "${SOCK[$name]}" "$img" \
		>"$S/$name.qemu.log" 2>&1 &
	PID[$name]=$!
	if ! wait_sock "$name"; then
		if [ $QEMU_AIO = io_uring ]; then
			echo "note: qemu-nbd refused --aio=io_uring ($(head -n 1 "$S/$name.qemu.log")); using --aio=native"
			stop "$name"
			QEMU_AIO=native
			qemu_start "$@"
			return
		fi
		cat "$S/$name.qemu.log"; echo "thin: qemu-nbd did not start" >&2; exit 1
	fi
}
quri() { echo "nbd+unix:///?socket=${SOCK[$1]}"; }
qcow2_new() { # path size [backing]
	if [ -n "${3:-}" ]; then
		qemu-img create -q -f qcow2 -o cluster_size=64k -b "$3" -F raw "$1" "$2"
	else
		qemu-img create -q -f qcow2 -o cluster_size=64k "$1" "$2"
	fi
}

# pool_new NAME DATA_GIB META_MIB [features...]: a pool over two sparse files.
pool_new() {
	local name=$1 gib=$2 mmib=$3
	shift 3
	truncate -s "${mmib}M" "$S/$name.meta"
	truncate -s "${gib}G" "$S/$name.data"
	local feat=""
	[ $# -eq 0 ] || feat=" $# $*"
	ulvm dmsetup create "$name" --table "0 $((gib << 21)) thin-pool $S/$name.meta $S/$name.data 128 0$feat"
}
pool_rm() { # name: removes the pool's thin volumes first
	local d
	for d in $(ulvm dmsetup table 2>/dev/null | awk -v p="/dev/mapper/$1" '$4 == "thin" && $5 == p {sub(":", "", $1); print $1}'); do
		ulvm dmsetup remove "$d"
	done
	ulvm dmsetup remove "$1"
	rm -f "$S/$1.meta" "$S/$1.data"
}
thin_new() { # pool id name size_bytes [origin]
	ulvm dmsetup message "$1" 0 "create_thin $2"
	ulvm dmsetup create "$3" --table "0 $(($4 / 512)) thin /dev/mapper/$1 $2${5:+ $5}"
}
mapped_blocks() { ulvm dmsetup status "$1" | awk -v b=$((BLOCK / 512)) '{print int($4 / b)}'; }

# Prints "value iops lat_avg_us lat_p99_us ios" of a fio JSON output.
parse() {
	"$PY" - "$1" "$2" <<'EOF'
import json, sys
text = open(sys.argv[1]).read()
j = json.loads(text[text.index('{'):])
job = j['jobs'][0]
d = job['write'] if job['write']['io_bytes'] > job['read']['io_bytes'] else job['read']
value = d['bw_bytes'] / 1e6 if sys.argv[2] == 'MB/s' else d['iops']
p99 = d['clat_ns'].get('percentile', {}).get('99.000000', 0)
print('%.0f %.0f %.0f %.0f %d' % (value, d['iops'], d['lat_ns']['mean'] / 1e3, p99 / 1e3, d['total_ios']))
EOF
}
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }

declare -A RES=() UNIT=()
ORDER=()
printf '%-24s %-14s %12s %10s %10s %8s  %s\n' workload column value lat-avg-us lat-p99-us srv-CPU note
# run WORKLOAD COLUMN URI SERVER_PID UNIT NOTE fio-args...: one measured fio run.
run() {
	local wl=$1 col=$2 uri=$3 spid=$4 unit=$5 note=$6
	shift 6
	local out=$S/$col.$wl c0 t0 c1 t1 fpid val iops lat p99 ios cpu perfpid=""
	[ "${WARM:-}" = 1 ] || drop_caches
	fio --name="$wl" --ioengine=nbd --uri="$uri" --time_based --runtime="$RUNTIME" \
		--ramp_time="$RAMP" --group_reporting --output-format=json --output="$out.json" \
		"$@" >"$out.out" 2>&1 &
	fpid=$!
	sleep "$RAMP"
	c0=$(cpu_ticks "$spid")
	t0=$(now_ns)
	if [ -n "${BENCH_PERF:-}" ] && [ "$spid" = "$DPID" ] && [[ $wl == ${BENCH_PERF_WL:-alloc-rand}* ]]; then
		mkdir -p "$BENCH_PERF"
		perf record -F 499 -g -o "$BENCH_PERF/$col.$wl.perf.data" -p "$DPID" -- sleep "$((RUNTIME - 1))" \
			>"$BENCH_PERF/$col.$wl.perf.log" 2>&1 &
		perfpid=$!
	fi
	if ! wait "$fpid"; then
		echo "thin: fio failed for $col $wl:" >&2
		tail -n 20 "$out.out" "$out.json" >&2 || true
		exit 1
	fi
	[ -z "$perfpid" ] || wait "$perfpid" || true
	t1=$(now_ns)
	c1=$(cpu_ticks "$spid")
	read -r val iops lat p99 ios < <(parse "$out.json" "$unit")
	cpu=$(awk -v c="$((c1 - c0))" -v hz="$CLK_TCK" -v ns="$((t1 - t0))" 'BEGIN {printf "%.0f%%", 100 * c / hz / (ns / 1e9)}')
	# WARM=1 runs are repeated: the best of them stands (this VM's noise
	# between two identical runs is larger than thin vs linear).
	if [ "${WARM:-}" != 1 ] || [ "$val" -gt "${RES[$wl,$col]:-0}" ]; then
		RES[$wl,$col]=$val
	fi
	UNIT[$wl]=$unit
	LAST_IOS=$ios
	[[ " ${ORDER[*]} " == *" $wl "* ]] || ORDER+=("$wl")
	printf '%-24s %-14s %12s %10s %10s %8s  %s\n' "$wl" "$col" "$val $unit" "$lat" "$p99" "$cpu" "$note"
}
# prefill URI SIZE_BYTES: write all of it once, 1 MiB sequential.
prefill() {
	fio --name=prefill --ioengine=nbd --uri="$1" --rw=write --bs=1M --iodepth=8 --size="$2" \
		--output=/dev/null
}
R4=(--bs=4k --iodepth=32)
ALLOC_BYTES=$((ALLOC_GIB << 30))
ALLOC_IOS=$((ALLOC_BYTES / BLOCK * ALLOC_FRAC / 100))
SIZE=$((SIZE_MIB << 20))

# ---- 1. 4 KiB random writes into unprovisioned space -------------------------
if part alloc; then
# A fresh volume of ALLOC_GIB each time; at most ALLOC_IOS writes
# (ALLOC_FRAC% of its blocks), so most writes land in an unmapped block.
echo "allocating runs: fresh ${ALLOC_GIB} GiB volumes, at most $ALLOC_IOS x 4 KiB writes each (${ALLOC_FRAC}% of the 64 KiB blocks)"
for z in zero nozero; do
	feat=()
	[ $z = zero ] || feat=(skip_block_zeroing)
	pool_new pa 80 1024 "${feat[@]}"
	thin_new pa 1 va "$ALLOC_BYTES"
	run alloc-rand-write-4k ulvm-thin-$z "$(uuri va)" "$DPID" IOPS "" \
		--rw=randwrite "${R4[@]}" --io_size=$((ALLOC_IOS * 4096))
	mb=$(mapped_blocks va)
	echo "    $mb blocks mapped by $LAST_IOS measured writes (+ ramp): $((100 * mb / (ALLOC_BYTES / BLOCK)))% of the volume"
	pool_rm pa
done
qcow2_new "$S/a.qcow2" "$ALLOC_BYTES"
qemu_start qa "$S/a.qcow2" qcow2
run alloc-rand-write-4k qcow2 "$(quri qa)" "${PID[qa]}" IOPS "" \
	--rw=randwrite "${R4[@]}" --io_size=$((ALLOC_IOS * 4096))
stop qa
echo "    qcow2 image: $(du -h --apparent-size "$S/a.qcow2" | cut -f1) apparent, $(du -h "$S/a.qcow2" | cut -f1) on disk"
rm -f "$S/a.qcow2"

fi
# ---- 2. 1 MiB sequential writes into a fresh volume --------------------------
if part seq; then
for z in zero nozero; do
	feat=()
	[ $z = zero ] || feat=(skip_block_zeroing)
	pool_new pa 80 1024 "${feat[@]}"
	thin_new pa 1 va "$ALLOC_BYTES"
	run seq-write-1M ulvm-thin-$z "$(uuri va)" "$DPID" MB/s "fresh" --rw=write --bs=1M --iodepth=8
	pool_rm pa
done
qcow2_new "$S/a.qcow2" "$ALLOC_BYTES"
qemu_start qa "$S/a.qcow2" qcow2
run seq-write-1M qcow2 "$(quri qa)" "${PID[qa]}" MB/s "fresh" --rw=write --bs=1M --iodepth=8
stop qa
rm -f "$S/a.qcow2"

fi
# ---- 3. prefilled volumes: reads vs linear, overwrites, snapshot reads -------
if part prefilled; then
# A linear device over a fully written raw file, a thin volume fully
# provisioned by a 1 MiB sequential prefill, and a prefilled qcow2.
fio --name=fill --filename="$S/lin.raw" --size="$SIZE" --rw=write --bs=1M --iodepth=8 \
	--ioengine=io_uring --direct=1 --end_fsync=1 --output=/dev/null
ulvm dmsetup create lin --table "0 $((SIZE / 512)) linear $S/lin.raw 0"
pool_new pf 8 256
thin_new pf 1 vf "$SIZE"
prefill "$(uuri vf)" "$SIZE"
qcow2_new "$S/f.qcow2" "$SIZE"
qemu_start qf "$S/f.qcow2" qcow2
prefill "$(quri qf)" "$SIZE"
echo "prefilled: ${SIZE_MIB} MiB linear file, thin vf ($(mapped_blocks vf) blocks mapped), qcow2"

run rand-read-4k ulvm-linear "$(uuri lin)" "$DPID" IOPS "file, fully written" --rw=randread "${R4[@]}"
run rand-read-4k ulvm-thin "$(uuri vf)" "$DPID" IOPS "fully provisioned" --rw=randread "${R4[@]}"
run rand-read-4k qcow2 "$(quri qf)" "${PID[qf]}" IOPS "fully allocated" --rw=randread "${R4[@]}"
# The same with the data in the page cache (ulvm reads through it; qemu-nbd
# runs with --cache=none, so it has no warm column): what the thin lookup
# itself costs over linear.  Each measured three times, alternating; the
# best of each counts.
for dev in lin vf; do
	fio --name=warm --ioengine=nbd --uri="$(uuri $dev)" --rw=read --bs=1M --iodepth=8 --output=/dev/null
done
for _ in 1 2 3; do
	WARM=1 run rand-read-4k-warm ulvm-linear "$(uuri lin)" "$DPID" IOPS "page cache warm" --rw=randread "${R4[@]}"
	WARM=1 run rand-read-4k-warm ulvm-thin "$(uuri vf)" "$DPID" IOPS "page cache warm" --rw=randread "${R4[@]}"
done
run seq-read-1M ulvm-linear "$(uuri lin)" "$DPID" MB/s "" --rw=read --bs=1M --iodepth=8
run seq-read-1M ulvm-thin "$(uuri vf)" "$DPID" MB/s "" --rw=read --bs=1M --iodepth=8
run seq-read-1M qcow2 "$(quri qf)" "${PID[qf]}" MB/s "" --rw=read --bs=1M --iodepth=8
run overwrite-rand-4k ulvm-thin "$(uuri vf)" "$DPID" IOPS "after prefill" --rw=randwrite "${R4[@]}"
run overwrite-rand-4k qcow2 "$(quri qf)" "${PID[qf]}" IOPS "after prefill" --rw=randwrite "${R4[@]}"
run overwrite-rand-4k ulvm-linear "$(uuri lin)" "$DPID" IOPS "reference" --rw=randwrite "${R4[@]}"
run overwrite-seq-1M ulvm-thin "$(uuri vf)" "$DPID" MB/s "after prefill" --rw=write --bs=1M --iodepth=8
run overwrite-seq-1M qcow2 "$(quri qf)" "${PID[qf]}" MB/s "after prefill" --rw=write --bs=1M --iodepth=8
run overwrite-seq-1M ulvm-linear "$(uuri lin)" "$DPID" MB/s "reference" --rw=write --bs=1M --iodepth=8

# Snapshot: thin create_snap of vf (suspended around it), read the snapshot;
# qcow2: an overlay on the prefilled image (qemu's external snapshot), read it.
ulvm dmsetup suspend vf
ulvm dmsetup message pf 0 "create_snap 2 1"
ulvm dmsetup resume vf
ulvm dmsetup create sf --table "0 $((SIZE / 512)) thin /dev/mapper/pf 2"
stop qf
qemu-img create -q -f qcow2 -o cluster_size=64k -b "$S/f.qcow2" -F qcow2 "$S/fs.qcow2" "$SIZE"
qemu_start qfs "$S/fs.qcow2" qcow2
run snap-read-4k ulvm-thin "$(uuri sf)" "$DPID" IOPS "snapshot, all blocks shared" --rw=randread "${R4[@]}"
run snap-read-4k qcow2 "$(quri qfs)" "${PID[qfs]}" IOPS "overlay, all in backing" --rw=randread "${R4[@]}"
run snap-overwrite-4k ulvm-thin "$(uuri vf)" "$DPID" IOPS "origin after snap: CoW" --rw=randwrite "${R4[@]}"
run snap-overwrite-4k qcow2 "$(quri qfs)" "${PID[qfs]}" IOPS "overlay: CoW" --rw=randwrite "${R4[@]}"
stop qfs
pool_rm pf
ulvm dmsetup remove lin
rm -f "$S/lin.raw" "$S/f.qcow2" "$S/fs.qcow2"

fi
# ---- 4. external origin ------------------------------------------------------
if part origin; then
# base.raw, fully written; ulvm: a linear device over it is the thin's
# external origin; qcow2: `-b base-q.raw -F raw`, a copy (ulvmd holds a
# lock on the files it serves, which qemu's read lock on a backing file
# respects).
fio --name=fill --filename="$S/base.raw" --size="$SIZE" --rw=write --bs=1M --iodepth=8 \
	--ioengine=io_uring --direct=1 --end_fsync=1 --output=/dev/null
cp "$S/base.raw" "$S/base-q.raw"
ulvm dmsetup create base --table "0 $((SIZE / 512)) linear $S/base.raw 0"
for w in read write; do
	pool_new pe 8 256
	thin_new pe 1 ve "$SIZE" /dev/mapper/base
	qcow2_new "$S/e.qcow2" "$SIZE" "$S/base-q.raw"
	qemu_start qe "$S/e.qcow2" qcow2
	run ext-rand-$w-4k ulvm-thin "$(uuri ve)" "$DPID" IOPS "fresh, external origin" --rw=rand$w "${R4[@]}"
	run ext-rand-$w-4k qcow2 "$(quri qe)" "${PID[qe]}" IOPS "fresh, backing file" --rw=rand$w "${R4[@]}"
	[ $w = read ] && run ext-rand-$w-4k ulvm-linear "$(uuri base)" "$DPID" IOPS "the origin itself" --rw=rand$w "${R4[@]}"
	if [ $w = read ]; then
		run ext-seq-read-1M ulvm-thin "$(uuri ve)" "$DPID" MB/s "fresh, external origin" --rw=read --bs=1M --iodepth=8
		run ext-seq-read-1M qcow2 "$(quri qe)" "${PID[qe]}" MB/s "fresh, backing file" --rw=read --bs=1M --iodepth=8
		run ext-seq-read-1M ulvm-linear "$(uuri base)" "$DPID" MB/s "the origin itself" --rw=read --bs=1M --iodepth=8
	fi
	stop qe
	pool_rm pe
	rm -f "$S/e.qcow2"
done
ulvm dmsetup remove base
rm -f "$S/base.raw" "$S/base-q.raw"

fi
# ---- the table ---------------------------------------------------------------
ratio() { awk -v a="${1:-}" -v b="${2:-}" 'BEGIN {if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f", a / b}'; }
echo
echo "Results (IOPS for 4 KiB at QD32, MB/s = 10^6 B/s for 1 MiB at QD8; one connection each)"
COLS=(ulvm-thin ulvm-thin-zero ulvm-thin-nozero ulvm-linear qcow2)
hdr=$(printf '%-22s %-5s' workload unit)
for c in "${COLS[@]}"; do hdr+=$(printf ' %16s' "$c"); done
hdr+=$(printf ' %12s %12s' ulvm/qcow2 thin/linear)
echo "$hdr"
for wl in "${ORDER[@]}"; do
	line=$(printf '%-22s %-5s' "$wl" "${UNIT[$wl]}")
	for c in "${COLS[@]}"; do line+=$(printf ' %16s' "${RES[$wl,$c]:--}"); done
	u=${RES[$wl,ulvm-thin]:-${RES[$wl,ulvm-thin-zero]:-}}
	line+=$(printf ' %12s %12s' "$(ratio "$u" "${RES[$wl,qcow2]:-}")" "$(ratio "$u" "${RES[$wl,ulvm-linear]:-}")")
	echo "$line"
done
echo "(zero = block zeroing on, the default; nozero = skip_block_zeroing; ulvm/qcow2 uses the default)"
echo
bar() { # text ok
	if [ "$2" = 1 ]; then echo "bar: $1: MET"; else echo "bar: $1: NOT MET"; fi
}
ge() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a >= b)}'; }
if part alloc; then
r=$(ratio "${RES[alloc-rand-write-4k,ulvm-thin-zero]}" "${RES[alloc-rand-write-4k,qcow2]}")
bar "allocating 4k random writes >= 2x qcow2 (default zeroing: ${r}x)" "$(ge "$r" 2 && echo 1 || echo 0)"
r2=$(ratio "${RES[alloc-rand-write-4k,ulvm-thin-nozero]}" "${RES[alloc-rand-write-4k,qcow2]}")
echo "     (with skip_block_zeroing: ${r2}x)"
fi
if part prefilled; then
for wl in rand-read-4k rand-read-4k-warm seq-read-1M; do
	r=$(ratio "${RES[$wl,ulvm-thin]}" "${RES[$wl,ulvm-linear]}")
	bar "thin reads within 10% of linear, $wl (${r})" "$(ge "$r" 0.9 && echo 1 || echo 0)"
done
fi

# ---- 5. snapshot creation time -----------------------------------------------
if part snap; then
# One pool (skip_block_zeroing, so that mapping a block writes 4 KiB, not
# 64 KiB, to the sparse data file); a 1 GiB thin with all its 16384 blocks
# mapped, and a 1 TiB thin with as many blocks as MAP_SECS allow, one 4 KiB
# write per mapped 64 KiB block (fio zonemode=strided).
echo
echo "Snapshot creation (suspend; message create_snap; resume), $NSNAPS times each, medians"
hwm0=$(awk '/^VmHWM:/ {print $2}' "/proc/$DPID/status")
rss0=$(awk '/^VmRSS:/ {print $2}' "/proc/$DPID/status")
echo 5 >"/proc/$DPID/clear_refs"
pool_new ps 160 2048 skip_block_zeroing
thin_new ps 1 s1g $((1 << 30))
thin_new ps 2 s1t $((1 << 40))
# map URI SIZE STRIDE: one 4 KiB write every STRIDE bytes; prints seconds.
map() {
	local t0 t1
	t0=$(now_ns)
	# io_size: strided zones wrap around until io_size is written.
	fio --name=map --ioengine=nbd --uri="$1" --rw=write --bs=4k --iodepth=32 --size="$2" \
		--io_size=$(($2 / $3 * 4096)) --zonemode=strided --zonesize=4k --zonerange="$3" \
		--output="$S/map.out"
	t1=$(now_ns)
	awk -v ns="$((t1 - t0))" 'BEGIN {printf "%.2f", ns / 1e9}'
}
secs=$(map "$(uuri s1g)" $((1 << 30)) $BLOCK)
n1g=$(mapped_blocks s1g)
rate=$(awk -v n="$n1g" -v s="$secs" 'BEGIN {printf "%d", n / s}')
echo "1 GiB thin: $n1g blocks mapped in ${secs}s ($rate blocks/s)"
# Stride for the 1 TiB volume: a power of two >= 64 KiB such that the
# blocks it maps fit MAP_SECS at the rate just seen and MAP_MAX.
want=$((rate * MAP_SECS))
[ "$want" -le "$MAP_MAX" ] || want=$MAP_MAX
stride=$BLOCK
while [ $(((1 << 40) / stride)) -gt "$want" ]; do stride=$((stride * 2)); done
secs=$(map "$(uuri s1t)" $((1 << 40)) $stride)
n1t=$(mapped_blocks s1t)
echo "1 TiB thin: $n1t blocks mapped (one every $((stride >> 10)) KiB, over the whole TiB) in ${secs}s"
ulvm dmsetup status ps
ulvm dmsetup message ps 0 "create_thin 99" # warms the CLI path; not measured
declare -A SNAP=() MSG=()
ms() { awk -v ns="$1" 'BEGIN {printf "%.2f", ns / 1e6}'; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR] = $1} END {print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
# The CLI's own round trip: a message that does nothing heavy.
noop=""
for i in $(seq "$NSNAPS"); do
	t0=$(now_ns); ulvm dmsetup status ps >/dev/null; t1=$(now_ns)
	noop+=" $(ms $((t1 - t0)))"
done
id=100
for v in s1g:1 s1t:2; do
	dev=${v%:*} origin=${v#*:}
	all="" msg=""
	for i in $(seq "$NSNAPS"); do
		t0=$(now_ns)
		ulvm dmsetup suspend "$dev"
		t1=$(now_ns)
		ulvm dmsetup message ps 0 "create_snap $id $origin"
		t2=$(now_ns)
		ulvm dmsetup resume "$dev"
		t3=$(now_ns)
		all+=" $(ms $((t3 - t0)))"
		msg+=" $(ms $((t2 - t1)))"
		id=$((id + 1))
	done
	SNAP[$dev]=$(median <<<"$all")
	MSG[$dev]=$(median <<<"$msg")
	echo "$dev: suspend+create_snap+resume ms:$all"
	echo "$dev: create_snap message alone ms:$msg"
done
hwm1=$(awk '/^VmHWM:/ {print $2}' "/proc/$DPID/status")
meta=$(ulvm dmsetup status ps | awk '{split($5, m, "/"); print m[1], m[2]}')
echo
printf '%-10s %12s %22s %22s\n' volume mapped-blocks "suspend+snap+resume" "create_snap msg"
printf '%-10s %12s %19s ms %19s ms\n' 1GiB "$n1g" "${SNAP[s1g]}" "${MSG[s1g]}"
printf '%-10s %12s %19s ms %19s ms\n' 1TiB "$n1t" "${SNAP[s1t]}" "${MSG[s1t]}"
printf '%-10s %12s %19s ms\n' "(CLI round trip, dmsetup status)" "" "$(median <<<"$noop")"
bar "create_snap < 10 ms (message: 1 GiB ${MSG[s1g]} ms, 1 TiB ${MSG[s1t]} ms)" \
	"$(awk -v a="${MSG[s1g]}" -v b="${MSG[s1t]}" 'BEGIN {print (a < 10 && b < 10) ? 1 : 0}')"
bar "suspend+create_snap+resume < 10 ms (1 GiB ${SNAP[s1g]} ms, 1 TiB ${SNAP[s1t]} ms)" \
	"$(awk -v a="${SNAP[s1g]}" -v b="${SNAP[s1t]}" 'BEGIN {print (a < 10 && b < 10) ? 1 : 0}')"
bar "snapshot time independent of the size (1 TiB / 1 GiB message time $(ratio "${MSG[s1t]}" "${MSG[s1g]}"))" \
	"$(awk -v a="${MSG[s1g]}" -v b="${MSG[s1t]}" 'BEGIN {print (b < 2 * a + 1) ? 1 : 0}')"

# ---- 6. the metadata cache ---------------------------------------------------
echo
read -r mused mtotal <<<"$meta"
echo "metadata of the pool: $mused of $mtotal 4 KiB blocks used ($(awk -v b="$mused" 'BEGIN {printf "%.1f", b * 4 / 1024}') MiB)"
opt=$("$ULVMD" --help 2>&1 | grep -i cache || true)
echo "metadata cache option of ulvmd: ${opt:-none in ulvmd --help}"
echo "ulvmd peak RSS (VmHWM): $(awk -v k="$hwm0" 'BEGIN {printf "%.1f", k / 1024}') MiB before the snapshot part;"\
" $(awk -v k="$hwm1" 'BEGIN {printf "%.1f", k / 1024}') MiB during it (1 TiB volume, $n1t blocks mapped)"
bar "ulvmd RSS growth during the 1 TiB part <= the 64 MiB cache bound + 4 MiB of pool bookkeeping"\
" ($(awk -v a="$rss0" -v b="$hwm1" 'BEGIN {printf "%.1f", (b - a) / 1024}') MiB over the RSS before it)" \
	"$(awk -v a="$rss0" -v b="$hwm1" 'BEGIN {print b - a <= 68 * 1024 ? 1 : 0}')"
pool_rm ps
fi

# ---- 7. a fully mapped 1 TiB volume (BENCH_PARTS=full) -----------------------
if part full; then
# Not in the default parts (see the header for its cost).  Mapping the
# 16,777,216 blocks of a 1 TiB volume by writing would take hours and
# 64+ GiB of disk, so thin_restore (thin-provisioning-tools) builds the
# metadata from a thin_dump XML of one device with one range mapping of
# all of them.  The data device (BENCH_FULL_DATA: a `zero` target or a
# sparse file) has 1 TiB + BENCH_FULL_SPARE blocks (the spare room takes
# the copy-on-write allocations); mapped blocks read as zeroes: this is a
# metadata scale test.  For each cache size a fresh ulvmd of its own serves
# the pool; its baseline is its peak RSS serving the same 4 KiB random I/O
# from a zero device (NBD buffers, worker stacks: no metadata); its peak
# RSS (VmHWM, reset after the baseline) covers everything from activation
# to the removal of the devices.
for t in thin_restore thin_check; do
	command -v "$t" >/dev/null || { echo "thin: $t is not installed (thin-provisioning-tools)" >&2; exit 2; }
done
full_t0=$(now_ns)
FB=${BENCH_FULL_BLOCKS:-16777216}
FSPARE=${BENCH_FULL_SPARE:-1048576}
FSMALL=${BENCH_FULL_SMALL_CACHE:-16}
FDATA=${BENCH_FULL_DATA:-zero}
case $FDATA in zero|file) ;; *) echo "thin: BENCH_FULL_DATA=$FDATA: zero or file" >&2; exit 2 ;; esac
FNDATA=$((FB + FSPARE))
# Metadata: thin_restore leaves its leaves about half full (~120 mappings a
# 4 KiB block: ~530 MiB for 2^24 blocks); room for as much again (a shadow
# copy of every leaf, the most copy-on-write after one snapshot can take)
# and 256 MiB more.  Sparse.
FMETA_MIB=$(((2 * FB / 100 + 65536) / 256))
ms() { awk -v ns="$1" 'BEGIN {printf "%.2f", ns / 1e6}'; }
median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR] = $1} END {print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
secs_since() { awk -v ns="$(($(now_ns) - $1))" 'BEGIN {printf "%.1f", ns / 1e9}'; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
kb_of() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"; } # pid VmRSS|VmHWM
echo
FSIZE="$((FB >> 14)) GiB"
[ "$FB" != 16777216 ] || FSIZE="1 TiB"
fdesc="a zero target of ulvmd"
[ "$FDATA" = zero ] || fdesc="a sparse file"
echo "Fully mapped volume: $FB blocks of 64 KiB ($FSIZE) in one thin, pool data $FNDATA blocks"\
" ($fdesc), metadata file ${FMETA_MIB} MiB (sparse)"
awk -v nb="$FB" -v tot="$FNDATA" 'BEGIN {
	printf "<superblock uuid=\"\" time=\"0\" transaction=\"1\" flags=\"0\" version=\"2\" data_block_size=\"128\" nr_data_blocks=\"%d\">\n", tot
	printf "  <device dev_id=\"1\" mapped_blocks=\"%d\" transaction=\"0\" creation_time=\"0\" snap_time=\"0\">\n", nb
	printf "    <range_mapping origin_begin=\"0\" data_begin=\"0\" length=\"%d\" time=\"0\"/>\n", nb
	print "  </device>\n</superblock>" }' >"$S/full.xml"
truncate -s "${FMETA_MIB}M" "$S/full.pristine.meta"
t0=$(now_ns)
thin_restore -i "$S/full.xml" -o "$S/full.pristine.meta" >"$S/full.restore.log" 2>&1 ||
	{ cat "$S/full.restore.log"; echo "thin: thin_restore failed" >&2; exit 1; }
echo "thin_restore: $(secs_since "$t0") s; metadata file: $(du -m "$S/full.pristine.meta" | cut -f1) MiB allocated"

# full_run TAG CACHE_MIB (0 = ulvmd's default, no option): sets FULL_OK,
# FULL_BASE and FULL_HWM (KiB), FULL_CHECK (thin_check exit status).
full_run() {
	local tag=$1 cmib=$2 name=ulvmd-full-$1 fpid t0 t1 t2 t3 want got all msg sus res id used0 used1 meta
	local opt=() col=ulvm-full-$1 data=$S/full.data
	[ "$cmib" = 0 ] || opt=(--thin-metadata-cache "$cmib")
	FRUN=$S/run-$tag
	FULL_OK=1
	cp --sparse=always "$S/full.pristine.meta" "$S/full.meta"
	[ "$FDATA" = zero ] || truncate -s $((FNDATA * BLOCK)) "$data"
	"$ULVMD" --run-dir "$FRUN" "${opt[@]}" >"$S/$name.log" 2>&1 &
	PID[$name]=$!
	fpid=${PID[$name]}
	SOCK[$name]=$FRUN/nbd.sock
	for _ in $(seq 100); do [ -S "$FRUN/control.sock" ] && break; sleep 0.1; done
	wait_sock "$name" || { cat "$S/$name.log"; echo "thin: $name did not start" >&2; exit 1; }
	fu() { "$ULVM_BIN" --run-dir "$FRUN" "$@"; }
	fuu="nbd+unix:///fv?socket=$FRUN/nbd.sock"
	# The baseline: what serving the same 4 KiB load costs without any
	# metadata (NBD buffers, worker stacks), through a zero device.
	fu dmsetup create fbase --table "0 $((FB * BLOCK / 512)) zero"
	for rw in randread randwrite; do
		fio --name=base --ioengine=nbd --uri="nbd+unix:///fbase?socket=$FRUN/nbd.sock" --rw=$rw \
			"${R4[@]}" --time_based --runtime=3 --output=/dev/null
	done
	fu dmsetup remove fbase
	FULL_BASE=$(kb_of "$fpid" VmHWM)
	echo 5 >"/proc/$fpid/clear_refs"
	echo "-- ulvmd ${opt[*]:-(default metadata cache, 64 MiB)}: baseline peak RSS $(mib "$FULL_BASE") MiB serving 4 KiB random reads and writes of a zero device"
	fstep() { echo "   $1: RSS $(mib "$(kb_of "$fpid" VmRSS)") MiB, peak $(mib "$(kb_of "$fpid" VmHWM)") MiB"; }

	t0=$(now_ns)
	if [ "$FDATA" = zero ]; then
		fu dmsetup create fz --table "0 $((FNDATA * BLOCK / 512)) zero"
		data=/dev/mapper/fz
	fi
	fu dmsetup create fp --table "0 $((FNDATA * BLOCK / 512)) thin-pool $S/full.meta $data 128 0 1 skip_block_zeroing"
	fu dmsetup create fv --table "0 $((FB * BLOCK / 512)) thin /dev/mapper/fp 1"
	t1=$(now_ns)
	got=$(fu dmsetup status fv)
	t2=$(now_ns)
	want=$((FB * BLOCK / 512))
	echo "   activate pool + thin: $(ms $((t1 - t0))) ms; thin status: $(ms $((t2 - t1))) ms: $got"
	if [ "$(awk '{print $4}' <<<"$got")" != "$want" ]; then
		echo "   FAILED: thin status shows $(awk '{print $4}' <<<"$got") mapped sectors, expected $want"
		FULL_OK=0
	fi
	used0=$(fu dmsetup status fp | awk '{split($6, d, "/"); print d[1]}')
	echo "   pool: $(fu dmsetup status fp)"
	fstep "after activation and status"

	run full-rand-read-4k "$col" "$fuu" "$fpid" IOPS "whole volume, all mapped" --rw=randread "${R4[@]}"
	fstep "after random reads"
	run full-overwrite-4k "$col" "$fuu" "$fpid" IOPS "unshared: no allocation" --rw=randwrite "${R4[@]}"
	fstep "after random overwrites"

	# Not timed with the snapshots: the first suspend writes back what
	# the overwrites left in the page cache (BENCH_FULL_DATA=file).
	t0=$(now_ns)
	fu dmsetup suspend fv
	fu dmsetup resume fv
	echo "   flush (suspend + resume of the thin, before the snapshots): $(ms $(($(now_ns) - t0))) ms"
	all="" msg="" sus="" res=""
	id=2
	for _ in $(seq "$NSNAPS"); do
		t0=$(now_ns)
		fu dmsetup suspend fv
		t1=$(now_ns)
		fu dmsetup message fp 0 "create_snap $id 1"
		t2=$(now_ns)
		fu dmsetup resume fv
		t3=$(now_ns)
		all+=" $(ms $((t3 - t0)))"
		sus+=" $(ms $((t1 - t0)))"
		msg+=" $(ms $((t2 - t1)))"
		res+=" $(ms $((t3 - t2)))"
		id=$((id + 1))
	done
	echo "   create_snap of the fully mapped volume, ms: suspend$sus; message$msg; resume$res"
	echo "   create_snap medians: message $(median <<<"$msg") ms, suspend+message+resume $(median <<<"$all") ms"
	fstep "after $NSNAPS snapshots"

	run full-cow-write-4k "$col" "$fuu" "$fpid" IOPS "after snap: every write CoW" --rw=randwrite "${R4[@]}"
	fstep "after copy-on-write writes"
	t0=$(now_ns)
	fu dmsetup suspend fp
	fu dmsetup resume fp
	echo "   commit (pool suspend + resume): $(ms $(($(now_ns) - t0))) ms"
	meta=$(fu dmsetup status fp)
	used1=$(awk '{split($6, d, "/"); print d[1]}' <<<"$meta")
	echo "   pool: $meta"
	echo "   metadata: $(awk '{split($5, m, "/"); printf "%d of %d blocks (%.1f MiB of %.1f MiB)", m[1], m[2], m[1] / 256, m[2] / 256}' <<<"$meta");"\
		"data: $((used1 - used0)) blocks allocated by copy-on-write, $((FNDATA - used1)) spare left"
	t0=$(now_ns)
	fu dmsetup remove fv
	fu dmsetup remove fp
	[ "$FDATA" = file ] || fu dmsetup remove fz
	echo "   remove thin + pool: $(ms $(($(now_ns) - t0))) ms"
	fstep "after removing the devices"
	FULL_HWM=$(kb_of "$fpid" VmHWM)
	stop "$name"
	t0=$(now_ns)
	FULL_CHECK=0
	thin_check "$S/full.meta" >"$S/full.check.$tag.log" 2>&1 || FULL_CHECK=$?
	echo "   thin_check: exit $FULL_CHECK in $(secs_since "$t0") s: $(grep -v '^examining\|^checking' "$S/full.check.$tag.log" | tr '\n' ' ')"
	[ "$FULL_CHECK" = 0 ] || { cat "$S/full.check.$tag.log"; FULL_OK=0; }
	t0=$(now_ns)
	rm -f "$S/full.meta" "$S/full.data"
	echo "   scratch files deleted in $(secs_since "$t0") s"
}

full_run 64 0
ok64=$FULL_OK chk64=$FULL_CHECK base64=$FULL_BASE hwm64=$FULL_HWM
if [ "$FSMALL" != 0 ]; then
	full_run "$FSMALL" "$FSMALL"
	oks=$FULL_OK bases=$FULL_BASE hwms=$FULL_HWM
fi
rm -f "$S/full.pristine.meta" "$S/full.xml"
echo
echo "full part: $(secs_since "$full_t0") s in all"
# growth BASE HWM CACHE_MIB: "MiB over baseline, MiB over the cache bound"
growth() { awk -v b="$1" -v h="$2" -v c="$3" 'BEGIN {printf "%.1f %.1f\n", (h - b) / 1024, (h - b) / 1024 - c}'; }
read -r g64 o64 < <(growth "$base64" "$hwm64" 64)
ok=0
[ "$ok64" = 1 ] && [ "$chk64" = 0 ] && awk -v o="$o64" 'BEGIN {exit !(o <= 8)}' && ok=1
echo "rule: MET if every step succeeded (thin status shows every block mapped, fio and the dm verbs"\
" without error), thin_check is clean, and ulvmd's peak RSS (VmHWM, activation to removal) grew"\
" over its baseline (its peak RSS serving the same 4 KiB random I/O from a zero device) by at most"\
" the cache bound + 8 MiB, and the part over the bound is the same (within 2 MiB) with a"\
" BENCH_FULL_SMALL_CACHE bound: a constant (pool and worker bookkeeping: copy buffers, the"\
" transaction's shadow set), so that memory follows the bound, not the volume"
echo "default cache (64 MiB): baseline $(mib "$base64") MiB, peak $(mib "$hwm64") MiB: grew $g64 MiB,"\
" $o64 MiB over the bound; steps $([ "$ok64" = 1 ] && echo ok || echo FAILED); thin_check exit $chk64"
if [ "$FSMALL" != 0 ]; then
	read -r gs os < <(growth "$bases" "$hwms" "$FSMALL")
	# The part over the bound is a constant: the same with either bound.
	[ "$oks" = 1 ] && awk -v o="$os" -v p="$o64" 'BEGIN {d = o - p; exit !(o <= 8 && d <= 2 && d >= -2)}' || ok=0
	echo "--thin-metadata-cache $FSMALL: baseline $(mib "$bases") MiB, peak $(mib "$hwms") MiB: grew $gs MiB,"\
" $os MiB over the bound; steps $([ "$oks" = 1 ] && echo ok || echo FAILED)"
fi
bar "fully mapped $FSIZE volume works within the metadata cache bound (64 MiB: +$g64 MiB RSS)" "$ok"
fi
