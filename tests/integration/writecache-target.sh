#!/usr/bin/env bash
# The writecache target through `ulvm dmsetup` and NBD clients:
#  - a zeroed cache device is formatted as the kernel does (superblock,
#    n_blocks for its size, every entry -1); the table prints back;
#  - aligned and unaligned writes, a discard and write_zeroes read back
#    the same as on a plain linear device, and the status counts them;
#  - the flush message writes everything back: the origin equals the
#    reference file, and equals what the device read before;
#  - fio verify with writeback running underneath;
#  - kill -9 after a flush: the data is there after a restart (and on the
#    origin after a flush message); kill -9 under fio: the metadata
#    replays cleanly;
#  - sequential_cutoff: a long sequential write goes around the cache,
#    cached copies of what it overwrites are dropped, the hot set stays;
#  - the cleaner message empties the cache;
#  - ext4 on it, cleaned, fsck clean on the origin alone;
#  - bad tables and bad superblocks refused, naming why, the cache unchanged.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
need qemu-io qemu-img nbdcopy fio python3
fio --enghelp 2>/dev/null | grep -qw nbd || skip "fio has no nbd engine"
step() { echo "== $*"; }
M=$((1024 * 1024))
start_ulvmd

field() { ulvm dmsetup status "$1" | awk -v f="$2" '{ print $(f + 3) }'; } # status field N (1: error)
restart_ulvmd() {
	kill -9 "$ULVMD_PID"
	wait "$ULVMD_PID" 2>/dev/null || true
	untrack "$ULVMD_PID"
	rm -f "$RUN"/*.sock "$RUN"/*.pid
	cat "$T/ulvmd.log" >>"$T/ulvmd.before"
	start_ulvmd
}
# The superblock and the first entries, as the kernel reads them.
sb() { # FILE FIELD...: magic version block_size n_blocks seq_count
	python3 - "$@" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read(64)
v = dict(zip(("magic", "version", "block_size", "pad", "n_blocks", "seq_count"), struct.unpack_from("<IIIIQQ", d)))
print(" ".join(str(v[f]) for f in sys.argv[2:]))
PY
}

step "format on a zeroed cache: the kernel's superblock and layout; the table prints back"
mkfile "$T/o.img" 32M
mkfile "$T/c.img" 8M
mkfile "$T/ref.img" 32M
OPTS="8 high_watermark 60 low_watermark 40 autocommit_time 500 sequential_cutoff 0"
TABLE="0 65536 writecache s $T/o.img $T/c.img 4096 $OPTS"
ulvm dmsetup create wc --table "$TABLE"
ulvm dmsetup create ref --table "0 65536 linear $T/ref.img 0"
[ "$(ulvm dmsetup table wc | cut -d' ' -f4-)" = "$(cut -d' ' -f4- <<<"$TABLE")" ] ||
	fail "the table does not print back: $(ulvm dmsetup table wc)"
# 8 MiB: n = 8M / (4096 + 16) = 2040 blocks after 32 KiB of metadata
[ "$(sb "$T/c.img" magic version block_size n_blocks seq_count)" = "591958817 1 4096 2040 0" ] ||
	fail "superblock: $(sb "$T/c.img" magic version block_size n_blocks seq_count)"
python3 - "$T/c.img" <<'PY'
import struct, sys
d = open(sys.argv[1], "rb").read(32768)
for i in range(2040):
    assert struct.unpack_from("<QQ", d, 64 + 16 * i) == (2**64 - 1, 2**64 - 1), i
assert d[64 + 16 * 2040:] == bytes(32768 - 64 - 16 * 2040)
PY
[ "$(ulvm dmsetup status wc | cut -d' ' -f4-)" = "0 2040 2040 0 0 0 0 0 0 0 0 0 0 0" ] ||
	fail "status of a fresh cache: $(ulvm dmsetup status wc)"

step "aligned and unaligned writes read back as on a linear device; status counts"
qio "$(uri wc)" "write -P 0x11 0 1M"
[ "$(field wc 3)" = 1784 ] && [ "$(field wc 7)" = 256 ] && [ "$(field wc 11)" = 256 ] ||
	fail "1 MiB should take 256 blocks: $(ulvm dmsetup status wc)"
CMDS=("write -P 0x11 0 1M" "write -P 0x22 4096 8192" "write -P 0x33 1000 3000" "write -P 0x44 8190 10"
	"write -P 0x55 5M 123457" "write -P 0x66 12M 64k" "write -P 0x67 12M 512" "write -P 0x68 12345 2M"
	"write -z 640k 16k" "discard 700k 32k" "write -P 0x69 700k 4k" "write -P 0x6a 31M 1M" "flush")
for u in "$(uri wc)" "$(uri ref)"; do qio "$u" "${CMDS[@]}"; done
qio "$(uri wc)" "read -P 0x33 1000 3000" "read -P 0x44 8190 10" "read -P 0x68 12345 600k" "read -P 0x69 700k 4k" \
	"read -P 0 704k 28k" "read -P 0 640k 16k"
nbdcopy "$(uri wc)" "$T/wc.dump"
cmp "$T/wc.dump" "$T/ref.img" || fail "the writecache reads differently from the linear device"
# qemu-io writes through (FUA) by default: with -t writeback a rewrite
# finds its block uncommitted
qemu-io -f raw -t writeback -c "write -P 0x70 28M 8k" -c "write -P 0x71 28M 4k" "$(uri wc)" >/dev/null
qio "$(uri wc)" "read -P 0x71 28M 4k" "read -P 0x70 28676k 4k"
qio "$(uri ref)" "write -P 0x70 28M 8k" "write -P 0x71 28M 4k"
ulvm dmsetup status wc
[ "$(field wc 1)" = 0 ] || fail "error set"
[ "$(field wc 6)" -gt 0 ] && [ "$(field wc 8)" -gt 0 ] && [ "$(field wc 9)" -gt 0 ] && [ "$(field wc 10)" -gt 0 ] &&
	[ "$(field wc 13)" -gt 0 ] && [ "$(field wc 14)" = 8 ] ||
	fail "read hits, write hits, writes around, flushes, discards not counted"
[ "$(sb "$T/c.img" seq_count)" -gt 0 ] || fail "nothing committed after a flush"

step "the flush message writes everything back: the origin is the reference"
ulvm dmsetup message wc 0 flush
[ "$(field wc 3)" = 2040 ] && [ "$(field wc 4)" = 0 ] || fail "blocks left after flush: $(ulvm dmsetup status wc)"
cmp "$T/o.img" "$T/ref.img" || fail "the origin differs from the reference after flush"
ulvm dmsetup message wc 0 clear_stats
[ "$(ulvm dmsetup status wc | cut -d' ' -f8-)" = "0 0 0 0 0 0 0 0 0 0" ] || fail "clear_stats"

step "fio verify, writeback running underneath (a 4 MiB cache, no pause)"
ulvm dmsetup remove wc
mkfile "$T/c2.img" 4M
T2="0 65536 writecache s $T/o.img $T/c2.img 4096 8 high_watermark 30 low_watermark 10 pause_writeback 0 sequential_cutoff 0"
ulvm dmsetup create wc --table "$T2"
for bs in 4k 6k 1k; do
	fio --name=v --ioengine=nbd --uri="$(uri wc)" --rw=randwrite --bs=$bs --offset=16M --size=12M --iodepth=4 \
		--verify=crc32c --verify_fatal=1 --do_verify=1 >"$T/fio.log" 2>&1 || { cat "$T/fio.log"; fail "fio verify bs=$bs"; }
done
ulvm dmsetup status wc
[ "$(field wc 1)" = 0 ] || fail "error after fio"
nbdcopy "$(uri wc)" "$T/wc2.dump"
ulvm dmsetup message wc 0 flush
cmp "$T/o.img" "$T/wc2.dump" || fail "the origin after flush is not what the device read"

step "kill -9 after a flush: the data is there after a restart, and on the origin after flush"
seq=$(sb "$T/c2.img" seq_count)
qio "$(uri wc)" "write -P 0xa1 1M 256k" "write -P 0xa2 3000 5000" "write -P 0xa3 2M 4k" "flush" \
	"write -P 0xa4 3M 64k"
[ "$(sb "$T/c2.img" seq_count)" -gt "$seq" ] || fail "the flush did not commit"
restart_ulvmd
ulvm dmsetup create wc --table "$T2"
[ "$(field wc 1)" = 0 ] || fail "error after replay"
[ "$(field wc 3)" -lt 1016 ] || fail "nothing replayed: $(ulvm dmsetup status wc)"
qio "$(uri wc)" "read -P 0xa1 1M 256k" "read -P 0xa2 3000 5000" "read -P 0xa3 2M 4k"
# suspended: no flush message; a reload takes the cache over from the live table
ulvm dmsetup suspend wc
if ulvm dmsetup message wc 0 flush 2>"$T/msg"; then fail "flush accepted while suspended"; fi
grep -q "suspended" "$T/msg" || { cat "$T/msg"; fail "no reason for the refused flush"; }
ulvm dmsetup resume wc
T2b="0 65536 writecache s $T/o.img $T/c2.img 4096 10 high_watermark 30 low_watermark 10 autocommit_blocks 64 pause_writeback 0 sequential_cutoff 0"
qio "$(uri wc)" "write -P 0xa5 5M 64k"
ulvm dmsetup load wc --table "$T2b"
ulvm dmsetup resume wc
[ "$(ulvm dmsetup table wc | cut -d' ' -f4-)" = "$(cut -d' ' -f4- <<<"$T2b")" ] || fail "the reloaded table"
qio "$(uri wc)" "read -P 0xa1 1M 256k" "read -P 0xa2 3000 5000" "read -P 0xa3 2M 4k" "read -P 0xa5 5M 64k"
ulvm dmsetup message wc 0 flush
bytes_are "$T/o.img" $M $((256 * 1024)) 0xa1
bytes_are "$T/o.img" $((2 * M)) 4096 0xa3
bytes_are "$T/o.img" $((5 * M)) 65536 0xa5

step "kill -9 under fio writes: the metadata replays, the device writes back cleanly"
fio --name=w --ioengine=nbd --uri="$(uri wc)" --rw=randwrite --bs=4k --size=16M --iodepth=4 --time_based \
	--runtime=30 >"$T/fio2.log" 2>&1 &
FIO=$!
track "$FIO"
seq=$(sb "$T/c2.img" seq_count)
moved() { [ "$(sb "$T/c2.img" seq_count)" -gt $((seq + 2)) ]; }
wait_for 60 moved || fail "fio's writes were never committed"
restart_ulvmd
wait "$FIO" 2>/dev/null || true
untrack "$FIO"
ulvm dmsetup create wc --table "$T2"
ulvm dmsetup status wc
[ "$(field wc 1)" = 0 ] || fail "error after replay of a crash"
nbdcopy "$(uri wc)" "$T/wc3.dump"
ulvm dmsetup message wc 0 flush
cmp "$T/o.img" "$T/wc3.dump" || fail "the origin after flush is not what the device read after the crash"
ulvm dmsetup remove wc

step "sequential_cutoff: a long sequential write goes around, cached copies dropped, the hot set stays"
mkfile "$T/c3.img" 8M
T3="0 65536 writecache s $T/o.img $T/c3.img 4096 2 sequential_cutoff 1m"
ulvm dmsetup create wc --table "$T3"
ulvm dmsetup table wc | grep -q " 2 sequential_cutoff 1048576$" || fail "sequential_cutoff does not print back"
qio "$(uri wc)" "write -P 0xb1 20M 512k" "write -P 0xb2 24M 64k" "write -P 0xb3 4M 64k" "flush"
hot=$(field wc 3)
SEQ=()
for i in $(seq 0 15); do SEQ+=("write -P 0xc$((i % 10)) $((4 * M + i * 512 * 1024)) 512k"); done
qio "$(uri wc)" "${SEQ[@]}"
ulvm dmsetup status wc
# the first 1 MiB of the stream is cached, the other 7 go around
[ "$(field wc 10)" = $((14 * 128)) ] || fail "the stream did not go around the cache"
[ "$(field wc 3)" = $((hot - 240)) ] || fail "the stream took the cache: $(ulvm dmsetup status wc)"
for i in $(seq 2 15); do bytes_are "$T/o.img" $((4 * M + i * 512 * 1024)) $((512 * 1024)) 0xc$((i % 10)); done
# a stream over cached blocks: their copies are dropped, the data is on the origin
free=$(field wc 3)
qio "$(uri wc)" "write -P 0xe0 19M 512k" "write -P 0xe0 19968k 512k" "write -P 0xe1 20M 512k" \
	"write -P 0xe2 20992k 512k"
[ "$(field wc 3)" = $((free - 128)) ] || fail "the cached copies under the stream were not dropped: $(ulvm dmsetup status wc)"
bytes_are "$T/o.img" $((20 * M)) $((512 * 1024)) 0xe1
bytes_are "$T/o.img" $((20 * M + 512 * 1024)) $((512 * 1024)) 0xe2
qio "$(uri wc)" "read -P 0xe1 20M 512k" "read -P 0xb2 24M 64k" "read -P 0xc0 4M 512k" "read -P 0xc5 6656k 512k"
ulvm dmsetup remove wc
ulvm dmsetup create wc --table "$T3"
qio "$(uri wc)" "read -P 0xe0 19M 1M" "read -P 0xe1 20M 512k" "read -P 0xc0 4M 64k" "read -P 0xc1 4608k 64k"

step "the cleaner message writes everything back and caches nothing new"
ulvm dmsetup message wc 0 cleaner
empty() { [ "$(field wc 3)" = 2040 ]; }
wait_for 30 empty || fail "the cleaner left blocks: $(ulvm dmsetup status wc)"
qio "$(uri wc)" "write -P 0xd1 26M 64k"
empty || fail "the cleaner cached a new block"
bytes_are "$T/o.img" $((26 * M)) 65536 0xd1
ulvm dmsetup table wc | grep -q cleaner && fail "a cleaner message shows in the table (the kernel's does not)"
ulvm dmsetup remove wc

step "ext4 on it: files written, the cache flushed, fsck clean on the origin alone"
if fs_can_ext4; then
	mkfile "$T/fo.img" 64M
	mkfile "$T/fc.img" 16M
	ulvm dmsetup create fs --table "0 131072 writecache s $T/fo.img $T/fc.img 4096 0"
	ext4_fill fs
	ulvm dmsetup message fs 0 flush_on_suspend
	ulvm dmsetup remove fs
	ext4_check_file "$T/fo.img"
else
	echo "(no nbdfuse, mkfs.ext4 or /dev/fuse: skipped)"
fi

step "bad tables and superblocks refused, naming why, the cache unchanged"
head -c $((2 * M)) /dev/urandom >"$T/g.img"
cp "$T/g.img" "$T/g.before"
mkfile "$T/tiny.img" 4k
cp "$T/c3.img" "$T/v.img"
printf '\x02' | dd of="$T/v.img" bs=1 seek=4 conv=notrunc status=none # version 2
cp "$T/c3.img" "$T/short.img"
truncate -s 4M "$T/short.img"
cp "$T/c3.img" "$T/c3.before"
W="0 65536 writecache"
for t in "s $T/o.img $T/g.img 4096 0|Invalid magic in the superblock" \
	"s $T/o.img $T/v.img 4096 0|Invalid version in the superblock" \
	"s $T/o.img $T/c3.img 512 0|Block size does not match superblock" \
	"s $T/o.img $T/short.img 4096 0|Memory area is too small" \
	"s $T/o.img $T/c3.img 3000 0|Invalid block size" \
	"s $T/o.img $T/c3.img 8192 0|Invalid block size" \
	"s $T/nothere.img $T/c3.img 4096 0|Origin data device lookup failed" \
	"s $T/o.img $T/nothere.img 4096 0|Cache data device lookup failed" \
	"s $T/o.img $T/tiny.img 4096 0|Invalid device size" \
	"s $T/o.img $T/o.img 4096 0|the same device" \
	"p $T/o.img $T/c3.img 4096 0|pmem mode is not supported" \
	"s $T/o.img $T/c3.img 4096 1 fua|Invalid optional argument: fua" \
	"s $T/o.img $T/c3.img 4096 2 high_watermark 101|Invalid optional argument: high_watermark" \
	"s $T/o.img $T/c3.img 4096 4 high_watermark 10 low_watermark 20|High watermark must be greater" \
	"s $T/o.img $T/c3.img 4096 21|Invalid number of feature args" \
	"s $T/o.img $T/c3.img 4096 2 start_sector|Not enough arguments" \
	"s $T/o.img $T/c3.img|Bad arguments"; do
	table_refused "$W ${t%%|*}" "${t##*|}"
done
cmp "$T/g.img" "$T/g.before" || fail "a refused cache device was written"
cmp "$T/c3.img" "$T/c3.before" || fail "a refused table changed a valid cache"
stop_ulvmd
grep -E "ERROR: (Address|Leak|Thread)Sanitizer|runtime error" "$T/ulvmd.log" "$T/ulvmd.before" && fail "sanitizer reports"
echo "writecache-target: ok"
