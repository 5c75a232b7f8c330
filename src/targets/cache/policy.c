/* The cache policies ulvm knows, in one explicit list.  "mq" and
 * "default" are smq, as in the kernel since 4.x: the metadata and the
 * status name the policy they stand for. */
#include <string.h>

#include "targets/cache/policy.h"

static const struct cache_policy_type *const cache_policies[] = {
	&smq_policy, &mq_policy, &default_policy, &cleaner_policy,
};

const struct cache_policy_type *cache_policy_find(const char *name)
{
	for (size_t i = 0; i < sizeof(cache_policies) / sizeof(cache_policies[0]); i++)
		if (!strcmp(cache_policies[i]->id.name, name))
			return cache_policies[i]->alias_of ? cache_policy_find(cache_policies[i]->alias_of)
							   : cache_policies[i];
	return NULL;
}
