#!/usr/bin/env bash
# Parity RAID against striping over the same files, in one run, fio over
# NBD, the files in the page cache (read once before: on this one-disk VM a
# cold cache would measure the disk, not the raid code):
#   1. 1 MiB sequential writes QD8 (full stripes but at the ends of each
#      request): raid5 on 4 files vs striped on 4, raid6 on 5 vs striped
#      on 5.  Parity costs a device per stripe, so the bar scales by the
#      data share: raid5 >= 0.8 x 3/4, raid6 >= 0.8 x 3/5 of striped;
#   2. 4 KiB random writes QD32, raid5 vs striped on the same 4 files
#      (read-modify-write: 2 reads and 2 writes each): >= 0.35;
#   3. 4 KiB random reads QD32 on raid5 with one leg missing vs healthy
#      (a read of the lost leg reads the other 3): >= 0.5;
#   4. perf record on ulvmd during the raid5 and the raid6 full-stripe
#      writes: the share of samples in ISA-L's parity code (xor_gen,
#      pq_gen, gf_*): < 5%.
#   bench/raid-parity.sh BUILD_DIR
# Environment: BENCH_DIR [/var/tmp], BENCH_RUNTIME [5], BENCH_SIZE_MIB [512]
# (each file), BENCH_REPEAT [1] (rounds, median).  Chunk 64 KiB, as lvm2's
# default stripe size.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
SIZE_MIB=${BENCH_SIZE_MIB:-512}
REPEAT=${BENCH_REPEAT:-1}
for t in fio; do command -v "$t" >/dev/null || { echo "raid-parity: $t is not installed" >&2; exit 2; }; done
source "$top/bench/raid-common.bash"
echo "machine: $(nproc) CPUs; bench dir $S ($(df -h "$S" | awk 'NR==2 {print $1}'))"
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}'; }
rate() { # NAME RW BS QD DEV
	local runs=()
	for _ in $(seq "$REPEAT"); do runs+=("$(fio_rate "$@")"); done
	printf '%s\n' "${runs[@]}" | median
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
for i in 0 1 2 3 4; do
	fio --name=fill --filename="$S/d$i" --size="${SIZE_MIB}M" --rw=write --bs=1M --iodepth=8 --ioengine=libaio \
		--direct=1 --refill_buffers >/dev/null
done
LEG=$((SIZE_MIB * 2048))
start
# striped and parity tables over the first N files
striped() { # N
	local t="0 $(($1 * LEG)) striped $1 128"
	for i in $(seq 0 $(($1 - 1))); do t+=" $S/d$i 0"; done
	echo "$t"
}
parity() { # TYPE N NPARITY [MISSING]
	local t="0 $((($2 - $3) * LEG)) raid $1 2 128 nosync $2"
	for i in $(seq 0 $(($2 - 1))); do
		rm -f "$S/m-$1-$i"
		truncate -s 4M "$S/m-$1-$i" # each array its own rmeta files
		if [ "$i" = "${4:-x}" ]; then t+=" - -"; else t+=" $S/m-$1-$i $S/d$i"; fi
	done
	echo "$t"
}
warm() { cat "$S"/d? >/dev/null; }

echo "== 1. 1 MiB sequential writes QD8: parity vs striped over the same files, ${RUNTIME}s, median of $REPEAT"
"$ULVM" dmsetup create s4 --table "$(striped 4)"
"$ULVM" dmsetup create r5 --table "$(parity raid5_ls 4 1)"
# rate_perf VAR PERFVAR ARGS...: VAR=$(rate ARGS), with perf's top symbols of
# ulvmd over the first run in PERFVAR (empty without perf or with BENCH_NO_PERF)
rate_perf() {
	local -n _val=$1 _perf=$2
	shift 2
	_perf=
	if [ -n "${BENCH_NO_PERF:-}" ] || ! command -v perf >/dev/null; then
		_val=$(rate "$@")
		return
	fi
	perf record -q -o "$S/perf.data" -p "$UPID" -- sleep $((RUNTIME + 1)) >/dev/null 2>&1 &
	local pp=$!
	_val=$(rate "$@")
	wait "$pp" || true
	_perf=$(perf report -i "$S/perf.data" --no-children --sort symbol --stdio 2>/dev/null | grep -E '^ +[0-9]')
}
warm
S4=$(rate s4 write 1M 8 s4)
rate_perf R5 perf5 r5 write 1M 8 r5
"$ULVM" dmsetup create s5 --table "$(striped 5)"
"$ULVM" dmsetup create r6 --table "$(parity raid6_zr 5 2)"
S5=$(rate s5 write 1M 8 s5)
rate_perf R6 perf6 r6 write 1M 8 r6
printf 'raid5 on 4 %s MB/s, striped on 4 %s MB/s: %s (bar %s)\n' "$R5" "$S4" "$(ratio "$R5" "$S4")" "0.60"
printf 'raid6 on 5 %s MB/s, striped on 5 %s MB/s: %s (bar %s)\n' "$R6" "$S5" "$(ratio "$R6" "$S5")" "0.48"
SEQ5=$(ratio "$R5" "$S4")
SEQ6=$(ratio "$R6" "$S5")

echo "== 2. 4 KiB random writes QD32: raid5 vs striped on the same 4 files"
warm
RW5=$(rate r5 randwrite 4k 32 r5)
RWS=$(rate s4 randwrite 4k 32 s4)
printf 'raid5 %s IOPS, striped %s IOPS: %s\n' "$RW5" "$RWS" "$(ratio "$RW5" "$RWS")"
RW=$(ratio "$RW5" "$RWS")

echo "== 3. 4 KiB random reads QD32 on raid5: one leg missing vs healthy"
warm
HEALTHY=$(rate r5 randread 4k 32 r5)
"$ULVM" dmsetup remove r5
"$ULVM" dmsetup create r5 --table "$(parity raid5_ls 4 1 2)"
DEGRADED=$(rate r5 randread 4k 32 r5)
printf 'degraded %s IOPS, healthy %s IOPS: %s\n' "$DEGRADED" "$HEALTHY" "$(ratio "$DEGRADED" "$HEALTHY")"
DG=$(ratio "$DEGRADED" "$HEALTHY")
for d in r5 r6 s4 s5; do "$ULVM" dmsetup remove "$d"; done
stop

# the share of ISA-L's parity code in perf's top symbols
par_share() { awk '/xor_gen|pq_gen|gf_vect|ec_encode|gf_[0-9a-z_]*mad|raid_xor_into/ {gsub("%", "", $1); s += $1} END {printf "%.1f", s}' <<<"$1"; }
PAR5= PAR6=
for lv in 5 6; do
	out=perf$lv
	echo "== 4. where ulvmd's CPU goes during the raid$lv sequential writes (perf, top symbols)"
	if [ -n "${!out}" ]; then
		head -n 12 <<<"${!out}"
		printf -v "PAR$lv" '%s' "$(par_share "${!out}")"
		v=PAR$lv
		echo "parity code: ${!v}% of ulvmd's samples"
	else
		echo "(perf not run)"
	fi
done

echo
printf '%-52s %8s %s\n' bar measured verdict
verdict() { awk -v v="$2" -v b="$3" -v op="$4" 'BEGIN {ok = op == ">=" ? v >= b : v < b; printf "%-52s %8s %s\n", ARGV[1], v, ok ? "MET" : "NOT MET"}' "$1"; }
verdict "raid5 1M seq write / striped >= 0.8 x 3/4" "$SEQ5" 0.6 ">="
verdict "raid6 1M seq write / striped >= 0.8 x 3/5" "$SEQ6" 0.48 ">="
verdict "raid5 4k random write / striped >= 0.35" "$RW" 0.35 ">="
verdict "raid5 degraded 4k random read / healthy >= 0.5" "$DG" 0.5 ">="
[ -n "$PAR5" ] && verdict "raid5 parity share of ulvmd CPU, % < 5" "$PAR5" 5 "<"
[ -n "$PAR6" ] && verdict "raid6 parity share of ulvmd CPU, % < 5" "$PAR6" 5 "<"
true
