/* The cache target's I/O path and background worker (invariants and
 * locking in cache.h).
 *
 * Reads: a hit reads the cache device; a miss reads the origin, and when
 * the policy says so first promotes the block (whole block copied from
 * the origin to a free cache block, then mapped).  Writes: a hit goes to
 * the cache block (writeback: marked dirty; writethrough: to the origin
 * too; passthrough: the block is invalidated and the write goes to the
 * origin); a miss goes to the origin, or in writeback mode a whole-block
 * write the policy wants is written straight into a free cache block.
 *
 * Crash argument: data reaches the cache device before the mapping that
 * points at it is committed (cache_commit_locked flushes the cache device
 * first); a freed cache block is reused only after the commit that freed
 * it; a flush commits.  Dirty bits are committed only at a clean shutdown,
 * and metadata without CLEAN_SHUTDOWN loads every mapped block as dirty,
 * so after kill -9 every block the cache may hold newer data for is
 * written back again: no acknowledged-and-flushed write is lost.
 *
 * The worker commits once a second (and when freed blocks are wanted) and
 * writes dirty blocks back: all of them with the cleaner policy; else when
 * the device has been idle for a second or over half the cache is dirty,
 * in batches of migration_threshold sectors with a pause between them
 * while foreground I/O runs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "targets/cache/cache.h"

#define IDLE_MS 1000
#define COMMIT_PERIOD_MS 1000
#define DEMOTE_BATCH 16

/* ---- the origin block -> cache block hash ---- */

static uint32_t slot_of(const struct cache *c, uint64_t oblock)
{
	return (uint32_t)((oblock * 0x9E3779B97F4A7C15ull) >> 32) & c->hash_mask;
}

int cache_lookup(struct cache *c, uint64_t oblock)
{
	for (uint32_t i = slot_of(c, oblock);; i = (i + 1) & c->hash_mask) {
		uint32_t v = c->hash[i];

		if (!v)
			return -1;
		if (c->oblock_of[v - 1] == oblock)
			return (int)(v - 1);
	}
}

void cache_hash_insert(struct cache *c, uint32_t cb)
{
	uint32_t i = slot_of(c, c->oblock_of[cb]);

	while (c->hash[i])
		i = (i + 1) & c->hash_mask;
	c->hash[i] = cb + 1;
}

/* Linear probing's backward-shift delete: no tombstones. */
static void hash_remove(struct cache *c, uint32_t cb)
{
	uint32_t i = slot_of(c, c->oblock_of[cb]), j;

	while (c->hash[i] != cb + 1)
		i = (i + 1) & c->hash_mask;
	for (j = (i + 1) & c->hash_mask; c->hash[j]; j = (j + 1) & c->hash_mask) {
		uint32_t home = slot_of(c, c->oblock_of[c->hash[j] - 1]);

		/* Move j into the hole at i if its home is not in (i, j]. */
		if (((j - home) & c->hash_mask) >= ((j - i) & c->hash_mask)) {
			c->hash[i] = c->hash[j];
			i = j;
		}
	}
	c->hash[i] = 0;
}

void cache_set_dirty(struct cache *c, uint32_t cb, bool dirty)
{
	uint64_t bit = 1ull << (cb % 64);
	bool was = c->dirty[cb / 64] & bit;

	if (was == dirty)
		return;
	if (dirty) {
		c->dirty[cb / 64] |= bit;
		c->nr_dirty++;
	} else {
		c->dirty[cb / 64] &= ~bit;
		if (--c->nr_dirty == 0)
			dm_table_event(c->ti->table);
	}
}

/* ---- metadata ---- */

static void md_failed(struct cache *c, int r, struct err *e)
{
	struct err e2 = { { 0 } };

	log_err("cache %s: metadata operation failed: %s", c->origin_dev->name,
		e->msg[0] ? e->msg : strerror(-r));
	if (cache_meta_abort(c->sm->md, &e2) || cache_meta_commit(c->sm->md, false, &e2)) {
		log_err("cache %s: %s", c->origin_dev->name, e2.msg);
		c->md_mode = CACHE_MD_FAIL;
	} else {
		c->md_mode = CACHE_MD_RO;
	}
	log_warn("cache %s: switching to %s mode", c->origin_dev->name,
		 c->md_mode == CACHE_MD_RO ? "read-only metadata" : "fail");
}

int cache_commit_locked(struct cache *c, bool clean_shutdown)
{
	struct err e = { { 0 } };
	int r = dev_flush(c->cache_dev);

	if (r == 0 && c->md_mode == CACHE_MD_RW) {
		r = cache_meta_commit(c->sm->md, clean_shutdown, &e);
		if (r < 0)
			md_failed(c, r, &e);
	}
	if (r == 0) {
		while (c->nr_pending)
			c->free_list[c->nr_free++] = c->pending[--c->nr_pending];
		c->commit_wanted = false;
	}
	c->last_commit_ms = clock_ms();
	return r;
}

static void forget(struct cache *c, uint32_t cb)
{
	c->policy->ops->remove(c->policy, cb);
	cache_set_dirty(c, cb, false);
	hash_remove(c, cb);
	c->oblock_of[cb] = CACHE_FREE;
	c->nr_mapped--;
}

int cache_unmap(struct cache *c, uint32_t cb, struct err *e)
{
	int r = c->md_mode == CACHE_MD_RW ? cache_meta_remove(c->sm->md, cb, e) : -EROFS;

	if (r < 0) {
		if (r != -EROFS)
			md_failed(c, r, e);
		return r;
	}
	forget(c, cb);
	c->pending[c->nr_pending++] = cb;
	return 0;
}

static bool demotable(void *ctx, uint32_t cb)
{
	struct cache *c = ctx;

	return !c->busy[cb] && !atomic_load(&c->io[cb]) && !(c->dirty[cb / 64] >> (cb % 64) & 1);
}

/* A free cache block for a promotion, or -ENOSPC: then clean victims are
 * demoted for the next commit (the worker's, asked for now) to free. */
static int take_free(struct cache *c, uint32_t *cb)
{
	struct err e = { { 0 } };

	if (c->nr_free) {
		*cb = c->free_list[--c->nr_free];
		return 0;
	}
	if (c->nr_pending)
		goto wake;
	for (unsigned i = 0; i < DEMOTE_BATCH; i++) {
		uint32_t v;

		if (c->policy->ops->victim(c->policy, demotable, c, &v) || cache_unmap(c, v, &e))
			break;
		atomic_fetch_add(&c->demotions, 1);
	}
wake:
	c->commit_wanted = true;
	pthread_cond_signal(&c->wake);
	return -ENOSPC;
}

/* ---- promotion ---- */

static uint32_t *origin_write_slot(struct cache *c, uint64_t oblock)
{
	return &c->origin_writes[(oblock * 0x9E3779B97F4A7C15ull >> 40) % CACHE_ORIGIN_WRITE_SLOTS];
}

static bool may_promote(struct cache *c, uint64_t ob, uint64_t off, uint64_t len, bool write)
{
	if (c->io_mode == CACHE_PASSTHROUGH || c->ptype->cleaner || c->md_mode != CACHE_MD_RW ||
	    !c->worker_running)
		return false;
	return c->policy->ops->miss(c->policy, ob, off, len, write) && !*origin_write_slot(c, ob);
}

/* Claim a free block for @ob (busy); c->lock held. */
static int claim(struct cache *c, uint64_t ob, uint32_t *cb)
{
	int r = take_free(c, cb);

	if (r < 0)
		return r;
	c->oblock_of[*cb] = ob;
	cache_hash_insert(c, *cb);
	c->busy[*cb] = 1;
	c->nr_mapped++;
	return 0;
}

/* End a claim: mapped in the metadata (@ok) or given back.  c->lock held. */
static void finish_claim(struct cache *c, uint32_t cb, bool ok, bool dirty)
{
	struct err e = { { 0 } };
	int r = ok ? cache_meta_insert(c->sm->md, cb, c->oblock_of[cb], &e) : -EIO;

	if (r == 0) {
		c->policy->ops->insert(c->policy, cb, 0, false);
		if (dirty)
			cache_set_dirty(c, cb, true);
		atomic_fetch_add(&c->promotions, 1);
	} else {
		if (ok)
			md_failed(c, r, &e);
		hash_remove(c, cb);
		c->oblock_of[cb] = CACHE_FREE;
		c->nr_mapped--;
		c->free_list[c->nr_free++] = cb; /* never mapped on disk */
	}
	c->busy[cb] = 0;
	pthread_cond_broadcast(&c->cond);
}

/* ---- reads and writes, one block at a time ---- */

/* Wait while @ob's block is busy; its cache block pinned (io) or -1. */
static int pin(struct cache *c, uint64_t ob)
{
	for (;;) {
		int cb = cache_lookup(c, ob);

		if (cb < 0)
			return -1;
		if (!c->busy[cb]) {
			atomic_fetch_add(&c->io[cb], 1);
			return cb;
		}
		pthread_cond_wait(&c->cond, &c->lock);
	}
}

static void unpin(struct cache *c, uint32_t cb)
{
	if (atomic_fetch_sub(&c->io[cb], 1) == 1 && atomic_load(&c->io_waiters)) {
		pthread_mutex_lock(&c->lock);
		pthread_cond_broadcast(&c->cond);
		pthread_mutex_unlock(&c->lock);
	}
}

void cache_wait_idle(struct cache *c, uint32_t cb)
{
	atomic_fetch_add(&c->io_waiters, 1);
	while (atomic_load(&c->io[cb]))
		pthread_cond_wait(&c->cond, &c->lock);
	atomic_fetch_sub(&c->io_waiters, 1);
}

/* 0 done, 1 to be read from the origin (the caller joins neighbours
 * into one origin read), or -errno. */
static int read_piece(struct cache *c, uint8_t *buf, size_t len, uint64_t off)
{
	uint64_t bb = c->block_bytes, ob = off / bb, boff = off % bb;
	uint32_t cb;
	int hit, r;

	if (ob >= c->nr_oblocks || c->io_mode == CACHE_PASSTHROUGH)
		return 1;
	pthread_mutex_lock(&c->lock);
	c->nr_io++;
	hit = pin(c, ob);
	if (hit >= 0) {
		c->policy->ops->hit(c->policy, (uint32_t)hit, off, len);
		pthread_mutex_unlock(&c->lock);
		atomic_fetch_add(&c->read_hit, 1);
		r = dev_read(c->cache_dev, buf, len, (uint64_t)hit * bb + boff);
		unpin(c, (uint32_t)hit);
		return r;
	}
	atomic_fetch_add(&c->read_miss, 1);
	if (!may_promote(c, ob, off, len, false) || claim(c, ob, &cb)) {
		pthread_mutex_unlock(&c->lock);
		return 1;
	}
	pthread_mutex_unlock(&c->lock);
	{
		uint8_t *blk = aligned_alloc(4096, bb); /* bb: a multiple of 32 KiB */

		r = blk ? dev_read(c->origin_dev, blk, bb, ob * bb) : -ENOMEM;
		if (r == 0)
			memcpy(buf, blk + boff, len);
		if (r == 0 && dev_write(c->cache_dev, blk, bb, (uint64_t)cb * bb, 0))
			r = 1; /* the read is good, the copy is not */
		free(blk);
	}
	pthread_mutex_lock(&c->lock);
	finish_claim(c, cb, r == 0, false);
	pthread_mutex_unlock(&c->lock);
	return r < 0 ? 1 : 0;
}

/* A piece bound for the origin: its block counted in origin_writes (no
 * promotion may copy it meanwhile) until end_origin_writes.  c->lock
 * held, and dropped. */
static int to_origin(struct cache *c, uint64_t ob)
{
	if (ob < c->nr_oblocks)
		(*origin_write_slot(c, ob))++;
	pthread_mutex_unlock(&c->lock);
	return 1;
}

static void end_origin_writes(struct cache *c, uint64_t off, uint64_t len)
{
	uint64_t end = (off + len + c->block_bytes - 1) / c->block_bytes;

	pthread_mutex_lock(&c->lock);
	for (uint64_t ob = off / c->block_bytes; ob < end && ob < c->nr_oblocks; ob++)
		(*origin_write_slot(c, ob))--;
	pthread_mutex_unlock(&c->lock);
}

/* 0 done, 1 to be written to the origin (see to_origin), or -errno. */
static int write_piece(struct cache *c, const uint8_t *buf, size_t len, uint64_t off)
{
	uint64_t bb = c->block_bytes, ob = off / bb, boff = off % bb;
	struct err e = { { 0 } };
	uint32_t cb;
	int hit, r;

	pthread_mutex_lock(&c->lock);
	if (ob >= c->nr_oblocks)
		return to_origin(c, ob);
	c->nr_io++;
	hit = pin(c, ob);
	if (hit >= 0) {
		atomic_fetch_add(&c->write_hit, 1);
		c->policy->ops->hit(c->policy, (uint32_t)hit, off, len);
		if (c->io_mode == CACHE_PASSTHROUGH) {
			/* The cache must not keep what the origin now differs from. */
			atomic_fetch_sub(&c->io[hit], 1);
			cache_wait_idle(c, (uint32_t)hit);
			if (cache_unmap(c, (uint32_t)hit, &e) < 0) {
				pthread_mutex_unlock(&c->lock);
				return -EIO;
			}
			return to_origin(c, ob);
		}
		if (c->io_mode == CACHE_WRITEBACK)
			cache_set_dirty(c, (uint32_t)hit, true);
		pthread_mutex_unlock(&c->lock);
		r = dev_write(c->cache_dev, buf, len, (uint64_t)hit * bb + boff, 0);
		if (r == 0 && c->io_mode == CACHE_WRITETHROUGH)
			r = dev_write(c->origin_dev, buf, len, off, 0);
		unpin(c, (uint32_t)hit);
		return r;
	}
	atomic_fetch_add(&c->write_miss, 1);
	if (c->io_mode != CACHE_WRITEBACK || boff || len != bb || !may_promote(c, ob, off, len, true) ||
	    claim(c, ob, &cb))
		return to_origin(c, ob);
	pthread_mutex_unlock(&c->lock);
	r = dev_write(c->cache_dev, buf, bb, (uint64_t)cb * bb, 0);
	pthread_mutex_lock(&c->lock);
	finish_claim(c, cb, r == 0, true);
	if (r < 0)
		return to_origin(c, ob);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

/* A request, block by block: each piece through read_piece or
 * write_piece; neighbouring pieces the origin serves go to it as one
 * request (each origin request may pay a slow disk's latency). */
static int split(struct cache *c, uint8_t *buf, size_t len, uint64_t off, bool write)
{
	uint8_t *run = NULL;
	uint64_t run_off = 0;
	size_t run_len = 0;
	int r = 0;

	while (len && r >= 0) {
		size_t n = c->block_bytes - off % c->block_bytes;

		n = n < len ? n : len;
		r = write ? write_piece(c, buf, n, off) : read_piece(c, buf, n, off);
		if (r == 1 && run)
			run_len += n;
		else if (r == 1)
			run = buf, run_off = off, run_len = n;
		if (run && (r != 1 || n == len)) {
			int r2 = write ? dev_write(c->origin_dev, run, run_len, run_off, 0)
				       : dev_read(c->origin_dev, run, run_len, run_off);

			if (write)
				end_origin_writes(c, run_off, run_len);
			r = r < 0 ? r : r2;
			run = NULL;
		}
		buf += n;
		off += n;
		len -= n;
	}
	return r < 0 ? r : 0;
}

int cache_read(struct dm_target *ti, void *buf, size_t len, uint64_t off)
{
	return split(ti->private, buf, len, off, false);
}

int cache_write(struct dm_target *ti, const void *buf, size_t len, uint64_t off, unsigned flags)
{
	/* split only reads from @buf when @write */
	int r = split(ti->private, (uint8_t *)(uintptr_t)buf, len, off, true);

	if (r == 0 && (flags & DEV_FUA))
		r = cache_flush(ti);
	return r;
}

int cache_flush(struct dm_target *ti)
{
	struct cache *c = ti->private;
	int r = dev_flush(c->origin_dev);

	pthread_mutex_lock(&c->lock);
	if (r == 0)
		r = cache_commit_locked(c, false);
	pthread_mutex_unlock(&c->lock);
	return r;
}

int cache_discard(struct dm_target *ti, uint64_t off, uint64_t len)
{
	struct cache *c = ti->private;
	uint64_t bb = c->block_bytes;
	uint64_t first = (off + bb - 1) / bb, end = (off + len) / bb;
	struct err e = { { 0 } };
	int r = 0;

	pthread_mutex_lock(&c->lock);
	for (uint64_t ob = first; ob < end && ob < c->nr_oblocks && c->md_mode == CACHE_MD_RW; ob++) {
		int cb = pin(c, ob);

		if (cb < 0)
			continue;
		atomic_fetch_sub(&c->io[cb], 1);
		cache_wait_idle(c, (uint32_t)cb);
		if (cache_lookup(c, ob) == cb && !c->busy[cb])
			cache_unmap(c, (uint32_t)cb, &e);
	}
	pthread_mutex_unlock(&c->lock);
	if (c->discard_passdown)
		r = dev_discard(c->origin_dev, off, len);
	return r;
}

/* ---- the worker ---- */

/* Write back up to @budget bytes of dirty blocks; c->lock held (dropped
 * for the I/O).  Returns the bytes written back. */
static uint64_t writeback(struct cache *c, uint8_t *blk, uint64_t budget)
{
	uint64_t bb = c->block_bytes, done = 0;
	uint32_t n = c->nr_cblocks, scanned = 0;

	while (c->nr_dirty && done < budget && scanned < n && !c->stop) {
		uint32_t cb = c->clean_cursor++ % n;
		int r;

		scanned++;
		if (!(c->dirty[cb / 64] >> (cb % 64) & 1) || c->busy[cb] || atomic_load(&c->io[cb]))
			continue;
		c->busy[cb] = 1;
		pthread_mutex_unlock(&c->lock);
		r = dev_read(c->cache_dev, blk, bb, (uint64_t)cb * bb);
		if (r == 0)
			r = dev_write(c->origin_dev, blk, bb, c->oblock_of[cb] * bb, 0);
		pthread_mutex_lock(&c->lock);
		if (r == 0)
			cache_set_dirty(c, cb, false);
		else
			log_err("cache %s: writing back cache block %u: %s", c->origin_dev->name, cb,
				strerror(-r));
		c->busy[cb] = 0;
		pthread_cond_broadcast(&c->cond);
		done += bb;
	}
	return done;
}

/* No client I/O for @ms: the I/O path only counts, the worker keeps the
 * time (c->lock held). */
static bool quiet(struct cache *c, uint64_t now, uint64_t ms)
{
	if (c->nr_io != c->seen_io) {
		c->seen_io = c->nr_io;
		c->last_io_ms = now;
	}
	return now - c->last_io_ms >= ms;
}

static void *worker(void *arg)
{
	struct cache *c = arg;
	uint8_t *blk = aligned_alloc(4096, c->block_bytes);

	pthread_mutex_lock(&c->lock);
	while (!c->stop) {
		uint64_t now = clock_ms();
		bool idle = quiet(c, now, IDLE_MS);
		bool clean = c->ptype->cleaner || idle || c->nr_dirty > c->nr_cblocks / 2 ||
			     (!c->nr_free && !c->nr_pending);

		if (c->md_mode != CACHE_MD_FAIL &&
		    (c->commit_wanted || (cache_meta_changed(c->sm->md) &&
					  now - c->last_commit_ms >= COMMIT_PERIOD_MS)))
			cache_commit_locked(c, false);
		if (blk && c->nr_dirty && clean) {
			uint64_t budget = to_bytes(c->migration_threshold);
			uint64_t done = writeback(c, blk, budget > c->block_bytes ? budget : c->block_bytes);

			if (done && (c->ptype->cleaner || idle))
				continue;
			if (done) {
				cond_wait_ms(&c->wake, &c->lock, 10); /* foreground I/O first */
				continue;
			}
		}
		cond_wait_ms(&c->wake, &c->lock, 100);
	}
	pthread_mutex_unlock(&c->lock);
	free(blk);
	return NULL;
}

int cache_worker_start(struct cache *c)
{
	int r = 0;

	pthread_mutex_lock(&c->lock);
	if (!c->worker_running) {
		c->stop = false;
		c->last_io_ms = c->last_commit_ms = clock_ms();
		r = -pthread_create(&c->worker, NULL, worker, c);
		c->worker_running = r == 0;
	}
	pthread_mutex_unlock(&c->lock);
	return r;
}

void cache_worker_stop(struct cache *c)
{
	pthread_mutex_lock(&c->lock);
	if (!c->worker_running) {
		pthread_mutex_unlock(&c->lock);
		return;
	}
	c->stop = true;
	pthread_cond_broadcast(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->worker, NULL);
	pthread_mutex_lock(&c->lock);
	c->worker_running = false;
	pthread_mutex_unlock(&c->lock);
}
