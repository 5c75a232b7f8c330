/* Mapped devices and the set of them (struct dm_context).
 *
 * A mapped device is itself a struct dev, so tables stack: a table may name
 * /dev/mapper/NAME.  It has a live and an inactive table slot.
 *   load     builds a table into the inactive slot (replacing one there);
 *   suspend  stops new I/O (callers wait) and waits for in-flight I/O to
 *            finish, then flushes (unless DM_NOFLUSH);
 *   resume   swaps the inactive table in (if any) and lets I/O go on.
 * I/O sees one table from start to end: a request takes the live table
 * under the device lock and counts itself in flight.
 *
 * All dm_* functions lock the context themselves and return 0 or -errno
 * with a message in @e.
 */
#ifndef ULVM_DM_MD_H
#define ULVM_DM_MD_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/log.h"
#include "dm/table.h"
#include "io/dev.h"

#define DM_NAME_LEN 128
#define DM_UUID_LEN 129
#define DM_EXPORT_LEN 256
#define DM_MAJOR 254

/* I/O accounting of a mapped device at its top: what its clients asked
 * of it (NBD, FUSE, a table stacked on it), counted once per request, as
 * the kernel's /proc/diskstats counts a dm device.  write_zeroes counts
 * as a write, as in the kernel; block status (extents) is not counted.
 * A failed request counts as completed too, and in errors.
 * The I/O path updates it with relaxed atomics and no lock (md_stats.c);
 * md_get_stats reads it. */
enum md_stat_op { MD_STAT_READ, MD_STAT_WRITE, MD_STAT_DISCARD, MD_STAT_FLUSH, MD_STAT_NOPS };
/* Upper bounds of the latency buckets, nanoseconds, ascending; one more
 * bucket past the last takes the rest (+Inf). */
#define MD_LATENCY_BUCKETS 19
extern const uint64_t md_latency_bounds_ns[MD_LATENCY_BUCKETS];

struct md_op_stats {
	uint64_t ops;    /* completed requests, failed ones included */
	uint64_t bytes;  /* their lengths (0 for flush) */
	uint64_t errors; /* requests that failed */
	uint64_t ns;     /* their time, from the request's start to its end */
	uint64_t latency[MD_LATENCY_BUCKETS + 1]; /* per bucket, not cumulative */
};

struct md_stats {
	struct md_op_stats op[MD_STAT_NOPS];
	uint64_t inflight; /* requests started and not ended */
};

struct mapped_device {
	struct dev dev; /* first: a mapped device is a dev */
	struct dm_context *ctx;
	char name[DM_NAME_LEN];
	char uuid[DM_UUID_LEN];
	char export_name[DM_EXPORT_LEN]; /* NBD export name; the device name by default */
	unsigned minor;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct dm_table *live;
	struct dm_table *inactive;
	bool suspended;
	bool read_only;   /* created with --readonly */
	bool dead;        /* removed: I/O fails -ENXIO */
	unsigned inflight;
	unsigned open_count; /* exports holding it open */
	unsigned holders;    /* live or inactive tables of other devices using it */
	uint32_t event_nr; /* atomic: dm_table_event */
	struct md_stats stats; /* relaxed atomics only (md_stats.c) */
};

struct dm_context;

int dm_context_new(const struct target_type *const *types, unsigned ntypes,
		   struct dm_context **out);
/* Removes every device (forced), top of the stack first. */
void dm_context_free(struct dm_context *ctx);
const struct target_type *dm_find_target_type(struct dm_context *ctx, const char *name);
/* How lower files are opened from now on: @flags DEV_OPEN_DIRECT or 0,
 * through I/O engine @engine (io/engine.h). */
struct io_engine;
void dm_context_set_io(struct dm_context *ctx, unsigned flags, const struct io_engine *engine);
/* Set parameter @name of target type @type (struct target_param) for
 * the tables made from now on; -ENOENT / -ERANGE with a message. */
int dm_context_set_param(struct dm_context *ctx, const char *type, const char *name, uint64_t value,
			 struct err *e);
void dm_list_target_types(struct dm_context *ctx,
			  void (*fn)(void *opaque, const struct target_type *tt), void *opaque);

#define DM_READONLY (1u << 0) /* create: the device refuses writes */
#define DM_NOFLUSH  (1u << 1) /* suspend: do not flush */
#define DM_FORCE    (1u << 2) /* remove: even if open */
#define DM_NOLOCKFS (1u << 3) /* accepted for dmsetup compatibility */

/* create = new device, then (if @table) load + resume. */
struct dm_create_args {
	const char *name;
	const char *uuid;        /* optional */
	const char *table;       /* optional: no table */
	const char *cwd;         /* for relative paths in the table */
	const char *export_name; /* optional: the NBD export name (e.g. vg/lv) */
	unsigned flags;          /* DM_READONLY */
};
int dm_create_ex(struct dm_context *ctx, const struct dm_create_args *a, struct err *e);
int dm_create(struct dm_context *ctx, const char *name, const char *uuid, const char *table,
	      const char *cwd, unsigned flags, struct err *e);
/* @ro: the device is read-only (1) or read-write (0) once this table is
 * resumed, as the kernel's DM_READONLY_FLAG on a table load; -1 keeps
 * its mode. */
int dm_load(struct dm_context *ctx, const char *name, const char *table, const char *cwd, int ro,
	    struct err *e);
int dm_clear(struct dm_context *ctx, const char *name, struct err *e);
int dm_suspend(struct dm_context *ctx, const char *name, unsigned flags, struct err *e);
int dm_resume(struct dm_context *ctx, const char *name, struct err *e);
int dm_remove(struct dm_context *ctx, const char *name, unsigned flags, struct err *e);
int dm_rename(struct dm_context *ctx, const char *name, const char *new_name, struct err *e);
/* Rename and/or give a new NBD export name (either may be NULL, not both),
 * atomically: -EEXIST if another device holds either name, and then
 * nothing changes.  Connected NBD clients keep their device. */
int dm_rename_export(struct dm_context *ctx, const char *name, const char *new_name,
		     const char *new_export, struct err *e);
int dm_set_uuid(struct dm_context *ctx, const char *name, const char *uuid, struct err *e);
/* Send a message to the target holding @sector of the live table. */
int dm_message(struct dm_context *ctx, const char *name, uint64_t sector, const char *msg,
	       char *result, size_t maxlen, struct err *e);

/* Who hears dm_table_event: @fn runs while @md lives (its table does),
 * from whatever thread raised the event, possibly with target locks held,
 * so it must only take note (e.g. wake a thread) and return.  Set it
 * before the first device is created; NULL stops it. */
typedef void (*dm_event_fn)(void *opaque, struct mapped_device *md);
/* @fn runs with @opaque on any thread, with target locks held: it must
 * not block.  Once this returns, no call of the previous handler is
 * running. */
void dm_set_event_handler(struct dm_context *ctx, dm_event_fn fn, void *opaque);

/* Find a device by name and take a reference (dev_put(&md->dev) drops it),
 * or NULL. */
struct mapped_device *dm_lookup(struct dm_context *ctx, const char *name);
/* The same, by NBD export name. */
struct mapped_device *dm_lookup_export(struct dm_context *ctx, const char *export_name);
/* Referenced snapshot of all devices, sorted by name; free with
 * dm_put_all. */
int dm_get_all(struct dm_context *ctx, struct mapped_device ***out, unsigned *n);
void dm_put_all(struct mapped_device **mds, unsigned n);

/* Exports hold a device open (remove refuses an open device unless
 * forced). */
int md_open(struct mapped_device *md);
void md_close(struct mapped_device *md);
/* Wait at most @ms for device @name to be closed by every export (a
 * client that has just disconnected holds it until the server has torn
 * its connection down); false if it is still open. */
bool md_wait_closed(struct dm_context *ctx, const char *name, unsigned ms);

/* Snapshot of a device's state for info / status / table. */
struct md_info {
	bool exists;
	bool suspended;
	bool live_table;
	bool inactive_table;
	bool read_only;
	unsigned open_count;
	unsigned holders;
	uint32_t event_nr;
	unsigned minor;
	unsigned ntargets;   /* of the live table */
	uint64_t sectors;    /* of the live table */
};
void md_get_info(struct mapped_device *md, struct md_info *info);
/* The device's I/O counters since it was created, without a lock: each
 * value is exact, the set is not one instant (a request may show in ops
 * and not yet in bytes). */
void md_get_stats(struct mapped_device *md, struct md_stats *out);
/* The device's name and NBD export name, copied under its lock (a rename
 * may run beside). */
void md_get_names(struct mapped_device *md, char name[DM_NAME_LEN], char export_name[DM_EXPORT_LEN]);
/* Call every live target's `metrics` op (target.h) with @fn; the table is
 * held under the device lock for the call, so @fn must only take note.
 * A device with no live table reports nothing. */
void md_metrics(struct mapped_device *md, dm_metric_fn fn, void *opaque);
/* Format the live (or, with @inactive, the inactive) table or status. */
int md_format(struct mapped_device *md, enum status_type type, bool inactive, char **out);
/* Names of the lower devices of the live table, one per line. */
int md_deps(struct mapped_device *md, char **out);

/* For a target stacked on a mapped device that needs the object behind it
 * (a thin volume and its pool): if @dev is a mapped device whose live
 * table is one target of type @tt, run @fn on that target with the table
 * held (under the device lock: @fn must not do I/O or take a device
 * lock) and return what it returns; else -EINVAL. */
int dm_with_target(struct dev *dev, const struct target_type *tt,
		   int (*fn)(struct dm_target *ti, void *arg), void *arg);

/* Changed-block tracking between two mapped devices whose live tables
 * are one target each, of one type with a `diff` op: see target.h.
 * Waits while either is suspended.  -EOPNOTSUPP when they are not such
 * devices, -EXDEV when the target cannot compare them; @len 0 only asks. */
int dm_diff(struct dev *a, struct dev *b, uint64_t off, uint64_t len, dev_extent_fn fn,
	    void *opaque);

/* Shutdown: tell every live table's targets that the device is going
 * away (presuspend), so those that hold I/O back (delay) let it go. */
void dm_presuspend_all(struct dm_context *ctx);
/* Flush every mapped device (daemon shutdown). */
int dm_flush_all(struct dm_context *ctx);

#endif
