/* lvconvert --type between raid levels, and from and to striped, where
 * the data stays where it is (lvm2's takeover, lvmraid(7); the raid
 * target's side is raid_meta.c's takeover()):
 *
 *   raid1 (2 images) <-> raid4, raid5_*     no data moves, none copied
 *   raid5_X <-> raid6_X_6                   a Q image added (rebuilt) or
 *                                           dropped
 *   striped, raid0, raid0_meta <-> raid5_n, raid6_n_6
 *                                           parity-N puts chunk k of a
 *                                           stripe on image k, as raid0
 *                                           and striped do; P (and Q)
 *                                           images added and rebuilt, or
 *                                           dropped
 *   striped <-> raid0 <-> raid0_meta        images made from the stripes
 *                                           (rmetas added or dropped), or
 *                                           stripes made of the images
 *
 * Anything else would move data (lvm2's reshape) and is refused, naming
 * the type that keeps it in place.  An LV that loses redundancy must be
 * in sync first.  Every step is one VG commit and, for an active LV, one
 * reload of its stack; sub-LVs that go are removed from ulvmd after it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dmctl.h"
#include "lvm/activate.h"
#include "lvm/alloc.h"
#include "lvm/devices.h"
#include "lvm/segtype/raid_lv.h"
#include "lvm/vg_internal.h"

#define DEFAULT_REGION 4096 /* sectors: lvm2's default region size, 2 MiB */

static const struct raid_seg *model(const struct vg_lv *lv)
{
	return lv_seg_model(lv, &segtype_raid);
}

/* lvm2's level names that are another's alias (the target's names). */
const char *raid_canonical(const char *level)
{
	return !strcmp(level, "raid5") ? "raid5_ls" : !strcmp(level, "raid6") ? "raid6_zr" : level;
}

/* lvm2's answer when it takes a request for "raid5" or "raid6" as the
 * layout that keeps the data in place (said once the LV may change). */
static void offered(struct lv_change *ch, const char *to, const char *level)
{
	if (strcmp(to, level) && (!strcmp(to, "raid5") || !strcmp(to, "raid6")))
		fprintf(ch->out, "  Replaced LV type %s (same as %s) with possible type %s.\n", to, raid_canonical(to),
			level);
}

/* raid1 of 2 images <-> raid4 or raid5 of 2 (a stripe of 2 legs is a
 * chunk and its parity, a copy of it); raid5_X -> raid6_X_6, a Q image
 * added and rebuilt ("raid6" asks for it, as lvm2 offers), and back, the
 * Q image (the last) dropped. */
static int between_levels(struct lv_change *ch, struct vg_lv *lv, const struct lv_convert_req *req, struct err *e)
{
	struct vg *vg = ch->h->vg;
	const struct raid_seg *m = model(lv);
	const char *from = raid_canonical(m->level), *to = req->type_name;
	struct raid_seg shape = *m;
	bool drops[MAX_IMAGES] = { false };
	char pair[24];
	struct images im;
	int r;

	if ((r = raid_images_of(vg, lv, &im, e)))
		return r;
	if (!strcmp(from, "raid1") && (!strcmp(to, "raid4") || !strncmp(to, "raid5", 5))) {
		if (im.n != 2)
			return err_set(e, -EINVAL, "Can't convert raid1 LV %s/%s to %s with != 2 legs.", vg->name, lv->name,
				       to);
		snprintf(shape.level, sizeof(shape.level), "%s", to);
		shape.stripe_size = 128; /* lvm2's 2 * DEFAULT_STRIPESIZE */
	} else if ((!strcmp(from, "raid4") || !strncmp(from, "raid5", 5)) && !strcmp(to, "raid1")) {
		if (im.n != 2)
			return err_set(e, -EINVAL, "Can't convert %s LV %s/%s to raid1 with != 2 legs.", m->level, vg->name,
				       lv->name);
		snprintf(shape.level, sizeof(shape.level), "raid1");
		shape.stripe_size = 0;
	} else if (!strncmp(from, "raid5_", 6) && !strncmp(to, "raid6", 5)) {
		snprintf(pair, sizeof(pair), "raid6_%s_6", from + 6);
		if (strcmp(to, "raid6") && strcmp(raid_canonical(to), pair))
			return err_set(e, -EOPNOTSUPP, "Converting %s LV %s/%s to %s moves its data (a reshape), which ulvm "
				       "does not do; %s keeps the data in place.", m->level, vg->name, lv->name, to, pair);
		if (im.n < 4)
			return err_set(e, -EINVAL, "Minimum of 4 stripes needed for conversion from %s to %s.", m->level,
				       to);
		snprintf(shape.level, sizeof(shape.level), "%s", pair);
	} else if (!strncmp(from, "raid6_", 6) && !strncmp(to, "raid5", 5)) {
		size_t n = strlen(from);

		if (n < 9 || strcmp(from + n - 2, "_6"))
			return err_set(e, -EOPNOTSUPP, "%s LV %s/%s has no Q device of its own to drop (a raid6_*_6 layout "
				       "has); converting it to %s moves data, which ulvm does not do.", m->level, vg->name,
				       lv->name, to);
		snprintf(pair, sizeof(pair), "raid5_%.*s", (int)(n - 8), from + 6);
		if (!strcmp(to, "raid5") && strcmp(pair, "raid5_ls"))
			to = pair;
		if (strcmp(raid_canonical(to), pair))
			return err_set(e, -EOPNOTSUPP, "Converting %s LV %s/%s to %s moves its data (a reshape), which ulvm "
				       "does not do; %s keeps the data in place.", m->level, vg->name, lv->name, to, pair);
		snprintf(shape.level, sizeof(shape.level), "%s", to);
		drops[im.n - 1] = true;
	} else {
		return err_set(e, -EOPNOTSUPP, "Converting %s/%s from %s to %s is not supported yet.", vg->name, lv->name,
			       m->level, to);
	}
	if ((r = raid_require_in_sync(ch, vg, lv, "convert", e)))
		return r;
	if (!strncmp(to, "raid6", 5)) {
		offered(ch, to, shape.level);
		return raid_change_images(ch, lv, im.n + 1, NULL, &shape, e);
	}
	if (drops[im.n - 1])
		return raid_change_images(ch, lv, im.n - 1, drops, &shape, e);
	return (r = raid_apply(ch, lv, &shape, &im, e)) ? r : raid_converted(ch, lv);
}

static bool is_stripes_type(const char *t)
{
	return !strcmp(t, "striped") || !strcmp(t, "linear");
}

/* The parity-N level a request for @to names from a raid0 or striped LV
 * ("raid5" and "raid6" are taken as raid5_n and raid6_n_6, as lvm2 does);
 * NULL if @to is no raid5/raid6 level. */
static const char *parity_n(const char *to, const char *from, struct err *e, int *r)
{
	const char *n = !strncmp(to, "raid5", 5) ? "raid5_n" : !strncmp(to, "raid6", 5) ? "raid6_n_6" : NULL;

	*r = 0;
	if (n && strcmp(to, n) && strcmp(to, "raid5") && strcmp(to, "raid6"))
		*r = err_set(e, -EOPNOTSUPP, "Converting %s to %s moves its data (a reshape), which ulvm does not do; %s "
			     "keeps the data in place.", from, to, n);
	return n;
}

/* Images [0, n) of @lv in @im, with rmetas when @with_meta, made of its
 * stripes: image k holds area k of every segment, in order (lvm2's
 * _convert_striped_to_raid0), which is where raid0 puts chunk k of each
 * stripe row. */
static int images_from_stripes(struct lv_change *ch, struct vg_lv *lv, bool with_meta, struct images *im,
			       uint32_t *stripe, struct err *e)
{
	struct vg *vg = ch->h->vg;
	unsigned n = lv->nseg ? lv->seg[0].narea : 0;
	char name[LVM_NAME_LEN + 16];
	int r;

	for (unsigned s = 0; s < lv->nseg; s++)
		if (lv->seg[s].st != &segtype_striped || lv->seg[s].narea != n || !seg_on_pvs(&lv->seg[s]) ||
		    lv->seg[s].stripe_size != lv->seg[0].stripe_size)
			return err_set(e, -EINVAL, "%s/%s is not striped alike in all its segments (the same stripes "
				       "and stripe size): it has no raid0 layout.", vg->name, lv->name);
	if (n < 2 || n > MAX_IMAGES - 2)
		return err_set(e, -EINVAL, "%s/%s has %u stripe%s: a raid level takes 2 to %u (a linear LV becomes "
			       "raid1 with --type raid1 -m 1).", vg->name, lv->name, n, n == 1 ? "" : "s",
			       MAX_IMAGES - 2);
	if (strlen(lv->name) + 10 > LVM_NAME_LEN - 1)
		return err_set(e, -ENAMETOOLONG, "Logical volume name %s is too long for a raid LV.", lv->name);
	*stripe = lv->seg[0].stripe_size;
	im->n = n;
	for (unsigned k = 0; k < n; k++) {
		snprintf(name, sizeof(name), "%s_rimage_%u", lv->name, k);
		if ((r = lv_change_add_hidden(ch, name, 0, false, &im->image[k], e)))
			return r;
		for (unsigned s = 0; s < lv->nseg; s++)
			if ((r = lv_add_striped(im->image[k], 1, &lv->seg[s].area[k], seg_area_len(&lv->seg[s]), 0, e)))
				return r;
		im->meta[k] = NULL;
		if (with_meta && (r = raid_alloc_meta_beside(ch, lv->name, k, im->image[k], &im->meta[k], e)))
			return r;
	}
	return 0;
}

/* @np parity images (with rmetas) after the @im->n data images, on PVs
 * none of them uses; marked for rebuild. */
static int add_parity(struct lv_change *ch, struct vg_lv *lv, struct images *im, unsigned np, struct err *e)
{
	struct vg_pv *avoid[MAX_IMAGES * 4];
	unsigned navoid = 0, first = im->n;
	int r;

	for (unsigned i = 0; i < im->n; i++) {
		navoid = raid_lv_pvs(im->image[i], avoid, navoid, MAX_IMAGES * 4);
		navoid = raid_lv_pvs(im->meta[i], avoid, navoid, MAX_IMAGES * 4);
	}
	if ((r = raid_alloc(ch, ch->h->vg, lv->name, first, np, true, im->image[0]->le_count, avoid, navoid, im->meta,
			    im->image, e)))
		return r;
	im->n += np;
	for (unsigned i = first; i < im->n; i++)
		raid_set_rebuild(im, i, true);
	return 0;
}

static int wipe_new_metas(const struct vg *vg, const struct images *im, const bool *old, struct err *e)
{
	int r;

	for (unsigned i = 0; i < im->n; i++)
		if (im->meta[i] && !(old && old[i]) && (r = raid_wipe_rmeta(vg, im->meta[i], e)))
			return r;
	return 0;
}

/* @lv without segments (its extents now the images'), its size kept for
 * the raid segment that follows. */
int raid_drop_segments(struct vg_lv *lv, struct err *e)
{
	uint32_t le = lv->le_count;
	int r = lv_reduce(lv, le, e);

	if (r)
		return r;
	free(lv->seg);
	lv->seg = NULL;
	lv->nseg = 0;
	lv->le_count = le;
	return 0;
}

/* A striped LV (2 or more stripes) becomes raid0, raid0_meta, raid5_n or
 * raid6_n_6. */
static int from_stripes(struct lv_change *ch, struct vg_lv *lv, const char *to, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct raid_seg shape = { .region_size = DEFAULT_REGION };
	struct images im;
	const char *level;
	unsigned np;
	int r;

	if (!strcmp(to, "raid0") || !strcmp(to, "raid0_meta"))
		level = to;
	else if (!(level = parity_n(to, "striped", e, &r)) || r)
		return r ? r : err_set(e, -EOPNOTSUPP, "Converting striped LV %s/%s to %s is not supported yet (raid0, "
				       "raid0_meta, raid5_n and raid6_n_6 are).", vg->name, lv->name, to);
	np = raid_parity_devs(level);
	if (np == 2 && lv->nseg && lv->seg[0].narea < 3)
		return err_set(e, -EINVAL, "Minimum of 3 stripes needed for conversion from striped to %s.", level);
	offered(ch, to, level);
	if ((r = images_from_stripes(ch, lv, strcmp(level, "raid0") != 0, &im, &shape.stripe_size, e)) ||
	    (np && (r = add_parity(ch, lv, &im, np, e))) || (r = wipe_new_metas(vg, &im, NULL, e)) ||
	    (r = raid_drop_segments(lv, e)))
		return r;
	snprintf(shape.level, sizeof(shape.level), "%s", level);
	if (!np)
		shape.region_size = 0;
	return (r = raid_apply(ch, lv, &shape, &im, e)) ? r : raid_converted(ch, lv);
}

/* The first @n images of @im become @lv's striped segments again (lvm2's
 * _convert_raid0_to_striped): a segment per run of extents where every
 * image stays on one PV area; then every sub-LV goes. */
static int to_stripes(struct lv_change *ch, struct vg_lv *lv, struct images *im, unsigned n, uint32_t stripe,
		      struct err *e)
{
	struct vg *vg = ch->h->vg;
	char gone[2 * MAX_IMAGES][LV_DM_NAME_MAX];
	struct lv_area area[MAX_IMAGES];
	uint32_t per = im->image[0]->le_count;
	unsigned ngone = 0;
	int r;

	for (unsigned i = 0; i < im->n; i++) {
		lv_dm_name(vg, im->image[i], gone[ngone++]);
		if (im->meta[i])
			lv_dm_name(vg, im->meta[i], gone[ngone++]);
	}
	if ((r = raid_drop_segments(lv, e)))
		return r;
	lv->le_count = 0; /* lv_add_striped appends from here */
	for (uint32_t pos = 0; pos < per;) {
		uint32_t run = per - pos;

		for (unsigned k = 0; k < n; k++) {
			const struct vg_lv *img = im->image[k];
			unsigned s = 0;

			while (s < img->nseg && img->seg[s].le + img->seg[s].len <= pos)
				s++;
			if (s == img->nseg || img->seg[s].narea != 1 || !img->seg[s].area[0].pv)
				return err_set(e, -EINVAL, "Image %s is not on PVs alike: cannot make stripes of it.",
					       img->name);
			area[k] = img->seg[s].area[0];
			area[k].pe += pos - img->seg[s].le;
			if (img->seg[s].le + img->seg[s].len - pos < run)
				run = img->seg[s].le + img->seg[s].len - pos;
		}
		if ((r = lv_add_striped(lv, n, area, run, n > 1 ? stripe : 0, e)))
			return r;
		pos += run;
	}
	for (unsigned i = 0; i < im->n; i++) {
		vg_remove_lv(vg, im->image[i]);
		if (im->meta[i])
			vg_remove_lv(vg, im->meta[i]);
	}
	if ((r = lvm_vg_commit(ch->env, ch->h, e)) || (dmctl_up(ch->d) && (r = lv_dm_reload(ch->d, ch->env, vg, lv, e))))
		return r;
	raid_dm_remove_lvs(ch, gone, ngone);
	return raid_converted(ch, lv);
}

/* raid0, raid0_meta, raid5_n or raid6_n_6 becomes striped, raid0,
 * raid0_meta, raid5_n or raid6_n_6. */
static int between_stripes(struct lv_change *ch, struct vg_lv *lv, const char *to, struct err *e)
{
	struct vg *vg = ch->h->vg;
	const struct raid_seg *m = model(lv);
	const char *from = m->level, *level;
	struct raid_seg shape = *m;
	char gone[2 * MAX_IMAGES][LV_DM_NAME_MAX]; /* dropped images and every rmeta */
	bool old[MAX_IMAGES] = { false };
	unsigned np = raid_parity_devs(from), want_np, ngone = 0;
	struct images im;
	int r;

	if ((r = raid_images_of(vg, lv, &im, e)))
		return r;
	if (is_stripes_type(to) || !strncmp(to, "raid0", 5))
		level = is_stripes_type(to) ? "striped" : to;
	else if (!(level = parity_n(to, from, e, &r)) || r)
		return r ? r : err_set(e, -EOPNOTSUPP, "Converting %s/%s from %s to %s is not supported yet.", vg->name,
				       lv->name, from, to);
	want_np = raid_parity_devs(level);
	if (want_np < np && (r = raid_require_in_sync(ch, vg, lv, "convert", e)))
		return r;
	if (!strcmp(level, "striped") && im.n - np == 1)
		return err_set(e, -EINVAL, "%s/%s has one data image: convert it to raid1 first.", vg->name, lv->name);
	if (want_np == 2 && im.n - np < 3)
		return err_set(e, -EINVAL, "Minimum of 3 stripes needed for conversion from %s to %s.", from, level);
	if (!strcmp(level, "striped"))
		return to_stripes(ch, lv, &im, im.n - np, m->stripe_size, e);
	offered(ch, to, level);
	snprintf(shape.level, sizeof(shape.level), "%s", level);
	shape.region_size = want_np ? (m->region_size ? m->region_size : DEFAULT_REGION) : 0;
	if (!strcmp(level, "raid0")) { /* the parity images (the last ones) and every rmeta go */
		struct images keep = { .n = im.n - np };

		for (unsigned i = 0; i < im.n; i++) {
			if (i < keep.n) {
				keep.image[i] = im.image[i];
			} else {
				lv_dm_name(vg, im.image[i], gone[ngone++]);
				vg_remove_lv(vg, im.image[i]);
			}
			if (im.meta[i]) {
				lv_dm_name(vg, im.meta[i], gone[ngone++]);
				vg_remove_lv(vg, im.meta[i]);
			}
		}
		if ((r = raid_apply(ch, lv, &shape, &keep, e)))
			return r;
		raid_dm_remove_lvs(ch, gone, ngone);
		return raid_converted(ch, lv);
	}
	if (want_np < np) { /* the parity images go, the last ones */
		bool drops[MAX_IMAGES] = { false };

		for (unsigned i = im.n - np + want_np; i < im.n; i++)
			drops[i] = true;
		return raid_change_images(ch, lv, im.n - np + want_np, drops, &shape, e);
	}
	/* raid0 -> raid0_meta, and parity images added: rmetas where needed */
	for (unsigned i = 0; i < im.n; i++) {
		old[i] = im.meta[i] != NULL;
		if (!im.meta[i] && (r = raid_alloc_meta_beside(ch, lv->name, i, im.image[i], &im.meta[i], e)))
			return r;
	}
	if (want_np > np && (r = add_parity(ch, lv, &im, want_np - np, e)))
		return r;
	if ((r = wipe_new_metas(vg, &im, old, e)))
		return r;
	return (r = raid_apply(ch, lv, &shape, &im, e)) ? r : raid_converted(ch, lv);
}

int raid_takeover(struct lv_change *ch, struct vg_lv *lv, const struct lv_convert_req *req, struct err *e)
{
	const char *to = req->type_name;
	const struct raid_seg *m;

	if (lv_segtype(lv) != &segtype_raid)
		return from_stripes(ch, lv, to, e);
	if (!(m = model(lv)))
		return err_set(e, -EINVAL, "LV %s/%s is not a raid LV ulvm can change.", ch->h->vg->name, lv->name);
	if (req->mirrors >= 0 && !(!strcmp(to, "raid1") && req->mirrors == 1))
		return err_set(e, -EINVAL, "-m cannot change the number of images while %s/%s becomes %s.",
			       ch->h->vg->name, lv->name, to);
	if (!strncmp(m->level, "raid0", 5) || !strcmp(m->level, "raid5_n") || !strcmp(m->level, "raid6_n_6")) {
		if (is_stripes_type(to) || !strncmp(to, "raid0", 5) ||
		    (!strncmp(m->level, "raid0", 5) && (!strncmp(to, "raid5", 5) || !strncmp(to, "raid6", 5) ||
							 !strcmp(to, "raid4"))))
			return between_stripes(ch, lv, to, e);
	}
	return between_levels(ch, lv, req, e);
}
