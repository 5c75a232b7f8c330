/* lvm2's "mirror" segments (mirror.c), as pvmove (lvm/pvmove.c) uses
 * them: a pvmove LV's segments are two-legged mirrors over PV ranges,
 * each with extents_moved, the checkpoint of the move. */
#ifndef ULVM_LVM_SEGTYPE_MIRROR_LV_H
#define ULVM_LVM_SEGTYPE_MIRROR_LV_H

#include <stdbool.h>
#include <stdint.h>

#include "common/dmctl.h"
#include "lvm/segtype.h"
#include "lvm/vg.h"

#define MIRROR_LEGS_MAX 8 /* lvm2: DEFAULT_MIRROR_MAX_IMAGES */
#define MIRROR_DEFAULT_REGION 4096u /* sectors: lvm2's 2 MiB */

struct mirror_seg {
	uint32_t region_size;    /* sectors, 0: not written */
	uint32_t extents_moved;  /* pvmove's checkpoint */
	bool pvmove;             /* extents_moved is written (the segment has lvm2's PVMOVE status) */
	struct vg_lv *log;       /* mirror_log, or NULL: a core log */
};

extern const struct segtype segtype_mirror;

/* A disk log for mirror LV @name (<name>_mlog, one extent), on a PV
 * none of @used if there is one; written as all in sync if @in_sync,
 * else zeroed (every region copied at the first activation). */
int mirror_alloc_log(struct lv_change *ch, const char *name, struct vg_pv *const *used, unsigned nused, bool in_sync,
		     struct vg_lv **out, struct err *e);
/* @lv (with no segments) becomes a mirror of @legs @image LVs. */
int mirror_set_seg(struct vg_lv *lv, uint32_t extents, struct vg_lv *const *image, unsigned legs, uint32_t region,
		   struct vg_lv *log, struct err *e);
/* mirror_convert.c: the type's convert hook, and mirror -> raid1 (what
 * raid's hook does for lvconvert --type raid1 of a mirror; -m, when
 * given (@mirrors >= 0), must keep the legs there are). */
int mirror_convert(struct lv_change *ch, struct vg_lv *lv, const struct lv_convert_req *req, struct err *e);
int mirror_to_raid1(struct lv_change *ch, struct vg_lv *lv, int mirrors, struct err *e);

/* Append to @lv a pvmove mirror segment of @len extents from @src to @dst. */
int mirror_add_pvmove_seg(struct vg_lv *lv, uint32_t len, const struct lv_area *src, const struct lv_area *dst,
			  struct err *e);
/* The region size a mirror of @sectors uses: @want, halved until it fits. */
uint32_t mirror_region_for(uint32_t want, uint64_t sectors);
/* "a/b" of the first mirror target of dm device @name: in-sync regions
 * and all of them. */
int mirror_sync_of(struct dmctl *d, const char *name, uint64_t *insync, uint64_t *total);
/* The same, and the legs' health (one letter each, D: failed) into
 * @health when it is not NULL ("" if the status has none). */
/* vgreduce --removemissing: the lost legs and log go (convert's
 * remove_missing), unless no leg is left. */
enum seg_missing mirror_missing(const struct vg *vg, const struct vg_lv *lv);
int mirror_status_of(struct dmctl *d, const char *name, uint64_t *insync, uint64_t *total, char *health,
		     size_t hsize);
/* Of pvmove LV @lv (active as @dmname): the extents copied, its extents
 * (lvm2's copy_percent, in whole extents), and the first segment not yet
 * checkpointed (-1: none). */
int mirror_pvmove_progress(struct dmctl *d, const struct vg_lv *lv, const char *dmname, uint64_t *copied,
			   uint64_t *total, int *running, struct err *e);

#endif
