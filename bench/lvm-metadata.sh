#!/usr/bin/env bash
# LVM metadata speed: `lvs` and `lvcreate` on a VG with 8 PVs and 1,000 LVs,
# ulvm against real lvm2 on the same loop devices.
#   bench/lvm-metadata.sh BUILD_DIR
# The bar: ulvm faster than lvm2 (ratio lvm2/ulvm > 1) for both commands.
#
# What it does: 8 loop devices over sparse 1 GiB files; `ulvm pvcreate
# --metadatasize 8m` (1,000 LVs make ~350 KiB of text, and the ring holds
# the old and the new copy), `ulvm vgcreate`, one LV with `ulvm lvcreate`,
# then the other 999 LVs at once: `ulvm vgcfgbackup -f`, append the LV
# sections, `ulvm vgcfgrestore -f` (timed, as is a loop of BENCH_SEED ulvm
# lvcreates that precede it).  Then BENCH_RUNS [5] runs of each command;
# the median of each is printed, and the ratio lvm2/ulvm:
#   lvs        ulvm lvs VG        | lvm2 lvs VG                 (> /dev/null)
#   lvcreate   ulvm lvcreate -an -l 1 -n N VG | lvm2 lvcreate -an -Zn -l 1 -n N VG
# lvm2 runs with an isolated lvm.conf (only these 8 devices, activation
# disabled, no udev, no hints, archive and backup on as ulvm does); ulvm
# reads the same devices from its devices file.  Both tools keep 1 metadata
# copy per PV, so each commit writes 8 metadata areas.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
ULVM=$build/src/cli/ulvm
NLV=${BENCH_LVS:-1000}
RUNS=${BENCH_RUNS:-5}
SEED=${BENCH_SEED:-20}
for t in pvcreate lvs lvcreate losetup truncate; do
	command -v "$t" >/dev/null || { echo "lvm-metadata: $t is not installed" >&2; exit 2; }
done
[ -x "$ULVM" ] || { echo "lvm-metadata: $ULVM is missing" >&2; exit 2; }

S=$(mktemp -d "${BENCH_DIR:-/var/tmp}/ulvm-lvmbench.XXXXXX")
LOOPS=()
cleanup() {
	set +e
	for l in "${LOOPS[@]}"; do losetup -d "$l"; done
	rm -rf "$S"
}
trap cleanup EXIT

export LVM_SYSTEM_DIR=$S/lvm LVM_SUPPRESS_FD_WARNINGS=1 ULVM_CONF_DIR=$S/ulvm
mkdir -p "$LVM_SYSTEM_DIR/backup" "$LVM_SYSTEM_DIR/archive" "$S/lock"
for i in 0 1 2 3 4 5 6 7; do
	truncate -s 1G "$S/pv$i.img"
	l=$(losetup -f --show "$S/pv$i.img")
	LOOPS+=("$l")
done
filter=""
for l in "${LOOPS[@]}"; do filter+="\"a|^$l\$|\", "; done
cat >"$LVM_SYSTEM_DIR/lvm.conf" <<EOC
devices { filter = [ $filter"r|.*|" ] global_filter = [ $filter"r|.*|" ]
	use_devicesfile = 0 hints = "none" obtain_device_list_from_udev = 0
	external_device_info_source = "none" scan_lvs = 0 }
global { activation = 0 locking_dir = "$S/lock" use_lvmlockd = 0 event_activation = 0 use_lvmpolld = 0 }
activation { udev_sync = 0 udev_rules = 0 monitoring = 0 }
backup { backup = 1 backup_dir = "$LVM_SYSTEM_DIR/backup" archive = 1 archive_dir = "$LVM_SYSTEM_DIR/archive" }
EOC

now() { date +%s%N; }
ms() { echo $((($2 - $1) / 1000000)); }

"$ULVM" pvcreate --metadatasize 8m "${LOOPS[@]}" >/dev/null
"$ULVM" vgcreate benchvg "${LOOPS[@]}" >/dev/null

# A few LVs the slow way, for the per-command cost of building a VG.
t0=$(now)
for i in $(seq 1 "$SEED"); do
	"$ULVM" lvcreate -an -l 1 -n "lv$i" benchvg >/dev/null 2>&1
done
t1=$(now)
echo "build: $SEED x ulvm lvcreate: $(ms "$t0" "$t1") ms"

# The rest through a generated backup: lvN takes PE (N % 8 spread) after
# the seeded ones; lvcreate wrote pv0's first PEs, so start past them.
"$ULVM" vgcfgbackup -f "$S/vg.txt" benchvg >/dev/null
awk -v seed="$SEED" -v nlv="$NLV" -v t="$(date +%s)" '
	function lvsec(n, pv, pe) {
		printf "\t\tlv%d {\n", n
		printf "\t\t\tid = \"%s\"\n", id(n)
		printf "\t\t\tstatus = [\"READ\", \"WRITE\", \"VISIBLE\"]\n"
		printf "\t\t\tflags = []\n"
		printf "\t\t\tcreation_time = %d\n", t
		printf "\t\t\tcreation_host = \"bench\"\n"
		printf "\t\t\tsegment_count = 1\n\n"
		printf "\t\t\tsegment1 {\n"
		printf "\t\t\t\tstart_extent = 0\n"
		printf "\t\t\t\textent_count = 1\n\n"
		printf "\t\t\t\ttype = \"striped\"\n"
		printf "\t\t\t\tstripe_count = 1\n\n"
		printf "\t\t\t\tstripes = [\n\t\t\t\t\t\"pv%d\", %d\n\t\t\t\t]\n", pv, pe
		printf "\t\t\t}\n\t\t}\n"
	}
	function id(n,   s) {
		s = sprintf("bench%027d", n)
		return substr(s, 1, 6) "-" substr(s, 7, 4) "-" substr(s, 11, 4) "-" \
		       substr(s, 15, 4) "-" substr(s, 19, 4) "-" substr(s, 23, 4) "-" substr(s, 27, 6)
	}
	# After the last LV section: the closing brace of logical_volumes.
	/^\tlogical_volumes \{/ { inlv = 1 }
	inlv && /^\t\}/ {
		for (n = seed + 1; n <= nlv; n++)
			lvsec(n, n % 8, seed + int(n / 8))
		inlv = 0
	}
	{ print }
' "$S/vg.txt" >"$S/vg1000.txt"
t0=$(now)
"$ULVM" vgcfgrestore -f "$S/vg1000.txt" benchvg >/dev/null
t1=$(now)
echo "build: ulvm vgcfgrestore of $((NLV - SEED)) more LVs: $(ms "$t0" "$t1") ms"
lvm_n=$(lvs --noheadings -o lv_name benchvg 2>/dev/null | wc -l)
[ "$lvm_n" -eq "$NLV" ] || { echo "lvm-metadata: lvm2 sees $lvm_n LVs, not $NLV" >&2; exit 1; }
vgck benchvg 2>&1 | grep -v -e 'Activation disabled' || true

# median of the run times (ms) of "$@", each run given its index in $RUN_I
median() {
	local -a t=()
	local i a b
	for i in $(seq 1 "$RUNS"); do
		RUN_I=$i
		a=$(now)
		"$@" >/dev/null 2>"$S/err" || { cat "$S/err" >&2; echo "lvm-metadata: $* failed" >&2; exit 1; }
		b=$(now)
		t+=($(((b - a) / 1000)))
	done
	printf '%s\n' "${t[@]}" | sort -n | sed -n "$(((RUNS + 1) / 2))p"
}
u_lvs() { "$ULVM" lvs benchvg; }
l_lvs() { lvs benchvg; }
u_lvcreate() { "$ULVM" lvcreate -an -l 1 -n "u$RUN_I" benchvg; }
l_lvcreate() { lvcreate -an -Zn -l 1 -n "l$RUN_I" benchvg; }

report() {
	local what=$1 u l
	u=$(median "u_$what")
	l=$(median "l_$what")
	printf '%-9s ulvm %8.1f ms   lvm2 %8.1f ms   lvm2/ulvm %5.2fx  %s\n' "$what" \
		"$(echo "$u / 1000" | bc -l)" "$(echo "$l / 1000" | bc -l)" "$(echo "$l / $u" | bc -l)" \
		"$([ "$u" -lt "$l" ] && echo ok || echo SLOWER)"
	[ "$u" -lt "$l" ]
}
echo "VG benchvg: 8 PVs, $NLV LVs; median of $RUNS runs"
rc=0
report lvs || rc=1
report lvcreate || rc=1
exit $rc
