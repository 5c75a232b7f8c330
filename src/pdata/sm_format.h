/* On-disk structures shared by both space maps (dm-space-map-common.h).
 *
 * disk_sm_root (32 bytes, in a 128-byte superblock field, rest zero):
 *   0   le64 nr_blocks       blocks managed
 *   8   le64 nr_allocated    blocks with count > 0
 *   16  le64 bitmap_root     metadata: the index block; disk: index btree root
 *   24  le64 ref_count_root  overflow btree (key block, value le32 count)
 *
 * disk_index_entry (16 bytes; the index btree's value, or in the index block):
 *   0   le64 blocknr           bitmap block
 *   8   le32 nr_free           entries with count 0
 *   12  le32 none_free_before  allocator hint: no free entry below this
 *
 * Metadata index block (4096 bytes, salt 160478):
 *   0   le32 csum, 4 le32 padding, 8 le64 blocknr, 16 disk_index_entry[255]
 *
 * Bitmap block (4096 bytes, salt 240779):
 *   0   le32 csum, 4 le32 not_used, 8 le64 blocknr,
 *   16  4080 bytes = 16320 two-bit entries.  Entry i is bits 2i (worth 2)
 *       and 2i+1 (worth 1), little-endian bit numbering; 3 means "look in
 *       the overflow tree".
 */
#ifndef ULVM_PDATA_SM_FORMAT_H
#define ULVM_PDATA_SM_FORMAT_H

#include <assert.h>
#include <stdint.h>

#include "pdata/block_manager.h"
#include "common/le.h"

#define SM_ROOT_DISK_SIZE 32u
#define SM_INDEX_ENTRY_SIZE 16u
#define SM_HEADER_SIZE 16u
#define SM_ENTRIES_PER_BITMAP ((BM_BLOCK_SIZE - SM_HEADER_SIZE) * 4u) /* 16320 */
#define SM_MAX_METADATA_BITMAPS 255u
#define SM_METADATA_MAX_BLOCKS (255ull * (16384 - 64)) /* 4161600 */
#define SM_INDEX_CSUM_XOR 160478u
#define SM_BITMAP_CSUM_XOR 240779u

static_assert(SM_ENTRIES_PER_BITMAP == 16320, "two-bit entries per bitmap");
static_assert(SM_HEADER_SIZE + SM_MAX_METADATA_BITMAPS * SM_INDEX_ENTRY_SIZE == BM_BLOCK_SIZE,
	      "metadata index block size");

struct sm_root {
	uint64_t nr_blocks;
	uint64_t nr_allocated;
	uint64_t bitmap_root;
	uint64_t ref_count_root;
};

struct sm_index_entry {
	uint64_t blocknr;
	uint32_t nr_free;
	uint32_t none_free_before;
};

static inline void sm_root_decode(const uint8_t *p, struct sm_root *r)
{
	r->nr_blocks = le64_get(p);
	r->nr_allocated = le64_get(p + 8);
	r->bitmap_root = le64_get(p + 16);
	r->ref_count_root = le64_get(p + 24);
}

static inline void sm_root_encode(uint8_t *p, const struct sm_root *r)
{
	le64_put(p, r->nr_blocks);
	le64_put(p + 8, r->nr_allocated);
	le64_put(p + 16, r->bitmap_root);
	le64_put(p + 24, r->ref_count_root);
}

static inline void sm_index_entry_decode(const uint8_t *p, struct sm_index_entry *e)
{
	e->blocknr = le64_get(p);
	e->nr_free = le32_get(p + 8);
	e->none_free_before = le32_get(p + 12);
}

static inline void sm_index_entry_encode(uint8_t *p, const struct sm_index_entry *e)
{
	le64_put(p, e->blocknr);
	le32_put(p + 8, e->nr_free);
	le32_put(p + 12, e->none_free_before);
}

static inline unsigned sm_bitmap_get(const uint8_t *block, uint32_t i)
{
	unsigned byte = block[SM_HEADER_SIZE + i / 4] >> ((i % 4) * 2);

	return ((byte & 1) << 1) | ((byte >> 1) & 1);
}

static inline void sm_bitmap_set(uint8_t *block, uint32_t i, unsigned v)
{
	uint8_t *p = &block[SM_HEADER_SIZE + i / 4];
	unsigned shift = (i % 4) * 2;
	unsigned bits = ((v >> 1) & 1) | ((v & 1) << 1);

	*p = (uint8_t)((*p & ~(3u << shift)) | (bits << shift));
}

extern const struct bm_validator sm_index_validator;
extern const struct bm_validator sm_bitmap_validator;

#endif
