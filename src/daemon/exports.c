/* The NBD server's view of the mapped devices.  A client holds its device
 * open (md_open), so `remove` refuses it unless forced, as the kernel
 * refuses to remove a mounted dm device. */
#include "daemon/exports.h"

#include <stddef.h>

#include "dm/md.h"

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

void exports_init(struct nbd_exports *ex, struct dm_context *dm)
{
	ex->open = export_open;
	ex->close = export_close;
	ex->list = export_list;
	ex->default_export = NULL;
	ex->opaque = dm;
}
