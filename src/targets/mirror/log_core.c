/* "core" log: the bits in memory only (core <region_size> [[no]sync]);
 * every activation copies all regions again unless nosync. */
#include "targets/mirror/mirror.h"

static int core_ctr(struct mirror_log *log, struct dm_target *ti, char **argv)
{
	(void)log;
	(void)ti;
	(void)argv;
	return 0;
}

static void core_status(struct mirror_log *log, struct dm_target *ti, char *buf, size_t maxlen)
{
	(void)ti;
	dm_emit(buf, maxlen, "1 %s", log->type->name);
}

const struct mirror_log_type mirror_log_core = {
	.name = "core",
	.dev_args = 0,
	.ctr = core_ctr,
	.status_info = core_status,
};
