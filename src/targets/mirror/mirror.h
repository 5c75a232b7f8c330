/* The mirror target family: mirror.c (table, status, lifecycle),
 * mirror_io.c (client I/O and recovery), log.c (the dirty region log
 * every log type shares) and one file per log type (log_core.c,
 * log_disk.c), registered in mirror_log_types[] (log.c).
 *
 * Locks: ms->lock covers the regions' state (writes in flight, recovery),
 * the legs' error state, the default mirror and the log's bits; log->io
 * serialises writes of the disk log and nests outside ms->lock (a flush
 * copies the bits under ms->lock, then writes them with only log->io).
 * No lock is held across data I/O.
 */
#ifndef ULVM_TARGETS_MIRROR_H
#define ULVM_TARGETS_MIRROR_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "dm/target.h"

#define MIRROR_MAX_LEGS 9 /* the kernel's MAX_NR_MIRRORS */

/* why a leg failed, in the order the status line reports them */
#define MERR_FLUSH (1u << 0) /* F */
#define MERR_WRITE (1u << 1) /* D */
#define MERR_SYNC  (1u << 2) /* S */
#define MERR_READ  (1u << 3) /* R */

struct mirror_leg {
	struct dev *dev;
	uint64_t offset;    /* sectors */
	unsigned errors;    /* MERR_* (ms->lock) */
	atomic_uint error_count;
};

enum log_sync { LOG_DEFAULTSYNC, LOG_NOSYNC, LOG_FORCESYNC };

struct mirror_log;

/* A dirty log type (the kernel's struct dm_dirty_log_type).  The shared
 * part (log.c) parses <#log_args>, the region size and [no]sync and keeps
 * the bits; a type adds its own arguments and where the bits live. */
struct mirror_log_type {
	const char *name;
	unsigned dev_args;  /* arguments before <region_size> */
	/* Take the type's arguments (@argv[0 .. dev_args - 1]). */
	int (*ctr)(struct mirror_log *log, struct dm_target *ti, char **argv);
	void (*dtr)(struct mirror_log *log);
	/* At resume: the clean bits from where they are kept (or
	 * -ENODATA: none yet), 0 or -errno. */
	int (*load)(struct mirror_log *log);
	/* Write log->shadow and the header (with log->io); 0 or -errno. */
	int (*store)(struct mirror_log *log);
	/* Its part of the status line after the mirror's (INFO) or at the
	 * start of the table (TABLE, the shared part adds region and sync). */
	void (*status_info)(struct mirror_log *log, struct dm_target *ti, char *buf, size_t maxlen);
	void (*table_args)(struct mirror_log *log, struct dm_target *ti, char *buf, size_t maxlen);
};

struct mirror_log {
	const struct mirror_log_type *type;
	uint32_t region;          /* sectors, a power of two */
	uint64_t nregions;
	enum log_sync sync;
	uint32_t *clean, *insync; /* bitsets: no write in flight / copies agree */
	uint32_t *shadow;         /* the clean bits as store() writes them */
	uint32_t *ondisk;         /* the clean bits of the last store() that completed */
	size_t words;             /* 32-bit words of each */
	uint64_t sync_count;
	bool touched_dirtied, touched_cleaned;
	pthread_mutex_t io;
	void *priv;               /* the type's */
};

/* regions' in-memory state: writes in flight, and RECOVERING */
#define MREG_COUNT      0x7fffu
#define MREG_RECOVERING 0x8000u

struct mirror_set {
	struct dm_target *ti;
	unsigned nlegs;
	struct mirror_leg legs[MIRROR_MAX_LEGS];
	unsigned default_leg;
	bool handle_errors, keep_log;
	struct mirror_log log;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint16_t *regions;
	bool in_sync;             /* every region copied (an event when it becomes so) */
	bool loaded;
	pthread_t thread;
	bool thread_running, stop;
	atomic_uint client_io;    /* client requests in flight, with reads on the
				   * caller's ring or pipe (mirror_map_read to
				   * mirror_map_end): recovery yields */
};

/* log.c */
int mirror_log_ctr(struct mirror_log *log, struct dm_target *ti, struct arg_set *as);
void mirror_log_dtr(struct mirror_log *log);
/* At resume: bits from the log device, or as [no]sync asks. */
int mirror_log_resume(struct mirror_set *ms);
void mirror_log_table(struct mirror_log *log, struct dm_target *ti, char *buf, size_t maxlen);
/* Bits, with ms->lock. */
bool mirror_log_test(const uint32_t *bits, uint64_t r);
void mirror_log_mark(struct mirror_log *log, uint64_t r);  /* a write starts: not clean */
/* Region @r is dirty in memory but clean in the log as last stored: a
 * write to it waits for a flush (whoever dirtied it). */
bool mirror_log_unstored(const struct mirror_log *log, uint64_t r);
void mirror_log_clear(struct mirror_log *log, uint64_t r); /* writes ended: clean */
void mirror_log_set_sync(struct mirror_log *log, uint64_t r, bool in_sync);
/* Make what was marked or cleared durable (cleared bits only after the
 * legs are flushed); without ms->lock. */
int mirror_log_flush(struct mirror_set *ms);

/* mirror_io.c */
int mirror_read(struct dm_target *ti, void *buf, size_t len, uint64_t off);
int mirror_map_read(struct dm_target *ti, uint64_t off, uint64_t len, struct dm_remap *out);
void mirror_map_end(struct dm_target *ti);
int mirror_write(struct dm_target *ti, const void *buf, size_t len, uint64_t off, unsigned flags);
int mirror_flush(struct dm_target *ti);
int mirror_discard(struct dm_target *ti, uint64_t off, uint64_t len);
int mirror_write_zeroes(struct dm_target *ti, uint64_t off, uint64_t len, unsigned flags);
int mirror_recovery_start(struct mirror_set *ms);
void mirror_recovery_stop(struct mirror_set *ms);
/* Leg @i had an error of kind @kind (MERR_*), with ms->lock. */
void mirror_fail_leg(struct mirror_set *ms, unsigned i, unsigned kind);

extern const struct mirror_log_type mirror_log_core, mirror_log_disk;

#endif
