#!/usr/bin/env python3
"""An independent dm-crypt decryptor (Python's cryptography, not OpenSSL's
EVP as ulvm uses it), from the kernel's rules (dm-crypt.rst): decrypt
`len` bytes of a crypt target's device into a plain file.

  crypt_model.py CIPHER KEYHEX DEVICE OFFSET_SECTORS IV_OFFSET SECTOR_SIZE LARGE LEN OUT
"""
import hashlib
import struct
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def iv_of(ivmode, ivopt, key, sector):
    if ivmode == "plain":
        return struct.pack("<I", sector & 0xFFFFFFFF) + bytes(12)
    if ivmode == "plain64":
        return struct.pack("<Q", sector) + bytes(8)
    if ivmode == "plain64be":
        return bytes(8) + struct.pack(">Q", sector)
    if ivmode == "benbi":
        return bytes(8) + struct.pack(">Q", (sector << 5) + 1)
    if ivmode == "null":
        return bytes(16)
    if ivmode == "essiv":
        salt = hashlib.new(ivopt, key).digest()
        e = Cipher(algorithms.AES(salt), modes.ECB()).encryptor()
        return e.update(struct.pack("<Q", sector) + bytes(8)) + e.finalize()
    raise SystemExit("unknown IV mode " + ivmode)


def main():
    spec, keyhex, dev, off, ivoff, ss, large, length, out = sys.argv[1:10]
    key = bytes.fromhex(keyhex)
    off, ivoff, ss, large, length = int(off), int(ivoff), int(ss), large == "1", int(length)
    if spec.startswith("capi:"):  # capi:MODE(CIPHER)-IV
        m, _, rest = spec[5:].partition("(")
        c, _, iv = rest.partition(")-")
        cipher, mode = c, m
    else:
        cipher, mode, iv = spec.split("-", 2) if spec.count("-") >= 2 else (spec.split("-") + ["null"])[:3]
    assert cipher == "aes", cipher
    ivmode, _, ivopt = iv.partition(":")
    data = open(dev, "rb").read()[off * 512: off * 512 + length]
    res = bytearray()
    for u in range(0, length, ss):
        sector = u // 512 + ivoff
        if large:
            sector //= ss // 512
        ivb = iv_of(ivmode, ivopt, key, sector)
        if mode == "xts":
            c = Cipher(algorithms.AES(key), modes.XTS(ivb))
        elif mode == "cbc":
            c = Cipher(algorithms.AES(key), modes.CBC(ivb))
        else:
            c = Cipher(algorithms.AES(key), modes.ECB())
        d = c.decryptor()
        res += d.update(data[u:u + ss]) + d.finalize()
    open(out, "wb").write(res)


main()
