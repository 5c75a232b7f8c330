/* pvs, vgs, lvs (with --segments), through the report engine of
 * src/common/report.h and lvm2's field table; and the *display verbs.
 *
 * As lvm2's reporter.c, the fields asked for (-o, -O and -S) decide what
 * a row is: vgs with LV fields has a row per LV, with PV fields one per
 * PV; lvs with segment fields one per segment; pvs with LV, segment or
 * PV segment fields (or --segments) one per PV segment (lvm/pvseg.h),
 * free extents included, as do vgs with PV segment fields. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/lvm_each.h"
#include "common/select.h"
#include "lvm/lvref.h"
#include "lvm/pvseg.h"
#include "lvm/report_lvm.h"
#include "lvm/segtype.h"
#include "lvm/settings.h"

enum rows { ROWS_VG, ROWS_LV, ROWS_SEG, ROWS_PV, ROWS_PVSEG };

struct walk {
	struct lvm_fields f;
	enum rows rows;
	bool hidden; /* -a */
};

static int row_lv(struct lvm_cmd *c, struct vgh *h, struct vg_lv *lv, void *arg)
{
	struct walk *w = arg;

	(void)c;
	if (w->rows != ROWS_SEG)
		lvm_fields_lv(&w->f, report_row_new(w->f.rep), h, lv, NULL);
	for (unsigned s = 0; w->rows == ROWS_SEG && s < lv->nseg; s++)
		lvm_fields_lv(&w->f, report_row_new(w->f.rep), h, lv, &lv->seg[s]);
	return 0;
}

/* A row per segment of PV @p of VG @h; one free row of 0 extents for a
 * PV in no VG (@h and @p NULL), as lvm2. */
static int pvseg_rows(struct walk *w, struct vgh *h, struct lvm_dev *d, struct vg_pv *p)
{
	struct pvseg *sg = NULL, orphan = { 0 };
	unsigned n = 1;

	if (p && pv_segments(h->vg, p, &sg, &n))
		return lvm_fail("out of memory");
	for (unsigned i = 0; i < n; i++) {
		const struct pvseg *g = sg ? &sg[i] : &orphan;
		struct report_row *row = report_row_new(w->f.rep);

		if (g->lv)
			lvm_fields_lv(&w->f, row, h, g->lv, g->seg);
		else
			lvm_fields_free_pvseg(&w->f, row, h, g->len);
		lvm_fields_pv(&w->f, row, h, d, p);
		report_set_u64(row, RF_PVSEG_START, g->pe);
		report_set_u64(row, RF_PVSEG_SIZE, g->len);
	}
	free(sg);
	return 0;
}

static int row_pv(struct lvm_cmd *c, struct vgh *h, struct lvm_dev *d, struct vg_pv *p, void *arg)
{
	struct walk *w = arg;

	(void)c;
	if (w->rows == ROWS_PVSEG)
		return pvseg_rows(w, h, d, p);
	lvm_fields_pv(&w->f, report_row_new(w->f.rep), h, d, p);
	return 0;
}

/* vgs: a row per VG, or per LV, segment or PV of it. */
static int row_vg(struct lvm_cmd *c, struct vgh *h, void *arg)
{
	struct walk *w = arg;
	struct vg_lv **order;

	switch (w->rows) {
	case ROWS_VG:
		lvm_fields_vg(&w->f, report_row_new(w->f.rep), h);
		return 0;
	case ROWS_PV:
	case ROWS_PVSEG:
		for (unsigned p = 0; p < h->vg->npv; p++) {
			struct vg_pv *pv = h->vg->pv[p];
			int r = row_pv(c, h, pv->path ? lvm_find_dev(&c->env, pv->path) : NULL, pv, arg);

			if (r)
				return r;
		}
		return 0;
	default:
		if (!(order = calloc(h->vg->nlv + 1, sizeof(*order))))
			return lvm_fail("out of memory");
		vg_lv_order(h->vg, order);
		for (unsigned l = 0; l < h->vg->nlv; l++)
			if (w->hidden ? !lv_internal(order[l]) : lv_listed(h->vg, order[l]))
				row_lv(c, h, order[l], arg);
		free(order);
		return 0;
	}
}

/* _get_final_report_type(): what a row is, from the fields' objects
 * (those shown, sorted on and selected by). */
static int row_kind(const struct report_spec *spec, uint32_t obj, enum rows *rows)
{
	bool pvs = spec == &report_lvm_pvs || spec == &report_lvm_pvsegs;
	bool pvseg = obj & RO_PVSEG, pv = pvseg || (obj & RO_PV_ANY), lv = obj & (RO_LV_ANY | RO_SEG);

	if (!pvs && pv && (lv || spec != &report_lvm_vgs))
		return lvm_fail("Can't report LV and PV fields at the same time in report type \"%s\".", spec->name);
	if (pvs)
		*rows = pvseg || lv ? ROWS_PVSEG : ROWS_PV;
	else
		*rows = pvseg ? ROWS_PVSEG : pv ? ROWS_PV : (obj & RO_SEG) || spec == &report_lvm_segs ? ROWS_SEG
			: lv ? ROWS_LV : ROWS_VG;
	return 0;
}

int lvm_report(void *ctx, int argc, char **argv)
{
	struct lvm_cmd *c = ctx;
	bool segs = opt_set(c, R_SEGMENTS);
	const struct report_spec *spec = !strcmp(c->verb, "pvs") ? segs ? &report_lvm_pvsegs : &report_lvm_pvs
					 : !strcmp(c->verb, "vgs") ? &report_lvm_vgs
					 : segs ? &report_lvm_segs : &report_lvm_lvs;
	struct lvm_each how = { .foreign = opt_set(c, R_FOREIGN), .hidden = opt_set(c, R_ALL) };
	struct walk w;
	struct report *rep;
	struct report_opts o;
	struct err e = { { 0 } };
	const char *opts[1];
	int r, ret;

	report_opts_init(&o);
	if (opt_set(c, R_OPTIONS)) {
		opts[0] = opt_val(c, R_OPTIONS);
		o.options = opts;
		o.noptions = 1;
	}
	if (opt_set(c, R_SORT))
		o.sort = opt_val(c, R_SORT);
	if (opt_set(c, R_SEPARATOR))
		o.separator = opt_val(c, R_SEPARATOR);
	if (opt_set(c, R_SELECT))
		o.selection = opt_val(c, R_SELECT);
	o.noheadings = opt_set(c, R_NOHEADINGS);
	o.nameprefixes = opt_set(c, R_NAMEPREFIXES);
	o.unquoted = opt_set(c, R_UNQUOTED);
	o.rows = opt_set(c, R_ROWS);
	o.aligned = opt_set(c, R_ALIGNED);
	o.unbuffered = opt_set(c, R_UNBUFFERED) && !opt_set(c, R_SORT); /* lvm2 buffers to sort by -O */
	o.binary = opt_set(c, R_BINARY);
	o.verbose = opt_set(c, R_COMMON + G_VERBOSE);
	if (opt_set(c, R_UNITS) && units_parse(opt_val(c, R_UNITS), &o.units))
		return lvm_fail("Invalid units specification."), LVM_EINVALID;
	if (opt_set(c, R_NOSUFFIX))
		o.units.suffix = false;
	if (opt_set(c, R_REPORTFORMAT) && report_parse_format(opt_val(c, R_REPORTFORMAT), &o.format))
		return lvm_fail("Invalid argument for --reportformat: %s", opt_val(c, R_REPORTFORMAT));
	if ((r = report_create(&report_lvm_registry, spec, &o, &rep, &e)))
		return lvm_report_fail(r, &e);
	if (report_help_requested(rep) || report_select_help_requested(rep)) {
		if (report_help_requested(rep))
			report_print_fields(&report_lvm_registry, stdout);
		else {
			report_print_fields_typed(&report_lvm_registry, stderr);
			select_help(&report_lvm_registry, stderr);
		}
		report_free(rep);
		return 0;
	}
	if ((r = row_kind(spec, report_objects(rep), &w.rows)) || (r = lvm_setup(c, false))) {
		report_free(rep);
		return r;
	}
	/* known once the configuration is read, before the first row */
	if (lvm_setting_int(&c->env, "report/binary_values_as_numeric"))
		report_set_binary(rep);
	lvm_fields_init(&w.f, c, rep);
	w.hidden = how.hidden;
	how.arg = &w;
	how.fields = &w.f;
	if (spec == &report_lvm_pvs || spec == &report_lvm_pvsegs) {
		how.pv = row_pv;
		how.orphans = how.foreign = true;
		how.devices = how.hidden; /* pvs -a: every device, PV or not, as lvm2 */
		ret = lvm_each_pv(c, argc, argv, &how);
	} else if (spec == &report_lvm_vgs) {
		how.vg = row_vg;
		ret = lvm_each_vg(c, argc, argv, &how);
	} else {
		how.lv = row_lv;
		ret = lvm_each_lv(c, argc, argv, &how);
	}
	if (report_output(rep, stdout))
		ret = lvm_fail("report output failed");
	lvm_fields_free(&w.f);
	report_free(rep);
	return ret;
}

int lvm_display(void *ctx, int argc, char **argv)
{
	struct lvm_cmd *c = ctx;

	if (opt_set(c, R_COLUMNS)) {
		/* -C: the report verbs' columns, as lvm2 */
		c->verb = !strcmp(c->verb, "pvdisplay") ? "pvs" : !strcmp(c->verb, "vgdisplay") ? "vgs" : "lvs";
		return lvm_report(ctx, argc, argv);
	}
	return lvm_display_long(c, argc, argv);
}
