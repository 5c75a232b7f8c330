/* lvconvert --splitmirrors of raid1 LVs, and --merge of an image split
 * off with --trackchanges (lvmraid(7); raid_convert.c dispatches here):
 *
 *   --splitmirrors 1 --trackchanges LV  an image (on the PVs named, else
 *                                    the last) becomes a visible read-only
 *                                    LV, its slot left out of the table:
 *                                    the bitmap marks what is written
 *                                    meanwhile;
 *   --merge LV_rimage_N              it rejoins, and only what the bitmap
 *                                    marked is copied back onto it;
 *   --splitmirrors 1 -n NAME LV      the image becomes LV NAME for good,
 *                                    the rest renumbered (a raid1 of two
 *                                    becomes linear).
 *
 * Each commits the VG before any table changes, so after a crash the next
 * activation builds what the VG says.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/dmctl.h"
#include "lvm/activate.h"
#include "lvm/alloc.h"
#include "lvm/devices.h"
#include "lvm/lvref.h"
#include "lvm/segtype/raid_lv.h"
#include "lvm/vg_internal.h"

static const char *level_of(const struct vg_lv *lv)
{
	return ((const struct raid_seg *)lv_seg_model(lv, &segtype_raid))->level;
}

int raid_split_track(struct lv_change *ch, struct vg_lv *lv, unsigned split, struct err *e)
{
	struct vg *vg = ch->h->vg;
	bool gone[MAX_IMAGES] = { false };
	char dm[LV_DM_NAME_MAX];
	struct vg_lv *img = NULL;
	struct images im;
	int r;

	if (strcmp(level_of(lv), "raid1"))
		return err_set(e, -EOPNOTSUPP, "--trackchanges applies to raid1 LVs; %s/%s is %s.", vg->name, lv->name,
			       level_of(lv));
	if (split != 1)
		return err_set(e, -EINVAL, "Only one image can be split off with --trackchanges.");
	if ((r = raid_images_of(vg, lv, &im, e)))
		return r;
	if (raid_tracked_index(&im) >= 0)
		return err_set(e, -EBUSY, "%s/%s is already tracking changes for %s/%s: --merge it first.", vg->name,
			       lv->name, vg->name, im.image[raid_tracked_index(&im)]->name);
	if (im.n < 2)
		return err_set(e, -EINVAL, "%s/%s has one image: there is nothing to split.", vg->name, lv->name);
	if ((r = raid_require_in_sync(ch, vg, lv, "split images of", e)))
		return r;
	raid_pick_drops(ch, &im, 1, gone);
	for (unsigned i = 0; i < im.n; i++)
		if (gone[i])
			img = im.image[i];
	img->status = (img->status | FLAG(LVF_VISIBLE)) & ~FLAG(LVF_WRITE);
	if ((r = lvm_vg_commit(ch->env, ch->h, e)))
		return r;
	if (dmctl_up(ch->d) && lv_dm_active(ch->d, vg, lv)) {
		/* the raid goes on without the slot; the image's device
		 * comes back up read-only, as the LV it now is */
		if ((r = lv_dm_reload(ch->d, ch->env, vg, lv, e)))
			return r;
		lv_dm_name(vg, img, dm);
		if (dmctl_exists(ch->d, dm) && (r = dmctl_remove(ch->d, dm, e)))
			return r;
		if ((r = lvm_lv_activate(ch->env, ch->d, vg, img, e)))
			return r;
	}
	fprintf(ch->out, "  %s/%s split from %s/%s for read-only purposes.\n", vg->name, img->name, vg->name, lv->name);
	fprintf(ch->out, "  Use 'lvconvert --merge %s/%s' to merge back into %s/%s\n", vg->name, img->name, vg->name,
		lv->name);
	return 0;
}

int raid_merge_back(struct lv_change *ch, struct vg_lv *lv, struct vg_lv *img, struct err *e)
{
	struct vg *vg = ch->h->vg;
	char dm[LV_DM_NAME_MAX];
	int r;

	if (!raid_image_tracked(img))
		return err_set(e, -EINVAL, "%s/%s is not an image split off %s/%s with --trackchanges.", vg->name,
			       img->name, vg->name, lv->name);
	lv_dm_name(vg, img, dm);
	if (dmctl_up(ch->d) && dmctl_exists(ch->d, dm) && (r = dmctl_remove(ch->d, dm, e)))
		return err_set(e, r, "%s/%s is in use, close it before --merge", vg->name, img->name);
	img->status = (img->status | FLAG(LVF_WRITE)) & ~FLAG(LVF_VISIBLE);
	if ((r = lvm_vg_commit(ch->env, ch->h, e)))
		return r;
	if (dmctl_up(ch->d) && lv_dm_active(ch->d, vg, lv) && (r = lv_dm_restack(ch->d, ch->env, vg, lv, e)))
		return r;
	fprintf(ch->out, "  %s/%s successfully merged back into %s/%s\n", vg->name, img->name, vg->name, lv->name);
	return 0;
}

/* --splitmirrors 1 -n NAME: the image (on the PVs named, else the last)
 * leaves for good as LV NAME, with its data; the rest stay a raid1 (or a
 * linear LV, if one is left: asked first, as lvm2 asks).  While an image
 * is split off with --trackchanges, that image is the one, read-only as
 * it was (lvm2's lv_raid_split completing a tracked split). */
int raid_split_off(struct lv_change *ch, struct vg_lv *lv, unsigned split, const char *name, struct err *e)
{
	struct vg *vg = ch->h->vg;
	bool gone[MAX_IMAGES] = { false };
	struct vg_lv *img = NULL, *out;
	char q[2 * LVM_NAME_LEN + 96];
	struct images im;
	int r, t;

	if (strcmp(level_of(lv), "raid1"))
		return err_set(e, -EOPNOTSUPP, "--splitmirrors applies to raid1 LVs; %s/%s is %s.", vg->name, lv->name,
			       level_of(lv));
	if (!name)
		return err_set(e, -EINVAL, "Please name the new LV with -n/--name, or give --trackchanges.");
	if (split != 1)
		return err_set(e, -EINVAL, "Unable to split more than one image from %s/%s.", vg->name, lv->name);
	if ((r = raid_images_of(vg, lv, &im, e)))
		return r;
	if (im.n < 2)
		return err_set(e, -EINVAL, "%s/%s has one image: there is nothing to split.", vg->name, lv->name);
	t = raid_tracked_index(&im);
	if ((r = vg_check_new_lv_name(vg, name, e)) || (r = raid_in_sync_but(ch, vg, lv, "split images of", t, e)))
		return r;
	if (t >= 0) {
		for (unsigned k = 0; k < ch->nranges; k++)
			if (!lv_uses_pv(im.image[t], ch->ranges[k].pv))
				return err_set(e, -EINVAL, "Unable to split additional image from %s/%s while tracking "
					       "changes for %s/%s.", vg->name, lv->name, vg->name, im.image[t]->name);
		gone[t] = true;
	} else {
		raid_pick_drops(ch, &im, 1, gone);
	}
	snprintf(q, sizeof(q), "Are you sure you want to split raid1 LV %s/%s losing all resilience? [y/n]: ",
		 vg->name, lv->name);
	if (im.n == 2 && ch->confirm && !ch->confirm(ch->ctx, q))
		return err_set(e, -ECANCELED, "Logical volume %s/%s NOT split.", vg->name, lv->name);
	for (unsigned i = 0; i < im.n; i++)
		if (gone[i])
			img = im.image[i];
	/* the new LV takes the image's extents; the image, left empty, goes
	 * with its rmeta as -m would drop them */
	if ((r = vg_add_lv(vg, name, &out, e)))
		return r;
	if (t >= 0)
		out->status &= ~FLAG(LVF_WRITE);
	raid_move_segments(out, img);
	{
		FILE *keep = ch->out, *null = fopen("/dev/null", "w");

		ch->out = null ? null : keep; /* change_images' own message is not lvm2's */
		r = raid_change_images(ch, lv, im.n - 1, gone, NULL, e);
		ch->out = keep;
		if (null)
			fclose(null);
	}
	if (r)
		return r;
	if (dmctl_up(ch->d) && lv_dm_active(ch->d, vg, lv) && (r = lvm_lv_activate(ch->env, ch->d, vg, out, e)))
		return r;
	fprintf(ch->out, "  Split an image of %s/%s off as logical volume %s/%s.\n", vg->name, lv->name, vg->name, name);
	return 0;
}

