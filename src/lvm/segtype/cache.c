/* "cache": an LV cached by a cache pool or a cachevol (lib/cache_segtype/
 * cache.c, lib/metadata/cache_manip.c, tools/lvconvert.c; lvm/segtype/
 * cache_lv.h for the family and its devices).
 *
 * lvconvert --type cache --cachepool POOL LV moves LV's segments into the
 * hidden LV_corig (lvm2's insert_layer_for_lv: a new id, LV keeps its
 * own), gives LV one "cache" segment naming POOL_cpool (the pool hidden
 * and renamed) and writes the pool's settings; --cachevol FAST does the
 * same with FAST_cvol, the settings and the metadata/data ranges on the
 * cache segment.  The cache metadata's first 4 KiB are zeroed before the
 * commit (lvm2's wipe_cache_pool): dm-cache formats metadata it finds
 * blank.  An active LV is restacked at once: the new devices come up
 * below it, then its table becomes the cache (a raid origin, whose
 * sub-LVs are renamed LV_corig_* and whose images two raid devices must
 * not share, goes down and up again instead: refused while open).
 *
 * Detaching (cache_detach.c: --splitcache, --uncache, lvremove of the pool) first makes
 * the cache clean as lv_cache_wait_for_clean does: the segment gets
 * cleaner = 1, which the table turns into the "cleaner" policy in
 * writethrough mode, committed before the reload so that a crash keeps
 * flushing at the next activation; the status is read until no block is
 * dirty.  A writeback cache that is not active is activated for that and
 * taken down again; a writethrough or passthrough one holds nothing dirty.
 * Then LV gets its segments back from LV_corig (one commit) and its table
 * is reloaded as a plain LV before the devices of the cache go.  Writes
 * during the flush are written through, so the origin holds every byte
 * once the dirty count is 0 and stays so until the reload swaps tables.
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
#include "lvm/settings.h"

const struct cache_seg *cache_model(const struct vg_lv *lv)
{
	return lv_seg_model(lv, &segtype_cache);
}

static void cache_free(struct lv_seg *s)
{
	struct cache_seg *m = s->priv;

	if (m)
		cache_settings_free(&m->cs);
	free(m);
	s->priv = NULL;
}

static int cache_parse(const struct vg *vg, struct lv_seg *s, struct err *e)
{
	struct cache_seg *m = calloc(1, sizeof(*m));
	const struct cfg_node *sn = s->raw;
	int64_t cl = 0;
	int r;

	(void)vg;
	if (!m)
		return err_set(e, -ENOMEM, "out of memory");
	cache_free(s);
	if (!cfg_find(sn, "cache_pool") || cfg_get_str(sn, "cache_pool", &m->pool, e))
		r = err_set(e, -EINVAL, "cache_pool not specified in cache segment.");
	else if (!cfg_find(sn, "origin") || cfg_get_str(sn, "origin", &m->origin, e))
		r = err_set(e, -EINVAL, "Cache origin not specified in cache segment.");
	else if (cfg_find(sn, "cleaner") && cfg_get_int(sn, "cleaner", &cl, e))
		r = err_set(e, -EINVAL, "Could not read cache cleaner in cache segment.");
	else
		r = cache_settings_parse(sn, m->origin, &m->cs, e);
	if (!r && m->cs.format && m->cs.format != 2)
		r = err_set(e, -EINVAL, "Unknown cache metadata format %u number in cache segment.", m->cs.format);
	m->cleaner = cl != 0;
	if (!r && (m->cachevol = cfg_find(sn, "metadata_start") != NULL)) {
		struct err ignore = { { 0 } };

		if (cfg_get_u64(sn, "metadata_start", &m->metadata_start, e) ||
		    cfg_get_u64(sn, "metadata_len", &m->metadata_len, e) ||
		    cfg_get_u64(sn, "data_start", &m->data_start, e) || cfg_get_u64(sn, "data_len", &m->data_len, e))
			r = err_set(e, -EINVAL, "Couldn't read the cachevol ranges of cache segment: %s", e->msg);
		if (cfg_get_str(sn, "metadata_id", &m->metadata_id, &ignore))
			m->metadata_id = NULL;
		if (cfg_get_str(sn, "data_id", &m->data_id, &ignore))
			m->data_id = NULL;
	}
	if (r) {
		cache_settings_free(&m->cs);
		free(m);
		return r;
	}
	s->priv = m;
	return 0;
}

/* Settings as the target gets them: what the text lacks is lvm2's
 * _fix_missing_defaults (policy mq, format 1, writethrough). */
struct cache_settings cache_effective(const struct cache_settings *cs)
{
	struct cache_settings x = *cs;

	if (!x.policy)
		x.policy = "mq";
	if (!x.format)
		x.format = 1;
	if (!x.mode)
		x.mode = CACHE_MODE_WRITETHROUGH;
	return x;
}

/* The segment whose settings the cache runs with (NULL: none found). */
const struct cache_settings *cache_settings_of(const struct vg *vg, const struct cache_seg *m)
{
	const struct vg_lv *pool = vg_find_lv(vg, m->pool);
	const struct cache_pool_seg *pm = pool ? cache_pool_model(pool) : NULL;

	return m->cachevol ? &m->cs : pm ? &pm->cs : NULL;
}

static int cache_validate(const struct vg *vg, const struct vg_lv *lv, const struct lv_seg *s, struct err *e)
{
	const struct cache_seg *m = s->priv;
	const struct vg_lv *pool;
	struct err e2 = { { 0 } };

	if (!m)
		return 0;
	if (lv->nseg != 1)
		return err_set(e, -EINVAL, "LV %s: a cache LV has one segment", lv->name);
	if (!(pool = vg_find_lv(vg, m->pool)) || (!m->cachevol && !cache_pool_model(pool)))
		return err_set(e, -EINVAL, "LV %s: segment is not referencing cache pool LV", lv->name);
	if (!m->cachevol)
		return m->cs.mode || m->cs.policy || m->cs.set
			       ? err_set(e, -EINVAL, "LV %s: segment sets cache settings of its cache pool", lv->name)
			       : 0;
	if (m->cs.format != 2 || !m->cs.mode || !m->cs.policy || cache_chunk_check(m->cs.chunk_size, &e2))
		return err_set(e, -EINVAL, "LV %s: its cachevol settings are incomplete or invalid", lv->name);
	if (!m->metadata_len || !m->data_len || m->metadata_start == m->data_start ||
	    m->metadata_start + m->metadata_len > (uint64_t)pool->le_count * vg->extent_size ||
	    m->data_start + m->data_len > (uint64_t)pool->le_count * vg->extent_size)
		return err_set(e, -EINVAL, "LV %s has invalid ranges metadata %" PRIu64 " %" PRIu64 " data %" PRIu64
			       " %" PRIu64 ".", lv->name, m->metadata_start, m->metadata_len, m->data_start, m->data_len);
	return 0;
}

static const char *cache_report_name(const struct lv_seg *s)
{
	(void)s;
	return "cache";
}

/* ---- activation ---- */

/* Policy settings the kernel policy takes (_cache_add_target_line's
 * _accepted): others are left out with lvm2's warning. */
static bool accepted(const char *policy, const char *key)
{
	static const char *const mq[] = { "migration_threshold", "sequential_threshold", "random_threshold",
					  "read_promote_adjustment", "write_promote_adjustment",
					  "discard_promote_adjustment", NULL };
	const char *const *list = !strcasecmp(policy, "mq") ? mq : NULL;

	if (!strcasecmp(policy, "smq"))
		return !strcmp(key, "migration_threshold");
	for (unsigned i = 0; list && list[i]; i++)
		if (!strcmp(key, list[i]))
			return true;
	return !list;
}

/* _cache_add_target_line + libdm's _cache_emit_segment_line. */
static int cache_table(FILE *f, const struct cache_seg *m, const struct cache_settings *raw, uint64_t len,
		       const char *meta, const char *data, const char *origin, struct err *e)
{
	struct cache_settings cs = cache_effective(raw);
	const char *policy = m->cleaner ? "cleaner" : cs.policy;
	uint64_t mt = 2048;
	unsigned n = 0;

	if (cache_chunk_check(cs.chunk_size, e))
		return -EINVAL;
	for (unsigned i = 0; !m->cleaner && i < cs.nset; i++) {
		const struct cache_kv *s = &cs.set[i];

		if (s->v.type != CFG_INT)
			return err_set(e, -EINVAL, "Cache policy parameter %s is without integer value.", s->key);
		if (!accepted(cs.policy, s->key))
			fprintf(stderr, "  WARNING: %s cache policy does not support \"%s=%" PRId64 "\" setting, remove "
				"with 'lvchange --cachesettings \"%s=default\" ...'.\n",
				strcasecmp(cs.policy, "mq") ? "SMQ" : "MQ", s->key, s->v.i, s->key);
		else if (!strcmp(s->key, "migration_threshold"))
			mt = (uint64_t)s->v.i;
		else
			n++;
	}
	if (mt < (uint64_t)cs.chunk_size * 8) /* "always some throughput" */
		mt = (uint64_t)cs.chunk_size * 8;
	fprintf(f, "0 %" PRIu64 " cache /dev/mapper/%s /dev/mapper/%s /dev/mapper/%s %u %u%s %s %s %u", len, meta,
		data, origin, cs.chunk_size, 1 + (cs.format == 2), cs.format == 2 ? " metadata2" : "",
		m->cleaner ? "writethrough" : cache_mode_name(cs.mode), policy, (n + (mt != 2048)) * 2);
	if (mt != 2048)
		fprintf(f, " migration_threshold %" PRIu64, mt);
	for (unsigned i = 0; !m->cleaner && i < cs.nset; i++)
		if (accepted(cs.policy, cs.set[i].key) && strcmp(cs.set[i].key, "migration_threshold"))
			fprintf(f, " %s %" PRId64, cs.set[i].key, cs.set[i].v.i);
	return 0;
}

/* A cvol's range as a layer of its device ("vg-fast_cvol-cmeta"). */
static int cvol_layer(struct lv_plan *p, const struct vg_lv *cvol, const char *layer, uint64_t start, uint64_t len,
		      struct err *e)
{
	char dev[LV_DM_NAME_MAX], *t;

	lv_dm_name(p->vg, cvol, dev);
	if (asprintf(&t, "0 %" PRIu64 " linear /dev/mapper/%s %" PRIu64, len, dev, start) < 0)
		return err_set(e, -ENOMEM, "out of memory");
	return lv_plan_add(p, cvol, layer, t, e) ? 0 : -ENOMEM;
}

static int cache_plan(struct lv_plan *p, const struct vg *vg, const struct vg_lv *lv, struct err *e)
{
	const struct cache_seg *m = cache_model(lv);
	const struct vg_lv *origin = vg_find_lv(vg, m->origin), *pool = vg_find_lv(vg, m->pool);
	const struct cache_pool_seg *pm = pool ? cache_pool_model(pool) : NULL;
	const struct vg_lv *cd = pm ? vg_find_lv(vg, pm->data) : NULL, *cm = pm ? vg_find_lv(vg, pm->metadata) : NULL;
	char meta[LV_DM_NAME_MAX + LV_DM_LAYER_MAX], data[LV_DM_NAME_MAX + LV_DM_LAYER_MAX], orig[LV_DM_NAME_MAX];
	unsigned first;
	size_t n = 0;
	char *t = NULL;
	FILE *f;
	int r;

	if (!origin || !pool || (!m->cachevol && (!cd || !cm)))
		return err_set(e, -ENOENT, "cache LV %s/%s: its origin or cache pool is missing", vg->name, lv->name);
	if ((r = lv_plan_sub(p, origin, true, e)))
		return r;
	first = p->n;
	if (m->cachevol) {
		if ((r = lv_plan_sub(p, pool, true, e)) ||
		    (r = cvol_layer(p, pool, "cdata", m->data_start, m->data_len, e)) ||
		    (r = cvol_layer(p, pool, "cmeta", m->metadata_start, m->metadata_len, e)))
			return r;
		lv_dm_layer_name(vg, pool, "cmeta", meta, sizeof(meta));
		lv_dm_layer_name(vg, pool, "cdata", data, sizeof(data));
	} else {
		if ((r = lv_plan_sub(p, cd, true, e)) || (r = lv_plan_sub(p, cm, true, e)))
			return r;
		lv_dm_name(vg, cm, meta);
		lv_dm_name(vg, cd, data);
	}
	for (unsigned i = first; i < p->n; i++) /* the cache writes its metadata, whatever the LV's mode */
		p->dev[i].readonly = false;
	lv_dm_name(vg, origin, orig);
	if (!(f = open_memstream(&t, &n)))
		return err_set(e, -ENOMEM, "out of memory");
	r = cache_table(f, m, cache_settings_of(vg, m), (uint64_t)lv->le_count * vg->extent_size, meta, data, orig, e);
	if (fclose(f) && !r)
		r = err_set(e, -ENOMEM, "out of memory");
	if (r) {
		free(t);
		return err_set(e, r, "cache LV %s/%s: %s", vg->name, lv->name, e->msg);
	}
	return lv_plan_add(p, lv, NULL, t, e) ? 0 : -ENOMEM;
}

static struct vg_lv *cache_owner_of(const struct vg *vg, const struct vg_lv *owner, const struct vg_lv *lv)
{
	const struct cache_seg *m = cache_model(owner);

	if (m && (vg_find_lv(vg, m->origin) == lv || vg_find_lv(vg, m->pool) == lv))
		return (struct vg_lv *)owner;
	return NULL;
}

/* ---- status and lvs ---- */

/* "k v k v" args of a status line into "k=v,..." */
static char *status_args(char *tok, char **save, char *out, size_t size, size_t *used)
{
	unsigned n = tok ? (unsigned)strtoul(tok, NULL, 10) : 0;

	for (unsigned i = 0; i + 1 < n + 1 && (tok = strtok_r(NULL, " ", save)); i += 2) {
		char *v = strtok_r(NULL, " ", save);

		if (!v)
			break;
		*used += (size_t)snprintf(out + *used, *used < size ? size - *used : 0, "%s%s=%s", *used ? "," : "",
					  tok, v);
	}
	return strtok_r(NULL, " ", save);
}

int cache_status_read(struct dmctl *d, const struct vg *vg, const struct vg_lv *lv, struct cache_status *s)
{
	char name[LV_DM_NAME_MAX], *line = NULL, *save = NULL, *tok;
	struct err e = { { 0 } };
	size_t used = 0;
	unsigned nf;
	int r = -EPROTO;

	memset(s, 0, sizeof(*s));
	lv_dm_name(vg, lv, name);
	if (!d || !dmctl_up(d) || dmctl_status_of(d, name, "cache", &line, &e))
		return -ENODEV;
	/* START LEN cache MD_BLOCK USED/TOTAL BLOCK USED/TOTAL RH RM WH WM DEMOTE PROMOTE DIRTY #F F... #C C...
	 * POLICY #P P... rw|ro|Fail needs_check|- ("Fail" alone once failed) */
	if (strstr(line, " cache Fail")) {
		s->fail = true;
		r = 0;
	} else if (sscanf(line, "%*u %*u cache %*u %" SCNu64 "/%" SCNu64 " %" SCNu64 " %" SCNu64 "/%" SCNu64 " %" SCNu64
			  " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64,
			  &s->meta_used, &s->meta_total, &s->block, &s->used, &s->total, &s->read_hits, &s->read_misses,
			  &s->write_hits, &s->write_misses, &s->demotions, &s->promotions, &s->dirty) == 12) {
		tok = strtok_r(line, " ", &save);
		for (unsigned i = 0; tok && i < 15; i++)
			tok = strtok_r(NULL, " ", &save);
		nf = tok ? (unsigned)strtoul(tok, NULL, 10) : 0;
		for (unsigned i = 0; i < nf && (tok = strtok_r(NULL, " ", &save)); i++) {
			s->metadata2 |= !strcmp(tok, "metadata2");
			s->writeback |= !strcmp(tok, "writeback");
			s->writethrough |= !strcmp(tok, "writethrough");
			s->passthrough |= !strcmp(tok, "passthrough");
		}
		tok = status_args(strtok_r(NULL, " ", &save), &save, s->settings, sizeof(s->settings), &used);
		if (tok) {
			snprintf(s->policy, sizeof(s->policy), "%s", tok);
			tok = status_args(strtok_r(NULL, " ", &save), &save, s->settings, sizeof(s->settings), &used);
		}
		s->read_only = tok && !strcmp(tok, "ro");
		s->fail = tok && !strcmp(tok, "Fail");
		s->needs_check = (tok = strtok_r(NULL, " ", &save)) && !strcmp(tok, "needs_check");
		r = 0;
	}
	free(line);
	return r;
}

void cache_status_report(const struct seg_report_ctx *x, const struct vg_lv *cache_lv, bool attr)
{
	struct cache_status s;

	if (cache_status_read(x->d, x->vg, cache_lv, &s))
		return;
	if (attr) {
		if (s.needs_check)
			x->attr[4] = 'c';
		x->attr[8] = s.fail ? 'F' : s.read_only ? 'M' : '-';
	}
	if (s.fail)
		return;
	report_set_percent(x->row, RF_DATA_PERCENT, report_make_percent(s.used, s.total));
	report_set_percent(x->row, RF_METADATA_PERCENT, report_make_percent(s.meta_used, s.meta_total));
	report_set_percent(x->row, RF_COPY_PERCENT, s.used ? report_make_percent(s.dirty, s.used) : 0);
	report_set_u64(x->row, RF_CACHE_TOTAL_BLOCKS, s.total);
	report_set_u64(x->row, RF_CACHE_USED_BLOCKS, s.used);
	report_set_u64(x->row, RF_CACHE_DIRTY_BLOCKS, s.dirty);
	report_set_u64(x->row, RF_CACHE_READ_HITS, s.read_hits);
	report_set_u64(x->row, RF_CACHE_READ_MISSES, s.read_misses);
	report_set_u64(x->row, RF_CACHE_WRITE_HITS, s.write_hits);
	report_set_u64(x->row, RF_CACHE_WRITE_MISSES, s.write_misses);
	report_set_str(x->row, RF_KERNEL_CACHE_SETTINGS, s.settings);
	report_set_str(x->row, RF_KERNEL_CACHE_POLICY, s.policy);
	report_set_u64(x->row, RF_KERNEL_METADATA_FORMAT, s.metadata2 ? 2 : 1);
}

static void cache_report(const struct seg_report_ctx *x, const struct vg_lv *owner)
{
	const struct cache_seg *m = cache_model(owner ? owner : x->lv);
	const struct cache_settings *cs;

	cache_family_report(x, owner, m->origin, m->pool, "cache");
	if (owner)
		return;
	if ((cs = cache_settings_of(x->vg, m))) {
		struct cache_settings e = cache_effective(cs);

		e.nset = cs->nset;
		cache_settings_report(x, &e);
	}
	if (m->cachevol)
		report_set_sectors(x->row, RF_LV_METADATA_SIZE, m->metadata_len);
	cache_status_report(x, x->lv, true);
}

/* lvdisplay of an active cache: its pool and origin, and how it runs
 * (lvm2 prints these only from the device's status). */
static void cache_display(struct seg_display_ctx *x)
{
	const struct cache_seg *m = cache_model(x->lv);
	struct cache_status s;

	if (!m || !x->d || (x->at != SEG_DISPLAY_NAMES && x->at != SEG_DISPLAY_USAGE) ||
	    cache_status_read(x->d, x->vg, x->lv, &s))
		return;
	if (x->at == SEG_DISPLAY_NAMES) {
		fprintf(x->out, "  LV Cache pool name     %s\n", m->pool);
		fprintf(x->out, "  LV Cache origin name   %s\n", m->origin);
		return;
	}
	fprintf(x->out, "  Cache used blocks      %.2f%%\n", s.total ? 100.0 * s.used / s.total : 0.0);
	fprintf(x->out, "  Cache metadata blocks  %.2f%%\n", s.meta_total ? 100.0 * s.meta_used / s.meta_total : 0.0);
	fprintf(x->out, "  Cache dirty blocks     %.2f%%\n", s.used ? 100.0 * s.dirty / s.used : 0.0);
	fprintf(x->out, "  Cache read hits/misses %" PRIu64 " / %" PRIu64 "\n", s.read_hits, s.read_misses);
	fprintf(x->out, "  Cache wrt hits/misses  %" PRIu64 " / %" PRIu64 "\n", s.write_hits, s.write_misses);
	fprintf(x->out, "  Cache demotions        %" PRIu64 "\n", s.demotions);
	fprintf(x->out, "  Cache promotions       %" PRIu64 "\n", s.promotions);
}

/* The hidden origin of cache LV @user. */
static void cache_display_named(struct seg_display_ctx *x, const struct vg_lv *user)
{
	const struct cache_seg *m = cache_model(user);

	if (m && x->at == SEG_DISPLAY_NAMES && !strcmp(m->origin, x->lv->name))
		fprintf(x->out, "  LV origin of Cache LV  %s\n", user->name);
}

static void cache_display_seg(const struct seg_display_ctx *x, const struct lv_seg *s)
{
	const struct cache_seg *m = s->priv;
	const struct cache_settings *cs = m ? cache_settings_of(x->vg, m) : NULL;

	if (cs)
		cache_settings_display(x, cs);
}

/* ---- attach ---- */

/* Write @lv's cache segment from @m. */
int cache_seg_set(struct vg *vg, struct vg_lv *lv, const struct cache_seg *m, struct err *e)
{
	struct cfg_node *sn = seg_new_raw(vg, lv->le_count, m->cachevol ? "cache+CACHE_USES_CACHEVOL" : "cache");

	cfg_add_str(sn, "cache_pool", m->pool);
	cfg_add_str(sn, "origin", m->origin);
	if (m->cleaner)
		cfg_add_int(sn, "cleaner", 1);
	if (m->cachevol) {
		cfg_add_int(sn, "metadata_format", m->cs.format);
		cache_settings_export(sn, &m->cs);
		cfg_add_int(sn, "metadata_start", (int64_t)m->metadata_start);
		cfg_add_int(sn, "metadata_len", (int64_t)m->metadata_len);
		cfg_add_int(sn, "data_start", (int64_t)m->data_start);
		cfg_add_int(sn, "data_len", (int64_t)m->data_len);
		if (m->metadata_id)
			cfg_add_str(sn, "metadata_id", m->metadata_id);
		if (m->data_id)
			cfg_add_str(sn, "data_id", m->data_id);
	}
	return lv_set_raw_seg(vg, lv, lv->le_count, &segtype_cache, sn, e);
}

bool cache_confirm(struct lv_change *ch, const char *fmt, const char *a, const char *b)
{
	char q[3 * LVM_NAME_LEN + 128];

	snprintf(q, sizeof(q), fmt, a, b);
	return !ch->confirm || ch->confirm(ch->ctx, q);
}

/* The defaults lvm2 takes from lvm.conf's allocation section. */
static int conf_mode(struct lv_change *ch, enum cache_mode *m, struct err *e)
{
	return cache_mode_parse(lvm_setting_str(ch->env, "allocation/cache_mode"), m, e);
}

/* cache_set_params on the pool of a new cache (chunk, mode, policy,
 * format, settings) and validate_lv_cache_chunk_size. */
static int pool_params(struct lv_change *ch, const struct vg_lv *pool, const struct lv_convert_req *req,
		       struct cache_pool_seg *pm, struct err *e)
{
	const struct vg_lv *cmeta = vg_find_lv(ch->h->vg, pm->metadata);
	uint64_t size = (uint64_t)pool->le_count * ch->h->vg->extent_size, min;
	int64_t conf = lvm_setting_int(ch->env, "allocation/cache_pool_chunk_size") * 2;
	uint32_t chunk = req->chunk_size ? req->chunk_size : conf > 0 ? (uint32_t)conf : 0;
	char b1[UNITS_BUF], b2[UNITS_BUF], b3[UNITS_BUF];
	int r;

	if ((r = cache_opts_apply(ch->h->vg, &req->cache, &pm->cs, e)))
		return r;
	if (!pm->cs.mode && (r = conf_mode(ch, &pm->cs.mode, e)))
		return r;
	if (!pm->cs.policy)
		pm->cs.policy = lvm_setting_str(ch->env, "allocation/cache_policy");
	if (!pm->cs.format) {
		int64_t f = lvm_setting_int(ch->env, "allocation/cache_metadata_format");

		pm->cs.format = f == 1 || f == 2 ? (unsigned)f : 2;
	}
	if (!chunk)
		return 0;
	min = cache_min_metadata(size, chunk);
	if (cmeta && min > (uint64_t)cmeta->le_count * ch->h->vg->extent_size)
		return err_set(e, -EINVAL, "Cannot use chunk size %s with cache pool %s/%s metadata size %s.\n  Minimal "
			       "size for cache pool %s/%s metadata with chunk size %s would be %s.",
			       lv_change_size(b1, chunk), ch->h->vg->name, pool->name,
			       lv_change_size(b2, (uint64_t)cmeta->le_count * ch->h->vg->extent_size), ch->h->vg->name,
			       pool->name, lv_change_size(b1, chunk), lv_change_size(b3, min));
	if (size / chunk > CACHE_MAX_CHUNKS)
		return err_set(e, -EINVAL, "Cannot use too small chunk size %s with cache pool %s/%s data volume size %s.",
			       lv_change_size(b1, chunk), ch->h->vg->name, pool->name, lv_change_size(b2, size));
	pm->cs.chunk_size = chunk;
	return 0;
}

/* cache_vol_set_params: the settings and ranges of a cachevol cache. */
static int cvol_params(struct lv_change *ch, const struct vg_lv *fast, const struct lv_convert_req *req,
		       struct cache_seg *m, struct err *e)
{
	struct vg *vg = ch->h->vg;
	uint64_t E = vg->extent_size, size = (uint64_t)fast->le_count * E, meta = req->meta_extents * E;
	int64_t conf = lvm_setting_int(ch->env, "allocation/cache_pool_chunk_size") * 2;
	char b1[UNITS_BUF];
	int r;

	if (req->cache.metadata_format == 1)
		return err_set(e, -EINVAL, "Use cache metadata format 2.");
	if ((r = cache_opts_apply(vg, &req->cache, &m->cs, e)))
		return r;
	m->cs.format = 2;
	if (!m->cs.mode && (r = conf_mode(ch, &m->cs.mode, e)))
		return r;
	if (!m->cs.policy)
		m->cs.policy = lvm_setting_str(ch->env, "allocation/cache_policy");
	m->cs.chunk_size = req->chunk_size ? req->chunk_size : conf > 0 ? (uint32_t)conf : CACHE_CHUNK_DEFAULT;
	if ((r = cache_chunk_check(m->cs.chunk_size, e)))
		return r;
	if (size < 2 * E)
		return err_set(e, -EINVAL, "The minimum cache size is two extents (%s bytes).", lv_change_size(b1, 2 * E));
	if (meta) {
		if (meta > CACHE_META_MAX) {
			meta = CACHE_META_MAX;
			fprintf(ch->out, "  Rounding down metadata size to max size %s\n", lv_change_size(b1, meta));
		}
	} else {
		meta = cache_min_metadata(size, m->cs.chunk_size);
		if (meta > size / 2)
			meta = size / 2;
		if (meta < E)
			meta = E;
	}
	meta = (meta + E - 1) / E * E;
	if (meta >= size)
		return err_set(e, -EINVAL, "Metadata size %s leaves no room for data in cachevol %s/%s.",
			       lv_change_size(b1, meta), vg->name, fast->name);
	if ((size - meta) / m->cs.chunk_size > CACHE_MAX_CHUNKS)
		return err_set(e, -EINVAL, "Cache data blocks %" PRIu64 " and chunk size %u exceed max chunks %llu.\n  Use "
			       "smaller cache, larger --chunksize or increase max chunks setting.", size - meta,
			       m->cs.chunk_size, CACHE_MAX_CHUNKS);
	m->metadata_start = 0;
	m->metadata_len = meta;
	m->data_start = meta;
	m->data_len = size - meta;
	return 0;
}

/* The LV named by --cachepool/--cachevol may be attached. */
static int fast_check(struct lv_change *ch, struct vg_lv *lv, struct vg_lv *fast, bool cvol, struct err *e)
{
	const struct vg *vg = ch->h->vg;

	if (fast == lv)
		return err_set(e, -EINVAL, "Use a different LV for cache pool LV and cache LV %s/%s.", vg->name, lv->name);
	if (cvol) {
		if (fast->status & FLAG(LVF_CACHE_VOL))
			return err_set(e, -EBUSY, "LV %s/%s is already used as a cachevol.", vg->name, fast->name);
		if (lv_first_user(vg, fast, NULL) || !(fast->status & FLAG(LVF_VISIBLE)))
			return err_set(e, -EBUSY, "LV %s/%s is already in use.", vg->name, fast->name);
		for (unsigned i = 0; i < fast->nseg; i++)
			if (fast->seg[i].st != &segtype_striped || !seg_on_pvs(&fast->seg[i]))
				return err_set(e, -EINVAL, "LV %s/%s must be linear or striped to use as a cachevol.",
					       vg->name, fast->name);
		if (dmctl_up(ch->d) && lv_dm_active(ch->d, vg, fast))
			return err_set(e, -EBUSY, "LV %s/%s must be inactive to attach.", vg->name, fast->name);
		return 0;
	}
	if (!cache_pool_model(fast))
		return 0; /* a plain LV: cache_attach makes it a cache pool first */
	if (cache_pool_user(vg, fast))
		return err_set(e, -EBUSY, "Cache pool %s is already in use.", fast->name);
	return 0;
}

/* lvconvert --type cache --cachepool POOL | --cachevol FAST LV: every
 * check and setting first, then the wipe, then the VG. */
int cache_attach(struct lv_change *ch, struct vg_lv *lv, const struct lv_convert_req *req, struct err *e)
{
	struct vg *vg = ch->h->vg;
	bool cvol = req->cache_vol || req->cache_device, wipe = true;
	struct cache_seg m = { 0 };
	struct cache_pool_seg pm = { 0 };
	struct vg_lv *fast, *corig, *wiped;
	char name[2 * LVM_NAME_LEN], lvname[LVM_NAME_LEN];
	enum cache_mode mode;
	enum lv_restack how = LV_RESTACK_NONE;
	bool committed = false, converted = false;
	int r;

	if (!!req->cache_pool + !!req->cache_vol + req->cache_device != 1)
		return err_set(e, -EINVAL, "lvconvert --type cache needs --cachepool, --cachevol or --cachedevice (one "
					   "of them).");
	if (req->chunk_size && (r = cache_chunk_check(req->chunk_size, e)))
		return r;
	if (req->cache_device) { /* a new cachevol, nothing on it to erase */
		if ((r = cache_vol_new(ch, &lv, req, &fast, e)))
			return r;
		vg = ch->h->vg;
	} else if (!(fast = cache_find_arg(vg, cvol ? req->cache_vol : req->cache_pool,
					   cvol ? "--cachevol" : "--cachepool", e))) {
		return -ENOENT;
	}
	if ((r = fast_check(ch, lv, fast, cvol, e)) || (r = cache_origin_check(vg, lv, e)))
		return r;
	if (!cvol && !cache_pool_model(fast)) { /* lvm2 converts a plain --cachepool LV first */
		struct lv_convert_req preq = { .type_name = "cache-pool", .chunk_size = req->chunk_size,
					       .zero = -1, .mirrors = -1 };

		snprintf(lvname, sizeof(lvname), "%s", lv->name);
		snprintf(name, sizeof(name), "%s", fast->name);
		if ((r = cache_pool_from_lv(ch, fast, &preq, e)))
			return r;
		vg = ch->h->vg;
		if (!(lv = vg_find_lv(vg, lvname)) || !(fast = vg_find_lv(vg, name)))
			return err_set(e, -ENOENT, "LV %s/%s went away.", vg->name, lv ? name : lvname);
		converted = true; /* its metadata was just wiped: no question about it */
	}
	if ((size_t)snprintf(name, sizeof(name), "%s%s", fast->name, cvol ? "_cvol" : "_cpool") >=
	    LVM_NAME_LEN - strlen("_cdata"))
		return err_set(e, -ENAMETOOLONG, "Can't prepare new %s name for %s/%s.", cvol ? "cachevol" : "cachepool",
			       vg->name, fast->name);
	snprintf(lvname, sizeof(lvname), "%s", lv->name);
	if (cvol) {
		if (!req->cache_device && !cache_confirm(ch, "Erase all existing data on %s/%s?", vg->name, fast->name))
			return err_set(e, -ECANCELED, "Conversion aborted.");
		if ((r = cvol_params(ch, fast, req, &m, e)))
			goto out;
		mode = m.cs.mode;
		if (mode == CACHE_MODE_WRITEBACK) {
			fprintf(stderr, "  WARNING: repairing a damaged cachevol is not yet possible.\n"
					"  WARNING: cache mode writethrough is suggested for safe operation.\n");
			if (!cache_confirm(ch, "Continue using writeback without repair?", "", "")) {
				r = err_set(e, -ECANCELED, "Conversion aborted.");
				goto out;
			}
		}
		wiped = fast;
	} else {
		const struct cache_pool_seg *now = cache_pool_model(fast);

		pm = *now;
		if (!(pm.cs.set = malloc((now->cs.nset + 1) * sizeof(*pm.cs.set))))
			return err_set(e, -ENOMEM, "out of memory");
		if (now->cs.nset)
			memcpy(pm.cs.set, now->cs.set, now->cs.nset * sizeof(*pm.cs.set));
		if ((r = pool_params(ch, fast, req, &pm, e)))
			goto out;
		mode = pm.cs.mode;
		if (req->zero < 0 && !converted &&
		    !cache_confirm(ch, "Do you want wipe existing metadata of cache pool %s/%s?", vg->name, fast->name)) {
			r = err_set(e, -ECANCELED, "Conversion aborted.\n  To preserve cache metadata add option \"--zero n\".");
			goto out;
		}
		if (!(wipe = req->zero != 0))
			fprintf(stderr, "  WARNING: Reusing cache pool metadata %s/%s for volume caching.\n", vg->name,
				fast->name);
		wiped = vg_find_lv(vg, now->metadata);
	}
	if ((r = lv_change_restack_begin(ch, lv, lv, &how, e)))
		goto out;
	/* the cache metadata starts blank: the target formats it */
	if (wipe && (r = lv_wipe_new(vg, wiped, false, LV_ZERO_START, e)))
		goto out;
	if ((r = lv_rename_with_subs(vg, fast, name, e)))
		goto out;
	fast->status &= ~FLAG(LVF_VISIBLE);
	if (cvol) {
		fast->status |= FLAG(LVF_CACHE_VOL);
	} else { /* the settings on the renamed pool */
		pm.data = cache_pool_model(fast)->data;
		pm.metadata = cache_pool_model(fast)->metadata;
		if ((r = cache_pool_set(vg, fast, &pm, e)))
			goto out;
	}
	if ((r = cache_insert_layer(vg, lv, "_corig", &corig, e)))
		goto out;
	m.pool = fast->name;
	m.origin = corig->name;
	m.cachevol = cvol;
	if ((r = cache_seg_set(vg, lv, &m, e)))
		goto out;
	if (mode == CACHE_MODE_WRITEBACK && lv_segtype(corig) == segtype_find("raid1")) /* cache_check_for_warns */
		fprintf(stderr, "  WARNING: Data redundancy could be lost with writeback caching of raid logical volume!\n");
	if ((r = lvm_vg_commit(ch->env, ch->h, e)))
		goto out;
	committed = true;
	lv = vg_find_lv(vg, lvname);
	if ((how == LV_RESTACK_ONLINE && (r = lv_dm_restack(ch->d, ch->env, vg, lv, e))) ||
	    (how == LV_RESTACK_OFFLINE && (r = lvm_lv_activate(ch->env, ch->d, vg, lv, e)))) {
		r = err_set(e, r, "%s (the VG is changed; lvchange --refresh or -ay %s/%s loads it)", e->msg, vg->name,
			    lvname);
		goto out;
	}
	if (!req->quiet)
		fprintf(ch->out, "  Logical volume %s/%s is now cached.\n", vg->name, lvname);
out:
	if (r && !committed && how == LV_RESTACK_OFFLINE) { /* up again as it was (the VG is read again by the next command) */
		struct err e2 = { { 0 } };

		if (vg_find_lv(vg, lvname) && !cache_model(vg_find_lv(vg, lvname)))
			lvm_lv_activate(ch->env, ch->d, vg, vg_find_lv(vg, lvname), &e2);
	}
	cache_settings_free(&m.cs);
	cache_settings_free(&pm.cs);
	return r;
}

/* lvextend of a cache LV: its origin grows, the cache stays as it is. */
static int cache_resize(struct lv_change *ch, struct vg_lv *lv, const struct lv_resize_req *req, struct err *e)
{
	struct vg *vg = ch->h->vg;
	const struct cache_seg *m = cache_model(lv);
	struct vg_lv *origin = m ? vg_find_lv(vg, m->origin) : NULL;
	uint32_t old = lv->le_count;
	struct cache_seg n;
	int r;

	if (!m || !origin)
		return err_set(e, -EINVAL, "Can't resize internal logical volume %s/%s.", vg->name, lv->name);
	if ((r = cache_extend_origin(ch, lv, origin, req, e)))
		return r;
	n = *m;
	if (m->cachevol)
		n.cs = *cache_settings_of(vg, m);
	if ((r = cache_seg_set(vg, lv, &n, e)) || (r = lvm_vg_commit(ch->env, ch->h, e)))
		return r;
	return lv_change_resized(ch, lv, lv, old, true, e);
}

/* lvchange --cachemode/--cachepolicy/--cachesettings of a cache LV:
 * a new mode only once the cache is clean (lvm2's _lvchange_cache). */
static int change_settings(struct lv_change *ch, struct vg_lv *lv, const struct lv_convert_req *req, struct err *e)
{
	struct vg *vg = ch->h->vg;
	const struct cache_seg *m = cache_model(lv);
	struct vg_lv *pool = vg_find_lv(vg, m->pool);
	const struct cache_settings *now = cache_settings_of(vg, m);
	struct cache_settings cs;
	enum cache_mode mode = CACHE_MODE_UNSET;
	bool active = dmctl_up(ch->d) && lv_dm_active(ch->d, vg, lv);
	int r;

	if (!pool || !now)
		return err_set(e, -ENOENT, "Cannot find the cache pool of %s/%s.", vg->name, lv->name);
	if (req->cache.mode && (r = cache_mode_parse(req->cache.mode, &mode, e)))
		return r;
	if (m->cachevol && mode == CACHE_MODE_WRITEBACK) {
		fprintf(stderr, "  WARNING: repairing a damaged cachevol is not yet possible.\n"
				"  WARNING: cache mode writethrough is suggested for safe operation.\n");
		if (!cache_confirm(ch, "Continue using writeback without repair?", "", ""))
			return err_set(e, -ECANCELED, "Conversion aborted.");
	}
	if (mode && mode != cache_effective(now).mode && (r = cache_flush_lv(ch, lv, e)))
		return err_set(e, r, "Cache %s/%s is not clean, refusing to switch cache mode: %s", vg->name, lv->name,
			       e->msg);
	m = cache_model(lv);
	now = cache_settings_of(vg, m);
	cs = *now;
	if (!(cs.set = malloc((now->nset + 1) * sizeof(*cs.set))))
		return err_set(e, -ENOMEM, "out of memory");
	if (now->nset)
		memcpy(cs.set, now->set, now->nset * sizeof(*cs.set));
	if ((r = cache_opts_apply(vg, &req->cache, &cs, e)))
		goto out;
	if (req->cache.nsettings && !cs.policy)
		cs.policy = lvm_setting_str(ch->env, "allocation/cache_policy");
	if (m->cachevol) {
		struct cache_seg n = *m;

		n.cs = cs;
		n.cleaner = false;
		r = cache_seg_set(vg, lv, &n, e);
	} else {
		struct cache_pool_seg pm = *cache_pool_model(pool);
		struct cache_seg n = *m;

		pm.cs = cs;
		n.cs = (struct cache_settings){ 0 };
		n.cleaner = false;
		if (!(r = cache_pool_set(vg, pool, &pm, e)))
			r = cache_seg_set(vg, lv, &n, e);
	}
	if (r || (r = lvm_vg_commit(ch->env, ch->h, e)))
		goto out;
	if (active && (r = lvm_lv_reload(ch->env, ch->d, vg, lv, e)))
		goto out;
	fprintf(ch->out, "  Logical volume %s/%s changed.\n", vg->name, lv->name);
out:
	free(cs.set);
	return r;
}

static int cache_convert(struct lv_change *ch, struct vg_lv *lv, const struct lv_convert_req *req, struct err *e)
{
	struct vg *vg = ch->h->vg;

	if (req->split_cache || req->uncache) {
		if (!cache_model(lv))
			return err_set(e, -EINVAL, "Cannot find LV with cache from %s/%s.", vg->name, lv->name);
		return cache_detach(ch, lv, req->uncache, req, e);
	}
	if (req->type_name) /* what may be cached is cache_origin_check's */
		return cache_attach(ch, lv, req, e);
	if (!cache_model(lv))
		return err_set(e, -EINVAL, "Operation not permitted on LV %s/%s.", vg->name, lv->name);
	if (req->cache.mode || req->cache.policy || req->cache.nsettings)
		return change_settings(ch, lv, req, e);
	return err_set(e, -EOPNOTSUPP, "Operation not permitted on cache LV %s/%s.", vg->name, lv->name);
}

static const struct seg_ref_key cache_refs[] = {
	{ "cache_pool", true, 0, false, NULL },
	{ "origin", true, 0, false, NULL },
	{ NULL, false, 0, false, NULL },
};

const struct segtype segtype_cache = {
	.name = "cache",
	.flags = SEGTYPE_KEPT | SEGTYPE_SPARE,
	.refs = cache_refs,
	.attr_volume = 'C',
	.attr_target = 'C',
	.parse = cache_parse,
	.free = cache_free,
	.validate = cache_validate,
	.report_name = cache_report_name,
	.plan = cache_plan,
	.owner_of = cache_owner_of,
	.report = cache_report,
	.display = cache_display,
	.display_named = cache_display_named,
	.display_seg = cache_display_seg,
	.create = cache_create,
	.remove = cache_remove_lv,
	.resize = cache_resize,
	.convert = cache_convert,
};
