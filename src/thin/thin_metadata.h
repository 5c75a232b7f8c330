/* dm-thin pool metadata (drivers/md/dm-thin-metadata.c compatible).
 *
 * Superblock, block 0 (struct thin_disk_superblock, 364 bytes, rest zero;
 * salt 160774):
 *   off    size  field
 *   0x000  4     le32 csum
 *   0x004  4     le32 flags                bit 0 needs_check
 *   0x008  8     le64 blocknr              0 (H for the held copy)
 *   0x010  16    uuid                      zeros
 *   0x020  8     le64 magic                27022010
 *   0x028  4     le32 version              2
 *   0x02C  4     le32 time                 snapshot clock, < 2^24
 *   0x030  8     le64 trans_id             set_transaction_id
 *   0x038  8     le64 held_root            metadata snapshot, 0 = none
 *   0x040  128   data_space_map_root       disk_sm_root (sm_format.h)
 *   0x0C0  128   metadata_space_map_root
 *   0x140  8     le64 data_mapping_root    top level: dev id -> subtree root
 *   0x148  8     le64 device_details_root  dev id -> device details
 *   0x150  4     le32 data_block_size      sectors
 *   0x154  4     le32 metadata_block_size  8 sectors
 *   0x158  8     le64 metadata_nr_blocks   at format time
 *   0x160  4     le32 compat_flags
 *   0x164  4     le32 compat_ro_flags      any bit: no read-write open
 *   0x168  4     le32 incompat_flags       any bit: no open
 *
 * Device details value (24 bytes): le64 mapped_blocks, le64
 * transaction_id, le32 creation_time, le32 snapshotted_time.
 * Mapping value (8 bytes): le64 (data_block << 24) | time.
 *
 * Units: data blocks and virtual blocks are in data_block_size sectors;
 * metadata blocks are 4 KiB.
 *
 * Snapshots share the origin's mapping subtree root (its metadata count
 * goes up by one): O(1) whatever the volume size.  A write later shadows
 * the shared path and increments what the copied nodes point at.  A
 * mapping is "shared" when the device was snapshotted after the mapping
 * was written (snapshotted_time > time), as dm-thin decides it.
 *
 * Nothing is durable before thin_meta_commit.  A failed update leaves the
 * in-memory state unknown: every later update fails with -EIO until
 * thin_meta_abort drops the transaction and reloads the committed state.
 * Not thread safe: the caller serialises (one writer).
 */
#ifndef ULVM_THIN_THIN_METADATA_H
#define ULVM_THIN_THIN_METADATA_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/log.h"
#include "io/dev.h"

#define THIN_SUPERBLOCK_MAGIC 27022010ull
#define THIN_SUPERBLOCK_CSUM_XOR 160774u
#define THIN_VERSION 2u
#define THIN_SUPERBLOCK_SIZE 364u
#define THIN_DETAILS_SIZE 24u
#define THIN_METADATA_BLOCK_SECTORS 8u
#define THIN_NEEDS_CHECK_FLAG 1u
#define THIN_MAX_DEV_ID ((1ull << 24) - 1)
#define THIN_MAX_TIME ((1u << 24) - 1)
#define THIN_MAX_DATA_BLOCK ((1ull << 40) - 1)
#define THIN_DATA_BLOCK_MIN_SECTORS 128u
#define THIN_DATA_BLOCK_MAX_SECTORS 2097152u

static_assert(THIN_SUPERBLOCK_SIZE <= 512, "the superblock fits one sector");

struct thin_meta;

struct thin_meta_options {
	uint64_t cache_bytes;       /* metadata block cache; 0 = 64 MiB */
	bool read_only;
};

struct thin_dev_info {
	uint64_t id;
	uint64_t mapped_blocks;
	uint64_t transaction_id;
	uint32_t creation_time;
	uint32_t snapshotted_time;
};

struct thin_mapping {
	uint64_t data_block;
	uint32_t time;
	bool shared;
};

/* A new, empty pool on @mdev (its whole size, capped at the metadata space
 * map maximum), committed. */
int thin_meta_format(struct dev *mdev, uint32_t data_block_size, uint64_t nr_data_blocks,
		     const struct thin_meta_options *o, struct thin_meta **out, struct err *e);
/* @data_block_size 0: accept what the superblock says. */
int thin_meta_open(struct dev *mdev, uint32_t data_block_size, const struct thin_meta_options *o,
		   struct thin_meta **out, struct err *e);
/* Without a commit: what was not committed is lost. */
void thin_meta_close(struct thin_meta *t);
int thin_meta_commit(struct thin_meta *t, struct err *e);
/* Drop the open transaction and reload the last committed state. */
int thin_meta_abort(struct thin_meta *t, struct err *e);

int thin_meta_create_thin(struct thin_meta *t, uint64_t id, struct err *e);
int thin_meta_create_snap(struct thin_meta *t, uint64_t id, uint64_t origin, struct err *e);
int thin_meta_delete(struct thin_meta *t, uint64_t id, struct err *e);
int thin_meta_set_transaction_id(struct thin_meta *t, uint64_t cur, uint64_t new_id, struct err *e);
uint64_t thin_meta_transaction_id(const struct thin_meta *t);
uint32_t thin_meta_time(const struct thin_meta *t);
int thin_meta_reserve_metadata_snap(struct thin_meta *t, struct err *e);
int thin_meta_release_metadata_snap(struct thin_meta *t, struct err *e);
uint64_t thin_meta_held_root(const struct thin_meta *t);
bool thin_meta_needs_check(const struct thin_meta *t);
int thin_meta_set_needs_check(struct thin_meta *t, struct err *e);

/* 0, or -ENODATA (unmapped), -ENODEV (no such device). */
int thin_meta_lookup(struct thin_meta *t, uint64_t dev, uint64_t vblock, struct thin_mapping *m);
/* Map @vblock to @data_block (whose reference the mapping takes over,
 * e.g. from thin_meta_alloc_data_block), stamped with the current time.
 * An old mapping is replaced and its data block released. */
int thin_meta_insert(struct thin_meta *t, uint64_t dev, uint64_t vblock, uint64_t data_block,
		     struct err *e);
int thin_meta_remove(struct thin_meta *t, uint64_t dev, uint64_t vblock, struct err *e);
/* The first mapping at or after @vblock: 0 with *found, or -ENODATA. */
int thin_meta_next_mapping(struct thin_meta *t, uint64_t dev, uint64_t vblock, uint64_t *found,
			   struct thin_mapping *m);
/* A data block free now and at the last commit, with count 1. */
int thin_meta_alloc_data_block(struct thin_meta *t, uint64_t *block, struct err *e);
/* Drop the reference of a block allocated but never mapped. */
int thin_meta_free_data_block(struct thin_meta *t, uint64_t block, struct err *e);
int thin_meta_data_block_count(struct thin_meta *t, uint64_t block, uint32_t *count);
/* Remove every mapping in [begin, end) (a discard); *removed counts them. */
int thin_meta_remove_range(struct thin_meta *t, uint64_t dev, uint64_t begin, uint64_t end,
			   uint64_t *removed, struct err *e);
/* Grow the metadata space map to the metadata device's current size. */
int thin_meta_resize_metadata(struct thin_meta *t, struct err *e);
/* Grow the data space map (never shrinks). */
int thin_meta_resize_data(struct thin_meta *t, uint64_t nr_blocks, struct err *e);

int thin_meta_dev_info(struct thin_meta *t, uint64_t id, struct thin_dev_info *info);
typedef int (*thin_dev_fn)(void *opaque, const struct thin_dev_info *info);
int thin_meta_list_devs(struct thin_meta *t, thin_dev_fn fn, void *opaque);
/* Mappings of one device in vblock order; fn returns 0 to go on, > 0 to stop. */
typedef int (*thin_map_fn)(void *opaque, uint64_t vblock, uint64_t data_block, uint32_t time);
int thin_meta_walk(struct thin_meta *t, uint64_t dev, thin_map_fn fn, void *opaque);
/* The highest mapped virtual block of @dev: 0, or -ENODATA if none. */
int thin_meta_highest_mapped(struct thin_meta *t, uint64_t dev, uint64_t *vblock);

/* Changed-block tracking: the virtual blocks whose mapping differs
 * between devices @a (left) and @b (right), as thin_delta reports them:
 * mapped in one only, or to another data block (the time stamp does not
 * count).  Ranges come in vblock order, adjacent blocks of one kind
 * merged.  Data is never read, and subtrees the two devices share since a
 * snapshot are skipped unread, so the cost follows what changed, not the
 * volume size.  THIN_DELTA_SAME also reports the blocks mapped alike in
 * both (as thin_delta prints them); that walks every shared mapping. */
enum thin_delta_kind {
	THIN_DELTA_SAME,
	THIN_DELTA_DIFFERENT,
	THIN_DELTA_LEFT_ONLY,
	THIN_DELTA_RIGHT_ONLY,
};
#define THIN_DELTA_WITH_SAME (1u << 0)
struct thin_delta_range {
	enum thin_delta_kind kind;
	uint64_t begin, len; /* virtual blocks */
};
/* fn returns 0 to go on, > 0 to stop, < 0 to abort with it. */
typedef int (*thin_delta_fn)(void *opaque, const struct thin_delta_range *r);
/* 0, -ENODEV (no such device) or a metadata read error. */
int thin_meta_delta(struct thin_meta *t, uint64_t a, uint64_t b, unsigned flags,
		    thin_delta_fn fn, void *opaque);
const char *thin_delta_kind_name(enum thin_delta_kind k);

uint32_t thin_meta_data_block_size(const struct thin_meta *t);
uint64_t thin_meta_data_blocks(struct thin_meta *t);
uint64_t thin_meta_data_free(struct thin_meta *t);
uint64_t thin_meta_metadata_blocks(struct thin_meta *t);
uint64_t thin_meta_metadata_free(struct thin_meta *t);

/* Walk every tree (both superblocks) and check that each device has both
 * a details entry and a mapping tree: 0 or -EUCLEAN with the reason. */
int thin_meta_check(struct thin_meta *t, struct err *e);

#endif
