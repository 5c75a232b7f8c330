/* An LV as device-mapper devices in ulvmd (lib/activate/dev_manager.c,
 * libdm-deptree.c; LVM2-FORMAT.md §14).
 *
 * Activation is an ordered list, a plan: the dm devices (name, uuid,
 * table, export) that an LV's segment type produces for the LV and the
 * layers and sub-LVs under it, bottom-up.  lv_plan_load() creates them
 * in that order, leaving alone those that exist with the same uuid;
 * lv_plan_unload() removes, top-down, the ones that belong to the LV
 * (a thin LV's plan brings its pool up, but removing the thin LV leaves
 * the pool).  Tables are in 512-byte sectors and name devices by path:
 * a PV's absolute path, or /dev/mapper/<name> of a device below in the
 * plan (there are no major:minor numbers in userspace).
 *
 * Names as lvm2's: "<vg>-<lv>" with every '-' inside either name doubled
 * (dm_build_dm_name), "<vg>-<lv>-<layer>" for a layer ("tpool"); the
 * uuid is "LVM-<vg id><lv id>" without dashes (build_dm_uuid), plus
 * "-<layer>"; the NBD export is "<vg>/<lv>".  An LV with a segment type
 * that cannot be activated, or with an area on a missing PV, has no
 * plan: the error names the type or the PV uuid.
 */
#ifndef ULVM_LVM_ACTIVATE_H
#define ULVM_LVM_ACTIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/dmctl.h"
#include "common/log.h"
#include "lvm/vg.h"

#define LV_DM_NAME_MAX (2 * LVM_NAME_LEN + 2)
#define LV_DM_UUID_MAX (4 + 2 * LVM_ID_LEN + 1)
#define LV_DM_LAYER_MAX 16

struct lvm_env;
struct lv_plan;

/* "<vg>-" as it starts the dm name of each of the VG's devices. */
void vg_dm_prefix(const char *vgname, char out[LV_DM_NAME_MAX]);
void lv_dm_name(const struct vg *vg, const struct vg_lv *lv, char out[LV_DM_NAME_MAX]);
void lv_dm_uuid(const struct vg *vg, const struct vg_lv *lv, char out[LV_DM_UUID_MAX]);
/* "vg-pool-tpool": the dm name of a layer of @lv. */
void lv_dm_layer_name(const struct vg *vg, const struct vg_lv *lv, const char *layer, char *out, size_t size);
/* "vg/lv" */
void lv_export_name(const struct vg *vg, const struct vg_lv *lv, char *out, size_t size);
/* 1 when a process (any ulvmd, whatever its run dir) maps a byte of the
 * LV's extents (io/dev.h claims), 0 when none does, -errno when a PV
 * cannot be tested.  Extents only: a thin LV's blocks live in its pool. */
int lv_extents_claimed(const struct vg *vg, const struct vg_lv *lv);

struct lv_plan_dev {
	char name[LV_DM_NAME_MAX + LV_DM_LAYER_MAX], uuid[LV_DM_UUID_MAX + LV_DM_LAYER_MAX];
	char export[2 * LVM_NAME_LEN + 2]; /* "": not exported */
	char *table;
	bool readonly;
	const struct vg_lv *lv;	  /* whose device (or layer) it is */
	const struct vg_lv *unit; /* the LV whose deactivation removes it */
	/* Before creating it, and after (a refusal removes it again). */
	int (*before)(const struct lv_plan *p, const struct lv_plan_dev *dev, struct err *e);
	int (*after)(const struct lv_plan *p, const struct lv_plan_dev *dev, struct dmctl *d, struct err *e);
};

struct lv_plan {
	const struct vg *vg;
	const struct lvm_env *env; /* configuration the types read (thresholds), or NULL */
	unsigned n;
	struct lv_plan_dev *dev;
	const struct vg_lv *unit; /* while building: who the added devices belong to */
};

/* The plan of @lv: its type's devices, bottom-up, the LV's own last.
 * The top device is read-only when @lv has no WRITE; the caller may
 * change that (p->dev[p->n - 1]). */
int lv_plan_build(struct lv_plan *p, const struct vg *vg, const struct lvm_env *env, const struct vg_lv *lv,
		  struct err *e);
void lv_plan_free(struct lv_plan *p);
/* For types: add @sub's plan (a sub-LV, an external origin) below;
 * @own: its devices belong to the LV being planned. */
int lv_plan_sub(struct lv_plan *p, const struct vg_lv *sub, bool own, struct err *e);
/* For types: add the device of @lv (@layer NULL) or of one of its
 * layers, with @table (taken, freed by the plan).  NULL on failure. */
struct lv_plan_dev *lv_plan_add(struct lv_plan *p, const struct vg_lv *lv, const char *layer, char *table,
				struct err *e);
/* For types: @lv's device, just planned, becomes its layer @layer (not
 * exported, writable), for the type to add a new device of @lv on top. */
void lv_plan_push_layer(struct lv_plan *p, const struct vg_lv *lv, const char *layer);
/* The planned device named @name, or NULL. */
struct lv_plan_dev *lv_plan_find(const struct lv_plan *p, const char *name);
/* The top device: the last. */
static inline struct lv_plan_dev *lv_plan_top(const struct lv_plan *p) { return p->n ? &p->dev[p->n - 1] : NULL; }

/* Create the plan's devices that are missing, bottom-up.  A device of
 * that name with another uuid is refused (it is not this LV's). */
int lv_plan_load(struct dmctl *d, const struct lv_plan *p, struct err *e);
/* Remove, top-down, the plan's devices that belong to @unit. */
int lv_plan_unload(struct dmctl *d, const struct lv_plan *p, const struct vg_lv *unit, struct err *e);
/* Load new tables into @unit's active devices and resume them, bottom-up
 * (online resize); missing ones are left missing.  The top device of a
 * visible LV takes its new mode; the others keep theirs. */
int lv_plan_reload(struct dmctl *d, const struct lv_plan *p, const struct vg_lv *unit, struct err *e);

/* ---- an LV in ulvmd ---- */
/* The LV whose activation brings up hidden @lv with it (a pool for its
 * _tmeta, _tdata and the VG's spare: its type's owner_of), or NULL. */
struct vg_lv *lv_owner(const struct vg *vg, const struct vg_lv *lv);
/* Whether @lv is served read-only, and why (*why "": its own permission):
 *  - lvm2 made it read-only (no WRITE: lvchange -pr);
 *  - it is a hidden sub-LV activated on its own (lvm2's component
 *    activation is read-only too): writes would bypass the LV above;
 *  - an LV that ulvm cannot serve uses it (a snapshot's origin, a
 *    cache's origin): writes would skip that LV's copy-on-write or cache
 *    and silently invalidate it. */
bool lv_read_only(const struct vg *vg, const struct vg_lv *lv, char *why, size_t size);
/* The LV's own device is in ulvmd, with its uuid. */
bool lv_dm_active(struct dmctl *d, const struct vg *vg, const struct vg_lv *lv);
/* Load @lv's plan; its own device read-only as lv_read_only says (*why
 * set when that is for another reason than its permission and the
 * device was created now).  An LV another one owns goes up with it:
 * nothing to do on its own. */
int lv_dm_activate(struct dmctl *d, const struct lvm_env *env, const struct vg *vg, const struct vg_lv *lv,
		   char *why, size_t size, struct err *e);
/* Remove @lv's devices, after the LVs that depend on it by a cascading
 * reference (a pool's thin LVs). */
int lv_dm_deactivate(struct dmctl *d, const struct vg *vg, const struct vg_lv *lv, struct err *e);
/* Load @lv's new tables into its active devices (online resize). */
/* An active @lv whose stack changed (sub-LVs added or moved): create the
 * devices it lacks, then load and resume the new tables bottom-up. */
int lv_dm_restack(struct dmctl *d, const struct lvm_env *env, const struct vg *vg, const struct vg_lv *lv,
		  struct err *e);
int lv_dm_reload(struct dmctl *d, const struct lvm_env *env, const struct vg *vg, const struct vg_lv *lv,
		 struct err *e);

/* After an LV that stacked devices on active @lv went (an old snapshot
 * removed): load @lv's plan now, and remove the devices of @old (its plan
 * before) that the new one no longer has (the "-real" layer). */
int lv_dm_restack_since(struct dmctl *d, const struct lvm_env *env, const struct vg *vg, const struct vg_lv *lv,
			const struct lv_plan *old, struct err *e);

/* The table of @lv's own device; *text malloc'ed. */
int lv_table(const struct vg *vg, const struct vg_lv *lv, char **text, struct err *e);

#endif
