#!/usr/bin/env bash
# SIGTERM while a delay target (60 s) holds a client's read: like a
# suspend, shutting down releases the delayed I/O (the kernel's presuspend
# does), so ulvmd exits 0 within seconds, not after the delays.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
need_nbdpy
mkfile "$T/a.img" 4M
printf '\x5a%.0s' $(seq 4096) | dd of="$T/a.img" conv=notrunc status=none
start_ulvmd
ulvm dmsetup create slow --table "0 8192 delay $T/a.img 0 60000"

"$NBDPY" - "$(uri slow)" "$T" <<'EOF' >"$T/client.log" 2>&1 &
import nbd, sys, time
h = nbd.NBD()
h.connect_uri(sys.argv[1])
open(sys.argv[2] + "/connected", "w").close()
try:
    ok = h.pread(4096, 0) == b"\x5a" * 4096
    print("the held read returned", "the right data" if ok else "WRONG DATA")
    sys.exit(0 if ok else 1)
except nbd.Error as e:
    print("the held read failed:", e)
EOF
CLIENT=$!
track "$CLIENT"
wait_for 20 test -e "$T/connected" || { cat "$T/client.log"; fail "the client did not connect"; }
sleep 1
ulvm dmsetup status slow

t0=$(date +%s)
(sleep 20 && echo "TEST: still running 20 s after SIGTERM, killed" >>"$T/ulvmd.log" &&
	kill -KILL "$ULVMD_PID") >/dev/null 2>&1 &
WD=$!
stop_ulvmd
kill "$WD" 2>/dev/null || true
echo "ulvmd exited 0 after $(($(date +%s) - t0)) s"
rc=0
wait "$CLIENT" || rc=$?
untrack "$CLIENT"
cat "$T/client.log"
[ "$rc" -eq 0 ] || fail "the held read returned wrong data"
echo "ok"
