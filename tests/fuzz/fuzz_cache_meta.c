/* libFuzzer: dm-cache metadata decoding (src/targets/cache/cache_meta.c,
 * src/pdata/array.c).  The input is a metadata device (4 KiB blocks).
 * Whatever it holds, opening it, loading every mapping and making the
 * updates a cache makes (insert, remove, resize, the clean-shutdown
 * writes, commit) must either work or fail with an error that says why.
 *
 * Inputs of odd length get valid checksums and blocknr fields first
 * (the block's type guessed from its header), so the fuzzer gets past
 * the checksums to the structure behind them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/le.h"
#include "pdata/array.h"
#include "pdata/block_manager.h"
#include "pdata_image.h"
#include "pdata/btree.h"
#include "pdata/sm_format.h"
#include "targets/cache/cache_meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fix_checksums(uint8_t *img, size_t nblocks)
{
	uint64_t index = le64_get(img + 0x40 + 16);

	for (size_t i = 0; i < nblocks; i++) {
		uint8_t *b = img + i * BM_BLOCK_SIZE;
		uint32_t flags = le32_get(b + 4), vsize = le32_get(b + 12);
		uint32_t salt = SM_BITMAP_CSUM_XOR;

		if (i == 0) {
			le64_put(b + 0x20, CACHE_SUPERBLOCK_MAGIC);
			salt = CACHE_SUPERBLOCK_CSUM_XOR;
		} else if (i == index) {
			salt = SM_INDEX_CSUM_XOR;
		} else if ((vsize == 4 || vsize == 8) && flags == (BM_BLOCK_SIZE - 24) / vsize) {
			le64_put(b + 16, i);
			le32_put(b, bm_checksum(b, ARRAY_CSUM_XOR));
			continue;
		} else if (flags == BTREE_INTERNAL_NODE || flags == BTREE_LEAF_NODE) {
			salt = BTREE_CSUM_XOR;
		}
		le64_put(b + 8, i);
		le32_put(b, bm_checksum(b, salt));
	}
}

static int count(void *ctx, uint32_t cb, uint64_t ob, bool dirty, uint32_t hint, bool valid)
{
	(void)cb, (void)ob, (void)dirty, (void)hint, (void)valid;
	(*(uint32_t *)ctx)++;
	return 0;
}

static uint32_t hint(void *ctx, uint32_t cb)
{
	(void)ctx;
	return cb % 8;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct cache_policy_id smq = { "smq", { 2, 0, 0 }, 4 };
	struct cache_meta *m;
	struct err e = { { 0 } };
	struct dev *dev;
	uint32_t n = 0, bs = 128;

	if (!(dev = pdata_image(data, size, fix_checksums)))
		return 0;
	if (size >= 0xEC)
		bs = le32_get(data + 0xE8);
	if (cache_meta_open(dev, bs, 2, &m, &e) == 0) {
		uint32_t nc = cache_meta_cache_blocks(m);
		uint64_t bits[4] = { 0x5, 0, 0, 0 };

		cache_meta_load(m, &smq, count, &n, &e);
		/* updates on whatever was read: errors are fine, crashes not */
		if (nc > 200 || cache_meta_resize(m, nc + 3, &e) == 0) {
			cache_meta_insert(m, 0, 7, &e);
			cache_meta_remove(m, 1, &e);
			if (cache_meta_cache_blocks(m) <= 256)
				cache_meta_write_dirty(m, bits, &e);
			cache_meta_write_hints(m, &smq, hint, NULL, &e);
			cache_meta_write_discards(m, 128, 40, &e);
		}
		cache_meta_commit(m, true, &e);
		cache_meta_close(m);
	} else if (!e.msg[0]) {
		abort(); /* every refusal says why */
	}
	dev_put(dev);
	return 0;
}
