/* The FUSE export (libfuse3's high-level API, multi-threaded).  See fuse.h.
 *
 * Paths are export names: "vg/lv" is DIR/vg/lv, a device whose export is
 * its dm name is DIR/NAME; the directories between are made up from the
 * names.  Nothing is cached (attribute, entry and negative timeouts 0), so
 * files appear, go and change size with the devices, on the next lookup.
 * A file holds its export open from open() to release(), as an NBD client
 * does (a device in use is not removed unless forced).
 *
 * read/write are the device's, at any offset (direct_io: no page cache in
 * between, so a loop device over the file does not cache twice, and every
 * request reaches the device in order); fsync and fdatasync flush it;
 * fallocate PUNCH_HOLE discards and ZERO_RANGE writes zeroes; lseek
 * SEEK_DATA/SEEK_HOLE read the device's extents.  The size is fixed:
 * truncate to another size fails with EPERM.
 */
#define FUSE_USE_VERSION 35
#include "export/fuse.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse3/fuse.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FUSE_THREADS 16

struct fuse_export {
	struct nbd_exports ex;
	struct fuse *fuse;
	char *dir;
	pthread_t thread;
	bool running;
	uid_t uid;
	gid_t gid;
	time_t started; /* every file's times: the devices keep none */
	unsigned open_files; /* atomic: opened and not released (monitoring) */
};

static struct fuse_export *self(void)
{
	return fuse_get_context()->private_data;
}

/* What @path (without its leading '/') is: 1 an export, 2 a directory of
 * exports, 0 nothing.  @names: the export names, from ex.list. */
struct lookup {
	const char *path;
	size_t len;
	int kind;
	/* readdir */
	void *buf;
	fuse_fill_dir_t fill;
	char (*seen)[256]; /* the entries filled so far */
	unsigned nseen, cap;
};

static void lookup_one(void *arg, const char *name, const char *desc)
{
	struct lookup *l = arg;
	const char *rest;
	size_t n;

	(void)desc;
	if (l->len && (strncmp(name, l->path, l->len) || (name[l->len] && name[l->len] != '/')))
		return;
	if (!name[l->len]) {
		l->kind = 1;
		return;
	}
	if (l->kind != 1)
		l->kind = 2;
	if (!l->fill)
		return;
	rest = name + l->len + (l->len ? 1 : 0);
	n = strcspn(rest, "/");
	if (!n || n >= sizeof(l->seen[0]))
		return;
	for (unsigned i = 0; i < l->nseen; i++)
		if (strlen(l->seen[i]) == n && !strncmp(l->seen[i], rest, n))
			return;
	if (l->nseen == l->cap) {
		unsigned cap = l->cap ? 2 * l->cap : 16;
		char(*s)[256] = cap <= 4096 ? realloc(l->seen, cap * sizeof(*s)) : NULL;

		if (!s)
			return; /* at most 4096 entries per directory */
		l->seen = s;
		l->cap = cap;
	}
	memcpy(l->seen[l->nseen], rest, n);
	l->seen[l->nseen][n] = 0;
	l->fill(l->buf, l->seen[l->nseen++], NULL, 0, 0);
}

static int fx_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	struct fuse_export *f = self();
	struct lookup l = { .path = path + 1, .len = strlen(path + 1) };
	struct dev *d;

	memset(st, 0, sizeof(*st));
	st->st_uid = f->uid;
	st->st_gid = f->gid;
	st->st_atime = st->st_mtime = st->st_ctime = f->started;
	if (!l.len) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	}
	bool opened = false;

	if (!(d = fi && fi->fh ? (struct dev *)(uintptr_t)fi->fh : NULL)) {
		f->ex.list(f->ex.opaque, lookup_one, &l);
		if (l.kind == 2) {
			st->st_mode = S_IFDIR | 0755;
			st->st_nlink = 2;
			return 0;
		}
		if (l.kind != 1 || !(d = f->ex.open(f->ex.opaque, path + 1)))
			return -ENOENT;
		opened = true;
	}
	st->st_size = (off_t)d->size;
	st->st_mode = S_IFREG | (d->read_only ? 0400 : 0600);
	if (opened)
		f->ex.close(f->ex.opaque, d);
	st->st_nlink = 1;
	st->st_blksize = 4096;
	st->st_blocks = st->st_size / 512;
	return 0;
}

static int fx_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off, struct fuse_file_info *fi,
		      enum fuse_readdir_flags flags)
{
	struct fuse_export *f = self();
	struct lookup l = { .path = path + 1, .len = strlen(path + 1), .buf = buf, .fill = fill };

	(void)off;
	(void)fi;
	(void)flags;
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	f->ex.list(f->ex.opaque, lookup_one, &l);
	free(l.seen);
	return l.len && l.kind != 2 ? -ENOTDIR : 0;
}

static int fx_open(const char *path, struct fuse_file_info *fi)
{
	struct fuse_export *f = self();
	struct dev *d = f->ex.open(f->ex.opaque, path + 1);

	if (!d)
		return -ENOENT;
	if ((fi->flags & O_ACCMODE) != O_RDONLY && d->read_only) {
		f->ex.close(f->ex.opaque, d);
		return -EROFS;
	}
	fi->fh = (uint64_t)(uintptr_t)d;
	fi->direct_io = 1;
	fi->keep_cache = 0;
	__atomic_fetch_add(&f->open_files, 1, __ATOMIC_RELAXED);
	return 0;
}

static int fx_release(const char *path, struct fuse_file_info *fi)
{
	struct fuse_export *f = self();

	(void)path;
	f->ex.close(f->ex.opaque, (struct dev *)(uintptr_t)fi->fh);
	__atomic_fetch_sub(&f->open_files, 1, __ATOMIC_RELAXED);
	return 0;
}

static struct dev *fh(const struct fuse_file_info *fi)
{
	return (struct dev *)(uintptr_t)fi->fh;
}

static int fx_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct dev *d = fh(fi);
	int r;

	(void)path;
	if (off < 0)
		return -EINVAL;
	if ((uint64_t)off >= d->size)
		return 0;
	if (size > d->size - (uint64_t)off)
		size = (size_t)(d->size - (uint64_t)off);
	r = dev_read(d, buf, size, (uint64_t)off);
	return r ? r : (int)size;
}

static int fx_write(const char *path, const char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct dev *d = fh(fi);
	int r;

	(void)path;
	if (off < 0)
		return -EINVAL;
	if ((uint64_t)off >= d->size || size > d->size - (uint64_t)off)
		return -ENOSPC;
	r = dev_write(d, buf, size, (uint64_t)off, fi->flags & (O_DSYNC | O_SYNC) ? DEV_FUA : 0);
	return r ? r : (int)size;
}

static int fx_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)path;
	(void)datasync;
	return dev_flush(fh(fi));
}

static int fx_fallocate(const char *path, int mode, off_t off, off_t len, struct fuse_file_info *fi)
{
	struct dev *d = fh(fi);

	(void)path;
	if (off < 0 || len <= 0 || (uint64_t)off > d->size || (uint64_t)len > d->size - (uint64_t)off)
		return mode & FALLOC_FL_KEEP_SIZE ? -EINVAL : -EOPNOTSUPP;
	if (mode == (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE))
		return dev_discard(d, (uint64_t)off, (uint64_t)len);
	if (mode == FALLOC_FL_ZERO_RANGE || mode == (FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE))
		return dev_write_zeroes(d, (uint64_t)off, (uint64_t)len, DEV_NO_HOLE);
	if (!mode || mode == FALLOC_FL_KEEP_SIZE)
		return 0; /* inside the device: every byte is there already */
	return -EOPNOTSUPP;
}

struct seek {
	uint64_t found;
	bool data, hit;
};

static int seek_cb(void *arg, uint64_t off, uint64_t len, uint32_t flags)
{
	struct seek *s = arg;

	(void)len;
	if (!(flags & DEV_EXT_HOLE) == s->data) {
		s->found = off;
		s->hit = true;
		return 1;
	}
	return 0;
}

static off_t fx_lseek(const char *path, off_t off, int whence, struct fuse_file_info *fi)
{
	struct dev *d = fh(fi);
	struct seek s = { .data = whence == SEEK_DATA };
	int r;

	(void)path;
	if (whence != SEEK_DATA && whence != SEEK_HOLE)
		return -EINVAL; /* the kernel does SEEK_SET/CUR/END itself */
	if (off < 0 || (uint64_t)off >= d->size)
		return -ENXIO;
	if ((r = dev_extents(d, (uint64_t)off, d->size - (uint64_t)off, seek_cb, &s)) < 0)
		return r;
	if (s.hit)
		return (off_t)(s.found > (uint64_t)off ? s.found : (uint64_t)off);
	return s.data ? -ENXIO : (off_t)d->size; /* no hole before the end: the end */
}

static int fx_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	struct fuse_export *f = self();
	struct dev *d = fi ? fh(fi) : f->ex.open(f->ex.opaque, path + 1);
	int r;

	if (!d)
		return -ENOENT;
	r = size >= 0 && (uint64_t)size == d->size ? 0 : -EPERM;
	if (!fi)
		f->ex.close(f->ex.opaque, d);
	return r;
}

static void *fx_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	(void)conn;
	cfg->entry_timeout = 0;
	cfg->attr_timeout = 0;
	cfg->negative_timeout = 0;
	cfg->direct_io = 1;
	cfg->use_ino = 0;
	return fuse_get_context()->private_data;
}

static const struct fuse_operations fx_ops = {
	.init = fx_init,
	.getattr = fx_getattr,
	.readdir = fx_readdir,
	.open = fx_open,
	.release = fx_release,
	.read = fx_read,
	.write = fx_write,
	.fsync = fx_fsync,
	.fallocate = fx_fallocate,
	.lseek = fx_lseek,
	.truncate = fx_truncate,
};

static void *loop_main(void *arg)
{
	struct fuse_export *f = arg;
	struct fuse_loop_config *lc = fuse_loop_cfg_create();

	if (lc) {
		/* No worker leaves on its own when idle: fuse_loop_mt joins them
		 * all, so none is still exiting (and freeing its libfuse context
		 * through a thread key) when fuse_destroy deletes that key. */
		fuse_loop_cfg_set_max_threads(lc, FUSE_THREADS);
		fuse_loop_cfg_set_idle_threads(lc, FUSE_THREADS);
		fuse_loop_mt(f->fuse, lc);
		fuse_loop_cfg_destroy(lc);
	}
	return NULL;
}

int fuse_export_start(const char *dir, const struct nbd_exports *ex, struct fuse_export **out, struct err *e)
{
	char *argv[] = { (char *)"ulvmd", (char *)"-o", (char *)"default_permissions", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	struct fuse_export *f = calloc(1, sizeof(*f));
	int r;

	*out = NULL;
	if (!f || !(f->dir = strdup(dir))) {
		free(f);
		return err_set(e, -ENOMEM, "out of memory");
	}
	f->ex = *ex;
	f->uid = getuid();
	f->gid = getgid();
	f->started = time(NULL);
	if (!(f->fuse = fuse_new(&args, &fx_ops, sizeof(fx_ops), f))) {
		r = err_set(e, -EINVAL, "FUSE: cannot set up the file system");
		goto fail;
	}
	if (fuse_mount(f->fuse, dir)) {
		r = err_set(e, -EIO, "FUSE: cannot mount on %s (is it a directory, is /dev/fuse there?)", dir);
		goto fail;
	}
	if ((r = -pthread_create(&f->thread, NULL, loop_main, f))) {
		fuse_unmount(f->fuse);
		r = err_set(e, r, "FUSE: %s", strerror(-r));
		goto fail;
	}
	f->running = true;
	fuse_opt_free_args(&args);
	*out = f;
	return 0;
fail:
	fuse_opt_free_args(&args);
	if (f->fuse)
		fuse_destroy(f->fuse);
	free(f->dir);
	free(f);
	return r;
}

void fuse_export_stop(struct fuse_export *f)
{
	if (!f)
		return;
	if (f->running) {
		fuse_exit(f->fuse);
		fuse_unmount(f->fuse); /* the loop's read of /dev/fuse ends */
		pthread_join(f->thread, NULL);
	}
	fuse_destroy(f->fuse);
	free(f->dir);
	free(f);
}

unsigned fuse_export_open_files(struct fuse_export *f)
{
	return __atomic_load_n(&f->open_files, __ATOMIC_RELAXED);
}
