/* lvm-dump: drives the LVM2 format layer (src/lvm) from shell tests, with
 * real LVM2 as the oracle on the other side.
 *
 *   lvm-dump text DEV...       the committed VG text with the highest seqno,
 *                              bytes as on disk (without the final NUL)
 *   lvm-dump reemit DEV...     that text parsed and emitted again
 *   lvm-dump rebuild DEV...    that VG rebuilt field by field with the tree
 *                              builders in LVM2's layout (striped, error and
 *                              zero LVs only), envelope kept from the original
 *   lvm-dump headers DEV       the label and the mda headers
 *   lvm-dump pvcreate [--uuid U] [--metadatacopies N] [--metadatasize B]
 *            [--dataalignment B] [--bootloaderareasize B] [--labelsector N] DEV
 *   lvm-dump write FILE DEV... commit FILE's text to every mda of the DEVs
 *   lvm-dump mkvg [-s SECTORS] [--lv NAME:EXTENTS[:STRIPES[:STRIPE_SECTORS]]]...
 *            [--seqno N] [--id UUID] VG DEV...
 *                              write a new VG (or a new version of it, with
 *                              --seqno and --id) over PVs made by pvcreate
 * Sizes are bytes.  Exit status 0, or 1 with one message on stderr.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "common/args.h"
#include "common/log.h"
#include "io/dev.h"
#include "lvm/config.h"
#include "lvm/id.h"
#include "lvm/pv.h"
#include "lvm/vgtext.h"

#define MAX_PVS 16
#define MAX_LVS 64
#define MAX_SEGS 16
#define MAX_AREAS 16
#define MAX_LIST 8

static int die(int r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int die(int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("lvm-dump: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return r ? r : 1;
}

struct pvset {
	unsigned n;
	struct pv *pv[MAX_PVS];
};

/* The devices of this run; main frees them whatever happened. */
static struct pvset set;

static void pvset_free(struct pvset *s)
{
	for (unsigned i = 0; i < s->n; i++)
		pv_free(s->pv[i]);
	s->n = 0;
}

static int pvset_scan(struct pvset *s, int argc, char **argv, bool rw)
{
	struct err e = { { 0 } };
	struct dev *d;
	int r;

	s->n = 0;
	if (argc > MAX_PVS)
		return die(0, "at most %d devices", MAX_PVS);
	for (int i = 0; i < argc; i++) {
		if ((r = dev_open_file(argv[i], rw ? 0 : DEV_OPEN_RDONLY, &d)))
			return die(r, "%s: %s", argv[i], strerror(-r));
		r = pv_scan(d, &s->pv[s->n], &e);
		dev_put(d);
		if (r)
			return die(r, "%s", e.msg);
		s->n++;
		for (unsigned j = 0; j < s->pv[i]->nmda; j++) {
			const struct pv_mda *m = &s->pv[i]->mda[j];

			if (m->text_status && m->text_status != -ENODATA)
				fprintf(stderr, "lvm-dump: warning: %s\n",
					m->status ? m->why.msg : m->text_why.msg);
		}
	}
	return 0;
}

/* The text with the highest seqno over all PVs. */
static int best_text(struct pvset *s, const char **text, size_t *len,
		     const struct vgtext_summary **sum)
{
	*sum = NULL;
	for (unsigned i = 0; i < s->n; i++) {
		const char *t;
		size_t l;
		const struct vgtext_summary *v = pv_vg(s->pv[i], &t, &l);

		if (v && (!*sum || v->seqno > (*sum)->seqno)) {
			*sum = v;
			*text = t;
			*len = l;
		}
	}
	return *sum ? 0 : die(-ENODATA, "no VG metadata on these devices");
}

static size_t without_nul(const char *text, size_t len)
{
	return len && !text[len - 1] ? len - 1 : len;
}

static int cmd_text(int argc, char **argv, bool reemit)
{
	const struct vgtext_summary *sum;
	struct err e = { { 0 } };
	const char *text;
	size_t len;
	char *out;
	int r;

	if ((r = pvset_scan(&set, argc, argv, false)) || (r = best_text(&set, &text, &len, &sum)))
		return r;
	len = without_nul(text, len);
	if (!reemit) {
		fwrite(text, 1, len, stdout);
	} else if ((r = cfg_emit(sum->tree, 0, &out, &len, &e))) {
		return die(r, "%s", e.msg);
	} else {
		fwrite(out, 1, len, stdout);
		free(out);
	}
	return 0;
}

static int cmd_headers(int argc, char **argv)
{
	struct pv *pv;
	int r;

	if (argc != 1)
		return die(0, "headers takes one device");
	if ((r = pvset_scan(&set, argc, argv, false)))
		return r;
	pv = set.pv[0];
	const struct pv_label *l = &pv->label;

	printf("label sector %" PRIu64 " uuid %s device_size %" PRIu64 " ext %u/0x%x\n", l->sector,
	       l->pv_uuid, l->device_size, l->ext_version, l->ext_flags);
	for (unsigned i = 0; i < l->n_data; i++)
		printf("data %" PRIu64 " %" PRIu64 "\n", l->data[i].offset, l->data[i].size);
	for (unsigned i = 0; i < l->n_ba; i++)
		printf("ba %" PRIu64 " %" PRIu64 "\n", l->ba[i].offset, l->ba[i].size);
	for (unsigned i = 0; i < pv->nmda; i++) {
		const struct pv_mda *m = &pv->mda[i];

		printf("mda %" PRIu64 " %" PRIu64, m->locn.offset, m->locn.size);
		if (m->status) {
			printf(" bad: %s\n", m->why.msg);
			continue;
		}
		for (int j = 0; j < 2; j++)
			printf(" slot%d %" PRIu64 "+%" PRIu64 " crc 0x%08x flags %u", j,
			       m->hdr.slot[j].offset, m->hdr.slot[j].size, m->hdr.slot[j].checksum,
			       m->hdr.slot[j].flags);
		if (!m->text_status)
			printf(" vg %s seqno %u", m->sum.vgname, m->sum.seqno);
		printf("\n");
	}
	return 0;
}

static int num_arg(const char *opt, const char *val, uint64_t *out)
{
	if (!val || parse_size(val, out))
		return die(0, "%s needs a size, got \"%s\"", opt, val ? val : "");
	return 0;
}

static int cmd_pvcreate(int argc, char **argv)
{
	struct pv_create_opts o;
	struct err e = { { 0 } };
	struct dev *d;
	uint64_t v;
	int i, r;

	pv_create_opts_default(&o);
	for (i = 0; i < argc - 1; i += 2) {
		const char *opt = argv[i], *val = argv[i + 1];

		if (!strcmp(opt, "--uuid"))
			o.uuid = val;
		else if ((r = num_arg(opt, val, &v)))
			return r;
		else if (!strcmp(opt, "--metadatacopies"))
			o.mda_copies = (unsigned)v;
		else if (!strcmp(opt, "--metadatasize"))
			o.mda_size = v;
		else if (!strcmp(opt, "--dataalignment"))
			o.data_alignment = v;
		else if (!strcmp(opt, "--bootloaderareasize"))
			o.ba_size = v;
		else if (!strcmp(opt, "--labelsector"))
			o.label_sector = (unsigned)v;
		else
			return die(0, "unknown option %s", opt);
	}
	if (i != argc - 1)
		return die(0, "pvcreate [options] DEV");
	if ((r = dev_open_file(argv[i], 0, &d)))
		return die(r, "%s: %s", argv[i], strerror(-r));
	r = pv_create(d, &o, NULL, &e);
	dev_put(d);
	return r ? die(r, "%s", e.msg) : 0;
}

static int commit(struct pvset *s, const char *text, size_t len)
{
	struct err e = { { 0 } };
	int r;

	for (unsigned i = 0; i < s->n; i++)
		if ((r = pv_set_in_use(s->pv[i], true, &e)))
			return die(r, "%s", e.msg);
	if ((r = pv_write_metadata(s->pv, s->n, text, len, &e)))
		return die(r, "%s", e.msg);
	return 0;
}

static int cmd_write(int argc, char **argv)
{
	struct err e = { { 0 } };
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	int r;

	if (argc < 2)
		return die(0, "write FILE DEV...");
	if (!(f = fopen(argv[0], "r")))
		return die(-errno, "%s: %s", argv[0], strerror(errno));
	r = getdelim(&text, &len, '\0', f) < 0 ? -EIO : 0;
	fclose(f);
	if (r || (r = vgtext_check_start(text, strlen(text), &e))) {
		free(text);
		return die(r, "%s: %s", argv[0], r == -EIO ? "cannot read" : e.msg);
	}
	if (!(r = pvset_scan(&set, argc - 1, argv + 1, true)))
		r = commit(&set, text, strlen(text) + 1);
	free(text);
	return r;
}

/* A small VG model: enough for linear/striped/error/zero LVs. */
struct strlist {
	unsigned n;
	const char *s[MAX_LIST];
};

struct mseg {
	int64_t start, count;
	const char *type;
	int64_t stripe_count, stripe_size;
	unsigned nareas;
	const char *area[MAX_AREAS];
	int64_t pe[MAX_AREAS];
};

struct mlv {
	const char *name, *id, *host;
	struct strlist status, flags, tags;
	int64_t ctime; /* 0: none */
	unsigned nseg;
	struct mseg seg[MAX_SEGS];
};

struct mpv {
	const char *key, *id, *device;
	struct strlist status, flags, tags;
	int64_t dev_size, pe_start, pe_count, ba_start, ba_size; /* ba_size 0: none */
};

struct mvg {
	const char *name, *id, *format;
	int64_t seqno, extent_size, max_lv, max_pv, metadata_copies;
	struct strlist status, flags, tags;
	unsigned npv, nlv;
	struct mpv pv[MAX_PVS];
	struct mlv lv[MAX_LVS];
};

static int get_list(const struct cfg_node *sec, const char *key, struct strlist *l, bool need)
{
	const struct cfg_node *n = cfg_find(sec, key);

	l->n = 0;
	if (!n)
		return need ? die(0, "%s missing", key) : 0;
	if (n->type != CFG_ARRAY || n->nitems > MAX_LIST)
		return die(0, "%s: unsupported list", key);
	for (unsigned i = 0; i < n->nitems; i++) {
		if (n->items[i].type != CFG_STRING)
			return die(0, "%s: not a string list", key);
		l->s[l->n++] = n->items[i].s;
	}
	return 0;
}

#define GET(kind, sec, key, out)                                         \
	do {                                                             \
		if ((r = cfg_get_##kind(sec, key, out, &e)))             \
			return die(r, "%s", e.msg);                      \
	} while (0)

static int load_seg(const struct cfg_node *sn, struct mseg *s)
{
	struct err e = { { 0 } };
	const struct cfg_node *a;
	int r;

	GET(int, sn, "start_extent", &s->start);
	GET(int, sn, "extent_count", &s->count);
	GET(str, sn, "type", &s->type);
	if (!strcmp(s->type, "error") || !strcmp(s->type, "zero"))
		return 0;
	if (strcmp(s->type, "striped"))
		return die(0, "rebuild: segment type %s is not supported", s->type);
	GET(int, sn, "stripe_count", &s->stripe_count);
	if (s->stripe_count > 1)
		GET(int, sn, "stripe_size", &s->stripe_size);
	if (!(a = cfg_find(sn, "stripes")) || a->type != CFG_ARRAY || a->nitems % 2 ||
	    a->nitems / 2 > MAX_AREAS)
		return die(0, "rebuild: bad stripes list");
	for (unsigned i = 0; i < a->nitems; i += 2) {
		s->area[s->nareas] = a->items[i].s;
		s->pe[s->nareas++] = a->items[i + 1].i;
	}
	return 0;
}

static int load_vg(const struct cfg_node *vg, struct mvg *m)
{
	struct err e = { { 0 } };
	struct cfg_node *sec;
	int r;

	memset(m, 0, sizeof(*m));
	m->name = vg->key;
	for (const struct cfg_node *n = vg->child; n; n = n->next) {
		static const char *const known[] = { "id", "seqno", "format", "status", "flags",
			"tags", "extent_size", "max_lv", "max_pv", "metadata_copies",
			"physical_volumes", "logical_volumes" };
		size_t k = 0;

		while (k < sizeof(known) / sizeof(known[0]) && strcmp(known[k], n->key))
			k++;
		if (k == sizeof(known) / sizeof(known[0]))
			return die(0, "rebuild: VG key %s is not supported", n->key);
	}
	GET(str, vg, "id", &m->id);
	GET(int, vg, "seqno", &m->seqno);
	GET(str, vg, "format", &m->format);
	GET(int, vg, "extent_size", &m->extent_size);
	GET(int, vg, "max_lv", &m->max_lv);
	GET(int, vg, "max_pv", &m->max_pv);
	GET(int, vg, "metadata_copies", &m->metadata_copies);
	if ((r = get_list(vg, "status", &m->status, true)) || (r = get_list(vg, "flags", &m->flags, true)) ||
	    (r = get_list(vg, "tags", &m->tags, false)))
		return r;
	GET(section, vg, "physical_volumes", &sec);
	for (const struct cfg_node *p = sec->child; p; p = p->next) {
		struct mpv *pv = &m->pv[m->npv++];

		if (m->npv > MAX_PVS)
			return die(0, "too many PVs");
		pv->key = p->key;
		GET(str, p, "id", &pv->id);
		GET(str, p, "device", &pv->device);
		GET(int, p, "dev_size", &pv->dev_size);
		GET(int, p, "pe_start", &pv->pe_start);
		GET(int, p, "pe_count", &pv->pe_count);
		if (cfg_find(p, "ba_start")) {
			GET(int, p, "ba_start", &pv->ba_start);
			GET(int, p, "ba_size", &pv->ba_size);
		}
		if ((r = get_list(p, "status", &pv->status, true)) ||
		    (r = get_list(p, "flags", &pv->flags, true)) ||
		    (r = get_list(p, "tags", &pv->tags, false)))
			return r;
	}
	if (!(sec = cfg_find(vg, "logical_volumes")))
		return 0;
	for (const struct cfg_node *l = sec->child; l; l = l->next) {
		struct mlv *lv = &m->lv[m->nlv++];
		unsigned nseg = 0;

		if (m->nlv > MAX_LVS)
			return die(0, "too many LVs");
		lv->name = l->key;
		GET(str, l, "id", &lv->id);
		if (cfg_find(l, "creation_time")) {
			GET(int, l, "creation_time", &lv->ctime);
			GET(str, l, "creation_host", &lv->host);
		}
		if ((r = get_list(l, "status", &lv->status, true)) ||
		    (r = get_list(l, "flags", &lv->flags, true)) ||
		    (r = get_list(l, "tags", &lv->tags, false)))
			return r;
		for (const struct cfg_node *s = l->child; s; s = s->next) {
			if (s->type != CFG_SECTION)
				continue;
			if (nseg == MAX_SEGS)
				return die(0, "too many segments");
			if ((r = load_seg(s, &lv->seg[nseg++])))
				return r;
		}
		lv->nseg = nseg;
	}
	return 0;
}

static void add_list(struct cfg_node *sec, const char *key, const struct strlist *l)
{
	struct cfg_node *a = cfg_add_array(sec, key);

	for (unsigned i = 0; i < l->n; i++)
		cfg_array_add_str(a, l->s[i], false);
}

/* The VG section in LVM2's mda layout (export.c _print_vg, _print_pvs,
 * _print_lv, _print_segment, out_areas): where the blank lines go. */
static void emit_vg(struct cfg_node *root, const struct mvg *m)
{
	struct cfg_node *vg = cfg_add_section(root, m->name), *pvs, *lvs, *n;
	char key[32];

	cfg_add_str(vg, "id", m->id);
	cfg_add_int(vg, "seqno", m->seqno);
	cfg_add_str(vg, "format", m->format);
	add_list(vg, "status", &m->status);
	add_list(vg, "flags", &m->flags);
	if (m->tags.n)
		add_list(vg, "tags", &m->tags);
	cfg_add_int(vg, "extent_size", m->extent_size);
	cfg_add_int(vg, "max_lv", m->max_lv);
	cfg_add_int(vg, "max_pv", m->max_pv);
	cfg_add_int(vg, "metadata_copies", m->metadata_copies);
	pvs = cfg_add_blank(cfg_add_section(vg, "physical_volumes"), 1);
	for (unsigned i = 0; i < m->npv; i++) {
		const struct mpv *pv = &m->pv[i];
		struct cfg_node *p = cfg_add_blank(cfg_add_section(pvs, pv->key), 1);

		cfg_add_str(p, "id", pv->id);
		cfg_add_str(p, "device", pv->device);
		cfg_add_blank(cfg_add_array(p, "status"), 1);
		for (unsigned j = 0; j < pv->status.n; j++)
			cfg_array_add_str(cfg_find(p, "status"), pv->status.s[j], false);
		add_list(p, "flags", &pv->flags);
		if (pv->tags.n)
			add_list(p, "tags", &pv->tags);
		cfg_add_int(p, "dev_size", pv->dev_size);
		cfg_add_int(p, "pe_start", pv->pe_start);
		cfg_add_int(p, "pe_count", pv->pe_count);
		if (pv->ba_size) {
			cfg_add_int(p, "ba_start", pv->ba_start);
			cfg_add_int(p, "ba_size", pv->ba_size);
		}
	}
	if (!m->nlv) {
		cfg_add_post_blank(vg, 2);
		return;
	}
	lvs = cfg_add_blank(cfg_add_section(vg, "logical_volumes"), 1);
	cfg_add_post_blank(vg, 1);
	for (unsigned i = 0; i < m->nlv; i++) {
		const struct mlv *lv = &m->lv[i];
		struct cfg_node *l = cfg_add_blank(cfg_add_section(lvs, lv->name), 1);

		cfg_add_str(l, "id", lv->id);
		add_list(l, "status", &lv->status);
		add_list(l, "flags", &lv->flags);
		if (lv->tags.n)
			add_list(l, "tags", &lv->tags);
		if (lv->ctime) {
			cfg_add_int(l, "creation_time", lv->ctime);
			cfg_add_str(l, "creation_host", lv->host);
		}
		cfg_add_int(l, "segment_count", lv->nseg);
		for (unsigned j = 0; j < lv->nseg; j++) {
			const struct mseg *s = &lv->seg[j];
			struct cfg_node *sn;

			snprintf(key, sizeof(key), "segment%u", j + 1);
			sn = cfg_add_section(l, key);
			if (!j)
				cfg_add_blank(sn, 1);
			cfg_add_int(sn, "start_extent", s->start);
			cfg_add_int(sn, "extent_count", s->count);
			cfg_add_blank(cfg_add_str(sn, "type", s->type), 1);
			if (strcmp(s->type, "striped"))
				continue;
			cfg_add_int(sn, "stripe_count", s->stripe_count);
			if (s->stripe_count > 1)
				cfg_add_int(sn, "stripe_size", s->stripe_size);
			n = cfg_add_blank(cfg_add_array(sn, "stripes"), 1);
			for (unsigned k = 0; k < s->nareas; k++) {
				cfg_array_add_str(n, s->area[k], true);
				cfg_array_add_int(n, s->pe[k], false);
			}
			if (n)
				n->nl_before_close = true;
		}
	}
}

/* Envelope fields of an existing text, to rebuild it byte for byte. */
static int old_envelope(struct cfg_tree *t, struct vgtext_info *info, char *gen, size_t genlen,
			char *un, size_t unlen)
{
	struct cfg_node *root = cfg_root(t), *c = cfg_find(root, "contents"), *h;
	struct err e = { { 0 } };
	const char *p;
	int64_t when;
	int r;

	/* "# Generated by <generator>: <24-character ctime>\n" */
	if (!c || !c->pre || strncmp(c->pre, "# Generated by ", 15) || !(p = strchr(c->pre, '\n')) ||
	    p - c->pre < 15 + 2 + 24)
		return die(0, "rebuild: no \"# Generated by\" line");
	snprintf(gen, genlen, "%.*s", (int)(p - c->pre - 15 - 2 - 24), c->pre + 15);
	info->generator = gen;
	GET(str, root, "description", &info->description);
	GET(str, root, "creation_host", &info->host);
	GET(int, root, "creation_time", &when);
	info->when = (time_t)when;
	h = cfg_find(root, "creation_host");
	if (!h->comment || strncmp(h->comment, "\t# ", 3))
		return die(0, "rebuild: no uname comment");
	snprintf(un, unlen, "%s", h->comment + 3);
	info->uname = un;
	return 0;
}

static int emit_and_write(struct cfg_tree *t, struct pvset *s)
{
	struct err e = { { 0 } };
	char *out;
	size_t len;
	int r;

	if ((r = cfg_tree_status(t, &e)) || (r = cfg_emit(t, 0, &out, &len, &e)))
		return die(r, "%s", e.msg);
	if (s) {
		r = commit(s, out, len + 1);
	} else {
		fwrite(out, 1, len, stdout);
		r = 0;
	}
	free(out);
	return r;
}

static int cmd_rebuild(int argc, char **argv)
{
	static struct mvg m;
	const struct vgtext_summary *sum;
	struct vgtext_info info = { 0 };
	struct err e = { { 0 } };
	struct cfg_tree *t = NULL;
	char gen[256], un[512];
	const char *text;
	size_t len;
	int r;

	if ((r = pvset_scan(&set, argc, argv, false)) || (r = best_text(&set, &text, &len, &sum)) ||
	    (r = load_vg(sum->vg, &m)) || (r = old_envelope(sum->tree, &info, gen, sizeof(gen), un, sizeof(un))))
		goto out;
	if ((r = cfg_tree_new(&t))) {
		r = die(r, "out of memory");
		goto out;
	}
	emit_vg(cfg_root(t), &m);
	if ((r = vgtext_add_envelope(t, VGTEXT_MDA, &info, &e)))
		r = die(r, "%s", e.msg);
	else
		r = emit_and_write(t, NULL);
out:
	cfg_tree_free(t);
	return r;
}

/* mkvg: allocate LVs in order, each stripe from the next PVs' free space. */
static int cmd_mkvg(int argc, char **argv)
{
	static struct mvg m;
	static char ids[MAX_PVS + MAX_LVS + 1][LVM_ID_TEXT_LEN + 1];
	char raw[LVM_ID_LEN + 1], desc[1024] = "Write from lvm-dump mkvg";
	uint64_t cursor[MAX_PVS] = { 0 }, v;
	const char *lvspec[MAX_LVS];
	unsigned nlvspec = 0, nid = 0;
	struct vgtext_info info = { .generator = "ulvm lvm-dump" };
	struct err e = { { 0 } };
	struct cfg_tree *t = NULL;
	struct utsname u;
	struct pvset *s = &set;
	int i, r;

	memset(&m, 0, sizeof(m));
	m.extent_size = 8192;
	m.seqno = 1;
	for (i = 0; i < argc; i++)
		snprintf(desc + strlen(desc), sizeof(desc) - strlen(desc), " %s", argv[i]);
	strcat(desc, ".");
	for (i = 0; i < argc - 1 && argv[i][0] == '-'; i += 2) {
		if (!strcmp(argv[i], "--lv") && nlvspec < MAX_LVS)
			lvspec[nlvspec++] = argv[i + 1];
		else if (!strcmp(argv[i], "--id"))
			m.id = argv[i + 1];
		else if ((r = num_arg(argv[i], argv[i + 1], &v)))
			return r;
		else if (!strcmp(argv[i], "-s"))
			m.extent_size = (int64_t)v;
		else if (!strcmp(argv[i], "--seqno"))
			m.seqno = (int64_t)v;
		else
			return die(0, "unknown option %s", argv[i]);
	}
	if (argc - i < 2)
		return die(0, "mkvg [options] VG DEV...");
	m.name = argv[i++];
	if ((r = pvset_scan(s, argc - i, argv + i, true)))
		return r;
	if (uname(&u))
		return die(-errno, "uname");
	if (!m.id) {
		if ((r = lvm_id_create(raw, &e)))
			return die(r, "%s", e.msg);
		lvm_id_format(raw, ids[nid]);
		m.id = ids[nid++];
	}
	m.format = "lvm2";
	m.status = (struct strlist){ 3, { "RESIZEABLE", "READ", "WRITE" } };
	for (unsigned p = 0; p < s->n; p++) {
		struct mpv *pv = &m.pv[m.npv++];
		struct pv *x = s->pv[p];
		static char keys[MAX_PVS][16];

		snprintf(keys[p], sizeof(keys[p]), "pv%u", p);
		pv->key = keys[p];
		lvm_id_format(x->label.pv_uuid, ids[nid]);
		pv->id = ids[nid++];
		pv->device = x->dev->name;
		pv->status = (struct strlist){ 1, { "ALLOCATABLE" } };
		pv->dev_size = (int64_t)(x->label.device_size / 512);
		pv->pe_start = (int64_t)(x->label.data[0].offset / 512);
		pv->pe_count = (int64_t)pv_pe_count(x, x->label.data[0].offset, (uint32_t)m.extent_size);
		if (x->label.n_ba) {
			pv->ba_start = (int64_t)(x->label.ba[0].offset / 512);
			pv->ba_size = (int64_t)(x->label.ba[0].size / 512);
		}
	}
	for (unsigned l = 0; l < nlvspec; l++) {
		struct mlv *lv = &m.lv[m.nlv++];
		char *spec = strdup(lvspec[l]), *name = strtok(spec, ":"), *f;
		uint64_t ext = 0, stripes = 1, ssize = 128;

		if (!name || !(f = strtok(NULL, ":")) || parse_u64(f, &ext) || !ext ||
		    ((f = strtok(NULL, ":")) && (parse_u64(f, &stripes) || !stripes || ext % stripes)) ||
		    (f && (f = strtok(NULL, ":")) && parse_u64(f, &ssize)))
			return die(0, "bad --lv %s", lvspec[l]);
		lv->name = name; /* leaked on purpose: lives until exit */
		if ((r = lvm_id_create(raw, &e)))
			return die(r, "%s", e.msg);
		lvm_id_format(raw, ids[nid]);
		lv->id = ids[nid++];
		lv->status = (struct strlist){ 3, { "READ", "WRITE", "VISIBLE" } };
		lv->ctime = time(NULL);
		lv->host = strdup(u.nodename);
		for (uint64_t le = 0; le < ext;) {
			struct mseg *sg = &lv->seg[lv->nseg];
			uint64_t per = 0;

			/* Linear: as much as the next PV with room has; striped:
			 * all of it, one stripe from each of the next PVs. */
			if (lv->nseg == MAX_SEGS)
				return die(0, "LV %s: too fragmented", name);
			sg->type = "striped";
			sg->start = (int64_t)le;
			sg->stripe_count = (int64_t)stripes;
			sg->stripe_size = stripes > 1 ? (int64_t)ssize : 0;
			for (unsigned p = 0; p < m.npv && sg->nareas < stripes; p++) {
				uint64_t room = (uint64_t)m.pv[p].pe_count - cursor[p];
				uint64_t want = stripes > 1 ? ext / stripes : ext - le;

				if (!room || (stripes > 1 && room < want))
					continue;
				per = want < room ? want : room;
				sg->area[sg->nareas] = m.pv[p].key;
				sg->pe[sg->nareas++] = (int64_t)cursor[p];
				cursor[p] += per;
			}
			if (sg->nareas < stripes || !per)
				return die(-ENOSPC, "LV %s: not enough free extents", name);
			sg->count = (int64_t)(per * stripes);
			le += per * stripes;
			lv->nseg++;
		}
	}
	info.description = desc;
	info.when = time(NULL);
	if ((r = cfg_tree_new(&t)))
		return die(r, "out of memory");
	emit_vg(cfg_root(t), &m);
	if ((r = vgtext_add_envelope(t, VGTEXT_MDA, &info, &e)))
		r = die(r, "%s", e.msg);
	else
		r = emit_and_write(t, s);
	cfg_tree_free(t);
	return r;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	int r;

	log_set_prog("lvm-dump");
	if (!strcmp(cmd, "text") || !strcmp(cmd, "reemit"))
		r = argc > 2 ? cmd_text(argc - 2, argv + 2, cmd[0] == 'r') : die(0, "no device");
	else if (!strcmp(cmd, "rebuild"))
		r = cmd_rebuild(argc - 2, argv + 2);
	else if (!strcmp(cmd, "headers"))
		r = cmd_headers(argc - 2, argv + 2);
	else if (!strcmp(cmd, "pvcreate"))
		r = cmd_pvcreate(argc - 2, argv + 2);
	else if (!strcmp(cmd, "write"))
		r = cmd_write(argc - 2, argv + 2);
	else if (!strcmp(cmd, "mkvg"))
		r = cmd_mkvg(argc - 2, argv + 2);
	else
		r = die(0, "usage: lvm-dump text|reemit|rebuild|headers|pvcreate|write|mkvg ...");
	pvset_free(&set);
	return r ? 1 : 0;
}
