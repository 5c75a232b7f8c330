/* The metadata space map.
 *
 * Design: the kernel keeps the metadata space map on disk while it runs,
 * which makes it recursive (changing a bitmap needs a new block, which
 * changes a bitmap) and needs the queued "bops" of dm-space-map-metadata.c.
 * We hold the current counts in memory instead (4 bytes per metadata
 * block: 16 MiB at the 4,161,600-block maximum) and write the on-disk form
 * only at commit, where nothing else changes any more.
 *
 * Invariants
 *  - count[] is the current count of every block; committed[] has a bit
 *    per block that was in use at the last commit.  new_block only takes
 *    blocks with neither, so nothing the committed superblock reaches is
 *    reused before the next commit.
 *  - The on-disk bitmaps, overflow tree and index block describe the
 *    committed counts, and are themselves counted (1 each).
 *
 * Commit (runs after every other change of the transaction):
 *  1. if a count above 2 changed: build a new overflow tree of all counts
 *     above 2, then drop the old tree;
 *  2. move the index block to a new block;
 *  3. move every bitmap whose entries changed to a new block; moving one
 *     changes the entries of the bitmaps holding its old and new block,
 *     so repeat until no changed bitmap is left in place;
 *  4. write the moved bitmaps and the index from count[].
 * Counts only change from 0 to 1 or 1 to 0 in steps 2 and 3, so the tree
 * built in step 1 stays right.  Old blocks are freed but, being committed,
 * are not reused until the superblock that stops pointing at them lands.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pdata/btree.h"
#include "pdata/sm_format.h"
#include "pdata/space_map.h"

struct sm_meta {
	struct sm sm;
	struct tm *tm;
	uint64_t nr_blocks;
	uint32_t *count;
	uint8_t *committed;         /* bit per block */
	uint64_t nr_allocated;
	uint64_t begin;             /* allocation cursor, reset at commit */
	uint64_t index_block;       /* 0 = not written yet */
	uint64_t nr_bitmaps;
	uint64_t *bitmap_loc;       /* 0 = not written yet */
	uint8_t *bitmap_dirty;
	uint64_t overflow_root;
	bool overflow_dirty;
};

#define EPB SM_ENTRIES_PER_BITMAP

static struct sm_meta *to_meta(struct sm *sm)
{
	return (struct sm_meta *)sm;
}

static const struct btree_value_type overflow_vt = { .size = 4 };

static bool is_committed(const struct sm_meta *m, uint64_t b)
{
	return m->committed[b / 8] & (1u << (b % 8));
}

static unsigned min3(uint32_t c)
{
	return c > 3 ? 3 : c;
}

static int meta_get_count(struct sm *sm, uint64_t b, uint32_t *count)
{
	struct sm_meta *m = to_meta(sm);

	if (b >= m->nr_blocks)
		return -ERANGE;
	*count = m->count[b];
	return 0;
}

static int meta_set_count(struct sm *sm, uint64_t b, uint32_t c)
{
	struct sm_meta *m = to_meta(sm);
	uint32_t old;

	if (b >= m->nr_blocks)
		return -ERANGE;
	old = m->count[b];
	if (old == c)
		return 0;
	if (!old)
		m->nr_allocated++;
	if (!c)
		m->nr_allocated--;
	if (old > 2 || c > 2)
		m->overflow_dirty = true;
	if (min3(old) != min3(c))
		m->bitmap_dirty[b / EPB] = 1;
	m->count[b] = c;
	return 0;
}

static int meta_inc(struct sm *sm, uint64_t b)
{
	struct sm_meta *m = to_meta(sm);

	if (b >= m->nr_blocks)
		return -ERANGE;
	if (m->count[b] == UINT32_MAX)
		return -EOVERFLOW;
	return meta_set_count(sm, b, m->count[b] + 1);
}

static int meta_dec(struct sm *sm, uint64_t b)
{
	struct sm_meta *m = to_meta(sm);

	if (b >= m->nr_blocks)
		return -ERANGE;
	if (!m->count[b])
		return -EUCLEAN;   /* dropping a reference nobody holds */
	return meta_set_count(sm, b, m->count[b] - 1);
}

static int meta_new_block(struct sm *sm, uint64_t *out)
{
	struct sm_meta *m = to_meta(sm);

	for (uint64_t b = m->begin; b < m->nr_blocks; b++)
		if (!m->count[b] && !is_committed(m, b)) {
			m->begin = b + 1;
			*out = b;
			return meta_set_count(sm, b, 1);
		}
	return -ENOSPC;
}

static uint64_t meta_nr_blocks(struct sm *sm)
{
	return to_meta(sm)->nr_blocks;
}

static uint64_t meta_nr_free(struct sm *sm)
{
	struct sm_meta *m = to_meta(sm);

	return m->nr_blocks - m->nr_allocated;
}

static uint64_t bitmaps_for(uint64_t nr_blocks)
{
	return (nr_blocks + EPB - 1) / EPB;
}

static int resize_arrays(struct sm_meta *m, uint64_t nr_blocks)
{
	uint64_t nb = bitmaps_for(nr_blocks);
	uint32_t *count = realloc(m->count, nr_blocks * sizeof(*count));
	uint8_t *committed, *dirty;
	uint64_t *loc;

	if (!count)
		return -ENOMEM;
	m->count = count;
	committed = realloc(m->committed, (nr_blocks + 7) / 8);
	if (!committed)
		return -ENOMEM;
	m->committed = committed;
	loc = realloc(m->bitmap_loc, nb * sizeof(*loc));
	if (!loc)
		return -ENOMEM;
	m->bitmap_loc = loc;
	dirty = realloc(m->bitmap_dirty, nb);
	if (!dirty)
		return -ENOMEM;
	m->bitmap_dirty = dirty;
	memset(count + m->nr_blocks, 0, (nr_blocks - m->nr_blocks) * sizeof(*count));
	for (uint64_t b = m->nr_blocks; b < nr_blocks; b++)
		committed[b / 8] &= (uint8_t)~(1u << (b % 8));
	for (uint64_t i = m->nr_bitmaps; i < nb; i++)
		loc[i] = 0;
	/* the last old bitmap gains entries (nr_free), new ones are unwritten */
	for (uint64_t i = m->nr_bitmaps ? m->nr_bitmaps - 1 : 0; i < nb; i++)
		dirty[i] = 1;
	m->nr_blocks = nr_blocks;
	m->nr_bitmaps = nb;
	return 0;
}

static int meta_extend(struct sm *sm, uint64_t extra)
{
	struct sm_meta *m = to_meta(sm);

	if (m->nr_blocks + extra > SM_METADATA_MAX_BLOCKS)
		return -EFBIG;
	if (!extra)
		return 0;
	return resize_arrays(m, m->nr_blocks + extra);
}

static int write_overflow_tree(struct sm_meta *m)
{
	struct btree_info info = { .tm = m->tm, .vt = overflow_vt };
	uint64_t old = m->overflow_root, root;
	int r = btree_empty(&info, &root);

	for (uint64_t b = 0; b < m->nr_blocks && r == 0; b++)
		if (m->count[b] > 2) {
			uint8_t v[4];

			le32_put(v, m->count[b]);
			r = btree_insert(&info, root, b, v, &root, NULL);
		}
	if (r == 0 && old)
		r = btree_del(&info, old);
	if (r == 0) {
		m->overflow_root = root;
		m->overflow_dirty = false;
	}
	return r;
}

static void index_entry_of(const struct sm_meta *m, uint64_t i, struct sm_index_entry *e)
{
	uint64_t first = i * EPB, n = m->nr_blocks - first;

	if (n > EPB)
		n = EPB;
	e->blocknr = m->bitmap_loc[i];
	e->nr_free = 0;
	e->none_free_before = (uint32_t)n;
	for (uint64_t k = 0; k < n; k++)
		if (!m->count[first + k]) {
			if (!e->nr_free)
				e->none_free_before = (uint32_t)k;
			e->nr_free++;
		}
}

static int write_bitmap(struct sm_meta *m, uint64_t i)
{
	uint64_t first = i * EPB, n = m->nr_blocks - first;
	struct bm_block *b;
	uint8_t *d;
	int r = bm_write_lock_zero(tm_bm(m->tm), m->bitmap_loc[i], &sm_bitmap_validator, &b);

	if (r < 0)
		return r;
	if (n > EPB)
		n = EPB;
	d = bm_block_data(b);
	for (uint64_t k = 0; k < n; k++)
		sm_bitmap_set(d, (uint32_t)k, min3(m->count[first + k]));
	bm_unlock(b);
	return 0;
}

static int meta_commit(struct sm *sm)
{
	struct sm_meta *m = to_meta(sm);
	uint8_t *moved;
	struct bm_block *ib;
	uint64_t b;
	bool again;
	int r = 0;

	if (m->overflow_dirty) {
		r = write_overflow_tree(m);
		if (r < 0)
			return r;
	}
	moved = calloc(m->nr_bitmaps, 1);
	if (!moved)
		return -ENOMEM;
	/* 2: the index always moves: its entries change with any bitmap. */
	r = meta_new_block(sm, &b);
	if (r == 0 && m->index_block)
		r = meta_dec(sm, m->index_block);
	if (r < 0)
		goto out;
	m->index_block = b;
	/* 3 */
	do {
		again = false;
		for (uint64_t i = 0; i < m->nr_bitmaps; i++) {
			if (!m->bitmap_dirty[i] || moved[i])
				continue;
			r = meta_new_block(sm, &b);
			if (r == 0 && m->bitmap_loc[i])
				r = meta_dec(sm, m->bitmap_loc[i]);
			if (r < 0)
				goto out;
			m->bitmap_loc[i] = b;
			moved[i] = 1;
			again = true;
		}
	} while (again);
	/* 4 */
	for (uint64_t i = 0; i < m->nr_bitmaps; i++)
		if (moved[i]) {
			r = write_bitmap(m, i);
			if (r < 0)
				goto out;
		}
	r = bm_write_lock_zero(tm_bm(m->tm), m->index_block, &sm_index_validator, &ib);
	if (r < 0)
		goto out;
	for (uint64_t i = 0; i < m->nr_bitmaps; i++) {
		struct sm_index_entry e;

		index_entry_of(m, i, &e);
		sm_index_entry_encode(bm_block_data(ib) + SM_HEADER_SIZE + i * SM_INDEX_ENTRY_SIZE, &e);
	}
	bm_unlock(ib);
	memset(m->bitmap_dirty, 0, m->nr_bitmaps);
	memset(m->committed, 0, (m->nr_blocks + 7) / 8);
	for (b = 0; b < m->nr_blocks; b++)
		if (m->count[b])
			m->committed[b / 8] |= (uint8_t)(1u << (b % 8));
	m->begin = 0;
out:
	free(moved);
	return r;
}

static void meta_copy_root(struct sm *sm, uint8_t root[SM_ROOT_SIZE])
{
	struct sm_meta *m = to_meta(sm);
	struct sm_root r = {
		.nr_blocks = m->nr_blocks,
		.nr_allocated = m->nr_allocated,
		.bitmap_root = m->index_block,
		.ref_count_root = m->overflow_root,
	};

	memset(root, 0, SM_ROOT_SIZE);
	sm_root_encode(root, &r);
}

static void meta_destroy(struct sm *sm)
{
	struct sm_meta *m = to_meta(sm);

	free(m->count);
	free(m->committed);
	free(m->bitmap_loc);
	free(m->bitmap_dirty);
	free(m);
}

static const struct sm_ops meta_ops = {
	.get_count = meta_get_count,
	.set_count = meta_set_count,
	.inc = meta_inc,
	.dec = meta_dec,
	.new_block = meta_new_block,
	.nr_blocks = meta_nr_blocks,
	.nr_free = meta_nr_free,
	.extend = meta_extend,
	.commit = meta_commit,
	.copy_root = meta_copy_root,
	.destroy = meta_destroy,
};

static struct sm_meta *meta_alloc(struct tm *tm)
{
	struct sm_meta *m = calloc(1, sizeof(*m));

	if (m) {
		m->sm.ops = &meta_ops;
		m->tm = tm;
	}
	return m;
}

int sm_metadata_create(struct tm *tm, uint64_t nr_blocks, struct sm **out)
{
	struct btree_info info = { .tm = tm, .vt = overflow_vt };
	struct sm_meta *m = meta_alloc(tm);
	int r;

	if (!m)
		return -ENOMEM;
	if (nr_blocks > SM_METADATA_MAX_BLOCKS)
		nr_blocks = SM_METADATA_MAX_BLOCKS;
	r = resize_arrays(m, nr_blocks);
	if (r < 0) {
		meta_destroy(&m->sm);
		return r;
	}
	tm_set_sm(tm, &m->sm);
	r = meta_set_count(&m->sm, 0, 1);     /* the superblock */
	if (r == 0)
		r = btree_empty(&info, &m->overflow_root);
	if (r < 0) {
		tm_set_sm(tm, NULL);
		meta_destroy(&m->sm);
		return r;
	}
	*out = &m->sm;
	return 0;
}

/* While loading, a bitmap "3" waits for its overflow entry as this. */
#define PENDING_OVERFLOW UINT32_MAX

static int load_overflow(void *opaque, uint64_t key, const uint8_t *value)
{
	struct sm_meta *m = opaque;
	uint32_t c = le32_get(value);

	if (key >= m->nr_blocks || m->count[key] != PENDING_OVERFLOW || c < 3 ||
	    c == PENDING_OVERFLOW)
		return -EUCLEAN;
	m->count[key] = c;
	return 0;
}

int sm_metadata_open(struct tm *tm, const uint8_t root[SM_ROOT_SIZE], struct sm **out)
{
	struct btree_info info = { .tm = tm, .vt = overflow_vt };
	struct sm_meta *m = meta_alloc(tm);
	struct bm_block *ib = NULL, *bb;
	struct sm_root sr;
	int r;

	if (!m)
		return -ENOMEM;
	sm_root_decode(root, &sr);
	r = -EUCLEAN;
	if (sr.nr_blocks == 0 || sr.nr_blocks > SM_METADATA_MAX_BLOCKS ||
	    sr.nr_blocks > bm_nr_blocks(tm_bm(tm)))
		goto fail;
	r = resize_arrays(m, sr.nr_blocks);
	if (r < 0)
		goto fail;
	tm_set_sm(tm, &m->sm);
	m->index_block = sr.bitmap_root;
	m->overflow_root = sr.ref_count_root;
	r = tm_read_lock(tm, sr.bitmap_root, &sm_index_validator, &ib);
	if (r < 0)
		goto fail;
	for (uint64_t i = 0; i < m->nr_bitmaps; i++) {
		struct sm_index_entry e;
		uint64_t first = i * EPB, n = m->nr_blocks - first;

		sm_index_entry_decode(bm_block_data(ib) + SM_HEADER_SIZE + i * SM_INDEX_ENTRY_SIZE, &e);
		m->bitmap_loc[i] = e.blocknr;
		r = tm_read_lock(tm, e.blocknr, &sm_bitmap_validator, &bb);
		if (r < 0)
			goto fail;
		if (n > EPB)
			n = EPB;
		for (uint64_t k = 0; k < n; k++) {
			unsigned v = sm_bitmap_get(bm_block_data(bb), (uint32_t)k);

			m->count[first + k] = v == 3 ? PENDING_OVERFLOW : v;
		}
		tm_unlock(tm, bb);
	}
	tm_unlock(tm, ib);
	ib = NULL;
	r = btree_walk(&info, m->overflow_root, load_overflow, m);
	if (r < 0)
		goto fail;
	m->nr_allocated = 0;
	for (uint64_t b = 0; b < m->nr_blocks; b++) {
		if (m->count[b] == PENDING_OVERFLOW) {
			r = -EUCLEAN;   /* "3" without an overflow entry */
			goto fail;
		}
		if (m->count[b]) {
			m->nr_allocated++;
			m->committed[b / 8] |= (uint8_t)(1u << (b % 8));
		}
	}
	if (!m->count[0] || m->index_block >= m->nr_blocks || m->overflow_root >= m->nr_blocks ||
	    !m->count[m->index_block] || !m->count[m->overflow_root]) {
		r = -EUCLEAN;
		goto fail;
	}
	memset(m->bitmap_dirty, 0, m->nr_bitmaps);
	m->overflow_dirty = false;
	*out = &m->sm;
	return 0;
fail:
	if (ib)
		tm_unlock(tm, ib);
	tm_set_sm(tm, NULL);
	meta_destroy(&m->sm);
	return r;
}
