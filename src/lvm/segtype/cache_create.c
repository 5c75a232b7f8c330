/* lvcreate of cached LVs in one step (lvmcache(7)), the cache type's
 * create hook: a new cache pool for an existing LV, or a new LV cached by
 * an existing pool (lvm2's lv_create_single in both).  A new LV cached by
 * --cachepool or --cachevol, or on --cachedevice, is the CLI's lvcreate
 * followed by lvconvert (lvm2's lvcreate_and_attach_*). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lvm/alloc.h"
#include "lvm/devices.h"
#include "lvm/lvref.h"
#include "lvm/segtype/cache_lv.h"
#include "lvm/wipe.h"

/* lvcreate --type cache -L SIZE [-n LV] VG/POOL, POOL a cache pool (lvm2's
 * lv_create_single with a pool, as --cachepool POOL VG): a new linear LV
 * (its first 4 KiB zeroed unless -Z n), cached by POOL (its metadata wiped,
 * nothing asked), activated unless -an; lvm2 prints only "created". */
static int cached_new_lv(struct lv_change *ch, const struct lv_create_req *req, struct vg_lv *pool, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct lv_convert_req creq = { .type_name = "cache", .mirrors = -1, .max_rate = -1, .min_rate = -1,
				       .zero = 1, .quiet = true, .cache = req->cache, .chunk_size = req->chunk_size };
	char name[LVM_NAME_LEN], pname[LVM_NAME_LEN];
	struct vg_lv *lv;
	int r;

	if (!req->extents || req->extents > UINT32_MAX)
		return err_set(e, -EINVAL, "Invalid size for a new logical volume.");
	if (req->stripes > 1)
		return err_set(e, -EOPNOTSUPP, "A striped LV cached at once: lvcreate -i N, then lvconvert --type cache.");
	snprintf(pname, sizeof(pname), "%s", pool->name);
	if (req->name)
		snprintf(name, sizeof(name), "%s", req->name);
	else
		vg_next_lv_name(vg, name, sizeof(name));
	if ((r = vg_check_new_lv_name(vg, name, e)) ||
	    (r = lv_change_add_hidden(ch, name, (uint32_t)req->extents, false, &lv, e)))
		return r;
	lv->status |= FLAG(LVF_VISIBLE);
	if ((r = lvm_tags_change(&lv->tags, req->tags, req->ntags, NULL, 0)))
		return err_set(e, r, "out of memory");
	if ((r = lvm_vg_commit(ch->env, ch->h, e)))
		return r;
	vg = ch->h->vg;
	if (!(lv = vg_find_lv(vg, name)) || (req->zero && (r = lv_wipe_new(vg, lv, true, LV_ZERO_START, e))))
		return lv ? r : err_set(e, -ENOENT, "LV %s/%s went away.", vg->name, name);
	creq.cache_pool = pname;
	if ((r = cache_attach(ch, lv, &creq, e))) { /* the new LV goes again, as in lvm2's one transaction */
		struct err e2 = { { 0 } };

		vg = ch->h->vg;
		if ((lv = vg_find_lv(vg, name)) && !lv_has_subs(vg, lv)) {
			vg_remove_lv(vg, lv);
			if (lvm_vg_commit(ch->env, ch->h, &e2))
				fprintf(stderr, "  Failed to remove new LV %s/%s: %s\n", vg->name, name, e2.msg);
		}
		return r;
	}
	fprintf(ch->out, "  Logical volume \"%s\" created.\n", name);
	if (req->activate && (lv = vg_find_lv(ch->h->vg, name)) &&
	    (r = lvm_lv_activate(ch->env, ch->d, ch->h->vg, lv, e)))
		return err_set(e, r, "Failed to activate new LV %s/%s", vg->name, name);
	return 0;
}

/* lvcreate --type cache -L SIZE [-n POOL] VG/LV (lvm2's lv_create_single
 * with an origin): a new cache pool of SIZE (named by -n, else lvolN)
 * caches LV, which is first brought to the state -a asks for.  As in
 * lvm2, a pool whose attach fails stays.  A new LV cached at once
 * (--cachepool, --cachevol) is the CLI's lvcreate then lvconvert. */
int cache_create(struct lv_change *ch, const struct lv_create_req *req, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct lv_create_req preq = *req;
	struct lv_convert_req creq = { .type_name = "cache", .mirrors = -1, .max_rate = -1, .min_rate = -1,
				       .zero = 1 };
	struct vg_lv *origin = req->lv_arg ? vg_find_lv(vg, req->lv_arg) : NULL;
	char pname[LVM_NAME_LEN], oname[LVM_NAME_LEN];
	int r;

	if (!req->lv_arg)
		return err_set(e, -EINVAL, "lvcreate --type cache needs --cachepool POOL or --cachevol LV (a new "
					   "cached LV), or VG/LV (a new cache pool for LV).");
	if (!origin)
		return err_set(e, -ENOENT, "Ambiguous syntax, please create --type cache-pool %s separately.",
			       req->lv_arg);
	if (cache_pool_model(origin))
		return cached_new_lv(ch, req, origin, e);
	if (req->stripes > 1 || req->stripe_size)
		return err_set(e, -EINVAL, "--stripes and --stripesize are unsupported with cache conversion.");
	if ((r = cache_origin_check(vg, origin, e)))
		return r;
	snprintf(oname, sizeof(oname), "%s", origin->name);
	if (req->name)
		snprintf(pname, sizeof(pname), "%s", req->name);
	else
		vg_next_lv_name(vg, pname, sizeof(pname));
	/* the origin first in the state asked for */
	if ((r = req->activate ? lvm_lv_activate(ch->env, ch->d, vg, origin, e)
			       : lvm_lv_deactivate(ch->d, vg, origin, e)) &&
	    !(req->activate && r == -ENOTCONN))
		return r;
	err_clear(e);
	preq.name = pname;
	preq.lv_arg = NULL;
	preq.quiet = true; /* lvm2 says only "is now cached"; --addtag goes on the pool it makes */
	if ((r = segtype_cache_pool.create(ch, &preq, e)))
		return r;
	vg = ch->h->vg;
	if (!(origin = vg_find_lv(vg, oname)))
		return err_set(e, -ENOENT, "LV %s/%s went away.", vg->name, oname);
	creq.cache_pool = pname;
	creq.cache = req->cache;
	if ((r = cache_attach(ch, origin, &creq, e)))
		return err_set(e, r, "%s\n  Aborting. Leaving cache pool %s/%s and uncached origin volume %s/%s.",
			       e->msg, vg->name, pname, vg->name, oname);
	return 0;
}
