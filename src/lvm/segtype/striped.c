/* "striped" (and "linear", its one-stripe spelling): PV areas, each
 * extent_count / stripe_count extents (lib/striped/striped.c).
 *
 * Text: stripe_count, stripe_size (sectors, only with more than one
 * stripe), stripes = [ "pv0", PE, "pv1", PE, ... ].  An entry may name an
 * LV of the VG instead of a PV key, with an LE (lvm2's AREA_LV, which it
 * builds for stacked LVs): that area is the sub-LV's range, activated
 * below this LV.  A name that is neither keeps the section as read.  The type is written back as read
 * ("linear" stays "linear"); new segments are "striped", as lvm2's.
 *
 * Table, one line per segment (dev_manager.c, _emit_areas_line):
 *   <le*E> <len*E> linear <pv path> <pe_start + pe*E>
 *   <le*E> <len*E> striped <n> <stripe_size> <path0> <off0> ...
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/units.h"
#include "lvm/activate.h"
#include "lvm/config.h"
#include "lvm/devices.h"
#include "lvm/segtype.h"
#include "lvm/vg_internal.h"
#include "lvm/settings.h"

static int striped_import(struct vg *vg, const struct cfg_node *pvs, const struct cfg_node *sn, struct lv_seg *s,
			  struct err *e)
{
	const struct cfg_node *a;
	char path[256];
	uint32_t count;
	int r;

	cfg_path(sn, path, sizeof(path));
	if ((r = cfg_get_u32(sn, "stripe_count", &count, e)))
		return r;
	if (!count)
		return err_set(e, -EINVAL, "%s: stripe_count is 0", path);
	if (count > 1 && (r = cfg_get_u32(sn, "stripe_size", &s->stripe_size, e)))
		return r;
	if (!(a = cfg_find(sn, "stripes")) || a->type != CFG_ARRAY || a->nitems != 2 * count)
		return err_set(e, -EINVAL, "%s: stripes must list %u (PV, extent) pairs", path, count);
	if (s->len % count)
		return err_set(e, -EINVAL, "%s: extent_count %u is not a multiple of stripe_count %u",
			       path, s->len, count);
	for (unsigned i = 0; i < count; i++)
		if (a->items[2 * i].type != CFG_STRING || a->items[2 * i + 1].type != CFG_INT ||
		    a->items[2 * i + 1].i < 0 || a->items[2 * i + 1].i > UINT32_MAX)
			return err_set(e, -EINVAL, "%s: stripes: bad pair %u", path, i);
	for (unsigned i = 0; i < count; i++)
		if (!vg_import_pv_key(vg, pvs, a->items[2 * i].s) && !vg_find_lv(vg, a->items[2 * i].s))
			return seg_keep_raw(vg, pvs, s, sn, e); /* names nothing: lvref.c reports it */
	s->striped = true;
	if (!(s->area = calloc(count, sizeof(*s->area))))
		return err_set(e, -ENOMEM, "out of memory");
	s->narea = count;
	for (unsigned i = 0; i < count; i++) {
		if (!(s->area[i].pv = vg_import_pv_key(vg, pvs, a->items[2 * i].s)))
			s->area[i].lv = vg_find_lv(vg, a->items[2 * i].s);
		s->area[i].pe = (uint32_t)a->items[2 * i + 1].i;
	}
	return 0;
}

static void striped_export(const struct vg *vg, const struct lv_seg *s, struct cfg_node *sn)
{
	struct cfg_node *n = cfg_add_int(sn, "stripe_count", s->narea);

	if (s->narea == 1)
		cfg_set_comment(n, "# linear", true);
	else
		vg_size_comment(cfg_add_int(sn, "stripe_size", s->stripe_size), s->stripe_size);
	seg_export_areas(vg, s, sn, "stripes");
}

/* How deep the sub-LV areas under @lv go; more than LV_STACK_MAX (or a
 * loop) is refused, so that activation and claims always end. */
#define LV_STACK_MAX 8
static unsigned stack_depth(const struct vg_lv *lv, unsigned depth)
{
	unsigned max = depth;

	for (unsigned i = 0; i < lv->nseg && max <= LV_STACK_MAX; i++)
		for (unsigned k = 0; lv->seg[i].st == &segtype_striped && k < lv->seg[i].narea && max <= LV_STACK_MAX; k++)
			if (lv->seg[i].area[k].lv) {
				unsigned d = stack_depth(lv->seg[i].area[k].lv, depth + 1);

				max = d > max ? d : max;
			}
	return max;
}

static int striped_validate(const struct vg *vg, const struct vg_lv *lv, const struct lv_seg *s, struct err *e)
{
	(void)vg;
	if (!s->striped)
		return 0; /* kept: names checked by lvref.c */
	for (unsigned k = 0; k < s->narea; k++) {
		const struct vg_lv *sub = s->area[k].lv;

		if (!sub)
			continue;
		if (sub == lv || stack_depth(sub, 1) > LV_STACK_MAX)
			return err_set(e, -EINVAL, "LV %s: stripes over LV %s loop or stack deeper than %u LVs", lv->name,
				       sub->name, LV_STACK_MAX);
		if ((uint64_t)s->area[k].pe + seg_area_len(s) > sub->le_count)
			return err_set(e, -EINVAL, "LV %s: segment %u: LEs %u-%u are past the end of LV %s (%u extents)",
				       lv->name, (unsigned)(s - lv->seg) + 1, s->area[k].pe,
				       s->area[k].pe + seg_area_len(s) - 1, sub->name, sub->le_count);
	}
	if (!s->narea || s->len % s->narea)
		return err_set(e, -EINVAL, "LV %s: segment %u: %u extents over %u stripes", lv->name,
			       (unsigned)(s - lv->seg) + 1, s->len, s->narea);
	if (s->narea > 1 && !s->stripe_size)
		return err_set(e, -EINVAL, "LV %s: segment %u: striped without stripe_size", lv->name,
			       (unsigned)(s - lv->seg) + 1);
	return 0;
}

static const char *striped_report_name(const struct lv_seg *s)
{
	return !s->striped ? s->type : s->narea > 1 ? "striped" : "linear";
}

/* The sub-LV is in the plan already (two areas on one sub-LV). */
static bool plan_has(const struct lv_plan *p, const struct vg_lv *lv)
{
	for (unsigned i = 0; i < p->n; i++)
		if (p->dev[i].lv == lv)
			return true;
	return false;
}

/* An area on a missing PV, activated with --activationmode partial: a
 * device of its own that fails every I/O, or reads zeroes
 * (activation/missing_stripe_filler), as lvm2's _add_error_area.  Its
 * name, for the table line, in @dev. */
static int missing_area(struct lv_plan *p, const struct vg_lv *lv, unsigned seg, unsigned k, char *dev,
			size_t size, struct err *e)
{
	const struct lv_seg *s = &lv->seg[seg];
	const char *filler = lvm_setting_str(p->env, "activation/missing_stripe_filler");
	struct lv_plan_dev *d;
	char layer[32], *table;

	if (strcmp(filler, "zero"))
		filler = "error";
	if (snprintf(layer, sizeof(layer), "missing_%u_%u", k, seg) >= LV_DM_LAYER_MAX)
		return err_set(e, -ENAMETOOLONG, "LV %s: too many segments to map its missing areas", lv->name);
	if (asprintf(&table, "0 %" PRIu64 " %s", (uint64_t)seg_area_len(s) * p->vg->extent_size, filler) < 0)
		return err_set(e, -ENOMEM, "out of memory");
	if (!(d = lv_plan_add(p, lv, layer, table, e)))
		return -ENOMEM;
	snprintf(dev, size, "/dev/mapper/%s", d->name);
	return 0;
}

/* The LV's own table: its segments' lines, in LE order. */
static int striped_plan(struct lv_plan *p, const struct vg *vg, const struct vg_lv *lv, struct err *e)
{
	uint64_t E = vg->extent_size;
	char *text = NULL, dev[LV_DM_NAME_MAX + LV_DM_LAYER_MAX + 16];
	size_t len = 0;
	FILE *f;
	bool partial = p->env && p->env->activation_mode == LVM_ACT_PARTIAL;

	int r;

	for (unsigned i = 0; i < lv->nseg; i++)
		for (unsigned k = 0; k < lv->seg[i].narea; k++) {
			const struct lv_area *a = &lv->seg[i].area[k];

			if (a->lv) { /* the sub-LV's devices first, going with this LV */
				if (!plan_has(p, a->lv) && (r = lv_plan_sub(p, a->lv, true, e)))
					return r;
			} else if ((!a->pv->pv || !a->pv->path) && !partial) {
				char id[LVM_ID_TEXT_LEN + 1];

				lvm_id_format(a->pv->id, id);
				return err_set(e, -ENODEV, "Aborting.  LV %s/%s is now incomplete and '--activationmode "
					       "partial' was not specified (PV %s is missing).", vg->name, lv->name, id);
			}
		}
	if (!(f = open_memstream(&text, &len)))
		return err_set(e, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < lv->nseg; i++) {
		const struct lv_seg *s = &lv->seg[i];

		fprintf(f, "%s%" PRIu64 " %" PRIu64, i ? "\n" : "", s->le * E, s->len * E);
		if (s->narea == 1)
			fprintf(f, " linear");
		else
			fprintf(f, " striped %u %u", s->narea, s->stripe_size);
		for (unsigned k = 0; k < s->narea; k++) {
			const struct lv_area *a = &s->area[k];

			if (a->lv || (a->pv->pv && a->pv->path)) {
				seg_emit_area(f, vg, a);
			} else if ((r = missing_area(p, lv, i, k, dev, sizeof(dev), e))) {
				fclose(f);
				free(text);
				return r;
			} else {
				fprintf(f, " %s 0", dev);
			}
		}
	}
	if (fclose(f)) {
		free(text);
		return err_set(e, -ENOMEM, "out of memory");
	}
	return lv_plan_add(p, lv, NULL, text, e) ? 0 : -ENOMEM;
}

static const struct seg_ref_key striped_refs[] = {
	{ "stripes", true, 2, false, NULL }, /* of a kept section, whose stripes name what is not in the VG */
	{ NULL, false, 0, false, NULL },
};

/* lvm2's _striped_display */
static void striped_display_seg(const struct seg_display_ctx *x, const struct lv_seg *s)
{
	char b[UNITS_BUF];

	if (s->narea == 1) {
		seg_display_area(x, s, 0, "  ");
	} else {
		fprintf(x->out, "    Stripes\t\t%u\n", s->narea);
		fprintf(x->out, "    Stripe size\t\t%s\n", x->size(x, s->stripe_size, b));
		for (unsigned k = 0; k < s->narea; k++) {
			fprintf(x->out, "    Stripe %u:\n", k);
			seg_display_area(x, s, k, "    ");
		}
	}
	fprintf(x->out, "   \n");
}

const struct segtype segtype_striped = {
	.name = "striped",
	.alias = "linear",
	.refs = striped_refs,
	.area_key = "stripes",
	.import = striped_import,
	.export = striped_export,
	.validate = striped_validate,
	.report_name = striped_report_name,
	.plan = striped_plan,
	.display_seg = striped_display_seg,
};
