/* Where ulvm finds its PVs and keeps its files, and how a VG is read from
 * the PVs and committed back.
 *
 * Config dir: --config-dir DIR, else $ULVM_CONF_DIR, else /etc/ulvm for
 * root, else $XDG_CONFIG_HOME/ulvm (~/.config/ulvm).  It holds
 *   ulvm.conf   lvm.conf syntax, the settings of docs/ulvm.conf.5.md
 *   devices     the devices file, as LVM2's system.devices: one line per
 *               PV, "IDTYPE=devname IDNAME=<path> DEVNAME=<path> PVID=<id>"
 *               (a bare path per line is accepted too)
 *   archive/    <vg>_<NNNNN>-<random>.vg: the metadata before each change
 *   backup/     <vg>: the metadata after the last change
 *   locks/      lock files, only where lvm2's locking_dir cannot be
 *               written (lock.c)
 * The devices are the devices file's, or --devices a,b,c; /dev is never
 * scanned.
 *
 * Reading a VG: every device is scanned (label, mdas); the PVs whose best
 * metadata names the VG are grouped, the highest seqno wins, and every
 * PV the text lists is matched by its id against the labels found.  A PV
 * not found is missing (reported by its uuid); an mda with an older
 * seqno is stale and gets the new text on the next commit (the commit
 * writes every mda of every present PV).  Two devices with the same PV
 * uuid, or two VGs of one name with different ids, are refused.
 *
 * Commit (crash safety): the old metadata goes to archive/ first, then
 * the text is written with pv_write_metadata's three rounds (text, flush,
 * precommit, commit over all mdas; a command killed at any point leaves
 * each mda on the old or the new copy and readers take the highest
 * seqno), then backup/<vg> is replaced (write to a temporary, rename).
 */
#ifndef ULVM_LVM_DEVICES_H
#define ULVM_LVM_DEVICES_H

#include <limits.h>
#include <stdbool.h>

#include "common/log.h"
#include "lvm/config.h"
#include "lvm/pv.h"
#include "lvm/vg.h"

struct lvm_dev {
	char *path; /* absolute, canonical */
	struct pv *pv; /* NULL: no label or unreadable, see status */
	int status;
	struct err why;
	bool in_file; /* listed in the devices file */
	/* The PVID the devices file gives it ("" for none): written back as
	 * it was while no PV is scanned on it (unreadable, left out). */
	char file_pvid[LVM_ID_LEN + 1];
	/* The VG whose metadata (on another PV) names this PV's uuid, when
	 * its own mdas hold none (--pvmetadatacopies 0, ignored mdas): it
	 * belongs to that VG all the same.  Points into the scan. */
	const char *owner;
};

struct lvm_env {
	char confdir[PATH_MAX];
	struct cfg_tree *conf; /* ulvm.conf, or NULL */
	struct cfg_tree *override; /* --config: settings over ulvm.conf's, or NULL */
	bool from_cmdline;     /* --devices */
	bool rw;
	unsigned ndev;
	struct lvm_dev *dev;
	const char *cmdline; /* "lvcreate -L 1G -n home vg0", for descriptions */
	bool archive, backup;
	bool importing; /* vgimport: an exported VG may be read for a change */
	/* lvm2's activation/activation_mode (--activationmode, -P): what an
	 * LV with parts on missing PVs activates as.  degraded (the default):
	 * raid LVs that can run without them; partial: any LV, the missing
	 * parts mapped to activation/missing_stripe_filler ("error", or
	 * "zero"); complete: none. */
	enum { LVM_ACT_DEGRADED, LVM_ACT_PARTIAL, LVM_ACT_COMPLETE } activation_mode;
	char system_id[256]; /* the local system ID (global/system_id_source), "" when none */
	const char *run_dir; /* ulvmd's, for PVs that are its devices (/dev/mapper/NAME); NULL: default */
};

int lvm_confdir_resolve(const char *opt, char *out, size_t size, struct err *e);
/* Resolve the config dir, read ulvm.conf and the devices list (not yet
 * scanned).  @devices: the --devices argument or NULL; @override: the
 * --config settings (cfg_parse_settings), which win over ulvm.conf's,
 * or NULL; the environment owns them from here, even on failure. */
int lvm_env_init(struct lvm_env *env, const char *confdir, const char *devices, struct cfg_tree *override,
		 const char *cmdline, bool rw, struct err *e);
void lvm_env_free(struct lvm_env *env);
/* "degraded", "partial" or "complete" into env->activation_mode. */
int lvm_activation_mode_set(struct lvm_env *env, const char *mode, struct err *e);
/* Scan every device; warnings for unreadable ones go to the log.
 * Duplicate PV uuids are refused. */
int lvm_scan(struct lvm_env *env, struct err *e);
/* Leave @path out of the next scan (vgimportclone: a copy's devices share
 * their PV uuids with the original's); a devices file keeps listing it. */
void lvm_env_skip_path(struct lvm_env *env, const char *path);
/* Add @path to the set (scanned at once if the set is scanned). */
int lvm_env_add_path(struct lvm_env *env, const char *path, struct lvm_dev **out, struct err *e);
struct lvm_dev *lvm_find_dev(struct lvm_env *env, const char *path);
/* @path as the devices list keeps it: a file or block device's real path;
 * an NBD URI or /dev/mapper/NAME of ulvmd as written.  0 or -errno. */
int lvm_canon_path(const char *path, char *out, size_t size);
/* Read or write (durably) @len bytes at @off of the device @path (any
 * kind lvm_open_dev opens); 0 or -errno with @e naming @what. */
int lvm_dev_pread(const char *path, void *buf, size_t len, uint64_t off, struct err *e);
int lvm_dev_pwrite(const char *path, const void *buf, size_t len, uint64_t off, const char *what, struct err *e);
/* Open a listed device (a path, /dev/mapper/NAME of ulvmd, an NBD URI). */
int lvm_open_dev(const struct lvm_env *env, const char *path, unsigned flags, struct dev **out, struct err *e);
/* Rewrite the devices file with @path added (uuid @id32) or removed. */
int lvm_devices_file_update(struct lvm_env *env, const char *path, const char *id32, bool add,
			    struct err *e);

/* The names of the VGs found, sorted; *names malloc'ed (strings point
 * into the scan). */
int lvm_vg_names(struct lvm_env *env, const char ***names, unsigned *n, struct err *e);
/* The VG a device's PV belongs to (by its best text, else by the text of
 * any VG that lists its uuid), or NULL. */
const char *lvm_dev_vgname(const struct lvm_dev *d);
/* The PV's label says it is in a VG (PV_EXT_USED) but no VG scanned names
 * it: its metadata is on PVs not in the device set.  Not an orphan. */
bool lvm_dev_used_unknown(const struct lvm_dev *d);

struct vgh {
	struct vg *vg;
	char *old_text; /* the committed text read, NULL for a new VG */
	uint32_t max_seqno;
	unsigned missing;
	/* Commits may go ahead with PVs missing (lvconvert --repair, as
	 * lvm2's partial handling): those get the MISSING flag. */
	bool partial;
	/* Metadata areas skipped as damaged and PVs shorter than their
	 * metadata says (truncated): the VG reads, but a commit is refused
	 * so that nothing is written over what may be the only good copy. */
	unsigned damaged;
	struct err damage; /* the first one */
	unsigned writes;
	int lock_fd;
	/* Outdated PVs: metadata of this VG at an older seqno on a PV the VG
	 * no longer lists (removed while it was missing); vgck
	 * --updatemetadata wipes them, as lvm2's _wipe_outdated_pvs. */
	struct lvm_dev **outdated;
	unsigned noutdated;
};
/* May this host use @vg, as lvm2's access checks: not exported (vgexport),
 * no foreign system ID (one set and not the local system ID), no
 * lock_type ulvm has no lock manager for (sanlock, dlm).  @what: "change"
 * or "activate", for the message.  -EACCES with lvm2's wording. */
int lvm_vg_access(const struct lvm_env *env, const struct vg *vg, const char *what, struct err *e);
/* @vg's system ID names another host (lvm2 leaves it out of reports
 * unless --foreign). */
bool lvm_vg_foreign(const struct lvm_env *env, const struct vg *vg);
/* Lock (shared, or exclusive when the env is rw) and read VG @name.  A
 * change (rw) is refused by lvm_vg_access. */
int lvm_vg_read(struct lvm_env *env, const char *name, struct vgh *h, struct err *e);
/* The same, of the VG named @name whose id is @vgid (32 characters, no
 * dashes; NULL: any): one of two VGs that share a name. */
int lvm_vg_read_id(struct lvm_env *env, const char *name, const char *vgid, struct vgh *h, struct err *e);
/* The name of the VG whose id is @vgid, as scanned; NULL: none. */
const char *lvm_vg_name_of_id(const struct lvm_env *env, const char *vgid);
/* A new VG: lock its name, refuse an existing one. */
int lvm_vg_create(struct lvm_env *env, struct vg *vg, struct vgh *h, struct err *e);
void lvm_vg_release(struct vgh *h);
/* Archive, write (seqno = highest read + 1), back up.  Refused while a
 * PV of the VG is missing (vgreduce --removemissing first) or damaged. */
int lvm_vg_commit(struct lvm_env *env, struct vgh *h, struct err *e);
/* What lvm_vg_commit refuses before it writes (a PV missing, an area
 * damaged), checked alone: commands that write two VGs check both first. */
int lvm_vg_writable(const struct vgh *h, struct err *e);
/* vgextend --restoremissing of @p: a PV back but marked missing is used
 * again (its MISSING flag goes at the next commit).  -EALREADY: it was
 * not marked missing. */
int lvm_vg_restore_missing(struct vgh *h, struct vg_pv *p);
/* vgck --updatemetadata (lvm2's): metadata areas of @h's PVs whose header
 * is damaged get a fresh one, as pvcreate writes it, then the VG is
 * committed to every area, so damaged texts and older copies are
 * replaced.  *@fixed: the areas that were damaged.  A truncated PV, or a
 * missing one, still refuses. */
int lvm_vg_update_metadata(struct lvm_env *env, struct vgh *h, unsigned *fixed, struct err *e);
/* vgremove: clear every mda of the VG, mark its PVs orphans. */
int lvm_vg_wipe(struct lvm_env *env, struct vgh *h, struct err *e);
/* vgcfgbackup -f: the backup text of @h's VG into @path. */
int lvm_vg_backup_to(struct lvm_env *env, const struct vgh *h, const char *path, struct err *e);

/* Locks shared with lvm2 (lock.c): V_<vg> for a VG, P_global for the PV
 * set (pvcreate, vgcreate, ...), in lvm2's locking_dir.  -errno.  *fd = -1
 * when no lock dir can be written and the lock is shared (reading
 * without a lock is allowed). */
int lvm_lock(struct lvm_env *env, const char *name, bool excl, int *fd, struct err *e);
void lvm_unlock(int fd);
int lvm_mkdirs(const char *dir);

/* Settings of ulvm.conf, with defaults: lvm/settings.h. */

#endif
