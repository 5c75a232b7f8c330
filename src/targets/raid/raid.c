/* raid <raid_type> <#raid_params> <chunk_size> [<param>...]
 *      <#raid_devs> <meta_dev0> <data_dev0> [... <meta_devN> <data_devN>]
 *
 * The kernel's dm-raid (Documentation/admin-guide/device-mapper/dm-raid.rst)
 * for raid0, raid1, raid10 (near, far, offset), raid4, raid5 (la ra ls rs
 * n) and raid6 (zr nr nc n_6 la_6 ra_6 ls_6 rs_6), with its table syntax,
 * status line and messages, data placed as MD places it and metadata
 * devices in the kernel's format (raid_format.h), so the same legs work
 * under the kernel.  '-' for both devices of a slot marks it missing.
 * Parameters: sync, nosync, rebuild <idx>, daemon_sleep <ms>,
 * min_recovery_rate / max_recovery_rate <kB/s>, write_mostly <idx>,
 * max_write_behind <n> (raid1: writes to write_mostly legs answered
 * before they land, raid_behind.c), stripe_cache <sectors> (parity levels: how
 * many waiting writes to one stripe row are merged, one per 8 sectors),
 * region_size <sectors>, raid10_copies <n>, raid10_format
 * near|far|offset, raid10_use_near_sets.  Messages: idle frozen resync
 * recover check repair.
 *
 * Lifecycle.  ctr checks the table (and that superblocks on the rmeta
 * devices describe this array); preresume loads the superblocks and the
 * bitmap - the old table is suspended by then, its state on disk - and
 * writes them back; resume starts the sync thread, presuspend stops it,
 * postsuspend clears the bitmap of finished writes and writes the
 * superblocks.  So a crash leaves, at worst, bits set for regions whose
 * writes may not have reached every leg: only those are resynced.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "targets/raid/raid.h"
#include "targets/registry.h"

static const struct raid_level *const raid_levels[] = {
	&raid_level_raid0, &raid_level_raid1, &raid_level_raid10,
	&raid_level_raid10_near, &raid_level_raid10_far, &raid_level_raid10_offset,
	&raid_level_raid4, &raid_level_raid5_la, &raid_level_raid5_ra, &raid_level_raid5_ls,
	&raid_level_raid5_rs, &raid_level_raid5_n, &raid_level_raid6_zr, &raid_level_raid6_nr,
	&raid_level_raid6_nc, &raid_level_raid6_n_6, &raid_level_raid6_la_6, &raid_level_raid6_ra_6,
	&raid_level_raid6_ls_6, &raid_level_raid6_rs_6,
};

static const char *const action_names[] = { "idle", "frozen", "resync", "recover", "check", "repair" };

#define DEFAULT_REGION 8192u            /* sectors: 4 MiB */
#define MAX_REGIONS (UINT64_C(1) << 21) /* per array, as dm-raid */
#define DEFAULT_DAEMON_SLEEP_MS 5000u

bool raid_survives(const struct raid_level *l, const struct raid_geom *g, const uint64_t *failed)
{
	struct raid_copy c[RAID_MAX_DEVS];
	unsigned period = g->ndevs * (g->nc ? g->nc : 1) * (g->fc ? g->fc : 1) * 2;

	if (!l->redundant || l->parity) {
		unsigned n = 0;

		for (unsigned i = 0; i < g->ndevs; i++)
			n += raid_failed_test(failed, i);
		return n <= (l->parity ? l->parity->nparity : 0);
	}
	/* Every chunk of one period of the layout keeps a live copy. */
	for (unsigned k = 0; k < period; k++) {
		uint64_t s = (uint64_t)k * (g->chunk ? g->chunk : 1), run;
		unsigned n, live = 0;

		if (s >= g->array_sectors)
			break;
		n = l->map(g, s, c, &run);
		for (unsigned j = 0; j < n; j++)
			live += !raid_failed_test(failed, c[j].dev);
		if (!live)
			return false;
	}
	return true;
}

static int bad(struct dm_target *ti, const char *why)
{
	ti->error = why;
	return -EINVAL;
}

static int parse_idx(struct arg_set *as, unsigned *idx)
{
	uint32_t v;

	if (arg_u32(as, 0, RAID_MAX_DEVS - 1, &v))
		return -EINVAL;
	*idx = v;
	return 0;
}

static bool is_value_key(const char *k)
{
	static const char *const keys[] = {
		"rebuild", "write_mostly", "daemon_sleep", "min_recovery_rate", "max_recovery_rate",
		"max_write_behind", "stripe_cache", "region_size", "raid10_copies", "raid10_format",
		"data_offset", "delta_disks", "journal_dev", "journal_mode",
	};

	for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcmp(k, keys[i]))
			return true;
	return false;
}

/* The parameters after <chunk_size>: @n words. */
static int parse_params(struct dm_target *ti, struct raid_set *rs, struct arg_set *as, unsigned n,
			unsigned *rebuild, unsigned *nrebuild, unsigned *wm, unsigned *nwm)
{
	uint32_t v;
	uint64_t v64;

	while (n) {
		const char *k = arg_shift(as);

		n--;
		if (!k)
			return bad(ti, "Not enough raid parameters given");
		if (!strcmp(k, "sync") || !strcmp(k, "nosync")) {
			if (rs->sync || rs->nosync)
				return bad(ti, "sync and nosync given together or twice");
			*(k[0] == 's' ? &rs->sync : &rs->nosync) = true;
			continue;
		}
		if (!strcmp(k, "raid10_use_near_sets")) {
			rs->p.near_sets = true;
			continue;
		}
		if (!is_value_key(k)) {
			dm_target_set_error(ti, "Unable to parse RAID parameter: %s", k);
			return -EINVAL;
		}
		if (!n--)
			return bad(ti, "A raid parameter is missing its value");
		if (!strcmp(k, "rebuild")) {
			if (*nrebuild == RAID_MAX_DEVS || parse_idx(as, &rebuild[(*nrebuild)++]))
				return bad(ti, "Invalid rebuild index given");
		} else if (!strcmp(k, "write_mostly")) {
			if (*nwm == RAID_MAX_DEVS || parse_idx(as, &wm[(*nwm)++]))
				return bad(ti, "Invalid write_mostly index given");
		} else if (!strcmp(k, "daemon_sleep")) {
			if (arg_u32(as, 1, 3600000, &v))
				return bad(ti, "daemon_sleep period out of range");
			rs->daemon_sleep_ms = v;
		} else if (!strcmp(k, "min_recovery_rate") || !strcmp(k, "max_recovery_rate")) {
			if (arg_u64(as, &v64) || v64 > INT32_MAX)
				return bad(ti, "recovery_rate out of range");
			*(k[1] == 'i' ? &rs->min_rate : &rs->max_rate) = v64;
		} else if (!strcmp(k, "max_write_behind")) {
			if (arg_u64(as, &v64) || v64 / 2 > 16383)
				return bad(ti, "Max write-behind limit out of range");
			rs->max_write_behind = v64;
		} else if (!strcmp(k, "stripe_cache")) {
			if (arg_u32(as, 0, INT32_MAX, &v))
				return bad(ti, "Bad stripe_cache size");
			rs->stripe_cache = v;
		} else if (!strcmp(k, "region_size")) {
			if (arg_u32(as, 1, UINT32_MAX, &v) || !is_pow2_u64(v))
				return bad(ti, "Region size is not a power of two");
			rs->region = v;
			rs->region_given = true;
		} else if (!strcmp(k, "raid10_copies")) {
			if (arg_u32(as, 2, RAID_MAX_DEVS, &v))
				return bad(ti, "Bad value for 'raid10_copies'");
			rs->p.copies = v;
		} else if (!strcmp(k, "raid10_format")) {
			const char *f = arg_shift(as);

			if (f && !strcmp(f, "near"))
				rs->p.format = RAID10_NEAR;
			else if (f && !strcmp(f, "far"))
				rs->p.format = RAID10_FAR;
			else if (f && !strcmp(f, "offset"))
				rs->p.format = RAID10_OFFSET;
			else
				return bad(ti, "Invalid 'raid10_format' value given");
		} else if (!strcmp(k, "data_offset")) {
			if (arg_u64(as, &v64) || v64)
				return bad(ti, "data_offset other than 0 is not supported");
		} else if (!strcmp(k, "delta_disks")) {
			return bad(ti, "Reshaping (delta_disks) is not supported");
		} else if (!strcmp(k, "journal_dev") || !strcmp(k, "journal_mode")) {
			return bad(ti, "A raid journal is not supported");
		}
	}
	return 0;
}

static int parse_devices(struct dm_target *ti, struct raid_set *rs, struct arg_set *as)
{
	for (unsigned i = 0; i < rs->ndevs; i++) {
		struct raid_leg *l = &rs->legs[i];
		const char *meta = arg_shift(as), *data = arg_shift(as);
		int r;

		if (!meta || !data)
			return bad(ti, "Not enough devices given for the raid device count");
		if (strcmp(meta, "-")) { /* raid0 too: lvm2's raid0_meta (superblocks, no bitmap) */
			if ((r = dm_get_device(ti, meta, &l->meta)))
				return r;
			rs->has_meta = true;
		}
		if (strcmp(data, "-")) {
			if ((r = dm_get_device(ti, data, &l->data)))
				return r;
		} else if (l->meta) {
			return bad(ti, "A metadata device without its data device");
		}
		atomic_init(&l->failed, !l->data);
		atomic_init(&l->pending, 0);
	}
	if (arg_shift(as))
		return bad(ti, "Too many arguments for the raid device count");
	return 0;
}

/* Sizes the devices must have, the region size. */
static int check_geometry(struct dm_target *ti, struct raid_set *rs)
{
	uint64_t bits;

	for (unsigned i = 0; i < rs->ndevs; i++) {
		struct raid_leg *l = &rs->legs[i];

		if (l->data && l->data->size < to_bytes(rs->g.dev_sectors)) {
			dm_target_set_error(ti, "Data device %u is smaller than the %" PRIu64 " sectors it must hold", i,
					    rs->g.dev_sectors);
			return -EINVAL;
		}
	}
	if (!rs->level->redundant)
		return 0;
	if (!rs->region_given) {
		rs->region = DEFAULT_REGION;
		while (rs->g.sync_sectors / rs->region >= MAX_REGIONS)
			rs->region <<= 1;
	}
	if (rs->region < rs->g.chunk)
		return bad(ti, "Supplied region size is too small (smaller than the chunk)");
	if (rs->g.sync_sectors / rs->region >= MAX_REGIONS)
		return bad(ti, "Supplied region size is too small (too many regions)");
	bits = (rs->g.sync_sectors + rs->region - 1) / rs->region;
	for (unsigned i = 0; i < rs->ndevs; i++) {
		struct raid_leg *l = &rs->legs[i];

		if (l->meta && l->meta->size < RAID_BITMAP_BITS_AT + (bits + 7) / 8) {
			dm_target_set_error(ti, "Metadata device %u is too small for the superblock and %" PRIu64
					    " bitmap bits", i, bits);
			return -EINVAL;
		}
	}
	return 0;
}

static void raid_free(struct raid_set *rs)
{
	if (!rs)
		return;
	raid_bm_free(&rs->bm);
	pthread_mutex_destroy(&rs->behind_lock);
	pthread_cond_destroy(&rs->behind_cond);
	pthread_mutex_destroy(&rs->lock);
	pthread_mutex_destroy(&rs->meta_lock);
	raid_rows_destroy(rs);
	pthread_cond_destroy(&rs->cond);
	free(rs->legs);
	free(rs);
}

static int raid_ctr(struct dm_target *ti, struct arg_set *as)
{
	unsigned rebuild[RAID_MAX_DEVS], wm[RAID_MAX_DEVS], nrebuild = 0, nwm = 0;
	const struct raid_level *level = NULL;
	const char *type = arg_shift(as), *why = NULL;
	struct raid_set *rs;
	uint32_t nparams, chunk, ndevs;
	int r;

	for (unsigned i = 0; type && i < sizeof(raid_levels) / sizeof(raid_levels[0]); i++)
		if (!strcmp(type, raid_levels[i]->name))
			level = raid_levels[i];
	if (!type)
		return bad(ti, "Too few arguments");
	if (!level) {
		dm_target_set_error(ti, "Unrecognised raid_type %s (this raid target knows raid0, raid1, raid10, "
				    "raid10_near, raid10_far, raid10_offset, raid4, raid5_la, raid5_ra, raid5_ls, "
				    "raid5_rs, raid5_n, raid6_zr, raid6_nr, raid6_nc, raid6_n_6, raid6_la_6, "
				    "raid6_ra_6, raid6_ls_6 and raid6_rs_6)", type);
		return -EINVAL;
	}
	if (arg_u32(as, 1, RAID_MAX_PARAMS, &nparams))
		return bad(ti, "Cannot understand number of RAID parameters");
	if (arg_u32(as, 0, UINT32_MAX, &chunk))
		return bad(ti, "Bad numerical argument given for chunk_size");
	if (!(rs = calloc(1, sizeof(*rs))))
		return bad(ti, "Cannot allocate raid context");
	rs->ti = ti;
	rs->level = level;
	rs->p.chunk = chunk;
	rs->stripe_cache = -1;
	rs->daemon_sleep_ms = DEFAULT_DAEMON_SLEEP_MS;
	rs->resync_offset = RAID_MAX_SECTOR;
	pthread_mutex_init(&rs->lock, NULL);
	pthread_mutex_init(&rs->meta_lock, NULL);
	raid_rows_init(rs);
	pthread_cond_init(&rs->cond, NULL);
	pthread_mutex_init(&rs->bm.lock, NULL);
	pthread_mutex_init(&rs->behind_lock, NULL);
	pthread_cond_init(&rs->behind_cond, NULL);
	pthread_cond_init(&rs->bm.cond, NULL);
	ti->private = rs;
	if ((r = parse_params(ti, rs, as, nparams - 1, rebuild, &nrebuild, wm, &nwm)))
		goto fail;
	if (arg_u32(as, 1, RAID_MAX_DEVS, &ndevs)) {
		r = bad(ti, "Cannot understand number of raid devices parameters");
		goto fail;
	}
	if (ndevs < level->min_devs) {
		r = bad(ti, "Too few raid devices for this level");
		goto fail;
	}
	rs->ndevs = ndevs;
	if (!(rs->legs = calloc(ndevs, sizeof(*rs->legs)))) {
		r = bad(ti, "Cannot allocate raid legs");
		goto fail;
	}
	if ((r = parse_devices(ti, rs, as)))
		goto fail;
	for (unsigned i = 0; i < nrebuild; i++) {
		if (rebuild[i] >= ndevs || !level->redundant) {
			r = bad(ti, "Invalid rebuild index given");
			goto fail;
		}
		rs->legs[rebuild[i]].rebuild = true;
	}
	for (unsigned i = 0; i < nwm; i++) {
		if (wm[i] >= ndevs || level != &raid_level_raid1) {
			r = bad(ti, "write_mostly option is only valid for RAID1, with a valid index");
			goto fail;
		}
		rs->legs[wm[i]].write_mostly = true;
	}
	rs->g.ndevs = ndevs;
	rs->g.array_sectors = ti->len;
	if ((r = level->setup(&rs->g, &rs->p, &why))) {
		r = bad(ti, why);
		goto fail;
	}
	if ((r = check_geometry(ti, rs)))
		goto fail;
	{
		uint64_t failed[4] = { 0 };

		for (unsigned i = 0; i < ndevs; i++)
			if (atomic_load(&rs->legs[i].failed) || rs->legs[i].rebuild)
				raid_failed_set(failed, i);
		if (!raid_survives(level, &rs->g, failed)) {
			r = bad(ti, "Insufficient redundancy to activate array (too many missing or rebuilding devices)");
			goto fail;
		}
	}
	if (level->redundant && (r = raid_bm_init(rs))) {
		r = bad(ti, "Cannot allocate the write-intent bitmap");
		goto fail;
	}
	if ((r = raid_meta_load(rs, true, &why))) {
		r = bad(ti, why);
		goto fail;
	}
	return 0;
fail:
	raid_free(rs);
	ti->private = NULL;
	return r;
}

static void raid_dtr(struct dm_target *ti)
{
	struct raid_set *rs = ti->private;

	raid_sync_stop(rs);
	raid_behind_stop(rs);
	if (rs && rs->level->parity && atomic_load(&rs->row_updates))
		log_info("raid: %" PRIu64 " stripe row updates, %" PRIu64 " writes merged into another's update",
			 (uint64_t)atomic_load(&rs->row_updates), (uint64_t)atomic_load(&rs->merged));
	raid_free(rs);
}

static int raid_preresume(struct dm_target *ti)
{
	struct raid_set *rs = ti->private;
	const char *why = NULL;
	int r;

	if (rs->loaded)
		return 0;
	if ((r = raid_meta_load(rs, false, &why))) {
		log_warn("raid: %s", why);
		return r;
	}
	rs->loaded = true;
	raid_meta_store(rs);
	return 0;
}

static void raid_resume(struct dm_target *ti)
{
	struct raid_set *rs = ti->private;

	if (rs->level->redundant && raid_sync_start(rs))
		log_warn("raid: cannot start the sync thread: resync and recovery wait");
	if (raid_behind_start(rs))
		log_warn("raid: cannot start the write-behind threads: writes to write_mostly legs wait for them");
}

static void raid_presuspend(struct dm_target *ti)
{
	raid_sync_stop(ti->private);
}

static void raid_postsuspend(struct dm_target *ti)
{
	struct raid_set *rs = ti->private;

	if (!rs->level->redundant || !rs->loaded)
		return;
	raid_behind_drain(rs, -1);
	raid_bm_clear_idle(rs, true);
	raid_meta_store(rs);
}

static char health(struct raid_set *rs, unsigned i, bool syncing)
{
	struct raid_leg *l = &rs->legs[i];

	if (!l->data)
		return '-';
	if (atomic_load(&l->failed))
		return 'D';
	if (syncing || !l->in_sync)
		return 'a';
	return 'A';
}

/* With rs->lock: the action to show (one the thread has not taken up yet
 * shows as running; frozen is the caller's) and the sectors it has done
 * of @total, as the status line's <synced>/<total>. */
static enum raid_action shown(struct raid_set *rs, uint64_t total, uint64_t *done)
{
	enum raid_action a = rs->action != RA_IDLE || !rs->level->redundant ? rs->action : raid_next_action(rs);

	if (rs->action != RA_IDLE)
		*done = rs->progress;
	else if (a != RA_IDLE)
		*done = a == RA_RESYNC && rs->resync_offset != RAID_MAX_SECTOR ? rs->resync_offset : 0;
	else
		*done = total;
	if (*done > total)
		*done = total;
	return a;
}

static void raid_status(struct dm_target *ti, enum status_type type, char *buf, size_t maxlen)
{
	struct raid_set *rs = ti->private;
	uint64_t total = rs->g.sync_sectors ? rs->g.sync_sectors : rs->g.dev_sectors, done;
	enum raid_action a;
	bool syncing;

	if (type == STATUSTYPE_INFO) {
		pthread_mutex_lock(&rs->lock);
		a = shown(rs, total, &done);
		syncing = a == RA_RESYNC;
		if (rs->frozen)
			a = RA_FROZEN;
		dm_emit(buf, maxlen, "%s %u ", rs->level->name, rs->ndevs);
		for (unsigned i = 0; i < rs->ndevs; i++)
			dm_emit(buf, maxlen, "%c", health(rs, i, syncing));
		dm_emit(buf, maxlen, " %" PRIu64 "/%" PRIu64 " %s %" PRIu64 " 0 -", done, total, action_names[a], rs->last == RA_CHECK ? rs->mismatches : 0);
		pthread_mutex_unlock(&rs->lock);
		return;
	}
	{
		char params[1024] = "";
		unsigned n = 1;

#define P(...) (dm_emit(params, sizeof(params), __VA_ARGS__))
		if (rs->sync || rs->nosync)
			n += 1, P(" %s", rs->sync ? "sync" : "nosync");
		for (unsigned i = 0; i < rs->ndevs; i++)
			if (rs->legs[i].rebuild)
				n += 2, P(" rebuild %u", i);
		if (rs->daemon_sleep_ms != DEFAULT_DAEMON_SLEEP_MS)
			n += 2, P(" daemon_sleep %u", rs->daemon_sleep_ms);
		if (rs->min_rate)
			n += 2, P(" min_recovery_rate %" PRIu64, rs->min_rate);
		if (rs->max_rate)
			n += 2, P(" max_recovery_rate %" PRIu64, rs->max_rate);
		for (unsigned i = 0; i < rs->ndevs; i++)
			if (rs->legs[i].write_mostly)
				n += 2, P(" write_mostly %u", i);
		if (rs->max_write_behind)
			n += 2, P(" max_write_behind %" PRIu64, rs->max_write_behind);
		if (rs->stripe_cache >= 0)
			n += 2, P(" stripe_cache %" PRId64, rs->stripe_cache);
		if (rs->region_given)
			n += 2, P(" region_size %u", rs->region);
		if (rs->level->print_params) {
			size_t before = strlen(params);

			rs->level->print_params(&rs->g, params, sizeof(params));
			for (const char *c = params + before; *c; c++)
				n += *c == ' ';
		}
#undef P
		dm_emit(buf, maxlen, "%s %u %u%s %u", rs->level->name, n, rs->p.chunk, params, rs->ndevs);
		for (unsigned i = 0; i < rs->ndevs; i++) {
			struct raid_leg *l = &rs->legs[i];

			dm_emit(buf, maxlen, " %s %s", l->meta ? dm_device_name(ti, l->meta) : "-",
				l->data ? dm_device_name(ti, l->data) : "-");
		}
	}
}

static int raid_message(struct dm_target *ti, int argc, char **argv, char *result, size_t maxlen)
{
	struct raid_set *rs = ti->private;
	int a = -1, r = 0;

	(void)result;
	(void)maxlen;
	for (int i = 0; argc == 1 && i < (int)(sizeof(action_names) / sizeof(action_names[0])); i++)
		if (!strcmp(argv[0], action_names[i]))
			a = i;
	if (a < 0) {
		ti->error = "Unrecognised raid message (idle, frozen, resync, recover, check or repair)";
		return -EINVAL;
	}
	if (!rs->level->redundant) {
		ti->error = "raid0 has nothing to sync";
		return -EINVAL;
	}
	pthread_mutex_lock(&rs->lock);
	switch ((enum raid_action)a) {
	case RA_IDLE:
		rs->frozen = false;
		if (rs->action == RA_CHECK || rs->action == RA_REPAIR)
			rs->action = RA_IDLE; /* the thread sees it and stops */
		break;
	case RA_FROZEN:
		rs->frozen = true;
		break;
	case RA_RESYNC:
		rs->frozen = false;
		rs->resync_offset = 0;
		raid_bm_set_all(rs, true);
		break;
	case RA_RECOVER:
		rs->frozen = false;
		break;
	case RA_CHECK:
	case RA_REPAIR:
		if (rs->action != RA_IDLE || raid_degraded(rs) || rs->resync_offset != RAID_MAX_SECTOR) {
			ti->error = "The array is not in sync and idle: check and repair wait for resync or recovery";
			r = -EBUSY;
			break;
		}
		rs->frozen = false;
		rs->action = (enum raid_action)a;
		rs->progress = 0;
		rs->mismatches = 0;
		break;
	default:
		break;
	}
	pthread_mutex_unlock(&rs->lock);
	if (!r)
		raid_sync_kick(rs);
	return r;
}

static const struct dm_metric
	m_legs = { "raid_legs", "Legs of the array by state: in_sync, recovering (alive, not in sync yet), failed, missing.",
		   DM_METRIC_GAUGE, "state" },
	m_sync = { "raid_sync_sectors", "Sectors of the sync domain known in sync (resync or recovery progress).",
		   DM_METRIC_GAUGE, NULL },
	m_total = { "raid_size_sectors", "Sectors of the sync domain (the array for raid1 and raid10).",
		    DM_METRIC_GAUGE, NULL },
	m_action = { "raid_sync_action", "1 for the sync action under way (idle, frozen, resync, recover, check, repair).",
		     DM_METRIC_GAUGE, "action" },
	m_mismatch = { "raid_mismatch_sectors", "Sectors the last check found different between legs.", DM_METRIC_GAUGE,
		       NULL },
	m_dirty = { "raid_dirty_regions", "Regions marked for resync (the write-intent bitmap's NEEDED bits).",
		    DM_METRIC_GAUGE, NULL },
	m_behind = { "raid_behind_writes", "Writes answered to the client and not yet on a write_mostly leg "
		     "(max_write_behind).", DM_METRIC_GAUGE, NULL },
	m_behind_bytes = { "raid_behind_bytes", "Bytes of those writes, held in memory until their leg has them.",
			   DM_METRIC_GAUGE, NULL };

static void raid_metrics(struct dm_target *ti, dm_metric_fn fn, void *opaque)
{
	struct raid_set *rs = ti->private;
	uint64_t legs[4] = { 0 }, done, total = rs->g.sync_sectors ? rs->g.sync_sectors : rs->g.dev_sectors;
	static const char *const states[] = { "in_sync", "recovering", "failed", "missing" };
	uint64_t mism;
	enum raid_action a;

	pthread_mutex_lock(&rs->lock);
	for (unsigned i = 0; i < rs->ndevs; i++) {
		struct raid_leg *l = &rs->legs[i];

		legs[!l->data ? 3 : atomic_load(&l->failed) ? 2 : l->in_sync ? 0 : 1]++;
	}
	a = shown(rs, total, &done);
	if (rs->frozen)
		a = RA_FROZEN;
	mism = rs->last == RA_CHECK ? rs->mismatches : 0;
	pthread_mutex_unlock(&rs->lock);
	for (unsigned i = 0; i < 4; i++)
		fn(opaque, &m_legs, states[i], legs[i]);
	fn(opaque, &m_sync, NULL, done);
	fn(opaque, &m_total, NULL, total);
	for (unsigned i = 0; i < sizeof(action_names) / sizeof(action_names[0]); i++)
		fn(opaque, &m_action, action_names[i], (unsigned)a == i);
	fn(opaque, &m_mismatch, NULL, mism);
	fn(opaque, &m_dirty, NULL, rs->bm.needed);
	if (rs->level == &raid_level_raid1) {
		uint64_t ios, bytes;

		raid_behind_counts(rs, &ios, &bytes);
		fn(opaque, &m_behind, NULL, ios);
		fn(opaque, &m_behind_bytes, NULL, bytes);
	}
}

static int raid_iterate_devices(struct dm_target *ti, iterate_devices_fn fn, void *data)
{
	struct raid_set *rs = ti->private;
	int r = 0;

	for (unsigned i = 0; i < rs->ndevs && !r; i++) {
		struct raid_leg *l = &rs->legs[i];

		if (l->meta)
			r = fn(ti, l->meta, 0, l->meta->size, data);
		if (!r && l->data)
			r = fn(ti, l->data, 0, to_bytes(rs->g.dev_sectors), data);
	}
	return r;
}

const struct target_type raid_target = {
	.name = "raid",
	.version = { 1, 15, 1 },
	.ctr = raid_ctr,
	.dtr = raid_dtr,
	.read = raid_read,
	.map_read = raid_map_read,
	.map_end = raid_map_end,
	.write = raid_write,
	.flush = raid_flush,
	.discard = raid_discard,
	.write_zeroes = raid_write_zeroes,
	.extents = raid_extents,
	.status = raid_status,
	.metrics = raid_metrics,
	.message = raid_message,
	.iterate_devices = raid_iterate_devices,
	.preresume = raid_preresume,
	.resume = raid_resume,
	.presuspend = raid_presuspend,
	.postsuspend = raid_postsuspend,
};
