/* lvconvert and lvchange for raid LVs, as lvm2 does them (lvmraid(7);
 * RAID.md §6.3), online when the LV is active:
 *
 *   lvconvert --type raid1 -m N LV   a linear LV becomes image 0 (its
 *                                    segments move to LV_rimage_0), N new
 *                                    images are rebuilt from it;
 *   lvconvert -m N LV                a raid1 gains images (rebuilt) or loses
 *                                    them (those on the PVs named, else the
 *                                    last; the rest renumbered); -m 0 makes
 *                                    it linear again;
 *   lvconvert --repair LV            images whose leg failed (the raid
 *                                    status says D) or whose PV is missing
 *                                    move to free extents on PVs no other
 *                                    image uses, and are rebuilt;
 *   lvconvert --repair --use-policies  what activation/raid_fault_policy
 *                                    says: "warn" (default) or "allocate";
 *                                    ulvmd --on-event runs it on a leg failure;
 *   lvconvert --splitmirrors, --merge LV_rimage_N: raid_split.c;
 *   lvchange --syncaction check|repair LV, lvchange --rebuild PV LV.
 *
 * New and moved images get a wiped rmeta and REBUILD in the VG text while
 * the new tables load (the raid target rebuilds a slot whose superblock
 * is blank); REBUILD is cleared once the LV runs on them, as lvm2 does.
 * Sub-LVs that stay keep their ids, so their active devices are reloaded
 * in place; those that go are removed after the LV no longer uses them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dmctl.h"
#include "common/units.h"
#include "lvm/activate.h"
#include "lvm/alloc.h"
#include "lvm/devices.h"
#include "lvm/lvref.h"
#include "lvm/segtype/mirror_lv.h"
#include "lvm/segtype/raid_lv.h"
#include "lvm/vg_internal.h"
#include "lvm/settings.h"

static const struct raid_seg *model(const struct vg_lv *lv)
{
	return lv_seg_model(lv, &segtype_raid);
}

/* The PVs @lv's areas are on, appended to @out (no repeats). */
unsigned raid_lv_pvs(const struct vg_lv *lv, struct vg_pv **out, unsigned n, unsigned max)
{
	for (unsigned s = 0; lv && s < lv->nseg; s++)
		for (unsigned a = 0; a < lv->seg[s].narea; a++) {
			struct vg_pv *pv = lv->seg[s].area[a].pv;
			bool seen = !pv;

			for (unsigned j = 0; j < n; j++)
				seen |= out[j] == pv;
			if (!seen && n < max)
				out[n++] = pv;
		}
	return n;
}

bool raid_on_missing_pv(const struct vg_lv *lv)
{
	for (unsigned s = 0; lv && s < lv->nseg; s++)
		for (unsigned a = 0; a < lv->seg[s].narea; a++)
			if (lv->seg[s].area[a].pv && !lv->seg[s].area[a].pv->pv)
				return true;
	return false;
}

int raid_images_of(const struct vg *vg, const struct vg_lv *lv, struct images *im, struct err *e)
{
	const struct raid_seg *m = model(lv);

	if (!m)
		return err_set(e, -EINVAL, "LV %s/%s is not a raid LV ulvm can change.", vg->name, lv->name);
	im->n = m->count;
	for (unsigned i = 0; i < m->count; i++) {
		im->image[i] = vg_find_lv(vg, m->image[i]);
		im->meta[i] = m->meta[i] ? vg_find_lv(vg, m->meta[i]) : NULL;
		if (!im->image[i])
			return err_set(e, -ENOENT, "raid LV %s/%s: its image %s is missing", vg->name, lv->name,
				       m->image[i]);
	}
	return 0;
}

void raid_set_rebuild(struct images *im, unsigned i, bool on)
{
	struct vg_lv *l[2] = { im->meta[i], im->image[i] };

	for (unsigned k = 0; k < 2; k++)
		if (l[k])
			l[k]->status = on ? l[k]->status | FLAG(LVF_REBUILD) : l[k]->status & ~FLAG(LVF_REBUILD);
}

int raid_converted(struct lv_change *ch, const struct vg_lv *lv)
{
	fprintf(ch->out, "  Logical volume %s/%s successfully converted.\n", ch->h->vg->name, lv->name);
	return 0;
}

int raid_commit_restack(struct lv_change *ch, struct vg_lv *lv, struct err *e)
{
	struct vg *vg = ch->h->vg;
	int r;

	if ((r = lvm_vg_commit(ch->env, ch->h, e)))
		return r;
	if (dmctl_up(ch->d) && (r = lv_dm_restack(ch->d, ch->env, vg, lv, e)))
		return err_set(e, r, "%s (the VG is changed; lvchange --refresh %s/%s loads it)", e->msg, vg->name,
			       lv->name);
	return 0;
}

/* Write @lv's new segment, commit, load it if active, then clear REBUILD
 * and commit again. */
int raid_apply(struct lv_change *ch, struct vg_lv *lv, const struct raid_seg *shape, struct images *im,
		 struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct raid_seg m = *shape;
	bool rebuild = false;
	int r;

	m.count = im->n;
	for (unsigned i = 0; i < im->n; i++)
		rebuild |= (im->image[i]->status & FLAG(LVF_REBUILD)) != 0;
	if ((r = raid_set_seg(vg, lv, lv->le_count, &m, im->meta, im->image, e)) ||
	    (r = raid_commit_restack(ch, lv, e)))
		return r;
	if (!rebuild)
		return 0;
	for (unsigned i = 0; i < im->n; i++)
		raid_set_rebuild(im, i, false);
	return lvm_vg_commit(ch->env, ch->h, e);
}

int raid_dm_step_aside(struct lv_change *ch, char (*names)[LV_DM_NAME_MAX], unsigned n, struct err *e)
{
	int r;

	for (unsigned k = 0; k < n && dmctl_up(ch->d); k++) {
		char aside[LV_DM_NAME_MAX];

		snprintf(aside, sizeof(aside), "%.*s_gone", LV_DM_NAME_MAX - 6, names[k]);
		/* its NBD export too, so that the LV taking its name can have it */
		if (dmctl_exists(ch->d, names[k]) && (r = dmctl_rename(ch->d, names[k], aside, aside, e)))
			return r;
		snprintf(names[k], sizeof(names[k]), "%s", aside);
	}
	return 0;
}

void raid_dm_remove_lvs(struct lv_change *ch, char (*names)[LV_DM_NAME_MAX], unsigned n)
{
	struct err e = { { 0 } };

	for (unsigned i = 0; i < n && dmctl_up(ch->d); i++)
		if (dmctl_exists(ch->d, names[i]) && dmctl_remove(ch->d, names[i], &e))
			fprintf(stderr, "  WARNING: %s: %s\n", names[i], e.msg);
}

int raid_alloc_meta_beside(struct lv_change *ch, const char *name, unsigned i, const struct vg_lv *img,
			   struct vg_lv **meta, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct alloc_range rg = { img->nseg ? img->seg[0].area[0].pv : NULL, 0, UINT32_MAX };
	struct alloc_req req = { .stripes = 1, .extents = 1, .ranges = &rg, .nranges = rg.pv != NULL };
	char sub[LVM_NAME_LEN + 16];
	int r;

	snprintf(sub, sizeof(sub), "%s_rmeta_%u", name, i);
	if ((r = lv_change_add_hidden(ch, sub, 0, false, meta, e)))
		return r;
	if (!req.nranges || alloc_extend(vg, *meta, &req, NULL)) {
		req.ranges = NULL;
		req.nranges = 0;
		return alloc_extend(vg, *meta, &req, e);
	}
	return 0;
}

int raid_linear_to_image0(struct vg *vg, struct vg_lv *lv, const char *kind, const char *what, struct vg_lv **img,
			  struct err *e)
{
	char name[LVM_NAME_LEN + 16];
	int r;

	for (unsigned s = 0; s < lv->nseg; s++)
		if (lv->seg[s].st != &segtype_striped || lv->seg[s].narea != 1 || !seg_on_pvs(&lv->seg[s]))
			return err_set(e, -EINVAL, "Only a linear LV can become %s (%s/%s is not).", what, vg->name,
				       lv->name);
	if (strlen(lv->name) + 10 > LVM_NAME_LEN - 1)
		return err_set(e, -ENAMETOOLONG, "Logical volume name %s is too long for %s.", lv->name, what);
	snprintf(name, sizeof(name), "%s_%s_0", lv->name, kind);
	if ((r = vg_add_lv(vg, name, img, e)))
		return r;
	(*img)->status &= ~FLAG(LVF_VISIBLE);
	(*img)->seg = lv->seg;
	(*img)->nseg = lv->nseg;
	(*img)->le_count = lv->le_count;
	lv->seg = NULL;
	lv->nseg = 0;
	return 0;
}

/* A linear LV becomes a raid1 of @images images, itself the first. */
static int from_linear(struct lv_change *ch, struct vg_lv *lv, unsigned images, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct raid_seg shape = { .level = "raid1", .region_size = 4096 };
	struct images im = { .n = images };
	struct vg_pv *avoid[MAX_IMAGES * 4];
	struct vg_lv *img;
	unsigned navoid;
	int r;

	if (images < 2 || images > MAX_IMAGES)
		return err_set(e, -EINVAL, "raid1 takes 2 to %u images (-m 1 to -m %u).", MAX_IMAGES, MAX_IMAGES - 1);
	if ((r = raid_linear_to_image0(vg, lv, "rimage", "raid1", &img, e)))
		return r;
	im.image[0] = img;
	navoid = raid_lv_pvs(img, avoid, 0, MAX_IMAGES * 4);
	if ((r = raid_alloc_meta_beside(ch, lv->name, 0, img, &im.meta[0], e)))
		return r;
	if ((r = raid_alloc(ch, vg, lv->name, 1, images - 1, true, img->le_count, avoid, navoid, im.meta, im.image,
			    e)))
		return r;
	for (unsigned i = 0; i < images; i++) {
		if ((r = raid_wipe_rmeta(vg, im.meta[i], e)))
			return r;
		if (i)
			raid_set_rebuild(&im, i, true);
	}
	if ((r = raid_apply(ch, lv, &shape, &im, e)))
		return r;
	return raid_converted(ch, lv);
}

/* Which images -m N drops: those on the PVs named, else the last ones. */
void raid_pick_drops(const struct lv_change *ch, const struct images *im, unsigned drop, bool *gone)
{
	unsigned n = 0;

	for (unsigned i = 0; i < im->n && n < drop && ch->nranges; i++)
		for (unsigned k = 0; k < ch->nranges && !gone[i]; k++)
			if (lv_uses_pv(im->image[i], ch->ranges[k].pv)) {
				gone[i] = true;
				n++;
			}
	for (unsigned i = im->n; i-- > 0 && n < drop;)
		if (!gone[i]) {
			gone[i] = true;
			n++;
		}
}

int raid_rename_lv(struct lv_change *ch, const struct vg *vg, struct vg_lv *l, const char *to, struct err *e)
{
	char from[LV_DM_NAME_MAX], dm[LV_DM_NAME_MAX], ex[LV_DM_NAME_MAX];
	char *n;
	int r;

	if (!strcmp(l->name, to))
		return 0;
	lv_dm_name(vg, l, from);
	if (!(n = strdup(to)))
		return err_set(e, -ENOMEM, "out of memory");
	free(l->name);
	l->name = n;
	lv_dm_name(vg, l, dm);
	lv_export_name(vg, l, ex, sizeof(ex));
	if (dmctl_up(ch->d) && dmctl_exists(ch->d, from) && (r = dmctl_rename(ch->d, from, dm, ex, e)))
		return r;
	return 0;
}

/* -m: @want images; @drops, when given, says which go; @to: the segment
 * the LV gets (NULL: its own, as a raid1's -m). */
int raid_change_images(struct lv_change *ch, struct vg_lv *lv, unsigned want, const bool *drops,
			 const struct raid_seg *to, struct err *e)
{
	struct vg *vg = ch->h->vg;
	const struct raid_seg *m = model(lv);
	struct raid_seg shape = to ? *to : *m;
	char gone_dm[2 * MAX_IMAGES][LV_DM_NAME_MAX];
	struct images im, keep = { 0 };
	bool gone[MAX_IMAGES] = { false };
	unsigned ngone = 0;
	int r;

	if (!to && strcmp(m->level, "raid1"))
		return err_set(e, -EOPNOTSUPP, "-m applies to raid1 LVs; %s/%s is %s.", vg->name, lv->name, m->level);
	if ((r = raid_images_of(vg, lv, &im, e)))
		return r;
	if (want == im.n)
		return err_set(e, -EINVAL, "LV %s/%s already has %u images.", vg->name, lv->name, want);
	if (want > MAX_IMAGES)
		return err_set(e, -EINVAL, "raid1 takes at most %u images.", MAX_IMAGES);
	if (want > im.n) {
		struct vg_pv *avoid[MAX_IMAGES * 4];
		unsigned navoid = 0, first = im.n;

		for (unsigned i = 0; i < im.n; i++)
			navoid = raid_lv_pvs(im.image[i], avoid, navoid, MAX_IMAGES * 4);
		if ((r = raid_alloc(ch, vg, lv->name, first, want - first, true, im.image[0]->le_count, avoid, navoid,
				    im.meta, im.image, e)))
			return r;
		im.n = want;
		for (unsigned i = first; i < want; i++) {
			if ((r = raid_wipe_rmeta(vg, im.meta[i], e)))
				return r;
			raid_set_rebuild(&im, i, true);
		}
		if ((r = raid_apply(ch, lv, &shape, &im, e)))
			return r;
		return raid_converted(ch, lv);
	}
	if (drops)
		memcpy(gone, drops, im.n * sizeof(*gone));
	else
		raid_pick_drops(ch, &im, im.n - want, gone);
	for (unsigned i = 0; i < im.n; i++) {
		if (gone[i]) {
			lv_dm_name(vg, im.image[i], gone_dm[ngone++]);
			if (im.meta[i])
				lv_dm_name(vg, im.meta[i], gone_dm[ngone++]);
			continue;
		}
		keep.image[keep.n] = im.image[i];
		keep.meta[keep.n++] = im.meta[i];
	}
	if (want == 1) { /* -m 0: linear again, on the image that stays */
		struct vg_lv *img = keep.image[0];
		uint32_t le = lv->le_count;

		if ((r = lv_reduce(lv, le, e)))
			return r;
		free(lv->seg);
		lv->seg = img->seg;
		lv->nseg = img->nseg;
		lv->le_count = le;
		img->seg = NULL;
		img->nseg = 0;
		lv_dm_name(vg, img, gone_dm[ngone++]);
		if (keep.meta[0])
			lv_dm_name(vg, keep.meta[0], gone_dm[ngone++]);
		vg_remove_lv(vg, img);
		if (keep.meta[0])
			vg_remove_lv(vg, keep.meta[0]);
		for (unsigned i = 0; i < im.n; i++)
			if (gone[i]) {
				vg_remove_lv(vg, im.image[i]);
				if (im.meta[i])
					vg_remove_lv(vg, im.meta[i]);
			}
		if ((r = lvm_vg_commit(ch->env, ch->h, e)) ||
		    (dmctl_up(ch->d) && (r = lv_dm_reload(ch->d, ch->env, vg, lv, e))))
			return r;
		raid_dm_remove_lvs(ch, gone_dm, ngone);
		return raid_converted(ch, lv);
	}
	/* the devices that go step aside, so the rest can take their names */
	if ((r = raid_dm_step_aside(ch, gone_dm, ngone, e)))
		return r;
	for (unsigned i = 0; i < im.n; i++)
		if (gone[i]) {
			vg_remove_lv(vg, im.image[i]);
			if (im.meta[i])
				vg_remove_lv(vg, im.meta[i]);
		}
	/* the rest renumbered from 0, as lvm2 does */
	for (unsigned i = 0; i < keep.n; i++) {
		char to[LVM_NAME_LEN + 16];

		snprintf(to, sizeof(to), "%s_rimage_%u", lv->name, i);
		if ((r = raid_rename_lv(ch, vg, keep.image[i], to, e)))
			return r;
		snprintf(to, sizeof(to), "%s_rmeta_%u", lv->name, i);
		if (keep.meta[i] && (r = raid_rename_lv(ch, vg, keep.meta[i], to, e)))
			return r;
	}
	if ((r = raid_apply(ch, lv, &shape, &keep, e)))
		return r;
	raid_dm_remove_lvs(ch, gone_dm, ngone);
	return raid_converted(ch, lv);
}

/* The raid status's health characters of an active LV ("" if inactive). */
static void health_of(struct lv_change *ch, const struct vg *vg, const struct vg_lv *lv, char *h)
{
	char name[LV_DM_NAME_MAX];
	struct raid_status st;

	h[0] = 0;
	lv_dm_name(vg, lv, name);
	if (dmctl_up(ch->d) && !raid_status_of(ch->d, name, &st))
		strcpy(h, st.health);
}

void raid_move_segments(struct vg_lv *dst, struct vg_lv *src)
{
	free(dst->seg);
	dst->seg = src->seg;
	dst->nseg = src->nseg;
	dst->le_count = src->le_count;
	src->seg = NULL;
	src->nseg = 0;
	src->le_count = 0;
}

/* @dst gives up its extents and takes those of @src, which goes. */
static int take_extents(struct vg *vg, struct vg_lv *dst, struct vg_lv *src, struct err *e)
{
	int r = lv_reduce(dst, dst->le_count, e);

	if (r)
		return r;
	raid_move_segments(dst, src);
	vg_remove_lv(vg, src);
	return 0;
}

/* Move image @i (and its rmeta) to free extents on a PV in no @avoid. */
static int move_image(struct lv_change *ch, struct images *im, unsigned i, struct vg_pv **avoid, unsigned navoid,
		      struct err *e)
{
	struct vg *vg = ch->h->vg;
	uint32_t per = im->image[i]->le_count;
	struct vg_lv *meta[MAX_IMAGES] = { NULL }, *image[MAX_IMAGES] = { NULL };
	struct vg_lv *tm, *ti;
	int r;

	/* allocate under scratch names, then give the extents to the old LVs (whose ids stay) */
	if ((r = raid_alloc(ch, vg, "ulvm_repair_tmp", i, 1, im->meta[i] != NULL, per, avoid, navoid, meta, image, e)))
		return r;
	ti = image[i];
	tm = meta[i];
	if ((r = take_extents(vg, im->image[i], ti, e)) || (tm && (r = take_extents(vg, im->meta[i], tm, e))) ||
	    (tm && (r = raid_wipe_rmeta(vg, im->meta[i], e))))
		return r;
	raid_set_rebuild(im, i, true);
	return 0;
}

/* An image or rmeta that vgreduce --removemissing --force made an error
 * LV (lvm2's replace_lv_with_error_segment): a lost one. */
static bool is_error_lv(const struct vg_lv *l)
{
	return l && lv_segtype(l) && (lv_segtype(l)->flags & SEGTYPE_VIRTUAL);
}

/* @l's extents replaced by one error segment of its size. */
static int to_error_lv(struct vg *vg, struct vg_lv *l, struct err *e)
{
	uint32_t n = l->le_count ? l->le_count : 1;
	struct cfg_node *sn;
	int r;

	if ((r = lv_reduce(l, l->le_count, e)))
		return r;
	if (!(sn = seg_new_raw(vg, n, "error")))
		return err_set(e, -ENOMEM, "out of memory");
	return lv_set_raw_seg(vg, l, n, segtype_find("error"), sn, e);
}

/* vgreduce --removemissing --force (lvm2's lv_raid_remove_missing): the
 * images and rmetas on missing PVs become error LVs, so the PVs can go
 * while the LV keeps its data on the rest, degraded; lvconvert --repair
 * replaces them later.  Committed, and reloaded when active. */
static int remove_missing(struct lv_change *ch, struct vg_lv *lv, struct err *e)
{
	struct vg *vg = ch->h->vg;
	char name[LVM_NAME_LEN];
	struct images im;
	unsigned n = 0;
	int r;

	if ((r = raid_images_of(vg, lv, &im, e)))
		return r;
	for (unsigned i = 0; i < im.n; i++) {
		if (!raid_on_missing_pv(im.image[i]) && !raid_on_missing_pv(im.meta[i]))
			continue;
		if ((r = to_error_lv(vg, im.image[i], e)) || (im.meta[i] && (r = to_error_lv(vg, im.meta[i], e))))
			return r;
		n++;
	}
	if (!n)
		return 0;
	snprintf(name, sizeof(name), "%s", lv->name);
	if ((r = lvm_vg_commit(ch->env, ch->h, e)))
		return r;
	return lvm_lv_reload(ch->env, ch->d, ch->h->vg, vg_find_lv(ch->h->vg, name), e);
}

/* --repair; @policy: as --use-policies asks (activation/raid_fault_policy:
 * "warn" says so, "allocate" repairs). */
static int repair(struct lv_change *ch, struct vg_lv *lv, bool policy, struct err *e)
{
	struct vg *vg = ch->h->vg;
	const struct raid_seg *m = model(lv);
	struct images im;
	struct vg_pv *avoid[MAX_IMAGES * 4];
	bool bad[MAX_IMAGES] = { false };
	unsigned navoid = 0, nbad = 0;
	char h[65];
	int r;

	if (!strncmp(m->level, "raid0", 5))
		return err_set(e, -EINVAL, "raid0 LV %s/%s has no redundancy to repair from.", vg->name, lv->name);
	if ((r = raid_images_of(vg, lv, &im, e)))
		return r;
	health_of(ch, vg, lv, h);
	for (unsigned i = 0; i < im.n; i++) {
		bad[i] = raid_on_missing_pv(im.image[i]) || raid_on_missing_pv(im.meta[i]) || is_error_lv(im.image[i]) ||
			 is_error_lv(im.meta[i]) || (i < strlen(h) && (h[i] == 'D' || h[i] == '-'));
		nbad += bad[i];
		/* every image's PVs are off limits, the failed ones' too */
		navoid = raid_lv_pvs(im.image[i], avoid, navoid, MAX_IMAGES * 4);
		navoid = raid_lv_pvs(im.meta[i], avoid, navoid, MAX_IMAGES * 4);
	}
	if (!nbad && policy)
		return 0; /* an event of another kind (a sync that finished) */
	if (!nbad)
		return err_set(e, -EINVAL, "LV %s/%s has no failed images: nothing to repair.", vg->name, lv->name);
	if (policy) {
		const char *p = lvm_setting_str(ch->env, "activation/raid_fault_policy");

		if (strcmp(p, "allocate")) {
			fprintf(ch->out, "  WARNING: raid LV %s/%s has %u failed image%s; activation/raid_fault_policy is "
				"\"%s\": run lvconvert --repair %s/%s.\n", vg->name, lv->name, nbad, nbad > 1 ? "s" : "", p,
				vg->name, lv->name);
			return 0;
		}
	}
	ch->h->partial = true; /* the lost PV stays in the VG, flagged MISSING */
	if (nbad == im.n)
		return err_set(e, -EIO, "LV %s/%s has no image left to repair from.", vg->name, lv->name);
	for (unsigned i = 0; i < im.n; i++)
		if (bad[i] && (r = move_image(ch, &im, i, avoid, navoid, e)))
			return r;
	if ((r = raid_apply(ch, lv, m, &im, e)))
		return r;
	fprintf(ch->out, "  Faulty devices in %s/%s successfully replaced.\n", vg->name, lv->name);
	return 0;
}

static int sync_action(struct lv_change *ch, struct vg_lv *lv, const char *action, struct err *e)
{
	const struct vg *vg = ch->h->vg;
	char name[LV_DM_NAME_MAX];

	if (strcmp(action, "check") && strcmp(action, "repair"))
		return err_set(e, -EINVAL, "Invalid argument for --syncaction: %s (check or repair)", action);
	if (!dmctl_up(ch->d) || !lv_dm_active(ch->d, vg, lv))
		return err_set(e, -EINVAL, "%s/%s must be active to perform this operation.", vg->name, lv->name);
	lv_dm_name(vg, lv, name);
	return dmctl_message(ch->d, name, action, e);
}

static int rebuild(struct lv_change *ch, struct vg_lv *lv, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct images im;
	unsigned n = 0;
	int r;

	if ((r = raid_images_of(vg, lv, &im, e)))
		return r;
	for (unsigned i = 0; i < im.n; i++)
		for (unsigned k = 0; k < ch->nranges; k++)
			if (lv_uses_pv(im.image[i], ch->ranges[k].pv) && !(im.image[i]->status & FLAG(LVF_REBUILD))) {
				raid_set_rebuild(&im, i, true);
				if (im.meta[i] && (r = raid_wipe_rmeta(vg, im.meta[i], e)))
					return r;
				n++;
			}
	if (!n)
		return err_set(e, -EINVAL, "No image of %s/%s is on the PVs given.", vg->name, lv->name);
	if (n == im.n)
		return err_set(e, -EINVAL, "Cannot rebuild every image of %s/%s.", vg->name, lv->name);
	return raid_apply(ch, lv, model(lv), &im, e);
}

/* lvchange --raidmaxrecoveryrate/--raidminrecoveryrate: the VG text's
 * rates, and the table's (max_/min_recovery_rate) on reload. */
static int set_rates(struct lv_change *ch, struct vg_lv *lv, const struct lv_convert_req *req, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct raid_seg shape;
	struct images im;
	int r;

	if (!model(lv) || !strncmp(model(lv)->level, "raid0", 5))
		return err_set(e, -EINVAL, "Recovery rates apply to raid LVs with redundancy; %s/%s is %s.", vg->name,
			       lv->name, model(lv) ? model(lv)->level : "?");
	shape = *model(lv);
	if (req->max_rate >= 0)
		shape.max_rate = (uint32_t)req->max_rate;
	if (req->min_rate >= 0)
		shape.min_rate = (uint32_t)req->min_rate;
	if (shape.max_rate && shape.min_rate > shape.max_rate)
		return err_set(e, -EINVAL, "Minimum recovery rate cannot be higher than maximum.");
	if ((r = raid_images_of(vg, lv, &im, e)) || (r = raid_set_seg(vg, lv, lv->le_count, &shape, im.meta, im.image, e)) ||
	    (r = lvm_vg_commit(ch->env, ch->h, e)))
		return r;
	if (dmctl_up(ch->d) && lv_dm_active(ch->d, vg, lv) && (r = lv_dm_reload(ch->d, ch->env, vg, lv, e)))
		return r;
	fprintf(ch->out, "  Logical volume %s/%s changed.\n", vg->name, lv->name);
	return 0;
}

/* The image of @lv split off with --trackchanges, or -1. */
int raid_tracked_index(const struct images *im)
{
	for (unsigned i = 0; i < im->n; i++)
		if (raid_image_tracked(im->image[i]))
			return (int)i;
	return -1;
}

/* Every image of the active raid LV but @skip (-1: none; a slot split off
 * with --trackchanges) in sync: 0 or -EBUSY. */
int raid_in_sync_but(struct lv_change *ch, const struct vg *vg, const struct vg_lv *lv, const char *what, int skip,
		     struct err *e)
{
	char name[LV_DM_NAME_MAX];
	struct raid_status st;
	bool healthy = true;

	lv_dm_name(vg, lv, name);
	if (!dmctl_up(ch->d) || !dmctl_exists(ch->d, name))
		return 0;
	if (raid_status_of(ch->d, name, &st))
		return err_set(e, -EIO, "Cannot read the raid status of %s/%s.", vg->name, lv->name);
	for (size_t i = 0; st.health[i]; i++)
		healthy &= st.health[i] == 'A' || (int)i == skip;
	if (st.done != st.total || strcmp(st.action, "idle") || !healthy)
		return err_set(e, -EBUSY, "Unable to %s %s/%s while it is not in sync (%s %" PRIu64 "/%" PRIu64
			       " %s).", what, vg->name, lv->name, st.health, st.done, st.total, st.action);
	return 0;
}

/* The active raid LV must be in sync to lose a copy on purpose (@what:
 * "split images of", "convert"). */
int raid_require_in_sync(struct lv_change *ch, const struct vg *vg, const struct vg_lv *lv, const char *what,
			 struct err *e)
{
	return raid_in_sync_but(ch, vg, lv, what, -1, e);
}

/* lvchange --writemostly PV[:y|n|t] and --writebehind N (lvm2's, raid1
 * only): the WRITEMOSTLY flag of the images on those PVs, the segment's
 * writebehind; an active LV is reloaded with write_mostly <idx> and
 * max_write_behind, so reads leave those images at once (a raid1 with a
 * remote leg over NBD keeps its reads local). */
static int write_mostly(struct lv_change *ch, struct vg_lv *lv, const struct lv_convert_req *req, struct err *e)
{
	struct vg *vg = ch->h->vg;
	const struct raid_seg *m = model(lv);
	struct raid_seg shape = *m;
	struct images im;
	unsigned nwm = 0;
	int r;

	if (strcmp(m->level, "raid1"))
		return err_set(e, -EINVAL, "--write%s can only be used with 'raid1' segment type (%s/%s is %s).",
			       req->write_mostly ? "mostly" : "behind", vg->name, lv->name, m->level);
	if ((r = raid_images_of(vg, lv, &im, e)))
		return r;
	for (unsigned k = 0; req->write_mostly && req->write_mostly[k] && k < ch->nranges; k++) {
		const struct vg_pv *pv = ch->ranges[k].pv;
		bool found = false;

		for (unsigned i = 0; i < im.n; i++) {
			uint32_t *st = &im.image[i]->status;
			bool on = req->write_mostly[k] == 'y' || (req->write_mostly[k] == 't' && !(*st & FLAG(LVF_WRITEMOSTLY)));

			if (!lv_uses_pv(im.image[i], pv))
				continue;
			*st = on ? *st | FLAG(LVF_WRITEMOSTLY) : *st & ~FLAG(LVF_WRITEMOSTLY);
			found = true;
		}
		if (!found)
			return err_set(e, -EINVAL, "PV %s is not used by raid1 LV %s/%s.", pv->path ? pv->path : pv->id,
				       vg->name, lv->name);
	}
	for (unsigned i = 0; i < im.n; i++)
		nwm += (im.image[i]->status & FLAG(LVF_WRITEMOSTLY)) != 0;
	if (nwm == im.n)
		return err_set(e, -EINVAL, "Unable to mark every image of %s/%s write-mostly: reads need one that is not.",
			       vg->name, lv->name);
	if (req->set_write_behind)
		shape.writebehind = req->write_behind;
	if ((r = raid_apply(ch, lv, &shape, &im, e)))
		return r;
	fprintf(ch->out, "  Logical volume %s/%s changed.\n", vg->name, lv->name);
	return 0;
}

int raid_convert(struct lv_change *ch, struct vg_lv *lv, const struct lv_convert_req *req, struct err *e)
{
	const struct vg *vg = ch->h->vg;
	bool is_raid = lv_segtype(lv) == &segtype_raid;

	if (req->mirror_log)
		return err_set(e, -EINVAL, "--mirrorlog goes with --type mirror; %s/%s would be %s.", vg->name, lv->name,
			       is_raid ? lv->seg[0].type : "raid1");

	if (req->merge && !is_raid) { /* @lv is the image; its raid LV uses it */
		struct vg_lv *o = lv_first_user(vg, lv, NULL);

		if (!o || lv_segtype(o) != &segtype_raid)
			return err_set(e, -EINVAL, "%s/%s is not a raid image.", vg->name, lv->name);
		return raid_merge_back(ch, o, lv, e);
	}
	if (req->max_rate >= 0 || req->min_rate >= 0)
		return is_raid ? set_rates(ch, lv, req, e) : err_set(e, -EINVAL, "Recovery rates apply to raid LVs.");
	if (req->sync_action)
		return is_raid ? sync_action(ch, lv, req->sync_action, e)
			       : err_set(e, -EINVAL, "--syncaction applies to raid LVs.");
	if (req->rebuild)
		return is_raid ? rebuild(ch, lv, e) : err_set(e, -EINVAL, "--rebuild applies to raid LVs.");
	if (req->write_mostly || req->set_write_behind)
		return is_raid ? write_mostly(ch, lv, req, e)
			       : err_set(e, -EINVAL, "--writemostly and --writebehind apply to raid1 LVs.");
	if (!is_raid) {
		if (req->type_name && strcmp(req->type_name, "raid1"))
			return raid_takeover(ch, lv, req, e);
		if (lv_segtype(lv) == &segtype_mirror)
			return mirror_to_raid1(ch, lv, req->mirrors, e);
		return from_linear(ch, lv, req->mirrors >= 0 ? (unsigned)req->mirrors + 1 : 2, e);
	}
	if (!model(lv) || !model(lv)->servable)
		return err_set(e, -EOPNOTSUPP, "LV %s/%s is %s: not supported yet.", vg->name, lv->name, lv->seg[0].type);
	if (req->merge)
		return err_set(e, -EINVAL, "--merge takes the image split off with --trackchanges (%s/%s_rimage_N).",
			       vg->name, lv->name);
	if (req->split)
		return req->track ? raid_split_track(ch, lv, req->split, e) : raid_split_off(ch, lv, req->split, req->name, e);
	{
		struct images im;

		if (!raid_images_of(vg, lv, &im, e) && raid_tracked_index(&im) >= 0)
			return err_set(e, -EBUSY, "%s/%s is tracking changes for %s/%s: --merge it first.", vg->name,
				       lv->name, vg->name, im.image[raid_tracked_index(&im)]->name);
	}
	if (req->remove_missing)
		return remove_missing(ch, lv, e);
	if (req->repair || req->use_policies)
		return repair(ch, lv, req->use_policies, e);
	if (req->type_name && strcmp(raid_canonical(req->type_name), raid_canonical(model(lv)->level)))
		return raid_takeover(ch, lv, req, e);
	if (req->mirrors >= 0)
		return raid_change_images(ch, lv, (unsigned)req->mirrors + 1, NULL, NULL, e);
	return err_set(e, -EINVAL, "Nothing to do for %s/%s: give -m N, --repair or --type.", vg->name, lv->name);
}

/* lvreduce of a raid LV: to whole stripes (@want rounded up to the data
 * images); the raid device first takes its smaller table over the images
 * as they are, then the images shrink, so no I/O runs past an image's
 * end on the way. */
static int reduce(struct lv_change *ch, struct vg_lv *lv, const struct lv_resize_req *req, struct images *im,
		  uint64_t want, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct raid_seg shape = *model(lv); /* the segment is rewritten below */
	const struct raid_seg *m = &shape;
	unsigned data = raid_data_images(m);
	uint32_t old = lv->le_count, per;
	char b1[UNITS_BUF];
	bool active = dmctl_up(ch->d) && lv_dm_active(ch->d, vg, lv);
	int r;

	if (raid_tracked_index(im) >= 0)
		return err_set(e, -EBUSY, "%s/%s is tracking changes for %s/%s: --merge it first.", vg->name, lv->name,
			       vg->name, im->image[raid_tracked_index(im)]->name);
	if (!want)
		return err_set(e, -EINVAL, "Cannot reduce %s/%s to nothing (lvremove removes it).", vg->name, lv->name);
	if (want % data) {
		want += data - want % data;
		fprintf(ch->out, "  Rounding size up to full stripe size %s.\n",
			lv_change_size(b1, want * vg->extent_size));
	}
	if (want >= old)
		return err_set(e, -EINVAL, "New size (%" PRIu64 " extents) is not less than %u extents once rounded to "
			       "the %u data images.", want, old, data);
	if (req->confirm_reduce && (r = req->confirm_reduce(req->ctx, lv, want)))
		return err_set(e, r < 0 ? r : -ECANCELED, "Logical volume %s/%s NOT reduced.", vg->name, lv->name);
	per = (uint32_t)((old - want) / data);
	lv->le_count = (uint32_t)want;
	if ((r = raid_set_seg(vg, lv, lv->le_count, m, im->meta, im->image, e)))
		return r;
	if (active && (r = lv_dm_reload(ch->d, ch->env, vg, lv, e)))
		return r;
	for (unsigned i = 0; i < im->n; i++)
		if ((r = lv_reduce(im->image[i], per, e)))
			return r;
	if ((r = raid_set_seg(vg, lv, lv->le_count, m, im->meta, im->image, e)) ||
	    (r = lvm_vg_commit(ch->env, ch->h, e)))
		return r;
	if (active && (r = lv_dm_reload(ch->d, ch->env, vg, lv, e)))
		return r;
	return lv_change_resized(ch, lv, lv, old, false, e);
}

/* lvextend of a raid LV: every image grows by its share, on its own PV if
 * it has room there, else on one no other image uses; the table is
 * reloaded online and the raid target resyncs only what is new. */
int raid_resize(struct lv_change *ch, struct vg_lv *lv, const struct lv_resize_req *req, struct err *e)
{
	struct vg *vg = ch->h->vg;
	const struct raid_seg *m = model(lv);
	unsigned data;
	uint64_t want, delta, per;
	char b1[UNITS_BUF];
	uint32_t old = lv->le_count;
	struct images im;
	int r;

	if (req->policies)
		return m ? repair(ch, lv, true, e) : 0;
	if (!m && lv_owner(vg, lv))
		return err_set(e, -EINVAL, "Cannot resize internal LV %s/%s: it is the raids of %s/%s.", vg->name,
			       lv->name, vg->name, lv_owner(vg, lv)->name);
	if (!m || !m->servable)
		return err_set(e, -EOPNOTSUPP, "Cannot resize LV %s/%s: segment type %s is not supported yet.", vg->name,
			       lv->name, lv->nseg ? lv->seg[0].type : "?");
	if (req->metadata)
		return err_set(e, -EINVAL, "--poolmetadatasize applies to thin pools.");
	if ((r = raid_images_of(vg, lv, &im, e)))
		return r;
	want = req->sign == '+' ? old + req->extents : req->sign == '-' ? (req->extents < old ? old - req->extents : 0)
								     : req->extents;
	if (want < old)
		return reduce(ch, lv, req, &im, want, e);
	if (want == old)
		return err_set(e, -EINVAL, "New size (%u extents) matches existing size (%u extents).", old, old);
	data = raid_data_images(m);
	delta = want - old;
	if (delta % data) {
		delta += data - delta % data;
		fprintf(ch->out, "  Rounding size up to full stripe size %s.\n",
			lv_change_size(b1, (uint64_t)(old + delta) * vg->extent_size));
	}
	if (old + delta > UINT32_MAX)
		return err_set(e, -EINVAL, "Size too large.");
	per = delta / data;
	for (unsigned i = 0; i < im.n; i++) {
		struct vg_pv *own[MAX_IMAGES * 4], *avoid[MAX_IMAGES * 4];
		unsigned nown = raid_lv_pvs(im.image[i], own, 0, MAX_IMAGES * 4), navoid = 0;
		struct alloc_range rg = { own[nown ? nown - 1 : 0], 0, UINT32_MAX };
		struct alloc_req areq = { .stripes = 1, .extents = (uint32_t)per, .ranges = &rg, .nranges = 1 };

		if (nown && !alloc_extend(vg, im.image[i], &areq, NULL))
			continue;
		for (unsigned j = 0; j < im.n; j++)
			if (j != i)
				navoid = raid_lv_pvs(im.image[j], avoid, navoid, MAX_IMAGES * 4);
		areq.ranges = NULL;
		areq.nranges = 0;
		for (unsigned p = 0; p < vg->npv; p++) { /* a PV no other image uses */
			bool used = !vg->pv[p]->pv;

			for (unsigned k = 0; k < navoid; k++)
				used |= avoid[k] == vg->pv[p];
			if (used)
				continue;
			rg = (struct alloc_range){ vg->pv[p], 0, UINT32_MAX };
			areq.ranges = &rg;
			areq.nranges = 1;
			if (!alloc_extend(vg, im.image[i], &areq, NULL))
				break;
			areq.ranges = NULL;
		}
		if (!areq.ranges)
			return err_set(e, -ENOSPC, "Insufficient suitable allocatable extents for logical volume %s: image %u "
				       "needs %" PRIu64 " more extents on a PV no other image uses", lv->name, i, per);
	}
	lv->le_count = (uint32_t)(old + delta);
	if ((r = raid_set_seg(vg, lv, lv->le_count, m, im.meta, im.image, e)) ||
	    (r = lvm_vg_commit(ch->env, ch->h, e)))
		return r;
	return lv_change_resized(ch, lv, lv, old, true, e);
}
