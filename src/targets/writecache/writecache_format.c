/* dm-writecache's superblock and entries as bytes (writecache_format.h). */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/le.h"
#include "common/mem.h"
#include "targets/writecache/writecache_format.h"

static_assert(WCF_SB_SIZE == 8 * sizeof(uint64_t), "the superblock is the kernel's padding[8]");
static_assert(WCF_ENTRY_SIZE == 2 * sizeof(uint64_t), "an entry is two le64");
static_assert(WCF_SB_SIZE % WCF_ENTRY_SIZE == 0, "entries follow the superblock aligned");

void wcf_sb_encode(uint8_t *buf, const struct wcf_sb *sb)
{
	memset(buf, 0, WCF_SB_SIZE);
	le32_put(buf, sb->magic);
	le32_put(buf + 4, sb->version);
	le32_put(buf + 8, sb->block_size);
	le64_put(buf + 16, sb->n_blocks);
	le64_put(buf + 24, sb->seq_count);
}

void wcf_sb_decode(const uint8_t *buf, struct wcf_sb *sb)
{
	sb->magic = le32_get(buf);
	sb->version = le32_get(buf + 4);
	sb->block_size = le32_get(buf + 8);
	sb->n_blocks = le64_get(buf + 16);
	sb->seq_count = le64_get(buf + 24);
}

void wcf_sb_set_seq(uint8_t *buf, uint64_t seq)
{
	le64_put(buf + 24, seq);
}

uint64_t wcf_meta_bytes(uint64_t n_blocks, uint32_t block_size)
{
	uint64_t off;

	if (n_blocks > (UINT64_MAX - WCF_SB_SIZE - WCF_MAX_BLOCK) / WCF_ENTRY_SIZE)
		return 0;
	off = WCF_SB_SIZE + n_blocks * WCF_ENTRY_SIZE;
	return (off + block_size - 1) & ~(uint64_t)(block_size - 1);
}

int wcf_sb_check(const struct wcf_sb *sb, uint32_t block_size, uint64_t area, uint64_t *meta_bytes,
		 const char **why)
{
	uint64_t off, data;

	if (sb->magic != WCF_MAGIC) {
		*why = "Invalid magic in the superblock";
		return -EINVAL;
	}
	if (sb->version != WCF_VERSION) {
		*why = "Invalid version in the superblock";
		return -EINVAL;
	}
	if (sb->block_size != block_size) {
		*why = "Block size does not match superblock";
		return -EINVAL;
	}
	off = wcf_meta_bytes(sb->n_blocks, block_size);
	data = sb->n_blocks * block_size;
	if (!off || (sb->n_blocks && data / block_size != sb->n_blocks) || off + data < off) {
		*why = "Overflow in size calculation";
		return -EINVAL;
	}
	if (off + data > area) {
		*why = "Memory area is too small";
		return -EINVAL;
	}
	*meta_bytes = off;
	return 0;
}

int wcf_layout(uint64_t area, uint32_t block_size, uint64_t *n_blocks, uint64_t *meta_bytes)
{
	uint64_t n = area / (block_size + WCF_ENTRY_SIZE), off = 0;

	for (;;) {
		if (!n)
			return -ENOSPC;
		if (!(off = wcf_meta_bytes(n, block_size)))
			return -EFBIG;
		if (off + n * block_size <= area)
			break;
		n--;
	}
	*n_blocks = n;
	*meta_bytes = off;
	return 0;
}

void wcf_entry_encode(uint8_t *meta, uint64_t i, uint64_t sector, uint64_t seq)
{
	uint8_t *p = meta + WCF_SB_SIZE + i * WCF_ENTRY_SIZE;

	le64_put(p, sector);
	le64_put(p + 8, seq);
}

void wcf_entry_decode(const uint8_t *meta, uint64_t i, uint64_t *sector, uint64_t *seq)
{
	const uint8_t *p = meta + WCF_SB_SIZE + i * WCF_ENTRY_SIZE;

	*sector = le64_get(p);
	*seq = le64_get(p + 8);
}

void wcf_format(uint8_t *meta, size_t meta_bytes, uint32_t block_size, uint64_t n_blocks)
{
	struct wcf_sb sb = { 0, WCF_VERSION, block_size, n_blocks, 0 };

	memset(meta, 0, meta_bytes);
	wcf_sb_encode(meta, &sb);
	for (uint64_t i = 0; i < n_blocks; i++)
		wcf_entry_encode(meta, i, WCF_NONE, WCF_NONE);
}

/* original_sector -> the position of its winner so far (+1; 0: empty),
 * open addressing over a power-of-two table at least twice n. */
struct slots {
	uint32_t *s;
	uint64_t mask;
};

static uint32_t *slot_of(struct slots *t, const uint8_t *meta, uint64_t sector)
{
	uint64_t h = (sector * UINT64_C(0x9E3779B97F4A7C15)) >> 17;

	for (;; h++) {
		uint32_t *p = &t->s[h & t->mask];
		uint64_t s, q;

		if (!*p)
			return p;
		wcf_entry_decode(meta, *p - 1, &s, &q);
		if (s == sector)
			return p;
	}
}

int wcf_replay(const uint8_t *meta, uint64_t n_blocks, uint64_t sb_seq, uint32_t block_size, uint8_t *verdict,
	       struct wcf_replay *rep)
{
	uint64_t spb = block_size >> 9, cap = 16;
	struct slots t;

	memset(rep, 0, sizeof(*rep));
	if (n_blocks > WCF_MAX_BLOCKS)
		return -EFBIG;
	while (cap < 2 * n_blocks)
		cap <<= 1;
	if (!(t.s = calloc(cap, sizeof(*t.s))))
		return -ENOMEM;
	t.mask = cap - 1;
	for (uint64_t b = 0; b < n_blocks; b++) {
		uint64_t sector, seq, os, oseq;
		uint32_t *p;

		wcf_entry_decode(meta, b, &sector, &seq);
		if (seq >= sb_seq) { /* never committed (or free) */
			verdict[b] = seq == WCF_NONE ? WCF_FREE : WCF_DROP;
			rep->uncommitted += seq != WCF_NONE;
			continue;
		}
		if (sector % spb) {
			verdict[b] = WCF_DROP;
			rep->unaligned++;
			continue;
		}
		p = slot_of(&t, meta, sector);
		if (!*p) {
			*p = (uint32_t)b + 1;
			verdict[b] = WCF_LIVE;
			rep->live++;
			continue;
		}
		wcf_entry_decode(meta, *p - 1, &os, &oseq);
		if (oseq == seq && !rep->identical++) {
			rep->ident_pos = b;
			rep->ident_sector = sector;
			rep->ident_seq = seq;
		}
		rep->superseded++;
		if (oseq > seq) {
			verdict[b] = WCF_DROP;
		} else { /* the later one wins, as the kernel frees the old */
			verdict[*p - 1] = WCF_DROP;
			verdict[b] = WCF_LIVE;
			*p = (uint32_t)b + 1;
		}
	}
	free(t.s);
	return 0;
}
