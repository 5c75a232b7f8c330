/* Extent allocation and lvm2 size arguments.  See alloc.h. */
#include "lvm/alloc.h"
#include "lvm/devices.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct iv {
	uint32_t pe, len;
};

/* The free areas of one PV. */
struct fpv {
	struct vg_pv *pv;
	unsigned n;
	struct iv *iv;
};

struct fmap {
	unsigned n;
	struct fpv *p;
};

static void fmap_free(struct fmap *m)
{
	for (unsigned i = 0; i < m->n; i++)
		free(m->p[i].iv);
	free(m->p);
}

static int iv_cmp(const void *a, const void *b)
{
	const struct iv *x = a, *y = b;

	return x->pe < y->pe ? -1 : x->pe > y->pe;
}

/* Remove [pe, pe+len) from @f (it may span several areas or none). */
static int fpv_take(struct fpv *f, uint32_t pe, uint32_t len)
{
	uint64_t end = (uint64_t)pe + len;

	for (unsigned i = 0; i < f->n; i++) {
		struct iv *v = &f->iv[i];
		uint64_t vend = (uint64_t)v->pe + v->len;

		if (vend <= pe || v->pe >= end)
			continue;
		if (v->pe < pe && vend > end) { /* split */
			struct iv *n = realloc(f->iv, (f->n + 1) * sizeof(*n));

			if (!n)
				return -ENOMEM;
			f->iv = n;
			v = &f->iv[i];
			memmove(&f->iv[i + 2], &f->iv[i + 1], (f->n - i - 1) * sizeof(*n));
			f->iv[i + 1] = (struct iv){ (uint32_t)end, (uint32_t)(vend - end) };
			v->len = pe - v->pe;
			f->n++;
			return 0;
		}
		if (v->pe >= pe && vend <= end) {
			v->len = 0;
		} else if (v->pe < pe) {
			v->len = pe - v->pe;
		} else {
			v->len = (uint32_t)(vend - end);
			v->pe = (uint32_t)end;
		}
	}
	/* drop empty areas */
	unsigned w = 0;
	for (unsigned i = 0; i < f->n; i++)
		if (f->iv[i].len)
			f->iv[w++] = f->iv[i];
	f->n = w;
	return 0;
}

static int fmap_build(const struct vg *vg, const struct alloc_req *req, struct fmap *m)
{
	memset(m, 0, sizeof(*m));
	if (!(m->p = calloc(vg->npv + 1, sizeof(*m->p))))
		return -ENOMEM;
	for (unsigned i = 0; i < vg->npv; i++) {
		struct vg_pv *pv = vg->pv[i];
		struct fpv *f = &m->p[m->n];
		bool listed = !req->ranges;

		for (unsigned k = 0; k < req->nranges; k++)
			listed |= req->ranges[k].pv == pv;
		if (!listed || !pv->pv || !(pv->status & FLAG(PVF_ALLOCATABLE)) || !pv->pe_count)
			continue;
		f->pv = pv;
		m->n++;
		/* Allowed areas first, then the used extents taken out. */
		if (!req->ranges) {
			if (!(f->iv = malloc(sizeof(*f->iv))))
				return -ENOMEM;
			f->iv[f->n++] = (struct iv){ 0, pv->pe_count };
		} else {
			for (unsigned k = 0; k < req->nranges; k++) {
				const struct alloc_range *r = &req->ranges[k];
				uint32_t last = r->last < pv->pe_count ? r->last : pv->pe_count - 1;
				struct iv *n;

				if (r->pv != pv || r->first > last)
					continue;
				if (!(n = realloc(f->iv, (f->n + 1) * sizeof(*n))))
					return -ENOMEM;
				f->iv = n;
				f->iv[f->n++] = (struct iv){ r->first, last - r->first + 1 };
			}
			qsort(f->iv, f->n, sizeof(*f->iv), iv_cmp);
			/* merge overlapping ranges */
			unsigned w = 0;
			for (unsigned k = 0; k < f->n; k++) {
				if (w && f->iv[w - 1].pe + f->iv[w - 1].len >= f->iv[k].pe) {
					uint32_t e1 = f->iv[w - 1].pe + f->iv[w - 1].len,
						 e2 = f->iv[k].pe + f->iv[k].len;

					f->iv[w - 1].len = (e1 > e2 ? e1 : e2) - f->iv[w - 1].pe;
				} else {
					f->iv[w++] = f->iv[k];
				}
			}
			f->n = w;
		}
		for (unsigned l = 0; l < vg->nlv; l++)
			for (unsigned s = 0; s < vg->lv[l]->nseg; s++) {
				const struct lv_seg *sg = &vg->lv[l]->seg[s];

				for (unsigned a = 0; a < sg->narea; a++)
					if (sg->area[a].pv == pv &&
					    fpv_take(f, sg->area[a].pe, seg_area_len(sg)))
						return -ENOMEM;
			}
	}
	return 0;
}

static struct fpv *fmap_pv(struct fmap *m, const struct vg_pv *pv)
{
	for (unsigned i = 0; i < m->n; i++)
		if (m->p[i].pv == pv)
			return &m->p[i];
	return NULL;
}

/* Free extents starting exactly at @pe on @pv. */
static uint32_t free_at(struct fmap *m, const struct vg_pv *pv, uint32_t pe)
{
	struct fpv *f = fmap_pv(m, pv);

	for (unsigned i = 0; f && i < f->n; i++)
		if (f->iv[i].pe <= pe && f->iv[i].pe + f->iv[i].len > pe)
			return f->iv[i].pe + f->iv[i].len - pe;
	return 0;
}

uint64_t alloc_free_extents(const struct vg *vg, const struct alloc_req *req)
{
	struct fmap m;
	uint64_t n = 0;

	if (!fmap_build(vg, req, &m))
		for (unsigned i = 0; i < m.n; i++)
			for (unsigned k = 0; k < m.p[i].n; k++)
				n += m.p[i].iv[k].len;
	fmap_free(&m);
	return n;
}

/* The largest free area whose PV is not in @avoid (PV order breaks ties). */
static bool largest(struct fmap *m, struct vg_pv *const *avoid, unsigned navoid, struct fpv **fp,
		    struct iv *out)
{
	bool found = false;

	for (unsigned i = 0; i < m->n; i++) {
		bool skip = false;

		for (unsigned a = 0; a < navoid; a++)
			skip |= avoid[a] == m->p[i].pv;
		if (skip)
			continue;
		for (unsigned k = 0; k < m->p[i].n; k++)
			if (!found || m->p[i].iv[k].len > out->len) {
				*out = m->p[i].iv[k];
				*fp = &m->p[i];
				found = true;
			}
	}
	return found;
}

int alloc_policy_parse(const char *s, enum alloc_policy *p, struct err *e)
{
	if (!strcmp(s, "normal") || !strcmp(s, "inherit"))
		*p = ALLOC_NORMAL;
	else if (!strcmp(s, "contiguous"))
		*p = ALLOC_CONTIGUOUS;
	else if (!strcmp(s, "anywhere"))
		*p = ALLOC_ANYWHERE;
	else if (!strcmp(s, "cling") || !strcmp(s, "cling_by_tags"))
		return err_set(e, -EOPNOTSUPP, "allocation policy %s is not implemented yet", s);
	else
		return err_set(e, -EINVAL, "unknown allocation policy \"%s\"", s);
	return 0;
}

static int extend(struct vg *vg, struct vg_lv *lv, const struct alloc_req *req, struct fmap *m,
		  struct err *e)
{
	unsigned ns = req->stripes ? req->stripes : 1;
	uint32_t left = req->extents / ns; /* per stripe */
	struct lv_area area[64];
	struct vg_pv *used[64];
	int r;

	if (ns > 64)
		return err_set(e, -EINVAL, "at most 64 stripes");
	if (!req->extents || req->extents % ns)
		return err_set(e, -EINVAL, "%u extents cannot be split over %u stripes", req->extents, ns);
	/* 1. Continue the last segment in place. */
	if (lv->nseg) {
		const struct lv_seg *s = &lv->seg[lv->nseg - 1];
		uint32_t n = left;

		if (s->striped && s->narea == ns && seg_on_pvs(s) && (ns == 1 || s->stripe_size == req->stripe_size)) {
			for (unsigned k = 0; k < ns; k++) {
				uint32_t f = free_at(m, s->area[k].pv, s->area[k].pe + s->len / ns);

				n = f < n ? f : n;
				area[k] = (struct lv_area){ s->area[k].pv, s->area[k].pe + s->len / ns, NULL };
			}
			if (req->policy == ALLOC_CONTIGUOUS && n < left)
				return err_set(e, -ENOSPC, "LV %s: not enough free extents right after its "
					       "last segment for contiguous allocation (%u of %u)",
					       lv->name, n * ns, req->extents);
			if (n) {
				for (unsigned k = 0; k < ns; k++)
					if (fpv_take(fmap_pv(m, area[k].pv), area[k].pe, n))
						return err_set(e, -ENOMEM, "out of memory");
				if ((r = lv_add_striped(lv, ns, area, n, req->stripe_size, e)))
					return r;
				left -= n;
			}
		} else if (req->policy == ALLOC_CONTIGUOUS) {
			return err_set(e, -ENOSPC, "LV %s: contiguous allocation cannot follow its last segment",
				       lv->name);
		}
	}
	/* 2. Largest areas first, one per stripe on distinct PVs. */
	while (left) {
		uint32_t n = left;
		struct fpv *fp[64];
		struct iv iv[64];

		for (unsigned k = 0; k < ns; k++) {
			if (!largest(m, used, req->policy == ALLOC_ANYWHERE ? 0 : k, &fp[k], &iv[k])) {
				if (ns > 1 && req->policy != ALLOC_ANYWHERE)
					return err_set(e, -ENOSPC, "insufficient suitable allocatable extents: "
						       "%u stripes need %u PVs with free space", ns, ns);
				return err_set(e, -ENOSPC, "Insufficient free space: %u extents needed, but only %u available",
					       req->extents, req->extents - left * ns);
			}
			used[k] = fp[k]->pv;
			/* "anywhere": stripes on one PV must not overlap */
			if (req->policy == ALLOC_ANYWHERE)
				fpv_take(fp[k], iv[k].pe, iv[k].len);
			n = iv[k].len < n ? iv[k].len : n;
		}
		if (req->policy == ALLOC_ANYWHERE) /* give back the unused tails */
			for (unsigned k = 0; k < ns; k++) {
				struct iv *nv = realloc(fp[k]->iv, (fp[k]->n + 1) * sizeof(*nv));

				if (!nv)
					return err_set(e, -ENOMEM, "out of memory");
				fp[k]->iv = nv;
				fp[k]->iv[fp[k]->n++] = (struct iv){ iv[k].pe, iv[k].len };
				qsort(fp[k]->iv, fp[k]->n, sizeof(*nv), iv_cmp);
			}
		if (req->policy == ALLOC_CONTIGUOUS && n < left)
			return err_set(e, -ENOSPC, "insufficient contiguous free space: %u extents needed",
				       req->extents);
		for (unsigned k = 0; k < ns; k++) {
			area[k] = (struct lv_area){ fp[k]->pv, iv[k].pe, NULL };
			if (fpv_take(fp[k], iv[k].pe, n))
				return err_set(e, -ENOMEM, "out of memory");
		}
		if ((r = lv_add_striped(lv, ns, area, n, req->stripe_size, e)))
			return r;
		left -= n;
	}
	(void)vg;
	return 0;
}

int alloc_extend(struct vg *vg, struct vg_lv *lv, const struct alloc_req *req, struct err *e)
{
	uint32_t old = lv->le_count;
	struct fmap m;
	int r;

	if ((r = fmap_build(vg, req, &m))) {
		fmap_free(&m);
		return err_set(e, r, "out of memory");
	}
	r = extend(vg, lv, req, &m, e);
	fmap_free(&m);
	if (r && lv->le_count > old) {
		struct err ignore = { { 0 } };

		lv_reduce(lv, lv->le_count - old, &ignore);
	}
	return r;
}

/* ---- arguments ---- */

static int unit_shift(char u, unsigned *shift)
{
	switch (tolower((unsigned char)u)) {
	case 'b': *shift = 0; return 0;
	case 's': *shift = 9; return 0;
	case 'k': *shift = 10; return 0;
	case 'm': *shift = 20; return 0;
	case 'g': *shift = 30; return 0;
	case 't': *shift = 40; return 0;
	case 'p': *shift = 50; return 0;
	case 'e': *shift = 60; return 0;
	}
	return -EINVAL;
}

int lvm_parse_size(const char *s, char def_unit, char *sign, uint64_t *sectors, struct err *e)
{
	const char *p = s;
	char *end;
	unsigned shift;
	long double v;

	*sign = 0;
	if (*p == '+' || *p == '-')
		*sign = *p++;
	if (!isdigit((unsigned char)*p) && *p != '.')
		return err_set(e, -EINVAL, "invalid size \"%s\"", s);
	errno = 0;
	v = strtold(p, &end);
	if (errno || end == p)
		return err_set(e, -EINVAL, "invalid size \"%s\"", s);
	if (*end) {
		if (unit_shift(*end, &shift) || (end[1] && !(tolower((unsigned char)end[1]) == 'b' && !end[2] &&
							     tolower((unsigned char)*end) != 'b')))
			return err_set(e, -EINVAL, "invalid size \"%s\": unknown unit", s);
	} else if (unit_shift(def_unit, &shift)) {
		return err_set(e, -EINVAL, "invalid default unit");
	}
	v = v * (long double)(UINT64_C(1) << shift) / 512;
	if (v < 0 || v > (long double)(UINT64_MAX / 2))
		return err_set(e, -ERANGE, "size \"%s\" is out of range", s);
	*sectors = (uint64_t)v;
	if ((long double)*sectors < v)
		(*sectors)++;
	return 0;
}

int lvm_parse_extents(const char *s, struct ext_arg *a, struct err *e)
{
	const char *p = s;
	char *end;

	memset(a, 0, sizeof(*a));
	if (*p == '+' || *p == '-')
		a->sign = *p++;
	if (!isdigit((unsigned char)*p))
		return err_set(e, -EINVAL, "invalid extent count \"%s\"", s);
	errno = 0;
	a->n = strtoull(p, &end, 10);
	if (errno)
		return err_set(e, -ERANGE, "extent count \"%s\" is out of range", s);
	if (!*end)
		return 0;
	if (!strcasecmp(end, "%FREE"))
		a->pct = PCT_FREE;
	else if (!strcasecmp(end, "%VG"))
		a->pct = PCT_VG;
	else if (!strcasecmp(end, "%PVS"))
		a->pct = PCT_PVS;
	else if (!strcasecmp(end, "%ORIGIN"))
		a->pct = PCT_ORIGIN;
	else if (!strcasecmp(end, "%LV"))
		a->pct = PCT_LV;
	else
		return err_set(e, -EINVAL, "invalid extent count \"%s\"", s);
	if (a->n > 100 && a->pct != PCT_ORIGIN && a->pct != PCT_LV)
		return err_set(e, -EINVAL, "percentage %llu is over 100", (unsigned long long)a->n);
	return 0;
}

/* One number of a PE range at *@c, moving *@c past it. */
static bool pe_number(const char **c, uint32_t *v)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(*c, &end, 10);
	if (errno || end == *c || x > UINT32_MAX)
		return false;
	*v = (uint32_t)x;
	*c = end;
	return true;
}

/* lvm2's _parse_pes: PV, or PV followed by :RANGE..., a RANGE being N,
 * N-M, N-, -M, N+LEN or N+ (missing ends: the PV's first and last PE);
 * ranges past the PV, empty ones (PV: or PV::) and overlapping ones are
 * refused in lvm2's words. */
int alloc_parse_pv_arg(const struct vg *vg, const char *arg, struct alloc_range **r, unsigned *n,
		       struct err *e)
{
	char *copy = strdup(arg), *colon, real[PATH_MAX];
	const char *c;
	struct vg_pv *pv;
	unsigned first_new = *n;
	int ret = 0;

	if (!copy)
		return err_set(e, -ENOMEM, "out of memory");
	if ((colon = strchr(copy, ':')))
		*colon = 0;
	if (lvm_canon_path(copy, real, sizeof(real)) || !(pv = vg_find_pv_path(vg, real))) {
		ret = err_set(e, -ENOENT, "%s is not a PV of VG %s", copy, vg->name);
		goto out;
	}
	c = colon ? arg + (colon - copy) : NULL;
	do {
		uint32_t first = 0, last = pv->pe_count ? pv->pe_count - 1 : 0, len;
		struct alloc_range *nr;

		if (c) {
			if (*c != ':' || c[1] == ':' || !c[1]) {
				ret = err_set(e, -EINVAL, "Physical extent parsing error at %s.", *c == ':' ? c + 1 : c);
				goto out;
			}
			c++;
			if (*c >= '0' && *c <= '9') {
				if (!pe_number(&c, &first))
					goto bad;
				if (!*c || *c == ':')
					last = first;
			}
			if (*c == '-') {
				c++;
				if (*c >= '0' && *c <= '9' && !pe_number(&c, &last))
					goto bad;
			} else if (*c == '+') {
				c++;
				if (*c >= '0' && *c <= '9') {
					if (!pe_number(&c, &len))
						goto bad;
					last = first + (len ? len - 1 : 0);
				}
			}
			if (*c && *c != ':')
				goto bad;
			if (first > last || last > pv->pe_count - 1 || !pv->pe_count) {
				ret = err_set(e, -EINVAL, "PE range error: start extent %u to end extent %u.", first, last);
				goto out;
			}
		}
		for (unsigned k = 0; k < *n; k++) /* lvm2's _add_pe_range */
			if ((*r)[k].pv == pv && first <= (*r)[k].last && (*r)[k].first <= last) {
				ret = err_set(e, -EINVAL, "Overlapping PE ranges specified (%u-%u, %u-%u) on %s.", first,
					      last, (*r)[k].first, (*r)[k].last, pv->path ? pv->path : copy);
				goto out;
			}
		if (!(nr = realloc(*r, (*n + 1) * sizeof(*nr)))) {
			ret = err_set(e, -ENOMEM, "out of memory");
			goto out;
		}
		*r = nr;
		nr[(*n)++] = (struct alloc_range){ pv, first, last };
	} while (c && *c);
	goto out;
bad:
	ret = err_set(e, -EINVAL, "Physical extent parsing error at %s.", c);
out:
	if (ret)
		*n = first_new;
	free(copy);
	return ret;
}
