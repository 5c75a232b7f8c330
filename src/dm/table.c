/* Table parsing, layout validation and construction. */
#include "dm/table.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/args.h"
#include "dm/dm_internal.h"

void dm_table_spec_free(struct dm_table_spec *spec)
{
	if (!spec)
		return;
	for (unsigned i = 0; i < spec->nlines; i++)
		free(spec->lines[i].argv);
	free(spec->lines);
	free(spec->buf);
	free(spec);
}

static int parse_line(char *line, unsigned lineno, struct dm_table_line *out, struct err *e)
{
	char **words = calloc(DM_MAX_ARGS + 3, sizeof(*words));
	int n;

	if (!words)
		return -ENOMEM;
	n = split_words(line, words, DM_MAX_ARGS + 3);
	if (n == -E2BIG) {
		free(words);
		return err_set(e, -EINVAL, "line %u: more than %d arguments", lineno, DM_MAX_ARGS);
	}
	if (n < 3) {
		free(words);
		return err_set(e, -EINVAL, "line %u: expected <start> <length> <target> [args...]",
			       lineno);
	}
	out->lineno = lineno;
	out->type = words[2];
	out->argc = n - 3;
	out->argv = words;
	if (parse_u64(words[0], &out->start))
		return err_set(e, -EINVAL, "line %u: invalid start sector '%s'", lineno, words[0]);
	if (parse_u64(words[1], &out->len))
		return err_set(e, -EINVAL, "line %u: invalid length '%s'", lineno, words[1]);
	/* argv[0] of the target's arguments */
	memmove(words, words + 3, (size_t)out->argc * sizeof(*words));
	words[out->argc] = NULL;
	return 0;
}

static int check_layout(const struct dm_table_spec *spec, struct err *e)
{
	uint64_t next = 0;

	if (!spec->nlines)
		return err_set(e, -EINVAL, "empty table");
	for (unsigned i = 0; i < spec->nlines; i++) {
		const struct dm_table_line *l = &spec->lines[i];

		if (!l->len)
			return err_set(e, -EINVAL, "line %u: zero length", l->lineno);
		if (l->start < next)
			return err_set(e, -EINVAL, "line %u: starts at sector %llu, overlapping the previous line (which ends at %llu)",
				       l->lineno, (unsigned long long)l->start, (unsigned long long)next);
		if (l->start > next)
			return err_set(e, -EINVAL, "line %u: starts at sector %llu, leaving a gap after sector %llu",
				       l->lineno, (unsigned long long)l->start, (unsigned long long)next);
		if (l->len > (UINT64_MAX >> SECTOR_SHIFT) - l->start)
			return err_set(e, -EINVAL, "line %u: length too large", l->lineno);
		next = l->start + l->len;
	}
	return 0;
}

int dm_table_parse(const char *text, struct dm_table_spec **out, struct err *e)
{
	struct dm_table_spec *spec = calloc(1, sizeof(*spec));
	unsigned cap = 0, lineno = 0;
	char *p, *nl;
	int r;

	if (!spec || !(spec->buf = strdup(text))) {
		free(spec);
		return -ENOMEM;
	}
	for (p = spec->buf; p; p = nl) {
		char *s;

		nl = strchr(p, '\n');
		if (nl)
			*nl++ = '\0';
		lineno++;
		for (s = p; *s == ' ' || *s == '\t' || *s == '\r'; s++)
			;
		if (!*s || *s == '#')
			continue;
		if (spec->nlines == DM_MAX_TARGETS) {
			r = err_set(e, -EINVAL, "line %u: more than %d targets", lineno, DM_MAX_TARGETS);
			goto fail;
		}
		if (spec->nlines == cap) {
			struct dm_table_line *l;
			cap = cap ? cap * 2 : 8;
			l = realloc(spec->lines, cap * sizeof(*l));
			if (!l) {
				r = -ENOMEM;
				goto fail;
			}
			spec->lines = l;
		}
		memset(&spec->lines[spec->nlines], 0, sizeof(spec->lines[0]));
		r = parse_line(s, lineno, &spec->lines[spec->nlines], e);
		spec->nlines++;
		if (r)
			goto fail;
	}
	r = check_layout(spec, e);
	if (r)
		goto fail;
	*out = spec;
	return 0;
fail:
	dm_table_spec_free(spec);
	return r;
}

struct area_check {
	struct err *e;
	unsigned lineno;
	int r;
};

static int check_area(struct dm_target *ti, struct dev *dev, uint64_t start, uint64_t len,
		      void *data)
{
	struct area_check *ac = data;

	if (start > dev->size || len > dev->size - start) {
		ac->r = err_set(ac->e, -EINVAL,
				"line %u: %s: %s is too small: the table needs sectors %llu-%llu, the device has %llu",
				ac->lineno, ti->type->name, dm_device_name(ti, dev),
				(unsigned long long)to_sectors(start),
				(unsigned long long)to_sectors(start + len) - 1,
				(unsigned long long)to_sectors(dev->size));
		return 1;
	}
	if ((start | len) % dev->block_size) {
		ac->r = err_set(ac->e, -EINVAL,
				"line %u: %s: range on %s not aligned to its %u-byte blocks",
				ac->lineno, ti->type->name, dm_device_name(ti, dev), dev->block_size);
		return 1;
	}
	return 0;
}

static int construct(struct dm_table *t, const struct dm_table_spec *spec, struct err *e)
{
	for (unsigned i = 0; i < spec->nlines; i++) {
		const struct dm_table_line *l = &spec->lines[i];
		struct dm_target *ti = &t->targets[i];
		struct arg_set as = { .argc = l->argc, .argv = l->argv };
		struct area_check ac = { .e = e, .lineno = l->lineno };
		int r;

		ti->table = t;
		r = ti->type->ctr(ti, &as);
		if (r) {
			ti->type = NULL; /* not constructed: no dtr */
			return err_set(e, r, "line %u: %s: %s", l->lineno, l->type,
				       ti->error ? ti->error : strerror(-r));
		}
		t->ntargets = i + 1;
		if (ti->type->iterate_devices) {
			ti->type->iterate_devices(ti, check_area, &ac);
			if (ac.r)
				return ac.r;
		}
	}
	return 0;
}

void dm_target_set_error(struct dm_target *ti, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ti->table->error_buf, sizeof(ti->table->error_buf), fmt, ap);
	va_end(ap);
	ti->error = ti->table->error_buf;
}

const void *dm_target_owner(const struct dm_target *ti)
{
	return ti->table->self;
}

uint64_t dm_target_param(const struct dm_target *ti, unsigned i)
{
	return ti->table->ctx ? dm_context_param(ti->table->ctx, ti->type, i) : ti->type->params[i].def;
}

const struct target_type *dm_table_immutable_type(const struct dm_table *t)
{
	for (unsigned i = 0; t && i < t->ntargets; i++)
		if (t->targets[i].type->features & DM_TARGET_IMMUTABLE)
			return t->targets[i].type;
	return NULL;
}

int dm_table_create(struct dm_context *ctx, struct mapped_device *self, const char *text,
		    const char *cwd, struct dm_table **out, struct err *e)
{
	struct dm_table_spec *spec;
	struct dm_table *t;
	int r;

	r = dm_table_parse(text, &spec, e);
	if (r)
		return r;
	t = calloc(1, sizeof(*t));
	if (!t) {
		dm_table_spec_free(spec);
		return -ENOMEM;
	}
	t->ctx = ctx;
	t->self = self;
	t->cwd = cwd;
	t->targets = calloc(spec->nlines, sizeof(*t->targets));
	t->ends = calloc(spec->nlines, sizeof(*t->ends));
	if (!t->targets || !t->ends) {
		r = -ENOMEM;
		goto fail;
	}
	/* Every target type is known before any constructor runs. */
	for (unsigned i = 0; i < spec->nlines; i++) {
		const struct dm_table_line *l = &spec->lines[i];

		t->targets[i].type = dm_find_target_type(ctx, l->type);
		if (!t->targets[i].type) {
			r = err_set(e, -EINVAL, "line %u: unknown target type '%s'", l->lineno, l->type);
			goto fail;
		}
		if ((t->targets[i].type->features & DM_TARGET_SINGLETON) && spec->nlines > 1) {
			r = err_set(e, -EINVAL, "line %u: target type %s must be the only one in its table",
				    l->lineno, l->type);
			goto fail;
		}
		t->targets[i].begin = l->start;
		t->targets[i].len = l->len;
		t->ends[i] = l->start + l->len;
	}
	t->sectors = t->ends[spec->nlines - 1];
	r = construct(t, spec, e);
	if (r)
		goto fail;
	t->cwd = NULL;
	dm_table_claim(t);
	/* Read-only when a device it writes to is: a device that is only
	 * read (a thin volume's external origin) does not count. */
	for (unsigned i = 0; i < t->ndevs; i++)
		if (t->devs[i].dev->read_only && !t->devs[i].read_only_use)
			t->read_only = true;
	dm_table_spec_free(spec);
	*out = t;
	return 0;
fail:
	dm_table_spec_free(spec);
	dm_table_destroy(t);
	return r;
}

void dm_table_destroy(struct dm_table *t)
{
	if (!t)
		return;
	for (unsigned i = 0; i < t->ntargets; i++)
		if (t->targets[i].type && t->targets[i].type->dtr)
			t->targets[i].type->dtr(&t->targets[i]);
	dm_table_put_devs(t);
	free(t->targets);
	free(t->ends);
	free(t);
}

unsigned dm_table_find(const struct dm_table *t, uint64_t sector)
{
	unsigned lo = 0, hi = t->ntargets - 1;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		if (t->ends[mid] > sector)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

void dm_emit(char *buf, size_t maxlen, const char *fmt, ...)
{
	size_t used = strnlen(buf, maxlen);
	va_list ap;

	if (used + 1 >= maxlen)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, maxlen - used, fmt, ap);
	va_end(ap);
}

/* Word @n (1-based) of @st becomes zeros, as dmsetup shows a crypt key. */
static void mask_arg(char *st, unsigned n)
{
	char *p = st;

	for (unsigned i = 1; *p; i++) {
		size_t w;

		p += strspn(p, " ");
		w = strcspn(p, " ");
		if (i == n) {
			memset(p, '0', w);
			return;
		}
		p += w;
	}
}

int dm_table_format(struct dm_table *t, enum status_type type, char **out)
{
	char line[8192], st[8000];
	size_t cap = 256, len = 0;
	char *s = malloc(cap);

	if (!s)
		return -ENOMEM;
	s[0] = '\0';
	for (unsigned i = 0; i < t->ntargets; i++) {
		struct dm_target *ti = &t->targets[i];
		size_t n;

		st[0] = '\0';
		if (ti->type->status)
			ti->type->status(ti, type == STATUSTYPE_TABLE_KEYS ? STATUSTYPE_TABLE : type, st, sizeof(st));
		if (type == STATUSTYPE_TABLE && ti->type->secret_arg)
			mask_arg(st, ti->type->secret_arg);
		snprintf(line, sizeof(line), "%llu %llu %s %s", (unsigned long long)ti->begin,
			 (unsigned long long)ti->len, ti->type->name, st);
		n = strlen(line);
		while (n && line[n - 1] == ' ')
			line[--n] = '\0';
		if (len + n + 2 > cap) {
			char *ns;
			while (len + n + 2 > cap)
				cap *= 2;
			ns = realloc(s, cap);
			if (!ns) {
				free(s);
				return -ENOMEM;
			}
			s = ns;
		}
		memcpy(s + len, line, n);
		len += n;
		s[len++] = '\n';
		s[len] = '\0';
	}
	*out = s;
	return 0;
}
