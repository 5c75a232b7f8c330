/* snapshot <origin> <COW device> <P|PO|N> <chunk_size>
 *
 * The kernel's dm-snapshot (Documentation/admin-guide/device-mapper/
 * snapshot.rst, drivers/md/dm-snap.c): a copy-on-write view of <origin>
 * as it was when the snapshot was made.  A chunk the origin overwrites
 * (through a snapshot-origin device, origin.c) or the snapshot itself
 * writes is first copied to the COW device; the snapshot reads a chunk
 * from the COW device if it has an exception for it, else from the
 * origin.  P keeps the exceptions on the COW device in the kernel's
 * persistent format (exstore.h), so the same COW device works under the
 * kernel; PO is P where a full COW device makes the snapshot's own writes
 * fail (Overflow) instead of invalidating it; N keeps them in memory.
 * A full COW device invalidates the snapshot (status Invalid, header
 * valid = 0, reads fail), the origin goes on.  A dm event marks every 5 %
 * of the COW device used (for autoextend) and the invalidation.
 *
 * Invariants and crash argument: a chunk's data is copied and flushed
 * before the area naming its exception is written (FUA), and an area that
 * fills zeroes the next one first, as the kernel does; so after a crash
 * every exception on disk points at a complete copy.  An origin write
 * waits until every snapshot of that origin has its chunks committed.
 * Commits are grouped: requests stage their exceptions, one of them
 * flushes and writes the area for all staged so far (sync_staged).
 *
 * Locking: one mutex per snapshot covers its exception table, the
 * allocator and every copy (held across the I/O: a chunk is copied once,
 * and a snapshot read of an unshared chunk cannot see the origin change
 * under it).  The registry of snapshots by origin device is a rwlock:
 * origin writes hold it shared across copy and write, a snapshot joins it
 * (at resume, after its store is loaded) and leaves it (at suspend)
 * exclusively, so a new snapshot sees no origin write half done.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "targets/registry.h"
#include "targets/snapshot/exstore.h"
#include "targets/snapshot/snapshot.h"
#include "targets/snapshot/snapshot_internal.h"

static pthread_rwlock_t registry_lock = PTHREAD_RWLOCK_INITIALIZER;
static struct snap *registry;

static uint64_t hash64(uint64_t x)
{
	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	return x;
}

bool exmap_get(const struct exmap *m, uint64_t k, uint64_t *v)
{
	if (!m->cap)
		return false;
	for (size_t i = hash64(k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (m->k[i] == UINT64_MAX)
			return false;
		if (m->k[i] == k) {
			*v = m->v[i];
			return true;
		}
	}
}

int exmap_put(struct exmap *m, uint64_t k, uint64_t v)
{
	if ((m->n + 1) * 4 > m->cap * 3) {
		struct exmap g = { 0 };

		g.cap = m->cap ? m->cap * 2 : 1024;
		if (!(g.k = malloc(g.cap * sizeof(*g.k))) || !(g.v = malloc(g.cap * sizeof(*g.v)))) {
			free(g.k);
			return -ENOMEM;
		}
		memset(g.k, 0xff, g.cap * sizeof(*g.k));
		for (size_t i = 0; i < m->cap; i++)
			if (m->k[i] != UINT64_MAX)
				exmap_put(&g, m->k[i], m->v[i]);
		free(m->k);
		free(m->v);
		*m = g;
	}
	for (size_t i = hash64(k) & (m->cap - 1);; i = (i + 1) & (m->cap - 1)) {
		if (m->k[i] == UINT64_MAX || m->k[i] == k) {
			m->n += m->k[i] == UINT64_MAX;
			m->k[i] = k;
			m->v[i] = v;
			return 0;
		}
	}
}

bool snap_persistent(const struct snap *s)
{
	return s->kind != 'N';
}

static int write_header(struct snap *s, uint32_t valid)
{
	struct snap_header h = { SNAP_MAGIC, valid, SNAP_VERSION, s->chunk };

	memset(s->cbuf, 0, s->cb);
	snap_header_encode(&h, s->cbuf);
	return dev_write(s->cow, s->cbuf, s->cb, 0, DEV_FUA);
}

/* With s->lock: the snapshot is lost (the COW device is full or failed). */
static void invalidate(struct snap *s, const char *why)
{
	if (!s->valid)
		return;
	s->valid = false;
	log_warn("snapshot: %s: invalidated (%s)", dm_device_name(s->ti, s->cow), why);
	if (snap_persistent(s) && write_header(s, 0))
		log_warn("snapshot: %s: cannot write the invalid header", dm_device_name(s->ti, s->cow));
	dm_table_event(s->ti->table);
}

/* A free COW chunk, or -ENOSPC. */
static int alloc_chunk(struct snap *s, uint64_t *c)
{
	uint64_t n = s->next_free;

	if (snap_persistent(s) && snap_is_metadata(s->chunk, n))
		n++;
	if ((n + 1) * s->cb > s->cow->size)
		return -ENOSPC;
	*c = n;
	s->next_free = n + 1;
	/* an event at every 5 % used: ulvmd --on-event (snapshot autoextend) */
	if ((s->next_free * s->cb) * 20 / s->cow->size > s->used_step) {
		s->used_step = (unsigned)((s->next_free * s->cb) * 20 / s->cow->size);
		dm_table_event(s->ti->table);
	}
	return 0;
}

/* With s->lock: what is staged goes to disk as one group commit (a flush
 * for the copies, then the area, FUA); waits for one in flight.  The lock
 * is let go while the commit writes: other requests stage meanwhile and
 * the next commit takes them all. */
static int sync_staged(struct snap *s)
{
	uint64_t want = s->staged;
	int r = 0;

	while (snap_persistent(s) && s->synced < want && !r) {
		uint64_t target = s->staged, area = s->area;

		if (s->syncing) {
			pthread_cond_wait(&s->cond, &s->lock);
			continue;
		}
		memcpy(s->sbuf, s->abuf, s->cb);
		s->syncing = true;
		pthread_mutex_unlock(&s->lock);
		r = dev_flush(s->cow);
		if (!r)
			r = dev_write(s->cow, s->sbuf, s->cb, snap_area_chunk(s->chunk, area) * s->cb, DEV_FUA);
		pthread_mutex_lock(&s->lock);
		s->syncing = false;
		if (!r && s->synced < target)
			s->synced = target;
		pthread_cond_broadcast(&s->cond);
	}
	return r;
}

/* With s->lock: the exceptions @old[i] -> @new[i], whose chunks are
 * copied, are staged (readers see them; sync_staged makes them durable).
 * An area that fills is written at once, after the group commit in
 * flight, with the next one zeroed first. */
static int commit(struct snap *s, const uint64_t *old, const uint64_t *new, size_t n)
{
	uint64_t per = snap_per_area(s->chunk);
	int r;

	for (size_t i = 0; i < n; i++)
		if ((r = exmap_put(&s->map, old[i], new[i])))
			return r;
	if (!snap_persistent(s))
		return 0;
	for (size_t i = 0; i < n; i++) {
		/* the entry that fills the area waits for a group commit in
		 * flight (it writes an older copy of this area) */
		while (s->syncing && s->count + 1 >= per)
			pthread_cond_wait(&s->cond, &s->lock);
		snap_exception_put(s->abuf, s->count++, old[i], new[i]);
		s->staged++;
		if (s->count < per)
			continue;
		memset(s->cbuf, 0, s->cb);
		if ((r = dev_flush(s->cow)) ||
		    (r = dev_write(s->cow, s->cbuf, s->cb, snap_area_chunk(s->chunk, s->area + 1) * s->cb, 0)) ||
		    (r = dev_write(s->cow, s->abuf, s->cb, snap_area_chunk(s->chunk, s->area) * s->cb, DEV_FUA)))
			return r;
		s->synced = s->staged;
		s->area++;
		s->count = 0;
		memset(s->abuf, 0, s->cb);
	}
	return 0;
}

#define COW_BATCH 256 /* exceptions committed together */

/* Origin chunk @c into s->cbuf (zeroes past the origin's end). */
int snap_read_origin_chunk(struct snap *s, uint64_t c)
{
	uint64_t off = c * s->cb, n = s->cb;

	memset(s->cbuf, 0, s->cb);
	if (off >= s->origin->size)
		return 0;
	if (off + n > s->origin->size)
		n = s->origin->size - off;
	return dev_read(s->origin, s->cbuf, n, off);
}

/* With s->lock: the origin's chunks [first, last] that have no
 * exception get one (copied), committed in batches. */
static void cow_chunks(struct snap *s, uint64_t first, uint64_t last)
{
	uint64_t old[COW_BATCH], new[COW_BATCH], v;
	size_t n = 0;
	int r = 0;

	for (uint64_t c = first; c <= last && s->valid && !r; c++) {
		if (exmap_get(&s->map, c, &v))
			continue;
		if (alloc_chunk(s, &new[n])) {
			r = commit(s, old, new, n);
			n = 0;
			invalidate(s, r ? strerror(-r) : "the COW device is full");
			return;
		}
		if ((r = snap_read_origin_chunk(s, c)) || (r = dev_write(s->cow, s->cbuf, s->cb, new[n] * s->cb, 0)))
			break;
		old[n++] = c;
		if (n == COW_BATCH) {
			r = commit(s, old, new, n);
			n = 0;
		}
	}
	if (!r)
		r = commit(s, old, new, n);
	if (!r)
		r = sync_staged(s);
	if (r)
		invalidate(s, strerror(-r));
}

void snapshot_origin_cow(struct dev *origin, uint64_t off, uint64_t len)
{
	for (struct snap *s = registry; s && len; s = s->next) {
		uint64_t end = to_bytes(s->ti->len); /* a snapshot of an origin grown since: its size */

		if (s->origin != origin || off >= end)
			continue;
		pthread_mutex_lock(&s->lock);
		cow_chunks(s, off / s->cb, (off + (len < end - off ? len : end - off) - 1) / s->cb);
		pthread_mutex_unlock(&s->lock);
	}
}

void snapshot_registry_read_lock(void)
{
	pthread_rwlock_rdlock(&registry_lock);
}

void snapshot_registry_unlock(void)
{
	pthread_rwlock_unlock(&registry_lock);
}

static int snap_read(struct dm_target *ti, void *buf, size_t len, uint64_t off)
{
	struct snap *s = ti->private;
	char *p = buf;
	int r = 0;

	pthread_mutex_lock(&s->lock);
	if (!s->valid)
		r = -EIO;
	while (len && !r) {
		uint64_t c = off / s->cb, in = off % s->cb, v;
		size_t n = len < s->cb - in ? len : (size_t)(s->cb - in);

		if (exmap_get(&s->map, c, &v))
			r = dev_read(s->cow, p, n, v * s->cb + in);
		else if (off + n <= s->origin->size)
			r = dev_read(s->origin, p, n, off);
		else
			r = -EIO;
		p += n;
		off += n;
		len -= n;
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

static int snap_write(struct dm_target *ti, const void *buf, size_t len, uint64_t off, unsigned flags)
{
	struct snap *s = ti->private;
	const char *p = buf;
	int r = 0;

	pthread_mutex_lock(&s->lock);
	if (!s->valid)
		r = -EIO;
	else if (s->overflow)
		r = -ENOSPC;
	while (len && !r) {
		uint64_t c = off / s->cb, in = off % s->cb, v;
		size_t n = len < s->cb - in ? len : (size_t)(s->cb - in);

		if (exmap_get(&s->map, c, &v)) {
			r = dev_write(s->cow, p, n, v * s->cb + in, flags);
		} else if (alloc_chunk(s, &v)) {
			if (s->kind == 'O') {
				s->overflow = true;
				log_warn("snapshot: %s: the COW device is full: the snapshot takes no more writes",
					 dm_device_name(ti, s->cow));
				dm_table_event(ti->table);
				r = -ENOSPC;
			} else {
				invalidate(s, "the COW device is full");
				r = -EIO;
			}
		} else if (!(r = snap_read_origin_chunk(s, c))) {
			memcpy(s->cbuf + in, p, n);
			if (!(r = dev_write(s->cow, s->cbuf, s->cb, v * s->cb, flags)) && !(r = commit(s, &c, &v, 1)))
				r = sync_staged(s);
			if (r)
				invalidate(s, strerror(-r));
		}
		p += n;
		off += n;
		len -= n;
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}

static int snap_flush(struct dm_target *ti)
{
	struct snap *s = ti->private;

	return dev_flush(s->cow);
}

struct loader {
	struct snap *s;
	uint64_t max_new;
};

static int load_one(void *opaque, uint64_t old_chunk, uint64_t new_chunk)
{
	struct loader *l = opaque;

	if (new_chunk > l->max_new)
		l->max_new = new_chunk;
	return exmap_put(&l->s->map, old_chunk, new_chunk);
}

int snap_set_chunk(struct snap *s, uint32_t chunk)
{
	uint8_t *a = aligned_alloc(4096, (size_t)chunk * 512), *b = aligned_alloc(4096, (size_t)chunk * 512);
	uint8_t *c = aligned_alloc(4096, (size_t)chunk * 512);

	if (!a || !b || !c) {
		free(a);
		free(b);
		free(c);
		return -ENOMEM;
	}
	free(s->abuf);
	free(s->cbuf);
	free(s->sbuf);
	s->abuf = a;
	s->cbuf = b;
	s->sbuf = c;
	s->chunk = chunk;
	s->cb = (size_t)chunk * 512;
	memset(s->abuf, 0, s->cb);
	return 0;
}

/* Read (or make) the store: the exceptions, the allocator, the area. */
int snap_load(struct snap *s)
{
	struct snap_header h;
	const char *why = "";
	bool fresh;
	struct loader l = { s, 0 };
	uint64_t per;
	int r;

	s->valid = true;
	if (!snap_persistent(s)) {
		s->next_free = 0;
		return 0;
	}
	if ((r = dev_read(s->cow, s->cbuf, SNAP_HEADER_BYTES, 0)))
		return r;
	if ((r = snap_header_decode(s->cbuf, SNAP_HEADER_BYTES, &h, &fresh, &why))) {
		log_warn("snapshot: %s: %s", dm_device_name(s->ti, s->cow), why);
		s->ti->error = why;
		return r;
	}
	if (fresh) {
		if ((r = write_header(s, 1)))
			return r;
		memset(s->cbuf, 0, s->cb);
		if ((r = dev_write(s->cow, s->cbuf, s->cb, snap_area_chunk(s->chunk, 0) * s->cb, DEV_FUA)))
			return r;
		s->next_free = 2;
		return 0;
	}
	if (h.chunk_size != s->chunk) {
		log_warn("snapshot: %s: the store's chunk size %u wins over the table's %u",
			 dm_device_name(s->ti, s->cow), h.chunk_size, s->chunk);
		if ((r = snap_set_chunk(s, h.chunk_size)))
			return r;
	}
	s->valid = h.valid != 0;
	per = snap_per_area(s->chunk);
	for (s->area = 0;; s->area++) {
		uint64_t at = snap_area_chunk(s->chunk, s->area) * s->cb;
		long n;

		if (at + s->cb > s->cow->size) {
			s->ti->error = "Exception store: its areas run past the COW device's end";
			return -EINVAL;
		}
		if ((r = dev_read(s->cow, s->abuf, s->cb, at)))
			return r;
		n = snap_area_walk(s->abuf, s->cb, s->chunk, s->cow->size / s->cb, load_one, &l, &why);
		if (n < 0) {
			log_warn("snapshot: %s: %s", dm_device_name(s->ti, s->cow), why);
			s->ti->error = why;
			return (int)n;
		}
		if ((uint64_t)n < per) {
			s->count = (size_t)n;
			memset(s->abuf + (size_t)n * SNAP_EXCEPTION_BYTES, 0, s->cb - (size_t)n * SNAP_EXCEPTION_BYTES);
			break;
		}
	}
	s->next_free = l.max_new + 1 > 2 ? l.max_new + 1 : 2;
	if (snap_is_metadata(s->chunk, s->next_free))
		s->next_free++;
	return 0;
}

static void unregister(struct snap *s)
{
	if (!s->registered)
		return;
	pthread_rwlock_wrlock(&registry_lock);
	for (struct snap **p = &registry; *p; p = &(*p)->next)
		if (*p == s) {
			*p = s->next;
			break;
		}
	s->registered = false;
	pthread_rwlock_unlock(&registry_lock);
}

static int snap_preresume(struct dm_target *ti)
{
	struct snap *s = ti->private;
	int r;

	if (!s->loaded) {
		if ((r = snap_load(s)))
			return r;
		s->loaded = true;
	}
	if (!s->registered) {
		pthread_rwlock_wrlock(&registry_lock);
		s->next = registry;
		registry = s;
		s->registered = true;
		pthread_rwlock_unlock(&registry_lock);
	}
	return 0;
}

static void snap_postsuspend(struct dm_target *ti)
{
	unregister(ti->private);
}

void snap_free(struct snap *s)
{
	if (!s)
		return;
	unregister(s);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cond);
	free(s->sbuf);
	free(s->map.k);
	free(s->map.v);
	free(s->abuf);
	free(s->cbuf);
	free(s);
}

static void snap_dtr(struct dm_target *ti)
{
	snap_free(ti->private);
}

int snap_ctr_common(struct dm_target *ti, struct arg_set *as, bool merge)
{
	const char *origin = arg_shift(as), *cow = arg_shift(as), *kind = arg_shift(as), *cs = arg_shift(as);
	struct snap *s;
	uint32_t chunk;
	int r;

	if (!origin || !cow || !kind || !cs) {
		ti->error = "requires exactly 4 arguments";
		return -EINVAL;
	}
	if (!(s = calloc(1, sizeof(*s)))) {
		ti->error = "Cannot allocate snapshot context";
		return -ENOMEM;
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->ti = ti;
	ti->private = s;
	if (!strcmp(kind, "P") || !strcmp(kind, "p") || !strcmp(kind, "persistent")) {
		s->kind = 'P';
	} else if (!strcmp(kind, "PO") || !strcmp(kind, "po")) {
		s->kind = 'O';
	} else if (!strcmp(kind, "N") || !strcmp(kind, "n") || !strcmp(kind, "transient")) {
		s->kind = 'N';
	} else {
		ti->error = "Invalid exception store type (P, PO or N)";
		r = -EINVAL;
		goto fail;
	}
	if (parse_u32(cs, &chunk) || chunk > (1u << 21) || (chunk && (chunk & (chunk - 1)))) {
		ti->error = "Invalid chunk size (a power of two, in sectors)";
		r = -EINVAL;
		goto fail;
	}
	if (arg_shift(as)) {
		ti->error = "requires exactly 4 arguments (feature arguments are not supported)";
		r = -EINVAL;
		goto fail;
	}
	if ((r = merge ? dm_get_device(ti, origin, &s->origin) : dm_get_device_ro(ti, origin, &s->origin)) ||
	    (r = dm_get_device(ti, cow, &s->cow)))
		goto fail;
	if (s->origin == s->cow) {
		ti->error = "COW device cannot be the same as origin device";
		r = -EINVAL;
		goto fail;
	}
	if (!chunk)
		chunk = 32; /* DM_CHUNK_SIZE_DEFAULT_SECTORS */
	if (chunk * 512u < s->cow->block_size) {
		ti->error = "Chunk size is smaller than the COW device's block size";
		r = -EINVAL;
		goto fail;
	}
	if ((r = snap_set_chunk(s, chunk))) {
		ti->error = "Cannot allocate chunk buffers";
		goto fail;
	}
	if (to_bytes(ti->len) > s->origin->size) {
		ti->error = "Snapshot is larger than its origin";
		r = -EINVAL;
		goto fail;
	}
	if (s->cow->size < 3 * s->cb) {
		ti->error = "COW device too small for the header, an area and a chunk";
		r = -EINVAL;
		goto fail;
	}
	return 0;
fail:
	snap_free(s);
	ti->private = NULL;
	return r;
}

static int snap_ctr(struct dm_target *ti, struct arg_set *as)
{
	return snap_ctr_common(ti, as, false);
}

void snap_status(struct dm_target *ti, enum status_type type, char *buf, size_t maxlen)
{
	struct snap *s = ti->private;

	pthread_mutex_lock(&s->lock);
	if (type == STATUSTYPE_TABLE) {
		dm_emit(buf, maxlen, "%s %s %s %u", dm_device_name(ti, s->origin), dm_device_name(ti, s->cow),
			s->kind == 'P' ? "P" : s->kind == 'O' ? "PO" : "N", s->chunk);
	} else if (!s->valid) {
		dm_emit(buf, maxlen, "Invalid");
	} else if (s->overflow) {
		dm_emit(buf, maxlen, "Overflow");
	} else if (!s->loaded) {
		dm_emit(buf, maxlen, "Unknown");
	} else {
		uint64_t meta = snap_persistent(s) ? (s->area + 2) * s->chunk : 0;

		dm_emit(buf, maxlen, "%" PRIu64 "/%" PRIu64 " %" PRIu64, s->next_free * s->chunk, s->cow->size / 512,
			meta);
	}
	pthread_mutex_unlock(&s->lock);
}

int snap_iterate(struct dm_target *ti, iterate_devices_fn fn, void *data)
{
	struct snap *s = ti->private;
	int r = fn(ti, s->origin, 0, to_bytes(ti->len), data);

	return r ? r : fn(ti, s->cow, 0, s->cow->size, data);
}

const struct target_type snapshot_target = {
	.name = "snapshot",
	.version = { 1, 16, 0 },
	.ctr = snap_ctr,
	.dtr = snap_dtr,
	.read = snap_read,
	.write = snap_write,
	.flush = snap_flush,
	.preresume = snap_preresume,
	.postsuspend = snap_postsuspend,
	.status = snap_status,
	.iterate_devices = snap_iterate,
};
