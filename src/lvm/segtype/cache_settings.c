/* The settings every cache type shares (cache_pool.c, cache.c,
 * cache_vol.c).
 *
 * The settings (chunk_size, metadata_format, cache_mode, policy,
 * policy_settings) are parsed here for both places lvm2 keeps them (a
 * pool, or a cache segment over a cachevol).  --cachesettings merge as
 * libdm merges them: each new key goes first, a known key keeps its place
 * and takes the new value, "key=default" removes it; the section is
 * written "key=value", as dm_config_write_node writes it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lvm/report_lvm.h"
#include "lvm/segtype/cache_lv.h"

static const char *const mode_names[] = { [CACHE_MODE_WRITETHROUGH] = "writethrough",
					  [CACHE_MODE_WRITEBACK] = "writeback",
					  [CACHE_MODE_PASSTHROUGH] = "passthrough" };

const char *cache_mode_name(enum cache_mode m)
{
	return m > CACHE_MODE_UNSET && m <= CACHE_MODE_PASSTHROUGH ? mode_names[m] : "";
}

int cache_mode_parse(const char *s, enum cache_mode *m, struct err *e)
{
	for (unsigned i = CACHE_MODE_WRITETHROUGH; i <= CACHE_MODE_PASSTHROUGH; i++)
		if (!strcasecmp(s, mode_names[i])) {
			*m = (enum cache_mode)i;
			return 0;
		}
	return err_set(e, -EINVAL, "Unknown cache mode: %s.", s);
}

int cache_chunk_check(uint32_t chunk, struct err *e)
{
	char b1[UNITS_BUF], b2[UNITS_BUF], b3[UNITS_BUF], msg[512] = "";

	if (chunk < CACHE_CHUNK_MIN || chunk > CACHE_CHUNK_MAX)
		snprintf(msg, sizeof(msg), "Cache chunk size %s is not in the range %s to %s.", lv_change_size(b1, chunk),
			 lv_change_size(b2, CACHE_CHUNK_MIN), lv_change_size(b3, CACHE_CHUNK_MAX));
	if (chunk % CACHE_CHUNK_MIN)
		snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg), "%sCache chunk size %s must be a multiple of %s.",
			 msg[0] ? "\n  " : "", lv_change_size(b1, chunk), lv_change_size(b2, CACHE_CHUNK_MIN));
	return msg[0] ? err_set(e, -EINVAL, "%s", msg) : 0;
}

void cache_settings_free(struct cache_settings *cs)
{
	free(cs->set);
	cs->set = NULL;
	cs->nset = 0;
}

int cache_settings_parse(const struct cfg_node *sn, const char *lvname, struct cache_settings *cs, struct err *e)
{
	const struct cfg_node *n;
	int64_t f;
	int r;

	memset(cs, 0, sizeof(*cs));
	if (cfg_find(sn, "chunk_size") && (r = cfg_get_u32(sn, "chunk_size", &cs->chunk_size, e)))
		return err_set(e, r, "Couldn't read cache chunk_size in segment of logical volume %s.", lvname);
	if ((n = cfg_find(sn, "cache_mode"))) {
		if (n->type != CFG_STRING)
			return err_set(e, -EINVAL, "cache_mode must be a string in segment of logical volume %s.", lvname);
		if (cache_mode_parse(n->v.s, &cs->mode, e))
			return err_set(e, -EINVAL, "Unknown cache_mode in segment of logical volume %s.", lvname);
	}
	if ((n = cfg_find(sn, "policy")) && (r = cfg_get_str(sn, "policy", &cs->policy, e)))
		return err_set(e, r, "policy must be a string in segment of logical volume %s.", lvname);
	if (cfg_find(sn, "metadata_format")) {
		if ((r = cfg_get_int(sn, "metadata_format", &f, e)) || (f != 1 && f != 2))
			return err_set(e, -EINVAL, "Unknown cache metadata format %" PRId64 " number in segment of "
				       "logical volume %s.", f, lvname);
		cs->format = (unsigned)f;
	}
	if (!(n = cfg_find(sn, "policy_settings")))
		return 0;
	if (!cs->policy)
		return err_set(e, -EINVAL, "policy_settings must have a policy_name in segment of logical volume %s.",
			       lvname);
	if (n->type != CFG_SECTION)
		return err_set(e, -EINVAL, "policy_settings must be a section in segment of logical volume %s.", lvname);
	for (const struct cfg_node *c = n->child; c; c = c->next) {
		struct cache_kv *s;

		if (c->type != CFG_INT && c->type != CFG_STRING && c->type != CFG_FLOAT)
			continue; /* lvm2 keeps it; the target would refuse it: it is dropped here */
		if (!(s = realloc(cs->set, (cs->nset + 1) * sizeof(*s)))) {
			cache_settings_free(cs);
			return err_set(e, -ENOMEM, "out of memory");
		}
		cs->set = s;
		cs->set[cs->nset++] = (struct cache_kv){ c->key, c->v };
	}
	return 0;
}

void cache_settings_export(struct cfg_node *sn, const struct cache_settings *cs)
{
	struct cfg_node *ps;

	if (cs->chunk_size)
		cfg_add_int(sn, "chunk_size", cs->chunk_size);
	if (cs->mode)
		cfg_add_str(sn, "cache_mode", cache_mode_name(cs->mode));
	if (!cs->policy)
		return;
	cfg_add_str(sn, "policy", cs->policy);
	if (!cs->nset || !(ps = cfg_add_section(sn, "policy_settings")))
		return;
	ps->libdm = true;
	for (unsigned i = 0; i < cs->nset; i++) {
		const struct cache_kv *s = &cs->set[i];

		if (s->v.type == CFG_INT)
			cfg_add_int(ps, s->key, s->v.i);
		else if (s->v.type == CFG_STRING)
			cfg_add_str(ps, s->key, s->v.s);
		else /* a float, as written */
			cfg_add_str(ps, s->key, s->v.s);
	}
}

/* libdm's dm_config_flatten as --cachesettings go through it: a key not
 * seen yet goes first, one seen keeps its place with the new value. */
static int merge_one(struct cache_kv **out, unsigned *n, const struct cache_kv *kv)
{
	struct cache_kv *a;

	for (unsigned i = 0; i < *n; i++)
		if (!strcmp((*out)[i].key, kv->key)) {
			(*out)[i].v = kv->v;
			return 0;
		}
	if (!(a = realloc(*out, (*n + 1) * sizeof(*a))))
		return -ENOMEM;
	memmove(a + 1, a, *n * sizeof(*a));
	a[0] = *kv;
	*out = a;
	(*n)++;
	return 0;
}

/* The --cachesettings groups, flattened (dm_config_flatten of the groups
 * cascading in order); strings copied into @vg's kept tree. */
static int parse_groups(struct vg *vg, const struct lv_cache_opts *o, struct cache_kv **out, unsigned *n,
			struct err *e)
{
	struct cfg_node *scratch = cfg_add_section(cfg_root(vg->keep), "cache_settings");
	int r = 0;

	for (unsigned g = 0; g < o->nsettings && !r; g++) {
		struct cfg_tree *t;

		if (cfg_parse(o->settings[g], strlen(o->settings[g]), &t, e))
			return err_set(e, -EINVAL, "Invalid argument for --cachesettings: %s", o->settings[g]);
		for (const struct cfg_node *c = cfg_root(t)->child; c && !r; c = c->next) {
			struct cfg_node *k;

			if (c->type == CFG_INT)
				k = cfg_add_int(scratch, c->key, c->v.i);
			else if (c->type == CFG_STRING || c->type == CFG_FLOAT)
				k = cfg_add_str(scratch, c->key, c->v.s);
			else
				k = NULL;
			if (c->type == CFG_ARRAY || c->type == CFG_SECTION)
				r = err_set(e, -EINVAL, "Invalid argument for --cachesettings: %s", o->settings[g]);
			else if (!k || (c->type != CFG_INT && strcmp(c->v.s, "default")))
				r = !k ? err_set(e, -ENOMEM, "out of memory")
				       : err_set(e, -EINVAL, "Cache policy parameter %s is without integer value.", c->key);
			else if (merge_one(out, n, &(struct cache_kv){ k->key, k->v }))
				r = err_set(e, -ENOMEM, "out of memory");
		}
		cfg_tree_free(t);
	}
	return r;
}

int cache_opts_apply(struct vg *vg, const struct lv_cache_opts *o, struct cache_settings *cs, struct err *e)
{
	struct cache_kv *g = NULL, *all = NULL;
	unsigned ng = 0, nall = 0;
	enum cache_mode m = CACHE_MODE_UNSET;
	int r;

	if (o->mode && (r = cache_mode_parse(o->mode, &m, e)))
		return r;
	if (m == CACHE_MODE_WRITEBACK && o->policy && !strcmp(o->policy, "cleaner"))
		return err_set(e, -EINVAL, "Cache mode \"writeback\" is not compatible with cache policy \"cleaner\".");
	if (m)
		cs->mode = m;
	if (o->policy)
		cs->policy = o->policy;
	if (o->metadata_format)
		cs->format = o->metadata_format;
	if (!o->nsettings)
		return 0;
	if ((r = parse_groups(vg, o, &g, &ng, e))) {
		free(g);
		return r;
	}
	/* the old settings cascade under the new ones (cache_set_policy): a
	 * second flatten; without old ones the new are taken as they are.
	 * With --cachepolicy lvm2 keeps the old in their order, new keys
	 * after them (seen with lvm2 2.03.16) */
	if (!cs->nset) {
		all = g;
		nall = ng;
		g = NULL;
	} else if (o->policy) {
		if (!(all = malloc((cs->nset + ng) * sizeof(*all))))
			r = -ENOMEM;
		for (unsigned i = 0; all && i < cs->nset; i++)
			all[nall++] = cs->set[i];
		for (unsigned i = 0; all && i < ng; i++) {
			unsigned k = 0;

			while (k < nall && strcmp(all[k].key, g[i].key))
				k++;
			if (k == nall)
				nall++;
			all[k] = g[i];
		}
	} else {
		for (unsigned i = 0; i < cs->nset && !r; i++)
			r = merge_one(&all, &nall, &cs->set[i]);
		for (unsigned i = 0; i < ng && !r; i++)
			r = merge_one(&all, &nall, &g[i]);
	}
	free(g);
	if (r) {
		free(all);
		return err_set(e, -ENOMEM, "out of memory");
	}
	for (unsigned i = 0; i < nall;) /* "key=default" goes */
		if (all[i].v.type == CFG_STRING && !strcmp(all[i].v.s, "default"))
			memmove(&all[i], &all[i + 1], (--nall - i) * sizeof(*all));
		else
			i++;
	free(cs->set);
	cs->set = all;
	cs->nset = nall;
	return 0;
}

void cache_settings_list(const struct cache_settings *cs, char *buf, size_t size)
{
	size_t n = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < cs->nset && n < size; i++) {
		const struct cache_kv *s = &cs->set[i];

		if (s->v.type == CFG_INT)
			n += (size_t)snprintf(buf + n, size - n, "%s%s=%" PRId64, i ? "," : "", s->key, s->v.i);
		else
			n += (size_t)snprintf(buf + n, size - n, "%s%s=\"%s\"", i ? "," : "", s->key, s->v.s);
	}
}

void cache_family_report(const struct seg_report_ctx *x, const struct vg_lv *owner, const char *origin,
			 const char *fast, const char *kind)
{
	char role[64], buf[LVM_NAME_LEN + 16];

	if (owner) { /* the origin 'o', the pool or cachevol 'C', both of target type 'C' */
		x->attr[0] = vg_find_lv(x->vg, origin) == x->lv ? 'o' : 'C';
		x->attr[6] = 'C';
		snprintf(role, sizeof(role), "%s,origin,%sorigin", kind, kind);
		if (x->attr[0] == 'o')
			seg_report_kind(x, NULL, role, NULL, true);
		return;
	}
	seg_report_kind(x, kind, NULL, kind, false);
	report_set_u64(x->row, RF_STRIPES, 1); /* the origin */
	report_set_u64(x->row, RF_DATA_STRIPES, 1);
	seg_report_lv(x, RF_POOL_LV, RF_POOL_LV_UUID, fast);
	seg_report_lv(x, RF_ORIGIN, RF_ORIGIN_UUID, origin);
	snprintf(buf, sizeof(buf), "%s(0)", origin);
	report_set_str(x->row, RF_DEVICES, buf);
	snprintf(buf, sizeof(buf), "%s:0-%u", origin, x->lv->le_count - 1);
	report_set_str(x->row, RF_SEG_PE_RANGES, buf);
	snprintf(buf, sizeof(buf), "[%s]:0-%u", origin, x->lv->le_count - 1);
	report_set_str(x->row, RF_SEG_LE_RANGES, buf);
}

void cache_settings_report(const struct seg_report_ctx *x, const struct cache_settings *cs)
{
	char buf[1024];

	report_set_sectors(x->row, RF_CHUNK_SIZE, cs->chunk_size);
	if (cs->mode)
		report_set_str(x->row, RF_CACHE_MODE, cache_mode_name(cs->mode));
	if (cs->policy)
		report_set_str(x->row, RF_CACHE_POLICY, cs->policy);
	if (cs->format)
		report_set_u64(x->row, RF_CACHE_METADATA_FORMAT, cs->format);
	cache_settings_list(cs, buf, sizeof(buf));
	report_set_str(x->row, RF_CACHE_SETTINGS, buf);
}

void cache_settings_display(const struct seg_display_ctx *x, const struct cache_settings *cs)
{
	char b[UNITS_BUF];

	fprintf(x->out, "    Chunk size\t\t%s\n", x->size(x, cs->chunk_size, b));
	if (cs->format)
		fprintf(x->out, "    Metadata format\t%u\n", cs->format);
	if (cs->mode != CACHE_MODE_UNSET)
		fprintf(x->out, "    Mode\t\t%s\n", cache_mode_name(cs->mode));
	if (cs->policy)
		fprintf(x->out, "    Policy\t\t%s\n", cs->policy);
	for (unsigned i = 0; i < cs->nset; i++) {
		const struct cache_kv *kv = &cs->set[i];

		if (kv->v.type == CFG_INT)
			fprintf(x->out, "    Setting\t\t%s=%" PRId64 "\n", kv->key, kv->v.i);
		else
			fprintf(x->out, "    Setting\t\t%s=\"%s\"\n", kv->key, kv->v.s);
	}
	fprintf(x->out, "   \n");
}

