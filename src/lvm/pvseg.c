/* PV segments (pvseg.h): the areas on one PV, sorted, gaps filled. */
#include <errno.h>
#include <stdlib.h>

#include "lvm/pvseg.h"

static int by_pe(const void *a, const void *b)
{
	const struct pvseg *x = a, *y = b;

	return x->pe < y->pe ? -1 : x->pe > y->pe ? 1 : x->len < y->len ? -1 : x->len > y->len;
}

int pv_segments(const struct vg *vg, const struct vg_pv *pv, struct pvseg **out, unsigned *n)
{
	struct pvseg *used = NULL, *all;
	unsigned nused = 0, cap = 0, k = 0;
	uint32_t at = 0;

	for (unsigned l = 0; l < vg->nlv; l++)
		for (unsigned i = 0; i < vg->lv[l]->nseg; i++) {
			const struct lv_seg *s = &vg->lv[l]->seg[i];

			for (unsigned j = 0; j < s->narea; j++) {
				if (s->area[j].pv != pv)
					continue;
				if (nused == cap) {
					struct pvseg *m = realloc(used, (cap = cap ? 2 * cap : 16) * sizeof(*m));

					if (!m) {
						free(used);
						return -ENOMEM;
					}
					used = m;
				}
				used[nused++] = (struct pvseg){ s->area[j].pe, seg_area_len(s), vg->lv[l], s };
			}
		}
	if (nused)
		qsort(used, nused, sizeof(*used), by_pe);
	/* each used one may be preceded by a gap; one more after the last */
	if (!(all = calloc(2 * (size_t)nused + 1, sizeof(*all)))) {
		free(used);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < nused; i++) {
		if (used[i].pe > at)
			all[k++] = (struct pvseg){ at, used[i].pe - at, NULL, NULL };
		all[k++] = used[i];
		if (used[i].pe + used[i].len > at)
			at = used[i].pe + used[i].len;
	}
	if (at < pv->pe_count || !k)
		all[k++] = (struct pvseg){ at, pv->pe_count > at ? pv->pe_count - at : 0, NULL, NULL };
	free(used);
	*out = all;
	*n = k;
	return 0;
}
