/* What lvcreate, lvremove and lvresize share with the segment types'
 * hooks: which type a command makes or changes, and activation,
 * sub-LVs and messages for the hooks.  See lvm/segtype.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/dmctl.h"
#include "common/units.h"
#include "lvm/activate.h"
#include "lvm/alloc.h"
#include "lvm/devices.h"
#include "lvm/lvref.h"
#include "lvm/segtype.h"

const struct segtype *lv_create_segtype(const char *type, bool snapshot, const struct vg_lv *origin, bool thin,
					bool sized, bool virtual_size, bool pool_given)
{
	const struct segtype *ost = origin ? lv_segtype(origin) : NULL;

	if (type)
		return segtype_find(type);
	/* -s with a size: an old-style (COW) snapshot, of a thin LV too (lvm2's
	 * _determine_snapshot_type); without: by the origin's own type (thin),
	 * or in a pool */
	if (snapshot && sized)
		return segtype_find("snapshot");
	if (snapshot)
		return (ost && (ost->flags & SEGTYPE_SNAPSHOTS)) ? ost : segtype_find(pool_given ? "thin" : "snapshot");
	if (thin || virtual_size || pool_given)
		return segtype_find(thin && sized && !virtual_size ? "thin-pool" : "thin");
	return &segtype_striped;
}

void vg_lv_order(const struct vg *vg, struct vg_lv **out)
{
	unsigned n = 0;

	for (unsigned i = vg->nlv; i-- > 0;)
		if (lv_segtype(vg->lv[i]) && (lv_segtype(vg->lv[i])->flags & SEGTYPE_FIRST))
			out[n++] = vg->lv[i];
	for (unsigned i = 0; i < vg->nlv; i++)
		if (!lv_segtype(vg->lv[i]) || !(lv_segtype(vg->lv[i])->flags & SEGTYPE_FIRST))
			out[n++] = vg->lv[i];
}

const struct segtype *lv_change_type(const struct vg *vg, const struct vg_lv *lv, bool resize)
{
	const struct vg_lv *o = lv_owner(vg, lv);
	const struct segtype *st;

	if (!o && resize)
		o = lv_stands_for(vg, lv); /* an old snapshot's COW LV: the snapshot's type */
	st = lv_segtype(o ? o : lv);

	if (!st || !(resize ? st->resize != NULL : st->remove != NULL))
		return NULL;
	return st;
}

struct resize_users {
	struct lv_change *ch;
	const struct vg_lv *lv;
	bool grow;
	struct err *e;
};

static int resize_user(const struct lv_ref *r, void *data)
{
	struct resize_users *u = data;
	const struct segtype *st = lv_segtype(r->from);
	const struct vg *vg = u->ch->h->vg;

	if (r->to != u->lv || r->from == u->lv)
		return 0;
	if (st && st->resize_named)
		return st->resize_named(u->ch, r->from, u->lv, u->grow, u->e);
	return err_set(u->e, -EBUSY, "Cannot resize LV %s/%s: it is the %s of %s/%s.", vg->name, u->lv->name, r->key,
		       vg->name, r->from->name);
}

int lv_change_resize_users(struct lv_change *ch, const struct vg_lv *lv, bool grow, struct err *e)
{
	struct resize_users u = { ch, lv, grow, e };

	return lv_refs_each(ch->h->vg, NULL, resize_user, &u);
}

int lv_change_pool_metadata(const struct vg *vg, const char *arg, struct vg_lv **out, struct err *e)
{
	const char *s = strrchr(arg, '/'), *name = s ? s + 1 : arg;

	if (s && ((size_t)(s - arg) != strlen(vg->name) || strncmp(arg, vg->name, (size_t)(s - arg))))
		return err_set(e, -EINVAL, "Metadata LV %s not found.", arg);
	if (!(*out = vg_find_lv(vg, name)))
		return err_set(e, -ENOENT, "Unknown pool metadata LV %s.", name);
	return 0;
}

/* One LV lvconvert may make a pool's data or metadata LV. */
static int pool_part(const struct vg *vg, const struct vg_lv *lv, const char *what, struct err *e)
{
	const char *key;
	const struct vg_lv *u;

	if (!(lv->status & FLAG(LVF_VISIBLE)) || lv_internal(lv))
		return err_set(e, -EINVAL, "Can't convert internal LV %s/%s.", vg->name, lv->name);
	if (lv_segtype(lv) != &segtype_striped)
		return err_set(e, -EOPNOTSUPP, "Pool %s LV %s/%s is of an unsupported type (%s).", what, vg->name,
			       lv->name, lv->nseg ? lv->seg[0].type : "none");
	if ((u = lv_first_user(vg, lv, &key)))
		return err_set(e, -EBUSY, "Pool %s LV %s/%s is of an unsupported type (the %s of %s/%s).", what,
			       vg->name, lv->name, key, vg->name, u->name);
	return 0;
}

int lv_change_pool_parts(const struct vg *vg, const struct vg_lv *data, const char *arg, struct vg_lv **meta,
			 struct err *e)
{
	int r;

	*meta = NULL;
	if ((r = pool_part(vg, data, "data", e)) || !arg || (r = lv_change_pool_metadata(vg, arg, meta, e)))
		return r;
	if (*meta == data)
		return err_set(e, -EINVAL, "Can't use same LV for pool data and metadata LV %s/%s.", vg->name,
			       data->name);
	return pool_part(vg, *meta, "metadata", e);
}

int lv_change_pool_names(const struct vg *vg, const struct vg_lv *data, const struct vg_lv *meta, const char *msuffix,
			 const char *dsuffix, char *mname, char *dname, size_t size, struct err *e)
{
	const struct vg_lv *x;

	snprintf(mname, size, "%s%s", data->name, msuffix);
	snprintf(dname, size, "%s%s", data->name, dsuffix);
	if ((x = vg_find_lv(vg, dname)) || ((x = vg_find_lv(vg, mname)) && x != meta))
		return err_set(e, -EEXIST, "Logical Volume \"%s\" already exists in volume group \"%s\"", x->name,
			       vg->name);
	return 0;
}

int lv_change_pool_take(struct lv_change *ch, struct vg_lv *data, struct vg_lv *meta, const char *mname,
			const char *dname, struct err *e)
{
	struct vg *vg = ch->h->vg;
	int r;

	if ((r = lvm_lv_deactivate(ch->d, vg, data, e)) || (meta && (r = lvm_lv_deactivate(ch->d, vg, meta, e))) ||
	    (r = lv_rename_with_subs(vg, data, dname, e)) || (meta && (r = lv_rename_with_subs(vg, meta, mname, e))))
		return r;
	data->status &= ~FLAG(LVF_VISIBLE);
	if (meta)
		meta->status &= ~FLAG(LVF_VISIBLE);
	return 0;
}

int lv_change_restack_begin(struct lv_change *ch, const struct vg_lv *lv, const struct vg_lv *origin,
			    enum lv_restack *how, struct err *e)
{
	const struct vg *vg = ch->h->vg;
	const struct segtype *st = lv_segtype(origin);
	char name[LV_DM_NAME_MAX];

	*how = LV_RESTACK_NONE;
	if (!dmctl_up(ch->d) || !lv_dm_active(ch->d, vg, lv))
		return 0;
	*how = LV_RESTACK_ONLINE;
	if (!lv_has_subs(vg, origin))
		return 0;
	*how = LV_RESTACK_OFFLINE;
	/* a raid origin's sub-LVs change names, and two raid devices must not
	 * run on the same images: down, and up again after the commit */
	lv_dm_name(vg, lv, name);
	if (dmctl_open(ch->d, name))
		return err_set(e, -EBUSY, "Logical volume %s/%s is in use: its %s origin is restacked while inactive.",
			       vg->name, lv->name,
			       !st ? "?" : st->report_name ? st->report_name(&origin->seg[0]) : origin->seg[0].type);
	return lvm_lv_deactivate(ch->d, vg, lv, e);
}

int lvm_lv_activate(const struct lvm_env *env, struct dmctl *d, const struct vg *vg, const struct vg_lv *lv,
		    struct err *e)
{
	char why[LVM_NAME_LEN * 2 + 128];
	int r;

	if ((r = lvm_vg_access(env, vg, "activate", e)))
		return r;
	if (!dmctl_up(d))
		return err_set(e, -ENOTCONN, "%s", d->why.msg);
	if ((r = lv_dm_activate(d, env, vg, lv, why, sizeof(why), e)))
		return err_set(e, r, "activating %s/%s", vg->name, lv->name);
	if (why[0])
		fprintf(stderr, "  Activating %s/%s read-only: %s.\n", vg->name, lv->name, why);
	return 0;
}

int lvm_lv_deactivate(struct dmctl *d, const struct vg *vg, const struct vg_lv *lv, struct err *e)
{
	int r;

	if (!dmctl_up(d))
		return 0;
	if ((r = lv_dm_deactivate(d, vg, lv, e)))
		return err_set(e, r, "deactivating %s/%s", vg->name, lv->name);
	return 0;
}

int lvm_lv_reload(const struct lvm_env *env, struct dmctl *d, const struct vg *vg, const struct vg_lv *lv,
		  struct err *e)
{
	int r;

	if (!dmctl_up(d))
		return 0;
	if ((r = lv_dm_reload(d, env, vg, lv, e)))
		return err_set(e, r, "reloading %s/%s", vg->name, lv->name);
	return 0;
}

int lvm_lv_refresh(const struct lvm_env *env, struct dmctl *d, const struct vg *vg, const struct vg_lv *lv,
		   struct err *e)
{
	int r;

	if (!dmctl_up(d))
		return 0;
	if ((r = lv_dm_restack(d, env, vg, lv, e)))
		return err_set(e, r, "refreshing %s/%s", vg->name, lv->name);
	return 0;
}

int lv_change_add_lv(struct lv_change *ch, const struct lv_create_req *req, const char *name, struct vg_lv **out,
		     struct err *e)
{
	int r;

	if ((r = vg_add_lv(ch->h->vg, name, out, e)))
		return r;
	if ((r = lvm_tags_change(&(*out)->tags, req->tags, req->ntags, NULL, 0)))
		return err_set(e, r, "out of memory");
	return 0;
}

int lv_change_add_hidden(struct lv_change *ch, const char *name, uint32_t extents, bool no_ctime,
			 struct vg_lv **out, struct err *e)
{
	struct alloc_req req = { .stripes = 1, .extents = extents, .ranges = ch->ranges, .nranges = ch->nranges };
	int r;

	if ((r = vg_add_lv(ch->h->vg, name, out, e)))
		return r;
	(*out)->status &= ~FLAG(LVF_VISIBLE);
	if (no_ctime) { /* lvm2 writes no creation time or host for a pool's sub-LVs */
		(*out)->has_ctime = false;
		free((*out)->host);
		(*out)->host = NULL;
	}
	return extents ? alloc_extend(ch->h->vg, *out, &req, e) : 0;
}

int lv_change_new_name(const struct vg *vg, const struct lv_create_req *req, const char *kind, char *buf,
		       size_t size, const char **name, struct err *e)
{
	int r;

	*name = req->name ? req->name : req->lv_arg;
	if (!*name) {
		vg_next_lv_name(vg, buf, size);
		*name = buf;
	}
	if ((r = vg_check_new_lv_name(vg, *name, e)))
		return r;
	if (strlen(*name) + 10 > LVM_NAME_LEN - 1) /* room for "_rimage_NN", "_mimage_NN" */
		return err_set(e, -ENAMETOOLONG, "Logical volume name %s is too long for a %s LV.", *name, kind);
	return 0;
}

int lv_change_created(struct lv_change *ch, const struct lv_create_req *req, const char *name, struct err *e)
{
	const struct vg *vg = ch->h->vg;
	int r;

	if (!req->quiet)
		fprintf(ch->out, "  Logical volume \"%s\" created.\n", name);
	if (!req->activate)
		return 0;
	if (!dmctl_up(ch->d)) {
		fprintf(ch->out, "  ulvmd is not running: logical volume %s/%s is inactive.\n", vg->name, name);
		return 0;
	}
	if ((r = lvm_lv_activate(ch->env, ch->d, vg, vg_find_lv(vg, name), e)))
		return err_set(e, r, "Failed to activate new LV %s/%s", vg->name, name);
	return 0;
}

const char *lv_change_size(char *buf, uint64_t sectors)
{
	struct units u;

	units_init(&u);
	units_format(buf, UNITS_BUF, sectors * 512, &u, SIZE_SHORT);
	return buf;
}

int lv_change_resized(struct lv_change *ch, const struct vg_lv *lv, const struct vg_lv *sized, uint32_t old,
		      bool reload, struct err *e)
{
	const struct vg *vg = ch->h->vg;
	char b1[UNITS_BUF], b2[UNITS_BUF];
	int r;

	fprintf(ch->out, "  Size of logical volume %s/%s changed from %s (%u extents) to %s (%u extents).\n",
		vg->name, sized->name, lv_change_size(b1, (uint64_t)old * vg->extent_size), old,
		lv_change_size(b2, (uint64_t)sized->le_count * vg->extent_size), sized->le_count);
	if (reload && (r = lvm_lv_reload(ch->env, ch->d, vg, lv, e)))
		return r;
	fprintf(ch->out, "  Logical volume %s/%s successfully resized.\n", vg->name, lv->name);
	return 0;
}
