/* The writecache's map of cached blocks, free list and LRU, and its
 * commits (the kernel's writecache_flush, ssd_commit_flushed,
 * ssd_commit_superblock, init_memory, writecache_resume).
 *
 * In memory, as the kernel keeps it: every cache block has an entry; a
 * mapped entry is in a hash chain by origin block (the kernel's rbtree;
 * the newest entry of a block comes first in its chain, so lookups need no
 * ordering) and, unless it is being written back, on the LRU list (newest
 * at the head, so the uncommitted entries are a prefix of it).  Free
 * entries are bits of `freemap`, taken in cache order from a cursor (the
 * kernel's sorted free tree and current_free), so consecutive writes get
 * consecutive cache blocks and write back in one piece.  The metadata
 * area is kept as on disk in `meta`; changes mark its 64 KiB regions
 * dirty (the kernel's BITMAP_GRANULARITY) and a commit writes those.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "targets/writecache/writecache.h"
#include "targets/writecache/writecache_format.h"

#define REGION_SHIFT 16 /* the kernel's BITMAP_GRANULARITY, 64 KiB */
#define GOLDEN UINT64_C(0x9E3779B97F4A7C15)

void wc_set_error(struct wc *wc, int err, const char *what)
{
	if (!wc->error) {
		wc->error = err;
		log_err("writecache %s: %s: %s; writes fail from now on", dm_device_name(wc->ti, wc->cache), what,
			strerror(-err));
	}
	pthread_cond_broadcast(&wc->free_cond);
	pthread_cond_broadcast(&wc->cond);
}

uint64_t wc_block_of(const struct wc *wc, uint64_t byte_off)
{
	return byte_off >> wc->block_shift;
}

uint64_t wc_data_off(const struct wc *wc, uint32_t i)
{
	return wc->base + wc->meta_bytes + ((uint64_t)i << wc->block_shift);
}

static uint64_t hash_of(const struct wc *wc, uint64_t blk)
{
	return (blk * GOLDEN) >> (64 - wc->hash_bits);
}

int wc_alloc_state(struct wc *wc)
{
	uint64_t n = wc->n_blocks ? wc->n_blocks : 1, regions = (wc->meta_bytes + (1u << REGION_SHIFT) - 1) >> REGION_SHIFT;
	size_t meta_alloc = (size_t)((wc->meta_bytes + 4095) & ~(uint64_t)4095);

	wc->hash_bits = 4;
	while ((UINT64_C(1) << wc->hash_bits) < n)
		wc->hash_bits++;
	wc->dirty_words = (size_t)((regions + 63) / 64);
	wc->e = calloc((size_t)n, sizeof(*wc->e));
	wc->hash = malloc(sizeof(*wc->hash) << wc->hash_bits);
	wc->freemap = calloc((size_t)((n + 63) / 64), sizeof(*wc->freemap));
	wc->dirty = calloc(wc->dirty_words ? wc->dirty_words : 1, sizeof(*wc->dirty));
	wc->meta = aligned_alloc(4096, meta_alloc);
	if (!wc->e || !wc->hash || !wc->freemap || !wc->dirty || !wc->meta)
		return -ENOMEM;
	memset(wc->meta, 0, meta_alloc);
	memset(wc->hash, 0xff, sizeof(*wc->hash) << wc->hash_bits);
	wc->lru_head = wc->lru_tail = WC_NIL;
	return 0;
}

void wc_free_state(struct wc *wc)
{
	free(wc->e);
	free(wc->hash);
	free(wc->freemap);
	free(wc->dirty);
	free(wc->meta);
	wc->e = NULL;
	wc->hash = NULL;
	wc->freemap = NULL;
	wc->dirty = NULL;
	wc->meta = NULL;
}

static void mark_dirty(struct wc *wc, uint64_t meta_off)
{
	uint64_t r = meta_off >> REGION_SHIFT;

	wc->dirty[r / 64] |= UINT64_C(1) << (r % 64);
}

static void mark_entry(struct wc *wc, uint32_t i)
{
	mark_dirty(wc, WCF_SB_SIZE + (uint64_t)i * WCF_ENTRY_SIZE);
}

static void mark_all(struct wc *wc)
{
	memset(wc->dirty, 0xff, wc->dirty_words * sizeof(*wc->dirty));
}

/* ---- the map, the LRU, the free list ---- */

uint32_t wc_find(struct wc *wc, uint64_t blk, unsigned *n, bool *wip)
{
	uint64_t sector = blk << wc->sec_shift;
	uint32_t first = WC_NIL;
	unsigned k = 0;
	bool w = false;

	for (uint32_t i = wc->hash[hash_of(wc, blk)]; i != WC_NIL; i = wc->e[i].hnext) {
		if (wc->e[i].sector != sector)
			continue;
		if (first == WC_NIL)
			first = i;
		k++;
		w |= wc->e[i].flags & WCE_WIP;
	}
	if (n)
		*n = k;
	if (wip)
		*wip = w;
	return first;
}

uint32_t wc_find_idle(struct wc *wc, uint64_t blk)
{
	uint64_t sector = blk << wc->sec_shift;

	for (uint32_t i = wc->hash[hash_of(wc, blk)]; i != WC_NIL; i = wc->e[i].hnext)
		if (wc->e[i].sector == sector && !(wc->e[i].flags & WCE_WIP))
			return i;
	return WC_NIL;
}

static void hash_add(struct wc *wc, uint32_t i)
{
	uint32_t *head = &wc->hash[hash_of(wc, wc->e[i].sector >> wc->sec_shift)];

	wc->e[i].hnext = *head;
	*head = i;
}

static void hash_del(struct wc *wc, uint32_t i)
{
	uint32_t *p = &wc->hash[hash_of(wc, wc->e[i].sector >> wc->sec_shift)];

	while (*p != i && *p != WC_NIL)
		p = &wc->e[*p].hnext;
	if (*p == i)
		*p = wc->e[i].hnext;
}

void wc_lru_del(struct wc *wc, uint32_t i)
{
	struct wc_entry *x = &wc->e[i];

	if (!(x->flags & WCE_LRU))
		return;
	if (x->prev != WC_NIL)
		wc->e[x->prev].next = x->next;
	else
		wc->lru_head = x->next;
	if (x->next != WC_NIL)
		wc->e[x->next].prev = x->prev;
	else
		wc->lru_tail = x->prev;
	x->flags &= (uint8_t)~WCE_LRU;
}

static void lru_add_head(struct wc *wc, uint32_t i)
{
	struct wc_entry *x = &wc->e[i];

	x->prev = WC_NIL;
	x->next = wc->lru_head;
	if (wc->lru_head != WC_NIL)
		wc->e[wc->lru_head].prev = i;
	else
		wc->lru_tail = i;
	wc->lru_head = i;
	x->flags |= WCE_LRU;
}

void wc_lru_add_tail(struct wc *wc, uint32_t i)
{
	struct wc_entry *x = &wc->e[i];

	/* uncommitted entries stay a prefix of the list (wc_commit) */
	if (!wc_committed(wc, i)) {
		lru_add_head(wc, i);
		return;
	}
	x->next = WC_NIL;
	x->prev = wc->lru_tail;
	if (wc->lru_tail != WC_NIL)
		wc->e[wc->lru_tail].next = i;
	else
		wc->lru_head = i;
	wc->lru_tail = i;
	x->flags |= WCE_LRU;
}

void wc_map(struct wc *wc, uint32_t i, uint64_t blk)
{
	struct wc_entry *x = &wc->e[i];

	x->sector = blk << wc->sec_shift;
	x->seq = wc->seq_count;
	x->age = clock_ms();
	x->flags = WCE_MAPPED;
	wcf_entry_encode(wc->meta, i, x->sector, x->seq);
	hash_add(wc, i);
	lru_add_head(wc, i);
}

bool wc_is_free(const struct wc *wc, uint32_t i)
{
	return i < wc->n_blocks && wc->freemap[i / 64] >> (i % 64) & 1;
}

/* The first free entry at or after @from, or n_blocks. */
static uint64_t next_free(const struct wc *wc, uint64_t from)
{
	uint64_t w = from / 64, words = (wc->n_blocks + 63) / 64;
	uint64_t bits = from % 64 ? wc->freemap[w] & (~UINT64_C(0) << (from % 64)) : (w < words ? wc->freemap[w] : 0);

	while (!bits) {
		if (++w >= words)
			return wc->n_blocks;
		bits = wc->freemap[w];
	}
	return w * 64 + (uint64_t)__builtin_ctzll(bits);
}

uint32_t wc_pop_free(struct wc *wc, uint32_t want)
{
	uint64_t i;

	if (!wc->freelist_size)
		return WC_NIL;
	if (want != WC_NIL) {
		if (!wc_is_free(wc, want))
			return WC_NIL;
		i = want;
	} else if ((i = next_free(wc, wc->free_cursor)) >= wc->n_blocks) {
		i = next_free(wc, 0);
	}
	wc->freemap[i / 64] &= ~(UINT64_C(1) << (i % 64));
	wc->freelist_size--;
	wc->free_cursor = i + 1 < wc->n_blocks ? i + 1 : 0;
	wc_verify_watermark(wc);
	return (uint32_t)i;
}

static void add_free(struct wc *wc, uint32_t i)
{
	wc->freemap[i / 64] |= UINT64_C(1) << (i % 64);
	wc->freelist_size++;
}

void wc_free_entry(struct wc *wc, uint32_t i)
{
	struct wc_entry *x = &wc->e[i];

	hash_del(wc, i);
	wc_lru_del(wc, i);
	x->flags = 0;
	x->seq = WCF_NONE; /* the kernel's clear_seq_count: original_sector stays */
	wcf_entry_encode(wc->meta, i, x->sector, WCF_NONE);
	mark_entry(wc, i);
	add_free(wc, i);
	pthread_cond_broadcast(&wc->free_cond);
}

void wc_verify_watermark(struct wc *wc)
{
	if (wc->freelist_size + wc->writeback_size <= wc->high_free && !wc->suspended && !wc->wb_queued) {
		wc->wb_queued = true;
		pthread_cond_broadcast(&wc->cond);
	}
}

void wc_activate_cleaner(struct wc *wc)
{
	wc->flush_on_suspend = true;
	wc->cleaner = true;
	wc->high_free = wc->n_blocks;
	wc->low_free = wc->n_blocks;
}

/* ---- in-flight client I/O on the cache ---- */

void wc_io_end(struct wc *wc, int dir)
{
	if (atomic_fetch_sub(&wc->inflight[dir], 1) == 1) {
		pthread_mutex_lock(&wc->io_lock);
		pthread_cond_broadcast(&wc->io_cond);
		pthread_mutex_unlock(&wc->io_lock);
	}
}

void wc_wait_ios(struct wc *wc, int dir)
{
	pthread_mutex_lock(&wc->io_lock);
	while (atomic_load(&wc->inflight[dir]))
		pthread_cond_wait(&wc->io_cond, &wc->io_lock);
	pthread_mutex_unlock(&wc->io_lock);
}

/* ---- commits ---- */

void wc_commit_flushed(struct wc *wc, bool wait_ios)
{
	uint64_t regions = (wc->meta_bytes + (1u << REGION_SHIFT) - 1) >> REGION_SHIFT;
	int r;

	for (uint64_t i = 0; i < regions;) {
		uint64_t j = i, off, end;

		if (!(wc->dirty[i / 64] >> (i % 64) & 1)) {
			i++;
			continue;
		}
		while (j < regions && wc->dirty[j / 64] >> (j % 64) & 1)
			j++;
		off = i << REGION_SHIFT;
		end = j << REGION_SHIFT < wc->meta_bytes ? j << REGION_SHIFT : wc->meta_bytes;
		if ((r = dev_write(wc->cache, wc->meta + off, (size_t)(end - off), wc->base + off, 0)))
			wc_set_error(wc, r, "error writing metadata");
		i = j;
	}
	if (wait_ios)
		wc_wait_ios(wc, WC_WRITE);
	if ((r = dev_flush(wc->cache)))
		wc_set_error(wc, r, "error flushing metadata");
	memset(wc->dirty, 0, wc->dirty_words * sizeof(*wc->dirty));
}

static void commit_superblock(struct wc *wc)
{
	uint64_t len = wc->block_size > 4096 ? wc->block_size : 4096;
	int r;

	if (len > wc->meta_bytes)
		len = wc->meta_bytes;
	wcf_sb_set_seq(wc->meta, wc->seq_count);
	if ((r = dev_write(wc->cache, wc->meta, (size_t)len, wc->base, DEV_FUA)))
		wc_set_error(wc, r, "error writing superblock");
}

void wc_commit(struct wc *wc)
{
	uint32_t i = wc->lru_head, last;
	bool need_flush = false;
	int r;

	wc->uncommitted_blocks = 0;
	wc->commit_deadline = 0;
	wc->commit_req = false;
	if (i == WC_NIL)
		return;
	if (wc_committed(wc, i)) {
		/* nothing new mapped; blocks overwritten in place need only
		 * their data durable */
		if (wc->overwrote_committed) {
			wc_wait_ios(wc, WC_WRITE);
			if ((r = dev_flush(wc->cache)))
				wc_set_error(wc, r, "error flushing metadata");
			wc->overwrote_committed = false;
		}
		return;
	}
	for (last = i;; last = wc->e[last].next) {
		mark_entry(wc, last);
		if (wc->e[last].next == WC_NIL || wc_committed(wc, wc->e[last].next))
			break;
	}
	wc_commit_flushed(wc, true);
	wc->seq_count++;
	commit_superblock(wc);
	wc->overwrote_committed = false;
	/* an older copy of a block now committed again is garbage, unless it
	 * is being written back (then its writeback frees it) */
	for (uint32_t j = last;; j = wc->e[j].prev) {
		uint64_t blk = wc->e[j].sector >> wc->sec_shift;
		unsigned n;

		wc_find(wc, blk, &n, NULL);
		while (n > 1) {
			uint32_t k, victim = WC_NIL;

			for (k = wc->hash[hash_of(wc, blk)]; k != WC_NIL; k = wc->e[k].hnext)
				if (k != j && wc->e[k].sector == wc->e[j].sector && !(wc->e[k].flags & WCE_WIP))
					victim = k;
			if (victim == WC_NIL)
				break;
			wc_free_entry(wc, victim);
			need_flush = true;
			n--;
		}
		if (j == i)
			break;
	}
	if (need_flush)
		wc_commit_flushed(wc, false);
}

/* ---- format and replay ---- */

int wc_format(struct wc *wc, uint64_t area, const char **why)
{
	uint64_t n, mb, first;
	uint8_t *buf;
	int r;

	if (wcf_layout(area, wc->block_size, &n, &mb) || n > WCF_MAX_BLOCKS) {
		*why = "Invalid device size";
		return -ENOSPC;
	}
	if (!(buf = aligned_alloc(4096, (size_t)((mb + 4095) & ~(uint64_t)4095)))) {
		*why = "Cannot allocate memory";
		return -ENOMEM;
	}
	/* as init_memory: everything with magic 0, flushed, then the magic */
	wcf_format(buf, (size_t)mb, wc->block_size, n);
	r = dev_write(wc->cache, buf, (size_t)mb, wc->base, 0);
	if (!r)
		r = dev_flush(wc->cache);
	if (!r) {
		struct wcf_sb sb = { WCF_MAGIC, WCF_VERSION, wc->block_size, n, 0 };

		wcf_sb_encode(buf, &sb);
		first = mb < (1u << REGION_SHIFT) ? mb : (1u << REGION_SHIFT);
		r = dev_write(wc->cache, buf, (size_t)first, wc->base, 0);
		if (!r)
			r = dev_flush(wc->cache);
	}
	free(buf);
	if (r)
		*why = "Unable to initialize device";
	return r;
}

int wc_load(struct wc *wc, const char **why)
{
	struct wcf_replay rep;
	struct wcf_sb sb;
	uint8_t *verdict;
	uint64_t now = clock_ms();
	bool need_flush = false;
	int r;

	if ((r = dev_read(wc->cache, wc->meta, (size_t)wc->meta_bytes, wc->base))) {
		*why = "Unable to read the metadata";
		return r;
	}
	wcf_sb_decode(wc->meta, &sb);
	if (sb.magic != WCF_MAGIC || sb.n_blocks != wc->n_blocks || sb.block_size != wc->block_size) {
		*why = "The superblock changed since the table was loaded";
		return -EINVAL;
	}
	if (!(verdict = malloc(wc->n_blocks ? (size_t)wc->n_blocks : 1))) {
		*why = "Cannot allocate memory";
		return -ENOMEM;
	}
	if ((r = wcf_replay(wc->meta, wc->n_blocks, sb.seq_count, wc->block_size, verdict, &rep))) {
		free(verdict);
		*why = "Cannot allocate memory";
		return r;
	}
	wc->seq_count = sb.seq_count;
	memset(wc->hash, 0xff, sizeof(*wc->hash) << wc->hash_bits);
	memset(wc->freemap, 0, (size_t)((wc->n_blocks + 63) / 64) * sizeof(*wc->freemap));
	wc->lru_head = wc->lru_tail = WC_NIL;
	wc->freelist_size = wc->writeback_size = wc->uncommitted_blocks = 0;
	wc->free_cursor = 0;
	for (uint64_t b = 0; b < wc->n_blocks; b++) {
		struct wc_entry *x = &wc->e[b];

		wcf_entry_decode(wc->meta, b, &x->sector, &x->seq);
		x->flags = 0;
		if (verdict[b] == WCF_LIVE) {
			x->flags = WCE_MAPPED;
			x->age = now;
			hash_add(wc, (uint32_t)b);
			lru_add_head(wc, (uint32_t)b);
			continue;
		}
		if (verdict[b] == WCF_DROP) {
			x->seq = WCF_NONE;
			wcf_entry_encode(wc->meta, b, x->sector, WCF_NONE);
			need_flush = true;
		}
		add_free(wc, (uint32_t)b);
	}
	free(verdict);
	if (rep.unaligned)
		log_warn("writecache %s: %" PRIu64 " entries for sectors not on a block boundary dropped",
			 dm_device_name(wc->ti, wc->cache), rep.unaligned);
	if (rep.identical) {
		log_err("writecache %s: two identical entries, position %" PRIu64 ", sector %" PRIu64
			", sequence %" PRIu64, dm_device_name(wc->ti, wc->cache), rep.ident_pos, rep.ident_sector,
			rep.ident_seq);
		wc_set_error(wc, -EINVAL, "inconsistent metadata");
	}
	if (rep.uncommitted || rep.superseded)
		log_info("writecache %s: %" PRIu64 " committed blocks; %" PRIu64 " uncommitted and %" PRIu64
			 " superseded entries dropped", dm_device_name(wc->ti, wc->cache), rep.live, rep.uncommitted,
			 rep.superseded);
	if (need_flush) {
		mark_all(wc);
		wc_commit_flushed(wc, false);
	}
	wc->loaded = true;
	return 0;
}
