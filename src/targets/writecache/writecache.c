/* writecache s <origin> <cache> <block_size> <#opt> [<opt>...]
 *
 * The kernel's dm-writecache (drivers/md/dm-writecache.c, target version
 * 1.6.0; Documentation/admin-guide/device-mapper/writecache.rst) in SSD
 * mode: writes of whole blocks land in free blocks of the cache device
 * and are acknowledged from there; reads of cached blocks come from the
 * cache, the rest from the origin; a background thread writes the oldest
 * blocks back to the origin when the cache fills past high_watermark, down
 * to low_watermark.  The cache device holds the kernel's superblock and
 * entries (writecache_format.h), so a cache written here activates under
 * the kernel and the other way round.  pmem mode ("p") is refused.
 *
 * Options, as the kernel's: start_sector, high_watermark, low_watermark,
 * writeback_jobs, autocommit_blocks, autocommit_time, max_age, cleaner,
 * metadata_only, pause_writeback (fua and nofua are pmem-only there, and
 * refused; NBD requests never carry the kernel's REQ_META, so with
 * metadata_only no new block is cached, only cached ones rewritten in
 * place); plus ulvm's own sequential_cutoff <bytes> (default 4 MiB, 0
 * turns it off): writes that continue a sequential stream longer than
 * that go to the origin, as bcache's sequential_cutoff, so a large copy
 * does not push the hot blocks out (writecache_io.c).  The table prints
 * back what was given, in the kernel's order, sequential_cutoff last.
 * Messages: flush, flush_on_suspend, cleaner, clear_stats.  Status: error
 * blocks free writeback, then the kernel's ten counters.
 *
 * Invariants:
 *  - every mapped entry is in the hash under its origin block, newest
 *    first; the LRU holds the mapped entries not in writeback, newest
 *    first, so the uncommitted ones (seq_count == the superblock's next)
 *    are a prefix of it;
 *  - an entry is free iff its freemap bit is set; freelist_size counts
 *    them; a freed entry's cleared seq_count reaches the disk
 *    (wc_commit_flushed) before the lock is dropped, so a block can only
 *    be reused once no committed entry on disk points at it;
 *  - at most two copies of a block: one in writeback (or claimed by a
 *    write going around the cache), one newer.
 *
 * Locks (writecache.h): one mutex over all of this, held across metadata
 * I/O as the kernel's wc->lock, never across a client's data I/O; client
 * I/O on the cache is counted in flight under it, and whoever frees,
 * commits or writes back waits for that count with the mutex held, so no
 * new I/O can be mapped meanwhile.
 *
 * Crash consistency, the kernel's argument: an entry counts only when
 * committed, i.e. when its seq_count is below the superblock's.  A commit
 * writes the entries, waits for the data writes in flight and flushes the
 * cache device, and only then writes the superblock with seq_count + 1
 * (FUA): committed entries always point at data that is on the device.  A
 * flush (and a FUA write, and autocommit) commits, and flushes the origin
 * for what went around the cache, so every write acknowledged before a
 * completed flush is found after a crash, in the cache or on the origin.
 * Writeback copies, flushes the origin, then clears the entries: a crash
 * in between finds them again, the same data in both places.  Replay at
 * activation drops uncommitted entries and keeps the newest committed copy
 * of each block.
 *
 * Lifecycle: ctr checks the table and formats a blank device (a first
 * block of zeroes; anything else must be a valid superblock, and is then
 * left untouched if it is not); preresume reads and replays the
 * metadata; resume starts the thread; postsuspend stops it and commits
 * (and writes everything back after flush_on_suspend or cleaner).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "common/mem.h"
#include "targets/registry.h"
#include "targets/writecache/writecache.h"
#include "targets/writecache/writecache_format.h"

#define MAX_OPT_ARGS 20 /* the kernel's 18, with sequential_cutoff */

static void wc_destroy(struct wc *wc)
{
	if (!wc)
		return;
	wc_thread_stop(wc);
	wc_free_state(wc);
	free(wc->wb_buf);
	pthread_mutex_destroy(&wc->lock);
	pthread_cond_destroy(&wc->cond);
	pthread_cond_destroy(&wc->free_cond);
	pthread_mutex_destroy(&wc->io_lock);
	pthread_cond_destroy(&wc->io_cond);
	for (unsigned i = 0; i < WC_STRIPES; i++)
		pthread_mutex_destroy(&wc->stripe[i]);
	free(wc);
}

static struct wc *wc_new(void)
{
	struct wc *wc = calloc(1, sizeof(*wc));
	pthread_condattr_t ca;

	if (!wc)
		return NULL;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_mutex_init(&wc->lock, NULL);
	pthread_cond_init(&wc->cond, &ca);
	pthread_cond_init(&wc->free_cond, NULL);
	pthread_mutex_init(&wc->io_lock, NULL);
	pthread_cond_init(&wc->io_cond, NULL);
	pthread_condattr_destroy(&ca);
	for (unsigned i = 0; i < WC_STRIPES; i++)
		pthread_mutex_init(&wc->stripe[i], NULL);
	atomic_init(&wc->inflight[WC_READ], 0);
	atomic_init(&wc->inflight[WC_WRITE], 0);
	atomic_init(&wc->origin_inflight, 0);
	atomic_init(&wc->origin_dirty, false);
	atomic_init(&wc->origin_idle_since, 0);
	wc->high_wm = 50;
	wc->low_wm = 45;
	wc->writeback_jobs = 65536; /* the kernel's: 256 MiB of pages, at most */
	wc->autocommit_blocks = 65536;
	wc->autocommit_ms = 1000;
	wc->pause_ms = 3000;
	wc->seq_cutoff = WC_DEFAULT_CUTOFF;
	wc->suspended = true;
	return wc;
}

/* A device from the table, its lookup failure named as the kernel does. */
static int get_dev(struct dm_target *ti, const char *path, const char *what, struct dev **out)
{
	char why[256];
	int r = dm_get_device(ti, path, out);

	if (r) {
		snprintf(why, sizeof(why), "%s", ti->error ? ti->error : strerror(-r));
		dm_target_set_error(ti, "%s device lookup failed: %s", what, why);
	}
	return r;
}

/* A number option's value in [0, @max]. */
static int opt_u32(struct arg_set *as, uint32_t *n, uint32_t max, uint32_t *out)
{
	uint32_t v;

	if (!*n || parse_u32(arg_shift(as), &v) || v > max)
		return -EINVAL;
	(*n)--;
	*out = v;
	return 0;
}

static int parse_opts(struct wc *wc, struct dm_target *ti, struct arg_set *as)
{
	uint32_t n, v = 0;

	if (!as->argc)
		return 0;
	if (arg_u32(as, 0, MAX_OPT_ARGS, &n)) {
		ti->error = "Invalid number of feature args";
		return -EINVAL;
	}
	if (n > (uint32_t)as->argc) {
		ti->error = "Not enough arguments for the optional parameters";
		return -EINVAL;
	}
	while (n--) {
		const char *o = arg_shift(as);
		int r = 0;

		if (!strcasecmp(o, "start_sector") && n) {
			n--;
			r = parse_u64(arg_shift(as), &wc->start_sector) ||
			    wc->start_sector >= to_sectors(wc->cache->size) ? -EINVAL : 0;
			wc->start_sector_set = true;
		} else if (!strcasecmp(o, "high_watermark")) {
			r = opt_u32(as, &n, 100, &v);
			wc->high_wm = v;
			wc->high_wm_set = true;
		} else if (!strcasecmp(o, "low_watermark")) {
			r = opt_u32(as, &n, 100, &v);
			wc->low_wm = v;
			wc->low_wm_set = true;
		} else if (!strcasecmp(o, "writeback_jobs")) {
			r = opt_u32(as, &n, UINT32_MAX, &wc->writeback_jobs);
			wc->jobs_set = true;
		} else if (!strcasecmp(o, "autocommit_blocks")) {
			r = opt_u32(as, &n, UINT32_MAX, &wc->autocommit_blocks);
			wc->autocommit_blocks_set = true;
		} else if (!strcasecmp(o, "autocommit_time")) {
			r = opt_u32(as, &n, 3600000, &wc->autocommit_ms);
			wc->autocommit_time_set = true;
		} else if (!strcasecmp(o, "max_age")) {
			r = opt_u32(as, &n, 86400000, &wc->max_age_ms);
			wc->max_age_set = true;
		} else if (!strcasecmp(o, "cleaner")) {
			wc->cleaner_set = wc->cleaner = true;
		} else if (!strcasecmp(o, "metadata_only")) {
			wc->metadata_only = true;
		} else if (!strcasecmp(o, "pause_writeback")) {
			r = opt_u32(as, &n, 60000, &wc->pause_ms);
			wc->pause_set = true;
		} else if (!strcasecmp(o, "sequential_cutoff") && n) {
			n--;
			r = parse_size(arg_shift(as), &wc->seq_cutoff) ? -EINVAL : 0;
			wc->seq_cutoff_set = true;
		} else {
			r = -EINVAL; /* fua and nofua too: the kernel takes them in pmem mode only */
		}
		if (r) {
			dm_target_set_error(ti, "Invalid optional argument: %s", o);
			return -EINVAL;
		}
	}
	return 0;
}

/* The superblock: format a blank device, check what is there. */
static int open_cache(struct wc *wc, struct dm_target *ti)
{
	uint64_t area = wc->cache->size - to_bytes(wc->start_sector), n, mb;
	_Alignas(4096) uint8_t blk[WCF_MAX_BLOCK];
	const char *why = NULL;
	struct wcf_sb sb;
	int r;

	wc->base = to_bytes(wc->start_sector);
	if (wcf_layout(area, wc->block_size, &n, &mb)) {
		ti->error = "Invalid device size (the cache device is too small)";
		return -ENOSPC;
	}
	if ((r = dev_read(wc->cache, blk, wc->block_size, wc->base))) {
		ti->error = "Unable to read first block of metadata";
		return r;
	}
	if (mem_is_zero(blk, wc->block_size)) {
		if ((r = wc_format(wc, area, &why)) ||
		    (r = dev_read(wc->cache, blk, wc->block_size, wc->base))) {
			ti->error = why ? why : "Unable to read first block of metadata";
			return r;
		}
	}
	wcf_sb_decode(blk, &sb);
	if ((r = wcf_sb_check(&sb, wc->block_size, area, &wc->meta_bytes, &why))) {
		ti->error = why;
		return r;
	}
	if (sb.n_blocks > WCF_MAX_BLOCKS) {
		ti->error = "Invalid device size (more blocks than ulvm can index)";
		return -EFBIG;
	}
	wc->n_blocks = sb.n_blocks;
	return 0;
}

static int wc_ctr(struct dm_target *ti, struct arg_set *as)
{
	struct wc *wc = wc_new();
	const char *mode, *origin, *cache, *bs;
	int r = -EINVAL;

	if (!wc) {
		ti->error = "Cannot allocate writecache structure";
		return -ENOMEM;
	}
	wc->ti = ti;
	ti->private = wc;
	if (as->argc < 4) {
		ti->error = "Bad arguments (s <origin> <cache> <block_size> [<#opt> <opt>...])";
		goto fail;
	}
	mode = arg_shift(as);
	origin = arg_shift(as);
	cache = arg_shift(as);
	bs = arg_shift(as);
	if (!strcasecmp(mode, "p")) {
		ti->error = "pmem mode is not supported";
		r = -EOPNOTSUPP;
		goto fail;
	}
	if (strcasecmp(mode, "s")) {
		dm_target_set_error(ti, "Invalid cache mode %s (s)", mode);
		goto fail;
	}
	if ((r = get_dev(ti, origin, "Origin data", &wc->origin)) || (r = get_dev(ti, cache, "Cache data", &wc->cache)))
		goto fail;
	r = -EINVAL;
	if (wc->origin == wc->cache) {
		ti->error = "The origin and the cache are the same device";
		goto fail;
	}
	if (parse_u32(bs, &wc->block_size) || wc->block_size < WCF_MIN_BLOCK || wc->block_size > WCF_MAX_BLOCK ||
	    !is_pow2_u64(wc->block_size)) {
		ti->error = "Invalid block size (512 to 4096, a power of two)";
		goto fail;
	}
	if (wc->block_size < wc->origin->block_size || wc->block_size < wc->cache->block_size) {
		ti->error = "Block size is smaller than device logical block size";
		goto fail;
	}
	wc->block_shift = (unsigned)__builtin_ctz(wc->block_size);
	wc->sec_shift = wc->block_shift - SECTOR_SHIFT;
	if ((r = parse_opts(wc, ti, as)))
		goto fail;
	r = -EINVAL;
	if (as->argc) {
		ti->error = "Too many arguments";
		goto fail;
	}
	if (wc->high_wm < wc->low_wm) {
		ti->error = "High watermark must be greater than or equal to low watermark";
		goto fail;
	}
	if ((r = open_cache(wc, ti)))
		goto fail;
	wc->high_free = (wc->n_blocks * (100 - wc->high_wm) + 50) / 100;
	wc->low_free = (wc->n_blocks * (100 - wc->low_wm) + 50) / 100;
	if (wc->cleaner)
		wc_activate_cleaner(wc);
	if ((r = wc_alloc_state(wc)) || !(wc->wb_buf = aligned_alloc(4096, (size_t)256 << wc->block_shift))) {
		ti->error = "Cannot allocate memory";
		r = -ENOMEM;
		goto fail;
	}
	return 0;
fail:
	wc_destroy(wc);
	ti->private = NULL;
	return r;
}

static void wc_dtr(struct dm_target *ti)
{
	wc_destroy(ti->private);
}

static int wc_preresume(struct dm_target *ti)
{
	struct wc *wc = ti->private;
	const char *why = NULL;
	int r = 0;

	if (!wc->loaded && (r = wc_load(wc, &why)))
		ti->error = why;
	return r;
}

static void wc_resume(struct dm_target *ti)
{
	struct wc *wc = ti->private;

	pthread_mutex_lock(&wc->lock);
	wc->suspended = false;
	wc->max_age_tick = clock_ms() + wc->max_age_ms / 16;
	wc_verify_watermark(wc);
	pthread_mutex_unlock(&wc->lock);
	if (wc_thread_start(wc))
		log_warn("writecache: cannot start the writeback thread: blocks are committed and written back "
			 "only by flushes and messages");
}

static void wc_postsuspend(struct dm_target *ti)
{
	struct wc *wc = ti->private;

	wc_thread_stop(wc);
	pthread_mutex_lock(&wc->lock);
	if (wc->loaded) {
		wc_commit(wc);
		if (wc->flush_on_suspend) {
			wc->flush_on_suspend = false;
			wc_writeback_all(wc);
		}
	}
	wc->suspended = true;
	pthread_mutex_unlock(&wc->lock);
}

static void wc_status(struct dm_target *ti, enum status_type type, char *buf, size_t maxlen)
{
	struct wc *wc = ti->private;
	const struct wc_stats *s = &wc->stats;
	unsigned extra;

	pthread_mutex_lock(&wc->lock);
	if (type == STATUSTYPE_INFO) {
		/* the kernel prints writecache_has_error(): 0 or 1 */
		dm_emit(buf, maxlen,
			"%d %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64
			" %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64,
			wc->error != 0, wc->n_blocks, wc->freelist_size, wc->writeback_size, s->reads, s->read_hits,
			s->writes, s->write_hits_uncommitted, s->write_hits_committed, s->writes_around,
			s->writes_allocate, s->writes_blocked_on_freelist, s->flushes, s->discards);
		pthread_mutex_unlock(&wc->lock);
		return;
	}
	extra = 2 * (wc->start_sector_set + wc->high_wm_set + wc->low_wm_set + wc->jobs_set +
		     wc->autocommit_blocks_set + wc->autocommit_time_set + wc->max_age_set + wc->pause_set +
		     wc->seq_cutoff_set) + wc->cleaner_set + wc->metadata_only;
	dm_emit(buf, maxlen, "s %s %s %u %u", dm_device_name(ti, wc->origin), dm_device_name(ti, wc->cache),
		wc->block_size, extra);
	if (wc->start_sector_set)
		dm_emit(buf, maxlen, " start_sector %" PRIu64, wc->start_sector);
	if (wc->high_wm_set)
		dm_emit(buf, maxlen, " high_watermark %u", wc->high_wm);
	if (wc->low_wm_set)
		dm_emit(buf, maxlen, " low_watermark %u", wc->low_wm);
	if (wc->jobs_set)
		dm_emit(buf, maxlen, " writeback_jobs %u", wc->writeback_jobs);
	if (wc->autocommit_blocks_set)
		dm_emit(buf, maxlen, " autocommit_blocks %u", wc->autocommit_blocks);
	if (wc->autocommit_time_set)
		dm_emit(buf, maxlen, " autocommit_time %u", wc->autocommit_ms);
	if (wc->max_age_set)
		dm_emit(buf, maxlen, " max_age %u", wc->max_age_ms);
	if (wc->cleaner_set)
		dm_emit(buf, maxlen, " cleaner");
	if (wc->metadata_only)
		dm_emit(buf, maxlen, " metadata_only");
	if (wc->pause_set)
		dm_emit(buf, maxlen, " pause_writeback %u", wc->pause_ms);
	if (wc->seq_cutoff_set)
		dm_emit(buf, maxlen, " sequential_cutoff %" PRIu64, wc->seq_cutoff);
	pthread_mutex_unlock(&wc->lock);
}

/* flush: commit, then write every block back (the kernel's
 * process_flush_mesg waits for the writeback work to finish). */
static int flush_msg(struct wc *wc, struct dm_target *ti)
{
	uint64_t mine;
	int r;

	pthread_mutex_lock(&wc->lock);
	if (wc->suspended) {
		pthread_mutex_unlock(&wc->lock);
		ti->error = "the device is suspended";
		return -EBUSY;
	}
	if (!wc->error)
		wc_commit(wc);
	if (!wc->error && !wc->thread_running) {
		wc_writeback_all(wc);
	} else if (!wc->error) {
		mine = ++wc->pass_req;
		pthread_cond_broadcast(&wc->cond);
		while (wc->pass_done < mine && !wc->error)
			pthread_cond_wait(&wc->cond, &wc->lock);
	}
	r = wc->error ? -EIO : 0;
	pthread_mutex_unlock(&wc->lock);
	if (r)
		ti->error = "the cache has had an I/O error";
	return r;
}

static int wc_message(struct dm_target *ti, int argc, char **argv, char *result, size_t maxlen)
{
	struct wc *wc = ti->private;

	(void)result;
	(void)maxlen;
	if (argc != 1) {
		ti->error = "the writecache messages take no arguments";
		return -EINVAL;
	}
	if (!strcasecmp(argv[0], "flush"))
		return flush_msg(wc, ti);
	pthread_mutex_lock(&wc->lock);
	if (!strcasecmp(argv[0], "flush_on_suspend")) {
		wc->flush_on_suspend = true;
	} else if (!strcasecmp(argv[0], "cleaner")) {
		wc_activate_cleaner(wc);
		wc_verify_watermark(wc);
	} else if (!strcasecmp(argv[0], "clear_stats")) {
		memset(&wc->stats, 0, sizeof(wc->stats));
	} else {
		pthread_mutex_unlock(&wc->lock);
		dm_target_set_error(ti, "unrecognised message received: %s", argv[0]);
		return -EINVAL;
	}
	pthread_mutex_unlock(&wc->lock);
	return 0;
}

static int wc_iterate_devices(struct dm_target *ti, iterate_devices_fn fn, void *data)
{
	struct wc *wc = ti->private;
	int r = fn(ti, wc->origin, 0, to_bytes(ti->len), data);

	return r ? r : fn(ti, wc->cache, wc->base, wc->meta_bytes + (wc->n_blocks << wc->block_shift), data);
}

const struct target_type writecache_target = {
	.name = "writecache",
	.version = { 1, 6, 0 },
	.ctr = wc_ctr,
	.dtr = wc_dtr,
	.read = wc_read,
	.write = wc_write,
	.flush = wc_flush,
	.discard = wc_discard,
	.status = wc_status,
	.message = wc_message,
	.iterate_devices = wc_iterate_devices,
	.preresume = wc_preresume,
	.resume = wc_resume,
	.postsuspend = wc_postsuspend,
};
