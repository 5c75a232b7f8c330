/* raid10: md's near, far and offset layouts (drivers/md/raid10.c:
 * setup_geo, calc_sectors, __raid10_find_phys), with dm-raid's layout
 * words: near = copies | 1 << 8; far and offset add the "far sets" bit
 * 18 unless raid10_use_near_sets (dm-raid.c: raid10_format_to_md_layout).
 * Chunks are dealt raid0-style with nc near copies side by side; each of
 * those has fc - 1 far copies, nc devices on (within its far set) and
 * stride sectors further down (one chunk further for offset).
 */
#include <errno.h>
#include <stdio.h>

#include "common/args.h"
#include "dm/target.h"
#include "targets/raid/raid_level.h"

static int setup(struct raid_geom *g, const struct raid_params *p, enum raid10_format f, const char **why)
{
	unsigned copies = p->copies ? p->copies : 2, sets;
	uint64_t dev, size;

	if (!is_pow2_u64(p->chunk) || p->chunk < 8) {
		*why = "raid10 needs a chunk size that is a power of two of at least 8 sectors";
		return -EINVAL;
	}
	if (copies < 2 || copies > g->ndevs) {
		*why = "raid10_copies must be at least 2 and at most the number of devices";
		return -EINVAL;
	}
	g->chunk = p->chunk;
	g->nc = f == RAID10_NEAR ? copies : 1;
	g->fc = f == RAID10_NEAR ? 1 : copies;
	g->far_offset = f == RAID10_OFFSET;
	g->md_level = 10;
	g->md_layout = g->nc | g->fc << 8 | (g->far_offset ? 1u << 16 : 0);
	sets = 0;
	if (f != RAID10_NEAR && !p->near_sets) {
		g->md_layout |= 1u << 18;
		sets = 2;
	}
	g->far_set_size = sets == 2 ? g->fc * g->nc : g->ndevs;
	if (g->array_sectors % g->chunk || (g->array_sectors * copies) % g->ndevs) {
		*why = "Target length not divisible by the chunk size and number of data devices";
		return -EINVAL;
	}
	/* dm-raid's per-device size, then md's calc_sectors on it */
	dev = g->array_sectors * copies / g->ndevs;
	size = dev / g->chunk / g->fc * g->ndevs / g->nc;        /* array chunks */
	if (size * g->chunk < g->array_sectors) {
		*why = "Target length too large for this raid10 layout";
		return -EINVAL;
	}
	size = (size * copies + g->ndevs - 1) / g->ndevs;      /* device chunks used */
	g->dev_sectors = size * g->chunk;
	g->stride = g->far_offset ? g->chunk : size / g->fc * g->chunk;
	g->sync_sectors = g->array_sectors;
	return 0;
}

static int near_setup(struct raid_geom *g, const struct raid_params *p, const char **why)
{
	return setup(g, p, p->format, why);
}

static int near_only(struct raid_geom *g, const struct raid_params *p, const char **why)
{
	return setup(g, p, RAID10_NEAR, why);
}

static int far_only(struct raid_geom *g, const struct raid_params *p, const char **why)
{
	return setup(g, p, RAID10_FAR, why);
}

static int offset_only(struct raid_geom *g, const struct raid_params *p, const char **why)
{
	return setup(g, p, RAID10_OFFSET, why);
}

static unsigned raid10_map(const struct raid_geom *g, uint64_t s, struct raid_copy *out, uint64_t *run)
{
	unsigned last_set_start = (g->ndevs / g->far_set_size - 1) * g->far_set_size;
	unsigned last_set_size = g->far_set_size + g->ndevs % g->far_set_size;
	uint64_t in = s % g->chunk, chunk = s / g->chunk * g->nc;
	uint64_t stripe = chunk / g->ndevs, sector;
	unsigned dev = (unsigned)(chunk % g->ndevs), slot = 0;

	if (g->far_offset)
		stripe *= g->fc;
	sector = in + stripe * g->chunk;
	for (unsigned n = 0; n < g->nc; n++) {
		unsigned d = dev;
		uint64_t x = sector;

		out[slot++] = (struct raid_copy){ d, x };
		for (unsigned f = 1; f < g->fc; f++) {
			unsigned set = d / g->far_set_size;

			d += g->nc;
			if (g->ndevs % g->far_set_size && d > last_set_start)
				d = (d - last_set_start) % last_set_size + last_set_start;
			else
				d = d % g->far_set_size + g->far_set_size * set;
			x += g->stride;
			out[slot++] = (struct raid_copy){ d, x };
		}
		if (++dev >= g->ndevs) {
			dev = 0;
			sector += g->chunk;
		}
	}
	*run = g->chunk - in;
	return slot;
}

static void raid10_print(const struct raid_geom *g, char *buf, size_t maxlen)
{
	unsigned copies = g->nc * g->fc;

	dm_emit(buf, maxlen, " raid10_copies %u raid10_format %s", copies,
		g->fc == 1 ? "near" : g->far_offset ? "offset" : "far");
	if (g->fc > 1 && !(g->md_layout & 1u << 18))
		dm_emit(buf, maxlen, " raid10_use_near_sets");
}

#define RAID10(var, type_name, setup_fn)       \
	const struct raid_level var = {        \
		.name = type_name,             \
		.min_devs = 2,                 \
		.redundant = true,             \
		.setup = setup_fn,             \
		.map = raid10_map,             \
		.print_params = raid10_print,  \
	}

RAID10(raid_level_raid10, "raid10", near_setup);
RAID10(raid_level_raid10_near, "raid10_near", near_only);
RAID10(raid_level_raid10_far, "raid10_far", far_only);
RAID10(raid_level_raid10_offset, "raid10_offset", offset_only);
