/* VG export in LVM2's layout (export.c _print_vg, _print_pvs, _print_lv,
 * _print_segment, out_areas): which keys, in which order, and where the
 * blank lines go.  The same tree emits the mda form (no indentation) and
 * the backup form (tabs, and the size comments LVM writes only there). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lvm/segtype.h"
#include "lvm/vg.h"
#include "lvm/vg_internal.h"

static void add_strv(struct cfg_node *sec, const char *key, const struct strv *v)
{
	struct cfg_node *a = cfg_add_array(sec, key);

	for (unsigned i = 0; i < v->n; i++)
		cfg_array_add_str(a, v->s[i], false);
}

/* status = [STATUS words], flags = [COMPATIBLE words], table order. */
static struct cfg_node *add_flags(struct cfg_node *sec, const struct vg_flag_def *defs,
				  uint32_t mask)
{
	struct cfg_node *st = cfg_add_array(sec, "status"), *fl = cfg_add_array(sec, "flags");

	for (unsigned f = 0; defs[f].name; f++)
		if (mask & (1u << f))
			cfg_array_add_str(defs[f].status ? st : fl, defs[f].name, false);
	return st;
}

/* lv_is_visible as _print_lvs orders LVs by it: an old-style snapshot's
 * internal LV (SEGTYPE_HIDDEN, lvm2's SNAPSHOT status) counts as hidden
 * even with VISIBLE in its status. */
static bool lv_visible(const struct vg_lv *lv)
{
	if (lv->nseg && (lv->seg[0].st->flags & SEGTYPE_HIDDEN))
		return false;
	return lv->status & FLAG(LVF_VISIBLE);
}

void vg_size_comment(struct cfg_node *n, uint64_t sectors)
{
	static const char *const unit[] = { "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
					    "Petabytes", "Exabytes" };
	double v = (double)sectors / 2;
	unsigned u = 0;
	char buf[64];

	/* The larger unit only past one of it: 1 MiB is "1024 Kilobytes". */
	while (v > 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	if (v == (double)(uint64_t)v)
		snprintf(buf, sizeof(buf), "# %llu %s", (unsigned long long)v, unit[u]);
	else
		snprintf(buf, sizeof(buf), "# %.2f %s", v, unit[u]);
	cfg_set_comment(n, buf, true);
}

static void export_pvs(const struct vg *vg, struct cfg_node *vgn)
{
	struct cfg_node *pvs = cfg_add_blank(cfg_add_section(vgn, "physical_volumes"), 1), *n;
	char key[32], id[LVM_ID_TEXT_LEN + 1];

	for (unsigned i = 0; i < vg->npv; i++) {
		const struct vg_pv *pv = vg->pv[i];
		struct cfg_node *p;

		snprintf(key, sizeof(key), "pv%u", i);
		p = cfg_add_blank(cfg_add_section(pvs, key), 1);
		lvm_id_format(pv->id, id);
		cfg_add_str(p, "id", id);
		if (pv->device || pv->path)
			cfg_set_comment(cfg_add_str(p, "device", pv->path ? pv->path : pv->device),
					"# Hint only", true);
		n = NULL;
		if (pv->device_id_type && pv->device_id) {
			n = cfg_add_str(p, "device_id_type", pv->device_id_type);
			cfg_add_str(p, "device_id", pv->device_id);
		}
		if (!n)
			n = add_flags(p, pv_flag_defs, pv->status);
		else
			add_flags(p, pv_flag_defs, pv->status);
		cfg_add_blank(n, 1);
		if (pv->tags.n)
			add_strv(p, "tags", &pv->tags);
		if (pv->has_dev_size)
			vg_size_comment(cfg_add_int(p, "dev_size", (int64_t)pv->dev_size), pv->dev_size);
		cfg_add_int(p, "pe_start", (int64_t)pv->pe_start);
		vg_size_comment(cfg_add_int(p, "pe_count", pv->pe_count), (uint64_t)pv->pe_count * vg->extent_size);
		if (pv->has_ba) {
			cfg_add_int(p, "ba_start", (int64_t)pv->ba_start);
			vg_size_comment(cfg_add_int(p, "ba_size", (int64_t)pv->ba_size), pv->ba_size);
		}
	}
}

static void export_seg(const struct vg *vg, struct cfg_node *l, const struct lv_seg *s,
		       unsigned idx)
{
	struct cfg_node *sn;
	char key[32];

	snprintf(key, sizeof(key), "segment%u", idx + 1);
	if (s->raw) {
		/* Kept as read, under its new number; the key string lives in
		 * the output tree (a removed node's memory stays with it). */
		struct cfg_node *k = cfg_add_str(l, "k", key);

		sn = cfg_add_copy(l, s->raw);
		if (k && sn) {
			struct cfg_node *ec = cfg_find(sn, "extent_count");

			sn->key = k->v.s;
			sn->pre = idx ? NULL : "\n";
			seg_renumber_pv_legs(vg, sn, s);
			/* an mda drops the comment LVM writes in backups */
			if (ec && ec->type == CFG_INT && !ec->comment)
				vg_size_comment(ec, (uint64_t)s->len * vg->extent_size);
		}
		if (k)
			cfg_remove(k);
		return;
	}
	sn = cfg_add_section(l, key);
	if (!idx)
		cfg_add_blank(sn, 1);
	cfg_add_int(sn, "start_extent", s->le);
	vg_size_comment(cfg_add_int(sn, "extent_count", s->len), (uint64_t)s->len * vg->extent_size);
	cfg_add_blank(cfg_add_str(sn, "type", s->type), 1);
	if (s->tags.n)
		add_strv(sn, "tags", &s->tags);
	s->st->export(vg, s, sn);
}

static void export_lv(const struct vg *vg, struct cfg_node *lvs, const struct vg_lv *lv)
{
	struct cfg_node *l = cfg_add_blank(cfg_add_section(lvs, lv->name), 1);
	char id[LVM_ID_TEXT_LEN + 1];

	lvm_id_format(lv->id, id);
	cfg_add_str(l, "id", id);
	add_flags(l, lv_flag_defs, lv->status);
	if (lv->tags.n)
		add_strv(l, "tags", &lv->tags);
	if (lv->has_ctime) {
		struct cfg_node *n = cfg_add_int(l, "creation_time", lv->ctime);
		time_t t = (time_t)lv->ctime;
		struct tm tm;
		char when[64] = "# ";

		/* _print_lv: the local time, in backups only (as every comment). */
		if (n && localtime_r(&t, &tm) && strftime(when + 2, sizeof(when) - 2, "%Y-%m-%d %T %z", &tm))
			cfg_set_comment(n, when, true);
		cfg_add_str(l, "creation_host", lv->host);
	}
	if (lv->lock_args)
		cfg_add_str(l, "lock_args", lv->lock_args);
	if (lv->alloc)
		cfg_add_str(l, "allocation_policy", lv->alloc);
	if (lv->profile)
		cfg_add_str(l, "profile", lv->profile);
	if (lv->has_read_ahead && lv->read_ahead == -1) /* --readahead none */
		cfg_set_comment(cfg_add_int(l, "read_ahead", -1), "# None", true);
	else if (lv->has_read_ahead)
		cfg_add_int(l, "read_ahead", lv->read_ahead);
	if (lv->has_major)
		cfg_add_int(l, "major", lv->major);
	if (lv->has_minor)
		cfg_add_int(l, "minor", lv->minor);
	cfg_add_int(l, "segment_count", lv->nseg);
	for (unsigned j = 0; j < lv->nseg; j++)
		export_seg(vg, l, &lv->seg[j], j);
}

int vg_export_section(const struct vg *vg, struct cfg_node *root, struct err *e)
{
	struct cfg_node *v = cfg_add_section(root, vg->name), *n;
	char id[LVM_ID_TEXT_LEN + 1];
	int r;

	if ((r = vg_validate(vg, e)))
		return r;
	lvm_id_format(vg->id, id);
	cfg_add_str(v, "id", id);
	cfg_add_int(v, "seqno", vg->seqno);
	cfg_set_comment(cfg_add_str(v, "format", "lvm2"), "# informational", true);
	add_flags(v, vg_flag_defs, vg->status);
	if (vg->tags.n)
		add_strv(v, "tags", &vg->tags);
	if (vg->system_id && *vg->system_id)
		cfg_add_str(v, "system_id", vg->system_id);
	if (vg->lock_type) {
		cfg_add_str(v, "lock_type", vg->lock_type);
		if (vg->lock_args)
			cfg_add_str(v, "lock_args", vg->lock_args);
	}
	vg_size_comment(cfg_add_int(v, "extent_size", vg->extent_size), vg->extent_size);
	cfg_add_int(v, "max_lv", vg->max_lv);
	cfg_add_int(v, "max_pv", vg->max_pv);
	if (vg->alloc && strcmp(vg->alloc, "normal") && strcmp(vg->alloc, "inherit"))
		cfg_add_blank(cfg_add_str(v, "allocation_policy", vg->alloc), 1);
	if (vg->profile)
		cfg_add_str(v, "profile", vg->profile);
	cfg_add_int(v, "metadata_copies", vg->metadata_copies);
	export_pvs(vg, v);
	if (vg->nlv) {
		struct cfg_node *lvs = cfg_add_blank(cfg_add_section(v, "logical_volumes"), 1);

		for (int pass = 1; pass >= 0; pass--)
			for (unsigned i = 0; i < vg->nlv; i++)
				if (lv_visible(vg->lv[i]) == pass)
					export_lv(vg, lvs, vg->lv[i]);
	}
	if (vg->historical && (n = cfg_add_copy(v, vg->historical)))
		n->pre = "\n";
	cfg_add_post_blank(v, vg->nlv || vg->historical ? 1 : 2);
	return 0;
}

int vg_export(const struct vg *vg, enum vgtext_layout layout, const struct vg_export_info *info,
	      char **text, size_t *len, struct err *e)
{
	struct vgtext_info vi = {
		.generator = "ulvm version " ULVM_VERSION,
		.description = info->description,
		.host = info->host,
		.when = info->when,
	};
	struct cfg_tree *t;
	int r;

	*text = NULL;
	if ((r = cfg_tree_new(&t)))
		return err_set(e, r, "out of memory");
	if (!(r = vg_export_section(vg, cfg_root(t), e)) && !(r = cfg_tree_status(t, e)) &&
	    !(r = vgtext_add_envelope(t, layout, &vi, e)))
		r = cfg_emit(t, layout == VGTEXT_BACKUP ? CFG_EMIT_INDENT : 0, text, len, e);
	cfg_tree_free(t);
	return r;
}

int vg_compose(const struct vg *tmpl, struct vg_pv *const *pvs, unsigned npv, struct vg_lv *const *lvs,
	       unsigned nlv, struct vg **out, struct err *e)
{
	struct vg tmp = *tmpl;
	struct cfg_tree *t;
	int r;

	*out = NULL;
	tmp.pv = (struct vg_pv **)pvs;
	tmp.npv = npv;
	tmp.lv = (struct vg_lv **)lvs;
	tmp.nlv = nlv;
	if ((r = cfg_tree_new(&t)))
		return err_set(e, r, "out of memory");
	if (!(r = vg_export_section(&tmp, cfg_root(t), e)) && !(r = cfg_tree_status(t, e)))
		r = vg_import(cfg_find(cfg_root(t), tmp.name), out, e);
	cfg_tree_free(t);
	/* the devices found stay with their PVs */
	for (unsigned i = 0; !r && i < (*out)->npv; i++) {
		struct vg_pv *p = (*out)->pv[i];

		for (unsigned k = 0; k < npv; k++)
			if (!strcmp(pvs[k]->id, p->id)) {
				p->pv = pvs[k]->pv;
				if (pvs[k]->path && !(p->path = strdup(pvs[k]->path)))
					r = err_set(e, -ENOMEM, "out of memory");
			}
	}
	if (r) {
		vg_free(*out);
		*out = NULL;
	}
	return r;
}
