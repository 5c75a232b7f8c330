#include "common/rundir.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int rundir_path(const char *dir, const char *name, char *out, size_t size, struct err *e)
{
	int n = snprintf(out, size, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= size)
		return err_set(e, -ENAMETOOLONG, "%s/%s: path too long", dir, name);
	return 0;
}

int rundir_resolve(const char *opt, char *out, size_t size, struct err *e)
{
	const char *dir = opt, *xdg;
	char cwd[4096];
	int n;

	if (!dir || !*dir)
		dir = getenv(RUNDIR_ENV);
	if (!dir || !*dir) {
		if (geteuid() == 0) {
			dir = RUNDIR_ROOT;
		} else {
			xdg = getenv("XDG_RUNTIME_DIR");
			if (!xdg || !*xdg)
				return err_set(e, -ENOENT,
					       "no run directory: use --run-dir, or set %s or XDG_RUNTIME_DIR",
					       RUNDIR_ENV);
			return rundir_path(xdg, "ulvm", out, size, e);
		}
	}
	if (dir[0] == '/') {
		n = snprintf(out, size, "%s", dir);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return err_set(e, -errno, "getcwd: %s", strerror(errno));
		n = snprintf(out, size, "%s/%s", cwd, dir);
	}
	if (n < 0 || (size_t)n >= size)
		return err_set(e, -ENAMETOOLONG, "%s: run directory path too long", dir);
	/* Drop trailing slashes so joined paths read well. */
	while (n > 1 && out[n - 1] == '/')
		out[--n] = '\0';
	return 0;
}

int rundir_sockaddr(const char *path, struct sockaddr_un *sa, socklen_t *len, struct err *e)
{
	size_t n = strlen(path);

	if (n >= sizeof(sa->sun_path))
		return err_set(e, -ENAMETOOLONG, "%s: socket path too long (over %zu bytes)", path,
			       sizeof(sa->sun_path) - 1);
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path, path, n + 1);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return 0;
}

int rundir_mkdir(const char *dir, struct err *e)
{
	char path[4096];
	struct stat st;
	size_t n = strlen(dir);

	if (n >= sizeof(path))
		return err_set(e, -ENAMETOOLONG, "%s: path too long", dir);
	memcpy(path, dir, n + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) && errno != EEXIST)
			return err_set(e, -errno, "mkdir %s: %s", path, strerror(errno));
		*p = '/';
	}
	if (mkdir(path, 0700) && errno != EEXIST)
		return err_set(e, -errno, "mkdir %s: %s", path, strerror(errno));
	if (stat(path, &st))
		return err_set(e, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return err_set(e, -ENOTDIR, "%s: not a directory", path);
	return rundir_check(path, false, e);
}

int rundir_check(const char *dir, bool client, struct err *e)
{
	struct stat st;
	uid_t me = geteuid();

	if (lstat(dir, &st))
		return err_set(e, -errno, "%s: %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return err_set(e, -ENOTDIR, "%s: not a directory", dir);
	if (st.st_uid != me && !(client && st.st_uid == 0))
		return err_set(e, -EPERM, "run directory %s is owned by uid %u, not by this user (uid %u): "
			       "refusing to use it", dir, (unsigned)st.st_uid, (unsigned)me);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return err_set(e, -EPERM, "run directory %s has mode %04o: others may write to it; "
			       "refusing to use it (chmod 700 it)", dir, (unsigned)(st.st_mode & 07777));
	return 0;
}

int rundir_check_socket(const char *dir, const char *sock, struct err *e)
{
	struct stat st;
	int r = rundir_check(dir, true, e);

	if (r)
		return r;
	if (lstat(sock, &st))
		return err_set(e, -errno, "%s: %s", sock, strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return err_set(e, -EPERM, "%s is not a socket: refusing to use it", sock);
	if (st.st_uid != geteuid() && st.st_uid != 0)
		return err_set(e, -EPERM, "%s is owned by uid %u, not by this user or root: refusing to talk to it",
			       sock, (unsigned)st.st_uid);
	return 0;
}

int rundir_fuse_name(const char *dir, char *out, size_t size, struct err *e)
{
	struct stat st;

	if (stat(dir, &st))
		return err_set(e, -errno, "%s: %s", dir, strerror(errno));
	if ((size_t)snprintf(out, size, "ulvmd-%llx-%llx", (unsigned long long)st.st_dev,
			     (unsigned long long)st.st_ino) >= size)
		return err_set(e, -ENAMETOOLONG, "%s: name too long", dir);
	return 0;
}
