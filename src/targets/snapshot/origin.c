/* snapshot-origin <origin>
 *
 * The kernel's dm-snapshot origin: the origin device as its users see it
 * while it has snapshots.  Reads go straight to <origin>; a write first
 * lets every active snapshot of <origin> copy the chunks it touches
 * (snapshot.c), then writes.  Discards are dropped: they would change the
 * origin without a copy.
 */
#include <errno.h>

#include "targets/registry.h"
#include "targets/snapshot/snapshot.h"

static int origin_ctr(struct dm_target *ti, struct arg_set *as)
{
	const char *path = arg_shift(as);
	struct dev *dev;
	int r;

	if (!path || arg_shift(as)) {
		ti->error = "origin: incorrect number of arguments";
		return -EINVAL;
	}
	if ((r = dm_get_device(ti, path, &dev)))
		return r;
	if (to_bytes(ti->len) > dev->size) {
		ti->error = "origin: the device is smaller than the target";
		return -EINVAL;
	}
	ti->private = dev;
	return 0;
}

static int origin_map(struct dm_target *ti, uint64_t off, uint64_t len, struct dm_remap *out)
{
	*out = (struct dm_remap){ ti->private, off, len };
	return 0;
}

/* Every snapshot copies what [off, off + len) changes, then @buf (NULL:
 * zeroes) is written. */
static int cow_then_write(struct dm_target *ti, const void *buf, uint64_t len, uint64_t off, unsigned flags)
{
	struct dev *dev = ti->private;
	int r;

	snapshot_registry_read_lock();
	snapshot_origin_cow(dev, off, len);
	r = buf ? dev_write(dev, buf, (size_t)len, off, flags) : dev_write_zeroes(dev, off, len, flags);
	snapshot_registry_unlock();
	return r;
}

static int origin_write(struct dm_target *ti, const void *buf, size_t len, uint64_t off, unsigned flags)
{
	return cow_then_write(ti, buf, len, off, flags);
}

static int origin_write_zeroes(struct dm_target *ti, uint64_t off, uint64_t len, unsigned flags)
{
	return cow_then_write(ti, NULL, len, off, flags);
}

static int origin_discard(struct dm_target *ti, uint64_t off, uint64_t len)
{
	(void)ti, (void)off, (void)len;
	return 0;
}

static void origin_status(struct dm_target *ti, enum status_type type, char *buf, size_t maxlen)
{
	if (type == STATUSTYPE_TABLE)
		dm_emit(buf, maxlen, "%s", dm_device_name(ti, ti->private));
}

static int origin_iterate(struct dm_target *ti, iterate_devices_fn fn, void *data)
{
	return fn(ti, ti->private, 0, to_bytes(ti->len), data);
}

const struct target_type origin_target = {
	.name = "snapshot-origin",
	.version = { 1, 9, 0 },
	.ctr = origin_ctr,
	.map = origin_map,
	.write = origin_write,
	.write_zeroes = origin_write_zeroes,
	.discard = origin_discard,
	.status = origin_status,
	.iterate_devices = origin_iterate,
};
