#!/usr/bin/env bash
# LVM activation end to end with ulvmd, on sparse files (no lvm2 needed):
#  - lvcreate activates; qemu-io patterns over nbd+unix:///vg0/home;
#  - lvextend under a connected fio (crc32c verify): no I/O error, the new
#    size after reconnect, old data reads back; lvreduce --yes;
#  - a striped LV's bytes land on the PVs at pe_start + pe*extent_size;
#  - lvchange -an removes the export, vgchange -ay brings every LV back;
#  - a missing PV: the LVs that do not touch it activate, it is named by
#    its uuid, vgreduce --removemissing drops it.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
need qemu-io nbdinfo fio
fio --enghelp 2>/dev/null | grep -qw nbd || skip "fio has no nbd engine"

M=$((1024 * 1024))
export ULVM_CONF_DIR=$T/conf
step() { echo "== $*"; }
for f in a b c; do mkfile "$T/$f.img" 256M; done
ulvm pvcreate "$T/a.img" "$T/b.img" "$T/c.img" >/dev/null
ulvm vgcreate vg0 "$T/a.img" "$T/b.img" "$T/c.img" >/dev/null
start_ulvmd

step "lvcreate activates; NBD I/O on vg0/home"
ulvm lvcreate -L 64M -n home vg0 "$T/a.img" >/dev/null
U=$(uri vg0/home)
[ "$(nbdinfo --size "$U")" = $((64 * M)) ] || fail "vg0/home size $(nbdinfo --size "$U")"
qio "$U" "write -P 0x5a $((48 * M)) 16M" "read -P 0x5a $((48 * M)) 16M"
ulvm lvdisplay vg0/home >"$T/out"
grep -q '^  LV Status              available$' "$T/out" || { cat "$T/out"; fail "lvdisplay: not available"; }
grep -q '^  # open                 0$' "$T/out" || { cat "$T/out"; fail "lvdisplay: # open"; }

step "lvextend under a connected fio client"
fio --name=load --ioengine=nbd --uri="$U" --rw=randrw --bs=4k --iodepth=8 --size=32M \
	--time_based --runtime=15 --verify=crc32c --verify_fatal=1 >"$T/fio.log" 2>&1 & # long enough for a loaded CI machine
FIO=$!
track "$FIO"
sleep 2
ulvm lvextend -L +32M vg0/home >/dev/null
sleep 1
kill -0 "$FIO" 2>/dev/null || { cat "$T/fio.log"; fail "fio ended during lvextend"; }
rc=0
wait "$FIO" || rc=$?
untrack "$FIO"
if [ "$rc" -ne 0 ] || grep -qE 'err= *[1-9]|verify: bad|fio: pid=' "$T/fio.log"; then
	cat "$T/fio.log"
	fail "fio saw an error across lvextend (exit $rc)"
fi
[ "$(nbdinfo --size "$U")" = $((96 * M)) ] || fail "size after lvextend $(nbdinfo --size "$U")"
qio "$U" "read -P 0x5a $((48 * M)) 16M" "write -P 0x6b $((64 * M)) 32M" "read -P 0x6b $((64 * M)) 32M"
ulvm lvs --noheadings --units m -o lv_size vg0/home | grep -q '96.00m' || fail "lvs size after lvextend"

step "lvreduce --yes"
if ulvm lvreduce -L 80M vg0/home </dev/null >/dev/null 2>&1; then fail "lvreduce without --yes went ahead"; fi
ulvm lvreduce --yes -L 80M vg0/home >/dev/null
[ "$(nbdinfo --size "$U")" = $((80 * M)) ] || fail "size after lvreduce $(nbdinfo --size "$U")"
qio "$U" "read -P 0x5a $((48 * M)) 16M" "read -P 0x6b $((64 * M)) 16M"

step "lvrename/vgrename of an active LV move its dm device and NBD export"
ulvm lvrename vg0 home data >/dev/null
if nbdinfo --size "$U" >/dev/null 2>&1; then fail "vg0/home is still exported after lvrename"; fi
if ulvm dmsetup info vg0-home >/dev/null 2>&1; then fail "device vg0-home is left after lvrename"; fi
ulvm dmsetup info vg0-data >/dev/null || fail "no device vg0-data after lvrename"
[ "$(nbdinfo --size "$(uri vg0/data)")" = $((80 * M)) ] || fail "vg0/data size after lvrename"
qio "$(uri vg0/data)" "read -P 0x5a $((48 * M)) 16M" "read -P 0x6b $((64 * M)) 16M"
ulvm vgrename vg0 vg-1 >/dev/null
if nbdinfo --size "$(uri vg0/data)" >/dev/null 2>&1; then fail "vg0/data is still exported after vgrename"; fi
ulvm dmsetup info vg--1-data >/dev/null || fail "no device vg--1-data after vgrename"
qio "$(uri vg-1/data)" "read -P 0x5a $((48 * M)) 16M" "read -P 0x6b $((64 * M)) 16M"
ulvm lvs --noheadings -o lv_attr vg-1/data | grep -q '^ *-wi-a' || fail "lvs: vg-1/data is not active"
ulvm vgrename vg-1 vg0 >/dev/null
ulvm lvrename vg0/data vg0/home >/dev/null
qio "$U" "read -P 0x5a $((48 * M)) 16M" "read -P 0x6b $((64 * M)) 16M"
[ "$(ulvm dmsetup ls | grep -c vg0-)" = 1 ] || fail "devices after renaming back: $(ulvm dmsetup ls)"

step "striped LV: bytes at pe_start + pe*extent_size"
ulvm lvcreate -i 2 -I 64k -L 16M -n fast vg0 "$T/b.img" "$T/c.img" >/dev/null
F=$(uri vg0/fast)
head -c $((16 * M)) /dev/urandom >"$T/fast.data"
qemu-io -f raw -c "write -s $T/fast.data 0 16M" "$F" >/dev/null || fail "writing vg0/fast"
table=$(ulvm dmsetup table vg0-fast)
read -r _ _ tgt n ss d0 o0 d1 o1 <<<"$table"
[ "$tgt" = striped ] && [ "$n" = 2 ] && [ "$ss" = 128 ] || fail "vg0-fast table: $table"
# Unstripe what the PVs hold at the table's offsets: 64 KiB chunks alternate.
python3 - "$d0" "$o0" "$d1" "$o1" "$T/fast.data" <<'EOF' || fail "striped bytes are not where the table says"
import sys
d0, o0, d1, o1, ref = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), sys.argv[5]
data = open(ref, "rb").read()
C = 64 * 1024
with open(d0, "rb") as f0, open(d1, "rb") as f1:
    for i in range(len(data) // C):
        f = (f0, f1)[i % 2]
        f.seek(((o0, o1)[i % 2]) * 512 + (i // 2) * C)
        if f.read(C) != data[i * C:(i + 1) * C]:
            sys.exit("chunk %d differs" % i)
EOF
# ... and they agree with the metadata: pe_start + pe * extent_size.
pe_start=$(ulvm pvs --noheadings --units s --nosuffix -o pe_start "$T/b.img" | tr -d ' ')
ext=$(ulvm vgs --noheadings --units s --nosuffix -o vg_extent_size vg0 | tr -d ' ')
ranges=$(ulvm lvs --noheadings -o seg_pe_ranges vg0/fast)
pe0=$(sed 's/^ *[^:]*:\([0-9]*\)-.*/\1/' <<<"$ranges")
[ "$o0" = $((pe_start + pe0 * ext)) ] || fail "stripe 0 at $o0, metadata says $ranges"

step "lvchange -an removes the export; vgchange -ay brings every LV back"
ulvm lvchange -an vg0/home
if nbdinfo --size "$U" >/dev/null 2>&1; then fail "vg0/home is still exported after lvchange -an"; fi
ulvm lvchange -an vg0/fast
ulvm vgchange -ay vg0 >/dev/null
[ "$(nbdinfo --size "$U")" = $((80 * M)) ] || fail "vg0/home after vgchange -ay"
qio "$U" "read -P 0x5a $((48 * M)) 16M"
qemu-io -f raw -c "read -v 0 512" "$F" >/dev/null || fail "vg0/fast after vgchange -ay"
ulvm vgchange -an vg0 >/dev/null
if nbdinfo --size "$F" >/dev/null 2>&1; then fail "vg0/fast is still exported after vgchange -an"; fi

step "a missing PV: the other LVs activate, the PV is named by uuid"
cuuid=$(ulvm pvs --noheadings -o pv_uuid "$T/c.img" | tr -d ' ')
ulvm lvcreate -an -L 8M -n onb vg0 "$T/b.img" >/dev/null
mv "$T/c.img" "$T/c.gone"
ulvm vgchange -ay vg0 >"$T/out" 2>&1 && fail "vgchange -ay succeeded with an LV on a missing PV"
grep -q "$cuuid" "$T/out" || { cat "$T/out"; fail "the missing PV is not named by uuid"; }
[ "$(nbdinfo --size "$U")" = $((80 * M)) ] || fail "vg0/home did not activate with a PV missing"
nbdinfo --size "$(uri vg0/onb)" >/dev/null || fail "vg0/onb did not activate with a PV missing"
if nbdinfo --size "$F" >/dev/null 2>&1; then fail "vg0/fast activated without its PV"; fi
ulvm lvs vg0 >"$T/out" 2>&1 || true
grep -q "$cuuid" "$T/out" || { cat "$T/out"; fail "lvs does not name the missing PV"; }
ulvm vgreduce --removemissing vg0 >"$T/out" 2>&1 && fail "vgreduce --removemissing dropped an LV in use without --force"
ulvm vgreduce --removemissing --force vg0 >/dev/null
ulvm vgck vg0
ulvm lvs --noheadings -o lv_name vg0 | grep -q fast && fail "vg0/fast survived vgreduce --removemissing --force"
[ "$(ulvm vgs --noheadings -o pv_count vg0 | tr -d ' ')" = 2 ] || fail "vg0 still has 3 PVs"
ulvm vgchange -an vg0 >/dev/null

stop_ulvmd
echo "lvm-activate: ok"
