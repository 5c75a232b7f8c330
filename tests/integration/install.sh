#!/usr/bin/env bash
# make install's payload, from the build under test, into a scratch DESTDIR:
#  - ulvm, ulvmd, the man pages ulvm(8), ulvmd(8), ulvm-dmsetup(8), the
#    systemd units (system and user) and the bash completion are installed;
#  - `man -l` renders every page; `systemd-analyze verify` accepts both units;
#  - the completion offers the commands, verbs and options of ulvm's own
#    tables, and every option a verb takes is named by its `--help`;
#  - `ninja uninstall` removes everything again.
source "$(dirname "$0")/lib.sh"
need man meson ninja
root=$T/root
step() { echo "== $*"; }

step "meson install --destdir"
meson install -C "$ULVM_BUILD" --destdir "$root" --no-rebuild --quiet >"$T/install.log" 2>&1 ||
	{ cat "$T/install.log"; fail "meson install"; }
prefix=$(meson introspect --buildoptions "$ULVM_BUILD" | python3 -c 'import json,sys; print([o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"][0])')
P=$root$prefix
for f in bin/ulvm bin/ulvmd share/man/man8/ulvm.8 share/man/man8/ulvmd.8 share/man/man8/ulvm-dmsetup.8 \
	lib/systemd/system/ulvmd.service lib/systemd/user/ulvmd.service share/bash-completion/completions/ulvm; do
	[ -e "$P/$f" ] || fail "not installed: $prefix/$f"
done
"$P/bin/ulvm" --version | grep -q '^ulvm ' || fail "the installed ulvm does not run"

step "man -l renders every page"
for p in ulvm ulvmd ulvm-dmsetup; do
	MANWIDTH=100 man -l "$P/share/man/man8/$p.8" >"$T/$p.txt" 2>"$T/$p.err" || { cat "$T/$p.err"; fail "man -l $p.8"; }
	grep -q '^NAME' "$T/$p.txt" && grep -q '^SYNOPSIS' "$T/$p.txt" || { head "$T/$p.txt"; fail "$p.8 has no NAME/SYNOPSIS"; }
	grep -qi "^  *${p/-/ }" "$T/$p.txt" || grep -q "$p" "$T/$p.txt" || fail "$p.8 does not name $p"
done

step "systemd-analyze verify accepts both units"
if command -v systemd-analyze >/dev/null; then
	for u in system user; do
		# ExecStart names $prefix/bin/ulvmd: point it at the DESTDIR copy
		sed "s|$prefix/bin/ulvmd|$P/bin/ulvmd|" "$P/lib/systemd/$u/ulvmd.service" >"$T/ulvmd.service"
		grep -q "ExecStart=$P/bin/ulvmd --run-dir" "$T/ulvmd.service" || fail "$u unit: ExecStart"
		systemd-analyze verify --man=no "$T/ulvmd.service" || fail "systemd-analyze verify: $u unit"
	done
else
	echo "systemd-analyze is not installed: units not verified"
fi

step "bash completion from ulvm's own tables"
complete_words() { # WORD... (the last is the one being completed)
	PATH=$P/bin:$PATH bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _ulvm; echo "${COMPREPLY[*]}"' \
		_ "$P/share/bash-completion/completions/ulvm" "$@"
}
[ "$(complete_words ulvm lvcr)" = lvcreate ] || fail "ulvm lvcr: $(complete_words ulvm lvcr)"
[ "$(complete_words ulvm dmsetup cre)" = create ] || fail "ulvm dmsetup cre: $(complete_words ulvm dmsetup cre)"
[ "$(complete_words ulvm lvcreate --thinp)" = --thinpool ] || fail "lvcreate --thinp: $(complete_words ulvm lvcreate --thinp)"
[ "$(complete_words ulvm dmsetup create --rea)" = --readonly ] || fail "dmsetup create --rea"
[ "$(complete_words ulvm --run-dir ./r vgc)" = "vgcreate vgchange vgck vgcfgbackup vgcfgrestore" ] ||
	fail "ulvm --run-dir ./r vgc: $(complete_words ulvm --run-dir ./r vgc)"

step "every --help names every option its command takes"
for cmd in $("$P/bin/ulvm" __complete); do
	case $cmd in
	dmsetup | thin)
		for verb in $("$P/bin/ulvm" __complete "$cmd"); do
			help=$("$P/bin/ulvm" "$cmd" "$verb" --help 2>&1 || true)
			for o in $("$P/bin/ulvm" __complete "$cmd" "$verb" | grep '^--'); do
				grep -q -- "$o" <<<"$help" || fail "ulvm $cmd $verb --help does not name $o"
			done
		done ;;
	*)
		help=$("$P/bin/ulvm" "$cmd" --help 2>&1 || true)
		for o in $("$P/bin/ulvm" __complete "$cmd" | grep '^--'); do
			grep -q -- "$o" <<<"$help" || fail "ulvm $cmd --help does not name $o"
		done ;;
	esac
done

step "ninja uninstall removes it all"
ninja -C "$ULVM_BUILD" uninstall >"$T/uninstall.log" 2>&1 || { cat "$T/uninstall.log"; fail "ninja uninstall"; }
left=$(find "$root" -type f 2>/dev/null | head -n 5)
[ -z "$left" ] || fail "left after uninstall: $left"
echo "install: ok"
