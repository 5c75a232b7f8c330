#!/usr/bin/env bash
# Grow a linear device online under fio load (randrw with crc32c verify):
# suspend / load a bigger table / resume, several times.  fio must see no
# error, new clients see the new size, data from before reads back.  Then
# a shrink: a client still holding the old size gets errors past the end.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
need fio qemu-io nbdinfo
fio --enghelp 2>/dev/null | grep -qw nbd || skip "fio has no nbd engine"

M=$((1024 * 1024))
mkfile "$T/a.img" 64M
mkfile "$T/b.img" 64M
start_ulvmd
table="0 40960 linear $T/a.img 0" # 20 MiB
ulvm dmsetup create d --table "$table"
U=$(uri d)
# fio uses 0..16M; 16M..20M holds a pattern written before any reload.
qio "$U" "write -P 0x5a $((16 * M)) 4M"

fio --name=load --ioengine=nbd --uri="$U" --rw=randrw --bs=4k --iodepth=16 --size=16M \
	--time_based --runtime=20 --verify=crc32c --verify_fatal=1 >"$T/fio.log" 2>&1 &
FIO=$!
track "$FIO"
sleep 2

sectors=40960
for i in 1 2 3 4; do
	kill -0 "$FIO" 2>/dev/null || { cat "$T/fio.log"; fail "fio ended before reload $i"; }
	table+=$'\n'"$sectors 8192 linear $T/b.img $(((i - 1) * 8192))"
	sectors=$((sectors + 8192))
	if [ "$i" -lt 4 ]; then
		ulvm dmsetup suspend d
		ulvm dmsetup info d | grep -q SUSPENDED || fail "info does not show d suspended"
		sleep 0.5 # I/O queues up while suspended
		ulvm dmsetup load d --table "$table"
		ulvm dmsetup resume d
	else
		# dmsetup semantics: resume with an inactive table swaps it in
		# (suspending around the swap) without an explicit suspend.
		ulvm dmsetup load d --table "$table"
		ulvm dmsetup resume d
	fi
	ulvm dmsetup info d | grep -q SUSPENDED && fail "d is still suspended after resume $i"
	[ "$(nbdinfo --size "$U")" = $((sectors * 512)) ] || fail "size after reload $i: $(nbdinfo --size "$U")"
	echo "reload $i: $sectors sectors"
	sleep 1.5
done

kill -0 "$FIO" 2>/dev/null || { cat "$T/fio.log"; fail "fio ended before the last reload was done"; }
rc=0
wait "$FIO" || rc=$?
untrack "$FIO"
grep -E 'err=|READ:|WRITE:' "$T/fio.log" || true
if [ "$rc" -ne 0 ] || grep -qE 'err= *[1-9]|verify: bad|fio: pid=' "$T/fio.log"; then
	cat "$T/fio.log"
	fail "fio failed across the reloads (exit $rc)"
fi

[ "$(ulvm dmsetup table d | grep -c linear)" -eq 5 ] || { ulvm dmsetup table d; fail "table d does not have 5 lines"; }
[ "$(nbdinfo --size "$U")" = $((36 * M)) ] || fail "final size $(nbdinfo --size "$U") != 36 MiB"
qio "$U" "read -P 0x5a $((16 * M)) 4M"
qio "$U" "write -P 0x6b $((20 * M)) 16M" "read -P 0x6b $((20 * M)) 16M"
bytes_are "$T/b.img" 0 $((16 * M)) 0x6b
bytes_are "$T/a.img" $((16 * M)) $((4 * M)) 0x5a

echo "== a 1 MiB write whose payload ends while the device is suspended"
# The server may take a large payload before it holds the device (by
# splice): the write must then wait for the resume like any other.
here=$(cd "$(dirname "$0")" && pwd)
python3 - "$here/nbd-protocol.py" "$SOCK" "$T" <<'EOF' >"$T/midsuspend.log" 2>&1 &
import importlib.util, os, sys, time
spec = importlib.util.spec_from_file_location("proto", sys.argv[1])
proto = importlib.util.module_from_spec(spec)
spec.loader.exec_module(proto)
M, t = 1 << 20, sys.argv[3]
c = proto.connect(sys.argv[2], "d")
msg = proto.request(proto.CMD_WRITE, 8 * M, M, cookie=3, data=b"\x7e" * M)
c.s.sendall(msg[:M // 2])
open(t + "/sent", "w").close()
while not os.path.exists(t + "/go"):
    time.sleep(0.05)
c.s.sendall(msg[M // 2:])
assert c.reply()[:2] == (3, 0), "the write failed"
open(t + "/replied", "w").close()
assert c.cmd(proto.CMD_READ, 8 * M, M)[1] == b"\x7e" * M, "the write did not land"
print("ok")
EOF
MID=$!
track "$MID"
for _ in $(seq 100); do [ -e "$T/sent" ] && break; sleep 0.1; done
ulvm dmsetup suspend d
touch "$T/go"
sleep 0.5
[ -e "$T/replied" ] && fail "a write was answered while its device was suspended"
ulvm dmsetup resume d
wait "$MID" || { cat "$T/midsuspend.log"; fail "the write across a suspend"; }
untrack "$MID"

echo "== shrink under a client that still believes the old size"
if (need_nbdpy >/dev/null); then
	need_nbdpy
	"$NBDPY" - "$U" "$T" <<'EOF' >"$T/stale.log" 2>&1 &
import nbd, os, sys, time
M = 1 << 20
h = nbd.NBD()
h.connect_uri(sys.argv[1])
assert h.get_size() == 36 * M, h.get_size()
open(sys.argv[2] + "/connected", "w").close()
while not os.path.exists(sys.argv[2] + "/shrunk"):
    time.sleep(0.05)
assert h.pread(4096, 16 * M) == b"\x5a" * 4096, "data below the new end"
for off in (30 * M, 20 * M - 512):
    try:
        h.pread(4096, off)
    except nbd.Error as e:
        print("read at %d past the new end failed: %s" % (off, e))
    else:
        sys.exit("read at %d past the new end succeeded" % off)
try:
    h.pwrite(b"x" * 4096, 30 * M)
except nbd.Error as e:
    print("write past the new end failed:", e)
else:
    sys.exit("write past the new end succeeded")
EOF
	STALE=$!
	track "$STALE"
	wait_for 20 test -e "$T/connected" || { cat "$T/stale.log"; fail "the stale client did not connect"; }
	ulvm dmsetup suspend d
	ulvm dmsetup load d --table "0 40960 linear $T/a.img 0"
	ulvm dmsetup resume d
	touch "$T/shrunk"
	rc=0
	wait "$STALE" || rc=$?
	untrack "$STALE"
	cat "$T/stale.log"
	[ "$rc" -eq 0 ] || fail "the stale client did not see errors past the new end"
	[ "$(nbdinfo --size "$U")" = $((20 * M)) ] || fail "size after the shrink: $(nbdinfo --size "$U")"
else
	echo "(no python3 nbd module: not checking a shrink)"
fi

ulvm dmsetup remove d
stop_ulvmd
echo "ok"
