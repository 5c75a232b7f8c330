/* References between LVs.  See lvref.h. */
#include "lvm/lvref.h"

#include "lvm/segtype.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Does @name stand for a PV in an area list?  Kept segments name PVs by
 * their key in the text, pv0..pvN-1 as lvm2 writes them. */
static bool pv_key(const struct vg *vg, const char *name)
{
	char *end;
	unsigned long i;

	if (strncmp(name, "pv", 2) || !name[2])
		return false;
	i = strtoul(name + 2, &end, 10);
	return !*end && i < vg->npv;
}

int lv_refs_each(const struct vg *vg, const struct vg_lv *from, int (*fn)(const struct lv_ref *r, void *data),
		 void *data)
{
	for (unsigned l = 0; l < vg->nlv; l++) {
		struct vg_lv *lv = vg->lv[l];

		if (from && lv != from)
			continue;
		for (unsigned s = 0; s < lv->nseg; s++) {
			const struct lv_seg *sg = &lv->seg[s];

			/* sub-LV areas of a modelled segment: pointers, renamed with the LV */
			for (unsigned k = 0; !sg->raw && k < sg->narea; k++) {
				struct lv_ref r = { .from = lv, .key = sg->st->area_key, .to = sg->area[k].lv, .pins = true };
				int ret;

				if (r.to && (ret = fn(&r, data)))
					return ret;
			}

			for (unsigned k = 0; !sg->raw && sg->st->named; k++) {
				struct lv_ref r = { .from = lv, .pins = true };
				int ret;

				if (!(r.to = sg->st->named(sg, k, &r.key)))
					break;
				if ((ret = fn(&r, data)))
					return ret;
			}

			/* the names are in the kept section; a modelled one names PVs only */
			for (const struct seg_ref_key *rk = sg->st->refs; sg->raw && rk && rk->key; rk++) {
				struct lv_ref r = { .from = lv, .key = rk->key, .pins = rk->pins, .cascade = rk->cascade,
						 .dependent = rk->dependent };
				struct cfg_node *n = cfg_find(sg->raw, rk->key);
				int ret;

				if (!n)
					continue;
				if (!rk->stride && n->type == CFG_STRING) {
					r.val = &n->v;
					r.to = vg_find_lv(vg, n->v.s);
					if ((ret = fn(&r, data)))
						return ret;
				}
				for (unsigned i = 0; rk->stride && n->type == CFG_ARRAY && i < n->nitems; i += rk->stride) {
					if (n->items[i].type != CFG_STRING || (rk->stride > 1 && pv_key(vg, n->items[i].s)))
						continue;
					r.val = &n->items[i];
					r.to = vg_find_lv(vg, n->items[i].s);
					if ((ret = fn(&r, data)))
						return ret;
				}
			}
		}
	}
	return 0;
}

struct user_ctx {
	const struct vg_lv *lv;
	struct lv_ref best; /* .from NULL: none yet */
};

static int find_user(const struct lv_ref *r, void *data)
{
	struct user_ctx *u = data;

	if (r->to == u->lv && r->from != u->lv && (!u->best.from || (r->pins && !u->best.pins)))
		u->best = *r;
	return 0;
}

struct vg_lv *lv_first_user(const struct vg *vg, const struct vg_lv *lv, const char **key)
{
	struct user_ctx u = { .lv = lv };

	lv_refs_each(vg, NULL, find_user, &u);
	if (key)
		*key = u.best.key;
	return u.best.from;
}

struct uses_ctx {
	const struct vg_lv *lv;
	const char *key;
};

static int names_lv(const struct lv_ref *r, void *data)
{
	struct uses_ctx *u = data;

	if (r->to != u->lv)
		return 0;
	u->key = r->key;
	return 1;
}

bool lv_uses(const struct vg *vg, const struct vg_lv *user, const struct vg_lv *lv, const char **key)
{
	struct uses_ctx u = { .lv = lv };
	bool r = lv_refs_each(vg, user, names_lv, &u) == 1;

	if (key)
		*key = u.key;
	return r;
}

static int cascades(const struct lv_ref *r, void *data)
{
	return r->to == data && r->cascade;
}

bool lv_cascades_from(const struct vg *vg, const struct vg_lv *user, const struct vg_lv *lv)
{
	return lv_refs_each(vg, user, cascades, (void *)lv) == 1;
}

static int cow_of(const struct lv_ref *r, void *data)
{
	const struct vg_lv **lv = data;

	if (r->to != *lv || (strcmp(r->key, "cow_store") && strcmp(r->key, "merging_store")))
		return 0;
	*lv = r->from;
	return 1;
}

struct vg_lv *lv_stands_for(const struct vg *vg, const struct vg_lv *lv)
{
	const struct vg_lv *top = lv;

	if (lv->status & FLAG(LVF_VISIBLE) || lv_refs_each(vg, NULL, cow_of, &top) != 1)
		return NULL;
	return (struct vg_lv *)top;
}

bool lv_internal(const struct vg_lv *lv)
{
	return lv->nseg && lv->seg[0].st && (lv->seg[0].st->flags & SEGTYPE_HIDDEN);
}

bool lv_listed(const struct vg *vg, const struct vg_lv *lv)
{
	if (lv_internal(lv))
		return false;
	return (lv->status & FLAG(LVF_VISIBLE)) || lv_stands_for(vg, lv);
}

static int hidden_ref(const struct lv_ref *r, void *data)
{
	(void)data;
	return r->to && !(r->to->status & FLAG(LVF_VISIBLE));
}

bool lv_has_subs(const struct vg *vg, const struct vg_lv *lv)
{
	return lv_refs_each(vg, lv, hidden_ref, NULL) == 1;
}

static int check_ref(const struct lv_ref *r, void *data)
{
	struct err *e = data;

	if (!r->to)
		return err_set(e, -EINVAL, "LV %s: %s names LV %s, which is not in the VG", r->from->name, r->key,
			       r->val->s);
	if (r->to == r->from)
		return err_set(e, -EINVAL, "LV %s: %s names the LV itself", r->from->name, r->key);
	return 0;
}

int vg_check_refs(const struct vg *vg, struct err *e)
{
	return lv_refs_each(vg, NULL, check_ref, e);
}

/* ---- removal ---- */

struct set {
	struct vg_lv **lv;
	unsigned n;
	bool grew;
};

static bool in_set(const struct set *s, const struct vg_lv *lv)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->lv[i] == lv)
			return true;
	return false;
}

/* Add the hidden LVs that members name. */
static int grow(const struct lv_ref *r, void *data)
{
	struct set *s = data;

	if (!r->to || !in_set(s, r->from) || in_set(s, r->to) || (r->to->status & FLAG(LVF_VISIBLE)))
		return 0;
	s->lv[s->n++] = r->to;
	s->grew = true;
	return 0;
}

struct pin_ctx {
	const struct set *s;
	struct lv_ref hit;
};

static int outside_pin(const struct lv_ref *r, void *data)
{
	struct pin_ctx *p = data;

	if (!r->pins || !r->to || in_set(p->s, r->from) || !in_set(p->s, r->to))
		return 0;
	p->hit = *r;
	return 1;
}

int lv_removal_set(const struct vg *vg, struct vg_lv *lv, struct vg_lv ***out, unsigned *n, struct err *e)
{
	struct set s = { .lv = calloc(vg->nlv + 1, sizeof(*s.lv)) };
	struct pin_ctx p = { .s = &s };

	if (!s.lv)
		return err_set(e, -ENOMEM, "out of memory");
	s.lv[s.n++] = lv;
	do {
		s.grew = false;
		lv_refs_each(vg, NULL, grow, &s);
	} while (s.grew);
	if (lv_refs_each(vg, NULL, outside_pin, &p)) {
		int r = p.hit.to == lv
				? err_set(e, -EBUSY, "Logical volume %s/%s is used by %s/%s (%s).", vg->name, lv->name,
					  vg->name, p.hit.from->name, p.hit.key)
				: err_set(e, -EBUSY, "Logical volume %s/%s: its sub-LV %s is used by %s/%s (%s).",
					  vg->name, lv->name, p.hit.to->name, vg->name, p.hit.from->name, p.hit.key);
		free(s.lv);
		return r;
	}
	*out = s.lv;
	*n = s.n;
	return 0;
}

/* ---- rename ---- */

struct rename_ctx {
	struct vg_lv **lv; /* renamed LVs */
	char **name;       /* their new names */
	unsigned n;
	struct cfg_value **val; /* references to them */
	unsigned *idx;
	unsigned nval;
	size_t cap;
};

static int collect(const struct lv_ref *r, void *data)
{
	struct rename_ctx *c = data;

	for (unsigned i = 0; i < c->n; i++)
		if (r->to == c->lv[i]) {
			if (c->nval == c->cap) {
				size_t cap = c->cap ? 2 * c->cap : 16;
				struct cfg_value **v = realloc(c->val, cap * sizeof(*v));
				unsigned *x;

				if (!v)
					return -ENOMEM;
				c->val = v;
				if (!(x = realloc(c->idx, cap * sizeof(*x))))
					return -ENOMEM;
				c->idx = x;
				c->cap = cap;
			}
			if (!r->val) /* a model's pointer to the LV: nothing to rewrite */
				continue;
			c->val[c->nval] = r->val;
			c->idx[c->nval++] = i;
		}
	return 0;
}

/* Sub-LVs named "<old>_...", found through references, recursively. */
static int add_subs(const struct lv_ref *r, void *data)
{
	struct rename_ctx *c = data;
	const char *old = c->lv[0]->name;
	size_t ol = strlen(old);
	bool from_in = false;

	for (unsigned i = 0; i < c->n; i++) {
		from_in |= c->lv[i] == r->from;
		if (c->lv[i] == r->to)
			return 0;
	}
	if (!from_in || !r->to || (r->to->status & FLAG(LVF_VISIBLE)) || strncmp(r->to->name, old, ol) ||
	    r->to->name[ol] != '_')
		return 0;
	c->lv[c->n] = r->to;
	if (asprintf(&c->name[c->n], "%s%s", c->name[0], r->to->name + ol) < 0)
		return -ENOMEM;
	c->n++;
	return 1; /* the list changed: walk again */
}

int lv_rename_with_subs(struct vg *vg, struct vg_lv *lv, const char *name, struct err *e)
{
	struct rename_ctx c = { .lv = calloc(vg->nlv + 1, sizeof(*c.lv)), .name = calloc(vg->nlv + 1, sizeof(char *)) };
	int r = -ENOMEM;

	if (!c.lv || !c.name || !(c.name[0] = strdup(name)))
		goto out;
	c.lv[c.n++] = lv;
	while ((r = lv_refs_each(vg, NULL, add_subs, &c)) == 1)
		;
	if (r)
		goto out;
	for (unsigned i = 1; i < c.n; i++)
		if (strlen(c.name[i]) >= LVM_NAME_LEN || vg_find_lv(vg, c.name[i])) {
			r = err_set(e, -EEXIST, "Cannot rename %s to %s: its sub-LV %s would become %s, %s.", lv->name,
				    name, c.lv[i]->name, c.name[i],
				    strlen(c.name[i]) >= LVM_NAME_LEN ? "a name too long" : "which exists");
			goto out;
		}
	if ((r = lv_refs_each(vg, NULL, collect, &c)))
		goto out;
	for (unsigned i = 0; i < c.nval; i++)
		if ((r = cfg_value_set_str(vg->keep, c.val[i], c.name[c.idx[i]])))
			goto out;
	for (unsigned i = 0; i < c.n; i++) {
		free(c.lv[i]->name);
		c.lv[i]->name = c.name[i];
		c.name[i] = NULL;
	}
	r = 0;
	for (unsigned l = 0; l < vg->nlv && !r; l++) /* the models read the new names */
		for (unsigned i = 0; i < vg->lv[l]->nseg && !r; i++)
			r = seg_reparse(vg, &vg->lv[l]->seg[i], e);
out:
	if (r == -ENOMEM)
		err_set(e, r, "out of memory");
	for (unsigned i = 0; c.name && i < c.n; i++)
		free(c.name[i]);
	free(c.name);
	free(c.lv);
	free(c.val);
	free(c.idx);
	return r;
}

void vg_lv_users_first(const struct vg *vg, struct vg_lv **out)
{
	bool *done = calloc(vg->nlv ? vg->nlv : 1, sizeof(*done));
	unsigned n = 0;

	if (!done) { /* the VG's order: a device still in use is refused by name */
		memcpy(out, vg->lv, vg->nlv * sizeof(*out));
		return;
	}
	for (bool progress = true; n < vg->nlv && progress;) {
		progress = false;
		for (unsigned i = 0; i < vg->nlv; i++) {
			bool wait = false;

			for (unsigned j = 0; j < vg->nlv && !done[i] && !wait; j++)
				wait = j != i && !done[j] && lv_uses(vg, vg->lv[j], vg->lv[i], NULL);
			if (!done[i] && !wait) {
				out[n++] = vg->lv[i];
				done[i] = progress = true;
			}
		}
	}
	for (unsigned i = 0; i < vg->nlv; i++) /* a cycle: the rest in the VG's order */
		if (!done[i])
			out[n++] = vg->lv[i];
	free(done);
}
