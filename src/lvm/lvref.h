/* References between the LVs of a VG: a segment that names other LVs
 * (lvm2's lv_area of type AREA_LV, seg->pool_lv, seg->origin, seg->cow,
 * seg->metadata_lv, seg->log_lv...; LVM2-FORMAT.md §10).
 *
 * Segments of those types keep their section as read (lvm/segtype.h);
 * each type lists the keys of it that name LVs (struct seg_ref_key):
 *   thin         thin_pool (pins), external_origin (pins), merge (pins),
 *                origin (a thin snapshot's origin: does not pin, lvm2
 *                lets it go and the snapshot keeps its blocks)
 *   thin-pool    metadata, pool            cache-pool  data, metadata
 *   snapshot     origin, cow_store | merging_store
 *   mirror       mirrors [LV|PV, LE, ...], mirror_log
 *   raid*        raids [meta, image, ...], raid0_lvs [image, ...]
 *   cache        cache_pool, origin        writecache  origin, writecache
 *   integrity    origin, meta_dev          vdo         vdo_pool
 *   vdo-pool     data                      striped     stripes over LVs
 * A pinning reference means: the LV named may not be removed, resized or
 * renamed on its own while the referring LV exists.  A hidden LV that a
 * segment names is that LV's sub-LV: it goes, and is renamed, with it.
 * Area lists (mirrors, stripes) also name PVs by their key ("pv0"); such
 * entries are not references.
 *
 * Segment types the registry does not know are not looked into: lvm2
 * does not read them either.
 */
#ifndef ULVM_LVM_LVREF_H
#define ULVM_LVM_LVREF_H

#include <stdbool.h>

#include "common/log.h"
#include "lvm/vg.h"

struct lv_ref {
	struct vg_lv *from;    /* the LV whose segment names it */
	const char *key;       /* "thin_pool", "raids", ... */
	struct cfg_value *val; /* the name, in @from's kept segment; NULL: a modelled area */
	struct vg_lv *to;      /* NULL: no LV of that name */
	bool pins;
	bool cascade; /* deactivating @to deactivates @from first */
	const char *dependent; /* the key's (struct seg_ref_key) */
};

/* Call @fn for each reference of @from's segments (each LV's when @from
 * is NULL), until it returns non-zero, which is returned. */
int lv_refs_each(const struct vg *vg, const struct vg_lv *from, int (*fn)(const struct lv_ref *r, void *data),
		 void *data);
/* The first LV other than @lv whose segments name @lv (pinning ones
 * first); *key is the key naming it.  NULL: none. */
struct vg_lv *lv_first_user(const struct vg *vg, const struct vg_lv *lv, const char **key);
/* The LV that @lv's name stands for: an old-style snapshot is known by
 * its hidden COW LV's name (lvs shows "snap", lvremove vg/snap removes
 * the snapshot), and that is the snapshotN LV naming it as its COW.
 * NULL: @lv stands for itself. */
struct vg_lv *lv_stands_for(const struct vg *vg, const struct vg_lv *lv);
/* lvs lists @lv without -a: visible, or an old snapshot's COW LV (the
 * snapshot by its user's name); never an LV of a SEGTYPE_HIDDEN type
 * (lv_internal: lvm2's snapshotN), not even with -a. */
bool lv_listed(const struct vg *vg, const struct vg_lv *lv);
bool lv_internal(const struct vg_lv *lv);
/* @user's segments name @lv; *key is the key. */
bool lv_uses(const struct vg *vg, const struct vg_lv *user, const struct vg_lv *lv, const char **key);
/* @user names @lv by a cascading key: it goes down with @lv (a thin LV
 * with its pool). */
bool lv_cascades_from(const struct vg *vg, const struct vg_lv *user, const struct vg_lv *lv);
/* @lv's segments name a hidden LV (it has sub-LVs). */
bool lv_has_subs(const struct vg *vg, const struct vg_lv *lv);
/* vg_validate's part: every name resolves to another LV of the VG. */
int vg_check_refs(const struct vg *vg, struct err *e);

/* @vg's LVs in the order a deactivation of them all goes: each after
 * the LVs that name it (a thin LV before its external origin, whose
 * device its table holds), else in the VG's order.  @out: vg->nlv. */
void vg_lv_users_first(const struct vg *vg, struct vg_lv **out);
/* What lvremove of @lv takes with it: @lv and every hidden LV its
 * segments name, recursively.  Refused (-EBUSY, naming the user) when an
 * LV outside that set has a pinning reference into it.  *set malloc'ed,
 * @lv first. */
int lv_removal_set(const struct vg *vg, struct vg_lv *lv, struct vg_lv ***set, unsigned *n, struct err *e);
/* Rename @lv to @name, its sub-LVs named "<old>_..." to "<name>_..."
 * (as lvm2's lv_rename_update), and every reference to any of them. */
int lv_rename_with_subs(struct vg *vg, struct vg_lv *lv, const char *name, struct err *e);

#endif
