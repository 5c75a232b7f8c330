#!/usr/bin/env bash
# Failing targets reach NBD clients as EIO (error, flakey, a live swap to
# error, one request over a mixed table) while a linear device keeps
# serving at the same time; zero reads zeroes; flakey drop_writes
# acknowledges writes and drops them; delay delays reads; removing an open
# device needs --force and its client then gets errors; ulvmd survives.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
need qemu-io
M=$((1024 * 1024))
mkfile "$T/ok.img" 16M
mkfile "$T/f.img" 16M
# Old data in f.img where the drop_writes device will sit (4..8 MiB).
head -c $((4 * M)) /dev/zero | tr '\0' '\021' | dd of="$T/f.img" bs=1M seek=4 conv=notrunc status=none
start_ulvmd

ulvm dmsetup create ok --table "0 32768 linear $T/ok.img 0"
ulvm dmsetup create err --table "0 8192 error"
# up 0, down 60: down from the start, for a minute.
ulvm dmsetup create fl --table "0 8192 flakey $T/f.img 0 0 60"
ulvm dmsetup create flw --table "0 8192 flakey $T/f.img 0 0 60 1 error_writes"
ulvm dmsetup create fld --table "0 8192 flakey $T/f.img 8192 0 60 1 drop_writes"
ulvm dmsetup create z --table "0 8192 zero"
ulvm dmsetup create dl --table "0 8192 delay $T/f.img 8192 300"

# A client of ok keeps writing and checking until the others are done.
(
	i=0
	until [ -e "$T/stop-ok" ]; do
		i=$((i + 1))
		qio "$(uri ok)" "write -P $((i % 256)) $((i % 8))M 1M" "read -P $((i % 256)) $((i % 8))M 1M"
		echo "$i" >"$T/ok.count"
	done
) >"$T/ok.log" 2>&1 &
OKPID=$!
track "$OKPID"

echo "== error and flakey fail with EIO"
for i in 1 2 3; do
	qio_eio "$(uri err)" 'read 0 4k'
	qio_eio "$(uri err)" 'write -P 0x11 4k 4k'
	qio_eio "$(uri fl)" 'read 0 4k'
	qio_eio "$(uri fl)" 'write -P 0x11 0 4k'
	qio_eio "$(uri flw)" 'write -P 0x11 0 4k'
	qio "$(uri flw)" 'read -P 0 0 64k'
done
bytes_are "$T/f.img" 0 $((4 * M)) 0 # no write reached the file

echo "== flakey drop_writes: writes succeed, old data stays"
qio "$(uri fld)" 'write -P 0x22 0 64k' 'write -P 0x22 1000 3000' 'flush'
qio "$(uri fld)" 'read -P 0x11 0 64k'
bytes_are "$T/f.img" $((4 * M)) $((4 * M)) 0x11

echo "== zero reads zeroes, even after a write"
qio "$(uri z)" 'read -P 0 0 4M' 'write -P 0x33 0 64k' 'read -P 0 0 64k'

echo "== delay: a read takes at least the delay"
t0=$(date +%s%N)
qio "$(uri dl)" 'read -P 0x11 0 4k'
ms=$((($(date +%s%N) - t0) / 1000000))
echo "delayed read took ${ms} ms"
[ "$ms" -ge 300 ] || fail "a read through delay 300 took only ${ms} ms"

echo "== swap a live device to error and back"
ulvm dmsetup create sw --table "0 2048 linear $T/f.img 4096"
reload() { ulvm dmsetup suspend "$1"; ulvm dmsetup load "$1" --table "$2"; ulvm dmsetup resume "$1"; }
reload sw "0 2048 error"
qio_eio "$(uri sw)" 'read 0 4k'
qio_eio "$(uri sw)" 'write -P 0x44 0 4k'
reload sw "0 2048 linear $T/f.img 8192"
qio "$(uri sw)" 'read -P 0x11 0 1M'
ulvm dmsetup remove sw

echo "== one request over linear, zero, linear and error lines"
ulvm dmsetup create mix --table "0 8 linear $T/f.img 8192
8 8 zero
16 8 linear $T/f.img 0
24 8 error"
if (need_nbdpy >/dev/null); then
	need_nbdpy
	"$NBDPY" - "$(uri mix)" <<'EOF' || fail "I/O over the mixed table"
import nbd, sys
K = 4096
h = nbd.NBD()
h.connect_uri(sys.argv[1])
assert h.pread(3 * K, 0) == b"\x11" * K + bytes(K) + bytes(K), "read over 3 lines"
h.pwrite(b"\x55" * 3 * K, 0)
assert h.pread(3 * K, 0) == b"\x55" * K + bytes(K) + b"\x55" * K, "write over 3 lines"
for op in (lambda: h.pread(4 * K, 0), lambda: h.pwrite(bytes(K), 2 * K + K // 2)):
    try:
        op()
    except nbd.Error as e:
        assert e.errno == "EIO", e
    else:
        sys.exit("I/O reaching the error line succeeded")
print("mixed table: ok")
EOF
	bytes_are "$T/f.img" $((4 * M)) 4096 0x55
	bytes_are "$T/f.img" 0 2048 0x55 # the failed write may have reached 2K..4K
fi
ulvm dmsetup remove mix

echo "== an open device: remove refused, remove --force works, its client gets errors"
ulvm dmsetup create gone --table "0 2048 linear $T/f.img 16384"
if (need_nbdpy >/dev/null); then
	need_nbdpy
	"$NBDPY" - "$(uri gone)" "$T" <<'EOF' >"$T/gone.log" 2>&1 &
import nbd, os, sys, time
h = nbd.NBD()
h.connect_uri(sys.argv[1])
h.pread(4096, 0)
open(sys.argv[2] + "/connected", "w").close()
while not os.path.exists(sys.argv[2] + "/removed"):
    time.sleep(0.05)
try:
    h.pread(4096, 0)
except nbd.Error as e:
    print("read after remove failed:", e)
    sys.exit(0)
print("read after remove succeeded")
sys.exit(1)
EOF
	GONE=$!
	track "$GONE"
	wait_for 20 test -e "$T/connected" || { cat "$T/gone.log"; fail "the client of gone did not connect"; }
	ulvm dmsetup remove gone && fail "an open device was removed without --force"
	ulvm dmsetup remove --force gone
	touch "$T/removed"
	rc=0
	wait "$GONE" || rc=$?
	untrack "$GONE"
	cat "$T/gone.log"
	[ "$rc" -eq 0 ] || fail "the client of a removed device could still read"

	echo "== a remove as a client leaves waits for the server to see it go"
	ulvm dmsetup create leaving --table "0 2048 linear $T/f.img 16384"
	"$NBDPY" - "$(uri leaving)" "$T" <<'EOF' >"$T/leaving.log" 2>&1 &
import nbd, sys, time
h = nbd.NBD()
h.connect_uri(sys.argv[1])
h.pread(4096, 0)
open(sys.argv[2] + "/leaving", "w").close()
time.sleep(0.5)
h.shutdown()
EOF
	LEAVING=$!
	track "$LEAVING"
	wait_for 20 test -e "$T/leaving" || { cat "$T/leaving.log"; fail "the client of leaving did not connect"; }
	ulvm dmsetup remove leaving || fail "a remove half a second before its client left was refused"
	wait "$LEAVING" || { cat "$T/leaving.log"; fail "the client of leaving failed"; }
	untrack "$LEAVING"
else
	echo "(no python3 nbd module: not checking an open device)"
	ulvm dmsetup remove gone
fi

touch "$T/stop-ok"
rc=0
wait "$OKPID" || rc=$?
untrack "$OKPID"
[ "$rc" -eq 0 ] || { cat "$T/ok.log"; fail "the linear device failed while the others did"; }
i=$(cat "$T/ok.count")
echo "the linear device served $i write+check rounds meanwhile"
[ "$i" -ge 3 ] || fail "only $i rounds on the linear device"
qio "$(uri ok)" "read -P $((i % 256)) $((i % 8))M 1M"
kill -0 "$ULVMD_PID" || fail "ulvmd died"
ulvm dmsetup ls
[ "$(ulvm dmsetup ls | wc -l)" -eq 7 ] || fail "dmsetup ls does not list the 7 devices"
stop_ulvmd
echo "ok"
