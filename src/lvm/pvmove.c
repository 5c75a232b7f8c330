/* pvmove (pvmove.h).
 *
 * Setup, in one commit as lvm2 writes it: the next free pvmoveN LV
 * (READ, WRITE, PVMOVE, LOCKED; hidden; allocation contiguous); for each
 * LV in VG order, each of its linear/striped segments in LE order, each
 * area on the source PV (within its PE ranges; a linear segment is split
 * at their ends): destination extents, one mirror segment (source leg,
 * destination leg, extents_moved 0) appended to pvmoveN per destination
 * run (a linear LV segment is split to match), and the LV area replaced
 * by (pvmoveN, that LE); the LV gets LOCKED.
 *
 * --atomic, as lvm2: the pieces go, in the same order, into two hidden
 * LVs pvmoveN_mimage_0 (the sources) and _1 (the destinations), and
 * pvmoveN has one mirror segment over them; the LVs point at pvmoveN as
 * before.  Nothing is checkpointed until all of it is in sync, so an
 * abort leaves every LV on its source.
 *
 * Crash argument.  Until a segment is checkpointed its LV reads the
 * source (linear on it, or the mirror whose default leg it is, which
 * every write reaches), so a crash of the command or of ulvmd loses
 * nothing: the running segment is copied again from its start.  A
 * checkpoint (extents_moved = length) is committed only after the mirror
 * reported the segment in sync; from then on the segment is linear on
 * the destination.  The finish commits the LVs on their new PVs before
 * their tables are switched, then the pvmove device goes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lvm/activate.h"
#include "lvm/pvmove.h"
#include "lvm/segtype.h"
#include "lvm/segtype/mirror_lv.h"

struct vg_pv *pvmove_source(const struct vg_lv *mv)
{
	for (unsigned i = 0; i < mv->nseg; i++) {
		const struct lv_seg *s = &mv->seg[i];

		if (s->st != &segtype_mirror || !s->narea)
			continue;
		if (s->area[0].pv)
			return s->area[0].pv;
		if (s->area[0].lv && s->area[0].lv->nseg && s->area[0].lv->seg[0].narea) /* --atomic: _mimage_0 */
			return s->area[0].lv->seg[0].area[0].pv;
	}
	return NULL;
}

/* Where LE @off of leg @leg is: a PV range, or inside an _mimage LV. */
static int map_leg(const struct lv_area *leg, uint32_t off, uint32_t len, struct lv_area *out)
{
	uint32_t le;

	if (leg->pv) {
		*out = (struct lv_area){ .pv = leg->pv, .pe = leg->pe + off };
		return 0;
	}
	le = leg->pe + off;
	for (unsigned i = 0; leg->lv && i < leg->lv->nseg; i++) {
		const struct lv_seg *s = &leg->lv->seg[i];

		if (s->narea == 1 && s->area[0].pv && le >= s->le && le + len <= s->le + s->len) {
			*out = (struct lv_area){ .pv = s->area[0].pv, .pe = s->area[0].pe + (le - s->le) };
			return 0;
		}
	}
	return -EINVAL;
}

struct vg_lv *pvmove_find(const struct vg *vg, const struct vg_pv *src)
{
	for (unsigned i = 0; i < vg->nlv; i++) {
		struct vg_lv *lv = vg->lv[i];

		if (lv->status & FLAG(LVF_PVMOVE) && lv_segtype(lv) == &segtype_mirror &&
		    (!src || pvmove_source(lv) == src))
			return lv;
	}
	return NULL;
}

/* Split segment @i of @lv (striped) at LE @at, inside it. */
static int seg_split(struct vg_lv *lv, unsigned i, uint32_t at, struct err *e)
{
	struct lv_seg *seg = realloc(lv->seg, (lv->nseg + 1) * sizeof(*seg)), *a, *b;
	uint32_t off;

	if (!seg)
		return err_set(e, -ENOMEM, "out of memory");
	lv->seg = seg;
	memmove(&lv->seg[i + 1], &lv->seg[i], (lv->nseg - i) * sizeof(*seg));
	lv->nseg++;
	a = &lv->seg[i];
	b = &lv->seg[i + 1];
	off = (at - a->le) / a->narea;
	b->area = malloc(a->narea * sizeof(*b->area));
	b->type = strdup(a->type);
	memset(&b->tags, 0, sizeof(b->tags));
	for (unsigned k = 0; k < a->tags.n; k++)
		strv_add(&b->tags, a->tags.s[k]);
	if (!b->area || !b->type)
		return err_set(e, -ENOMEM, "out of memory");
	for (unsigned k = 0; k < a->narea; k++) {
		b->area[k] = a->area[k];
		b->area[k].pe += off;
	}
	b->le = at;
	b->len = a->le + a->len - at;
	a->len = at - a->le;
	return 0;
}

static bool wanted_lv(const struct vg *vg, const struct vg_lv *lv, const char *name)
{
	for (const struct vg_lv *x = lv; name && x; x = lv_owner(vg, x))
		if (!strcmp(x->name, name))
			return true;
	return !name;
}

/* The part [first, last] of @src's PEs that the ranges allow, for an
 * area [pe, pe + len): 0 with the area offsets [lo, hi), or -1: none. */
static int src_window(const struct pvmove_req *req, uint32_t pe, uint32_t len, uint32_t *lo, uint32_t *hi)
{
	if (!req->nsrc) {
		*lo = 0;
		*hi = len;
		return 0;
	}
	for (unsigned i = 0; i < req->nsrc; i++) {
		uint64_t f = req->src_ranges[i].first, l = req->src_ranges[i].last;

		if (l < pe || f >= (uint64_t)pe + len)
			continue;
		*lo = f > pe ? (uint32_t)(f - pe) : 0;
		*hi = l + 1 < (uint64_t)pe + len ? (uint32_t)(l + 1 - pe) : len;
		return 0;
	}
	return -1;
}

/* Cut @lv's linear segments on the source at the ends of its PE ranges. */
static int split_at_ranges(struct vg_lv *lv, const struct pvmove_req *req, struct err *e)
{
	int r;

	for (unsigned i = 0; i < lv->nseg; i++) {
		struct lv_seg *s = &lv->seg[i];
		uint32_t lo, hi;

		if (s->st != &segtype_striped || !s->striped || s->narea != 1 || s->area[0].pv != req->src ||
		    src_window(req, s->area[0].pe, s->len, &lo, &hi))
			continue;
		if (hi < s->len && (r = seg_split(lv, i, s->le + hi, e)))
			return r;
		if (lo && (r = seg_split(lv, i, lv->seg[i].le + lo, e)))
			return r;
	}
	return 0;
}

/* The index after the last '_' of a sub-LV's name ("r_rimage_1": 1), or -1. */
static long sub_index(const char *name)
{
	const char *u = strrchr(name, '_');
	char *end;
	long n;

	if (!u || !u[1])
		return -1;
	n = strtol(u + 1, &end, 10);
	return *end ? -1 : n;
}

/* Another sub-LV of @lv's owner, with another index, uses @pv. */
static bool sibling_uses(const struct vg *vg, const struct vg_lv *lv, const struct vg_pv *pv)
{
	const struct vg_lv *o = lv_owner(vg, lv);

	for (unsigned i = 0; o && i < vg->nlv; i++) {
		const struct vg_lv *x = vg->lv[i];

		if (x != lv && lv_owner(vg, x) == o && sub_index(x->name) != sub_index(lv->name) && lv_uses_pv(x, pv))
			return true;
	}
	return false;
}

/* Destination extents for one area of segment @si of @lv, and the mirror
 * segments of @mv that copy it; the area then names @mv. */
static int move_area(struct vg *vg, struct vg_lv *mv, struct vg_lv **img, struct vg_lv *lv, unsigned si, unsigned k,
		     const struct pvmove_req *req, struct err *e)
{
	struct lv_seg *s = &lv->seg[si];
	uint32_t alen = seg_area_len(s);
	struct alloc_range rg[256];
	struct alloc_req ar = { .extents = alen, .stripes = 1, .policy = ALLOC_NORMAL, .ranges = rg };
	struct vg_lv *tmp;
	unsigned n = 0;
	int r;

	/* where: the PVs named, else every other PV; never the source, nor
	 * a PV another stripe of this segment uses, nor one a sibling image
	 * of the same raid or mirror LV uses (its redundancy) */
	for (unsigned i = 0; i < (req->ndst ? req->ndst : vg->npv) && n < 256; i++) {
		struct alloc_range x = req->ndst ? req->dst[i] : (struct alloc_range){ vg->pv[i], 0, UINT32_MAX };
		bool skip = x.pv == req->src || !x.pv->pv;

		for (unsigned j = 0; j < s->narea; j++)
			skip |= j != k && s->area[j].pv == x.pv;
		skip |= sibling_uses(vg, lv, x.pv);
		if (!skip)
			rg[n++] = x;
	}
	ar.nranges = n;
	if (!n || alloc_free_extents(vg, &ar) < alen)
		return err_set(e, -ENOSPC, "Insufficient suitable allocatable extents for %s/%s: %u more required",
			       vg->name, lv->name, alen);
	if ((r = vg_add_lv(vg, "pvmove_tmp", &tmp, e)))
		return r;
	if ((r = alloc_extend(vg, tmp, &ar, e))) {
		vg_remove_lv(vg, tmp);
		return r;
	}
	if (tmp->nseg > 1 && s->narea > 1) {
		vg_remove_lv(vg, tmp);
		return err_set(e, -ENOSPC, "Insufficient contiguous free extents for stripe %u of %s/%s (%u needed)", k,
			       vg->name, lv->name, alen);
	}
	/* a linear LV segment splits where the destination does */
	for (unsigned j = tmp->nseg; j-- > 1 && !r;)
		r = seg_split(lv, si, lv->seg[si].le + tmp->seg[j].le, e);
	for (unsigned j = 0; j < tmp->nseg && !r; j++) {
		struct lv_seg *p = &lv->seg[si + j];
		struct lv_area src = p->area[k], dst = tmp->seg[j].area[0];

		if (img) { /* --atomic: the pieces in the two images, in step */
			if (!(r = lv_add_striped(img[0], 1, &src, tmp->seg[j].len, 0, e)) &&
			    !(r = lv_add_striped(img[1], 1, &dst, tmp->seg[j].len, 0, e)))
				p->area[k] = (struct lv_area){ .lv = mv, .pe = img[0]->le_count - tmp->seg[j].len };
		} else if (!(r = mirror_add_pvmove_seg(mv, tmp->seg[j].len, &src, &dst, e))) {
			p->area[k] = (struct lv_area){ .lv = mv, .pe = mv->le_count - tmp->seg[j].len };
		}
	}
	vg_remove_lv(vg, tmp);
	lv->status |= FLAG(LVF_LOCKED);
	return r;
}

static struct vg_lv *top_of(const struct vg *vg, struct vg_lv *lv)
{
	struct vg_lv *o;

	while ((o = lv_owner(vg, lv)))
		lv = o;
	return lv;
}

/* Bring the active LVs that use @mv (and @mv itself) to the VG's plan. */
static int restack_users(const struct lvm_env *env, const struct vg *vg, struct dmctl *d, const struct vg_lv *mv,
			 bool moved_only, struct err *e)
{
	int r = 0;

	for (unsigned i = 0; i < vg->nlv && !r; i++) {
		struct vg_lv *lv = vg->lv[i];

		if (lv == mv || (moved_only && !(lv->status & FLAG(LVF_LOCKED))) || lv_owner(vg, lv))
			continue;
		r = lv_dm_restack(d, env, vg, top_of(vg, lv), e);
	}
	return r;
}

int pvmove_activate(const struct lvm_env *env, struct vgh *h, struct dmctl *d, struct vg_lv *mv, struct err *e)
{
	struct lv_plan p;
	int r;

	if ((r = lv_plan_build(&p, h->vg, env, mv, e)))
		return r;
	p.dev[p.n - 1].readonly = false;
	r = lv_plan_load(d, &p, e);
	lv_plan_free(&p);
	return r ? r : restack_users(env, h->vg, d, mv, true, e);
}

int pvmove_start(struct lvm_env *env, struct vgh *h, struct dmctl *d, const struct pvmove_req *req, FILE *out,
		 struct vg_lv **out_mv, struct err *e)
{
	struct vg *vg = h->vg;
	char name[32], iname[48];
	struct vg_lv *mv, *img[2] = { NULL, NULL };
	unsigned skipped = 0, nlv = vg->nlv;
	int r;

	for (unsigned i = 0;; i++) {
		snprintf(name, sizeof(name), "pvmove%u", i);
		if (!vg_find_lv(vg, name))
			break;
	}
	if ((r = vg_add_lv(vg, name, &mv, e)))
		return r;
	mv->status = FLAG(LVF_READ) | FLAG(LVF_WRITE) | FLAG(LVF_PVMOVE) | FLAG(LVF_LOCKED);
	if (!(mv->alloc = strdup("contiguous")))
		return err_set(e, -ENOMEM, "out of memory");
	for (unsigned i = 0; req->atomic && i < 2; i++) {
		snprintf(iname, sizeof(iname), "%s_mimage_%u", name, i);
		if ((r = vg_add_lv(vg, iname, &img[i], e)))
			return r;
		img[i]->status = FLAG(LVF_READ) | FLAG(LVF_WRITE);
	}
	for (unsigned l = 0; l < nlv; l++) {
		struct vg_lv *lv = vg->lv[l];

		if (lv == mv || lv == img[0] || lv == img[1] || !lv_uses_pv(lv, req->src) ||
		    !wanted_lv(vg, lv, req->lv_name))
			continue;
		if (lv->status & (FLAG(LVF_LOCKED) | FLAG(LVF_PVMOVE))) {
			fprintf(out, "  Skipping locked LV %s/%s.\n", vg->name, lv->name);
			skipped++;
			continue;
		}
		if ((r = split_at_ranges(lv, req, e)))
			return r;
		for (unsigned i = 0; i < lv->nseg; i++) {
			struct lv_seg *s = &lv->seg[i];
			uint32_t lo, hi;

			if (s->st != &segtype_striped || !s->striped)
				continue;
			for (unsigned k = 0; k < s->narea; k++) {
				if (s->area[k].pv != req->src ||
				    src_window(req, s->area[k].pe, seg_area_len(s), &lo, &hi) ||
				    (lo || hi < seg_area_len(s))) /* a stripe only moves whole */
					continue;
				if ((r = move_area(vg, mv, req->atomic ? img : NULL, lv, i, k, req, e)))
					return r;
				s = &lv->seg[i]; /* split, maybe */
			}
		}
	}
	if (req->atomic && img[0]->nseg &&
	    (r = mirror_add_pvmove_seg(mv, img[0]->le_count, &(struct lv_area){ .lv = img[0] },
				       &(struct lv_area){ .lv = img[1] }, e)))
		return r;
	if (!mv->nseg) {
		if (skipped)
			fprintf(out, "  All data on source PV skipped. It contains locked, hidden or non-top level LVs only.\n");
		return err_set(e, -ENODATA, "No data to move for %s.", vg->name);
	}
	if ((r = lvm_vg_commit(env, h, e)))
		return r;
	*out_mv = vg_find_lv(h->vg, name);
	if (!dmctl_up(d))
		return 0;
	if ((r = pvmove_activate(env, h, d, *out_mv, e)))
		return err_set(e, r, "ABORTING: Temporary pvmove mirror activation failed. Run pvmove --abort. (%s)",
			       e->msg);
	return 0;
}

int pvmove_poll(struct lvm_env *env, struct vgh *h, struct dmctl *d, struct vg_lv *mv, double *pct, bool *done,
		struct err *e)
{
	char name[LV_DM_NAME_MAX];
	uint64_t copied, total, a, b;
	int running, r;

	*done = false;
	lv_dm_name(h->vg, mv, name);
	if (!lv_dm_active(d, h->vg, mv))
		return err_set(e, -ENODEV, "Interrupted: No longer active.");
	if ((r = mirror_pvmove_progress(d, mv, name, &copied, &total, &running, e)))
		return r;
	*pct = total ? 100.0 * (double)copied / (double)total : 100.0;
	if (running < 0) {
		*done = true;
		return 0;
	}
	if (mirror_sync_of(d, name, &a, &b) || a < b)
		return 0;
	/* the running segment is in sync: checkpoint it, the next one starts */
	((struct mirror_seg *)mv->seg[running].priv)->extents_moved = mv->seg[running].len;
	if ((r = lvm_vg_commit(env, h, e)))
		return r;
	return lv_dm_reload(d, env, h->vg, mv, e);
}

int pvmove_finish(struct lvm_env *env, struct vgh *h, struct dmctl *d, struct vg_lv *mv, struct err *e)
{
	struct vg *vg = h->vg;
	char name[LV_DM_NAME_MAX];
	struct lv_plan plan;
	int r;

	lv_dm_name(vg, mv, name);
	/* its devices (an --atomic move's images too), to take down at the end
	 * (none to know of when it cannot be planned: a PV is missing) */
	if (lv_plan_build(&plan, vg, env, mv, &(struct err){ { 0 } }))
		plan = (struct lv_plan){ 0 };
	for (unsigned l = 0; l < vg->nlv; l++) {
		struct vg_lv *lv = vg->lv[l];
		bool used = false;

		for (unsigned i = 0; lv != mv && i < lv->nseg; i++)
			for (unsigned k = 0; k < lv->seg[i].narea; k++) {
				struct lv_area *a = &lv->seg[i].area[k];
				const struct lv_seg *ms = NULL;

				if (a->lv != mv)
					continue;
				for (unsigned j = 0; j < mv->nseg && !ms; j++)
					if (a->pe >= mv->seg[j].le && a->pe + seg_area_len(&lv->seg[i]) <= mv->seg[j].le + mv->seg[j].len)
						ms = &mv->seg[j];
				if (!ms || map_leg(&ms->area[((const struct mirror_seg *)ms->priv)->extents_moved == ms->len &&
							      ms->narea > 1 ? 1 : 0],
						   a->pe - ms->le, seg_area_len(&lv->seg[i]), a))
					return err_set(e, -EINVAL, "LV %s/%s: LE %u of %s is no segment of its own", vg->name,
						       lv->name, a->pe, mv->name);
				used = true;
			}
		if (used || (lv != mv && lv->status & FLAG(LVF_LOCKED))) {
			lv->status &= ~FLAG(LVF_LOCKED);
			lv_merge_segments(lv);
		}
	}
	{ /* --atomic: its images go with it */
		struct vg_lv *img[2] = { NULL, NULL };

		for (unsigned j = 0; j < mv->nseg; j++)
			for (unsigned k = 0; k < mv->seg[j].narea && k < 2; k++)
				if (mv->seg[j].area[k].lv)
					img[k] = mv->seg[j].area[k].lv;
		vg_remove_lv(vg, mv);
		for (unsigned k = 0; k < 2; k++)
			if (img[k])
				vg_remove_lv(vg, img[k]);
	}
	if ((r = lvm_vg_commit(env, h, e)) || !dmctl_up(d) || (r = restack_users(env, h->vg, d, NULL, false, e))) {
		lv_plan_free(&plan);
		return r;
	}
	/* top-down, by name and uuid: the plan's LV pointers are gone with the LV */
	for (unsigned i = plan.n; i-- > 0 && !r;)
		if (dmctl_device(d, plan.dev[i].name, plan.dev[i].uuid, NULL) == 1)
			r = dmctl_remove(d, plan.dev[i].name, e);
	if (!r && !plan.n && dmctl_exists(d, name)) /* unplanned: its own device at least */
		r = dmctl_remove(d, name, e);
	lv_plan_free(&plan);
	return r;
}
