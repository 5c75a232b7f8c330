/* libFuzzer: pvck's decoders (src/lvm/pvck.c) on a device image: the
 * label sector walked inside its 512 bytes, the mda headers, the current
 * text, and the search for copies of metadata text in the area (with its
 * wrap to the start).  Whatever the bytes, every mode prints its lines
 * and returns; nothing reads outside the image or allocates more than it
 * holds. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lvm/pvck.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct image {
	const uint8_t *p;
	size_t n;
};

static int image_read(void *ctx, void *buf, size_t len, uint64_t off)
{
	const struct image *im = ctx;

	if (off > im->n || len > im->n - off)
		return -5;
	memcpy(buf, im->p + off, len);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE *null;
	struct image im = { data, size };
	struct pvck_io io = { .read = image_read, .ctx = &im, .dev_size = size };
	struct pvck_settings set = { 0 }, two = { .mda_num = 2 };

	if (!null && !(null = fopen("/dev/null", "w")))
		return 0;
	io.out = io.err = null;
	pvck_found(&io, &set, 1, "image");
	pvck_dump_headers(&io, &set, 1);
	pvck_dump_metadata(&io, &set, 1, PVCK_TEXT_CURRENT, null, true);
	pvck_dump_metadata(&io, &set, 1, PVCK_TEXT_ALL, null, true);
	pvck_dump_metadata(&io, &two, 1, PVCK_TEXT_ALL, NULL, false);
	pvck_dump_search(&io, &set, 1, null, true);
	/* the search alone over the whole image as one area */
	if (size >= 512)
		pvck_search_text(&io, &set, null, false, 0, size, (const char *)data);
	return 0;
}
