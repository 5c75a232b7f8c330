/* The writecache's background thread: autocommit and writeback (the
 * kernel's flush_work, autocommit and max_age timers, writeback_work and
 * endio thread, in one thread that blocks on its I/O).
 *
 * Writeback as the kernel's writecache_writeback in SSD mode: while the
 * free blocks (with those in writeback) are at most the low watermark, or
 * the oldest block is older than max_age, take the oldest committed block
 * from the LRU and the blocks that follow it both on the origin and in the
 * cache (one run, one copy), up to WB_LATENCY runs; copy them, flush the
 * origin, then free the entries and commit that (ssd_commit_flushed), all
 * before a freed block can be written again.  A full pass (flush message,
 * cleaner, flush_on_suspend) takes every block in origin order instead.
 * Writeback waits while writes went around the cache in the last
 * pause_writeback ms.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "targets/writecache/writecache.h"

#define WB_LATENCY 64u  /* runs per batch, the kernel's WRITEBACK_LATENCY */
#define WB_RUN_MAX 256u /* blocks per run, BIO_MAX_VECS */
#define WB_ALL_RUNS 1024u

struct wb_run {
	uint32_t first, n;
};

static void take(struct wc *wc, uint32_t i)
{
	wc_lru_del(wc, i);
	wc->e[i].flags |= WCE_WIP;
	wc->writeback_size++;
}

/* Start a run at @i (taken): the blocks after it on the origin that are
 * the entries after it in the cache, committed and idle. */
static uint32_t extend(struct wc *wc, uint32_t i, uint64_t limit)
{
	uint64_t blk = wc->e[i].sector >> wc->sec_shift;
	uint32_t n = 1;

	while (n < limit && n < WB_RUN_MAX) {
		unsigned cnt;
		uint32_t g = wc_find(wc, blk + n, &cnt, NULL);

		if ((uint64_t)g != (uint64_t)i + n || cnt != 1 || !(wc->e[g].flags & WCE_LRU) || !wc_committed(wc, g))
			break;
		take(wc, g);
		n++;
	}
	return n;
}

static uint64_t jobs_left(const struct wc *wc, uint64_t blocks)
{
	uint64_t cap = wc->writeback_jobs ? wc->writeback_jobs : UINT64_MAX;

	return blocks < cap ? cap - blocks : 0;
}

/* Copy @nr runs to the origin and free them; wc->lock held, dropped
 * while copying. */
static void run_batch(struct wc *wc, const struct wb_run *runs, size_t nr)
{
	uint64_t osize = wc->origin->size;
	int err = 0;

	pthread_mutex_unlock(&wc->lock);
	for (size_t k = 0; k < nr && !err; k++) {
		uint64_t src = wc_data_off(wc, runs[k].first), dst = wc->e[runs[k].first].sector << 9;
		uint64_t len = (uint64_t)runs[k].n << wc->block_shift;

		if (dst >= osize) /* the origin shrank: nothing to write (as the kernel's) */
			continue;
		if (len > osize - dst)
			len = osize - dst;
		err = dev_read(wc->cache, wc->wb_buf, (size_t)len, src);
		if (!err)
			err = dev_write(wc->origin, wc->wb_buf, (size_t)len, dst, 0);
	}
	if (!err)
		err = dev_flush(wc->origin);
	pthread_mutex_lock(&wc->lock);
	if (err)
		wc_set_error(wc, err, "writeback copy error");
	for (size_t k = 0; k < nr; k++)
		for (uint32_t j = 0; j < runs[k].n; j++) {
			uint32_t i = runs[k].first + j;

			wc->e[i].flags &= (uint8_t)~WCE_WIP;
			wc->writeback_size--;
			if (wc->error)
				wc_lru_add_tail(wc, i);
			else
				wc_free_entry(wc, i);
		}
	/* reads still on their way to the freed blocks end first */
	wc_wait_ios(wc, WC_READ);
	wc_commit_flushed(wc, false);
	pthread_cond_broadcast(&wc->free_cond);
}

static bool aged(const struct wc *wc, uint64_t now)
{
	uint64_t limit = wc->max_age_ms - wc->max_age_ms / 16;

	return wc->max_age_set && wc->lru_tail != WC_NIL && now - wc->e[wc->lru_tail].age >= limit;
}

/* One batch, oldest first; clears wb_queued when nothing is left to do. */
static void writeback_batch(struct wc *wc)
{
	struct wb_run runs[WB_LATENCY];
	uint32_t skipped[WB_LATENCY];
	unsigned nr = 0, ns = 0, walked = 0;
	uint64_t blocks = 0, now = clock_ms();
	bool more = false;

	if (wc->overwrote_committed)
		wc_wait_ios(wc, WC_WRITE);
	while (wc->lru_tail != WC_NIL && !wc->error &&
	       (wc->freelist_size + wc->writeback_size <= wc->low_free || aged(wc, now))) {
		uint32_t i = wc->lru_tail;
		bool wip;

		if (++walked > WB_LATENCY || !jobs_left(wc, blocks)) {
			more = true;
			break;
		}
		if (!wc_committed(wc, i))
			wc_commit(wc);
		wc_find(wc, wc->e[i].sector >> wc->sec_shift, NULL, &wip);
		if (wip) { /* an older copy is on its way to the origin: this one after it */
			wc_lru_del(wc, i);
			skipped[ns++] = i;
			continue;
		}
		take(wc, i);
		runs[nr].first = i;
		runs[nr].n = extend(wc, i, jobs_left(wc, blocks));
		blocks += runs[nr++].n;
	}
	if (!more)
		wc->wb_queued = false;
	for (unsigned k = 0; k < ns; k++)
		wc_lru_add_tail(wc, skipped[k]);
	if (nr) {
		run_batch(wc, runs, nr);
	} else if (ns) { /* no progress: let the other copy go first */
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += 100000000;
		ts.tv_sec += ts.tv_nsec / 1000000000;
		ts.tv_nsec %= 1000000000;
		pthread_cond_timedwait(&wc->cond, &wc->lock, &ts);
	}
}

struct by_sector {
	uint64_t sector;
	uint32_t i;
};

static int cmp_sector(const void *a, const void *b)
{
	const struct by_sector *x = a, *y = b;

	return x->sector < y->sector ? -1 : x->sector > y->sector ? 1 : (x->i > y->i) - (x->i < y->i);
}

void wc_writeback_all(struct wc *wc)
{
	struct wb_run *runs = malloc(WB_ALL_RUNS * sizeof(*runs));
	struct by_sector *order = NULL;
	size_t n = 0, nr = 0;
	uint64_t blocks = 0;

	wc->writeback_all++;
	wc_commit(wc);
	for (uint32_t i = wc->lru_head; i != WC_NIL; i = wc->e[i].next)
		n++;
	if (!runs || (n && !(order = malloc(n * sizeof(*order))))) {
		wc_set_error(wc, -ENOMEM, "no memory to write back");
		goto out;
	}
	n = 0;
	for (uint32_t i = wc->lru_head; i != WC_NIL; i = wc->e[i].next)
		order[n++] = (struct by_sector){ wc->e[i].sector, i };
	if (n)
		qsort(order, n, sizeof(*order), cmp_sector);
	for (size_t k = 0; k < n && !wc->error && !wc->stop; k++) {
		uint32_t i = order[k].i;
		bool wip;

		/* what changed while earlier batches were copied is left */
		if (!(wc->e[i].flags & WCE_LRU) || wc->e[i].sector != order[k].sector)
			continue;
		if (!wc_committed(wc, i))
			wc_commit(wc);
		wc_find(wc, wc->e[i].sector >> wc->sec_shift, NULL, &wip);
		if (wip)
			continue;
		take(wc, i);
		runs[nr].first = i;
		runs[nr].n = extend(wc, i, jobs_left(wc, blocks));
		blocks += runs[nr++].n;
		if (nr == WB_ALL_RUNS || !jobs_left(wc, blocks)) {
			run_batch(wc, runs, nr);
			nr = 0;
			blocks = 0;
		}
	}
	if (nr)
		run_batch(wc, runs, nr);
out:
	free(order);
	free(runs);
	wc->writeback_all--;
}

/* Until when writeback waits for writes that went around the cache to
 * stop (the kernel's pause_writeback). */
static uint64_t paused_until(struct wc *wc, uint64_t now)
{
	uint64_t since;

	if (!wc->pause_ms || wc->cleaner || wc->writeback_all)
		return now;
	if (atomic_load(&wc->origin_inflight))
		return now + (wc->pause_ms < 1000 ? wc->pause_ms : 1000);
	since = atomic_load(&wc->origin_idle_since);
	return !since || now - since >= wc->pause_ms ? now : since + wc->pause_ms;
}

static void wait_until(struct wc *wc, uint64_t ms)
{
	struct timespec ts;

	if (ms == UINT64_MAX) {
		pthread_cond_wait(&wc->cond, &wc->lock);
		return;
	}
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000;
	pthread_cond_timedwait(&wc->cond, &wc->lock, &ts);
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static void *wc_main(void *arg)
{
	struct wc *wc = arg;

	pthread_mutex_lock(&wc->lock);
	while (!wc->stop) {
		uint64_t now = clock_ms(), wake = UINT64_MAX;

		if (wc->error) {
			if (wc->pass_done != wc->pass_req) {
				wc->pass_done = wc->pass_req;
				pthread_cond_broadcast(&wc->cond);
			}
			wait_until(wc, UINT64_MAX);
			continue;
		}
		if (wc->commit_req || (wc->commit_deadline && now >= wc->commit_deadline)) {
			wc_commit(wc);
			continue;
		}
		if (wc->pass_done != wc->pass_req) {
			uint64_t req = wc->pass_req;

			wc_writeback_all(wc);
			wc->pass_done = req;
			pthread_cond_broadcast(&wc->cond);
			continue;
		}
		if (wc->max_age_set) {
			if (now >= wc->max_age_tick) {
				wc->wb_queued = true;
				wc->max_age_tick = now + (wc->max_age_ms / 16 ? wc->max_age_ms / 16 : 1);
			}
			wake = wc->max_age_tick;
		}
		if (wc->wb_queued) {
			uint64_t until = paused_until(wc, now);

			if (until <= now) {
				writeback_batch(wc);
				continue;
			}
			wake = min_u64(wake, until);
		}
		if (wc->commit_deadline)
			wake = min_u64(wake, wc->commit_deadline);
		wait_until(wc, wake);
	}
	pthread_mutex_unlock(&wc->lock);
	return NULL;
}

int wc_thread_start(struct wc *wc)
{
	int r;

	if (wc->thread_running)
		return 0;
	wc->stop = false;
	r = -pthread_create(&wc->thread, NULL, wc_main, wc);
	wc->thread_running = !r;
	return r;
}

void wc_thread_stop(struct wc *wc)
{
	if (!wc->thread_running)
		return;
	pthread_mutex_lock(&wc->lock);
	wc->stop = true;
	pthread_cond_broadcast(&wc->cond);
	pthread_mutex_unlock(&wc->lock);
	pthread_join(wc->thread, NULL);
	wc->thread_running = false;
	wc->stop = false;
}
