/* What the parity levels (raid4, raid5, raid6) share: geometry, the order
 * of a stripe's chunks in the Q syndrome, and the parity arithmetic, done
 * by ISA-L (Debian's libisal).
 *
 * Arithmetic.  P is the XOR of the data chunks; Q is Linux's raid6
 * syndrome, sum of g^slot * D over GF(2^8) with the polynomial 0x11d and
 * g = 2 (linux lib/raid6), which is what ISA-L's pq_gen computes when its
 * sources are given in slot order (slot j gets coefficient 2^j).  Non-DDF
 * layouts number the data devices from the one after Q; DDF layouts (raid6
 * zr/nr/nc) use the device index, P's and Q's slots reading as zeroes.
 * Rebuilding one or two lost chunks follows linux lib/raid6/recov.c, with
 * ISA-L's ec_encode_data for the GF(2^8) multiply-accumulate.
 *
 * Buffers: each thread that does parity I/O keeps one set of
 * RAID_PUNIT-byte buffers (raid_parity_bufs), grown on demand and freed
 * when the thread ends, so the data path does not allocate per request.
 */
#include <errno.h>
#include <isa-l/erasure_code.h>
#include <isa-l/raid.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/args.h"
#include "targets/raid/raid.h"

static _Alignas(64) uint8_t zeroes[RAID_PUNIT];

int raid_parity_setup(struct raid_geom *g, const struct raid_params *p, unsigned md_level, unsigned md_layout,
		      const struct raid_parity *par, const char **why)
{
	unsigned nparity = par->nparity;

	if (!is_pow2_u64(p->chunk) || p->chunk < 8) {
		*why = "Chunk size must be a power of two of at least 8 sectors (4 KiB) for parity RAID";
		return -EINVAL;
	}
	if (g->ndevs <= nparity) {
		*why = "Too few raid devices for this level";
		return -EINVAL;
	}
	g->chunk = p->chunk;
	g->ndata = g->ndevs - nparity;
	g->par = par;
	g->md_level = md_level;
	g->md_layout = md_layout;
	if (g->array_sectors % ((uint64_t)g->ndata * g->chunk)) {
		*why = "Target length not divisible by the chunk size and number of data devices";
		return -EINVAL;
	}
	g->dev_sectors = g->sync_sectors = g->array_sectors / g->ndata;
	return 0;
}

void raid_parity_slots(const struct raid_geom *g, struct raid_stripe *st)
{
	unsigned n = g->ndevs, d0, c = 0;

	if (st->qd == RAID_NO_DEV) {
		for (unsigned k = 0; k < st->ndata; k++)
			st->slot[st->data[k]] = k;
		st->nslots = st->ndata;
		return;
	}
	if (st->ddf) {
		for (unsigned i = 0; i < n; i++)
			st->slot[i] = i;
		st->nslots = n;
		return;
	}
	d0 = st->qd == n - 1 ? 0 : st->qd + 1;
	for (unsigned i = 0; i < n; i++) {
		unsigned d = (d0 + i) % n;

		if (d != st->pd && d != st->qd)
			st->slot[d] = c++;
	}
	st->nslots = c;
}

void raid_parity_layout(const struct raid_geom *g, uint64_t stripe, struct raid_stripe *st)
{
	g->par->stripe(g, stripe, st);
	raid_parity_slots(g, st);
}

unsigned raid_parity_map(const struct raid_geom *g, uint64_t s, struct raid_copy *out, uint64_t *run)
{
	uint64_t chunk = s / g->chunk, stripe = chunk / g->ndata;
	unsigned k = (unsigned)(chunk % g->ndata), in = (unsigned)(s % g->chunk);
	struct raid_stripe st;

	g->par->stripe(g, stripe, &st);
	out[0] = (struct raid_copy){ st.data[k], stripe * g->chunk + in };
	*run = g->chunk - in;
	return 1;
}

/* P (and Q) of the data in @bufs (per device; NULL reads as zeroes). */
void raid_parity_gen(const struct raid_stripe *st, uint8_t *const *bufs, size_t len, uint8_t *p, uint8_t *q)
{
	void *ptrs[RAID_MAX_DEVS + 2];
	unsigned n;

	if (st->qd == RAID_NO_DEV) {
		n = 0;
		for (unsigned k = 0; k < st->ndata; k++)
			if (bufs[st->data[k]])
				ptrs[n++] = bufs[st->data[k]];
		if (n == 0)
			memset(p, 0, len);
		else if (n == 1)
			memcpy(p, ptrs[0], len);
		else {
			ptrs[n] = p;
			xor_gen((int)n + 1, (int)len, ptrs);
		}
		return;
	}
	for (unsigned j = 0; j < st->nslots; j++)
		ptrs[j] = zeroes;
	/* Slots past the last data chunk add nothing to P or Q: a DDF row
	 * whose P and Q are its last devices has as many sources as data
	 * (pq_gen takes two at least) */
	n = 2;
	for (unsigned k = 0; k < st->ndata; k++) {
		unsigned j = st->slot[st->data[k]];

		if (!bufs[st->data[k]])
			continue;
		ptrs[j] = bufs[st->data[k]];
		n = j + 1 > n ? j + 1 : n;
	}
	ptrs[n] = p;
	ptrs[n + 1] = q;
	pq_gen((int)n + 2, (int)len, ptrs);
}

void raid_xor_into(uint8_t *dst, const uint8_t *src, size_t len)
{
	uint64_t *d = (uint64_t *)(void *)dst;
	const uint64_t *s = (const uint64_t *)(const void *)src;

	for (size_t i = 0; i < len / 8; i++)
		d[i] ^= s[i];
}

static uint8_t gexp(unsigned e)
{
	uint8_t v = 1;

	while (e--)
		v = gf_mul(v, 2);
	return v;
}

/* dst = c0 * s0 (^ c1 * s1 when s1) over GF(2^8). */
static void gf_combine(uint8_t *dst, uint8_t c0, uint8_t *s0, uint8_t c1, uint8_t *s1, size_t len)
{
	unsigned char coef[2] = { c0, c1 }, tbls[64];
	unsigned char *src[2] = { s0, s1 }, *out[1] = { dst };
	int k = s1 ? 2 : 1;

	ec_init_tables(k, 1, coef, tbls);
	ec_encode_data((int)len, k, 1, tbls, src, out);
}

void raid_parity_update(const struct raid_stripe *st, unsigned dev, const uint8_t *src, size_t len, uint8_t *p,
			uint8_t *q)
{
	raid_xor_into(p, src, len);
	if (st->qd != RAID_NO_DEV) {
		unsigned char c = gexp(st->slot[dev]), tbls[32];

		ec_init_tables(1, 1, &c, tbls);
		gf_vect_mad((int)len, 1, 0, tbls, (unsigned char *)src, q);
	}
}

int raid_parity_rebuild(const struct raid_stripe *st, uint8_t **bufs, const bool *missing, size_t len,
			uint8_t *t1, uint8_t *t2)
{
	bool mp = missing[st->pd], mq = st->qd != RAID_NO_DEV && missing[st->qd];
	unsigned md[2], nmd = 0, nparity = st->qd == RAID_NO_DEV ? 1 : 2;

	for (unsigned k = 0; k < st->ndata; k++) {
		if (!missing[st->data[k]])
			continue;
		if (nmd == 2)
			return -EIO;
		md[nmd++] = st->data[k];
	}
	if (nmd + mp + mq > nparity)
		return -EIO;
	if (nmd == 1 && !mp) {
		uint8_t *d = bufs[md[0]];

		memcpy(d, bufs[st->pd], len);
		for (unsigned k = 0; k < st->ndata; k++)
			if (st->data[k] != md[0])
				raid_xor_into(d, bufs[st->data[k]], len);
	} else if (nmd >= 1) {
		uint8_t *save[2] = { bufs[md[0]], nmd == 2 ? bufs[md[1]] : NULL };

		for (unsigned j = 0; j < nmd; j++)
			bufs[md[j]] = NULL;
		raid_parity_gen(st, bufs, len, t1, t2);
		for (unsigned j = 0; j < nmd; j++)
			bufs[md[j]] = save[j];
		raid_xor_into(t2, bufs[st->qd], len); /* dQ */
		if (nmd == 1) {
			gf_combine(save[0], gf_inv(gexp(st->slot[md[0]])), t2, 0, NULL, len);
		} else {
			unsigned a = st->slot[md[0]], b = st->slot[md[1]];
			uint8_t *da = save[0], *db = save[1];

			if (a > b) {
				unsigned t = a;

				a = b;
				b = t;
				da = save[1];
				db = save[0];
			}
			raid_xor_into(t1, bufs[st->pd], len); /* dP */
			gf_combine(db, gf_inv(gexp(b - a) ^ 1), t1, gf_inv(gexp(a) ^ gexp(b)), t2, len);
			memcpy(da, db, len);
			raid_xor_into(da, t1, len);
		}
	}
	if (mp || mq)
		raid_parity_gen(st, bufs, len, mp ? bufs[st->pd] : t1, mq ? bufs[st->qd] : t2);
	return 0;
}

static pthread_key_t buf_key;
static pthread_once_t buf_once = PTHREAD_ONCE_INIT;
static _Thread_local struct {
	uint8_t *mem;
	unsigned count;
} tbuf;

static void buf_free(void *p)
{
	free(p);
}

static void buf_key_init(void)
{
	pthread_key_create(&buf_key, buf_free);
}

int raid_parity_bufs(unsigned ndevs, uint8_t **bufs)
{
	unsigned count = ndevs + 2;

	if (count > tbuf.count) {
		uint8_t *m = aligned_alloc(64, (size_t)count * RAID_PUNIT);

		if (!m)
			return -ENOMEM;
		pthread_once(&buf_once, buf_key_init);
		free(tbuf.mem);
		tbuf.mem = m;
		tbuf.count = count;
		pthread_setspecific(buf_key, m);
	}
	for (unsigned i = 0; i < count; i++)
		bufs[i] = tbuf.mem + (size_t)i * RAID_PUNIT;
	return 0;
}

const uint8_t *raid_zeroes(void)
{
	return zeroes;
}
