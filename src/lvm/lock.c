/* Locks that lvm2 honours: its file locking (lib/misc/lvm-flock.c,
 * lib/locking/file_locking.c), so that `ulvm lvcreate` and `lvm lvcreate`
 * on one VG run one after the other instead of both writing the
 * metadata from the same old copy (one of the new LVs would be lost).
 *
 *   <locking_dir>/V_<vg>    a VG's metadata: shared to read, exclusive to
 *                           change
 *   <locking_dir>/P_global  the set of PVs and VG names: pvcreate,
 *                           pvremove, vgcreate, vgextend, vgreduce, ...
 * locking_dir is ulvm.conf's global/locking_dir, else lvm2's default
 * /run/lock/lvm; only where that cannot be made or written does ulvm fall
 * back to <confdir>/locks (then it serialises with itself alone, and says
 * so with -v).
 *
 * The protocol is lvm2's, step for step:
 *  - with global/prioritise_write_locks (lvm2's default), take
 *    "<file>:aux" exclusively around taking <file>, so that a writer is
 *    not starved by a stream of readers;
 *  - open <file> with O_CREAT|O_APPEND|O_RDWR, flock() it, and check that
 *    the path still names the inode locked (a releasing process may have
 *    unlinked it meanwhile): if not, start again;
 *  - to release, try an exclusive non-blocking flock and, when it is
 *    ours alone and the path still names it, unlink the file; close.
 */
#include "lvm/devices.h"
#include "lvm/settings.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>


static int lock_dir(struct lvm_env *env, char *dir, size_t size)
{
	const char *d = lvm_setting_str(env, "global/locking_dir");

	if ((size_t)snprintf(dir, size, "%s", d) < size && !lvm_mkdirs(dir) && !access(dir, W_OK | X_OK))
		return 0;
	log_info("cannot use lvm2's lock dir %s; locking in %s/locks, which lvm2 does not see", d, env->confdir);
	if ((size_t)snprintf(dir, size, "%s/locks", env->confdir) >= size)
		return -ENAMETOOLONG;
	return lvm_mkdirs(dir);
}

static bool same_file(const char *path, int fd)
{
	struct stat a, b;

	return !stat(path, &a) && !fstat(fd, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static int do_flock(const char *path, int op, int *fd)
{
	for (;;) {
		if ((*fd = open(path, O_CREAT | O_APPEND | O_RDWR | O_CLOEXEC, 0777)) < 0)
			return -errno;
		if (flock(*fd, op)) {
			int r = -errno;

			close(*fd);
			*fd = -1;
			return r;
		}
		if (same_file(path, *fd))
			return 0;
		close(*fd); /* unlinked by its last holder meanwhile */
	}
}

static void undo_flock(const char *path, int fd)
{
	if (!flock(fd, LOCK_EX | LOCK_NB) && same_file(path, fd))
		unlink(path);
	close(fd);
}

int lvm_lock(struct lvm_env *env, const char *name, bool excl, int *fd, struct err *e)
{
	char dir[PATH_MAX], path[PATH_MAX + 200], aux[PATH_MAX + 210];
	int r, afd = -1;

	*fd = -1;
	if ((r = lock_dir(env, dir, sizeof(dir)))) {
		if (!excl)
			return 0; /* a reader without a writable lock dir */
		return err_set(e, r, "cannot make a lock dir: %s", strerror(-r));
	}
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(aux, sizeof(aux), "%s:aux", path);
	if (lvm_setting_int(env, "global/prioritise_write_locks") && (r = do_flock(aux, LOCK_EX, &afd)))
		return err_set(e, r, "lock %s: %s", aux, strerror(-r));
	if (afd >= 0 && !excl) /* a reader lets the aux lock go first, as lvm2 */
		undo_flock(aux, afd), afd = -1;
	r = do_flock(path, excl ? LOCK_EX : LOCK_SH, fd);
	if (afd >= 0)
		undo_flock(aux, afd);
	if (r) {
		if (!excl && (r == -EACCES || r == -EROFS || r == -EPERM))
			return 0;
		return err_set(e, r, "lock %s: %s", path, strerror(-r));
	}
	return 0;
}

void lvm_unlock(int fd)
{
	char link[64], path[PATH_MAX];
	ssize_t n;

	if (fd < 0)
		return;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	if (n <= 0) {
		close(fd);
		return;
	}
	path[n] = 0;
	flock(fd, LOCK_UN | LOCK_NB);
	undo_flock(path, fd);
}
