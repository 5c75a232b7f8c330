/* Client I/O of the raid target.
 *
 * A request is cut where the level's map says copies stop being
 * contiguous (a chunk for raid0/raid10, never for raid1).  Reads go to one
 * copy on a leg that is in sync: the one with the fewest reads in flight
 * (write_mostly legs last), or the primary where the copies may differ
 * (above the resync point, in regions marked for resync); a read error
 * fails that leg and the read is retried on the next copy.  Writes, write
 * zeroes and discards go to every copy on a live leg, after the bitmap
 * has the region marked on disk; a leg that errors is failed and the
 * array goes on degraded, the client sees success while one copy took
 * the data.  A write a leg missed leaves its regions marked for resync.
 * With max_write_behind, a raid1's write_mostly legs get their copy from
 * a queue after the client is answered (raid_behind.c); a write that
 * cannot queue waits for the queue first, so the leg sees writes in order.
 * Offsets need not be sector-aligned: copies keep the offset inside the
 * sector.  raid_map_read names the same copy a read would take, for a
 * caller that reads it itself (the NBD server's ring or splice); where
 * the copies may differ it says no.  Parity levels have their own
 * (raid_pio.c).
 */
#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "targets/raid/raid.h"


bool raid_leg_writable(struct raid_set *rs, unsigned i)
{
	return rs->legs[i].data && !atomic_load(&rs->legs[i].failed);
}

bool raid_leg_readable(struct raid_set *rs, unsigned i)
{
	return raid_leg_writable(rs, i) && rs->legs[i].in_sync;
}

bool raid_fail_leg(struct raid_set *rs, unsigned i, int err)
{
	struct raid_leg *l = &rs->legs[i];
	uint64_t failed[4] = { 0 };
	const char *name = l->data ? dm_device_name(rs->ti, l->data) : "-";

	if (!rs->level->redundant)
		return false;
	pthread_mutex_lock(&rs->lock);
	if (atomic_load(&l->failed)) {
		pthread_mutex_unlock(&rs->lock);
		return true;
	}
	for (unsigned j = 0; j < rs->ndevs; j++)
		if (j == i || atomic_load(&rs->legs[j].failed) || !rs->legs[j].in_sync)
			raid_failed_set(failed, j);
	if (!raid_survives(rs->level, &rs->g, failed)) {
		pthread_mutex_unlock(&rs->lock);
		log_warn("raid: leg %u (%s) returned %s, but no other leg can stand in for it: the error goes to "
			 "the client", i, name, strerror(err < 0 ? -err : EIO));
		return false;
	}
	atomic_store(&l->failed, true);
	l->in_sync = false;
	pthread_mutex_unlock(&rs->lock);
	log_warn("raid: leg %u (%s) failed (%s): the array runs degraded", i, name,
		 strerror(err < 0 ? -err : EIO));
	dm_table_event(rs->ti->table);
	raid_meta_store(rs);
	return true;
}

/* May the copies of [s, s+n) differ?  Then reads take the primary. */
static bool unsettled(struct raid_set *rs, uint64_t s, uint64_t n)
{
	uint64_t r;

	if (!rs->level->redundant)
		return false;
	if (rs->resync_offset != RAID_MAX_SECTOR && s + n > rs->resync_offset)
		return true;
	if (!rs->bm.needed)
		return false;
	for (r = s / rs->region; r <= (s + n - 1) / rs->region; r++)
		if (raid_bm_region_needed(rs, r))
			return true;
	return false;
}

/* Of the @n copies @c, the one to read: in sync, the fewest reads in
 * flight (write_mostly legs last), starting from a rotating one; with
 * @primary the first readable one that is not write_mostly (md's
 * choice of source too: such a leg may lag behind), else the first
 * readable.  -1: none (@tried marks those done). */
int raid_pick_copy(struct raid_set *rs, const struct raid_copy *c, unsigned n, const bool *tried, bool primary)
{
	int best = -1;
	unsigned best_load = 0, rr = primary ? 0 : atomic_fetch_add_explicit(&rs->read_rr, 1, memory_order_relaxed);

	for (unsigned k = 0; k < n; k++) {
		unsigned j = (k + rr) % n, i = c[j].dev, load;

		if ((tried && tried[j]) || !raid_leg_readable(rs, i))
			continue;
		load = (primary ? 0 : atomic_load_explicit(&rs->legs[i].pending, memory_order_relaxed)) +
		       (rs->legs[i].write_mostly ? 1u << 16 : 0);
		if (best < 0 || load < best_load) {
			best = (int)j;
			best_load = load;
		}
	}
	return best;
}

static int read_piece(struct raid_set *rs, uint64_t s, const struct raid_copy *c, unsigned n, unsigned in,
		      void *buf, size_t len)
{
	bool primary = unsettled(rs, s, (in + len + 511) / 512);
	bool tried[RAID_MAX_DEVS] = { false };
	int r = -EIO;

	for (;;) {
		int best = raid_pick_copy(rs, c, n, tried, primary);

		if (best < 0)
			return r;
		tried[best] = true;
		{
			struct raid_leg *l = &rs->legs[c[best].dev];

			if (l->write_mostly && l->bthreads) /* no other leg can serve: it catches up first */
				raid_behind_drain(rs, (int)c[best].dev);
			atomic_fetch_add_explicit(&l->pending, 1, memory_order_relaxed);
			r = dev_read(l->data, buf, len, to_bytes(c[best].sector) + in);
			atomic_fetch_sub_explicit(&l->pending, 1, memory_order_relaxed);
		}
		if (!r)
			return 0;
		if (!raid_fail_leg(rs, c[best].dev, r))
			return r;
	}
}

/* A read that one copy holds whole, where the copies agree: that copy
 * (the caller reads it; if it fails there, the caller reads again through
 * raid_read, which fails the leg and tries the next). */
int raid_map_read(struct dm_target *ti, uint64_t off, uint64_t len, struct dm_remap *out)
{
	struct raid_set *rs = ti->private;
	struct raid_copy c[RAID_MAX_DEVS];
	bool tried[RAID_MAX_DEVS] = { false };
	uint64_t run;
	unsigned in = (unsigned)(off % 512), n;
	int j;

	if (rs->level->parity)
		return -ENOTSUP;
	n = rs->level->map(&rs->g, off / 512, c, &run);
	if (len > to_bytes(run) - in || unsettled(rs, off / 512, (in + len + 511) / 512))
		return -ENOTSUP;
	if ((j = raid_pick_copy(rs, c, n, tried, false)) < 0 ||
	    (rs->legs[c[j].dev].write_mostly && raid_behind_pending(rs, c[j].dev)))
		return -ENOTSUP;
	atomic_fetch_add(&rs->client_io, 1);
	out->dev = rs->legs[c[j].dev].data;
	out->off = to_bytes(c[j].sector) + in;
	out->len = len;
	return 0;
}

void raid_map_end(struct dm_target *ti)
{
	struct raid_set *rs = ti->private;

	atomic_fetch_sub(&rs->client_io, 1);
}

int raid_read(struct dm_target *ti, void *buf, size_t len, uint64_t off)
{
	struct raid_set *rs = ti->private;
	char *p = buf;
	int r = 0;

	if (rs->level->parity)
		return raid_parity_read(rs, buf, len, off);
	atomic_fetch_add(&rs->client_io, 1);
	while (len && !r) {
		struct raid_copy c[RAID_MAX_DEVS];
		uint64_t run;
		unsigned in = (unsigned)(off % 512), n = rs->level->map(&rs->g, off / 512, c, &run);
		size_t piece = len < to_bytes(run) - in ? len : (size_t)(to_bytes(run) - in);

		r = read_piece(rs, off / 512, c, n, in, p, piece);
		p += piece;
		off += piece;
		len -= piece;
	}
	atomic_fetch_sub(&rs->client_io, 1);
	return r;
}

int raid_leg_op(struct raid_leg *l, enum raid_op op, const void *buf, size_t len, uint64_t off, unsigned flags)
{
	switch (op) {
	case RAID_OP_WRITE:
		return dev_write(l->data, buf, len, off, flags);
	case RAID_OP_ZEROES:
		return dev_write_zeroes(l->data, off, len, flags);
	default:
		return dev_discard(l->data, off, len);
	}
}

/* One write-like op on every copy, sync-domain sectors [s, s + ns).
 * *@clean stays true if every leg took it (or has it queued behind). */
static int write_piece(struct raid_set *rs, enum raid_op op, const struct raid_copy *c, unsigned n, unsigned in,
		       const void *buf, size_t len, unsigned flags, uint64_t s, uint64_t ns, bool *clean)
{
	unsigned done = 0;
	int r = 0, err = -EIO;

	for (unsigned j = 0; j < n; j++) {
		unsigned i = c[j].dev;
		int e;

		if (!raid_leg_writable(rs, i)) {
			*clean = false;
			continue;
		}
		if (rs->legs[i].bthreads) {
			if (raid_behind_queue(rs, i, op, buf, len, to_bytes(c[j].sector) + in, s, ns, flags)) {
				done++;
				continue;
			}
			raid_behind_drain(rs, (int)i); /* written now: what is queued lands first */
		}
		e = raid_leg_op(&rs->legs[i], op, buf, len, to_bytes(c[j].sector) + in, flags);
		if (!e) {
			done++;
		} else if (op == RAID_OP_DISCARD && e == -EOPNOTSUPP) {
			*clean = false; /* a discard is a hint: the copies may differ */
		} else {
			*clean = false;
			err = e;
			if (!rs->level->redundant || !raid_fail_leg(rs, i, e))
				r = e;
		}
	}
	if (!r && !done && op != RAID_OP_DISCARD)
		r = err;
	return r;
}

static int write_op(struct dm_target *ti, enum raid_op op, const void *buf, size_t len, uint64_t off, unsigned flags)
{
	struct raid_set *rs = ti->private;
	uint64_t s0 = off / 512, n = (off + len + 511) / 512 - s0;
	const char *p = buf;
	bool clean = true;
	int r = 0;

	if (rs->level->parity)
		return raid_parity_write(rs, op, buf, len, off, flags);
	atomic_fetch_add(&rs->client_io, 1);
	if (rs->level->redundant)
		raid_bm_startwrite(rs, s0, n);
	while (len && !r) {
		struct raid_copy c[RAID_MAX_DEVS];
		uint64_t run;
		unsigned in = (unsigned)(off % 512), k = rs->level->map(&rs->g, off / 512, c, &run);
		size_t piece = len < to_bytes(run) - in ? len : (size_t)(to_bytes(run) - in);

		r = write_piece(rs, op, c, k, in, p, piece, flags, off / 512, (in + piece + 511) / 512, &clean);
		if (p)
			p += piece;
		off += piece;
		len -= piece;
	}
	if (rs->level->redundant)
		raid_bm_endwrite(rs, s0, n, clean && !r && !raid_degraded(rs));
	atomic_fetch_sub(&rs->client_io, 1);
	return r;
}

int raid_write(struct dm_target *ti, const void *buf, size_t len, uint64_t off, unsigned flags)
{
	return write_op(ti, RAID_OP_WRITE, buf, len, off, flags);
}

int raid_write_zeroes(struct dm_target *ti, uint64_t off, uint64_t len, unsigned flags)
{
	return write_op(ti, RAID_OP_ZEROES, NULL, len, off, flags);
}

int raid_discard(struct dm_target *ti, uint64_t off, uint64_t len)
{
	return write_op(ti, RAID_OP_DISCARD, NULL, len, off, 0);
}

int raid_flush(struct dm_target *ti)
{
	struct raid_set *rs = ti->private;
	unsigned done = 0;
	int r = 0;

	for (unsigned i = 0; i < rs->ndevs; i++) {
		int e;

		if (!raid_leg_writable(rs, i))
			continue;
		e = dev_flush(rs->legs[i].data);
		if (!e)
			done++;
		else if (!raid_fail_leg(rs, i, e))
			r = e;
	}
	return r ? r : done ? 0 : -EIO;
}

struct shift {
	dev_extent_fn fn;
	void *opaque;
	uint64_t delta; /* target offset - copy offset */
};

static int shifted(void *opaque, uint64_t off, uint64_t len, uint32_t flags)
{
	struct shift *s = opaque;

	return s->fn(s->opaque, off + s->delta, len, flags);
}

int raid_extents(struct dm_target *ti, uint64_t off, uint64_t len, dev_extent_fn fn, void *opaque)
{
	struct raid_set *rs = ti->private;
	int r = 0;

	while (len && !r) {
		struct raid_copy c[RAID_MAX_DEVS];
		uint64_t run;
		unsigned in = (unsigned)(off % 512), n = rs->level->map(&rs->g, off / 512, c, &run);
		uint64_t piece = len < to_bytes(run) - in ? len : to_bytes(run) - in;
		int j = raid_pick_copy(rs, c, n, NULL, true); /* not a write_mostly leg, if it can */

		if (j < 0 || unsettled(rs, off / 512, (in + piece + 511) / 512) ||
		    (rs->legs[c[j].dev].write_mostly && raid_behind_pending(rs, c[j].dev))) {
			r = fn(opaque, off, piece, 0);
		} else {
			uint64_t at = to_bytes(c[j].sector) + in;
			struct shift s = { fn, opaque, off - at };

			r = dev_extents(rs->legs[c[j].dev].data, at, piece, shifted, &s);
		}
		off += piece;
		len -= piece;
	}
	return r;
}
