/* For the libFuzzer targets of persistent-data metadata (thin, cache):
 * the input as a metadata device of 4 KiB blocks in memory, at least 16
 * and at most PDATA_IMAGE_MAX_BLOCKS.  Inputs of odd length go through
 * @fix first (valid checksums and blocknr fields, the block types
 * guessed), so the fuzzer gets past the checksums to the structure
 * behind them.  NULL when the input is too big or memory is short. */
#ifndef ULVM_FUZZ_PDATA_IMAGE_H
#define ULVM_FUZZ_PDATA_IMAGE_H

#include <stdint.h>
#include <stdlib.h>

#include "io/dev.h"
#include "pdata/block_manager.h"

#define PDATA_IMAGE_MAX_BLOCKS 64

static inline struct dev *pdata_image(const uint8_t *data, size_t size,
				      void (*fix)(uint8_t *img, size_t nblocks))
{
	size_t nblocks = (size + BM_BLOCK_SIZE - 1) / BM_BLOCK_SIZE;
	struct dev *dev;

	if (nblocks > PDATA_IMAGE_MAX_BLOCKS)
		return NULL;
	if (nblocks < 16)
		nblocks = 16;
	if (dev_new_memory(nblocks * BM_BLOCK_SIZE, &dev))
		return NULL;
	dev_write(dev, data, size, 0, 0);
	if (size % 2) {
		uint8_t *img = calloc(nblocks, BM_BLOCK_SIZE);

		if (img) {
			dev_read(dev, img, nblocks * BM_BLOCK_SIZE, 0);
			fix(img, nblocks);
			dev_write(dev, img, nblocks * BM_BLOCK_SIZE, 0, 0);
			free(img);
		}
	}
	return dev;
}

#endif
