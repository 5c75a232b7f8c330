/* pvck's look at a PV's raw headers and metadata areas (lvm2's
 * tools/pvck.c, its --dump modes and the plain check), line for line as
 * lvm2 prints them, so that scripts and people who know lvm2's output
 * read ours the same way.
 *
 * Nothing here trusts what it reads: the label sector is walked byte by
 * byte inside its 512 bytes (lvm2's own walk can run past them on a
 * damaged one), every offset and size from a header is checked against
 * the area before it is used, and the text search works on a buffer of
 * the whole metadata area (pvck_search_text: the part the fuzz target
 * drives, with pvck_label_decode).  Reads go through @read, so the same
 * code serves files, block devices and NBD exports.
 */
#ifndef ULVM_LVM_PVCK_H
#define ULVM_LVM_PVCK_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct pvck_io {
	int (*read)(void *ctx, void *buf, size_t len, uint64_t off); /* 0 or -errno */
	void *ctx;
	uint64_t dev_size; /* bytes, 0 when unknown */
	FILE *out;         /* lvm2's log_print lines ("  " before each) */
	FILE *err;         /* its log_error and log_warn lines */
};

/* --settings, as lvm2's pvck reads them. */
struct pvck_settings {
	bool metadata_offset_set, seqno_set, mda_offset_set, mda_size_set;
	uint64_t metadata_offset, mda_offset, mda_size;
	uint32_t seqno;
	unsigned mda_num; /* 0: not given */
};

/* What the label sector says. */
struct pvck_label {
	bool found;        /* id and type are right (lvm2's found_label) */
	unsigned mda_count;
	uint64_t mda_offset[2], mda_size[2];
};

/* "key=val key=val" into @s; -EINVAL with the message printed. */
int pvck_settings_parse(struct pvck_io *io, const char *str, struct pvck_settings *s);

/* Decode (and with @print, print) the label sector @sec read at
 * @labelsector; true when every check passed. */
bool pvck_label_decode(struct pvck_io *io, const uint8_t sec[512], uint64_t labelsector, bool print,
		       struct pvck_label *l);
/* Read and decode the label at @labelsector. */
bool pvck_label(struct pvck_io *io, uint64_t labelsector, bool print, struct pvck_label *l);

enum pvck_text { PVCK_TEXT_CHECK, PVCK_TEXT_CURRENT, PVCK_TEXT_ALL };
/* The mda header at @off (@size bytes of area): print its fields, check
 * it, and check (and print or write to @tofile) its current text, or
 * every copy found in the area.  *@checksum0: raw_locn[0].checksum;
 * *@found: its magic is right.  True when every check passed. */
bool pvck_mda(struct pvck_io *io, const struct pvck_settings *set, bool print, enum pvck_text text, FILE *tofile,
	      bool verbose, uint64_t off, uint64_t size, uint32_t *checksum0, bool *found);

/* lvm2's _dump_all_text: the copies of metadata text in @buf, a whole
 * metadata area of @size bytes read at @off (its first 512 bytes the mda
 * header), found at 512-byte boundaries by their first three lines
 * ("vgname {", "id = ", "seqno = "), printed with their place, length,
 * checksum and VG, and written to @tofile ("\n--\n" between them). */
void pvck_search_text(struct pvck_io *io, const struct pvck_settings *set, FILE *tofile, bool verbose,
		      uint64_t off, uint64_t size, const char *buf);

/* The dump modes and the plain check, as lvm2's pvck (its _dump_headers,
 * _dump_metadata, _dump_search, _dump_found); true when nothing was bad. */
bool pvck_dump_headers(struct pvck_io *io, const struct pvck_settings *set, uint64_t labelsector);
bool pvck_dump_metadata(struct pvck_io *io, const struct pvck_settings *set, uint64_t labelsector,
			enum pvck_text text, FILE *tofile, bool verbose);
bool pvck_dump_search(struct pvck_io *io, const struct pvck_settings *set, uint64_t labelsector, FILE *tofile,
		      bool verbose);
bool pvck_found(struct pvck_io *io, const struct pvck_settings *set, uint64_t labelsector, const char *name);

#endif
