/* libFuzzer: what `ulvm vinum start` reads from a drive, the 512-byte
 * header at 4096 and the configuration text at 4608.  The first 512 bytes
 * of the input are a header: decoded or refused with a reason; a header
 * that decodes encodes back to the same fields.  The rest is a drive's
 * configuration: parsed as start parses it (newest copy first) or refused
 * naming the line; a configuration that parses and checks formats back to
 * a text that parses to the same objects. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vinum/vinum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void same_objects(const struct vn_conf *a, const struct vn_conf *b)
{
	if (a->nvol != b->nvol || a->nplex != b->nplex || a->nsd != b->nsd)
		abort();
	for (unsigned i = 0; i < a->nsd; i++) {
		const struct vn_sd *x = &a->sd[i], *y = vn_find_sd(b, x->name);

		if (!y || y->len != x->len || y->driveoffset != x->driveoffset || y->plexoffset != x->plexoffset ||
		    strcmp(y->plex, x->plex) || strcmp(y->drive, x->drive) || strcmp(y->state, x->state))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vn_header h, h2;
	struct vn_conf c = { 0 }, c2 = { 0 };
	struct err e = { { 0 } };
	uint8_t hdr[VN_HDR_LEN], out[VN_HDR_LEN];
	char *text, *again = NULL;
	int r;

	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, data, size < sizeof(hdr) ? size : sizeof(hdr));
	r = vn_header_decode(hdr, &h, &e);
	if (r && r != -ENOENT && !e.msg[0])
		abort();
	if (!r) {
		vn_header_encode(&h, out);
		if (vn_header_decode(out, &h2, &e) || h.magic != h2.magic || h.config_length != h2.config_length ||
		    strcmp(h.sysname, h2.sysname) || strcmp(h.name, h2.name) || h.born_sec != h2.born_sec ||
		    h.born_usec != h2.born_usec || h.upd_sec != h2.upd_sec || h.upd_usec != h2.upd_usec ||
		    h.drive_size != h2.drive_size)
			abort();
	}
	if (size <= sizeof(hdr))
		return 0;
	if (!(text = strndup((const char *)data + sizeof(hdr), size - sizeof(hdr))))
		return 0;
	err_clear(&e);
	r = vn_parse(&c, text, true, "fuzz", NULL, &e);
	if (r && !e.msg[0])
		abort();
	if (!r && !vn_check(&c, &e) && !vn_format_config(&c, &again, &e)) {
		if (vn_parse(&c2, again, true, "again", NULL, &e))
			abort();
		same_objects(&c, &c2);
	}
	free(again);
	free(text);
	vn_conf_free(&c);
	vn_conf_free(&c2);
	return 0;
}
