/* Shared by vg.c, vg_check.c and vg_export.c: the status word tables, in
 * the order LVM2's flags.c lists them (export writes them in this order). */
#ifndef ULVM_LVM_VG_INTERNAL_H
#define ULVM_LVM_VG_INTERNAL_H

#include <stdbool.h>

struct vg_flag_def {
	const char *name;
	bool status; /* true: a STATUS word (in status); false: COMPATIBLE (in flags) */
};

extern const struct vg_flag_def vg_flag_defs[], pv_flag_defs[], lv_flag_defs[];

#endif
