#!/usr/bin/env bash
# NBD over TLS on the --listen sockets: X.509 (certificates as qemu-nbd and
# nbdkit lay them out, client certificates verified on request) and PSK
# (psktool's file), checked with libnbd's tools and qemu's own TLS client;
# a table naming an nbds:// URI connects with TLS.  Refused, each with a
# log line and nothing else affected: a plaintext client against
# --tls=require, a client trusting another CA, a client certificate of
# another CA, a wrong PSK, a client that stalls in the handshake, bad
# options.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/clients.bash"
need nbdinfo
need nbdcopy
need certtool
need psktool
need qemu-io
need nbdkit
step() { echo "== $*"; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# A line matching @1 appears in the daemon's log within 15 s.
logged() {
	for _ in $(seq 150); do grep -q -- "$1" "$T/ulvmd.log" && return 0; sleep 0.1; done
	cat "$T/ulvmd.log"; fail "no log line matching '$1'"
}
# The client @@ must fail.
refused() { if timeout 20 "$@" >"$T/client.out" 2>&1; then fail "accepted: $*"; fi; echo "refused: $(tail -n1 "$T/client.out")"; }

step "certificates: a CA, the server's, a client's; another CA with its client"
cert() { # NAME CN SIGNER EXTRA...  (SIGNER '' = self-signed CA)
	local name=$1 cn=$2 signer=$3; shift 3
	{ echo "cn = $cn"; echo "expiration_days = 30"; printf '%s\n' "$@"; } >"$T/$name.info"
	certtool --generate-privkey --outfile "$T/$name-key.pem" 2>/dev/null
	if [ -z "$signer" ]; then
		certtool --generate-self-signed --load-privkey "$T/$name-key.pem" --template "$T/$name.info" \
			--outfile "$T/$name-cert.pem" 2>/dev/null
	else
		certtool --generate-certificate --load-privkey "$T/$name-key.pem" --load-ca-certificate "$T/$signer-cert.pem" \
			--load-ca-privkey "$T/$signer-key.pem" --template "$T/$name.info" --outfile "$T/$name-cert.pem" 2>/dev/null
	fi
}
cert ca "test CA" "" ca cert_signing_key
cert server localhost ca "ip_address = 127.0.0.1" "dns_name = localhost" tls_www_server encryption_key signing_key
cert client "alice" ca tls_www_client encryption_key signing_key
cert rogue "rogue CA" "" ca cert_signing_key
cert rclient "mallory" rogue tls_www_client encryption_key signing_key
mkdir -p "$T/pki" "$T/cli" "$T/cli-rogue" "$T/cli-badca"
cp "$T/ca-cert.pem" "$T/server-cert.pem" "$T/server-key.pem" "$T/pki/"
# a client: the CA it trusts, its own certificate and key (libnbd's and qemu's names)
cp "$T/ca-cert.pem" "$T/cli/ca-cert.pem"; cp "$T/client-cert.pem" "$T/cli/client-cert.pem"; cp "$T/client-key.pem" "$T/cli/client-key.pem"
cp "$T/ca-cert.pem" "$T/cli-rogue/ca-cert.pem"; cp "$T/rclient-cert.pem" "$T/cli-rogue/client-cert.pem"
cp "$T/rclient-key.pem" "$T/cli-rogue/client-key.pem"
cp "$T/rogue-cert.pem" "$T/cli-badca/ca-cert.pem"
psktool -u alice -p "$T/keys.psk" >/dev/null
psktool -u alice -p "$T/wrong.psk" >/dev/null

step "bad options are refused at startup, naming what is wrong"
bad_start() { # PATTERN ARGS...
	local pat=$1; shift
	if "$ULVMD_BIN" --run-dir "$T/badrun" "$@" >"$T/bad.log" 2>&1; then fail "ulvmd started with $*"; fi
	grep -q -- "$pat" "$T/bad.log" || { cat "$T/bad.log"; fail "ulvmd $*: no '$pat'"; }
	echo "refused ulvmd $*: $(grep -m1 -- "$pat" "$T/bad.log")"
}
P=$(free_port)
bad_start "expected off, on or require" --listen "127.0.0.1:$P" --tls=maybe
bad_start "needs --tls-certificates DIR or --tls-psk FILE" --listen "127.0.0.1:$P" --tls=require
bad_start "cannot read $T/nope/server-cert.pem" --listen "127.0.0.1:$P" --tls-certificates "$T/nope"
bad_start "applies to the --listen sockets" --tls-psk "$T/keys.psk"
printf 'alice:xyz\n' >"$T/bad.psk"
bad_start "bad.psk line 1: expected USER:HEXKEY" --listen "127.0.0.1:$P" --tls-psk "$T/bad.psk"
bad_start "one of them" --listen "127.0.0.1:$P" --tls-psk "$T/keys.psk" --tls-certificates "$T/pki"

step "X.509, --tls=require: libnbd and qemu read and write; the data is the file's"
mkfile "$T/a.img" 64M
head -c 8M /dev/urandom >"$T/data"
start_ulvmd --listen "127.0.0.1:$P" --tls=require --tls-certificates "$T/pki" --log-level debug
ulvm dmsetup create d1 --table "0 131072 linear $T/a.img 0"
U="nbds://127.0.0.1:$P/d1?tls-certificates=$T/cli"
timeout 20 nbdinfo "$U" | tee "$T/info" | head -3
grep -q "with TLS" "$T/info" || fail "nbdinfo: no TLS"
timeout 30 nbdcopy "$T/data" "$U"
cmp -n 8388608 "$T/data" "$T/a.img" || fail "what went in over TLS is not in the file"
timeout 30 nbdcopy "$U" "$T/back"
cmp -n 8388608 "$T/data" "$T/back" || fail "what came back over TLS differs"
QT=(--object "tls-creds-x509,id=tls0,endpoint=client,dir=$T/cli")
qopt="driver=nbd,host=127.0.0.1,port=$P,export=d1,tls-creds=tls0"
timeout 30 qemu-io "${QT[@]}" --image-opts "$qopt" -c 'write -P 0x5a 1M 64k' -c 'read -P 0x5a 1M 64k' \
	-c 'flush' >"$T/qio.out" || { cat "$T/qio.out"; fail "qemu-io over TLS"; }
bytes_are "$T/a.img" $((1 << 20)) 65536 0x5a
head -c 8M "$T/a.img" >"$T/data" # what readers must see from now on

step "a plaintext client against --tls=require gets nothing"
refused nbdinfo "nbd://127.0.0.1:$P/d1"
logged "options before STARTTLS refused (first: 8), TLS is required"
python3 - "$P" <<'EOF' || fail "raw plaintext client"
import socket, struct, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
def recv(n):
    b = b""
    while len(b) < n:
        k = s.recv(n - len(b))
        if not k: return b
        b += k
    return b
assert recv(18)[:8] == b"NBDMAGIC"
s.sendall(struct.pack(">I", 3))                                  # fixed newstyle, no zeroes
s.sendall(struct.pack(">QII", 0x49484156454F5054, 3, 0))          # NBD_OPT_LIST in the clear
magic, opt, rep, ln = struct.unpack(">QIII", recv(20)); recv(ln)
assert rep == 0x80000005, hex(rep)                               # NBD_REP_ERR_TLS_REQD
s.sendall(struct.pack(">QII", 0x49484156454F5054, 1, 2) + b"d1")  # EXPORT_NAME: no error reply exists
assert recv(1) == b"", "server answered EXPORT_NAME without TLS"
print("plaintext LIST: NBD_REP_ERR_TLS_REQD; EXPORT_NAME: disconnected")
EOF
logged "export chosen before STARTTLS"

step "a client trusting another CA refuses the server; the server goes on"
refused nbdinfo "nbds://127.0.0.1:$P/d1?tls-certificates=$T/cli-badca"
logged "TLS handshake failed"

step "a client stalling in the TLS handshake holds only itself"
python3 - "$P" >"$T/stall.out" 2>&1 <<'EOF' &
import socket, struct, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.recv(18)
s.sendall(struct.pack(">I", 3))
s.sendall(struct.pack(">QII", 0x49484156454F5054, 5, 0))          # STARTTLS
print("ack", s.recv(20).hex(), flush=True)
time.sleep(30)                                                    # and never a ClientHello
EOF
STALL=$!
track "$STALL"
for _ in $(seq 50); do grep -q ack "$T/stall.out" && break; sleep 0.1; done
grep -q ack "$T/stall.out" || fail "STARTTLS not acknowledged"
timeout 20 nbdcopy "$U" "$T/back2"
cmp -n 8388608 "$T/data" "$T/back2" || fail "a client beside the stalled one read wrong data"
logged "TLS handshake failed: .*[Tt]ime"
kill "$STALL" 2>/dev/null; wait "$STALL" 2>/dev/null || true
stop_ulvmd

step "--tls-verify-peer: a client certificate of our CA only"
start_ulvmd --listen "127.0.0.1:$P" --tls=require --tls-certificates "$T/pki" --tls-verify-peer
ulvm dmsetup create d1 --table "0 131072 linear $T/a.img 0"
timeout 20 nbdcopy "$U" "$T/back3"
cmp -n 8388608 "$T/data" "$T/back3" || fail "verified client read wrong data"
# (GnuTLS's client shows no certificate the server's CA did not sign)
refused nbdinfo "nbds://127.0.0.1:$P/d1?tls-certificates=$T/cli-rogue"
logged "TLS handshake failed: Certificate is required\|client certificate refused"
refused nbdinfo "nbds://127.0.0.1:$P/d1?tls-certificates=$T/cli-badca"
timeout 20 nbdinfo --size "$U" >/dev/null || fail "the daemon stopped serving after refusals"
stop_ulvmd

step "PSK: the right key reads, a wrong key is refused"
start_ulvmd --listen "127.0.0.1:$P" --tls=require --tls-psk "$T/keys.psk"
ulvm dmsetup create d1 --table "0 131072 linear $T/a.img 0"
timeout 20 nbdcopy "nbds://alice@127.0.0.1:$P/d1?tls-psk-file=$T/keys.psk" "$T/back4"
cmp -n 8388608 "$T/data" "$T/back4" || fail "PSK client read wrong data"
refused nbdinfo "nbds://alice@127.0.0.1:$P/d1?tls-psk-file=$T/wrong.psk"
logged "TLS handshake failed"
stop_ulvmd

step "--tls=on: the client chooses; the local socket stays plaintext"
start_ulvmd --listen "127.0.0.1:$P" --tls=on --tls-certificates "$T/pki"
grep -q "TLS offered, not required" "$T/ulvmd.log" || fail "no warning for --tls=on"
ulvm dmsetup create d1 --table "0 131072 linear $T/a.img 0"
[ "$(timeout 20 nbdinfo --size "nbd://127.0.0.1:$P/d1")" = 67108864 ] || fail "plaintext client with --tls=on"
[ "$(timeout 20 nbdinfo --size "$U")" = 67108864 ] || fail "TLS client with --tls=on"
[ "$(nbdinfo --size "$(uri d1)")" = 67108864 ] || fail "local socket"

step "a table naming an nbds:// URI connects with TLS"
K=$(free_port)
nbdkit -f -i 127.0.0.1 -p "$K" --tls=require --tls-certificates="$T/pki" memory 16M >"$T/nbdkit.log" 2>&1 &
track $!
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$K") 2>/dev/null && break; sleep 0.1; done
ulvm dmsetup create remote --table "0 32768 linear nbds://127.0.0.1:$K/?tls-certificates=$T/cli 0"
qio "$(uri remote)" "write -P 0x33 0 1M"
timeout 20 nbdcopy "nbds://127.0.0.1:$K/?tls-certificates=$T/cli" "$T/remote.img"
bytes_are "$T/remote.img" 0 $((1 << 20)) 0x33
ulvm dmsetup remove remote
stop_ulvmd
echo "nbd-tls: ok"
