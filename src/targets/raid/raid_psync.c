/* Resync, recovery, check and repair of the parity levels: one piece of
 * device sectors at a time (raid_sync.c walks the regions, holds writes to
 * the region back and throttles; this file does the rows).
 *
 *   resync   recompute P (and Q) from the data, write those that differ;
 *   recover  rebuild the chunks of legs that are not in sync from the rest
 *            of each row and write them;
 *   check    count the sectors (per 4 KiB block, as MD counts
 *            STRIPE_SECTORS) whose P or Q differs from the data's;
 *   repair   check, and write the recomputed parity.
 * A piece that is a hole on every leg it reads is consistent (zeroes have
 * zero parity): skipped, or zeroed on the legs being recovered, so a new
 * array on sparse files syncs as fast as its data is read.  Each unit
 * holds its stripe row's lock, as client writes do.
 */
#include <errno.h>
#include <string.h>

#include "targets/raid/raid.h"

#define CHECK_BLOCK 4096u

struct cover {
	uint64_t data, seen;
};

static int note(void *opaque, uint64_t off, uint64_t len, uint32_t flags)
{
	struct cover *c = opaque;

	(void)off;
	c->seen += len;
	if (!(flags & (DEV_EXT_HOLE | DEV_EXT_ZERO)))
		c->data += len;
	return 0;
}

static bool all_hole(struct dev *d, uint64_t off, uint64_t len)
{
	struct cover c = { 0, 0 };

	return !dev_extents(d, off, len, note, &c) && c.seen >= len && !c.data;
}

static bool is_target(struct raid_set *rs, unsigned i)
{
	return raid_leg_writable(rs, i) && !rs->legs[i].in_sync;
}

/* Every source leg reads as zeroes: skip, or zero the targets. */
static int holes(struct raid_set *rs, enum raid_action mode, uint64_t off, uint64_t len, bool *done)
{
	int r = 0;

	*done = false;
	for (unsigned i = 0; i < rs->ndevs; i++)
		if (raid_leg_readable(rs, i) && !all_hole(rs->legs[i].data, off, len))
			return 0;
	*done = true;
	if (mode != RA_RECOVER)
		return 0;
	for (unsigned i = 0; i < rs->ndevs && !r; i++) {
		if (!is_target(rs, i) || all_hole(rs->legs[i].data, off, len))
			continue;
		r = dev_write_zeroes(rs->legs[i].data, off, len, 0);
		if (r && raid_fail_leg(rs, i, r))
			r = 0;
	}
	return r;
}

static int write_leg(struct raid_set *rs, unsigned i, const uint8_t *p, size_t len, uint64_t at)
{
	int r;

	if (!raid_leg_writable(rs, i))
		return 0;
	r = dev_write(rs->legs[i].data, p, len, at, 0);
	return r && !raid_fail_leg(rs, i, r) ? r : 0;
}

static int unit(struct raid_set *rs, enum raid_action mode, uint64_t row, unsigned lo, size_t len,
		struct raid_sync_count *c)
{
	struct raid_stripe st;
	uint8_t *bufs[RAID_MAX_DEVS + 2];
	bool missing[RAID_MAX_DEVS];
	uint64_t at = to_bytes(row * rs->g.chunk) + lo;
	unsigned n = rs->ndevs;
	int r;

	if ((r = raid_parity_bufs(n, bufs)))
		return r;
	raid_parity_layout(&rs->g, row, &st);
	if ((r = raid_parity_read_row(rs, &st, row, lo, len, bufs, missing)))
		return r;
	if (mode == RA_RECOVER) {
		for (unsigned i = 0; i < n && !r; i++)
			if (is_target(rs, i))
				r = write_leg(rs, i, bufs[i], len, at);
	} else {
		uint8_t *p = bufs[n], *q = st.qd == RAID_NO_DEV ? NULL : bufs[n + 1];
		bool differ = false;

		raid_parity_gen(&st, bufs, len, p, q);
		for (size_t x = 0; x < len; x += CHECK_BLOCK) {
			size_t k = len - x < CHECK_BLOCK ? len - x : CHECK_BLOCK;

			if (memcmp(p + x, bufs[st.pd] + x, k) || (q && memcmp(q + x, bufs[st.qd] + x, k))) {
				differ = true;
				if (mode != RA_RESYNC)
					c->mismatches += k / 512;
			}
		}
		if (differ && mode != RA_CHECK) {
			r = write_leg(rs, st.pd, p, len, at);
			if (!r && q)
				r = write_leg(rs, st.qd, q, len, at);
		}
	}
	c->copied += len;
	return r;
}

int raid_psync_piece(struct raid_set *rs, enum raid_action mode, uint64_t s, uint64_t n, struct raid_sync_count *c)
{
	uint64_t chunk = rs->g.chunk, end = s + n;
	bool done;
	int r;

	if ((r = holes(rs, mode, to_bytes(s), to_bytes(n), &done)))
		return r;
	if (done) {
		c->skipped += to_bytes(n);
		return 0;
	}
	while (s < end && !r) {
		uint64_t row = s / chunk, in = to_bytes(s % chunk);
		uint64_t stop = (row + 1) * chunk < end ? (row + 1) * chunk : end;
		size_t len = (size_t)(to_bytes(stop - s) < RAID_PUNIT ? to_bytes(stop - s) : RAID_PUNIT);

		struct raid_row_hold h;

		raid_row_lock(rs, row, &h);
		r = unit(rs, mode, row, (unsigned)in, len, c);
		raid_row_unlock(rs, &h);
		s += len / 512;
	}
	return r;
}
