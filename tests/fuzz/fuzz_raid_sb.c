/* libFuzzer: the decoders of a raid metadata device (the dm-raid
 * superblock at byte 0, the write-intent bitmap superblock at 4096).  Any
 * input is decoded or refused; what decodes encodes back to bytes that
 * decode to the same fields. */
#include <stdlib.h>
#include <string.h>

#include "targets/raid/raid_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t buf[RAID_SB_BLOCK];
	struct raid_sb a, b;
	struct raid_bitmap_sb x, y;
	const char *why = NULL;

	if (!raid_sb_decode(data, size, &a, &why)) {
		raid_sb_encode(buf, &a);
		if (raid_sb_decode(buf, sizeof(buf), &b, &why) || memcmp(&a, &b, sizeof(a)))
			abort();
	}
	if (!raid_bitmap_sb_decode(data, size, &x, &why)) {
		raid_bitmap_sb_encode(buf, &x);
		if (raid_bitmap_sb_decode(buf, RAID_BITMAP_SB_SIZE, &y, &why) || memcmp(&x, &y, sizeof(x)))
			abort();
	}
	return 0;
}
