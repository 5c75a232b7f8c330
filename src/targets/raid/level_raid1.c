/* raid1: every device holds the whole array at the same sectors. */
#include <errno.h>
#include <stddef.h>

#include "targets/raid/raid_level.h"

static int raid1_setup(struct raid_geom *g, const struct raid_params *p, const char **why)
{
	(void)p;
	(void)why;
	g->dev_sectors = g->sync_sectors = g->array_sectors;
	g->md_level = 1;
	g->md_layout = 0;
	return 0;
}

static unsigned raid1_map(const struct raid_geom *g, uint64_t s, struct raid_copy *out, uint64_t *run)
{
	for (unsigned i = 0; i < g->ndevs; i++)
		out[i] = (struct raid_copy){ i, s };
	*run = g->array_sectors - s;
	return g->ndevs;
}

const struct raid_level raid_level_raid1 = {
	.name = "raid1",
	.min_devs = 1,
	.redundant = true,
	.setup = raid1_setup,
	.map = raid1_map,
};
