#!/usr/bin/env bash
# NBD over TLS: ulvmd --tls=require against nbdkit --tls=require file, on
# the same file, same certificates, same client; plaintext TCP of both as
# the reference for what TLS costs.
#   bench/nbd-tls.sh BUILD_DIR
# Environment: BENCH_DIR [/var/tmp], BENCH_SIZE_MIB [512], BENCH_REPEAT [3].
# The bar (installable issue): 1 MiB sequential read over TLS >= 1.0x nbdkit.
# Client: nbdcopy EXPORT null:, 1 MiB requests, 8 in flight, one
# connection (and a second row with 4 connections, multi-conn).  The file
# is read from the page cache: the cost measured is the server's and
# TLS's, not the disk's.  Median of BENCH_REPEAT runs.  Servers are
# started here, their PIDs recorded and killed by them.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" && pwd)
SIZE_MIB=${BENCH_SIZE_MIB:-512}
REPEAT=${BENCH_REPEAT:-3}
for t in nbdcopy nbdkit certtool; do command -v "$t" >/dev/null || { echo "nbd-tls: $t is not installed" >&2; exit 2; }; done
S=$(mktemp -d "${BENCH_DIR:-/var/tmp}/ulvm-tls.XXXXXX")
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	rm -rf "$S"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }

# A CA and a server certificate for 127.0.0.1; the client trusts the CA.
mkdir -p "$S/pki" "$S/cli"
printf 'cn = bench CA\nca\ncert_signing_key\nexpiration_days = 30\n' >"$S/ca.info"
printf 'cn = localhost\nip_address = 127.0.0.1\ntls_www_server\nencryption_key\nsigning_key\nexpiration_days = 30\n' >"$S/srv.info"
certtool --generate-privkey --outfile "$S/ca-key.pem" 2>/dev/null
certtool --generate-self-signed --load-privkey "$S/ca-key.pem" --template "$S/ca.info" --outfile "$S/pki/ca-cert.pem" 2>/dev/null
certtool --generate-privkey --outfile "$S/pki/server-key.pem" 2>/dev/null
certtool --generate-certificate --load-privkey "$S/pki/server-key.pem" --load-ca-certificate "$S/pki/ca-cert.pem" \
	--load-ca-privkey "$S/ca-key.pem" --template "$S/srv.info" --outfile "$S/pki/server-cert.pem" 2>/dev/null
cp "$S/pki/ca-cert.pem" "$S/cli/"

head -c "$((SIZE_MIB << 20))" /dev/urandom >"$S/data.img"
cat "$S/data.img" >/dev/null

UP=$(free_port) UT=$(free_port) KP=$(free_port) KT=$(free_port)
"$build/src/daemon/ulvmd" --run-dir "$S/run" --listen "127.0.0.1:$UP" >"$S/u-plain.log" 2>&1 &
PIDS+=($!)
"$build/src/daemon/ulvmd" --run-dir "$S/run-tls" --listen "127.0.0.1:$UT" --tls=require \
	--tls-certificates "$S/pki" >"$S/u-tls.log" 2>&1 &
PIDS+=($!)
nbdkit -f -i 127.0.0.1 -p "$KP" file "$S/data.img" >"$S/k-plain.log" 2>&1 &
PIDS+=($!)
nbdkit -f -i 127.0.0.1 -p "$KT" --tls=require --tls-certificates="$S/pki" file "$S/data.img" >"$S/k-tls.log" 2>&1 &
PIDS+=($!)
for p in "$UP" "$UT" "$KP" "$KT"; do wait_port "$p" || { cat "$S"/*.log; exit 1; }; done
for r in run run-tls; do
	ULVM_RUN_DIR=$S/$r "$build/src/cli/ulvm" dmsetup create bench --table "0 $((SIZE_MIB * 2048)) linear $S/data.img 0"
done

declare -A URI=(
	[ulvm-tls]="nbds://127.0.0.1:$UT/bench?tls-certificates=$S/cli"
	[nbdkit-tls]="nbds://127.0.0.1:$KT/?tls-certificates=$S/cli"
	[ulvm-tcp]="nbd://127.0.0.1:$UP/bench"
	[nbdkit-tcp]="nbd://127.0.0.1:$KP/"
) RES=()
COLS=(ulvm-tls nbdkit-tls ulvm-tcp nbdkit-tcp)
# MB/s of one nbdcopy to null: over @1 with @2 connections.
rate() {
	local t0 t1
	t0=$(date +%s%N)
	nbdcopy --connections="$2" --requests=8 --request-size=1048576 "$1" null:
	t1=$(date +%s%N)
	awk -v b="$((SIZE_MIB << 20))" -v ns="$((t1 - t0))" 'BEGIN {printf "%.0f", b / (ns / 1e9) / 1e6}'
}
echo "machine: $(nproc) CPUs; ${SIZE_MIB} MiB of random data from the page cache; median of $REPEAT"
for conns in 1 4; do
	name="seq-read-1M-qd8-c$conns"
	for c in "${COLS[@]}"; do
		runs=()
		for _ in $(seq "$REPEAT"); do runs+=("$(rate "${URI[$c]}" "$conns")"); done
		RES[$c,$name]=$(printf '%s\n' "${runs[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR + 1) / 2)]}')
		printf '%-20s %-11s %8s MB/s   (runs: %s)\n' "$name" "$c" "${RES[$c,$name]}" "${runs[*]}"
	done
done
echo
printf '%-20s %10s %10s %10s %10s %16s %16s\n' workload ulvm-tls nbdkit-tls ulvm-tcp nbdkit-tcp \
	ulvm/nbdkit-tls tls/tcp-ulvm
miss=()
for conns in 1 4; do
	name="seq-read-1M-qd8-c$conns"
	r=$(awk -v a="${RES[ulvm-tls,$name]}" -v b="${RES[nbdkit-tls,$name]}" 'BEGIN {printf "%.2f", a / b}')
	q=$(awk -v a="${RES[ulvm-tls,$name]}" -v b="${RES[ulvm-tcp,$name]}" 'BEGIN {printf "%.2f", a / b}')
	printf '%-20s %10s %10s %10s %10s %16s %16s\n' "$name" "${RES[ulvm-tls,$name]}" "${RES[nbdkit-tls,$name]}" \
		"${RES[ulvm-tcp,$name]}" "${RES[nbdkit-tcp,$name]}" "$r" "$q"
	awk -v r="$r" 'BEGIN {exit !(r < 1.0)}' && miss+=("$name")
done
if [ ${#miss[@]} -eq 0 ]; then echo "bar (1 MiB sequential read over TLS >= 1.0x nbdkit): MET"
else echo "bar (1 MiB sequential read over TLS >= 1.0x nbdkit): NOT MET: ${miss[*]}"; fi
