#!/usr/bin/env bash
# A new LV starts clean, as lvm2's: an ext4 file system left on the
# extents by a removed LV is wiped and the first 4 KiB zeroed (lvcreate
# -Z y -W y, the defaults); with -Zn -Wn the old signature shows through,
# as in lvm2. Only the new LV's extents are written.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lvm2.bash"
need pvcreate vgcreate lvs vgck losetup mkfs.ext4 blkid
export ULVM_CONF_DIR=$T/ulvm
declare -A L
attach_pvs 64M a
lvm2_isolate "${L[@]}"
step() { echo "== $*"; }
D=${L[a]}
lvm2 pvcreate -q "$D" >/dev/null
lvm2 vgcreate -q wv "$D" >/dev/null
lvm2 lvcreate -q -an -Zn -L 4M -n keep wv >/dev/null
pe_start=$(lvm2 pvs --noheadings --units b --nosuffix -o pe_start "$D" | tr -d ' ')
E=$((4 * 1024 * 1024))
# region LV: byte offset of its first extent on the PV
region() { local pe; pe=$(lvm2 lvs --noheadings -o seg_pe_ranges "wv/$1" | sed 's/.*://;s/-.*//' | tr -d ' '); echo $((pe_start + pe * E)); }
old_fs() { # an ext4 file system where LV $1 lies, then the LV goes
	local off; off=$(region "$1")
	mkfs.ext4 -q -F "$T/fs.img" 16M
	dd if="$T/fs.img" of="$D" bs=1M seek=$((off / 1048576)) conv=notrunc status=none
	blkid -p -O "$off" -S $((16 * 1048576)) "$D" | grep -q ext4 || fail "no ext4 at the LV's offset"
	ulvm lvremove -f --devices "$D" "wv/$1" >/dev/null
}
keep_sum=$(dd if="$D" bs=1M skip=$(( $(region keep) / 1048576 )) count=4 status=none | sha256sum)

step "lvcreate over an old ext4: wiped and zeroed"
ulvm lvcreate -an -L 16M -n fs --devices "$D" wv >/dev/null
old_fs fs
ulvm lvcreate -an -L 16M -n fs --devices "$D" wv >"$T/o" 2>&1 || { cat "$T/o"; fail "lvcreate"; }
cat "$T/o"
grep -q "Wiping ext4 signature on wv/fs" "$T/o" || fail "lvcreate did not say it wiped the ext4 signature"
off=$(region fs)
if blkid -p -O "$off" -S $((16 * 1048576)) "$D" >/dev/null 2>&1; then fail "a signature survived in the new LV"; fi
[ "$(dd if="$D" bs=4096 skip=$((off / 4096)) count=1 status=none | tr -d '\0' | wc -c)" = 0 ] ||
	fail "the first 4 KiB of the new LV are not zero"

step "-Zn -Wn: left as it was, with lvm2's warning"
old_fs fs
ulvm lvcreate -an -Zn -Wn -L 16M -n fs --devices "$D" wv >"$T/o" 2>&1
grep -q "not zeroed" "$T/o" || { cat "$T/o"; fail "no warning for -Zn"; }
blkid -p -O "$(region fs)" -S $((16 * 1048576)) "$D" | grep -q ext4 || fail "-Zn -Wn wiped anyway"
[ "$(dd if="$D" bs=1M skip=$(( $(region keep) / 1048576 )) count=4 status=none | sha256sum)" = "$keep_sum" ] ||
	fail "another LV's extents changed"
lvm2 vgck wv >/dev/null
echo "lvm-wipe: ok"
