/* What thin_metadata.c shares with the other files of src/thin (not for
 * users of the metadata: they include thin_metadata.h).  The caller
 * serialises, as for every thin_meta call. */
#ifndef ULVM_THIN_THIN_INTERNAL_H
#define ULVM_THIN_THIN_INTERNAL_H

#include "pdata/btree.h"
#include "thin/thin_metadata.h"

/* The mapping subtree root of @dev: 0, or -ENODEV. */
int thin_subtree_root(struct thin_meta *t, uint64_t dev, uint64_t *root);
/* The btree_info of the mapping subtrees (8-byte values). */
struct btree_info *thin_map_info(struct thin_meta *t);

#endif
