#!/usr/bin/env python3
"""Write the seed corpus of fuzz_nbd: client sides of NBD sessions with the
export "m" that fuzz_nbd serves.  usage: gen-nbd-corpus.py [DIR]"""
import os
import ssl
import struct
import sys

IHAVEOPT = 0x49484156454F5054


def opt(o, data=b""):
    return struct.pack(">QII", IHAVEOPT, o, len(data)) + data


def name(n):
    return struct.pack(">I", len(n)) + n


def go(n, o=7):
    return opt(o, name(n) + struct.pack(">HH", 1, 3))


def meta(o, n, *queries):
    return opt(o, name(n) + struct.pack(">I", len(queries)) + b"".join(name(q) for q in queries))


def req(typ, off=0, length=0, flags=0, cookie=1, data=b""):
    return struct.pack(">IHHQQI", 0x25609513, flags, typ, cookie, off, length) + data


def client_hello():
    """The first flight of Python's TLS client: what follows STARTTLS."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    tls = ctx.wrap_bio(ssl.MemoryBIO(), out := ssl.MemoryBIO())
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return out.read()


DISC = req(2)
io = (req(1, 0, 512, 1, 1, b"\xab" * 512) + req(0, 0, 512, 0, 2) + req(3, cookie=3) +
      req(4, 512, 512, cookie=4) + req(6, 1024, 512, 2, 5) + req(5, 0, 4096, cookie=6))
seeds = {
    "structured": struct.pack(">I", 3) + opt(8) + meta(10, b"m", b"base:allocation") + go(b"m") +
                  io + req(7, 0, 1 << 20, 0, 7) + req(7, 0, 4096, 8, 8) + DISC,
    "simple": struct.pack(">I", 3) + opt(1, b"m") + io + DISC,
    "zeroes": struct.pack(">I", 1) + opt(1, b"") + req(0, 0, 16) + DISC,
    "options": struct.pack(">I", 1) + opt(3) + go(b"m", 6) + go(b"nope", 6) +
               meta(9, b"m") + meta(9, b"m", b"base:") + opt(0x4242, b"?") + opt(2),
    "errors": struct.pack(">I", 3) + go(b"") + req(0, 1 << 20, 512) + req(99) +
              req(1, 0, 5000, 0, 9, b"\0" * 5000) + req(0, 0, 512, 4) + DISC,
    "request": req(0, 4096, 512),
    # under TLS=require: refused options, then STARTTLS and a ClientHello
    "starttls": struct.pack(">I", 3) + opt(3) + opt(8) + opt(5) + client_hello(),
    "starttls-early": struct.pack(">I", 3) + opt(5) + go(b"m"),
}
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "nbd")
os.makedirs(out, exist_ok=True)
for k, v in seeds.items():
    with open(os.path.join(out, k), "wb") as f:
        f.write(v)
