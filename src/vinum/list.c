/* vinum's listings, in the format of vinum(8)'s list.c: the brief
 * D/V/P/S lines (`list`, `ld`, `lv`, `lp`, `ls`), -r (members too), -v
 * (an object per block), -V (a plex's subdisks, a volume's plexes), the
 * "Configuration summary" `create` prints, and printconfig. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "vinum/vinum.h"

#define MB ((uint64_t)1024 * 1024)
#define KB ((uint64_t)1024)

/* vinum's roughlength(): a size in a 10-character column, or left
 * justified (@lj). */
static const char *rough(char *buf, size_t n, uint64_t bytes, bool lj)
{
	long long b = (long long)bytes;

	if (bytes > MB * 10000)
		snprintf(buf, n, lj ? "%lld GB" : "%10lld GB", b / (long long)(MB * 1024));
	else if (bytes > KB * 10000)
		snprintf(buf, n, lj ? "%lld MB" : "%10lld MB", b / (long long)MB);
	else if (bytes > 10000)
		snprintf(buf, n, lj ? "%lld kB" : "%10lld kB", b / (long long)KB);
	else
		snprintf(buf, n, lj ? "%lld  B" : "%10lld  B", b);
	return buf;
}

static const char *org_name(enum vn_org o)
{
	return o == VN_CONCAT ? "concat" : o == VN_STRIPED ? "striped" : "raid5";
}

static void lsi(FILE *f, const struct vn_conf *c, const struct vn_sd *s, unsigned fl);

static void ldi(FILE *f, const struct vn_conf *c, const struct vn_drive *d, unsigned fl)
{
	uint64_t avail = vn_drive_free(c, d);

	if (fl & VN_LIST_V) {
		time_t born = (time_t)d->born_sec, upd = (time_t)d->upd_sec;

		fprintf(f, "Drive %s:\tDevice %s\n", d->name, d->path[0] ? d->path : "*missing*");
		fprintf(f, "\t\tCreated on %s at %s", d->sysname, ctime(&born));
		fprintf(f, "\t\tConfig last updated %s", ctime(&upd));
		fprintf(f, "\t\tSize: %16" PRIu64 " bytes (%" PRIu64 " MB)\n\t\tUsed: %16" PRIu64 " bytes (%" PRIu64
			   " MB)\n\t\tAvailable: %11" PRIu64 " bytes (%d MB)\n",
			d->size, d->size / MB, d->size - avail, (d->size - avail) / MB, avail, (int)(avail / MB));
		fprintf(f, "\t\tState: %s\n\t\tLast error: none\n\t\tActive requests:\t0\n\t\tMaximum active:\t\t0\n",
			d->state);
	} else {
		fprintf(f, "D %-21s State: %s\tDevice %s\tAvail: %" PRIu64 "/%" PRIu64 " MB", d->name, d->state,
			d->path[0] ? d->path : "*missing*", avail / MB, d->size / MB);
		if (d->size > VN_DATA_START)
			fprintf(f, " (%d%%)", (int)(avail * 100 / (d->size - VN_DATA_START)));
	}
	if (fl & VN_LIST_R) {
		fprintf(f, "\n");
		for (unsigned i = 0; i < c->nsd; i++)
			if (!strcmp(c->sd[i].drive, d->name))
				lsi(f, c, &c->sd[i], fl & ~VN_LIST_R);
	}
	fprintf(f, "\n");
}

static void lpi(FILE *f, const struct vn_conf *c, const struct vn_plex *p, unsigned fl)
{
	const struct vn_sd *m[256];
	unsigned n = vn_plex_sds(c, p, m, 256);
	uint64_t size = vn_plex_size(c, p);
	char b[32];

	if (fl & VN_LIST_V) {
		fprintf(f, "Plex %s:\tSize:\t%9" PRIu64 " bytes (%" PRIu64 " MB)\n\t\tSubdisks: %8u\n", p->name, size,
			size / MB, n);
		fprintf(f, "\t\tState: %s\n\t\tOrganization: %s", p->state, org_name(p->org));
		if (p->org != VN_CONCAT)
			fprintf(f, "\tStripe size: %s\n", rough(b, sizeof(b), p->stripe, true));
		else
			fprintf(f, "\n");
		if (p->vol[0])
			fprintf(f, "\t\tPart of volume %s\n", p->vol);
	} else {
		fprintf(f, "P %-18s %2s State: %s\tSubdisks: %5u\tSize: %s", p->name,
			p->org == VN_CONCAT ? "C" : p->org == VN_STRIPED ? "S" : "R5", p->state, n,
			rough(b, sizeof(b), size, false));
	}
	if (n && (fl & VN_LIST_VV)) {
		fprintf(f, "\n");
		for (unsigned k = 0; k < n; k++) {
			fprintf(f, "\t\tSubdisk %u:\t%s\n\t\t  state: %s\tsize %11" PRIu64 " (%" PRIu64 " MB)\n", k,
				m[k]->name, m[k]->state, m[k]->len, m[k]->len / MB);
			if (p->org == VN_CONCAT)
				fprintf(f, "\t\t\toffset %9" PRIu64 " (0x%" PRIx64 ")\n", m[k]->plexoffset / 512,
					m[k]->plexoffset / 512);
		}
	}
	if (n && (fl & VN_LIST_R)) {
		fprintf(f, "\n");
		for (unsigned k = 0; k < n; k++)
			lsi(f, c, m[k], fl & ~VN_LIST_R);
	}
	fprintf(f, "\n");
}

static void lvi(FILE *f, const struct vn_conf *c, const struct vn_volume *v, unsigned fl)
{
	const struct vn_plex *p[256];
	unsigned n = vn_vol_plexes(c, v, p, 256);
	uint64_t size = vn_vol_size(c, v);
	char b[32];

	if (fl & VN_LIST_V)
		fprintf(f, "Volume %s:\tSize: %" PRIu64 " bytes (%" PRIu64 " MB)\n\t\tState: %s\n\t\tFlags: \n"
			   "\t\t%u plexes\n\t\tRead policy: round robin\n",
			v->name, size, size / MB, v->state, n);
	else
		fprintf(f, "V %-21s State: %s\tPlexes: %7u\tSize: %s\n", v->name, v->state, n,
			rough(b, sizeof(b), size, false));
	if (n && (fl & VN_LIST_VV))
		for (unsigned k = 0; k < n; k++)
			fprintf(f, "\t\tPlex %2u:\t%s\t(%s), %s\n", k, p[k]->name, org_name(p[k]->org),
				rough(b, sizeof(b), vn_plex_size(c, p[k]), false));
	if (n && (fl & VN_LIST_R)) {
		for (unsigned k = 0; k < n; k++)
			lpi(f, c, p[k], fl & ~VN_LIST_R);
		for (unsigned k = 0; k < n; k++) {
			const struct vn_sd *m[256];
			unsigned ns = vn_plex_sds(c, p[k], m, 256);

			for (unsigned j = 0; j < ns; j++)
				lsi(f, c, m[j], fl & ~VN_LIST_R);
		}
		fprintf(f, "\n");
	}
}

static void lsi(FILE *f, const struct vn_conf *c, const struct vn_sd *s, unsigned fl)
{
	const struct vn_drive *d = vn_find_drive(c, s->drive);
	char b[32], b2[32];

	if (fl & VN_LIST_V) {
		fprintf(f, "Subdisk %s:\n\t\tSize: %16" PRIu64 " bytes (%" PRIu64 " MB)\n\t\tState: %s\n", s->name,
			s->len, s->len / MB, s->state);
		if (s->plex[0])
			fprintf(f, "\t\tPlex %s at offset %" PRIu64 " (%s)\n", s->plex, s->plexoffset,
				rough(b, sizeof(b), s->plexoffset, true));
		fprintf(f, "\t\tDrive %s (%s) at offset %" PRIu64 " (%s)\n", s->drive,
			d && d->path[0] ? d->path : "*missing*", s->driveoffset,
			rough(b2, sizeof(b2), s->driveoffset, true));
	} else {
		fprintf(f, "S %-21s State: %s\t", s->name, s->state);
		if (!s->plex[0])
			fprintf(f, "(detached)\t");
		else
			fprintf(f, "PO: %s ", rough(b, sizeof(b), s->plexoffset, false) + 2);
		fprintf(f, "Size: %s\n", rough(b2, sizeof(b2), s->len, false));
	}
	if ((fl & VN_LIST_R) && d)
		ldi(f, c, d, fl & ~VN_LIST_R);
	if (fl & VN_LIST_V)
		fprintf(f, "\n");
}

void vn_list_all(FILE *f, const struct vn_conf *c, unsigned fl)
{
	fprintf(f, "%u drives:\n", c->ndrive);
	for (unsigned i = 0; i < c->ndrive; i++)
		ldi(f, c, &c->drive[i], fl);
	if (c->ndrive)
		fprintf(f, "\n");
	fprintf(f, "%u volumes:\n", c->nvol);
	for (unsigned i = 0; i < c->nvol; i++)
		lvi(f, c, &c->vol[i], fl);
	if (c->nvol)
		fprintf(f, "\n");
	fprintf(f, "%u plexes:\n", c->nplex);
	for (unsigned i = 0; i < c->nplex; i++)
		lpi(f, c, &c->plex[i], fl);
	if (c->nplex)
		fprintf(f, "\n");
	fprintf(f, "%u subdisks:\n", c->nsd);
	for (unsigned i = 0; i < c->nsd; i++)
		lsi(f, c, &c->sd[i], fl);
}

/* vinum's tables grow by their first size: 4 drives, 4 volumes, 8 plexes,
 * 16 subdisks at a time; "configured" is what is allocated. */
static unsigned configured(unsigned used, unsigned step)
{
	return used <= step ? step : (used + step - 1) / step * step;
}

void vn_list_summary(FILE *f, const struct vn_conf *c)
{
	fprintf(f, "Configuration summary\n\n");
	fprintf(f, "Drives:\t\t%u (%u configured)\n", c->ndrive, configured(c->ndrive, 4));
	fprintf(f, "Volumes:\t%u (%u configured)\n", c->nvol, configured(c->nvol, 4));
	fprintf(f, "Plexes:\t\t%u (%u configured)\n", c->nplex, configured(c->nplex, 8));
	fprintf(f, "Subdisks:\t%u (%u configured)\n\n", c->nsd, configured(c->nsd, 16));
	for (unsigned i = 0; i < c->ndrive; i++)
		ldi(f, c, &c->drive[i], 0);
	fprintf(f, "\n");
	for (unsigned i = 0; i < c->nvol; i++)
		lvi(f, c, &c->vol[i], 0);
	fprintf(f, "\n");
	for (unsigned i = 0; i < c->nplex; i++)
		lpi(f, c, &c->plex[i], 0);
	fprintf(f, "\n");
	for (unsigned i = 0; i < c->nsd; i++)
		lsi(f, c, &c->sd[i], 0);
}

int vn_list_objects(FILE *f, const struct vn_conf *c, char kind, int argc, char **argv, unsigned fl)
{
	int missing = 0;

	if (!argc) {
		if (kind == 'd' || !kind)
			for (unsigned i = 0; i < c->ndrive; i++)
				ldi(f, c, &c->drive[i], fl);
		if (kind == 'v' || !kind)
			for (unsigned i = 0; i < c->nvol; i++)
				lvi(f, c, &c->vol[i], fl);
		if (kind == 'p' || !kind)
			for (unsigned i = 0; i < c->nplex; i++)
				lpi(f, c, &c->plex[i], fl);
		if (kind == 's' || !kind)
			for (unsigned i = 0; i < c->nsd; i++)
				lsi(f, c, &c->sd[i], fl);
		return 0;
	}
	for (int i = 0; i < argc; i++) {
		const struct vn_drive *d = vn_find_drive(c, argv[i]);
		const struct vn_volume *v = vn_find_vol(c, argv[i]);
		const struct vn_plex *p = vn_find_plex(c, argv[i]);
		const struct vn_sd *s = vn_find_sd(c, argv[i]);
		static const char *const what[] = { ['d'] = "drive", ['v'] = "volume", ['p'] = "plex", ['s'] = "subdisk" };

		if (d && (!kind || kind == 'd'))
			ldi(f, c, d, fl);
		else if (v && (!kind || kind == 'v'))
			lvi(f, c, v, fl);
		else if (p && (!kind || kind == 'p'))
			lpi(f, c, p, fl);
		else if (s && (!kind || kind == 's'))
			lsi(f, c, s, fl);
		else {
			if (kind && (d || v || p || s))
				fprintf(stderr, "%s is not a %s\n", argv[i], what[(unsigned char)kind]);
			else
				fprintf(stderr, "Can't find object: %s\n", argv[i]);
			missing++;
		}
	}
	return missing ? -ENOENT : 0;
}

void vn_printconfig(FILE *f, const struct vn_conf *c, const char *host, const char *when)
{
	fprintf(f, "# Vinum configuration of %s, saved at %s", host, when);
	for (unsigned i = 0; i < c->ndrive; i++)
		fprintf(f, "drive %s device %s\n", c->drive[i].name, c->drive[i].path[0] ? c->drive[i].path : "???");
	for (unsigned i = 0; i < c->nvol; i++)
		fprintf(f, "volume %s\n", c->vol[i].name);
	for (unsigned i = 0; i < c->nplex; i++) {
		const struct vn_plex *p = &c->plex[i];

		fprintf(f, "plex name %s org %s", p->name, org_name(p->org));
		if (p->org != VN_CONCAT)
			fprintf(f, " %" PRIu64 "s", p->stripe / 512);
		if (p->vol[0])
			fprintf(f, " vol %s", p->vol);
		fprintf(f, "\n");
	}
	for (unsigned i = 0; i < c->nsd; i++) {
		const struct vn_sd *s = &c->sd[i];

		fprintf(f, "sd name %s drive %s len %" PRIu64 "s driveoffset %" PRIu64 "s", s->name, s->drive,
			s->len / 512, s->driveoffset / 512);
		if (s->plex[0])
			fprintf(f, " plex %s plexoffset %" PRIu64 "s", s->plex, s->plexoffset / 512);
		fprintf(f, "\n");
	}
}
