/* Running a program to its end: exit status, signals, a program that
 * does not exist, stdout into a buffer, stderr less the dropped lines,
 * and both pipes full at once. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/subprocess.h"

static int sh(const char *script, const struct spawn_io *io)
{
	const char *argv[] = { "sh", "-c", script, NULL };

	return spawn_wait(argv, io);
}

/* Run @script with our stderr going to a file, and read that back. */
static int sh_stderr(const char *script, const struct spawn_io *io, char *err, size_t size)
{
	char path[] = "/tmp/ulvm-test-subprocess.XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO), r;
	ssize_t n;

	assert_true(fd >= 0 && saved >= 0);
	unlink(path);
	fflush(stderr);
	dup2(fd, STDERR_FILENO);
	r = sh(script, io);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	n = pread(fd, err, size - 1, 0);
	assert_true(n >= 0);
	err[n] = 0;
	close(fd);
	return r;
}

static void test_status(void **state)
{
	const char *nope[] = { "/nonexistent/ulvm-no-such-program", NULL };

	(void)state;
	assert_int_equal(sh("exit 0", NULL), 0);
	assert_int_equal(sh("exit 3", NULL), 3);
	assert_int_equal(sh("kill -TERM $$", NULL), 128 + 15);
	assert_int_equal(spawn_wait(nope, NULL), -ENOENT);
}

static void test_stdout(void **state)
{
	char out[5], big[64];

	(void)state;
	assert_int_equal(sh("printf 0123456789", &(struct spawn_io){ .out = out, .size = sizeof(out) }), 0);
	assert_string_equal(out, "0123");
	/* stdin is /dev/null: cat ends at once with nothing */
	assert_int_equal(sh("cat; printf end", &(struct spawn_io){ .out = big, .size = sizeof(big) }), 0);
	assert_string_equal(big, "end");
	/* far more than a pipe holds is drained, and the status still comes */
	assert_int_equal(sh("head -c 1000000 /dev/zero; exit 7", &(struct spawn_io){ .out = big, .size = sizeof(big) }), 7);
}

static void test_stderr_drop(void **state)
{
	char err[4096], out[16];

	(void)state;
	assert_int_equal(sh_stderr("echo keep1 >&2; echo 'please drop me' >&2; printf keep2 >&2", &(struct spawn_io){ .drop = "drop" },
				   err, sizeof(err)),
			 0);
	assert_string_equal(err, "keep1\nkeep2");
	/* a dropped line longer than the filter's buffer goes whole */
	assert_int_equal(sh_stderr("{ printf drop; head -c 10000 /dev/zero | tr '\\0' x; echo; echo after; } >&2",
				   &(struct spawn_io){ .drop = "drop" }, err, sizeof(err)),
			 0);
	assert_string_equal(err, "after\n");
	/* both pipes full at once: neither blocks the other */
	assert_int_equal(sh_stderr("yes out | head -n 100000; yes err | head -n 100000 >&2; yes out | head -n 100000",
				   &(struct spawn_io){ .out = out, .size = sizeof(out), .drop = "err" }, err, sizeof(err)),
			 0);
	assert_string_equal(out, "out\nout\nout\nout");
	assert_string_equal(err, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_stdout),
		cmocka_unit_test(test_stderr_drop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
