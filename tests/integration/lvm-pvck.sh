#!/usr/bin/env bash
# pvck, with real lvm2's pvck as the oracle, byte for byte:
#  - on a PV lvm2 wrote (two metadata areas, many old copies in each) and
#    one ulvm wrote: the plain check, --dump headers, metadata,
#    metadata_all, metadata_search, with --settings mda_num=2 and -v;
#    standard output, standard error and exit status the same, and the
#    files -f writes equal;
#  - on damaged copies of them: a label with a bad checksum, a metadata
#    area header with bad magic, the label sectors zeroed (the search
#    falls back to lvm2's defaults), text changed under its checksum;
#  - the recovery lvm2's manual describes: an LV removed by mistake comes
#    back from an older copy (--dump metadata_search --settings seqno=N
#    -f FILE, then vgcfgrestore -f FILE), and lvm2 agrees;
#  - vgcfgrestore --list shows the archives; the one written before the
#    removal restores it too;
#  - refused: -f onto an existing file (left as it was), an unknown
#    --dump, a bad --settings.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lvm2.bash"
need pvck vgcfgrestore vgck lvs losetup cmp
export ULVM_CONF_DIR=$T/ulvm
mkdir -p "$ULVM_CONF_DIR"
declare -A L
attach_pvs 32M a b c
lvm2_isolate "${L[@]}"
step() { echo "== $*"; }
# pvck ARGS... on both tools: the same output, errors and status.  lvm2's
# parser words its errors its own way ("Parse error at byte N ..."):
# those lines are compared by their start only.
same() {
	local rc1=0 rc2=0
	command pvck "$@" >"$T/l.out" 2>"$T/l.err" || rc1=$?
	ulvm pvck "$@" >"$T/u.out" 2>"$T/u.err" || rc2=$?
	grep -v 'Activation disabled' "$T/l.err" | sed 's/^  Parse error .*/  Parse error/' >"$T/l.err2"
	sed 's/^  Parse error .*/  Parse error/' "$T/u.err" >"$T/u.err2"
	[ "$rc1" = "$rc2" ] || { cat "$T/u.out" "$T/u.err"; fail "pvck $*: exit $rc2, lvm2 $rc1"; }
	diff "$T/l.out" "$T/u.out" || fail "pvck $*: the output differs from lvm2's"
	diff "$T/l.err2" "$T/u.err2" || fail "pvck $*: the messages differ from lvm2's"
	echo "as lvm2: pvck $* ($(wc -l <"$T/u.out") lines, exit $rc2)"
}
modes() {
	local dev=$1
	same "$dev"
	same --dump headers "$dev"
	same --dump metadata "$dev"
	same --dump metadata_all "$dev"
	same --dump metadata_search "$dev"
	same -v --dump metadata_search "$dev"
}

step "a PV lvm2 wrote: two metadata areas, many old copies"
lvm2 pvcreate --pvmetadatacopies 2 --metadatasize 32k --dataalignment 64k "${L[b]}" >/dev/null
lvm2 vgcreate -s 1m lvmvg "${L[b]}" >/dev/null
for i in $(seq 1 12); do lvm2 lvcreate -an -Zn -l 1 -n lv$i lvmvg >/dev/null; done
for i in $(seq 1 30); do lvm2 vgchange --addtag "tag_$i" lvmvg >/dev/null; done
modes "${L[b]}"
same --dump metadata_all --settings mda_num=2 "${L[b]}"
same --dump metadata_search --settings "mda_num=2" "${L[b]}"
same --dump metadata_search --settings "mda_offset=4096 mda_size=61440" "${L[b]}"
for m in metadata metadata_all metadata_search; do
	rm -f "$T/l.vg" "$T/u.vg"
	command pvck --dump "$m" -f "$T/l.vg" "${L[b]}" >/dev/null 2>&1
	ulvm pvck --dump "$m" -f "$T/u.vg" "${L[b]}" >/dev/null
	cmp "$T/l.vg" "$T/u.vg" || fail "pvck --dump $m -f: the file differs from lvm2's"
done

step "a PV ulvm wrote"
ulvm pvcreate "${L[a]}" >/dev/null
ulvm vgcreate ourvg "${L[a]}" >/dev/null
ulvm lvcreate -an -L 8M -n keep ourvg >/dev/null
ulvm lvcreate -an -L 8M -n gone ourvg >/dev/null
modes "${L[a]}"

step "damaged copies (files)"
cp --sparse=always "$T/b.img" "$T/crc.img"
printf '\377' | dd of="$T/crc.img" bs=1 seek=600 conv=notrunc 2>/dev/null
cp --sparse=always "$T/b.img" "$T/magic.img"
printf 'XX' | dd of="$T/magic.img" bs=1 seek=4100 conv=notrunc 2>/dev/null
cp --sparse=always "$T/b.img" "$T/nolabel.img"
dd if=/dev/zero of="$T/nolabel.img" bs=512 count=4 conv=notrunc 2>/dev/null
cp --sparse=always "$T/a.img" "$T/text.img"
off=$(ulvm pvck --dump headers "${L[a]}" | awk '/metadata text at/ {print $4}')
printf 'garbage' | dd of="$T/text.img" bs=1 seek=$((off + 100)) conv=notrunc 2>/dev/null
for f in crc magic nolabel text; do
	same --dump headers "$T/$f.img"
	same --dump metadata "$T/$f.img"
	same --dump metadata_search "$T/$f.img"
done
# the second area's default place needs the device's size: lvm2 has it
# for block devices only
dd if="$T/nolabel.img" of="${L[c]}" bs=1M conv=fsync 2>/dev/null
same --dump metadata_search --settings mda_num=2 "${L[c]}"

step "an LV removed by mistake comes back from an older copy"
seq_before=$(ulvm vgs --noheadings -o vg_seqno ourvg | tr -d ' ')
ulvm lvremove -y ourvg/gone >/dev/null
ulvm pvck --dump metadata_search "${L[a]}" | tee "$T/search"
grep -q "vg ourvg seqno $seq_before id" "$T/search" || fail "the copy before the removal is not found"
ulvm pvck --dump metadata_search --settings "seqno=$seq_before" -f "$T/before.vg" "${L[a]}" >/dev/null
grep -q 'gone {' "$T/before.vg" || fail "the saved copy has no LV gone"
ulvm vgcfgrestore -f "$T/before.vg" ourvg
lvm2 vgck ourvg >/dev/null
lvm2 lvs --noheadings -o lv_name ourvg | grep -qw gone || fail "lvm2 does not see the LV back"
ulvm lvs --noheadings -o lv_name ourvg | grep -qw gone || fail "ulvm does not see the LV back"

step "vgcfgrestore --list: the archives with their descriptions; the one before the removal restores too"
ulvm lvremove -y ourvg/gone >/dev/null
ulvm vgcfgrestore --list ourvg | tee "$T/list"
grep -q "^  Description:	Created \*before\* executing 'lvremove -y ourvg/gone'$" "$T/list" || fail "no archive of the removal"
grep -q "^  Backup Time:	" "$T/list" || fail "no backup time"
arch=$(grep -B2 "Created \*before\* executing 'lvremove -y ourvg/gone'" "$T/list" | awk -F'\t\t' '/File:/ {print $2}' |
	tail -n 1)
[ -f "$arch" ] || fail "the listed file $arch is not there"
ulvm vgcfgrestore -f "$arch" ourvg >/dev/null
ulvm lvs --noheadings -o lv_name ourvg | grep -qw gone || fail "the archive did not bring the LV back"
lvm2 vgck ourvg >/dev/null

step "refusals"
echo "keep me" >"$T/exists.vg"
if ulvm pvck --dump metadata -f "$T/exists.vg" "${L[a]}" >"$T/out" 2>&1; then fail "-f over a file"; fi
grep -q "Failed to create file" "$T/out" || { cat "$T/out"; fail "no message for -f over a file"; }
[ "$(cat "$T/exists.vg")" = "keep me" ] || fail "-f changed an existing file"
same --dump bogus "${L[a]}"
same --dump metadata_search --settings "nosuchkey=1" "${L[a]}"
same --dump headers /dev/nosuchdevice
echo "ok"
