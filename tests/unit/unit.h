/* Helpers shared by the unit tests: temporary backing files and a dm
 * context holding every registered target.  Header-only so that each
 * test stays one executable built from one file. */
#ifndef ULVM_TESTS_UNIT_H
#define ULVM_TESTS_UNIT_H

#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dm/md.h"
#include "targets/registry.h"

#define MAX_TMP_FILES 16

struct tmp_files {
	unsigned n;
	char path[MAX_TMP_FILES][PATH_MAX];
};

/* A sparse file of @size bytes; returns its canonical path (what tables
 * print for it). */
static inline const char *tmp_file(struct tmp_files *t, uint64_t size)
{
	char tmpl[] = "/tmp/ulvm-unit-XXXXXX";
	int fd;

	assert_true(t->n < MAX_TMP_FILES);
	fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	close(fd);
	assert_non_null(realpath(tmpl, t->path[t->n]));
	return t->path[t->n++];
}

static inline void tmp_files_remove(struct tmp_files *t)
{
	for (unsigned i = 0; i < t->n; i++)
		unlink(t->path[i]);
	t->n = 0;
}

static inline struct dm_context *new_ctx(void)
{
	struct dm_context *ctx;

	assert_int_equal(dm_context_new(ulvm_targets, ulvm_ntargets, &ctx), 0);
	return ctx;
}

/* snprintf into a fresh heap string. */
static inline char *strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline char *strf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	assert_true(vasprintf(&s, fmt, ap) >= 0);
	va_end(ap);
	return s;
}

/* Create @name from @table, failing the test with the core's message. */
static inline struct mapped_device *create_md(struct dm_context *ctx, const char *name,
					      const char *table)
{
	struct err e = { { 0 } };
	struct mapped_device *md;
	int r = dm_create(ctx, name, NULL, table, NULL, 0, &e);

	if (r)
		fail_msg("dm_create %s: %d: %s\ntable:\n%s", name, r, e.msg, table);
	md = dm_lookup(ctx, name);
	assert_non_null(md);
	return md;
}

static inline char *format_md(struct mapped_device *md, enum status_type type)
{
	char *s = NULL;

	assert_int_equal(md_format(md, type, false, &s), 0);
	assert_non_null(s);
	return s;
}

#endif
