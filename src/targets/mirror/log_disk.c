/* "disk" log: the clean bits on a log device in the kernel's format
 * (log_disk.h), disk <log_dev> <region_size> [[no]sync]. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/le.h"
#include "common/log.h"
#include "targets/mirror/log_disk.h"
#include "targets/mirror/mirror.h"

struct disk_log {
	struct dev *dev;
	uint8_t *buf;
	size_t len;
	bool failed, flush_failed;
};

size_t mlog_size(uint64_t nregions)
{
	size_t n = MLOG_BITS_OFFSET + (size_t)((nregions + 31) / 32) * 4;

	return (n + 511) & ~(size_t)511;
}

void mlog_encode(uint8_t *buf, uint64_t nregions, const uint32_t *bits)
{
	size_t words = (size_t)((nregions + 31) / 32);

	memset(buf, 0, mlog_size(nregions));
	le32_put(buf, MLOG_MAGIC);
	le32_put(buf + 4, MLOG_VERSION);
	le64_put(buf + 8, nregions);
	for (size_t i = 0; i < words; i++)
		le32_put(buf + MLOG_BITS_OFFSET + i * 4, bits[i]);
}

int mlog_decode(const uint8_t *buf, size_t len, uint64_t nregions, uint32_t *bits, size_t words, const char **why)
{
	uint32_t version;
	uint64_t have;

	if (len < 16) {
		*why = "mirror log: shorter than its header";
		return -EINVAL;
	}
	if (le32_get(buf) != MLOG_MAGIC)
		return -ENODATA;
	version = le32_get(buf + 4);
	if (version != 1 && version != MLOG_VERSION) { /* 1: the same on little-endian hosts */
		*why = "mirror log: incompatible disk log version";
		return -EINVAL;
	}
	have = le64_get(buf + 8);
	if (have > nregions) /* the mirror shrank: the regions gone are dropped */
		have = nregions;
	if (len < MLOG_BITS_OFFSET + (size_t)((have + 31) / 32) * 4) {
		*why = "mirror log: its bits run past the log device";
		return -EINVAL;
	}
	memset(bits, 0, words * 4);
	for (size_t i = 0; i < (size_t)((have + 31) / 32) && i < words; i++)
		bits[i] = le32_get(buf + MLOG_BITS_OFFSET + i * 4);
	/* regions the log did not have (the mirror grew) are not clean */
	for (uint64_t r = have; r < (uint64_t)words * 32; r++)
		bits[r / 32] &= ~(UINT32_C(1) << (r % 32));
	return 0;
}

static int disk_ctr(struct mirror_log *log, struct dm_target *ti, char **argv)
{
	struct disk_log *d = calloc(1, sizeof(*d));
	int r;

	if (!d)
		return -ENOMEM;
	log->priv = d;
	if ((r = dm_get_device(ti, argv[0], &d->dev)))
		return r;
	d->len = mlog_size(log->nregions);
	if (d->len > d->dev->size) {
		dm_target_set_error(ti, "Error creating mirror dirty log: log device %s is too small (%zu bytes needed)",
				    argv[0], d->len);
		return -EINVAL;
	}
	if (!(d->buf = aligned_alloc(4096, (d->len + 4095) & ~(size_t)4095)))
		return -ENOMEM;
	return 0;
}

static void disk_dtr(struct mirror_log *log)
{
	struct disk_log *d = log->priv;

	if (d)
		free(d->buf);
	free(d);
}

static int disk_load(struct mirror_log *log)
{
	struct disk_log *d = log->priv;
	const char *why = "";
	int r = dev_read(d->dev, d->buf, d->len, 0);

	if (r) {
		/* as the kernel: an unreadable log means every region is out of sync */
		log_warn("mirror: %s: cannot read the log (%s): every region is copied again", d->dev->name,
			 strerror(-r));
		d->failed = true;
		return -ENODATA;
	}
	r = mlog_decode(d->buf, d->len, log->nregions, log->clean, log->words, &why);
	if (r == -EINVAL)
		log_warn("mirror: %s: %s", d->dev->name, why);
	return r;
}

static int disk_store(struct mirror_log *log)
{
	struct disk_log *d = log->priv;
	int r;

	mlog_encode(d->buf, log->nregions, log->shadow);
	if ((r = dev_write(d->dev, d->buf, d->len, 0, DEV_FUA))) {
		if (!d->failed)
			log_warn("mirror: %s: cannot write the log: %s", d->dev->name, strerror(-r));
		d->failed = true;
	}
	return r;
}

static void disk_status(struct mirror_log *log, struct dm_target *ti, char *buf, size_t maxlen)
{
	struct disk_log *d = log->priv;

	dm_emit(buf, maxlen, "3 %s %s %c", log->type->name, dm_device_name(ti, d->dev),
		d->flush_failed ? 'F' : d->failed ? 'D' : 'A');
}

static void disk_table_args(struct mirror_log *log, struct dm_target *ti, char *buf, size_t maxlen)
{
	struct disk_log *d = log->priv;

	dm_emit(buf, maxlen, "%s ", dm_device_name(ti, d->dev));
}

const struct mirror_log_type mirror_log_disk = {
	.name = "disk",
	.dev_args = 1,
	.ctr = disk_ctr,
	.dtr = disk_dtr,
	.load = disk_load,
	.store = disk_store,
	.status_info = disk_status,
	.table_args = disk_table_args,
};
