/* VG model: import from the text tree, lifetime, edits.  See vg.h. */
#include "lvm/vg.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lvm/segtype.h"
#include "lvm/vg_internal.h"

const struct vg_flag_def vg_flag_defs[] = {
	{ "EXPORTED", true },	  { "RESIZEABLE", true },      { "PVMOVE", true },
	{ "READ", true },	  { "WRITE", true },	       { "WRITE_LOCKED", false },
	{ "NOAUTOACTIVATE", false }, { "CLUSTERED", true },    { "SHARED", true },
	{ NULL, false },
};
const struct vg_flag_def pv_flag_defs[] = {
	{ "ALLOCATABLE", true }, { "EXPORTED", true }, { "MISSING", false }, { NULL, false },
};
const struct vg_flag_def lv_flag_defs[] = {
	{ "READ", true },	     { "WRITE", true },		{ "WRITE_LOCKED", false },
	{ "FIXED_MINOR", true },     { "VISIBLE", true },	{ "PVMOVE", true },
	{ "LOCKED", true },	     { "NOTSYNCED", true },	{ "REBUILD", true },
	{ "WRITEMOSTLY", true },     { "ACTIVATION_SKIP", false }, { "ERROR_WHEN_FULL", false },
	{ "CACHE_VOL", false },	     { "NOAUTOACTIVATE", false }, { NULL, false },
};

int strv_add(struct strv *v, const char *s)
{
	char **n = realloc(v->s, (v->n + 1) * sizeof(*n));

	if (!n)
		return -ENOMEM;
	v->s = n;
	if (!(v->s[v->n] = strdup(s)))
		return -ENOMEM;
	v->n++;
	return 0;
}

void strv_free(struct strv *v)
{
	for (unsigned i = 0; i < v->n; i++)
		free(v->s[i]);
	free(v->s);
	v->s = NULL;
	v->n = 0;
}

bool strv_has(const struct strv *v, const char *s)
{
	for (unsigned i = 0; i < v->n; i++)
		if (!strcmp(v->s[i], s))
			return true;
	return false;
}

void strv_del(struct strv *v, const char *s)
{
	for (unsigned i = 0; i < v->n; i++)
		if (!strcmp(v->s[i], s)) {
			free(v->s[i]);
			memmove(&v->s[i], &v->s[i + 1], (v->n - i - 1) * sizeof(*v->s));
			v->n--;
			return;
		}
}

int lvm_tags_change(struct strv *tags, const char *const *add, unsigned nadd, const char *const *del,
		    unsigned ndel)
{
	int r;

	for (unsigned i = 0; i < nadd; i++)
		if (!strv_has(tags, add[i]) && (r = strv_add(tags, add[i])))
			return r;
	for (unsigned i = 0; i < ndel; i++)
		strv_del(tags, del[i]);
	return 0;
}

bool lvm_tag_valid(const char *tag)
{
	size_t n = strlen(tag);

	return n && n < 1024 &&
	       strspn(tag, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+/=!:&#-") == n;
}

static void seg_free(struct lv_seg *s)
{
	if (s->st && s->st->free)
		s->st->free(s);
	free(s->type);
	free(s->area);
	strv_free(&s->tags);
}

static void lv_free(struct vg_lv *lv)
{
	if (!lv)
		return;
	for (unsigned i = 0; i < lv->nseg; i++)
		seg_free(&lv->seg[i]);
	free(lv->seg);
	strv_free(&lv->tags);
	free(lv->name);
	free(lv->host);
	free(lv->lock_args);
	free(lv->alloc);
	free(lv->profile);
	free(lv);
}

static void pvm_free(struct vg_pv *p)
{
	if (!p)
		return;
	free(p->device);
	free(p->device_id_type);
	free(p->device_id);
	free(p->path);
	free(p->stale_path);
	strv_free(&p->tags);
	free(p);
}

void vg_free(struct vg *vg)
{
	if (!vg)
		return;
	for (unsigned i = 0; i < vg->nlv; i++)
		lv_free(vg->lv[i]);
	for (unsigned i = 0; i < vg->npv; i++)
		pvm_free(vg->pv[i]);
	free(vg->lv);
	free(vg->pv);
	strv_free(&vg->tags);
	free(vg->name);
	free(vg->system_id);
	free(vg->lock_type);
	free(vg->lock_args);
	free(vg->alloc);
	free(vg->profile);
	cfg_tree_free(vg->keep);
	free(vg);
}

int vg_new(const char *name, uint32_t extent_size, struct vg **out, struct err *e)
{
	struct vg *vg = calloc(1, sizeof(*vg));
	int r;

	*out = NULL;
	if (!vg || !(vg->name = strdup(name)) || cfg_tree_new(&vg->keep)) {
		vg_free(vg);
		return err_set(e, -ENOMEM, "out of memory");
	}
	if ((r = lvm_id_create(vg->id, e))) {
		vg_free(vg);
		return r;
	}
	vg->extent_size = extent_size;
	vg->status = FLAG(VGF_RESIZEABLE) | FLAG(VGF_READ) | FLAG(VGF_WRITE);
	*out = vg;
	return 0;
}

/* ---- import ---- */

static char *dupstr(const char *s, int *r)
{
	char *d;

	if (!s)
		return NULL;
	if (!(d = strdup(s)))
		*r = -ENOMEM;
	return d;
}

/* A string list; LVM also takes a bare string for a list of one. */
static int get_strv(const struct cfg_node *sec, const char *key, struct strv *v, bool need,
		    struct err *e)
{
	const struct cfg_node *n = cfg_find(sec, key);
	char path[256];

	if (!n)
		return need ? err_set(e, -EINVAL, "%s/%s is missing", cfg_path(sec, path, sizeof(path)), key) : 0;
	if (n->type == CFG_STRING)
		return strv_add(v, n->v.s) ? err_set(e, -ENOMEM, "out of memory") : 0;
	if (n->type != CFG_ARRAY)
		return err_set(e, -EINVAL, "%s is not a list of strings", cfg_path(n, path, sizeof(path)));
	for (unsigned i = 0; i < n->nitems; i++) {
		if (n->items[i].type != CFG_STRING)
			return err_set(e, -EINVAL, "%s: element %u is not a string",
				       cfg_path(n, path, sizeof(path)), i);
		if (strv_add(v, n->items[i].s))
			return err_set(e, -ENOMEM, "out of memory");
	}
	return 0;
}

/* status (STATUS words, unknown ones fatal) and flags (COMPATIBLE words,
 * unknown ones ignored), as flags.c read_flags. */
static int get_flags(const struct cfg_node *sec, const struct vg_flag_def *defs, bool pv,
		     bool vg, uint32_t *mask, struct err *e)
{
	struct strv st = { 0 }, fl = { 0 };
	char path[256];
	int r;

	*mask = 0;
	if ((r = get_strv(sec, "status", &st, true, e)) || (r = get_strv(sec, "flags", &fl, false, e)))
		goto out;
	for (unsigned i = 0; i < st.n + fl.n; i++) {
		bool status = i < st.n;
		const char *w = status ? st.s[i] : fl.s[i - st.n];
		unsigned f;

		for (f = 0; defs[f].name; f++)
			if (defs[f].status == status && !strcmp(defs[f].name, w))
				break;
		if (!defs[f].name && pv && !strcmp(w, "MISSING")) /* accepted in either */
			f = PVF_MISSING;
		if (defs[f].name)
			*mask |= 1u << f;
		else if (status && !(vg && !strcmp(w, "PARTIAL"))) {
			r = err_set(e, -EINVAL, "%s: unknown status flag '%s'",
				    cfg_path(sec, path, sizeof(path)), w);
			goto out;
		}
	}
out:
	strv_free(&st);
	strv_free(&fl);
	return r;
}

static int get_id(const struct cfg_node *sec, char id[LVM_ID_LEN + 1], struct err *e)
{
	const char *s;
	char path[256];
	int r;

	if ((r = cfg_get_str(sec, "id", &s, e)))
		return r;
	if ((r = lvm_id_parse(s, id, e)))
		return err_set(e, r, "%s/id", cfg_path(sec, path, sizeof(path)));
	return 0;
}

static int opt_str(const struct cfg_node *sec, const char *key, char **out, struct err *e)
{
	const char *s;
	int r;

	if (!cfg_find(sec, key))
		return 0;
	if ((r = cfg_get_str(sec, key, &s, e)))
		return r;
	r = 0;
	*out = dupstr(s, &r);
	return r ? err_set(e, r, "out of memory") : 0;
}

static int opt_int(const struct cfg_node *sec, const char *key, bool *has, int64_t *out,
		   struct err *e)
{
	int r;

	if (!cfg_find(sec, key)) {
		*has = false;
		return 0;
	}
	r = cfg_get_int(sec, key, out, e);
	*has = !r;
	return r;
}

static int import_pv(struct vg *vg, const struct cfg_node *p, struct err *e)
{
	struct vg_pv *pv = calloc(1, sizeof(*pv));
	bool has;
	int64_t x;
	int r;

	if (!pv)
		return err_set(e, -ENOMEM, "out of memory");
	vg->pv[vg->npv++] = pv;
	if ((r = get_id(p, pv->id, e)) || (r = get_flags(p, pv_flag_defs, true, false, &pv->status, e)) ||
	    (r = get_strv(p, "tags", &pv->tags, false, e)) || (r = opt_str(p, "device", &pv->device, e)) ||
	    (r = opt_str(p, "device_id_type", &pv->device_id_type, e)) ||
	    (r = opt_str(p, "device_id", &pv->device_id, e)) ||
	    (r = cfg_get_u64(p, "pe_start", &pv->pe_start, e)) ||
	    (r = cfg_get_u32(p, "pe_count", &pv->pe_count, e)))
		return r;
	if ((r = opt_int(p, "dev_size", &pv->has_dev_size, &x, e)))
		return r;
	pv->dev_size = (uint64_t)x;
	if ((r = opt_int(p, "ba_start", &pv->has_ba, &x, e)))
		return r;
	pv->ba_start = (uint64_t)x;
	if ((r = opt_int(p, "ba_size", &has, &x, e)))
		return r;
	pv->ba_size = (uint64_t)x;
	if (has != pv->has_ba)
		return err_set(e, -EINVAL, "PV %s: ba_start and ba_size go together", p->key);
	return 0;
}

struct vg_pv *vg_import_pv_key(const struct vg *vg, const struct cfg_node *pvs, const char *key)
{
	unsigned i = 0;

	for (const struct cfg_node *p = pvs->child; p; p = p->next, i++)
		if (p->type == CFG_SECTION && !strcmp(p->key, key))
			return i < vg->npv ? vg->pv[i] : NULL;
	return NULL;
}

int seg_keep_raw(struct vg *vg, const struct cfg_node *pvs, struct lv_seg *s, const struct cfg_node *sn,
		 struct err *e)
{
	const struct cfg_node *m = cfg_find(sn, "mirrors");

	if (!(s->raw = cfg_add_copy(cfg_root(vg->keep), sn)))
		return cfg_tree_status(vg->keep, e) ?: err_set(e, -ENOMEM, "out of memory");
	if (!m || m->type != CFG_ARRAY || m->nitems % 2)
		return 0;
	for (unsigned i = 0; i < m->nitems; i += 2) {
		struct vg_pv *pv = m->items[i].type == CFG_STRING ? vg_import_pv_key(vg, pvs, m->items[i].s) : NULL;
		struct lv_area *a;

		if (!pv)
			continue;
		if (m->items[i + 1].type != CFG_INT || m->items[i + 1].i < 0 || m->items[i + 1].i > UINT32_MAX)
			return err_set(e, -EINVAL, "segment of type %s: mirrors: bad extent for %s", s->type,
				       m->items[i].s);
		if (!(a = realloc(s->area, (s->narea + 1) * sizeof(*a))))
			return err_set(e, -ENOMEM, "out of memory");
		s->area = a;
		s->area[s->narea++] = (struct lv_area){ pv, (uint32_t)m->items[i + 1].i, NULL };
	}
	return 0;
}

static int import_seg(struct vg *vg, const struct cfg_node *pvs, const struct cfg_node *sn,
		      struct lv_seg *s, struct err *e)
{
	const char *type;
	char path[256];
	int r = 0;

	if ((r = cfg_get_u32(sn, "start_extent", &s->le, e)) ||
	    (r = cfg_get_u32(sn, "extent_count", &s->len, e)) || (r = cfg_get_str(sn, "type", &type, e)) ||
	    (r = get_strv(sn, "tags", &s->tags, false, e)))
		return r;
	cfg_path(sn, path, sizeof(path));
	if (!(s->type = dupstr(type, &r)))
		return err_set(e, -ENOMEM, "out of memory");
	if (!s->len)
		return err_set(e, -EINVAL, "%s: extent_count is 0", path);
	s->st = segtype_find(type);
	r = s->st->import ? s->st->import(vg, pvs, sn, s, e) : seg_keep_raw(vg, pvs, s, sn, e);
	if (!r && s->raw && s->st->parse && (r = s->st->parse(vg, s, e)))
		err_set(e, r, "%s", path);
	return r;
}

static int seg_cmp(const void *a, const void *b)
{
	const struct lv_seg *x = a, *y = b;

	return x->le < y->le ? -1 : x->le > y->le;
}

/* lv_merge_segments: fold @b into @a when it continues it on every area. */
static bool seg_mergeable(const struct lv_seg *a, const struct lv_seg *b)
{
	uint32_t alen;

	if (!a->striped || !b->striped || a->narea != b->narea || a->stripe_size != b->stripe_size ||
	    strcmp(a->type, b->type) || a->tags.n || b->tags.n || a->le + a->len != b->le)
		return false;
	alen = a->len / a->narea;
	for (unsigned i = 0; i < a->narea; i++)
		if (a->area[i].pv != b->area[i].pv || a->area[i].lv != b->area[i].lv || a->area[i].pe + alen != b->area[i].pe)
			return false;
	return true;
}

static void lv_merge(struct vg_lv *lv)
{
	unsigned w = 0;

	for (unsigned i = 0; i < lv->nseg; i++) {
		if (w && seg_mergeable(&lv->seg[w - 1], &lv->seg[i])) {
			lv->seg[w - 1].len += lv->seg[i].len;
			seg_free(&lv->seg[i]);
		} else {
			lv->seg[w++] = lv->seg[i];
		}
	}
	lv->nseg = w;
}

void lv_merge_segments(struct vg_lv *lv)
{
	lv_merge(lv);
}

/* @lv: named already (every LV is, before any is imported, so that
 * segments can name the LVs they use). */
static int import_lv(struct vg *vg, const struct cfg_node *pvs, const struct cfg_node *l, struct vg_lv *lv,
		     struct err *e)
{
	uint32_t count;
	unsigned nsec = 0;
	bool has_host;
	int r = 0;

	if ((r = get_id(l, lv->id, e)) || (r = get_flags(l, lv_flag_defs, false, false, &lv->status, e)) ||
	    (r = get_strv(l, "tags", &lv->tags, false, e)) || (r = opt_str(l, "creation_host", &lv->host, e)) ||
	    (r = opt_str(l, "lock_args", &lv->lock_args, e)) ||
	    (r = opt_str(l, "allocation_policy", &lv->alloc, e)) ||
	    (r = opt_str(l, "profile", &lv->profile, e)) ||
	    (r = opt_int(l, "creation_time", &lv->has_ctime, &lv->ctime, e)) ||
	    (r = opt_int(l, "read_ahead", &lv->has_read_ahead, &lv->read_ahead, e)) ||
	    (r = opt_int(l, "major", &lv->has_major, &lv->major, e)) ||
	    (r = opt_int(l, "minor", &lv->has_minor, &lv->minor, e)) ||
	    (r = cfg_get_u32(l, "segment_count", &count, e)))
		return r;
	has_host = lv->host != NULL;
	if (has_host != lv->has_ctime)
		return err_set(e, -EINVAL, "LV %s: creation_time and creation_host go together", l->key);
	if ((lv->status & FLAG(LVF_FIXED_MINOR)) && !lv->has_minor)
		return err_set(e, -EINVAL, "LV %s: FIXED_MINOR without minor", l->key);
	for (const struct cfg_node *s = l->child; s; s = s->next)
		nsec += s->type == CFG_SECTION;
	if (!nsec)
		return err_set(e, -EINVAL, "LV %s has no segments", l->key);
	if (nsec != count)
		return err_set(e, -EINVAL, "LV %s: segment_count is %u but it has %u segments", l->key,
			       count, nsec);
	if (!(lv->seg = calloc(nsec, sizeof(*lv->seg))))
		return err_set(e, -ENOMEM, "out of memory");
	for (const struct cfg_node *s = l->child; s; s = s->next) {
		if (s->type != CFG_SECTION)
			continue;
		r = import_seg(vg, pvs, s, &lv->seg[lv->nseg++], e);
		if (r)
			return r;
	}
	qsort(lv->seg, lv->nseg, sizeof(*lv->seg), seg_cmp);
	for (unsigned i = 0; i < lv->nseg; i++) {
		if (lv->seg[i].le != lv->le_count)
			return err_set(e, -EINVAL, "LV %s: segment at LE %u, expected LE %u (gap or overlap)",
				       l->key, lv->seg[i].le, lv->le_count);
		lv->le_count += lv->seg[i].len;
	}
	lv_merge(lv);
	return 0;
}

int vg_import(const struct cfg_node *v, struct vg **out, struct err *e)
{
	const struct cfg_node *pvs, *lvs, *fmt;
	struct cfg_node *sec;
	struct vg *vg = calloc(1, sizeof(*vg));
	unsigned n;
	int r = 0;

	*out = NULL;
	if (!vg || cfg_tree_new(&vg->keep) || !(vg->name = dupstr(v->key, &r))) {
		vg_free(vg);
		return err_set(e, -ENOMEM, "out of memory");
	}
	if ((r = get_id(v, vg->id, e)) || (r = cfg_get_u32(v, "seqno", &vg->seqno, e)) ||
	    (r = get_flags(v, vg_flag_defs, false, true, &vg->status, e)) ||
	    (r = get_strv(v, "tags", &vg->tags, false, e)) ||
	    (r = cfg_get_u32(v, "extent_size", &vg->extent_size, e)) ||
	    (r = cfg_get_u32(v, "max_lv", &vg->max_lv, e)) ||
	    (r = cfg_get_u32(v, "max_pv", &vg->max_pv, e)) ||
	    (r = opt_str(v, "system_id", &vg->system_id, e)) ||
	    (r = opt_str(v, "lock_type", &vg->lock_type, e)) ||
	    (r = opt_str(v, "lock_args", &vg->lock_args, e)) ||
	    (r = opt_str(v, "allocation_policy", &vg->alloc, e)) ||
	    (r = opt_str(v, "profile", &vg->profile, e)))
		goto fail;
	r = cfg_get_u32(v, "metadata_copies", &vg->metadata_copies, e);
	if (r == -ENOENT)
		err_clear(e);
	else if (r)
		goto fail;
	if ((fmt = cfg_find(v, "format")) && (fmt->type != CFG_STRING || strcmp(fmt->v.s, "lvm2"))) {
		r = err_set(e, -EINVAL, "VG %s: unrecognised format", vg->name);
		goto fail;
	}
	if ((r = cfg_get_section(v, "physical_volumes", &sec, e)))
		goto fail;
	pvs = sec;
	n = 0;
	for (const struct cfg_node *p = pvs->child; p; p = p->next)
		n += p->type == CFG_SECTION;
	if (!(vg->pv = calloc(n + 1, sizeof(*vg->pv)))) {
		r = err_set(e, -ENOMEM, "out of memory");
		goto fail;
	}
	for (const struct cfg_node *p = pvs->child; p; p = p->next)
		if (p->type == CFG_SECTION && (r = import_pv(vg, p, e)))
			goto fail;
	n = 0;
	if ((lvs = cfg_find(v, "logical_volumes")))
		for (const struct cfg_node *l = lvs->child; l; l = l->next)
			n += l->type == CFG_SECTION;
	if (!(vg->lv = calloc(n + 1, sizeof(*vg->lv)))) {
		r = err_set(e, -ENOMEM, "out of memory");
		goto fail;
	}
	for (const struct cfg_node *l = lvs ? lvs->child : NULL; l; l = l->next) {
		struct vg_lv *lv;

		if (l->type != CFG_SECTION)
			continue;
		if (!(lv = calloc(1, sizeof(*lv))) || !(lv->name = strdup(l->key))) {
			free(lv);
			r = err_set(e, -ENOMEM, "out of memory");
			goto fail;
		}
		vg->lv[vg->nlv++] = lv;
	}
	n = 0;
	for (const struct cfg_node *l = lvs ? lvs->child : NULL; l; l = l->next)
		if (l->type == CFG_SECTION && (r = import_lv(vg, pvs, l, vg->lv[n++], e)))
			goto fail;
	if ((sec = cfg_find(v, "historical_logical_volumes")) &&
	    !(vg->historical = cfg_add_copy(cfg_root(vg->keep), sec))) {
		r = err_set(e, -ENOMEM, "out of memory");
		goto fail;
	}
	if ((r = vg_validate(vg, e)))
		goto fail;
	*out = vg;
	return 0;
fail:
	err_set(e, r, "VG %s", vg->name ? vg->name : "?");
	vg_free(vg);
	return r;
}

/* ---- lookups and edits ---- */

struct vg_lv *vg_find_lv(const struct vg *vg, const char *name)
{
	for (unsigned i = 0; i < vg->nlv; i++)
		if (!strcmp(vg->lv[i]->name, name))
			return vg->lv[i];
	return NULL;
}

struct vg_pv *vg_find_pv_id(const struct vg *vg, const char *id32)
{
	for (unsigned i = 0; i < vg->npv; i++)
		if (!strcmp(vg->pv[i]->id, id32))
			return vg->pv[i];
	return NULL;
}

struct vg_pv *vg_find_pv_path(const struct vg *vg, const char *path)
{
	for (unsigned i = 0; i < vg->npv; i++)
		if (vg->pv[i]->path && !strcmp(vg->pv[i]->path, path))
			return vg->pv[i];
	return NULL;
}

int vg_add_lv(struct vg *vg, const char *name, struct vg_lv **out, struct err *e)
{
	struct vg_lv **n = realloc(vg->lv, (vg->nlv + 1) * sizeof(*n)), *lv;
	char host[256];
	int r;

	if (!n)
		return err_set(e, -ENOMEM, "out of memory");
	vg->lv = n;
	if (!(lv = calloc(1, sizeof(*lv))) || !(lv->name = strdup(name))) {
		free(lv);
		return err_set(e, -ENOMEM, "out of memory");
	}
	if ((r = lvm_id_create(lv->id, e))) {
		lv_free(lv);
		return r;
	}
	if (gethostname(host, sizeof(host)))
		strcpy(host, "localhost");
	host[sizeof(host) - 1] = 0;
	lv->host = strdup(host);
	lv->has_ctime = true;
	lv->ctime = time(NULL);
	lv->status = FLAG(LVF_READ) | FLAG(LVF_WRITE) | FLAG(LVF_VISIBLE);
	vg->lv[vg->nlv++] = lv;
	*out = lv;
	return lv->host ? 0 : err_set(e, -ENOMEM, "out of memory");
}

int vg_check_new_lv_name(const struct vg *vg, const char *name, struct err *e)
{
	static const char *const prefixes[] = { "snapshot", "pvmove" };
	static const char *const parts[] = { "_cdata", "_cmeta", "_corig", "_cpool", "_cvol", "_wcorig",
		"_mimage", "_mlog", "_rimage", "_rmeta", "_tdata", "_tmeta", "_vdata", "_imeta",
		"_iorig", "_pmspare", "_vorigin" };

	if (!lvm_name_valid(name))
		return err_set(e, -EINVAL, "Logical volume name \"%s\" is invalid.", name);
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return err_set(e, -EINVAL, "Names starting \"%s\" are reserved (lvm2's own LVs). "
				       "Please choose a different LV name.", prefixes[i]);
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (strstr(name, parts[i]))
			return err_set(e, -EINVAL, "Names including \"%s\" are reserved (lvm2's sub-LVs). "
				       "Please choose a different LV name.", parts[i]);
	if (vg_find_lv(vg, name))
		return err_set(e, -EEXIST, "Logical Volume \"%s\" already exists in volume group \"%s\"", name,
			       vg->name);
	return 0;
}

/* lvm2's sscanf(name, "<prefix>%d", &i) == 1: @prefix, blanks, a sign
 * and digits, whatever follows ("lvol0_pmspare" counts as lvol 0). */
static bool prefix_number(const char *name, const char *prefix, long *n)
{
	size_t len = strlen(prefix);
	char *end;

	if (strncmp(name, prefix, len))
		return false;
	errno = 0;
	*n = strtol(name + len, &end, 10);
	return end != name + len && !errno && *n >= INT_MIN && *n <= INT_MAX;
}

void vg_next_lv_name_prefix(const struct vg *vg, const char *prefix, char *out, size_t size)
{
	long high = -1, n;

	for (unsigned i = 0; i < vg->nlv; i++)
		if (prefix_number(vg->lv[i]->name, prefix, &n) && n > high)
			high = n;
	for (const struct cfg_node *h = vg->historical ? vg->historical->child : NULL; h; h = h->next)
		if (h->key && prefix_number(h->key, prefix, &n) && n > high)
			high = n;
	snprintf(out, size, "%s%ld", prefix, high + 1);
}

void vg_next_lv_name(const struct vg *vg, char *out, size_t size)
{
	vg_next_lv_name_prefix(vg, "lvol", out, size);
}

int vg_lv_arg(const struct vg *vg, const char *arg, const char **name, struct vg_lv **out)
{
	const char *s = strchr(arg, '/');

	*name = s ? s + 1 : arg;
	*out = NULL;
	if (s && ((size_t)(s - arg) != strlen(vg->name) || strncmp(arg, vg->name, (size_t)(s - arg))))
		return -EXDEV;
	return (*out = vg_find_lv(vg, *name)) ? 0 : -ENOENT;
}

unsigned vg_visible_lvs(const struct vg *vg)
{
	unsigned n = 0;

	for (unsigned i = 0; i < vg->nlv; i++)
		n += !!(vg->lv[i]->status & FLAG(LVF_VISIBLE));
	return n;
}

void vg_remove_lv(struct vg *vg, struct vg_lv *lv)
{
	for (unsigned i = 0; i < vg->nlv; i++)
		if (vg->lv[i] == lv) {
			memmove(&vg->lv[i], &vg->lv[i + 1], (vg->nlv - i - 1) * sizeof(*vg->lv));
			vg->nlv--;
			lv_free(lv);
			return;
		}
}

int vg_add_pv(struct vg *vg, struct vg_pv **out, struct err *e)
{
	struct vg_pv **n = realloc(vg->pv, (vg->npv + 1) * sizeof(*n));

	if (!n)
		return err_set(e, -ENOMEM, "out of memory");
	vg->pv = n;
	if (!(vg->pv[vg->npv] = calloc(1, sizeof(**n))))
		return err_set(e, -ENOMEM, "out of memory");
	*out = vg->pv[vg->npv++];
	return 0;
}

void seg_renumber_pv_legs(const struct vg *vg, struct cfg_node *sn, const struct lv_seg *s)
{
	struct cfg_node *m = cfg_find(sn, "mirrors");
	unsigned k = 0;
	char key[32];

	for (unsigned i = 0; m && m->type == CFG_ARRAY && i + 1 < m->nitems && k < s->narea; i += 2)
		if (m->items[i].type == CFG_STRING && !vg_find_lv(vg, m->items[i].s)) {
			for (unsigned p = 0; p < vg->npv; p++)
				if (vg->pv[p] == s->area[k].pv)
					snprintf(key, sizeof(key), "pv%u", p);
			k++;
			cfg_value_set_str(sn->tree, &m->items[i], key);
		}
}

void vg_remove_pv(struct vg *vg, struct vg_pv *pv)
{
	for (unsigned i = 0; i < vg->npv; i++)
		if (vg->pv[i] == pv) {
			memmove(&vg->pv[i], &vg->pv[i + 1], (vg->npv - i - 1) * sizeof(*vg->pv));
			vg->npv--;
			pvm_free(pv);
			break;
		}
	for (unsigned l = 0; l < vg->nlv; l++)
		for (unsigned i = 0; i < vg->lv[l]->nseg; i++)
			if (vg->lv[l]->seg[i].raw && vg->lv[l]->seg[i].narea)
				seg_renumber_pv_legs(vg, vg->lv[l]->seg[i].raw, &vg->lv[l]->seg[i]);
}

int lv_add_striped(struct vg_lv *lv, unsigned narea, const struct lv_area *areas,
		   uint32_t area_len, uint32_t stripe_size, struct err *e)
{
	struct lv_seg *n = realloc(lv->seg, (lv->nseg + 1) * sizeof(*n)), *s;

	if (!n)
		return err_set(e, -ENOMEM, "out of memory");
	lv->seg = n;
	s = &lv->seg[lv->nseg];
	memset(s, 0, sizeof(*s));
	s->le = lv->le_count;
	s->len = area_len * narea;
	s->striped = true;
	s->stripe_size = narea > 1 ? stripe_size : 0;
	s->narea = narea;
	if (!(s->type = strdup(segtype_striped.name)) || !(s->area = calloc(narea, sizeof(*s->area)))) {
		seg_free(s);
		return err_set(e, -ENOMEM, "out of memory");
	}
	memcpy(s->area, areas, narea * sizeof(*areas));
	s->st = &segtype_striped;
	lv->nseg++;
	lv->le_count += s->len;
	lv_merge(lv);
	return 0;
}

int lv_reduce(struct vg_lv *lv, uint32_t extents, struct err *e)
{
	if (extents > lv->le_count)
		return err_set(e, -EINVAL, "cannot reduce LV %s by %u of its %u extents", lv->name,
			       extents, lv->le_count);
	while (extents) {
		struct lv_seg *s = &lv->seg[lv->nseg - 1];

		if (s->len <= extents) {
			extents -= s->len;
			lv->le_count -= s->len;
			seg_free(s);
			lv->nseg--;
			continue;
		}
		if (!s->striped)
			return err_set(e, -EOPNOTSUPP, "cannot reduce a %s segment", s->type);
		if (extents % s->narea)
			return err_set(e, -EINVAL, "LV %s: reduction by %u extents is not a multiple of its %u stripes",
				       lv->name, extents, s->narea);
		s->len -= extents;
		lv->le_count -= extents;
		extents = 0;
	}
	return 0;
}

const char *lv_unservable_type(const struct vg_lv *lv)
{
	for (unsigned i = 0; i < lv->nseg; i++)
		if (!seg_can_activate(&lv->seg[i]))
			return lv->seg[i].type;
	return NULL;
}

bool lv_uses_pv(const struct vg_lv *lv, const struct vg_pv *pv)
{
	for (unsigned i = 0; i < lv->nseg; i++)
		for (unsigned j = 0; j < lv->seg[i].narea; j++)
			if (lv->seg[i].area[j].pv == pv)
				return true;
	return false;
}

uint32_t vg_pv_used(const struct vg *vg, const struct vg_pv *pv)
{
	uint32_t used = 0;

	for (unsigned l = 0; l < vg->nlv; l++)
		for (unsigned i = 0; i < vg->lv[l]->nseg; i++) {
			const struct lv_seg *s = &vg->lv[l]->seg[i];

			for (unsigned j = 0; j < s->narea; j++)
				if (s->area[j].pv == pv)
					used += seg_area_len(s);
		}
	return used;
}

uint64_t vg_total_extents(const struct vg *vg)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < vg->npv; i++)
		n += vg->pv[i]->pe_count;
	return n;
}

uint64_t vg_free_extents(const struct vg *vg)
{
	uint64_t n;

	/* One pass over the LVs (lvs calls this per row of a VG of 1,000s). */
	n = vg_total_extents(vg);
	for (unsigned l = 0; l < vg->nlv; l++)
		for (unsigned i = 0; i < vg->lv[l]->nseg; i++) {
			const struct lv_seg *s = &vg->lv[l]->seg[i];

			for (unsigned j = 0; j < s->narea; j++)
				if (s->area[j].pv)
					n -= seg_area_len(s);
		}
	return n;
}
