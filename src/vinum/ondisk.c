/* gvinum's on-disk format: the drive header and the configuration text.
 * See vinum.h and, for the fields, geom_vinum_var.h (struct gv_hdr).
 *
 * Header, 512 bytes at byte 4096 of the drive, every integer big-endian
 * (explicit codec below, never a struct image):
 *     0  magic          u64  "VINUM-1\0" (VINUM--\0: the drive was removed)
 *     8  config_length  u64  65536
 *    16  sysname[32]         host that made the drive
 *    48  name[32]            the drive's name
 *    80  date_of_birth  s64 sec, s64 usec
 *    96  last_update    s64 sec, s64 usec (the newest copy wins at start)
 *   112  drive_size     u64  bytes, header area included
 * Classic vinum's "IN VINO\0" headers are the writing machine's C struct;
 * they are recognised and refused by name (ulvm reads gvinum's format).
 *
 * Configuration, at 4608 and again at 70144, 64 KiB each, NUL padded:
 * gvinum's saved form (gv_format_config, ondisk), one line per object:
 *     volume V state S
 *     plex name P org concat|striped Ns|raid5 Ns vol V state S
 *     sd name S drive D len Ns driveoffset Ns plex P plexoffset Ns state S
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "vinum/vinum.h"

static uint64_t be64_get(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void be64_put(uint8_t *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static void str_get(char *out, const uint8_t *p, size_t n)
{
	memcpy(out, p, n);
	out[n] = 0;
}

int vn_header_decode(const uint8_t *buf, struct vn_header *h, struct err *e)
{
	memset(h, 0, sizeof(*h));
	h->magic = be64_get(buf);
	if (h->magic == VN_OLD_MAGIC || h->magic == __builtin_bswap64(VN_OLD_MAGIC))
		return err_set(e, -EINVAL, "a classic vinum drive header (IN VINO): ulvm reads gvinum's format");
	if (h->magic == VN_NOMAGIC)
		return err_set(e, -ENOENT, "a vinum drive that was removed (VINUM--)");
	if (h->magic != VN_MAGIC)
		return -ENOENT;
	h->config_length = be64_get(buf + 8);
	str_get(h->sysname, buf + 16, 32);
	str_get(h->name, buf + 48, 32);
	h->born_sec = (int64_t)be64_get(buf + 80);
	h->born_usec = (int64_t)be64_get(buf + 88);
	h->upd_sec = (int64_t)be64_get(buf + 96);
	h->upd_usec = (int64_t)be64_get(buf + 104);
	h->drive_size = be64_get(buf + 112);
	if (h->config_length != VN_CFG_LEN)
		return err_set(e, -EINVAL, "drive header: config_length %" PRIu64 ", not %u", h->config_length,
			       VN_CFG_LEN);
	if (!h->name[0])
		return err_set(e, -EINVAL, "drive header: no drive name");
	for (const char *p = h->name; *p; p++)
		if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e || *p == '/')
			return err_set(e, -EINVAL, "drive header: the drive name is not printable");
	if (h->born_usec < 0 || h->born_usec >= 1000000 || h->upd_usec < 0 || h->upd_usec >= 1000000)
		return err_set(e, -EINVAL, "drive header: a time stamp's microseconds are out of range");
	return 0;
}

void vn_header_encode(const struct vn_header *h, uint8_t *buf)
{
	memset(buf, 0, VN_HDR_LEN);
	be64_put(buf, h->magic);
	be64_put(buf + 8, h->config_length);
	memcpy(buf + 16, h->sysname, strnlen(h->sysname, 32));
	memcpy(buf + 48, h->name, strnlen(h->name, 32));
	be64_put(buf + 80, (uint64_t)h->born_sec);
	be64_put(buf + 88, (uint64_t)h->born_usec);
	be64_put(buf + 96, (uint64_t)h->upd_sec);
	be64_put(buf + 104, (uint64_t)h->upd_usec);
	be64_put(buf + 112, h->drive_size);
}

static const char *org_text(const struct vn_plex *p)
{
	return p->org == VN_CONCAT ? "concat" : p->org == VN_STRIPED ? "striped" : "raid5";
}

int vn_format_config(const struct vn_conf *c, char **out, struct err *e)
{
	size_t len = 0;
	FILE *f = open_memstream(out, &len);

	if (!f)
		return err_set(e, -ENOMEM, "out of memory");
	/* gvinum writes its lists newest first */
	for (unsigned i = c->nvol; i-- > 0;)
		fprintf(f, "volume %s state %s\n", c->vol[i].name, c->vol[i].state);
	for (unsigned i = c->nplex; i-- > 0;) {
		const struct vn_plex *p = &c->plex[i];

		fprintf(f, "plex name %s org %s ", p->name, org_text(p));
		if (p->org != VN_CONCAT)
			fprintf(f, "%" PRIu64 "s ", p->stripe / 512);
		if (p->vol[0])
			fprintf(f, "vol %s ", p->vol);
		fprintf(f, "state %s\n", p->state);
	}
	for (unsigned i = c->nsd; i-- > 0;) {
		const struct vn_sd *s = &c->sd[i];

		fprintf(f, "sd name %s drive %s len %" PRIu64 "s driveoffset %" PRIu64 "s ", s->name, s->drive,
			s->len / 512, s->driveoffset / 512);
		if (s->plex[0])
			fprintf(f, "plex %s plexoffset %" PRIu64 "s ", s->plex, s->plexoffset / 512);
		fprintf(f, "state %s\n", s->state);
	}
	if (fclose(f)) {
		free(*out);
		*out = NULL;
		return err_set(e, -ENOMEM, "out of memory");
	}
	if (len >= VN_CFG_LEN) {
		free(*out);
		*out = NULL;
		return err_set(e, -ENOSPC, "the configuration is %zu bytes, more than a drive's 64 KiB copy holds", len);
	}
	return 0;
}
