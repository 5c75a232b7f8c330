/* libFuzzer: a mirror's disk log (header in sector 0, clean bits from
 * byte 1024), as the mirror target reads it at resume.  Any input is
 * decoded or refused with a reason; a log that decodes encodes back to
 * the same bits, and no bit past the mirror's regions is ever set. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "targets/mirror/log_disk.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t nregions = size > 16 ? data[size - 1] * 37u + 1 : 40;
	size_t words = (size_t)((nregions + 31) / 32);
	uint32_t bits[512], again[512]; /* 255 * 37 + 1 regions at most */
	uint8_t *buf;
	const char *why = NULL;
	int r;

	r = mlog_decode(data, size, nregions, bits, words, &why);
	if (r == -ENODATA)
		return 0;
	if (r) {
		if (!why)
			abort();
		return 0;
	}
	for (uint64_t i = nregions; i < (uint64_t)words * 32; i++)
		if (bits[i / 32] >> (i % 32) & 1)
			abort();
	if (!(buf = malloc(mlog_size(nregions))))
		return 0;
	mlog_encode(buf, nregions, bits);
	if (mlog_decode(buf, mlog_size(nregions), nregions, again, words, &why) || memcmp(bits, again, words * 4))
		abort();
	free(buf);
	return 0;
}
