/* Transaction manager: copy-on-write over the block manager.
 *
 * Invariants
 *  - A block reachable from the committed superblock is never written in
 *    place.  The only writable blocks are those new in this transaction
 *    (tm_new_block) and shadows (tm_shadow_block), which the tm remembers
 *    in its shadow set until commit.  Block 0, the superblock, is the one
 *    exception and is written only by tm_commit.
 *  - A block is shadowed once per transaction: shadowing a block that is
 *    already a shadow with count 1 returns it for writing in place.
 *  - Shadowing a shared block (count > 1) copies it and drops one
 *    reference to the original; the copy now holds its own references to
 *    the original's children, so the caller increments them (*inc_children;
 *    btree.c does this for nodes).
 *
 * Two-phase commit (dm-transaction-manager.h):
 *   tm_pre_commit: commit the metadata space map (it writes its own
 *                  bitmaps and index), write every dirty block, FLUSH.
 *   the caller:    fill the superblock, locked with tm_lock_super.
 *   tm_commit:     write the superblock with FUA and start a new
 *                  transaction.
 * Until the superblock write lands, the previous superblock still describes
 * a complete tree that nothing in this transaction touched, so a crash at
 * any point leaves the last committed state.  A failed commit leaves the
 * tm unusable; reopen from the device.
 */
#ifndef ULVM_PDATA_TRANSACTION_MANAGER_H
#define ULVM_PDATA_TRANSACTION_MANAGER_H

#include <stdbool.h>
#include <stdint.h>

#include "pdata/block_manager.h"
#include "pdata/space_map.h"

struct tm;

int tm_create(struct bm *bm, struct tm **out);
/* The metadata space map, attached once by sm_metadata_create/open. */
void tm_set_sm(struct tm *tm, struct sm *sm);
struct sm *tm_sm(struct tm *tm);
struct bm *tm_bm(struct tm *tm);
/* Destroys the attached space map too. */
void tm_destroy(struct tm *tm);

int tm_new_block(struct tm *tm, const struct bm_validator *v, struct bm_block **out);
int tm_shadow_block(struct tm *tm, uint64_t orig, const struct bm_validator *v,
		    struct bm_block **out, bool *inc_children);
int tm_read_lock(struct tm *tm, uint64_t b, const struct bm_validator *v, struct bm_block **out);
void tm_unlock(struct tm *tm, struct bm_block *b);

int tm_inc(struct tm *tm, uint64_t b);
int tm_dec(struct tm *tm, uint64_t b);
int tm_ref(struct tm *tm, uint64_t b, uint32_t *count);

int tm_pre_commit(struct tm *tm);
/* Block 0, zeroed, for the caller to encode the whole superblock into
 * between the two phases. */
int tm_lock_super(struct tm *tm, const struct bm_validator *v, struct bm_block **out);
int tm_commit(struct tm *tm, struct bm_block *super);

/* Reason for the last failure. */
const char *tm_last_error(struct tm *tm);

#endif
