/* pvdisplay, vgdisplay, lvdisplay: the long formats of lvm2 2.03
 * (lib/display/display.c pvdisplay_full, vgdisplay_full, lvdisplay_full).
 * Kernel-only lines are left out: "Block device", "Read ahead ... currently
 * set to".  "LV Status" says whether ulvmd has the LV active (lvm2 omits
 * the line when activation is disabled); "# open" follows it for an
 * active LV, from ulvmd's info; "Open LV" counts those that are open. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/lvm_cmds.h"
#include "common/units.h"
#include "lvm/activate.h"

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

/* The LV's open count in ulvmd, or -1 when it is not active. */
static int lv_open_count(struct dctx *x, const struct vg *vg, const struct vg_lv *lv)
{
	char name[LV_DM_NAME_MAX];
	struct json_object *p, *res = NULL, *o;
	struct err e = { { 0 } };
	int n = -1;

	if (!lvm_daemon_up(x->c, &x->d))
		return -1;
	lv_dm_name(vg, lv, name);
	p = json_object_new_object();
	json_object_object_add(p, "name", json_object_new_string(name));
	if (!dmctl_call(&x->d, "info", p, &res, &e) && res)
		n = json_object_object_get_ex(res, "open_count", &o) ? json_object_get_int(o) : 0;
	json_object_put(res);
	return n;
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

	lvm_id_format(p->id, id);
	printf("  --- Physical volume ---\n");
	printf("  PV Name               %s\n", p->path ? p->path : "[unknown]");
	printf("  VG Name               %s\n", vg->name);
	printf("  PV Size               %s / not usable %s\n", size(x, dev, b1),
	       size(x, dev - (uint64_t)p->pe_count * E, b2));
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
			open += lv_open_count(x, vg, vg->lv[i]) > 0;
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

static void lv_full(struct dctx *x, const struct vgh *h, const struct vg_lv *lv)
{
	const struct vg *vg = h->vg;
	char id[LVM_ID_TEXT_LEN + 1], b[UNITS_BUF], when[64] = "";
	int open = lv_open_count(x, vg, lv);

	lvm_id_format(lv->id, id);
	if (lv->has_ctime) {
		time_t t = (time_t)lv->ctime;
		struct tm tm;

		if (localtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %T %z", &tm);
	}
	printf("  --- Logical volume ---\n");
	printf("  LV Path                /dev/%s/%s\n", vg->name, lv->name);
	printf("  LV Name                %s\n", lv->name);
	printf("  VG Name                %s\n", vg->name);
	printf("  LV UUID                %s\n", id);
	printf("  LV Write Access        %s\n", lv->status & FLAG(LVF_WRITE) ? "read/write" : "read only");
	if (lv->has_ctime)
		printf("  LV Creation host, time %s, %s\n", lv->host, when);
	printf("  LV Status              %savailable\n", open < 0 ? "NOT " : "");
	if (open >= 0)
		printf("  # open                 %d\n", open);
	printf("  LV Size                %s\n", size(x, (uint64_t)lv->le_count * vg->extent_size, b));
	printf("  Current LE             %u\n", lv->le_count);
	printf("  Segments               %u\n", lv->nseg);
	printf("  Allocation             %s\n", lv->alloc ? lv->alloc : "inherit");
	printf("  Read ahead sectors     ");
	if (lv->has_read_ahead && lv->read_ahead >= 0)
		printf("%lld\n", (long long)lv->read_ahead);
	else
		printf("auto\n");
	printf("   \n");
}

/* An argument names @vg (or @vg/@lv); all when there are none. */
static bool named(int argc, char **argv, const char *vg, const char *lv)
{
	size_t n = strlen(vg);

	if (!argc)
		return true;
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], vg) ||
		    (lv && !strncmp(argv[i], vg, n) && argv[i][n] == '/' && !strcmp(argv[i] + n + 1, lv)))
			return true;
	return false;
}

static bool pv_named(int argc, char **argv, const char *path)
{
	bool hit = !argc;

	for (int i = 0; i < argc && !hit; i++) {
		char *a = realpath(argv[i], NULL), *b = realpath(path, NULL);

		hit = !strcmp(argv[i], path) || (a && b && !strcmp(a, b));
		free(a);
		free(b);
	}
	return hit;
}

int lvm_display_long(struct lvm_cmd *c, int argc, char **argv)
{
	struct dctx x = { .c = c };
	struct err e = { { 0 } };
	const char **names = NULL;
	unsigned n = 0;
	int r, ret = 0;
	char verb = c->verb[0];

	units_init(&x.u);
	if (opt_set(c, R_UNITS) && units_parse(opt_val(c, R_UNITS), &x.u))
		return lvm_fail("Invalid units specification.");
	if ((r = lvm_setup(c, false)))
		return r;
	if (lvm_vg_names(&c->env, &names, &n, &e))
		return lvm_fail("%s", e.msg);
	for (unsigned i = 0; i < n; i++) {
		struct vgh h = { .lock_fd = -1 };

		if (verb != 'p' && !named(argc, argv, names[i], NULL)) {
			bool any = false;

			for (int a = 0; a < argc; a++)
				any |= !strncmp(argv[a], names[i], strlen(names[i])) &&
				       argv[a][strlen(names[i])] == '/';
			if (!any)
				continue;
		}
		if (lvm_vg_read(&c->env, names[i], &h, &e)) {
			ret = lvm_fail("%s", e.msg);
			err_clear(&e);
			continue;
		}
		if (verb == 'v') {
			vg_full(&x, &h);
		} else if (verb == 'l') {
			for (unsigned l = 0; l < h.vg->nlv; l++) {
				const struct vg_lv *lv = h.vg->lv[l];

				if ((lv->status & FLAG(LVF_VISIBLE) || opt_set(c, R_ALL)) &&
				    named(argc, argv, h.vg->name, lv->name))
					lv_full(&x, &h, lv);
			}
		} else {
			for (unsigned p = 0; p < h.vg->npv; p++) {
				struct vg_pv *pv = h.vg->pv[p];

				if (!argc || (pv->path && pv_named(argc, argv, pv->path)))
					pv_full(&x, &h, pv, pv->path ? lvm_find_dev(&c->env, pv->path) : NULL);
			}
		}
		lvm_vg_release(&h);
	}
	if (verb == 'p')
		for (unsigned i = 0; i < c->env.ndev; i++) {
			struct lvm_dev *d = &c->env.dev[i];

			if (d->pv && !lvm_dev_vgname(d) && pv_named(argc, argv, d->path))
				pv_full(&x, NULL, NULL, d);
		}
	free(names);
	dmctl_close(&x.d);
	return ret;
}
