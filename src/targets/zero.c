/* zero: reads return zeroes, writes are discarded (dm-zero.c).
 *
 * No lower device, no arguments.  Every extent is a hole that reads as
 * zeroes, so a client copying the device skips it all.
 */
#include <errno.h>
#include <string.h>

#include "targets/registry.h"

static int zero_ctr(struct dm_target *ti, struct arg_set *as)
{
	if (as->argc) {
		ti->error = "No arguments required";
		return -EINVAL;
	}
	return 0;
}

static int zero_read(struct dm_target *ti, void *buf, size_t len, uint64_t off)
{
	(void)ti;
	(void)off;
	memset(buf, 0, len);
	return 0;
}

static int zero_write(struct dm_target *ti, const void *buf, size_t len, uint64_t off,
		      unsigned flags)
{
	(void)ti;
	(void)buf;
	(void)len;
	(void)off;
	(void)flags;
	return 0;
}

static int zero_write_zeroes(struct dm_target *ti, uint64_t off, uint64_t len, unsigned flags)
{
	(void)ti;
	(void)off;
	(void)len;
	(void)flags;
	return 0;
}

static int zero_extents(struct dm_target *ti, uint64_t off, uint64_t len, dev_extent_fn fn,
			void *opaque)
{
	int r;

	(void)ti;
	r = fn(opaque, off, len, DEV_EXT_HOLE | DEV_EXT_ZERO);
	return r < 0 ? r : 0;
}

const struct target_type zero_target = {
	.name = "zero",
	.version = { 1, 2, 0 },
	.ctr = zero_ctr,
	.read = zero_read,
	.write = zero_write,
	.write_zeroes = zero_write_zeroes,
	.extents = zero_extents,
};
