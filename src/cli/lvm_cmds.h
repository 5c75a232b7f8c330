/* The lvm2 verbs of ulvm (`ulvm pvcreate`, `ulvm lvs`, ...).
 *
 * Two declarative tables in lvm_cmds.c, as lvm2's own short options
 * differ by verb: the change verbs (-a is --activate, -f --force) and the
 * report verbs (-a is --all, -f --file for vgcfgbackup/vgcfgrestore).
 * The handlers live in lvm_pv.c, lvm_vg.c, lvm_lv.c and lvm_report.c;
 * activation (talking to ulvmd) in lvm_activate.c.  Every handler returns
 * the exit status: 0, or 5 (ECMD_FAILED, as lvm2) after printing why.
 */
#ifndef ULVM_CLI_LVM_CMDS_H
#define ULVM_CLI_LVM_CMDS_H

#include <stdbool.h>

#include "cli/client.h"
#include "cli/cmdline.h"
#include "common/dmctl.h"
#include "lvm/activate.h"
#include "lvm/devices.h"

#define LVM_FAILED 5
#define LVM_EINVALID 3 /* lvm2's EINVALID_CMD_LINE: a bad option value */

/* Options of the change family. */
enum {
	C_SIZE, C_EXTENTS, C_NAME, C_STRIPES, C_STRIPESIZE, C_TYPE, C_ACTIVATE, C_YES, C_FORCE,
	C_ALLOC, C_PESIZE, C_MDCOPIES, C_PVMDCOPIES, C_MDSIZE, C_DATAALIGN, C_UUID, C_ZERO, C_WIPE,
	C_ALLOCATABLE, C_REMOVEMISSING, C_SETPVSIZE, C_ALL,
	C_THIN, C_VIRTUALSIZE, C_SNAPSHOT, C_THINPOOL, C_CHUNKSIZE, C_POOLMDSIZE, C_DISCARDS, C_USEPOLICIES,
	C_PERMISSION, C_IGNORESKIP, C_SYSTEMID, C_SETAUTOACT, C_MIRRORS, C_REGIONSIZE, C_NOSYNC,
	C_REPAIR, C_SYNCACTION, C_REBUILD, C_REFRESH, C_SPLITMIRRORS, C_TRACKCHANGES, C_MERGE,
	C_MAXRECOVERY, C_MINRECOVERY, C_MIRRORLOG, C_INTERVAL, C_ABORT, C_ATOMIC, C_POLL,
	C_ADDTAG, C_DELTAG, C_SELECT,
	C_CACHEPOOL, C_CACHEVOL, C_CACHEMODE, C_CACHEPOLICY, C_CACHESETTINGS, C_CACHEMDFORMAT, C_SPLITCACHE,
	C_UNCACHE, C_WRITEMOSTLY, C_WRITEBEHIND, C_BASEVGNAME, C_IMPORT, C_ADDDEV, C_DELDEV, C_DELPVID, C_CHECK,
	C_UPDATE, C_RESTOREMISSING, C_NEWUUID, C_ACTMODE, C_PARTIAL, C_RESTOREFILE, C_NORESTOREFILE, C_ADDPVID, C_POOLMETADATA, C_SWAPMETADATA,
	C_ORIGINNAME, C_CACHEDEVICE, C_CACHESIZE, C_RESIZEABLE, C_MAXLV, C_MAXPV, C_MAXLVS, C_MDIGNORE, C_VGMDCOPIES, C_RESIZEFS, C_NOFSCK, C_TYPECONFIG, C_WITHSUMMARY, C_WITHCOMMENTS, C_CONTIGUOUS, C_SETACTSKIP, C_READAHEAD,
	C_ERRORWHENFULL,
	C_COMMON
};
/* Options of the report family. */
enum {
	R_OPTIONS = 0, R_UNITS, R_NOHEADINGS, R_SEPARATOR, R_NOSUFFIX, R_REPORTFORMAT, R_ALL,
	R_SEGMENTS, R_SORT, R_FILE, R_FORCE, R_COLUMNS, R_FOREIGN, R_NAMEPREFIXES, R_UNQUOTED, R_ROWS, R_ALIGNED,
	R_MAPS, R_UNBUFFERED, R_BINARY, R_UPDATEMETADATA, R_SHORT, R_UUIDS, R_EXPORTED, R_NOVOLUMEGROUP,
	R_SELECT, R_DUMP, R_SETTINGS, R_LABELSECTOR, R_LIST, R_READONLY,
	R_COMMON
};
/* Options both have, after their own. */
enum { G_DEVICES, G_CONFDIR, G_CONFIG, G_RUNDIR, G_VERBOSE, G_QUIET, G_HELP, G_COUNT };

/* --addtag and --deltag, checked, without the '@' lvm2 allows. */
struct lvm_tags {
	const char **add, **del;
	unsigned nadd, ndel;
};

struct lvm_cmd {
	const struct cli_globals *g;
	const struct cli_spec *spec;
	struct cli_args a;
	struct lvm_tags tags;
	int common; /* index of the first common option in this family */
	struct lvm_env env;
	char cmdline[4096];
	const char *verb;
};

static inline bool opt_set(const struct lvm_cmd *c, int o) { return c->a.set & CLI_BIT(o); }
static inline const char *opt_val(const struct lvm_cmd *c, int o) { return c->a.val[o]; }

/* Apply --addtag/--deltag to @t. */
int lvm_apply_tags(const struct lvm_cmd *c, struct strv *t);
static inline bool lvm_tags_given(const struct lvm_cmd *c) { return c->tags.nadd || c->tags.ndel; }

/* lvm2's yes_no_prompt(): true with --yes, else asks "@question [y/n]: "
 * and reads a 'y' on standard input. */
bool lvm_confirm(const struct lvm_cmd *c, const char *question);
/* "No command with matching syntax recognised" (lvm_lv.c): LVM_EINVALID. */
int lvm_no_syntax(const struct lvm_cmd *c);

/* Print "  message" to stderr as lvm2 does, and return LVM_FAILED. */
int lvm_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* lvm2's VG limits: 0 when @vg may gain or lose PVs, else lvm_fail with
 * "Volume group VG is not resizeable." (vgchange -x n); 0 when a new
 * visible LV stays within its MaxLogicalVolume (vgchange -l), else
 * lvm2's "Maximum number of logical volumes (N) reached ...". */
int lvm_vg_resizeable(const struct vg *vg);
int lvm_vg_lv_room(const struct vg *vg);
/* Set up the environment and scan the devices. */
int lvm_setup(struct lvm_cmd *c, bool rw);
/* The environment's configuration only (lvmconfig): no scan. */
int lvm_setup_config(struct lvm_cmd *c);
/* "vg/lv" or "lv" with @vgdef; -1 with a message when malformed. */
int lvm_split_lvname(const char *arg, char *vg, size_t vgsize, const char **lv);
/* The PV arguments after the VG/LV: allowed PVs and PE ranges (*r
 * malloc'ed, *n of them). */
struct alloc_range;
int lvm_pv_args(struct vgh *h, int argc, char **argv, struct alloc_range **r, unsigned *n);
int lvm_split_dmname(const char *arg, char *vg, size_t vgsize, char *lv, size_t lvsize);

int lvm_pvcreate(void *ctx, int argc, char **argv);
int lvm_lvmconfig(void *ctx, int argc, char **argv);
int lvm_pvremove(void *ctx, int argc, char **argv);
int lvm_pvresize(void *ctx, int argc, char **argv);
int lvm_pvmove(void *ctx, int argc, char **argv);
int lvm_pvchange(void *ctx, int argc, char **argv);
int lvm_vgcreate(void *ctx, int argc, char **argv);
int lvm_vgextend(void *ctx, int argc, char **argv);
int lvm_vgreduce(void *ctx, int argc, char **argv);
int lvm_vgremove(void *ctx, int argc, char **argv);
int lvm_vgrename(void *ctx, int argc, char **argv);
int lvm_vgsplit(void *ctx, int argc, char **argv);
int lvm_vgmerge(void *ctx, int argc, char **argv);
int lvm_vgimportclone(void *ctx, int argc, char **argv);
int lvm_lvmdevices(void *ctx, int argc, char **argv);
int lvm_vgimportdevices(void *ctx, int argc, char **argv);
int lvm_vgchange(void *ctx, int argc, char **argv);
int lvm_vgck(void *ctx, int argc, char **argv);
int lvm_pvck(void *ctx, int argc, char **argv);
/* A backup or archive file read and parsed: its tree (*@t, the caller's
 * to free, even on failure) and VG section (*@v).  0 or -errno, @e
 * naming the file. */
int lvm_backup_read(const char *path, struct cfg_tree **t, struct cfg_node **v, struct err *e);
/* vgcfgrestore --list: VG's archives and backup, or @file alone. */
int lvm_vgcfg_list(struct lvm_cmd *c, const char *vg, const char *file);
int lvm_vgexport(void *ctx, int argc, char **argv); /* and vgimport */
int lvm_vgcfgbackup(void *ctx, int argc, char **argv);
int lvm_vgcfgrestore(void *ctx, int argc, char **argv);
int lvm_lvcreate(void *ctx, int argc, char **argv);
int lvm_lvresize(void *ctx, int argc, char **argv); /* lvextend, lvreduce, lvresize */
int lvm_lvrename(void *ctx, int argc, char **argv);
int lvm_lvremove(void *ctx, int argc, char **argv);
int lvm_lvchange(void *ctx, int argc, char **argv);
int lvm_lvconvert(void *ctx, int argc, char **argv);
int lvm_report(void *ctx, int argc, char **argv);  /* pvs, vgs, lvs */
int lvm_pvscan(void *ctx, int argc, char **argv);  /* lvm_scan.c */
int lvm_vgscan(void *ctx, int argc, char **argv);
int lvm_lvscan(void *ctx, int argc, char **argv);
int lvm_display(void *ctx, int argc, char **argv); /* pvdisplay, vgdisplay, lvdisplay */
int lvm_display_long(struct lvm_cmd *c, int argc, char **argv); /* lvm_display.c */

/* ---- activation through ulvmd (lvm_activate.c) ---- */
/* Connect once to the daemon of the command's run directory; false when
 * none runs (the reason in d->why). */
static inline bool lvm_daemon_up(struct lvm_cmd *c, struct dmctl *d)
{
	if (!d->tried)
		d->run_dir = c->g->run_dir;
	return dmctl_up(d);
}
/* --poll y|n checked (0, or lvm_fail's code); after an activation in
 * @vg, what is in progress there followed in the background unless
 * --poll n (lvm/poll.h; @seen: what this command started already). */
struct lvm_poll_seen;
int lvm_poll_opt(const struct lvm_cmd *c);
/* --activationmode / -P over activation/activation_mode (after
 * lvm_setup), with lvm2's "PARTIAL MODE" warning. */
int lvm_activation_opts(struct lvm_cmd *c);
void lv_poll(struct lvm_cmd *c, struct dmctl *d, const struct vg *vg, struct lvm_poll_seen *seen);
/* An LV that activation passes over: ACTIVATION_SKIP without -K; with
 * -aay (@autoact) also one that is not autoactivated: NOAUTOACTIVATE on
 * it or its VG (--setautoactivation n), or not in ulvm.conf's
 * activation/auto_activation_volume_list ("vg", "vg/lv", "@tag"). */
bool lv_skip_activation(const struct lvm_cmd *c, const struct vg *vg, const struct vg_lv *lv, bool autoact);
/* -a y|ay|n: *on, and *autoact for ay. */
int lvm_parse_activate(struct lvm_cmd *c, bool *on, bool *autoact);
/* --setautoactivation y|n into the NOAUTOACTIVATE bit @bit of *status. */
/* lvchange/lvcreate's LV properties lvm2 keeps in the VG text: --alloc
 * and -C (allocation policy), --setactivationskip, --readahead.  *@changed
 * is set when something changed; 0 or lvm_fail's code (lvm2's "already"
 * messages). */
int lvm_lv_props(const struct lvm_cmd *c, const struct vg *vg, struct vg_lv *lv, bool create, bool *changed);
bool lvm_lv_props_given(const struct lvm_cmd *c);
/* Option @o given as y|yes|n|no (lvm2's bool_VAL): *@v; else a message. */
int lvm_opt_yn(const struct lvm_cmd *c, int o, bool *v);
int lvm_set_autoactivation(struct lvm_cmd *c, uint32_t *status, uint32_t bit);
/* The LV's dm device exists in ulvmd (its name and its uuid). */
bool lv_is_active(struct lvm_cmd *c, struct dmctl *d, const struct vg *vg, const struct vg_lv *lv);
/* The LV's open count in ulvmd (NBD clients, FUSE files held open), or -1
 * when it is not active. */
int lv_open_count(struct lvm_cmd *c, struct dmctl *d, const struct vg *vg, const struct vg_lv *lv);
/* An LV of @vg active in ulvmd, or whose extents a ulvmd this command
 * does not reach maps (lvm2's lvs_in_vg_activated); NULL when none. */
const struct vg_lv *lvm_vg_lv_in_use(struct lvm_cmd *c, struct dmctl *d, const struct vg *vg);
/* After a commit that renamed @lv or its VG: the active device @old_dm
 * takes @lv's dm name and "vg/lv" export, both at once. */
int lv_rename_active(struct lvm_cmd *c, struct dmctl *d, const char *old_dm, const struct vg *vg,
		     const struct vg_lv *lv, struct err *e);
/* vgrename of an active VG: every device of the VG (dm uuid
 * LVM-<vg id>..., layers and sub-LVs too) takes the new VG name, and its
 * "vg/..." export with it.  Prepare before the commit: refused, with
 * nothing changed, when a new name is taken. */
struct vg_renames {
	unsigned n;
	char (*old)[LV_DM_NAME_MAX + 16], (*name)[LV_DM_NAME_MAX + 16], (*exp)[2 * LVM_NAME_LEN + 2];
};
int vg_rename_prepare(struct lvm_cmd *c, struct dmctl *d, const struct vg *vg, const char *new_name,
		      struct vg_renames *rn, struct err *e);
int vg_rename_apply(struct dmctl *d, const struct vg_renames *rn, struct err *e);
void vg_renames_free(struct vg_renames *rn);
int lv_activate(struct lvm_cmd *c, struct dmctl *d, const struct vg *vg, const struct vg_lv *lv,
		struct err *e);
int lv_deactivate(struct lvm_cmd *c, struct dmctl *d, const struct vg *vg, const struct vg_lv *lv,
		  struct err *e);
/* Load the LV's new table and resume (online resize). */
int lv_reload(struct lvm_cmd *c, struct dmctl *d, const struct vg *vg, const struct vg_lv *lv,
	      struct err *e);

/* ---- segment types with their own hooks (lvm_hooks.c) ---- */
struct segtype;
/* lvcreate with --type of such a type, -T, -V, -s or --thinpool. */
bool lvm_hooks_lvcreate_wanted(const struct lvm_cmd *c);
/* lvchange --syncaction / --rebuild of @lv: its type's convert hook. */
int lvm_hooks_lvchange_type(struct lvm_cmd *c, struct dmctl *d, struct vgh *h, struct vg_lv *lv);
/* vgreduce --removemissing of an LV whose type's missing hook says
 * SEG_MISSING_DROP: its parts on missing PVs go (lvm2's
 * mirror_remove_missing); committed. */
int lvm_hooks_remove_missing(struct lvm_cmd *c, struct dmctl *d, struct vgh *h, struct vg_lv *lv);
int lvm_hooks_lvcreate(struct lvm_cmd *c, int argc, char **argv);
/* lvcreate --cachevol FAST | --cachepool POOL (lvm2's
 * lvcreate_and_attach_*): before the LV is made, whether the LV named
 * is in the VG; after, the new LV @name of VG @vgname is converted to
 * --type (cache by default) as lvconvert would, and removed again when
 * that fails ("Removing new LV after failing to add cache."). */
int lvm_hooks_attach_check(struct lvm_cmd *c, const struct vg *vg);
int lvm_hooks_lvcreate_attach(struct lvm_cmd *c, const char *vgname, const char *name);
/* lvremove / lvresize of @lv through @st's hook (lv_change_type); for
 * lvresize @st NULL refuses the pool options; @argv: the PV arguments. */
int lvm_hooks_lvremove(struct lvm_cmd *c, struct dmctl *d, struct vgh *h, const struct segtype *st,
		       struct vg_lv *lv);
/* lvreduce's warning and question (-f/-y answer it): 0, or the failure. */
int lvm_confirm_reduce(struct lvm_cmd *c, struct dmctl *d, const struct vg *vg, const struct vg_lv *lv,
		       uint64_t target);
int lvm_hooks_lvresize(struct lvm_cmd *c, struct dmctl *d, struct vgh *h, const struct segtype *st,
		       struct vg_lv *lv, int argc, char **argv);
/* The generic lvresize of @lv, which other LVs may name: whether their
 * types let it grow (@grow) or shrink (lv_change_resize_users). */
int lvm_hooks_resize_users(struct lvm_cmd *c, struct dmctl *d, struct vgh *h, const struct vg_lv *lv, bool grow);

int lvm_main(const struct cli_globals *g, int argc, char **argv);
/* `ulvm lvm COMMAND ...` (lvm_shell.c). */
int lvm_shell_main(const struct cli_globals *g, int argc, char **argv);

#endif
