#!/usr/bin/env python3
"""two_writers.py URI OFFSET1 OFFSET2 STATUS: two NBD clients each write
4 KiB of 0x77, at OFFSET1 and, half a second later, at OFFSET2.  One
second after the second one starts, STATUS gets "first waits|done, second
waits|done"; then both are waited for (exit 1 if either failed).

The raid and mirror tests use it to see that a write to a region whose
bitmap or log bit another write has just set waits, as that one does,
until the bit is on disk (its device suspended)."""
import sys
import threading
import time

import nbd

uri, off1, off2, status = sys.argv[1], int(sys.argv[2], 0), int(sys.argv[3], 0), sys.argv[4]
failed = []


def write(off):
    try:
        h = nbd.NBD()
        h.connect_uri(uri)
        h.pwrite(b"\x77" * 4096, off)
        h.shutdown()
    except nbd.Error as e:
        failed.append(f"{off}: {e}")


a = threading.Thread(target=write, args=(off1,))
a.start()
time.sleep(0.5)
b = threading.Thread(target=write, args=(off2,))
b.start()
time.sleep(1)
with open(status, "w") as f:
    f.write("first %s, second %s" % ("waits" if a.is_alive() else "done", "waits" if b.is_alive() else "done"))
a.join()
b.join()
if failed:
    sys.exit("two_writers: " + "; ".join(failed))
