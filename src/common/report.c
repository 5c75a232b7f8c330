/* The report engine: libdm's dm_report as lvm2's reporter.c drives it.
 *
 * A report has columns (what -o shows, in order, duplicates allowed) and
 * slots (one value per distinct field that is shown or sorted on).  Each
 * row holds one cell per slot.  Nothing is printed until report_output(),
 * which, like lvm2's default buffered mode, sorts all rows, widens every
 * column to its longest value and then prints.
 *
 * Behaviour copied from lvm2 2.03.16 and checked against its output:
 *  - a column is as wide as the field's own width (the heading's length
 *    when that is 0) or its longest value; headings are cut to the width,
 *    as "InitImgSyn" for lv_initial_image_sync;
 *  - every line starts with two spaces and columns are joined by the
 *    separator; aligned columns are padded, the last one too;
 *  - --separator turns alignment off unless --aligned is given,
 *    --nameprefixes always turns it off, --rows prints one line per field;
 *  - with zero rows the basic format prints nothing, not even headings;
 *  - JSON ignores alignment, headings and --rows, and escapes only '"'.
 *  - a selection (-S) keeps the rows it matches, or all of them when the
 *    implicit field "selected" is shown (1 or 0); its fields are
 *    computed like hidden columns.
 * Not copied: --binary, unbuffered output, lvm2's
 * broken quotes when --nameprefixes is combined with JSON, and its sort
 * of percentages and string lists (it compares their binary sort values
 * as strings); ties keep the order rows were added in.
 */
#include "common/report.h"
#include "common/report_int.h"
#include "common/select.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Fields every report knows besides the registry's, as libdm's implicit
 * ones: "selected" (field number nfields) and the two names of help. */
const char *const report_help_ids[2] = { "help", "?" };
const struct report_field report_selected_field = {
	"selected", "Selected", 0, REPORT_NUM, 8, 0, "Set if item passes selection criteria."
};

const struct report_field *report_field_def(const struct report_registry *reg, unsigned f)
{
	return f < reg->nfields ? &reg->fields[f] : &report_selected_field;
}

void report_opts_init(struct report_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->format = REPORT_BASIC;
	units_init(&o->units);
}

int report_parse_format(const char *s, enum report_format *f)
{
	if (s && !strcmp(s, "basic"))
		*f = REPORT_BASIC;
	else if (s && !strcmp(s, "json"))
		*f = REPORT_JSON;
	else
		return -EINVAL;
	return 0;
}

/* ---- field names -------------------------------------------------- */

/* Drop underscores, as _get_canonical_field_name(); false if too long. */
static bool canonical(const char *s, size_t len, char *out)
{
	size_t n = 0;

	for (; len && *s; s++, len--) {
		if (*s == '_')
			continue;
		if (n + 1 >= ID_MAX)
			return false;
		out[n++] = *s;
	}
	out[n] = '\0';
	return true;
}

/* _is_same_field(): @id equals @word, or the report prefix plus @word. */
static bool same_field(const char *id, const char *word, const char *prefix)
{
	size_t plen = strlen(prefix) ? strlen(prefix) - 1 : 0;

	if (!strcasecmp(id, word))
		return true;
	return plen && !strncasecmp(prefix, id, plen) && !strcasecmp(id + plen, word);
}

const struct report_object *report_find_object(const struct report_registry *reg, uint32_t id)
{
	for (size_t i = 0; i < reg->nobjects; i++)
		if (reg->objects[i].id == id)
			return &reg->objects[i];
	return NULL;
}

int report_field_find(const struct report_registry *reg, const char *prefix, const char *word, size_t len)
{
	char canon[ID_MAX], id[ID_MAX];

	if (!len || !canonical(word, len, canon))
		return -1;
	if (same_field(report_selected_field.id, canon, prefix))
		return REPORT_FIELD_SELECTED(reg);
	for (size_t i = 0; i < sizeof(report_help_ids) / sizeof(report_help_ids[0]); i++)
		if (same_field(report_help_ids[i], canon, prefix))
			return -2;
	for (size_t f = 0; f < reg->nfields; f++) {
		if (!canonical(reg->fields[f].id, SIZE_MAX, id))
			continue;
		if (same_field(id, canon, prefix))
			return (int)f;
	}
	return -1;
}

/* A field, or -1; *@help for "help" and "?". */
static int lookup(const struct report *rep, const char *word, size_t len, bool *help)
{
	int f = report_field_find(rep->reg, rep->prefix, word, len);

	*help = f == -2;
	return f < 0 ? -1 : f;
}

/* _all_match(): "all" or "<prefix>all" names these object types. */
static uint32_t match_all(const struct report *rep, const char *word, size_t len)
{
	char canon[ID_MAX];
	uint32_t types = 0;
	bool bare = false;
	size_t clen;

	if (len == 3 && !strncasecmp(word, "all", 3)) {
		if (!*rep->prefix)
			return UINT32_MAX;
		bare = true;
		types = rep->objects;
		word = rep->prefix;
		len = strlen(word);
	}
	if (!canonical(word, len, canon))
		return 0;
	clen = strlen(canon);
	for (size_t i = 0; i < rep->reg->nobjects; i++) {
		const struct report_object *o = &rep->reg->objects[i];
		size_t plen = strlen(o->prefix) ? strlen(o->prefix) - 1 : 0;

		if (strncasecmp(o->prefix, canon, plen))
			continue;
		if ((bare && clen == plen) ||
		    (clen == plen + 3 && !strncasecmp(canon + plen, "all", 3)))
			types |= o->id;
	}
	return types;
}

/* ---- building the column list -------------------------------------- */

/* The words of a comma list, empty ones dropped, as str_to_str_list(). */
struct words {
	char **w;
	size_t n, cap;
};

static void words_free(struct words *ws)
{
	for (size_t i = 0; i < ws->n; i++)
		free(ws->w[i]);
	free(ws->w);
	memset(ws, 0, sizeof(*ws));
}

static int words_add(struct words *ws, const char *list)
{
	const char *p = list, *e;

	while (p && *p) {
		while (*p == ',')
			p++;
		e = p;
		while (*e && *e != ',')
			e++;
		if (e > p) {
			if (ws->n == ws->cap) {
				size_t cap = ws->cap ? 2 * ws->cap : 16;
				char **w = realloc(ws->w, cap * sizeof(*w));

				if (!w)
					return -ENOMEM;
				ws->w = w;
				ws->cap = cap;
			}
			if (!(ws->w[ws->n] = strndup(p, (size_t)(e - p))))
				return -ENOMEM;
			ws->n++;
		}
		p = e;
	}
	return 0;
}

/* _del_option_from_list(): drop the last word equal to @name, comparing
 * with the report prefix (and one '_') stripped from both. */
static void words_remove(struct words *ws, const char *prefix, const char *name)
{
	size_t plen = strlen(prefix) ? strlen(prefix) - 1 : 0;
	const char *a = name;

	if (plen && !strncmp(prefix, a, plen)) {
		a += plen;
		if (*a == '_')
			a++;
	}
	for (size_t i = ws->n; i-- > 0;) {
		const char *b = ws->w[i];
		bool match = !strcmp(name, b);

		if (!match) {
			if (plen && !strncmp(prefix, b, plen)) {
				b += plen;
				if (*b == '_')
					b++;
			}
			match = !strcmp(a, b);
		}
		if (match) {
			free(ws->w[i]);
			memmove(&ws->w[i], &ws->w[i + 1], (ws->n - i - 1) * sizeof(ws->w[0]));
			ws->n--;
			return;
		}
	}
}

static int slot_for(struct report *rep, unsigned field)
{
	if (rep->slot_of[field] < 0) {
		rep->slot_field[rep->nslots] = field;
		rep->slot_of[field] = (int)rep->nslots++;
		rep->objects |= report_def(rep, field)->object;
	}
	return rep->slot_of[field];
}

static int add_col(struct report *rep, unsigned field)
{
	struct report_col *c = realloc(rep->cols, (rep->ncols + 1) * sizeof(*c));
	const struct report_field *f = report_def(rep, field);

	if (!c)
		return -ENOMEM;
	rep->cols = c;
	c = &rep->cols[rep->ncols++];
	memset(c, 0, sizeof(*c));
	c->field = field;
	c->slot = (unsigned)slot_for(rep, field);
	c->width = f->width ? f->width : strlen(f->heading);
	return 0;
}

static int unrecognised(struct err *e, const char *pfx, const char *word)
{
	return err_set(e, -ENOENT, "%sUnrecognised field: %s", pfx, word);
}

/* Two passes as dm_report_init(): the first only collects object types,
 * so "all" covers every type named anywhere in -o or -O. */
static int parse_fields(struct report *rep, const struct words *ws, bool types_only,
			struct err *e)
{
	for (size_t i = 0; i < ws->n; i++) {
		const char *w = ws->w[i];
		bool help;
		int f = lookup(rep, w, strlen(w), &help);
		uint32_t types;
		int rc;

		if (help) {
			rep->help = true;
			continue;
		}
		if (f >= 0) {
			if (types_only)
				rep->objects |= report_def(rep, (unsigned)f)->object;
			else if ((rc = add_col(rep, (unsigned)f)))
				return rc;
			continue;
		}
		if (!(types = match_all(rep, w, strlen(w))))
			return unrecognised(e, "", w);
		if (types_only) {
			rep->objects |= types;
			continue;
		}
		for (size_t g = 0; g < rep->reg->nfields; g++) {
			if (!(rep->reg->fields[g].object & types))
				continue;
			if ((rc = add_col(rep, (unsigned)g)))
				return rc;
		}
	}
	return 0;
}

static int parse_keys(struct report *rep, const struct words *ws, bool types_only,
		      struct err *e)
{
	for (size_t i = 0; i < ws->n; i++) {
		const char *w = ws->w[i];
		bool desc = false, help, dup = false;
		int f, slot;

		if (*w == '+' || *w == '-')
			desc = *w++ == '-';
		f = lookup(rep, w, strlen(w), &help);
		if (help) {
			rep->help = true;
			continue;
		}
		if (f < 0)
			return unrecognised(e, "dm_report: ", ws->w[i]);
		if (types_only) {
			rep->objects |= report_def(rep, (unsigned)f)->object;
			continue;
		}
		slot = slot_for(rep, (unsigned)f);
		for (unsigned k = 0; k < rep->nkeys; k++)
			dup |= rep->keys[k].slot == (unsigned)slot;
		if (dup)
			continue; /* lvm2 warns "Ignoring duplicate sort field" */
		rep->keys[rep->nkeys].slot = (unsigned)slot;
		rep->keys[rep->nkeys++].desc = desc;
	}
	return 0;
}

static int parse_compact(struct report *rep, const char *list, struct err *e)
{
	struct words ws = { 0 };
	int rc = words_add(&ws, list);

	for (size_t i = 0; !rc && i < ws.n; i++) {
		bool help;
		int f = lookup(rep, ws.w[i], strlen(ws.w[i]), &help);

		if (f < 0 && !help) {
			rc = err_set(e, -ENOENT, "dm_report: Unrecognized field: %s", ws.w[i]);
			break;
		}
		for (unsigned c = 0; f >= 0 && c < rep->ncols; c++)
			if (rep->cols[c].field == (unsigned)f) {
				rep->cols[c].compact = true;
				break;
			}
	}
	words_free(&ws);
	return rc;
}

/* The final -o list, as _get_report_options() builds it. */
static int option_words(const struct report *rep, struct words *ws, const char **compact,
			struct err *e)
{
	const struct report_opts *o = &rep->opts;
	const char *def = o->verbose && rep->spec->fields_verbose ? rep->spec->fields_verbose
								   : rep->spec->fields;
	int rc = words_add(ws, def);

	for (size_t i = 0; !rc && i < o->noptions; i++) {
		const char *s = o->options[i];

		if (!s || !*s)
			return err_set(e, -EINVAL, "Invalid options string: %s", s ? s : "");
		switch (*s) {
		case '+':
			rc = words_add(ws, s + 1);
			break;
		case '-': {
			struct words rm = { 0 };

			rc = words_add(&rm, s + 1);
			for (size_t j = 0; !rc && j < rm.n; j++)
				words_remove(ws, rep->prefix, rm.w[j]);
			words_free(&rm);
			break;
		}
		case '#':
			*compact = s + 1;
			break;
		default:
			words_free(ws);
			rc = words_add(ws, s);
		}
	}
	return rc;
}

/* -S: its fields are computed as hidden columns (lvm2's add_new_fields). */
static int parse_selection(struct report *rep, struct err *e)
{
	const unsigned *fields;
	unsigned n;
	int rc;

	for (unsigned i = 0; i < rep->ncols; i++)
		if (rep->cols[i].field == (unsigned)REPORT_FIELD_SELECTED(rep->reg))
			rep->selected_col = (int)i;
	if (select_is_help(rep->opts.selection)) {
		rep->select_help = true;
		return 0;
	}
	if ((rc = select_parse(rep->reg, rep->prefix, rep->opts.selection, &rep->sel, e)))
		return rc;
	n = select_fields(rep->sel, &fields);
	for (unsigned i = 0; i < n; i++)
		slot_for(rep, fields[i]);
	return 0;
}

int report_create(const struct report_registry *reg, const struct report_spec *spec,
		  const struct report_opts *opts, struct report **out, struct err *e)
{
	const struct report_object *obj = report_find_object(reg, spec->object);
	struct words fields = { 0 }, keys = { 0 };
	const char *compact = NULL;
	struct report *rep;
	int rc = -ENOMEM;

	*out = NULL;
	if (!(rep = calloc(1, sizeof(*rep))))
		return -ENOMEM;
	rep->reg = reg;
	rep->spec = spec;
	rep->opts = *opts;
	rep->prefix = obj ? obj->prefix : "";
	rep->objects = spec->object;
	rep->headings = !opts->noheadings;
	rep->aligned = !opts->separator || opts->aligned;
	if (opts->nameprefixes || opts->rows)
		rep->aligned = false;
	if (opts->format == REPORT_JSON) {
		rep->aligned = false;
		rep->headings = false;
		rep->opts.rows = false;
		rep->opts.nameprefixes = false;
	}
	/* A key or slot per distinct field at most. */
	if (!(rep->separator = strdup(opts->separator ? opts->separator : " ")) ||
	    !(rep->slot_of = calloc(reg->nfields + 1, sizeof(int))) ||
	    !(rep->slot_field = calloc(reg->nfields + 1, sizeof(unsigned))) ||
	    !(rep->keys = calloc(reg->nfields + 1, sizeof(*rep->keys))))
		goto fail;
	for (size_t f = 0; f <= reg->nfields; f++)
		rep->slot_of[f] = -1;
	rep->selected_col = -1;

	if ((rc = option_words(rep, &fields, &compact, e)) ||
	    (rc = words_add(&keys, opts->sort ? opts->sort : spec->sort)) ||
	    (rc = parse_fields(rep, &fields, true, e)) ||
	    (rc = parse_keys(rep, &keys, true, e)) ||
	    (rc = parse_fields(rep, &fields, false, e)) ||
	    (rc = parse_keys(rep, &keys, false, e)) ||
	    (compact && (rc = parse_compact(rep, compact, e))) ||
	    (rc = parse_selection(rep, e)))
		goto fail;
	words_free(&fields);
	words_free(&keys);
	*out = rep;
	return 0;
fail:
	words_free(&fields);
	words_free(&keys);
	report_free(rep);
	return rc;
}

static void row_free(const struct report *rep, struct report_row *row)
{
	for (unsigned s = 0; s < rep->nslots; s++) {
		free(row->cells[s].str);
		free(row->cells[s].key);
	}
	free(row);
}

void report_free(struct report *rep)
{
	if (!rep)
		return;
	for (size_t r = 0; r < rep->nrows; r++)
		row_free(rep, rep->rows[r]);
	select_free(rep->sel);
	free(rep->rows);
	free(rep->cols);
	free(rep->keys);
	free(rep->slot_of);
	free(rep->slot_field);
	free(rep->separator);
	free(rep);
}

bool report_help_requested(const struct report *rep)
{
	return rep->help;
}

bool report_select_help_requested(const struct report *rep)
{
	return rep->select_help;
}

bool report_wants(const struct report *rep, unsigned field)
{
	return field <= rep->reg->nfields && rep->slot_of[field] >= 0;
}

void report_set_binary(struct report *rep)
{
	rep->opts.binary = true;
}

bool report_row_wants(const struct report_row *row, unsigned field)
{
	return row && report_wants(row->rep, field);
}

uint32_t report_objects(const struct report *rep)
{
	return rep->objects;
}

/* ---- rows and values ----------------------------------------------- */

struct report_row *report_row_new(struct report *rep)
{
	struct report_row *row;

	if (rep->nrows == rep->cap) {
		size_t cap = rep->cap ? 2 * rep->cap : 32;
		struct report_row **rows = realloc(rep->rows, cap * sizeof(*rows));

		if (!rows)
			goto nomem;
		rep->rows = rows;
		rep->cap = cap;
	}
	if (!(row = calloc(1, sizeof(*row) + rep->nslots * sizeof(row->cells[0]))))
		goto nomem;
	row->rep = rep;
	row->seq = rep->nrows;
	rep->rows[rep->nrows++] = row;
	/* a binary field always has a value, as lvm2's: 0 unless set */
	for (unsigned s = 0; s < rep->nslots; s++)
		if (report_def(rep, rep->slot_field[s])->flags & REPORT_BINARY)
			report_set_value(row, rep->slot_field[s], "", 0);
	return row;
nomem:
	rep->error = -ENOMEM;
	return NULL;
}

/* The cell of @field, or NULL when the report does not need it. */
static struct report_cell *cell(struct report_row *row, unsigned field)
{
	if (!row || !report_wants(row->rep, field))
		return NULL;
	return &row->cells[row->rep->slot_of[field]];
}

static void put(struct report_row *row, struct report_cell *c, char *s, uint64_t sort)
{
	if (!s) {
		row->rep->error = -ENOMEM;
		return;
	}
	free(c->str);
	free(c->key);
	c->str = s;
	c->key = NULL;
	c->sort = sort;
	c->set = true;
}

void report_set_str_key(struct report_row *row, unsigned field, const char *s, const char *key)
{
	struct report_cell *c = cell(row, field);

	report_set_str(row, field, s);
	if (c && c->str && !(c->key = strdup(key ? key : "")))
		row->rep->error = -ENOMEM;
}

void report_set_value(struct report_row *row, unsigned field, const char *s, uint64_t sort)
{
	struct report_cell *c = cell(row, field);

	if (c && row->rep->opts.binary && report_def(row->rep, field)->flags & REPORT_BINARY)
		s = sort == UINT64_MAX ? "-1" : sort ? "1" : "0"; /* lvm2's _binary_disp, _binary_undef_disp */
	if (c)
		put(row, c, strdup(s ? s : ""), sort);
}

void report_set_str(struct report_row *row, unsigned field, const char *s)
{
	report_set_value(row, field, s, 0);
}

void report_set_fmt(struct report_row *row, unsigned field, const char *fmt, ...)
{
	struct report_cell *c = cell(row, field);
	va_list ap;
	char *s;

	if (!c)
		return;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	put(row, c, s, 0);
}

void report_set_u64(struct report_row *row, unsigned field, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	report_set_value(row, field, buf, v);
}

void report_set_s64(struct report_row *row, unsigned field, int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	report_set_value(row, field, buf, (uint64_t)v);
}

void report_set_bytes(struct report_row *row, unsigned field, uint64_t bytes)
{
	char buf[UNITS_BUF];

	if (!cell(row, field))
		return;
	units_format(buf, sizeof(buf), bytes, &row->rep->opts.units, SIZE_UNIT);
	report_set_value(row, field, buf, bytes);
}

void report_set_sectors(struct report_row *row, unsigned field, uint64_t sectors)
{
	report_set_bytes(row, field, sectors * 512);
}

int32_t report_make_percent(uint64_t numerator, uint64_t denominator)
{
	int32_t p;

	if (!denominator || numerator == denominator)
		return REPORT_PERCENT_100;
	if (!numerator)
		return 0;
	p = (int32_t)(REPORT_PERCENT_100 * ((double)numerator / (double)denominator));
	if (p == REPORT_PERCENT_100)
		return REPORT_PERCENT_100 - 1;
	if (p == 0)
		return 1;
	return p;
}

/* dm_percent_to_round_float(p, 2), in float as libdm computes it. */
static float percent_round(int32_t p)
{
	float f = (float)p / REPORT_PERCENT_1 + 0.f;
	float r = REPORT_PERCENT_1 * .01f;

	if (p < r && p > 0)
		f = .01f;
	else if (p > REPORT_PERCENT_100 - r && p < REPORT_PERCENT_100)
		f = (float)(REPORT_PERCENT_100 - r) / REPORT_PERCENT_1;
	return f;
}

void report_set_percent(struct report_row *row, unsigned field, int32_t percent)
{
	char buf[8] = "";

	if (percent != REPORT_PERCENT_INVALID)
		snprintf(buf, 7, "%.2f", (double)percent_round(percent));
	report_set_value(row, field, buf, (uint64_t)(int64_t)percent);
}

/* ---- selection ----------------------------------------------------- */

static void select_value(void *ctx, unsigned field, struct select_value *v)
{
	const struct report_row *row = ctx;
	const struct report *rep = row->rep;
	const struct report_cell *c;

	if (field == (unsigned)REPORT_FIELD_SELECTED(rep->reg)) {
		v->num = 1; /* lvm2's row->selected while it is being decided */
		v->set = true;
		return;
	}
	if (rep->slot_of[field] < 0)
		return;
	c = &row->cells[rep->slot_of[field]];
	v->str = c->str ? report_key_of(row, (unsigned)rep->slot_of[field]) : NULL;
	v->num = c->sort;
	v->set = c->set;
	v->sep = report_def(rep, field)->flags & REPORT_LIST_BLANK ? ' ' : ',';
}

bool report_row_selected(struct report_row *row)
{
	return !row || select_match(row->rep->sel, select_value, row);
}

/* Keep the rows the selection matches, or all of them with "selected"
 * shown as 1 or 0; a "selected" only sorted on does not keep them. */
void report_apply_selection(struct report *rep)
{
	int slot = rep->slot_of[REPORT_FIELD_SELECTED(rep->reg)];
	size_t k = 0;

	for (size_t r = 0; r < rep->nrows; r++) {
		struct report_row *row = rep->rows[r];
		bool ok = report_row_selected(row);

		if (slot >= 0)
			put(row, &row->cells[slot], strdup(ok ? "1" : "0"), ok);
		if (!ok && rep->selected_col < 0) {
			row_free(rep, row);
			continue;
		}
		rep->rows[k++] = row;
	}
	rep->nrows = k;
}
