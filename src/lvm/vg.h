/* The VG model: a volume group's text metadata as C structs, its
 * validation, and its export back to text in LVM2's exact layout.
 *
 * Import (vg_import) reads the VG section of a parsed text into a struct
 * vg that owns copies of every string, so it outlives the tree (and the
 * PV scan that held it).  Each segment is handed to its type
 * (lvm/segtype.h): linear and striped segments are modelled, their areas
 * pointing at the struct vg_pv they use; other types keep a copy of their
 * subtree, written back unchanged on export, and may model it (thin);
 * unknown types are listed by lvs and refused at activation, named.
 *
 * Validation (vg_validate) is at least as strict as LVM2's vgck
 * (import_vsn1.c, check_pv_segments, check_lv_segments, vg_validate):
 * required keys and their types, STATUS words, ids, unique PV ids and LV
 * names/ids, valid names and tags, VG+LV name length, contiguous segments
 * from LE 0, extent_count == area_len * stripes, PE ranges inside
 * pe_count, and no PE used twice.  The import runs it, and so does every
 * export, so nothing invalid is ever written.
 *
 * Export (vg_export) follows export.c (_print_vg, _print_pvs, _print_lvs,
 * _print_segment): PV keys renumbered pv0..pvN-1 in VG order, visible LVs
 * before hidden ones, blank lines where LVM puts them.  The envelope
 * (contents, version, description, creation_host/time) is vgtext.h's.
 * Adjacent compatible linear/striped segments are merged on import, as
 * LVM's lv_merge_segments does.
 *
 * Units: dev_size, pe_start, ba_*, extent_size and stripe_size are in
 * 512-byte sectors; pe_count, le, len, pe in extents.
 */
#ifndef ULVM_LVM_VG_H
#define ULVM_LVM_VG_H

#include <stdbool.h>
#include <stdint.h>

#include "common/log.h"
#include "lvm/config.h"
#include "lvm/id.h"
#include "lvm/vgtext.h"

struct pv;

/* Status words: bit i of a mask is entry i of the object's flag table. */
enum vg_flag { VGF_EXPORTED, VGF_RESIZEABLE, VGF_PVMOVE, VGF_READ, VGF_WRITE, VGF_WRITE_LOCKED,
	       VGF_NOAUTOACTIVATE, VGF_CLUSTERED, VGF_SHARED };
enum pv_flag { PVF_ALLOCATABLE, PVF_EXPORTED, PVF_MISSING };
enum lv_flag { LVF_READ, LVF_WRITE, LVF_WRITE_LOCKED, LVF_FIXED_MINOR, LVF_VISIBLE, LVF_PVMOVE,
	       LVF_LOCKED, LVF_NOTSYNCED, LVF_REBUILD, LVF_WRITEMOSTLY, LVF_ACTIVATION_SKIP,
	       LVF_ERROR_WHEN_FULL, LVF_CACHE_VOL, LVF_NOAUTOACTIVATE };
#define FLAG(f) (1u << (f))

struct strv {
	unsigned n;
	char **s;
};

struct vg_pv {
	char id[LVM_ID_LEN + 1];
	char *device; /* the path hint in the text, or NULL */
	char *device_id_type, *device_id;
	uint32_t status;
	struct strv tags;
	bool has_dev_size, has_ba;
	uint64_t dev_size, pe_start, ba_start, ba_size;
	uint32_t pe_count;
	/* Runtime, not in the text: the device found with this id. */
	struct pv *pv;    /* NULL: missing */
	char *path;       /* absolute path of the device, when found */
	/* A device that came back while the text still says MISSING and
	 * extents are allocated on it: its data may be stale, so the PV stays
	 * missing (pv, path NULL) until vgextend --restoremissing (lvm2's
	 * rule).  Not freed with the PV: the scan owns stale, not stale_path. */
	struct pv *stale;
	char *stale_path;
	bool missing_cleared; /* it came back unused: the flag was dropped at the read */
};

/* An area is a PV range (pv, from PE pe) or a range of a sub-LV (lv,
 * from LE pe), lvm2's AREA_PV and AREA_LV; the other pointer is NULL. */
struct lv_area {
	struct vg_pv *pv;
	uint32_t pe;
	struct vg_lv *lv;
};

struct lv_seg {
	uint32_t le, len; /* start_extent, extent_count */
	char *type;       /* as read: "striped", "linear", "thin", "raid5_ls"... */
	const struct segtype *st; /* its type (lvm/segtype.h) */
	struct strv tags;
	/* Areas: a striped segment's stripes (striped set; PVs or sub-LVs),
	 * or the PV legs of a kept "mirrors" list (an lvm2 pvmove in
	 * progress), so that their PEs count as used. */
	bool striped;
	uint32_t stripe_size; /* sectors; 0 with one area */
	unsigned narea;
	struct lv_area *area; /* each seg_area_len() extents */
	/* A kept type's section, in vg->keep, and the type's model of it. */
	struct cfg_node *raw;
	void *priv;
};

/* Every area of @s is on a PV (none is a sub-LV). */
static inline bool seg_on_pvs(const struct lv_seg *s)
{
	for (unsigned k = 0; k < s->narea; k++)
		if (!s->area[k].pv)
			return false;
	return true;
}

/* Extents of each area: a stripe's share, or a whole mirror leg. */
static inline uint32_t seg_area_len(const struct lv_seg *s)
{
	return s->striped ? s->len / s->narea : s->len;
}

struct vg_lv {
	char *name;
	char id[LVM_ID_LEN + 1];
	uint32_t status;
	struct strv tags;
	bool has_ctime;
	int64_t ctime;
	char *host;
	char *lock_args, *alloc, *profile;
	bool has_read_ahead, has_major, has_minor;
	int64_t read_ahead, major, minor;
	unsigned nseg;
	struct lv_seg *seg;
	uint32_t le_count;
};

#define VG_MDA_COPIES_ALL UINT32_MAX /* --vgmetadatacopies all (lvm2 VGMETADATACOPIES_ALL) */

struct vg {
	char *name;
	char id[LVM_ID_LEN + 1];
	uint32_t seqno;
	uint32_t status;
	struct strv tags;
	char *system_id, *lock_type, *lock_args, *alloc, *profile;
	/* metadata_copies: 0 unmanaged; VG_MDA_COPIES_ALL only between a
	 * command's --vgmetadatacopies all and its commit, never written */
	uint32_t extent_size, max_lv, max_pv, metadata_copies;
	unsigned npv, nlv;
	struct vg_pv **pv;
	struct vg_lv **lv;
	struct cfg_node *historical; /* kept as read, in keep */
	struct cfg_tree *keep;       /* copies of kept subtrees */
};

/* ---- lifetime and import ---- */
int vg_new(const char *name, uint32_t extent_size, struct vg **out, struct err *e);
void vg_free(struct vg *vg);
/* @vgsec: the VG section of a parsed text.  Validates. */
int vg_import(const struct cfg_node *vgsec, struct vg **out, struct err *e);
int vg_validate(const struct vg *vg, struct err *e);

/* ---- export ---- */
struct vg_export_info {
	const char *description; /* "Write from lvcreate ... ." */
	time_t when;
	const char *host; /* NULL: uname */
};
/* The whole text in @layout; *text malloc'ed, NUL-terminated, *len
 * excludes the NUL (an mda gets len + 1 bytes). */
int vg_export(const struct vg *vg, enum vgtext_layout layout, const struct vg_export_info *info,
	      char **text, size_t *len, struct err *e);
/* Only the VG section, appended to @root. */
int vg_export_section(const struct vg *vg, struct cfg_node *root, struct err *e);
/* A new VG with @tmpl's name, id and settings and the PVs and LVs given,
 * which may come from several VGs (vgsplit, vgmerge): a deep copy made
 * through the text, so it shares nothing with them and is validated as
 * a whole (every name an LV's segments use must be among @lvs).  The
 * devices found stay with the PVs (pv, path). */
int vg_compose(const struct vg *tmpl, struct vg_pv *const *pvs, unsigned npv, struct vg_lv *const *lvs,
	       unsigned nlv, struct vg **out, struct err *e);

/* ---- lookups and edits ---- */
struct vg_lv *vg_find_lv(const struct vg *vg, const char *name);
struct vg_pv *vg_find_pv_id(const struct vg *vg, const char *id32);
struct vg_pv *vg_find_pv_path(const struct vg *vg, const char *path);
/* The name lvm2 shows for a PV: its device (one back but still marked
 * missing too), else "[unknown]". */
static inline const char *vg_pv_name(const struct vg_pv *p)
{
	return p->path ? p->path : p->stale_path ? p->stale_path : "[unknown]";
}
/* The name of a new LV: what lvm2's apply_lvname_restrictions and
 * validate_name allow (no "snapshot"/"pvmove" prefix, none of the
 * sub-LV suffixes such as "_tmeta" or "_rimage"), and not taken.  The
 * message says which rule. */
int vg_check_new_lv_name(const struct vg *vg, const char *name, struct err *e);
/* lvm2's default name of a new LV (generate_lv_name): lvolN, N one past
 * the highest number of a name, current or historical, that starts with
 * lvolN ("lvol0_pmspare" too), so a removed LV's name is not reused
 * while a higher one is there.  lvm2 names its spares the same way,
 * lvolN_pmspare. */
void vg_next_lv_name(const struct vg *vg, char *out, size_t size);
/* The same with another prefix than "lvol" (lvm2's "<lv>_cache%d"). */
void vg_next_lv_name_prefix(const struct vg *vg, const char *prefix, char *out, size_t size);
/* Adds an empty LV (no segments) with a fresh id and creation time. */
int vg_add_lv(struct vg *vg, const char *name, struct vg_lv **out, struct err *e);
/* An option's LV argument, "VG/LV" or "LV", in @vg: *name is its LV
 * part and *out the LV (NULL when @vg has none: -ENOENT); -EXDEV when
 * its VG part is another VG's. */
int vg_lv_arg(const struct vg *vg, const char *arg, const char **name, struct vg_lv **out);
/* LVs with the VISIBLE flag (lvm2's vg_visible_lvs, which MaxLogicalVolume counts). */
unsigned vg_visible_lvs(const struct vg *vg);
void vg_remove_lv(struct vg *vg, struct vg_lv *lv);
int vg_add_pv(struct vg *vg, struct vg_pv **out, struct err *e);
void vg_remove_pv(struct vg *vg, struct vg_pv *pv);
/* Append a linear/striped segment at the LV's end (merging with the last
 * one when compatible). */
int lv_add_striped(struct vg_lv *lv, unsigned narea, const struct lv_area *areas,
		   uint32_t area_len, uint32_t stripe_size, struct err *e);
/* Drop the last @extents LEs (splitting the last segments as needed);
 * all of them leaves an LV without segments, which vg_validate refuses. */
int lv_reduce(struct vg_lv *lv, uint32_t extents, struct err *e);
/* Fold adjacent compatible linear/striped segments (lvm2's lv_merge_segments). */
void lv_merge_segments(struct vg_lv *lv);
/* NULL when every segment of the LV can be activated; else the type
 * name of the first that cannot. */
const char *lv_unservable_type(const struct vg_lv *lv);
bool lv_uses_pv(const struct vg_lv *lv, const struct vg_pv *pv);
/* Write the PV legs of kept segment @s, in its copy @sn, under the PVs'
 * keys in VG order (pv0..): the names of its "mirrors" list that are no
 * LV's are its areas, in order.  Export and vg_remove_pv keep them true. */
void seg_renumber_pv_legs(const struct vg *vg, struct cfg_node *sn, const struct lv_seg *s);
/* PEs in use on @pv. */
uint32_t vg_pv_used(const struct vg *vg, const struct vg_pv *pv);
uint64_t vg_free_extents(const struct vg *vg);
uint64_t vg_total_extents(const struct vg *vg);

int strv_add(struct strv *v, const char *s);
void strv_free(struct strv *v);
bool strv_has(const struct strv *v, const char *s);
/* Drop the first @s, if there is one. */
void strv_del(struct strv *v, const char *s);
/* lvm2's validate_tag: [A-Za-z0-9._+/=!:&#-]+ (and, here, under 1 KiB). */
bool lvm_tag_valid(const char *tag);
/* --addtag and --deltag as lvm2 applies them: each new tag appended
 * unless there already, then the ones to delete dropped. */
int lvm_tags_change(struct strv *tags, const char *const *add, unsigned nadd, const char *const *del,
		    unsigned ndel);

#endif
