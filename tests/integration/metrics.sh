#!/usr/bin/env bash
# ulvmd --metrics ADDR:PORT, with real clients:
#  - fio (nbd engine) on a linear device and on a thin volume at once;
#    a scrape taken while it runs passes `promtool check metrics`; once
#    it ends, each device's read/write request and byte counters match
#    fio's own totals (--output-format=json) within 1%;
#  - flush and discard counters, the latency histograms' counts, the NBD
#    connection and open-handle gauges under load, FUSE open files;
#  - thin pool metrics: data used grows with the writes, the low water
#    event is counted, the mode is rw;
#  - HTTP that is wrong: malformed -> 400 (or dropped), POST -> 405,
#    /nope -> 404; the daemon serves on; a bad --metrics address or a
#    port in use is refused at start with a message naming it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
need fio curl promtool python3 qemu-io
fio --enghelp 2>/dev/null | grep -qw nbd || skip "fio has no nbd engine"
step() { echo "== $*"; }

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Start ulvmd with --metrics on a free port; another process may take the
# port between free_port and the bind, so a refused start is tried again.
start_with_metrics() {
	local try
	for try in 1 2 3 4 5; do
		PORT=$(free_port)
		# shellcheck disable=SC2086 # ULVMD_ARGS: options of a test variant (tests/run)
		"$ULVMD_BIN" --run-dir "$RUN" ${ULVMD_ARGS:-} --metrics "127.0.0.1:$PORT" "$@" \
			>"$T/ulvmd.log" 2>&1 &
		ULVMD_PID=$!
		track "$ULVMD_PID"
		for _ in $(seq 100); do
			[ -S "$RUN/control.sock" ] && return 0
			kill -0 "$ULVMD_PID" 2>/dev/null || break
			sleep 0.1
		done
		wait "$ULVMD_PID" 2>/dev/null || true
		grep -q 'Address already in use' "$T/ulvmd.log" || { cat "$T/ulvmd.log"; fail "ulvmd did not start"; }
		echo "port $PORT was taken (try $try)"
	done
	fail "no free port in 5 tries"
}

F=$T/fs
FUSE=()
if [ -e /dev/fuse ] && command -v mountpoint >/dev/null; then
	mkdir -p "$F"
	FUSE=(--fuse "$F")
fi
mkfile "$T/lin.img" 64M
mkfile "$T/meta" 8M
mkfile "$T/data" 128M
start_with_metrics "${FUSE[@]}"
M=http://127.0.0.1:$PORT/metrics
grep -q "serving metrics on http://127.0.0.1:$PORT/metrics" "$T/ulvmd.log" || fail "no log line for --metrics"

scrape() { curl -sSf --max-time 10 "$M" >"$1" || fail "scrape of $M failed"; }
# The value of one series, exactly as written (name{labels}), or "".
val() { awk -v s="$2" '$1 == s { print $2 }' "$1"; }
want() { # file series value
	local v
	v=$(val "$1" "$2")
	[ "$v" = "$3" ] || fail "$2 is '$v', want $3 ($1)"
}

step "devices: a linear one, a thin pool (2048 blocks of 64 KiB, low water 2040) and a thin volume"
ulvm dmsetup create lin --table "0 131072 linear $T/lin.img 0"
ulvm dmsetup create pool --table "0 262144 thin-pool $T/meta $T/data 128 2040"
ulvm dmsetup message pool 0 "create_thin 0"
ulvm dmsetup create thin0 --table "0 524288 thin /dev/mapper/pool 0"
# A name may hold any byte but control characters: quotes, backslashes
# and bytes that are not UTF-8 must still make a valid scrape.
odd=$(printf 'odd"\\\xff\xc3')
ulvm dmsetup create "$odd" --table "0 8 zero"
scrape "$T/modd"
promtool check metrics <"$T/modd" || fail "promtool with an odd device name"
grep -qF 'ulvm_device_info{device="odd\"\\'$'\xef\xbf\xbd\xef\xbf\xbd''",' "$T/modd" ||
	fail "odd name not escaped: $(grep -a 'device_info{device="odd' "$T/modd")"
ulvm dmsetup remove "$odd"
scrape "$T/m0"
promtool check metrics <"$T/m0" || fail "promtool on the idle scrape"
want "$T/m0" 'ulvm_devices' 3
want "$T/m0" 'ulvm_device_info{device="thin0",export="thin0"}' 1
want "$T/m0" 'ulvm_device_size_bytes{device="lin"}' $((64 << 20))
want "$T/m0" 'ulvm_device_reads_completed_total{device="lin"}' 0
want "$T/m0" 'ulvm_thin_pool_data_blocks{device="pool"}' 2048
want "$T/m0" 'ulvm_thin_pool_data_bytes{device="pool"}' $((128 << 20))
want "$T/m0" 'ulvm_thin_pool_data_used_blocks{device="pool"}' 0
want "$T/m0" 'ulvm_thin_pool_metadata_bytes{device="pool"}' $((8 << 20))
want "$T/m0" 'ulvm_thin_pool_mode{device="pool",mode="rw"}' 1
want "$T/m0" 'ulvm_thin_pool_mode{device="pool",mode="out_of_data_space"}' 0
want "$T/m0" 'ulvm_thin_pool_low_water_events_total{device="pool",space="data"}' 0
grep -q '^# TYPE ulvm_device_read_seconds histogram$' "$T/m0" || fail "no read latency histogram"
[ -z "$(val "$T/m0" 'ulvm_thin_pool_data_blocks{device="thin0"}')" ] || fail "a thin volume reports pool metrics"

step "fio on lin (random reads and writes, 4k-64k) and thin0 (random writes) at once"
fio_job() { # name uri json args...
	local name=$1 u=$2 json=$3
	shift 3
	fio --name="$name" --ioengine=nbd --uri="$u" --numjobs=2 --iodepth=8 --group_reporting \
		--time_based --runtime=8 --output-format=json --output="$json" "$@"
}
fio_job lin "$(uri lin)" "$T/lin.json" --rw=randrw --rwmixread=60 --bsrange=4k-64k \
	--size=32M --offset_increment=32M &
FIO1=$!
track "$FIO1"
fio_job thin "$(uri thin0)" "$T/thin.json" --rw=randwrite --bs=16k --size=16M --offset_increment=16M &
FIO2=$!
track "$FIO2"
# A scrape while both run: wait until both devices have seen I/O.
for _ in $(seq 100); do
	scrape "$T/mload"
	r=$(val "$T/mload" 'ulvm_device_reads_completed_total{device="lin"}')
	w=$(val "$T/mload" 'ulvm_device_writes_completed_total{device="thin0"}')
	[ "${r:-0}" -gt 100 ] && [ "${w:-0}" -gt 100 ] && break
	sleep 0.1
done
{ kill -0 "$FIO1" && kill -0 "$FIO2"; } 2>/dev/null || fail "fio ended before the scrape under load"
echo "under load: lin reads $r, thin0 writes $w, NBD connections $(val "$T/mload" ulvm_nbd_connections)"
promtool check metrics <"$T/mload" || fail "promtool check metrics on the scrape under load"
echo "promtool check metrics: ok (scrape under load, $(wc -l <"$T/mload") lines)"
[ "$(val "$T/mload" ulvm_nbd_connections)" -ge 4 ] || fail "NBD connections under load"
[ "$(val "$T/mload" 'ulvm_device_open_handles{device="lin"}')" -ge 2 ] || fail "lin open handles under load"
# Scrapes keep working while fio runs (a connection kept alive).
curl -sSf --max-time 10 "$M" "$M" "$M" -o /dev/null -o /dev/null -o /dev/null || fail "repeated scrapes"
wait "$FIO1" || fail "fio on lin failed"
wait "$FIO2" || fail "fio on thin0 failed"

step "the counters match fio's totals"
scrape "$T/m1"
python3 - "$T/m0" "$T/m1" "$T/lin.json" "$T/thin.json" <<'EOF' || fail "counters differ from fio's totals"
import json, re, sys

def parse(path):
    vals = {}
    for line in open(path):
        if line.startswith('#') or not line.strip():
            continue
        series, value = line.rsplit(' ', 1)
        vals[series] = float(value)
    return vals

m0, m1 = parse(sys.argv[1]), parse(sys.argv[2])
ok = True
for dev, path in (('lin', sys.argv[3]), ('thin0', sys.argv[4])):
    job = json.load(open(path))['jobs'][0]
    for kind, name, byname in (('read', 'reads_completed', 'read_bytes'),
                               ('write', 'writes_completed', 'written_bytes')):
        for what, fio_key, metric in (('requests', 'total_ios', name), ('bytes', 'io_bytes', byname)):
            want = job[kind][fio_key]
            s = 'ulvm_device_%s_total{device="%s"}' % (metric, dev)
            got = m1[s] - m0[s]
            diff = abs(got - want) / want if want else (0 if got == 0 else 1)
            print('%-6s %-5s %-8s fio %12d  metrics %12d  diff %.4f%%' % (dev, kind, what, want, got, 100 * diff))
            if (dev == 'lin' or kind == 'write') and (want == 0 or diff > 0.01):
                ok = False
        h = 'ulvm_device_%s_seconds_count{device="%s"}' % (kind, dev)
        if m1[h] != m1['ulvm_device_%s_total{device="%s"}' % (name, dev)]:
            print('%s %s differs from the completed count' % (h, m1[h]))
            ok = False
    for kind in ('read', 'write', 'discard', 'flush'):
        pre = 'ulvm_device_%s_seconds_bucket{device="%s",le="' % (kind, dev)
        buckets = [v for k, v in m1.items() if k.startswith(pre)]
        if buckets != sorted(buckets) or buckets[-1] != m1['ulvm_device_%s_seconds_count{device="%s"}' % (kind, dev)]:
            print('%s histogram: buckets not cumulative, or +Inf is not the count: %s' % (kind, buckets))
            ok = False
    if m1['ulvm_device_io_now{device="%s"}' % dev] != 0:
        print('%s: requests still in progress after fio' % dev)
        ok = False
sys.exit(0 if ok else 1)
EOF
for dev in lin thin0; do
	for op in read write discard flush; do
		want "$T/m1" "ulvm_device_io_errors_total{device=\"$dev\",op=\"$op\"}" 0
	done
done
promtool check metrics <"$T/m1" || fail "promtool after the load"

step "thin pool metrics followed the writes"
used=$(val "$T/m1" 'ulvm_thin_pool_data_used_blocks{device="pool"}')
echo "pool: $used data blocks used"
[ "$used" -gt 8 ] || fail "pool data used: $used blocks"
want "$T/m1" 'ulvm_thin_pool_data_used_bytes{device="pool"}' $((used * 65536))
want "$T/m1" 'ulvm_thin_pool_low_water_events_total{device="pool",space="data"}' 1
want "$T/m1" 'ulvm_thin_pool_mode{device="pool",mode="rw"}' 1
mu0=$(val "$T/m0" 'ulvm_thin_pool_metadata_used_blocks{device="pool"}')
mu1=$(val "$T/m1" 'ulvm_thin_pool_metadata_used_blocks{device="pool"}')
[ "$mu1" -gt "$mu0" ] || fail "pool metadata used did not grow ($mu0 -> $mu1)"
# dmsetup status says the same.
st=$(ulvm dmsetup status pool)
[ "$(awk '{print $6}' <<<"$st")" = "$used/2048" ] || fail "status '$st' vs $used used blocks"

step "flush and discard are counted"
qio "$(uri lin)" "flush" "discard 0 1M"
scrape "$T/m2"
f1=$(val "$T/m1" 'ulvm_device_flush_requests_total{device="lin"}')
f2=$(val "$T/m2" 'ulvm_device_flush_requests_total{device="lin"}')
[ "$f2" -gt "$f1" ] || fail "flushes $f1 -> $f2"
d=$(($(val "$T/m2" 'ulvm_device_discarded_bytes_total{device="lin"}') - $(val "$T/m1" 'ulvm_device_discarded_bytes_total{device="lin"}')))
[ "$d" = $((1 << 20)) ] || fail "discarded $d bytes, want 1 MiB"
[ "$(val "$T/m2" 'ulvm_device_discards_completed_total{device="lin"}')" -ge 1 ] || fail "discards"

if [ ${#FUSE[@]} -gt 0 ]; then
	step "FUSE open files"
	want "$T/m2" ulvm_fuse_open_files 0
	exec 4<"$F/lin"
	scrape "$T/m3"
	want "$T/m3" ulvm_fuse_open_files 1
	exec 4<&-
	for _ in $(seq 50); do
		scrape "$T/m3"
		[ "$(val "$T/m3" ulvm_fuse_open_files)" = 0 ] && break
		sleep 0.1
	done
	want "$T/m3" ulvm_fuse_open_files 0
fi

step "wrong HTTP: 405, 404, 400, and the daemon serves on"
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$@"; }
[ "$(code -X POST -d x=1 "$M")" = 405 ] || fail "POST is not 405"
[ "$(code -X PUT "$M")" = 405 ] || fail "PUT is not 405"
curl -si -X DELETE --max-time 10 "$M" | grep -qi '^Allow: GET, HEAD' || fail "405 without Allow"
[ "$(code "http://127.0.0.1:$PORT/nope")" = 404 ] || fail "/nope is not 404"
[ "$(code "http://127.0.0.1:$PORT/")" = 404 ] || fail "/ is not 404"
[ "$(code -I "$M")" = 200 ] || fail "HEAD is not 200"
raw() { # request -> the status line, or "" when the server closed without one
	local line=""
	exec 5<>"/dev/tcp/127.0.0.1/$PORT"
	printf '%b' "$1" >&5
	IFS= read -r -t 10 line <&5 || true
	exec 5<&-
	echo "${line%$'\r'}"
}
[ "$(raw 'GARBAGE \r\n\r\n')" = "HTTP/1.1 400 Bad Request" ] || fail "a request line without a URI is not 400"
[ "$(raw 'GET /metrics HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n')" = "HTTP/1.1 400 Bad Request" ] ||
	fail "a header line without a colon is not 400"
[ "$(raw 'GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: lots\r\n\r\n')" = "HTTP/1.1 400 Bad Request" ] ||
	fail "a bad Content-Length is not 400"
# libmicrohttpd 0.9.75 drops a request line with no blank at all, unanswered.
[ "$(raw 'GARBAGE\r\n\r\n')" = "" ] || fail "GARBAGE was answered"
[ "$(raw '\x00\x01\x02\xff\r\n\r\n')" = "" ] || fail "binary junk was answered"
big=$(head -c 70000 /dev/zero | tr '\0' a)
# 431, or a reset: the server may close while the client still writes, and
# the reset then takes the reply with it (seen on a loaded machine)
case "$(raw "GET /metrics HTTP/1.1\r\nHost: x\r\nX: $big\r\n\r\n" 2>/dev/null)" in
"HTTP/1.1 431 Request Header Fields Too Large" | "") ;;
*) fail "a 70 KB header was not refused" ;;
esac
kill -0 "$ULVMD_PID" || fail "ulvmd died"
scrape "$T/m4"
promtool check metrics <"$T/m4" || fail "promtool after the bad requests"
ulvm dmsetup ls >/dev/null || fail "control socket after the bad requests"
qio "$(uri lin)" "read 0 64k"

step "a bad --metrics is refused at start, naming it"
refused() { # address message
	local rc=0
	"$ULVMD_BIN" --run-dir "$T/run2" --metrics "$1" >"$T/bad.log" 2>&1 || rc=$?
	[ "$rc" -ne 0 ] || fail "ulvmd --metrics $1 started"
	grep -qF -- "--metrics $1: $2" "$T/bad.log" || { cat "$T/bad.log"; fail "--metrics $1: no clear message"; }
}
refused "nonsense" "expected ADDR:PORT"
refused "127.0.0.1:99999" "the port must be 1 to 65535"
refused "::1:9627" "write an IPv6 address as [ADDR]:PORT"
refused "999.0.0.1:9627" ""
refused "127.0.0.1:$PORT" "Address already in use"

step "shutdown"
ulvm dmsetup remove thin0
ulvm dmsetup remove pool
stop_ulvmd
curl -s --max-time 5 "$M" >/dev/null && fail "the metrics port still answers after shutdown"
echo "metrics: ok"
