/* VG validation, as strict as LVM2's vgck (vg_validate + check_pv_segments
 * + check_lv_segments).  See vg.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lvm/lvref.h"
#include "lvm/pvseg.h"
#include "lvm/segtype.h"
#include "lvm/vg.h"

static int check_tags(const struct strv *t, const char *what, const char *name, struct err *e)
{
	for (unsigned i = 0; i < t->n; i++)
		if (!lvm_tag_valid(t->s[i]))
			return err_set(e, -EINVAL, "%s %s: invalid tag \"%s\"", what, name, t->s[i]);
	return 0;
}

/* No PE of @pv used twice, none past pe_count. */
static int check_pv_use(const struct vg *vg, const struct vg_pv *pv, struct err *e)
{
	struct pvseg *g, *prev = NULL;
	unsigned n;
	char idt[LVM_ID_TEXT_LEN + 1];
	int ret = 0;

	if (pv_segments(vg, pv, &g, &n))
		return err_set(e, -ENOMEM, "out of memory");
	lvm_id_format(pv->id, idt);
	for (unsigned i = 0; i < n && !ret; i++) {
		if (!g[i].lv)
			continue;
		if ((uint64_t)g[i].pe + g[i].len > pv->pe_count)
			ret = err_set(e, -EINVAL, "LV %s: extents %u-%u are past the end of PV %s (%u extents)",
				      g[i].lv->name, g[i].pe, g[i].pe + g[i].len - 1, idt, pv->pe_count);
		else if (prev && prev->pe + prev->len > g[i].pe)
			ret = err_set(e, -EINVAL, "PV %s: extent %u is used by both LV %s and LV %s", idt, g[i].pe,
				      prev->lv->name, g[i].lv->name);
		prev = &g[i];
	}
	free(g);
	return ret;
}

static int check_lv(const struct vg *vg, const struct vg_lv *lv, struct err *e)
{
	uint32_t le = 0;
	int r;

	if (!lvm_name_valid(lv->name))
		return err_set(e, -EINVAL, "invalid LV name \"%s\"", lv->name);
	if (strlen(vg->name) + strlen(lv->name) + 3 >= LVM_NAME_LEN)
		return err_set(e, -EINVAL, "LV %s/%s: the names together are too long", vg->name, lv->name);
	if (!lvm_id_valid(lv->id))
		return err_set(e, -EINVAL, "LV %s: invalid id", lv->name);
	if ((r = check_tags(&lv->tags, "LV", lv->name, e)))
		return r;
	if (!lv->nseg)
		return err_set(e, -EINVAL, "LV %s has no segments", lv->name);
	if (lv->has_ctime != (lv->host != NULL))
		return err_set(e, -EINVAL, "LV %s: creation_time and creation_host go together", lv->name);
	for (unsigned i = 0; i < lv->nseg; i++) {
		const struct lv_seg *s = &lv->seg[i];

		if (s->le != le || !s->len)
			return err_set(e, -EINVAL, "LV %s: segment %u starts at LE %u, expected %u",
				       lv->name, i + 1, s->le, le);
		if ((r = check_tags(&s->tags, "LV segment of", lv->name, e)))
			return r;
		if (s->st->validate && (r = s->st->validate(vg, lv, s, e)))
			return r;
		le += s->len;
	}
	if (le != lv->le_count)
		return err_set(e, -EINVAL, "LV %s: %u extents counted, %u in segments", lv->name,
			       lv->le_count, le);
	return 0;
}

static int lv_name_cmp(const void *a, const void *b)
{
	return strcmp((*(struct vg_lv *const *)a)->name, (*(struct vg_lv *const *)b)->name);
}

static int lv_id_cmp(const void *a, const void *b)
{
	return strcmp((*(struct vg_lv *const *)a)->id, (*(struct vg_lv *const *)b)->id);
}

/* Unique LV names and ids: sorted, so a VG of 1,000s of LVs checks fast. */
static int check_lv_unique(const struct vg *vg, struct err *e)
{
	struct vg_lv **v;
	int r = 0;

	if (vg->nlv < 2)
		return 0;
	if (!(v = malloc(vg->nlv * sizeof(*v))))
		return err_set(e, -ENOMEM, "out of memory");
	memcpy(v, vg->lv, vg->nlv * sizeof(*v));
	qsort(v, vg->nlv, sizeof(*v), lv_name_cmp);
	for (unsigned i = 1; i < vg->nlv && !r; i++)
		if (!strcmp(v[i - 1]->name, v[i]->name))
			r = err_set(e, -EINVAL, "VG %s: two LVs named %s", vg->name, v[i]->name);
	qsort(v, vg->nlv, sizeof(*v), lv_id_cmp);
	for (unsigned i = 1; i < vg->nlv && !r; i++)
		if (!strcmp(v[i - 1]->id, v[i]->id))
			r = err_set(e, -EINVAL, "VG %s: LVs %s and %s have the same id", vg->name,
				    v[i - 1]->name, v[i]->name);
	free(v);
	return r;
}

int vg_validate(const struct vg *vg, struct err *e)
{
	int r;

	if (!lvm_name_valid(vg->name))
		return err_set(e, -EINVAL, "invalid VG name \"%s\"", vg->name);
	if (!lvm_id_valid(vg->id))
		return err_set(e, -EINVAL, "VG %s: invalid id", vg->name);
	if (!vg->extent_size)
		return err_set(e, -EINVAL, "VG %s: extent_size is 0", vg->name);
	if ((r = check_tags(&vg->tags, "VG", vg->name, e)))
		return r;
	if (!vg->npv)
		return err_set(e, -EINVAL, "VG %s has no PVs", vg->name);
	for (unsigned i = 0; i < vg->npv; i++) {
		const struct vg_pv *p = vg->pv[i];

		if (!lvm_id_valid(p->id))
			return err_set(e, -EINVAL, "VG %s: invalid PV id", vg->name);
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(vg->pv[j]->id, p->id))
				return err_set(e, -EINVAL, "VG %s: PV id %s is listed twice", vg->name, p->id);
		if ((r = check_tags(&p->tags, "PV", p->id, e)))
			return r;
	}
	for (unsigned i = 0; i < vg->nlv; i++)
		if ((r = check_lv(vg, vg->lv[i], e)))
			return r;
	if ((r = check_lv_unique(vg, e)))
		return r;
	if (vg->max_lv && vg->nlv > vg->max_lv)
		return err_set(e, -EINVAL, "VG %s: %u LVs, max_lv is %u", vg->name, vg->nlv, vg->max_lv);
	if (vg->max_pv && vg->npv > vg->max_pv)
		return err_set(e, -EINVAL, "VG %s: %u PVs, max_pv is %u", vg->name, vg->npv, vg->max_pv);
	for (unsigned i = 0; i < vg->npv; i++)
		if ((r = check_pv_use(vg, vg->pv[i], e)))
			return r;
	return vg_check_refs(vg, e);
}
