# Sourced by the integration tests: a scratch dir, one ulvmd, and cleanup
# of exactly what the test started (by PID, by device, by mount point).
#   ULVM_BUILD  build dir with src/daemon/ulvmd and src/cli/ulvm (default build-san)
set -eu

# Debian's python3 first: nbdsh needs its python3-libnbd module.
export PATH=/usr/bin:/bin:$PATH
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
ULVM_BUILD=${ULVM_BUILD:-$top/build-san}
# Libraries' own leaks that LeakSanitizer must not count (see the file).
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$top/tests/lsan.supp}
ULVMD_BIN=$ULVM_BUILD/src/daemon/ulvmd
ULVM_BIN=$ULVM_BUILD/src/cli/ulvm
T=$(mktemp -d /tmp/ulvm-test.XXXXXX)
RUN=$T/run
SOCK=$RUN/nbd.sock
export ULVM_RUN_DIR=$RUN

_pids=()
_watchdogs=()
_loops=()
_mounts=()

skip() { echo "skipped: $*"; exit 77; }
fail() { echo "FAIL: $*" >&2; exit 1; }
need() { for t in "$@"; do command -v "$t" >/dev/null || skip "$t is not installed"; done; }
uri() { echo "nbd+unix:///$1?socket=$SOCK"; }

cleanup() {
	set +e
	# the watchdogs first, their sleeps with them (by parent PID)
	for w in "${_watchdogs[@]}"; do pkill -P "$w" 2>/dev/null; kill "$w" 2>/dev/null; done
	# a mount a daemon still holds a file on goes lazily (the daemon is
	# killed below)
	for m in "${_mounts[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
	for l in "${_loops[@]}"; do losetup -d "$l" 2>/dev/null; done
	for ((i = ${#_pids[@]} - 1; i >= 0; i--)); do
		kill "${_pids[i]}" 2>/dev/null
		for _ in $(seq 50); do kill -0 "${_pids[i]}" 2>/dev/null || break; sleep 0.1; done
		kill -9 "${_pids[i]}" 2>/dev/null
		wait "${_pids[i]}" 2>/dev/null
	done
	rm -rf "$T"
}
trap cleanup EXIT

# Remember a background process for cleanup.
track() { _pids+=("$1"); }
track_loop() { _loops+=("$1"); }
track_mount() { _mounts+=("$1"); }

ulvm() { "$ULVM_BIN" "$@"; }

# A test that hangs is killed by tests/run after 600 s, and its cleanup
# takes ulvmd with it.  Shortly before, the watchdog writes what each of
# ulvmd's threads is doing (gdb) and the end of its log to the test's
# output, so that a hang seen once in CI can be read afterwards.
_hang_dump() { # PID
	echo "== still running after ${ULVM_HANG_DUMP_AFTER:-570} s: ulvmd $1's threads and the end of its log"
	command -v gdb >/dev/null && timeout 120 gdb -p "$1" -batch -ex "thread apply all bt" 2>&1 |
		grep -v '^\[New LWP\|^$' | head -n 600
	tail -n 60 "$T/ulvmd.log"
}

start_ulvmd() {
	# shellcheck disable=SC2086 # ULVMD_ARGS: options of a test variant (tests/run)
	"$ULVMD_BIN" --run-dir "$RUN" ${ULVMD_ARGS:-} "$@" >"$T/ulvmd.log" 2>&1 &
	ULVMD_PID=$!
	track "$ULVMD_PID"
	(sleep "${ULVM_HANG_DUMP_AFTER:-570}" && kill -0 "$ULVMD_PID" 2>/dev/null && _hang_dump "$ULVMD_PID") &
	_watchdogs+=("$!")
	for _ in $(seq 100); do
		[ -S "$RUN/control.sock" ] && [ -S "$SOCK" ] && return 0
		kill -0 "$ULVMD_PID" 2>/dev/null || { cat "$T/ulvmd.log"; fail "ulvmd exited at start"; }
		sleep 0.1
	done
	fail "ulvmd did not create its sockets"
}

# Stop the daemon with SIGTERM and check it exits 0 (sanitizers report
# leaks and errors through the exit status).
stop_ulvmd() {
	kill -TERM "$ULVMD_PID"
	local rc=0
	wait "$ULVMD_PID" || rc=$?
	_pids=("${_pids[@]/$ULVMD_PID}")
	[ "$rc" -eq 0 ] || { cat "$T/ulvmd.log"; fail "ulvmd exited with $rc"; }
}

# A sparse file of the given size.
mkfile() { truncate -s "$2" "$1"; }
