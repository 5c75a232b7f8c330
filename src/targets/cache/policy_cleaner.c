/* cleaner: writes every dirty block back and promotes nothing, as the
 * kernel's; lvm2 loads it to flush a cache before splitting or removing
 * it.  The target sees type->cleaner and writes back at full speed. */
#include <errno.h>
#include <stdlib.h>

#include "dm/target.h"
#include "targets/cache/policy.h"

static void cleaner_destroy(struct cache_policy *p) { free(p); }

static bool cleaner_miss(struct cache_policy *p, uint64_t oblock, uint64_t off, uint64_t len,
			 bool write)
{
	(void)p, (void)oblock, (void)off, (void)len, (void)write;
	return false;
}

static void cleaner_hit(struct cache_policy *p, uint32_t c, uint64_t off, uint64_t len)
{
	(void)p, (void)c, (void)off, (void)len;
}

static void cleaner_insert(struct cache_policy *p, uint32_t c, uint32_t hint, bool valid)
{
	(void)p, (void)c, (void)hint, (void)valid;
}

static void cleaner_remove(struct cache_policy *p, uint32_t c) { (void)p, (void)c; }

static int cleaner_victim(struct cache_policy *p, bool (*ok)(void *, uint32_t), void *ctx,
			  uint32_t *c)
{
	(void)p, (void)ok, (void)ctx, (void)c;
	return -ENOENT;
}

static uint32_t cleaner_hint(struct cache_policy *p, uint32_t c)
{
	(void)p, (void)c;
	return 0;
}

static int cleaner_set_config(struct cache_policy *p, const char *k, const char *v)
{
	(void)p, (void)k, (void)v;
	return -EINVAL;
}

static void cleaner_emit_config(struct cache_policy *p, char *buf, size_t maxlen)
{
	(void)p;
	dm_emit(buf, maxlen, "0");
}

static const struct cache_policy_ops cleaner_ops = {
	.destroy = cleaner_destroy,
	.miss = cleaner_miss,
	.hit = cleaner_hit,
	.insert = cleaner_insert,
	.remove = cleaner_remove,
	.victim = cleaner_victim,
	.hint = cleaner_hint,
	.set_config = cleaner_set_config,
	.emit_config = cleaner_emit_config,
};

static int cleaner_create(uint32_t n, uint64_t nr_oblocks, uint64_t block_bytes,
			  struct cache_policy **out)
{
	struct cache_policy *p = calloc(1, sizeof(*p));

	(void)n, (void)nr_oblocks, (void)block_bytes;
	if (!p)
		return -ENOMEM;
	p->ops = &cleaner_ops;
	*out = p;
	return 0;
}

const struct cache_policy_type cleaner_policy = {
	.id = { .name = "cleaner", .version = { 2, 0, 0 }, .hint_size = 4 },
	.cleaner = true,
	.create = cleaner_create,
};
