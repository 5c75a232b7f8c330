/* raid0: chunks dealt round-robin to the devices, one copy (md's raid0
 * with equal-sized devices: one zone). */
#include <errno.h>
#include <stddef.h>

#include "common/args.h"
#include "targets/raid/raid_level.h"

static int raid0_setup(struct raid_geom *g, const struct raid_params *p, const char **why)
{
	if (!is_pow2_u64(p->chunk) || p->chunk < 8) {
		*why = "raid0 needs a chunk size that is a power of two of at least 8 sectors";
		return -EINVAL;
	}
	g->chunk = p->chunk;
	if (g->array_sectors % ((uint64_t)g->chunk * g->ndevs)) {
		*why = "Target length not divisible by the chunk size times the devices";
		return -EINVAL;
	}
	g->dev_sectors = g->array_sectors / g->ndevs;
	g->sync_sectors = 0;
	g->md_level = 0;
	g->md_layout = 0;
	return 0;
}

static unsigned raid0_map(const struct raid_geom *g, uint64_t s, struct raid_copy *out, uint64_t *run)
{
	uint64_t chunk = s / g->chunk, in = s % g->chunk;

	out[0] = (struct raid_copy){ (unsigned)(chunk % g->ndevs), chunk / g->ndevs * g->chunk + in };
	*run = g->chunk - in;
	return 1;
}

const struct raid_level raid_level_raid0 = {
	.name = "raid0",
	.min_devs = 1,
	.redundant = false,
	.setup = raid0_setup,
	.map = raid0_map,
};
