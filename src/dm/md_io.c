/* The I/O path of a mapped device: its struct dev ops.
 *
 * A request enters through md_enter (waits while the device is suspended,
 * then counts itself in flight against the live table), is split at target
 * boundaries, and each piece goes to the target: its own op if it has one,
 * else through `map` to the lower device, else the core's default (see
 * dm/target.h).  Nothing here knows a target by name.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dm/dm_internal.h"

struct dm_table *md_enter(struct mapped_device *md)
{
	struct dm_table *t;

	pthread_mutex_lock(&md->lock);
	while (md->suspended && !md->dead)
		pthread_cond_wait(&md->cond, &md->lock);
	t = md->dead ? NULL : md->live;
	if (t)
		md->inflight++;
	pthread_mutex_unlock(&md->lock);
	return t;
}

void md_exit(struct mapped_device *md)
{
	pthread_mutex_lock(&md->lock);
	if (--md->inflight == 0)
		pthread_cond_broadcast(&md->cond);
	pthread_mutex_unlock(&md->lock);
}

enum md_op { OP_READ, OP_WRITE, OP_DISCARD, OP_ZEROES, OP_EXTENTS };

struct md_req {
	enum md_op op;
	char *buf;        /* read / write data, advanced as pieces are done */
	unsigned flags;
	dev_extent_fn fn; /* extents */
	void *opaque;
	bool stop;        /* extents: the caller has enough */
};

/* Extents from a lower device, moved back into the mapped device's space. */
struct ext_shift {
	struct md_req *rq;
	uint64_t lower_off; /* where the piece starts on the lower device */
	uint64_t md_off;    /* and in the mapped device */
};

static int shift_extent(void *opaque, uint64_t off, uint64_t len, uint32_t flags)
{
	struct ext_shift *s = opaque;
	int r = s->rq->fn(s->rq->opaque, s->md_off + (off - s->lower_off), len, flags);

	if (r > 0)
		s->rq->stop = true;
	return r;
}

static int lower_io(struct md_req *rq, struct dm_remap *rm, uint64_t md_off)
{
	struct ext_shift sh;

	switch (rq->op) {
	case OP_READ:
		return dev_read(rm->dev, rq->buf, rm->len, rm->off);
	case OP_WRITE:
		return dev_write(rm->dev, rq->buf, rm->len, rm->off, rq->flags);
	case OP_DISCARD:
		return dev_discard(rm->dev, rm->off, rm->len);
	case OP_ZEROES:
		return dev_write_zeroes(rm->dev, rm->off, rm->len, rq->flags);
	case OP_EXTENTS:
		sh = (struct ext_shift){ rq, rm->off, md_off };
		return dev_extents(rm->dev, rm->off, rm->len, shift_extent, &sh);
	}
	return -EINVAL;
}

/* The core's answer for an op the target neither does nor maps. */
static int default_io(struct dm_target *ti, struct md_req *rq, uint64_t off, uint64_t len,
		      uint64_t md_off)
{
	const struct target_type *tt = ti->type;
	int r;

	switch (rq->op) {
	case OP_READ:
	case OP_WRITE:
		return -EIO;
	case OP_DISCARD:
		return 0;
	case OP_ZEROES: {
		size_t chunk = len < (1u << 20) ? (size_t)len : (1u << 20);
		char *zero;

		if (!tt->write)
			return -EIO;
		if (rq->flags & DEV_FAST_ZERO)
			return -ENOTSUP;
		zero = calloc(1, chunk);
		if (!zero)
			return -ENOMEM;
		for (r = 0; len && !r; off += chunk, len -= chunk) {
			chunk = len < chunk ? (size_t)len : chunk;
			r = tt->write(ti, zero, chunk, off, rq->flags & DEV_FUA);
		}
		free(zero);
		return r;
	}
	case OP_EXTENTS:
		r = rq->fn(rq->opaque, md_off, len, 0);
		if (r > 0)
			rq->stop = true;
		return r < 0 ? r : 0;
	}
	return -EINVAL;
}

static int target_io(struct dm_target *ti, struct md_req *rq, uint64_t off, uint64_t len,
		     uint64_t md_off)
{
	const struct target_type *tt = ti->type;
	int r;

	switch (rq->op) {
	case OP_READ:
		if (tt->read)
			return tt->read(ti, rq->buf, len, off);
		break;
	case OP_WRITE:
		if (tt->write)
			return tt->write(ti, rq->buf, len, off, rq->flags);
		break;
	case OP_DISCARD:
		if (tt->discard)
			return tt->discard(ti, off, len);
		break;
	case OP_ZEROES:
		if (tt->write_zeroes)
			return tt->write_zeroes(ti, off, len, rq->flags);
		break;
	case OP_EXTENTS:
		if (tt->extents) {
			struct ext_shift sh = { rq, off, md_off };
			return tt->extents(ti, off, len, shift_extent, &sh);
		}
		break;
	}
	if (!tt->map)
		return default_io(ti, rq, off, len, md_off);
	while (len && !rq->stop) {
		struct dm_remap rm = { 0 };

		r = tt->map(ti, off, len, &rm);
		if (r)
			return r;
		if (!rm.len || rm.len > len)
			return -EIO;
		r = lower_io(rq, &rm, md_off);
		if (r)
			return r;
		if (rq->buf)
			rq->buf += rm.len;
		off += rm.len;
		md_off += rm.len;
		len -= rm.len;
	}
	return 0;
}

static int table_io(struct dm_table *t, struct md_req *rq, uint64_t off, uint64_t len)
{
	uint64_t size = to_bytes(t->sectors);
	int r = 0;

	if (off > size || len > size - off)
		return -ENOSPC; /* the device shrank under the caller */
	while (len && !r && !rq->stop) {
		unsigned i = dm_table_find(t, to_sectors(off));
		struct dm_target *ti = &t->targets[i];
		uint64_t begin = to_bytes(ti->begin);
		uint64_t end = to_bytes(t->ends[i]);
		uint64_t n = end - off < len ? end - off : len;
		char *buf = rq->buf;

		r = target_io(ti, rq, off - begin, n, off);
		if (buf)
			rq->buf = buf + n;
		off += n;
		len -= n;
	}
	return r;
}

/* What each op counts as (md_stats.c), as the kernel's diskstats:
 * write_zeroes is a write; extents are no I/O. */
static const int stat_op[] = {
	[OP_READ] = MD_STAT_READ,	[OP_WRITE] = MD_STAT_WRITE, [OP_DISCARD] = MD_STAT_DISCARD,
	[OP_ZEROES] = MD_STAT_WRITE, [OP_EXTENTS] = -1,
};

static int md_io(struct dev *d, struct md_req *rq, uint64_t off, uint64_t len)
{
	struct mapped_device *md = (struct mapped_device *)d;
	int op = stat_op[rq->op];
	uint64_t start = op >= 0 ? md_stats_start(md) : 0;
	struct dm_table *t = md_enter(md);
	int r;

	if (!t) {
		r = -ENXIO;
	} else {
		r = table_io(t, rq, off, len);
		md_exit(md);
	}
	if (op >= 0)
		md_stats_end(md, (enum md_stat_op)op, len, start, r);
	return r;
}

static int md_read(struct dev *d, void *buf, size_t len, uint64_t off)
{
	struct md_req rq = { .op = OP_READ, .buf = buf };
	return md_io(d, &rq, off, len);
}

static int md_write(struct dev *d, const void *buf, size_t len, uint64_t off, unsigned flags)
{
	struct md_req rq = { .op = OP_WRITE, .buf = (char *)buf, .flags = flags };
	return md_io(d, &rq, off, len);
}

static int md_discard(struct dev *d, uint64_t off, uint64_t len)
{
	struct md_req rq = { .op = OP_DISCARD };
	return md_io(d, &rq, off, len);
}

static int md_write_zeroes(struct dev *d, uint64_t off, uint64_t len, unsigned flags)
{
	struct md_req rq = { .op = OP_ZEROES, .flags = flags };
	return md_io(d, &rq, off, len);
}

static int md_extents(struct dev *d, uint64_t off, uint64_t len, dev_extent_fn fn, void *opaque)
{
	struct md_req rq = { .op = OP_EXTENTS, .fn = fn, .opaque = opaque };
	return md_io(d, &rq, off, len);
}

/* Asynchronous direct I/O (io/dev.h): the piece must lie in one target
 * that only maps (no read or write op of its own) and map whole to one
 * lower device, which must say yes in turn; a target that does its own
 * I/O may still say where (map_read, map_write).  One that holds
 * something until the transfer ends (@held) gets its map_end from
 * md_direct_end, or at once if the lower device says no.  The device
 * counts in flight while it is held, as a request in md_io does, so a
 * suspend waits for the transfer; a suspended device says -EAGAIN
 * instead of waiting (the caller may hold the transfers that the
 * suspend waits for). */
static int table_direct(struct dm_table *t, void *buf, size_t len, uint64_t off, struct dev_direct *io,
			struct dm_target **held)
{
	unsigned i;
	struct dm_target *ti;
	const struct target_type *tt;
	struct dm_remap rm = { 0 };
	uint64_t begin;
	int r;

	if (off > to_bytes(t->sectors) || len > to_bytes(t->sectors) - off)
		return -ENOTSUP; /* the device shrank: md_io says so */
	i = dm_table_find(t, to_sectors(off));
	ti = &t->targets[i];
	tt = ti->type;
	begin = to_bytes(ti->begin);
	if (len > to_bytes(t->ends[i]) - off)
		return -ENOTSUP;
	if (tt->map && !(io->write ? !!tt->write : !!tt->read)) {
		if (tt->map(ti, off - begin, len, &rm))
			return -ENOTSUP;
	} else if (io->write ? !!tt->map_write : !!tt->map_read) {
		if (io->write ? tt->map_write(ti, off - begin, len, io->fua, &rm) :
				tt->map_read(ti, off - begin, len, &rm))
			return -ENOTSUP;
		if (tt->map_end)
			*held = ti;
	} else {
		return -ENOTSUP;
	}
	r = rm.len != len ? -ENOTSUP : dev_direct(rm.dev, buf, len, rm.off, io);
	if (r && *held) {
		tt->map_end(ti);
		*held = NULL;
	}
	return r;
}

static int md_direct(struct dev *d, void *buf, size_t len, uint64_t off, struct dev_direct *io)
{
	struct mapped_device *md = (struct mapped_device *)d;
	unsigned k = io->n;
	struct dm_target *held = NULL;
	struct dev_direct_hold *h;
	struct dm_table *t;
	int r;

	pthread_mutex_lock(&md->lock);
	t = md->suspended || md->dead ? NULL : md->live;
	if (t)
		md->inflight++;
	pthread_mutex_unlock(&md->lock);
	if (!t)
		return -EAGAIN;
	h = dev_direct_push(io, d, 0);
	r = table_direct(t, buf, len, off, io, &held);
	if (r) {
		io->n = k;
		md_exit(md);
		return r;
	}
	h->start = md_stats_start(md);
	h->arg = held;
	return 0;
}

static void md_direct_end(struct dev *d, const struct dev_direct *io, const struct dev_direct_hold *h, int r)
{
	struct mapped_device *md = (struct mapped_device *)d;
	struct dm_target *held = h->arg;

	/* the target's hold first: the table stays while md counts the read */
	if (held)
		held->type->map_end(held);
	md_exit(md);
	if (r == DEV_DIRECT_CANCELED)
		md_stats_cancel(md);
	else
		md_stats_end(md, io->write ? MD_STAT_WRITE : MD_STAT_READ, io->len, h->start, r);
}

struct flush_seen {
	struct dev **devs;
	unsigned n;
	int r;
};

static int flush_one(struct dm_target *ti, struct dev *dev, uint64_t start, uint64_t len,
		     void *data)
{
	struct flush_seen *fs = data;
	int r;

	(void)ti;
	(void)start;
	(void)len;
	for (unsigned i = 0; i < fs->n; i++)
		if (fs->devs[i] == dev)
			return 0;
	fs->devs[fs->n++] = dev;
	r = dev_flush(dev);
	if (r && !fs->r)
		fs->r = r;
	return 0;
}

int dm_table_flush(struct dm_table *t)
{
	struct dev *seen[64];
	struct flush_seen fs = { .devs = t->ndevs <= 64 ? seen : calloc(t->ndevs, sizeof(*seen)) };

	if (!fs.devs)
		return -ENOMEM;
	for (unsigned i = 0; i < t->ntargets; i++) {
		struct dm_target *ti = &t->targets[i];
		int r = 0;

		if (ti->type->flush)
			r = ti->type->flush(ti);
		else if (ti->type->iterate_devices)
			ti->type->iterate_devices(ti, flush_one, &fs);
		if (r && !fs.r)
			fs.r = r;
	}
	if (fs.devs != seen)
		free(fs.devs);
	return fs.r;
}

static int md_flush(struct dev *d)
{
	struct mapped_device *md = (struct mapped_device *)d;
	uint64_t start = md_stats_start(md);
	struct dm_table *t = md_enter(md);
	int r;

	if (!t) {
		r = -ENXIO;
	} else {
		r = dm_table_flush(t);
		md_exit(md);
	}
	md_stats_end(md, MD_STAT_FLUSH, 0, start, r);
	return r;
}

static void md_destroy(struct dev *d)
{
	struct mapped_device *md = (struct mapped_device *)d;

	/* Tables were taken down by dm_remove; this is the last reference. */
	pthread_mutex_destroy(&md->lock);
	pthread_cond_destroy(&md->cond);
	free(md);
}

const struct dev_ops md_dev_ops = {
	.read = md_read,
	.write = md_write,
	.flush = md_flush,
	.discard = md_discard,
	.write_zeroes = md_write_zeroes,
	.extents = md_extents,
	.direct = md_direct,
	.direct_end = md_direct_end,
	.destroy = md_destroy,
};
