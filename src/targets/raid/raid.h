/* The raid target family: what its files share.  raid.c (table, status,
 * messages, lifecycle), raid_meta.c (superblocks on the rmeta devices),
 * raid_bitmap.c (the write-intent bitmap), raid_io.c (client I/O),
 * raid_sync.c (resync, recovery, check, repair), level_*.c (geometry).
 *
 * Locks, in the order they nest:
 *   rs->meta_lock   superblock and bitmap writes to the rmeta devices;
 *   rs->lock        leg states, events, offsets, the action and its thread;
 *   bm->lock        the bitmap's counters and bits (raid_bitmap.c).
 * No lock is held across data I/O, except that a region being resynced
 * holds back writes to that region (raid_bitmap.c, "RESYNC").
 *
 * Legs.  A leg is failed when its data device is missing ('-') or
 * returned an error; failed legs get no I/O and are recorded in every
 * superblock.  A leg that is not in sync (new, rebuilt, or back from a
 * failure) gets every write but no read until recovery has copied it.
 */
#ifndef ULVM_TARGETS_RAID_H
#define ULVM_TARGETS_RAID_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "dm/target.h"
#include "targets/raid/raid_format.h"
#include "targets/raid/raid_level.h"

#define RAID_MAX_PARAMS 64
#define RAID_PUNIT 65536u        /* parity I/O: bytes of one stripe row at a time */
#define RAID_STRIPE_LOCKS 256u

enum raid_op { RAID_OP_WRITE, RAID_OP_ZEROES, RAID_OP_DISCARD };

/* Parity levels: a client write's part of one stripe row (raid_pio.c),
 * and the rows in use (raid_stripe.c). */
struct raid_piece {
	unsigned k, lo, hi;          /* data index, its in-chunk bytes [lo, hi) */
	const char *src;             /* the new bytes of lo */
};

struct raid_wunit {
	uint64_t row;
	unsigned lo, hi;             /* in-chunk bytes, 512-aligned, at most RAID_PUNIT */
	unsigned flags;
	unsigned npc;
	struct raid_piece pc[RAID_MAX_DEVS];
	int result;
	bool clean, done;
	struct raid_wunit *next;
};

struct raid_row_hold {
	uint64_t row;
	bool batch, closed;          /* a writer's hold takes others' writes */
	struct raid_wunit *pending;
	struct raid_row_hold *next;
};

struct raid_row_bucket {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct raid_row_hold *busy;
};

struct raid_leg {
	struct dev *meta;            /* NULL: '-' */
	struct dev *data;            /* NULL: '-', a missing device */
	atomic_bool failed;
	bool in_sync;                /* may be read from (rs->lock) */
	bool bitmap_guided;          /* recovery copies only the regions marked dirty */
	bool rebuild, write_mostly;  /* as the table says */
	uint64_t recovery_offset;    /* sync-domain sectors recovered, when !in_sync */
	atomic_uint pending;         /* client reads in flight, for balancing */
	/* write-behind (raid_behind.c, rs->behind_lock): the writes queued
	 * or in flight to this write_mostly leg, oldest first, and its threads */
	struct raid_behind_io *bhead, *btail;
	pthread_t *bthread;
	unsigned bthreads;
};

enum raid_action { RA_IDLE, RA_FROZEN, RA_RESYNC, RA_RECOVER, RA_CHECK, RA_REPAIR };

/* Regions' in-memory state: bits 0-13 count (md-bitmap.c's counter: 0
 * clean; 2 + writes in flight once the on-disk bit is set; 1 while the
 * daemon clears it), RESYNC while the sync thread works on the region,
 * NEEDED when it must be resynced. */
#define RB_COUNT   0x3fffu
#define RB_RESYNC  0x4000u
#define RB_NEEDED  0x8000u

struct raid_bitmap {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t nregions;
	uint32_t region;             /* sectors, a power of two */
	uint16_t *count;
	uint32_t *set_gen;           /* per region: the generation that set its bit (low 32 bits) */
	uint8_t *area;               /* on-disk image from byte 4096: superblock, then bits */
	size_t area_len;             /* a multiple of 4096 */
	bool *dirty;                 /* per 4 KiB page of area */
	uint64_t gen, written;       /* dirty generations made and on disk */
	bool writing;
	uint64_t events_cleared;
	uint64_t needed;             /* regions with RB_NEEDED */
};

struct raid_set {
	struct dm_target *ti;
	const struct raid_level *level;
	struct raid_geom g;
	struct raid_params p;
	unsigned ndevs;
	struct raid_leg *legs;

	/* the table's parameters */
	bool sync, nosync, region_given;
	uint32_t region;             /* sectors */
	uint32_t daemon_sleep_ms;
	uint64_t min_rate, max_rate; /* kB/s per device, 0: none */
	uint64_t max_write_behind;
	int64_t stripe_cache;        /* accepted, printed back; -1: not given */

	pthread_mutex_t meta_lock;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t events;
	uint64_t resync_offset;      /* sync domain below it is in sync (RAID_MAX_SECTOR: all) */
	enum raid_action action;     /* what the thread does (or is asked to) */
	enum raid_action last;       /* the last one that ran, for mismatch_cnt */
	bool frozen;
	uint64_t progress;           /* of the action running */
	uint64_t mismatches;         /* sectors, of the last check/repair */
	bool loaded, has_meta;
	pthread_t thread;
	bool thread_running, stop;
	atomic_uint client_io;       /* client requests in flight, with reads on
				      * the caller's ring or pipe (raid_map_read
				      * to raid_map_end): the sync yields */
	atomic_uint read_rr;
	/* parity levels: the stripe rows in use (raid_stripe.c); writes
	 * done by another's row update, and row updates */
	struct raid_row_bucket rows[RAID_STRIPE_LOCKS];
	atomic_uint_fast64_t merged, row_updates;

	struct raid_bitmap bm;

	/* write-behind (raid_behind.c) */
	pthread_mutex_t behind_lock;
	pthread_cond_t behind_cond;
	unsigned behind_ios;         /* writes queued behind, all legs */
	uint64_t behind_bytes;       /* their copies */
	bool behind_stop;
};

/* raid_meta.c */
/* Read the superblocks and the bitmap, decide each leg's state and what
 * the array must sync; with @check_only, only say whether they fit the
 * table.  0, or -errno with *@why. */
int raid_meta_load(struct raid_set *rs, bool check_only, const char **why);
/* events + 1, then every live leg's superblock and bitmap superblock. */
void raid_meta_store(struct raid_set *rs);

/* raid_bitmap.c */
int raid_bm_init(struct raid_set *rs);
void raid_bm_free(struct raid_bitmap *bm);
/* Load the bits from @meta (its bitmap superblock checked against the
 * array): 0, or -ESTALE when they cannot be trusted (a full resync). */
int raid_bm_load(struct raid_set *rs, struct dev *meta, uint64_t events);
/* A write to [s, s+n) of the sync domain starts: its bits are on disk
 * when this returns; writes wait for a region's resync. */
void raid_bm_startwrite(struct raid_set *rs, uint64_t s, uint64_t n);
/* ... and ended; !@clean (a leg missed it): the regions need a resync. */
void raid_bm_endwrite(struct raid_set *rs, uint64_t s, uint64_t n, bool clean);
/* One more write on [s, s+n), whose regions the caller's startwrite holds
 * already (a write queued behind): ended by its own raid_bm_endwrite. */
void raid_bm_hold(struct raid_set *rs, uint64_t s, uint64_t n);
/* The sync thread takes region @r (writes to it wait) / gives it back. */
void raid_bm_start_sync(struct raid_set *rs, uint64_t r);
void raid_bm_end_sync(struct raid_set *rs, uint64_t r, bool synced);
bool raid_bm_region_needed(struct raid_set *rs, uint64_t r);
/* Every region needs (or no longer needs) a resync. */
void raid_bm_set_all(struct raid_set *rs, bool needed);
/* The daemon's lazy clearing; @all: every idle region (a clean stop). */
void raid_bm_clear_idle(struct raid_set *rs, bool all);
/* Write the dirty pages and the bitmap superblock to every live rmeta;
 * legs whose rmeta fails are failed (raid_bm_write_to: only marked in
 * @failed, for a caller holding rs->meta_lock). */
int raid_bm_write(struct raid_set *rs, bool fua);
int raid_bm_write_to(struct raid_set *rs, bool fua, uint64_t *failed);

/* raid_io.c */
int raid_read(struct dm_target *ti, void *buf, size_t len, uint64_t off);
int raid_map_read(struct dm_target *ti, uint64_t off, uint64_t len, struct dm_remap *out);
void raid_map_end(struct dm_target *ti);
int raid_write(struct dm_target *ti, const void *buf, size_t len, uint64_t off, unsigned flags);
int raid_flush(struct dm_target *ti);
int raid_discard(struct dm_target *ti, uint64_t off, uint64_t len);
int raid_write_zeroes(struct dm_target *ti, uint64_t off, uint64_t len, unsigned flags);
int raid_extents(struct dm_target *ti, uint64_t off, uint64_t len, dev_extent_fn fn, void *opaque);
/* Leg @i returned an error: mark it failed (superblocks, a dm event)
 * unless the array cannot do without it.  True if it is failed now. */
bool raid_fail_leg(struct raid_set *rs, unsigned i, int err);
/* A leg that can take writes / be read from now. */
bool raid_leg_writable(struct raid_set *rs, unsigned i);
bool raid_leg_readable(struct raid_set *rs, unsigned i);

/* raid_parity.c: the arithmetic (ISA-L).  Buffers are per device index,
 * @len bytes, a multiple of 32, 64-byte aligned; NULL reads as zeroes. */
void raid_parity_gen(const struct raid_stripe *st, uint8_t *const *bufs, size_t len, uint8_t *p, uint8_t *q);
/* P and Q change by device @dev's @src (its old data, then its new). */
void raid_parity_update(const struct raid_stripe *st, unsigned dev, const uint8_t *src, size_t len, uint8_t *p,
			uint8_t *q);
/* The devices in @missing (at most as many as parity devices) from the
 * others; @t1, @t2 are scratch.  0 or -EIO. */
int raid_parity_rebuild(const struct raid_stripe *st, uint8_t **bufs, const bool *missing, size_t len,
			uint8_t *t1, uint8_t *t2);
void raid_xor_into(uint8_t *dst, const uint8_t *src, size_t len);
/* @bufs[0 .. @ndevs + 1]: this thread's RAID_PUNIT-byte buffers, one per
 * device and two of scratch.  0 or -ENOMEM. */
int raid_parity_bufs(unsigned ndevs, uint8_t **bufs);
const uint8_t *raid_zeroes(void); /* RAID_PUNIT bytes */

/* raid_pio.c: client I/O of the parity levels */
int raid_parity_read(struct raid_set *rs, void *buf, size_t len, uint64_t off);
int raid_parity_write(struct raid_set *rs, enum raid_op op, const void *buf, size_t len, uint64_t off,
		      unsigned flags);
/* Read stripe row @row's [lo, lo + len) of every device into bufs[i] and
 * rebuild the legs that cannot be read; with the row locked.  *@missing
 * says which were rebuilt.  0 or -errno. */
int raid_parity_read_row(struct raid_set *rs, const struct raid_stripe *st, uint64_t row, unsigned lo,
			 size_t len, uint8_t **bufs, bool *missing);
/* May the parity of stripe row @row be stale (resync pending)? */
bool raid_parity_unsettled(struct raid_set *rs, uint64_t row);

/* raid_stripe.c.  Hold row @row alone (a rebuild, the sync) / let go. */
void raid_row_lock(struct raid_set *rs, uint64_t row, struct raid_row_hold *h);
void raid_row_unlock(struct raid_set *rs, struct raid_row_hold *h);
/* Write unit @u: true if this thread now holds its row (in @h) and must
 * write it, then call raid_row_next until it returns NULL; false when
 * another holder wrote it (u->result, u->clean). */
bool raid_row_join(struct raid_set *rs, struct raid_wunit *u, struct raid_row_hold *h);
/* Mark the units of @done written (their waiters wake), then the next
 * batch of waiting writes to merge, at most @max of them, whose ranges fit
 * one unit; NULL: none, and the row is let go. */
struct raid_wunit *raid_row_next(struct raid_set *rs, struct raid_row_hold *h, struct raid_wunit *done,
				 unsigned max);
void raid_rows_init(struct raid_set *rs);
void raid_rows_destroy(struct raid_set *rs);

/* raid_psync.c: one piece of resync, recovery, check or repair of a
 * parity level: device sectors [s, s + n). */
struct raid_sync_count {
	uint64_t copied, skipped; /* bytes */
	uint64_t mismatches;      /* sectors */
};
int raid_psync_piece(struct raid_set *rs, enum raid_action mode, uint64_t s, uint64_t n, struct raid_sync_count *c);

/* raid_sync.c */
int raid_sync_start(struct raid_set *rs);
void raid_sync_stop(struct raid_set *rs);
/* With rs->lock: what the thread does next (RA_IDLE: nothing). */
enum raid_action raid_next_action(struct raid_set *rs);
/* Wake the thread: something to do may have appeared. */
void raid_sync_kick(struct raid_set *rs);

static inline bool raid_degraded(struct raid_set *rs)
{
	for (unsigned i = 0; i < rs->ndevs; i++)
		if (atomic_load(&rs->legs[i].failed) || !rs->legs[i].in_sync)
			return true;
	return false;
}

/* raid_io.c: the copy of @c[0..n) a read takes (see there; @tried may be
 * NULL), -1: none; one write-like op on leg @l's data device. */
int raid_pick_copy(struct raid_set *rs, const struct raid_copy *c, unsigned n, const bool *tried, bool primary);
int raid_leg_op(struct raid_leg *l, enum raid_op op, const void *buf, size_t len, uint64_t off, unsigned flags);

/* raid_behind.c: write-behind to write_mostly legs of a raid1.  Start
 * the legs' threads (resume; nothing to do without max_write_behind);
 * queue a write of @len bytes at leg offset @off, bitmap range [s, s+n)
 * (false: write it now); wait until leg @leg's queue (-1: every queue) is
 * empty; is one pending; how many writes and bytes wait (metrics); drain
 * and stop the threads (dtr). */
int raid_behind_start(struct raid_set *rs);
bool raid_behind_queue(struct raid_set *rs, unsigned leg, enum raid_op op, const void *buf, uint64_t len,
		       uint64_t off, uint64_t s, uint64_t n, unsigned flags);
void raid_behind_drain(struct raid_set *rs, int leg);
bool raid_behind_pending(struct raid_set *rs, unsigned leg);
void raid_behind_counts(struct raid_set *rs, uint64_t *ios, uint64_t *bytes);
void raid_behind_stop(struct raid_set *rs);

#endif
