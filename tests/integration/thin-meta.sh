#!/usr/bin/env bash
# dm-thin pool metadata (src/pdata + src/thin) against thin-provisioning-tools,
# both ways:
#  - our tool formats a pool on a file, creates thins and snapshot chains,
#    maps and unmaps random blocks, deletes, holds a metadata snapshot and
#    commits; thin_check (and thin_check -m) must be clean, thin_dump must
#    list exactly our mappings, thin_ls our device details and thin_delta
#    the differences we compute from our own listing;
#  - thin_restore builds a pool from an XML we write; our tool reads the
#    same mappings back, changes it, and thin_check stays clean;
#  - a flipped byte in a btree node is refused by our tool.
source "$(dirname "$0")/lib.sh"

need thin_check thin_dump thin_ls thin_delta thin_restore python3
TOOL=$ULVM_BUILD/tests/helpers/thin-meta-tool
[ -x "$TOOL" ] || skip "$TOOL is not built"
step() { echo "== $*"; }

# thin_dump XML -> our "D"/"M" listing (ranges expanded), sorted.
xml_to_list() {
	python3 - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
out = []
for d in root.iter('device'):
    i = int(d.get('dev_id'))
    out.append('D %d %s %s %s %s' % (i, d.get('mapped_blocks'), d.get('transaction'),
                                      d.get('creation_time'), d.get('snap_time')))
    for m in d:
        if m.tag == 'single_mapping':
            out.append('M %d %s %s %s' % (i, m.get('origin_block'), m.get('data_block'), m.get('time')))
        elif m.tag == 'range_mapping':
            o, b, n = int(m.get('origin_begin')), int(m.get('data_begin')), int(m.get('length'))
            out += ['M %d %d %d %s' % (i, o + k, b + k, m.get('time')) for k in range(n)]
if out: print('\n'.join(sorted(out)))
PY
}

# Our listing -> the non-"same" per-block differences thin_delta reports.
expected_delta() {
	python3 - "$1" "$2" "$3" <<'PY'
import sys
a, b = int(sys.argv[2]), int(sys.argv[3]); m = {a: {}, b: {}}
for l in open(sys.argv[1]):
    f = l.split()
    if f[0] == 'M' and int(f[1]) in m: m[int(f[1])][int(f[2])] = int(f[3])
for v in sorted(set(m[a]) | set(m[b])):
    if v not in m[b]: print('left_only', v)
    elif v not in m[a]: print('right_only', v)
    elif m[a][v] != m[b][v]: print('different', v)
PY
}

delta_to_list() {
	python3 - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
for e in ET.parse(sys.argv[1]).getroot().iter():
    if e.tag in ('left_only', 'right_only', 'different') and e.get('begin') is not None:
        for k in range(int(e.get('length'))): print(e.tag, int(e.get('begin')) + k)
PY
}

check_clean() {
	thin_check "$1" >"$T/check.log" 2>&1 || { cat "$T/check.log"; fail "thin_check $1"; }
	if [ "$(python3 -c "import struct,sys;print(struct.unpack_from('<Q',open(sys.argv[1],'rb').read(64),0x38)[0])" "$1")" != 0 ]; then
		thin_check -m "$1" >"$T/check.log" 2>&1 || { cat "$T/check.log"; fail "thin_check -m $1"; }
	fi
}

compare_dump() { # meta-file our-listing
	thin_dump "$1" >"$T/dump.xml" || fail "thin_dump $1"
	xml_to_list "$T/dump.xml" >"$T/theirs.txt"
	sort "$2" >"$T/ours.txt"
	diff -u "$T/theirs.txt" "$T/ours.txt" >"$T/diff.txt" || { head -30 "$T/diff.txt"; fail "thin_dump differs from our listing"; }
}

# ---- ours -> tools ----------------------------------------------------------
step "empty pool"
M=$T/meta.img
truncate -s 16M "$M"
"$TOOL" "$M" format 128 40000
check_clean "$M"
echo dump | "$TOOL" "$M" >"$T/list.txt"
compare_dump "$M" "$T/list.txt"

step "thins, snapshot chains, random maps, deletes (40000 data blocks: 3 bitmaps)"
"$TOOL" "$M" <<'S'
create_thin 1
random 1 4000 6000 1
commit
create_snap 2 1
random 2 600 6000 2
random 1 300 6000 3
create_snap 3 2
random 3 500 6000 4
create_snap 4 3
create_thin 5
random 5 1500 200000 5
map 5 16777215
commit
create_snap 6 5
delete 2
random 6 200 200000 6
set_transaction_id 0 7
commit
check
S
check_clean "$M"
echo dump | "$TOOL" "$M" >"$T/list.txt"
grep -c '^M' "$T/list.txt" | sed 's/^/mappings: /'
compare_dump "$M" "$T/list.txt"

step "thin_ls agrees with our device details"
thin_ls --no-headers --format DEV,MAPPED_BLOCKS,TRANSACTION,CREATE_TIME,SNAP_TIME "$M" |
	awk '{print "D", $1, $2, $3, $4, $5}' | sort >"$T/ls.txt"
grep '^D' "$T/list.txt" | sort >"$T/ours-d.txt"
diff -u "$T/ls.txt" "$T/ours-d.txt" || fail "thin_ls differs"

step "thin_delta agrees with our listing"
for pair in "1 3" "3 4" "1 4" "5 6"; do
	set -- $pair
	thin_delta --thin1 "$1" --thin2 "$2" "$M" >"$T/delta.xml" || fail "thin_delta $pair"
	delta_to_list "$T/delta.xml" >"$T/delta-theirs.txt"
	expected_delta "$T/list.txt" "$1" "$2" >"$T/delta-ours.txt"
	diff -u "$T/delta-theirs.txt" "$T/delta-ours.txt" >/dev/null || fail "thin_delta $pair differs"
	echo "  $1 vs $2: $(wc -l <"$T/delta-ours.txt") differing blocks"
done

step "held metadata snapshot, then more changes"
"$TOOL" "$M" <<'S'
reserve_metadata_snap
random 1 300 6000 7
delete 3
commit
S
check_clean "$M"
thin_dump -m "$M" >"$T/held.xml" || fail "thin_dump -m"
grep -q 'dev_id="3"' "$T/held.xml" || fail "the held snapshot lost device 3"
echo dump | "$TOOL" "$M" >"$T/list.txt"
compare_dump "$M" "$T/list.txt"
"$TOOL" "$M" <<'S'
release_metadata_snap
delete 1
commit
S
check_clean "$M"
echo dump | "$TOOL" "$M" >"$T/list.txt"
compare_dump "$M" "$T/list.txt"

step "data device grows past another bitmap"
printf 'resize_data 70000\ncreate_thin 9\nrandom 9 2000 100000 9\ncommit\n' | "$TOOL" "$M"
check_clean "$M"
echo dump | "$TOOL" "$M" >"$T/list.txt"
compare_dump "$M" "$T/list.txt"

step "discard a range; the metadata device grows past its first bitmap"
truncate -s 80M "$M"
printf 'discard 9 0 50000\nresize_metadata\ncreate_thin 10\nrandom 10 3000 100000 10\ncommit\nstat\n' | "$TOOL" "$M" | tee "$T/stat.txt"
grep -q ' meta [0-9]*/20480 ' "$T/stat.txt" || fail "metadata not resized"
check_clean "$M"
echo dump | "$TOOL" "$M" >"$T/list.txt"
compare_dump "$M" "$T/list.txt"

step "everything deleted: no leaks"
printf 'delete 4\ndelete 5\ndelete 6\ndelete 9\ndelete 10\ncommit\nstat\n' | "$TOOL" "$M" | tee "$T/stat.txt"
check_clean "$M"
grep -q '^data 70000/70000 ' "$T/stat.txt" || fail "data blocks leaked"

# ---- tools -> ours ----------------------------------------------------------
step "thin_restore seeds a pool; we read the same mappings"
python3 - >"$T/seed.xml" <<'PY'
import random
random.seed(42)
print('<superblock uuid="" time="3" transaction="5" version="2" data_block_size="256" nr_data_blocks="50000">')
used = iter(random.sample(range(50000), 20000))
shared = [next(used) for _ in range(300)]
for dev in (1, 2, 7):
    print('  <device dev_id="%d" mapped_blocks="0" transaction="%d" creation_time="%d" snap_time="3">' % (dev, dev, dev - 1 if dev < 4 else 2))
    v = 0
    for _ in range(400):
        v += random.randint(1, 40)
        if random.random() < 0.3:
            n = random.randint(2, 20)
            b = next(used)
            # a run of fresh blocks is not guaranteed contiguous: emit singles
            for k in range(n):
                print('    <single_mapping origin_block="%d" data_block="%d" time="%d"/>' % (v + k, next(used), random.randint(0, 3)))
            v += n
        else:
            blk = random.choice(shared) if random.random() < 0.2 else next(used)
            print('    <single_mapping origin_block="%d" data_block="%d" time="%d"/>' % (v, blk, random.randint(0, 3)))
    print('  </device>')
print('</superblock>')
PY
R=$T/restored.img
truncate -s 16M "$R"
thin_restore -i "$T/seed.xml" -o "$R" >/dev/null || fail "thin_restore"
printf 'check\ndump\n' | "$TOOL" "$R" >"$T/list.txt" || fail "our tool cannot read thin_restore output"
compare_dump "$R" "$T/list.txt"
grep -c '^M' "$T/list.txt" | sed 's/^/mappings read back: /'

step "we change a thin_restore pool; thin_check stays clean"
"$TOOL" "$R" <<'S'
create_snap 8 1
random 8 500 20000 11
random 2 500 20000 12
delete 7
commit
check
S
check_clean "$R"
echo dump | "$TOOL" "$R" >"$T/list.txt"
compare_dump "$R" "$T/list.txt"

# ---- corruption ---------------------------------------------------------------
step "a flipped byte in a mapping node is refused"
root=$(python3 -c "
import struct,sys
d=open(sys.argv[1],'rb').read()
top=struct.unpack_from('<Q',d,0x140)[0]
n=d[top*4096:(top+1)*4096]
vals=32+8*struct.unpack_from('<I',n,20)[0]
print(struct.unpack_from('<Q',n,vals)[0])" "$R")
printf '\x55' | dd of="$R" bs=1 seek=$((root * 4096 + 200)) conv=notrunc status=none
if echo check | "$TOOL" "$R" 2>"$T/err.txt"; then fail "corrupt node accepted"; fi
grep -q checksum "$T/err.txt" || { cat "$T/err.txt"; fail "no checksum error"; }
cat "$T/err.txt"

echo "thin-meta: PASS"
