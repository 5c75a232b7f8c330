/* libFuzzer: the dmsetup table parser and layout checks.  Any input must be
 * parsed or refused with a message, never crash or leak. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dm/table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dm_table_spec *spec;
	struct err e = { { 0 } };
	char *text = malloc(size + 1);

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (!dm_table_parse(text, &spec, &e)) {
		uint64_t next = 0;
		/* What the parser accepts is laid out without gaps. */
		for (unsigned i = 0; i < spec->nlines; i++) {
			if (spec->lines[i].start != next || !spec->lines[i].len)
				abort();
			next += spec->lines[i].len;
		}
		dm_table_spec_free(spec);
	} else if (!e.msg[0]) {
		abort(); /* every refusal says why */
	}
	free(text);
	return 0;
}
