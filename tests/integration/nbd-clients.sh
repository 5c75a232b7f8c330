#!/usr/bin/env bash
# Linear and striped devices over sparse files, through real NBD clients:
# nbdinfo (size, list, flags, map), nbdcopy, qemu-img compare, qemu-io
# patterns; and the bytes land in the lower files where the table says.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
need nbdinfo nbdcopy qemu-img qemu-io jq python3 cmp

K=1024 M=$((1024 * 1024))
mkfile "$T/a.img" 32M
mkfile "$T/b.img" 32M
mkfile "$T/s0.img" 32M
mkfile "$T/s1.img" 32M
start_ulvmd

# lin: 16 MiB of a.img from 1 MiB, then 16 MiB of b.img from 2 MiB.
ulvm dmsetup create lin --table "0 32768 linear $T/a.img 2048
32768 32768 linear $T/b.img 4096"
# str: 2 stripes of 64 KiB chunks, s0.img from 0 and s1.img from 512 KiB.
ulvm dmsetup create str --table "0 65536 striped 2 128 $T/s0.img 0 $T/s1.img 1024"
LIN=$(uri lin) STR=$(uri str)

echo "== nbdinfo: size, list, flags"
for u in "$LIN" "$STR"; do
	[ "$(nbdinfo --size "$u")" = $((32 * M)) ] || fail "size of $u: $(nbdinfo --size "$u")"
	nbdinfo --json "$u" | jq -e '.exports[0] | .can_multi_conn and .can_flush and .can_trim
		and .can_zero and (.is_read_only | not)' >/dev/null ||
		{ nbdinfo --json "$u"; fail "$u lacks multi-conn/flush/trim/zero or is read-only"; }
done
names=$(nbdinfo --list --json "nbd+unix://?socket=$SOCK" | jq -r '.exports[]."export-name"' | sort | xargs)
[ "$names" = "lin str" ] || fail "nbdinfo --list shows '$names', not 'lin str'"

echo "== nbdinfo --map: fresh devices are all hole"
is_hole "$LIN" 0 $((32 * M))
is_hole "$STR" 0 $((32 * M))

echo "== qemu-io on lin: aligned, unaligned, across the two lines"
qio "$LIN" 'write -P 0x11 0 64k' 'write -P 0x22 1000 5000'
qio "$LIN" 'read -P 0x11 0 1000' 'read -P 0x22 1000 5000' 'read -P 0x11 6000 59536'
qio "$LIN" "write -P 0x33 $((16 * M - 3000)) 6000" "read -P 0x33 $((16 * M - 3000)) 6000"
qio "$LIN" "read -P 0 $((16 * M - 4000)) 1000" "read -P 0 $((16 * M + 3000)) 1000"
# lin byte X < 16M is a.img byte 1M + X; byte 16M + Y is b.img byte 2M + Y.
bytes_are "$T/a.img" $((M)) 1000 0x11
bytes_are "$T/a.img" $((M + 1000)) 5000 0x22
bytes_are "$T/a.img" $((M + 6000)) 59536 0x11
bytes_are "$T/a.img" $((17 * M - 3000)) 3000 0x33
bytes_are "$T/b.img" $((2 * M)) 3000 0x33
bytes_are "$T/b.img" $((2 * M + 3000)) 1000 0
bytes_are "$T/a.img" 0 $((M)) 0
is_data "$LIN" 0 $((64 * K))
is_data "$LIN" $((16 * M - 3000)) 6000
is_hole "$LIN" $((1 * M)) $((14 * M))
is_hole "$LIN" $((17 * M)) $((15 * M))

echo "== qemu-io on str: chunk N goes to stripe N % 2, chunk N / 2 there"
for n in 0 1 2 3 4 5; do
	qio "$STR" "write -P $((0x40 + n)) $((n * 64 * K)) 64k"
done
qio "$STR" "write -P 0x77 $((11 * 64 * K - 100)) 200" "read -P 0x77 $((11 * 64 * K - 100)) 200"
qio "$STR" 'read -P 0x40 0 64k' 'read -P 0x43 192k 64k' 'read -P 0x45 320k 64k'
stripe_off=(0 $((512 * K)))
for n in 0 1 2 3 4 5; do
	bytes_are "$T/s$((n % 2)).img" $((stripe_off[n % 2] + n / 2 * 64 * K)) $((64 * K)) $((0x40 + n))
done
# chunk 10 = s0 chunk 5, chunk 11 = s1 chunk 5
bytes_are "$T/s0.img" $((6 * 64 * K - 100)) 100 0x77
bytes_are "$T/s1.img" $((512 * K + 5 * 64 * K)) 100 0x77
bytes_are "$T/s1.img" 0 $((512 * K)) 0
is_data "$STR" 0 $((6 * 64 * K))
is_hole "$STR" $((6 * 64 * K)) $((4 * 64 * K - 100))
is_hole "$STR" $((12 * 64 * K)) $((32 * M - 12 * 64 * K))

echo "== large, zeroing, FUA, flush and trim requests"
qio "$STR" "write -P 0x66 $((M)) 4M" "read -P 0x66 $((M)) 4M" # 64 chunks in one request
bytes_are "$T/s0.img" $((M / 2)) $((2 * M)) 0x66
bytes_are "$T/s1.img" $((512 * K + M / 2)) $((2 * M)) 0x66
qio "$LIN" "write -z $((15 * M)) 2M" "read -P 0 $((15 * M)) 2M"
bytes_are "$T/a.img" $((16 * M)) $((M)) 0
bytes_are "$T/b.img" $((2 * M)) $((M)) 0
qio "$STR" "write -z -u $((M + 4 * K)) 200k" "read -P 0 $((M + 4 * K)) 200k" \
	"read -P 0x66 $((M)) 4k" "read -P 0x66 $((M + 204 * K)) 100k"
qio "$LIN" 'write -f -P 0x55 0 64k' 'flush' 'read -P 0x55 0 64k'
qio "$LIN" "discard $((8 * M)) 1M" "discard $((16 * M - 64 * K)) 128k"
qio "$STR" "discard $((16 * M)) 1M"
bytes_are "$T/a.img" $((M)) $((64 * K)) 0x55

echo "== nbdcopy round trip and qemu-img compare"
head -c $((32 * M)) /dev/urandom >"$T/payload"
for u in "$LIN" "$STR"; do
	nbdcopy "$T/payload" "$u"
	rm -f "$T/back"
	nbdcopy "$u" "$T/back"
	cmp "$T/payload" "$T/back" || fail "nbdcopy round trip through $u differs"
	qemu-img compare -f raw -F raw "$T/payload" "$u" || fail "qemu-img compare with $u"
done
# The whole payload is in the lower files where the tables say.
python3 - "$T" <<'EOF' || fail "the lower files do not hold the payload where the tables say"
import sys
t = sys.argv[1]
K, M = 1024, 1024 * 1024
p = open(f"{t}/payload", "rb").read()
def at(f, off, n):
    with open(f"{t}/{f}", "rb") as fh:
        fh.seek(off)
        return fh.read(n)
assert at("a.img", M, 16 * M) == p[:16 * M], "lin line 1"
assert at("b.img", 2 * M, 16 * M) == p[16 * M:], "lin line 2"
base = [0, 512 * K]
for n in range(32 * M // (64 * K)):
    s = n % 2
    assert at(f"s{s}.img", base[s] + n // 2 * 64 * K, 64 * K) == p[n * 64 * K:(n + 1) * 64 * K], f"str chunk {n}"
EOF

ulvm dmsetup remove lin
ulvm dmsetup remove str
stop_ulvmd
echo "ok"
