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
#include "common/subprocess.h"
#include "common/units.h"
#include "lvm/alloc.h"
#include "lvm/activate.h"
#include "lvm/devices.h"
#include "lvm/report_lvm.h"
#include "lvm/lv_file.h"
#include "lvm/lvref.h"
#include "lvm/segtype.h"
#include "lvm/thin_lv.h"
#include "lvm/settings.h"

static const char *opt_str(const struct cfg_node *sn, const char *key)
{
	const struct cfg_node *n = cfg_find(sn, key);

	return n && n->type == CFG_STRING ? n->v.s : NULL;
}

/* A pool's discards mode, "ignore", "nopassdown" or "passdown", as that
 * string literal; NULL for anything else. */
static const char *discards_name(const char *s)
{
	static const char *const names[] = { "ignore", "nopassdown", "passdown" };

	for (unsigned i = 0; s && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i]))
			return names[i];
	return NULL;
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
	if (!discards_name(tp->discards)) {
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
	int64_t th = p->env ? lvm_setting_int(p->env, "activation/thin_pool_autoextend_threshold") : 100;
	uint64_t blocks = (uint64_t)pool->le_count * p->vg->extent_size / chunk;

	if (th <= 0 || th >= 100)
		return 0;
	return blocks * (uint64_t)(100 - th) / 100;
}

/* Where the first block of metadata LV @m is: the path of its PV and the
 * byte offset; NULL when it is not a present PV's extents. */
static const char *tmeta_start(const struct vg *vg, const struct vg_lv *m, off_t *off)
{
	const struct lv_seg *s = m && m->nseg ? &m->seg[0] : NULL;

	if (!s || !s->striped || !s->area[0].pv || !s->area[0].pv->path)
		return NULL;
	*off = (off_t)(s->area[0].pv->pe_start + (uint64_t)s->area[0].pe * vg->extent_size) * 512;
	return s->area[0].pv->path;
}

/* The pool target formats a blank metadata device: right for a new pool
 * (transaction 0), wrong for one whose VG says it has been used. */
static int check_tmeta(const struct lv_plan *p, const struct lv_plan_dev *dev, struct err *e)
{
	const struct vg *vg = p->vg;
	const struct thin_pool_seg *tp = lv_seg_model(dev->lv, &segtype_thin_pool);
	const struct vg_lv *m = vg_find_lv(vg, tp->metadata);
	const char *path;
	char buf[4096];
	bool blank = true;
	off_t off;
	int r;

	if (!tp->transaction_id || !(path = tmeta_start(vg, m, &off)))
		return 0;
	if ((r = lvm_dev_pread(path, buf, sizeof(buf), (uint64_t)off, e)))
		return r;
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
	bool ewf = pool->status & FLAG(LVF_ERROR_WHEN_FULL); /* lvchange --errorwhenfull y */

	nf = !tp->zero + !strcmp(tp->discards, "ignore") + !strcmp(tp->discards, "nopassdown") + ewf;
	if (!(f = open_memstream(&t, &len)))
		return err_set(e, -ENOMEM, "out of memory");
	fprintf(f, "0 %" PRIu64 " thin-pool /dev/mapper/%s /dev/mapper/%s %u %" PRIu64,
		(uint64_t)pool->le_count * vg->extent_size, meta, data, tp->chunk_size, pool_lwm(p, pool, tp->chunk_size));
	if (nf)
		fprintf(f, " %u%s%s%s%s", nf, tp->zero ? "" : " skip_block_zeroing",
			strcmp(tp->discards, "ignore") ? "" : " ignore_discard",
			strcmp(tp->discards, "nopassdown") ? "" : " no_discard_passdown",
			ewf ? " error_if_no_space" : ""); /* libdm's order */
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

	if (owner) { /* _tdata 'T', _tmeta and the spare 'e' ('o' is lvs' own: open while the pool is) */
		tp = lv_seg_model(owner, &segtype_thin_pool);
		x->attr[0] = vg_find_lv(vg, tp->data) == x->lv ? 'T' : 'e';
		seg_report_kind(x, NULL, vg_pmspare(vg) == x->lv ? "pool,spare" : vg_find_lv(vg, tp->data) == x->lv ?
					 "thin,pool,data" : "thin,pool,metadata", NULL, true);
		if (vg_pmspare(vg) != x->lv)
			seg_report_lv(x, RF_LV_PARENT, -1, owner->name);
		return;
	}
	tp = lv_seg_model(x->lv, &segtype_thin_pool);
	seg_report_kind(x, "thin,pool", NULL, "thin-pool", true);
	seg_report_lv(x, RF_DATA_LV, RF_DATA_LV_UUID, tp->data);
	seg_report_lv(x, RF_METADATA_LV, RF_METADATA_LV_UUID, tp->metadata);
	{
		const struct vg_lv *meta = vg_find_lv(vg, tp->metadata), *data = vg_find_lv(vg, tp->data);
		uint32_t n = data ? data->le_count : 0;

		if (meta)
			report_set_sectors(x->row, RF_LV_METADATA_SIZE, (uint64_t)meta->le_count * vg->extent_size);
		report_set_fmt(x->row, RF_DEVICES, "%s(0)", tp->data);
		if (n) {
			report_set_fmt(x->row, RF_SEG_PE_RANGES, "%s:0-%u", tp->data, n - 1);
			report_set_fmt(x->row, RF_SEG_LE_RANGES, "[%s]:0-%u", tp->data, n - 1);
		}
	}
	report_set_str(x->row, RF_LV_WHEN_FULL, x->lv->status & FLAG(LVF_ERROR_WHEN_FULL) ? "error" : "queue");
	report_set_str(x->row, RF_DISCARDS, tp->discards);
	report_set_value(x->row, RF_ZERO, tp->zero ? "zero" : "", tp->zero);
	report_set_u64(x->row, RF_STRIPES, 1); /* the data LV */
	report_set_u64(x->row, RF_DATA_STRIPES, 1);
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

/* ---- lvcreate, lvremove, lvextend ---- */

/* Zero the first block of the metadata LV on its PV: the pool target
 * formats metadata whose superblock is all zeroes. */
static int wipe_tmeta(const struct vg *vg, const struct vg_lv *m, struct err *e)
{
	static const char zero[4096];
	const char *path;
	off_t off;

	if (!(path = tmeta_start(vg, m, &off)))
		return err_set(e, -ENODEV, "metadata LV %s: its PV is missing", m->name);
	return lvm_dev_pwrite(path, zero, sizeof(zero), (uint64_t)off, "wiping the metadata LV", e);
}

/* The VG's pool metadata spare, made or grown to @meta extents (lvm2's
 * handle_pool_metadata_spare). */
static int ensure_spare(struct lv_change *ch, uint64_t meta, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct vg_lv *spare = vg_pmspare(vg);
	char sname[LVM_NAME_LEN];

	if (!spare) {
		vg_next_lv_name(vg, sname, sizeof(sname) - strlen("_pmspare"));
		strcat(sname, "_pmspare");
		return lv_change_add_hidden(ch, sname, (uint32_t)meta, false, &spare, e);
	}
	if (spare->le_count < meta) {
		struct alloc_req sreq = { .stripes = 1, .extents = (uint32_t)(meta - spare->le_count),
					  .ranges = ch->ranges, .nranges = ch->nranges };

		return alloc_extend(vg, spare, &sreq, e);
	}
	return 0;
}

/* Options a pool takes: chunk size, zeroing, discards, metadata size. */
static int pool_options(struct lv_change *ch, const struct lv_create_req *req, struct thin_pool_seg *tp,
			uint64_t *meta, struct err *e)
{
	const struct vg *vg = ch->h->vg;
	char b[UNITS_BUF];

	if (req->chunk_size) {
		if (req->chunk_size < THIN_CHUNK_MIN || req->chunk_size > THIN_CHUNK_MAX || req->chunk_size % THIN_CHUNK_MIN)
			return err_set(e, -EINVAL, "Chunk size %s is not a multiple of 64 KiB between 64 KiB and 1 GiB.",
				       lv_change_size(b, req->chunk_size));
		tp->chunk_size = req->chunk_size;
	}
	if (req->zero >= 0)
		tp->zero = req->zero;
	if (req->discards && !(tp->discards = discards_name(req->discards)))
		return err_set(e, -EINVAL, "Invalid argument for --discards: %s", req->discards);
	*meta = req->meta_extents ? req->meta_extents
				  : (thin_meta_default_size(req->extents * vg->extent_size, tp->chunk_size) +
				     vg->extent_size - 1) / vg->extent_size;
	if (*meta * vg->extent_size < THIN_META_MIN)
		*meta = (THIN_META_MIN + vg->extent_size - 1) / vg->extent_size;
	return 0;
}

static int pool_create(struct lv_change *ch, const struct lv_create_req *req, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct thin_pool_seg tp = { .chunk_size = 128, .discards = "passdown", .zero = true };
	const char *pn = req->name ? req->name : req->lv_arg ? req->lv_arg : req->pool_name;
	char name[LVM_NAME_LEN], mname[LVM_NAME_LEN + 8], dname[LVM_NAME_LEN + 8], b1[UNITS_BUF];
	struct vg_lv *pool, *m, *dl;
	uint64_t meta = 0;
	int r;

	if (!pn)
		vg_next_lv_name(vg, name, sizeof(name));
	else
		snprintf(name, sizeof(name), "%s", pn);
	if ((r = vg_check_new_lv_name(vg, name, e)))
		return r;
	if (!req->extents || req->extents > UINT32_MAX)
		return err_set(e, -EINVAL, "Invalid size for a thin pool.");
	if ((r = pool_options(ch, req, &tp, &meta, e)))
		return r;
	if (strlen(name) + 7 > LVM_NAME_LEN - 1)
		return err_set(e, -ENAMETOOLONG, "Thin pool name %s is too long.", name);
	snprintf(mname, sizeof(mname), "%s_tmeta", name);
	snprintf(dname, sizeof(dname), "%s_tdata", name);
	if (vg_find_lv(vg, mname) || vg_find_lv(vg, dname))
		return err_set(e, -EEXIST, "Logical Volume \"%s\" already exists in volume group \"%s\"", mname,
			       vg->name);
	/* lvm2's order: the spare first, then the data, then the metadata;
	 * in the text: spare, pool, _tmeta, _tdata. */
	if ((r = ensure_spare(ch, meta, e)))
		return r;
	if ((r = lv_change_add_lv(ch, req, name, &pool, e)) || (r = lv_change_add_hidden(ch, mname, 0, true, &m, e)) ||
	    (r = lv_change_add_hidden(ch, dname, (uint32_t)req->extents, true, &dl, e)))
		return r;
	{
		struct alloc_req mreq = { .stripes = 1, .extents = (uint32_t)meta, .ranges = ch->ranges,
					  .nranges = ch->nranges };

		if ((r = alloc_extend(vg, m, &mreq, e)))
			return r;
	}
	tp.metadata = mname;
	tp.data = dname;
	if (req->error_when_full) /* lvcreate --errorwhenfull y */
		pool->status |= FLAG(LVF_ERROR_WHEN_FULL);
	if ((r = lv_set_thin_pool(vg, pool, dl->le_count, &tp, e)) || (r = wipe_tmeta(vg, m, e)) ||
	    (r = lvm_vg_commit(ch->env, ch->h, e)))
		return r;
	fprintf(ch->out, "  Thin pool volume with chunk size %s can address at most %s of data.\n",
		lv_change_size(b1, tp.chunk_size), "15.81 TiB");
	return lv_change_created(ch, req, name, e);
}


/* A temporary file of @size bytes; its fd, the name in @name to unlink. */
static int temp_file(char name[64], uint64_t size, struct err *e)
{
	int fd;

	snprintf(name, 64, "%s/ulvm-tmeta.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if ((fd = mkstemp(name)) < 0)
		return err_set(e, -errno, "a temporary file in %s: %s", name, strerror(errno));
	if (ftruncate(fd, (off_t)size)) {
		int r = -errno;

		close(fd);
		unlink(name);
		return err_set(e, r, "%s: %s", name, strerror(-r));
	}
	return fd;
}

/* lvconvert --repair VG/POOL (lvm2's _lvconvert_thin_pool_repair): the
 * pool inactive, thin_repair (global/thin_repair_executable) rebuilds
 * its metadata into the spare; the spare's extents become the pool's
 * _tmeta, the old ones POOL_metaN, visible, kept for the user to look at
 * or lvremove; a new spare is allocated.  The metadata goes through
 * files: the LVs are read and written on their PVs. */
static int pool_repair(struct lv_change *ch, struct vg_lv *pool, struct err *e)
{
	struct vg *vg = ch->h->vg;
	const struct thin_pool_seg *tp = lv_seg_model(pool, &segtype_thin_pool);
	const char *tool = lvm_setting_str(ch->env, "global/thin_repair_executable");
	const char *dump = lvm_setting_str(ch->env, "global/thin_dump_executable");
	char in[64], out[64], layer[LV_DM_NAME_MAX + LV_DM_LAYER_MAX], newname[LVM_NAME_LEN], line[512];
	struct vg_lv *m = thin_pool_sub(vg, pool, true), *sp;
	int fin = -1, fout = -1, r, st;

	if (!tp || !m)
		return err_set(e, -EINVAL, "Thin pool %s/%s has no metadata LV.", vg->name, pool->name);
	if (!*tool)
		return err_set(e, -EPERM, "Thin repair commnand is not configured. Repair is disabled.");
	lv_dm_layer_name(vg, pool, "tpool", layer, sizeof(layer));
	if (dmctl_up(ch->d) && (lv_dm_active(ch->d, vg, pool) || dmctl_exists(ch->d, layer) ||
				lv_dm_active(ch->d, vg, m)))
		return err_set(e, -EBUSY, "Active pools cannot be repaired.  Use lvchange -an first.");
	if ((r = ensure_spare(ch, m->le_count, e)) || (r = lvm_vg_commit(ch->env, ch->h, e)))
		return r;
	vg = ch->h->vg;
	pool = vg_find_lv(vg, pool->name);
	m = thin_pool_sub(vg, pool, true);
	tp = lv_seg_model(pool, &segtype_thin_pool);
	if (!(sp = vg_pmspare(vg)))
		return err_set(e, -ENOENT, "VG %s has no pool metadata spare.", vg->name);
	if ((fin = temp_file(in, (uint64_t)m->le_count * vg->extent_size * 512, e)) < 0)
		return fin;
	if ((fout = temp_file(out, (uint64_t)sp->le_count * vg->extent_size * 512, e)) < 0) {
		r = fout;
		goto out;
	}
	if ((r = lv_file_copy(vg, m, fin, false, ch->env->run_dir, e)))
		goto out;
	{
		const char *argv[] = { tool, "-i", in, "-o", out, NULL };

		if ((st = spawn_wait(argv, NULL)) < 0) {
			r = err_set(e, st, "Cannot run %s (global/thin_repair_executable): %s", tool, strerror(-st));
			goto out;
		}
		if (st) {
			r = err_set(e, -EIO, "Repair of thin metadata volume of thin pool %s/%s failed (status:%d). Manual "
				    "repair required!", vg->name, pool->name, st);
			goto out;
		}
	}
	/* lvm2 only warns when the repaired transaction is not the VG's (or one less) */
	if (tp->transaction_id && *dump) {
		const char *argv[] = { dump, out, NULL };
		const char *t;
		unsigned long long id;

		if (!spawn_wait(argv, &(struct spawn_io){ .out = line, .size = sizeof(line) }) && (t = strstr(line, "transaction=\"")) &&
		    sscanf(t + 13, "%llu", &id) == 1 && id != tp->transaction_id && id != tp->transaction_id + 1)
			fprintf(stderr, "  Transaction id %llu from pool \"%s/%s\" does not match repaired transaction id "
				"%llu.\n", (unsigned long long)tp->transaction_id, vg->name, pool->name, id);
	}
	if ((r = lv_file_copy(vg, sp, fout, true, ch->env->run_dir, e)))
		goto out;
	/* the spare's extents become _tmeta (its name and uuid stay the
	 * pool's), the old ones POOL_metaN with the spare's uuid */
	{
		struct lv_seg *seg = m->seg;
		unsigned nseg = m->nseg;
		uint32_t le = m->le_count;

		m->seg = sp->seg, m->nseg = sp->nseg, m->le_count = sp->le_count;
		sp->seg = seg, sp->nseg = nseg, sp->le_count = le;
	}
	for (unsigned i = 0;; i++) {
		snprintf(newname, sizeof(newname), "%s_meta%u", pool->name, i);
		if (!vg_find_lv(vg, newname))
			break;
	}
	if ((r = lv_rename_with_subs(vg, sp, newname, e)))
		goto out;
	sp->status |= FLAG(LVF_VISIBLE);
	if ((r = ensure_spare(ch, m->le_count, e)) || (r = lvm_vg_commit(ch->env, ch->h, e)))
		goto out;
	fprintf(stderr, "  WARNING: LV %s/%s holds a backup of the unrepaired metadata. Use lvremove when no longer "
		"required.\n", ch->h->vg->name, newname);
	if (ch->h->vg->npv > 1)
		fprintf(stderr, "  WARNING: New metadata LV %s/%s might use different PVs.  Move it with pvmove if "
			"required.\n", ch->h->vg->name, m->name);
out:
	if (fin >= 0) {
		close(fin);
		unlink(in);
	}
	if (fout >= 0) {
		close(fout);
		unlink(out);
	}
	return r;
}

/* lvconvert --swapmetadata --poolmetadata LV VG/POOL (or --thinpool
 * VG/POOL --poolmetadata LV): LV and POOL_tmeta trade places (lvm2's
 * _lvconvert_swap_pool_metadata): LV's extents and uuid become the
 * pool's metadata under the name POOL_tmeta, the old metadata's become
 * the visible LV of LV's name.  The pool and its thin LVs inactive. */
static int pool_swap_metadata(struct lv_change *ch, struct vg_lv *pool, const struct lv_convert_req *req,
			      struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct vg_lv *x, *m = thin_pool_sub(vg, pool, true), tmp;
	char layer[LV_DM_NAME_MAX + LV_DM_LAYER_MAX], q[3 * LVM_NAME_LEN + 96];
	char *name;
	int r;

	if ((r = lv_change_pool_metadata(vg, req->pool_metadata, &x, e)))
		return r;
	if (!m)
		return err_set(e, -EINVAL, "Thin pool %s/%s has no metadata LV.", vg->name, pool->name);
	if (lv_segtype(x) != &segtype_striped)
		return err_set(e, -EOPNOTSUPP, "LV %s/%s with type %s cannot be used as a metadata LV.", vg->name, x->name,
			       x->nseg ? x->seg[0].type : "none");
	if (!(x->status & FLAG(LVF_VISIBLE)) || lv_internal(x))
		return err_set(e, -EINVAL, "Can't convert internal LV %s/%s.", vg->name, x->name);
	if (lv_first_user(vg, x, NULL))
		return err_set(e, -EBUSY, "Pool metadata LV %s/%s is of an unsupported type.", vg->name, x->name);
	lv_dm_layer_name(vg, pool, "tpool", layer, sizeof(layer));
	if (dmctl_up(ch->d) && (lv_dm_active(ch->d, vg, pool) || dmctl_exists(ch->d, layer)))
		return err_set(e, -EBUSY, "Cannot convert pool %s/%s with active volumes.", vg->name, pool->name);
	snprintf(q, sizeof(q), "Do you want to swap metadata of %s/%s pool with metadata volume %s/%s?", vg->name,
		 pool->name, vg->name, x->name);
	if (ch->confirm && !ch->confirm(ch->ctx, q))
		return err_set(e, -ECANCELED, "Conversion aborted.");
	if ((r = lvm_lv_deactivate(ch->d, vg, x, e)))
		return r;
	/* everything but the names and visibility trades places */
	tmp = *m;
	*m = *x;
	*x = tmp;
	name = m->name, m->name = x->name, x->name = name;
	m->status &= ~FLAG(LVF_VISIBLE);
	x->status |= FLAG(LVF_VISIBLE);
	return lvm_vg_commit(ch->env, ch->h, e);
}

/* lvchange --errorwhenfull y|n, --discards, -Z y|n of a pool (lvm2's
 * _lvchange_errorwhenfull and _lvchange_pool_update): the same refusals
 * and words; one commit; an active pool's table is reloaded with them. */
static int pool_change(struct lv_change *ch, struct vg_lv *pool, const struct lv_convert_req *req, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct thin_pool_seg tp;
	bool active = dmctl_up(ch->d) && lv_dm_active(ch->d, vg, pool);
	int r;

	if ((r = lv_thin_pool_seg(pool, &tp, e)))
		return r;
	if (req->error_when_full) {
		bool want = req->error_when_full == 'y';

		if (want == !!(pool->status & FLAG(LVF_ERROR_WHEN_FULL)))
			return err_set(e, -EALREADY, "Error when full is already %sset for %s/%s.", want ? "" : "un",
				       vg->name, pool->name);
		pool->status ^= FLAG(LVF_ERROR_WHEN_FULL);
	}
	if (req->discards) {
		const char *want = discards_name(req->discards);

		if (!want)
			return err_set(e, -EINVAL, "Invalid argument for --discards: %s", req->discards);
		if (!strcmp(want, tp.discards))
			return err_set(e, -EALREADY, "Logical volume %s/%s already uses --discards %s.", vg->name,
				       pool->name, want);
		if ((!strcmp(want, "ignore") || !strcmp(tp.discards, "ignore")) && active)
			return err_set(e, -EBUSY, "Cannot change support for discards while pool volume %s/%s is active.",
				       vg->name, pool->name);
		tp.discards = want;
	}
	if (req->zero >= 0) {
		/* lvm2 tests its THIN_ZERO_NO (non-zero) for "does not ": never */
		if (tp.zero == (req->zero == 1))
			return err_set(e, -EALREADY, "Logical volume %s/%s already zero new blocks.", vg->name,
				       pool->name);
		tp.zero = req->zero == 1;
	}
	if ((r = lv_set_thin_pool(vg, pool, pool->le_count, &tp, e)) || (r = lvm_vg_commit(ch->env, ch->h, e)))
		return r;
	vg = ch->h->vg;
	if (active && (r = lvm_lv_reload(ch->env, ch->d, vg, vg_find_lv(vg, pool->name), e)))
		return r;
	fprintf(ch->out, "  Logical volume %s/%s changed.\n", vg->name, pool->name);
	return 0;
}

/* lvconvert --type thin-pool [--poolmetadata MLV] VG/LV, or --thinpool
 * VG/LV (lvm2's _lvconvert_to_pool): LV becomes the pool's data LV
 * LV_tdata and the pool takes its name; MLV, or a new LV of the default
 * size, becomes LV_tmeta and is wiped (a fresh pool); the spare follows.
 * Both are deactivated first; the pool is activated if LV was active.
 * Nothing is written before the question is answered. */
static int pool_convert(struct lv_change *ch, struct vg_lv *lv, const struct lv_convert_req *req, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct thin_pool_seg tp = { .chunk_size = 128, .discards = "passdown", .zero = true };
	struct lv_create_req creq = { .chunk_size = req->chunk_size, .zero = req->zero,
				      .meta_extents = req->meta_extents, .extents = lv->le_count };
	char name[LVM_NAME_LEN], mname[LVM_NAME_LEN + 8], dname[LVM_NAME_LEN + 8], q[3 * LVM_NAME_LEN + 64];
	struct vg_lv *m = NULL, *newm = NULL, *pool;
	bool active;
	uint64_t meta;
	int r;

	if (lv_segtype(lv) == &segtype_thin_pool && !req->type_name &&
	    (req->error_when_full || req->discards || (req->zero >= 0 && !req->repair)))
		return pool_change(ch, lv, req, e);
	if (lv_segtype(lv) == &segtype_thin_pool && req->repair && !req->type_name && req->mirrors < 0)
		return pool_repair(ch, lv, e);
	if (lv_segtype(lv) == &segtype_thin_pool && req->pool_metadata)
		return pool_swap_metadata(ch, lv, req, e);
	if (lv_segtype(lv) == &segtype_thin_pool || !req->type_name || strcmp(req->type_name, "thin-pool") ||
	    req->mirrors >= 0 || req->repair || req->split || req->merge || req->sync_action || req->rebuild)
		return err_set(e, -EOPNOTSUPP, "Operation not permitted on LV %s/%s of type %s (not supported yet).",
			       vg->name, lv->name, lv->nseg ? lv->seg[0].type : "?");
	if ((r = lv_change_pool_parts(vg, lv, req->pool_metadata, &m, e)))
		return r;
	if (m)
		creq.meta_extents = m->le_count;
	if ((r = pool_options(ch, &creq, &tp, &meta, e)))
		return r;
	if (m && meta > m->le_count)
		return err_set(e, -ENOSPC, "Pool metadata LV %s/%s is too small (%u extents) for required metadata (%llu "
			       "extents).", vg->name, m->name, m->le_count, (unsigned long long)meta);
	snprintf(name, sizeof(name), "%s", lv->name);
	if (strlen(name) + 7 > LVM_NAME_LEN - 1)
		return err_set(e, -ENAMETOOLONG, "Failed to create internal lv names, pool name is too long.");
	if ((r = lv_change_pool_names(vg, lv, m, "_tmeta", "_tdata", mname, dname, sizeof(mname), e)))
		return r;
	if (m)
		snprintf(q, sizeof(q), "%s/%s and %s/%s", vg->name, name, vg->name, m->name);
	else
		snprintf(q, sizeof(q), "%s/%s", vg->name, name);
	fprintf(ch->out, "  WARNING: Converting %s to thin pool's data%s with metadata wiping.\n"
		"  THIS WILL DESTROY CONTENT OF LOGICAL VOLUME (filesystem etc.)\n", q,
		m ? " and metadata volumes" : " volume");
	{
		char ask[sizeof(q) + 40];

		snprintf(ask, sizeof(ask), "Do you really want to convert %s?", q);
		if (ch->confirm && !ch->confirm(ch->ctx, ask))
			return err_set(e, -ECANCELED, "Conversion aborted.");
	}
	/* what is allocated first, so that no room leaves the LVs as they were */
	if (!m) {
		struct alloc_req mreq = { .stripes = 1, .extents = (uint32_t)meta, .ranges = ch->ranges,
					  .nranges = ch->nranges };

		if ((r = lv_change_add_hidden(ch, mname, 0, true, &newm, e)) || (r = alloc_extend(vg, newm, &mreq, e)))
			return r;
	}
	if ((r = ensure_spare(ch, m ? m->le_count : newm->le_count, e)))
		return r;
	active = dmctl_up(ch->d) && lv_dm_active(ch->d, vg, lv);
	/* the data LV keeps its uuid under its new name; the pool is new */
	if ((r = lv_change_pool_take(ch, lv, m, mname, dname, e)))
		return r;
	if (!m)
		m = newm;
	if ((r = vg_add_lv(vg, name, &pool, e)))
		return r;
	tp.metadata = mname;
	tp.data = dname;
	if ((r = lv_set_thin_pool(vg, pool, lv->le_count, &tp, e)) || (r = wipe_tmeta(vg, m, e)) ||
	    (r = lvm_vg_commit(ch->env, ch->h, e)))
		return r;
	vg = ch->h->vg;
	if (active && (r = lvm_lv_activate(ch->env, ch->d, vg, vg_find_lv(vg, name), e)))
		return r;
	fprintf(ch->out, "  Converted %s to thin pool.\n", q);
	return 0;
}

static int pool_remove(struct lv_change *ch, struct vg_lv *lv, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct vg_lv *m, *dl, *sp;
	char name[LVM_NAME_LEN];
	int r;

	if (!lv_is_thin_pool(lv))
		return err_set(e, -EBUSY, "Logical volume %s/%s is a thin pool's sub-LV: remove the pool.", vg->name,
			       lv->name);
	snprintf(name, sizeof(name), "%s", lv->name);
	if (thin_pool_users(vg, lv))
		return err_set(e, -EBUSY, "Thin pool %s/%s still has %u thin volume(s): remove them first.", vg->name,
			       name, thin_pool_users(vg, lv));
	if ((r = lvm_lv_deactivate(ch->d, ch->h->vg, lv, e)))
		return r;
	m = thin_pool_sub(vg, lv, true);
	dl = thin_pool_sub(vg, lv, false);
	vg_remove_lv(vg, lv);
	if (m)
		vg_remove_lv(vg, m);
	if (dl)
		vg_remove_lv(vg, dl);
	if (!vg_keeps_pmspare(vg) && (sp = vg_pmspare(vg))) /* with the last pool (a cache pool's too) */
		vg_remove_lv(vg, sp);
	if ((r = lvm_vg_commit(ch->env, ch->h, e)))
		return r;
	fprintf(ch->out, "  Logical volume \"%s\" successfully removed.\n", name);
	return 0;
}

/* --use-policies: grow data or metadata by thin_pool_autoextend_percent
 * once use passes thin_pool_autoextend_threshold; *sub, *ext. */
static int pool_policies(struct lv_change *ch, struct vg_lv *lv, struct vg_lv **sub, uint64_t *ext, struct err *e)
{
	const struct vg *vg = ch->h->vg;
	int64_t th = lvm_setting_int(ch->env, "activation/thin_pool_autoextend_threshold");
	int64_t pct = lvm_setting_int(ch->env, "activation/thin_pool_autoextend_percent");
	char tpool[LV_DM_NAME_MAX + LV_DM_LAYER_MAX];
	struct thin_pool_status s;
	struct err e2 = { { 0 } };

	*ext = 0;
	lv_dm_layer_name(vg, lv, "tpool", tpool, sizeof(tpool));
	if (th >= 100 || pct <= 0) {
		fprintf(ch->out, "  Thin pool %s/%s: autoextend is off (thin_pool_autoextend_threshold).\n", vg->name,
			lv->name);
		return 0;
	}
	if (!dmctl_up(ch->d) || thin_pool_status(ch->d, tpool, &s, &e2))
		return err_set(e, -ENOTCONN, "Thin pool %s/%s is not active: %s", vg->name, lv->name,
			       e2.msg[0] ? e2.msg : ch->d->why.msg);
	if (s.data_total && s.data_used * 100 < (uint64_t)th * s.data_total &&
	    s.meta_used * 100 < (uint64_t)th * s.meta_total) {
		fprintf(ch->out, "  Thin pool %s/%s: data %" PRIu64 "/%" PRIu64 ", metadata %" PRIu64 "/%" PRIu64
			" blocks: under the threshold of %" PRId64 "%%.\n",
			vg->name, lv->name, s.data_used, s.data_total, s.meta_used, s.meta_total, th);
		return 0;
	}
	if (s.meta_used * 100 >= (uint64_t)th * s.meta_total)
		*sub = thin_pool_sub(vg, lv, true);
	*ext = ((uint64_t)(*sub)->le_count * (uint64_t)pct + 99) / 100;
	if (!*ext)
		*ext = 1;
	log_info("autoextend: thin pool %s/%s %s by %" PRIu64 " extents", vg->name, lv->name,
		 *sub == thin_pool_sub(vg, lv, true) ? "metadata" : "data", *ext);
	return 0;
}

static int pool_resize(struct lv_change *ch, struct vg_lv *lv, const struct lv_resize_req *req, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct alloc_req areq = { .stripes = 1, .ranges = ch->ranges, .nranges = ch->nranges };
	struct thin_pool_seg tp;
	struct vg_lv *sub;
	uint64_t ext = req->extents;
	uint32_t old;
	int r;

	if (!lv_is_thin_pool(lv))
		return err_set(e, -EINVAL, "--use-policies and --poolmetadatasize apply to thin pools.");
	if ((r = lv_thin_pool_seg(lv, &tp, e)))
		return r;
	if (!(sub = thin_pool_sub(vg, lv, req->metadata)))
		return err_set(e, -ENOENT, "Thin pool %s/%s has no %s LV.", vg->name, lv->name,
			       req->metadata ? "_tmeta" : "_tdata");
	if (req->policies) {
		if ((r = pool_policies(ch, lv, &sub, &ext, e)) || !ext)
			return r;
	} else {
		if (req->sign == '-')
			return err_set(e, -EINVAL, "Thin pools cannot be reduced.");
		if (req->sign != '+')
			ext = ext > sub->le_count ? ext - sub->le_count : 0;
	}
	if (!ext)
		return err_set(e, -EINVAL, "New size matches the existing size.");
	if ((uint64_t)sub->le_count + ext > UINT32_MAX)
		return err_set(e, -EINVAL, "Size too large.");
	areq.extents = (uint32_t)ext;
	old = sub->le_count;
	if ((r = alloc_extend(vg, sub, &areq, e)))
		return r;
	if (sub == thin_pool_sub(vg, lv, false) && (r = lv_set_thin_pool(vg, lv, sub->le_count, &tp, e)))
		return r;
	if (sub == thin_pool_sub(vg, lv, true)) {
		struct vg_lv *sp = vg_pmspare(vg);
		struct alloc_req sreq = { .stripes = 1 };
		struct err e2 = { { 0 } };

		if (sp && sp->le_count < sub->le_count) { /* the spare follows, as lvm2, when it can */
			sreq.extents = sub->le_count - sp->le_count;
			if (alloc_extend(vg, sp, &sreq, &e2))
				fprintf(ch->out, "  WARNING: the pool metadata spare %s could not grow: %s\n", sp->name,
					e2.msg);
		}
	}
	if ((r = lvm_vg_commit(ch->env, ch->h, e)))
		return r;
	return lv_change_resized(ch, lv, sub, old, true, e);
}

static const struct seg_ref_key pool_refs[] = {
	{ "metadata", true, 0, false, NULL },
	{ "pool", true, 0, false, NULL },
	{ NULL, false, 0, false, NULL },
};

/* lvdisplay: the sub-LVs; how full an active pool is; --maps: lvm2's
 * _thin_pool_display. */
static void pool_display(struct seg_display_ctx *x)
{
	const struct thin_pool_seg *tp = lv_seg_model(x->lv, &segtype_thin_pool);
	char name[LV_DM_NAME_MAX + LV_DM_LAYER_MAX];
	struct thin_pool_status s;
	struct err e = { { 0 } };

	if (!tp)
		return;
	if (x->at == SEG_DISPLAY_NAMES) {
		fprintf(x->out, "  LV Pool metadata       %s\n", tp->metadata);
		fprintf(x->out, "  LV Pool data           %s\n", tp->data);
		return;
	}
	lv_dm_layer_name(x->vg, x->lv, "tpool", name, sizeof(name));
	if (x->at != SEG_DISPLAY_USAGE || !x->d || thin_pool_status(x->d, name, &s, &e))
		return;
	fprintf(x->out, "  Allocated pool data    %.2f%%\n", s.data_total ? 100.0 * s.data_used / s.data_total : 0.0);
	fprintf(x->out, "  Allocated metadata     %.2f%%\n", s.meta_total ? 100.0 * s.meta_used / s.meta_total : 0.0);
}

static void pool_display_seg(const struct seg_display_ctx *x, const struct lv_seg *s)
{
	const struct thin_pool_seg *tp = s->priv;
	char b[UNITS_BUF];

	if (!tp)
		return;
	fprintf(x->out, "    Chunk size\t\t%s\n", x->size(x, tp->chunk_size, b));
	fprintf(x->out, "    Discards\t\t%s\n", tp->discards);
	fprintf(x->out, "    Thin count\t\t%u\n", thin_pool_users(x->vg, x->lv));
	fprintf(x->out, "    Transaction ID\t%llu\n", (unsigned long long)tp->transaction_id);
	fprintf(x->out, "    Zero new blocks\t%s\n", tp->zero ? "yes" : "no");
	fprintf(x->out, "   \n");
}

const struct segtype segtype_thin_pool = {
	.name = "thin-pool",
	.flags = SEGTYPE_KEPT | SEGTYPE_OUTSIDE | SEGTYPE_FIRST | SEGTYPE_SPARE | SEGTYPE_NO_PATH | SEGTYPE_MONITORED,
	.refs = pool_refs,
	.attr_volume = 't',
	.attr_target = 't',
	.parse = pool_parse,
	.free = pool_free,
	.plan = pool_plan,
	.owner_of = pool_owner_of,
	.report = pool_report,
	.display = pool_display,
	.display_seg = pool_display_seg,
	.create = pool_create,
	.remove = pool_remove,
	.resize = pool_resize,
	.convert = pool_convert,
};
