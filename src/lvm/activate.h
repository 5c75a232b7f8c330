/* An LV as device-mapper tables (lib/activate/dev_manager.c, striped.c,
 * libdm-deptree.c _emit_areas_line), LVM2-FORMAT.md §14.
 *
 * One table line per segment, in LE order, 512-byte sectors:
 *   <le*E> <len*E> linear <pv path> <pe_start + pe*E>
 *   <le*E> <len*E> striped <n> <stripe_size> <path0> <off0> <path1> <off1> ...
 * (E = extent size).  Devices are named by the PV's absolute path, which
 * ulvmd opens (there are no major:minor numbers in userspace).  The dm
 * name is "<vg>-<lv>" with every '-' inside either name doubled
 * (dm_build_dm_name); the uuid is "LVM-<vg id><lv id>" without dashes
 * (build_dm_uuid); the NBD export is "<vg>/<lv>".
 * An LV with a segment type other than linear/striped, or with an area on
 * a missing PV, has no table: the error names the type or the PV uuid.
 */
#ifndef ULVM_LVM_ACTIVATE_H
#define ULVM_LVM_ACTIVATE_H

#include <stddef.h>

#include "common/log.h"
#include "lvm/vg.h"

#define LV_DM_NAME_MAX (2 * LVM_NAME_LEN + 2)
#define LV_DM_UUID_MAX (4 + 2 * LVM_ID_LEN + 1)

/* "<vg>-" as it starts the dm name of each of the VG's devices. */
void vg_dm_prefix(const char *vgname, char out[LV_DM_NAME_MAX]);
void lv_dm_name(const struct vg *vg, const struct vg_lv *lv, char out[LV_DM_NAME_MAX]);
void lv_dm_uuid(const struct vg *vg, const struct vg_lv *lv, char out[LV_DM_UUID_MAX]);
/* "vg/lv" */
void lv_export_name(const struct vg *vg, const struct vg_lv *lv, char *out, size_t size);
/* 1 when a process (any ulvmd, whatever its run dir) maps a byte of the
 * LV's extents (io/dev.h claims), 0 when none does, -errno when a PV
 * cannot be tested.  Extents only: a thin LV's blocks live in its pool. */
int lv_extents_claimed(const struct vg *vg, const struct vg_lv *lv);
/* The table text (lines joined by '\n'); *text malloc'ed. */
int lv_table(const struct vg *vg, const struct vg_lv *lv, char **text, struct err *e);

#endif
