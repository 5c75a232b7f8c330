/* The dev_*() wrappers: range and read-only checks once, and emulation of
 * the ops a backend leaves NULL. */
#include "io/dev.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define ZERO_CHUNK (1u << 20)

void dev_init(struct dev *d, const struct dev_ops *ops, const char *name, uint64_t size)
{
	d->ops = ops;
	d->name = name ? strdup(name) : NULL;
	d->size = size;
	d->block_size = 512;
	d->read_only = false;
	d->can_discard = false;
	atomic_init(&d->refs, 1);
}

struct dev *dev_get(struct dev *d)
{
	atomic_fetch_add(&d->refs, 1);
	return d;
}

void dev_put(struct dev *d)
{
	if (!d || atomic_fetch_sub(&d->refs, 1) != 1)
		return;
	free(d->name);
	d->name = NULL;
	d->ops->destroy(d);
}

static int check_range(struct dev *d, uint64_t off, uint64_t len)
{
	uint64_t size = d->size;

	if (off > size || len > size - off)
		return -ENOSPC;
	return 0;
}

static int check_write(struct dev *d, uint64_t off, uint64_t len)
{
	if (d->read_only)
		return -EROFS;
	return check_range(d, off, len);
}

int dev_read(struct dev *d, void *buf, size_t len, uint64_t off)
{
	int r = check_range(d, off, len);

	if (r || !len)
		return r;
	return d->ops->read(d, buf, len, off);
}

int dev_write(struct dev *d, const void *buf, size_t len, uint64_t off, unsigned flags)
{
	int r = check_write(d, off, len);

	if (r || !len)
		return r ? r : (flags & DEV_FUA ? dev_flush(d) : 0);
	return d->ops->write(d, buf, len, off, flags);
}

int dev_direct(struct dev *d, void *buf, size_t len, uint64_t off, struct dev_direct *io)
{
	int r = io->write ? check_write(d, off, len) : check_range(d, off, len);

	if (r)
		return r;
	if (!len || !d->ops->direct || io->n >= DEV_DIRECT_DEPTH)
		return -ENOTSUP;
	return d->ops->direct(d, buf, len, off, io);
}

int dev_direct_begin(struct dev *d, void *buf, size_t len, uint64_t off, unsigned how,
		     struct dev_direct *io)
{
	io->n = 0;
	io->len = len;
	io->write = how & DEV_DIRECT_WRITE;
	io->splice = how & DEV_DIRECT_SPLICE;
	io->fua = how & DEV_DIRECT_FUA;
	return dev_direct(d, buf, len, off, io);
}

struct dev_direct_hold *dev_direct_push(struct dev_direct *io, struct dev *d, uint64_t start)
{
	struct dev_direct_hold *h = &io->hold[io->n++];

	h->dev = d;
	h->start = start;
	h->arg = NULL;
	return h;
}

void dev_direct_cancel(struct dev_direct *io)
{
	dev_direct_end(io, DEV_DIRECT_CANCELED);
}

void dev_direct_end(struct dev_direct *io, int r)
{
	while (io->n) {
		const struct dev_direct_hold *h = &io->hold[--io->n];

		h->dev->ops->direct_end(h->dev, io, h, r);
	}
}

int dev_flush(struct dev *d)
{
	if (!d->ops->flush)
		return 0;
	return d->ops->flush(d);
}

int dev_refresh(struct dev *d)
{
	return d->ops->refresh ? d->ops->refresh(d) : 0;
}

void dev_drop_cache(struct dev *d, uint64_t off, uint64_t len)
{
	if (d->ops->drop_cache)
		d->ops->drop_cache(d, off, len);
}

int dev_discard(struct dev *d, uint64_t off, uint64_t len)
{
	int r = check_write(d, off, len);

	if (r || !len || !d->ops->discard)
		return r;
	return d->ops->discard(d, off, len);
}

/* Write zero buffers: the fallback for every write_zeroes. */
int dev_write_zero_buffers(struct dev *d, uint64_t off, uint64_t len, unsigned flags)
{
	size_t chunk = len < ZERO_CHUNK ? (size_t)len : ZERO_CHUNK;
	void *zero;
	int r = 0;

	zero = calloc(1, chunk ? chunk : 1);
	if (!zero)
		return -ENOMEM;
	while (len && !r) {
		size_t n = len < chunk ? (size_t)len : chunk;
		r = d->ops->write(d, zero, n, off, len == n ? flags & DEV_FUA : 0);
		off += n;
		len -= n;
	}
	free(zero);
	return r;
}

int dev_write_zeroes(struct dev *d, uint64_t off, uint64_t len, unsigned flags)
{
	int r = check_write(d, off, len);

	if (r || !len)
		return r;
	if (d->ops->write_zeroes)
		return d->ops->write_zeroes(d, off, len, flags);
	if (flags & DEV_FAST_ZERO)
		return -ENOTSUP;
	return dev_write_zero_buffers(d, off, len, flags);
}

int dev_extents(struct dev *d, uint64_t off, uint64_t len, dev_extent_fn fn, void *opaque)
{
	int r = check_range(d, off, len);

	if (r || !len)
		return r;
	if (!d->ops->extents) {
		r = fn(opaque, off, len, 0);
		return r < 0 ? r : 0;
	}
	return d->ops->extents(d, off, len, fn, opaque);
}
