/* The sync thread of a raid set: recovery of legs that are not in sync,
 * resync of the array (all of it from resync_offset, or the regions the
 * bitmap marked after an unclean stop), check and repair; and, when idle,
 * the bitmap daemon's lazy clearing every daemon_sleep.
 *
 * It works a region at a time (raid_bm_start_sync holds writes to that
 * region back and waits for those in flight), a piece of at most
 * SYNC_BUF at a time, from the primary: the first copy on a leg in sync.
 * Beyond MD: a piece that reads as a hole (SEEK_HOLE, dev_extents) on the
 * source and on the target is skipped, one that is a hole only on the
 * source becomes write_zeroes; so a new array on sparse files or thin
 * volumes is in sync as fast as its allocated data is copied.
 *
 * Rate: max_recovery_rate bounds it (kB/s); while clients have I/O in
 * flight it pauses between pieces, unless it is behind min_recovery_rate.  Progress goes to the superblocks
 * every CHECKPOINT_SEC and at the end; a stop (suspend, remove) ends it
 * at a piece boundary, and the next activation goes on from there.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "common/mem.h"
#include "io/dev_segs.h"
#include "targets/raid/raid.h"

#define SYNC_BUF (1u << 20)
#define CHECKPOINT_SEC 2
#define CHECK_BLOCK 4096u

struct syncer {
	struct raid_set *rs;
	enum raid_action mode;
	uint8_t *a, *b;
	uint64_t copied, skipped, done; /* bytes */
	uint64_t mismatches;            /* sectors */
	struct timespec start, checkpoint;
};

static uint64_t ns_since(const struct timespec *t)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (uint64_t)(now.tv_sec - t->tv_sec) * 1000000000u + (uint64_t)now.tv_nsec - (uint64_t)t->tv_nsec;
}

static bool is_target(struct raid_set *rs, enum raid_action mode, unsigned i, bool src)
{
	if (src)
		return false;
	switch (mode) {
	case RA_RECOVER:
		return raid_leg_writable(rs, i) && !rs->legs[i].in_sync;
	case RA_RESYNC:
		return raid_leg_writable(rs, i);
	default:
		return raid_leg_readable(rs, i);
	}
}

/* Compare @len bytes at @off of the piece: @src (NULL: zeroes) against
 * the target's; repair rewrites the blocks that differ. */
static int check_range(struct syncer *sy, struct dev *t, uint64_t t_off, const uint8_t *src, bool t_hole,
		       size_t len)
{
	int r = 0;

	if (!t_hole && (r = dev_read(t, sy->b, len, t_off)))
		return r;
	if (t_hole)
		memset(sy->b, 0, len);
	for (size_t p = 0; p < len && !r; p += CHECK_BLOCK) {
		size_t k = len - p < CHECK_BLOCK ? len - p : CHECK_BLOCK;
		bool same = src ? !memcmp(src + p, sy->b + p, k) : mem_is_zero(sy->b + p, k);

		if (same)
			continue;
		sy->mismatches += (k + 511) / 512;
		if (sy->mode == RA_REPAIR)
			r = src ? dev_write(t, src + p, k, t_off + p, 0) : dev_write_zeroes(t, t_off + p, k, 0);
	}
	return r;
}

/* One piece: @n sectors from array sector @s, within one map run. */
static int sync_piece(struct syncer *sy, uint64_t s, uint64_t n)
{
	struct raid_set *rs = sy->rs;
	struct raid_copy c[RAID_MAX_DEVS];
	uint64_t run, len = to_bytes(n), s_off;
	unsigned k = rs->level->map(&rs->g, s, c, &run);
	struct dev_segs S, T;
	struct dev *src;
	int j = -1, r;

	if ((j = raid_pick_copy(rs, c, k, NULL, true)) < 0) /* a leg that is not write_mostly first */
		return -EIO;
	src = rs->legs[c[j].dev].data;
	s_off = to_bytes(c[j].sector);
	dev_segs_of(src, s_off, len, &S);
	for (unsigned x = 0; x < k; x++) {
		unsigned i = c[x].dev;
		struct dev *t;
		uint64_t t_off = to_bytes(c[x].sector);

		if (!is_target(rs, sy->mode, i, (int)x == j))
			continue;
		t = rs->legs[i].data;
		dev_segs_of(t, t_off, len, &T);
		for (uint64_t pos = 0; pos < len;) {
			bool sh, th;
			uint64_t step = dev_segs_step(&S, &T, pos, len, &sh, &th);

			if (sh && th) {
				sy->skipped += step;
			} else if (!sh && (r = dev_read(src, sy->a, step, s_off + pos))) {
				return raid_fail_leg(rs, c[j].dev, r) ? -EAGAIN : r;
			} else {
				if (sy->mode == RA_RECOVER || sy->mode == RA_RESYNC)
					r = sh ? dev_write_zeroes(t, t_off + pos, step, 0)
					       : dev_write(t, sy->a, step, t_off + pos, 0);
				else
					r = check_range(sy, t, t_off + pos, sh ? NULL : sy->a, th, step);
				if (r) {
					raid_fail_leg(rs, i, r);
					break;
				}
				sy->copied += step;
			}
			pos += step;
		}
	}
	return 0;
}

/* Pause as the rate limit and client I/O ask; false: stop now. */
/* How long @bytes take at @rate kB/s, in ns. */
static uint64_t ns_at_rate(uint64_t bytes, uint64_t rate)
{
	return bytes * 1000000u / (rate * 1024u) * 1000u;
}

static bool throttle(struct syncer *sy, uint64_t bytes)
{
	struct raid_set *rs = sy->rs;
	bool stop;

	sy->done += bytes;
	if (rs->max_rate) {
		uint64_t want = ns_at_rate(sy->done, rs->max_rate), got = ns_since(&sy->start);

		if (want > got) {
			uint64_t d = want - got > 100000000u ? 100000000u : want - got;
			struct timespec ts = { 0, (long)d };

			nanosleep(&ts, NULL);
		}
	}
	/* yield to clients, unless that would fall below min_recovery_rate */
	if (atomic_load(&rs->client_io) && !(rs->min_rate && ns_at_rate(sy->done, rs->min_rate) < ns_since(&sy->start))) {
		struct timespec ts = { 0, 500000 };

		nanosleep(&ts, NULL);
	}
	pthread_mutex_lock(&rs->lock);
	stop = rs->stop || rs->frozen || rs->action == RA_IDLE;
	pthread_mutex_unlock(&rs->lock);
	if (!stop && ns_since(&sy->checkpoint) >= CHECKPOINT_SEC * 1000000000ull) {
		raid_meta_store(rs);
		clock_gettime(CLOCK_MONOTONIC, &sy->checkpoint);
	}
	return !stop;
}

/* Region @r in the current mode: 0 done, 1 stopped, -errno. */
static int sync_region(struct syncer *sy, uint64_t r)
{
	struct raid_set *rs = sy->rs;
	uint64_t s = r * rs->region, end = s + rs->region;
	int ret = 0;

	if (end > rs->g.sync_sectors)
		end = rs->g.sync_sectors;
	raid_bm_start_sync(rs, r);
	while (s < end && !ret) {
		struct raid_copy c[RAID_MAX_DEVS];
		uint64_t run, n;

		n = end - s;
		if (n > SYNC_BUF / 512)
			n = SYNC_BUF / 512;
		if (rs->level->parity) {
			struct raid_sync_count k = { 0, 0, 0 };

			ret = raid_psync_piece(rs, sy->mode, s, n, &k);
			sy->copied += k.copied;
			sy->skipped += k.skipped;
			sy->mismatches += k.mismatches;
		} else {
			rs->level->map(&rs->g, s, c, &run);
			if (run < n)
				n = run;
			ret = sync_piece(sy, s, n);
		}
		if (ret == -EAGAIN) {
			ret = 0;
			continue; /* the source failed: the next copy */
		}
		s += n;
		if (!ret && !throttle(sy, to_bytes(n)))
			ret = s < end ? 1 : 0;
	}
	raid_bm_end_sync(rs, r, !ret && sy->mode != RA_CHECK);
	return ret;
}

static void finish(struct raid_set *rs, const char *what, struct syncer *sy)
{
	log_info("raid: %s finished: %" PRIu64 " MiB copied, %" PRIu64 " MiB skipped as holes", what,
		 sy->copied >> 20, sy->skipped >> 20);
	dm_table_event(rs->ti->table);
	raid_meta_store(rs);
}

static void run_recover(struct syncer *sy)
{
	struct raid_set *rs = sy->rs;
	uint64_t from = RAID_MAX_SECTOR, r, nregions = rs->bm.nregions;
	int ret = 0;

	pthread_mutex_lock(&rs->lock);
	for (unsigned i = 0; i < rs->ndevs; i++) {
		struct raid_leg *l = &rs->legs[i];

		if (raid_leg_writable(rs, i) && !l->in_sync) {
			uint64_t o = l->bitmap_guided ? 0 : l->recovery_offset;

			if (o < from)
				from = o;
		}
	}
	rs->progress = from;
	pthread_mutex_unlock(&rs->lock);
	for (r = from / rs->region; r < nregions && ret == 0; r++) {
		bool want = false;

		pthread_mutex_lock(&rs->lock);
		for (unsigned i = 0; i < rs->ndevs; i++) {
			struct raid_leg *l = &rs->legs[i];

			if (raid_leg_writable(rs, i) && !l->in_sync && !l->bitmap_guided &&
			    l->recovery_offset < (r + 1) * rs->region)
				want = true;
		}
		pthread_mutex_unlock(&rs->lock);
		if (!want && !raid_bm_region_needed(rs, r))
			continue;
		ret = sync_region(sy, r);
		pthread_mutex_lock(&rs->lock);
		rs->progress = (r + 1) * rs->region;
		for (unsigned i = 0; !ret && i < rs->ndevs; i++)
			if (!rs->legs[i].in_sync && !rs->legs[i].bitmap_guided)
				rs->legs[i].recovery_offset = rs->progress;
		pthread_mutex_unlock(&rs->lock);
	}
	if (ret)
		return;
	pthread_mutex_lock(&rs->lock);
	for (unsigned i = 0; i < rs->ndevs; i++) {
		struct raid_leg *l = &rs->legs[i];

		if (raid_leg_writable(rs, i) && !l->in_sync) {
			l->in_sync = true;
			l->bitmap_guided = false;
			l->recovery_offset = RAID_MAX_SECTOR;
		}
	}
	pthread_mutex_unlock(&rs->lock);
	finish(rs, "recovery", sy);
}

static void run_resync(struct syncer *sy)
{
	struct raid_set *rs = sy->rs;
	uint64_t from, r, regions = 0;
	bool full;
	int ret = 0;

	pthread_mutex_lock(&rs->lock);
	full = rs->resync_offset != RAID_MAX_SECTOR;
	from = full ? rs->resync_offset : 0;
	rs->progress = from;
	pthread_mutex_unlock(&rs->lock);
	for (r = from / rs->region; r < rs->bm.nregions && ret == 0; r++) {
		if (!full && !raid_bm_region_needed(rs, r))
			continue;
		ret = sync_region(sy, r);
		regions++;
		pthread_mutex_lock(&rs->lock);
		rs->progress = (r + 1) * rs->region;
		if (full && !ret)
			rs->resync_offset = rs->progress;
		pthread_mutex_unlock(&rs->lock);
	}
	if (ret)
		return;
	pthread_mutex_lock(&rs->lock);
	rs->resync_offset = RAID_MAX_SECTOR;
	pthread_mutex_unlock(&rs->lock);
	log_info("raid: resync of %" PRIu64 " regions of %u sectors (%s)", regions, rs->region,
		 full ? "all of the array" : "those the bitmap marked");
	finish(rs, "resync", sy);
}

static void run_check(struct syncer *sy)
{
	struct raid_set *rs = sy->rs;
	int ret = 0;

	for (uint64_t r = 0; r < rs->bm.nregions && ret == 0; r++) {
		ret = sync_region(sy, r);
		pthread_mutex_lock(&rs->lock);
		rs->progress = (r + 1) * rs->region;
		rs->mismatches = sy->mismatches;
		pthread_mutex_unlock(&rs->lock);
	}
	pthread_mutex_lock(&rs->lock);
	rs->last = sy->mode;
	rs->mismatches = sy->mismatches;
	pthread_mutex_unlock(&rs->lock);
	log_info("raid: %s %s: %" PRIu64 " sectors differ between legs", sy->mode == RA_CHECK ? "check" : "repair",
		 ret ? "stopped" : "finished", sy->mismatches);
	dm_table_event(rs->ti->table);
}

enum raid_action raid_next_action(struct raid_set *rs)
{
	bool recover = false, source = false;

	if (rs->frozen)
		return RA_IDLE;
	if (rs->action == RA_CHECK || rs->action == RA_REPAIR)
		return rs->action;
	for (unsigned i = 0; i < rs->ndevs; i++) {
		recover |= raid_leg_writable(rs, i) && !rs->legs[i].in_sync;
		source |= raid_leg_readable(rs, i);
	}
	if (recover && source)
		return RA_RECOVER;
	if (rs->resync_offset != RAID_MAX_SECTOR || rs->bm.needed)
		return source && !raid_degraded(rs) ? RA_RESYNC : RA_IDLE;
	return RA_IDLE;
}

static void *sync_main(void *arg)
{
	struct raid_set *rs = arg;
	struct syncer sy = { .rs = rs };

	sy.a = malloc(SYNC_BUF);
	sy.b = malloc(SYNC_BUF);
	pthread_mutex_lock(&rs->lock);
	while (!rs->stop && sy.a && sy.b) {
		enum raid_action a = raid_next_action(rs);

		if (a == RA_IDLE) {
			int w;

			rs->action = RA_IDLE;
			w = cond_wait_ms(&rs->cond, &rs->lock, rs->daemon_sleep_ms);
			if (w == ETIMEDOUT && !rs->stop) {
				pthread_mutex_unlock(&rs->lock);
				raid_bm_clear_idle(rs, false);
				pthread_mutex_lock(&rs->lock);
			}
			continue;
		}
		rs->action = a;
		pthread_mutex_unlock(&rs->lock);
		sy.mode = a;
		sy.copied = sy.skipped = sy.done = sy.mismatches = 0;
		clock_gettime(CLOCK_MONOTONIC, &sy.start);
		sy.checkpoint = sy.start;
		if (a == RA_RECOVER)
			run_recover(&sy);
		else if (a == RA_RESYNC)
			run_resync(&sy);
		else
			run_check(&sy);
		pthread_mutex_lock(&rs->lock);
		if (rs->action == a)
			rs->action = RA_IDLE;
	}
	rs->action = RA_IDLE;
	pthread_mutex_unlock(&rs->lock);
	free(sy.a);
	free(sy.b);
	return NULL;
}

int raid_sync_start(struct raid_set *rs)
{
	int r;

	if (rs->thread_running)
		return 0;
	rs->stop = false;
	r = -pthread_create(&rs->thread, NULL, sync_main, rs);
	rs->thread_running = !r;
	return r;
}

void raid_sync_stop(struct raid_set *rs)
{
	if (!rs || !rs->thread_running)
		return;
	pthread_mutex_lock(&rs->lock);
	rs->stop = true;
	pthread_cond_broadcast(&rs->cond);
	pthread_mutex_unlock(&rs->lock);
	pthread_join(rs->thread, NULL);
	rs->thread_running = false;
}

void raid_sync_kick(struct raid_set *rs)
{
	pthread_mutex_lock(&rs->lock);
	pthread_cond_broadcast(&rs->cond);
	pthread_mutex_unlock(&rs->lock);
}
