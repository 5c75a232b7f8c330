/* Transaction manager (src/pdata/transaction_manager.c): a block is
 * shadowed once per transaction, a committed block is never written in
 * place, a shared block's copy reports inc_children, and nothing but the
 * superblock is written in place across commits. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pdata/btree.h"

#define NR_BLOCKS 1024

static const struct bm_validator v_test = {
	.name = "test block",
	.salt = 7,
	.prepare = bm_prepare_std,
	.check = bm_check_std,
};

struct env {
	struct dev *dev;
	struct bm *bm;
	struct tm *tm;
	struct sm *sm;
};

static void env_new(struct env *v)
{
	assert_int_equal(dev_new_memory((uint64_t)NR_BLOCKS * BM_BLOCK_SIZE, &v->dev), 0);
	assert_int_equal(bm_create(v->dev, 0, &v->bm), 0);
	assert_int_equal(tm_create(v->bm, &v->tm), 0);
	assert_int_equal(sm_metadata_create(v->tm, NR_BLOCKS, &v->sm), 0);
}

static void env_commit(struct env *v)
{
	struct bm_block *b;

	assert_int_equal(tm_pre_commit(v->tm), 0);
	assert_int_equal(tm_lock_super(v->tm, &v_test, &b), 0);
	assert_int_equal(tm_commit(v->tm, b), 0);
}

static void env_free(struct env *v)
{
	tm_destroy(v->tm);
	bm_destroy(v->bm);
	dev_put(v->dev);
}

static void test_shadow_once(void **state)
{
	struct env v;
	struct bm_block *b;
	uint64_t a, s1, s2;
	bool inc;
	uint32_t c;

	(void)state;
	env_new(&v);
	assert_int_equal(tm_new_block(v.tm, &v_test, &b), 0);
	a = bm_block_nr(b);
	bm_block_data(b)[100] = 42;
	tm_unlock(v.tm, b);
	/* new in this transaction: shadowing gives the block itself */
	assert_int_equal(tm_shadow_block(v.tm, a, &v_test, &b, &inc), 0);
	assert_int_equal(bm_block_nr(b), a);
	assert_false(inc);
	tm_unlock(v.tm, b);
	env_commit(&v);

	/* committed: the first shadow moves it, the second stays there */
	assert_int_equal(tm_shadow_block(v.tm, a, &v_test, &b, &inc), 0);
	s1 = bm_block_nr(b);
	assert_int_not_equal(s1, a);
	assert_int_equal(bm_block_data(b)[100], 42);
	bm_block_data(b)[100] = 43;
	tm_unlock(v.tm, b);
	assert_int_equal(tm_ref(v.tm, a, &c), 0);
	assert_int_equal(c, 0);
	assert_int_equal(tm_shadow_block(v.tm, s1, &v_test, &b, &inc), 0);
	assert_int_equal(bm_block_nr(b), s1);
	tm_unlock(v.tm, b);
	env_commit(&v);

	/* shared (count 2): copied, and the copy must inc its children */
	assert_int_equal(tm_inc(v.tm, s1), 0);
	assert_int_equal(tm_shadow_block(v.tm, s1, &v_test, &b, &inc), 0);
	s2 = bm_block_nr(b);
	assert_true(inc);
	assert_int_not_equal(s2, s1);
	tm_unlock(v.tm, b);
	assert_int_equal(tm_ref(v.tm, s1, &c), 0);
	assert_int_equal(c, 1);
	/* a block freed in this transaction is not reused in it */
	assert_int_equal(tm_dec(v.tm, s1), 0);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(tm_new_block(v.tm, &v_test, &b), 0);
		assert_int_not_equal(bm_block_nr(b), s1);
		assert_int_not_equal(bm_block_nr(b), a);
		tm_unlock(v.tm, b);
	}
	/* shadowing a free block is an error, not a silent copy */
	assert_int_equal(tm_shadow_block(v.tm, NR_BLOCKS - 1, &v_test, &b, &inc), -EUCLEAN);
	env_free(&v);
}

/* Across commits, only block 0 is ever overwritten: keep a copy of the
 * device after each commit and compare the blocks the committed state
 * used. */
static void test_no_overwrite(void **state)
{
	struct env v;
	struct btree_info info;
	uint8_t *before = malloc((size_t)NR_BLOCKS * BM_BLOCK_SIZE);
	uint8_t *after = malloc((size_t)NR_BLOCKS * BM_BLOCK_SIZE);
	uint32_t *count = calloc(NR_BLOCKS, sizeof(*count));
	uint8_t val[8] = { 0 };
	uint64_t root;
	unsigned seed = 5;

	(void)state;
	env_new(&v);
	info = (struct btree_info){ .tm = v.tm, .vt = { .size = 8 } };
	assert_int_equal(btree_empty(&info, &root), 0);
	env_commit(&v);
	for (int round = 0; round < 20; round++) {
		assert_int_equal(dev_read(v.dev, before, (size_t)NR_BLOCKS * BM_BLOCK_SIZE, 0), 0);
		for (uint64_t b = 0; b < NR_BLOCKS; b++)
			assert_int_equal(tm_ref(v.tm, b, &count[b]), 0);
		for (int i = 0; i < 300; i++) {
			uint64_t k = (uint64_t)rand_r(&seed) % 5000;

			if (rand_r(&seed) % 4) {
				val[0] = (uint8_t)i;
				assert_int_equal(btree_insert(&info, root, k, val, &root, NULL), 0);
			} else {
				int r = btree_remove(&info, root, k, &root);

				assert_true(r == 0 || r == -ENODATA);
			}
		}
		assert_int_equal(tm_pre_commit(v.tm), 0);
		/* before the superblock: every block in use at the last commit
		 * is byte for byte what it was */
		assert_int_equal(dev_read(v.dev, after, (size_t)NR_BLOCKS * BM_BLOCK_SIZE, 0), 0);
		for (uint64_t b = 0; b < NR_BLOCKS; b++)
			if (count[b] && memcmp(before + b * BM_BLOCK_SIZE, after + b * BM_BLOCK_SIZE,
					       BM_BLOCK_SIZE))
				fail_msg("round %d: committed block %llu was overwritten", round,
					 (unsigned long long)b);
		{
			struct bm_block *sb;

			assert_int_equal(tm_lock_super(v.tm, &v_test, &sb), 0);
			assert_int_equal(tm_commit(v.tm, sb), 0);
		}
	}
	free(before);
	free(after);
	free(count);
	env_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shadow_once),
		cmocka_unit_test(test_no_overwrite),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
