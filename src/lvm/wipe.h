/* Wiping a new LV's old signatures and zeroing its start (wipe.c). */
#ifndef ULVM_LVM_WIPE_H
#define ULVM_LVM_WIPE_H

#include <stdbool.h>

#include "common/log.h"
#include "lvm/vg.h"

#include <stddef.h>

/* lvcreate -Z: the bytes a new LV's start is zeroed over (lvm2's). */
#define LV_ZERO_START 4096u

/* For a new linear or striped LV whose PVs are present: wipe the
 * signatures libblkid finds (@signatures, lvcreate -W) and zero its first
 * @zero bytes (lvcreate -Z: LV_ZERO_START; a raid rmeta's superblocks, an
 * old snapshot's store header), within its first area, printing "Wiping
 * TYPE signature on vg/lv." for each, as lvm2.  Other types: nothing to
 * do. */
int lv_wipe_new(const struct vg *vg, const struct vg_lv *lv, bool signatures, size_t zero, struct err *e);

#endif
