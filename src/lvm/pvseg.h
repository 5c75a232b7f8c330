/* A PV's extents as lvm2's PV segments (lib/metadata/pv_manip.c): each
 * area of an LV segment that lies on the PV is one, and each run of
 * extents between them a free one, in PE order.  pvs --segments,
 * pvs with LV fields and pvdisplay --maps show them. */
#ifndef ULVM_LVM_PVSEG_H
#define ULVM_LVM_PVSEG_H

#include "lvm/vg.h"

struct pvseg {
	uint32_t pe, len;
	const struct vg_lv *lv;   /* NULL: free extents */
	const struct lv_seg *seg; /* the LV segment whose area this is */
};

/* @pv's segments in *@out (free()d by the caller), *@n of them: at least
 * one, a free one of 0 extents for a PV of none.  Areas that overlap (a
 * VG that vg_check would refuse) are listed as they are, in PE order. */
int pv_segments(const struct vg *vg, const struct vg_pv *pv, struct pvseg **out, unsigned *n);

#endif
