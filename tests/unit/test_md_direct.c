/* Asynchronous direct I/O (dev_direct_begin, io/dev.h): where a READ or
 * WRITE lies through a stack of mapped devices down to a file, what each
 * level holds while the transfer runs (its table, counted in flight, so a
 * suspend waits), and every case that must say no and hold nothing: a
 * piece across two targets, a target that does its own I/O, a suspended
 * device, unaligned O_DIRECT, buffered writes, a read-only device, a range
 * past the end.  On temporary files, the fd it returns read back with
 * pread to show it is the right file at the right offset. */
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "dm/table.h"
#include "io/dev.h"
#include "targets/mirror/mirror.h"
#include "targets/raid/raid.h"

#define MIB (1u << 20)

static void *aligned_buf(size_t n)
{
	void *p = NULL;

	assert_int_equal(posix_memalign(&p, 4096, n), 0);
	memset(p, 0, n);
	return p;
}

/* Write @byte over [off, off+len) of @path (through the page cache). */
static void fill(const char *path, uint64_t off, size_t len, int byte)
{
	char *b = malloc(len);
	int fd = open(path, O_WRONLY);

	assert_non_null(b);
	assert_true(fd >= 0);
	memset(b, byte, len);
	assert_int_equal(pwrite(fd, b, len, (off_t)off), (ssize_t)len);
	assert_int_equal(fsync(fd), 0);
	close(fd);
	free(b);
}

/* The first target of @md's live table. */
static void *target_private(struct mapped_device *md)
{
	return md->live->targets[0].private;
}

static unsigned md_inflight(struct mapped_device *md)
{
	unsigned n;

	pthread_mutex_lock(&md->lock);
	n = md->inflight;
	pthread_mutex_unlock(&md->lock);
	return n;
}

static void test_o_direct_stack(void **state)
{
	struct tmp_files tmp = { 0 };
	const char *a = tmp_file(&tmp, 4 * MIB), *b = tmp_file(&tmp, 4 * MIB);
	struct dm_context *ctx = new_ctx();
	struct mapped_device *lin, *top, *ro, *fl;
	struct dev_direct io;
	struct md_stats st;
	char *t, *buf = aligned_buf(2 * 4096), *got = aligned_buf(4096);

	(void)state;
	dm_context_set_io(ctx, DEV_OPEN_DIRECT, NULL);
	fill(b, 8192, 4096, 0x5a);
	/* lin: 1 MiB of a from 1 MiB, then 1 MiB of b from 0; top: all of lin */
	t = strf("0 2048 linear %s 2048\n2048 2048 linear %s 0", a, b);
	lin = create_md(ctx, "lin", t);
	free(t);
	top = create_md(ctx, "top", "0 4096 linear /dev/mapper/lin 0");

	/* 4 KiB at 1 MiB + 8 KiB of top: byte 8192 of b, held by both devices */
	assert_int_equal(dev_direct_begin(&top->dev, buf, 4096, MIB + 8192, 0, &io), 0);
	assert_int_equal(io.n, 3); /* top, lin, the file */
	assert_int_equal(io.off, 8192);
	assert_int_equal(pread(io.fd, got, 4096, (off_t)io.off), 4096);
	assert_int_equal((unsigned char)got[0], 0x5a);
	assert_int_equal((unsigned char)got[4095], 0x5a);
	assert_int_equal(md_inflight(top), 1);
	assert_int_equal(md_inflight(lin), 1);
	dev_direct_end(&io, 0);
	assert_int_equal(io.n, 0);
	assert_int_equal(md_inflight(top), 0);
	assert_int_equal(md_inflight(lin), 0);
	md_get_stats(top, &st); /* counted as a read at the top, as md_io does */
	assert_int_equal(st.op[MD_STAT_READ].ops, 1);
	assert_int_equal(st.op[MD_STAT_READ].bytes, 4096);
	assert_int_equal(st.inflight, 0);

	/* the first target: a, from its 1 MiB; a write too */
	assert_int_equal(dev_direct_begin(&top->dev, buf, 4096, 4096, DEV_DIRECT_WRITE, &io), 0);
	assert_int_equal(io.off, MIB + 4096);
	dev_direct_end(&io, 0);
	md_get_stats(top, &st);
	assert_int_equal(st.op[MD_STAT_WRITE].ops, 1);

	/* asked, then done another way: let go, nothing counted */
	assert_int_equal(dev_direct_begin(&top->dev, buf, 4096, 4096, DEV_DIRECT_WRITE, &io), 0);
	assert_int_equal(md_inflight(lin), 1);
	dev_direct_cancel(&io);
	assert_int_equal(md_inflight(top), 0);
	assert_int_equal(md_inflight(lin), 0);
	md_get_stats(top, &st);
	assert_int_equal(st.op[MD_STAT_WRITE].ops, 1);
	assert_int_equal(st.inflight, 0);
	assert_int_equal(dev_direct_begin(&top->dev, buf, 4096, 4096, DEV_DIRECT_WRITE, &io), 0);
	dev_direct_end(&io, 0); /* the rmw lock was given back: a write goes again */
	md_get_stats(top, &st);
	assert_int_equal(st.op[MD_STAT_WRITE].ops, 2);

	/* splice(2) wants the page cache: an O_DIRECT file says no */
	assert_int_equal(dev_direct_begin(&top->dev, NULL, 4096, 0, DEV_DIRECT_SPLICE, &io), -ENOTSUP);
	assert_int_equal(dev_direct_begin(&top->dev, NULL, 4096, 0, DEV_DIRECT_SPLICE | DEV_DIRECT_WRITE, &io),
			 -ENOTSUP);
	assert_int_equal(md_inflight(top), 0);

	/* Refusals hold nothing. */
	assert_int_equal(dev_direct_begin(&top->dev, buf, 8192, MIB - 4096, 0, &io), -ENOTSUP);
	assert_int_equal(dev_direct_begin(&top->dev, buf + 512, 4096, 0, 0, &io), -ENOTSUP);
	assert_int_equal(dev_direct_begin(&top->dev, buf, 4096, 512, 0, &io), -ENOTSUP);
	assert_int_equal(dev_direct_begin(&top->dev, buf, 512, 0, 0, &io), -ENOTSUP);
	assert_int_equal(dev_direct_begin(&top->dev, buf, 4096, 2 * MIB, 0, &io), -ENOSPC);
	assert_int_equal(md_inflight(top), 0);
	assert_int_equal(md_inflight(lin), 0);

	/* A suspended device below: -EAGAIN at once (the caller may hold
	 * what the suspend waits for), and the top holds nothing. */
	assert_int_equal(dm_suspend(ctx, "lin", 0, NULL), 0);
	assert_int_equal(dev_direct_begin(&top->dev, buf, 4096, 0, 0, &io), -EAGAIN);
	assert_int_equal(md_inflight(top), 0);
	assert_int_equal(dm_resume(ctx, "lin", NULL), 0);
	assert_int_equal(dev_direct_begin(&top->dev, buf, 4096, 0, 0, &io), 0);
	dev_direct_end(&io, 0);

	/* A read-only device takes reads, refuses writes. */
	t = strf("0 2048 linear %s 0", a);
	assert_int_equal(dm_create(ctx, "ro", NULL, t, NULL, DM_READONLY, NULL), 0);
	free(t);
	ro = dm_lookup(ctx, "ro");
	assert_non_null(ro);
	assert_int_equal(dev_direct_begin(&ro->dev, buf, 4096, 0, DEV_DIRECT_WRITE, &io), -EROFS);
	assert_int_equal(dev_direct_begin(&ro->dev, buf, 4096, 0, 0, &io), 0);
	dev_direct_end(&io, 0);

	/* A target that does its own I/O (flakey has map and read): no. */
	t = strf("0 2048 flakey %s 0 10 1", a);
	fl = create_md(ctx, "fl", t);
	free(t);
	assert_int_equal(dev_direct_begin(&fl->dev, buf, 4096, 0, 0, &io), -ENOTSUP);
	assert_int_equal(md_inflight(fl), 0);

	dev_put(&fl->dev);
	dev_put(&ro->dev);
	dev_put(&top->dev);
	dev_put(&lin->dev);
	dm_context_free(ctx);
	tmp_files_remove(&tmp);
	free(buf);
	free(got);
}

/* Through the page cache: reads of any alignment go, writes do not;
 * with DEV_DIRECT_SPLICE (no buffer) both do, and hold the device. */
static void test_buffered(void **state)
{
	struct tmp_files tmp = { 0 };
	const char *a = tmp_file(&tmp, 4 * MIB);
	struct dm_context *ctx = new_ctx();
	struct mapped_device *lin;
	struct dev_direct io;
	char *t = strf("0 4096 linear %s 2048", a), buf[4096];

	(void)state;
	lin = create_md(ctx, "lin", t);
	free(t);
	assert_int_equal(dev_direct_begin(&lin->dev, buf + 1, 1000, 512 + 3, 0, &io), 0);
	assert_int_equal(io.off, MIB + 512 + 3);
	dev_direct_end(&io, 0);
	assert_int_equal(dev_direct_begin(&lin->dev, buf, 4096, 0, DEV_DIRECT_WRITE, &io), -ENOTSUP);
	assert_int_equal(md_inflight(lin), 0);
	assert_int_equal(dev_direct_begin(&lin->dev, NULL, 65536 + 7, 3, DEV_DIRECT_SPLICE | DEV_DIRECT_WRITE, &io),
			 0);
	assert_int_equal(io.off, MIB + 3);
	assert_int_equal(md_inflight(lin), 1);
	assert_int_equal(pwrite(io.fd, "splice", 6, (off_t)io.off), 6); /* the caller's move */
	dev_direct_end(&io, 0);
	assert_int_equal(md_inflight(lin), 0);
	assert_int_equal(dev_read(&lin->dev, buf, 6, 3), 0);
	assert_memory_equal(buf, "splice", 6);
	assert_int_equal(dev_direct_begin(&lin->dev, NULL, 4096, 0, DEV_DIRECT_SPLICE, &io), 0);
	dev_direct_end(&io, 0);
	/* across the end: no */
	assert_int_equal(dev_direct_begin(&lin->dev, NULL, 4096, 2 * MIB - 512, DEV_DIRECT_SPLICE, &io), -ENOSPC);
	assert_int_equal(md_inflight(lin), 0);
	dev_put(&lin->dev);
	dm_context_free(ctx);
	tmp_files_remove(&tmp);
}

/* raid1 does its own I/O, but a read where the copies agree lies whole
 * on one copy: the reads alternate between the two files; writes, and
 * reads while a leg is missing its data, are the target's own. */
static void test_raid1(void **state)
{
	struct tmp_files tmp = { 0 };
	const char *a = tmp_file(&tmp, 4 * MIB), *b = tmp_file(&tmp, 4 * MIB);
	struct dm_context *ctx = new_ctx();
	struct mapped_device *r1;
	struct dev_direct io;
	char *t, got[4096];
	int fds[2] = { -1, -1 };

	(void)state;
	fill(a, 8192, 4096, 0x11);
	fill(b, 8192, 4096, 0x11);
	t = strf("0 8192 raid raid1 2 128 nosync 2 - %s - %s", a, b);
	r1 = create_md(ctx, "r1", t);
	free(t);
	for (unsigned k = 0; k < 4; k++) {
		assert_int_equal(dev_direct_begin(&r1->dev, NULL, 4096, 8192, DEV_DIRECT_SPLICE, &io), 0);
		assert_int_equal(io.off, 8192);
		assert_int_equal(pread(io.fd, got, 4096, (off_t)io.off), 4096);
		assert_int_equal((unsigned char)got[100], 0x11);
		if (fds[0] < 0 || fds[0] == io.fd)
			fds[0] = io.fd;
		else
			fds[1] = io.fd;
		assert_int_equal(md_inflight(r1), 1);
		/* a client read in flight, for the sync to yield to */
		assert_int_equal(atomic_load(&((struct raid_set *)target_private(r1))->client_io), 1);
		dev_direct_end(&io, 0);
		assert_int_equal(atomic_load(&((struct raid_set *)target_private(r1))->client_io), 0);
	}
	assert_true(fds[0] >= 0 && fds[1] >= 0 && fds[0] != fds[1]); /* both copies read */
	assert_int_equal(dev_direct_begin(&r1->dev, NULL, 4096, 8192, DEV_DIRECT_SPLICE | DEV_DIRECT_WRITE, &io),
			 -ENOTSUP);
	assert_int_equal(md_inflight(r1), 0);
	dev_put(&r1->dev);
	dm_context_free(ctx);
	tmp_files_remove(&tmp);
}

/* An old-style mirror (pvmove's): reads go to the default mirror, which
 * always has the latest data; writes are the target's own. */
static void test_mirror(void **state)
{
	struct tmp_files tmp = { 0 };
	const char *a = tmp_file(&tmp, 4 * MIB), *b = tmp_file(&tmp, 4 * MIB);
	struct dm_context *ctx = new_ctx();
	struct mapped_device *m;
	struct dev_direct io;
	char *t, got[4096];

	(void)state;
	fill(a, MIB + 8192, 4096, 0x22);
	t = strf("0 4096 mirror core 1 128 2 %s 2048 %s 2048", a, b);
	m = create_md(ctx, "m", t);
	free(t);
	for (unsigned k = 0; k < 3; k++) {
		assert_int_equal(dev_direct_begin(&m->dev, NULL, 4096, 8192, DEV_DIRECT_SPLICE, &io), 0);
		assert_int_equal(io.off, MIB + 8192);
		assert_int_equal(pread(io.fd, got, 4096, (off_t)io.off), 4096);
		assert_int_equal((unsigned char)got[100], 0x22);
		assert_int_equal(md_inflight(m), 1);
		/* a client read in flight, for the recovery to yield to */
		assert_int_equal(atomic_load(&((struct mirror_set *)target_private(m))->client_io), 1);
		dev_direct_end(&io, 0);
		assert_int_equal(atomic_load(&((struct mirror_set *)target_private(m))->client_io), 0);
	}
	/* across a region boundary too: one leg holds it all */
	assert_int_equal(dev_direct_begin(&m->dev, NULL, 65536, 65536 - 512, DEV_DIRECT_SPLICE, &io), 0);
	dev_direct_end(&io, 0);
	assert_int_equal(dev_direct_begin(&m->dev, NULL, 4096, 8192, DEV_DIRECT_SPLICE | DEV_DIRECT_WRITE, &io),
			 -ENOTSUP);
	assert_int_equal(md_inflight(m), 0);
	dev_put(&m->dev);
	dm_context_free(ctx);
	tmp_files_remove(&tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_o_direct_stack),
		cmocka_unit_test(test_buffered),
		cmocka_unit_test(test_raid1),
		cmocka_unit_test(test_mirror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
