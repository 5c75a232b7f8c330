/* The NBD server's view of the mapped devices.  A client holds its device
 * open (md_open), so `remove` refuses it unless forced, as the kernel
 * refuses to remove a mounted dm device.
 *
 * Meta context "ulvm:delta:OTHER" on export X (changed-block tracking):
 * state 1 where X's blocks differ from those of export OTHER, 0 where
 * they are the same, from dm_diff (for thin volumes of one pool, the
 * pool's mappings; no data is read).  Offered for every OTHER that
 * dm_diff can compare with X. */
#include "daemon/exports.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm/md.h"
#include "dm/target.h"

static struct dev *export_open(void *opaque, const char *name)
{
	struct dm_context *dm = opaque;
	struct mapped_device *md = dm_lookup_export(dm, name);
	struct md_info info;

	if (!md)
		return NULL;
	md_get_info(md, &info);
	if (!info.live_table || md_open(md)) {
		dev_put(&md->dev);
		return NULL;
	}
	log_debug("nbd: %s opened", name);
	return &md->dev;
}

static void export_close(void *opaque, struct dev *dev)
{
	struct mapped_device *md = (struct mapped_device *)dev;

	(void)opaque;
	log_debug("nbd: %s closed", md->name);
	md_close(md);
	dev_put(dev);
}

static void export_list(void *opaque, void (*fn)(void *arg, const char *name, const char *desc),
			void *arg)
{
	struct dm_context *dm = opaque;
	struct mapped_device **mds;
	unsigned n;

	if (dm_get_all(dm, &mds, &n))
		return;
	for (unsigned i = 0; i < n; i++) {
		struct md_info info;

		md_get_info(mds[i], &info);
		if (info.live_table)
			fn(arg, mds[i]->export_name, mds[i]->name);
	}
	dm_put_all(mds, n);
}

#define DELTA_PREFIX "ulvm:delta:"

static void export_list_contexts(void *opaque, const char *name,
				 void (*fn)(void *arg, const char *ctx), void *arg)
{
	struct dm_context *dm = opaque;
	struct mapped_device *md = dm_lookup_export(dm, name), **mds;
	unsigned n;

	if (!md)
		return;
	if (dm_get_all(dm, &mds, &n) == 0) {
		for (unsigned i = 0; i < n; i++) {
			char ctx[sizeof(DELTA_PREFIX) + DM_EXPORT_LEN];

			if (mds[i] == md || dm_diff(&md->dev, &mds[i]->dev, 0, 0, NULL, NULL))
				continue;
			snprintf(ctx, sizeof(ctx), DELTA_PREFIX "%s", mds[i]->export_name);
			fn(arg, ctx);
		}
		dm_put_all(mds, n);
	}
	dev_put(&md->dev);
}

static int export_open_context(void *opaque, const char *name, const char *ctx, void **handle)
{
	struct dm_context *dm = opaque;
	struct mapped_device *md, *other;
	int r;

	if (strncmp(ctx, DELTA_PREFIX, strlen(DELTA_PREFIX)))
		return -ENOENT;
	md = dm_lookup_export(dm, name);
	other = dm_lookup_export(dm, ctx + strlen(DELTA_PREFIX));
	r = md && other ? dm_diff(&md->dev, &other->dev, 0, 0, NULL, NULL) : -ENOENT;
	if (md)
		dev_put(&md->dev);
	if (r) {
		if (other)
			dev_put(&other->dev);
		return r;
	}
	*handle = other;
	return 0;
}

static int export_context_extents(void *opaque, void *handle, struct dev *dev, uint64_t off,
				  uint64_t len, dev_extent_fn fn, void *arg)
{
	struct mapped_device *other = handle;

	(void)opaque;
	return dm_diff(dev, &other->dev, off, len, fn, arg);
}

static void export_close_context(void *opaque, void *handle)
{
	struct mapped_device *other = handle;

	(void)opaque;
	dev_put(&other->dev);
}

void exports_init(struct nbd_exports *ex, struct dm_context *dm)
{
	ex->list_contexts = export_list_contexts;
	ex->open_context = export_open_context;
	ex->context_extents = export_context_extents;
	ex->close_context = export_close_context;
	ex->open = export_open;
	ex->close = export_close;
	ex->list = export_list;
	ex->default_export = NULL;
	ex->opaque = dm;
}
