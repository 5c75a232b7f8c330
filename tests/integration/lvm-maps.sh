#!/usr/bin/env bash
# Where the extents are, as lvm2 shows it, against real lvm2 on the same
# PVs (loop devices, isolated lvm.conf, activation disabled for lvm2):
#  - pvs --segments (and -v), pvs with LV or segment fields (a row per PV
#    segment, free ones too), pvs -S on LV fields, vgs with PV segment
#    fields, JSON: the same rows and values as lvm2's;
#  - mixing LV and PV fields where lvm2 refuses it: the same message;
#  - pvdisplay --maps and lvdisplay -a --maps (-m) of a VG ulvm made with
#    linear LVs of two segments, striped, raid1, raid10, raid5, raid4,
#    mirrors with a
#    disk and a core log, a thin pool with a thin LV and its snapshot, a
#    cache pool with a cached LV and an old-style snapshot, and of the VG
#    lvm2 wrote (tests/data/lvm/richvg.backup: error, zero, thin, raid1,
#    cache-pool, snapshot): line for line as lvm2's, with a PV missing too;
#  - pvs -a lists the devices with no PV label too;
#  - pvscan (-s, -u, -n), vgscan and lvscan (-a) print lvm2's lines;
#  - every field of lvs -a (lv_all, seg_all), pvs (pv_all, pvseg_all) and
#    vgs (vg_all) of both VGs has lvm2's value, but those of a live device,
#    and with --binary too;
#  - lvs as scripts call it (Proxmox: --separator --unbuffered --nosuffix
#    --config 'report/time_format="%s"' -o ...,metadata_size,time), as
#    lvm2 prints it; a bad --config refused as lvm2 (exit 3); a ulvm.conf
#    setting for one command;
#  - with the LVs active in ulvmd, lvdisplay says what lvm2 says of
#    active ones: pool and thin usage, a cache's counters, an active
#    snapshot, and "monitored".
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/lvm2.bash"
need pvs vgs lvs pvdisplay lvdisplay vgcfgrestore losetup
export ULVM_CONF_DIR=$T/ulvm
mkdir -p "$ULVM_CONF_DIR"
declare -A L
attach_pvs 96M a b c d o n # n: never a PV
attach_pvs 128M e f
lvm2_isolate --no-backup "${L[@]}"
LVM2_EXPECTED_WARNINGS=(thin Thin 'NOT backed up' 'Forced restore' 'check for active volumes')
step() { echo "== $*"; }
# both tools' output of the same command, which must be the same; "LV
# Status" left out (lvm2 omits the line with activation disabled)
same() {
	lvm2 "$@" >"$T/lvm.raw"
	ulvm "$@" >"$T/ulvm.raw" || fail "ulvm $*: exit $?"
	grep -v '^  LV Status ' "$T/lvm.raw" >"$T/lvm.out" || true
	grep -v '^  LV Status ' "$T/ulvm.raw" >"$T/ulvm.out" || true
	diff "$T/lvm.out" "$T/ulvm.out" || fail "$*: lvm2 and ulvm differ"
	[ -s "$T/ulvm.out" ] || fail "$*: no output"
}

step "a VG of every kind of LV ulvm makes, and an orphan PV"
ulvm pvcreate "${L[a]}" "${L[b]}" "${L[c]}" "${L[d]}" "${L[o]}" >/dev/null
ulvm vgcreate mv "${L[a]}" "${L[b]}" "${L[c]}" "${L[d]}" >/dev/null
start_ulvmd
ulvm lvcreate -an -L 8M -n lin mv "${L[a]}" >/dev/null
ulvm lvcreate -an -i 2 -I 128k -L 8M -n str mv "${L[a]}" "${L[b]}" >/dev/null
ulvm lvextend -L +4M mv/lin "${L[c]}" >/dev/null # a second segment, on another PV
ulvm lvcreate -an --type raid1 -m 1 -L 4M -n r1 mv >/dev/null
ulvm lvcreate -an --type raid10 -i 2 -m 1 -L 8M -n r10 mv >/dev/null
ulvm lvcreate -an --type raid5 -i 2 -L 8M -n r5 mv >/dev/null
ulvm lvcreate -an --type raid4 -i 3 -L 12M -n r4 mv >/dev/null
ulvm lvcreate -an --type mirror -m 1 -L 4M -n mir mv >/dev/null
ulvm lvcreate -an --type mirror --mirrorlog core -m 1 -L 4M -n mirc mv >/dev/null
ulvm lvcreate --type thin-pool -L 8M -n pool mv >/dev/null
ulvm lvcreate -T mv/pool -V 16M -n thin >/dev/null
ulvm lvcreate -s mv/thin -n tsnap >/dev/null
ulvm lvcreate -an --type cache-pool -L 8M -n cpool mv >/dev/null
ulvm lvcreate -an -L 8M -n slow mv >/dev/null
ulvm lvconvert -y --type cache --cachepool mv/cpool mv/slow >/dev/null
ulvm lvcreate -an -s -L 4M -n snap mv/lin >/dev/null
ulvm vgchange -an mv >/dev/null
lvm2 vgck mv >/dev/null

step "pvscan, vgscan, lvscan: lvm2's lines (a thick origin and its snapshot marked)"
LVM2_EXPECTED_WARNINGS+=('only considering physical volumes')
for cmd in pvscan "pvscan -s" "pvscan -u" "pvscan -n" vgscan lvscan "lvscan -a"; do
	# shellcheck disable=SC2086
	same $cmd
done
grep -q "Original '/dev/mv/lin'" "$T/ulvm.out" && grep -q "Snapshot '/dev/mv/snap'" "$T/ulvm.out" ||
	fail "lvscan does not mark the origin and snapshot: $(cat "$T/ulvm.out")"
ulvm lvchange -ay mv/lin >/dev/null
ulvm lvscan | grep -q "ACTIVE   Original '/dev/mv/lin'" || fail "lvscan: lin not ACTIVE: $(ulvm lvscan)"
ulvm lvchange -an mv/lin >/dev/null

step "pvs --segments and pvs with LV fields: a row per PV segment, as lvm2"
same pvs --segments
same pvs --segments -v
same pvs -o+lv_name
same pvs -o+lv_name,seg_start_pe,segtype,seg_size,seg_size_pe,devices,seg_pe_ranges,stripes,stripe_size
same pvs --segments -o pv_name,pvseg_start,pvseg_size,lv_name,lv_size,segtype --reportformat json
same pvs --segments --units s --nosuffix -o pv_name,pvseg_start,pvseg_size,seg_size,seg_start
same pvs -o pv_name,pvseg_start,lv_name -O -pvseg_size,pv_name
same pvs -S lv_name=lin
same pvs -o pv_name,lv_name -S 'segtype=free'
same pvs -o pv_name,lv_name,pvseg_start -S 'lv_name=~^r'
same pvs --segments "${L[b]}" "${L[o]}"
same vgs -o+pvseg_start,pvseg_size mv
same vgdisplay -s mv
same vgdisplay -s --units k
same vgs -o vg_name,pv_name,pvseg_start,pvseg_size -O pv_name,-pvseg_start mv
[ "$(ulvm pvs --noheadings --segments "${L[a]}" | wc -l)" -ge 4 ] || fail "pvs --segments: too few rows"

step "LV and PV fields together where lvm2 refuses them"
same_refusal lvs -o+pvseg_start mv
same_refusal lvs --segments -o+pv_name mv
same_refusal vgs -o+pv_name,lv_name mv
same_refusal vgs -o+pvseg_start,lv_name mv

step "an LV, VG or PV named that is not there: lvm2's message and exit status, the others still shown"
same_refusal lvs mv/nosuch
same_refusal lvs mv/nosuch nosuchvg
same_refusal lvdisplay mv/nosuch
same_refusal vgdisplay nosuchvg
same_refusal pvdisplay /dev/nosuchpv
same_refusal lvchange --addtag t mv/nosuch

step "pvdisplay --maps and lvdisplay --maps, as lvm2"
same pvdisplay -m
same pvdisplay --maps "${L[c]}"
same lvdisplay -m mv
same lvdisplay -a -m mv
same lvdisplay --maps mv/lin mv/mir mv/r10
same lvs -a -o lv_name,lv_path mv
# with a PV missing: its areas are "[unknown]" in both
MISSING=(--devices "${L[a]},${L[b]},${L[c]}")
LVM2_EXPECTED_WARNINGS+=("Couldn't find device with uuid" 'is missing PV')
same lvdisplay -a -m mv "${MISSING[@]}"
same pvs --segments -o+lv_name,devices "${MISSING[@]}"
grep -q '\[unknown\]' "$T/ulvm.out" || fail "pvs with a missing PV: no [unknown]"
ulvm lvdisplay -m mv/lin >"$T/o"
[ "$(grep -c '^    Physical volume' "$T/o")" = 2 ] || { cat "$T/o"; fail "lvdisplay -m: lin's two segments"; }

step "the VG lvm2 wrote: error, zero, thin, raid1, cache pool, snapshot"
F=$top/tests/data/lvm/richvg.backup
for p in 0 1; do
	id=$(awk -v k="pv$p {" 'index($0, k) { f = 1 } f && /id =/ { gsub(/"/, "", $3); print $3; exit }' "$F")
	dev=${L[e]}
	[ "$p" = 1 ] && dev=${L[f]}
	pvcreate -q --uuid "$id" --restorefile "$F" "$dev" >/dev/null 2>&1 || fail "pvcreate --uuid"
done
vgcfgrestore --force -f "$F" richvg >"$T/o" 2>&1 || { cat "$T/o"; fail "lvm2 vgcfgrestore"; }
# ulvm knows the PVs it made (its devices file); these lvm2 made
RV=(--devices "${L[e]},${L[f]}")
same lvdisplay -a -m richvg "${RV[@]}"
same lvdisplay richvg "${RV[@]}"
same pvdisplay -m "${RV[@]}"
same pvs --segments -o+lv_name,segtype,seg_size "${RV[@]}"
same lvs -a -o lv_name,lv_path richvg "${RV[@]}"

step "every field of lvs, pvs and vgs, as lvm2's (but what needs a kernel device)"
# lvm2 runs with activation disabled: the fields of a live device say
# "unknown" there, and lv_attr "X"; those are left out.
allfields() { # VG ARGS...: both tools' JSON of every field, compared
	local vg=$1
	shift
	for what in "lvs -a -o lv_all,seg_all $vg" "pvs -o pv_all,pvseg_all" "vgs -o vg_all $vg"; do
		# shellcheck disable=SC2086
		lvm2 $what --reportformat json "$@" >"$T/lvm.json"
		# shellcheck disable=SC2086
		ulvm $what --reportformat json "$@" >"$T/ulvm.json" || fail "ulvm $what: exit $?"
		python3 - "$T/lvm.json" "$T/ulvm.json" "$what" <<'PY' || fail "$what: lvm2 and ulvm differ"
import json, sys
live = set("lv_active lv_active_exclusively lv_active_locally lv_active_remotely lv_attr lv_check_needed "
           "lv_device_open lv_health_status lv_inactive_table lv_live_table lv_merge_failed lv_permissions "
           "lv_snapshot_invalid lv_suspended".split())
a, b = (json.load(open(f))["report"][0] for f in sys.argv[1:3])
key = next(iter(a))
a, b = a[key], b.get(key, [])
bad = [(r.get("lv_name", r.get("pv_name", r.get("vg_name"))), k, v, s.get(k))
       for r, s in zip(a, b) for k, v in r.items() if k not in live and s.get(k) != v]
if len(a) != len(b) or bad or not a:
    print(sys.argv[3], "rows", len(a), len(b), *bad[:20], sep="\n  ")
    sys.exit(1)
print(sys.argv[3] + ":", len(a), "rows,", len(a[0]), "fields each, as lvm2's")
PY
	done
}
allfields mv --devices "${L[a]},${L[b]},${L[c]},${L[d]},${L[o]},${L[n]}"
# --binary: the binary fields as 1 and 0, "unknown" as -1
allfields mv --binary --devices "${L[a]},${L[b]},${L[c]},${L[d]},${L[o]},${L[n]}"
same lvs -a -o lv_name,lv_skip_activation,lv_fixed_minor,zero --config report/binary_values_as_numeric=1 \
	--devices "${L[a]},${L[b]},${L[c]},${L[d]},${L[o]},${L[n]}" mv
# pvs -a: every device, PV or not
same pvs -a --devices "${L[a]},${L[b]},${L[c]},${L[d]},${L[o]},${L[n]}"
grep -q "^  ${L[n]} *--- *0 *0 *\$" "$T/ulvm.out" || fail "pvs -a: no row for a device with no PV label"
same pvs -a -o pv_all,pvseg_all --reportformat json --devices "${L[a]},${L[b]},${L[c]},${L[d]},${L[o]},${L[n]}"
# lvm2 2.03.16 knows no layout for error and zero LVs: "unknown", and it says so
LVM2_EXPECTED_WARNINGS+=('Failed to properly detect layout and role')
allfields richvg "${RV[@]}"

step "lvs as a VM host's scripts call it: --unbuffered, --config, --separator"
MV=(--devices "${L[a]},${L[b]},${L[c]},${L[d]},${L[o]}")
same lvs --separator : --noheadings --units b --unbuffered --nosuffix --config 'report/time_format="%s"' \
	-o vg_name,lv_name,lv_size,pool_lv,data_percent,metadata_percent,snap_percent,uuid,tags,metadata_size,time mv
grep -q ':[0-9]\{9,\}$' "$T/ulvm.out" || fail "lv_time in report/time_format %s: $(head -n 1 "$T/ulvm.out")"
same lvs --config 'report { time_format = "%Y" }' -o lv_name,lv_time mv
same lvs -a --unbuffered -o lv_name,lv_size,segtype,devices,lv_layout,lv_role mv
same lvs --unbuffered -O -lv_size -o lv_name,lv_size mv
same vgs --unbuffered mv
same pvs --unbuffered "${MV[@]}"
if ulvm lvs --config 'report/time_format' mv >"$T/o" 2>&1; then fail "a bad --config was taken"; fi
rc=0
ulvm lvs --config 'bogus' mv >/dev/null 2>"$T/err" || rc=$?
[ "$rc" = 3 ] && grep -q 'Failed to set overridden configuration entries.' "$T/err" ||
	{ cat "$T/err"; fail "bad --config: exit $rc"; }
# a setting of ulvm.conf for one command: no archive of the metadata
n=$(find "$ULVM_CONF_DIR/archive" -name 'mv_*' | wc -l)
ulvm lvcreate -an -l 1 -n noarch --config 'backup/archive=0' mv >/dev/null
[ "$(find "$ULVM_CONF_DIR/archive" -name 'mv_*' | wc -l)" = "$n" ] || fail "--config backup/archive=0 archived"
ulvm lvremove -y mv/noarch >/dev/null
[ "$(find "$ULVM_CONF_DIR/archive" -name 'mv_*' | wc -l)" -gt "$n" ] || fail "lvremove did not archive"

step "lvdisplay of active LVs: what lvm2 shows of them"
ulvm vgchange -ay mv >/dev/null
ulvm lvdisplay -m mv/pool mv/thin mv/slow mv/snap mv/lin mv/r1 >"$T/o"
for want in '^  Allocated pool data    [0-9.]*%$' '^  Allocated metadata     [0-9.]*%$' \
	'^  Mapped size            [0-9.]*%$' '^  LV Cache pool name     cpool_cpool$' '^  LV Cache origin name   slow_corig$' \
	'^  Cache used blocks      [0-9.]*%$' '^  Cache read hits/misses [0-9]* / [0-9]*$' \
	'^  LV snapshot status     active destination for lin$' '^                         snap \[active\]$' \
	'^  Allocated to snapshot  [0-9.]*%$' '^    Monitoring		monitored$' '^  # open                 0$'; do
	grep -q "$want" "$T/o" || { cat "$T/o"; fail "active lvdisplay: no line $want"; }
done
ulvm vgchange -an mv >/dev/null
stop_ulvmd
echo "ok"
