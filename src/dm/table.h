/* Device-mapper tables: parsing and validation in dmsetup syntax.
 *
 *   <start> <length> <target> [args...]      one line per target
 *
 * Start and length are 512-byte sectors.  dm_table_parse only checks the
 * text; dm_table_create checks the layout (first line at 0, no gap, no
 * overlap, no zero length) before any constructor runs, then constructs
 * the targets and checks that each stays within its lower devices.  Every
 * error is one message naming the line and the reason.
 */
#ifndef ULVM_DM_TABLE_H
#define ULVM_DM_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/log.h"
#include "dm/target.h"

#define DM_MAX_TARGETS 65536
#define DM_MAX_ARGS 1024

struct dm_context;
struct mapped_device;

struct dm_table_line {
	unsigned lineno;   /* 1-based line number in the text */
	uint64_t start;    /* sectors */
	uint64_t len;      /* sectors */
	char *type;
	int argc;
	char **argv;
};

struct dm_table_spec {
	unsigned nlines;
	struct dm_table_line *lines;
	char *buf; /* the words point in here */
};

/* Parse and check the layout.  Blank lines and lines starting with '#' are
 * skipped.  An empty table is an error. */
int dm_table_parse(const char *text, struct dm_table_spec **out, struct err *e);
void dm_table_spec_free(struct dm_table_spec *spec);

/* A held lower device. */
struct dm_table_dev {
	struct dev *dev;
	char *name;                 /* as printed in the table */
	struct mapped_device *md;   /* set when the device is a mapped device */
	bool read_only_use;         /* only read (dm_get_device_ro) */
};

struct dm_table {
	struct dm_context *ctx;
	struct mapped_device *self; /* the device being loaded (cycle check) */
	const char *cwd;            /* for relative paths while constructing */
	unsigned ntargets;
	struct dm_target *targets;
	uint64_t *ends;             /* ends[i] = targets[i].begin + len, sectors */
	uint64_t sectors;           /* total length */
	unsigned ndevs;
	struct dm_table_dev *devs;
	bool read_only;             /* a device it writes to is read-only */
	int mode_ro;                /* loaded read-only (1), read-write (0), or keep the device's (-1) */
	int *claim_fds;             /* per devs[i]: its claim (io/dev.h), or -1 */
	char error_buf[512];        /* a ctr reason that names a device */
};

/* Build a table for the mapped device @self (which the table may not use,
 * directly or through others).  @cwd resolves relative paths; NULL means
 * the daemon's. */
int dm_table_create(struct dm_context *ctx, struct mapped_device *self, const char *text,
		    const char *cwd, struct dm_table **out, struct err *e);
void dm_table_destroy(struct dm_table *t);
/* The first target type of @t with DM_TARGET_IMMUTABLE, or NULL. */
const struct target_type *dm_table_immutable_type(const struct dm_table *t);

/* The index of the target holding @sector (< t->sectors). */
unsigned dm_table_find(const struct dm_table *t, uint64_t sector);

/* Format every target as "<start> <len> <type> <status>\n" into a new
 * string (free it). */
int dm_table_format(struct dm_table *t, enum status_type type, char **out);

#endif
