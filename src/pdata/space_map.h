/* Space maps: a reference count per block.
 *
 * A family with one vtable (the kernel's struct dm_space_map): the
 * metadata space map manages the metadata device itself, the disk space
 * map manages a data device (the thin pool's data blocks).  Both write the
 * same on-disk structures (sm_format.h).
 *
 * Commit rules: new_block never returns a block that was in use at the
 * last commit, even if it was freed since, because the committed
 * superblock may still point at it.  commit() makes the current counts the
 * committed ones; for the metadata space map it also writes its bitmaps,
 * overflow tree and index block (through the transaction manager), so it
 * must run after every other metadata change of the transaction and
 * before the final flush.
 */
#ifndef ULVM_PDATA_SPACE_MAP_H
#define ULVM_PDATA_SPACE_MAP_H

#include <stdint.h>

struct sm;
struct tm;

#define SM_ROOT_SIZE 128u   /* bytes a superblock reserves for a root */

struct sm_ops {
	int (*get_count)(struct sm *sm, uint64_t b, uint32_t *count);
	int (*set_count)(struct sm *sm, uint64_t b, uint32_t count);
	int (*inc)(struct sm *sm, uint64_t b);
	int (*dec)(struct sm *sm, uint64_t b);
	/* Allocate a block free now and at the last commit; count becomes 1. */
	int (*new_block)(struct sm *sm, uint64_t *b);
	uint64_t (*nr_blocks)(struct sm *sm);
	uint64_t (*nr_free)(struct sm *sm);
	int (*extend)(struct sm *sm, uint64_t extra_blocks);
	int (*commit)(struct sm *sm);
	/* The disk_sm_root, zero padded to SM_ROOT_SIZE bytes. */
	void (*copy_root)(struct sm *sm, uint8_t root[SM_ROOT_SIZE]);
	void (*destroy)(struct sm *sm);
};

struct sm {
	const struct sm_ops *ops;
};

static inline int sm_get_count(struct sm *sm, uint64_t b, uint32_t *c) { return sm->ops->get_count(sm, b, c); }
static inline int sm_set_count(struct sm *sm, uint64_t b, uint32_t c) { return sm->ops->set_count(sm, b, c); }
static inline int sm_inc(struct sm *sm, uint64_t b) { return sm->ops->inc(sm, b); }
static inline int sm_dec(struct sm *sm, uint64_t b) { return sm->ops->dec(sm, b); }
static inline int sm_new_block(struct sm *sm, uint64_t *b) { return sm->ops->new_block(sm, b); }
static inline uint64_t sm_nr_blocks(struct sm *sm) { return sm->ops->nr_blocks(sm); }
static inline uint64_t sm_nr_free(struct sm *sm) { return sm->ops->nr_free(sm); }
static inline int sm_extend(struct sm *sm, uint64_t extra) { return sm->ops->extend(sm, extra); }
static inline int sm_commit(struct sm *sm) { return sm->ops->commit(sm); }
static inline void sm_copy_root(struct sm *sm, uint8_t root[SM_ROOT_SIZE]) { sm->ops->copy_root(sm, root); }
static inline void sm_destroy(struct sm *sm) { if (sm) sm->ops->destroy(sm); }

/* The metadata space map.  create: a new one for @nr_blocks blocks in which
 * only block 0 (the superblock) is in use; it attaches itself to @tm.
 * open: load one from its root. */
int sm_metadata_create(struct tm *tm, uint64_t nr_blocks, struct sm **out);
int sm_metadata_open(struct tm *tm, const uint8_t root[SM_ROOT_SIZE], struct sm **out);

/* The disk space map: create an empty one (nr_blocks 0, extend it), or
 * open one from its root.  Its bitmaps and trees live in @tm. */
int sm_disk_create(struct tm *tm, struct sm **out);
int sm_disk_open(struct tm *tm, const uint8_t root[SM_ROOT_SIZE], struct sm **out);

#endif
