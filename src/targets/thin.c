/* thin <pool dev> <dev id> [<external origin dev>]: a volume of a pool.
 *
 * Reads look the block up and read the data device, or give zeroes (or
 * the external origin's data, zeroes past its end) where nothing is
 * mapped.  A write to a mapped block that is not shared goes straight to
 * the data device.  A write to an unmapped or shared block provisions a
 * new block (see thin_pool.h): claimed and allocated under the pool lock,
 * filled without it (zeroes unless skip_block_zeroing; the old block's
 * data for a shared one; the origin's data over an external origin) and
 * overwritten with the request, and only then mapped under the lock
 * again, so a mapping never points at data that was not written first
 * (see thin_pool.c on durability).
 * Discards unmap whole blocks and pass the freed ones down to the data
 * device; partial blocks are ignored, as in the kernel.
 * Reads of mapped blocks (or of unmapped ones, from an external origin)
 * and writes to mapped blocks no snapshot shares may instead be done by
 * the NBD server on its own ring or pipe, where map_blocks says they lie
 * (with io_lock held until map_end).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "targets/thin_pool.h"

#define CHUNK (1u << 20)

struct thin_c {
	struct pool *pool;
	struct dev *pool_dev;
	struct dev *origin; /* NULL: none */
	uint64_t dev_id;
};

static int thin_ctr(struct dm_target *ti, struct arg_set *as)
{
	struct thin_c *tc;
	struct thin_dev_info info;
	const char *ppath;
	int r;

	if (as->argc != 2 && as->argc != 3) {
		ti->error = "Invalid argument count";
		return -EINVAL;
	}
	tc = calloc(1, sizeof(*tc));
	if (!tc)
		return -ENOMEM;
	ppath = arg_shift(as);
	if (arg_u64(as, &tc->dev_id) || tc->dev_id > THIN_MAX_DEV_ID) {
		ti->error = "Invalid device id";
		r = -EINVAL;
		goto bad;
	}
	r = dm_get_device(ti, ppath, &tc->pool_dev);
	if (r)
		goto bad;
	if (as->argc) {
		r = dm_get_device_ro(ti, arg_shift(as), &tc->origin);
		if (r)
			goto bad;
		if (tc->origin == tc->pool_dev) {
			ti->error = "origin dev and pool dev are the same";
			r = -EINVAL;
			goto bad;
		}
	}
	tc->pool = pool_get_from_dev(tc->pool_dev);
	if (!tc->pool) {
		ti->error = "Couldn't get pool mapped device";
		r = -EINVAL;
		goto bad;
	}
	pthread_mutex_lock(&tc->pool->lock);
	r = tc->pool->mode == PM_FAIL ? -EIO : thin_meta_dev_info(tc->pool->tm, tc->dev_id, &info);
	if (!r)
		r = pool_thin_open(tc->pool, tc->dev_id);
	pthread_mutex_unlock(&tc->pool->lock);
	if (r) {
		if (r == -EIO)
			ti->error = "Couldn't open thin device, Pool is in fail mode";
		else if (r == -ENOMEM)
			ti->error = "Couldn't open thin device: out of memory";
		else
			ti->error = "Couldn't open thin internal device";
		pool_put(tc->pool);
		r = r == -EIO || r == -ENOMEM ? r : -EINVAL;
		goto bad;
	}
	ti->private = tc;
	return 0;
bad:
	free(tc);
	return r;
}

static void thin_dtr(struct dm_target *ti)
{
	struct thin_c *tc = ti->private;

	pthread_mutex_lock(&tc->pool->lock);
	pool_thin_close(tc->pool, tc->dev_id);
	pthread_mutex_unlock(&tc->pool->lock);
	pool_put(tc->pool);
	free(tc);
}

/* ---- reads ---- */

/* Unmapped data at byte @pos of the volume: the origin's, zeroes past it. */
static int read_unmapped(struct thin_c *tc, char *buf, size_t n, uint64_t pos)
{
	uint64_t osize = tc->origin ? tc->origin->size : 0;
	size_t from_origin = 0;
	int r;

	if (pos < osize) {
		from_origin = osize - pos < n ? (size_t)(osize - pos) : n;
		r = dev_read(tc->origin, buf, from_origin, pos);
		if (r)
			return r;
	}
	memset(buf + from_origin, 0, n - from_origin);
	return 0;
}

static int thin_read(struct dm_target *ti, void *buf, size_t len, uint64_t off)
{
	struct thin_c *tc = ti->private;
	struct pool *p = tc->pool;
	char *b = buf;
	int r = 0;

	while (len && !r) {
		uint64_t vblock = off / p->block_bytes, boff = off % p->block_bytes;
		size_t n = p->block_bytes - boff < len ? (size_t)(p->block_bytes - boff) : len;
		struct thin_mapping m;

		pthread_rwlock_rdlock(&p->io_lock);
		pthread_mutex_lock(&p->lock);
		r = p->mode == PM_FAIL ? -EIO : thin_meta_lookup(p->tm, tc->dev_id, vblock, &m);
		pthread_mutex_unlock(&p->lock);
		if (!r)
			r = dev_read(p->data_dev, b, n, m.data_block * p->block_bytes + boff);
		else if (r == -ENODATA)
			r = read_unmapped(tc, b, n, off);
		pthread_rwlock_unlock(&p->io_lock);
		b += n;
		off += n;
		len -= n;
	}
	return r;
}

/* ---- reads and writes on the caller's ring or pipe ---- */

/* A read that lies in mapped blocks, consecutive on the data device, is
 * said to be there, for the caller's own ring or pipe (target.h), and
 * one that lies in unmapped blocks within an external origin is said to
 * be on the origin (the base image of a clone); so is
 * a write where none of the blocks is shared (thin_write would write
 * them in place too) and, for a FUA write, the pool has nothing to
 * commit (else the worker's thin_write commits).  The pool's io_lock is
 * held for read until map_end, as thin_read and thin_write hold it
 * across their I/O, so a discard or a message (a snapshot) cannot unmap,
 * share or reuse the blocks under the transfer.  Never waits: a lock
 * that is taken (a discard or message pending, a commit writing) says
 * -ENOTSUP and the request goes the ordinary way. */
static int map_blocks(struct dm_target *ti, uint64_t off, uint64_t len, bool write, bool fua,
		      struct dm_remap *out)
{
	struct thin_c *tc = ti->private;
	struct pool *p = tc->pool;
	uint64_t first = off / p->block_bytes, last = (off + len - 1) / p->block_bytes;
	struct thin_mapping m;
	uint64_t start = 0, mapped = 0, unmapped = 0;
	int r = 0, l;

	if (!len || pthread_rwlock_tryrdlock(&p->io_lock))
		return -ENOTSUP;
	if (pthread_mutex_trylock(&p->lock)) {
		pthread_rwlock_unlock(&p->io_lock);
		return -ENOTSUP;
	}
	if (p->mode == PM_FAIL || (fua && p->dirty))
		r = -ENOTSUP;
	for (uint64_t vb = first; vb <= last && !r; vb++) {
		l = thin_meta_lookup(p->tm, tc->dev_id, vb, &m);
		if (l == -ENODATA && !write && tc->origin && !mapped)
			unmapped++;
		else if (l || (write && m.shared) || unmapped)
			r = -ENOTSUP;
		else if (!mapped++)
			start = m.data_block;
		else if (m.data_block != start + (vb - first))
			r = -ENOTSUP;
	}
	pthread_mutex_unlock(&p->lock);
	if (!r && unmapped && (off > tc->origin->size || len > tc->origin->size - off))
		r = -ENOTSUP; /* past the origin's end: zeroes, the worker's */
	if (r) {
		pthread_rwlock_unlock(&p->io_lock);
		return r;
	}
	out->dev = unmapped ? tc->origin : p->data_dev;
	out->off = unmapped ? off : start * p->block_bytes + off % p->block_bytes;
	out->len = len;
	return 0;
}

static int thin_map_read(struct dm_target *ti, uint64_t off, uint64_t len, struct dm_remap *out)
{
	return map_blocks(ti, off, len, false, false, out);
}

static int thin_map_write(struct dm_target *ti, uint64_t off, uint64_t len, bool fua, struct dm_remap *out)
{
	return map_blocks(ti, off, len, true, fua, out);
}

static void thin_map_end(struct dm_target *ti)
{
	struct thin_c *tc = ti->private;

	pthread_rwlock_unlock(&tc->pool->io_lock);
}

/* ---- writes ---- */

enum fill { FILL_ZERO, FILL_NONE, FILL_OLD, FILL_ORIGIN };

/* Zero [off, off + len) of the data device, leaving it allocated: one
 * write_zeroes (FALLOC_FL_ZERO_RANGE on a file, BLKZEROOUT on a block
 * device), else plain writes of zeroes. */
static int zero_range(struct dev *d, uint64_t off, uint64_t len)
{
	static const char zeroes[64 << 10];
	int r;

	if (!len)
		return 0;
	r = dev_write_zeroes(d, off, len, DEV_NO_HOLE);
	/* Whatever failed there, plain writes either work or report the
	 * error that matters. */
	while (r && len) {
		size_t cl = len < sizeof(zeroes) ? (size_t)len : sizeof(zeroes);

		r = dev_write(d, zeroes, cl, off, 0);
		off += cl;
		len -= cl;
	}
	return r;
}

/* [at, at + len) of the block's source: the old block @old or the origin
 * at the block's volume offset @vpos. */
static int read_source(struct thin_c *tc, enum fill fill, uint64_t old, uint64_t vpos, char *dst,
		       size_t len, uint64_t at)
{
	struct pool *p = tc->pool;

	if (!len)
		return 0;
	if (fill == FILL_OLD)
		return dev_read(p->data_dev, dst, len, old * p->block_bytes + at);
	return read_unmapped(tc, dst, len, vpos + at);
}

/* Copy buffers are kept by the pool once made (at most one per writer
 * copying at once), so copy-on-write does not allocate per write. */
static char *take_buf(struct pool *p, size_t size)
{
	char *b;

	pthread_mutex_lock(&p->lock);
	b = p->copy_bufs;
	if (b)
		p->copy_bufs = *(char **)(void *)b;
	pthread_mutex_unlock(&p->lock);
	return b ? b : malloc(size < sizeof(char *) ? sizeof(char *) : size);
}

static void give_buf(struct pool *p, char *b)
{
	pthread_mutex_lock(&p->lock);
	*(char **)(void *)b = p->copy_bufs;
	p->copy_bufs = b;
	pthread_mutex_unlock(&p->lock);
}

/* Write block @nb of the data device: [boff, boff + n) from @buf, the rest
 * as @fill says (zeroes, the old block @old, or the origin at the block's
 * volume offset @vpos).  No lock held: the block is claimed.  Nothing
 * here is flushed: pool_commit flushes the data device before the mapping
 * is committed. */
static int fill_block(struct thin_c *tc, uint64_t nb, const char *buf, uint64_t boff, size_t n,
		      enum fill fill, uint64_t old, uint64_t vpos)
{
	struct pool *p = tc->pool;
	uint64_t base = nb * p->block_bytes, end = boff + n;
	size_t chunk = p->block_bytes < CHUNK ? (size_t)p->block_bytes : CHUNK;
	int r = 0;

	if (fill == FILL_NONE || (boff == 0 && n == p->block_bytes))
		return dev_write(p->data_dev, buf, n, base + boff, 0);
	if (fill == FILL_ZERO) {
		/* The zeroes first: whatever a file system does with a
		 * partial page of a zeroed range, the data lands after it. */
		r = zero_range(p->data_dev, base, boff);
		if (!r)
			r = zero_range(p->data_dev, base + end, p->block_bytes - end);
		if (!r)
			r = dev_write(p->data_dev, buf, n, base + boff, 0);
		return r;
	}
	/* Copy: read only what lies outside the request, a chunk at a time. */
	char *tmp = take_buf(p, chunk);
	if (!tmp)
		return -ENOMEM;
	for (uint64_t c = 0; c < p->block_bytes && !r; c += chunk) {
		size_t cl = p->block_bytes - c < chunk ? (size_t)(p->block_bytes - c) : chunk;
		uint64_t s = boff > c ? boff : c;
		uint64_t e = end < c + cl ? end : c + cl;

		if (s >= e) { /* no overlap */
			r = read_source(tc, fill, old, vpos, tmp, cl, c);
		} else if (s == c && e == c + cl) { /* all request */
			r = dev_write(p->data_dev, buf + (c - boff), cl, base + c, 0);
			continue;
		} else {
			r = read_source(tc, fill, old, vpos, tmp, s - c, c);
			if (!r)
				r = read_source(tc, fill, old, vpos, tmp + (e - c), c + cl - e, e);
			memcpy(tmp + (s - c), buf + (s - boff), e - s);
		}
		if (!r)
			r = dev_write(p->data_dev, tmp, cl, base + c, 0);
	}
	give_buf(p, tmp);
	return r;
}

/* Write @n bytes at @boff of virtual block @vblock.  Returns 1 when the
 * pool is out of data space (locks dropped; the caller waits). */
static int write_block(struct thin_c *tc, const char *buf, size_t n, uint64_t vblock,
		       uint64_t boff)
{
	struct pool *p = tc->pool;
	struct thin_mapping m;
	struct err e = { { 0 } };
	enum fill fill;
	bool shared;
	uint64_t nb, abort_gen;
	int r;

	pthread_mutex_lock(&p->lock);
	do {
		r = p->mode == PM_FAIL ? -EIO : thin_meta_lookup(p->tm, tc->dev_id, vblock, &m);
		if (!r && !m.shared) {
			pthread_mutex_unlock(&p->lock);
			return dev_write(p->data_dev, buf, n, m.data_block * p->block_bytes + boff, 0);
		}
		if (r && r != -ENODATA)
			goto out;
		shared = r == 0;
		/* 1: another writer is provisioning this block, or a
		 * commit is due; the lock was dropped, look again. */
		r = pool_claim(p, tc->dev_id, vblock);
	} while (r == 1);
	if (r)
		goto out;
	/* From here the claim keeps the block's mapping as looked up, even
	 * where a commit drops the lock: other writers wait for the claim,
	 * and unmapping and snapshots wait for io_lock. */
	r = pool_can_provision(p);
	if (r) {
		pool_release(p, tc->dev_id, vblock, false);
		goto out;
	}
	if (shared)
		fill = FILL_OLD; /* copy on write */
	else if (tc->origin)
		fill = FILL_ORIGIN;
	else if (!p->pf.zero_new_blocks)
		fill = FILL_NONE;
	else
		fill = FILL_ZERO;
	r = pool_alloc_block(p, &nb);
	if (r) {
		pool_release(p, tc->dev_id, vblock, false);
		if (r == -ENOSPC && p->mode == PM_OUT_OF_DATA_SPACE)
			r = 1;
		goto out;
	}
	p->unmapped++;
	abort_gen = p->abort_gen;
	pthread_mutex_unlock(&p->lock);

	r = fill_block(tc, nb, buf, boff, n, fill, m.data_block, vblock * p->block_bytes);

	pthread_mutex_lock(&p->lock);
	if (p->abort_gen != abort_gen) /* the allocation went with the transaction */
		r = p->mode == PM_FAIL ? -EIO : -EROFS;
	else if (r)
		thin_meta_free_data_block(p->tm, nb, &e);
	else if ((r = thin_meta_insert(p->tm, tc->dev_id, vblock, nb, &e)))
		pool_metadata_error(p, r, &e);
	else
		pool_mark_dirty(p);
	pool_release(p, tc->dev_id, vblock, true);
out:
	pthread_mutex_unlock(&p->lock);
	return r;
}

/* Provision whole blocks [vblock, vblock + n) in one pass: one lock round
 * claims and allocates each new block up to the first that cannot go in
 * the batch (mapped and not shared, claimed by another writer, no space),
 * the data goes down in one write per run of consecutive data blocks,
 * and one more lock round maps them all.  A whole-block write needs no
 * zeroing or copy, so nothing but @buf is written.  Returns how many
 * blocks it wrote (0: the caller writes the first block alone), or
 * -errno. */
#define BATCH_MAX 64
static int write_batch(struct thin_c *tc, const char *buf, uint64_t vblock, unsigned n)
{
	struct pool *p = tc->pool;
	struct err e = { { 0 } };
	uint64_t nb[BATCH_MAX], abort_gen;
	unsigned k = 0;
	int r = 0;

	if (n > BATCH_MAX)
		n = BATCH_MAX;
	pthread_mutex_lock(&p->lock);
	if (p->mode != PM_WRITE || pool_can_provision(p))
		n = 0;
	for (; k < n; k++) {
		struct thin_mapping m;
		int l = thin_meta_lookup(p->tm, tc->dev_id, vblock + k, &m);

		if ((l && l != -ENODATA) || (!l && !m.shared) || pool_try_claim(p, tc->dev_id, vblock + k))
			break;
		/* With blocks of ours allocated and unmapped, an allocation
		 * that needs a commit (no free block) would wait for them. */
		if ((k && !thin_meta_data_free(p->tm)) || pool_alloc_block(p, &nb[k])) {
			pool_release(p, tc->dev_id, vblock + k, false);
			break;
		}
		p->unmapped++;
	}
	abort_gen = p->abort_gen;
	pthread_mutex_unlock(&p->lock);

	for (unsigned i = 0, j; i < k && !r; i = j) {
		for (j = i + 1; j < k && nb[j] == nb[j - 1] + 1; j++)
			;
		r = dev_write(p->data_dev, buf + i * p->block_bytes, (j - i) * p->block_bytes,
			      nb[i] * p->block_bytes, 0);
	}

	pthread_mutex_lock(&p->lock);
	for (unsigned i = 0; i < k; i++) {
		int ri = 0;

		if (p->abort_gen != abort_gen)
			ri = p->mode == PM_FAIL ? -EIO : -EROFS;
		else if (r)
			thin_meta_free_data_block(p->tm, nb[i], &e);
		else if ((ri = thin_meta_insert(p->tm, tc->dev_id, vblock + i, nb[i], &e)))
			pool_metadata_error(p, ri, &e);
		else
			pool_mark_dirty(p);
		if (ri && !r)
			r = ri;
		pool_release(p, tc->dev_id, vblock + i, true);
	}
	pthread_mutex_unlock(&p->lock);
	return r ? r : (int)k;
}

static int thin_write(struct dm_target *ti, const void *buf, size_t len, uint64_t off,
		      unsigned flags)
{
	struct thin_c *tc = ti->private;
	struct pool *p = tc->pool;
	struct timespec deadline;
	bool waited = false;
	const char *b = buf;
	int r = 0;

	while (len && !r) {
		uint64_t vblock = off / p->block_bytes, boff = off % p->block_bytes;
		size_t n = p->block_bytes - boff < len ? (size_t)(p->block_bytes - boff) : len;

		pthread_rwlock_rdlock(&p->io_lock);
		if (!boff && len >= 2 * p->block_bytes && !waited &&
		    (r = write_batch(tc, b, vblock, (unsigned)(len / p->block_bytes))) > 0) {
			pthread_rwlock_unlock(&p->io_lock);
			n = (size_t)r * p->block_bytes;
			r = 0;
			b += n;
			off += n;
			len -= n;
			continue;
		}
		if (r < 0) {
			pthread_rwlock_unlock(&p->io_lock);
			break;
		}
		r = write_block(tc, b, n, vblock, boff);
		pthread_rwlock_unlock(&p->io_lock);
		if (r == 1) {
			if (!waited)
				pool_space_deadline(p, &deadline);
			waited = true;
			r = pool_wait_for_space(p, &deadline);
			continue; /* the same block again */
		}
		b += n;
		off += n;
		len -= n;
	}
	if (!r && (flags & DEV_FUA))
		r = pool_commit(p, POOL_FLUSH_ALL);
	return r;
}

static int thin_flush(struct dm_target *ti)
{
	struct thin_c *tc = ti->private;

	return pool_commit(tc->pool, POOL_FLUSH_ALL);
}

/* ---- discards ---- */

#define DISCARD_BATCH 256

static int thin_discard(struct dm_target *ti, uint64_t off, uint64_t len)
{
	struct thin_c *tc = ti->private;
	struct pool *p = tc->pool;
	uint64_t begin = (off + p->block_bytes - 1) / p->block_bytes;
	uint64_t end = (off + len) / p->block_bytes;
	uint64_t freed[DISCARD_BATCH];
	int r = 0;

	if (!p->pf.discard_enabled || begin >= end)
		return 0;
	pthread_rwlock_wrlock(&p->io_lock);
	while (begin < end && !r) {
		uint64_t vb, stop = end, removed;
		struct thin_mapping m;
		struct err e = { { 0 } };
		unsigned nfreed = 0;

		pthread_mutex_lock(&p->lock);
		if (p->mode >= PM_OUT_OF_METADATA_SPACE) {
			r = p->mode == PM_FAIL ? -EIO : -EROFS;
			pthread_mutex_unlock(&p->lock);
			break;
		}
		/* Collect up to a batch of mapped blocks, then unmap them. */
		for (vb = begin; nfreed < DISCARD_BATCH; vb++) {
			r = thin_meta_next_mapping(p->tm, tc->dev_id, vb, &vb, &m);
			if (r || vb >= end) {
				stop = end;
				break;
			}
			freed[nfreed++] = m.data_block;
			stop = vb + 1;
		}
		if (r == -ENODATA)
			r = 0;
		if (!r)
			r = thin_meta_remove_range(p->tm, tc->dev_id, begin, stop, &removed, &e);
		if (r) {
			pool_metadata_error(p, r, &e);
		} else if (removed) {
			p->dirty = true;
		}
		/* Pass down only the blocks nobody else maps any more. */
		unsigned k = 0;
		for (unsigned i = 0; !r && i < nfreed; i++) {
			uint32_t count;
			if (p->pf.discard_passdown && !thin_meta_data_block_count(p->tm, freed[i], &count) &&
			    count == 0)
				freed[k++] = freed[i];
		}
		pthread_mutex_unlock(&p->lock);
		/* Freed blocks are reused only after a commit, and no
		 * provisioning runs while io_lock is held exclusively. */
		for (unsigned i = 0; i < k && !r; i++)
			dev_discard(p->data_dev, freed[i] * p->block_bytes, p->block_bytes);
		begin = stop;
	}
	pthread_rwlock_unlock(&p->io_lock);
	return r;
}

/* ---- extents ---- */

static int report(dev_extent_fn fn, void *opaque, uint64_t off, uint64_t len, uint32_t flags)
{
	return len ? fn(opaque, off, len, flags) : 0;
}

static int report_unmapped(struct thin_c *tc, uint64_t off, uint64_t len, dev_extent_fn fn,
			   void *opaque)
{
	uint64_t osize = tc->origin ? tc->origin->size : 0;
	int r;

	if (off < osize) {
		uint64_t n = osize - off < len ? osize - off : len;
		r = dev_extents(tc->origin, off, n, fn, opaque);
		if (r)
			return r;
		off += n;
		len -= n;
	}
	return report(fn, opaque, off, len, DEV_EXT_HOLE | DEV_EXT_ZERO);
}

static int thin_extents(struct dm_target *ti, uint64_t off, uint64_t len, dev_extent_fn fn,
			void *opaque)
{
	struct thin_c *tc = ti->private;
	struct pool *p = tc->pool;
	uint64_t end = off + len;
	int r = 0;

	while (off < end && !r) {
		uint64_t vb = off / p->block_bytes, found = vb, run_end;
		struct thin_mapping m;

		pthread_mutex_lock(&p->lock);
		r = p->mode == PM_FAIL ? -EIO :
					 thin_meta_next_mapping(p->tm, tc->dev_id, vb, &found, &m);
		/* A run of consecutive mapped blocks is one data extent. */
		run_end = found;
		while (!r && run_end + 1 < (end + p->block_bytes - 1) / p->block_bytes &&
		       !thin_meta_lookup(p->tm, tc->dev_id, run_end + 1, &m))
			run_end++;
		pthread_mutex_unlock(&p->lock);
		if (r == -ENODATA) {
			r = report_unmapped(tc, off, end - off, fn, opaque);
			break;
		}
		if (r)
			break;
		if (found * p->block_bytes > off) {
			uint64_t hole_end = found * p->block_bytes < end ? found * p->block_bytes : end;
			r = report_unmapped(tc, off, hole_end - off, fn, opaque);
			off = hole_end;
			if (r || off >= end)
				break;
		}
		uint64_t data_end = (run_end + 1) * p->block_bytes;
		data_end = data_end < end ? data_end : end;
		r = report(fn, opaque, off, data_end - off, 0);
		off = data_end;
	}
	return r < 0 ? r : 0;
}

/* ---- changed-block tracking ---- */

struct diff_window {
	uint64_t first, end; /* vblocks */
	struct thin_delta_range *r;
	size_t n, cap;
};

static int diff_collect(void *opaque, const struct thin_delta_range *r)
{
	struct diff_window *w = opaque;

	if (r->begin >= w->end)
		return 1;
	if (r->begin + r->len <= w->first)
		return 0;
	if (w->n == w->cap) {
		size_t cap = w->cap ? 2 * w->cap : 64;
		void *p = realloc(w->r, cap * sizeof(*w->r));

		if (!p)
			return -ENOMEM;
		w->r = p;
		w->cap = cap;
	}
	w->r[w->n++] = *r;
	return 0;
}

/* Blocks that differ between two thins of one pool, from the mappings
 * (thin_meta_delta): what a backup since snapshot @other must copy. */
static int thin_diff(struct dm_target *ti, struct dm_target *other, uint64_t off, uint64_t len,
		     dev_extent_fn fn, void *opaque)
{
	struct thin_c *tc = ti->private, *oc = other->private;
	struct pool *p = tc->pool;
	uint64_t end = off + len, bs = p->block_bytes;
	struct diff_window w = { .first = off / bs, .end = (end + bs - 1) / bs };
	int r;

	if (oc->pool != p)
		return -EXDEV;
	if (!len)
		return 0;
	pthread_mutex_lock(&p->lock);
	r = p->mode == PM_FAIL ? -EIO :
				 thin_meta_delta(p->tm, oc->dev_id, tc->dev_id, 0, diff_collect, &w);
	pthread_mutex_unlock(&p->lock);
	for (size_t i = 0; i < w.n && r == 0 && off < end; i++) {
		uint64_t b = w.r[i].begin * bs, e = (w.r[i].begin + w.r[i].len) * bs;

		b = b > off ? b : off;
		e = e < end ? e : end;
		if (b > off)
			r = report(fn, opaque, off, b - off, 0);
		if (r == 0 && e > b)
			r = report(fn, opaque, b, e - b, DM_DIFF_CHANGED);
		off = e > off ? e : off;
	}
	if (r == 0 && off < end)
		r = report(fn, opaque, off, end - off, 0);
	free(w.r);
	return r < 0 ? r : 0;
}

/* ---- status ---- */

static void thin_status(struct dm_target *ti, enum status_type type, char *buf, size_t maxlen)
{
	struct thin_c *tc = ti->private;
	struct pool *p = tc->pool;
	struct thin_dev_info info;
	uint64_t highest = 0;
	int r;

	if (type == STATUSTYPE_TABLE) {
		dm_emit(buf, maxlen, "%s %" PRIu64, dm_device_name(ti, tc->pool_dev), tc->dev_id);
		if (tc->origin)
			dm_emit(buf, maxlen, " %s", dm_device_name(ti, tc->origin));
		return;
	}
	pthread_mutex_lock(&p->lock);
	r = p->mode == PM_FAIL ? -EIO : thin_meta_dev_info(p->tm, tc->dev_id, &info);
	if (!r && info.mapped_blocks)
		r = thin_meta_highest_mapped(p->tm, tc->dev_id, &highest);
	pthread_mutex_unlock(&p->lock);
	if (r) {
		dm_emit(buf, maxlen, "Fail");
		return;
	}
	dm_emit(buf, maxlen, "%" PRIu64 " ", info.mapped_blocks * p->sectors_per_block);
	if (info.mapped_blocks)
		dm_emit(buf, maxlen, "%" PRIu64, (highest + 1) * p->sectors_per_block - 1);
	else
		dm_emit(buf, maxlen, "-");
}

static int thin_iterate_devices(struct dm_target *ti, iterate_devices_fn fn, void *data)
{
	struct thin_c *tc = ti->private;

	return fn(ti, tc->pool->data_dev, 0, tc->pool->data_dev->size, data);
}

const struct target_type thin_target = {
	.name = "thin",
	.version = { 1, 23, 0 },
	.ctr = thin_ctr,
	.dtr = thin_dtr,
	.read = thin_read,
	.map_read = thin_map_read,
	.map_write = thin_map_write,
	.map_end = thin_map_end,
	.write = thin_write,
	.flush = thin_flush,
	.discard = thin_discard,
	.extents = thin_extents,
	.diff = thin_diff,
	.status = thin_status,
	.iterate_devices = thin_iterate_devices,
};
