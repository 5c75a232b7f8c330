/* Detaching a cache (the "cache" segment type, cache.c): the flush that
 * makes it clean first, --splitcache and --uncache, lvremove of a cache
 * LV or of its pool.  The design comment is at the top of cache.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/dmctl.h"
#include "common/units.h"
#include "lvm/alloc.h"
#include "lvm/devices.h"
#include "lvm/lvref.h"
#include "lvm/report_lvm.h"
#include "lvm/segtype/cache_lv.h"
#include "lvm/thin_lv.h"
#include "lvm/wipe.h"

/* ---- flush, detach, remove ---- */

/* lv_cache_wait_for_clean: until the status shows no dirty block under
 * the cleaner policy (or in a mode that makes none), switching to it
 * first: cleaner = 1 committed, the table reloaded.  *used: it did. */
static int wait_clean(struct lv_change *ch, struct vg_lv *lv, bool *used, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct cache_status s;
	time_t last = 0;
	int r;

	*used = false;
	for (;;) {
		bool cleaner;

		if ((r = cache_status_read(ch->d, vg, lv, &s)))
			return err_set(e, r, "Failed to read the status of cache %s/%s.", vg->name, lv->name);
		if (s.fail) {
			fprintf(stderr, "  WARNING: Skipping flush for failed cache %s/%s.\n", vg->name, lv->name);
			return 0;
		}
		cleaner = !strcmp(s.policy, "cleaner");
		if (!s.dirty && (cleaner || !s.writeback))
			return 0;
		if (time(NULL) != last) { /* lvm2 prints each round, every half second */
			fprintf(ch->out, "  Flushing %" PRIu64 " blocks for cache %s/%s.\n", s.dirty, vg->name, lv->name);
			fflush(ch->out);
			last = time(NULL);
		}
		if (cleaner) {
			cache_sleep(500);
			continue;
		}
		if (!(lv->status & FLAG(LVF_WRITE)))
			fprintf(stderr, "  WARNING: Dirty blocks found on read-only cache volume %s/%s.\n", vg->name,
				lv->name);
		{ /* the cleaner policy, committed first: a crash keeps flushing at the next activation */
			struct cache_seg m = *cache_model(lv);

			m.cs.set = NULL;
			m.cleaner = true;
			if (m.cachevol) /* the settings are this segment's: keep them */
				m.cs = *cache_settings_of(vg, cache_model(lv));
			if ((r = cache_seg_set(vg, lv, &m, e)) || (r = lvm_vg_commit(ch->env, ch->h, e)) ||
			    (r = lvm_lv_reload(ch->env, ch->d, vg, lv, e)))
				return r;
		}
		*used = true;
	}
}

/* The cache of active (or, writeback, activated now) @lv made clean. */
int cache_flush_lv(struct lv_change *ch, struct vg_lv *lv, struct err *e)
{
	struct vg *vg = ch->h->vg;
	const struct cache_seg *m = cache_model(lv);
	const struct cache_settings *cs = cache_settings_of(vg, m);
	bool active = dmctl_up(ch->d) && lv_dm_active(ch->d, vg, lv), used;
	int r, r2;

	if (!active && !m->cleaner && (!cs || cache_effective(cs).mode != CACHE_MODE_WRITEBACK))
		return 0; /* writethrough, passthrough: nothing dirty */
	if (!active) {
		if (!dmctl_up(ch->d))
			return err_set(e, -ENOTCONN, "Failed to activate %s/%s to flush cache: %s", vg->name, lv->name,
				       ch->d->why.msg);
		if ((r = lvm_lv_activate(ch->env, ch->d, vg, lv, e)))
			return err_set(e, r, "Failed to activate %s/%s to flush cache.", vg->name, lv->name);
	}
	r = wait_clean(ch, lv, &used, e);
	if (!active && (r2 = lvm_lv_deactivate(ch->d, vg, lv, e)) && !r)
		r = r2;
	return r;
}

static void print_removed(struct lv_change *ch, const char *name)
{
	fprintf(ch->out, "  Logical volume \"%s\" successfully removed.\n", name);
}

int cache_detach(struct lv_change *ch, struct vg_lv *lv, bool remove, const struct lv_convert_req *req,
		 struct err *e)
{
	struct vg *vg = ch->h->vg;
	const struct cache_seg *m = cache_model(lv);
	struct vg_lv *pool = vg_find_lv(vg, m->pool), *corig = vg_find_lv(vg, m->origin);
	char lvname[LVM_NAME_LEN], poolname[LVM_NAME_LEN];
	bool cvol = m->cachevol;
	/* the pool or cachevol visible again under its own name, or gone
	 * (lvm2 removes a cachevol under its own name again, a pool as it is) */
	const char *suffix = !remove || cvol ? (cvol ? "_cvol" : "_cpool") : NULL;
	void (*drop)(struct vg *, struct vg_lv *) = !remove ? NULL : cvol ? vg_remove_lv : cache_pool_drop;
	int r;

	if (!pool || !corig)
		return err_set(e, -ENOENT, "Cannot find cache %s/%s.", vg->name, lv->name);
	if (!remove && !cvol && ch->h->missing)
		return err_set(e, -ENODEV, "Cannot split cache pool while PVs are missing, see --uncache to delete cache "
			       "pool.");
	snprintf(lvname, sizeof(lvname), "%s", lv->name);
	if ((r = cache_flush_lv(ch, lv, e)))
		return r;
	if ((r = cache_family_detach(ch, lv, corig, pool, suffix, drop, poolname, sizeof(poolname), e)))
		return r;
	if (remove)
		print_removed(ch, poolname);
	if (req->split_cache)
		fprintf(ch->out, "  Logical volume %s/%s is not cached and %s/%s is unused.\n", vg->name, lvname, vg->name,
			poolname);
	else if (req->uncache && cvol)
		fprintf(ch->out, "  Logical volume %s/%s is not cached and %s/%s is removed.\n", vg->name, lvname,
			vg->name, poolname);
	else if (req->uncache)
		fprintf(ch->out, "  Logical volume %s/%s is not cached.\n", vg->name, lvname);
	return 0;
}

int cache_remove_all(struct lv_change *ch, struct vg_lv *lv, struct err *e)
{
	struct vg *vg = ch->h->vg;
	const struct cache_seg *m = cache_model(lv);
	struct vg_lv *pool = vg_find_lv(vg, m->pool), *corig = vg_find_lv(vg, m->origin), *sp;
	char name[LVM_NAME_LEN];
	int r;

	snprintf(name, sizeof(name), "%s", lv->name);
	if (dmctl_up(ch->d) && lv_dm_active(ch->d, vg, lv)) {
		if (!cache_confirm(ch, "Do you really want to remove active logical volume %s/%s?", vg->name, name))
			return err_set(e, -ECANCELED, "Logical volume %s/%s not removed.", vg->name, name);
		if ((r = lvm_lv_deactivate(ch->d, vg, lv, e)))
			return r;
	}
	if (pool && cache_pool_model(pool))
		cache_pool_drop(vg, pool);
	else if (pool)
		vg_remove_lv(vg, pool);
	vg_remove_lv(vg, lv);
	if (corig) {
		struct vg_lv **set = NULL;
		unsigned n = 0;

		if ((r = lv_removal_set(vg, corig, &set, &n, e)))
			return r;
		for (unsigned i = 0; i < n; i++)
			vg_remove_lv(vg, set[i]);
		free(set);
	}
	if (!vg_keeps_pmspare(vg) && (sp = vg_pmspare(vg)))
		vg_remove_lv(vg, sp);
	if ((r = lvm_vg_commit(ch->env, ch->h, e)))
		return r;
	print_removed(ch, name);
	return 0;
}

/* lvremove of a cache LV, its pool or cachevol (--uncache), or a sub-LV. */
int cache_remove_lv(struct lv_change *ch, struct vg_lv *lv, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct vg_lv *user;

	if (cache_model(lv))
		return cache_remove_all(ch, lv, e);
	if ((user = cache_pool_user(vg, lv))) {
		struct lv_convert_req req = { .mirrors = -1, .zero = -1 };

		return cache_detach(ch, user, true, &req, e);
	}
	user = lv_first_user(vg, lv, NULL);
	return err_set(e, -EBUSY, "Cannot remove internal LV %s/%s: it is the origin of %s/%s.", vg->name, lv->name,
		       vg->name, user ? user->name : "?");
}

