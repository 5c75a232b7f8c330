/* Helpers for the LVM2 format tests (test_lvm_*.c): fixture files made
 * with real lvm2 2.03.16 (tests/data/lvm/README) and memory devices. */
#ifndef ULVM_TESTS_TEST_LVM_H
#define ULVM_TESTS_TEST_LVM_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "io/dev.h"

#ifndef LVM_TEST_DATA
#error "LVM_TEST_DATA must name tests/data/lvm"
#endif

/* The whole fixture @name, plus a NUL not counted in *len. */
static inline char *read_fixture(const char *name, size_t *len)
{
	char path[4096];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", LVM_TEST_DATA, name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open fixture %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n >= 0);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return buf;
}

static inline struct dev *mem_dev(uint64_t size)
{
	struct dev *d;

	assert_int_equal(dev_new_memory(size, &d), 0);
	return d;
}

/* Fail with the message when @r is not 0. */
#define assert_ok(r, e)                                                   \
	do {                                                              \
		int r_ = (r);                                             \
		if (r_)                                                   \
			fail_msg("%s = %d: %s", #r, r_, (e)->msg);        \
	} while (0)

#endif
