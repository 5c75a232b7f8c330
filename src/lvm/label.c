#include "lvm/label.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

#include "lvm/crc.h"
#include "common/le.h"

/* label_header field offsets */
#define LH_ID 0x00
#define LH_SECTOR 0x08
#define LH_CRC 0x10
#define LH_OFFSET 0x14
#define LH_TYPE 0x18
#define LH_CRC_FROM LH_OFFSET /* the CRC covers offset_xl to the end */

/* pv_header field offsets, relative to offset_xl */
#define PVH_UUID 0
#define PVH_DEVSIZE 32
#define PVH_AREAS 40

static_assert(LABEL_HEADER_SIZE == LH_TYPE + 8, "label_header is 32 bytes");
static_assert(PV_HEADER_SIZE == PVH_AREAS, "pv_header is 40 bytes before its lists");
static_assert(sizeof(LABEL_ID) - 1 == 8 && sizeof(LABEL_TYPE) - 1 == 8, "8-byte tags");
/* The default layout (1 data area, 2 mdas, no bootloader area) fits. */
static_assert(LABEL_HEADER_SIZE + PV_HEADER_SIZE + 5 * DISK_LOCN_SIZE + PV_EXT_HEADER_SIZE +
		      DISK_LOCN_SIZE <= LABEL_SIZE, "label fits in a sector");

/* Read one {offset,0}-terminated list starting at @*pos; fails if the list
 * does not end inside the sector or holds more than we keep. */
static int read_list(const uint8_t *sec, size_t *pos, struct disk_locn *out, unsigned *n,
		     const char *what, struct err *e)
{
	*n = 0;
	for (;;) {
		uint64_t off;

		if (*pos + DISK_LOCN_SIZE > LABEL_SIZE)
			return err_set(e, -EINVAL, "%s area list runs past the label sector", what);
		off = le64_get(sec + *pos);
		if (!off) {
			*pos += DISK_LOCN_SIZE;
			return 0;
		}
		if (*n == PV_LABEL_MAX_AREAS)
			return err_set(e, -EINVAL, "more than %d %s areas in the PV header",
				       PV_LABEL_MAX_AREAS, what);
		out[*n].offset = off;
		out[*n].size = le64_get(sec + *pos + 8);
		(*n)++;
		*pos += DISK_LOCN_SIZE;
	}
}

int pv_label_decode(const uint8_t sec[LABEL_SIZE], uint64_t sector, struct pv_label *l,
		    struct err *e)
{
	uint32_t crc, off;
	size_t pos;
	int r;

	memset(l, 0, sizeof(*l));
	if (memcmp(sec + LH_ID, LABEL_ID, 8))
		return err_set(e, -ENOENT, "no LABELONE in sector %llu", (unsigned long long)sector);
	if (le64_get(sec + LH_SECTOR) != sector)
		return err_set(e, -EINVAL, "label for sector %llu found at sector %llu",
			       (unsigned long long)le64_get(sec + LH_SECTOR),
			       (unsigned long long)sector);
	crc = lvm_crc(LVM_INITIAL_CRC, sec + LH_CRC_FROM, LABEL_SIZE - LH_CRC_FROM);
	if (crc != le32_get(sec + LH_CRC))
		return err_set(e, -EINVAL, "label checksum 0x%08x in sector %llu, computed 0x%08x",
			       le32_get(sec + LH_CRC), (unsigned long long)sector, crc);
	if (memcmp(sec + LH_TYPE, LABEL_TYPE, 8))
		return err_set(e, -EINVAL, "label type in sector %llu is not \"" LABEL_TYPE "\"",
			       (unsigned long long)sector);
	off = le32_get(sec + LH_OFFSET);
	if (off < LABEL_HEADER_SIZE || off > LABEL_SIZE - PV_HEADER_SIZE - DISK_LOCN_SIZE)
		return err_set(e, -EINVAL, "pv_header offset %u is outside the label sector", off);

	l->sector = sector;
	memcpy(l->pv_uuid, sec + off + PVH_UUID, LVM_ID_LEN);
	l->pv_uuid[LVM_ID_LEN] = '\0';
	if (!lvm_id_valid(l->pv_uuid))
		return err_set(e, -EINVAL, "PV UUID in the label has invalid characters");
	l->device_size = le64_get(sec + off + PVH_DEVSIZE);

	pos = off + PVH_AREAS;
	if ((r = read_list(sec, &pos, l->data, &l->n_data, "data", e)) ||
	    (r = read_list(sec, &pos, l->mda, &l->n_mda, "metadata", e)))
		return r;
	/* The extension may be absent in very old labels: zeros, or no room. */
	if (pos + PV_EXT_HEADER_SIZE > LABEL_SIZE)
		return 0;
	l->ext_version = le32_get(sec + pos);
	if (!l->ext_version)
		return 0;
	l->ext_flags = le32_get(sec + pos + 4);
	pos += PV_EXT_HEADER_SIZE;
	return read_list(sec, &pos, l->ba, &l->n_ba, "bootloader", e);
}

static int write_list(uint8_t *sec, size_t *pos, const struct disk_locn *a, unsigned n,
		      const char *what, struct err *e)
{
	if (n > PV_LABEL_MAX_AREAS)
		return err_set(e, -EINVAL, "%u %s areas, at most %d", n, what, PV_LABEL_MAX_AREAS);
	if (*pos + (n + 1) * DISK_LOCN_SIZE > LABEL_SIZE)
		return err_set(e, -ENOSPC, "%s area list does not fit in the label sector", what);
	for (unsigned i = 0; i < n; i++) {
		if (!a[i].offset)
			return err_set(e, -EINVAL, "%s area %u at offset 0 cannot be recorded",
				       what, i);
		le64_put(sec + *pos, a[i].offset);
		le64_put(sec + *pos + 8, a[i].size);
		*pos += DISK_LOCN_SIZE;
	}
	*pos += DISK_LOCN_SIZE; /* the zero terminator */
	return 0;
}

int pv_label_encode(const struct pv_label *l, uint8_t sec[LABEL_SIZE], struct err *e)
{
	size_t pos = LABEL_HEADER_SIZE + PVH_AREAS;
	int r;

	memset(sec, 0, LABEL_SIZE);
	if (l->sector >= LABEL_SCAN_SECTORS)
		return err_set(e, -EINVAL, "label sector %llu is not in 0..%d",
			       (unsigned long long)l->sector, LABEL_SCAN_SECTORS - 1);
	if (!lvm_id_valid(l->pv_uuid))
		return err_set(e, -EINVAL, "PV UUID has invalid characters");
	memcpy(sec + LH_ID, LABEL_ID, 8);
	le64_put(sec + LH_SECTOR, l->sector);
	le32_put(sec + LH_OFFSET, LABEL_HEADER_SIZE);
	memcpy(sec + LH_TYPE, LABEL_TYPE, 8);
	memcpy(sec + LABEL_HEADER_SIZE + PVH_UUID, l->pv_uuid, LVM_ID_LEN);
	le64_put(sec + LABEL_HEADER_SIZE + PVH_DEVSIZE, l->device_size);
	if ((r = write_list(sec, &pos, l->data, l->n_data, "data", e)) ||
	    (r = write_list(sec, &pos, l->mda, l->n_mda, "metadata", e)))
		return r;
	if (pos + PV_EXT_HEADER_SIZE > LABEL_SIZE)
		return err_set(e, -ENOSPC, "PV header extension does not fit in the label sector");
	le32_put(sec + pos, l->ext_version);
	le32_put(sec + pos + 4, l->ext_version ? l->ext_flags : 0);
	pos += PV_EXT_HEADER_SIZE;
	if (l->ext_version && (r = write_list(sec, &pos, l->ba, l->n_ba, "bootloader", e)))
		return r;
	if (!l->ext_version && l->n_ba)
		return err_set(e, -EINVAL, "bootloader areas need the PV header extension");
	le32_put(sec + LH_CRC, lvm_crc(LVM_INITIAL_CRC, sec + LH_CRC_FROM, LABEL_SIZE - LH_CRC_FROM));
	return 0;
}

int pv_label_read(struct dev *d, struct pv_label *l, struct err *e)
{
	uint8_t buf[LABEL_SCAN_SIZE];
	struct err why = { { 0 } };
	bool seen = false;
	int r;

	if (d->size < LABEL_SCAN_SIZE)
		return err_set(e, -ENOENT, "%s: %llu bytes, too small for a PV label", d->name,
			       (unsigned long long)d->size);
	if ((r = dev_read(d, buf, sizeof(buf), 0)))
		return err_set(e, r, "%s: reading the label sectors: %s", d->name, strerror(-r));
	for (unsigned s = 0; s < LABEL_SCAN_SECTORS; s++) {
		const uint8_t *sec = buf + s * LABEL_SIZE;

		if (memcmp(sec, LABEL_ID, 8))
			continue;
		seen = true;
		err_clear(&why);
		if (!pv_label_decode(sec, s, l, &why))
			return 0;
	}
	if (!seen)
		return err_set(e, -ENOENT, "%s: no LVM2 label in sectors 0-%d", d->name,
			       LABEL_SCAN_SECTORS - 1);
	return err_set(e, -EINVAL, "%s: %s", d->name, why.msg);
}

int pv_label_write(struct dev *d, const struct pv_label *l, struct err *e)
{
	uint8_t sec[LABEL_SIZE];
	int r;

	if ((r = pv_label_encode(l, sec, e)))
		return err_set(e, r, "%s", d->name);
	if ((r = dev_write(d, sec, sizeof(sec), l->sector * LABEL_SIZE, DEV_FUA)))
		return err_set(e, r, "%s: writing the label: %s", d->name, strerror(-r));
	return 0;
}
