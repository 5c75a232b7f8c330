/* Client I/O of the parity levels (raid4, raid5, raid6).
 *
 * A stripe row is one chunk at the same device sectors on every device:
 * ndata data chunks, P and (raid6) Q.  Parity at byte x of a chunk depends
 * only on byte x of the row's other chunks, so work goes in units of one
 * row and at most RAID_PUNIT bytes of in-chunk range, 512-aligned.
 *
 * Reads go straight to the data chunk's leg; a leg that cannot be read
 * (failed, missing, not yet recovered) or that errors has its chunk
 * rebuilt from the rest of the row, under the row's lock.
 *
 * Writes, per unit and holding the row (raid_stripe.c), with the bitmap's
 * regions (device sectors, the sync domain) marked on disk first; writes
 * to the row that arrive meanwhile join the holder's next update, merged
 * (a batch: every unit's pieces over one range of the row):
 *  - every leg readable: reconstruct-write (read the data chunks the write
 *    does not fully cover, compute P and Q) or read-modify-write (read the
 *    old data it covers and the old P and Q, apply the difference),
 *    whichever reads fewer chunks; a full-row write reads nothing.  Where
 *    the parity may be stale (resync pending) always reconstruct-write.
 *  - a leg not readable: read the rest, rebuild the missing chunks, apply
 *    the write, recompute the parity, write every writable leg (a leg
 *    being recovered gets its rebuilt chunk too).
 * A leg that errors is failed and the array goes on degraded; a write a
 * leg missed leaves its regions marked for resync.  Write zeroes and
 * discards of whole rows zero every leg (parity of zeroes is zero); a
 * discard of part of a row is a hint and is dropped.
 *
 * Locks: the bitmap's region wait (raid_bm_startwrite) before the row;
 * the row is held across the unit's I/O, as MD holds a stripe; a thread's
 * parity buffers are its own (raid_parity_bufs).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "common/log.h"
#include "targets/raid/raid.h"

#define ALIGN_DOWN(x) ((x) & ~(uint64_t)511)
#define ALIGN_UP(x) (((x) + 511) & ~(uint64_t)511)

bool raid_parity_unsettled(struct raid_set *rs, uint64_t row)
{
	uint64_t s = row * rs->g.chunk;

	if (rs->resync_offset != RAID_MAX_SECTOR && s + rs->g.chunk > rs->resync_offset)
		return true;
	return rs->bm.needed && raid_bm_region_needed(rs, s / rs->region);
}

int raid_parity_read_row(struct raid_set *rs, const struct raid_stripe *st, uint64_t row, unsigned lo,
			 size_t len, uint8_t **bufs, bool *missing)
{
	uint64_t at = to_bytes(row * rs->g.chunk) + lo;
	unsigned nmissing = 0;

	for (unsigned i = 0; i < rs->ndevs; i++) {
		missing[i] = !raid_leg_readable(rs, i);
		if (!missing[i]) {
			int r = dev_read(rs->legs[i].data, bufs[i], len, at);

			if (r) {
				if (!raid_fail_leg(rs, i, r))
					return r;
				missing[i] = true;
			}
		}
		nmissing += missing[i];
	}
	if (!nmissing)
		return 0;
	return raid_parity_rebuild(st, bufs, missing, len, bufs[rs->ndevs], bufs[rs->ndevs + 1]);
}

/* The chunk of data index @k of the row, rebuilt: [x, x + n) of it. */
static int rebuilt_read(struct raid_set *rs, uint64_t row, unsigned k, unsigned x, char *p, size_t n)
{
	struct raid_stripe st;
	bool missing[RAID_MAX_DEVS];
	uint8_t *bufs[RAID_MAX_DEVS + 2];
	int r = raid_parity_bufs(rs->ndevs, bufs);

	raid_parity_layout(&rs->g, row, &st);
	while (n && !r) {
		unsigned lo = (unsigned)ALIGN_DOWN(x);
		size_t hi = ALIGN_UP((uint64_t)x + n), take;

		if (hi - lo > RAID_PUNIT)
			hi = lo + RAID_PUNIT;
		take = hi - x < n ? hi - x : n;
		struct raid_row_hold h;

		raid_row_lock(rs, row, &h);
		r = raid_parity_read_row(rs, &st, row, lo, hi - lo, bufs, missing);
		raid_row_unlock(rs, &h);
		if (!r)
			memcpy(p, bufs[st.data[k]] + (x - lo), take);
		p += take;
		x += (unsigned)take;
		n -= take;
	}
	return r;
}

int raid_parity_read(struct raid_set *rs, void *buf, size_t len, uint64_t off)
{
	uint64_t cb = to_bytes(rs->g.chunk);
	char *p = buf;
	int r = 0;

	atomic_fetch_add(&rs->client_io, 1);
	while (len && !r) {
		struct raid_copy c;
		uint64_t run, chunk = off / cb;
		unsigned in = (unsigned)(off % 512);
		size_t piece;

		rs->level->map(&rs->g, off / 512, &c, &run);
		piece = len < to_bytes(run) - in ? len : (size_t)(to_bytes(run) - in);
		r = -EIO;
		if (raid_leg_readable(rs, c.dev)) {
			r = dev_read(rs->legs[c.dev].data, p, piece, to_bytes(c.sector) + in);
			if (r && !raid_fail_leg(rs, c.dev, r))
				break;
		}
		if (r)
			r = rebuilt_read(rs, chunk / rs->g.ndata, (unsigned)(chunk % rs->g.ndata),
					 (unsigned)(off % cb), p, piece);
		p += piece;
		off += piece;
		len -= piece;
	}
	atomic_fetch_sub(&rs->client_io, 1);
	return r;
}

static int leg_write(struct raid_set *rs, unsigned i, enum raid_op op, const uint8_t *p, size_t len, uint64_t at,
		     unsigned flags, bool *clean)
{
	int e;

	if (!raid_leg_writable(rs, i)) {
		*clean = false;
		return 0;
	}
	e = op == RAID_OP_WRITE ? dev_write(rs->legs[i].data, p, len, at, flags)
				: dev_write_zeroes(rs->legs[i].data, at, len, flags);
	if (!e)
		return 0;
	*clean = false;
	return raid_fail_leg(rs, i, e) ? 0 : e;
}

/* A batch of units of one row, merged: [lo, hi) and what each data chunk
 * gets. */
struct batch {
	struct raid_wunit *units;
	unsigned lo, hi, flags;
	unsigned a[RAID_MAX_DEVS], z[RAID_MAX_DEVS]; /* per data index: the span written (a == z: none) */
	const char *whole[RAID_MAX_DEVS];          /* the one piece covering [lo, hi), if so */
};

static void batch_init(struct batch *b, struct raid_wunit *units, unsigned ndata)
{
	bool first = true;

	b->units = units;
	b->flags = 0;
	for (unsigned k = 0; k < ndata; k++) {
		b->a[k] = b->z[k] = 0;
		b->whole[k] = NULL;
	}
	for (struct raid_wunit *u = units; u; u = u->next) {
		b->lo = first || u->lo < b->lo ? u->lo : b->lo;
		b->hi = first || u->hi > b->hi ? u->hi : b->hi;
		b->flags |= u->flags;
		first = false;
	}
	for (struct raid_wunit *u = units; u; u = u->next) {
		for (unsigned j = 0; j < u->npc; j++) {
			const struct raid_piece *pc = &u->pc[j];
			bool none = b->a[pc->k] == b->z[pc->k];

			b->whole[pc->k] = none && pc->lo == b->lo && pc->hi == b->hi ? pc->src : NULL;
			b->a[pc->k] = none || pc->lo < b->a[pc->k] ? pc->lo : b->a[pc->k];
			b->z[pc->k] = none || pc->hi > b->z[pc->k] ? pc->hi : b->z[pc->k];
		}
	}
}

static bool covered(const struct batch *b, unsigned k)
{
	return b->a[k] < b->z[k];
}

/* The new bytes over the row's buffers, in the order the writes came. */
static void merge(const struct raid_stripe *st, const struct batch *b, uint8_t **bufs)
{
	for (struct raid_wunit *u = b->units; u; u = u->next) {
		for (unsigned j = 0; j < u->npc; j++) {
			const struct raid_piece *pc = &u->pc[j];
			uint8_t *d = bufs[st->data[pc->k]];

			if (d != (const uint8_t *)pc->src)
				memcpy(d + (pc->lo - b->lo), pc->src, pc->hi - pc->lo);
		}
	}
}

/* The row's new data is in bufs (merged): write the spans that changed. */
static int write_data(struct raid_set *rs, const struct raid_stripe *st, uint64_t row, const struct batch *b,
		      uint8_t **bufs, bool *clean)
{
	uint64_t at = to_bytes(row * rs->g.chunk);
	int r = 0;

	for (unsigned k = 0; k < st->ndata && !r; k++) {
		unsigned d = st->data[k];
		uint64_t a = ALIGN_DOWN(b->a[k]), z = ALIGN_UP(b->z[k]);

		if (covered(b, k))
			r = leg_write(rs, d, RAID_OP_WRITE, bufs[d] + (a - b->lo), z - a, at + a, b->flags, clean);
	}
	return r;
}

/* P and Q are computed too: write them, and whole chunks to legs in
 * recovery that write_data did not write. */
static int write_parity(struct raid_set *rs, const struct raid_stripe *st, uint64_t row, const struct batch *b,
			uint8_t **bufs, bool *clean)
{
	uint64_t at = to_bytes(row * rs->g.chunk) + b->lo;
	size_t len = b->hi - b->lo;
	bool done[RAID_MAX_DEVS] = { false };
	int r = 0;

	for (unsigned k = 0; k < st->ndata; k++)
		done[st->data[k]] = covered(b, k);
	for (unsigned i = 0; i < rs->ndevs && !r; i++) {
		bool parity = i == st->pd || i == st->qd;

		if (done[i] || (!parity && (rs->legs[i].in_sync || !raid_leg_writable(rs, i))))
			continue;
		r = leg_write(rs, i, RAID_OP_WRITE, bufs[i], len, at, b->flags, clean);
	}
	return r;
}

/* The row's new contents are in bufs (data merged, P and Q computed):
 * write the spans that changed, the parity, and whole chunks to legs in
 * recovery. */
static int write_back(struct raid_set *rs, const struct raid_stripe *st, uint64_t row, const struct batch *b,
		      uint8_t **bufs, bool *clean)
{
	int r = write_data(rs, st, row, b, bufs, clean);

	return r ? r : write_parity(rs, st, row, b, bufs, clean);
}

static int read_leg(struct raid_set *rs, unsigned i, uint8_t *p, size_t len, uint64_t at, bool *degraded)
{
	int r = dev_read(rs->legs[i].data, p, len, at);

	if (r && raid_fail_leg(rs, i, r)) {
		*degraded = true;
		return 0;
	}
	return r;
}

/* Every leg readable: reconstruct-write or read-modify-write.  *@degraded
 * when a leg failed on the way (the caller starts over degraded). */
static int write_healthy(struct raid_set *rs, const struct raid_stripe *st, uint64_t row, const struct batch *b,
			 uint8_t **bufs, bool *clean, bool *degraded)
{
	uint64_t at = to_bytes(row * rs->g.chunk) + b->lo;
	size_t len = b->hi - b->lo;
	unsigned ncov = 0, nfull = 0, np = st->qd == RAID_NO_DEV ? 1 : 2;
	uint8_t *q = np == 2 ? bufs[st->qd] : NULL;
	int r = 0;

	for (unsigned k = 0; k < st->ndata; k++) {
		ncov += covered(b, k);
		nfull += b->whole[k] != NULL;
	}
	if (!raid_parity_unsettled(rs, row) && ncov + np < st->ndata - nfull) {
		/* read-modify-write */
		r = read_leg(rs, st->pd, bufs[st->pd], len, at, degraded);
		if (!r && q)
			r = read_leg(rs, st->qd, q, len, at, degraded);
		for (unsigned k = 0; k < st->ndata && !r && !*degraded; k++) {
			unsigned d = st->data[k];

			if (!covered(b, k))
				continue;
			r = read_leg(rs, d, bufs[d], len, at, degraded);
			if (!r && !*degraded)
				raid_parity_update(st, d, bufs[d], len, bufs[st->pd], q);
		}
		if (r || *degraded)
			return r;
		merge(st, b, bufs);
		for (unsigned k = 0; k < st->ndata; k++)
			if (covered(b, k))
				raid_parity_update(st, st->data[k], bufs[st->data[k]], len, bufs[st->pd], q);
	} else {
		/* reconstruct-write; a chunk one write covers whole is used
		 * where it lies when ISA-L may read it there (aligned) */
		for (unsigned k = 0; k < st->ndata && !r && !*degraded; k++) {
			if (!b->whole[k])
				r = read_leg(rs, st->data[k], bufs[st->data[k]], len, at, degraded);
			else if (!((uintptr_t)b->whole[k] & 63))
				bufs[st->data[k]] = (uint8_t *)(uintptr_t)b->whole[k];
		}
		if (r || *degraded)
			return r;
		merge(st, b, bufs);
		if (nfull == st->ndata) {
			/* A full row: its data goes to the legs first, and P and
			 * Q are computed after, from what that copy into the
			 * legs' page cache left in the CPU's cache (the request's
			 * data was last written by the socket's copy, before the
			 * request was queued).  Either order is safe: nothing is
			 * answered before both are written, and the bitmap
			 * covers the row until then. */
			r = write_data(rs, st, row, b, bufs, clean);
			if (r)
				return r;
			raid_parity_gen(st, bufs, len, bufs[st->pd], q);
			return write_parity(rs, st, row, b, bufs, clean);
		}
		raid_parity_gen(st, bufs, len, bufs[st->pd], q);
	}
	return write_back(rs, st, row, b, bufs, clean);
}

static int write_batch(struct raid_set *rs, uint64_t row, struct raid_wunit *units, bool *clean)
{
	struct raid_stripe st;
	struct batch b;
	uint8_t *bufs[RAID_MAX_DEVS + 2];
	bool missing[RAID_MAX_DEVS], degraded = false;
	int r;

	if ((r = raid_parity_bufs(rs->ndevs, bufs)))
		return r;
	raid_parity_layout(&rs->g, row, &st);
	batch_init(&b, units, st.ndata);
	for (unsigned i = 0; i < rs->ndevs; i++)
		degraded |= !raid_leg_readable(rs, i);
	if (!degraded)
		r = write_healthy(rs, &st, row, &b, bufs, clean, &degraded);
	/* again: write_healthy may have pointed some buffers at a request */
	if (!r && degraded && !(r = raid_parity_bufs(rs->ndevs, bufs))) {
		r = raid_parity_read_row(rs, &st, row, b.lo, b.hi - b.lo, bufs, missing);
		if (!r) {
			merge(&st, &b, bufs);
			raid_parity_gen(&st, bufs, b.hi - b.lo, bufs[st.pd], st.qd == RAID_NO_DEV ? NULL : bufs[st.qd]);
			r = write_back(rs, &st, row, &b, bufs, clean);
		}
	}
	return r;
}

/* How many waiting writes one row update takes: stripe_cache, one per
 * 4 KiB (8 sectors), as MD counts its stripe cache in pages. */
static unsigned batch_max(struct raid_set *rs)
{
	if (rs->stripe_cache < 0)
		return 256;
	return rs->stripe_cache >= 16 ? (unsigned)(rs->stripe_cache / 8) : 1;
}

/* Unit @u (its pieces set): write it, merged with the writes to its row
 * that wait meanwhile; zeroes of whole rows zero every leg. */
static int write_unit(struct raid_set *rs, enum raid_op op, struct raid_wunit *u, bool whole_row, bool *clean)
{
	struct raid_row_hold h;
	struct raid_wunit *batch = u;

	if (op != RAID_OP_WRITE && whole_row) {
		uint64_t at = to_bytes(u->row * rs->g.chunk) + u->lo;
		int r = 0;

		raid_row_lock(rs, u->row, &h);
		for (unsigned i = 0; i < rs->ndevs && !r; i++)
			r = leg_write(rs, i, RAID_OP_ZEROES, NULL, u->hi - u->lo, at, u->flags, clean);
		raid_row_unlock(rs, &h);
		return r;
	}
	if (op == RAID_OP_DISCARD)
		return 0; /* a hint: part of a row is left as it is */
	u->clean = true;
	u->next = NULL;
	if (!raid_row_join(rs, u, &h)) {
		*clean &= u->clean;
		return u->result;
	}
	while (batch) {
		bool c = true;
		int r = write_batch(rs, u->row, batch, &c);
		unsigned n = 0;

		for (struct raid_wunit *x = batch; x; x = x->next, n++) {
			x->result = r;
			x->clean = c;
		}
		atomic_fetch_add_explicit(&rs->row_updates, 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&rs->merged, n - 1, memory_order_relaxed);
		batch = raid_row_next(rs, &h, batch, batch_max(rs));
	}
	*clean &= u->clean;
	return u->result;
}

/* The write's pieces in unit [u->lo, u->hi) of row u->row; true if it
 * covers every data chunk there. */
static bool cover(struct raid_set *rs, struct raid_wunit *u, const char *buf, uint64_t off, uint64_t end)
{
	uint64_t cb = to_bytes(rs->g.chunk), row0 = u->row * cb * rs->g.ndata;
	bool all = true;

	u->npc = 0;
	for (unsigned k = 0; k < rs->g.ndata; k++) {
		uint64_t base = row0 + k * cb, a = base + u->lo, b = base + u->hi;

		if (off > a)
			a = off;
		if (end < b)
			b = end;
		all &= a == base + u->lo && b == base + u->hi;
		if (a >= b)
			continue;
		u->pc[u->npc++] = (struct raid_piece){ k, (unsigned)(a - base), (unsigned)(b - base),
						       buf ? buf + (a - off) : (const char *)raid_zeroes() };
	}
	return all;
}

int raid_parity_write(struct raid_set *rs, enum raid_op op, const void *buf, size_t len, uint64_t off,
		      unsigned flags)
{
	uint64_t cb = to_bytes(rs->g.chunk), rowb = cb * rs->g.ndata, end = off + len;
	uint64_t first = off / rowb, last = len ? (end - 1) / rowb : first;
	struct raid_wunit unit, *u = &unit; /* ~6 KiB: within a worker's stack */
	bool clean = true;
	int r = 0;

	if (!len)
		return 0;
	atomic_fetch_add(&rs->client_io, 1);
	raid_bm_startwrite(rs, first * rs->g.chunk, (last - first + 1) * rs->g.chunk);
	for (uint64_t row = first; row <= last && !r; row++) {
		uint64_t ws = off > row * rowb ? off - row * rowb : 0;
		uint64_t we = end < (row + 1) * rowb ? end - row * rowb : rowb;
		unsigned k0 = (unsigned)(ws / cb), k1 = (unsigned)((we - 1) / cb);
		uint64_t iv[2][2];
		unsigned niv = 1;

		/* the in-chunk ranges it touches: one, or (crossing a single
		 * chunk boundary without overlap) two */
		iv[0][0] = ALIGN_DOWN(ws % cb);
		iv[0][1] = ALIGN_UP(we - (uint64_t)k1 * cb);
		if (k1 > k0 + 1) {
			iv[0][0] = 0, iv[0][1] = cb;
		} else if (k1 == k0 + 1) {
			if (iv[0][1] >= iv[0][0]) {
				iv[0][0] = 0, iv[0][1] = cb;
			} else {
				iv[1][0] = iv[0][0], iv[1][1] = cb;
				iv[0][0] = 0;
				niv = 2;
			}
		}
		for (unsigned j = 0; j < niv && !r; j++) {
			for (uint64_t lo = iv[j][0]; lo < iv[j][1] && !r; lo += RAID_PUNIT) {
				bool all;

				u->row = row;
				u->lo = (unsigned)lo;
				u->hi = (unsigned)(iv[j][1] - lo > RAID_PUNIT ? lo + RAID_PUNIT : iv[j][1]);
				u->flags = flags;
				all = cover(rs, u, buf, off, end);
				r = write_unit(rs, op, u, all, &clean);
			}
		}
	}
	raid_bm_endwrite(rs, first * rs->g.chunk, (last - first + 1) * rs->g.chunk,
			 clean && !r && !raid_degraded(rs));
	atomic_fetch_sub(&rs->client_io, 1);
	return r;
}
