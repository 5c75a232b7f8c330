/* Extent allocation for linear and striped LVs (lvm2's lv_manip.c, the
 * parts that matter for those two types), and lvm2's size arguments.
 *
 * The free space of the VG is the complement, per PV, of the PEs the
 * segments use, restricted to allocatable PVs that are present (a missing
 * PV is never allocated from) and to the PVs / PE ranges the command line
 * names (`vg0 /dev/a:0-99 /dev/b`).
 *
 * Policies:
 *   normal      first continue the LV's last segment in place (the PEs
 *               right after each of its areas), then take the largest free
 *               areas first (ties: PV order, lowest PE); the stripes of one
 *               segment are on distinct PVs.
 *   contiguous  all new extents in one segment; when extending, that
 *               segment must continue the last one in place.
 *   anywhere    as normal, but stripes may share a PV.
 * A striped request of N stripes becomes one or more segments of N
 * parallel areas of equal length; the caller rounds the extent count up
 * to a multiple of N (as lvm2's "Rounding size up to full stripe").
 * The allocator only edits the model: nothing is written.
 */
#ifndef ULVM_LVM_ALLOC_H
#define ULVM_LVM_ALLOC_H

#include <stdbool.h>
#include <stdint.h>

#include "common/log.h"
#include "lvm/vg.h"

enum alloc_policy { ALLOC_NORMAL, ALLOC_CONTIGUOUS, ALLOC_ANYWHERE };

/* PEs [first, last] of @pv may be used; last = UINT32_MAX: to the end. */
struct alloc_range {
	struct vg_pv *pv;
	uint32_t first, last;
};

struct alloc_req {
	uint32_t extents;     /* LEs to add, a multiple of stripes */
	unsigned stripes;     /* 1: linear */
	uint32_t stripe_size; /* sectors, stripes > 1 */
	enum alloc_policy policy;
	const struct alloc_range *ranges; /* NULL: every allocatable PV */
	unsigned nranges;
};

int alloc_policy_parse(const char *s, enum alloc_policy *p, struct err *e);
/* Free extents the request could use (stripe count aside). */
uint64_t alloc_free_extents(const struct vg *vg, const struct alloc_req *req);
/* Add @req->extents LEs at the end of @lv.  On failure @lv is unchanged. */
int alloc_extend(struct vg *vg, struct vg_lv *lv, const struct alloc_req *req, struct err *e);

/* lvm2's -L/--size: [+|-]NUMBER[.FRACTION][UNIT], UNIT one of b s k m g t p
 * e (any case, powers of 1024; s = 512-byte sectors), default @def_unit
 * ('m' for -L).  *sign is '+', '-' or 0.  The result is in sectors,
 * rounded up. */
int lvm_parse_size(const char *s, char def_unit, char *sign, uint64_t *sectors, struct err *e);

/* lvm2's -l/--extents: [+|-]N[%FREE|%VG|%PVS|%ORIGIN]. */
enum ext_pct { PCT_NONE, PCT_FREE, PCT_VG, PCT_PVS, PCT_ORIGIN, PCT_LV };
struct ext_arg {
	char sign;
	uint64_t n;
	enum ext_pct pct;
};
int lvm_parse_extents(const char *s, struct ext_arg *a, struct err *e);

/* A PV argument with optional PE ranges, "PATH[:A[-B]][:C[-D]]...", against
 * the PVs of @vg; appends to *r (realloc'ed). */
int alloc_parse_pv_arg(const struct vg *vg, const char *arg, struct alloc_range **r, unsigned *n,
		       struct err *e);

#endif
