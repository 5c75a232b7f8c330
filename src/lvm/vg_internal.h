/* Shared by vg.c, vg_check.c, vg_export.c and thin_lv.c: the status word
 * tables, in the order LVM2's flags.c lists them (export writes them in
 * this order), and the size comments of the backup form. */
#ifndef ULVM_LVM_VG_INTERNAL_H
#define ULVM_LVM_VG_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

struct cfg_node;

struct vg_flag_def {
	const char *name;
	bool status; /* true: a STATUS word (in status); false: COMPATIBLE (in flags) */
};

extern const struct vg_flag_def vg_flag_defs[], pv_flag_defs[], lv_flag_defs[];

/* LVM's display_size as the comment after a size key of a backup:
 * "# 4 Megabytes". */
void vg_size_comment(struct cfg_node *n, uint64_t sectors);

#endif
