/* lvm2's "mirror" segment type (lib/mirror/mirrored.c; LVM2-FORMAT.md
 * §10.2), served by the mirror target.
 *
 * The segment: mirror_count, extents_moved (pvmove's segments only: its
 * presence is lvm2's PVMOVE segment status), mirror_log (the _mlog LV of
 * a disk log; none: a core log), region_size, and `mirrors`, a list of
 * (name, extent) pairs: sub-LVs (<lv>_mimage_N) of an LV made by lvcreate
 * --type mirror, PV ranges in a pvmove LV.  The areas are modelled
 * (s->area, each the segment's length).
 *
 * Plan.  An LV of sub-LVs: each image and the log, then `mirror
 * core|disk ... <#legs> <image> 0 ... 1 handle_errors`, as libdm emits it.
 * A pvmove LV, segment by segment as lvm2's _mirrored_add_target_line:
 * one that is checkpointed (extents_moved == its length) is linear on its
 * destination, the first one that is not is a running mirror with a core
 * log and no handle_errors, the ones after it are linear on their source.
 *
 * lvcreate --type mirror -m N [--mirrorlog core|disk] [-R] [--nosync]:
 * each image on a PV of its own, the log (one extent) on yet another
 * when there is one; the log zeroed (every region copied at the first
 * activation) or, with --nosync, written as lvm2 writes it: every region
 * clean, nr_regions -1.
 *
 * lvconvert (mirror_convert.c): -m, linear -> mirror, raid1 <-> mirror.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/dmctl.h"
#include "common/le.h"
#include "common/units.h"
#include "lvm/activate.h"
#include "lvm/alloc.h"
#include "lvm/devices.h"
#include "lvm/report_lvm.h"
#include "lvm/segtype.h"
#include "lvm/segtype/mirror_lv.h"
#include "lvm/segtype/raid_lv.h"
#include "lvm/vg_internal.h"
#include "lvm/wipe.h"

static void mirror_free(struct lv_seg *s)
{
	free(s->priv);
	s->priv = NULL;
}

static int mirror_import(struct vg *vg, const struct cfg_node *pvs, const struct cfg_node *sn, struct lv_seg *s,
			 struct err *e)
{
	const struct cfg_node *a = cfg_find(sn, "mirrors");
	struct mirror_seg *m;
	uint32_t count;
	const char *log;
	char path[256];
	int r;

	cfg_path(sn, path, sizeof(path));
	if ((r = cfg_get_u32(sn, "mirror_count", &count, e)))
		return r;
	if (!count || count > 64 || !a || a->type != CFG_ARRAY || a->nitems != 2 * count)
		return err_set(e, -EINVAL, "%s: mirrors must list mirror_count (%u) (name, extent) pairs", path, count);
	if (!(m = calloc(1, sizeof(*m))))
		return err_set(e, -ENOMEM, "out of memory");
	s->priv = m;
	if (cfg_find(sn, "extents_moved")) {
		if ((r = cfg_get_u32(sn, "extents_moved", &m->extents_moved, e)))
			return err_set(e, r, "Couldn't read 'extents_moved' for segment %s", path);
		m->pvmove = true;
	}
	if (cfg_find(sn, "region_size") && (r = cfg_get_u32(sn, "region_size", &m->region_size, e)))
		return err_set(e, r, "Couldn't read 'region_size' for segment %s", path);
	if (cfg_find(sn, "mirror_log")) {
		if ((r = cfg_get_str(sn, "mirror_log", &log, e)))
			return r;
		if (!(m->log = vg_find_lv(vg, log)))
			return err_set(e, -EINVAL, "Unrecognised mirror log in segment %s", path);
	}
	if (!(s->area = calloc(count, sizeof(*s->area))))
		return err_set(e, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < count; i++) {
		const struct cfg_value *n = &a->items[2 * i], *x = &a->items[2 * i + 1];

		if (n->type != CFG_STRING || x->type != CFG_INT || x->i < 0 || x->i > UINT32_MAX)
			return err_set(e, -EINVAL, "%s: mirrors: bad pair %u", path, i);
		if (!(s->area[i].pv = vg_import_pv_key(vg, pvs, n->s)) && !(s->area[i].lv = vg_find_lv(vg, n->s)))
			return err_set(e, -EINVAL, "%s: mirrors: %s is no PV or LV of the VG", path, n->s);
		s->area[i].pe = (uint32_t)x->i;
		s->narea++;
	}
	return 0;
}

static void mirror_export(const struct vg *vg, const struct lv_seg *s, struct cfg_node *sn)
{
	const struct mirror_seg *m = s->priv;

	cfg_add_int(sn, "mirror_count", s->narea);
	if (m->pvmove)
		vg_size_comment(cfg_add_int(sn, "extents_moved", m->extents_moved),
				(uint64_t)m->extents_moved * vg->extent_size);
	if (m->log)
		cfg_add_str(sn, "mirror_log", m->log->name);
	if (m->region_size)
		cfg_add_int(sn, "region_size", m->region_size);
	seg_export_areas(vg, s, sn, "mirrors");
}

static int mirror_validate(const struct vg *vg, const struct vg_lv *lv, const struct lv_seg *s, struct err *e)
{
	const struct mirror_seg *m = s->priv;

	(void)vg;
	if (m->extents_moved > s->len)
		return err_set(e, -EINVAL, "LV %s: extents_moved %u is past its segment's %u extents", lv->name,
			       m->extents_moved, s->len);
	if (m->region_size & (m->region_size - 1))
		return err_set(e, -EINVAL, "LV %s: region_size %u is not a power of two", lv->name, m->region_size);
	for (unsigned k = 0; k < s->narea; k++) {
		const struct vg_lv *sub = s->area[k].lv;

		if (sub && (sub == lv || (uint64_t)s->area[k].pe + s->len > sub->le_count))
			return err_set(e, -EINVAL, "LV %s: mirror leg %s cannot hold %u extents from LE %u", lv->name,
				       sub->name, s->len, s->area[k].pe);
	}
	return 0;
}

static struct vg_lv *mirror_named(const struct lv_seg *s, unsigned i, const char **key)
{
	const struct mirror_seg *m = s->priv;

	*key = "mirror_log";
	return i == 0 && m ? m->log : NULL;
}

uint32_t mirror_region_for(uint32_t want, uint64_t sectors)
{
	uint32_t r = want ? want : MIRROR_DEFAULT_REGION;

	while (r > 2 && r > sectors)
		r >>= 1;
	return r;
}

static int area_ready(struct lv_plan *p, const struct vg *vg, const struct vg_lv *lv, const struct lv_area *a,
		      struct err *e)
{
	char id[LVM_ID_TEXT_LEN + 1];

	if (a->lv) {
		for (unsigned i = 0; i < p->n; i++)
			if (p->dev[i].lv == a->lv)
				return 0;
		return lv_plan_sub(p, a->lv, true, e);
	}
	if (a->pv->pv && a->pv->path)
		return 0;
	lvm_id_format(a->pv->id, id);
	return err_set(e, -ENODEV, "LV %s/%s uses missing PV %s", vg->name, lv->name, id);
}

static int mirror_plan(struct lv_plan *p, const struct vg *vg, const struct vg_lv *lv, struct err *e)
{
	uint64_t E = vg->extent_size;
	bool running = false;
	char *text = NULL, name[LV_DM_NAME_MAX];
	size_t len = 0;
	FILE *f;
	int r = 0;

	for (unsigned i = 0; i < lv->nseg && !r; i++) {
		const struct mirror_seg *m = lv->seg[i].priv;

		if (lv->seg[i].st != &segtype_mirror)
			return err_set(e, -EOPNOTSUPP, "LV %s/%s mixes mirror and %s segments", vg->name, lv->name,
				       lv->seg[i].type);
		for (unsigned k = 0; k < lv->seg[i].narea && !r; k++)
			r = area_ready(p, vg, lv, &lv->seg[i].area[k], e);
		if (!r && m->log)
			r = area_ready(p, vg, lv, &(struct lv_area){ .lv = m->log }, e);
	}
	if (r)
		return r;
	if (!(f = open_memstream(&text, &len)))
		return err_set(e, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < lv->nseg; i++) {
		const struct lv_seg *s = &lv->seg[i];
		const struct mirror_seg *m = s->priv;
		uint32_t region = mirror_region_for(m->region_size, (uint64_t)s->len * E);

		fprintf(f, "%s%" PRIu64 " %" PRIu64, i ? "\n" : "", s->le * E, s->len * E);
		if (m->pvmove && s->narea == 2 && m->extents_moved == s->len) { /* checkpointed */
			fprintf(f, " linear");
			seg_emit_area(f, vg, &s->area[1]);
			continue;
		}
		if (m->pvmove && (running || s->narea < 2)) { /* not yet */
			fprintf(f, " linear");
			seg_emit_area(f, vg, &s->area[0]);
			continue;
		}
		running = running || m->pvmove;
		if (m->log) {
			lv_dm_name(vg, m->log, name);
			fprintf(f, " mirror disk 2 /dev/mapper/%s %u", name, region);
		} else {
			fprintf(f, " mirror core %u %u%s", (lv->status & FLAG(LVF_NOTSYNCED)) ? 2 : 1, region,
				(lv->status & FLAG(LVF_NOTSYNCED)) ? " nosync" : "");
		}
		fprintf(f, " %u", s->narea);
		for (unsigned k = 0; k < s->narea; k++)
			seg_emit_area(f, vg, &s->area[k]);
		if (!m->pvmove)
			fprintf(f, " 1 handle_errors");
	}
	if (fclose(f)) {
		free(text);
		return err_set(e, -ENOMEM, "out of memory");
	}
	return lv_plan_add(p, lv, NULL, text, e) ? 0 : -ENOMEM;
}

static struct vg_lv *mirror_owner_of(const struct vg *vg, const struct vg_lv *owner, const struct vg_lv *lv)
{
	(void)vg;
	for (unsigned i = 0; i < owner->nseg; i++) {
		const struct mirror_seg *m = owner->seg[i].priv;

		if (owner->seg[i].st != &segtype_mirror)
			continue;
		if (m->log == lv)
			return (struct vg_lv *)owner;
		for (unsigned k = 0; k < owner->seg[i].narea; k++)
			if (owner->seg[i].area[k].lv == lv)
				return (struct vg_lv *)owner;
	}
	return NULL;
}

int mirror_status_of(struct dmctl *d, const char *name, uint64_t *insync, uint64_t *total, char *health,
		     size_t hsize)
{
	struct err e = { { 0 } };
	char *line = NULL;
	unsigned n;
	int r = -EINVAL;

	if (dmctl_status_of(d, name, "mirror", &line, &e))
		return -ENODEV;
	/* "START LEN mirror N DEV... A/B 1 HEALTH ..." */
	if (sscanf(line, "%*u %*u mirror %u", &n) == 1) {
		char *save = NULL, *tok = strtok_r(line, " ", &save);

		for (unsigned k = 0; tok && k < 4 + n; k++) /* start, len, type, N, the devices */
			tok = strtok_r(NULL, " ", &save);
		if (tok && sscanf(tok, "%" SCNu64 "/%" SCNu64, insync, total) == 2 && *total)
			r = 0;
		if (!r && health) {
			tok = strtok_r(NULL, " ", &save); /* 1 */
			tok = tok ? strtok_r(NULL, " ", &save) : NULL;
			snprintf(health, hsize, "%s", tok && strlen(tok) == n ? tok : "");
		}
	}
	free(line);
	return r;
}

int mirror_sync_of(struct dmctl *d, const char *name, uint64_t *insync, uint64_t *total)
{
	return mirror_status_of(d, name, insync, total, NULL, 0);
}

int mirror_pvmove_progress(struct dmctl *d, const struct vg_lv *lv, const char *dmname, uint64_t *copied,
			   uint64_t *total, int *running, struct err *e)
{
	*copied = *total = 0;
	*running = -1;
	for (unsigned i = 0; i < lv->nseg; i++) {
		const struct lv_seg *s = &lv->seg[i];
		const struct mirror_seg *m = s->priv;

		if (s->st != &segtype_mirror || s->narea < 2)
			continue;
		*total += s->len;
		if (m->extents_moved == s->len) {
			*copied += s->len;
		} else if (*running < 0) {
			uint64_t a, b;

			*running = (int)i;
			if (mirror_sync_of(d, dmname, &a, &b))
				return err_set(e, -ENODEV, "%s: no mirror is running: is it active?", dmname);
			*copied += s->len * a / b; /* whole extents, as lvm2 */
		}
	}
	return 0;
}

int mirror_add_pvmove_seg(struct vg_lv *lv, uint32_t len, const struct lv_area *src, const struct lv_area *dst,
			  struct err *e)
{
	struct lv_seg *seg = realloc(lv->seg, (lv->nseg + 1) * sizeof(*lv->seg)), *s;
	struct mirror_seg *m = calloc(1, sizeof(*m));

	if (seg)
		lv->seg = seg;
	if (!seg || !m || !(lv->seg[lv->nseg].area = calloc(2, sizeof(struct lv_area)))) {
		free(m);
		return err_set(e, -ENOMEM, "out of memory");
	}
	s = &lv->seg[lv->nseg];
	*s = (struct lv_seg){ .le = lv->le_count, .len = len, .st = &segtype_mirror, .narea = 2, .area = s->area,
			      .priv = m };
	if (!(s->type = strdup("mirror"))) {
		free(s->area);
		free(m);
		return err_set(e, -ENOMEM, "out of memory");
	}
	s->area[0] = *src;
	s->area[1] = *dst;
	m->pvmove = true;
	m->region_size = MIRROR_DEFAULT_REGION;
	lv->nseg++;
	lv->le_count += len;
	return 0;
}

static void mirror_report(const struct seg_report_ctx *x, const struct vg_lv *owner)
{
	const struct vg *vg = x->vg;
	const struct mirror_seg *m;
	char name[LV_DM_NAME_MAX], devs[4096];
	uint64_t a = 0, b = 0, copied = 0, total = 0;
	struct err e = { { 0 } };
	int running;
	size_t n = 0;

	if (owner) { /* an image: 'i', 'I' until in sync; the log 'l' */
		m = owner->nseg ? owner->seg[0].priv : NULL;
		lv_dm_name(vg, owner, name);
		if (m && m->log == x->lv)
			x->attr[0] = 'l';
		else
			x->attr[0] = x->d && !mirror_sync_of(x->d, name, &a, &b) && a < b ? 'I' : 'i';
		seg_report_kind(x, NULL, x->attr[0] == 'l' ? "mirror,log" : "mirror,image", NULL, true);
		seg_report_lv(x, RF_LV_PARENT, -1, owner->name);
		return;
	}
	m = x->lv->seg[0].priv;
	if (x->lv->status & FLAG(LVF_PVMOVE)) {
		x->attr[0] = 'p';
		seg_report_kind(x, "mirror", "pvmove", "mirror", true);
	} else {
		seg_report_kind(x, "mirror", NULL, "mirror", false);
		if (x->lv->status & FLAG(LVF_NOTSYNCED))
			x->attr[0] = 'M';
		else
			report_set_value(x->row, RF_LV_INITIAL_IMAGE_SYNC, "initial image sync", 1);
	}
	report_set_u64(x->row, RF_DATA_STRIPES, x->lv->seg[0].narea); /* lvm2: the legs; data_copies stays 1 */
	if (m->log)
		seg_report_lv(x, RF_MIRROR_LOG, RF_MIRROR_LOG_UUID, m->log->name);
	if (m->region_size)
		report_set_sectors(x->row, RF_REGION_SIZE, m->region_size);
	devs[0] = 0;
	for (unsigned i = 0; i < x->lv->nseg; i++)
		for (unsigned k = 0; k < x->lv->seg[i].narea && n < sizeof(devs); k++) {
			const struct lv_area *ar = &x->lv->seg[i].area[k];

			n += (size_t)snprintf(devs + n, sizeof(devs) - n, "%s%s(%u)", n ? "," : "",
					      ar->lv ? ar->lv->name : ar->pv->path ? ar->pv->path : "[unknown]", ar->pe);
		}
	report_set_str(x->row, RF_DEVICES, devs);
	report_set_u64(x->row, RF_STRIPES, x->lv->seg[0].narea);
	lv_dm_name(vg, x->lv, name);
	if (!x->d)
		return;
	if (m->pvmove) {
		if (mirror_pvmove_progress(x->d, x->lv, name, &copied, &total, &running, &e) || !total)
			return;
	} else {
		if (mirror_sync_of(x->d, name, &a, &b))
			return;
		total = x->lv->le_count;
		copied = total * a / b;
	}
	report_set_percent(x->row, RF_COPY_PERCENT, (int32_t)(copied * (uint64_t)REPORT_PERCENT_100 / total));
	report_set_percent(x->row, RF_SYNC_PERCENT, (int32_t)(copied * (uint64_t)REPORT_PERCENT_100 / total));
}

/* ---- lvcreate --type mirror ---- */

/* The log's first bytes as lvm2 writes them (nosync: every region clean,
 * nr_regions -1, which the kernel keeps), else zeroes: all copied. */
static int init_log(const struct vg *vg, const struct vg_lv *log, bool nosync, struct err *e)
{
	const struct lv_area *a = &log->seg[0].area[0];
	size_t len = (size_t)vg->extent_size * 512;
	uint8_t *buf;
	int r;

	if (len > (1u << 20))
		len = 1u << 20;
	if (!(buf = calloc(1, len)))
		return err_set(e, -ENOMEM, "out of memory");
	if (nosync) {
		le32_put(buf, 0x4D695272u);
		le32_put(buf + 4, 2);
		le64_put(buf + 8, UINT64_MAX);
		memset(buf + 1024, 0xff, len - 1024);
	}
	r = lvm_dev_pwrite(a->pv->path, buf, len, (a->pv->pe_start + (uint64_t)a->pe * vg->extent_size) * 512,
			   "initialising the mirror log", e);
	free(buf);
	return r;
}

int mirror_alloc_log(struct lv_change *ch, const char *name, struct vg_pv *const *used, unsigned nused, bool in_sync,
		     struct vg_lv **out, struct err *e)
{
	struct vg *vg = ch->h->vg;
	char sub[2 * LVM_NAME_LEN + 16];
	struct vg_lv *lg[1], *mt[1];
	int r;

	snprintf(sub, sizeof(sub), "%s_mlog", name);
	if ((r = raid_alloc(ch, vg, sub, 0, 1, false, 1, used, nused, mt, lg, e)) &&
	    (r = raid_alloc(ch, vg, sub, 0, 1, false, 1, NULL, 0, mt, lg, e)))
		return err_set(e, r, "Insufficient suitable allocatable extents for the mirror log of %s", name);
	free(lg[0]->name);
	if (!(lg[0]->name = strdup(sub)))
		return err_set(e, -ENOMEM, "out of memory");
	*out = lg[0];
	return init_log(vg, lg[0], in_sync, e);
}

int mirror_set_seg(struct vg_lv *lv, uint32_t extents, struct vg_lv *const *image, unsigned legs, uint32_t region,
		   struct vg_lv *log, struct err *e)
{
	struct mirror_seg *m;
	struct lv_seg *s;

	if (lv->nseg)
		return err_set(e, -EINVAL, "LV %s: cannot turn a %s LV into mirror", lv->name, lv->seg[0].type);
	if (!(lv->seg = calloc(1, sizeof(*lv->seg))) || !(m = calloc(1, sizeof(*m))))
		return err_set(e, -ENOMEM, "out of memory");
	lv->nseg = 1;
	s = &lv->seg[0];
	*s = (struct lv_seg){ .len = extents, .st = &segtype_mirror, .priv = m, .type = strdup("mirror"),
			      .area = calloc(legs, sizeof(struct lv_area)), .narea = legs };
	if (!s->type || !s->area)
		return err_set(e, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < legs; i++)
		s->area[i].lv = image[i];
	m->region_size = region;
	m->log = log;
	lv->le_count = extents;
	return 0;
}

static int mirror_create(struct lv_change *ch, const struct lv_create_req *req, struct err *e)
{
	struct vg *vg = ch->h->vg;
	unsigned legs = (req->mirrors ? req->mirrors : 1) + 1;
	const char *logtype = req->mirror_log ? req->mirror_log : "disk";
	uint32_t region = req->region_size ? req->region_size : MIRROR_DEFAULT_REGION;
	const char *name;
	struct vg_lv *lv, *image[MIRROR_LEGS_MAX], *log = NULL, *meta[MIRROR_LEGS_MAX];
	struct vg_pv *used[MIRROR_LEGS_MAX];
	char nbuf[LVM_NAME_LEN], sub[2 * LVM_NAME_LEN + 16];
	int r;

	if (strcmp(logtype, "core") && strcmp(logtype, "disk"))
		return err_set(e, -EOPNOTSUPP, "Mirror log type %s is not supported (core or disk).", logtype);
	if (legs > MIRROR_LEGS_MAX)
		return err_set(e, -EINVAL, "Only up to %u images in mirror supported currently.", MIRROR_LEGS_MAX);
	if (req->stripes > 1)
		return err_set(e, -EOPNOTSUPP, "Striped mirror images are not supported: use --type raid10.");
	if (!req->extents)
		return err_set(e, -EINVAL, "Please specify either size or extents.");
	if (region & (region - 1) || region < 8)
		return err_set(e, -EINVAL, "Region size %u is not a power of two of at least 4 KiB.", region);
	if ((r = lv_change_new_name(vg, req, "mirror", nbuf, sizeof(nbuf), &name, e)))
		return r;
	if ((r = lv_change_add_lv(ch, req, name, &lv, e)))
		return r;
	/* each image on a PV no other image uses */
	if ((r = raid_alloc(ch, vg, name, 0, legs, false, req->extents, NULL, 0, meta, image, e)))
		return r;
	for (unsigned i = 0; i < legs; i++) {
		struct vg_lv *img = image[i];

		used[i] = img->seg[0].area[0].pv;
		snprintf(sub, sizeof(sub), "%s_mimage_%u", name, i);
		free(img->name);
		if (!(img->name = strdup(sub)))
			return err_set(e, -ENOMEM, "out of memory");
	}
	/* the log: on a PV of its own if there is one, else anywhere */
	if (!strcmp(logtype, "disk") && (r = mirror_alloc_log(ch, name, used, legs, req->nosync, &log, e)))
		return r;
	if ((r = mirror_set_seg(lv, (uint32_t)req->extents, image, legs, region, log, e)))
		return r;
	if (req->nosync)
		lv->status |= FLAG(LVF_NOTSYNCED);
	if ((r = lvm_vg_commit(ch->env, ch->h, e)))
		return r;
	return lv_change_created(ch, req, name, e);
}

/* A pvmove LV: `pvmove -i 0 SOURCE` ends it (and brings it up if need be). */
static bool mirror_poll(const struct vg *vg, const struct vg_lv *lv, struct dmctl *d, char *buf, size_t size)
{
	const struct lv_area *a = lv->nseg && lv->seg[0].narea ? &lv->seg[0].area[0] : NULL;
	const struct vg_pv *src = a && a->pv ? a->pv : a && a->lv && a->lv->nseg ? a->lv->seg[0].area[0].pv : NULL;

	(void)vg;
	(void)d;
	if (!(lv->status & FLAG(LVF_PVMOVE)) || !src || !src->path)
		return false;
	return (size_t)snprintf(buf, size, "pvmove\n-i\n0\n%s", src->path) < size;
}

/* lvdisplay: "Mirrored volumes"; --maps: lvm2's _mirrored_display. */
static void mirror_display(struct seg_display_ctx *x)
{
	if (x->at == SEG_DISPLAY_MORE && x->lv->nseg)
		fprintf(x->out, "  Mirrored volumes       %u\n", x->lv->seg[0].narea);
}

static void mirror_display_seg(const struct seg_display_ctx *x, const struct lv_seg *s)
{
	const struct mirror_seg *m = s->priv;
	char b[UNITS_BUF];

	fprintf(x->out, "    Mirrors\t\t%u\n", s->narea);
	fprintf(x->out, "    Mirror size\t\t%u\n", seg_area_len(s));
	if (m && m->log)
		fprintf(x->out, "    Mirror log volume\t%s\n", m->log->name);
	if (m && m->region_size)
		fprintf(x->out, "    Mirror region size\t%s\n", x->size(x, m->region_size, b));
	fprintf(x->out, "    Mirror original:\n");
	if (s->narea)
		seg_display_area(x, s, 0, "    ");
	fprintf(x->out, "    Mirror destinations:\n");
	for (unsigned k = 1; k < s->narea; k++)
		seg_display_area(x, s, k, "    ");
	fprintf(x->out, "   \n");
}

const struct segtype segtype_mirror = {
	.name = "mirror",
	.area_key = "mirrors",
	.flags = SEGTYPE_MONITORED,
	.attr_volume = 'm',
	.attr_target = 'm',
	.import = mirror_import,
	.export = mirror_export,
	.validate = mirror_validate,
	.named = mirror_named,
	.free = mirror_free,
	.plan = mirror_plan,
	.owner_of = mirror_owner_of,
	.report = mirror_report,
	.display = mirror_display,
	.display_seg = mirror_display_seg,
	.create = mirror_create,
	.poll = mirror_poll,
	.convert = mirror_convert,
	.missing = mirror_missing,
};
