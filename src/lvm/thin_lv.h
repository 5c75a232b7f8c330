/* Thin pools and thin volumes in the VG model (lib/thin/thin.c,
 * lib/metadata/thin_manip.c; LVM2-FORMAT.md §10.5), and their dm tables.
 *
 * A pool is three LVs and, per VG, one spare:
 *   pool           visible, one "thin-pool" segment: metadata = "pool_tmeta",
 *                  pool = "pool_tdata", transaction_id, chunk_size (sectors),
 *                  discards, zero_new_blocks (written only when 1)
 *   pool_tmeta     hidden linear, the dm-thin metadata
 *   pool_tdata     hidden linear, the data blocks; the pool's size is its size
 *   lvol0_pmspare  hidden linear, as large as the largest _tmeta (for repair)
 * A thin volume is one "thin" segment: thin_pool, transaction_id (the pool's
 * when it was made), device_id (1..2^24-1, unique in the pool), and origin
 * (a thin snapshot) or external_origin (a read-only LV under it).
 *
 * The pool's transaction_id follows the kernel metadata's: each change
 * (create_thin, create_snap, delete) is followed by set_transaction_id
 * T T+1 and the VG is committed with T+1.  The segment types are
 * lvm/segtype/thin_pool.c and thin.c: they keep the sections as read and
 * parse them once into the structs below (s->priv); these helpers read
 * the model and build new sections.
 *
 * Active devices, as LVM2 names them (dm_build_dm_name with a layer):
 *   vg-pool_tmeta, vg-pool_tdata   linear
 *   vg-pool-tpool                  thin-pool /dev/mapper/vg-pool_tmeta
 *                                  /dev/mapper/vg-pool_tdata <chunk> <lwm> [features]
 *   vg-pool                        linear over vg-pool-tpool (read-only)
 *   vg-thin                        thin /dev/mapper/vg-pool-tpool <id> [/dev/mapper/vg-ext]
 */
#ifndef ULVM_LVM_THIN_LV_H
#define ULVM_LVM_THIN_LV_H

#include <stdbool.h>
#include <stdint.h>

#include "common/log.h"
#include "lvm/activate.h"
#include "lvm/vg.h"

struct dmctl;
struct segtype;

#define THIN_CHUNK_MIN 128	/* sectors: 64 KiB */
#define THIN_CHUNK_MAX 2097152	/* 1 GiB */
#define THIN_DEVICE_ID_MAX ((1u << 24) - 1)
#define THIN_META_MIN (2 * 2048) /* 2 MiB */
#define THIN_META_MAX (16ull * 1024 * 2048 - 8 * 2048) /* lvm2's 16 GiB - 8 MiB, in sectors */

struct thin_pool_seg {
	const char *metadata, *data; /* LV names */
	uint64_t transaction_id;
	uint32_t chunk_size;
	const char *discards; /* "ignore", "nopassdown", "passdown" */
	bool zero;
};

struct thin_seg {
	const char *pool;
	uint64_t transaction_id;
	uint32_t device_id;
	const char *origin, *external_origin; /* NULL: none */
};

extern const struct segtype segtype_thin_pool, segtype_thin;

bool lv_is_thin_pool(const struct vg_lv *lv);
bool lv_is_thin(const struct vg_lv *lv);
/* The model of a pool's / a thin LV's segment; strings live as long as
 * the VG (in its kept tree).  -EINVAL when @lv is not of that type. */
int lv_thin_pool_seg(const struct vg_lv *lv, struct thin_pool_seg *tp, struct err *e);
int lv_thin_seg(const struct vg_lv *lv, struct thin_seg *t, struct err *e);
/* Give @lv one segment of @extents LEs of that type (replacing any). */
int lv_set_thin_pool(struct vg *vg, struct vg_lv *lv, uint32_t extents, const struct thin_pool_seg *tp,
		     struct err *e);
int lv_set_thin(struct vg *vg, struct vg_lv *lv, uint32_t extents, const struct thin_seg *t,
		struct err *e);

/* The pool of thin LV @lv, its sub-LVs; NULL when absent. */
struct vg_lv *thin_pool_of(const struct vg *vg, const struct vg_lv *lv);
struct vg_lv *thin_pool_sub(const struct vg *vg, const struct vg_lv *pool, bool meta);
/* Thin LVs using @pool; the first free device_id (max + 1, as lvm2). */
unsigned thin_pool_users(const struct vg *vg, const struct vg_lv *pool);
uint32_t thin_pool_next_id(const struct vg *vg, const struct vg_lv *pool);
/* The VG's *_pmspare LV, or NULL. */
struct vg_lv *vg_pmspare(const struct vg *vg);
/* lvm2's default metadata size for a data size and chunk (sectors):
 * 64 bytes per chunk, at least 2 MiB, at most ~16 GiB. */
uint64_t thin_meta_default_size(uint64_t data_sectors, uint32_t chunk);

/* The status line of an active pool ("vg-pool-tpool"). */
struct thin_pool_status {
	uint64_t txid, meta_used, meta_total, data_used, data_total;
};
int thin_pool_status(struct dmctl *d, const char *tpool, struct thin_pool_status *s, struct err *e);
/* Blocks mapped by an active thin device. */
int thin_mapped(struct dmctl *d, const char *name, uint64_t *sectors, struct err *e);

/* ---- pool transactions ----
 * Order of a change, as lvm2 with its pending messages but without them
 * in the text: the pool takes the message (create_thin, create_snap,
 * delete), then set_transaction_id T T+1, then the VG is committed with
 * T+1.  If the commit fails, the transaction id is set back and the new
 * device deleted, so the VG text and the pool metadata agree again.  A
 * crash between the two leaves the pool one transaction ahead, which the
 * next change reports ("transaction_id is X, while expected Y") as lvm2. */
struct lv_change;
struct thin_txn {
	struct dmctl *d;
	char tpool[LV_DM_NAME_MAX + 8];
	uint64_t txid; /* before */
};
/* Activate @pool and check its metadata is at the VG's transaction id. */
int thin_txn_begin(struct lv_change *ch, const struct vg_lv *pool, struct thin_txn *t, struct err *e);
/* A message to the pool: @fmt takes two uint64_t (the second may be
 * printed with "%.0" PRIu64, that is not at all). */
int thin_txn_msg(struct thin_txn *t, const char *fmt, uint64_t a, uint64_t b, struct err *e);
/* set_transaction_id T T+1 */
int thin_txn_bump(struct thin_txn *t, struct err *e);
/* After a failed commit: the device @id made in this transaction goes,
 * and the transaction id back (a warning on stderr when it cannot). */
void thin_txn_undo(struct thin_txn *t, uint32_t id);
/* The pool's segment with transaction_id @txid. */
int thin_pool_set_txid(struct vg *vg, struct vg_lv *pool, uint64_t txid, struct err *e);

#endif
