/* The parity levels' geometry and arithmetic.
 *
 * Placement: the pictures of md's layouts (which chunk, P and Q sit on
 * each disk of the first stripes, and each data chunk's Q coefficient),
 * then, for 3 to 12 devices and every layout dm-raid names, against a
 * brute-force transcription of the kernel's raid5_compute_sector() run
 * chunk by chunk, with raid6_d0()/raid6_idx_to_slot() for the Q order.
 * Arithmetic: P and Q against a GF(2^8) multiply written bit by bit
 * (polynomial 0x11d, g = 2), every loss of one device (raid5) and of one
 * or two devices (raid6) rebuilt, and read-modify-write's parity update
 * equal to recomputing the parity.
 */
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "targets/raid/raid.h"

#define CH 128

static const struct raid_level *const parity_levels[] = {
	&raid_level_raid4,     &raid_level_raid5_la,  &raid_level_raid5_ra,  &raid_level_raid5_ls,
	&raid_level_raid5_rs,  &raid_level_raid5_n,   &raid_level_raid6_zr,  &raid_level_raid6_nr,
	&raid_level_raid6_nc,  &raid_level_raid6_n_6, &raid_level_raid6_la_6, &raid_level_raid6_ra_6,
	&raid_level_raid6_ls_6, &raid_level_raid6_rs_6,
};
#define NLEVELS (sizeof(parity_levels) / sizeof(parity_levels[0]))

static void geom(const struct raid_level *l, struct raid_geom *g, unsigned ndevs, uint64_t stripes)
{
	struct raid_params p = { .chunk = CH };
	const char *why = NULL;

	memset(g, 0, sizeof(*g));
	g->ndevs = ndevs;
	g->array_sectors = stripes * (ndevs - l->parity->nparity) * CH;
	assert_int_equal(l->setup(g, &p, &why), 0);
	assert_int_equal(g->dev_sectors, stripes * CH);
	assert_int_equal(g->sync_sectors, g->dev_sectors);
}

/* One picture: per stripe, per disk "P", "Q", "D<chunk>" or
 * "D<chunk>^<exponent>" (its Q coefficient), blank-separated. */
static void picture(const struct raid_level *l, unsigned ndevs, const char *const *rows, unsigned nrows)
{
	struct raid_geom g;

	geom(l, &g, ndevs, 8);
	for (unsigned s = 0; s < nrows; s++) {
		struct raid_stripe st;
		char *dup = strdup(rows[s]), *save = NULL, *tok = strtok_r(dup, " ", &save);

		raid_parity_layout(&g, s, &st);
		for (unsigned d = 0; d < ndevs; d++, tok = strtok_r(NULL, " ", &save)) {
			assert_non_null(tok);
			if (!strcmp(tok, "P")) {
				assert_int_equal(st.pd, d);
			} else if (!strcmp(tok, "Q")) {
				assert_int_equal(st.qd, d);
			} else {
				char *end;
				unsigned c = (unsigned)strtoul(tok + 1, &end, 10);
				struct raid_copy cp;
				uint64_t run;

				assert_int_equal(c / st.ndata, s);
				assert_int_equal(st.data[c % st.ndata], d);
				assert_int_equal(l->map(&g, (uint64_t)c * CH + 5, &cp, &run), 1);
				assert_int_equal(cp.dev, d);
				assert_int_equal(cp.sector, (uint64_t)s * CH + 5);
				assert_int_equal(run, CH - 5);
				if (*end == '^')
					assert_int_equal(st.slot[d], strtoul(end + 1, NULL, 10));
			}
		}
		free(dup);
	}
}

static void test_pictures(void **state)
{
	static const char *const la[] = { "D0 D1 D2 P", "D3 D4 P D5", "D6 P D7 D8", "P D9 D10 D11", "D12 D13 D14 P" };
	static const char *const ra[] = { "P D0 D1 D2", "D3 P D4 D5", "D6 D7 P D8", "D9 D10 D11 P", "P D12 D13 D14" };
	static const char *const ls[] = { "D0 D1 D2 P", "D4 D5 P D3", "D8 P D6 D7", "P D9 D10 D11", "D12 D13 D14 P" };
	static const char *const rs[] = { "P D0 D1 D2", "D5 P D3 D4", "D7 D8 P D6", "D9 D10 D11 P", "P D12 D13 D14" };
	static const char *const r4[] = { "P D0 D1 D2", "P D3 D4 D5" };
	static const char *const r5n[] = { "D0 D1 D2 P", "D3 D4 D5 P" };
	static const char *const zr[] = { "P Q D0^2 D1^3 D2^4", "D3^0 P Q D4^3 D5^4", "D6^0 D7^1 P Q D8^4",
					  "D9^0 D10^1 D11^2 P Q", "Q D12^1 D13^2 D14^3 P" };
	static const char *const nr[] = { "D0^0 D1^1 D2^2 P Q", "D3^0 D4^1 P Q D5^4", "D6^0 P Q D7^3 D8^4",
					  "P Q D9^2 D10^3 D11^4", "Q D12^1 D13^2 D14^3 P" };
	static const char *const nc[] = { "D0^0 D1^1 D2^2 Q P", "D4^0 D5^1 Q P D3^4", "D8^0 Q P D6^3 D7^4",
					  "Q P D9^2 D10^3 D11^4", "P D12^1 D13^2 D14^3 Q" };
	static const char *const n6[] = { "D0^0 D1^1 D2^2 P Q", "D3^0 D4^1 D5^2 P Q" };
	static const char *const la6[] = { "D0^0 D1^1 D2^2 P Q", "D3^0 D4^1 P D5^2 Q", "D6^0 P D7^1 D8^2 Q",
					   "P D9^0 D10^1 D11^2 Q" };
	static const char *const ra6[] = { "P D0^0 D1^1 D2^2 Q", "D3^0 P D4^1 D5^2 Q", "D6^0 D7^1 P D8^2 Q",
					   "D9^0 D10^1 D11^2 P Q" };
	static const char *const ls6[] = { "D0^0 D1^1 D2^2 P Q", "D4^0 D5^1 P D3^2 Q", "D8^0 P D6^1 D7^2 Q",
					   "P D9^0 D10^1 D11^2 Q" };
	static const char *const rs6[] = { "P D0^0 D1^1 D2^2 Q", "D5^0 P D3^1 D4^2 Q", "D7^0 D8^1 P D6^2 Q",
					   "D9^0 D10^1 D11^2 P Q" };

	(void)state;
	picture(&raid_level_raid5_la, 4, la, 5);
	picture(&raid_level_raid5_ra, 4, ra, 5);
	picture(&raid_level_raid5_ls, 4, ls, 5);
	picture(&raid_level_raid5_rs, 4, rs, 5);
	picture(&raid_level_raid4, 4, r4, 2);
	picture(&raid_level_raid5_n, 4, r5n, 2);
	picture(&raid_level_raid6_zr, 5, zr, 5);
	picture(&raid_level_raid6_nr, 5, nr, 5);
	picture(&raid_level_raid6_nc, 5, nc, 5);
	picture(&raid_level_raid6_n_6, 5, n6, 2);
	picture(&raid_level_raid6_la_6, 5, la6, 4);
	picture(&raid_level_raid6_ra_6, 5, ra6, 4);
	picture(&raid_level_raid6_ls_6, 5, ls6, 4);
	picture(&raid_level_raid6_rs_6, 5, rs6, 4);
}

/* linux drivers/md/raid5.c: raid5_compute_sector(), for one chunk. */
static void md_compute(unsigned level, unsigned algo, unsigned n, uint64_t chunk, unsigned *dd, unsigned *pd,
		       unsigned *qd, int *ddf)
{
	unsigned maxdeg = level == 6 ? 2 : 1, data_disks = n - maxdeg;
	uint64_t stripe = chunk / data_disks, stripe2 = stripe;
	unsigned d = (unsigned)(chunk % data_disks), p = 0, q = ~0u;

	*ddf = 0;
	if (level == 5) {
		switch (algo) {
		case 0: p = data_disks - (unsigned)(stripe2 % n); if (d >= p) d++; break;
		case 1: p = (unsigned)(stripe2 % n); if (d >= p) d++; break;
		case 2: p = data_disks - (unsigned)(stripe2 % n); d = (p + 1 + d) % n; break;
		case 3: p = (unsigned)(stripe2 % n); d = (p + 1 + d) % n; break;
		case 4: p = 0; d++; break;
		case 5: p = data_disks; break;
		}
	} else {
		switch (algo) {
		case 5: p = data_disks; q = data_disks + 1; break;
		case 8:
		case 9:
			if (algo == 9)
				stripe2 += 1;
			p = algo == 8 ? (unsigned)(stripe2 % n) : n - 1 - (unsigned)(stripe2 % n);
			q = p + 1;
			if (p == n - 1) {
				d++;
				q = 0;
			} else if (d >= p) {
				d += 2;
			}
			*ddf = 1;
			break;
		case 10: p = n - 1 - (unsigned)(stripe2 % n); q = (p + n - 1) % n; d = (p + 1 + d) % n; *ddf = 1; break;
		case 16: p = data_disks - (unsigned)(stripe2 % (n - 1)); if (d >= p) d++; q = n - 1; break;
		case 17: p = (unsigned)(stripe2 % (n - 1)); if (d >= p) d++; q = n - 1; break;
		case 18: p = data_disks - (unsigned)(stripe2 % (n - 1)); d = (p + 1 + d) % (n - 1); q = n - 1; break;
		case 19: p = (unsigned)(stripe2 % (n - 1)); d = (p + 1 + d) % (n - 1); q = n - 1; break;
		}
	}
	*dd = d, *pd = p, *qd = q;
}

/* raid6_d0() and raid6_idx_to_slot(): the slot of disk @idx. */
static unsigned md_slot(unsigned n, unsigned pd, unsigned qd, int ddf, unsigned idx)
{
	unsigned d0 = ddf ? 0 : qd == n - 1 ? 0 : qd + 1, count = 0, i = d0;

	do {
		unsigned slot = count;

		if (ddf)
			count++;
		if (i != pd && i != qd && !ddf)
			count++;
		if (i == idx)
			return slot;
		i = (i + 1) % n;
	} while (i != d0);
	return ~0u;
}

static void test_brute_force(void **state)
{
	(void)state;
	for (unsigned li = 0; li < NLEVELS; li++) {
		const struct raid_level *l = parity_levels[li];

		for (unsigned n = l->min_devs > 3 ? l->min_devs : 3; n <= 12; n++) {
			struct raid_geom g;
			unsigned nd = n - l->parity->nparity;

			geom(l, &g, n, 3 * n);
			for (uint64_t c = 0; c < (uint64_t)3 * n * nd; c++) {
				struct raid_stripe st;
				struct raid_copy cp;
				uint64_t run;
				unsigned dd, pd, qd;
				int ddf;

				md_compute(g.md_level, g.md_layout, n, c, &dd, &pd, &qd, &ddf);
				raid_parity_layout(&g, c / nd, &st);
				assert_int_equal(st.pd, pd);
				if (l->parity->nparity == 2)
					assert_int_equal(st.qd, qd);
				assert_int_equal(st.data[c % nd], dd);
				assert_int_equal(l->map(&g, c * CH, &cp, &run), 1);
				assert_int_equal(cp.dev, dd);
				assert_int_equal(cp.sector, c / nd * CH);
				if (l->parity->nparity == 2)
					assert_int_equal(st.slot[dd], md_slot(n, pd, qd, ddf, dd));
			}
		}
	}
}

static uint8_t gfmul(uint8_t a, uint8_t b)
{
	uint8_t r = 0;

	while (b) {
		if (b & 1)
			r ^= a;
		a = (uint8_t)((a << 1) ^ (a & 0x80 ? 0x1d : 0));
		b >>= 1;
	}
	return r;
}

#define LEN 4096

static void test_arithmetic(void **state)
{
	(void)state;
	srand(7);
	for (unsigned li = 0; li < NLEVELS; li++) {
		const struct raid_level *l = parity_levels[li];
		unsigned n = 7, np = l->parity->nparity;
		struct raid_geom g;
		struct raid_stripe st;
		uint8_t *mem = aligned_alloc(64, (size_t)(2 * n + 2) * LEN), *bufs[16], *orig[16];

		geom(l, &g, n, 4);
		raid_parity_layout(&g, 3, &st);
		for (unsigned i = 0; i < n; i++) {
			bufs[i] = mem + (size_t)i * LEN;
			orig[i] = mem + (size_t)(n + i) * LEN;
			for (unsigned x = 0; x < LEN; x++)
				bufs[i][x] = (uint8_t)rand();
		}
		raid_parity_gen(&st, bufs, LEN, bufs[st.pd], np == 2 ? bufs[st.qd] : NULL);
		for (unsigned x = 0; x < LEN; x++) {
			uint8_t p = 0, q = 0;

			for (unsigned k = 0; k < st.ndata; k++) {
				uint8_t gx = 1;

				for (unsigned e = 0; e < st.slot[st.data[k]]; e++)
					gx = gfmul(gx, 2);
				p ^= bufs[st.data[k]][x];
				q ^= gfmul(gx, bufs[st.data[k]][x]);
			}
			assert_int_equal(bufs[st.pd][x], p);
			if (np == 2)
				assert_int_equal(bufs[st.qd][x], q);
		}
		for (unsigned i = 0; i < n; i++)
			memcpy(orig[i], bufs[i], LEN);
		/* every loss the level survives */
		for (unsigned a = 0; a < n; a++) {
			for (unsigned b = a; b < n; b++) {
				bool missing[16] = { false };

				if (b != a && np < 2)
					continue;
				missing[a] = missing[b] = true;
				memset(bufs[a], 0xee, LEN);
				memset(bufs[b], 0xee, LEN);
				assert_int_equal(raid_parity_rebuild(&st, bufs, missing, LEN, mem + (size_t)2 * n * LEN,
								     mem + (size_t)(2 * n + 1) * LEN), 0);
				assert_memory_equal(bufs[a], orig[a], LEN);
				assert_memory_equal(bufs[b], orig[b], LEN);
			}
		}
		/* read-modify-write: old out, new in */
		{
			unsigned d = st.data[1];

			raid_parity_update(&st, d, bufs[d], LEN, bufs[st.pd], np == 2 ? bufs[st.qd] : NULL);
			for (unsigned x = 0; x < LEN; x += 3)
				bufs[d][x] ^= 0x5a;
			raid_parity_update(&st, d, bufs[d], LEN, bufs[st.pd], np == 2 ? bufs[st.qd] : NULL);
			memcpy(orig[st.pd], bufs[st.pd], LEN);
			if (np == 2)
				memcpy(orig[st.qd], bufs[st.qd], LEN);
			raid_parity_gen(&st, bufs, LEN, bufs[st.pd], np == 2 ? bufs[st.qd] : NULL);
			assert_memory_equal(orig[st.pd], bufs[st.pd], LEN);
			if (np == 2)
				assert_memory_equal(orig[st.qd], bufs[st.qd], LEN);
		}
		free(mem);
	}
}

static void test_refused(void **state)
{
	struct raid_geom g;
	struct raid_params p = { .chunk = 96 };
	const char *why = NULL;

	(void)state;
	memset(&g, 0, sizeof(g));
	g.ndevs = 4;
	g.array_sectors = 3 * 96 * 4;
	assert_int_equal(raid_level_raid5_ls.setup(&g, &p, &why), -EINVAL);
	assert_non_null(strstr(why, "power of two"));
	p.chunk = 128;
	g.array_sectors = 3 * 128 * 4 + 8;
	assert_int_equal(raid_level_raid5_ls.setup(&g, &p, &why), -EINVAL);
	assert_non_null(strstr(why, "not divisible"));
	g.ndevs = 2;
	g.array_sectors = 128 * 4;
	assert_int_equal(raid_level_raid6_zr.setup(&g, &p, &why), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pictures),
		cmocka_unit_test(test_brute_force),
		cmocka_unit_test(test_arithmetic),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
