/* thin_meta_delta (src/thin/thin_delta.c) against a brute-force
 * comparison: random mapping sets with shared history (snapshots of
 * snapshots, then inserts, overwrites and removes on either side), every
 * pair of devices compared with and without the "same" ranges, before and
 * after a commit; and a large volume whose delta must not read it all. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "thin/thin_metadata.h"

#define META_BYTES (32u << 20)
#define DATA_BLOCKS 400000
#define NDEVS 6

/* Model: map[dev][vblock] = data block + 1, 0 = unmapped. */
struct model {
	uint64_t vblocks;
	uint64_t *map[NDEVS];
	bool exists[NDEVS];
};

struct ranges {
	struct thin_delta_range *r;
	size_t n, cap;
};

static int collect(void *opaque, const struct thin_delta_range *r)
{
	struct ranges *rs = opaque;

	if (rs->n == rs->cap) {
		rs->cap = rs->cap ? 2 * rs->cap : 64;
		rs->r = realloc(rs->r, rs->cap * sizeof(*rs->r));
		assert_non_null(rs->r);
	}
	rs->r[rs->n++] = *r;
	return 0;
}

static void brute(const struct model *m, int a, int b, bool same, struct ranges *rs)
{
	for (uint64_t v = 0; v < m->vblocks; v++) {
		uint64_t x = m->map[a][v], y = m->map[b][v];
		struct thin_delta_range r = { .begin = v, .len = 1 };

		if (!x && !y)
			continue;
		if (x && !y)
			r.kind = THIN_DELTA_LEFT_ONLY;
		else if (!x)
			r.kind = THIN_DELTA_RIGHT_ONLY;
		else if (x != y)
			r.kind = THIN_DELTA_DIFFERENT;
		else if (same)
			r.kind = THIN_DELTA_SAME;
		else
			continue;
		if (rs->n && rs->r[rs->n - 1].kind == r.kind &&
		    rs->r[rs->n - 1].begin + rs->r[rs->n - 1].len == v)
			rs->r[rs->n - 1].len++;
		else
			collect(rs, &r);
	}
}

static void check_pair(struct thin_meta *tm, const struct model *m, int a, int b, bool same)
{
	struct ranges got = { 0 }, want = { 0 };

	assert_int_equal(thin_meta_delta(tm, (uint64_t)a, (uint64_t)b,
					 same ? THIN_DELTA_WITH_SAME : 0, collect, &got), 0);
	brute(m, a, b, same, &want);
	if (got.n != want.n)
		fprintf(stderr, "delta %d %d%s: %zu ranges, want %zu\n", a, b,
			same ? " (same)" : "", got.n, want.n);
	assert_int_equal(got.n, want.n);
	for (size_t i = 0; i < got.n; i++) {
		assert_int_equal(got.r[i].kind, want.r[i].kind);
		assert_int_equal(got.r[i].begin, want.r[i].begin);
		assert_int_equal(got.r[i].len, want.r[i].len);
	}
	free(got.r);
	free(want.r);
}

static void check_all(struct thin_meta *tm, const struct model *m)
{
	for (int a = 0; a < NDEVS; a++)
		for (int b = 0; b < NDEVS; b++)
			if (m->exists[a] && m->exists[b]) {
				check_pair(tm, m, a, b, false);
				check_pair(tm, m, a, b, true);
			}
}

static void map_one(struct thin_meta *tm, struct model *m, int dev, uint64_t v)
{
	struct err e = { { 0 } };
	uint64_t block;

	assert_int_equal(thin_meta_alloc_data_block(tm, &block, &e), 0);
	assert_int_equal(thin_meta_insert(tm, (uint64_t)dev, v, block, &e), 0);
	m->map[dev][v] = block + 1;
}

static void unmap_one(struct thin_meta *tm, struct model *m, int dev, uint64_t v)
{
	struct err e = { { 0 } };

	if (!m->map[dev][v])
		return;
	assert_int_equal(thin_meta_remove(tm, (uint64_t)dev, v, &e), 0);
	m->map[dev][v] = 0;
}

/* Changes to @dev: runs of writes (so ranges merge) and some removes. */
static void mutate(struct thin_meta *tm, struct model *m, int dev, unsigned runs)
{
	for (unsigned i = 0; i < runs; i++) {
		uint64_t v = (uint64_t)rand() % m->vblocks;
		uint64_t len = 1 + (uint64_t)rand() % 40;
		bool remove = rand() % 4 == 0;

		for (uint64_t k = v; k < v + len && k < m->vblocks; k++) {
			if (remove)
				unmap_one(tm, m, dev, k);
			else
				map_one(tm, m, dev, k);
		}
	}
}

static void new_pool(struct dev **mdev, struct thin_meta **tm)
{
	struct err e = { { 0 } };

	assert_int_equal(dev_new_memory(META_BYTES, mdev), 0);
	assert_int_equal(thin_meta_format(*mdev, 128, DATA_BLOCKS, NULL, tm, &e), 0);
}

static void test_random(void **state)
{
	struct err e = { { 0 } };
	struct model m = { .vblocks = 30000 };
	struct thin_meta *tm;
	struct dev *mdev;

	(void)state;
	srand(4242);
	new_pool(&mdev, &tm);
	for (int i = 0; i < NDEVS; i++)
		m.map[i] = calloc(m.vblocks, sizeof(uint64_t));
	assert_int_equal(thin_meta_create_thin(tm, 0, &e), 0);
	m.exists[0] = true;
	mutate(tm, &m, 0, 400);
	check_all(tm, &m);
	/* Snapshots of the origin and of snapshots, each side changing on. */
	for (int d = 1; d < NDEVS; d++) {
		int origin = rand() % d;

		assert_int_equal(thin_meta_create_snap(tm, (uint64_t)d, (uint64_t)origin, &e), 0);
		memcpy(m.map[d], m.map[origin], m.vblocks * sizeof(uint64_t));
		m.exists[d] = true;
		check_pair(tm, &m, origin, d, false);
		mutate(tm, &m, origin, 1 + (unsigned)rand() % 20);
		mutate(tm, &m, d, (unsigned)rand() % 30);
		if (d % 2)
			assert_int_equal(thin_meta_commit(tm, &e), 0);
		check_all(tm, &m);
	}
	/* A delete of one device changes nothing of the others' deltas. */
	assert_int_equal(thin_meta_delete(tm, 2, &e), 0);
	m.exists[2] = false;
	assert_int_equal(thin_meta_delta(tm, 2, 1, 0, collect, &(struct ranges){ 0 }), -ENODEV);
	check_all(tm, &m);
	assert_int_equal(thin_meta_commit(tm, &e), 0);
	check_all(tm, &m);
	/* An empty device against a full one, and two empty ones. */
	assert_int_equal(thin_meta_create_thin(tm, 2, &e), 0);
	memset(m.map[2], 0, m.vblocks * sizeof(uint64_t));
	m.exists[2] = true;
	check_all(tm, &m);
	thin_meta_close(tm);
	dev_put(mdev);
	for (int i = 0; i < NDEVS; i++)
		free(m.map[i]);
}

static int count_ranges(void *opaque, const struct thin_delta_range *r)
{
	(*(uint64_t *)opaque) += r->len;
	return 0;
}

static int stop_at_first(void *opaque, const struct thin_delta_range *r)
{
	(void)r;
	(*(int *)opaque)++;
	return 1;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A volume of 300000 mapped blocks (three btree levels), snapshotted,
 * then a few blocks written: the delta finds them, and takes a small
 * fraction of the time of a full walk. */
static void test_large(void **state)
{
	struct err e = { { 0 } };
	struct thin_meta *tm;
	struct dev *mdev;
	uint64_t n = 0, block;
	double t0, t_delta, t_same;
	int stops = 0;

	(void)state;
	new_pool(&mdev, &tm);
	assert_int_equal(thin_meta_create_thin(tm, 1, &e), 0);
	for (uint64_t v = 0; v < 300000; v++) {
		assert_int_equal(thin_meta_alloc_data_block(tm, &block, &e), 0);
		assert_int_equal(thin_meta_insert(tm, 1, v, block, &e), 0);
	}
	assert_int_equal(thin_meta_create_snap(tm, 2, 1, &e), 0);
	assert_int_equal(thin_meta_commit(tm, &e), 0);
	for (uint64_t v = 1000; v < 300000; v += 50000) {
		assert_int_equal(thin_meta_alloc_data_block(tm, &block, &e), 0);
		assert_int_equal(thin_meta_insert(tm, 2, v, block, &e), 0);
	}
	assert_int_equal(thin_meta_remove(tm, 2, 299999, &e), 0);
	t0 = now_ms();
	assert_int_equal(thin_meta_delta(tm, 1, 2, 0, count_ranges, &n), 0);
	t_delta = now_ms() - t0;
	assert_int_equal(n, 7);
	n = 0;
	t0 = now_ms();
	assert_int_equal(thin_meta_delta(tm, 1, 2, THIN_DELTA_WITH_SAME, count_ranges, &n), 0);
	t_same = now_ms() - t0;
	assert_int_equal(n, 300000);
	print_message("delta of 300000 mapped blocks, 7 changed: %.3f ms (with same: %.3f ms)\n",
		      t_delta, t_same);
	assert_int_equal(thin_meta_delta(tm, 1, 2, 0, stop_at_first, &stops), 0);
	assert_int_equal(stops, 1);
	thin_meta_close(tm);
	dev_put(mdev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random),
		cmocka_unit_test(test_large),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
