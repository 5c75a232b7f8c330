/* Devices named on the command line, handed to libraries as files.  See
 * blockdev.h. */
#include "cli/blockdev.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/dev.h"

#define CHUNK (64u << 10)

/* The device whose name or export is @want (a VG/LV names an export). */
static int find_mapped(struct dmctl *d, const char *want, bool by_export, char *name, size_t nsize, char *exp,
		       size_t esize, struct err *e)
{
	struct json_object *res = NULL, *v;
	size_t n;
	int r = -ENOENT;

	if (!dmctl_up(d))
		return err_set(e, -ENODEV, "Device %s does not exist or access denied (%s).", want, d->why.msg);
	if ((r = dmctl_call(d, "info", by_export ? json_object_new_object() : dmctl_named(want), &res, e))) {
		if (r != -ENODEV && r != -ENXIO && r != -ENOENT)
			return r;
		err_clear(e); /* cryptsetup's one line, not the daemon's reason after it */
		return err_set(e, -ENODEV, "Device %s does not exist or access denied.", want);
	}
	n = json_object_is_type(res, json_type_array) ? json_object_array_length(res) : 0;
	r = err_set(e, -ENODEV, "Device %s does not exist or access denied (no such file, device or active LV).",
		    want);
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(res, i);
		const char *nm = json_object_object_get_ex(o, "name", &v) ? json_object_get_string(v) : "";
		const char *ex = json_object_object_get_ex(o, "export", &v) ? json_object_get_string(v) : NULL;

		if (strcmp(by_export ? (ex ? ex : "") : nm, want))
			continue;
		if (!ex || !*ex)
			r = err_set(e, -ENODEV, "%s: the device is not exported, its data cannot be reached", want);
		else {
			snprintf(name, nsize, "%s", nm);
			snprintf(exp, esize, "%s", ex);
			err_clear(e);
			r = 0;
		}
		break;
	}
	json_object_put(res);
	return r;
}

/* The private sparse copy of @b->size bytes. */
static int make_copy(struct blockdev *b, struct err *e)
{
	const char *tmp = getenv("TMPDIR");
	int fd;

	snprintf(b->dir, sizeof(b->dir), "%s/ulvm-dev.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(b->dir)) {
		int r = -errno;

		b->dir[0] = 0;
		return err_set(e, r, "cannot make a private directory in %s: %s", tmp && *tmp ? tmp : "/tmp",
			       strerror(-r));
	}
	snprintf(b->file, sizeof(b->file), "%s/device", b->dir);
	if ((fd = open(b->file, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0 || ftruncate(fd, (off_t)b->size)) {
		int r = -errno;

		if (fd >= 0)
			close(fd);
		return err_set(e, r, "%s: %s", b->file, strerror(-r));
	}
	close(fd);
	return 0;
}

/* @spec's names (and, for a path, its size); *@uri the URI to read it
 * through, "" for a path.  No I/O on the device. */
static int resolve(struct blockdev *b, const char *spec, struct dmctl *d, char *uri, size_t usize, struct err *e)
{
	char dmname[128], exp[1024];
	const char *mapped = NULL, *base;
	struct stat st;
	int r;

	memset(b, 0, sizeof(*b));
	uri[0] = 0;
	snprintf(b->spec, sizeof(b->spec), "%s", spec);
	if (dev_is_nbd_uri(spec)) {
		/* the export's name, or the socket's file without extension */
		const char *p = strstr(spec, ":///"), *s = strstr(spec, "socket=");

		snprintf(b->table, sizeof(b->table), "%s", spec);
		if (p && p[4] && p[4] != '?')
			snprintf(b->name, sizeof(b->name), "%.*s", (int)strcspn(p + 4, "?"), p + 4);
		else if (s) {
			s += 7;
			base = memrchr(s, '/', strcspn(s, "&")) ? (const char *)memrchr(s, '/', strcspn(s, "&")) + 1 : s;
			snprintf(b->name, sizeof(b->name), "%.*s", (int)strcspn(base, ".&"), base);
		}
		for (char *c = b->name; *c; c++)
			if (*c == '/')
				*c = '-';
		if (!b->name[0])
			snprintf(b->name, sizeof(b->name), "nbd");
		snprintf(uri, usize, "%s", spec);
	} else if (dev_spec_mapped(spec, &mapped) || (!strchr(spec, '/') && stat(spec, &st)) ||
		   (spec[0] != '/' && strchr(spec, '/') && stat(spec, &st))) {
		/* /dev/mapper/NAME, NAME or VG/LV of the running ulvmd */
		bool by_export = !mapped && strchr(spec, '/');

		if ((r = find_mapped(d, mapped ? mapped : spec, by_export, dmname, sizeof(dmname), exp, sizeof(exp),
				     e)))
			return r;
		snprintf(b->table, sizeof(b->table), "/dev/mapper/%s", dmname);
		snprintf(b->name, sizeof(b->name), "%s", dmname);
		if ((r = dev_export_uri(d->run_dir, exp, uri, usize, e)))
			return r;
	} else {
		if (!realpath(spec, b->table) || stat(b->table, &st))
			return err_set(e, -errno ? -errno : -ENOENT, "Device %s does not exist or access denied.", spec);
		if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
			return err_set(e, -ENOTBLK, "Device %s is not a file or block device.", spec);
		snprintf(b->file, sizeof(b->file), "%s", b->table);
		base = strrchr(b->table, '/') + 1;
		snprintf(b->name, sizeof(b->name), "%.*s", S_ISREG(st.st_mode) ? (int)strcspn(base, ".") : (int)strlen(base),
			 base);
		if (S_ISREG(st.st_mode))
			b->size = (uint64_t)st.st_size;
		else {
			int fd = open(b->table, O_RDONLY | O_CLOEXEC);
			off_t end = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;

			if (fd >= 0)
				close(fd);
			if (end < 0)
				return err_set(e, -errno, "%s: %s", spec, strerror(errno));
			b->size = (uint64_t)end;
		}
	}
	return 0;
}

int blockdev_name(struct blockdev *b, const char *spec, struct dmctl *d, struct err *e)
{
	char uri[8192];

	return resolve(b, spec, d, uri, sizeof(uri), e);
}

int blockdev_open(struct blockdev *b, const char *spec, struct dmctl *d, bool rw, struct err *e)
{
	char uri[8192];
	int r;

	if ((r = resolve(b, spec, d, uri, sizeof(uri), e)) || !uri[0])
		return r;
	if ((r = dev_open_nbd(uri, rw ? 0 : DEV_OPEN_RDONLY, &b->io, e)))
		return err_set(e, r, "Device %s cannot be reached", spec);
	if (rw && b->io->read_only) {
		blockdev_close(b);
		return err_set(e, -EROFS, "%s is read-only", spec);
	}
	b->size = b->io->size;
	if ((r = make_copy(b, e))) {
		blockdev_close(b);
		return r;
	}
	return 0;
}

int blockdev_fill_range(struct blockdev *b, uint64_t off, uint64_t len, struct err *e)
{
	char *buf;
	int fd, r = 0;

	if (!b->io)
		return 0;
	if (off >= b->size)
		return 0;
	if (len > b->size - off)
		len = b->size - off;
	if (!(buf = malloc(CHUNK)))
		return err_set(e, -ENOMEM, "out of memory");
	if ((fd = open(b->file, O_WRONLY | O_CLOEXEC)) < 0) {
		free(buf);
		return err_set(e, -errno, "%s: %s", b->file, strerror(errno));
	}
	for (uint64_t at = off; !r && at < off + len; at += CHUNK) {
		size_t n = off + len - at < CHUNK ? (size_t)(off + len - at) : CHUNK;

		if ((r = dev_read(b->io, buf, n, at)))
			r = err_set(e, r, "%s: reading %zu bytes at %llu: %s", b->spec, n, (unsigned long long)at,
				    strerror(-r));
		else if (pwrite(fd, buf, n, (off_t)at) != (ssize_t)n)
			r = err_set(e, -errno, "%s: %s", b->file, strerror(errno));
	}
	close(fd);
	free(buf);
	return r;
}

int blockdev_fill(struct blockdev *b, uint64_t upto, struct err *e)
{
	int r;

	if (!b->io || upto <= b->filled)
		return 0;
	if ((r = blockdev_fill_range(b, b->filled, upto - b->filled, e)))
		return r;
	b->filled = upto < b->size ? upto : b->size;
	return 0;
}

int blockdev_commit(struct blockdev *b, uint64_t len, struct err *e)
{
	char *mine, *theirs;
	int fd, r = 0;

	if (!b->io)
		return 0;
	if (len > b->size)
		len = b->size;
	mine = malloc(CHUNK);
	theirs = malloc(CHUNK);
	if (!mine || !theirs) {
		free(mine);
		free(theirs);
		return err_set(e, -ENOMEM, "out of memory");
	}
	if ((fd = open(b->file, O_RDONLY | O_CLOEXEC)) < 0)
		r = err_set(e, -errno, "%s: %s", b->file, strerror(errno));
	for (uint64_t at = 0; !r && at < len; at += CHUNK) {
		size_t n = len - at < CHUNK ? (size_t)(len - at) : CHUNK;

		if (pread(fd, mine, n, (off_t)at) != (ssize_t)n)
			r = err_set(e, -EIO, "%s: short read", b->file);
		else if ((r = dev_read(b->io, theirs, n, at)))
			r = err_set(e, r, "%s: reading at %llu: %s", b->spec, (unsigned long long)at, strerror(-r));
		else if (memcmp(mine, theirs, n) && (r = dev_write(b->io, mine, n, at, 0)))
			r = err_set(e, r, "%s: writing at %llu: %s", b->spec, (unsigned long long)at, strerror(-r));
	}
	if (!r && (r = dev_flush(b->io)))
		r = err_set(e, r, "%s: flush: %s", b->spec, strerror(-r));
	if (fd >= 0)
		close(fd);
	free(mine);
	free(theirs);
	return r;
}

void blockdev_disconnect(struct blockdev *b)
{
	if (b->io)
		dev_put(b->io);
	b->io = NULL;
}

void blockdev_close(struct blockdev *b)
{
	blockdev_disconnect(b);
	if (b->dir[0]) {
		unlink(b->file);
		rmdir(b->dir);
		b->dir[0] = 0;
	}
}
