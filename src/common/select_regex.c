/* How large a selection regex grows when the C library compiles it.
 *
 * The =~ and !~ comparisons compile their value with regcomp(3).  glibc
 * expands repetition by copying the repeated tree: "x+" becomes "xx*",
 * "x{3}" three copies of x, so each stacked or nested repetition
 * multiplies what it applies to ("s++++...": 2^n nodes), and a short
 * value can make regcomp allocate gigabytes (the selection fuzzer found
 * "name=~s+++...+").  lvm2 matches with its own engine, which does not
 * expand; here the value is measured first, with the same expansion, and
 * refused when it would pass SELECT_RE_NODES.
 *
 * The walk follows POSIX extended syntax: groups, alternatives, bracket
 * expressions (a ']' first is a member, [:class:] [=e=] [.c.] inside),
 * escapes, and "{n}", "{n,}", "{n,m}" bounds ("{" that starts no valid
 * bound counts as a character).  Sizes saturate at the limit, so no
 * input overflows.
 */
#include "common/select_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#define DEPTH 64

struct frame {
	uint64_t done;  /* earlier alternatives of this group */
	uint64_t total; /* the current alternative so far */
	uint64_t last;  /* its last element, which a repetition applies to */
};

static uint64_t cap(uint64_t v)
{
	return v > SELECT_RE_NODES + 1 ? SELECT_RE_NODES + 1 : v;
}

/* One more element of one node (a character, a bracket expression). */
static void atom(struct frame *f)
{
	f->last = 1;
	f->total = cap(f->total + 1);
}

/* The end of a bracket expression starting at @p ('['), or NULL. */
static const char *bracket_end(const char *p)
{
	p++;
	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	for (; *p && *p != ']'; p++)
		if (*p == '[' && (p[1] == ':' || p[1] == '=' || p[1] == '.')) {
			const char *e = strchr(p + 2, p[1]);

			while (e && e[1] != ']')
				e = strchr(e + 1, p[1]);
			if (!e)
				return NULL;
			p = e + 1;
		}
	return *p ? p : NULL;
}

/* A bound at @p ('{'): the largest count it names, and where it ends;
 * 0 when it is not a bound. */
static unsigned long bound(const char *p, const char **end)
{
	unsigned long n = 0, m = 0;
	const char *q = p + 1;

	if (!isdigit((unsigned char)*q))
		return 0;
	while (isdigit((unsigned char)*q) && n <= SELECT_RE_NODES)
		n = n * 10 + (unsigned long)(*q++ - '0');
	while (isdigit((unsigned char)*q))
		q++;
	if (*q == ',') {
		q++;
		while (isdigit((unsigned char)*q) && m <= SELECT_RE_NODES)
			m = m * 10 + (unsigned long)(*q++ - '0');
		while (isdigit((unsigned char)*q))
			q++;
	}
	if (*q != '}')
		return 0;
	*end = q;
	return (n > m ? n : m) + 1;
}

int select_regex_check(const char *re)
{
	struct frame st[DEPTH + 1] = { { 0, 0, 0 } }, *f = st;
	const char *e;

	for (const char *p = re; *p; p++) {
		uint64_t k;

		switch (*p) {
		case '(':
			if (f == st + DEPTH)
				return -E2BIG;
			*++f = (struct frame){ 0, 0, 0 };
			continue;
		case ')':
			if (f > st) {
				k = cap(f->done + f->total + 1);
				f--;
				f->last = k;
				f->total = cap(f->total + k);
				break;
			}
			atom(f); /* an unmatched ')' is a character in ERE */
			break;
		case '|':
			f->done = cap(f->done + f->total + 1);
			f->total = f->last = 0;
			continue;
		case '*':
		case '?':
			f->last = cap(f->last + 1);
			f->total = cap(f->total + 1);
			break;
		case '+':
			f->total = cap(f->total + f->last + 1);
			f->last = cap(2 * f->last + 1);
			break;
		case '{':
			if ((k = bound(p, &e))) {
				f->total = cap(f->total + f->last * (k - 1) + 1);
				f->last = cap(f->last * k + 1);
				p = e;
				break;
			}
			atom(f);
			break;
		case '[':
			if (!(e = bracket_end(p)))
				return 0; /* regcomp says what is wrong */
			p = e;
			atom(f);
			break;
		case '\\':
			if (p[1])
				p++;
			/* fall through */
		default:
			atom(f);
			break;
		}
		if (f->total > SELECT_RE_NODES || f->last > SELECT_RE_NODES)
			return -E2BIG;
	}
	for (size_t i = 0; i <= (size_t)(f - st); i++)
		if (st[i].done + st[i].total > SELECT_RE_NODES)
			return -E2BIG;
	return 0;
}
