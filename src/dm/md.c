/* Mapped devices: create, load, suspend, resume, remove, rename.
 *
 * Locks: ctx->lock guards the device list (names, uuids, minors);
 * md->lock guards one device's tables and state, taken after ctx->lock
 * when both are needed.  No lock is held while a table is constructed or
 * while suspend waits for in-flight I/O, so a control request on one
 * device never waits for another device's I/O.
 */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/args.h"
#include "common/clock.h"
#include "dm/dm_internal.h"

int dm_context_new(const struct target_type *const *types, unsigned ntypes,
		   struct dm_context **out)
{
	struct dm_context *ctx = calloc(1, sizeof(*ctx));

	if (!ctx)
		return -ENOMEM;
	pthread_mutex_init(&ctx->lock, NULL);
	pthread_mutex_init(&ctx->lower_lock, NULL);
	pthread_rwlock_init(&ctx->event_lock, NULL);
	ctx->types = types;
	ctx->ntypes = ntypes;
	if (!(ctx->params = calloc(ntypes ? ntypes : 1, sizeof(*ctx->params)))) {
		dm_context_free(ctx);
		return -ENOMEM;
	}
	for (unsigned t = 0; t < ntypes; t++) {
		unsigned n = 0;

		while (types[t]->params && types[t]->params[n].name)
			n++;
		if (n && !(ctx->params[t] = calloc(n, sizeof(**ctx->params)))) {
			dm_context_free(ctx);
			return -ENOMEM;
		}
		for (unsigned i = 0; i < n; i++)
			ctx->params[t][i] = types[t]->params[i].def;
	}
	*out = ctx;
	return 0;
}

void dm_context_set_io(struct dm_context *ctx, unsigned flags, const struct io_engine *engine)
{
	pthread_mutex_lock(&ctx->lower_lock);
	ctx->file_flags = flags;
	ctx->engine = engine;
	pthread_mutex_unlock(&ctx->lower_lock);
}

int dm_context_set_param(struct dm_context *ctx, const char *type, const char *name, uint64_t value,
			 struct err *e)
{
	for (unsigned t = 0; t < ctx->ntypes; t++) {
		const struct target_param *p = ctx->types[t]->params;

		if (strcmp(ctx->types[t]->name, type))
			continue;
		for (unsigned i = 0; p && p[i].name; i++) {
			if (strcmp(p[i].name, name))
				continue;
			if (value < p[i].min || value > p[i].max)
				return err_set(e, -ERANGE, "%s %s: %" PRIu64 " is outside %" PRIu64 "..%" PRIu64, type,
					       name, value, p[i].min, p[i].max);
			__atomic_store_n(&ctx->params[t][i], value, __ATOMIC_RELAXED);
			return 0;
		}
		return err_set(e, -ENOENT, "target %s has no parameter %s", type, name);
	}
	return err_set(e, -ENOENT, "no target type %s", type);
}

uint64_t dm_context_param(const struct dm_context *ctx, const struct target_type *tt, unsigned i)
{
	for (unsigned t = 0; t < ctx->ntypes; t++)
		if (ctx->types[t] == tt)
			return __atomic_load_n(&ctx->params[t][i], __ATOMIC_RELAXED);
	return tt->params[i].def;
}

void dm_set_event_handler(struct dm_context *ctx, dm_event_fn fn, void *opaque)
{
	pthread_rwlock_wrlock(&ctx->event_lock);
	ctx->event_fn = fn;
	ctx->event_opaque = opaque;
	pthread_rwlock_unlock(&ctx->event_lock);
}

void dm_table_event(struct dm_table *t)
{
	struct mapped_device *md = t->self;

	if (!md)
		return;
	__atomic_add_fetch(&md->event_nr, 1, __ATOMIC_ACQ_REL);
	pthread_rwlock_rdlock(&t->ctx->event_lock);
	if (t->ctx->event_fn)
		t->ctx->event_fn(t->ctx->event_opaque, md);
	pthread_rwlock_unlock(&t->ctx->event_lock);
}

const struct target_type *dm_find_target_type(struct dm_context *ctx, const char *name)
{
	for (unsigned i = 0; i < ctx->ntypes; i++)
		if (!strcmp(ctx->types[i]->name, name))
			return ctx->types[i];
	return NULL;
}

void dm_list_target_types(struct dm_context *ctx,
			  void (*fn)(void *opaque, const struct target_type *tt), void *opaque)
{
	for (unsigned i = 0; i < ctx->ntypes; i++)
		fn(opaque, ctx->types[i]);
}

/* Under ctx->lock. */
static struct mapped_device *find_locked(struct dm_context *ctx, const char *name)
{
	for (unsigned i = 0; i < ctx->nmds; i++)
		if (!strcmp(ctx->mds[i]->name, name))
			return ctx->mds[i];
	return NULL;
}

static struct mapped_device *find_export_locked(struct dm_context *ctx, const char *export_name)
{
	for (unsigned i = 0; i < ctx->nmds; i++)
		if (!strcmp(ctx->mds[i]->export_name, export_name))
			return ctx->mds[i];
	return NULL;
}

struct mapped_device *dm_lookup_export(struct dm_context *ctx, const char *export_name)
{
	struct mapped_device *md;

	pthread_mutex_lock(&ctx->lock);
	md = find_export_locked(ctx, export_name);
	if (md)
		dev_get(&md->dev);
	pthread_mutex_unlock(&ctx->lock);
	return md;
}

struct mapped_device *dm_lookup(struct dm_context *ctx, const char *name)
{
	struct mapped_device *md;

	pthread_mutex_lock(&ctx->lock);
	md = find_locked(ctx, name);
	if (md)
		dev_get(&md->dev);
	pthread_mutex_unlock(&ctx->lock);
	return md;
}

static int cmp_md(const void *a, const void *b)
{
	return strcmp((*(struct mapped_device *const *)a)->name,
		      (*(struct mapped_device *const *)b)->name);
}

int dm_get_all(struct dm_context *ctx, struct mapped_device ***out, unsigned *n)
{
	struct mapped_device **v;

	pthread_mutex_lock(&ctx->lock);
	v = calloc(ctx->nmds + 1, sizeof(*v));
	if (!v) {
		pthread_mutex_unlock(&ctx->lock);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < ctx->nmds; i++)
		v[i] = (struct mapped_device *)dev_get(&ctx->mds[i]->dev);
	*n = ctx->nmds;
	pthread_mutex_unlock(&ctx->lock);
	qsort(v, *n, sizeof(*v), cmp_md);
	*out = v;
	return 0;
}

void dm_put_all(struct mapped_device **mds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		dev_put(&mds[i]->dev);
	free(mds);
}

static int check_name(const char *name, struct err *e)
{
	size_t n = strlen(name);

	if (!n || n >= DM_NAME_LEN || strchr(name, '/') || !strcmp(name, ".") ||
	    !strcmp(name, ".."))
		return err_set(e, -EINVAL, "invalid device name '%s'", name);
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p < 0x20)
			return err_set(e, -EINVAL, "invalid device name: control character");
	return 0;
}

static bool uuid_taken(struct dm_context *ctx, const char *uuid)
{
	for (unsigned i = 0; i < ctx->nmds; i++)
		if (uuid[0] && !strcmp(ctx->mds[i]->uuid, uuid))
			return true;
	return false;
}

static unsigned free_minor(struct dm_context *ctx)
{
	for (unsigned m = 0;; m++) {
		unsigned i;
		for (i = 0; i < ctx->nmds && ctx->mds[i]->minor != m; i++)
			;
		if (i == ctx->nmds)
			return m;
	}
}

static int check_export_name(const char *ex, struct err *e)
{
	size_t n = strlen(ex);

	if (!n || n >= DM_EXPORT_LEN)
		return err_set(e, -EINVAL, "invalid export name '%s'", ex);
	for (const char *p = ex; *p; p++)
		if ((unsigned char)*p < 0x20)
			return err_set(e, -EINVAL, "invalid export name: control character");
	return 0;
}

static int add_device(struct dm_context *ctx, const struct dm_create_args *a, struct err *e)
{
	const char *name = a->name, *uuid = a->uuid;
	const char *ex = a->export_name ? a->export_name : a->name;
	unsigned flags = a->flags;
	struct mapped_device *md;
	int r = 0;

	if ((r = check_name(name, e)) || (r = check_export_name(ex, e)))
		return r;
	if (uuid && strlen(uuid) >= DM_UUID_LEN)
		return err_set(e, -EINVAL, "uuid too long (at most %d characters)", DM_UUID_LEN - 1);
	md = calloc(1, sizeof(*md));
	if (!md)
		return -ENOMEM;
	dev_init(&md->dev, &md_dev_ops, name, 0);
	md->ctx = ctx;
	strcpy(md->name, name);
	if (uuid)
		strcpy(md->uuid, uuid);
	strcpy(md->export_name, ex);
	md->read_only = flags & DM_READONLY;
	md->dev.read_only = md->read_only;
	pthread_mutex_init(&md->lock, NULL);
	pthread_cond_init(&md->cond, NULL);

	pthread_mutex_lock(&ctx->lock);
	if (find_locked(ctx, name)) {
		r = err_set(e, -EEXIST, "device %s already exists", name);
	} else if (find_export_locked(ctx, ex)) {
		r = err_set(e, -EEXIST, "the NBD export %s already exists", ex);
	} else if (uuid && uuid_taken(ctx, uuid)) {
		r = err_set(e, -EEXIST, "a device with uuid %s already exists", uuid);
	} else if (ctx->nmds == ctx->cap) {
		unsigned cap = ctx->cap ? ctx->cap * 2 : 16;
		struct mapped_device **v = realloc(ctx->mds, cap * sizeof(*v));
		if (!v)
			r = -ENOMEM;
		else {
			ctx->mds = v;
			ctx->cap = cap;
		}
	}
	if (!r) {
		md->minor = free_minor(ctx);
		ctx->mds[ctx->nmds++] = md;
	}
	pthread_mutex_unlock(&ctx->lock);
	if (r)
		dev_put(&md->dev);
	return r;
}

int dm_create_ex(struct dm_context *ctx, const struct dm_create_args *a, struct err *e)
{
	int r = add_device(ctx, a, e);

	if (r || !a->table)
		return r;
	r = dm_load(ctx, a->name, a->table, a->cwd, -1, e);
	if (!r)
		r = dm_resume(ctx, a->name, e);
	if (r)
		dm_remove(ctx, a->name, DM_FORCE, NULL);
	return r;
}

int dm_create(struct dm_context *ctx, const char *name, const char *uuid, const char *table,
	      const char *cwd, unsigned flags, struct err *e)
{
	struct dm_create_args a = { name, uuid, table, cwd, NULL, flags };

	return dm_create_ex(ctx, &a, e);
}

#define WITH_MD(ctx, name, e)                                                        \
	struct mapped_device *md = dm_lookup(ctx, name);                             \
	if (!md)                                                                     \
		return err_set(e, -ENXIO, "device %s not found", name)

int dm_load(struct dm_context *ctx, const char *name, const char *table, const char *cwd, int ro,
	    struct err *e)
{
	struct dm_table *t, *old;
	int r;
	WITH_MD(ctx, name, e);

	r = dm_table_create(ctx, md, table, cwd, &t, e);
	if (r) {
		dev_put(&md->dev);
		return err_set(e, r, "%s", name);
	}
	t->mode_ro = ro;
	/* A file the table writes could only be opened read-only (no write
	 * permission, a read-only file system): refused, unless the device is
	 * read-only anyway; never a silent read-only device.  (An NBD export
	 * the server offers read-only, or a read-only mapped device below,
	 * still makes the device read-only, as it always did.) */
	char lower[256] = "";

	for (unsigned i = 0; i < t->ndevs; i++)
		if (t->devs[i].dev->read_only && !t->devs[i].read_only_use && !t->devs[i].md &&
		    t->devs[i].name[0] == '/')
			snprintf(lower, sizeof(lower), "%s", t->devs[i].name);
	if (lower[0] && !(ro == 1 || (ro < 0 && md->read_only))) {
		dm_table_destroy(t); /* the names go with it: copied above */
		dev_put(&md->dev);
		return err_set(e, -EACCES, "%s: %s cannot be opened for writing (permission or a read-only file system); "
			       "map it read-only with --readonly", name, lower);
	}
	pthread_mutex_lock(&md->lock);
	if (md->live && dm_table_immutable_type(md->live) != dm_table_immutable_type(t)) {
		const struct target_type *im = dm_table_immutable_type(md->live);

		im = im ? im : dm_table_immutable_type(t);
		pthread_mutex_unlock(&md->lock);
		dm_table_destroy(t);
		dev_put(&md->dev);
		return err_set(e, -EINVAL, "%s: a %s table cannot be replaced by another type, nor replace one",
			       name, im->name);
	}
	old = md->inactive;
	md->inactive = t;
	pthread_mutex_unlock(&md->lock);
	dm_table_destroy(old);
	dev_put(&md->dev);
	return 0;
}

int dm_clear(struct dm_context *ctx, const char *name, struct err *e)
{
	struct dm_table *old;
	WITH_MD(ctx, name, e);

	pthread_mutex_lock(&md->lock);
	old = md->inactive;
	md->inactive = NULL;
	pthread_mutex_unlock(&md->lock);
	dm_table_destroy(old);
	dev_put(&md->dev);
	return 0;
}

static void call_hooks(struct dm_table *t, size_t hook_off)
{
	for (unsigned i = 0; t && i < t->ntargets; i++) {
		void (*hook)(struct dm_target *);
		memcpy(&hook, (const char *)t->targets[i].type + hook_off, sizeof(hook));
		if (hook)
			hook(&t->targets[i]);
	}
}

/* Stop new I/O and wait for in-flight I/O, then flush (a failed flush is
 * logged: the device is suspended either way, as in the kernel, which
 * does not flush here at all).  Returns with md->lock held and the device
 * suspended. */
static void suspend_locked(struct mapped_device *md, unsigned flags)
{
	struct dm_table *live;
	int r;

	if (md->suspended)
		return;
	md->suspended = true;
	live = md->live;
	pthread_mutex_unlock(&md->lock);
	call_hooks(live, offsetof(struct target_type, presuspend));
	pthread_mutex_lock(&md->lock);
	while (md->inflight)
		pthread_cond_wait(&md->cond, &md->lock);
	pthread_mutex_unlock(&md->lock);
	if (live && !(flags & DM_NOFLUSH) && (r = dm_table_flush(live)))
		log_warn("%s: flush at suspend failed: %s", md->name, strerror(-r));
	call_hooks(live, offsetof(struct target_type, postsuspend));
	pthread_mutex_lock(&md->lock);
}

int dm_suspend(struct dm_context *ctx, const char *name, unsigned flags, struct err *e)
{
	WITH_MD(ctx, name, e);

	pthread_mutex_lock(&md->lock);
	suspend_locked(md, flags);
	pthread_mutex_unlock(&md->lock);
	dev_put(&md->dev);
	return 0;
}

int dm_resume(struct dm_context *ctx, const char *name, struct err *e)
{
	struct dm_table *old = NULL, *t;
	int r = 0;
	WITH_MD(ctx, name, e);

	pthread_mutex_lock(&md->lock);
	t = md->inactive;
	if (t) {
		/* Swapping tables needs a quiet device, as in the kernel. */
		suspend_locked(md, 0);
		pthread_mutex_unlock(&md->lock);
		const char *why = NULL;

		for (unsigned i = 0; i < t->ntargets && !r; i++)
			if (t->targets[i].type->preresume) {
				t->targets[i].error = NULL;
				r = t->targets[i].type->preresume(&t->targets[i]);
				why = r ? t->targets[i].error : NULL;
			}
		pthread_mutex_lock(&md->lock);
		if (r) {
			pthread_mutex_unlock(&md->lock);
			dev_put(&md->dev);
			return err_set(e, r, "%s: the new table refused to resume%s%s%s; the device stays suspended",
				       name, why ? " (" : "", why ? why : "", why ? ")" : "");
		}
		old = md->live;
		md->live = t;
		md->inactive = NULL;
		md->dev.size = to_bytes(t->sectors);
		if (t->mode_ro >= 0)
			md->read_only = t->mode_ro;
		md->dev.read_only = md->read_only || t->read_only;
		md->dev.can_discard = true;
	}
	t = md->live;
	/* Targets resume before I/O is let through, as in the kernel. */
	pthread_mutex_unlock(&md->lock);
	if (md->suspended)
		call_hooks(t, offsetof(struct target_type, resume));
	pthread_mutex_lock(&md->lock);
	md->suspended = false;
	pthread_cond_broadcast(&md->cond);
	pthread_mutex_unlock(&md->lock);
	dm_table_destroy(old);
	dev_put(&md->dev);
	return 0;
}

int dm_remove(struct dm_context *ctx, const char *name, unsigned flags, struct err *e)
{
	struct mapped_device *md;
	struct dm_table *live, *inactive;
	bool was_suspended;
	unsigned i;

	pthread_mutex_lock(&ctx->lock);
	md = find_locked(ctx, name);
	if (!md) {
		pthread_mutex_unlock(&ctx->lock);
		return err_set(e, -ENXIO, "device %s not found", name);
	}
	pthread_mutex_lock(&md->lock);
	if (md->holders) {
		pthread_mutex_unlock(&md->lock);
		pthread_mutex_unlock(&ctx->lock);
		return err_set(e, -EBUSY, "device %s is in use by the table of another device",
			       name);
	}
	if (md->open_count && !(flags & DM_FORCE)) {
		unsigned n = md->open_count;
		pthread_mutex_unlock(&md->lock);
		pthread_mutex_unlock(&ctx->lock);
		return err_set(e, -EBUSY, "device %s is open (%u clients); use --force", name, n);
	}
	for (i = 0; ctx->mds[i] != md; i++)
		;
	ctx->mds[i] = ctx->mds[--ctx->nmds];
	md->dead = true;
	was_suspended = md->suspended;
	live = md->live;
	pthread_cond_broadcast(&md->cond);
	pthread_mutex_unlock(&md->lock);
	pthread_mutex_unlock(&ctx->lock);

	/* As a suspend: targets release I/O they hold (delay), in-flight I/O
	 * ends, the table is flushed. */
	if (!was_suspended)
		call_hooks(live, offsetof(struct target_type, presuspend));
	pthread_mutex_lock(&md->lock);
	while (md->inflight)
		pthread_cond_wait(&md->cond, &md->lock);
	inactive = md->inactive;
	md->live = md->inactive = NULL;
	md->dev.size = 0;
	pthread_mutex_unlock(&md->lock);
	if (live && !was_suspended) {
		dm_table_flush(live);
		call_hooks(live, offsetof(struct target_type, postsuspend));
	}
	dm_table_destroy(live);
	dm_table_destroy(inactive);
	dev_put(&md->dev);
	return 0;
}

/* ctx->lock held: the tables that use @md print it by its new name (the
 * kernel prints major:minor, which a rename keeps), so that a table read
 * back and loaded again still names this device, not one made since
 * under its old name.  Each table is changed under its device's lock,
 * which formatting holds. */
static int rename_in_tables(struct dm_context *ctx, struct mapped_device *md, struct err *e)
{
	char name[DM_NAME_LEN + 16];
	int r = 0;

	snprintf(name, sizeof(name), "/dev/mapper/%s", md->name);
	for (unsigned i = 0; i < ctx->nmds; i++) {
		struct mapped_device *up = ctx->mds[i];

		pthread_mutex_lock(&up->lock);
		for (int k = 0; k < 2; k++) {
			struct dm_table *t = k ? up->inactive : up->live;

			for (unsigned d = 0; t && d < t->ndevs; d++) {
				char *n;

				if (t->devs[d].md != md)
					continue;
				if (!(n = strdup(name))) {
					r = err_set(e, -ENOMEM, "out of memory");
					continue;
				}
				free(t->devs[d].name);
				t->devs[d].name = n;
			}
		}
		pthread_mutex_unlock(&up->lock);
	}
	return r;
}

int dm_rename(struct dm_context *ctx, const char *name, const char *new_name, struct err *e)
{
	return dm_rename_export(ctx, name, new_name, NULL, e);
}

int dm_rename_export(struct dm_context *ctx, const char *name, const char *new_name,
		     const char *new_export, struct err *e)
{
	struct mapped_device *md, *other;
	int r;

	if (!new_name && !new_export)
		return err_set(e, -EINVAL, "nothing to rename");
	if ((new_name && (r = check_name(new_name, e))) ||
	    (new_export && (r = check_export_name(new_export, e))))
		return r;
	pthread_mutex_lock(&ctx->lock);
	md = find_locked(ctx, name);
	if (!md)
		r = err_set(e, -ENXIO, "device %s not found", name);
	else if (new_name && (other = find_locked(ctx, new_name)) && other != md)
		r = err_set(e, -EEXIST, "device %s already exists", new_name);
	else if (new_export && (other = find_export_locked(ctx, new_export)) && other != md)
		r = err_set(e, -EEXIST, "export %s already exists", new_export);
	else {
		/* Both names change under ctx->lock, or neither: a lookup
		 * never sees a half-renamed device. */
		pthread_mutex_lock(&md->lock);
		if (new_export)
			strcpy(md->export_name, new_export);
		else if (!strcmp(md->export_name, md->name) && !find_export_locked(ctx, new_name))
			strcpy(md->export_name, new_name); /* an export named after the device follows it */
		if (new_name)
			strcpy(md->name, new_name);
		pthread_mutex_unlock(&md->lock);
		if (new_name)
			r = rename_in_tables(ctx, md, e);
	}
	pthread_mutex_unlock(&ctx->lock);
	return r;
}

int dm_set_uuid(struct dm_context *ctx, const char *name, const char *uuid, struct err *e)
{
	struct mapped_device *md;
	int r = 0;

	if (!uuid[0] || strlen(uuid) >= DM_UUID_LEN)
		return err_set(e, -EINVAL, "invalid uuid");
	pthread_mutex_lock(&ctx->lock);
	md = find_locked(ctx, name);
	if (!md)
		r = err_set(e, -ENXIO, "device %s not found", name);
	else if (md->uuid[0])
		r = err_set(e, -EBUSY, "device %s already has a uuid", name);
	else if (uuid_taken(ctx, uuid))
		r = err_set(e, -EEXIST, "a device with uuid %s already exists", uuid);
	else {
		pthread_mutex_lock(&md->lock);
		strcpy(md->uuid, uuid);
		pthread_mutex_unlock(&md->lock);
	}
	pthread_mutex_unlock(&ctx->lock);
	return r;
}

int dm_message(struct dm_context *ctx, const char *name, uint64_t sector, const char *msg,
	       char *result, size_t maxlen, struct err *e)
{
	char *copy, *argv[DM_MAX_ARGS];
	struct dm_target *ti;
	struct dm_table *t;
	int argc, r;
	WITH_MD(ctx, name, e);

	result[0] = '\0';
	copy = strdup(msg);
	if (!copy) {
		dev_put(&md->dev);
		return -ENOMEM;
	}
	argc = split_words(copy, argv, DM_MAX_ARGS);
	/* Messages are allowed while suspended: count in flight without the gate. */
	pthread_mutex_lock(&md->lock);
	t = md->live;
	if (t)
		md->inflight++;
	pthread_mutex_unlock(&md->lock);
	if (argc <= 0) {
		r = err_set(e, -EINVAL, "%s: empty message", name);
	} else if (!t) {
		r = err_set(e, -ENXIO, "%s: no live table", name);
	} else if (sector >= t->sectors) {
		r = err_set(e, -EINVAL, "%s: sector %llu is beyond the device", name,
			    (unsigned long long)sector);
	} else {
		ti = &t->targets[dm_table_find(t, sector)];
		ti->error = NULL;
		if (!ti->type->message)
			r = err_set(e, -EINVAL, "%s: target %s takes no messages", name,
				    ti->type->name);
		else if ((r = ti->type->message(ti, argc, argv, result, maxlen)))
			r = err_set(e, r, "%s: %s: %s", name, ti->type->name,
				    ti->error ? ti->error : "message refused");
	}
	if (t)
		md_exit(md);
	free(copy);
	dev_put(&md->dev);
	return r;
}

int md_open(struct mapped_device *md)
{
	int r = 0;

	pthread_mutex_lock(&md->lock);
	if (md->dead || !md->live)
		r = -ENXIO;
	else
		md->open_count++;
	pthread_mutex_unlock(&md->lock);
	return r;
}

void md_close(struct mapped_device *md)
{
	pthread_mutex_lock(&md->lock);
	if (!--md->open_count)
		pthread_cond_broadcast(&md->cond); /* md_wait_closed */
	pthread_mutex_unlock(&md->lock);
}

bool md_wait_closed(struct dm_context *ctx, const char *name, unsigned ms)
{
	struct mapped_device *md = dm_lookup(ctx, name);
	uint64_t deadline = clock_ms() + ms, now;
	bool closed;

	if (!md)
		return true;
	pthread_mutex_lock(&md->lock);
	while (md->open_count && !md->dead && (now = clock_ms()) < deadline)
		cond_wait_ms(&md->cond, &md->lock, (unsigned)(deadline - now));
	closed = !md->open_count;
	pthread_mutex_unlock(&md->lock);
	dev_put(&md->dev);
	return closed;
}

void md_get_info(struct mapped_device *md, struct md_info *info)
{
	pthread_mutex_lock(&md->lock);
	info->exists = !md->dead;
	info->suspended = md->suspended;
	info->live_table = md->live;
	info->inactive_table = md->inactive;
	info->read_only = md->dev.read_only;
	info->open_count = md->open_count;
	info->holders = md->holders;
	info->event_nr = __atomic_load_n(&md->event_nr, __ATOMIC_ACQUIRE);
	info->minor = md->minor;
	info->ntargets = md->live ? md->live->ntargets : 0;
	info->sectors = md->live ? md->live->sectors : 0;
	pthread_mutex_unlock(&md->lock);
}

/* Run @fn on the live or inactive table, kept alive for the call. */
static int with_table(struct mapped_device *md, bool inactive,
		      int (*fn)(struct dm_table *t, void *arg), void *arg)
{
	struct dm_table *t;
	int r;

	/* The control path holds md->lock across formatting: tables are only
	 * swapped or freed under it. */
	pthread_mutex_lock(&md->lock);
	t = inactive ? md->inactive : md->live;
	r = t ? fn(t, arg) : 1;
	pthread_mutex_unlock(&md->lock);
	return r;
}

struct fmt_arg {
	enum status_type type;
	char **out;
};

static int fmt_fn(struct dm_table *t, void *arg)
{
	struct fmt_arg *a = arg;
	return dm_table_format(t, a->type, a->out);
}

int md_format(struct mapped_device *md, enum status_type type, bool inactive, char **out)
{
	struct fmt_arg a = { type, out };
	int r = with_table(md, inactive, fmt_fn, &a);

	if (r == 1) { /* no such table: empty text */
		*out = strdup("");
		r = *out ? 0 : -ENOMEM;
	}
	return r;
}

static int deps_fn(struct dm_table *t, void *arg)
{
	char **out = arg;
	size_t len = 1;
	char *s;

	for (unsigned i = 0; i < t->ndevs; i++)
		len += strlen(t->devs[i].name) + 1;
	s = malloc(len);
	if (!s)
		return -ENOMEM;
	s[0] = '\0';
	for (unsigned i = 0; i < t->ndevs; i++) {
		strcat(s, t->devs[i].name);
		strcat(s, "\n");
	}
	*out = s;
	return 0;
}

int md_deps(struct mapped_device *md, char **out)
{
	int r = with_table(md, false, deps_fn, out);

	if (r == 1) {
		*out = strdup("");
		r = *out ? 0 : -ENOMEM;
	}
	return r;
}

int dm_with_target(struct dev *dev, const struct target_type *tt,
		   int (*fn)(struct dm_target *ti, void *arg), void *arg)
{
	struct mapped_device *md = (struct mapped_device *)dev;
	int r = -EINVAL;

	if (dev->ops != &md_dev_ops)
		return -EINVAL;
	pthread_mutex_lock(&md->lock);
	if (!md->dead && md->live && md->live->ntargets == 1 && md->live->targets[0].type == tt)
		r = fn(&md->live->targets[0], arg);
	pthread_mutex_unlock(&md->lock);
	return r;
}

int dm_diff(struct dev *a, struct dev *b, uint64_t off, uint64_t len, dev_extent_fn fn,
	    void *opaque)
{
	struct mapped_device *ma = (struct mapped_device *)a, *mb = (struct mapped_device *)b;
	struct dm_table *ta, *tb;
	int r = -EOPNOTSUPP;

	if (a->ops != &md_dev_ops || b->ops != &md_dev_ops)
		return -EOPNOTSUPP;
	ta = md_enter(ma);
	if (!ta)
		return -ENXIO;
	tb = md_enter(mb);
	if (!tb) {
		md_exit(ma);
		return -ENXIO;
	}
	if (ta->ntargets == 1 && tb->ntargets == 1 &&
	    ta->targets[0].type == tb->targets[0].type && ta->targets[0].type->diff)
		r = ta->targets[0].type->diff(&ta->targets[0], &tb->targets[0], off, len, fn, opaque);
	md_exit(mb);
	md_exit(ma);
	return r;
}

bool md_uses(struct mapped_device *md, struct mapped_device *target)
{
	struct dm_table *tabs[2];
	bool found = false;

	/* Lower devices never point up, so this recursion ends (the check
	 * is what keeps it so). */
	pthread_mutex_lock(&md->lock);
	tabs[0] = md->live;
	tabs[1] = md->inactive;
	for (unsigned k = 0; k < 2 && !found; k++)
		for (unsigned i = 0; tabs[k] && i < tabs[k]->ndevs && !found; i++) {
			struct mapped_device *low = tabs[k]->devs[i].md;
			found = low && (low == target || md_uses(low, target));
		}
	pthread_mutex_unlock(&md->lock);
	return found;
}

int dm_flush_all(struct dm_context *ctx)
{
	struct mapped_device **mds;
	unsigned n;
	int r, ret = 0;

	r = dm_get_all(ctx, &mds, &n);
	if (r)
		return r;
	for (unsigned i = 0; i < n; i++) {
		struct dm_table *t;

		/* Past the suspend gate: a suspended device is flushed too,
		 * and this must not wait for its resume. */
		pthread_mutex_lock(&mds[i]->lock);
		t = mds[i]->dead ? NULL : mds[i]->live;
		if (t)
			mds[i]->inflight++;
		pthread_mutex_unlock(&mds[i]->lock);
		if (!t)
			continue;
		r = dm_table_flush(t);
		if (r && !ret)
			ret = r;
		md_exit(mds[i]);
	}
	dm_put_all(mds, n);
	return ret;
}

void dm_presuspend_all(struct dm_context *ctx)
{
	struct mapped_device **mds;
	unsigned n;

	if (dm_get_all(ctx, &mds, &n))
		return;
	for (unsigned i = 0; i < n; i++) {
		struct dm_table *t;

		pthread_mutex_lock(&mds[i]->lock);
		t = mds[i]->dead ? NULL : mds[i]->live;
		if (t)
			mds[i]->inflight++; /* keeps t alive, past the gate */
		pthread_mutex_unlock(&mds[i]->lock);
		if (!t)
			continue;
		call_hooks(t, offsetof(struct target_type, presuspend));
		md_exit(mds[i]);
	}
	dm_put_all(mds, n);
}

void dm_context_free(struct dm_context *ctx)
{
	if (!ctx)
		return;
	/* Top of the stack first: a held device is removed once its holders
	 * are gone.  Suspended devices are resumed so their I/O can end. */
	while (ctx->nmds) {
		struct mapped_device **mds;
		unsigned n, removed = 0;

		if (dm_get_all(ctx, &mds, &n))
			break;
		for (unsigned i = 0; i < n; i++) {
			if (mds[i]->suspended)
				dm_resume(ctx, mds[i]->name, NULL);
			if (!dm_remove(ctx, mds[i]->name, DM_FORCE, NULL))
				removed++;
		}
		dm_put_all(mds, n);
		if (!removed)
			break;
	}
	free(ctx->mds);
	free(ctx->lowers);
	for (unsigned t = 0; ctx->params && t < ctx->ntypes; t++)
		free(ctx->params[t]);
	free(ctx->params);
	pthread_mutex_destroy(&ctx->lock);
	pthread_mutex_destroy(&ctx->lower_lock);
	pthread_rwlock_destroy(&ctx->event_lock);
	free(ctx);
}
