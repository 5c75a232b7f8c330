/* The FUSE export: every export of the owner (struct nbd_exports: open,
 * close, list) as a regular file under one directory, so `losetup` makes a
 * kernel block device of it with no nbd module and no nbdfuse. */
#ifndef ULVM_EXPORT_FUSE_H
#define ULVM_EXPORT_FUSE_H

#include "common/log.h"
#include "export/nbd.h"

struct fuse_export;

/* Mount at @dir (an existing directory) and serve, in threads of its own,
 * until fuse_export_stop.  Root mounts directly; other users through
 * fusermount3, as libfuse does. */
/* @fsname: the mount's name in mountinfo (rundir_fuse_name). */
int fuse_export_start(const char *dir, const char *fsname, const struct nbd_exports *ex, struct fuse_export **out,
		      struct err *e);
/* Unmount (files still open fail from then on) and join the threads. */
void fuse_export_stop(struct fuse_export *f);
/* Files open now (opened and not yet released), for monitoring. */
unsigned fuse_export_open_files(struct fuse_export *f);

#endif
