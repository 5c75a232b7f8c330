/* "thin": a thin volume in a pool (lib/thin/thin.c, LVM2-FORMAT.md
 * §10.5; lvm/thin_lv.h for the model).
 *
 * The section is kept as read and parsed into struct thin_seg:
 * thin_pool, transaction_id, device_id, origin (a thin snapshot's
 * origin, which does not pin it), external_origin (a read-only LV under
 * it), merge.
 *
 * Plan: the pool's devices (they stay when the thin LV goes), the
 * external origin's, then vg-thin: thin /dev/mapper/vg-pool-tpool <id>
 * [/dev/mapper/vg-ext].
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dmctl.h"
#include "common/units.h"
#include "lvm/devices.h"
#include "lvm/activate.h"
#include "lvm/lvref.h"
#include "lvm/report_lvm.h"
#include "lvm/segtype.h"
#include "lvm/thin_lv.h"

static int thin_parse(const struct vg *vg, struct lv_seg *s, struct err *e)
{
	const struct cfg_node *sn = s->raw, *n;
	struct thin_seg *t = calloc(1, sizeof(*t));
	int r;

	(void)vg;
	if (!t)
		return err_set(e, -ENOMEM, "out of memory");
	free(s->priv);
	s->priv = NULL;
	if ((r = cfg_get_str(sn, "thin_pool", &t->pool, e)) ||
	    (r = cfg_get_u64(sn, "transaction_id", &t->transaction_id, e)) ||
	    (r = cfg_get_u32(sn, "device_id", &t->device_id, e))) {
		free(t);
		return r;
	}
	if (t->device_id > THIN_DEVICE_ID_MAX) {
		r = err_set(e, -EINVAL, "thin: device_id %u is too large", t->device_id);
		free(t);
		return r;
	}
	if ((n = cfg_find(sn, "origin")) && n->type == CFG_STRING)
		t->origin = n->v.s;
	if ((n = cfg_find(sn, "external_origin")) && n->type == CFG_STRING)
		t->external_origin = n->v.s;
	s->priv = t;
	return 0;
}

static void thin_free(struct lv_seg *s)
{
	free(s->priv);
	s->priv = NULL;
}

static int thin_plan(struct lv_plan *p, const struct vg *vg, const struct vg_lv *lv, struct err *e)
{
	const struct thin_seg *t = lv_seg_model(lv, &segtype_thin);
	char tpool[LV_DM_NAME_MAX + LV_DM_LAYER_MAX], ext[LV_DM_NAME_MAX] = "", *text;
	struct vg_lv *pool = thin_pool_of(vg, lv), *x = NULL;
	int r;

	if (!pool)
		return err_set(e, -ENOENT, "thin LV %s/%s: no thin pool %s", vg->name, lv->name, t->pool);
	if (t->external_origin && !(x = vg_find_lv(vg, t->external_origin)))
		return err_set(e, -ENOENT, "thin LV %s/%s: no external origin %s", vg->name, lv->name,
			       t->external_origin);
	if ((r = lv_plan_sub(p, pool, false, e)) || (x && (r = lv_plan_sub(p, x, false, e))))
		return r;
	if (x)
		lv_dm_name(vg, x, ext);
	lv_dm_layer_name(vg, pool, "tpool", tpool, sizeof(tpool));
	if (asprintf(&text, "0 %" PRIu64 " thin /dev/mapper/%s %u%s%s", (uint64_t)lv->le_count * vg->extent_size,
		     tpool, t->device_id, *ext ? " /dev/mapper/" : "", ext) < 0)
		return err_set(e, -ENOMEM, "out of memory");
	return lv_plan_add(p, lv, NULL, text, e) ? 0 : -ENOMEM;
}

/* The origin chain of @t (thin origins, then an external one). */
static void ancestors(const struct vg *vg, const struct thin_seg *t, char *buf, size_t size)
{
	struct thin_seg u;
	size_t n = 0;
	struct err e = { { 0 } };
	unsigned hops = 0;

	buf[0] = 0;
	while (t && (t->origin || t->external_origin) && hops++ < vg->nlv && n < size) {
		const char *o = t->origin ? t->origin : t->external_origin;
		const struct vg_lv *l = vg_find_lv(vg, o);

		n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? "," : "", o);
		t = t->origin && l && !lv_thin_seg(l, &u, &e) ? &u : NULL;
	}
}

/* lv_layout, lv_role, lv_modules, lv_ancestors, lv_descendants of a thin LV
 * (lvm2's _lv_layout_and_role_thin). */
static void thin_kind(const struct seg_report_ctx *x, const struct thin_seg *t)
{
	char anc[1024], desc[1024] = "", other[1024];
	unsigned snaps = 0;
	size_t n = 0;
	struct thin_seg u;
	struct err e = { { 0 } };

	seg_report_kind(x, "thin,sparse", t->origin ? "snapshot,thinsnapshot" : NULL, "thin,thin-pool", false);
	/* a walk of the VG's thin LVs for each: only when asked for (lvs of
	 * a VG of thousands of thin LVs) */
	if (!report_row_wants(x->row, RF_LV_ROLE) && !report_row_wants(x->row, RF_LV_ANCESTORS) &&
	    !report_row_wants(x->row, RF_LV_FULL_ANCESTORS) && !report_row_wants(x->row, RF_LV_DESCENDANTS) &&
	    !report_row_wants(x->row, RF_LV_FULL_DESCENDANTS))
		return;
	ancestors(x->vg, t, anc, sizeof(anc));
	for (unsigned i = 0; i < x->vg->nlv; i++) {
		const struct vg_lv *l = x->vg->lv[i];

		if (l == x->lv || lv_thin_seg(l, &u, &e)) {
			err_clear(&e);
			continue;
		}
		snaps += u.origin && !strcmp(u.origin, x->lv->name);
		ancestors(x->vg, &u, other, sizeof(other));
		if (seg_words_have(other, x->lv->name) && n < sizeof(desc))
			n += (size_t)snprintf(desc + n, sizeof(desc) - n, "%s%s", n ? "," : "", l->name);
	}
	if (snaps)
		seg_report_kind(x, NULL, snaps > 1 ? "origin,thinorigin,multithinorigin" : "origin,thinorigin", NULL,
				false);
	report_set_str(x->row, RF_LV_ANCESTORS, anc);
	report_set_str(x->row, RF_LV_FULL_ANCESTORS, anc);
	report_set_str(x->row, RF_LV_DESCENDANTS, desc);
	report_set_str(x->row, RF_LV_FULL_DESCENDANTS, desc);
}

/* An LV that thin LVs use as their external origin. */
static void thin_report_named(const struct seg_report_ctx *x, const struct vg_lv *user)
{
	const struct thin_seg *t = lv_seg_model(user, &segtype_thin);
	unsigned users = 0;

	if (!t || !t->external_origin || strcmp(t->external_origin, x->lv->name))
		return;
	for (unsigned i = 0; i < x->vg->nlv; i++) {
		const struct thin_seg *u = lv_seg_model(x->vg->lv[i], &segtype_thin);

		users += u && u->external_origin && !strcmp(u->external_origin, x->lv->name);
	}
	seg_report_kind(x, NULL, users > 1 ? "origin,extthinorigin,multiextthinorigin" : "origin,extthinorigin", NULL,
			false);
	if (x->attr[0] != 'p' && x->attr[0] != 'c') /* lvm2: an origin before any other type */
		x->attr[0] = 'o';
}

static void thin_report(const struct seg_report_ctx *x, const struct vg_lv *owner)
{
	const struct thin_seg *t = lv_seg_model(x->lv, &segtype_thin);
	const struct vg_lv *pool = thin_pool_of(x->vg, x->lv);
	const struct thin_pool_seg *tp = pool ? lv_seg_model(pool, &segtype_thin_pool) : NULL;
	char name[LV_DM_NAME_MAX];
	struct err e = { { 0 } };
	uint64_t mapped;

	(void)owner;
	seg_report_lv(x, RF_POOL_LV, RF_POOL_LV_UUID, t->pool);
	if (t->origin || t->external_origin) {
		const struct vg_lv *o = vg_find_lv(x->vg, t->origin ? t->origin : t->external_origin);

		seg_report_lv(x, RF_ORIGIN, RF_ORIGIN_UUID, t->origin ? t->origin : t->external_origin);
		if (o && !t->origin) /* lvm2 2.03's lv_origin_size: an external origin's, not a thin one's */
			report_set_sectors(x->row, RF_ORIGIN_SIZE, (uint64_t)o->le_count * x->vg->extent_size);
	}
	thin_kind(x, t);
	report_set_u64(x->row, RF_THIN_ID, t->device_id);
	report_set_u64(x->row, RF_TRANSACTION_ID, t->transaction_id);
	report_set_u64(x->row, RF_STRIPES, 0);
	report_set_u64(x->row, RF_DATA_STRIPES, 0);
	if (tp) {
		x->attr[7] = tp->zero ? 'z' : '-';
		report_set_value(x->row, RF_ZERO, tp->zero ? "zero" : "", tp->zero);
		report_set_str(x->row, RF_DISCARDS, tp->discards);
	}
	lv_dm_name(x->vg, x->lv, name);
	if (!x->d || thin_mapped(x->d, name, &mapped, &e))
		return;
	report_set_percent(x->row, RF_DATA_PERCENT,
			   (int32_t)(mapped * (uint64_t)REPORT_PERCENT_100 / ((uint64_t)x->lv->le_count * x->vg->extent_size)));
}

/* lvdisplay: the pool and origin; how much of an active LV is mapped;
 * --maps: lvm2's _thin_display. */
static void thin_display(struct seg_display_ctx *x)
{
	const struct thin_seg *t = lv_seg_model(x->lv, &segtype_thin);
	char name[LV_DM_NAME_MAX];
	struct err e = { { 0 } };
	uint64_t mapped, size = (uint64_t)x->lv->le_count * x->vg->extent_size;

	if (!t)
		return;
	if (x->at == SEG_DISPLAY_NAMES) {
		fprintf(x->out, "  LV Pool name           %s\n", t->pool);
		if (t->origin)
			fprintf(x->out, "  LV Thin origin name    %s\n", t->origin);
		if (t->external_origin)
			fprintf(x->out, "  LV External origin name %s\n", t->external_origin);
		return;
	}
	lv_dm_name(x->vg, x->lv, name);
	if (x->at == SEG_DISPLAY_USAGE && x->d && !thin_mapped(x->d, name, &mapped, &e))
		fprintf(x->out, "  Mapped size            %.2f%%\n", size ? 100.0 * mapped / size : 0.0);
}

static void thin_display_seg(const struct seg_display_ctx *x, const struct lv_seg *s)
{
	const struct thin_seg *t = s->priv;

	if (t)
		fprintf(x->out, "    Device ID\t\t%u\n   \n", t->device_id);
}

/* ---- lvcreate, lvremove, lvextend ---- */

/* A new thin LV @name in @pool, not yet committed: fresh (origin NULL),
 * a snapshot of thin @origin, or over external origin @ext (made
 * read-only, as lvm2 does).  Its device is in the pool (transaction @t)
 * and the LV in the VG, with the pool's new transaction id; the caller
 * commits, and calls thin_txn_undo(t, device id) when that fails. */
static int new_thin(struct lv_change *ch, const struct lv_create_req *req, struct vg_lv *pool, const char *name,
		    uint64_t extents, struct vg_lv *origin, struct vg_lv *ext, struct thin_txn *tx,
		    struct vg_lv **out, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct thin_seg ts = { .pool = pool->name }, os;
	struct thin_txn t;
	char odm[LV_DM_NAME_MAX];
	bool suspended = false;
	int r;

	if (!extents || extents > UINT32_MAX)
		return err_set(e, -EINVAL, "Invalid virtual size for a thin volume.");
	if ((r = thin_txn_begin(ch, pool, &t, e)))
		return r;
	ts.transaction_id = t.txid;
	ts.device_id = thin_pool_next_id(vg, pool);
	if (ts.device_id > THIN_DEVICE_ID_MAX)
		return err_set(e, -ENOSPC, "Thin pool %s/%s has no free device id.", vg->name, pool->name);
	if (origin) {
		if ((r = lv_thin_seg(origin, &os, e)))
			return r;
		ts.origin = origin->name;
		ts.external_origin = os.external_origin; /* a snapshot reads through the same base */
		lv_dm_name(vg, origin, odm);
		/* The origin's in-flight writes reach the pool before the
		 * snapshot shares its blocks (lvm2 suspends it too). */
		if (dmctl_exists(ch->d, odm)) {
			if ((r = dmctl_simple(ch->d, "suspend", odm, e)))
				return r;
			suspended = true;
		}
		r = thin_txn_msg(&t, "create_snap %" PRIu64 " %" PRIu64, ts.device_id, os.device_id, e);
		if (suspended) {
			struct err e2 = { { 0 } };

			if (dmctl_simple(ch->d, "resume", odm, &e2))
				fprintf(stderr, "  %s\n", e2.msg);
		}
	} else {
		if (ext)
			ts.external_origin = ext->name;
		r = thin_txn_msg(&t, "create_thin %" PRIu64 "%.0" PRIu64, ts.device_id, 0, e);
	}
	if (r)
		return r;
	if ((r = thin_txn_bump(&t, e))) {
		thin_txn_undo(&t, ts.device_id);
		return r;
	}
	if ((r = lv_change_add_lv(ch, req, name, out, e)) ||
	    (r = lv_set_thin(vg, *out, (uint32_t)extents, &ts, e)) || (r = thin_pool_set_txid(vg, pool, t.txid + 1, e))) {
		thin_txn_undo(&t, ts.device_id);
		return r;
	}
	if (ext)
		ext->status &= ~FLAG(LVF_WRITE);
	*tx = t;
	return 0;
}

/* A new thin LV, as new_thin says, committed and activated. */
static int create_in_pool(struct lv_change *ch, const struct lv_create_req *req, struct vg_lv *pool,
			  const char *name, uint64_t extents, struct vg_lv *origin, struct vg_lv *ext, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct thin_txn t;
	struct vg_lv *lv;
	int r;

	if ((r = new_thin(ch, req, pool, name, extents, origin, ext, &t, &lv, e)))
		return r;
	if ((r = lvm_vg_commit(ch->env, ch->h, e))) {
		thin_txn_undo(&t, ((const struct thin_seg *)lv_seg_model(lv, &segtype_thin))->device_id);
		return r;
	}
	fprintf(ch->out, "  Logical volume \"%s\" created.\n", name);
	if ((r = lvm_lv_activate(ch->env, ch->d, ch->h->vg, lv, e)))
		return err_set(e, r, "Failed to activate new LV %s/%s", vg->name, name);
	return 0;
}

static int thin_create(struct lv_change *ch, const struct lv_create_req *req, struct err *e);

/* -L SIZE -V SIZE -T VG/POOL: the pool first, then the thin LV in it, as
 * lvm2's lv_create_single (a pool not named is lvolN; only the thin LV's
 * "created" line is printed, as lvm2 prints it). */
static int pool_then_thin(struct lv_change *ch, const struct lv_create_req *req, struct err *e)
{
	struct lv_create_req preq = *req, treq = *req;
	char pname[LVM_NAME_LEN];
	int r;

	if (req->pool_name || req->lv_arg)
		snprintf(pname, sizeof(pname), "%s", req->pool_name ? req->pool_name : req->lv_arg);
	else
		vg_next_lv_name(ch->h->vg, pname, sizeof(pname));
	if (req->name && !strcmp(req->name, pname))
		return err_set(e, -EEXIST, "The thin LV and its new pool cannot both be named %s.", pname);
	preq.name = pname;
	preq.lv_arg = preq.pool_name = NULL;
	preq.virtual_extents = 0;
	preq.quiet = true;
	preq.tags = NULL; /* --addtag is the thin LV's */
	preq.ntags = 0;
	if ((r = segtype_thin_pool.create(ch, &preq, e)))
		return r;
	treq.extents = 0;
	treq.lv_arg = NULL;
	treq.pool_name = pname;
	return thin_create(ch, &treq, e);
}

/* -V SIZE -T VG/POOL (or --thinpool POOL VG): a thin LV; -s VG/ORIGIN: a
 * snapshot of a thin origin, or with --thinpool POOL a thin LV over any
 * other LV as its external origin; with -L too, the pool is made first. */
static int thin_create(struct lv_change *ch, const struct lv_create_req *req, struct err *e)
{
	struct vg *vg = ch->h->vg;
	const char *poolname = req->pool_name;
	struct vg_lv *pool, *origin = req->origin;
	char name[LVM_NAME_LEN];
	uint64_t ext;
	int r;

	if (req->extents && req->virtual_extents && !origin)
		return pool_then_thin(ch, req, e);
	if (req->name)
		snprintf(name, sizeof(name), "%s", req->name);
	else
		vg_next_lv_name(vg, name, sizeof(name));
	if ((r = vg_check_new_lv_name(vg, name, e)))
		return r;
	if (origin && lv_is_thin(origin) && !poolname) {
		if (!(pool = thin_pool_of(vg, origin)))
			return err_set(e, -ENOENT, "Thin LV %s has no pool.", origin->name);
		return create_in_pool(ch, req, pool, name, origin->le_count, origin, NULL, e);
	}
	if (!origin && !poolname)
		poolname = req->lv_arg;
	if (!poolname || !(pool = vg_find_lv(vg, poolname)) || !lv_is_thin_pool(pool))
		return err_set(e, -ENOENT, "Thin pool %s/%s not found.", vg->name, poolname ? poolname : "?");
	if (origin) {
		if (lv_is_thin_pool(origin) || lv_is_thin(origin) || lv_owner(vg, origin) || origin->nseg == 0)
			return err_set(e, -EINVAL, "LV %s cannot be an external origin.", origin->name);
		ext = req->virtual_extents ? req->virtual_extents : origin->le_count;
		return create_in_pool(ch, req, pool, name, ext, NULL, origin, e);
	}
	if (!req->virtual_extents)
		return err_set(e, -EINVAL, "A thin volume needs --virtualsize (-V).");
	return create_in_pool(ch, req, pool, name, req->virtual_extents, NULL, NULL, e);
}

static int thin_remove(struct lv_change *ch, struct vg_lv *lv, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct vg_lv *pool = thin_pool_of(vg, lv);
	char name[LVM_NAME_LEN];
	struct thin_seg ts;
	struct thin_txn t;
	int r;

	snprintf(name, sizeof(name), "%s", lv->name);
	if (!pool)
		return err_set(e, -ENOENT, "thin LV %s/%s without a pool", vg->name, name);
	if ((r = lv_thin_seg(lv, &ts, e)) || (r = thin_txn_begin(ch, pool, &t, e)) ||
	    (r = lvm_lv_deactivate(ch->d, ch->h->vg, lv, e)) ||
	    (r = thin_txn_msg(&t, "delete %" PRIu64 "%.0" PRIu64, ts.device_id, 0, e)) || (r = thin_txn_bump(&t, e)))
		return r;
	/* Its snapshots stay, without an origin (as lvm2's). */
	for (unsigned i = 0; i < vg->nlv; i++) {
		struct thin_seg o;

		if (lv_is_thin(vg->lv[i]) && !lv_thin_seg(vg->lv[i], &o, e) && o.origin && !strcmp(o.origin, name)) {
			o.origin = NULL;
			if ((r = lv_set_thin(vg, vg->lv[i], vg->lv[i]->le_count, &o, e)))
				return r;
		}
	}
	vg_remove_lv(vg, lv);
	if ((r = thin_pool_set_txid(vg, pool, t.txid + 1, e)) || (r = lvm_vg_commit(ch->env, ch->h, e))) {
		snprintf(e->msg + strlen(e->msg), sizeof(e->msg) - strlen(e->msg), " (the pool's device is deleted)");
		return r;
	}
	fprintf(ch->out, "  Logical volume \"%s\" successfully removed.\n", name);
	return 0;
}

/* Only the virtual size, and only up. */
static int thin_resize(struct lv_change *ch, struct vg_lv *lv, const struct lv_resize_req *req, struct err *e)
{
	struct vg *vg = ch->h->vg;
	char b1[UNITS_BUF], b2[UNITS_BUF];
	uint64_t ext = req->extents;
	struct thin_seg ts;
	uint32_t old;
	int r;

	if (req->policies || req->metadata)
		return err_set(e, -EINVAL, "--use-policies and --poolmetadatasize apply to thin pools.");
	if ((r = lv_thin_seg(lv, &ts, e)))
		return r;
	ext = req->sign == '+' ? lv->le_count + ext : ext;
	if (req->sign == '-' || ext <= lv->le_count || ext > UINT32_MAX)
		return err_set(e, -EINVAL, "Thin volumes only grow here.");
	old = lv->le_count;
	if ((r = lv_set_thin(vg, lv, (uint32_t)ext, &ts, e)) || (r = lvm_vg_commit(ch->env, ch->h, e)))
		return r;
	r = lvm_lv_reload(ch->env, ch->d, ch->h->vg, lv, e);
	fprintf(ch->out, "  Size of logical volume %s/%s changed from %s (%u extents) to %s (%u extents).\n", vg->name,
		lv->name, lv_change_size(b1, (uint64_t)old * vg->extent_size), old,
		lv_change_size(b2, (uint64_t)lv->le_count * vg->extent_size), lv->le_count);
	return r;
}

/* ---- lvconvert --type thin --thinpool POOL LV ---- */

/* The pool named by --thinpool, made a thin pool first when it is a plain
 * LV (lvm2's _lvconvert_to_thin_with_external_single). */
static int external_pool(struct lv_change *ch, const struct vg_lv *lv, const struct lv_convert_req *req,
			 struct vg_lv **out, struct err *e)
{
	struct vg *vg = ch->h->vg;
	const char *name;
	struct vg_lv *pool;
	int r = vg_lv_arg(vg, req->thin_pool, &name, &pool);

	if (r == -EXDEV)
		return err_set(e, -EINVAL, "Please use a single volume group name (\"%s\" or \"%.*s\").", vg->name,
			       (int)(name - 1 - req->thin_pool), req->thin_pool);
	if (r)
		return err_set(e, -ENOENT, "Thin pool %s not found.", name);
	if (pool == lv)
		return err_set(e, -EINVAL, "Use a different LV for thin pool LV and thin LV %s/%s.", vg->name, name);
	if (!lv_is_thin_pool(pool)) {
		struct lv_convert_req preq = { .type_name = "thin-pool", .mirrors = -1, .max_rate = -1,
					       .min_rate = -1, .zero = req->zero, .chunk_size = req->chunk_size,
					       .meta_extents = req->meta_extents, .pool_metadata = req->pool_metadata };

		const struct segtype *pst = lv_segtype(pool);

		if (!pst || (pst != &segtype_striped && !pst->names)) /* linear, striped, raid */
			return err_set(e, -EINVAL, "LV %s/%s with type %s cannot be converted to a thin pool.",
				       vg->name, name, pool->nseg ? pool->seg[0].type : "none");
		if ((r = segtype_thin_pool.convert(ch, pool, &preq, e)))
			return err_set(e, r, "%s\n  LV %s/%s could not be converted to a thin pool.", e->msg, vg->name,
				       name);
		if (!(pool = vg_find_lv(ch->h->vg, name)) || !lv_is_thin_pool(pool))
			return err_set(e, -EIO, "LV %s/%s is not a thin pool.", vg->name, name);
	}
	*out = pool;
	return 0;
}

/* @lv may become an external origin: a visible LV of a type that reads
 * its own data, used by no LV but thin LVs (whose external origin it
 * may already be). */
static int external_check(const struct vg *vg, const struct vg_lv *lv, struct err *e)
{
	const struct segtype *st = lv_segtype(lv);
	const char *key;

	if (lv->status & FLAG(LVF_LOCKED))
		return err_set(e, -EBUSY, "Cannot use locked LV %s/%s.", vg->name, lv->name);
	if (!(lv->status & FLAG(LVF_VISIBLE)) || lv_internal(lv) || lv_owner(vg, lv))
		return err_set(e, -EINVAL, "Can't convert internal LV %s/%s.", vg->name, lv->name);
	if (!st || (st->flags & (SEGTYPE_FIRST | SEGTYPE_SNAPSHOTS)) || (st->flags & SEGTYPE_HIDDEN) ||
	    (st != &segtype_striped && !st->names && !(st->flags & SEGTYPE_VIRTUAL)) || !seg_can_activate(&lv->seg[0]))
		return err_set(e, -EOPNOTSUPP, "LV %s/%s of type %s cannot be an external origin here.", vg->name,
			       lv->name, lv->nseg ? lv->seg[0].type : "none");
	for (unsigned i = 0; i < vg->nlv; i++)
		if (vg->lv[i] != lv && lv_uses(vg, vg->lv[i], lv, &key) && !lv_is_thin(vg->lv[i]))
			return err_set(e, -EBUSY, "LV %s/%s is the %s of %s/%s: it cannot be an external origin.",
				       vg->name, lv->name, key, vg->name, vg->lv[i]->name);
	return 0;
}

/* lvm2's _lvconvert_to_thin_with_external: @lv's extents go to a new LV
 * (--originname, else lvolN), read-only, and @lv becomes a thin LV of
 * the pool over it, with its name and id: the same device, which from
 * now on writes into the pool.  An active @lv is restacked online (a
 * linear or striped one; others go down and up again).  The order: the
 * pool's new device, then the VG (on failure the device is deleted
 * again), then the tables. */
static int thin_convert(struct lv_change *ch, struct vg_lv *lv, const struct lv_convert_req *req, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct lv_create_req creq = { .activate = true };
	char lvname[LVM_NAME_LEN], oname[LVM_NAME_LEN], id[LVM_ID_LEN + 1];
	enum lv_restack how = LV_RESTACK_NONE;
	struct vg_lv *pool = NULL, *thin = NULL, *x;
	struct thin_txn t;
	uint32_t status;
	int r;

	if (!req->thin_pool || req->mirrors >= 0 || req->repair || req->split || req->merge || req->swap_metadata)
		return err_set(e, -EINVAL, "lvconvert --type thin needs --thinpool POOL, and no -m, --repair, "
					   "--splitmirrors, --merge or --swapmetadata.");
	if (lv_is_thin(lv))
		return err_set(e, -EOPNOTSUPP, "Thin LV %s/%s as an external origin is not supported yet.", vg->name,
			       lv->name);
	snprintf(lvname, sizeof(lvname), "%s", lv->name);
	if ((r = external_check(vg, lv, e)) || (r = external_pool(ch, lv, req, &pool, e)))
		return r;
	vg = ch->h->vg; /* the pool's conversion committed the VG */
	if (!(lv = vg_find_lv(vg, lvname)))
		return err_set(e, -ENOENT, "LV %s/%s went away.", vg->name, lvname);
	if (req->origin_name) {
		snprintf(oname, sizeof(oname), "%s", req->origin_name);
		if ((r = vg_check_new_lv_name(vg, oname, e)))
			return r;
	} else {
		vg_next_lv_name(vg, oname, sizeof(oname));
	}
	memcpy(id, lv->id, sizeof(id));
	status = lv->status;
	if ((r = lv_change_restack_begin(ch, lv, lv, &how, e)))
		return r;
	/* lvm2 makes the thin LV (named oname) and swaps names and ids with
	 * @lv; here @lv is renamed and the thin LV made with its name */
	if ((r = lv_rename_with_subs(vg, lv, oname, e)) ||
	    (r = new_thin(ch, &creq, pool, lvname, lv->le_count, NULL, lv, &t, &thin, e)))
		goto undo;
	memcpy(lv->id, thin->id, sizeof(id));
	memcpy(thin->id, id, sizeof(id));
	/* made read-only by lvm2, then given the old LV's write permission */
	thin->status = (thin->status & ~FLAG(LVF_WRITE)) | (status & FLAG(LVF_WRITE));
	if ((r = lvm_vg_commit(ch->env, ch->h, e))) {
		thin_txn_undo(&t, ((const struct thin_seg *)lv_seg_model(thin, &segtype_thin))->device_id);
		goto undo;
	}
	fprintf(ch->out, "  Logical volume \"%s\" created.\n", oname);
	if ((how == LV_RESTACK_ONLINE && (r = lv_dm_restack(ch->d, ch->env, vg, thin, e))) ||
	    (how == LV_RESTACK_OFFLINE && (r = lvm_lv_activate(ch->env, ch->d, vg, thin, e))))
		return err_set(e, r, "%s (the VG is changed; lvchange --refresh or -ay %s/%s loads it)", e->msg,
			       vg->name, lvname);
	fprintf(ch->out, "  Converted %s/%s to thin volume with external origin %s/%s.\n", vg->name, lvname, vg->name,
		oname);
	return 0;

undo: /* nothing committed: an LV taken down is brought up again as it was */
	if (how == LV_RESTACK_OFFLINE) {
		struct err e2 = { { 0 } };

		if ((x = vg_find_lv(vg, lvname)) && x != lv)
			vg_remove_lv(vg, x);
		if (!strcmp(lv->name, lvname) || !lv_rename_with_subs(vg, lv, lvname, &e2)) {
			memcpy(lv->id, id, sizeof(id));
			lv->status = status;
			lvm_lv_activate(ch->env, ch->d, vg, lv, &e2);
		}
		if (e2.msg[0])
			fprintf(stderr, "  %s\n", e2.msg);
	}
	return r;
}

static const struct seg_ref_key thin_refs[] = {
	{ "thin_pool", true, 0, true, "pool" }, /* the pool's deactivation takes its thin LVs down first */
	{ "external_origin", true, 0, false, "external origin" },
	{ "merge", true, 0, false, NULL },
	{ "origin", false, 0, false, NULL }, /* lvm2 lets a thin origin go; the snapshot keeps its blocks */
	{ NULL, false, 0, false, NULL },
};

const struct segtype segtype_thin = {
	.name = "thin",
	.flags = SEGTYPE_KEPT | SEGTYPE_OUTSIDE | SEGTYPE_SNAPSHOTS | SEGTYPE_SPARE | SEGTYPE_VIRTUAL,
	.refs = thin_refs,
	.attr_volume = 'V',
	.attr_target = 't',
	.parse = thin_parse,
	.free = thin_free,
	.plan = thin_plan,
	.report = thin_report,
	.report_named = thin_report_named,
	.display = thin_display,
	.display_seg = thin_display_seg,
	.create = thin_create,
	.remove = thin_remove,
	.resize = thin_resize,
	.convert = thin_convert,
};
