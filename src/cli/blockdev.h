/* A device named on the command line, for tools that need a file to hand
 * to a library (libcryptsetup, libblkid): files and block devices are
 * themselves; NBD URIs, /dev/mapper/NAME and VG/LV (devices of the running
 * ulvmd, by name or by export) are read through NBD into a private sparse
 * copy of the device's size, filled as far as the caller asks, and what the
 * library changed in that copy is written back when the caller commits.
 *
 * Invariants: bytes of the copy past `filled` are zero, never the device's;
 * the device is written only by blockdev_commit, and only the 64 KiB blocks
 * that differ from what the device holds now.  The copy lives in a 0700
 * directory of its own, removed by blockdev_close.
 */
#ifndef ULVM_CLI_BLOCKDEV_H
#define ULVM_CLI_BLOCKDEV_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/dmctl.h"
#include "common/log.h"

struct dev;

struct blockdev {
	char spec[PATH_MAX];      /* as the user wrote it */
	char table[PATH_MAX + 64]; /* what a table names: an absolute path, /dev/mapper/NAME or a URI */
	char name[128];           /* a short name: the file's, the device's or the export's */
	char file[PATH_MAX + 80]; /* what a library opens: the path itself or the copy */
	struct dev *io;           /* the device behind a copy; NULL for a path */
	uint64_t size;            /* bytes */
	uint64_t filled;          /* bytes at the start of the copy read from the device */
	char dir[PATH_MAX];       /* the copy's directory; "" when none */
};

/* Open @spec (@d: the daemon, for mapped devices; @rw: will be written).
 * 0 or -errno with @e saying why. */
int blockdev_open(struct blockdev *b, const char *spec, struct dmctl *d, bool rw, struct err *e);
/* Only @spec's names (spec, table, name), as blockdev_open gives them: no
 * connection to the device. */
int blockdev_name(struct blockdev *b, const char *spec, struct dmctl *d, struct err *e);
/* Done reading the device: its connection goes, the copy stays.  Before
 * ulvmd is asked to serve a table over it, so that a server taking one
 * client at a time (qemu-nbd's default) lets the daemon in. */
void blockdev_disconnect(struct blockdev *b);
/* Make the copy hold the device's first @upto bytes (at most its size). */
int blockdev_fill(struct blockdev *b, uint64_t upto, struct err *e);
/* Copy [@off, @off+@len) of the device into the copy. */
int blockdev_fill_range(struct blockdev *b, uint64_t off, uint64_t len, struct err *e);
/* Write what differs in the copy's first @len bytes back to the device
 * and flush it (nothing to do for a path). */
int blockdev_commit(struct blockdev *b, uint64_t len, struct err *e);
void blockdev_close(struct blockdev *b);

#endif
