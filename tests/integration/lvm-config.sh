#!/usr/bin/env bash
# lvmconfig (dumpconfig, config) against lvm2's lvmconfig, the two reading
# the same file (ulvm.conf, lvm.conf) and the same --config:
#  - every setting ulvm honours (--type list) has lvm2's default: --type
#    full and --type default of each print the same line, with no file
#    and with one that sets it;
#  - --type current of the whole file and of a section, --type diff, keys
#    named, --config over the file, a key that is not there (exit 5), a
#    bad --type (exit 3): the same output and exit status;
#  - the settings are honoured: report/binary_values_as_numeric from
#    --config changes what lvs prints;
#  - ulvm lvm COMMAND runs COMMAND; lvm segtypes lists lvm2's names only.
source "$(dirname "$0")/lib.sh"
need lvm
export ULVM_CONF_DIR=$T/ulvm LVM_SYSTEM_DIR=$T/lvm LVM_SUPPRESS_FD_WARNINGS=1
mkdir -p "$ULVM_CONF_DIR" "$LVM_SYSTEM_DIR"
step() { echo "== $*"; }
conf() { # TEXT: both tools' configuration file
	printf '%s\n' "$1" >"$ULVM_CONF_DIR/ulvm.conf"
	printf '%s\n' "$1" >"$LVM_SYSTEM_DIR/lvm.conf"
}
same() { # ARGS: lvm2 and ulvm print the same and exit the same
	local rc1=0 rc2=0
	lvm lvmconfig "$@" >"$T/lvm.out" 2>&1 || rc1=$?
	ulvm lvmconfig "$@" >"$T/ulvm.out" 2>&1 || rc2=$?
	diff "$T/lvm.out" "$T/ulvm.out" || fail "lvmconfig $*: lvm2 and ulvm print different things"
	[ "$rc1" = "$rc2" ] || fail "lvmconfig $*: exit $rc2, lvm2 $rc1"
}
conf 'global { }' # lvm2 wants a section in its file
ulvm lvmconfig --type list >"$T/list"
[ "$(wc -l <"$T/list")" -ge 20 ] || fail "only $(wc -l <"$T/list") settings listed"

step "each honoured setting's default is lvm2's ($(wc -l <"$T/list") settings)"
while read -r key; do
	same --type full "$key"
	same --type default "$key"
	same --type default --withsummary "$key"
done <"$T/list"

step "a file that sets them: current, full, diff, sections, keys, --config"
conf 'devices {
	filter = [ "a|^/dev/loop|", "r|.*|" ]
	global_filter = [ "r|^/dev/sd|" ]
}
activation {
	thin_pool_autoextend_threshold = 80
	thin_pool_autoextend_percent = 20
	raid_fault_policy = "allocate"
	auto_activation_volume_list = [ "vg0", "vg1/lv" ]
}
report {
	time_format = "%s"
}
global {
	locking_dir = "/run/lock/lvm"
}'
while read -r key; do same --type full "$key"; done <"$T/list"
same
same activation
same devices/filter devices/global_filter activation/auto_activation_volume_list
same --type current activation/thin_pool_autoextend_threshold
same --config 'activation{thin_pool_autoextend_threshold=70}' activation/thin_pool_autoextend_threshold
ulvm lvmconfig --type diff devices | grep -qx $'\tfilter=\\["a|^/dev/loop|","r|.\\*|"\\]' ||
	fail "a setting ulvm does not honour is not in --type diff: $(ulvm lvmconfig --type diff devices)"
# --type diff of settings ulvm honours: the same as lvm2's, in lvm2's order
conf 'report {
	time_format = "%s"
}
activation {
	thin_pool_autoextend_percent = 20
	thin_pool_autoextend_threshold = 80
	raid_fault_policy = "allocate"
}
global {
	locking_dir = "/run/lock/lvm"
	system_id_source = "uname"
}'
same --type diff
same
ulvm lvmconfig --config 'report{binary_values_as_numeric=1}' --type diff report | grep -qx $'\tbinary_values_as_numeric=1' ||
	fail "--config's setting is not in --type diff"
same --type full --withsummary activation/raid_fault_policy
same activation/nokey
same --type full activation/nokey report/time_format
same --type bogus
ulvm dumpconfig activation/raid_fault_policy | grep -qx 'raid_fault_policy="allocate"' || fail "dumpconfig"
ulvm config --typeconfig full backup/archive | grep -qx 'archive=1' || fail "config --typeconfig"

step "honoured: --config report/binary_values_as_numeric=1 changes lvs"
truncate -s 64M "$T/a.img"
ulvm pvcreate "$T/a.img" >/dev/null
ulvm vgcreate vg "$T/a.img" >/dev/null
ulvm lvcreate -an -L 4M -n lv vg >/dev/null
[ "$(ulvm lvs --noheadings -o lv_active_locally vg/lv | tr -d ' ')" = "" ] || fail "lv_active_locally not empty"
[ "$(ulvm lvs --config 'report{binary_values_as_numeric=1}' --noheadings -o lv_active_locally vg/lv | tr -d ' ')" = 0 ] ||
	fail "binary_values_as_numeric from --config not honoured"
step "ulvm lvm COMMAND: lvm2's front end; lvm segtypes names only lvm2's types"
[ "$(ulvm lvm lvs --noheadings -o lv_name vg/lv | tr -d ' ')" = lv ] || fail "ulvm lvm lvs"
ulvm lvm lvmconfig --type full backup/archive | grep -qx 'archive=1' || fail "ulvm lvm lvmconfig"
lvm segtypes 2>/dev/null | tr -d ' ' >"$T/lvm2-segtypes"
ulvm lvm segtypes | tr -d ' ' >"$T/ulvm-segtypes"
[ "$(wc -l <"$T/ulvm-segtypes")" -ge 20 ] || fail "ulvm lvm segtypes: $(cat "$T/ulvm-segtypes")"
while read -r t; do grep -qx "$t" "$T/lvm2-segtypes" || fail "segtype $t is not one of lvm2's"; done <"$T/ulvm-segtypes"
[ "$(lvm formats 2>/dev/null)" = "$(ulvm lvm formats)" ] || fail "lvm formats"
[ "$(ulvm lvs --readonly vg)" = "$(ulvm lvs vg)" ] || fail "lvs --readonly"
echo "PASS"
