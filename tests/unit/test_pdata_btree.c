/* src/pdata/btree.c on a memory device: random inserts and removes against
 * a reference array, with the fill rule (non-root nodes at least a third
 * full) and key order checked on every node; shared subtrees stay intact
 * when one sharer changes or goes away. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pdata/btree.h"
#include "common/le.h"

#define NR_META_BLOCKS 16384

struct env {
	struct dev *dev;
	struct bm *bm;
	struct tm *tm;
	struct sm *sm;
};

static void env_new(struct env *v, uint64_t cache_bytes)
{
	assert_int_equal(dev_new_memory((uint64_t)NR_META_BLOCKS * BM_BLOCK_SIZE, &v->dev), 0);
	assert_int_equal(bm_create(v->dev, cache_bytes, &v->bm), 0);
	assert_int_equal(tm_create(v->bm, &v->tm), 0);
	assert_int_equal(sm_metadata_create(v->tm, NR_META_BLOCKS, &v->sm), 0);
}

static void env_free(struct env *v)
{
	tm_destroy(v->tm);
	bm_destroy(v->bm);
	dev_put(v->dev);
}

static const struct bm_validator test_sb_validator = {
	.name = "test superblock",
	.salt = 4242,
	.prepare = bm_prepare_std,
	.check = bm_check_std,
};

static void env_commit(struct env *v)
{
	struct bm_block *b;

	assert_int_equal(tm_pre_commit(v->tm), 0);
	assert_int_equal(tm_lock_super(v->tm, &test_sb_validator, &b), 0);
	assert_int_equal(tm_commit(v->tm, b), 0);
}

struct fill_check {
	unsigned nodes;
	unsigned max_depth;
	unsigned leaf_depth;
	bool leaf_seen;
};

static int check_node(void *opaque, uint64_t block, unsigned depth, bool leaf, uint32_t nr,
		      uint32_t max)
{
	struct fill_check *c = opaque;

	(void)block;
	c->nodes++;
	if (depth > 0 && nr < max / 3)
		fail_msg("node %llu at depth %u has %u of %u entries", (unsigned long long)block,
			 depth, nr, max);
	if (max % 3)
		fail_msg("max_entries %u", max);
	if (leaf) {
		/* every leaf at the same depth */
		if (c->leaf_seen)
			assert_int_equal(depth, c->leaf_depth);
		c->leaf_seen = true;
		c->leaf_depth = depth;
	}
	return 0;
}

static uint64_t value_of(const uint8_t *v, uint32_t size)
{
	uint64_t x = 0;

	for (uint32_t i = 0; i < size && i < 8; i++)
		x |= (uint64_t)v[i] << (8 * i);
	return x;
}

struct ref_walk {
	uint32_t value_size;
	const uint64_t *ref;    /* value + 1 per key, 0 = absent */
	uint64_t nkeys;
	uint64_t next;          /* next key expected to be considered */
	uint64_t seen;
};

static int check_entry(void *opaque, uint64_t key, const uint8_t *value)
{
	struct ref_walk *w = opaque;

	assert_true(key < w->nkeys);
	for (; w->next < key; w->next++)
		assert_int_equal(w->ref[w->next], 0);
	assert_int_equal(w->ref[key], value_of(value, w->value_size) + 1);
	w->next = key + 1;
	w->seen++;
	return 0;
}

/* @present: how many keys the reference holds, counted as they went in and out. */
static void check_tree(struct btree_info *info, uint64_t root, const uint64_t *ref, uint64_t nkeys,
		       uint64_t present)
{
	struct fill_check fc = { 0 };
	struct ref_walk w = { .value_size = info->vt.size, .ref = ref, .nkeys = nkeys };

	assert_int_equal(btree_walk_nodes(info, root, check_node, &fc), 0);
	assert_int_equal(btree_walk(info, root, check_entry, &w), 0);
	for (; w.next < nkeys; w.next++)
		assert_int_equal(ref[w.next], 0);
	assert_int_equal(w.seen, present);

	/* The rightmost path gives the highest live key. */
	uint64_t highest = 0, want = nkeys;
	while (want > 0 && !ref[want - 1])
		want--;
	int r = btree_find_highest(info, root, &highest);
	if (want == 0) {
		assert_int_equal(r, -ENODATA);
	} else {
		assert_int_equal(r, 0);
		assert_int_equal(highest, want - 1);
	}
}

static void random_ops(uint32_t value_size, unsigned nops, uint64_t nkeys, uint64_t cache_bytes)
{
	struct env v;
	struct btree_info info;
	uint64_t *ref = calloc(nkeys, sizeof(*ref));
	uint64_t root, present = 0, base;
	uint8_t val[BTREE_MAX_VALUE_SIZE] = { 0 }, got[BTREE_MAX_VALUE_SIZE];
	unsigned seed = 1234 + value_size;

	env_new(&v, cache_bytes);
	env_commit(&v);
	base = sm_nr_blocks(v.sm) - sm_nr_free(v.sm);
	info = (struct btree_info){ .tm = v.tm, .vt = { .size = value_size } };
	assert_int_equal(btree_empty(&info, &root), 0);
	for (unsigned i = 0; i < nops; i++) {
		uint64_t key = (uint64_t)rand_r(&seed) % nkeys;
		/* grow first, then shrink, then mix */
		unsigned p = i < nops / 3 ? 80 : i < 2 * nops / 3 ? 25 : 50;

		if ((unsigned)rand_r(&seed) % 100 < p) {
			uint64_t value = (uint64_t)rand_r(&seed);
			bool inserted;

			le64_put(val, value);
			assert_int_equal(btree_insert(&info, root, key, val, &root, &inserted), 0);
			assert_int_equal(inserted, ref[key] == 0);
			present += inserted;
			ref[key] = (value_size >= 8 ? value : value & ((1ull << (8 * value_size)) - 1)) + 1;
		} else {
			int r = btree_remove(&info, root, key, &root);

			assert_int_equal(r, ref[key] ? 0 : -ENODATA);
			present -= ref[key] != 0;
			ref[key] = 0;
		}
		if (i % 2000 == 1999) {
			check_tree(&info, root, ref, nkeys, present);
			env_commit(&v);
		}
		if (i % 97 == 0) {
			uint64_t k = (uint64_t)rand_r(&seed) % nkeys;
			int r = btree_lookup(&info, root, k, got);

			assert_int_equal(r, ref[k] ? 0 : -ENODATA);
		}
	}
	check_tree(&info, root, ref, nkeys, present);
	/* empty it completely: the root goes back to a leaf */
	for (uint64_t k = 0; k < nkeys; k++)
		if (ref[k]) {
			assert_int_equal(btree_remove(&info, root, k, &root), 0);
			ref[k] = 0;
			present--;
		}
	check_tree(&info, root, ref, nkeys, present);
	assert_int_equal(present, 0);
	assert_int_equal(btree_del(&info, root), 0);
	/* every node is freed: back to the space map's own blocks */
	env_commit(&v);
	assert_int_equal(sm_nr_blocks(v.sm) - sm_nr_free(v.sm), base);
	free(ref);
	env_free(&v);
}

static void test_random_8(void **state)
{
	(void)state;
	random_ops(8, 60000, 40000, 0);
}

static void test_random_24_small_cache(void **state)
{
	(void)state;
	/* 256 KiB of cache: blocks are evicted and reread all the time */
	random_ops(24, 30000, 20000, 256 << 10);
}

static void test_random_4(void **state)
{
	(void)state;
	random_ops(4, 30000, 30000, 0);
}

/* A "snapshot": a second reference to the root.  Changing one copy
 * shadows the shared path; the other copy still sees the old values. */
static void test_shared_subtree(void **state)
{
	struct env v;
	struct btree_info info;
	uint64_t root, snap, nkeys = 3000, base;
	uint64_t *ref = calloc(nkeys, sizeof(*ref)), *ref2 = calloc(nkeys, sizeof(*ref2));
	uint8_t val[8];
	uint32_t count;

	(void)state;
	env_new(&v, 0);
	env_commit(&v);
	base = sm_nr_blocks(v.sm) - sm_nr_free(v.sm);
	info = (struct btree_info){ .tm = v.tm, .vt = { .size = 8 } };
	assert_int_equal(btree_empty(&info, &root), 0);
	for (uint64_t k = 0; k < nkeys; k += 2) {
		le64_put(val, k * 3);
		assert_int_equal(btree_insert(&info, root, k, val, &root, NULL), 0);
		ref[k] = ref2[k] = k * 3 + 1;
	}
	env_commit(&v);
	snap = root;
	assert_int_equal(tm_inc(v.tm, root), 0);
	assert_int_equal(tm_ref(v.tm, root, &count), 0);
	assert_int_equal(count, 2);
	for (uint64_t k = 1; k < nkeys; k += 4) {
		le64_put(val, k);
		assert_int_equal(btree_insert(&info, snap, k, val, &snap, NULL), 0);
		ref2[k] = k + 1;
	}
	for (uint64_t k = 0; k < nkeys; k += 6) {
		assert_int_equal(btree_remove(&info, snap, k, &snap), 0);
		ref2[k] = 0;
	}
	assert_int_not_equal(snap, root);
	/* 1500 even keys; the snapshot: + 750 at 1 mod 4, - 500 at 0 mod 6 */
	check_tree(&info, root, ref, nkeys, 1500);
	check_tree(&info, snap, ref2, nkeys, 1750);
	env_commit(&v);
	/* drop the original: the snapshot keeps every shared node */
	assert_int_equal(btree_del(&info, root), 0);
	check_tree(&info, snap, ref2, nkeys, 1750);
	assert_int_equal(btree_del(&info, snap), 0);
	env_commit(&v);
	assert_int_equal(sm_nr_blocks(v.sm) - sm_nr_free(v.sm), base);
	free(ref);
	free(ref2);
	env_free(&v);
}

static int reject(void *opaque, uint64_t key, const uint8_t *value)
{
	(void)opaque;
	(void)key;
	(void)value;
	return 0;
}

/* A flipped byte in a node is caught by its checksum, never followed. */
static void test_corrupt_node(void **state)
{
	struct env v;
	struct btree_info info;
	uint64_t root;
	uint8_t val[8] = { 0 }, buf[BM_BLOCK_SIZE];

	(void)state;
	env_new(&v, 0);
	info = (struct btree_info){ .tm = v.tm, .vt = { .size = 8 } };
	assert_int_equal(btree_empty(&info, &root), 0);
	for (uint64_t k = 0; k < 1000; k++)
		assert_int_equal(btree_insert(&info, root, k, val, &root, NULL), 0);
	env_commit(&v);
	tm_destroy(v.tm);
	bm_destroy(v.bm);
	assert_int_equal(dev_read(v.dev, buf, sizeof(buf), root * BM_BLOCK_SIZE), 0);
	buf[100] ^= 1;
	assert_int_equal(dev_write(v.dev, buf, sizeof(buf), root * BM_BLOCK_SIZE, 0), 0);
	assert_int_equal(bm_create(v.dev, 0, &v.bm), 0);
	assert_int_equal(tm_create(v.bm, &v.tm), 0);
	assert_int_equal(sm_metadata_create(v.tm, NR_META_BLOCKS, &v.sm), 0);
	info.tm = v.tm;
	assert_int_equal(btree_walk(&info, root, reject, NULL), -EILSEQ);
	assert_int_equal(btree_lookup(&info, root, 5, val), -EILSEQ);
	env_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_random_8),
		cmocka_unit_test(test_random_24_small_cache),
		cmocka_unit_test(test_random_4),
		cmocka_unit_test(test_shared_subtree),
		cmocka_unit_test(test_corrupt_node),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
