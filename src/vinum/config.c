/* The vinum(8) configuration language.  See vinum.h.
 *
 * One statement per line: `drive`, `volume` (`vol`), `plex`, `sd`
 * (`subdisk`), keywords and values separated by blanks, `#` to the end of
 * the line, values may be quoted.  A plex belongs to the last volume of the
 * file unless it names one, a subdisk to the last plex; unnamed objects are
 * <volume>.p<N> and <plex>.s<N>, N counting the parent's members.  Subdisks
 * are placed as gvinum places them: length 0 is the largest free area of
 * the drive, no driveoffset the first free area that holds the length (from
 * sector 265 on), no plexoffset after the plex's last subdisk (concat) or
 * at N x stripe size (striped, raid5); striped and raid5 subdisks are cut
 * to a multiple of the stripe size and to the smallest of the plex.
 *
 * New objects start up; a plex added to a volume that had plexes before
 * this text starts `initializing` with its subdisks `empty` (revived from
 * the others), as does a raid5 plex (`init`, its parity not yet written):
 * map.c makes the targets rebuild them and store.c records `up` once they
 * are in sync.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vinum/vinum.h"

#define MAX_TOKENS 64

void vn_conf_free(struct vn_conf *c)
{
	free(c->drive);
	free(c->vol);
	free(c->plex);
	free(c->sd);
	memset(c, 0, sizeof(*c));
}

#define DUP(field, n)                                                                  \
	do {                                                                           \
		if (src->n && !(dst->field = malloc(src->n * sizeof(*src->field))))   \
			goto nomem;                                                    \
		if (src->n)                                                            \
			memcpy(dst->field, src->field, src->n * sizeof(*src->field)); \
		dst->n = src->n;                                                       \
	} while (0)

int vn_conf_copy(struct vn_conf *dst, const struct vn_conf *src)
{
	memset(dst, 0, sizeof(*dst));
	DUP(drive, ndrive);
	DUP(vol, nvol);
	DUP(plex, nplex);
	DUP(sd, nsd);
	return 0;
nomem:
	vn_conf_free(dst);
	return -ENOMEM;
}

#define FIND(type, arr, n)                                      \
	for (unsigned i = 0; i < c->n; i++)                     \
		if (!strcmp(c->arr[i].name, name))              \
			return &c->arr[i];                      \
	return NULL

struct vn_drive *vn_find_drive(const struct vn_conf *c, const char *name) { FIND(drive, drive, ndrive); }
struct vn_volume *vn_find_vol(const struct vn_conf *c, const char *name) { FIND(vol, vol, nvol); }
struct vn_plex *vn_find_plex(const struct vn_conf *c, const char *name) { FIND(plex, plex, nplex); }
struct vn_sd *vn_find_sd(const struct vn_conf *c, const char *name) { FIND(sd, sd, nsd); }

bool vn_name_taken(const struct vn_conf *c, const char *name)
{
	return vn_find_drive(c, name) || vn_find_vol(c, name) || vn_find_plex(c, name) || vn_find_sd(c, name);
}

/* The subdisks of @p in plexoffset order. */
unsigned vn_plex_sds(const struct vn_conf *c, const struct vn_plex *p, const struct vn_sd **out, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->nsd; i++) {
		const struct vn_sd *s = &c->sd[i];
		unsigned k;

		if (strcmp(s->plex, p->name) || n == max)
			continue;
		for (k = n; k > 0 && out[k - 1]->plexoffset > s->plexoffset; k--)
			out[k] = out[k - 1];
		out[k] = s;
		n++;
	}
	return n;
}

unsigned vn_vol_plexes(const struct vn_conf *c, const struct vn_volume *v, const struct vn_plex **out,
		       unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->nplex && n < max; i++)
		if (!strcmp(c->plex[i].vol, v->name))
			out[n++] = &c->plex[i];
	return n;
}

#define MAX_MEMBERS 256

bool vn_sd_left_out(const char *state)
{
	return !strcmp(state, "down") || !strcmp(state, "stale") || !strcmp(state, "crashed");
}

uint64_t vn_plex_size(const struct vn_conf *c, const struct vn_plex *p)
{
	const struct vn_sd *sd[MAX_MEMBERS];
	unsigned n = vn_plex_sds(c, p, sd, MAX_MEMBERS);
	uint64_t sum = 0, min = UINT64_MAX;

	for (unsigned i = 0; i < n; i++) {
		sum += sd[i]->len;
		if (sd[i]->len < min)
			min = sd[i]->len;
	}
	if (!n)
		return 0;
	return p->org == VN_CONCAT ? sum : p->org == VN_STRIPED ? n * min : n > 1 ? (n - 1) * min : 0;
}

uint64_t vn_vol_size(const struct vn_conf *c, const struct vn_volume *v)
{
	const struct vn_plex *p[MAX_MEMBERS];
	unsigned n = vn_vol_plexes(c, v, p, MAX_MEMBERS);
	uint64_t min = 0;

	for (unsigned i = 0; i < n; i++) {
		uint64_t s = vn_plex_size(c, p[i]);

		if (!i || s < min)
			min = s;
	}
	return min;
}

uint64_t vn_drive_free(const struct vn_conf *c, const struct vn_drive *d)
{
	uint64_t used = 0;

	for (unsigned i = 0; i < c->nsd; i++)
		if (!strcmp(c->sd[i].drive, d->name))
			used += c->sd[i].len;
	return d->size > VN_DATA_START + used ? d->size - VN_DATA_START - used : 0;
}

int vn_sizespec(const char *s, int64_t *out)
{
	char *end;
	long long v;
	int64_t mul = 1;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (end == s || errno)
		return -EINVAL;
	switch (*end) {
	case 0:
		break;
	case 's': case 'S': case 'b': case 'B':
		mul = 512;
		break;
	case 'k': case 'K':
		mul = 1024;
		break;
	case 'm': case 'M':
		mul = 1 << 20;
		break;
	case 'g': case 'G':
		mul = 1 << 30;
		break;
	default:
		return -EINVAL;
	}
	if (*end && end[1])
		return -EINVAL;
	if (v > INT64_MAX / mul || v < INT64_MIN / mul)
		return -ERANGE;
	*out = v * mul;
	return 0;
}

/* Split @line into tokens (in place); -EINVAL on an unclosed quote or a
 * closing quote not followed by a blank. */
static int tokenize(char *line, char **tok, int max, int *n)
{
	char *p = line;

	*n = 0;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (!*p || *p == '#')
			return 0;
		if (*n == max)
			return -E2BIG;
		if (*p == '\'' || *p == '"') {
			char q = *p++;

			tok[(*n)++] = p;
			while (*p && *p != q)
				p++;
			if (!*p)
				return -EINVAL;
			*p++ = 0;
			if (*p && *p != ' ' && *p != '\t')
				return -EINVAL;
		} else {
			tok[(*n)++] = p;
			while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
				p++;
			if (*p)
				*p++ = 0;
		}
	}
}

struct pstate {
	struct vn_conf *c;
	const struct vn_conf *before; /* objects known before this text */
	bool ondisk;
	vn_size_fn size_of;
	char last_vol[VN_NAME_MAX], last_plex[VN_NAME_MAX];
	const char *where;
	unsigned line;
	struct err *e;
};

static int bad(struct pstate *s, int r, const char *fmt, const char *a, const char *b)
{
	char msg[2 * VN_PATH_MAX + 256];

	snprintf(msg, sizeof(msg), fmt, a, b);
	return err_set(s->e, r, "%s:%u: %s", s->where, s->line, msg);
}

static void *grow(void **arr, unsigned n, size_t size)
{
	void *p = realloc(*arr, (n + 1) * size);

	if (p) {
		*arr = p;
		memset((char *)p + n * size, 0, size);
	}
	return p ? (char *)p + n * size : NULL;
}

static int name_ok(struct pstate *s, const char *name, size_t max, const char *what)
{
	if (!*name || strlen(name) >= max)
		return bad(s, -EINVAL, "%s name \"%s\" is empty or too long", what, name);
	for (const char *p = name; *p; p++)
		if (!isprint((unsigned char)*p) || *p == '/' || *p == ' ')
			return bad(s, -EINVAL, "%s name \"%s\" has a character vinum names cannot hold", what, name);
	return 0;
}

static int state_ok(struct pstate *s, const char *v, char *out)
{
	if (strlen(v) >= VN_STATE_MAX)
		return bad(s, -EINVAL, "state \"%s\" is not one of vinum's%s", v, "");
	snprintf(out, VN_STATE_MAX, "%s", v);
	return 0;
}

static int size_val(struct pstate *s, const char *kw, const char *v, int64_t *out, bool allow_zero)
{
	if (!v)
		return bad(s, -EINVAL, "%s needs a value%s", kw, "");
	if (vn_sizespec(v, out) || *out < 0 || (!allow_zero && !*out) || *out % 512)
		return bad(s, -EINVAL, "%s: invalid size \"%s\" (bytes, or s, k, m, g; a multiple of 512)", kw, v);
	return 0;
}

static int st_drive(struct pstate *s, char **t, int n)
{
	const char *name = NULL, *dev = NULL, *state = "up";
	struct vn_drive *d;
	int r;

	for (int i = 1; i < n; i++) {
		if (!strcmp(t[i], "device") && i + 1 < n)
			dev = t[++i];
		else if (!strcmp(t[i], "state") && i + 1 < n)
			state = t[++i];
		else if (!strcmp(t[i], "device") || !strcmp(t[i], "state") || !strcmp(t[i], "hotspare"))
			return bad(s, -EINVAL, "drive: \"%s\" %s", t[i],
				   strcmp(t[i], "hotspare") ? "needs a value" : "is not supported");
		else if (!name)
			name = t[i];
		else
			return bad(s, -EINVAL, "drive: unknown keyword \"%s\"%s", t[i], "");
	}
	if (!name)
		return bad(s, -EINVAL, "drive: no name%s%s", "", "");
	if ((r = name_ok(s, name, VN_DRIVE_NAME_MAX, "drive")))
		return r;
	if (!dev)
		return bad(s, -EINVAL, "drive %s: no device%s", name, "");
	if (strlen(dev) >= VN_PATH_MAX)
		return bad(s, -ENAMETOOLONG, "drive %s: device path too long%s", name, "");
	if ((d = vn_find_drive(s->c, name))) {
		if (d->path[0])
			return bad(s, -EEXIST, "drive %s already exists (device %s)", name, d->path);
	} else {
		if (vn_name_taken(s->c, name))
			return bad(s, -EEXIST, "the name %s is taken%s", name, "");
		if (!(d = grow((void **)&s->c->drive, s->c->ndrive, sizeof(*d))))
			return -ENOMEM;
		s->c->ndrive++;
		snprintf(d->name, sizeof(d->name), "%.*s", (int)sizeof(d->name) - 1, name);
	}
	for (unsigned i = 0; i < s->c->ndrive; i++)
		if (s->c->drive[i].path[0] && !strcmp(s->c->drive[i].path, dev))
			return bad(s, -EEXIST, "device %s is drive %s already", dev, s->c->drive[i].name);
	snprintf(d->path, sizeof(d->path), "%.*s", (int)sizeof(d->path) - 1, dev);
	if ((r = state_ok(s, state, d->state)))
		return r;
	if (s->size_of && (r = s->size_of(d->path, &d->size, s->e)))
		return err_set(s->e, r, "%s:%u: drive %s", s->where, s->line, name);
	if (d->size && d->size < VN_DATA_START + (1u << 20))
		return bad(s, -ENOSPC, "drive %s: device %s is smaller than 1 MiB past vinum's header area", name,
			   dev);
	return 0;
}

static int st_volume(struct pstate *s, char **t, int n)
{
	const char *name = NULL, *state = "up";
	struct vn_volume *v;
	int r;

	for (int i = 1; i < n; i++) {
		if (!strcmp(t[i], "state") && i + 1 < n)
			state = t[++i];
		else if (!strcmp(t[i], "readpol") && i + 1 < n)
			i += !strcmp(t[i + 1], "prefer") ? 2 : 1; /* every plex serves reads here */
		else if (!strcmp(t[i], "setupstate"))
			;
		else if (!name && strcmp(t[i], "state") && strcmp(t[i], "readpol"))
			name = t[i];
		else
			return bad(s, -EINVAL, "volume: unknown keyword \"%s\"%s", t[i], "");
	}
	if (!name)
		return bad(s, -EINVAL, "volume: no name%s%s", "", "");
	if ((r = name_ok(s, name, VN_NAME_MAX, "volume")))
		return r;
	if ((v = vn_find_vol(s->c, name))) {
		/* known from a newer drive's copy: that one's state stands */
		if (!s->ondisk)
			return bad(s, -EEXIST, "volume %s already exists%s", name, "");
	} else {
		if (vn_name_taken(s->c, name))
			return bad(s, -EEXIST, "the name %s is taken%s", name, "");
		if (!(v = grow((void **)&s->c->vol, s->c->nvol, sizeof(*v))))
			return -ENOMEM;
		s->c->nvol++;
		snprintf(v->name, sizeof(v->name), "%.*s", (int)sizeof(v->name) - 1, name);
		if ((r = state_ok(s, state, v->state)))
			return r;
	}
	snprintf(s->last_vol, sizeof(s->last_vol), "%.*s", (int)sizeof(s->last_vol) - 1, name);
	s->last_plex[0] = 0;
	return 0;
}

static unsigned count_plexes(const struct vn_conf *c, const char *vol)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->nplex; i++)
		n += !strcmp(c->plex[i].vol, vol);
	return n;
}

static unsigned count_sds(const struct vn_conf *c, const char *plex)
{
	unsigned n = 0;

	for (unsigned i = 0; i < c->nsd; i++)
		n += !strcmp(c->sd[i].plex, plex);
	return n;
}

static int st_plex(struct pstate *s, char **t, int n)
{
	/* a saved plex names its volume, or is detached */
	const char *name = NULL, *vol = s->ondisk ? "" : s->last_vol, *state = NULL;
	enum vn_org org = VN_CONCAT;
	bool have_org = false;
	int64_t stripe = 0;
	struct vn_plex *p;
	char defname[VN_NAME_MAX + 16];
	int r;

	for (int i = 1; i < n; i++) {
		if (!strcmp(t[i], "name") && i + 1 < n)
			name = t[++i];
		else if ((!strcmp(t[i], "vol") || !strcmp(t[i], "volume")) && i + 1 < n)
			vol = t[++i];
		else if (!strcmp(t[i], "state") && i + 1 < n)
			state = t[++i];
		else if (!strcmp(t[i], "org") && i + 1 < n) {
			const char *o = t[++i];

			have_org = true;
			if (!strcmp(o, "concat"))
				org = VN_CONCAT;
			else if (!strcmp(o, "striped") || !strcmp(o, "raid5")) {
				org = !strcmp(o, "striped") ? VN_STRIPED : VN_RAID5;
				if (i + 1 >= n || (r = size_val(s, o, t[i + 1], &stripe, false)))
					return i + 1 >= n ? bad(s, -EINVAL, "org %s needs a stripe size%s", o, "") : r;
				i++;
			} else
				return bad(s, -EINVAL, "plex: unknown organisation \"%s\" (concat, striped, raid5)%s", o,
					   "");
		} else
			return bad(s, -EINVAL, "plex: unknown keyword \"%s\"%s", t[i], "");
	}
	if (!have_org)
		return bad(s, -EINVAL, "plex: no org (concat, striped SIZE, raid5 SIZE)%s%s", "", "");
	if (*vol && !vn_find_vol(s->c, vol))
		return bad(s, -ENOENT, "plex: no volume %s%s", vol, "");
	if (!name) {
		if (!*vol)
			return bad(s, -EINVAL, "plex: no name and no volume to name it after%s%s", "", "");
		snprintf(defname, sizeof(defname), "%s.p%u", vol, count_plexes(s->c, vol));
		name = defname;
	}
	if ((r = name_ok(s, name, VN_NAME_MAX, "plex")))
		return r;
	if ((p = vn_find_plex(s->c, name))) {
		if (!s->ondisk)
			return bad(s, -EEXIST, "plex %s already exists%s", name, "");
	} else {
		bool added = *vol && count_plexes(s->c, vol) > 0 && !s->ondisk;

		if (vn_name_taken(s->c, name))
			return bad(s, -EEXIST, "the name %s is taken%s", name, "");
		if (!(p = grow((void **)&s->c->plex, s->c->nplex, sizeof(*p))))
			return -ENOMEM;
		s->c->nplex++;
		snprintf(p->name, sizeof(p->name), "%.*s", (int)sizeof(p->name) - 1, name);
		snprintf(p->vol, sizeof(p->vol), "%.*s", (int)sizeof(p->vol) - 1, vol);
		p->org = org;
		p->stripe = (uint64_t)stripe;
		if ((r = state_ok(s, state ? state : added ? "initializing" : org == VN_RAID5 && !s->ondisk ? "init" : "up",
				  p->state)))
			return r;
	}
	snprintf(s->last_plex, sizeof(s->last_plex), "%.*s", (int)sizeof(s->last_plex) - 1, name);
	return 0;
}

/* The first free area of @d from @from holding @len bytes (@len 0: the
 * largest); 0 or -ENOSPC. */
static int place(const struct vn_conf *c, const struct vn_drive *d, uint64_t len, uint64_t *off, uint64_t *got)
{
	uint64_t at = VN_DATA_START, best = 0, best_at = 0;

	for (;;) {
		uint64_t next = d->size; /* the start of the next subdisk from @at */

		for (unsigned i = 0; i < c->nsd; i++) {
			const struct vn_sd *x = &c->sd[i];

			if (strcmp(x->drive, d->name))
				continue;
			if (x->driveoffset <= at && at < x->driveoffset + x->len) {
				at = x->driveoffset + x->len;
				i = (unsigned)-1; /* again from the first */
				next = d->size;
				continue;
			}
			if (x->driveoffset > at && x->driveoffset < next)
				next = x->driveoffset;
		}
		if (at >= d->size)
			break;
		if (len && next - at >= len) {
			*off = at;
			*got = len;
			return 0;
		}
		if (next - at > best) {
			best = next - at;
			best_at = at;
		}
		at = next;
	}
	if (len || !best)
		return -ENOSPC;
	*off = best_at;
	*got = best;
	return 0;
}

static int st_sd(struct pstate *s, char **t, int n)
{
	const char *name = NULL, *drive = NULL, *plex = s->ondisk ? "" : s->last_plex, *state = NULL;
	int64_t len = 0, doff = -1, poff = -1;
	struct vn_sd *x;
	struct vn_plex *p;
	struct vn_drive *d;
	char defname[VN_NAME_MAX + 16];
	int r;

	for (int i = 1; i < n; i++) {
		const char *k = t[i], *v = i + 1 < n ? t[i + 1] : NULL;

		if (!strcmp(k, "name") && v)
			name = t[++i];
		else if (!strcmp(k, "drive") && v)
			drive = t[++i];
		else if (!strcmp(k, "plex") && v)
			plex = t[++i];
		else if (!strcmp(k, "state") && v)
			state = t[++i];
		else if (!strcmp(k, "len") || !strcmp(k, "length") || !strcmp(k, "size")) {
			if ((r = size_val(s, k, v, &len, true)))
				return r;
			i++;
		} else if (!strcmp(k, "driveoffset")) {
			if ((r = size_val(s, k, v, &doff, true)))
				return r;
			i++;
		} else if (!strcmp(k, "plexoffset")) {
			if ((r = size_val(s, k, v, &poff, true)))
				return r;
			i++;
		} else
			return bad(s, -EINVAL, "sd: unknown keyword \"%s\"%s", k, "");
	}
	if (!drive)
		return bad(s, -EINVAL, "sd: no drive%s%s", "", "");
	if (!(d = vn_find_drive(s->c, drive))) {
		if (!s->ondisk)
			return bad(s, -ENOENT, "sd: no drive %s%s", drive, "");
		/* a drive not seen yet: referenced, its device unknown */
		if (!(d = grow((void **)&s->c->drive, s->c->ndrive, sizeof(*d))))
			return -ENOMEM;
		s->c->ndrive++;
		snprintf(d->name, sizeof(d->name), "%.*s", (int)sizeof(d->name) - 1, drive);
		snprintf(d->state, sizeof(d->state), "down");
	}
	if (*plex && !(p = vn_find_plex(s->c, plex)))
		return bad(s, -ENOENT, "sd: no plex %s%s", plex, "");
	p = *plex ? vn_find_plex(s->c, plex) : NULL;
	if (!name) {
		if (!p)
			return bad(s, -EINVAL, "sd: no name and no plex to name it after%s%s", "", "");
		snprintf(defname, sizeof(defname), "%s.s%u", plex, count_sds(s->c, plex));
		name = defname;
	}
	if ((r = name_ok(s, name, VN_NAME_MAX, "sd")))
		return r;
	if ((x = vn_find_sd(s->c, name))) {
		if (!s->ondisk)
			return bad(s, -EEXIST, "sd %s already exists%s", name, "");
		return 0;
	}
	if (vn_name_taken(s->c, name))
		return bad(s, -EEXIST, "the name %s is taken%s", name, "");
	if (s->ondisk && (doff < 0 || (p && poff < 0) || !len))
		return bad(s, -EINVAL, "sd %s: a saved subdisk needs len, driveoffset and (in a plex) plexoffset%s",
			   name, "");
	if (!s->ondisk) {
		uint64_t off, got;

		if (!d->size)
			return bad(s, -ENODEV, "sd %s: drive %s has no device", name, drive);
		if (doff >= 0 && doff < VN_DATA_START)
			return bad(s, -EINVAL, "sd %s: driveoffset below vinum's header area (265s)%s", name, "");
		if (doff < 0) {
			if (place(s->c, d, (uint64_t)len, &off, &got))
				return bad(s, -ENOSPC, len ? "sd %s: no free area of that length on drive %s"
							   : "sd %s: drive %s is full", name, drive);
			doff = (int64_t)off;
			len = (int64_t)got;
		} else if (!len) {
			len = (int64_t)d->size - doff;
		}
		if (poff < 0 && p) {
			if (p->org == VN_CONCAT) {
				const struct vn_sd *m[MAX_MEMBERS];
				unsigned k = vn_plex_sds(s->c, p, m, MAX_MEMBERS);

				poff = k ? (int64_t)(m[k - 1]->plexoffset + m[k - 1]->len) : 0;
			} else {
				poff = (int64_t)(count_sds(s->c, plex) * p->stripe);
			}
		}
	}
	if (!(x = grow((void **)&s->c->sd, s->c->nsd, sizeof(*x))))
		return -ENOMEM;
	s->c->nsd++;
	snprintf(x->name, sizeof(x->name), "%.*s", (int)sizeof(x->name) - 1, name);
	snprintf(x->drive, sizeof(x->drive), "%.*s", (int)sizeof(x->drive) - 1, d->name);
	snprintf(x->plex, sizeof(x->plex), "%.*s", (int)sizeof(x->plex) - 1, p ? p->name : "");
	x->len = (uint64_t)len;
	x->driveoffset = (uint64_t)doff;
	x->plexoffset = poff < 0 || !p ? 0 : (uint64_t)poff;
	return state_ok(s, state ? state : p && strcmp(p->state, "up") ? "empty" : "up", x->state);
}

/* Striped and raid5 plexes new in this text: every subdisk a multiple of
 * the stripe size, and all as long as the shortest. */
static void trim(struct vn_conf *c, const struct vn_conf *before)
{
	for (unsigned i = 0; i < c->nplex; i++) {
		struct vn_plex *p = &c->plex[i];
		uint64_t min = UINT64_MAX;

		if (p->org == VN_CONCAT || (before && vn_find_plex(before, p->name)))
			continue;
		for (unsigned k = 0; k < c->nsd; k++)
			if (!strcmp(c->sd[k].plex, p->name) && c->sd[k].len / p->stripe * p->stripe < min)
				min = c->sd[k].len / p->stripe * p->stripe;
		for (unsigned k = 0; k < c->nsd; k++)
			if (!strcmp(c->sd[k].plex, p->name))
				c->sd[k].len = min;
	}
}

int vn_parse(struct vn_conf *c, const char *text, bool ondisk, const char *where, vn_size_fn size_of,
	     struct err *e)
{
	struct vn_conf before;
	struct pstate s = { .c = c, .ondisk = ondisk, .size_of = size_of, .where = where, .e = e };
	const char *p = text;
	int r = 0;

	if ((r = vn_conf_copy(&before, c)))
		return err_set(e, r, "out of memory");
	s.before = &before;
	while (*p && !r) {
		size_t len = strcspn(p, "\n");
		char *line = strndup(p, len), *tok[MAX_TOKENS];
		int n;

		s.line++;
		p += len + (p[len] == '\n');
		if (!line) {
			r = err_set(e, -ENOMEM, "out of memory");
			break;
		}
		if ((r = tokenize(line, tok, MAX_TOKENS, &n)))
			r = bad(&s, -EINVAL, r == -E2BIG ? "too many words%s%s" : "unmatched quote%s%s", "", "");
		else if (!n)
			;
		else if (!strcmp(tok[0], "drive"))
			r = st_drive(&s, tok, n);
		else if (!strcmp(tok[0], "volume") || !strcmp(tok[0], "vol"))
			r = st_volume(&s, tok, n);
		else if (!strcmp(tok[0], "plex"))
			r = st_plex(&s, tok, n);
		else if (!strcmp(tok[0], "sd") || !strcmp(tok[0], "subdisk"))
			r = st_sd(&s, tok, n);
		else
			r = bad(&s, -EINVAL, "invalid definition: unknown keyword \"%s\"%s", tok[0], "");
		free(line);
	}
	if (!r && !ondisk)
		trim(c, &before);
	vn_conf_free(&before);
	return r;
}

static bool pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

int vn_check(const struct vn_conf *c, struct err *e)
{
	for (unsigned i = 0; i < c->nsd; i++) {
		const struct vn_sd *x = &c->sd[i];
		const struct vn_drive *d = vn_find_drive(c, x->drive);

		if (!d)
			return err_set(e, -ENOENT, "sd %s: no drive %s", x->name, x->drive);
		if (!x->len)
			return err_set(e, -EINVAL, "sd %s: length 0", x->name);
		if (d->size && x->driveoffset + x->len > d->size)
			return err_set(e, -ENOSPC,
				       "sd %s: ends at byte %" PRIu64 ", past the end of drive %s (%" PRIu64 " bytes)",
				       x->name, x->driveoffset + x->len, d->name, d->size);
		if (x->driveoffset < VN_DATA_START)
			return err_set(e, -EINVAL, "sd %s: starts inside drive %s's header area", x->name, d->name);
		for (unsigned k = 0; k < i; k++) {
			const struct vn_sd *y = &c->sd[k];

			if (!strcmp(y->drive, x->drive) && x->driveoffset < y->driveoffset + y->len &&
			    y->driveoffset < x->driveoffset + x->len)
				return err_set(e, -EEXIST, "sd %s overlaps sd %s on drive %s", x->name, y->name, d->name);
		}
	}
	for (unsigned i = 0; i < c->nplex; i++) {
		const struct vn_plex *p = &c->plex[i];
		const struct vn_sd *m[MAX_MEMBERS];
		unsigned n = vn_plex_sds(c, p, m, MAX_MEMBERS);

		if (p->org == VN_CONCAT) {
			for (unsigned k = 1; k < n; k++)
				if (m[k]->plexoffset < m[k - 1]->plexoffset + m[k - 1]->len)
					return err_set(e, -EEXIST, "plex %s: sd %s overlaps sd %s in the plex", p->name,
						       m[k]->name, m[k - 1]->name);
			continue;
		}
		if (!pow2(p->stripe) || p->stripe < 4096)
			return err_set(e, -EINVAL,
				       "plex %s: stripe size %" PRIu64 " bytes: ulvm maps striped and raid5 plexes on "
				       "dm targets, which need a power of two of at least 4k",
				       p->name, p->stripe);
		if (n < (p->org == VN_RAID5 ? 3u : 2u))
			return err_set(e, -EINVAL, "plex %s: a %s plex needs at least %u subdisks, it has %u", p->name,
				       p->org == VN_RAID5 ? "raid5" : "striped", p->org == VN_RAID5 ? 3u : 2u, n);
		for (unsigned k = 0; k < n; k++)
			if (m[k]->len != m[0]->len || m[k]->plexoffset != k * p->stripe || !m[k]->len)
				return err_set(e, -EINVAL,
					       "plex %s: sd %s is not where a %s plex needs it (equal lengths, plexoffset "
					       "N x stripe size)",
					       p->name, m[k]->name, p->org == VN_RAID5 ? "raid5" : "striped");
	}
	return 0;
}
