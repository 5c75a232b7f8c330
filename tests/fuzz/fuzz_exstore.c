/* libFuzzer: the persistent exception store of a snapshot's COW device
 * (header at byte 0, metadata areas), as the snapshot target loads it.
 * Any input is decoded or refused; a header that decodes encodes back to
 * the same bytes; every exception an area walk accepts points at a data
 * chunk inside the device. */
#include <stdlib.h>
#include <string.h>

#include "targets/snapshot/exstore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct check {
	uint32_t chunk;
	uint64_t chunks;
};

static int one(void *opaque, uint64_t old_chunk, uint64_t new_chunk)
{
	const struct check *c = opaque;

	(void)old_chunk;
	if (!new_chunk || new_chunk >= c->chunks || snap_is_metadata(c->chunk, new_chunk))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snap_header h, h2;
	uint8_t buf[SNAP_HEADER_BYTES];
	const char *why = NULL;
	bool fresh;

	if (snap_header_decode(data, size, &h, &fresh, &why)) {
		if (!why)
			abort();
		return 0;
	}
	snap_header_encode(&h, buf);
	if (memcmp(buf, data, SNAP_HEADER_BYTES) || snap_header_decode(buf, sizeof(buf), &h2, &fresh, &why) ||
	    memcmp(&h, &h2, sizeof(h)))
		abort();
	if (fresh || h.chunk_size > 64) /* keep areas within small inputs */
		return 0;
	{
		struct check c = { h.chunk_size, size / ((size_t)h.chunk_size * 512) };
		size_t cb = (size_t)h.chunk_size * 512;

		for (uint64_t a = 0;; a++) {
			uint64_t at = snap_area_chunk(h.chunk_size, a) * cb;
			long n;

			if (at + cb > size)
				break;
			n = snap_area_walk(data + at, cb, h.chunk_size, c.chunks, one, &c, &why);
			if (n < 0 ? !why : (uint64_t)n > snap_per_area(h.chunk_size))
				abort();
			if (n < 0 || (uint64_t)n < snap_per_area(h.chunk_size))
				break;
		}
	}
	return 0;
}
