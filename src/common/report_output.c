/* The report engine's printing (report.c has the rest): `-o help`, and
 * report_output(), which sorts the rows, widens every column to its
 * longest value and prints them as lvm2's buffered reporter does (the
 * rules are in report.c's comment). */
#include "common/report.h"
#include "common/report_int.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- -o help ------------------------------------------------------- */

static void print_section(FILE *out, const char *desc, const char *prefix, int idw)
{
	static const char dashes[] =
		"-------------------------------------------------------------------------------";
	int n = (int)strlen(desc) + 7;

	fprintf(out, LINE_PREFIX "%s Fields\n", desc);
	fprintf(out, LINE_PREFIX "%*.*s\n", n, n, dashes);
	if (prefix)
		fprintf(out, LINE_PREFIX "  %sall%-*s - %s\n", prefix,
			idw - 3 - (int)strlen(prefix), "", "All fields in this section.");
}

static const char *const type_names[] = {
	[REPORT_STR] = "string", [REPORT_NUM] = "number", [REPORT_SIZE] = "size",
	[REPORT_PERCENT] = "percent", [REPORT_TIME] = "time", [REPORT_STR_LIST] = "string list",
};

static void print_field(FILE *out, int idw, const char *id, const char *desc, bool types, const char *type)
{
	fprintf(out, LINE_PREFIX "  %-*s - %s%s%s%s\n", idw, id, desc ? desc : "", types ? " [" : "",
		types ? type : "", types ? "]" : "");
}

/* _display_fields(): -o help lists "<prefix>all" in each section, a bad
 * -S field gets the types instead. */
static void print_fields(const struct report_registry *reg, FILE *out, bool types)
{
	const struct report_object *last = NULL;
	int idw = 8; /* "selected", in lvm2's own list */

	for (size_t f = 0; f < reg->nfields; f++)
		if ((int)strlen(reg->fields[f].id) > idw)
			idw = (int)strlen(reg->fields[f].id);
	for (size_t i = 0; i < reg->nobjects; i++)
		if ((int)strlen(reg->objects[i].prefix) + 3 > idw)
			idw = (int)strlen(reg->objects[i].prefix) + 3;

	for (size_t f = 0; f < reg->nfields; f++) {
		const struct report_field *fd = &reg->fields[f];
		const struct report_object *o = report_find_object(reg, fd->object);

		if (o && o != last) {
			if (last)
				fprintf(out, LINE_PREFIX " \n");
			print_section(out, o->desc, types ? NULL : o->prefix, idw);
			last = o;
		}
		print_field(out, idw, fd->id, fd->desc, types, type_names[fd->type]);
	}
	fprintf(out, LINE_PREFIX " \n");
	print_section(out, "Special", NULL, idw);
	print_field(out, idw, report_selected_field.id, report_selected_field.desc, types, "number");
	for (size_t i = 0; i < sizeof(report_help_ids) / sizeof(report_help_ids[0]); i++)
		print_field(out, idw, report_help_ids[i], "Show help.", types, "unselectable number");
	fprintf(out, LINE_PREFIX " \n");
}

void report_print_fields(const struct report_registry *reg, FILE *out)
{
	print_fields(reg, out, false);
}

void report_print_fields_typed(const struct report_registry *reg, FILE *out)
{
	print_fields(reg, out, true);
}

/* ---- output -------------------------------------------------------- */

static bool numeric(enum report_type t)
{
	return t != REPORT_STR && t != REPORT_STR_LIST;
}

static int row_cmp(const void *a, const void *b, void *arg)
{
	const struct report_row *ra = *(const struct report_row *const *)a;
	const struct report_row *rb = *(const struct report_row *const *)b;
	const struct report *rep = arg;

	for (unsigned k = 0; k < rep->nkeys; k++) {
		unsigned s = rep->keys[k].slot;
		enum report_type t = report_def(rep, rep->slot_field[s])->type;
		int c;

		if (numeric(t)) {
			uint64_t x = ra->cells[s].sort, y = rb->cells[s].sort;

			c = x < y ? -1 : x > y;
		} else {
			c = strcmp(report_key_of(ra, s), report_key_of(rb, s));
		}
		if (c)
			return rep->keys[k].desc ? -c : c;
	}
	return ra->seq < rb->seq ? -1 : ra->seq > rb->seq;
}

static bool right_aligned(const struct report_field *f)
{
	if (f->flags & (REPORT_ALIGN_LEFT | REPORT_ALIGN_RIGHT))
		return f->flags & REPORT_ALIGN_RIGHT;
	return f->type == REPORT_NUM || f->type == REPORT_SIZE;
}

/* One value as _output_field() prints it. */
static void put_value(const struct report *rep, const struct report_col *c, const char *v,
		      FILE *out)
{
	const struct report_field *f = report_def(rep, c->field);
	bool quote = rep->opts.nameprefixes && !rep->opts.unquoted;

	if (rep->opts.format == REPORT_JSON) {
		fprintf(out, "\"%s\":\"", f->id);
		for (; *v; v++) {
			if (*v == '"')
				fputc('\\', out);
			fputc(*v, out);
		}
		fputc('"', out);
		return;
	}
	if (rep->opts.nameprefixes) {
		fputs("LVM2_", out);
		for (const char *p = f->id; *p; p++)
			fputc(toupper((unsigned char)*p), out);
		fputs(quote ? "='" : "=", out);
	}
	if (!rep->aligned)
		fputs(v, out);
	else if (right_aligned(f)) /* a value wider than its column: --unbuffered */
		fprintf(out, "%*s", (int)c->width, v);
	else
		fprintf(out, "%-*s", (int)c->width, v);
	if (quote)
		fputc('\'', out);
}

/* A separator follows every heading but the last column's, even when
 * -o# hid that column: lvm2 prints "LV:" for `-o lv_name,pool_lv
 * -o#pool_lv --separator :`. */
static void output_headings(const struct report *rep, FILE *out)
{
	fputs(LINE_PREFIX, out);
	for (unsigned i = 0; i < rep->ncols; i++) {
		const struct report_col *c = &rep->cols[i];
		const char *h = report_def(rep, c->field)->heading;
		size_t w = c->width;

		if (c->hidden)
			continue;
		/* --unbuffered: each row as wide as it needs, the headings as the
		 * first row (lvm2 prints them with it) */
		if (rep->opts.unbuffered && rep->nrows && strlen(report_text(rep->rows[0], c->slot)) > w)
			w = strlen(report_text(rep->rows[0], c->slot));
		if (rep->aligned) /* cut to the column, as lvm2's (InitImgSyn: width 10) */
			fprintf(out, "%-*.*s", (int)w, (int)w, h);
		else
			fputs(h, out);
		if (i + 1 < rep->ncols)
			fputs(rep->separator, out);
	}
	fputc('\n', out);
}

static void output_columns(const struct report *rep, FILE *out)
{
	int indent = 0;

	if (rep->headings)
		output_headings(rep, out);
	if (rep->opts.format == REPORT_JSON)
		indent = 4 * JSON_INDENT;
	for (size_t r = 0; r < rep->nrows; r++) {
		const struct report_row *row = rep->rows[r];
		bool delim = false;

		fprintf(out, LINE_PREFIX "%*s", indent, "");
		if (rep->opts.format == REPORT_JSON)
			fputc('{', out);
		for (unsigned i = 0; i < rep->ncols; i++) {
			const struct report_col *c = &rep->cols[i];

			if (c->hidden)
				continue;
			if (delim)
				fputs(rep->opts.format == REPORT_JSON ? ", " : rep->separator, out);
			delim = true;
			put_value(rep, c, report_text(row, c->slot), out);
		}
		if (rep->opts.format == REPORT_JSON)
			fputs(r + 1 < rep->nrows ? "}," : "}", out);
		fputc('\n', out);
	}
}

static void output_rows(const struct report *rep, FILE *out)
{
	for (unsigned i = 0; i < rep->ncols; i++) {
		const struct report_col *c = &rep->cols[i];

		if (c->hidden)
			continue;
		fputs(LINE_PREFIX, out);
		if (rep->headings)
			fprintf(out, "%s%s", report_def(rep, c->field)->heading, rep->separator);
		for (size_t r = 0; r < rep->nrows; r++) {
			put_value(rep, c, report_text(rep->rows[r], c->slot), out);
			if (r + 1 < rep->nrows)
				fputs(rep->separator, out);
		}
		fputc('\n', out);
	}
}

static void json_line(FILE *out, int depth, const char *s)
{
	fprintf(out, LINE_PREFIX "%*s%s\n", depth * JSON_INDENT, "", s);
}

int report_output(struct report *rep, FILE *out)
{
	bool json = rep->opts.format == REPORT_JSON;

	if (rep->error)
		return rep->error;
	report_apply_selection(rep);
	if (rep->nkeys && rep->nrows > 1 && !rep->opts.unbuffered)
		qsort_r(rep->rows, rep->nrows, sizeof(rep->rows[0]), row_cmp, rep);

	for (unsigned i = 0; i < rep->ncols; i++) {
		struct report_col *c = &rep->cols[i];
		bool blank = true;

		for (size_t r = 0; r < rep->nrows; r++) {
			size_t n = strlen(report_text(rep->rows[r], c->slot));

			if (n > c->width && !rep->opts.unbuffered)
				c->width = n;
			blank &= !n;
		}
		c->hidden = c->compact && blank && rep->nrows;
	}

	if (json) {
		char name[ID_MAX + 8];

		snprintf(name, sizeof(name), "\"%s\": [", rep->spec->name);
		json_line(out, 0, "{");
		json_line(out, 1, "\"report\": [");
		json_line(out, 2, "{");
		json_line(out, 3, name);
		output_columns(rep, out);
		json_line(out, 3, "]");
		json_line(out, 2, "}");
		json_line(out, 1, "]");
		json_line(out, 0, "}");
	} else if (rep->nrows) {
		if (rep->opts.rows)
			output_rows(rep, out);
		else
			output_columns(rep, out);
	}
	if (fflush(out) || ferror(out))
		return -EIO;
	return 0;
}
