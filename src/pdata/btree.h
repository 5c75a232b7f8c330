/* B+tree of le64 keys in 4 KiB nodes, dm-btree compatible.
 *
 * Node layout (dm-btree-internal.h, salt 121107):
 *   off  size              field
 *   0    4                 le32 csum
 *   4    4                 le32 flags        1 internal, 2 leaf
 *   8    8                 le64 blocknr
 *   16   4                 le32 nr_entries
 *   20   4                 le32 max_entries  3 * floor(floor(4064 / (8 + vsize)) / 3)
 *   24   4                 le32 value_size   internal nodes: 8
 *   28   4                 le32 padding
 *   32   8 * max_entries   le64 keys, strictly ascending
 *   32 + 8 * max_entries   values, value_size each (after max, not nr, keys)
 *
 * An internal node's values are le64 child blocks; key[i] is <= every key
 * in child i.  An empty tree is one empty leaf.  Multi-level trees (thin
 * mappings) are trees whose leaf values are roots of other trees; the
 * caller composes them.
 *
 * Every update is copy-on-write through the transaction manager and
 * returns the new root.  A node is shared when its metadata count is > 1
 * (snapshots share subtrees); shadowing a shared node increments what it
 * points at: children for internal nodes, value_type.inc for leaf values.
 *
 * Fill rule: every node but the root holds at least max_entries / 3
 * entries (thin_check enforces it).  Insert splits a full node into two
 * halves.  Remove works bottom-up: when a child drops below a third it is
 * merged with a neighbour if together they hold at most two thirds of a
 * node (the kernel's merge threshold, 2 * (max / 3) + 1 exclusive),
 * otherwise the two share their entries evenly.  A root left with one
 * child is replaced by that child.  (The kernel rebalances top-down on
 * every descent, also across three siblings; the resulting trees obey the
 * same rule, which is all that readers and thin_check rely on.)
 *
 * Reads validate every node (checksum, blocknr, flags, sizes, key order,
 * depth) before following it, so corrupt metadata yields -EUCLEAN or
 * -EILSEQ, never a wild walk.
 */
#ifndef ULVM_PDATA_BTREE_H
#define ULVM_PDATA_BTREE_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include "pdata/transaction_manager.h"

#define BTREE_CSUM_XOR 121107u
#define BTREE_NODE_HEADER_SIZE 32u
#define BTREE_INTERNAL_NODE 1u
#define BTREE_LEAF_NODE 2u
#define BTREE_MAX_DEPTH 16
#define BTREE_MAX_VALUE_SIZE 64u

/* max_entries: a multiple of 3 (thin_check insists) that fits the block. */
#define BTREE_MAX_ENTRIES(value_size) \
	(3 * ((BM_BLOCK_SIZE - BTREE_NODE_HEADER_SIZE) / (8 + (value_size)) / 3))
static_assert(BTREE_MAX_ENTRIES(4) == 336, "overflow tree nodes");
static_assert(BTREE_MAX_ENTRIES(8) == 252, "internal and mapping nodes");
static_assert(BTREE_MAX_ENTRIES(16) == 168, "space map index nodes");
static_assert(BTREE_MAX_ENTRIES(24) == 126, "thin device details nodes");

extern const struct bm_validator btree_validator;

struct btree_value_type {
	uint32_t size;      /* bytes, 1..BTREE_MAX_VALUE_SIZE */
	void *ctx;
	/* One more (inc) or one fewer (dec) leaf refers to @value.  NULL: nothing to do. */
	int (*inc)(void *ctx, const uint8_t *value);
	int (*dec)(void *ctx, const uint8_t *value);
};

struct btree_info {
	struct tm *tm;
	struct btree_value_type vt;
};

uint32_t btree_max_entries(uint32_t value_size);

int btree_empty(struct btree_info *info, uint64_t *root);
/* 0 and the value, or -ENODATA. */
int btree_lookup(struct btree_info *info, uint64_t root, uint64_t key, void *value);
/* The first entry with key >= @key: 0, or -ENODATA if none. */
int btree_lookup_next(struct btree_info *info, uint64_t root, uint64_t key, uint64_t *found,
		      void *value);
/* The highest key, down the rightmost path: 0, or -ENODATA if empty. */
int btree_find_highest(struct btree_info *info, uint64_t root, uint64_t *key);
/* Insert or overwrite (an overwritten value that differs is dec'd).
 * @inserted (may be NULL): true if the key was new. */
int btree_insert(struct btree_info *info, uint64_t root, uint64_t key, const void *value,
		 uint64_t *new_root, bool *inserted);
/* -ENODATA if the key is absent.  The removed value is dec'd. */
int btree_remove(struct btree_info *info, uint64_t root, uint64_t key, uint64_t *new_root);
/* Drop this tree's reference to its root: nodes that reach count 0 are
 * freed and their children (or values) dec'd. */
int btree_del(struct btree_info *info, uint64_t root);

/* In key order.  fn returns 0 to go on, > 0 to stop, < 0 to abort with it. */
typedef int (*btree_walk_fn)(void *opaque, uint64_t key, const uint8_t *value);
int btree_walk(struct btree_info *info, uint64_t root, btree_walk_fn fn, void *opaque);

/* Visit every node (for checkers and tests): depth 0 is the root. */
typedef int (*btree_node_fn)(void *opaque, uint64_t block, unsigned depth, bool leaf,
			     uint32_t nr_entries, uint32_t max_entries);
int btree_walk_nodes(struct btree_info *info, uint64_t root, btree_node_fn fn, void *opaque);

/* Two trees of @info's value type, in key order: fn(key, va, vb) for every
 * key in either, va or vb NULL where the key is absent.  A subtree both
 * trees hold (the same block: shared since a snapshot) is stepped over
 * unread, unless @all, which visits its entries too (with va == vb): the
 * cost is then the size of the trees, else that of what differs.  fn
 * returns 0 to go on, > 0 to stop, < 0 to abort with it. */
typedef int (*btree_diff_fn)(void *opaque, uint64_t key, const uint8_t *va, const uint8_t *vb);
int btree_diff(struct btree_info *info, uint64_t root_a, uint64_t root_b, bool all,
	       btree_diff_fn fn, void *opaque);

#endif
