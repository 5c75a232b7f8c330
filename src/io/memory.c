/* struct dev over zero-filled memory, for unit tests.  Holes are not
 * tracked: extents report everything as data. */
#include "io/dev.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct mem_dev {
	struct dev dev;
	unsigned char *data;
};

static unsigned char *at(struct dev *d, uint64_t off) { return ((struct mem_dev *)d)->data + off; }

static int mem_read(struct dev *d, void *buf, size_t len, uint64_t off)
{
	memcpy(buf, at(d, off), len);
	return 0;
}

static int mem_write(struct dev *d, const void *buf, size_t len, uint64_t off, unsigned flags)
{
	(void)flags;
	memcpy(at(d, off), buf, len);
	return 0;
}

static int mem_write_zeroes(struct dev *d, uint64_t off, uint64_t len, unsigned flags)
{
	(void)flags;
	memset(at(d, off), 0, len);
	return 0;
}

static void mem_destroy(struct dev *d)
{
	free(((struct mem_dev *)d)->data);
	free(d);
}

static const struct dev_ops mem_ops = {
	.read = mem_read,
	.write = mem_write,
	.write_zeroes = mem_write_zeroes,
	.destroy = mem_destroy,
};

int dev_new_memory(uint64_t size, struct dev **out)
{
	struct mem_dev *m = calloc(1, sizeof(*m));

	if (!m)
		return -ENOMEM;
	m->data = calloc(1, size ? size : 1);
	if (!m->data) {
		free(m);
		return -ENOMEM;
	}
	dev_init(&m->dev, &mem_ops, "memory", size);
	*out = &m->dev;
	return 0;
}
