/* The raid target's geometry and on-disk codecs.
 *
 * Layouts: raid10 near, far and offset against the pictures of md(4) and
 * dm-raid.rst (RAID.md's worked examples: which array chunk sits in each
 * device's chunk rows), and for many device and copy counts against the
 * structure every md layout has: copies on distinct devices, inside the
 * used device size, no two chunks in one place, pieces that stay
 * contiguous for the run map reports.  Codecs: the dm-raid superblock and
 * the bitmap superblock round-trip field by field, and what the kernel
 * would refuse is refused.
 */
#include "unit.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "targets/raid/raid_format.h"
#include "targets/raid/raid_level.h"

#define CH 128 /* chunk, sectors */

static void geom(const struct raid_level *l, struct raid_geom *g, unsigned ndevs, uint64_t array,
		 unsigned copies, enum raid10_format f)
{
	struct raid_params p = { .chunk = CH, .copies = copies, .format = f };
	const char *why = NULL;

	memset(g, 0, sizeof(*g));
	g->ndevs = ndevs;
	g->array_sectors = array;
	assert_int_equal(l->setup(g, &p, &why), 0);
}

/* rows[r][d]: the array chunk at row r of device d (each picture has
 * every chunk's copies). */
static void picture(enum raid10_format f, unsigned ndevs, unsigned nrows_shown, const int rows[][4],
		    uint64_t stride_row)
{
	struct raid_geom g;
	struct raid_copy c[8];
	uint64_t run;
	/* 2 copies; far: an array whose far copies start stride_row rows down */
	uint64_t array = f == RAID10_FAR ? stride_row * ndevs * CH : (uint64_t)nrows_shown * ndevs / 2 * CH;
	geom(&raid_level_raid10, &g, ndevs, array, 2, f);
	if (f == RAID10_FAR)
		assert_int_equal(g.stride, stride_row * CH);
	for (unsigned r = 0; r < nrows_shown; r++) {
		for (unsigned d = 0; d < ndevs; d++) {
			int a = rows[r][d];
			unsigned n = raid_level_raid10.map(&g, (uint64_t)a * CH, c, &run), hit = 0;
			uint64_t row = (f == RAID10_FAR && r >= 2) ? stride_row + (r - 2) : r;

			assert_int_equal(n, 2);
			assert_int_equal(run, CH);
			for (unsigned k = 0; k < n; k++)
				hit += c[k].dev == d && c[k].sector == row * CH;
			if (!hit)
				fail_msg("chunk A%d is not at device %u row %" PRIu64, a, d, row);
		}
	}
}

static void test_pictures(void **state)
{
	/* near, 2 copies, 4 devices (LVM raid10) */
	static const int near4[3][4] = { { 0, 0, 1, 1 }, { 2, 2, 3, 3 }, { 4, 4, 5, 5 } };
	/* near, 2 copies, 3 devices */
	static const int near3[3][4] = { { 0, 0, 1 }, { 1, 2, 2 }, { 3, 3, 4 } };
	/* dm-raid far (far sets), 2 copies, 4 devices: rows 0, 1, stride, stride+1 */
	static const int far4[4][4] = { { 0, 1, 2, 3 }, { 4, 5, 6, 7 }, { 1, 0, 3, 2 }, { 5, 4, 7, 6 } };
	/* dm-raid offset, 2 copies, 4 devices */
	static const int off4[4][4] = { { 0, 1, 2, 3 }, { 1, 0, 3, 2 }, { 4, 5, 6, 7 }, { 5, 4, 7, 6 } };

	(void)state;
	picture(RAID10_NEAR, 4, 3, near4, 0);
	picture(RAID10_NEAR, 3, 2, near3, 0);
	picture(RAID10_FAR, 4, 4, far4, 4);
	picture(RAID10_OFFSET, 4, 4, off4, 0);
}

static void structure(const struct raid_level *l, unsigned ndevs, unsigned copies, enum raid10_format f)
{
	struct raid_geom g;
	struct raid_copy c[8];
	uint64_t array = (uint64_t)ndevs * copies * 8 * CH, run;
	unsigned char *used;
	uint64_t rows;

	geom(l, &g, ndevs, array, copies, f);
	rows = g.dev_sectors / CH;
	used = calloc(rows * ndevs, 1);
	assert_non_null(used);
	for (uint64_t a = 0; a < array / CH; a++) {
		unsigned n = l->map(&g, a * CH, c, &run);

		assert_int_equal(n, copies);
		for (unsigned k = 0; k < n; k++) {
			assert_true(c[k].dev < ndevs);
			assert_true(c[k].sector % CH == 0 && c[k].sector < g.dev_sectors);
			for (unsigned j = 0; j < k; j++)
				assert_true(c[j].dev != c[k].dev);
			assert_false(used[c[k].sector / CH * ndevs + c[k].dev]);
			used[c[k].sector / CH * ndevs + c[k].dev] = 1;
		}
		/* inside the chunk, every copy moves with the array sector */
		for (uint64_t in = 1; in < CH; in += 37) {
			struct raid_copy d[8];

			l->map(&g, a * CH + in, d, &run);
			assert_int_equal(run, CH - in);
			for (unsigned k = 0; k < n; k++)
				assert_true(d[k].dev == c[k].dev && d[k].sector == c[k].sector + in);
		}
	}
	free(used);
}

static void test_structure(void **state)
{
	(void)state;
	for (unsigned n = 2; n <= 6; n++)
		for (unsigned copies = 2; copies <= 3 && copies <= n; copies++) {
			structure(&raid_level_raid10, n, copies, RAID10_NEAR);
			if (n % copies == 0) { /* far sets need whole sets in these sizes */
				structure(&raid_level_raid10, n, copies, RAID10_FAR);
				structure(&raid_level_raid10, n, copies, RAID10_OFFSET);
			}
		}
}

static void test_layout_words(void **state)
{
	struct raid_geom g;

	(void)state;
	geom(&raid_level_raid10, &g, 4, 8 * CH * 4, 2, RAID10_NEAR);
	assert_int_equal(g.md_layout, 0x102);
	geom(&raid_level_raid10, &g, 4, 8 * CH * 4, 2, RAID10_FAR);
	assert_int_equal(g.md_layout, 0x40201);
	geom(&raid_level_raid10, &g, 4, 8 * CH * 4, 2, RAID10_OFFSET);
	assert_int_equal(g.md_layout, 0x50201);
}

static void test_raid1_raid0(void **state)
{
	struct raid_geom g;
	struct raid_copy c[8];
	uint64_t run;

	(void)state;
	geom(&raid_level_raid1, &g, 3, 1000, 0, RAID10_NEAR);
	assert_int_equal(raid_level_raid1.map(&g, 77, c, &run), 3);
	assert_int_equal(run, 1000 - 77);
	for (unsigned i = 0; i < 3; i++)
		assert_true(c[i].dev == i && c[i].sector == 77);
	geom(&raid_level_raid0, &g, 3, 3 * 4 * CH, 0, RAID10_NEAR);
	assert_int_equal(raid_level_raid0.map(&g, 4 * CH + 5, c, &run), 1);
	assert_true(c[0].dev == 1 && c[0].sector == CH + 5 && run == CH - 5);
}

static void test_sb_codec(void **state)
{
	struct raid_sb a = {
		.compat_features = RAID_SB_V190, .num_devices = 3, .array_position = 2, .events = 99,
		.failed = { 5, 0, 1, UINT64_C(1) << 63 }, .disk_recovery_offset = 1234,
		.array_resync_offset = RAID_MAX_SECTOR, .level = 10, .layout = 0x102, .stripe_sectors = 128,
		.reshape_position = RAID_MAX_SECTOR, .new_level = 10, .new_layout = 0x102,
		.new_stripe_sectors = 128, .delta_disks = -1, .array_sectors = 1 << 20, .sectors = 1 << 19,
	}, b;
	struct raid_bitmap_sb x = { .version = 4, .events = 7, .events_cleared = 6, .sync_size = 1 << 20,
				    .chunksize = 1 << 20, .daemon_sleep = 5 }, y;
	uint8_t buf[RAID_SB_BLOCK];
	const char *why = NULL;

	(void)state;
	raid_sb_encode(buf, &a);
	assert_memory_equal(buf, "DmRd", 4);
	assert_int_equal(raid_sb_decode(buf, sizeof(buf), &b, &why), 0);
	assert_memory_equal(&a, &b, sizeof(a));
	buf[144] = 1; /* incompat_features */
	assert_int_equal(raid_sb_decode(buf, sizeof(buf), &b, &why), -EINVAL);
	buf[144] = 0;
	buf[4] = 3; /* compat_features */
	assert_int_equal(raid_sb_decode(buf, sizeof(buf), &b, &why), -EINVAL);
	buf[0] = 0;
	assert_int_equal(raid_sb_decode(buf, sizeof(buf), &b, &why), -ENODATA);
	raid_bitmap_sb_encode(buf, &x);
	assert_int_equal(raid_bitmap_sb_decode(buf, RAID_BITMAP_SB_SIZE, &y, &why), 0);
	assert_memory_equal(&x, &y, sizeof(x));
	buf[52] = 3; /* chunksize no longer a power of two */
	assert_int_equal(raid_bitmap_sb_decode(buf, RAID_BITMAP_SB_SIZE, &y, &why), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pictures),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_layout_words),
		cmocka_unit_test(test_raid1_raid0),
		cmocka_unit_test(test_sb_codec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
