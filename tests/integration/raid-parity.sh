#!/usr/bin/env bash
# Parity RAID (raid4, raid5, raid6) through `ulvm dmsetup` and NBD clients:
#  - every layout dm-raid names: a pattern written with nbdcopy, then 300
#    mixed writes (1 byte to 600 KiB, aligned and not, write zeroes) from a
#    libnbd client, reads back as written, and a model of MD's formulas
#    (raid_parity_model.py, from the kernel's raid5_compute_sector and
#    lib/raid6) finds every data chunk where MD puts it and P and Q equal
#    to the data's;
#  - degraded: legs missing at activation ('-'): reads rebuild what they
#    lost (one for raid5, two for raid6), writes go on; when the legs come
#    back, recovery makes them what the model wants;
#  - fio --verify with one raid5 leg (two raid6 legs) switched to the error
#    target mid-run: no client error; ext4 on the degraded raid6 is
#    fsck-clean; the legs come back, are rebuilt, fio --verify_only passes
#    and the model finds every stripe consistent;
#  - 4 clients writing interleaved 4 KiB blocks of one stripe row (legs
#    behind a delay target): writes waiting for the row are merged into its
#    holder's update (the log counts them), the array reads back as written
#    and P is right;
#  - check counts a P corrupted behind the array's back, repair fixes it;
#  - kill -9 under random writes: after restart only the marked regions
#    resync, check finds 0 mismatches and every flushed write reads back;
#  - takeover by table: raid5_ls over 4 legs loaded as raid6_ls_6 with a
#    5th, new leg rebuilds it as Q (the model agrees) and back as raid5_ls;
#    raid6_zr, raid6_rs_6, raid6_n_6 or swapped legs over the same
#    superblocks are refused, naming the superblock, nothing written;
#  - bad tables: wrong device counts, a chunk that is not a power of two, an
#    unknown layout, a length the data devices do not divide: refused,
#    naming why, nothing written.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
source "$(dirname "$0")/raid.bash"
need qemu-io fio nbdcopy python3 mkfs.ext4 fsck.ext4
step() { echo "== $*"; }
M=$((1024 * 1024))
MODEL=$(dirname "$0")/raid_parity_model.py
FZ=$T/fuse MNT=$T/mnt
mkdir -p "$FZ" "$MNT"
# table TYPE NDEVS LEG_MiB MISSING... -> a table over $T/d<i> and $T/m<i>
table() {
	local type=$1 n=$2 mib=$3 np=1 devs=""; shift 3
	case $type in raid6*) np=2 ;; esac
	for i in $(seq 0 $((n - 1))); do
		if [[ " $* " == *" $i "* ]]; then devs+=" - -"; else devs+=" $T/m$i $T/d$i"; fi
	done
	echo "0 $(((n - np) * mib * 2048)) raid $type 5 128 region_size 2048 daemon_sleep 1000 $n$devs"
}
fresh() { # N MiB
	for i in $(seq 0 $(($1 - 1))); do rm -f "$T/d$i" "$T/m$i"; mkfile "$T/d$i" "$2M"; mkfile "$T/m$i" 1M; done
}
legs() { for i in $(seq 0 $(($1 - 1))); do echo -n "$T/d$i "; done; }
health() { printf 'A%.0s' $(seq "$1"); }
cat >"$T/mix.py" <<'PY'
import nbd, random, sys
uri, img, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
h = nbd.NBD()
h.connect_uri(uri)
size = h.get_size()
data = bytearray(open(img, "rb").read())
rnd = random.Random(seed)
for i in range(300):
    n = rnd.choice([1, 512, 4096, 5000, 65536, 70000, 200000, 600000])
    o = rnd.randrange(0, size - n)
    if rnd.random() < 0.2:
        o &= ~4095
    if rnd.random() < 0.1:
        h.zero(n, o)
        b = bytes(n)
    else:
        b = rnd.randbytes(n)
        h.pwrite(b, o)
    data[o:o + n] = b
    if rnd.random() < 0.3:
        o2 = rnd.randrange(0, size - n)
        if h.pread(n, o2) != bytes(data[o2:o2 + n]):
            sys.exit(f"read at {o2} (+{n}) differs from what was written")
h.flush()
open(img, "wb").write(data)
PY
start_ulvmd

step "every layout: mixed writes read back, data, P and Q where MD's formulas put them"
for type in raid4 raid5_la raid5_ra raid5_ls raid5_rs raid5_n raid6_zr raid6_nr raid6_nc raid6_n_6 \
	raid6_la_6 raid6_ra_6 raid6_ls_6 raid6_rs_6; do
	n=5
	case $type in raid6*) n=6 ;; esac
	fresh $n 4
	ulvm dmsetup create p --table "$(table $type $n 4)"
	settle p "$(health $n)"
	head -c $((4 * 4 * M)) /dev/urandom >"$T/img"
	nbdcopy "$T/img" "$(uri p)"
	python3 "$T/mix.py" "$(uri p)" "$T/img" 1 || fail "$type: a read did not return what was written"
	nbdcopy "$(uri p)" "$T/back"
	cmp "$T/img" "$T/back" || fail "$type: the array does not read back as written"
	ulvm dmsetup remove p
	echo -n "$type: "
	# shellcheck disable=SC2046
	python3 "$MODEL" check $type 128 "$T/img" $(legs $n) || fail "$type: the legs are not as MD lays them out"
done

step "degraded: legs missing at activation; reads rebuild, writes go on, recovery on return"
for spec in "raid5_ls 1" "raid6_zr 1 3" "raid6_la_6 0 5" "raid4 0"; do
	read -r type miss <<<"$spec"
	n=5
	case $type in raid6*) n=6 ;; esac
	fresh $n 4
	ulvm dmsetup create p --table "$(table "$type" $n 4)"
	head -c $((4 * 4 * M)) /dev/urandom >"$T/img"
	nbdcopy --flush "$T/img" "$(uri p)"
	ulvm dmsetup remove p
	# shellcheck disable=SC2086
	ulvm dmsetup create p --table "$(table "$type" $n 4 $miss)"
	ulvm dmsetup status p
	nbdcopy "$(uri p)" "$T/back"
	cmp "$T/img" "$T/back" || fail "$type without legs $miss: degraded reads differ"
	python3 "$T/mix.py" "$(uri p)" "$T/img" 2 || fail "$type without legs $miss: degraded writes"
	ulvm dmsetup remove p
	ulvm dmsetup create p --table "$(table "$type" $n 4)"
	settle p "$(health $n)"
	ulvm dmsetup remove p
	echo -n "$type, legs $miss back: "
	# shellcheck disable=SC2046
	python3 "$MODEL" check "$type" 128 "$T/img" $(legs $n) || fail "$type: recovery left the legs inconsistent"
done

step "fio --verify while legs switch to the error target: no client error; ext4 on degraded raid6"
for spec in "raid5_ls 5 2" "raid6_zr 6 1 4"; do
	read -r type n fails <<<"$spec"
	fresh "$n" 16
	devs=""
	np=1
	case $type in raid6*) np=2 ;; esac
	for i in $(seq 0 $((n - 1))); do
		ulvm dmsetup create "l$i" --table "0 32768 linear $T/d$i 0"
		devs+=" $T/m$i /dev/mapper/l$i"
	done
	ptab="0 $(((n - np) * 32768)) raid $type 3 128 region_size 2048 $n$devs"
	ulvm dmsetup create p --table "$ptab"
	settle p "$(health "$n")"
	fio --name=v --ioengine=nbd --uri="$(uri p)" --rw=randwrite --bs=4k --size=24M --loops=3 \
		--iodepth=8 --verify=crc32c --verify_fatal=1 --do_verify=1 --output="$T/fio.log" >/dev/null 2>&1 &
	FIO=$!
	track "$FIO"
	sleep 0.5
	for f in $fails; do
		ulvm dmsetup reload "l$f" --table "0 32768 error"
		ulvm dmsetup resume "l$f"
	done
	wait "$FIO" || { cat "$T/fio.log"; fail "$type: fio saw an error while legs $fails failed"; }
	grep -q "err= 0" "$T/fio.log" || { cat "$T/fio.log"; fail "$type: fio errors"; }
	st=$(ulvm dmsetup status p)
	echo "$st"
	for f in $fails; do
		[ "$(cut -c$((f + 1)) <<<"$(awk '{print $6}' <<<"$st")")" = D ] || fail "$type: leg $f not D: $st"
	done
	if [ "$type" = raid6_zr ]; then
		fs_attach p
		mkfs.ext4 -q -F "$LOOP"
		mount "$LOOP" "$MNT"
		cp -r "$(dirname "$0")" "$MNT/tree"
		umount "$MNT"
		fsck.ext4 -fn "$LOOP" >"$T/fsck.log" 2>&1 || { cat "$T/fsck.log"; fail "fsck of ext4 on degraded raid6"; }
		fs_detach
	fi
	# the legs come back: what they missed is rebuilt, the data verifies
	for f in $fails; do
		ulvm dmsetup reload "l$f" --table "0 32768 linear $T/d$f 0"
		ulvm dmsetup resume "l$f"
	done
	ulvm dmsetup reload p --table "$ptab"
	ulvm dmsetup resume p
	settle p "$(health "$n")"
	grep "recovery finished" "$T/ulvmd.log" | tail -n1
	if [ "$type" = raid5_ls ]; then
		fio --name=v --ioengine=nbd --uri="$(uri p)" --rw=randwrite --bs=4k --size=24M --loops=3 \
			--iodepth=8 --verify=crc32c --verify_fatal=1 --verify_only >"$T/fio.log" 2>&1 ||
			{ cat "$T/fio.log"; fail "$type: fio --verify_only after the rebuild"; }
	fi
	nbdcopy "$(uri p)" "$T/img"
	echo -n "$type, legs $fails rebuilt: "
	# shellcheck disable=SC2046
	python3 "$MODEL" check "$type" 128 "$T/img" $(legs "$n") || fail "$type: the rebuilt legs are inconsistent"
	ulvm dmsetup remove p
	for i in $(seq 0 $((n - 1))); do ulvm dmsetup remove "l$i"; done
done

step "writes to the same stripe row from 4 clients at once: merged into shared row updates, consistent"
# the legs answer writes after 5 ms (delay target), so while one client's
# update holds the row the others' writes to it wait, and join it
cat >"$T/rows.py" <<'PY'
import nbd, random, sys
uri, j, nb, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
h = nbd.NBD()
h.connect_uri(uri)
rnd = random.Random(j)
mine = [b for b in range(nb) if b % 4 == j]  # every 4th 4 KiB block: the same row as the others
final = {}
for _ in range(100):
    b = rnd.choice(mine)
    d = rnd.randbytes(4096)
    h.pwrite(d, b * 4096)
    final[b] = d
h.flush()
with open(out, "wb") as f:
    for b, d in final.items():
        f.write(b.to_bytes(8, "little") + d)
PY
fresh 4 4
devs=""
for i in 0 1 2 3; do
	ulvm dmsetup create "dl$i" --table "0 8192 delay $T/d$i 0 0 $T/d$i 0 5"
	devs+=" $T/m$i /dev/mapper/dl$i"
done
ulvm dmsetup create p --table "0 24576 raid raid5_ls 3 128 region_size 2048 4$devs"
settle p AAAA
head -c $((12 * M)) /dev/urandom >"$T/img"
nbdcopy --flush "$T/img" "$(uri p)"
for j in 0 1 2 3; do
	python3 "$T/rows.py" "$(uri p)" $j 48 "$T/rows.$j" &
	track $!
	eval "W$j=$!"
done
for j in 0 1 2 3; do eval "wait \$W$j" || fail "writer $j"; done
python3 - "$T/img" "$T"/rows.? <<'PY'
import sys
img = bytearray(open(sys.argv[1], "rb").read())
for p in sys.argv[2:]:
    b = open(p, "rb").read()
    for i in range(0, len(b), 4104):
        n = int.from_bytes(b[i:i + 8], "little")
        img[n * 4096:(n + 1) * 4096] = b[i + 8:i + 4104]
open(sys.argv[1], "wb").write(img)
PY
nbdcopy "$(uri p)" "$T/back"
cmp "$T/img" "$T/back" || fail "concurrent writes to the same rows: the array does not read back as written"
ulvm dmsetup remove p
for i in 0 1 2 3; do ulvm dmsetup remove "dl$i"; done
grep "stripe row updates" "$T/ulvmd.log" | tail -n1
merged=$(grep "stripe row updates" "$T/ulvmd.log" | tail -n1 | sed 's/.* updates, \([0-9]*\) writes merged.*/\1/')
[ "$merged" -gt 0 ] || fail "no write was merged into another's row update"
# shellcheck disable=SC2046
python3 "$MODEL" check raid5_ls 128 "$T/img" $(legs 4) || fail "merged row updates left the parity wrong"

step "check counts a corrupted P, repair fixes it"
fresh 4 4
ulvm dmsetup create p --table "$(table raid5_ls 4 4)"
head -c $((12 * M)) /dev/urandom >"$T/img"
nbdcopy --flush "$T/img" "$(uri p)"
settle p AAAA
# stripe 0 of raid5_ls on 4 devices has P on device 3
printf 'CORRUPT' | dd of="$T/d3" bs=1 seek=1000 conv=notrunc status=none
ulvm dmsetup message p 0 check
settle p AAAA
mm=$(ulvm dmsetup status p | awk '{print $9}')
[ "$mm" = 8 ] || fail "check: $mm sectors mismatched, not 8 (one 4 KiB block): $(ulvm dmsetup status p)"
ulvm dmsetup message p 0 repair
settle p AAAA
ulvm dmsetup message p 0 check
settle p AAAA
[ "$(ulvm dmsetup status p | awk '{print $9}')" = 0 ] || fail "mismatches after repair"
ulvm dmsetup remove p
# shellcheck disable=SC2046
python3 "$MODEL" check raid5_ls 128 "$T/img" $(legs 4) || fail "repair did not restore P"

step "kill -9 under random writes: the marked regions resync, check finds 0, flushed writes survive"
fresh 5 16
ulvm dmsetup create p --table "$(table raid6_zr 5 16)"
settle p AAAAA
fio --name=w --ioengine=nbd --uri="$(uri p)" --rw=randwrite --bs=4k --offset=8M --size=40M --time_based --runtime=30 \
	--iodepth=16 --output="$T/fio.log" >/dev/null 2>&1 &
FIO=$!
track "$FIO"
sleep 1.5
qio "$(uri p)" "write -P 0x7e 5M 1M" "flush"
kill -9 "$ULVMD_PID"
wait "$ULVMD_PID" 2>/dev/null || true
wait "$FIO" 2>/dev/null || true
rm -f "$RUN"/*.sock "$RUN"/*.pid
start_ulvmd
ulvm dmsetup create p --table "$(table raid6_zr 5 16)"
settle p AAAAA
grep -E "regions may differ|resync of" "$T/ulvmd.log"
grep -q "(those the bitmap marked)" "$T/ulvmd.log" || fail "the resync after kill -9 was not bitmap-guided"
qio "$(uri p)" "read -P 0x7e 5M 1M" >"$T/qio.log" 2>&1 || { cat "$T/qio.log"; fail "the flushed write was lost"; }
ulvm dmsetup message p 0 check
settle p AAAAA
[ "$(ulvm dmsetup status p | awk '{print $9}')" = 0 ] || fail "mismatches after the resync: $(ulvm dmsetup status p)"
ulvm dmsetup remove p

step "takeover: raid5_ls -> raid6_ls_6 with a new leg rebuilt as Q, and back; other levels refused"
fresh 5 4
head -c $((12 * M)) /dev/urandom >"$T/img"
ulvm dmsetup create t --table "$(table raid5_ls 4 4)"
settle t AAAA
nbdcopy --flush "$T/img" "$(uri t)"
ulvm dmsetup remove t
sum=$(cat "$T"/m? "$T"/d? | md5sum)
for bad_type in raid6_zr raid6_rs_6 raid6_n_6; do
	if ulvm dmsetup create t --table "$(table $bad_type 5 4)" 2>"$T/err"; then fail "$bad_type accepted over raid5_ls"; fi
	grep -q "holds the superblock of another array (md level 5, layout 0x2" "$T/err" ||
		fail "$bad_type refused without naming the superblock: $(cat "$T/err")"
done
t6=$(table raid6_ls_6 5 4)
if ulvm dmsetup create t --table "${t6/$T\/m0 $T\/d0 $T\/m1 $T\/d1/$T/m1 $T/d1 $T/m0 $T/d0}" 2>"$T/err"; then
	fail "raid6_ls_6 with two legs swapped accepted"
fi
grep -q "another array" "$T/err" || fail "swapped legs refused without saying why: $(cat "$T/err")"
[ "$(cat "$T"/m? "$T"/d? | md5sum)" = "$sum" ] || fail "a refused takeover wrote to its devices"
ulvm dmsetup create t --table "$t6"
settle t AAAAA
grep -q "raid: leg 4 is rebuilt from the start" "$T/ulvmd.log" || fail "the Q leg was not rebuilt"
nbdcopy "$(uri t)" "$T/back"
cmp "$T/img" "$T/back" || fail "raid5_ls -> raid6_ls_6 changed the data"
python3 "$MODEL" check raid6_ls_6 128 "$T/img" $(legs 5) || fail "raid6_ls_6 after the takeover: not as MD lays it out"
ulvm dmsetup remove t
ulvm dmsetup create t --table "$(table raid5_ls 4 4)"
settle t AAAA
nbdcopy "$(uri t)" "$T/back"
cmp "$T/img" "$T/back" || fail "raid6_ls_6 -> raid5_ls changed the data"
ulvm dmsetup remove t

step "bad tables are refused, naming why; nothing written"
fresh 4 4
sum=$(cat "$T"/m? "$T"/d? | md5sum)
bad() { # WHY TABLE
	if ulvm dmsetup create bad --table "$2" 2>"$T/err"; then fail "accepted: $2"; fi
	grep -q "$1" "$T/err" || fail "refused without saying '$1': $(cat "$T/err")"
}
d4="$T/m0 $T/d0 $T/m1 $T/d1 $T/m2 $T/d2 $T/m3 $T/d3"
bad "Too few raid devices" "0 8192 raid raid6_zr 1 128 2 $T/m0 $T/d0 $T/m1 $T/d1"
bad "power of two" "0 24576 raid raid5_ls 1 96 4 $d4"
bad "Unrecognised raid_type raid5_xx" "0 24576 raid raid5_xx 1 128 4 $d4"
bad "not divisible by the chunk size and number of data devices" "0 24000 raid raid5_ls 1 128 4 $d4"
bad "Insufficient redundancy" "0 24576 raid raid5_ls 1 128 4 - - - - $T/m2 $T/d2 $T/m3 $T/d3"
[ "$(cat "$T"/m? "$T"/d? | md5sum)" = "$sum" ] || fail "a refused table wrote to its devices"
stop_ulvmd
echo "raid-parity: ok"
