#!/usr/bin/env bash
# A linear device over /dev/mapper/bottom: I/O reaches the bottom file at
# the summed offsets; I/O through top waits while bottom is suspended and
# follows bottom's reloads; bottom cannot be removed while top uses it; tables
# that would make a cycle are refused; top then bottom remove cleanly.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
need qemu-io nbdinfo jq
K=1024 M=$((1024 * 1024))
mkfile "$T/a.img" 16M
start_ulvmd

ulvm dmsetup create bottom --table "0 8192 linear $T/a.img 2048"       # a.img 1M..5M
ulvm dmsetup create top --table "0 4096 linear /dev/mapper/bottom 1024" # bottom 512K..2.5M
ulvm dmsetup create top2 --table "0 1024 linear /dev/mapper/top 2048
1024 1024 linear $T/a.img 16384"                                        # top 1M..1.5M, a.img 8M..8.5M

echo "== I/O through the stack"
qio "$(uri top)" 'write -P 0x42 0 64k' 'write -P 0x43 1000 3000' "write -P 0x44 $((2 * M - 4 * K)) 4k"
bytes_are "$T/a.img" $((M + 512 * K)) 1000 0x42
bytes_are "$T/a.img" $((M + 512 * K + 1000)) 3000 0x43
bytes_are "$T/a.img" $((M + 512 * K + 2 * M - 4 * K)) $((4 * K)) 0x44
qio "$(uri bottom)" "read -P 0x43 $((512 * K + 1000)) 3000"
qio "$(uri top2)" "write -P 0x45 $((512 * K - 4 * K)) 8k"
bytes_are "$T/a.img" $((M + 512 * K + M + 508 * K)) $((4 * K)) 0x45
bytes_are "$T/a.img" $((8 * M)) $((4 * K)) 0x45
qio "$(uri top)" "read -P 0x45 $((M + 508 * K)) 4k"

echo "== suspend and reload the bottom under the top"
ulvm dmsetup suspend bottom
qemu-io -f raw -c 'read -P 0x42 0 1000' "$(uri top)" >"$T/held.log" 2>&1 &
HELD=$!
track "$HELD"
sleep 1
kill -0 "$HELD" 2>/dev/null || { cat "$T/held.log"; fail "a read through top finished while bottom was suspended"; }
ulvm dmsetup resume bottom
wait_for 10 eval '! kill -0 "$HELD" 2>/dev/null' || fail "the read through top hangs after bottom's resume"
rc=0
wait "$HELD" || rc=$?
untrack "$HELD"
[ "$rc" -eq 0 ] && ! grep -qiE 'fail|error' "$T/held.log" || { cat "$T/held.log"; fail "the held read failed"; }
# bottom moves to a.img 12M..16M: top now reads that (zeroes), then back.
ulvm dmsetup suspend bottom
ulvm dmsetup load bottom --table "0 8192 linear $T/a.img 24576"
ulvm dmsetup resume bottom
qio "$(uri top)" 'read -P 0 0 64k'
qio "$(uri top)" 'write -P 0x46 0 4k'
bytes_are "$T/a.img" $((12 * M + 512 * K)) $((4 * K)) 0x46
ulvm dmsetup suspend bottom
ulvm dmsetup load bottom --table "0 8192 linear $T/a.img 2048"
ulvm dmsetup resume bottom
qio "$(uri top)" 'read -P 0x42 0 1000'

echo "== in use: remove refused"
ls_before=$(ulvm dmsetup ls)
for d in bottom top; do
	out=$(ulvm dmsetup remove "$d" 2>&1) && fail "removing $d under another device succeeded"
	echo "  $out"
done
[ "$(ulvm dmsetup ls)" = "$ls_before" ] || fail "a refused remove changed dmsetup ls"
qio "$(uri top)" 'read -P 0x42 0 1000'

echo "== cycles refused"
cycle() { # DEV TABLE
	local out
	out=$(ulvm dmsetup load "$1" --table "$2" 2>&1) && fail "load $1 accepted a cycle: $2"
	echo "  $out"
	ulvm dmsetup info "$1" | grep -qiE 'Tables present: *LIVE$' || fail "a refused load left an inactive table in $1"
}
cycle bottom "0 1024 linear /dev/mapper/bottom 0"
cycle bottom "0 1024 linear /dev/mapper/top 0"
cycle bottom "0 1024 linear /dev/mapper/top2 0"
cycle top "0 1024 linear $T/a.img 0
1024 1024 linear /dev/mapper/top2 0"
ulvm dmsetup create self --table "0 1024 linear /dev/mapper/self 0" 2>/dev/null &&
	fail "a device over itself was created"
[ "$(ulvm dmsetup ls)" = "$ls_before" ] || fail "dmsetup ls changed"
qio "$(uri top2)" "read -P 0x45 $((512 * K - 4 * K)) 8k"

echo "== remove from the top down"
ulvm dmsetup remove top2
ulvm dmsetup remove top
ulvm dmsetup remove bottom
[ "$(nbdinfo --list --json "nbd+unix://?socket=$SOCK" | jq '.exports | length')" -eq 0 ] ||
	fail "exports remain after removing every device"
ulvm dmsetup ls | grep -qE 'top|bottom' && fail "dmsetup ls still lists removed devices"
# The bottom file can be used again, by a new device.
ulvm dmsetup create again --table "0 8192 linear $T/a.img 2048"
qio "$(uri again)" "read -P 0x42 $((512 * K)) 1000"
ulvm dmsetup remove again
stop_ulvmd
echo "ok"
