/* What a command acts on, as lvm2's process_each_vg/_lv/_pv read their
 * arguments (tools/toollib.c):
 *   VG        the VG, and for LV commands all its LVs;
 *   VG/LV     that LV (also /dev/VG/LV);
 *   @TAG      VGs, LVs or PVs with the tag (for LV commands: also all the
 *             LVs of a VG with it);
 *   PV        a PV by its path (PV commands);
 *   nothing   every VG, LV or PV;
 * each also passing -S when given (lvm_sel).  Hidden LVs only when named
 * or with -a; LVs in lvm2's order (vg_lv_order).  A VG or LV named and
 * not found is an error, the others still are processed.
 *
 * The callbacks get each VG read (and locked as lvm_setup's rw says) and
 * return 0 or an exit status; the walk returns the highest.
 */
#ifndef ULVM_CLI_LVM_EACH_H
#define ULVM_CLI_LVM_EACH_H

#include "cli/lvm_fields.h"

/* -S of a command that changes what it selects: a report of @spec's kind
 * whose rows are never printed, one per object asked about. */
struct lvm_sel {
	struct report *rep;
	struct lvm_fields f;
	bool help; /* -S help: printed, nothing to do */
};

/* A report's creation failure as lvm2 prints it (the field list or the
 * selection help first); returns LVM_FAILED. */
int lvm_report_fail(int rc, const struct err *e);

/* *@out NULL when option @opt (-S) is not given.  Returns 0 or an exit
 * status after the message. */
int lvm_sel_init(struct lvm_cmd *c, int opt, const struct report_spec *spec, struct lvm_sel **out);
void lvm_sel_free(struct lvm_sel *s);
/* A VG matches by its fields, or, when the selection reads LV fields, by
 * any of its LVs; an LV by its fields, or any of its segments'. */
bool lvm_sel_vg(struct lvm_sel *s, const struct vgh *h);
bool lvm_sel_lv(struct lvm_sel *s, const struct vgh *h, const struct vg_lv *lv);
bool lvm_sel_pv(struct lvm_sel *s, const struct vgh *h, const struct lvm_dev *d, const struct vg_pv *p);

struct lvm_each {
	int (*vg)(struct lvm_cmd *c, struct vgh *h, void *arg);
	int (*lv)(struct lvm_cmd *c, struct vgh *h, struct vg_lv *lv, void *arg);
	/* @h, @p NULL: a PV in no VG (@d its device) */
	int (*pv)(struct lvm_cmd *c, struct vgh *h, struct lvm_dev *d, struct vg_pv *p, void *arg);
	void *arg;
	struct lvm_sel *sel; /* NULL: no -S, or the report applies it */
	struct lvm_fields *fields; /* told when each VG is released (reports) */
	bool hidden;         /* -a: hidden LVs too */
	bool foreign;        /* reports: VGs of other hosts too (--foreign) */
	bool orphans;        /* PV walks: PVs in no VG too */
	bool devices;        /* and the devices with no PV label (pvs -a) */
};

int lvm_each_vg(struct lvm_cmd *c, int argc, char **argv, const struct lvm_each *how);
int lvm_each_lv(struct lvm_cmd *c, int argc, char **argv, const struct lvm_each *how);
int lvm_each_pv(struct lvm_cmd *c, int argc, char **argv, const struct lvm_each *how);

#endif
