#!/usr/bin/env bash
# ulvm `linear` served by ulvmd over NBD, side by side with qemu-nbd, nbdkit
# and the raw file, all on the same fully written 2 GiB file, with the same
# fio jobs.  Prints one table: MB/s (1 MiB sequential) or IOPS (4 KiB
# random) per server and the ratios of ulvm to the others.
#   bench/nbd-linear.sh BUILD_DIR
# Environment (defaults in brackets):
#   BENCH_DIR      where the scratch dir and the backing file go [/var/tmp];
#                  must be a real disk, not tmpfs
#   BENCH_RUNTIME  measured seconds per run [10]
#   BENCH_RAMP     unmeasured warm-up seconds per run [3]
#   BENCH_SIZE_MIB backing file size [2048]
#   BENCH_SERVERS  which columns to run [ulvm ulvm-none qemu-nbd nbdkit raw raw-buffered]
#   BENCH_ONLY     run only the workloads whose name contains this string
#   BENCH_REPEAT   rounds per workload, servers interleaved; the table shows
#                  the median [1]
#   BENCH_KEEP=1   keep the scratch dir (fio JSON, server logs) afterwards
#   BENCH_WARM=1   start each run with the whole backing file in the page
#                  cache (read after the drop) instead of a cold cache: the
#                  steady state of a data set that fits in memory
#
# The servers, exactly as run (every one started here, in the background,
# its PID recorded and killed by that PID at exit):
#   ulvm          ulvmd --run-dir S/run; ulvm dmsetup create bench
#                 --table "0 SECTORS linear FILE 0"; fio --ioengine=nbd
#   ulvm-none     the same with ulvmd --cache=none (O_DIRECT), on a copy of FILE
#                 (a second daemon may not claim the file the first holds)
#   qemu-nbd      qemu-nbd --image-opts --cache=none --aio=io_uring --shared=8 -t -k SOCK
#                 driver=raw,file.driver=file,file.filename=FILE,file.locking=off
#                 (-t only keeps it alive between fio runs; --aio=native if
#                 this qemu-nbd refuses io_uring, and the output says so;
#                 locking off because ulvmd holds its claim on FILE, which
#                 qemu's image locking would take for another user's)
#   nbdkit        nbdkit -f --unix SOCK file FILE   (default threads; -f only
#                 keeps it in the foreground so its PID is the server's)
#   raw           fio --ioengine=io_uring --direct=1 on FILE: the limit of
#                 the disk, O_DIRECT like qemu-nbd's cache=none
#   raw-buffered  fio --ioengine=io_uring --direct=0 on FILE: the limit of a
#                 server that goes through the page cache (nbdkit's file
#                 plugin and a pread/pwrite ulvm do)
# Before every run: sync, SIZE + 256 MiB of memory written and freed, then
# drop the page cache (echo 3 > /proc/sys/vm/drop_caches), so that every
# run starts with a cold cache, no dirty pages left by the run before, and
# free pages the VM has not yet handed back to its host.  With
# BENCH_REPEAT > 1 the order of the servers rotates each round.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
ULVMD=$build/src/daemon/ulvmd
ULVM=$build/src/cli/ulvm
RUNTIME=${BENCH_RUNTIME:-10}
RAMP=${BENCH_RAMP:-3}
SIZE_MIB=${BENCH_SIZE_MIB:-2048}
REPEAT=${BENCH_REPEAT:-1}
read -ra SERVERS <<<"${BENCH_SERVERS:-ulvm ulvm-none qemu-nbd nbdkit raw raw-buffered}"
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3

for t in fio qemu-nbd nbdkit nbdinfo; do
	command -v "$t" >/dev/null || { echo "nbd-linear: $t is not installed (tools/install-deps)" >&2; exit 2; }
done
fio --enghelp 2>/dev/null | grep -qx '[[:space:]]*nbd' ||
	{ echo "nbd-linear: this fio has no nbd engine" >&2; exit 2; }

S=$(mktemp -d "${BENCH_DIR:-/var/tmp}/ulvm-bench.XXXXXX")
FILE=$S/backing.img
declare -A PID=() SOCK=() URI=()

cleanup() {
	set +e
	for name in "${!PID[@]}"; do
		kill -TERM "${PID[$name]}" 2>/dev/null
	done
	for name in "${!PID[@]}"; do
		for _ in $(seq 50); do kill -0 "${PID[$name]}" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "${PID[$name]}" 2>/dev/null && echo "note: $name ignored SIGTERM for 5 s; killed"
		wait "${PID[$name]}" 2>/dev/null
	done
	if [ "${BENCH_KEEP:-}" = 1 ]; then
		rm -f "$FILE"
		echo "scratch kept in $S (backing file removed)"
	else
		rm -rf "$S"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fstype=$(findmnt -no FSTYPE -T "$S" 2>/dev/null || stat -f -c %T "$S")
case $fstype in tmpfs|ramfs) echo "nbd-linear: $S is on $fstype; set BENCH_DIR to a real disk" >&2; exit 2 ;; esac

# ---- the machine -------------------------------------------------------------
disk_src=$(df --output=source "$S" | tail -n 1)
disk_dev=$(lsblk -no PKNAME "$disk_src" 2>/dev/null | head -n 1)
[ -n "$disk_dev" ] || disk_dev=$(basename "$disk_src")
cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
echo "machine: $(nproc) CPUs, $cpu_model, $(free -g | awk '/^Mem:/ {print $2}') GiB RAM, kernel $(uname -r)"
rota=$(cat "/sys/block/$disk_dev/queue/rotational" 2>/dev/null || echo ?)
sched=$(sed 's/.*\[\(.*\)\].*/\1/' "/sys/block/$disk_dev/queue/scheduler" 2>/dev/null || echo ?)
echo "disk:    $disk_src ($fstype) on $disk_dev: rotational=$rota scheduler=$sched"
echo "tools:   $(fio --version), $(qemu-nbd --version | head -n 1), $(nbdkit --version)"
echo "runs:    ${RUNTIME}s measured after ${RAMP}s ramp, $([ -n "${BENCH_WARM:-}" ] && echo "backing file cached" || echo "cold page cache") before each run; scratch $S"

# ---- the backing file: written once, in full, so nothing is sparse -----------
fio --name=fill --filename="$FILE" --size="${SIZE_MIB}M" --rw=write --bs=1M --iodepth=8 \
	--ioengine=io_uring --direct=1 --end_fsync=1 --output=/dev/null
alloc=$(($(stat -c '%b * %B' "$FILE")))
[ "$alloc" -ge $((SIZE_MIB * 1048576)) ] || { echo "nbd-linear: $FILE is sparse ($alloc bytes allocated)" >&2; exit 1; }
echo "backing: $FILE, ${SIZE_MIB} MiB, fully allocated"

# ---- the servers -------------------------------------------------------------
# wait_sock NAME: the server's socket appears, or it died.
wait_sock() {
	local name=$1
	for _ in $(seq 100); do
		[ -S "${SOCK[$name]}" ] && return 0
		kill -0 "${PID[$name]}" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
has() { local s; for s in "${SERVERS[@]}"; do [ "$s" = "$1" ] && return 0; done; return 1; }

if has ulvm; then
	[ -x "$ULVMD" ] && [ -x "$ULVM" ] || { echo "nbd-linear: $ULVMD or $ULVM is missing" >&2; exit 2; }
	"$ULVMD" --run-dir "$S/run" >"$S/ulvmd.log" 2>&1 &
	PID[ulvm]=$!
	SOCK[ulvm]=$S/run/nbd.sock
	for _ in $(seq 100); do [ -S "$S/run/control.sock" ] && break; sleep 0.1; done
	wait_sock ulvm || { cat "$S/ulvmd.log"; echo "nbd-linear: ulvmd did not start" >&2; exit 1; }
	ULVM_RUN_DIR=$S/run "$ULVM" dmsetup create bench --table "0 $((SIZE_MIB * 2048)) linear $FILE 0"
	URI[ulvm]="nbd+unix:///bench?socket=${SOCK[ulvm]}"
fi
if has ulvm-none; then
	cp --reflink=auto "$FILE" "$S/backing-none.img"
	"$ULVMD" --run-dir "$S/run-none" --cache=none >"$S/ulvmd-none.log" 2>&1 &
	PID[ulvm-none]=$!
	SOCK[ulvm-none]=$S/run-none/nbd.sock
	for _ in $(seq 100); do [ -S "$S/run-none/control.sock" ] && break; sleep 0.1; done
	wait_sock ulvm-none || { cat "$S/ulvmd-none.log"; echo "nbd-linear: ulvmd --cache=none did not start" >&2; exit 1; }
	ULVM_RUN_DIR=$S/run-none "$ULVM" dmsetup create bench --table "0 $((SIZE_MIB * 2048)) linear $S/backing-none.img 0"
	URI[ulvm-none]="nbd+unix:///bench?socket=${SOCK[ulvm-none]}"
fi
if has qemu-nbd; then
	SOCK[qemu-nbd]=$S/qemu-nbd.sock
	qemu_aio=io_uring
	QOPTS="driver=raw,file.driver=file,file.filename=$FILE,file.locking=off"
	qemu-nbd --image-opts --cache=none --aio=io_uring --shared=8 -t -k "${SOCK[qemu-nbd]}" "$QOPTS" \
		>"$S/qemu-nbd.log" 2>&1 &
	PID[qemu-nbd]=$!
	if ! wait_sock qemu-nbd; then
		echo "note: qemu-nbd refused --aio=io_uring ($(head -n 1 "$S/qemu-nbd.log")); using --aio=native"
		kill "${PID[qemu-nbd]}" 2>/dev/null || true
		wait "${PID[qemu-nbd]}" 2>/dev/null || true
		qemu_aio=native
		qemu-nbd --image-opts --cache=none --aio=native --shared=8 -t -k "${SOCK[qemu-nbd]}" "$QOPTS" \
			>"$S/qemu-nbd.log" 2>&1 &
		PID[qemu-nbd]=$!
		wait_sock qemu-nbd || { cat "$S/qemu-nbd.log"; exit 1; }
	fi
	URI[qemu-nbd]="nbd+unix:///?socket=${SOCK[qemu-nbd]}"
fi
if has nbdkit; then
	SOCK[nbdkit]=$S/nbdkit.sock
	nbdkit -f --unix "${SOCK[nbdkit]}" file "$FILE" >"$S/nbdkit.log" 2>&1 &
	PID[nbdkit]=$!
	wait_sock nbdkit || { cat "$S/nbdkit.log"; exit 1; }
	URI[nbdkit]="nbd+unix:///?socket=${SOCK[nbdkit]}"
fi
for name in "${!URI[@]}"; do
	# the socket exists from bind(), connections work from listen(): retry
	for _ in $(seq 50); do size=$(nbdinfo --size "${URI[$name]}" 2>/dev/null) && break; sleep 0.1; done
	size=$(nbdinfo --size "${URI[$name]}")
	[ "$size" -eq $((SIZE_MIB * 1048576)) ] ||
		{ echo "nbd-linear: $name exports $size bytes, not $((SIZE_MIB * 1048576))" >&2; exit 1; }
done
has qemu-nbd && echo "qemu-nbd: --aio=$qemu_aio"
for name in "${!PID[@]}"; do echo "server:  $name pid ${PID[$name]} ${URI[$name]}"; done

# ---- the workloads -----------------------------------------------------------
# name rw bs iodepth numjobs unit
WORKLOADS=(
	"seq-read-1M-qd8         read      1M 8  1 MB/s"
	"seq-write-1M-qd8        write     1M 8  1 MB/s"
	"rand-read-4k-qd32-1conn randread  4k 32 1 IOPS"
	"rand-read-4k-qd32-2conn randread  4k 32 2 IOPS"
	"rand-write-4k-qd32-1conn randwrite 4k 32 1 IOPS"
	"rand-write-4k-qd32-2conn randwrite 4k 32 2 IOPS"
)
CLK_TCK=$(getconf CLK_TCK)
# CPU ticks (user + system, all threads) of a process so far.
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
# Before every run: SIZE + 256 MiB of memory written and freed, then the
# page cache dropped.  On a VM that gives free pages back to the host (free
# page reporting) the first touch of a page freed seconds ago costs ~10x
# (docs/PERFORMANCE.md, bench/fuse.sh); without this a buffered write run
# was fast or slow by where it came in the order.
drop_caches() {
	sync
	"$PY" -c 'import sys; b = b"\1" * (int(sys.argv[1]) << 20)' $((SIZE_MIB + 256))
	if [ -w /proc/sys/vm/drop_caches ]; then echo 3 >/proc/sys/vm/drop_caches; fi
	if [ -n "${BENCH_WARM:-}" ]; then cat "$FILE" >/dev/null; fi
}
[ -w /proc/sys/vm/drop_caches ] || echo "note: cannot write /proc/sys/vm/drop_caches (not root?): caches are not dropped between runs"

# Prints "value iops lat_avg_us lat_p99_us" of a fio JSON output (group_reporting).
parse() {
	"$PY" - "$1" "$2" <<'EOF'
import json, sys
text = open(sys.argv[1]).read()
j = json.loads(text[text.index('{'):])  # the nbd engine may log a line first
job = j['jobs'][0]
d = job['write'] if job['write']['io_bytes'] > job['read']['io_bytes'] else job['read']
value = d['bw_bytes'] / 1e6 if sys.argv[2] == 'MB/s' else d['iops']
p99 = d['clat_ns'].get('percentile', {}).get('99.000000', 0)
print('%.0f %.0f %.0f %.0f' % (value, d['iops'], d['lat_ns']['mean'] / 1e3, p99 / 1e3))
EOF
}

declare -A RES=() CPU=() ALL=()
nruns=0
for w in "${WORKLOADS[@]}"; do
	read -r wl _ <<<"$w"
	[ -z "${BENCH_ONLY:-}" ] || [[ $wl == *"$BENCH_ONLY"* ]] || continue
	nruns=$((nruns + ${#SERVERS[@]} * REPEAT))
done
echo "about $((nruns * (RUNTIME + RAMP + 2) / 60 + 1)) minutes for $nruns runs"
echo
median() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR] = $1} END {print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
printf '%-26s %-13s %12s %10s %10s %8s %9s\n' workload server value lat-avg-us lat-p99-us srv-CPU srv-us/req
for w in "${WORKLOADS[@]}"; do
	read -r wl rw bs qd nj unit <<<"$w"
	[ -z "${BENCH_ONLY:-}" ] || [[ $wl == *"$BENCH_ONLY"* ]] || continue
	for round in $(seq "$REPEAT"); do
	# the order rotates each round (a b c, b c a, ...): no server always first
	order=("${SERVERS[@]:$(((round - 1) % ${#SERVERS[@]}))}" "${SERVERS[@]:0:$(((round - 1) % ${#SERVERS[@]}))}")
	for s in "${order[@]}"; do
		out=$S/$s.$wl.$round
		job=(--name="$wl" --rw="$rw" --bs="$bs" --iodepth="$qd" --numjobs="$nj"
		     --time_based --runtime="$RUNTIME" --ramp_time="$RAMP" --group_reporting
		     --output-format=json --output="$out.json")
		case $s in
		raw) eng=(--ioengine=io_uring --direct=1 --filename="$FILE") ;;
		raw-buffered) eng=(--ioengine=io_uring --direct=0 --filename="$FILE") ;;
		*) eng=(--ioengine=nbd --uri="${URI[$s]}") ;;
		esac
		drop_caches
		pid=${PID[$s]:-}
		fio "${job[@]}" "${eng[@]}" >"$out.out" 2>&1 &
		fpid=$!
		# The server's CPU is sampled over the measured part only: from
		# the end of the ramp to the end of the run.
		sleep "$RAMP"
		[ -z "$pid" ] || c0=$(cpu_ticks "$pid")
		t0=$(date +%s%N)
		if ! wait "$fpid"; then
			echo "nbd-linear: fio failed for $s $wl:" >&2
			tail -n 20 "$out.out" "$out.json" >&2 || true
			[ -z "$pid" ] || kill -0 "$pid" 2>/dev/null || echo "nbd-linear: $s (pid $pid) is gone" >&2
			exit 1
		fi
		t1=$(date +%s%N)
		read -r val iops lat p99 < <(parse "$out.json" "$unit")
		cpu=- per=-
		if [ -n "$pid" ]; then
			c1=$(cpu_ticks "$pid")
			read -r cpu per < <(awk -v c="$((c1 - c0))" -v hz="$CLK_TCK" -v ns="$((t1 - t0))" -v iops="$iops" \
				'BEGIN {s = c / hz; w = ns / 1e9; printf "%.0f%% %.1f\n", 100 * s / w, iops ? 1e6 * s / (iops * w) : 0}')
		fi
		ALL[$s,$wl]+=" $val"
		CPU[$s,$wl]+=" $per"
		printf '%-26s %-13s %12s %10s %10s %8s %9s\n' "$wl" "$s" "$val $unit" "$lat" "$p99" "$cpu" "$per"
	done
	done
	for s in "${SERVERS[@]}"; do
		RES[$s,$wl]=$(median <<<"${ALL[$s,$wl]}" | awk '{printf "%.0f", $1}')
		[ "${CPU[$s,$wl]# }" = - ] || CPU[$s,$wl]=$(median <<<"${CPU[$s,$wl]}" | awk '{printf "%.1f", $1}')
	done
done

# ---- the table ---------------------------------------------------------------
ratio() { # a b
	[ -n "${1:-}" ] && [ -n "${2:-}" ] && [ "$2" != 0 ] || { echo -; return; }
	awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'
}
echo
rounds=""
[ "$REPEAT" -eq 1 ] || rounds=", median of $REPEAT rounds"
echo "Results (MB/s = 10^6 bytes/s$rounds)"
hdr=$(printf '%-26s %-5s' workload unit)
for s in "${SERVERS[@]}"; do hdr+=$(printf ' %12s' "$s"); done
has ulvm && has qemu-nbd && hdr+=$(printf ' %10s' ulvm/qemu)
has ulvm && has nbdkit && hdr+=$(printf ' %10s' ulvm/nbdkit)
has ulvm && has raw && hdr+=$(printf ' %10s' ulvm/raw)
has ulvm-none && has qemu-nbd && hdr+=$(printf ' %10s' none/qemu)
echo "$hdr"
behind=() behind_none=()
for w in "${WORKLOADS[@]}"; do
	read -r wl rw bs qd nj unit <<<"$w"
	[ -z "${BENCH_ONLY:-}" ] || [[ $wl == *"$BENCH_ONLY"* ]] || continue
	line=$(printf '%-26s %-5s' "$wl" "$unit")
	for s in "${SERVERS[@]}"; do line+=$(printf ' %12s' "${RES[$s,$wl]:--}"); done
	if has ulvm; then
		for o in qemu-nbd nbdkit raw; do
			has "$o" || continue
			r=$(ratio "${RES[ulvm,$wl]:-}" "${RES[$o,$wl]:-}")
			line+=$(printf ' %10s' "$r")
			if [ "$o" != raw ] && [ "$r" != - ] &&
			   awk -v a="${RES[ulvm,$wl]}" -v b="${RES[$o,$wl]}" 'BEGIN {exit !(a < b)}'; then
				behind+=("$wl<$o")
			fi
		done
	fi
	if has ulvm-none && has qemu-nbd; then # both O_DIRECT: the bar is 1.2x
		r=$(ratio "${RES[ulvm-none,$wl]:-}" "${RES[qemu-nbd,$wl]:-}")
		line+=$(printf ' %10s' "$r")
		if [ "$r" != - ] && awk -v r="$r" 'BEGIN {exit !(r < 1.2)}'; then behind_none+=("$wl"); fi
	fi
	echo "$line"
done
if has ulvm && { has qemu-nbd || has nbdkit; }; then
	if [ ${#behind[@]} -eq 0 ]; then
		echo "bar (ulvm >= qemu-nbd and nbdkit on every workload): MET"
	else
		echo "bar (ulvm >= qemu-nbd and nbdkit on every workload): NOT MET: ${behind[*]}"
	fi
fi
if has ulvm-none && has qemu-nbd; then
	if [ ${#behind_none[@]} -eq 0 ]; then
		echo "bar (ulvm --cache=none >= 1.2x qemu-nbd --cache=none on every workload): MET"
	else
		echo "bar (ulvm --cache=none >= 1.2x qemu-nbd --cache=none on every workload): NOT MET: ${behind_none[*]}"
	fi
fi
echo
echo "Server CPU per request, microseconds (user + system, all threads, measured part of the run$rounds)"
hdr=$(printf '%-26s' workload)
cpus=()
for s in "${SERVERS[@]}"; do [ -n "${PID[$s]:-}" ] && cpus+=("$s") && hdr+=$(printf ' %12s' "$s"); done
echo "$hdr"
for w in "${WORKLOADS[@]}"; do
	read -r wl _ <<<"$w"
	[ -z "${BENCH_ONLY:-}" ] || [[ $wl == *"$BENCH_ONLY"* ]] || continue
	line=$(printf '%-26s' "$wl")
	for s in "${cpus[@]}"; do line+=$(printf ' %12s' "${CPU[$s,$wl]:--}"); done
	echo "$line"
done
