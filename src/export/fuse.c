/* The FUSE export, on libfuse3's low-level API.  See fuse.h.
 *
 * Names.  "vg/lv" is DIR/vg/lv, a device whose export is its dm name is
 * DIR/NAME; the directories between are made up from the names
 * (fuse_tree.h, which also keeps the inode numbers).  Nothing is cached
 * (entry and attribute timeouts 0, no negative entries), so files appear,
 * go and change size with the devices, on the next lookup.
 *
 * Files.  open() opens the export, as an NBD client does (a device in use
 * is not removed unless forced), and the file handle is that struct dev
 * until release(): I/O on an open file goes to the device it opened, by
 * pointer, with no name or inode lookup and no lock of ours.  read/write
 * are the device's, at any offset, direct_io (no page cache in between,
 * so a loop device over the file does not cache twice and every request
 * reaches the device in order); writes with O_DSYNC/O_SYNC are FUA;
 * fsync and fdatasync flush; fallocate PUNCH_HOLE discards and ZERO_RANGE
 * writes zeroes; lseek SEEK_DATA/SEEK_HOLE read the device's extents.
 * The size is fixed: a write past the end fails with ENOSPC (EFBIG from
 * the kernel past the size limit), setattr to another size with EPERM,
 * and O_TRUNC is ignored, as on a block device.
 *
 * Threads.  fuse_session_loop_mt runs FUSE_THREADS workers, each reading
 * requests from its own /dev/fuse descriptor (clone_fd) and answering them
 * itself, blocking in the device as NBD workers do.  Workers start as the
 * load needs them and none leaves on its own when idle (max_idle =
 * max_threads): creating a thread per burst costs more than the request.
 * The kernel passes on up to FUSE_BACKGROUND asynchronous requests (libaio
 * on the file, a loop device's direct I/O) at once; its default, 12, held
 * back most of a QD32 fio.  fuse_export_stop sets the exit flag and
 * unmounts: the workers' reads end (ENODEV) and the loop joins them.
 *
 * Inodes and locking.  Inode numbers are ours (fuse_tree.h): one per kind
 * and path, counted by lookups and forgets, freed at 0, never reused.  The
 * tree's mutex is the only lock here, taken by name requests (lookup,
 * forget, getattr, opendir), never by I/O.  A directory handle is the
 * listing taken at opendir; a file handle holds its device open until
 * release, whatever happens to the name meanwhile (rename, remove --force:
 * the device's own rules apply).
 */
#define FUSE_USE_VERSION 312
#include "export/fuse.h"

#include <errno.h>
#include <fcntl.h>
#include <fuse3/fuse_lowlevel.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "export/fuse_tree.h"

#define FUSE_THREADS 16
#define FUSE_BACKGROUND 64
#define FUSE_PATH_MAX 512 /* an export name (< 256) and an entry (< 256) */

struct fuse_export {
	struct nbd_exports ex;
	struct fuse_session *se;
	struct ftree *tree;
	pthread_t thread;
	bool running;
	uid_t uid;
	gid_t gid;
	time_t started; /* every file's times: the devices keep none */
	unsigned open_files; /* atomic: opened and not released (monitoring) */
};

static struct fuse_export *self(fuse_req_t req)
{
	return fuse_req_userdata(req);
}

static struct dev *fh(const struct fuse_file_info *fi)
{
	return (struct dev *)(uintptr_t)fi->fh;
}

static void attr_dir(const struct fuse_export *f, uint64_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_uid = f->uid;
	st->st_gid = f->gid;
	st->st_atime = st->st_mtime = st->st_ctime = f->started;
	st->st_mode = S_IFDIR | 0755;
	st->st_nlink = 2;
}

static void attr_file(const struct fuse_export *f, uint64_t ino, const struct dev *d, struct stat *st)
{
	attr_dir(f, ino, st);
	st->st_mode = S_IFREG | (d->read_only ? 0400 : 0600);
	st->st_nlink = 1;
	st->st_size = (off_t)d->size;
	st->st_blksize = 4096;
	st->st_blocks = st->st_size / 512;
}

/* The attributes of export @path: 0, or -ENOENT when it is gone. */
static int attr_export(struct fuse_export *f, uint64_t ino, const char *path, struct stat *st)
{
	struct dev *d = f->ex.open(f->ex.opaque, path);

	if (!d)
		return -ENOENT;
	attr_file(f, ino, d, st);
	f->ex.close(f->ex.opaque, d);
	return 0;
}

/* A path under @parent: "name" at the top, "vg/name" below.  NULL when
 * it does not fit. */
static const char *child_path(const struct fnode *parent, const char *name, char *buf, size_t size)
{
	int n = parent->path[0] ? snprintf(buf, size, "%s/%s", parent->path, name)
				: snprintf(buf, size, "%s", name);

	return n > 0 && (size_t)n < size ? buf : NULL;
}

static void fx_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct fuse_export *f = self(req);
	struct fnode *p = ftree_node(f->tree, parent), *n;
	struct fuse_entry_param e = { 0 };
	char buf[FUSE_PATH_MAX];
	const char *path;
	enum fkind kind;

	if (!p || !p->dir) {
		fuse_reply_err(req, p ? ENOTDIR : ENOENT);
		return;
	}
	if (!(path = child_path(p, name, buf, sizeof(buf)))) {
		fuse_reply_err(req, ENAMETOOLONG);
		return;
	}
	if ((kind = ftree_kind(&f->ex, path)) == F_NONE) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (!(n = ftree_ref(f->tree, kind == F_DIR, path))) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if (kind == F_DIR) {
		attr_dir(f, n->ino, &e.attr);
	} else if (attr_export(f, n->ino, path, &e.attr)) {
		ftree_forget(f->tree, n->ino, 1);
		fuse_reply_err(req, ENOENT); /* gone since the listing */
		return;
	}
	e.ino = n->ino;
	if (fuse_reply_entry(req, &e) == -ENOENT) /* the lookup was interrupted */
		ftree_forget(f->tree, n->ino, 1);
}

static void fx_forget(fuse_req_t req, fuse_ino_t ino, uint64_t nlookup)
{
	ftree_forget(self(req)->tree, ino, nlookup);
	fuse_reply_none(req);
}

static void fx_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	for (size_t i = 0; i < count; i++)
		ftree_forget(self(req)->tree, forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void fx_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fuse_export *f = self(req);
	struct fnode *n = ftree_node(f->tree, ino);
	struct stat st;

	if (!n) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (n->dir) {
		if (ino != FUSE_ROOT_ID && ftree_kind(&f->ex, n->path) != F_DIR) {
			fuse_reply_err(req, ENOENT);
			return;
		}
		attr_dir(f, ino, &st);
	} else if (fi && fi->fh) { /* fstat of an open file: its device */
		attr_file(f, ino, fh(fi), &st);
	} else if (attr_export(f, ino, n->path, &st)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	fuse_reply_attr(req, &st, 0);
}

/* Only what changes nothing: the size it has, the times (which stay the
 * daemon's start), set-id bits it has not.  The rest is not the file's to
 * change. */
static void fx_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set, struct fuse_file_info *fi)
{
	struct fuse_export *f = self(req);
	const int harmless = FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME | FUSE_SET_ATTR_ATIME_NOW |
			     FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_CTIME | FUSE_SET_ATTR_KILL_SUID |
			     FUSE_SET_ATTR_KILL_SGID;
	struct fnode *n = ftree_node(f->tree, ino);
	bool opened = n && !n->dir && !(fi && fi->fh);
	struct dev *d = n && !n->dir && !opened ? fh(fi) : NULL;
	struct stat st;
	int r = 0;

	if (!n || (opened && !(d = f->ex.open(f->ex.opaque, n->path)))) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if (to_set & ~(harmless | FUSE_SET_ATTR_SIZE) || (to_set & FUSE_SET_ATTR_SIZE && (n->dir ||
	    attr->st_size < 0 || (uint64_t)attr->st_size != d->size)))
		r = EPERM;
	else if (n->dir)
		attr_dir(f, ino, &st);
	else
		attr_file(f, ino, d, &st);
	if (opened)
		f->ex.close(f->ex.opaque, d);
	if (r)
		fuse_reply_err(req, r);
	else
		fuse_reply_attr(req, &st, 0);
}

/* A directory handle is its entries when opendir ran ("." and ".." are
 * offsets 0 and 1, entry i is offset i + 2), so a listing read in several
 * calls is one listing. */
struct fdir {
	struct fentry *ents;
	unsigned n;
	char path[];
};

static void fx_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fuse_export *f = self(req);
	struct fnode *n = ftree_node(f->tree, ino);
	struct fdir *dir;
	int r;

	if (!n || !n->dir) {
		fuse_reply_err(req, n ? ENOTDIR : ENOENT);
		return;
	}
	if (!(dir = calloc(1, sizeof(*dir) + strlen(n->path) + 1))) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	strcpy(dir->path, n->path);
	if ((r = ftree_list(&f->ex, n->path, &dir->ents, &dir->n))) {
		free(dir);
		fuse_reply_err(req, -r);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)dir;
	if (fuse_reply_open(req, fi) == -ENOENT) { /* opendir was interrupted */
		free(dir->ents);
		free(dir);
	}
}

/* Entries carry the inode number the kernel holds for them, if any (it
 * uses the one of the next lookup). */
#define FUSE_UNKNOWN_INO 0xffffffffu

static void fx_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct fuse_export *f = self(req);
	struct fdir *dir = (struct fdir *)(uintptr_t)fi->fh;
	char *buf = malloc(size), path[FUSE_PATH_MAX];
	size_t pos = 0;

	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	for (uint64_t i = off < 0 ? 0 : (uint64_t)off; i < (uint64_t)dir->n + 2; i++) {
		struct stat st = { .st_ino = FUSE_UNKNOWN_INO, .st_mode = S_IFDIR };
		const char *name = i == 0 ? "." : i == 1 ? ".." : dir->ents[i - 2].name;
		size_t len;

		if (i == 0) {
			st.st_ino = ino;
		} else if (i > 1) {
			struct fnode parent = { .path = dir->path };
			bool isdir = dir->ents[i - 2].dir;
			uint64_t known = child_path(&parent, name, path, sizeof(path)) ?
					 ftree_ino(f->tree, isdir, path) : 0;

			st.st_mode = isdir ? S_IFDIR : S_IFREG;
			if (known)
				st.st_ino = known;
		}
		len = fuse_add_direntry(req, buf + pos, size - pos, name, &st, (off_t)(i + 1));
		if (len > size - pos)
			break;
		pos += len;
	}
	fuse_reply_buf(req, buf, pos);
	free(buf);
}

static void fx_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fdir *dir = (struct fdir *)(uintptr_t)fi->fh;

	(void)ino;
	free(dir->ents);
	free(dir);
	fuse_reply_err(req, 0);
}

static void fx_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fuse_export *f = self(req);
	struct fnode *n = ftree_node(f->tree, ino);
	struct dev *d;

	if (!n || n->dir) {
		fuse_reply_err(req, n ? EISDIR : ENOENT);
		return;
	}
	if (!(d = f->ex.open(f->ex.opaque, n->path))) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	if ((fi->flags & O_ACCMODE) != O_RDONLY && d->read_only) {
		f->ex.close(f->ex.opaque, d);
		fuse_reply_err(req, EROFS);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)d;
	fi->direct_io = 1;
	fi->keep_cache = 0;
	fi->noflush = 1; /* close() has nothing to flush: writes are the device's already */
	__atomic_fetch_add(&f->open_files, 1, __ATOMIC_RELAXED);
	if (fuse_reply_open(req, fi) == -ENOENT) { /* open was interrupted: no release follows */
		f->ex.close(f->ex.opaque, d);
		__atomic_fetch_sub(&f->open_files, 1, __ATOMIC_RELAXED);
	}
}

static void fx_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fuse_export *f = self(req);

	(void)ino;
	f->ex.close(f->ex.opaque, fh(fi));
	__atomic_fetch_sub(&f->open_files, 1, __ATOMIC_RELAXED);
	fuse_reply_err(req, 0);
}

static void fx_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi)
{
	struct dev *d = fh(fi);
	char *buf;
	int r;

	(void)ino;
	if (off < 0) {
		fuse_reply_err(req, EINVAL);
		return;
	}
	if ((uint64_t)off >= d->size || !size) {
		fuse_reply_buf(req, NULL, 0);
		return;
	}
	if (size > d->size - (uint64_t)off)
		size = (size_t)(d->size - (uint64_t)off);
	if (!(buf = malloc(size))) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	if ((r = dev_read(d, buf, size, (uint64_t)off)))
		fuse_reply_err(req, -r);
	else
		fuse_reply_buf(req, buf, size);
	free(buf);
}

static void fx_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct dev *d = fh(fi);
	int r;

	(void)ino;
	if (off < 0)
		r = -EINVAL;
	else if ((uint64_t)off >= d->size || size > d->size - (uint64_t)off)
		r = -ENOSPC;
	else
		r = dev_write(d, buf, size, (uint64_t)off, fi->flags & (O_DSYNC | O_SYNC) ? DEV_FUA : 0);
	if (r)
		fuse_reply_err(req, -r);
	else
		fuse_reply_write(req, size);
}

static void fx_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	(void)ino;
	(void)datasync;
	fuse_reply_err(req, -dev_flush(fh(fi)));
}

static int fallocate_dev(struct dev *d, int mode, off_t off, off_t len)
{
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

static void fx_fallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len, struct fuse_file_info *fi)
{
	(void)ino;
	fuse_reply_err(req, -fallocate_dev(fh(fi), mode, off, len));
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

static off_t seek_dev(struct dev *d, off_t off, int whence)
{
	struct seek s = { .data = whence == SEEK_DATA };
	int r;

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

static void fx_lseek(fuse_req_t req, fuse_ino_t ino, off_t off, int whence, struct fuse_file_info *fi)
{
	off_t r = seek_dev(fh(fi), off, whence);

	(void)ino;
	if (r < 0)
		fuse_reply_err(req, (int)-r);
	else
		fuse_reply_lseek(req, r);
}

static void fx_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	conn->max_background = FUSE_BACKGROUND;
	conn->congestion_threshold = FUSE_BACKGROUND;
	conn->want &= ~(unsigned)FUSE_CAP_AUTO_INVAL_DATA; /* direct_io: no cached data to drop */
}

static const struct fuse_lowlevel_ops fx_ops = {
	.init = fx_init,
	.lookup = fx_lookup,
	.forget = fx_forget,
	.forget_multi = fx_forget_multi,
	.getattr = fx_getattr,
	.setattr = fx_setattr,
	.opendir = fx_opendir,
	.readdir = fx_readdir,
	.releasedir = fx_releasedir,
	.open = fx_open,
	.release = fx_release,
	.read = fx_read,
	.write = fx_write,
	.fsync = fx_fsync,
	.fallocate = fx_fallocate,
	.lseek = fx_lseek,
};

static void *loop_main(void *arg)
{
	struct fuse_export *f = arg;
	struct fuse_loop_config *lc = fuse_loop_cfg_create();

	if (lc) {
		fuse_loop_cfg_set_clone_fd(lc, 1);
		fuse_loop_cfg_set_max_threads(lc, FUSE_THREADS);
		fuse_loop_cfg_set_idle_threads(lc, FUSE_THREADS);
		fuse_session_loop_mt(f->se, lc);
		fuse_loop_cfg_destroy(lc);
	}
	return NULL;
}

int fuse_export_start(const char *dir, const char *fsname, const struct nbd_exports *ex, struct fuse_export **out,
		      struct err *e)
{
	/* fsname and subtype: /proc/self/mountinfo says "fuse.ulvmd FSNAME",
	 * which is how lvresize -r finds the files of its ulvmd */
	char opts[256];
	char *argv[] = { (char *)"ulvmd", (char *)"-o", opts, NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	struct fuse_export *f = calloc(1, sizeof(*f));
	bool mounted = false;
	int r;

	if (strchr(fsname, ',') || (size_t)snprintf(opts, sizeof(opts), "default_permissions,fsname=%s,subtype=ulvmd",
						    fsname) >= sizeof(opts)) {
		free(f);
		return err_set(e, -EINVAL, "FUSE mount name %s: unusable", fsname);
	}

	*out = NULL;
	if (!f || ftree_new(&f->tree)) {
		free(f);
		return err_set(e, -ENOMEM, "out of memory");
	}
	f->ex = *ex;
	f->uid = getuid();
	f->gid = getgid();
	f->started = time(NULL);
	if (!(f->se = fuse_session_new(&args, &fx_ops, sizeof(fx_ops), f))) {
		r = err_set(e, -EINVAL, "FUSE: cannot set up the file system");
		goto fail;
	}
	if (fuse_session_mount(f->se, dir)) {
		r = err_set(e, -EIO, "FUSE: cannot mount on %s (is it a directory, is /dev/fuse there?)", dir);
		goto fail;
	}
	mounted = true;
	if ((r = -pthread_create(&f->thread, NULL, loop_main, f))) {
		r = err_set(e, r, "FUSE: %s", strerror(-r));
		goto fail;
	}
	f->running = true;
	fuse_opt_free_args(&args);
	*out = f;
	return 0;
fail:
	fuse_opt_free_args(&args);
	if (mounted)
		fuse_session_unmount(f->se);
	if (f->se)
		fuse_session_destroy(f->se);
	ftree_free(f->tree);
	free(f);
	return r;
}

void fuse_export_stop(struct fuse_export *f)
{
	if (!f)
		return;
	if (f->running) {
		fuse_session_exit(f->se);
		fuse_session_unmount(f->se); /* the workers' reads of /dev/fuse end */
		pthread_join(f->thread, NULL);
	}
	fuse_session_destroy(f->se);
	ftree_free(f->tree);
	free(f);
}

unsigned fuse_export_open_files(struct fuse_export *f)
{
	return __atomic_load_n(&f->open_files, __ATOMIC_RELAXED);
}
