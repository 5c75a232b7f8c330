#!/usr/bin/env python3
"""A model of MD's parity RAID, written from the kernel's formulas
(drivers/md/raid5.c: raid5_compute_sector, raid6_d0, raid6_idx_to_slot;
lib/raid6: Q = sum of g^slot * D over GF(2^8), polynomial 0x11d), to
check what the raid target put in its leg files.

  raid_parity_model.py check TYPE CHUNK_SECTORS IMAGE LEG...
      IMAGE is what the array should read as; every data chunk must be on
      the leg and sector the model says, and P (and Q) must be the data's.
      Prints the number of stripes checked; exits 1 on a difference.
  raid_parity_model.py place TYPE NDEVS STRIPE
      Prints "P Q d0 d1 ..." (Q is - for raid4/5) and then the Q slot of
      each data device: the layout table for one stripe.

Byte-parallel GF arithmetic: a chunk is one Python integer, so multiplying
every byte by 2 is a shift, a mask and an XOR of the carried bits by 0x1d.
"""
import sys

# dm-raid type -> (md level, md layout), linux dm-raid.c raid_types[]
TYPES = {
    "raid4": (5, 4), "raid5_la": (5, 0), "raid5_ra": (5, 1), "raid5_ls": (5, 2),
    "raid5_rs": (5, 3), "raid5_n": (5, 5), "raid6_zr": (6, 8), "raid6_nr": (6, 9),
    "raid6_nc": (6, 10), "raid6_n_6": (6, 5), "raid6_la_6": (6, 16), "raid6_ra_6": (6, 17),
    "raid6_ls_6": (6, 18), "raid6_rs_6": (6, 19),
}


def compute(level, algo, raid_disks, chunk_number):
    """raid5_compute_sector for one chunk: (dd_idx, pd_idx, qd_idx, ddf)."""
    max_degraded = 1 if level == 5 else 2
    data_disks = raid_disks - max_degraded
    stripe = chunk_number // data_disks
    dd_idx = chunk_number % data_disks
    pd_idx = qd_idx = -1
    ddf = False
    stripe2 = stripe
    if level == 5:
        if algo == 0:  # LEFT_ASYMMETRIC
            pd_idx = data_disks - stripe2 % raid_disks
            if dd_idx >= pd_idx:
                dd_idx += 1
        elif algo == 1:  # RIGHT_ASYMMETRIC
            pd_idx = stripe2 % raid_disks
            if dd_idx >= pd_idx:
                dd_idx += 1
        elif algo == 2:  # LEFT_SYMMETRIC
            pd_idx = data_disks - stripe2 % raid_disks
            dd_idx = (pd_idx + 1 + dd_idx) % raid_disks
        elif algo == 3:  # RIGHT_SYMMETRIC
            pd_idx = stripe2 % raid_disks
            dd_idx = (pd_idx + 1 + dd_idx) % raid_disks
        elif algo == 4:  # PARITY_0
            pd_idx = 0
            dd_idx += 1
        elif algo == 5:  # PARITY_N
            pd_idx = data_disks
        return dd_idx, pd_idx, qd_idx, ddf
    if algo == 5:  # PARITY_N
        pd_idx = data_disks
        qd_idx = data_disks + 1
    elif algo in (8, 9):  # ROTATING_ZERO_RESTART, ROTATING_N_RESTART
        if algo == 8:
            pd_idx = stripe2 % raid_disks
        else:
            stripe2 += 1
            pd_idx = raid_disks - 1 - stripe2 % raid_disks
        qd_idx = pd_idx + 1
        if pd_idx == raid_disks - 1:
            dd_idx += 1
            qd_idx = 0
        elif dd_idx >= pd_idx:
            dd_idx += 2
        ddf = True
    elif algo == 10:  # ROTATING_N_CONTINUE
        pd_idx = raid_disks - 1 - stripe2 % raid_disks
        qd_idx = (pd_idx + raid_disks - 1) % raid_disks
        dd_idx = (pd_idx + 1 + dd_idx) % raid_disks
        ddf = True
    elif algo in (16, 17):  # LEFT/RIGHT_ASYMMETRIC_6
        if algo == 16:
            pd_idx = data_disks - stripe2 % (raid_disks - 1)
        else:
            pd_idx = stripe2 % (raid_disks - 1)
        if dd_idx >= pd_idx:
            dd_idx += 1
        qd_idx = raid_disks - 1
    elif algo in (18, 19):  # LEFT/RIGHT_SYMMETRIC_6
        if algo == 18:
            pd_idx = data_disks - stripe2 % (raid_disks - 1)
        else:
            pd_idx = stripe2 % (raid_disks - 1)
        dd_idx = (pd_idx + 1 + dd_idx) % (raid_disks - 1)
        qd_idx = raid_disks - 1
    return dd_idx, pd_idx, qd_idx, ddf


def slots(raid_disks, pd_idx, qd_idx, ddf):
    """Q slot of each disk (raid6_d0 and raid6_idx_to_slot)."""
    out = {}
    if ddf:
        return {i: i for i in range(raid_disks)}
    d0 = 0 if qd_idx == raid_disks - 1 else qd_idx + 1
    count = 0
    i = d0
    while True:
        if i != pd_idx and i != qd_idx:
            out[i] = count
            count += 1
        i = (i + 1) % raid_disks
        if i == d0:
            return out


def stripe_layout(level, algo, n, stripe):
    """P, Q and the disk of each data index of one stripe."""
    dd = n - (1 if level == 5 else 2)
    disks = []
    for k in range(dd):
        d, p, q, ddf = compute(level, algo, n, stripe * dd + k)
        disks.append(d)
    return p, q, ddf, disks


def mul2(x, nbytes):
    hi = x & int.from_bytes(b"\x80" * nbytes, "big")
    lo = x & int.from_bytes(b"\x7f" * nbytes, "big")
    return (lo << 1) ^ ((hi >> 7) * 0x1d)


def check(typ, chunk, image, legs):
    level, algo = TYPES[typ]
    n = len(legs)
    cb = chunk * 512
    dd = n - (1 if level == 5 else 2)
    with open(image, "rb") as f:
        img = f.read()
    fs = [open(p, "rb") for p in legs]
    stripes = len(img) // (cb * dd)
    bad = 0
    for s in range(stripes):
        p, q, ddf, disks = stripe_layout(level, algo, n, s)
        chunks = {}
        for i, f in enumerate(fs):
            f.seek(s * cb)
            chunks[i] = f.read(cb).ljust(cb, b"\0")
        for k, d in enumerate(disks):
            want = img[(s * dd + k) * cb:(s * dd + k + 1) * cb]
            if chunks[d] != want:
                print(f"stripe {s}: data index {k} is not on disk {d}")
                bad += 1
        pv = 0
        for d in disks:
            pv ^= int.from_bytes(chunks[d], "big")
        if pv != int.from_bytes(chunks[p], "big"):
            print(f"stripe {s}: P on disk {p} is not the XOR of the data")
            bad += 1
        if level == 6:
            sl = slots(n, p, q, ddf)
            by_slot = {sl[d]: chunks[d] for d in disks}
            qv = 0
            for j in range(max(sl.values()), -1, -1):  # Horner, highest slot first
                qv = mul2(qv, cb) ^ int.from_bytes(by_slot.get(j, b"\0" * cb), "big")
            if qv != int.from_bytes(chunks[q], "big"):
                print(f"stripe {s}: Q on disk {q} is not the syndrome of the data")
                bad += 1
        if bad > 10:
            break
    print(f"{stripes} stripes checked, {bad} differences")
    return 1 if bad else 0


def main():
    if sys.argv[1] == "check":
        sys.exit(check(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5:]))
    level, algo = TYPES[sys.argv[2]]
    n, s = int(sys.argv[3]), int(sys.argv[4])
    p, q, ddf, disks = stripe_layout(level, algo, n, s)
    sl = slots(n, p, q, ddf) if level == 6 else {}
    print(p, q if level == 6 else "-", *disks)
    print(*[sl.get(d, "-") for d in disks])


if __name__ == "__main__":
    main()
