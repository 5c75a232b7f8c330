/* The writecache target's state, shared by its files (see the design
 * essay at the top of writecache.c):
 *   writecache.c         table, status, messages, suspend and resume;
 *   writecache_meta.c    the map of cached blocks, the free list, the LRU,
 *                        commits, formatting and replay at activation;
 *   writecache_io.c      client reads, writes, discards and flushes;
 *   writecache_wb.c      the background thread: autocommit and writeback;
 *   writecache_format.c  the on-disk codec (writecache_format.h).
 *
 * Locks, outermost first:
 *   stripe[]  one of WC_STRIPES, by origin block, held across the
 *             read-merge-write of a partial block, so two partial writes
 *             to one block do not lose each other's bytes;
 *   lock      every field marked (L) and the entries; held across metadata
 *             I/O (a commit) as the kernel holds wc->lock, never across a
 *             client's data I/O nor writeback's copying;
 *   io_lock   only to sleep until inflight[] drains (wc_wait_ios).
 * Client data I/O on the cache device is counted in inflight[] under
 * `lock` before it is issued; whoever frees entries, commits or writes
 * back waits for the count to drain with `lock` held, so no new I/O can be
 * mapped meanwhile (the kernel's bio_in_progress).
 */
#ifndef ULVM_TARGETS_WRITECACHE_H
#define ULVM_TARGETS_WRITECACHE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/clock.h"
#include "dm/target.h"

#define WC_NIL UINT32_MAX
#define WC_STRIPES 64u
#define WC_STREAMS 16u
#define WC_READ 0
#define WC_WRITE 1
#define WC_DEFAULT_CUTOFF (4u << 20) /* sequential_cutoff, bytes */

/* entry flags */
#define WCE_MAPPED 1u /* in the map: holds data of e->sector */
#define WCE_LRU 2u    /* on the LRU list (mapped, not in writeback) */
#define WCE_WIP 4u    /* being written back, or claimed by a bypassing write */

struct wc_entry {
	uint64_t sector;     /* original_sector, as on disk */
	uint64_t seq;        /* seq_count, as on disk (WCF_NONE: free) */
	uint64_t age;        /* ms (monotonic) it was mapped at, for max_age */
	uint32_t hnext;      /* next in its hash chain */
	uint32_t prev, next; /* LRU: newest first (lru_head) */
	uint8_t flags;
};

/* The kernel's status counters, in blocks (flushes: requests). */
struct wc_stats {
	uint64_t reads, read_hits, writes, write_hits_uncommitted, write_hits_committed, writes_around,
		writes_allocate, writes_blocked_on_freelist, flushes, discards;
};

/* A run of sequential writes (ulvm's sequential_cutoff). */
struct wc_stream {
	uint64_t end, bytes, used;
};

struct wc {
	struct dm_target *ti;
	struct dev *origin, *cache;

	/* the table, as given (the *_set flags: print back) */
	uint32_t block_size;
	unsigned block_shift, sec_shift; /* log2 of block_size, of its sectors */
	uint64_t start_sector;
	unsigned high_wm, low_wm;        /* percent */
	uint32_t writeback_jobs, autocommit_blocks, autocommit_ms, max_age_ms, pause_ms;
	uint64_t seq_cutoff;             /* bytes; 0: no bypass */
	bool start_sector_set, high_wm_set, low_wm_set, jobs_set, autocommit_blocks_set, autocommit_time_set,
		max_age_set, cleaner_set, metadata_only, pause_set, seq_cutoff_set;

	/* the layout */
	uint64_t n_blocks, meta_bytes;
	uint64_t base;                   /* bytes: start_sector on the cache */

	pthread_mutex_t lock;
	pthread_cond_t cond;             /* the thread's work, pass done, stop (L) */
	pthread_cond_t free_cond;        /* a block freed, writeback ended, error (L) */
	uint8_t *meta;                   /* the metadata area as on disk (L) */
	uint64_t *dirty;                 /* 64 KiB regions of meta to write (L) */
	size_t dirty_words;
	struct wc_entry *e;              /* n_blocks (L) */
	uint32_t *hash;                  /* chains by origin block (L) */
	unsigned hash_bits;
	uint64_t *freemap;               /* bit i: entry i is free (L) */
	uint64_t free_cursor, freelist_size;
	uint32_t lru_head, lru_tail;
	uint64_t writeback_size;         /* entries in writeback (L) */
	uint64_t high_free, low_free;    /* the watermarks as free-block counts (L) */
	uint64_t seq_count, uncommitted_blocks;
	uint64_t commit_deadline;        /* ms; 0: none pending (L) */
	bool commit_req, wb_queued;      /* work for the thread (L) */
	bool overwrote_committed, cleaner, flush_on_suspend, suspended, loaded;
	unsigned writeback_all;
	uint64_t pass_req, pass_done;    /* full writeback passes asked, done (L) */
	uint64_t max_age_tick;
	int error;                       /* first error, sticky (L) */
	struct wc_stats stats;           /* (L) */
	struct wc_stream streams[WC_STREAMS];
	uint64_t stream_clock;

	pthread_t thread;
	bool thread_running, stop;
	uint8_t *wb_buf;                 /* the thread's copy buffer */

	atomic_uint inflight[2];         /* client I/O on the cache, WC_READ / WC_WRITE */
	pthread_mutex_t io_lock;
	pthread_cond_t io_cond;
	atomic_uint origin_inflight;     /* writes sent to the origin (pause_writeback) */
	atomic_bool origin_dirty;        /* a write went around the cache since the last flush */
	atomic_uint_fast64_t origin_idle_since;

	pthread_mutex_t stripe[WC_STRIPES];
};

/* writecache_meta.c: everything with wc->lock held unless said */
void wc_set_error(struct wc *wc, int err, const char *what);
int wc_alloc_state(struct wc *wc);
void wc_free_state(struct wc *wc);
uint64_t wc_block_of(const struct wc *wc, uint64_t byte_off);
/* The newest entry mapping origin block @blk (WC_NIL if none); *@n: how
 * many map it, *@wip: whether one of them is in writeback. */
uint32_t wc_find(struct wc *wc, uint64_t blk, unsigned *n, bool *wip);
/* The newest entry of @blk not in writeback (nor claimed), or WC_NIL. */
uint32_t wc_find_idle(struct wc *wc, uint64_t blk);
/* Map free entry @i to origin block @blk under the current seq_count. */
void wc_map(struct wc *wc, uint32_t i, uint64_t blk);
void wc_lru_del(struct wc *wc, uint32_t i);
void wc_lru_add_tail(struct wc *wc, uint32_t i);
/* A free entry, @want if it is free (WC_NIL: the next in cache order). */
uint32_t wc_pop_free(struct wc *wc, uint32_t want);
bool wc_is_free(const struct wc *wc, uint32_t i);
/* Unmap @i and put it on the free list (its seq_count -1 in memory;
 * wc_commit_flushed makes that durable, which must come before @i is
 * reused: call it before dropping the lock). */
void wc_free_entry(struct wc *wc, uint32_t i);
static inline bool wc_committed(const struct wc *wc, uint32_t i) { return wc->e[i].seq < wc->seq_count; }
/* Byte offset of entry @i's data on the cache device. */
uint64_t wc_data_off(const struct wc *wc, uint32_t i);
void wc_io_end(struct wc *wc, int dir);                 /* without wc->lock */
void wc_wait_ios(struct wc *wc, int dir);
/* Write the dirty metadata regions and flush the cache device (after the
 * in-flight writes, with @wait_ios). */
void wc_commit_flushed(struct wc *wc, bool wait_ios);
/* The kernel's writecache_flush: make every write so far durable. */
void wc_commit(struct wc *wc);
/* Used blocks above the high watermark: queue writeback. */
void wc_verify_watermark(struct wc *wc);
/* The kernel's activate_cleaner. */
void wc_activate_cleaner(struct wc *wc);
/* At ctr, without the lock: format a blank device; 0 or -errno, *@why. */
int wc_format(struct wc *wc, uint64_t area, const char **why);
/* At preresume: read the metadata and replay it; 0 or -errno, *@why. */
int wc_load(struct wc *wc, const char **why);

/* writecache_io.c: the target's ops */
int wc_read(struct dm_target *ti, void *buf, size_t len, uint64_t off);
int wc_write(struct dm_target *ti, const void *buf, size_t len, uint64_t off, unsigned flags);
int wc_discard(struct dm_target *ti, uint64_t off, uint64_t len);
int wc_flush(struct dm_target *ti);

/* writecache_wb.c */
int wc_thread_start(struct wc *wc);
void wc_thread_stop(struct wc *wc);     /* without wc->lock */
/* Write back every committed block (flush message, flush_on_suspend). */
void wc_writeback_all(struct wc *wc);

#endif
