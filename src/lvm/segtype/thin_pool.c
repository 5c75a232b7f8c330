/* "thin-pool": a pool of thin provisioned blocks (lib/thin/thin.c,
 * LVM2-FORMAT.md §10.5; lvm/thin_lv.h for the model).
 *
 * The section is kept as read and parsed into struct thin_pool_seg:
 * metadata and pool (the hidden _tmeta and _tdata LVs, which it owns),
 * transaction_id, chunk_size, discards, zero_new_blocks.  Its state lives
 * outside the VG text too (the pool's metadata on _tmeta).
 *
 * Plan, bottom-up: _tmeta and _tdata (their own types' devices),
 * vg-pool-tpool (thin-pool over them; refused before creation when _tmeta
 * is blank while the VG says the pool has been used, and removed again
 * when its transaction id is not the VG's), vg-pool (linear over tpool,
 * read-only, as lvm2's).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/dmctl.h"
#include "lvm/activate.h"
#include "lvm/devices.h"
#include "lvm/report_lvm.h"
#include "lvm/segtype.h"
#include "lvm/thin_lv.h"

static const char *opt_str(const struct cfg_node *sn, const char *key)
{
	const struct cfg_node *n = cfg_find(sn, key);

	return n && n->type == CFG_STRING ? n->v.s : NULL;
}

static int pool_parse(const struct vg *vg, struct lv_seg *s, struct err *e)
{
	const struct cfg_node *sn = s->raw;
	struct thin_pool_seg *tp = calloc(1, sizeof(*tp));
	int64_t z = 0;
	int r;

	(void)vg;
	if (!tp)
		return err_set(e, -ENOMEM, "out of memory");
	free(s->priv);
	s->priv = NULL;
	if ((r = cfg_get_str(sn, "metadata", &tp->metadata, e)) || (r = cfg_get_str(sn, "pool", &tp->data, e)) ||
	    (r = cfg_get_u64(sn, "transaction_id", &tp->transaction_id, e)) ||
	    (r = cfg_get_u32(sn, "chunk_size", &tp->chunk_size, e)) ||
	    (cfg_find(sn, "zero_new_blocks") && (r = cfg_get_int(sn, "zero_new_blocks", &z, e)))) {
		free(tp);
		return r;
	}
	if (tp->chunk_size < THIN_CHUNK_MIN || tp->chunk_size > THIN_CHUNK_MAX || tp->chunk_size % THIN_CHUNK_MIN) {
		r = err_set(e, -EINVAL, "thin pool: bad chunk_size %u", tp->chunk_size);
		free(tp);
		return r;
	}
	tp->discards = opt_str(sn, "discards");
	if (!tp->discards)
		tp->discards = "ignore";
	if (strcmp(tp->discards, "ignore") && strcmp(tp->discards, "nopassdown") && strcmp(tp->discards, "passdown")) {
		r = err_set(e, -EINVAL, "thin pool: unknown discards \"%s\"", tp->discards);
		free(tp);
		return r;
	}
	tp->zero = z != 0;
	s->priv = tp;
	return 0;
}

static void pool_free(struct lv_seg *s)
{
	free(s->priv);
	s->priv = NULL;
}

/* The pool's low water mark in data blocks: what is left when use
 * passes activation/thin_pool_autoextend_threshold percent (100: off). */
static uint64_t pool_lwm(const struct lv_plan *p, const struct vg_lv *pool, uint32_t chunk)
{
	int64_t th = p->env ? lvm_conf_int(p->env, "activation", "thin_pool_autoextend_threshold", 100) : 100;
	uint64_t blocks = (uint64_t)pool->le_count * p->vg->extent_size / chunk;

	if (th <= 0 || th >= 100)
		return 0;
	return blocks * (uint64_t)(100 - th) / 100;
}

/* The pool target formats a blank metadata device: right for a new pool
 * (transaction 0), wrong for one whose VG says it has been used. */
static int check_tmeta(const struct lv_plan *p, const struct lv_plan_dev *dev, struct err *e)
{
	const struct vg *vg = p->vg;
	const struct thin_pool_seg *tp = lv_seg_model(dev->lv, &segtype_thin_pool);
	const struct vg_lv *m = vg_find_lv(vg, tp->metadata);
	const struct lv_seg *s = m && m->nseg ? &m->seg[0] : NULL;
	char buf[4096];
	bool blank = true;
	int fd;

	if (!tp->transaction_id || !s || !s->striped || !s->area[0].pv->path)
		return 0;
	if ((fd = open(s->area[0].pv->path, O_RDONLY)) < 0)
		return err_set(e, -errno, "%s: %s", s->area[0].pv->path, strerror(errno));
	if (pread(fd, buf, sizeof(buf), (off_t)(s->area[0].pv->pe_start + (uint64_t)s->area[0].pe * vg->extent_size) *
						    512) != (ssize_t)sizeof(buf))
		memset(buf, 0, sizeof(buf));
	close(fd);
	for (size_t i = 0; i < sizeof(buf) && blank; i++)
		blank = !buf[i];
	if (blank)
		return err_set(e, -EINVAL, "thin-pool %s/%s: metadata LV %s is blank, while transaction_id is %" PRIu64,
			       vg->name, dev->lv->name, m->name, tp->transaction_id);
	return 0;
}

/* A pool brought up must be at the VG's transaction. */
static int check_txid(const struct lv_plan *p, const struct lv_plan_dev *dev, struct dmctl *d, struct err *e)
{
	const struct thin_pool_seg *tp = lv_seg_model(dev->lv, &segtype_thin_pool);
	struct thin_pool_status s;
	int r;

	if ((r = thin_pool_status(d, dev->name, &s, e)))
		return r;
	if (s.txid != tp->transaction_id)
		return err_set(e, -EINVAL, "thin-pool %s/%s: transaction_id is %" PRIu64 ", while expected %" PRIu64,
			       p->vg->name, dev->lv->name, s.txid, tp->transaction_id);
	return 0;
}

static int pool_plan(struct lv_plan *p, const struct vg *vg, const struct vg_lv *pool, struct err *e)
{
	const struct thin_pool_seg *tp = lv_seg_model(pool, &segtype_thin_pool);
	char meta[LV_DM_NAME_MAX], data[LV_DM_NAME_MAX], tpool[LV_DM_NAME_MAX + LV_DM_LAYER_MAX], *t;
	struct vg_lv *m = vg_find_lv(vg, tp->metadata), *d = vg_find_lv(vg, tp->data);
	struct lv_plan_dev *dev;
	size_t len = 0;
	unsigned nf;
	FILE *f;
	int r;

	if (!m || !d)
		return err_set(e, -ENOENT, "thin pool %s/%s: its _tmeta or _tdata LV is missing", vg->name, pool->name);
	if (d->le_count != pool->le_count)
		return err_set(e, -EINVAL, "thin pool %s/%s: %u extents, its data LV %u", vg->name, pool->name,
			       pool->le_count, d->le_count);
	if ((r = lv_plan_sub(p, m, true, e)) || (r = lv_plan_sub(p, d, true, e)))
		return r;
	p->dev[p->n - 2].readonly = p->dev[p->n - 1].readonly = false;
	lv_dm_name(vg, m, meta);
	lv_dm_name(vg, d, data);
	nf = !tp->zero + !strcmp(tp->discards, "ignore") + !strcmp(tp->discards, "nopassdown");
	if (!(f = open_memstream(&t, &len)))
		return err_set(e, -ENOMEM, "out of memory");
	fprintf(f, "0 %" PRIu64 " thin-pool /dev/mapper/%s /dev/mapper/%s %u %" PRIu64,
		(uint64_t)pool->le_count * vg->extent_size, meta, data, tp->chunk_size, pool_lwm(p, pool, tp->chunk_size));
	if (nf)
		fprintf(f, " %u%s%s%s", nf, tp->zero ? "" : " skip_block_zeroing",
			strcmp(tp->discards, "ignore") ? "" : " ignore_discard",
			strcmp(tp->discards, "nopassdown") ? "" : " no_discard_passdown");
	if (fclose(f)) {
		free(t);
		return err_set(e, -ENOMEM, "out of memory");
	}
	if (!(dev = lv_plan_add(p, pool, "tpool", t, e)))
		return -ENOMEM;
	dev->before = check_tmeta;
	dev->after = check_txid;
	lv_dm_layer_name(vg, pool, "tpool", tpool, sizeof(tpool));
	if (asprintf(&t, "0 %" PRIu64 " linear /dev/mapper/%s 0", (uint64_t)pool->le_count * vg->extent_size, tpool) < 0)
		return err_set(e, -ENOMEM, "out of memory");
	if (!(dev = lv_plan_add(p, pool, NULL, t, e)))
		return -ENOMEM;
	dev->readonly = true;
	return 0;
}

static struct vg_lv *pool_owner_of(const struct vg *vg, const struct vg_lv *pool, const struct vg_lv *lv)
{
	const struct thin_pool_seg *tp = lv_seg_model(pool, &segtype_thin_pool);

	if (tp && (vg_find_lv(vg, tp->metadata) == lv || vg_find_lv(vg, tp->data) == lv || vg_pmspare(vg) == lv))
		return (struct vg_lv *)pool;
	return NULL;
}

static int32_t pct(uint64_t used, uint64_t total)
{
	return total ? (int32_t)(used * (uint64_t)REPORT_PERCENT_100 / total) : 0;
}

static void pool_report(const struct seg_report_ctx *x, const struct vg_lv *owner)
{
	const struct vg *vg = x->vg;
	const struct thin_pool_seg *tp;
	char name[LV_DM_NAME_MAX + LV_DM_LAYER_MAX];
	struct thin_pool_status s;
	struct err e = { { 0 } };

	if (owner) { /* _tdata 'T', _tmeta and the spare 'e'; open while the pool is */
		tp = lv_seg_model(owner, &segtype_thin_pool);
		x->attr[0] = vg_find_lv(vg, tp->data) == x->lv ? 'T' : 'e';
		lv_dm_name(vg, x->lv, name);
		if (x->d && x->lv != vg_pmspare(vg) && dmctl_open(x->d, name))
			x->attr[5] = 'o';
		return;
	}
	tp = lv_seg_model(x->lv, &segtype_thin_pool);
	report_set_str(x->row, RF_DATA_LV, tp->data);
	report_set_str(x->row, RF_METADATA_LV, tp->metadata);
	report_set_sectors(x->row, RF_CHUNK_SIZE, tp->chunk_size);
	report_set_u64(x->row, RF_TRANSACTION_ID, tp->transaction_id);
	report_set_u64(x->row, RF_THIN_COUNT, thin_pool_users(vg, x->lv));
	x->attr[7] = tp->zero ? 'z' : '-';
	lv_dm_layer_name(vg, x->lv, "tpool", name, sizeof(name));
	if (!x->d || thin_pool_status(x->d, name, &s, &e))
		return;
	report_set_percent(x->row, RF_DATA_PERCENT, pct(s.data_used, s.data_total));
	report_set_percent(x->row, RF_METADATA_PERCENT, pct(s.meta_used, s.meta_total));
	x->attr[4] = 'a';
	for (unsigned i = 0; i < vg->nlv; i++)
		if (thin_pool_of(vg, vg->lv[i]) == x->lv) {
			lv_dm_name(vg, vg->lv[i], name);
			if (dmctl_exists(x->d, name))
				x->attr[5] = 'o';
		}
}

static const struct seg_ref_key pool_refs[] = {
	{ "metadata", true, 0, false },
	{ "pool", true, 0, false },
	{ NULL, false, 0, false },
};

const struct segtype segtype_thin_pool = {
	.name = "thin-pool",
	.flags = SEGTYPE_KEPT | SEGTYPE_OUTSIDE | SEGTYPE_SUB_OWNED,
	.refs = pool_refs,
	.attr_volume = 't',
	.attr_target = 't',
	.parse = pool_parse,
	.free = pool_free,
	.plan = pool_plan,
	.owner_of = pool_owner_of,
	.report = pool_report,
};
