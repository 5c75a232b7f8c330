/* Wiping a new LV's old signatures and zeroing its start (wipe.c). */
#ifndef ULVM_LVM_WIPE_H
#define ULVM_LVM_WIPE_H

#include <stdbool.h>

#include "common/log.h"
#include "lvm/vg.h"

/* For a new linear or striped LV whose PVs are present: wipe the
 * signatures libblkid finds (@signatures, lvcreate -W) and zero its first
 * 4 KiB (@zero, lvcreate -Z), printing "Wiping TYPE signature on vg/lv."
 * for each, as lvm2.  Other types: nothing to do. */
int lv_wipe_new(const struct vg *vg, const struct vg_lv *lv, bool signatures, bool zero, struct err *e);

#endif
