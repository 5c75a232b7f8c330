/* What monitoring reads of mapped devices: the I/O counters at a device's
 * top (md_get_stats) and the targets' own values (md_metrics, a thin
 * pool's space, mode and low water events), on devices over temporary
 * files. */
#include "unit.h"

#include <errno.h>

#include "io/dev.h"

#define BLOCK (128u * 512u)
#define DATA_BLOCKS 16u

static void test_linear_counters(void **state)
{
	struct tmp_files tmp = { 0 };
	const char *f = tmp_file(&tmp, 4u << 20);
	struct dm_context *ctx = new_ctx();
	char *t = strf("0 8192 linear %s 0", f);
	struct mapped_device *md = create_md(ctx, "lin", t);
	static char buf[65536];
	struct md_stats s;
	uint64_t n = 0;

	(void)state;
	free(t);
	for (unsigned i = 0; i < 10; i++)
		assert_int_equal(dev_write(&md->dev, buf, 4096, (uint64_t)i * 4096, 0), 0);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(dev_read(&md->dev, buf, 65536, 0), 0);
	assert_int_equal(dev_discard(&md->dev, 0, 8192), 0);
	assert_int_equal(dev_write_zeroes(&md->dev, 65536, 12288, 0), 0);
	assert_int_equal(dev_flush(&md->dev), 0);
	/* Refused by the range check before the device: not counted. */
	assert_int_equal(dev_read(&md->dev, buf, 4096, 8192 * 512), -ENOSPC);

	md_get_stats(md, &s);
	assert_int_equal(s.op[MD_STAT_WRITE].ops, 11); /* write_zeroes is a write */
	assert_int_equal(s.op[MD_STAT_WRITE].bytes, 10 * 4096 + 12288);
	assert_int_equal(s.op[MD_STAT_READ].ops, 3);
	assert_int_equal(s.op[MD_STAT_READ].bytes, 3 * 65536);
	assert_int_equal(s.op[MD_STAT_DISCARD].ops, 1);
	assert_int_equal(s.op[MD_STAT_DISCARD].bytes, 8192);
	assert_int_equal(s.op[MD_STAT_FLUSH].ops, 1);
	assert_int_equal(s.op[MD_STAT_FLUSH].bytes, 0);
	assert_int_equal(s.inflight, 0);
	for (unsigned o = 0; o < MD_STAT_NOPS; o++) {
		assert_int_equal(s.op[o].errors, 0);
		for (unsigned b = 0; b <= MD_LATENCY_BUCKETS; b++)
			n += s.op[o].latency[b];
	}
	assert_int_equal(n, 16); /* every counted request in one bucket */

	/* No table: the request fails, and counts. */
	dev_put(&md->dev);
	assert_int_equal(dm_create(ctx, "empty", NULL, NULL, NULL, 0, NULL), 0);
	md = dm_lookup(ctx, "empty");
	assert_non_null(md);
	md_get_stats(md, &s);
	assert_int_equal(s.op[MD_STAT_FLUSH].ops, 0);
	assert_int_equal(dev_flush(&md->dev), -ENXIO);
	md_get_stats(md, &s);
	assert_int_equal(s.op[MD_STAT_FLUSH].ops, 1);
	assert_int_equal(s.op[MD_STAT_FLUSH].errors, 1);
	dev_put(&md->dev);
	dm_context_free(ctx);
	tmp_files_remove(&tmp);
}

static void test_errors(void **state)
{
	struct dm_context *ctx = new_ctx();
	struct mapped_device *md = create_md(ctx, "err", "0 100 error");
	char buf[512];
	struct md_stats s;

	(void)state;
	assert_int_equal(dev_read(&md->dev, buf, 512, 0), -EIO);
	assert_int_equal(dev_write(&md->dev, buf, 512, 512, 0), -EIO);
	md_get_stats(md, &s);
	assert_int_equal(s.op[MD_STAT_READ].ops, 1);
	assert_int_equal(s.op[MD_STAT_READ].errors, 1);
	assert_int_equal(s.op[MD_STAT_READ].bytes, 512);
	assert_int_equal(s.op[MD_STAT_WRITE].errors, 1);
	/* A target without a metrics op reports nothing. */
	dev_put(&md->dev);
	dm_context_free(ctx);
}

/* What md_metrics reported, by "family" or "family{label}". */
struct seen {
	unsigned n;
	struct { char key[96]; uint64_t value; enum dm_metric_type type; } v[64];
};

static void note(void *opaque, const struct dm_metric *m, const char *label_value, uint64_t value)
{
	struct seen *s = opaque;

	assert_true(s->n < 64);
	assert_true(!m->label == !label_value);
	if (label_value)
		snprintf(s->v[s->n].key, sizeof(s->v[0].key), "%s{%s}", m->name, label_value);
	else
		snprintf(s->v[s->n].key, sizeof(s->v[0].key), "%s", m->name);
	s->v[s->n].value = value;
	s->v[s->n++].type = m->type;
}

static uint64_t get(const struct seen *s, const char *key)
{
	for (unsigned i = 0; i < s->n; i++)
		if (!strcmp(s->v[i].key, key))
			return s->v[i].value;
	fail_msg("%s was not reported", key);
	return 0;
}

static void scrape(struct mapped_device *md, struct seen *s)
{
	s->n = 0;
	md_metrics(md, note, s);
}

static void test_thin_pool_metrics(void **state)
{
	struct tmp_files tmp = { 0 };
	const char *meta = tmp_file(&tmp, 4u << 20), *data = tmp_file(&tmp, DATA_BLOCKS * BLOCK);
	struct dm_context *ctx = new_ctx();
	char *t = strf("0 %u thin-pool %s %s 128 4 1 error_if_no_space", DATA_BLOCKS * 128, meta, data);
	struct mapped_device *pool = create_md(ctx, "pool", t), *thin;
	struct err e = { { 0 } };
	static char buf[BLOCK];
	char result[64];
	struct seen s;

	(void)state;
	free(t);
	scrape(pool, &s);
	assert_int_equal(get(&s, "thin_pool_data_blocks"), DATA_BLOCKS);
	assert_int_equal(get(&s, "thin_pool_data_bytes"), DATA_BLOCKS * BLOCK);
	assert_int_equal(get(&s, "thin_pool_data_used_blocks"), 0);
	assert_int_equal(get(&s, "thin_pool_metadata_blocks"), 1024);
	assert_int_equal(get(&s, "thin_pool_metadata_bytes"), 4u << 20);
	assert_true(get(&s, "thin_pool_metadata_used_blocks") > 0);
	assert_int_equal(get(&s, "thin_pool_mode{rw}"), 1);
	assert_int_equal(get(&s, "thin_pool_mode{out_of_data_space}"), 0);
	assert_int_equal(get(&s, "thin_pool_mode{ro}"), 0);
	assert_int_equal(get(&s, "thin_pool_low_water_events_total{data}"), 0);
	assert_int_equal(get(&s, "thin_pool_needs_check"), 0);
	for (unsigned i = 0; i < s.n; i++)
		assert_int_equal(s.v[i].type, strstr(s.v[i].key, "_total") ? DM_METRIC_COUNTER
									: DM_METRIC_GAUGE);

	assert_int_equal(dm_message(ctx, "pool", 0, "create_thin 0", result, sizeof(result), &e), 0);
	t = strf("0 %u thin /dev/mapper/pool 0", 2 * DATA_BLOCKS * 128);
	thin = create_md(ctx, "thin", t);
	free(t);
	/* 12 of 16 blocks: free falls to the low water mark (4), once. */
	for (unsigned i = 0; i < 12; i++)
		assert_int_equal(dev_write(&thin->dev, buf, BLOCK, (uint64_t)i * BLOCK, 0), 0);
	scrape(pool, &s);
	assert_int_equal(get(&s, "thin_pool_data_used_blocks"), 12);
	assert_int_equal(get(&s, "thin_pool_data_used_bytes"), 12 * BLOCK);
	assert_int_equal(get(&s, "thin_pool_low_water_events_total{data}"), 1);
	/* Out of data space, error_if_no_space: the write fails at once. */
	for (unsigned i = 12; i < 16; i++)
		assert_int_equal(dev_write(&thin->dev, buf, BLOCK, (uint64_t)i * BLOCK, 0), 0);
	assert_int_equal(dev_write(&thin->dev, buf, BLOCK, 16ull * BLOCK, 0), -ENOSPC);
	scrape(pool, &s);
	assert_int_equal(get(&s, "thin_pool_data_used_blocks"), 16);
	assert_int_equal(get(&s, "thin_pool_mode{rw}"), 0);
	assert_int_equal(get(&s, "thin_pool_mode{out_of_data_space}"), 1);
	assert_int_equal(get(&s, "thin_pool_low_water_events_total{data}"), 1);
	/* The thin target reports nothing of its own. */
	scrape(thin, &s);
	assert_int_equal(s.n, 0);

	dev_put(&thin->dev);
	dev_put(&pool->dev);
	dm_context_free(ctx);
	tmp_files_remove(&tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linear_counters),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_thin_pool_metrics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
