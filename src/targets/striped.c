/* striped: <#stripes> <chunk size> [<dev> <offset>]+
 *
 * As the kernel's dm-stripe.c: the target is cut into chunks of
 * <chunk size> sectors dealt round-robin to the stripes, so with
 * x = offset in the target,
 *     chunk = x / chunk_size, stripe = chunk % #stripes,
 *     lower = offset[stripe] + (chunk / #stripes) * chunk_size + x % chunk_size.
 * `map` returns at most the rest of the current chunk; the core calls it
 * again for the rest of a request.  The chunk size must be a power of two
 * of at least 8 sectors (4 KiB), the target length a multiple of the
 * number of stripes, and each stripe's share a multiple of the chunk.
 */
#include <errno.h>
#include <stdlib.h>

#include "targets/registry.h"

struct stripe {
	struct dev *dev;
	uint64_t start; /* sectors on dev */
};

struct stripe_c {
	uint32_t stripes;
	uint32_t chunk_size;  /* sectors */
	uint64_t chunk_bytes;
	uint64_t width;       /* sectors per stripe */
	struct stripe stripe[];
};

#define MIN_CHUNK_SECTORS 8

static int stripe_ctr(struct dm_target *ti, struct arg_set *as)
{
	struct stripe_c *sc;
	uint32_t stripes, chunk_size;
	uint64_t width;

	if (as->argc < 2) {
		ti->error = "Not enough arguments";
		return -EINVAL;
	}
	if (arg_u32(as, 1, UINT32_MAX, &stripes)) {
		ti->error = "Invalid stripe count";
		return -EINVAL;
	}
	if (arg_u32(as, 1, UINT32_MAX, &chunk_size)) {
		ti->error = "Invalid chunk_size";
		return -EINVAL;
	}
	if (!is_pow2_u64(chunk_size) || chunk_size < MIN_CHUNK_SECTORS) {
		ti->error = "Invalid chunk size";
		return -EINVAL;
	}
	if (ti->len % stripes) {
		ti->error = "Target length not divisible by number of stripes";
		return -EINVAL;
	}
	width = ti->len / stripes;
	if (width % chunk_size) {
		ti->error = "Target length not divisible by chunk size";
		return -EINVAL;
	}
	if ((uint64_t)as->argc != 2 * (uint64_t)stripes) {
		ti->error = "Not enough destinations specified";
		return -EINVAL;
	}

	sc = calloc(1, sizeof(*sc) + stripes * sizeof(sc->stripe[0]));
	if (!sc) {
		ti->error = "Memory allocation for striped context failed";
		return -ENOMEM;
	}
	sc->stripes = stripes;
	sc->chunk_size = chunk_size;
	sc->chunk_bytes = to_bytes(chunk_size);
	sc->width = width;

	for (uint32_t i = 0; i < stripes; i++) {
		const char *path = arg_shift(as);
		int r;

		if (arg_u64(as, &sc->stripe[i].start) ||
		    sc->stripe[i].start > (UINT64_MAX >> SECTOR_SHIFT)) {
			ti->error = "Couldn't parse stripe destination";
			free(sc);
			return -EINVAL;
		}
		r = dm_get_device(ti, path, &sc->stripe[i].dev);
		if (r) {
			free(sc);
			return r;
		}
	}
	ti->private = sc;
	return 0;
}

static void stripe_dtr(struct dm_target *ti)
{
	free(ti->private);
}

static int stripe_map(struct dm_target *ti, uint64_t off, uint64_t len, struct dm_remap *out)
{
	struct stripe_c *sc = ti->private;
	uint64_t chunk = off / sc->chunk_bytes;
	uint64_t in_chunk = off % sc->chunk_bytes;
	uint32_t stripe = (uint32_t)(chunk % sc->stripes);
	uint64_t left = sc->chunk_bytes - in_chunk;

	chunk /= sc->stripes;
	out->dev = sc->stripe[stripe].dev;
	out->off = to_bytes(sc->stripe[stripe].start) + chunk * sc->chunk_bytes + in_chunk;
	out->len = len < left ? len : left;
	return 0;
}

static void stripe_status(struct dm_target *ti, enum status_type type, char *buf, size_t maxlen)
{
	struct stripe_c *sc = ti->private;

	switch (type) {
	case STATUSTYPE_INFO:
		/* No end_io to count errors on: every stripe is alive. */
		dm_emit(buf, maxlen, "%u ", sc->stripes);
		for (uint32_t i = 0; i < sc->stripes; i++)
			dm_emit(buf, maxlen, "%s ", dm_device_name(ti, sc->stripe[i].dev));
		dm_emit(buf, maxlen, "1 ");
		for (uint32_t i = 0; i < sc->stripes; i++)
			dm_emit(buf, maxlen, "A");
		break;
	case STATUSTYPE_TABLE_KEYS: /* dm_table_format passes TABLE */
	case STATUSTYPE_TABLE:
		dm_emit(buf, maxlen, "%u %u", sc->stripes, sc->chunk_size);
		for (uint32_t i = 0; i < sc->stripes; i++)
			dm_emit(buf, maxlen, " %s %llu", dm_device_name(ti, sc->stripe[i].dev),
				(unsigned long long)sc->stripe[i].start);
		break;
	}
}

static int stripe_iterate_devices(struct dm_target *ti, iterate_devices_fn fn, void *data)
{
	struct stripe_c *sc = ti->private;
	int r = 0;

	for (uint32_t i = 0; i < sc->stripes && !r; i++)
		r = fn(ti, sc->stripe[i].dev, to_bytes(sc->stripe[i].start), to_bytes(sc->width),
		       data);
	return r;
}

const struct target_type striped_target = {
	.name = "striped",
	.version = { 1, 6, 0 },
	.ctr = stripe_ctr,
	.dtr = stripe_dtr,
	.map = stripe_map,
	.status = stripe_status,
	.iterate_devices = stripe_iterate_devices,
};
