/* The pool object behind a thin-pool table, shared with the thin volumes
 * stacked on it (private to src/targets/thin_pool.c and thin.c).
 *
 * A struct pool lives as long as a pool table or a thin table refers to
 * it: a reload of the pool finds the same object (keyed by the metadata
 * device) and binds its new features and size at preresume, as the
 * kernel's struct pool / struct pool_c split does.
 *
 * Locks, outermost first:
 *   io_lock  shared by every thin read and write for the whole of its
 *            lookup and data I/O (a transfer on the NBD server's ring
 *            or pipe until its map_end); exclusive while mappings go away
 *            (discard, messages), so a data block that a stale lookup
 *            still points at is never unmapped, committed, reallocated
 *            and overwritten under an in-flight I/O;
 *   lock     every thin_meta call (the metadata layer is single-writer
 *            and even lookups change its cache) and the fields below.
 * A new block is provisioned in three steps, as the kernel's bio prison
 * and prepared mappings do: under `lock`, look up, claim the virtual
 * block in the in-flight table (a second writer of the same block waits,
 * then looks up again) and allocate; without any lock, write the data
 * (zeroes, copy, request); under `lock` again, insert the mapping.  A
 * commit waits for the in-flight provisions to drain and holds new ones
 * off (commit_waiters), so committed metadata never counts a block that
 * is allocated but not yet mapped.
 */
#ifndef ULVM_TARGETS_THIN_POOL_H
#define ULVM_TARGETS_THIN_POOL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "dm/target.h"
#include "thin/thin_metadata.h"

extern const struct target_type thin_pool_target, thin_target;

enum pool_mode {
	PM_WRITE,
	PM_OUT_OF_DATA_SPACE,
	PM_OUT_OF_METADATA_SPACE, /* reads "ro": the metadata reserve was reached */
	PM_READ_ONLY,
	PM_FAIL,
};

struct pool_features {
	bool zero_new_blocks;
	bool discard_enabled;
	bool discard_passdown;
	bool read_only;
	bool error_if_no_space;
	unsigned no_space_timeout; /* the no_space_timeout parameter when the table was made */
};

struct pool {
	pthread_rwlock_t io_lock;
	pthread_mutex_t lock;
	pthread_cond_t cond;      /* space, mode or stop changed */
	unsigned refs;            /* under the registry lock */
	const void *owner;        /* the pool's mapped device */
	struct dev *meta_dev, *data_dev; /* referenced */
	struct thin_meta *tm;
	uint32_t sectors_per_block;
	uint64_t block_bytes;
	pthread_cond_t prov_cond; /* an in-flight provision ended, or a commit did */
	struct prov_cell { uint64_t dev_id, vblock; } *cells; /* in-flight provisions */
	unsigned ncells, cells_cap;
	unsigned prov_waiters;    /* writers waiting for a cell or a commit */
	unsigned unmapped;        /* blocks allocated by provisions, not yet mapped */
	unsigned commit_waiters;  /* commits waiting for unmapped == 0 */
	uint64_t flushed_gen;     /* insert_gen covered by the last data flush */
	char *copy_bufs;          /* free copy-on-write buffers, each linked by its first bytes */
	struct open_thin { uint64_t dev_id; unsigned n; } *open_thins; /* thin tables constructed on each id */
	unsigned nopen_thins;
	struct pool_features pf;  /* bound at preresume */
	enum pool_mode mode;
	uint64_t low_water_blocks;
	bool low_water_logged;    /* data under the mark: event raised */
	bool meta_low_logged;     /* metadata under its threshold: raised */
	uint64_t data_low_events, meta_low_events; /* how often each was raised (monitoring) */
	struct dm_table *event_table; /* the bound pool table, for dm_table_event */
	bool dirty;               /* metadata changed since the last commit */
	uint64_t insert_gen;      /* bumped by every provisioning */
	uint64_t abort_gen;       /* bumped by every aborted transaction */
	bool suspended;
	bool thread_running, stop;
	pthread_t thread;
};

/* The target's parameters (struct target_param; ulvmd sets them with
 * dm_context_set_param, --thin-no-space-timeout, --thin-metadata-cache):
 *   no_space_timeout  how long a write waits for space when the pool is
 *                     out of data space and queue_if_no_space (the
 *                     default): seconds, 0 = forever; 60, as the
 *                     kernel's module parameter
 *   metadata_cache    the metadata block cache of a pool created from
 *                     now on, bytes (the block manager's default: 64 MiB) */
enum { THIN_POOL_NO_SPACE_TIMEOUT, THIN_POOL_METADATA_CACHE };

/* The pool of the thin-pool device @pool_dev, referenced; NULL if it is
 * not an active thin-pool. */
struct pool *pool_get_from_dev(struct dev *pool_dev);
void pool_put(struct pool *p);

enum pool_flush {
	POOL_FLUSH_ALL,    /* a FLUSH or FUA: every write so far is made durable */
	POOL_FLUSH_MAPPED, /* a message, the timer: only the blocks the commit maps */
};
/* Commit the metadata if it changed, after flushing the data device so
 * that no committed mapping points at data that is not durable; with
 * POOL_FLUSH_ALL the data device is flushed even if no block was mapped.
 * Takes p->lock. */
int pool_commit(struct pool *p, enum pool_flush what);
/* p->lock held: can new blocks be provisioned?  0, or the error to fail
 * the write with (-ENOSPC / -EIO / -EROFS). */
int pool_can_provision(struct pool *p);
/* p->lock held: allocate a data block; -ENOSPC switches the pool out of
 * data space (the caller drops its locks and calls pool_wait_for_space). */
int pool_alloc_block(struct pool *p, uint64_t *block);
/* No lock held: wait until the pool has space again, up to @deadline
 * (from pool_space_deadline); 0 to retry, or -ENOSPC. */
int pool_wait_for_space(struct pool *p, const struct timespec *deadline);
void pool_space_deadline(const struct pool *p, struct timespec *deadline);
/* p->lock held: a metadata update failed with @r; abort the transaction,
 * flag needs_check and go read-only.  Returns @r. */
int pool_metadata_error(struct pool *p, int r, const struct err *e);
/* p->lock held: a block was mapped (its data written first). */
void pool_mark_dirty(struct pool *p);
/* p->lock held: claim virtual block @vblock of thin @dev_id for a
 * provision.  0 when claimed; 1 when the block is already being
 * provisioned or a commit is pending (p->lock was dropped while waiting:
 * look the block up again); -ENOMEM. */
/* p->lock held: a thin table on @dev_id is constructed (0 or -ENOMEM),
 * destroyed; whether any is (the kernel's open_count: no delete then). */
int pool_thin_open(struct pool *p, uint64_t dev_id);
void pool_thin_close(struct pool *p, uint64_t dev_id);
bool pool_thin_is_open(const struct pool *p, uint64_t dev_id);
int pool_claim(struct pool *p, uint64_t dev_id, uint64_t vblock);
/* The same without waiting: 1 when pool_claim would wait. */
int pool_try_claim(struct pool *p, uint64_t dev_id, uint64_t vblock);
/* p->lock held: the claim of pool_claim ends (the block is mapped, or the
 * provision failed); @allocated: it held one of p->unmapped. */
void pool_release(struct pool *p, uint64_t dev_id, uint64_t vblock, bool allocated);
/* The pool target's message handler (thin_pool_msg.c): no lock held. */
int pool_message_run(struct dm_target *ti, struct pool *p, int argc, char **argv, char *result,
		     size_t maxlen);

#endif
