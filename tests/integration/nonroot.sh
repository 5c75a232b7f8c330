#!/usr/bin/env bash
# ulvm for an unprivileged user, on files the user owns, and another user
# kept out (two throwaway accounts, removed at the end):
#  - `ulvmd` without flags: run dir $XDG_RUNTIME_DIR/ulvm (0700), sockets 0600;
#  - `ulvm dmsetup` and the LVM verbs (config in $XDG_CONFIG_HOME/ulvm, lvm2's
#    lock dir not writable: locks in the config dir), NBD through nbdinfo and
#    qemu-io, the FUSE export mounted through fusermount3;
#  - a file the user may only read: dmsetup create fails with EACCES unless
#    --readonly;
#  - the second user can neither reach the sockets nor read the files.
source "$(dirname "$0")/lib.sh"
need setpriv useradd userdel nbdinfo qemu-io awk
[ "$(id -u)" = 0 ] || skip "needs root to make the two test users"
step() { echo "== $*"; }
U1=ulvmt$$a U2=ulvmt$$b
users=()
D1=$T/u1 D2=$T/u2
# Is DIR a mount point?  From mountinfo, not stat: root may not stat
# another user's FUSE mount (no allow_other), so `mountpoint` says no.
mounted() { awk -v d="$1" '$5 == d { found = 1 } END { exit !found }' /proc/self/mountinfo; }
cleanup_users() {
	[ -n "${UPID:-}" ] && kill "$UPID" 2>/dev/null && wait "$UPID" 2>/dev/null
	mounted "$D1/fs" && umount "$D1/fs"
	for u in "${users[@]}"; do userdel "$u" 2>/dev/null; done
	return 0
}
trap 'cleanup_users; cleanup' EXIT # then lib.sh's: the tracked PIDs, $T
for u in "$U1" "$U2"; do
	useradd -M -d /nonexistent -s /usr/sbin/nologin "$u" || fail "useradd $u"
	users+=("$u")
done
chmod 755 "$T"
mkdir -p "$D1/xdg" "$D1/conf" "$D1/fs" "$D2/xdg"
chmod 700 "$D1/xdg" "$D2/xdg"
chown -R "$U1:" "$D1"
chown -R "$U2:" "$D2"
# as user 1 / user 2, with their own runtime and config dirs
as1() { setpriv --reuid="$U1" --regid="$U1" --clear-groups env -u ULVM_RUN_DIR -u ULVM_CONF_DIR XDG_RUNTIME_DIR="$D1/xdg" XDG_CONFIG_HOME="$D1/conf" HOME="$D1" ASAN_OPTIONS="${ASAN_OPTIONS:-}" LSAN_OPTIONS="${LSAN_OPTIONS:-}" "$@"; }
as2() { setpriv --reuid="$U2" --regid="$U2" --clear-groups env -u ULVM_RUN_DIR -u ULVM_CONF_DIR XDG_RUNTIME_DIR="$D2/xdg" XDG_CONFIG_HOME="$D2/xdg" HOME="$D2" "$@"; }
ULVM=$ULVM_BUILD/src/cli/ulvm

# libfuse mounts for a user through fusermount3 only after it could open
# /dev/fuse (0666 on Debian; some containers make it 0600)
fuse=()
if as1 test -r /dev/fuse -a -w /dev/fuse; then
	fuse=(--fuse "$D1/fs")
else
	echo "note: /dev/fuse is not open to $U1 here ($(stat -c %a /dev/fuse)): the FUSE steps are left out"
fi

step "ulvmd without run-dir flags: \$XDG_RUNTIME_DIR/ulvm, sockets 0600"
# exec, not a function in the background: $! must be the daemon itself
setpriv --reuid="$U1" --regid="$U1" --clear-groups env -u ULVM_RUN_DIR -u ULVM_CONF_DIR XDG_RUNTIME_DIR="$D1/xdg" \
	XDG_CONFIG_HOME="$D1/conf" HOME="$D1" "$ULVMD_BIN" "${fuse[@]}" >"$D1/ulvmd.log" 2>&1 &
UPID=$!
for _ in $(seq 100); do [ -S "$D1/xdg/ulvm/nbd.sock" ] && break; sleep 0.1; done
[ -S "$D1/xdg/ulvm/nbd.sock" ] || { cat "$D1/ulvmd.log"; fail "ulvmd did not start for $U1"; }
[ "$(stat -c %a "$D1/xdg/ulvm")" = 700 ] || fail "run dir mode $(stat -c %a "$D1/xdg/ulvm")"
for s in control.sock nbd.sock; do
	[ "$(stat -c '%a %U' "$D1/xdg/ulvm/$s")" = "600 $U1" ] || fail "$s: $(stat -c '%a %U' "$D1/xdg/ulvm/$s")"
done

step "dmsetup, NBD and the FUSE export as $U1"
as1 truncate -s 64M "$D1/a.img" "$D1/b.img" "$D1/c.img"
as1 "$ULVM" dmsetup create d1 --table "0 131072 linear $D1/a.img 0" || fail "dmsetup create as $U1"
URI="nbd+unix:///d1?socket=$D1/xdg/ulvm/nbd.sock"
as1 qemu-io -f raw -c "write -P 0x41 0 64k" -c "read -P 0x41 0 64k" "$URI" >/dev/null || fail "qemu-io as $U1"
[ "$(as1 nbdinfo --size "$URI")" = $((64 << 20)) ] || fail "nbdinfo as $U1"
if [ ${#fuse[@]} -gt 0 ]; then
	mounted "$D1/fs" || { cat "$D1/ulvmd.log"; fail "the FUSE export is not mounted"; }
	[ "$(as1 head -c 4 "$D1/fs/d1")" = AAAA ] || fail "reading $D1/fs/d1 as $U1"
fi

step "a file $U1 may only read: refused for writing (EACCES), mapped with --readonly"
truncate -s 16M "$D1/root.img" # root's, 0644
if as1 "$ULVM" dmsetup create r1 --table "0 32768 linear $D1/root.img 0" >"$T/out" 2>&1; then
	fail "a device over a file $U1 cannot write was made read-write"
fi
grep -q "cannot be opened for writing" "$T/out" || { cat "$T/out"; fail "no EACCES reason"; }
as1 "$ULVM" dmsetup create r1 --readonly --table "0 32768 linear $D1/root.img 0" || fail "--readonly over root.img"
as1 nbdinfo --json "nbd+unix:///r1?socket=$D1/xdg/ulvm/nbd.sock" | grep -q '"is_read_only": true' ||
	fail "r1 is not read-only"

step "LVM verbs as $U1 (config in \$XDG_CONFIG_HOME/ulvm)"
as1 "$ULVM" pvcreate "$D1/b.img" "$D1/c.img" >/dev/null || fail "pvcreate as $U1"
as1 "$ULVM" vgcreate uvg "$D1/b.img" "$D1/c.img" >/dev/null || fail "vgcreate as $U1"
as1 "$ULVM" lvcreate -L 8M -n lv1 uvg >/dev/null || fail "lvcreate as $U1"
[ -f "$D1/conf/ulvm/devices" ] || fail "no devices file in $D1/conf/ulvm"
as1 qemu-io -f raw -c "write -P 0x42 0 4k" "nbd+unix:///uvg/lv1?socket=$D1/xdg/ulvm/nbd.sock" >/dev/null ||
	fail "I/O on uvg/lv1 as $U1"
[ "$(as1 "$ULVM" lvs --noheadings -o lv_attr uvg/lv1 | tr -d ' ')" = "-wi-a-----" ] || fail "lvs as $U1"

step "$U2 is kept out"
if as2 nbdinfo --size "$URI" >/dev/null 2>&1; then fail "$U2 reached $U1's NBD socket"; fi
if as2 "$ULVM" --run-dir "$D1/xdg/ulvm" dmsetup ls >"$T/out" 2>&1; then fail "$U2 used $U1's control socket"; fi
grep -qi 'permission denied\|not yours\|not owned\|refus' "$T/out" || { cat "$T/out"; fail "no reason given to $U2"; }
if [ ${#fuse[@]} -gt 0 ] && as2 cat "$D1/fs/d1" >/dev/null 2>&1; then fail "$U2 read $U1's FUSE file"; fi

step "SIGTERM: $U1's daemon stops and unmounts"
kill "$UPID"
rc=0
wait "$UPID" || rc=$?
[ "$rc" = 0 ] || { cat "$D1/ulvmd.log"; fail "ulvmd of $U1 exited $rc"; }
UPID=
mounted "$D1/fs" && fail "still mounted"
echo "non-root: ok"
