/* A cachevol made from --cachedevice (lvm2's _lv_create_cachevol), for
 * lvconvert and lvcreate --type cache|writecache: a linear LV named
 * <lv>_cache (else <lv>_cacheN, lvm2's generate_lv_name) on the PVs
 * given, of --cachesize or of all of them (each unused, after lvm2's
 * question), committed as lvm2's lv_create_single commits it; the attach
 * that follows takes it as --cachevol without asking to erase it.  If the
 * attach then fails, the new LV stays, as in lvm2. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/units.h"
#include "lvm/segtype.h"
#include "lvm/alloc.h"
#include "lvm/devices.h"
#include "lvm/segtype/cache_lv.h"

/* Extents allocated on @p. */
static uint64_t pv_allocated(const struct vg *vg, const struct vg_pv *p)
{
	uint64_t n = 0;

	for (unsigned l = 0; l < vg->nlv; l++)
		for (unsigned s = 0; s < vg->lv[l]->nseg; s++) {
			const struct lv_seg *sg = &vg->lv[l]->seg[s];

			for (unsigned a = 0; a < sg->narea; a++)
				n += sg->area[a].pv == p ? seg_area_len(sg) : 0;
		}
	return n;
}

int cache_vol_new(struct lv_change *ch, struct vg_lv **lvp, const struct lv_convert_req *req, struct vg_lv **out,
		  struct err *e)
{
	struct vg *vg = ch->h->vg;
	const struct vg_lv *lv = *lvp;
	char name[LVM_NAME_LEN], prefix[LVM_NAME_LEN], size[UNITS_BUF], q[2 * LVM_NAME_LEN + 128];
	char lvname[LVM_NAME_LEN];
	uint64_t extents = req->cache_size;
	struct vg_lv *fast;
	int r;

	if ((r = cache_origin_check(vg, lv, e)))
		return r;
	snprintf(lvname, sizeof(lvname), "%s", lv->name);
	if (!ch->nranges)
		return err_set(e, -EINVAL, "No cachedevice specified to create a cachevol.");
	for (unsigned i = 0; i < ch->nranges && !req->cache_size; i++) {
		const struct vg_pv *p = ch->ranges[i].pv;
		bool seen = false;

		for (unsigned k = 0; k < i; k++)
			seen |= ch->ranges[k].pv == p;
		if (seen)
			continue;
		const char *dev = p->path ? p->path : p->device ? p->device : "?";

		if (pv_allocated(vg, p))
			return err_set(e, -EBUSY, "PV %s is in use, --cachesize is required.", dev);
		snprintf(q, sizeof(q), "Use all %s from %s for cache?",
			 lv_change_size(size, (uint64_t)p->pe_count * vg->extent_size), dev);
		if (ch->confirm && !ch->confirm(ch->ctx, q)) {
			fprintf(ch->out, "  Use --cachesize SizeMB to use a part of the cachedevice.\n");
			return err_set(e, -ECANCELED, "Conversion aborted.");
		}
		extents += p->pe_count;
	}
	if (!extents || extents > UINT32_MAX)
		return err_set(e, -EINVAL, "Invalid cache size.");
	snprintf(name, sizeof(name), "%s_cache", lv->name);
	if (vg_find_lv(vg, name)) {
		snprintf(prefix, sizeof(prefix), "%s_cache", lv->name);
		vg_next_lv_name_prefix(vg, prefix, name, sizeof(name));
	}
	if ((r = vg_check_new_lv_name(vg, name, e)))
		return r;
	fprintf(ch->out, "  Creating cachevol LV %s with size %s.\n", name,
		lv_change_size(size, extents * vg->extent_size));
	if ((r = lv_change_add_hidden(ch, name, (uint32_t)extents, false, &fast, e)))
		return r;
	fast->status |= FLAG(LVF_VISIBLE);
	if ((r = lvm_vg_commit(ch->env, ch->h, e)))
		return r;
	fprintf(ch->out, "  Logical volume \"%s\" created.\n", name);
	*out = vg_find_lv(ch->h->vg, name);
	*lvp = vg_find_lv(ch->h->vg, lvname);
	return *out && *lvp ? 0 : err_set(e, -ENOENT, "LV %s/%s went away.", vg->name, *out ? lvname : name);
}
