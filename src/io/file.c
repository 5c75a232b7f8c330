/* struct dev over a regular file or a block device.
 *
 * Reads and writes go through an I/O engine (engine.h: pread/pwrite on
 * the calling thread, or io_uring), on the NBD server's threads.  FUA is
 * a write with RWF_DSYNC, which syncs just that range's data; flush is
 * fdatasync.  Holes are the file system's: discard punches them, extents
 * finds them with SEEK_DATA/SEEK_HOLE.  Block devices use BLKDISCARD and
 * BLKZEROOUT instead.
 *
 * DEV_OPEN_DIRECT opens with O_DIRECT (qemu-nbd's --cache=none: no second
 * copy in the page cache).  O_DIRECT wants the offset, the length and the
 * buffer aligned to the device's logical block (4096 for a file, which
 * fits every file system); a request that is not goes through an aligned
 * bounce buffer, and an unaligned write reads the partial blocks at its
 * edges first (read-modify-write).  Such a write holds f->rmw exclusively,
 * every other write shares it, so no write lands between the read and the
 * write back of an edge block.  Flush and FUA are the same in both modes:
 * O_DIRECT leaves the data in the device's volatile cache.
 */
#include "io/dev.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "io/engine.h"

struct file_dev {
	struct dev dev;
	int fd;
	bool is_blk;
	const struct io_engine *eng;
	uint32_t align;		/* O_DIRECT's alignment; 0: buffered */
	pthread_rwlock_t rmw;	/* with align: unaligned writes exclusive */
};

static struct file_dev *to_file(struct dev *d) { return (struct file_dev *)d; }

static int raw_read(struct file_dev *f, void *buf, size_t len, uint64_t off)
{
	char *p = buf;

	while (len) {
		ssize_t n = f->eng->pread(f->fd, p, len, off);

		if (n == -EINTR)
			continue;
		if (n < 0)
			return (int)n;
		if (n == 0) { /* past the end of a file that shrank: zeroes */
			memset(p, 0, len);
			return 0;
		}
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

static int raw_write(struct file_dev *f, const void *buf, size_t len, uint64_t off, unsigned flags)
{
	const char *p = buf;

	while (len) {
		ssize_t n = f->eng->pwrite(f->fd, p, len, off, flags & DEV_FUA ? RWF_DSYNC : 0);

		if (n == -EOPNOTSUPP && (flags & DEV_FUA)) { /* no RWF_DSYNC here: write, then sync */
			int r = raw_write(f, p, len, off, 0);

			return r ? r : f->eng->fdatasync(f->fd);
		}
		if (n == -EINTR)
			continue;
		if (n < 0)
			return (int)n;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

static bool aligned(const struct file_dev *f, const void *buf, size_t len, uint64_t off)
{
	return !f->align || !((off | len | (uintptr_t)buf) & (f->align - 1));
}

/* The aligned range around [off, off + len), and a buffer for it. */
static int bounce(const struct file_dev *f, size_t len, uint64_t off, uint64_t *a0, size_t *alen, char **b)
{
	uint64_t end = off + len;

	*a0 = off & ~(uint64_t)(f->align - 1);
	*alen = (size_t)(((end + f->align - 1) & ~(uint64_t)(f->align - 1)) - *a0);
	return posix_memalign((void **)b, f->align, *alen) ? -ENOMEM : 0;
}

static int file_read(struct dev *d, void *buf, size_t len, uint64_t off)
{
	struct file_dev *f = to_file(d);
	uint64_t a0;
	size_t alen;
	char *b;
	int r;

	if (aligned(f, buf, len, off))
		return raw_read(f, buf, len, off);
	if ((r = bounce(f, len, off, &a0, &alen, &b)))
		return r;
	if (!(r = raw_read(f, b, alen, a0)))
		memcpy(buf, b + (off - a0), len);
	free(b);
	return r;
}

static int file_write(struct dev *d, const void *buf, size_t len, uint64_t off, unsigned flags)
{
	struct file_dev *f = to_file(d);
	uint64_t a0;
	size_t alen;
	bool edges, head, tail;
	char *b;
	int r;

	if (!f->align)
		return raw_write(f, buf, len, off, flags);
	edges = (off | len) & (f->align - 1);
	if (edges)
		pthread_rwlock_wrlock(&f->rmw);
	else
		pthread_rwlock_rdlock(&f->rmw);
	if (aligned(f, buf, len, off)) {
		r = raw_write(f, buf, len, off, flags);
		goto out;
	}
	if ((r = bounce(f, len, off, &a0, &alen, &b)))
		goto out;
	/* the partial blocks at the edges keep their other bytes */
	head = off != a0;
	tail = (off + len) % f->align != 0;
	if (head || (tail && alen == f->align))
		r = raw_read(f, b, f->align, a0);
	if (!r && tail && alen > f->align)
		r = raw_read(f, b + alen - f->align, f->align, a0 + alen - f->align);
	if (!r) {
		memcpy(b + (off - a0), buf, len);
		r = raw_write(f, b, alen, a0, flags);
	}
	free(b);
out:
	pthread_rwlock_unlock(&f->rmw);
	return r;
}

static int file_flush(struct dev *d)
{
	struct file_dev *f = to_file(d);

	return f->eng->fdatasync(f->fd);
}

static int punch(struct file_dev *f, uint64_t off, uint64_t len)
{
	if (f->is_blk) {
		uint64_t range[2] = { off, len };
		return ioctl(f->fd, BLKDISCARD, range) ? -errno : 0;
	}
	if (fallocate(f->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len))
		return -errno;
	return 0;
}

static int file_discard(struct dev *d, uint64_t off, uint64_t len)
{
	int r = punch(to_file(d), off, len);

	/* A discard is advisory: a file system that cannot punch loses nothing. */
	return r == -EOPNOTSUPP || r == -ENOTTY ? 0 : r;
}

static int file_write_zeroes(struct dev *d, uint64_t off, uint64_t len, unsigned flags)
{
	struct file_dev *f = to_file(d);
	int r;

	if (f->is_blk) {
		uint64_t range[2] = { off, len };
		r = ioctl(f->fd, BLKZEROOUT, range) ? -errno : 0;
	} else if (flags & DEV_NO_HOLE) {
		r = fallocate(f->fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, (off_t)off,
			      (off_t)len) ? -errno : 0;
	} else {
		r = punch(f, off, len);
	}
	if (r == -EOPNOTSUPP || r == -ENOTTY || r == -EINVAL) {
		if (flags & DEV_FAST_ZERO)
			return -ENOTSUP;
		r = dev_write_zero_buffers(d, off, len, flags);
	} else if (!r && (flags & DEV_FUA)) {
		r = file_flush(d);
	}
	return r;
}

static int file_extents(struct dev *d, uint64_t off, uint64_t len, dev_extent_fn fn, void *opaque)
{
	struct file_dev *f = to_file(d);
	uint64_t end = off + len;

	if (f->is_blk)
		return fn(opaque, off, len, 0) < 0 ? -EIO : 0;
	while (off < end) {
		off_t data = lseek(f->fd, (off_t)off, SEEK_DATA);
		uint64_t next;
		uint32_t flags;
		int r;

		if (data < 0 && errno != ENXIO)
			return fn(opaque, off, end - off, 0) < 0 ? -EIO : 0;
		if (data < 0 || (uint64_t)data >= end) { /* hole to the end */
			next = end;
			flags = DEV_EXT_HOLE | DEV_EXT_ZERO;
		} else if ((uint64_t)data > off) {
			next = (uint64_t)data;
			flags = DEV_EXT_HOLE | DEV_EXT_ZERO;
		} else {
			off_t hole = lseek(f->fd, (off_t)off, SEEK_HOLE);
			next = hole < 0 || (uint64_t)hole > end ? end : (uint64_t)hole;
			flags = 0;
		}
		r = fn(opaque, off, next - off, flags);
		if (r)
			return r < 0 ? r : 0;
		off = next;
	}
	return 0;
}

static int file_size(int fd, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (S_ISREG(st.st_mode)) {
		*size = (uint64_t)st.st_size;
		return 0;
	}
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, size) ? -errno : 0;
	return -ENOTBLK;
}

static int file_refresh(struct dev *d)
{
	uint64_t size;
	int r = file_size(to_file(d)->fd, &size);

	if (!r)
		d->size = size;
	return r;
}

/* Clean cached pages of the range go; a page another process's O_DIRECT
 * write could not invalidate (it was being read at the time) with them. */
static void file_drop_cache(struct dev *d, uint64_t off, uint64_t len)
{
	struct file_dev *f = to_file(d);

	if (!f->align)
		(void)posix_fadvise(f->fd, (off_t)off, (off_t)len, POSIX_FADV_DONTNEED);
}

/* An aligned transfer on an O_DIRECT file goes to the caller's ring; a
 * write holds its share of f->rmw until it ends, so an unaligned write's
 * read-modify-write never straddles it (try only: the caller must not
 * block).  On a buffered file, reads go too (the kernel reads missing
 * pages asynchronously, without a thread each: cold random reads), but
 * not writes: io_uring hands buffered writes to its own worker threads,
 * slower than a pwrite (the io_uring engine's numbers in
 * docs/PERFORMANCE.md). */
static int file_direct(struct dev *d, void *buf, size_t len, uint64_t off, struct dev_direct *io)
{
	struct file_dev *f = to_file(d);
	bool lock = f->align && io->write;

	if (io->splice ? f->align != 0 : f->align ? !aligned(f, buf, len, off) : io->write)
		return -ENOTSUP;
	if (lock && pthread_rwlock_tryrdlock(&f->rmw))
		return -EAGAIN;
	io->fd = f->fd;
	io->off = off;
	dev_direct_push(io, d, lock);
	return 0;
}

static void file_direct_end(struct dev *d, const struct dev_direct *io, const struct dev_direct_hold *h,
			    int r)
{
	(void)io;
	(void)r;
	if (h->start) /* locked */
		pthread_rwlock_unlock(&to_file(d)->rmw);
}

static void file_destroy(struct dev *d)
{
	struct file_dev *f = to_file(d);

	close(f->fd);
	pthread_rwlock_destroy(&f->rmw);
	free(f);
}

static const struct dev_ops file_ops = {
	.read = file_read,
	.write = file_write,
	.flush = file_flush,
	.discard = file_discard,
	.write_zeroes = file_write_zeroes,
	.extents = file_extents,
	.refresh = file_refresh,
	.drop_cache = file_drop_cache,
	.direct = file_direct,
	.direct_end = file_direct_end,
	.destroy = file_destroy,
};

int dev_claim_open(const struct dev *d)
{
	int fd;

	if (d->ops != &file_ops)
		return -ENOTSUP;
	fd = open(d->name, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int dev_claim_range(int fd, uint64_t off, uint64_t len)
{
	struct flock fl = { .l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = (off_t)off, .l_len = (off_t)len };

	return fcntl(fd, F_OFD_SETLK, &fl) ? -errno : 0;
}

int dev_path_claimed(const char *path, uint64_t off, uint64_t len)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = (off_t)off, .l_len = (off_t)len };
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = fcntl(fd, F_OFD_GETLK, &fl) ? -errno : fl.l_type != F_UNLCK;
	close(fd);
	return r;
}

int dev_open_file(const char *path, unsigned flags, struct dev **out)
{
	return dev_open_file_with(path, flags, &io_engine_sync, out);
}

int dev_open_file_with(const char *path, unsigned flags, const struct io_engine *eng, struct dev **out)
{
	int oflags = O_CLOEXEC | (flags & DEV_OPEN_DIRECT ? O_DIRECT : 0);
	struct file_dev *f;
	struct stat st;
	bool ro = flags & DEV_OPEN_RDONLY;
	uint64_t size;
	int fd, r;

	fd = open(path, (ro ? O_RDONLY : O_RDWR) | oflags);
	if (fd < 0 && !ro && (errno == EROFS || errno == EACCES || errno == EPERM)) {
		ro = true;
		fd = open(path, O_RDONLY | oflags);
	}
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		r = -errno;
		goto fail;
	}
	if ((r = file_size(fd, &size)))
		goto fail;
	f = calloc(1, sizeof(*f));
	if (!f) {
		r = -ENOMEM;
		goto fail;
	}
	f->fd = fd;
	f->is_blk = S_ISBLK(st.st_mode);
	f->eng = eng;
	pthread_rwlock_init(&f->rmw, NULL);
	dev_init(&f->dev, &file_ops, path, size);
	f->dev.read_only = ro;
	f->dev.can_discard = true;
	if (f->is_blk) {
		int bs;
		if (!ioctl(fd, BLKSSZGET, &bs) && bs > 0)
			f->dev.block_size = (uint32_t)bs;
	}
	if (flags & DEV_OPEN_DIRECT)
		f->align = f->is_blk && f->dev.block_size > 4096 ? f->dev.block_size : 4096;
	*out = &f->dev;
	return 0;
fail:
	close(fd);
	return r;
}
