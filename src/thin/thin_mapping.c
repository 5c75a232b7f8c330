/* A thin device's block mappings (the "mapping" tree of
 * thin_metadata.c's comment): lookups through a per-device root cache,
 * inserts and removes that keep the device's mapped_blocks in its
 * details, and walks.  Every update shadows the top-level path before the
 * subtree (subtree_root_for_update), so a held metadata snapshot keeps its
 * references; the caller serialises, as for every thin_meta call. */
#include <errno.h>
#include <inttypes.h>

#include "common/le.h"
#include "thin/thin_internal.h"

static int subtree_root(struct thin_meta *t, uint64_t dev, uint64_t *root)
{
	uint8_t v[8];
	int r = btree_lookup(&t->top_info, t->sb.mapping_root, dev, v);

	if (r == -ENODATA)
		return -ENODEV;
	if (r == 0)
		*root = le64_get(v);
	return r;
}

int thin_subtree_root(struct thin_meta *t, uint64_t dev, uint64_t *root)
{
	return subtree_root(t, dev, root);
}

struct btree_info *thin_map_info(struct thin_meta *t)
{
	return &t->map_info;
}

/* The subtree root of @dev, ready for an update: the top-level path is
 * shadowed first (rewriting the same value), so that a shared top level
 * (a held metadata snapshot) takes its extra references to the subtree
 * roots before the subtree is shadowed in turn, as the kernel's
 * multi-level insert does. */
static int subtree_root_for_update(struct thin_meta *t, uint64_t dev, uint64_t *root)
{
	uint8_t v[8];
	int r = subtree_root(t, dev, root);

	if (r < 0)
		return r;
	le64_put(v, *root);
	r = btree_insert(&t->top_set_info, t->sb.mapping_root, dev, v, &t->sb.mapping_root, NULL);
	if (r == 0)
		r = subtree_root(t, dev, root);
	return r;
}

/* The mapping of @dev at @vblock, or with @found the first at or after it
 * (its vblock in *found).  A mapping is shared when the device was last
 * snapshotted after it was written. */
/* The mapping tree root and snapshot time of @dev, from the root cache
 * while nothing changed. */
static int dev_root(struct thin_meta *t, uint64_t dev, uint64_t *root, uint32_t *snapshotted_time)
{
	struct root_cache *c = &t->roots[dev % (sizeof(t->roots) / sizeof(t->roots[0]))];
	struct thin_dev_info d;
	int r;

	if (!c->valid || c->dev != dev || c->gen != t->gen) {
		r = thin_meta_dev_info(t, dev, &d);
		if (r == 0)
			r = subtree_root(t, dev, root);
		if (r < 0)
			return r;
		*c = (struct root_cache){ .dev = dev, .gen = t->gen, .root = *root,
					  .snapshotted_time = d.snapshotted_time, .valid = true };
	}
	*root = c->root;
	*snapshotted_time = c->snapshotted_time;
	return 0;
}

static int get_mapping(struct thin_meta *t, uint64_t dev, uint64_t vblock, uint64_t *found,
		       struct thin_mapping *m)
{
	uint64_t root = 0, bt;
	uint32_t stime = 0;
	uint8_t v[8];
	int r = dev_root(t, dev, &root, &stime);

	if (r == 0)
		r = found ? btree_lookup_next(&t->map_info, root, vblock, found, v)
			  : btree_lookup(&t->map_info, root, vblock, v);
	if (r < 0)
		return r;
	bt = le64_get(v);
	m->data_block = bt >> 24;
	m->time = (uint32_t)(bt & THIN_MAX_TIME);
	m->shared = stime > m->time;
	return 0;
}

int thin_meta_highest_mapped(struct thin_meta *t, uint64_t dev, uint64_t *vblock)
{
	uint64_t root = 0;
	uint32_t stime;
	int r = dev_root(t, dev, &root, &stime);

	if (r == 0)
		r = btree_find_highest(&t->map_info, root, vblock);
	return r;
}

int thin_meta_lookup(struct thin_meta *t, uint64_t dev, uint64_t vblock, struct thin_mapping *m)
{
	return get_mapping(t, dev, vblock, NULL, m);
}

int thin_meta_next_mapping(struct thin_meta *t, uint64_t dev, uint64_t vblock, uint64_t *found,
			   struct thin_mapping *m)
{
	return get_mapping(t, dev, vblock, found, m);
}

int thin_meta_insert(struct thin_meta *t, uint64_t dev, uint64_t vblock, uint64_t data_block,
		     struct err *e)
{
	struct thin_dev_info d;
	uint64_t root = 0;
	uint8_t v[8];
	bool inserted;
	int r = thin_can_write(t, e);

	if (r == 0)
		r = thin_dev_lookup_err(t, dev, &d, e);
	if (r < 0)
		return r;
	if (data_block > THIN_MAX_DATA_BLOCK || data_block >= sm_nr_blocks(t->data_sm))
		return err_set(e, -ERANGE, "data block %" PRIu64 " is out of range", data_block);
	thin_touch(t);
	r = subtree_root_for_update(t, dev, &root);
	le64_put(v, data_block << 24 | t->sb.time);
	if (r == 0)
		r = btree_insert(&t->map_info, root, vblock, v, &root, &inserted);
	le64_put(v, root);
	if (r == 0)
		r = btree_insert(&t->top_set_info, t->sb.mapping_root, dev, v, &t->sb.mapping_root,
				 NULL);
	if (r == 0 && inserted) {
		d.mapped_blocks++;
		r = thin_put_details(t, &d);
	}
	return r < 0 ? thin_failed(t, e, r, "inserting a mapping") : 0;
}

int thin_meta_remove(struct thin_meta *t, uint64_t dev, uint64_t vblock, struct err *e)
{
	struct thin_dev_info d;
	uint64_t root = 0;
	uint8_t v[8];
	int r = thin_can_write(t, e);

	if (r == 0)
		r = thin_dev_lookup_err(t, dev, &d, e);
	if (r < 0)
		return r;
	r = subtree_root(t, dev, &root);
	if (r == 0)
		r = btree_lookup(&t->map_info, root, vblock, v);
	if (r == -ENODATA)
		return r;   /* nothing to change */
	thin_touch(t);
	if (r == 0)
		r = subtree_root_for_update(t, dev, &root);
	if (r == 0)
		r = btree_remove(&t->map_info, root, vblock, &root);
	le64_put(v, root);
	if (r == 0)
		r = btree_insert(&t->top_set_info, t->sb.mapping_root, dev, v, &t->sb.mapping_root,
				 NULL);
	if (r == 0) {
		d.mapped_blocks--;
		r = thin_put_details(t, &d);
	}
	return r < 0 ? thin_failed(t, e, r, "removing a mapping") : 0;
}

int thin_meta_remove_range(struct thin_meta *t, uint64_t dev, uint64_t begin, uint64_t end,
			   uint64_t *removed, struct err *e)
{
	struct thin_mapping m;
	uint64_t v = begin, n = 0;
	int r = thin_can_write(t, e);

	while (r == 0 && v < end) {
		r = thin_meta_next_mapping(t, dev, v, &v, &m);
		if (r == -ENODATA || (r == 0 && v >= end)) {
			r = 0;
			break;
		}
		if (r == -ENODEV)
			return err_set(e, r, "thin device %" PRIu64 " does not exist", dev);
		if (r < 0)
			return thin_failed(t, e, r, "discard");
		r = thin_meta_remove(t, dev, v, e);
		n++;
		v++;
	}
	if (removed)
		*removed = n;
	return r;
}

struct walk_ctx {
	thin_map_fn fn;
	void *opaque;
};

static int walk_one(void *opaque, uint64_t key, const uint8_t *value)
{
	struct walk_ctx *c = opaque;
	uint64_t bt = le64_get(value);

	return c->fn(c->opaque, key, bt >> 24, (uint32_t)(bt & THIN_MAX_TIME));
}

int thin_walk_subtree(struct thin_meta *t, uint64_t root, thin_map_fn fn, void *opaque)
{
	struct walk_ctx c = { fn, opaque };

	return btree_walk(&t->map_info, root, walk_one, &c);
}

int thin_meta_walk(struct thin_meta *t, uint64_t dev, thin_map_fn fn, void *opaque)
{
	uint64_t root = 0;
	int r = subtree_root(t, dev, &root);

	return r < 0 ? r : thin_walk_subtree(t, root, fn, opaque);
}
