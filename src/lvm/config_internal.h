/* Shared by config.c, config_parse.c and config_emit.c only. */
#ifndef ULVM_LVM_CONFIG_INTERNAL_H
#define ULVM_LVM_CONFIG_INTERNAL_H

#include "lvm/config.h"

struct arena_chunk;

struct cfg_tree {
	struct cfg_node root;
	struct arena_chunk *chunks;
	int status; /* first builder error */
	struct err err;
	unsigned refs; /* owners beyond the first (cfg_tree_ref) */
};

/* Zeroed memory that lives as long as the tree; NULL when out of memory. */
void *cfg_alloc(struct cfg_tree *t, size_t n);
char *cfg_strndup(struct cfg_tree *t, const char *s, size_t n);
/* A key LVM's tokenizer reads back as one bare identifier. */
bool cfg_key_ok(const char *key, size_t n);
/* Record a builder error (the first one sticks); returns NULL. */
void *cfg_fail(struct cfg_tree *t, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Append a node of @type with @key (already checked) to @sec. */
struct cfg_node *cfg_new_node(struct cfg_node *sec, const char *key, size_t keylen,
			      enum cfg_type type);
/* Append a scalar to array @arr; returns the slot or NULL. */
struct cfg_value *cfg_push_item(struct cfg_node *arr);
/* @old (or NULL) followed by @n bytes of @add, in the arena. */
const char *cfg_concat(struct cfg_tree *t, const char *old, const char *add, size_t n);

#endif
