#!/usr/bin/env bash
# No function or variable of ours takes the name of one a shared library we
# link exports.  The executables are linked against their own code
# statically, so such a symbol silently takes the library's place for every
# caller in the process (ulvm's nbd_aio_flush once replaced libnbd's, and
# the NBD client devices broke).  For each binary: its own defined global
# symbols (nm) against the dynamic symbols of the libraries ldd lists.
source "$(dirname "$0")/lib.sh"
need nm ldd

bad=0
for bin in "$ULVMD_BIN" "$ULVM_BIN"; do
	[ -x "$bin" ] || fail "no $bin"
	nm --defined-only -g "$bin" | awk '$2 ~ /^[TDBR]$/ {print $3}' | sort -u >"$T/own"
	: >"$T/libs"
	while read -r lib; do
		nm -D --defined-only "$lib" 2>/dev/null | awk '{print $NF}' | sed 's/@.*//' >>"$T/libs"
	done < <(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// {print $3}')
	sort -u -o "$T/libs" "$T/libs"
	[ -s "$T/libs" ] || fail "ldd $bin listed no library"
	# the sanitizers' runtime and the C runtime's start files define some on purpose
	comm -12 "$T/own" "$T/libs" | grep -Ev '^(_init|_fini|_start|_edata|_end|__bss_start|__data_start|data_start|_IO_stdin_used|__dso_handle|__libc_csu_.*|__asan_.*|__ubsan_.*|__sanitizer_.*|__lsan_.*|_ITM_.*|__gmon_start__|__TMC_END__)$' >"$T/both" || true
	if [ -s "$T/both" ]; then
		echo "$(basename "$bin") defines what its libraries export:"
		sed 's/^/  /' "$T/both"
		bad=1
	fi
done
[ "$bad" = 0 ] || fail "symbols of ours shadow a library's"
echo "symbols: ok"
