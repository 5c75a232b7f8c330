/* The PV label: label_header, pv_header and pv_header_extension, all in one
 * 512-byte sector (lib/label/label.h, lib/format_text/layout.h).
 *
 * LVM scans sectors 0..3 of a device; the first sector that starts with
 * "LABELONE", records its own sector number, has a good CRC and the type
 * "LVM2 001" is the label.  pvcreate puts it in sector 1.
 *
 * Layout of the label sector (all integers little-endian):
 *
 *   off   size  field
 *   0x00  8     id             "LABELONE"
 *   0x08  8     sector_xl      index of this sector (0..3)
 *   0x10  4     crc_xl         lvm_crc of bytes 0x14..0x1ff
 *   0x14  4     offset_xl      offset of pv_header in this sector: 32
 *   0x18  8     type           "LVM2 001"
 *   --- pv_header, at offset_xl ---
 *   +0    32    pv_uuid        id characters, no dashes, no NUL
 *   +32   8     device_size    bytes
 *   +40   16*n  data areas     {u64 offset, u64 size} bytes, ended by offset 0
 *         16*m  metadata areas {u64 offset, u64 size} bytes, ended by offset 0
 *   --- pv_header_extension, right after the second list ---
 *   +0    4     version        2 (0: no extension)
 *   +4    4     flags          PV_EXT_USED while the PV is in a VG
 *   +8    16*k  bootloader areas, ended by offset 0
 *
 * Every byte not named above is zero and covered by the CRC.  A list ends
 * at the first entry whose offset is 0 (its size is not looked at), so an
 * area at offset 0 cannot be written.
 */
#ifndef ULVM_LVM_LABEL_H
#define ULVM_LVM_LABEL_H

#include <stdint.h>

#include "common/log.h"
#include "io/dev.h"
#include "lvm/id.h"

#define LVM_SECTOR_SIZE 512
#define LABEL_SIZE 512
#define LABEL_SCAN_SECTORS 4
#define LABEL_SCAN_SIZE (LABEL_SCAN_SECTORS * LVM_SECTOR_SIZE) /* pvcreate zeroes this */
#define LABEL_ID "LABELONE"
#define LABEL_TYPE "LVM2 001"
#define LABEL_HEADER_SIZE 32 /* label_header; the pv_header follows */
#define PV_HEADER_SIZE 40    /* pv_header up to the area lists */
#define DISK_LOCN_SIZE 16
#define PV_EXT_HEADER_SIZE 8

#define PV_HEADER_EXT_VSN 2
#define PV_EXT_USED 0x1u

/* Entries kept per list; more than fit in a sector cannot be written. */
#define PV_LABEL_MAX_AREAS 8

/* An area of the device, in bytes. */
struct disk_locn {
	uint64_t offset;
	uint64_t size; /* data area: 0 = to the end of the device */
};

struct pv_label {
	uint64_t sector; /* where the label is: 0..3 */
	char pv_uuid[LVM_ID_LEN + 1];
	uint64_t device_size; /* bytes */
	unsigned n_data, n_mda, n_ba;
	struct disk_locn data[PV_LABEL_MAX_AREAS];
	struct disk_locn mda[PV_LABEL_MAX_AREAS];
	struct disk_locn ba[PV_LABEL_MAX_AREAS];
	uint32_t ext_version; /* 0 = no extension on disk */
	uint32_t ext_flags;
};

/* Decode the label in @sec, read from sector @sector (0..3): checks the id,
 * sector_xl, CRC, type, the pv_header bounds and the uuid characters. */
int pv_label_decode(const uint8_t sec[LABEL_SIZE], uint64_t sector, struct pv_label *l,
		    struct err *e);
/* Fill @sec (all 512 bytes, CRC included) from @l. */
int pv_label_encode(const struct pv_label *l, uint8_t sec[LABEL_SIZE], struct err *e);

/* Scan sectors 0..3 of @d as LVM does.  -ENOENT (with a message) when no
 * sector starts with "LABELONE"; -EINVAL when every candidate was refused
 * (the message says why the last one was). */
int pv_label_read(struct dev *d, struct pv_label *l, struct err *e);
/* Write the label sector l->sector (only that sector), with FUA. */
int pv_label_write(struct dev *d, const struct pv_label *l, struct err *e);

#endif
