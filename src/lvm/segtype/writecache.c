/* "writecache": an LV whose writes go to a fast cachevol first
 * (lib/writecache/writecache.c, lib/metadata/writecache_manip.c,
 * tools/lvconvert.c; lvm/segtype/cache_lv.h for the family).
 *
 * lvconvert --type writecache --cachevol FAST LV zeroes FAST's first
 * 4 KiB (dm-writecache formats a cache whose first sector is zero),
 * renames it FAST_cvol (flags CACHE_VOL, hidden), moves LV's segments
 * into the hidden LV_wcorig and gives LV one "writecache" segment:
 * writecache, origin, writecache_block_size (bytes: 4096, or 512 when
 * the file system on LV has 512-byte blocks, as lvm2 chooses it from
 * libblkid's BLOCK_SIZE; --cachesettings block_size=512|4096), and the
 * dm-writecache settings given with --cachesettings.
 *
 * Detaching (--splitcache, --uncache) is lvm2's: the segment gets
 * cleaner = 1 (committed) and the active device the "cleaner" message,
 * so the target writes everything back and promotes nothing new; once
 * the status shows every block free the cache stays empty (a write is
 * promoted only to a block the cache holds), and LV gets its segments
 * back, its table reloaded as a plain LV before the cache's devices go.
 * An inactive LV is activated for that and taken down again.
 */
#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/dmctl.h"
#include "lvm/devices.h"
#include "lvm/lvref.h"
#include "lvm/report_lvm.h"
#include "lvm/segtype/cache_lv.h"
#include "lvm/wipe.h"

/* The settings of lvm2's struct writecache_settings, in its text order. */
enum { WC_HIGH, WC_LOW, WC_JOBS, WC_ACBLOCKS, WC_ACTIME, WC_FUA, WC_NOFUA, WC_CLEANER, WC_MAXAGE, WC_N };
static const char *const wc_key[WC_N] = { "high_watermark",    "low_watermark", "writeback_jobs",
					  "autocommit_blocks", "autocommit_time", "fua",
					  "nofua",	       "cleaner",	  "max_age" };

struct writecache_seg {
	const char *cvol, *origin;
	uint32_t block_size; /* bytes */
	bool set[WC_N];
	uint64_t val[WC_N];
	const char *new_key, *new_val; /* one setting lvm2 does not know */
};

static const struct writecache_seg *wc_model(const struct vg_lv *lv)
{
	return lv_seg_model(lv, &segtype_writecache);
}

static void wc_free(struct lv_seg *s)
{
	free(s->priv);
	s->priv = NULL;
}

static int wc_parse(const struct vg *vg, struct lv_seg *s, struct err *e)
{
	struct writecache_seg *m = calloc(1, sizeof(*m));
	const struct cfg_node *sn = s->raw;
	int r = 0;

	(void)vg;
	if (!m)
		return err_set(e, -ENOMEM, "out of memory");
	wc_free(s);
	if (!cfg_find(sn, "origin") || cfg_get_str(sn, "origin", &m->origin, e))
		r = err_set(e, -EINVAL, "origin not specified in writecache segment.");
	else if (!cfg_find(sn, "writecache") || cfg_get_str(sn, "writecache", &m->cvol, e))
		r = err_set(e, -EINVAL, "writecache not specified in writecache segment.");
	else if (cfg_get_u32(sn, "writecache_block_size", &m->block_size, e))
		r = err_set(e, -EINVAL, "writecache block_size must be set in writecache segment.");
	for (unsigned i = 0; !r && i < WC_N; i++)
		if (cfg_find(sn, wc_key[i])) {
			if (cfg_get_u64(sn, wc_key[i], &m->val[i], e))
				r = err_set(e, -EINVAL, "Unknown writecache_setting in writecache segment.");
			m->set[i] = true;
		}
	if (!r && cfg_find(sn, "writecache_setting_key") &&
	    (cfg_get_str(sn, "writecache_setting_key", &m->new_key, e) ||
	     cfg_get_str(sn, "writecache_setting_val", &m->new_val, e)))
		r = err_set(e, -EINVAL, "Unknown writecache_setting in writecache segment.");
	if (r) {
		free(m);
		return r;
	}
	s->priv = m;
	return 0;
}

static int wc_set(struct vg *vg, struct vg_lv *lv, const struct writecache_seg *m, struct err *e)
{
	struct cfg_node *sn = seg_new_raw(vg, lv->le_count, "writecache");

	cfg_add_str(sn, "writecache", m->cvol);
	cfg_add_str(sn, "origin", m->origin);
	cfg_add_int(sn, "writecache_block_size", m->block_size);
	for (unsigned i = 0; i < WC_N; i++)
		if (m->set[i] && (i != WC_CLEANER || m->val[i]))
			cfg_add_int(sn, wc_key[i], (int64_t)m->val[i]);
	if (m->new_key && m->new_val) {
		cfg_add_str(sn, "writecache_setting_key", m->new_key);
		cfg_add_str(sn, "writecache_setting_val", m->new_val);
	}
	return lv_set_raw_seg(vg, lv, lv->le_count, &segtype_writecache, sn, e);
}

static int wc_validate(const struct vg *vg, const struct vg_lv *lv, const struct lv_seg *s, struct err *e)
{
	const struct writecache_seg *m = s->priv;

	if (!m)
		return 0;
	if (lv->nseg != 1)
		return err_set(e, -EINVAL, "LV %s: a writecache LV has one segment", lv->name);
	if (m->block_size != 512 && m->block_size != 4096)
		return err_set(e, -EINVAL, "LV %s: writecache_block_size %u is not 512 or 4096", lv->name, m->block_size);
	if (!vg_find_lv(vg, m->cvol) || !vg_find_lv(vg, m->origin))
		return err_set(e, -EINVAL, "LV %s: its writecache or origin LV is missing", lv->name);
	return 0;
}

/* ---- activation ---- */

static int wc_plan(struct lv_plan *p, const struct vg *vg, const struct vg_lv *lv, struct err *e)
{
	const struct writecache_seg *m = wc_model(lv);
	const struct vg_lv *origin = vg_find_lv(vg, m->origin), *cvol = vg_find_lv(vg, m->cvol);
	char o[LV_DM_NAME_MAX], c[LV_DM_NAME_MAX], *t = NULL;
	unsigned n = 0;
	size_t len = 0;
	FILE *f;
	int r;

	if (!origin || !cvol)
		return err_set(e, -ENOENT, "writecache LV %s/%s: its origin or cachevol is missing", vg->name, lv->name);
	if ((r = lv_plan_sub(p, origin, true, e)) || (r = lv_plan_sub(p, cvol, true, e)))
		return r;
	p->dev[p->n - 1].readonly = false;
	lv_dm_name(vg, origin, o);
	lv_dm_name(vg, cvol, c);
	/* libdm's _writecache_emit_segment_line */
	for (unsigned i = 0; i < WC_N; i++)
		if (m->set[i] && (i != WC_CLEANER || m->val[i]))
			n += i == WC_FUA || i == WC_NOFUA || i == WC_CLEANER ? 1 : 2;
	if (m->new_key && m->new_val)
		n += 2;
	if (!(f = open_memstream(&t, &len)))
		return err_set(e, -ENOMEM, "out of memory");
	fprintf(f, "0 %" PRIu64 " writecache s /dev/mapper/%s /dev/mapper/%s %u %u",
		(uint64_t)lv->le_count * vg->extent_size, o, c, m->block_size ? m->block_size : 4096, n);
	for (unsigned i = 0; i < WC_N; i++) {
		if (!m->set[i] || (i == WC_CLEANER && !m->val[i]))
			continue;
		if (i == WC_FUA || i == WC_NOFUA || i == WC_CLEANER)
			fprintf(f, " %s", wc_key[i]);
		else
			fprintf(f, " %s %" PRIu64, wc_key[i], m->val[i]);
	}
	if (m->new_key && m->new_val)
		fprintf(f, " %s %s", m->new_key, m->new_val);
	if (fclose(f)) {
		free(t);
		return err_set(e, -ENOMEM, "out of memory");
	}
	return lv_plan_add(p, lv, NULL, t, e) ? 0 : -ENOMEM;
}

static struct vg_lv *wc_owner_of(const struct vg *vg, const struct vg_lv *owner, const struct vg_lv *lv)
{
	const struct writecache_seg *m = wc_model(owner);

	if (m && (vg_find_lv(vg, m->origin) == lv || vg_find_lv(vg, m->cvol) == lv))
		return (struct vg_lv *)owner;
	return NULL;
}

/* ---- status and lvs ---- */

struct wc_status {
	uint64_t error, total, free, writeback;
};

static int wc_status(struct dmctl *d, const struct vg *vg, const struct vg_lv *lv, struct wc_status *s)
{
	char name[LV_DM_NAME_MAX], *line = NULL;
	struct err e = { { 0 } };
	int r;

	lv_dm_name(vg, lv, name);
	if (!d || !dmctl_up(d) || dmctl_status_of(d, name, "writecache", &line, &e))
		return -ENODEV;
	/* START LEN writecache ERROR BLOCKS FREE WRITEBACK [more counters] */
	r = sscanf(line, "%*u %*u writecache %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64, &s->error, &s->total,
		   &s->free, &s->writeback) == 4 ? 0 : -EPROTO;
	free(line);
	return r;
}

static void wc_settings_list(const struct writecache_seg *m, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < WC_N && n < size; i++)
		if (m->set[i] && (i != WC_CLEANER || m->val[i]))
			n += (size_t)snprintf(buf + n, size - n, "%s%s=%" PRIu64, n ? "," : "", wc_key[i], m->val[i]);
	if (m->new_key && m->new_val && n < size)
		snprintf(buf + n, size - n, "%s%s=%s", n ? "," : "", m->new_key, m->new_val);
}

static void wc_report(const struct seg_report_ctx *x, const struct vg_lv *owner)
{
	const struct writecache_seg *m = wc_model(owner ? owner : x->lv);
	struct wc_status s;
	char buf[512];

	cache_family_report(x, owner, m->origin, m->cvol, "writecache");
	if (owner)
		return;
	report_set_u64(x->row, RF_WRITECACHE_BLOCK_SIZE, m->block_size);
	wc_settings_list(m, buf, sizeof(buf));
	report_set_str(x->row, RF_CACHE_SETTINGS, buf);
	if (wc_status(x->d, x->vg, x->lv, &s))
		return;
	x->attr[8] = s.error ? 'E' : '-';
	report_set_percent(x->row, RF_DATA_PERCENT, report_make_percent(s.total - s.free, s.total));
	report_set_u64(x->row, RF_WRITECACHE_TOTAL_BLOCKS, s.total);
	report_set_u64(x->row, RF_WRITECACHE_FREE_BLOCKS, s.free);
	report_set_u64(x->row, RF_WRITECACHE_WRITEBACK_BLOCKS, s.writeback);
	report_set_u64(x->row, RF_WRITECACHE_ERROR, s.error);
}

/* ---- lvconvert, lvchange ---- */

static bool ask(struct lv_change *ch, const char *fmt, const char *a, const char *b)
{
	char q[3 * LVM_NAME_LEN + 128];

	snprintf(q, sizeof(q), fmt, a, b);
	return !ch->confirm || ch->confirm(ch->ctx, q);
}

/* lvm2's get_writecache_settings: --cachesettings into @m (block_size
 * into *bs, bytes; 0 when not given). */
static int wc_settings(struct lv_change *ch, const struct lv_cache_opts *o, struct writecache_seg *m, uint32_t *bs,
		       struct err *e)
{
	*bs = 0;
	for (unsigned g = 0; g < o->nsettings; g++) {
		struct cfg_tree *t;
		int r = 0;

		if (cfg_parse(o->settings[g], strlen(o->settings[g]), &t, e))
			return err_set(e, -EINVAL, "Invalid setting at: %s", o->settings[g]);
		for (const struct cfg_node *c = cfg_root(t)->child; c && !r; c = c->next) {
			unsigned i = 0;

			while (i < WC_N && strcmp(c->key, wc_key[i]))
				i++;
			if (c->type != CFG_INT || c->v.i < 0) {
				r = err_set(e, -EINVAL, "Invalid setting: %s", c->key);
			} else if (!strcmp(c->key, "block_size")) {
				if (c->v.i != 512 && c->v.i != 4096)
					r = err_set(e, -EINVAL, "Invalid setting: %s", c->key);
				*bs = (uint32_t)c->v.i;
			} else if (i < WC_N) {
				if ((i == WC_HIGH || i == WC_LOW) && c->v.i > 100)
					r = err_set(e, -EINVAL, "Invalid setting: %s", c->key);
				else if ((i == WC_FUA && m->set[WC_NOFUA]) || (i == WC_NOFUA && m->set[WC_FUA]))
					r = err_set(e, -EINVAL, "Setting fua and nofua cannot both be set.");
				m->set[i] = true;
				m->val[i] = (uint64_t)c->v.i;
			} else {
				r = err_set(e, -EINVAL, "Setting %s is not recognized.", c->key);
			}
		}
		cfg_tree_free(t);
		if (r)
			return r;
	}
	(void)ch;
	return 0;
}

/* The BLOCK_SIZE libblkid sees at the start of @lv (0: unknown): its
 * first area, when that is a PV that is a file or a block device. */
static uint32_t fs_block_size(const struct vg *vg, const struct vg_lv *lv)
{
	const struct lv_seg *s = lv->nseg ? &lv->seg[0] : NULL;
	const struct vg_pv *pv = s && s->narea ? s->area[0].pv : NULL;
	const char *v = NULL;
	uint32_t bs = 0;
	blkid_probe pr;
	int fd;

	if (!pv || !pv->path || (fd = open(pv->path, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	if ((pr = blkid_new_probe())) {
		uint64_t off = (pv->pe_start + (uint64_t)s->area[0].pe * vg->extent_size) * 512;
		uint64_t len = (uint64_t)seg_area_len(s) * vg->extent_size * 512;

		if (!blkid_probe_set_device(pr, fd, (blkid_loff_t)off, (blkid_loff_t)len)) {
			blkid_probe_enable_superblocks(pr, 1);
			blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE);
			if (!blkid_do_safeprobe(pr) && !blkid_probe_lookup_value(pr, "BLOCK_SIZE", &v, NULL) && v)
				bs = (uint32_t)strtoul(v, NULL, 10);
		}
		blkid_free_probe(pr);
	}
	close(fd);
	return bs;
}

/* _set_writecache_block_size: by the file system's block size. */
static int block_size(struct lv_change *ch, const struct vg_lv *lv, uint32_t given, uint32_t *out, struct err *e)
{
	uint32_t fs = fs_block_size(ch->h->vg, lv);

	if (!fs) {
		*out = given ? given : 4096;
		fprintf(ch->out, "  Using writecache block size %u for unknown file system block size, logical block size "
			"512, physical block size 512.\n", *out);
		if (*out != 512) {
			fprintf(stderr, "  WARNING: unable to detect a file system block size on %s/%s\n"
					"  WARNING: using a writecache block size larger than the file system block size "
					"may corrupt the file system.\n", ch->h->vg->name, lv->name);
			char n[16];

			snprintf(n, sizeof(n), "%u", *out);
			if (!ask(ch, "Use writecache block size %s?", n, ""))
				return err_set(e, -ECANCELED, "Conversion aborted.");
		}
		return 0;
	}
	if (given && given > fs)
		return err_set(e, -EINVAL, "Writecache block size %u cannot be larger than file system block size %u.",
			       given, fs);
	*out = given ? given : fs >= 4096 ? 4096 : 512;
	return 0;
}

static int wc_attach(struct lv_change *ch, struct vg_lv *lv, const struct lv_convert_req *req, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct writecache_seg m = { 0 };
	struct vg_lv *fast, *wcorig;
	char name[2 * LVM_NAME_LEN], lvname[LVM_NAME_LEN];
	enum lv_restack how;
	uint32_t bs;
	int r;

	if (!req->cache_vol == !req->cache_device)
		return err_set(e, -EINVAL, "lvconvert --type writecache needs --cachevol or --cachedevice (one of them).");
	if (req->cache_device) { /* a new cachevol, nothing on it to erase */
		if ((r = cache_vol_new(ch, &lv, req, &fast, e)))
			return r;
		vg = ch->h->vg;
	} else if (!(fast = cache_find_arg(vg, req->cache_vol, "--cachevol", e))) {
		return -ENOENT;
	}
	if (fast == lv)
		return err_set(e, -EINVAL, "Invalid cachevol LV.");
	if (fast->status & FLAG(LVF_CACHE_VOL))
		return err_set(e, -EBUSY, "LV %s/%s is already used as a cachevol.", vg->name, fast->name);
	if (lv_first_user(vg, fast, NULL) || !(fast->status & FLAG(LVF_VISIBLE)))
		return err_set(e, -EBUSY, "LV %s/%s is already in use.", vg->name, fast->name);
	for (unsigned i = 0; i < fast->nseg; i++)
		if (fast->seg[i].st != &segtype_striped || fast->seg[i].narea != 1 || !seg_on_pvs(&fast->seg[i]))
			return err_set(e, -EINVAL, "LV %s/%s must be linear to use as a writecache.", vg->name, fast->name);
	if (dmctl_up(ch->d) && lv_dm_active(ch->d, vg, fast))
		return err_set(e, -EBUSY, "LV %s/%s must be inactive to attach.", vg->name, fast->name);
	if ((r = cache_origin_check(vg, lv, e)))
		return r;
	if (!req->cache_device && !ask(ch, "Erase all existing data on %s/%s?", vg->name, fast->name))
		return err_set(e, -ECANCELED, "Conversion aborted.");
	if ((r = wc_settings(ch, &req->cache, &m, &bs, e)) || (r = block_size(ch, lv, bs, &m.block_size, e)))
		return r;
	snprintf(lvname, sizeof(lvname), "%s", lv->name);
	if ((size_t)snprintf(name, sizeof(name), "%s_cvol", fast->name) >= LVM_NAME_LEN)
		return err_set(e, -ENAMETOOLONG, "Can't prepare new metadata name for %s/%s.", vg->name, fast->name);
	if ((r = lv_change_restack_begin(ch, lv, lv, &how, e)))
		return r;
	/* _writecache_zero: dm-writecache formats a cache starting with zeroes */
	if ((r = lv_wipe_new(vg, fast, true, LV_ZERO_START, e)) || (r = lv_rename_with_subs(vg, fast, name, e)))
		return r;
	fast->status |= FLAG(LVF_CACHE_VOL);
	fast->status &= ~FLAG(LVF_VISIBLE);
	if ((r = cache_insert_layer(vg, lv, "_wcorig", &wcorig, e)))
		return r;
	m.cvol = fast->name;
	m.origin = wcorig->name;
	if ((r = wc_set(vg, lv, &m, e)) || (r = lvm_vg_commit(ch->env, ch->h, e)))
		return r;
	lv = vg_find_lv(vg, lvname);
	if ((how == LV_RESTACK_ONLINE && (r = lv_dm_restack(ch->d, ch->env, vg, lv, e))) ||
	    (how == LV_RESTACK_OFFLINE && (r = lvm_lv_activate(ch->env, ch->d, vg, lv, e))))
		return err_set(e, r, "%s (the VG is changed; lvchange --refresh or -ay %s/%s loads it)", e->msg, vg->name,
			       lvname);
	fprintf(ch->out, "  Logical volume %s/%s now has writecache.\n", vg->name, lvname);
	return 0;
}

/* The LV's segment with cleaner = 1, committed; an active device gets
 * the "cleaner" message too (lv_writecache_set_cleaner). */
static int set_cleaner(struct lv_change *ch, struct vg_lv *lv, struct err *e)
{
	struct writecache_seg m = *wc_model(lv);
	char name[LV_DM_NAME_MAX];
	int r;

	m.set[WC_CLEANER] = true;
	m.val[WC_CLEANER] = 1;
	if ((r = wc_set(ch->h->vg, lv, &m, e)) || (r = lvm_vg_commit(ch->env, ch->h, e)))
		return r;
	lv_dm_name(ch->h->vg, lv, name);
	return dmctl_message(ch->d, name, "cleaner", e);
}

/* _lvconvert_detach_writecache and _when_clean: clean, then detach. */
static int wc_detach(struct lv_change *ch, struct vg_lv *lv, bool remove, struct err *e)
{
	struct vg *vg = ch->h->vg;
	bool active = dmctl_up(ch->d) && lv_dm_active(ch->d, vg, lv), waited = false;
	char lvname[LVM_NAME_LEN], fastname[LVM_NAME_LEN];
	const struct writecache_seg *m;
	struct vg_lv *fast, *wcorig;
	struct wc_status s;
	int r;

	snprintf(lvname, sizeof(lvname), "%s", lv->name);
	if (!active) {
		if (!dmctl_up(ch->d))
			return err_set(e, -ENOTCONN, "Failed to activate LV to clean writecache: %s", ch->d->why.msg);
		if ((r = lvm_lv_activate(ch->env, ch->d, vg, lv, e)))
			return err_set(e, r, "Failed to activate LV to clean writecache.");
	}
	if ((r = wc_status(ch->d, vg, lv, &s)))
		return err_set(e, r, "Failed to get device mapper status for %s/%s", vg->name, lv->name);
	if (s.total == s.free) {
		fprintf(ch->out, "  Detaching writecache already clean.\n");
	} else {
		fprintf(ch->out, "  Detaching writecache setting cleaner.\n");
		if ((r = set_cleaner(ch, lv, e)))
			return err_set(e, r, "Failed to set cleaner cachesetting to flush cache.\n  See lvchange "
				       "--cachesettings cleaner=1");
		for (;;) {
			if ((r = wc_status(ch->d, vg, lv, &s)))
				return err_set(e, r, "Detaching writecache interrupted - LV not active.");
			if (s.error)
				return err_set(e, -EIO, "Failed to flush writecache (error %" PRIu64 ") for %s/%s.", s.error,
					       vg->name, lv->name);
			if (s.total == s.free)
				break;
			if (!waited)
				fprintf(ch->out, "  Detaching writecache cleaning %" PRIu64 " blocks\n  This command can be "
					"cancelled and rerun to complete writecache detach.\n", s.total - s.free);
			fflush(ch->out);
			waited = true;
			cache_sleep(200);
		}
		if (waited)
			fprintf(ch->out, "  Detaching writecache completed cleaning.\n");
	}
	if (!active && (r = lvm_lv_deactivate(ch->d, vg, lv, e)))
		return r;
	m = wc_model(lv);
	if (!(fast = vg_find_lv(vg, m->cvol)) || !(wcorig = vg_find_lv(vg, m->origin)))
		return err_set(e, -ENOENT, "LV %s/%s writecache segment has no writecache or origin.", vg->name, lv->name);
	if ((r = cache_family_detach(ch, lv, wcorig, fast, "_cvol", remove ? vg_remove_lv : NULL, fastname,
				     sizeof(fastname), e)))
		return r;
	if (waited) { /* lvm2's two paths word it differently */
		if (remove)
			fprintf(ch->out, "  Logical volume \"%s\" successfully removed.\n", fastname);
		fprintf(ch->out, "  Logical volume %s/%s write cache has been detached.\n", vg->name, lvname);
	} else {
		fprintf(ch->out, "  Logical volume %s/%s writecache has been detached.\n", vg->name, lvname);
		if (remove)
			fprintf(ch->out, "  Logical volume \"%s\" successfully removed.\n", fastname);
	}
	return 0;
}

/* lvchange --cachesettings (_lvchange_writecache). */
static int wc_change(struct lv_change *ch, struct vg_lv *lv, const struct lv_convert_req *req, struct err *e)
{
	struct vg *vg = ch->h->vg;
	struct writecache_seg m = *wc_model(lv);
	bool active = dmctl_up(ch->d) && lv_dm_active(ch->d, vg, lv);
	uint32_t bs;
	int r;

	if (req->cache.mode || req->cache.policy)
		return err_set(e, -EINVAL, "--cachemode and --cachepolicy do not apply to writecache LV %s/%s.", vg->name,
			       lv->name);
	if ((r = wc_settings(ch, &req->cache, &m, &bs, e)))
		return r;
	if (bs && bs != m.block_size)
		return err_set(e, -EINVAL, "Cannot change existing block size %u bytes.", m.block_size);
	if ((r = wc_set(vg, lv, &m, e)) || (r = lvm_vg_commit(ch->env, ch->h, e)))
		return r;
	if (active && (r = lvm_lv_reload(ch->env, ch->d, vg, lv, e)))
		return r;
	fprintf(ch->out, "  Logical volume %s/%s changed.\n", vg->name, lv->name);
	return 0;
}

static int wc_convert(struct lv_change *ch, struct vg_lv *lv, const struct lv_convert_req *req, struct err *e)
{
	struct vg *vg = ch->h->vg;

	if (req->split_cache || req->uncache) {
		if (!wc_model(lv))
			return err_set(e, -EINVAL, "Cannot find LV with cache from %s/%s.", vg->name, lv->name);
		return wc_detach(ch, lv, req->uncache, e);
	}
	if (req->type_name)
		return wc_attach(ch, lv, req, e);
	if (!wc_model(lv))
		return err_set(e, -EINVAL, "Operation not permitted on LV %s/%s.", vg->name, lv->name);
	if (req->cache.nsettings || req->cache.mode || req->cache.policy)
		return wc_change(ch, lv, req, e);
	return err_set(e, -EOPNOTSUPP, "Operation not permitted on writecache LV %s/%s.", vg->name, lv->name);
}

/* lvremove of the LV: it goes with its cachevol, unflushed; of the
 * cachevol: lvm2's "Detach cachevol before removing." */
static int wc_remove(struct lv_change *ch, struct vg_lv *lv, struct err *e)
{
	struct vg *vg = ch->h->vg;
	const struct writecache_seg *m = wc_model(lv);
	struct vg_lv *fast, *wcorig, **set = NULL;
	char name[LVM_NAME_LEN], q[3 * LVM_NAME_LEN];
	unsigned n = 0;
	int r;

	if (!m) {
		struct vg_lv *u = lv_first_user(vg, lv, NULL);

		if (u && wc_model(u) && !strcmp(wc_model(u)->cvol, lv->name))
			return err_set(e, -EBUSY, "Detach cachevol before removing.");
		return err_set(e, -EBUSY, "Cannot remove internal LV %s/%s of a writecache LV.", vg->name, lv->name);
	}
	snprintf(name, sizeof(name), "%s", lv->name);
	if (dmctl_up(ch->d) && lv_dm_active(ch->d, vg, lv)) {
		snprintf(q, sizeof(q), "Do you really want to remove active logical volume %s/%s?", vg->name, name);
		if (ch->confirm && !ch->confirm(ch->ctx, q))
			return err_set(e, -ECANCELED, "Logical volume %s/%s not removed.", vg->name, name);
		if ((r = lvm_lv_deactivate(ch->d, vg, lv, e)))
			return r;
	}
	fast = vg_find_lv(vg, m->cvol);
	wcorig = vg_find_lv(vg, m->origin);
	if (fast)
		vg_remove_lv(vg, fast);
	vg_remove_lv(vg, lv);
	if (wcorig) {
		if ((r = lv_removal_set(vg, wcorig, &set, &n, e)))
			return r;
		for (unsigned i = 0; i < n; i++)
			vg_remove_lv(vg, set[i]);
		free(set);
	}
	if ((r = lvm_vg_commit(ch->env, ch->h, e)))
		return r;
	fprintf(ch->out, "  Logical volume \"%s\" successfully removed.\n", name);
	return 0;
}

/* lvextend of a writecache LV: its origin grows (lvm2 reduces none). */
static int wc_resize(struct lv_change *ch, struct vg_lv *lv, const struct lv_resize_req *req, struct err *e)
{
	struct vg *vg = ch->h->vg;
	const struct writecache_seg *m = wc_model(lv);
	struct vg_lv *origin = m ? vg_find_lv(vg, m->origin) : NULL;
	struct writecache_seg n;
	uint32_t old = lv->le_count;
	int r;

	if (!m || !origin)
		return err_set(e, -EINVAL, "Can't resize internal logical volume %s/%s.", vg->name, lv->name);
	if (req->sign == '-' || (!req->sign && req->extents < old))
		return err_set(e, -EOPNOTSUPP, "Reduce not yet allowed on LVs with writecache attached.");
	if ((r = cache_extend_origin(ch, lv, origin, req, e)))
		return r;
	n = *m;
	if ((r = wc_set(vg, lv, &n, e)) || (r = lvm_vg_commit(ch->env, ch->h, e)))
		return r;
	return lv_change_resized(ch, lv, lv, old, true, e);
}

static const struct seg_ref_key wc_refs[] = {
	{ "origin", true, 0, false, NULL },
	{ "writecache", true, 0, false, NULL },
	{ NULL, false, 0, false, NULL },
};

const struct segtype segtype_writecache = {
	.name = "writecache",
	.flags = SEGTYPE_KEPT,
	.refs = wc_refs,
	.attr_volume = 'C',
	.attr_target = 'C',
	.parse = wc_parse,
	.free = wc_free,
	.validate = wc_validate,
	.plan = wc_plan,
	.owner_of = wc_owner_of,
	.report = wc_report,
	.remove = wc_remove,
	.resize = wc_resize,
	.convert = wc_convert,
};
