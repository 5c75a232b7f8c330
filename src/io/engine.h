/* I/O engines: how a file-backed struct dev (file.c) moves its bytes.
 * One file per engine, listed in io_engines[] (engine.c):
 *   threads   pread / pwritev2 / fdatasync on the calling thread (the
 *             nbdkit model; the default: the NBD server already runs
 *             requests on several threads, and cached I/O is fastest
 *             without a ring in between)
 *   io_uring  the same operations through a ring per thread (liburing),
 *             one submit and wait each (qemu-nbd's --aio=io_uring)
 * An engine does one transfer per call, as the system calls do: it returns
 * the bytes moved (a short count is possible) or -errno; file.c loops.
 * @rwf: RWF_* flags of pwritev2 (RWF_DSYNC for FUA). */
#ifndef ULVM_IO_ENGINE_H
#define ULVM_IO_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct io_engine {
	const char *name;
	ssize_t (*pread)(int fd, void *buf, size_t len, uint64_t off);
	ssize_t (*pwrite)(int fd, const void *buf, size_t len, uint64_t off, int rwf);
	int (*fdatasync)(int fd);
};

extern const struct io_engine io_engine_sync, io_engine_uring;
extern const struct io_engine *const io_engines[];

/* By name; NULL when there is none. */
const struct io_engine *io_engine_find(const char *name);

#endif
