#!/usr/bin/env bash
# Changed-block tracking: `ulvm thin delta` and the NBD meta context
# ulvm:delta:OTHER list the blocks written between two snapshots, from the
# pool's mappings alone.  Oracle: thin-provisioning-tools' thin_delta on
# the same metadata (through a held metadata snapshot).  Also: paging of
# long replies, LV names through the VG metadata, and the time of a delta
# of two snapshots of a volume with many mapped blocks.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
need qemu-io nbdinfo jq thin_delta

mkfile "$T/meta" 64M
mkfile "$T/data" 1G
BS=128 # sectors per data block: 64 KiB
pool_table="0 $((1024 * 2048)) thin-pool $T/meta $T/data $BS 0"
GiB=$((1024 * 2048))

start_ulvmd
ulvm dmsetup create pool --table "$pool_table"
ulvm dmsetup message pool 0 "create_thin 0"
ulvm dmsetup create thin0 --table "0 $GiB thin /dev/mapper/pool 0"

snap() { # id: snapshot of thin0, as lvm2 takes it
	ulvm dmsetup suspend thin0
	ulvm dmsetup message pool 0 "create_snap $1 0"
	ulvm dmsetup resume thin0
}

echo "== write, snapshot A, write known ranges, snapshot B, write more"
qio "$(uri thin0)" "write -P 1 0 4M"
snap 1
qio "$(uri thin0)" "write -P 2 128k 64k" "write -P 2 1M 192k" "write -P 2 100M 64k" \
	"write -P 2 200M 4k" "discard 0 64k"
snap 2
qio "$(uri thin0)" "write -P 3 2M 64k" "write -P 3 300M 64k"
ulvm dmsetup create snapA --table "0 $GiB thin /dev/mapper/pool 1"
ulvm dmsetup create snapB --table "0 $GiB thin /dev/mapper/pool 2"

# In sectors: block 0 unmapped (discard), blocks 2 and 16..18 rewritten,
# blocks 1600 (100M) and 3200 (200M) new.
want="left_only  0 128
different  256 128
different  2048 384
right_only 204800 128
right_only 409600 128"
got=$(ulvm thin delta --pool pool 1 2)
echo "$got"
[ "$got" = "$want" ] || fail "thin delta A B: want
$want"

echo "== --units b and --reportformat json"
ulvm thin delta --pool pool 1 2 --units b --reportformat json >"$T/d.json"
[ "$(jq -r '.delta.ranges | map("\(.type) \(.start) \(.length)") | join(",")' "$T/d.json")" = \
	"left_only 0 65536,different 131072 65536,different 1048576 196608,right_only 104857600 65536,right_only 209715200 65536" ] ||
	{ cat "$T/d.json"; fail "json delta"; }
[ "$(ulvm thin delta --pool pool 2 2)" = "" ] || fail "a device against itself"
ulvm thin delta --pool pool 1 9 2>"$T/err" && fail "delta with a missing device"
grep -q "No such thin device" "$T/err" || fail "missing device message: $(cat "$T/err")"

echo "== the same as thin_delta on a held metadata snapshot"
ulvm dmsetup message pool 0 reserve_metadata_snap
for pair in "1 2" "2 1" "0 1" "1 0"; do
	set -- $pair
	thin_delta -m --snap1 "$1" --snap2 "$2" "$T/meta" >"$T/td.xml"
	# <kind begin="B" length="L"/> in blocks -> "kind B*BS L*BS"
	oracle=$(sed -nE 's|^ *<(same\|different\|left_only\|right_only) begin="([0-9]+)" length="([0-9]+)"/>|\1 \2 \3|p' "$T/td.xml" |
		awk -v bs=$BS '{ printf "%-10s %d %d\n", $1, $2 * bs, $3 * bs }')
	mine=$(ulvm thin delta --pool pool "$1" "$2" --same)
	[ "$mine" = "$oracle" ] || { cat "$T/td.xml"; echo "$mine"; fail "thin delta --same $1 $2 differs from thin_delta"; }
	[ "$(ulvm thin delta --pool pool "$1" "$2")" = "$(grep -v '^same' <<<"$oracle" || true)" ] ||
		fail "thin delta $1 $2 differs from thin_delta without same"
done
echo "thin_delta agrees on 4 pairs ($(grep -c . <<<"$oracle") ranges for 1 0)"
ulvm dmsetup message pool 0 release_metadata_snap

echo "== NBD meta context ulvm:delta:snapA on snapB"
nbdinfo "$(uri snapB)" | grep -q 'ulvm:delta:snapA' || fail "context not offered"
nbdinfo --map=ulvm:delta:snapA "$(uri snapB)" >"$T/map"
cat "$T/map"
changed=$(awk '$3 == 1 { printf "%s %s\n", $1, $2 }' "$T/map")
expect=$(ulvm thin delta --pool pool 1 2 --units b | awk '{ print $2, $3 }')
[ "$changed" = "$expect" ] || fail "NBD delta map differs from thin delta: $changed"
if command -v nbdsh >/dev/null; then
	nbdsh -c - <<EOP || fail "nbdsh: two contexts at once"
h.add_meta_context("base:allocation")
h.add_meta_context("ulvm:delta:snapA")
h.connect_uri("$(uri snapB)")
assert h.can_meta_context("base:allocation") and h.can_meta_context("ulvm:delta:snapA")
seen = {}
def cb(ctx, off, entries, err):
    seen[ctx] = entries
    return 0
h.block_status(2 << 20, 0, cb)
assert seen["ulvm:delta:snapA"] == [65536, 1, 65536, 0, 65536, 1, 851968, 0, 196608, 1, 851968, 0], seen
assert seen["base:allocation"][:2] == [65536, 3], seen
EOP
	nbdsh -c - <<EOP || fail "nbdsh: list contexts"
h.set_opt_mode(True)
h.connect_uri("$(uri snapB)")
h.add_meta_context("ulvm:")
out = []
h.opt_list_meta_context(lambda name: out.append(name) or 0)
assert "ulvm:delta:snapA" in out and "ulvm:delta:thin0" in out and "ulvm:delta:snapB" not in out, out
h.opt_abort()
EOP
fi

echo "== a long reply comes in pages"
writes=()
for i in $(seq 0 399); do writes+=("write -P 4 $((400 * 1024 + i * 128))k 4k"); done
qio "$(uri thin0)" "${writes[@]}"
n=$(ulvm thin delta --pool pool 2 0 | grep -c right_only)
[ "$n" -eq 401 ] || fail "paged delta: $n right_only ranges, want 401 (with the write at 300M)"
ulvm dmsetup message pool 0 "delta 2 0" | grep -q '^more ' || fail "no paging in the message reply"

echo "== LV names through the VG metadata"
if ulvm pvcreate --devices "$T/pv.img" "$T/pv.img" >/dev/null 2>&1 || {
	mkfile "$T/pv.img" 512M
	ulvm pvcreate --devices "$T/pv.img" "$T/pv.img" >/dev/null 2>&1; } &&
	ulvm vgcreate --devices "$T/pv.img" vgd "$T/pv.img" >/dev/null 2>&1 &&
	ulvm lvcreate --devices "$T/pv.img" --type thin-pool -L 256M -n tp vgd >/dev/null 2>&1 &&
	ulvm lvcreate --devices "$T/pv.img" -T vgd/tp -V 1G -n vol >/dev/null 2>&1; then
	qio "$(uri vgd/vol)" "write -P 5 0 1M"
	ulvm lvcreate --devices "$T/pv.img" -s vgd/vol -n sa >/dev/null
	qio "$(uri vgd/vol)" "write -P 6 512k 64k"
	ulvm lvcreate --devices "$T/pv.img" -s vgd/vol -n sb >/dev/null
	got=$(ulvm thin delta --devices "$T/pv.img" vgd/sa vgd/sb)
	[ "$got" = "different  1024 128" ] || fail "thin delta vgd/sa vgd/sb: $got"
	echo "vgd/sa vgd/sb: $got"
else
	echo "skipped: LVM thin commands not available"
fi

echo "== time: two snapshots of a volume with many mapped blocks, few changes"
# 1M mapped blocks of 64 KiB would need 64 GiB of data; a pool with
# 1M blocks over a sparse data file costs no space and the same metadata.
ulvm dmsetup remove snapA
ulvm dmsetup remove snapB
ulvm dmsetup remove thin0
ulvm dmsetup remove pool
if command -v thin_restore >/dev/null; then
	nb=${DELTA_BLOCKS:-1048576}
	mkfile "$T/bigdata" $((nb * 64 + 1024))K
	awk -v nb=$nb 'BEGIN {
		printf "<superblock uuid=\"\" time=\"1\" transaction=\"1\" flags=\"0\" version=\"2\" data_block_size=\"128\" nr_data_blocks=\"%d\">\n", nb + 16
		printf "  <device dev_id=\"1\" mapped_blocks=\"%d\" transaction=\"0\" creation_time=\"0\" snap_time=\"0\">\n", nb
		printf "    <range_mapping origin_begin=\"0\" data_begin=\"0\" length=\"%d\" time=\"0\"/>\n", nb
		print "  </device>\n</superblock>" }' >"$T/big.xml"
	rm -f "$T/bigmeta"; mkfile "$T/bigmeta" 256M
	thin_restore -i "$T/big.xml" -o "$T/bigmeta" >/dev/null
	ulvm dmsetup create big --table "0 $(((nb + 16) * 128)) thin-pool $T/bigmeta $T/bigdata 128 0"
	ulvm dmsetup message big 0 "create_snap 2 1"
	ulvm dmsetup create bigvol --table "0 $((nb * 128)) thin /dev/mapper/big 1"
	qio "$(uri bigvol)" "write -P 7 0 4k" "write -P 7 $((nb / 2 * 64))k 4k" "write -P 7 $(((nb - 1) * 64))k 4k"
	ulvm dmsetup message big 0 "create_snap 3 1"
	t0=$(date +%s%N)
	got=$(ulvm thin delta --pool big 2 3)
	t1=$(date +%s%N)
	t2=$(date +%s%N)
	ulvm dmsetup message big 0 "delta 2 3" >/dev/null
	t3=$(date +%s%N)
	[ "$(wc -l <<<"$got")" -eq 3 ] || fail "big delta: $got"
	echo "delta of two snapshots of $nb mapped blocks, 3 changed: ulvm thin delta $(((t1 - t0) / 1000000)) ms, ulvm dmsetup message (with process start) $(((t3 - t2) / 1000000)) ms"
	ulvm dmsetup remove bigvol
	ulvm dmsetup remove big
fi
stop_ulvmd
echo "thin-delta: OK"
