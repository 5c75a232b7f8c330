/* LVM segment types as one family (lvm2's struct segment_type and its
 * segtype_handler; LVM2-FORMAT.md §10).
 *
 * Each type is one file under src/lvm/segtype/ that defines a const
 * struct segtype, and segtype/registry.c lists them in one array.  The
 * rest of src/lvm, and the CLI, ask a segment's type (s->st) what to do
 * and never compare type names: the VG import finds the type of each
 * segment by its "type" string and hands it the section; export,
 * validation, references to other LVs, activation and lvs go through
 * the vtable.
 *
 * A segment's areas (s->area, each seg_area_len extents) are PV ranges or
 * ranges of sub-LVs (struct lv_area: lvm2's AREA_PV and AREA_LV; striped
 * over LVs today, raid images next), which lvref.c follows as references
 * under the type's @area_key.  A kept section names its sub-LVs under the
 * keys listed in @refs instead (a thin pool's metadata and pool).
 *
 * Types whose text ulvm does not fully model keep their section as read
 * (SEGTYPE_KEPT, s->raw in vg->keep) and export it back byte for byte;
 * a type with @parse builds its model (s->priv) from that section once
 * at import and again after each edit of it (seg_reparse), so every key
 * lvm2 may add survives while the model is what ulvm reads.  A type the
 * registry does not know is kept too, listed by lvs, and refused at
 * activation with its name.
 */
#ifndef ULVM_LVM_SEGTYPE_H
#define ULVM_LVM_SEGTYPE_H

#include <stdbool.h>
#include <stdint.h>

#include "common/log.h"
#include "lvm/vg.h"

#include <stdio.h>

struct alloc_range;
struct cfg_node;
struct dmctl;
struct lv_plan;
struct lvm_env;
struct report_row;
struct vgh;

/* A key of the segment section that names other LVs. */
struct seg_ref_key {
	const char *key;
	bool pins;       /* the LV named may not go, shrink or be renamed on its own */
	unsigned stride; /* 0: one string; n: a list, a name every n items (LV, LE pairs: 2) */
	bool cascade;    /* deactivating the LV named deactivates the naming LV first */
	/* lvremove of the LV named: NULL, refused while the naming LV exists;
	 * else the naming LV is removed first, with it (lvm2's
	 * lv_remove_with_dependencies), after lvm2's question "Removing
	 * <dependent> VG/LV will remove N dependent volume(s)" ("pool"),
	 * or without one (""; an old snapshot's origin). */
	const char *dependent;
};

enum segtype_flag {
	SEGTYPE_KEPT = 1u << 0,	      /* the section is kept as read (s->raw) and written back */
	SEGTYPE_HIDDEN = 1u << 2,     /* its LV counts as hidden (an old snapshot's COW) */
	SEGTYPE_OUTSIDE = 1u << 3,    /* state outside the VG text (pool metadata): vgcfgrestore wants --force */
	SEGTYPE_SNAPSHOTS = 1u << 4,  /* lvcreate -s of such an LV makes one of its own type (thin) */
	SEGTYPE_FIRST = 1u << 5,      /* commands meet such LVs before the others (lvm2's thin pools) */
	SEGTYPE_SPARE = 1u << 6,      /* keeps the VG's pool metadata spare (thin and cache LVs, pools) */
	SEGTYPE_VIRTUAL = 1u << 7,    /* its extents are on no PV (thin, zero, error): lvm2's SEG_VIRTUAL */
	SEGTYPE_NO_PATH = 1u << 8,    /* its LV has no /dev/VG/LV although visible (a thin pool) */
	SEGTYPE_MONITORED = 1u << 9,  /* ulvmd watches its LVs for events (lvm2's target_monitored) */
};

/* What vgreduce --removemissing --force does with an LV that has parts
 * on missing PVs (struct segtype's missing). */
enum seg_missing {
	SEG_MISSING_REMOVE,       /* the LV goes with its sub-LVs (nothing of it is left to keep) */
	SEG_MISSING_DROP,         /* convert's remove_missing keeps it without those parts (a mirror, a raid) */
};

/* lvdisplay's lines of an LV (cli/lvm_display.c, lvm2's lvdisplay_full)
 * that depend on its type, printed by the type's hooks to @out. */
enum seg_display_at {
	SEG_DISPLAY_NAMES, /* after "LV Creation host, time": the LVs it is made of or related to */
	SEG_DISPLAY_SIZE,  /* before "LV Size": a hook may change @le_count (a COW LV shows its origin's) */
	SEG_DISPLAY_USAGE, /* after "LV Size", before "Current LE": how full an active pool or thin LV is */
	SEG_DISPLAY_MORE,  /* after "Current LE", before "Segments" */
};

struct seg_display_ctx {
	const struct vg *vg;
	const struct vg_lv *lv;
	struct dmctl *d; /* connected, or NULL when no daemon runs */
	FILE *out;
	enum seg_display_at at;
	uint32_t le_count; /* SEG_DISPLAY_SIZE */
	int said;          /* the hooks' own, zero at each stage: lines a header covers */
	bool active;       /* @lv is active in ulvmd */
	/* A size as lvdisplay prints it (--units), in @buf (UNITS_BUF). */
	const char *(*size)(const struct seg_display_ctx *x, uint64_t sectors, char *buf);
	void *arg; /* @size's */
};

/* lv_layout, lv_role and lv_modules of an LV as its type and the types
 * of the LVs naming it describe it (lvm2's lv_layout_and_role and
 * list_lv_modules): comma-separated words, each once.  lvs adds the
 * rest: "linear"/"striped" when no type gave a layout, "public" or
 * "private" before the roles. */
struct lv_kind {
	char layout[96], role[128], modules[64];
	bool private_lv; /* a sub-LV, a pool: lvm2's role "private" */
};

/* What lvs shows of an LV through its type (filled by @report). */
struct seg_report_ctx {
	const struct vg *vg;
	const struct vg_lv *lv;
	struct dmctl *d; /* connected, or NULL when no daemon runs */
	struct report_row *row;
	char *attr; /* lv_attr, 10 characters */
	struct lv_kind *kind;
};

/* Add words to x->kind: @layout, @role and @modules (each may be NULL);
 * @private_lv marks the LV private. */
void seg_report_kind(const struct seg_report_ctx *x, const char *layout, const char *role, const char *modules,
		     bool private_lv);
/* @word is one of the comma-separated words of @list. */
bool seg_words_have(const char *list, const char *word);
/* Field @name_field = LV @name as lvs names it ("[hidden]"), and
 * @uuid_field (or -1) its uuid. */
void seg_report_lv(const struct seg_report_ctx *x, int name_field, int uuid_field, const char *name);

/* A change of a VG (lvcreate, lvremove, lvresize) handed to a type's
 * hooks.  The VG is read and locked; the hook edits it, commits it
 * (lvm_vg_commit) at the point its own ordering needs (a thin pool
 * transaction around the commit), and writes lvm2's notices ("Logical
 * volume "x" created.") to @out.  It returns 0 or -errno with the reason
 * in @e, and leaves the committed metadata as it was when it fails. */
struct lv_change {
	struct lvm_env *env;
	struct vgh *h;
	struct dmctl *d; /* ulvmd; dmctl_up() says whether one runs */
	const struct alloc_range *ranges; /* the PVs named, or none */
	unsigned nranges;
	FILE *out;
	/* lvm2's yes_no_prompt: true to go on (--yes answers yes). */
	bool (*confirm)(void *ctx, const char *question);
	void *ctx;
};

/* lvm2's cache options as given (NULL / 0: not given): --cachemode,
 * --cachepolicy, each --cachesettings in order, --cachemetadataformat. */
struct lv_cache_opts {
	const char *mode, *policy;
	const char *const *settings;
	unsigned nsettings;
	unsigned metadata_format; /* 1 or 2; 0: auto */
};

/* lvcreate as a type reads it.  Sizes in extents; 0: not given. */
struct lv_create_req {
	const char *name;      /* -n, or NULL */
	const char *lv_arg;    /* the LV part of the VG/LV argument, or NULL */
	const char *pool_name; /* --thinpool POOL, or NULL */
	struct vg_lv *origin;  /* -s VG/ORIGIN, or NULL */
	uint64_t extents, virtual_extents, meta_extents;
	unsigned origin_pct;   /* -l N%ORIGIN: N, and @extents 0 (a snapshot's type works them out) */
	const char *size_text; /* the -V/-L text, for messages */
	uint32_t chunk_size;   /* sectors, 0: the type's default */
	const char *discards;  /* NULL: the type's default */
	int zero;              /* -Z: 1 y, 0 n, -1 the type's default */
	bool error_when_full;  /* --errorwhenfull y: a thin pool fails writes when full */
	bool activate;
	bool quiet; /* a step of another LV's creation: no "created" line (lvm2 prints the last LV's only) */
	const char *type_name; /* --type as given ("raid1"), or the default's name */
	unsigned mirrors;      /* -m N */
	unsigned stripes;      /* -i N, 0: not given */
	uint32_t stripe_size;  /* -I, sectors, 0: the type's default */
	uint32_t region_size;  /* -R, sectors, 0: the type's default */
	int64_t max_rate, min_rate; /* --raid{max,min}recoveryrate, kB/s; -1: not given */
	bool nosync;           /* --nosync */
	const char *mirror_log; /* --mirrorlog core|disk, or NULL */
	const char *const *tags; /* --addtag, valid (lvm_tag_valid) */
	unsigned ntags;
	struct lv_cache_opts cache;
};

/* lvextend/lvreduce/lvresize as a type reads it. */
struct lv_resize_req {
	char sign;        /* '+', '-', or 0: to that size */
	uint64_t extents; /* 0 with @policies */
	bool metadata;    /* --poolmetadatasize: the pool's metadata */
	bool policies;    /* --use-policies: the type's own rule */
	/* lvreduce's warning and question, asked by a type about to shrink
	 * @lv to @target extents: 0 to go on, else why not (reported). */
	int (*confirm_reduce)(void *ctx, const struct vg_lv *lv, uint64_t target);
	void *ctx;
};

/* lvconvert and lvchange's type options as a type reads them. */
struct lv_convert_req {
	const char *type_name; /* --type, or NULL */
	int mirrors;           /* -m N: N + 1 images; -1: not given */
	bool repair;           /* --repair: replace failed images */
	const char *sync_action; /* lvchange --syncaction */
	bool rebuild;          /* lvchange --rebuild PV: the images on ch's PVs */
	bool use_policies;     /* --use-policies: what the type's event policy says (ulvmd --on-event) */
	bool remove_missing;   /* vgreduce --removemissing: the parts on lost PVs go, none replaced, nothing asked */
	unsigned split;        /* --splitmirrors N (0: not given) */
	int64_t max_rate, min_rate; /* lvchange --raid{max,min}recoveryrate, kB/s; -1: not given */
	const char *write_mostly; /* lvchange --writemostly: per PV of the change's ranges, 'y', 'n' or 't' */
	bool set_write_behind;    /* lvchange --writebehind N given: */
	uint32_t write_behind;
	bool track;            /* --trackchanges */
	bool merge;            /* --merge: @lv (a sub-LV) back into its owner */
	const char *name;      /* -n: the LV a split makes */
	int interval;          /* -i: seconds between progress lines (0: none) */
	const char *cache_pool, *cache_vol; /* --cachepool, --cachevol: VG/LV or LV */
	bool cache_device;                  /* --cachedevice PV...: a new cachevol on ch's PVs */
	uint64_t cache_size;                /* --cachesize, extents; 0: all of those PVs */
	bool quiet;                         /* no closing line: lvcreate's "created" says it (lvm2's lv_create_single) */
	bool split_cache, uncache;          /* --splitcache, --uncache */
	bool force;                         /* -f */
	struct lv_cache_opts cache;         /* and, for lvchange, what changes */
	uint32_t chunk_size;                /* --chunksize, sectors; 0: not given */
	uint64_t meta_extents;              /* --poolmetadatasize, extents; 0: not given */
	const char *pool_metadata;          /* --poolmetadata VG/LV or LV, or NULL */
	bool swap_metadata;                 /* --swapmetadata (or --thinpool naming a pool): with @pool_metadata */
	int zero;                           /* -Z: 1 y, 0 n, -1 not given */
	const char *mirror_log;             /* --mirrorlog core|disk, or NULL */
	const char *thin_pool;              /* --type thin --thinpool VG/POOL or POOL: the LV's new pool */
	const char *origin_name;            /* --originname: the external origin's name, or NULL */
	char error_when_full;               /* lvchange --errorwhenfull: 'y', 'n', or 0: not given */
	const char *discards;               /* lvchange --discards, or NULL */
};

struct segtype {
	const char *name;  /* as the text writes it */
	const char *alias; /* another name the text may use ("linear"), or NULL */
	const char *const *names; /* a family's names instead of @name ("raid1", "raid5_ls"...), NULL-ended */
	const char *create_names; /* what @create makes, for messages ("raid0, raid1, raid10"); NULL: @name */
	unsigned flags;
	const struct seg_ref_key *refs; /* ends with a NULL key; NULL: none */
	const char *area_key;		/* the key its modelled areas are listed under ("stripes") */
	/* lv_attr characters 0 (volume type) and 6 (target type); 0: '-'
	 * and, for a type that is not linear/striped, 'u'. */
	char attr_volume, attr_target;

	/* Build @s from section @sn.  @pvs is the physical_volumes section
	 * (PV keys resolve against it, vg_import_pv_key).  NULL: kept. */
	int (*import)(struct vg *vg, const struct cfg_node *pvs, const struct cfg_node *sn, struct lv_seg *s,
		      struct err *e);
	/* Modelled types: an LV @s names besides its areas (a mirror's log),
	 * the @i-th, under *@key; NULL when there are no more. */
	struct vg_lv *(*named)(const struct lv_seg *s, unsigned i, const char **key);
	/* Kept types: the model (s->priv) from s->raw. */
	int (*parse)(const struct vg *vg, struct lv_seg *s, struct err *e);
	void (*free)(struct lv_seg *s);
	/* The keys after type (and tags) of a modelled segment. */
	void (*export)(const struct vg *vg, const struct lv_seg *s, struct cfg_node *sn);
	/* What vgck checks for the type, beyond what import did. */
	int (*validate)(const struct vg *vg, const struct vg_lv *lv, const struct lv_seg *s, struct err *e);
	/* seg_type in lvs ("linear" for a striped segment of one stripe). */
	const char *(*report_name)(const struct lv_seg *s);

	/* Activation: append the dm devices @lv needs, bottom-up, to @p
	 * (activate.h).  NULL: the type cannot be activated yet. */
	int (*plan)(struct lv_plan *p, const struct vg *vg, const struct vg_lv *lv, struct err *e);
	/* The LV whose activation brings up hidden @lv (a pool for its
	 * _tmeta), or NULL. */
	struct vg_lv *(*owner_of)(const struct vg *vg, const struct vg_lv *owner, const struct vg_lv *lv);
	/* Activation of @lv, which @user (an LV of this type) names: after
	 * @lv's own plan, what this type stacks on it (an old snapshot's
	 * origin and COW LV).  Called for every LV planned; 0 when @user
	 * does not name @lv. */
	int (*wrap)(struct lv_plan *p, const struct vg *vg, const struct vg_lv *user, const struct vg_lv *lv,
		    struct err *e);
	/* lvs fields and lv_attr letters of @x->lv (whose first segment is
	 * of this type) or of a hidden LV it owns. */
	void (*report)(const struct seg_report_ctx *x, const struct vg_lv *owner);
	/* lvs fields and lv_attr letters of @x->lv, which @user (an LV of
	 * this type) names: an old snapshot's origin and COW LV. */
	void (*report_named)(const struct seg_report_ctx *x, const struct vg_lv *user);

	/* lvdisplay of @x->lv at each @x->at: @display when its type is this
	 * one; @display_named, before, with each other LV of this type in the
	 * VG's order as @user, which may name @x->lv (an old snapshot's origin
	 * and COW LV, a cache's origin). */
	void (*display)(struct seg_display_ctx *x);
	void (*display_named)(struct seg_display_ctx *x, const struct vg_lv *user);
	/* lvdisplay --maps: the lines of segment @s after its "Type" (and
	 * "Monitoring"), lvm2's ops->display.  NULL: none. */
	void (*display_seg)(const struct seg_display_ctx *x, const struct lv_seg *s);

	/* An operation of @lv in progress that needs following after an
	 * activation (a pvmove, a merging snapshot): the ulvm command that
	 * follows it, its words separated by '\n', in @buf; false: none. */
	bool (*poll)(const struct vg *vg, const struct vg_lv *lv, struct dmctl *d, char *buf, size_t size);

	/* lvcreate of an LV of this type (NULL: only linear/striped's
	 * allocation, or not implemented); lvremove and lvresize of one, or
	 * of a hidden LV it owns (@lv), when the generic ones do not fit. */
	int (*create)(struct lv_change *ch, const struct lv_create_req *req, struct err *e);
	int (*remove)(struct lv_change *ch, struct vg_lv *lv, struct err *e);
	int (*resize)(struct lv_change *ch, struct vg_lv *lv, const struct lv_resize_req *req, struct err *e);
	/* lvresize of @lv, which @user (an LV of this type) names, by the
	 * generic resize: 0 lets it go on (an old
	 * snapshot's origin grows while inactive), else why not in @e.
	 * NULL: refused ("it is the <key> of"). */
	int (*resize_named)(struct lv_change *ch, const struct vg_lv *user, const struct vg_lv *lv, bool grow,
			    struct err *e);
	/* lvconvert of @lv to this type (from its own) or within it; lvchange
	 * --syncaction / --rebuild of an LV of this type.  NULL: not supported. */
	int (*convert)(struct lv_change *ch, struct vg_lv *lv, const struct lv_convert_req *req, struct err *e);
	/* vgreduce --removemissing --force of @lv, some of whose parts are on
	 * missing PVs.  NULL: SEG_MISSING_REMOVE. */
	enum seg_missing (*missing)(const struct vg *vg, const struct vg_lv *lv);
};

/* lvm2's display_stripe(): area @k of @s, "Physical volume" and
 * "Physical extents" or "Logical volume" and "Logical extents", each line
 * after @pre. */
void seg_display_area(const struct seg_display_ctx *x, const struct lv_seg *s, unsigned k, const char *pre);

/* The type named @name: a registered one, or the kept fallback that
 * knows only the name. */
const struct segtype *segtype_find(const char *name);
/* The registered types, NULL-terminated (for docs and tests). */
extern const struct segtype *const segtypes[];
extern const struct segtype segtype_striped, segtype_unknown;

/* The type of @lv's first segment when all of its segments have it
 * (lvm2 types other than striped take a whole LV); NULL: no segments. */
const struct segtype *lv_segtype(const struct vg_lv *lv);
/* @lv's first segment's model when it is of type @st, else NULL. */
void *lv_seg_model(const struct vg_lv *lv, const struct segtype *st);
/* Parse s->raw again after it was edited. */
int seg_reparse(const struct vg *vg, struct lv_seg *s, struct err *e);
/* @s can be activated: its type has a plan, and its areas are modelled. */
bool seg_can_activate(const struct lv_seg *s);
/* An LV of a SEGTYPE_SPARE type, or a cachevol, is left: the pool
 * metadata spare stays (lvm2 drops it with the last). */
bool vg_keeps_pmspare(const struct vg *vg);

/* The type lvcreate makes, as lvm2's lvcreate reads its options: --type
 * @type; else -s (@origin) with a size an old-style snapshot (of a thin
 * origin too), without one a thin snapshot of a thin origin or with a
 * pool (@pool_given), else an old-style snapshot; else -T/-V/
 * --thinpool (@thin) a thin pool when sized without -V, else a thin
 * LV; else linear/striped. */
const struct segtype *lv_create_segtype(const char *type, bool snapshot, const struct vg_lv *origin, bool thin,
					bool sized, bool virtual_size, bool pool_given);
/* @vg's LVs in the order lvm2's commands meet them (toollib.c,
 * process_each_lv_in_vg): those of a SEGTYPE_FIRST type first, the last
 * of them first, then the others in the VG's order.  @out: vg->nlv. */
void vg_lv_order(const struct vg *vg, struct vg_lv **out);
/* The type whose lvremove/lvresize hook takes @lv: its own, or its
 * owner's (a pool's for _tdata); NULL: the generic ones. */
const struct segtype *lv_change_type(const struct vg *vg, const struct vg_lv *lv, bool resize);
/* Before the generic lvresize of @lv to grow it (@grow) or shrink it:
 * each LV that names it lets it (its type's resize_named), else the
 * first one that does not is named in @e. */
int lv_change_resize_users(struct lv_change *ch, const struct vg_lv *lv, bool grow, struct err *e);
/* lvconvert's --poolmetadata @arg (VG/LV or LV) in @vg, with lvm2's
 * messages when it names another VG or no LV. */
int lv_change_pool_metadata(const struct vg *vg, const char *arg, struct vg_lv **out, struct err *e);
/* lvconvert of @data into a pool (lvm2's _lvconvert_to_pool), the checks
 * the pool types share: @data and the --poolmetadata LV @arg (NULL: none)
 * each visible, linear or striped and used by no LV, not the same LV;
 * *meta that LV or NULL. */
int lv_change_pool_parts(const struct vg *vg, const struct vg_lv *data, const char *arg, struct vg_lv **meta,
			 struct err *e);
/* The names @data and its metadata LV take in a pool, <data><msuffix>
 * and <data><dsuffix>, in @mname and @dname (@size bytes each); lvm2's
 * "already exists" when another LV than @meta (NULL: a new one) holds
 * one of them. */
int lv_change_pool_names(const struct vg *vg, const struct vg_lv *data, const struct vg_lv *meta, const char *msuffix,
			 const char *dsuffix, char *mname, char *dname, size_t size, struct err *e);
/* @data and @meta (NULL: none yet) become a pool's sub-LVs: deactivated,
 * renamed @dname and @mname (their own sub-LVs and references with
 * them), hidden.  The pool LV itself is the caller's. */
int lv_change_pool_take(struct lv_change *ch, struct vg_lv *data, struct vg_lv *meta, const char *mname,
			const char *dname, struct err *e);
/* How active @lv's devices follow a layer put under it or taken away
 * (@origin: the LV whose segments the layer holds: a cache's origin, a
 * thin LV's external origin): reloaded in place when @origin has no
 * sub-LVs (linear, striped, zero), or (a raid origin, whose sub-LVs are
 * renamed and whose state two devices must not share) deactivated now,
 * -EBUSY when open, to be activated after the commit. */
enum lv_restack { LV_RESTACK_NONE, LV_RESTACK_ONLINE, LV_RESTACK_OFFLINE };
int lv_change_restack_begin(struct lv_change *ch, const struct vg_lv *lv, const struct vg_lv *origin,
			    enum lv_restack *how, struct err *e);
/* Activate @lv in ulvmd (the VG's access check, lv_dm_activate, the
 * read-only notice on stderr), deactivate it, reload it; for the CLI and
 * the types' hooks alike.  Without a daemon, activation fails with its
 * reason, deactivation and reload have nothing to do. */
int lvm_lv_activate(const struct lvm_env *env, struct dmctl *d, const struct vg *vg, const struct vg_lv *lv,
		    struct err *e);
int lvm_lv_deactivate(struct dmctl *d, const struct vg *vg, const struct vg_lv *lv, struct err *e);
int lvm_lv_reload(const struct lvm_env *env, struct dmctl *d, const struct vg *vg, const struct vg_lv *lv,
		  struct err *e);
/* lvchange --refresh: @lv's plan loaded again, devices it lacks created. */
int lvm_lv_refresh(const struct lvm_env *env, struct dmctl *d, const struct vg *vg, const struct vg_lv *lv,
		   struct err *e);
/* The LV lvcreate makes, named @name, empty: what lvcreate's generic
 * options give every new LV (its tags) is set here, so a type's create
 * calls this rather than vg_add_lv. */
int lv_change_add_lv(struct lv_change *ch, const struct lv_create_req *req, const char *name, struct vg_lv **out,
		     struct err *e);
/* A new hidden LV of @extents linear extents from ch's PVs (none when
 * 0); @no_ctime: without creation time and host (a pool's sub-LVs). */
int lv_change_add_hidden(struct lv_change *ch, const char *name, uint32_t extents, bool no_ctime,
			 struct vg_lv **out, struct err *e);
/* The name of a new LV with sub-LVs (a @kind LV: "raid", "mirror"): -n,
 * else the VG/LV argument's, else lvolN (in @buf); checked as lvm2 does,
 * with room for its sub-LVs' suffixes. */
int lv_change_new_name(const struct vg *vg, const struct lv_create_req *req, const char *kind, char *buf,
		       size_t size, const char **name, struct err *e);
/* After the commit of a new LV @name: lvm2's "Logical volume ... created."
 * and, unless -an, its activation in ulvmd (a notice when none runs). */
int lv_change_created(struct lv_change *ch, const struct lv_create_req *req, const char *name, struct err *e);
/* "1.00 GiB": a size in sectors as lvm2's messages write it. */
const char *lv_change_size(char *buf, uint64_t sectors);
/* After a committed resize: lvm2's "Size of logical volume @sized ...
 * changed from @old extents" notice, @lv's active devices reloaded (when
 * @reload), then "Logical volume @lv successfully resized".  0 or the
 * reload's error. */
int lv_change_resized(struct lv_change *ch, const struct vg_lv *lv, const struct vg_lv *sized, uint32_t old,
		      bool reload, struct err *e);

/* Helpers for types. */
/* The VG PV that key @key ("pv0") of the physical_volumes section @pvs
 * stands for, or NULL. */
struct vg_pv *vg_import_pv_key(const struct vg *vg, const struct cfg_node *pvs, const char *key);
/* Write @s's areas under @key ("stripes", "mirrors"): (PV key or LV
 * name, extent) pairs, one per line, as lvm2's out_areas. */
void seg_export_areas(const struct vg *vg, const struct lv_seg *s, struct cfg_node *sn, const char *key);
/* " <device> <offset>" of an area in a table line: a PV by its path, a
 * sub-LV by its dm device. */
void seg_emit_area(FILE *f, const struct vg *vg, const struct lv_area *a);
/* Keep @sn as read in vg->keep (s->raw), with the PV legs of a "mirrors"
 * list of (name, extent) pairs as its areas. */
int seg_keep_raw(struct vg *vg, const struct cfg_node *pvs, struct lv_seg *s, const struct cfg_node *sn,
		 struct err *e);
/* A new section for a kept type: start_extent 0, extent_count, type. */
struct cfg_node *seg_new_raw(struct vg *vg, uint32_t extents, const char *type);
/* Give @lv one segment of @extents LEs of type @st, whose section is
 * @sn (from seg_new_raw), replacing any it had of that type. */
int lv_set_raw_seg(struct vg *vg, struct vg_lv *lv, uint32_t extents, const struct segtype *st,
		   struct cfg_node *sn, struct err *e);

#endif
