/* Vinum (FreeBSD's vinum(8)/gvinum(8)) configurations: drives, volumes,
 * plexes and subdisks, as the configuration language describes them and
 * as gvinum keeps them on every drive.
 *
 * The model is plain arrays of named objects; references between them are
 * by name, as in the configuration text, and resolved when used.  Sizes and
 * offsets are bytes (multiples of 512).  States are the words vinum prints
 * (up, down, initializing, empty, stale, degraded, crashed, reviving...).
 *
 *   config.c   the configuration language (vn_parse) and its checks
 *   ondisk.c   the drive header and the configuration copies (gvinum's)
 *   list.c     vinum's listings and printconfig
 *   map.c      the dm tables a volume is served with
 *   store.c    finding drives, reading and saving the configuration
 */
#ifndef ULVM_VINUM_VINUM_H
#define ULVM_VINUM_VINUM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/log.h"

#define VN_NAME_MAX 64
#define VN_DRIVE_NAME_MAX 32  /* the header's label.name */
#define VN_STATE_MAX 16
#define VN_PATH_MAX 1024
#define VN_HDR_OFFSET 4096u   /* the drive header */
#define VN_HDR_LEN 512u
#define VN_CFG_OFFSET 4608u   /* configuration copy 1; copy 2 follows */
#define VN_CFG_LEN 65536u
#define VN_DATA_START 135680u /* 265 sectors: subdisk space starts here */

enum vn_org { VN_CONCAT, VN_STRIPED, VN_RAID5 };

struct vn_drive {
	char name[VN_DRIVE_NAME_MAX];
	char path[VN_PATH_MAX]; /* "" when only referenced (no device known) */
	char state[VN_STATE_MAX];
	uint64_t size;          /* bytes, the header area included */
	char sysname[32];
	int64_t born_sec, born_usec, upd_sec, upd_usec;
};

struct vn_volume {
	char name[VN_NAME_MAX];
	char state[VN_STATE_MAX];
};

struct vn_plex {
	char name[VN_NAME_MAX];
	char vol[VN_NAME_MAX]; /* "" when detached */
	enum vn_org org;
	uint64_t stripe;       /* bytes; striped and raid5 */
	char state[VN_STATE_MAX];
};

struct vn_sd {
	char name[VN_NAME_MAX];
	char drive[VN_DRIVE_NAME_MAX];
	char plex[VN_NAME_MAX]; /* "" when detached */
	uint64_t len, driveoffset, plexoffset;
	char state[VN_STATE_MAX];
};

struct vn_conf {
	struct vn_drive *drive;
	struct vn_volume *vol;
	struct vn_plex *plex;
	struct vn_sd *sd;
	unsigned ndrive, nvol, nplex, nsd;
	bool states_changed; /* vn_load changed states of what is (not) here: save before use */
};

void vn_conf_free(struct vn_conf *c);
int vn_conf_copy(struct vn_conf *dst, const struct vn_conf *src);

struct vn_drive *vn_find_drive(const struct vn_conf *c, const char *name);
struct vn_volume *vn_find_vol(const struct vn_conf *c, const char *name);
struct vn_plex *vn_find_plex(const struct vn_conf *c, const char *name);
struct vn_sd *vn_find_sd(const struct vn_conf *c, const char *name);
/* Is @name taken by an object of any kind? */
bool vn_name_taken(const struct vn_conf *c, const char *name);

/* Sizes as vinum computes them: concat the sum of its subdisks, striped
 * n x sd, raid5 (n - 1) x sd; a volume its smallest plex. */
uint64_t vn_plex_size(const struct vn_conf *c, const struct vn_plex *p);
/* A subdisk state whose data may be out of date (down, stale, crashed). */
bool vn_sd_left_out(const char *state);
uint64_t vn_vol_size(const struct vn_conf *c, const struct vn_volume *v);
unsigned vn_plex_sds(const struct vn_conf *c, const struct vn_plex *p, const struct vn_sd **out, unsigned max);
unsigned vn_vol_plexes(const struct vn_conf *c, const struct vn_volume *v, const struct vn_plex **out,
		       unsigned max);
/* Bytes of @d not used by subdisks. */
uint64_t vn_drive_free(const struct vn_conf *c, const struct vn_drive *d);

/* The configuration language (config.c).  Applies @text's statements to
 * @c: new objects, named or given default names; placement of subdisks
 * (length 0, driveoffset, plexoffset) on drives whose size is known.
 * @ondisk: the text comes from a drive (gvinum's saved form; objects
 * already known, from a newer drive's copy, stay as they are).  Errors
 * name @where and the line; @c may be half changed then: work on a copy. */
typedef int (*vn_size_fn)(const char *path, uint64_t *bytes, struct err *e);
int vn_parse(struct vn_conf *c, const char *text, bool ondisk, const char *where, vn_size_fn size_of,
	     struct err *e);
/* The rules a configuration must keep: every subdisk on a known drive and
 * inside it, no two overlapping, plexes of a volume's organisation
 * complete (>= 2 striped, >= 3 raid5 subdisks of one size). */
int vn_check(const struct vn_conf *c, struct err *e);
/* A size as vinum writes it: bytes, or with s/b (sectors), k, m, g. */
int vn_sizespec(const char *s, int64_t *out);

/* The on-disk format (ondisk.c), gvinum's: big-endian header at 4096,
 * configuration text at 4608 and again at 70144, 64 KiB each. */
struct vn_header {
	uint64_t magic, config_length;
	char sysname[33], name[33];
	int64_t born_sec, born_usec, upd_sec, upd_usec;
	uint64_t drive_size;
};
#define VN_MAGIC 0x56494E554D2D3100ull     /* "VINUM-1\0" */
#define VN_NOMAGIC 0x56494E554D2D2D00ull   /* "VINUM--\0": a drive removed */
#define VN_OLD_MAGIC 0x494E2056494E4F00ull /* "IN VINO\0", classic vinum */
/* Decode a 512-byte header; -ENOENT when it is none of vinum's, -EINVAL
 * (with @e) when it is damaged. */
int vn_header_decode(const uint8_t *buf, struct vn_header *h, struct err *e);
void vn_header_encode(const struct vn_header *h, uint8_t *buf);
/* The configuration text as gvinum saves it (volumes, plexes, subdisks;
 * no drives); NUL-terminated, malloc'ed; -ENOSPC past 64 KiB. */
int vn_format_config(const struct vn_conf *c, char **out, struct err *e);

/* The devices a volume is served with (map.c), bottom-up: a subdisk of a
 * raid5 plex is a linear device, a plex that is not the volume's only one
 * (or a raid5 plex) a device of its own, the volume `vinum-NAME`, exported
 * as `vinum/NAME`.  A concat plex is linear lines, a striped plex
 * striped, a raid5 plex the raid target's raid5_la (gvinum's parity
 * placement), several plexes raid1 over the plexes. */
struct vn_dev {
	char name[VN_NAME_MAX + 8], uuid[VN_NAME_MAX + 16], export[VN_NAME_MAX + 8];
	char *table;
};
#define VN_UUID_PREFIX "VINUM-"
int vn_plan(const struct vn_conf *c, const struct vn_volume *v, struct vn_dev **out, unsigned *n, struct err *e);
void vn_plan_free(struct vn_dev *d, unsigned n);

/* Drives and their configuration (store.c).  A drive is found by its
 * header wherever its file or device is; @paths are where to look (the
 * list vinum keeps of the drives it knows, or what `start` is given). */
struct dmctl;
/* Read every drive of @paths: headers, then the configuration of the
 * newest one first (a later copy adds only objects the newer did not
 * have).  Paths that hold no vinum header are skipped, with a warning,
 * when @warn.  Missing drives stay `down` with their subdisks. */
int vn_load(struct vn_conf *c, char *const *paths, unsigned n, bool warn, struct err *e);
/* Write the header and both configuration copies to every drive that is
 * up (the same last_update on all), new drives getting their header. */
int vn_save(struct vn_conf *c, struct err *e);
/* Mark a drive removed (VINUM--) and clear its configuration. */
int vn_wipe_drive(const struct vn_drive *d, struct err *e);
/* The size of the device at @path (a file, block device, ulvmd device or
 * NBD URI). */
int vn_dev_size(const char *path, uint64_t *bytes, struct err *e);
/* Load volume @v's devices into ulvmd (created, or reloaded when there). */
int vn_activate(struct dmctl *d, const struct vn_conf *c, const struct vn_volume *v, struct err *e);
/* Remove every vinum device (volumes first), or those of volume @only. */
int vn_deactivate(struct dmctl *d, const struct vn_conf *c, const char *only, struct err *e);
/* States from the running targets: a mirror or raid5 plex in sync becomes
 * up with its subdisks, a member the target failed crashed (its plex
 * degraded or down).  true when a state changed (the caller saves). */
bool vn_refresh(struct dmctl *d, struct vn_conf *c);

/* Listings (list.c), in vinum's format. */
enum { VN_LIST_R = 1, VN_LIST_V = 2, VN_LIST_VV = 4 };
void vn_list_all(FILE *f, const struct vn_conf *c, unsigned flags);
void vn_list_summary(FILE *f, const struct vn_conf *c);
int vn_list_objects(FILE *f, const struct vn_conf *c, char kind, int argc, char **argv, unsigned flags);
void vn_printconfig(FILE *f, const struct vn_conf *c, const char *host, const char *when);

#endif
