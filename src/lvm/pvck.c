/* pvck's dumps and checks (see pvck.h): lvm2's tools/pvck.c output, over
 * bounded little-endian decodes of the label sector and mda headers. */
#include "lvm/pvck.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/le.h"
#include "lvm/config.h"
#include "lvm/crc.h"
#include "lvm/id.h"
#include "lvm/label.h"
#include "lvm/mda.h"
#include "lvm/vgtext.h"

#define ONE_MB 1048576ull

static void __attribute__((format(printf, 2, 3))) say(struct pvck_io *io, const char *fmt, ...)
{
	va_list ap;

	fputs("  ", io->out);
	va_start(ap, fmt);
	vfprintf(io->out, fmt, ap);
	va_end(ap);
	fputc('\n', io->out);
}

static void __attribute__((format(printf, 2, 3))) complain(struct pvck_io *io, const char *fmt, ...)
{
	va_list ap;

	fflush(io->out);
	fputs("  ", io->err);
	va_start(ap, fmt);
	vfprintf(io->err, fmt, ap);
	va_end(ap);
	fputc('\n', io->err);
}

/* [off, off+len) lies on the device (when its size is known): a header's
 * sizes are checked before anything that large is allocated. */
static bool fits(const struct pvck_io *io, uint64_t off, uint64_t len)
{
	return len <= (1ull << 30) && (!io->dev_size || (off <= io->dev_size && len <= io->dev_size - off));
}

/* lvm2's _chars_to_str: printable characters, '?' for the others. */
static const char *chars(const uint8_t *in, unsigned n, char *out)
{
	for (unsigned i = 0; i < n; i++)
		out[i] = isprint(in[i]) ? (char)in[i] : '?';
	out[n] = 0;
	return out;
}

/* lvm2's _chars_to_hexstr: each byte in %x, no padding. */
static const char *hexchars(const uint8_t *in, unsigned n, char *out)
{
	size_t o = 0;

	for (unsigned i = 0; i < n; i++)
		o += (size_t)sprintf(out + o, "%x", in[i]);
	return out;
}

int pvck_settings_parse(struct pvck_io *io, const char *str, struct pvck_settings *s)
{
	size_t pos = 0, n = strlen(str);

	while (pos < n) {
		char key[64] = "", val[64] = "";
		int used = 0;

		if (sscanf(str + pos, " %63[^=]=%63s %n", key, val, &used) != 2) {
			complain(io, "Invalid setting at: %s", str + pos);
			return -EINVAL;
		}
		pos += (size_t)used;
		/* lvm2 compares prefixes (strncmp with the key's length) */
		if (!strncmp(key, "metadata_offset", 15) && sscanf(val, "%" SCNu64, &s->metadata_offset) == 1)
			s->metadata_offset_set = true;
		else if (!strncmp(key, "seqno", 5) && sscanf(val, "%" SCNu32, &s->seqno) == 1)
			s->seqno_set = true;
		else if (!strncmp(key, "mda_offset", 10) && sscanf(val, "%" SCNu64, &s->mda_offset) == 1)
			s->mda_offset_set = true;
		else if (!strncmp(key, "mda_size", 8) && sscanf(val, "%" SCNu64, &s->mda_size) == 1)
			s->mda_size_set = true;
		else if (!strncmp(key, "mda_num", 7) && sscanf(val, "%u", &s->mda_num) == 1 && s->mda_num <= 2)
			;
		else {
			complain(io, "Invalid setting: %s", key);
			return -EINVAL;
		}
	}
	return 0;
}

/* A disk_locn list from @at (bytes into the sector), printed with @what,
 * up to and with its all-zero end; the offset after it, or 0 when the
 * list runs off the sector. */
static unsigned locn_list(struct pvck_io *io, const uint8_t *sec, uint64_t base, unsigned at, const char *prefix,
			  const char *what, bool print, struct pvck_label *l, bool mdas, unsigned *index, bool *bad)
{
	/* lvm2 numbers the pv_header's two lists as one */
	for (unsigned di = *index;; di++, at += DISK_LOCN_SIZE) {
		*index = di + 1;
		uint64_t off, size;

		if (at + DISK_LOCN_SIZE > LABEL_SIZE) {
			say(io, "CHECK: %s.disk_locn[%u] runs past the label sector", prefix, di);
			*bad = true;
			return 0;
		}
		off = le64_get(sec + at);
		size = le64_get(sec + at + 8);
		if (print) {
			say(io, "%s.disk_locn[%u] at %" PRIu64 " # %s", prefix, di, base + at,
			    off ? what : "location list end");
			say(io, "%s.disk_locn[%u].offset %" PRIu64, prefix, di, off);
			say(io, "%s.disk_locn[%u].size %" PRIu64, prefix, di, size);
		}
		if (!off)
			return at + DISK_LOCN_SIZE;
		if (mdas) {
			if (l->mda_count < 2) {
				l->mda_offset[l->mda_count] = off;
				l->mda_size[l->mda_count] = size;
			}
			if (!l->mda_count && off != 4096 && off != 8192 && off != 65536)
				say(io, "WARNING: pv_header.disk_locn[%u].offset %" PRIu64 " is unexpected # for first mda",
				    di, off);
			l->mda_count++;
		}
	}
}

bool pvck_label_decode(struct pvck_io *io, const uint8_t sec[512], uint64_t labelsector, bool print,
		       struct pvck_label *l)
{
	uint64_t base = labelsector * 512;
	char str[64];
	bool bad = false, good_id, good_type;
	unsigned at, pvh = 32, di = 0;
	uint32_t crc;

	memset(l, 0, sizeof(*l));
	if (print) {
		say(io, "label_header at %" PRIu64, base);
		say(io, "label_header.id %s", chars(sec, 8, str));
		say(io, "label_header.sector %" PRIu64, le64_get(sec + 8));
		say(io, "label_header.crc 0x%x", le32_get(sec + 16));
		say(io, "label_header.offset %u", le32_get(sec + 20));
		say(io, "label_header.type %s", chars(sec + 24, 8, str));
	}
	if (!(good_id = !memcmp(sec, LABEL_ID, 8))) {
		say(io, "CHECK: label_header.id expected %s", LABEL_ID);
		bad = true;
	}
	if (le64_get(sec + 8) != labelsector) {
		say(io, "CHECK: label_header.sector expected %d", (int)labelsector);
		bad = true;
	}
	if ((crc = lvm_crc(LVM_INITIAL_CRC, sec + 20, LABEL_SIZE - 20)) != le32_get(sec + 16)) {
		say(io, "CHECK: label_header.crc expected 0x%x", crc);
		bad = true;
	}
	if (le32_get(sec + 20) != 32) {
		say(io, "CHECK: label_header.offset expected 32");
		bad = true;
	}
	if (!(good_type = !memcmp(sec + 24, LABEL_TYPE, 8))) {
		say(io, "CHECK: label_header.type expected %s", LABEL_TYPE);
		bad = true;
	}
	l->found = good_id && good_type;
	/* the pv_header right after the label_header, whatever its offset says */
	if (print) {
		say(io, "pv_header at %" PRIu64, base + pvh);
		say(io, "pv_header.pv_uuid %s", chars(sec + pvh, LVM_ID_LEN, str));
		say(io, "pv_header.device_size %" PRIu64, le64_get(sec + pvh + 32));
	}
	memcpy(str, sec + pvh, LVM_ID_LEN);
	str[LVM_ID_LEN] = 0;
	if (!lvm_id_valid(str)) {
		say(io, "CHECK: pv_header.pv_uuid invalid format");
		bad = true;
	}
	at = locn_list(io, sec, base, pvh + PV_HEADER_SIZE, "pv_header", "location of data area", print, l, false,
		       &di, &bad);
	if (at)
		at = locn_list(io, sec, base, at, "pv_header", "location of metadata area", print, l, true, &di, &bad);
	if (!at)
		return !bad;
	if (at + PV_EXT_HEADER_SIZE > LABEL_SIZE) {
		say(io, "CHECK: pv_header_extension runs past the label sector");
		return false;
	}
	if (print) {
		say(io, "pv_header_extension at %" PRIu64, base + at);
		say(io, "pv_header_extension.version %u", le32_get(sec + at));
		say(io, "pv_header_extension.flags %u", le32_get(sec + at + 4));
	}
	di = 0;
	locn_list(io, sec, base, at + PV_EXT_HEADER_SIZE, "pv_header_extension", "bootloader area", print, l, false,
		  &di, &bad);
	return !bad;
}

bool pvck_label(struct pvck_io *io, uint64_t labelsector, bool print, struct pvck_label *l)
{
	uint8_t sec[LABEL_SIZE];

	memset(l, 0, sizeof(*l));
	if (io->read(io->ctx, sec, sizeof(sec), labelsector * 512)) {
		say(io, "CHECK: failed to read label_header at %" PRIu64, labelsector * 512);
		return false;
	}
	return pvck_label_decode(io, sec, labelsector, print, l);
}

/* The VG name and seqno of a text (0 and NULL when it does not parse). */
static bool text_vg(struct pvck_io *io, const char *text, size_t len, char *vgname, size_t vsize, uint32_t *seqno)
{
	struct cfg_tree *t;
	struct err e = { { 0 } };
	const struct cfg_node *v;

	*seqno = 0;
	if (vgname)
		snprintf(vgname, vsize, "?");
	if (cfg_parse(text, len, &t, &e)) {
		complain(io, "Parse error at %s", e.msg); /* as libdm's parser says it */
		return false;
	}
	for (v = cfg_root(t)->child; v && v->type != CFG_SECTION; v = v->next)
		;
	if (v) {
		int64_t s;

		if (vgname)
			snprintf(vgname, vsize, "%s", v->key);
		if (!cfg_get_int(v, "seqno", &s, &e) && s >= 0 && s <= UINT32_MAX)
			*seqno = (uint32_t)s;
	}
	cfg_tree_free(t);
	return true;
}

/* lvm2's _dump_current_text: the text raw_locn[0] names. */
static bool current_text(struct pvck_io *io, bool print, enum pvck_text text, FILE *tofile, unsigned mn,
			 uint64_t off, uint64_t size, uint64_t moff, uint64_t msize, uint32_t mcrc)
{
	char *buf = fits(io, off, size) ? malloc(msize + 1) : NULL, vgname[LVM_NAME_LEN + 2];
	uint32_t crc, seqno;
	bool bad = false;
	int r;

	if (!buf) {
		say(io, "CHECK: mda_header_%u.raw_locn[0] no mem for metadata text size %" PRIu64, mn, msize);
		return false;
	}
	if (moff + msize > size) { /* the text wraps to just after the header */
		uint64_t wrap = moff + msize - size;

		r = moff > size ? -EINVAL : io->read(io->ctx, buf, msize - wrap, off + moff);
		if (!r)
			r = io->read(io->ctx, buf + msize - wrap, wrap, off + MDA_HEADER_SIZE);
	} else {
		r = io->read(io->ctx, buf, msize, off + moff);
	}
	if (r) {
		say(io, "CHECK: failed to read metadata text at mda_header_%u.raw_locn[0].offset %" PRIu64
			" size %" PRIu64, mn, moff, msize);
		free(buf);
		return false;
	}
	buf[msize] = 0;
	if ((crc = lvm_crc(LVM_INITIAL_CRC, buf, msize)) != mcrc) {
		say(io, "CHECK: metadata text at %" PRIu64 " crc does not match mda_header_%u.raw_locn[0].checksum",
		    off + moff, mn);
		bad = true;
	}
	if (!text_vg(io, buf, msize, vgname, sizeof(vgname), &seqno)) {
		say(io, "CHECK: failed to parse metadata text at %" PRIu64 " size %" PRIu64, off + moff, msize);
		bad = true;
	}
	if (print || text != PVCK_TEXT_CHECK)
		say(io, "metadata text at %" PRIu64 " crc 0x%x # vgname %s seqno %u", off + moff, crc, vgname, seqno);
	if (text == PVCK_TEXT_CURRENT && !tofile) {
		say(io, "---");
		fflush(io->out);
		fprintf(io->out, "%s\n", buf);
		say(io, "---");
	} else if (text == PVCK_TEXT_CURRENT) {
		fputs(buf, tofile);
	}
	free(buf);
	return !bad;
}

/* The metadata area at @off read whole, and its copies of text found. */
static bool search_area(struct pvck_io *io, const struct pvck_settings *set, FILE *tofile, bool verbose,
			uint64_t off, uint64_t size)
{
	char *buf = size && fits(io, off, size) ? calloc(1, size) : NULL;

	if (!buf || io->read(io->ctx, buf, size, off)) {
		say(io, "CHECK: failed to read metadata area at offset %" PRIu64 " size %" PRIu64, off, size);
		free(buf);
		return false;
	}
	pvck_search_text(io, set, tofile, verbose, off, size, buf);
	free(buf);
	return true;
}

/* lvm2's _dump_raw_locn: one raw_locn of the header in @h. */
static bool raw_locn(struct pvck_io *io, bool print, const uint8_t *h, unsigned ri, uint64_t off, uint64_t size,
		     unsigned mn, uint64_t *moff, uint64_t *msize, uint32_t *mcrc)
{
	const uint8_t *p = h + 40 + ri * RAW_LOCN_SIZE;
	uint64_t o = le64_get(p), s = le64_get(p + 8);
	uint32_t crc = le32_get(p + 16), flags = le32_get(p + 20);
	bool wrapped = o + s > size;

	if (print) {
		say(io, "mda_header_%u.raw_locn[%u] at %" PRIu64 " # %s%s", mn, ri, off + 40 + ri * RAW_LOCN_SIZE,
		    ri ? "precommit" : "commit", wrapped ? " wrapped" : "");
		say(io, "mda_header_%u.raw_locn[%u].offset %" PRIu64, mn, ri, o);
		say(io, "mda_header_%u.raw_locn[%u].size %" PRIu64, mn, ri, s);
		say(io, "mda_header_%u.raw_locn[%u].checksum 0x%x", mn, ri, crc);
		say(io, "mda_header_%u.raw_locn[%u].flags 0x%x%s", mn, ri, flags,
		    flags & RAW_LOCN_IGNORED ? " # RAW_LOCN_IGNORED" : "");
	}
	if (ri == 1 && o)
		say(io, "CHECK: mda_header_%u.raw_locn[%u] for precommit not empty", mn, ri);
	if (flags & RAW_LOCN_IGNORED)
		return true;
	if (size < MDA_HEADER_SIZE || s > size - MDA_HEADER_SIZE) {
		say(io, "CHECK: mda_header_%u.raw_locn[%u].size larger than metadata area size", mn, ri);
		s = size < MDA_HEADER_SIZE ? 0 : size - MDA_HEADER_SIZE;
	}
	if (moff) {
		*moff = o;
		*msize = s;
		*mcrc = crc;
	}
	return true;
}

bool pvck_mda(struct pvck_io *io, const struct pvck_settings *set, bool print, enum pvck_text text, FILE *tofile,
	      bool verbose, uint64_t off, uint64_t size, uint32_t *checksum0, bool *found)
{
	uint8_t h[MDA_HEADER_SIZE];
	char str[80];
	unsigned mn = off == 4096 ? 1 : 2;
	uint64_t moff = 0, msize = 0;
	uint32_t mcrc = 0, crc;
	bool bad = false;

	*checksum0 = 0;
	if (io->read(io->ctx, h, sizeof(h), off)) {
		say(io, "CHECK: failed to read mda_header at %" PRIu64, off);
		return false;
	}
	if (print) {
		say(io, "mda_header_%u at %" PRIu64 " # metadata area", mn, off);
		say(io, "mda_header_%u.checksum 0x%x", mn, le32_get(h));
		say(io, "mda_header_%u.magic 0x%s", mn, hexchars(h + 4, MDA_MAGIC_LEN, str));
		say(io, "mda_header_%u.version %u", mn, le32_get(h + 20));
		say(io, "mda_header_%u.start %" PRIu64, mn, le64_get(h + 24));
		say(io, "mda_header_%u.size %" PRIu64, mn, le64_get(h + 32));
	}
	if ((crc = lvm_crc(LVM_INITIAL_CRC, h + 4, MDA_HEADER_SIZE - 4)) != le32_get(h)) {
		say(io, "CHECK: mda_header_%u.checksum expected 0x%x", mn, crc);
		bad = true;
	}
	if (memcmp(h + 4, MDA_MAGIC, MDA_MAGIC_LEN)) {
		say(io, "CHECK: mda_header_%u.magic expected 0x%s", mn,
		    hexchars((const uint8_t *)MDA_MAGIC, MDA_MAGIC_LEN, str));
		bad = true;
	} else if (found) {
		*found = true;
	}
	if (le32_get(h + 20) != MDA_VERSION) {
		say(io, "CHECK: mda_header_%u.version expected %u", mn, MDA_VERSION);
		bad = true;
	}
	if (le64_get(h + 24) != off) {
		say(io, "CHECK: mda_header_%u.start does not match pv_header.disk_locn.offset %" PRIu64, mn, off);
		bad = true;
	}
	if (le64_get(h + 32) != size) {
		say(io, "CHECK: mda_header_%u.size does not match pv_header.disk_locn.size %" PRIu64, mn, size);
		bad = true;
	}
	raw_locn(io, print, h, 0, off, size, mn, &moff, &msize, &mcrc);
	*checksum0 = mcrc;
	raw_locn(io, print, h, 1, off, size, mn, NULL, NULL, NULL);
	if (!moff)
		return !bad;
	if (text != PVCK_TEXT_ALL) {
		bad |= !current_text(io, print, text, tofile, mn, off, size, moff, msize, mcrc);
	} else if (!search_area(io, set, tofile, verbose, off, size)) {
		return false;
	}
	return !bad;
}

/* lvm2's _check_vgname_start: "name {" with name characters. */
static bool vgname_start(const char *line, unsigned *len)
{
	unsigned chars = 0, space = 0;

	for (unsigned i = 0; i <= LVM_NAME_LEN + 2; i++) {
		char c = line[i];

		if (isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-' || c == '+') {
			if (space)
				return false;
			chars++;
		} else if (c == ' ') {
			if (!chars || space)
				return false;
			space++;
		} else {
			if (c == '{' && chars && space) {
				*len = chars;
				return true;
			}
			return false;
		}
	}
	return false;
}

/* lvm2's _copy_line: from @pos up to and with a '\n' or NUL, at most
 * @max bytes, never past @size; returns where the next line starts. */
static uint64_t copy_line(const char *buf, uint64_t size, uint64_t pos, char *out, size_t max)
{
	size_t i;

	for (i = 0; i < max && pos + i < size; i++) {
		out[i] = buf[pos + i];
		if (buf[pos + i] == '\n' || !buf[pos + i])
			break;
	}
	return pos + i + 1 < size ? pos + i + 1 : size;
}

/* lvm2's _copy_out_metadata: the text from @start to its NUL, wrapping
 * once to just after the header (stopping at @stop); NULL when it has no
 * end or is shorter than 256 bytes. */
static char *copy_out(struct pvck_io *io, const char *buf, uint64_t start, uint64_t stop, uint64_t size,
		      size_t *len, bool *bad_end)
{
	uint64_t i, la = 0, lb = 0, n;
	char *t;

	for (i = start; i < size && buf[i]; i++)
		;
	if (i < size) {
		n = i - start;
	} else {
		la = i - start;
		for (i = MDA_HEADER_SIZE; i < stop && buf[i]; i++)
			;
		if (i >= stop)
			return NULL;
		lb = i - MDA_HEADER_SIZE;
		n = la + lb;
	}
	if (n < 256) {
		say(io, "skip invalid metadata with len %" PRIu64 " at %" PRIu64, n, start);
		return NULL;
	}
	if (!(t = calloc(1, n + 1)))
		return NULL;
	if (la) {
		memcpy(t, buf + start, la);
		memcpy(t + la, buf + MDA_HEADER_SIZE, lb);
	} else {
		memcpy(t, buf + start, n);
	}
	*bad_end = t[n - 1] != '\n' || t[n - 2] != '\n';
	*len = n + 1; /* lvm2 counts the NUL */
	return t;
}

void pvck_search_text(struct pvck_io *io, const struct pvck_settings *set, FILE *tofile, bool verbose,
		      uint64_t off, uint64_t size, const char *buf)
{
	char id_first[40] = "";
	uint64_t count = 0, first = 0, chunks;
	unsigned printed = 0;
	bool one = false, multiple = false;

	if (size < MDA_HEADER_SIZE)
		return;
	chunks = (size - MDA_HEADER_SIZE) / 512;
	for (; count < chunks && !one;) {
		uint64_t at = MDA_HEADER_SIZE + count * 512;
		uint64_t p = at;
		char line[128], vgname[LVM_NAME_LEN + 1] = "", id[40] = "";
		unsigned vlen = 0;
		uint32_t seqno = 0, crc;
		size_t tlen = 0;
		bool bad_end = false;
		char *text;

		if (set->metadata_offset_set && set->metadata_offset != off + at) {
			count++;
			continue;
		}
		one = set->metadata_offset_set;
		memset(line, 0, sizeof(line));
		p = copy_line(buf, size, p, line, sizeof(line) - 1);
		if (!vgname_start(line, &vlen)) {
			count++;
			continue;
		}
		memcpy(vgname, line, vlen);
		memset(line, 0, sizeof(line));
		p = copy_line(buf, size, p, line, sizeof(line) - 1);
		if (strncmp(line, "id = ", 5)) {
			count++;
			continue;
		}
		memcpy(id, line + 6, 38);
		id[38] = 0;
		memset(line, 0, sizeof(line));
		copy_line(buf, size, p, line, sizeof(line) - 1);
		if (strncmp(line, "seqno = ", 8) || sscanf(line, "seqno = %" SCNu32, &seqno) != 1) {
			count++;
			continue;
		}
		if (set->seqno_set && set->seqno != seqno) {
			count++;
			continue;
		}
		one |= set->seqno_set;
		if (!(text = copy_out(io, buf, at, first ? first : at, size, &tlen, &bad_end))) {
			complain(io, "Failed to extract full metadata text at %" PRIu64 ", skipping.", off + at);
			count++;
			continue;
		}
		if (!id_first[0])
			memcpy(id_first, id, sizeof(id_first));
		else if (strcmp(id_first, id))
			multiple = true;
		crc = lvm_crc(LVM_INITIAL_CRC, text, tlen);
		say(io, "metadata at %" PRIu64 " length %zu crc %08x vg %s seqno %" PRIu32 " id %s", off + at, tlen, crc,
		    vgname, seqno, id);
		if (!first)
			first = at;
		{
			uint32_t s;

			if (!text_vg(io, text, tlen - 1, NULL, 0, &s))
				complain(io, "WARNING: parse error for metadata at %" PRIu64, off + at);
		}
		if (bad_end)
			complain(io, "WARNING: unexpected terminating bytes for metadata at %" PRIu64, off + at);
		if (verbose) {
			const char *d = strstr(text, "description = "), *c = d ? strstr(d, "creation_time = ") : NULL;

			if (d)
				say(io, "%.*s", (int)strcspn(d, "\n"), d);
			if (c)
				say(io, "%.*s\n", (int)strcspn(c, "\n"), c);
		}
		if (tofile) {
			if (printed++)
				fputs("\n--\n", tofile);
			fputs(text, tofile);
		}
		free(text);
		count += tlen <= 512 ? 1 : (tlen + 511) / 512;
	}
	if (multiple)
		complain(io, "WARNING: metadata from multiple VGs was found.");
}

bool pvck_dump_headers(struct pvck_io *io, const struct pvck_settings *set, uint64_t labelsector)
{
	struct pvck_label l;
	uint32_t c1 = 0, c2 = 0;
	bool ok = pvck_label(io, labelsector, true, &l);

	if (!l.mda_count) {
		say(io, "zero metadata copies");
		return true;
	}
	ok &= pvck_mda(io, set, true, PVCK_TEXT_CHECK, NULL, false, l.mda_offset[0], l.mda_size[0], &c1, NULL);
	if (l.mda_count > 1 && l.mda_offset[1]) {
		ok &= pvck_mda(io, set, true, PVCK_TEXT_CHECK, NULL, false, l.mda_offset[1], l.mda_size[1], &c2, NULL);
		if (c1 && c2 && c1 != c2)
			say(io, "CHECK: mdas have different raw_locn[0].checksum values");
	}
	if (!ok)
		complain(io, "Found bad header or metadata values.");
	return ok;
}

bool pvck_dump_metadata(struct pvck_io *io, const struct pvck_settings *set, uint64_t labelsector,
			enum pvck_text text, FILE *tofile, bool verbose)
{
	struct pvck_label l;
	unsigned n = set->mda_num ? set->mda_num : 1;
	uint32_t c;
	bool ok = pvck_label(io, labelsector, false, &l);

	if (!l.mda_count) {
		say(io, "zero metadata copies");
		return true;
	}
	if (n == 1) {
		ok &= pvck_mda(io, set, false, text, tofile, verbose, l.mda_offset[0], l.mda_size[0], &c, NULL);
	} else if (l.mda_count < 2 || !l.mda_offset[1]) {
		say(io, "CHECK: second mda not found");
		ok = false;
	} else {
		ok &= pvck_mda(io, set, false, text, tofile, verbose, l.mda_offset[1], l.mda_size[1], &c, NULL);
	}
	if (!ok)
		complain(io, "Found bad header or metadata values.");
	return ok;
}

bool pvck_dump_search(struct pvck_io *io, const struct pvck_settings *set, uint64_t labelsector, FILE *tofile,
		      bool verbose)
{
	struct pvck_label l;
	unsigned n = set->mda_num;
	uint64_t off = 0, size = 0, dev = io->dev_size;

	pvck_label(io, labelsector, false, &l);
	if (set->mda_offset_set || set->mda_size_set) {
		/* what --settings gives, the rest from the headers or lvm2's defaults */
		off = set->mda_offset_set ? set->mda_offset : 0;
		size = set->mda_size_set ? set->mda_size : 0;
		if (!(off && size) && set->mda_offset_set + set->mda_size_set + !!n < 2) {
			complain(io, "Specify at least two values from: mda_num, mda_offset, mda_size.");
			return false;
		}
		/* lvm2's mda2_*_from_*: the second area ends on the last whole MiB */
		uint64_t end = dev >= 2 * ONE_MB ? dev - dev % ONE_MB : 0;

		if (!size && n == 1)
			size = l.mda_size[0] ? l.mda_size[0] : ONE_MB - 4096;
		else if (!size && n == 2)
			size = l.mda_size[1] ? l.mda_size[1] : off < end ? end - off : 0;
		if (!off && n == 1)
			off = 4096;
		else if (!off && n == 2)
			off = size < end ? end - size : 0;
	} else {
		n = n ? n : 1;
		if (n == 1 && l.found && l.mda_count && l.mda_offset[0] && l.mda_size[0]) {
			off = l.mda_offset[0];
			size = l.mda_size[0];
		} else if (n == 1) {
			off = 4096;
			size = ONE_MB - 4096;
			say(io, "Using common defaults for first mda: offset %" PRIu64 " size %" PRIu64 ".", off, size);
			say(io, "Override defaults with --settings \"mda_offset=<bytes> mda_size=<bytes>\"");
		} else if (l.found && l.mda_count > 1 && l.mda_offset[1] && l.mda_size[1]) {
			off = l.mda_offset[1];
			size = l.mda_size[1];
		} else {
			if (dev < 2 * ONE_MB)
				return false;
			off = dev - dev % ONE_MB - ONE_MB;
			size = dev - off;
			say(io, "Using defaults for second mda: offset %" PRIu64 " size %" PRIu64 ".", off, size);
			say(io, "Override defaults with --settings \"mda_offset=<bytes> mda_size=<bytes>\"");
		}
	}
	for (unsigned k = 0; k < 2; k++)
		if (n == k + 1 && l.mda_count > k &&
		    ((l.mda_offset[k] && l.mda_offset[k] != off) || (l.mda_size[k] && l.mda_size[k] != size)))
			say(io, "Ignoring mda%u_offset %" PRIu64 " mda%u_size %" PRIu64 " from pv_header.", k + 1,
			    l.mda_offset[k], k + 1, l.mda_size[k]);
	say(io, "Searching for metadata at offset %" PRIu64 " size %" PRIu64, off, size);
	return search_area(io, set, tofile, verbose, off, size);
}

bool pvck_found(struct pvck_io *io, const struct pvck_settings *set, uint64_t labelsector, const char *name)
{
	struct pvck_label l;
	bool f1 = false, f2 = false, ok = pvck_label(io, labelsector, false, &l);
	uint32_t c;

	if (l.found && l.mda_count && l.mda_offset[0])
		ok &= pvck_mda(io, set, false, PVCK_TEXT_CHECK, NULL, false, l.mda_offset[0], l.mda_size[0], &c, &f1);
	if (l.found && l.mda_count > 1 && l.mda_offset[1])
		ok &= pvck_mda(io, set, false, PVCK_TEXT_CHECK, NULL, false, l.mda_offset[1], l.mda_size[1], &c, &f2);
	if (!l.found) {
		complain(io, "Could not find LVM label on %s", name);
		return false;
	}
	say(io, "Found label on %s, sector %" PRIu64 ", type=LVM2 001", name, labelsector);
	if (f1)
		say(io, "Found text metadata area: offset=%" PRIu64 ", size=%" PRIu64, l.mda_offset[0], l.mda_size[0]);
	if (f2)
		say(io, "Found text metadata area: offset=%" PRIu64 ", size=%" PRIu64, l.mda_offset[1], l.mda_size[1]);
	return ok;
}
