#!/usr/bin/env bash
# An LV with parts on a PV that is gone, as lvm2 activates it:
#  - refused by default (lvm2's "Aborting.  LV ... is now incomplete and
#    '--activationmode partial' was not specified."), and so is a degraded
#    raid1 with --activationmode complete;
#  - lvchange -ay --activationmode partial (or -P): the part on the PV
#    that is there reads back its data over NBD, the missing part fails
#    every read with EIO (activation/missing_stripe_filler "error"), or
#    reads zeroes with "zero"; a striped LV the same per stripe;
#  - deactivation removes the devices of the missing parts too;
#  - the PV back: the LV activates whole again with all its data.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
need qemu-io
export ULVM_CONF_DIR=$T/ulvm
mkdir -p "$ULVM_CONF_DIR"
step() { echo "== $*"; }
M=$((1024 * 1024))
eio() { # URI CMD: the read fails with an I/O error
	if qemu-io -r -f raw -c "$2" "$1" >"$T/rqio" 2>&1 && ! grep -qi 'error' "$T/rqio"; then
		fail "'$2' on $1 did not fail"
	fi
	grep -qi 'Input/output error' "$T/rqio" || { cat "$T/rqio"; fail "'$2' on $1: not EIO"; }
}

mkfile "$T/a.img" 64M
mkfile "$T/b.img" 64M
start_ulvmd
step "a linear LV over two PVs, a striped LV, a raid1 LV, with data"
ulvm pvcreate "$T/a.img" "$T/b.img" >/dev/null
ulvm vgcreate -s 1m vg "$T/a.img" "$T/b.img" >/dev/null
ulvm lvcreate -l 20 -n span vg "$T/a.img:0-9" "$T/b.img:0-9" >/dev/null
ulvm lvcreate -i 2 -I 64k -l 8 -n str vg >/dev/null
ulvm lvcreate --type raid1 -m 1 -l 4 -n mir vg >/dev/null
qio "$(uri vg/span)" "write -P 0x61 0 20M" "flush"
qio "$(uri vg/str)" "write -P 0x62 0 8M" "flush"
qio "$(uri vg/mir)" "write -P 0x63 0 4M" "flush"
ulvm vgchange -an vg >/dev/null
mv "$T/b.img" "$T/b.gone"

step "refused without --activationmode partial; degraded raid1 refused with complete"
if ulvm lvchange -ay vg/span 2>"$T/err"; then fail "activated an incomplete LV"; fi
grep -q "Aborting.  LV vg/span is now incomplete and '--activationmode partial' was not specified" "$T/err" ||
	{ cat "$T/err"; fail "not lvm2's message"; }
if ulvm lvchange -ay --activationmode complete vg/mir 2>"$T/err"; then fail "complete activated a degraded raid1"; fi
grep -q "Refusing activation of partial LV vg/mir" "$T/err" || { cat "$T/err"; fail "no refusal"; }
ulvm lvchange -ay vg/mir 2>/dev/null || fail "a raid1 with one leg left did not activate degraded"
rqio "$(uri vg/mir)" "read -P 0x63 0 4M"
ulvm lvchange -an vg/mir >/dev/null 2>&1
if ulvm lvchange -ay --activationmode bogus vg/span 2>"$T/err"; then fail "a bogus mode"; fi
grep -q "Invalid activation mode given." "$T/err" || fail "no message for a bogus mode"

step "--activationmode partial: what is there reads back, the missing part fails"
ulvm lvchange -ay --activationmode partial vg/span 2>"$T/err" || { cat "$T/err"; fail "partial activation"; }
grep -q "PARTIAL MODE. Incomplete logical volumes will be processed." "$T/err" || fail "no PARTIAL MODE warning"
rqio "$(uri vg/span)" "read -P 0x61 0 10M"
eio "$(uri vg/span)" "read 10M 64k"
eio "$(uri vg/span)" "read $((20 * M - 4096)) 4k"
ulvm lvchange -ay -P vg/str 2>/dev/null || fail "-P"
rqio "$(uri vg/str)" "read -P 0x62 0 64k"
eio "$(uri vg/str)" "read 64k 64k"

step "deactivation takes the missing parts' devices too"
ulvm vgchange -an vg >/dev/null 2>&1
[ -z "$(ulvm dmsetup ls | grep -v 'No devices found')" ] || fail "devices left: $(ulvm dmsetup ls)"

step "missing_stripe_filler = zero: the missing stripe reads zeroes"
ulvm lvchange -ay -P --config 'activation/missing_stripe_filler="zero"' vg/str 2>/dev/null || fail "zero filler"
rqio "$(uri vg/str)" "read -P 0x62 0 64k"
rqio "$(uri vg/str)" "read -P 0 64k 64k"
ulvm lvchange -an vg/str >/dev/null 2>&1

step "the PV back: whole again"
mv "$T/b.gone" "$T/b.img"
ulvm vgchange -ay vg >/dev/null
rqio "$(uri vg/span)" "read -P 0x61 0 20M"
rqio "$(uri vg/str)" "read -P 0x62 0 8M"
ulvm vgchange -an vg >/dev/null
stop_ulvmd
echo "ok"
