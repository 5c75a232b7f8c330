/* dm-btree compatible B+tree; layout, sharing and fill rules in btree.h.
 *
 * Updates walk down from the root shadowing each node on the path (so the
 * path is writable and every ancestor points at the shadow), change the
 * leaf, and fix sizes on the way back up: a full node splits before it
 * takes one more entry, an underfull child is merged with or refilled
 * from a neighbour.  All blocks on the path stay locked while the
 * recursion returns through them; the depth is bounded by BTREE_MAX_DEPTH.
 */
#include "pdata/btree.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "common/le.h"

/* ---- node access ---- */

static uint32_t n_flags(const uint8_t *n) { return le32_get(n + 4); }
static uint32_t n_nr(const uint8_t *n) { return le32_get(n + 16); }
static uint32_t n_max(const uint8_t *n) { return le32_get(n + 20); }
static uint32_t n_vsize(const uint8_t *n) { return le32_get(n + 24); }
static bool n_leaf(const uint8_t *n) { return n_flags(n) == BTREE_LEAF_NODE; }
static void set_nr(uint8_t *n, uint32_t v) { le32_put(n + 16, v); }
static uint8_t *key_ptr(uint8_t *n, uint32_t i) { return n + BTREE_NODE_HEADER_SIZE + 8 * i; }
static uint64_t key_at(const uint8_t *n, uint32_t i) { return le64_get(n + BTREE_NODE_HEADER_SIZE + 8 * i); }

static uint8_t *val_ptr(uint8_t *n, uint32_t i)
{
	return n + BTREE_NODE_HEADER_SIZE + 8 * n_max(n) + n_vsize(n) * i;
}

static uint64_t child_at(uint8_t *n, uint32_t i) { return le64_get(val_ptr(n, i)); }

uint32_t btree_max_entries(uint32_t value_size)
{
	return BTREE_MAX_ENTRIES(value_size);
}

static void init_node(uint8_t *n, uint32_t flags, uint32_t value_size)
{
	memset(n, 0, BTREE_NODE_HEADER_SIZE);
	le32_put(n + 4, flags);
	le32_put(n + 20, btree_max_entries(value_size));
	le32_put(n + 24, value_size);
}

/* Last index whose key is <= @key, or -1. */
static int64_t lower_bound(const uint8_t *n, uint64_t key)
{
	int64_t lo = -1, hi = n_nr(n);

	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2;

		if (key_at(n, (uint32_t)mid) <= key)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

static void raw_insert(uint8_t *n, uint32_t pos, uint64_t key, const uint8_t *value)
{
	uint32_t nr = n_nr(n), vs = n_vsize(n);

	memmove(key_ptr(n, pos + 1), key_ptr(n, pos), 8 * (nr - pos));
	memmove(val_ptr(n, pos + 1), val_ptr(n, pos), vs * (nr - pos));
	le64_put(key_ptr(n, pos), key);
	memcpy(val_ptr(n, pos), value, vs);
	set_nr(n, nr + 1);
}

static void raw_delete(uint8_t *n, uint32_t pos)
{
	uint32_t nr = n_nr(n), vs = n_vsize(n);

	memmove(key_ptr(n, pos), key_ptr(n, pos + 1), 8 * (nr - pos - 1));
	memmove(val_ptr(n, pos), val_ptr(n, pos + 1), vs * (nr - pos - 1));
	memset(key_ptr(n, nr - 1), 0, 8);
	memset(val_ptr(n, nr - 1), 0, vs);
	set_nr(n, nr - 1);
}

/* Copy @count entries from src[from] to dst[to] (nodes of one shape). */
static void copy_entries(uint8_t *dst, uint32_t to, uint8_t *src, uint32_t from, uint32_t count)
{
	uint32_t vs = n_vsize(src);

	memmove(key_ptr(dst, to), key_ptr(src, from), 8 * count);
	memmove(val_ptr(dst, to), val_ptr(src, from), vs * count);
}

static int node_check(const struct bm_validator *v, const uint8_t *n, uint64_t nr, struct err *e)
{
	uint32_t flags = n_flags(n), max = n_max(n), vs = n_vsize(n), cnt = n_nr(n);
	int r = bm_check_std(v, n, nr, e);

	if (r < 0)
		return r;
	if (flags != BTREE_INTERNAL_NODE && flags != BTREE_LEAF_NODE)
		return err_set(e, -EUCLEAN, "btree node %" PRIu64 ": bad flags %u", nr, flags);
	if (vs == 0 || vs > BTREE_MAX_VALUE_SIZE || (flags == BTREE_INTERNAL_NODE && vs != 8))
		return err_set(e, -EUCLEAN, "btree node %" PRIu64 ": bad value size %u", nr, vs);
	if (max == 0 || BTREE_NODE_HEADER_SIZE + (uint64_t)(8 + vs) * max > BM_BLOCK_SIZE)
		return err_set(e, -EUCLEAN, "btree node %" PRIu64 ": max_entries %u too large",
			       nr, max);
	if (cnt > max)
		return err_set(e, -EUCLEAN, "btree node %" PRIu64 ": %u entries, max %u",
			       nr, cnt, max);
	for (uint32_t i = 1; i < cnt; i++)
		if (key_at(n, i - 1) >= key_at(n, i))
			return err_set(e, -EUCLEAN, "btree node %" PRIu64 ": keys out of order at %u",
				       nr, i);
	return 0;
}

const struct bm_validator btree_validator = {
	.name = "btree node",
	.salt = BTREE_CSUM_XOR,
	.prepare = bm_prepare_std,
	.check = node_check,
};

/* A leaf must carry this tree's values. */
static int check_shape(const struct btree_info *info, const uint8_t *n, uint64_t b)
{
	if (n_leaf(n) && n_vsize(n) != info->vt.size)
		return -EUCLEAN;
	(void)b;
	return 0;
}

static int read_node(struct btree_info *info, uint64_t b, struct bm_block **out)
{
	int r = tm_read_lock(info->tm, b, &btree_validator, out);

	if (r == 0 && check_shape(info, bm_block_data(*out), b) < 0) {
		tm_unlock(info->tm, *out);
		r = -EUCLEAN;
	}
	return r;
}

/* read_node of a node @depth levels below a root: a path longer than any
 * valid tree's is a cycle. */
static int read_node_at(struct btree_info *info, uint64_t b, unsigned depth, struct bm_block **out)
{
	if (depth >= BTREE_MAX_DEPTH)
		return -EUCLEAN;
	return read_node(info, b, out);
}

static int inc_children(struct btree_info *info, uint8_t *n)
{
	int r = 0;

	for (uint32_t i = 0; i < n_nr(n) && r == 0; i++) {
		if (!n_leaf(n))
			r = tm_inc(info->tm, child_at(n, i));
		else if (info->vt.inc)
			r = info->vt.inc(info->vt.ctx, val_ptr(n, i));
	}
	return r;
}

static int shadow_node(struct btree_info *info, uint64_t b, struct bm_block **out)
{
	bool inc;
	int r = tm_shadow_block(info->tm, b, &btree_validator, out, &inc);

	if (r < 0)
		return r;
	r = check_shape(info, bm_block_data(*out), b);
	if (r == 0 && inc)
		r = inc_children(info, bm_block_data(*out));
	if (r < 0)
		tm_unlock(info->tm, *out);
	return r;
}

int btree_empty(struct btree_info *info, uint64_t *root)
{
	struct bm_block *b;
	int r;

	if (info->vt.size == 0 || info->vt.size > BTREE_MAX_VALUE_SIZE)
		return -EINVAL;
	r = tm_new_block(info->tm, &btree_validator, &b);
	if (r < 0)
		return r;
	init_node(bm_block_data(b), BTREE_LEAF_NODE, info->vt.size);
	*root = bm_block_nr(b);
	tm_unlock(info->tm, b);
	return 0;
}

/* ---- lookup ---- */

int btree_lookup(struct btree_info *info, uint64_t root, uint64_t key, void *value)
{
	uint64_t b = root;

	for (int depth = 0; depth < BTREE_MAX_DEPTH; depth++) {
		struct bm_block *nb;
		uint8_t *n;
		int64_t i;
		int r = read_node(info, b, &nb);

		if (r < 0)
			return r;
		n = bm_block_data(nb);
		i = lower_bound(n, key);
		if (n_leaf(n)) {
			r = -ENODATA;
			if (i >= 0 && key_at(n, (uint32_t)i) == key) {
				memcpy(value, val_ptr(n, (uint32_t)i), info->vt.size);
				r = 0;
			}
			tm_unlock(info->tm, nb);
			return r;
		}
		if (i < 0) {
			tm_unlock(info->tm, nb);
			return -ENODATA;
		}
		b = child_at(n, (uint32_t)i);
		tm_unlock(info->tm, nb);
	}
	return -EUCLEAN;
}

int btree_find_highest(struct btree_info *info, uint64_t root, uint64_t *key)
{
	uint64_t b = root;

	for (unsigned depth = 0; depth < BTREE_MAX_DEPTH; depth++) {
		struct bm_block *nb;
		uint8_t *n;
		uint32_t nr;
		int r = read_node_at(info, b, depth, &nb);

		if (r < 0)
			return r;
		n = bm_block_data(nb);
		nr = n_nr(n);
		if (nr == 0) {
			tm_unlock(info->tm, nb);
			return -ENODATA;
		}
		if (n_leaf(n)) {
			*key = key_at(n, nr - 1);
			tm_unlock(info->tm, nb);
			return 0;
		}
		b = child_at(n, nr - 1);
		tm_unlock(info->tm, nb);
	}
	return -EUCLEAN;
}

static int next_rec(struct btree_info *info, uint64_t b, uint64_t key, uint64_t *found,
		    void *value, unsigned depth)
{
	struct bm_block *nb;
	uint8_t *n;
	int64_t i;
	int r;

	r = read_node_at(info, b, depth, &nb);
	if (r < 0)
		return r;
	n = bm_block_data(nb);
	i = lower_bound(n, key);
	r = -ENODATA;
	if (n_leaf(n)) {
		if (i < 0 || key_at(n, (uint32_t)i) != key)
			i++;
		if (i < n_nr(n)) {
			*found = key_at(n, (uint32_t)i);
			memcpy(value, val_ptr(n, (uint32_t)i), info->vt.size);
			r = 0;
		}
	} else {
		if (i < 0)
			i = 0;
		for (; i < n_nr(n) && r == -ENODATA; i++)
			r = next_rec(info, child_at(n, (uint32_t)i), key, found, value, depth + 1);
	}
	tm_unlock(info->tm, nb);
	return r;
}

int btree_lookup_next(struct btree_info *info, uint64_t root, uint64_t key, uint64_t *found,
		      void *value)
{
	return next_rec(info, root, key, found, value, 0);
}

/* ---- insert ---- */

struct split {
	bool happened;
	uint64_t right;
	uint64_t right_key;
};

/* Put (key, value) at @pos of the write-locked node; a full node is split
 * in two halves first and the new right sibling reported in @sp. */
static int node_insert_at(struct btree_info *info, struct bm_block *nb, uint32_t pos,
			  uint64_t key, const uint8_t *value, struct split *sp)
{
	uint8_t *n = bm_block_data(nb), *rn;
	uint32_t nr = n_nr(n), mid;
	struct bm_block *rb;
	int r;

	sp->happened = false;
	if (nr < n_max(n)) {
		raw_insert(n, pos, key, value);
		return 0;
	}
	r = tm_new_block(info->tm, &btree_validator, &rb);
	if (r < 0)
		return r;
	rn = bm_block_data(rb);
	memcpy(rn, n, BTREE_NODE_HEADER_SIZE);   /* same flags, max, value size */
	mid = nr / 2;
	copy_entries(rn, 0, n, mid, nr - mid);
	set_nr(rn, nr - mid);
	memset(key_ptr(n, mid), 0, 8 * (nr - mid));
	memset(val_ptr(n, mid), 0, n_vsize(n) * (nr - mid));
	set_nr(n, mid);
	if (pos <= mid)
		raw_insert(n, pos, key, value);
	else
		raw_insert(rn, pos - mid, key, value);
	sp->happened = true;
	sp->right = bm_block_nr(rb);
	sp->right_key = key_at(rn, 0);
	tm_unlock(info->tm, rb);
	return 0;
}

static int insert_rec(struct btree_info *info, struct bm_block *nb, uint64_t key,
		      const uint8_t *value, int depth, bool *inserted, struct split *sp)
{
	uint8_t *n = bm_block_data(nb), child[8];
	struct bm_block *cb;
	struct split csp;
	int64_t i = lower_bound(n, key);
	int r;

	if (n_leaf(n)) {
		if (i >= 0 && key_at(n, (uint32_t)i) == key) {
			uint8_t *old = val_ptr(n, (uint32_t)i);

			sp->happened = false;
			*inserted = false;
			if (memcmp(old, value, info->vt.size) && info->vt.dec) {
				r = info->vt.dec(info->vt.ctx, old);
				if (r < 0)
					return r;
			}
			memcpy(old, value, info->vt.size);
			return 0;
		}
		*inserted = true;
		return node_insert_at(info, nb, (uint32_t)(i + 1), key, value, sp);
	}

	if (depth >= BTREE_MAX_DEPTH || n_nr(n) == 0)
		return -EUCLEAN;
	if (i < 0) {
		i = 0;
		le64_put(key_ptr(n, 0), key);
	}
	r = shadow_node(info, child_at(n, (uint32_t)i), &cb);
	if (r < 0)
		return r;
	le64_put(val_ptr(n, (uint32_t)i), bm_block_nr(cb));
	r = insert_rec(info, cb, key, value, depth + 1, inserted, &csp);
	tm_unlock(info->tm, cb);
	if (r < 0)
		return r;
	if (!csp.happened) {
		sp->happened = false;
		return 0;
	}
	le64_put(child, csp.right);
	return node_insert_at(info, nb, (uint32_t)(i + 1), csp.right_key, child, sp);
}

int btree_insert(struct btree_info *info, uint64_t root, uint64_t key, const void *value,
		 uint64_t *new_root, bool *inserted)
{
	struct bm_block *rb, *nb;
	struct split sp;
	bool ins = false;
	uint8_t *n;
	int r;

	r = shadow_node(info, root, &rb);
	if (r < 0)
		return r;
	r = insert_rec(info, rb, key, value, 0, &ins, &sp);
	if (r == 0 && sp.happened) {
		r = tm_new_block(info->tm, &btree_validator, &nb);
		if (r == 0) {
			uint8_t child[8];

			n = bm_block_data(nb);
			init_node(n, BTREE_INTERNAL_NODE, 8);
			le64_put(child, bm_block_nr(rb));
			raw_insert(n, 0, key_at(bm_block_data(rb), 0), child);
			le64_put(child, sp.right);
			raw_insert(n, 1, sp.right_key, child);
			*new_root = bm_block_nr(nb);
			tm_unlock(info->tm, nb);
		}
	} else {
		*new_root = bm_block_nr(rb);
	}
	tm_unlock(info->tm, rb);
	if (r == 0 && inserted)
		*inserted = ins;
	return r;
}

/* ---- remove ---- */

/* Children li and li+1 of @n are shadowed and locked as @lb and @rb; one
 * of them is underfull.  Merge them if the result is at most two thirds
 * full, else share their entries evenly (each then holds at least a
 * third). */
static int rebalance2(struct btree_info *info, uint8_t *n, uint32_t li, struct bm_block *lb,
		      struct bm_block *rb)
{
	uint8_t *l = bm_block_data(lb), *rn = bm_block_data(rb);
	uint32_t nl = n_nr(l), nrr = n_nr(rn), target;

	if (n_flags(l) != n_flags(rn) || n_vsize(l) != n_vsize(rn) || n_max(l) != n_max(rn))
		return -EUCLEAN;
	/* The kernel's threshold (dm-btree-remove.c: __rebalance2): merge
	 * only into a node at most two thirds full, so that the next insert
	 * does not split it straight away. */
	if (nl + nrr < 2 * (n_max(l) / 3) + 1) {
		copy_entries(l, nl, rn, 0, nrr);
		set_nr(l, nl + nrr);
		raw_delete(n, li + 1);
		/* The right node's references moved to the left one: drop
		 * only the node itself. */
		return tm_dec(info->tm, bm_block_nr(rb));
	}
	target = (nl + nrr) / 2;
	if (nl < target) {
		uint32_t m = target - nl;

		copy_entries(l, nl, rn, 0, m);
		copy_entries(rn, 0, rn, m, nrr - m);
		set_nr(l, target);
		set_nr(rn, nrr - m);
	} else if (nl > target) {
		uint32_t m = nl - target;

		copy_entries(rn, m, rn, 0, nrr);
		copy_entries(rn, 0, l, target, m);
		set_nr(l, target);
		set_nr(rn, nrr + m);
	}
	le64_put(key_ptr(n, li + 1), key_at(rn, 0));
	return 0;
}

static int remove_rec(struct btree_info *info, struct bm_block *nb, uint64_t key, int depth)
{
	uint8_t *n = bm_block_data(nb);
	struct bm_block *cb, *sb = NULL;
	int64_t i = lower_bound(n, key);
	uint32_t ci;
	int r;

	if (n_leaf(n)) {
		if (i < 0 || key_at(n, (uint32_t)i) != key)
			return -ENODATA;
		if (info->vt.dec) {
			r = info->vt.dec(info->vt.ctx, val_ptr(n, (uint32_t)i));
			if (r < 0)
				return r;
		}
		raw_delete(n, (uint32_t)i);
		return 0;
	}
	if (depth >= BTREE_MAX_DEPTH || i < 0)
		return i < 0 ? -ENODATA : -EUCLEAN;
	ci = (uint32_t)i;
	r = shadow_node(info, child_at(n, ci), &cb);
	if (r < 0)
		return r;
	le64_put(val_ptr(n, ci), bm_block_nr(cb));
	r = remove_rec(info, cb, key, depth + 1);
	if (r < 0 || n_nr(bm_block_data(cb)) >= n_max(bm_block_data(cb)) / 3 || n_nr(n) < 2) {
		tm_unlock(info->tm, cb);
		return r;
	}
	if (ci + 1 < n_nr(n)) {
		r = shadow_node(info, child_at(n, ci + 1), &sb);
		if (r < 0) {
			sb = NULL;
		} else {
			le64_put(val_ptr(n, ci + 1), bm_block_nr(sb));
			r = rebalance2(info, n, ci, cb, sb);
		}
	} else {
		r = shadow_node(info, child_at(n, ci - 1), &sb);
		if (r < 0) {
			sb = NULL;
		} else {
			le64_put(val_ptr(n, ci - 1), bm_block_nr(sb));
			r = rebalance2(info, n, ci - 1, sb, cb);
		}
	}
	if (sb)
		tm_unlock(info->tm, sb);
	tm_unlock(info->tm, cb);
	return r;
}

int btree_remove(struct btree_info *info, uint64_t root, uint64_t key, uint64_t *new_root)
{
	uint8_t value[BTREE_MAX_VALUE_SIZE];
	struct bm_block *rb;
	uint8_t *n;
	int r;

	/* Look first, so a missing key changes nothing on disk. */
	r = btree_lookup(info, root, key, value);
	if (r < 0)
		return r;
	r = shadow_node(info, root, &rb);
	if (r < 0)
		return r;
	r = remove_rec(info, rb, key, 0);
	*new_root = bm_block_nr(rb);
	n = bm_block_data(rb);
	/* A root left with one child hands its place to that child. */
	for (unsigned depth = 0; r == 0 && !n_leaf(n) && n_nr(n) == 1; depth++) {
		uint64_t child = child_at(n, 0);

		tm_unlock(info->tm, rb);
		r = tm_dec(info->tm, *new_root);
		if (r < 0)
			return r;
		*new_root = child;
		r = read_node_at(info, child, depth, &rb);
		if (r < 0)
			return r;
		n = bm_block_data(rb);
	}
	tm_unlock(info->tm, rb);
	return r;
}

/* ---- delete a whole tree ---- */

static int del_rec(struct btree_info *info, uint64_t b, int depth)
{
	struct bm_block *nb;
	uint32_t count;
	uint8_t *n;
	int r;

	if (depth >= BTREE_MAX_DEPTH)
		return -EUCLEAN;
	r = tm_ref(info->tm, b, &count);
	if (r < 0)
		return r;
	if (count == 0)
		return -EUCLEAN;
	if (count > 1)
		return tm_dec(info->tm, b);
	r = read_node(info, b, &nb);
	if (r < 0)
		return r;
	n = bm_block_data(nb);
	for (uint32_t i = 0; i < n_nr(n) && r == 0; i++) {
		if (!n_leaf(n))
			r = del_rec(info, child_at(n, i), depth + 1);
		else if (info->vt.dec)
			r = info->vt.dec(info->vt.ctx, val_ptr(n, i));
	}
	tm_unlock(info->tm, nb);
	return r < 0 ? r : tm_dec(info->tm, b);
}

int btree_del(struct btree_info *info, uint64_t root)
{
	return del_rec(info, root, 0);
}

/* ---- walks ---- */

struct walk {
	struct btree_info *info;
	btree_walk_fn fn;
	btree_node_fn node_fn;
	void *opaque;
	bool have_last;
	uint64_t last;
};

/* @lo: every key here must be >= lo (the parent's key for this child). */
static int walk_rec(struct walk *w, uint64_t b, unsigned depth, uint64_t lo)
{
	struct btree_info *info = w->info;
	struct bm_block *nb;
	uint8_t *n;
	uint32_t nr;
	int r;

	r = read_node_at(info, b, depth, &nb);
	if (r < 0)
		return r;
	n = bm_block_data(nb);
	nr = n_nr(n);
	if ((depth > 0 && nr == 0) || (nr && key_at(n, 0) < lo) ||
	    (nr && w->have_last && n_leaf(n) && key_at(n, 0) <= w->last)) {
		tm_unlock(info->tm, nb);
		return -EUCLEAN;
	}
	if (w->node_fn)
		r = w->node_fn(w->opaque, b, depth, n_leaf(n), nr, n_max(n));
	for (uint32_t i = 0; i < nr && r == 0; i++) {
		if (!n_leaf(n)) {
			r = walk_rec(w, child_at(n, i), depth + 1, key_at(n, i));
		} else {
			if (w->fn)
				r = w->fn(w->opaque, key_at(n, i), val_ptr(n, i));
			w->have_last = true;
			w->last = key_at(n, i);
		}
	}
	tm_unlock(info->tm, nb);
	return r;
}

int btree_walk(struct btree_info *info, uint64_t root, btree_walk_fn fn, void *opaque)
{
	struct walk w = { .info = info, .fn = fn, .opaque = opaque };
	int r = walk_rec(&w, root, 0, 0);

	return r > 0 ? 0 : r;
}

int btree_walk_nodes(struct btree_info *info, uint64_t root, btree_node_fn fn, void *opaque)
{
	struct walk w = { .info = info, .node_fn = fn, .opaque = opaque };
	int r = walk_rec(&w, root, 0, 0);

	return r > 0 ? 0 : r;
}

/* ---- diff of two trees ----
 *
 * Two cursors walk the trees in key order.  The head of a cursor is either
 * a leaf entry or a whole subtree not yet opened (a child pointer, with
 * its parent key as a lower bound of every key below it).  When both heads
 * are the same block, the two trees share that subtree from there on: it
 * holds the same entries and nothing else before the next head, so both
 * cursors step over it unread.  Otherwise the cursor whose head is a
 * subtree is opened, the taller one first, so that both trees descend to
 * the level where a shared node can show up; entries are merged by key.
 */

struct diff_frame {
	struct bm_block *b;
	uint8_t *n;
	uint32_t i;
	unsigned height; /* 0: a leaf */
};

struct diff_cursor {
	struct btree_info *info;
	int top; /* -1: done */
	struct diff_frame f[BTREE_MAX_DEPTH];
};

enum diff_head { DH_END, DH_SUB, DH_ENTRY };

struct diff_item {
	enum diff_head kind;
	uint64_t key;   /* the entry's key, or the subtree's lower bound */
	uint64_t block; /* DH_SUB */
	unsigned height;
	uint8_t *value; /* DH_ENTRY */
};

static void dc_step(struct diff_cursor *c)
{
	if (c->top < 0)
		return;
	c->f[c->top].i++;
	while (c->top >= 0 && c->f[c->top].i >= n_nr(c->f[c->top].n)) {
		tm_unlock(c->info->tm, c->f[c->top].b);
		if (--c->top >= 0)
			c->f[c->top].i++;
	}
}

static int dc_push(struct diff_cursor *c, uint64_t block, unsigned height)
{
	struct diff_frame *f;
	int r;

	if (c->top + 1 >= BTREE_MAX_DEPTH)
		return -EUCLEAN;
	f = &c->f[c->top + 1];
	r = read_node(c->info, block, &f->b);
	if (r < 0)
		return r;
	f->n = bm_block_data(f->b);
	f->i = 0;
	f->height = height;
	if (n_leaf(f->n) != (height == 0) || (c->top >= 0 && n_nr(f->n) == 0)) {
		tm_unlock(c->info->tm, f->b);
		return -EUCLEAN;
	}
	if (n_nr(f->n) == 0) /* an empty tree (only a root may be empty) */
		tm_unlock(c->info->tm, f->b);
	else
		c->top++;
	return 0;
}

static void dc_release(struct diff_cursor *c)
{
	for (; c->top >= 0; c->top--)
		tm_unlock(c->info->tm, c->f[c->top].b);
}

/* The height of the tree at @root: its leftmost path. */
static int tree_height(struct btree_info *info, uint64_t root, unsigned *height)
{
	struct bm_block *nb;
	unsigned h = 0;
	uint64_t b = root;

	for (;;) {
		int r = read_node(info, b, &nb);
		uint8_t *n;

		if (r < 0)
			return r;
		n = bm_block_data(nb);
		if (n_leaf(n) || n_nr(n) == 0) {
			tm_unlock(info->tm, nb);
			break;
		}
		b = child_at(n, 0);
		tm_unlock(info->tm, nb);
		if (++h >= BTREE_MAX_DEPTH)
			return -EUCLEAN;
	}
	/* Heights count down from the root: the root is @h above its leaves. */
	*height = h;
	return 0;
}

static void dc_head(const struct diff_cursor *c, struct diff_item *it)
{
	const struct diff_frame *f;

	if (c->top < 0) {
		it->kind = DH_END;
		return;
	}
	f = &c->f[c->top];
	it->key = key_at(f->n, f->i);
	if (f->height == 0) {
		it->kind = DH_ENTRY;
		it->value = val_ptr(f->n, f->i);
	} else {
		it->kind = DH_SUB;
		it->block = child_at(f->n, f->i);
		it->height = f->height - 1;
	}
}

/* Should the subtree @s be opened before @o (the other cursor's head)? */
static bool open_first(const struct diff_item *s, const struct diff_item *o)
{
	if (s->kind != DH_SUB)
		return false;
	if (o->kind == DH_END)
		return true;
	if (o->kind == DH_ENTRY)
		return s->key <= o->key;
	if (s->height != o->height)
		return s->height > o->height;
	return s->key <= o->key;
}

struct shared_walk {
	btree_diff_fn fn;
	void *opaque;
};

static int shared_entry(void *opaque, uint64_t key, const uint8_t *value)
{
	struct shared_walk *s = opaque;

	return s->fn(s->opaque, key, value, value);
}

int btree_diff(struct btree_info *info, uint64_t root_a, uint64_t root_b, bool all,
	       btree_diff_fn fn, void *opaque)
{
	struct diff_cursor a = { .info = info, .top = -1 }, b = { .info = info, .top = -1 };
	struct shared_walk sw = { fn, opaque };
	unsigned ha, hb;
	int r;

	if (root_a == root_b) {
		if (!all)
			return 0;
		return btree_walk(info, root_a, shared_entry, &sw);
	}
	r = tree_height(info, root_a, &ha);
	if (r == 0)
		r = tree_height(info, root_b, &hb);
	if (r == 0)
		r = dc_push(&a, root_a, ha);
	if (r == 0)
		r = dc_push(&b, root_b, hb);
	while (r == 0) {
		struct diff_item x, y;

		dc_head(&a, &x);
		dc_head(&b, &y);
		if (x.kind == DH_END && y.kind == DH_END)
			break;
		if (x.kind == DH_SUB && y.kind == DH_SUB && x.block == y.block) {
			if (all) {
				struct walk w = { .info = info, .fn = shared_entry, .opaque = &sw };

				r = walk_rec(&w, x.block, (unsigned)a.top + 1, x.key);
			}
			dc_step(&a);
			dc_step(&b);
		} else if (open_first(&x, &y)) {
			r = dc_push(&a, x.block, x.height);
		} else if (open_first(&y, &x)) {
			r = dc_push(&b, y.block, y.height);
		} else if (x.kind == DH_ENTRY && y.kind == DH_ENTRY && x.key == y.key) {
			r = fn(opaque, x.key, x.value, y.value);
			dc_step(&a);
			dc_step(&b);
		} else if (x.kind == DH_ENTRY && (y.kind != DH_ENTRY || x.key < y.key)) {
			/* y is past x: the end, a later entry, or a subtree above x.key */
			r = fn(opaque, x.key, x.value, NULL);
			dc_step(&a);
		} else {
			r = fn(opaque, y.key, NULL, y.value);
			dc_step(&b);
		}
	}
	dc_release(&a);
	dc_release(&b);
	return r > 0 ? 0 : r;
}
