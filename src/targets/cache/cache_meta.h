/* dm-cache metadata (the kernel's dm-cache-metadata.c) over src/pdata.
 *
 * Superblock, block 0 (salt 9031977, 0x124 bytes used, rest zero):
 *   0x000 csum  0x004 flags (1 CLEAN_SHUTDOWN, 2 NEEDS_CHECK)  0x008 blocknr
 *   0x010 uuid[16]  0x020 le64 magic 06142003  0x028 le32 version (1, 2)
 *   0x02C policy_name[16]  0x03C le32 policy_hint_size
 *   0x040 metadata space map root[128]
 *   0x0C0 le64 mapping_root  0x0C8 hint_root  0x0D0 discard_root
 *   0x0D8 le64 discard_block_size  0x0E0 le64 discard_nr_blocks
 *   0x0E8 le32 data_block_size  0x0EC metadata_block_size  0x0F0 cache_blocks
 *   0x0F4 compat  0x0F8 compat_ro  0x0FC incompat
 *   0x100 le32 read_hits, read_misses, write_hits, write_misses
 *   0x110 le32 policy_version[3]  0x11C le64 dirty_root (version 2)
 *
 * Mappings: a dm-array indexed by cache block of le64 (oblock << 16 |
 * flags), M_VALID 1, M_DIRTY 2 (version 1 only; version 2 keeps a dirty
 * bitset).  Hints: a dm-array of le32 written at a clean shutdown.
 * Discards: a bitset of discard blocks (kept all clear: ulvm does not
 * remember discarded ranges across activations).
 *
 * As in the kernel, the dirty bits and hints are written only at a clean
 * shutdown (postsuspend): a commit in between records the mappings with
 * CLEAN_SHUTDOWN clear, and loading such metadata treats every mapped
 * block as dirty, so a crash costs a full writeback, never data.
 */
#ifndef ULVM_TARGETS_CACHE_META_H
#define ULVM_TARGETS_CACHE_META_H

#include <stdbool.h>
#include <stdint.h>

#include "common/log.h"
#include "io/dev.h"

#define CACHE_SUPERBLOCK_MAGIC 06142003ull
#define CACHE_SUPERBLOCK_CSUM_XOR 9031977u
#define CACHE_POLICY_NAME_SIZE 16
#define CACHE_METADATA_BLOCK_SECTORS 8u
#define CACHE_SB_CLEAN_SHUTDOWN 1u
#define CACHE_SB_NEEDS_CHECK 2u
#define CACHE_M_VALID 1u
#define CACHE_M_DIRTY 2u

struct cache_meta;

struct cache_policy_id {
	char name[CACHE_POLICY_NAME_SIZE];
	unsigned version[3];
	uint32_t hint_size; /* 0 or 4 */
};

struct cache_stats_disk {
	uint32_t read_hits, read_misses, write_hits, write_misses;
};

/* Open the metadata on @mdev, formatting it as @version (1 or 2) if its
 * first block is all zeros.  @block_sectors must match what it holds. */
int cache_meta_open(struct dev *mdev, uint32_t block_sectors, unsigned version,
		    struct cache_meta **out, struct err *e);
void cache_meta_close(struct cache_meta *m);

unsigned cache_meta_version(const struct cache_meta *m);
uint32_t cache_meta_cache_blocks(const struct cache_meta *m);
bool cache_meta_needs_check(const struct cache_meta *m);
void cache_meta_space(struct cache_meta *m, uint64_t *used, uint64_t *total);
void cache_meta_get_stats(const struct cache_meta *m, struct cache_stats_disk *s);
void cache_meta_set_stats(struct cache_meta *m, const struct cache_stats_disk *s);

/* Grow or shrink the mapping array (and dirty bitset) to @nr_cblocks;
 * shrinking is refused while a block past the end is mapped. */
int cache_meta_resize(struct cache_meta *m, uint32_t nr_cblocks, struct err *e);

/* Every valid mapping: fn(ctx, cblock, oblock, dirty, hint, hint_valid).
 * Dirty is what the last clean shutdown wrote, else true; hints are valid
 * only after a clean shutdown by the same policy (name, major version,
 * hint size).  A nonzero return of fn stops the load with it. */
typedef int (*cache_load_fn)(void *ctx, uint32_t cblock, uint64_t oblock, bool dirty,
			     uint32_t hint, bool hint_valid);
int cache_meta_load(struct cache_meta *m, const struct cache_policy_id *policy, cache_load_fn fn,
		    void *ctx, struct err *e);

int cache_meta_insert(struct cache_meta *m, uint32_t cblock, uint64_t oblock, struct err *e);
int cache_meta_remove(struct cache_meta *m, uint32_t cblock, struct err *e);

/* Clean-shutdown pieces: the dirty bits (@bits: cache_blocks bits), the
 * policy's hints (hint(ctx, cblock)), the discard bitset's geometry. */
int cache_meta_write_dirty(struct cache_meta *m, const uint64_t *bits, struct err *e);
typedef uint32_t (*cache_hint_fn)(void *ctx, uint32_t cblock);
int cache_meta_write_hints(struct cache_meta *m, const struct cache_policy_id *policy,
			   cache_hint_fn hint, void *ctx, struct err *e);
int cache_meta_write_discards(struct cache_meta *m, uint64_t discard_block_size,
			      uint64_t nr_blocks, struct err *e);

/* Commit; @clean_shutdown sets CLEAN_SHUTDOWN (only after the three
 * writes above), else clears it. */
int cache_meta_commit(struct cache_meta *m, bool clean_shutdown, struct err *e);
bool cache_meta_changed(const struct cache_meta *m);
/* After a failed update: back to the last commit, and needs_check set. */
int cache_meta_abort(struct cache_meta *m, struct err *e);

/* For the fuzzer: decode and validate a superblock block. */
int cache_meta_check_super(const uint8_t *block, uint64_t nr, struct err *e);

#endif
