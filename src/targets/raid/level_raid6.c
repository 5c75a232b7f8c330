/* raid6: P and Q per stripe, placed as MD's raid5_compute_sector does for
 * max_degraded == 2 and the layouts dm-raid names (linux dm-raid.c:
 * raid_types[]).  n devices, n - 2 data chunks, s = stripe mod n:
 *   zr (rotating zero restart, 8)  P on s; Q after it, or on 0 when P is
 *                                  last; data k on k (+2 past P, +1 when
 *                                  Q is on 0); DDF Q order (LVM's raid6)
 *   nr (rotating N restart, 9)     as zr with P on n-1-((stripe+1) mod n)
 *   nc (rotating N continue, 10)   P on n-1-s, Q on P-1, data k on
 *                                  (P+1+k) mod n; DDF Q order
 *   n_6 (parity N, 5)              P on n-2, Q on n-1, data k on k
 *   la_6, ra_6, ls_6, rs_6 (16-19) raid5's la/ra/ls/rs over the first
 *                                  n-1 devices, Q on the last
 */
#include "targets/raid/raid_level.h"

enum { PARITY_N = 5, ZR = 8, NR = 9, NC = 10, LA6 = 16, RA6 = 17, LS6 = 18, RS6 = 19 };

static void raid6_stripe(const struct raid_geom *g, uint64_t stripe, struct raid_stripe *st)
{
	unsigned n = g->ndevs, nd = g->ndata, pd, qd;
	bool restart = false, cont = false;

	st->ddf = false;
	switch (g->md_layout) {
	case ZR:
	case NR:
		pd = g->md_layout == ZR ? (unsigned)(stripe % n) : n - 1 - (unsigned)((stripe + 1) % n);
		qd = pd == n - 1 ? 0 : pd + 1;
		restart = true;
		st->ddf = true;
		break;
	case NC:
		pd = n - 1 - (unsigned)(stripe % n);
		qd = (pd + n - 1) % n;
		cont = true;
		st->ddf = true;
		break;
	case LA6:
	case LS6:
		pd = nd - (unsigned)(stripe % (n - 1));
		qd = n - 1;
		break;
	case RA6:
	case RS6:
		pd = (unsigned)(stripe % (n - 1));
		qd = n - 1;
		break;
	default:
		pd = nd;
		qd = nd + 1;
		break;
	}
	st->pd = pd;
	st->qd = qd;
	st->ndata = nd;
	for (unsigned k = 0; k < nd; k++) {
		unsigned d;

		if (restart)
			d = pd == n - 1 ? k + 1 : k >= pd ? k + 2 : k;
		else if (cont)
			d = (pd + 1 + k) % n;
		else if (g->md_layout == LS6 || g->md_layout == RS6)
			d = (pd + 1 + k) % (n - 1);
		else if (g->md_layout == LA6 || g->md_layout == RA6)
			d = k >= pd ? k + 1 : k;
		else
			d = k;
		st->data[k] = d;
	}
}

static const struct raid_parity raid6_parity = { .nparity = 2, .stripe = raid6_stripe };

#define RAID6(var, type_name, layout)                              \
	static int setup_##layout(struct raid_geom *g, const struct raid_params *p, const char **why) \
	{                                                          \
		return raid_parity_setup(g, p, 6, layout, &raid6_parity, why); \
	}                                                          \
	const struct raid_level var = {                            \
		.name = type_name,                                 \
		.min_devs = 4,                                     \
		.redundant = true,                                 \
		.setup = setup_##layout,                           \
		.map = raid_parity_map,                            \
		.parity = &raid6_parity,                           \
	}

RAID6(raid_level_raid6_zr, "raid6_zr", ZR);
RAID6(raid_level_raid6_nr, "raid6_nr", NR);
RAID6(raid_level_raid6_nc, "raid6_nc", NC);
RAID6(raid_level_raid6_n_6, "raid6_n_6", PARITY_N);
RAID6(raid_level_raid6_la_6, "raid6_la_6", LA6);
RAID6(raid_level_raid6_ra_6, "raid6_ra_6", RA6);
RAID6(raid_level_raid6_ls_6, "raid6_ls_6", LS6);
RAID6(raid_level_raid6_rs_6, "raid6_rs_6", RS6);
