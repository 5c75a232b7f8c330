/* dm-writecache's on-disk format, SSD mode (drivers/md/dm-writecache.c:
 * struct wc_memory_superblock, struct wc_memory_entry, calculate_memory_size,
 * init_memory, writecache_resume), as bytes.
 *
 * The cache device from <start_sector> (512-byte sectors) on:
 *
 *   offset            size          what
 *   0                 4   le32      magic 0x23489321
 *   4                 4   le32      version 1
 *   8                 4   le32      block_size (bytes; 512..4096, a power of two)
 *   12                4   le32      pad (0)
 *   16                8   le64      n_blocks (cache blocks, one entry each)
 *   24                8   le64      seq_count (the commit sequence)
 *   32                32            zero (the superblock is padded to 64 bytes)
 *   64 + 16 i         8   le64      entry i: original_sector (origin, 512-byte sectors)
 *   72 + 16 i         8   le64      entry i: seq_count it was written under
 *   ...               to meta_bytes = round_up(64 + 16 n_blocks, block_size): zero
 *   meta_bytes + i*block_size       data of cache block i
 *
 * A free entry has seq_count -1 (a freshly formatted one has both fields
 * -1).  An entry is committed iff its seq_count < the superblock's: a
 * commit writes entries and data, flushes, then writes the superblock with
 * seq_count + 1 (FUA).  At activation uncommitted entries are cleared and,
 * of two committed entries for one original_sector, the higher seq_count
 * wins (wcf_replay).  n_blocks is the largest count whose metadata and data
 * fit the device (wcf_layout).
 *
 * All integers little-endian, through common/le.h; no struct is cast over
 * a buffer.
 */
#ifndef ULVM_TARGETS_WRITECACHE_FORMAT_H
#define ULVM_TARGETS_WRITECACHE_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WCF_MAGIC 0x23489321u
#define WCF_VERSION 1u
#define WCF_SB_SIZE 64u    /* sizeof(struct wc_memory_superblock) */
#define WCF_ENTRY_SIZE 16u /* sizeof(struct wc_memory_entry) */
#define WCF_NONE UINT64_MAX /* original_sector / seq_count of a free entry */
#define WCF_MIN_BLOCK 512u
#define WCF_MAX_BLOCK 4096u /* the kernel's PAGE_SIZE on x86 */
/* Our in-memory entries are indexed by uint32_t (the kernel's by 47 bits):
 * a cache of more blocks is refused. */
#define WCF_MAX_BLOCKS ((uint64_t)UINT32_MAX - 1)

struct wcf_sb {
	uint32_t magic, version, block_size;
	uint64_t n_blocks, seq_count;
};

/* Encode @sb into the first WCF_SB_SIZE bytes of @buf (pad and padding 0). */
void wcf_sb_encode(uint8_t *buf, const struct wcf_sb *sb);
void wcf_sb_decode(const uint8_t *buf, struct wcf_sb *sb);
/* The superblock's seq_count alone (a commit rewrites only it). */
void wcf_sb_set_seq(uint8_t *buf, uint64_t seq);
/* Is the superblock valid for a table of @block_size on an area of @area
 * bytes?  0 with *@meta_bytes (the metadata's size), or -EINVAL with *@why
 * (the kernel's ctr messages). */
int wcf_sb_check(const struct wcf_sb *sb, uint32_t block_size, uint64_t area, uint64_t *meta_bytes,
		 const char **why);

/* Bytes of metadata for @n_blocks: round_up(64 + 16 n, block_size); 0 on
 * overflow. */
uint64_t wcf_meta_bytes(uint64_t n_blocks, uint32_t block_size);
/* The kernel's calculate_memory_size: the most blocks that fit @area
 * bytes with their metadata.  0, -ENOSPC (not one block fits) or -EFBIG. */
int wcf_layout(uint64_t area, uint32_t block_size, uint64_t *n_blocks, uint64_t *meta_bytes);

/* Entry @i of the metadata area @meta (which starts with the superblock). */
void wcf_entry_encode(uint8_t *meta, uint64_t i, uint64_t sector, uint64_t seq);
void wcf_entry_decode(const uint8_t *meta, uint64_t i, uint64_t *sector, uint64_t *seq);
/* A fresh metadata area of @meta_bytes: magic 0 (written first, the
 * kernel's order), every entry -1. */
void wcf_format(uint8_t *meta, size_t meta_bytes, uint32_t block_size, uint64_t n_blocks);

/* What activation makes of each entry. */
enum wcf_verdict {
	WCF_FREE = 0, /* free on disk already (seq_count -1) */
	WCF_LIVE = 1, /* committed, the newest for its original_sector */
	WCF_DROP = 2, /* uncommitted, superseded, or not block-aligned: clear it */
};

struct wcf_replay {
	uint64_t live, uncommitted, superseded, unaligned;
	/* two committed entries with one original_sector and one seq_count
	 * (the kernel: "two identical entries"): the later position wins */
	uint64_t identical, ident_pos, ident_sector, ident_seq;
};

/* Decide every entry of @meta (n_blocks entries, superblock seq_count
 * @sb_seq) into @verdict (n_blocks bytes).  An original_sector that is not
 * a multiple of @block_size is dropped (the kernel never writes one).
 * 0 or -ENOMEM. */
int wcf_replay(const uint8_t *meta, uint64_t n_blocks, uint64_t sb_seq, uint32_t block_size, uint8_t *verdict,
	       struct wcf_replay *rep);

#endif
