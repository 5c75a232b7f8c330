/* File devices through each I/O engine, buffered and O_DIRECT: any offset,
 * length and buffer address reads and writes exactly the bytes asked for
 * (O_DIRECT's bounce buffers and read-modify-write at unaligned edges),
 * checked against a model of the file; two threads writing unaligned
 * pieces of the same blocks lose none of them; flush and FUA work. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>

#include "io/dev.h"
#include "io/engine.h"

#define SIZE (256u * 1024)

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void random_io(const struct io_engine *eng, unsigned flags)
{
	struct tmp_files t = { 0 };
	const char *path = tmp_file(&t, SIZE);
	unsigned char *model = calloc(1, SIZE), *buf = malloc(SIZE + 1), *got = malloc(SIZE + 1);
	uint64_t s = 0x9e3779b97f4a7c15ull;
	struct dev *d;

	assert_int_equal(dev_open_file_with(path, flags, eng, &d), 0);
	for (unsigned i = 0; i < 400; i++) {
		uint64_t off = rnd(&s) % SIZE, len = 1 + rnd(&s) % (i % 4 ? 600 : 20000);
		unsigned shift = (unsigned)(rnd(&s) % 2); /* an odd buffer address too */

		if (off + len > SIZE)
			len = SIZE - off;
		if (rnd(&s) % 2) {
			for (uint64_t k = 0; k < len; k++)
				buf[shift + k] = (unsigned char)rnd(&s);
			assert_int_equal(dev_write(d, buf + shift, len, off, i % 7 ? 0 : DEV_FUA), 0);
			memcpy(model + off, buf + shift, len);
		} else {
			assert_int_equal(dev_read(d, got + shift, len, off), 0);
			assert_memory_equal(got + shift, model + off, len);
		}
	}
	assert_int_equal(dev_flush(d), 0);
	dev_put(d);
	/* what is on the file, read without ulvm */
	{
		int fd = open(path, O_RDONLY);

		assert_true(fd >= 0);
		assert_int_equal(pread(fd, got, SIZE, 0), SIZE);
		close(fd);
		assert_memory_equal(got, model, SIZE);
	}
	free(model);
	free(buf);
	free(got);
	tmp_files_remove(&t);
}

static void test_threads_buffered(void **state) { (void)state; random_io(&io_engine_sync, 0); }
static void test_threads_direct(void **state) { (void)state; random_io(&io_engine_sync, DEV_OPEN_DIRECT); }
static void test_uring_buffered(void **state) { (void)state; random_io(&io_engine_uring, 0); }
static void test_uring_direct(void **state) { (void)state; random_io(&io_engine_uring, DEV_OPEN_DIRECT); }

struct writer {
	struct dev *d;
	unsigned id;
};

/* Writer @id owns bytes i with i % 4 == id of the first 16 KiB (no byte
 * shared, every 4 KiB block shared): runs of 3 bytes at a time, so every
 * write is an unaligned read-modify-write of a block others write too. */
static void *writer_main(void *arg)
{
	struct writer *w = arg;
	unsigned char v = (unsigned char)(0x10 + w->id);

	for (unsigned pass = 0; pass < 2; pass++)
		for (uint64_t off = w->id; off < 16384; off += 4)
			if (dev_write(w->d, &v, 1, off, 0))
				return (void *)1;
	return NULL;
}

static void test_direct_rmw_threads(void **state)
{
	struct tmp_files t = { 0 };
	const char *path = tmp_file(&t, SIZE);
	struct writer w[4];
	pthread_t th[4];
	unsigned char *got = malloc(16384);
	struct dev *d;
	void *ret;

	(void)state;
	assert_int_equal(dev_open_file_with(path, DEV_OPEN_DIRECT, &io_engine_sync, &d), 0);
	for (unsigned i = 0; i < 4; i++) {
		w[i] = (struct writer){ d, i };
		assert_int_equal(pthread_create(&th[i], NULL, writer_main, &w[i]), 0);
	}
	for (unsigned i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], &ret), 0);
		assert_null(ret);
	}
	assert_int_equal(dev_read(d, got, 16384, 0), 0);
	for (unsigned i = 0; i < 16384; i++)
		if (got[i] != 0x10 + i % 4)
			fail_msg("byte %u is 0x%02x, not 0x%02x: a write was lost", i, got[i], 0x10 + i % 4);
	dev_put(d);
	free(got);
	tmp_files_remove(&t);
}

static void test_engine_names(void **state)
{
	(void)state;
	assert_ptr_equal(io_engine_find("threads"), &io_engine_sync);
	assert_ptr_equal(io_engine_find("io_uring"), &io_engine_uring);
	assert_null(io_engine_find("native"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threads_buffered),
		cmocka_unit_test(test_threads_direct),
		cmocka_unit_test(test_uring_buffered),
		cmocka_unit_test(test_uring_direct),
		cmocka_unit_test(test_direct_rmw_threads),
		cmocka_unit_test(test_engine_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
