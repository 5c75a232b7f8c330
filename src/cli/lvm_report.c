/* pvs, vgs, lvs (with --segments), through the report engine of
 * src/common/report.h and lvm2's field table; and the *display verbs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/lvm_cmds.h"
#include "lvm/report_lvm.h"
#include "lvm/segtype.h"
#include "lvm/activate.h"
#include "lvm/mda.h"

struct rctx {
	struct lvm_cmd *c;
	struct report *rep;
	struct dmctl d;
	char **active; /* dm names live in ulvmd */
	bool *open;    /* and whether each is open */
	unsigned nactive;
	/* The VG-wide sums of the VG last reported: lvs of a VG with many
	 * LVs sets the VG fields on every row. */
	const struct vg *sums_of;
	uint32_t sums_seqno;
	unsigned visible;
	uint64_t total, free;
};

static void load_active(struct rctx *x)
{
	struct json_object *res = NULL;
	struct err e = { { 0 } };

	/* one call for every device: names and open counts, not one per LV */
	if (!lvm_daemon_up(x->c, &x->d) ||
	    dmctl_call(&x->d, "info", json_object_new_object(), &res, &e) || !res)
		return;
	size_t n = json_object_array_length(res);
	x->active = calloc(n + 1, sizeof(*x->active));
	x->open = calloc(n + 1, sizeof(*x->open));
	for (size_t i = 0; x->active && x->open && i < n; i++) {
		struct json_object *o = json_object_array_get_idx(res, i), *name;

		if (json_object_object_get_ex(o, "name", &name)) {
			x->open[x->nactive] = dmctl_info_open(o);
			x->active[x->nactive++] = strdup(json_object_get_string(name));
		}
	}
	json_object_put(res);
}

/* 0 inactive, 1 active, 2 active and open. */
static int active_state(const struct rctx *x, const struct vg *vg, const struct vg_lv *lv)
{
	char name[LV_DM_NAME_MAX];

	lv_dm_name(vg, lv, name);
	for (unsigned i = 0; i < x->nactive; i++)
		if (x->active[i] && !strcmp(x->active[i], name))
			return x->open[i] ? 2 : 1;
	return 0;
}

static char alloc_char(const char *a)
{
	if (!a || !strcmp(a, "inherit"))
		return 'i';
	if (!strcmp(a, "contiguous"))
		return 'c';
	if (!strncmp(a, "cling", 5))
		return 'l';
	if (!strcmp(a, "anywhere"))
		return 'a';
	return 'n';
}

static void lv_attr(const struct rctx *x, const struct vg *vg, const struct vg_lv *lv, char out[11])
{
	const struct segtype *st = NULL; /* of the first segment that is not PV stripes */

	for (unsigned i = 0; i < lv->nseg && !st; i++)
		if (!lv->seg[i].striped)
			st = lv->seg[i].st;
	memset(out, '-', 10);
	out[10] = 0;
	if (st && st->attr_volume)
		out[0] = st->attr_volume;
	out[1] = lv->status & FLAG(LVF_WRITE) ? 'w' : 'r';
	out[2] = alloc_char(lv->alloc);
	if (lv->status & FLAG(LVF_FIXED_MINOR))
		out[3] = 'm';
	switch (active_state(x, vg, lv)) {
	case 2: /* open: an NBD client, a FUSE file or a device above holds it */
		out[5] = 'o';
		/* fall through */
	case 1:
		out[4] = 'a';
	}
	if (st)
		out[6] = st->attr_target ? st->attr_target : 'u';
	if (lv->status & FLAG(LVF_ACTIVATION_SKIP))
		out[9] = 'k';
}

static void vg_attr(const struct vgh *h, char out[7])
{
	const struct vg *vg = h->vg;

	snprintf(out, 7, "%c%c%c%c%c%c", vg->status & FLAG(VGF_WRITE) ? 'w' : 'r',
		 vg->status & FLAG(VGF_RESIZEABLE) ? 'z' : '-', vg->status & FLAG(VGF_EXPORTED) ? 'x' : '-',
		 h->missing ? 'p' : '-', vg->alloc ? alloc_char(vg->alloc) : 'n',
		 vg->status & FLAG(VGF_CLUSTERED) ? 'c' : vg->status & FLAG(VGF_SHARED) ? 's' : '-');
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A tag list as lvm2 reports it: sorted, joined by commas. */
static void set_tags(struct report_row *r, int field, const struct strv *t)
{
	char buf[4096] = "", *sorted[256];
	unsigned n = t->n < 256 ? t->n : 256;
	size_t len = 0;

	if (n)
		memcpy(sorted, t->s, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), str_cmp);
	for (unsigned i = 0; i < n && len < sizeof(buf); i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%s", i ? "," : "", sorted[i]);
	report_set_str(r, field, buf);
}

static void set_vg_fields(struct rctx *x, struct report_row *r, const struct vgh *h)
{
	const struct vg *vg = h->vg;
	char id[LVM_ID_TEXT_LEN + 1], attr[7];

	if (x->sums_of != vg || x->sums_seqno != vg->seqno) {
		x->sums_of = vg;
		x->sums_seqno = vg->seqno;
		x->visible = 0;
		for (unsigned i = 0; i < vg->nlv; i++)
			x->visible += !!(vg->lv[i]->status & FLAG(LVF_VISIBLE));
		x->total = vg_total_extents(vg);
		x->free = vg_free_extents(vg);
	}
	lvm_id_format(vg->id, id);
	vg_attr(h, attr);
	report_set_str(r, RF_VG_NAME, vg->name);
	set_tags(r, RF_VG_TAGS, &vg->tags);
	report_set_str(r, RF_VG_FMT, "lvm2");
	report_set_str(r, RF_VG_UUID, id);
	report_set_str(r, RF_VG_ATTR, attr);
	report_set_str(r, RF_VG_SYSTEMID, h->vg->system_id ? h->vg->system_id : "");
	report_set_sectors(r, RF_VG_SIZE, x->total * vg->extent_size);
	report_set_sectors(r, RF_VG_FREE, x->free * vg->extent_size);
	report_set_sectors(r, RF_VG_EXTENT_SIZE, vg->extent_size);
	report_set_u64(r, RF_VG_EXTENT_COUNT, x->total);
	report_set_u64(r, RF_VG_FREE_COUNT, x->free);
	report_set_u64(r, RF_PV_COUNT, vg->npv);
	report_set_u64(r, RF_LV_COUNT, x->visible);
	report_set_u64(r, RF_SNAP_COUNT, 0);
	report_set_u64(r, RF_VG_SEQNO, vg->seqno);
	report_set_u64(r, RF_MAX_LV, vg->max_lv);
	report_set_u64(r, RF_MAX_PV, vg->max_pv);
	report_set_u64(r, RF_VG_MISSING_PV_COUNT, h->missing);
	report_set_str(r, RF_VG_PERMISSIONS, vg->status & FLAG(VGF_WRITE) ? "writeable" : "read-only");
	report_set_str(r, RF_VG_ALLOCATION_POLICY, vg->alloc ? vg->alloc : "normal");
}

static void seg_lists(const struct vg_lv *lv, const struct lv_seg *s, FILE *dev, FILE *ranges,
		      bool all)
{
	for (unsigned i = all ? 0 : (unsigned)(s - lv->seg); i < lv->nseg; i++) {
		const struct lv_seg *g = &lv->seg[i];

		for (unsigned k = 0; k < g->narea; k++) {
			const struct lv_area *a = &g->area[k];
			const char *p = a->lv ? a->lv->name : a->pv->path ? a->pv->path : "[unknown]";
			uint32_t alen = seg_area_len(g);

			fprintf(dev, "%s%s(%u)", ftell(dev) ? "," : "", p, g->area[k].pe);
			fprintf(ranges, "%s%s:%u-%u", ftell(ranges) ? " " : "", p, g->area[k].pe,
				g->area[k].pe + alen - 1);
		}
		if (!all)
			break;
	}
}

/* The fields and lv_attr letters @lv's type (or its owner's) adds. */
static void type_report(struct rctx *x, const struct vg *vg, const struct vg_lv *lv, struct report_row *r,
			char attr[11])
{
	const struct segtype *st = lv_segtype(lv);
	struct seg_report_ctx sx = { vg, lv, NULL, r, attr };
	const struct vg_lv *o = NULL;

	if (!(st && st->report) && !((o = lv_owner(vg, lv)) && lv_segtype(o)->report))
		return;
	sx.d = lvm_daemon_up(x->c, &x->d) ? &x->d : NULL;
	(o ? lv_segtype(o) : st)->report(&sx, o);
}

static void set_lv_fields(struct rctx *x, struct report_row *r, const struct vgh *h,
			  const struct vg_lv *lv, const struct lv_seg *seg)
{
	const struct vg *vg = h->vg;
	char id[LVM_ID_TEXT_LEN + 1], attr[11], name[LVM_NAME_LEN + 2], full[2 * LVM_NAME_LEN + 8];
	bool visible = lv->status & FLAG(LVF_VISIBLE);

	set_vg_fields(x, r, h);
	lvm_id_format(lv->id, id);
	lv_attr(x, vg, lv, attr);
	type_report(x, vg, lv, r, attr);
	snprintf(name, sizeof(name), visible ? "%s" : "[%s]", lv->name);
	report_set_str(r, RF_LV_NAME, name);
	set_tags(r, RF_LV_TAGS, &lv->tags);
	report_set_str(r, RF_LV_UUID, id);
	report_set_str(r, RF_LV_ATTR, attr);
	snprintf(full, sizeof(full), "%s/%s", vg->name, lv->name);
	report_set_str(r, RF_LV_FULL_NAME, full);
	if (visible) {
		snprintf(full, sizeof(full), "/dev/%s/%s", vg->name, lv->name);
		report_set_str(r, RF_LV_PATH, full);
	}
	report_set_sectors(r, RF_LV_SIZE, (uint64_t)lv->le_count * vg->extent_size);
	report_set_u64(r, RF_SEG_COUNT, lv->nseg);
	report_set_str(r, RF_LV_ACTIVE, active_state(x, vg, lv) ? "active" : "");
	report_set_str(r, RF_LV_HOST, lv->host ? lv->host : "");
	if (!seg && lv->nseg == 1)
		seg = &lv->seg[0];
	/* a type without modelled areas (raid) fills them in type_report */
	if ((report_wants(x->rep, RF_DEVICES) || report_wants(x->rep, RF_SEG_PE_RANGES)) && lv->nseg &&
	    (seg ? seg : &lv->seg[0])->narea) {
		char *dv = NULL, *rg = NULL;
		size_t dl = 0, rl = 0;
		FILE *fd = open_memstream(&dv, &dl), *fr = open_memstream(&rg, &rl);

		if (fd && fr) {
			seg_lists(lv, seg ? seg : &lv->seg[0], fd, fr, !seg);
			fclose(fd);
			fclose(fr);
			report_set_str(r, RF_DEVICES, dv);
			report_set_str(r, RF_SEG_PE_RANGES, rg);
		} else {
			if (fd)
				fclose(fd);
			if (fr)
				fclose(fr);
		}
		free(dv);
		free(rg);
	}
	if (seg) {
		set_tags(r, RF_SEG_TAGS, &seg->tags);
		report_set_str(r, RF_SEGTYPE, seg->st->report_name ? seg->st->report_name(seg) : seg->type);
		report_set_u64(r, RF_STRIPES, seg->striped ? seg->narea : 0);
		report_set_sectors(r, RF_STRIPE_SIZE, seg->stripe_size);
		report_set_sectors(r, RF_SEG_START, (uint64_t)seg->le * vg->extent_size);
		report_set_u64(r, RF_SEG_START_PE, seg->le);
		report_set_sectors(r, RF_SEG_SIZE, (uint64_t)seg->len * vg->extent_size);
		report_set_u64(r, RF_SEG_SIZE_PE, seg->len);
	}
}

static void set_pv_fields(struct rctx *x, struct report_row *r, const struct vgh *h, const struct lvm_dev *d,
			  const struct vg_pv *p)
{
	char id[LVM_ID_TEXT_LEN + 1], attr[4] = "---";
	unsigned mdas = 0;

	if (h)
		set_vg_fields(x, r, h);
	report_set_str(r, RF_PV_NAME, p && p->path ? p->path : d ? d->path : "[unknown]");
	lvm_id_format(p ? p->id : d->pv->label.pv_uuid, id);
	report_set_str(r, RF_PV_UUID, id);
	report_set_str(r, RF_PV_FMT, "lvm2");
	if (d && d->pv) {
		report_set_sectors(r, RF_DEV_SIZE, d->pv->label.device_size / 512);
		for (unsigned j = 0; j < d->pv->nmda; j++)
			mdas += !d->pv->mda[j].status && !mda_ignored(&d->pv->mda[j].hdr);
		report_set_u64(r, RF_PV_MDA_COUNT, d->pv->nmda);
		report_set_u64(r, RF_PV_MDA_USED_COUNT, mdas);
		if (d->pv->nmda)
			report_set_bytes(r, RF_PV_MDA_SIZE, d->pv->mda[0].locn.size);
	}
	if (p) {
		uint32_t used = vg_pv_used(h->vg, p);
		uint64_t E = h->vg->extent_size;

		attr[0] = p->status & FLAG(PVF_ALLOCATABLE) ? 'a' : '-';
		attr[1] = p->status & FLAG(PVF_EXPORTED) ? 'x' : '-';
		attr[2] = p->pv ? '-' : 'm';
		report_set_sectors(r, RF_PV_SIZE, p->pe_count * E);
		report_set_sectors(r, RF_PV_FREE, (p->pe_count - used) * E);
		report_set_sectors(r, RF_PV_USED, used * E);
		report_set_sectors(r, RF_PE_START, p->pe_start);
		report_set_u64(r, RF_PV_PE_COUNT, p->pe_count);
		report_set_u64(r, RF_PV_PE_ALLOC_COUNT, used);
		if (p->has_ba) {
			report_set_sectors(r, RF_PV_BA_START, p->ba_start);
			report_set_sectors(r, RF_PV_BA_SIZE, p->ba_size);
		}
	} else {
		uint64_t s = d->pv->label.device_size / 512;

		report_set_str(r, RF_VG_NAME, "");
		report_set_sectors(r, RF_PV_SIZE, s);
		report_set_sectors(r, RF_PV_FREE, s);
		report_set_sectors(r, RF_PV_USED, 0);
		report_set_sectors(r, RF_PE_START, d->pv->label.n_data ? d->pv->label.data[0].offset / 512 : 0);
		report_set_u64(r, RF_PV_PE_COUNT, 0);
		report_set_u64(r, RF_PV_PE_ALLOC_COUNT, 0);
	}
	report_set_str(r, RF_PV_ATTR, attr);
}

/* Is @name among the arguments (all when none)? */
static bool wanted(int argc, char **argv, const char *vg, const char *lv)
{
	if (!argc)
		return true;
	for (int i = 0; i < argc; i++) {
		const char *slash = strchr(argv[i], '/');

		if (!slash && !strcmp(argv[i], vg))
			return true;
		if (slash && lv && (size_t)(slash - argv[i]) == strlen(vg) &&
		    !strncmp(argv[i], vg, strlen(vg)) && !strcmp(slash + 1, lv))
			return true;
	}
	return false;
}

/* Is the PV at @path among the arguments (all when none)?  An argument
 * names it by the same path or by one that resolves to the same file. */
static bool pv_wanted(int argc, char **argv, const char *path, bool *seen)
{
	char *rp = NULL;
	bool hit = !argc;

	for (int i = 0; i < argc; i++) {
		bool m = !strcmp(argv[i], path);

		if (!m) {
			char *ra = realpath(argv[i], NULL);

			if (!rp)
				rp = realpath(path, NULL);
			m = ra && rp && !strcmp(ra, rp);
			free(ra);
		}
		if (m) {
			seen[i] = true;
			hit = true;
		}
	}
	free(rp);
	return hit;
}

int lvm_report(void *ctx, int argc, char **argv)
{
	struct lvm_cmd *c = ctx;
	const struct report_spec *spec = !strcmp(c->verb, "pvs") ? &report_lvm_pvs :
					 !strcmp(c->verb, "vgs") ? &report_lvm_vgs :
					 opt_set(c, R_SEGMENTS) ? &report_lvm_segs : &report_lvm_lvs;
	struct rctx x = { .c = c };
	struct report_opts o;
	struct err e = { { 0 } };
	const char *opts[1];
	const char **names = NULL;
	unsigned n = 0;
	bool segs;
	int r, ret = 0;

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
	o.noheadings = opt_set(c, R_NOHEADINGS);
	o.nameprefixes = opt_set(c, R_NAMEPREFIXES);
	o.unquoted = opt_set(c, R_UNQUOTED);
	o.rows = opt_set(c, R_ROWS);
	o.aligned = opt_set(c, R_ALIGNED);
	o.verbose = opt_set(c, R_COMMON + G_VERBOSE);
	if (opt_set(c, R_UNITS) && units_parse(opt_val(c, R_UNITS), &o.units))
		return lvm_fail("Invalid units specification.");
	if (opt_set(c, R_NOSUFFIX))
		o.units.suffix = false;
	if (opt_set(c, R_REPORTFORMAT) && report_parse_format(opt_val(c, R_REPORTFORMAT), &o.format))
		return lvm_fail("Invalid argument for --reportformat: %s", opt_val(c, R_REPORTFORMAT));
	r = report_create(&report_lvm_registry, spec, &o, &x.rep, &e);
	if (r == -ENOENT) {
		report_print_fields(&report_lvm_registry, stderr);
		return lvm_fail("%s", e.msg);
	}
	if (r)
		return lvm_fail("%s", e.msg);
	if (report_help_requested(x.rep)) {
		report_print_fields(&report_lvm_registry, stdout);
		report_free(x.rep);
		return 0;
	}
	if ((r = lvm_setup(c, false))) {
		report_free(x.rep);
		return r;
	}
	if (report_objects(x.rep) & RO_LV_ANY)
		load_active(&x);
	segs = spec == &report_lvm_segs || (report_objects(x.rep) & RO_SEG);
	if (lvm_vg_names(&c->env, &names, &n, &e)) {
		ret = lvm_fail("%s", e.msg);
		goto out;
	}
	if (spec == &report_lvm_pvs) {
		bool *seen = calloc((size_t)argc + 1, sizeof(*seen));

		if (!seen) {
			ret = lvm_fail("out of memory");
			goto out;
		}
		/* PVs of VGs, then orphans */
		for (unsigned i = 0; i < n; i++) {
			struct vgh h = { .lock_fd = -1 };

			if (lvm_vg_read(&c->env, names[i], &h, &e)) {
				ret = lvm_fail("%s", e.msg);
				err_clear(&e);
				continue;
			}
			for (unsigned p = 0; p < h.vg->npv; p++) {
				struct vg_pv *pv = h.vg->pv[p];
				struct lvm_dev *d = pv->path ? lvm_find_dev(&c->env, pv->path) : NULL;

				if (argc && (!pv->path || !pv_wanted(argc, argv, pv->path, seen)))
					continue;
				set_pv_fields(&x, report_row_new(x.rep), &h, d, pv);
			}
			lvm_vg_release(&h);
			x.sums_of = NULL;
		}
		for (unsigned i = 0; i < c->env.ndev; i++) {
			struct lvm_dev *d = &c->env.dev[i];

			if (!d->pv || lvm_dev_vgname(d) || (argc && !pv_wanted(argc, argv, d->path, seen)))
				continue;
			set_pv_fields(&x, report_row_new(x.rep), NULL, d, NULL);
		}
		for (int a = 0; a < argc; a++)
			if (!seen[a])
				ret = lvm_fail("Failed to find physical volume \"%s\".", argv[a]);
		free(seen);
	} else {
		for (unsigned i = 0; i < n; i++) {
			struct vgh h = { .lock_fd = -1 };
			bool vg_named = !argc;

			for (int a = 0; a < argc; a++)
				vg_named |= !strcmp(argv[a], names[i]) ||
					    (!strncmp(argv[a], names[i], strlen(names[i])) && argv[a][strlen(names[i])] == '/');
			if (!vg_named)
				continue;
			if (lvm_vg_read(&c->env, names[i], &h, &e)) {
				ret = lvm_fail("%s", e.msg);
				err_clear(&e);
				continue;
			}
			if (lvm_vg_foreign(&c->env, h.vg) && !opt_set(c, R_FOREIGN)) { /* another host's: as lvm2 */
				lvm_vg_release(&h);
				continue;
			}
			if (spec == &report_lvm_vgs) {
				set_vg_fields(&x, report_row_new(x.rep), &h);
			} else {
				for (unsigned l = 0; l < h.vg->nlv; l++) {
					const struct vg_lv *lv = h.vg->lv[l];

					if (!(lv->status & FLAG(LVF_VISIBLE)) && !opt_set(c, R_ALL))
						continue;
					if (!wanted(argc, argv, h.vg->name, lv->name))
						continue;
					if (!segs)
						set_lv_fields(&x, report_row_new(x.rep), &h, lv, NULL);
					for (unsigned s = 0; segs && s < lv->nseg; s++)
						set_lv_fields(&x, report_row_new(x.rep), &h, lv, &lv->seg[s]);
				}
			}
			lvm_vg_release(&h);
			x.sums_of = NULL;
		}
		for (int a = 0; a < argc; a++) {
			char vg[LVM_NAME_LEN];
			bool found = false;

			snprintf(vg, sizeof(vg), "%.*s", (int)strcspn(argv[a], "/"), argv[a]);
			for (unsigned i = 0; i < n; i++)
				found |= !strcmp(names[i], vg);
			if (!found)
				ret = lvm_fail("Volume group \"%s\" not found", vg);
		}
	}
	if (report_output(x.rep, stdout))
		ret = lvm_fail("report output failed");
out:
	free(names);
	for (unsigned i = 0; i < x.nactive; i++)
		free(x.active[i]);
	free(x.active);
	free(x.open);
	dmctl_close(&x.d);
	report_free(x.rep);
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
