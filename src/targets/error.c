/* error: every read, write and discard fails -EIO (dm-target.c io_err_*).
 *
 * As in the kernel the constructor ignores its arguments.  Flush has no
 * lower device to reach and succeeds (the core's default); write_zeroes
 * falls back to `write` and fails.  Extents are the core's default, data:
 * block status must describe a table that holds an error line, and the
 * reads there fail as they should.
 */
#include <errno.h>

#include "targets/registry.h"

static int io_err_ctr(struct dm_target *ti, struct arg_set *as)
{
	(void)ti;
	(void)as;
	return 0;
}

static int io_err_read(struct dm_target *ti, void *buf, size_t len, uint64_t off)
{
	(void)ti;
	(void)buf;
	(void)len;
	(void)off;
	return -EIO;
}

static int io_err_write(struct dm_target *ti, const void *buf, size_t len, uint64_t off,
			unsigned flags)
{
	(void)ti;
	(void)buf;
	(void)len;
	(void)off;
	(void)flags;
	return -EIO;
}

static int io_err_discard(struct dm_target *ti, uint64_t off, uint64_t len)
{
	(void)ti;
	(void)off;
	(void)len;
	return -EIO;
}

const struct target_type error_target = {
	.name = "error",
	.version = { 1, 7, 0 },
	.ctr = io_err_ctr,
	.read = io_err_read,
	.write = io_err_write,
	.discard = io_err_discard,
};
