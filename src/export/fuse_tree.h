/* The FUSE export's names and inode numbers (internal to fuse.c).
 *
 * The tree is made from the export names alone: "vg/lv" is a file lv in a
 * directory vg, "name" a file at the top; a directory exists while some
 * export name lies under it.  Nothing is stored about the exports: every
 * question asks nbd_exports.list again, so names come and go with the
 * devices.
 *
 * Inode numbers are the one thing kept: the kernel refers to a file or
 * directory by the number its lookup returned, until it forgets it.  A node
 * binds a number to a kind (file or directory) and a path, counts the
 * kernel's lookups less its forgets, and is freed when that reaches 0.
 * The same kind and path get the same number while the node lives (the
 * kernel revalidates its dentries by looking them up again), and numbers
 * are never reused, so a number the kernel still holds cannot come to mean
 * another path.  The root is FUSE_ROOT_ID, never freed.  One mutex guards
 * the table; a node's path does not change, and the kernel does not forget
 * a node while a request on it is running, so callers use the node without
 * the lock.
 */
#ifndef ULVM_EXPORT_FUSE_TREE_H
#define ULVM_EXPORT_FUSE_TREE_H

#include <stdbool.h>
#include <stdint.h>

#include "export/nbd.h"

struct fnode {
	uint64_t ino;
	uint64_t nlookup; /* the kernel's lookups less its forgets */
	bool dir;
	const char *path; /* "" for the root, else "vg", "vg/lv", "name" */
};

struct ftree;

int ftree_new(struct ftree **out);
void ftree_free(struct ftree *t);
/* The node of @dir/@path, made if there is none, with one more lookup;
 * NULL when out of memory. */
struct fnode *ftree_ref(struct ftree *t, bool dir, const char *path);
/* Undo @n of ftree_ref on @ino; the node goes at 0. */
void ftree_forget(struct ftree *t, uint64_t ino, uint64_t n);
/* The node of @ino, or NULL. */
struct fnode *ftree_node(struct ftree *t, uint64_t ino);
/* The number of @dir/@path if the kernel holds it, else 0. */
uint64_t ftree_ino(struct ftree *t, bool dir, const char *path);

/* What @path is among the export names: */
enum fkind { F_NONE, F_FILE, F_DIR };
enum fkind ftree_kind(const struct nbd_exports *ex, const char *path);

/* The entries of directory @path, each name once (a name that is an
 * export and also lies above others is a file).  0 and a malloc'ed array
 * (*n entries), -ENOENT when @path is no directory, -ENOMEM. */
struct fentry {
	char name[256];
	bool dir;
};
int ftree_list(const struct nbd_exports *ex, const char *path, struct fentry **out, unsigned *n);

#endif
