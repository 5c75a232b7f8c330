/* raid5: one parity chunk per stripe, rotating as MD's layouts say
 * (linux raid5.c: raid5_compute_sector, the max_degraded == 1 branch).
 * n devices, n - 1 data chunks per stripe, s = stripe mod n:
 *   la (left asymmetric, 0)   P on n-1-s, data k on k (+1 past P)
 *   ra (right asymmetric, 1)  P on s,     data as la
 *   ls (left symmetric, 2)    P on n-1-s, data k on (P+1+k) mod n  (LVM's raid5)
 *   rs (right symmetric, 3)   P on s,     data as ls
 *   n  (parity N, 5)          P on n-1,   data k on k
 */
#include "targets/raid/raid_level.h"

enum { LA = 0, RA = 1, LS = 2, RS = 3, PARITY_N = 5 };

static void raid5_stripe(const struct raid_geom *g, uint64_t stripe, struct raid_stripe *st)
{
	unsigned n = g->ndevs, s = (unsigned)(stripe % n), pd;

	switch (g->md_layout) {
	case LA:
	case LS:
		pd = n - 1 - s;
		break;
	case RA:
	case RS:
		pd = s;
		break;
	default:
		pd = n - 1;
		break;
	}
	st->pd = pd;
	st->qd = RAID_NO_DEV;
	st->ddf = false;
	st->ndata = g->ndata;
	for (unsigned k = 0; k < g->ndata; k++) {
		if (g->md_layout == LS || g->md_layout == RS)
			st->data[k] = (pd + 1 + k) % n;
		else
			st->data[k] = k >= pd ? k + 1 : k;
	}
}

static const struct raid_parity raid5_parity = { .nparity = 1, .stripe = raid5_stripe };

#define RAID5(var, type_name, layout)                              \
	static int setup_##layout(struct raid_geom *g, const struct raid_params *p, const char **why) \
	{                                                          \
		return raid_parity_setup(g, p, 5, layout, &raid5_parity, why); \
	}                                                          \
	const struct raid_level var = {                            \
		.name = type_name,                                 \
		.min_devs = 2,                                     \
		.redundant = true,                                 \
		.setup = setup_##layout,                           \
		.map = raid_parity_map,                            \
		.parity = &raid5_parity,                           \
	}

RAID5(raid_level_raid5_la, "raid5_la", LA);
RAID5(raid_level_raid5_ra, "raid5_ra", RA);
RAID5(raid_level_raid5_ls, "raid5_ls", LS);
RAID5(raid_level_raid5_rs, "raid5_rs", RS);
RAID5(raid_level_raid5_n, "raid5_n", PARITY_N);
