/* lvm2's old-style (copy-on-write) snapshots (lib/snapshot/snapshot.c;
 * LVM2-FORMAT.md §10.4): a hidden-by-type LV "snapshotN" whose one
 * segment names the origin LV, the COW LV (cow_store; merging_store while
 * a merge runs) and the chunk size.  The COW LV carries the name the user
 * gave the snapshot.
 *
 * Activation, as lvm2's dev_manager stacks it: the origin's own table
 * moves to the layer "<vg>-<origin>-real" and its device becomes
 * "snapshot-origin" over it; the COW LV's table moves to "<vg>-<cow>-cow"
 * and its device, exported as vg/<cow>, is "snapshot <origin>-real
 * <cow>-cow P <chunk>", the size of the origin.  Both come from the `wrap`
 * hook: whatever plans the origin or the COW LV gets them stacked.
 * snapshotN itself is never activated alone.
 *
 * lvcreate -s -L SIZE [-c CHUNK] -n NAME VG/ORIGIN: the COW LV NAME
 * (hidden, SIZE, its first 4 KiB zeroed: a fresh store), the next free
 * snapshotN naming the origin and it; the origin, if active, is
 * restacked over its -real layer first, then the snapshot comes up, so
 * the snapshot holds the origin as it is when its device resumes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/dmctl.h"
#include "common/report.h"
#include "common/log.h"
#include "common/units.h"
#include "lvm/activate.h"
#include "lvm/alloc.h"
#include "lvm/devices.h"
#include "lvm/lvref.h"
#include "lvm/report_lvm.h"
#include "lvm/segtype.h"
#include "lvm/vg_internal.h"
#include "lvm/wipe.h"
#include "lvm/settings.h"

extern const struct segtype segtype_snapshot;

struct snapshot_seg {
	uint32_t chunk;        /* sectors */
	const char *origin, *cow;
	bool merging;
};

static void snapshot_free(struct lv_seg *s)
{
	free(s->priv);
	s->priv = NULL;
}

static int snapshot_parse(const struct vg *vg, struct lv_seg *s, struct err *e)
{
	struct snapshot_seg *m;
	struct err ignore = { { 0 } };

	(void)vg;
	snapshot_free(s);
	if (!(m = calloc(1, sizeof(*m))))
		return err_set(e, -ENOMEM, "out of memory");
	if (cfg_get_u32(s->raw, "chunk_size", &m->chunk, &ignore) || cfg_get_str(s->raw, "origin", &m->origin, &ignore))
		m->origin = NULL;
	if (cfg_get_str(s->raw, "cow_store", &m->cow, &ignore)) {
		m->merging = !cfg_get_str(s->raw, "merging_store", &m->cow, &ignore);
		if (!m->merging)
			m->cow = NULL;
	}
	if (!m->origin || !m->cow || !m->chunk || m->chunk & (m->chunk - 1)) {
		free(m);
		return err_set(e, -EINVAL, "snapshot segment: origin, cow_store and a chunk_size that is a power of two "
			       "are needed");
	}
	s->priv = m;
	return 0;
}

static int snapshot_plan(struct lv_plan *p, const struct vg *vg, const struct vg_lv *lv, struct err *e)
{
	const struct snapshot_seg *m = lv_seg_model(lv, lv_segtype(lv));

	(void)p;
	return err_set(e, -EINVAL, "LV %s/%s is the internal LV of snapshot %s/%s: activate that.", vg->name, lv->name,
		       vg->name, m ? m->cow : "?");
}

static bool merging_into(const struct vg *vg, const struct vg_lv *origin)
{
	for (unsigned i = 0; i < vg->nlv; i++) {
		const struct snapshot_seg *o = lv_seg_model(vg->lv[i], lv_segtype(vg->lv[i]));

		if (lv_segtype(vg->lv[i]) == &segtype_snapshot && o && o->merging && !strcmp(o->origin, origin->name))
			return true;
	}
	return false;
}

/* A merging snapshot's origin, as lvm2 stacks it: the origin's table on
 * its -real layer, the COW LV's on its -cow layer, and the origin's own
 * device "snapshot-merge <real> <cow> P <chunk>". */
static int merge_wrap(struct lv_plan *p, const struct vg *vg, const struct snapshot_seg *m, const struct vg_lv *origin,
		      const struct vg_lv *cow, const char *real, struct err *e)
{
	char cowdev[LV_DM_NAME_MAX + 8], *t;
	int r;

	lv_plan_push_layer(p, origin, "real");
	if ((r = lv_plan_sub(p, cow, true, e)))
		return r;
	lv_plan_push_layer(p, cow, "cow");
	lv_dm_layer_name(vg, cow, "cow", cowdev, sizeof(cowdev));
	if (asprintf(&t, "0 %" PRIu64 " snapshot-merge /dev/mapper/%s /dev/mapper/%s P %u",
		     (uint64_t)origin->le_count * vg->extent_size, real, cowdev, m->chunk) < 0)
		return err_set(e, -ENOMEM, "out of memory");
	return lv_plan_add(p, origin, NULL, t, e) ? 0 : -ENOMEM;
}

static int snapshot_wrap(struct lv_plan *p, const struct vg *vg, const struct vg_lv *user, const struct vg_lv *lv,
			 struct err *e)
{
	const struct snapshot_seg *m = lv_seg_model(user, lv_segtype(user));
	const struct vg_lv *origin, *cow;
	char real[LV_DM_NAME_MAX + 8], cowdev[LV_DM_NAME_MAX + 8], *t;
	int r;

	if (!m || !(origin = vg_find_lv(vg, m->origin)) || !(cow = vg_find_lv(vg, m->cow)) ||
	    (lv != origin && lv != cow))
		return 0;
	lv_dm_layer_name(vg, origin, "real", real, sizeof(real));
	if (m->merging) /* the origin becomes snapshot-merge; the COW LV is only its store */
		return lv == origin ? merge_wrap(p, vg, m, origin, cow, real, e) : 0;
	if (lv == origin) {
		/* another snapshot of it stacked it already, or one merges into it */
		if (lv_plan_find(p, real) || merging_into(vg, origin))
			return 0;
		lv_plan_push_layer(p, origin, "real");
		if (asprintf(&t, "0 %" PRIu64 " snapshot-origin /dev/mapper/%s", (uint64_t)origin->le_count * vg->extent_size,
			     real) < 0)
			return err_set(e, -ENOMEM, "out of memory");
		return lv_plan_add(p, origin, NULL, t, e) ? 0 : -ENOMEM;
	}
	lv_plan_push_layer(p, cow, "cow");
	/* a hidden origin (a sparse snapshot's zero LV) comes and goes with
	 * the snapshot: nothing else uses it */
	if ((r = lv_plan_sub(p, origin, !(origin->status & FLAG(LVF_VISIBLE)), e)))
		return r;
	lv_dm_layer_name(vg, cow, "cow", cowdev, sizeof(cowdev));
	/* the origin as it was when the snapshot was made: snapshotN's size
	 * (an origin grown since is larger) */
	if (asprintf(&t, "0 %" PRIu64 " snapshot /dev/mapper/%s /dev/mapper/%s P %u",
		     (uint64_t)user->le_count * vg->extent_size, real, cowdev, m->chunk) < 0)
		return err_set(e, -ENOMEM, "out of memory");
	return lv_plan_add(p, cow, NULL, t, e) ? 0 : -ENOMEM;
}

/* The origin: 'o' (target 's').  The COW LV, which lvs shows as the snapshot: 's',
 * its origin, and how full it is from the snapshot device's status
 * ("<allocated>/<total> <metadata>", or Invalid: state 'I'). */
/* The snapshot device of COW LV @cow: sectors of its COW device used and
 * in all (its status line).  1: active and valid; 0: Invalid; -1: not
 * active, no daemon, or another state. */
static int cow_usage(struct dmctl *d, const struct vg *vg, const struct vg_lv *cow, uint64_t *used, uint64_t *total)
{
	char name[LV_DM_NAME_MAX], *line = NULL;
	struct err e = { { 0 } };
	int r;

	lv_dm_name(vg, cow, name);
	if (!d || !dmctl_up(d) || dmctl_status(d, name, &line, &e))
		return -1;
	if (sscanf(line, "%*u %*u snapshot %" SCNu64 "/%" SCNu64, used, total) == 2 && *total)
		r = 1;
	else
		r = strstr(line, "Invalid") ? 0 : -1;
	free(line);
	return r;
}

/* An origin of old snapshots: its role, its size and the COW LVs (the
 * snapshots by their names), all of them at once. */
static void origin_kind(const struct seg_report_ctx *x)
{
	char list[1024] = "";
	unsigned n = 0;
	size_t len = 0;

	for (unsigned i = 0; i < x->vg->nlv; i++) {
		const struct vg_lv *l = x->vg->lv[i];
		const struct snapshot_seg *o = lv_segtype(l) == &segtype_snapshot ? lv_seg_model(l, lv_segtype(l)) : NULL;

		if (o && !strcmp(o->origin, x->lv->name) && len < sizeof(list)) {
			len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s", len ? "," : "", o->cow);
			n++;
		}
	}
	/* a hidden origin is a sparse snapshot's zero LV: lvm2's virtual origin */
	seg_report_kind(x, x->lv->status & FLAG(LVF_VISIBLE) ? NULL : "virtual",
			n > 1 ? "origin,thickorigin,multithickorigin" : "origin,thickorigin", "snapshot",
			!(x->lv->status & FLAG(LVF_VISIBLE)));
	report_set_sectors(x->row, RF_ORIGIN_SIZE, (uint64_t)x->lv->le_count * x->vg->extent_size);
	report_set_str(x->row, RF_LV_DESCENDANTS, list);
	report_set_str(x->row, RF_LV_FULL_DESCENDANTS, list);
}

static void snapshot_report_named(const struct seg_report_ctx *x, const struct vg_lv *user)
{
	const struct snapshot_seg *m = lv_seg_model(user, lv_segtype(user));
	uint64_t used, total;
	int u;

	if (!m)
		return;
	if (!strcmp(x->lv->name, m->origin)) {
		x->attr[0] = m->merging ? 'O' : 'o';
		x->attr[6] = 's';
		origin_kind(x);
		return;
	}
	if (strcmp(x->lv->name, m->cow))
		return;
	x->attr[0] = 's';
	x->attr[6] = 's';
	seg_report_lv(x, RF_ORIGIN, RF_ORIGIN_UUID, m->origin);
	seg_report_kind(x, NULL, "snapshot,thicksnapshot", "snapshot", false);
	report_set_sectors(x->row, RF_CHUNK_SIZE, m->chunk);
	report_set_sectors(x->row, RF_ORIGIN_SIZE, (uint64_t)user->le_count * x->vg->extent_size);
	report_set_str(x->row, RF_LV_ANCESTORS, m->origin);
	report_set_str(x->row, RF_LV_FULL_ANCESTORS, m->origin);
	if ((u = cow_usage(x->d, x->vg, x->lv, &used, &total)) > 0) {
		int32_t pct = report_make_percent(used, total);

		report_set_percent(x->row, RF_DATA_PERCENT, pct);
		report_set_percent(x->row, RF_SNAP_PERCENT, pct);
	} else if (!u) {
		x->attr[4] = 'I';
	}
}

/* lvdisplay of the origin ("source of" each COW LV) and of the COW LV,
 * which lvdisplay shows with its origin's size, as lvm2's lvdisplay_full. */
static void snapshot_display_named(struct seg_display_ctx *x, const struct vg_lv *user)
{
	const struct snapshot_seg *m = lv_seg_model(user, lv_segtype(user));
	const struct vg_lv *cow = m ? vg_find_lv(x->vg, m->cow) : NULL, *origin = m ? vg_find_lv(x->vg, m->origin) : NULL;
	uint64_t used = 0, total = 0;
	char b[UNITS_BUF];
	bool active;

	if (!cow || !origin || (x->lv != cow && x->lv != origin))
		return;
	active = x->at != SEG_DISPLAY_SIZE && cow_usage(x->d, x->vg, cow, &used, &total) > 0;
	switch (x->at) {
	case SEG_DISPLAY_NAMES:
		if (x->lv == cow) {
			fprintf(x->out, "  LV snapshot status     %s destination for %s\n", active ? "active" : "INACTIVE",
				origin->name);
			break;
		}
		if (!x->said++)
			fprintf(x->out, "  LV snapshot status     source of\n");
		fprintf(x->out, "                         %s [%s]\n", cow->name, active ? "active" : "INACTIVE");
		break;
	case SEG_DISPLAY_SIZE:
		if (x->lv == cow)
			x->le_count = origin->le_count;
		break;
	case SEG_DISPLAY_MORE:
		if (x->lv != cow)
			break;
		fprintf(x->out, "  COW-table size         %s\n", x->size(x, (uint64_t)cow->le_count * x->vg->extent_size, b));
		fprintf(x->out, "  COW-table LE           %u\n", cow->le_count);
		if (active)
			fprintf(x->out, "  Allocated to snapshot  %.2f%%\n", 100.0 * used / total);
		fprintf(x->out, "  Snapshot chunk size    %s\n", x->size(x, m->chunk, b));
		break;
	default:
		break;
	}
}

/* The origin of a sparse snapshot (lvm2's _create_virtual_origin): a
 * hidden, read-only zero LV of the virtual size, NAME_vorigin, after the
 * COW LV in the VG.  lvm2 calls it a virtual origin (VIRTUAL_ORIGIN, not
 * in the text): an origin that is not visible. */
static int sparse_origin(struct lv_change *ch, const struct lv_create_req *req, const char *vname,
			 struct vg_lv **out, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct cfg_node *sn;
	int r;

	if ((r = vg_add_lv(vg, vname, out, e)))
		return r;
	(*out)->status &= ~(FLAG(LVF_VISIBLE) | FLAG(LVF_WRITE));
	if (!(sn = seg_new_raw(vg, (uint32_t)req->virtual_extents, "zero")))
		return err_set(e, -ENOMEM, "out of memory");
	return lv_set_raw_seg(vg, *out, (uint32_t)req->virtual_extents, segtype_find("zero"), sn, e);
}

/* The most a COW LV of @origin can use with chunks of @chunk sectors,
 * in extents (lvm2's cow_max_extents): a header chunk, a chunk per
 * origin chunk, and the metadata chunks indexing them (16 bytes each, and
 * a terminator).  lvm2 adds 1/64 for kernels that leak chunks after a
 * crash; ulvm's store does not, nor do the kernels lvm2 checks for. */
static uint32_t cow_max_extents(const struct vg *vg, const struct vg_lv *origin, uint32_t chunk)
{
	uint64_t origin_chunks = ((uint64_t)origin->le_count * vg->extent_size + chunk - 1) / chunk;
	uint64_t per_area = (uint64_t)chunk << (9 - 4);
	uint64_t size = (1 + origin_chunks + (origin_chunks + per_area) / per_area) * chunk;
	uint64_t ext = (size + vg->extent_size - 1) / vg->extent_size;

	return ext > UINT32_MAX ? UINT32_MAX : (uint32_t)ext;
}

static int snapshot_create(struct lv_change *ch, const struct lv_create_req *req, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct vg_lv *origin = req->origin, *cow, *lv;
	uint32_t chunk = req->chunk_size ? req->chunk_size : 8;
	char name[LVM_NAME_LEN], internal[LVM_NAME_LEN], vname[LVM_NAME_LEN];
	struct cfg_node *sn;
	int r;

	uint64_t extents = req->extents;
	char b1[UNITS_BUF], b2[UNITS_BUF];

	if (!origin && !req->virtual_extents)
		return err_set(e, -EINVAL, "Please specify the origin of the snapshot (-s VG/LV).");
	/* -l N%ORIGIN: room for N % of the origin's chunks and the metadata of all */
	if (origin && req->origin_pct)
		extents = cow_max_extents(vg, origin, chunk) - origin->le_count +
			  ((uint64_t)origin->le_count * req->origin_pct + 99) / 100;
	if (!extents || (origin && req->virtual_extents))
		return err_set(e, -EINVAL, "A snapshot needs -L/--size (or -l) for its COW space; -V makes thin ones.");
	if (chunk < 8 || chunk > 1024 || chunk & (chunk - 1))
		return err_set(e, -EINVAL, "Chunk size must be a power of 2 in the range 4K to 512K.");
	if (req->virtual_extents > UINT32_MAX)
		return err_set(e, -EINVAL, "Virtual size too large.");
	if (origin && extents > cow_max_extents(vg, origin, chunk)) {
		fprintf(ch->out, "  Reducing COW size %s down to maximum usable size %s.\n",
			lv_change_size(b1, extents * vg->extent_size),
			lv_change_size(b2, (uint64_t)cow_max_extents(vg, origin, chunk) * vg->extent_size));
		extents = cow_max_extents(vg, origin, chunk);
	}
	if (origin && (!(origin->status & FLAG(LVF_VISIBLE)) || lv_internal(origin) || lv_stands_for(vg, origin) ||
		       !lv_segtype(origin) || !lv_segtype(origin)->plan))
		return err_set(e, -EINVAL, "Snapshots of %s/%s are not supported.", vg->name, origin->name);
	if (req->name)
		snprintf(name, sizeof(name), "%s", req->name);
	else
		vg_next_lv_name(vg, name, sizeof(name));
	if ((r = vg_check_new_lv_name(vg, name, e)))
		return r;
	if (!origin && snprintf(vname, sizeof(vname), "%s_vorigin", name) >= (int)sizeof(vname))
		return err_set(e, -EINVAL, "Virtual origin name is too long.");
	if (!origin && vg_find_lv(vg, vname))
		return err_set(e, -EEXIST, "Logical Volume \"%s\" already exists in volume group \"%s\"", vname, vg->name);
	for (unsigned i = 0;; i++) {
		snprintf(internal, sizeof(internal), "snapshot%u", i);
		if (!vg_find_lv(vg, internal))
			break;
	}
	/* a zero header: the snapshot target makes a fresh store */
	if ((r = lv_change_add_hidden(ch, name, (uint32_t)extents, false, &cow, e)) ||
	    (r = lv_wipe_new(vg, cow, false, LV_ZERO_START, e)) || (!origin && (r = sparse_origin(ch, req, vname, &origin, e))) ||
	    (r = vg_add_lv(vg, internal, &lv, e)))
		return r;
	if (!(sn = seg_new_raw(vg, origin->le_count, "snapshot")))
		return err_set(e, -ENOMEM, "out of memory");
	cfg_add_int(sn, "chunk_size", chunk);
	cfg_add_str(sn, "origin", origin->name);
	cfg_add_str(sn, "cow_store", cow->name);
	lv->le_count = origin->le_count;
	if ((r = lv_set_raw_seg(vg, lv, origin->le_count, &segtype_snapshot, sn, e)) ||
	    (r = lvm_vg_commit(ch->env, ch->h, e)))
		return r;
	fprintf(ch->out, "  Logical volume \"%s\" created.\n", name);
	if (!req->activate || !dmctl_up(ch->d))
		return 0;
	if (lv_dm_active(ch->d, vg, origin) && (r = lv_dm_restack(ch->d, ch->env, vg, origin, e)))
		return err_set(e, r, "Failed to stack %s/%s on the new snapshot (it is in the VG; lvchange -ay %s/%s "
				     "activates it)", vg->name, origin->name, vg->name, name);
	if ((r = lvm_lv_activate(ch->env, ch->d, vg, cow, e)))
		return err_set(e, r, "Failed to activate new LV %s/%s", vg->name, name);
	return 0;
}

/* lvreduce of a snapshot (its COW LV @lv) to @target extents.  lvm2
 * cuts the COW LV whatever it holds, and a store cut below its chunks is
 * lost (the kernel's snapshot goes invalid).  Here the snapshot must be
 * active, so that its status says how much of the store is in use, and
 * the new size must keep that and room for the next metadata chunk; an
 * invalid snapshot holds nothing to keep.  After lvm2's warning and
 * question the COW LV loses its last extents and the snapshot's table is
 * reloaded. */
static int snapshot_reduce(struct lv_change *ch, struct vg_lv *lv, const struct lv_resize_req *req, uint64_t target,
			   struct err *e)
{
	struct vg *vg = ch->h->vg;
	const struct vg_lv *snap = lv_stands_for(vg, lv);
	const struct snapshot_seg *m = snap ? lv_seg_model(snap, &segtype_snapshot) : NULL;
	uint64_t used = 0, total = 0;
	uint32_t old = lv->le_count;
	char b1[UNITS_BUF], b2[UNITS_BUF];
	int r, u;

	if (!m)
		return err_set(e, -EINVAL, "LV %s/%s is not the store of a snapshot.", vg->name, lv->name);
	if (!target)
		return err_set(e, -EINVAL, "Unable to reduce %s/%s below 1 extent.", vg->name, lv->name);
	if ((u = cow_usage(ch->d, vg, lv, &used, &total)) < 0)
		return err_set(e, -ENOTCONN, "Snapshot %s/%s is reduced only while active: its status says how much of "
					     "its store is in use (lvchange -ay %s/%s).", vg->name, lv->name, vg->name,
			       lv->name);
	if (u && target * vg->extent_size < used + m->chunk)
		return err_set(e, -ENOSPC, "Snapshot %s/%s holds %s of changes and metadata: it cannot be reduced to "
					   "%s.", vg->name, lv->name, lv_change_size(b1, used),
			       lv_change_size(b2, target * vg->extent_size));
	if (req->confirm_reduce && (r = req->confirm_reduce(req->ctx, lv, target)))
		return err_set(e, r, "Logical volume %s/%s NOT reduced.", vg->name, lv->name);
	if ((r = lv_reduce(lv, old - (uint32_t)target, e)) || (r = lvm_vg_commit(ch->env, ch->h, e)))
		return r;
	return lv_change_resized(ch, lv, lv, old, true, e);
}

/* lvextend of a snapshot (its COW LV @lv): +SIZE, SIZE, or with
 * --use-policies (ulvmd --on-event) by snapshot_autoextend_percent once use
 * passes snapshot_autoextend_threshold (activation section, lvm2's
 * names; 100: off).  The COW LV grows, the snapshot's table is reloaded
 * and its store loads again with the room.  Reducing: snapshot_reduce. */
static int snapshot_resize(struct lv_change *ch, struct vg_lv *lv, const struct lv_resize_req *req, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct alloc_req areq = { .stripes = 1, .ranges = ch->ranges, .nranges = ch->nranges };
	uint64_t ext = req->extents;
	uint32_t old = lv->le_count;
	const struct snapshot_seg *m;
	const struct vg_lv *snap, *origin;
	int r;

	if (req->metadata)
		return err_set(e, -EINVAL, "--poolmetadatasize applies to thin pools.");
	if (lv_internal(lv))
		return err_set(e, -EINVAL, "Cannot resize internal LV %s/%s: resize its snapshot.", vg->name, lv->name);
	if (req->policies) {
		int64_t th = lvm_setting_int(ch->env, "activation/snapshot_autoextend_threshold");
		int64_t pct = lvm_setting_int(ch->env, "activation/snapshot_autoextend_percent");
		uint64_t used = 0, total = 0;

		if (th >= 100 || pct <= 0) {
			fprintf(ch->out, "  Snapshot %s/%s: autoextend is off (snapshot_autoextend_threshold).\n",
				vg->name, lv->name);
			return 0;
		}
		if (cow_usage(ch->d, vg, lv, &used, &total) <= 0)
			return err_set(e, -ENOTCONN, "Snapshot %s/%s is not active and valid.", vg->name, lv->name);
		if (used * 100 < (uint64_t)th * total) {
			fprintf(ch->out, "  Snapshot %s/%s: %" PRIu64 "/%" PRIu64 " sectors used: under the threshold of "
				"%" PRId64 "%%.\n", vg->name, lv->name, used, total, th);
			return 0;
		}
		ext = ((uint64_t)old * (uint64_t)pct + 99) / 100;
		log_info("autoextend: snapshot %s/%s by %" PRIu64 " extents", vg->name, lv->name, ext);
	} else if (req->sign == '-' || (!req->sign && req->extents < old)) {
		return snapshot_reduce(ch, lv, req, req->sign == '-' ? (ext < old ? old - ext : 0) : ext, e);
	} else if (!req->sign) {
		ext = req->extents - old;
	}
	/* no bigger than the whole origin needs (lvm2's cow_max_extents) */
	if ((snap = lv_stands_for(vg, lv)) && (m = lv_seg_model(snap, &segtype_snapshot)) &&
	    (origin = vg_find_lv(vg, m->origin)) && ext && (uint64_t)old + ext > cow_max_extents(vg, origin, m->chunk)) {
		uint32_t max = cow_max_extents(vg, origin, m->chunk);
		char b[UNITS_BUF];

		fprintf(ch->out, "  Reached maximum COW size %s (%u extents).\n",
			lv_change_size(b, (uint64_t)max * vg->extent_size), max);
		ext = max > old ? max - old : 0;
		if (!ext && req->policies)
			return 0;
	}
	if (!ext)
		return err_set(e, -EINVAL, "New size (%u extents) matches existing size (%u extents).", old, old);
	if ((uint64_t)old + ext > UINT32_MAX)
		return err_set(e, -EINVAL, "Size too large.");
	areq.extents = (uint32_t)ext;
	if ((r = alloc_extend(vg, lv, &areq, e)) || (r = lvm_vg_commit(ch->env, ch->h, e)))
		return r;
	return lv_change_resized(ch, lv, lv, old, true, e);
}

/* The internal LV of the snapshot whose COW LV is @cow, or NULL. */
static struct vg_lv *internal_of(const struct vg *vg, const struct vg_lv *cow)
{
	for (unsigned i = 0; i < vg->nlv; i++) {
		const struct snapshot_seg *m = lv_seg_model(vg->lv[i], &segtype_snapshot);

		if (m && !strcmp(m->cow, cow->name))
			return vg->lv[i];
	}
	return NULL;
}

/* The merging origin's device: "<allocated>/<total> <metadata>". 1 ended,
 * 0 going on (*@pct merged), -errno. */
static int merge_progress(struct dmctl *d, const char *name, double *pct)
{
	char *line = NULL;
	struct err e = { { 0 } };
	uint64_t used, total, meta;
	int r = -EIO;

	if (dmctl_status_of(d, name, "snapshot-merge", &line, &e))
		return -ENODEV;
	if (sscanf(line, "%*u %*u snapshot-merge %" SCNu64 "/%" SCNu64 " %" SCNu64, &used, &total, &meta) == 3 && total) {
		/* lvm2: 100 - the COW use, which counts as 0 once only metadata is left */
		*pct = used <= meta ? 100.0 : 100.0 - 100.0 * (double)used / (double)total;
		r = used <= meta;
	}
	free(line);
	return r;
}

/* lvconvert --merge VG/SNAP: the snapshot segment names its COW LV as
 * merging_store (lvm2's MERGING), its internal LV hidden; the origin, if
 * active and not open, comes up again as snapshot-merge and the merge is
 * followed to its end, then the snapshot goes.  An open origin merges at
 * its next activation (run lvconvert --merge again to follow it and
 * remove the snapshot). */
static int snapshot_convert(struct lv_change *ch, struct vg_lv *lv, const struct lv_convert_req *req, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct vg_lv *in = internal_of(vg, lv), *origin;
	struct snapshot_seg *m;
	char oname[LV_DM_NAME_MAX], cowname[LVM_NAME_LEN], origname[LVM_NAME_LEN];
	struct lv_plan merged;
	uint64_t used, total;
	time_t last = 0;
	double pct = 0;
	int r;

	if (!req->merge || !in)
		return err_set(e, -EOPNOTSUPP, "Operation not permitted on snapshot %s/%s: only --merge.", vg->name,
			       lv->name);
	m = lv_seg_model(in, &segtype_snapshot);
	if (!(origin = vg_find_lv(vg, m->origin)))
		return err_set(e, -ENOENT, "The origin %s of snapshot %s/%s is missing.", m->origin, vg->name, lv->name);
	snprintf(cowname, sizeof(cowname), "%s", lv->name);
	snprintf(origname, sizeof(origname), "%s", origin->name);
	lv_dm_name(vg, origin, oname);
	if (!m->merging) {
		struct cfg_node *n = cfg_find(in->seg[0].raw, "cow_store");

		for (unsigned i = 0; i < vg->nlv; i++) {
			const struct snapshot_seg *o = lv_seg_model(vg->lv[i], &segtype_snapshot);

			if (o && o->merging && !strcmp(o->origin, origin->name))
				return err_set(e, -EBUSY, "Cannot merge snapshot %s/%s into the origin %s/%s with merging "
					       "snapshot %s/%s.", vg->name, lv->name, vg->name, origin->name, vg->name, o->cow);
		}
		/* a sparse snapshot's zero origin is read-only too */
		if (!(origin->status & FLAG(LVF_WRITE)))
			return err_set(e, -EROFS, "Cannot merge snapshot %s/%s into the read-only origin %s/%s. (Use "
				       "lvchange -p rw).", vg->name, lv->name, vg->name, origin->name);
		if (cow_usage(ch->d, vg, lv, &used, &total) == 0)
			return err_set(e, -EINVAL, "Unable to merge invalidated snapshot LV %s/%s.", vg->name, lv->name);
		if (!n)
			return err_set(e, -EINVAL, "Snapshot %s/%s: its segment has no cow_store.", vg->name, lv->name);
		cfg_remove(n);
		if (!cfg_add_str(in->seg[0].raw, "merging_store", cowname) || (r = seg_reparse(vg, &in->seg[0], e)))
			return err_set(e, -ENOMEM, "out of memory");
		in->status &= ~FLAG(LVF_VISIBLE);
		if ((r = lvm_vg_commit(ch->env, ch->h, e)))
			return r;
		vg = ch->h->vg;
		origin = vg_find_lv(vg, origname);
		if (!dmctl_up(ch->d) || !lv_dm_active(ch->d, vg, origin)) {
			fprintf(ch->out, "  Merging of snapshot %s/%s will occur on next activation of %s/%s.\n", vg->name,
				cowname, vg->name, origname);
			return 0;
		}
		if (dmctl_open(ch->d, oname)) {
			fprintf(ch->out, "  Delaying merge since origin is open.\n");
			fprintf(ch->out, "  Merging of snapshot %s/%s will occur on next activation of %s/%s.\n", vg->name,
				cowname, vg->name, origname);
			return 0;
		}
		{ /* the origin again, as snapshot-merge; its other active snapshots back on it */
			struct vg_lv *back[64];
			unsigned nback = 0;

			for (unsigned i = 0; i < vg->nlv && nback < 64; i++) {
				const struct snapshot_seg *o = lv_seg_model(vg->lv[i], &segtype_snapshot);
				struct vg_lv *c = o && !o->merging && !strcmp(o->origin, origname) ? vg_find_lv(vg, o->cow) : NULL;

				if (c && lv_dm_active(ch->d, vg, c))
					back[nback++] = c;
			}
			if ((r = lvm_lv_deactivate(ch->d, vg, origin, e)) ||
			    (r = lvm_lv_activate(ch->env, ch->d, vg, origin, e)))
				return err_set(e, r, "Can't initialize snapshot merge");
			for (unsigned i = 0; i < nback; i++)
				if ((r = lvm_lv_activate(ch->env, ch->d, vg, back[i], e)))
					return err_set(e, r, "The merge started, but snapshot %s/%s did not come back: %s",
						       vg->name, back[i]->name, e->msg);
		}
		fprintf(ch->out, "  Merging of volume %s/%s started.\n", vg->name, cowname);
	} else if (!dmctl_up(ch->d) || !lv_dm_active(ch->d, vg, origin)) {
		fprintf(ch->out, "  Merging of snapshot %s/%s will occur on next activation of %s/%s.\n", vg->name, cowname,
			vg->name, origname);
		return 0;
	}
	while ((r = merge_progress(ch->d, oname, &pct)) == 0) {
		if (req->interval > 0 && time(NULL) - last >= req->interval) {
			fprintf(ch->out, "  %s/%s: Merged: %.2f%%\n", vg->name, origname, pct > 99.99 ? 99.99 : pct);
			fflush(ch->out);
			last = time(NULL);
		}
		nanosleep(&(struct timespec){ 0, 100000000 }, NULL);
	}
	if (r < 0)
		return err_set(e, r, "%s/%s: Merge failed. Retry merge or inspect manually.", vg->name, origname);
	if (req->interval > 0)
		fprintf(ch->out, "  %s/%s: Merged: 100.00%%\n", vg->name, origname);
	/* the merge plan, to take its -real and -cow layers down after */
	if ((r = lv_plan_build(&merged, vg, ch->env, origin, e)))
		return r;
	vg_remove_lv(vg, in);
	vg_remove_lv(vg, lv);
	if (!(r = lvm_vg_commit(ch->env, ch->h, e))) {
		vg = ch->h->vg;
		r = lv_dm_restack_since(ch->d, ch->env, vg, vg_find_lv(vg, origname), &merged, e);
	}
	lv_plan_free(&merged);
	if (r)
		return r;
	fprintf(ch->out, "  Merge of snapshot into logical volume %s/%s has finished.\n", vg->name, origname);
	fprintf(ch->out, "  Logical volume \"%s\" successfully removed.\n", cowname);
	return 0;
}

/* A merging snapshot whose origin is active (as snapshot-merge): `lvconvert
 * --merge -i 0 VG/SNAP` ends it and removes the snapshot. */
static bool snapshot_poll(const struct vg *vg, const struct vg_lv *lv, struct dmctl *d, char *buf, size_t size)
{
	const struct snapshot_seg *m = lv_seg_model(lv, &segtype_snapshot);
	const struct vg_lv *origin = m ? vg_find_lv(vg, m->origin) : NULL;

	if (!m || !m->merging || !origin || !dmctl_up(d) || !lv_dm_active(d, vg, origin))
		return false;
	return (size_t)snprintf(buf, size, "lvconvert\n--merge\n-i\n0\n%s/%s", vg->name, m->cow) < size;
}

/* lvextend of the origin (lvm2's _lvresize_check_type): it grows while
 * it and its snapshots are inactive; the snapshots keep their size
 * (snapshotN's extent count), so they show the origin as it was and the
 * new extents are never copied into their stores. */
static int snapshot_resize_named(struct lv_change *ch, const struct vg_lv *user, const struct vg_lv *lv, bool grow,
				 struct err *e)
{
	const struct snapshot_seg *m = lv_seg_model(user, &segtype_snapshot);
	const struct vg *vg = ch->h->vg;
	const struct vg_lv *cow = m ? vg_find_lv(vg, m->cow) : NULL;

	if (!m || strcmp(m->origin, lv->name))
		return err_set(e, -EBUSY, "Cannot resize LV %s/%s: it is the store of snapshot %s/%s.", vg->name,
			       lv->name, vg->name, user->name);
	if (!grow)
		return err_set(e, -EOPNOTSUPP, "Snapshot origin volumes cannot be reduced in size yet.");
	if (dmctl_up(ch->d) && (lv_dm_active(ch->d, vg, lv) || (cow && lv_dm_active(ch->d, vg, cow))))
		return err_set(e, -EBUSY, "Snapshot origin volumes can be resized only while inactive: try lvchange -an.");
	return 0;
}

static const struct seg_ref_key snapshot_refs[] = {
	{ "origin", true, 0, true, "" }, /* the origin goes down after its snapshots, and with them */
	{ "cow_store", true, 0, false, NULL },
	{ "merging_store", true, 0, false, NULL },
	{ NULL, false, 0, false, NULL },
};

const struct segtype segtype_snapshot = {
	.name = "snapshot",
	.create_names = "snapshot (-s -L)",
	.flags = SEGTYPE_KEPT | SEGTYPE_HIDDEN | SEGTYPE_MONITORED,
	.refs = snapshot_refs,
	.attr_volume = 's',
	.attr_target = 's',
	.parse = snapshot_parse,
	.free = snapshot_free,
	.plan = snapshot_plan,
	.wrap = snapshot_wrap,
	.report_named = snapshot_report_named,
	.display_named = snapshot_display_named,
	.create = snapshot_create,
	.resize = snapshot_resize,
	.resize_named = snapshot_resize_named,
	.convert = snapshot_convert,
	.poll = snapshot_poll,
};
