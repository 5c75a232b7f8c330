#include "targets/registry.h"

const struct target_type *const ulvm_targets[] = {
	&linear_target, &striped_target, &zero_target, &error_target, &flakey_target,
	&delay_target, &thin_pool_target, &thin_target, &raid_target, &snapshot_target, &origin_target,
	&mirror_target, &snapshot_merge_target, &crypt_target,
	&cache_target,
	&writecache_target,
};

const unsigned ulvm_ntargets = sizeof(ulvm_targets) / sizeof(ulvm_targets[0]);
