/* Block cache: a hash of block number -> struct bm_block, and an LRU list
 * of the blocks nobody holds.  See block_manager.h for the rules.
 *
 * Blocks and their 4 KiB buffers come from chunks of BM_CHUNK_BLOCKS and
 * go back to a free list when evicted, never to malloc: one aligned
 * malloc per block doubled the heap it took (4 KiB alignment), and the
 * NBD workers that miss would each grow their own glibc arena with
 * blocks that are later evicted, so the process grew to several times
 * the cache bound.  Chunks live until the cache is destroyed, so memory
 * is bounded by the most blocks ever cached at once (the bound, unless
 * everything is held). */
#include "pdata/block_manager.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/crc32c.h"
#include "common/le.h"
#include "common/mem.h"

struct bm_block {
	struct bm *bm;
	uint64_t nr;
	struct bm_block *hnext;
	struct bm_block *prev, *next;     /* LRU, only while holders == 0 */
	const struct bm_validator *v;     /* validated as / written as */
	unsigned holders;
	bool write_locked;
	bool dirty;
	uint8_t *data;
};

#define BM_CHUNK_BLOCKS 256 /* 1 MiB of buffers */

struct bm_chunk {
	struct bm_chunk *next;
	struct bm_block *blocks;
	uint8_t *data;
};

struct bm {
	struct dev *dev;
	struct bm_chunk *chunks;
	struct bm_block *free;            /* linked through hnext */
	uint64_t nr_allocated;            /* blocks in chunks */
	uint64_t nr_blocks;
	uint64_t max_cached;
	uint64_t nr_cached;
	struct bm_block **hash;
	uint64_t hash_mask;
	struct bm_block lru;              /* list head; lru.next is the oldest */
	struct err err;
};

uint32_t bm_checksum(const uint8_t *data, uint32_t salt)
{
	return crc32c(~0u, data + 4, BM_BLOCK_SIZE - 4) ^ salt;
}

void bm_prepare_std(const struct bm_validator *v, uint8_t *data, uint64_t nr)
{
	le64_put(data + 8, nr);
	le32_put(data, bm_checksum(data, v->salt));
}

int bm_check_std(const struct bm_validator *v, const uint8_t *data, uint64_t nr, struct err *e)
{
	uint64_t where = le64_get(data + 8);
	uint32_t sum = bm_checksum(data, v->salt);

	if (where != nr)
		return err_set(e, -ENOTBLK, "%s block %" PRIu64 ": blocknr field says %" PRIu64,
			       v->name, nr, where);
	if (le32_get(data) != sum)
		return err_set(e, -EILSEQ, "%s block %" PRIu64 ": checksum %08x, expected %08x",
			       v->name, nr, le32_get(data), sum);
	return 0;
}

int bm_create(struct dev *dev, uint64_t cache_bytes, struct bm **out)
{
	struct bm *bm = calloc(1, sizeof(*bm));
	uint64_t hsize = 64;

	if (!bm)
		return -ENOMEM;
	if (!cache_bytes)
		cache_bytes = BM_DEFAULT_CACHE_BYTES;
	/* The bound covers each block's buffer, header and hash slots. */
	bm->max_cached = cache_bytes / (BM_BLOCK_SIZE + sizeof(struct bm_block) + 2 * sizeof(void *));
	if (bm->max_cached < 64)
		bm->max_cached = 64;
	while (hsize < bm->max_cached)
		hsize <<= 1;
	bm->hash = calloc(hsize, sizeof(*bm->hash));
	if (!bm->hash) {
		free(bm);
		return -ENOMEM;
	}
	bm->hash_mask = hsize - 1;
	bm->lru.next = bm->lru.prev = &bm->lru;
	bm->dev = dev_get(dev);
	bm->nr_blocks = dev->size / BM_BLOCK_SIZE;
	*out = bm;
	return 0;
}

static uint64_t hash_of(const struct bm *bm, uint64_t nr)
{
	return (nr * 0x9E3779B97F4A7C15ull >> 20) & bm->hash_mask;
}

static void lru_del(struct bm_block *b)
{
	b->prev->next = b->next;
	b->next->prev = b->prev;
	b->prev = b->next = NULL;
}

static void lru_add_tail(struct bm *bm, struct bm_block *b)
{
	b->prev = bm->lru.prev;
	b->next = &bm->lru;
	bm->lru.prev->next = b;
	bm->lru.prev = b;
}

static void hash_del(struct bm *bm, struct bm_block *b)
{
	struct bm_block **pp = &bm->hash[hash_of(bm, b->nr)];

	while (*pp != b)
		pp = &(*pp)->hnext;
	*pp = b->hnext;
}

/* A block from the free list, zeroed but for its buffer (not cleared). */
static struct bm_block *alloc_block(struct bm *bm)
{
	struct bm_block *b;
	uint8_t *data;

	if (!bm->free) {
		/* Up to the bound; past it (everything held) a few at a time. */
		uint64_t room = bm->max_cached > bm->nr_allocated ? bm->max_cached - bm->nr_allocated : 16;
		unsigned n = room < BM_CHUNK_BLOCKS ? (unsigned)room : BM_CHUNK_BLOCKS;
		struct bm_chunk *c = calloc(1, sizeof(*c));

		if (!c)
			return NULL;
		c->blocks = calloc(n, sizeof(*c->blocks));
		c->data = aligned_alloc(BM_BLOCK_SIZE, (size_t)n * BM_BLOCK_SIZE);
		if (!c->blocks || !c->data) {
			free(c->blocks);
			free(c->data);
			free(c);
			return NULL;
		}
		bm->nr_allocated += n;
		for (unsigned i = 0; i < n; i++) {
			c->blocks[i].data = c->data + (size_t)i * BM_BLOCK_SIZE;
			c->blocks[i].hnext = bm->free;
			bm->free = &c->blocks[i];
		}
		c->next = bm->chunks;
		bm->chunks = c;
	}
	b = bm->free;
	bm->free = b->hnext;
	data = b->data;
	memset(b, 0, sizeof(*b));
	b->data = data;
	return b;
}

static void free_block(struct bm *bm, struct bm_block *b)
{
	hash_del(bm, b);
	bm->nr_cached--;
	b->hnext = bm->free;
	bm->free = b;
}

static int write_block(struct bm_block *b, unsigned flags)
{
	struct bm *bm = b->bm;
	int r;

	if (b->v)
		b->v->prepare(b->v, b->data, b->nr);
	r = dev_write(bm->dev, b->data, BM_BLOCK_SIZE, b->nr << BM_BLOCK_SHIFT, flags);
	if (r < 0)
		return err_set(&bm->err, r, "writing metadata block %" PRIu64, b->nr);
	b->dirty = false;
	return 0;
}

/* Make room for one more block: evict the oldest unheld block. */
static int evict_one(struct bm *bm)
{
	struct bm_block *b = bm->lru.next;
	int r;

	if (b == &bm->lru)
		return 0;   /* everything is held: grow past the bound for now */
	if (b->dirty) {
		r = write_block(b, 0);
		if (r < 0)
			return r;
	}
	lru_del(b);
	free_block(bm, b);
	return 0;
}

static struct bm_block *lookup(struct bm *bm, uint64_t nr)
{
	for (struct bm_block *b = bm->hash[hash_of(bm, nr)]; b; b = b->hnext)
		if (b->nr == nr)
			return b;
	return NULL;
}

/* Find or load @nr, taking a hold.  @zero: do not read, start zeroed. */
static int get_block(struct bm *bm, uint64_t nr, const struct bm_validator *v, bool zero,
		     struct bm_block **out)
{
	struct bm_block *b;
	int r;

	err_clear(&bm->err);
	if (nr >= bm->nr_blocks)
		return err_set(&bm->err, -ENOSPC, "metadata block %" PRIu64
			       " is past the end of the device (%" PRIu64 " blocks)",
			       nr, bm->nr_blocks);
	b = lookup(bm, nr);
	if (b) {
		if (zero) {
			memset(b->data, 0, BM_BLOCK_SIZE);
			b->v = v;
		} else if (b->v != v) {
			if (b->v && v)
				return err_set(&bm->err, -EINVAL, "metadata block %" PRIu64
					       " is a %s block, not a %s block", nr, b->v->name,
					       v->name);
			if (v) {
				r = v->check(v, b->data, nr, &bm->err);
				if (r < 0)
					return r;
				b->v = v;
			}
		}
		if (!b->holders)
			lru_del(b);
		b->holders++;
		*out = b;
		return 0;
	}

	while (bm->nr_cached >= bm->max_cached && bm->lru.next != &bm->lru) {
		r = evict_one(bm);
		if (r < 0)
			return r;
	}
	b = alloc_block(bm);
	if (!b)
		return -ENOMEM;
	b->bm = bm;
	b->nr = nr;
	if (zero) {
		memset(b->data, 0, BM_BLOCK_SIZE);
	} else {
		r = dev_read(bm->dev, b->data, BM_BLOCK_SIZE, nr << BM_BLOCK_SHIFT);
		if (r < 0)
			r = err_set(&bm->err, r, "reading metadata block %" PRIu64, nr);
		else if (v)
			r = v->check(v, b->data, nr, &bm->err);
		if (r < 0) {
			b->hnext = bm->free;
			bm->free = b;
			return r;
		}
	}
	b->v = v;
	b->holders = 1;
	b->hnext = bm->hash[hash_of(bm, nr)];
	bm->hash[hash_of(bm, nr)] = b;
	bm->nr_cached++;
	*out = b;
	return 0;
}

int bm_read_lock(struct bm *bm, uint64_t nr, const struct bm_validator *v, struct bm_block **out)
{
	int r = get_block(bm, nr, v, false, out);

	if (r == 0 && (*out)->write_locked) {
		bm_unlock(*out);
		return err_set(&bm->err, -EBUSY, "metadata block %" PRIu64 " is write locked", nr);
	}
	return r;
}

static int write_lock(struct bm *bm, uint64_t nr, const struct bm_validator *v, bool zero,
		      struct bm_block **out)
{
	int r = get_block(bm, nr, v, zero, out);

	if (r < 0)
		return r;
	if ((*out)->holders > 1) {
		/* Only the single writer takes write locks, and it never holds
		 * a block twice: a second holder is a caller bug. */
		bm_unlock(*out);
		return err_set(&bm->err, -EBUSY, "metadata block %" PRIu64 " is locked", nr);
	}
	(*out)->write_locked = true;
	(*out)->dirty = true;
	return 0;
}

int bm_write_lock(struct bm *bm, uint64_t nr, const struct bm_validator *v, struct bm_block **out)
{
	return write_lock(bm, nr, v, false, out);
}

int bm_write_lock_zero(struct bm *bm, uint64_t nr, const struct bm_validator *v,
		       struct bm_block **out)
{
	return write_lock(bm, nr, v, true, out);
}

void bm_unlock(struct bm_block *b)
{
	struct bm *bm = b->bm;

	b->write_locked = false;
	if (--b->holders == 0)
		lru_add_tail(bm, b);
}

uint8_t *bm_block_data(struct bm_block *b)
{
	return b->data;
}

uint64_t bm_block_nr(const struct bm_block *b)
{
	return b->nr;
}

bool bm_dev_block_zero(struct dev *dev, uint64_t nr)
{
	uint8_t *raw = malloc(BM_BLOCK_SIZE);
	bool zero = raw && dev_read(dev, raw, BM_BLOCK_SIZE, nr * BM_BLOCK_SIZE) == 0 &&
		    mem_is_zero(raw, BM_BLOCK_SIZE);

	free(raw);
	return zero;
}

uint64_t bm_nr_blocks(const struct bm *bm)
{
	return bm->nr_blocks;
}

void bm_update_size(struct bm *bm)
{
	bm->nr_blocks = bm->dev->size / BM_BLOCK_SIZE;
}

struct dev *bm_dev(const struct bm *bm)
{
	return bm->dev;
}

const char *bm_last_error(const struct bm *bm)
{
	return bm->err.msg;
}

uint64_t bm_cached_blocks(const struct bm *bm)
{
	return bm->nr_cached;
}

int bm_write_now(struct bm_block *b, unsigned flags)
{
	return write_block(b, flags);
}

static int by_nr(const void *a, const void *b)
{
	const struct bm_block *x = *(struct bm_block *const *)a, *y = *(struct bm_block *const *)b;

	return x->nr < y->nr ? -1 : x->nr > y->nr;
}

int bm_flush(struct bm *bm)
{
	struct bm_block **dirty = NULL;
	size_t n = 0, cap = 0;
	int r = 0;

	/* In block order, so a file or disk sees mostly sequential writes. */
	for (uint64_t h = 0; h <= bm->hash_mask; h++)
		for (struct bm_block *b = bm->hash[h]; b; b = b->hnext) {
			if (!b->dirty)
				continue;
			if (n == cap) {
				struct bm_block **p;

				cap = cap ? cap * 2 : 256;
				p = realloc(dirty, cap * sizeof(*p));
				if (!p) {
					free(dirty);
					return -ENOMEM;
				}
				dirty = p;
			}
			dirty[n++] = b;
		}
	if (n)
		qsort(dirty, n, sizeof(*dirty), by_nr);
	for (size_t i = 0; i < n && r == 0; i++)
		r = write_block(dirty[i], 0);
	free(dirty);
	if (r < 0)
		return r;
	r = dev_flush(bm->dev);
	if (r < 0)
		return err_set(&bm->err, r, "flushing the metadata device");
	return 0;
}

void bm_drop_all(struct bm *bm)
{
	for (uint64_t h = 0; h <= bm->hash_mask; h++) {
		struct bm_block *b = bm->hash[h];

		while (b) {
			struct bm_block *next = b->hnext;

			if (!b->holders) {
				lru_del(b);
				free_block(bm, b);
			}
			b = next;
		}
	}
}

void bm_destroy(struct bm *bm)
{
	if (!bm)
		return;
	while (bm->chunks) {
		struct bm_chunk *c = bm->chunks;

		bm->chunks = c->next;
		free(c->blocks);
		free(c->data);
		free(c);
	}
	free(bm->hash);
	dev_put(bm->dev);
	free(bm);
}
