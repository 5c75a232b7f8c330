/* PV helpers shared by the pv and vg verbs (lvm_pv.c). */
#ifndef ULVM_CLI_LVM_PV_H
#define ULVM_CLI_LVM_PV_H

#include "cli/lvm_cmds.h"

/* --[pv]metadatacopies (--metadatacopies on a pv verb only),
 * --metadatasize, --dataalignment, --uuid, --metadataignore. */
int lvm_pv_opts(struct lvm_cmd *c, struct pv_create_opts *o);
/* A vg verb's --vgmetadatacopies (or --metadatacopies): N, all
 * (VG_MDA_COPIES_ALL) or unmanaged (0). */
int lvm_vg_mda_copies_opt(const struct lvm_cmd *c, uint32_t *copies);
/* pvcreate one device, add it to the devices file, say so. */
int lvm_pv_make(struct lvm_cmd *c, const char *path, const struct pv_create_opts *o,
		struct lvm_dev **out);
/* An orphan PV at @path, created when the device has no label. */
int lvm_pv_orphan(struct lvm_cmd *c, const char *path, const struct pv_create_opts *o,
		  struct lvm_dev **out);

#endif
