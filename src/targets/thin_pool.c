/* thin-pool <metadata dev> <data dev> <data block size> <low water mark>
 *           [<#features> [skip_block_zeroing] [ignore_discard]
 *            [no_discard_passdown] [read_only] [error_if_no_space]]
 *
 * The pool target itself maps its length onto the data device, as the
 * kernel's pool_map does; the work is in the struct pool it owns (see
 * thin_pool.h) and in the thin volumes that use it.
 *
 * Durability.  Data blocks are written before the mapping that points at
 * them is inserted, and pool_commit flushes the data device before it
 * commits the metadata (whose superblock is written last, with FUA).  So
 * a committed mapping always points at durable data, and a crash at any
 * moment leaves the last committed metadata: thin_check is clean and
 * everything written before a completed flush reads back.  A commit runs
 * on every flush and FUA write of a thin, on every message, at
 * postsuspend, at status, and once a second from a thread per pool.
 *
 * Space.  Out of data blocks, the pool reports out_of_data_space; writes
 * that need a new block fail at once with error_if_no_space, else wait
 * (the no_space_timeout parameter) for a reload that grows the pool.  The
 * metadata keeps a reserve (min(4096 blocks, a tenth), as the kernel's
 * metadata_reserve): when free metadata falls under it the pool commits
 * and stops provisioning ("ro") until the metadata device grows.  A
 * failed metadata update aborts the transaction, sets needs_check and
 * leaves the pool read-only, never half-written.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "dm/md.h"
#include "pdata/block_manager.h"
#include "targets/thin_pool.h"


#define COMMIT_PERIOD_MS 1000

struct pool_c {
	struct pool *pool;
	struct dev *meta_dev, *data_dev;
	uint32_t sectors_per_block;
	uint64_t low_water_blocks;
	struct pool_features requested;
};

/* ---- the registry of pools, keyed by metadata device ---- */

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pool **pools;
static unsigned npools;

static void pool_free(struct pool *p)
{
	struct err e = { { 0 } };

	if (p->thread_running) {
		pthread_mutex_lock(&p->lock);
		p->stop = true;
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
		pthread_join(p->thread, NULL);
	}
	if (p->tm) {
		if (p->dirty && p->mode < PM_READ_ONLY && !dev_flush(p->data_dev) &&
		    thin_meta_commit(p->tm, &e))
			log_err("thin-pool: final commit: %s", e.msg);
		thin_meta_close(p->tm);
	}
	dev_put(p->meta_dev);
	dev_put(p->data_dev);
	pthread_rwlock_destroy(&p->io_lock);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	pthread_cond_destroy(&p->prov_cond);
	free(p->cells);
	free(p->open_thins);
	while (p->copy_bufs) {
		char *b = p->copy_bufs;

		p->copy_bufs = *(char **)(void *)b;
		free(b);
	}
	free(p);
}

void pool_put(struct pool *p)
{
	bool last;

	pthread_mutex_lock(&registry_lock);
	last = --p->refs == 0;
	if (last)
		for (unsigned i = 0; i < npools; i++)
			if (pools[i] == p) {
				pools[i] = pools[--npools];
				break;
			}
	pthread_mutex_unlock(&registry_lock);
	if (last)
		pool_free(p);
}

int pool_thin_open(struct pool *p, uint64_t dev_id)
{
	struct open_thin *o;

	for (unsigned i = 0; i < p->nopen_thins; i++)
		if (p->open_thins[i].dev_id == dev_id) {
			p->open_thins[i].n++;
			return 0;
		}
	if (!(o = realloc(p->open_thins, (p->nopen_thins + 1) * sizeof(*o))))
		return -ENOMEM;
	p->open_thins = o;
	p->open_thins[p->nopen_thins++] = (struct open_thin){ dev_id, 1 };
	return 0;
}

void pool_thin_close(struct pool *p, uint64_t dev_id)
{
	for (unsigned i = 0; i < p->nopen_thins; i++)
		if (p->open_thins[i].dev_id == dev_id) {
			if (!--p->open_thins[i].n)
				p->open_thins[i] = p->open_thins[--p->nopen_thins];
			return;
		}
}

bool pool_thin_is_open(const struct pool *p, uint64_t dev_id)
{
	for (unsigned i = 0; i < p->nopen_thins; i++)
		if (p->open_thins[i].dev_id == dev_id)
			return true;
	return false;
}

static int get_pool_fn(struct dm_target *ti, void *arg)
{
	struct pool_c *pt = ti->private;

	pthread_mutex_lock(&registry_lock);
	pt->pool->refs++;
	pthread_mutex_unlock(&registry_lock);
	*(struct pool **)arg = pt->pool;
	return 0;
}

struct pool *pool_get_from_dev(struct dev *pool_dev)
{
	struct pool *p = NULL;

	if (dm_with_target(pool_dev, &thin_pool_target, get_pool_fn, &p))
		return NULL;
	return p;
}

/* ---- mode, commit, space ---- */

static const char *mode_name(enum pool_mode m)
{
	static const char *const names[] = { "write", "out-of-data-space",
					     "out-of-metadata-space", "read-only", "fail" };
	return names[m];
}

static void set_mode(struct pool *p, enum pool_mode m)
{
	if (p->mode == m)
		return;
	log_warn("thin-pool %s: switching to %s mode", p->data_dev->name, mode_name(m));
	p->mode = m;
	pthread_cond_broadcast(&p->cond);
}

static uint64_t metadata_reserve(struct pool *p)
{
	uint64_t total = thin_meta_metadata_blocks(p->tm);

	return total / 10 < 4096 ? total / 10 : 4096;
}

int pool_metadata_error(struct pool *p, int r, const struct err *e)
{
	struct err e2 = { { 0 } };

	log_err("thin-pool %s: metadata operation failed: %s", p->data_dev->name,
		e ? e->msg : strerror(-r));
	p->dirty = false;
	p->abort_gen++;
	if (thin_meta_abort(p->tm, &e2) || thin_meta_set_needs_check(p->tm, &e2) ||
	    thin_meta_commit(p->tm, &e2)) {
		log_err("thin-pool %s: %s", p->data_dev->name, e2.msg);
		set_mode(p, PM_FAIL);
	} else {
		set_mode(p, PM_READ_ONLY);
	}
	return r;
}

void pool_mark_dirty(struct pool *p)
{
	p->dirty = true;
	p->insert_gen++;
}

/* p->lock held (and dropped while waiting and flushing).  Waits until no
 * provision holds an allocated but unmapped block, holding new ones off
 * meanwhile; flushes the data device if blocks were mapped since the last
 * flush began; then commits. */
static int commit_locked(struct pool *p)
{
	struct err e = { { 0 } };
	int r = 0;

	if (!p->dirty || p->mode >= PM_READ_ONLY)
		return 0;
	p->commit_waiters++;
	while (p->unmapped)
		pthread_cond_wait(&p->prov_cond, &p->lock);
	/* No block is provisioned while commit_waiters holds them off, so
	 * the flush can run unlocked: reads and writes to mapped blocks go
	 * on meanwhile. */
	while (!r && p->insert_gen != p->flushed_gen) {
		uint64_t gen = p->insert_gen;

		pthread_mutex_unlock(&p->lock);
		r = dev_flush(p->data_dev);
		pthread_mutex_lock(&p->lock);
		if (!r)
			p->flushed_gen = gen;
	}
	if (r || !p->dirty || p->mode >= PM_READ_ONLY)
		goto out;
	r = thin_meta_commit(p->tm, &e);
	if (r) {
		r = pool_metadata_error(p, r, &e);
		goto out;
	}
	p->dirty = false;
	if (p->mode == PM_OUT_OF_DATA_SPACE && thin_meta_data_free(p->tm))
		set_mode(p, PM_WRITE);
out:
	if (--p->commit_waiters == 0 && p->prov_waiters)
		pthread_cond_broadcast(&p->prov_cond);
	return r;
}

int pool_commit(struct pool *p, enum pool_flush what)
{
	uint64_t gen;
	bool flush;
	int r = 0;

	pthread_mutex_lock(&p->lock);
	gen = p->insert_gen;
	flush = what == POOL_FLUSH_ALL || gen != p->flushed_gen;
	pthread_mutex_unlock(&p->lock);
	/* The slow flush runs unlocked: it covers every block mapped before
	 * it began (a block's data is written before its mapping goes in);
	 * commit_locked flushes again only for blocks mapped meanwhile. */
	if (flush)
		r = dev_flush(p->data_dev);
	if (r)
		return r;
	pthread_mutex_lock(&p->lock);
	if ((int64_t)(gen - p->flushed_gen) > 0)
		p->flushed_gen = gen;
	r = p->mode == PM_FAIL ? -EIO : commit_locked(p);
	pthread_mutex_unlock(&p->lock);
	return r;
}

static bool claim_busy(struct pool *p, uint64_t dev_id, uint64_t vblock)
{
	bool busy = p->commit_waiters > 0;

	for (unsigned i = 0; i < p->ncells && !busy; i++)
		busy = p->cells[i].dev_id == dev_id && p->cells[i].vblock == vblock;
	return busy;
}

int pool_try_claim(struct pool *p, uint64_t dev_id, uint64_t vblock)
{
	return claim_busy(p, dev_id, vblock) ? 1 : pool_claim(p, dev_id, vblock);
}

int pool_claim(struct pool *p, uint64_t dev_id, uint64_t vblock)
{
	if (claim_busy(p, dev_id, vblock)) {
		p->prov_waiters++;
		pthread_cond_wait(&p->prov_cond, &p->lock);
		p->prov_waiters--;
		return 1;
	}
	if (p->ncells == p->cells_cap) {
		unsigned cap = p->cells_cap ? p->cells_cap * 2 : 16;
		struct prov_cell *c = realloc(p->cells, cap * sizeof(*c));
		if (!c)
			return -ENOMEM;
		p->cells = c;
		p->cells_cap = cap;
	}
	p->cells[p->ncells++] = (struct prov_cell){ dev_id, vblock };
	return 0;
}

void pool_release(struct pool *p, uint64_t dev_id, uint64_t vblock, bool allocated)
{
	for (unsigned i = 0; i < p->ncells; i++) {
		if (p->cells[i].dev_id == dev_id && p->cells[i].vblock == vblock) {
			p->cells[i] = p->cells[--p->ncells];
			break;
		}
	}
	if (allocated)
		p->unmapped--;
	if (p->prov_waiters || (p->commit_waiters && !p->unmapped))
		pthread_cond_broadcast(&p->prov_cond);
}

int pool_can_provision(struct pool *p)
{
	switch (p->mode) {
	case PM_WRITE:
		break;
	case PM_OUT_OF_DATA_SPACE:
		break; /* pool_alloc_block tries again */
	case PM_OUT_OF_METADATA_SPACE:
		return -ENOSPC;
	case PM_READ_ONLY:
		return -EROFS;
	case PM_FAIL:
		return -EIO;
	}
	if (thin_meta_metadata_free(p->tm) < metadata_reserve(p)) {
		commit_locked(p);
		log_err("thin-pool %s: metadata space is down to its reserve; grow the metadata device",
			p->data_dev->name);
		set_mode(p, PM_OUT_OF_METADATA_SPACE);
		return -ENOSPC;
	}
	return 0;
}

/* As the kernel's metadata_low_callback: a quarter of the metadata
 * device, at most 4 MiB of it. */
static uint64_t metadata_low_water(struct pool *p)
{
	uint64_t quarter = thin_meta_metadata_blocks(p->tm) / 4;

	return quarter < 1024 ? quarter : 1024;
}

/* p->lock held.  Crossing the data low water mark (or the metadata
 * threshold) raises one dm event per bound table, as the kernel's
 * check_low_water_mark: a reload (that grows the pool) re-arms it. */
static void check_low_water(struct pool *p)
{
	uint64_t free = thin_meta_data_free(p->tm), mfree;
	bool raise = false;

	if (!p->low_water_logged && free <= p->low_water_blocks) {
		p->low_water_logged = true;
		p->data_low_events++;
		raise = true;
		log_warn("thin-pool %s: reached the low water mark (%" PRIu64 " free data blocks)",
			 p->data_dev->name, free);
	}
	mfree = thin_meta_metadata_free(p->tm);
	if (!p->meta_low_logged && mfree <= metadata_low_water(p)) {
		p->meta_low_logged = true;
		p->meta_low_events++;
		raise = true;
		log_warn("thin-pool %s: metadata reached its low water mark (%" PRIu64 " free blocks)",
			 p->data_dev->name, mfree);
	}
	if (raise && p->event_table)
		dm_table_event(p->event_table);
}

int pool_alloc_block(struct pool *p, uint64_t *block)
{
	struct err e = { { 0 } };
	int r;

	r = thin_meta_alloc_data_block(p->tm, block, &e);
	if (r == -ENOSPC && p->dirty) {
		/* Blocks freed in this transaction become free at commit. */
		if (!commit_locked(p)) {
			err_clear(&e);
			r = thin_meta_alloc_data_block(p->tm, block, &e);
		}
	}
	if (r == -ENOSPC) {
		set_mode(p, PM_OUT_OF_DATA_SPACE);
		return r;
	}
	if (r)
		return pool_metadata_error(p, r, &e);
	if (p->mode == PM_OUT_OF_DATA_SPACE)
		set_mode(p, PM_WRITE);
	check_low_water(p);
	return 0;
}

void pool_space_deadline(const struct pool *p, struct timespec *deadline)
{
	clock_gettime(CLOCK_MONOTONIC, deadline);
	deadline->tv_sec += p->pf.no_space_timeout;
}

int pool_wait_for_space(struct pool *p, const struct timespec *deadline)
{
	int r = 0;

	pthread_mutex_lock(&p->lock);
	while (p->mode == PM_OUT_OF_DATA_SPACE) {
		if (p->pf.error_if_no_space) {
			r = -ENOSPC;
			break;
		}
		if (!p->pf.no_space_timeout) {
			pthread_cond_wait(&p->cond, &p->lock);
		} else if (pthread_cond_timedwait(&p->cond, &p->lock, deadline) == ETIMEDOUT) {
			r = p->mode == PM_OUT_OF_DATA_SPACE ? -ENOSPC : 0;
			break;
		}
	}
	pthread_mutex_unlock(&p->lock);
	return r;
}

static void *commit_thread(void *arg)
{
	struct pool *p = arg;
	struct timespec ts;

	pthread_mutex_lock(&p->lock);
	while (!p->stop) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += COMMIT_PERIOD_MS / 1000;
		pthread_cond_timedwait(&p->cond, &p->lock, &ts);
		if (p->stop || !p->dirty)
			continue;
		pthread_mutex_unlock(&p->lock);
		pool_commit(p, POOL_FLUSH_MAPPED);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static int start_thread(struct pool *p)
{
	if (p->thread_running)
		return 0;
	p->stop = false;
	if (pthread_create(&p->thread, NULL, commit_thread, p))
		return -EAGAIN;
	p->thread_running = true;
	return 0;
}

static void stop_thread(struct pool *p)
{
	if (!p->thread_running)
		return;
	pthread_mutex_lock(&p->lock);
	p->stop = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	p->thread_running = false;
}

/* ---- constructor ---- */

static bool superblock_is_zero(struct dev *mdev, int *r)
{
	uint8_t buf[512];

	*r = dev_read(mdev, buf, sizeof(buf), 0);
	return !*r && mem_is_zero(buf, sizeof(buf));
}

static int pool_create(struct dm_target *ti, struct pool_c *pt, struct pool **out)
{
	struct thin_meta_options o = { .cache_bytes = dm_target_param(ti, THIN_POOL_METADATA_CACHE) };
	struct err e = { { 0 } };
	struct pool *p;
	bool zero;
	int r;

	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	pthread_rwlockattr_t ra;
	pthread_rwlockattr_init(&ra);
	/* A stream of I/O must not starve a discard. */
	pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&p->io_lock, &ra);
	pthread_rwlockattr_destroy(&ra);
	/* Held for a lookup's microsecond by every thin read and write:
	 * spin a little before sleeping, a futex sleep costs more. */
	pthread_mutexattr_t ma;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_ADAPTIVE_NP);
	pthread_mutex_init(&p->lock, &ma);
	pthread_mutexattr_destroy(&ma);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cond, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&p->prov_cond, NULL);
	p->refs = 1;
	p->owner = dm_target_owner(ti);
	p->meta_dev = dev_get(pt->meta_dev);
	p->data_dev = dev_get(pt->data_dev);
	p->sectors_per_block = pt->sectors_per_block;
	p->block_bytes = to_bytes(pt->sectors_per_block);
	p->pf = pt->requested;
	p->suspended = true;

	zero = superblock_is_zero(pt->meta_dev, &r);
	if (!r) {
		if (zero)
			r = thin_meta_format(pt->meta_dev, pt->sectors_per_block,
					     ti->len / pt->sectors_per_block, &o, &p->tm, &e);
		else
			r = thin_meta_open(pt->meta_dev, pt->sectors_per_block, &o, &p->tm, &e);
	}
	if (r) {
		dm_target_set_error(ti, "%.200s", e.msg[0] ? e.msg : "Error opening metadata block device");
		pool_free(p);
		return r;
	}
	p->mode = thin_meta_needs_check(p->tm) ? PM_READ_ONLY : PM_WRITE;
	*out = p;
	return 0;
}

static int find_or_create_pool(struct dm_target *ti, struct pool_c *pt)
{
	struct pool *p = NULL;
	int r = 0;

	pthread_mutex_lock(&registry_lock);
	for (unsigned i = 0; i < npools; i++)
		if (pools[i]->meta_dev == pt->meta_dev)
			p = pools[i];
	if (p) {
		if (p->owner != dm_target_owner(ti)) {
			ti->error = "metadata device already in use by a pool";
			r = -EBUSY;
		} else if (p->data_dev != pt->data_dev) {
			ti->error = "data device differs from the pool's";
			r = -EINVAL;
		} else if (p->sectors_per_block != pt->sectors_per_block) {
			ti->error = "pool block size differs from the metadata's";
			r = -EINVAL;
		} else {
			p->refs++;
			pt->pool = p;
		}
		pthread_mutex_unlock(&registry_lock);
		return r;
	}
	struct pool **v = realloc(pools, (npools + 1) * sizeof(*v));
	if (!v) {
		pthread_mutex_unlock(&registry_lock);
		return -ENOMEM;
	}
	pools = v;
	/* Opening the metadata under the registry lock keeps two tables
	 * from opening one metadata device at once. */
	r = pool_create(ti, pt, &p);
	if (!r) {
		pools[npools++] = p;
		pt->pool = p;
	}
	pthread_mutex_unlock(&registry_lock);
	return r;
}

static int parse_features(struct dm_target *ti, struct arg_set *as, struct pool_features *pf)
{
	uint32_t n;

	*pf = (struct pool_features){ .zero_new_blocks = true, .discard_enabled = true, .discard_passdown = true };
	if (!as->argc)
		return 0;
	if (arg_u32(as, 0, 5, &n) || (int)n != as->argc) {
		ti->error = "Invalid number of pool feature arguments";
		return -EINVAL;
	}
	while (as->argc) {
		const char *f = arg_shift(as);

		if (!strcasecmp(f, "skip_block_zeroing"))
			pf->zero_new_blocks = false;
		else if (!strcasecmp(f, "ignore_discard"))
			pf->discard_enabled = false;
		else if (!strcasecmp(f, "no_discard_passdown"))
			pf->discard_passdown = false;
		else if (!strcasecmp(f, "read_only"))
			pf->read_only = true;
		else if (!strcasecmp(f, "error_if_no_space"))
			pf->error_if_no_space = true;
		else {
			ti->error = "Unrecognised pool feature requested";
			return -EINVAL;
		}
	}
	return 0;
}

static int pool_ctr(struct dm_target *ti, struct arg_set *as)
{
	struct pool_c *pt;
	const char *mpath, *dpath;
	int r;

	if (as->argc < 4) {
		ti->error = "Invalid argument count";
		return -EINVAL;
	}
	pt = calloc(1, sizeof(*pt));
	if (!pt)
		return -ENOMEM;
	mpath = arg_shift(as);
	dpath = arg_shift(as);
	if (arg_u32(as, THIN_DATA_BLOCK_MIN_SECTORS, THIN_DATA_BLOCK_MAX_SECTORS,
		    &pt->sectors_per_block) ||
	    pt->sectors_per_block % THIN_DATA_BLOCK_MIN_SECTORS) {
		ti->error = "Invalid block size";
		r = -EINVAL;
		goto bad;
	}
	if (arg_u64(as, &pt->low_water_blocks)) {
		ti->error = "Invalid low water mark";
		r = -EINVAL;
		goto bad;
	}
	r = parse_features(ti, as, &pt->requested);
	if (r)
		goto bad;
	pt->requested.no_space_timeout = (unsigned)dm_target_param(ti, THIN_POOL_NO_SPACE_TIMEOUT);
	if (ti->len < pt->sectors_per_block) {
		ti->error = "pool target too small";
		r = -EINVAL;
		goto bad;
	}
	r = dm_get_device(ti, mpath, &pt->meta_dev);
	if (r)
		goto bad;
	r = dm_get_device(ti, dpath, &pt->data_dev);
	if (r)
		goto bad;
	if (pt->meta_dev == pt->data_dev) {
		ti->error = "metadata and data devices are the same";
		r = -EINVAL;
		goto bad;
	}
	r = find_or_create_pool(ti, pt);
	if (r)
		goto bad;
	ti->private = pt;
	return 0;
bad:
	free(pt);
	return r;
}

static void pool_dtr(struct dm_target *ti)
{
	struct pool_c *pt = ti->private;
	struct pool *p = pt->pool;

	pthread_mutex_lock(&p->lock);
	if (p->event_table == ti->table)
		p->event_table = NULL;
	pthread_mutex_unlock(&p->lock);
	pool_put(p);
	free(pt);
}

/* ---- suspend / resume: bind this table to the pool ---- */

static int pool_preresume(struct dm_target *ti)
{
	struct pool_c *pt = ti->private;
	struct pool *p = pt->pool;
	struct err e = { { 0 } };
	uint64_t nr = ti->len / p->sectors_per_block, cur;
	int r = 0;

	pthread_mutex_lock(&p->lock);
	p->pf = pt->requested;
	p->low_water_blocks = pt->low_water_blocks;
	p->low_water_logged = false;
	p->meta_low_logged = false;
	p->event_table = ti->table;
	if (p->mode == PM_FAIL) {
		pthread_mutex_unlock(&p->lock);
		return 0;
	}
	cur = thin_meta_data_blocks(p->tm);
	if (nr < cur) {
		log_err("thin-pool %s: pool target (%" PRIu64 " blocks) too small: expected %" PRIu64,
			p->data_dev->name, nr, cur);
		r = -EINVAL;
	} else if (p->pf.read_only || thin_meta_needs_check(p->tm)) {
		set_mode(p, PM_READ_ONLY);
	} else {
		if (p->mode == PM_READ_ONLY) /* read_only dropped from the table */
			p->mode = PM_WRITE;
		if (nr > cur)
			r = thin_meta_resize_data(p->tm, nr, &e);
		if (!r)
			r = thin_meta_resize_metadata(p->tm, &e);
		if (r) {
			pool_metadata_error(p, r, &e);
		} else {
			p->dirty = true;
			r = commit_locked(p);
		}
		if (!r && p->mode < PM_READ_ONLY)
			set_mode(p, PM_WRITE);
	}
	p->suspended = false;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	if (!r)
		r = start_thread(p);
	return r;
}

static void pool_postsuspend(struct dm_target *ti)
{
	struct pool_c *pt = ti->private;
	struct pool *p = pt->pool;

	stop_thread(p);
	pool_commit(p, POOL_FLUSH_ALL);
	pthread_mutex_lock(&p->lock);
	p->suspended = true;
	pthread_mutex_unlock(&p->lock);
}

/* ---- I/O: the pool device is its data device ---- */

static int pool_map(struct dm_target *ti, uint64_t off, uint64_t len, struct dm_remap *out)
{
	struct pool_c *pt = ti->private;

	out->dev = pt->data_dev;
	out->off = off;
	out->len = len;
	return 0;
}

static int pool_flush(struct dm_target *ti)
{
	struct pool_c *pt = ti->private;

	return pool_commit(pt->pool, POOL_FLUSH_ALL);
}

static int pool_iterate_devices(struct dm_target *ti, iterate_devices_fn fn, void *data)
{
	struct pool_c *pt = ti->private;

	return fn(ti, pt->data_dev, 0, to_bytes(ti->len), data);
}

/* ---- status ---- */

static void emit_features(const struct pool_features *pf, char *buf, size_t maxlen)
{
	unsigned n = !pf->zero_new_blocks + !pf->discard_enabled + !pf->discard_passdown +
		     pf->read_only + pf->error_if_no_space;

	dm_emit(buf, maxlen, " %u", n);
	if (!pf->zero_new_blocks)
		dm_emit(buf, maxlen, " skip_block_zeroing");
	if (!pf->discard_enabled)
		dm_emit(buf, maxlen, " ignore_discard");
	if (!pf->discard_passdown)
		dm_emit(buf, maxlen, " no_discard_passdown");
	if (pf->read_only)
		dm_emit(buf, maxlen, " read_only");
	if (pf->error_if_no_space)
		dm_emit(buf, maxlen, " error_if_no_space");
}

/* What status and metrics both report, in blocks.  As the kernel, the
 * metadata reserve counts as used. */
struct pool_usage {
	uint64_t meta_used, meta_total, data_used, data_total;
};

/* p->lock held. */
static void pool_usage(struct pool *p, struct pool_usage *u)
{
	uint64_t mfree = thin_meta_metadata_free(p->tm), mres = metadata_reserve(p);

	u->meta_total = thin_meta_metadata_blocks(p->tm);
	u->meta_used = u->meta_total - (mfree < mres ? 0 : mfree - mres);
	u->data_total = thin_meta_data_blocks(p->tm);
	u->data_used = u->data_total - thin_meta_data_free(p->tm);
}

/* p->lock held: the mode as status prints it. */
static const char *status_mode(const struct pool *p)
{
	return p->mode == PM_FAIL		? "fail" :
	       p->mode == PM_OUT_OF_DATA_SPACE ? "out_of_data_space" :
	       p->mode == PM_WRITE		? "rw" :
						  "ro";
}

static void pool_status(struct dm_target *ti, enum status_type type, char *buf, size_t maxlen)
{
	struct pool_c *pt = ti->private;
	struct pool *p = pt->pool;
	struct pool_usage u;
	uint64_t held, mthresh;

	if (type == STATUSTYPE_TABLE) {
		dm_emit(buf, maxlen, "%s %s %u %" PRIu64, dm_device_name(ti, pt->meta_dev),
			dm_device_name(ti, pt->data_dev), pt->sectors_per_block,
			pt->low_water_blocks);
		emit_features(&pt->requested, buf, maxlen);
		return;
	}
	/* As the kernel: a status commits first, unless suspended.  The
	 * caller holds the device lock; the pool lock nests inside it. */
	if (!p->suspended)
		pool_commit(p, POOL_FLUSH_MAPPED);
	pthread_mutex_lock(&p->lock);
	if (p->mode == PM_FAIL) {
		dm_emit(buf, maxlen, "Fail");
		pthread_mutex_unlock(&p->lock);
		return;
	}
	pool_usage(p, &u);
	held = thin_meta_held_root(p->tm);
	mthresh = p->meta_dev->size / 4096 / 4;
	if (mthresh > 1024)
		mthresh = 1024;
	dm_emit(buf, maxlen, "%" PRIu64 " %" PRIu64 "/%" PRIu64 " %" PRIu64 "/%" PRIu64 " ",
		thin_meta_transaction_id(p->tm), u.meta_used, u.meta_total, u.data_used,
		u.data_total);
	if (held)
		dm_emit(buf, maxlen, "%" PRIu64 " ", held);
	else
		dm_emit(buf, maxlen, "- ");
	dm_emit(buf, maxlen, "%s %s %s %s %" PRIu64, status_mode(p),
		!p->pf.discard_enabled	 ? "ignore_discard" :
		p->pf.discard_passdown ? "discard_passdown" :
					 "no_discard_passdown",
		p->pf.error_if_no_space ? "error_if_no_space" : "queue_if_no_space",
		thin_meta_needs_check(p->tm) ? "needs_check" : "-", mthresh);
	pthread_mutex_unlock(&p->lock);
}

/* ---- metrics ---- */

static const struct dm_metric
	m_data_used = { "thin_pool_data_used_blocks", "Data blocks of the thin pool in use.",
			DM_METRIC_GAUGE, NULL },
	m_data_total = { "thin_pool_data_blocks", "Data blocks of the thin pool.", DM_METRIC_GAUGE, NULL },
	m_data_used_bytes = { "thin_pool_data_used_bytes", "Bytes of the thin pool's data device in use.",
			      DM_METRIC_GAUGE, NULL },
	m_data_bytes = { "thin_pool_data_bytes", "Size of the thin pool's data space in bytes.",
			 DM_METRIC_GAUGE, NULL },
	m_meta_used = { "thin_pool_metadata_used_blocks",
			"Metadata blocks (4 KiB) of the thin pool in use, the reserve included.",
			DM_METRIC_GAUGE, NULL },
	m_meta_total = { "thin_pool_metadata_blocks", "Metadata blocks (4 KiB) of the thin pool.",
			 DM_METRIC_GAUGE, NULL },
	m_meta_used_bytes = { "thin_pool_metadata_used_bytes",
			      "Bytes of the thin pool's metadata in use, the reserve included.",
			      DM_METRIC_GAUGE, NULL },
	m_meta_bytes = { "thin_pool_metadata_bytes", "Size of the thin pool's metadata space in bytes.",
			 DM_METRIC_GAUGE, NULL },
	m_mode = { "thin_pool_mode", "The thin pool's mode, as dmsetup status prints it: 1 for the current one.",
		   DM_METRIC_GAUGE, "mode" },
	m_needs_check = { "thin_pool_needs_check", "1 when the metadata is flagged needs_check.",
			  DM_METRIC_GAUGE, NULL },
	m_low_water = { "thin_pool_low_water_events_total",
			"Times the pool's free data (space=data) or metadata (space=metadata) fell to its low water mark.",
			DM_METRIC_COUNTER, "space" };

static void pool_metrics(struct dm_target *ti, dm_metric_fn fn, void *opaque)
{
	static const char *const modes[] = { "rw", "out_of_data_space", "ro", "fail" };
	struct pool_c *pt = ti->private;
	struct pool *p = pt->pool;
	struct pool_usage u = { 0 };
	uint64_t data_low, meta_low;
	bool needs_check = false;
	const char *mode;

	/* No commit, unlike status: a scrape changes nothing. */
	pthread_mutex_lock(&p->lock);
	mode = status_mode(p);
	if (p->mode != PM_FAIL) {
		pool_usage(p, &u);
		needs_check = thin_meta_needs_check(p->tm);
	}
	data_low = p->data_low_events;
	meta_low = p->meta_low_events;
	pthread_mutex_unlock(&p->lock);

	for (unsigned i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		fn(opaque, &m_mode, modes[i], !strcmp(mode, modes[i]));
	fn(opaque, &m_low_water, "data", data_low);
	fn(opaque, &m_low_water, "metadata", meta_low);
	if (!strcmp(mode, "fail"))
		return; /* the metadata cannot be read */
	fn(opaque, &m_data_used, NULL, u.data_used);
	fn(opaque, &m_data_total, NULL, u.data_total);
	fn(opaque, &m_data_used_bytes, NULL, u.data_used * p->block_bytes);
	fn(opaque, &m_data_bytes, NULL, u.data_total * p->block_bytes);
	fn(opaque, &m_meta_used, NULL, u.meta_used);
	fn(opaque, &m_meta_total, NULL, u.meta_total);
	fn(opaque, &m_meta_used_bytes, NULL, u.meta_used * BM_BLOCK_SIZE);
	fn(opaque, &m_meta_bytes, NULL, u.meta_total * BM_BLOCK_SIZE);
	fn(opaque, &m_needs_check, NULL, needs_check);
}

/* ---- messages (thin_pool_msg.c) ---- */

static int pool_message(struct dm_target *ti, int argc, char **argv, char *result,
			size_t maxlen)
{
	struct pool_c *pt = ti->private;

	return pool_message_run(ti, pt->pool, argc, argv, result, maxlen);
}

static const struct target_param pool_params[] = {
	[THIN_POOL_NO_SPACE_TIMEOUT] = { "no_space_timeout", 60, 0, 86400 },
	[THIN_POOL_METADATA_CACHE] = { "metadata_cache", 0, 0, 65536ull << 20 },
	{ NULL, 0, 0, 0 },
};

const struct target_type thin_pool_target = {
	.name = "thin-pool",
	.version = { 1, 23, 0 },
	.features = DM_TARGET_SINGLETON | DM_TARGET_IMMUTABLE,
	.params = pool_params,
	.ctr = pool_ctr,
	.dtr = pool_dtr,
	.map = pool_map,
	.flush = pool_flush,
	.status = pool_status,
	.metrics = pool_metrics,
	.message = pool_message,
	.iterate_devices = pool_iterate_devices,
	.preresume = pool_preresume,
	.postsuspend = pool_postsuspend,
};
