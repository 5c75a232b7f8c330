/* Thin pools and thin volumes in the VG model.  See thin_lv.h. */
#include "lvm/thin_lv.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lvm/activate.h"
#include "lvm/vg_internal.h"

static bool seg_is(const struct vg_lv *lv, const char *type)
{
	return lv->nseg == 1 && !lv->seg[0].striped && lv->seg[0].raw && !strcmp(lv->seg[0].type, type);
}

bool lv_is_thin_pool(const struct vg_lv *lv)
{
	return seg_is(lv, "thin-pool");
}

bool lv_is_thin(const struct vg_lv *lv)
{
	return seg_is(lv, "thin");
}

static const char *opt_str(const struct cfg_node *sn, const char *key)
{
	const struct cfg_node *n = cfg_find(sn, key);

	return n && n->type == CFG_STRING ? n->v.s : NULL;
}

int lv_thin_pool_seg(const struct vg_lv *lv, struct thin_pool_seg *tp, struct err *e)
{
	const struct cfg_node *sn;
	int64_t z = 0;
	int r;

	if (!lv_is_thin_pool(lv))
		return err_set(e, -EINVAL, "LV %s is not a thin pool", lv->name);
	sn = lv->seg[0].raw;
	memset(tp, 0, sizeof(*tp));
	if ((r = cfg_get_str(sn, "metadata", &tp->metadata, e)) || (r = cfg_get_str(sn, "pool", &tp->data, e)) ||
	    (r = cfg_get_u64(sn, "transaction_id", &tp->transaction_id, e)) ||
	    (r = cfg_get_u32(sn, "chunk_size", &tp->chunk_size, e)))
		return r;
	if (tp->chunk_size < THIN_CHUNK_MIN || tp->chunk_size > THIN_CHUNK_MAX || tp->chunk_size % THIN_CHUNK_MIN)
		return err_set(e, -EINVAL, "thin pool %s: bad chunk_size %u", lv->name, tp->chunk_size);
	tp->discards = opt_str(sn, "discards");
	if (!tp->discards)
		tp->discards = "ignore";
	if (cfg_find(sn, "zero_new_blocks") && (r = cfg_get_int(sn, "zero_new_blocks", &z, e)))
		return r;
	tp->zero = z != 0;
	return 0;
}

int lv_thin_seg(const struct vg_lv *lv, struct thin_seg *t, struct err *e)
{
	const struct cfg_node *sn;
	int r;

	if (!lv_is_thin(lv))
		return err_set(e, -EINVAL, "LV %s is not a thin volume", lv->name);
	sn = lv->seg[0].raw;
	memset(t, 0, sizeof(*t));
	if ((r = cfg_get_str(sn, "thin_pool", &t->pool, e)) ||
	    (r = cfg_get_u64(sn, "transaction_id", &t->transaction_id, e)) ||
	    (r = cfg_get_u32(sn, "device_id", &t->device_id, e)))
		return r;
	if (t->device_id > THIN_DEVICE_ID_MAX)
		return err_set(e, -EINVAL, "thin LV %s: device_id %u is too large", lv->name, t->device_id);
	t->origin = opt_str(sn, "origin");
	t->external_origin = opt_str(sn, "external_origin");
	return 0;
}

/* A new raw segment section with the common keys, in vg->keep. */
static struct cfg_node *new_seg(struct vg *vg, uint32_t extents, const char *type)
{
	struct cfg_node *sn = cfg_add_section(cfg_root(vg->keep), "segment1");

	cfg_add_int(sn, "start_extent", 0);
	vg_size_comment(cfg_add_int(sn, "extent_count", extents), (uint64_t)extents * vg->extent_size);
	cfg_add_blank(cfg_add_str(sn, "type", type), 1);
	return sn;
}

static int set_seg(struct vg *vg, struct vg_lv *lv, uint32_t extents, const char *type,
		   struct cfg_node *sn, struct err *e)
{
	struct lv_seg *s;
	char *t;
	int r;

	if ((r = cfg_tree_status(vg->keep, e)))
		return r;
	if (lv->nseg > 1 || (lv->nseg == 1 && lv->seg[0].striped))
		return err_set(e, -EINVAL, "LV %s: cannot turn a %s LV into %s", lv->name, lv->seg[0].type, type);
	if (!(t = strdup(type)))
		return err_set(e, -ENOMEM, "out of memory");
	if (!lv->nseg) {
		if (!(lv->seg = calloc(1, sizeof(*lv->seg)))) {
			free(t);
			return err_set(e, -ENOMEM, "out of memory");
		}
		lv->nseg = 1;
	}
	s = &lv->seg[0];
	free(s->type);
	s->type = t;
	s->le = 0;
	s->len = extents;
	s->raw = sn; /* the old section stays in the keep tree's arena */
	lv->le_count = extents;
	return 0;
}

int lv_set_thin_pool(struct vg *vg, struct vg_lv *lv, uint32_t extents, const struct thin_pool_seg *tp,
		     struct err *e)
{
	struct cfg_node *sn = new_seg(vg, extents, "thin-pool");

	cfg_add_str(sn, "metadata", tp->metadata);
	cfg_add_str(sn, "pool", tp->data);
	cfg_add_int(sn, "transaction_id", (int64_t)tp->transaction_id);
	vg_size_comment(cfg_add_int(sn, "chunk_size", tp->chunk_size), tp->chunk_size);
	if (tp->discards)
		cfg_add_str(sn, "discards", tp->discards);
	if (tp->zero)
		cfg_add_int(sn, "zero_new_blocks", 1);
	return set_seg(vg, lv, extents, "thin-pool", sn, e);
}

int lv_set_thin(struct vg *vg, struct vg_lv *lv, uint32_t extents, const struct thin_seg *t, struct err *e)
{
	struct cfg_node *sn = new_seg(vg, extents, "thin");

	cfg_add_str(sn, "thin_pool", t->pool);
	if (t->origin)
		cfg_add_str(sn, "origin", t->origin);
	if (t->external_origin)
		cfg_add_str(sn, "external_origin", t->external_origin);
	cfg_add_int(sn, "transaction_id", (int64_t)t->transaction_id);
	cfg_add_int(sn, "device_id", t->device_id);
	return set_seg(vg, lv, extents, "thin", sn, e);
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

void lv_dm_layer_name(const struct vg *vg, const struct vg_lv *lv, const char *layer, char *out, size_t size)
{
	char name[LV_DM_NAME_MAX];

	lv_dm_name(vg, lv, name);
	snprintf(out, size, "%s-%s", name, layer);
}

static int finish(FILE *f, char **text, struct err *e)
{
	if (fclose(f)) {
		free(*text);
		*text = NULL;
		return err_set(e, -ENOMEM, "out of memory");
	}
	return 0;
}

int thin_pool_table(const struct vg *vg, const struct vg_lv *pool, uint64_t lwm, char **text, struct err *e)
{
	char meta[LV_DM_NAME_MAX], data[LV_DM_NAME_MAX];
	struct thin_pool_seg tp;
	struct vg_lv *m, *d;
	unsigned nf;
	size_t len;
	FILE *f;
	int r;

	*text = NULL;
	if ((r = lv_thin_pool_seg(pool, &tp, e)))
		return r;
	if (!(m = vg_find_lv(vg, tp.metadata)) || !(d = vg_find_lv(vg, tp.data)))
		return err_set(e, -ENOENT, "thin pool %s/%s: no LV %s", vg->name, pool->name,
			       m ? tp.data : tp.metadata);
	if (d->le_count != pool->le_count)
		return err_set(e, -EINVAL, "thin pool %s/%s: %u extents, its data LV %u", vg->name, pool->name,
			       pool->le_count, d->le_count);
	lv_dm_name(vg, m, meta);
	lv_dm_name(vg, d, data);
	nf = !tp.zero + !strcmp(tp.discards, "ignore") + !strcmp(tp.discards, "nopassdown");
	if (!(f = open_memstream(text, &len)))
		return err_set(e, -ENOMEM, "out of memory");
	fprintf(f, "0 %" PRIu64 " thin-pool /dev/mapper/%s /dev/mapper/%s %u %" PRIu64,
		(uint64_t)pool->le_count * vg->extent_size, meta, data, tp.chunk_size, lwm);
	if (nf)
		fprintf(f, " %u%s%s%s", nf, tp.zero ? "" : " skip_block_zeroing",
			strcmp(tp.discards, "ignore") ? "" : " ignore_discard",
			strcmp(tp.discards, "nopassdown") ? "" : " no_discard_passdown");
	return finish(f, text, e);
}

int thin_pool_lv_table(const struct vg *vg, const struct vg_lv *pool, char **text, struct err *e)
{
	char tpool[LV_DM_NAME_MAX + 8];

	lv_dm_layer_name(vg, pool, "tpool", tpool, sizeof(tpool));
	if (asprintf(text, "0 %" PRIu64 " linear /dev/mapper/%s 0", (uint64_t)pool->le_count * vg->extent_size,
		     tpool) < 0) {
		*text = NULL;
		return err_set(e, -ENOMEM, "out of memory");
	}
	return 0;
}

int thin_lv_table(const struct vg *vg, const struct vg_lv *lv, char **text, struct err *e)
{
	char tpool[LV_DM_NAME_MAX + 8], ext[LV_DM_NAME_MAX] = "";
	struct thin_seg t;
	struct vg_lv *pool, *x;
	int r;

	*text = NULL;
	if ((r = lv_thin_seg(lv, &t, e)))
		return r;
	if (!(pool = thin_pool_of(vg, lv)))
		return err_set(e, -ENOENT, "thin LV %s/%s: no thin pool %s", vg->name, lv->name, t.pool);
	if (t.external_origin) {
		if (!(x = vg_find_lv(vg, t.external_origin)))
			return err_set(e, -ENOENT, "thin LV %s/%s: no external origin %s", vg->name, lv->name,
				       t.external_origin);
		lv_dm_name(vg, x, ext);
	}
	lv_dm_layer_name(vg, pool, "tpool", tpool, sizeof(tpool));
	if (asprintf(text, "0 %" PRIu64 " thin /dev/mapper/%s %u%s%s", (uint64_t)lv->le_count * vg->extent_size,
		     tpool, t.device_id, *ext ? " /dev/mapper/" : "", ext) < 0) {
		*text = NULL;
		return err_set(e, -ENOMEM, "out of memory");
	}
	return 0;
}
