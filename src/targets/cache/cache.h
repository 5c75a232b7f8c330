/* The cache target's state, shared by cache.c (table, status, messages,
 * lifecycle) and cache_io.c (the I/O path and the background worker).
 *
 * Invariants (all under c->lock):
 *  - oblock_of[cb] is the origin block cache block cb holds, or FREE; the
 *    hash finds cb from the origin block; the policy ranks exactly the
 *    held blocks.
 *  - A cache block freed in this metadata transaction (demoted,
 *    invalidated) waits on `pending` until the next commit before it is
 *    reused, so the committed metadata never maps a block whose data was
 *    overwritten for another origin block.
 *  - busy[cb]: a migration (promotion, writeback, demotion) owns cb; I/O
 *    to it waits.  io[cb]: I/O in flight on cb, raised under the lock and
 *    dropped without it (the fast path takes the lock once); who waits
 *    for 0 counts itself in io_waiters first, so the last unpin wakes it.
 *  - A promotion is not started while a write to the same origin block
 *    is in flight to the origin (origin_writes), so it never copies data
 *    a write is replacing.
 *
 * Locking: c->lock guards everything above and every metadata call; data
 * I/O runs unlocked, pinned by io[] or owned through busy[].  The
 * metadata object is shared by the tables that name the same metadata
 * device (a reload), like the kernel's; only the resumed one uses it.
 */
#ifndef ULVM_TARGETS_CACHE_H
#define ULVM_TARGETS_CACHE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "dm/target.h"
#include "targets/cache/cache_meta.h"
#include "targets/cache/policy.h"

#define CACHE_FREE UINT64_MAX
#define CACHE_ORIGIN_WRITE_SLOTS 1024

enum cache_io_mode { CACHE_WRITEBACK, CACHE_WRITETHROUGH, CACHE_PASSTHROUGH };
enum cache_md_mode { CACHE_MD_RW, CACHE_MD_RO, CACHE_MD_FAIL };

struct cache_shared_meta {
	struct dev *dev;
	struct cache_meta *md;
	unsigned refs;
};

struct cache {
	struct dm_target *ti;
	struct dev *meta_dev, *cache_dev, *origin_dev;
	struct cache_shared_meta *sm;
	uint32_t block_sectors;
	uint64_t block_bytes;
	uint64_t nr_oblocks; /* complete blocks of the origin */
	uint32_t nr_cblocks;
	enum cache_io_mode io_mode;
	enum cache_md_mode md_mode;
	unsigned md_version; /* 1, or 2 with the metadata2 feature */
	bool discard_passdown;
	const struct cache_policy_type *ptype;
	struct cache_policy *policy;
	uint64_t migration_threshold; /* sectors */
	int nr_ctr_args;
	char **ctr_args; /* from the block size on, for the table line */

	pthread_mutex_t lock;
	pthread_cond_t cond;   /* busy[] and io[] changes */
	pthread_cond_t wake;   /* the worker */
	uint64_t *oblock_of;
	uint8_t *busy;
	atomic_uint *io;       /* pinned by I/O; taken under lock, dropped without */
	atomic_uint io_waiters;
	uint64_t *dirty;       /* bitset */
	uint32_t nr_dirty, nr_mapped;
	uint32_t *hash;        /* cblock + 1, 0 empty; linear probing */
	uint32_t hash_mask;
	uint32_t *free_list, nr_free;
	uint32_t *pending, nr_pending;
	uint32_t origin_writes[CACHE_ORIGIN_WRITE_SLOTS];
	uint32_t clean_cursor;
	bool loaded;
	bool commit_wanted;

	pthread_t worker;
	bool worker_running, stop;
	uint64_t nr_io, seen_io;  /* pieces of client I/O; what the worker saw */
	uint64_t last_io_ms, last_commit_ms; /* the worker's clock of them */

	struct cache_stats_disk base_stats; /* from the superblock */
	atomic_uint read_hit, read_miss, write_hit, write_miss, demotions, promotions;
};

/* cache_io.c */
int cache_read(struct dm_target *ti, void *buf, size_t len, uint64_t off);
int cache_write(struct dm_target *ti, const void *buf, size_t len, uint64_t off, unsigned flags);
int cache_flush(struct dm_target *ti);
int cache_discard(struct dm_target *ti, uint64_t off, uint64_t len);
int cache_worker_start(struct cache *c);
void cache_worker_stop(struct cache *c);
/* c->lock held: commit the metadata (flushing the cache device first);
 * frees the pending blocks.  0 or -errno; a failure is logged and the
 * metadata goes read-only. */
int cache_commit_locked(struct cache *c, bool clean_shutdown);
/* c->lock held: map or unmap in memory and in the metadata. */
void cache_hash_insert(struct cache *c, uint32_t cb);
int cache_lookup(struct cache *c, uint64_t oblock);
void cache_set_dirty(struct cache *c, uint32_t cb, bool dirty);
/* Unmap @cb (idle, not busy) in the metadata and in memory; it is
 * reusable after the next commit. */
int cache_unmap(struct cache *c, uint32_t cb, struct err *e);
/* c->lock held: wait until no I/O has @cb pinned. */
void cache_wait_idle(struct cache *c, uint32_t cb);

#endif
