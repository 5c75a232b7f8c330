/* The dm-raid superblocks on the rmeta devices: which array the legs
 * belong to, which legs failed, how far resync and each leg's recovery
 * got (dm-raid.c: super_load, super_init_validation, super_validate,
 * super_sync).
 *
 * The superblock with the highest events count speaks for the array.  A
 * device whose superblock has no magic is new: it is rebuilt in full.  A
 * leg the array had marked failed and that is present again is recovered
 * from the bitmap (only the regions written while it was away), as md's
 * re-add of a device to its old slot.  A raid1 leg found in another slot
 * than its superblock says (lvconvert -m renumbered it) is judged by the
 * bits of its old slot.  A takeover (see takeover()) keeps every leg's
 * data where it is; the next store writes the new level into every
 * superblock.  Writes: the bitmap page (with its superblock's events)
 * first, then each leg's superblock with FUA, so a crash between them
 * leaves the bitmap one event ahead, which md accepts.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "targets/raid/raid.h"

static int read_sb(struct dev *meta, struct raid_sb *sb, const char **why)
{
	uint8_t b[RAID_SB_BLOCK];
	int r = dev_read(meta, b, sizeof(b), 0);

	if (r) {
		*why = "cannot read the raid superblock";
		return r;
	}
	return raid_sb_decode(b, sizeof(b), sb, why);
}

/* md's layouts of raid5 (la, ra, ls, rs, n) and the raid6 layout that
 * adds a Q device to each, the data and P left where they are (la_6 ..
 * rs_6 are 16 + raid5's, n_6 is parity-N for both: linux raid5.h). */
#define MD_PARITY_N 5
static bool raid5_layout_of_raid6(uint32_t r6, uint32_t *r5)
{
	if (r6 >= 16 && r6 <= 19)
		*r5 = r6 - 16;
	else if (r6 == MD_PARITY_N)
		*r5 = MD_PARITY_N;
	else
		return false;
	return true;
}

/* A takeover (lvconvert --type, dm-raid's rs_check_takeover): the table
 * asks for another level than the superblock of slot @i says, and the
 * data stays where it is.  raid1 of 2 legs <-> raid4/5 of 2 legs (each
 * stripe holds one data chunk and its parity, a copy of it: the two
 * legs are equal either way); raid5 of n legs -> raid6 of n + 1 with the
 * matching _6 layout (the new last leg, Q, is rebuilt) and back (the Q
 * leg dropped); raid0 of n legs -> raid5_n of n + 1 or raid6_n_6 of n + 2
 * (parity-N puts chunk k of a stripe on leg k, as raid0 does; the new
 * last legs are rebuilt) and back. */
static bool takeover(const struct raid_set *rs, unsigned i, const struct raid_sb *sb)
{
	unsigned np = rs->g.md_level == 6 ? 2 : 1;
	uint32_t r5;

	if (rs->ndevs == 2 && sb->num_devices == 2 &&
	    ((sb->level == 1 && rs->g.md_level == 5 && rs->level->parity) ||
	     (sb->level == 5 && rs->level == &raid_level_raid1)))
		return true;
	if (sb->stripe_sectors != rs->g.chunk || sb->array_position != i)
		return false;
	if (sb->level == 5 && rs->g.md_level == 6 && raid5_layout_of_raid6(rs->g.md_layout, &r5))
		return r5 == sb->layout && sb->num_devices + 1 == rs->ndevs && i + 1 < rs->ndevs;
	if (sb->level == 6 && rs->g.md_level == 5 && raid5_layout_of_raid6(sb->layout, &r5))
		return r5 == rs->g.md_layout && sb->num_devices == rs->ndevs + 1;
	if (sb->level == 0 && rs->level->parity && rs->g.md_layout == MD_PARITY_N)
		return sb->num_devices + np == rs->ndevs && i + np < rs->ndevs;
	if ((sb->level == 5 || sb->level == 6) && sb->layout == MD_PARITY_N && rs->g.md_level == 0)
		return sb->num_devices == rs->ndevs + (sb->level == 6 ? 2 : 1);
	return false;
}

/* Does @sb, read from slot @i, describe the array of the table? */
static int fits(struct raid_set *rs, unsigned i, const struct raid_sb *sb)
{
	bool raid1 = rs->level == &raid_level_raid1;

	if ((sb->level != rs->g.md_level || sb->layout != rs->g.md_layout) && takeover(rs, i, sb))
		return 0;
	/* raid1 legs may be added, dropped and renumbered (lvconvert -m):
	 * each keeps its copy whatever its slot */
	if (sb->level != rs->g.md_level || sb->layout != rs->g.md_layout ||
	    (!raid1 && sb->stripe_sectors != rs->g.chunk) ||
	    (!raid1 && sb->num_devices != rs->ndevs) || (!raid1 && sb->array_position != i)) {
		dm_target_set_error(rs->ti,
				    "Metadata device %u holds the superblock of another array (md level %u, layout "
				    "%#x, chunk %u, %u devices, position %u)",
				    i, sb->level, sb->layout, sb->stripe_sectors, sb->num_devices, sb->array_position);
		return -EINVAL;
	}
	return 0;
}

int raid_meta_load(struct raid_set *rs, bool check_only, const char **why)
{
	struct raid_sb *sbs = calloc(rs->ndevs, sizeof(*sbs));
	int *st = calloc(rs->ndevs, sizeof(*st));
	uint64_t failed[4] = { 0 };
	int ref = -1, r = 0;

	if (!sbs || !st) {
		free(sbs);
		free(st);
		*why = "out of memory";
		return -ENOMEM;
	}
	for (unsigned i = 0; i < rs->ndevs; i++) {
		st[i] = -ENODEV;
		if (!rs->legs[i].meta || !rs->legs[i].data)
			continue;
		st[i] = read_sb(rs->legs[i].meta, &sbs[i], why);
		if (st[i] == -EINVAL) {
			dm_target_set_error(rs->ti, "Metadata device %u: %s", i, *why);
			*why = rs->ti->error;
			r = -EINVAL;
			goto out;
		}
		if (st[i] == 0 && (r = fits(rs, i, &sbs[i]))) {
			*why = rs->ti->error;
			goto out;
		}
		if (st[i] == 0 && (ref < 0 || sbs[i].events > sbs[ref].events))
			ref = (int)i;
	}
	if (check_only)
		goto out;

	pthread_mutex_lock(&rs->lock);
	if (ref < 0) {
		/* A new array (or one without metadata): resync it all,
		 * unless told it is in sync already. */
		rs->events = 0;
		rs->resync_offset = rs->nosync || !rs->level->redundant ? RAID_MAX_SECTOR : 0;
		for (unsigned i = 0; i < rs->ndevs; i++) {
			struct raid_leg *l = &rs->legs[i];

			l->in_sync = !atomic_load(&l->failed) && !l->rebuild;
			l->recovery_offset = l->in_sync ? RAID_MAX_SECTOR : 0;
		}
	} else {
		const struct raid_sb *a = &sbs[ref];
		uint64_t old;

		rs->events = a->events;
		rs->resync_offset = a->array_resync_offset;
		if (rs->resync_offset != RAID_MAX_SECTOR && rs->resync_offset > rs->g.sync_sectors)
			rs->resync_offset = 0;
		/* grown (lvextend): what is new resyncs, unless nosync */
		old = rs->level->parity ? a->sectors : a->array_sectors; /* in the sync domain */
		if (old && old < rs->g.sync_sectors && rs->level->redundant &&
		    (rs->resync_offset == RAID_MAX_SECTOR || rs->resync_offset > old))
			rs->resync_offset = old;
		for (unsigned i = 0; i < rs->ndevs; i++) {
			struct raid_leg *l = &rs->legs[i];

			l->bitmap_guided = false;
			if (atomic_load(&l->failed)) {
				l->in_sync = false;
			} else if (!l->meta) {
				l->in_sync = !raid_failed_test(a->failed, i);
				l->bitmap_guided = !l->in_sync;
				l->recovery_offset = l->in_sync ? RAID_MAX_SECTOR : 0;
			} else if (st[i] == -ENODATA) {
				l->in_sync = false; /* new: rebuilt in full */
				l->recovery_offset = 0;
			} else if (raid_failed_test(a->failed, sbs[i].array_position)) {
				l->in_sync = false; /* back from a failure: the bitmap says what it missed */
				l->bitmap_guided = true;
				l->recovery_offset = 0;
			} else {
				l->recovery_offset = sbs[i].disk_recovery_offset;
				l->in_sync = l->recovery_offset == RAID_MAX_SECTOR;
			}
			if (l->rebuild) {
				l->in_sync = false;
				l->bitmap_guided = false;
				l->recovery_offset = 0;
			}
		}
	}
	if (rs->sync && rs->level->redundant)
		rs->resync_offset = 0;
	if (rs->nosync)
		rs->resync_offset = RAID_MAX_SECTOR;
	for (unsigned i = 0; i < rs->ndevs; i++)
		if (atomic_load(&rs->legs[i].failed) || !rs->legs[i].in_sync)
			raid_failed_set(failed, i);
	pthread_mutex_unlock(&rs->lock);
	if (!raid_survives(rs->level, &rs->g, failed)) {
		*why = "Insufficient redundancy to activate array: too many legs failed or out of sync";
		r = -EINVAL;
		goto out;
	}
	raid_bm_set_all(rs, false);
	/* taken over from raid0: no bitmap to read, nothing to resync (the
	 * legs that are new, P and Q, are rebuilt whole) */
	if (ref >= 0 && rs->level->redundant && sbs[ref].level != 0) {
		struct dev *m = rs->legs[ref].meta;

		if (raid_bm_load(rs, m, rs->events) == -ESTALE && rs->resync_offset == RAID_MAX_SECTOR) {
			pthread_mutex_lock(&rs->lock);
			rs->resync_offset = 0;
			pthread_mutex_unlock(&rs->lock);
		}
	}
	for (unsigned i = 0; i < rs->ndevs; i++) {
		struct raid_leg *l = &rs->legs[i];

		if (l->data && !atomic_load(&l->failed) && !l->in_sync)
			log_info("raid: leg %u %s from %s", i,
				 l->bitmap_guided ? "recovers the regions it missed" : "is rebuilt",
				 l->recovery_offset ? "where it stopped" : "the start");
	}
	if (rs->resync_offset != RAID_MAX_SECTOR)
		log_info("raid: the array resyncs from sector %" PRIu64, rs->resync_offset);
	else if (rs->bm.needed)
		log_info("raid: %" PRIu64 " regions may differ between legs (an unclean stop): they resync",
			 rs->bm.needed);
out:
	free(sbs);
	free(st);
	return r;
}

void raid_meta_store(struct raid_set *rs)
{
	uint64_t failed[4] = { 0 }, to_fail[4] = { 0 };
	struct raid_sb sb = {
		.compat_features = RAID_SB_V190,
		.num_devices = rs->ndevs,
		.level = rs->g.md_level,
		.layout = rs->g.md_layout,
		.stripe_sectors = rs->g.chunk,
		.reshape_position = RAID_MAX_SECTOR,
		.new_level = rs->g.md_level,
		.new_layout = rs->g.md_layout,
		.new_stripe_sectors = rs->g.chunk,
		.array_sectors = rs->g.array_sectors,
		.sectors = rs->g.dev_sectors,
	};
	uint8_t b[RAID_SB_BLOCK];
	int r = 0;

	if (!rs->has_meta)
		return;
	pthread_mutex_lock(&rs->meta_lock);
	pthread_mutex_lock(&rs->lock);
	rs->events++;
	sb.events = rs->events;
	sb.array_resync_offset = rs->resync_offset;
	for (unsigned i = 0; i < rs->ndevs; i++)
		if (atomic_load(&rs->legs[i].failed))
			raid_failed_set(failed, i);
	memcpy(sb.failed, failed, sizeof(failed));
	pthread_mutex_unlock(&rs->lock);

	if (rs->level->redundant)
		r = raid_bm_write_to(rs, true, to_fail);
	for (unsigned i = 0; i < rs->ndevs; i++) {
		struct raid_leg *l = &rs->legs[i];
		int e;

		if (!l->meta || !l->data || raid_failed_test(failed, i) || raid_failed_test(to_fail, i))
			continue;
		pthread_mutex_lock(&rs->lock);
		sb.array_position = i;
		sb.disk_recovery_offset = l->in_sync ? RAID_MAX_SECTOR : l->recovery_offset;
		pthread_mutex_unlock(&rs->lock);
		raid_sb_encode(b, &sb);
		e = dev_write(l->meta, b, sizeof(b), 0, DEV_FUA);
		if (e) {
			raid_failed_set(to_fail, i);
			r = e;
		}
	}
	pthread_mutex_unlock(&rs->meta_lock);
	for (unsigned i = 0; r && i < rs->ndevs; i++)
		if (raid_failed_test(to_fail, i))
			raid_fail_leg(rs, i, r);
}
