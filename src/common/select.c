/* Parsing lvm2's selection language (select.h): libdm-report.c's
 * recursive descent (_parse_or_ex, _parse_and_ex, _parse_ex,
 * _parse_selection) and its value tokens, kept close to the original so
 * that the same input gives the same tree and the same messages;
 * select_eval.c compares rows with the tree.
 * Two of its quirks are kept on purpose: "!(!(x))" is "!(x)" (the NOT is
 * a flag set twice, not toggled), and an unquoted value ends at a blank
 * but not at a tab.
 *
 * Every node is also recorded in the selection's arena, so a parse that
 * fails half way frees what it built with select_free().
 */
#include "common/select.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "common/select_internal.h"

const struct op select_cmp_ops[] = {
	{ "=~", CMP_REGEX, "Matching regular expression. [regex]" },
	{ "!~", CMP_REGEX | CMP_NOT, "Not matching regular expression. [regex]" },
	{ "=", CMP_EQUAL, "Equal to. [number, size, percent, string, string list, time]" },
	{ "!=", CMP_NOT | CMP_EQUAL, "Not equal to. [number, size, percent, string, string_list, time]" },
	{ ">=", CMP_NUMBER | CMP_TIME | CMP_GT | CMP_EQUAL, "Greater than or equal to. [number, size, percent, time]" },
	{ ">", CMP_NUMBER | CMP_TIME | CMP_GT, "Greater than. [number, size, percent, time]" },
	{ "<=", CMP_NUMBER | CMP_TIME | CMP_LT | CMP_EQUAL, "Less than or equal to. [number, size, percent, time]" },
	{ "<", CMP_NUMBER | CMP_TIME | CMP_LT, "Less than. [number, size, percent, time]" },
	{ "since", CMP_TIME | CMP_GT | CMP_EQUAL, "Since specified time (same as '>='). [time]" },
	{ "after", CMP_TIME | CMP_GT, "After specified time (same as '>'). [time]" },
	{ "until", CMP_TIME | CMP_LT | CMP_EQUAL, "Until specified time (same as '<='). [time]" },
	{ "before", CMP_TIME | CMP_LT, "Before specified time (same as '<'). [time]" },
	{ NULL, 0, NULL },
};

const struct op select_log_ops[] = {
	{ "&&", L_AND, "All fields must match" },
	{ ",", L_AND, "All fields must match" },
	{ "||", L_OR, "At least one field must match" },
	{ "#", L_OR, "At least one field must match" },
	{ "!", L_NOT, "Logical negation" },
	{ "(", L_PS, "Left parenthesis" },
	{ ")", L_PE, "Right parenthesis" },
	{ "[", L_LS, "List start" },
	{ "]", L_LE, "List end" },
	{ "{", L_SLS, "List subset start" },
	{ "}", L_SLE, "List subset end" },
	{ NULL, 0, NULL },
};

struct parser {
	struct selection *sel;
	const char *prefix;
	char msg[ERR_MSG_MAX];
	size_t len;
	int rc;
	bool nomem;
};

/* ---- messages ------------------------------------------------------ */

static void __attribute__((format(printf, 2, 3))) say(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->len >= sizeof(p->msg) - 1)
		return;
	if (p->len)
		p->len += (size_t)snprintf(p->msg + p->len, sizeof(p->msg) - p->len, "\n  ");
	if (p->len >= sizeof(p->msg) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(p->msg + p->len, sizeof(p->msg) - p->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		p->len += (size_t)n;
	if (p->len > sizeof(p->msg) - 1)
		p->len = sizeof(p->msg) - 1;
}

static void set_rc(struct parser *p, int rc)
{
	if (!p->rc)
		p->rc = rc;
}

static void syntax_error(struct parser *p, const char *at)
{
	say(p, "Selection syntax error at '%s'.", at);
	say(p, "Use 'help' for selection to get more help.");
}

/* ---- tokens -------------------------------------------------------- */

static const char *skip_space(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return s;
}

/* The operator of @t at @s (after blanks) among those with a flag of
 * @expect (all when 0): its flags, *end after it; 0 and *end at it. */
static unsigned tok_op(const struct op *t, const char *s, const char **end, unsigned expect)
{
	s = skip_space(s);
	for (; t->s; t++) {
		size_t len = strlen(t->s);

		if (expect && !(t->flags & expect))
			continue;
		if (!strncmp(s, t->s, len)) {
			if (end)
				*end = s + len;
			return t->flags;
		}
	}
	if (end)
		*end = s;
	return 0;
}

static char get_quote(const char **s)
{
	char c = 0;

	if (**s == '"' || **s == '\'')
		c = *(*s)++;
	return c;
}

/* A string up to @endc (the closing quote), or, without one, up to one
 * of the operators @endflags or a blank.  NULL: no closing quote. */
static const char *tok_string(struct parser *p, const char *s, const char **b, const char **e, char endc,
			      unsigned endflags)
{
	*b = s;
	if (endc) {
		while (*s && *s != endc)
			s++;
		if (*s != endc) {
			say(p, "Missing end quote.");
			return NULL;
		}
		*e = s;
		return s + 1;
	}
	while (*s && !tok_op(select_log_ops, s, NULL, endflags) && *s != ' ')
		s++;
	*e = s;
	return s;
}

static const char *tok_number(const char *s, const char **b, const char **e)
{
	bool dot = false;

	*b = s;
	while ((!dot && *s == '.' && (dot = true)) || isdigit((unsigned char)*s))
		s++;
	*e = s;
	return *b == *e ? NULL : s;
}

/* dm_units_to_factor(s, .., 0, end) after a number: one unit letter. */
static uint64_t unit_factor(const char *s, const char **end)
{
	static const char lower[] = "kmgtpe", upper[] = "KMGTPE";
	const char *c;
	uint64_t f = 1;

	*end = s;
	if (!*s)
		return 0;
	if (strchr("hHrRbB", *s)) {
		f = 1;
	} else if (*s == 's' || *s == 'S') {
		f = 512;
	} else if ((c = strchr(lower, *s))) {
		for (long i = 0; i <= c - lower; i++)
			f *= 1024;
	} else if ((c = strchr(upper, *s))) {
		for (long i = 0; i <= c - upper; i++)
			f *= 1000;
	} else {
		return 0;
	}
	*end = s + 1;
	return f;
}

/* ---- the tree ------------------------------------------------------ */

static struct node *node_new(struct parser *p, enum node_kind kind)
{
	struct selection *s = p->sel;
	struct node *n;

	if (s->narena == s->carena) {
		unsigned cap = s->carena ? 2 * s->carena : 16;
		struct node **a = realloc(s->arena, cap * sizeof(*a));

		if (!a)
			goto nomem;
		s->arena = a;
		s->carena = cap;
	}
	if (!(n = calloc(1, sizeof(*n))))
		goto nomem;
	n->kind = kind;
	s->arena[s->narena++] = n;
	return n;
nomem:
	p->nomem = true;
	set_rc(p, -ENOMEM);
	return NULL;
}

static int node_add(struct parser *p, struct node *parent, struct node *kid)
{
	struct node **k = realloc(parent->kids, (parent->nkids + 1) * sizeof(*k));

	if (!k) {
		p->nomem = true;
		set_rc(p, -ENOMEM);
		return -ENOMEM;
	}
	parent->kids = k;
	k[parent->nkids++] = kid;
	return 0;
}

static int add_item_str(struct parser *p, struct node *n, const char *b, const char *e)
{
	char **it = realloc(n->items, (n->nitems + 1) * sizeof(*it));

	if (!it || !(it[n->nitems] = strndup(b, (size_t)(e - b)))) {
		if (it)
			n->items = it;
		p->nomem = true;
		set_rc(p, -ENOMEM);
		return -ENOMEM;
	}
	n->items = it;
	n->nitems++;
	return 0;
}

void select_free(struct selection *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->narena; i++) {
		struct node *n = s->arena[i];

		free(n->kids);
		free(n->str);
		if (n->has_re)
			regfree(&n->re);
		for (unsigned k = 0; k < n->nitems; k++)
			free(n->items[k]);
		free(n->items);
		free(n);
	}
	free(s->arena);
	free(s->fields);
	free(s);
}

/* ---- reserved values ----------------------------------------------- */


/* _get_reserved(): the value at @s is a name the registry reserves for
 * this field or its type.  On a match, *next is past it. */
static const struct report_reserved *find_reserved(struct parser *p, unsigned field, enum report_type type,
						   const char *s, const char **next)
{
	const struct report_registry *reg = p->sel->reg;
	const char *t = s, *b, *e;
	char c = get_quote(&t);

	if (!reg->nreserved || !(t = tok_string(p, t, &b, &e, c, L_AND | L_OR | L_PE)))
		return NULL;
	for (size_t i = 0; i < reg->nreserved; i++) {
		const struct report_reserved *r = &reg->reserved[i];

		if (!select_reserved_for(r, field, type))
			continue;
		for (const char *const *n = r->names; *n; n++)
			if (strlen(*n) == (size_t)(e - b) && !strncmp(*n, b, (size_t)(e - b))) {
				*next = t;
				return r;
			}
	}
	return NULL;
}

/* ---- values -------------------------------------------------------- */

static const char *tok_regex(struct parser *p, const char *id, const char *s, const char **b, const char **e)
{
	char c;

	s = skip_space(s);
	if (!*s) {
		say(p, "Regular expression expected for selection field %s", id);
		return NULL;
	}
	switch (*s) {
	case '(': c = ')'; break;
	case '{': c = '}'; break;
	case '[': c = ']'; break;
	case '"':
	case '\'': c = *s; break;
	default: c = 0;
	}
	if (!(s = tok_string(p, c ? s + 1 : s, b, e, c, L_AND | L_OR | L_PE))) {
		say(p, "Failed to parse regex value for selection field %s.", id);
		return NULL;
	}
	return s;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* _tok_value_string_list(): one item, or [..] / {..}. */
static const char *tok_list(struct parser *p, struct node *n, const char *id, const char *s)
{
	static const char failed[] = "Failed to parse string list value for selection field %s.";
	unsigned start, expect, type = 0, hit = 0, flags = L_LE | L_SLE | L_AND | L_OR;
	const char *tmp, *b, *e;
	bool end = false;
	char c;

	if (!(start = tok_op(select_log_ops, s, &tmp, L_LS | L_SLS))) {
		c = get_quote(&s);
		if (!(s = tok_string(p, s, &b, &e, c, L_AND | L_OR | L_PE))) {
			say(p, failed, id);
			return NULL;
		}
		n->any = true;
		return add_item_str(p, n, b, e) ? NULL : s;
	}
	expect = start == L_LS ? L_LE : L_SLE;
	s++;
	while (*s) {
		s = skip_space(s);
		c = get_quote(&s);
		if (!(s = tok_string(p, s, &b, &e, c, flags))) {
			say(p, failed, id);
			return NULL;
		}
		s = skip_space(s);
		if (!(hit = tok_op(select_log_ops, s, &tmp, flags))) {
			say(p, "Invalid operator in selection list.");
			return NULL;
		}
		if (hit & (L_LE | L_SLE)) {
			end = true;
			if (hit != expect) {
				say(p, "List ended with incorrect character, expecting '%s'.", expect == L_LE ? "]" : "}");
				return NULL;
			}
		}
		if (type) {
			if (!end && !(type & hit)) {
				say(p, "Only one type of logical operator allowed in selection list at a time.");
				return NULL;
			}
		} else {
			type = end ? (expect == L_LE ? L_AND : L_OR) : hit;
		}
		if (add_item_str(p, n, b, e))
			return NULL;
		s = tmp;
		if (end)
			break;
	}
	if (!(hit & (L_LE | L_SLE))) {
		say(p, "Missing list end for selection field %s", id);
		return NULL;
	}
	n->subset = expect == L_SLE;
	n->any = type & L_OR;
	qsort(n->items, n->nitems, sizeof(*n->items), str_cmp);
	return s;
}

/* _tok_value_time() and lvm2's fuzzy reserved value of lv_time: "@EPOCH"
 * (exact), else a quoted or bare string in lvm2's words or libdm's
 * date format (a span).  The value goes straight into @n. */
static const char *tok_time(struct parser *p, struct node *n, const char *id, const char *s, const char **b,
			    const char **e)
{
	struct time_span ts = { 0 };
	char why[160], *v;
	int r;

	if (*s == '@') {
		if (!(s = tok_number(s + 1, b, e))) {
			say(p, "Failed to parse time value for selection field %s.", id);
			return NULL;
		}
		errno = 0;
		n->t1 = (int64_t)strtoull(*b, NULL, 10);
		if (errno == ERANGE) {
			say(p, "Field selection value %.*s out of supported range for field %s.", (int)(*e - *b), *b,
			    id);
			return NULL;
		}
		n->t2 = 0;
		n->trange = false;
		return s;
	}
	{
		char c = get_quote(&s);

		if (!(s = tok_string(p, s, b, e, c, L_AND | L_OR | L_PE))) {
			say(p, "Failed to parse time value for selection field %s.", id);
			return NULL;
		}
	}
	if (!(v = strndup(*b, (size_t)(*e - *b)))) {
		p->nomem = true;
		return NULL;
	}
	why[0] = '\0';
	r = select_time_fuzzy(v, time(NULL), &ts, why, sizeof(why));
	if (r < 0 && why[0])
		say(p, "%s", why);
	if (r <= 0 && r != -ENOMEM) {
		why[0] = '\0';
		r = select_time_formatted(v, &ts, why, sizeof(why)) ? -EINVAL : 1;
		if (r < 0 && why[0])
			say(p, "%s", why);
	}
	free(v);
	if (r == -ENOMEM) {
		p->nomem = true;
		return NULL;
	}
	if (r < 0) {
		say(p, "Failed to parse time value for selection field %s.", id);
		return NULL;
	}
	n->t1 = ts.t1;
	n->t2 = ts.t2;
	n->trange = ts.range;
	return s;
}

/* _tok_value(): the value after the operator, by the field's type.
 * *@res: a reserved name; [*b, *e): the number or string otherwise. */
static const char *tok_value(struct parser *p, struct node *n, const char *id, const char *s, const char **b,
			     const char **e, const struct report_reserved **res, uint64_t *factor)
{
	const char *t;

	s = skip_space(s);
	if ((*res = find_reserved(p, n->field, n->type, s, &t)))
		return t;
	switch (n->type) {
	case REPORT_STR: {
		char c = get_quote(&s);

		if (!(s = tok_string(p, s, b, e, c, L_AND | L_OR | L_PE))) {
			say(p, "Failed to parse string value for selection field %s.", id);
			return NULL;
		}
		return s;
	}
	case REPORT_STR_LIST:
		if (!(s = tok_list(p, n, id, s)) && !p->nomem)
			say(p, "Failed to parse string list value for selection field %s.", id);
		return s;
	case REPORT_NUM:
	case REPORT_SIZE:
	case REPORT_PERCENT:
		if (!(s = tok_number(s, b, e))) {
			say(p, "Failed to parse numeric value for selection field %s.", id);
			return NULL;
		}
		if (*s == '%') {
			if (n->type != REPORT_PERCENT) {
				say(p, "Found percent value but %s value expected for selection field %s.",
				    n->type == REPORT_NUM ? "numeric" : "size", id);
				return NULL;
			}
			return s + 1;
		}
		if ((*factor = unit_factor(s, &t))) {
			if (n->type != REPORT_SIZE) {
				say(p, "Found size unit specifier but %s value expected for selection field %s.",
				    n->type == REPORT_NUM ? "numeric" : "percent", id);
				return NULL;
			}
			return t;
		}
		if (n->type == REPORT_SIZE)
			*factor = 1024 * 1024; /* as lvcreate -L */
		return s;
	case REPORT_TIME:
		return tok_time(p, n, id, s, b, e);
	}
	return NULL;
}

/* _create_field_selection(): the value as the comparison needs it.
 * Failures here are lvm2's without the syntax-error lines. */
static int make_value(struct parser *p, struct node *n, const char *id, const char *b, const char *e,
		      const struct report_reserved *res, uint64_t factor)
{
	const struct report_registry *reg = p->sel->reg;
	char *v;
	int r = 0;

	if ((n->cmp & CMP_REGEX) && n->type != REPORT_STR) {
		say(p, "dm_report: incompatible comparison type for selection field %s", id);
		return -EINVAL;
	}
	if (n->type == REPORT_STR_LIST || n->type == REPORT_TIME) /* tok_list, tok_time have it */
		return 0;
	if (res) {
		if (n->type == REPORT_STR)
			return (n->str = strdup(res->str ? res->str : "")) ? 0 : -ENOMEM;
		n->num = res->num;
		n->sectors = (double)res->num;
		return 0;
	}
	if (!(v = strndup(b, (size_t)(e - b))))
		return -ENOMEM;
	if (n->cmp & CMP_REGEX) {
		char why[160];
		int rc = !*v ? -1 : select_regex_check(v) ? -2 : regcomp(&n->re, v, REG_EXTENDED | REG_NOSUB);

		if (rc) {
			if (rc > 0)
				regerror(rc, &n->re, why, sizeof(why));
			else if (rc == -2)
				snprintf(why, sizeof(why), "Regular expression too complex: its repetitions expand "
					 "past %d nodes", SELECT_RE_NODES);
			say(p, "%s", rc != -1 ? why : "Couldn't parse regex");
			say(p, "dm_report: failed to create regex matcher for selection field %s", id);
			r = -EINVAL;
		}
		n->has_re = !rc;
		free(v);
		return r;
	}
	errno = 0;
	switch (n->type) {
	case REPORT_STR:
		if (select_strictly_reserved(reg, n->field, n->type, 0, v)) {
			say(p, "String value %s found in selection is reserved.", v);
			r = -EINVAL;
			break;
		}
		n->str = v;
		return 0;
	case REPORT_NUM:
		n->num = strtoull(v, NULL, 10);
		if (n->num == UINT64_MAX && errno == ERANGE) {
			say(p, "Field selection value %s out of supported range for field %s.", v, id);
			r = -EINVAL;
		} else if (select_strictly_reserved(reg, n->field, n->type, n->num, NULL)) {
			say(p, "Numeric value %llu found in selection is reserved.", (unsigned long long)n->num);
			r = -EINVAL;
		}
		break;
	case REPORT_SIZE:
		n->sectors = strtod(v, NULL);
		if (errno == ERANGE) {
			say(p, "Field selection value %s out of supported range for field %s.", v, id);
			r = -EINVAL;
		}
		n->sectors = n->sectors * (double)factor / 512;
		break;
	case REPORT_PERCENT: {
		double d = strtod(v, NULL);

		if (errno == ERANGE || d < 0 || d > 100) {
			say(p, "Field selection value %s out of supported range for field %s.", v, id);
			r = -EINVAL;
			break;
		}
		n->num = (uint64_t)(int32_t)(PERCENT_1 * d);
		if (select_strictly_reserved(reg, n->field, n->type, n->num, NULL)) {
			say(p, "Percent value %s found in selection is reserved.", v);
			r = -EINVAL;
		}
		break;
	}
	default:
		break;
	}
	free(v);
	return r;
}

/* ---- the grammar --------------------------------------------------- */

static struct node *parse_or(struct parser *p, const char *s, const char **next, struct node *or_n);

/* _parse_selection(): FIELD OP VALUE. */
static struct node *parse_item(struct parser *p, const char *s, const char **next)
{
	const struct report_registry *reg = p->sel->reg;
	const struct report_reserved *res = NULL;
	const char *we = s, *last, *b = NULL, *e = NULL, *id;
	uint64_t factor = 0;
	struct node *n;
	unsigned cmp;
	int f;

	*next = s;
	while (isalnum((unsigned char)*we) || *we == '_' || *we == '-')
		we++;
	if (we == s) {
		say(p, "Expecting field name");
		goto bad;
	}
	f = report_field_find(reg, p->prefix, s, (size_t)(we - s));
	if (f == -1) {
		say(p, "Unrecognised selection field: %.*s", (int)(we - s), s);
		set_rc(p, -ENOENT);
		goto bad;
	}
	if (f == -2) {
		say(p, "Selection field is uncomparable: %.*s.", (int)(we - s), s);
		set_rc(p, -ENOENT);
		goto bad;
	}
	id = report_field_def(reg, (unsigned)f)->id;
	if (!(n = node_new(p, N_ITEM)))
		return NULL;
	n->field = (unsigned)f;
	n->type = report_field_def(reg, (unsigned)f)->type;
	if (!(cmp = tok_op(select_cmp_ops, we, &last, 0))) {
		say(p, "Unrecognised comparison operator: %s", we);
		set_rc(p, -EDOM);
		goto bad;
	}
	n->cmp = cmp;
	if (cmp & CMP_REGEX) {
		if (!(last = tok_regex(p, id, last, &b, &e)))
			goto bad;
	} else {
		if ((cmp & CMP_NUMBER) && n->type != REPORT_NUM && n->type != REPORT_SIZE &&
		    n->type != REPORT_PERCENT && n->type != REPORT_TIME) {
			say(p, "Operator can be used only with number, size, time or percent fields: %s", s);
			set_rc(p, -EDOM);
			goto bad;
		}
		if ((cmp & CMP_TIME) && !(cmp & CMP_NUMBER) && n->type != REPORT_TIME) {
			say(p, "Operator can be used only with time fields: %s", s);
			set_rc(p, -EDOM);
			goto bad;
		}
		if (!(last = tok_value(p, n, id, last, &b, &e, &res, &factor))) {
			if (p->nomem)
				return NULL;
			goto bad;
		}
	}
	*next = skip_space(last);
	if (make_value(p, n, id, b, e, res, factor)) {
		set_rc(p, p->nomem ? -ENOMEM : -EINVAL);
		return NULL;
	}
	return n;
bad:
	syntax_error(p, s);
	set_rc(p, -EINVAL);
	*next = s;
	return NULL;
}

/* _parse_ex(): "!(" OR ")" | "(" OR ")" | item. */
static struct node *parse_ex(struct parser *p, const char *s, const char **next)
{
	const char *tmp = NULL;
	struct node *n;
	unsigned t = tok_op(select_log_ops, s, next, L_NOT | L_PS);

	if (t == L_NOT) {
		if (!tok_op(select_log_ops, *next, &tmp, L_PS)) {
			say(p, "Syntax error: left parenthesis expected at '%s'", *next);
			goto error;
		}
		if (!(n = parse_or(p, tmp, next, NULL)))
			goto error;
		n->neg = true;
		if (!tok_op(select_log_ops, *next, &tmp, L_PE)) {
			say(p, "Syntax error: right parenthesis expected at '%s'", *next);
			goto error;
		}
		*next = tmp;
	} else if (t == L_PS) {
		if (!(n = parse_or(p, *next, &tmp, NULL)))
			goto error;
		if (!tok_op(select_log_ops, tmp, next, L_PE)) {
			say(p, "Syntax error: right parenthesis expected at '%s'", *next);
			goto error;
		}
	} else {
		n = parse_item(p, skip_space(s), next);
	}
	return n;
error:
	set_rc(p, -EINVAL);
	*next = s;
	return NULL;
}

/* _parse_and_ex() and _parse_or_ex(), their tail recursion as a loop. */
static struct node *parse_and(struct parser *p, const char *s, const char **next)
{
	struct node *and_n = NULL, *n;
	const char *tmp = NULL;

	for (;;) {
		if (!(n = parse_ex(p, s, next)))
			return NULL;
		if (!tok_op(select_log_ops, *next, &tmp, L_AND)) {
			if (!and_n)
				return n;
			return node_add(p, and_n, n) ? NULL : and_n;
		}
		if ((!and_n && !(and_n = node_new(p, N_AND))) || node_add(p, and_n, n))
			return NULL;
		s = tmp;
	}
}

static struct node *parse_or(struct parser *p, const char *s, const char **next, struct node *or_n)
{
	const char *tmp = NULL;
	struct node *n;

	for (;;) {
		if (!(n = parse_and(p, s, next)))
			return NULL;
		if (!tok_op(select_log_ops, *next, &tmp, L_OR)) {
			if (!or_n)
				return n;
			return node_add(p, or_n, n) ? NULL : or_n;
		}
		if ((!or_n && !(or_n = node_new(p, N_OR))) || node_add(p, or_n, n))
			return NULL;
		s = tmp;
	}
}

static int note_field(struct selection *s, unsigned f)
{
	unsigned *fs;

	for (unsigned i = 0; i < s->nfields; i++)
		if (s->fields[i] == f)
			return 0;
	if (!(fs = realloc(s->fields, (s->nfields + 1) * sizeof(*fs))))
		return -ENOMEM;
	s->fields = fs;
	fs[s->nfields++] = f;
	return 0;
}

bool select_is_help(const char *text)
{
	return text && (!strcasecmp(text, "help") || !strcmp(text, "?"));
}

int select_parse(const struct report_registry *reg, const char *prefix, const char *text,
		 struct selection **out, struct err *e)
{
	struct parser p = { .prefix = prefix ? prefix : "" };
	const char *fin = NULL, *next;
	struct node *root;

	*out = NULL;
	if (!text || !*text || !strcasecmp(text, "all"))
		return 0;
	if (!(p.sel = calloc(1, sizeof(*p.sel))))
		return err_set(e, -ENOMEM, "out of memory");
	p.sel->reg = reg;
	if (!(root = node_new(&p, N_OR)) || !parse_or(&p, text, &fin, root))
		goto fail;
	next = skip_space(fin);
	if (*next) {
		say(&p, "Expecting logical operator");
		syntax_error(&p, next);
		set_rc(&p, -EINVAL);
		goto fail;
	}
	p.sel->root = root;
	for (unsigned i = 0; i < p.sel->narena; i++)
		if (p.sel->arena[i]->kind == N_ITEM && note_field(p.sel, p.sel->arena[i]->field)) {
			set_rc(&p, -ENOMEM);
			goto fail;
		}
	*out = p.sel;
	return 0;
fail:
	select_free(p.sel);
	if (p.nomem || !p.len)
		return err_set(e, p.rc ? p.rc : -ENOMEM, "out of memory");
	return err_set(e, p.rc ? p.rc : -EINVAL, "%s", p.msg);
}

unsigned select_fields(const struct selection *s, const unsigned **fields)
{
	*fields = s ? s->fields : NULL;
	return s ? s->nfields : 0;
}
