/* The kernel's persistent exception store of dm-snapshot
 * (drivers/md/dm-snap-persistent.c), as bytes: no I/O here.
 *
 * Chunk 0 is the header; metadata area a is chunk 1 + (E + 1) * a, then E
 * data chunks, E = chunk bytes / 16.  An area is E pairs (le64 old_chunk
 * on the origin, le64 new_chunk on the COW device); the first pair with
 * new_chunk 0 ends it.  No checksums.
 */
#ifndef ULVM_TARGETS_SNAPSHOT_EXSTORE_H
#define ULVM_TARGETS_SNAPSHOT_EXSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SNAP_MAGIC 0x70416E53u /* "SnAp" */
#define SNAP_VERSION 1u
#define SNAP_HEADER_BYTES 16u
#define SNAP_EXCEPTION_BYTES 16u

struct snap_header {
	uint32_t magic, valid, version, chunk_size; /* chunk_size in sectors */
};

void snap_header_encode(const struct snap_header *h, uint8_t *buf);
/* 0: a header (*@fresh when the store was never formatted: magic 0);
 * -EINVAL with *@why when it is not one we can use. */
int snap_header_decode(const uint8_t *buf, size_t len, struct snap_header *h, bool *fresh, const char **why);

/* Exceptions per metadata area, and where area @a lies (in chunks). */
static inline uint64_t snap_per_area(uint32_t chunk_sectors)
{
	return (uint64_t)chunk_sectors * 512u / SNAP_EXCEPTION_BYTES;
}
static inline uint64_t snap_area_chunk(uint32_t chunk_sectors, uint64_t a)
{
	return 1 + (snap_per_area(chunk_sectors) + 1) * a;
}
/* Is COW chunk @c a metadata area (or the header)? */
static inline bool snap_is_metadata(uint32_t chunk_sectors, uint64_t c)
{
	return c == 0 || (c - 1) % (snap_per_area(chunk_sectors) + 1) == 0;
}

/* Entry @i of an area. */
static inline void snap_exception_get(const uint8_t *area, size_t i, uint64_t *old_chunk, uint64_t *new_chunk);
void snap_exception_put(uint8_t *area, size_t i, uint64_t old_chunk, uint64_t new_chunk);
/* Walk the entries of an area of @len bytes until the end marker: call
 * @fn for each; returns how many there were (== len / 16: full), or -EINVAL
 * (*@why) for an entry that cannot be (new_chunk a metadata chunk, past
 * @cow_chunks, or a chunk number that overflows). */
long snap_area_walk(const uint8_t *area, size_t len, uint32_t chunk_sectors, uint64_t cow_chunks,
		    int (*fn)(void *opaque, uint64_t old_chunk, uint64_t new_chunk), void *opaque, const char **why);

#include "common/le.h"

static inline void snap_exception_get(const uint8_t *area, size_t i, uint64_t *old_chunk, uint64_t *new_chunk)
{
	*old_chunk = le64_get(area + i * SNAP_EXCEPTION_BYTES);
	*new_chunk = le64_get(area + i * SNAP_EXCEPTION_BYTES + 8);
}

#endif
