/* The FUSE export's names and inode numbers.  See fuse_tree.h. */
#define FUSE_USE_VERSION 312
#include "export/fuse_tree.h"

#include <errno.h>
#include <fuse3/fuse_lowlevel.h>
#include <pthread.h>
#include <search.h>
#include <stdlib.h>
#include <string.h>

#define FTREE_MAX_ENTRIES 4096 /* per directory */

struct ftree {
	pthread_mutex_t lock;
	void *by_ino;  /* tsearch trees of struct fnode * */
	void *by_path;
	uint64_t next_ino;
	struct fnode *root;
};

static int cmp_ino(const void *a, const void *b)
{
	const struct fnode *x = a, *y = b;

	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

static int cmp_path(const void *a, const void *b)
{
	const struct fnode *x = a, *y = b;

	if (x->dir != y->dir)
		return x->dir ? 1 : -1;
	return strcmp(x->path, y->path);
}

static struct fnode *node_new(uint64_t ino, bool dir, const char *path)
{
	size_t len = strlen(path);
	struct fnode *n = malloc(sizeof(*n) + len + 1);

	if (!n)
		return NULL;
	n->ino = ino;
	n->nlookup = 0;
	n->dir = dir;
	n->path = memcpy(n + 1, path, len + 1);
	return n;
}

int ftree_new(struct ftree **out)
{
	struct ftree *t = calloc(1, sizeof(*t));

	if (!t || !(t->root = node_new(FUSE_ROOT_ID, true, ""))) {
		free(t);
		return -ENOMEM;
	}
	if (!tsearch(t->root, &t->by_ino, cmp_ino) || !tsearch(t->root, &t->by_path, cmp_path)) {
		tdestroy(t->by_ino, free);
		tdestroy(t->by_path, free);
		free(t);
		return -ENOMEM;
	}
	pthread_mutex_init(&t->lock, NULL);
	t->next_ino = FUSE_ROOT_ID + 1;
	*out = t;
	return 0;
}

static void no_free(void *p)
{
	(void)p;
}

void ftree_free(struct ftree *t)
{
	if (!t)
		return;
	tdestroy(t->by_path, no_free);
	tdestroy(t->by_ino, free);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* Under t->lock. */
static struct fnode *find_path(struct ftree *t, bool dir, const char *path)
{
	struct fnode key = { .dir = dir, .path = path };
	void **p = tfind(&key, &t->by_path, cmp_path);

	return p ? *p : NULL;
}

struct fnode *ftree_ref(struct ftree *t, bool dir, const char *path)
{
	struct fnode *n;

	pthread_mutex_lock(&t->lock);
	if (!(n = find_path(t, dir, path)) && (n = node_new(t->next_ino, dir, path))) {
		if (!tsearch(n, &t->by_ino, cmp_ino)) {
			free(n);
			n = NULL;
		} else if (!tsearch(n, &t->by_path, cmp_path)) {
			tdelete(n, &t->by_ino, cmp_ino);
			free(n);
			n = NULL;
		} else {
			t->next_ino++;
		}
	}
	if (n)
		n->nlookup++;
	pthread_mutex_unlock(&t->lock);
	return n;
}

void ftree_forget(struct ftree *t, uint64_t ino, uint64_t count)
{
	struct fnode key = { .ino = ino }, *n;
	void **p;

	if (ino == FUSE_ROOT_ID)
		return;
	pthread_mutex_lock(&t->lock);
	if ((p = tfind(&key, &t->by_ino, cmp_ino))) {
		n = *p;
		n->nlookup = count < n->nlookup ? n->nlookup - count : 0;
		if (!n->nlookup) {
			tdelete(n, &t->by_path, cmp_path);
			tdelete(n, &t->by_ino, cmp_ino);
			free(n);
		}
	}
	pthread_mutex_unlock(&t->lock);
}

struct fnode *ftree_node(struct ftree *t, uint64_t ino)
{
	struct fnode key = { .ino = ino };
	void **p;

	pthread_mutex_lock(&t->lock);
	p = tfind(&key, &t->by_ino, cmp_ino);
	pthread_mutex_unlock(&t->lock);
	return p ? *p : NULL;
}

uint64_t ftree_ino(struct ftree *t, bool dir, const char *path)
{
	struct fnode *n;

	pthread_mutex_lock(&t->lock);
	n = find_path(t, dir, path);
	pthread_mutex_unlock(&t->lock);
	return n ? n->ino : 0;
}

/* One walk over the export names, for ftree_kind and ftree_list. */
struct walk {
	const char *path;
	size_t len;
	enum fkind kind;
	bool listing;
	struct fentry *ents;
	unsigned n, cap;
	int err;
};

static void walk_one(void *arg, const char *name, const char *desc)
{
	struct walk *w = arg;
	const char *rest;
	size_t n;

	(void)desc;
	if (w->len && (strncmp(name, w->path, w->len) || (name[w->len] && name[w->len] != '/')))
		return;
	if (!name[w->len]) {
		w->kind = F_FILE;
		return;
	}
	if (w->kind != F_FILE)
		w->kind = F_DIR;
	if (!w->listing || w->err)
		return;
	rest = name + w->len + (w->len ? 1 : 0);
	n = strcspn(rest, "/");
	if (!n || n >= sizeof(w->ents[0].name))
		return;
	for (unsigned i = 0; i < w->n; i++) {
		if (strlen(w->ents[i].name) == n && !strncmp(w->ents[i].name, rest, n)) {
			if (!rest[n])
				w->ents[i].dir = false; /* an export: a file, whatever lies below */
			return;
		}
	}
	if (w->n == w->cap) {
		unsigned cap = w->cap ? 2 * w->cap : 16;
		struct fentry *e = cap <= FTREE_MAX_ENTRIES ? realloc(w->ents, cap * sizeof(*e)) : NULL;

		if (!e) {
			w->err = cap <= FTREE_MAX_ENTRIES ? -ENOMEM : 0; /* past the cap: not listed */
			return;
		}
		w->ents = e;
		w->cap = cap;
	}
	memcpy(w->ents[w->n].name, rest, n);
	w->ents[w->n].name[n] = 0;
	w->ents[w->n++].dir = rest[n] == '/';
}

enum fkind ftree_kind(const struct nbd_exports *ex, const char *path)
{
	struct walk w = { .path = path, .len = strlen(path) };

	if (!w.len)
		return F_DIR;
	ex->list(ex->opaque, walk_one, &w);
	return w.kind;
}

int ftree_list(const struct nbd_exports *ex, const char *path, struct fentry **out, unsigned *n)
{
	struct walk w = { .path = path, .len = strlen(path), .listing = true };

	ex->list(ex->opaque, walk_one, &w);
	if (w.err || (w.len && w.kind != F_DIR)) {
		free(w.ents);
		return w.err ? w.err : -ENOENT;
	}
	*out = w.ents;
	*n = w.n;
	return 0;
}
