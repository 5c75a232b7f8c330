/* pvscan, vgscan and lvscan: lvm2 2.03's listings (tools/pvscan.c
 * pvscan_display_cmd, vgscan.c, lvscan.c), line for line.
 *
 * pvscan pads the PV names to the longest PV's plus two and the VG names
 * to the longest VG's plus two, "#orphans_lvm2" counted among them, as
 * lvm2's lvmcache_get_max_name_lengths does; sizes are lvm2's
 * display_size in its default units, "r" (lv_change_size).
 * lvm2's other pvscan, --cache with -aay, is its udev event activation:
 * ulvm's is vgchange -aay.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/lvm_cmds.h"
#include "cli/lvm_each.h"
#include "lvm/id.h"
#include "lvm/segtype.h"

#define ORPHANS_VG "#orphans_lvm2" /* lvm2's orphan VG, in its name widths */

/* ---- pvscan --------------------------------------------------------- */

struct pv_line {
	char *path, *vg;
	char uuid[LVM_ID_TEXT_LEN + 1];
	bool orphan, exported;
	uint64_t size, free; /* sectors: the PV's (an orphan's device size) */
};

struct pv_lines {
	struct pv_line *l;
	unsigned n, cap;
	int error;
};

static int pv_line(struct lvm_cmd *c, struct vgh *h, struct lvm_dev *d, struct vg_pv *p, void *arg)
{
	struct pv_lines *ls = arg;
	struct pv_line *l;

	(void)c;
	if (ls->n == ls->cap) {
		unsigned cap = ls->cap ? 2 * ls->cap : 16;
		struct pv_line *n = realloc(ls->l, cap * sizeof(*n));

		if (!n)
			return ls->error = lvm_fail("out of memory");
		ls->l = n;
		ls->cap = cap;
	}
	l = &ls->l[ls->n];
	memset(l, 0, sizeof(*l));
	l->orphan = !h;
	if (h) {
		l->vg = strdup(h->vg->name);
		l->exported = h->vg->status & FLAG(VGF_EXPORTED);
		l->size = (uint64_t)p->pe_count * h->vg->extent_size;
		l->free = l->size - (uint64_t)vg_pv_used(h->vg, p) * h->vg->extent_size;
		lvm_id_format(p->id, l->uuid);
	} else {
		l->vg = strdup("");
		l->size = d->pv->label.device_size / 512;
		lvm_id_format(d->pv->label.pv_uuid, l->uuid);
	}
	l->path = strdup(p ? vg_pv_name(p) : d ? d->path : "[unknown]"); /* a missing PV: lvm2's name */
	if (!l->path || !l->vg) {
		free(l->path);
		free(l->vg);
		return ls->error = lvm_fail("out of memory");
	}
	ls->n++;
	return 0;
}

int lvm_pvscan(void *ctx, int argc, char **argv)
{
	struct lvm_cmd *c = ctx;
	struct pv_lines ls = { 0 };
	struct lvm_each how = { .pv = pv_line, .arg = &ls, .orphans = true };
	bool exported = opt_set(c, R_EXPORTED), novg = opt_set(c, R_NOVOLUMEGROUP), uuid = opt_set(c, R_UUIDS);
	unsigned pvw = 0, vgw = sizeof(ORPHANS_VG) - 1, found = 0, orphans = 0;
	uint64_t total = 0, orphan_size = 0;
	char b1[UNITS_BUF], b2[UNITS_BUF], b3[UNITS_BUF];
	int r;

	if (exported && novg)
		return lvm_fail("Options -e and -n are incompatible");
	if ((r = lvm_setup(c, false)))
		return r;
	if (exported || novg)
		fprintf(stderr, "  WARNING: only considering physical volumes %s\n",
			exported ? "of exported volume group(s)" : "in no volume group");
	r = lvm_each_pv(c, argc, argv, &how);
	if (ls.error)
		r = ls.error;
	for (unsigned i = 0; i < ls.n; i++) {
		if (strlen(ls.l[i].path) > pvw)
			pvw = (unsigned)strlen(ls.l[i].path);
		if (strlen(ls.l[i].vg) > vgw)
			vgw = (unsigned)strlen(ls.l[i].vg);
	}
	pvw += 2;
	vgw += 2;
	for (unsigned i = 0; i < ls.n && !ls.error; i++) {
		const struct pv_line *l = &ls.l[i];
		char name[PATH_MAX + 64];
		int w = (int)pvw;

		if ((exported && !l->exported) || (novg && !l->orphan))
			continue;
		found++;
		if (l->orphan) {
			orphans++;
			orphan_size += l->size;
		}
		total += l->size;
		snprintf(name, sizeof(name), "%s", l->path);
		if (opt_set(c, R_SHORT)) {
			printf("  %s\n", name);
			continue;
		}
		if (uuid) { /* lvm2's suffix_len: sizeof(uuid[40]) + 10 */
			snprintf(name, sizeof(name), "%-*s with UUID %s", (int)pvw - 2, l->path, l->uuid);
			w += 50;
		}
		if (l->orphan)
			printf("  PV %-*s    %-*s %s [%s]\n", w, name, (int)vgw, " ", "lvm2", lv_change_size(b1, l->size));
		else if (l->exported)
			printf("  PV %-*s  is in exported VG %s [%s / %s free]\n", w, name, l->vg,
			       lv_change_size(b1, l->size), lv_change_size(b2, l->free));
		else
			printf("  PV %-*s VG %-*s %s [%s / %s free]\n", w, name, (int)vgw, l->vg, "lvm2",
			       lv_change_size(b1, l->size), lv_change_size(b2, l->free));
	}
	if (!ls.error && !found)
		printf("  No matching physical volumes found\n");
	else if (!ls.error)
		printf("  Total: %u [%s] / in use: %u [%s] / in no VG: %u [%s]\n", found,
		       lv_change_size(b1, total), found - orphans, lv_change_size(b2, total - orphan_size), orphans,
		       lv_change_size(b3, orphan_size));
	for (unsigned i = 0; i < ls.n; i++) {
		free(ls.l[i].path);
		free(ls.l[i].vg);
	}
	free(ls.l);
	return r;
}

/* ---- vgscan --------------------------------------------------------- */

static int vg_line(struct lvm_cmd *c, struct vgh *h, void *arg)
{
	(void)c;
	(void)arg;
	printf("  Found %svolume group \"%s\" using metadata type lvm2\n",
	       h->vg->status & FLAG(VGF_EXPORTED) ? "exported " : "", h->vg->name);
	return 0;
}

int lvm_vgscan(void *ctx, int argc, char **argv)
{
	struct lvm_cmd *c = ctx;
	struct lvm_each how = { .vg = vg_line, .foreign = true };
	int r;

	if ((r = lvm_setup(c, false)))
		return r;
	return lvm_each_vg(c, argc, argv, &how);
}

/* ---- lvscan --------------------------------------------------------- */

static int lv_line(struct lvm_cmd *c, struct vgh *h, struct vg_lv *lv, void *arg)
{
	struct lvm_fields *f = arg;
	struct lv_kind kind = { 0 };
	char b[UNITS_BUF];
	bool active;

	(void)c;
	lvm_fields_role(f, h->vg, lv, &kind, &active);
	printf("  %s%s '/dev/%s/%s' [%s] %s\n", active ? "ACTIVE   " : "inactive ",
	       seg_words_have(kind.role, "thickorigin")     ? "Original"
	       : seg_words_have(kind.role, "thicksnapshot") ? "Snapshot"
							    : "        ",
	       h->vg->name, lv->name, lv_change_size(b, (uint64_t)lv->le_count * h->vg->extent_size),
	       lv->alloc ? lv->alloc : "inherit");
	return 0;
}

int lvm_lvscan(void *ctx, int argc, char **argv)
{
	struct lvm_cmd *c = ctx;
	struct lvm_fields f;
	struct lvm_each how = { .lv = lv_line, .arg = &f, .hidden = opt_set(c, R_ALL) };
	int r;

	if ((r = lvm_setup(c, false)))
		return r;
	lvm_fields_init(&f, c, NULL);
	r = lvm_each_lv(c, argc, argv, &how);
	lvm_fields_free(&f);
	return r;
}
