/* dm-cache metadata over src/pdata (layout and crash argument in
 * cache_meta.h).  Not thread-safe: the cache target serialises calls
 * under its own lock.  A failed update marks the object failed; only
 * cache_meta_abort (back to the last commit) or close work after it.
 */
#include "targets/cache/cache_meta.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/le.h"
#include "pdata/array.h"
#include "pdata/btree.h"
#include "pdata/sm_format.h"

#define SB_SIZE 0x124

struct cache_sb {
	uint32_t flags;
	uint8_t uuid[16];
	uint32_t version;
	struct cache_policy_id policy;
	uint8_t sm_root[SM_ROOT_SIZE];
	uint64_t mapping_root, hint_root, discard_root;
	uint64_t discard_block_size, discard_nr_blocks;
	uint32_t data_block_size, metadata_block_size, cache_blocks;
	uint32_t compat, compat_ro, incompat;
	struct cache_stats_disk stats;
	uint64_t dirty_root;
};

struct cache_meta {
	struct dev *dev;
	struct bm *bm;
	struct tm *tm;
	struct array_info map_info, hint_info, bits_info;
	struct cache_sb sb;
	bool clean;   /* what is on disk describes the in-memory state fully */
	bool changed; /* since the last commit */
	bool failed;
};

/* ---- superblock ---- */

static void sb_encode(uint8_t *p, const struct cache_sb *sb)
{
	memset(p, 0, BM_BLOCK_SIZE);
	le32_put(p + 0x004, sb->flags);
	memcpy(p + 0x010, sb->uuid, 16);
	le64_put(p + 0x020, CACHE_SUPERBLOCK_MAGIC);
	le32_put(p + 0x028, sb->version);
	memcpy(p + 0x02C, sb->policy.name, CACHE_POLICY_NAME_SIZE);
	le32_put(p + 0x03C, sb->policy.hint_size);
	memcpy(p + 0x040, sb->sm_root, SM_ROOT_SIZE);
	le64_put(p + 0x0C0, sb->mapping_root);
	le64_put(p + 0x0C8, sb->hint_root);
	le64_put(p + 0x0D0, sb->discard_root);
	le64_put(p + 0x0D8, sb->discard_block_size);
	le64_put(p + 0x0E0, sb->discard_nr_blocks);
	le32_put(p + 0x0E8, sb->data_block_size);
	le32_put(p + 0x0EC, sb->metadata_block_size);
	le32_put(p + 0x0F0, sb->cache_blocks);
	le32_put(p + 0x0F4, sb->compat);
	le32_put(p + 0x0F8, sb->compat_ro);
	le32_put(p + 0x0FC, sb->incompat);
	le32_put(p + 0x100, sb->stats.read_hits);
	le32_put(p + 0x104, sb->stats.read_misses);
	le32_put(p + 0x108, sb->stats.write_hits);
	le32_put(p + 0x10C, sb->stats.write_misses);
	for (unsigned i = 0; i < 3; i++)
		le32_put(p + 0x110 + 4 * i, sb->policy.version[i]);
	if (sb->version >= 2)
		le64_put(p + 0x11C, sb->dirty_root);
}

static void sb_decode(const uint8_t *p, struct cache_sb *sb)
{
	memset(sb, 0, sizeof(*sb));
	sb->flags = le32_get(p + 0x004);
	memcpy(sb->uuid, p + 0x010, 16);
	sb->version = le32_get(p + 0x028);
	memcpy(sb->policy.name, p + 0x02C, CACHE_POLICY_NAME_SIZE);
	sb->policy.name[CACHE_POLICY_NAME_SIZE - 1] = 0;
	sb->policy.hint_size = le32_get(p + 0x03C);
	memcpy(sb->sm_root, p + 0x040, SM_ROOT_SIZE);
	sb->mapping_root = le64_get(p + 0x0C0);
	sb->hint_root = le64_get(p + 0x0C8);
	sb->discard_root = le64_get(p + 0x0D0);
	sb->discard_block_size = le64_get(p + 0x0D8);
	sb->discard_nr_blocks = le64_get(p + 0x0E0);
	sb->data_block_size = le32_get(p + 0x0E8);
	sb->metadata_block_size = le32_get(p + 0x0EC);
	sb->cache_blocks = le32_get(p + 0x0F0);
	sb->compat = le32_get(p + 0x0F4);
	sb->compat_ro = le32_get(p + 0x0F8);
	sb->incompat = le32_get(p + 0x0FC);
	sb->stats.read_hits = le32_get(p + 0x100);
	sb->stats.read_misses = le32_get(p + 0x104);
	sb->stats.write_hits = le32_get(p + 0x108);
	sb->stats.write_misses = le32_get(p + 0x10C);
	for (unsigned i = 0; i < 3; i++)
		sb->policy.version[i] = le32_get(p + 0x110 + 4 * i);
	if (sb->version >= 2)
		sb->dirty_root = le64_get(p + 0x11C);
}

static int sb_check(const struct bm_validator *v, const uint8_t *p, uint64_t nr, struct err *e)
{
	int r = bm_check_std(v, p, nr, e);

	if (r < 0)
		return r;
	if (le64_get(p + 0x020) != CACHE_SUPERBLOCK_MAGIC)
		return err_set(e, -EILSEQ, "cache superblock: bad magic %#" PRIx64 " (wanted %#llx)",
			       le64_get(p + 0x020), CACHE_SUPERBLOCK_MAGIC);
	if (le32_get(p + 0x028) < 1 || le32_get(p + 0x028) > 2)
		return err_set(e, -EINVAL, "cache metadata version %u found, but only versions "
			       "between 1 and 2 supported", le32_get(p + 0x028));
	return 0;
}

static const struct bm_validator sb_validator = {
	.name = "cache superblock",
	.salt = CACHE_SUPERBLOCK_CSUM_XOR,
	.prepare = bm_prepare_std,
	.check = sb_check,
};

int cache_meta_check_super(const uint8_t *block, uint64_t nr, struct err *e)
{
	struct cache_sb sb;
	int r = sb_check(&sb_validator, block, nr, e);

	if (r < 0)
		return r;
	sb_decode(block, &sb);
	if (sb.incompat)
		return err_set(e, -EINVAL, "unsupported incompat features %#x", sb.incompat);
	if (sb.data_block_size < 64 || sb.data_block_size % 64)
		return err_set(e, -EUCLEAN, "data block size %u is not a multiple of 64 sectors",
			       sb.data_block_size);
	return 0;
}

/* ---- open, format ---- */

static void init_infos(struct cache_meta *m)
{
	array_info_init(&m->map_info, m->tm, 8);
	array_info_init(&m->hint_info, m->tm, 4);
	array_info_init(&m->bits_info, m->tm, 8);
}

static void put_internals(struct cache_meta *m)
{
	tm_destroy(m->tm);
	m->tm = NULL;
	bm_destroy(m->bm);
	m->bm = NULL;
}

void cache_meta_close(struct cache_meta *m)
{
	if (!m)
		return;
	put_internals(m);
	dev_put(m->dev);
	free(m);
}

static int fail(struct cache_meta *m, struct err *e, int r, const char *what)
{
	const char *why = m->tm ? tm_last_error(m->tm) : "";
	struct sm *sm = m->tm ? tm_sm(m->tm) : NULL;

	m->failed = true;
	if (r == -ENOSPC && sm)
		return err_set(e, r, "cache metadata: %s: the metadata device is full (%" PRIu64
			       " blocks, %" PRIu64 " free)", what, sm_nr_blocks(sm), sm_nr_free(sm));
	return err_set(e, r, "cache metadata: %s: %s%s%s%s", what, strerror(-r), *why ? " (" : "",
		       why, *why ? ")" : "");
}

static int format(struct cache_meta *m, uint32_t block_sectors, unsigned version, struct err *e)
{
	uint64_t nr = m->dev->size / BM_BLOCK_SIZE;
	struct sm *msm;
	int r;

	if (nr < 16)
		return err_set(e, -ENOSPC, "metadata device %s is too small (%" PRIu64 " blocks)",
			       m->dev->name, nr);
	if (nr > SM_METADATA_MAX_BLOCKS)
		nr = SM_METADATA_MAX_BLOCKS;
	r = sm_metadata_create(m->tm, nr, &msm);
	if (r == 0)
		r = array_empty(&m->map_info, &m->sb.mapping_root);
	if (r == 0 && version >= 2)
		r = array_empty(&m->bits_info, &m->sb.dirty_root);
	if (r == 0)
		r = array_empty(&m->bits_info, &m->sb.discard_root);
	if (r < 0)
		return fail(m, e, r, "format");
	m->sb.version = version;
	m->sb.data_block_size = block_sectors;
	m->sb.metadata_block_size = CACHE_METADATA_BLOCK_SECTORS;
	m->changed = true;
	return cache_meta_commit(m, false, e);
}

static int load_super(struct cache_meta *m, struct err *e)
{
	struct bm_block *b;
	struct sm *msm;
	int r = bm_read_lock(m->bm, 0, &sb_validator, &b);

	if (r < 0)
		return err_set(e, r, "%s: %s", m->dev->name, bm_last_error(m->bm));
	r = cache_meta_check_super(bm_block_data(b), 0, e);
	sb_decode(bm_block_data(b), &m->sb);
	bm_unlock(b);
	if (r < 0)
		return err_set(e, r, "%s", m->dev->name);
	if (m->sb.compat_ro && !m->dev->read_only)
		return err_set(e, -EINVAL, "%s: unsupported compat_ro features %#x", m->dev->name,
			       m->sb.compat_ro);
	r = sm_metadata_open(m->tm, m->sb.sm_root, &msm);
	if (r < 0)
		return err_set(e, r, "%s: metadata space map: %s", m->dev->name, tm_last_error(m->tm));
	/* Every 509 mappings take an array block: more than the device holds
	 * is a damaged superblock, refused before anything is sized by it. */
	if (m->sb.cache_blocks / ((BM_BLOCK_SIZE - ARRAY_BLOCK_HEADER_SIZE) / 8) >=
	    sm_nr_blocks(tm_sm(m->tm)))
		return err_set(e, -EUCLEAN, "%s: %u cache blocks cannot fit %" PRIu64
			       " metadata blocks", m->dev->name, m->sb.cache_blocks,
			       sm_nr_blocks(tm_sm(m->tm)));
	m->clean = m->sb.flags & CACHE_SB_CLEAN_SHUTDOWN;
	m->changed = false;
	m->failed = false;
	return 0;
}

static int new_internals(struct cache_meta *m)
{
	int r = bm_create(m->dev, 0, &m->bm);

	if (r == 0)
		r = tm_create(m->bm, &m->tm);
	if (r == 0)
		init_infos(m);
	return r;
}

int cache_meta_open(struct dev *mdev, uint32_t block_sectors, unsigned version,
		    struct cache_meta **out, struct err *e)
{
	struct cache_meta *m = calloc(1, sizeof(*m));
	int r;

	if (!m)
		return err_set(e, -ENOMEM, "cache metadata");
	m->dev = dev_get(mdev);
	r = new_internals(m);
	if (r < 0) {
		err_set(e, r, "opening %s", mdev->name);
	} else if (bm_dev_block_zero(mdev, 0)) {
		r = format(m, block_sectors, version, e);
	} else {
		r = load_super(m, e);
		if (r == 0 && m->sb.data_block_size != block_sectors)
			r = err_set(e, -EINVAL, "changing the data block size (from %u to %u) is "
				    "not supported", m->sb.data_block_size, block_sectors);
	}
	if (r < 0) {
		cache_meta_close(m);
		return r;
	}
	*out = m;
	return 0;
}

int cache_meta_abort(struct cache_meta *m, struct err *e)
{
	int r;

	put_internals(m);
	r = new_internals(m);
	if (r == 0)
		r = load_super(m, e);
	if (r < 0)
		return fail(m, e, r, "abort");
	m->sb.flags |= CACHE_SB_NEEDS_CHECK;
	m->changed = true;
	return 0;
}

/* ---- accessors ---- */

unsigned cache_meta_version(const struct cache_meta *m) { return m->sb.version; }
uint32_t cache_meta_cache_blocks(const struct cache_meta *m) { return m->sb.cache_blocks; }
bool cache_meta_needs_check(const struct cache_meta *m) { return m->sb.flags & CACHE_SB_NEEDS_CHECK; }
bool cache_meta_changed(const struct cache_meta *m) { return m->changed; }
void cache_meta_get_stats(const struct cache_meta *m, struct cache_stats_disk *s) { *s = m->sb.stats; }

void cache_meta_set_stats(struct cache_meta *m, const struct cache_stats_disk *s)
{
	m->sb.stats = *s;
}

void cache_meta_space(struct cache_meta *m, uint64_t *used, uint64_t *total)
{
	struct sm *sm = m->tm ? tm_sm(m->tm) : NULL;

	*total = sm ? sm_nr_blocks(sm) : 0;
	*used = sm ? *total - sm_nr_free(sm) : 0;
}

static int writable(struct cache_meta *m, struct err *e)
{
	if (m->failed)
		return err_set(e, -EIO, "cache metadata failed earlier");
	return 0;
}

/* ---- mappings ---- */

static void pack(uint8_t *v, uint64_t oblock, unsigned flags)
{
	le64_put(v, oblock << 16 | (flags & 0xffff));
}

int cache_meta_resize(struct cache_meta *m, uint32_t n, struct err *e)
{
	uint8_t null[8];
	int r = writable(m, e);

	if (r < 0 || n == m->sb.cache_blocks)
		return r;
	for (uint32_t c = n; c < m->sb.cache_blocks; c++) {
		uint8_t v[8];

		r = array_get(&m->map_info, m->sb.mapping_root, c, v);
		if (r < 0)
			return fail(m, e, r, "resize");
		if (le64_get(v) & CACHE_M_VALID)
			return err_set(e, -EBUSY, "cannot shrink the cache to %u blocks: block %u is "
				       "mapped", n, c);
	}
	pack(null, 0, 0);
	r = array_resize(&m->map_info, m->sb.mapping_root, m->sb.cache_blocks, n, null,
			 &m->sb.mapping_root);
	if (r == 0 && m->sb.version >= 2) {
		uint8_t zero[8] = { 0 };

		r = array_resize(&m->bits_info, m->sb.dirty_root, (m->sb.cache_blocks + 63) / 64,
				 (n + 63) / 64, zero, &m->sb.dirty_root);
	}
	if (r < 0)
		return fail(m, e, r, "resize");
	m->sb.cache_blocks = n;
	m->changed = true;
	return 0;
}

int cache_meta_insert(struct cache_meta *m, uint32_t cblock, uint64_t oblock, struct err *e)
{
	uint8_t v[8];
	int r = writable(m, e);

	if (r < 0)
		return r;
	pack(v, oblock, CACHE_M_VALID);
	r = array_set(&m->map_info, m->sb.mapping_root, cblock, v, &m->sb.mapping_root);
	if (r < 0)
		return fail(m, e, r, "insert mapping");
	m->changed = true;
	return 0;
}

int cache_meta_remove(struct cache_meta *m, uint32_t cblock, struct err *e)
{
	uint8_t v[8];
	int r = writable(m, e);

	if (r < 0)
		return r;
	pack(v, 0, 0);
	r = array_set(&m->map_info, m->sb.mapping_root, cblock, v, &m->sb.mapping_root);
	if (r < 0)
		return fail(m, e, r, "remove mapping");
	m->changed = true;
	return 0;
}

/* ---- load ---- */

struct load_ctx {
	uint64_t *map;
	uint32_t *hints;
};

static int load_map(void *ctx, uint64_t i, const uint8_t *v)
{
	((struct load_ctx *)ctx)->map[i] = le64_get(v);
	return 0;
}

static int load_hint(void *ctx, uint64_t i, const uint8_t *v)
{
	((struct load_ctx *)ctx)->hints[i] = le32_get(v);
	return 0;
}

static bool same_policy(const struct cache_policy_id *a, const struct cache_policy_id *b)
{
	return !strncmp(a->name, b->name, CACHE_POLICY_NAME_SIZE) && a->version[0] == b->version[0] &&
	       a->hint_size == b->hint_size;
}

int cache_meta_load(struct cache_meta *m, const struct cache_policy_id *policy, cache_load_fn fn,
		    void *ctx, struct err *e)
{
	uint32_t n = m->sb.cache_blocks;
	bool hints_valid = m->clean && m->sb.hint_root && m->sb.policy.hint_size == 4 &&
			   same_policy(&m->sb.policy, policy);
	struct load_ctx l = { calloc(n ? n : 1, 8), calloc(n ? n : 1, 4) };
	uint64_t *dirty = calloc((n + 63) / 64 + 1, 8);
	int r = l.map && l.hints && dirty ? 0 : -ENOMEM;

	if (r == 0)
		r = array_walk(&m->map_info, m->sb.mapping_root, n, load_map, &l);
	if (r == 0 && m->sb.version >= 2 && m->clean)
		r = bitset_load(&m->bits_info, m->sb.dirty_root, n, dirty);
	if (r == 0 && hints_valid && array_walk(&m->hint_info, m->sb.hint_root, n, load_hint, &l))
		hints_valid = false; /* hints are a hint: a bad array is ignored */
	if (r < 0)
		err_set(e, r, "%s: reading the cache mappings: %s", m->dev->name,
			r == -EUCLEAN ? "the array is damaged" : m->tm ? tm_last_error(m->tm) : "");
	for (uint32_t c = 0; r == 0 && c < n; c++) {
		unsigned flags = l.map[c] & 0xffff;
		bool d = true;

		if (!(flags & CACHE_M_VALID))
			continue;
		if (m->clean)
			d = m->sb.version >= 2 ? dirty[c / 64] >> (c % 64) & 1 : flags & CACHE_M_DIRTY;
		r = fn(ctx, c, l.map[c] >> 16, d, l.hints[c], hints_valid);
	}
	free(l.map);
	free(l.hints);
	free(dirty);
	return r;
}

/* ---- clean shutdown ---- */

int cache_meta_write_dirty(struct cache_meta *m, const uint64_t *bits, struct err *e)
{
	int r = writable(m, e);

	if (r < 0)
		return r;
	if (m->sb.version >= 2) {
		r = array_del(&m->bits_info, m->sb.dirty_root);
		if (r == 0)
			r = bitset_new(&m->bits_info, m->sb.cache_blocks, bits, &m->sb.dirty_root);
	} else {
		for (uint32_t c = 0; r == 0 && c < m->sb.cache_blocks; c++) {
			uint8_t v[8];
			uint64_t val;
			bool d = bits[c / 64] >> (c % 64) & 1;

			r = array_get(&m->map_info, m->sb.mapping_root, c, v);
			val = le64_get(v);
			if (r || !(val & CACHE_M_VALID) || !!(val & CACHE_M_DIRTY) == d)
				continue;
			pack(v, val >> 16, (val & 0xffff & ~CACHE_M_DIRTY) | (d ? CACHE_M_DIRTY : 0));
			r = array_set(&m->map_info, m->sb.mapping_root, c, v, &m->sb.mapping_root);
		}
	}
	if (r < 0)
		return fail(m, e, r, "writing the dirty bits");
	m->changed = true;
	return 0;
}

struct hint_ctx {
	cache_hint_fn fn;
	void *ctx;
};

static int hint_value(void *ctx, uint64_t i, uint8_t *v)
{
	struct hint_ctx *h = ctx;

	le32_put(v, h->fn(h->ctx, (uint32_t)i));
	return 0;
}

int cache_meta_write_hints(struct cache_meta *m, const struct cache_policy_id *policy,
			   cache_hint_fn hint, void *ctx, struct err *e)
{
	struct hint_ctx h = { hint, ctx };
	int r = writable(m, e);

	if (r < 0)
		return r;
	memcpy(m->sb.policy.name, policy->name, CACHE_POLICY_NAME_SIZE);
	memcpy(m->sb.policy.version, policy->version, sizeof(policy->version));
	if (!policy->hint_size)
		return 0;
	m->sb.policy.hint_size = policy->hint_size;
	if (m->sb.hint_root)
		r = array_del(&m->hint_info, m->sb.hint_root);
	if (r == 0)
		r = array_new(&m->hint_info, m->sb.cache_blocks, hint_value, &h, &m->sb.hint_root);
	if (r < 0)
		return fail(m, e, r, "writing the hints");
	m->changed = true;
	return 0;
}

int cache_meta_write_discards(struct cache_meta *m, uint64_t dbs, uint64_t nr, struct err *e)
{
	uint64_t words = (nr + 63) / 64;
	uint64_t *zero = calloc(words ? words : 1, 8);
	int r = zero ? writable(m, e) : -ENOMEM;

	if (r == 0)
		r = array_del(&m->bits_info, m->sb.discard_root);
	if (r == 0)
		r = bitset_new(&m->bits_info, nr, zero, &m->sb.discard_root);
	free(zero);
	if (r < 0)
		return fail(m, e, r, "writing the discard bitset");
	m->sb.discard_block_size = dbs;
	m->sb.discard_nr_blocks = nr;
	m->changed = true;
	return 0;
}

/* ---- commit ---- */

int cache_meta_commit(struct cache_meta *m, bool clean_shutdown, struct err *e)
{
	struct bm_block *b;
	uint32_t flags = clean_shutdown ? m->sb.flags | CACHE_SB_CLEAN_SHUTDOWN
					: m->sb.flags & ~CACHE_SB_CLEAN_SHUTDOWN;
	int r = writable(m, e);

	if (r < 0)
		return r;
	if (!m->changed && flags == m->sb.flags)
		return 0;
	r = tm_pre_commit(m->tm);
	if (r < 0)
		return fail(m, e, r, "commit");
	sm_copy_root(tm_sm(m->tm), m->sb.sm_root);
	r = tm_lock_super(m->tm, &sb_validator, &b);
	if (r < 0)
		return fail(m, e, r, "commit");
	m->sb.flags = flags;
	sb_encode(bm_block_data(b), &m->sb);
	r = tm_commit(m->tm, b);
	if (r < 0)
		return fail(m, e, r, "commit");
	m->clean = clean_shutdown;
	m->changed = false;
	return 0;
}
