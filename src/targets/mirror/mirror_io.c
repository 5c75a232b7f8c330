/* Client I/O and recovery of a mirror (mirror.h).
 *
 * Requests are cut at region boundaries, as the kernel sets max_io_len
 * to the region size.  A write to a region in sync marks it in the log
 * (durable before any leg is written, log.c), goes to every leg that has
 * not failed, and leaves the region dirty; the recovery thread cleans
 * idle dirty regions once a second (the kernel's rh update cycle).  A
 * write to a region out of sync goes to the default mirror only; the
 * recovery copies it later.  A region being recovered holds writes back.
 *
 * Recovery makes one pass per activation over the regions out of sync,
 * as the kernel's get_resync_work does: each is copied from the default
 * mirror to the other legs (holes skipped), then marked in sync and
 * clean.  A region whose copy fails stays out of sync until the next
 * activation.  The pass yields to client requests.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/clock.h"
#include "common/log.h"
#include "io/dev_segs.h"
#include "targets/mirror/mirror.h"

#define COPY_BUF (1u << 20)
#define CLEAN_INTERVAL_MS 1000

enum mop { MOP_WRITE, MOP_ZEROES, MOP_DISCARD };

static bool leg_ok(const struct mirror_set *ms, unsigned i)
{
	return !atomic_load(&ms->legs[i].error_count);
}

void mirror_fail_leg(struct mirror_set *ms, unsigned i, unsigned kind)
{
	struct mirror_leg *l = &ms->legs[i];
	bool first = !(l->errors & kind);

	atomic_fetch_add(&l->error_count, 1);
	l->errors |= kind;
	if (!first)
		return;
	if (!ms->handle_errors) { /* as the kernel: noted in the status line, nothing else */
		log_warn("mirror: %s: I/O error (no handle_errors: the leg stays in use)", dm_device_name(ms->ti, l->dev));
		return;
	}
	log_warn("mirror: %s: %s error", dm_device_name(ms->ti, l->dev),
		 kind == MERR_FLUSH ? "flush" : kind == MERR_WRITE ? "write" : kind == MERR_SYNC ? "sync" : "read");
	if (i == ms->default_leg) {
		for (unsigned j = 0; j < ms->nlegs; j++)
			if (leg_ok(ms, j)) {
				if (!ms->in_sync)
					log_warn("mirror: the primary leg failed while the mirror is out of sync");
				ms->default_leg = j;
				break;
			}
	}
	dm_table_event(ms->ti->table);
}

static uint64_t region_of(const struct mirror_set *ms, uint64_t off)
{
	return (off >> SECTOR_SHIFT) / ms->log.region;
}

/* Bytes from @off to the end of its region (at most @len). */
static size_t region_piece(const struct mirror_set *ms, uint64_t off, uint64_t len)
{
	uint64_t end = to_bytes((region_of(ms, off) + 1) * ms->log.region);

	return (size_t)(end - off < len ? end - off : len);
}

/* The leg to read region @r from (ms->lock), or -1. */
static int choose_leg(struct mirror_set *ms, uint64_t r, unsigned tried)
{
	unsigned d = ms->default_leg;

	if (!mirror_log_test(ms->log.insync, r))
		return tried & (1u << d) ? -1 : (int)d;
	for (unsigned k = 0; k < ms->nlegs; k++) {
		unsigned i = (d + ms->nlegs - k) % ms->nlegs; /* the kernel looks backwards */

		if (leg_ok(ms, i) && !(tried & (1u << i)))
			return (int)i;
	}
	return -1;
}

int mirror_read(struct dm_target *ti, void *buf, size_t len, uint64_t off)
{
	struct mirror_set *ms = ti->private;
	char *p = buf;
	int r = 0;

	atomic_fetch_add(&ms->client_io, 1);
	while (len && !r) {
		size_t n = region_piece(ms, off, len);
		uint64_t reg = region_of(ms, off);
		unsigned tried = 0;
		int i;

		for (r = -EIO;;) {
			pthread_mutex_lock(&ms->lock);
			i = choose_leg(ms, reg, tried);
			pthread_mutex_unlock(&ms->lock);
			if (i < 0)
				break;
			tried |= 1u << i;
			r = dev_read(ms->legs[i].dev, p, n, to_bytes(ms->legs[i].offset) + off);
			if (!r)
				break;
			pthread_mutex_lock(&ms->lock);
			mirror_fail_leg(ms, (unsigned)i, MERR_READ);
			pthread_mutex_unlock(&ms->lock);
		}
		p += n;
		off += n;
		len -= n;
	}
	atomic_fetch_sub(&ms->client_io, 1);
	return r;
}

/* Where a read lies, for a caller with its own ring or pipe (target.h):
 * the default mirror, which holds every region's latest data (a region
 * out of sync is written there only) and is the leg choose_leg tries
 * first, while it has not failed.  A transfer that fails is redone by
 * mirror_read, which fails the leg over.  In flight until mirror_map_end,
 * as client_io counts mirror_read, so that the recovery yields to it. */
int mirror_map_read(struct dm_target *ti, uint64_t off, uint64_t len, struct dm_remap *out)
{
	struct mirror_set *ms = ti->private;
	unsigned d;

	if (pthread_mutex_trylock(&ms->lock))
		return -ENOTSUP;
	d = ms->default_leg;
	pthread_mutex_unlock(&ms->lock);
	if (!leg_ok(ms, d))
		return -ENOTSUP;
	atomic_fetch_add(&ms->client_io, 1);
	out->dev = ms->legs[d].dev;
	out->off = to_bytes(ms->legs[d].offset) + off;
	out->len = len;
	return 0;
}

void mirror_map_end(struct dm_target *ti)
{
	struct mirror_set *ms = ti->private;

	atomic_fetch_sub(&ms->client_io, 1);
}

static int leg_op(struct mirror_leg *l, enum mop op, const void *buf, size_t n, uint64_t off, unsigned flags)
{
	uint64_t at = to_bytes(l->offset) + off;

	switch (op) {
	case MOP_WRITE:
		return dev_write(l->dev, buf, n, at, flags);
	case MOP_ZEROES:
		return dev_write_zeroes(l->dev, at, n, flags);
	default:
		return dev_discard(l->dev, at, n);
	}
}

/* One region's piece of a write. */
static int write_piece(struct mirror_set *ms, enum mop op, const void *buf, size_t n, uint64_t off,
		       unsigned flags)
{
	uint64_t reg = region_of(ms, off);
	unsigned failed = 0, ok = 0, only = UINT32_MAX;
	bool in_sync, flush;
	int r = 0, last = 0;

	pthread_mutex_lock(&ms->lock);
	while (ms->regions[reg] & MREG_RECOVERING)
		pthread_cond_wait(&ms->cond, &ms->lock);
	ms->regions[reg]++;
	in_sync = mirror_log_test(ms->log.insync, reg);
	if (in_sync)
		mirror_log_mark(&ms->log, reg);
	else
		only = ms->default_leg; /* the recovery copies it to the others */
	flush = ms->log.touched_dirtied || mirror_log_unstored(&ms->log, reg);
	pthread_mutex_unlock(&ms->lock);
	if (flush && (r = mirror_log_flush(ms)) && !ms->keep_log)
		log_warn("mirror: the log cannot be written: a crash now would not know this region is dirty");
	for (unsigned i = 0; i < ms->nlegs; i++) {
		if ((only != UINT32_MAX && i != only) || (ms->handle_errors && !leg_ok(ms, i) && only == UINT32_MAX))
			continue;
		if ((r = leg_op(&ms->legs[i], op, buf, n, off, flags))) {
			failed |= 1u << i;
			last = r;
		} else {
			ok++;
		}
	}
	pthread_mutex_lock(&ms->lock);
	for (unsigned i = 0; i < ms->nlegs; i++)
		if (failed & (1u << i) && op != MOP_DISCARD)
			mirror_fail_leg(ms, i, MERR_WRITE);
	if (failed && in_sync && op != MOP_DISCARD) { /* the legs differ now */
		mirror_log_set_sync(&ms->log, reg, false);
		ms->in_sync = false;
	}
	if (!--ms->regions[reg])
		pthread_cond_broadcast(&ms->cond);
	pthread_mutex_unlock(&ms->lock);
	/* as the kernel: the write succeeds if a leg took it (a discard that
	 * failed anywhere fails, degrading nothing) */
	if (op == MOP_DISCARD)
		return failed ? last : 0;
	return ok ? 0 : last ? last : -EIO;
}

static int do_write(struct dm_target *ti, enum mop op, const void *buf, uint64_t len, uint64_t off,
		    unsigned flags)
{
	struct mirror_set *ms = ti->private;
	const char *p = buf;
	int r = 0;

	atomic_fetch_add(&ms->client_io, 1);
	while (len && !r) {
		size_t n = region_piece(ms, off, len);

		r = write_piece(ms, op, p, n, off, flags);
		if (p)
			p += n;
		off += n;
		len -= n;
	}
	atomic_fetch_sub(&ms->client_io, 1);
	return r;
}

int mirror_write(struct dm_target *ti, const void *buf, size_t len, uint64_t off, unsigned flags)
{
	return do_write(ti, MOP_WRITE, buf, len, off, flags);
}

int mirror_write_zeroes(struct dm_target *ti, uint64_t off, uint64_t len, unsigned flags)
{
	return do_write(ti, MOP_ZEROES, NULL, len, off, flags);
}

int mirror_discard(struct dm_target *ti, uint64_t off, uint64_t len)
{
	return do_write(ti, MOP_DISCARD, NULL, len, off, 0);
}

int mirror_flush(struct dm_target *ti)
{
	struct mirror_set *ms = ti->private;
	unsigned ok = 0;
	int r, last = 0;

	for (unsigned i = 0; i < ms->nlegs; i++) {
		if (!leg_ok(ms, i))
			continue;
		if ((r = dev_flush(ms->legs[i].dev))) {
			last = r;
			pthread_mutex_lock(&ms->lock);
			mirror_fail_leg(ms, i, MERR_FLUSH);
			pthread_mutex_unlock(&ms->lock);
		} else {
			ok++;
		}
	}
	return ok ? 0 : last ? last : -EIO;
}

/* Copy region @reg from the default leg to the others; 0, or -errno
 * with the leg that failed marked. */
static int recover_region(struct mirror_set *ms, uint64_t reg, void *buf, struct dev_copy_count *k)
{
	uint64_t off = to_bytes(reg * ms->log.region), len = to_bytes(ms->log.region);
	unsigned src;
	int r = 0;

	if (off + len > to_bytes(ms->ti->len))
		len = to_bytes(ms->ti->len) - off;
	pthread_mutex_lock(&ms->lock);
	src = ms->default_leg;
	pthread_mutex_unlock(&ms->lock);
	for (unsigned i = 0; i < ms->nlegs && !r; i++) {
		struct mirror_leg *s = &ms->legs[src], *t = &ms->legs[i];
		bool src_failed;

		if (i == src || !leg_ok(ms, i))
			continue;
		r = dev_copy(s->dev, to_bytes(s->offset) + off, t->dev, to_bytes(t->offset) + off, len, buf, COPY_BUF,
			     k, &src_failed);
		if (r) {
			pthread_mutex_lock(&ms->lock);
			mirror_fail_leg(ms, src_failed ? src : i, src_failed ? MERR_READ : MERR_SYNC);
			pthread_mutex_unlock(&ms->lock);
		}
	}
	return r;
}

/* Idle regions written since the last pass are clean again. */
static void clean_idle(struct mirror_set *ms)
{
	pthread_mutex_lock(&ms->lock);
	for (uint64_t r = 0; r < ms->log.nregions; r++)
		if (!ms->regions[r] && mirror_log_test(ms->log.insync, r))
			mirror_log_clear(&ms->log, r);
	pthread_mutex_unlock(&ms->lock);
	if (mirror_log_flush(ms))
		log_warn("mirror: cannot write the log");
}

static void *recovery_main(void *arg)
{
	struct mirror_set *ms = arg;
	struct dev_copy_count k = { 0, 0 };
	uint64_t search = 0, failed = 0;
	void *buf = malloc(COPY_BUF);

	pthread_mutex_lock(&ms->lock);
	while (!ms->stop && buf) {
		uint64_t reg = search;
		int r;

		while (reg < ms->log.nregions && mirror_log_test(ms->log.insync, reg))
			reg++;
		search = reg + 1;
		if (reg >= ms->log.nregions) { /* the pass is over: clean idle regions */
			if (!ms->in_sync && ms->log.sync_count == ms->log.nregions) {
				ms->in_sync = true;
				log_info("mirror: in sync: %" PRIu64 " MiB copied, %" PRIu64 " MiB skipped as holes",
					 k.copied >> 20, k.skipped >> 20);
				dm_table_event(ms->ti->table);
			}
			search = ms->log.nregions;
			cond_wait_ms(&ms->cond, &ms->lock, CLEAN_INTERVAL_MS);
			if (ms->stop)
				break;
			pthread_mutex_unlock(&ms->lock);
			clean_idle(ms);
			pthread_mutex_lock(&ms->lock);
			continue;
		}
		while (ms->regions[reg] & MREG_COUNT && !ms->stop)
			pthread_cond_wait(&ms->cond, &ms->lock);
		if (ms->stop)
			break;
		ms->regions[reg] |= MREG_RECOVERING;
		pthread_mutex_unlock(&ms->lock);
		r = recover_region(ms, reg, buf, &k);
		pthread_mutex_lock(&ms->lock);
		ms->regions[reg] &= (uint16_t)~MREG_RECOVERING;
		if (!r) {
			mirror_log_set_sync(&ms->log, reg, true);
			mirror_log_clear(&ms->log, reg);
		} else {
			failed++;
		}
		pthread_cond_broadcast(&ms->cond);
		if (atomic_load(&ms->client_io)) { /* yield to clients */
			struct timespec ts = { 0, 500000 };

			pthread_mutex_unlock(&ms->lock);
			nanosleep(&ts, NULL);
			pthread_mutex_lock(&ms->lock);
		}
		if (ms->log.sync_count == ms->log.nregions || (reg + 1) % 64 == 0) {
			pthread_mutex_unlock(&ms->lock);
			mirror_log_flush(ms);
			pthread_mutex_lock(&ms->lock);
		}
	}
	pthread_mutex_unlock(&ms->lock);
	if (failed)
		log_warn("mirror: %" PRIu64 " regions could not be copied; they stay out of sync", failed);
	free(buf);
	return NULL;
}

int mirror_recovery_start(struct mirror_set *ms)
{
	int r;

	if (ms->thread_running)
		return 0;
	ms->stop = false;
	r = -pthread_create(&ms->thread, NULL, recovery_main, ms);
	ms->thread_running = !r;
	return r;
}

void mirror_recovery_stop(struct mirror_set *ms)
{
	if (!ms || !ms->thread_running)
		return;
	pthread_mutex_lock(&ms->lock);
	ms->stop = true;
	pthread_cond_broadcast(&ms->cond);
	pthread_mutex_unlock(&ms->lock);
	pthread_join(ms->thread, NULL);
	ms->thread_running = false;
}
