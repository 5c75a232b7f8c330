/* Private to src/dm: the context and the helpers its files share. */
#ifndef ULVM_DM_INTERNAL_H
#define ULVM_DM_INTERNAL_H

#include <pthread.h>

#include "dm/md.h"

/* An open lower file or NBD export, shared by every table that names it,
 * so a reload keeps using the same open file or connection. */
struct dm_lower {
	char *path; /* canonical path, or the NBD URI as written */
	struct dev *dev;
	unsigned users;
};

struct dm_context {
	pthread_mutex_t lock; /* the device list, names, uuids, minors */
	struct mapped_device **mds;
	unsigned nmds, cap;
	const struct target_type *const *types;
	unsigned ntypes;
	uint64_t **params; /* [type][param]: each type's parameter values */
	unsigned file_flags; /* DEV_OPEN_DIRECT: how lower files are opened */
	const struct io_engine *engine; /* NULL: the sync engine */
	/* The event handler and its argument change together under the write
	 * lock; a handler runs under the read lock, so once
	 * dm_set_event_handler returns no call of the old one is running (its
	 * argument may be freed). */
	pthread_rwlock_t event_lock;
	dm_event_fn event_fn;
	void *event_opaque;

	pthread_mutex_t lower_lock;
	struct dm_lower *lowers;
	unsigned nlowers, lcap;
};

extern const struct dev_ops md_dev_ops;

/* Parameter @i of type @tt in @ctx (dm_target_param). */
uint64_t dm_context_param(const struct dm_context *ctx, const struct target_type *tt, unsigned i);

/* Release what dm_get_device took for a table, and its claims. */
void dm_table_put_devs(struct dm_table *t);
/* Claim the ranges of files and block devices that @t's targets use
 * (iterate_devices; the whole device for a target without it), so that
 * any process can see they are mapped (lvremove of a served LV from
 * another run dir).  Best effort: a device that cannot be claimed is
 * mapped all the same. */
void dm_table_claim(struct dm_table *t);
/* Does @md use @target, directly or further down? (cycle check) */
bool md_uses(struct mapped_device *md, struct mapped_device *target);

/* Enter the I/O path of @md: waits while suspended, returns the live table
 * counted in flight, or NULL (no table, removed). */
struct dm_table *md_enter(struct mapped_device *md);
void md_exit(struct mapped_device *md);
/* I/O accounting (md_stats.c): a request starts (returns its start
 * time, for md_stats_end) and ends with @r after @bytes of @op. */
uint64_t md_stats_start(struct mapped_device *md);
/* A request started and not made after all: nothing counted. */
void md_stats_cancel(struct mapped_device *md);
void md_stats_end(struct mapped_device *md, enum md_stat_op op, uint64_t bytes, uint64_t start,
		  int r);
/* Flush every target of @t (bypasses the suspend gate). */
int dm_table_flush(struct dm_table *t);

#endif
