/* Cache policies: which origin blocks to promote and which cache blocks
 * to demote (the kernel's dm-cache-policy.h), one file per policy,
 * registered in cache_policies[] (policy.c).  The cache target owns the
 * mappings and the dirty bits; a policy only ranks.  Every call is made
 * with the target's lock held, so a policy needs no lock of its own.
 */
#ifndef ULVM_TARGETS_CACHE_POLICY_H
#define ULVM_TARGETS_CACHE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "targets/cache/cache_meta.h"

struct cache_policy;

struct cache_policy_ops {
	void (*destroy)(struct cache_policy *p);
	/* A miss on @oblock by an I/O of @len bytes at byte @off (the
	 * policy sees the stream): true if it should be promoted now. */
	bool (*miss)(struct cache_policy *p, uint64_t oblock, uint64_t off, uint64_t len, bool write);
	/* A hit on @cblock by an I/O at @off, @len. */
	void (*hit)(struct cache_policy *p, uint32_t cblock, uint64_t off, uint64_t len);
	/* @cblock now holds a block (promoted, or loaded with @hint). */
	void (*insert)(struct cache_policy *p, uint32_t cblock, uint32_t hint, bool hint_valid);
	void (*remove)(struct cache_policy *p, uint32_t cblock);
	/* The least valuable cblock that @ok(ctx, cblock) accepts (clean and
	 * idle): 0, or -ENOENT. */
	int (*victim)(struct cache_policy *p, bool (*ok)(void *ctx, uint32_t c), void *ctx,
		      uint32_t *cblock);
	uint32_t (*hint)(struct cache_policy *p, uint32_t cblock);
	/* A "key value" of the table or of a message: 0, or -EINVAL. */
	int (*set_config)(struct cache_policy *p, const char *key, const char *value);
	/* "<#args> [key value]..." for the status line. */
	void (*emit_config)(struct cache_policy *p, char *buf, size_t maxlen);
};

struct cache_policy {
	const struct cache_policy_ops *ops;
};

struct cache_policy_type {
	struct cache_policy_id id;  /* what the metadata records */
	const char *alias_of;       /* "default" is smq, as in the kernel */
	/* Writes back every dirty block, promotes nothing. */
	bool cleaner;
	int (*create)(uint32_t nr_cblocks, uint64_t nr_oblocks, uint64_t block_bytes,
		      struct cache_policy **out);
};

extern const struct cache_policy_type smq_policy, mq_policy, default_policy, cleaner_policy;
/* NULL if unknown. */
const struct cache_policy_type *cache_policy_find(const char *name);

#endif
