/* The segment types ulvm knows, in one array, and the helpers every type
 * shares.  See lvm/segtype.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <inttypes.h>
#include <stdio.h>

#include "common/report.h"
#include "lvm/activate.h"
#include "lvm/lvref.h"
#include "lvm/segtype.h"
#include "lvm/thin_lv.h"
#include "lvm/vg_internal.h"

extern const struct segtype segtype_snapshot, segtype_mirror, segtype_raid, segtype_cache, segtype_cache_pool,
	segtype_writecache, segtype_integrity, segtype_vdo, segtype_vdo_pool, segtype_error, segtype_zero;

const struct segtype *const segtypes[] = {
	&segtype_striped,
	&segtype_thin_pool,
	&segtype_thin,
	&segtype_snapshot,
	&segtype_mirror,
	&segtype_raid,
	&segtype_cache,
	&segtype_cache_pool,
	&segtype_writecache,
	&segtype_integrity,
	&segtype_vdo,
	&segtype_vdo_pool,
	&segtype_error,
	&segtype_zero,
	NULL,
};

/* "cache-pool+METADATA_FORMAT" is a cache-pool (lvm2's segtype flags
 * after '+'); a family (raid) takes each of its @names. */
static bool named(const struct segtype *st, const char *name)
{
	size_t n = strcspn(name, "+"), l = strlen(st->name);

	for (const char *const *x = st->names; x && *x; x++)
		if (strlen(*x) == n && !strncmp(name, *x, n))
			return true;
	return (!st->names && l == n && !strncmp(name, st->name, n)) || (st->alias && !strcmp(name, st->alias));
}

const struct segtype *segtype_find(const char *name)
{
	for (unsigned i = 0; segtypes[i]; i++)
		if (named(segtypes[i], name))
			return segtypes[i];
	return &segtype_unknown;
}

const struct segtype *lv_segtype(const struct vg_lv *lv)
{
	return lv->nseg ? lv->seg[0].st : NULL;
}

void *lv_seg_model(const struct vg_lv *lv, const struct segtype *st)
{
	return lv->nseg == 1 && lv->seg[0].st == st ? lv->seg[0].priv : NULL;
}

int seg_reparse(const struct vg *vg, struct lv_seg *s, struct err *e)
{
	return s->raw && s->st->parse ? s->st->parse(vg, s, e) : 0;
}

bool seg_words_have(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

static void add_words(char *list, size_t size, const char *words)
{
	char buf[128];

	snprintf(buf, sizeof(buf), "%s", words ? words : "");
	for (char *save = NULL, *w = strtok_r(buf, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		size_t n = strlen(w), len = strlen(list);

		if (!seg_words_have(list, w) && len + n + 2 <= size)
			snprintf(list + len, size - len, "%s%s", len ? "," : "", w);
	}
}

void seg_report_kind(const struct seg_report_ctx *x, const char *layout, const char *role, const char *modules,
		     bool private_lv)
{
	if (!x->kind)
		return;
	add_words(x->kind->layout, sizeof(x->kind->layout), layout);
	add_words(x->kind->role, sizeof(x->kind->role), role);
	add_words(x->kind->modules, sizeof(x->kind->modules), modules);
	x->kind->private_lv |= private_lv;
}

void seg_report_lv(const struct seg_report_ctx *x, int name_field, int uuid_field, const char *name)
{
	const struct vg_lv *l = vg_find_lv(x->vg, name);
	char buf[LVM_NAME_LEN + 3], id[LVM_ID_TEXT_LEN + 1];

	snprintf(buf, sizeof(buf), l && !lv_listed(x->vg, l) ? "[%s]" : "%s", name);
	report_set_str(x->row, (unsigned)name_field, buf);
	if (l && uuid_field >= 0) {
		lvm_id_format(l->id, id);
		report_set_str(x->row, (unsigned)uuid_field, id);
	}
}

void seg_display_area(const struct seg_display_ctx *x, const struct lv_seg *s, unsigned k, const char *pre)
{
	const struct lv_area *a = &s->area[k];
	uint32_t last = a->pe + seg_area_len(s) - 1;

	if (a->lv) {
		fprintf(x->out, "  %sLogical volume\t%s\n", pre, a->lv->name);
		fprintf(x->out, "  %sLogical extents\t%u to %u\n", pre, a->pe, last);
	} else if (a->pv) { /* a missing PV's name is lvm2's "[unknown]" */
		fprintf(x->out, "  %sPhysical volume\t%s\n", pre, a->pv->pv && a->pv->path ? a->pv->path : "[unknown]");
		fprintf(x->out, "  %sPhysical extents\t%u to %u\n", pre, a->pe, last);
	} else {
		fprintf(x->out, "  %sPhysical volume\tMissing\n", pre);
	}
}

bool seg_can_activate(const struct lv_seg *s)
{
	return s->st->plan && (!s->raw || s->priv);
}

bool vg_keeps_pmspare(const struct vg *vg)
{
	for (unsigned i = 0; i < vg->nlv; i++) {
		const struct segtype *st = lv_segtype(vg->lv[i]);

		if ((st && (st->flags & SEGTYPE_SPARE)) || (vg->lv[i]->status & FLAG(LVF_CACHE_VOL)))
			return true;
	}
	return false;
}

struct cfg_node *seg_new_raw(struct vg *vg, uint32_t extents, const char *type)
{
	struct cfg_node *sn = cfg_add_section(cfg_root(vg->keep), "segment1");

	cfg_add_int(sn, "start_extent", 0);
	vg_size_comment(cfg_add_int(sn, "extent_count", extents), (uint64_t)extents * vg->extent_size);
	cfg_add_blank(cfg_add_str(sn, "type", type), 1);
	return sn;
}

int lv_set_raw_seg(struct vg *vg, struct vg_lv *lv, uint32_t extents, const struct segtype *st,
		   struct cfg_node *sn, struct err *e)
{
	struct lv_seg *s;
	char *t;
	int r;

	if ((r = cfg_tree_status(vg->keep, e)))
		return r;
	if (lv->nseg > 1 || (lv->nseg == 1 && lv->seg[0].st != st))
		return err_set(e, -EINVAL, "LV %s: cannot turn a %s LV into %s", lv->name, lv->seg[0].type, st->name);
	/* the section's own type string: a family's member ("raid1") */
	{
		const struct cfg_node *tn = cfg_find(sn, "type");

		t = strdup(tn && tn->type == CFG_STRING ? tn->v.s : st->name);
	}
	if (!t)
		return err_set(e, -ENOMEM, "out of memory");
	if (!lv->nseg) {
		free(lv->seg); /* an array lv_reduce emptied */
		if (!(lv->seg = calloc(1, sizeof(*lv->seg)))) {
			free(t);
			return err_set(e, -ENOMEM, "out of memory");
		}
		lv->nseg = 1;
	}
	s = &lv->seg[0];
	free(s->type);
	s->type = t;
	s->st = st;
	s->le = 0;
	s->len = extents;
	s->raw = sn; /* the old section stays in the keep tree's arena */
	lv->le_count = extents;
	return seg_reparse(vg, s, e);
}

void seg_export_areas(const struct vg *vg, const struct lv_seg *s, struct cfg_node *sn, const char *key)
{
	struct cfg_node *n = cfg_add_blank(cfg_add_array(sn, key), 1);
	char pv[32];

	for (unsigned k = 0; n && k < s->narea; k++) {
		int idx = 0;

		for (unsigned i = 0; s->area[k].pv && i < vg->npv; i++)
			if (vg->pv[i] == s->area[k].pv)
				idx = (int)i;
		snprintf(pv, sizeof(pv), "pv%d", idx);
		cfg_array_add_str(n, s->area[k].lv ? s->area[k].lv->name : pv, true);
		cfg_array_add_int(n, s->area[k].pe, false);
	}
	if (n)
		n->nl_before_close = true;
}

void seg_emit_area(FILE *f, const struct vg *vg, const struct lv_area *a)
{
	uint64_t E = vg->extent_size;
	char name[LV_DM_NAME_MAX];

	if (a->lv) {
		lv_dm_name(vg, a->lv, name);
		fprintf(f, " /dev/mapper/%s %" PRIu64, name, a->pe * E);
	} else {
		fprintf(f, " %s %" PRIu64, a->pv->path, a->pv->pe_start + a->pe * E);
	}
}
