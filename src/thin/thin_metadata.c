/* dm-thin pool metadata over src/pdata.
 *
 * Trees (all through one transaction manager):
 *   details   dev id -> 24-byte device details
 *   top       dev id -> root of that device's mapping subtree; a value
 *             is one reference to the subtree root (inc: metadata count
 *             +1, dec: btree_del of the subtree)
 *   mapping   vblock -> (data block << 24 | time); a value is one
 *             reference to the data block in the data space map
 *             (its lookups and updates are in thin_mapping.c)
 *
 * Crash consistency comes from the layers below: every change is
 * copy-on-write, and commit writes the superblock last, with FUA, after a
 * flush of everything it points at (transaction_manager.h).  The
 * superblock is encoded whole from struct thin_sb at each commit; the held
 * snapshot copy (reserve_metadata_snap) is the same encoding with both
 * space-map roots zeroed, as the kernel writes it.
 */
#include "thin/thin_metadata.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pdata/btree.h"
#include "common/le.h"
#include "pdata/sm_format.h"
#include "thin/thin_internal.h"

static int flush_details(struct thin_meta *t);

/* ---- superblock ---- */

static_assert(0x168 + 4 == THIN_SUPERBLOCK_SIZE, "last superblock field");
static_assert(0x040 + SM_ROOT_SIZE == 0x0C0 && 0x0C0 + SM_ROOT_SIZE == 0x140,
	      "space map roots");

static void sb_encode(uint8_t *p, const struct thin_sb *sb)
{
	memset(p, 0, BM_BLOCK_SIZE);
	le32_put(p + 0x004, sb->flags);
	memcpy(p + 0x010, sb->uuid, 16);
	le64_put(p + 0x020, THIN_SUPERBLOCK_MAGIC);
	le32_put(p + 0x028, sb->version);
	le32_put(p + 0x02C, sb->time);
	le64_put(p + 0x030, sb->trans_id);
	le64_put(p + 0x038, sb->held_root);
	memcpy(p + 0x040, sb->data_sm_root, SM_ROOT_SIZE);
	memcpy(p + 0x0C0, sb->meta_sm_root, SM_ROOT_SIZE);
	le64_put(p + 0x140, sb->mapping_root);
	le64_put(p + 0x148, sb->details_root);
	le32_put(p + 0x150, sb->data_block_size);
	le32_put(p + 0x154, sb->metadata_block_size);
	le64_put(p + 0x158, sb->metadata_nr_blocks);
	le32_put(p + 0x160, sb->compat_flags);
	le32_put(p + 0x164, sb->compat_ro_flags);
	le32_put(p + 0x168, sb->incompat_flags);
}

static void sb_decode(const uint8_t *p, struct thin_sb *sb)
{
	sb->flags = le32_get(p + 0x004);
	memcpy(sb->uuid, p + 0x010, 16);
	sb->version = le32_get(p + 0x028);
	sb->time = le32_get(p + 0x02C);
	sb->trans_id = le64_get(p + 0x030);
	sb->held_root = le64_get(p + 0x038);
	memcpy(sb->data_sm_root, p + 0x040, SM_ROOT_SIZE);
	memcpy(sb->meta_sm_root, p + 0x0C0, SM_ROOT_SIZE);
	sb->mapping_root = le64_get(p + 0x140);
	sb->details_root = le64_get(p + 0x148);
	sb->data_block_size = le32_get(p + 0x150);
	sb->metadata_block_size = le32_get(p + 0x154);
	sb->metadata_nr_blocks = le64_get(p + 0x158);
	sb->compat_flags = le32_get(p + 0x160);
	sb->compat_ro_flags = le32_get(p + 0x164);
	sb->incompat_flags = le32_get(p + 0x168);
}

static int sb_check(const struct bm_validator *v, const uint8_t *p, uint64_t nr, struct err *e)
{
	int r;

	if (le64_get(p + 0x020) != THIN_SUPERBLOCK_MAGIC)
		return err_set(e, -EILSEQ, "thin superblock at block %" PRIu64
			       ": bad magic %" PRIu64, nr, le64_get(p + 0x020));
	r = bm_check_std(v, p, nr, e);
	return r;
}

static const struct bm_validator sb_validator = {
	.name = "thin superblock",
	.salt = THIN_SUPERBLOCK_CSUM_XOR,
	.prepare = bm_prepare_std,
	.check = sb_check,
};

/* ---- value types ---- */

static int data_inc(void *ctx, const uint8_t *v)
{
	struct thin_meta *t = ctx;

	return sm_inc(t->data_sm, le64_get(v) >> 24);
}

static int data_dec(void *ctx, const uint8_t *v)
{
	struct thin_meta *t = ctx;

	return sm_dec(t->data_sm, le64_get(v) >> 24);
}

static int subtree_inc(void *ctx, const uint8_t *v)
{
	struct thin_meta *t = ctx;

	return tm_inc(t->tm, le64_get(v));
}

static int subtree_dec(void *ctx, const uint8_t *v)
{
	struct thin_meta *t = ctx;

	return btree_del(&t->map_info, le64_get(v));
}

static void init_infos(struct thin_meta *t)
{
	t->details_info = (struct btree_info){ .tm = t->tm, .vt = { .size = THIN_DETAILS_SIZE } };
	t->top_info = (struct btree_info){ .tm = t->tm, .vt = { .size = 8, .ctx = t,
		.inc = subtree_inc, .dec = subtree_dec } };
	t->top_set_info = t->top_info;
	t->top_set_info.vt.dec = NULL;
	t->map_info = (struct btree_info){ .tm = t->tm, .vt = { .size = 8, .ctx = t,
		.inc = data_inc, .dec = data_dec } };
}

static void details_decode(const uint8_t *p, uint64_t id, struct thin_dev_info *d)
{
	d->id = id;
	d->mapped_blocks = le64_get(p);
	d->transaction_id = le64_get(p + 8);
	d->creation_time = le32_get(p + 16);
	d->snapshotted_time = le32_get(p + 20);
}

static void details_encode(uint8_t *p, const struct thin_dev_info *d)
{
	le64_put(p, d->mapped_blocks);
	le64_put(p + 8, d->transaction_id);
	le32_put(p + 16, d->creation_time);
	le32_put(p + 20, d->snapshotted_time);
}

/* ---- errors ---- */

/* A failure in the middle of an update: the in-memory state is unknown. */
int thin_failed(struct thin_meta *t, struct err *e, int r, const char *what)
{
	t->failed = true;
	return err_set(e, r, "%s: %s (%s); metadata is read-only until aborted", what,
		       strerror(-r), tm_last_error(t->tm));
}

int thin_can_write(struct thin_meta *t, struct err *e)
{
	if (t->opts.read_only)
		return err_set(e, -EROFS, "thin metadata is open read-only");
	if (t->failed)
		return err_set(e, -EIO, "thin metadata failed earlier; abort the transaction");
	return 0;
}

/* ---- open, format, close ---- */

static void put_internals(struct thin_meta *t)
{
	sm_destroy(t->data_sm);
	t->data_sm = NULL;
	tm_destroy(t->tm);      /* and the metadata space map */
	t->tm = NULL;
	bm_destroy(t->bm);
	t->bm = NULL;
}

void thin_meta_close(struct thin_meta *t)
{
	if (!t)
		return;
	put_internals(t);
	free(t->changed);
	dev_put(t->dev);
	free(t);
}

static int new_meta(struct dev *mdev, const struct thin_meta_options *o, struct thin_meta **out)
{
	struct thin_meta *t = calloc(1, sizeof(*t));
	int r;

	if (!t)
		return -ENOMEM;
	if (o)
		t->opts = *o;
	t->dev = dev_get(mdev);
	r = bm_create(mdev, t->opts.cache_bytes, &t->bm);
	if (r == 0)
		r = tm_create(t->bm, &t->tm);
	if (r < 0) {
		thin_meta_close(t);
		return r;
	}
	init_infos(t);
	*out = t;
	return 0;
}

static int check_block_size(uint32_t dbs, struct err *e)
{
	if (dbs < THIN_DATA_BLOCK_MIN_SECTORS || dbs > THIN_DATA_BLOCK_MAX_SECTORS ||
	    dbs % THIN_DATA_BLOCK_MIN_SECTORS)
		return err_set(e, -EINVAL, "data block size %u sectors is not a multiple of %u in "
			       "%u..%u", dbs, THIN_DATA_BLOCK_MIN_SECTORS,
			       THIN_DATA_BLOCK_MIN_SECTORS, THIN_DATA_BLOCK_MAX_SECTORS);
	return 0;
}

int thin_meta_format(struct dev *mdev, uint32_t data_block_size, uint64_t nr_data_blocks,
		     const struct thin_meta_options *o, struct thin_meta **out, struct err *e)
{
	uint64_t nr_meta = mdev->size / BM_BLOCK_SIZE;
	struct thin_meta *t;
	struct sm *msm;
	int r;

	r = check_block_size(data_block_size, e);
	if (r < 0)
		return r;
	if (nr_meta < 16)
		return err_set(e, -ENOSPC, "metadata device %s is too small (%" PRIu64 " blocks)",
			       mdev->name, nr_meta);
	if (nr_data_blocks > THIN_MAX_DATA_BLOCK + 1)
		return err_set(e, -EFBIG, "%" PRIu64 " data blocks is too many", nr_data_blocks);
	if (nr_meta > SM_METADATA_MAX_BLOCKS)
		nr_meta = SM_METADATA_MAX_BLOCKS;
	r = new_meta(mdev, o, &t);
	if (r < 0)
		return err_set(e, r, "formatting %s", mdev->name);
	if (t->opts.read_only) {
		thin_meta_close(t);
		return err_set(e, -EROFS, "cannot format read-only");
	}
	/* An old superblock would point into blocks the new pool reuses:
	 * zero it first, so a crash while formatting leaves no pool at all
	 * rather than a damaged one. */
	{
		uint8_t *zero = calloc(1, BM_BLOCK_SIZE);

		r = zero ? dev_write(mdev, zero, BM_BLOCK_SIZE, 0, DEV_FUA) : -ENOMEM;
		free(zero);
	}
	if (r == 0)
		r = sm_metadata_create(t->tm, nr_meta, &msm);
	if (r == 0)
		r = sm_disk_create(t->tm, &t->data_sm);
	if (r == 0)
		r = sm_extend(t->data_sm, nr_data_blocks);
	if (r == 0)
		r = btree_empty(&t->top_info, &t->sb.mapping_root);
	if (r == 0)
		r = btree_empty(&t->details_info, &t->sb.details_root);
	if (r < 0) {
		err_set(e, r, "formatting %s: %s", mdev->name, tm_last_error(t->tm));
		thin_meta_close(t);
		return r;
	}
	t->sb.version = THIN_VERSION;
	t->sb.data_block_size = data_block_size;
	t->sb.metadata_block_size = THIN_METADATA_BLOCK_SECTORS;
	t->sb.metadata_nr_blocks = nr_meta;
	thin_touch(t);
	r = thin_meta_commit(t, e);
	if (r < 0) {
		thin_meta_close(t);
		return r;
	}
	*out = t;
	return 0;
}

/* Load the committed state into fresh bm/tm/space maps. */
static int load(struct thin_meta *t, uint32_t data_block_size, struct err *e)
{
	struct bm_block *b;
	struct sm *msm;
	int r;

	r = bm_read_lock(t->bm, 0, &sb_validator, &b);
	if (r < 0) {
		if (bm_dev_block_zero(t->dev, 0))
			return err_set(e, -ENODATA, "%s: no thin superblock (block 0 is zero)",
				       t->dev->name);
		return err_set(e, r, "%s: %s", t->dev->name, bm_last_error(t->bm));
	}
	sb_decode(bm_block_data(b), &t->sb);
	bm_unlock(b);
	if (t->sb.incompat_flags)
		return err_set(e, -EOPNOTSUPP, "%s: unsupported incompat features %#x",
			       t->dev->name, t->sb.incompat_flags);
	if (t->sb.compat_ro_flags && !t->opts.read_only)
		return err_set(e, -EOPNOTSUPP, "%s: unsupported compat_ro features %#x",
			       t->dev->name, t->sb.compat_ro_flags);
	if (data_block_size && t->sb.data_block_size != data_block_size)
		return err_set(e, -EINVAL, "%s: data block size is %u sectors, not %u",
			       t->dev->name, t->sb.data_block_size, data_block_size);
	if (check_block_size(t->sb.data_block_size, e) < 0)
		return err_set(e, -EUCLEAN, "%s", t->dev->name);
	if (t->sb.time > THIN_MAX_TIME)
		return err_set(e, -EUCLEAN, "%s: time %u out of range", t->dev->name, t->sb.time);
	r = sm_metadata_open(t->tm, t->sb.meta_sm_root, &msm);
	if (r < 0)
		return err_set(e, r, "%s: metadata space map: %s", t->dev->name,
			       tm_last_error(t->tm));
	r = sm_disk_open(t->tm, t->sb.data_sm_root, &t->data_sm);
	if (r < 0)
		return err_set(e, r, "%s: data space map", t->dev->name);
	t->nr_changed = 0;
	t->dirty = false;
	t->failed = false;
	return 0;
}

int thin_meta_open(struct dev *mdev, uint32_t data_block_size, const struct thin_meta_options *o,
		   struct thin_meta **out, struct err *e)
{
	struct thin_meta *t;
	int r = new_meta(mdev, o, &t);

	if (r < 0)
		return err_set(e, r, "opening %s", mdev->name);
	r = load(t, data_block_size, e);
	if (r < 0) {
		thin_meta_close(t);
		return r;
	}
	*out = t;
	return 0;
}

int thin_meta_abort(struct thin_meta *t, struct err *e)
{
	int r;

	put_internals(t);
	r = bm_create(t->dev, t->opts.cache_bytes, &t->bm);
	if (r == 0)
		r = tm_create(t->bm, &t->tm);
	if (r < 0) {
		t->failed = true;
		return err_set(e, r, "aborting the metadata transaction");
	}
	init_infos(t);
	t->gen++;
	r = load(t, t->sb.data_block_size, e);
	if (r < 0)
		t->failed = true;
	return r;
}

int thin_meta_commit(struct thin_meta *t, struct err *e)
{
	struct bm_block *b;
	int r = thin_can_write(t, e);

	if (r < 0)
		return r;
	if (!t->dirty)
		return 0;
	r = flush_details(t);
	if (r == 0)
		r = sm_commit(t->data_sm);
	if (r == 0)
		r = tm_pre_commit(t->tm);
	if (r < 0)
		return thin_failed(t, e, r, "commit");
	sm_copy_root(t->data_sm, t->sb.data_sm_root);
	sm_copy_root(tm_sm(t->tm), t->sb.meta_sm_root);
	r = tm_lock_super(t->tm, &sb_validator, &b);
	if (r < 0)
		return thin_failed(t, e, r, "commit");
	sb_encode(bm_block_data(b), &t->sb);
	r = tm_commit(t->tm, b);
	if (r < 0)
		return thin_failed(t, e, r, "commit");
	t->dirty = false;
	return 0;
}

/* ---- devices ---- */

static struct thin_dev_info *changed_find(struct thin_meta *t, uint64_t id)
{
	for (size_t i = 0; i < t->nr_changed; i++)
		if (t->changed[i].id == id)
			return &t->changed[i];
	return NULL;
}

/* Write the changed details into the tree. */
static int flush_details(struct thin_meta *t)
{
	uint8_t v[THIN_DETAILS_SIZE];
	int r = 0;

	for (size_t i = 0; i < t->nr_changed && r == 0; i++) {
		details_encode(v, &t->changed[i]);
		r = btree_insert(&t->details_info, t->sb.details_root, t->changed[i].id, v,
				 &t->sb.details_root, NULL);
	}
	if (r == 0)
		t->nr_changed = 0;
	return r;
}

int thin_meta_dev_info(struct thin_meta *t, uint64_t id, struct thin_dev_info *info)
{
	struct thin_dev_info *c = changed_find(t, id);
	uint8_t v[THIN_DETAILS_SIZE];
	int r;

	if (c) {
		*info = *c;
		return 0;
	}
	r = btree_lookup(&t->details_info, t->sb.details_root, id, v);

	if (r == -ENODATA)
		return -ENODEV;
	if (r == 0)
		details_decode(v, id, info);
	return r;
}

int thin_put_details(struct thin_meta *t, const struct thin_dev_info *d)
{
	struct thin_dev_info *c = changed_find(t, d->id);

	if (!c) {
		if (t->nr_changed == t->max_changed) {
			size_t n = t->max_changed ? t->max_changed * 2 : 16;
			struct thin_dev_info *p = realloc(t->changed, n * sizeof(*p));

			if (!p)
				return -ENOMEM;
			t->changed = p;
			t->max_changed = n;
		}
		c = &t->changed[t->nr_changed++];
	}
	*c = *d;
	return 0;
}

int thin_dev_lookup_err(struct thin_meta *t, uint64_t id, struct thin_dev_info *d,
			  struct err *e)
{
	int r = thin_meta_dev_info(t, id, d);

	if (r == -ENODEV)
		return err_set(e, r, "thin device %" PRIu64 " does not exist", id);
	if (r < 0)
		return thin_failed(t, e, r, "device details");
	return 0;
}

static int check_new_id(struct thin_meta *t, uint64_t id, struct err *e)
{
	struct thin_dev_info d;
	int r;

	if (id > THIN_MAX_DEV_ID)
		return err_set(e, -EINVAL, "thin device id %" PRIu64 " is above %llu", id,
			       THIN_MAX_DEV_ID);
	r = thin_meta_dev_info(t, id, &d);
	if (r == 0)
		return err_set(e, -EEXIST, "thin device %" PRIu64 " already exists", id);
	if (r != -ENODEV)
		return thin_failed(t, e, r, "device details");
	return 0;
}

int thin_meta_create_thin(struct thin_meta *t, uint64_t id, struct err *e)
{
	struct thin_dev_info d = { .id = id };
	uint8_t v[8];
	uint64_t root = 0;
	int r = thin_can_write(t, e);

	if (r == 0)
		r = check_new_id(t, id, e);
	if (r < 0)
		return r;
	thin_touch(t);
	r = btree_empty(&t->map_info, &root);
	le64_put(v, root);
	if (r == 0)
		r = btree_insert(&t->top_set_info, t->sb.mapping_root, id, v, &t->sb.mapping_root,
				 NULL);
	d.transaction_id = t->sb.trans_id;
	d.creation_time = d.snapshotted_time = t->sb.time;
	if (r == 0)
		r = thin_put_details(t, &d);
	return r < 0 ? thin_failed(t, e, r, "create_thin") : 0;
}

int thin_meta_create_snap(struct thin_meta *t, uint64_t id, uint64_t origin, struct err *e)
{
	struct thin_dev_info od, d = { .id = id };
	uint8_t v[8];
	int r = thin_can_write(t, e);

	if (r == 0)
		r = check_new_id(t, id, e);
	if (r == 0)
		r = thin_dev_lookup_err(t, origin, &od, e);
	if (r < 0)
		return r;
	if (t->sb.time >= THIN_MAX_TIME)
		return err_set(e, -EOVERFLOW, "the pool's snapshot time is exhausted");
	thin_touch(t);
	r = btree_lookup(&t->top_info, t->sb.mapping_root, origin, v);
	if (r == 0)
		r = tm_inc(t->tm, le64_get(v));
	if (r == 0)
		r = btree_insert(&t->top_set_info, t->sb.mapping_root, id, v, &t->sb.mapping_root,
				 NULL);
	if (r < 0)
		return thin_failed(t, e, r, "create_snap");
	t->sb.time++;
	d.mapped_blocks = od.mapped_blocks;
	d.transaction_id = t->sb.trans_id;
	d.creation_time = d.snapshotted_time = t->sb.time;
	od.snapshotted_time = t->sb.time;
	r = thin_put_details(t, &d);
	if (r == 0)
		r = thin_put_details(t, &od);
	return r < 0 ? thin_failed(t, e, r, "create_snap") : 0;
}

int thin_meta_delete(struct thin_meta *t, uint64_t id, struct err *e)
{
	struct thin_dev_info d;
	int r = thin_can_write(t, e);

	if (r == 0)
		r = thin_dev_lookup_err(t, id, &d, e);
	if (r < 0)
		return r;
	thin_touch(t);
	r = flush_details(t);
	if (r == 0)
		r = btree_remove(&t->details_info, t->sb.details_root, id, &t->sb.details_root);
	if (r == 0)
		r = btree_remove(&t->top_info, t->sb.mapping_root, id, &t->sb.mapping_root);
	return r < 0 ? thin_failed(t, e, r, "delete") : 0;
}

int thin_meta_set_transaction_id(struct thin_meta *t, uint64_t cur, uint64_t new_id, struct err *e)
{
	int r = thin_can_write(t, e);

	if (r < 0)
		return r;
	if (t->sb.trans_id != cur)
		return err_set(e, -EINVAL, "transaction id is %" PRIu64 ", not %" PRIu64,
			       t->sb.trans_id, cur);
	t->sb.trans_id = new_id;
	thin_touch(t);
	return 0;
}

uint64_t thin_meta_transaction_id(const struct thin_meta *t)
{
	return t->sb.trans_id;
}

uint32_t thin_meta_time(const struct thin_meta *t)
{
	return t->sb.time;
}

uint64_t thin_meta_held_root(const struct thin_meta *t)
{
	return t->sb.held_root;
}

bool thin_meta_needs_check(const struct thin_meta *t)
{
	return t->sb.flags & THIN_NEEDS_CHECK_FLAG;
}

int thin_meta_set_needs_check(struct thin_meta *t, struct err *e)
{
	int r = thin_can_write(t, e);

	if (r < 0)
		return r;
	t->sb.flags |= THIN_NEEDS_CHECK_FLAG;
	thin_touch(t);
	return thin_meta_commit(t, e);
}

int thin_meta_reserve_metadata_snap(struct thin_meta *t, struct err *e)
{
	struct thin_sb copy;
	struct bm_block *b;
	int r = thin_can_write(t, e);

	if (r < 0)
		return r;
	if (t->sb.held_root)
		return err_set(e, -EBUSY, "a metadata snapshot is already held at block %" PRIu64,
			       t->sb.held_root);
	/* The copy must describe committed trees only. */
	r = thin_meta_commit(t, e);
	if (r < 0)
		return r;
	thin_touch(t);
	r = tm_new_block(t->tm, &sb_validator, &b);
	if (r < 0)
		return thin_failed(t, e, r, "reserve_metadata_snap");
	copy = t->sb;
	memset(copy.data_sm_root, 0, SM_ROOT_SIZE);
	memset(copy.meta_sm_root, 0, SM_ROOT_SIZE);
	sb_encode(bm_block_data(b), &copy);
	t->sb.held_root = bm_block_nr(b);
	tm_unlock(t->tm, b);
	r = tm_inc(t->tm, t->sb.mapping_root);
	if (r == 0)
		r = tm_inc(t->tm, t->sb.details_root);
	return r < 0 ? thin_failed(t, e, r, "reserve_metadata_snap") : 0;
}

int thin_meta_release_metadata_snap(struct thin_meta *t, struct err *e)
{
	struct thin_sb copy;
	struct bm_block *b;
	int r = thin_can_write(t, e);

	if (r < 0)
		return r;
	if (!t->sb.held_root)
		return err_set(e, -EINVAL, "no metadata snapshot is held");
	thin_touch(t);
	r = tm_read_lock(t->tm, t->sb.held_root, &sb_validator, &b);
	if (r < 0)
		return thin_failed(t, e, r, "release_metadata_snap");
	sb_decode(bm_block_data(b), &copy);
	tm_unlock(t->tm, b);
	r = btree_del(&t->top_info, copy.mapping_root);
	if (r == 0)
		r = btree_del(&t->details_info, copy.details_root);
	if (r == 0)
		r = tm_dec(t->tm, t->sb.held_root);
	if (r < 0)
		return thin_failed(t, e, r, "release_metadata_snap");
	t->sb.held_root = 0;
	return 0;
}

int thin_meta_resize_metadata(struct thin_meta *t, struct err *e)
{
	uint64_t cur, want = t->dev->size / BM_BLOCK_SIZE;
	int r = thin_can_write(t, e);

	if (r < 0)
		return r;
	if (want > SM_METADATA_MAX_BLOCKS)
		want = SM_METADATA_MAX_BLOCKS;
	cur = sm_nr_blocks(tm_sm(t->tm));
	if (want < cur)
		return err_set(e, -EINVAL, "the metadata device cannot shrink from %" PRIu64
			       " to %" PRIu64 " blocks", cur, want);
	if (want == cur)
		return 0;
	bm_update_size(t->bm);
	thin_touch(t);
	r = sm_extend(tm_sm(t->tm), want - cur);
	return r < 0 ? thin_failed(t, e, r, "resizing the metadata space map") : 0;
}

int thin_meta_alloc_data_block(struct thin_meta *t, uint64_t *block, struct err *e)
{
	int r = thin_can_write(t, e);

	if (r < 0)
		return r;
	r = sm_new_block(t->data_sm, block);
	if (r == -ENOSPC)
		return err_set(e, r, "no free data blocks");
	thin_touch(t);
	return r < 0 ? thin_failed(t, e, r, "allocating a data block") : 0;
}

int thin_meta_free_data_block(struct thin_meta *t, uint64_t block, struct err *e)
{
	int r = thin_can_write(t, e);

	if (r < 0)
		return r;
	thin_touch(t);
	r = sm_dec(t->data_sm, block);
	return r < 0 ? thin_failed(t, e, r, "freeing a data block") : 0;
}

int thin_meta_data_block_count(struct thin_meta *t, uint64_t block, uint32_t *count)
{
	return sm_get_count(t->data_sm, block, count);
}

int thin_meta_resize_data(struct thin_meta *t, uint64_t nr_blocks, struct err *e)
{
	uint64_t cur;
	int r = thin_can_write(t, e);

	if (r < 0)
		return r;
	cur = sm_nr_blocks(t->data_sm);
	if (nr_blocks < cur)
		return err_set(e, -EINVAL, "the data device cannot shrink from %" PRIu64
			       " to %" PRIu64 " blocks", cur, nr_blocks);
	if (nr_blocks == cur)
		return 0;
	if (nr_blocks > THIN_MAX_DATA_BLOCK + 1)
		return err_set(e, -EFBIG, "%" PRIu64 " data blocks is too many", nr_blocks);
	thin_touch(t);
	r = sm_extend(t->data_sm, nr_blocks - cur);
	return r < 0 ? thin_failed(t, e, r, "resizing the data space map") : 0;
}

struct list_ctx {
	thin_dev_fn fn;
	void *opaque;
};

static int list_one(void *opaque, uint64_t key, const uint8_t *value)
{
	struct list_ctx *c = opaque;
	struct thin_dev_info d;

	details_decode(value, key, &d);
	return c->fn(c->opaque, &d);
}

int thin_meta_list_devs(struct thin_meta *t, thin_dev_fn fn, void *opaque)
{
	struct list_ctx c = { fn, opaque };
	int r = t->nr_changed ? flush_details(t) : 0;

	if (r < 0) {
		t->failed = true;
		return r;
	}
	return btree_walk(&t->details_info, t->sb.details_root, list_one, &c);
}


uint32_t thin_meta_data_block_size(const struct thin_meta *t)
{
	return t->sb.data_block_size;
}

uint64_t thin_meta_data_blocks(struct thin_meta *t)
{
	return sm_nr_blocks(t->data_sm);
}

uint64_t thin_meta_data_free(struct thin_meta *t)
{
	return sm_nr_free(t->data_sm);
}

uint64_t thin_meta_metadata_blocks(struct thin_meta *t)
{
	return sm_nr_blocks(tm_sm(t->tm));
}

uint64_t thin_meta_metadata_free(struct thin_meta *t)
{
	return sm_nr_free(tm_sm(t->tm));
}

/* ---- check ---- */

struct check_ctx {
	struct thin_meta *t;
	uint64_t details_root;
	uint64_t nr_devs;
	uint64_t mapped;
	uint64_t data_blocks;
	struct err *e;
};

static int check_mapping(void *opaque, uint64_t vblock, uint64_t data_block, uint32_t time)
{
	struct check_ctx *c = opaque;

	(void)time;
	if (data_block >= c->data_blocks)
		return err_set(c->e, -EUCLEAN, "vblock %" PRIu64 " maps to data block %" PRIu64
			       " past the end", vblock, data_block);
	c->mapped++;
	return 0;
}

static int check_dev(void *opaque, uint64_t key, const uint8_t *value)
{
	struct check_ctx *c = opaque;
	uint8_t dv[THIN_DETAILS_SIZE];
	int r = btree_lookup(&c->t->details_info, c->details_root, key, dv);

	if (r == -ENODATA)
		return err_set(c->e, -EUCLEAN, "thin device %" PRIu64 " has no details", key);
	if (r < 0)
		return r;
	c->nr_devs++;
	return thin_walk_subtree(c->t, le64_get(value), check_mapping, c);
}

static int count_dev(void *opaque, uint64_t key, const uint8_t *value)
{
	(void)key;
	(void)value;
	(*(uint64_t *)opaque)++;
	return 0;
}

static int check_roots(struct thin_meta *t, uint64_t mapping_root, uint64_t details_root,
		       struct err *e)
{
	struct check_ctx c = { .t = t, .details_root = details_root, .e = e,
			       .data_blocks = sm_nr_blocks(t->data_sm) };
	uint64_t nr_details = 0;
	int r = btree_walk(&t->top_info, mapping_root, check_dev, &c);

	if (r == 0)
		r = btree_walk(&t->details_info, details_root, count_dev, &nr_details);
	if (r == 0 && nr_details != c.nr_devs)
		r = err_set(e, -EUCLEAN, "%" PRIu64 " device details but %" PRIu64
			    " mapping trees", nr_details, c.nr_devs);
	return r;
}

int thin_meta_check(struct thin_meta *t, struct err *e)
{
	struct thin_sb copy;
	struct bm_block *b;
	int r = t->nr_changed ? flush_details(t) : 0;

	if (r == 0)
		r = check_roots(t, t->sb.mapping_root, t->sb.details_root, e);

	if (r < 0 || !t->sb.held_root)
		goto out;
	r = tm_read_lock(t->tm, t->sb.held_root, &sb_validator, &b);
	if (r < 0)
		goto out;
	sb_decode(bm_block_data(b), &copy);
	tm_unlock(t->tm, b);
	r = check_roots(t, copy.mapping_root, copy.details_root, e);
out:
	if (r < 0 && !(e && e->msg[0]))
		err_set(e, r, "%s", tm_last_error(t->tm));
	return r;
}
