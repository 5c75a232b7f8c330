/* Thin-pool metadata (src/thin/thin_metadata.c) on memory devices:
 * thins, snapshots that share and then break sharing, deletes that give
 * every data block back, the held metadata snapshot, reopen, and crashes:
 * writes dropped from any point of a commit leave the last committed
 * state. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "thin/thin_metadata.h"

#define META_BYTES (8u << 20)
#define DATA_BLOCKS 20000

/* ---- a device that "loses power": writes after the first N are dropped */

struct crash_dev {
	struct dev dev;
	struct dev *lower;
	long writes_left;     /* < 0: unlimited */
	long writes;
};

static int c_read(struct dev *d, void *buf, size_t len, uint64_t off)
{
	return dev_read(((struct crash_dev *)d)->lower, buf, len, off);
}

static int c_write(struct dev *d, const void *buf, size_t len, uint64_t off, unsigned flags)
{
	struct crash_dev *c = (struct crash_dev *)d;

	c->writes++;
	if (c->writes_left == 0)
		return 0;
	if (c->writes_left > 0)
		c->writes_left--;
	return dev_write(c->lower, buf, len, off, flags);
}

static int c_flush(struct dev *d)
{
	return dev_flush(((struct crash_dev *)d)->lower);
}

static void c_destroy(struct dev *d)
{
	free(d);
}

static const struct dev_ops crash_ops = {
	.read = c_read, .write = c_write, .flush = c_flush, .destroy = c_destroy,
};

static struct crash_dev *crash_dev_new(struct dev *lower)
{
	struct crash_dev *c = calloc(1, sizeof(*c));

	dev_init(&c->dev, &crash_ops, "crash", lower->size);
	c->lower = lower;
	c->writes_left = -1;
	return c;
}

/* ---- helpers ---- */

struct listing {
	char *buf;
	size_t len, cap;
};

static void lappend(struct listing *l, const char *s)
{
	size_t n = strlen(s);

	if (l->len + n + 1 > l->cap) {
		l->cap = (l->len + n + 1) * 2;
		l->buf = realloc(l->buf, l->cap);
	}
	memcpy(l->buf + l->len, s, n + 1);
	l->len += n;
}

struct lctx {
	struct thin_meta *t;
	struct listing *l;
	uint64_t id;
};

static int list_map(void *opaque, uint64_t vblock, uint64_t data, uint32_t time)
{
	struct lctx *c = opaque;
	char s[96];

	snprintf(s, sizeof(s), "M %llu %llu %llu %u\n", (unsigned long long)c->id,
		 (unsigned long long)vblock, (unsigned long long)data, time);
	lappend(c->l, s);
	return 0;
}

static int list_dev(void *opaque, const struct thin_dev_info *d)
{
	struct lctx *c = opaque;
	char s[128];

	snprintf(s, sizeof(s), "D %llu %llu %llu %u %u\n", (unsigned long long)d->id,
		 (unsigned long long)d->mapped_blocks, (unsigned long long)d->transaction_id,
		 d->creation_time, d->snapshotted_time);
	lappend(c->l, s);
	c->id = d->id;
	return thin_meta_walk(c->t, d->id, list_map, c);
}

/* Everything a reader can see, as text. */
static char *listing(struct thin_meta *t)
{
	struct listing l = { 0 };
	struct lctx c = { .t = t, .l = &l };
	char s[128];

	lappend(&l, "");
	assert_int_equal(thin_meta_list_devs(t, list_dev, &c), 0);
	snprintf(s, sizeof(s), "trans %llu time %u free %llu held %llu\n",
		 (unsigned long long)thin_meta_transaction_id(t), thin_meta_time(t),
		 (unsigned long long)thin_meta_data_free(t),
		 (unsigned long long)thin_meta_held_root(t));
	lappend(&l, s);
	return l.buf;
}

static void map_new(struct thin_meta *t, uint64_t id, uint64_t vblock)
{
	uint64_t b;

	assert_int_equal(thin_meta_alloc_data_block(t, &b, NULL), 0);
	assert_int_equal(thin_meta_insert(t, id, vblock, b, NULL), 0);
}

static void random_maps(struct thin_meta *t, uint64_t id, unsigned n, uint64_t range,
			unsigned seed)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t vb = (uint64_t)rand_r(&seed) % range;

		if (rand_r(&seed) % 100 < 75) {
			map_new(t, id, vb);
		} else {
			int r = thin_meta_remove(t, id, vb, NULL);

			assert_true(r == 0 || r == -ENODATA);
		}
	}
}

/* ---- tests ---- */

static void test_format_open(void **state)
{
	struct dev *d;
	struct thin_meta *t;
	struct err e = { { 0 } };

	(void)state;
	assert_int_equal(dev_new_memory(META_BYTES, &d), 0);
	assert_int_equal(thin_meta_open(d, 0, NULL, &t, &e), -ENODATA);
	assert_int_equal(thin_meta_format(d, 100, DATA_BLOCKS, NULL, &t, &e), -EINVAL);
	assert_int_equal(thin_meta_format(d, 128, DATA_BLOCKS, NULL, &t, &e), 0);
	assert_int_equal(thin_meta_data_free(t), DATA_BLOCKS);
	thin_meta_close(t);
	assert_int_equal(thin_meta_open(d, 256, NULL, &t, &e), -EINVAL);
	assert_int_equal(thin_meta_open(d, 128, NULL, &t, &e), 0);
	assert_int_equal(thin_meta_data_blocks(t), DATA_BLOCKS);
	assert_int_equal(thin_meta_metadata_blocks(t), META_BYTES / 4096);
	thin_meta_close(t);
	dev_put(d);
}

static void test_snapshots(void **state)
{
	struct dev *d;
	struct thin_meta *t;
	struct err e = { { 0 } };
	struct thin_mapping m, m2;
	struct thin_dev_info info;
	uint32_t count;
	char *a, *b;

	(void)state;
	assert_int_equal(dev_new_memory(META_BYTES, &d), 0);
	assert_int_equal(thin_meta_format(d, 128, DATA_BLOCKS, NULL, &t, &e), 0);
	assert_int_equal(thin_meta_create_thin(t, 1, &e), 0);
	assert_int_equal(thin_meta_create_thin(t, 1, &e), -EEXIST);
	assert_int_equal(thin_meta_create_snap(t, 2, 9, &e), -ENODEV);
	for (uint64_t v = 0; v < 3000; v++)
		map_new(t, 1, v * 3);
	assert_int_equal(thin_meta_commit(t, &e), 0);

	/* the snapshot: same mappings, shared, and no data count changes */
	assert_int_equal(thin_meta_create_snap(t, 2, 1, &e), 0);
	assert_int_equal(thin_meta_time(t), 1);
	assert_int_equal(thin_meta_lookup(t, 2, 300, &m), 0);
	assert_int_equal(thin_meta_lookup(t, 1, 300, &m2), 0);
	assert_int_equal(m.data_block, m2.data_block);
	assert_true(m.shared && m2.shared);
	assert_int_equal(thin_meta_data_block_count(t, m.data_block, &count), 0);
	assert_int_equal(count, 1);
	assert_int_equal(thin_meta_dev_info(t, 2, &info), 0);
	assert_int_equal(info.mapped_blocks, 3000);
	assert_int_equal(info.creation_time, 1);

	/* break sharing on the snapshot: the copied leaf takes references */
	map_new(t, 2, 300);
	assert_int_equal(thin_meta_lookup(t, 2, 300, &m), 0);
	assert_int_not_equal(m.data_block, m2.data_block);
	assert_false(m.shared);
	assert_int_equal(thin_meta_lookup(t, 2, 303, &m), 0);
	assert_int_equal(thin_meta_data_block_count(t, m.data_block, &count), 0);
	assert_int_equal(count, 2);
	assert_int_equal(thin_meta_lookup(t, 1, 301, &m), -ENODATA);
	assert_int_equal(thin_meta_lookup(t, 7, 301, &m), -ENODEV);
	{
		uint64_t found;

		/* range walk: the next mapped block after a hole */
		assert_int_equal(thin_meta_next_mapping(t, 1, 301, &found, &m), 0);
		assert_int_equal(found, 303);
		assert_int_equal(thin_meta_next_mapping(t, 1, 0, &found, &m), 0);
		assert_int_equal(found, 0);
		assert_int_equal(thin_meta_next_mapping(t, 1, 8998, &found, &m), -ENODATA);
		assert_int_equal(thin_meta_next_mapping(t, 1, 8996, &found, &m), 0);
		assert_int_equal(found, 8997);
	}
	assert_int_equal(thin_meta_check(t, &e), 0);
	assert_int_equal(thin_meta_commit(t, &e), 0);

	/* reopen: the same state */
	a = listing(t);
	thin_meta_close(t);
	assert_int_equal(thin_meta_open(d, 128, NULL, &t, &e), 0);
	b = listing(t);
	assert_string_equal(a, b);
	free(a);
	free(b);

	/* delete both: every data block comes back */
	assert_int_equal(thin_meta_delete(t, 1, &e), 0);
	assert_int_equal(thin_meta_delete(t, 1, &e), -ENODEV);
	assert_int_equal(thin_meta_delete(t, 2, &e), 0);
	assert_int_equal(thin_meta_data_free(t), DATA_BLOCKS);
	assert_int_equal(thin_meta_commit(t, &e), 0);
	thin_meta_close(t);
	dev_put(d);
}

static void test_held_snapshot(void **state)
{
	struct dev *d;
	struct thin_meta *t;
	struct err e = { { 0 } };
	uint64_t free_meta;

	(void)state;
	assert_int_equal(dev_new_memory(META_BYTES, &d), 0);
	assert_int_equal(thin_meta_format(d, 128, DATA_BLOCKS, NULL, &t, &e), 0);
	assert_int_equal(thin_meta_create_thin(t, 1, &e), 0);
	random_maps(t, 1, 2000, 5000, 1);
	assert_int_equal(thin_meta_commit(t, &e), 0);
	free_meta = thin_meta_metadata_free(t);
	assert_int_equal(thin_meta_reserve_metadata_snap(t, &e), 0);
	assert_int_equal(thin_meta_reserve_metadata_snap(t, &e), -EBUSY);
	assert_int_not_equal(thin_meta_held_root(t), 0);
	random_maps(t, 1, 500, 5000, 2);
	assert_int_equal(thin_meta_delete(t, 1, &e), 0);
	assert_int_equal(thin_meta_check(t, &e), 0);
	assert_int_equal(thin_meta_commit(t, &e), 0);
	/* the held copy keeps device 1's mappings (and their data) alive */
	assert_int_not_equal(thin_meta_data_free(t), DATA_BLOCKS);
	assert_int_equal(thin_meta_release_metadata_snap(t, &e), 0);
	assert_int_equal(thin_meta_release_metadata_snap(t, &e), -EINVAL);
	assert_int_equal(thin_meta_commit(t, &e), 0);
	assert_int_equal(thin_meta_data_free(t), DATA_BLOCKS);
	assert_true(thin_meta_metadata_free(t) >= free_meta);
	thin_meta_close(t);
	dev_put(d);
}

/* Metadata runs out: the update fails with a reason, the pool refuses
 * further updates, and an abort brings back the last commit intact. */
static void test_metadata_full(void **state)
{
	struct dev *d;
	struct thin_meta *t;
	struct err e = { { 0 } };
	uint64_t b, v;
	char *a, *c;
	int r = 0;

	(void)state;
	assert_int_equal(dev_new_memory(64 * 4096, &d), 0);
	assert_int_equal(thin_meta_format(d, 128, DATA_BLOCKS, NULL, &t, &e), 0);
	assert_int_equal(thin_meta_create_thin(t, 1, &e), 0);
	for (v = 0; v < 2000; v++)
		map_new(t, 1, v * 7);
	assert_int_equal(thin_meta_commit(t, &e), 0);
	a = listing(t);
	for (v = 0; v < 100000 && r == 0; v++) {
		r = thin_meta_alloc_data_block(t, &b, &e);
		if (r == 0)
			r = thin_meta_insert(t, 1, v * 7 + 3, b, &e);
		if (r == 0 && v % 500 == 0)
			r = thin_meta_commit(t, &e);
	}
	assert_int_equal(r, -ENOSPC);
	assert_true(strstr(e.msg, "metadata") != NULL);
	assert_int_equal(thin_meta_create_thin(t, 2, NULL), -EIO);
	assert_int_equal(thin_meta_abort(t, &e), 0);
	assert_int_equal(thin_meta_check(t, &e), 0);
	c = listing(t);
	/* the last commit before running out, which is at least the first */
	assert_true(strlen(c) >= strlen(a));
	free(a);
	free(c);
	/* deleting frees metadata again */
	assert_int_equal(thin_meta_delete(t, 1, &e), 0);
	assert_int_equal(thin_meta_commit(t, &e), 0);
	assert_int_equal(thin_meta_data_free(t), DATA_BLOCKS);
	thin_meta_close(t);
	dev_put(d);
}

/* Discard: a range of mappings goes, the data comes back. */
static void test_remove_range(void **state)
{
	struct dev *d;
	struct thin_meta *t;
	struct err e = { { 0 } };
	struct thin_mapping m;
	uint64_t n;

	(void)state;
	assert_int_equal(dev_new_memory(META_BYTES, &d), 0);
	assert_int_equal(thin_meta_format(d, 128, DATA_BLOCKS, NULL, &t, &e), 0);
	assert_int_equal(thin_meta_create_thin(t, 1, &e), 0);
	for (uint64_t v = 0; v < 5000; v += 2)
		map_new(t, 1, v);
	assert_int_equal(thin_meta_remove_range(t, 1, 1001, 3001, &n, &e), 0);
	assert_int_equal(n, 1000);
	assert_int_equal(thin_meta_lookup(t, 1, 1000, &m), 0);
	assert_int_equal(thin_meta_lookup(t, 1, 1002, &m), -ENODATA);
	assert_int_equal(thin_meta_lookup(t, 1, 3002, &m), 0);
	assert_int_equal(thin_meta_data_free(t), DATA_BLOCKS - 1500);
	assert_int_equal(thin_meta_remove_range(t, 9, 0, 10, &n, &e), -ENODEV);
	assert_int_equal(thin_meta_check(t, &e), 0);
	thin_meta_close(t);
	dev_put(d);
}

/* The metadata device grows: more blocks to allocate from. */
static void test_resize_metadata(void **state)
{
	struct dev *d;
	struct thin_meta *t;
	struct err e = { { 0 } };

	(void)state;
	assert_int_equal(dev_new_memory(2 * 16320 * 4096ull, &d), 0);
	d->size = 1000 * 4096;    /* formatted while it was small */
	assert_int_equal(thin_meta_format(d, 128, DATA_BLOCKS, NULL, &t, &e), 0);
	assert_int_equal(thin_meta_metadata_blocks(t), 1000);
	d->size = 2 * 16320 * 4096ull;
	assert_int_equal(thin_meta_resize_metadata(t, &e), 0);
	assert_int_equal(thin_meta_metadata_blocks(t), 2 * 16320);
	assert_int_equal(thin_meta_create_thin(t, 1, &e), 0);
	random_maps(t, 1, 20000, 400000, 3);
	assert_int_equal(thin_meta_commit(t, &e), 0);
	thin_meta_close(t);
	assert_int_equal(thin_meta_open(d, 128, NULL, &t, &e), 0);
	assert_int_equal(thin_meta_metadata_blocks(t), 2 * 16320);
	assert_int_equal(thin_meta_check(t, &e), 0);
	thin_meta_close(t);
	dev_put(d);
}

/* Run the same transaction with the device dying after N writes, for
 * many N: reopened, the pool is exactly the last committed state, or the
 * new one when the superblock made it. */
static void crash_at(long n, uint64_t cache_bytes, long *total)
{
	struct thin_meta_options o = { .cache_bytes = cache_bytes };
	struct dev *mem;
	struct crash_dev *c;
	struct thin_meta *t;
	struct err e = { { 0 } };
	char *before, *after, *seen;

	assert_int_equal(dev_new_memory(META_BYTES, &mem), 0);
	c = crash_dev_new(mem);
	assert_int_equal(thin_meta_format(&c->dev, 128, DATA_BLOCKS, &o, &t, &e), 0);
	assert_int_equal(thin_meta_create_thin(t, 1, &e), 0);
	random_maps(t, 1, 3000, 6000, 1);
	assert_int_equal(thin_meta_commit(t, &e), 0);
	before = listing(t);

	c->writes = 0;
	c->writes_left = n;
	assert_int_equal(thin_meta_create_snap(t, 2, 1, &e), 0);
	random_maps(t, 2, 700, 6000, 2);
	random_maps(t, 1, 700, 6000, 3);
	assert_int_equal(thin_meta_create_thin(t, 3, &e), 0);
	random_maps(t, 3, 500, 100000, 4);
	assert_int_equal(thin_meta_set_transaction_id(t, 0, 5, &e), 0);
	assert_int_equal(thin_meta_commit(t, &e), 0);
	after = listing(t);
	*total = c->writes;
	thin_meta_close(t);

	assert_int_equal(thin_meta_open(mem, 128, NULL, &t, &e), 0);
	assert_int_equal(thin_meta_check(t, &e), 0);
	seen = listing(t);
	if (n < 0 || n >= *total)
		assert_string_equal(seen, after);
	else
		assert_string_equal(seen, before);
	/* and the pool goes on working */
	random_maps(t, 1, 300, 6000, 5);
	assert_int_equal(thin_meta_commit(t, &e), 0);
	assert_int_equal(thin_meta_check(t, &e), 0);
	thin_meta_close(t);
	free(before);
	free(after);
	free(seen);
	dev_put(&c->dev);
	dev_put(mem);
}

static void test_crash(void **state)
{
	long total;

	(void)state;
	crash_at(-1, 0, &total);
	assert_true(total > 10);
	for (long n = 0; n <= total; n += total / 23 + 1)
		crash_at(n, 0, &total);
	crash_at(total - 1, 0, &total);      /* everything but the superblock */
	/* with a small cache, blocks are written long before the commit */
	crash_at(-1, 256 << 10, &total);
	for (long n = 0; n <= total; n += total / 11 + 1)
		crash_at(n, 256 << 10, &total);
	crash_at(total - 1, 256 << 10, &total);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_open),
		cmocka_unit_test(test_snapshots),
		cmocka_unit_test(test_held_snapshot),
		cmocka_unit_test(test_metadata_full),
		cmocka_unit_test(test_remove_range),
		cmocka_unit_test(test_resize_metadata),
		cmocka_unit_test(test_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
