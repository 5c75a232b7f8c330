/* "cache-pool": the fast LVs of a cache (lib/cache_segtype/cache.c,
 * _cache_pool_text_import/export; lib/metadata/cache_manip.c; lvm/segtype/
 * cache_lv.h for the family), and the layer helpers of the family (the
 * settings every cache type shares: cache_settings.c).
 *
 * A pool is three LVs and the VG's pool metadata spare, as lvm2's lvcreate
 * --type cache-pool makes them: POOL (visible, its size the data's), the
 * hidden linear POOL_cmeta (sized as lvm2 sizes it: 4 MiB plus 44 bytes
 * per chunk, whole extents) and POOL_cdata, and lvolN_pmspare as large as
 * the largest pool metadata (allocated first, then _cmeta, then _cdata).
 * An unused pool has no device; attached to an LV (cache.c) it is hidden,
 * renamed POOL_cpool, and carries the settings the cache runs with.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lvm/alloc.h"
#include "lvm/devices.h"
#include "lvm/lvref.h"
#include "lvm/report_lvm.h"
#include "lvm/segtype/cache_lv.h"
#include "lvm/thin_lv.h"
#include "lvm/wipe.h"
#include "lvm/settings.h"

/* ---- helpers of the family: LVs and their layers ---- */

void cache_sleep(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

struct vg_lv *cache_find_arg(const struct vg *vg, const char *arg, const char *opt, struct err *e)
{
	const char *name;
	struct vg_lv *lv;
	int r = vg_lv_arg(vg, arg, &name, &lv);

	if (r == -EXDEV)
		err_set(e, -EINVAL, "Logical volume %s given with %s is not in volume group %s.", arg, opt, vg->name);
	else if (r)
		err_set(e, -ENOENT, "%s %s not found.", strcmp(opt, "--cachepool") ? "LV" : "Cache pool", name);
	return lv;
}

int cache_origin_check(const struct vg *vg, const struct vg_lv *lv, struct err *e)
{
	const struct segtype *st = lv_segtype(lv), *raid = segtype_find("raid1");
	const char *key;
	const struct vg_lv *u = lv_first_user(vg, lv, &key);

	if (lv->status & FLAG(LVF_LOCKED))
		return err_set(e, -EBUSY, "Cannot use locked origin volume %s/%s.", vg->name, lv->name);
	if (!(lv->status & FLAG(LVF_VISIBLE)) || lv_internal(lv) || lv_stands_for(vg, lv))
		return err_set(e, -EINVAL, "Can't convert internal LV %s/%s.", vg->name, lv->name);
	if (st && (st->flags & SEGTYPE_FIRST)) /* lvm2 caches a thin pool's _tdata */
		return err_set(e, -EOPNOTSUPP, "Caching the data of thin pool %s/%s is not supported yet.", vg->name,
			       lv->name);
	/* lvm2: cache types, mirror, thin volumes, snapshots, virtual LVs */
	if (!st || (st != &segtype_striped && st != raid) || (lv->status & FLAG(LVF_CACHE_VOL)))
		return err_set(e, -EINVAL, "Cache is not supported with %s segment type of the original logical volume "
			       "%s/%s.", st && st->report_name ? st->report_name(&lv->seg[0]) : lv->nseg ? lv->seg[0].type : "?",
			       vg->name, lv->name);
	for (unsigned i = 0; i < lv->nseg; i++)
		if (lv->seg[i].st != st)
			return err_set(e, -EINVAL, "Cache is not supported with mixed segment types of the original "
				       "logical volume %s/%s.", vg->name, lv->name);
	if (u) /* a snapshot's or a thin LV's origin: not stacked over a cache here */
		return err_set(e, -EOPNOTSUPP, "Caching LV %s/%s, the %s of %s/%s, is not supported yet.", vg->name,
			       lv->name, key, vg->name, u->name);
	return 0;
}

int cache_insert_layer(struct vg *vg, struct vg_lv *lv, const char *suffix, struct vg_lv **out, struct err *e)
{
	char name[2 * LVM_NAME_LEN];
	struct vg_lv *ly;
	int r;

	if ((size_t)snprintf(name, sizeof(name), "%s%s", lv->name, suffix) >= LVM_NAME_LEN)
		return err_set(e, -ENAMETOOLONG, "Layered name is too long. Please use shorter LV name.");
	if (vg_find_lv(vg, name))
		return err_set(e, -EEXIST, "Logical volume \"%s\" already exists in volume group \"%s\"", name, vg->name);
	if ((r = vg_add_lv(vg, lv->name, &ly, e)))
		return r;
	ly->status = FLAG(LVF_READ) | (lv->status & FLAG(LVF_WRITE));
	ly->seg = lv->seg;
	ly->nseg = lv->nseg;
	ly->le_count = lv->le_count;
	lv->seg = NULL;
	lv->nseg = 0;
	/* its sub-LVs "<lv>_*" become "<layer>_*" (lvm2: for the _corig and
	 * _wcorig layers); @lv comes first in the VG, so its name still finds it */
	if ((r = lv_rename_with_subs(vg, ly, name, e)))
		return r;
	*out = ly;
	return 0;
}

int cache_remove_layer(struct vg *vg, struct vg_lv *lv, struct vg_lv *layer, struct err *e)
{
	struct lv_seg *seg = lv->seg;
	unsigned nseg = lv->nseg;
	char *top = lv->name;
	int r = 0;

	lv->seg = layer->seg;
	lv->nseg = layer->nseg;
	lv->le_count = layer->le_count;
	layer->seg = seg;
	layer->nseg = nseg;
	if (!lv_has_subs(vg, lv)) {
		vg_remove_lv(vg, layer);
		return 0;
	}
	/* the sub-LVs "<layer>_*" back to "<lv>_*" */
	lv->name = layer->name;
	layer->name = NULL;
	vg_remove_lv(vg, layer);
	r = lv_rename_with_subs(vg, lv, top, e);
	free(top);
	return r;
}

int cache_rename_back(struct vg *vg, struct vg_lv *lv, const char *suffix, struct err *e)
{
	char name[LVM_NAME_LEN];
	size_t n = strlen(lv->name), s = strlen(suffix);

	if (n <= s || strcmp(lv->name + n - s, suffix))
		return 0; /* older metadata: no suffix to drop */
	snprintf(name, sizeof(name), "%.*s", (int)(n - s), lv->name);
	if (vg_find_lv(vg, name))
		vg_next_lv_name(vg, name, sizeof(name));
	return lv_rename_with_subs(vg, lv, name, e);
}

/* lvextend of a cached LV grows its origin (lvm2's resizable layer). */
int cache_extend_origin(struct lv_change *ch, struct vg_lv *lv, struct vg_lv *origin, const struct lv_resize_req *req,
			struct err *e)
{
	struct vg *vg = ch->h->vg;
	uint64_t old = lv->le_count, target;
	struct alloc_req a = { .ranges = ch->ranges, .nranges = ch->nranges };
	const struct lv_seg *last = origin->nseg ? &origin->seg[origin->nseg - 1] : NULL;
	int r;

	if (req->metadata || req->policies)
		return err_set(e, -EINVAL, "--poolmetadatasize and --use-policies apply to thin pools.");
	target = req->sign == '+' ? old + req->extents : req->sign == '-' ? 0 : req->extents;
	if (target < old || req->sign == '-')
		return err_set(e, -EOPNOTSUPP, "Reducing cached LV %s/%s is not supported yet.", vg->name, lv->name);
	if (target == old)
		return err_set(e, -EINVAL, "New size (%" PRIu64 " extents) matches existing size (%" PRIu64 " extents).",
			       target, old);
	if (!last || lv_segtype(origin) != &segtype_striped)
		return err_set(e, -EOPNOTSUPP, "Extending LV %s/%s over %s is not supported yet.", vg->name, lv->name,
			       origin->nseg ? origin->seg[0].type : "nothing");
	a.stripes = last->narea;
	a.stripe_size = last->stripe_size;
	a.extents = (uint32_t)(target - old);
	if (a.extents % a.stripes)
		a.extents += a.stripes - a.extents % a.stripes;
	if (old + a.extents > UINT32_MAX)
		return err_set(e, -EINVAL, "Size too large.");
	if ((r = alloc_extend(vg, origin, &a, e)))
		return r;
	lv->le_count = origin->le_count;
	return 0;
}

int cache_family_detach(struct lv_change *ch, struct vg_lv *lv, struct vg_lv *orig, struct vg_lv *fast,
			const char *suffix, void (*drop)(struct vg *vg, struct vg_lv *fast), char *fastname,
			size_t size, struct err *e)
{
	struct vg *vg = ch->h->vg;
	char lvname[LVM_NAME_LEN];
	enum lv_restack how;
	struct lv_plan old;
	bool had_plan = false;
	int r;

	snprintf(lvname, sizeof(lvname), "%s", lv->name);
	if ((r = lv_change_restack_begin(ch, lv, orig, &how, e)))
		return r;
	if (how == LV_RESTACK_ONLINE) {
		if ((r = lv_plan_build(&old, vg, ch->env, lv, e)))
			return r;
		had_plan = true;
	}
	if ((r = cache_remove_layer(vg, lv, orig, e)))
		goto out;
	fast->status |= FLAG(LVF_VISIBLE);
	fast->status &= ~FLAG(LVF_CACHE_VOL);
	if (suffix && (r = cache_rename_back(vg, fast, suffix, e)))
		goto out;
	snprintf(fastname, size, "%s", fast->name);
	if (drop)
		drop(vg, fast);
	if ((r = lvm_vg_commit(ch->env, ch->h, e)))
		goto out;
	lv = vg_find_lv(vg, lvname);
	if ((had_plan && (r = lv_dm_restack_since(ch->d, ch->env, vg, lv, &old, e))) ||
	    (how == LV_RESTACK_OFFLINE && (r = lvm_lv_activate(ch->env, ch->d, vg, lv, e))))
		r = err_set(e, r, "%s (the VG is changed; lvchange --refresh or -ay %s/%s loads it)", e->msg, vg->name,
			    lvname);
out:
	if (had_plan)
		lv_plan_free(&old);
	return r;
}

/* ---- the pool ---- */

const struct cache_pool_seg *cache_pool_model(const struct vg_lv *lv)
{
	return lv_seg_model(lv, &segtype_cache_pool);
}

static void pool_free(struct lv_seg *s)
{
	struct cache_pool_seg *m = s->priv;

	if (m)
		cache_settings_free(&m->cs);
	free(m);
	s->priv = NULL;
}

static int pool_parse(const struct vg *vg, struct lv_seg *s, struct err *e)
{
	struct cache_pool_seg *m = calloc(1, sizeof(*m));
	const char *lvname = "?";
	int r;

	for (unsigned i = 0; i < vg->nlv; i++)
		for (unsigned k = 0; k < vg->lv[i]->nseg; k++)
			if (&vg->lv[i]->seg[k] == s)
				lvname = vg->lv[i]->name;
	if (!m)
		return err_set(e, -ENOMEM, "out of memory");
	pool_free(s);
	if (!cfg_find(s->raw, "data") || cfg_get_str(s->raw, "data", &m->data, e))
		r = err_set(e, -EINVAL, "Cache data not specified in segment of logical volume %s.", lvname);
	else if (!cfg_find(s->raw, "metadata") || cfg_get_str(s->raw, "metadata", &m->metadata, e))
		r = err_set(e, -EINVAL, "Cache metadata not specified in segment of logical volume %s.", lvname);
	else
		r = cache_settings_parse(s->raw, lvname, &m->cs, e);
	if (r) {
		free(m);
		return r;
	}
	s->priv = m;
	return 0;
}

/* lvm2's check_lv_segments for a cache pool (merge.c). */
static int pool_validate(const struct vg *vg, const struct vg_lv *lv, const struct lv_seg *s, struct err *e)
{
	const struct cache_pool_seg *m = s->priv;
	bool flag = strstr(s->type, "+METADATA_FORMAT") != NULL;
	struct err e2 = { { 0 } };

	if (!m)
		return 0;
	if (lv->nseg != 1)
		return err_set(e, -EINVAL, "LV %s: a cache pool has one segment", lv->name);
	if (cache_chunk_check(m->cs.chunk_size, &e2))
		return err_set(e, -EINVAL, "LV %s: segment has invalid chunk size.", lv->name);
	if (flag && m->cs.format != 2)
		return err_set(e, -EINVAL, "LV %s: segment sets METADATA_FORMAT flag", lv->name);
	if (!flag && m->cs.format == 2)
		return err_set(e, -EINVAL, "LV %s: segment is missing METADATA_FORMAT flag", lv->name);
	(void)vg;
	return 0;
}

int cache_pool_set(struct vg *vg, struct vg_lv *pool, const struct cache_pool_seg *m, struct err *e)
{
	uint32_t ext = pool->le_count;
	struct cfg_node *sn = seg_new_raw(vg, ext, m->cs.format == 2 ? "cache-pool+METADATA_FORMAT" : "cache-pool");

	cfg_add_str(sn, "data", m->data);
	cfg_add_str(sn, "metadata", m->metadata);
	if (m->cs.format)
		cfg_add_int(sn, "metadata_format", m->cs.format);
	cache_settings_export(sn, &m->cs);
	return lv_set_raw_seg(vg, pool, ext, &segtype_cache_pool, sn, e);
}

struct vg_lv *cache_pool_user(const struct vg *vg, const struct vg_lv *pool)
{
	for (unsigned i = 0; i < vg->nlv; i++) {
		const struct cache_seg *c = cache_model(vg->lv[i]);

		if (c && !strcmp(c->pool, pool->name))
			return vg->lv[i];
	}
	return NULL;
}

uint64_t cache_min_metadata(uint64_t data, uint32_t chunk)
{
	/* thin-provisioning-tools' cache_metadata_size: 4 MiB, and per chunk
	 * 16 bytes of mapping, 20 of hint, 8 of hint overhead */
	return (4096ull * 1024 + data / chunk * (16 + 20 + 8) + 511) / 512;
}

/* A used pool's sub-LVs go up with its cache LV; an unused pool's may be
 * activated alone, read-only (lvm2's component activation). */
static struct vg_lv *pool_owner_of(const struct vg *vg, const struct vg_lv *pool, const struct vg_lv *lv)
{
	const struct cache_pool_seg *m = cache_pool_model(pool);

	if (m && (vg_pmspare(vg) == lv ||
		  ((vg_find_lv(vg, m->data) == lv || vg_find_lv(vg, m->metadata) == lv) && cache_pool_user(vg, pool))))
		return (struct vg_lv *)pool;
	return NULL;
}

/* The role and parent of pool @pool's sub-LV, or of the spare. */
static void sub_kind(const struct seg_report_ctx *x, const struct vg_lv *pool, const struct cache_pool_seg *m)
{
	bool data = m && vg_find_lv(x->vg, m->data) == x->lv, meta = m && vg_find_lv(x->vg, m->metadata) == x->lv;

	if (vg_pmspare(x->vg) == x->lv)
		seg_report_kind(x, NULL, "pool,spare", NULL, true);
	else if (data || meta)
		seg_report_kind(x, NULL, data ? "cache,pool,data" : "cache,pool,metadata", NULL, true);
	if (data || meta)
		seg_report_lv(x, RF_LV_PARENT, -1, pool->name);
}

/* _cdata 'C', _cmeta 'e', whether or not the pool is used. */
static void pool_report_named(const struct seg_report_ctx *x, const struct vg_lv *user)
{
	const struct cache_pool_seg *m = cache_pool_model(user);

	if (m && vg_find_lv(x->vg, m->data) == x->lv)
		x->attr[0] = 'C';
	else if (m && vg_find_lv(x->vg, m->metadata) == x->lv)
		x->attr[0] = 'e';
	else
		return;
	sub_kind(x, user, m);
}

static const char *pool_report_name(const struct lv_seg *s)
{
	(void)s;
	return "cache-pool";
}

/* An unused pool has no device (lvm2 skips its activation); a used one
 * goes up with its cache LV. */
static int pool_plan(struct lv_plan *p, const struct vg *vg, const struct vg_lv *lv, struct err *e)
{
	(void)p;
	(void)vg;
	(void)lv;
	(void)e;
	return 0;
}

void cache_pool_report_fields(const struct seg_report_ctx *x, const struct vg_lv *pool)
{
	const struct cache_pool_seg *m = cache_pool_model(pool);
	const struct vg_lv *meta;
	char buf[LVM_NAME_LEN + 32];

	if (!m)
		return;
	snprintf(buf, sizeof(buf), "%s(0)", m->data);
	report_set_str(x->row, RF_DEVICES, buf);
	snprintf(buf, sizeof(buf), "%s:0-%u", m->data, pool->le_count - 1);
	report_set_str(x->row, RF_SEG_PE_RANGES, buf);
	snprintf(buf, sizeof(buf), "[%s]:0-%u", m->data, pool->le_count - 1);
	report_set_str(x->row, RF_SEG_LE_RANGES, buf);
	seg_report_lv(x, RF_DATA_LV, RF_DATA_LV_UUID, m->data);
	seg_report_lv(x, RF_METADATA_LV, RF_METADATA_LV_UUID, m->metadata);
	report_set_u64(x->row, RF_STRIPES, 1); /* the data LV */
	report_set_u64(x->row, RF_DATA_STRIPES, 1);
	if ((meta = vg_find_lv(x->vg, m->metadata)))
		report_set_sectors(x->row, RF_LV_METADATA_SIZE, (uint64_t)meta->le_count * x->vg->extent_size);
	cache_settings_report(x, &m->cs);
	x->attr[0] = 'C';
	x->attr[6] = 'C';
}

static void pool_report(const struct seg_report_ctx *x, const struct vg_lv *owner)
{
	const struct cache_pool_seg *m;
	const struct vg_lv *user;

	if (owner) { /* _cdata 'C', _cmeta and the spare 'e' */
		m = cache_pool_model(owner);
		x->attr[0] = m && vg_find_lv(x->vg, m->data) == x->lv ? 'C' : 'e';
		sub_kind(x, owner, m);
		return;
	}
	seg_report_kind(x, "cache,pool", NULL, "cache", true);
	cache_pool_report_fields(x, x->lv);
	if ((user = cache_pool_user(x->vg, x->lv)))
		cache_status_report(x, user, false);
}

/* lvdisplay: the sub-LVs; --maps: the settings. */
static void pool_display(struct seg_display_ctx *x)
{
	const struct cache_pool_seg *m = cache_pool_model(x->lv);

	if (m && x->at == SEG_DISPLAY_NAMES) {
		fprintf(x->out, "  LV Pool metadata       %s\n", m->metadata);
		fprintf(x->out, "  LV Pool data           %s\n", m->data);
	}
}

static void pool_display_seg(const struct seg_display_ctx *x, const struct lv_seg *s)
{
	const struct cache_pool_seg *m = s->priv;

	if (m)
		cache_settings_display(x, &m->cs);
}

/* ---- lvcreate --type cache-pool, lvremove ---- */

/* The spare as large as @meta extents: made (lvolN_pmspare, N the first
 * free lvolN as lvm2's generate_lv_name) or grown. */
static int spare_for(struct lv_change *ch, uint32_t meta, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct vg_lv *sp = vg_pmspare(vg);
	char name[LVM_NAME_LEN];
	uint64_t max = (CACHE_META_MAX + vg->extent_size - 1) / vg->extent_size;

	if (meta > max)
		meta = (uint32_t)max;
	if (!sp) {
		vg_next_lv_name(vg, name, sizeof(name) - strlen("_pmspare"));
		strcat(name, "_pmspare");
		return lv_change_add_hidden(ch, name, meta, false, &sp, e);
	}
	if (sp->le_count < meta) {
		struct alloc_req req = { .stripes = 1, .extents = meta - sp->le_count, .ranges = ch->ranges,
					 .nranges = ch->nranges };

		return alloc_extend(vg, sp, &req, e);
	}
	return 0;
}

/* The chunk size of a new pool of @data sectors (update_cache_pool_params). */
static int pool_chunk(struct lv_change *ch, uint32_t given, uint64_t data, uint32_t *chunk, struct err *e)
{
	int64_t conf = lvm_setting_int(ch->env, "allocation/cache_pool_chunk_size") * 2;
	uint64_t min = ((data + CACHE_MAX_CHUNKS - 1) / CACHE_MAX_CHUNKS + CACHE_CHUNK_MIN - 1) / CACHE_CHUNK_MIN *
		       CACHE_CHUNK_MIN;
	char b1[UNITS_BUF], b2[UNITS_BUF], b3[UNITS_BUF];
	int r;

	if (!given) {
		*chunk = conf > 0 ? (uint32_t)conf : CACHE_CHUNK_DEFAULT;
		if (conf <= 0) { /* a power of two when nothing says otherwise */
			uint64_t p = 1;

			while (p < min)
				p <<= 1;
			min = p;
		}
		if (*chunk < min) {
			fprintf(ch->out, "  Using %s chunk size instead of default %s, so cache pool has less than %llu "
				"chunks.\n", lv_change_size(b1, min), lv_change_size(b2, *chunk), CACHE_MAX_CHUNKS);
			*chunk = (uint32_t)min;
		}
	} else if (given < min) {
		return err_set(e, -EINVAL, "Chunk size %s is less than required minimal chunk size %s for a cache pool of "
			       "%s size and limit %llu chunks.\n  To allow use of more chunks, see setting "
			       "allocation/cache_pool_max_chunks.", lv_change_size(b1, given), lv_change_size(b2, min),
			       lv_change_size(b3, data), CACHE_MAX_CHUNKS);
	} else {
		*chunk = given;
	}
	if ((r = cache_chunk_check(*chunk, e)))
		return r;
	if (*chunk > data)
		return err_set(e, -EINVAL, "Size of cache-pool data volume cannot be smaller than chunk size %s.",
			       lv_change_size(b1, *chunk));
	return 0;
}

/* The metadata size, in sectors of whole extents, of a pool of @data
 * sectors in @chunk chunks, @given (0: not given) brought within what
 * it needs and what dm-cache can use (update_cache_pool_params and
 * update_pool_metadata_min_max), with lvm2's notices. */
static uint64_t meta_size(struct lv_change *ch, uint64_t data, uint32_t chunk, uint64_t given)
{
	uint64_t E = ch->h->vg->extent_size, min = (cache_min_metadata(data, chunk) + E - 1) / E * E;
	uint64_t max = (CACHE_META_MAX + E - 1) / E * E;
	char b1[UNITS_BUF], b2[UNITS_BUF];

	if (!given)
		return min;
	if (given > max) {
		fprintf(ch->out, "  Reducing pool metadata size %s to maximum usable size %s.\n", lv_change_size(b1, given),
			lv_change_size(b2, max));
		return max;
	}
	if (given < min) {
		fprintf(ch->out, "  Extending pool metadata size %s to required minimal size %s.\n",
			lv_change_size(b1, given), lv_change_size(b2, min));
		return min;
	}
	return given;
}

/* A new pool's settings, as cache_set_params writes them on a pool: only
 * what was asked for, and the policy once settings or format 2 need one. */
static int new_pool_settings(struct lv_change *ch, const struct lv_cache_opts *o, struct cache_settings *cs,
			     struct err *e)
{
	int r;

	if ((r = cache_opts_apply(ch->h->vg, o, cs, e)))
		return r;
	if ((o->nsettings || cs->format == 2) && !cs->policy)
		cs->policy = lvm_setting_str(ch->env, "allocation/cache_policy");
	return 0;
}

static int pool_create(struct lv_change *ch, const struct lv_create_req *req, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct cache_pool_seg m = { 0 };
	char name[LVM_NAME_LEN], mname[LVM_NAME_LEN + 8], dname[LVM_NAME_LEN + 8];
	const char *pn = req->name ? req->name : req->lv_arg;
	uint64_t E = vg->extent_size, data, meta;
	struct vg_lv *pool, *cm, *cd;
	int r;

	if (pn)
		snprintf(name, sizeof(name), "%s", pn);
	else
		vg_next_lv_name(vg, name, sizeof(name));
	if ((r = vg_check_new_lv_name(vg, name, e)))
		return r;
	if (strlen(name) + strlen("_cpool_cdata") > LVM_NAME_LEN - 1)
		return err_set(e, -ENAMETOOLONG, "Cache pool name %s is too long.", name);
	if (req->origin || req->virtual_extents)
		return err_set(e, -EINVAL, "A cache pool takes -L/--size (or -l) only.");
	if (!req->extents || req->extents > UINT32_MAX)
		return err_set(e, -EINVAL, "Invalid size for a cache pool.");
	if (req->cache.metadata_format > 2)
		return err_set(e, -EINVAL, "Invalid argument for --cachemetadataformat.");
	data = req->extents * E;
	if ((req->chunk_size && (r = cache_chunk_check(req->chunk_size, e))) || /* get_cache_params first */
	    (r = pool_chunk(ch, req->chunk_size, data, &m.cs.chunk_size, e)))
		return r;
	meta = meta_size(ch, data, m.cs.chunk_size, req->meta_extents * E);
	if ((r = new_pool_settings(ch, &req->cache, &m.cs, e)))
		goto out;
	snprintf(mname, sizeof(mname), "%s_cmeta", name);
	snprintf(dname, sizeof(dname), "%s_cdata", name);
	m.metadata = mname;
	m.data = dname;
	if ((r = spare_for(ch, (uint32_t)(meta / E), e)) || (r = lv_change_add_lv(ch, req, name, &pool, e)) ||
	    (r = lv_change_add_hidden(ch, mname, (uint32_t)(meta / E), false, &cm, e)) ||
	    (r = lv_change_add_hidden(ch, dname, (uint32_t)req->extents, false, &cd, e)))
		goto out;
	pool->le_count = cd->le_count;
	if ((r = cache_pool_set(vg, pool, &m, e)) || (r = lv_wipe_new(vg, cm, false, LV_ZERO_START, e)) ||
	    (r = lvm_vg_commit(ch->env, ch->h, e)))
		goto out;
	if (!req->quiet)
		fprintf(ch->out, "  Logical volume \"%s\" created.\n", name);
out:
	cache_settings_free(&m.cs);
	return r;
}

void cache_pool_drop(struct vg *vg, struct vg_lv *pool)
{
	const struct cache_pool_seg *m = cache_pool_model(pool);
	struct vg_lv *cd = m ? vg_find_lv(vg, m->data) : NULL, *cm = m ? vg_find_lv(vg, m->metadata) : NULL, *sp;

	vg_remove_lv(vg, pool);
	if (cd)
		vg_remove_lv(vg, cd);
	if (cm)
		vg_remove_lv(vg, cm);
	if (!vg_keeps_pmspare(vg) && (sp = vg_pmspare(vg)))
		vg_remove_lv(vg, sp);
}

/* lvremove of a pool's LV: an unused pool goes with its sub-LVs; a used
 * one is --uncache of its LV (lvm2's lv_remove_single); its sub-LVs and
 * the spare are refused. */
static int pool_remove(struct lv_change *ch, struct vg_lv *lv, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct vg_lv *user;
	char name[LVM_NAME_LEN];
	int r;

	if (!cache_pool_model(lv))
		return err_set(e, -EBUSY, "Can't remove logical volume %s/%s used by a pool.", vg->name, lv->name);
	if ((user = cache_pool_user(vg, lv))) {
		struct lv_convert_req req = { .uncache = true, .mirrors = -1, .zero = -1, .interval = 1 };

		return cache_detach(ch, user, true, &req, e);
	}
	snprintf(name, sizeof(name), "%s", lv->name);
	cache_pool_drop(vg, lv);
	if ((r = lvm_vg_commit(ch->env, ch->h, e)))
		return r;
	fprintf(ch->out, "  Logical volume \"%s\" successfully removed.\n", name);
	return 0;
}

static int pool_resize(struct lv_change *ch, struct vg_lv *lv, const struct lv_resize_req *req, struct err *e)
{
	(void)req;
	return err_set(e, -EOPNOTSUPP, "Unable to resize logical volumes of cache type %s/%s.", ch->h->vg->name,
		       lv->name);
}

/* lvconvert --splitcache/--uncache of a used pool: of its LV; lvchange
 * --cachemode/--cachepolicy/--cachesettings: of an unused pool here. */
int cache_pool_from_lv(struct lv_change *ch, struct vg_lv *lv, const struct lv_convert_req *req, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct cache_pool_seg m = { 0 };
	char name[LVM_NAME_LEN], mname[LVM_NAME_LEN + 8], dname[LVM_NAME_LEN + 8], q[3 * LVM_NAME_LEN + 16];
	uint64_t E = vg->extent_size, meta;
	struct vg_lv *cm, *newm = NULL, *pool;
	bool zero = req->zero != 0;
	int r;

	if ((r = lv_change_pool_parts(vg, lv, req->pool_metadata, &cm, e)))
		return r;
	snprintf(name, sizeof(name), "%s", lv->name);
	if (strlen(name) + strlen("_cdata") > LVM_NAME_LEN - 1)
		return err_set(e, -ENAMETOOLONG, "Failed to create internal lv names, pool name is too long.");
	if ((r = lv_change_pool_names(vg, lv, cm, "_cmeta", "_cdata", mname, dname, sizeof(mname), e)))
		return r;
	if ((req->chunk_size && (r = cache_chunk_check(req->chunk_size, e))) ||
	    (r = pool_chunk(ch, req->chunk_size, (uint64_t)lv->le_count * E, &m.cs.chunk_size, e)))
		return r;
	meta = meta_size(ch, (uint64_t)lv->le_count * E, m.cs.chunk_size,
			 cm ? (uint64_t)cm->le_count * E : req->meta_extents * E);
	if (cm && meta > (uint64_t)cm->le_count * E)
		return err_set(e, -ENOSPC, "Pool metadata LV %s/%s is too small (%u extents) for required metadata (%llu "
			       "extents).", vg->name, cm->name, cm->le_count, (unsigned long long)(meta / E));
	if ((r = new_pool_settings(ch, &req->cache, &m.cs, e)))
		goto out;
	if (cm)
		snprintf(q, sizeof(q), "%s/%s and %s/%s", vg->name, name, vg->name, cm->name);
	else
		snprintf(q, sizeof(q), "%s/%s", vg->name, name);
	fprintf(stderr, "  WARNING: Converting %s to cache pool's data%s %s metadata wiping.\n", q,
		cm ? " and metadata volumes" : " volume", zero ? "with" : "WITHOUT");
	fprintf(stderr, zero ? "  THIS WILL DESTROY CONTENT OF LOGICAL VOLUME (filesystem etc.)\n"
			     : "  WARNING: Using mismatched cache pool metadata MAY DESTROY YOUR DATA!\n");
	if (!cache_confirm(ch, "Do you really want to convert %s%s?", q, "")) {
		r = err_set(e, -ECANCELED, "Conversion aborted.");
		goto out;
	}
	/* what is allocated first, so that no room leaves the LVs as they were */
	if ((!cm && (r = lv_change_add_hidden(ch, mname, (uint32_t)(meta / E), false, &newm, e))) ||
	    (r = spare_for(ch, cm ? cm->le_count : newm->le_count, e)))
		goto out;
	if ((r = lv_change_pool_take(ch, lv, cm, mname, dname, e)))
		goto out;
	if (!cm)
		cm = newm;
	m.metadata = mname;
	m.data = dname;
	if ((r = vg_add_lv(vg, name, &pool, e)))
		goto out;
	pool->le_count = lv->le_count;
	if ((r = cache_pool_set(vg, pool, &m, e)) || (zero && (r = lv_wipe_new(vg, cm, false, LV_ZERO_START, e))) ||
	    (r = lvm_vg_commit(ch->env, ch->h, e)))
		goto out;
	fprintf(ch->out, "  Converted %s to cache pool.\n", q);
out:
	cache_settings_free(&m.cs);
	return r;
}

static int pool_convert(struct lv_change *ch, struct vg_lv *lv, const struct lv_convert_req *req, struct err *e)
{
	struct vg *vg = ch->h->vg;
	const struct cache_pool_seg *old = cache_pool_model(lv);
	struct vg_lv *user = old ? cache_pool_user(vg, lv) : NULL;
	struct cache_pool_seg m;
	int r;

	if (!old && req->type_name && !strcmp(req->type_name, "cache-pool"))
		return cache_pool_from_lv(ch, lv, req, e);
	if (!old && req->type_name)
		return err_set(e, -EOPNOTSUPP, "Operation not permitted on LV %s/%s.", vg->name, lv->name);
	if (!old)
		return err_set(e, -EINVAL, "Operation not permitted on LV %s/%s.", vg->name, lv->name);
	if (req->split_cache || req->uncache) {
		if (!user)
			return err_set(e, -EINVAL, "Cannot find LV with cache from %s/%s.", vg->name, lv->name);
		return segtype_cache.convert(ch, user, req, e);
	}
	if (req->type_name)
		return err_set(e, -EOPNOTSUPP, "Operation not permitted on cache pool %s/%s: use lvconvert --type cache "
			       "--cachepool %s/%s VG/LV.", vg->name, lv->name, vg->name, lv->name);
	if (!req->cache.mode && !req->cache.policy && !req->cache.nsettings)
		return err_set(e, -EINVAL, "Operation not permitted on cache pool %s/%s.", vg->name, lv->name);
	if (user) /* the pool's settings are its LV's: changed there (flushing first) */
		return segtype_cache.convert(ch, user, req, e);
	m = *old;
	if (!(m.cs.set = malloc((old->cs.nset + 1) * sizeof(*m.cs.set))))
		return err_set(e, -ENOMEM, "out of memory");
	if (old->cs.nset)
		memcpy(m.cs.set, old->cs.set, old->cs.nset * sizeof(*m.cs.set));
	if (!(r = cache_opts_apply(vg, &req->cache, &m.cs, e)) && req->cache.nsettings && !m.cs.policy)
		m.cs.policy = lvm_setting_str(ch->env, "allocation/cache_policy");
	if (!r && !(r = cache_pool_set(vg, lv, &m, e)) && !(r = lvm_vg_commit(ch->env, ch->h, e)))
		fprintf(ch->out, "  Logical volume %s/%s changed.\n", vg->name, lv->name);
	cache_settings_free(&m.cs);
	return r;
}

static const struct seg_ref_key pool_refs[] = {
	{ "data", true, 0, false, NULL },
	{ "metadata", true, 0, false, NULL },
	{ NULL, false, 0, false, NULL },
};

const struct segtype segtype_cache_pool = {
	.name = "cache-pool",
	.flags = SEGTYPE_KEPT | SEGTYPE_SPARE,
	.refs = pool_refs,
	.attr_volume = 'C',
	.attr_target = 'C',
	.parse = pool_parse,
	.free = pool_free,
	.validate = pool_validate,
	.report_name = pool_report_name,
	.plan = pool_plan,
	.owner_of = pool_owner_of,
	.report = pool_report,
	.report_named = pool_report_named,
	.display = pool_display,
	.display_seg = pool_display_seg,
	.create = pool_create,
	.remove = pool_remove,
	.resize = pool_resize,
	.convert = pool_convert,
};
