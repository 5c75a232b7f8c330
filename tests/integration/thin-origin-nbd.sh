#!/usr/bin/env bash
# NBD exports as lower devices, named in tables by their URI:
#  - a thin volume whose external origin is a qcow2 base image served
#    read-only by qemu-nbd: it reads as the base (zeroes past the base's
#    end, holes where the base has them), writes go to the pool and never
#    to the base, a snapshot keeps the old data, `table` prints the URI;
#  - a linear device over a read-only export is read-only;
#  - a bad URI, a missing socket, a socket nobody listens on: a clear
#    error naming the URI, and nothing is created;
#  - a linear device over a writable qemu-nbd export (raw file): fio
#    verify, and qemu-io writes, zeroes and trims land in the file;
#  - qemu-nbd killed under a live device: I/O fails with EIO, ulvmd logs
#    it once and lives on.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
need qemu-img qemu-io qemu-nbd nbdinfo nbdcopy jq cmp sha256sum fio python3
fio --enghelp 2>/dev/null | grep -qw nbd || skip "fio has no nbd engine"

M=$((1024 * 1024))
BASE_SIZE=$((64 * M))
THIN_SIZE=$((96 * M)) # larger than the base: past its end reads zeroes

# Start qemu-nbd on a socket (args...), wait for the socket.
start_qemu_nbd() { # sock args...
	local sock=$1
	shift
	rm -f "$sock"
	qemu-nbd -t -k "$sock" "$@" >>"$T/qemu-nbd.log" 2>&1 &
	QEMU_NBD_PID=$!
	track "$QEMU_NBD_PID"
	wait_for 10 test -S "$sock" || { cat "$T/qemu-nbd.log"; fail "qemu-nbd did not start"; }
}

# Run the same qemu-io commands on an export and on a raw reference file.
both() { # uri ref cmds...
	local u=$1 ref=$2
	shift 2
	qio "$u" "$@"
	local args=()
	for c in "$@"; do args+=(-c "$c"); done
	qemu-io -f raw "${args[@]}" "$ref" >/dev/null || fail "qemu-io on $ref"
}

# An export reads exactly as a raw file of the same size.
same() { # uri ref
	[ "$(nbdinfo --size "$1")" = "$(stat -c %s "$2")" ] || fail "$1: size $(nbdinfo --size "$1")"
	qemu-img compare -q -f raw -F raw "$2" "$1" || fail "$1 does not read as $(basename "$2")"
}

echo "== a qcow2 base: data regions and unwritten holes, served read-only"
BASE=$T/base.qcow2
qemu-img create -q -f qcow2 "$BASE" "$BASE_SIZE"
qemu-io -f qcow2 -c "write -P 0x11 0 1M" -c "write -P 0x22 5M 3M" -c "write -P 0x33 20M 64k" \
	-c "write -P 0x44 1000000 5000" -c "write -P 0x55 $((BASE_SIZE - 128 * 1024)) 128k" \
	"$BASE" >/dev/null
qemu-img convert -f qcow2 -O raw "$BASE" "$T/base.raw"
base_sum=$(sha256sum <"$BASE")
BSOCK=$T/base.sock
BURI="nbd+unix:///?socket=$BSOCK"
start_qemu_nbd "$BSOCK" -f qcow2 -r "$BASE"

echo "== a thin pool and a thin volume with the base as external origin"
mkfile "$T/meta" 8M
mkfile "$T/data" 256M
start_ulvmd
ulvm dmsetup create pool --table "0 $((256 * 2048)) thin-pool $T/meta $T/data 128 0"
ulvm dmsetup message pool 0 "create_thin 1"
thin_table="0 $((THIN_SIZE / 512)) thin /dev/mapper/pool 1 $BURI"
ulvm dmsetup create thin1 --table "$thin_table"
[ "$(ulvm dmsetup table thin1)" = "$thin_table" ] ||
	fail "table does not print the URI back: $(ulvm dmsetup table thin1)"
THIN=$(uri thin1)
nbdinfo --json "$THIN" | jq -e '.exports[0].is_read_only | not' >/dev/null ||
	fail "a thin volume over a read-only origin is read-only"

echo "== reads equal the base, zeroes past its end, holes where it has them"
cp "$T/base.raw" "$T/expect.raw"
truncate -s "$THIN_SIZE" "$T/expect.raw"
same "$THIN" "$T/expect.raw"
nbdcopy "$THIN" "$T/copy.raw"
cmp -n "$BASE_SIZE" "$T/copy.raw" "$T/base.raw" || fail "nbdcopy of thin1 differs from the base"
is_data "$THIN" 0 "$M"
is_hole "$THIN" $((8 * M)) $((12 * M))
is_data "$THIN" $((20 * M)) $((64 * 1024))
is_hole "$THIN" "$BASE_SIZE" $((THIN_SIZE - BASE_SIZE))
fio --name=reads --ioengine=nbd --uri="$THIN" --rw=randread --bs=4k --iodepth=32 --numjobs=4 \
	--size=64M --runtime=3 --time_based --group_reporting >"$T/fio-read.log" 2>&1 ||
	{ cat "$T/fio-read.log"; fail "concurrent reads through the origin"; }

echo "== writes go to the pool: inside base data, in a base hole, past the base's end"
both "$THIN" "$T/expect.raw" "write -P 0x66 $((5 * M + 4096)) 8k" "write -P 0x77 $((10 * M)) 1M" \
	"write -P 0x88 $((BASE_SIZE - 4096)) 64k" "write -P 0x99 $((80 * M)) 100k" \
	"write -z $((20 * M)) 4k"
same "$THIN" "$T/expect.raw"
qio "$THIN" "read -P 0x22 $((5 * M)) 4k" "read -P 0x66 $((5 * M + 4096)) 8k" \
	"read -P 0x22 $((5 * M + 12288)) 52k"
is_data "$THIN" $((10 * M)) "$M"

echo "== a snapshot of the thin volume keeps the old data"
ulvm dmsetup suspend thin1
ulvm dmsetup message pool 0 "create_snap 2 1"
ulvm dmsetup resume thin1
ulvm dmsetup create snap2 --table "0 $((THIN_SIZE / 512)) thin /dev/mapper/pool 2 $BURI"
cp "$T/expect.raw" "$T/expect-snap.raw"
both "$THIN" "$T/expect.raw" "write -P 0xaa 0 2M" "write -P 0xbb $((5 * M)) 64k" \
	"write -P 0xcc $((30 * M)) 64k"
both "$(uri snap2)" "$T/expect-snap.raw" "write -P 0xdd $((40 * M)) 64k"
same "$THIN" "$T/expect.raw"
same "$(uri snap2)" "$T/expect-snap.raw"

echo "== a linear device over the read-only export shares its connection and is read-only"
ulvm dmsetup create ro --table "0 $((BASE_SIZE / 512)) linear $BURI 0"
nbdinfo --json "$(uri ro)" | jq -e '.exports[0].is_read_only' >/dev/null ||
	fail "a linear device over a read-only export is writable"
same "$(uri ro)" "$T/base.raw"
out=$(qemu-io -f raw -c "write -P 1 0 4k" "$(uri ro)" 2>&1) && fail "opened ro for writing: $out"

echo "== bad URIs and dead sockets: a clear error, nothing created"
python3 -c "import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$T/dead.sock"
for spec in "nbd+unix:///?socket=$T/dead.sock|refused" "nbd+unix:///?socket=$T/none.sock|No such file" \
	"nbd://127.0.0.1:1/x|refused" "nbd://[oops/x|parse URI"; do
	u=${spec%|*} want=${spec##*|}
	out=$(ulvm dmsetup create bad --table "0 2048 linear $u 0" 2>&1) && fail "created a device on $u"
	echo "$out"
	grep -qF "$u: nbd_connect_uri: " <<<"$out" || fail "the error does not name $u and libnbd's reason"
	grep -qi "$want" <<<"$out" || fail "the error does not say '$want'"
	ulvm dmsetup info bad >/dev/null 2>&1 && fail "a device was created on $u"
	out=$(ulvm dmsetup create bad --table "0 2048 thin /dev/mapper/pool 1 $u" 2>&1) &&
		fail "created a thin on $u"
	grep -qF "$u" <<<"$out" || fail "the thin error does not name $u: $out"
done
[ "$(ulvm dmsetup ls | wc -l)" = 4 ] || { ulvm dmsetup ls; fail "a device was left behind"; }

echo "== the base is untouched"
ulvm dmsetup remove ro
ulvm dmsetup remove snap2
ulvm dmsetup remove thin1
kill "$QEMU_NBD_PID"
wait "$QEMU_NBD_PID" 2>/dev/null || true
untrack "$QEMU_NBD_PID"
[ "$(sha256sum <"$BASE")" = "$base_sum" ] || fail "the base image changed"
qemu-img check -q "$BASE" || fail "qemu-img check of the base"
qemu-img compare -q -f qcow2 -F raw "$BASE" "$T/base.raw" || fail "the base reads differently"

echo "== the pool keeps the thin volume; it reads the same from a new connection"
start_qemu_nbd "$BSOCK" -f qcow2 -r "$BASE"
ulvm dmsetup create thin1 --table "$thin_table"
same "$THIN" "$T/expect.raw"
ulvm dmsetup remove thin1
kill "$QEMU_NBD_PID"
wait "$QEMU_NBD_PID" 2>/dev/null || true
untrack "$QEMU_NBD_PID"
ulvm dmsetup remove pool

echo "== linear over a writable export: fio verify, writes, zeroes and trims land in the file"
mkfile "$T/disk.raw" 64M
WSOCK=$T/disk.sock
WURI="nbd+unix:///?socket=$WSOCK"
start_qemu_nbd "$WSOCK" -f raw --discard=unmap "$T/disk.raw"
ulvm dmsetup create lin --table "0 $((32 * 2048)) linear $WURI 2048"
[ "$(ulvm dmsetup table lin)" = "0 65536 linear $WURI 2048" ] || fail "lin table"
LIN=$(uri lin)
nbdinfo --json "$LIN" | jq -e '.exports[0] | (.is_read_only | not) and .can_trim and .can_zero' \
	>/dev/null || { nbdinfo --json "$LIN"; fail "lin is read-only or lacks trim/zero"; }
fio --name=lin --ioengine=nbd --uri="$LIN" --rw=randwrite --bs=4k --iodepth=16 --numjobs=2 \
	--size=16M --offset_increment=16M --verify=crc32c --verify_fatal=1 --do_verify=1 --verify_state_save=0 \
	--group_reporting >"$T/fio-lin.log" 2>&1 || { cat "$T/fio-lin.log"; fail "fio verify on lin"; }
grep -qE 'err= *[1-9]|verify: bad' "$T/fio-lin.log" && { cat "$T/fio-lin.log"; fail "fio errors on lin"; }
qio "$LIN" "write -P 0x5a 0 64k" "write -P 0x5b -f $((31 * M)) 1M" "flush"
bytes_are "$T/disk.raw" "$M" $((64 * 1024)) 0x5a
bytes_are "$T/disk.raw" $((32 * M)) "$M" 0x5b
bytes_are "$T/disk.raw" 0 "$M" 0
qio "$LIN" "write -z $((4 * M)) 1M" "discard $((8 * M)) 1M" "read -P 0 $((4 * M)) 1M"
bytes_are "$T/disk.raw" $((5 * M)) "$M" 0
bytes_are "$T/disk.raw" $((9 * M)) "$M" 0
is_hole "$LIN" $((8 * M)) "$M"

echo "== the server goes away under load: EIO, logged once, the daemon lives on"
timeout 120 fio --name=gone --ioengine=nbd --uri="$LIN" --rw=randrw --bs=4k --iodepth=16 \
	--numjobs=2 --size=16M --offset_increment=16M --time_based --runtime=30 \
	>"$T/fio-gone.log" 2>&1 &
FIO=$!
track "$FIO"
sleep 2
kill "$QEMU_NBD_PID"
wait "$QEMU_NBD_PID" 2>/dev/null || true
untrack "$QEMU_NBD_PID"
rc=0
wait "$FIO" || rc=$?
untrack "$FIO"
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] && grep -q 'Input/output error' "$T/fio-gone.log" ||
	{ cat "$T/fio-gone.log"; fail "fio did not end with EIO when the server went away (exit $rc)"; }
qio_eio "$LIN" "read 0 4k"
qio_eio "$LIN" "write -P 1 0 4k"
[ "$(grep -c 'NBD connection lost' "$T/ulvmd.log")" = 1 ] || { cat "$T/ulvmd.log"; fail "the loss is not logged once"; }
out=$(ulvm dmsetup create lin2 --table "0 2048 linear $WURI 0" 2>&1) && fail "a table on a lost connection loaded"
grep -qF "$WURI" <<<"$out" || fail "no URI in: $out"
ulvm dmsetup remove lin
[ "$(ulvm dmsetup ls)" = "No devices found" ] || { ulvm dmsetup ls; fail "devices left"; }
stop_ulvmd
echo "all passed"
