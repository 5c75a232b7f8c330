/* What the raid segment type's files share (raid.c: import, activation,
 * lvs, lvcreate; raid_convert.c: lvconvert and lvchange's raid options). */
#ifndef ULVM_LVM_SEGTYPE_RAID_LV_H
#define ULVM_LVM_SEGTYPE_RAID_LV_H

#include "lvm/segtype.h"

extern const struct segtype segtype_raid;

/* A raid segment as parsed from its kept section. */
struct raid_seg {
	char level[24];        /* raid1, raid10, raid0, ... (no "+FLAGS") */
	bool servable;         /* a level the raid target has */
	uint32_t count;        /* images */
	uint32_t data_copies, region_size, stripe_size, writebehind, min_rate, max_rate;
	const char **meta;     /* per image; NULL entries for raid0 */
	const char **image;
};

void raid_seg_free(struct lv_seg *s);
/* An image split off with --trackchanges: visible and read-only (lvm2's
 * lv_is_raid_with_tracking); its slot is left out of the table, the
 * bitmap tracks what changes, --merge brings it back. */
bool raid_image_tracked(const struct vg_lv *img);
/* Parity images of an lvm2 raid level (raid4/5: 1, raid6: 2, others 0);
 * the images that hold distinct data (what an extent of the LV spreads
 * over). */
unsigned raid_parity_devs(const char *level);
unsigned raid_data_images(const struct raid_seg *m);

/* The raid target's status line of dm device @name: "<level> <#devs>
 * <health> <done>/<total> <action> <mismatches> ...": 0, or -errno. */
struct raid_status {
	char health[65];
	uint64_t done, total, mismatches;
	char action[16];
};
int raid_status_of(struct dmctl *d, const char *name, struct raid_status *st);
/* Images [@first, @first + @images) of LV @name, each (with its one-extent
 * rmeta first, if @with_meta) on a PV of its own, none in @avoid. */
int raid_alloc(struct lv_change *ch, struct vg *vg, const char *name, unsigned first, unsigned images,
	       bool with_meta, uint64_t per, struct vg_pv *const *avoid, unsigned navoid, struct vg_lv **meta,
	       struct vg_lv **image, struct err *e);
/* Zero an rmeta LV's superblock and bitmap superblock on its PV. */
int raid_wipe_rmeta(const struct vg *vg, const struct vg_lv *m, struct err *e);
/* @lv's segment: @m's level and keys with those sub-LVs, as lvm2 writes it. */
int raid_set_seg(struct vg *vg, struct vg_lv *lv, uint32_t extents, const struct raid_seg *m, struct vg_lv **meta,
		 struct vg_lv **image, struct err *e);

/* raid_convert.c: the type's convert hook; whether an area of @lv (NULL:
 * none) is on a PV that is missing. */
bool raid_on_missing_pv(const struct vg_lv *lv);
int raid_convert(struct lv_change *ch, struct vg_lv *lv, const struct lv_convert_req *req, struct err *e);
int raid_resize(struct lv_change *ch, struct vg_lv *lv, const struct lv_resize_req *req, struct err *e);

#endif
