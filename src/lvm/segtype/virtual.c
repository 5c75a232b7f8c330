/* lvm2's error and zero segment types (lib/error/errseg.c,
 * lib/zero/zero.c): an LV whose extents lie on no PV, each segment one
 * line of the dm target of the same name.  Two members of the family in
 * one file: they differ only in that name.
 *
 * The section holds nothing but its extents and type, kept as read
 * (SEGTYPE_KEPT).  lvcreate --type zero|error -L makes one segment;
 * lvextend and lvreduce change its length (lvm2's lv_add_virtual_segment
 * extends the last segment of the same type), and an active LV's table is
 * reloaded.  A zero LV is also the origin of a sparse old-style snapshot
 * (NAME_vorigin, snapshot.c).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/report.h"
#include "lvm/activate.h"
#include "lvm/devices.h"
#include "lvm/report_lvm.h"
#include "lvm/segtype.h"
#include "lvm/vg_internal.h"

/* Nothing to read beyond the extents: the model (s->priv, which says the
 * segment can be activated) is the type itself, owned by no one. */
static int virtual_parse(const struct vg *vg, struct lv_seg *s, struct err *e)
{
	(void)vg, (void)e;
	s->priv = (void *)s->st;
	return 0;
}

static int virtual_plan(struct lv_plan *p, const struct vg *vg, const struct vg_lv *lv, struct err *e)
{
	uint64_t E = vg->extent_size;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return err_set(e, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < lv->nseg; i++)
		fprintf(f, "%s%" PRIu64 " %" PRIu64 " %s", i ? "\n" : "", lv->seg[i].le * E, lv->seg[i].len * E,
			lv->seg[i].st->name);
	if (fclose(f)) {
		free(text);
		return err_set(e, -ENOMEM, "out of memory");
	}
	return lv_plan_add(p, lv, NULL, text, e) ? 0 : -ENOMEM;
}

/* lvcreate --type zero|error -L SIZE [-n NAME] VG */
static int virtual_create(struct lv_change *ch, const struct lv_create_req *req, struct err *e)
{
	struct vg *vg = ch->h->vg;
	const struct segtype *st = segtype_find(req->type_name);
	struct vg_lv *lv;
	struct cfg_node *sn;
	char name[LVM_NAME_LEN];
	int r;

	if (!req->extents || req->virtual_extents || req->origin || req->mirrors || req->stripes > 1)
		return err_set(e, -EINVAL, "An %s LV takes -L/--size (or -l) and nothing of other types.", st->name);
	if (req->extents > UINT32_MAX)
		return err_set(e, -EINVAL, "Size too large.");
	if (req->name)
		snprintf(name, sizeof(name), "%s", req->name);
	else
		vg_next_lv_name(vg, name, sizeof(name));
	if ((r = vg_check_new_lv_name(vg, name, e)) || (r = lv_change_add_lv(ch, req, name, &lv, e)))
		return r;
	if (!(sn = seg_new_raw(vg, (uint32_t)req->extents, st->name)))
		return err_set(e, -ENOMEM, "out of memory");
	lv->le_count = (uint32_t)req->extents;
	if ((r = lv_set_raw_seg(vg, lv, (uint32_t)req->extents, st, sn, e)) || (r = lvm_vg_commit(ch->env, ch->h, e)))
		return r;
	return lv_change_created(ch, req, name, e);
}

/* lvextend/lvreduce: the one segment's length; lvreduce asks first. */
static int virtual_resize(struct lv_change *ch, struct vg_lv *lv, const struct lv_resize_req *req, struct err *e)
{
	struct vg *vg = ch->h->vg;
	const struct segtype *st = lv_segtype(lv);
	uint32_t old = lv->le_count;
	uint64_t to = req->sign == '+' ? old + req->extents
		      : req->sign == '-' ? (req->extents < old ? old - req->extents : 0)
					 : req->extents;
	struct cfg_node *sn;
	int r;

	if (req->policies || req->metadata)
		return err_set(e, -EINVAL, "--use-policies and --poolmetadatasize apply to thin pools.");
	if (lv->nseg != 1)
		return err_set(e, -EOPNOTSUPP, "Cannot resize LV %s/%s: it has %u %s segments.", vg->name, lv->name,
			       lv->nseg, st->name);
	if (to == old)
		return err_set(e, -EINVAL, "New size (%u extents) matches existing size (%u extents).", old, old);
	if (!to || to > UINT32_MAX)
		return err_set(e, -EINVAL, "Cannot resize logical volume %s/%s to %" PRIu64 " extents.", vg->name,
			       lv->name, to);
	if (to < old && req->confirm_reduce && (r = req->confirm_reduce(req->ctx, lv, to)))
		return err_set(e, r, "Logical volume %s/%s NOT reduced.", vg->name, lv->name);
	if (!(sn = seg_new_raw(vg, (uint32_t)to, st->name)))
		return err_set(e, -ENOMEM, "out of memory");
	if ((r = lv_set_raw_seg(vg, lv, (uint32_t)to, st, sn, e)) || (r = lvm_vg_commit(ch->env, ch->h, e)))
		return r;
	return lv_change_resized(ch, lv, lv, old, true, e);
}

/* lv_modules names the target (the layout is lvm2's "unknown", as no
 * type gives one); nothing else to report. */
static void virtual_report(const struct seg_report_ctx *x, const struct vg_lv *owner)
{
	(void)owner;
	seg_report_kind(x, NULL, NULL, x->lv->seg[0].st->name, false);
	report_set_u64(x->row, RF_DATA_STRIPES, 0);
}

static const struct seg_ref_key no_refs[] = { { NULL, false, 0, false, NULL } };

#define VIRTUAL_TYPE(id)                                                                                       \
	const struct segtype segtype_##id = {                                                                  \
		.name = #id,                                                                                   \
		.flags = SEGTYPE_KEPT | SEGTYPE_VIRTUAL,                                                       \
		.refs = no_refs,                                                                               \
		.attr_volume = 'v',                                                                            \
		.attr_target = 'v',                                                                            \
		.parse = virtual_parse,                                                                        \
		.plan = virtual_plan,                                                                          \
		.report = virtual_report,                                                                      \
		.create = virtual_create,                                                                      \
		.resize = virtual_resize,                                                                      \
	}

VIRTUAL_TYPE(error);
VIRTUAL_TYPE(zero);
