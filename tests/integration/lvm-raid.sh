#!/usr/bin/env bash
# LVM raid LVs, with real lvm2 as the oracle of the VG text:
#  - ulvm lvcreate --type raid1 -m 1, -m 2 with named PVs, --type raid10
#    -i 2 -m 1, --type raid0 -i 2: _rmeta_N/_rimage_N hidden sub-LVs, each
#    image with its rmeta on a PV of its own; lvm2's vgck accepts the VG and
#    its lvs -a shows the same LVs, types, sizes and devices;
#  - each is active over NBD: data written through it is on every image's
#    extents on the PVs (raid1), lvs shows copy_percent 100 and
#    raid_sync_action idle, lv_attr r / i / e;
#  - the raid1 LV of the VG lvm2 wrote (tests/data/lvm/richvg.backup)
#    activates too;
#  - --raidmaxrecoveryrate/--raidminrecoveryrate on lvcreate and lvchange:
#    the table's rates, lvs as lvm2 shows them;
#  - lvchange --writemostly PV[:y|n|t] and --writebehind N: the table's
#    write_mostly and max_write_behind, lvm2 reads the flag and the value
#    back, image attr 'w'; reads (ulvmd --metrics) never touch the
#    write-mostly image; every image write-mostly, a PV the LV is not on,
#    and a raid10 are refused;
#  - -m beyond the PVs there are, and raid10 -m 2, are refused and nothing
#    is written;
#  - lvextend of raid1 and raid10 online (the new part resyncs), lvreduce
#    online (asked first; the data below the new end stays, in sync);
#  - lvchange --syncaction check finds bytes changed behind the array's back
#    (raid_mismatch_count, health 'm'), repair fixes them;
#  - lvconvert --type raid1 -m 1 turns an active linear LV with data into
#    raid1 online; -m 2 adds an image, -m 1 PV drops the one on PV (the
#    others renumbered, their NBD exports too, and -m 2 again), -m 0
#    makes it linear again; lvm2's vgck accepts each step;
#  - activation/raid_fault_policy = "allocate": a leg that fails at run time
#    is replaced unattended (ulvmd --on-event 'ulvm lvextend --use-policies');
#  - a PV gone: a raid10 LV activates degraded (health 'p'), takes writes,
#    and lvconvert --repair moves the lost image to another PV and rebuilds;
#    vgreduce --removemissing --force does what lvm2's does on the same PVs
#    (lvs -a of both the same): raid LVs keep their images there as error
#    LVs, raid0 too, and lvconvert --repair replaces a raid1's.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
source "$(dirname "$0")/lvm2.bash"
source "$(dirname "$0")/raid.bash"
need vgck lvs losetup qemu-io nbdinfo nbdcopy curl python3
export ULVM_CONF_DIR=$T/ulvm
mkdir -p "$ULVM_CONF_DIR"
declare -A L
attach_pvs 64M a b c d e
lvm2_isolate "${L[@]}"
step() { echo "== $*"; }
LVM2_EXPECTED_WARNINGS=('check for active volumes')
DEVS="${L[a]},${L[b]},${L[c]},${L[d]},${L[e]}"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
read_bytes() { curl -sf "http://127.0.0.1:$PORT/metrics" | awk -v s="ulvm_device_read_bytes_total{device=\"$1\"}" '$1 == s {print $2}'; }
FIELDS=lv_name,lv_attr,segtype,lv_size,devices
fields() { "$@" -a --noheadings --units s --separator '|' -o "$FIELDS" rvg | sed 's/^ *//; s/\[\|\]//g' | sort; }

start_ulvmd --metrics "127.0.0.1:$PORT"
ulvm pvcreate "${L[a]}" "${L[b]}" "${L[c]}" "${L[d]}" "${L[e]}" >/dev/null
ulvm vgcreate rvg "${L[a]}" "${L[b]}" "${L[c]}" "${L[d]}" "${L[e]}" >/dev/null

step "lvcreate raid1 -m 1, raid1 -m 2 on named PVs, raid10 -i 2 -m 1, raid0 -i 2"
ulvm lvcreate --type raid1 -m 1 -L 8M -n r1 rvg
ulvm lvcreate -m 2 -L 4M -n r3 rvg "${L[b]}" "${L[c]}" "${L[d]}"
ulvm lvcreate --type raid10 -i 2 -m 1 -L 8M -n r10 rvg
ulvm lvcreate --type raid0 -i 2 -I 64k -L 8M -n r0 rvg
for lv in r1 r3 r10; do synced "rvg/$lv"; done
ulvm lvs -a --devices "$DEVS" -o lv_name,lv_attr,segtype,lv_size,copy_percent,raid_sync_action,devices rvg

step "lvm2 accepts the VG and shows the same layout"
lvm2 vgck rvg >/dev/null
fields lvm2 lvs | sed 's/|[^|]*|/|ATTR|/' >"$T/lvm2.txt"
fields ulvm lvs --devices "$DEVS" | sed 's/|[^|]*|/|ATTR|/' >"$T/ulvm.txt"
diff "$T/lvm2.txt" "$T/ulvm.txt" || fail "lvs -a of lvm2 and ulvm differ"
grep -q "^r1_rmeta_0|ATTR|linear|8192S|" "$T/ulvm.txt" || fail "no 1-extent r1_rmeta_0"
python3 - "$T/ulvm.txt" <<'EOF' || fail "an image shares a PV with another image of its LV"
import sys, collections
pvs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    name, _, _, _, dev = line.strip().split("|")
    if "_rimage_" in name:
        pvs[name.split("_rimage_")[0]].append(dev.split("(")[0])
for lv, devs in pvs.items():
    assert len(devs) == len(set(devs)), (lv, devs)
print("images on distinct PVs:", dict(pvs))
EOF
attr=$(ulvm lvs --devices "$DEVS" --noheadings -o lv_attr rvg/r1 | tr -d ' ')
[ "${attr:0:1}" = r ] || fail "r1's lv_attr $attr"
ulvm lvs -a --devices "$DEVS" --noheadings -o lv_name,lv_attr rvg | grep -q "r1_rimage_0\] *iwi" || fail "rimage attr"
ulvm lvs -a --devices "$DEVS" --noheadings -o lv_name,lv_attr rvg | grep -q "r1_rmeta_0\] *ewi" || fail "rmeta attr"

step "data written through raid1 is on both images' extents"
qio "nbd+unix:///rvg/r1?socket=$SOCK" "write -P 0x6b 1M 1M" "flush"
python3 - "$T" rvg r1 2 0x6b <<'EOF' || fail "r1's data is not on every image"
import json, subprocess, sys
t, vg, lv, n, pat = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5], 16)
out = subprocess.run(["lvm", "lvs", "-a", "--reportformat", "json", "--units", "b", "--nosuffix",
                      "-o", "lv_name,seg_pe_ranges,vg_extent_size", vg], capture_output=True, text=True).stdout
rows = json.loads(out)["report"][0]["lv"]
for i in range(n):
    row = next(r for r in rows if r["lv_name"] in (f"[{lv}_rimage_{i}]", f"{lv}_rimage_{i}"))
    dev, pe = row["seg_pe_ranges"].split(":")
    first = int(pe.split("-")[0])
    ext = int(row["vg_extent_size"])
    pe_start = int(subprocess.run(["lvm", "pvs", "--noheadings", "--units", "b", "--nosuffix", "-o", "pe_start", dev],
                                  capture_output=True, text=True).stdout)
    with open(dev, "rb") as f:
        f.seek(pe_start + first * ext + (1 << 20))
        data = f.read(1 << 20)
    assert data == bytes([pat]) * (1 << 20), f"image {i} on {dev}"
print(f"{lv}: the 1 MiB is on all {n} images")
EOF

step "lvchange -an / -ay keeps the array in sync (no resync: the bitmap was clean)"
ulvm lvchange -an rvg/r1
ulvm lvchange -ay rvg/r1
synced rvg/r1
qio "nbd+unix:///rvg/r1?socket=$SOCK" "read -P 0x6b 1M 1M"

step "lvextend of raid1 and raid10 online: the new part resyncs, the old data stays"
ulvm lvextend --devices "$DEVS" -L +8M rvg/r1
ulvm lvextend --devices "$DEVS" -L 16M rvg/r10
synced rvg/r1
synced rvg/r10
[ "$(ulvm lvs --devices "$DEVS" --noheadings --units m --nosuffix -o lv_size rvg/r1 | tr -d ' ')" = 16.00 ] || fail "r1 did not grow"
[ "$(nbdinfo --size "nbd+unix:///rvg/r10?socket=$SOCK")" = $((16 << 20)) ] || fail "r10's export did not grow"
qio "nbd+unix:///rvg/r1?socket=$SOCK" "read -P 0x6b 1M 1M" "write -P 0x6c 12M 1M" "read -P 0x6c 12M 1M"
lvm2 vgck rvg >/dev/null
fields lvm2 lvs | sed 's/|[^|]*|/|ATTR|/' >"$T/lvm2.txt"
fields ulvm lvs --devices "$DEVS" | sed 's/|[^|]*|/|ATTR|/' >"$T/ulvm.txt"
diff "$T/lvm2.txt" "$T/ulvm.txt" || fail "after lvextend, lvs -a of lvm2 and ulvm differ"

step "lvreduce of raid1 and raid10 online: asks first, keeps the data below the new end"
if ulvm lvreduce --devices "$DEVS" -L 8M rvg/r1 </dev/null >"$T/out" 2>&1; then fail "lvreduce without -y went ahead"; fi
grep -q "NOT reduced" "$T/out" || fail "lvreduce without -y: $(cat "$T/out")"
ulvm lvreduce --devices "$DEVS" -y -L 8M rvg/r1
ulvm lvreduce --devices "$DEVS" -y -L 8M rvg/r10
[ "$(nbdinfo --size "nbd+unix:///rvg/r1?socket=$SOCK")" = $((8 << 20)) ] || fail "r1's export did not shrink"
[ "$(nbdinfo --size "nbd+unix:///rvg/r10?socket=$SOCK")" = $((8 << 20)) ] || fail "r10's export did not shrink"
qio "nbd+unix:///rvg/r1?socket=$SOCK" "read -P 0x6b 1M 1M" "write -P 0x6d 7M 1M" "read -P 0x6d 7M 1M"
synced rvg/r1
synced rvg/r10
ulvm dmsetup status rvg-r1 | grep -q " AA " || fail "r1 after lvreduce: $(ulvm dmsetup status rvg-r1)"
lvm2 vgck rvg >/dev/null
fields lvm2 lvs | sed 's/|[^|]*|/|ATTR|/' >"$T/lvm2.txt"
fields ulvm lvs --devices "$DEVS" | sed 's/|[^|]*|/|ATTR|/' >"$T/ulvm.txt"
diff "$T/lvm2.txt" "$T/ulvm.txt" || fail "after lvreduce, lvs -a of lvm2 and ulvm differ"

step "recovery rates: lvcreate and lvchange --raidmaxrecoveryrate/--raidminrecoveryrate, as lvm2 shows them"
ulvm lvcreate --devices "$DEVS" --type raid1 -m 1 -L 4M --raidmaxrecoveryrate 4096 -n rate rvg >/dev/null
ulvm dmsetup table rvg-rate | grep -q " max_recovery_rate 4096 " || fail "table: $(ulvm dmsetup table rvg-rate)"
ulvm lvchange --devices "$DEVS" --raidmaxrecoveryrate 8m --raidminrecoveryrate 1m rvg/rate
ulvm dmsetup table rvg-rate | grep -q " min_recovery_rate 1024 max_recovery_rate 8192 " ||
	fail "table after lvchange: $(ulvm dmsetup table rvg-rate)"
R=lv_name,raid_min_recovery_rate,raid_max_recovery_rate
[ "$(lvm2 lvs --noheadings -o $R rvg/rate)" = "$(ulvm lvs --devices "$DEVS" --noheadings -o $R rvg/rate)" ] ||
	fail "rates: lvm2 '$(lvm2 lvs --noheadings -o $R rvg/rate)', ulvm '$(ulvm lvs --devices "$DEVS" --noheadings -o $R rvg/rate)'"
ulvm lvs --devices "$DEVS" -o $R rvg/rate
if ulvm lvchange --devices "$DEVS" --raidminrecoveryrate 16m rvg/rate 2>"$T/err"; then fail "min above max accepted"; fi
grep -q "cannot be higher than maximum" "$T/err" || fail "min above max: $(cat "$T/err")"
ulvm lvremove --devices "$DEVS" -y rvg/rate >/dev/null

step "lvchange --writemostly and --writebehind: reads leave the image, lvm2 reads both back"
ulvm lvcreate --type raid1 -m 1 -L 8M -n wm rvg "${L[a]}" "${L[b]}" >/dev/null
synced rvg/wm
ulvm lvchange --devices "$DEVS" --writemostly "${L[b]}" --writebehind 512 rvg/wm
ulvm dmsetup table rvg-wm | grep -q " raid raid1 7 0 write_mostly 1 max_write_behind 512 region_size " ||
	fail "table: $(ulvm dmsetup table rvg-wm)"
attr=$(ulvm lvs -a --devices "$DEVS" --noheadings -o lv_attr rvg/wm_rimage_1 | tr -d ' ')
[ "${attr:8:1}" = w ] || fail "wm_rimage_1's attr $attr: no 'w'"
lvm2 vgcfgbackup -f "$T/wm.vg" rvg >/dev/null
python3 - "$T/wm.vg" <<'EOF' || fail "lvm2 does not read the write-mostly image back"
import re, sys
s = open(sys.argv[1]).read()
img = re.search(r"wm_rimage_1 \{.*?status = \[([^]]*)\]", s, re.S).group(1)
assert '"WRITEMOSTLY"' in img, img
assert re.search(r"writebehind = 512", s), "writebehind"
EOF
[ "$(lvm2 lvs --noheadings -o raid_write_behind rvg/wm | tr -d ' ')" = 512 ] || fail "lvm2's raid_write_behind"
r0=$(read_bytes rvg-wm_rimage_0) r1=$(read_bytes rvg-wm_rimage_1)
nbdcopy "nbd+unix:///rvg/wm?socket=$SOCK" "$T/back"
qemu-io -f raw -c "read 0 4k" -c "read 1M 64k" "nbd+unix:///rvg/wm?socket=$SOCK" >/dev/null
[ "$(read_bytes rvg-wm_rimage_1)" = "$r1" ] || fail "the write-mostly image was read ($r1 -> $(read_bytes rvg-wm_rimage_1))"
[ "$(read_bytes rvg-wm_rimage_0)" -ge $((r0 + 8 * 1024 * 1024)) ] || fail "image 0 did not serve the reads"
ulvm lvchange --devices "$DEVS" --writemostly "${L[b]}:t" rvg/wm >/dev/null
ulvm dmsetup table rvg-wm | grep -q write_mostly && fail ":t did not clear write-mostly: $(ulvm dmsetup table rvg-wm)"
seq0=$(lvm2 vgs --noheadings -o vg_seqno rvg | tr -d ' ')
if ulvm lvchange --devices "$DEVS" --writemostly "${L[a]}" --writemostly "${L[b]}:y" rvg/wm 2>"$T/err"; then
	fail "every image write-mostly accepted"
fi
grep -q "Unable to mark every image of rvg/wm write-mostly" "$T/err" || fail "all write-mostly: $(cat "$T/err")"
if ulvm lvchange --devices "$DEVS" --writemostly "${L[c]}" rvg/wm 2>"$T/err"; then fail "a PV wm is not on accepted"; fi
grep -q "is not used by raid1 LV rvg/wm" "$T/err" || fail "PV not used: $(cat "$T/err")"
ulvm lvchange --devices "$DEVS" --writemostly ":y" rvg/wm 2>"$T/err" && fail "--writemostly :y accepted"
[ $? = 3 ] && grep -q "Invalid argument for --writemostly: :y" "$T/err" || fail "--writemostly :y: $(cat "$T/err")"
if ulvm lvchange --devices "$DEVS" --writebehind 99999 rvg/wm 2>"$T/err"; then fail "--writebehind 99999 accepted"; fi
grep -q "Invalid argument for --writebehind" "$T/err" || fail "--writebehind 99999: $(cat "$T/err")"
if ulvm lvchange --devices "$DEVS" --writemostly "${L[a]}" rvg/r10 2>"$T/err"; then fail "raid10 write-mostly accepted"; fi
grep -q "can only be used with 'raid1' segment type" "$T/err" || fail "raid10 write-mostly: $(cat "$T/err")"
[ "$(lvm2 vgs --noheadings -o vg_seqno rvg | tr -d ' ')" = "$seq0" ] || fail "a refused lvchange changed the VG"
ulvm lvremove --devices "$DEVS" -y rvg/wm >/dev/null

step "refused: -m beyond the PVs, raid10 -m 2; nothing written"
lvm2 vgck rvg >/dev/null
seq0=$(lvm2 vgs --noheadings -o vg_seqno rvg | tr -d ' ')
if ulvm lvcreate --type raid1 -m 5 -L 4M -n big rvg 2>"$T/err"; then fail "raid1 -m 5 on 5 PVs accepted"; fi
grep -q "Insufficient suitable allocatable extents" "$T/err" || { cat "$T/err"; fail "raid1 -m 5: $(cat "$T/err")"; }
if ulvm lvcreate --type raid10 -i 2 -m 2 -L 4M -n big rvg 2>"$T/err"; then fail "raid10 -m 2 accepted"; fi
grep -q "only 2-way mirroring" "$T/err" || fail "raid10 -m 2: $(cat "$T/err")"
[ "$(lvm2 vgs --noheadings -o vg_seqno rvg | tr -d ' ')" = "$seq0" ] || fail "a refused lvcreate changed the VG"

step "--syncaction check counts what changed behind the array, repair fixes it"
python3 - <<'PY' || fail "cannot corrupt image 1"
import json, subprocess
out = subprocess.run(["lvm", "lvs", "-a", "--reportformat", "json", "--units", "b", "--nosuffix",
                      "-o", "lv_name,seg_pe_ranges,vg_extent_size", "rvg"], capture_output=True, text=True).stdout
row = next(r for r in json.loads(out)["report"][0]["lv"] if r["lv_name"] == "[r1_rimage_1]")
dev, pe = row["seg_pe_ranges"].split(":")
ps = int(subprocess.run(["lvm", "pvs", "--noheadings", "--units", "b", "--nosuffix", "-o", "pe_start", dev],
                        capture_output=True, text=True).stdout)
with open(dev, "r+b") as f:
    f.seek(ps + int(pe.split("-")[0]) * int(row["vg_extent_size"]) + (1 << 20) + 4096)
    f.write(b"CORRUPT!")
PY
ulvm lvchange --devices "$DEVS" --syncaction check rvg/r1
synced rvg/r1
read -r mm attr <<<"$(ulvm lvs --devices "$DEVS" --noheadings -o raid_mismatch_count,lv_attr rvg/r1)"
[ "$mm" -gt 0 ] && [ "${attr:8:1}" = m ] || fail "check: mismatch count $mm, attr $attr"
echo "check: $mm mismatched sectors, attr $attr"
ulvm lvchange --devices "$DEVS" --syncaction repair rvg/r1
synced rvg/r1
ulvm lvchange --devices "$DEVS" --syncaction check rvg/r1
synced rvg/r1
[ "$(ulvm lvs --devices "$DEVS" --noheadings -o raid_mismatch_count rvg/r1 | tr -d ' ')" = 0 ] || fail "mismatches after repair"
if ulvm lvchange --devices "$DEVS" --syncaction scrub rvg/r1 2>"$T/err"; then fail "--syncaction scrub accepted"; fi
grep -q "check or repair" "$T/err" || fail "--syncaction scrub: $(cat "$T/err")"

step "lvconvert: linear to raid1 online, -m 2, -m 1 PV, -m 0"
ulvm lvcreate -L 8M -n lin rvg "${L[a]}" >/dev/null
qio "nbd+unix:///rvg/lin?socket=$SOCK" "write -P 0x4c 0 8M" "flush"
ulvm lvconvert --devices "$DEVS" --type raid1 -m 1 rvg/lin
synced rvg/lin
qio "nbd+unix:///rvg/lin?socket=$SOCK" "read -P 0x4c 0 8M"
[ "$(ulvm lvs --devices "$DEVS" --noheadings -o segtype rvg/lin | tr -d ' ')" = raid1 ] || fail "lin is not raid1"
lvm2 vgck rvg >/dev/null
ulvm lvconvert --devices "$DEVS" -m 2 rvg/lin
synced rvg/lin
[ "$(ulvm lvs --devices "$DEVS" --noheadings -o devices rvg/lin | tr ',' '\n' | wc -l)" = 3 ] || fail "-m 2: not 3 images"
lvm2 vgck rvg >/dev/null
ulvm lvconvert --devices "$DEVS" -m 1 rvg/lin "${L[a]}"
synced rvg/lin
ulvm lvs -a --devices "$DEVS" --noheadings -o lv_name,devices rvg | grep "lin_rimage" | grep -qF "${L[a]}(" &&
	fail "-m 1 ${L[a]} left an image on it"
qio "nbd+unix:///rvg/lin?socket=$SOCK" "read -P 0x4c 0 8M"
lvm2 vgck rvg >/dev/null
fields lvm2 lvs | sed 's/|[^|]*|/|ATTR|/' >"$T/lvm2.txt"
fields ulvm lvs --devices "$DEVS" | sed 's/|[^|]*|/|ATTR|/' >"$T/ulvm.txt"
diff "$T/lvm2.txt" "$T/ulvm.txt" || fail "after lvconvert, lvs -a of lvm2 and ulvm differ"
# the images renumbered from 0 are exported under their new names, and a
# new image can take the last name again
for i in 0 1; do qio "nbd+unix:///rvg/lin_rimage_$i?socket=$SOCK" "read -P 0x4c 0 8M"; done
ulvm lvconvert --devices "$DEVS" -m 2 rvg/lin
synced rvg/lin
qio "nbd+unix:///rvg/lin_rimage_2?socket=$SOCK" "read -P 0x4c 0 8M"
ulvm lvconvert --devices "$DEVS" -m 0 rvg/lin
st=$(ulvm lvs --devices "$DEVS" --noheadings -o segtype rvg/lin | tr -d " ")
[ "$st" = linear ] || fail "-m 0: not linear but $st"
qio "nbd+unix:///rvg/lin?socket=$SOCK" "read -P 0x4c 0 8M"
lvm2 vgck rvg >/dev/null
lvm2 lvs -a --noheadings -o lv_name rvg | grep -q lin_ && fail "-m 0 left sub-LVs"

step "lvremove takes the sub-LVs along"
ulvm lvremove -y rvg/r3 >/dev/null
lvm2 lvs -a --noheadings -o lv_name rvg | grep -q r3_ && fail "r3's sub-LVs are left"
lvm2 vgck rvg >/dev/null

step "raid_fault_policy = allocate: a leg that fails is replaced by ulvmd --on-event, unattended"
with_fault_policy raid_fault_policy
ulvm lvchange --devices "$DEVS" -ay rvg/r1
synced rvg/r1
before=$(ulvm lvs -a --devices "$DEVS" --noheadings -o lv_name,devices rvg | awk '$1 ~ /r1_rimage_1/ {print $2}')
qio "nbd+unix:///rvg/r1?socket=$SOCK" "write -P 0x19 0 4M"
ulvm dmsetup reload rvg-r1_rimage_1 --table "0 $(ulvm dmsetup table rvg-r1_rimage_1 | awk '{n = $1 + $2} END {print n}') error"
ulvm dmsetup resume rvg-r1_rimage_1
qio "nbd+unix:///rvg/r1?socket=$SOCK" "write -P 0x1a 0 4M" # fails the leg: a dm event
for _ in $(seq 100); do grep -q "Faulty devices in rvg/r1 successfully replaced" "$T/ulvmd.log" && break; sleep 0.1; done
grep -q "Faulty devices in rvg/r1 successfully replaced" "$T/ulvmd.log" || { cat "$T/ulvmd.log"; fail "no automatic repair"; }
synced rvg/r1
after=$(ulvm lvs -a --devices "$DEVS" --noheadings -o lv_name,devices rvg | awk '$1 ~ /r1_rimage_1/ {print $2}')
echo "r1_rimage_1: $before -> $after"
[ "${before%%(*}" != "${after%%(*}" ] || fail "r1_rimage_1 was not moved off its PV"
qio "nbd+unix:///rvg/r1?socket=$SOCK" "read -P 0x1a 0 4M"
ulvm lvchange --devices "$DEVS" --syncaction check rvg/r1
synced rvg/r1
[ "$(ulvm lvs --devices "$DEVS" --noheadings -o raid_mismatch_count rvg/r1 | tr -d ' ')" = 0 ] || fail "mismatches after the automatic repair"
lvm2 vgck rvg >/dev/null
rm "$ULVM_CONF_DIR/ulvm.conf"

step "PV d gone: r10 activates degraded, takes writes, lvconvert --repair moves its image to e"
ulvm lvcreate --type raid1 -m 1 -L 4M -n rd rvg "${L[c]}" "${L[d]}" >/dev/null # for vgreduce, below
ulvm lvchange --devices "$DEVS" -an rvg/r10 rvg/r0 rvg/rd
stop_ulvmd
lose_pv "${L[d]}"
start_ulvmd
ulvm lvchange --devices "$DEVS" -ay rvg/r10 2>"$T/err" || { cat "$T/err"; fail "r10 did not activate degraded"; }
attr=$(ulvm lvs --devices "$DEVS" --noheadings -o lv_attr rvg/r10 2>/dev/null | tr -d ' ')
[ "${attr:8:1}" = p ] || fail "r10 attr $attr: no 'p' (partial)"
qio "nbd+unix:///rvg/r10?socket=$SOCK" "write -P 0x7e 0 4M" "read -P 0x7e 0 4M"
ulvm lvconvert --devices "$DEVS" --repair rvg/r10 | tee "$T/out"
grep -q "Faulty devices in rvg/r10 successfully replaced" "$T/out" || fail "--repair said: $(cat "$T/out")"
synced rvg/r10
qio "nbd+unix:///rvg/r10?socket=$SOCK" "read -P 0x7e 0 4M"

step "vgreduce --removemissing --force, as lvm2's on the same PVs: rd and the raid0 r0 keep their images on d as error LVs"
LVM2_EXPECTED_WARNINGS+=("Couldn.t find device" "is missing PV" "missing" "partial")
ulvm lvchange --devices "$DEVS" -an rvg/r10 >/dev/null
for f in a b c e; do cp --sparse=always "$T/$f.img" "$T/$f.before"; done
lvm2 vgreduce --removemissing --force rvg >/dev/null
fields lvm2 lvs | sed 's/|[^|]*|/|ATTR|/' >"$T/lvm2.txt"
for f in a b c e; do
	cp --sparse=always "$T/$f.before" "$T/$f.img"
	blockdev --flushbufs "${L[$f]}"
done
ulvm vgreduce --devices "$DEVS" --removemissing --force rvg | tee "$T/out"
grep -q "Wrote out consistent volume group rvg" "$T/out" || fail "vgreduce --force said: $(cat "$T/out")"
fields ulvm lvs --devices "$DEVS" | sed 's/|[^|]*|/|ATTR|/' >"$T/ulvm.txt"
diff "$T/lvm2.txt" "$T/ulvm.txt" || fail "lvm2 and ulvm's vgreduce --removemissing --force differ"
segtype() { ulvm lvs -a --devices "$DEVS" --noheadings -o segtype "rvg/$1" | tr -d ' '; }
[ "$(segtype rd_rimage_1)" = error ] && [ "$(segtype rd_rmeta_1)" = error ] || fail "rd's image on d is not an error LV"
ulvm lvs --devices "$DEVS" rvg/r0 >/dev/null 2>&1 || fail "the raid0 r0 was removed (lvm2 keeps it)"
ulvm lvconvert --devices "$DEVS" --repair rvg/rd | grep -q "Faulty devices in rvg/rd successfully replaced" ||
	fail "repair of rd's error image"
[ "$(segtype rd_rimage_1)" = linear ] || fail "rd_rimage_1 is still an error LV after --repair"
lvm2 vgck rvg >/dev/null
stop_ulvmd
echo "lvm-raid: ok"
