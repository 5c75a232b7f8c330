#!/usr/bin/env bash
# What a new user runs into, answered as lvm2 would (issue "installable",
# part 6):
#  - lvcreate -m 1 on one PV says it needs more PVs (not "unknown
#    option"), and so do --type raid5 (three PVs) and --type mirror;
#    --type raid9 is an
#    unknown type, and the message names what lvcreate makes;
#  - "(not both)" only when -L and -l are both given;
#  - an unknown option points at the verb's --help;
#  - lv_attr shows 'o' while the LV is open (a file of ulvmd --fuse held
#    open), and not after;
#  - --devices and --config-dir may come before the command;
#  - a warning that says WARNING gets no second "warning:" tag.
source "$(dirname "$0")/lib.sh"
need python3
step() { echo "== $*"; }
export ULVM_CONF_DIR=$T/conf
F=$T/fs
mkdir -p "$F"
truncate -s 64M "$T/pv.img"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start_ulvmd --fuse "$F" --listen "127.0.0.1:$port"
ulvm pvcreate "$T/pv.img" >/dev/null
ulvm vgcreate nvg "$T/pv.img" >/dev/null
sum0=$(sha256sum "$T/pv.img")
refused() { # PATTERN CMD... : fails, says PATTERN, changes nothing
	local pat=$1
	shift
	if "$@" >"$T/out" 2>&1; then cat "$T/out"; fail "succeeded: $*"; fi
	grep -q -- "$pat" "$T/out" || { cat "$T/out"; fail "'$*' does not say: $pat"; }
	[ "$(sha256sum "$T/pv.img")" = "$sum0" ] || fail "'$*' changed the PV"
}

step "raid and mirror on one PV: not enough PVs; raid9: unknown"
refused "Insufficient suitable allocatable extents for logical volume r: image 1 needs 2 free extents on a PV no other image uses" \
	ulvm lvcreate -m 1 -L 4M -n r nvg
refused "Insufficient suitable allocatable extents for logical volume r: image 1 needs 2 free extents on a PV no other image uses" \
	ulvm lvcreate --type raid5 -L 4M -n r nvg
refused "Insufficient suitable allocatable extents for logical volume r: image 1 needs 1 free extents on a PV no other image uses" \
	ulvm lvcreate --type mirror -L 4M -n r nvg
refused "Unknown segment type raid9 (lvcreate makes linear, striped, thin-pool, thin, snapshot (-s -L), mirror, raid0, raid1, raid10," \
	ulvm lvcreate --type raid9 -L 4M -n r nvg
grep -q "unknown option" "$T/out" && fail "an unknown-option message for --type raid9"

step "(not both) only for both"
refused "Please specify either size or extents\.$" ulvm lvcreate -n x nvg
grep -q "not both" "$T/out" && fail "'not both' without both"
refused "Please specify either size or extents (not both)." ulvm lvcreate -L 4M -l 1 -n x nvg

step "an unknown option points at the verb's --help"
refused "Try 'ulvm lvcreate --help'" ulvm lvcreate --nonesuch -L 4M nvg

step "lv_attr 'o' while open"
ulvm lvcreate -L 4M -n data nvg >/dev/null
[ "$(ulvm lvs --noheadings -o lv_attr nvg/data | tr -d ' ')" = "-wi-a-----" ] || fail "attr before open"
exec 3<"$F/nvg/data"
[ "$(ulvm lvs --noheadings -o lv_attr nvg/data | tr -d ' ')" = "-wi-ao----" ] ||
	fail "attr while open: $(ulvm lvs --noheadings -o lv_attr nvg/data)"
exec 3<&-
for _ in $(seq 20); do
	[ "$(ulvm lvs --noheadings -o lv_attr nvg/data | tr -d ' ')" = "-wi-a-----" ] && break
	sleep 0.1
done
[ "$(ulvm lvs --noheadings -o lv_attr nvg/data | tr -d ' ')" = "-wi-a-----" ] || fail "attr after close"

step "--devices and --config-dir before the command, as after it"
unset ULVM_CONF_DIR
[ "$(ulvm --config-dir "$T/conf" lvs --noheadings -o lv_name nvg | tr -d ' ')" = data ] || fail "--config-dir before lvs"
[ "$(ulvm --config-dir="$T/conf" --devices "$T/pv.img" vgs --noheadings -o vg_name | tr -d ' ')" = nvg ] ||
	fail "--devices before vgs"
export ULVM_CONF_DIR=$T/conf

step "one warning prefix"
grep -q "WARNING: NBD over TCP" "$T/ulvmd.log" || { cat "$T/ulvmd.log"; fail "no TCP warning"; }
grep -q "warning: WARNING" "$T/ulvmd.log" && fail "two warning prefixes: $(grep WARNING "$T/ulvmd.log")"
echo "new-user fixes: ok"
