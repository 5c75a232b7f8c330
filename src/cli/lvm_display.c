/* pvdisplay, vgdisplay, lvdisplay: the long formats of lvm2 2.03
 * (lib/display/display.c pvdisplay_full, vgdisplay_full, lvdisplay_full).
 * Kernel-only lines are left out: "Block device", "Read ahead ... currently
 * set to".  "LV Status" says whether ulvmd has the LV active (lvm2 omits
 * the line when activation is disabled); "# open" follows it for an
 * active LV, from ulvmd's info; "Open LV" counts those that are open.
 * The lines an LV's type adds (pools, snapshots, mirrors, and what an
 * active one reports) and each segment under --maps come from the segment
 * types' display hooks (lvm/segtype.h); a PV's extents under --maps from
 * lvm/pvseg.h. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/lvm_cmds.h"
#include "cli/lvm_each.h"
#include "common/units.h"
#include "lvm/activate.h"
#include "lvm/lvref.h"
#include "lvm/pvseg.h"
#include "lvm/segtype.h"

struct dctx {
	struct lvm_cmd *c;
	struct dmctl d;
	struct units u;
};

static const char *size(const struct dctx *x, uint64_t sectors, char buf[UNITS_BUF])
{
	units_format(buf, UNITS_BUF, sectors * 512, &x->u, SIZE_SHORT);
	return buf;
}

static void pv_full(struct dctx *x, const struct vgh *h, const struct vg_pv *p, const struct lvm_dev *d)
{
	char id[LVM_ID_TEXT_LEN + 1], b1[UNITS_BUF], b2[UNITS_BUF];

	if (!p) { /* an orphan: lvm2's "NEW Physical volume" */
		uint64_t s = d->pv->label.device_size / 512;

		lvm_id_format(d->pv->label.pv_uuid, id);
		printf("  \"%s\" is a new physical volume of \"%s\"\n", d->path, size(x, s, b1));
		printf("  --- NEW Physical volume ---\n");
		printf("  PV Name               %s\n", d->path);
		printf("  VG Name               \n");
		printf("  PV Size               %s\n", b1);
		printf("  Allocatable           NO\n");
		printf("  PE Size               0   \n");
		printf("  Total PE              0\n  Free PE               0\n  Allocated PE          0\n");
		printf("  PV UUID               %s\n   \n", id);
		return;
	}
	const struct vg *vg = h->vg;
	uint64_t E = vg->extent_size;
	uint64_t dev = p->has_dev_size ? p->dev_size : d && d->pv ? d->pv->label.device_size / 512 : 0;
	uint32_t used = vg_pv_used(vg, p);
	uint64_t data, pvsize, unusable;

	lvm_id_format(p->id, id);
	printf("  --- Physical volume ---\n");
	printf("  PV Name               %s\n", vg_pv_name(p));
	printf("  VG Name               %s%s\n", vg->name, p->status & FLAG(PVF_EXPORTED) ? " (exported)" : "");
	/* as lvm2's pvdisplay_full: the PE start counts as unusable only on a
	 * device larger than the PV's extents and their start */
	data = (uint64_t)p->pe_count * E;
	if (dev > data + p->pe_start)
		pvsize = dev, unusable = dev - data;
	else
		pvsize = data + p->pe_start, unusable = pvsize - dev;
	if (data)
		printf("  PV Size               %s / not usable %s\n", size(x, pvsize, b1), size(x, unusable, b2));
	else
		printf("  PV Size               %s\n", size(x, pvsize, b1));
	printf("  Allocatable           %s\n", !(p->status & FLAG(PVF_ALLOCATABLE)) ? "NO" :
	       used == p->pe_count ? "yes (but full)" : "yes ");
	printf("  PE Size               %s\n", size(x, E, b1));
	printf("  Total PE              %u\n", p->pe_count);
	printf("  Free PE               %u\n", p->pe_count - used);
	printf("  Allocated PE          %u\n", used);
	printf("  PV UUID               %s\n   \n", id);
}

static void vg_full(struct dctx *x, const struct vgh *h)
{
	const struct vg *vg = h->vg;
	char id[LVM_ID_TEXT_LEN + 1], b[UNITS_BUF];
	unsigned visible = 0, open = 0, mdas = 0, act = 0;
	uint64_t total = vg_total_extents(vg), free_ = vg_free_extents(vg), E = vg->extent_size;

	for (unsigned i = 0; i < vg->nlv; i++)
		if (vg->lv[i]->status & FLAG(LVF_VISIBLE)) {
			visible++;
			open += lv_open_count(x->c, &x->d, vg, vg->lv[i]) > 0;
		}
	for (unsigned i = 0; i < vg->npv; i++)
		if (vg->pv[i]->pv) {
			act++;
			for (unsigned j = 0; j < vg->pv[i]->pv->nmda; j++)
				mdas += !vg->pv[i]->pv->mda[j].status;
		}
	lvm_id_format(vg->id, id);
	printf("  --- Volume group ---\n");
	printf("  VG Name               %s\n", vg->name);
	printf("  System ID             %s\n", vg->system_id ? vg->system_id : "");
	printf("  Format                lvm2\n");
	printf("  Metadata Areas        %u\n", mdas);
	printf("  Metadata Sequence No  %u\n", vg->seqno);
	printf("  VG Access             %s\n", vg->status & FLAG(VGF_WRITE) ? "read/write" : "read");
	printf("  VG Status             %s%sresizable\n", vg->status & FLAG(VGF_EXPORTED) ? "exported/" : "",
	       vg->status & FLAG(VGF_RESIZEABLE) ? "" : "not ");
	printf("  MAX LV                %u\n", vg->max_lv);
	printf("  Cur LV                %u\n", visible);
	printf("  Open LV               %u\n", open);
	printf("  Max PV                %u\n", vg->max_pv);
	printf("  Cur PV                %u\n", vg->npv);
	printf("  Act PV                %u\n", act);
	printf("  VG Size               %s\n", size(x, total * E, b));
	printf("  PE Size               %s\n", size(x, E, b));
	printf("  Total PE              %llu\n", (unsigned long long)total);
	printf("  Alloc PE / Size       %llu / %s\n", (unsigned long long)(total - free_),
	       size(x, (total - free_) * E, b));
	printf("  Free  PE / Size       %llu / %s\n", (unsigned long long)free_, size(x, free_ * E, b));
	printf("  VG UUID               %s\n   \n", id);
}

static const char *display_size(const struct seg_display_ctx *sx, uint64_t sectors, char *buf)
{
	return size(sx->arg, sectors, buf);
}

/* The lines @sx->lv's type and the types of the LVs naming it add at @at. */
static void type_lines(struct seg_display_ctx *sx, enum seg_display_at at)
{
	const struct vg *vg = sx->vg;
	const struct segtype *st = lv_segtype(sx->lv);

	sx->at = at;
	sx->said = 0;
	for (unsigned i = 0; i < vg->nlv; i++) {
		const struct segtype *ut = lv_segtype(vg->lv[i]);

		if (vg->lv[i] != sx->lv && ut && ut->display_named)
			ut->display_named(sx, vg->lv[i]);
	}
	if (st && st->display)
		st->display(sx);
}

/* lvm2's lvdisplay_segments(). */
static void lv_maps(const struct seg_display_ctx *sx)
{
	const struct vg_lv *lv = sx->lv;
	const struct segtype *st = lv_segtype(lv);
	bool virt = st && (st->flags & SEGTYPE_VIRTUAL);

	printf("  --- Segments ---\n");
	for (unsigned i = 0; i < lv->nseg; i++) {
		const struct lv_seg *s = &lv->seg[i];

		printf("  %s extents %u to %u:\n", virt ? "Virtual" : "Logical", s->le, s->le + s->len - 1);
		printf("    Type\t\t%s\n", s->st->report_name ? s->st->report_name(s) : s->type);
		if (s->st->flags & SEGTYPE_MONITORED)
			printf("    Monitoring\t\t%s\n", sx->active ? "monitored" : "");
		if (s->st->display_seg)
			s->st->display_seg(sx, s);
	}
	printf("   \n");
}

static void lv_full(struct dctx *x, const struct vgh *h, const struct vg_lv *lv)
{
	const struct vg *vg = h->vg;
	const struct segtype *st = lv_segtype(lv);
	char id[LVM_ID_TEXT_LEN + 1], b[UNITS_BUF], when[64] = "";
	int open = lv_open_count(x->c, &x->d, vg, lv);
	struct seg_display_ctx sx = { .vg = vg, .lv = lv, .out = stdout, .active = open >= 0, .size = display_size,
				      .arg = x };

	sx.d = lvm_daemon_up(x->c, &x->d) ? &x->d : NULL;
	lvm_id_format(lv->id, id);
	if (lv->has_ctime) {
		time_t t = (time_t)lv->ctime;
		struct tm tm;

		if (localtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %T %z", &tm);
	}
	printf("  --- Logical volume ---\n");
	if (lv_listed(vg, lv)) {
		if (!(st && (st->flags & SEGTYPE_NO_PATH)))
			printf("  LV Path                /dev/%s/%s\n", vg->name, lv->name);
		printf("  LV Name                %s\n", lv->name);
	} else {
		printf("  Internal LV Name       %s\n", lv->name);
	}
	printf("  VG Name                %s\n", vg->name);
	printf("  LV UUID                %s\n", id);
	printf("  LV Write Access        %s\n", lv->status & FLAG(LVF_WRITE) ? "read/write" : "read only");
	printf("  LV Creation host, time %s, %s\n", lv->host ? lv->host : "", when);
	type_lines(&sx, SEG_DISPLAY_NAMES);
	printf("  LV Status              %savailable\n", open < 0 ? "NOT " : "");
	if (open >= 0)
		printf("  # open                 %d\n", open);
	sx.le_count = lv->le_count;
	type_lines(&sx, SEG_DISPLAY_SIZE);
	printf("  LV Size                %s\n", size(x, (uint64_t)sx.le_count * vg->extent_size, b));
	type_lines(&sx, SEG_DISPLAY_USAGE);
	printf("  Current LE             %u\n", sx.le_count);
	type_lines(&sx, SEG_DISPLAY_MORE);
	printf("  Segments               %u\n", lv->nseg);
	printf("  Allocation             %s\n", lv->alloc ? lv->alloc : "inherit");
	printf("  Read ahead sectors     ");
	if (lv->has_read_ahead && lv->read_ahead >= 0)
		printf("%lld\n", (long long)lv->read_ahead);
	else
		printf("auto\n");
	printf("   \n");
	if (opt_set(x->c, R_MAPS))
		lv_maps(&sx);
}

/* lvm2's pvdisplay_segments(). */
static int pv_maps(const struct vgh *h, const struct vg_pv *p)
{
	struct pvseg *sg;
	unsigned n;

	if (pv_segments(h->vg, p, &sg, &n))
		return lvm_fail("out of memory");
	printf("  --- Physical Segments ---\n");
	for (unsigned i = 0; i < n; i++) {
		if (!sg[i].len)
			continue;
		printf("  Physical extent %u to %u:\n", sg[i].pe, sg[i].pe + sg[i].len - 1);
		if (sg[i].lv) {
			printf("    Logical volume\t/dev/%s/%s\n", h->vg->name, sg[i].lv->name);
			printf("    Logical extents\t%u to %u\n", sg[i].seg->le, sg[i].seg->le + sg[i].seg->len - 1);
		} else {
			printf("    FREE\n");
		}
	}
	printf("   \n");
	free(sg);
	return 0;
}

/* An argument names @vg (or @vg/@lv); all when there are none. */
static int show_vg(struct lvm_cmd *c, struct vgh *h, void *arg)
{
	struct dctx *x = arg;

	if (opt_set(c, R_SHORT)) { /* lvm2's vgdisplay_short */
		const struct vg *vg = h->vg;
		uint64_t total = vg_total_extents(vg), free_ = vg_free_extents(vg), E = vg->extent_size;
		char t[UNITS_BUF], u[UNITS_BUF], f[UNITS_BUF];

		printf("  \"%s\" %-9s [%-9s used / %s free]\n", vg->name, size(x, total * E, t),
		       size(x, (total - free_) * E, u), size(x, free_ * E, f));
		return 0;
	}
	vg_full(x, h);
	return 0;
}

static int show_lv(struct lvm_cmd *c, struct vgh *h, struct vg_lv *lv, void *arg)
{
	(void)c;
	lv_full(arg, h, lv);
	return 0;
}

static int show_pv(struct lvm_cmd *c, struct vgh *h, struct lvm_dev *d, struct vg_pv *p, void *arg)
{
	if (p) {
		pv_full(arg, h, p, p->path ? lvm_find_dev(&c->env, p->path) : NULL);
		return opt_set(c, R_MAPS) && pv_maps(h, p) ? LVM_FAILED : 0;
	}
	pv_full(arg, NULL, NULL, d);
	if (opt_set(c, R_MAPS)) /* no extents: lvm2's blank line alone */
		printf("   \n");
	return 0;
}

/* The VGs, LVs or PVs named (or all) as lvm2's process_each_* reads the
 * arguments: a VG, LV or PV named and not found is an error. */
int lvm_display_long(struct lvm_cmd *c, int argc, char **argv)
{
	struct dctx x = { .c = c };
	struct lvm_each how = { .vg = show_vg, .lv = show_lv, .pv = show_pv, .arg = &x,
				.hidden = opt_set(c, R_ALL), .orphans = true };
	int r;

	units_init(&x.u);
	if (opt_set(c, R_UNITS) && units_parse(opt_val(c, R_UNITS), &x.u))
		return lvm_fail("Invalid units specification."), LVM_EINVALID;
	if ((r = lvm_setup(c, false)))
		return r;
	r = c->verb[0] == 'v' ? lvm_each_vg(c, argc, argv, &how)
	    : c->verb[0] == 'l' ? lvm_each_lv(c, argc, argv, &how)
				: lvm_each_pv(c, argc, argv, &how);
	dmctl_close(&x.d);
	return r;
}
