/* delay: <device> <offset> <delay>
 *        [<write_device> <write_offset> <write_delay>
 *         [<flush_device> <flush_offset> <flush_delay>]]
 *
 * As the kernel's dm-delay.c: three classes of I/O, each sent to its own
 * device after its own delay in milliseconds.  Reads use the first
 * triple; writes (and discard and write_zeroes, which the kernel sees as
 * write bios) the second, or the first if absent; flushes the third, or
 * the write class if absent.  Extents are not delayed and come from the
 * read device (through `map`).
 *
 * The kernel parks bios on a list and a timer releases them; here the
 * calling worker thread simply waits, which is what blocking workers are
 * for.  The wait is on a condition variable rather than nanosleep so that
 * presuspend can release every waiter at once, as the kernel's presuspend
 * flushes the list, and no more I/O is delayed until resume.  INFO prints
 * how many requests of each class are waiting right now.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include "targets/registry.h"

struct delay_class {
	struct dev *dev;
	uint64_t start;  /* sectors */
	uint32_t delay;  /* milliseconds */
	unsigned ops;    /* waiting now; under delay_c.lock */
};

struct delay_c {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool may_delay;
	int argc;
	struct delay_class read;
	struct delay_class write;
	struct delay_class flush;
};

static int delay_class_ctr(struct dm_target *ti, struct delay_class *c, struct arg_set *as)
{
	const char *path = arg_shift(as);
	int r;

	if (arg_u64(as, &c->start) || c->start > (UINT64_MAX >> SECTOR_SHIFT)) {
		ti->error = "Invalid device sector";
		return -EINVAL;
	}
	if (arg_u32(as, 0, UINT32_MAX, &c->delay)) {
		ti->error = "Invalid delay";
		return -EINVAL;
	}
	r = dm_get_device(ti, path, &c->dev);
	if (r)
		return r;
	return 0;
}

static int delay_ctr(struct dm_target *ti, struct arg_set *as)
{
	pthread_condattr_t attr;
	struct delay_c *dc;
	int r;

	if (as->argc != 3 && as->argc != 6 && as->argc != 9) {
		ti->error = "Requires exactly 3, 6 or 9 arguments";
		return -EINVAL;
	}
	dc = calloc(1, sizeof(*dc));
	if (!dc) {
		ti->error = "Cannot allocate context";
		return -ENOMEM;
	}
	dc->argc = as->argc;
	dc->may_delay = true;

	r = delay_class_ctr(ti, &dc->read, as);
	if (r)
		goto bad;
	if (dc->argc >= 6) {
		r = delay_class_ctr(ti, &dc->write, as);
		if (r)
			goto bad;
	} else {
		dc->write = dc->read;
	}
	if (dc->argc == 9) {
		r = delay_class_ctr(ti, &dc->flush, as);
		if (r)
			goto bad;
	} else {
		dc->flush = dc->write;
	}

	r = -pthread_condattr_init(&attr);
	if (r)
		goto bad_sync;
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	r = -pthread_cond_init(&dc->cond, &attr);
	pthread_condattr_destroy(&attr);
	if (r)
		goto bad_sync;
	r = -pthread_mutex_init(&dc->lock, NULL);
	if (r) {
		pthread_cond_destroy(&dc->cond);
		goto bad_sync;
	}
	ti->private = dc;
	return 0;

bad_sync:
	ti->error = "Cannot allocate context";
bad:
	free(dc);
	return r;
}

static void delay_dtr(struct dm_target *ti)
{
	struct delay_c *dc = ti->private;

	pthread_cond_destroy(&dc->cond);
	pthread_mutex_destroy(&dc->lock);
	free(dc);
}

static void delay_wait(struct delay_c *dc, struct delay_class *c)
{
	struct timespec deadline;

	if (!c->delay)
		return;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += c->delay / 1000;
	deadline.tv_nsec += (long)(c->delay % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}

	pthread_mutex_lock(&dc->lock);
	c->ops++;
	while (dc->may_delay &&
	       pthread_cond_timedwait(&dc->cond, &dc->lock, &deadline) != ETIMEDOUT)
		;
	c->ops--;
	pthread_mutex_unlock(&dc->lock);
}

static int delay_read(struct dm_target *ti, void *buf, size_t len, uint64_t off)
{
	struct delay_c *dc = ti->private;

	delay_wait(dc, &dc->read);
	return dev_read(dc->read.dev, buf, len, to_bytes(dc->read.start) + off);
}

static int delay_write(struct dm_target *ti, const void *buf, size_t len, uint64_t off,
		       unsigned flags)
{
	struct delay_c *dc = ti->private;

	delay_wait(dc, &dc->write);
	return dev_write(dc->write.dev, buf, len, to_bytes(dc->write.start) + off, flags);
}

static int delay_flush(struct dm_target *ti)
{
	struct delay_c *dc = ti->private;

	delay_wait(dc, &dc->flush);
	return dev_flush(dc->flush.dev);
}

static int delay_discard(struct dm_target *ti, uint64_t off, uint64_t len)
{
	struct delay_c *dc = ti->private;

	delay_wait(dc, &dc->write);
	return dev_discard(dc->write.dev, to_bytes(dc->write.start) + off, len);
}

static int delay_write_zeroes(struct dm_target *ti, uint64_t off, uint64_t len, unsigned flags)
{
	struct delay_c *dc = ti->private;

	delay_wait(dc, &dc->write);
	return dev_write_zeroes(dc->write.dev, to_bytes(dc->write.start) + off, len, flags);
}

static int delay_map(struct dm_target *ti, uint64_t off, uint64_t len, struct dm_remap *out)
{
	struct delay_c *dc = ti->private;

	out->dev = dc->read.dev;
	out->off = to_bytes(dc->read.start) + off;
	out->len = len;
	return 0;
}

static void delay_presuspend(struct dm_target *ti)
{
	struct delay_c *dc = ti->private;

	pthread_mutex_lock(&dc->lock);
	dc->may_delay = false;
	pthread_cond_broadcast(&dc->cond);
	pthread_mutex_unlock(&dc->lock);
}

static void delay_resume(struct dm_target *ti)
{
	struct delay_c *dc = ti->private;

	pthread_mutex_lock(&dc->lock);
	dc->may_delay = true;
	pthread_mutex_unlock(&dc->lock);
}

static void delay_emit_class(struct dm_target *ti, const struct delay_class *c, char *buf,
			     size_t maxlen)
{
	dm_emit(buf, maxlen, "%s %llu %u", dm_device_name(ti, c->dev),
		(unsigned long long)c->start, c->delay);
}

static void delay_status(struct dm_target *ti, enum status_type type, char *buf, size_t maxlen)
{
	struct delay_c *dc = ti->private;

	switch (type) {
	case STATUSTYPE_INFO:
		pthread_mutex_lock(&dc->lock);
		dm_emit(buf, maxlen, "%u %u %u", dc->read.ops, dc->write.ops, dc->flush.ops);
		pthread_mutex_unlock(&dc->lock);
		break;
	case STATUSTYPE_TABLE_KEYS: /* dm_table_format passes TABLE */
	case STATUSTYPE_TABLE:
		delay_emit_class(ti, &dc->read, buf, maxlen);
		if (dc->argc >= 6) {
			dm_emit(buf, maxlen, " ");
			delay_emit_class(ti, &dc->write, buf, maxlen);
		}
		if (dc->argc >= 9) {
			dm_emit(buf, maxlen, " ");
			delay_emit_class(ti, &dc->flush, buf, maxlen);
		}
		break;
	}
}

static int delay_iterate_devices(struct dm_target *ti, iterate_devices_fn fn, void *data)
{
	struct delay_c *dc = ti->private;
	const struct delay_class *c[] = { &dc->read, &dc->write, &dc->flush };
	int r = 0;

	for (unsigned i = 0; i < 3 && !r; i++)
		r = fn(ti, c[i]->dev, to_bytes(c[i]->start), to_bytes(ti->len), data);
	return r;
}

const struct target_type delay_target = {
	.name = "delay",
	.version = { 1, 2, 1 },
	.ctr = delay_ctr,
	.dtr = delay_dtr,
	.map = delay_map,
	.read = delay_read,
	.write = delay_write,
	.flush = delay_flush,
	.discard = delay_discard,
	.write_zeroes = delay_write_zeroes,
	.presuspend = delay_presuspend,
	.resume = delay_resume,
	.status = delay_status,
	.iterate_devices = delay_iterate_devices,
};
