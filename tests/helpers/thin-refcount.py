#!/usr/bin/env python3
"""thin-refcount: check a thin pool's data space map against its mappings.

    thin-refcount.py DUMP.xml DATA_SM.txt

DUMP.xml is `thin_dump` of the metadata; DATA_SM.txt is `data_sm` of
tests/helpers/thin-meta-tool (the counts read by ulvm's own space map
code: "C block count" lines, then "T nr_blocks free").  Every block no one maps must be free (count 0), every mapped block must
have a count of at least 1 and at most the number of mappings pointing at
it, and the free count must be the number of unmapped blocks.

Why not "exactly the number of mappings": as in the kernel's dm-thin, a
snapshot shares btree nodes, not single mappings, and the data space map
counts references from distinct leaf nodes; a block under a leaf shared
by two devices has count 1 until one of them writes under that leaf
(the shadowing copy then increments the count of every block in it).
thin_dump shows mappings per device, not leaves, so the exact per-leaf
count is thin_check's job (it walks the leaves); this checks the bounds,
and that nothing is leaked or double-freed.
Exit 0 when all agree, 1 with the first differences listed.
"""
import sys
import xml.etree.ElementTree as ET
from collections import Counter


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    sb = ET.parse(sys.argv[1]).getroot()
    nr = int(sb.get("nr_data_blocks"))
    refs = Counter()
    for dev in sb.iter("device"):
        mapped = 0
        for m in dev:
            if m.tag == "range_mapping":
                b, n = int(m.get("data_begin")), int(m.get("length"))
                for d in range(b, b + n):
                    refs[d] += 1
                mapped += n
            elif m.tag == "single_mapping":
                refs[int(m.get("data_block"))] += 1
                mapped += 1
        if mapped != int(dev.get("mapped_blocks")):
            print(f"device {dev.get('dev_id')}: mapped_blocks {dev.get('mapped_blocks')}, "
                  f"but {mapped} mappings", file=sys.stderr)
            return 1
    counts, total, free = {}, None, None
    with open(sys.argv[2]) as f:
        for line in f:
            w = line.split()
            if w[0] == "C":
                counts[int(w[1])] = int(w[2])
            elif w[0] == "T":
                total, free = int(w[1]), int(w[2])
    bad = []
    if total != nr:
        bad.append(f"space map has {total} blocks, the superblock {nr}")
    for b in sorted(set(refs) | set(counts)):
        if b >= nr:
            bad.append(f"block {b} past the end ({nr})")
        elif refs[b] == 0 and counts.get(b, 0):
            bad.append(f"block {b}: mapped by no one, space map count {counts[b]} (leaked)")
        elif refs[b] and not 1 <= counts.get(b, 0) <= refs[b]:
            bad.append(f"block {b}: {refs[b]} mappings, space map count {counts.get(b, 0)}")
    if free is not None and free != nr - len(refs):
        bad.append(f"space map says {free} free, {nr - len(refs)} blocks are unreferenced")
    for m in bad[:20]:
        print(m, file=sys.stderr)
    if bad:
        return 1
    shared = sum(1 for c in refs.values() if c > 1)
    exact = sum(1 for b, c in refs.items() if counts.get(b) == c)
    print(f"refcount: {len(refs)} blocks mapped ({shared} by several devices, "
          f"{exact} with count = mappings), {nr - len(refs)} free of {nr}: consistent")
    return 0


if __name__ == "__main__":
    sys.exit(main())
