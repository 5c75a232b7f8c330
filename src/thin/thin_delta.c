/* thin_meta_delta: the mapping trees of two thin devices compared with
 * btree_diff, which steps over the subtrees they share; this file only
 * classifies each differing vblock and merges neighbours into ranges, as
 * thin-provisioning-tools' thin_delta does (data blocks compared, time
 * stamps not). */
#include <errno.h>

#include "pdata/btree.h"
#include "common/le.h"
#include "thin/thin_internal.h"

struct delta_ctx {
	unsigned flags;
	thin_delta_fn fn;
	void *opaque;
	bool have;
	struct thin_delta_range cur;
};

static int flush_range(struct delta_ctx *d)
{
	if (!d->have)
		return 0;
	d->have = false;
	return d->fn(d->opaque, &d->cur);
}

static int delta_entry(void *opaque, uint64_t key, const uint8_t *va, const uint8_t *vb)
{
	struct delta_ctx *d = opaque;
	enum thin_delta_kind k;
	int r;

	if (!vb)
		k = THIN_DELTA_LEFT_ONLY;
	else if (!va)
		k = THIN_DELTA_RIGHT_ONLY;
	else if (le64_get(va) >> 24 != le64_get(vb) >> 24)
		k = THIN_DELTA_DIFFERENT;
	else
		k = THIN_DELTA_SAME;
	if (k == THIN_DELTA_SAME && !(d->flags & THIN_DELTA_WITH_SAME))
		return 0;
	if (d->have && d->cur.kind == k && d->cur.begin + d->cur.len == key) {
		d->cur.len++;
		return 0;
	}
	r = flush_range(d);
	if (r)
		return r;
	d->cur = (struct thin_delta_range){ .kind = k, .begin = key, .len = 1 };
	d->have = true;
	return 0;
}

int thin_meta_delta(struct thin_meta *t, uint64_t a, uint64_t b, unsigned flags,
		    thin_delta_fn fn, void *opaque)
{
	struct delta_ctx d = { .flags = flags, .fn = fn, .opaque = opaque };
	uint64_t ra = 0, rb = 0;
	int r = thin_subtree_root(t, a, &ra);

	if (r == 0)
		r = thin_subtree_root(t, b, &rb);
	if (r == 0)
		r = btree_diff(thin_map_info(t), ra, rb, flags & THIN_DELTA_WITH_SAME, delta_entry,
			       &d);
	if (r == 0)
		r = flush_range(&d);
	return r < 0 ? r : 0;
}

const char *thin_delta_kind_name(enum thin_delta_kind k)
{
	static const char *const names[] = {
		[THIN_DELTA_SAME] = "same",
		[THIN_DELTA_DIFFERENT] = "different",
		[THIN_DELTA_LEFT_ONLY] = "left_only",
		[THIN_DELTA_RIGHT_ONLY] = "right_only",
	};

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}
