/* lvcreate, lvremove and lvresize of the segment types that bring their
 * own (thin pools and thin LVs today; lvm/segtype.h): the options become
 * a request, the type's hook does the rest.  lvm_lv.c keeps the generic
 * linear/striped ones. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/lvm_cmds.h"
#include "common/args.h"
#include "lvm/alloc.h"
#include "lvm/lvref.h"
#include "lvm/segtype.h"
#include "lvm/settings.h"

/* A size option into extents (rounded up); @sign NULL: none allowed. */
static int size_opt(struct lvm_cmd *c, int o, char unit, const struct vg *vg, uint64_t *extents, char *sign)
{
	struct err e = { { 0 } };
	uint64_t s;
	char sg;

	if (lvm_parse_size(opt_val(c, o), unit, &sg, &s, &e))
		return lvm_fail("%s", e.msg);
	if (!sign && sg)
		return lvm_fail("Invalid size %s.", opt_val(c, o));
	if (sign)
		*sign = sg;
	*extents = (s + vg->extent_size - 1) / vg->extent_size;
	return 0;
}

/* --chunksize SIZE (KiB by default) in sectors into *@out; untouched when
 * not given. */
static int chunk_opt(struct lvm_cmd *c, uint32_t *out)
{
	struct err e = { { 0 } };
	uint64_t v;
	char sign;

	if (!opt_set(c, C_CHUNKSIZE))
		return 0;
	if (lvm_parse_size(opt_val(c, C_CHUNKSIZE), 'k', &sign, &v, &e) || sign || !v || v > UINT32_MAX)
		return lvm_fail("Invalid argument for --chunksize: %s", opt_val(c, C_CHUNKSIZE));
	*out = (uint32_t)v;
	return 0;
}

/* -L, or -l N|N%FREE|N%VG. */
static int extents_opt(struct lvm_cmd *c, struct vgh *h, uint64_t *ext, unsigned *origin_pct)
{
	struct err e = { { 0 } };
	struct ext_arg a;

	if (opt_set(c, C_SIZE))
		return size_opt(c, C_SIZE, 'm', h->vg, ext, NULL);
	if (lvm_parse_extents(opt_val(c, C_EXTENTS), &a, &e))
		return lvm_fail("%s", e.msg);
	if (!a.sign && a.pct == PCT_ORIGIN && a.n && a.n <= UINT32_MAX) {
		*origin_pct = (unsigned)a.n;
		return 0;
	}
	if (a.sign || (a.pct != PCT_NONE && a.pct != PCT_FREE && a.pct != PCT_VG))
		return lvm_fail("Invalid argument for --extents: %s", opt_val(c, C_EXTENTS));
	*ext = a.pct == PCT_FREE ? vg_free_extents(h->vg) * a.n / 100 :
	       a.pct == PCT_VG	 ? vg_total_extents(h->vg) * a.n / 100 :
				   a.n;
	return 0;
}

/* The VG/LV or VG argument: *vg and *lv (or NULL). */
static int split_arg(const char *arg, char *vg, size_t size, const char **lv)
{
	const char *s = strchr(arg, '/');

	if (!s) {
		snprintf(vg, size, "%s", arg);
		*lv = NULL;
		return 0;
	}
	return lvm_split_lvname(arg, vg, size, lv);
}

/* lvm2's yes_no_prompt for the types' hooks; lvremove -f answers too. */
static bool hook_confirm(void *ctx, const char *question)
{
	struct lvm_cmd *c = ctx;

	return (!strcmp(c->verb, "lvremove") && opt_set(c, C_FORCE)) || lvm_confirm(c, question);
}

static void change_init(struct lv_change *ch, struct lvm_cmd *c, struct vgh *h, struct dmctl *d)
{
	memset(ch, 0, sizeof(*ch));
	ch->env = &c->env;
	ch->h = h;
	ch->d = d;
	ch->out = stdout;
	ch->confirm = hook_confirm;
	ch->ctx = c;
	d->run_dir = c->g->run_dir;
}

/* --cachemode, --cachepolicy, --cachesettings (each, in order; *o's
 * array malloc'ed), --cachemetadataformat auto|1|2. */
static int cache_opts(struct lvm_cmd *c, struct lv_cache_opts *o)
{
	const char **v = NULL;

	memset(o, 0, sizeof(*o));
	o->mode = opt_set(c, C_CACHEMODE) ? opt_val(c, C_CACHEMODE) : NULL;
	o->policy = opt_set(c, C_CACHEPOLICY) ? opt_val(c, C_CACHEPOLICY) : NULL;
	if (opt_set(c, C_CACHEMDFORMAT)) {
		const char *f = opt_val(c, C_CACHEMDFORMAT);

		if (strcmp(f, "auto") && strcmp(f, "1") && strcmp(f, "2"))
			return lvm_fail("Invalid argument for --cachemetadataformat: %s", f);
		o->metadata_format = strcmp(f, "auto") ? (unsigned)(f[0] - '0') : 0;
	}
	if (opt_set(c, C_CACHESETTINGS) && cli_values(&c->a, C_CACHESETTINGS, &v, &o->nsettings))
		return lvm_fail("out of memory");
	o->settings = v;
	return 0;
}

bool lvm_hooks_lvcreate_wanted(const struct lvm_cmd *c)
{
	return (opt_set(c, C_TYPE) && segtype_find(opt_val(c, C_TYPE)) != &segtype_striped) || opt_set(c, C_THIN) ||
	       opt_set(c, C_VIRTUALSIZE) || opt_set(c, C_SNAPSHOT) || opt_set(c, C_THINPOOL) ||
	       (opt_set(c, C_MIRRORS) && strcmp(opt_val(c, C_MIRRORS), "0"));
}

static int convert(struct lvm_cmd *c, struct dmctl *d, struct vgh *h, struct vg_lv *lv, const struct segtype *st,
		   const struct lv_convert_req *req, int argc, char **argv);

/* --raidmaxrecoveryrate/--raidminrecoveryrate: kB/s per device (lvm2's
 * Rate, k by default), -1 when not given. */
static int rate_opts(struct lvm_cmd *c, int64_t *max, int64_t *min)
{
	const unsigned opt[2] = { C_MAXRECOVERY, C_MINRECOVERY };
	int64_t *out[2] = { max, min };

	for (unsigned i = 0; i < 2; i++) {
		struct err e = { { 0 } };
		uint64_t v;
		char sign;

		*out[i] = -1;
		if (!opt_set(c, opt[i]))
			continue;
		if (lvm_parse_size(opt_val(c, opt[i]), 'k', &sign, &v, &e) || sign || v / 2 > UINT32_MAX)
			return lvm_fail("Invalid argument for --%s: %s", i ? "raidminrecoveryrate" : "raidmaxrecoveryrate",
					opt_val(c, opt[i]));
		*out[i] = (int64_t)(v / 2); /* sectors to kB */
	}
	if (*max > 0 && *min > *max)
		return lvm_fail("Minimum recovery rate cannot be higher than maximum.");
	return 0;
}

/* The options a type's lvcreate reads. */
static int create_req(struct lvm_cmd *c, struct vgh *h, struct lv_create_req *req)
{
	struct err e = { { 0 } };
	uint64_t v;
	char sign;
	int r;

	if (opt_set(c, C_MIRRORS)) {
		if (parse_u64(opt_val(c, C_MIRRORS), &v) || v > 63)
			return lvm_fail("Invalid argument for --mirrors: %s", opt_val(c, C_MIRRORS));
		req->mirrors = (unsigned)v;
	}
	if (opt_set(c, C_STRIPES)) {
		if (parse_u64(opt_val(c, C_STRIPES), &v) || !v || v > 64)
			return lvm_fail("Invalid argument for --stripes: %s", opt_val(c, C_STRIPES)), LVM_EINVALID;
		req->stripes = (unsigned)v;
	}
	if (opt_set(c, C_STRIPESIZE)) {
		if (lvm_parse_size(opt_val(c, C_STRIPESIZE), 'k', &sign, &v, &e) || sign || v < 8 || v & (v - 1) ||
		    v > UINT32_MAX)
			return lvm_fail("Invalid argument for --stripesize: %s", opt_val(c, C_STRIPESIZE)), LVM_EINVALID;
		req->stripe_size = (uint32_t)v;
	}
	if (opt_set(c, C_REGIONSIZE)) {
		if (lvm_parse_size(opt_val(c, C_REGIONSIZE), 'm', &sign, &v, &e) || sign || v < 8 || v & (v - 1) ||
		    v > UINT32_MAX)
			return lvm_fail("Invalid argument for --regionsize: %s (a power of two, at least 4k)",
					opt_val(c, C_REGIONSIZE));
		req->region_size = (uint32_t)v;
	}
	req->nosync = opt_set(c, C_NOSYNC);
	req->mirror_log = opt_set(c, C_MIRRORLOG) ? opt_val(c, C_MIRRORLOG) : NULL;
	if ((r = rate_opts(c, &req->max_rate, &req->min_rate)))
		return r;

	if ((opt_set(c, C_SIZE) || opt_set(c, C_EXTENTS)) && extents_opt(c, h, &req->extents, &req->origin_pct))
		return LVM_FAILED;
	if (opt_set(c, C_VIRTUALSIZE) && size_opt(c, C_VIRTUALSIZE, 'm', h->vg, &req->virtual_extents, NULL))
		return LVM_FAILED;
	if (opt_set(c, C_POOLMDSIZE) && size_opt(c, C_POOLMDSIZE, 'm', h->vg, &req->meta_extents, NULL))
		return LVM_FAILED;
	if (chunk_opt(c, &req->chunk_size))
		return LVM_FAILED;
	req->zero = opt_set(c, C_ZERO) ? opt_val(c, C_ZERO)[0] == 'y' : -1;
	req->discards = opt_set(c, C_DISCARDS) ? opt_val(c, C_DISCARDS) : NULL;
	if (opt_set(c, C_ERRORWHENFULL) && (r = lvm_opt_yn(c, C_ERRORWHENFULL, &req->error_when_full)))
		return r;
	req->name = opt_set(c, C_NAME) ? opt_val(c, C_NAME) : NULL;
	req->tags = c->tags.add;
	req->ntags = c->tags.nadd;
	return cache_opts(c, &req->cache);
}

/* "linear, striped, thin-pool, thin": what lvcreate makes. */
static void creatable(char *buf, size_t size)
{
	size_t n = (size_t)snprintf(buf, size, "linear, striped");

	for (unsigned i = 0; segtypes[i] && n < size; i++)
		if (segtypes[i]->create)
			n += (size_t)snprintf(buf + n, size - n, ", %s",
					      segtypes[i]->create_names ? segtypes[i]->create_names : segtypes[i]->name);
}

int lvm_hooks_lvcreate(struct lvm_cmd *c, int argc, char **argv)
{
	struct err e = { { 0 } };
	struct vgh h = { .lock_fd = -1 };
	struct dmctl d = { 0 };
	struct alloc_range *ranges = NULL;
	struct lv_create_req req = { .activate = true };
	struct lv_change ch;
	const struct segtype *st;
	char vgname[LVM_NAME_LEN], vg2[LVM_NAME_LEN], types[256];
	const char *poolvg = NULL, *tname;
	int r;

	if ((r = lvm_setup(c, true)))
		return r;
	if (opt_set(c, C_ACTIVATE)) {
		const char *v = opt_val(c, C_ACTIVATE);

		req.activate = strcmp(v, "n") && strcmp(v, "an");
	}
	if (split_arg(argv[0], vgname, sizeof(vgname), &req.lv_arg))
		return LVM_FAILED;
	if (opt_set(c, C_THINPOOL)) {
		if (split_arg(opt_val(c, C_THINPOOL), vg2, sizeof(vg2), &req.pool_name))
			return LVM_FAILED;
		if (!req.pool_name) /* --thinpool POOL with the VG as argument */
			req.pool_name = opt_val(c, C_THINPOOL);
		else
			poolvg = vg2;
		if (poolvg && strcmp(poolvg, vgname))
			return lvm_fail("The thin pool and the LV must be in the same VG.");
	}
	if (lvm_vg_read(&c->env, vgname, &h, &e))
		return lvm_fail("%s", e.msg);
	change_init(&ch, c, &h, &d);
	if ((r = lvm_pv_args(&h, argc - 1, argv + 1, &ranges, &ch.nranges)))
		goto out;
	/* lvm2 refuses every lvcreate at MaxLogicalVolume (_vg_check_features) */
	if ((r = lvm_vg_lv_room(h.vg)))
		goto out;
	ch.ranges = ranges;
	/* -s -V VG: a sparse volume, no origin */
	if (opt_set(c, C_SNAPSHOT) && (req.lv_arg || !opt_set(c, C_VIRTUALSIZE)) &&
	    (!req.lv_arg || !(req.origin = vg_find_lv(h.vg, req.lv_arg)))) {
		r = lvm_fail("Failed to find the origin %s.", argv[0]);
		goto out;
	}
	/* -m N: lvm2's mirror_segtype_default, raid1; -V without -T,
	 * --thinpool or an origin: its sparse_segtype_default, thin (a thin
	 * pool and LV) or snapshot (an old-style snapshot of a zero LV) */
	tname = opt_set(c, C_TYPE) ? opt_val(c, C_TYPE) : opt_set(c, C_MIRRORS) && !opt_set(c, C_SNAPSHOT) ? "raid1" : NULL;
	if (!tname && opt_set(c, C_VIRTUALSIZE) && !opt_set(c, C_THIN) && !opt_set(c, C_THINPOOL) && !req.origin)
		tname = lvm_setting_str(&c->env, "global/sparse_segtype_default");
	st = lv_create_segtype(tname, opt_set(c, C_SNAPSHOT), req.origin, opt_set(c, C_THIN),
			       opt_set(c, C_SIZE) || opt_set(c, C_EXTENTS), opt_set(c, C_VIRTUALSIZE),
			       opt_set(c, C_THINPOOL));
	creatable(types, sizeof(types));
	if (st == &segtype_unknown) {
		r = lvm_fail("Unknown segment type %s (lvcreate makes %s).", tname, types);
		goto out;
	}
	if (!st->create) {
		r = lvm_fail("Segment type %s is not supported yet (lvcreate makes %s).", tname ? tname : st->name,
			     types);
		goto out;
	}
	req.type_name = tname ? tname : st->name;
	if ((r = create_req(c, &h, &req)))
		goto out;
	if (req.origin_pct && !req.origin) {
		r = lvm_fail("%%ORIGIN applies to snapshots: -s VG/ORIGIN.");
		goto out;
	}
	if (st->create(&ch, &req, &e))
		r = lvm_fail("%s", e.msg);
out:
	free((void *)req.cache.settings);
	free(ranges);
	dmctl_close(&d);
	lvm_vg_release(&h);
	return r;
}

int lvm_hooks_lvremove(struct lvm_cmd *c, struct dmctl *d, struct vgh *h, const struct segtype *st,
		       struct vg_lv *lv)
{
	struct err e = { { 0 } };
	struct lv_change ch;

	change_init(&ch, c, h, d);
	return st->remove(&ch, lv, &e) ? lvm_fail("%s", e.msg) : 0;
}

int lvm_hooks_resize_users(struct lvm_cmd *c, struct dmctl *d, struct vgh *h, const struct vg_lv *lv, bool grow)
{
	struct err e = { { 0 } };
	struct lv_change ch;

	change_init(&ch, c, h, d);
	return lv_change_resize_users(&ch, lv, grow, &e) ? lvm_fail("%s", e.msg) : 0;
}

struct confirm_ctx {
	struct lvm_cmd *c;
	struct dmctl *d;
	const struct vg *vg;
};

static int confirm_reduce(void *ctx, const struct vg_lv *lv, uint64_t target)
{
	struct confirm_ctx *x = ctx;

	return lvm_confirm_reduce(x->c, x->d, x->vg, lv, target);
}

int lvm_hooks_lvresize(struct lvm_cmd *c, struct dmctl *d, struct vgh *h, const struct segtype *st,
		       struct vg_lv *lv, int argc, char **argv)
{
	struct err e = { { 0 } };
	struct lv_resize_req req = { .metadata = opt_set(c, C_POOLMDSIZE), .policies = opt_set(c, C_USEPOLICIES) };
	struct confirm_ctx cr_ctx;
	struct alloc_range *ranges = NULL;
	struct lv_change ch;
	struct ext_arg a;
	int r;

	if (!st && req.policies && lv_segtype(lv) && lv_segtype(lv)->convert) {
		/* another type's event policy: a raid LV's raid_fault_policy */
		struct lv_convert_req cr = { .mirrors = -1, .max_rate = -1, .min_rate = -1, .use_policies = true };

		return convert(c, d, h, lv, lv_segtype(lv), &cr, argc, argv);
	}
	if (!st)
		return lvm_fail("--use-policies and --poolmetadatasize apply to thin pools and raid LVs.");
	if (req.policies)
		;
	else if (req.metadata) {
		if (size_opt(c, C_POOLMDSIZE, 'm', h->vg, &req.extents, &req.sign))
			return LVM_FAILED;
	} else if (opt_set(c, C_SIZE)) {
		if (size_opt(c, C_SIZE, 'm', h->vg, &req.extents, &req.sign))
			return LVM_FAILED;
	} else if (opt_set(c, C_EXTENTS)) {
		if (lvm_parse_extents(opt_val(c, C_EXTENTS), &a, &e) || a.pct != PCT_NONE)
			return lvm_fail("Invalid argument for --extents: %s", opt_val(c, C_EXTENTS));
		req.extents = a.n;
		req.sign = a.sign;
	} else {
		return lvm_fail("Please specify either size or extents.");
	}
	if (!req.policies && !req.metadata) { /* the verb's direction, and lvreduce's question */
		uint64_t old = lv->le_count, target = req.sign == '+' ? old + req.extents
						  : req.sign == '-' ? (req.extents < old ? old - req.extents : 0)
								    : req.extents;

		if (!strcmp(c->verb, "lvextend") && target < old)
			return lvm_fail("New size given (%llu extents) not larger than existing size (%u extents)",
					(unsigned long long)target, lv->le_count);
		if (!strcmp(c->verb, "lvreduce") && target > old)
			return lvm_fail("New size given (%llu extents) not less than existing size (%u extents)",
					(unsigned long long)target, lv->le_count);
	}
	req.confirm_reduce = confirm_reduce;
	req.ctx = &cr_ctx;
	cr_ctx = (struct confirm_ctx){ c, d, h->vg };
	change_init(&ch, c, h, d);
	if ((r = lvm_pv_args(h, argc, argv, &ranges, &ch.nranges)))
		return r;
	ch.ranges = ranges;
	r = st->resize(&ch, lv, &req, &e) ? lvm_fail("%s", e.msg) : 0;
	free(ranges);
	return r;
}

/* The type whose convert hook changes @lv: the one --type names; for
 * --merge of a sub-LV, its owner's; else the LV's own; -m on an LV whose
 * type has no hook is lvm2's mirror_segtype_default, raid1. */
static const struct segtype *convert_type(const struct lvm_cmd *c, const struct vg *vg, const struct vg_lv *lv,
					  const char *type)
{
	const struct segtype *st = lv_segtype(lv);
	const struct vg_lv *o;

	if (opt_set(c, C_MERGE) && (o = lv_first_user(vg, lv, NULL)) && lv_segtype(o) && lv_segtype(o)->convert)
		return lv_segtype(o);
	if (type) { /* a type that converts nothing itself (striped): the LV's own does */
		const struct segtype *to = segtype_find(type);

		return to && to != &segtype_unknown && !to->convert && st && st->convert ? st : to;
	}
	if ((!st || !st->convert) && opt_set(c, C_MIRRORS))
		return segtype_find("raid1");
	return st;
}

static int convert(struct lvm_cmd *c, struct dmctl *d, struct vgh *h, struct vg_lv *lv, const struct segtype *st,
		   const struct lv_convert_req *req, int argc, char **argv)
{
	struct alloc_range *ranges = NULL;
	struct err e = { { 0 } };
	struct lv_change ch;
	int r;

	if (!st || st == &segtype_unknown)
		return lvm_fail("Unknown segment type %s.", opt_set(c, C_TYPE) ? opt_val(c, C_TYPE) : "?");
	if (!st->convert)
		return lvm_fail("Operation not permitted on LV %s/%s of type %s (not supported yet).", h->vg->name,
				lv->name, lv->nseg ? lv->seg[0].type : "?");
	change_init(&ch, c, h, d);
	if ((r = lvm_pv_args(h, argc, argv, &ranges, &ch.nranges)))
		return r;
	ch.ranges = ranges;
	r = st->convert(&ch, lv, req, &e) ? lvm_fail("%s", e.msg) : 0;
	free(ranges);
	return r;
}

/* lvconvert/lvcreate --cachedevice PV...: those PVs are the change's
 * (the new cachevol's), as positional PVs are elsewhere. */
static int convert_on_devices(struct lvm_cmd *c, struct dmctl *d, struct vgh *h, struct vg_lv *lv,
			      const struct segtype *st, const struct lv_convert_req *req)
{
	const char **v = NULL;
	unsigned n = 0;
	int r;

	if (cli_values(&c->a, C_CACHEDEVICE, &v, &n))
		return lvm_fail("out of memory");
	r = convert(c, d, h, lv, st, req, (int)n, (char **)v);
	free(v);
	return r;
}

/* --cachesize SIZE in extents of @vg (0: not given). */
static int cache_size_opt(struct lvm_cmd *c, const struct vg *vg, uint64_t *extents)
{
	*extents = 0;
	if (!opt_set(c, C_CACHESIZE))
		return 0;
	if (size_opt(c, C_CACHESIZE, 'm', vg, extents, NULL))
		return LVM_EINVALID;
	return *extents ? 0 : lvm_fail("Invalid argument for --cachesize: %s", opt_val(c, C_CACHESIZE));
}

int lvm_hooks_remove_missing(struct lvm_cmd *c, struct dmctl *d, struct vgh *h, struct vg_lv *lv)
{
	struct lv_convert_req req = { .mirrors = -1, .max_rate = -1, .min_rate = -1, .zero = -1, .remove_missing = true };

	return convert(c, d, h, lv, lv_segtype(lv), &req, 0, NULL);
}

int lvm_lvconvert(void *ctx, int argc, char **argv)
{
	struct lvm_cmd *c = ctx;
	struct lv_convert_req req = { .mirrors = -1, .max_rate = -1, .min_rate = -1, .repair = opt_set(c, C_REPAIR),
				      .use_policies = opt_set(c, C_USEPOLICIES), .zero = -1 };
	struct vgh h = { .lock_fd = -1 };
	struct err e = { { 0 } };
	struct dmctl d = { 0 };
	char vgname[LVM_NAME_LEN], dmlv[LVM_NAME_LEN];
	const char *name;
	struct vg_lv *lv;
	uint64_t v;
	int r;

	if (opt_set(c, C_MIRRORS)) {
		if (parse_u64(opt_val(c, C_MIRRORS), &v) || v > 63)
			return lvm_fail("Invalid argument for --mirrors: %s", opt_val(c, C_MIRRORS));
		req.mirrors = (int)v;
	}
	if (opt_set(c, C_SPLITMIRRORS)) {
		if (parse_u64(opt_val(c, C_SPLITMIRRORS), &v) || !v || v > 63)
			return lvm_fail("Invalid argument for --splitmirrors: %s", opt_val(c, C_SPLITMIRRORS));
		req.split = (unsigned)v;
	}
	req.interval = 15; /* lvm2's activation/polling_interval */
	if (opt_set(c, C_INTERVAL)) {
		if (parse_u64(opt_val(c, C_INTERVAL) + (*opt_val(c, C_INTERVAL) == '+'), &v) || v > 86400)
			return lvm_fail("Invalid argument for --interval: %s", opt_val(c, C_INTERVAL));
		req.interval = (int)v;
	}
	req.track = opt_set(c, C_TRACKCHANGES);
	req.merge = opt_set(c, C_MERGE);
	req.name = opt_set(c, C_NAME) ? opt_val(c, C_NAME) : NULL;
	req.type_name = opt_set(c, C_TYPE) ? opt_val(c, C_TYPE) : NULL;
	req.pool_metadata = opt_set(c, C_POOLMETADATA) ? opt_val(c, C_POOLMETADATA) : NULL;
	req.swap_metadata = opt_set(c, C_SWAPMETADATA);
	/* --thinpool VG/LV alone: that LV becomes a thin pool (a pool already
	 * with --poolmetadata: their metadata swapped, the type sees) */
	if (opt_set(c, C_THINPOOL) && (argc || opt_set(c, C_THIN) || (req.type_name && !strcmp(req.type_name, "thin")))) {
		/* --type thin (or -T) --thinpool POOL LV: LV becomes a thin LV of POOL */
		if ((req.type_name && strcmp(req.type_name, "thin")) || !argc)
			return lvm_fail("--thinpool POOL with an LV goes with --type thin (or -T): lvconvert --type thin "
					"--thinpool POOL VG/LV.");
		req.type_name = "thin";
		req.thin_pool = opt_val(c, C_THINPOOL);
	} else if (opt_set(c, C_THINPOOL)) {
		if (req.type_name && strcmp(req.type_name, "thin-pool"))
			return lvm_fail("--thinpool VG/LV alone goes with --type thin-pool, or with --type thin and an LV.");
		req.type_name = "thin-pool";
		argv[0] = (char *)opt_val(c, C_THINPOOL);
		argc = 1;
	} else if (opt_set(c, C_THIN) || (req.type_name && !strcmp(req.type_name, "thin"))) {
		return lvm_fail("lvconvert --type thin needs --thinpool POOL.");
	}
	if (opt_set(c, C_ORIGINNAME) && !req.thin_pool)
		return lvm_fail("--originname goes with --type thin --thinpool POOL.");
	req.origin_name = opt_set(c, C_ORIGINNAME) ? opt_val(c, C_ORIGINNAME) : NULL;
	if (!argc)
		return lvm_no_syntax(c);
	if (req.swap_metadata && (!req.pool_metadata || req.type_name))
		return lvm_fail("--swapmetadata goes with --poolmetadata LV (and no --type).");
	if (req.pool_metadata && !req.swap_metadata && !req.type_name)
		return lvm_fail("--poolmetadata goes with --type thin-pool|cache-pool (or --thinpool) or --swapmetadata.");
	req.cache_pool = opt_set(c, C_CACHEPOOL) ? opt_val(c, C_CACHEPOOL) : NULL;
	req.cache_vol = opt_set(c, C_CACHEVOL) ? opt_val(c, C_CACHEVOL) : NULL;
	req.cache_device = opt_set(c, C_CACHEDEVICE);
	if (req.cache_device && argc > 1)
		return lvm_fail("--cachedevice names the PVs of the new cachevol: no PVs after the LV.");
	req.split_cache = opt_set(c, C_SPLITCACHE);
	req.uncache = opt_set(c, C_UNCACHE);
	req.force = opt_set(c, C_FORCE);
	req.zero = opt_set(c, C_ZERO) ? opt_val(c, C_ZERO)[0] == 'y' : -1;
	req.mirror_log = opt_set(c, C_MIRRORLOG) ? opt_val(c, C_MIRRORLOG) : NULL;
	if ((r = chunk_opt(c, &req.chunk_size)))
		return r;
	if (!req.repair && req.mirrors < 0 && !req.type_name && !req.split && !req.merge && !req.split_cache &&
	    !req.uncache && !req.mirror_log && !req.swap_metadata)
		return lvm_fail("lvconvert needs --type, -m/--mirrors, --mirrorlog, --repair, --splitmirrors, --merge, "
				"--splitcache or --uncache.");
	if ((req.split_cache || req.uncache) &&
	    (req.split_cache + req.uncache > 1 || req.type_name || req.mirrors >= 0 || req.repair || req.split || req.merge))
		return lvm_fail("--splitcache and --uncache go alone (not with each other, --type, -m, --repair, "
				"--splitmirrors or --merge).");
	if ((req.cache_pool || req.cache_vol || req.cache_device) && !req.type_name)
		return lvm_fail("--cachepool, --cachevol and --cachedevice go with --type cache (or writecache).");
	if (opt_set(c, C_CACHESIZE) && !req.cache_device)
		return lvm_fail("--cachesize goes with --cachedevice.");
	if (req.track && !req.split)
		return lvm_fail("--trackchanges goes with --splitmirrors.");
	if ((req.split || req.merge) && (req.mirrors >= 0 || req.repair || req.type_name || (req.split && req.merge)))
		return lvm_fail("--splitmirrors and --merge go alone (not with each other, -m, --repair or --type).");
	if (req.use_policies && !req.repair)
		return lvm_fail("--use-policies goes with --repair.");
	if ((r = lvm_setup(c, true)))
		return r;
	/* ulvmd --on-event gives the dm name (vg-lv) */
	if (req.use_policies && !strchr(argv[0] + (strncmp(argv[0], "/dev/mapper/", 12) ? 0 : 12), '/') &&
	    !lvm_split_dmname(argv[0], vgname, sizeof(vgname), dmlv, sizeof(dmlv)))
		name = dmlv;
	else if (lvm_split_lvname(argv[0], vgname, sizeof(vgname), &name) || !name)
		return lvm_fail("Please specify a logical volume path (VG/LV).");
	if (lvm_vg_read(&c->env, vgname, &h, &e))
		return lvm_fail("%s", e.msg);
	if ((r = cache_opts(c, &req.cache)) ||
	    (opt_set(c, C_POOLMDSIZE) && (r = size_opt(c, C_POOLMDSIZE, 'm', h.vg, &req.meta_extents, NULL))) ||
	    (r = cache_size_opt(c, h.vg, &req.cache_size)))
		;
	else if (!(lv = vg_find_lv(h.vg, name)))
		r = lvm_fail("Failed to find logical volume \"%s/%s\"", vgname, name);
	else if (req.cache_device)
		r = convert_on_devices(c, &d, &h, lv, convert_type(c, h.vg, lv, req.type_name), &req);
	else
		r = convert(c, &d, &h, lv, convert_type(c, h.vg, lv, req.type_name), &req, argc - 1, argv + 1);
	free((void *)req.cache.settings);
	dmctl_close(&d);
	lvm_vg_release(&h);
	return r;
}

/* The option of lvcreate that names the cache (--cachevol, --cachepool
 * or --cachedevice), its value, and the type it goes with. */
static const char *attach_arg(struct lvm_cmd *c, const char **type, const char **opt)
{
	int o = opt_set(c, C_CACHEVOL) ? C_CACHEVOL : opt_set(c, C_CACHEPOOL) ? C_CACHEPOOL : C_CACHEDEVICE;

	*type = opt_set(c, C_TYPE) ? opt_val(c, C_TYPE) : "cache";
	*opt = o == C_CACHEVOL ? "cachevol" : o == C_CACHEPOOL ? "cachepool" : "cachedevice";
	return opt_val(c, o);
}

int lvm_hooks_attach_check(struct lvm_cmd *c, const struct vg *vg)
{
	const char *type, *opt, *arg = attach_arg(c, &type, &opt), *name;
	struct vg_lv *lv;
	int r;

	if (opt_set(c, C_CACHEVOL) + opt_set(c, C_CACHEPOOL) + opt_set(c, C_CACHEDEVICE) > 1)
		return lvm_fail("--cachevol, --cachepool and --cachedevice go one at a time.");
	if (strcmp(type, "cache") && strcmp(type, "writecache")) /* lvm2's lvcreate_and_attach_* */
		return lvm_fail("--%s goes with --type cache or writecache.", opt);
	if (opt_set(c, C_CACHESIZE) && !opt_set(c, C_CACHEDEVICE))
		return lvm_fail("--cachesize goes with --cachedevice.");
	if (opt_set(c, C_CACHEDEVICE))
		return 0; /* its PVs are looked for as the change's */
	if ((r = vg_lv_arg(vg, arg, &name, &lv)) == -EXDEV)
		return lvm_fail("Logical volume %s is not in volume group %s.", arg, vg->name);
	if (r)
		return lvm_fail("Logical volume %s not found in volume group %s.", name, vg->name);
	return 0;
}

int lvm_hooks_lvcreate_attach(struct lvm_cmd *c, const char *vgname, const char *name)
{
	struct lv_convert_req req = { .mirrors = -1, .max_rate = -1, .min_rate = -1, .zero = -1 };
	struct vgh h = { .lock_fd = -1 };
	struct err e = { { 0 } };
	struct dmctl d = { 0 };
	const char *type, *opt, *arg = attach_arg(c, &type, &opt);
	struct vg_lv *lv;
	int r;

	req.type_name = type;
	if (opt_set(c, C_CACHEDEVICE))
		req.cache_device = true;
	else
		*(opt_set(c, C_CACHEVOL) ? &req.cache_vol : &req.cache_pool) = arg;
	if (req.cache_pool) /* lvm2's lv_create_single: the pool's metadata wiped, nothing asked, "created" only */
		req.zero = 1, req.quiet = true;
	if ((r = chunk_opt(c, &req.chunk_size)))
		return r;
	if (lvm_vg_read(&c->env, vgname, &h, &e))
		return lvm_fail("%s", e.msg);
	if (!(lv = vg_find_lv(h.vg, name)))
		r = lvm_fail("Failed to find LV %s to add %s.", name, type);
	else if (!(r = cache_opts(c, &req.cache)) && !(r = cache_size_opt(c, h.vg, &req.cache_size)))
		r = req.cache_device ? convert_on_devices(c, &d, &h, lv, segtype_find(type), &req)
				     : convert(c, &d, &h, lv, segtype_find(type), &req, 0, NULL);
	if (r && lv) { /* lvm2 takes the new LV away again */
		fprintf(stderr, "  Removing new LV after failing to add %s.\n", type);
		err_clear(&e);
		if (lvm_lv_deactivate(&d, h.vg, lv, &e))
			fprintf(stderr, "  Failed to deactivate new LV %s/%s: %s\n", vgname, name, e.msg);
		else if ((lv = vg_find_lv(h.vg, name)) && !lv_first_user(h.vg, lv, NULL) && !lv_has_subs(h.vg, lv)) {
			vg_remove_lv(h.vg, lv);
			if (lvm_vg_commit(&c->env, &h, &e))
				fprintf(stderr, "  Failed to remove new LV %s/%s: %s\n", vgname, name, e.msg);
		}
	}
	free((void *)req.cache.settings);
	dmctl_close(&d);
	lvm_vg_release(&h);
	return r;
}

#define WRITE_MOSTLY_MAX 64

/* --writemostly PV[:y|n|t]...: the PVs into @argv (their suffix cut,
 * allocated), the modes into @modes (lvm2's: y when none is given). */
static int write_mostly_opts(struct lvm_cmd *c, char **argv, char *modes, unsigned *n)
{
	const char **v = NULL;
	unsigned nv = 0;
	int r = 0;

	*n = 0;
	if (!opt_set(c, C_WRITEMOSTLY))
		return 0;
	if (cli_values(&c->a, C_WRITEMOSTLY, &v, &nv))
		return lvm_fail("out of memory");
	for (unsigned i = 0; i < nv; i++) {
		const char *colon = strrchr(v[i], ':');
		size_t len = strlen(v[i]);
		char mode = 'y';

		if (colon && colon[1] && !colon[2] && strchr("ynt", colon[1])) {
			mode = colon[1];
			len = (size_t)(colon - v[i]);
		}
		if (!len || *n >= WRITE_MOSTLY_MAX) {
			lvm_fail("Invalid argument for --writemostly: %s", v[i]);
			r = LVM_EINVALID;
		} else if (!(argv[*n] = strndup(v[i], len))) {
			r = lvm_fail("out of memory");
		}
		if (r) {
			while (*n)
				free(argv[--*n]);
			free(v);
			return r;
		}
		modes[(*n)++] = mode;
	}
	modes[*n] = 0;
	free(v);
	return 0;
}

int lvm_hooks_lvchange_type(struct lvm_cmd *c, struct dmctl *d, struct vgh *h, struct vg_lv *lv)
{
	struct lv_convert_req req = { .mirrors = -1, .zero = -1 };
	char *argv[WRITE_MOSTLY_MAX], modes[WRITE_MOSTLY_MAX + 1];
	unsigned n = 0;
	uint64_t v;
	int r;

	if (opt_set(c, C_SYNCACTION))
		req.sync_action = opt_val(c, C_SYNCACTION);
	if (opt_set(c, C_ERRORWHENFULL) || opt_set(c, C_ZERO)) { /* a thin pool's */
		bool y = false;

		if (opt_set(c, C_ERRORWHENFULL) && (r = lvm_opt_yn(c, C_ERRORWHENFULL, &y)))
			return r;
		if (opt_set(c, C_ERRORWHENFULL))
			req.error_when_full = y ? 'y' : 'n';
		if (opt_set(c, C_ZERO) && (r = lvm_opt_yn(c, C_ZERO, &y)))
			return r;
		if (opt_set(c, C_ZERO))
			req.zero = y;
	}
	if (opt_set(c, C_DISCARDS))
		req.discards = opt_val(c, C_DISCARDS);
	if (opt_set(c, C_REBUILD) && opt_set(c, C_WRITEMOSTLY))
		return lvm_fail("--rebuild and --writemostly are separate changes: give one at a time.");
	if (opt_set(c, C_WRITEBEHIND)) {
		if (parse_u64(opt_val(c, C_WRITEBEHIND), &v) || v > 16383)
			return lvm_fail("Invalid argument for --writebehind: %s (0 to 16383)", opt_val(c, C_WRITEBEHIND));
		req.set_write_behind = true;
		req.write_behind = (uint32_t)v;
	}
	if (rate_opts(c, &req.max_rate, &req.min_rate) || cache_opts(c, &req.cache))
		return LVM_FAILED;
	if ((r = write_mostly_opts(c, argv, modes, &n)))
		return r;
	if (n)
		req.write_mostly = modes;
	if (opt_set(c, C_REBUILD)) {
		req.rebuild = true;
		argv[0] = (char *)opt_val(c, C_REBUILD);
	}
	r = convert(c, d, h, lv, lv_segtype(lv), &req, req.rebuild ? 1 : (int)n, argv);
	for (unsigned i = 0; i < n; i++)
		free(argv[i]);
	free((void *)req.cache.settings);
	return r;
}
