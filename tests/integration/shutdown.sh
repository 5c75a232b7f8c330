#!/usr/bin/env bash
# SIGTERM with clients connected: one idle after acknowledged writes, one
# (fio) busy writing, one waiting on a suspended device.  ulvmd exits 0
# within seconds (sanitizers clean), removes its sockets, and the
# acknowledged data is in the backing file.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
need qemu-io
need_nbdpy
M=$((1024 * 1024))
mkfile "$T/a.img" 16M
mkfile "$T/b.img" 65M
start_ulvmd
ulvm dmsetup create d --table "0 16384 linear $T/a.img 8192" # a.img 4M..12M
ulvm dmsetup create busy --table "0 131072 linear $T/b.img 0"
ulvm dmsetup create held --table "0 2048 linear $T/b.img 131072"

# Client 1 writes (acknowledged), says so, and stays connected.
"$NBDPY" - "$(uri d)" "$T/written" <<'EOF' >"$T/client.log" 2>&1 &
import nbd, sys, time
h = nbd.NBD()
h.connect_uri(sys.argv[1])
h.pwrite(b"\x5a" * (1 << 20), 0)
h.pwrite(b"\xa5" * 4096, 3 * (1 << 20) + 512)
h.pwrite(b"\x3c" * (1 << 20), 5 * (1 << 20), nbd.CMD_FLAG_FUA) if h.can_fua() else h.pwrite(b"\x3c" * (1 << 20), 5 * (1 << 20))
open(sys.argv[2], "w").close()
time.sleep(120)
EOF
CLIENT=$!
track "$CLIENT"
wait_for 20 test -e "$T/written" || { cat "$T/client.log"; fail "the client did not write"; }

# Client 2 is in the middle of writing when the signal comes.
if command -v fio >/dev/null && fio --enghelp 2>/dev/null | grep -qw nbd; then
	fio --name=busy --ioengine=nbd --uri="$(uri busy)" --rw=randwrite --bs=64k --iodepth=32 \
		--size=64M --time_based --runtime=60 >"$T/fio.log" 2>&1 &
	track $!
	sleep 2
fi

# Client 3 waits on a suspended device.
ulvm dmsetup suspend held
qemu-io -f raw -c 'read 0 4k' "$(uri held)" >"$T/held.log" 2>&1 &
track $!
sleep 1

echo "== SIGTERM"
t0=$(date +%s)
# stop_ulvmd waits as long as it takes: a watchdog kills a daemon that has
# not exited 30 s after the signal (stop_ulvmd then fails with 137).
(sleep 30 && echo "TEST: still running 30 s after SIGTERM, killed" >>"$T/ulvmd.log" &&
	kill -KILL "$ULVMD_PID") >/dev/null 2>&1 &
WD=$!
stop_ulvmd
kill "$WD" 2>/dev/null || true
echo "ulvmd exited 0 after $(($(date +%s) - t0)) s"
[ ! -e "$RUN/control.sock" ] || fail "control.sock is left behind"
[ ! -e "$SOCK" ] || fail "nbd.sock is left behind"
[ ! -e "$RUN/ulvmd.pid" ] || echo "note: ulvmd.pid is left behind"
sleep 0.5
echo "client on the suspended device: $(tr '\n' ' ' <"$T/held.log")"
[ -e "$T/fio.log" ] && echo "fio: $(grep -m1 -oE 'err=.*' "$T/fio.log" || true)"

bytes_are "$T/a.img" $((4 * M)) $((M)) 0x5a
bytes_are "$T/a.img" $((7 * M + 512)) 4096 0xa5
bytes_are "$T/a.img" $((9 * M)) $((M)) 0x3c
bytes_are "$T/a.img" 0 $((4 * M)) 0
# A new daemon starts cleanly in the same run directory.
start_ulvmd
ulvm dmsetup ls
stop_ulvmd
echo "ok"
