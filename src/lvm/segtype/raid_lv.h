/* What the raid segment type's files share (raid.c: import, activation,
 * lvs, lvcreate; raid_convert.c: lvconvert and lvchange's raid options;
 * raid_takeover.c: lvconvert --type between levels). */
#ifndef ULVM_LVM_SEGTYPE_RAID_LV_H
#define ULVM_LVM_SEGTYPE_RAID_LV_H

#include "lvm/activate.h"
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
/* The type's missing hook (vgreduce --removemissing --force). */
enum seg_missing raid_missing(const struct vg *vg, const struct vg_lv *lv);
int raid_convert(struct lv_change *ch, struct vg_lv *lv, const struct lv_convert_req *req, struct err *e);
int raid_resize(struct lv_change *ch, struct vg_lv *lv, const struct lv_resize_req *req, struct err *e);

/* raid_convert.c's steps that raid_takeover.c shares. */
#define MAX_IMAGES 64
struct images {
	unsigned n;
	struct vg_lv *meta[MAX_IMAGES], *image[MAX_IMAGES];
};
/* The images (and rmetas) of raid LV @lv, in order. */
int raid_images_of(const struct vg *vg, const struct vg_lv *lv, struct images *im, struct err *e);
/* The PVs @lv's areas are on, appended to @out (no repeats): the new count. */
unsigned raid_lv_pvs(const struct vg_lv *lv, struct vg_pv **out, unsigned n, unsigned max);
void raid_set_rebuild(struct images *im, unsigned i, bool on);
/* "Logical volume VG/LV successfully converted." on ch->out; 0. */
int raid_converted(struct lv_change *ch, const struct vg_lv *lv);
/* Commit the VG, then, if ulvmd runs, load @lv's stack again: 0, or why
 * not (the VG is changed either way). */
int raid_commit_restack(struct lv_change *ch, struct vg_lv *lv, struct err *e);
/* Write @lv's segment as @shape over @im, commit, load it if active, then
 * clear REBUILD and commit again. */
int raid_apply(struct lv_change *ch, struct vg_lv *lv, const struct raid_seg *shape, struct images *im,
	       struct err *e);
/* Rename the dm devices @names that exist to <name>_gone, their NBD
 * exports too (and @names with them), so that other devices can take
 * their names. */
int raid_dm_step_aside(struct lv_change *ch, char (*names)[LV_DM_NAME_MAX], unsigned n, struct err *e);
/* Remove the dm devices @names (those that exist), warning on failure. */
void raid_dm_remove_lvs(struct lv_change *ch, char (*names)[LV_DM_NAME_MAX], unsigned n);
/* @want images (added ones rebuilt; @drops, when given, says which go),
 * the LV's segment becoming @to (NULL: its own, for a raid1's -m). */
int raid_change_images(struct lv_change *ch, struct vg_lv *lv, unsigned want, const bool *drops,
		       const struct raid_seg *to, struct err *e);
/* The active raid LV must be in sync (@what: "convert", ...): 0 or -EBUSY. */
int raid_require_in_sync(struct lv_change *ch, const struct vg *vg, const struct vg_lv *lv, const char *what,
			 struct err *e);
/* The same, but for image @skip (-1: none), which may be out of sync. */
int raid_in_sync_but(struct lv_change *ch, const struct vg *vg, const struct vg_lv *lv, const char *what, int skip,
		     struct err *e);
/* The image of @im split off with --trackchanges, or -1. */
int raid_tracked_index(const struct images *im);
/* lvconvert --splitmirrors @split --trackchanges, --merge of image @img,
 * --splitmirrors @split -n @name (raid_split.c). */
int raid_split_track(struct lv_change *ch, struct vg_lv *lv, unsigned split, struct err *e);
int raid_merge_back(struct lv_change *ch, struct vg_lv *lv, struct vg_lv *img, struct err *e);
int raid_split_off(struct lv_change *ch, struct vg_lv *lv, unsigned split, const char *name, struct err *e);
/* LV @name's rmeta @i, one extent beside image @img (on its first PV,
 * elsewhere if that is full), as lvm2 puts it. */
int raid_alloc_meta_beside(struct lv_change *ch, const char *name, unsigned i, const struct vg_lv *img,
			   struct vg_lv **meta, struct err *e);

/* Empty @dst takes @src's segments; @src is left empty. */
void raid_move_segments(struct vg_lv *dst, struct vg_lv *src);
/* Which @drop images -m drops (into @gone): those on the PVs the
 * change names, else the last ones. */
void raid_pick_drops(const struct lv_change *ch, const struct images *im, unsigned drop, bool *gone);
/* Linear LV @lv hands its extents to a new hidden LV <lv>_<kind>_0
 * (*@img), its size kept for the segment that follows; @what names what it
 * becomes, for messages ("raid1", "a mirror"). */
int raid_linear_to_image0(struct vg *vg, struct vg_lv *lv, const char *kind, const char *what, struct vg_lv **img,
			  struct err *e);
/* Rename LV @l to @to, its dm device and NBD export too if it is up. */
int raid_rename_lv(struct lv_change *ch, const struct vg *vg, struct vg_lv *l, const char *to, struct err *e);

/* raid_takeover.c: lvconvert --type between levels (and from and to
 * striped) where the data stays in place. */
const char *raid_canonical(const char *level);
int raid_takeover(struct lv_change *ch, struct vg_lv *lv, const struct lv_convert_req *req, struct err *e);
/* @lv without segments (its extents now its images'), its size kept for
 * the segment that follows. */
int raid_drop_segments(struct vg_lv *lv, struct err *e);

#endif
