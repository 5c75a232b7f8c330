/* The striped target's arithmetic against a brute-force reference.
 *
 * The reference deals chunks out one by one, round-robin, keeping a
 * "next free sector" counter per stripe; the target computes the same
 * thing with divisions.  Every sector, and many byte ranges crossing chunk
 * boundaries, must agree, and each piece `map` returns must end at a
 * chunk boundary or at the end of the request.
 */
#include "unit.h"

#include <errno.h>

struct ref {
	unsigned nstripes;
	uint64_t sectors;
	unsigned *dev;    /* per target sector: stripe index */
	uint64_t *lower;  /* per target sector: sector on that stripe's device */
};

static void ref_build(struct ref *r, unsigned nstripes, uint32_t chunk, uint64_t sectors,
		      const uint64_t *start)
{
	uint64_t next[16];
	uint64_t x = 0;

	r->nstripes = nstripes;
	r->sectors = sectors;
	r->dev = calloc(sectors, sizeof(*r->dev));
	r->lower = calloc(sectors, sizeof(*r->lower));
	assert_non_null(r->dev);
	assert_non_null(r->lower);
	for (unsigned s = 0; s < nstripes; s++)
		next[s] = start[s];
	for (uint64_t k = 0; x < sectors; k++) {
		unsigned s = (unsigned)(k % nstripes);
		for (uint32_t i = 0; i < chunk; i++, x++) {
			r->dev[x] = s;
			r->lower[x] = next[s]++;
		}
	}
}

static void ref_free(struct ref *r)
{
	free(r->dev);
	free(r->lower);
}

static unsigned stripe_of(struct dm_target *ti, struct dev *dev, char paths[][PATH_MAX],
			  unsigned n)
{
	const char *name = dm_device_name(ti, dev);

	for (unsigned i = 0; i < n; i++)
		if (!strcmp(name, paths[i]))
			return i;
	fail_msg("map returned unknown device %s", name);
	return 0;
}

/* Walk [off, off+len) through map and compare every piece. */
static void check_range(struct dm_target *ti, const struct ref *r, char paths[][PATH_MAX],
			uint32_t chunk, uint64_t off, uint64_t len)
{
	uint64_t chunk_bytes = (uint64_t)chunk * 512;

	while (len) {
		struct dm_remap m = { 0 };
		unsigned s;

		assert_int_equal(ti->type->map(ti, off, len, &m), 0);
		assert_true(m.len > 0 && m.len <= len);
		if (m.len < len)
			assert_true((off + m.len) % chunk_bytes == 0);
		/* A piece never spans two chunks. */
		assert_true(off / chunk_bytes == (off + m.len - 1) / chunk_bytes);
		s = stripe_of(ti, m.dev, paths, r->nstripes);
		/* Every sector the piece touches, and its last byte. */
		for (uint64_t b = off; b < off + m.len; b = (b / 512 + 1) * 512) {
			uint64_t want = r->lower[b / 512] * 512 + b % 512;
			assert_int_equal(r->dev[b / 512], s);
			assert_true(m.off + (b - off) == want);
		}
		uint64_t last = off + m.len - 1;
		assert_true(m.off + m.len - 1 == r->lower[last / 512] * 512 + last % 512);
		off += m.len;
		len -= m.len;
	}
}

struct config {
	unsigned stripes;
	uint32_t chunk;
	unsigned chunks_per_stripe;
};

static void run_config(const struct config *c)
{
	struct tmp_files tf = { 0 };
	struct dm_context *ctx = new_ctx();
	uint64_t width = (uint64_t)c->chunk * c->chunks_per_stripe;
	uint64_t sectors = width * c->stripes;
	uint64_t start[16];
	char *table, *p, *st;
	struct mapped_device *md;
	struct dm_target *ti;
	struct ref r;
	size_t cap = 4096;

	assert_true(c->stripes <= 16);
	table = calloc(1, cap);
	assert_non_null(table);
	p = table + snprintf(table, cap, "0 %llu striped %u %u", (unsigned long long)sectors,
			     c->stripes, c->chunk);
	for (unsigned i = 0; i < c->stripes; i++) {
		start[i] = i * 24 + (i % 2) * 5; /* not chunk-aligned on purpose */
		tmp_file(&tf, (start[i] + width) * 512);
		p += snprintf(p, cap - (size_t)(p - table), " %s %llu", tf.path[i],
			      (unsigned long long)start[i]);
	}
	md = create_md(ctx, "s", table);
	assert_non_null(md->live);
	assert_int_equal(md->live->ntargets, 1);
	ti = &md->live->targets[0];
	ref_build(&r, c->stripes, c->chunk, sectors, start);

	/* Every sector on its own. */
	for (uint64_t x = 0; x < sectors; x++)
		check_range(ti, &r, tf.path, c->chunk, x * 512, 512);
	/* Whole device, and ranges starting and ending mid-chunk and
	 * mid-sector. */
	check_range(ti, &r, tf.path, c->chunk, 0, sectors * 512);
	for (uint64_t off = 0; off < sectors * 512; off += 512 * 3 + 77) {
		uint64_t lens[] = { 1, 511, 512, 4096, (uint64_t)c->chunk * 512 + 1,
				    (uint64_t)c->chunk * 512 * 3 + 513 };
		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			uint64_t len = lens[i];
			if (off + len > sectors * 512)
				len = sectors * 512 - off;
			check_range(ti, &r, tf.path, c->chunk, off, len);
		}
	}

	/* TABLE prints the constructor's arguments back. */
	st = format_md(md, STATUSTYPE_TABLE);
	{
		char *want = strf("%s\n", table);
		assert_string_equal(st, want);
		free(want);
	}
	free(st);
	/* INFO: "<#stripes> <names...> 1 <A...>" */
	st = format_md(md, STATUSTYPE_INFO);
	{
		char want[8192], *w = want;
		w += sprintf(w, "0 %llu striped %u ", (unsigned long long)sectors, c->stripes);
		for (unsigned i = 0; i < c->stripes; i++)
			w += sprintf(w, "%s ", tf.path[i]);
		w += sprintf(w, "1 ");
		for (unsigned i = 0; i < c->stripes; i++)
			*w++ = 'A';
		strcpy(w, "\n");
		assert_string_equal(st, want);
	}
	free(st);

	ref_free(&r);
	dev_put(&md->dev);
	dm_context_free(ctx);
	free(table);
	tmp_files_remove(&tf);
}

static void test_arithmetic(void **state)
{
	static const struct config configs[] = {
		{ 1, 8, 5 },  { 2, 8, 6 },  { 3, 16, 4 }, { 4, 128, 3 },
		{ 5, 8, 7 },  { 7, 64, 2 }, { 8, 32, 3 }, { 16, 8, 2 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(configs) / sizeof(configs[0]); i++)
		run_config(&configs[i]);
}

/* Several striped lines in one table: offsets are relative to each
 * target's begin. */
static void test_second_target(void **state)
{
	struct tmp_files tf = { 0 };
	struct dm_context *ctx = new_ctx();
	const char *a, *b;
	char *table;
	struct mapped_device *md;
	struct dm_target *ti;
	struct dm_remap m;

	(void)state;
	a = tmp_file(&tf, 1 << 20);
	b = tmp_file(&tf, 1 << 20);
	table = strf("0 64 striped 2 8 %s 0 %s 0\n64 32 striped 2 16 %s 100 %s 200\n", a, b, a,
		     b);
	md = create_md(ctx, "two", table);
	assert_int_equal(md->live->ntargets, 2);
	ti = &md->live->targets[1];
	/* Sector 16 of the second target: chunk 1 -> stripe 1 (b), row 0. */
	assert_int_equal(ti->type->map(ti, 16 * 512, 8192, &m), 0);
	assert_string_equal(dm_device_name(ti, m.dev), b);
	assert_true(m.off == 200 * 512);
	assert_true(m.len == 8192);
	/* Sector 40: chunk 2 -> stripe 0 (a), row 1, 8 sectors in. */
	assert_int_equal(ti->type->map(ti, 40 * 512, 1 << 20, &m), 0);
	assert_string_equal(dm_device_name(ti, m.dev), a);
	assert_true(m.off == (100 + 16 + 8) * 512);
	assert_true(m.len == 8 * 512);
	free(table);
	dev_put(&md->dev);
	dm_context_free(ctx);
	tmp_files_remove(&tf);
}

static void test_ctr_errors(void **state)
{
	struct tmp_files tf = { 0 };
	struct dm_context *ctx = new_ctx();
	const char *a, *b;
	static const struct {
		const char *args; /* %1$s = a, %2$s = b */
		const char *len;
		const char *why;
	} bad[] = {
		{ "2", "64", "Not enough arguments" },
		{ "", "64", "Not enough arguments" },
		{ "0 8 %1$s 0", "64", "Invalid stripe count" },
		{ "-1 8 %1$s 0", "64", "Invalid stripe count" },
		{ "2x 8 %1$s 0 %2$s 0", "64", "Invalid stripe count" },
		{ "2 0 %1$s 0 %2$s 0", "64", "Invalid chunk_size" },
		{ "2 8k %1$s 0 %2$s 0", "64", "Invalid chunk_size" },
		{ "2 12 %1$s 0 %2$s 0", "48", "Invalid chunk size" },
		{ "2 4 %1$s 0 %2$s 0", "64", "Invalid chunk size" },
		{ "2 1 %1$s 0 %2$s 0", "64", "Invalid chunk size" },
		{ "2 8 %1$s 0 %2$s 0", "63", "not divisible by number of stripes" },
		{ "2 16 %1$s 0 %2$s 0", "48", "not divisible by chunk size" },
		{ "2 8 %1$s 0", "64", "Not enough destinations specified" },
		{ "2 8 %1$s 0 %2$s", "64", "Not enough destinations specified" },
		{ "2 8 %1$s 0 %2$s 0 %1$s 0", "64", "Not enough destinations specified" },
		{ "4294967295 8 %1$s 0", "64", "not divisible by number of stripes" },
		{ "2 8 %1$s x %2$s 0", "64", "Couldn't parse stripe destination" },
		{ "2 8 %1$s -8 %2$s 0", "64", "Couldn't parse stripe destination" },
		{ "2 8 %1$s 0 %2$s 18446744073709551615", "64", "Couldn't parse stripe destination" },
		{ "2 8 %1$s 0 /nonexistent/ulvm 0", "64", "/nonexistent/ulvm: no such file" },
		/* The core's range check: b has 64 sectors. */
		{ "2 8 %1$s 0 %2$s 40", "64", "too small" },
		{ "2 8 %1$s 0 %2$s 0", "256", "too small" },
	};

	(void)state;
	a = tmp_file(&tf, 1 << 20);
	b = tmp_file(&tf, 64 * 512);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err e = { { 0 } };
		char args[1024], *table;
		int r;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		snprintf(args, sizeof(args), bad[i].args, a, b);
#pragma GCC diagnostic pop
		table = strf("0 %s striped %s\n", bad[i].len, args);
		r = dm_create(ctx, "bad", NULL, table, NULL, 0, &e);
		if (r != -EINVAL && r != -ENODEV && r != -ENOENT)
			fail_msg("table '%s': got %d (%s)", table, r, e.msg);
		if (!strstr(e.msg, bad[i].why) || !strstr(e.msg, "line 1"))
			fail_msg("table '%s': message '%s' lacks '%s'", table, e.msg, bad[i].why);
		assert_null(dm_lookup(ctx, "bad"));
		free(table);
	}
	dm_context_free(ctx);
	tmp_files_remove(&tf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_arithmetic),
		cmocka_unit_test(test_second_target),
		cmocka_unit_test(test_ctr_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
