#!/usr/bin/env bash
# Thin pools and thin LVs through ulvm's lvm2 verbs, with real lvm2 and
# thin-provisioning-tools as oracles (loop devices, isolated lvm.conf):
#  - lvcreate --type thin-pool / -T: the _tmeta, _tdata, lvol0_pmspare
#    layout; lvm2's vgck and lvs accept it and show the same structure;
#  - thin LVs over-provisioned, snapshots of snapshots, an external origin,
#    lvremove, lvextend of the pool's data and metadata online, lvs fields;
#  - lvremove of a pool with thin LVs asks lvm2's question and takes them;
#  - a pool and a thin LV made by one lvcreate -L -V;
#  - lvextend --use-policies per activation/thin_pool_autoextend_*;
#  - thin_check on the _tmeta range copied from the PV after the workload;
#  - a pool made by lvm2 (vgcfgrestore) seeded by thin_restore activates in
#    ulvm with the same mappings.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
source "$(dirname "$0")/lvm2.bash"
need qemu-io nbdinfo nbdcopy vgck lvs vgcreate vgcfgrestore losetup thin_check thin_restore thin_dump
M=$((1024 * 1024))
export ULVM_CONF_DIR=$T/ulvm
mkdir -p "$ULVM_CONF_DIR"
declare -A L
attach_pvs 256M a b c
lvm2_isolate --no-backup "${L[@]}"
cat >"$ULVM_CONF_DIR/ulvm.conf" <<EOC
activation { thin_pool_autoextend_threshold = 70 thin_pool_autoextend_percent = 50 }
EOC
LVM2_EXPECTED_WARNINGS=(thin Thin 'NOT backed up' 'Forced restore' 'check for active volumes')
step() { echo "== $*"; }
field() { ulvm lvs --noheadings --nosuffix --units m -o "$2" "$1" | tr -d ' '; }
# the dm table of an active LV's sub-device, copied from its PV extents
copy_dev() { # dm-name out
	: >"$2"
	ulvm dmsetup table "$1" | while read -r start len type path off; do
		[ "$type" = linear ] || fail "$1: $type"
		dd if="$path" of="$2" bs=512 skip="$off" seek="$start" count="$len" conv=notrunc status=none
	done
}

ulvm pvcreate "${L[a]}" "${L[b]}" >/dev/null
ulvm vgcreate vg0 "${L[a]}" "${L[b]}" >/dev/null
start_ulvmd

step "lvcreate --type thin-pool: the LVM2 layout"
ulvm lvcreate --type thin-pool -L 64M -n pool vg0 >/dev/null
ulvm lvcreate -T vg0/pool2 -L 16M --chunksize 256k --poolmetadatasize 8M -Zn --discards nopassdown >/dev/null
ulvm lvs -a -o lv_name,lv_attr,lv_size,segtype,devices vg0 | tee "$T/lvs"
grep -q '^  \[lvol0_pmspare\] *ewi------- *8.00m' "$T/lvs" || fail "pmspare"
grep -q '^  pool *twi-a-tz-- *64.00m thin-pool' "$T/lvs" || fail "pool attr"
grep -q '^  pool2 *twi-a-t--- *16.00m thin-pool' "$T/lvs" || fail "pool2 attr (-Zn)"
grep -q '^  \[pool_tdata\] *Twi-ao---- *64.00m linear' "$T/lvs" || fail "tdata"
grep -q '^  \[pool_tmeta\] *ewi-ao---- *4.00m linear' "$T/lvs" || fail "tmeta"
[ "$(ulvm dmsetup table vg0-pool2-tpool | cut -d' ' -f3-)" = \
	"thin-pool /dev/mapper/vg0-pool2_tmeta /dev/mapper/vg0-pool2_tdata 512 $((64 * 30 / 100)) 2 skip_block_zeroing no_discard_passdown" ] ||
	fail "pool2 table: $(ulvm dmsetup table vg0-pool2-tpool)"
for d in vg0-pool_tmeta vg0-pool_tdata vg0-pool-tpool vg0-pool; do
	ulvm dmsetup info "$d" >/dev/null || fail "no device $d"
done

step "thin LVs: over-provisioned, snapshots of snapshots, external origin"
ulvm lvcreate -T vg0/pool -V 100G -n thin1 >/dev/null
[ "$(nbdinfo --size "$(uri vg0/thin1)")" = $((100 << 30)) ] || fail "thin1 size"
qio "$(uri vg0/thin1)" "write -P 0x11 0 4M" "write -P 0x12 50G 64k"
ulvm lvcreate -s vg0/thin1 -n snap1 >/dev/null
qio "$(uri vg0/thin1)" "write -P 0x21 0 1M"
ulvm lvcreate -s vg0/snap1 -n snap2 >/dev/null
qio "$(uri vg0/snap1)" "write -P 0x31 1M 1M"
qio "$(uri vg0/snap2)" "read -P 0x11 0 4M" "read -P 0x12 50G 64k"
qio "$(uri vg0/snap1)" "read -P 0x11 0 1M" "read -P 0x31 1M 1M"
qio "$(uri vg0/thin1)" "read -P 0x21 0 1M" "read -P 0x11 1M 3M"
ulvm lvcreate -L 8M -n base vg0 >/dev/null
qio "$(uri vg0/base)" "write -P 0x33 0 8M"
ulvm lvcreate -s --thinpool vg0/pool vg0/base -n vm1 >/dev/null
qio "$(uri vg0/vm1)" "read -P 0x33 0 8M" "write -P 0x44 64k 64k" "read -P 0x33 0 64k" "read -P 0x44 64k 64k"
# 1 MiB reads of blocks vm1 never wrote come from base on the server's pipe
qio "$(uri vg0/vm1)" "read -P 0x33 1M 1M" "read -P 0x33 7M 1M" "read -P 0x33 128k 896k"
qio "$(uri vg0/base)" "read -P 0x33 0 8M"
# read-only, and open (o) as lvm2 shows it: the thin table of vm1 holds it
# lvm2 marks an external origin as it marks any origin, attr 'o' (lv.c: lv_is_external_origin)
[ "$(field vg0/base lv_attr)" = "ori-ao----" ] || fail "the external origin: $(field vg0/base lv_attr), not ori-ao----"
ulvm lvs -o lv_name,lv_attr,pool_lv,origin,data_percent,metadata_percent vg0 | sed "s/ *$//" | tee "$T/lvs"
grep -q '^  thin1 *Vwi-a-tz-- *pool  *[0-9.]*$' "$T/lvs" || fail "lvs thin1"
grep -q '^  snap2 *Vwi-a-tz-- *pool *snap1 *[0-9.]*$' "$T/lvs" || fail "lvs snap2"
grep -q '^  vm1 *Vwi-a-tz-- *pool *base *[0-9.]*$' "$T/lvs" || fail "lvs vm1"
grep -q '^  pool *twi-aotz-- *[0-9.]* *[0-9.]*$' "$T/lvs" || fail "lvs pool"
ulvm vgcfgbackup -f "$T/vg0.backup" vg0 >/dev/null
grep -q 'device_id = 3' "$T/vg0.backup" || fail "no device_id 3"
grep -A20 "^		pool {" "$T/vg0.backup" | grep -q "transaction_id = 4" || { grep -A20 "^		pool {" "$T/vg0.backup"; fail "pool transaction_id"; }

step "lvremove: delete and free blocks"
used=$(ulvm dmsetup status vg0-pool-tpool | awk '{split($6, a, "/"); print a[1]}')
ulvm lvremove -y vg0/snap1 >/dev/null
qio "$(uri vg0/snap2)" "read -P 0x11 0 4M"
after=$(ulvm dmsetup status vg0-pool-tpool | awk '{split($6, a, "/"); print a[1]}')
[ "$after" -lt "$used" ] || fail "lvremove freed no blocks ($used -> $after)"
ulvm dmsetup info vg0-snap1 >/dev/null 2>&1 && fail "vg0-snap1 still active"

step "lvchange -p r / rw of an active thin LV: its device changes mode at once"
ro() { nbdinfo --json "$(uri "$1")" | python3 -c 'import json,sys; print(json.load(sys.stdin)["exports"][0]["is_read_only"])'; }
ulvm lvchange -pr vg0/snap2 >/dev/null
[ "$(ro vg0/snap2)" = True ] || fail "snap2 writable after lvchange -pr"
[ "$(field vg0/snap2 lv_attr)" = "Vri-a-tz--" ] || fail "snap2 attr: $(field vg0/snap2 lv_attr)"
qemu-io -f raw -c "write -P 0x66 0 4k" "$(uri vg0/snap2)" 2>&1 | grep -qi 'read-only\|permission\|failed' ||
	fail "a write to read-only snap2 was not refused"
ulvm lvchange -prw vg0/snap2 >/dev/null
[ "$(ro vg0/snap2)" = False ] || fail "snap2 read-only after lvchange -prw"
qio "$(uri vg0/snap2)" "read -P 0x11 0 4M"
[ "$(ro vg0/pool)" = True ] || fail "the pool's own device is not read-only"

step "lvextend of the pool's data and metadata, online"
ulvm lvextend -L +32M vg0/pool >/dev/null
[ "$(field vg0/pool lv_size)" = "96.00" ] || fail "pool size after lvextend"
ulvm dmsetup status vg0-pool-tpool | awk '{print $6}' | grep -q '/1536$' || fail "pool data blocks: $(ulvm dmsetup status vg0-pool-tpool)"
ulvm lvextend --poolmetadatasize +4M vg0/pool >/dev/null
ulvm dmsetup status vg0-pool-tpool | awk '{print $5}' | grep -q '/2048$' || fail "pool metadata blocks: $(ulvm dmsetup status vg0-pool-tpool)"
[ "$(ulvm lvs -a --noheadings --nosuffix --units m -o lv_size vg0/lvol0_pmspare | tr -d ' ')" = "8.00" ] || fail "pmspare"
qio "$(uri vg0/thin1)" "read -P 0x21 0 1M"

step "lvextend --use-policies (threshold 70%, +50%)"
ulvm lvextend --use-policies vg0/pool | grep -q 'under the threshold' || fail "use-policies extended under the threshold"
qio "$(uri vg0/thin1)" "write -P 0x55 1G 72M"
ulvm lvextend --use-policies vg0/pool >/dev/null
[ "$(field vg0/pool lv_size)" = "144.00" ] || fail "pool size after --use-policies: $(field vg0/pool lv_size)"
qio "$(uri vg0/thin1)" "read -P 0x55 1G 72M"

step "lvm2 accepts ulvm's thin metadata"
lvm2 vgck vg0 >/dev/null
lvs_cmp() { "$@" -a --noheadings --nosuffix --units m -o lv_name,segtype,lv_size,pool_lv,origin vg0 | awk '{$1=$1; print}' | sort; }
lvm2 lvs_cmp lvs >"$T/lvm2.lvs"
lvs_cmp ulvm lvs >"$T/ulvm.lvs"
diff "$T/lvm2.lvs" "$T/ulvm.lvs" || fail "lvs of lvm2 and ulvm differ"
lvm2 lvs -a -o lv_name,lv_attr,devices vg0

step "thin_check on the _tmeta range after the workload"
ulvm dmsetup table vg0-pool_tmeta >"$T/tmeta.table"
ulvm lvchange -an vg0/pool >/dev/null
ulvm dmsetup info vg0-thin1 >/dev/null 2>&1 && fail "thin1 still active after its pool went down"
: >"$T/tmeta"
while read -r start len type path off; do
	dd if="$path" of="$T/tmeta" bs=512 skip="$off" seek="$start" count="$len" conv=notrunc status=none
done <"$T/tmeta.table"
thin_check "$T/tmeta" || fail "thin_check"
thin_dump "$T/tmeta" | grep -c '<device ' | grep -qx 3 || fail "thin_dump: not 3 devices"
ulvm vgchange -ay vg0 >/dev/null
qio "$(uri vg0/snap2)" "read -P 0x11 0 4M"
ulvm lvremove -y vg0/pool2 >/dev/null
if echo n | ulvm lvremove vg0/pool >"$T/out" 2>&1; then fail "removed a pool with thin LVs without a yes"; fi
grep -q "Removing pool vg0/pool will remove [0-9]* dependent volume(s). Proceed?" "$T/out" || { cat "$T/out"; fail "not asked"; }
ulvm lvs vg0/pool >/dev/null || fail "the pool went after a no"
thins=$(ulvm lvs --noheadings -o lv_name,pool_lv vg0 | awk '$2 == "pool"' | wc -l)
ulvm lvremove -y vg0/pool | tee "$T/out"
[ "$(grep -c 'successfully removed' "$T/out")" = $((thins + 1)) ] || fail "not the $thins thin LVs and the pool"
ulvm lvs --noheadings -o lv_name,pool_lv vg0 | grep -qw pool && fail "left: $(ulvm lvs vg0)"
lvm2 vgck vg0 >/dev/null
ulvm dmsetup ls | grep -qE '^vg0-(pool|thin1|snap2|vm1)' && fail "devices left: $(ulvm dmsetup ls)"

step "a pool and a thin LV in one lvcreate (-L and -V), as lvm2: only the thin LV's created line"
ulvm lvcreate -T vg0/pool3 -L 16M -V 64M -n thin3 | tee "$T/out"
grep -q "Thin pool volume with chunk size" "$T/out" || fail "no pool line"
[ "$(grep -c 'created' "$T/out")" = 1 ] && grep -q 'Logical volume "thin3" created.' "$T/out" ||
	fail "not only the thin LV's created line"
[ "$(field vg0/thin3 pool_lv)" = pool3 ] || fail "thin3 is not in pool3"
lvm2 vgck vg0 >/dev/null
lvm2 lvs --noheadings -o lv_name,pool_lv vg0 | grep -q "thin3 *pool3" || fail "lvm2 does not see thin3 in pool3"
qio "$(uri vg0/thin3)" "write -P 0x3c 0 4M" "read -P 0x3c 0 4M"
ulvm lvcreate -T -L 8M -V 8M vg0 | grep -q 'Logical volume "lvol[0-9]*" created.' || fail "unnamed pool and thin LV"
ulvm lvremove -y vg0/pool3 >/dev/null

step "a pool made by lvm2 and thin_restore activates with the same mappings"
lvm2 vgcreate lvvg "${L[c]}" >/dev/null
lvm2 vgcfgbackup -f "$T/lvvg.fresh" lvvg >/dev/null
pvid=$(awk '/pv0 {/ {getline; print $3}' "$T/lvvg.fresh" | tr -d '"')
pe_start=$(awk '/pe_start/ {print $3}' "$T/lvvg.fresh")
sed -n '1,/logical_volumes/p' "$T/lvvg.fresh" | grep -v 'logical_volumes' | sed '$d' >"$T/lvvg.backup"
sed -i 's/seqno = [0-9]*/seqno = 10/' "$T/lvvg.backup"
lv() { # name status visible segment-body
	cat <<EOL
		$1 {
			id = "$2"
			status = [$3]
			flags = []
			segment_count = 1

			segment1 {
				start_extent = 0
$4
			}
		}

EOL
}
lin() { printf '\t\t\t\textent_count = %s\n\n\t\t\t\ttype = "striped"\n\t\t\t\tstripe_count = 1\n\n\t\t\t\tstripes = [\n\t\t\t\t\t"pv0", %s\n\t\t\t\t]\n' "$1" "$2"; }
{
	printf '\n\tlogical_volumes {\n\n'
	lv pool "aaaaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaaa1" '"READ", "WRITE", "VISIBLE"' \
		"$(printf '\t\t\t\textent_count = 4\n\n\t\t\t\ttype = "thin-pool"\n\t\t\t\tmetadata = "pool_tmeta"\n\t\t\t\tpool = "pool_tdata"\n\t\t\t\ttransaction_id = 1\n\t\t\t\tchunk_size = 128\n\t\t\t\tdiscards = "passdown"\n\t\t\t\tzero_new_blocks = 1')"
	lv thin1 "aaaaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaaa2" '"READ", "WRITE", "VISIBLE"' \
		"$(printf '\t\t\t\textent_count = 8\n\n\t\t\t\ttype = "thin"\n\t\t\t\tthin_pool = "pool"\n\t\t\t\ttransaction_id = 0\n\t\t\t\tdevice_id = 1')"
	lv lvol0_pmspare "aaaaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaaa3" '"READ", "WRITE"' "$(lin 1 0)"
	lv pool_tmeta "aaaaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaaa4" '"READ", "WRITE"' "$(lin 1 5)"
	lv pool_tdata "aaaaaa-aaaa-aaaa-aaaa-aaaa-aaaa-aaaaa5" '"READ", "WRITE"' "$(lin 4 1)"
	printf '\t}\n}\n'
} >>"$T/lvvg.backup"
lvm2 vgcfgrestore --force -f "$T/lvvg.backup" lvvg >/dev/null
lvm2 vgck lvvg >/dev/null
cat >"$T/pool.xml" <<EOX
<superblock uuid="" time="0" transaction="1" flags="0" version="2" data_block_size="128" nr_data_blocks="256">
  <device dev_id="1" mapped_blocks="3" transaction="0" creation_time="0" snap_time="0">
    <range_mapping origin_begin="0" data_begin="5" length="2" time="0"/>
    <single_mapping origin_block="100" data_block="40" time="0"/>
  </device>
</superblock>
EOX
mkfile "$T/lvmeta" 4M
thin_restore -i "$T/pool.xml" -o "$T/lvmeta" >/dev/null
E=8192 # 4 MiB extents, in sectors
dd if="$T/lvmeta" of="${L[c]}" bs=512 seek=$((pe_start + 5 * E)) conv=notrunc status=none
head -c $((128 * 1024)) /dev/urandom >"$T/blk0"
head -c $((64 * 1024)) /dev/urandom >"$T/blk100"
dd if="$T/blk0" of="${L[c]}" bs=512 seek=$((pe_start + 1 * E + 5 * 128)) conv=notrunc status=none
dd if="$T/blk100" of="${L[c]}" bs=512 seek=$((pe_start + 1 * E + 40 * 128)) conv=notrunc status=none
ulvm lvchange --devices "${L[c]}" -ay lvvg/thin1 >/dev/null
nbdcopy "$(uri lvvg/thin1)" "$T/thin1.raw"
cmp -n $((128 * 1024)) "$T/blk0" "$T/thin1.raw" || fail "lvvg/thin1 block 0-1 differ"
cmp -n $((64 * 1024)) "$T/blk100" "$T/thin1.raw" 0 $((100 * 64 * 1024)) || fail "lvvg/thin1 block 100 differs"
cmp -n $((64 * 1024)) /dev/zero "$T/thin1.raw" 0 $((2 * 64 * 1024)) || fail "lvvg/thin1 block 2 is not zero"
[ "$(ulvm lvs --devices "${L[c]}" --noheadings -o pool_lv lvvg/thin1 | tr -d ' ')" = pool ] || fail "lvs lvvg/thin1"
ulvm lvcreate --devices "${L[c]}" -s lvvg/thin1 -n snap >/dev/null
ulvm lvchange --devices "${L[c]}" -an lvvg/pool >/dev/null
lvm2 vgck lvvg >/dev/null
lvm2 lvs -a lvvg
echo "thin-lvm: all passed"
