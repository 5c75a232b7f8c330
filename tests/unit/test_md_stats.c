/* What monitoring reads of mapped devices: the I/O counters at a device's
 * top (md_get_stats), on devices over temporary files. */
#include "unit.h"

#include <errno.h>

#include "io/dev.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linear_counters),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
