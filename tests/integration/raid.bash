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
