/* flakey: <dev> <offset> <up interval> <down interval> [<#feature args> [<arg>]*]
 *
 * As the kernel's dm-flakey.c (version 1.5 with error_reads and the
 * random corruptions): the device passes I/O through for <up interval>
 * seconds, then misbehaves for <down interval> seconds, and repeats.  Time
 * counts from the constructor (CLOCK_MONOTONIC, as the kernel counts
 * jiffies from ctr).  While down:
 *   reads   fail with error_reads; else pass, then are corrupted by
 *           corrupt_bio_byte <n> r ... and random_read_corrupt;
 *   writes  (also discard, write_zeroes and flush, which the kernel sees
 *           as write bios) succeed without reaching the device with
 *           drop_writes, fail with error_writes; else pass, and data is
 *           corrupted on a copy by corrupt_bio_byte <n> w ... and
 *           random_write_corrupt.
 * With no features at all every I/O fails while down (the kernel sets
 * error_reads and error_writes; we remember that they were implicit so
 * that the table prints back as it was given).
 *
 * corrupt_bio_byte's <flags> are matched against a kernel-like bi_opf:
 * REQ_OP_WRITE (1) for writes, plus REQ_SYNC | REQ_FUA for FUA writes.
 *
 * `map` is the pass-through, used by the core for extents.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "targets/registry.h"

#define PROBABILITY_BASE 1000000000u

#define FLAKEY_REQ_OP_WRITE 1u
#define FLAKEY_REQ_SYNC (1u << 11)
#define FLAKEY_REQ_FUA (1u << 17)

enum corrupt_dir { CORRUPT_NONE, CORRUPT_READ, CORRUPT_WRITE };

struct flakey_c {
	struct dev *dev;
	uint64_t start;     /* sectors */
	struct timespec start_time;
	uint32_t up_interval;
	uint32_t down_interval;
	bool error_reads;
	bool drop_writes;
	bool error_writes;
	bool implicit_errors; /* no features given: error everything */
	uint32_t corrupt_bio_byte; /* 1-based; 0 = off */
	enum corrupt_dir corrupt_bio_rw;
	uint32_t corrupt_bio_value;
	uint32_t corrupt_bio_flags;
	uint32_t random_read_corrupt;  /* per PROBABILITY_BASE */
	uint32_t random_write_corrupt;
	atomic_uint_least64_t rng;
};

static int parse_features(struct arg_set *as, struct flakey_c *fc, struct dm_target *ti)
{
	uint32_t argc = 0;
	const char *name;

	/* The kernel's dm_read_arg_group: the group must fit in what is left. */
	if (as->argc && (arg_u32(as, 0, 11, &argc) || argc > (uint32_t)as->argc)) {
		ti->error = "Invalid number of feature args";
		return -EINVAL;
	}
	if (!argc)
		goto error_all_io;

	while (argc) {
		name = arg_shift(as);
		argc--;

		if (!strcasecmp(name, "error_reads")) {
			if (fc->error_reads) {
				ti->error = "Feature error_reads duplicated";
				return -EINVAL;
			}
			fc->error_reads = true;
			continue;
		}
		if (!strcasecmp(name, "drop_writes")) {
			if (fc->drop_writes) {
				ti->error = "Feature drop_writes duplicated";
				return -EINVAL;
			}
			fc->drop_writes = true;
			if (fc->error_writes) {
				ti->error = "Feature drop_writes conflicts with feature error_writes";
				return -EINVAL;
			}
			continue;
		}
		if (!strcasecmp(name, "error_writes")) {
			if (fc->error_writes) {
				ti->error = "Feature error_writes duplicated";
				return -EINVAL;
			}
			fc->error_writes = true;
			if (fc->drop_writes) {
				ti->error = "Feature error_writes conflicts with feature drop_writes";
				return -EINVAL;
			}
			continue;
		}
		if (!strcasecmp(name, "corrupt_bio_byte")) {
			const char *dir;

			if (fc->corrupt_bio_byte) {
				ti->error = "Feature corrupt_bio_byte duplicated";
				return -EINVAL;
			}
			if (argc < 4) {
				ti->error = "Feature corrupt_bio_byte requires 4 parameters";
				return -EINVAL;
			}
			if (arg_u32(as, 1, UINT32_MAX, &fc->corrupt_bio_byte)) {
				ti->error = "Invalid corrupt bio byte";
				return -EINVAL;
			}
			dir = arg_shift(as);
			if (!strcasecmp(dir, "w")) {
				fc->corrupt_bio_rw = CORRUPT_WRITE;
			} else if (!strcasecmp(dir, "r")) {
				fc->corrupt_bio_rw = CORRUPT_READ;
			} else {
				ti->error = "Invalid corrupt bio direction (r or w)";
				return -EINVAL;
			}
			if (arg_u32(as, 0, 255, &fc->corrupt_bio_value)) {
				ti->error = "Invalid corrupt value to write into bio byte (0-255)";
				return -EINVAL;
			}
			if (arg_u32(as, 0, UINT32_MAX, &fc->corrupt_bio_flags)) {
				ti->error = "Invalid corrupt bio flags mask";
				return -EINVAL;
			}
			argc -= 4;
			continue;
		}
		if (!strcasecmp(name, "random_read_corrupt") ||
		    !strcasecmp(name, "random_write_corrupt")) {
			bool rd = !strcasecmp(name, "random_read_corrupt");
			uint32_t *p = rd ? &fc->random_read_corrupt : &fc->random_write_corrupt;

			if (*p) {
				ti->error = rd ? "Feature random_read_corrupt duplicated" :
						 "Feature random_write_corrupt duplicated";
				return -EINVAL;
			}
			if (!argc) {
				ti->error = rd ? "Feature random_read_corrupt requires a parameter" :
						 "Feature random_write_corrupt requires a parameter";
				return -EINVAL;
			}
			if (arg_u32(as, 0, PROBABILITY_BASE, p)) {
				ti->error = "Invalid random corrupt argument";
				return -EINVAL;
			}
			argc--;
			continue;
		}
		ti->error = "Unrecognised flakey feature requested";
		return -EINVAL;
	}

	if ((fc->drop_writes || fc->error_writes) &&
	    (fc->corrupt_bio_rw == CORRUPT_WRITE || fc->random_write_corrupt)) {
		ti->error = fc->drop_writes ?
			"drop_writes is incompatible with random_write_corrupt or corrupt_bio_byte with the WRITE flag set" :
			"error_writes is incompatible with random_write_corrupt or corrupt_bio_byte with the WRITE flag set";
		return -EINVAL;
	}
	if (fc->error_reads && (fc->corrupt_bio_rw == CORRUPT_READ || fc->random_read_corrupt)) {
		ti->error = "error_reads is incompatible with random_read_corrupt or corrupt_bio_byte with the READ flag set";
		return -EINVAL;
	}
	if (fc->corrupt_bio_byte || fc->error_reads || fc->drop_writes || fc->error_writes ||
	    fc->random_read_corrupt || fc->random_write_corrupt)
		return 0;
error_all_io:
	fc->error_reads = fc->error_writes = true;
	fc->implicit_errors = true;
	return 0;
}

static int flakey_ctr(struct dm_target *ti, struct arg_set *as)
{
	struct flakey_c *fc;
	const char *path;
	int r;

	if (as->argc < 4) {
		ti->error = "Invalid argument count";
		return -EINVAL;
	}
	fc = calloc(1, sizeof(*fc));
	if (!fc) {
		ti->error = "Cannot allocate context";
		return -ENOMEM;
	}
	clock_gettime(CLOCK_MONOTONIC, &fc->start_time);
	atomic_init(&fc->rng, (uint64_t)fc->start_time.tv_nsec ^ (uintptr_t)fc);

	path = arg_shift(as);
	r = -EINVAL;
	if (arg_u64(as, &fc->start) || fc->start > (UINT64_MAX >> SECTOR_SHIFT)) {
		ti->error = "Invalid device sector";
		goto bad;
	}
	if (arg_u32(as, 0, UINT32_MAX, &fc->up_interval)) {
		ti->error = "Invalid up interval";
		goto bad;
	}
	if (arg_u32(as, 0, UINT32_MAX, &fc->down_interval)) {
		ti->error = "Invalid down interval";
		goto bad;
	}
	if (!fc->up_interval && !fc->down_interval) {
		ti->error = "Total (up + down) interval is zero";
		goto bad;
	}
	if ((uint64_t)fc->up_interval + fc->down_interval > UINT32_MAX) {
		ti->error = "Interval overflow";
		goto bad;
	}
	r = parse_features(as, fc, ti);
	if (r)
		goto bad;
	/* The kernel ignores words after the feature group; they would not
	 * print back, so refuse them. */
	r = -EINVAL;
	if (as->argc) {
		ti->error = "Invalid argument count";
		goto bad;
	}
	r = dm_get_device(ti, path, &fc->dev);
	if (r)
		goto bad;
	ti->private = fc;
	return 0;
bad:
	free(fc);
	return r;
}

static void flakey_dtr(struct dm_target *ti)
{
	free(ti->private);
}

static bool flakey_down(struct flakey_c *fc)
{
	struct timespec now;
	uint64_t elapsed;

	clock_gettime(CLOCK_MONOTONIC, &now);
	elapsed = (uint64_t)(now.tv_sec - fc->start_time.tv_sec);
	if (now.tv_nsec < fc->start_time.tv_nsec && elapsed)
		elapsed--;
	return elapsed % ((uint64_t)fc->up_interval + fc->down_interval) >= fc->up_interval;
}

/* splitmix64 on a shared atomic counter: cheap and thread-safe. */
static uint64_t flakey_random(struct flakey_c *fc)
{
	uint64_t z = atomic_fetch_add(&fc->rng, 0x9e3779b97f4a7c15ull) + 0x9e3779b97f4a7c15ull;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static bool flakey_chance(struct flakey_c *fc, uint32_t p)
{
	return p && flakey_random(fc) % PROBABILITY_BASE < p;
}

static bool corrupt_flags_match(struct flakey_c *fc, uint32_t opf)
{
	return (opf & fc->corrupt_bio_flags) == fc->corrupt_bio_flags;
}

static void corrupt_fixed(struct flakey_c *fc, unsigned char *buf, size_t len)
{
	if (fc->corrupt_bio_byte - 1 < len)
		buf[fc->corrupt_bio_byte - 1] = (unsigned char)fc->corrupt_bio_value;
}

static void corrupt_random(struct flakey_c *fc, unsigned char *buf, size_t len)
{
	uint64_t rnd = flakey_random(fc);

	if (len)
		buf[(rnd >> 8) % len] = (unsigned char)rnd;
}

static uint64_t lower_off(struct flakey_c *fc, uint64_t off)
{
	return to_bytes(fc->start) + off;
}

static int flakey_read(struct dm_target *ti, void *buf, size_t len, uint64_t off)
{
	struct flakey_c *fc = ti->private;
	bool down = flakey_down(fc);
	int r;

	if (down && fc->error_reads)
		return -EIO;
	r = dev_read(fc->dev, buf, len, lower_off(fc, off));
	if (r || !down)
		return r;
	if (fc->corrupt_bio_rw == CORRUPT_READ && corrupt_flags_match(fc, 0))
		corrupt_fixed(fc, buf, len);
	if (flakey_chance(fc, fc->random_read_corrupt))
		corrupt_random(fc, buf, len);
	return 0;
}

/* What a write-like op does while down: <0 fail, 1 drop, 0 pass. */
static int flakey_write_verdict(struct flakey_c *fc)
{
	if (fc->drop_writes)
		return 1;
	if (fc->error_writes)
		return -EIO;
	return 0;
}

static int flakey_write(struct dm_target *ti, const void *buf, size_t len, uint64_t off,
			unsigned flags)
{
	struct flakey_c *fc = ti->private;
	uint32_t opf = FLAKEY_REQ_OP_WRITE;
	bool fixed, rnd;
	unsigned char *copy;
	int r;

	if (!flakey_down(fc))
		return dev_write(fc->dev, buf, len, lower_off(fc, off), flags);
	r = flakey_write_verdict(fc);
	if (r)
		return r < 0 ? r : 0;

	if (flags & DEV_FUA)
		opf |= FLAKEY_REQ_SYNC | FLAKEY_REQ_FUA;
	fixed = fc->corrupt_bio_rw == CORRUPT_WRITE && corrupt_flags_match(fc, opf);
	rnd = flakey_chance(fc, fc->random_write_corrupt);
	if (!fixed && !rnd)
		return dev_write(fc->dev, buf, len, lower_off(fc, off), flags);

	/* Corrupt a copy: the caller's buffer is not ours to change. */
	copy = malloc(len ? len : 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, buf, len);
	if (fixed)
		corrupt_fixed(fc, copy, len);
	if (rnd)
		corrupt_random(fc, copy, len);
	r = dev_write(fc->dev, copy, len, lower_off(fc, off), flags);
	free(copy);
	return r;
}

static int flakey_flush(struct dm_target *ti)
{
	struct flakey_c *fc = ti->private;
	int r = flakey_down(fc) ? flakey_write_verdict(fc) : 0;

	if (r)
		return r < 0 ? r : 0;
	return dev_flush(fc->dev);
}

static int flakey_discard(struct dm_target *ti, uint64_t off, uint64_t len)
{
	struct flakey_c *fc = ti->private;
	int r = flakey_down(fc) ? flakey_write_verdict(fc) : 0;

	if (r)
		return r < 0 ? r : 0;
	return dev_discard(fc->dev, lower_off(fc, off), len);
}

static int flakey_write_zeroes(struct dm_target *ti, uint64_t off, uint64_t len, unsigned flags)
{
	struct flakey_c *fc = ti->private;
	int r = flakey_down(fc) ? flakey_write_verdict(fc) : 0;

	if (r)
		return r < 0 ? r : 0;
	return dev_write_zeroes(fc->dev, lower_off(fc, off), len, flags);
}

static int flakey_map(struct dm_target *ti, uint64_t off, uint64_t len, struct dm_remap *out)
{
	struct flakey_c *fc = ti->private;

	out->dev = fc->dev;
	out->off = lower_off(fc, off);
	out->len = len;
	return 0;
}

static void flakey_status(struct dm_target *ti, enum status_type type, char *buf, size_t maxlen)
{
	struct flakey_c *fc = ti->private;
	unsigned n = 0;

	if (type == STATUSTYPE_INFO) {
		if (maxlen)
			buf[0] = '\0';
		return;
	}
	dm_emit(buf, maxlen, "%s %llu %u %u", dm_device_name(ti, fc->dev),
		(unsigned long long)fc->start, fc->up_interval, fc->down_interval);
	if (fc->implicit_errors) {
		dm_emit(buf, maxlen, " 0");
		return;
	}
	n = fc->error_reads + fc->drop_writes + fc->error_writes +
	    (fc->corrupt_bio_byte > 0) * 5 + (fc->random_read_corrupt > 0) * 2 +
	    (fc->random_write_corrupt > 0) * 2;
	dm_emit(buf, maxlen, " %u", n);
	if (fc->error_reads)
		dm_emit(buf, maxlen, " error_reads");
	if (fc->drop_writes)
		dm_emit(buf, maxlen, " drop_writes");
	else if (fc->error_writes)
		dm_emit(buf, maxlen, " error_writes");
	if (fc->corrupt_bio_byte)
		dm_emit(buf, maxlen, " corrupt_bio_byte %u %c %u %u", fc->corrupt_bio_byte,
			fc->corrupt_bio_rw == CORRUPT_WRITE ? 'w' : 'r', fc->corrupt_bio_value,
			fc->corrupt_bio_flags);
	if (fc->random_read_corrupt)
		dm_emit(buf, maxlen, " random_read_corrupt %u", fc->random_read_corrupt);
	if (fc->random_write_corrupt)
		dm_emit(buf, maxlen, " random_write_corrupt %u", fc->random_write_corrupt);
}

static int flakey_iterate_devices(struct dm_target *ti, iterate_devices_fn fn, void *data)
{
	struct flakey_c *fc = ti->private;

	return fn(ti, fc->dev, to_bytes(fc->start), to_bytes(ti->len), data);
}

const struct target_type flakey_target = {
	.name = "flakey",
	.version = { 1, 5, 0 },
	.ctr = flakey_ctr,
	.dtr = flakey_dtr,
	.map = flakey_map,
	.read = flakey_read,
	.write = flakey_write,
	.flush = flakey_flush,
	.discard = flakey_discard,
	.write_zeroes = flakey_write_zeroes,
	.status = flakey_status,
	.iterate_devices = flakey_iterate_devices,
};
