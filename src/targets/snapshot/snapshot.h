/* What snapshot-origin (origin.c) needs of the snapshots (snapshot.c). */
#ifndef ULVM_TARGETS_SNAPSHOT_SNAPSHOT_H
#define ULVM_TARGETS_SNAPSHOT_SNAPSHOT_H

#include <stdint.h>

#include "io/dev.h"

/* Hold the registry of active snapshots shared across an origin write:
 * no snapshot joins or leaves meanwhile. */
void snapshot_registry_read_lock(void);
void snapshot_registry_unlock(void);
/* With the registry held: every snapshot of @origin gets its copy of the
 * chunks [off, off + len) touches, before the origin changes.  A snapshot
 * that cannot is invalidated; the origin write goes on. */
void snapshot_origin_cow(struct dev *origin, uint64_t off, uint64_t len);

#endif
