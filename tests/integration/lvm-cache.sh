#!/usr/bin/env bash
# lvm2's cache segment types (cache-pool, cache over a pool or a cachevol,
# writecache), with real lvm2 as the oracle.  lvm2 does without
# device-mapper what does not wipe or flush: lvcreate --type cache-pool,
# lvconvert --type cache --cachepool --zero n (with --cachemetadataformat 1
# and a policy given: it cannot ask a kernel for them), lvchange
# --cachesettings, --splitcache/--uncache/lvremove of a writethrough cache.
# Each is done by lvm2 on one VG (lvg) and by ulvm on another (uvg), and
# the two VG texts must be the same but for ids, times and names; lvm2's
# vgck and lvs accept ulvm's and show what they show of lvm2's.  lvm2
# cannot attach a cachevol or a writecache without device-mapper: ulvm's
# text of those is compared with the segment lvm2's cache.c/writecache.c
# write, and lvm2 must accept and report it.
#  - refused, nothing written: a chunk size that is not a multiple of
#    32 KiB, a pool in use, a cached, internal, thin or thin-pool LV, a
#    cachevol with metadata format 1, writeback with the cleaner policy, a
#    striped writecache, no answer to lvm2's question;
#  - with the cache targets: lvm2's cache activates as lvm2 stacks it (the
#    exact table), data through NBD, fio verify, lvs's cache counters; a
#    writeback cache's dirty blocks survive a reactivation and are flushed
#    by --splitcache; --uncache under fio load keeps every byte (fio's
#    verify, and the LV's PV extents read as lvm2 maps them), after an
#    online lvextend of the cached LV; a cachevol and a writecache the
#    same; a raid1 LV cached and uncached; lvremove takes every device
#    down;
#  - lvmcache(7)'s recipes: lvconvert --type cache-pool [--poolmetadata] of
#    plain LVs after lvm2's warning and question (no: nothing written),
#    and --cachepool naming a plain LV, converted first; lvm2's vgck and
#    lvs accept both, the cached LVs keep their data.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
source "$(dirname "$0")/lvm2.bash"
need vgck lvs losetup qemu-io nbdcopy nbdinfo python3 fio
fio --enghelp 2>/dev/null | grep -qw nbd || skip "fio has no nbd engine"
export ULVM_CONF_DIR=$T/ulvm
mkdir -p "$ULVM_CONF_DIR"
declare -A L
attach_pvs 128M a b c d
lvm2_isolate "${L[@]}"
step() { echo "== $*"; }
LVM2_EXPECTED_WARNINGS=('check for active volumes' 'Reusing cache pool metadata' 'Skipping zeroing and wip'
	'created without initialization' 'lvol0 not zeroed')
sums() { md5sum "${L[a]}" "${L[b]}"; }
LDEVS="${L[c]},${L[d]}"

# `both CMD ARGS...`: lvm2 runs it on lvg (PVs c d), ulvm on uvg (PVs a b);
# in ARGS, VG stands for the VG's name, PV1/PV2 for its PVs.
both() {
	local cmd=$1 la=() ua=() x
	shift
	for x in "$@"; do
		la+=("$(sed "s/VG/lvg/g; s#PV1#${L[c]}#; s#PV2#${L[d]}#" <<<"$x")")
		ua+=("$(sed "s/VG/uvg/g; s#PV1#${L[a]}#; s#PV2#${L[b]}#" <<<"$x")")
	done
	lvm2 lvm "$cmd" "${la[@]}" >"$T/lvm2.out"
	ulvm "$cmd" "${ua[@]}" >"$T/ulvm.out" || { cat "$T/ulvm.out"; fail "ulvm $cmd ${ua[*]}"; }
	sed 's/lvg/VG/g' "$T/lvm2.out" >"$T/lvm2.msg"
	sed 's/uvg/VG/g' "$T/ulvm.out" >"$T/ulvm.msg"
	diff "$T/lvm2.msg" "$T/ulvm.msg" || fail "$cmd: lvm2 and ulvm say different things"
	cat "$T/ulvm.out"
}
same_text() {
	lvm2 vgck uvg >/dev/null
	lvtext lvg >"$T/lvg.txt"
	lvtext uvg >"$T/uvg.txt"
	diff "$T/lvg.txt" "$T/uvg.txt" || fail "$1: the VG texts of lvm2 and ulvm differ"
}
FIELDS=lv_name,lv_attr,lv_size,segtype,cache_mode,cache_policy,cache_settings,pool_lv,origin,data_lv,metadata_lv,devices
fields() { # lvm2|ulvm VG: attr without its activation letters (lvm2 shows XX)
	"$@" -a --noheadings --units s --separator '|' -o "$FIELDS" | sed 's/^ *//' |
		awk -F'|' '{ $2 = substr($2, 1, 4) substr($2, 7) } 1' OFS='|' |
		sed "s#${L[c]}\|${L[a]}#PV1#g; s#${L[d]}\|${L[b]}#PV2#g" | sort
}
same_lvs() {
	fields lvm2 lvs lvg >"$T/l1.txt"
	fields lvm2 lvs uvg >"$T/l2.txt"
	fields ulvm lvs uvg >"$T/l3.txt"
	diff "$T/l1.txt" "$T/l2.txt" || fail "$1: lvm2 shows its VG and ulvm's differently"
	diff "$T/l2.txt" "$T/l3.txt" || fail "$1: lvs -a of lvm2 and ulvm differ"
}

lvm2 pvcreate "${L[c]}" "${L[d]}" >/dev/null
lvm2 vgcreate -s 1m lvg "${L[c]}" "${L[d]}" >/dev/null
ulvm pvcreate "${L[a]}" "${L[b]}" >/dev/null
ulvm vgcreate -s 1m uvg "${L[a]}" "${L[b]}" >/dev/null

step "lvcreate --type cache-pool: _cdata, _cmeta and the spare as lvm2 makes them, options kept"
both lvcreate --type cache-pool -L 40M -n fastpool VG PV2
both lvcreate --type cache-pool -L 16M -n p2 --chunksize 128k --cachemode writeback --cachepolicy smq \
	--cachesettings 'migration_threshold=4096' --cachemetadataformat 1 --poolmetadatasize 3m VG PV2
same_text "lvcreate --type cache-pool"
grep -q 'metadata = "fastpool_cmeta"' "$T/uvg.txt" || fail "no fastpool_cmeta"
grep -A2 'policy_settings {' "$T/uvg.txt" | grep -q $'^\t\t\t\t\tmigration_threshold=4096$' ||
	fail "policy_settings not as libdm writes them"
same_lvs "cache pools"

step "lvconvert --type cache --cachepool: LV_corig, POOL_cpool, the pool's settings; lvs as lvm2's"
both lvcreate -an -Zn -y -L 48M -n big VG PV1 >/dev/null
both lvconvert -y --type cache --cachepool VG/fastpool --zero n --cachemetadataformat 1 --cachepolicy smq \
	--cachesettings 'migration_threshold=4096 random_threshold=8' VG/big
same_text "lvconvert --type cache"
same_lvs "a cached LV"

step "lvchange --cachesettings: merged and dropped (k=default) in lvm2's order"
for s in 'a=1 b=2 c=3' 'd=4' 'a=5' 'e=1 f=2 g=3' 'a=default b=default'; do
	both lvchange --cachesettings "$s" VG/big >/dev/null
	same_text "lvchange --cachesettings '$s'"
done
both lvchange --cachesettings x=1 --cachesettings y=2 --cachepolicy mq VG/big >/dev/null
same_text "two --cachesettings"
same_lvs "changed settings"

step "--splitcache, --uncache, lvremove of a used pool, lvremove of a cached LV (writethrough, inactive)"
both lvconvert --splitcache VG/big
same_text "--splitcache"
same_lvs "split"
both lvconvert -y --type cache --cachepool VG/fastpool --zero n --cachemetadataformat 1 --cachepolicy smq VG/big \
	>/dev/null
both lvconvert --uncache VG/big
same_text "--uncache"
both lvconvert -y --type cache --cachepool VG/p2 --zero n --cachemetadataformat 1 --cachemode writethrough \
	VG/big >/dev/null
both lvremove -y VG/p2_cpool
same_text "lvremove of a used pool"
both lvcreate --type cache-pool -L 16M -n p3 VG PV2 >/dev/null
both lvconvert -y --type cache --cachepool VG/p3 --zero n --cachemetadataformat 1 --cachepolicy smq VG/big \
	>/dev/null
both lvremove -y VG/big
same_text "lvremove of a cached LV (its pool and the spare go with it)"
lvtext uvg | grep -q pmspare && fail "the spare outlived the last pool"

step "cachevol and writecache: the segments lvm2's cache.c and writecache.c write; lvm2 accepts them"
ulvm lvcreate -an -Zn -L 40M -n big uvg "${L[a]}" >/dev/null
ulvm lvcreate -an -Zn -L 24M -n fast uvg "${L[b]}" >/dev/null
ulvm lvconvert -y --type cache --cachevol uvg/fast --cachemode writethrough uvg/big
ulvm lvcreate -an -Zn -L 24M -n db uvg "${L[a]}" >/dev/null
ulvm lvcreate -an -Zn -L 8M -n fastwc uvg "${L[b]}" >/dev/null
ulvm lvconvert -y --type writecache --cachevol uvg/fastwc --cachesettings 'high_watermark=80 writeback_jobs=4' \
	uvg/db
lvm2 vgck uvg >/dev/null
lvtext uvg >"$T/uvg.txt"
python3 - "$T/uvg.txt" <<'EOF' || fail "the cachevol / writecache segments are not lvm2's"
import re, sys
t = open(sys.argv[1]).read()
def seg(lv):
    m = re.search(r"\n\t\t%s \{\n(.*?)\n\t\t\}\n" % lv, t, re.S)
    assert m, lv
    return m.group(1)
big = seg("big")
want = '''type = "cache+CACHE_USES_CACHEVOL"
cache_pool = "fast_cvol"
origin = "big_corig"
metadata_format = 2
chunk_size = 128
cache_mode = "writethrough"
policy = "smq"
metadata_start = 0
metadata_len = 10240
data_start = 10240
data_len = 38912'''
got = "\n".join(l.strip() for l in big.split("\n") if l.strip().startswith(tuple(w.split(" ")[0] for w in want.split("\n"))))
assert got == want, got
assert 'flags = ["CACHE_VOL"]' in seg("fast_cvol") and 'status = ["READ", "WRITE"]' in seg("fast_cvol")
db = [l.strip() for l in seg("db").split("\n")]
i = db.index('type = "writecache"')
assert db[i:i + 6] == ['type = "writecache"', 'writecache = "fastwc_cvol"', 'origin = "db_wcorig"',
                       'writecache_block_size = 4096', 'high_watermark = 80', 'writeback_jobs = 4'], db[i:i + 6]
assert 'status = ["READ", "WRITE"]' in seg("db_wcorig") and 'flags = ["CACHE_VOL"]' in seg("fastwc_cvol")
print("cachevol and writecache segments as lvm2 writes them")
EOF
lvm2 lvs -a --noheadings --separator '|' -o lv_name,lv_attr,segtype,pool_lv,origin uvg | sed 's/^ *//' |
	awk -F'|' '{ $2 = substr($2, 1, 4) substr($2, 7) } 1' OFS='|' | sort >"$T/l2.txt"
ulvm lvs -a --noheadings --separator '|' -o lv_name,lv_attr,segtype,pool_lv,origin uvg | sed 's/^ *//' |
	awk -F'|' '{ $2 = substr($2, 1, 4) substr($2, 7) } 1' OFS='|' | sort >"$T/l3.txt"
diff "$T/l2.txt" "$T/l3.txt" || fail "lvs of a cachevol and a writecache: lvm2 and ulvm differ"
grep -q '^big|Cwi-C---|cache|\[fast_cvol\]|\[big_corig\]$' "$T/l3.txt" || fail "big: $(grep ^big "$T/l3.txt")"
grep -q '^db|Cwi-C---|writecache|\[fastwc_cvol\]|\[db_wcorig\]$' "$T/l3.txt" || fail "db: $(grep ^db "$T/l3.txt")"
ulvm lvconvert --splitcache uvg/big
expect_refused "Failed to activate LV to clean writecache" ulvm lvconvert --uncache uvg/db

step "refused, nothing written"
ulvm lvcreate --type cache-pool -L 16M -n fp uvg "${L[b]}" >/dev/null
ulvm lvcreate --type cache-pool -L 8M -n fp2 uvg "${L[b]}" >/dev/null
ulvm lvcreate -an -Zn -L 8M -n lin uvg "${L[a]}" >/dev/null
expect_refused "must be a multiple of 32.00 KiB" ulvm lvcreate --type cache-pool -L 16M --chunksize 48k -n x uvg
expect_refused "is not in the range 32.00 KiB to 1.00 GiB" ulvm lvcreate --type cache-pool -L 16M --chunksize 16k -n x uvg
expect_refused "must be a multiple of 32.00 KiB" ulvm lvconvert -y --type cache --cachepool uvg/fp --chunksize 48k uvg/lin
expect_refused "Unknown cache mode: bogus." ulvm lvconvert -y --type cache --cachepool uvg/fp --cachemode bogus uvg/lin
expect_refused 'not compatible with cache policy "cleaner"' \
	ulvm lvconvert -y --type cache --cachepool uvg/fp --cachemode writeback --cachepolicy cleaner uvg/lin
expect_refused "Use cache metadata format 2." \
	ulvm lvconvert -y --type cache --cachevol uvg/fast --cachemetadataformat 1 uvg/lin
ulvm lvconvert -y --type cache --cachepool uvg/fp uvg/lin >/dev/null
expect_refused "Cache pool fp_cpool is already in use." ulvm lvconvert -y --type cache --cachepool uvg/fp_cpool uvg/big
expect_refused "Cache is not supported with cache segment type" \
	ulvm lvconvert -y --type cache --cachevol uvg/fast uvg/lin
expect_refused "Cache is not supported with cache-pool segment type" \
	ulvm lvconvert -y --type cache --cachevol uvg/fast uvg/fp2
expect_refused "Can't convert internal LV uvg/lin_corig." \
	ulvm lvconvert -y --type cache --cachevol uvg/fast uvg/lin_corig
expect_refused "Can't remove logical volume uvg/fp_cpool_cmeta used by a pool." ulvm lvremove -y uvg/fp_cpool_cmeta
ulvm lvcreate -an -Zn -i 2 -L 8M -n st uvg >/dev/null
expect_refused "must be linear to use as a writecache" ulvm lvconvert -y --type writecache --cachevol uvg/st uvg/big
ulvm lvcreate --type thin-pool -an -L 8M -n tp uvg >/dev/null
expect_refused "Caching the data of thin pool uvg/tp is not supported yet." \
	ulvm lvconvert -y --type cache --cachevol uvg/fast uvg/tp
expect_refused "Conversion aborted." ulvm lvconvert --type cache --cachevol uvg/fast uvg/big </dev/null
lvm2 vgck uvg >/dev/null

start_ulvmd
if ! ulvm dmsetup targets | grep -q '^cache ' || ! ulvm dmsetup targets | grep -q '^writecache '; then
	stop_ulvmd
	echo "ok (the cache and writecache targets are not there: activation not tested)"
	exit 0
fi

ulvm lvcreate -T uvg/tp -V 8M -n th >/dev/null
expect_refused "Cache is not supported with thin segment type of the original logical volume uvg/th." \
	ulvm lvconvert -y --type cache --cachevol uvg/fast uvg/th
ulvm lvremove -y uvg/th >/dev/null

step "a cache lvm2 made activates as lvm2 stacks it; data through NBD; lvs's counters"
lvm2 lvcreate -an -Zn -y -L 32M -n big2 lvg "${L[c]}" >/dev/null
lvm2 lvcreate --type cache-pool -L 16M -n p4 lvg "${L[d]}" >/dev/null
lvm2 lvconvert -y --type cache --cachepool lvg/p4 --zero n --cachemetadataformat 1 --cachepolicy mq \
	--cachesettings 'migration_threshold=4096' lvg/big2 >/dev/null
lvm2 vgck lvg >/dev/null
ulvm lvchange --devices "$LDEVS" -ay lvg/big2
want="0 65536 cache /dev/mapper/lvg-p4_cpool_cmeta /dev/mapper/lvg-p4_cpool_cdata /dev/mapper/lvg-big2_corig 128 1"
want+=" writethrough mq 2 migration_threshold 4096"
[ "$(ulvm dmsetup table lvg-big2)" = "$want" ] ||
	fail "lvg-big2: $(ulvm dmsetup table lvg-big2)"
for d in lvg-big2_corig lvg-p4_cpool_cdata lvg-p4_cpool_cmeta; do ulvm dmsetup info "$d" >/dev/null; done
qio "$(uri lvg/big2)" "write -P 0x11 0 32M" "read -P 0x11 0 32M" "read -P 0x11 0 32M"
ulvm lvs --devices "$LDEVS" -o name,segtype,cache_mode,cache_policy,cache_settings,chunk_size,cache_total_blocks,\
cache_used_blocks,cache_dirty_blocks,cache_read_hits,cache_read_misses,cache_write_hits,cache_write_misses,\
data_percent,metadata_percent lvg/big2
total=$(ulvm lvs --devices "$LDEVS" --noheadings -o cache_total_blocks lvg/big2 | tr -d ' ')
[ "$total" = 256 ] || fail "lvg/big2: cache_total_blocks '$total', not 256 (16 MiB of 64 KiB)"
ulvm lvchange --devices "$LDEVS" -an lvg/big2
ulvm dmsetup info lvg-big2_corig >/dev/null 2>&1 && fail "lvg-big2_corig outlived its LV"

step "ulvm's cache: writeback, fio verify, dirty blocks through a reactivation, --splitcache flushes them"
ulvm lvremove -y uvg/lin >/dev/null
ulvm lvcreate -L 32M -n c1 uvg "${L[a]}" >/dev/null
ulvm lvcreate --type cache-pool -L 16M -n cp uvg "${L[b]}" >/dev/null
ulvm lvconvert -y --type cache --cachepool uvg/cp --cachemode writeback uvg/c1
ulvm dmsetup table uvg-c1 | grep -q " writeback smq 0$" || fail "uvg-c1: $(ulvm dmsetup table uvg-c1)"
run_fio() { # URI LOG ARGS...
	local u=$1 log=$2 rc=0
	shift 2
	fio --name=v --ioengine=nbd --uri="$u" --rw=randwrite --bs=4k --iodepth=8 --size=8M --verify=crc32c \
		--verify_fatal=1 "$@" >"$log" 2>&1 || rc=$?
	if [ "$rc" -ne 0 ] || grep -qE 'err= *[1-9]|verify: bad|fio: pid=' "$log"; then
		cat "$log"
		fail "fio on $u (exit $rc)"
	fi
}
run_fio "$(uri uvg/c1)" "$T/fio1.log" --do_verify=1
for i in 1 2 3; do qio "$(uri uvg/c1)" "read 8M 8M" "write -P 0x4$i 8M 8M"; done
dirty=$(ulvm lvs --noheadings -o cache_dirty_blocks uvg/c1 | tr -d ' ')
echo "uvg/c1: $dirty dirty blocks"
[ "$dirty" -gt 0 ] || fail "no dirty blocks in a writeback cache"
nbdcopy "$(uri uvg/c1)" "$T/c1.ref"
ulvm lvchange -an uvg/c1
ulvm lvchange -ay uvg/c1
nbdcopy "$(uri uvg/c1)" "$T/c1.re"
cmp "$T/c1.ref" "$T/c1.re" || fail "the cache changed across a reactivation"
dirty=$(ulvm lvs --noheadings -o cache_dirty_blocks uvg/c1 | tr -d ' ') # smq cleans when idle
ulvm lvconvert --splitcache uvg/c1 | tee "$T/split.out"
[ "$dirty" = 0 ] || grep -q "Flushing [0-9]* blocks for cache uvg/c1." "$T/split.out" ||
	fail "--splitcache did not flush $dirty dirty blocks"
ulvm dmsetup table uvg-c1 | grep -q "^0 65536 linear ${L[a]} " || fail "uvg-c1: $(ulvm dmsetup table uvg-c1)"
ulvm dmsetup info uvg-cp_cpool_cdata >/dev/null 2>&1 && fail "the pool's devices outlived the split"
lvm2_extents uvg c1 "$T/c1.pv"
cmp "$T/c1.ref" "$T/c1.pv" || fail "after --splitcache the origin's extents do not hold the data"
run_fio "$(uri uvg/c1)" "$T/fio2.log" --verify_only
lvm2 vgck uvg >/dev/null

step "--uncache under fio load: every byte on the origin afterwards"
ulvm lvconvert -y --type cache --cachepool uvg/cp --cachemode writeback uvg/c1 >/dev/null
ulvm lvextend -L +8M uvg/c1 # online: the origin grows under the cache
[ "$(nbdinfo --size "$(uri uvg/c1)")" = $((40 * 1024 * 1024)) ] || fail "uvg/c1 did not grow to 40 MiB"
for i in 1 2; do qio "$(uri uvg/c1)" "read 16M 8M" "write -P 0x5$i 16M 8M"; done
qio "$(uri uvg/c1)" "write -P 0x57 32M 8M"
run_fio "$(uri uvg/c1)" "$T/fio3.log" --do_verify=1 --offset=0 --size=16M --rate_iops=1500 &
fiopid=$!
sleep 1
ulvm lvconvert --uncache uvg/c1
wait "$fiopid" || fail "fio under --uncache"
run_fio "$(uri uvg/c1)" "$T/fio4.log" --verify_only --offset=0 --size=16M
nbdcopy "$(uri uvg/c1)" "$T/c1.after"
lvm2_extents uvg c1 "$T/c1.pv"
cmp "$T/c1.after" "$T/c1.pv" || fail "after --uncache the origin's extents do not hold the data"
bytes_are "$T/c1.after" $((16 * 1024 * 1024)) $((8 * 1024 * 1024)) 0x52
bytes_are "$T/c1.after" $((32 * 1024 * 1024)) $((8 * 1024 * 1024)) 0x57
lvm2 lvs --noheadings -o lv_name uvg | grep -q cp && fail "--uncache left the pool"
lvm2 vgck uvg >/dev/null

step "a cachevol: dirty blocks flushed by --uncache; a writecache: cleaned and detached"
ulvm lvconvert -y --type cache --cachevol uvg/fast --cachemode writeback uvg/c1 2>/dev/null
ulvm dmsetup table uvg-fast_cvol-cmeta | grep -q "^0 10240 linear /dev/mapper/uvg-fast_cvol 0$" ||
	fail "uvg-fast_cvol-cmeta: $(ulvm dmsetup table uvg-fast_cvol-cmeta)"
for i in 1 2; do qio "$(uri uvg/c1)" "read 0 8M" "write -P 0x6$i 0 8M"; done
nbdcopy "$(uri uvg/c1)" "$T/c1.ref"
ulvm lvconvert --uncache uvg/c1
nbdcopy "$(uri uvg/c1)" "$T/c1.after"
cmp "$T/c1.ref" "$T/c1.after" || fail "--uncache of a cachevol lost data"
lvm2_extents uvg c1 "$T/c1.pv"
cmp "$T/c1.ref" "$T/c1.pv" || fail "after --uncache of a cachevol the origin's extents do not hold the data"
ulvm lvchange -ay uvg/db
ulvm dmsetup table uvg-db | grep -q "writecache s /dev/mapper/uvg-db_wcorig /dev/mapper/uvg-fastwc_cvol 4096 4 high_watermark 80 writeback_jobs 4" ||
	fail "uvg-db: $(ulvm dmsetup table uvg-db)"
qio "$(uri uvg/db)" "write -P 0x71 0 4M" "read -P 0x71 0 4M"
ulvm lvs -o name,segtype,data_percent,writecache_total_blocks,writecache_free_blocks,writecache_block_size uvg/db
nbdcopy "$(uri uvg/db)" "$T/db.ref"
ulvm lvconvert --uncache uvg/db | tee "$T/wc.out"
grep -q 'Logical volume "fastwc" successfully removed.' "$T/wc.out" || fail "--uncache kept the cachevol"
nbdcopy "$(uri uvg/db)" "$T/db.after"
cmp "$T/db.ref" "$T/db.after" || fail "--uncache of a writecache lost data"
lvm2_extents uvg db "$T/db.pv"
cmp "$T/db.ref" "$T/db.pv" || fail "after --uncache of a writecache the origin's extents do not hold the data"
lvm2 vgck uvg >/dev/null

step "a raid1 LV cached: its images become _corig_rimage_N (restacked while down), and back"
ulvm lvcreate --type raid1 -m 1 -L 8M -n r uvg >/dev/null
qio "$(uri uvg/r)" "write -P 0x81 0 8M"
ulvm lvcreate --type cache-pool -L 8M -n rp uvg "${L[b]}" >/dev/null
ulvm lvconvert -y --type cache --cachepool uvg/rp --cachemode writeback uvg/r 2>&1 |
	grep -q "Data redundancy could be lost" || fail "no raid writeback warning"
ulvm dmsetup info uvg-r_corig_rimage_1 >/dev/null || fail "no uvg-r_corig_rimage_1: $(ulvm dmsetup ls)"
lvm2 vgck uvg >/dev/null
lvm2 lvs -a --noheadings -o lv_name uvg | grep -q "\[r_corig_rmeta_0\]" || fail "lvm2 does not see r_corig_rmeta_0"
qio "$(uri uvg/r)" "read 0 4M" "write -P 0x82 0 4M"
ulvm lvconvert --uncache uvg/r
qio "$(uri uvg/r)" "read -P 0x82 0 4M" "read -P 0x81 4M 4M"
ulvm dmsetup info uvg-r_rimage_1 >/dev/null || fail "uvg-r's images did not get their names back"
lvm2 vgck uvg >/dev/null

step "lvremove of an active cached LV takes every device down"
ulvm lvcreate --type cache-pool -L 16M -n cp2 uvg "${L[b]}" >/dev/null
ulvm lvconvert -y --type cache --cachepool uvg/cp2 uvg/c1 >/dev/null
ulvm lvremove -y uvg/c1
ulvm dmsetup ls | grep -q "uvg-c1\|uvg-cp2" && fail "devices left: $(ulvm dmsetup ls)"
lvm2 vgck uvg >/dev/null

step "lvmcache(7)'s recipe: a plain LV made a cache pool (--type cache-pool [--poolmetadata]), or by --cachepool itself"
ulvm lvcreate -L 16M -n fdata uvg "${L[b]}" >/dev/null
ulvm lvcreate -L 8M -n fmeta uvg "${L[b]}" >/dev/null
s0=$(lvm2 vgs --noheadings -o vg_seqno uvg | tr -d ' ')
if echo n | ulvm lvconvert --type cache-pool --poolmetadata uvg/fmeta uvg/fdata >"$T/out" 2>&1; then
	fail "converted after a no"
fi
grep -q "WARNING: Converting uvg/fdata and uvg/fmeta to cache pool's data and metadata volumes with metadata wiping." \
	"$T/out" && grep -q "Do you really want to convert uvg/fdata and uvg/fmeta?" "$T/out" &&
	grep -q "Conversion aborted." "$T/out" || { cat "$T/out"; fail "not asked as lvm2 asks"; }
[ "$(lvm2 vgs --noheadings -o vg_seqno uvg | tr -d ' ')" = "$s0" ] || fail "a no changed the VG"
ulvm lvconvert -y --type cache-pool --poolmetadata fmeta uvg/fdata | grep -q "Converted uvg/fdata and uvg/fmeta to cache pool." ||
	fail "lvconvert --type cache-pool"
lvm2 vgck uvg >/dev/null
lvm2 lvs --noheadings --separator '|' -o segtype,data_lv,metadata_lv uvg/fdata | tr -d ' ' |
	grep -qx "cache-pool|\[fdata_cdata\]|\[fdata_cmeta\]" || fail "lvm2: $(lvm2 lvs -a uvg)"
ulvm lvcreate -L 8M -n slow1 uvg "${L[a]}" >/dev/null
qio "$(uri uvg/slow1)" "write -P 0x91 0 8M"
ulvm lvconvert -y --type cache --cachepool uvg/fdata uvg/slow1 >/dev/null
qio "$(uri uvg/slow1)" "read -P 0x91 0 8M" "write -P 0x92 0 4M" "read -P 0x92 0 4M"
ulvm lvcreate -L 16M -n plain uvg "${L[b]}" >/dev/null
ulvm lvcreate -L 8M -n slow2 uvg "${L[a]}" >/dev/null
qio "$(uri uvg/slow2)" "write -P 0x93 0 8M"
ulvm lvconvert -y --type cache --cachepool uvg/plain uvg/slow2 >"$T/out" 2>&1 || { cat "$T/out"; fail "--cachepool of a plain LV"; }
grep -q "Converted uvg/plain to cache pool." "$T/out" || { cat "$T/out"; fail "the plain LV was not converted first"; }
[ "$(lvm2 lvs --noheadings -o segtype uvg/slow2 | tr -d ' ')" = cache ] || fail "uvg/slow2 is not cached"
lvm2 vgck uvg >/dev/null
qio "$(uri uvg/slow2)" "read -P 0x93 0 8M"
ulvm lvremove -y uvg/slow1 uvg/slow2 >/dev/null

stop_ulvmd
echo "ok"
