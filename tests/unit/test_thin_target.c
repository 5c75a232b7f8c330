/* The thin-pool and thin targets through dm tables over temporary files:
 * messages, I/O with zeroing and copy-on-write into snapshots, discards,
 * extents, external origins, status strings and table round trips,
 * reopening the pool from its files, and out of data space. */
#include "unit.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>

#include "targets/thin_pool.h"
#include "thin/thin_metadata.h"

#define BLOCK_SECTORS 128u
#define BLOCK (BLOCK_SECTORS * 512u)
#define META_BYTES (4u << 20)
#define DATA_BLOCKS 64u

struct fixture {
	struct tmp_files tmp;
	struct dm_context *ctx;
	const char *meta, *data;
};

static void msg(struct dm_context *ctx, const char *dev, const char *m, int want)
{
	struct err e = { { 0 } };
	char result[256];
	int r = dm_message(ctx, dev, 0, m, result, sizeof(result), &e);

	if (r != want)
		fail_msg("message %s '%s': %d (%s), want %d", dev, m, r, e.msg, want);
}

static struct mapped_device *make_pool(struct fixture *f, const char *features)
{
	char *t = strf("0 %u thin-pool %s %s %u 4%s%s", DATA_BLOCKS * BLOCK_SECTORS, f->meta,
		       f->data, BLOCK_SECTORS, features ? " " : "", features ? features : "");
	struct mapped_device *md = create_md(f->ctx, "pool", t);

	free(t);
	return md;
}

static struct mapped_device *make_thin(struct fixture *f, const char *name, unsigned id,
				       uint64_t sectors, const char *origin)
{
	char *t = strf("0 %" PRIu64 " thin /dev/mapper/pool %u%s%s", sectors, id,
		       origin ? " " : "", origin ? origin : "");
	struct mapped_device *md = create_md(f->ctx, name, t);

	free(t);
	return md;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->meta = tmp_file(&f->tmp, META_BYTES);
	f->data = tmp_file(&f->tmp, (uint64_t)DATA_BLOCKS * BLOCK);
	f->ctx = new_ctx();
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	dm_context_free(f->ctx);
	tmp_files_remove(&f->tmp);
	free(f);
	return 0;
}

static void fill(char *buf, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)(seed * 31 + i * 7 + (i >> 9));
}

static bool all_zero(const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (buf[i])
			return false;
	return true;
}

static void check_status(struct mapped_device *md, enum status_type type, const char *want)
{
	char *s = format_md(md, type);

	if (strcmp(s, want))
		fail_msg("status:\n got  '%s'\n want '%s'", s, want);
	free(s);
}

static void test_table_and_status(void **state)
{
	struct fixture *f = *state;
	struct mapped_device *pool = make_pool(f, "2 skip_block_zeroing error_if_no_space");
	struct mapped_device *thin;
	char *want;

	want = strf("0 %u thin-pool %s %s 128 4 2 skip_block_zeroing error_if_no_space\n",
		    DATA_BLOCKS * BLOCK_SECTORS, f->meta, f->data);
	check_status(pool, STATUSTYPE_TABLE, want);
	free(want);
	msg(f->ctx, "pool", "create_thin 0", 0);
	msg(f->ctx, "pool", "create_thin 0", -EEXIST);
	msg(f->ctx, "pool", "create_thin x", -EINVAL);
	msg(f->ctx, "pool", "bogus", -EINVAL);
	msg(f->ctx, "pool", "set_transaction_id 0 7", 0);
	msg(f->ctx, "pool", "set_transaction_id 0 8", -EINVAL);
	thin = make_thin(f, "thin0", 0, 1000 * BLOCK_SECTORS, NULL);
	check_status(thin, STATUSTYPE_TABLE, "0 128000 thin /dev/mapper/pool 0\n");
	check_status(thin, STATUSTYPE_INFO, "0 128000 thin 0 -\n");
	/* Metadata: 1024 blocks, reserve 102, threshold min(1024, 1024/4). */
	char *s = format_md(pool, STATUSTYPE_INFO);
	assert_non_null(strstr(s, " 0/64 - rw discard_passdown error_if_no_space - 256\n"));
	assert_true(!strncmp(s, "0 8192 thin-pool 7 ", 19));
	free(s);
	msg(f->ctx, "pool", "reserve_metadata_snap", 0);
	s = format_md(pool, STATUSTYPE_INFO);
	assert_null(strstr(s, " - rw"));
	free(s);
	msg(f->ctx, "pool", "reserve_metadata_snap", -EBUSY);
	msg(f->ctx, "pool", "release_metadata_snap", 0);
	dev_put(&thin->dev);
	dev_put(&pool->dev);
}

static void test_bad_tables(void **state)
{
	struct fixture *f = *state;
	struct err e = { { 0 } };
	char *t;

	t = strf("0 8192 thin-pool %s %s 100 0", f->meta, f->data);
	assert_int_equal(dm_create(f->ctx, "p", NULL, t, NULL, 0, &e), -EINVAL);
	free(t);
	t = strf("0 8192 thin-pool %s %s 128 0 1 bogus", f->meta, f->data);
	assert_int_equal(dm_create(f->ctx, "p", NULL, t, NULL, 0, &e), -EINVAL);
	free(t);
	/* A thin on something that is not a pool, or on a missing id. */
	t = strf("0 8192 linear %s 0", f->data);
	dev_put(&create_md(f->ctx, "lin", t)->dev);
	free(t);
	assert_int_equal(dm_create(f->ctx, "t", NULL, "0 100 thin /dev/mapper/lin 0", NULL, 0, &e),
			 -EINVAL);
	dev_put(&make_pool(f, NULL)->dev);
	assert_int_equal(dm_create(f->ctx, "t", NULL, "0 100 thin /dev/mapper/pool 5", NULL, 0, &e),
			 -EINVAL);
	/* A pool is alone in its table (DM_TARGET_SINGLETON), checked before
	 * any constructor runs... */
	t = strf("0 8192 thin-pool %s %s 128 0\n8192 8 zero", f->meta, f->data);
	err_clear(&e);
	assert_int_equal(dm_create(f->ctx, "p2", NULL, t, NULL, 0, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "only one"));
	free(t);
	/* ...and never swapped for another type, nor the other way round
	 * (DM_TARGET_IMMUTABLE). */
	err_clear(&e);
	assert_int_equal(dm_load(f->ctx, "pool", "0 8 zero", NULL, -1, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "thin-pool"));
	t = strf("0 %u thin-pool %s %s %u 4", DATA_BLOCKS * BLOCK_SECTORS, tmp_file(&f->tmp, META_BYTES),
		 tmp_file(&f->tmp, (uint64_t)DATA_BLOCKS * BLOCK), BLOCK_SECTORS);
	err_clear(&e);
	assert_int_equal(dm_load(f->ctx, "lin", t, NULL, -1, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "cannot be replaced"));
	free(t);
}

static void test_io_snapshots(void **state)
{
	struct fixture *f = *state;
	struct mapped_device *pool = make_pool(f, NULL), *thin, *snap;
	char *buf = malloc(3 * BLOCK), *rd = malloc(3 * BLOCK);
	struct dev *d;

	assert_non_null(buf);
	assert_non_null(rd);
	msg(f->ctx, "pool", "create_thin 0", 0);
	thin = make_thin(f, "thin0", 0, 100 * BLOCK_SECTORS, NULL);
	d = &thin->dev;
	/* Unprovisioned reads are zeroes. */
	assert_int_equal(dev_read(d, rd, BLOCK, 5 * BLOCK), 0);
	assert_true(all_zero(rd, BLOCK));
	/* A partial write: the rest of the new block reads as zeroes. */
	fill(buf, 4096, 1);
	assert_int_equal(dev_write(d, buf, 4096, 10 * BLOCK + 8192, 0), 0);
	assert_int_equal(dev_read(d, rd, BLOCK, 10 * BLOCK), 0);
	assert_true(all_zero(rd, 8192));
	assert_memory_equal(rd + 8192, buf, 4096);
	assert_true(all_zero(rd + 8192 + 4096, BLOCK - 8192 - 4096));
	/* A write across three blocks. */
	fill(buf, 3 * BLOCK, 2);
	assert_int_equal(dev_write(d, buf, 2 * BLOCK, 20 * BLOCK + 512, DEV_FUA), 0);
	assert_int_equal(dev_read(d, rd, 2 * BLOCK, 20 * BLOCK + 512), 0);
	assert_memory_equal(rd, buf, 2 * BLOCK);
	check_status(thin, STATUSTYPE_INFO, "0 12800 thin 512 2943\n");

	/* Snapshot, then overwrite part of a shared block: copy on write. */
	assert_int_equal(dm_suspend(f->ctx, "thin0", 0, NULL), 0);
	msg(f->ctx, "pool", "create_snap 1 0", 0);
	assert_int_equal(dm_resume(f->ctx, "thin0", NULL), 0);
	snap = make_thin(f, "snap1", 1, 100 * BLOCK_SECTORS, NULL);
	fill(rd, 1024, 9);
	assert_int_equal(dev_write(d, rd, 1024, 20 * BLOCK + 4096, 0), 0);
	assert_int_equal(dev_read(&snap->dev, rd, 2 * BLOCK, 20 * BLOCK + 512), 0);
	assert_memory_equal(rd, buf, 2 * BLOCK); /* the snapshot kept the old data */
	assert_int_equal(dev_read(d, rd, BLOCK, 20 * BLOCK), 0);
	assert_memory_equal(rd + 512, buf, 4096 - 512);
	fill(buf, 1024, 9);
	assert_memory_equal(rd + 4096, buf, 1024);
	check_status(snap, STATUSTYPE_INFO, "0 12800 thin 512 2943\n");

	/* Discard: whole blocks go, partial ones stay. */
	assert_int_equal(dev_discard(d, 20 * BLOCK + 512, BLOCK), 0);
	check_status(thin, STATUSTYPE_INFO, "0 12800 thin 512 2943\n");
	assert_int_equal(dev_discard(d, 20 * BLOCK, 2 * BLOCK), 0);
	check_status(thin, STATUSTYPE_INFO, "0 12800 thin 256 2943\n");
	assert_int_equal(dev_read(d, rd, 2 * BLOCK, 20 * BLOCK), 0);
	assert_true(all_zero(rd, 2 * BLOCK));
	/* The snapshot still has its blocks. */
	check_status(snap, STATUSTYPE_INFO, "0 12800 thin 512 2943\n");

	dev_put(&snap->dev);
	assert_int_equal(dm_remove(f->ctx, "snap1", 0, NULL), 0);
	msg(f->ctx, "pool", "delete 1", 0);
	msg(f->ctx, "pool", "delete 1", -ENODEV);
	dev_put(&thin->dev);
	dev_put(&pool->dev);
	free(buf);
	free(rd);
}

struct ext {
	uint64_t off[16], len[16];
	uint32_t flags[16];
	unsigned n;
};

static int ext_fn(void *opaque, uint64_t off, uint64_t len, uint32_t flags)
{
	struct ext *x = opaque;

	if (x->n && x->flags[x->n - 1] == flags && x->off[x->n - 1] + x->len[x->n - 1] == off) {
		x->len[x->n - 1] += len;
		return 0;
	}
	assert_true(x->n < 16);
	x->off[x->n] = off;
	x->len[x->n] = len;
	x->flags[x->n++] = flags;
	return 0;
}

static void test_extents(void **state)
{
	struct fixture *f = *state;
	struct mapped_device *pool = make_pool(f, NULL), *thin;
	char buf[4096] = { 1 };
	struct ext x = { 0 };

	msg(f->ctx, "pool", "create_thin 3", 0);
	thin = make_thin(f, "thin3", 3, 10 * BLOCK_SECTORS, NULL);
	assert_int_equal(dev_write(&thin->dev, buf, sizeof(buf), 2 * BLOCK, 0), 0);
	assert_int_equal(dev_write(&thin->dev, buf, sizeof(buf), 3 * BLOCK, 0), 0);
	assert_int_equal(dev_write(&thin->dev, buf, sizeof(buf), 7 * BLOCK + 100, 0), 0);
	assert_int_equal(dev_extents(&thin->dev, 0, 10 * BLOCK, ext_fn, &x), 0);
	assert_int_equal(x.n, 5);
	assert_true(x.off[0] == 0 && x.len[0] == 2 * BLOCK &&
		    x.flags[0] == (DEV_EXT_HOLE | DEV_EXT_ZERO));
	assert_true(x.off[1] == 2 * BLOCK && x.len[1] == 2 * BLOCK && x.flags[1] == 0);
	assert_true(x.off[2] == 4 * BLOCK && x.len[2] == 3 * BLOCK && x.flags[2] == 3);
	assert_true(x.off[3] == 7 * BLOCK && x.len[3] == BLOCK && x.flags[3] == 0);
	assert_true(x.off[4] == 8 * BLOCK && x.len[4] == 2 * BLOCK && x.flags[4] == 3);
	dev_put(&thin->dev);
	dev_put(&pool->dev);
}

static void test_external_origin(void **state)
{
	struct fixture *f = *state;
	const char *opath = tmp_file(&f->tmp, 3 * BLOCK + 4096);
	struct mapped_device *pool = make_pool(f, NULL), *thin;
	char *obuf = malloc(3 * BLOCK + 4096), *rd = malloc(5 * BLOCK);
	struct dev_direct io;
	struct dev *o;
	char w[512];

	fill(obuf, 3 * BLOCK + 4096, 5);
	assert_int_equal(dev_open_file(opath, 0, &o), 0);
	assert_int_equal(dev_write(o, obuf, 3 * BLOCK + 4096, 0, 0), 0);
	dev_put(o);
	msg(f->ctx, "pool", "create_thin 4", 0);
	thin = make_thin(f, "thin4", 4, 5 * BLOCK_SECTORS, opath);
	char *want = strf("0 640 thin /dev/mapper/pool 4 %s\n", opath);
	check_status(thin, STATUSTYPE_TABLE, want);
	free(want);
	assert_int_equal(dev_read(&thin->dev, rd, 5 * BLOCK, 0), 0);
	assert_memory_equal(rd, obuf, 3 * BLOCK + 4096);
	assert_true(all_zero(rd + 3 * BLOCK + 4096, 2 * BLOCK - 4096));
	/* Unmapped blocks read on the caller's pipe come from the origin,
	 * up to its end (past it: zeroes, not the origin's) */
	assert_int_equal(dev_direct_begin(&thin->dev, NULL, 2 * BLOCK, 100, DEV_DIRECT_SPLICE, &io), 0);
	assert_int_equal(io.off, 100);
	assert_int_equal(pread(io.fd, rd, 2 * BLOCK, (off_t)io.off), 2 * BLOCK);
	assert_memory_equal(rd, obuf + 100, 2 * BLOCK);
	dev_direct_end(&io, 0);
	assert_int_equal(dev_direct_begin(&thin->dev, NULL, 8192, 3 * BLOCK, DEV_DIRECT_SPLICE, &io), -ENOTSUP);
	/* A partial write over the origin copies the rest of the block. */
	memset(w, 0x5a, sizeof(w));
	assert_int_equal(dev_write(&thin->dev, w, sizeof(w), BLOCK + 1024, 0), 0);
	assert_int_equal(dev_write(&thin->dev, w, sizeof(w), 3 * BLOCK + 8192, 0), 0);
	memcpy(obuf + BLOCK + 1024, w, sizeof(w));
	assert_int_equal(dev_read(&thin->dev, rd, 5 * BLOCK, 0), 0);
	assert_memory_equal(rd, obuf, 3 * BLOCK + 4096);
	assert_true(all_zero(rd + 3 * BLOCK + 4096, 4096));
	assert_memory_equal(rd + 3 * BLOCK + 8192, w, sizeof(w));
	/* block 1 is mapped now: not with the origin's blocks around it */
	assert_int_equal(dev_direct_begin(&thin->dev, NULL, 2 * BLOCK, 0, DEV_DIRECT_SPLICE, &io), -ENOTSUP);
	assert_int_equal(dev_direct_begin(&thin->dev, NULL, 2 * BLOCK, BLOCK, DEV_DIRECT_SPLICE, &io), -ENOTSUP);
	assert_int_equal(dev_direct_begin(&thin->dev, NULL, 512, BLOCK + 1024, DEV_DIRECT_SPLICE, &io), 0);
	assert_int_equal(pread(io.fd, rd, 512, (off_t)io.off), 512);
	assert_memory_equal(rd, w, 512);
	dev_direct_end(&io, 0);
	/* no write goes to the origin */
	assert_int_equal(dev_direct_begin(&thin->dev, NULL, BLOCK, 2 * BLOCK, DEV_DIRECT_SPLICE | DEV_DIRECT_WRITE, &io),
			 -ENOTSUP);
	dev_put(&thin->dev);
	dev_put(&pool->dev);
	free(obuf);
	free(rd);
}

static void test_reopen(void **state)
{
	struct fixture *f = *state;
	struct mapped_device *pool = make_pool(f, NULL), *thin;
	char buf[4096], rd[4096];

	msg(f->ctx, "pool", "create_thin 9", 0);
	thin = make_thin(f, "thin9", 9, 64 * BLOCK_SECTORS, NULL);
	fill(buf, sizeof(buf), 3);
	assert_int_equal(dev_write(&thin->dev, buf, sizeof(buf), 33 * BLOCK, 0), 0);
	assert_int_equal(dev_flush(&thin->dev), 0);
	dev_put(&thin->dev);
	dev_put(&pool->dev);
	assert_int_equal(dm_remove(f->ctx, "thin9", 0, NULL), 0);
	assert_int_equal(dm_remove(f->ctx, "pool", 0, NULL), 0);

	pool = make_pool(f, NULL);
	thin = make_thin(f, "thin9", 9, 64 * BLOCK_SECTORS, NULL);
	assert_int_equal(dev_read(&thin->dev, rd, sizeof(rd), 33 * BLOCK), 0);
	assert_memory_equal(rd, buf, sizeof(buf));
	dev_put(&thin->dev);
	dev_put(&pool->dev);
}

/* Whole-block runs are provisioned in batches (thin.c write_batch): a
 * 16-block write over new blocks with one mapped block and one shared
 * with a snapshot in the middle, and a run that meets the end of the data
 * space part way; every byte reads back, the snapshot keeps its data. */
static void test_batch_provision(void **state)
{
	struct fixture *f = *state;
	struct mapped_device *pool = make_pool(f, "1 error_if_no_space"), *thin, *snap;
	size_t n = 16 * BLOCK;
	char *buf = malloc(n), *rd = malloc(n), *old = malloc(BLOCK);
	struct dev *d;

	assert_non_null(buf);
	assert_non_null(rd);
	assert_non_null(old);
	msg(f->ctx, "pool", "create_thin 0", 0);
	thin = make_thin(f, "thin0", 0, 100 * BLOCK_SECTORS, NULL);
	d = &thin->dev;
	/* block 9 shared with a snapshot, block 5 mapped after it (not shared) */
	fill(old, BLOCK, 3);
	assert_int_equal(dev_write(d, old, 512, 9 * BLOCK + 4096, 0), 0);
	assert_int_equal(dm_suspend(f->ctx, "thin0", 0, NULL), 0);
	msg(f->ctx, "pool", "create_snap 1 0", 0);
	assert_int_equal(dm_resume(f->ctx, "thin0", NULL), 0);
	snap = make_thin(f, "snap1", 1, 100 * BLOCK_SECTORS, NULL);
	assert_int_equal(dev_write(d, old, BLOCK, 5 * BLOCK, 0), 0);
	fill(buf, n, 4);
	assert_int_equal(dev_write(d, buf, n, 0, 0), 0);
	assert_int_equal(dev_read(d, rd, n, 0), 0);
	assert_memory_equal(rd, buf, n);
	assert_int_equal(dev_read(&snap->dev, rd, BLOCK, 9 * BLOCK), 0);
	assert_true(all_zero(rd, 4096));
	assert_memory_equal(rd + 4096, old, 512);
	assert_int_equal(dev_read(&snap->dev, rd, BLOCK, 5 * BLOCK), 0);
	assert_true(all_zero(rd, BLOCK));
	/* 2 blocks before; 14 new and the copy of block 9 */
	char *st = format_md(pool, STATUSTYPE_INFO);
	if (!strstr(st, " 17/64 "))
		fail_msg("pool status: %s, want 17/64 data blocks", st);
	free(st);
	/* Two more runs leave 15 free: a run of 16 maps 15, then ENOSPC. */
	fill(buf, n, 5);
	for (unsigned i = 0; i < 2; i++)
		assert_int_equal(dev_write(d, buf, n, (uint64_t)(20 + 16 * i) * BLOCK, 0), 0);
	assert_int_equal(dev_write(d, buf, n, 60 * BLOCK, 0), -ENOSPC);
	assert_int_equal(dev_read(d, rd, 15 * BLOCK, 60 * BLOCK), 0);
	assert_memory_equal(rd, buf, 15 * BLOCK);
	assert_int_equal(dev_read(d, rd, BLOCK, 75 * BLOCK), 0);
	assert_true(all_zero(rd, BLOCK));
	dev_put(&snap->dev);
	dev_put(&thin->dev);
	dev_put(&pool->dev);
	free(buf);
	free(rd);
	free(old);
}

/* A read or write for the caller's own pipe or ring (dev_direct_begin, as
 * the NBD server splices): it lies whole in mapped blocks that follow each
 * other on the data file (a write: none shared, and for FUA nothing to
 * commit), or it is not given; while it is held, a discard of the block
 * waits (the block must not be freed and reused under it), and another
 * direct read says no rather than queue behind the discard. */
struct discard_job {
	struct dev *d;
	uint64_t off, len;
	atomic_bool done;
	int r;
};

static void *discard_thread(void *arg)
{
	struct discard_job *j = arg;

	j->r = dev_discard(j->d, j->off, j->len);
	atomic_store(&j->done, true);
	return NULL;
}

static void test_direct(void **state)
{
	struct fixture *f = *state;
	struct mapped_device *pool = make_pool(f, NULL), *thin;
	char *buf = malloc(4 * BLOCK), *rd = malloc(4 * BLOCK);
	struct discard_job job = { 0 };
	struct dev_direct io, io2;
	uint64_t off6, off7;
	bool early;
	ssize_t got;
	pthread_t th;
	struct dev *d;
	int r2;

	assert_non_null(buf);
	assert_non_null(rd);
	msg(f->ctx, "pool", "create_thin 0", 0);
	thin = make_thin(f, "thin0", 0, 100 * BLOCK_SECTORS, NULL);
	d = &thin->dev;
	fill(buf, 4 * BLOCK, 3);
	assert_int_equal(dev_write(d, buf, 4 * BLOCK, 0, 0), 0); /* blocks 0-3, in a row */
	/* across three mapped blocks, at an odd offset: where they are */
	assert_int_equal(dev_direct_begin(d, NULL, 2 * BLOCK + 100, 512 + 3, DEV_DIRECT_SPLICE, &io), 0);
	assert_int_equal(pread(io.fd, rd, 2 * BLOCK + 100, (off_t)io.off), 2 * BLOCK + 100);
	assert_memory_equal(rd, buf + 512 + 3, 2 * BLOCK + 100);
	dev_direct_end(&io, 0);
	/* into an unmapped block: no */
	assert_int_equal(dev_direct_begin(d, NULL, 2 * BLOCK, 3 * BLOCK, DEV_DIRECT_SPLICE, &io), -ENOTSUP);
	/* two blocks written in reverse order lie apart: each alone, not both */
	assert_int_equal(dev_write(d, buf, BLOCK, 7 * BLOCK, 0), 0);
	assert_int_equal(dev_write(d, buf, BLOCK, 6 * BLOCK, 0), 0);
	assert_int_equal(dev_direct_begin(d, NULL, BLOCK, 6 * BLOCK, DEV_DIRECT_SPLICE, &io), 0);
	off6 = io.off;
	dev_direct_end(&io, 0);
	assert_int_equal(dev_direct_begin(d, NULL, BLOCK, 7 * BLOCK, DEV_DIRECT_SPLICE, &io), 0);
	off7 = io.off;
	dev_direct_end(&io, 0);
	assert_true(off7 != off6 + BLOCK);
	assert_int_equal(dev_direct_begin(d, NULL, 2 * BLOCK, 6 * BLOCK, DEV_DIRECT_SPLICE, &io), -ENOTSUP);
	/* a read into a buffer, for a ring, the same */
	assert_int_equal(dev_direct_begin(d, rd, BLOCK, BLOCK, 0, &io), 0);
	assert_int_equal(io.off, BLOCK); /* vblock 1 is data block 1 */
	dev_direct_end(&io, 0);
	/* a write in place: where the read was */
	assert_int_equal(dev_direct_begin(d, NULL, BLOCK, BLOCK + 512, DEV_DIRECT_SPLICE | DEV_DIRECT_WRITE, &io), 0);
	assert_int_equal(io.off, BLOCK + 512);
	assert_int_equal(pwrite(io.fd, "in place", 8, (off_t)io.off), 8); /* the caller's move */
	dev_direct_end(&io, 0);
	assert_int_equal(dev_read(d, rd, 8, BLOCK + 512), 0);
	assert_memory_equal(rd, "in place", 8);
	memcpy(buf + BLOCK + 512, "in place", 8);
	/* not into an unmapped block: that provisions */
	assert_int_equal(dev_direct_begin(d, NULL, BLOCK, 4 * BLOCK, DEV_DIRECT_SPLICE | DEV_DIRECT_WRITE, &io),
			 -ENOTSUP);
	/* FUA: only once the pool has nothing to commit */
	assert_int_equal(dev_direct_begin(d, NULL, BLOCK, 0, DEV_DIRECT_WRITE | DEV_DIRECT_FUA | DEV_DIRECT_SPLICE, &io),
			 -ENOTSUP);
	assert_int_equal(dev_flush(d), 0);
	assert_int_equal(dev_direct_begin(d, NULL, BLOCK, 0, DEV_DIRECT_WRITE | DEV_DIRECT_FUA | DEV_DIRECT_SPLICE, &io),
			 0);
	dev_direct_end(&io, 0);
	/* a snapshot shares the blocks: reads still go, writes copy first */
	assert_int_equal(dm_suspend(f->ctx, "thin0", 0, NULL), 0);
	msg(f->ctx, "pool", "create_snap 1 0", 0);
	assert_int_equal(dm_resume(f->ctx, "thin0", NULL), 0);
	assert_int_equal(dev_direct_begin(d, NULL, BLOCK, 0, DEV_DIRECT_SPLICE | DEV_DIRECT_WRITE, &io), -ENOTSUP);
	assert_int_equal(dev_direct_begin(d, NULL, BLOCK, 0, DEV_DIRECT_SPLICE, &io), 0);
	dev_direct_end(&io, 0);
	assert_int_equal(dev_write(d, buf, BLOCK, 0, 0), 0); /* block 0 is ours again */
	assert_int_equal(dev_direct_begin(d, NULL, BLOCK, 0, DEV_DIRECT_SPLICE | DEV_DIRECT_WRITE, &io), 0);
	dev_direct_end(&io, 0);
	msg(f->ctx, "pool", "delete 1", 0);

	/* held: a discard of the block waits for the end */
	assert_int_equal(dev_direct_begin(d, NULL, BLOCK, 0, DEV_DIRECT_SPLICE, &io), 0);
	job.d = d;
	job.len = 2 * BLOCK;
	assert_int_equal(pthread_create(&th, NULL, discard_thread, &job), 0);
	usleep(100 * 1000);
	early = atomic_load(&job.done);
	/* with the discard waiting, another direct read does not queue */
	r2 = dev_direct_begin(d, NULL, BLOCK, BLOCK, DEV_DIRECT_SPLICE, &io2);
	if (!r2)
		dev_direct_end(&io2, 0);
	got = pread(io.fd, rd, BLOCK, (off_t)io.off);
	dev_direct_end(&io, 0); /* before any assert: a failed one must not leave it held */
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_false(early);
	assert_int_equal(r2, -ENOTSUP);
	assert_int_equal(got, BLOCK);
	assert_memory_equal(rd, buf, BLOCK);
	assert_true(atomic_load(&job.done));
	assert_int_equal(job.r, 0);
	assert_int_equal(dev_direct_begin(d, NULL, BLOCK, 0, DEV_DIRECT_SPLICE, &io), -ENOTSUP);
	assert_int_equal(dev_read(d, rd, 2 * BLOCK, 0), 0);
	assert_true(all_zero(rd, 2 * BLOCK));
	/* a cancel lets go too: the next discard does not wait */
	assert_int_equal(dev_direct_begin(d, NULL, BLOCK, 2 * BLOCK, DEV_DIRECT_SPLICE, &io), 0);
	dev_direct_cancel(&io);
	assert_int_equal(dev_discard(d, 2 * BLOCK, 2 * BLOCK), 0);
	pthread_mutex_lock(&thin->lock);
	assert_int_equal(thin->inflight, 0);
	pthread_mutex_unlock(&thin->lock);

	dev_put(&thin->dev);
	dev_put(&pool->dev);
	free(buf);
	free(rd);
}

static void test_no_space(void **state)
{
	struct fixture *f = *state;
	struct mapped_device *pool = make_pool(f, "1 error_if_no_space"), *thin;
	char buf[512] = { 7 };
	uint64_t i;
	int r = 0;

	msg(f->ctx, "pool", "create_thin 1", 0);
	thin = make_thin(f, "thin1", 1, 200 * BLOCK_SECTORS, NULL);
	for (i = 0; i < 200 && !r; i++)
		r = dev_write(&thin->dev, buf, sizeof(buf), i * BLOCK, 0);
	assert_int_equal(r, -ENOSPC);
	assert_int_equal(i, DATA_BLOCKS + 1);
	char *s = format_md(pool, STATUSTYPE_INFO);
	assert_non_null(strstr(s, " 64/64 - out_of_data_space "));
	free(s);
	/* Overwrites of mapped blocks still work. */
	assert_int_equal(dev_write(&thin->dev, buf, sizeof(buf), 3 * BLOCK, 0), 0);
	/* Discarding frees blocks for new writes after the commit. */
	assert_int_equal(dev_discard(&thin->dev, 0, 2 * BLOCK), 0);
	assert_int_equal(dev_write(&thin->dev, buf, sizeof(buf), 150 * BLOCK, 0), 0);
	dev_put(&thin->dev);
	dev_put(&pool->dev);
}

static void test_no_space_queue(void **state)
{
	struct fixture *f = *state;
	struct mapped_device *pool, *thin;
	struct err e = { { 0 } };
	char buf[512] = { 7 };
	int r = 0;

	/* the target parameter, as ulvmd --thin-no-space-timeout 1 sets it */
	assert_int_equal(dm_context_set_param(f->ctx, "thin-pool", "no_space_timeout", 1, &e), 0);
	assert_int_equal(dm_context_set_param(f->ctx, "thin-pool", "no_space_timeout", 86401, &e), -ERANGE);
	assert_int_equal(dm_context_set_param(f->ctx, "thin-pool", "nonesuch", 1, &e), -ENOENT);
	pool = make_pool(f, NULL);
	msg(f->ctx, "pool", "create_thin 1", 0);
	thin = make_thin(f, "thin1", 1, 200 * BLOCK_SECTORS, NULL);
	for (uint64_t i = 0; i < 200 && !r; i++)
		r = dev_write(&thin->dev, buf, sizeof(buf), i * BLOCK, 0);
	assert_int_equal(r, -ENOSPC);
	char *s = format_md(pool, STATUSTYPE_INFO);
	assert_non_null(strstr(s, " out_of_data_space discard_passdown queue_if_no_space "));
	free(s);
	dev_put(&thin->dev);
	dev_put(&pool->dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_table_and_status, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_io_snapshots, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extents, setup, teardown),
		cmocka_unit_test_setup_teardown(test_external_origin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_provision, setup, teardown),
		cmocka_unit_test_setup_teardown(test_direct, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_space, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_space_queue, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
