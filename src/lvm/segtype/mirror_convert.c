/* lvconvert of "mirror" LVs (lvm2's lib/metadata/mirror.c and the mirror
 * <-> raid1 takeover of raid_manip.c):
 *
 *  - -m N of a mirror: fewer legs (those on the PVs named, else the last
 *    ones; the rest renumbered from 0, the log kept: a region in sync
 *    stays in sync without a leg; in sync first when the first leg goes,
 *    the one the others are copied from), -m 0: linear on the leg that
 *    stays, the log removed.  More legs: on PVs no leg uses, copied from
 *    the first leg through a new zeroed disk log (add_legs);
 *  - linear -> mirror (--type mirror -m N): the LV becomes leg 0, the new
 *    legs copied from it at activation through a zeroed disk log;
 *  - --type raid1 of a mirror (mirror_to_raid1, through raid's hook): in
 *    sync first; an rmeta beside each leg, the legs renamed _rimage_N,
 *    the log removed.  An active LV's first raid table says nosync (the
 *    legs hold the same data), as lvm2's init_mirror_in_sync(1), so
 *    nothing is copied; an inactive one resyncs at its next activation;
 *  - --type mirror of a raid1 (to_mirror): in sync first and confirmed
 *    ("back to the older mirror type"); a disk log written all in sync,
 *    the rmetas removed, the images renamed _mimage_N.
 *
 * Each change is one commit of the VG (then the active stack reloaded):
 * a failure before it leaves the metadata as it was.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dmctl.h"
#include "lvm/activate.h"
#include "lvm/devices.h"
#include "lvm/segtype/mirror_lv.h"
#include "lvm/segtype/raid_lv.h"
#include "lvm/vg_internal.h"
#include "lvm/settings.h"

/* The legs and log of a mirror LV made by lvcreate --type mirror. */
static int legs_of(const struct vg *vg, const struct vg_lv *lv, struct images *im, struct vg_lv **log,
		   uint32_t *region, struct err *e)
{
	const struct mirror_seg *m = lv_seg_model(lv, &segtype_mirror);
	const struct lv_seg *s = lv->nseg ? &lv->seg[0] : NULL;

	if (!m || lv->nseg != 1 || m->pvmove || (lv->status & FLAG(LVF_PVMOVE)))
		return err_set(e, -EINVAL, "%s/%s is not a mirror LV of lvcreate --type mirror.", vg->name, lv->name);
	if (s->narea > MAX_IMAGES)
		return err_set(e, -EINVAL, "Mirror %s/%s has too many legs (%u).", vg->name, lv->name, s->narea);
	im->n = s->narea;
	for (unsigned i = 0; i < s->narea; i++) {
		im->meta[i] = NULL;
		if (!(im->image[i] = s->area[i].lv))
			return err_set(e, -EINVAL, "%s/%s is not a mirror of sub-LVs.", vg->name, lv->name);
	}
	*log = m->log;
	*region = m->region_size ? m->region_size : MIRROR_DEFAULT_REGION;
	return 0;
}

/* Whether the mirror runs in ulvmd (*active) and, if so, its regions in
 * sync out of all (0/0 when inactive), and into @health (NULL: not
 * wanted; else MAX_IMAGES + 1 bytes) a letter per leg ("" inactive). */
static int sync_of(struct lv_change *ch, const struct vg *vg, const struct vg_lv *lv, bool *active, uint64_t *in,
		   uint64_t *total, char *health, struct err *e)
{
	char name[LV_DM_NAME_MAX];

	*in = *total = 0;
	if (health)
		health[0] = 0;
	lv_dm_name(vg, lv, name);
	*active = dmctl_up(ch->d) && dmctl_exists(ch->d, name);
	if (*active && mirror_status_of(ch->d, name, in, total, health, health ? MAX_IMAGES + 1 : 0))
		return err_set(e, -EIO, "Cannot read the mirror status of %s/%s.", vg->name, lv->name);
	return 0;
}

/* 0 if the mirror is inactive or in sync (*active says which). */
static int require_in_sync(struct lv_change *ch, const struct vg *vg, const struct vg_lv *lv, bool *active,
			   struct err *e)
{
	uint64_t in, total;
	int r = sync_of(ch, vg, lv, active, &in, &total, NULL, e);

	if (r)
		return r;
	if (in != total)
		return err_set(e, -EBUSY, "Unable to convert %s/%s while it is not in-sync (%" PRIu64 "/%" PRIu64
			       " regions).", vg->name, lv->name, in, total);
	return 0;
}

static int rename_legs(struct lv_change *ch, const struct vg *vg, const struct vg_lv *lv, struct images *im,
		       const char *kind, struct err *e)
{
	char to[LVM_NAME_LEN + 16];
	int r;

	for (unsigned i = 0; i < im->n; i++) {
		snprintf(to, sizeof(to), "%s_%s_%u", lv->name, kind, i);
		if ((r = raid_rename_lv(ch, vg, im->image[i], to, e)))
			return r;
	}
	return 0;
}

/* Commit, reload the stack if active, remove the dm devices @gone; say
 * "converted" if @say (not when another step follows). */
static int finish(struct lv_change *ch, struct vg_lv *lv, char (*gone)[LV_DM_NAME_MAX], unsigned ngone, bool say,
		  struct err *e)
{
	int r = raid_commit_restack(ch, lv, e);

	if (r)
		return r;
	raid_dm_remove_lvs(ch, gone, ngone);
	return say ? raid_converted(ch, lv) : 0;
}

int mirror_to_raid1(struct lv_change *ch, struct vg_lv *lv, int mirrors, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct raid_seg shape = { .level = "raid1" };
	char gone[1][LV_DM_NAME_MAX];
	struct vg_lv *log;
	struct images im;
	unsigned ngone = 0;
	bool active, was_notsynced;
	int r;

	if ((r = legs_of(vg, lv, &im, &log, &shape.region_size, e)))
		return r;
	if (mirrors >= 0 && (unsigned)mirrors + 1 != im.n)
		return err_set(e, -EINVAL, "%s/%s has %u legs: convert it to raid1 as it is, then change -m.", vg->name,
			       lv->name, im.n);
	if ((r = require_in_sync(ch, vg, lv, &active, e)))
		return r;
	if (strlen(lv->name) + 10 > LVM_NAME_LEN - 1)
		return err_set(e, -ENAMETOOLONG, "Logical volume name %s is too long for a raid LV.", lv->name);
	for (unsigned i = 0; i < im.n; i++)
		if ((r = raid_alloc_meta_beside(ch, lv->name, i, im.image[i], &im.meta[i], e)) ||
		    (r = raid_wipe_rmeta(vg, im.meta[i], e)))
			return r;
	if ((r = rename_legs(ch, vg, lv, &im, "rimage", e)) || (r = raid_drop_segments(lv, e)))
		return r;
	if (log) {
		lv_dm_name(vg, log, gone[ngone++]);
		vg_remove_lv(vg, log);
	}
	/* the legs agree: the first table of an active LV says so (an LV made
	 * with --nosync keeps saying it) */
	was_notsynced = lv->status & FLAG(LVF_NOTSYNCED);
	if (active)
		lv->status |= FLAG(LVF_NOTSYNCED);
	if ((r = raid_apply(ch, lv, &shape, &im, e)))
		return r;
	if (active && !was_notsynced) {
		lv->status &= ~FLAG(LVF_NOTSYNCED);
		if ((r = lvm_vg_commit(ch->env, ch->h, e)))
			return r;
	}
	raid_dm_remove_lvs(ch, gone, ngone);
	return raid_converted(ch, lv);
}

static int to_mirror(struct lv_change *ch, struct vg_lv *lv, int mirrors, struct err *e)
{
	struct vg *vg = ch->h->vg;
	const struct raid_seg *m = lv_seg_model(lv, &segtype_raid);
	char gone[MAX_IMAGES][LV_DM_NAME_MAX], q[2 * LVM_NAME_LEN + 96];
	struct vg_pv *used[MAX_IMAGES * 4];
	unsigned nused = 0, ngone = 0;
	uint32_t region;
	struct vg_lv *log;
	struct images im;
	int r;

	if (!m || strcmp(m->level, "raid1"))
		return err_set(e, -EINVAL, "Only raid1 LVs convert to mirror (%s/%s is %s).", vg->name, lv->name,
			       m ? m->level : lv->nseg ? lv->seg[0].type : "empty");
	region = m->region_size ? m->region_size : MIRROR_DEFAULT_REGION;
	if ((r = raid_images_of(vg, lv, &im, e)))
		return r;
	if (mirrors >= 0 && (unsigned)mirrors + 1 != im.n)
		return err_set(e, -EINVAL, "%s/%s has %u images: convert it to mirror as it is, then change -m.",
			       vg->name, lv->name, im.n);
	for (unsigned i = 0; i < im.n; i++)
		if (raid_image_tracked(im.image[i]))
			return err_set(e, -EBUSY, "%s/%s is tracking changes for %s/%s: --merge it first.", vg->name,
				       lv->name, vg->name, im.image[i]->name);
	if (im.n > MIRROR_LEGS_MAX)
		return err_set(e, -EINVAL, "Unable to convert raid1 LV %s/%s with %u images to mirror. At least "
			       "reduce to the maximum of %u images with \"lvconvert -m%u %s/%s\".", vg->name, lv->name,
			       im.n, MIRROR_LEGS_MAX, MIRROR_LEGS_MAX - 1, vg->name, lv->name);
	if ((r = raid_require_in_sync(ch, vg, lv, "convert", e)))
		return r;
	snprintf(q, sizeof(q), "Are you sure you want to convert %s/%s back to the older mirror type? [y/n]: ",
		 vg->name, lv->name);
	if (ch->confirm && !ch->confirm(ch->ctx, q))
		return err_set(e, -ECANCELED, "Logical volume %s/%s NOT converted to \"mirror\".", vg->name, lv->name);
	for (unsigned i = 0; i < im.n; i++)
		nused = raid_lv_pvs(im.image[i], used, nused, MAX_IMAGES * 4);
	if ((r = mirror_alloc_log(ch, lv->name, used, nused, true, &log, e)) ||
	    (r = rename_legs(ch, vg, lv, &im, "mimage", e)))
		return r;
	for (unsigned i = 0; i < im.n; i++)
		if (im.meta[i]) {
			lv_dm_name(vg, im.meta[i], gone[ngone++]);
			vg_remove_lv(vg, im.meta[i]);
		}
	if ((r = raid_drop_segments(lv, e)) ||
	    (r = mirror_set_seg(lv, lv->le_count, im.image, im.n, region, log, e)))
		return r;
	return finish(ch, lv, gone, ngone, true, e);
}

/* PVs new legs keep off besides their siblings' (those of failed legs). */
struct pv_set {
	struct vg_pv *pv[MAX_IMAGES * 4];
	unsigned n;
};

static unsigned add_avoid(struct vg_pv **used, unsigned n, const struct pv_set *avoid)
{
	for (unsigned i = 0; avoid && i < avoid->n && n < MAX_IMAGES * 4; i++)
		used[n++] = avoid->pv[i];
	return n;
}

/* -m up: new legs on PVs no leg uses, and every region copied again from
 * the first leg: a new disk log, zeroed, beside the old one (which the
 * running mirror still writes until the reload), the old one's dm device
 * stepped aside and removed after; a core log starts out of sync anyway. */
static int add_legs(struct lv_change *ch, struct vg_lv *lv, struct images *im, unsigned want, struct vg_lv *log,
		    uint32_t region, const struct pv_set *avoid, bool say, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct vg_pv *used[MAX_IMAGES * 4];
	struct vg_lv *meta[MAX_IMAGES], *newlog = NULL;
	char gone[1][LV_DM_NAME_MAX], *old = NULL;
	unsigned nused = 0, ngone = 0, from = im->n;
	int r;

	if (want > MIRROR_LEGS_MAX)
		return err_set(e, -EINVAL, "Only up to %u images in mirror supported currently.", MIRROR_LEGS_MAX);
	for (unsigned i = 0; i < from; i++)
		nused = raid_lv_pvs(im->image[i], used, nused, MAX_IMAGES * 4);
	nused = add_avoid(used, nused, avoid);
	if ((r = raid_alloc(ch, vg, lv->name, from, want - from, false, lv->le_count, used, nused, meta, im->image,
			    e)))
		return r;
	im->n = want;
	for (unsigned i = from; i < want; i++)
		nused = raid_lv_pvs(im->image[i], used, nused, MAX_IMAGES * 4);
	if ((r = rename_legs(ch, vg, lv, im, "mimage", e)))
		return r;
	if (log) {
		lv_dm_name(vg, log, gone[ngone++]);
		if (asprintf(&old, "%s_old", log->name) < 0)
			return err_set(e, -ENOMEM, "out of memory");
		free(log->name);
		log->name = old;
		if ((r = mirror_alloc_log(ch, lv->name, used, nused, false, &newlog, e)) ||
		    (r = raid_dm_step_aside(ch, gone, ngone, e)))
			return r;
		vg_remove_lv(vg, log);
	}
	if ((r = raid_drop_segments(lv, e)) || (r = mirror_set_seg(lv, lv->le_count, im->image, want, region, newlog, e)))
		return r;
	lv->status &= ~FLAG(LVF_NOTSYNCED); /* a core log's nosync would trust the new legs */
	return finish(ch, lv, gone, ngone, say, e);
}

/* -m @want - 1 of mirror @lv: fewer legs (@which, or those -m picks), or
 * linear; more (add_legs).  @lost: the legs that go are lost (--repair),
 * so the first may go without the mirror being in sync. */
static int change_legs(struct lv_change *ch, struct vg_lv *lv, unsigned want, const bool *which, bool lost,
		       bool say, struct err *e)
{
	struct vg *vg = ch->h->vg;
	char gone[MAX_IMAGES + 1][LV_DM_NAME_MAX];
	struct images im, keep = { 0 };
	struct vg_lv *log;
	uint32_t region;
	unsigned ngone = 0;
	bool active, drop[MAX_IMAGES] = { false };
	int r;

	if ((r = legs_of(vg, lv, &im, &log, &region, e)))
		return r;
	if (want == im.n)
		return err_set(e, -EINVAL, "Logical volume %s/%s already has %u mirror images.", vg->name, lv->name,
			       want - 1);
	if (want > im.n)
		return add_legs(ch, lv, &im, want, log, region, NULL, say, e);
	if (which)
		memcpy(drop, which, im.n * sizeof(*drop));
	else
		raid_pick_drops(ch, &im, im.n - want, drop);
	/* the first leg is what the others are copied from */
	if (drop[0] && !lost && (r = require_in_sync(ch, vg, lv, &active, e)))
		return r;
	for (unsigned i = 0; i < im.n; i++) {
		if (drop[i])
			lv_dm_name(vg, im.image[i], gone[ngone++]);
		else
			keep.image[keep.n++] = im.image[i];
	}
	if (want == 1) { /* linear again, on the leg that stays */
		struct vg_lv *img = keep.image[0];

		if ((r = raid_drop_segments(lv, e)))
			return r;
		lv->seg = img->seg;
		lv->nseg = img->nseg;
		img->seg = NULL;
		img->nseg = 0;
		lv_dm_name(vg, img, gone[ngone++]);
		vg_remove_lv(vg, img);
	} else {
		/* the legs that go step aside, so the rest can take their names */
		if ((r = raid_dm_step_aside(ch, gone, ngone, e)) || (r = rename_legs(ch, vg, lv, &keep, "mimage", e)) ||
		    (r = raid_drop_segments(lv, e)) ||
		    (r = mirror_set_seg(lv, lv->le_count, keep.image, keep.n, region, log, e)))
			return r;
	}
	for (unsigned i = 0; i < im.n; i++)
		if (drop[i])
			vg_remove_lv(vg, im.image[i]);
	if (want == 1 && log) {
		lv_dm_name(vg, log, gone[ngone++]);
		vg_remove_lv(vg, log);
	}
	return finish(ch, lv, gone, ngone, say, e);
}

/* --splitmirrors N -n NAME of a mirror (lvm2's lv_split_mirror_images):
 * N legs (on the PVs named, else the last ones) leave with their data as
 * LV NAME, linear if one, else a mirror of them with a core log; the
 * mirror keeps the rest (linear again if one is left, its log removed).
 * Only a running mirror in sync is split, as lvm2 splits one: otherwise
 * nothing says the legs hold the same data. */
static int split_legs(struct lv_change *ch, struct vg_lv *lv, unsigned n, const char *name, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct vg_lv *log, *out, *legs[MAX_IMAGES];
	char leg[LVM_NAME_LEN + 16];
	struct images im;
	uint32_t region = 0;
	uint64_t in, total;
	bool active, drop[MAX_IMAGES] = { false };
	unsigned k = 0;
	int r;

	if (!name)
		return err_set(e, -EINVAL, "Please name the new LV with -n/--name (--trackchanges is raid1's).");
	if ((r = legs_of(vg, lv, &im, &log, &region, e)))
		return r;
	if (n >= im.n)
		return err_set(e, -EINVAL, "Unable to reduce images by specified amount - only %u in %s", im.n,
			       lv->name);
	if ((r = vg_check_new_lv_name(vg, name, e)) || (r = sync_of(ch, vg, lv, &active, &in, &total, NULL, e)))
		return r;
	if (!active)
		return err_set(e, -EINVAL, "Unable to determine mirror sync status of %s/%s: activate it first.",
			       vg->name, lv->name);
	if (in != total)
		return err_set(e, -EBUSY, "Unable to split mirror %s/%s that is not in-sync.", vg->name, lv->name);
	if (n > 1 && strlen(name) + 10 > LVM_NAME_LEN - 1)
		return err_set(e, -ENAMETOOLONG, "Logical volume name %s is too long for a mirror.", name);
	raid_pick_drops(ch, &im, n, drop);
	if ((r = vg_add_lv(vg, name, &out, e)))
		return r;
	for (unsigned i = 0; i < im.n; i++) {
		if (!drop[i])
			continue;
		if (n == 1) {
			raid_move_segments(out, im.image[i]);
			break;
		}
		snprintf(leg, sizeof(leg), "%s_mimage_%u", name, k);
		if ((r = vg_add_lv(vg, leg, &legs[k], e)))
			return r;
		legs[k]->status &= ~FLAG(LVF_VISIBLE);
		raid_move_segments(legs[k++], im.image[i]);
	}
	if (n > 1 && (r = mirror_set_seg(out, lv->le_count, legs, n, region, NULL, e)))
		return r;
	/* the emptied legs go as -m drops them, the mirror reloaded */
	if ((r = change_legs(ch, lv, im.n - n, drop, false, true, e)))
		return r;
	return lvm_lv_activate(ch->env, ch->d, vg, out, e);
}

/* --mirrorlog core|disk of a mirror (lvm2's lvconvert --mirrorlog): the
 * disk log removed, or one added on a PV no leg uses.  What the legs'
 * state is carries over while the mirror runs: in sync, the core log's
 * first table says nosync (lvm2's init_mirror_in_sync(1); a core log
 * copies everything again at each later activation), and a new disk log
 * is written all in sync.  Out of sync or inactive: a core log copies at
 * activation, a disk log starts zeroed (every region copied). */
static int change_log(struct lv_change *ch, struct vg_lv *lv, bool disk, bool say, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct mirror_seg *m = lv->seg[0].priv;
	struct vg_pv *used[MAX_IMAGES * 4];
	char gone[1][LV_DM_NAME_MAX];
	struct vg_lv *log, *newlog = NULL;
	struct images im;
	uint32_t region;
	uint64_t in, total;
	unsigned nused = 0;
	bool active, synced, was_notsynced = lv->status & FLAG(LVF_NOTSYNCED);
	int r;

	if ((r = legs_of(vg, lv, &im, &log, &region, e)))
		return r;
	if (disk == (log != NULL))
		return err_set(e, -EINVAL, "Logical volume %s/%s already has a %s log.", vg->name, lv->name,
			       disk ? "disk" : "core");
	if ((r = sync_of(ch, vg, lv, &active, &in, &total, NULL, e)))
		return r;
	synced = active && in == total;
	if (disk) {
		for (unsigned i = 0; i < im.n; i++)
			nused = raid_lv_pvs(im.image[i], used, nused, MAX_IMAGES * 4);
		if ((r = mirror_alloc_log(ch, lv->name, used, nused, synced, &newlog, e)))
			return r;
		m->log = newlog;
		return finish(ch, lv, NULL, 0, say, e);
	}
	lv_dm_name(vg, log, gone[0]);
	vg_remove_lv(vg, log);
	m->log = NULL;
	if (synced)
		lv->status |= FLAG(LVF_NOTSYNCED);
	if ((r = raid_commit_restack(ch, lv, e)))
		return r;
	if (synced && !was_notsynced) {
		lv->status &= ~FLAG(LVF_NOTSYNCED);
		if ((r = lvm_vg_commit(ch->env, ch->h, e)))
			return r;
	}
	raid_dm_remove_lvs(ch, gone, 1);
	return say ? raid_converted(ch, lv) : 0;
}

/* --type mirror -m N of a linear LV: it becomes leg 0, the new legs are
 * copied from it when the mirror is (next) activated. */
static int from_linear(struct lv_change *ch, struct vg_lv *lv, unsigned legs, bool core, const struct pv_set *avoid,
		       bool say, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct vg_pv *used[MAX_IMAGES * 4];
	struct vg_lv *meta[MAX_IMAGES], *img, *log;
	struct images im = { .n = 1 };
	unsigned nused;
	int r;

	if (legs < 2 || legs > MIRROR_LEGS_MAX)
		return err_set(e, -EINVAL, "A mirror takes 2 to %u legs (-m 1 to -m %u).", MIRROR_LEGS_MAX,
			       MIRROR_LEGS_MAX - 1);
	if ((r = raid_linear_to_image0(vg, lv, "mimage", "a mirror", &img, e)))
		return r;
	im.image[0] = img;
	nused = add_avoid(used, raid_lv_pvs(img, used, 0, MAX_IMAGES * 4), avoid);
	if ((r = raid_alloc(ch, vg, lv->name, 1, legs - 1, false, img->le_count, used, nused, meta, im.image, e)))
		return r;
	im.n = legs;
	for (unsigned i = 1; i < legs; i++)
		nused = raid_lv_pvs(im.image[i], used, nused, MAX_IMAGES * 4);
	log = NULL;
	if ((r = rename_legs(ch, vg, lv, &im, "mimage", e)) ||
	    (!core && (r = mirror_alloc_log(ch, lv->name, used, nused, false, &log, e))) ||
	    (r = mirror_set_seg(lv, img->le_count, im.image, legs, MIRROR_DEFAULT_REGION, log, e)))
		return r;
	return finish(ch, lv, NULL, 0, say, e);
}

enum seg_missing mirror_missing(const struct vg *vg, const struct vg_lv *lv)
{
	struct vg_lv *log;
	struct images im;
	uint32_t region;
	unsigned lost = 0;

	if (legs_of(vg, lv, &im, &log, &region, NULL))
		return SEG_MISSING_REMOVE;
	for (unsigned i = 0; i < im.n; i++)
		lost += raid_on_missing_pv(im.image[i]);
	return lost < im.n ? SEG_MISSING_DROP : SEG_MISSING_REMOVE;
}

/* Whether --repair replaces what failed: as asked, or as the policy
 * setting @path says (--use-policies; "allocate" replaces). */
static bool want_replace(struct lv_change *ch, bool policy, const char *path, const char *question)
{
	if (policy)
		return !strcmp(lvm_setting_str(ch->env, path), "allocate");
	return !ch->confirm || ch->confirm(ch->ctx, question);
}

/* --repair (--use-policies) of a mirror with legs or its log on missing
 * PVs, or legs the running mirror marks failed (D: a write to it failed;
 * ulvmd raises an event, so --on-event repairs it by the policies), as
 * lvm2's _lvconvert_mirrors_repair: first the lost legs and log
 * go (a lost log leaves a core log; one leg left, a linear LV), then, as
 * answered or as activation/mirror_image_fault_policy ("remove") and
 * mirror_log_fault_policy ("allocate") say, new legs on PVs no leg uses,
 * copied from the first good leg through a new zeroed log, and a new disk
 * log.  Each step is a commit of its own, each a VG lvm2 reads.  The
 * missing PVs stay in the VG, flagged MISSING (vgreduce --removemissing,
 * which calls this with @remove_only: nothing replaced, nothing asked). */
static int repair(struct lv_change *ch, struct vg_lv *lv, bool policy, bool remove_only, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct vg_lv *log;
	struct images im;
	uint32_t region = 0;
	bool bad[MAX_IMAGES] = { false }, log_bad, new_legs, new_log, disk;
	char health[MAX_IMAGES + 1];
	struct pv_set failed = { .n = 0 };
	struct err unread = { { 0 } };
	uint64_t in, total;
	bool active;
	unsigned nbad = 0, n;
	int r;

	if ((r = legs_of(vg, lv, &im, &log, &region, e)))
		return r;
	if (sync_of(ch, vg, lv, &active, &in, &total, health, &unread)) /* then the missing PVs alone say */
		health[0] = 0;
	/* a leg on a lost PV, or one the running mirror found failing */
	for (unsigned i = 0; i < im.n; i++) {
		nbad += bad[i] = raid_on_missing_pv(im.image[i]) || (i < strlen(health) && health[i] == 'D');
		if (bad[i]) /* the new legs keep off a failing PV too */
			failed.n = raid_lv_pvs(im.image[i], failed.pv, failed.n, MAX_IMAGES * 4);
	}
	log_bad = log && raid_on_missing_pv(log);
	if (!nbad && !log_bad) {
		if (!policy)
			fprintf(ch->out, "  Volume %s/%s is consistent. Nothing to repair.\n", vg->name, lv->name);
		return 0;
	}
	if (nbad == im.n)
		return err_set(e, -EIO, "Mirror %s/%s has no leg left to repair from.", vg->name, lv->name);
	n = im.n;
	ch->h->partial = true;
	if (nbad)
		fprintf(ch->out, "  Mirror status: %u of %u images failed.\n", nbad, n);
	if (log_bad)
		fprintf(ch->out, "  Mirror log status: 1 of 1 images failed.\n");
	new_log = log_bad && nbad < n - 1 && !remove_only &&
		  want_replace(ch, policy, "activation/mirror_log_fault_policy",
			       "Attempt to replace failed mirror log? [y/n]: ");
	new_legs = nbad && !remove_only &&
		   want_replace(ch, policy, "activation/mirror_image_fault_policy",
				"Attempt to replace failed mirror images (requires full device resync)? [y/n]: ");
	disk = log && (!log_bad || new_log);
	if ((log_bad && (r = change_log(ch, lv, false, false, e))) ||
	    (nbad && (r = change_legs(ch, lv, n - nbad, bad, true, false, e))))
		return r;
	if (new_legs && lv_seg_model(lv, &segtype_mirror)) {
		if ((r = legs_of(vg, lv, &im, &log, &region, e)) ||
		    (r = add_legs(ch, lv, &im, n, log, region, &failed, false, e)))
			return r;
	} else if (new_legs && (r = from_linear(ch, lv, n, !disk, &failed, false, e))) {
		return r;
	}
	if (disk && lv_seg_model(lv, &segtype_mirror) && !((struct mirror_seg *)lv->seg[0].priv)->log &&
	    (r = change_log(ch, lv, true, false, e)))
		return r;
	if (new_legs || new_log)
		fprintf(ch->out, "  Faulty devices in %s/%s successfully replaced.\n", vg->name, lv->name);
	else
		fprintf(ch->out, "  Faulty devices removed from %s/%s.\n", vg->name, lv->name);
	return 0;
}

int mirror_convert(struct lv_change *ch, struct vg_lv *lv, const struct lv_convert_req *req, struct err *e)
{
	const struct vg *vg = ch->h->vg;
	const struct segtype *st = lv_segtype(lv);
	const char *log = req->mirror_log;

	if (req->split && st == &segtype_mirror) {
		if (req->track)
			return err_set(e, -EINVAL, "--trackchanges is not available to 'mirror' segment type.");
		return split_legs(ch, lv, req->split, req->name, e);
	}
	if ((req->repair || req->use_policies || req->remove_missing) && st == &segtype_mirror)
		return repair(ch, lv, req->use_policies || req->remove_missing, req->remove_missing, e);
	if (req->repair || req->split || req->merge || req->sync_action || req->rebuild)
		return err_set(e, -EOPNOTSUPP, "%s/%s: --merge, --syncaction and --rebuild are raid1's "
			       "(lvconvert --type raid1 %s/%s first).", vg->name, lv->name, vg->name, lv->name);
	if (st == &segtype_raid) {
		if (log && strcmp(log, "disk"))
			return err_set(e, -EINVAL, "%s/%s: a raid1 becomes a mirror with a disk log (then lvconvert "
				       "--mirrorlog core).", vg->name, lv->name);
		return to_mirror(ch, lv, req->mirrors, e);
	}
	if (log && strcmp(log, "core") && strcmp(log, "disk"))
		return err_set(e, -EINVAL, "--mirrorlog %s: a mirror's log is core or disk (a mirrored log is not "
			       "supported).", log);
	if (st == &segtype_mirror) {
		const struct mirror_seg *m = lv_seg_model(lv, &segtype_mirror);
		bool legs, logs;
		int r = 0;

		if (req->mirrors < 0 && !log)
			return err_set(e, -EINVAL, "Logical volume %s/%s is already of type mirror: give -m N or "
				       "--mirrorlog.", vg->name, lv->name);
		/* the legs first (their change keeps the kind of log), then the
		 * log; -m 0 leaves no mirror to keep a log for.  One "converted"
		 * line for the two. */
		legs = req->mirrors >= 0 && !(log && lv->nseg == 1 && lv->seg[0].narea == (unsigned)req->mirrors + 1);
		logs = log && req->mirrors != 0 && m &&
		       (req->mirrors < 0 || !strcmp(log, "core") == (m->log != NULL));
		if (legs)
			r = change_legs(ch, lv, (unsigned)req->mirrors + 1, NULL, false, !logs, e);
		if (!r && logs)
			r = change_log(ch, lv, !strcmp(log, "disk"), true, e);
		return r;
	}
	return from_linear(ch, lv, req->mirrors >= 0 ? (unsigned)req->mirrors + 1 : 2,
			   log && !strcmp(log, "core"), NULL, true, e);
}
