/* The disk space map (dm-space-map-disk.c): reference counts of a data
 * device, kept entirely in metadata blocks.
 *
 * Bitmaps hold 2-bit counts (3 = "see the overflow tree"); an index btree
 * maps bitmap number -> disk_index_entry; the overflow btree maps block ->
 * le32 count for counts above 2.  Every change goes through the
 * transaction manager, so a bitmap is shadowed once per transaction and
 * the index entry is rewritten to point at the shadow.
 *
 * new_block only hands out a block that is free now and was free at the
 * last commit (the committed index tree still describes that state and is
 * never overwritten): a data block unmapped in this transaction may still
 * be mapped by the committed superblock, so reusing it before the commit
 * could let a crash expose new data through an old mapping.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pdata/btree.h"
#include "pdata/sm_format.h"
#include "pdata/space_map.h"

#define EPB SM_ENTRIES_PER_BITMAP

struct sm_disk {
	struct sm sm;
	struct tm *tm;
	struct btree_info index_info;
	struct btree_info ref_info;
	uint64_t nr_blocks;
	uint64_t nr_allocated;
	uint64_t index_root;
	uint64_t ref_root;
	uint64_t old_index_root;    /* at the last commit */
	uint64_t old_nr_blocks;
	uint64_t begin;
};

static struct sm_disk *to_disk(struct sm *sm)
{
	return (struct sm_disk *)sm;
}

static int get_entry(struct sm_disk *d, uint64_t root, uint64_t idx, struct sm_index_entry *e)
{
	uint8_t v[SM_INDEX_ENTRY_SIZE];
	int r = btree_lookup(&d->index_info, root, idx, v);

	if (r == -ENODATA)
		return -EUCLEAN;   /* a bitmap the index should have */
	if (r == 0)
		sm_index_entry_decode(v, e);
	return r;
}

static int put_entry(struct sm_disk *d, uint64_t idx, const struct sm_index_entry *e)
{
	uint8_t v[SM_INDEX_ENTRY_SIZE];

	sm_index_entry_encode(v, e);
	return btree_insert(&d->index_info, d->index_root, idx, v, &d->index_root, NULL);
}

static int overflow_count(struct sm_disk *d, uint64_t b, uint32_t *count)
{
	uint8_t v[4];
	int r = btree_lookup(&d->ref_info, d->ref_root, b, v);

	if (r == -ENODATA)
		return -EUCLEAN;
	if (r == 0)
		*count = le32_get(v);
	return r;
}

static int disk_get_count(struct sm *sm, uint64_t b, uint32_t *count)
{
	struct sm_disk *d = to_disk(sm);
	struct sm_index_entry e = { 0 };
	struct bm_block *bb;
	unsigned v;
	int r;

	if (b >= d->nr_blocks)
		return -ERANGE;
	r = get_entry(d, d->index_root, b / EPB, &e);
	if (r < 0)
		return r;
	r = tm_read_lock(d->tm, e.blocknr, &sm_bitmap_validator, &bb);
	if (r < 0)
		return r;
	v = sm_bitmap_get(bm_block_data(bb), (uint32_t)(b % EPB));
	tm_unlock(d->tm, bb);
	if (v == 3)
		return overflow_count(d, b, count);
	*count = v;
	return 0;
}

static int disk_set_count(struct sm *sm, uint64_t b, uint32_t c)
{
	struct sm_disk *d = to_disk(sm);
	uint32_t k = (uint32_t)(b % EPB);
	struct sm_index_entry e = { 0 };
	struct bm_block *bb;
	unsigned old;
	bool inc;
	int r;

	if (b >= d->nr_blocks)
		return -ERANGE;
	r = get_entry(d, d->index_root, b / EPB, &e);
	if (r < 0)
		return r;
	r = tm_shadow_block(d->tm, e.blocknr, &sm_bitmap_validator, &bb, &inc);
	if (r < 0)
		return r;
	e.blocknr = bm_block_nr(bb);
	old = sm_bitmap_get(bm_block_data(bb), k);
	sm_bitmap_set(bm_block_data(bb), k, c > 3 ? 3 : c);
	tm_unlock(d->tm, bb);

	if (c > 2) {
		uint8_t v[4];

		le32_put(v, c);
		r = btree_insert(&d->ref_info, d->ref_root, b, v, &d->ref_root, NULL);
	} else if (old == 3) {
		r = btree_remove(&d->ref_info, d->ref_root, b, &d->ref_root);
	}
	if (r < 0)
		return r;
	if (!old && c) {
		e.nr_free--;
		d->nr_allocated++;
		if (e.none_free_before == k)
			e.none_free_before = k + 1;
	} else if (old && !c) {
		e.nr_free++;
		d->nr_allocated--;
		if (k < e.none_free_before)
			e.none_free_before = k;
	}
	return put_entry(d, b / EPB, &e);
}

static int disk_inc(struct sm *sm, uint64_t b)
{
	uint32_t c = 0;
	int r = disk_get_count(sm, b, &c);

	if (r == 0 && c == UINT32_MAX)
		r = -EOVERFLOW;
	return r < 0 ? r : disk_set_count(sm, b, c + 1);
}

static int disk_dec(struct sm *sm, uint64_t b)
{
	uint32_t c = 0;
	int r = disk_get_count(sm, b, &c);

	if (r == 0 && c == 0)
		r = -EUCLEAN;
	return r < 0 ? r : disk_set_count(sm, b, c - 1);
}

/* First entry >= @from of bitmap @idx free now and at the last commit. */
static int find_free(struct sm_disk *d, uint64_t idx, uint32_t from, const struct sm_index_entry *e,
		     uint64_t *out)
{
	uint64_t n = d->nr_blocks - idx * EPB;
	struct bm_block *cur, *old = NULL;
	struct sm_index_entry oe = { 0 };
	int r = -ENOSPC;

	if (n > EPB)
		n = EPB;
	if (idx * EPB < d->old_nr_blocks) {
		r = get_entry(d, d->old_index_root, idx, &oe);
		if (r < 0)
			return r;
		if (oe.blocknr != e->blocknr) {
			r = tm_read_lock(d->tm, oe.blocknr, &sm_bitmap_validator, &old);
			if (r < 0)
				return r;
		}
	}
	r = tm_read_lock(d->tm, e->blocknr, &sm_bitmap_validator, &cur);
	if (r < 0)
		goto out;
	r = -ENOSPC;
	for (uint64_t k = from; k < n; k++)
		if (!sm_bitmap_get(bm_block_data(cur), (uint32_t)k) &&
		    (!old || !sm_bitmap_get(bm_block_data(old), (uint32_t)k))) {
			*out = idx * EPB + k;
			r = 0;
			break;
		}
	tm_unlock(d->tm, cur);
out:
	if (old)
		tm_unlock(d->tm, old);
	return r;
}

static int disk_new_block(struct sm *sm, uint64_t *out)
{
	struct sm_disk *d = to_disk(sm);
	uint64_t nb = (d->nr_blocks + EPB - 1) / EPB;

	for (uint64_t idx = d->begin / EPB; idx < nb; idx++) {
		struct sm_index_entry e = { 0 };
		uint32_t from = idx == d->begin / EPB ? (uint32_t)(d->begin % EPB) : 0;
		int r = get_entry(d, d->index_root, idx, &e);

		if (r < 0)
			return r;
		if (!e.nr_free)
			continue;
		if (from < e.none_free_before)
			from = e.none_free_before;
		r = find_free(d, idx, from, &e, out);
		if (r == -ENOSPC)
			continue;
		if (r < 0)
			return r;
		d->begin = *out + 1;
		return disk_set_count(sm, *out, 1);
	}
	return -ENOSPC;
}

static uint64_t disk_nr_blocks(struct sm *sm)
{
	return to_disk(sm)->nr_blocks;
}

static uint64_t disk_nr_free(struct sm *sm)
{
	struct sm_disk *d = to_disk(sm);

	return d->nr_blocks - d->nr_allocated;
}

static int disk_extend(struct sm *sm, uint64_t extra)
{
	struct sm_disk *d = to_disk(sm);
	uint64_t old = d->nr_blocks, new = old + extra;
	struct sm_index_entry e = { 0 };
	int r;

	if (new < old)
		return -EOVERFLOW;
	if (old % EPB && extra) {
		uint64_t idx = old / EPB, end = (idx + 1) * EPB;

		r = get_entry(d, d->index_root, idx, &e);
		if (r < 0)
			return r;
		e.nr_free += (uint32_t)((new < end ? new : end) - old);
		r = put_entry(d, idx, &e);
		if (r < 0)
			return r;
	}
	for (uint64_t idx = (old + EPB - 1) / EPB; idx * EPB < new; idx++) {
		struct bm_block *bb;
		uint64_t n = new - idx * EPB;

		r = tm_new_block(d->tm, &sm_bitmap_validator, &bb);
		if (r < 0)
			return r;
		e.blocknr = bm_block_nr(bb);
		tm_unlock(d->tm, bb);
		e.nr_free = (uint32_t)(n > EPB ? EPB : n);
		e.none_free_before = 0;
		r = put_entry(d, idx, &e);
		if (r < 0)
			return r;
	}
	d->nr_blocks = new;
	return 0;
}

static int disk_commit(struct sm *sm)
{
	struct sm_disk *d = to_disk(sm);

	d->old_index_root = d->index_root;
	d->old_nr_blocks = d->nr_blocks;
	d->begin = 0;
	return 0;
}

static void disk_copy_root(struct sm *sm, uint8_t root[SM_ROOT_SIZE])
{
	struct sm_disk *d = to_disk(sm);
	struct sm_root r = {
		.nr_blocks = d->nr_blocks,
		.nr_allocated = d->nr_allocated,
		.bitmap_root = d->index_root,
		.ref_count_root = d->ref_root,
	};

	memset(root, 0, SM_ROOT_SIZE);
	sm_root_encode(root, &r);
}

static void disk_destroy(struct sm *sm)
{
	free(sm);
}

static const struct sm_ops disk_ops = {
	.get_count = disk_get_count,
	.set_count = disk_set_count,
	.inc = disk_inc,
	.dec = disk_dec,
	.new_block = disk_new_block,
	.nr_blocks = disk_nr_blocks,
	.nr_free = disk_nr_free,
	.extend = disk_extend,
	.commit = disk_commit,
	.copy_root = disk_copy_root,
	.destroy = disk_destroy,
};

static struct sm_disk *disk_alloc(struct tm *tm)
{
	struct sm_disk *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->sm.ops = &disk_ops;
	d->tm = tm;
	d->index_info = (struct btree_info){ .tm = tm, .vt = { .size = SM_INDEX_ENTRY_SIZE } };
	d->ref_info = (struct btree_info){ .tm = tm, .vt = { .size = 4 } };
	return d;
}

int sm_disk_create(struct tm *tm, struct sm **out)
{
	struct sm_disk *d = disk_alloc(tm);
	int r;

	if (!d)
		return -ENOMEM;
	r = btree_empty(&d->index_info, &d->index_root);
	if (r == 0)
		r = btree_empty(&d->ref_info, &d->ref_root);
	if (r < 0) {
		free(d);
		return r;
	}
	d->old_index_root = d->index_root;
	*out = &d->sm;
	return 0;
}

int sm_disk_open(struct tm *tm, const uint8_t root[SM_ROOT_SIZE], struct sm **out)
{
	struct sm_disk *d = disk_alloc(tm);
	struct sm_root sr;

	if (!d)
		return -ENOMEM;
	sm_root_decode(root, &sr);
	if (sr.nr_blocks > (1ull << 40) || sr.nr_allocated > sr.nr_blocks) {
		free(d);
		return -EUCLEAN;
	}
	d->nr_blocks = d->old_nr_blocks = sr.nr_blocks;
	d->nr_allocated = sr.nr_allocated;
	d->index_root = d->old_index_root = sr.bitmap_root;
	d->ref_root = sr.ref_count_root;
	*out = &d->sm;
	return 0;
}
