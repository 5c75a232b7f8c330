#!/usr/bin/env bash
# The cache target (dm-cache) through `ulvm dmsetup` and NBD clients,
# thin-provisioning-tools' cache_check and cache_dump as the oracles of
# its metadata:
#  - a zeroed metadata device is formatted (version 2 with metadata2);
#    the table prints back as given, the status has the kernel's fields;
#  - writeback: hot blocks are promoted (read twice), writes to them stay
#    dirty in the cache; the cleaner policy writes every dirty block back
#    and the origin then equals a reference written without the cache;
#    cache_check is clean, cache_dump lists the mappings;
#  - writethrough and passthrough: the origin is always current;
#  - fio verify in every mode;
#  - kill -9 under writes after a flush: the metadata is clean to
#    cache_check, the flushed data reads back, every mapped block counts
#    dirty and is written back;
#  - a sequential read of the whole origin does not evict the hot set;
#  - bad tables and metadata are refused, naming why, the metadata device
#    unchanged.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
need qemu-io fio cache_check cache_dump python3
fio --enghelp 2>/dev/null | grep -qw nbd || skip "fio has no nbd engine"
step() { echo "== $*"; }
M=$((1024 * 1024))
start_ulvmd

st() { ulvm dmsetup status "$1" | cut -d' ' -f4-; }
field() { st "$1" | awk -v n="$2" '{ print $n }'; } # 1-based in the status after "cache"
dirty() { field "$1" 11; }
used() { field "$1" 4 | cut -d/ -f1; }
clean_all() { # NAME TABLE-WITH-CLEANER: load the cleaner policy, wait for 0 dirty
	ulvm dmsetup reload "$1" --table "$2"
	ulvm dmsetup resume "$1"
	wait_for 60 test "$(dirty "$1")" = 0 || fail "$1: dirty blocks left: $(st "$1")"
}
check_meta() { # FILE
	cache_check "$1" >"$T/cc.log" 2>&1 || { cat "$T/cc.log"; fail "cache_check: $1 is not clean"; }
}

head -c $((32 * M)) /dev/urandom >"$T/origin.img"
cp "$T/origin.img" "$T/ref.img"
mkfile "$T/cache.img" 4M
mkfile "$T/meta.img" 4M
SECT=$((32 * M / 512))
# 128 sectors = 64 KiB blocks: 64 cache blocks in front of 512 origin blocks.
WB="0 $SECT cache $T/meta.img $T/cache.img $T/origin.img 128 2 metadata2 writeback smq 0"
CLEANER="0 $SECT cache $T/meta.img $T/cache.img $T/origin.img 128 2 metadata2 writeback cleaner 0"

step "format, table and status"
ulvm dmsetup create c --table "$WB"
[ "$(ulvm dmsetup table c | cut -d' ' -f4-)" = "$(cut -d' ' -f4- <<<"$WB")" ] ||
	fail "the table does not print back: $(ulvm dmsetup table c)"
st c
st c | grep -Eq '^8 [0-9]+/1024 128 0/64 0 0 0 0 0 0 0 2 metadata2 writeback 2 migration_threshold 2048 smq 0 rw -$' ||
	fail "unexpected status: $(st c)"

step "writeback: a hot set is promoted, writes to it stay in the cache until cleaned"
for pass in 1 2 3; do
	qio "$(uri c)" "read 0 1M" "read 4M 512k" >/dev/null
done
[ "$(used c)" -ge 20 ] || fail "the hot set was not promoted: $(st c)"
hits=$(field c 5)
qio "$(uri c)" "read 0 1M" >/dev/null
[ "$(field c 5)" -gt "$hits" ] || fail "reads of the hot set did not hit: $(st c)"
qio "$(uri c)" "write -P 0x61 64k 64k" "write -P 0x62 4M 4096" "write -P 0x63 20M 3000" "flush"
qio "$T/ref.img" "write -P 0x61 64k 64k" "write -P 0x62 4M 4096" "write -P 0x63 20M 3000" >/dev/null
[ "$(dirty c)" -ge 2 ] || fail "writes to cached blocks are not dirty: $(st c)"
cmp -s "$T/origin.img" "$T/ref.img" && fail "writeback wrote through at once"
qio "$(uri c)" "read -P 0x61 64k 64k" "read -P 0x62 4M 4096" "read -P 0x63 20M 3000"
clean_all c "$CLEANER"
ulvm dmsetup remove c
cmp "$T/origin.img" "$T/ref.img" || fail "after the cleaner the origin differs from the reference"
check_meta "$T/meta.img"
cache_dump "$T/meta.img" >"$T/dump.xml"
head -3 "$T/dump.xml"
grep -q 'block_size="128" nr_cache_blocks="64" policy="cleaner"' "$T/dump.xml" ||
	fail "cache_dump: unexpected superblock"
grep -q '<mapping cache_block="[0-9]*" origin_block="0" dirty="false"/>' "$T/dump.xml" ||
	fail "cache_dump does not show origin block 0 mapped and clean"

step "metadata format 1 (dirty bits in the mappings) as lvm2 made it before metadata2"
mkfile "$T/meta1.img" 4M
mkfile "$T/cache1.img" 4M
V1="0 $SECT cache $T/meta1.img $T/cache1.img $T/origin.img 128 1 writeback smq 2 read_promote_adjustment 1"
ulvm dmsetup create c1 --table "$V1"
qio "$(uri c1)" "read 8M 256k" "write -P 0x91 8M 128k" "flush"
ulvm dmsetup remove c1
check_meta "$T/meta1.img"
cache_dump "$T/meta1.img" | grep -c 'dirty="true"' | grep -qx 2 ||
	fail "format 1: the two written blocks are not dirty in cache_dump"
ulvm dmsetup create c1 --table "$V1"
qio "$(uri c1)" "read -P 0x91 8M 128k"
clean_all c1 "0 $SECT cache $T/meta1.img $T/cache1.img $T/origin.img 128 1 writeback cleaner 0"
ulvm dmsetup remove c1
qio "$T/ref.img" "write -P 0x91 8M 128k" >/dev/null
cmp "$T/origin.img" "$T/ref.img" || fail "format 1: the origin differs after the cleaner"

step "reactivation keeps the mappings; writethrough and passthrough keep the origin current"
WT="0 $SECT cache $T/meta.img $T/cache.img $T/origin.img 128 2 metadata2 writethrough smq 0"
ulvm dmsetup create c --table "$WT"
[ "$(used c)" -ge 20 ] || fail "the mappings were not loaded: $(st c)"
qio "$(uri c)" "write -P 0x71 0 128k" "flush"
qio "$T/ref.img" "write -P 0x71 0 128k" >/dev/null
cmp "$T/origin.img" "$T/ref.img" || fail "writethrough: the origin is behind"
[ "$(dirty c)" = 0 ] || fail "writethrough made dirty blocks: $(st c)"
ulvm dmsetup remove c
PT="0 $SECT cache $T/meta.img $T/cache.img $T/origin.img 128 2 metadata2 passthrough smq 0"
ulvm dmsetup create c --table "$PT"
qio "$(uri c)" "write -P 0x72 0 64k" "read -P 0x72 0 64k" "read -P 0x71 64k 64k" "flush"
qio "$T/ref.img" "write -P 0x72 0 64k" >/dev/null
cmp "$T/origin.img" "$T/ref.img" || fail "passthrough: the origin is behind"
ulvm dmsetup remove c
check_meta "$T/meta.img"

step "fio verify in every mode, again after the cleaner wrote back"
fio_v() { # MODE LOG ARGS...
	local log=$2 rc=0
	fio --name=v --ioengine=nbd --uri="$(uri c)" --rw=randwrite --bs=4k --iodepth=8 --numjobs=2 \
		--size=12M --offset_increment=12M --verify=crc32c --verify_fatal=1 --group_reporting \
		"${@:3}" >"$log" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ] || grep -qE 'err= *[1-9]|verify: bad|fio: pid=' "$log"; then
		grep -E 'verify|err' "$log" | head
		fail "fio verify failed in $1 mode (exit $rc)"
	fi
}
for mode in writeback writethrough passthrough; do
	T2="0 $SECT cache $T/meta.img $T/cache.img $T/origin.img 128 2 metadata2 $mode smq 2 read_promote_adjustment 1"
	ulvm dmsetup create c --table "$T2"
	fio_v $mode "$T/fio-$mode.log" --do_verify=1
	[ "$mode" = passthrough ] || clean_all c "$CLEANER"
	fio_v $mode "$T/fio-$mode-2.log" --verify_only
	ulvm dmsetup remove c
	check_meta "$T/meta.img"
done
cp "$T/origin.img" "$T/ref.img"

step "kill -9 after a flush: the flushed writes survive, every mapped block is written back"
WB1="0 $SECT cache $T/meta.img $T/cache.img $T/origin.img 128 2 metadata2 writeback smq 2 read_promote_adjustment 1"
ulvm dmsetup create c --table "$WB1"
qio "$(uri c)" "read 0 2M" >/dev/null
qio "$(uri c)" "write -P 0x81 0 2M" "flush"
qio "$T/ref.img" "write -P 0x81 0 2M" >/dev/null
[ "$(dirty c)" -ge 16 ] || fail "the writes did not stay in the cache: $(st c)"
kill -9 "$ULVMD_PID"
wait "$ULVMD_PID" 2>/dev/null || true
untrack "$ULVMD_PID"
rm -f "$RUN"/*.sock "$RUN"/*.pid
check_meta "$T/meta.img"
cmp -s -n $((2 * M)) "$T/origin.img" "$T/ref.img" && fail "the writes reached the origin before the crash"
start_ulvmd
ulvm dmsetup create c --table "$WB1"
st c
qio "$(uri c)" "read -P 0x81 0 2M"
clean_all c "$CLEANER"
ulvm dmsetup remove c
cmp "$T/origin.img" "$T/ref.img" || fail "after the crash and the cleaner the origin differs"
check_meta "$T/meta.img"

step "a sequential read of the whole origin does not evict the hot set"
ulvm dmsetup create c --table "$WB"
for pass in 1 2 3; do qio "$(uri c)" "read 1M 2M" >/dev/null; done
h0=$(field c 5)
qio "$(uri c)" "read 1M 2M" >/dev/null
h1=$(field c 5)
fio --name=s --ioengine=nbd --uri="$(uri c)" --rw=read --bs=1M --size=32M >/dev/null 2>&1 ||
	fail "fio sequential read failed"
h2=$(field c 5)
qio "$(uri c)" "read 1M 2M" >/dev/null
h3=$(field c 5)
echo "hot-set hits before: $((h1 - h0)), after the sequential read: $((h3 - h2))"
[ $((h3 - h2)) -ge $(((h1 - h0) * 9 / 10)) ] || fail "the sequential read evicted the hot set"
ulvm dmsetup remove c

step "ext4 on a writeback cache: files written, the cache cleaned, fsck clean on the origin alone"
if fs_can_ext4; then
	ulvm dmsetup create c --table "$WB1"
	ext4_fill c
	clean_all c "$CLEANER"
	ulvm dmsetup remove c
	check_meta "$T/meta.img"
	ext4_check_file "$T/origin.img"
else
	echo "(no nbdfuse, mkfs.ext4 or /dev/fuse: skipped)"
fi

step "bad tables and metadata refused, naming why, nothing changed"
cp "$T/meta.img" "$T/meta.before"
for t in "cache $T/meta.img $T/cache.img $T/origin.img 100 1 writeback smq 0|Invalid data block size" \
	"cache $T/meta.img $T/cache.img $T/origin.img 128 2 writeback writethrough smq 0|Duplicate cache io_mode" \
	"cache $T/meta.img $T/cache.img $T/origin.img 128 1 fast smq 0|Unrecognised cache feature" \
	"cache $T/meta.img $T/cache.img $T/origin.img 128 1 writeback lru 0|unknown policy lru" \
	"cache $T/meta.img $T/cache.img $T/origin.img 128 1 writeback smq 2 colour blue|bad config value for colour" \
	"cache $T/meta.img $T/cache.img $T/origin.img 256 1 writeback smq 0|changing the data block size" \
	"cache $T/meta.img $T/cache.img|Insufficient args"; do
	table_refused "0 $SECT ${t%%|*}" "${t##*|}"
done
table_refused "0 $((SECT * 2)) cache $T/meta.img $T/cache.img $T/origin.img 128 1 writeback smq 0" \
	"Device size larger than cached device"
cmp "$T/meta.img" "$T/meta.before" || fail "a refused table changed the metadata"
printf 'garbage' | dd of="$T/meta.img" bs=1 seek=300 conv=notrunc status=none
table_refused "$WB" "checksum"
printf '\0\0\0\0\0\0\0' | dd of="$T/meta.img" bs=1 seek=300 conv=notrunc status=none
cmp "$T/meta.img" "$T/meta.before" || fail "a refused table changed the metadata"
echo "cache-target: ok"
