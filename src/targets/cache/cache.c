/* cache <metadata dev> <cache dev> <origin dev> <block size>
 *       <#features> [writeback|writethrough|passthrough] [metadata2]
 *       [no_discard_passdown] <policy> <#policy args> [<key> <value>]...
 *
 * The kernel's dm-cache (drivers/md/dm-cache-target.c): a small fast
 * cache device in front of a big slow origin, the mapping of cache
 * blocks to origin blocks kept in persistent-data metadata that
 * cache_check and cache_dump read (cache_meta.c), a policy deciding what
 * to promote and demote (policy.h).  This file holds the table, status,
 * messages and lifecycle; cache_io.c the I/O path and the worker.
 *
 * Lifecycle, as the kernel's: ctr opens the metadata (formatting a zeroed
 * device) through a registry shared by the tables of one metadata device;
 * preresume sizes it to the cache device and loads the mappings (after a
 * crash, every mapped block counts as dirty); resume starts the worker;
 * postsuspend writes the dirty bits, hints and statistics and commits
 * with CLEAN_SHUTDOWN, after flushing both data devices.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/log.h"
#include "targets/cache/cache.h"
#include "targets/registry.h"

#define DEFAULT_MIGRATION_THRESHOLD 2048
#define BLOCK_MIN_SECTORS 64u              /* 32 KiB */
#define BLOCK_MAX_SECTORS (2u * 1024 * 1024) /* 1 GiB */
#define MAX_DISCARD_BLOCKS (1u << 14)

/* ---- the shared metadata registry ---- */

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cache_shared_meta *registry[64];
static unsigned nregistry;

static int shared_meta_get(struct dev *mdev, uint32_t block_sectors, unsigned version,
			   struct cache_shared_meta **out, struct err *e)
{
	struct cache_shared_meta *s = NULL;
	int r = 0;

	pthread_mutex_lock(&registry_lock);
	for (unsigned i = 0; i < nregistry; i++)
		if (registry[i]->dev == mdev)
			s = registry[i];
	if (s) {
		s->refs++;
	} else if (nregistry == sizeof(registry) / sizeof(registry[0])) {
		r = err_set(e, -EMFILE, "too many cache metadata devices open");
	} else if (!(s = calloc(1, sizeof(*s)))) {
		r = err_set(e, -ENOMEM, "cache metadata");
	} else if ((r = cache_meta_open(mdev, block_sectors, version, &s->md, e)) < 0) {
		free(s);
		s = NULL;
	} else {
		s->dev = dev_get(mdev);
		s->refs = 1;
		registry[nregistry++] = s;
	}
	pthread_mutex_unlock(&registry_lock);
	*out = s;
	return r;
}

static void shared_meta_put(struct cache_shared_meta *s)
{
	bool last;

	if (!s)
		return;
	pthread_mutex_lock(&registry_lock);
	last = --s->refs == 0;
	if (last)
		for (unsigned i = 0; i < nregistry; i++)
			if (registry[i] == s)
				registry[i] = registry[--nregistry];
	pthread_mutex_unlock(&registry_lock);
	if (last) {
		cache_meta_close(s->md);
		dev_put(s->dev);
		free(s);
	}
}

/* ---- construct ---- */

static void cache_free(struct cache *c)
{
	if (!c)
		return;
	if (c->policy)
		c->policy->ops->destroy(c->policy);
	shared_meta_put(c->sm);
	for (int i = 0; i < c->nr_ctr_args; i++)
		free(c->ctr_args[i]);
	free(c->ctr_args);
	free(c->oblock_of);
	free(c->busy);
	free(c->io);
	free(c->dirty);
	free(c->hash);
	free(c->free_list);
	free(c->pending);
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->cond);
	pthread_cond_destroy(&c->wake);
	free(c);
}

static int need(struct dm_target *ti, struct arg_set *as)
{
	if (as->argc > 0)
		return 0;
	ti->error = "Insufficient args";
	return -EINVAL;
}

static int parse_features(struct cache *c, struct dm_target *ti, struct arg_set *as)
{
	uint32_t n;
	unsigned modes = 0;

	if (need(ti, as) || arg_u32(as, 0, 3, &n) || n > (uint32_t)as->argc) {
		ti->error = "Invalid number of cache feature arguments";
		return -EINVAL;
	}
	c->io_mode = CACHE_WRITEBACK;
	c->md_version = 1;
	c->discard_passdown = true;
	while (n--) {
		const char *f = arg_shift(as);

		if (!strcasecmp(f, "writeback"))
			c->io_mode = CACHE_WRITEBACK, modes++;
		else if (!strcasecmp(f, "writethrough"))
			c->io_mode = CACHE_WRITETHROUGH, modes++;
		else if (!strcasecmp(f, "passthrough"))
			c->io_mode = CACHE_PASSTHROUGH, modes++;
		else if (!strcasecmp(f, "metadata2"))
			c->md_version = 2;
		else if (!strcasecmp(f, "no_discard_passdown"))
			c->discard_passdown = false;
		else {
			dm_target_set_error(ti, "Unrecognised cache feature requested: %s", f);
			return -EINVAL;
		}
	}
	if (modes > 1) {
		ti->error = "Duplicate cache io_mode features requested";
		return -EINVAL;
	}
	return 0;
}

static int set_config(struct cache *c, const char *key, const char *value)
{
	if (!strcasecmp(key, "migration_threshold"))
		return parse_u64(value, &c->migration_threshold) ? -EINVAL : 0;
	return c->policy->ops->set_config(c->policy, key, value);
}

static int parse_policy(struct cache *c, struct dm_target *ti, struct arg_set *as)
{
	const char *name;
	uint32_t n;
	int r;

	if (need(ti, as))
		return -EINVAL;
	name = arg_shift(as);
	if (arg_u32(as, 0, 1024, &n) || n > (uint32_t)as->argc) {
		ti->error = "Invalid number of policy arguments";
		return -EINVAL;
	}
	if (n & 1) {
		ti->error = "Odd number of policy arguments given but they should be <key> <value> pairs";
		return -EINVAL;
	}
	c->ptype = cache_policy_find(name);
	if (!c->ptype) {
		dm_target_set_error(ti, "Error creating cache's policy: unknown policy %s", name);
		return -EINVAL;
	}
	r = c->ptype->create(c->nr_cblocks, c->nr_oblocks, c->block_bytes, &c->policy);
	if (r < 0) {
		ti->error = "Error creating cache's policy";
		return r;
	}
	c->migration_threshold = DEFAULT_MIGRATION_THRESHOLD;
	for (; n; n -= 2) {
		const char *k = arg_shift(as), *v = arg_shift(as);

		if (set_config(c, k, v)) {
			dm_target_set_error(ti, "Error setting cache policy's config values: bad "
					    "config value for %s: %s", k, v);
			return -EINVAL;
		}
	}
	if (as->argc) {
		ti->error = "Too many cache arguments";
		return -EINVAL;
	}
	return 0;
}

static int alloc_state(struct cache *c)
{
	uint32_t n = c->nr_cblocks, hs = 16;

	while (hs < 2ull * n)
		hs <<= 1;
	c->hash_mask = hs - 1;
	c->oblock_of = malloc((size_t)n * sizeof(uint64_t));
	c->busy = calloc(n ? n : 1, 1);
	c->io = calloc(n ? n : 1, sizeof(atomic_uint));
	c->dirty = calloc(n / 64 + 1, sizeof(uint64_t));
	c->hash = calloc(hs, sizeof(uint32_t));
	c->free_list = malloc((size_t)(n ? n : 1) * sizeof(uint32_t));
	c->pending = malloc((size_t)(n ? n : 1) * sizeof(uint32_t));
	if ((!c->oblock_of && n) || !c->busy || !c->io || !c->dirty || !c->hash || !c->free_list ||
	    !c->pending)
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++)
		c->oblock_of[i] = CACHE_FREE;
	return 0;
}

static int copy_args(struct cache *c, struct arg_set *all)
{
	c->ctr_args = calloc(all->argc ? all->argc : 1, sizeof(char *));
	if (!c->ctr_args)
		return -ENOMEM;
	for (int i = 0; i < all->argc; i++)
		if (!(c->ctr_args[c->nr_ctr_args++] = strdup(all->argv[i])))
			return -ENOMEM;
	return 0;
}

static int cache_ctr(struct dm_target *ti, struct arg_set *as)
{
	struct cache *c = calloc(1, sizeof(*c));
	struct arg_set rest;
	struct err e = { { 0 } };
	uint32_t bs;
	int r;

	if (!c) {
		ti->error = "Error allocating memory for cache";
		return -ENOMEM;
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	pthread_cond_init(&c->wake, NULL);
	c->ti = ti;
	if ((r = need(ti, as)) || (r = dm_get_device(ti, arg_shift(as), &c->meta_dev)) ||
	    (r = need(ti, as)) || (r = dm_get_device(ti, arg_shift(as), &c->cache_dev)) ||
	    (r = need(ti, as)) || (r = dm_get_device(ti, arg_shift(as), &c->origin_dev)))
		goto fail;
	if (to_bytes(ti->len) > c->origin_dev->size) {
		ti->error = "Device size larger than cached device";
		r = -EINVAL;
		goto fail;
	}
	rest = *as;
	if (need(ti, as) || arg_u32(as, BLOCK_MIN_SECTORS, BLOCK_MAX_SECTORS, &bs) ||
	    bs % BLOCK_MIN_SECTORS) {
		ti->error = "Invalid data block size";
		r = -EINVAL;
		goto fail;
	}
	if (to_bytes(bs) > c->cache_dev->size) {
		ti->error = "Data block size is larger than the cache device";
		r = -EINVAL;
		goto fail;
	}
	c->block_sectors = bs;
	c->block_bytes = to_bytes(bs);
	c->nr_oblocks = ti->len / bs;
	if (c->cache_dev->size / c->block_bytes > UINT32_MAX - 1) {
		ti->error = "Too many cache blocks";
		r = -EINVAL;
		goto fail;
	}
	c->nr_cblocks = (uint32_t)(c->cache_dev->size / c->block_bytes);
	if ((r = parse_features(c, ti, as)) || (r = parse_policy(c, ti, as)))
		goto fail;
	if ((r = alloc_state(c)) || (r = copy_args(c, &rest))) {
		ti->error = "Cannot allocate the cache's state";
		goto fail;
	}
	r = shared_meta_get(c->meta_dev, bs, c->md_version, &c->sm, &e);
	if (r < 0) {
		dm_target_set_error(ti, "Error creating metadata object: %s", e.msg);
		goto fail;
	}
	cache_meta_get_stats(c->sm->md, &c->base_stats);
	ti->private = c;
	return 0;
fail:
	cache_free(c);
	return r;
}

static void cache_dtr(struct dm_target *ti)
{
	struct cache *c = ti->private;

	cache_worker_stop(c);
	cache_free(c);
}

/* ---- load, suspend, resume ---- */

struct load_ctx {
	struct cache *c;
	struct err *e;
};

static int load_one(void *opaque, uint32_t cb, uint64_t oblock, bool dirty, uint32_t hint,
		    bool hint_valid)
{
	struct load_ctx *l = opaque;
	struct cache *c = l->c;

	if (oblock >= c->nr_oblocks) {
		if (dirty)
			return err_set(l->e, -EFBIG, "unable to shrink origin; cache block %u is dirty",
				       cb);
		return cache_meta_remove(c->sm->md, cb, l->e);
	}
	if (cache_lookup(c, oblock) >= 0)
		return err_set(l->e, -EUCLEAN, "origin block %" PRIu64 " is mapped by two cache "
			       "blocks (%d and %u)", oblock, cache_lookup(c, oblock), cb);
	c->oblock_of[cb] = oblock;
	cache_hash_insert(c, cb);
	c->nr_mapped++;
	if (dirty)
		cache_set_dirty(c, cb, true);
	c->policy->ops->insert(c->policy, cb, hint, hint_valid);
	return 0;
}

static int load(struct cache *c, struct err *e)
{
	struct cache_meta *md = c->sm->md;
	struct load_ctx l = { c, e };
	int r = cache_meta_resize(md, c->nr_cblocks, e);

	if (r == 0)
		r = cache_meta_load(md, &c->ptype->id, load_one, &l, e);
	if (r < 0)
		return r;
	if (c->io_mode == CACHE_PASSTHROUGH && c->nr_dirty)
		return err_set(e, -EINVAL, "Cannot enter passthrough mode unless all blocks are clean");
	for (uint32_t cb = c->nr_cblocks; cb-- > 0;)
		if (c->oblock_of[cb] == CACHE_FREE)
			c->free_list[c->nr_free++] = cb;
	return 0;
}

static int cache_preresume(struct dm_target *ti)
{
	struct cache *c = ti->private;
	struct err e = { { 0 } };
	int r = 0;

	pthread_mutex_lock(&c->lock);
	if (!c->loaded) {
		r = load(c, &e);
		if (r < 0) {
			dm_target_set_error(ti, "could not load cache mappings: %s", e.msg);
			cache_meta_abort(c->sm->md, &e);
		} else {
			c->loaded = true;
		}
	}
	/* CLEAN_SHUTDOWN off before any write: a crash from now on makes
	 * every mapped block dirty at the next load. */
	if (r == 0 && c->md_mode == CACHE_MD_RW)
		r = cache_commit_locked(c, false);
	pthread_mutex_unlock(&c->lock);
	return r;
}

static void cache_resume(struct dm_target *ti)
{
	struct cache *c = ti->private;

	/* A resume without a new table (no preresume) follows a clean
	 * shutdown's commit too: clear CLEAN_SHUTDOWN before any write. */
	pthread_mutex_lock(&c->lock);
	if (c->loaded && c->md_mode == CACHE_MD_RW)
		cache_commit_locked(c, false);
	pthread_mutex_unlock(&c->lock);
	if (cache_worker_start(c))
		log_warn("cache: cannot start the background worker: dirty blocks wait");
}

static void cache_presuspend(struct dm_target *ti)
{
	cache_worker_stop(ti->private);
}

static uint32_t hint_of(void *ctx, uint32_t cb)
{
	struct cache *c = ctx;

	return c->oblock_of[cb] == CACHE_FREE ? 0 : c->policy->ops->hint(c->policy, cb);
}

static void stats_now(struct cache *c, struct cache_stats_disk *s)
{
	s->read_hits = c->base_stats.read_hits + atomic_load(&c->read_hit);
	s->read_misses = c->base_stats.read_misses + atomic_load(&c->read_miss);
	s->write_hits = c->base_stats.write_hits + atomic_load(&c->write_hit);
	s->write_misses = c->base_stats.write_misses + atomic_load(&c->write_miss);
}

static void cache_postsuspend(struct dm_target *ti)
{
	struct cache *c = ti->private;
	struct cache_meta *md = c->sm->md;
	struct cache_stats_disk st;
	struct err e = { { 0 } };
	uint64_t dbs = c->block_sectors, nr;
	int r;

	pthread_mutex_lock(&c->lock);
	if (!c->loaded || c->md_mode != CACHE_MD_RW) {
		pthread_mutex_unlock(&c->lock);
		return;
	}
	while (dbs && ti->len / dbs > MAX_DISCARD_BLOCKS)
		dbs *= 2;
	nr = dbs ? (ti->len + dbs - 1) / dbs : 0;
	stats_now(c, &st);
	cache_meta_set_stats(md, &st);
	r = dev_flush(c->origin_dev);
	if (r == 0)
		r = cache_meta_write_dirty(md, c->dirty, &e);
	if (r == 0)
		r = cache_meta_write_discards(md, dbs, nr, &e);
	if (r == 0)
		r = cache_meta_write_hints(md, &c->ptype->id, hint_of, c, &e);
	if (r == 0)
		r = cache_commit_locked(c, true);
	else
		log_err("cache: clean shutdown failed: %s", e.msg[0] ? e.msg : strerror(-r));
	pthread_mutex_unlock(&c->lock);
}

/* ---- status and messages ---- */

static const char *mode_name(enum cache_io_mode m)
{
	return m == CACHE_WRITETHROUGH ? "writethrough" : m == CACHE_PASSTHROUGH ? "passthrough"
										: "writeback";
}

static void cache_status(struct dm_target *ti, enum status_type type, char *buf, size_t maxlen)
{
	struct cache *c = ti->private;

	if (type != STATUSTYPE_INFO) {
		dm_emit(buf, maxlen, "%s %s %s", dm_device_name(ti, c->meta_dev),
			dm_device_name(ti, c->cache_dev), dm_device_name(ti, c->origin_dev));
		for (int i = 0; i < c->nr_ctr_args; i++)
			dm_emit(buf, maxlen, " %s", c->ctr_args[i]);
		return;
	}
	pthread_mutex_lock(&c->lock);
	if (c->md_mode == CACHE_MD_FAIL) {
		dm_emit(buf, maxlen, "Fail");
		pthread_mutex_unlock(&c->lock);
		return;
	}
	{
		uint64_t used, total;
		struct cache_stats_disk st;

		if (c->md_mode == CACHE_MD_RW && c->worker_running)
			cache_commit_locked(c, false); /* statistics up to date, as the kernel */
		cache_meta_space(c->sm->md, &used, &total);
		stats_now(c, &st);
		dm_emit(buf, maxlen, "%u %" PRIu64 "/%" PRIu64 " %u %u/%u %u %u %u %u %u %u %u ",
			CACHE_METADATA_BLOCK_SECTORS, used, total, c->block_sectors, c->nr_mapped,
			c->nr_cblocks, st.read_hits, st.read_misses, st.write_hits, st.write_misses,
			atomic_load(&c->demotions), atomic_load(&c->promotions), c->nr_dirty);
	}
	dm_emit(buf, maxlen, "%u %s%s%s", (c->md_version == 2) + !c->discard_passdown + 1,
		c->md_version == 2 ? "metadata2 " : "", mode_name(c->io_mode),
		c->discard_passdown ? "" : " no_discard_passdown");
	dm_emit(buf, maxlen, " 2 migration_threshold %" PRIu64 " %s ", c->migration_threshold,
		c->ptype->id.name);
	c->policy->ops->emit_config(c->policy, buf, maxlen);
	dm_emit(buf, maxlen, " %s %s", c->md_mode == CACHE_MD_RO ? "ro" : "rw",
		cache_meta_needs_check(c->sm->md) ? "needs_check" : "-");
	pthread_mutex_unlock(&c->lock);
}

/* invalidate_cblocks <begin>[-<end>]...: passthrough mode only. */
static int invalidate(struct cache *c, struct dm_target *ti, int argc, char **argv)
{
	struct err e = { { 0 } };
	int r = 0;

	if (c->io_mode != CACHE_PASSTHROUGH) {
		ti->error = "cache has to be in passthrough mode for invalidation";
		return -EPERM;
	}
	for (int i = 0; i < argc && !r; i++) {
		uint64_t b, end;
		char *dash = strchr(argv[i], '-');

		if (dash)
			*dash = 0;
		if (parse_u64(argv[i], &b) || (dash ? parse_u64(dash + 1, &end) : (end = b + 1, 0)) ||
		    b >= end || end > c->nr_cblocks) {
			dm_target_set_error(ti, "invalid cblock range '%s%s%s'", argv[i], dash ? "-" : "",
					    dash ? dash + 1 : "");
			return -EINVAL;
		}
		pthread_mutex_lock(&c->lock);
		for (uint64_t cb = b; cb < end && !r; cb++) {
			while (c->busy[cb])
				pthread_cond_wait(&c->cond, &c->lock);
			cache_wait_idle(c, (uint32_t)cb);
			if (c->oblock_of[cb] == CACHE_FREE)
				continue;
			r = cache_unmap(c, (uint32_t)cb, &e);
		}
		if (r == 0)
			r = cache_commit_locked(c, false);
		pthread_mutex_unlock(&c->lock);
	}
	if (r)
		dm_target_set_error(ti, "invalidation failed: %s", e.msg[0] ? e.msg : strerror(-r));
	return r;
}

static int cache_message(struct dm_target *ti, int argc, char **argv, char *result, size_t maxlen)
{
	struct cache *c = ti->private;
	int r;

	(void)result, (void)maxlen;
	if (!argc)
		return -EINVAL;
	if (c->md_mode != CACHE_MD_RW) {
		ti->error = "unable to service cache target messages in READ_ONLY or FAIL mode";
		return -EOPNOTSUPP;
	}
	if (!strcasecmp(argv[0], "invalidate_cblocks"))
		return invalidate(c, ti, argc - 1, argv + 1);
	if (argc != 2) {
		ti->error = "Messages are <key> <value> or invalidate_cblocks <range>...";
		return -EINVAL;
	}
	pthread_mutex_lock(&c->lock);
	r = set_config(c, argv[0], argv[1]);
	pthread_mutex_unlock(&c->lock);
	if (r)
		dm_target_set_error(ti, "bad config value for %s: %s", argv[0], argv[1]);
	return r;
}

static int cache_iterate_devices(struct dm_target *ti, iterate_devices_fn fn, void *data)
{
	struct cache *c = ti->private;
	int r = fn(ti, c->meta_dev, 0, c->meta_dev->size, data);

	if (r == 0)
		r = fn(ti, c->cache_dev, 0, c->cache_dev->size, data);
	if (r == 0)
		r = fn(ti, c->origin_dev, 0, to_bytes(ti->len), data);
	return r;
}

const struct target_type cache_target = {
	.name = "cache",
	.version = { 2, 2, 0 },
	.ctr = cache_ctr,
	.dtr = cache_dtr,
	.read = cache_read,
	.write = cache_write,
	.flush = cache_flush,
	.discard = cache_discard,
	.preresume = cache_preresume,
	.resume = cache_resume,
	.presuspend = cache_presuspend,
	.postsuspend = cache_postsuspend,
	.status = cache_status,
	.message = cache_message,
	.iterate_devices = cache_iterate_devices,
};
