/* I/O through mapped devices built over temporary files: bytes written
 * through the device must land where the table says, and the fault
 * targets must fail, drop, corrupt and delay as documented. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <time.h>

static void fill(unsigned char *buf, size_t len, uint64_t seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (unsigned char)((seed + i) * 2654435761u >> 13);
}

static void file_pread(const char *path, void *buf, size_t len, uint64_t off)
{
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

static void file_pwrite(const char *path, const void *buf, size_t len, uint64_t off)
{
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, buf, len, (off_t)off), (ssize_t)len);
	close(fd);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * Sectors   0..63   linear  A from sector 8
 *          64..191  striped 2 x 16 sectors: B from 0, C from 32
 *         192..255  linear  A from sector 100
 */
static void where(uint64_t x, int *file, uint64_t *sector)
{
	if (x < 64) {
		*file = 0;
		*sector = 8 + x;
	} else if (x < 192) {
		uint64_t y = x - 64, chunk = y / 16;
		*file = 1 + (int)(chunk % 2);
		*sector = (*file == 1 ? 0 : 32) + (chunk / 2) * 16 + y % 16;
	} else {
		*file = 0;
		*sector = 100 + (x - 192);
	}
}

static void test_layout(void **state)
{
	struct tmp_files tf = { 0 };
	struct dm_context *ctx = new_ctx();
	const char *f[3];
	struct mapped_device *md;
	size_t size = 256 * 512;
	unsigned char *pat = malloc(size), *got = malloc(size), sec[512];
	char *table;

	(void)state;
	assert_non_null(pat);
	assert_non_null(got);
	f[0] = tmp_file(&tf, 1 << 20);
	f[1] = tmp_file(&tf, 1 << 20);
	f[2] = tmp_file(&tf, 1 << 20);
	table = strf("0 64 linear %s 8\n64 128 striped 2 16 %s 0 %s 32\n192 64 linear %s 100\n",
		     f[0], f[1], f[2], f[0]);
	md = create_md(ctx, "io", table);
	assert_true(md->dev.size == size);

	/* Write in uneven pieces that cross sectors, chunks and targets. */
	fill(pat, size, 1);
	for (size_t off = 0, n; off < size; off += n) {
		n = 3 * 1024 + 100;
		if (n > size - off)
			n = size - off;
		assert_int_equal(dev_write(&md->dev, pat + off, n, off, 0), 0);
	}
	assert_int_equal(dev_flush(&md->dev), 0);

	/* Each sector is where the table says. */
	for (uint64_t x = 0; x < 256; x++) {
		int fi;
		uint64_t s;

		where(x, &fi, &s);
		file_pread(f[fi], sec, 512, s * 512);
		if (memcmp(sec, pat + x * 512, 512))
			fail_msg("sector %llu not at %s sector %llu", (unsigned long long)x, f[fi],
				 (unsigned long long)s);
	}
	/* And nothing else was written: sectors 0..7 of A stay zero. */
	file_pread(f[0], sec, 512, 0);
	for (int i = 0; i < 512; i++)
		assert_int_equal(sec[i], 0);

	/* Reads come back the same, in other uneven pieces. */
	memset(got, 0, size);
	for (size_t off = 0, n; off < size; off += n) {
		n = 5 * 1024 + 3;
		if (n > size - off)
			n = size - off;
		assert_int_equal(dev_read(&md->dev, got + off, n, off), 0);
	}
	assert_memory_equal(got, pat, size);

	/* Past the end is refused. */
	assert_true(dev_read(&md->dev, got, 1024, size - 512) < 0);

	free(table);
	free(pat);
	free(got);
	dev_put(&md->dev);
	dm_context_free(ctx);
	tmp_files_remove(&tf);
}

static void test_error_zero(void **state)
{
	struct dm_context *ctx = new_ctx();
	struct mapped_device *md;
	unsigned char buf[4096];

	(void)state;
	md = create_md(ctx, "err", "0 16 error\n");
	assert_int_equal(dev_read(&md->dev, buf, 512, 0), -EIO);
	assert_int_equal(dev_read(&md->dev, buf, 100, 4000), -EIO);
	assert_int_equal(dev_write(&md->dev, buf, 512, 512, 0), -EIO);
	assert_int_equal(dev_write(&md->dev, buf, 512, 512, DEV_FUA), -EIO);
	assert_int_equal(dev_discard(&md->dev, 0, 4096), -EIO);
	assert_int_equal(dev_write_zeroes(&md->dev, 0, 4096, 0), -EIO);
	dev_put(&md->dev);

	md = create_md(ctx, "zero", "0 8 zero\n8 8 error\n");
	memset(buf, 0xaa, sizeof(buf));
	assert_int_equal(dev_write(&md->dev, buf, sizeof(buf), 0, 0), 0);
	assert_int_equal(dev_read(&md->dev, buf, sizeof(buf), 0), 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal(dev_discard(&md->dev, 0, 4096), 0);
	assert_int_equal(dev_write_zeroes(&md->dev, 0, 4096, DEV_FAST_ZERO), 0);
	/* A read spanning into the error target fails. */
	assert_int_equal(dev_read(&md->dev, buf, 1024, 3584), -EIO);
	assert_int_equal(dev_flush(&md->dev), 0);
	dev_put(&md->dev);
	dm_context_free(ctx);
}

struct ext {
	unsigned n;
	uint64_t off[8], len[8];
	uint32_t flags[8];
};

static int ext_fn(void *opaque, uint64_t off, uint64_t len, uint32_t flags)
{
	struct ext *x = opaque;

	if (x->n == 8)
		return 1;
	x->off[x->n] = off;
	x->len[x->n] = len;
	x->flags[x->n++] = flags;
	return 0;
}

static void test_zero_extents(void **state)
{
	struct dm_context *ctx = new_ctx();
	struct mapped_device *md = create_md(ctx, "zero", "0 64 zero\n");
	struct ext x = { 0 };
	uint64_t covered = 0;

	(void)state;
	assert_int_equal(dev_extents(&md->dev, 4096, 8192, ext_fn, &x), 0);
	assert_true(x.n >= 1);
	assert_true(x.off[0] == 4096);
	for (unsigned i = 0; i < x.n; i++) {
		assert_int_equal(x.flags[i], DEV_EXT_HOLE | DEV_EXT_ZERO);
		covered += x.len[i];
	}
	assert_true(covered >= 8192);
	dev_put(&md->dev);

	/* error describes its range as data; the reads there fail */
	md = create_md(ctx, "err", "0 64 error\n");
	memset(&x, 0, sizeof(x));
	assert_int_equal(dev_extents(&md->dev, 0, 4096, ext_fn, &x), 0);
	assert_int_equal(x.n, 1);
	assert_int_equal(x.flags[0], 0);
	dev_put(&md->dev);
	dm_context_free(ctx);
}

/* A flakey device that is down from the start (up interval 0). */
struct flakey_case {
	struct tmp_files tf;
	struct dm_context *ctx;
	struct mapped_device *md;
	const char *a;
	unsigned char old[4096], buf[4096], got[4096];
};

static void flakey_open(struct flakey_case *c, const char *features)
{
	char *table;

	memset(c, 0, sizeof(*c));
	c->ctx = new_ctx();
	c->a = tmp_file(&c->tf, 1 << 20);
	/* Old data where the device's sectors 0..7 live (A from sector 8). */
	fill(c->old, sizeof(c->old), 7);
	file_pwrite(c->a, c->old, sizeof(c->old), 8 * 512);
	fill(c->buf, sizeof(c->buf), 99);
	table = strf("0 64 flakey %s 8 %s\n", c->a, features);
	c->md = create_md(c->ctx, "fl", table);
	free(table);
}

static void flakey_close(struct flakey_case *c)
{
	dev_put(&c->md->dev);
	dm_context_free(c->ctx);
	tmp_files_remove(&c->tf);
}

static void expect_file(struct flakey_case *c, const unsigned char *want)
{
	unsigned char on_disk[4096];

	file_pread(c->a, on_disk, sizeof(on_disk), 8 * 512);
	assert_memory_equal(on_disk, want, sizeof(on_disk));
}

static void test_flakey_up(void **state)
{
	struct flakey_case c;

	(void)state;
	flakey_open(&c, "3600 1 1 error_writes");
	assert_int_equal(dev_read(&c.md->dev, c.got, 4096, 0), 0);
	assert_memory_equal(c.got, c.old, 4096);
	assert_int_equal(dev_write(&c.md->dev, c.buf, 4096, 0, 0), 0);
	assert_int_equal(dev_flush(&c.md->dev), 0);
	expect_file(&c, c.buf);
	flakey_close(&c);
}

static void test_flakey_down_default(void **state)
{
	struct flakey_case c;

	(void)state;
	flakey_open(&c, "0 3600");
	assert_int_equal(dev_read(&c.md->dev, c.got, 4096, 0), -EIO);
	assert_int_equal(dev_write(&c.md->dev, c.buf, 4096, 0, 0), -EIO);
	assert_int_equal(dev_discard(&c.md->dev, 0, 4096), -EIO);
	assert_int_equal(dev_write_zeroes(&c.md->dev, 0, 4096, 0), -EIO);
	assert_int_equal(dev_flush(&c.md->dev), -EIO);
	expect_file(&c, c.old);
	flakey_close(&c);
}

static void test_flakey_error_writes(void **state)
{
	struct flakey_case c;

	(void)state;
	flakey_open(&c, "0 3600 1 error_writes");
	assert_int_equal(dev_read(&c.md->dev, c.got, 4096, 0), 0);
	assert_memory_equal(c.got, c.old, 4096);
	assert_int_equal(dev_write(&c.md->dev, c.buf, 4096, 0, 0), -EIO);
	assert_int_equal(dev_write(&c.md->dev, c.buf, 512, 1024, DEV_FUA), -EIO);
	assert_int_equal(dev_write_zeroes(&c.md->dev, 0, 4096, 0), -EIO);
	expect_file(&c, c.old);
	flakey_close(&c);
}

static void test_flakey_drop_writes(void **state)
{
	struct flakey_case c;

	(void)state;
	flakey_open(&c, "0 3600 1 drop_writes");
	assert_int_equal(dev_write(&c.md->dev, c.buf, 4096, 0, 0), 0);
	assert_int_equal(dev_write(&c.md->dev, c.buf, 512, 1024, DEV_FUA), 0);
	assert_int_equal(dev_write_zeroes(&c.md->dev, 0, 4096, 0), 0);
	assert_int_equal(dev_discard(&c.md->dev, 0, 4096), 0);
	assert_int_equal(dev_flush(&c.md->dev), 0);
	expect_file(&c, c.old);
	assert_int_equal(dev_read(&c.md->dev, c.got, 4096, 0), 0);
	assert_memory_equal(c.got, c.old, 4096);
	flakey_close(&c);
}

static void test_flakey_error_reads(void **state)
{
	struct flakey_case c;

	(void)state;
	flakey_open(&c, "0 3600 1 error_reads");
	assert_int_equal(dev_read(&c.md->dev, c.got, 4096, 0), -EIO);
	/* Writes pass. */
	assert_int_equal(dev_write(&c.md->dev, c.buf, 4096, 0, 0), 0);
	expect_file(&c, c.buf);
	flakey_close(&c);
}

static void test_flakey_corrupt(void **state)
{
	struct flakey_case c;
	unsigned char want[4096], copy[4096];

	(void)state;
	/* Reads: the 3rd byte of every read becomes 170; the disk keeps its data. */
	flakey_open(&c, "0 3600 5 corrupt_bio_byte 3 r 170 0");
	assert_int_equal(dev_read(&c.md->dev, c.got, 1024, 512), 0);
	memcpy(want, c.old + 512, 1024);
	want[2] = 170;
	assert_memory_equal(c.got, want, 1024);
	/* A read shorter than the byte is left alone. */
	assert_int_equal(dev_read(&c.md->dev, c.got, 2, 0), 0);
	assert_memory_equal(c.got, c.old, 2);
	/* Writes pass untouched. */
	assert_int_equal(dev_write(&c.md->dev, c.buf, 4096, 0, 0), 0);
	expect_file(&c, c.buf);
	flakey_close(&c);

	/* Writes: the device gets the corrupted byte, the caller's buffer
	 * does not change. */
	flakey_open(&c, "0 3600 5 corrupt_bio_byte 513 w 0 0");
	memcpy(copy, c.buf, sizeof(copy));
	assert_int_equal(dev_write(&c.md->dev, c.buf, 4096, 0, 0), 0);
	assert_memory_equal(c.buf, copy, sizeof(copy));
	memcpy(want, c.buf, sizeof(want));
	want[512] = 0;
	expect_file(&c, want);
	assert_int_equal(dev_read(&c.md->dev, c.got, 4096, 0), 0);
	assert_memory_equal(c.got, want, 4096);
	flakey_close(&c);

	/* Flags: only writes carrying REQ_FUA (1 << 17) are corrupted. */
	flakey_open(&c, "0 3600 5 corrupt_bio_byte 1 w 0 131072");
	assert_int_equal(dev_write(&c.md->dev, c.buf, 4096, 0, 0), 0);
	expect_file(&c, c.buf);
	assert_int_equal(dev_write(&c.md->dev, c.buf, 4096, 0, DEV_FUA), 0);
	memcpy(want, c.buf, sizeof(want));
	want[0] = 0;
	expect_file(&c, want);
	flakey_close(&c);
}

static unsigned count_diff(const unsigned char *a, const unsigned char *b, size_t n)
{
	unsigned d = 0;

	for (size_t i = 0; i < n; i++)
		d += a[i] != b[i];
	return d;
}

static void test_flakey_random(void **state)
{
	struct flakey_case c;
	unsigned changed = 0;

	(void)state;
	flakey_open(&c, "0 3600 2 random_read_corrupt 1000000000");
	for (int i = 0; i < 64; i++) {
		unsigned d;
		assert_int_equal(dev_read(&c.md->dev, c.got, 4096, 0), 0);
		d = count_diff(c.got, c.old, 4096);
		assert_true(d <= 1);
		changed += d;
	}
	/* A random byte may happen to keep its value, but not 64 times. */
	assert_true(changed > 32);
	flakey_close(&c);

	flakey_open(&c, "0 3600 2 random_write_corrupt 1000000000");
	for (int i = 0; i < 16; i++) {
		unsigned char on_disk[4096];
		assert_int_equal(dev_write(&c.md->dev, c.buf, 4096, 0, 0), 0);
		file_pread(c.a, on_disk, sizeof(on_disk), 8 * 512);
		assert_true(count_diff(on_disk, c.buf, 4096) <= 1);
	}
	flakey_close(&c);

	/* Probability 0 never corrupts (and the table is then "0" features). */
	flakey_open(&c, "0 3600 3 error_writes random_read_corrupt 0");
	for (int i = 0; i < 16; i++) {
		assert_int_equal(dev_read(&c.md->dev, c.got, 4096, 0), 0);
		assert_memory_equal(c.got, c.old, 4096);
	}
	flakey_close(&c);
}

/* Up for 1 s, down for 1 s: I/O fails only in the second second. */
static void test_flakey_cycle(void **state)
{
	struct flakey_case c;
	double t0;

	(void)state;
	t0 = now_s();
	flakey_open(&c, "1 1");
	if (now_s() - t0 < 0.8)
		assert_int_equal(dev_read(&c.md->dev, c.got, 512, 0), 0);
	while (now_s() - t0 < 1.2)
		usleep(10000);
	if (now_s() - t0 < 1.8)
		assert_int_equal(dev_read(&c.md->dev, c.got, 512, 0), -EIO);
	while (now_s() - t0 < 2.2)
		usleep(10000);
	if (now_s() - t0 < 2.8)
		assert_int_equal(dev_read(&c.md->dev, c.got, 512, 0), 0);
	flakey_close(&c);
}

static void test_delay_classes(void **state)
{
	struct tmp_files tf = { 0 };
	struct dm_context *ctx = new_ctx();
	const char *a, *b;
	struct mapped_device *md;
	unsigned char buf[4096], got[4096];
	char *table, *st;
	double t;

	(void)state;
	a = tmp_file(&tf, 1 << 20);
	b = tmp_file(&tf, 1 << 20);
	/* Reads from a, 500 ms late; writes to b at sector 16, at once;
	 * flushes to a after 100 ms. */
	table = strf("0 64 delay %s 0 500 %s 16 0 %s 0 100\n", a, b, a);
	md = create_md(ctx, "dl", table);
	free(table);

	fill(buf, sizeof(buf), 5);
	t = now_s();
	assert_int_equal(dev_write(&md->dev, buf, sizeof(buf), 512, 0), 0);
	assert_true(now_s() - t < 0.4);
	file_pread(b, got, sizeof(got), (16 + 1) * 512);
	assert_memory_equal(got, buf, sizeof(buf));
	/* The read goes to a, which holds zeroes there. */
	t = now_s();
	assert_int_equal(dev_read(&md->dev, got, sizeof(got), 512), 0);
	assert_true(now_s() - t >= 0.499);
	for (size_t i = 0; i < sizeof(got); i++)
		assert_int_equal(got[i], 0);
	t = now_s();
	assert_int_equal(dev_flush(&md->dev), 0);
	assert_true(now_s() - t >= 0.099);

	st = format_md(md, STATUSTYPE_INFO);
	assert_string_equal(st, "0 64 delay 0 0 0\n");
	free(st);
	dev_put(&md->dev);
	dm_context_free(ctx);
	tmp_files_remove(&tf);
}

struct bg_write {
	struct mapped_device *md;
	unsigned char buf[512];
	int r;
	double took;
};

static void *bg_write_fn(void *arg)
{
	struct bg_write *w = arg;
	double t = now_s();

	w->r = dev_write(&w->md->dev, w->buf, sizeof(w->buf), 0, 0);
	w->took = now_s() - t;
	return NULL;
}

/* While a write waits, INFO counts it; suspending releases it at once
 * (the kernel's presuspend flushes the delayed bios). */
static void test_delay_suspend(void **state)
{
	struct tmp_files tf = { 0 };
	struct dm_context *ctx = new_ctx();
	struct err e = { { 0 } };
	struct bg_write w = { 0 };
	unsigned char got[512];
	const char *a;
	char *table, *st;
	pthread_t th;
	double t;

	(void)state;
	a = tmp_file(&tf, 1 << 20);
	/* Only writes wait; flushes do not (removal flushes, see below). */
	table = strf("0 64 delay %1$s 0 0 %1$s 0 10000 %1$s 0 0\n", a);
	w.md = create_md(ctx, "dl", table);
	free(table);
	fill(w.buf, sizeof(w.buf), 3);
	assert_int_equal(pthread_create(&th, NULL, bg_write_fn, &w), 0);

	st = NULL;
	for (int i = 0; i < 200; i++) {
		free(st);
		st = format_md(w.md, STATUSTYPE_INFO);
		if (!strcmp(st, "0 64 delay 0 1 0\n"))
			break;
		usleep(10000);
	}
	assert_string_equal(st, "0 64 delay 0 1 0\n");
	free(st);

	t = now_s();
	assert_int_equal(dm_suspend(ctx, "dl", 0, &e), 0);
	assert_true(now_s() - t < 5);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(w.r, 0);
	assert_true(w.took < 5);
	file_pread(a, got, sizeof(got), 0);
	assert_memory_equal(got, w.buf, sizeof(got));
	assert_int_equal(dm_resume(ctx, "dl", &e), 0);

	/* The device works after resume (reads are not delayed here). */
	t = now_s();
	assert_int_equal(dev_read(&w.md->dev, got, sizeof(got), 0), 0);
	assert_true(now_s() - t < 1);

	dev_put(&w.md->dev);
	dm_context_free(ctx);
	tmp_files_remove(&tf);
}

/* Removing a device must not sit out its flush delay: the kernel runs
 * presuspend (which releases delayed bios) before tearing a table down. */
static void test_delay_remove(void **state)
{
	struct tmp_files tf = { 0 };
	struct dm_context *ctx = new_ctx();
	struct err e = { { 0 } };
	struct mapped_device *md;
	char *table;
	double t;

	(void)state;
	table = strf("0 64 delay %1$s 0 0 %1$s 0 0 %1$s 0 10000\n", tmp_file(&tf, 1 << 20));
	md = create_md(ctx, "dl", table);
	free(table);
	dev_put(&md->dev);
	t = now_s();
	assert_int_equal(dm_remove(ctx, "dl", 0, &e), 0);
	assert_true(now_s() - t < 5);
	dm_context_free(ctx);
	tmp_files_remove(&tf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout),
		cmocka_unit_test(test_error_zero),
		cmocka_unit_test(test_zero_extents),
		cmocka_unit_test(test_flakey_up),
		cmocka_unit_test(test_flakey_down_default),
		cmocka_unit_test(test_flakey_error_writes),
		cmocka_unit_test(test_flakey_drop_writes),
		cmocka_unit_test(test_flakey_error_reads),
		cmocka_unit_test(test_flakey_corrupt),
		cmocka_unit_test(test_flakey_random),
		cmocka_unit_test(test_flakey_cycle),
		cmocka_unit_test(test_delay_classes),
		cmocka_unit_test(test_delay_suspend),
		cmocka_unit_test(test_delay_remove),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
