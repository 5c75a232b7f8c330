/* Metadata areas: the mda_header and the circular buffer of VG text
 * (lib/format_text/format-text.c, layout.h).
 *
 * An mda is a byte range of the PV named in the label.  Its first 512 bytes
 * are the header; the rest is a ring holding copies of the VG text.
 *
 *   off  size  field          (little-endian)
 *   0    4     checksum       lvm_crc of bytes 4..511
 *   4    16    magic          " LVM2 x[5A%r0N*>"
 *   20   4     version        1
 *   24   8     start          absolute byte offset of this header
 *   32   8     size           bytes, header included
 *   40   24    raw_locns[0]   committed copy:    u64 offset, u64 size,
 *   64   24    raw_locns[1]   precommitted copy: u32 checksum, u32 flags
 *   88   24    raw_locns[2]   zero (end of the list)
 *   112  400   zero
 *
 * raw_locn.offset is relative to the mda start and lies in the ring
 * [512, size); raw_locn.size counts the text and the NUL LVM writes after
 * it; raw_locn.checksum is lvm_crc over those bytes (chained across the
 * wrap).  Slot 0 flag RAW_LOCN_IGNORED marks the whole mda unused; such a
 * slot may still hold a stale pointer, so the flag is tested first.
 *
 * Placing a new copy (_next_rlocn_offset): right after the last byte of the
 * committed copy, rounded up to 512; back to 512 when fewer than 512 bytes
 * are left.  A copy that reaches the end of the ring wraps to offset 512.
 * One copy is at most (size - 512) / 2 - 512 bytes, so the new copy never
 * overlaps the committed one.
 *
 * Commit protocol, and why a crash at any point is safe:
 *   1. mda_write_text: the new text goes into the ring, after the committed
 *      copy; no header changes.  A crash leaves slot 0 on the old copy.
 *   2. flush the device.
 *   3. mda_precommit: header rewritten with slot 1 = the new copy.  Normal
 *      reads use slot 0 only, so the VG is still the old one.
 *   4. mda_commit: header rewritten with slot 0 = the new copy, slot 1 = 0.
 *      The header is one 512-byte sector written with FUA: a torn write
 *      fails its checksum and that mda is skipped while the other mdas serve.
 * With several mdas (several PVs, or two per PV) each step is done on all of
 * them before the next starts, so a crash leaves every mda on the old or the
 * new seqno and readers take the highest (see pv.h).
 */
#ifndef ULVM_LVM_MDA_H
#define ULVM_LVM_MDA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/log.h"
#include "io/dev.h"

#define MDA_HEADER_SIZE 512
#define MDA_MAGIC " LVM2 x[5A%r0N*>"
#define MDA_MAGIC_LEN 16
#define MDA_VERSION 1
#define MDA_ALIGN 512            /* MDA_ORIGINAL_ALIGNMENT */
#define MDA_SIZE_MIN (8 * 4096u) /* 8 pages, as LVM on 4 KiB pages */
#define RAW_LOCN_SIZE 24
#define RAW_LOCN_IGNORED 0x1u

struct raw_locn {
	uint64_t offset; /* bytes from the mda start; 0 with size 0 = none */
	uint64_t size;   /* bytes, including the trailing NUL */
	uint32_t checksum;
	uint32_t flags;
};

struct mda_header {
	uint64_t start; /* absolute byte offset */
	uint64_t size;  /* bytes, header included */
	struct raw_locn slot[2]; /* 0: committed, 1: precommitted */
};

/* A fresh header as pvcreate writes it: both slots empty. */
void mda_header_init(struct mda_header *h, uint64_t start, uint64_t size, bool ignored);
void mda_header_encode(const struct mda_header *h, uint8_t buf[MDA_HEADER_SIZE]);
/* Checks checksum, magic, version, start == @start, size == @size (the
 * values from the PV label) and that both slots lie inside the ring. */
int mda_header_decode(const uint8_t buf[MDA_HEADER_SIZE], uint64_t start, uint64_t size,
		      struct mda_header *h, struct err *e);
int mda_header_read(struct dev *d, uint64_t start, uint64_t size, struct mda_header *h,
		    struct err *e);
/* One sector, FUA. */
int mda_header_write(struct dev *d, const struct mda_header *h, struct err *e);

static inline bool mda_ignored(const struct mda_header *h)
{
	return h->slot[0].flags & RAW_LOCN_IGNORED;
}

/* Slot 0 holds no metadata (ignored, or offset and size 0). */
bool mda_empty(const struct mda_header *h);

/* Largest text (NUL included) one copy may take. */
uint64_t mda_max_text_size(const struct mda_header *h);
/* Where the next copy goes, relative to the mda start. */
uint64_t mda_next_offset(const struct mda_header *h);

/* Read the copy @rl points to (following a wrap) and check its CRC.
 * *text is malloc'ed, rl->size bytes plus a NUL; *len = rl->size. */
int mda_read_text(struct dev *d, const struct mda_header *h, const struct raw_locn *rl,
		  char **text, size_t *len, struct err *e);
/* Step 1: put @len bytes of @text (the NUL LVM ends it with included) in
 * the ring after the committed copy, zero-padded to a 512-byte boundary.
 * Fills *out (offset, size, checksum; flags 0).  Refuses an ignored mda
 * and text over mda_max_text_size. */
int mda_write_text(struct dev *d, const struct mda_header *h, const void *text, size_t len,
		   struct raw_locn *out, struct err *e);
/* Step 3: slot 1 = @rl. */
int mda_precommit(struct dev *d, struct mda_header *h, const struct raw_locn *rl,
		  struct err *e);
/* Step 4: slot 0 = @rl (keeping its ignore flag), slot 1 = 0. */
int mda_commit(struct dev *d, struct mda_header *h, const struct raw_locn *rl, struct err *e);
/* Undo a precommit: slot 1 = 0. */
int mda_revert(struct dev *d, struct mda_header *h, struct err *e);
/* vgremove: both slots 0 (keeping the ignore flag); the text stays. */
int mda_clear(struct dev *d, struct mda_header *h, struct err *e);

#endif
