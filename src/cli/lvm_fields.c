/* The values of lvm2's report fields for PVs, VGs and LVs (lvm_fields.h),
 * as lvm2's lib/report/report.c computes them from the same metadata. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <time.h>

#include "cli/lvm_fields.h"
#include "lvm/activate.h"
#include "lvm/lvref.h"
#include "lvm/mda.h"
#include "lvm/report_lvm.h"
#include "lvm/segtype.h"
#include "lvm/settings.h"

/* A device's state, as ulvmd's "info" gives it. */
#define DEV_OPEN 1u
#define DEV_SUSPENDED 2u
#define DEV_LIVE 4u
#define DEV_INACTIVE 8u
#define DEV_READ_ONLY 16u

static uint8_t info_state(struct json_object *o)
{
	static const struct {
		const char *key;
		uint8_t bit;
	} keys[] = { { "suspended", DEV_SUSPENDED }, { "live_table", DEV_LIVE }, { "inactive_table", DEV_INACTIVE },
		     { "read_only", DEV_READ_ONLY } };
	struct json_object *v;
	uint8_t st = dmctl_info_open(o) ? DEV_OPEN : 0;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (json_object_object_get_ex(o, keys[i].key, &v) && json_object_get_boolean(v))
			st |= keys[i].bit;
	return st;
}

static void load_active(struct lvm_fields *x)
{
	struct json_object *res = NULL;
	struct err e = { { 0 } };

	/* one call for every device: names and open counts, not one per LV */
	if (!lvm_daemon_up(x->c, &x->d) ||
	    dmctl_call(&x->d, "info", json_object_new_object(), &res, &e) || !res)
		return;
	size_t n = json_object_array_length(res);
	x->active = calloc(n + 1, sizeof(*x->active));
	x->state = calloc(n + 1, sizeof(*x->state));
	for (size_t i = 0; x->active && x->state && i < n; i++) {
		struct json_object *o = json_object_array_get_idx(res, i), *name;

		if (json_object_object_get_ex(o, "name", &name)) {
			x->state[x->nactive] = info_state(o);
			x->active[x->nactive++] = strdup(json_object_get_string(name));
		}
	}
	json_object_put(res);
}

/* The DEV_* bits of @lv's device, or -1 when it is not active. */
static int dev_state(const struct lvm_fields *x, const struct vg *vg, const struct vg_lv *lv)
{
	char name[LV_DM_NAME_MAX];

	lv_dm_name(vg, lv, name);
	for (unsigned i = 0; i < x->nactive; i++)
		if (x->active[i] && !strcmp(x->active[i], name))
			return x->state[i];
	return -1;
}

/* 0: not active, 1: active, 2: active and open. */
static int active_state(const struct lvm_fields *x, const struct vg *vg, const struct vg_lv *lv)
{
	int st = dev_state(x, vg, lv);

	return st < 0 ? 0 : st & DEV_OPEN ? 2 : 1;
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

static void lv_attr(const struct lvm_fields *x, const struct vg *vg, const struct vg_lv *lv, char out[11])
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
	if (lv->status & FLAG(LVF_LOCKED)) /* pvmove: capitalised */
		out[2] = (char)(out[2] - 'a' + 'A');
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

/* A binary field as lvm2 shows it by default: @word for 1, blank for 0. */
static void set_bin(struct report_row *r, int field, bool on, const char *word)
{
	report_set_value(r, field, on ? word : "", on);
}

/* A binary field of a device's @state (DEV_* bits, -1: no device), as
 * lvm2's _binary_disp, or _binary_undef_disp without a device. */
static void set_bin_known(struct report_row *r, int field, int state, unsigned bit, const char *word)
{
	if (state < 0)
		report_set_value(r, field, "unknown", UINT64_MAX);
	else
		set_bin(r, field, (unsigned)state & bit, word);
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

/* The sectors a metadata area has left for the next VG text, as lvm2
 * counts them (_mda_free_sectors_raw): half the ring, less a sector of
 * rounding, less the text it holds; -1 for an ignored or unread one. */
static int64_t mda_free(const struct pv_mda *m)
{
	uint64_t max;

	if (m->status || mda_ignored(&m->hdr) || m->hdr.size < MDA_HEADER_SIZE + 1024)
		return -1;
	max = (m->hdr.size - MDA_HEADER_SIZE) / 2 - 512;
	return m->hdr.slot[0].size >= max ? 0 : (int64_t)((max - m->hdr.slot[0].size) >> 9);
}

/* The metadata areas of PVs as lvm2's vg_mda_* and pv_mda_free count
 * them: all, those in use, the least free space and size among these. */
struct mda_sum {
	unsigned count, used;
	int64_t free; /* -1: none in use */
	uint64_t size;
};

static void mda_add(struct mda_sum *s, const struct pv *pv)
{
	for (unsigned j = 0; pv && j < pv->nmda; j++) {
		const struct pv_mda *m = &pv->mda[j];
		int64_t f = mda_free(m);

		s->count++;
		if (f < 0)
			continue;
		s->used++;
		if (s->free < 0 || f < s->free)
			s->free = f;
		if (!s->size || m->locn.size < s->size)
			s->size = m->locn.size;
	}
}

void lvm_fields_vg(struct lvm_fields *x, struct report_row *r, const struct vgh *h)
{
	const struct vg *vg = h->vg;
	char id[LVM_ID_TEXT_LEN + 1], attr[7];

	if (x->sums_of != vg || x->sums_seqno != vg->seqno) {
		x->sums_of = vg;
		x->sums_seqno = vg->seqno;
		x->visible = x->snapshots = 0;
		for (unsigned i = 0; i < vg->nlv; i++) {
			x->visible += !!(vg->lv[i]->status & FLAG(LVF_VISIBLE));
			x->snapshots += lv_internal(vg->lv[i]); /* lvm2's snapshot_count: old-style snapshots */
		}
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
	report_set_u64(r, RF_SNAP_COUNT, x->snapshots);
	report_set_u64(r, RF_VG_SEQNO, vg->seqno);
	report_set_u64(r, RF_MAX_LV, vg->max_lv);
	report_set_u64(r, RF_MAX_PV, vg->max_pv);
	report_set_u64(r, RF_VG_MISSING_PV_COUNT, h->missing);
	if (report_wants(x->rep, RF_VG_MDA_COUNT) || report_wants(x->rep, RF_VG_MDA_USED_COUNT) ||
	    report_wants(x->rep, RF_VG_MDA_FREE) || report_wants(x->rep, RF_VG_MDA_SIZE)) {
		struct mda_sum m = { .free = -1 };

		for (unsigned i = 0; i < vg->npv; i++)
			mda_add(&m, vg->pv[i]->pv);
		report_set_u64(r, RF_VG_MDA_COUNT, m.count);
		report_set_u64(r, RF_VG_MDA_USED_COUNT, m.used);
		if (m.free >= 0)
			report_set_sectors(r, RF_VG_MDA_FREE, (uint64_t)m.free);
		if (m.size)
			report_set_bytes(r, RF_VG_MDA_SIZE, m.size);
	}
	if (vg->metadata_copies)
		report_set_u64(r, RF_VG_MDA_COPIES, vg->metadata_copies);
	else
		report_set_value(r, RF_VG_MDA_COPIES, "unmanaged", UINT64_MAX);
	report_set_str(r, RF_VG_PERMISSIONS, vg->status & FLAG(VGF_WRITE) ? "writeable" : "read-only");
	report_set_str(r, RF_VG_ALLOCATION_POLICY, vg->alloc ? vg->alloc : "normal");
	set_bin(r, RF_VG_EXTENDABLE, vg->status & FLAG(VGF_RESIZEABLE), "extendable");
	set_bin(r, RF_VG_EXPORTED, vg->status & FLAG(VGF_EXPORTED), "exported");
	set_bin(r, RF_VG_PARTIAL, h->missing, "partial");
	set_bin(r, RF_VG_CLUSTERED, vg->status & FLAG(VGF_CLUSTERED), "clustered");
	set_bin(r, RF_VG_SHARED, vg->status & FLAG(VGF_SHARED), "shared");
	set_bin(r, RF_VG_AUTOACTIVATION, !(vg->status & FLAG(VGF_NOAUTOACTIVATE)), "enabled");
}

/* devices, seg_pe_ranges and seg_le_ranges of @s, or of all of @lv's
 * segments (@all). */
static void seg_lists(const struct vg *vg, const struct vg_lv *lv, const struct lv_seg *s, FILE *dev, FILE *ranges,
		      FILE *le, bool all)
{
	for (unsigned i = all ? 0 : (unsigned)(s - lv->seg); i < lv->nseg; i++) {
		const struct lv_seg *g = &lv->seg[i];

		for (unsigned k = 0; k < g->narea; k++) {
			const struct lv_area *a = &g->area[k];
			const char *p = a->lv ? a->lv->name : vg_pv_name(a->pv);
			bool hidden = a->lv && !lv_listed(vg, a->lv);
			/* a sub-LV as lvm2's _format_pvsegs lists it: from 0, all of it */
			uint32_t at = a->lv ? 0 : a->pe, alen = a->lv ? a->lv->le_count : seg_area_len(g);

			fprintf(dev, "%s%s(%u)", ftell(dev) ? "," : "", p, at);
			fprintf(ranges, "%s%s:%u-%u", ftell(ranges) ? " " : "", p, at, at + alen - 1);
			fprintf(le, "%s%s%s%s:%u-%u", ftell(le) ? "," : "", hidden ? "[" : "", p, hidden ? "]" : "", at,
				at + alen - 1);
		}
		if (!all)
			break;
	}
}

/* The LV fields that need no type, and the defaults a type's hook may
 * change (what ulvm, having no kernel devices, reports as lvm2 does for
 * an inactive LV). */
static void lv_generic(struct report_row *r, const struct vg *vg, const struct vg_lv *lv, const char *time_format)
{
	static const unsigned none[] = { RF_LV_KERNEL_MAJOR, RF_LV_KERNEL_MINOR, RF_LV_KERNEL_READ_AHEAD,
					 RF_RAIDINTEGRITYBLOCKSIZE, RF_WRITECACHE_BLOCK_SIZE };
	char buf[LV_DM_NAME_MAX + 16];

	report_set_s64(r, RF_LV_MAJOR, lv->has_major ? lv->major : -1);
	report_set_s64(r, RF_LV_MINOR, lv->has_minor ? lv->minor : -1);
	for (size_t i = 0; i < sizeof(none) / sizeof(*none); i++)
		report_set_s64(r, none[i], -1);
	if (lv->has_read_ahead) /* -1: none, which lvm2 shows as 0 */
		report_set_sectors(r, RF_LV_READ_AHEAD, lv->read_ahead < 0 ? 0 : (uint64_t)lv->read_ahead);
	else
		report_set_value(r, RF_LV_READ_AHEAD, "auto", UINT64_MAX);
	if (lv->has_ctime && report_row_wants(r, RF_LV_TIME)) { /* localtime costs, in a VG of 1000s of LVs */
		time_t t = (time_t)lv->ctime;
		struct tm tm;

		if (localtime_r(&t, &tm) && strftime(buf, sizeof(buf), time_format, &tm))
			report_set_value(r, RF_LV_TIME, buf, (uint64_t)lv->ctime);
	}
	if (report_row_wants(r, RF_LV_DM_PATH)) {
		memcpy(buf, "/dev/mapper/", 12);
		lv_dm_name(vg, lv, buf + 12);
		report_set_str(r, RF_LV_DM_PATH, buf);
	}
}

/* lv_layout, lv_role, lv_modules from what the types said, and lvm2's
 * defaults (lv_layout_and_role): the segments' layout, public or private. */
static void lv_kind(struct report_row *r, const struct vg_lv *lv, struct lv_kind *k)
{
	char role[sizeof(k->role) + 16];
	bool linear = false, striped = false;

	for (unsigned i = 0; i < lv->nseg; i++) {
		linear |= lv->seg[i].striped && lv->seg[i].narea == 1;
		striped |= lv->seg[i].striped && lv->seg[i].narea > 1;
	}
	if (!k->layout[0])
		snprintf(k->layout, sizeof(k->layout), "%s", linear && striped ? "linear,striped" : linear ? "linear"
							      : striped ? "striped" : "unknown");
	snprintf(role, sizeof(role), "%s%s%s", k->private_lv ? "private" : "public", k->role[0] ? "," : "", k->role);
	report_set_str(r, RF_LV_LAYOUT, k->layout);
	report_set_str(r, RF_LV_ROLE, role);
	report_set_str(r, RF_LV_MODULES, k->modules);
}

/* The fields and lv_attr letters @lv's type (or its owner's) adds. */
static void type_report(struct lvm_fields *x, const struct vg *vg, const struct vg_lv *lv, struct report_row *r,
			char attr[11], struct lv_kind *kind)
{
	const struct segtype *st = lv_segtype(lv);
	struct seg_report_ctx sx = { vg, lv, NULL, r, attr, kind };
	const struct vg_lv *o = NULL;

	for (unsigned i = 0; i < vg->nlv; i++) { /* the LVs that name this one */
		const struct segtype *ust = lv_segtype(vg->lv[i]);

		if (vg->lv[i] != lv && ust && ust->report_named) {
			sx.d = sx.d ? sx.d : lvm_daemon_up(x->c, &x->d) ? &x->d : NULL;
			ust->report_named(&sx, vg->lv[i]);
		}
	}
	if (!(st && st->report) && !((o = lv_owner(vg, lv)) && lv_segtype(o)->report))
		return;
	sx.d = lvm_daemon_up(x->c, &x->d) ? &x->d : NULL;
	(o ? lv_segtype(o) : st)->report(&sx, o);
	/* an error or zero LV standing in for a sub-LV (a raid image lvm2's
	 * vgreduce --removemissing --force replaced) is still its owner's:
	 * lvm2's 'e' of a raid metadata LV comes before its 'v' */
	if (!o && (st->flags & SEGTYPE_VIRTUAL) && (o = lv_owner(vg, lv)) && lv_segtype(o)->report)
		lv_segtype(o)->report(&sx, o);
}

/* lvm2's PARTIAL_LV (_lv_mark_if_partial): an area on a missing PV, or an
 * LV it depends on (an area, a pool, an origin...) partial. */
struct partial_walk {
	const struct vg *vg;
	unsigned depth;
};

static bool lv_partial(const struct vg *vg, const struct vg_lv *lv, unsigned depth);

static int partial_ref(const struct lv_ref *r, void *data)
{
	const struct partial_walk *w = data;

	return r->to && r->to != r->from && lv_partial(w->vg, r->to, w->depth + 1);
}

static bool lv_partial(const struct vg *vg, const struct vg_lv *lv, unsigned depth)
{
	struct partial_walk w = { vg, depth };

	if (depth > 16) /* a chain that long is a loop in damaged metadata */
		return false;
	for (unsigned s = 0; s < lv->nseg; s++)
		for (unsigned a = 0; a < lv->seg[s].narea; a++)
			if (lv->seg[s].area[a].pv && !lv->seg[s].area[a].pv->pv)
				return true;
	return lv_refs_each(vg, lv, partial_ref, &w) > 0;
}

void lvm_fields_lv(struct lvm_fields *x, struct report_row *r, const struct vgh *h,
			  const struct vg_lv *lv, const struct lv_seg *seg)
{
	const struct vg *vg = h->vg;
	char id[LVM_ID_TEXT_LEN + 1], attr[11], name[LVM_NAME_LEN + 2], full[2 * LVM_NAME_LEN + 8];
	bool visible = lv_listed(vg, lv);
	struct lv_kind kind = { 0 };

	lvm_fields_vg(x, r, h);
	lvm_id_format(lv->id, id);
	lv_attr(x, vg, lv, attr);
	/* the segment's generic fields first: its type's hook may refine them */
	if (seg) {
		set_tags(r, RF_SEG_TAGS, &seg->tags);
		report_set_str(r, RF_SEGTYPE, seg->st->report_name ? seg->st->report_name(seg) : seg->type);
		report_set_u64(r, RF_STRIPES, seg->striped ? seg->narea : 0);
		report_set_u64(r, RF_DATA_STRIPES, seg->striped ? seg->narea : 0);
		report_set_u64(r, RF_DATA_COPIES, 1);
		report_set_sectors(r, RF_CHUNK_SIZE, 0);
		report_set_value(r, RF_ZERO, "unknown", UINT64_MAX); /* thin pools and LVs say */
		report_set_sectors(r, RF_STRIPE_SIZE, seg->stripe_size);
		report_set_sectors(r, RF_REGION_SIZE, 0); /* mirrors and raid set theirs */
		report_set_sectors(r, RF_SEG_START, (uint64_t)seg->le * vg->extent_size);
		report_set_u64(r, RF_SEG_START_PE, seg->le);
		report_set_sectors(r, RF_SEG_SIZE, (uint64_t)seg->len * vg->extent_size);
		report_set_u64(r, RF_SEG_SIZE_PE, seg->len);
	}
	/* lvm2's report/time_format (--config 'report/time_format="%s"') */
	if (!x->time_format)
		x->time_format = lvm_setting_str(&x->c->env, "report/time_format");
	lv_generic(r, vg, lv, x->time_format);
	type_report(x, vg, lv, r, attr, &kind);
	if (h->missing && lv_partial(vg, lv, 0)) {
		attr[8] = 'p';
		report_set_str(r, RF_LV_HEALTH_STATUS, "partial");
	}
	lv_kind(r, lv, &kind);
	snprintf(name, sizeof(name), visible ? "%s" : "[%s]", lv->name);
	report_set_str_key(r, RF_LV_NAME, name, lv->name); /* "[hidden]" sorts and selects as "hidden" */
	set_tags(r, RF_LV_TAGS, &lv->tags);
	report_set_str(r, RF_LV_UUID, id);
	report_set_str(r, RF_LV_ATTR, attr);
	snprintf(full, sizeof(full), "%s/%s", vg->name, lv->name);
	report_set_str(r, RF_LV_FULL_NAME, full);
	if (visible && !(lv_segtype(lv) && (lv_segtype(lv)->flags & SEGTYPE_NO_PATH))) {
		snprintf(full, sizeof(full), "/dev/%s/%s", vg->name, lv->name);
		report_set_str(r, RF_LV_PATH, full);
	}
	report_set_sectors(r, RF_LV_SIZE, (uint64_t)lv->le_count * vg->extent_size);
	report_set_u64(r, RF_SEG_COUNT, lv->nseg);
	report_set_str(r, RF_LV_ACTIVE, active_state(x, vg, lv) ? "active" : "");
	set_bin(r, RF_LV_ACTIVE_LOCALLY, active_state(x, vg, lv), "active locally");
	{ /* what lvm2 cannot know of a device that is not there: "unknown" */
		int st = dev_state(x, vg, lv);

		set_bin_known(r, RF_LV_DEVICE_OPEN, st, DEV_OPEN, "open");
		set_bin_known(r, RF_LV_SUSPENDED, st, DEV_SUSPENDED, "suspended");
		set_bin_known(r, RF_LV_LIVE_TABLE, st, DEV_LIVE, "live table present");
		set_bin_known(r, RF_LV_INACTIVE_TABLE, st, DEV_INACTIVE, "inactive table present");
		/* lvm2's _lvpermissions_disp */
		report_set_str(r, RF_LV_PERMISSIONS, lv->status & FLAG(LVF_PVMOVE) ? ""
				   : !(lv->status & FLAG(LVF_WRITE)) ? (lv->status & FLAG(LVF_READ) ? "read-only" : "unknown")
				   : st < 0 ? "unknown" : st & DEV_READ_ONLY ? "read-only-override" : "writeable");
	}
	set_bin(r, RF_LV_SKIP_ACTIVATION, lv->status & FLAG(LVF_ACTIVATION_SKIP), "skip activation");
	set_bin(r, RF_LV_FIXED_MINOR, lv->status & FLAG(LVF_FIXED_MINOR), "fixed minor");
	set_bin(r, RF_LV_AUTOACTIVATION, !(lv->status & FLAG(LVF_NOAUTOACTIVATE)), "enabled");
	report_set_str(r, RF_LV_ALLOCATION_POLICY, lv->alloc ? lv->alloc : "inherit");
	report_set_str(r, RF_LV_HOST, lv->host ? lv->host : "");
	if (!seg && lv->nseg == 1)
		seg = &lv->seg[0];
	/* a type without modelled areas (raid) fills them in type_report */
	if ((report_wants(x->rep, RF_DEVICES) || report_wants(x->rep, RF_SEG_PE_RANGES) ||
	     report_wants(x->rep, RF_SEG_LE_RANGES)) && lv->nseg && (seg ? seg : &lv->seg[0])->narea) {
		char *dv = NULL, *rg = NULL, *le = NULL;
		size_t dl = 0, rl = 0, ll = 0;
		FILE *fd = open_memstream(&dv, &dl), *fr = open_memstream(&rg, &rl), *fl = open_memstream(&le, &ll);

		if (fd && fr && fl)
			seg_lists(vg, lv, seg ? seg : &lv->seg[0], fd, fr, fl, !seg);
		if (fd)
			fclose(fd);
		if (fr)
			fclose(fr);
		if (fl)
			fclose(fl);
		if (fd && fr && fl) {
			report_set_str(r, RF_DEVICES, dv);
			report_set_str(r, RF_SEG_PE_RANGES, rg);
			report_set_str(r, RF_SEG_LE_RANGES, le);
		}
		free(dv);
		free(rg);
		free(le);
	}
}

void lvm_fields_free_pvseg(struct lvm_fields *x, struct report_row *r, const struct vgh *h, uint32_t len)
{
	static const unsigned zero_sectors[] = { RF_LV_SIZE, RF_STRIPE_SIZE, RF_REGION_SIZE, RF_CHUNK_SIZE, RF_SEG_START };
	static const unsigned zero_counts[] = { RF_SEG_COUNT, RF_STRIPES, RF_DATA_STRIPES, RF_SEG_START_PE };
	uint64_t E = h ? h->vg->extent_size : 0;

	if (h)
		lvm_fields_vg(x, r, h);
	report_set_str(r, RF_SEGTYPE, "free");
	for (size_t i = 0; i < sizeof(zero_sectors) / sizeof(*zero_sectors); i++)
		report_set_sectors(r, zero_sectors[i], 0);
	for (size_t i = 0; i < sizeof(zero_counts) / sizeof(*zero_counts); i++)
		report_set_u64(r, zero_counts[i], 0);
	report_set_sectors(r, RF_SEG_SIZE, len * E);
	report_set_u64(r, RF_SEG_SIZE_PE, len);
}

/* The size of the device at @path in bytes (0 when it cannot be opened). */
static uint64_t path_bytes(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	off_t n = fd >= 0 ? lseek(fd, 0, SEEK_END) : -1;

	if (fd >= 0)
		close(fd);
	return n > 0 ? (uint64_t)n : 0;
}

void lvm_fields_pv(struct lvm_fields *x, struct report_row *r, const struct vgh *h, const struct lvm_dev *d,
			  const struct vg_pv *p)
{
	static const unsigned zero_sizes[] = { RF_DEV_SIZE, RF_PV_MDA_FREE, RF_PV_MDA_SIZE, RF_PV_SIZE, RF_PV_FREE,
					       RF_PV_USED, RF_PE_START, RF_PV_BA_START, RF_PV_BA_SIZE };
	static const unsigned zero_counts[] = { RF_PV_MDA_COUNT, RF_PV_MDA_USED_COUNT, RF_PV_PE_COUNT,
						RF_PV_PE_ALLOC_COUNT };
	char id[LVM_ID_TEXT_LEN + 1] = "", attr[4] = "---";
	struct stat st;
	struct mda_sum m = { .free = -1 };
	const struct pv *pv = d ? d->pv : NULL;

	if (h)
		lvm_fields_vg(x, r, h);
	else
		report_set_str(r, RF_VG_NAME, "");
	/* what lvm2 shows of a missing PV or of a device with no PV label
	 * (pvs -a), each refined below where known */
	for (size_t i = 0; i < sizeof(zero_sizes) / sizeof(*zero_sizes); i++)
		report_set_sectors(r, zero_sizes[i], 0);
	for (size_t i = 0; i < sizeof(zero_counts) / sizeof(*zero_counts); i++)
		report_set_u64(r, zero_counts[i], 0);
	report_set_str(r, RF_PV_NAME, p ? vg_pv_name(p) : d ? d->path : "[unknown]");
	if (p || pv)
		lvm_id_format(p ? p->id : pv->label.pv_uuid, id);
	report_set_str(r, RF_PV_UUID, id);
	report_set_str(r, RF_PV_FMT, p || pv ? "lvm2" : "");
	if (d && !stat(d->path, &st) && S_ISBLK(st.st_mode)) {
		report_set_fmt(r, RF_PV_MAJOR, "%u", major(st.st_rdev));
		report_set_fmt(r, RF_PV_MINOR, "%u", minor(st.st_rdev));
	} else if (!d) {
		report_set_str(r, RF_PV_MAJOR, "0");
		report_set_str(r, RF_PV_MINOR, "0");
	}
	if (d && !pv)
		report_set_bytes(r, RF_DEV_SIZE, path_bytes(d->path));
	if (pv) {
		/* the device's size as it is now, as lvm2's dev_get_size; the
		 * label's when there is no device to ask */
		uint64_t smallest = UINT64_MAX, now = d ? path_bytes(d->path) : 0;

		if (now)
			report_set_bytes(r, RF_DEV_SIZE, now);
		else
			report_set_sectors(r, RF_DEV_SIZE, pv->label.device_size / 512);
		report_set_u64(r, RF_PV_MDA_COUNT, pv->nmda);
		report_set_u64(r, RF_PV_MDA_USED_COUNT, pv_mdas_in_use(pv));
		for (unsigned i = 0; i < pv->nmda; i++) /* lvm2's pv_mda_size: the smallest area */
			smallest = pv->mda[i].locn.size < smallest ? pv->mda[i].locn.size : smallest;
		if (pv->nmda)
			report_set_bytes(r, RF_PV_MDA_SIZE, smallest);
		mda_add(&m, pv);
		if (m.free >= 0)
			report_set_sectors(r, RF_PV_MDA_FREE, (uint64_t)m.free);
		report_set_u64(r, RF_PV_EXT_VSN, pv->label.ext_version);
	}
	if (p) {
		uint32_t used = vg_pv_used(h->vg, p);
		uint64_t E = h->vg->extent_size;

		attr[0] = p->status & FLAG(PVF_ALLOCATABLE) ? 'a' : 'u'; /* in a VG: used */
		attr[1] = p->status & FLAG(PVF_EXPORTED) ? 'x' : '-';
		attr[2] = p->pv ? '-' : 'm';
		report_set_sectors(r, RF_PV_SIZE, p->pe_count * E);
		report_set_sectors(r, RF_PV_FREE, (p->pe_count - used) * E);
		report_set_sectors(r, RF_PV_USED, used * E);
		report_set_sectors(r, RF_PE_START, p->pe_start);
		report_set_u64(r, RF_PV_PE_COUNT, p->pe_count);
		report_set_u64(r, RF_PV_PE_ALLOC_COUNT, used);
		report_set_sectors(r, RF_PV_BA_START, p->has_ba ? p->ba_start : 0);
		report_set_sectors(r, RF_PV_BA_SIZE, p->has_ba ? p->ba_size : 0);
	} else if (pv) { /* a PV in no VG: all of it free */
		uint64_t s = pv->label.device_size / 512;

		report_set_sectors(r, RF_PV_SIZE, s);
		report_set_sectors(r, RF_PV_FREE, s);
		report_set_sectors(r, RF_PE_START, pv->label.n_data ? pv->label.data[0].offset / 512 : 0);
		report_set_bytes(r, RF_PV_BA_START, pv->label.n_ba ? pv->label.ba[0].offset : 0);
		report_set_bytes(r, RF_PV_BA_SIZE, pv->label.n_ba ? pv->label.ba[0].size : 0);
	}
	report_set_str(r, RF_PV_ATTR, attr);
	set_bin(r, RF_PV_ALLOCATABLE, attr[0] == 'a', "allocatable");
	set_bin(r, RF_PV_EXPORTED, attr[1] == 'x', "exported");
	set_bin(r, RF_PV_MISSING, attr[2] == 'm', "missing");
	set_bin(r, RF_PV_IN_USE, p, "used");
	set_tags(r, RF_PV_TAGS, p ? &p->tags : &(struct strv){ 0 });
}

void lvm_fields_init(struct lvm_fields *x, struct lvm_cmd *c, struct report *rep)
{
	memset(x, 0, sizeof(*x));
	x->c = c;
	x->rep = rep;
	if (!rep || report_objects(rep) & RO_LV_ANY)
		load_active(x);
}

void lvm_fields_role(struct lvm_fields *x, const struct vg *vg, const struct vg_lv *lv, struct lv_kind *kind,
		     bool *active)
{
	char attr[11] = "----------";

	type_report(x, vg, lv, NULL, attr, kind);
	*active = dev_state(x, vg, lv) >= 0;
}

void lvm_fields_free(struct lvm_fields *x)
{
	for (unsigned i = 0; i < x->nactive; i++)
		free(x->active[i]);
	free(x->active);
	free(x->state);
	dmctl_close(&x->d);
}
