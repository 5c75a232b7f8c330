/* The targets ulvm knows, in one explicit list. */
#ifndef ULVM_TARGETS_REGISTRY_H
#define ULVM_TARGETS_REGISTRY_H

#include "dm/target.h"

extern const struct target_type linear_target, striped_target, zero_target, error_target,
	flakey_target, delay_target, thin_pool_target, thin_target, raid_target, snapshot_target, origin_target,
	mirror_target, snapshot_merge_target, crypt_target, cache_target,
	writecache_target;

extern const struct target_type *const ulvm_targets[];
extern const unsigned ulvm_ntargets;

#endif
