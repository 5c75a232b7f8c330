/* linear <dev> <offset>: a range of one lower device. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "dm/target.h"

struct linear {
	struct dev *dev;
	uint64_t start; /* sectors */
};

static int linear_ctr(struct dm_target *ti, struct arg_set *as)
{
	struct linear *lc;
	const char *path;
	int r;

	if (as->argc != 2) {
		ti->error = "Invalid argument count";
		return -EINVAL;
	}
	lc = calloc(1, sizeof(*lc));
	if (!lc)
		return -ENOMEM;
	path = arg_shift(as);
	if (arg_u64(as, &lc->start) || lc->start > (UINT64_MAX >> SECTOR_SHIFT)) {
		free(lc);
		ti->error = "Invalid device sector";
		return -EINVAL;
	}
	r = dm_get_device(ti, path, &lc->dev);
	if (r) {
		free(lc);
		return r;
	}
	ti->private = lc;
	return 0;
}

static void linear_dtr(struct dm_target *ti)
{
	free(ti->private);
}

static int linear_map(struct dm_target *ti, uint64_t off, uint64_t len, struct dm_remap *out)
{
	struct linear *lc = ti->private;

	out->dev = lc->dev;
	out->off = to_bytes(lc->start) + off;
	out->len = len;
	return 0;
}

static void linear_status(struct dm_target *ti, enum status_type type, char *buf, size_t maxlen)
{
	struct linear *lc = ti->private;

	if (type == STATUSTYPE_TABLE)
		dm_emit(buf, maxlen, "%s %" PRIu64, dm_device_name(ti, lc->dev), lc->start);
}

static int linear_iterate_devices(struct dm_target *ti, iterate_devices_fn fn, void *data)
{
	struct linear *lc = ti->private;

	return fn(ti, lc->dev, to_bytes(lc->start), to_bytes(ti->len), data);
}

const struct target_type linear_target = {
	.name = "linear",
	.version = { 1, 4, 0 },
	.ctr = linear_ctr,
	.dtr = linear_dtr,
	.map = linear_map,
	.status = linear_status,
	.iterate_devices = linear_iterate_devices,
};
