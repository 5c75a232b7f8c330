/* Thin pools and thin volumes: lvcreate --type thin-pool / -T / -V / -s,
 * lvremove, lvextend of a pool's data and metadata, --use-policies, and
 * their activation in ulvmd (LVM2-FORMAT.md §10.5, src/lvm/thin_lv.h).
 *
 * Order of a change, as lvm2 with its pending messages but without them
 * in the text: the pool takes the message (create_thin, create_snap,
 * delete), then set_transaction_id T T+1, then the VG is committed with
 * T+1.  If the commit fails, the transaction id is set back and the new
 * device deleted, so the VG text and the pool metadata agree again.  A
 * crash between the two leaves the pool one transaction ahead, which the
 * next change reports ("transaction_id is X, while expected Y") as lvm2.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/lvm_cmds.h"
#include "lvm/report_lvm.h"
#include "common/units.h"
#include "lvm/activate.h"
#include "lvm/alloc.h"
#include "lvm/thin_lv.h"

static const char *hsize(char *buf, uint64_t sectors)
{
	struct units u;

	units_init(&u);
	units_format(buf, UNITS_BUF, sectors * 512, &u, SIZE_SHORT);
	return buf;
}

/* Pools, thin LVs, _tmeta/_tdata and the spare. */
bool thin_handles(const struct vg *vg, const struct vg_lv *lv)
{
	return lv_is_thin(lv) || lv_is_thin_pool(lv) || lv_owner(vg, lv);
}

/* ---- pool transactions ---- */

struct txn {
	struct dmctl *d;
	char tpool[LV_DM_NAME_MAX + 8];
	uint64_t txid; /* before */
};

/* The pool is active and its metadata at the VG's transaction id. */
static int txn_begin(struct lvm_cmd *c, struct dmctl *d, const struct vg *vg, const struct vg_lv *pool,
		     struct txn *t, struct err *e)
{
	struct thin_pool_seg tp;
	struct thin_pool_status s;
	int r;

	if (!lvm_daemon_up(c, d))
		return err_set(e, -ENOTCONN, "thin pool %s/%s must be active (%s)", vg->name, pool->name, d->why.msg);
	if ((r = lv_thin_pool_seg(pool, &tp, e)) || (r = lv_activate(c, d, vg, pool, e)))
		return r;
	t->d = d;
	lv_dm_layer_name(vg, pool, "tpool", t->tpool, sizeof(t->tpool));
	if ((r = thin_pool_status(d, t->tpool, &s, e)))
		return r;
	if (s.txid != tp.transaction_id)
		return err_set(e, -EINVAL, "Thin pool %s transaction_id is %" PRIu64 ", while expected %" PRIu64 ".",
			       t->tpool, s.txid, tp.transaction_id);
	t->txid = tp.transaction_id;
	return 0;
}

static int txn_msg(struct txn *t, const char *fmt, uint64_t a, uint64_t b, struct err *e)
{
	char m[128];

	snprintf(m, sizeof(m), fmt, a, b);
	return dmctl_message(t->d, t->tpool, m, e);
}

static int txn_bump(struct txn *t, struct err *e)
{
	return txn_msg(t, "set_transaction_id %" PRIu64 " %" PRIu64, t->txid, t->txid + 1, e);
}

/* After a failed commit: the device @id made in this transaction goes. */
static void txn_undo(struct txn *t, uint32_t id)
{
	struct err e2 = { { 0 } };

	if (txn_msg(t, "delete %" PRIu64 "%.0" PRIu64, id, 0, &e2) ||
	    txn_msg(t, "set_transaction_id %" PRIu64 " %" PRIu64, t->txid + 1, t->txid, &e2))
		lvm_fail("WARNING: could not undo the pool change: %s", e2.msg);
}

static int pool_set_txid(struct vg *vg, struct vg_lv *pool, uint64_t txid, struct err *e)
{
	struct thin_pool_seg tp;
	int r;

	if ((r = lv_thin_pool_seg(pool, &tp, e)))
		return r;
	tp.transaction_id = txid;
	return lv_set_thin_pool(vg, pool, pool->le_count, &tp, e);
}

/* ---- lvcreate ---- */

static int size_opt(struct lvm_cmd *c, int o, char unit, const struct vg *vg, uint64_t *extents, char *sign)
{
	struct err e = { { 0 } };
	uint64_t s;
	char sg;

	if (lvm_parse_size(opt_val(c, o), unit, &sg, &s, &e))
		return lvm_fail("%s", e.msg);
	if (!sign && sg)
		return lvm_fail("Invalid size %s.", opt_val(c, o));
	if (sign)
		*sign = sg;
	*extents = (s + vg->extent_size - 1) / vg->extent_size;
	return 0;
}

static int extents_opt(struct lvm_cmd *c, struct vgh *h, uint64_t *ext)
{
	struct err e = { { 0 } };
	struct ext_arg a;

	if (opt_set(c, C_SIZE))
		return size_opt(c, C_SIZE, 'm', h->vg, ext, NULL);
	if (!opt_set(c, C_EXTENTS))
		return lvm_fail("Please specify either size or extents.");
	if (lvm_parse_extents(opt_val(c, C_EXTENTS), &a, &e))
		return lvm_fail("%s", e.msg);
	if (a.sign || (a.pct != PCT_NONE && a.pct != PCT_FREE && a.pct != PCT_VG))
		return lvm_fail("Invalid argument for --extents: %s", opt_val(c, C_EXTENTS));
	*ext = a.pct == PCT_FREE ? vg_free_extents(h->vg) * a.n / 100 :
	       a.pct == PCT_VG	 ? vg_total_extents(h->vg) * a.n / 100 :
				   a.n;
	return 0;
}

static int add_linear(struct vg *vg, const char *name, uint32_t extents, bool hidden_meta,
		      const struct alloc_range *ranges, unsigned nranges, struct vg_lv **out, struct err *e)
{
	struct alloc_req req = { .stripes = 1, .extents = extents, .ranges = ranges, .nranges = nranges };
	int r;

	if ((r = vg_add_lv(vg, name, out, e)))
		return r;
	(*out)->status &= ~FLAG(LVF_VISIBLE);
	if (hidden_meta) { /* lvm2 writes no creation time or host for a pool's sub-LVs */
		(*out)->has_ctime = false;
		free((*out)->host);
		(*out)->host = NULL;
	}
	return extents ? alloc_extend(vg, *out, &req, e) : 0;
}

/* Zero the first block of the metadata LV on its PV: the pool target
 * formats metadata whose superblock is all zeroes. */
static int wipe_tmeta(const struct vg *vg, const struct vg_lv *m, struct err *e)
{
	static const char zero[4096];
	const struct lv_seg *s = &m->seg[0];
	off_t off;
	int fd, r = 0;

	if (!s->striped || !s->area[0].pv->path)
		return err_set(e, -ENODEV, "metadata LV %s: its PV is missing", m->name);
	off = (off_t)(s->area[0].pv->pe_start + (uint64_t)s->area[0].pe * vg->extent_size) * 512;
	if ((fd = open(s->area[0].pv->path, O_WRONLY)) < 0)
		return err_set(e, -errno, "%s: %s", s->area[0].pv->path, strerror(errno));
	if (pwrite(fd, zero, sizeof(zero), off) != (ssize_t)sizeof(zero) || fdatasync(fd))
		r = err_set(e, -EIO, "wiping metadata LV %s on %s", m->name, s->area[0].pv->path);
	close(fd);
	return r;
}

static int create_pool(struct lvm_cmd *c, struct dmctl *d, struct vgh *h, const char *name,
		       const struct alloc_range *ranges, unsigned nranges, bool activate)
{
	struct err e = { { 0 } };
	struct vg *vg = h->vg;
	struct thin_pool_seg tp = { .chunk_size = 128, .discards = "passdown", .zero = true };
	struct vg_lv *pool, *m, *dl, *spare;
	char mname[LVM_NAME_LEN + 8], dname[LVM_NAME_LEN + 8], sname[LVM_NAME_LEN], b1[UNITS_BUF];
	uint64_t data = 0, meta = 0, v;
	char sign;

	if (extents_opt(c, h, &data))
		return LVM_FAILED;
	if (!data || data > UINT32_MAX)
		return lvm_fail("Invalid size for a thin pool.");
	if (opt_set(c, C_CHUNKSIZE)) {
		if (lvm_parse_size(opt_val(c, C_CHUNKSIZE), 'k', &sign, &v, &e) || sign || v < THIN_CHUNK_MIN ||
		    v > THIN_CHUNK_MAX || v % THIN_CHUNK_MIN)
			return lvm_fail("Chunk size %s is not a multiple of 64 KiB between 64 KiB and 1 GiB.",
					opt_val(c, C_CHUNKSIZE));
		tp.chunk_size = (uint32_t)v;
	}
	if (opt_set(c, C_ZERO))
		tp.zero = opt_val(c, C_ZERO)[0] == 'y';
	if (opt_set(c, C_DISCARDS)) {
		const char *s = opt_val(c, C_DISCARDS);

		if (strcmp(s, "ignore") && strcmp(s, "nopassdown") && strcmp(s, "passdown"))
			return lvm_fail("Invalid argument for --discards: %s", s);
		tp.discards = s;
	}
	if (opt_set(c, C_POOLMDSIZE)) {
		if (size_opt(c, C_POOLMDSIZE, 'm', vg, &meta, NULL))
			return LVM_FAILED;
	} else {
		meta = (thin_meta_default_size(data * vg->extent_size, tp.chunk_size) + vg->extent_size - 1) /
		       vg->extent_size;
	}
	if (meta * vg->extent_size < THIN_META_MIN)
		meta = (THIN_META_MIN + vg->extent_size - 1) / vg->extent_size;
	if (strlen(name) + 7 > LVM_NAME_LEN - 1)
		return lvm_fail("Thin pool name %s is too long.", name);
	snprintf(mname, sizeof(mname), "%s_tmeta", name);
	snprintf(dname, sizeof(dname), "%s_tdata", name);
	if (vg_find_lv(vg, mname) || vg_find_lv(vg, dname))
		return lvm_fail("Logical Volume \"%s\" already exists in volume group \"%s\"", mname, vg->name);
	/* lvm2's order: the spare first, then the data, then the metadata;
	 * in the text: spare, pool, _tmeta, _tdata. */
	if (!(spare = vg_pmspare(vg))) {
		for (unsigned i = 0;; i++) {
			snprintf(sname, sizeof(sname), "lvol%u_pmspare", i);
			if (!vg_find_lv(vg, sname))
				break;
		}
		if (add_linear(vg, sname, (uint32_t)meta, false, ranges, nranges, &spare, &e))
			return lvm_fail("%s", e.msg);
	} else if (spare->le_count < meta) {
		struct alloc_req req = { .stripes = 1, .extents = (uint32_t)(meta - spare->le_count),
					 .ranges = ranges, .nranges = nranges };

		if (alloc_extend(vg, spare, &req, &e))
			return lvm_fail("%s", e.msg);
	}
	if (vg_add_lv(vg, name, &pool, &e) || add_linear(vg, mname, 0, true, NULL, 0, &m, &e) ||
	    add_linear(vg, dname, (uint32_t)data, true, ranges, nranges, &dl, &e))
		return lvm_fail("%s", e.msg);
	{
		struct alloc_req req = { .stripes = 1, .extents = (uint32_t)meta, .ranges = ranges,
					 .nranges = nranges };

		if (alloc_extend(vg, m, &req, &e))
			return lvm_fail("%s", e.msg);
	}
	tp.metadata = mname;
	tp.data = dname;
	if (lv_set_thin_pool(vg, pool, dl->le_count, &tp, &e))
		return lvm_fail("%s", e.msg);
	if (wipe_tmeta(vg, m, &e) || lvm_vg_commit(&c->env, h, &e))
		return lvm_fail("%s", e.msg);
	printf("  Thin pool volume with chunk size %s can address at most %s of data.\n",
	       hsize(b1, tp.chunk_size), "15.81 TiB");
	printf("  Logical volume \"%s\" created.\n", name);
	if (!activate)
		return 0;
	if (!lvm_daemon_up(c, d)) {
		printf("  ulvmd is not running: logical volume %s/%s is inactive.\n", vg->name, name);
		return 0;
	}
	if (lv_activate(c, d, vg, vg_find_lv(vg, name), &e))
		return lvm_fail("Failed to activate new LV %s/%s: %s", vg->name, name, e.msg);
	return 0;
}

/* A new thin LV in @pool: fresh (origin NULL), a snapshot of thin
 * @origin, or over external origin @ext. */
static int create_thin(struct lvm_cmd *c, struct dmctl *d, struct vgh *h, struct vg_lv *pool,
		       const char *name, uint64_t extents, struct vg_lv *origin, struct vg_lv *ext)
{
	struct err e = { { 0 } };
	struct vg *vg = h->vg;
	struct thin_seg ts = { .pool = pool->name }, os;
	struct txn t;
	struct vg_lv *lv;
	char odm[LV_DM_NAME_MAX];
	bool suspended = false;
	int r;

	if (!extents || extents > UINT32_MAX)
		return lvm_fail("Invalid virtual size for a thin volume.");
	if (txn_begin(c, d, vg, pool, &t, &e))
		return lvm_fail("%s", e.msg);
	ts.transaction_id = t.txid;
	ts.device_id = thin_pool_next_id(vg, pool);
	if (ts.device_id > THIN_DEVICE_ID_MAX)
		return lvm_fail("Thin pool %s/%s has no free device id.", vg->name, pool->name);
	if (origin) {
		if (lv_thin_seg(origin, &os, &e))
			return lvm_fail("%s", e.msg);
		ts.origin = origin->name;
		ts.external_origin = os.external_origin; /* a snapshot reads through the same base */
		lv_dm_name(vg, origin, odm);
		/* The origin's in-flight writes reach the pool before the
		 * snapshot shares its blocks (lvm2 suspends it too). */
		if (dmctl_exists(d, odm)) {
			if (dmctl_simple(d, "suspend", odm, &e))
				return lvm_fail("%s", e.msg);
			suspended = true;
		}
		r = txn_msg(&t, "create_snap %" PRIu64 " %" PRIu64, ts.device_id, os.device_id, &e);
		if (suspended) {
			struct err e2 = { { 0 } };

			if (dmctl_simple(d, "resume", odm, &e2))
				lvm_fail("%s", e2.msg);
		}
	} else {
		if (ext)
			ts.external_origin = ext->name;
		r = txn_msg(&t, "create_thin %" PRIu64 "%.0" PRIu64, ts.device_id, 0, &e);
	}
	if (r)
		return lvm_fail("%s", e.msg);
	if (txn_bump(&t, &e)) {
		txn_undo(&t, ts.device_id);
		return lvm_fail("%s", e.msg);
	}
	if (vg_add_lv(vg, name, &lv, &e) || lv_set_thin(vg, lv, (uint32_t)extents, &ts, &e) ||
	    pool_set_txid(vg, pool, t.txid + 1, &e)) {
		txn_undo(&t, ts.device_id);
		return lvm_fail("%s", e.msg);
	}
	if (ext) /* lvm2 makes an external origin read-only */
		ext->status &= ~FLAG(LVF_WRITE);
	if (lvm_vg_commit(&c->env, h, &e)) {
		txn_undo(&t, ts.device_id);
		return lvm_fail("%s", e.msg);
	}
	printf("  Logical volume \"%s\" created.\n", name);
	if (lv_activate(c, d, vg, lv, &e))
		return lvm_fail("Failed to activate new LV %s/%s: %s", vg->name, name, e.msg);
	return 0;
}

/* The VG/LV or VG argument of -T/--thinpool/-s: *vg and *lv (or NULL). */
static int split_arg(const char *arg, char *vg, size_t size, const char **lv)
{
	const char *s = strchr(arg, '/');

	if (!s) {
		snprintf(vg, size, "%s", arg);
		*lv = NULL;
		return 0;
	}
	return lvm_split_lvname(arg, vg, size, lv);
}

bool thin_lvcreate_wanted(const struct lvm_cmd *c)
{
	const char *t = opt_set(c, C_TYPE) ? opt_val(c, C_TYPE) : "";

	return !strcmp(t, "thin-pool") || !strcmp(t, "thin") || opt_set(c, C_THIN) || opt_set(c, C_VIRTUALSIZE) ||
	       opt_set(c, C_SNAPSHOT) || opt_set(c, C_THINPOOL);
}

int lvm_thin_lvcreate(struct lvm_cmd *c, int argc, char **argv)
{
	struct err e = { { 0 } };
	struct vgh h = { .lock_fd = -1 };
	struct dmctl d = { 0 };
	struct alloc_range *ranges = NULL;
	unsigned nranges = 0;
	char vgname[LVM_NAME_LEN], vg2[LVM_NAME_LEN], name[LVM_NAME_LEN];
	const char *t = opt_set(c, C_TYPE) ? opt_val(c, C_TYPE) : "", *lvarg = NULL, *poolname = NULL;
	bool activate = true, pool_mode, sized = opt_set(c, C_SIZE) || opt_set(c, C_EXTENTS);
	struct vg_lv *pool, *origin = NULL;
	uint64_t ext = 0;
	int r;

	if ((r = lvm_setup(c, true)))
		return r;
	if (opt_set(c, C_ACTIVATE)) {
		const char *v = opt_val(c, C_ACTIVATE);

		activate = strcmp(v, "n") && strcmp(v, "an");
	}
	if (split_arg(argv[0], vgname, sizeof(vgname), &lvarg))
		return LVM_FAILED;
	pool_mode = !strcmp(t, "thin-pool") || (opt_set(c, C_THIN) && sized && !opt_set(c, C_VIRTUALSIZE));
	if (opt_set(c, C_THINPOOL)) {
		if (split_arg(opt_val(c, C_THINPOOL), vg2, sizeof(vg2), &poolname))
			return LVM_FAILED;
		if (!poolname) { /* --thinpool POOL with the VG as argument */
			poolname = opt_val(c, C_THINPOOL);
		} else if (strcmp(vg2, vgname)) {
			return lvm_fail("The thin pool and the LV must be in the same VG.");
		}
	}
	if (lvm_vg_read(&c->env, vgname, &h, &e))
		return lvm_fail("%s", e.msg);
	for (int i = 1; i < argc; i++)
		if (alloc_parse_pv_arg(h.vg, argv[i], &ranges, &nranges, &e)) {
			r = lvm_fail("%s", e.msg);
			goto out;
		}
	if (pool_mode) {
		const char *pn = opt_set(c, C_NAME) ? opt_val(c, C_NAME) : lvarg ? lvarg : poolname;

		if (!pn)
			vg_next_lv_name(h.vg, name, sizeof(name));
		else
			snprintf(name, sizeof(name), "%s", pn);
		if (vg_check_new_lv_name(h.vg, name, &e)) {
			r = lvm_fail("%s", e.msg);
			goto out;
		}
		r = create_pool(c, &d, &h, name, ranges, nranges, activate);
		goto out;
	}
	if (opt_set(c, C_NAME))
		snprintf(name, sizeof(name), "%s", opt_val(c, C_NAME));
	else
		vg_next_lv_name(h.vg, name, sizeof(name));
	if (vg_check_new_lv_name(h.vg, name, &e)) {
		r = lvm_fail("%s", e.msg);
		goto out;
	}
	if (opt_set(c, C_SNAPSHOT)) { /* -s VG/ORIGIN [--thinpool POOL] */
		if (!lvarg || !(origin = vg_find_lv(h.vg, lvarg))) {
			r = lvm_fail("Failed to find the origin %s.", argv[0]);
			goto out;
		}
		if (lv_is_thin(origin) && !poolname) {
			pool = thin_pool_of(h.vg, origin);
			r = pool ? create_thin(c, &d, &h, pool, name, origin->le_count, origin, NULL) :
				   lvm_fail("Thin LV %s has no pool.", origin->name);
			goto out;
		}
		if (!poolname) {
			r = lvm_fail("Snapshots of non-thin LVs need --thinpool (an external origin): old-style "
				     "snapshots are not implemented.");
			goto out;
		}
		if (!(pool = vg_find_lv(h.vg, poolname)) || !lv_is_thin_pool(pool)) {
			r = lvm_fail("Thin pool %s/%s not found.", h.vg->name, poolname);
			goto out;
		}
		if (lv_is_thin_pool(origin) || thin_handles(h.vg, origin) || origin->nseg == 0) {
			r = lvm_fail("LV %s cannot be an external origin.", origin->name);
			goto out;
		}
		ext = origin->le_count;
		if (opt_set(c, C_VIRTUALSIZE) && size_opt(c, C_VIRTUALSIZE, 'm', h.vg, &ext, NULL)) {
			r = LVM_FAILED;
			goto out;
		}
		r = create_thin(c, &d, &h, pool, name, ext, NULL, origin);
		goto out;
	}
	/* -V SIZE -T VG/POOL, --thinpool POOL VG, or VG/POOL */
	if (!poolname)
		poolname = lvarg;
	if (!poolname || !(pool = vg_find_lv(h.vg, poolname)) || !lv_is_thin_pool(pool)) {
		r = lvm_fail("Thin pool %s/%s not found.", h.vg->name, poolname ? poolname : "?");
		goto out;
	}
	if (!opt_set(c, C_VIRTUALSIZE)) {
		r = lvm_fail("A thin volume needs --virtualsize (-V).");
		goto out;
	}
	if (sized) {
		r = lvm_fail("Creating a thin pool and a thin volume in one command is not implemented: "
			     "create the pool first.");
		goto out;
	}
	if (size_opt(c, C_VIRTUALSIZE, 'm', h.vg, &ext, NULL)) {
		r = LVM_FAILED;
		goto out;
	}
	r = create_thin(c, &d, &h, pool, name, ext, NULL, NULL);
out:
	free(ranges);
	dmctl_close(&d);
	lvm_vg_release(&h);
	return r;
}

/* ---- lvremove ---- */

int thin_lvremove(struct lvm_cmd *c, struct dmctl *d, struct vgh *h, struct vg_lv *lv)
{
	struct err e = { { 0 } };
	struct vg *vg = h->vg;
	char name[LVM_NAME_LEN];

	snprintf(name, sizeof(name), "%s", lv->name);
	if (lv_is_thin(lv)) {
		struct vg_lv *pool = thin_pool_of(vg, lv);
		struct thin_seg ts;
		struct txn t;

		if (lv_thin_seg(lv, &ts, &e) || !pool || txn_begin(c, d, vg, pool, &t, &e) ||
		    lv_deactivate(c, d, vg, lv, &e) ||
		    txn_msg(&t, "delete %" PRIu64 "%.0" PRIu64, ts.device_id, 0, &e) || txn_bump(&t, &e))
			return lvm_fail("%s", e.msg[0] ? e.msg : "thin LV without a pool");
		/* Its snapshots stay, without an origin (as lvm2's). */
		for (unsigned i = 0; i < vg->nlv; i++) {
			struct thin_seg o;

			if (lv_is_thin(vg->lv[i]) && !lv_thin_seg(vg->lv[i], &o, &e) && o.origin &&
			    !strcmp(o.origin, name)) {
				o.origin = NULL;
				if (lv_set_thin(vg, vg->lv[i], vg->lv[i]->le_count, &o, &e))
					return lvm_fail("%s", e.msg);
			}
		}
		vg_remove_lv(vg, lv);
		if (pool_set_txid(vg, pool, t.txid + 1, &e) || lvm_vg_commit(&c->env, h, &e))
			return lvm_fail("%s (the pool's device is deleted)", e.msg);
		printf("  Logical volume \"%s\" successfully removed.\n", name);
		return 0;
	}
	if (lv_is_thin_pool(lv)) {
		struct vg_lv *m = thin_pool_sub(vg, lv, true), *dl = thin_pool_sub(vg, lv, false), *sp;
		unsigned pools = 0;

		if (thin_pool_users(vg, lv))
			return lvm_fail("Thin pool %s/%s still has %u thin volume(s): remove them first.", vg->name,
					name, thin_pool_users(vg, lv));
		if (lv_deactivate(c, d, vg, lv, &e))
			return lvm_fail("%s", e.msg);
		vg_remove_lv(vg, lv);
		if (m)
			vg_remove_lv(vg, m);
		if (dl)
			vg_remove_lv(vg, dl);
		for (unsigned i = 0; i < vg->nlv; i++)
			pools += lv_is_thin_pool(vg->lv[i]);
		if (!pools && (sp = vg_pmspare(vg)))
			vg_remove_lv(vg, sp);
		if (lvm_vg_commit(&c->env, h, &e))
			return lvm_fail("%s", e.msg);
		printf("  Logical volume \"%s\" successfully removed.\n", name);
		return 0;
	}
	return lvm_fail("Logical volume %s/%s is a thin pool's sub-LV: remove the pool.", vg->name, name);
}

/* ---- lvextend ---- */

int thin_lvresize(struct lvm_cmd *c, struct dmctl *d, struct vgh *h, struct vg_lv *lv, int argc, char **argv)
{
	struct err e = { { 0 } };
	struct vg *vg = h->vg;
	struct alloc_range *ranges = NULL;
	struct alloc_req req = { .stripes = 1 };
	struct thin_pool_seg tp;
	struct vg_lv *sub;
	char sign = '+', b1[UNITS_BUF], b2[UNITS_BUF];
	bool meta = opt_set(c, C_POOLMDSIZE);
	uint64_t ext = 0;
	uint32_t old;
	int r = 0;

	if (!lv_is_thin_pool(lv) && !lv_is_thin(lv))
		return lvm_fail("--use-policies and --poolmetadatasize apply to thin pools.");
	if (lv_is_thin(lv)) { /* a thin volume: only its virtual size */
		struct thin_seg ts;

		if (!opt_set(c, C_SIZE) || size_opt(c, C_SIZE, 'm', vg, &ext, &sign) || lv_thin_seg(lv, &ts, &e))
			return lvm_fail("Resize a thin volume with -L [+]SIZE.");
		ext = sign == '+' ? lv->le_count + ext : ext;
		if (sign == '-' || ext <= lv->le_count || ext > UINT32_MAX)
			return lvm_fail("Thin volumes only grow here.");
		old = lv->le_count;
		if (lv_set_thin(vg, lv, (uint32_t)ext, &ts, &e) || lvm_vg_commit(&c->env, h, &e))
			return lvm_fail("%s", e.msg);
		if (lv_reload(c, d, vg, lv, &e))
			r = lvm_fail("%s", e.msg);
		printf("  Size of logical volume %s/%s changed from %s (%u extents) to %s (%u extents).\n", vg->name,
		       lv->name, hsize(b1, (uint64_t)old * vg->extent_size), old,
		       hsize(b2, (uint64_t)lv->le_count * vg->extent_size), lv->le_count);
		return r;
	}
	if (lv_thin_pool_seg(lv, &tp, &e))
		return lvm_fail("%s", e.msg);
	if (!(sub = thin_pool_sub(vg, lv, meta)))
		return lvm_fail("Thin pool %s/%s has no %s LV.", vg->name, lv->name, meta ? "_tmeta" : "_tdata");
	if (opt_set(c, C_USEPOLICIES)) {
		int64_t th = lvm_conf_int(&c->env, "activation", "thin_pool_autoextend_threshold", 100);
		int64_t pct = lvm_conf_int(&c->env, "activation", "thin_pool_autoextend_percent", 20);
		char tpool[LV_DM_NAME_MAX + 8];
		struct thin_pool_status s;

		lv_dm_layer_name(vg, lv, "tpool", tpool, sizeof(tpool));
		if (th >= 100 || pct <= 0) {
			printf("  Thin pool %s/%s: autoextend is off (thin_pool_autoextend_threshold).\n", vg->name,
			       lv->name);
			return 0;
		}
		if (!lvm_daemon_up(c, d) || thin_pool_status(d, tpool, &s, &e))
			return lvm_fail("Thin pool %s/%s is not active: %s", vg->name, lv->name,
					e.msg[0] ? e.msg : d->why.msg);
		if (s.data_total && s.data_used * 100 < (uint64_t)th * s.data_total &&
		    s.meta_used * 100 < (uint64_t)th * s.meta_total) {
			printf("  Thin pool %s/%s: data %" PRIu64 "/%" PRIu64 ", metadata %" PRIu64 "/%" PRIu64
			       " blocks: under the threshold of %" PRId64 "%%.\n",
			       vg->name, lv->name, s.data_used, s.data_total, s.meta_used, s.meta_total, th);
			return 0;
		}
		if (s.meta_used * 100 >= (uint64_t)th * s.meta_total)
			sub = thin_pool_sub(vg, lv, true);
		ext = ((uint64_t)sub->le_count * (uint64_t)pct + 99) / 100;
		if (!ext)
			ext = 1;
		log_info("autoextend: thin pool %s/%s %s by %" PRIu64 " extents", vg->name, lv->name,
			 sub == thin_pool_sub(vg, lv, true) ? "metadata" : "data", ext);
	} else if (meta) {
		if (size_opt(c, C_POOLMDSIZE, 'm', vg, &ext, &sign))
			return LVM_FAILED;
		if (sign != '+')
			ext = ext > sub->le_count ? ext - sub->le_count : 0;
	} else {
		if (!opt_set(c, C_SIZE) && !opt_set(c, C_EXTENTS))
			return lvm_fail("Please specify either size or extents.");
		if (opt_set(c, C_SIZE)) {
			if (size_opt(c, C_SIZE, 'm', vg, &ext, &sign))
				return LVM_FAILED;
		} else {
			struct ext_arg a;

			if (lvm_parse_extents(opt_val(c, C_EXTENTS), &a, &e) || a.pct != PCT_NONE)
				return lvm_fail("Invalid argument for --extents: %s", opt_val(c, C_EXTENTS));
			ext = a.n;
			sign = a.sign;
		}
		if (sign == '-')
			return lvm_fail("Thin pools cannot be reduced.");
		if (sign != '+')
			ext = ext > sub->le_count ? ext - sub->le_count : 0;
	}
	if (!ext)
		return lvm_fail("New size matches the existing size.");
	if ((uint64_t)sub->le_count + ext > UINT32_MAX)
		return lvm_fail("Size too large.");
	for (int i = 0; i < argc; i++)
		if (alloc_parse_pv_arg(vg, argv[i], &ranges, &req.nranges, &e)) {
			free(ranges);
			return lvm_fail("%s", e.msg);
		}
	req.ranges = ranges;
	req.extents = (uint32_t)ext;
	old = sub->le_count;
	r = alloc_extend(vg, sub, &req, &e);
	free(ranges);
	if (r)
		return lvm_fail("%s", e.msg);
	if (sub == thin_pool_sub(vg, lv, false) && lv_set_thin_pool(vg, lv, sub->le_count, &tp, &e))
		return lvm_fail("%s", e.msg);
	if (sub == thin_pool_sub(vg, lv, true)) {
		struct vg_lv *sp = vg_pmspare(vg);
		struct alloc_req sreq = { .stripes = 1 };

		if (sp && sp->le_count < sub->le_count) { /* the spare follows, as lvm2, when it can */
			sreq.extents = sub->le_count - sp->le_count;
			if (alloc_extend(vg, sp, &sreq, &e))
				printf("  WARNING: the pool metadata spare %s could not grow: %s\n", sp->name, e.msg);
		}
	}
	if (lvm_vg_commit(&c->env, h, &e))
		return lvm_fail("%s", e.msg);
	printf("  Size of logical volume %s/%s changed from %s (%u extents) to %s (%u extents).\n", vg->name,
	       sub->name, hsize(b1, (uint64_t)old * vg->extent_size), old,
	       hsize(b2, (uint64_t)sub->le_count * vg->extent_size), sub->le_count);
	if (lv_reload(c, d, vg, lv, &e))
		return lvm_fail("%s", e.msg);
	printf("  Logical volume %s/%s successfully resized.\n", vg->name, lv->name);
	return 0;
}
