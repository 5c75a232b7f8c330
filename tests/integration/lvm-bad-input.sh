#!/usr/bin/env bash
# Damaged PVs and bad arguments: ulvm says what is wrong, does not crash,
# and writes nothing (every PV file's sha256 is the same before and after
# a failing command).  Then commands SIGKILLed at random points leave the
# old or the new metadata: ulvm vgck and (if installed) lvm2's vgck are
# clean and the VG has the old or the new LV set.
#
# PVs are files with two metadata areas (--pvmetadatacopies 2), so a
# damaged mda header is skipped with a warning while the other serves.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lvm2.bash"
need python3 sha256sum

export ULVM_CONF_DIR=$T/conf
step() { echo "== $*"; }
cd "$T"
mkfile a.img 32M
mkfile b.img 32M
ulvm pvcreate --pvmetadatacopies 2 "$T/a.img" "$T/b.img" >/dev/null
ulvm vgcreate vg0 "$T/a.img" "$T/b.img" >/dev/null
ulvm lvcreate -an -L 8M -n lv1 vg0 >/dev/null
mkdir pristine
cp --sparse=always a.img b.img pristine/
cp -a conf pristine/

reset() { cp --sparse=always pristine/a.img pristine/b.img .; rm -rf conf c.img; cp -a pristine/conf .; }

# poke FILE OFFSET HEX [label|mda SECTOR_OFFSET]: write bytes, then fix
# the label (bytes 20..511) or mda header (4..511) checksum if asked.
poke() {
	python3 - "$@" <<'EOF'
import sys, zlib
f, off, hx = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(f, "r+b") as fp:
    fp.seek(off); fp.write(bytes.fromhex(hx))
    if len(sys.argv) > 4:
        lo, base = (20 if sys.argv[4] == "label" else 4), int(sys.argv[5])
        fp.seek(base); sec = fp.read(512)
        c = zlib.crc32(sec[lo:], 0xF597A6CF ^ 0xFFFFFFFF) ^ 0xFFFFFFFF
        fp.seek(base + lo - 4); fp.write(c.to_bytes(4, "little"))
EOF
}

# retext FILE OLD NEW: replace OLD by NEW (same length) in the committed
# text of every mda of FILE, with the text and header checksums fixed.
retext() {
	python3 - "$@" <<'EOF'
import struct, sys, zlib
f, old, new = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode()
assert len(old) == len(new)
crc = lambda b: zlib.crc32(b, 0xF597A6CF ^ 0xFFFFFFFF) ^ 0xFFFFFFFF
with open(f, "r+b") as fp:
    fp.seek(512); lab = fp.read(512)
    p, mdas, lists = 0x48, [], 0
    while lists < 2:
        o, s = struct.unpack_from("<QQ", lab, p); p += 16
        if o == 0: lists += 1; continue
        if lists == 1: mdas.append(o)
    for m in mdas:
        fp.seek(m); h = bytearray(fp.read(512))
        size = struct.unpack_from("<Q", h, 32)[0]
        off, ln = struct.unpack_from("<QQ", h, 40)
        assert off + ln <= size, "wrapped text"
        fp.seek(m + off); t = fp.read(ln)
        assert old in t, "text lacks %r" % old
        t = t.replace(old, new, 1)
        fp.seek(m + off); fp.write(t)
        struct.pack_into("<I", h, 56, crc(t))
        struct.pack_into("<I", h, 0, crc(bytes(h[4:])))
        fp.seek(m); fp.write(h)
EOF
}

# refused "what" PATTERN CMD...: CMD fails, its stderr matches PATTERN,
# and no PV file changed.
refused() {
	local what=$1 pat=$2 rc=0
	shift 2
	sha256sum a.img b.img >sums
	"$ULVM_BIN" "$@" >out 2>err || rc=$?
	[ "$rc" -ne 0 ] && [ "$rc" -lt 128 ] || { cat out err; fail "$what: '$*' exited $rc"; }
	grep -qiE "$pat" err || { cat err; fail "$what: '$*' does not say /$pat/"; }
	sha256sum -c --quiet sums || fail "$what: '$*' wrote to a PV"
}
# served "what" PATTERN CMD...: CMD succeeds with a warning matching PATTERN
# and writes nothing.
served() {
	local what=$1 pat=$2
	shift 2
	sha256sum a.img b.img >sums
	"$ULVM_BIN" "$@" >out 2>err || { cat err; fail "$what: '$*' failed"; }
	grep -qiE "$pat" err || { cat err; fail "$what: '$*' gave no warning /$pat/"; }
	sha256sum -c --quiet sums || fail "$what: '$*' wrote to a PV"
}
# Every way a damaged VG is met: read, check, change.
damaged() {
	local what=$1 pat=$2
	refused "$what" "$pat" lvcreate -an -L 4M -n new vg0
	refused "$what" "$pat" lvextend -L +4M vg0/lv1
	refused "$what" "$pat" vgremove -y vg0
}

step "label with a bad checksum"
reset
poke a.img 700 ff
served "label crc" "a.img: label checksum" lvs vg0
refused "label crc" "label checksum" vgck vg0
damaged "label crc" "missing|label checksum"

step "label whose sector_xl is not its sector"
reset
poke a.img 520 02 label 512
served "sector_xl" "label for sector 2 found at sector 1" lvs vg0
damaged "sector_xl" "missing"

step "pv_header: a bad uuid character, checksum fixed"
reset
poke a.img $((512 + 0x20)) 2a2a label 512
served "pv uuid" "invalid characters" lvs vg0
damaged "pv uuid" "missing"

step "pv_header: an mda size the mda header contradicts, checksum fixed"
reset
poke a.img $((512 + 0x70)) ffffffff label 512
served "mda size" "metadata area 1 skipped.*the PV label says" lvs vg0
damaged "mda size" "metadata area 1 on .*a.img is damaged"
# the label's place for the area is not believable: not repaired
refused "mda size" "the PV label's place for it is damaged too" vgck --updatemetadata vg0

step "mda header with a bad checksum: the second copy serves"
reset
poke a.img $((4096 + 200)) ff
served "mda crc" "metadata area 1 skipped.*checksum" lvs vg0
ulvm lvs --noheadings -o lv_name vg0 2>/dev/null | grep -q lv1 || fail "lv1 not read from the second mda"
damaged "mda crc" "metadata area 1 on .*a.img is damaged"
ulvm vgck vg0 2>&1 | grep -q "is damaged.*vgck --updatemetadata repairs it" || fail "vgck does not say the area is damaged"
ulvm vgck --updatemetadata vg0 | grep -q "Repaired 1 metadata area of VG vg0" || fail "vgck --updatemetadata"
ulvm vgck vg0 2>&1 | grep -q "damaged" && fail "vgck still finds damage after --updatemetadata"
ulvm lvcreate -an -L 4M -n new vg0 >/dev/null || fail "no change after vgck --updatemetadata"

step "mda headers bad everywhere"
reset
for f in a b; do for m in 4096 $((32 * 1024 * 1024 - 1048576)); do poke $f.img $((m + 200)) ff; done; done
refused "all mdas" "not found" lvs vg0
refused "all mdas" "not found" lvcreate -an -L 4M -n new vg0

step "metadata text with a bad checksum"
reset
for f in a b; do for m in 4096 $((32 * 1024 * 1024 - 1048576)); do
	o=$(python3 -c "import struct;f=open('$f.img','rb');f.seek($m+40);print(struct.unpack('<Q',f.read(8))[0])")
	poke $f.img $((m + o + 10)) 58
done; done
refused "text crc" "checksum error in metadata" lvs vg0
refused "text crc" "checksum error in metadata" lvcreate -an -L 4M -n new vg0

step "metadata text that parses but is wrong (checksums fixed)"
reset
for f in a b; do retext $f.img '"VISIBLE"' '"VISIBLX"'; done
refused "status word" "VISIBLX" lvs vg0
refused "status word" "VISIBLX" lvcreate -an -L 4M -n new vg0
reset
for f in a b; do retext $f.img 'segment_count = 1' 'segment_count = 2'; done
refused "segment_count" "segment" vgck vg0
refused "segment_count" "segment" lvcreate -an -L 4M -n new vg0
reset
for f in a b; do retext $f.img 'extent_count = 2' 'extent_count = 9'; done
refused "PE past pe_count" "extent|past" vgck vg0
refused "PE past pe_count" "extent|past" lvextend -L +4M vg0/lv1
reset
for f in a b; do retext $f.img 'lv1 {' '-v1 {'; done
refused "LV name" "name" vgck vg0
refused "LV name" "name" lvcreate -an -L 4M -n new vg0

step "truncated PV"
reset
truncate -s 20M a.img
served "truncated" "smaller than" lvs vg0
damaged "truncated" "truncated|damaged"

step "duplicate PV uuids (a copied PV file)"
reset
cp --sparse=always a.img c.img
sha256sum c.img >csum
refused "duplicate" "duplicate PV uuid" lvs --devices "$T/a.img,$T/b.img,$T/c.img" vg0
refused "duplicate" "duplicate PV uuid" lvcreate --devices "$T/a.img,$T/b.img,$T/c.img" -an -L 4M -n x vg0
sha256sum -c --quiet csum || fail "the copy was written"

step "bad arguments change nothing"
reset
refused "size" "size|invalid" lvcreate -an -L 12Q -n x vg0
refused "size" "size|invalid" lvcreate -an -L -4M -n x vg0
refused "size" "size|invalid" lvcreate -an -L abc -n x vg0
refused "no space" "insufficient|free" lvcreate -an -L 1T -n x vg0
refused "no space" "insufficient|free" lvextend -L +1T vg0/lv1
refused "unknown VG" "not found" lvcreate -an -L 4M -n x nosuchvg
refused "unknown VG" "not found" lvs nosuchvg
refused "unknown VG" "not found" vgremove -y nosuchvg
refused "unknown LV" "not found|fail" lvextend -L +4M vg0/nosuchlv
refused "unknown LV" "not found|fail" lvremove -y vg0/nosuchlv
refused "unknown option" "unknown|unrecognized|invalid" lvcreate --bogus -L 4M -n x vg0
refused "unknown option" "unknown|unrecognized|invalid" vgs --bogus
refused "bad name" "name" lvcreate -an -L 4M -n 'bad name!' vg0
refused "name in use" "exists|already" lvcreate -an -L 4M -n lv1 vg0
refused "stripes" "stripe|PV" lvcreate -an -i 3 -L 4M -n x vg0
refused "missing args" "VG|argument|usage" vgcreate
refused "lvreduce below 0" "size|extent|invalid" lvreduce -y -L -100M vg0/lv1

step "commands killed at random points leave the old or the new metadata"
reset
lvset() { ulvm lvs --noheadings -o lv_name vg0 | awk '{print $1}' | sort | tr '\n' ' '; }
before=$(lvset)
for i in $(seq 1 25); do
	"$ULVM_BIN" lvcreate -an -L 4M -n "k$i" vg0 >/dev/null 2>&1 &
	pid=$!
	sleep "0.0$((RANDOM % 10))$((RANDOM % 10))"
	kill -9 "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	ulvm vgck vg0 2>err || { cat err; fail "ulvm vgck after a kill at step $i"; }
	# A kill between the PVs' commits leaves one PV a seqno behind: the
	# newest wins and the stale copy is named (as lvm2 does); any other
	# warning is a broken VG.
	grep WARNING err | grep -qvE 'ignoring metadata seqno [0-9]+ on .* for VG vg0|Inconsistent metadata found for VG vg0' &&
		{ cat err; fail "ulvm vgck warns after a kill at step $i"; }
	now=$(lvset)
	[ "$now" = "$before" ] || [ "$now" = "$(tr ' ' '\n' <<<"$before k$i" | grep . | sort | tr '\n' ' ')" ] ||
		fail "after killing lvcreate k$i: LVs '$now', before '$before'"
	before=$now
done
echo "kept: $before"
# The next change rewrites every copy: then no warning at all.
ulvm lvrename vg0 lv1 settled >/dev/null
ulvm lvrename vg0 settled lv1 >/dev/null
ulvm vgck vg0 2>err || { cat err; fail "ulvm vgck after the settling change"; }
grep -q WARNING err && { cat err; fail "stale metadata copies survive a later change"; }
if command -v vgck >/dev/null && [ -e /dev/loop-control ] && la=$(losetup -f --show a.img 2>/dev/null); then
	track_loop "$la"
	lb=$(losetup -f --show b.img)
	track_loop "$lb"
	lvm2_isolate "$la" "$lb"
	vgck vg0 >out 2>err || { cat out err; fail "lvm2 vgck after the kills"; }
	grep -v 'Activation disabled' err | grep -q WARNING && { cat err; fail "lvm2 vgck warns after the kills"; }
	[ "$(lvs --noheadings -o lv_name vg0 2>/dev/null | awk '{print $1}' | sort | tr '\n' ' ')" = "$before" ] ||
		fail "lvm2 sees other LVs than ulvm"
	echo "lvm2 vgck: clean"
else
	echo "lvm2 vgck or loop devices unavailable: ulvm vgck only"
fi
echo "lvm-bad-input: ok"
