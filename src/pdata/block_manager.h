/* Block manager: 4 KiB metadata blocks over a struct dev, with checksums
 * and a bounded cache.
 *
 * Every checksummed block starts with the same 16 bytes:
 *
 *   off  size  field
 *   0    4     le32 csum     crc32c(~0, bytes 4..4095) ^ salt of the type
 *   4    4     le32 flags    (type specific)
 *   8    8     le64 blocknr  where the block lives; checked on read
 *
 * A validator knows one block type: check() on every read from the
 * device, prepare() (blocknr + csum) on every write to it.  A block read
 * with one validator and then asked for with another is refused, as the
 * kernel does.
 *
 * Locking follows a single-writer design: any number of read locks, write
 * locks only by the one writer (the transaction manager), and a block held
 * by anyone is never evicted.  The cache keeps up to cache_blocks blocks;
 * when full it evicts the least recently used unheld one, writing it first
 * if dirty.  That early write is safe because the transaction manager only
 * ever dirties blocks that the committed superblock does not reach (new or
 * shadow copies), except block 0, which it writes itself with bm_write_now.
 */
#ifndef ULVM_PDATA_BLOCK_MANAGER_H
#define ULVM_PDATA_BLOCK_MANAGER_H

#include <stdbool.h>
#include <stdint.h>

#include "common/log.h"
#include "io/dev.h"

#define BM_BLOCK_SIZE 4096u
#define BM_BLOCK_SHIFT 12
#define BM_DEFAULT_CACHE_BYTES (64u << 20)

struct bm;
struct bm_block;

struct bm_validator {
	const char *name;
	uint32_t salt;
	/* Set blocknr and csum just before the block goes to the device. */
	void (*prepare)(const struct bm_validator *v, uint8_t *data, uint64_t nr);
	/* 0 or -errno (-EILSEQ bad csum, -ENOTBLK wrong blocknr), reason in @e. */
	int (*check)(const struct bm_validator *v, const uint8_t *data, uint64_t nr, struct err *e);
};

/* The common prepare/check for blocks with the 16-byte header above. */
void bm_prepare_std(const struct bm_validator *v, uint8_t *data, uint64_t nr);
int bm_check_std(const struct bm_validator *v, const uint8_t *data, uint64_t nr, struct err *e);
uint32_t bm_checksum(const uint8_t *data, uint32_t salt);

/* Block @nr of @dev reads as all zeroes: a metadata device never
 * formatted (false too when it cannot be read). */
bool bm_dev_block_zero(struct dev *dev, uint64_t nr);

/* @cache_bytes 0 = BM_DEFAULT_CACHE_BYTES.  The bm takes a reference on @dev. */
int bm_create(struct dev *dev, uint64_t cache_bytes, struct bm **out);
/* Drops clean and dirty blocks alike: call bm_flush first to keep them. */
void bm_destroy(struct bm *bm);

uint64_t bm_nr_blocks(const struct bm *bm);
/* Re-read the device size (it grew: a metadata device was extended). */
void bm_update_size(struct bm *bm);
struct dev *bm_dev(const struct bm *bm);
/* The reason for the last failed lock or I/O (empty if none). */
const char *bm_last_error(const struct bm *bm);

int bm_read_lock(struct bm *bm, uint64_t nr, const struct bm_validator *v, struct bm_block **out);
int bm_write_lock(struct bm *bm, uint64_t nr, const struct bm_validator *v, struct bm_block **out);
/* Write lock without reading: the block starts zeroed. */
int bm_write_lock_zero(struct bm *bm, uint64_t nr, const struct bm_validator *v,
		       struct bm_block **out);
void bm_unlock(struct bm_block *b);

uint8_t *bm_block_data(struct bm_block *b);
uint64_t bm_block_nr(const struct bm_block *b);

/* Write every dirty block, then flush the device. */
int bm_flush(struct bm *bm);
/* Write one locked block now with @flags (DEV_FUA), bypassing the LRU. */
int bm_write_now(struct bm_block *b, unsigned flags);
/* Forget every cached block (after a failed transaction). */
void bm_drop_all(struct bm *bm);

/* Cache statistics, for tests. */
uint64_t bm_cached_blocks(const struct bm *bm);

#endif
