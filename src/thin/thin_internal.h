/* What thin_metadata.c shares with the other files of src/thin
 * (thin_mapping.c, thin_delta.c); not for users of the metadata: they
 * include thin_metadata.h.  The caller serialises, as for every thin_meta
 * call. */
#ifndef ULVM_THIN_THIN_INTERNAL_H
#define ULVM_THIN_THIN_INTERNAL_H

#include "pdata/btree.h"
#include "pdata/sm_format.h"
#include "thin/thin_metadata.h"

struct thin_sb {
	uint32_t flags;
	uint8_t uuid[16];
	uint32_t version;
	uint32_t time;
	uint64_t trans_id;
	uint64_t held_root;
	uint8_t data_sm_root[SM_ROOT_SIZE];
	uint8_t meta_sm_root[SM_ROOT_SIZE];
	uint64_t mapping_root;
	uint64_t details_root;
	uint32_t data_block_size;
	uint32_t metadata_block_size;
	uint64_t metadata_nr_blocks;
	uint32_t compat_flags;
	uint32_t compat_ro_flags;
	uint32_t incompat_flags;
};

struct thin_meta {
	struct dev *dev;
	struct thin_meta_options opts;
	struct bm *bm;
	struct tm *tm;
	struct sm *data_sm;
	struct btree_info details_info;
	struct btree_info top_info;      /* values own their subtree */
	struct btree_info top_set_info;  /* overwrite a root without dropping it */
	struct btree_info map_info;
	struct thin_sb sb;
	/* Details changed in this transaction, written to the details tree
	 * at commit (as the kernel's pmd->thin_devices list), so a mapping
	 * insert costs no details tree update. */
	struct thin_dev_info *changed;
	size_t nr_changed, max_changed;
	bool dirty;
	bool failed;
	/* Lookups skip the details and top-level trees while nothing
	 * changed: per device, its subtree root and snapshot time as of
	 * change generation @gen (bumped by every change and abort). */
	uint64_t gen;
	struct root_cache {
		uint64_t dev, gen, root;
		uint32_t snapshotted_time;
		bool valid;
	} roots[16];
};

/* Every change goes through here before it touches a tree. */
static inline void thin_touch(struct thin_meta *t)
{
	t->dirty = true;
	t->gen++;
}

/* A failure in the middle of an update: the in-memory state is unknown,
 * the metadata read-only until aborted.  Returns @r. */
int thin_failed(struct thin_meta *t, struct err *e, int r, const char *what);
/* 0, or why nothing may be changed (read-only, failed earlier). */
int thin_can_write(struct thin_meta *t, struct err *e);
/* Record @d as the device's details for the next commit. */
int thin_put_details(struct thin_meta *t, const struct thin_dev_info *d);
/* thin_meta_dev_info with the error told in @e. */
int thin_dev_lookup_err(struct thin_meta *t, uint64_t id, struct thin_dev_info *d, struct err *e);
/* Every mapping of the subtree at @root, in vblock order. */
int thin_walk_subtree(struct thin_meta *t, uint64_t root, thin_map_fn fn, void *opaque);

/* The mapping subtree root of @dev: 0, or -ENODEV. */
int thin_subtree_root(struct thin_meta *t, uint64_t dev, uint64_t *root);
/* The btree_info of the mapping subtrees (8-byte values). */
struct btree_info *thin_map_info(struct thin_meta *t);

#endif
