/* snapshot-merge <origin> <COW device> <P|PO> <chunk_size>
 *
 * The kernel's snapshot-merge (drivers/md/dm-snap.c, snapshot.rst): the
 * origin's device while a snapshot's exceptions are copied back into it,
 * so that the origin becomes what the snapshot holds (lvconvert --merge).
 * The store is snapshot.c's, loaded the same way.
 *
 * A merge thread works from the end of the store, the newest exception
 * first, as the kernel's prepare_merge: a run of at most MERGE_RUN
 * exceptions whose origin and COW chunks are both consecutive, inside the
 * last area that has entries; other snapshots of the origin get their
 * copies of those chunks first (snapshot_origin_cow); the chunks are
 * copied COW -> origin and the origin flushed; then the run's entries are
 * zeroed in the area, which is written FUA (commit_merge).  A crash before
 * that write merges the run again, from the same COW chunks: harmless.
 * Status as snapshot's; the merge has ended when <allocated> equals
 * <metadata> (next_free = area's chunk + entries left + 1, 2 at the end).
 *
 * I/O: a chunk that still has an exception is read from and written to
 * its COW copy (the merge brings it back later); any other goes to the
 * origin, after the other snapshots' copy-on-write.  s->lock is held
 * across each run's copy, so client I/O never sees a chunk half merged.
 * An invalid snapshot does not merge: everything goes to the origin.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "targets/registry.h"
#include "targets/snapshot/exstore.h"
#include "targets/snapshot/snapshot.h"
#include "targets/snapshot/snapshot_internal.h"

#define MERGE_RUN 64u

static bool has_exception(struct snap *s, uint64_t c, uint64_t *v)
{
	return s->valid && exmap_get(&s->map, c, v) && *v != SNAP_MERGED;
}

/* With s->lock: the next run merged and committed; 1 when none is left,
 * 0 done one, -errno. */
static int merge_run(struct snap *s)
{
	uint64_t per = snap_per_area(s->chunk), old, new, o2, n2;
	unsigned n = 1;
	int r;

	if (!s->count) {
		if (!s->area)
			return 1;
		s->area--;
		if ((r = dev_read(s->cow, s->abuf, s->cb, snap_area_chunk(s->chunk, s->area) * s->cb)))
			return r;
		s->count = (size_t)per;
	}
	snap_exception_get(s->abuf, s->count - 1, &old, &new);
	while (n < MERGE_RUN && n < s->count) {
		snap_exception_get(s->abuf, s->count - 1 - n, &o2, &n2);
		if (o2 + n != old || n2 + n != new)
			break;
		n++;
	}
	/* chunks old - n + 1 .. old, from new - n + 1 .. new */
	snapshot_registry_read_lock();
	snapshot_origin_cow(s->origin, (old - n + 1) * s->cb, (uint64_t)n * s->cb);
	for (unsigned k = 0; k < n; k++) {
		uint64_t oc = old - n + 1 + k, off = oc * s->cb, len = s->cb;

		if (off >= s->origin->size)
			continue;
		if (off + len > s->origin->size)
			len = s->origin->size - off;
		if ((r = dev_read(s->cow, s->cbuf, len, (new - n + 1 + k) * s->cb)) ||
		    (r = dev_write(s->origin, s->cbuf, len, off, 0)))
			break;
	}
	snapshot_registry_unlock();
	if (r || (r = dev_flush(s->origin)))
		return r;
	memset(s->abuf + (s->count - n) * SNAP_EXCEPTION_BYTES, 0, (size_t)n * SNAP_EXCEPTION_BYTES);
	if ((r = dev_write(s->cow, s->abuf, s->cb, snap_area_chunk(s->chunk, s->area) * s->cb, DEV_FUA)))
		return r;
	s->count -= n;
	for (unsigned k = 0; k < n; k++)
		if ((r = exmap_put(&s->map, old - n + 1 + k, SNAP_MERGED)))
			return r;
	s->next_free = snap_area_chunk(s->chunk, s->area) + s->count + 1;
	return 0;
}

static void *merge_main(void *arg)
{
	struct snap *s = arg;
	uint64_t runs = 0;
	int r = 0;

	pthread_mutex_lock(&s->lock);
	while (!s->mstop && !s->mdone && !s->mfailed) {
		r = merge_run(s);
		if (r == 1) {
			s->mdone = true;
			log_info("snapshot-merge: %s merged into %s (%" PRIu64 " runs)", dm_device_name(s->ti, s->cow),
				 dm_device_name(s->ti, s->origin), runs);
			dm_table_event(s->ti->table);
		} else if (r) {
			s->mfailed = true;
			log_warn("snapshot-merge: %s: %s: shutting down merge", dm_device_name(s->ti, s->cow), strerror(-r));
			dm_table_event(s->ti->table);
		} else {
			runs++;
			pthread_mutex_unlock(&s->lock); /* client I/O between runs */
			pthread_mutex_lock(&s->lock);
		}
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static int merge_ctr(struct dm_target *ti, struct arg_set *as)
{
	int r = snap_ctr_common(ti, as, true);
	struct snap *s = ti->private;

	if (!r && s->kind == 'N') {
		ti->error = "Snapshot exception store does not support snapshot-merge (a transient N store)";
		snap_free(s);
		ti->private = NULL;
		return -EINVAL;
	}
	return r;
}

static void merge_stop(struct snap *s)
{
	if (!s || !s->mrunning)
		return;
	pthread_mutex_lock(&s->lock);
	s->mstop = true;
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->mthread, NULL);
	s->mrunning = false;
}

static void merge_dtr(struct dm_target *ti)
{
	merge_stop(ti->private);
	snap_free(ti->private);
}

static int merge_preresume(struct dm_target *ti)
{
	struct snap *s = ti->private;
	int r;

	if (s->loaded)
		return 0;
	if ((r = snap_load(s)))
		return r;
	s->loaded = true;
	if (!s->valid)
		log_warn("snapshot-merge: %s: Snapshot is invalid: can't merge", dm_device_name(ti, s->cow));
	return 0;
}

static void merge_resume(struct dm_target *ti)
{
	struct snap *s = ti->private;

	if (s->mrunning || !s->valid)
		return;
	s->mstop = false;
	s->mrunning = !pthread_create(&s->mthread, NULL, merge_main, s);
	if (!s->mrunning)
		log_warn("snapshot-merge: cannot start the merge thread");
}

static void merge_presuspend(struct dm_target *ti)
{
	merge_stop(ti->private);
}

static int merge_read(struct dm_target *ti, void *buf, size_t len, uint64_t off)
{
	struct snap *s = ti->private;
	char *p = buf;
	int r = 0;

	pthread_mutex_lock(&s->lock);
	while (len && !r) {
		uint64_t c = off / s->cb, in = off % s->cb, v;
		size_t n = len < s->cb - in ? len : (size_t)(s->cb - in);

		r = has_exception(s, c, &v) ? dev_read(s->cow, p, n, v * s->cb + in) : dev_read(s->origin, p, n, off);
		p += n;
		off += n;
		len -= n;
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

static int merge_write(struct dm_target *ti, const void *buf, size_t len, uint64_t off, unsigned flags)
{
	struct snap *s = ti->private;
	const char *p = buf;
	int r = 0;

	pthread_mutex_lock(&s->lock);
	while (len && !r) {
		uint64_t c = off / s->cb, in = off % s->cb, v;
		size_t n = len < s->cb - in ? len : (size_t)(s->cb - in);

		if (has_exception(s, c, &v)) {
			r = dev_write(s->cow, p, n, v * s->cb + in, flags);
		} else {
			snapshot_registry_read_lock();
			snapshot_origin_cow(s->origin, off, n);
			r = dev_write(s->origin, p, n, off, flags);
			snapshot_registry_unlock();
		}
		p += n;
		off += n;
		len -= n;
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

static int merge_flush(struct dm_target *ti)
{
	struct snap *s = ti->private;
	int r = dev_flush(s->origin);

	return r ? r : dev_flush(s->cow);
}

static void merge_status(struct dm_target *ti, enum status_type type, char *buf, size_t maxlen)
{
	struct snap *s = ti->private;

	if (type == STATUSTYPE_INFO && s->mfailed) {
		dm_emit(buf, maxlen, "Merge failed");
		return;
	}
	snap_status(ti, type, buf, maxlen);
}

const struct target_type snapshot_merge_target = {
	.name = "snapshot-merge",
	.version = { 1, 5, 0 },
	.ctr = merge_ctr,
	.dtr = merge_dtr,
	.read = merge_read,
	.write = merge_write,
	.flush = merge_flush,
	.preresume = merge_preresume,
	.resume = merge_resume,
	.presuspend = merge_presuspend,
	.status = merge_status,
	.iterate_devices = snap_iterate,
};
