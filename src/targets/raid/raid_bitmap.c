/* The write-intent bitmap, as MD keeps it (drivers/md/md-bitmap.c):
 * one bit per region on every rmeta device, set and durable before any
 * write to the region reaches a leg, cleared lazily once the region has
 * been idle for a daemon period or two.  So after a crash only regions
 * whose bit is set can differ between legs, and only those are resynced.
 *
 * In memory each region has md's 16-bit counter (raid.h: RB_*).  Writers
 * set the bit and wait until the page holding it is on disk; the pages
 * are written by one thread at a time for everyone waiting (a generation
 * count says whose bits a write covered), so concurrent writers to new
 * regions share one bitmap write.  A writer that finds the bit already
 * set waits too while the generation that set it is not on disk (set_gen):
 * the bit is durable before any write it covers, whoever set it.  A
 * region under resync holds back new writes to it, and the resync waits
 * for the writes in flight there.
 *
 * Locking: bm->lock for counters, bits, dirty pages and generations; the
 * pages are copied to a private buffer under it and written without it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "targets/raid/raid.h"

#define PAGE 4096u

static void set_bit_le(uint8_t *bits, uint64_t r, bool on)
{
	uint8_t m = (uint8_t)(1u << (r % 8));

	if (on)
		bits[r / 8] |= m;
	else
		bits[r / 8] &= (uint8_t)~m;
}

static bool test_bit_le(const uint8_t *bits, uint64_t r)
{
	return bits[r / 8] >> (r % 8) & 1;
}

static uint8_t *bits_of(struct raid_bitmap *bm)
{
	return bm->area + RAID_BITMAP_SB_SIZE;
}

/* With bm->lock: the page holding region @r's bit needs writing. */
static void dirty_region(struct raid_bitmap *bm, uint64_t r)
{
	bm->dirty[(RAID_BITMAP_SB_SIZE + r / 8) / PAGE] = true;
	bm->gen++;
}

int raid_bm_init(struct raid_set *rs)
{
	struct raid_bitmap *bm = &rs->bm;
	size_t bytes;

	bm->region = rs->region;
	bm->nregions = (rs->g.sync_sectors + rs->region - 1) / rs->region;
	bytes = RAID_BITMAP_SB_SIZE + (size_t)(bm->nregions + 7) / 8;
	bm->area_len = (bytes + PAGE - 1) / PAGE * PAGE;
	bm->count = calloc(bm->nregions ? bm->nregions : 1, sizeof(*bm->count));
	bm->set_gen = calloc(bm->nregions ? bm->nregions : 1, sizeof(*bm->set_gen));
	bm->area = calloc(1, bm->area_len);
	bm->dirty = calloc(bm->area_len / PAGE, sizeof(*bm->dirty));
	if (!bm->count || !bm->set_gen || !bm->area || !bm->dirty)
		return -ENOMEM;
	return 0;
}

void raid_bm_free(struct raid_bitmap *bm)
{
	free(bm->count);
	free(bm->set_gen);
	free(bm->area);
	free(bm->dirty);
	pthread_mutex_destroy(&bm->lock);
	pthread_cond_destroy(&bm->cond);
}

int raid_bm_load(struct raid_set *rs, struct dev *meta, uint64_t events)
{
	struct raid_bitmap *bm = &rs->bm;
	struct raid_bitmap_sb bs;
	const char *why = NULL;
	uint8_t *buf = malloc(bm->area_len);
	size_t len = bm->area_len;
	int r;

	if (!buf)
		return -ENOMEM;
	if (meta->size < RAID_BITMAP_OFFSET + len)
		len = (size_t)(meta->size - RAID_BITMAP_OFFSET);
	memset(buf, 0, bm->area_len);
	r = dev_read(meta, buf, len, RAID_BITMAP_OFFSET);
	if (!r)
		r = raid_bitmap_sb_decode(buf, len, &bs, &why);
	/* an array that grew keeps the bits of its old size (the rest is
	 * resynced from resync_offset); one that shrank drops those beyond */
	if (!r && (bs.chunksize != (uint64_t)rs->region << 9 || bs.events < events || bs.state & RAID_BITMAP_STALE))
		r = -ESTALE;
	if (r) {
		log_info("raid: the write-intent bitmap cannot be used (%s): a full resync",
			 why ? why : r == -ESTALE ? "stale or for another geometry" : strerror(-r));
		free(buf);
		return -ESTALE;
	}
	pthread_mutex_lock(&bm->lock);
	memcpy(bm->area, buf, bm->area_len);
	if (bs.sync_size < rs->g.sync_sectors) /* bits past the old end are not ours */
		for (uint64_t i = (bs.sync_size + rs->region - 1) / rs->region; i < bm->nregions; i++)
			set_bit_le(bits_of(bm), i, false);
	bm->events_cleared = bs.events_cleared;
	for (uint64_t i = 0; i < bm->nregions; i++) {
		if (test_bit_le(bits_of(bm), i)) {
			bm->count[i] = 2 | RB_NEEDED;
			bm->needed++;
		}
	}
	pthread_mutex_unlock(&bm->lock);
	free(buf);
	return 0;
}

int raid_bm_write_to(struct raid_set *rs, bool fua, uint64_t *failed)
{
	struct raid_bitmap *bm = &rs->bm;
	struct raid_bitmap_sb bs = {
		.version = RAID_BITMAP_VERSION,
		.sync_size = rs->g.sync_sectors,
		.chunksize = rs->region << 9,
		.daemon_sleep = rs->daemon_sleep_ms / 1000 ? rs->daemon_sleep_ms / 1000 : 1,
		.write_behind = (uint32_t)(rs->max_write_behind / 2),
	};
	unsigned npages = (unsigned)(bm->area_len / PAGE);
	uint64_t target;
	uint8_t *shadow;
	bool *pages;
	int r = 0;

	if (!rs->has_meta)
		return 0;
	shadow = malloc(bm->area_len);
	pages = calloc(npages, sizeof(*pages));
	if (!shadow || !pages) {
		free(shadow);
		free(pages);
		return -ENOMEM;
	}
	pthread_mutex_lock(&rs->lock);
	bs.events = rs->events;
	pthread_mutex_unlock(&rs->lock);
	pthread_mutex_lock(&bm->lock);
	while (bm->writing)
		pthread_cond_wait(&bm->cond, &bm->lock);
	bm->writing = true;
	bs.events_cleared = bm->events_cleared;
	raid_bitmap_sb_encode(bm->area, &bs);
	bm->dirty[0] = true;
	target = bm->gen;
	memcpy(pages, bm->dirty, npages * sizeof(*pages));
	memset(bm->dirty, 0, npages * sizeof(*pages));
	memcpy(shadow, bm->area, bm->area_len);
	pthread_mutex_unlock(&bm->lock);

	for (unsigned i = 0; i < rs->ndevs; i++) {
		struct raid_leg *l = &rs->legs[i];

		if (!l->meta || !l->data || atomic_load(&l->failed))
			continue;
		for (unsigned p = 0; p < npages; p++) {
			uint64_t off = RAID_BITMAP_OFFSET + (uint64_t)p * PAGE;
			size_t len = PAGE;
			int e;

			if (!pages[p])
				continue;
			if (off + len > l->meta->size)
				len = (size_t)(l->meta->size - off);
			e = dev_write(l->meta, shadow + (size_t)p * PAGE, len, off, fua ? DEV_FUA : 0);
			if (e) {
				raid_failed_set(failed, i);
				r = e;
				break;
			}
		}
	}

	pthread_mutex_lock(&bm->lock);
	if (bm->written < target)
		bm->written = target;
	bm->writing = false;
	pthread_cond_broadcast(&bm->cond);
	pthread_mutex_unlock(&bm->lock);
	free(shadow);
	free(pages);
	return r;
}

int raid_bm_write(struct raid_set *rs, bool fua)
{
	uint64_t failed[4] = { 0 };
	int r = raid_bm_write_to(rs, fua, failed);

	for (unsigned i = 0; r && i < rs->ndevs; i++)
		if (raid_failed_test(failed, i))
			raid_fail_leg(rs, i, r);
	return r;
}

/* The bits set up to generation @gen are on disk when this returns. */
static void write_until(struct raid_set *rs, uint64_t gen)
{
	struct raid_bitmap *bm = &rs->bm;

	pthread_mutex_lock(&bm->lock);
	while (bm->written < gen) {
		if (bm->writing) {
			pthread_cond_wait(&bm->cond, &bm->lock);
			continue;
		}
		pthread_mutex_unlock(&bm->lock);
		raid_bm_write(rs, true);
		pthread_mutex_lock(&bm->lock);
	}
	pthread_mutex_unlock(&bm->lock);
}

/* The regions [*r0, *r1] that sectors [s, s+n) touch; false: none. */
static bool regions(const struct raid_bitmap *bm, uint64_t s, uint64_t n, uint64_t *r0, uint64_t *r1)
{
	if (!n || !bm->nregions || s / bm->region >= bm->nregions)
		return false;
	*r0 = s / bm->region;
	*r1 = (s + n - 1) / bm->region;
	if (*r1 >= bm->nregions)
		*r1 = bm->nregions - 1;
	return true;
}

/* With bm->lock: the generation that set region @r's bit while it is not
 * on disk yet, else 0.  set_gen keeps 32 bits: a generation more than 2^31
 * behind reads as written, and one that would be newer than bm->gen (a
 * wrapped old one) as written too. */
static uint64_t unwritten(const struct raid_bitmap *bm, uint64_t r)
{
	int32_t d = (int32_t)(bm->set_gen[r] - (uint32_t)bm->written);
	uint64_t g = bm->written + (uint64_t)(d > 0 ? d : 0);

	return d > 0 && g <= bm->gen ? g : 0;
}

void raid_bm_startwrite(struct raid_set *rs, uint64_t s, uint64_t n)
{
	struct raid_bitmap *bm = &rs->bm;
	uint64_t r0, r1, need = 0, g;

	if (!regions(bm, s, n, &r0, &r1))
		return;
	pthread_mutex_lock(&bm->lock);
	for (uint64_t r = r0; r <= r1; r++) {
		unsigned c;

		while (bm->count[r] & RB_RESYNC)
			pthread_cond_wait(&bm->cond, &bm->lock);
		c = bm->count[r] & RB_COUNT;
		if (c == 0) {
			set_bit_le(bits_of(bm), r, true);
			dirty_region(bm, r);
			bm->set_gen[r] = (uint32_t)bm->gen;
			need = bm->gen;
		} else if ((g = unwritten(bm, r)) > need) {
			need = g;
		}
		if (c < 2)
			c = 2;
		bm->count[r] = (uint16_t)((bm->count[r] & ~RB_COUNT) | (c + 1));
	}
	pthread_mutex_unlock(&bm->lock);
	if (need && rs->has_meta)
		write_until(rs, need);
}

void raid_bm_endwrite(struct raid_set *rs, uint64_t s, uint64_t n, bool clean)
{
	struct raid_bitmap *bm = &rs->bm;
	uint64_t r0, r1;

	if (!regions(bm, s, n, &r0, &r1))
		return;
	pthread_mutex_lock(&bm->lock);
	for (uint64_t r = r0; r <= r1; r++) {
		if ((bm->count[r] & RB_COUNT) > 2)
			bm->count[r]--;
		if (!clean && !(bm->count[r] & RB_NEEDED)) {
			bm->count[r] |= RB_NEEDED;
			bm->needed++;
		}
	}
	pthread_cond_broadcast(&bm->cond);
	pthread_mutex_unlock(&bm->lock);
}

void raid_bm_hold(struct raid_set *rs, uint64_t s, uint64_t n)
{
	struct raid_bitmap *bm = &rs->bm;
	uint64_t r0, r1;

	if (!regions(bm, s, n, &r0, &r1))
		return;
	pthread_mutex_lock(&bm->lock);
	for (uint64_t r = r0; r <= r1; r++)
		if ((bm->count[r] & RB_COUNT) < RB_COUNT)
			bm->count[r]++;
	pthread_mutex_unlock(&bm->lock);
}

void raid_bm_start_sync(struct raid_set *rs, uint64_t r)
{
	struct raid_bitmap *bm = &rs->bm;

	pthread_mutex_lock(&bm->lock);
	bm->count[r] |= RB_RESYNC;
	while ((bm->count[r] & RB_COUNT) > 2)
		pthread_cond_wait(&bm->cond, &bm->lock);
	pthread_mutex_unlock(&bm->lock);
}

void raid_bm_end_sync(struct raid_set *rs, uint64_t r, bool synced)
{
	struct raid_bitmap *bm = &rs->bm;

	pthread_mutex_lock(&bm->lock);
	bm->count[r] &= (uint16_t)~RB_RESYNC;
	if (synced && bm->count[r] & RB_NEEDED) {
		bm->count[r] &= (uint16_t)~RB_NEEDED;
		bm->needed--;
		if ((bm->count[r] & RB_COUNT) == 2)
			bm->count[r] = (uint16_t)((bm->count[r] & ~RB_COUNT) | 1); /* the daemon clears it */
	}
	pthread_cond_broadcast(&bm->cond);
	pthread_mutex_unlock(&bm->lock);
}

bool raid_bm_region_needed(struct raid_set *rs, uint64_t r)
{
	struct raid_bitmap *bm = &rs->bm;
	bool needed;

	pthread_mutex_lock(&bm->lock);
	needed = r < bm->nregions && bm->count[r] & RB_NEEDED;
	pthread_mutex_unlock(&bm->lock);
	return needed;
}

void raid_bm_set_all(struct raid_set *rs, bool needed)
{
	struct raid_bitmap *bm = &rs->bm;

	pthread_mutex_lock(&bm->lock);
	for (uint64_t r = 0; r < bm->nregions; r++) {
		if (needed)
			bm->count[r] |= RB_NEEDED;
		else
			bm->count[r] &= (uint16_t)~RB_NEEDED;
	}
	bm->needed = needed ? bm->nregions : 0;
	pthread_mutex_unlock(&bm->lock);
}

void raid_bm_clear_idle(struct raid_set *rs, bool all)
{
	struct raid_bitmap *bm = &rs->bm;
	bool changed = false;

	if (!bm->nregions)
		return;
	pthread_mutex_lock(&bm->lock);
	for (uint64_t r = 0; r < bm->nregions; r++) {
		unsigned c = bm->count[r] & RB_COUNT;

		if (!c || bm->count[r] & (RB_NEEDED | RB_RESYNC) || c > 2)
			continue;
		if (c == 2 && !all) {
			bm->count[r]--;
			continue;
		}
		bm->count[r] &= (uint16_t)~RB_COUNT;
		set_bit_le(bits_of(bm), r, false);
		dirty_region(bm, r);
		changed = true;
	}
	pthread_mutex_unlock(&bm->lock);
	if (changed || all)
		raid_bm_write(rs, all);
}
