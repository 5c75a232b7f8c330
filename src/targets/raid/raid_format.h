/* The on-disk formats of a dm-raid metadata device (rmeta), as the kernel
 * writes them (drivers/md/dm-raid.c: struct dm_raid_superblock;
 * drivers/md/md-bitmap.h: bitmap_super_t), so one rmeta serves ulvm and
 * the kernel alike and `mdadm --examine-bitmap` reads our bitmap:
 *
 *   byte 0     the dm-raid superblock (148 bytes, rest of its 512-byte
 *              block zero), little-endian, no checksum;
 *   byte 4096  the MD write-intent bitmap superblock (256 bytes),
 *   byte 4352  its bits: one per region, little-endian bit order.
 *
 * Pure codecs: explicit little-endian field access, no I/O.
 */
#ifndef ULVM_TARGETS_RAID_FORMAT_H
#define ULVM_TARGETS_RAID_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RAID_SB_MAGIC        0x64526D44u /* "DmRd" */
#define RAID_SB_V190         0x1u        /* compat_features: fields from byte 60 on */
#define RAID_SB_SIZE         148u
#define RAID_SB_BLOCK        512u
#define RAID_MAX_DEVS        253u        /* dm-raid's MAX_RAID_DEVICES */
#define RAID_MAX_SECTOR      UINT64_MAX  /* MaxSector: in sync / no reshape */

#define RAID_BITMAP_OFFSET   4096u
#define RAID_BITMAP_SB_SIZE  256u
#define RAID_BITMAP_BITS_AT  (RAID_BITMAP_OFFSET + RAID_BITMAP_SB_SIZE)
#define RAID_BITMAP_MAGIC    0x6d746962u /* "bitm" */
#define RAID_BITMAP_VERSION  4u          /* BITMAP_MAJOR_HI */
#define RAID_BITMAP_STALE    (1u << 1)

struct raid_sb {
	uint32_t compat_features;
	uint32_t num_devices;
	uint32_t array_position;
	uint64_t events;
	uint64_t failed[4];             /* failed_devices, extended_failed_devices[3] */
	uint64_t disk_recovery_offset;  /* this device's rebuild progress */
	uint64_t array_resync_offset;   /* the array's resync checkpoint */
	uint32_t level, layout, stripe_sectors, flags;
	uint64_t reshape_position;
	uint32_t new_level, new_layout, new_stripe_sectors;
	int32_t delta_disks;
	uint64_t array_sectors, data_offset, new_data_offset, sectors;
	uint32_t incompat_features;
};

struct raid_bitmap_sb {
	uint32_t version;
	uint8_t uuid[16];
	uint64_t events, events_cleared, sync_size; /* sync_size in sectors */
	uint32_t state, chunksize;                   /* chunksize in bytes */
	uint32_t daemon_sleep, write_behind;         /* seconds; sectors */
	uint32_t sectors_reserved, nodes;
	char cluster_name[64];
};

/* 0; -ENODATA when the magic is not there (a new device: it gets a new
 * superblock); -EINVAL with *@why for one this code must not use. */
int raid_sb_decode(const uint8_t *b, size_t n, struct raid_sb *sb, const char **why);
/* Fills RAID_SB_BLOCK bytes. */
void raid_sb_encode(uint8_t *b, const struct raid_sb *sb);
int raid_bitmap_sb_decode(const uint8_t *b, size_t n, struct raid_bitmap_sb *bs, const char **why);
/* Fills RAID_BITMAP_SB_SIZE bytes. */
void raid_bitmap_sb_encode(uint8_t *b, const struct raid_bitmap_sb *bs);

static inline bool raid_failed_test(const uint64_t *f, unsigned i) { return f[i / 64] >> (i % 64) & 1; }
static inline void raid_failed_set(uint64_t *f, unsigned i) { f[i / 64] |= UINT64_C(1) << (i % 64); }
static inline void raid_failed_clear(uint64_t *f, unsigned i) { f[i / 64] &= ~(UINT64_C(1) << (i % 64)); }

#endif
