/* The dm devices of a vinum volume.  See vinum.h.
 *
 * Plex states decide how a target starts: an `up` raid5 plex or mirror
 * with every member up is loaded `nosync` (its parity and copies are
 * what vinum recorded); a raid5 plex in `init` starts without it, so the
 * raid target writes the parity; a plex that is not up, or a raid5
 * subdisk that is initializing, empty or reviving, is rebuilt from the
 * others (`rebuild N`).  A raid5 subdisk down, stale or crashed serves
 * nothing (its data missed writes) until `start` makes it reviving.  A subdisk on a drive that is not there maps to
 * `error`, so the volume still comes up from its other plexes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vinum/vinum.h"

void vn_plan_free(struct vn_dev *d, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		free(d[i].table);
	free(d);
}

struct plan {
	const struct vn_conf *c;
	struct vn_dev *dev;
	unsigned n;
	struct err *e;
};

static struct vn_dev *add(struct plan *p, const char *kind, const char *name, char *table)
{
	struct vn_dev *d = realloc(p->dev, (p->n + 1) * sizeof(*d));

	if (!d || !table) {
		free(table);
		if (d)
			p->dev = d;
		return NULL;
	}
	p->dev = d;
	d = &p->dev[p->n++];
	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "vinum-%s", name);
	snprintf(d->uuid, sizeof(d->uuid), VN_UUID_PREFIX "%s-%s", kind, name);
	d->table = table;
	return d;
}

static bool sd_usable(const struct vn_conf *c, const struct vn_sd *s)
{
	const struct vn_drive *d = vn_find_drive(c, s->drive);

	return d && d->path[0] && !strcmp(d->state, "up");
}

/* A raid5 member that takes part: its drive here, and not down, stale or
 * crashed (those wait for `start`, which revives them). */
static bool sd_serves(const struct vn_conf *c, const struct vn_sd *s)
{
	return sd_usable(c, s) && !vn_sd_left_out(s->state);
}

/* A linear or error line for @s at target sector @at. */
static void sd_line(FILE *f, const struct vn_conf *c, const struct vn_sd *s, uint64_t at, uint64_t len)
{
	if (sd_usable(c, s))
		fprintf(f, "%" PRIu64 " %" PRIu64 " linear %s %" PRIu64 "\n", at, len,
			vn_find_drive(c, s->drive)->path, s->driveoffset / 512);
	else
		fprintf(f, "%" PRIu64 " %" PRIu64 " error\n", at, len);
}

/* A plex with at least one subdisk on a drive that is here. */
static bool plex_present(const struct vn_conf *c, const struct vn_plex *pl)
{
	for (unsigned i = 0; i < c->nsd; i++)
		if (!strcmp(c->sd[i].plex, pl->name) && sd_usable(c, &c->sd[i]))
			return true;
	return false;
}

static bool healthy(const char *state)
{
	return !strcmp(state, "up");
}

/* The table of plex @pl, cut to @size bytes; raid5 subdisks added as
 * devices first.  NULL (with p->e) on failure. */
static char *plex_table(struct plan *p, const struct vn_plex *pl, uint64_t size)
{
	const struct vn_sd *m[256];
	unsigned n = vn_plex_sds(p->c, pl, m, 256);
	char *t = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&t, &len);
	uint64_t at = 0;

	if (!f)
		return NULL;
	if (pl->org == VN_CONCAT) {
		/* each subdisk at its plexoffset (gvinum's gv_plex_normal_request);
		 * a stretch no subdisk covers fails, as gvinum fails it */
		for (unsigned k = 0; k < n && at < size; k++) {
			uint64_t from = m[k]->plexoffset < size ? m[k]->plexoffset : size, l;

			if (from > at)
				fprintf(f, "%" PRIu64 " %" PRIu64 " error\n", at / 512, (from - at) / 512);
			at = from;
			l = m[k]->len < size - at ? m[k]->len : size - at;
			if (l)
				sd_line(f, p->c, m[k], at / 512, l / 512);
			at += l;
		}
		if (at < size)
			fprintf(f, "%" PRIu64 " %" PRIu64 " error\n", at / 512, (size - at) / 512);
	} else if (pl->org == VN_STRIPED) {
		bool all = true;

		for (unsigned k = 0; k < n; k++)
			all &= sd_usable(p->c, m[k]);
		if (!all) {
			fprintf(f, "0 %" PRIu64 " error\n", size / 512);
		} else {
			fprintf(f, "0 %" PRIu64 " striped %u %" PRIu64, size / 512, n, pl->stripe / 512);
			for (unsigned k = 0; k < n; k++)
				fprintf(f, " %s %" PRIu64, vn_find_drive(p->c, m[k]->drive)->path, m[k]->driveoffset / 512);
			fprintf(f, "\n");
		}
	} else {
		unsigned nparams = 3, rebuild[256], nr = 0;
		bool init = !strcmp(pl->state, "init") || !strcmp(pl->state, "initializing");

		for (unsigned k = 0; k < n; k++) {
			char *st = NULL;
			size_t sl = 0;
			FILE *g;

			if (!sd_serves(p->c, m[k]))
				continue; /* a missing or left-out leg: "-" below */
			if (!(g = open_memstream(&st, &sl)))
				break;
			sd_line(g, p->c, m[k], 0, m[k]->len / 512);
			fclose(g);
			if (!add(p, "sd", m[k]->name, st)) {
				fclose(f);
				free(t);
				return NULL;
			}
			if (!init && !healthy(m[k]->state))
				rebuild[nr++] = k;
		}
		nparams += init ? 0 : nr ? 2 * nr : 1;
		fprintf(f, "0 %" PRIu64 " raid raid5_la %u %" PRIu64 " region_size 1024", size / 512, nparams,
			pl->stripe / 512);
		if (!init && !nr)
			fprintf(f, " nosync");
		for (unsigned k = 0; k < nr; k++)
			fprintf(f, " rebuild %u", rebuild[k]);
		fprintf(f, " %u", n);
		for (unsigned k = 0; k < n; k++)
			if (sd_serves(p->c, m[k]))
				fprintf(f, " - /dev/mapper/vinum-%s", m[k]->name);
			else
				fprintf(f, " - -");
		fprintf(f, "\n");
	}
	fclose(f);
	return t;
}

int vn_plan(const struct vn_conf *c, const struct vn_volume *v, struct vn_dev **out, unsigned *nout, struct err *e)
{
	const struct vn_plex *pl[256];
	unsigned n = vn_vol_plexes(c, v, pl, 256), good = 0, rebuild[256], nr = 0;
	bool present[256];
	uint64_t size = vn_vol_size(c, v);
	struct plan p = { .c = c, .e = e };
	struct vn_dev *vd;
	char *t = NULL;
	size_t len = 0;
	FILE *f;

	*out = NULL;
	*nout = 0;
	if (!n || size < 512)
		return err_set(e, -ENODEV, "volume %s has no plex with subdisks", v->name);
	if (n == 1) {
		if (!(t = plex_table(&p, pl[0], size)) || !(vd = add(&p, "vol", v->name, t)))
			goto nomem;
		goto done;
	}
	for (unsigned k = 0; k < n; k++) {
		char *pt;

		if (!(present[k] = plex_present(c, pl[k])))
			continue;
		if (!(pt = plex_table(&p, pl[k], size)) || !add(&p, "plex", pl[k]->name, pt))
			goto nomem;
		if (healthy(pl[k]->state) || !strcmp(pl[k]->state, "degraded"))
			good++;
		else
			rebuild[nr++] = k;
	}
	if (!good) {
		vn_plan_free(p.dev, p.n);
		return err_set(e, -ENODEV, "volume %s: no plex is up to copy the others from", v->name);
	}
	if (!(f = open_memstream(&t, &len)))
		goto nomem;
	fprintf(f, "0 %" PRIu64 " raid raid1 %u 0 region_size 1024", size / 512, 3 + (nr ? 2 * nr : 1));
	if (!nr)
		fprintf(f, " nosync");
	for (unsigned k = 0; k < nr; k++)
		fprintf(f, " rebuild %u", rebuild[k]);
	fprintf(f, " %u", n);
	for (unsigned k = 0; k < n; k++)
		if (present[k])
			fprintf(f, " - /dev/mapper/vinum-%s", pl[k]->name);
		else
			fprintf(f, " - -");
	fprintf(f, "\n");
	fclose(f);
	if (!(vd = add(&p, "vol", v->name, t)))
		goto nomem;
done:
	snprintf(p.dev[p.n - 1].export, sizeof(p.dev[0].export), "vinum/%s", v->name);
	*out = p.dev;
	*nout = p.n;
	return 0;
nomem:
	vn_plan_free(p.dev, p.n);
	return err_set(e, -ENOMEM, "out of memory");
}
