/* The values of lvm2's report fields for PVs, VGs and LVs, set on rows of
 * a report (common/report.h): for pvs, vgs and lvs, and for the -S of the
 * commands that select what they change (lvm_each.c).
 *
 * A row gets the fields of its object and of the objects around it: an
 * LV row the VG's, a PV row its VG's.  Only the fields the report wants
 * (shown, sorted on or selected by) cost anything beyond the cheap ones.
 */
#ifndef ULVM_CLI_LVM_FIELDS_H
#define ULVM_CLI_LVM_FIELDS_H

#include "cli/lvm_cmds.h"
#include "common/report.h"

struct lv_kind;

struct lvm_fields {
	struct lvm_cmd *c;
	struct report *rep;
	struct dmctl d;
	char **active;  /* dm names live in ulvmd */
	uint8_t *state; /* and each one's DEV_* bits (lvm_fields.c) */
	unsigned nactive;
	/* The VG-wide sums of the VG last reported: lvs of a VG with many
	 * LVs sets the VG fields on every row. */
	const struct vg *sums_of;
	uint32_t sums_seqno;
	unsigned visible, snapshots;
	const char *time_format; /* report/time_format, looked up once */
	uint64_t total, free;
};

/* Asks ulvmd once which LVs are active and open when @rep wants LV fields
 * (@rep NULL: no report, for lvm_fields_role). */
void lvm_fields_init(struct lvm_fields *x, struct lvm_cmd *c, struct report *rep);
/* lvscan's view of @lv: its lv_role words as its type gives them (not
 * "public"/"private") and whether ulvmd has its device. */
void lvm_fields_role(struct lvm_fields *x, const struct vg *vg, const struct vg_lv *lv, struct lv_kind *kind,
		     bool *active);
void lvm_fields_free(struct lvm_fields *x);
/* After the VG last given was released (its sums may not be reused). */
static inline void lvm_fields_vg_done(struct lvm_fields *x) { x->sums_of = NULL; }

void lvm_fields_vg(struct lvm_fields *x, struct report_row *r, const struct vgh *h);
/* @seg: a segment's row (lvs --segments), or NULL for the LV's. */
void lvm_fields_lv(struct lvm_fields *x, struct report_row *r, const struct vgh *h, const struct vg_lv *lv,
		   const struct lv_seg *seg);
/* The LV and segment fields of @len free extents of a PV segment row
 * (pvs --segments): lvm2's "free" segment of no LV. */
void lvm_fields_free_pvseg(struct lvm_fields *x, struct report_row *r, const struct vgh *h, uint32_t len);
/* A PV of VG @h (@p, its device @d if found), or an orphan (@h and @p NULL). */
void lvm_fields_pv(struct lvm_fields *x, struct report_row *r, const struct vgh *h, const struct lvm_dev *d,
		   const struct vg_pv *p);

#endif
