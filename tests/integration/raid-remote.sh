#!/usr/bin/env bash
# A mirror across two hosts, as DRBD does it: a raid1 leg that is an NBD
# export of another ulvmd (loopback only: a unix socket).  The initial
# sync copies to the remote; when the remote dies, writes go on with no
# client error and mark the bitmap; when it is back and the table is
# reloaded (what lvchange --refresh does), only the regions written
# meanwhile are copied, and the two hosts' files are equal again.  The leg
# states show in ulvmd --metrics (ulvm_raid_legs).  With the remote leg
# write_mostly and max_write_behind, writes are answered while the remote
# host is stalled, wait in ulvm_raid_behind_writes, and land when it
# resumes.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
source "$(dirname "$0")/raid.bash"
need qemu-io
need fio
need curl
step() { echo "== $*"; }
M=$((1024 * 1024))
mkfile "$T/a.img" 64M
mkfile "$T/b.img" 64M
mkfile "$T/m0" 1M
mkfile "$T/m1" 1M
head -c $((8 * M)) /dev/urandom | dd of="$T/a.img" bs=1M seek=4 conv=notrunc status=none

# The other host: a second ulvmd with its own run directory, exporting b.img.
RB=$T/runB
B_PID=
start_b() {
	"$ULVMD_BIN" --run-dir "$RB" >>"$T/ulvmd-b.log" 2>&1 &
	B_PID=$!
	track "$B_PID"
	for _ in $(seq 100); do [ -S "$RB/control.sock" ] && [ -S "$RB/nbd.sock" ] && break; sleep 0.1; done
	ULVM_RUN_DIR=$RB "$ULVM_BIN" dmsetup create leg --table "0 131072 linear $T/b.img 0"
}
REMOTE="nbd+unix:///leg?socket=$RB/nbd.sock"
TABLE="0 131072 raid raid1 5 0 region_size 1024 daemon_sleep 1000 2 $T/m0 $T/a.img $T/m1 $REMOTE"

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
legs() { # STATE -> the ulvm_raid_legs value of m
	curl -sf "http://127.0.0.1:$PORT/metrics" >"$T/scrape" || fail "no metrics"
	sed -n "s/^ulvm_raid_legs{device=\"m\",state=\"$1\"} //p" "$T/scrape"
}

step "raid1 of a local file and another ulvmd's export: the initial sync copies to the remote"
start_b
start_ulvmd --metrics "127.0.0.1:$PORT"
ulvm dmsetup create m --table "$TABLE"
settle m AA
cmp "$T/a.img" "$T/b.img" || fail "the remote leg differs after the initial sync"
[ "$(legs in_sync)" = 2 ] || fail "metrics: $(grep raid "$T/scrape")"

step "the remote dies: writes go on, no client error, health AD"
kill -9 "$B_PID"
wait "$B_PID" 2>/dev/null || true
rm -f "$RB"/*.sock "$RB"/*.pid
fio --name=w --ioengine=nbd --uri="$(uri m)" --rw=randwrite --bs=4k --size=4M --offset=32M --iodepth=4 \
	--verify=crc32c --do_verify=1 --verify_fatal=1 --output="$T/fio.log" >/dev/null 2>&1 ||
	{ cat "$T/fio.log"; fail "fio saw an error while the remote leg was gone"; }
qio "$(uri m)" "write -P 0x3c 50M 1M"
settle m AD
grep -q "leg 1 (nbd+unix:///leg" "$T/ulvmd.log" || fail "no log line for the lost leg"
[ "$(legs failed)" = 1 ] || fail "metrics after the loss: $(grep raid "$T/scrape")"
if command -v promtool >/dev/null; then promtool check metrics <"$T/scrape" || fail "promtool on the raid scrape"; fi

step "the remote is back: a reload copies only the regions written while it was away"
start_b
ulvm dmsetup reload m --table "$TABLE"
ulvm dmsetup resume m
settle m AA
grep -q "leg 1 recovers the regions it missed" "$T/ulvmd.log" || { cat "$T/ulvmd.log"; fail "not bitmap-guided"; }
copied=$(grep "recovery finished" "$T/ulvmd.log" | tail -n1 | sed 's/.*finished: \([0-9]*\) MiB.*/\1/')
echo "recovery copied $copied MiB of 64"
[ "$copied" -le 8 ] || fail "recovery copied $copied MiB, not only the 5 MiB written while the remote was away"
cmp "$T/a.img" "$T/b.img" || fail "the two hosts' files differ after the recovery"

step "write-behind: the remote leg write_mostly, its host stalled: writes are answered, then catch up"
ulvm dmsetup reload m --table "0 131072 raid raid1 9 0 region_size 1024 daemon_sleep 1000 write_mostly 1 \
max_write_behind 512 2 $T/m0 $T/a.img $T/m1 $REMOTE"
ulvm dmsetup resume m
settle m AA
behind() { curl -sf "http://127.0.0.1:$PORT/metrics" | sed -n 's/^ulvm_raid_behind_writes{device="m"} //p'; }
ULVM_RUN_DIR=$RB "$ULVM_BIN" dmsetup suspend leg # the other host's device: its writes wait
python3 - "$(uri m)" <<'EOF' # 8 writes, no flush (a flush waits for every leg)
import nbd, sys
h = nbd.NBD()
h.connect_uri(sys.argv[1])
for i in range(8):
    h.pwrite(bytes([0x40 + i]) * 65536, (20 << 20) + i * 131072)
h.shutdown()
EOF
[ "$(behind)" -ge 1 ] || fail "ulvm_raid_behind_writes is $(behind) while the remote is stalled"
cmp -s "$T/a.img" "$T/b.img" && fail "the stalled remote has the writes already"
ULVM_RUN_DIR=$RB "$ULVM_BIN" dmsetup resume leg
for _ in $(seq 100); do [ "$(behind)" = 0 ] && break; sleep 0.1; done
[ "$(behind)" = 0 ] || fail "ulvm_raid_behind_writes stays $(behind) after the remote resumed"
settle m AA
cmp "$T/a.img" "$T/b.img" || fail "the two hosts' files differ once the writes behind landed"
ulvm dmsetup remove m
stop_ulvmd
kill "$B_PID"
wait "$B_PID" || fail "the remote ulvmd exited with $?"
echo "raid-remote: ok"
