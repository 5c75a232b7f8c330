#!/usr/bin/env bash
# ulvm vinum: vinum(8)'s configurations, listings and drives, served by
# ulvmd; vinum's own rules as the oracle (vinum_model.py reads volumes from
# the drive files with gvinum's stripe and raid5 formulas, parity included):
#  - the examples of vinum(8), one file after another (concat, a mirror of
#    two concat plexes, striped 512k over four drives, raid5 512k over
#    five): the configuration summary and every listing line in vinum's
#    format; the drive header and configuration at gvinum's offsets;
#  - data written over NBD lands where the configuration says, on every
#    plex of the mirror, with raid5 parity right on every row;
#  - stop, move and rename the drive files, start them: every object back,
#    the same data;
#  - a mirror whose drive turns into the error target: reads and writes go
#    on, the plex crashed and its subdisk stale; the drive back and
#    `start VOLUME`: revived, the plexes equal;
#  - refused, no drive written: unknown keywords (the line named), a
#    subdisk past its drive's end, overlapping subdisks, a drive name used
#    twice, a device that is a vinum drive already; a corrupt drive header
#    is named at start;
#  - a raid5 drive gone while the plex is written, then back: its subdisk
#    stale and left out (the reads are the new data) until `start` revives
#    it, parity right after;
#  - rm keeps gvinum's rules (no subdisk still in a plex, not a volume's
#    only plex), and a refused rm leaves the drives and the volume as they
#    were.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
need nbdcopy qemu-io python3
HERE=$(cd "$(dirname "$0")" && pwd)
step() { echo "== $*"; }
export ULVM_CONF_DIR=$T/conf
M=$((1024 * 1024))
D=$T/disks
mkdir -p "$D"
cd "$D"
for d in da3 da4 da5 da6 da7; do mkfile "$d.img" 2G; done
start_ulvmd
model() { ulvm vinum printconfig | python3 "$HERE/vinum_model.py" "$@"; }
# sums: the drives' sha256 (a refused command must leave them as they were)
sums() { sha256sum "$D"/*.img; }

step "vinum(8)'s first example: the summary and the listing, in vinum's format"
cat >config1 <<'CONF'
# a concatenated volume on one drive
drive a device ./da3.img
volume myvol
  plex org concat
    sd length 512m drive a
CONF
ulvm vinum create config1 >"$T/out"
printf '%s\n' "Configuration summary" "" \
	"$(printf 'Drives:\t\t1 (4 configured)')" "$(printf 'Volumes:\t1 (4 configured)')" \
	"$(printf 'Plexes:\t\t1 (8 configured)')" "$(printf 'Subdisks:\t1 (16 configured)')" "" \
	"$(printf 'D a                     State: up\tDevice %s\tAvail: 1535/2048 MB (74%%)' "$D/da3.img")" "" \
	"$(printf 'V myvol                 State: up\tPlexes:       1\tSize:        512 MB')" "" \
	"$(printf 'P myvol.p0            C State: up\tSubdisks:     1\tSize:        512 MB')" "" \
	"$(printf 'S myvol.p0.s0           State: up\tPO:        0  B Size:        512 MB')" >"$T/want"
diff "$T/want" "$T/out" || fail "create's summary is not vinum's"
# the drive header (big-endian, "VINUM-1") and the configuration at gvinum's offsets
[ "$(dd if=da3.img bs=1 skip=4096 count=7 status=none)" = "VINUM-1" ] || fail "no VINUM-1 magic at byte 4096"
[ "$(dd if=da3.img bs=1 skip=$((4096 + 48)) count=1 status=none)" = "a" ] || fail "the drive name is not at 4144"
cmp <(dd if=da3.img bs=512 skip=9 count=128 status=none) <(dd if=da3.img bs=512 skip=137 count=128 status=none) ||
	fail "the two configuration copies differ"
dd if=da3.img bs=512 skip=9 count=128 status=none | tr -d '\0' | grep -q \
	"^sd name myvol.p0.s0 drive a len 1048576s driveoffset 265s plex myvol.p0 plexoffset 0s state up$" ||
	fail "the configuration on the drive is not gvinum's"

step "the mirror, striped and raid5 examples; lv -r, ld, ls as vinum lists them"
cat >config2 <<'CONF'
drive b device ./da4.img
volume mirror
  plex org concat
    sd length 256m drive a
  plex org concat
    sd length 256m drive b
CONF
cat >config3 <<'CONF'
drive c device ./da5.img
drive d device ./da6.img
volume stripe
  plex org striped 512k
    sd length 128m drive a
    sd length 128m drive b
    sd length 128m drive c
    sd length 128m drive d
drive e device ./da7.img
volume raid5
  plex org raid5 512k
    sd length 128m drive a
    sd length 128m drive b
    sd length 128m drive c
    sd length 128m drive d
    sd length 128m drive e
CONF
ulvm vinum create config2 >/dev/null
ulvm vinum create config3 >"$T/out"
grep -q "$(printf '^P raid5.p0           R5 State: init\tSubdisks:     5\tSize:        512 MB$')" "$T/out" ||
	fail "a new raid5 plex is not listed init"
grep -q "$(printf '^S stripe.p0.s3          State: up\tPO:     1536 kB Size:        128 MB$')" "$T/out" ||
	fail "the listing of stripe.p0.s3"
wait_for 60 sh -c "'$ULVM_BIN' vinum lp raid5.p0 mirror.p1 | grep -c 'State: up' | grep -qx 2" ||
	{ ulvm vinum lp; fail "raid5.p0 and mirror.p1 did not come up"; }
ulvm vinum lv -r mirror >"$T/out"
printf '%s\n' "$(printf 'V mirror                State: up\tPlexes:       2\tSize:        256 MB')" \
	"$(printf 'P mirror.p0           C State: up\tSubdisks:     1\tSize:        256 MB')" \
	"$(printf 'P mirror.p1           C State: up\tSubdisks:     1\tSize:        256 MB')" \
	"$(printf 'S mirror.p0.s0          State: up\tPO:        0  B Size:        256 MB')" \
	"$(printf 'S mirror.p1.s0          State: up\tPO:        0  B Size:        256 MB')" "" >"$T/want"
diff "$T/want" "$T/out" || fail "lv -r mirror"
ulvm vinum list >"$T/out"
for s in "5 drives:" "4 volumes:" "5 plexes:" "12 subdisks:"; do
	grep -qx "$s" "$T/out" || fail "list: no '$s' section"
done
grep -q "$(printf '^D e                     State: up\tDevice %s\tAvail: 1919/2048 MB (93%%)$' "$D/da7.img")" "$T/out" ||
	fail "list: drive e"
ulvm vinum ld -v a | grep -q "Drive a:	Device $D/da3.img" || fail "ld -v"
ulvm vinum ls -v stripe.p0.s1 | grep -q "Drive b ($D/da4.img) at offset" || fail "ls -v"
ulvm vinum lp myvol.p0 >/dev/null
if ulvm vinum lv myvol.p0 2>"$T/err"; then fail "lv of a plex"; fi
grep -q "myvol.p0 is not a volume" "$T/err" || fail "lv of a plex: $(cat "$T/err")"

step "data over NBD lands where the configuration says (gvinum's formulas read the drives)"
for v in myvol mirror stripe raid5; do
	head -c $((6 * M)) /dev/urandom >"$T/$v.data"
	nbdcopy "$T/$v.data" "$(uri vinum/$v)"
done
for v in myvol mirror stripe raid5; do
	model "$v" $((6 * M)) "$T/$v.read" || fail "$v: the drives do not hold a consistent volume"
	cmp "$T/$v.read" "$T/$v.data" || fail "$v: the drive files do not hold what was written where vinum puts it"
done

step "stop; the drive files moved and renamed; start finds every drive by its header"
ulvm vinum printconfig | grep -v '^#' | grep -v '^drive' >"$T/config.before"
ulvm vinum stop
[ -z "$(ulvm dmsetup ls | grep vinum)" ] || fail "stop left vinum devices"
mkdir -p elsewhere
i=0
for d in da3 da4 da5 da6 da7; do mv "$d.img" "elsewhere/disk$((i++)).img"; done
ulvm vinum start elsewhere/*.img
ulvm vinum printconfig | grep -v '^#' | grep -v '^drive' >"$T/config.after"
diff "$T/config.before" "$T/config.after" || fail "the objects after start differ"
ulvm vinum ld | grep -q "Device $D/elsewhere/disk0.img" || fail "drive a is not found in its new place"
for v in myvol mirror stripe raid5; do
	nbdcopy "$(uri vinum/$v)" - | head -c $((6 * M)) | cmp - "$T/$v.data" || fail "$v: other data after the move"
done

step "a mirror whose drive fails: I/O goes on, the plex crashed; the drive back and start: revived"
mkfile f.img 1G
mkfile g.img 1G
ulvm dmsetup create dg --table "0 $((1024 * 2048)) linear $D/g.img 0"
cat >config4 <<CONF
drive f device $D/f.img
drive g device /dev/mapper/dg
volume safe
  plex org concat
    sd length 64m drive f
  plex org concat
    sd length 64m drive g
CONF
ulvm vinum create config4 >/dev/null
wait_for 30 sh -c "'$ULVM_BIN' vinum lp safe.p1 | grep -q 'State: up'" || fail "safe.p1 did not come up"
head -c $((4 * M)) /dev/urandom >"$T/safe.data"
nbdcopy "$T/safe.data" "$(uri vinum/safe)"
ulvm dmsetup suspend dg
ulvm dmsetup load dg --table "0 $((1024 * 2048)) error"
ulvm dmsetup resume dg
head -c $((M)) /dev/urandom >"$T/more"
nbdcopy "$T/more" "$(uri vinum/safe)" || fail "writes stopped with one plex failed"
dd if="$T/more" of="$T/safe.data" conv=notrunc status=none
nbdcopy "$(uri vinum/safe)" - | head -c $((4 * M)) | cmp - "$T/safe.data" || fail "reads wrong with one plex failed"
ulvm vinum lp safe.p1 2>/dev/null | grep -q "State: crashed" || { ulvm vinum lp; fail "the failed plex is not crashed"; }
ulvm vinum ls safe.p1.s0 2>/dev/null | grep -qE "State: (stale|down)" || { ulvm vinum ls; fail "its subdisk is up"; }
ulvm dmsetup suspend dg
ulvm dmsetup load dg --table "0 $((1024 * 2048)) linear $D/g.img 0"
ulvm dmsetup resume dg
ulvm vinum start safe
wait_for 60 sh -c "'$ULVM_BIN' vinum lp safe.p1 | grep -q 'State: up'" || { ulvm vinum lp; fail "safe.p1 was not revived"; }
# dg is g.img from sector 0: the model reads the file
ulvm vinum printconfig | sed "s|/dev/mapper/dg|$D/g.img|" | python3 "$HERE/vinum_model.py" safe $((4 * M)) "$T/safe.read" ||
	fail "the revived plex differs from the other"
cmp "$T/safe.read" "$T/safe.data" || fail "the revived mirror lost data"

step "refused, nothing written: unknown keywords, past the drive's end, overlaps, a name twice, a drive taken"
mkfile h.img 64M
before=$(sums)
refused() { # FILE PATTERN
	if ulvm vinum create "$1" >"$T/out" 2>"$T/err"; then fail "$1 was created"; fi
	grep -q "$2" "$T/err" || { cat "$T/err"; fail "$1: no '$2' in the message"; }
	[ "$(sums)" = "$before" ] || fail "$1: a refused create wrote to a drive"
}
printf 'volume v9\n  plex org concat\n    sd lenght 1m drive f\n' >bad1
refused bad1 'bad1:3: sd: unknown keyword "lenght"'
printf 'volume v9\n  plex org concat\n    sd length 64m driveoffset 990m drive f\n' >bad2
refused bad2 "past the end of drive f"
printf 'volume v9\n  plex org concat\n    sd length 8m driveoffset 300s drive f\n' >bad3
refused bad3 "overlaps sd safe.p0.s0"
printf 'drive f device %s/h.img\n' "$D" >bad4
refused bad4 "drive f already exists"
printf 'drive h device %s/elsewhere/disk0.img\n' "$D" >bad5
refused bad5 "is drive a already"
cp --sparse=always elsewhere/disk4.img taken.img
before=$(sums)
printf 'drive h device %s/taken.img\n' "$D" >bad5
refused bad5 "holds vinum drive e already"
printf 'volume v9\n  plex org striped 479k\n    sd length 8m drive f\n    sd length 8m drive f\n' >bad6
refused bad6 "need a power of two"
printf 'frobnicate x\n' >bad7
refused bad7 'bad7:1: invalid definition: unknown keyword "frobnicate"'
ulvm vinum stop
printf 'XXXXXXXX' | dd of=elsewhere/disk4.img bs=1 seek=$((4096 + 8)) conv=notrunc status=none
ulvm vinum start "$D"/elsewhere/*.img "$D/f.img" /dev/mapper/dg 2>"$T/err" || true
grep -q "disk4.img: drive header: config_length" "$T/err" || { cat "$T/err"; fail "a corrupt header is not named"; }
ulvm vinum lv raid5 | grep -q "State: up" || fail "raid5 does not come up without its damaged drive"
ulvm vinum lp raid5.p0 | grep -q "State: degraded" || { cat "$T/err"; ulvm dmsetup table vinum-raid5; ulvm dmsetup status vinum-raid5; ulvm vinum ld; fail "raid5.p0 is not degraded"; }
nbdcopy "$(uri vinum/raid5)" - | head -c $((6 * M)) | cmp - "$T/raid5.data" || fail "degraded raid5 reads wrong"
ulvm vinum stop
ulvm dmsetup remove dg

step "gvinum's quick commands; checkparity, rebuildparity; setstate and start; rename -r; rm -r; resetconfig"
ulvm vinum start "$D"/elsewhere/disk[0-3].img "$D/f.img" >/dev/null 2>&1 || true
for q in q1 q2 q3 q4 q5 q6; do mkfile "$q.img" 256M; done
ulvm vinum raid5 -n qr -s 64k "$D/q1.img" "$D/q2.img" "$D/q3.img" >"$T/out"
grep -q "^D gvinumdrive0  *State: up" "$T/out" && grep -q "^V qr  *State: up" "$T/out" || { cat "$T/out"; fail "raid5 -n qr"; }
wait_for 60 sh -c "'$ULVM_BIN' vinum lp qr.p0 | grep -q 'State: up'" || fail "qr.p0 did not come up (parity)"
head -c $((2 * M)) /dev/urandom >"$T/qr.data"
nbdcopy "$T/qr.data" "$(uri vinum/qr)"
ulvm vinum checkparity qr.p0 | grep -qx "qr.p0 has correct parity" || fail "checkparity of a fresh raid5 plex"
# row 0's parity is on the last subdisk (gvinum: n - 1 - row mod n), at the drive's data start
head -c 65536 /dev/urandom | dd of=q3.img bs=512 seek=265 conv=notrunc status=none
if ulvm vinum checkparity qr.p0 >"$T/out"; then fail "checkparity missed a damaged parity block"; fi
grep -q "Parity incorrect on qr.p0" "$T/out" || fail "checkparity: $(cat "$T/out")"
ulvm vinum rebuildparity qr.p0 | grep -qx "Rebuilt parity on qr.p0" || fail "rebuildparity"
ulvm vinum checkparity qr.p0 >/dev/null || fail "the parity is not right after rebuildparity"
model qr $((2 * M)) "$T/qr.read" && cmp "$T/qr.read" "$T/qr.data" || fail "qr after rebuildparity"
if ulvm vinum setstate stale qr.p0.s1 2>"$T/err"; then fail "setstate stale without -f"; fi
grep -q "needs -f" "$T/err" || fail "setstate stale without -f: $(cat "$T/err")"
ulvm vinum setstate -f stale qr.p0.s1
ulvm vinum ls qr.p0.s1 | grep -q "State: stale" || fail "setstate stale"
ulvm dmsetup table vinum-qr | grep -q -- " - -" || fail "a stale subdisk still serves: $(ulvm dmsetup table vinum-qr)"
nbdcopy "$(uri vinum/qr)" - | head -c $((2 * M)) | cmp - "$T/qr.data" || fail "qr without its stale subdisk"
if ulvm vinum setstate down qr.p0.s0 2>"$T/err"; then fail "setstate down of a subdisk in a plex without -f"; fi
grep -q "is attached to plex qr.p0" "$T/err" || fail "setstate down: $(cat "$T/err")"
if ulvm vinum setstate stale qr.p0 2>"$T/err"; then fail "setstate stale of a plex"; fi
grep -q "invalid plex state 'stale'" "$T/err" || fail "setstate stale of a plex: $(cat "$T/err")"
ulvm vinum start qr.p0.s1 # gvinum's start SUBDISK
wait_for 60 sh -c "'$ULVM_BIN' vinum ls qr.p0.s1 | grep -q 'State: up'" || fail "start qr.p0.s1 did not revive it"
ulvm vinum rename -r qr quick
ulvm vinum lv -r quick | grep -q "^S quick.p0.s2 " || { ulvm vinum lv -r quick; fail "rename -r"; }
nbdcopy "$(uri vinum/quick)" - | head -c $((2 * M)) | cmp - "$T/qr.data" || fail "vinum/quick after the rename"
if nbdinfo "$(uri vinum/qr)" >/dev/null 2>&1; then fail "the old export is still there"; fi
ulvm vinum init quick.p0
ulvm vinum lp quick.p0 | grep -qE "State: (init|up)" || fail "init quick.p0"
wait_for 60 sh -c "'$ULVM_BIN' vinum lp quick.p0 | grep -q 'State: up'" || fail "init did not end with quick.p0 up"
ulvm vinum checkparity quick.p0 >/dev/null || fail "the parity is not right after init"
mkfile q7.img 256M
mkfile q8.img 256M
ulvm vinum stripe -n qs -s 128k "$D/q7.img" "$D/q8.img" | grep -q "^P qs.p0  *S State: up" || fail "stripe -n qs"
ulvm vinum concat -n qc "$D/q4.img" >/dev/null
ulvm vinum mirror -n qm "$D/q5.img" "$D/q6.img" >/dev/null
ulvm vinum lv -r qm | grep -c "^P qm.p[01]  *C " | grep -qx 2 || fail "mirror -n qm: two concat plexes"
[ "$(nbdinfo --size "$(uri vinum/qc)")" -gt $((250 * M)) ] || fail "concat: length 0 is the rest of the drive"
if ulvm vinum rm quick 2>"$T/err"; then fail "rm of a volume with plexes, without -r"; fi
grep -q "need recursive removal" "$T/err" || fail "rm without -r: $(cat "$T/err")"
ulvm vinum rm -r quick
ulvm vinum list | grep -q "quick" && fail "rm -r left objects of quick"
ulvm vinum ld gvinumdrive0 | grep -q "Avail: 255/256 MB" || { ulvm vinum ld; fail "rm -r did not free the drive"; }

step "a raid5 drive gone while its plex is written, then back: its subdisk stale and left out until start revives it"
for q in r1 r2 r3; do mkfile "$q.img" 32M; done
ulvm vinum raid5 -n r5 -s 64k "$D/r1.img" "$D/r2.img" "$D/r3.img" >/dev/null
wait_for 60 sh -c "'$ULVM_BIN' vinum lp r5.p0 | grep -q 'State: up'" || fail "r5.p0 did not come up (parity)"
head -c $((8 * M)) /dev/urandom >"$T/r5.a"
nbdcopy "$T/r5.a" "$(uri vinum/r5)"
ulvm vinum stop
mv r3.img r3.away
ulvm vinum start >/dev/null 2>&1 || true
ulvm vinum ls r5.p0.s2 | grep -q "State: down" || { ulvm vinum lv -r r5; fail "r5.p0.s2 is not down without its drive"; }
head -c $((8 * M)) /dev/urandom >"$T/r5.b"
nbdcopy "$T/r5.b" "$(uri vinum/r5)"
ulvm vinum stop
mv r3.away r3.img
ulvm vinum start >/dev/null 2>&1 || true
ulvm vinum ls r5.p0.s2 | grep -q "State: stale" || { ulvm vinum lv -r r5; fail "r5.p0.s2 is not stale with its drive back"; }
ulvm vinum lp r5.p0 | grep -q "State: degraded" || { ulvm vinum lv -r r5; fail "r5.p0 is not degraded"; }
nbdcopy "$(uri vinum/r5)" - | head -c $((8 * M)) | cmp - "$T/r5.b" || fail "r5 read what the stale subdisk held"
ulvm vinum start r5
wait_for 60 sh -c "'$ULVM_BIN' vinum ls r5.p0.s2 | grep -q 'State: up'" || fail "start r5 did not revive r5.p0.s2"
ulvm vinum checkparity r5.p0 >/dev/null || fail "the parity is not right after the revive"
model r5 $((8 * M)) "$T/r5.read" && cmp "$T/r5.read" "$T/r5.b" || fail "r5's drives after the revive"

step "rm as gvinum: not a subdisk in a plex, not a volume's only plex; a refused rm leaves the volume served"
before=$(sums)
for o in r5.p0.s1 r5.p0; do
	if ulvm vinum rm -r $o 2>"$T/err"; then fail "rm -r $o succeeded"; fi
done
grep -q "plex 'r5.p0' is still attached to volume 'r5'" "$T/err" || fail "rm of the only plex: $(cat "$T/err")"
if ulvm vinum rm r5.p0.s1 2>"$T/err"; then fail "rm of an attached subdisk succeeded"; fi
grep -q "subdisk 'r5.p0.s1' is still attached to plex 'r5.p0'" "$T/err" || fail "rm of a subdisk: $(cat "$T/err")"
[ "$(sums)" = "$before" ] || fail "a refused rm changed the drives"
nbdcopy "$(uri vinum/r5)" - | head -c $((8 * M)) | cmp - "$T/r5.b" || fail "a refused rm took r5 away"
ulvm vinum rm -r r5
step "stop while a volume is open: refused before anything goes, every volume still served"
nbdsh -u "$(uri vinum/qs)" -c 'import time; time.sleep(60)' &
holder=$!
track "$holder"
wait_for 20 sh -c "'$ULVM_BIN' dmsetup info vinum-qs | grep -q 'Open count: *[1-9]'" || fail "the client did not open qs"
if ulvm vinum stop 2>"$T/err"; then fail "stop with a volume open succeeded"; fi
grep -q "volume qs is in use" "$T/err" || fail "stop with qs open: $(cat "$T/err")"
for vol in qs qc qm; do nbdinfo --size "$(uri vinum/$vol)" >/dev/null || fail "a refused stop took $vol away"; done
kill "$holder"
wait "$holder" 2>/dev/null || true
untrack "$holder"
step "a concat subdisk at its plexoffset: gvinum's place for its data, the stretch before it fails"
mkfile po.img 32M
printf 'drive po device %s/po.img\nvolume vpo\n  plex org concat\n    sd length 8m drive po plexoffset 4m\n' "$D" >cfgpo
ulvm vinum create cfgpo >/dev/null
qemu-io -f raw -c "write -P 0x6c $((4 * M)) $((4 * M))" "$(uri vinum/vpo)" >/dev/null || fail "write at 4m"
cmp <(dd if=po.img bs=512 skip=265 count=8192 status=none) <(head -c $((4 * M)) /dev/zero | tr '\0' '\154') ||
	fail "the data at plexoffset 4m is not at the subdisk's start"
qemu-io -f raw -c "read 0 4k" "$(uri vinum/vpo)" 2>&1 | grep -qi "error\|failed" || fail "the stretch before the subdisk reads"
ulvm vinum rm -r vpo

before=$(dd if=q7.img bs=1 skip=$((4096 + 96)) count=16 status=none | od -An -tx1) # the header's last update
ulvm vinum saveconfig || fail "saveconfig"
[ "$(dd if=q7.img bs=1 skip=$((4096 + 96)) count=16 status=none | od -An -tx1)" != "$before" ] ||
	fail "saveconfig did not write the drives"
ulvm vinum lv qs | grep -q "State: up" || fail "qs after saveconfig"
ulvm vinum resetconfig -f | grep -q "Vinum configuration obliterated" || fail "resetconfig"
[ "$(dd if=q1.img bs=1 skip=4096 count=7 status=none)" = "VINUM--" ] || fail "resetconfig left the drive header"
[ -z "$(ulvm dmsetup ls | grep vinum)" ] || fail "resetconfig left vinum devices"
ulvm vinum list | grep -qx "0 drives:" || fail "resetconfig left drives"
echo "vinum: ok"
