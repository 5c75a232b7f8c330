/* vgsplit and vgmerge (lvm2's tools/vgsplit.c, tools/vgmerge.c).
 *
 * vgsplit moves PVs (named, or those of one LV with -n) into a new or an
 * existing VG, and with them every LV whose extents all lie on those
 * PVs.  LVs are moved in groups: an LV with every LV its segments name
 * and every LV naming it (a raid LV and its images, a pool and its thin
 * LVs, an origin and its snapshots), so no reference ever crosses two
 * VGs; a group with extents on both sides refuses the split, naming it
 * (lvm2's checks per type come to the same).  A group on no PV at all
 * (an error or zero LV) moves too, as in lvm2.  The moving LVs must be
 * inactive; with an existing VG, every LV of the source must be (lvm2's
 * vgs_are_compatible).
 *
 * Crash argument (lvm2's order): the new VG is written first, flagged
 * EXPORTED, to the PVs that move; then the source without them; then the
 * new VG again without the flag.  A crash after the first write leaves
 * the moved PVs' areas holding an exported VG and the source still
 * listing them (lvm2's recovery: vgimport the new VG, or vgremove it and
 * split again); after the second, only the flag is left to clear
 * (vgimport).
 *
 * vgmerge writes the destination once, with the source's PVs and LVs;
 * the source is gone when every area that held it has the merged VG.
 *
 * The VGs are built whole (vg_compose: through the text), validated,
 * and only then written; a refusal writes nothing.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/lvm_cmds.h"
#include "lvm/activate.h"
#include "lvm/alloc.h"
#include "lvm/lvref.h"
#include "lvm/thin_lv.h"

/* A group of LVs that move together (union-find over the references). */
struct groups {
	const struct vg *vg;
	unsigned *up;
};

static unsigned group_of(const struct groups *g, unsigned i)
{
	while (g->up[i] != i)
		i = g->up[i] = g->up[g->up[i]];
	return i;
}

static unsigned lv_index(const struct vg *vg, const struct vg_lv *lv)
{
	for (unsigned i = 0; i < vg->nlv; i++)
		if (vg->lv[i] == lv)
			return i;
	return vg->nlv;
}

static int unite(const struct lv_ref *r, void *data)
{
	struct groups *g = data;
	unsigned a, b;

	if (!r->to)
		return 0;
	a = group_of(g, lv_index(g->vg, r->from));
	b = group_of(g, lv_index(g->vg, r->to));
	g->up[a] = b;
	return 0;
}

static int groups_init(struct groups *g, const struct vg *vg)
{
	g->vg = vg;
	if (!(g->up = calloc(vg->nlv + 1, sizeof(*g->up))))
		return -ENOMEM;
	for (unsigned i = 0; i < vg->nlv; i++)
		g->up[i] = i;
	return lv_refs_each(vg, NULL, unite, g);
}

/* The LV a group is known by: one nothing uses, visible if there is one. */
static const struct vg_lv *group_name(const struct groups *g, unsigned grp)
{
	const struct vg_lv *best = NULL;

	for (unsigned i = 0; i < g->vg->nlv; i++) {
		const struct vg_lv *lv = g->vg->lv[i];

		if (group_of(g, i) != grp || lv_first_user(g->vg, lv, NULL))
			continue;
		if (!best || ((lv->status & FLAG(LVF_VISIBLE)) && !(best->status & FLAG(LVF_VISIBLE))))
			best = lv;
	}
	return best ? best : g->vg->lv[grp];
}

static unsigned group_size(const struct groups *g, unsigned grp)
{
	unsigned n = 0;

	for (unsigned i = 0; i < g->vg->nlv; i++)
		n += group_of(g, i) == grp;
	return n;
}

static unsigned pv_index(const struct vg *vg, const struct vg_pv *p)
{
	for (unsigned i = 0; i < vg->npv; i++)
		if (vg->pv[i] == p)
			return i;
	return vg->npv;
}

/* Mark in @moving the PVs of @lv and of the hidden LVs its segments name,
 * recursively (lvm2's move_pvs_used_by_lv with for_each_sub_lv). */
static int mark_lv_pvs(const struct vg *vg, const struct vg_lv *lv, bool *moving, unsigned depth);

struct mark_ctx {
	const struct vg *vg;
	bool *moving;
	unsigned depth;
};

static int mark_sub(const struct lv_ref *r, void *data)
{
	const struct mark_ctx *m = data;

	if (r->to && !(r->to->status & FLAG(LVF_VISIBLE)))
		return mark_lv_pvs(m->vg, r->to, m->moving, m->depth + 1);
	return 0;
}

static int mark_lv_pvs(const struct vg *vg, const struct vg_lv *lv, bool *moving, unsigned depth)
{
	struct mark_ctx m = { vg, moving, depth };

	if (depth > vg->nlv)
		return -ELOOP;
	for (unsigned s = 0; s < lv->nseg; s++)
		for (unsigned k = 0; k < lv->seg[s].narea; k++)
			if (lv->seg[s].area[k].pv)
				moving[pv_index(vg, lv->seg[s].area[k].pv)] = true;
	return lv_refs_each(vg, lv, mark_sub, &m);
}

/* Where a group's extents are: bit 0 on moving PVs, bit 1 on the others. */
static unsigned group_sides(const struct groups *g, unsigned grp, const bool *moving)
{
	unsigned sides = 0;

	for (unsigned i = 0; i < g->vg->nlv; i++) {
		const struct vg_lv *lv = g->vg->lv[i];

		if (group_of(g, i) != grp)
			continue;
		for (unsigned s = 0; s < lv->nseg; s++)
			for (unsigned k = 0; k < lv->seg[s].narea; k++)
				if (lv->seg[s].area[k].pv)
					sides |= moving[pv_index(g->vg, lv->seg[s].area[k].pv)] ? 1 : 2;
	}
	return sides;
}

/* An LV of @vg is in use: active in ulvmd, or its extents mapped by a
 * ulvmd this command does not reach.  The message names it. */
static bool lv_busy(struct lvm_cmd *c, struct dmctl *d, const struct vg *vg, const struct vg_lv *lv,
		    const char *fmt)
{
	if (lv_is_active(c, d, vg, lv)) {
		lvm_fail(fmt, vg->name, lv->name);
		return true;
	}
	if (lv_extents_claimed(vg, lv) == 1) {
		lvm_fail("Logical volume %s/%s in use: a ulvmd that this command does not reach maps its extents; "
			 "deactivate it there first.", vg->name, lv->name);
		return true;
	}
	return false;
}

/* Metadata areas on the PVs of @vg (moving: those in @moving, else the others). */
static unsigned mdas_on(const struct vg *vg, const bool *moving, bool side)
{
	unsigned n = 0;

	for (unsigned i = 0; i < vg->npv; i++)
		if (vg->pv[i]->pv && (!moving || moving[i] == side))
			n += vg->pv[i]->pv->nmda;
	return n;
}

/* lvm2's vgs_are_compatible(): may @from's PVs and LVs join @to? */
static int compatible(struct lvm_cmd *c, struct dmctl *d, const struct vg *from, const struct vg *to)
{
	unsigned visible = 0;

	if (lvm_vg_lv_in_use(c, d, from))
		return lvm_fail("Logical volumes in \"%s\" must be inactive", from->name);
	if (to->extent_size != from->extent_size)
		return lvm_fail("Extent sizes differ: %u (%s) and %u (%s)", to->extent_size, to->name,
				from->extent_size, from->name);
	if (to->max_pv && to->max_pv < to->npv + from->npv)
		return lvm_fail("Maximum number of physical volumes (%u) exceeded  for \"%s\" and \"%s\"", to->max_pv,
				to->name, from->name);
	visible = vg_visible_lvs(to) + vg_visible_lvs(from);
	if (to->max_lv && to->max_lv < visible)
		return lvm_fail("Maximum number of logical volumes (%u) exceeded  for \"%s\" and \"%s\"", to->max_lv,
				to->name, from->name);
	for (unsigned i = 0; i < to->nlv; i++)
		if (vg_find_lv(from, to->lv[i]->name))
			return lvm_fail("Duplicate logical volume name \"%s\" in \"%s\" and \"%s\"", to->lv[i]->name,
					to->name, from->name);
	return 0;
}

/* An LV of @from whose id an LV of @to has gets a new one (lvm2's vgmerge). */
static int fresh_lv_ids(struct vg *from, const struct vg *to)
{
	struct err e = { { 0 } };

	for (unsigned i = 0; i < from->nlv; i++)
		for (unsigned k = 0; k < to->nlv; k++)
			if (!strcmp(from->lv[i]->id, to->lv[k]->id) && lvm_id_create(from->lv[i]->id, &e))
				return lvm_fail("%s", e.msg);
	return 0;
}

/* Both VGs' PVs and LVs under @to's name and settings; *out replaces
 * @to in its handle (the old model is freed). */
static int join(struct vgh *to, const struct vg *from, const bool *pv_moves, const bool *lv_moves)
{
	struct err e = { { 0 } };
	struct vg *vg = to->vg, *out;
	struct vg_pv **pvs = calloc(vg->npv + from->npv + 1, sizeof(*pvs));
	struct vg_lv **lvs = calloc(vg->nlv + from->nlv + 1, sizeof(*lvs));
	unsigned npv = 0, nlv = 0;
	int r;

	if (!pvs || !lvs) {
		free(pvs);
		free(lvs);
		return lvm_fail("out of memory");
	}
	for (unsigned i = 0; i < vg->npv; i++)
		pvs[npv++] = vg->pv[i];
	for (unsigned i = 0; i < from->npv; i++)
		if (!pv_moves || pv_moves[i])
			pvs[npv++] = from->pv[i];
	for (unsigned i = 0; i < vg->nlv; i++)
		lvs[nlv++] = vg->lv[i];
	for (unsigned i = 0; i < from->nlv; i++)
		if (!lv_moves || lv_moves[i])
			lvs[nlv++] = from->lv[i];
	r = vg_compose(vg, pvs, npv, lvs, nlv, &out, &e);
	free(pvs);
	free(lvs);
	if (r)
		return lvm_fail("%s", e.msg);
	vg_free(to->vg);
	to->vg = out;
	return 0;
}

/* The new VG of a split: @from's settings (lvm2's vgcreate_params_set_defaults
 * from the source: extent size, limits, allocation policy, system ID,
 * metadata copies), a new id, no LVs or PVs yet. */
static int new_vg(struct lvm_cmd *c, const struct vg *from, const char *name, struct vg **out)
{
	struct err e = { { 0 } };
	struct vg *vg;
	const char *alloc = opt_set(c, C_ALLOC) ? opt_val(c, C_ALLOC) : from->alloc;

	if (opt_set(c, C_ALLOC)) {
		enum alloc_policy p;

		if (alloc_policy_parse(alloc, &p, &e))
			return lvm_fail("%s", e.msg);
	}
	if (vg_new(name, from->extent_size, &vg, &e))
		return lvm_fail("%s", e.msg);
	vg->max_lv = from->max_lv;
	vg->max_pv = from->max_pv;
	vg->metadata_copies = from->metadata_copies;
	if ((alloc && strcmp(alloc, "normal") && !(vg->alloc = strdup(alloc))) ||
	    (from->system_id && !(vg->system_id = strdup(from->system_id)))) {
		vg_free(vg);
		return lvm_fail("out of memory");
	}
	*out = vg;
	return 0;
}

static bool vg_exists(struct lvm_cmd *c, const char *name)
{
	struct err e = { { 0 } };
	const char **names;
	unsigned n;
	bool found = false;

	if (lvm_vg_names(&c->env, &names, &n, &e))
		return false;
	for (unsigned i = 0; i < n; i++)
		found |= !strcmp(names[i], name);
	free(names);
	return found;
}

/* Which PVs move: those named, or those of LV -n. */
static int pick_pvs(struct lvm_cmd *c, const struct vg *from, int argc, char **argv, bool *moving)
{
	if (opt_set(c, C_NAME)) {
		const struct vg_lv *lv = vg_find_lv(from, opt_val(c, C_NAME));

		if (!lv)
			return lvm_fail("Logical volume %s not in volume group %s", opt_val(c, C_NAME), from->name);
		return mark_lv_pvs(from, lv, moving, 0) ? lvm_fail("internal error: LV references loop") : 0;
	}
	for (int a = 0; a < argc; a++) {
		char real[PATH_MAX];
		bool found = false;

		if (!lvm_canon_path(argv[a], real, sizeof(real)))
			for (unsigned i = 0; i < from->npv; i++)
				if (from->pv[i]->path && !strcmp(from->pv[i]->path, real))
					found = moving[i] = true;
		if (!found)
			return lvm_fail("Physical volume %s not in volume group %s", argv[a], from->name);
	}
	return 0;
}

/* Which LVs move with the PVs: whole groups, refused when one straddles. */
static int pick_lvs(struct lvm_cmd *c, struct dmctl *d, const struct vg *from, const bool *pv_moves, bool *lv_moves)
{
	struct groups g;
	int r = 0;

	if (groups_init(&g, from)) {
		free(g.up);
		return lvm_fail("out of memory");
	}
	for (unsigned i = 0; i < from->nlv && !r; i++) {
		unsigned grp = group_of(&g, i), sides;

		if (grp != i)
			continue;
		sides = group_sides(&g, grp, pv_moves);
		if (sides == 3) {
			/* lvm2 words it by the path that finds it: a plain LV's own areas, or an LV tree */
			r = lvm_fail("Can't split %s %s between two Volume Groups",
				     group_size(&g, grp) == 1 ? "Logical Volume" : "LV", group_name(&g, grp)->name);
			break;
		}
		if (sides == 2)
			continue;
		for (unsigned k = 0; k < from->nlv; k++)
			if (group_of(&g, k) == grp)
				lv_moves[k] = true;
	}
	for (unsigned i = 0; i < from->nlv && !r; i++)
		if (lv_moves[i] && lv_busy(c, d, from, from->lv[i], "Logical volume %s/%s must be inactive."))
			r = LVM_FAILED;
	free(g.up);
	return r;
}

/* @from without the PVs and LVs that moved. */
static void drop_moved(struct vg *from, const bool *pv_moves, const bool *lv_moves)
{
	struct vg_lv **lvs = calloc(from->nlv + 1, sizeof(*lvs));
	struct vg_pv **pvs = calloc(from->npv + 1, sizeof(*pvs));
	unsigned nlv = 0, npv = 0;

	/* collected first: removing shifts the arrays the flags index */
	for (unsigned i = 0; lvs && i < from->nlv; i++)
		if (lv_moves[i])
			lvs[nlv++] = from->lv[i];
	for (unsigned i = 0; pvs && i < from->npv; i++)
		if (pv_moves[i])
			pvs[npv++] = from->pv[i];
	for (unsigned i = 0; i < nlv; i++)
		vg_remove_lv(from, lvs[i]);
	for (unsigned i = 0; i < npv; i++)
		vg_remove_pv(from, pvs[i]);
	free(lvs);
	free(pvs);
}

static void warn_spare(const struct vg *vg)
{
	for (unsigned i = 0; i < vg->nlv; i++)
		if (lv_is_thin_pool(vg->lv[i]) && !vg_pmspare(vg)) {
			fprintf(stderr, "  WARNING: recovery of pools without pool metadata spare LV is not automated.\n");
			return;
		}
}

int lvm_vgsplit(void *ctx, int argc, char **argv)
{
	struct lvm_cmd *c = ctx;
	struct dmctl d = { 0 };
	struct err e = { { 0 } };
	struct vgh from = { .lock_fd = -1 }, to = { .lock_fd = -1 };
	bool *pv_moves = NULL, *lv_moves = NULL, existing;
	unsigned staying;
	int lock = -1, r;

	/* lvm2's command definitions take "VG VG PV..." or "-n LV VG VG" */
	if (argc + opt_set(c, C_NAME) < 3)
		return lvm_no_syntax(c);
	if (opt_set(c, C_NAME) && argc > 2) {
		lvm_fail("Command does not accept argument: %s.", argv[2]);
		return LVM_EINVALID;
	}
	if (!strcmp(argv[0], argv[1]))
		return lvm_fail("Duplicate volume group name \"%s\"", argv[0]);
	if ((r = lvm_setup(c, true)))
		return r;
	if (lvm_lock(&c->env, "P_global", true, &lock, &e))
		return lvm_fail("%s", e.msg);
	existing = vg_exists(c, argv[1]);
	if (!existing && !lvm_name_valid(argv[1])) {
		r = lvm_fail("Invalid vg name %s.", argv[1]);
		goto out;
	}
	if (existing && opt_set(c, C_ALLOC)) {
		r = lvm_fail("Volume group \"%s\" exists, but new VG option specified", argv[1]);
		goto out;
	}
	/* the two VG locks in name order, as lvm2 takes them */
	if (strcmp(argv[0], argv[1]) < 0 || !existing) {
		if (lvm_vg_read(&c->env, argv[0], &from, &e) || (existing && lvm_vg_read(&c->env, argv[1], &to, &e))) {
			r = lvm_fail("%s", e.msg);
			goto out;
		}
	} else if (lvm_vg_read(&c->env, argv[1], &to, &e) || lvm_vg_read(&c->env, argv[0], &from, &e)) {
		r = lvm_fail("%s", e.msg);
		goto out;
	}
	if (!(pv_moves = calloc(from.vg->npv + 1, sizeof(bool))) ||
	    !(lv_moves = calloc(from.vg->nlv + 1, sizeof(bool)))) {
		r = lvm_fail("out of memory");
		goto out;
	}
	/* lvm2's move_pv and move_pvs_used_by_lv */
	if (!(from.vg->status & FLAG(VGF_RESIZEABLE)) || (existing && !(to.vg->status & FLAG(VGF_RESIZEABLE)))) {
		bool f = !(from.vg->status & FLAG(VGF_RESIZEABLE));

		r = opt_set(c, C_NAME) ? lvm_fail("Volume group %s is not resizeable.\n  Cannot move PV(s) %s non "
						  "resize volume group %s.", f ? from.vg->name : to.vg->name,
						  f ? "from" : "to", f ? from.vg->name : to.vg->name)
				       : lvm_fail("Volume group %s is not resizeable.", f ? from.vg->name : to.vg->name);
		goto out;
	}
	if (existing && (r = compatible(c, &d, from.vg, to.vg)))
		goto out;
	if ((r = pick_pvs(c, from.vg, argc - 2, argv + 2, pv_moves)) ||
	    (r = pick_lvs(c, &d, from.vg, pv_moves, lv_moves)))
		goto out;
	staying = 0;
	for (unsigned i = 0; i < from.vg->npv; i++)
		staying += !pv_moves[i];
	if (!mdas_on(from.vg, pv_moves, true) || (staying && !mdas_on(from.vg, pv_moves, false))) {
		r = lvm_fail("Cannot split: Nowhere to store metadata for new Volume Group");
		goto out;
	}
	if (lvm_vg_writable(&from, &e) || (existing && lvm_vg_writable(&to, &e))) {
		r = lvm_fail("%s", e.msg);
		goto out;
	}
	if (!existing) {
		struct vg *nv = NULL;

		if ((r = new_vg(c, from.vg, argv[1], &nv)))
			goto out;
		if (lvm_vg_create(&c->env, nv, &to, &e)) {
			vg_free(nv);
			r = lvm_fail("%s", e.msg);
			goto out;
		}
	}
	/* both VGs built and checked before the first write */
	to.vg->status |= FLAG(VGF_EXPORTED);
	if ((r = join(&to, from.vg, pv_moves, lv_moves)))
		goto out;
	drop_moved(from.vg, pv_moves, lv_moves);
	if (vg_validate(from.vg, &e)) {
		r = lvm_fail("internal error: %s; nothing was written", e.msg);
		goto out;
	}
	if (lvm_vg_commit(&c->env, &to, &e)) {
		r = lvm_fail("%s", e.msg);
		goto out;
	}
	if (from.vg->npv && lvm_vg_commit(&c->env, &from, &e)) {
		r = lvm_fail("%s (volume group \"%s\" is written, exported: vgimport it, or vgremove it and split "
			     "again)", e.msg, to.vg->name);
		goto out;
	}
	to.vg->status &= ~FLAG(VGF_EXPORTED);
	if (lvm_vg_commit(&c->env, &to, &e)) {
		r = lvm_fail("%s (volume group \"%s\" is written, exported: vgimport it)", e.msg, to.vg->name);
		goto out;
	}
	warn_spare(to.vg);
	printf("  %s volume group \"%s\" successfully split from \"%s\"\n", existing ? "Existing" : "New",
	       to.vg->name, argv[0]);
out:
	free(pv_moves);
	free(lv_moves);
	dmctl_close(&d);
	lvm_vg_release(&to);
	lvm_vg_release(&from);
	lvm_unlock(lock);
	return r;
}

/* One source into @to_name (lvm2's _vgmerge_single). */
static int merge_one(struct lvm_cmd *c, struct dmctl *d, const char *to_name, const char *from_name)
{
	struct err e = { { 0 } };
	struct vgh from = { .lock_fd = -1 }, to = { .lock_fd = -1 };
	struct vg_lv *s1, *s2;
	int lock = -1, r = 0;

	if (!strcmp(to_name, from_name))
		return lvm_fail("Duplicate volume group name \"%s\"", from_name);
	if (lvm_lock(&c->env, "P_global", true, &lock, &e))
		return lvm_fail("%s", e.msg);
	/* the two VG locks in name order, as lvm2 takes them */
	if (strcmp(to_name, from_name) > 0 ? lvm_vg_read(&c->env, from_name, &from, &e) ||
						     lvm_vg_read(&c->env, to_name, &to, &e)
					   : lvm_vg_read(&c->env, to_name, &to, &e) ||
						     lvm_vg_read(&c->env, from_name, &from, &e)) {
		r = lvm_fail("%s", e.msg);
		goto out;
	}
	if (lvm_vg_writable(&from, &e) || lvm_vg_writable(&to, &e)) {
		r = lvm_fail("%s", e.msg);
		goto out;
	}
	/* one pool metadata spare: the larger stays */
	if ((s1 = vg_pmspare(to.vg)) && (s2 = vg_pmspare(from.vg))) {
		if (s2->le_count > s1->le_count)
			vg_remove_lv(to.vg, s1);
		else
			vg_remove_lv(from.vg, s2);
	}
	if ((r = compatible(c, d, from.vg, to.vg)) || (r = fresh_lv_ids(from.vg, to.vg)) ||
	    (r = join(&to, from.vg, NULL, NULL)))
		goto out;
	if (lvm_vg_commit(&c->env, &to, &e)) {
		r = lvm_fail("%s", e.msg);
		goto out;
	}
	printf("  Volume group \"%s\" successfully merged into \"%s\"\n", from_name, to_name);
out:
	lvm_vg_release(&to);
	lvm_vg_release(&from);
	lvm_unlock(lock);
	return r;
}

int lvm_vgmerge(void *ctx, int argc, char **argv)
{
	struct lvm_cmd *c = ctx;
	struct dmctl d = { 0 };
	int r, worst = 0;

	if ((r = lvm_setup(c, true)))
		return r;
	for (int i = 1; i < argc; i++)
		if ((r = merge_one(c, &d, argv[0], argv[i])) > worst)
			worst = r;
	dmctl_close(&d);
	return worst;
}
