/* status(TABLE) prints what the constructor accepts: create a device from
 * a table, print it, load the printed text back, print again; the texts
 * must match each other and the expected canonical form. */
#include "unit.h"

#include <errno.h>

struct fixture {
	struct tmp_files tf;
	struct dm_context *ctx;
	const char *a, *b, *c;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	f->ctx = new_ctx();
	f->a = tmp_file(&f->tf, 4 << 20);
	f->b = tmp_file(&f->tf, 4 << 20);
	f->c = tmp_file(&f->tf, 4 << 20);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	dm_context_free(f->ctx);
	tmp_files_remove(&f->tf);
	free(f);
	return 0;
}

/* Replace A, B and C in @pattern with the fixture's paths. */
static char *expand(const struct fixture *f, const char *pattern)
{
	size_t cap = strlen(pattern) + 3 * PATH_MAX * 16 + 1;
	char *s = malloc(cap), *o = s;

	assert_non_null(s);
	for (const char *p = pattern; *p; p++) {
		const char *path = *p == 'A' ? f->a : *p == 'B' ? f->b : *p == 'C' ? f->c : NULL;
		if (path && (p == pattern || p[-1] == ' ') && (p[1] == ' ' || !p[1])) {
			o += sprintf(o, "%s", path);
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return s;
}

static void roundtrip(struct fixture *f, const char *pattern, const char *want_pattern)
{
	char *table = expand(f, pattern);
	char *want = expand(f, want_pattern ? want_pattern : pattern);
	struct err e = { { 0 } };
	struct mapped_device *md = create_md(f->ctx, "rt", table);
	char *first, *second;

	first = format_md(md, STATUSTYPE_TABLE);
	if (strcmp(first, want))
		fail_msg("table\n%sprinted as\n%swant\n%s", table, first, want);

	if (dm_load(f->ctx, "rt", first, NULL, -1, &e) || dm_resume(f->ctx, "rt", &e))
		fail_msg("reloading\n%sfailed: %s", first, e.msg);
	second = format_md(md, STATUSTYPE_TABLE);
	assert_string_equal(first, second);

	/* The inactive slot prints the same way. */
	assert_int_equal(dm_load(f->ctx, "rt", second, NULL, -1, &e), 0);
	free(second);
	assert_int_equal(md_format(md, STATUSTYPE_TABLE, true, &second), 0);
	assert_string_equal(first, second);

	free(first);
	free(second);
	dev_put(&md->dev);
	assert_int_equal(dm_remove(f->ctx, "rt", DM_FORCE, &e), 0);
	free(table);
	free(want);
}

static void test_simple_targets(void **state)
{
	struct fixture *f = *state;

	roundtrip(f, "0 2048 linear A 0\n", NULL);
	roundtrip(f, "0 100 zero\n", NULL);
	roundtrip(f, "0 100 error\n", NULL);
	/* The kernel's error target ignores its arguments. */
	roundtrip(f, "0 100 error ignored words\n", "0 100 error\n");
	roundtrip(f, "0 100 zero\n100 50 error\n150 2048 linear A 16\n", NULL);
}

static void test_striped(void **state)
{
	struct fixture *f = *state;

	roundtrip(f, "0 2048 striped 2 128 A 0 B 0\n", NULL);
	roundtrip(f, "0 3072 striped 3 8 A 8 B 16 C 1024\n", NULL);
	roundtrip(f, "0 1024 striped 1 1024 A 7\n", NULL);
	/* Leading zeroes are numbers like any other. */
	roundtrip(f, "0 2048 striped 02 0128 A 00 B 1\n", "0 2048 striped 2 128 A 0 B 1\n");
	/* Two stripes on the same file. */
	roundtrip(f, "0 2048 striped 2 64 A 0 A 4096\n", NULL);
}

static void test_flakey(void **state)
{
	struct fixture *f = *state;

	roundtrip(f, "0 2048 flakey A 0 180 0 0\n", NULL);
	/* No features: everything fails while down; prints an empty group. */
	roundtrip(f, "0 2048 flakey A 0 180 0\n", "0 2048 flakey A 0 180 0 0\n");
	roundtrip(f, "0 2048 flakey A 8 0 180 1 drop_writes\n", NULL);
	roundtrip(f, "0 2048 flakey A 0 0 180 1 error_writes\n", NULL);
	roundtrip(f, "0 2048 flakey A 0 5 5 1 error_reads\n", NULL);
	roundtrip(f, "0 2048 flakey A 0 5 5 2 error_reads error_writes\n", NULL);
	/* The kernel's order, and lower case. */
	roundtrip(f, "0 2048 flakey A 0 5 5 2 ERROR_WRITES error_reads\n",
		  "0 2048 flakey A 0 5 5 2 error_reads error_writes\n");
	roundtrip(f, "0 2048 flakey A 0 5 5 2 drop_writes Error_Reads\n",
		  "0 2048 flakey A 0 5 5 2 error_reads drop_writes\n");
	roundtrip(f, "0 2048 flakey A 0 1 4294967294 5 corrupt_bio_byte 32 r 1 0\n", NULL);
	roundtrip(f, "0 2048 flakey A 0 1 1 5 corrupt_bio_byte 4294967295 W 255 4294967295\n",
		  "0 2048 flakey A 0 1 1 5 corrupt_bio_byte 4294967295 w 255 4294967295\n");
	roundtrip(f, "0 2048 flakey A 0 1 1 2 random_read_corrupt 1000000000\n", NULL);
	roundtrip(f, "0 2048 flakey A 0 1 1 2 random_write_corrupt 0\n",
		  "0 2048 flakey A 0 1 1 0\n");
	roundtrip(f, "0 2048 flakey A 0 1 1 4 random_write_corrupt 7 random_read_corrupt 9\n",
		  "0 2048 flakey A 0 1 1 4 random_read_corrupt 9 random_write_corrupt 7\n");
	roundtrip(f, "0 2048 flakey A 0 1 1 8 random_read_corrupt 100 error_writes "
		     "corrupt_bio_byte 10 r 7 0\n",
		  "0 2048 flakey A 0 1 1 8 error_writes corrupt_bio_byte 10 r 7 0 "
		  "random_read_corrupt 100\n");
	roundtrip(f, "0 2048 flakey A 0 1 1 8 random_write_corrupt 1 corrupt_bio_byte 1 w 0 0 "
		     "error_reads\n",
		  "0 2048 flakey A 0 1 1 8 error_reads corrupt_bio_byte 1 w 0 0 "
		  "random_write_corrupt 1\n");
	roundtrip(f, "0 1024 flakey A 0 1 1 1 drop_writes\n1024 1024 flakey B 2048 3 4 0\n",
		  NULL);
}

static void test_delay(void **state)
{
	struct fixture *f = *state;

	roundtrip(f, "0 2048 delay A 0 0\n", NULL);
	roundtrip(f, "0 2048 delay A 16 500\n", NULL);
	roundtrip(f, "0 2048 delay A 0 100 B 2048 200\n", NULL);
	roundtrip(f, "0 2048 delay A 0 4294967295 B 2048 200 C 8 100\n", NULL);
	roundtrip(f, "0 2048 delay A 0 1 A 0 2 A 0 3\n", NULL);
	roundtrip(f, "0 2048 delay A 000 010 B 0 0\n", "0 2048 delay A 0 10 B 0 0\n");
}

/* Tables naming another mapped device print /dev/mapper/NAME. */
static void test_stacked(void **state)
{
	struct fixture *f = *state;
	struct err e = { { 0 } };
	char *low_table = expand(f, "0 4096 linear A 0\n");
	struct mapped_device *low = create_md(f->ctx, "low", low_table);

	free(low_table);

	roundtrip(f, "0 2048 striped 2 8 /dev/mapper/low 0 B 0\n", NULL);
	roundtrip(f, "0 2048 flakey /dev/mapper/low 2048 1 1 1 drop_writes\n", NULL);
	roundtrip(f, "0 2048 delay /dev/mapper/low 0 1 B 0 2 /dev/mapper/low 8 3\n", NULL);
	dev_put(&low->dev);
	assert_int_equal(dm_remove(f->ctx, "low", 0, &e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_simple_targets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_striped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_flakey, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stacked, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
