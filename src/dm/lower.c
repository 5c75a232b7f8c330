/* Lower devices named in tables: files (shared, canonical path), NBD
 * exports (shared, the URI as written; one whose connection is lost is
 * left to the tables holding it, and the next table that names the URI
 * connects anew) and other mapped devices (/dev/mapper/NAME, counted as
 * holders). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "dm/dm_internal.h"
#include "io/engine.h"

#define MAPPER_PREFIX "/dev/mapper/"

/* Open @key, a canonical path or an NBD URI (which says in @e why not);
 * files as the context says (dm_context_set_io). */
static int lower_open(struct dm_context *ctx, const char *key, struct dev **out, struct err *e)
{
	if (dev_is_nbd_uri(key))
		return dev_open_nbd(key, 0, out, e);
	return dev_open_file_with(key, ctx->file_flags, ctx->engine ? ctx->engine : &io_engine_sync, out);
}

static int lower_get(struct dm_context *ctx, const char *path, struct dev **out, struct err *e)
{
	struct dm_lower *l;
	int r = 0;

	pthread_mutex_lock(&ctx->lower_lock);
	for (unsigned i = 0; i < ctx->nlowers; i++) {
		if (!strcmp(ctx->lowers[i].path, path)) {
			/* A new table sees the file's size now: a reload after
			 * the file grew (a pool's data file) uses the new size. */
			r = dev_refresh(ctx->lowers[i].dev);
			if (r == -ENOTCONN && dev_is_nbd_uri(path)) {
				/* The export's connection is lost: the tables that
				 * hold it keep it (and their errors); this one gets a
				 * new connection (a raid leg coming back). */
				ctx->lowers[i].path[0] = 0;
				r = 0;
				break;
			}
			if (r)
				goto out;
			ctx->lowers[i].users++;
			*out = ctx->lowers[i].dev;
			goto out;
		}
	}
	if (ctx->nlowers == ctx->lcap) {
		unsigned cap = ctx->lcap ? ctx->lcap * 2 : 8;
		l = realloc(ctx->lowers, cap * sizeof(*l));
		if (!l) {
			r = -ENOMEM;
			goto out;
		}
		ctx->lowers = l;
		ctx->lcap = cap;
	}
	l = &ctx->lowers[ctx->nlowers];
	l->path = strdup(path);
	if (!l->path) {
		r = -ENOMEM;
		goto out;
	}
	r = lower_open(ctx, path, &l->dev, e);
	if (r) {
		free(l->path);
		goto out;
	}
	l->users = 1;
	ctx->nlowers++;
	*out = l->dev;
out:
	pthread_mutex_unlock(&ctx->lower_lock);
	return r;
}

static void lower_put(struct dm_context *ctx, struct dev *dev)
{
	pthread_mutex_lock(&ctx->lower_lock);
	for (unsigned i = 0; i < ctx->nlowers; i++) {
		struct dm_lower *l = &ctx->lowers[i];
		if (l->dev != dev)
			continue;
		if (--l->users == 0) {
			dev_put(l->dev);
			free(l->path);
			*l = ctx->lowers[--ctx->nlowers];
		}
		break;
	}
	pthread_mutex_unlock(&ctx->lower_lock);
}

static int add_dev(struct dm_table *t, struct dev *dev, const char *name,
		   struct mapped_device *md)
{
	struct dm_table_dev *d = realloc(t->devs, (t->ndevs + 1) * sizeof(*d));

	if (!d)
		return -ENOMEM;
	t->devs = d;
	d[t->ndevs].dev = dev;
	d[t->ndevs].md = md;
	d[t->ndevs].read_only_use = false;
	d[t->ndevs].name = strdup(name);
	if (!d[t->ndevs].name)
		return -ENOMEM;
	t->ndevs++;
	return 0;
}

static int get_mapped(struct dm_target *ti, const char *name, struct dev **out)
{
	struct dm_table *t = ti->table;
	struct mapped_device *md = dm_lookup(t->ctx, name);
	char path[DM_NAME_LEN + sizeof(MAPPER_PREFIX)];
	int r;

	if (!md) {
		snprintf(t->error_buf, sizeof(t->error_buf), MAPPER_PREFIX "%s: no such mapped device",
			 name);
		ti->error = t->error_buf;
		return -ENODEV;
	}
	/* t is not attached yet: look for a cycle through @md's tables.  The
	 * caller tells us our own device through t->self. */
	if (t->self && (md == t->self || md_uses(md, t->self))) {
		dev_put(&md->dev);
		ti->error = "Device would depend on itself";
		return -ELOOP;
	}
	pthread_mutex_lock(&md->lock);
	md->holders++;
	pthread_mutex_unlock(&md->lock);
	snprintf(path, sizeof(path), MAPPER_PREFIX "%s", md->name);
	r = add_dev(t, &md->dev, path, md);
	if (r) {
		pthread_mutex_lock(&md->lock);
		md->holders--;
		pthread_mutex_unlock(&md->lock);
		dev_put(&md->dev);
		return r;
	}
	*out = &md->dev;
	return 0;
}

/* A file or an NBD export, shared with other tables under @key. */
static int get_lower(struct dm_target *ti, const char *key, struct dev **out)
{
	struct dm_table *t = ti->table;
	struct err e = { .msg = "" };
	struct dev *dev;
	int r;

	for (unsigned i = 0; i < t->ndevs; i++) {
		if (!t->devs[i].md && !strcmp(t->devs[i].name, key)) {
			*out = t->devs[i].dev;
			return 0;
		}
	}
	r = lower_get(t->ctx, key, &dev, &e);
	if (r) {
		snprintf(t->error_buf, sizeof(t->error_buf), "%.200s: %.300s", key,
			 e.msg[0] ? e.msg :
			 r == -ENOTBLK ? "not a file or block device" : strerror(-r));
		ti->error = t->error_buf;
		return r;
	}
	r = add_dev(t, dev, key, NULL);
	if (r) {
		lower_put(t->ctx, dev);
		return r;
	}
	*out = dev;
	return 0;
}

static int get_device(struct dm_target *ti, const char *path, struct dev **out)
{
	struct dm_table *t = ti->table;
	char joined[PATH_MAX], real[PATH_MAX];

	if (!strncmp(path, MAPPER_PREFIX, strlen(MAPPER_PREFIX)))
		return get_mapped(ti, path + strlen(MAPPER_PREFIX), out);
	/* An NBD URI is its own name: no cwd, no realpath. */
	if (dev_is_nbd_uri(path))
		return get_lower(ti, path, out);
	if (path[0] != '/' && t->cwd) {
		if (snprintf(joined, sizeof(joined), "%s/%s", t->cwd, path) >= (int)sizeof(joined)) {
			ti->error = "Device path too long";
			return -ENAMETOOLONG;
		}
		path = joined;
	}
	if (!realpath(path, real)) {
		snprintf(t->error_buf, sizeof(t->error_buf), "%.200s: %s", path,
			 errno == ENOENT ? "no such file or device" : strerror(errno));
		ti->error = t->error_buf;
		return -ENODEV;
	}
	return get_lower(ti, real, out);
}

int dm_get_device(struct dm_target *ti, const char *path, struct dev **out)
{
	struct dm_table *t = ti->table;
	int r = get_device(ti, path, out);

	for (unsigned i = 0; !r && i < t->ndevs; i++)
		if (t->devs[i].dev == *out)
			t->devs[i].read_only_use = false;
	return r;
}

int dm_get_device_ro(struct dm_target *ti, const char *path, struct dev **out)
{
	struct dm_table *t = ti->table;
	unsigned n = t->ndevs;
	int r = get_device(ti, path, out);

	/* Only a new entry: a device this table also writes stays written. */
	if (!r && t->ndevs > n)
		t->devs[t->ndevs - 1].read_only_use = true;
	return r;
}

const char *dm_device_name(struct dm_target *ti, struct dev *dev)
{
	struct dm_table *t = ti->table;

	for (unsigned i = 0; i < t->ndevs; i++)
		if (t->devs[i].dev == dev)
			return t->devs[i].name;
	return dev->name ? dev->name : "?";
}

static int claim_one(struct dm_target *ti, struct dev *dev, uint64_t start, uint64_t len, void *data)
{
	struct dm_table *t = data;
	int r;

	(void)ti;
	for (unsigned i = 0; i < t->ndevs; i++) {
		if (t->devs[i].dev != dev)
			continue;
		if (t->claim_fds[i] == -1 && (r = dev_claim_open(dev)) >= 0)
			t->claim_fds[i] = r;
		if (t->claim_fds[i] >= 0 && (r = dev_claim_range(t->claim_fds[i], start, len ? len : dev->size)))
			log_debug("claiming %s: %s", dev->name, strerror(-r));
		break;
	}
	return 0;
}

void dm_table_claim(struct dm_table *t)
{
	if (!t->ndevs || !(t->claim_fds = malloc(t->ndevs * sizeof(*t->claim_fds))))
		return;
	for (unsigned i = 0; i < t->ndevs; i++)
		t->claim_fds[i] = -1;
	for (unsigned i = 0; i < t->ntargets; i++) {
		struct dm_target *ti = &t->targets[i];

		if (ti->type->iterate_devices)
			ti->type->iterate_devices(ti, claim_one, t);
		else
			for (unsigned k = 0; k < t->ndevs; k++)
				claim_one(ti, t->devs[k].dev, 0, 0, t);
	}
}

void dm_table_put_devs(struct dm_table *t)
{
	for (unsigned i = 0; t->claim_fds && i < t->ndevs; i++)
		if (t->claim_fds[i] >= 0)
			close(t->claim_fds[i]);
	free(t->claim_fds);
	t->claim_fds = NULL;
	for (unsigned i = 0; i < t->ndevs; i++) {
		struct dm_table_dev *d = &t->devs[i];

		if (d->md) {
			pthread_mutex_lock(&d->md->lock);
			d->md->holders--;
			pthread_mutex_unlock(&d->md->lock);
			dev_put(d->dev);
		} else if (d->dev) {
			lower_put(t->ctx, d->dev);
		}
		free(d->name);
	}
	free(t->devs);
	t->devs = NULL;
	t->ndevs = 0;
}
