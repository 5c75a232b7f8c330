/* The LVM text format (libdm-config.c) as a tree that keeps its layout.
 *
 *   file    := node* ; ends at the end of the buffer or at a NUL byte
 *   node    := KEY '{' node* '}' | KEY '=' value
 *   value   := scalar | '[' [scalar [','] ...] ']'
 *   scalar  := INT | FLOAT | "string with \ escapes" | 'string' | bare-word
 *
 * KEY is a run of [A-Za-z0-9_.+-] (or a quoted string of those): every
 * name LVM writes (VG, LV, PV and segment keys, settings).  INT is
 * [+-]?[0-9]+ read as LVM reads it (strtoll, base 0: a leading 0 is
 * octal); FLOAT is the same with one '.', kept as written.  Whitespace
 * and '#' comments may come between any two tokens.
 *
 * Layout that LVM's text carries and a re-emit must reproduce is kept on
 * the nodes: the blank and comment lines before a node (`pre`), the text
 * after its value on the same line (`comment`, e.g. "\t# Linux host ..."),
 * the lines before a section's '}' (`post`; for the root, the lines at the
 * end of the text), and which array elements start a new line.  Everything
 * else is canonical: one node per line, "key = value", "key {", "}", array
 * elements joined by ", ", strings in double quotes with '"' and '\'
 * escaped.  With that, parse -> emit gives back the exact bytes LVM2 wrote
 * in an mda (no indentation) or a backup file (CFG_EMIT_INDENT: one tab per
 * level), and for any input emit(parse(emit(parse(x)))) == emit(parse(x)).
 * Comments inside arrays and after '{' are dropped.  Duplicate keys are
 * kept in order and lookups take the first, which is what LVM does with
 * metadata (parsed "without dup node check", first match wins).
 *
 * Trees are built either by cfg_parse or with the cfg_add_* builders; all
 * nodes live in the tree's arena and go with cfg_tree_free.  Builders take
 * and return NULL after an error (no memory, an invalid key), which sticks
 * in the tree: check cfg_tree_status once at the end.
 */
#ifndef ULVM_LVM_CONFIG_H
#define ULVM_LVM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/log.h"

enum cfg_type { CFG_INT, CFG_FLOAT, CFG_STRING, CFG_ARRAY, CFG_SECTION };

/* A scalar: a node's value or an array element. */
struct cfg_value {
	enum cfg_type type; /* CFG_INT, CFG_FLOAT or CFG_STRING */
	bool nl_before;     /* array element: starts a new line */
	int64_t i;          /* CFG_INT */
	const char *s;      /* CFG_STRING: unescaped text; CFG_FLOAT: as written */
};

struct cfg_tree;

struct cfg_node {
	const char *key; /* NULL for the root */
	enum cfg_type type;
	struct cfg_value v; /* CFG_INT, CFG_FLOAT, CFG_STRING */
	/* CFG_ARRAY */
	struct cfg_value *items;
	unsigned nitems, cap;
	bool nl_before_close; /* ']' starts a new line */
	/* CFG_SECTION (and the root), children in order */
	struct cfg_node *child, *last_child;
	struct cfg_node *parent, *next;
	/* layout */
	const char *pre;      /* lines before the node, each "" or "#...", each + '\n' */
	const char *comment;  /* after the value on its line, or NULL */
	bool comment_aligned; /* emitted only with CFG_EMIT_INDENT, tab-aligned as
			       * LVM's backup comments ("# 4 Megabytes") */
	const char *post;     /* sections: lines before '}'; root: at the end */
	/* A section libdm's dm_config_write_node wrote (a cache pool's
	 * policy_settings): its nodes are "key=value", and in an mda too they
	 * are indented one tab per level below it.  Set on a section whose
	 * first node is read without blanks around its '='. */
	bool libdm;
	struct cfg_tree *tree;
};

/* Parse @len bytes of @text (or up to its first NUL).  Errors name the
 * line: "line 12: expected '=' or '{' after \"seqno\"". */
int cfg_parse(const char *text, size_t len, struct cfg_tree **out, struct err *e);
/* lvm2's --config STRING: lvm.conf text, where a key may be a path
 * ("report/time_format=\"%s\" global/system_id_source=none" is
 * "report { time_format=\"%s\" } global { system_id_source=none }"). */
int cfg_parse_settings(const char *text, struct cfg_tree **out, struct err *e);

#define CFG_EMIT_INDENT (1u << 0) /* tab per level, aligned comments: backup files */
/* *out is malloc'ed and NUL-terminated; *len excludes the NUL. */
int cfg_emit(const struct cfg_tree *t, unsigned flags, char **out, size_t *len, struct err *e);

int cfg_tree_new(struct cfg_tree **out);
void cfg_tree_free(struct cfg_tree *t);
/* One more owner: the tree goes with the last cfg_tree_free.  Shared trees
 * are read-only (identical metadata copies on many PVs parse once). */
struct cfg_tree *cfg_tree_ref(struct cfg_tree *t);
struct cfg_node *cfg_root(struct cfg_tree *t);
/* 0, or the first error a builder met (with its message in @e). */
int cfg_tree_status(const struct cfg_tree *t, struct err *e);
/* Same keys, values and layout. */
bool cfg_equal(const struct cfg_tree *a, const struct cfg_tree *b);

/* Builders: append to section @sec. */
struct cfg_node *cfg_add_section(struct cfg_node *sec, const char *key);
struct cfg_node *cfg_add_int(struct cfg_node *sec, const char *key, int64_t v);
struct cfg_node *cfg_add_str(struct cfg_node *sec, const char *key, const char *s);
struct cfg_node *cfg_add_array(struct cfg_node *sec, const char *key);
struct cfg_node *cfg_array_add_int(struct cfg_node *arr, int64_t v, bool nl_before);
struct cfg_node *cfg_array_add_str(struct cfg_node *arr, const char *s, bool nl_before);
/* A deep copy of @src (layout included) appended to @sec, which may be in
 * another tree. */
struct cfg_node *cfg_add_copy(struct cfg_node *sec, const struct cfg_node *src);
/* Layout: blank lines or a "# ..." line before @n; lines before the '}' of
 * section @n; text after @n's value ("\t# ...", or with @aligned a
 * comment LVM writes only in backups, e.g. "# Hint only"). */
struct cfg_node *cfg_add_blank(struct cfg_node *n, unsigned lines);
struct cfg_node *cfg_add_comment_line(struct cfg_node *n, const char *comment);
struct cfg_node *cfg_add_post_blank(struct cfg_node *sec, unsigned lines);
struct cfg_node *cfg_set_comment(struct cfg_node *n, const char *comment, bool aligned);
/* Replace a string value (a node's v or an array item) with a copy of @s
 * in @t's arena; layout unchanged.  -ENOMEM, which sticks in @t as a
 * builder's error does. */
int cfg_value_set_str(struct cfg_tree *t, struct cfg_value *v, const char *s);
/* Unlink @n from its section (its memory goes with the tree). */
void cfg_remove(struct cfg_node *n);
/* Append @n, unlinked from the same tree, at the end of section @sec. */
struct cfg_node *cfg_append(struct cfg_node *sec, struct cfg_node *n);

/* Lookups in section @sec; the first node with @key wins, as in LVM. */
struct cfg_node *cfg_find(const struct cfg_node *sec, const char *key);
/* "vg0/logical_volumes/lv1" for messages. */
const char *cfg_path(const struct cfg_node *n, char *buf, size_t len);
/* -ENOENT if absent, -EINVAL if of another type, -ERANGE if out of range;
 * each with a message naming the path. */
int cfg_get_int(const struct cfg_node *sec, const char *key, int64_t *out, struct err *e);
int cfg_get_u64(const struct cfg_node *sec, const char *key, uint64_t *out, struct err *e);
int cfg_get_u32(const struct cfg_node *sec, const char *key, uint32_t *out, struct err *e);
int cfg_get_str(const struct cfg_node *sec, const char *key, const char **out, struct err *e);
int cfg_get_section(const struct cfg_node *sec, const char *key, struct cfg_node **out,
		    struct err *e);

#endif
