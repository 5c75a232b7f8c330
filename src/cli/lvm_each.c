/* VG, LV and PV arguments and -S, as lvm2's toollib.c reads them
 * (lvm_each.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/lvm_each.h"
#include "lvm/lvref.h"
#include "common/select.h"
#include "lvm/report_lvm.h"
#include "lvm/segtype.h"

int lvm_report_fail(int rc, const struct err *e)
{
	fflush(stdout);
	if (rc == -ENOENT && strstr(e->msg, "selection field"))
		report_print_fields_typed(&report_lvm_registry, stderr);
	else if (rc == -ENOENT)
		report_print_fields(&report_lvm_registry, stderr);
	else if (rc == -EDOM)
		select_help(&report_lvm_registry, stderr);
	return lvm_fail("%s", e->msg);
}

/* ---- -S of the change commands ----------------------------------- */

int lvm_sel_init(struct lvm_cmd *c, int opt, const struct report_spec *spec, struct lvm_sel **out)
{
	static const char *const names[] = { "vg_name", "pv_name", "lv_name" };
	struct err e = { { 0 } };
	struct report_opts o;
	struct lvm_sel *s;
	int rc;

	*out = NULL;
	if (!opt_set(c, opt))
		return 0;
	if (!(s = calloc(1, sizeof(*s))))
		return lvm_fail("out of memory");
	report_opts_init(&o);
	/* one column, never printed: the report outlives this frame */
	o.options = &names[spec == &report_lvm_vgs ? 0 : spec == &report_lvm_pvs ? 1 : 2];
	o.noptions = 1;
	o.selection = opt_val(c, opt);
	if ((rc = report_create(&report_lvm_registry, spec, &o, &s->rep, &e))) {
		free(s);
		return lvm_report_fail(rc, &e);
	}
	if (report_select_help_requested(s->rep)) {
		report_print_fields_typed(&report_lvm_registry, stderr);
		select_help(&report_lvm_registry, stderr);
		s->help = true;
	}
	lvm_fields_init(&s->f, c, s->rep);
	*out = s;
	return 0;
}

void lvm_sel_free(struct lvm_sel *s)
{
	if (!s)
		return;
	lvm_fields_free(&s->f);
	report_free(s->rep);
	free(s);
}

bool lvm_sel_lv(struct lvm_sel *s, const struct vgh *h, const struct vg_lv *lv)
{
	if (!s)
		return true;
	if (s->help)
		return false;
	if (!(report_objects(s->rep) & RO_SEG) || lv->nseg < 2) {
		struct report_row *r = report_row_new(s->rep);

		lvm_fields_lv(&s->f, r, h, lv, NULL);
		return report_row_selected(r);
	}
	for (unsigned i = 0; i < lv->nseg; i++) {
		struct report_row *r = report_row_new(s->rep);

		lvm_fields_lv(&s->f, r, h, lv, &lv->seg[i]);
		if (report_row_selected(r))
			return true;
	}
	return false;
}

bool lvm_sel_vg(struct lvm_sel *s, const struct vgh *h)
{
	struct report_row *r;

	if (!s)
		return true;
	if (s->help)
		return false;
	if (report_objects(s->rep) & (RO_LV_ANY | RO_SEG)) {
		for (unsigned i = 0; i < h->vg->nlv; i++)
			if (lvm_sel_lv(s, h, h->vg->lv[i]))
				return true;
		return false;
	}
	r = report_row_new(s->rep);
	lvm_fields_vg(&s->f, r, h);
	return report_row_selected(r);
}

bool lvm_sel_pv(struct lvm_sel *s, const struct vgh *h, const struct lvm_dev *d, const struct vg_pv *p)
{
	struct report_row *r;

	if (!s)
		return true;
	if (s->help)
		return false;
	r = report_row_new(s->rep);
	lvm_fields_pv(&s->f, r, h, d, p);
	return report_row_selected(r);
}

/* ---- arguments ------------------------------------------------------ */

struct args {
	int argc;
	char **argv;
	const char **vg;  /* per argument: its VG name (VG, VG/LV), or NULL (@TAG) */
	const char **lv;  /* its LV name, or NULL */
	bool *found;
	bool *vg_reported; /* its VG exists, or was said not to */
	bool tags;        /* some argument is a @TAG */
	char *buf;
};

static void args_free(struct args *a)
{
	free(a->vg);
	free(a->lv);
	free(a->found);
	free(a->vg_reported);
	free(a->buf);
}

/* Split every argument once: "@tag", "vg", "vg/lv", "/dev/vg/lv". */
static int args_parse(int argc, char **argv, struct args *a)
{
	size_t len = 0, off = 0;

	memset(a, 0, sizeof(*a));
	a->argc = argc;
	a->argv = argv;
	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	a->vg = calloc((size_t)argc + 1, sizeof(*a->vg));
	a->lv = calloc((size_t)argc + 1, sizeof(*a->lv));
	a->found = calloc((size_t)argc + 1, sizeof(*a->found));
	a->vg_reported = calloc((size_t)argc + 1, sizeof(*a->vg_reported));
	a->buf = malloc(len + 1);
	if (!a->vg || !a->lv || !a->found || !a->vg_reported || !a->buf) {
		args_free(a);
		return lvm_fail("out of memory");
	}
	for (int i = 0; i < argc; i++) {
		const char *s = argv[i];
		char *copy = a->buf + off, *slash;

		if (*s == '@') {
			a->tags = true;
			continue;
		}
		if (!strncmp(s, "/dev/", 5) && strchr(s + 5, '/'))
			s += 5;
		strcpy(copy, s);
		off += strlen(s) + 1;
		a->vg[i] = copy;
		if ((slash = strchr(copy, '/'))) {
			*slash = '\0';
			a->lv[i] = slash + 1;
		}
	}
	return 0;
}

static bool tags_match(const struct args *a, const struct strv *t)
{
	for (int i = 0; i < a->argc; i++)
		if (a->argv[i][0] == '@' && strv_has(t, a->argv[i] + 1))
			return true;
	return false;
}

/* Is VG @name named (as VG or in VG/LV)?  @whole: as a whole VG.  A
 * VG/LV argument is found only when its LV is (vg_step_lv). */
static bool vg_named(struct args *a, const char *name, bool whole)
{
	bool hit = false;

	for (int i = 0; i < a->argc; i++)
		if (a->vg[i] && !strcmp(a->vg[i], name) && (!whole || !a->lv[i])) {
			a->found[i] |= !a->lv[i];
			hit = true;
		}
	return hit;
}

/* lvm2's two lines for each VG named that does not exist and sorts
 * before @upto (NULL: all that are left), each once: lvm2 meets them in
 * its walk over the VG names in order. */
static int vgs_not_found(struct args *a, const char **names, unsigned n, const char *upto)
{
	int ret = 0;

	for (;;) {
		int first = -1;

		for (int i = 0; i < a->argc; i++) {
			bool exists = false;

			if (!a->vg[i] || a->vg_reported[i])
				continue;
			for (unsigned k = 0; k < n && !exists; k++)
				exists = !strcmp(names[k], a->vg[i]);
			if (exists) {
				a->vg_reported[i] = true;
				continue;
			}
			if ((!upto || strcmp(a->vg[i], upto) < 0) && (first < 0 || strcmp(a->vg[i], a->vg[first]) < 0))
				first = i;
		}
		if (first < 0)
			return ret;
		lvm_fail("Volume group \"%s\" not found", a->vg[first]);
		ret = lvm_fail("Cannot process volume group %s", a->vg[first]);
		for (int i = 0; i < a->argc; i++)
			if (a->vg[i] && !strcmp(a->vg[i], a->vg[first]))
				a->vg_reported[i] = true;
	}
}

/* ---- the walks ------------------------------------------------------- */

typedef int (*vg_step)(struct lvm_cmd *c, struct vgh *h, struct args *a, bool named, const struct lvm_each *how);

static int vg_step_lv(struct lvm_cmd *c, struct vgh *h, struct args *a, bool all, const struct lvm_each *how);

static int each_vg(struct lvm_cmd *c, struct args *a, bool lvs, const struct lvm_each *how, vg_step step)
{
	struct err e = { { 0 } };
	const char **names;
	unsigned n;
	int ret, r;

	if (lvm_vg_names(&c->env, &names, &n, &e))
		return lvm_fail("%s", e.msg);
	ret = 0;
	for (unsigned i = 0; i < n; i++) {
		struct vgh h = { .lock_fd = -1 };
		bool whole = vg_named(a, names[i], true), named = whole || vg_named(a, names[i], false);

		r = vgs_not_found(a, names, n, names[i]);
		ret = r > ret ? r : ret;

		if (a->argc && !named && !a->tags)
			continue;
		if ((r = lvm_vg_read(&c->env, names[i], &h, &e))) {
			/* not named: another host's VG is passed over, as lvm2 */
			if (r != -EACCES || named)
				ret = lvm_fail("%s", e.msg);
			err_clear(&e);
			continue;
		}
		if (!how->foreign && lvm_vg_foreign(&c->env, h.vg)) {
			lvm_vg_release(&h);
			continue;
		}
		/* LV walks pass an exported VG over (lvm2: an error when named) */
		if (step == vg_step_lv && (h.vg->status & FLAG(VGF_EXPORTED)) && !c->env.importing) {
			if (named)
				ret = lvm_fail("Volume group %s is exported", names[i]);
			lvm_vg_release(&h);
			continue;
		}
		/* VG commands: a VG named or tagged; LV commands look inside */
		if (lvs || !a->argc || whole || tags_match(a, &h.vg->tags)) {
			r = step(c, &h, a, whole || !a->argc || tags_match(a, &h.vg->tags), how);
			ret = r > ret ? r : ret;
		}
		lvm_vg_release(&h);
		if (how->sel)
			lvm_fields_vg_done(&how->sel->f);
		if (how->fields)
			lvm_fields_vg_done(how->fields);
	}
	r = vgs_not_found(a, names, n, NULL);
	ret = r > ret ? r : ret;
	free(names);
	return ret;
}

static int vg_step_vg(struct lvm_cmd *c, struct vgh *h, struct args *a, bool named, const struct lvm_each *how)
{
	(void)a;
	(void)named;
	return lvm_sel_vg(how->sel, h) ? how->vg(c, h, how->arg) : 0;
}

int lvm_each_vg(struct lvm_cmd *c, int argc, char **argv, const struct lvm_each *how)
{
	struct args a;
	int r;

	if ((r = args_parse(argc, argv, &a)))
		return r;
	r = each_vg(c, &a, false, how, vg_step_vg);
	args_free(&a);
	return r;
}

/* process_each_lv_in_vg(): @all when the VG itself was named (or tagged,
 * or nothing was); hidden LVs only by name or with -a. */
static int vg_step_lv(struct lvm_cmd *c, struct vgh *h, struct args *a, bool all, const struct lvm_each *how)
{
	struct vg *vg = h->vg;
	struct vg_lv **order = calloc(vg->nlv + 1, sizeof(*order));
	bool lvargs = false;
	int ret = 0, r;

	if (!order)
		return lvm_fail("out of memory");
	for (int i = 0; i < a->argc; i++)
		lvargs |= a->lv[i] && !strcmp(a->vg[i], vg->name);
	vg_lv_order(vg, order);
	for (unsigned k = 0, n = vg->nlv; k < n; k++) {
		struct vg_lv *lv = order[k];
		bool named = false;

		if ((lv_internal(lv) || (!lv_listed(vg, lv) && !how->hidden)) && !lvargs)
			continue;
		for (int i = 0; i < a->argc; i++)
			if (a->lv[i] && !strcmp(a->vg[i], vg->name) && !strcmp(a->lv[i], lv->name))
				named = a->found[i] = true;
		if (!(all || named || tags_match(a, &lv->tags)) || !lvm_sel_lv(how->sel, h, lv))
			continue;
		r = how->lv(c, h, lv, how->arg);
		ret = r > ret ? r : ret;
	}
	for (int i = 0; i < a->argc; i++)
		if (a->lv[i] && !strcmp(a->vg[i], vg->name) && !vg_find_lv(vg, a->lv[i]) && !a->found[i])
			ret = lvm_fail("Failed to find logical volume \"%s/%s\"", vg->name, a->lv[i]);
	free(order);
	return ret;
}

int lvm_each_lv(struct lvm_cmd *c, int argc, char **argv, const struct lvm_each *how)
{
	struct args a;
	int r;

	if ((r = args_parse(argc, argv, &a)))
		return r;
	r = each_vg(c, &a, true, how, vg_step_lv);
	args_free(&a);
	return r;
}

/* A PV argument names @path: the same string or the same file. */
static bool pv_named(struct args *a, const char *path)
{
	char *rp = NULL;
	bool hit = false;

	for (int i = 0; i < a->argc; i++) {
		bool m;

		if (a->argv[i][0] == '@')
			continue;
		m = !strcmp(a->argv[i], path);
		if (!m) {
			char *ra = realpath(a->argv[i], NULL);

			if (!rp)
				rp = realpath(path, NULL);
			m = ra && rp && !strcmp(ra, rp);
			free(ra);
		}
		if (m)
			hit = a->found[i] = true;
	}
	free(rp);
	return hit;
}

static int vg_step_pv(struct lvm_cmd *c, struct vgh *h, struct args *a, bool named, const struct lvm_each *how)
{
	int ret = 0, r;

	(void)named;
	for (unsigned p = 0; p < h->vg->npv; p++) {
		struct vg_pv *pv = h->vg->pv[p];
		struct lvm_dev *d = pv->path ? lvm_find_dev(&c->env, pv->path) : NULL;
		bool hit = !a->argc || (pv->path && pv_named(a, pv->path)) || tags_match(a, &pv->tags);

		if (!hit || !lvm_sel_pv(how->sel, h, d, pv))
			continue;
		r = how->pv(c, h, d, pv, how->arg);
		ret = r > ret ? r : ret;
	}
	return ret;
}

int lvm_each_pv(struct lvm_cmd *c, int argc, char **argv, const struct lvm_each *how)
{
	struct args a;
	int ret, r;

	if ((r = args_parse(argc, argv, &a)))
		return r;
	for (int i = 0; i < argc; i++) /* PV paths, not VG names */
		a.vg[i] = a.lv[i] = NULL;
	a.tags = true; /* every VG is looked into */
	/* the orphans as scanned: a PV the VG pass changed stays its VG's
	 * (pvchange --metadataignore y leaves it no VG text of its own) */
	unsigned nscanned = c->env.ndev;
	bool *orphan = calloc(nscanned + 1, sizeof(*orphan));
	if (!orphan) {
		args_free(&a);
		return lvm_fail("out of memory");
	}
	for (unsigned i = 0; i < nscanned; i++)
		orphan[i] = !c->env.dev[i].pv || !lvm_dev_vgname(&c->env.dev[i]);
	ret = each_vg(c, &a, true, how, vg_step_pv);
	for (unsigned i = 0; how->orphans && i < nscanned && i < c->env.ndev; i++) {
		struct lvm_dev *d = &c->env.dev[i];

		if (!orphan[i] || (!d->pv && !how->devices) || (argc && !pv_named(&a, d->path)) ||
		    !lvm_sel_pv(how->sel, NULL, d, NULL))
			continue;
		r = how->pv(c, NULL, d, NULL, how->arg);
		ret = r > ret ? r : ret;
	}
	free(orphan);
	for (int i = 0; i < argc; i++) {
		struct stat st;

		if (argv[i][0] == '@' || a.found[i])
			continue;
		if (stat(argv[i], &st)) /* lvm2's _get_arg_devices, then the walk's own line */
			ret = lvm_fail("Cannot use %s: device not found", argv[i]);
		else
			ret = lvm_fail("Failed to find physical volume \"%s\".", argv[i]);
	}
	args_free(&a);
	return ret;
}
