/* mirror <log_type> <#log_args> <log_args...> <#mirrors> <dev> <offset>
 *        [<dev> <offset>...] [<#features> handle_errors [keep_log]]
 *
 * The kernel's dm-mirror (drivers/md/dm-raid1.c): every write goes to
 * every leg, reads come from the default mirror (the first leg, until it
 * fails with handle_errors), and a recovery thread copies the regions the
 * dirty log (log.c; core or disk) says are out of sync from the default
 * mirror to the others.  Status and table lines as the kernel prints them.
 * lvm2 builds its "mirror" segments and pvmove on it.
 *
 * Lifecycle: ctr checks the table; preresume reads the log (a disk log
 * keeps which regions were being written at a crash); resume starts the
 * recovery thread, presuspend stops it, postsuspend flushes the log.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "targets/mirror/mirror.h"
#include "targets/registry.h"

static void mirror_free(struct mirror_set *ms)
{
	if (!ms)
		return;
	mirror_log_dtr(&ms->log);
	free(ms->regions);
	pthread_mutex_destroy(&ms->lock);
	pthread_cond_destroy(&ms->cond);
	free(ms);
}

static int parse_features(struct mirror_set *ms, struct dm_target *ti, struct arg_set *as)
{
	uint32_t n;

	if (!as->argc)
		return 0;
	if (arg_u32(as, 0, 2, &n)) {
		ti->error = "Invalid number of features";
		return -EINVAL;
	}
	if (n > (uint32_t)as->argc) {
		ti->error = "Not enough arguments to support feature count";
		return -EINVAL;
	}
	while (n--) {
		const char *f = arg_shift(as);

		if (!strcmp(f, "handle_errors")) {
			ms->handle_errors = true;
		} else if (!strcmp(f, "keep_log")) {
			ms->keep_log = true;
		} else {
			dm_target_set_error(ti, "Unrecognised feature requested: %s", f);
			return -EINVAL;
		}
	}
	if (ms->keep_log && !ms->handle_errors) {
		ti->error = "keep_log feature requires the handle_errors feature";
		return -EINVAL;
	}
	return 0;
}

static int mirror_ctr(struct dm_target *ti, struct arg_set *as)
{
	struct mirror_set *ms = calloc(1, sizeof(*ms));
	uint32_t n;
	int r;

	if (!ms) {
		ti->error = "Cannot allocate mirror context";
		return -ENOMEM;
	}
	pthread_mutex_init(&ms->lock, NULL);
	pthread_cond_init(&ms->cond, NULL);
	ms->ti = ti;
	ti->private = ms;
	if ((r = mirror_log_ctr(&ms->log, ti, as)))
		goto fail;
	if (arg_u32(as, 2, MIRROR_MAX_LEGS, &n)) {
		ti->error = "Invalid number of mirrors (2 to 9)";
		r = -EINVAL;
		goto fail;
	}
	if ((uint32_t)as->argc < n * 2) {
		ti->error = "Too few mirror arguments";
		r = -EINVAL;
		goto fail;
	}
	ms->nlegs = n;
	for (unsigned i = 0; i < n; i++) {
		const char *path = arg_shift(as), *off = arg_shift(as);
		struct mirror_leg *l = &ms->legs[i];

		if (parse_u64(off, &l->offset)) {
			ti->error = "Invalid offset";
			r = -EINVAL;
			goto fail;
		}
		if ((r = dm_get_device(ti, path, &l->dev)))
			goto fail;
		if (to_bytes(l->offset) > l->dev->size || to_bytes(ti->len) > l->dev->size - to_bytes(l->offset)) {
			dm_target_set_error(ti, "Device %s is too small for the mirror", path);
			r = -EINVAL;
			goto fail;
		}
		atomic_init(&l->error_count, 0);
	}
	if ((r = parse_features(ms, ti, as)))
		goto fail;
	if (as->argc) {
		ti->error = "Too many mirror arguments";
		r = -EINVAL;
		goto fail;
	}
	if (!(ms->regions = calloc(ms->log.nregions ? ms->log.nregions : 1, sizeof(*ms->regions)))) {
		ti->error = "Cannot allocate region states";
		r = -ENOMEM;
		goto fail;
	}
	return 0;
fail:
	mirror_free(ms);
	ti->private = NULL;
	return r;
}

static void mirror_dtr(struct dm_target *ti)
{
	struct mirror_set *ms = ti->private;

	mirror_recovery_stop(ms);
	mirror_free(ms);
}

static int mirror_preresume(struct dm_target *ti)
{
	struct mirror_set *ms = ti->private;
	int r;

	if (ms->loaded)
		return 0;
	if ((r = mirror_log_resume(ms))) {
		ti->error = "Cannot load the mirror's log";
		return r;
	}
	ms->in_sync = ms->log.sync_count == ms->log.nregions;
	ms->loaded = true;
	return 0;
}

static void mirror_resume(struct dm_target *ti)
{
	if (mirror_recovery_start(ti->private))
		log_warn("mirror: cannot start the recovery thread: out-of-sync regions wait");
}

static void mirror_presuspend(struct dm_target *ti)
{
	mirror_recovery_stop(ti->private);
}

static void mirror_postsuspend(struct dm_target *ti)
{
	struct mirror_set *ms = ti->private;

	if (ms->loaded && mirror_log_flush(ms))
		log_warn("mirror: cannot write the log at suspend");
}

static char leg_health(const struct mirror_leg *l)
{
	if (!atomic_load(&l->error_count))
		return 'A';
	return l->errors & MERR_FLUSH ? 'F' : l->errors & MERR_WRITE ? 'D' : l->errors & MERR_SYNC ? 'S'
		: l->errors & MERR_READ ? 'R' : 'U';
}

static void mirror_status(struct dm_target *ti, enum status_type type, char *buf, size_t maxlen)
{
	struct mirror_set *ms = ti->private;
	char health[MIRROR_MAX_LEGS + 1];

	pthread_mutex_lock(&ms->lock);
	if (type == STATUSTYPE_INFO) {
		dm_emit(buf, maxlen, "%u ", ms->nlegs);
		for (unsigned i = 0; i < ms->nlegs; i++) {
			dm_emit(buf, maxlen, "%s ", dm_device_name(ti, ms->legs[i].dev));
			health[i] = leg_health(&ms->legs[i]);
		}
		health[ms->nlegs] = 0;
		dm_emit(buf, maxlen, "%" PRIu64 "/%" PRIu64 " 1 %s ", ms->log.sync_count, ms->log.nregions, health);
		ms->log.type->status_info(&ms->log, ti, buf, maxlen);
	} else {
		unsigned nf = ms->handle_errors + ms->keep_log;

		mirror_log_table(&ms->log, ti, buf, maxlen);
		dm_emit(buf, maxlen, "%u", ms->nlegs);
		for (unsigned i = 0; i < ms->nlegs; i++)
			dm_emit(buf, maxlen, " %s %" PRIu64, dm_device_name(ti, ms->legs[i].dev), ms->legs[i].offset);
		if (nf)
			dm_emit(buf, maxlen, " %u%s%s", nf, ms->handle_errors ? " handle_errors" : "",
				ms->keep_log ? " keep_log" : "");
	}
	pthread_mutex_unlock(&ms->lock);
}

static int mirror_iterate_devices(struct dm_target *ti, iterate_devices_fn fn, void *data)
{
	struct mirror_set *ms = ti->private;
	int r = 0;

	for (unsigned i = 0; i < ms->nlegs && !r; i++)
		r = fn(ti, ms->legs[i].dev, to_bytes(ms->legs[i].offset), to_bytes(ti->len), data);
	return r;
}

const struct target_type mirror_target = {
	.name = "mirror",
	.version = { 1, 14, 0 },
	.ctr = mirror_ctr,
	.dtr = mirror_dtr,
	.read = mirror_read,
	.map_read = mirror_map_read,
	.map_end = mirror_map_end,
	.write = mirror_write,
	.flush = mirror_flush,
	.discard = mirror_discard,
	.write_zeroes = mirror_write_zeroes,
	.preresume = mirror_preresume,
	.resume = mirror_resume,
	.presuspend = mirror_presuspend,
	.postsuspend = mirror_postsuspend,
	.status = mirror_status,
	.iterate_devices = mirror_iterate_devices,
};
