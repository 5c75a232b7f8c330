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
#include "lvm/activate.h"
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

static void thin_report(const struct seg_report_ctx *x, const struct vg_lv *owner)
{
	const struct thin_seg *t = lv_seg_model(x->lv, &segtype_thin);
	const struct vg_lv *pool = thin_pool_of(x->vg, x->lv);
	const struct thin_pool_seg *tp = pool ? lv_seg_model(pool, &segtype_thin_pool) : NULL;
	char name[LV_DM_NAME_MAX];
	struct err e = { { 0 } };
	uint64_t mapped;

	(void)owner;
	report_set_str(x->row, RF_POOL_LV, t->pool);
	if (t->origin || t->external_origin)
		report_set_str(x->row, RF_ORIGIN, t->origin ? t->origin : t->external_origin);
	report_set_u64(x->row, RF_THIN_ID, t->device_id);
	report_set_u64(x->row, RF_TRANSACTION_ID, t->transaction_id);
	if (tp)
		x->attr[7] = tp->zero ? 'z' : '-';
	lv_dm_name(x->vg, x->lv, name);
	if (!x->d || thin_mapped(x->d, name, &mapped, &e))
		return;
	report_set_percent(x->row, RF_DATA_PERCENT,
			   (int32_t)(mapped * (uint64_t)REPORT_PERCENT_100 / ((uint64_t)x->lv->le_count * x->vg->extent_size)));
	if (dmctl_open(x->d, name))
		x->attr[5] = 'o';
}

static const struct seg_ref_key thin_refs[] = {
	{ "thin_pool", true, 0, true }, /* the pool's deactivation takes its thin LVs down first */
	{ "external_origin", true, 0, false },
	{ "merge", true, 0, false },
	{ "origin", false, 0, false }, /* lvm2 lets a thin origin go; the snapshot keeps its blocks */
	{ NULL, false, 0, false },
};

const struct segtype segtype_thin = {
	.name = "thin",
	.flags = SEGTYPE_KEPT | SEGTYPE_OUTSIDE,
	.refs = thin_refs,
	.attr_volume = 'V',
	.attr_target = 't',
	.parse = thin_parse,
	.free = thin_free,
	.plan = thin_plan,
	.report = thin_report,
};
