/* The dirty region log of a mirror (the kernel's dm-log.c): two bitsets
 * over the mirror's regions.  A clean bit is cleared before the first
 * write to its region reaches any leg and set again once the region has
 * no write in flight; the clean bits are what a disk log keeps, so after
 * a crash the regions that were being written are copied again.  A sync
 * bit says the legs agree; at resume the sync bits start as the clean
 * bits.  "sync" in the table copies everything again, "nosync" trusts the
 * legs to agree already.
 *
 * Crash argument: mirror_log_flush writes newly dirtied bits before the
 * writes that dirtied them go out (the writer waits for it, and so does
 * every other writer to the region until a store with the bit cleared has
 * completed: mirror_log_unstored), and writes
 * newly cleaned bits only after flushing every leg, so a clean bit on
 * disk never covers data that is not on every leg.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "targets/mirror/mirror.h"

static const struct mirror_log_type *const mirror_log_types[] = { &mirror_log_core, &mirror_log_disk };

bool mirror_log_test(const uint32_t *bits, uint64_t r)
{
	return bits[r / 32] >> (r % 32) & 1;
}

static void set_bit(uint32_t *bits, uint64_t r, bool v)
{
	if (v)
		bits[r / 32] |= UINT32_C(1) << (r % 32);
	else
		bits[r / 32] &= ~(UINT32_C(1) << (r % 32));
}

void mirror_log_mark(struct mirror_log *log, uint64_t r)
{
	if (mirror_log_test(log->clean, r)) {
		set_bit(log->clean, r, false);
		log->touched_dirtied = true;
	}
}

bool mirror_log_unstored(const struct mirror_log *log, uint64_t r)
{
	return log->type->store && mirror_log_test(log->ondisk, r) && !mirror_log_test(log->clean, r);
}

void mirror_log_clear(struct mirror_log *log, uint64_t r)
{
	if (!mirror_log_test(log->clean, r)) {
		set_bit(log->clean, r, true);
		log->touched_cleaned = true;
	}
}

void mirror_log_set_sync(struct mirror_log *log, uint64_t r, bool in_sync)
{
	if (mirror_log_test(log->insync, r) == in_sync)
		return;
	set_bit(log->insync, r, in_sync);
	if (in_sync)
		log->sync_count++;
	else
		log->sync_count--;
}

static bool check_region_size(struct dm_target *ti, const char *s, uint32_t *out)
{
	return !parse_u32(s, out) && *out >= 2 && !(*out & (*out - 1)) && *out <= ti->len;
}

int mirror_log_ctr(struct mirror_log *log, struct dm_target *ti, struct arg_set *as)
{
	const char *name = arg_shift(as);
	const struct mirror_log_type *t = NULL;
	uint32_t nargs;
	char **argv;
	int r;

	for (size_t i = 0; name && i < sizeof(mirror_log_types) / sizeof(mirror_log_types[0]); i++)
		if (!strcmp(name, mirror_log_types[i]->name))
			t = mirror_log_types[i];
	if (!t) {
		dm_target_set_error(ti, "Error creating mirror dirty log: Module for logging type \"%s\" not found (core or disk)",
				    name ? name : "(none)");
		return -EINVAL;
	}
	if (!as->argc || parse_u32(as->argv[0], &nargs)) {
		ti->error = "Invalid mirror log argument count";
		return -EINVAL;
	}
	arg_shift(as);
	if (nargs > (uint32_t)as->argc) {
		ti->error = "Insufficient mirror log arguments";
		return -EINVAL;
	}
	if (nargs < t->dev_args + 1 || nargs > t->dev_args + 2) {
		dm_target_set_error(ti, "Error creating mirror dirty log: %s takes %u or %u arguments", t->name,
				    t->dev_args + 1, t->dev_args + 2);
		return -EINVAL;
	}
	argv = as->argv;
	as->argv += nargs;
	as->argc -= (int)nargs;
	log->type = t;
	if (!check_region_size(ti, argv[t->dev_args], &log->region)) {
		dm_target_set_error(ti, "Error creating mirror dirty log: invalid region size %s (a power of two "
				    "of sectors, at most the target's length)", argv[t->dev_args]);
		return -EINVAL;
	}
	log->sync = LOG_DEFAULTSYNC;
	if (nargs == t->dev_args + 2) {
		const char *s = argv[t->dev_args + 1];

		if (!strcmp(s, "sync")) {
			log->sync = LOG_FORCESYNC;
		} else if (!strcmp(s, "nosync")) {
			log->sync = LOG_NOSYNC;
		} else {
			dm_target_set_error(ti, "Error creating mirror dirty log: unrecognised sync argument %s", s);
			return -EINVAL;
		}
	}
	log->nregions = (ti->len + log->region - 1) / log->region;
	log->words = (size_t)((log->nregions + 31) / 32);
	log->clean = calloc(log->words ? log->words : 1, 4);
	log->insync = calloc(log->words ? log->words : 1, 4);
	log->shadow = calloc(log->words ? log->words : 1, 4);
	log->ondisk = calloc(log->words ? log->words : 1, 4);
	if (!log->clean || !log->insync || !log->shadow || !log->ondisk) {
		ti->error = "Error creating mirror dirty log: out of memory";
		return -ENOMEM;
	}
	pthread_mutex_init(&log->io, NULL);
	if ((r = t->ctr(log, ti, argv))) {
		if (!ti->error)
			ti->error = "Error creating mirror dirty log";
		return r;
	}
	return 0;
}

void mirror_log_dtr(struct mirror_log *log)
{
	if (log->type && log->type->dtr)
		log->type->dtr(log);
	if (log->clean)
		pthread_mutex_destroy(&log->io);
	free(log->clean);
	free(log->insync);
	free(log->shadow);
	free(log->ondisk);
}

int mirror_log_resume(struct mirror_set *ms)
{
	struct mirror_log *log = &ms->log;
	int r = -ENODATA;

	if (log->sync == LOG_DEFAULTSYNC && log->type->load)
		r = log->type->load(log);
	if (r && r != -ENODATA)
		return r;
	if (r) /* no bits kept: all clean, in sync as the table says */
		memset(log->clean, log->sync == LOG_NOSYNC ? 0xff : 0, log->words * 4);
	/* bits past the last region stay clear */
	for (uint64_t i = log->nregions; i < log->words * 32; i++)
		set_bit(log->clean, i, false);
	memcpy(log->insync, log->clean, log->words * 4);
	log->sync_count = 0;
	for (uint64_t i = 0; i < log->nregions; i++)
		log->sync_count += mirror_log_test(log->clean, i);
	if (log->type->store) {
		memcpy(log->shadow, log->clean, log->words * 4);
		pthread_mutex_lock(&log->io);
		r = log->type->store(log);
		if (!r)
			memcpy(log->ondisk, log->shadow, log->words * 4);
		pthread_mutex_unlock(&log->io);
		if (r)
			return r;
	}
	log->touched_dirtied = log->touched_cleaned = false;
	return 0;
}

void mirror_log_table(struct mirror_log *log, struct dm_target *ti, char *buf, size_t maxlen)
{
	unsigned n = log->type->dev_args + 1 + (log->sync != LOG_DEFAULTSYNC);

	dm_emit(buf, maxlen, "%s %u ", log->type->name, n);
	if (log->type->table_args)
		log->type->table_args(log, ti, buf, maxlen);
	dm_emit(buf, maxlen, "%u ", log->region);
	if (log->sync != LOG_DEFAULTSYNC)
		dm_emit(buf, maxlen, "%s ", log->sync == LOG_NOSYNC ? "nosync" : "sync");
}

int mirror_log_flush(struct mirror_set *ms)
{
	struct mirror_log *log = &ms->log;
	bool cleaned;
	int r = 0;

	if (!log->type->store)
		return 0;
	pthread_mutex_lock(&log->io);
	pthread_mutex_lock(&ms->lock);
	cleaned = log->touched_cleaned;
	if (!cleaned && !log->touched_dirtied) {
		pthread_mutex_unlock(&ms->lock);
		pthread_mutex_unlock(&log->io);
		return 0;
	}
	memcpy(log->shadow, log->clean, log->words * 4);
	log->touched_dirtied = log->touched_cleaned = false;
	pthread_mutex_unlock(&ms->lock);
	/* newly clean regions: their data on every leg first */
	for (unsigned i = 0; cleaned && i < ms->nlegs; i++)
		if (dev_flush(ms->legs[i].dev)) {
			pthread_mutex_lock(&ms->lock);
			mirror_fail_leg(ms, i, MERR_FLUSH);
			pthread_mutex_unlock(&ms->lock);
		}
	r = log->type->store(log);
	pthread_mutex_lock(&ms->lock);
	if (r)
		log->touched_dirtied = true; /* try again at the next flush */
	else
		memcpy(log->ondisk, log->shadow, log->words * 4);
	pthread_mutex_unlock(&ms->lock);
	pthread_mutex_unlock(&log->io);
	return r;
}
