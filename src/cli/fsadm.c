/* lvresize -r: see fsadm.h. */
#include "cli/fsadm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <blkid.h>

#include "common/dmctl.h"
#include "common/rundir.h"
#include "common/subprocess.h"
#include "io/dev.h"
#include "lvm/activate.h"

/* Run @argv, its output the user's, but for the lines of its standard
 * error holding @drop (NULL: none); its exit status, or -errno. */
static int run_drop(const char *const argv[], const char *drop)
{
	int r = spawn_wait(argv, &(struct spawn_io){ .drop = drop });

	if (r < 0)
		fprintf(stderr, "  %s: %s\n", argv[0], strerror(-r));
	return r;
}

static int run(const char *const argv[]) { return run_drop(argv, NULL); }

/* The mount point of the FUSE export of this command's ulvmd: the
 * mountinfo line whose type is "fuse.ulvmd" and source @fsname (fields:
 * the mount point is the 5th, type and source follow " - "). */
static bool ulvmd_fuse_dir(const char *fsname, char *out, size_t size)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[4096], mp[PATH_MAX], want[128];
	bool found = false;

	if (!f)
		return false;
	snprintf(want, sizeof(want), "fuse.ulvmd %s ", fsname);
	while (!found && fgets(line, sizeof(line), f)) {
		const char *sep = strstr(line, " - ");

		if (!sep || strncmp(sep + 3, want, strlen(want)) || sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1)
			continue;
		snprintf(out, size, "%s", mp); /* octal escapes (\040) left: such a path is not matched */
		found = true;
	}
	fclose(f);
	return found;
}

/* Where block device @rdev is mounted ("" when not). */
static void mounted_at(dev_t rdev, char *out, size_t size)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[4096], mp[PATH_MAX];
	unsigned ma, mi;

	out[0] = 0;
	if (!f)
		return;
	while (!out[0] && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %*s %u:%u %*s %4095s", &ma, &mi, mp) == 3 && ma == major(rdev) &&
		    mi == minor(rdev))
			snprintf(out, size, "%s", mp);
	fclose(f);
}

/* The loop device whose backing file is @file, into @out ("" when none). */
static void loop_over(const char *file, char *out, size_t size)
{
	DIR *dir = opendir("/sys/block");
	struct dirent *de;

	out[0] = 0;
	while (dir && !out[0] && (de = readdir(dir))) {
		char p[300], back[PATH_MAX] = "";
		FILE *f;

		if (strncmp(de->d_name, "loop", 4))
			continue;
		snprintf(p, sizeof(p), "/sys/block/%s/loop/backing_file", de->d_name);
		if (!(f = fopen(p, "r")))
			continue;
		if (fgets(back, sizeof(back), f))
			back[strcspn(back, "\n")] = 0;
		fclose(f);
		if (!strcmp(back, file))
			snprintf(out, size, "/dev/%s", de->d_name);
	}
	if (dir)
		closedir(dir);
}

static void nbdfuse_stop(struct fsadm *f)
{
	if (f->nbdfuse > 0) {
		const char *um[] = { "fusermount3", "-u", f->dir, NULL };
		int st;

		if (run(um))
			kill(f->nbdfuse, SIGTERM);
		waitpid(f->nbdfuse, &st, 0);
		f->nbdfuse = 0;
	}
}

/* A private nbdfuse mount of the LV's export (f->uri): f->dir/nbd. */
static int nbdfuse_start(struct fsadm *f)
{
	pid_t pid;

	if (!f->dir[0]) {
		snprintf(f->dir, sizeof(f->dir), "/tmp/ulvm-fsadm.XXXXXX");
		if (!mkdtemp(f->dir)) {
			f->dir[0] = 0;
			return lvm_fail("fsadm: a directory for the filesystem of %s: %s", f->lvname, strerror(errno));
		}
	}
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) < 0)
		return lvm_fail("fsadm: fork: %s", strerror(errno));
	if (!pid) {
		int null = open("/dev/null", O_RDWR);

		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
		}
		execlp("nbdfuse", "nbdfuse", f->dir, f->uri, (char *)NULL);
		fprintf(stderr, "  fsadm: nbdfuse: %s\n", strerror(errno));
		_exit(127);
	}
	f->nbdfuse = pid;
	snprintf(f->file, sizeof(f->file), "%s/nbd", f->dir);
	for (int i = 0; i < 200; i++) { /* the file appears once it is mounted */
		struct stat st;
		int s;

		if (!stat(f->file, &st) && S_ISREG(st.st_mode))
			return 0;
		if (waitpid(pid, &s, WNOHANG) == pid) {
			f->nbdfuse = 0;
			return lvm_fail("fsadm: nbdfuse could not serve %s as a file", f->lvname);
		}
		nanosleep(&(struct timespec){ .tv_nsec = 20 * 1000 * 1000 }, NULL);
	}
	nbdfuse_stop(f);
	return lvm_fail("fsadm: nbdfuse did not serve %s as a file in 4 s", f->lvname);
}

/* The filesystem's type, as blkid says (fsadm's `blkid -o value -s TYPE`). */
static int fs_type(struct fsadm *f)
{
	blkid_probe pr = blkid_new_probe_from_filename(f->file);
	const char *t = NULL;
	int r = -1;

	if (pr) {
		blkid_probe_enable_superblocks(pr, 1);
		blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
		if (!blkid_do_safeprobe(pr) && !blkid_probe_lookup_value(pr, "TYPE", &t, NULL) && t) {
			snprintf(f->type, sizeof(f->type), "%s", t);
			r = 0;
		}
		blkid_free_probe(pr);
	}
	return r;
}

static bool is_ext(const struct fsadm *f)
{
	return !strcmp(f->type, "ext2") || !strcmp(f->type, "ext3") || !strcmp(f->type, "ext4");
}

int fsadm_check(struct lvm_cmd *c, struct dmctl *d, const struct vg *vg, const struct vg_lv *lv, bool nofsck,
		struct fsadm *f)
{
	char dir[PATH_MAX], rundir[PATH_MAX], fsname[64];
	struct err e = { { 0 } };
	int open;

	memset(f, 0, sizeof(*f));
	lv_export_name(vg, lv, f->lvname, sizeof(f->lvname));
	if ((open = lv_open_count(c, d, vg, lv)) < 0)
		return lvm_fail("Logical volume %s/%s must be activated before resizing filesystem.", vg->name,
				lv->name);
	if (!rundir_resolve(c->g->run_dir, rundir, sizeof(rundir), &e) &&
	    !rundir_fuse_name(rundir, fsname, sizeof(fsname), &e) && ulvmd_fuse_dir(fsname, dir, sizeof(dir))) {
		char file[PATH_MAX + 2 * LVM_NAME_LEN + 2];
		struct stat st;

		snprintf(file, sizeof(file), "%s/%s", dir, f->lvname);
		if (stat(file, &st) || !S_ISREG(st.st_mode))
			file[0] = 0;
		if (file[0])
			loop_over(file, f->loop, sizeof(f->loop));
		if (f->loop[0]) {
			struct stat ls;

			if (!stat(f->loop, &ls))
				mounted_at(ls.st_rdev, f->mnt, sizeof(f->mnt));
			snprintf(f->file, sizeof(f->file), "%s", f->loop);
		} else if (file[0] && !open) {
			snprintf(f->file, sizeof(f->file), "%s", file);
		}
	}
	if (f->loop[0] && !f->mnt[0] && open > 1) {
		fsadm_close(f);
		return lvm_fail("fsadm: %s/%s is open by more than the loop device %s over ulvmd's FUSE file: resize "
				"its filesystem where it is used.", vg->name, lv->name, f->loop);
	}
	if (!f->file[0] && open > 0)
		return lvm_fail("fsadm: %s/%s is open (an NBD client, or a file of ulvmd's FUSE export held open), and "
				"not through a loop device over ulvmd's FUSE file: resize its filesystem where it "
				"is used.", vg->name, lv->name);
	if (!f->file[0]) {
		if (dev_export_uri(c->g->run_dir, f->lvname, f->uri, sizeof(f->uri), &e))
			return lvm_fail("%s", e.msg);
		if (nbdfuse_start(f))
			return LVM_FAILED;
	}
	if (fs_type(f)) {
		fsadm_close(f);
		lvm_fail("fsadm: Cannot get FSTYPE of \"%s/%s\".", vg->name, lv->name);
		return lvm_fail("Filesystem check failed.");
	}
	if (!is_ext(f)) {
		fsadm_close(f);
		lvm_fail("fsadm: Filesystem \"%s\" on device \"%s/%s\" is not supported by this tool.", f->type,
			 vg->name, lv->name);
		return lvm_fail("Filesystem check failed.");
	}
	if (f->mnt[0]) {
		printf("  fsadm: Skipping filesystem check for device \"%s/%s\" as the filesystem is mounted on %s\n",
		       vg->name, lv->name, f->mnt);
		return 0;
	}
	if (!nofsck) {
		const char *fsck[] = { "e2fsck", "-f", "-p", f->file, NULL }; /* fsadm's: safe repairs only */

		if (run(fsck)) {
			fsadm_close(f);
			return lvm_fail("Filesystem check failed.");
		}
	}
	return 0;
}

int fsadm_resize(struct fsadm *f, uint64_t bytes, bool shrink)
{
	char size[32];
	const char *rs[] = { "resize2fs", f->file, size, NULL };

	if (shrink && f->mnt[0])
		return lvm_fail("fsadm: Cannot reduce the filesystem of %s mounted on %s: unmount it first.", f->lvname,
				f->mnt);
	if (f->loop[0]) { /* the loop device takes the LV's new size */
		const char *lc[] = { "losetup", "-c", f->loop, NULL };

		if (!shrink && run(lc))
			return lvm_fail("fsadm: losetup -c %s failed", f->loop);
	} else if (f->nbdfuse && !shrink) { /* nbdfuse knows the size it connected with */
		nbdfuse_stop(f);
		if (nbdfuse_start(f))
			return LVM_FAILED;
	}
	snprintf(size, sizeof(size), "%lluK", (unsigned long long)(bytes / 1024));
	/* a smaller filesystem in a regular file: resize2fs then truncates the
	 * file, which an LV's file refuses (its size is the LV's) */
	if (run_drop(rs, shrink && !f->loop[0] ? "while trying to truncate" : NULL))
		return lvm_fail("Filesystem resize failed.");
	return 0;
}

void fsadm_close(struct fsadm *f)
{
	if (f->loop[0]) { /* the LV's size now, grown or shrunk, or as it was */
		const char *lc[] = { "losetup", "-c", f->loop, NULL };

		run(lc);
		f->loop[0] = 0;
	}
	nbdfuse_stop(f);
	if (f->dir[0]) {
		rmdir(f->dir);
		f->dir[0] = 0;
	}
}
