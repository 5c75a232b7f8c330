#include <errno.h>

#include "io/dev_segs.h"

static int add_seg(void *opaque, uint64_t off, uint64_t len, uint32_t flags)
{
	struct dev_segs *g = opaque;
	bool hole = flags & (DEV_EXT_HOLE | DEV_EXT_ZERO);

	off -= g->base;
	if (g->n && g->s[g->n - 1].hole == hole && g->s[g->n - 1].off + g->s[g->n - 1].len == off) {
		g->s[g->n - 1].len += len;
		return 0;
	}
	if (g->n == DEV_SEGS_MAX) { /* too fragmented to care: the rest is data */
		g->s[g->n - 1].len = off + len - g->s[g->n - 1].off;
		g->s[g->n - 1].hole = false;
		return 0;
	}
	g->s[g->n++] = (struct dev_seg){ off, len, hole };
	return 0;
}

void dev_segs_of(struct dev *d, uint64_t off, uint64_t len, struct dev_segs *g)
{
	g->n = 0;
	g->base = off;
	if (dev_extents(d, off, len, add_seg, g) || !g->n)
		g->s[0] = (struct dev_seg){ 0, len, false }, g->n = 1;
}

/* Is @pos (relative) a hole in @g, and for how long is that so? */
static bool dev_segs_hole_at(const struct dev_segs *g, uint64_t pos, uint64_t *run)
{
	for (unsigned i = 0; i < g->n; i++) {
		if (pos >= g->s[i].off && pos < g->s[i].off + g->s[i].len) {
			*run = g->s[i].off + g->s[i].len - pos;
			return g->s[i].hole;
		}
	}
	*run = UINT64_MAX; /* past what the device reported: data */
	return false;
}

uint64_t dev_segs_step(const struct dev_segs *s, const struct dev_segs *t, uint64_t pos, uint64_t len, bool *s_hole,
		       bool *t_hole)
{
	uint64_t sr, tr, step = len - pos;

	*s_hole = dev_segs_hole_at(s, pos, &sr);
	*t_hole = dev_segs_hole_at(t, pos, &tr);
	if (sr < step)
		step = sr;
	return tr < step ? tr : step;
}

int dev_copy(struct dev *src, uint64_t s_off, struct dev *dst, uint64_t d_off, uint64_t len, void *buf,
	     size_t buf_len, struct dev_copy_count *k, bool *src_failed)
{
	struct dev_segs S, T;
	int r = 0;

	*src_failed = false;
	while (len && !r) {
		uint64_t n = len < buf_len ? len : buf_len;

		dev_segs_of(src, s_off, n, &S);
		dev_segs_of(dst, d_off, n, &T);
		for (uint64_t pos = 0; pos < n && !r;) {
			bool sh, th;
			uint64_t step = dev_segs_step(&S, &T, pos, n, &sh, &th);

			if (sh && th) {
				k->skipped += step;
			} else if (sh) {
				r = dev_write_zeroes(dst, d_off + pos, step, 0);
				k->copied += step;
			} else if ((r = dev_read(src, buf, step, s_off + pos))) {
				*src_failed = true;
			} else {
				r = dev_write(dst, buf, step, d_off + pos, 0);
				k->copied += step;
			}
			pos += step;
		}
		s_off += n;
		d_off += n;
		len -= n;
	}
	return r;
}
