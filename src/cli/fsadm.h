/* lvresize/lvextend/lvreduce -r (--resizefs): lvm2's fsadm for the LVs of
 * ulvmd, which have no kernel block device of their own.
 *
 * Where the filesystem is reached, in this order:
 *  1. a loop device over the LV's file in the FUSE export of this
 *     command's ulvmd (`ulvmd --fuse DIR`, found by its "fuse.ulvmd" line
 *     in /proc/self/mountinfo, named after its run dir, rundir_fuse_name;
 *     the loop device by its backing file): the
 *     filesystem is then used through that loop device, which is how it
 *     gets mounted; if it is mounted, online (resize2fs grows a mounted
 *     ext3/ext4, as fsadm lets it), after `losetup -c` has told the loop
 *     device the LV's new size;
 *  2. else, or when more than that loop device holds the LV open, when
 *     the LV is open (an NBD client, a FUSE file held open): refused, since something ulvm cannot see into may have the
 *     filesystem mounted, and checking or resizing it under that would
 *     corrupt it;
 *  3. else the LV's file in ulvmd's FUSE export, or, without one, a private
 *     `nbdfuse` mount of the LV's NBD export, for e2fsck and resize2fs.
 *
 * Filesystems: ext2, ext3, ext4 (e2fsck -f -p, resize2fs), as fsadm; a
 * mounted one is only grown (fsadm would unmount it to shrink it; here
 * the user unmounts).  Others are refused with fsadm's words.  Nothing is
 * changed before the checks pass: the caller resizes the LV only after
 * fsadm_check (and, when reducing, fsadm_resize to the smaller size).
 */
#ifndef ULVM_CLI_FSADM_H
#define ULVM_CLI_FSADM_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cli/lvm_cmds.h"

struct fsadm {
	char lvname[2 * LVM_NAME_LEN + 2]; /* vg/lv: the export's name */
	char file[PATH_MAX + 2 * LVM_NAME_LEN + 2]; /* what e2fsck and resize2fs open */
	char loop[300];                    /* the loop device over ulvmd's file, or "" */
	char mnt[PATH_MAX];                /* where that is mounted, or "" */
	char type[32];                     /* blkid's TYPE */
	char dir[64];                      /* the private nbdfuse mount, or "" */
	char uri[8192];                    /* the LV's NBD export, for nbdfuse */
	pid_t nbdfuse;
};

/* lvm2's _request_confirmation and `fsadm check`: the LV must be active;
 * find where its filesystem is reached, know its type, and fsck it unless
 * mounted or @nofsck.  0, or lvm_fail's code (the LV is not changed). */
int fsadm_check(struct lvm_cmd *c, struct dmctl *d, const struct vg *vg, const struct vg_lv *lv, bool nofsck,
		struct fsadm *f);
/* `fsadm resize`: the filesystem to @bytes (the LV's new size). */
int fsadm_resize(struct fsadm *f, uint64_t bytes, bool shrink);
void fsadm_close(struct fsadm *f);

#endif
