/* Thin pools and thin volumes in the VG model.  See thin_lv.h. */
#include "lvm/thin_lv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dmctl.h"
#include "lvm/activate.h"
#include "lvm/devices.h"
#include "lvm/segtype.h"
#include "lvm/vg_internal.h"

bool lv_is_thin_pool(const struct vg_lv *lv)
{
	return lv_seg_model(lv, &segtype_thin_pool) != NULL;
}

bool lv_is_thin(const struct vg_lv *lv)
{
	return lv_seg_model(lv, &segtype_thin) != NULL;
}

int lv_thin_pool_seg(const struct vg_lv *lv, struct thin_pool_seg *tp, struct err *e)
{
	const struct thin_pool_seg *m = lv_seg_model(lv, &segtype_thin_pool);

	if (!m)
		return err_set(e, -EINVAL, "LV %s is not a thin pool", lv->name);
	*tp = *m;
	return 0;
}

int lv_thin_seg(const struct vg_lv *lv, struct thin_seg *t, struct err *e)
{
	const struct thin_seg *m = lv_seg_model(lv, &segtype_thin);

	if (!m)
		return err_set(e, -EINVAL, "LV %s is not a thin volume", lv->name);
	*t = *m;
	return 0;
}

int lv_set_thin_pool(struct vg *vg, struct vg_lv *lv, uint32_t extents, const struct thin_pool_seg *tp,
		     struct err *e)
{
	struct cfg_node *sn = seg_new_raw(vg, extents, segtype_thin_pool.name);

	cfg_add_str(sn, "metadata", tp->metadata);
	cfg_add_str(sn, "pool", tp->data);
	cfg_add_int(sn, "transaction_id", (int64_t)tp->transaction_id);
	vg_size_comment(cfg_add_int(sn, "chunk_size", tp->chunk_size), tp->chunk_size);
	if (tp->discards)
		cfg_add_str(sn, "discards", tp->discards);
	if (tp->zero)
		cfg_add_int(sn, "zero_new_blocks", 1);
	return lv_set_raw_seg(vg, lv, extents, &segtype_thin_pool, sn, e);
}

int lv_set_thin(struct vg *vg, struct vg_lv *lv, uint32_t extents, const struct thin_seg *t, struct err *e)
{
	struct cfg_node *sn = seg_new_raw(vg, extents, segtype_thin.name);

	cfg_add_str(sn, "thin_pool", t->pool);
	if (t->origin)
		cfg_add_str(sn, "origin", t->origin);
	if (t->external_origin)
		cfg_add_str(sn, "external_origin", t->external_origin);
	cfg_add_int(sn, "transaction_id", (int64_t)t->transaction_id);
	cfg_add_int(sn, "device_id", t->device_id);
	return lv_set_raw_seg(vg, lv, extents, &segtype_thin, sn, e);
}

struct vg_lv *thin_pool_of(const struct vg *vg, const struct vg_lv *lv)
{
	struct thin_seg t;
	struct err e = { { 0 } };
	struct vg_lv *p;

	if (lv_thin_seg(lv, &t, &e) || !(p = vg_find_lv(vg, t.pool)) || !lv_is_thin_pool(p))
		return NULL;
	return p;
}

struct vg_lv *thin_pool_sub(const struct vg *vg, const struct vg_lv *pool, bool meta)
{
	struct thin_pool_seg tp;
	struct err e = { { 0 } };

	if (lv_thin_pool_seg(pool, &tp, &e))
		return NULL;
	return vg_find_lv(vg, meta ? tp.metadata : tp.data);
}

unsigned thin_pool_users(const struct vg *vg, const struct vg_lv *pool)
{
	unsigned n = 0;

	for (unsigned i = 0; i < vg->nlv; i++)
		n += thin_pool_of(vg, vg->lv[i]) == pool;
	return n;
}

uint32_t thin_pool_next_id(const struct vg *vg, const struct vg_lv *pool)
{
	uint32_t max = 0;
	struct thin_seg t;
	struct err e = { { 0 } };

	for (unsigned i = 0; i < vg->nlv; i++)
		if (thin_pool_of(vg, vg->lv[i]) == pool && !lv_thin_seg(vg->lv[i], &t, &e) && t.device_id > max)
			max = t.device_id;
	return max + 1;
}

struct vg_lv *vg_pmspare(const struct vg *vg)
{
	for (unsigned i = 0; i < vg->nlv; i++) {
		size_t n = strlen(vg->lv[i]->name);

		if (n > 8 && !strcmp(vg->lv[i]->name + n - 8, "_pmspare"))
			return vg->lv[i];
	}
	return NULL;
}

uint64_t thin_meta_default_size(uint64_t data_sectors, uint32_t chunk)
{
	uint64_t s = data_sectors / chunk * 64 / 512;

	if (s < THIN_META_MIN)
		s = THIN_META_MIN;
	if (s > THIN_META_MAX)
		s = THIN_META_MAX;
	return s;
}

int thin_pool_status(struct dmctl *d, const char *tpool, struct thin_pool_status *s, struct err *e)
{
	char *l;
	int r;

	if ((r = dmctl_status(d, tpool, &l, e)))
		return r;
	if (sscanf(l, "%*s %*s %*s %" SCNu64 " %" SCNu64 "/%" SCNu64 " %" SCNu64 "/%" SCNu64, &s->txid,
		   &s->meta_used, &s->meta_total, &s->data_used, &s->data_total) != 5)
		r = err_set(e, -EPROTO, "thin pool %s: unexpected status", tpool);
	free(l);
	return r;
}

int thin_mapped(struct dmctl *d, const char *name, uint64_t *sectors, struct err *e)
{
	char *l;
	int r;

	if ((r = dmctl_status(d, name, &l, e)))
		return r;
	if (sscanf(l, "%*s %*s %*s %" SCNu64, sectors) != 1)
		r = err_set(e, -EPROTO, "thin %s: unexpected status", name);
	free(l);
	return r;
}

/* ---- pool transactions ---- */

int thin_txn_begin(struct lv_change *ch, const struct vg_lv *pool, struct thin_txn *t, struct err *e)
{
	const struct vg *vg = ch->h->vg;
	struct thin_pool_seg tp;
	struct thin_pool_status s;
	int r;

	if (!dmctl_up(ch->d))
		return err_set(e, -ENOTCONN, "thin pool %s/%s must be active (%s)", vg->name, pool->name, ch->d->why.msg);
	if ((r = lv_thin_pool_seg(pool, &tp, e)) || (r = lvm_lv_activate(ch->env, ch->d, ch->h->vg, pool, e)))
		return r;
	t->d = ch->d;
	lv_dm_layer_name(vg, pool, "tpool", t->tpool, sizeof(t->tpool));
	if ((r = thin_pool_status(ch->d, t->tpool, &s, e)))
		return r;
	if (s.txid != tp.transaction_id)
		return err_set(e, -EINVAL, "Thin pool %s transaction_id is %" PRIu64 ", while expected %" PRIu64 ".",
			       t->tpool, s.txid, tp.transaction_id);
	t->txid = tp.transaction_id;
	return 0;
}

int thin_txn_msg(struct thin_txn *t, const char *fmt, uint64_t a, uint64_t b, struct err *e)
{
	char m[128];

	snprintf(m, sizeof(m), fmt, a, b);
	return dmctl_message(t->d, t->tpool, m, e);
}

int thin_txn_bump(struct thin_txn *t, struct err *e)
{
	return thin_txn_msg(t, "set_transaction_id %" PRIu64 " %" PRIu64, t->txid, t->txid + 1, e);
}

void thin_txn_undo(struct thin_txn *t, uint32_t id)
{
	struct err e2 = { { 0 } };

	if (thin_txn_msg(t, "delete %" PRIu64 "%.0" PRIu64, id, 0, &e2) ||
	    thin_txn_msg(t, "set_transaction_id %" PRIu64 " %" PRIu64, t->txid + 1, t->txid, &e2))
		fprintf(stderr, "  WARNING: could not undo the pool change: %s\n", e2.msg);
}

int thin_pool_set_txid(struct vg *vg, struct vg_lv *pool, uint64_t txid, struct err *e)
{
	struct thin_pool_seg tp;
	int r;

	if ((r = lv_thin_pool_seg(pool, &tp, e)))
		return r;
	tp.transaction_id = txid;
	return lv_set_thin_pool(vg, pool, pool->le_count, &tp, e);
}
