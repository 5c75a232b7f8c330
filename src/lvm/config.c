/* The text-format tree: arena, builders, lookups, comparison.  The parser
 * is in config_parse.c, the emitter in config_emit.c. */
#include "lvm/config_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHUNK_SIZE (64 * 1024)

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	max_align_t data[];
};

void *cfg_alloc(struct cfg_tree *t, size_t n)
{
	struct arena_chunk *c = t->chunks;
	void *p;

	n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	if (!c || c->cap - c->used < n) {
		size_t cap = n > CHUNK_SIZE ? n : CHUNK_SIZE;

		if (!(c = malloc(sizeof(*c) + cap)))
			return NULL;
		c->used = 0;
		c->cap = cap;
		/* A big one-off block goes behind the current chunk, which
		 * keeps its free space. */
		if (t->chunks && n > CHUNK_SIZE) {
			c->next = t->chunks->next;
			t->chunks->next = c;
		} else {
			c->next = t->chunks;
			t->chunks = c;
		}
	}
	p = (char *)c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

char *cfg_strndup(struct cfg_tree *t, const char *s, size_t n)
{
	char *d = cfg_alloc(t, n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

const char *cfg_concat(struct cfg_tree *t, const char *old, const char *add, size_t n)
{
	size_t o = old ? strlen(old) : 0;
	char *d = cfg_alloc(t, o + n + 1);

	if (d) {
		memcpy(d, old ? old : "", o);
		memcpy(d + o, add, n);
		d[o + n] = '\0';
	}
	return d;
}

bool cfg_key_ok(const char *key, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = key[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '+' || c == '-'))
			return false;
	}
	return true;
}

void *cfg_fail(struct cfg_tree *t, int rc, const char *fmt, ...)
{
	va_list ap;

	if (!t->status) {
		t->status = rc;
		va_start(ap, fmt);
		vsnprintf(t->err.msg, sizeof(t->err.msg), fmt, ap);
		va_end(ap);
	}
	return NULL;
}

int cfg_tree_new(struct cfg_tree **out)
{
	struct cfg_tree *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->root.type = CFG_SECTION;
	t->root.tree = t;
	*out = t;
	return 0;
}

void cfg_tree_free(struct cfg_tree *t)
{
	struct arena_chunk *c, *n;

	if (!t)
		return;
	if (t->refs) {
		t->refs--;
		return;
	}
	for (c = t->chunks; c; c = n) {
		n = c->next;
		free(c);
	}
	free(t);
}

struct cfg_tree *cfg_tree_ref(struct cfg_tree *t)
{
	t->refs++;
	return t;
}

struct cfg_node *cfg_root(struct cfg_tree *t) { return &t->root; }

int cfg_tree_status(const struct cfg_tree *t, struct err *e)
{
	if (t->status)
		return err_set(e, t->status, "%s", t->err.msg);
	return 0;
}

struct cfg_node *cfg_new_node(struct cfg_node *sec, const char *key, size_t keylen,
			      enum cfg_type type)
{
	struct cfg_tree *t = sec->tree;
	struct cfg_node *n = cfg_alloc(t, sizeof(*n));

	if (!n || !(n->key = cfg_strndup(t, key, keylen)))
		return cfg_fail(t, -ENOMEM, "out of memory");
	n->type = type;
	n->tree = t;
	n->parent = sec;
	if (sec->last_child)
		sec->last_child->next = n;
	else
		sec->child = n;
	sec->last_child = n;
	return n;
}

struct cfg_value *cfg_push_item(struct cfg_node *arr)
{
	if (arr->nitems == arr->cap) {
		unsigned cap = arr->cap ? arr->cap * 2 : 4;
		struct cfg_value *items = cfg_alloc(arr->tree, cap * sizeof(*items));

		if (!items)
			return cfg_fail(arr->tree, -ENOMEM, "out of memory");
		if (arr->nitems)
			memcpy(items, arr->items, arr->nitems * sizeof(*items));
		arr->items = items;
		arr->cap = cap;
	}
	return &arr->items[arr->nitems++];
}

/* The section a builder may append to, or NULL after an error. */
static struct cfg_node *builder_sec(struct cfg_node *sec, const char *key)
{
	if (!sec || sec->tree->status)
		return NULL;
	if (sec->type != CFG_SECTION)
		return cfg_fail(sec->tree, -EINVAL, "\"%s\" is not a section", sec->key);
	if (!key || !cfg_key_ok(key, strlen(key)))
		return cfg_fail(sec->tree, -EINVAL, "invalid key \"%s\"", key ? key : "(null)");
	return sec;
}

struct cfg_node *cfg_add_section(struct cfg_node *sec, const char *key)
{
	if (!builder_sec(sec, key))
		return NULL;
	return cfg_new_node(sec, key, strlen(key), CFG_SECTION);
}

struct cfg_node *cfg_add_int(struct cfg_node *sec, const char *key, int64_t v)
{
	struct cfg_node *n;

	if (!builder_sec(sec, key) || !(n = cfg_new_node(sec, key, strlen(key), CFG_INT)))
		return NULL;
	n->v.type = CFG_INT;
	n->v.i = v;
	return n;
}

struct cfg_node *cfg_add_str(struct cfg_node *sec, const char *key, const char *s)
{
	struct cfg_node *n;

	if (!builder_sec(sec, key) || !(n = cfg_new_node(sec, key, strlen(key), CFG_STRING)))
		return NULL;
	n->v.type = CFG_STRING;
	if (!(n->v.s = cfg_strndup(sec->tree, s, strlen(s))))
		return cfg_fail(sec->tree, -ENOMEM, "out of memory");
	return n;
}

struct cfg_node *cfg_add_array(struct cfg_node *sec, const char *key)
{
	if (!builder_sec(sec, key))
		return NULL;
	return cfg_new_node(sec, key, strlen(key), CFG_ARRAY);
}

static struct cfg_value *builder_item(struct cfg_node *arr)
{
	if (!arr || arr->tree->status)
		return NULL;
	if (arr->type != CFG_ARRAY)
		return cfg_fail(arr->tree, -EINVAL, "\"%s\" is not an array", arr->key);
	return cfg_push_item(arr);
}

struct cfg_node *cfg_array_add_int(struct cfg_node *arr, int64_t v, bool nl_before)
{
	struct cfg_value *it = builder_item(arr);

	if (!it)
		return NULL;
	*it = (struct cfg_value){ .type = CFG_INT, .i = v, .nl_before = nl_before };
	return arr;
}

struct cfg_node *cfg_array_add_str(struct cfg_node *arr, const char *s, bool nl_before)
{
	struct cfg_value *it = builder_item(arr);

	if (!it)
		return NULL;
	*it = (struct cfg_value){ .type = CFG_STRING, .nl_before = nl_before };
	if (!(it->s = cfg_strndup(arr->tree, s, strlen(s))))
		return cfg_fail(arr->tree, -ENOMEM, "out of memory");
	return arr;
}

static const char *copy_str(struct cfg_tree *t, const char *s)
{
	return s ? cfg_strndup(t, s, strlen(s)) : NULL;
}

int cfg_value_set_str(struct cfg_tree *t, struct cfg_value *v, const char *s)
{
	const char *c = copy_str(t, s);

	if (!c) {
		cfg_fail(t, -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	v->type = CFG_STRING;
	v->s = c;
	return 0;
}

struct cfg_node *cfg_add_copy(struct cfg_node *sec, const struct cfg_node *src)
{
	struct cfg_tree *t;
	struct cfg_node *n;

	if (!builder_sec(sec, src->key) ||
	    !(n = cfg_new_node(sec, src->key, strlen(src->key), src->type)))
		return NULL;
	t = sec->tree;
	n->v = src->v;
	n->nl_before_close = src->nl_before_close;
	n->comment_aligned = src->comment_aligned;
	n->libdm = src->libdm;
	if ((src->v.s && !(n->v.s = copy_str(t, src->v.s))) ||
	    (src->pre && !(n->pre = copy_str(t, src->pre))) ||
	    (src->comment && !(n->comment = copy_str(t, src->comment))) ||
	    (src->post && !(n->post = copy_str(t, src->post))))
		return cfg_fail(t, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < src->nitems; i++) {
		struct cfg_value *it = cfg_push_item(n);

		if (!it)
			return NULL;
		*it = src->items[i];
		if (src->items[i].s && !(it->s = copy_str(t, src->items[i].s)))
			return cfg_fail(t, -ENOMEM, "out of memory");
	}
	for (const struct cfg_node *c = src->child; c; c = c->next)
		if (!cfg_add_copy(n, c))
			return NULL;
	return n;
}

static struct cfg_node *add_lines(struct cfg_node *n, const char **where, unsigned lines)
{
	char *nl;

	if (!lines)
		return n;
	if (!(nl = malloc(lines)))
		return cfg_fail(n->tree, -ENOMEM, "out of memory");
	memset(nl, '\n', lines);
	*where = cfg_concat(n->tree, *where, nl, lines);
	free(nl);
	return *where ? n : cfg_fail(n->tree, -ENOMEM, "out of memory");
}

struct cfg_node *cfg_add_blank(struct cfg_node *n, unsigned lines)
{
	if (!n || n->tree->status)
		return NULL;
	return add_lines(n, &n->pre, lines);
}

struct cfg_node *cfg_add_post_blank(struct cfg_node *sec, unsigned lines)
{
	if (!sec || sec->tree->status)
		return NULL;
	if (sec->type != CFG_SECTION)
		return cfg_fail(sec->tree, -EINVAL, "\"%s\" is not a section", sec->key);
	return add_lines(sec, &sec->post, lines);
}

struct cfg_node *cfg_add_comment_line(struct cfg_node *n, const char *comment)
{
	size_t len;

	if (!n || n->tree->status)
		return NULL;
	len = strlen(comment);
	if (comment[0] != '#' || memchr(comment, '\n', len))
		return cfg_fail(n->tree, -EINVAL, "a comment line starts with '#' and has no newline");
	if (!(n->pre = cfg_concat(n->tree, n->pre, comment, len)) ||
	    !(n->pre = cfg_concat(n->tree, n->pre, "\n", 1)))
		return cfg_fail(n->tree, -ENOMEM, "out of memory");
	return n;
}

struct cfg_node *cfg_set_comment(struct cfg_node *n, const char *comment, bool aligned)
{
	size_t len, ws;

	if (!n || n->tree->status)
		return NULL;
	len = strlen(comment);
	ws = strspn(comment, " \t");
	if (comment[ws] != '#' || memchr(comment, '\n', len) || (aligned && ws))
		return cfg_fail(n->tree, -EINVAL, "invalid comment \"%s\"", comment);
	if (!(n->comment = cfg_strndup(n->tree, comment, len)))
		return cfg_fail(n->tree, -ENOMEM, "out of memory");
	n->comment_aligned = aligned;
	return n;
}

void cfg_remove(struct cfg_node *n)
{
	struct cfg_node *sec = n->parent, *prev = NULL;

	if (!sec)
		return;
	for (struct cfg_node *c = sec->child; c; prev = c, c = c->next) {
		if (c != n)
			continue;
		if (prev)
			prev->next = n->next;
		else
			sec->child = n->next;
		if (sec->last_child == n)
			sec->last_child = prev;
		break;
	}
	n->parent = NULL;
	n->next = NULL;
}

struct cfg_node *cfg_append(struct cfg_node *sec, struct cfg_node *n)
{
	if (!sec || !n || sec->tree->status)
		return NULL;
	if (sec->type != CFG_SECTION || n->tree != sec->tree || n->parent)
		return cfg_fail(sec->tree, -EINVAL, "cannot move \"%s\" there", n->key);
	n->parent = sec;
	n->next = NULL;
	if (sec->last_child)
		sec->last_child->next = n;
	else
		sec->child = n;
	sec->last_child = n;
	return n;
}

struct cfg_node *cfg_find(const struct cfg_node *sec, const char *key)
{
	if (!sec || sec->type != CFG_SECTION)
		return NULL;
	for (struct cfg_node *c = sec->child; c; c = c->next)
		if (!strcmp(c->key, key))
			return c;
	return NULL;
}

const char *cfg_path(const struct cfg_node *n, char *buf, size_t len)
{
	const struct cfg_node *chain[64];
	unsigned depth = 0;
	size_t used = 0;

	for (; n && n->key && depth < 64; n = n->parent)
		chain[depth++] = n;
	buf[0] = '\0';
	while (depth--) {
		int w = snprintf(buf + used, len - used, "%s%s", used ? "/" : "",
				 chain[depth]->key);

		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
	return buf;
}

static const char *type_name(enum cfg_type t)
{
	static const char *const names[] = { "an integer", "a number", "a string", "an array",
					     "a section" };

	return names[t];
}

static int get_typed(const struct cfg_node *sec, const char *key, enum cfg_type type,
		     struct cfg_node **out, struct err *e)
{
	struct cfg_node *n = cfg_find(sec, key);
	char path[256];

	*out = n;
	if (n && n->type == type)
		return 0;
	/* The path only for the message: imports look up 10,000s of keys. */
	cfg_path(sec, path, sizeof(path));
	if (!n)
		return err_set(e, -ENOENT, "%s%s%s: missing", path, path[0] ? "/" : "", key);
	return err_set(e, -EINVAL, "%s%s%s: expected %s", path, path[0] ? "/" : "", key,
		       type_name(type));
}

int cfg_get_int(const struct cfg_node *sec, const char *key, int64_t *out, struct err *e)
{
	struct cfg_node *n;
	int r = get_typed(sec, key, CFG_INT, &n, e);

	if (!r)
		*out = n->v.i;
	return r;
}

int cfg_get_u64(const struct cfg_node *sec, const char *key, uint64_t *out, struct err *e)
{
	int64_t v;
	int r = cfg_get_int(sec, key, &v, e);
	char path[256];

	if (r)
		return r;
	if (v < 0)
		return err_set(e, -ERANGE, "%s/%s: %" PRId64 " is negative",
			       cfg_path(sec, path, sizeof(path)), key, v);
	*out = (uint64_t)v;
	return 0;
}

int cfg_get_u32(const struct cfg_node *sec, const char *key, uint32_t *out, struct err *e)
{
	int64_t v;
	int r = cfg_get_int(sec, key, &v, e);
	char path[256];

	if (r)
		return r;
	if (v < 0 || v > UINT32_MAX)
		return err_set(e, -ERANGE, "%s/%s: %" PRId64 " is out of range",
			       cfg_path(sec, path, sizeof(path)), key, v);
	*out = (uint32_t)v;
	return 0;
}

int cfg_get_str(const struct cfg_node *sec, const char *key, const char **out, struct err *e)
{
	struct cfg_node *n;
	int r = get_typed(sec, key, CFG_STRING, &n, e);

	if (!r)
		*out = n->v.s;
	return r;
}

int cfg_get_section(const struct cfg_node *sec, const char *key, struct cfg_node **out,
		    struct err *e)
{
	return get_typed(sec, key, CFG_SECTION, out, e);
}

static bool str_eq(const char *a, const char *b)
{
	return (!a || !*a) ? (!b || !*b) : (b && !strcmp(a, b));
}

static bool value_eq(const struct cfg_value *a, const struct cfg_value *b)
{
	if (a->type != b->type || a->nl_before != b->nl_before)
		return false;
	return a->type == CFG_INT ? a->i == b->i : str_eq(a->s, b->s);
}

static bool node_eq(const struct cfg_node *a, const struct cfg_node *b)
{
	const struct cfg_node *x, *y;

	if (!str_eq(a->key, b->key) || a->type != b->type || !str_eq(a->pre, b->pre) ||
	    !str_eq(a->comment, b->comment) || a->comment_aligned != b->comment_aligned ||
	    !str_eq(a->post, b->post) || a->libdm != b->libdm)
		return false;
	switch (a->type) {
	case CFG_ARRAY:
		if (a->nitems != b->nitems || a->nl_before_close != b->nl_before_close)
			return false;
		for (unsigned i = 0; i < a->nitems; i++)
			if (!value_eq(&a->items[i], &b->items[i]))
				return false;
		return true;
	case CFG_SECTION:
		for (x = a->child, y = b->child; x && y; x = x->next, y = y->next)
			if (!node_eq(x, y))
				return false;
		return !x && !y;
	default:
		return value_eq(&a->v, &b->v);
	}
}

bool cfg_equal(const struct cfg_tree *a, const struct cfg_tree *b)
{
	return node_eq(&a->root, &b->root);
}
