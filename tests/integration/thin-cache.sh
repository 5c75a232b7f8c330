#!/usr/bin/env bash
# A thin pool whose metadata is many times the daemon's metadata cache:
# the metadata of a fully mapped 64 GiB thin (1,048,576 mappings of 64 KiB
# blocks, ~35 MiB) built by thin_restore, served by a ulvmd started with
# --thin-metadata-cache 1 (1 MiB).  The cache must evict and reread all
# the time, and
#  - the thin's status shows every block mapped;
#  - random 4 KiB writes with crc32c verify spread over the whole 64 GiB,
#    a snapshot, more random writes on the origin (copy-on-write of
#    shared blocks), then the snapshot still verifies the first writes
#    and the origin the second ones; the copied blocks keep the
#    snapshot's data around the new writes; blocks never written read
#    zeroes;
#  - the daemon's peak RSS (VmHWM) stays under 24 MiB more than its RSS
#    after the same kind of work on a small pool (measured in the same
#    process, so ASan's overhead is on both sides; the quarantine is cut
#    to 16 MiB): an unbounded cache would hold the ~60 MiB of metadata
#    the I/O touched and shadowed;
#  - thin_check is clean afterwards, thin_ls and thin_dump show both
#    thins fully mapped, the snapshot's mappings untouched and exactly
#    the origin's rewritten blocks moved to new data blocks; the pool's
#    status counted one new data block each.
#   THIN_CACHE_MIB  the daemon's --thin-metadata-cache (default 1; a large
#                   value shows the memory check fail)
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
need fio qemu-io thin_restore thin_check thin_dump thin_ls awk
need_nbdpy
fio --enghelp 2>/dev/null | grep -qw nbd || skip "fio has no nbd engine"

step() { echo "== $* ($SECONDS s)"; }
# In an ASan build, freed memory waits in a quarantine (256 MiB by
# default) that the copies of this test fill: keep it small so the
# daemon's peak is the cache and not the quarantine.
export ASAN_OPTIONS=${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}quarantine_size_mb=16
NB=1048576                  # mapped 64 KiB blocks: 64 GiB
NR=$((NB + 262144))         # data blocks in the pool
VLEN=$((NB * 128))          # the thin, in sectors
W1=32                       # MiB per job of the first write pass (2 jobs)
W2=8                        # and of the second, on the origin after the snapshot
MARGIN_MIB=24
CACHE_MIB=${THIN_CACHE_MIB:-1}

# Metadata of one fully mapped thin (dev 1) by thin_restore.
restore() { # meta-file mapped-blocks data-blocks
	cat >"$1.xml" <<EOF
<superblock uuid="" time="0" transaction="1" flags="0" version="2" data_block_size="128" nr_data_blocks="$3">
  <device dev_id="1" mapped_blocks="$2" transaction="0" creation_time="0" snap_time="0">
    <range_mapping origin_begin="0" data_begin="0" length="$2" time="0"/>
  </device>
</superblock>
EOF
	thin_restore -q -i "$1.xml" -o "$1" || fail "thin_restore of $1"
}

step "metadata of a fully mapped 64 GiB thin, by thin_restore"
mkfile "$T/meta" 256M
mkfile "$T/data" $((NR * 65536)) # sparse: mapped blocks never written read zeroes
restore "$T/meta" "$NB" "$NR"
echo "metadata: $(du -m "$T/meta" | cut -f1) MiB allocated, cache $CACHE_MIB MiB"

rss() { awk -v k="$1:" '$1 == k {print int($2 / 1024)}' "/proc/$ULVMD_PID/status"; }
mem() { echo "ulvmd: VmRSS $(rss VmRSS) MiB, VmHWM $(rss VmHWM) MiB"; }

fio_ok() { # log rc
	if [ "$2" -ne 0 ] || grep -qE 'err= *[1-9]|verify: bad|fio: pid=' "$1"; then
		cat "$1"
		fail "fio (exit $2), log above"
	fi
}
# Random 4 KiB writes over a whole thin: two jobs on two connections,
# one per half, each logging its writes (--write_iolog) on a write pass.
# The random map keeps a pass from writing a 4 KiB block twice, and the
# same seed replays the same offsets and data for a verify-only pass
# (--randrepeat=0: with the default 1, fio 3.33 takes the offsets from a
# fixed seed whatever --randseed says).
pass() { # log dev MiB-per-job seed mode [half, in MiB]
	local log=$1 dev=$2 io=$3 seed=$4 mode=$5 half=${6:-$((NB / 32))} dir=WRITE rc=0 j jobs=()
	for j in 0 1; do
		jobs+=(--name="j$j" --offset=$((j * half))M)
		[ "$mode" = --verify_only ] || jobs+=(--write_iolog="$log.j$j")
	done
	fio --ioengine=nbd --uri="$(uri "$dev")" --rw=randwrite --bs=4k --iodepth=16 \
		--size="${half}M" --io_size="${io}M" --randrepeat=0 --randseed="$seed" \
		--verify=crc32c --verify_fatal=1 \
		--group_reporting "$mode" "${jobs[@]}" >"$log" 2>&1 || rc=$?
	fio_ok "$log" "$rc"
	[ "$mode" = --verify_only ] && dir=READ
	grep -qE "$dir:.*io=$((io * 2))(\.0)?MiB" "$log" ||
		{ cat "$log"; fail "fio $mode on $dev did not do $((io * 2)) MiB"; }
	grep -E 'READ:|WRITE:' "$log"
	mem
}
# The 64 KiB blocks a write pass wrote (from its fio logs), sorted for comm.
blocks() { awk '$3 == "write" {print int($4 / 65536)}' "$1".j0 "$1".j1 | sort -u; }

start_ulvmd --thin-metadata-cache "$CACHE_MIB"
mem

step "baseline: the daemon's memory after the same work on a small pool"
# A 1 GiB fully mapped thin whose metadata fits in the cache: the same
# kinds of writes, snapshot and copies, so that the baseline holds what
# the I/O paths allocate (and, in an ASan build, the allocator's caches
# and quarantine) and the difference is the cache.
NBS=16384
mkfile "$T/smeta" 8M
mkfile "$T/sdata" $((2 * NBS * 65536))
restore "$T/smeta" "$NBS" $((2 * NBS))
ulvm dmsetup create spool --table "0 $((2 * NBS * 128)) thin-pool $T/smeta $T/sdata 128 0"
ulvm dmsetup create s1 --table "0 $((NBS * 128)) thin /dev/mapper/spool 1"
pass "$T/s1.log" s1 "$W1" 11 --do_verify=1 $((NBS / 32))
ulvm dmsetup suspend s1
ulvm dmsetup message spool 0 "create_snap 2 1"
ulvm dmsetup resume s1
pass "$T/s2.log" s1 "$W2" 22 --do_verify=1 $((NBS / 32))
ulvm dmsetup remove s1
ulvm dmsetup remove spool
BASE_RSS=$(rss VmRSS)
BASE_HWM=$(rss VmHWM)
# Restart the peak from here (Linux >= 4.0); if that is refused, the
# peak includes the small pool's, which only makes the check stricter.
echo 5 2>/dev/null >"/proc/$ULVMD_PID/clear_refs" || true
echo "baseline: VmRSS $BASE_RSS MiB, VmHWM $BASE_HWM MiB (peak now $(rss VmHWM) MiB)"

step "the pool and the fully mapped thin"
ulvm dmsetup create pool --table "0 $((NR * 128)) thin-pool $T/meta $T/data 128 0"
ulvm dmsetup create t1 --table "0 $VLEN thin /dev/mapper/pool 1"
st=$(ulvm dmsetup status t1)
echo "t1: $st"
[ "$st" = "0 $VLEN thin $VLEN $((VLEN - 1))" ] ||
	fail "t1 status: want $VLEN mapped sectors, highest $((VLEN - 1))"
ulvm dmsetup status pool

step "random writes over all 64 GiB, verified"
pass "$T/w1.log" t1 "$W1" 11 --do_verify=1

step "a snapshot of the live thin"
ulvm dmsetup suspend t1
ulvm dmsetup message pool 0 "create_snap 2 1"
ulvm dmsetup resume t1
ulvm dmsetup create t2 --table "0 $VLEN thin /dev/mapper/pool 2"
[ "$(ulvm dmsetup status t2)" = "0 $VLEN thin $VLEN $((VLEN - 1))" ] ||
	fail "t2 status: $(ulvm dmsetup status t2)"

step "random writes on the origin: copy-on-write of shared blocks"
pass "$T/w2.log" t1 "$W2" 22 --do_verify=0
step "the snapshot verifies the first writes, the origin the second"
pass "$T/v1.log" t2 "$W1" 11 --verify_only
pass "$T/v2.log" t1 "$W2" 22 --verify_only

blocks "$T/w1.log" >"$T/b1"
blocks "$T/w2.log" >"$T/b2"
W2_BLOCKS=$(wc -l <"$T/b2") # each copied once to a new data block
echo "64 KiB blocks written: $(wc -l <"$T/b1") by the first pass, $W2_BLOCKS by the second," \
	"$(comm -12 "$T/b1" "$T/b2" | wc -l) by both"

step "blocks never written read zeroes, on both thins"
# Mapped blocks whose data was never written (a sparse file): the first
# block at or after each of these that neither pass wrote.
cmds=()
for b in 0 4097 131071 262144 524287 524288 777777 999999 $((NB - 64)); do
	while grep -qx "$b" "$T/b1" "$T/b2"; do b=$((b + 1)); done
	cmds+=("read -P 0 $((b * 65536)) 64k")
done
qio "$(uri t1)" "${cmds[@]}"
qio "$(uri t2)" "${cmds[@]}"

step "copied blocks: the origin still has the snapshot's data around its new writes"
# Every block both passes wrote, and the first 64 the second pass alone
# did: the origin and the snapshot must be equal but for the 4 KiB the
# second pass wrote on the origin.
{
	comm -12 "$T/b1" "$T/b2"
	comm -13 "$T/b1" "$T/b2" | head -n 64
} >"$T/cmp.blocks"
awk '$3 == "write" {print $4}' "$T/w2.log.j0" "$T/w2.log.j1" >"$T/w2.offsets"
"$NBDPY" - "$(uri t1)" "$(uri t2)" "$T/cmp.blocks" "$T/w2.offsets" <<'PY' || fail "origin and snapshot differ outside the origin's new writes"
import nbd, sys
u1, u2, blocks, offsets = sys.argv[1:5]
written = {int(x) for x in open(offsets)}
h1, h2 = nbd.NBD(), nbd.NBD()
h1.connect_uri(u1)
h2.connect_uri(u2)
n = data = 0
for line in open(blocks):
    base = int(line) * 65536
    a, b = h1.pread(65536, base), h2.pread(65536, base)
    for off in range(0, 65536, 4096):
        if base + off in written:
            continue
        if a[off:off + 4096] != b[off:off + 4096]:
            sys.exit(f"offset {base + off}: the origin differs from the snapshot")
        n += 1
        data += any(b[off:off + 4096])
print(f"{n} 4 KiB blocks of copied 64 KiB blocks equal, {data} of them with the first pass's data")
if data == 0 and any(True for _ in open(blocks)):
    sys.exit("no block holding the first pass's data was compared")
PY

step "memory"
HWM=$(rss VmHWM)
RSS=$(rss VmRSS)
st1=$(ulvm dmsetup status t1)
st2=$(ulvm dmsetup status t2)
pst=$(ulvm dmsetup status pool)
echo "t1: $st1"
echo "t2: $st2"
echo "pool: $pst"
echo "ulvmd peak RSS (VmHWM) $HWM MiB, now $RSS MiB; baseline VmRSS $BASE_RSS MiB," \
	"VmHWM $BASE_HWM MiB; bound $((BASE_RSS + MARGIN_MIB)) MiB"
[ "$HWM" -lt $((BASE_RSS + MARGIN_MIB)) ] ||
	fail "ulvmd peak RSS $HWM MiB >= baseline $BASE_RSS MiB + $MARGIN_MIB MiB: is the metadata cache ($CACHE_MIB MiB) bounded?"

for s in "$st1" "$st2"; do
	[ "$s" = "0 $VLEN thin $VLEN $((VLEN - 1))" ] || fail "thin status after the writes: $s"
done
# Data used: the restored blocks and one new block per rewritten one.
used=$(awk '{print $6}' <<<"$pst")
[ "$used" = "$((NB + W2_BLOCKS))/$NR" ] ||
	fail "pool data used $used, expected $((NB + W2_BLOCKS))/$NR"

step "remove, then thin_check and thin_ls on the metadata"
ulvm dmsetup remove t2
ulvm dmsetup remove t1
ulvm dmsetup remove pool
stop_ulvmd
thin_check "$T/meta" || fail "thin_check"
thin_ls --no-headers -o DEV,MAPPED_BLOCKS "$T/meta" >"$T/ls.txt" || fail "thin_ls"
cat "$T/ls.txt"
[ "$(awk '$1 == 1 {print $2}' "$T/ls.txt")" = "$NB" ] || fail "thin_ls: dev 1 is not fully mapped"
[ "$(awk '$1 == 2 {print $2}' "$T/ls.txt")" = "$NB" ] || fail "thin_ls: dev 2 is not fully mapped"
[ "$(wc -l <"$T/ls.txt")" = 2 ] || fail "thin_ls: not exactly devices 1 and 2"
step "thin_dump: the mappings"
thin_dump "$T/meta" >"$T/dump.xml" || fail "thin_dump"
grep -q "<device dev_id=\"1\" mapped_blocks=\"$NB\"" "$T/dump.xml" || fail "thin_dump: dev 1"
grep -q "<device dev_id=\"2\" mapped_blocks=\"$NB\"" "$T/dump.xml" || fail "thin_dump: dev 2"
# Every mapping the restore made was block i -> data block i: the
# snapshot must still have all of them, the origin all but the blocks
# the second pass wrote, each moved to its own new block past NB.
awk -v nb="$NB" -v out="$T/moved" '
	function attr(k) {
		if (!match($0, k "=\"[0-9]+\"")) { print "no " k ": " $0 > "/dev/stderr"; exit 1 }
		return substr($0, RSTART + length(k) + 2, RLENGTH - length(k) - 3) + 0
	}
	/<device / { d = attr("dev_id"); devs[d] = 1 }
	/<range_mapping / { o = attr("origin_begin"); b = attr("data_begin"); n = attr("length") }
	/<single_mapping / { o = attr("origin_block"); b = attr("data_block"); n = 1 }
	/_mapping / {
		if (o == b) same[d] += n
		else if (b < nb) bad[d] += n
		else {
			moved[d] += n
			if (d == 1) for (i = 0; i < n; i++) print o + i >out
		}
	}
	END { for (d in devs) print d, same[d] + 0, moved[d] + 0, bad[d] + 0 }' "$T/dump.xml" |
	sort >"$T/split.txt" || fail "parsing thin_dump"
echo "thin_dump: dev, blocks in place, moved past the restored ones, elsewhere:"
cat "$T/split.txt"
[ "$(awk '$1 == 2' "$T/split.txt")" = "2 $NB 0 0" ] || fail "thin_dump: the snapshot's mappings changed"
[ "$(awk '$1 == 1' "$T/split.txt")" = "1 $((NB - W2_BLOCKS)) $W2_BLOCKS 0" ] ||
	fail "thin_dump: the origin should have exactly its $W2_BLOCKS rewritten blocks moved"
sort "$T/moved" | cmp -s - "$T/b2" || fail "thin_dump: the origin's moved blocks are not the ones written"
echo "thin-cache: all passed ($SECONDS s)"
