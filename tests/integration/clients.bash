# Client-side helpers for the integration tests, sourced after lib.sh
# (not a test itself: tests/run only runs *.sh).

# qemu-io on an export with one -c per argument; the test fails on a
# non-zero exit, an error or a pattern mismatch.
qio() {
	local u=$1 out rc=0
	shift
	local args=()
	for c in "$@"; do args+=(-c "$c"); done
	out=$(qemu-io -f raw "${args[@]}" "$u" 2>&1) || rc=$?
	if [ "$rc" -ne 0 ] || grep -qiE 'fail|error|abort' <<<"$out"; then
		echo "$out" >&2
		fail "qemu-io $(printf "'%s' " "$@")on $u (exit $rc)"
	fi
}

# `rqio URI CMD`: qemu-io as a read-only client (-r: exports of read-only
# LVs refuse write access), one command; fails as qio does.
rqio() {
	qemu-io -r -f raw -c "$2" "$1" >"$T/rqio" 2>&1 && ! grep -qiE 'fail|error' "$T/rqio" ||
		{ cat "$T/rqio"; fail "qemu-io -r '$2' on $1"; }
}

# `table_refused TABLE PATTERN`: creating a device with TABLE fails, and
# the message has PATTERN.
table_refused() {
	if ulvm dmsetup create x --table "$1" >"$T/refused" 2>&1; then fail "accepted: $1"; fi
	grep -q -- "$2" "$T/refused" || { cat "$T/refused"; fail "no \"$2\" for: $1"; }
}

# qemu-io must fail with EIO: `qio_eio URI CMD`.
qio_eio() {
	local out
	out=$(qemu-io -f raw -c "$2" "$1" 2>&1) || true
	grep -q 'Input/output error' <<<"$out" || { echo "$out" >&2; fail "qemu-io '$2' on $1 did not fail with EIO"; }
}

# The LEN bytes of FILE at OFF are all BYTE (e.g. 0x11).
bytes_are() {
	local f=$1 off=$2 len=$3 b=$4
	cmp <(dd if="$f" iflag=skip_bytes,count_bytes skip="$off" count="$len" bs=1M status=none) \
		<(head -c "$len" /dev/zero | tr '\0' "$(printf '\\%03o' "$b")") >/dev/null ||
		fail "$(basename "$f") bytes $off..$((off + len)) are not all $b"
}

# nbdinfo --map: every extent overlapping [OFF, OFF+LEN) is a hole (is_hole)
# or data (is_data).
_map_all() {
	local u=$1 off=$2 len=$3 test=$4
	nbdinfo --map --json "$u" | jq -e --argjson o "$off" --argjson l "$len" \
		"[.[] | select(.offset < (\$o + \$l) and .offset + .length > \$o) | .type]
		 | length > 0 and all($test)" >/dev/null
}
is_hole() { _map_all "$1" "$2" "$3" '. % 2 == 1' || { nbdinfo --map "$1" >&2; fail "$1: $2+$3 is not all hole"; }; }
is_data() { _map_all "$1" "$2" "$3" '. % 2 == 0' || { nbdinfo --map "$1" >&2; fail "$1: $2+$3 is not all data"; }; }

# A python3 that has the libnbd bindings (pyenv's may not), in $NBDPY.
need_nbdpy() {
	for p in python3 /usr/bin/python3; do
		if command -v "$p" >/dev/null && "$p" -c 'import nbd' 2>/dev/null; then
			NBDPY=$(command -v "$p")
			return 0
		fi
	done
	skip "no python3 with the nbd module (python3-libnbd)"
}

# Wait up to SECS for a command to succeed.
wait_for() {
	local secs=$1
	shift
	for _ in $(seq $((secs * 10))); do "$@" && return 0; sleep 0.1; done
	return 1
}

# Forget a loop device or a PID that the test already released itself,
# so that cleanup does not touch a number the system may have reused.
untrack_loop() { local a=() x; for x in "${_loops[@]}"; do [ "$x" = "$1" ] || a+=("$x"); done; _loops=("${a[@]}"); }
untrack() { local a=() x; for x in "${_pids[@]}"; do [ "$x" = "$1" ] || a+=("$x"); done; _pids=("${a[@]}"); }

# A device of ulvmd as a kernel block device, no nbd module: nbdfuse makes
# the export a file in $FZ, a loop device ($LOOP) is attached to it.
# fs_detach unmounts $MNT (lazily if the device is gone), detaches the
# loop device and unmounts $FZ, whether or not ulvmd still runs (stat of
# a FUSE mount whose server is gone fails, so /proc/mounts is asked).
LOOP= FUSEPID=
fs_attach() { # EXPORT
	nbdfuse "$FZ" "$(uri "$1")" 2>"$T/nbdfuse.log" &
	FUSEPID=$!
	track "$FUSEPID"
	if ! wait_for 10 test -e "$FZ/nbd"; then
		cat "$T/nbdfuse.log"
		if grep -qiE '/dev/fuse|fusermount|fuse_mount|fuse_session|not permitted|permission denied' "$T/nbdfuse.log"; then skip "nbdfuse cannot mount here"; fi
		fail "nbdfuse did not create $FZ/nbd"
	fi
	LOOP=$(losetup -f --show "$FZ/nbd") || skip "losetup cannot attach $FZ/nbd"
	track_loop "$LOOP"
}
fs_detach() {
	set +e
	mountpoint -q "$MNT" && { umount "$MNT" 2>/dev/null || umount -l "$MNT"; }
	if [ -n "$LOOP" ] && losetup -d "$LOOP"; then untrack_loop "$LOOP"; LOOP=; fi
	if [ -n "$FUSEPID" ]; then
		# the loop device may let go of the file a moment after losetup -d
		grep -q " $FZ fuse" /proc/mounts && { wait_for 10 fusermount3 -uq "$FZ" 2>/dev/null || fusermount3 -uz "$FZ"; }
		kill "$FUSEPID" 2>/dev/null
		wait "$FUSEPID" 2>/dev/null
		untrack "$FUSEPID"
		FUSEPID=
	fi
	set -e
}

# check_snapshot_fs EXPORT: the ext4 on EXPORT (a snapshot made between
# copying this test folder to before/ and to after/, then before/lib.sh
# removed from the origin) fscks clean and holds before/ whole, no after/.
check_snapshot_fs() {
	fs_attach "$1"
	fsck.ext4 -fn "$LOOP" >"$T/fsck.log" 2>&1 || { cat "$T/fsck.log"; fail "fsck of the snapshot $1"; }
	mount -o ro "$LOOP" "$MNT"
	[ -f "$MNT/before/lib.sh" ] && [ ! -e "$MNT/after" ] || fail "$1 does not hold the files of its moment"
	diff -r "$(dirname "$0")" "$MNT/before" >/dev/null || fail "the files on $1 differ"
	umount "$MNT"
	fs_detach
}

# A filesystem through a caching device, checked on the slow device alone:
# ext4_fill EXPORT makes an ext4 on EXPORT (through fs_attach) holding a
# copy of this test folder in files/; ext4_check_file FILE (once the
# cache is written back and gone) fscks FILE and finds files/ whole.
# fs_can_ext4 says whether nbdfuse, mkfs.ext4 and /dev/fuse are there.
fs_can_ext4() { command -v nbdfuse >/dev/null && command -v mkfs.ext4 >/dev/null && [ -w /dev/fuse ]; }
ext4_fill() { # EXPORT
	FZ=$T/fuse MNT=$T/mnt
	mkdir -p "$FZ" "$MNT"
	fs_attach "$1"
	mkfs.ext4 -q -F "$LOOP"
	mount "$LOOP" "$MNT"
	cp -r "$(dirname "$0")" "$MNT/files"
	umount "$MNT"
	fs_detach
}
ext4_check_file() { # FILE
	fsck.ext4 -fn "$1" >"$T/fsck.log" 2>&1 || { cat "$T/fsck.log"; fail "fsck of $1"; }
	LOOP=$(losetup -f --show -r "$1")
	track_loop "$LOOP"
	mount -o ro "$LOOP" "$MNT"
	diff -r "$(dirname "$0")" "$MNT/files" >/dev/null || fail "the files on $1 differ"
	umount "$MNT"
	losetup -d "$LOOP" && untrack_loop "$LOOP"
	LOOP=
}

# second_writer_waits DEV URI FILE...: with dm device DEV (where a raid
# bitmap or mirror log is written) suspended, two_writers.py writes 4 KiB
# twice into one region of URI (at 8 MiB and 8 MiB + 64 KiB, the second
# half a second after the first): both must wait until DEV resumes, as
# neither may reach a leg before the bit that covers it is on disk; then
# the second write is in every FILE (the legs).
second_writer_waits() {
	local dev=$1 u=$2 py order
	shift 2
	rm -f "$T/order"
	ulvm dmsetup suspend "$dev"
	python3 "$(dirname "${BASH_SOURCE[0]}")/two_writers.py" "$u" $((8 << 20)) $(((8 << 20) + (64 << 10))) \
		"$T/order" &
	py=$!
	track "$py"
	for _ in $(seq 100); do [ -s "$T/order" ] && break; sleep 0.1; done
	order=$(cat "$T/order")
	ulvm dmsetup resume "$dev"
	wait "$py" || fail "the writes failed after $dev resumed"
	[ "$order" = "first waits, second waits" ] ||
		fail "while $dev was suspended: $order (a leg took data before the bit that covers it was on disk)"
	for f in "$@"; do bytes_are "$f" $(((8 << 20) + (64 << 10))) 4096 0x77; done
}
