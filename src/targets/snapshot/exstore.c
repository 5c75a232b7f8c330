/* The persistent exception store's codec (exstore.h). */
#include <errno.h>

#include "common/le.h"
#include "targets/snapshot/exstore.h"

void snap_header_encode(const struct snap_header *h, uint8_t *buf)
{
	le32_put(buf, h->magic);
	le32_put(buf + 4, h->valid);
	le32_put(buf + 8, h->version);
	le32_put(buf + 12, h->chunk_size);
}

int snap_header_decode(const uint8_t *buf, size_t len, struct snap_header *h, bool *fresh, const char **why)
{
	if (len < SNAP_HEADER_BYTES) {
		*why = "COW device too small for the exception store header";
		return -EINVAL;
	}
	h->magic = le32_get(buf);
	h->valid = le32_get(buf + 4);
	h->version = le32_get(buf + 8);
	h->chunk_size = le32_get(buf + 12);
	*fresh = h->magic == 0;
	if (*fresh)
		return 0;
	if (h->magic != SNAP_MAGIC) {
		*why = "COW device holds no exception store (bad magic)";
		return -EINVAL;
	}
	if (h->version != SNAP_VERSION) {
		*why = "Unsupported exception store version";
		return -EINVAL;
	}
	if (h->chunk_size < 1 || h->chunk_size & (h->chunk_size - 1) || h->chunk_size > (1u << 21)) {
		*why = "Exception store header: chunk size is not a power of two of at most 1 GiB";
		return -EINVAL;
	}
	return 0;
}

void snap_exception_put(uint8_t *area, size_t i, uint64_t old_chunk, uint64_t new_chunk)
{
	le64_put(area + i * SNAP_EXCEPTION_BYTES, old_chunk);
	le64_put(area + i * SNAP_EXCEPTION_BYTES + 8, new_chunk);
}

long snap_area_walk(const uint8_t *area, size_t len, uint32_t chunk_sectors, uint64_t cow_chunks,
		    int (*fn)(void *opaque, uint64_t old_chunk, uint64_t new_chunk), void *opaque, const char **why)
{
	size_t n = len / SNAP_EXCEPTION_BYTES, i;

	for (i = 0; i < n; i++) {
		uint64_t o, c;
		int r;

		snap_exception_get(area, i, &o, &c);
		if (!c)
			break;
		if (c >= cow_chunks || snap_is_metadata(chunk_sectors, c) || o > (UINT64_MAX >> 9) / chunk_sectors) {
			*why = "Exception store: an exception points outside the COW device or at its metadata";
			return -EINVAL;
		}
		if (fn && (r = fn(opaque, o, c)))
			return r;
	}
	return (long)i;
}
