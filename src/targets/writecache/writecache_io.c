/* Client I/O of the writecache target (the kernel's writecache_map and its
 * helpers), one request on one worker thread, top to bottom.
 *
 * A request is cut into runs of whole blocks that go to one place: the
 * cache (blocks already mapped, overwritten in place, or blocks newly
 * mapped to consecutive free cache blocks) or the origin.  The kernel sees
 * only whole blocks (its io_hints make the block size the logical block
 * size); NBD clients send any byte range, so a part of a block is written
 * by read-merge-write of its cached copy under the block's stripe lock, or
 * straight to the origin when the block is not cached.
 *
 * Writes that continue a sequential stream past sequential_cutoff bytes
 * (ulvm's, as bcache's) go to the origin.  A cached copy of such a block
 * is claimed (WIP: no writeback, no overwrite in place), the data written
 * and the origin flushed, and only then is the copy unmapped and the
 * unmapping committed: a crash in between finds the old copy, never the
 * origin's stale data.  A block whose copy is in writeback goes to the
 * cache instead, so writeback cannot land on the origin after us.
 */
#include <errno.h>
#include <string.h>

#include "targets/writecache/writecache.h"
#include "targets/writecache/writecache_format.h"

#define RUN_MAX 256u /* blocks per run, the kernel's BIO_MAX_VECS */

/* Does a write at @off of @len continue a sequential stream longer than
 * the cutoff?  As bcache's: a stream goes on with a write that starts
 * exactly where it ended (of several, the one used last).  Requests a
 * client sends in parallel that arrive out of order split a stream in
 * two; each goes on growing, and crosses the cutoff a little later. */
static bool sequential(struct wc *wc, uint64_t off, uint64_t len)
{
	struct wc_stream *s = NULL, *lru = &wc->streams[0];

	if (!wc->seq_cutoff)
		return false;
	wc->stream_clock++;
	for (unsigned i = 0; i < WC_STREAMS; i++) {
		struct wc_stream *t = &wc->streams[i];

		if (t->bytes && t->end == off && (!s || t->used > s->used))
			s = t;
		if ((t->bytes ? t->used : 0) < (lru->bytes ? lru->used : 0))
			lru = t; /* the least recently used, or an unused one */
	}
	if (!s) {
		s = lru;
		*s = (struct wc_stream){ off, 0, 0 };
	}
	s->end = off + len;
	s->bytes += len;
	s->used = wc->stream_clock;
	return s->bytes > wc->seq_cutoff;
}

int wc_read(struct dm_target *ti, void *buf, size_t len, uint64_t off)
{
	struct wc *wc = ti->private;
	uint8_t *p = buf;
	int r = 0;

	while (len && !r) {
		uint64_t blk = wc_block_of(wc, off), in = off & (wc->block_size - 1), k = 1, pos;
		uint64_t nblk = (in + len + wc->block_size - 1) >> wc->block_shift;
		struct dev *src = wc->origin;
		uint32_t i;
		size_t n;

		if (nblk > RUN_MAX)
			nblk = RUN_MAX;
		pthread_mutex_lock(&wc->lock);
		i = wc_find(wc, blk, NULL, NULL);
		if (i != WC_NIL) {
			bool waited = false;

			for (;; k++) {
				/* a block mapped but not committed may still have its
				 * data on the way: wait for the writes in flight */
				if (!waited && !wc_committed(wc, (uint32_t)(i + k - 1))) {
					wc_wait_ios(wc, WC_WRITE);
					waited = true;
				}
				if (k == nblk || wc_find(wc, blk + k, NULL, NULL) != (uint64_t)i + k)
					break;
			}
			src = wc->cache;
			pos = wc_data_off(wc, i) + in;
			atomic_fetch_add(&wc->inflight[WC_READ], 1);
			wc->stats.read_hits += k;
		} else {
			while (k < nblk && wc_find(wc, blk + k, NULL, NULL) == WC_NIL)
				k++;
			pos = off;
		}
		wc->stats.reads += k;
		pthread_mutex_unlock(&wc->lock);
		n = (k << wc->block_shift) - in < len ? (size_t)((k << wc->block_shift) - in) : len;
		r = dev_read(src, p, n, pos);
		if (src == wc->cache)
			wc_io_end(wc, WC_READ);
		p += n;
		off += n;
		len -= n;
	}
	return r;
}

/* Entries claimed by a bypassing write: freed once the origin has the
 * data, or put back if it failed. */
struct claims {
	uint32_t i[RUN_MAX * 2];
	unsigned n;
	bool committed; /* one of them was committed: the origin must be flushed first */
};

static void claim(struct wc *wc, uint64_t blk, struct claims *c)
{
	uint32_t i;

	while (c->n < RUN_MAX * 2 && (i = wc_find_idle(wc, blk)) != WC_NIL) {
		wc_lru_del(wc, i);
		wc->e[i].flags |= WCE_WIP;
		c->committed |= wc_committed(wc, i);
		c->i[c->n++] = i;
	}
}

/* Blocks from @blk that may go to the origin: not mapped, or (@bypass)
 * mapped with no copy in writeback.  The first is known to qualify. */
static uint64_t origin_run(struct wc *wc, uint64_t blk, uint64_t nblk, bool bypass, struct claims *c)
{
	uint64_t k = 0;

	for (; k < nblk; k++) {
		unsigned n;
		bool wip;

		if (wc_find(wc, blk + k, &n, &wip) != WC_NIL) {
			if (!bypass || wip || c->n + n > RUN_MAX * 2)
				break;
			claim(wc, blk + k, c);
		}
	}
	return k;
}

/* The blocks after @i (mapped to @blk) that follow it both on the origin
 * and in the cache and may be overwritten in place. */
static uint64_t in_place_run(struct wc *wc, uint32_t i, uint64_t blk, uint64_t nblk)
{
	uint64_t k = 1;

	for (; k < nblk; k++) {
		uint32_t j = wc_find(wc, blk + k, NULL, NULL);

		if ((uint64_t)j != (uint64_t)i + k || wc->e[j].flags & WCE_WIP)
			break;
		if (wc_committed(wc, j)) {
			wc->overwrote_committed = true;
			wc->stats.write_hits_committed++;
		} else {
			wc->stats.write_hits_uncommitted++;
		}
	}
	return k;
}

/* Map blocks after @f (just mapped to @blk) to the cache blocks after it,
 * while they are free and the origin blocks are not cached. */
static uint64_t alloc_run(struct wc *wc, uint32_t f, uint64_t blk, uint64_t nblk)
{
	uint64_t k = 1;

	for (; k < nblk && f + k < wc->n_blocks && !wc->cleaner && !wc->metadata_only; k++) {
		if (wc_find(wc, blk + k, NULL, NULL) != WC_NIL || wc_pop_free(wc, (uint32_t)(f + k)) == WC_NIL)
			break;
		wc_map(wc, (uint32_t)(f + k), blk + k);
	}
	return k;
}

static void schedule_autocommit(struct wc *wc, uint64_t mapped)
{
	wc->uncommitted_blocks += mapped;
	wc->stats.writes_allocate += mapped;
	if (wc->uncommitted_blocks >= wc->autocommit_blocks) {
		wc->commit_req = true;
		pthread_cond_broadcast(&wc->cond);
	} else if (!wc->commit_deadline) {
		wc->commit_deadline = clock_ms() + wc->autocommit_ms;
		pthread_cond_broadcast(&wc->cond);
	}
}

static int origin_write(struct wc *wc, const uint8_t *data, uint64_t len, uint64_t off, unsigned flags)
{
	int r;

	atomic_fetch_add(&wc->origin_inflight, 1);
	r = dev_write(wc->origin, data, (size_t)len, off, flags & DEV_FUA);
	/* before the reply: a flush that comes after it sees the flag */
	atomic_store(&wc->origin_dirty, true);
	atomic_store(&wc->origin_idle_since, clock_ms());
	atomic_fetch_sub(&wc->origin_inflight, 1);
	return r;
}

/* After a bypassing write: unmap what it claimed (the data is on the
 * origin), or give the claims back if it failed. */
static int release_claims(struct wc *wc, struct claims *c, int r)
{
	if (!r && c->committed)
		r = dev_flush(wc->origin);
	pthread_mutex_lock(&wc->lock);
	if (!r) {
		wc_wait_ios(wc, WC_READ);
		wc_wait_ios(wc, WC_WRITE);
	}
	for (unsigned k = 0; k < c->n; k++) {
		uint32_t i = c->i[k];

		wc->e[i].flags &= (uint8_t)~WCE_WIP;
		if (r) {
			wc_lru_add_tail(wc, i);
			continue;
		}
		if (!wc_committed(wc, i) && wc->uncommitted_blocks)
			wc->uncommitted_blocks--;
		wc_free_entry(wc, i);
	}
	if (!r)
		wc_commit_flushed(wc, false);
	pthread_cond_broadcast(&wc->free_cond); /* writes waiting for these blocks */
	if (wc->error && !r)
		r = -EIO;
	pthread_mutex_unlock(&wc->lock);
	return r;
}

/* Write the first run of whole blocks of [@blk, @blk + @nblk): the number
 * of blocks written, or -errno. */
static int64_t write_run(struct wc *wc, uint64_t blk, uint64_t nblk, const uint8_t *data, unsigned flags, bool bypass)
{
	struct claims c = { .n = 0 };
	uint32_t i, target = WC_NIL;
	uint64_t k;
	unsigned n;
	bool wip;
	int r;

	pthread_mutex_lock(&wc->lock);
	for (;;) {
		if (wc->error) {
			pthread_mutex_unlock(&wc->lock);
			return -EIO;
		}
		i = wc_find(wc, blk, &n, &wip);
		if (i != WC_NIL && !(bypass && !wip) && !(wc->e[i].flags & WCE_WIP)) {
			/* overwrite in place, as the kernel does an uncommitted
			 * block, and a committed one not in writeback */
			if (wc_committed(wc, i)) {
				wc->overwrote_committed = true;
				wc->stats.write_hits_committed++;
			} else {
				wc->stats.write_hits_uncommitted++;
			}
			k = bypass ? 1 : in_place_run(wc, i, blk, nblk);
			target = i;
			schedule_autocommit(wc, 0);
			break;
		}
		if ((i == WC_NIL && (bypass || wc->cleaner || wc->metadata_only)) || (i != WC_NIL && bypass && !wip)) {
			k = origin_run(wc, blk, nblk, bypass, &c);
			break;
		}
		if ((target = wc_pop_free(wc, WC_NIL)) != WC_NIL) {
			wc_map(wc, target, blk);
			k = alloc_run(wc, target, blk, nblk);
			schedule_autocommit(wc, k);
			break;
		}
		if (i == WC_NIL) { /* the cache is full: around it, as the kernel */
			k = origin_run(wc, blk, nblk, false, &c);
			break;
		}
		/* the block's copy is in writeback and nothing is free */
		wc->stats.writes_blocked_on_freelist++;
		pthread_cond_wait(&wc->free_cond, &wc->lock);
	}
	wc->stats.writes += k;
	if (target != WC_NIL) {
		atomic_fetch_add(&wc->inflight[WC_WRITE], 1);
		pthread_mutex_unlock(&wc->lock);
		r = dev_write(wc->cache, data, (size_t)(k << wc->block_shift), wc_data_off(wc, target), 0);
		wc_io_end(wc, WC_WRITE);
		return r ? r : (int64_t)k;
	}
	wc->stats.writes_around += k;
	pthread_mutex_unlock(&wc->lock);
	r = origin_write(wc, data, k << wc->block_shift, blk << wc->block_shift, flags);
	if (c.n)
		r = release_claims(wc, &c, r);
	return r ? r : (int64_t)k;
}

/* @n bytes at byte @in of block @blk. */
static int write_partial(struct wc *wc, uint64_t blk, size_t in, size_t n, const uint8_t *data, unsigned flags)
{
	pthread_mutex_t *sl = &wc->stripe[blk % WC_STRIPES];
	_Alignas(4096) uint8_t tmp[WCF_MAX_BLOCK];
	uint32_t i;
	int64_t k;
	int r;

	pthread_mutex_lock(sl);
	pthread_mutex_lock(&wc->lock);
	if (wc->error) {
		pthread_mutex_unlock(&wc->lock);
		pthread_mutex_unlock(sl);
		return -EIO;
	}
	i = wc_find(wc, blk, NULL, NULL);
	if (i == WC_NIL) { /* not cached: the bytes go to the origin */
		wc->stats.writes++;
		wc->stats.writes_around++;
		pthread_mutex_unlock(&wc->lock);
		r = origin_write(wc, data, n, (blk << wc->block_shift) + in, flags);
		pthread_mutex_unlock(sl);
		return r;
	}
	if (!wc_committed(wc, i))
		wc_wait_ios(wc, WC_WRITE);
	atomic_fetch_add(&wc->inflight[WC_READ], 1);
	pthread_mutex_unlock(&wc->lock);
	r = dev_read(wc->cache, tmp, wc->block_size, wc_data_off(wc, i));
	wc_io_end(wc, WC_READ);
	if (!r) {
		memcpy(tmp + in, data, n);
		k = write_run(wc, blk, 1, tmp, flags, false);
		r = k < 0 ? (int)k : 0;
	}
	pthread_mutex_unlock(sl);
	return r;
}

int wc_write(struct dm_target *ti, const void *buf, size_t len, uint64_t off, unsigned flags)
{
	struct wc *wc = ti->private;
	const uint8_t *p = buf;
	bool bypass;
	int r = 0;

	pthread_mutex_lock(&wc->lock);
	bypass = sequential(wc, off, len);
	pthread_mutex_unlock(&wc->lock);
	while (len && !r) {
		uint64_t blk = wc_block_of(wc, off), in = off & (wc->block_size - 1);
		size_t n;

		if (in || len < wc->block_size) {
			n = wc->block_size - in < len ? (size_t)(wc->block_size - in) : len;
			r = write_partial(wc, blk, (size_t)in, n, p, flags);
		} else {
			uint64_t nblk = len >> wc->block_shift;
			int64_t k = write_run(wc, blk, nblk < RUN_MAX ? nblk : RUN_MAX, p, flags, bypass);

			if (k < 0) {
				r = (int)k;
				break;
			}
			n = (size_t)k << wc->block_shift;
		}
		p += n;
		off += n;
		len -= n;
	}
	if (!r && flags & DEV_FUA) { /* FUA: committed before the reply */
		pthread_mutex_lock(&wc->lock);
		if (!wc->error)
			wc_commit(wc);
		r = wc->error ? -EIO : 0;
		pthread_mutex_unlock(&wc->lock);
	}
	return r;
}

static void discard_one(struct wc *wc, uint32_t i, bool *waited)
{
	if (!*waited) { /* no I/O in flight may still point at it */
		wc_wait_ios(wc, WC_READ);
		wc_wait_ios(wc, WC_WRITE);
		*waited = true;
	}
	if (!wc_committed(wc, i) && wc->uncommitted_blocks)
		wc->uncommitted_blocks--;
	wc_free_entry(wc, i);
}

int wc_discard(struct dm_target *ti, uint64_t off, uint64_t len)
{
	struct wc *wc = ti->private;
	uint64_t first = (off + wc->block_size - 1) >> wc->block_shift, end = (off + len) >> wc->block_shift;
	bool waited = false;

	pthread_mutex_lock(&wc->lock);
	wc->stats.discards += len >> wc->block_shift;
	if (wc->error) {
		pthread_mutex_unlock(&wc->lock);
		return -EIO;
	}
	/* unmap every copy of the blocks wholly inside, but those in
	 * writeback (as the kernel's writecache_discard) */
	if (end > first && end - first > 2 * wc->n_blocks) { /* a large range: walk the entries */
		for (uint64_t x = 0; x < wc->n_blocks; x++) {
			const struct wc_entry *e = &wc->e[x];
			uint64_t b = e->sector >> wc->sec_shift;

			if ((e->flags & (WCE_MAPPED | WCE_WIP)) == WCE_MAPPED && b >= first && b < end)
				discard_one(wc, (uint32_t)x, &waited);
		}
	} else {
		for (uint64_t b = first; b < end; b++) {
			uint32_t i;

			while ((i = wc_find_idle(wc, b)) != WC_NIL)
				discard_one(wc, i, &waited);
		}
	}
	if (waited)
		wc_commit_flushed(wc, false);
	pthread_mutex_unlock(&wc->lock);
	return dev_discard(wc->origin, off, len);
}

int wc_flush(struct dm_target *ti)
{
	struct wc *wc = ti->private;
	int r;

	pthread_mutex_lock(&wc->lock);
	wc->stats.flushes++;
	if (!wc->error)
		wc_commit(wc);
	r = wc->error ? -EIO : 0;
	pthread_mutex_unlock(&wc->lock);
	/* the kernel's second flush bio, for what went around the cache
	 * (writeback flushes the origin itself): only if something did */
	if (!r && atomic_exchange(&wc->origin_dirty, false) && (r = dev_flush(wc->origin)))
		atomic_store(&wc->origin_dirty, true);
	return r;
}
