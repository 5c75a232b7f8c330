/* Where a range of a device holds data and where it reads as zeroes
 * (dev_extents, SEEK_HOLE), for copies that skip what needs no copying:
 * raid resync and recovery, mirror recovery, pvmove. */
#ifndef ULVM_IO_DEV_SEGS_H
#define ULVM_IO_DEV_SEGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "io/dev.h"

#define DEV_SEGS_MAX 64

struct dev_seg {
	uint64_t off, len; /* relative to the range asked */
	bool hole;         /* reads as zeroes */
};

struct dev_segs {
	struct dev_seg s[DEV_SEGS_MAX];
	unsigned n;
	uint64_t base;
};

/* The extents of [off, off + len) of @d (all data if it cannot say; the
 * tail of a range too fragmented to describe counts as data). */
void dev_segs_of(struct dev *d, uint64_t off, uint64_t len, struct dev_segs *g);

/* From @pos (relative) of a range of @len bytes seen as @s on one device
 * and @t on another: how far (at most to @len) neither side changes
 * between hole and data, and whether each is a hole there. */
uint64_t dev_segs_step(const struct dev_segs *s, const struct dev_segs *t, uint64_t pos, uint64_t len, bool *s_hole,
		       bool *t_hole);

struct dev_copy_count {
	uint64_t copied, skipped; /* bytes */
};

/* Copy @len bytes from @src at @s_off to @dst at @d_off through @buf
 * (@buf_len bytes): what is a hole on both is skipped, a hole only on the
 * source becomes write_zeroes.  0, or -errno with *@src_failed saying
 * which side failed. */
int dev_copy(struct dev *src, uint64_t s_off, struct dev *dst, uint64_t d_off, uint64_t len, void *buf,
	     size_t buf_len, struct dev_copy_count *k, bool *src_failed);

#endif
