#!/usr/bin/env bash
# pvmove, with real lvm2 as the oracle of the VG text and real clients on
# the LVs while their extents move:
#  - everything off PV a (a linear LV under fio --verify=crc32c, a striped
#    LV, a raid1 LV's image, a thin pool's data and metadata under a thin
#    LV, a mounted ext4 being written): 0 client
#    errors, the bytes end on the destination PVs at the extents lvm2's lvs
#    reports, fsck clean, vgreduce of a works, lvm2's vgck clean;
#  - mid-move (the command killed with -9): lvm2 reads the VG (vgck, lvs
#    -a shows pvmove0 and the locked LVs); then ulvmd killed -9 too, and a
#    bare `pvmove` takes the move up again and ends it, data intact;
#  - --abort mid-move: every LV is back on (or stays on, where checkpointed)
#    one PV of its own segment, data intact, no pvmove LV left;
#  - -n LV with a destination PV, and a PE range of the source;
#  - --atomic: lvm2 reads the VG with pvmove0_mimage_0/1 mid-move; --abort
#    leaves every LV on the source; run to its end, nothing is left there;
#  - refused, metadata and PVs unchanged: a destination without room, a PV
#    with nothing to move, a PV of no VG.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
source "$(dirname "$0")/lvm2.bash"
source "$(dirname "$0")/raid.bash"
need vgck lvs losetup qemu-io nbdcopy python3 fio mkfs.ext4 fsck.ext4
fio --enghelp 2>/dev/null | grep -qw nbd || skip "fio has no nbd engine"
export ULVM_CONF_DIR=$T/ulvm
mkdir -p "$ULVM_CONF_DIR"
declare -A L
attach_pvs 96M a b c d
lvm2_isolate "${L[@]}"
step() { echo "== $*"; }
LVM2_EXPECTED_WARNINGS=('check for active volumes')
DEVS="${L[a]},${L[b]},${L[c]},${L[d]}"
u() { ulvm "$@" --devices "$DEVS"; }
sums() { for p in a b c d; do md5sum <"${L[$p]}"; done; }
FZ=$T/fuse MNT=$T/mnt
mkdir -p "$FZ" "$MNT"
trap 'fs_detach; cleanup' EXIT
M=$((1024 * 1024))
# The bytes of LV $1's extents, read from the PVs where lvm2 says they are.
from_pvs() { # VG/LV OUT
	lvm2 lvs --noheadings --units s --nosuffix -o seg_start_pe,seg_size_pe,devices --segments "$1" |
		python3 -c '
import sys, re
out = open(sys.argv[1], "wb")
for line in sys.stdin:
    start, size, dev = line.split()
    m = re.match(r"(.*)\((\d+)\)$", dev)
    with open(m.group(1), "rb") as f:
        # pe_start 2048 sectors, extent 4 MiB (lvm2 defaults, as ulvm)
        f.seek(1048576 + int(m.group(2)) * 4194304)
        out.write(f.read(int(size) * 4194304))
' "$2"
}
# ulvmd stopped (SIGSTOP): the command finishes the commit it may be in
# and then waits for the daemon's answer, so a kill -9 of it now lands
# between two commits (a kill inside one leaves PVs with two seqnos, which
# lvm2 would warn about until the next write, as after its own crash)
# pvmove_stopped OUT ARGS...: a pvmove that will be killed mid-move runs
# as "$ULVM_BIN" itself in the background (not the ulvm function, whose
# subshell a kill would hit instead of the command), its pid in PM.
# ulvmd is stopped first: the command writes pvmove0 (lvm2 sees it) and
# then waits on the daemon for the copy, so it cannot end the move before
# the test kills it.  The caller continues ulvmd (or kills it).
pvmove_stopped() {
	local out=$1
	shift
	kill -STOP "$ULVMD_PID"
	"$ULVM_BIN" pvmove "$@" --devices "$DEVS" >"$out" 2>&1 &
	PM=$!
	for _ in $(seq 600); do
		lvm lvs -a --noheadings -o lv_name vg 2>/dev/null | grep -q pvmove0 && return 0
		sleep 0.05
	done
	kill -CONT "$ULVMD_PID"
	cat "$out"
	fail "no pvmove0 appeared"
}

start_ulvmd
ulvm pvcreate "${L[a]}" "${L[b]}" "${L[c]}" "${L[d]}" >/dev/null
ulvm vgcreate vg "${L[a]}" "${L[b]}" "${L[c]}" "${L[d]}" >/dev/null
u lvcreate -L 24M -n lin vg "${L[a]}" >/dev/null
u lvcreate -i 2 -I 64k -L 16M -n st vg "${L[a]}" "${L[b]}" >/dev/null
u lvcreate --type raid1 -m 1 -L 8M -n r1 vg "${L[a]}" "${L[c]}" >/dev/null
u lvcreate -L 24M -n fs vg "${L[a]}" >/dev/null
u lvcreate --type thin-pool -L 8M -n pool vg "${L[a]}" >/dev/null
u lvcreate -T vg/pool -V 16M -n thin >/dev/null
synced vg/r1
for lv in st r1 thin; do
	head -c $((8 * M)) /dev/urandom >"$T/$lv.want"
	qemu-io -f raw -c "write -s $T/$lv.want 0 8M" "$(uri vg/$lv)" >/dev/null
done
fs_attach vg/fs
mkfs.ext4 -q -F "$LOOP"
mount "$LOOP" "$MNT"
track_mount "$MNT"
u lvs -a -o lv_name,lv_attr,devices vg

step "pvmove a under fio --verify=crc32c on lin and a busy mounted ext4 on fs"
fio --name=v --ioengine=nbd --uri="$(uri vg/lin)" --rw=randwrite --bs=4k --iodepth=8 --size=24M \
	--verify=crc32c --verify_fatal=1 --do_verify=1 --loops=3 >"$T/fio.log" 2>&1 &
FIO=$!
track "$FIO"
( i=0; while [ ! -e "$T/stop" ]; do
	head -c 300000 /dev/urandom >"$MNT/f$((i % 40))"; sync -f "$MNT"; i=$((i + 1)); done ) &
WR=$!
track "$WR"
u pvmove -i 1 "${L[a]}"
wait "$FIO" || { cat "$T/fio.log"; fail "fio failed during the move"; }
grep -qE 'err= *[1-9]|verify: bad' "$T/fio.log" && { cat "$T/fio.log"; fail "fio saw errors"; }
touch "$T/stop"
wait "$WR"
u lvs -a -o lv_name,lv_attr,devices vg
umount "$MNT"
fsck.ext4 -fn "$LOOP" >"$T/fsck.log" 2>&1 || { cat "$T/fsck.log"; fail "the ext4 moved under writes does not fsck clean"; }
fs_detach
lvm2 vgck vg >/dev/null
[ "$(lvm2 lvs -a --noheadings -o devices vg | grep -c "${L[a]}")" = 0 ] || fail "extents are left on a"
# the raid1 images (with their rmeta) stay on PVs of their own
dev_of() { lvm2 lvs -a --noheadings -o lv_name,devices vg | awk -v n="[$1]" '$1 == n { sub(/\(.*/, "", $2); print $2 }'; }
i0=$(dev_of r1_rimage_0) i1=$(dev_of r1_rimage_1)
[ -n "$i0" ] && [ "$i0" != "$i1" ] || fail "the move put both raid1 images on $i0"
for lv in st r1 thin; do
	nbdcopy "$(uri vg/$lv)" "$T/$lv.got"
	cmp <(head -c $((8 * M)) "$T/$lv.got") "$T/$lv.want" || fail "vg/$lv changed in the move"
done
nbdcopy "$(uri vg/lin)" "$T/lin.got"
from_pvs vg/lin "$T/lin.pvs"
cmp "$T/lin.got" "$T/lin.pvs" || fail "vg/lin's bytes are not on the PVs where lvm2 says"
u vgreduce vg "${L[a]}"
lvm2 vgck vg >/dev/null

step "mid-move: the command killed -9, lvm2 reads the VG; then ulvmd killed -9; a bare pvmove ends it"
u vgextend vg "${L[a]}" >/dev/null
# every LV's bytes, before the moves that follow
lv_sums() { for lv in lin st fs r1 thin; do nbdcopy "$(uri vg/$lv)" - | md5sum; done; }
lv_sums >"$T/sums.before"
same_data() { lv_sums | cmp -s - "$T/sums.before" || fail "an LV's data changed: $*"; }
pvmove_stopped "$T/pvmove.out" -i 0 "${L[b]}" "${L[a]}"
kill -9 "$PM"
wait "$PM" 2>/dev/null || true
lvm2 vgck vg >/dev/null
lvm2 lvs -a -o lv_name,lv_attr,devices vg | tee "$T/mid.txt"
grep -q '\[pvmove0\]' "$T/mid.txt" || fail "lvm2 does not list pvmove0 mid-move"
grep -q 'pvmove0' <(lvm2 lvs --noheadings -o devices vg/fs) || fail "vg/fs does not point at pvmove0 mid-move"
kill -9 "$ULVMD_PID"
wait "$ULVMD_PID" 2>/dev/null || true
rm -f "$RUN"/*.sock "$RUN"/*.pid
start_ulvmd
u vgchange -ay --poll n vg >/dev/null # the bare pvmove below, not a background one, ends it
u pvmove -i 1 | tee "$T/resume.out"
grep -q "Detected pvmove in progress for ${L[b]}" "$T/resume.out" || fail "the resume did not say what it took up"
grep -q "Moved: 100.00%" "$T/resume.out" || fail "the resumed move did not end"
lvm2 vgck vg >/dev/null
[ "$(lvm2 lvs -a --noheadings -o devices vg | grep -c "${L[b]}")" = 0 ] || fail "extents are left on b"
same_data "across the killed and resumed move"

step "--abort mid-move: the LVs stay where the checkpoints left them, data intact"
pvmove_stopped "$T/pvmove2.out" -i 0 "${L[a]}"
kill -9 "$PM"
wait "$PM" 2>/dev/null || true
kill -CONT "$ULVMD_PID"
u pvmove --abort "${L[a]}"
u lvs -a -o lv_name,lv_attr,devices vg
u lvs -a --noheadings -o lv_name vg | grep -q pvmove && fail "a pvmove LV is left after --abort"
lvm2 vgck vg >/dev/null
same_data "across the aborted move"
u pvmove --abort "${L[a]}" | grep -q "No pvmove in progress" || fail "a second --abort did not say there is nothing"

step "-n LV to a named PV; a PE range of the source"
u pvmove -i 0 -n vg/lin "$(u lvs --noheadings -o devices vg/lin | sed 's/(.*//; s/ //g')" "${L[b]}"
[ "$(lvm2 lvs --noheadings -o devices vg/lin | sed 's/(.*//; s/ //g')" = "${L[b]}" ] || fail "-n lin did not land on b"
same_data "in the -n move"
first=$(lvm2 lvs --noheadings -o seg_pe_ranges vg/lin | sed 's/.*://; s/-.*//')
u pvmove -i 0 "${L[b]}:$first-$((first + 1))" "${L[c]}"
lvm2 lvs --segments --noheadings -o seg_start_pe,devices vg/lin | tee "$T/split.txt"
grep -qF "${L[c]}(" "$T/split.txt" && grep -qF "${L[b]}(" "$T/split.txt" ||
	fail "the PE range $first-$((first + 1)) did not split lin across c and b"
same_data "in the PE range move"
lvm2 vgck vg >/dev/null

step "--atomic: one mirror over pvmove0_mimage_0/1 (lvm2 reads it mid-move); --abort leaves all on the source"
layout() { lvm2 lvs -a --noheadings -o lv_name,devices vg | sort; }
layout >"$T/layout.before"
# ulvmd stopped (SIGSTOP): the command commits the move, then waits for
# the daemon; it is killed there, mid-move for sure
kill -STOP "$ULVMD_PID"
"$ULVM_BIN" pvmove -i 0 --atomic "${L[b]}" "${L[d]}" --devices "$DEVS" >"$T/pvmove3.out" 2>&1 &
PM=$!
for _ in $(seq 200); do lvm2 lvs -a --noheadings -o lv_name vg 2>/dev/null | grep -q pvmove0 && break; sleep 0.05; done
kill -9 "$PM" 2>/dev/null || true
wait "$PM" 2>/dev/null || true
kill -CONT "$ULVMD_PID"
cat "$T/pvmove3.out"
lvm2 vgck vg >/dev/null
lvm2 lvs -a -o lv_name,lv_attr,devices vg | tee "$T/atomic.txt"
grep -q 'pvmove0_mimage_1' "$T/atomic.txt" || fail "lvm2 does not show the atomic move's images"
u pvmove --abort "${L[b]}"
layout | diff "$T/layout.before" - || fail "--abort of an atomic move did not leave everything on the source"
same_data "in the aborted atomic move"
u pvmove -i 0 --atomic "${L[b]}" "${L[d]}"
[ "$(lvm2 lvs -a --noheadings -o devices vg | grep -c "${L[b]}")" = 0 ] || fail "extents are left on b after --atomic"
same_data "in the atomic move"
lvm2 vgck vg >/dev/null

step "refused, nothing changed: no room, nothing to move, no VG"
u lvcreate -l 100%FREE -n filler vg "${L[b]}" >/dev/null
expect_refused "Insufficient" u pvmove "${L[d]}" "${L[b]}"
u lvremove -f vg/filler >/dev/null
if lvm2 lvs -a --noheadings -o devices vg | grep -q "${L[a]}("; then
	u pvmove -i 0 "${L[a]}"
	same_data "in the last move off a"
fi
empty=${L[a]}
expect_refused "No data to move" u pvmove "$empty"
mkfile "$T/lone.img" 8M
expect_refused "not in any volume group\|Failed to find" ulvm pvmove --devices "$DEVS,$T/lone.img" "$T/lone.img"
echo "lvm-pvmove: ok"
