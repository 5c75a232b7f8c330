/* The text-format parser (see config.h for the grammar and what layout is
 * kept).  Recursive descent over the bytes, no separate token pass; every
 * refusal names the line.  Nesting is bounded so no input can exhaust the
 * stack. */
#include "lvm/config_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

struct parser {
	const char *start, *p, *end;
	unsigned line;
	char *buf; /* trivia being gathered */
	size_t cap;
	struct cfg_tree *t;
	struct err *e;
};

static bool is_hspace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }
static bool is_space(char c) { return is_hspace(c) || c == '\n'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static int fail(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct parser *ps, const char *fmt, ...)
{
	char msg[ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(ps->e, -EINVAL, "line %u: %s", ps->line, msg);
}

static int nomem(struct parser *ps) { return err_set(ps->e, -ENOMEM, "out of memory"); }

/* A printable description of the byte at p, for messages. */
static const char *what(const struct parser *ps, char buf[16])
{
	unsigned char c;

	if (ps->p == ps->end)
		return "end of text";
	c = (unsigned char)*ps->p;
	if (c > ' ' && c < 0x7f)
		snprintf(buf, 16, "'%c'", c);
	else
		snprintf(buf, 16, "byte 0x%02x", c);
	return buf;
}

/* Skip whitespace and comments between the tokens of one statement.
 * Returns whether a newline was crossed. */
static bool skip_ws(struct parser *ps)
{
	bool nl = false;

	while (ps->p < ps->end) {
		if (*ps->p == '#') {
			while (ps->p < ps->end && *ps->p != '\n')
				ps->p++;
		} else if (is_space(*ps->p)) {
			if (*ps->p == '\n') {
				ps->line++;
				nl = true;
			}
			ps->p++;
		} else {
			break;
		}
	}
	return nl;
}

/* After a value or a '}': the rest of the line.  A comment there (with
 * the blanks before it) goes to *comment; the newline is eaten. */
static int line_rest(struct parser *ps, const char **comment)
{
	const char *q = ps->p;

	while (q < ps->end && is_hspace(*q))
		q++;
	if (q < ps->end && *q == '#') {
		while (q < ps->end && *q != '\n')
			q++;
		if (comment && !(*comment = cfg_strndup(ps->t, ps->p, (size_t)(q - ps->p))))
			return nomem(ps);
	}
	if (q < ps->end && *q == '\n') {
		ps->line++;
		ps->p = q + 1;
	} else if (q == ps->end) {
		ps->p = q;
	}
	/* else another token follows on this line; it starts after the blanks */
	return 0;
}

/* Only blanks between the last newline (or the start) and q. */
static bool at_line_start(const struct parser *ps, const char *q)
{
	while (q > ps->start && is_hspace(q[-1]))
		q--;
	return q == ps->start || q[-1] == '\n';
}

/* Blank and comment lines before the next token, into *lines.  They are
 * gathered in ps->buf and copied to the tree once (a run of lines costs
 * its length, not its square). */
static int trivia(struct parser *ps, const char **lines)
{
	size_t n = 0;

	*lines = NULL;
	for (;;) {
		const char *q = ps->p, *c;
		size_t add = 0;

		while (q < ps->end && is_hspace(*q))
			q++;
		if (q == ps->end || (*q != '\n' && *q != '#')) {
			ps->p = q;
			break;
		}
		c = q;
		if (*q == '#') {
			while (q < ps->end && *q != '\n')
				q++;
			add = (size_t)(q - c) + 1;
		} else if (at_line_start(ps, q)) {
			add = 1; /* a blank line; else the end of a line that held a token */
		}
		if (n + add > ps->cap) {
			size_t cap = ps->cap ? ps->cap : 256;
			char *b;

			while (n + add > cap)
				cap *= 2;
			if (!(b = realloc(ps->buf, cap)))
				return nomem(ps);
			ps->buf = b;
			ps->cap = cap;
		}
		if (add > 1)
			memcpy(ps->buf + n, c, add - 1);
		if (add)
			ps->buf[n + add - 1] = '\n';
		n += add;
		if (q < ps->end) { /* the newline */
			ps->line++;
			q++;
		}
		ps->p = q;
	}
	if (n && !(*lines = cfg_strndup(ps->t, ps->buf, n)))
		return nomem(ps);
	return 0;
}

/* A quoted string at p ('"' with backslash escapes, '\'' without); the
 * unescaped text into *out. */
static int quoted(struct parser *ps, const char **out, size_t *outlen)
{
	char quote = *ps->p, *buf, *o;
	unsigned line0 = ps->line;
	const char *q = ps->p + 1;

	/* First pass: find the end and the size. */
	while (q < ps->end && *q != quote) {
		if (quote == '"' && *q == '\\' && q + 1 < ps->end)
			q++;
		q++;
	}
	if (q >= ps->end)
		return fail(ps, "unterminated string");
	if (!(buf = cfg_alloc(ps->t, (size_t)(q - ps->p))))
		return nomem(ps);
	o = buf;
	for (const char *s = ps->p + 1; s < q; s++) {
		if (quote == '"' && *s == '\\')
			s++;
		if (*s == '\n')
			line0++;
		*o++ = *s;
	}
	*o = '\0';
	ps->line = line0;
	ps->p = q + 1;
	*out = buf;
	if (outlen)
		*outlen = (size_t)(o - buf);
	return 0;
}

/* What may follow a number or a bare word. */
static bool delimiter(const struct parser *ps, const char *q)
{
	return q == ps->end || is_space(*q) || *q == ',' || *q == ']' || *q == '}' || *q == '#';
}

static int scalar(struct parser *ps, struct cfg_value *v)
{
	const char *q = ps->p;
	char buf[16];

	if (q == ps->end)
		return fail(ps, "expected a value, found end of text");
	if (*q == '"' || *q == '\'') {
		v->type = CFG_STRING;
		return quoted(ps, &v->s, NULL);
	}
	if (is_digit(*q) || *q == '+' || *q == '-' || *q == '.') {
		const char *b = q;
		unsigned digits = 0, dots = 0;

		if (*q == '+' || *q == '-')
			q++;
		for (; q < ps->end && (is_digit(*q) || *q == '.'); q++) {
			if (*q == '.')
				dots++;
			else
				digits++;
		}
		if (!digits || dots > 1 || !delimiter(ps, q))
			return fail(ps, "invalid number \"%.*s\"", (int)(q - b + (q < ps->end)), b);
		if (dots) {
			v->type = CFG_FLOAT;
			if (!(v->s = cfg_strndup(ps->t, b, (size_t)(q - b))))
				return nomem(ps);
		} else {
			char num[32], *endp;
			long long x;

			if ((size_t)(q - b) >= sizeof(num))
				return fail(ps, "number \"%.*s\" is out of range", (int)(q - b), b);
			memcpy(num, b, (size_t)(q - b));
			num[q - b] = '\0';
			errno = 0;
			x = strtoll(num, &endp, 0);
			if (errno == ERANGE)
				return fail(ps, "number \"%s\" is out of range", num);
			if (*endp)
				return fail(ps, "invalid number \"%s\"", num);
			v->type = CFG_INT;
			v->i = x;
		}
		ps->p = q;
		return 0;
	}
	while (q < ps->end && !is_space(*q) && !strchr(",[]{}=#\"'", *q))
		q++;
	if (q == ps->p)
		return fail(ps, "expected a value, found %s", what(ps, buf));
	v->type = CFG_STRING;
	if (!(v->s = cfg_strndup(ps->t, ps->p, (size_t)(q - ps->p))))
		return nomem(ps);
	ps->p = q;
	return 0;
}

static int array(struct parser *ps, struct cfg_node *n)
{
	unsigned line0 = ps->line;
	bool nl = false, comma_ok = false;
	char buf[16];
	int r;

	ps->p++; /* '[' */
	for (;;) {
		struct cfg_value *v;

		nl |= skip_ws(ps);
		if (ps->p == ps->end)
			return err_set(ps->e, -EINVAL, "line %u: array opened here is not closed", line0);
		if (*ps->p == ']') {
			n->nl_before_close = nl;
			ps->p++;
			return 0;
		}
		if (*ps->p == ',') {
			if (!comma_ok)
				return fail(ps, "expected a value, found ','");
			comma_ok = false;
			ps->p++;
			continue;
		}
		if (*ps->p == '[')
			return fail(ps, "arrays do not nest");
		if (*ps->p == '{' || *ps->p == '}' || *ps->p == '=')
			return fail(ps, "expected a value or ']', found %s", what(ps, buf));
		if (!(v = cfg_push_item(n)))
			return nomem(ps);
		v->nl_before = nl;
		nl = false;
		if ((r = scalar(ps, v)))
			return r;
		comma_ok = true;
	}
}

static int body(struct parser *ps, struct cfg_node *sec, unsigned depth, unsigned line0);

static bool in_libdm(const struct cfg_node *sec)
{
	for (const struct cfg_node *a = sec->parent; a; a = a->parent)
		if (a->libdm)
			return true;
	return false;
}

static int statement(struct parser *ps, struct cfg_node *sec, const char *pre, unsigned depth)
{
	const char *key, *b = ps->p;
	unsigned line0;
	size_t keylen;
	struct cfg_node *n;
	char buf[16];
	int r;

	if (*ps->p == '"' || *ps->p == '\'') {
		if ((r = quoted(ps, &key, &keylen)))
			return r;
		if (!cfg_key_ok(key, keylen))
			return fail(ps, "invalid key \"%s\"", key);
	} else {
		while (ps->p < ps->end && cfg_key_ok(ps->p, 1))
			ps->p++;
		key = b;
		keylen = (size_t)(ps->p - b);
		if (!keylen)
			return fail(ps, "expected a key, found %s", what(ps, buf));
		if (ps->p < ps->end && !is_space(*ps->p) && !strchr("#={", *ps->p))
			return fail(ps, "invalid character %s in key \"%.*s\"", what(ps, buf),
				    (int)keylen, key);
	}
	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == '{') {
		if (depth >= MAX_DEPTH)
			return fail(ps, "sections nested deeper than %d", MAX_DEPTH);
		if (!(n = cfg_new_node(sec, key, keylen, CFG_SECTION)))
			return nomem(ps);
		n->pre = pre;
		ps->p++;
		line0 = ps->line;
		if ((r = line_rest(ps, NULL)) || (r = body(ps, n, depth + 1, line0)))
			return r;
		return line_rest(ps, &n->comment);
	}
	if (ps->p == ps->end || *ps->p != '=')
		return fail(ps, "expected '=' or '{' after \"%.*s\", found %s", (int)keylen, key,
			    what(ps, buf));
	ps->p++;
	/* "key=value" first in a section: libdm wrote it (config.h); the
	 * sections inside are written its way too, so only the outermost
	 * one is marked (what the emitter reads back the same) */
	if (sec->parent && !sec->child && ps->p[-2] != ' ' && ps->p[-2] != '\t' && ps->p < ps->end &&
	    !is_space(*ps->p) && *ps->p != '#' && !in_libdm(sec))
		sec->libdm = true;
	skip_ws(ps);
	if (!(n = cfg_new_node(sec, key, keylen, CFG_INT)))
		return nomem(ps);
	n->pre = pre;
	if (ps->p < ps->end && *ps->p == '[') {
		n->type = CFG_ARRAY;
		r = array(ps, n);
	} else {
		r = scalar(ps, &n->v);
		n->type = n->v.type;
	}
	if (r)
		return r;
	return line_rest(ps, &n->comment);
}

/* The nodes of @sec up to its '}' (or, for the root, the end). */
static int body(struct parser *ps, struct cfg_node *sec, unsigned depth, unsigned line0)
{
	const char *pre;
	int r;

	for (;;) {
		if ((r = trivia(ps, &pre)))
			return r;
		if (ps->p == ps->end) {
			if (depth)
				return err_set(ps->e, -EINVAL,
					       "line %u: section \"%s\" opened at line %u is not closed",
					       ps->line, sec->key, line0);
			sec->post = pre;
			return 0;
		}
		if (*ps->p == '}') {
			if (!depth)
				return fail(ps, "'}' without a section to close");
			sec->post = pre;
			ps->p++;
			return 0;
		}
		if ((r = statement(ps, sec, pre, depth)))
			return r;
	}
}

int cfg_parse(const char *text, size_t len, struct cfg_tree **out, struct err *e)
{
	struct parser ps = { .start = text, .p = text, .line = 1, .e = e };
	const char *nul = memchr(text, '\0', len);
	int r;

	*out = NULL;
	ps.end = nul ? nul : text + len;
	if ((r = cfg_tree_new(&ps.t)))
		return err_set(e, r, "out of memory");
	r = body(&ps, &ps.t->root, 0, 1);
	free(ps.buf);
	if (r || (r = ps.t->status)) {
		if (ps.t->status)
			err_set(e, r, "%s", ps.t->err.msg);
		cfg_tree_free(ps.t);
		return r;
	}
	*out = ps.t;
	return 0;
}

/* A value's end: past a quoted string (with its escapes), a bracketed
 * array, or a bare word. */
static const char *value_end(const char *p)
{
	if (*p == '"') {
		for (p++; *p && *p != '"'; p++)
			if (*p == '\\' && p[1])
				p++;
		return *p ? p + 1 : p;
	}
	if (*p == '[') {
		for (bool q = false; *++p;) {
			if (*p == '"' && p[-1] != '\\')
				q = !q;
			if (!q && *p == ']')
				return p + 1;
		}
		return p;
	}
	while (*p && !isspace((unsigned char)*p))
		p++;
	return p;
}

static bool key_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '/';
}

int cfg_parse_settings(const char *text, struct cfg_tree **out, struct err *e)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	const char *p = text;
	int r;

	if (!f)
		return err_set(e, -ENOMEM, "out of memory");
	while (*p) {
		const char *w = p, *slash = NULL, *end;
		unsigned depth = 0;

		if (*p == '"' || *p == '[') { /* strings and arrays as they are */
			end = value_end(p);
			fwrite(p, 1, (size_t)(end - p), f);
			p = end;
			continue;
		}
		if (!key_char(*p)) {
			fputc(*p++, f);
			continue;
		}
		for (end = w; key_char(*end); end++)
			if (*end == '/')
				slash = end;
		if (!slash || *end != '=') {
			fwrite(w, 1, (size_t)(end - w), f);
			p = end;
			continue;
		}
		/* "a/b/c=v": "a { b { c=v } }" */
		for (const char *c = w; c <= slash; c++) {
			if (*c == '/') {
				fputs(" { ", f);
				depth++;
			} else {
				fputc(*c, f);
			}
		}
		fwrite(slash + 1, 1, (size_t)(end - slash - 1), f);
		fputc('=', f);
		p = value_end(end + 1);
		fwrite(end + 1, 1, (size_t)(p - end - 1), f);
		while (depth--)
			fputs(" }", f);
	}
	if (fclose(f)) {
		free(buf);
		return err_set(e, -ENOMEM, "out of memory");
	}
	r = cfg_parse(buf, size, out, e);
	free(buf);
	return r;
}
