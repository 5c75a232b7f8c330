#!/usr/bin/env python3
"""An independent reader of the kernel's persistent exception store
(drivers/md/dm-snap-persistent.c) for the snapshot tests:

  snapshot_store.py ORIGIN COW OUT

writes to OUT the snapshot that ORIGIN (the origin as it is now) and COW
(the COW device) make: every exception's chunk copied from COW over
ORIGIN; prints the header's valid flag, chunk size and the exception count.
"""
# The kernel's persistent exception store (dm-snap-persistent.c), read
# independently: header in chunk 0; area a at chunk 1 + (E+1)*a holds E
# (le64 old_chunk, le64 new_chunk) pairs, new_chunk 0 ends them.
import struct, sys
origin, cow, out = sys.argv[1], sys.argv[2], sys.argv[3]
o = bytearray(open(origin, "rb").read())
c = open(cow, "rb").read()
magic, valid, version, chunk = struct.unpack_from("<IIII", c, 0)
assert magic == 0x70416E53 and version == 1, (hex(magic), version)
cb = chunk * 512
e = cb // 16
n = 0
a = 0
while True:
    base = (1 + (e + 1) * a) * cb
    full = True
    for i in range(e):
        old, new = struct.unpack_from("<QQ", c, base + 16 * i)
        if new == 0:
            full = False
            break
        o[old * cb:(old + 1) * cb] = c[new * cb:(new + 1) * cb][:len(o) - old * cb]
        n += 1
    if not full:
        break
    a += 1
open(out, "wb").write(o)
print(f"valid={valid} chunk={chunk} exceptions={n}")
