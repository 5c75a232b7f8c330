/* lvcreate, lvextend/lvreduce/lvresize, lvrename, lvremove, lvchange. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/fsadm.h"
#include "cli/lvm_each.h"
#include "common/args.h"
#include "common/units.h"
#include "lvm/activate.h"
#include "lvm/poll.h"
#include "lvm/alloc.h"
#include "lvm/lvref.h"
#include "lvm/report_lvm.h"
#include "lvm/segtype.h"
#include "lvm/wipe.h"

static const char *hsize(char *buf, uint64_t sectors)
{
	struct units u;

	units_init(&u);
	units_format(buf, UNITS_BUF, sectors * 512, &u, SIZE_SHORT);
	return buf;
}

static int parse_activate(struct lvm_cmd *c, bool *on)
{
	bool autoact;

	return lvm_parse_activate(c, on, &autoact);
}

int lvm_pv_args(struct vgh *h, int argc, char **argv, struct alloc_range **r, unsigned *n)
{
	struct err e = { { 0 } };

	for (int i = 0; i < argc; i++)
		if (alloc_parse_pv_arg(h->vg, argv[i], r, n, &e))
			return lvm_fail("%s", e.msg);
	return 0;
}

/* -L or -l into a count of extents (the value, with its sign); @cur is the
 * LV's extents for a resize, 0 for a new LV. */
static int size_arg(struct lvm_cmd *c, struct vgh *h, const struct alloc_req *req, uint32_t cur,
		    char *sign, uint64_t *extents)
{
	struct err e = { { 0 } };
	uint64_t E = h->vg->extent_size;
	char b1[UNITS_BUF];

	*sign = 0;
	if (opt_set(c, C_SIZE) && opt_set(c, C_EXTENTS))
		return lvm_fail("Please specify either size or extents (not both).");
	if (!opt_set(c, C_SIZE) && !opt_set(c, C_EXTENTS))
		return lvm_fail("Please specify either size or extents.");
	if (opt_set(c, C_SIZE)) {
		uint64_t s;

		if (lvm_parse_size(opt_val(c, C_SIZE), 'm', sign, &s, &e))
			return lvm_fail("%s", e.msg);
		*extents = (s + E - 1) / E;
		if (s % E)
			printf("  Rounding up size to full physical extent %s.\n", hsize(b1, *extents * E));
		return 0;
	}
	struct ext_arg a;
	uint64_t base = 0;

	if (lvm_parse_extents(opt_val(c, C_EXTENTS), &a, &e))
		return lvm_fail("%s", e.msg);
	*sign = a.sign;
	switch (a.pct) {
	case PCT_NONE:
		*extents = a.n;
		return 0;
	case PCT_FREE:
		base = alloc_free_extents(h->vg, req);
		break;
	case PCT_VG:
		base = vg_total_extents(h->vg);
		break;
	case PCT_PVS: /* of the PVs named: their free extents (pv_list_extents_free) */
		base = req->ranges ? alloc_free_extents(h->vg, req) : vg_total_extents(h->vg);
		break;
	case PCT_LV:
		if (!cur)
			return lvm_fail("Please express size as %%FREE, %%PVS or %%VG.");
		base = cur;
		break;
	case PCT_ORIGIN:
		base = cur;
		return lvm_fail("%%ORIGIN needs a snapshot: not implemented yet");
	}
	/* lvm2's percent_of_extents: a resize rounds up unless it shrinks */
	*extents = (base * a.n + (cur && a.sign != '-' ? 99 : 0)) / 100;
	return 0;
}

/* The policy an allocation follows, as lvm2 picks it: --alloc, else the
 * LV's own (unless inherit), else the VG's, else normal.  One ulvm cannot
 * follow (cling) refuses the allocation rather than being ignored. */
static int alloc_policy(struct lvm_cmd *c, const struct vg *vg, const struct vg_lv *lv, enum alloc_policy *p)
{
	struct err e = { { 0 } };
	const char *s = opt_set(c, C_ALLOC) ? opt_val(c, C_ALLOC) : NULL;

	if (!s && opt_set(c, C_CONTIGUOUS) && opt_val(c, C_CONTIGUOUS)[0] == 'y') /* lvcreate -C y */
		s = "contiguous";
	if (!s && lv && lv->alloc && strcmp(lv->alloc, "inherit"))
		s = lv->alloc;
	if (!s || !strcmp(s, "inherit"))
		s = vg->alloc ? vg->alloc : "normal";
	if (alloc_policy_parse(s, p, &e))
		return lvm_fail("%s%s%s: %s", lv ? "LV " : "VG ", lv ? lv->name : vg->name,
				opt_set(c, C_ALLOC) ? "" : "'s allocation policy", e.msg);
	return 0;
}

/* -p r|rw: *@rw. */
static int permission_arg(const struct lvm_cmd *c, bool *rw)
{
	const char *v = opt_val(c, C_PERMISSION);

	if (strcmp(v, "r") && strcmp(v, "rw"))
		return lvm_fail("Invalid argument for --permission: %s (r or rw)", v);
	*rw = !strcmp(v, "rw");
	return 0;
}

static int stripes_arg(struct lvm_cmd *c, unsigned *stripes, uint32_t *ssize)
{
	uint64_t v;
	char sign;
	struct err e = { { 0 } };

	if (opt_set(c, C_STRIPES)) {
		if (parse_u64(opt_val(c, C_STRIPES), &v) || !v || v > 64)
			return lvm_fail("Invalid argument for --stripes: %s", opt_val(c, C_STRIPES)), LVM_EINVALID;
		*stripes = (unsigned)v;
	}
	if (opt_set(c, C_STRIPESIZE)) {
		if (lvm_parse_size(opt_val(c, C_STRIPESIZE), 'k', &sign, &v, &e) || sign)
			return lvm_fail("Invalid argument for --stripesize: %s", opt_val(c, C_STRIPESIZE)), LVM_EINVALID;
		if (!is_pow2_u64(v) || v < 8)
			return lvm_fail("Invalid stripe size %s.", opt_val(c, C_STRIPESIZE)), LVM_EINVALID;
		*ssize = (uint32_t)v;
	}
	return 0;
}

static int check_new_lv_name(const struct vg *vg, const char *name)
{
	struct err e = { { 0 } };

	return vg_check_new_lv_name(vg, name, &e) ? lvm_fail("%s", e.msg) : 0;
}

int lvm_lvcreate(void *ctx, int argc, char **argv)
{
	struct lvm_cmd *c = ctx;
	struct alloc_req req = { .stripes = 1, .stripe_size = 128 };
	struct alloc_range *ranges = NULL;
	struct dmctl d = { 0 };
	struct err e = { { 0 } };
	struct vgh h = { .lock_fd = -1 };
	struct vg_lv *lv;
	char name[LVM_NAME_LEN], b1[UNITS_BUF], b2[UNITS_BUF], sign;
	uint64_t ext;
	bool activate = true, attach = opt_set(c, C_CACHEVOL) || opt_set(c, C_CACHEPOOL) || opt_set(c, C_CACHEDEVICE);
	int r;

	/* with --cachevol or --cachepool, lvm2 makes a linear or striped LV
	 * whatever --type says, then converts it as lvconvert --type does */
	if (!attach && lvm_hooks_lvcreate_wanted(c))
		return lvm_hooks_lvcreate(c, argc, argv);
	if (opt_set(c, C_ERRORWHENFULL))
		return lvm_fail("--errorwhenfull applies to thin pools (lvcreate --type thin-pool, -T).");
	if ((r = lvm_setup(c, true)))
		return r;
	if (opt_set(c, C_ACTIVATE) && (r = parse_activate(c, &activate)))
		return r;
	if ((r = stripes_arg(c, &req.stripes, &req.stripe_size)))
		return r;
	if (opt_set(c, C_TYPE) && !strcmp(opt_val(c, C_TYPE), segtype_striped.alias) && req.stripes > 1)
		return lvm_fail("--type linear takes no --stripes.");
	if (strchr(argv[0], '/'))
		return lvm_fail("Please give the VG name alone and the LV name with -n.");
	if (lvm_vg_read(&c->env, argv[0], &h, &e))
		return lvm_fail("%s", e.msg);
	if ((r = lvm_vg_lv_room(h.vg)) || (attach && (r = lvm_hooks_attach_check(c, h.vg))) ||
	    (r = alloc_policy(c, h.vg, NULL, &req.policy)))
		goto out;
	if ((r = lvm_pv_args(&h, argc - 1, argv + 1, &ranges, &req.nranges)))
		goto out;
	req.ranges = ranges;
	if (opt_set(c, C_NAME))
		snprintf(name, sizeof(name), "%s", opt_val(c, C_NAME));
	else
		vg_next_lv_name(h.vg, name, sizeof(name));
	if ((r = check_new_lv_name(h.vg, name)) || (r = size_arg(c, &h, &req, 0, &sign, &ext)))
		goto out;
	if (sign == '-' || !ext || ext > UINT32_MAX) {
		r = lvm_fail("Invalid size for a new logical volume.");
		goto out;
	}
	if (ext % req.stripes) {
		uint64_t up = (ext / req.stripes + 1) * req.stripes;

		printf("  Rounding size %s (%llu extents) up to stripe boundary size %s (%llu extents).\n",
		       hsize(b1, ext * h.vg->extent_size), (unsigned long long)ext,
		       hsize(b2, up * h.vg->extent_size), (unsigned long long)up);
		ext = up;
	}
	if (req.stripes > 1 && req.stripe_size > h.vg->extent_size) {
		printf("  Reducing stripe size %s to maximum, physical extent size %s.\n",
		       hsize(b1, req.stripe_size), hsize(b2, h.vg->extent_size));
		req.stripe_size = h.vg->extent_size;
	}
	req.extents = (uint32_t)ext;
	if (vg_add_lv(h.vg, name, &lv, &e) || alloc_extend(h.vg, lv, &req, &e)) {
		r = lvm_fail("%s", e.msg);
		goto out;
	}
	bool props = false;
	if ((opt_set(c, C_SETAUTOACT) && (r = lvm_set_autoactivation(c, &lv->status, FLAG(LVF_NOAUTOACTIVATE)))) ||
	    (r = lvm_apply_tags(c, &lv->tags)) || (r = lvm_lv_props(c, h.vg, lv, true, &props)))
		goto out;
	if (opt_set(c, C_PERMISSION)) { /* lvcreate -p r */
		bool rw = true;

		if ((r = permission_arg(c, &rw)))
			goto out;
		if (!rw)
			lv->status &= ~FLAG(LVF_WRITE);
	}
	/* (lvm_lv_props: lvm2 keeps an explicit policy, --alloc or -C y, on
	 * the LV for its later extensions) */
	if (activate && lvm_daemon_up(c, &d)) { /* its dm name held by another device: refuse now */
		char dm[LV_DM_NAME_MAX], uuid[LV_DM_UUID_MAX];

		lv_dm_name(h.vg, lv, dm);
		lv_dm_uuid(h.vg, lv, uuid);
		if (dmctl_device(&d, dm, uuid, &e) < 0) {
			r = lvm_fail("%s; nothing was written", e.msg);
			goto out;
		}
	}
	if (lvm_vg_commit(&c->env, &h, &e)) {
		r = lvm_fail("%s", e.msg);
		goto out;
	}
	/* lvm2's -Z y (first 4 KiB) and -W (signatures; by default whenever it
	 * zeroes, allocation/wipe_signatures_when_zeroing_new_lvs) */
	{
		bool zero = !opt_set(c, C_ZERO) || opt_val(c, C_ZERO)[0] == 'y';
		bool wipe = opt_set(c, C_WIPE) ? opt_val(c, C_WIPE)[0] == 'y' : zero;

		if (lv_wipe_new(h.vg, lv, wipe, zero ? LV_ZERO_START : 0, &e)) {
			r = lvm_fail("%s (the LV is created)", e.msg);
			goto out;
		}
		if (!zero)
			fprintf(stderr, "  WARNING: Logical volume %s/%s not zeroed.\n", h.vg->name, name);
	}
	printf("  Logical volume \"%s\" created.\n", name);
	if (activate) {
		if (!lvm_daemon_up(c, &d))
			printf("  ulvmd is not running: logical volume %s/%s is inactive.\n", h.vg->name, name);
		else if (lv_activate(c, &d, h.vg, lv, &e))
			r = lvm_fail("Failed to activate new LV %s/%s: %s", h.vg->name, name, e.msg);
	}
out:
	free(ranges);
	dmctl_close(&d);
	lvm_vg_release(&h);
	return !r && attach ? lvm_hooks_lvcreate_attach(c, argv[0], name) : r;
}

/* lvm2 refuses to remove or shrink an active LV it cannot deactivate: an
 * LV that another ulvmd (another run dir) maps is one.  The claims on the
 * PVs tell (io/dev.h); this daemon's own devices are deactivated as usual. */
static int mapped_elsewhere(struct lvm_cmd *c, struct dmctl *d, const struct vg *vg, struct vg_lv *const *lv,
			    unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (!lv_is_active(c, d, vg, lv[i]) && lv_extents_claimed(vg, lv[i]) == 1)
			return lvm_fail("Logical volume %s/%s in use: a ulvmd that this command does not reach maps "
					"its extents; deactivate it there first.", vg->name, lv[i]->name);
	return 0;
}

/* A hidden LV that another LV uses goes only with that LV (lvm2:
 * "Can't remove internal LV"); an LV goes with the hidden sub-LVs it
 * owns, unless an LV outside them uses one (a snapshot's origin, an
 * external origin).  Also refused for resize and rename. */
static int internal_check(const struct vg *vg, const struct vg_lv *lv, const char *what)
{
	const char *key;
	const struct vg_lv *u = lv_first_user(vg, lv, &key);

	if (u && !(lv->status & FLAG(LVF_VISIBLE)))
		return lvm_fail("Cannot %s internal LV %s/%s: it is the %s of %s/%s.", what, vg->name, lv->name, key,
				vg->name, u->name);
	return 0;
}

static int read_lv_name(struct lvm_cmd *c, const char *vg, const char *name, struct vgh *h, struct vg_lv **lv)
{
	struct err e = { { 0 } };

	*lv = NULL; /* for -O3's maybe-uninitialized: lvm_fail's result is never 0 */
	if (lvm_vg_read(&c->env, vg, h, &e))
		return lvm_fail("%s", e.msg);
	if (!(*lv = vg_find_lv(h->vg, name))) {
		lvm_fail("Failed to find logical volume \"%s/%s\"", vg, name);
		lvm_vg_release(h);
		return LVM_FAILED;
	}
	return 0;
}

static int read_lv(struct lvm_cmd *c, const char *arg, struct vgh *h, struct vg_lv **lv)
{
	char vg[LVM_NAME_LEN];
	const char *name;

	if (lvm_split_lvname(arg, vg, sizeof(vg), &name))
		return LVM_FAILED;
	return read_lv_name(c, vg, name, h, lv);
}

/* lvextend --use-policies runs from ulvmd --on-event with the dm name of
 * the device that raised the event (vg-pool-tpool): take that too. */
static int read_resize_lv(struct lvm_cmd *c, const char *arg, struct vgh *h, struct vg_lv **lv)
{
	char vg[LVM_NAME_LEN], name[LVM_NAME_LEN];
	bool dm = !strncmp(arg, "/dev/mapper/", 12) || !strchr(arg, '/');

	if (dm && opt_set(c, C_USEPOLICIES) && !lvm_split_dmname(arg, vg, sizeof(vg), name, sizeof(name)))
		return read_lv_name(c, vg, name, h, lv);
	return read_lv(c, arg, h, lv);
}

int lvm_confirm_reduce(struct lvm_cmd *c, struct dmctl *d, const struct vg *vg, const struct vg_lv *lv,
		       uint64_t target)
{
	char b1[UNITS_BUF], q[600];

	printf("  WARNING: Reducing%s logical volume %s/%s to %s.\n"
	       "  THIS MAY DESTROY YOUR DATA (filesystem etc.)\n",
	       lv_is_active(c, d, vg, lv) ? " active" : "", vg->name, lv->name, hsize(b1, target * vg->extent_size));
	snprintf(q, sizeof(q), "Do you really want to reduce %s/%s?", vg->name, lv->name);
	if (!opt_set(c, C_FORCE) && !lvm_confirm(c, q))
		return lvm_fail("Logical volume %s/%s NOT reduced.", vg->name, lv->name);
	return 0;
}

/* lvextend, or a size given as +N: the LV can only grow. */
static bool grows(const struct lvm_cmd *c)
{
	return !strcmp(c->verb, "lvextend") || (opt_set(c, C_SIZE) && opt_val(c, C_SIZE)[0] == '+') ||
	       (opt_set(c, C_EXTENTS) && opt_val(c, C_EXTENTS)[0] == '+');
}

int lvm_lvresize(void *ctx, int argc, char **argv)
{
	struct lvm_cmd *c = ctx;
	const struct segtype *st;
	struct alloc_req req = { .stripes = 1, .stripe_size = 128 };
	struct alloc_range *ranges = NULL;
	struct dmctl d = { 0 };
	struct err e = { { 0 } };
	struct vgh h = { .lock_fd = -1 };
	struct vg_lv *lv;
	char sign, b1[UNITS_BUF], b2[UNITS_BUF];
	bool grow_only = !strcmp(c->verb, "lvextend"), shrink_only = !strcmp(c->verb, "lvreduce");
	bool resizefs = opt_set(c, C_RESIZEFS);
	struct fsadm fs = { 0 };
	uint64_t ext, target;
	const char *t;
	int r;

	if ((r = lvm_setup(c, true)))
		return r;
	if ((r = read_resize_lv(c, argv[0], &h, &lv)))
		return r;
	if ((r = alloc_policy(c, h.vg, lv, &req.policy)))
		goto out;
	if ((st = lv_change_type(h.vg, lv, true)) || opt_set(c, C_USEPOLICIES) || opt_set(c, C_POOLMDSIZE)) {
		uint32_t before = lv->le_count;
		char name[LVM_NAME_LEN];
		const struct vg_lv *now;

		snprintf(name, sizeof(name), "%s", lv->name);
		resizefs = resizefs && !opt_set(c, C_USEPOLICIES) && !opt_set(c, C_POOLMDSIZE);
		if (resizefs && !grows(c)) {
			r = lvm_fail("Cannot shrink the filesystem of %s/%s with its LV: -r (--resizefs) of a %s LV "
				     "only grows (lvextend -r).", h.vg->name, lv->name, st ? st->name : "");
			goto out;
		}
		if (resizefs && (r = fsadm_check(c, &d, h.vg, lv, opt_set(c, C_NOFSCK), &fs)))
			goto out;
		r = lvm_hooks_lvresize(c, &d, &h, st, lv, argc - 1, argv + 1);
		/* the LV as the type left it in the VG (by name: a type may
		 * rebuild its LVs) */
		if (!r && resizefs && (now = vg_find_lv(h.vg, name)) && now->le_count > before)
			r = fsadm_resize(&fs, (uint64_t)now->le_count * h.vg->extent_size * 512, false);
		goto out;
	}
	if ((r = internal_check(h.vg, lv, "resize")))
		goto out;
	if ((t = lv_unservable_type(lv))) {
		r = lvm_fail("Cannot resize LV %s/%s: segment type %s is not supported yet.", h.vg->name,
			     lv->name, t);
		goto out;
	}
	/* stripes default to the last segment's */
	req.stripes = lv->seg[lv->nseg - 1].narea;
	req.stripe_size = lv->seg[lv->nseg - 1].stripe_size ? lv->seg[lv->nseg - 1].stripe_size : 128;
	if ((r = stripes_arg(c, &req.stripes, &req.stripe_size)) ||
	    (r = lvm_pv_args(&h, argc - 1, argv + 1, &ranges, &req.nranges)))
		goto out;
	req.ranges = ranges;
	if ((r = size_arg(c, &h, &req, lv->le_count, &sign, &ext)))
		goto out;
	target = sign == '+' ? lv->le_count + ext : sign == '-' ? (ext >= lv->le_count ? 0 : lv->le_count - ext) : ext;
	if (sign == '-' && ext >= lv->le_count)
		target = 0;
	if (target > lv->le_count && target % req.stripes)
		target += req.stripes - (target - lv->le_count) % req.stripes;
	if (target != lv->le_count && (r = lvm_hooks_resize_users(c, &d, &h, lv, target > lv->le_count)))
		goto out;
	if (target == lv->le_count) {
		r = lvm_fail("New size (%llu extents) matches existing size (%u extents).",
			     (unsigned long long)target, lv->le_count);
		goto out;
	}
	if (!target || target > UINT32_MAX) {
		r = lvm_fail("Cannot resize logical volume %s/%s to %llu extents.", h.vg->name, lv->name,
			     (unsigned long long)target);
		goto out;
	}
	if (grow_only && target < lv->le_count) {
		r = lvm_fail("New size given (%llu extents) not larger than existing size (%u extents)",
			     (unsigned long long)target, lv->le_count);
		goto out;
	}
	if (shrink_only && target > lv->le_count) {
		r = lvm_fail("New size given (%llu extents) not less than existing size (%u extents)",
			     (unsigned long long)target, lv->le_count);
		goto out;
	}
	uint32_t old = lv->le_count;
	if (target < old && (r = mapped_elsewhere(c, &d, h.vg, &lv, 1)))
		goto out;
	/* lvm2: with -r the filesystem is checked first, and shrunk before its
	 * LV (so no question), grown after */
	if (resizefs && (r = fsadm_check(c, &d, h.vg, lv, opt_set(c, C_NOFSCK), &fs)))
		goto out;
	if (target < old && resizefs && (r = fsadm_resize(&fs, target * h.vg->extent_size * 512, true)))
		goto out;
	if (target < old) {
		if (!resizefs && (r = lvm_confirm_reduce(c, &d, h.vg, lv, target)))
			goto out;
		if (lv_reduce(lv, old - (uint32_t)target, &e)) {
			r = lvm_fail("%s", e.msg);
			goto out;
		}
	} else {
		req.extents = (uint32_t)(target - old);
		if (alloc_extend(h.vg, lv, &req, &e)) {
			r = lvm_fail("%s", e.msg);
			goto out;
		}
	}
	if (lvm_vg_commit(&c->env, &h, &e)) {
		r = lvm_fail("%s", e.msg);
		goto out;
	}
	printf("  Size of logical volume %s/%s changed from %s (%u extents) to %s (%u extents).\n",
	       h.vg->name, lv->name, hsize(b1, (uint64_t)old * h.vg->extent_size), old,
	       hsize(b2, (uint64_t)lv->le_count * h.vg->extent_size), lv->le_count);
	if (lv_reload(c, &d, h.vg, lv, &e))
		r = lvm_fail("%s", e.msg);
	else
		printf("  Logical volume %s/%s successfully resized.\n", h.vg->name, lv->name);
	if (!r && resizefs && lv->le_count > old)
		r = fsadm_resize(&fs, (uint64_t)lv->le_count * h.vg->extent_size * 512, false);
out:
	fsadm_close(&fs);
	free(ranges);
	dmctl_close(&d);
	lvm_vg_release(&h);
	return r;
}

int lvm_lvrename(void *ctx, int argc, char **argv)
{
	struct lvm_cmd *c = ctx;
	struct dmctl d = { 0 };
	struct err e = { { 0 } };
	struct vgh h = { .lock_fd = -1 };
	char vg[LVM_NAME_LEN], old[LVM_NAME_LEN], vg2[LVM_NAME_LEN], old_dm[LV_DM_NAME_MAX];
	const char *lvn, *newn;
	struct vg_lv *lv;
	bool active;
	int r;

	if (argc == 3) {
		snprintf(vg, sizeof(vg), "%s", argv[0]);
		lvn = argv[1];
		newn = argv[2];
	} else {
		if (lvm_split_lvname(argv[0], vg, sizeof(vg), &lvn))
			return LVM_FAILED;
		newn = argv[1];
		if (strchr(newn, '/')) {
			if (lvm_split_lvname(newn, vg2, sizeof(vg2), &newn))
				return LVM_FAILED;
			if (strcmp(vg, vg2))
				return lvm_fail("Logical volume names must have the same volume group (\"%s\" or \"%s\").",
						vg, vg2);
		}
	}
	if ((r = lvm_setup(c, true)))
		return r;
	if (lvm_vg_read(&c->env, vg, &h, &e))
		return lvm_fail("%s", e.msg);
	if (!(lv = vg_find_lv(h.vg, lvn))) {
		r = lvm_fail("Existing logical volume \"%s\" not found in volume group \"%s\"", lvn, vg);
		goto out;
	}
	if ((r = check_new_lv_name(h.vg, newn)))
		goto out;
	if (!(lv->status & FLAG(LVF_VISIBLE)) && !lv_stands_for(h.vg, lv)) {
		r = lvm_fail("Cannot rename internal LV \"%s\".", lv->name);
		goto out;
	}
	/* Metadata first, then the active device: a failure in between
	 * leaves the LV renamed and its device under the old name, which
	 * `dmsetup remove OLD` and lvchange -ay mend.  An LV with sub-LVs
	 * (a pool) has several devices: refused while active. */
	if ((active = lv_is_active(c, &d, h.vg, lv)))
		lv_dm_name(h.vg, lv, old_dm);
	if (active && lv_has_subs(h.vg, lv)) {
		r = lvm_fail("Cannot rename active LV %s/%s, which has sub-LVs: deactivate it first.", vg, lvn);
		goto out;
	}
	snprintf(old, sizeof(old), "%s", lv->name);
	if (lv_rename_with_subs(h.vg, lv, newn, &e)) {
		r = lvm_fail("%s", e.msg);
		goto out;
	}
	if (lvm_vg_commit(&c->env, &h, &e)) {
		r = lvm_fail("%s", e.msg);
		goto out;
	}
	if (active && lv_rename_active(c, &d, old_dm, h.vg, lv, &e)) {
		r = lvm_fail("%s (the metadata is renamed)", e.msg);
		goto out;
	}
	printf("  Renamed \"%s\" to \"%s\" in volume group \"%s\"\n", old, newn, vg);
out:
	dmctl_close(&d);
	lvm_vg_release(&h);
	return r;
}

static int removal_check(const struct vg *vg, struct vg_lv *lv, struct vg_lv ***set, unsigned *n)
{
	struct err e = { { 0 } };
	int r;

	if ((r = internal_check(vg, lv, "remove")))
		return r;
	if (lv_removal_set(vg, lv, set, n, &e))
		return lvm_fail("%s", e.msg);
	return 0;
}

/* @TAG and -S name the LVs to remove: "vg/lv" each, those of a type
 * commands meet first (pools) last, so that their users go before them. */
struct lv_names {
	char **v;
	unsigned n, first;
	bool walked; /* the arguments were read this way: v holds all */
};

static int collect_lv(struct lvm_cmd *c, struct vgh *h, struct vg_lv *lv, void *arg)
{
	struct lv_names *x = arg;
	char **v = realloc(x->v, (x->n + 1) * sizeof(*v));
	bool last = lv_segtype(lv) && (lv_segtype(lv)->flags & SEGTYPE_FIRST);

	(void)c;
	if (!v)
		return lvm_fail("out of memory");
	x->v = v;
	if (asprintf(&v[x->n], "%s/%s", h->vg->name, lv->name) < 0)
		return lvm_fail("out of memory");
	if (!last) { /* before the pools met so far */
		char *t = v[x->n];

		memmove(&v[x->n - x->first + 1], &v[x->n - x->first], x->first * sizeof(*v));
		v[x->n - x->first] = t;
	} else {
		x->first++;
	}
	x->n++;
	return 0;
}

static int lvremove_args(struct lvm_cmd *c, int argc, char **argv, struct lv_names *x)
{
	struct lvm_each how = { .lv = collect_lv, .arg = x, .foreign = true };
	bool walk = opt_set(c, C_SELECT);
	int r;

	for (int i = 0; i < argc; i++) /* a tag, or a VG: every LV of it (lvm2's process_each_lv) */
		walk |= argv[i][0] == '@' || !strchr(argv[i], '/');
	if (!(x->walked = walk))
		return 0;
	if ((r = lvm_sel_init(c, C_SELECT, &report_lvm_lvs, &how.sel)))
		return r;
	r = lvm_each_lv(c, argc, argv, &how);
	lvm_sel_free(how.sel);
	return r;
}

/* The plans of the active LVs an LV about to go names with a cascading
 * key (a snapshot's origin), taken while it still stacks on them. */
struct named_plans {
	struct lvm_cmd *c;
	struct dmctl *d;
	const struct vg *vg;
	unsigned n;
	const struct vg_lv *lv[4];
	struct lv_plan plan[4];
};

static int collect_named(const struct lv_ref *r, void *data)
{
	struct named_plans *x = data;
	struct err e = { { 0 } };

	if (!r->cascade || !r->to || x->n == 4 || !lv_is_active(x->c, x->d, x->vg, r->to) ||
	    lv_plan_build(&x->plan[x->n], x->vg, &x->c->env, r->to, &e))
		return 0;
	x->lv[x->n++] = r->to;
	return 0;
}

static void named_plans(const struct vg *vg, const struct vg_lv *lv, struct named_plans *x)
{
	x->vg = vg;
	lv_refs_each(vg, lv, collect_named, x);
}

static void named_free(struct named_plans *x)
{
	for (unsigned i = 0; i < x->n; i++)
		lv_plan_free(&x->plan[i]);
	x->n = 0;
}

/* The LVs lvremove of @lv takes first (lvm2's lv_remove_with_dependencies):
 * those naming it by a key with a dependent word (struct seg_ref_key), by
 * the names lvs shows ("vg/snap" for an old snapshot's snapshotN). */
struct deps {
	const struct vg *vg;
	const struct vg_lv *lv;
	char **names;
	unsigned n;
	const char *word; /* lvm2's word for @lv in its question, or "" */
};

static int dep_ref(const struct lv_ref *r, void *data)
{
	struct deps *x = data;
	const struct vg_lv *shown = r->from;
	char **v;

	if (r->to != x->lv || !r->dependent || r->from == x->lv)
		return 0;
	for (unsigned i = 0; lv_internal(r->from) && i < x->vg->nlv; i++)
		if (lv_stands_for(x->vg, x->vg->lv[i]) == r->from)
			shown = x->vg->lv[i];
	if (!(v = realloc(x->names, (x->n + 1) * sizeof(*v))) ||
	    asprintf(&v[x->n], "%s/%s", x->vg->name, shown->name) < 0)
		return -ENOMEM;
	x->names = v;
	x->n++;
	if (*r->dependent)
		x->word = r->dependent;
	return 0;
}

static void deps_free(struct deps *x)
{
	for (unsigned i = 0; i < x->n; i++)
		free(x->names[i]);
	free(x->names);
}

static int remove_one(struct lvm_cmd *c, struct dmctl *d, const char *arg, unsigned depth);

static bool lv_still_there(struct lvm_cmd *c, const char *arg)
{
	struct vgh h = { .lock_fd = -1 };
	struct err e = { { 0 } };
	char vg[LVM_NAME_LEN];
	const char *name;
	bool there;

	if (lvm_split_lvname(arg, vg, sizeof(vg), &name) || lvm_vg_read(&c->env, vg, &h, &e))
		return true; /* remove_one says what is wrong */
	there = vg_find_lv(h.vg, name) != NULL;
	lvm_vg_release(&h);
	return there;
}

/* lvm2's question before removing an active LV (@shown as the user named
 * it: an old snapshot by its COW LV), then its deactivation; 0 or lvm_fail's. */
static int deactivate_asked(struct lvm_cmd *c, struct dmctl *d, const struct vg *vg, const struct vg_lv *lv,
			    const struct vg_lv *shown)
{
	struct err e = { { 0 } };
	char q[600];

	snprintf(q, sizeof(q), "Do you really want to remove active logical volume %s/%s?", vg->name, shown->name);
	if (!opt_set(c, C_FORCE) && !lvm_confirm(c, q))
		return lvm_fail("Logical volume %s/%s not removed.", vg->name, shown->name);
	return lv_deactivate(c, d, vg, lv, &e) ? lvm_fail("%s", e.msg) : 0;
}

/* The LV arg names (*@shown) and the one removed for it (*@lv: an old
 * snapshot's internal LV for its COW LV's name). */
static int read_removal(struct lvm_cmd *c, const char *arg, struct vgh *h, struct vg_lv **lv, struct vg_lv **shown)
{
	struct vg_lv *top;
	int r = read_lv(c, arg, h, shown);

	if (!r)
		*lv = (top = lv_stands_for(h->vg, *shown)) ? top : *shown;
	return r;
}

/* The dependents of @lv go first, after lvm2's question (a pool's), or
 * with @lv deactivated first (an origin, whose snapshots then go without
 * more questions).  @h is released. */
static int remove_deps(struct lvm_cmd *c, struct dmctl *d, struct vgh *h, struct vg_lv *lv, struct vg_lv *shown,
		       struct deps *x, unsigned depth)
{
	char q[600];
	int r = 0;

	if (x->word && !opt_set(c, C_FORCE)) {
		snprintf(q, sizeof(q), "Removing %s %s/%s will remove %u dependent volume(s). Proceed?", x->word,
			 h->vg->name, shown->name, x->n);
		if (!lvm_confirm(c, q))
			r = lvm_fail("Logical volume %s/%s not removed.", h->vg->name, shown->name);
	} else if (!x->word && lv_is_active(c, d, h->vg, shown)) {
		r = deactivate_asked(c, d, h->vg, lv, shown);
	}
	lvm_vg_release(h);
	for (unsigned i = 0; i < x->n && !r; i++)
		r = remove_one(c, d, x->names[i], depth + 1);
	return r;
}

/* lvremove of one VG/LV: its dependents first, then the LV with its
 * sub-LVs (its type's hook, or the generic removal). */
static int remove_one(struct lvm_cmd *c, struct dmctl *d, const char *arg, unsigned depth)
{
	struct vgh h = { .lock_fd = -1 };
	struct err e = { { 0 } };
	struct vg_lv *lv, *shown, **set = NULL;
	struct named_plans named = { .c = c, .d = d };
	const struct segtype *st;
	unsigned nset = 0;
	char name[LVM_NAME_LEN];
	int r, ret = 0;

	if ((r = read_removal(c, arg, &h, &lv, &shown)))
		return r;
	if (depth < 8) {
		struct deps x = { .vg = h.vg, .lv = lv };

		if (lv_refs_each(h.vg, NULL, dep_ref, &x)) {
			deps_free(&x);
			lvm_vg_release(&h);
			return lvm_fail("out of memory");
		}
		if (x.n) {
			r = remove_deps(c, d, &h, lv, shown, &x, depth);
			deps_free(&x);
			if (r || (r = read_removal(c, arg, &h, &lv, &shown)))
				return r;
		}
	}
	if ((st = lv_change_type(h.vg, shown, false))) {
		r = lvm_hooks_lvremove(c, d, &h, st, shown);
		lvm_vg_release(&h);
		return r;
	}
	snprintf(name, sizeof(name), "%s", shown->name);
	if ((r = removal_check(h.vg, lv, &set, &nset)) || (r = mapped_elsewhere(c, d, h.vg, set, nset))) {
		free(set);
		lvm_vg_release(&h);
		return r;
	}
	named_plans(h.vg, lv, &named);
	if (lv_is_active(c, d, h.vg, shown) && (ret = deactivate_asked(c, d, h.vg, lv, shown))) {
		free(set);
		named_free(&named);
		lvm_vg_release(&h);
		return ret;
	}
	/* with its sub-LVs, which no other LV uses (removal_check); one of
	 * them that it named (a sparse snapshot's origin) is not restacked */
	for (unsigned k = 0; k < nset; k++) {
		for (unsigned i = 0; i < named.n; i++)
			if (named.lv[i] == set[k])
				named.lv[i] = NULL;
		vg_remove_lv(h.vg, set[k]);
	}
	free(set);
	if (lvm_vg_commit(&c->env, &h, &e))
		ret = lvm_fail("%s", e.msg);
	else
		printf("  Logical volume \"%s\" successfully removed.\n", name);
	/* what it stacked on the LVs it named comes off (a snapshot's origin) */
	for (unsigned k = 0; k < named.n && !ret; k++)
		if (named.lv[k] && vg_find_lv(h.vg, named.lv[k]->name) == named.lv[k] &&
		    lv_dm_restack_since(d, &c->env, h.vg, named.lv[k], &named.plan[k], &e))
			ret = lvm_fail("%s", e.msg);
	named_free(&named);
	lvm_vg_release(&h);
	return ret;
}

int lvm_lvremove(void *ctx, int argc, char **argv)
{
	struct lvm_cmd *c = ctx;
	struct dmctl d = { 0 };
	struct lv_names names = { 0 };
	int ret = 0, r;

	if (!argc && !opt_set(c, C_SELECT))
		return lvm_no_syntax(c);
	if ((r = lvm_setup(c, true)) || (r = lvremove_args(c, argc, argv, &names))) {
		for (unsigned i = 0; i < names.n; i++)
			free(names.v[i]);
		free(names.v);
		return r;
	}
	if (names.walked) {
		argc = (int)names.n;
		argv = names.v;
	}
	for (int i = 0; i < argc; i++) {
		if (names.walked && !lv_still_there(c, argv[i]))
			; /* selected, and gone with an LV it depended on */
		else if ((r = remove_one(c, &d, argv[i], 0)))
			ret = r;
	}
	for (unsigned i = 0; i < names.n; i++)
		free(names.v[i]);
	free(names.v);
	dmctl_close(&d);
	return ret;
}

/* lvchange -p r|rw (lvchange.c _lvchange_permission): the LV's WRITE
 * flag, checked here, committed with the other changes. */
static int change_permission(struct vgh *h, struct vg_lv *lv, bool rw)
{
	const char *key;
	const struct vg_lv *u = lv_first_user(h->vg, lv, &key);

	if (!(lv->status & FLAG(LVF_VISIBLE)))
		return lvm_fail("Cannot change permissions of internal LV %s/%s.", h->vg->name, lv->name);
	if (rw == !!(lv->status & FLAG(LVF_WRITE)))
		return lvm_fail("Logical volume %s/%s is already %s.", h->vg->name, lv->name,
				rw ? "writable" : "read only");
	if (rw && u && !strcmp(key, "external_origin"))
		return lvm_fail("Cannot change permissions of %s/%s: it is the external origin of %s/%s.",
				h->vg->name, lv->name, h->vg->name, u->name);
	lv->status = rw ? lv->status | FLAG(LVF_WRITE) : lv->status & ~FLAG(LVF_WRITE);
	return 0;
}

struct lvchange {
	struct dmctl d;
	struct lvm_poll_seen seen;
	bool on, autoact, rw;
	bool typed; /* options of the LV's type (raid: --syncaction, --rebuild, recovery rates, write-mostly) */
};

/* The metadata changes first, in one commit ("Logical volume vg/lv
 * changed."; an active LV whose permission changed is reloaded at once),
 * then activation. */
static int lvchange_one(struct lvm_cmd *c, struct vgh *h, struct vg_lv *lv, void *arg)
{
	struct lvchange *x = arg;
	struct err e = { { 0 } };
	bool perm = opt_set(c, C_PERMISSION),
	     meta = perm || opt_set(c, C_SETAUTOACT) || lvm_tags_given(c) || lvm_lv_props_given(c);
	int r;

	if (x->typed) /* the type's own, and nothing else */
		return lvm_hooks_lvchange_type(c, &x->d, h, lv);
	if (opt_set(c, C_REFRESH) && lvm_lv_refresh(&c->env, &x->d, h->vg, lv, &e))
		return lvm_fail("%s", e.msg);
	if (meta) {
		bool active = perm && lv_is_active(c, &x->d, h->vg, lv), changed = false;

		if ((perm && (r = change_permission(h, lv, x->rw))) ||
		    (opt_set(c, C_SETAUTOACT) && (r = lvm_set_autoactivation(c, &lv->status, FLAG(LVF_NOAUTOACTIVATE)))) ||
		    (r = lvm_apply_tags(c, &lv->tags)) || (r = lvm_lv_props(c, h->vg, lv, false, &changed)))
			return r;
		if (lvm_vg_commit(&c->env, h, &e) || (active && lv_reload(c, &x->d, h->vg, lv, &e)))
			return lvm_fail("%s", e.msg);
		printf("  Logical volume %s/%s changed.\n", h->vg->name, lv->name);
	}
	if (!opt_set(c, C_ACTIVATE) || (x->on && lv_skip_activation(c, h->vg, lv, x->autoact)))
		return 0;
	if ((x->on ? lv_activate : lv_deactivate)(c, &x->d, h->vg, lv, &e))
		return lvm_fail("%s", e.msg);
	if (x->on)
		lv_poll(c, &x->d, h->vg, &x->seen);
	return 0;
}

/* lvm2's answer to a command line that matches none of its forms. */
int lvm_no_syntax(const struct lvm_cmd *c)
{
	lvm_fail("No command with matching syntax recognised.  Run '%s --help' for more information.", c->verb);
	return LVM_EINVALID;
}

int lvm_lvchange(void *ctx, int argc, char **argv)
{
	struct lvm_cmd *c = ctx;
	struct lvchange x = { .d = { 0 } };
	struct lvm_each how = { .lv = lvchange_one, .arg = &x, .foreign = true };
	bool meta = opt_set(c, C_PERMISSION) || opt_set(c, C_SETAUTOACT) || lvm_tags_given(c) || lvm_lv_props_given(c);
	bool cache = opt_set(c, C_CACHEMODE) || opt_set(c, C_CACHEPOLICY) || opt_set(c, C_CACHESETTINGS);
	bool pool = opt_set(c, C_ERRORWHENFULL) || opt_set(c, C_DISCARDS) || opt_set(c, C_ZERO);
	bool raid = opt_set(c, C_MAXRECOVERY) || opt_set(c, C_MINRECOVERY) || opt_set(c, C_WRITEMOSTLY) ||
		    opt_set(c, C_WRITEBEHIND);
	bool typed = opt_set(c, C_SYNCACTION) || opt_set(c, C_REBUILD) || raid || cache || pool,
	     refresh = opt_set(c, C_REFRESH);
	int r;

	if (!argc && !opt_set(c, C_SELECT))
		return lvm_no_syntax(c);
	x.typed = typed;
	if (!opt_set(c, C_ACTIVATE) && !meta && !typed && !refresh)
		return lvm_fail("Only lvchange -a y|n|ay, -p r|rw, --addtag/--deltag, --setautoactivation, --refresh, "
				"--alloc, -C, -k, -r, --errorwhenfull, --discards, -Z, "
				"--syncaction, --rebuild, --raid{max,min}recoveryrate, --writemostly, --writebehind and "
				"--cachemode, --cachepolicy, "
				"--cachesettings are implemented yet.");
	if (opt_set(c, C_PERMISSION) && (r = permission_arg(c, &x.rw)))
		return r;
	if ((opt_set(c, C_ACTIVATE) && (r = lvm_parse_activate(c, &x.on, &x.autoact))) || (r = lvm_poll_opt(c)))
		return r;
	if ((r = lvm_setup(c, meta || cache || pool || opt_set(c, C_REBUILD) || raid)) || (r = lvm_activation_opts(c)) ||
	    (r = lvm_sel_init(c, C_SELECT, &report_lvm_lvs, &how.sel)))
		return r;
	if ((opt_set(c, C_ACTIVATE) || opt_set(c, C_SYNCACTION) || opt_set(c, C_REBUILD) || refresh) &&
	    !lvm_daemon_up(c, &x.d)) {
		lvm_sel_free(how.sel);
		return lvm_fail("%s", x.d.why.msg);
	}
	r = lvm_each_lv(c, argc, argv, &how);
	lvm_sel_free(how.sel);
	lvm_poll_seen_free(&x.seen);
	dmctl_close(&x.d);
	return r;
}
