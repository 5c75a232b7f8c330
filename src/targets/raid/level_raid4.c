/* raid4: one dedicated parity device.  dm-raid maps "raid4" to md level 5
 * with ALGORITHM_PARITY_0 (linux dm-raid.c: raid_types[]), so the parity
 * is on the *first* device and data index k on device k + 1, unlike
 * native md level 4 (parity last). */
#include "targets/raid/raid_level.h"

#define ALGORITHM_PARITY_0 4

static void raid4_stripe(const struct raid_geom *g, uint64_t stripe, struct raid_stripe *st)
{
	(void)stripe;
	st->pd = 0;
	st->qd = RAID_NO_DEV;
	st->ddf = false;
	st->ndata = g->ndata;
	for (unsigned k = 0; k < g->ndata; k++)
		st->data[k] = k + 1;
}

static const struct raid_parity raid4_parity = { .nparity = 1, .stripe = raid4_stripe };

static int raid4_setup(struct raid_geom *g, const struct raid_params *p, const char **why)
{
	return raid_parity_setup(g, p, 5, ALGORITHM_PARITY_0, &raid4_parity, why);
}

const struct raid_level raid_level_raid4 = {
	.name = "raid4",
	.min_devs = 2,
	.redundant = true,
	.setup = raid4_setup,
	.map = raid_parity_map,
	.parity = &raid4_parity,
};
