/* libFuzzer: thin-pool metadata decoding (src/thin, src/pdata).  The input
 * is a metadata device (4 KiB blocks).  Whatever it holds, opening it,
 * walking every tree and making a few updates must either work or fail
 * with an error: corrupt blocks are refused, never followed.
 *
 * Inputs of odd length get valid checksums and blocknr fields first (see
 * fix_checksums for how a block's type is guessed), so the fuzzer gets
 * past the checksums to the structure behind them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pdata/block_manager.h"
#include "pdata_image.h"
#include "pdata/btree.h"
#include "pdata/sm_format.h"
#include "thin/thin_metadata.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Which salt a block gets: the superblock (and the held copy it names)
 * and the metadata index block (and the bitmaps it lists) are found
 * from the superblock; any other block with btree flags is a node, and
 * the rest are taken for bitmaps. */
static void fix_checksums(uint8_t *img, size_t nblocks)
{
	uint32_t *salt = calloc(nblocks, sizeof(*salt));
	uint64_t held = le64_get(img + 0x38), index = le64_get(img + 0xC0 + 16);

	if (!salt)
		return;
	for (size_t i = 0; i < nblocks; i++) {
		uint32_t flags = le32_get(img + i * BM_BLOCK_SIZE + 4);

		salt[i] = flags == BTREE_INTERNAL_NODE || flags == BTREE_LEAF_NODE ?
			  BTREE_CSUM_XOR : SM_BITMAP_CSUM_XOR;
	}
	if (index && index < nblocks) {
		salt[index] = SM_INDEX_CSUM_XOR;
		for (size_t k = 0; k < SM_MAX_METADATA_BITMAPS; k++) {
			uint64_t b = le64_get(img + index * BM_BLOCK_SIZE + SM_HEADER_SIZE + 16 * k);

			if (b && b < nblocks && b != index)
				salt[b] = SM_BITMAP_CSUM_XOR;
		}
	}
	salt[0] = THIN_SUPERBLOCK_CSUM_XOR;
	if (held && held < nblocks)
		salt[held] = THIN_SUPERBLOCK_CSUM_XOR;
	for (size_t i = 0; i < nblocks; i++) {
		uint8_t *b = img + i * BM_BLOCK_SIZE;

		if (salt[i] == THIN_SUPERBLOCK_CSUM_XOR)
			le64_put(b + 0x20, THIN_SUPERBLOCK_MAGIC);
		le64_put(b + 8, i);
		le32_put(b, bm_checksum(b, salt[i]));
	}
	free(salt);
}

static int count_map(void *opaque, uint64_t vblock, uint64_t data_block, uint32_t time)
{
	(void)vblock;
	(void)data_block;
	(void)time;
	(*(uint64_t *)opaque)++;
	return 0;
}

struct walk {
	struct thin_meta *t;
	uint64_t first;
	uint64_t n;
};

static int each_dev(void *opaque, const struct thin_dev_info *d)
{
	struct walk *w = opaque;
	uint64_t n = 0;

	if (!w->n++)
		w->first = d->id;
	thin_meta_walk(w->t, d->id, count_map, &n);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct thin_meta *t;
	struct err e = { { 0 } };
	struct thin_mapping m;
	struct walk w = { 0 };
	struct dev *dev;
	uint64_t b;

	if (!(dev = pdata_image(data, size, fix_checksums)))
		return 0;
	if (thin_meta_open(dev, 0, NULL, &t, &e) == 0) {
		w.t = t;
		thin_meta_check(t, &e);
		thin_meta_list_devs(t, each_dev, &w);
		thin_meta_lookup(t, w.first, 0, &m);
		/* updates on whatever was read: errors are fine, crashes not */
		if (thin_meta_create_thin(t, 1000, &e) == 0 &&
		    thin_meta_alloc_data_block(t, &b, &e) == 0)
			thin_meta_insert(t, 1000, 5, b, &e);
		if (w.n) {
			thin_meta_remove(t, w.first, 0, &e);
			thin_meta_create_snap(t, 1001, w.first, &e);
			thin_meta_delete(t, w.first, &e);
		}
		thin_meta_commit(t, &e);
		thin_meta_close(t);
	} else if (!e.msg[0]) {
		abort();   /* every refusal says why */
	}
	dev_put(dev);
	return 0;
}
