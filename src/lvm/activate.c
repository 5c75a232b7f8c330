/* LV -> dm devices.  See activate.h. */
#include "lvm/activate.h"

#include "io/dev.h"
#include "lvm/devices.h"
#include "lvm/lvref.h"
#include "lvm/segtype.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t dm_escape(const char *s, char *out)
{
	size_t n = 0;

	for (; *s; s++) {
		out[n++] = *s;
		if (*s == '-')
			out[n++] = '-';
	}
	out[n] = 0;
	return n;
}

void vg_dm_prefix(const char *vgname, char out[LV_DM_NAME_MAX])
{
	size_t n = dm_escape(vgname, out);

	out[n++] = '-';
	out[n] = 0;
}

void lv_dm_name(const struct vg *vg, const struct vg_lv *lv, char out[LV_DM_NAME_MAX])
{
	size_t n = dm_escape(vg->name, out);

	out[n++] = '-';
	dm_escape(lv->name, out + n);
}

void lv_dm_uuid(const struct vg *vg, const struct vg_lv *lv, char out[LV_DM_UUID_MAX])
{
	snprintf(out, LV_DM_UUID_MAX, "LVM-%s%s", vg->id, lv->id);
}

void lv_dm_layer_name(const struct vg *vg, const struct vg_lv *lv, const char *layer, char *out, size_t size)
{
	char n[LV_DM_NAME_MAX];

	lv_dm_name(vg, lv, n);
	snprintf(out, size, "%s%s%s", n, layer ? "-" : "", layer ? layer : "");
}

void lv_export_name(const struct vg *vg, const struct vg_lv *lv, char *out, size_t size)
{
	snprintf(out, size, "%s/%s", vg->name, lv->name);
}

int lv_extents_claimed(const struct vg *vg, const struct vg_lv *lv)
{
	uint64_t E = (uint64_t)vg->extent_size * 512;

	for (unsigned i = 0; i < lv->nseg; i++) {
		const struct lv_seg *s = &lv->seg[i];

		for (unsigned k = 0; k < s->narea; k++) {
			const struct vg_pv *p = s->area[k].pv;
			int r;

			if (!p) { /* a sub-LV: its own extents */
				if ((r = lv_extents_claimed(vg, s->area[k].lv)))
					return r;
				continue;
			}
			if (!p->path)
				continue;
			r = dev_path_claimed(p->path, p->pe_start * 512 + s->area[k].pe * E, seg_area_len(s) * E);
			if (r)
				return r;
		}
	}
	return 0;
}

struct lv_plan_dev *lv_plan_add(struct lv_plan *p, const struct vg_lv *lv, const char *layer, char *table,
				struct err *e)
{
	struct lv_plan_dev *n = realloc(p->dev, (p->n + 1) * sizeof(*n)), *d;
	char uuid[LV_DM_UUID_MAX];

	if (!n) {
		free(table);
		err_set(e, -ENOMEM, "out of memory");
		return NULL;
	}
	p->dev = n;
	d = &p->dev[p->n++];
	memset(d, 0, sizeof(*d));
	lv_dm_layer_name(p->vg, lv, layer, d->name, sizeof(d->name));
	lv_dm_uuid(p->vg, lv, uuid);
	snprintf(d->uuid, sizeof(d->uuid), "%s%s%s", uuid, layer ? "-" : "", layer ? layer : "");
	if (!layer)
		lv_export_name(p->vg, lv, d->export, sizeof(d->export));
	d->table = table;
	d->lv = lv;
	d->unit = p->unit;
	d->readonly = !layer && !(lv->status & FLAG(LVF_WRITE));
	return d;
}

void lv_plan_push_layer(struct lv_plan *p, const struct vg_lv *lv, const char *layer)
{
	char top[LV_DM_NAME_MAX];

	lv_dm_name(p->vg, lv, top);
	for (unsigned i = p->n; i-- > 0;) {
		struct lv_plan_dev *d = &p->dev[i];

		if (d->lv != lv || strcmp(d->name, top))
			continue;
		lv_dm_layer_name(p->vg, lv, layer, d->name, sizeof(d->name));
		snprintf(d->uuid + strlen(d->uuid), sizeof(d->uuid) - strlen(d->uuid), "-%s", layer);
		d->export[0] = 0;
		d->readonly = false;
		return;
	}
}

struct lv_plan_dev *lv_plan_find(const struct lv_plan *p, const char *name)
{
	for (unsigned i = 0; i < p->n; i++)
		if (!strcmp(p->dev[i].name, name))
			return &p->dev[i];
	return NULL;
}

static int plan_lv(struct lv_plan *p, const struct vg_lv *lv, struct err *e)
{
	const struct segtype *st = lv->nseg ? lv->seg[0].st : NULL;
	const char *t;
	int r;

	if (!st)
		return err_set(e, -EINVAL, "LV %s/%s has no segments", p->vg->name, lv->name);
	if ((t = lv_unservable_type(lv)))
		return err_set(e, -EOPNOTSUPP, "LV %s/%s: segment type %s cannot be activated yet", p->vg->name,
			       lv->name, t);
	for (unsigned i = 1; i < lv->nseg; i++)
		if (lv->seg[i].st != st)
			return err_set(e, -EOPNOTSUPP, "LV %s/%s mixes segment types %s and %s: cannot be activated yet",
				       p->vg->name, lv->name, lv->seg[0].type, lv->seg[i].type);
	if ((r = st->plan(p, p->vg, lv, e)))
		return r;
	/* what the LVs that name this one stack on it */
	for (unsigned i = 0; i < p->vg->nlv; i++) {
		const struct vg_lv *u = p->vg->lv[i];
		const struct segtype *ust = lv_segtype(u);

		if (u != lv && ust && ust->wrap && (r = ust->wrap(p, p->vg, u, lv, e)))
			return r;
	}
	return 0;
}

int lv_plan_sub(struct lv_plan *p, const struct vg_lv *sub, bool own, struct err *e)
{
	const struct vg_lv *unit = p->unit;
	int r;

	if (!own)
		p->unit = sub;
	r = plan_lv(p, sub, e);
	p->unit = unit;
	return r;
}

int lv_plan_build(struct lv_plan *p, const struct vg *vg, const struct lvm_env *env, const struct vg_lv *lv,
		  struct err *e)
{
	int r;

	memset(p, 0, sizeof(*p));
	p->vg = vg;
	p->env = env;
	p->unit = lv;
	if ((r = plan_lv(p, lv, e))) {
		lv_plan_free(p);
		return r;
	}
	return 0;
}

void lv_plan_free(struct lv_plan *p)
{
	for (unsigned i = 0; i < p->n; i++)
		free(p->dev[i].table);
	free(p->dev);
	p->dev = NULL;
	p->n = 0;
}

int lv_plan_load(struct dmctl *d, const struct lv_plan *p, struct err *e)
{
	for (unsigned i = 0; i < p->n; i++) {
		const struct lv_plan_dev *x = &p->dev[i];
		struct dmctl_dev dev = { x->name, x->uuid, x->table, x->export[0] ? x->export : NULL, x->readonly };
		struct err e2 = { { 0 } };
		int r;

		if ((r = dmctl_device(d, x->name, x->uuid, e)) < 0)
			return r;
		if (r)
			continue;
		if ((x->before && (r = x->before(p, x, e))) || (r = dmctl_create(d, &dev, e)))
			return r;
		if (x->after && (r = x->after(p, x, d, e))) {
			dmctl_remove(d, x->name, &e2);
			return r;
		}
	}
	return 0;
}

int lv_plan_unload(struct dmctl *d, const struct lv_plan *p, const struct vg_lv *unit, struct err *e)
{
	int r;

	for (unsigned i = p->n; i-- > 0;) /* never a device of that name that is not this LV's */
		if (p->dev[i].unit == unit && dmctl_device(d, p->dev[i].name, p->dev[i].uuid, NULL) == 1 &&
		    (r = dmctl_simple(d, "remove", p->dev[i].name, e)))
			return r;
	return 0;
}

int lv_plan_reload(struct dmctl *d, const struct lv_plan *p, const struct vg_lv *unit, struct err *e)
{
	int r;

	for (unsigned i = 0; i < p->n; i++) {
		const struct lv_plan_dev *x = &p->dev[i];
		/* only the LV's own device changes mode; the layers and sub-LVs keep theirs */
		bool mode = i == p->n - 1 && (x->lv->status & FLAG(LVF_VISIBLE));
		struct dmctl_dev dev = { .name = x->name, .table = x->table, .readonly = mode ? x->readonly : -1 };

		if (x->unit != unit || dmctl_device(d, x->name, x->uuid, NULL) != 1)
			continue;
		if ((r = dmctl_reload(d, &dev, e)))
			return r;
	}
	return 0;
}

int lv_table(const struct vg *vg, const struct vg_lv *lv, char **text, struct err *e)
{
	struct lv_plan p;
	int r;

	*text = NULL;
	if ((r = lv_plan_build(&p, vg, NULL, lv, e)))
		return r;
	if (!p.n) { /* an unused cache pool: no device of its own */
		lv_plan_free(&p);
		return err_set(e, -ENODEV, "LV %s/%s has no device", vg->name, lv->name);
	}
	*text = lv_plan_top(&p)->table;
	lv_plan_top(&p)->table = NULL;
	lv_plan_free(&p);
	return 0;
}

/* ---- an LV in ulvmd ---- */

struct vg_lv *lv_owner(const struct vg *vg, const struct vg_lv *lv)
{
	struct vg_lv *o;

	if (lv->status & FLAG(LVF_VISIBLE))
		return NULL;
	for (unsigned i = 0; i < vg->nlv; i++) {
		const struct segtype *st = lv_segtype(vg->lv[i]);

		if (vg->lv[i] != lv && st && st->owner_of && (o = st->owner_of(vg, vg->lv[i], lv)))
			return o;
	}
	return NULL;
}

bool lv_read_only(const struct vg *vg, const struct vg_lv *lv, char *why, size_t size)
{
	const char *key, *t;
	const struct vg_lv *u = lv_first_user(vg, lv, &key);

	*why = 0;
	if (!(lv->status & FLAG(LVF_WRITE)))
		return true;
	if (!(lv->status & FLAG(LVF_VISIBLE)) && !lv_stands_for(vg, lv)) { /* an old snapshot's COW is the snapshot */
		snprintf(why, size, "it is a hidden sub-LV%s%s%s", u ? " of " : "", u ? vg->name : "", u ? "/" : "");
		if (u)
			snprintf(why + strlen(why), size - strlen(why), "%s", u->name);
		return true;
	}
	for (unsigned i = 0; i < vg->nlv; i++) {
		u = vg->lv[i];
		if (u == lv || !(t = lv_unservable_type(u)))
			continue;
		if (lv_uses(vg, u, lv, &key)) {
			snprintf(why, size, "it is the %s of %s/%s, a %s LV that ulvm cannot serve yet", key, vg->name,
				 u->name, t);
			return true;
		}
	}
	return false;
}

bool lv_dm_active(struct dmctl *d, const struct vg *vg, const struct vg_lv *lv)
{
	char name[LV_DM_NAME_MAX], uuid[LV_DM_UUID_MAX];

	lv_dm_name(vg, lv, name);
	lv_dm_uuid(vg, lv, uuid);
	return dmctl_device(d, name, uuid, NULL) == 1;
}

/* The plan of @lv with its own device's mode as lv_read_only says. */
static int plan_with_mode(struct lv_plan *p, const struct lvm_env *env, const struct vg *vg,
			  const struct vg_lv *lv, char *why, size_t size, struct err *e)
{
	int r;

	if ((r = lv_plan_build(p, vg, env, lv, e)))
		return r;
	if (lv_read_only(vg, lv, why, size) && p->n) /* a plan may be empty: an unused cache pool */
		lv_plan_top(p)->readonly = true;
	return 0;
}

int lv_dm_activate(struct dmctl *d, const struct lvm_env *env, const struct vg *vg, const struct vg_lv *lv,
		   char *why, size_t size, struct err *e)
{
	char name[LV_DM_NAME_MAX], uuid[LV_DM_UUID_MAX];
	struct lv_plan p;
	int r;

	*why = 0;
	if (lv_owner(vg, lv))
		return 0;
	lv_dm_name(vg, lv, name);
	lv_dm_uuid(vg, lv, uuid);
	if ((r = dmctl_device(d, name, uuid, e))) /* active already, or the name is another's */
		return r < 0 ? r : 0;
	if ((r = plan_with_mode(&p, env, vg, lv, why, size, e)))
		return r;
	r = lv_plan_load(d, &p, e);
	lv_plan_free(&p);
	return r;
}

struct cascade_ctx {
	struct dmctl *d;
	const struct vg *vg;
	const struct vg_lv *lv;
	struct err *e;
};

static int cascade_down(const struct lv_ref *r, void *data)
{
	struct cascade_ctx *x = data;

	return r->cascade && r->to == x->lv ? lv_dm_deactivate(x->d, x->vg, r->from, x->e) : 0;
}

int lv_dm_deactivate(struct dmctl *d, const struct vg *vg, const struct vg_lv *lv, struct err *e)
{
	struct cascade_ctx x = { d, vg, lv, e };
	char name[LV_DM_NAME_MAX];
	struct lv_plan p;
	struct err e2 = { { 0 } };
	int r;

	if (lv_owner(vg, lv))
		return 0;
	if (lv_internal(lv)) { /* an old snapshot's internal LV: the COW LV that stands for it */
		for (unsigned i = 0; i < vg->nlv; i++)
			if (lv_stands_for(vg, vg->lv[i]) == lv && (r = lv_dm_deactivate(d, vg, vg->lv[i], e)))
				return r;
		return 0;
	}
	if ((r = lv_refs_each(vg, NULL, cascade_down, &x)))
		return r;
	/* planned as a partial activation would plan it: the devices of its
	 * missing areas (--activationmode partial) go with it too */
	static const struct lvm_env partial = { .activation_mode = LVM_ACT_PARTIAL };
	if (lv_plan_build(&p, vg, &partial, lv, &e2)) { /* no plan: its own device */
		lv_dm_name(vg, lv, name);
		return lv_dm_active(d, vg, lv) ? dmctl_simple(d, "remove", name, e) : 0;
	}
	r = lv_plan_unload(d, &p, lv, e);
	lv_plan_free(&p);
	return r;
}

/* Reload @lv's active devices with its plan; @create: create the ones it
 * lacks first; @old: then remove @lv's devices of that earlier plan which
 * the new one no longer has. */
static int replan(struct dmctl *d, const struct lvm_env *env, const struct vg *vg, const struct vg_lv *lv,
		  bool create, const struct lv_plan *old, struct err *e)
{
	char why[LVM_NAME_LEN * 2 + 128];
	struct lv_plan p;
	int r;

	if (!lv_dm_active(d, vg, lv))
		return 0;
	if ((r = plan_with_mode(&p, env, vg, lv, why, sizeof(why), e)))
		return r;
	r = create ? lv_plan_load(d, &p, e) : 0;
	if (!r)
		r = lv_plan_reload(d, &p, lv, e);
	for (unsigned i = old ? old->n : 0; i-- > 0 && !r;) {
		const struct lv_plan_dev *x = &old->dev[i];

		if (x->unit == old->dev[old->n - 1].unit && !lv_plan_find(&p, x->name) &&
		    dmctl_device(d, x->name, x->uuid, NULL) == 1)
			r = dmctl_remove(d, x->name, e);
	}
	lv_plan_free(&p);
	return r;
}

int lv_dm_restack(struct dmctl *d, const struct lvm_env *env, const struct vg *vg, const struct vg_lv *lv,
		  struct err *e)
{
	return replan(d, env, vg, lv, true, NULL, e);
}

int lv_dm_reload(struct dmctl *d, const struct lvm_env *env, const struct vg *vg, const struct vg_lv *lv,
		 struct err *e)
{
	return replan(d, env, vg, lv, false, NULL, e);
}

int lv_dm_restack_since(struct dmctl *d, const struct lvm_env *env, const struct vg *vg, const struct vg_lv *lv,
			const struct lv_plan *old, struct err *e)
{
	return replan(d, env, vg, lv, true, old, e);
}
