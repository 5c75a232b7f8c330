/* The text-format emitter: LVM2's layout (lib/format_text/export.c).
 *
 * In an mda LVM writes no indentation and drops the comments it passes as
 * hints; in a backup file it indents with one tab per level and lines those
 * comments up as _out_with_comment_file does (see aligned_tabs).  Blank
 * lines, comment lines and the comments that are part of the text itself
 * ("creation_host = \"h\"\t# Linux ...") come from the tree.  A section
 * libdm wrote (node->libdm: a cache pool's policy_settings) is written as
 * dm_config_write_node writes it, "key=value", its nodes a tab deeper
 * than it in either form.
 */
#include "lvm/config_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COMMENT_TAB 6 /* export.c: comments line up at column 8 * (6 - 1) */

struct out {
	char *buf;
	size_t len, cap;
	bool oom;
	unsigned flags;
	int libdm; /* the depth of the libdm section being written (config.h), or -1 */
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->oom)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 4096;
		char *b;

		while (o->len + n + 1 > cap)
			cap *= 2;
		if (!(b = realloc(o->buf, cap))) {
			o->oom = true;
			return;
		}
		o->buf = b;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void puts_(struct out *o, const char *s) { put(o, s, strlen(s)); }

static void indent(struct out *o, unsigned depth)
{
	unsigned from = o->flags & CFG_EMIT_INDENT ? 0 : o->libdm >= 0 ? (unsigned)o->libdm : depth;

	for (unsigned i = from; i < depth; i++)
		put(o, "\t", 1);
}

/* Blank and comment lines; comment lines get the indentation. */
static void lines(struct out *o, const char *s, unsigned depth)
{
	while (s && *s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);

		if (n)
			indent(o, depth);
		put(o, s, n);
		put(o, "\n", 1);
		s += n + (nl ? 1 : 0);
	}
}

static void value(struct out *o, const struct cfg_value *v)
{
	char num[32];

	switch (v->type) {
	case CFG_INT:
		snprintf(num, sizeof(num), "%" PRId64, v->i);
		puts_(o, num);
		break;
	case CFG_FLOAT:
		puts_(o, v->s);
		break;
	default:
		put(o, "\"", 1);
		for (const char *s = v->s, *run = s;; s++) {
			if (*s == '"' || *s == '\\' || !*s) {
				put(o, run, (size_t)(s - run));
				if (!*s)
					break;
				put(o, "\\", 1);
				run = s;
			}
		}
		put(o, "\"", 1);
		break;
	}
}

/* Tabs before an aligned comment on a line whose text (after the
 * indentation) is @n bytes long, @depth levels deep. */
static unsigned aligned_tabs(size_t n, unsigned depth)
{
	size_t i = (n + 8 * depth) / 8 + 1;

	return i < COMMENT_TAB ? (unsigned)(COMMENT_TAB - i) : 1;
}

static void node(struct out *o, const struct cfg_node *n, unsigned depth);

static void body(struct out *o, const struct cfg_node *sec, unsigned depth)
{
	for (const struct cfg_node *c = sec->child; c; c = c->next)
		node(o, c, depth);
	lines(o, sec->post, depth);
}

static void node(struct out *o, const struct cfg_node *n, unsigned depth)
{
	size_t line_start;

	lines(o, n->pre, depth);
	indent(o, depth);
	line_start = o->len;
	puts_(o, n->key);
	switch (n->type) {
	case CFG_SECTION: {
		int outer = o->libdm;

		put(o, " {\n", 3);
		if (n->libdm && outer < 0)
			o->libdm = (int)depth;
		body(o, n, depth + 1);
		o->libdm = outer;
		indent(o, depth);
		line_start = o->len;
		put(o, "}", 1);
		break;
	}
	case CFG_ARRAY:
		puts_(o, o->libdm >= 0 ? "=[" : " = [");
		for (unsigned i = 0; i < n->nitems; i++) {
			if (i)
				put(o, ",", 1);
			if (n->items[i].nl_before) {
				put(o, "\n", 1);
				indent(o, depth + 1);
			} else if (i && o->libdm < 0) {
				put(o, " ", 1);
			}
			value(o, &n->items[i]);
		}
		if (n->nl_before_close) {
			put(o, "\n", 1);
			indent(o, depth);
		}
		put(o, "]", 1);
		break;
	default:
		puts_(o, o->libdm >= 0 ? "=" : " = ");
		value(o, &n->v);
		break;
	}
	if (n->comment && !n->comment_aligned) {
		puts_(o, n->comment);
	} else if (n->comment && (o->flags & CFG_EMIT_INDENT)) {
		/* The width counts from the start of the last line. */
		const char *ls = o->oom ? NULL : memrchr(o->buf + line_start, '\n', o->len - line_start);
		size_t w = ls ? o->len - (size_t)(ls + 1 - o->buf) : o->len - line_start;

		for (unsigned t = aligned_tabs(w, depth); t; t--)
			put(o, "\t", 1);
		puts_(o, n->comment);
	}
	put(o, "\n", 1);
}

int cfg_emit(const struct cfg_tree *t, unsigned flags, char **out, size_t *len, struct err *e)
{
	struct out o = { .flags = flags, .libdm = -1 };

	put(&o, "", 0);
	body(&o, &t->root, 0);
	if (o.oom) {
		free(o.buf);
		return err_set(e, -ENOMEM, "out of memory");
	}
	*out = o.buf;
	if (len)
		*len = o.len;
	return 0;
}
