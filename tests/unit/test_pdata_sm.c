/* Space maps (src/pdata/sm_*.c) on a memory device: counts above 2 go to
 * the overflow tree and come back, blocks freed in a transaction are not
 * reused before the commit, the metadata space map reloads from its root
 * with the same counts, and the disk space map spans several bitmaps. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/crc32c.h"
#include "pdata/btree.h"
#include "pdata/sm_format.h"

#define NR_META_BLOCKS 40000   /* three metadata bitmaps */

struct env {
	struct dev *dev;
	struct bm *bm;
	struct tm *tm;
	struct sm *msm;
};

static const struct bm_validator test_sb_validator = {
	.name = "test superblock",
	.salt = 4242,
	.prepare = bm_prepare_std,
	.check = bm_check_std,
};

static void env_new(struct env *v)
{
	assert_int_equal(dev_new_memory((uint64_t)NR_META_BLOCKS * BM_BLOCK_SIZE, &v->dev), 0);
	assert_int_equal(bm_create(v->dev, 0, &v->bm), 0);
	assert_int_equal(tm_create(v->bm, &v->tm), 0);
	assert_int_equal(sm_metadata_create(v->tm, NR_META_BLOCKS, &v->msm), 0);
}

static void env_commit(struct env *v)
{
	struct bm_block *b;

	assert_int_equal(tm_pre_commit(v->tm), 0);
	assert_int_equal(tm_lock_super(v->tm, &test_sb_validator, &b), 0);
	assert_int_equal(tm_commit(v->tm, b), 0);
}

static void env_free(struct env *v)
{
	tm_destroy(v->tm);
	bm_destroy(v->bm);
	dev_put(v->dev);
}

static void test_bitmap_bits(void **state)
{
	uint8_t blk[BM_BLOCK_SIZE] = { 0 };

	(void)state;
	/* count 1 is 0b10 in the pair: four of them make 0xAA */
	for (uint32_t i = 0; i < 4; i++)
		sm_bitmap_set(blk, i, 1);
	assert_int_equal(blk[SM_HEADER_SIZE], 0xAA);
	sm_bitmap_set(blk, 10, 2);
	sm_bitmap_set(blk, 11, 2);
	sm_bitmap_set(blk, 12, 2);
	assert_int_equal(blk[SM_HEADER_SIZE + 2], 0x50);
	assert_int_equal(blk[SM_HEADER_SIZE + 3], 0x01);
	assert_int_equal(sm_bitmap_get(blk, 12), 2);
	sm_bitmap_set(blk, 13, 3);
	assert_int_equal(sm_bitmap_get(blk, 13), 3);
	assert_int_equal(sm_bitmap_get(blk, 14), 0);
	/* checksum of an all-zero bitmap (refs/DM-FORMATS.md 1.1) */
	memset(blk, 0, sizeof(blk));
	assert_int_equal(bm_checksum(blk, SM_BITMAP_CSUM_XOR), 0x58CE0B1A);
	assert_int_equal(bm_checksum(blk, SM_INDEX_CSUM_XOR), 0x58CFD54F);
	assert_int_equal(bm_checksum(blk, BTREE_CSUM_XOR), 0x58CC7E82);
	assert_int_equal(bm_checksum(blk, 160774), 0x58CFD397);   /* thin superblock */
	/* the raw kernel crc32c: seed ~0, no final inversion */
	assert_int_equal(crc32c(~0u, "123456789", 9), 0x1CF96D7C);
	assert_int_equal(crc32c(~0u, blk + 4, sizeof(blk) - 4), 0x58CDA791);
}

static void exercise(struct sm *sm, struct env *v, uint64_t nr, bool metadata)
{
	uint32_t *ref = calloc(nr, sizeof(*ref));
	unsigned seed = 99;
	uint32_t c;

	/* counts of blocks we manage by hand: a stripe above the ones the
	 * metadata space map needs for itself */
	uint64_t lo = metadata ? nr / 2 : 0;

	for (int i = 0; i < 20000; i++) {
		uint64_t b = lo + (uint64_t)rand_r(&seed) % (nr - lo);

		if (rand_r(&seed) % 3 || !ref[b]) {
			assert_int_equal(sm_inc(sm, b), 0);
			ref[b]++;
		} else {
			assert_int_equal(sm_dec(sm, b), 0);
			ref[b]--;
		}
		if (i % 5000 == 4999) {
			assert_int_equal(sm_commit(sm), metadata ? 0 : 0);
			env_commit(v);
		}
	}
	for (uint64_t b = lo; b < nr; b++) {
		assert_int_equal(sm_get_count(sm, b, &c), 0);
		assert_int_equal(c, ref[b]);
	}
	/* overflow: a count of 1000 and back */
	for (int i = 0; i < 1000; i++)
		assert_int_equal(sm_inc(sm, nr - 1), 0);
	assert_int_equal(sm_get_count(sm, nr - 1, &c), 0);
	assert_int_equal(c, ref[nr - 1] + 1000);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(sm_dec(sm, nr - 1), 0);
	assert_int_equal(sm_get_count(sm, nr - 1, &c), 0);
	assert_int_equal(c, ref[nr - 1]);
	assert_int_equal(sm_dec(sm, nr), -ERANGE);
	free(ref);
}

static void test_disk_sm(void **state)
{
	struct env v;
	struct sm *sm;
	uint64_t b, first;
	uint8_t root[SM_ROOT_SIZE];

	(void)state;
	env_new(&v);
	assert_int_equal(sm_disk_create(v.tm, &sm), 0);
	assert_int_equal(sm_extend(sm, 40000), 0);     /* three bitmaps */
	assert_int_equal(sm_nr_free(sm), 40000);
	exercise(sm, &v, 40000, false);

	/* allocation skips blocks freed in this transaction */
	assert_int_equal(sm_commit(sm), 0);
	env_commit(&v);
	assert_int_equal(sm_new_block(sm, &first), 0);
	assert_int_equal(sm_commit(sm), 0);
	env_commit(&v);
	assert_int_equal(sm_dec(sm, first), 0);
	assert_int_equal(sm_new_block(sm, &b), 0);
	assert_int_not_equal(b, first);
	assert_int_equal(sm_commit(sm), 0);
	env_commit(&v);
	assert_int_equal(sm_new_block(sm, &b), 0);
	assert_true(b <= first);

	/* reopen from the root: the same counts */
	sm_copy_root(sm, root);
	sm_destroy(sm);
	assert_int_equal(sm_disk_open(v.tm, root, &sm), 0);
	assert_int_equal(sm_nr_blocks(sm), 40000);
	{
		uint32_t c;

		assert_int_equal(sm_get_count(sm, b, &c), 0);
		assert_int_equal(c, 1);
	}
	/* all allocated: ENOSPC */
	{
		uint64_t n = 0;
		int r;

		assert_int_equal(sm_commit(sm), 0);
		while ((r = sm_new_block(sm, &b)) == 0)
			n++;
		assert_int_equal(r, -ENOSPC);
		assert_int_equal(sm_nr_free(sm), 0);
		(void)n;
	}
	sm_destroy(sm);
	env_free(&v);
}

static void test_metadata_sm_reload(void **state)
{
	struct env v;
	struct sm *sm2;
	struct tm *tm2;
	struct bm *bm2;
	uint8_t root[SM_ROOT_SIZE];
	uint32_t c1, c2;

	(void)state;
	env_new(&v);
	exercise(v.msm, &v, NR_META_BLOCKS, true);
	for (int i = 0; i < 5; i++)
		assert_int_equal(sm_inc(v.msm, NR_META_BLOCKS - 7), 0);
	env_commit(&v);
	sm_copy_root(v.msm, root);

	assert_int_equal(bm_create(v.dev, 0, &bm2), 0);
	assert_int_equal(tm_create(bm2, &tm2), 0);
	assert_int_equal(sm_metadata_open(tm2, root, &sm2), 0);
	assert_int_equal(sm_nr_free(sm2), sm_nr_free(v.msm));
	for (uint64_t b = 0; b < NR_META_BLOCKS; b++) {
		assert_int_equal(sm_get_count(v.msm, b, &c1), 0);
		assert_int_equal(sm_get_count(sm2, b, &c2), 0);
		if (c1 != c2)
			fail_msg("block %llu: %u after reload, %u before", (unsigned long long)b, c2, c1);
	}
	tm_destroy(tm2);
	bm_destroy(bm2);
	env_free(&v);
}

/* A metadata block freed in this transaction is not handed out again
 * before the commit: the committed superblock may still point at it. */
static void test_metadata_no_reuse(void **state)
{
	struct env v;
	uint64_t a, b;

	(void)state;
	env_new(&v);
	env_commit(&v);
	assert_int_equal(sm_new_block(v.msm, &a), 0);
	env_commit(&v);
	assert_int_equal(sm_dec(v.msm, a), 0);
	assert_int_equal(sm_new_block(v.msm, &b), 0);
	assert_int_not_equal(a, b);
	assert_int_equal(sm_dec(v.msm, a), -EUCLEAN);   /* already free */
	env_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bitmap_bits),
		cmocka_unit_test(test_disk_sm),
		cmocka_unit_test(test_metadata_sm_reload),
		cmocka_unit_test(test_metadata_no_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
