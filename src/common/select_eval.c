/* Evaluating a parsed selection against a row (select.h), as libdm's
 * _check_selection() and _cmp_field_*(), and lvm2's selection help. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "common/select_internal.h"

bool select_reserved_for(const struct report_reserved *r, unsigned field, enum report_type type)
{
	return r->field >= 0 ? (unsigned)r->field == field : r->type == type;
}

bool select_strictly_reserved(const struct report_registry *reg, unsigned field, enum report_type type,
			      uint64_t num, const char *str)
{
	for (size_t i = 0; i < reg->nreserved; i++) {
		const struct report_reserved *r = &reg->reserved[i];

		if (r->named || !select_reserved_for(r, field, type))
			continue;
		if (str ? r->str && !strcmp(r->str, str) : !r->str && r->num == num)
			return true;
	}
	return false;
}

/* ---- evaluation ---------------------------------------------------- */

static bool dbl_eq(double a, double b)
{
	return fabs(a - b) < DBL_EPSILON;
}

/* _cmp_field_int() and _cmp_field_double() without ranges (none of the
 * reserved values here is one). */
static bool cmp_num(const struct selection *s, const struct node *n, uint64_t v)
{
	const struct report_registry *reg = s->reg;
	enum report_type t = n->type == REPORT_PERCENT ? REPORT_NUM : n->type;

	switch (n->cmp & ~CMP_TIME) {
	case CMP_EQUAL:
		return v == n->num;
	case CMP_NOT | CMP_EQUAL:
		return v != n->num;
	}
	if (select_strictly_reserved(reg, n->field, t, v, NULL) || select_strictly_reserved(reg, n->field, t, n->num, NULL))
		return false;
	switch (n->cmp & ~CMP_TIME) {
	case CMP_NUMBER | CMP_GT:
		return v > n->num;
	case CMP_NUMBER | CMP_GT | CMP_EQUAL:
		return v >= n->num;
	case CMP_NUMBER | CMP_LT:
		return v < n->num;
	case CMP_NUMBER | CMP_LT | CMP_EQUAL:
		return v <= n->num;
	}
	return false;
}

/* _cmp_field_time(): a span [t1, t2] is "=" anywhere in it, "since" from
 * its start, "after" past its end, "until" to its end, "before" before
 * its start.  An LV of unknown time counts as 0, as lvm2's.  "!=" a span
 * matches inside it, as lvm2 2.03.16 does (its _cmp_field_time returns
 * the same for both), kept so that selections select the same LVs. */
static bool cmp_time(const struct node *n, int64_t v)
{
	switch (n->cmp & ~CMP_NUMBER) {
	case CMP_EQUAL:
		return n->trange ? v >= n->t1 && v <= n->t2 : v == n->t1;
	case CMP_NOT | CMP_EQUAL:
		return n->trange ? v >= n->t1 && v <= n->t2 : v != n->t1;
	case CMP_TIME | CMP_GT:
		return v > (n->trange ? n->t2 : n->t1);
	case CMP_TIME | CMP_GT | CMP_EQUAL:
		return v >= n->t1;
	case CMP_TIME | CMP_LT:
		return v < n->t1;
	case CMP_TIME | CMP_LT | CMP_EQUAL:
		return v <= (n->trange ? n->t2 : n->t1);
	}
	return false;
}

static bool cmp_size(const struct node *n, double v)
{
	double x = n->sectors;

	switch (n->cmp & ~CMP_TIME) {
	case CMP_EQUAL:
		return dbl_eq(v, x);
	case CMP_NOT | CMP_EQUAL:
		return !dbl_eq(v, x);
	case CMP_NUMBER | CMP_GT:
		return v > x && !dbl_eq(v, x);
	case CMP_NUMBER | CMP_GT | CMP_EQUAL:
		return v > x || dbl_eq(v, x);
	case CMP_NUMBER | CMP_LT:
		return v < x && !dbl_eq(v, x);
	case CMP_NUMBER | CMP_LT | CMP_EQUAL:
		return v < x || dbl_eq(v, x);
	}
	return false;
}

struct item {
	const char *s;
	size_t len;
};

static int item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	int c = memcmp(x->s, y->s, x->len < y->len ? x->len : y->len);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* A value's list, sorted as libdm keeps its items (whatever the order
 * shown): "a,b,c" split at @sep. */
static unsigned split_list(const char *v, char sep, struct item *it, unsigned max)
{
	unsigned n = 0;

	while (*v && n < max) {
		const char *end = strchr(v, sep);
		size_t l = end ? (size_t)(end - v) : strlen(v);

		it[n].s = v;
		it[n++].len = l;
		v += l;
		if (*v)
			v++;
	}
	qsort(it, n, sizeof(*it), item_cmp);
	return n;
}

static bool item_is(const char *want, const struct item *it)
{
	return strlen(want) == it->len && !strncmp(want, it->s, it->len);
}

static bool item_in(const char *want, const struct item *it, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (item_is(want, &it[i]))
			return true;
	return false;
}

/* _cmp_field_string_list(): [..] these exactly, {..} these among others,
 * a||b any of them; a blank list only matches a blank item. */
static bool cmp_list(const struct node *n, const char *v, char sep)
{
	struct item it[256];
	unsigned nv = split_list(v, sep ? sep : ',', it, 256);
	bool r = false;

	if (!nv) {
		for (unsigned i = 0; i < n->nitems && !r; i++)
			r = !*n->items[i] && (n->any || n->nitems == 1);
	} else if (n->any) {
		for (unsigned i = 0; i < n->nitems && !r; i++)
			r = item_in(n->items[i], it, nv);
	} else if (n->subset) {
		r = true;
		for (unsigned i = 0; i < n->nitems && r; i++)
			r = item_in(n->items[i], it, nv);
	} else if (nv == n->nitems) {
		r = true;
		for (unsigned i = 0; i < nv && r; i++)
			r = item_is(n->items[i], &it[i]);
	}
	return n->cmp & CMP_NOT ? !r : r;
}

static bool cmp_item(const struct selection *s, const struct node *n, const struct select_value *v)
{
	const char *str = v->str ? v->str : "";

	if (n->cmp & CMP_REGEX) {
		bool m = !regexec(&n->re, str, 0, NULL, 0);

		return n->cmp & CMP_NOT ? !m : m;
	}
	switch (n->type) {
	case REPORT_STR:
		return !strcmp(str, n->str) == !(n->cmp & CMP_NOT);
	case REPORT_STR_LIST:
		return cmp_list(n, str, v->sep);
	case REPORT_PERCENT:
		if (v->set && v->num > PERCENT_100)
			return false;
		/* fall through */
	case REPORT_NUM:
		if (!v->set)
			return (n->cmp & (CMP_NOT | CMP_EQUAL)) == (CMP_NOT | CMP_EQUAL);
		return cmp_num(s, n, v->num);
	case REPORT_SIZE:
		if (!v->set)
			return (n->cmp & (CMP_NOT | CMP_EQUAL)) == (CMP_NOT | CMP_EQUAL);
		return cmp_size(n, (double)v->num / 512);
	case REPORT_TIME:
		return cmp_time(n, v->set ? (int64_t)v->num : 0);
	}
	return false;
}

static bool eval(const struct selection *s, const struct node *n, select_get_fn get, void *ctx)
{
	bool r;

	switch (n->kind) {
	case N_ITEM: {
		struct select_value v = { 0 };

		get(ctx, n->field, &v);
		r = cmp_item(s, n, &v);
		break;
	}
	case N_OR:
		r = false;
		for (unsigned i = 0; i < n->nkids && !r; i++)
			r = eval(s, n->kids[i], get, ctx);
		break;
	default:
		r = true;
		for (unsigned i = 0; i < n->nkids && r; i++)
			r = eval(s, n->kids[i], get, ctx);
	}
	return n->neg ? !r : r;
}

bool select_match(const struct selection *s, select_get_fn get, void *ctx)
{
	return !s || !s->root || eval(s, s->root, get, ctx);
}

/* ---- help ---------------------------------------------------------- */

static const char *type_name(const struct report_reserved *r)
{
	static const char *const names[] = {
		[REPORT_STR] = "string", [REPORT_NUM] = "number", [REPORT_SIZE] = "size",
		[REPORT_PERCENT] = "percent", [REPORT_TIME] = "time", [REPORT_STR_LIST] = "string list",
	};

	return r->field >= 0 ? "unknown" : names[r->type];
}

void select_help(const struct report_registry *reg, FILE *out)
{
	size_t w = 0, n = 0;

	fputs("  Selection operands\n"
	      "  ------------------\n"
	      "    field               - Reporting field.\n"
	      "    number              - Non-negative integer value.\n"
	      "    size                - Floating point value with units, 'm' unit used by default if not specified.\n"
	      "    percent             - Non-negative integer with or without % suffix.\n"
	      "    string              - Characters quoted by ' or \" or unquoted.\n"
	      "    string list         - Strings enclosed by [ ] or { } and elements delimited by either\n"
	      "                          \"all items must match\" or \"at least one item must match\" operator.\n"
	      "    regular expression  - Characters quoted by ' or \" or unquoted.\n"
	      "   \n", out);
	/* lvm2 stops at its first value that is neither a type's nor only a name */
	while (n < reg->nreserved && (reg->reserved[n].field < 0 || reg->reserved[n].named))
		n++;
	if (n) {
		fputs("  Reserved values\n  ---------------\n", out);
		for (size_t i = 0; i < n; i++) {
			size_t len = 0;

			for (const char *const *s = reg->reserved[i].names; *s; s++)
				len += strlen(*s) + 2;
			if (len > w)
				w = len;
		}
		for (size_t i = 0; i < n; i++) {
			const struct report_reserved *r = &reg->reserved[i];
			char names[256];
			size_t len = 0;

			names[0] = '\0';
			for (const char *const *s = r->names; *s && len < sizeof(names); s++)
				len += (size_t)snprintf(names + len, sizeof(names) - len, "%s%s",
							s == r->names ? "" : ", ", *s);
			fprintf(out, "    %-*s - %s [%s]\n", (int)w, names, r->desc ? r->desc : "", type_name(r));
		}
		fputs("   \n", out);
	}
	fputs("  Selection operators\n  -------------------\n    Comparison operators:\n", out);
	for (const struct op *o = select_cmp_ops; o->s; o++)
		fprintf(out, "      %6s  - %s\n", o->s, o->desc);
	fputs("   \n    Logical and grouping operators:\n", out);
	for (const struct op *o = select_log_ops; o->s; o++)
		fprintf(out, "      %4s  - %s\n", o->s, o->desc);
	fputs("   \n", out);
}
