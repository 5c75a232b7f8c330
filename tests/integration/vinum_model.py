#!/usr/bin/env python3
"""An independent reader of vinum volumes, from vinum's own rules
(gvinum's gv_plex_offset and gv_raid5_offset, VINUM.md section 3), not
from ulvm's mapping code: read the first LEN bytes of volume VOL straight
from the drive files, given `ulvm vinum printconfig` on stdin.

  vinum_model.py VOL LEN OUT      writes what each plex of VOL holds, the
                                  plexes compared (a mirror's must agree),
                                  raid5 parity checked on every row read.

Exit 1 with a message on a plex that disagrees or a wrong parity block.
"""
import sys


def size(s):
    assert s.endswith("s"), s
    return int(s[:-1]) * 512


def parse(text):
    drives, plexes, sds = {}, {}, []
    for line in text.splitlines():
        w = line.split()
        if not w or w[0].startswith("#"):
            continue
        kv = {}
        i = 1
        if w[0] == "drive":
            drives[w[1]] = w[3]
            continue
        if w[0] == "volume":
            continue
        while i < len(w):
            if w[i] == "org":
                kv["org"] = w[i + 1]
                if w[i + 1] in ("striped", "raid5"):
                    kv["stripe"] = size(w[i + 2])
                    i += 1
                i += 2
            else:
                kv[w[i]] = w[i + 1]
                i += 2
        if w[0] == "plex":
            plexes[kv["name"]] = kv
        elif w[0] == "sd":
            sds.append(kv)
    return drives, plexes, sds


def main():
    vol, length, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    drives, plexes, sds = parse(sys.stdin.read())
    files = {}

    def read(sd, off, n):
        path = drives[sd["drive"]]
        if path not in files:
            files[path] = open(path, "rb")
        f = files[path]
        f.seek(size(sd["driveoffset"]) + off)
        return f.read(n)

    results = []
    for name, p in plexes.items():
        if p.get("vol") != vol:
            continue
        members = sorted((s for s in sds if s.get("plex") == name), key=lambda s: size(s["plexoffset"]))
        data = bytearray()
        if p["org"] == "concat":
            for s in members:
                data += read(s, 0, size(s["len"]))
                if len(data) >= length:
                    break
        elif p["org"] == "striped":
            S, n = p["stripe"], len(members)
            for b in range(0, length, S):
                t = b // S
                data += read(members[t % n], (t // n) * S, S)
        else:  # raid5: gvinum's gv_raid5_offset
            S, n = p["stripe"], len(members)
            row_bytes = S * (n - 1)
            for r in range(0, (length + row_bytes - 1) // row_bytes):
                psd = n - 1 - (r % n)
                chunks = [read(m, r * S, S) for m in members]
                parity = 0
                for k, c in enumerate(chunks):
                    if k != psd:
                        parity ^= int.from_bytes(c, "little")
                if parity.to_bytes(S, "little") != chunks[psd]:
                    sys.exit(f"{name}: row {r}: the parity on sd {psd} is not the XOR of the row's data")
                for k in range(n - 1):
                    data += chunks[k + 1 if k >= psd else k]
        results.append((name, bytes(data[:length])))
    if not results:
        sys.exit(f"no plex of volume {vol}")
    for name, d in results[1:]:
        if d != results[0][1]:
            sys.exit(f"plex {name} differs from plex {results[0][0]}")
    with open(out, "wb") as f:
        f.write(results[0][1])


main()
