#!/usr/bin/env bash
# Large reads of a thin volume race discards that free its blocks and a
# second volume that takes them over.  A cached 1 MiB read of mapped
# blocks goes from the data file to the socket by splice (the pool's
# io_lock held for the transfer); a block freed and reused under such a
# read would show the other volume's bytes.  The pool has room for only
# one of the two volumes at a time, so every round reuses the blocks:
#   A is written 0xaa (qemu-io, flushed: committed), discarded, flushed;
#   B is written 0xbb into the same blocks, discarded, flushed; again.
# A reader (libnbd, 1 MiB requests) checks every 64 KiB block of A it
# gets: all 0xaa or all zeroes, never 0xbb.  Then thin_check.
# THIN_RACE_SECS sets how long the rounds run [15].
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
need qemu-io thin_check
need_nbdpy

SECS=${THIN_RACE_SECS:-15}
mkfile "$T/meta" 8M
mkfile "$T/data" 72M # 1152 blocks of 64 KiB: 64 MiB volumes, one at a time
start_ulvmd
ulvm dmsetup create pool --table "0 $((72 * 2048)) thin-pool $T/meta $T/data 128 0"
ulvm dmsetup message pool 0 "create_thin 1"
ulvm dmsetup message pool 0 "create_thin 2"
ulvm dmsetup create a --table "0 $((64 * 2048)) thin /dev/mapper/pool 1"
ulvm dmsetup create b --table "0 $((64 * 2048)) thin /dev/mapper/pool 2"
qio "$(uri a)" "write -P 0xaa 0 64M"

cat >"$T/reader.py" <<'EOF'
import os, sys
import nbd
uri, stop = sys.argv[1], sys.argv[2]
h = nbd.NBD()
h.connect_uri(uri)
reads = 0
seen = {0: 0, 0xaa: 0}
while not os.path.exists(stop):
    for off in range(0, 64 << 20, 1 << 20):
        buf = h.pread(1 << 20, off)
        reads += 1
        for i in range(0, 1 << 20, 64 << 10):
            b = buf[i]
            if b not in seen or buf.count(b, i, i + (64 << 10)) != 64 << 10:
                print("read at %d: block at %d holds 0x%02x (%d of its bytes)" %
                      (off, off + i, b, buf.count(b, i, i + (64 << 10))))
                sys.exit(1)
            seen[b] += 1
print("reader: %d reads of 1 MiB, blocks of 0xaa: %d, of zeroes: %d" % (reads, seen[0xaa], seen[0]))
EOF
"$NBDPY" "$T/reader.py" "$(uri a)" "$T/stop" >"$T/reader.log" 2>&1 &
reader=$!
track $reader
rounds=0
end=$((SECONDS + SECS))
while [ $SECONDS -lt $end ] && kill -0 $reader 2>/dev/null; do
	qio "$(uri a)" "discard 0 64M"
	qio "$(uri b)" "write -P 0xbb 0 64M"
	qio "$(uri b)" "discard 0 64M"
	qio "$(uri a)" "write -P 0xaa 0 64M"
	sleep 0.3 # the reader gets a's blocks whole for a while
	rounds=$((rounds + 1))
done
touch "$T/stop"
rc=0
wait $reader || rc=$?
cat "$T/reader.log"
[ $rc -eq 0 ] || fail "a read of volume a returned bytes that are not its own"
echo "$rounds rounds of discard and reuse"
[ $rounds -ge 2 ] || fail "only $rounds rounds ran"
grep -q 'blocks of 0xaa: [1-9]' "$T/reader.log" || fail "the reader saw none of a's data"
ulvm dmsetup status pool
qio "$(uri a)" "read -P 0xaa 0 64M"
ulvm dmsetup remove a
ulvm dmsetup remove b
ulvm dmsetup remove pool
stop_ulvmd
thin_check "$T/meta" || fail "thin_check"
echo "thin-read-race: all passed"
