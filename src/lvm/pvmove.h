/* pvmove as lvm2 does it (tools/pvmove.c, pvmove_poll.c; LVM2-FORMAT.md
 * §10.2): a hidden pvmove LV of two-legged mirror segments, one for each
 * piece of an LV on the source PV, copies the extents while the LVs point
 * at it; each segment that is in sync is checkpointed (extents_moved)
 * and the next one starts; at the end the LVs point at the destination
 * and the pvmove LV goes. */
#ifndef ULVM_LVM_PVMOVE_H
#define ULVM_LVM_PVMOVE_H

#include <stdbool.h>
#include <stdio.h>

#include "common/dmctl.h"
#include "lvm/alloc.h"
#include "lvm/devices.h"

struct pvmove_req {
	struct vg_pv *src;
	const struct alloc_range *src_ranges; /* PE ranges of @src to move, or none: all */
	unsigned nsrc;
	const struct alloc_range *dst;        /* where to, or none: any other PV */
	unsigned ndst;
	const char *lv_name;                  /* -n: only this LV (and its sub-LVs) */
	bool atomic;                          /* --atomic: one mirror over pvmoveN_mimage_0/1, all or nothing */
};

/* The pvmove LV moving from @src (any, when NULL), or NULL. */
struct vg_lv *pvmove_find(const struct vg *vg, const struct vg_pv *src);
/* The PV it moves from (area 0 of its first mirror segment). */
struct vg_pv *pvmove_source(const struct vg_lv *mv);
/* Set the move up in h's VG (commit), then bring the pvmove LV up in
 * ulvmd and restack the active LVs over it. */
int pvmove_start(struct lvm_env *env, struct vgh *h, struct dmctl *d, const struct pvmove_req *req, FILE *out,
		 struct vg_lv **mv, struct err *e);
/* Bring an existing move's LV up (after a restart). */
int pvmove_activate(const struct lvm_env *env, struct vgh *h, struct dmctl *d, struct vg_lv *mv, struct err *e);
/* One look at the move: *@pct (0..100) done; a segment found in sync is
 * checkpointed (commit, reload); when all are, the move is finished
 * (*@done).  h is read again by the caller between calls. */
int pvmove_poll(struct lvm_env *env, struct vgh *h, struct dmctl *d, struct vg_lv *mv, double *pct, bool *done,
		struct err *e);
/* End the move: every LV area on the pvmove LV goes to its destination
 * if its segment is checkpointed, else back to its source (--abort). */
int pvmove_finish(struct lvm_env *env, struct vgh *h, struct dmctl *d, struct vg_lv *mv, struct err *e);

#endif
