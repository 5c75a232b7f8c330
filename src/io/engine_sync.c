/* The sync engine: the system calls themselves.  See engine.h. */
#include "io/engine.h"

#include <errno.h>
#include <sys/uio.h>
#include <unistd.h>

static ssize_t sync_pread(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread(fd, buf, len, (off_t)off);

	return n < 0 ? -errno : n;
}

static ssize_t sync_pwrite(int fd, const void *buf, size_t len, uint64_t off, int rwf)
{
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	ssize_t n = rwf ? pwritev2(fd, &iov, 1, (off_t)off, rwf) : pwrite(fd, buf, len, (off_t)off);

	return n < 0 ? -errno : n;
}

static int sync_fdatasync(int fd)
{
	return fdatasync(fd) ? -errno : 0;
}

const struct io_engine io_engine_sync = {
	.name = "threads", /* qemu-nbd's --aio=threads: the calling thread does the call */
	.pread = sync_pread,
	.pwrite = sync_pwrite,
	.fdatasync = sync_fdatasync,
};
