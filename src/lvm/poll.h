/* Background polling of operations in progress (poll.c). */
#ifndef ULVM_LVM_POLL_H
#define ULVM_LVM_POLL_H

#include "common/dmctl.h"
#include "lvm/devices.h"
#include "lvm/vg.h"

/* The commands one ulvm command started already (each once). */
struct lvm_poll_seen {
	char *cmd[64];
	unsigned n;
};
void lvm_poll_seen_free(struct lvm_poll_seen *s);

/* For each LV of @vg whose type says an operation of it needs following
 * (segtype poll), a detached ulvm that follows it, unless @seen has it.
 * How many were started. */
unsigned lvm_poll_background(const struct lvm_env *env, const char *run_dir, const struct vg *vg, struct dmctl *d,
			     struct lvm_poll_seen *seen);

#endif
