/* dm-array and dm-bitset over the btree (see array.h for the layout).
 *
 * Crash argument: as for the btree, every change goes to a new block or
 * to a shadow made in this transaction, so the committed superblock keeps
 * reaching the array as it was.  array_set inc's the original before it
 * overwrites the btree value, because the shadow already dropped the
 * reference the btree still holds (the kernel's __shadow_ablock).
 */
#include "pdata/array.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "common/le.h"

static void ablock_prepare(const struct bm_validator *v, uint8_t *data, uint64_t nr)
{
	le64_put(data + 16, nr);
	le32_put(data, bm_checksum(data, v->salt));
}

static int ablock_check(const struct bm_validator *v, const uint8_t *data, uint64_t nr,
			struct err *e)
{
	uint64_t where = le64_get(data + 16);
	uint32_t sum = bm_checksum(data, v->salt);

	if (where != nr)
		return err_set(e, -ENOTBLK, "array block %" PRIu64 ": blocknr field says %" PRIu64,
			       nr, where);
	if (le32_get(data) != sum)
		return err_set(e, -EILSEQ, "array block %" PRIu64 ": checksum %08x, expected %08x",
			       nr, le32_get(data), sum);
	return 0;
}

const struct bm_validator array_validator = {
	.name = "array",
	.salt = ARRAY_CSUM_XOR,
	.prepare = ablock_prepare,
	.check = ablock_check,
};

static int ablock_inc(void *ctx, const uint8_t *v)
{
	return tm_inc(ctx, le64_get(v));
}

static int ablock_dec(void *ctx, const uint8_t *v)
{
	return tm_dec(ctx, le64_get(v));
}

void array_info_init(struct array_info *a, struct tm *tm, uint32_t value_size)
{
	a->btree = (struct btree_info){ .tm = tm, .vt = { .size = 8, .ctx = tm,
		.inc = ablock_inc, .dec = ablock_dec } };
	a->value_size = value_size;
	a->max_entries = (BM_BLOCK_SIZE - ARRAY_BLOCK_HEADER_SIZE) / value_size;
}

static uint8_t *values(uint8_t *block) { return block + ARRAY_BLOCK_HEADER_SIZE; }

/* Header fields of a block just read: refuse what would index past it. */
static int header_check(struct array_info *a, const uint8_t *d, uint32_t *nr)
{
	if (le32_get(d + 12) != a->value_size || le32_get(d + 4) != a->max_entries)
		return -EUCLEAN;
	*nr = le32_get(d + 8);
	return *nr > a->max_entries ? -EUCLEAN : 0;
}

int array_empty(struct array_info *a, uint64_t *root)
{
	return btree_empty(&a->btree, root);
}

/* A new block holding entries [base, base + count) from @fn or @value. */
static int new_ablock(struct array_info *a, uint64_t base, uint32_t count, array_value_fn fn,
		      void *ctx, const void *value, uint64_t *loc)
{
	struct bm_block *b;
	uint8_t *d;
	int r = tm_new_block(a->btree.tm, &array_validator, &b);

	if (r < 0)
		return r;
	d = bm_block_data(b);
	le32_put(d + 4, a->max_entries);
	le32_put(d + 8, count);
	le32_put(d + 12, a->value_size);
	for (uint32_t i = 0; i < count && r == 0; i++) {
		uint8_t *v = values(d) + (size_t)i * a->value_size;

		if (fn)
			r = fn(ctx, base + i, v);
		else
			memcpy(v, value, a->value_size);
	}
	*loc = bm_block_nr(b);
	tm_unlock(a->btree.tm, b);
	return r;
}

static int append_blocks(struct array_info *a, uint64_t root, uint64_t from, uint64_t n,
			 array_value_fn fn, void *ctx, const void *value, uint64_t *new_root)
{
	int r = 0;

	for (uint64_t base = from; base < n && r == 0; base += a->max_entries) {
		uint32_t count = n - base < a->max_entries ? (uint32_t)(n - base) : a->max_entries;
		uint8_t v[8];
		uint64_t loc;

		r = new_ablock(a, base, count, fn, ctx, value, &loc);
		if (r == 0) {
			le64_put(v, loc);
			r = btree_insert(&a->btree, root, base / a->max_entries, v, &root, NULL);
		}
	}
	*new_root = root;
	return r;
}

int array_new(struct array_info *a, uint64_t n, array_value_fn fn, void *ctx, uint64_t *root)
{
	int r = array_empty(a, root);

	return r ? r : append_blocks(a, *root, 0, n, fn, ctx, NULL, root);
}

/* Write-lock block @bi for change, shadowing it (and repointing the btree)
 * if it is not already this transaction's. */
static int shadow_ablock(struct array_info *a, uint64_t root, uint64_t bi, struct bm_block **out,
			 uint64_t *new_root)
{
	uint8_t v[8];
	uint64_t orig;
	bool inc;
	uint32_t nr;
	int r = btree_lookup(&a->btree, root, bi, v);

	*new_root = root;
	if (r < 0)
		return r == -ENODATA ? -EUCLEAN : r;
	orig = le64_get(v);
	r = tm_shadow_block(a->btree.tm, orig, &array_validator, out, &inc);
	if (r < 0)
		return r;
	if (header_check(a, bm_block_data(*out), &nr)) {
		tm_unlock(a->btree.tm, *out);
		return -EUCLEAN;
	}
	if (bm_block_nr(*out) != orig) {
		r = tm_inc(a->btree.tm, orig);
		le64_put(v, bm_block_nr(*out));
		if (r == 0)
			r = btree_insert(&a->btree, root, bi, v, new_root, NULL);
		if (r < 0)
			tm_unlock(a->btree.tm, *out);
	}
	return r;
}

int array_resize(struct array_info *a, uint64_t root, uint64_t old_n, uint64_t new_n,
		 const void *value, uint64_t *new_root)
{
	uint64_t old_blocks = (old_n + a->max_entries - 1) / a->max_entries;
	uint64_t new_blocks = (new_n + a->max_entries - 1) / a->max_entries;
	struct bm_block *b;
	int r = 0;

	*new_root = root;
	if (new_n == old_n)
		return 0;
	if (new_n < old_n) {
		for (uint64_t bi = old_blocks; r == 0 && bi-- > new_blocks;)
			r = btree_remove(&a->btree, root, bi, &root);
		if (r == 0 && new_n % a->max_entries) {
			r = shadow_ablock(a, root, new_blocks - 1, &b, &root);
			if (r == 0) {
				le32_put(bm_block_data(b) + 8, new_n % a->max_entries);
				tm_unlock(a->btree.tm, b);
			}
		}
		*new_root = root;
		return r;
	}
	if (old_n % a->max_entries) {
		uint64_t bi = old_blocks - 1, end = (bi + 1) * a->max_entries;
		uint32_t fill = (uint32_t)((new_n < end ? new_n : end) - bi * a->max_entries);
		uint8_t *d;

		r = shadow_ablock(a, root, bi, &b, &root);
		if (r < 0)
			return r;
		d = bm_block_data(b);
		for (uint32_t i = old_n % a->max_entries; i < fill; i++)
			memcpy(values(d) + (size_t)i * a->value_size, value, a->value_size);
		le32_put(d + 8, fill);
		tm_unlock(a->btree.tm, b);
		old_n = bi * a->max_entries + fill;
	}
	return append_blocks(a, root, old_n, new_n, NULL, NULL, value, new_root);
}

int array_del(struct array_info *a, uint64_t root)
{
	return btree_del(&a->btree, root);
}

int array_get(struct array_info *a, uint64_t root, uint64_t index, void *value)
{
	struct bm_block *b;
	uint8_t v[8];
	uint32_t nr;
	int r = btree_lookup(&a->btree, root, index / a->max_entries, v);

	if (r < 0)
		return r == -ENODATA ? -EINVAL : r;
	r = tm_read_lock(a->btree.tm, le64_get(v), &array_validator, &b);
	if (r < 0)
		return r;
	r = header_check(a, bm_block_data(b), &nr);
	if (r == 0 && index % a->max_entries >= nr)
		r = -EINVAL;
	if (r == 0)
		memcpy(value, values(bm_block_data(b)) + (size_t)(index % a->max_entries) * a->value_size,
		       a->value_size);
	tm_unlock(a->btree.tm, b);
	return r;
}

int array_set(struct array_info *a, uint64_t root, uint64_t index, const void *value,
	      uint64_t *new_root)
{
	struct bm_block *b;
	uint32_t i = index % a->max_entries;
	int r = shadow_ablock(a, root, index / a->max_entries, &b, new_root);

	if (r < 0)
		return r;
	if (i >= le32_get(bm_block_data(b) + 8))
		r = -EINVAL;
	else
		memcpy(values(bm_block_data(b)) + (size_t)i * a->value_size, value, a->value_size);
	tm_unlock(a->btree.tm, b);
	return r;
}

struct walk_ctx {
	struct array_info *a;
	uint64_t n, next;
	array_walk_fn fn;
	void *ctx;
};

static int walk_block(void *opaque, uint64_t key, const uint8_t *value)
{
	struct walk_ctx *w = opaque;
	struct array_info *a = w->a;
	struct bm_block *b;
	uint32_t nr = 0;
	int r;

	if (key * a->max_entries != w->next)
		return -EUCLEAN; /* a gap in the block indices */
	r = tm_read_lock(a->btree.tm, le64_get(value), &array_validator, &b);
	if (r < 0)
		return r;
	r = header_check(a, bm_block_data(b), &nr);
	if (r == 0 && (w->next + nr > w->n || (nr < a->max_entries && w->next + nr != w->n) || !nr))
		r = -EUCLEAN;
	for (uint32_t i = 0; r == 0 && i < nr; i++)
		r = w->fn(w->ctx, w->next + i, values(bm_block_data(b)) + (size_t)i * a->value_size);
	tm_unlock(a->btree.tm, b);
	w->next += nr;
	return r;
}

int array_walk(struct array_info *a, uint64_t root, uint64_t n, array_walk_fn fn, void *ctx)
{
	struct walk_ctx w = { .a = a, .n = n, .fn = fn, .ctx = ctx };
	int r = btree_walk(&a->btree, root, walk_block, &w);

	if (r == 0 && w.next != n)
		r = -EUCLEAN;
	return r;
}

static int bit_word(void *ctx, uint64_t index, uint8_t *value)
{
	le64_put(value, ((const uint64_t *)ctx)[index]);
	return 0;
}

int bitset_new(struct array_info *a, uint64_t nr_bits, const uint64_t *bits, uint64_t *root)
{
	return array_new(a, (nr_bits + 63) / 64, bit_word, (void *)bits, root);
}

static int load_word(void *ctx, uint64_t index, const uint8_t *value)
{
	((uint64_t *)ctx)[index] = le64_get(value);
	return 0;
}

int bitset_load(struct array_info *a, uint64_t root, uint64_t nr_bits, uint64_t *bits)
{
	return array_walk(a, root, (nr_bits + 63) / 64, load_word, bits);
}
