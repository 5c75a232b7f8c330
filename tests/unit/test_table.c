/* Table text: parsing and layout errors (dm_table_parse), unknown targets
 * and constructor errors (dm_create).  Every error names its line. */
#include "unit.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>

#include "dm/dm_internal.h"
#include "dm/table.h"

static void expect_parse_error(const char *text, const char *line, const char *why)
{
	struct dm_table_spec *spec = NULL;
	struct err e = { { 0 } };
	int r = dm_table_parse(text, &spec, &e);

	if (r != -EINVAL)
		fail_msg("table '%s': got %d, want -EINVAL", text, r);
	assert_null(spec);
	if (line && !strstr(e.msg, line))
		fail_msg("table '%s': message '%s' does not name '%s'", text, e.msg, line);
	if (!strstr(e.msg, why))
		fail_msg("table '%s': message '%s' lacks '%s'", text, e.msg, why);
}

static void test_parse_ok(void **state)
{
	struct dm_table_spec *spec = NULL;
	struct err e = { { 0 } };
	const char *text = "# a comment\n"
			   "\n"
			   "0 100 linear /dev/a 0\n"
			   "   \t\n"
			   "100\t28 zero\r\n"
			   "  # indented comment\n"
			   "128 1 error with some args";

	(void)state;
	assert_int_equal(dm_table_parse(text, &spec, &e), 0);
	assert_non_null(spec);
	assert_int_equal(spec->nlines, 3);
	assert_int_equal(spec->lines[0].lineno, 3);
	assert_true(spec->lines[0].start == 0 && spec->lines[0].len == 100);
	assert_string_equal(spec->lines[0].type, "linear");
	assert_int_equal(spec->lines[0].argc, 2);
	assert_string_equal(spec->lines[0].argv[0], "/dev/a");
	assert_string_equal(spec->lines[0].argv[1], "0");
	assert_int_equal(spec->lines[1].lineno, 5);
	assert_true(spec->lines[1].start == 100 && spec->lines[1].len == 28);
	assert_string_equal(spec->lines[1].type, "zero");
	assert_int_equal(spec->lines[1].argc, 0);
	assert_int_equal(spec->lines[2].lineno, 7);
	assert_int_equal(spec->lines[2].argc, 3);
	assert_string_equal(spec->lines[2].argv[2], "args");
	dm_table_spec_free(spec);
}

static void test_parse_errors(void **state)
{
	(void)state;
	/* Empty tables. */
	expect_parse_error("", NULL, "empty");
	expect_parse_error("\n\n   \n", NULL, "empty");
	expect_parse_error("# only a comment\n", NULL, "empty");
	/* Layout. */
	expect_parse_error("0 100 zero\n200 100 zero\n", "line 2", "gap");
	expect_parse_error("0 100 zero\n\n# c\n101 100 zero\n", "line 4", "gap");
	expect_parse_error("10 100 zero\n", "line 1", "gap");
	expect_parse_error("0 100 zero\n50 100 zero\n", "line 2", "overlap");
	expect_parse_error("0 100 zero\n100 10 zero\n99 10 zero\n", "line 3", "overlap");
	expect_parse_error("0 0 zero\n", "line 1", "zero length");
	expect_parse_error("0 100 zero\n100 0 zero\n", "line 2", "zero length");
	expect_parse_error("0 18446744073709551615 zero\n", "line 1", "too large");
	expect_parse_error("0 100 zero\n100 18446744073709551515 zero\n", "line 2", "too large");
	/* Words and numbers. */
	expect_parse_error("0 100\n", "line 1", "expected");
	expect_parse_error("0\n", "line 1", "expected");
	expect_parse_error("zero\n", "line 1", "expected");
	expect_parse_error("x 100 zero\n", "line 1", "start");
	expect_parse_error("-1 100 zero\n", "line 1", "start");
	expect_parse_error("+0 100 zero\n", "line 1", "start");
	expect_parse_error("0 abc zero\n", "line 1", "length");
	expect_parse_error("0 100x zero\n", "line 1", "length");
	expect_parse_error("0 -100 zero\n", "line 1", "length");
	expect_parse_error("0 0x10 zero\n", "line 1", "length");
	expect_parse_error("0 99999999999999999999999 zero\n", "line 1", "length");
	expect_parse_error("0 100 zero\n100 1e3 zero\n", "line 2", "length");
}

static void test_too_many_args(void **state)
{
	size_t n = 4 * (DM_MAX_ARGS + 10) + 32;
	char *text = malloc(n), *p;

	(void)state;
	assert_non_null(text);
	p = text + sprintf(text, "0 8 error");
	for (int i = 0; i < DM_MAX_ARGS + 1; i++)
		p += sprintf(p, " a");
	expect_parse_error(text, "line 1", "arguments");
	/* Exactly the limit is fine. */
	p = text + sprintf(text, "0 8 error");
	for (int i = 0; i < DM_MAX_ARGS; i++)
		p += sprintf(p, " a");
	{
		struct dm_table_spec *spec = NULL;
		struct err e = { { 0 } };
		assert_int_equal(dm_table_parse(text, &spec, &e), 0);
		assert_int_equal(spec->lines[0].argc, DM_MAX_ARGS);
		dm_table_spec_free(spec);
	}
	free(text);
}

static void expect_create_error(struct dm_context *ctx, const char *table, const char *line,
				const char *why)
{
	struct err e = { { 0 } };
	int r = dm_create(ctx, "t", NULL, table, NULL, 0, &e);

	if (r >= 0)
		fail_msg("table '%s': accepted", table);
	if (!strstr(e.msg, line) || !strstr(e.msg, why))
		fail_msg("table '%s': message '%s' lacks '%s' or '%s'", table, e.msg, line, why);
	assert_null(dm_lookup(ctx, "t"));
}

static void test_create_errors(void **state)
{
	struct tmp_files tf = { 0 };
	struct dm_context *ctx = new_ctx();
	const char *a;
	char *t;

	(void)state;
	a = tmp_file(&tf, 1 << 20);
	expect_create_error(ctx, "0 100 nosuch\n", "line 1", "unknown target type 'nosuch'");
	expect_create_error(ctx, "# c\n0 100 zero\n100 8 Zero\n", "line 3", "unknown target");
	/* A layout error is reported before any constructor runs. */
	expect_create_error(ctx, "0 100 nosuch\n200 8 zero\n", "line 2", "gap");
	/* Constructor errors carry the target's reason. */
	expect_create_error(ctx, "0 100 zero\n100 8 zero extra\n", "line 2",
			    "zero: No arguments required");
	expect_create_error(ctx, "0 100 flakey\n", "line 1", "Invalid argument count");
	expect_create_error(ctx, "0 100 delay /x 0\n", "line 1", "Requires exactly 3, 6 or 9 arguments");

	/* Flakey. */
	t = strf("0 8 flakey %s 0 0 0\n", a);
	expect_create_error(ctx, t, "line 1", "Total (up + down) interval is zero");
	free(t);
	t = strf("0 8 flakey %s 0 4294967295 1\n", a);
	expect_create_error(ctx, t, "line 1", "Interval overflow");
	free(t);
	t = strf("0 8 flakey %s x 1 1\n", a);
	expect_create_error(ctx, t, "line 1", "Invalid device sector");
	free(t);
	t = strf("0 8 flakey %s 0 -1 1\n", a);
	expect_create_error(ctx, t, "line 1", "Invalid up interval");
	free(t);
	t = strf("0 8 flakey %s 0 1 1x\n", a);
	expect_create_error(ctx, t, "line 1", "Invalid down interval");
	free(t);
	t = strf("0 8 flakey %s 0 1 1 2 drop_writes\n", a);
	expect_create_error(ctx, t, "line 1", "Invalid number of feature args");
	free(t);
	t = strf("0 8 flakey %s 0 1 1 12 a b c d e f g h i j k l\n", a);
	expect_create_error(ctx, t, "line 1", "Invalid number of feature args");
	free(t);
	t = strf("0 8 flakey %s 0 1 1 1 drop_writes extra\n", a);
	expect_create_error(ctx, t, "line 1", "Invalid argument count");
	free(t);
	t = strf("0 8 flakey %s 0 1 1 1 bogus\n", a);
	expect_create_error(ctx, t, "line 1", "Unrecognised flakey feature requested");
	free(t);
	t = strf("0 8 flakey %s 0 1 1 2 drop_writes drop_writes\n", a);
	expect_create_error(ctx, t, "line 1", "Feature drop_writes duplicated");
	free(t);
	t = strf("0 8 flakey %s 0 1 1 2 drop_writes error_writes\n", a);
	expect_create_error(ctx, t, "line 1", "conflicts with feature drop_writes");
	free(t);
	t = strf("0 8 flakey %s 0 1 1 2 error_writes drop_writes\n", a);
	expect_create_error(ctx, t, "line 1", "conflicts with feature error_writes");
	free(t);
	t = strf("0 8 flakey %s 0 1 1 4 corrupt_bio_byte 1 r 0\n", a);
	expect_create_error(ctx, t, "line 1", "Feature corrupt_bio_byte requires 4 parameters");
	free(t);
	t = strf("0 8 flakey %s 0 1 1 5 corrupt_bio_byte 0 r 0 0\n", a);
	expect_create_error(ctx, t, "line 1", "Invalid corrupt bio byte");
	free(t);
	t = strf("0 8 flakey %s 0 1 1 5 corrupt_bio_byte 1 x 0 0\n", a);
	expect_create_error(ctx, t, "line 1", "Invalid corrupt bio direction (r or w)");
	free(t);
	t = strf("0 8 flakey %s 0 1 1 5 corrupt_bio_byte 1 r 256 0\n", a);
	expect_create_error(ctx, t, "line 1", "Invalid corrupt value");
	free(t);
	t = strf("0 8 flakey %s 0 1 1 5 corrupt_bio_byte 1 r 1 -1\n", a);
	expect_create_error(ctx, t, "line 1", "Invalid corrupt bio flags mask");
	free(t);
	t = strf("0 8 flakey %s 0 1 1 6 drop_writes corrupt_bio_byte 1 w 1 0\n", a);
	expect_create_error(ctx, t, "line 1", "drop_writes is incompatible");
	free(t);
	t = strf("0 8 flakey %s 0 1 1 3 error_writes random_write_corrupt 5\n", a);
	expect_create_error(ctx, t, "line 1", "error_writes is incompatible");
	free(t);
	t = strf("0 8 flakey %s 0 1 1 3 error_reads random_read_corrupt 5\n", a);
	expect_create_error(ctx, t, "line 1", "error_reads is incompatible");
	free(t);
	t = strf("0 8 flakey %s 0 1 1 2 random_read_corrupt 1000000001\n", a);
	expect_create_error(ctx, t, "line 1", "Invalid random corrupt argument");
	free(t);
	t = strf("0 8 flakey %s 0 1 1 1 random_read_corrupt\n", a);
	expect_create_error(ctx, t, "line 1", "Feature random_read_corrupt requires a parameter");
	free(t);
	t = strf("0 8 flakey %s 0 1 1 4 random_write_corrupt 1 random_write_corrupt 2\n", a);
	expect_create_error(ctx, t, "line 1", "Feature random_write_corrupt duplicated");
	free(t);
	expect_create_error(ctx, "0 8 flakey /nonexistent/ulvm 0 1 1\n", "line 1",
			    "no such file");
	t = strf("0 8 flakey %s 2047 1 1\n", a);
	expect_create_error(ctx, t, "line 1", "too small");
	free(t);

	/* Delay. */
	t = strf("0 8 delay %s x 1\n", a);
	expect_create_error(ctx, t, "line 1", "Invalid device sector");
	free(t);
	t = strf("0 8 delay %s 0 1.5\n", a);
	expect_create_error(ctx, t, "line 1", "Invalid delay");
	free(t);
	t = strf("0 8 delay %s 0 1 %s 0 4294967296\n", a, a);
	expect_create_error(ctx, t, "line 1", "Invalid delay");
	free(t);
	t = strf("0 8 delay %s 0 1 /nonexistent/ulvm 0 1\n", a);
	expect_create_error(ctx, t, "line 1", "no such file");
	free(t);
	t = strf("0 8 delay %s 0 1 %s 0 1 %s 2041 1\n", a, a, a);
	expect_create_error(ctx, t, "line 1", "too small");
	free(t);
	t = strf("0 8 delay %s 0 1 %s 0 1 %s 0\n", a, a, a);
	expect_create_error(ctx, t, "line 1", "Requires exactly 3, 6 or 9 arguments");
	free(t);

	/* The error target ignores arguments, as the kernel's does. */
	{
		struct err e = { { 0 } };
		assert_int_equal(dm_create(ctx, "ok", NULL, "0 8 error a b c\n", NULL, 0, &e), 0);
		assert_int_equal(dm_remove(ctx, "ok", 0, &e), 0);
	}
	dm_context_free(ctx);
	tmp_files_remove(&tf);
}

/* The event handler changes while events fire on another thread: once
 * dm_set_event_handler returns, the old handler's argument may be freed
 * (ulvmd's shutdown does); ASan sees any call that still used it. */
struct fire {
	struct dm_table *t;
	atomic_bool stop;
};

static void *fire_events(void *arg)
{
	struct fire *f = arg;

	while (!atomic_load(&f->stop))
		dm_table_event(f->t);
	return NULL;
}

static void count_event(void *opaque, struct mapped_device *md)
{
	(void)md;
	for (unsigned i = 0; i < 2000; i++) /* a handler that takes a while */
		(*(volatile unsigned *)opaque)++;
}

static void test_event_handler_swap(void **state)
{
	struct dm_context *ctx = new_ctx();
	struct mapped_device *md = create_md(ctx, "ev", "0 8 zero");
	struct fire f = { .t = md->live };
	pthread_t th;

	(void)state;
	atomic_init(&f.stop, false);
	assert_int_equal(pthread_create(&th, NULL, fire_events, &f), 0);
	for (unsigned i = 0; i < 2000; i++) {
		unsigned *n = calloc(1, sizeof(*n));

		assert_non_null(n);
		dm_set_event_handler(ctx, count_event, n);
		while (!*(volatile unsigned *)n) /* the handler is running now */
			;
		dm_set_event_handler(ctx, NULL, NULL);
		free(n);
	}
	atomic_store(&f.stop, true);
	pthread_join(th, NULL);
	dev_put(&md->dev);
	dm_context_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_too_many_args),
		cmocka_unit_test(test_create_errors),
		cmocka_unit_test(test_event_handler_swap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
