# Sourced by bench/raid.sh and bench/raid-parity.sh: a scratch dir on a
# real disk, one ulvmd started and killed by its recorded PID, fio over NBD
# and waiting for a raid device to be in sync.  Needs $build set.
ULVMD=$build/src/daemon/ulvmd
ULVM=$build/src/cli/ulvm
RUNTIME=${BENCH_RUNTIME:-5}
S=$(mktemp -d "${BENCH_DIR:-/var/tmp}/ulvm-raid.XXXXXX")
UPID=
cleanup() {
	[ -n "$UPID" ] && kill "$UPID" 2>/dev/null && wait "$UPID" 2>/dev/null
	rm -rf "$S"
}
trap cleanup EXIT
export ULVM_RUN_DIR=$S/run
drop() { sync; [ -w /proc/sys/vm/drop_caches ] && echo 3 >/proc/sys/vm/drop_caches; true; }
start() {
	"$ULVMD" --run-dir "$S/run" >>"$S/ulvmd.log" 2>&1 &
	UPID=$!
	for _ in $(seq 100); do [ -S "$S/run/nbd.sock" ] && return 0; sleep 0.1; done
	cat "$S/ulvmd.log"; exit 1
}
stop() { kill "$UPID"; wait "$UPID" || true; UPID=; }
uri() { echo "nbd+unix:///$1?socket=$S/run/nbd.sock"; }
# fio over NBD: MB/s (1M) or IOPS (4k) of one run.
fio_rate() { # NAME RW BS QD EXPORT [RUNTIME]
	local out
	out=$(fio --name="$1" --ioengine=nbd --uri="$(uri "$5")" --rw="$2" --bs="$3" --iodepth="$4" \
		--time_based --runtime="${6:-$RUNTIME}" --ramp_time=1 --output-format=json)
	python3 -c '
import json,sys
t=sys.stdin.read(); j=json.loads(t[t.index("{"):]); d=j["jobs"][0]
d=d["write"] if d["write"]["io_bytes"]>d["read"]["io_bytes"] else d["read"]
print("%.0f" % (d["bw_bytes"]/1e6 if sys.argv[1]=="1M" else d["iops"]))' "$3" <<<"$out"
}
# Wait for raid device $1 to be idle with all legs in sync; print the seconds it took from $2 (ns).
wait_sync() {
	local st h a r
	for _ in $(seq 36000); do
		st=$("$ULVM" dmsetup status "$1")
		read -r _ _ _ _ _ h r a _ <<<"$st"
		[ "$a" = idle ] && [ "${h//A/}" = "" ] && [ "${r%/*}" = "${r#*/}" ] && break
		sleep 0.05
	done
	awk -v t="$(($(date +%s%N) - $2))" 'BEGIN {printf "%.2f", t / 1e9}'
}
