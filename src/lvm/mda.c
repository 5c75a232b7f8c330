#include "lvm/mda.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lvm/crc.h"
#include "common/le.h"

/* mda_header field offsets */
#define MH_CHECKSUM 0
#define MH_MAGIC 4
#define MH_VERSION 20
#define MH_START 24
#define MH_SIZE 32
#define MH_LOCNS 40
#define MH_CRC_FROM MH_MAGIC

/* raw_locn field offsets */
#define RL_OFFSET 0
#define RL_SIZE 8
#define RL_CHECKSUM 16
#define RL_FLAGS 20

static_assert(sizeof(MDA_MAGIC) - 1 == MDA_MAGIC_LEN, "16-byte magic");
static_assert(RL_FLAGS + 4 == RAW_LOCN_SIZE, "raw_locn is 24 bytes");
static_assert(MH_LOCNS + 3 * RAW_LOCN_SIZE <= MDA_HEADER_SIZE, "three raw_locns fit");

void mda_header_init(struct mda_header *h, uint64_t start, uint64_t size, bool ignored)
{
	memset(h, 0, sizeof(*h));
	h->start = start;
	h->size = size;
	if (ignored)
		h->slot[0].flags = RAW_LOCN_IGNORED;
}

void mda_header_encode(const struct mda_header *h, uint8_t buf[MDA_HEADER_SIZE])
{
	memset(buf, 0, MDA_HEADER_SIZE);
	memcpy(buf + MH_MAGIC, MDA_MAGIC, MDA_MAGIC_LEN);
	le32_put(buf + MH_VERSION, MDA_VERSION);
	le64_put(buf + MH_START, h->start);
	le64_put(buf + MH_SIZE, h->size);
	for (int i = 0; i < 2; i++) {
		uint8_t *p = buf + MH_LOCNS + i * RAW_LOCN_SIZE;

		le64_put(p + RL_OFFSET, h->slot[i].offset);
		le64_put(p + RL_SIZE, h->slot[i].size);
		le32_put(p + RL_CHECKSUM, h->slot[i].checksum);
		le32_put(p + RL_FLAGS, h->slot[i].flags);
	}
	le32_put(buf + MH_CHECKSUM,
		 lvm_crc(LVM_INITIAL_CRC, buf + MH_CRC_FROM, MDA_HEADER_SIZE - MH_CRC_FROM));
}

int mda_header_decode(const uint8_t buf[MDA_HEADER_SIZE], uint64_t start, uint64_t size,
		      struct mda_header *h, struct err *e)
{
	uint32_t crc = lvm_crc(LVM_INITIAL_CRC, buf + MH_CRC_FROM, MDA_HEADER_SIZE - MH_CRC_FROM);
	uint32_t version;

	memset(h, 0, sizeof(*h));
	if (crc != le32_get(buf + MH_CHECKSUM))
		return err_set(e, -EINVAL, "mda header at %llu: checksum 0x%08x, computed 0x%08x",
			       (unsigned long long)start, le32_get(buf + MH_CHECKSUM), crc);
	if (memcmp(buf + MH_MAGIC, MDA_MAGIC, MDA_MAGIC_LEN))
		return err_set(e, -EINVAL, "mda header at %llu: wrong magic number",
			       (unsigned long long)start);
	if ((version = le32_get(buf + MH_VERSION)) != MDA_VERSION)
		return err_set(e, -EINVAL, "mda header at %llu: version %u, not %d",
			       (unsigned long long)start, version, MDA_VERSION);
	h->start = le64_get(buf + MH_START);
	h->size = le64_get(buf + MH_SIZE);
	if (h->start != start)
		return err_set(e, -EINVAL, "mda header at %llu: records start %llu",
			       (unsigned long long)start, (unsigned long long)h->start);
	if (h->size != size)
		return err_set(e, -EINVAL, "mda header at %llu: size %llu, the PV label says %llu",
			       (unsigned long long)start, (unsigned long long)h->size,
			       (unsigned long long)size);
	if (h->size < MDA_HEADER_SIZE + MDA_ALIGN)
		return err_set(e, -EINVAL, "mda header at %llu: size %llu is too small",
			       (unsigned long long)start, (unsigned long long)h->size);
	for (int i = 0; i < 2; i++) {
		const uint8_t *p = buf + MH_LOCNS + i * RAW_LOCN_SIZE;
		struct raw_locn *rl = &h->slot[i];

		rl->offset = le64_get(p + RL_OFFSET);
		rl->size = le64_get(p + RL_SIZE);
		rl->checksum = le32_get(p + RL_CHECKSUM);
		rl->flags = le32_get(p + RL_FLAGS);
		if (!rl->offset && !rl->size)
			continue;
		if (rl->offset < MDA_HEADER_SIZE || rl->offset >= h->size ||
		    rl->size > h->size - MDA_HEADER_SIZE)
			return err_set(e, -EINVAL,
				       "mda header at %llu: slot %d (offset %llu, size %llu) is outside the ring",
				       (unsigned long long)start, i, (unsigned long long)rl->offset,
				       (unsigned long long)rl->size);
	}
	return 0;
}

int mda_header_read(struct dev *d, uint64_t start, uint64_t size, struct mda_header *h,
		    struct err *e)
{
	uint8_t buf[MDA_HEADER_SIZE];
	int r;

	if (start > d->size || d->size - start < MDA_HEADER_SIZE)
		return err_set(e, -EINVAL, "%s: mda header at %llu is past the end of the device",
			       d->name, (unsigned long long)start);
	if ((r = dev_read(d, buf, sizeof(buf), start)))
		return err_set(e, r, "%s: reading the mda header at %llu: %s", d->name,
			       (unsigned long long)start, strerror(-r));
	if ((r = mda_header_decode(buf, start, size, h, e)))
		return err_set(e, r, "%s", d->name);
	return 0;
}

int mda_header_write(struct dev *d, const struct mda_header *h, struct err *e)
{
	uint8_t buf[MDA_HEADER_SIZE];
	int r;

	mda_header_encode(h, buf);
	if ((r = dev_write(d, buf, sizeof(buf), h->start, DEV_FUA)))
		return err_set(e, r, "%s: writing the mda header at %llu: %s", d->name,
			       (unsigned long long)h->start, strerror(-r));
	return 0;
}

bool mda_empty(const struct mda_header *h)
{
	return mda_ignored(h) || (!h->slot[0].offset && !h->slot[0].size);
}

uint64_t mda_max_text_size(const struct mda_header *h)
{
	uint64_t half = (h->size - MDA_HEADER_SIZE) / 2;

	return half > MDA_ALIGN ? half - MDA_ALIGN : 0;
}

/* Last byte of the committed copy, relative to the mda start. */
static uint64_t old_last_byte(const struct mda_header *h)
{
	const struct raw_locn *old = &h->slot[0];

	if (old->offset + old->size > h->size)
		return MDA_HEADER_SIZE + (old->offset + old->size - h->size) - 1;
	return old->offset + old->size - 1;
}

uint64_t mda_next_offset(const struct mda_header *h)
{
	uint64_t last, next;

	if (mda_empty(h))
		return MDA_HEADER_SIZE;
	last = old_last_byte(h);
	if (h->size - last < MDA_ALIGN)
		return MDA_HEADER_SIZE;
	next = (last + 1 + MDA_ALIGN - 1) / MDA_ALIGN * MDA_ALIGN;
	if (next > h->size - MDA_ALIGN)
		return MDA_HEADER_SIZE;
	return next;
}

/* The ring pieces of a copy: [off, off + n1) and, if it wraps,
 * [512, 512 + n2). */
static void split(const struct mda_header *h, uint64_t off, uint64_t len, uint64_t *n1,
		  uint64_t *n2)
{
	if (off + len > h->size) {
		*n1 = h->size - off;
		*n2 = len - *n1;
	} else {
		*n1 = len;
		*n2 = 0;
	}
}

int mda_read_text(struct dev *d, const struct mda_header *h, const struct raw_locn *rl,
		  char **text, size_t *len, struct err *e)
{
	uint64_t n1, n2;
	uint32_t crc;
	char *buf;
	int r;

	*text = NULL;
	*len = 0;
	if (!rl->offset && !rl->size)
		return err_set(e, -ENODATA, "%s: mda at %llu holds no metadata", d->name,
			       (unsigned long long)h->start);
	if (!rl->size || rl->offset < MDA_HEADER_SIZE || rl->offset >= h->size ||
	    rl->size > h->size - MDA_HEADER_SIZE)
		return err_set(e, -EINVAL, "%s: mda at %llu: metadata location %llu+%llu is outside the ring",
			       d->name, (unsigned long long)h->start,
			       (unsigned long long)rl->offset, (unsigned long long)rl->size);
	if (h->start + h->size > d->size)
		return err_set(e, -EINVAL, "%s: mda at %llu runs past the end of the device",
			       d->name, (unsigned long long)h->start);
	split(h, rl->offset, rl->size, &n1, &n2);
	if (!(buf = malloc(rl->size + 1)))
		return err_set(e, -ENOMEM, "out of memory");
	if ((r = dev_read(d, buf, n1, h->start + rl->offset)) ||
	    (n2 && (r = dev_read(d, buf + n1, n2, h->start + MDA_HEADER_SIZE)))) {
		free(buf);
		return err_set(e, r, "%s: reading metadata at %llu: %s", d->name,
			       (unsigned long long)(h->start + rl->offset), strerror(-r));
	}
	crc = lvm_crc(LVM_INITIAL_CRC, buf, rl->size);
	if (crc != rl->checksum) {
		free(buf);
		return err_set(e, -EINVAL, "%s: checksum error in metadata at %llu (0x%08x, header says 0x%08x)",
			       d->name, (unsigned long long)(h->start + rl->offset), crc,
			       rl->checksum);
	}
	buf[rl->size] = '\0';
	*text = buf;
	*len = rl->size;
	return 0;
}

/* The new copy must not touch the committed one (cannot happen within
 * mda_max_text_size; kept as LVM keeps it, as a sanity check). */
static bool overlaps(const struct mda_header *h, uint64_t new_start, uint64_t new_size)
{
	uint64_t old_start, old_last, new_last;
	bool old_wrap, new_wrap;

	if (mda_empty(h))
		return false;
	old_start = h->slot[0].offset;
	old_last = old_last_byte(h);
	old_wrap = old_start + h->slot[0].size > h->size;
	new_wrap = new_start + new_size > h->size;
	new_last = new_wrap ? MDA_HEADER_SIZE + (new_start + new_size - h->size) - 1
			    : new_start + new_size - 1;
	if (new_wrap && old_wrap)
		return true;
	if (!new_wrap && !old_wrap)
		return !((new_start > old_last && new_last > new_start) ||
			 (new_start < old_start && new_last < old_start));
	if (old_wrap)
		return !(old_last < new_start && new_start < new_last && new_last < old_start);
	return !(new_last < old_start && old_start < old_last && old_last < new_start);
}

int mda_write_text(struct dev *d, const struct mda_header *h, const void *text, size_t len,
		   struct raw_locn *out, struct err *e)
{
	uint64_t off = mda_next_offset(h), n1, n2, pad1, pad2;
	uint8_t *buf;
	int r;

	memset(out, 0, sizeof(*out));
	if (mda_ignored(h))
		return err_set(e, -EINVAL, "%s: mda at %llu is ignored", d->name,
			       (unsigned long long)h->start);
	if (!len)
		return err_set(e, -EINVAL, "empty metadata text");
	if (len > mda_max_text_size(h))
		return err_set(e, -ENOSPC, "%s: metadata (%zu bytes) exceeds the maximum of %llu bytes for the mda at %llu",
			       d->name, len, (unsigned long long)mda_max_text_size(h),
			       (unsigned long long)h->start);
	if (overlaps(h, off, len))
		return err_set(e, -ENOSPC, "%s: metadata (%zu bytes) does not fit beside the committed copy in the mda at %llu",
			       d->name, len, (unsigned long long)h->start);
	split(h, off, len, &n1, &n2);
	/* Zero bytes after the text up to the next 512-byte boundary, so the
	 * gap before the next copy is clean; the first piece of a wrapped
	 * copy already ends at the end of the mda. */
	pad1 = n2 ? 0 : (MDA_ALIGN - (h->start + off + n1) % MDA_ALIGN) % MDA_ALIGN;
	pad2 = n2 ? (MDA_ALIGN - (h->start + MDA_HEADER_SIZE + n2) % MDA_ALIGN) % MDA_ALIGN : 0;
	if (h->start + off + n1 + pad1 > h->start + h->size)
		pad1 = h->size - off - n1;
	if (!(buf = calloc(1, n1 + pad1 + n2 + pad2)))
		return err_set(e, -ENOMEM, "out of memory");
	memcpy(buf, text, n1);
	memcpy(buf + n1 + pad1, (const uint8_t *)text + n1, n2);
	r = dev_write(d, buf, n1 + pad1, h->start + off, 0);
	if (!r && n2)
		r = dev_write(d, buf + n1 + pad1, n2 + pad2, h->start + MDA_HEADER_SIZE, 0);
	free(buf);
	if (r)
		return err_set(e, r, "%s: writing metadata at %llu: %s", d->name,
			       (unsigned long long)(h->start + off), strerror(-r));
	out->offset = off;
	out->size = len;
	out->checksum = lvm_crc(LVM_INITIAL_CRC, text, len);
	return 0;
}

int mda_precommit(struct dev *d, struct mda_header *h, const struct raw_locn *rl,
		  struct err *e)
{
	struct mda_header n = *h;
	int r;

	n.slot[1] = *rl;
	n.slot[1].flags = 0;
	if ((r = mda_header_write(d, &n, e)))
		return r;
	*h = n;
	return 0;
}

int mda_commit(struct dev *d, struct mda_header *h, const struct raw_locn *rl, struct err *e)
{
	struct mda_header n = *h;
	int r;

	n.slot[0] = *rl;
	n.slot[0].flags = h->slot[0].flags & RAW_LOCN_IGNORED;
	memset(&n.slot[1], 0, sizeof(n.slot[1]));
	if ((r = mda_header_write(d, &n, e)))
		return r;
	*h = n;
	return 0;
}

int mda_revert(struct dev *d, struct mda_header *h, struct err *e)
{
	struct mda_header n = *h;
	int r;

	memset(&n.slot[1], 0, sizeof(n.slot[1]));
	if ((r = mda_header_write(d, &n, e)))
		return r;
	*h = n;
	return 0;
}

int mda_clear(struct dev *d, struct mda_header *h, struct err *e)
{
	struct mda_header n = *h;
	int r;

	memset(n.slot, 0, sizeof(n.slot));
	n.slot[0].flags = h->slot[0].flags & RAW_LOCN_IGNORED;
	if ((r = mda_header_write(d, &n, e)))
		return r;
	*h = n;
	return 0;
}
