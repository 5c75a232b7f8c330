/* dm-array: a fixed-size array of small values in 4 KiB array blocks,
 * indexed by a btree of le64 block numbers (the kernel's
 * persistent-data/dm-array.c), and dm-bitset on top of it (an array of
 * le64 words, bit i in word i / 64).  dm-cache keeps its mappings, hints,
 * dirty and discard bits in them.
 *
 * Array block (salt 595846735):
 *   off  size  field
 *   0    4     le32 csum         crc32c(~0, bytes 4..4095) ^ salt
 *   4    4     le32 max_entries  (4096 - 24) / value_size
 *   8    4     le32 nr_entries   max_entries, except in the last block
 *   12   4     le32 value_size
 *   16   8     le64 blocknr
 *   24         values, value_size each
 *
 * The btree maps block index (0, 1, ...) to the array block's location;
 * every array block is one metadata reference.  Updates are copy-on-write
 * like the btree's: a set shadows the array block and, if that moved it,
 * points the btree at the copy.  Values are plain bytes (no references).
 */
#ifndef ULVM_PDATA_ARRAY_H
#define ULVM_PDATA_ARRAY_H

#include <stdbool.h>
#include <stdint.h>

#include "pdata/btree.h"

#define ARRAY_CSUM_XOR 595846735u
#define ARRAY_BLOCK_HEADER_SIZE 24u
#define ARRAY_MAX_VALUE_SIZE 64u

extern const struct bm_validator array_validator;

struct array_info {
	struct btree_info btree; /* le64 block locations */
	uint32_t value_size;
	uint32_t max_entries;
};

void array_info_init(struct array_info *a, struct tm *tm, uint32_t value_size);

int array_empty(struct array_info *a, uint64_t *root);
/* A new array of @n entries, entry i being fn(ctx, i, value). */
typedef int (*array_value_fn)(void *ctx, uint64_t index, uint8_t *value);
int array_new(struct array_info *a, uint64_t n, array_value_fn fn, void *ctx, uint64_t *root);
/* Grow from @old_n to @new_n entries, new ones equal to @value; shrinking
 * drops the entries past @new_n. */
int array_resize(struct array_info *a, uint64_t root, uint64_t old_n, uint64_t new_n,
		 const void *value, uint64_t *new_root);
/* Drop the array (its btree and every array block no one else holds). */
int array_del(struct array_info *a, uint64_t root);

int array_get(struct array_info *a, uint64_t root, uint64_t index, void *value);
int array_set(struct array_info *a, uint64_t root, uint64_t index, const void *value,
	      uint64_t *new_root);

/* Every entry in order: fn(ctx, index, value); 0 goes on, != 0 stops
 * with it.  The entries must number @n (the caller's count), else -EUCLEAN. */
typedef int (*array_walk_fn)(void *ctx, uint64_t index, const uint8_t *value);
int array_walk(struct array_info *a, uint64_t root, uint64_t n, array_walk_fn fn, void *ctx);

/* dm-bitset: @nr_bits bits from a bit array (bit i of word i / 64). */
int bitset_new(struct array_info *a, uint64_t nr_bits, const uint64_t *bits, uint64_t *root);
int bitset_load(struct array_info *a, uint64_t root, uint64_t nr_bits, uint64_t *bits);

#endif
