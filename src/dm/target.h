/* The target vtable: what every device-mapper target fills in.
 *
 * As in the kernel (include/linux/device-mapper.h), a target is one file
 * filling one struct target_type.  Offsets passed to the I/O ops are bytes
 * relative to the start of the target; lengths never cross the target's
 * end.  The core (src/dm/md_io.c) decides, per op:
 *   1. the target's own op, if it has one;
 *   2. else, if it has `map`, the same op on the lower device(s) it maps to
 *      (linear and striped need nothing but `map`);
 *   3. else the default: read/write fail -EIO, flush flushes every device
 *      from iterate_devices, discard is a no-op, write_zeroes writes zero
 *      buffers through `write`, extents report data.
 * The core never asks which target it holds.
 */
#ifndef ULVM_DM_TARGET_H
#define ULVM_DM_TARGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/args.h"
#include "io/dev.h"

#define SECTOR_SHIFT 9
#define SECTOR_SIZE 512u
#define DM_DIFF_CHANGED 1u

struct dm_table;
struct dm_target;

enum status_type {
	STATUSTYPE_INFO,  /* dmsetup status */
	STATUSTYPE_TABLE, /* dmsetup table: exactly what ctr accepts */
	/* dmsetup table --showkeys: for dm_table_format only (targets get
	 * STATUSTYPE_TABLE); TABLE masks a type's secret_arg with zeros */
	STATUSTYPE_TABLE_KEYS,
};

/* Where a piece of a target lives: @len bytes at byte @off of @dev. */
struct dm_remap {
	struct dev *dev;
	uint64_t off;
	uint64_t len;
};

/* @start and @len are bytes on @dev that the target may touch. */
typedef int (*iterate_devices_fn)(struct dm_target *ti, struct dev *dev, uint64_t start,
				  uint64_t len, void *data);

/* features of a target type, as the kernel's DM_TARGET_* flags; the
 * core checks them, never the type's name. */
#define DM_TARGET_SINGLETON (1u << 0) /* the only target of its table */
#define DM_TARGET_IMMUTABLE (1u << 1) /* a device that has it is never reloaded
				       * with another type, nor the other way round */

/* A parameter of a target type, as the kernel's module parameters
 * (/sys/module/dm_thin_pool/parameters/no_space_timeout): one value per
 * dm context, set by its owner (dm_context_set_param) and read by the
 * target (dm_target_param) when it needs it. */
struct target_param {
	const char *name;
	uint64_t def, min, max;
};

/* A metric family a target reports through its `metrics` op, for
 * monitoring (ulvmd --metrics serves it as "ulvm_" NAME, with the label
 * device="DMNAME", and @label if it has one).  Names follow Prometheus'
 * conventions: a unit suffix (_bytes, _blocks), _total on counters. */
enum dm_metric_type { DM_METRIC_GAUGE, DM_METRIC_COUNTER };
struct dm_metric {
	const char *name;
	const char *help;
	enum dm_metric_type type;
	const char *label; /* the name of one more label, or NULL */
};
/* One value of family @m; @label_value is m->label's value (NULL when it
 * has none), copied by the callee. */
typedef void (*dm_metric_fn)(void *opaque, const struct dm_metric *m, const char *label_value,
			     uint64_t value);

struct target_type {
	const char *name;
	unsigned version[3];
	unsigned features; /* DM_TARGET_* */
	const struct target_param *params; /* ends with a NULL name; NULL: none */
	/* The table argument (1-based) that is a secret, a crypt key: shown
	 * as zeros of its length unless STATUSTYPE_TABLE_KEYS.  0: none. */
	unsigned secret_arg;

	/* Construct from the table arguments.  On failure return -errno and
	 * point ti->error at a static reason; print nothing. */
	int (*ctr)(struct dm_target *ti, struct arg_set *args);
	void (*dtr)(struct dm_target *ti);

	/* Remapping targets: say where [off, off+len) starts on a lower
	 * device; set out->len to at most @len (the piece that is contiguous
	 * there).  Called again for the rest. */
	int (*map)(struct dm_target *ti, uint64_t off, uint64_t len, struct dm_remap *out);

	/* Targets that do their own I/O but can say, for a read, which lower
	 * device holds all of it unchanged (raid's copies, a thin volume's
	 * mapped blocks), or for a write, where it can go unchanged (a thin
	 * volume's mapped blocks that no snapshot shares; @fua: the caller
	 * makes it durable there and nothing else): as map, never blocking;
	 * -ENOTSUP where the target must do the I/O itself.  Optional: lets
	 * a caller with its own ring or pipe do it there (dev_direct_begin).
	 * A target whose answer holds something until the transfer is done
	 * (thin: the pool's io_lock, so the block is not unmapped, shared or
	 * reused under it; raid and mirror: the read counted in flight, for
	 * their sync to yield to) has map_end, called once for each map_read or
	 * map_write that returned 0, on the same thread, when the transfer
	 * ended or was not started. */
	int (*map_read)(struct dm_target *ti, uint64_t off, uint64_t len, struct dm_remap *out);
	int (*map_write)(struct dm_target *ti, uint64_t off, uint64_t len, bool fua, struct dm_remap *out);
	void (*map_end)(struct dm_target *ti);

	/* Targets that do their own I/O.  Optional (see above). */
	int (*read)(struct dm_target *ti, void *buf, size_t len, uint64_t off);
	int (*write)(struct dm_target *ti, const void *buf, size_t len, uint64_t off, unsigned flags);
	int (*flush)(struct dm_target *ti);
	int (*discard)(struct dm_target *ti, uint64_t off, uint64_t len);
	int (*write_zeroes)(struct dm_target *ti, uint64_t off, uint64_t len, unsigned flags);
	int (*extents)(struct dm_target *ti, uint64_t off, uint64_t len, dev_extent_fn fn,
		       void *opaque);

	/* Print the status (no start, length or type name) into @buf, which
	 * starts empty; dm_emit appends. */
	void (*status)(struct dm_target *ti, enum status_type type, char *buf, size_t maxlen);
	/* dmsetup message; may write a reply into @result. */
	int (*message)(struct dm_target *ti, int argc, char **argv, char *result, size_t maxlen);
	/* Changed-block tracking against @other, a target of the same type
	 * (dm_diff): call @fn over [off, off+len) in order, flags
	 * DM_DIFF_CHANGED where the blocks differ, 0 where they are the same.
	 * -EXDEV if the two cannot be compared; @len 0 only asks that. */
	int (*diff)(struct dm_target *ti, struct dm_target *other, uint64_t off, uint64_t len,
		    dev_extent_fn fn, void *opaque);
	/* Monitoring: call @fn once per value the target reports (a thin
	 * pool's space and mode), from the scraper's thread, with the table
	 * held and the device lock taken (md_metrics): read what is cheap to
	 * read, under the target's own locks if need be; no I/O, no commit.
	 * Optional: NULL reports nothing.  Families are the target's static
	 * struct dm_metric; only a DM_TARGET_SINGLETON type should report, or
	 * two targets of one table would report the same series. */
	void (*metrics)(struct dm_target *ti, dm_metric_fn fn, void *opaque);
	/* Call @fn for every lower device with the range used. */
	int (*iterate_devices)(struct dm_target *ti, iterate_devices_fn fn, void *data);

	/* Suspend / resume hooks, all optional. */
	void (*presuspend)(struct dm_target *ti);
	void (*postsuspend)(struct dm_target *ti);
	int (*preresume)(struct dm_target *ti);
	void (*resume)(struct dm_target *ti);
};

struct dm_target {
	const struct target_type *type;
	struct dm_table *table;
	uint64_t begin; /* sectors, in the mapped device */
	uint64_t len;   /* sectors */
	void *private;
	const char *error; /* reason set by ctr / message */
};

/* For constructors: open a lower device named in a table, a path (relative
 * paths are taken from the directory of the client that sent the table),
 * an NBD URI (nbd://HOST/EXPORT, nbd+unix:///EXPORT?socket=PATH, ...) or
 * /dev/mapper/NAME for another mapped device.  The table holds the
 * reference; do not put it.  Fails -ENODEV (with ti->error set) if missing. */
int dm_get_device(struct dm_target *ti, const char *path, struct dev **out); /* sets ti->error itself */
/* The same for a device the target only reads (the kernel's FMODE_READ):
 * a read-only one does not make the table read-only. */
int dm_get_device_ro(struct dm_target *ti, const char *path, struct dev **out);
/* For constructors and messages: a reason that needs formatting, kept
 * with the table (ti->error points at it). */
void dm_target_set_error(struct dm_target *ti, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The mapped device whose table holds @ti (an identity to compare, as a
 * target that is shared between tables needs). */
const void *dm_target_owner(const struct dm_target *ti);
/* The value of parameter @i of @ti's type (its index in type->params) in
 * the context of @ti's table. */
uint64_t dm_target_param(const struct dm_target *ti, unsigned i);
/* The name to print for a lower device in STATUSTYPE_TABLE. */
const char *dm_device_name(struct dm_target *ti, struct dev *dev);

/* Tell whoever watches the device holding @t that something happened
 * (the kernel's dm_table_event): its event number goes up by one and the
 * context's event handler runs (dm_set_event_handler).  Cheap and never
 * blocking: callable from the I/O path with a target's locks held. */
void dm_table_event(struct dm_table *t);

/* Append to a status buffer: a snprintf that never overflows. */
void dm_emit(char *buf, size_t maxlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static inline uint64_t to_bytes(uint64_t sectors) { return sectors << SECTOR_SHIFT; }
static inline uint64_t to_sectors(uint64_t bytes) { return bytes >> SECTOR_SHIFT; }

#endif
