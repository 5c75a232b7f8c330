# Sourced by the raid tests (after lib.sh): waiting for an array to be idle
# and in sync, as the raid target's status line and lvs report it.

# settle DEV HEALTH: dm device DEV idle, its legs as HEALTH (AA, AAAD...),
# every region in sync.
settle() {
	local st h r a
	for _ in $(seq 300); do
		st=$(ulvm dmsetup status "$1")
		read -r _ _ _ _ _ h r a _ <<<"$st"
		[ "$a" = idle ] && [ "$h" = "$2" ] && [ "${r%/*}" = "${r#*/}" ] && return 0
		sleep 0.1
	done
	cat "$T/ulvmd.log"; fail "$1 did not settle to $2 idle: $st"
}

# synced VG/LV: the raid LV at 100% and idle (ulvm lvs over $DEVS).
synced() {
	for _ in $(seq 300); do
		ulvm lvs --devices "$DEVS" --noheadings -o copy_percent,raid_sync_action "$1" >"$T/sync" 2>&1
		grep -q "100.00 *idle" "$T/sync" && return 0
		sleep 0.1
	done
	cat "$T/sync" "$T/ulvmd.log"; fail "$1 did not reach 100% in sync"
}

# The LVM raid tests' oracles, for VG pvg over the PVs in $DEVS:
# same_as_lvm2 WHAT: real lvm2 accepts the VG (vgck) and its lvs -a shows
# what ulvm's does (attr aside); model LV TYPE NIMAGES IMAGE: each image's
# extents copied out of its PV (where lvm2 says they are) and checked
# against $MODEL, raid_parity_model.py, with 64 KiB chunks.
FIELDS=lv_name,lv_attr,segtype,lv_size,stripes,stripe_size,region_size,devices
fields() { "$@" -a --noheadings --units s --separator '|' -o "$FIELDS" pvg | sed 's/^ *//; s/\[\|\]//g' | sort; }
same_as_lvm2() {
	lvm2 vgck pvg >/dev/null
	fields lvm2 lvs | sed 's/|[^|]*|/|ATTR|/' >"$T/lvm2.txt"
	fields ulvm lvs --devices "$DEVS" | sed 's/|[^|]*|/|ATTR|/' >"$T/ulvm.txt"
	diff "$T/lvm2.txt" "$T/ulvm.txt" || fail "$1: lvs -a of lvm2 and ulvm differ"
}
# extents_of SUBLV OUT: SUBLV's extents of VG pvg copied out of its PVs,
# where lvm2 says they are, into OUT.
extents_of() {
	python3 - pvg "$1" "$2" <<'EOF' || fail "$1: cannot read its extents"
import json, subprocess, sys
vg, lv, out = sys.argv[1:4]
rows = json.loads(subprocess.run(["lvm", "lvs", "-a", "--reportformat", "json", "--units", "b", "--nosuffix", "-o",
                                  "lv_name,seg_pe_ranges,vg_extent_size", vg],
                                 capture_output=True, text=True).stdout)["report"][0]["lv"]
with open(out, "wb") as o:
    for row in rows:
        if row["lv_name"].strip("[]") != lv:
            continue
        ext = int(row["vg_extent_size"])
        for rng in row["seg_pe_ranges"].split():
            dev, pe = rng.split(":")
            a, b = (int(x) for x in pe.split("-"))
            pe_start = int(subprocess.run(["lvm", "pvs", "--noheadings", "--units", "b", "--nosuffix", "-o",
                                           "pe_start", dev], capture_output=True, text=True).stdout)
            with open(dev, "rb") as f:
                f.seek(pe_start + a * ext)
                o.write(f.read((b - a + 1) * ext))
EOF
}
# model LV TYPE NIMAGES IMAGE: copy each image's extents out of its PV
# (where lvm2 says they are) and check them against the model.
model() {
	for i in $(seq 0 $(($3 - 1))); do extents_of "$1_rimage_$i" "$T/${1}_img$i"; done
	local imgs=""
	for i in $(seq 0 $(($3 - 1))); do imgs+=" $T/${1}_img$i"; done
	echo -n "$1 ($2): "
	# shellcheck disable=SC2086
	python3 "$MODEL" check "$2" 128 "$4" $imgs || fail "$1: the images are not laid out as MD lays out $2"
}

# with_fault_policy KEY: ulvm.conf says activation/KEY = "allocate" and
# ulvmd restarts with the event hook lvm2's dmeventd would run
# (lvextend --use-policies), so a failed leg is replaced unattended.
with_fault_policy() {
	cat >"$ULVM_CONF_DIR/ulvm.conf" <<EOC
activation {
	$1 = "allocate"
}
EOC
	stop_ulvmd
	start_ulvmd --on-event "$ULVM_BIN lvextend --use-policies" --on-event-interval 1
}
