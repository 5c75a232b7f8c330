#!/usr/bin/env bash
# The raid target through `ulvm dmsetup` and NBD clients: raid1 with rmeta
# devices in the kernel's format (mdadm reads the bitmap); the initial
# sync copies only allocated data; fio --verify goes on with no client
# error while a leg is switched to the error target, and the leg comes back
# with only the regions it missed copied; after kill -9 under writes only
# the regions the bitmap marked resync; check counts a corruption made in
# a leg's file, repair fixes it; raid10 near, far and offset and raid0 put
# every chunk where md's formulas say (a model in Python reads the leg
# files); with one leg of each raid10 mirror pair failing (error, then
# flakey) fio --verify sees no error; raid1 write-behind: a write to a
# write_mostly leg whose device is suspended is answered, lands when the
# device resumes (overlapping writes in the order they were made), and
# after kill -9 the regions it held resync from the
# other leg; a write to a region whose bitmap bit another write set waits,
# as that one does, until the bit is on disk (the rmeta device suspended);
# bad tables and foreign superblocks are refused, naming why.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
source "$(dirname "$0")/raid.bash"
need qemu-io
need fio
need nbdcopy
need mdadm
step() { echo "== $*"; }
M=$((1024 * 1024))
bitmap_dirty() { # RMETA -> dirty bits per mdadm
	dd if="$1" bs=4096 skip=1 count=64 of="$T/bm" status=none
	mdadm --examine-bitmap "$T/bm" | sed -n 's/.*bits (chunks), \([0-9]*\) dirty.*/\1/p'
}
raid1_table() { # LEG0 LEG1
	echo "0 131072 raid raid1 5 0 region_size 1024 daemon_sleep 1000 2 $T/m0 $1 $T/m1 $2"
}

step "raid1: the initial sync copies the allocated data only, mdadm reads our bitmap"
for f in d0 d1; do mkfile "$T/$f" 64M; done
for f in m0 m1; do mkfile "$T/$f" 1M; done
head -c $((4 * M)) /dev/urandom >"$T/seed"
dd if="$T/seed" of="$T/d0" bs=1M seek=8 conv=notrunc status=none
start_ulvmd
ulvm dmsetup create l1 --table "0 131072 linear $T/d1 0"
ulvm dmsetup create r1 --table "$(raid1_table "$T/d0" /dev/mapper/l1)"
settle r1 AA
grep -q "resync finished: 4 MiB copied, 60 MiB skipped as holes" "$T/ulvmd.log" ||
	{ cat "$T/ulvmd.log"; fail "the initial sync did not skip the holes"; }
cmp "$T/d0" "$T/d1" || fail "the legs differ after the initial sync"
[ "$(du -k "$T/d1" | cut -f1)" -le 8192 ] || fail "the initial sync filled the holes of leg 1"
[ "$(bitmap_dirty "$T/m0")" = 0 ] || fail "mdadm: dirty bits after the sync"
dd if="$T/m1" bs=4096 skip=1 count=1 of="$T/bm" status=none
mdadm --examine-bitmap "$T/bm" | grep -E "Magic|Chunksize|Sync Size|Bitmap"
ulvm dmsetup table r1 | grep -q "raid raid1 5 0 daemon_sleep 1000 region_size 1024 2 $T/m0 $T/d0 $T/m1 /dev/mapper/l1" ||
	fail "table: $(ulvm dmsetup table r1)"

step "raid1: a leg switched to error under fio --verify: no client error, health AD"
fio --name=v --ioengine=nbd --uri="$(uri r1)" --rw=randwrite --bs=4k --size=16M --offset=16M --loops=4 \
	--iodepth=8 --verify=crc32c --verify_fatal=1 --do_verify=1 \
	--output="$T/fio1.log" >/dev/null 2>&1 &
FIO=$!
track "$FIO"
sleep 0.5
ulvm dmsetup reload l1 --table "0 131072 error"
ulvm dmsetup resume l1
wait "$FIO" || { cat "$T/fio1.log"; fail "fio saw an error while leg 1 failed"; }
grep -q "err= 0" "$T/fio1.log" || { cat "$T/fio1.log"; fail "fio: errors"; }
st=$(ulvm dmsetup status r1)
[ "$(awk '{print $6}' <<<"$st")" = AD ] || fail "status after the leg failed: $st"
grep -q "leg 1 (/dev/mapper/l1) failed" "$T/ulvmd.log" || fail "no log line for the failed leg"
qio "$(uri r1)" "write -P 0x5a 2M 1M" # degraded write: marks its region

step "raid1: the leg comes back: only the regions it missed are copied"
ulvm dmsetup reload l1 --table "0 131072 linear $T/d1 0"
ulvm dmsetup resume l1
ulvm dmsetup reload r1 --table "$(raid1_table "$T/d0" /dev/mapper/l1)"
ulvm dmsetup resume r1
settle r1 AA
grep -q "leg 1 recovers the regions it missed" "$T/ulvmd.log" || fail "leg 1 not bitmap-guided"
copied=$(grep "recovery finished" "$T/ulvmd.log" | tail -n1 | sed 's/.*finished: \([0-9]*\) MiB.*/\1/')
echo "recovery copied $copied MiB of 64"
[ "$copied" -le 24 ] || fail "recovery copied $copied MiB: more than the regions written while degraded"
cmp "$T/d0" "$T/d1" || fail "the legs differ after the recovery"

step "raid1: kill -9 under writes: only the marked regions resync"
sleep 2.5 # the bitmap daemon (daemon_sleep 1000) clears the recovered regions
qio "$(uri r1)" "write -P 0x11 10M 64k" "write -P 0x22 40M 1M"
kill -9 "$ULVMD_PID"
wait "$ULVMD_PID" 2>/dev/null || true
dirty=$(bitmap_dirty "$T/m0")
echo "bits set at the crash: $dirty"
[ "$dirty" -ge 3 ] && [ "$dirty" -lt 20 ] || fail "$dirty bits set at the crash"
rm -f "$RUN"/*.sock "$RUN"/*.pid
start_ulvmd
ulvm dmsetup create l1 --table "0 131072 linear $T/d1 0"
ulvm dmsetup create r1 --table "$(raid1_table "$T/d0" /dev/mapper/l1)"
settle r1 AA
grep -q "raid: $dirty regions may differ between legs" "$T/ulvmd.log" || { cat "$T/ulvmd.log"; fail "not $dirty regions to resync"; }
grep -q "resync of $dirty regions of 1024 sectors (those the bitmap marked)" "$T/ulvmd.log" || fail "resync was not bitmap-guided"
cmp "$T/d0" "$T/d1" || fail "the legs differ after the resync"

step "raid1: check counts a corruption in leg 1, repair fixes it"
qio "$(uri r1)" "write -P 0x33 20M 64k" "flush"
printf 'CORRUPT' | dd of="$T/d1" bs=1 seek=$((20 * M + 100)) conv=notrunc status=none
ulvm dmsetup message r1 0 check
settle r1 AA
mm=$(ulvm dmsetup status r1 | awk '{print $9}')
[ "$mm" -gt 0 ] || fail "check found no mismatch: $(ulvm dmsetup status r1)"
echo "check: $mm sectors mismatched"
ulvm dmsetup message r1 0 repair
settle r1 AA
ulvm dmsetup message r1 0 check
settle r1 AA
[ "$(ulvm dmsetup status r1 | awk '{print $9}')" = 0 ] || fail "mismatches after repair"
cmp "$T/d0" "$T/d1" || fail "the legs differ after repair"
if ulvm dmsetup message r1 0 bogus 2>"$T/err"; then fail "bogus message accepted"; fi
grep -q "Unrecognised raid message" "$T/err" || fail "bogus message: $(cat "$T/err")"
ulvm dmsetup remove r1
ulvm dmsetup remove l1

step "raid10 near/far/offset and raid0: every chunk where md puts it"
for i in 0 1 2 3; do mkfile "$T/r$i" 16M; mkfile "$T/rm$i" 1M; done
head -c $((64 * M)) /dev/urandom >"$T/img"
layout_check() { # TYPE PARAMS... (the table's raid params after the chunk)
	local type=$1 legs="" n=0; shift
	for i in 0 1 2 3; do
		truncate -s 0 "$T/r$i" "$T/rm$i"; truncate -s 16M "$T/r$i"; truncate -s 1M "$T/rm$i"
		if [ "$type" = raid0 ]; then legs+=" - $T/r$i"; else legs+=" $T/rm$i $T/r$i"; fi
	done
	local len=$((2 * 16 * 2048))
	[ "$type" = raid0 ] && len=$((4 * 16 * 2048))
	ulvm dmsetup create lay --table "0 $len raid $type $(($# + 1)) 128 $* 4$legs"
	[ "$type" = raid0 ] || settle lay AAAA
	head -c $((len * 512)) "$T/img" >"$T/img.part"
	nbdcopy --flush "$T/img.part" "$(uri lay)"
	ulvm dmsetup remove lay
	python3 - "$T" "$type" "$len" "$@" <<'EOF' || fail "$type $*: a chunk is not where md puts it"
import sys
t, typ, length, params = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
chunk, ndev = 128 * 512, 4
legs = [open(f"{t}/r{i}", "rb").read() for i in range(ndev)]
img = open(f"{t}/img", "rb").read()[: length * 512]
fmt = params[params.index("raid10_format") + 1] if "raid10_format" in params else "near"
copies = int(params[params.index("raid10_copies") + 1]) if "raid10_copies" in params else 2
# The model, from the layout pictures of md(4) and dm-raid.rst: where each
# array chunk's copies sit (device, device chunk row).
nchunks = length * 512 // chunk
def places(a):
    if typ == "raid0":
        return [(a % ndev, a // ndev)]
    if fmt == "near":
        first = a * copies
        return [((first + k) % ndev, (first + k) // ndev) for k in range(copies)]
    rows_per_copy = nchunks // ndev            # rows one far copy takes
    row, dev = divmod(a, ndev)
    out = [(dev, row * (copies if fmt == "offset" else 1))]
    for f in range(1, copies):
        # far sets of copies devices: the copy moves one device on, within its set
        set_start = dev // copies * copies
        d = set_start + (dev - set_start + f) % copies
        r = row * copies + f if fmt == "offset" else row + f * rows_per_copy
        out.append((d, r))
    return out
bad = 0
for a in range(nchunks):
    want = img[a * chunk:(a + 1) * chunk]
    for d, r in places(a):
        if legs[d][r * chunk:(r + 1) * chunk] != want:
            bad += 1
            if bad < 5:
                print(f"chunk {a}: not at device {d} row {r}")
print(f"{typ} {fmt if typ != 'raid0' else ''}: {nchunks} chunks checked, {bad} misplaced")
sys.exit(1 if bad else 0)
EOF
}
layout_check raid10 raid10_copies 2
layout_check raid10 raid10_copies 2 raid10_format far
layout_check raid10 raid10_copies 2 raid10_format offset
cp "$T/rm0" "$T/foreign" # a raid10 array's superblock
layout_check raid0

step "raid10 near: one leg of each mirror pair fails (error, then flakey) under fio --verify"
for i in 0 1 2 3; do truncate -s 0 "$T/r$i" "$T/rm$i"; truncate -s 16M "$T/r$i"; truncate -s 1M "$T/rm$i"; done
ulvm dmsetup create f1 --table "0 32768 linear $T/r1 0"
ulvm dmsetup create f3 --table "0 32768 linear $T/r3 0"
ulvm dmsetup create r10 --table "0 65536 raid raid10 3 128 region_size 1024 4 $T/rm0 $T/r0 $T/rm1 /dev/mapper/f1 $T/rm2 $T/r2 $T/rm3 /dev/mapper/f3"
settle r10 AAAA
fio --name=v --ioengine=nbd --uri="$(uri r10)" --rw=randwrite --bs=4k --size=24M --loops=4 --iodepth=8 \
	--verify=crc32c --verify_fatal=1 --do_verify=1 --output="$T/fio2.log" >/dev/null 2>&1 &
FIO=$!
track "$FIO"
sleep 0.5
ulvm dmsetup reload f1 --table "0 32768 error"
ulvm dmsetup resume f1
sleep 0.5
ulvm dmsetup reload f3 --table "0 32768 flakey $T/r3 0 0 60"
ulvm dmsetup resume f3
wait "$FIO" || { cat "$T/fio2.log"; fail "fio saw an error while a leg of each pair failed"; }
qio "$(uri r10)" "write -P 0x21 0 32M" "read -P 0x21 0 32M" # writes reach every leg
[ "$(ulvm dmsetup status r10 | awk '{print $6}')" = ADAD ] || fail "raid10 health: $(ulvm dmsetup status r10)"
ulvm dmsetup remove r10
ulvm dmsetup remove f1
ulvm dmsetup remove f3

step "raid1 write-behind: a write_mostly leg catches up later; resync never copies from it"
for f in e0 e1; do rm -f "$T/$f"; mkfile "$T/$f" 32M; done
for f in n0 n1; do rm -f "$T/$f"; mkfile "$T/$f" 1M; done
wb_up() { # leg 0 (a linear map, to suspend) write_mostly, 256 writes behind at most
	ulvm dmsetup create w0 --table "0 65536 linear $T/e0 0"
	ulvm dmsetup create wb --table "0 65536 raid raid1 7 0 region_size 1024 write_mostly 0 max_write_behind 512 2 \
$T/n0 /dev/mapper/w0 $T/n1 $T/e1"
	settle wb AA
}
nbd_write() { # BYTE OFFSET_MiB: 1 MiB over NBD, no flush (a flush waits for every leg; qemu-io flushes at exit)
	python3 - "$(uri wb)" "$1" "$2" <<'EOF'
import nbd, sys
h = nbd.NBD()
h.connect_uri(sys.argv[1])
h.pwrite(bytes([int(sys.argv[2], 0)]) * (1 << 20), int(sys.argv[3]) << 20)
h.shutdown()
EOF
}
holds() { # FILE BYTE OFFSET_MiB: the MiB there is all BYTE
	python3 -c 'import sys; f = open(sys.argv[1], "rb"); f.seek(int(sys.argv[3]) << 20)
sys.exit(f.read(1 << 20) != bytes([int(sys.argv[2], 0)]) * (1 << 20))' "$@"
}
wb_up
ulvm dmsetup suspend w0
nbd_write 0x5a 4 # answered while leg 0 cannot take it
holds "$T/e1" 0x5a 4 || fail "leg 1 does not have the write"
holds "$T/e0" 0x5a 4 && fail "the write-mostly leg has the write while its device is suspended"
python3 - "$(uri wb)" <<'EOF' || fail "the write does not read back (from leg 1)"
import nbd, sys
h = nbd.NBD()
h.connect_uri(sys.argv[1])
sys.exit(h.pread(1 << 20, 4 << 20) != b"\x5a" * (1 << 20))
EOF
python3 - "$(uri wb)" <<'EOF' # overlapping writes, each answered before the next: they land in this order
import nbd, sys
h = nbd.NBD()
h.connect_uri(sys.argv[1])
for byte, off, n in ((0x21, (4 << 20) + (256 << 10), 512 << 10), (0x22, (4 << 20) + (512 << 10), 1 << 20),
                     (0x23, (4 << 20) + (300 << 10), 4096), (0x24, (4 << 20) + (600 << 10), 65536)):
    h.pwrite(bytes([byte]) * n, off)
h.shutdown()
EOF
ulvm dmsetup resume w0
for _ in $(seq 100); do cmp -s "$T/e0" "$T/e1" && break; sleep 0.1; done
settle wb AA
cmp "$T/e0" "$T/e1" || fail "the write-mostly leg did not catch up, or took overlapping writes out of order"
ulvm dmsetup suspend w0
nbd_write 0x6b 8
holds "$T/e0" 0x6b 8 && fail "the write-mostly leg has the second write"
kill -9 "$ULVMD_PID"
wait "$ULVMD_PID" 2>/dev/null || true
rm -f "$RUN"/*.sock "$RUN"/*.pid
start_ulvmd
wb_up
grep -q "resync of [0-9]* regions of 1024 sectors (those the bitmap marked)" "$T/ulvmd.log" ||
	{ cat "$T/ulvmd.log"; fail "no bitmap-guided resync after the crash"; }
holds "$T/e1" 0x6b 8 || fail "the resync copied the stale write-mostly leg over leg 1"
cmp "$T/e0" "$T/e1" || fail "the legs differ after the resync"
ulvm dmsetup remove wb
ulvm dmsetup remove w0

step "the bitmap bit is on disk before any write it covers, the second writer's to the region too"
for f in g0 g1; do rm -f "$T/$f"; mkfile "$T/$f" 32M; done
for f in q0 q1; do rm -f "$T/$f"; mkfile "$T/$f" 1M; done
ulvm dmsetup create bm0 --table "0 2048 linear $T/q0 0"
ulvm dmsetup create bb --table "0 65536 raid raid1 3 0 region_size 1024 2 /dev/mapper/bm0 $T/g0 $T/q1 $T/g1"
settle bb AA
second_writer_waits bm0 "$(uri bb)" "$T/g0" "$T/g1"
ulvm dmsetup remove bb
ulvm dmsetup remove bm0

step "bad tables and foreign superblocks are refused, naming why"
refuse() { # PATTERN TABLE
	if ulvm dmsetup create bad --table "$2" 2>"$T/err"; then fail "accepted: $2"; fi
	grep -q -- "$1" "$T/err" || { cat "$T/err"; fail "'$2': no '$1'"; }
	echo "refused: $(head -n1 "$T/err")"
}
mkfile "$T/x0" 64M; mkfile "$T/x1" 64M; mkfile "$T/xm0" 1M; mkfile "$T/xm1" 1M
refuse "Region size is not a power of two" "0 131072 raid raid1 3 0 region_size 1000 2 $T/xm0 $T/x0 $T/xm1 $T/x1"
refuse "Not enough devices" "0 131072 raid raid1 1 0 3 $T/xm0 $T/x0 $T/xm1 $T/x1"
refuse "Insufficient redundancy" "0 131072 raid raid1 1 0 2 - - - -"
refuse "raid10_copies" "0 131072 raid raid10 3 128 raid10_copies 5 2 $T/xm0 $T/x0 $T/xm1 $T/x1"
refuse "Unrecognised raid_type raid9" "0 131072 raid raid9 1 0 2 $T/xm0 $T/x0 $T/xm1 $T/x1"
refuse "Unable to parse RAID parameter: bogus" "0 131072 raid raid1 2 0 bogus 2 $T/xm0 $T/x0 $T/xm1 $T/x1"
truncate -s 4096 "$T/xs"
refuse "Metadata device 0 is too small" "0 131072 raid raid1 1 0 2 $T/xs $T/x0 $T/xm1 $T/x1"
# a raid10 array's superblock in a raid1's rmeta
cp "$T/foreign" "$T/xm0"
refuse "holds the superblock of another array" "0 131072 raid raid1 1 0 2 $T/xm0 $T/x0 $T/xm1 $T/x1"
printf '\x07' | dd of="$T/xm0" bs=1 seek=4 conv=notrunc status=none # compat_features 7
cp "$T/xm0" "$T/xm0.before"
refuse "unknown compat features" "0 131072 raid raid1 1 0 2 $T/xm0 $T/x0 $T/xm1 $T/x1"
cmp "$T/xm0" "$T/xm0.before" || fail "a refused table changed the rmeta device"
stop_ulvmd
echo "raid-target: ok"
