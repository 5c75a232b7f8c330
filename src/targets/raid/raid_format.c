#include "targets/raid/raid_format.h"

#include <errno.h>
#include <string.h>

#include "common/le.h"

int raid_sb_decode(const uint8_t *b, size_t n, struct raid_sb *sb, const char **why)
{
	memset(sb, 0, sizeof(*sb));
	if (n < RAID_SB_SIZE || le32_get(b) != RAID_SB_MAGIC)
		return -ENODATA;
	sb->compat_features = le32_get(b + 4);
	sb->num_devices = le32_get(b + 8);
	sb->array_position = le32_get(b + 12);
	sb->events = le64_get(b + 16);
	sb->failed[0] = le64_get(b + 24);
	sb->disk_recovery_offset = le64_get(b + 32);
	sb->array_resync_offset = le64_get(b + 40);
	sb->level = le32_get(b + 48);
	sb->layout = le32_get(b + 52);
	sb->stripe_sectors = le32_get(b + 56);
	sb->flags = le32_get(b + 60);
	sb->reshape_position = le64_get(b + 64);
	sb->new_level = le32_get(b + 72);
	sb->new_layout = le32_get(b + 76);
	sb->new_stripe_sectors = le32_get(b + 80);
	sb->delta_disks = (int32_t)le32_get(b + 84);
	sb->array_sectors = le64_get(b + 88);
	sb->data_offset = le64_get(b + 96);
	sb->new_data_offset = le64_get(b + 104);
	sb->sectors = le64_get(b + 112);
	for (int i = 0; i < 3; i++)
		sb->failed[1 + i] = le64_get(b + 120 + 8 * i);
	sb->incompat_features = le32_get(b + 144);
	if (sb->compat_features != RAID_SB_V190) {
		*why = "unknown compat features in the raid superblock";
		return -EINVAL;
	}
	if (sb->incompat_features) {
		*why = "incompatible features in the raid superblock";
		return -EINVAL;
	}
	if (sb->num_devices == 0 || sb->num_devices > RAID_MAX_DEVS ||
	    sb->array_position >= sb->num_devices) {
		*why = "impossible device count or position in the raid superblock";
		return -EINVAL;
	}
	if (sb->flags & 1u) {
		*why = "the raid superblock records a reshape in progress (not supported)";
		return -EINVAL;
	}
	return 0;
}

void raid_sb_encode(uint8_t *b, const struct raid_sb *sb)
{
	memset(b, 0, RAID_SB_BLOCK);
	le32_put(b, RAID_SB_MAGIC);
	le32_put(b + 4, sb->compat_features);
	le32_put(b + 8, sb->num_devices);
	le32_put(b + 12, sb->array_position);
	le64_put(b + 16, sb->events);
	le64_put(b + 24, sb->failed[0]);
	le64_put(b + 32, sb->disk_recovery_offset);
	le64_put(b + 40, sb->array_resync_offset);
	le32_put(b + 48, sb->level);
	le32_put(b + 52, sb->layout);
	le32_put(b + 56, sb->stripe_sectors);
	le32_put(b + 60, sb->flags);
	le64_put(b + 64, sb->reshape_position);
	le32_put(b + 72, sb->new_level);
	le32_put(b + 76, sb->new_layout);
	le32_put(b + 80, sb->new_stripe_sectors);
	le32_put(b + 84, (uint32_t)sb->delta_disks);
	le64_put(b + 88, sb->array_sectors);
	le64_put(b + 96, sb->data_offset);
	le64_put(b + 104, sb->new_data_offset);
	le64_put(b + 112, sb->sectors);
	for (int i = 0; i < 3; i++)
		le64_put(b + 120 + 8 * i, sb->failed[1 + i]);
	le32_put(b + 144, sb->incompat_features);
}

int raid_bitmap_sb_decode(const uint8_t *b, size_t n, struct raid_bitmap_sb *bs, const char **why)
{
	memset(bs, 0, sizeof(*bs));
	if (n < RAID_BITMAP_SB_SIZE || le32_get(b) != RAID_BITMAP_MAGIC)
		return -ENODATA;
	bs->version = le32_get(b + 4);
	memcpy(bs->uuid, b + 8, 16);
	bs->events = le64_get(b + 24);
	bs->events_cleared = le64_get(b + 32);
	bs->sync_size = le64_get(b + 40);
	bs->state = le32_get(b + 48);
	bs->chunksize = le32_get(b + 52);
	bs->daemon_sleep = le32_get(b + 56);
	bs->write_behind = le32_get(b + 60);
	bs->sectors_reserved = le32_get(b + 64);
	bs->nodes = le32_get(b + 68);
	/* a C string: what follows its end is not kept */
	memcpy(bs->cluster_name, b + 72, strnlen((const char *)b + 72, sizeof(bs->cluster_name) - 1));
	if (bs->version != RAID_BITMAP_VERSION) {
		*why = "unsupported write-intent bitmap version";
		return -EINVAL;
	}
	if (bs->chunksize < 512 || bs->chunksize & (bs->chunksize - 1)) {
		*why = "write-intent bitmap chunk size is not a power of two";
		return -EINVAL;
	}
	if (bs->nodes > 1) {
		*why = "clustered write-intent bitmap (not supported)";
		return -EINVAL;
	}
	return 0;
}

void raid_bitmap_sb_encode(uint8_t *b, const struct raid_bitmap_sb *bs)
{
	memset(b, 0, RAID_BITMAP_SB_SIZE);
	le32_put(b, RAID_BITMAP_MAGIC);
	le32_put(b + 4, bs->version);
	memcpy(b + 8, bs->uuid, 16);
	le64_put(b + 24, bs->events);
	le64_put(b + 32, bs->events_cleared);
	le64_put(b + 40, bs->sync_size);
	le32_put(b + 48, bs->state);
	le32_put(b + 52, bs->chunksize);
	le32_put(b + 56, bs->daemon_sleep);
	le32_put(b + 60, bs->write_behind);
	le32_put(b + 64, bs->sectors_reserved);
	le32_put(b + 68, bs->nodes);
	memcpy(b + 72, bs->cluster_name, strnlen(bs->cluster_name, sizeof(bs->cluster_name) - 1));
}
