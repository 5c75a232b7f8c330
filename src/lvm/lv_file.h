/* An inactive LV's bytes, read from or written to its PV extents
 * directly, for the tools that work on files (thin_repair on a pool's
 * metadata).  Only LVs whose segments each lie on one PV (linear) are
 * handled; others are refused naming the LV. */
#ifndef ULVM_LVM_LV_FILE_H
#define ULVM_LVM_LV_FILE_H

#include <stdbool.h>

#include "common/log.h"
#include "lvm/vg.h"

/* Copy @lv's extents to @fd from offset 0 (@to_lv false), or @fd's
 * first bytes of that size into them (@to_lv true).  @run_dir: ulvmd's,
 * for PVs that are its devices. */
int lv_file_copy(const struct vg *vg, const struct vg_lv *lv, int fd, bool to_lv, const char *run_dir,
		 struct err *e);

#endif
