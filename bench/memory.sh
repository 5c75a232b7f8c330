#!/usr/bin/env bash
# Memory of ulvmd with 100 mapped devices and 64 NBD connections at once.
#   bench/memory.sh BUILD_DIR
# The bar: peak RSS (VmHWM) of ulvmd < 64 MiB.
# BENCH_ULVMD_ARGS: more ulvmd options (--cache=none: every connection then
# has its own io_uring ring).
#
# What it does: start ulvmd; create 100 `linear` devices of 64 MiB, each over
# its own sparse file; open 64 NBD connections at once with libnbd (one
# Python process, one handle per connection, spread over the devices) and
# keep them all open through three phases:
#   idle     the 64 connections are open (handshake done) and do nothing
#   4k-io    every connection keeps 32 x 4 KiB requests in flight (half
#            reads, half writes) for BENCH_PHASE seconds [3]
#   1M-io    every connection keeps 8 x 1 MiB requests in flight (writes,
#            then reads) for BENCH_PHASE seconds: 64 x 8 MiB = 512 MiB of
#            requests outstanding at once
# VmHWM (peak RSS) is reset (echo 5 > /proc/PID/clear_refs) at the start of
# each phase and read at its end, so each phase has its own peak; the
# overall peak is the highest of them (and of the start-up and create steps).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
ULVMD=$build/src/daemon/ulvmd
ULVM=$build/src/cli/ulvm
NDEV=${BENCH_DEVICES:-100}
NCONN=${BENCH_CONNECTIONS:-64}
PHASE=${BENCH_PHASE:-3}
BAR_MIB=64
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
"$PY" -c 'import nbd' 2>/dev/null || { echo "memory: python3-libnbd is not installed" >&2; exit 2; }
[ -x "$ULVMD" ] && [ -x "$ULVM" ] || { echo "memory: $ULVMD or $ULVM is missing" >&2; exit 2; }

S=$(mktemp -d "${BENCH_DIR:-/var/tmp}/ulvm-mem.XXXXXX")
RUN=$S/run
export ULVM_RUN_DIR=$RUN
PIDS=()
cleanup() {
	set +e
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$p" 2>/dev/null && echo "note: pid $p ignored SIGTERM for 5 s; killed"
		wait "$p" 2>/dev/null
	done
	[ "${BENCH_KEEP:-}" = 1 ] && echo "scratch kept in $S" || rm -rf "$S"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# shellcheck disable=SC2086 # BENCH_ULVMD_ARGS: more daemon options (--cache=none)
"$ULVMD" --run-dir "$RUN" ${BENCH_ULVMD_ARGS:-} >"$S/ulvmd.log" 2>&1 &
DPID=$!
PIDS+=("$DPID")
for _ in $(seq 100); do
	[ -S "$RUN/control.sock" ] && [ -S "$RUN/nbd.sock" ] && break
	kill -0 "$DPID" 2>/dev/null || { cat "$S/ulvmd.log"; echo "memory: ulvmd exited" >&2; exit 1; }
	sleep 0.1
done
[ -S "$RUN/nbd.sock" ] || { echo "memory: ulvmd did not create its sockets" >&2; exit 1; }

kib() { awk '/^'"$1"':/ {print $2}' "/proc/$DPID/status"; }
mib() { awk -v k="$1" 'BEGIN {printf "%.1f", k / 1024}'; }
peak=0
step() { # name: print VmHWM, VmRSS, threads now, reset VmHWM
	local hwm rss thr
	hwm=$(kib VmHWM) rss=$(kib VmRSS) thr=$(kib Threads)
	[ "$hwm" -gt "$peak" ] && peak=$hwm
	printf '%-28s VmHWM %7s MiB   VmRSS %7s MiB   threads %s\n' "$1" "$(mib "$hwm")" "$(mib "$rss")" "$thr"
	echo 5 >"/proc/$DPID/clear_refs"
}
sleep 0.5
step "started"

for i in $(seq -f '%03g' 0 $((NDEV - 1))); do
	truncate -s 64M "$S/disk$i.img"
	"$ULVM" dmsetup create "m$i" --table "0 131072 linear $S/disk$i.img 0" >/dev/null
done
n=$("$ULVM" dmsetup ls | grep -c '^m[0-9]')
[ "$n" -eq "$NDEV" ] || { echo "memory: $n devices listed, not $NDEV" >&2; exit 1; }
step "$NDEV devices created"

# The client: NCONN handles; it prints one line per phase after the phase
# ends and waits for the shell to read the daemon's status (a line on stdin)
# before starting the next one.
cat >"$S/client.py" <<'EOF'
import nbd, random, sys, threading, time
sock, ndev, nconn, phase = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
handles = []
for i in range(nconn):
    h = nbd.NBD()
    h.connect_uri('nbd+unix:///m%03d?socket=%s' % (i % ndev, sock))
    handles.append(h)
errors = []

def drive(h, size, depth, kinds):
    try:
        dev = h.get_size()
        bufs = [nbd.Buffer(size) for _ in range(depth)]
        end = time.monotonic() + phase / len(kinds)
        for kind in kinds:
            while time.monotonic() < end:
                for i, b in enumerate(bufs):
                    off = random.randrange(dev // size) * size
                    k = kind if kind != 'mix' else ('r' if i % 2 else 'w')
                    if k == 'r':
                        h.aio_pread(b, off, completion=lambda e: 1)
                    else:
                        h.aio_pwrite(b, off, completion=lambda e: 1)
                while h.aio_in_flight() > 0:
                    h.poll(-1)
            end += phase / len(kinds)
    except Exception as e:
        errors.append(repr(e))

def run(size, depth, kinds):
    ts = [threading.Thread(target=drive, args=(h, size, depth, kinds)) for h in handles]
    for t in ts: t.start()
    for t in ts: t.join()

def done(name):
    print(name, flush=True)
    sys.stdin.readline()

done('idle')
time.sleep(phase)
done('idle-end')
run(4096, 32, ['mix'])
done('4k-io')
run(1 << 20, 8, ['w', 'r'])
done('1M-io')
for h in handles:
    h.shutdown()
if errors:
    print('errors: %d, first: %s' % (len(errors), errors[0]), flush=True)
    sys.exit(1)
print('end', flush=True)
EOF
coproc CLIENT { exec "$PY" "$S/client.py" "$RUN/nbd.sock" "$NDEV" "$NCONN" "$PHASE" 2>&1; }
PIDS+=("$CLIENT_PID")
cpid=$CLIENT_PID
while read -r line <&"${CLIENT[0]}"; do
	case $line in
	idle) step "$NCONN connections open"
	      echo "connected unix sockets of ulvmd (ss -xp): $(ss -xp 2>/dev/null | grep -c "pid=$DPID,")" ;;
	idle-end) step "  ... idle for ${PHASE}s" ;;
	4k-io) step "  ... 4 KiB I/O, QD32 each" ;;
	1M-io) step "  ... 1 MiB I/O, QD8 each" ;;
	end) break ;;
	*) echo "client: $line" ;;
	esac
	echo 1>&"${CLIENT[1]}" || true
done
rc=0
wait "$cpid" || rc=$?
[ "$rc" -eq 0 ] || { echo "memory: the libnbd client failed (exit $rc)" >&2; tail -n 20 "$S/ulvmd.log" >&2; exit 1; }
kill -0 "$DPID" 2>/dev/null || { echo "memory: ulvmd died" >&2; exit 1; }

echo
printf 'peak RSS of ulvmd (highest VmHWM above): %s MiB, bar < %d MiB: %s\n' "$(mib "$peak")" "$BAR_MIB" \
	"$([ "$peak" -lt $((BAR_MIB * 1024)) ] && echo MET || echo NOT MET)"
