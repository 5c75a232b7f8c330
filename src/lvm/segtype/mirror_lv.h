/* lvm2's "mirror" segments (mirror.c), as pvmove (lvm/pvmove.c) uses
 * them: a pvmove LV's segments are two-legged mirrors over PV ranges,
 * each with extents_moved, the checkpoint of the move. */
#ifndef ULVM_LVM_SEGTYPE_MIRROR_LV_H
#define ULVM_LVM_SEGTYPE_MIRROR_LV_H

#include <stdbool.h>
#include <stdint.h>

#include "common/dmctl.h"
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

/* Append to @lv a pvmove mirror segment of @len extents from @src to @dst. */
int mirror_add_pvmove_seg(struct vg_lv *lv, uint32_t len, const struct lv_area *src, const struct lv_area *dst,
			  struct err *e);
/* The region size a mirror of @sectors uses: @want, halved until it fits. */
uint32_t mirror_region_for(uint32_t want, uint64_t sectors);
/* "a/b" of the first mirror target of dm device @name: in-sync regions
 * and all of them. */
int mirror_sync_of(struct dmctl *d, const char *name, uint64_t *insync, uint64_t *total);
/* Of pvmove LV @lv (active as @dmname): the extents copied, its extents
 * (lvm2's copy_percent, in whole extents), and the first segment not yet
 * checkpointed (-1: none). */
int mirror_pvmove_progress(struct dmctl *d, const struct vg_lv *lv, const char *dmname, uint64_t *copied,
			   uint64_t *total, int *running, struct err *e);

#endif
