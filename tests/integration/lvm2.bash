# Real lvm2 as an oracle, isolated from the host's, for the integration
# tests (sourced after lib.sh; not a test itself: tests/run only runs *.sh).

# `attach_pvs SIZE NAME...`: a sparse file and a loop device for each
# NAME, in the caller's associative array L[NAME] (declare -A L first);
# the test is skipped where loop devices cannot be had.
attach_pvs() {
	local size=$1 f
	shift
	[ -e /dev/loop-control ] || skip "no loop devices"
	for f in "$@"; do
		mkfile "$T/$f.img" "$size"
		L[$f]=$(losetup -f --show "$T/$f.img") || skip "cannot attach a loop device"
		track_loop "${L[$f]}"
	done
}

# `lvm2_isolate [--no-backup] DEV...`: from here lvm2 reads
# $T/lvm/lvm.conf, which sees only DEV..., locks in $T/lock, activates
# nothing (no dm, udev, lvmlockd, lvmpolld or dmeventd) and keeps backups
# in $T/lvm/backup (none with --no-backup).
lvm2_isolate() {
	local backup flt="" d
	export LVM_SYSTEM_DIR=$T/lvm LVM_SUPPRESS_FD_WARNINGS=1
	mkdir -p "$LVM_SYSTEM_DIR/backup" "$T/lock"
	backup="backup = 1 backup_dir = \"$LVM_SYSTEM_DIR/backup\""
	if [ "$1" = --no-backup ]; then
		backup="backup = 0"
		shift
	fi
	for d in "$@"; do flt+="\"a|^$d\$|\", "; done
	flt+='"r|.*|"'
	cat >"$LVM_SYSTEM_DIR/lvm.conf" <<EOC
devices { filter = [ $flt ] global_filter = [ $flt ] use_devicesfile = 0 hints = "none"
	obtain_device_list_from_udev = 0 external_device_info_source = "none" scan_lvs = 0 }
global { activation = 0 locking_dir = "$T/lock" use_lvmlockd = 0 event_activation = 0 use_lvmpolld = 0 }
activation { udev_sync = 0 udev_rules = 0 monitoring = 0 }
backup { $backup archive = 0 }
EOC
}

# lose_pv DEV: the PV on loop device DEV is lost (detached). Neither ulvm
# (the test's DEVS) nor lvm2 (its filter) looks at DEV's path again: its
# number may soon be another test's, with a VG of the same name.
lose_pv() {
	losetup -d "$1" && untrack_loop "$1"
	DEVS=$(tr , '\n' <<<"$DEVS" | grep -vx "$1" | paste -sd,)
	# shellcheck disable=SC2046
	lvm2_isolate $(tr , ' ' <<<"$DEVS")
}

# Patterns of the lvm2 WARNINGs a test expects, besides the two that come
# with activation = 0 and lvcreate -Zn.
LVM2_EXPECTED_WARNINGS=()

# Run an lvm2 command and print its output: fail on an error or on any
# WARNING but the expected ones.
lvm2() {
	local rc=0 p ok=(-e 'Activation disabled' -e 'not zeroed')
	for p in "${LVM2_EXPECTED_WARNINGS[@]}"; do ok+=(-e "$p"); done
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	if grep -v "${ok[@]}" "$T/err" | grep -q WARNING; then
		cat "$T/err" >&2
		fail "$*: lvm2 printed a WARNING"
	fi
	[ "$rc" -eq 0 ] || { cat "$T/out" "$T/err" >&2; fail "$*: exit $rc"; }
	cat "$T/out"
}

# `same_refusal CMD...`: lvm2 refuses CMD, and ulvm refuses it with the
# same exit status and the same message lines.
same_refusal() {
	local rc1=0 rc2=0
	"$@" >"$T/lvm.out" 2>"$T/lvm.err" || rc1=$?
	ulvm "$@" >"$T/ulvm.out" 2>"$T/ulvm.err" || rc2=$?
	[ "$rc1" -ne 0 ] || fail "lvm2 $* succeeded"
	[ "$rc1" = "$rc2" ] || { cat "$T/ulvm.err"; fail "$*: exit $rc2, lvm2 $rc1"; }
	grep -v 'WARNING: Activation disabled' "$T/lvm.err" | diff - "$T/ulvm.err" ||
		fail "$*: lvm2 and ulvm say different things"
	echo "refused as lvm2: $* ($(tail -n 1 "$T/ulvm.err" | sed 's/^ *//'))"
}

# `expect_refused PATTERN CMD...`: CMD fails, its message has PATTERN, and
# every byte of the test's PVs is as before (the test defines `sums`, one
# checksum per PV).
expect_refused() {
	local pat=$1 before
	shift
	before=$(sums)
	if "$@" >"$T/refused.out" 2>&1; then cat "$T/refused.out"; fail "$* succeeded"; fi
	grep -q -- "$pat" "$T/refused.out" || { cat "$T/refused.out"; fail "$*: no \"$pat\" in the message"; }
	[ "$(sums)" = "$before" ] || fail "$* was refused but changed the PVs"
	echo "refused: $*: $(head -n 1 "$T/refused.out" | sed 's/^ *//')"
}

# lvm2_extents VG LV FILE: the LV's bytes, read from its PV extents as
# lvm2 reports them (an oracle independent of ulvm's mapping).
lvm2_extents() {
	python3 - "$1" "$2" "$3" <<'PY'
import json, subprocess, sys
vg, lv, out = sys.argv[1:4]
rows = json.loads(subprocess.run(["lvm", "lvs", "-a", "--reportformat", "json", "--units", "b", "--nosuffix", "-o",
                                  "lv_name,seg_pe_ranges,vg_extent_size", vg], capture_output=True,
                                 text=True).stdout)["report"][0]["lv"]
with open(out, "wb") as o:
    for row in rows:
        if row["lv_name"].strip("[]") != lv:
            continue
        for rng in row["seg_pe_ranges"].split():
            dev, pe = rng.split(":")
            a, b = (int(x) for x in pe.split("-"))
            pe_start = int(subprocess.run(["lvm", "pvs", "--noheadings", "--units", "b", "--nosuffix", "-o",
                                           "pe_start", dev], capture_output=True, text=True).stdout)
            ext = int(row["vg_extent_size"])
            with open(dev, "rb") as f:
                f.seek(pe_start + a * ext)
                o.write(f.read((b - a + 1) * ext))
PY
}

# `lvtext VG`: the logical_volumes of VG's text as lvm2 backs it up,
# without ids, times and the VG's name (VG for it).
lvtext() {
	lvm2 vgcfgbackup -f "$T/$1.vg" "$1" >/dev/null
	sed -n '/^\tlogical_volumes {/,$p' "$T/$1.vg" |
		sed -e '/^\t*id = /d; /creation_time = /d; /creation_host = /d' -e "s/$1/VG/g"
}

# `same_lvs_a VG FIELDS WHAT`: lvm2's vgck reads VG, and lvs -a -o FIELDS
# of it is the same from lvm2 and from the test's `u` (ulvm with its
# devices), lv_attr without its activation letters (lvm2 shows XX).
same_lvs_a() {
	lvm2 vgck "$1" >/dev/null
	_lvs_a() { "$@" -a --noheadings --units s --separator '|' | sed 's/^ *//' | sort |
		awk -F'|' '{ $2 = substr($2, 1, 4) substr($2, 7) } 1' OFS='|'; }
	_lvs_a lvm2 lvs -o "$2" "$1" >"$T/lvm2.txt"
	_lvs_a u lvs -o "$2" "$1" >"$T/ulvm.txt"
	diff "$T/lvm2.txt" "$T/ulvm.txt" || fail "$3: lvs -a of lvm2 and ulvm differ"
}

# `refused_keeps_vg VG MESSAGE CMD...`: CMD fails, its output has MESSAGE
# (a fixed string), and VG's seqno is as before: nothing was committed
# (for tests whose LVs are being written meanwhile, where the checksums
# of expect_refused cannot serve).
refused_keeps_vg() {
	local vg=$1 msg=$2 s0
	shift 2
	s0=$(lvm2 vgs --noheadings -o vg_seqno "$vg" | tr -d ' ')
	if "$@" >"$T/out" 2>&1; then cat "$T/out"; fail "$* succeeded"; fi
	grep -qF -- "$msg" "$T/out" || { cat "$T/out"; fail "$*: no \"$msg\""; }
	[ "$(lvm2 vgs --noheadings -o vg_seqno "$vg" | tr -d ' ')" = "$s0" ] || fail "a refused $* changed $vg"
	echo "refused: $*: $msg"
}
