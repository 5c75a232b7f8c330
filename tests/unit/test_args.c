/* Number and word parsing: the helpers every constructor and the CLI use. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/args.h"

static void test_parse_u64_ok(void **state)
{
	static const struct {
		const char *s;
		uint64_t v;
	} ok[] = {
		{ "0", 0 },
		{ "1", 1 },
		{ "007", 7 },
		{ "4294967296", 4294967296ull },
		{ "18446744073709551615", UINT64_MAX },
	};
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = 12345;
		assert_int_equal(parse_u64(ok[i].s, &v), 0);
		assert_true(v == ok[i].v);
	}
}

static void test_parse_u64_bad(void **state)
{
	static const char *const einval[] = {
		"", " ", " 1", "1 ", "\t1", "1\n", "-1", "+1", "-0", "1a", "a1", "0x10", "1.0",
		"1e3", "1,000", "\xef\xbc\x91",
	};
	uint64_t v = 42;

	(void)state;
	for (size_t i = 0; i < sizeof(einval) / sizeof(einval[0]); i++) {
		int r = parse_u64(einval[i], &v);
		if (r != -EINVAL)
			fail_msg("parse_u64(\"%s\") = %d, want -EINVAL", einval[i], r);
	}
	assert_int_equal(parse_u64(NULL, &v), -EINVAL);
	assert_int_equal(parse_u64("18446744073709551616", &v), -ERANGE);
	assert_int_equal(parse_u64("99999999999999999999999", &v), -ERANGE);
	/* Overflow with trailing junk is still an error. */
	assert_true(parse_u64("99999999999999999999999x", &v) < 0);
	/* Failures leave the output alone. */
	assert_true(v == 42);
}

static void test_parse_u32(void **state)
{
	uint32_t v = 7;

	(void)state;
	assert_int_equal(parse_u32("4294967295", &v), 0);
	assert_true(v == UINT32_MAX);
	assert_int_equal(parse_u32("4294967296", &v), -ERANGE);
	assert_int_equal(parse_u32("18446744073709551616", &v), -ERANGE);
	assert_int_equal(parse_u32("-1", &v), -EINVAL);
	assert_int_equal(parse_u32("12 ", &v), -EINVAL);
	assert_int_equal(parse_u32("", &v), -EINVAL);
	assert_true(v == UINT32_MAX);
}

static void test_parse_size_ok(void **state)
{
	static const struct {
		const char *s;
		uint64_t v;
	} ok[] = {
		{ "0", 0 },
		{ "4096", 4096 },
		{ "1b", 1 },
		{ "1B", 1 },
		{ "1s", 512 },
		{ "8S", 4096 },
		{ "1k", 1024 },
		{ "1K", 1024 },
		{ "3m", 3ull << 20 },
		{ "2g", 2ull << 30 },
		{ "1t", 1ull << 40 },
		{ "1p", 1ull << 50 },
		{ "15e", 15ull << 60 },
		{ "0e", 0 },
		{ "18014398509481983k", 18014398509481983ull * 1024 },
		{ "18446744073709551615", UINT64_MAX },
		{ "18446744073709551615b", UINT64_MAX },
	};
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = 12345;
		if (parse_size(ok[i].s, &v) || v != ok[i].v)
			fail_msg("parse_size(\"%s\") = %llu, want %llu", ok[i].s,
				 (unsigned long long)v, (unsigned long long)ok[i].v);
	}
}

static void test_parse_size_bad(void **state)
{
	static const char *const einval[] = {
		"", "k", "s", "-1k", "+1k", " 1k", "1 k", "1k ", "1kb", "1KiB", "1x", "1.5k",
		"k1", "1kk", "0x1k",
	};
	uint64_t v = 42;

	(void)state;
	for (size_t i = 0; i < sizeof(einval) / sizeof(einval[0]); i++) {
		int r = parse_size(einval[i], &v);
		if (r != -EINVAL)
			fail_msg("parse_size(\"%s\") = %d, want -EINVAL", einval[i], r);
	}
	assert_int_equal(parse_size(NULL, &v), -EINVAL);
	assert_int_equal(parse_size("16e", &v), -ERANGE);
	assert_int_equal(parse_size("18014398509481984k", &v), -ERANGE);
	assert_int_equal(parse_size("36028797018963968s", &v), -ERANGE);
	assert_int_equal(parse_size("18446744073709551616", &v), -ERANGE);
	/* A very long string is rejected, not truncated into a number. */
	char longs[200];
	memset(longs, '1', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	assert_true(parse_size(longs, &v) < 0);
	assert_true(v == 42);
}

static void test_split_words(void **state)
{
	char *argv[8];
	char line1[] = "  0 100\tlinear  /dev/x   8 \n";
	char line2[] = "";
	char line3[] = " \t \n ";
	char line4[] = "a b c";
	char line5[] = "a b   ";
	char line6[] = "one";

	(void)state;
	assert_int_equal(split_words(line1, argv, 8), 5);
	assert_string_equal(argv[0], "0");
	assert_string_equal(argv[1], "100");
	assert_string_equal(argv[2], "linear");
	assert_string_equal(argv[3], "/dev/x");
	assert_string_equal(argv[4], "8");
	assert_int_equal(split_words(line2, argv, 8), 0);
	assert_int_equal(split_words(line3, argv, 8), 0);
	assert_int_equal(split_words(line4, argv, 2), -E2BIG);
	assert_int_equal(split_words(line5, argv, 2), 2);
	assert_string_equal(argv[1], "b");
	assert_int_equal(split_words(line6, argv, 1), 1);
	assert_string_equal(argv[0], "one");
	char line7[] = "x";
	assert_int_equal(split_words(line7, argv, 0), -E2BIG);
}

static void test_arg_set(void **state)
{
	char a0[] = "5", a1[] = "0", a2[] = "4294967296", a3[] = "12x", a4[] = "18446744073709551615";
	char *argv[] = { a0, a1, a2, a3, a4 };
	struct arg_set as = { .argc = 5, .argv = argv };
	uint32_t v32;
	uint64_t v64;

	(void)state;
	assert_int_equal(arg_u32(&as, 1, 10, &v32), 0);
	assert_int_equal(v32, 5);
	/* Below the minimum: consumed and refused. */
	assert_int_equal(arg_u32(&as, 1, 10, &v32), -EINVAL);
	assert_int_equal(as.argc, 3);
	assert_int_equal(arg_u32(&as, 0, UINT32_MAX, &v32), -EINVAL);
	assert_int_equal(arg_u64(&as, &v64), -EINVAL);
	assert_int_equal(arg_u64(&as, &v64), 0);
	assert_true(v64 == UINT64_MAX);
	assert_int_equal(as.argc, 0);
	assert_null(arg_shift(&as));
	assert_int_equal(arg_u32(&as, 0, 1, &v32), -EINVAL);
	assert_int_equal(arg_u64(&as, &v64), -EINVAL);
	assert_int_equal(as.argc, 0);
}

static void test_is_pow2(void **state)
{
	(void)state;
	assert_false(is_pow2_u64(0));
	assert_true(is_pow2_u64(1));
	assert_true(is_pow2_u64(8));
	assert_false(is_pow2_u64(12));
	assert_true(is_pow2_u64(1ull << 63));
	assert_false(is_pow2_u64(UINT64_MAX));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_u64_ok),
		cmocka_unit_test(test_parse_u64_bad),
		cmocka_unit_test(test_parse_u32),
		cmocka_unit_test(test_parse_size_ok),
		cmocka_unit_test(test_parse_size_bad),
		cmocka_unit_test(test_split_words),
		cmocka_unit_test(test_arg_set),
		cmocka_unit_test(test_is_pow2),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
