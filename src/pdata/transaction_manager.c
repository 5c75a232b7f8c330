/* Shadowing and the two-phase commit; the rules are in the header. */
#include "pdata/transaction_manager.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

struct tm {
	struct bm *bm;
	struct sm *sm;
	/* The shadow set: open addressing, slots hold block + 1 (0 = empty). */
	uint64_t *set;
	uint64_t set_mask;
	uint64_t set_used;
	bool failed;
	struct err err;
};

int tm_create(struct bm *bm, struct tm **out)
{
	struct tm *tm = calloc(1, sizeof(*tm));

	if (!tm)
		return -ENOMEM;
	tm->set_mask = 1023;
	tm->set = calloc(tm->set_mask + 1, sizeof(*tm->set));
	if (!tm->set) {
		free(tm);
		return -ENOMEM;
	}
	tm->bm = bm;
	*out = tm;
	return 0;
}

void tm_set_sm(struct tm *tm, struct sm *sm)
{
	tm->sm = sm;
}

struct sm *tm_sm(struct tm *tm)
{
	return tm->sm;
}

struct bm *tm_bm(struct tm *tm)
{
	return tm->bm;
}

void tm_destroy(struct tm *tm)
{
	if (!tm)
		return;
	sm_destroy(tm->sm);
	free(tm->set);
	free(tm);
}

const char *tm_last_error(struct tm *tm)
{
	return tm->err.msg[0] ? tm->err.msg : bm_last_error(tm->bm);
}

static uint64_t slot_of(uint64_t b, uint64_t mask)
{
	return (b * 0x9E3779B97F4A7C15ull >> 17) & mask;
}

static bool is_shadow(const struct tm *tm, uint64_t b)
{
	for (uint64_t s = slot_of(b, tm->set_mask);; s = (s + 1) & tm->set_mask) {
		if (!tm->set[s])
			return false;
		if (tm->set[s] == b + 1)
			return true;
	}
}

static void set_put(uint64_t *set, uint64_t mask, uint64_t b)
{
	uint64_t s = slot_of(b, mask);

	while (set[s] && set[s] != b + 1)
		s = (s + 1) & mask;
	set[s] = b + 1;
}

static int add_shadow(struct tm *tm, uint64_t b)
{
	if (is_shadow(tm, b))
		return 0;
	if ((tm->set_used + 1) * 2 > tm->set_mask + 1) {
		uint64_t mask = tm->set_mask * 2 + 1;
		uint64_t *set = calloc(mask + 1, sizeof(*set));

		if (!set)
			return -ENOMEM;
		for (uint64_t s = 0; s <= tm->set_mask; s++)
			if (tm->set[s])
				set_put(set, mask, tm->set[s] - 1);
		free(tm->set);
		tm->set = set;
		tm->set_mask = mask;
	}
	set_put(tm->set, tm->set_mask, b);
	tm->set_used++;
	return 0;
}

static int fail(struct tm *tm, int r, const char *what)
{
	return err_set(&tm->err, r, "%s: %s", what, bm_last_error(tm->bm));
}

int tm_new_block(struct tm *tm, const struct bm_validator *v, struct bm_block **out)
{
	uint64_t b;
	int r;

	if (tm->failed)
		return -EIO;
	err_clear(&tm->err);
	r = sm_new_block(tm->sm, &b);
	if (r < 0)
		return err_set(&tm->err, r, "no free metadata block");
	r = add_shadow(tm, b);
	if (r == 0)
		r = bm_write_lock_zero(tm->bm, b, v, out);
	if (r < 0) {
		sm_dec(tm->sm, b);
		return fail(tm, r, "new metadata block");
	}
	return 0;
}

int tm_shadow_block(struct tm *tm, uint64_t orig, const struct bm_validator *v,
		    struct bm_block **out, bool *inc_children)
{
	struct bm_block *src, *dst;
	uint32_t count;
	uint64_t b;
	int r;

	if (tm->failed)
		return -EIO;
	err_clear(&tm->err);
	r = sm_get_count(tm->sm, orig, &count);
	if (r < 0)
		return err_set(&tm->err, r, "shadowing metadata block %" PRIu64, orig);
	if (count == 0)
		return err_set(&tm->err, -EUCLEAN, "shadowing metadata block %" PRIu64
			       " which is not in use", orig);
	*inc_children = count > 1;
	if (count == 1 && is_shadow(tm, orig)) {
		r = bm_write_lock(tm->bm, orig, v, out);
		return r < 0 ? fail(tm, r, "shadow") : 0;
	}

	r = bm_read_lock(tm->bm, orig, v, &src);
	if (r < 0)
		return fail(tm, r, "shadow");
	r = sm_new_block(tm->sm, &b);
	if (r < 0) {
		bm_unlock(src);
		return err_set(&tm->err, r, "no free metadata block");
	}
	r = add_shadow(tm, b);
	if (r == 0)
		r = bm_write_lock_zero(tm->bm, b, v, &dst);
	if (r < 0) {
		bm_unlock(src);
		sm_dec(tm->sm, b);
		return fail(tm, r, "shadow");
	}
	memcpy(bm_block_data(dst), bm_block_data(src), BM_BLOCK_SIZE);
	bm_unlock(src);
	r = sm_dec(tm->sm, orig);
	if (r < 0) {
		bm_unlock(dst);
		return err_set(&tm->err, r, "shadow: dropping block %" PRIu64, orig);
	}
	*out = dst;
	return 0;
}

int tm_read_lock(struct tm *tm, uint64_t b, const struct bm_validator *v, struct bm_block **out)
{
	int r = bm_read_lock(tm->bm, b, v, out);

	return r < 0 ? fail(tm, r, "read") : 0;
}

void tm_unlock(struct tm *tm, struct bm_block *b)
{
	(void)tm;
	bm_unlock(b);
}

int tm_inc(struct tm *tm, uint64_t b)
{
	return sm_inc(tm->sm, b);
}

int tm_dec(struct tm *tm, uint64_t b)
{
	return sm_dec(tm->sm, b);
}

int tm_ref(struct tm *tm, uint64_t b, uint32_t *count)
{
	return sm_get_count(tm->sm, b, count);
}

int tm_pre_commit(struct tm *tm)
{
	int r;

	if (tm->failed)
		return -EIO;
	r = sm_commit(tm->sm);
	if (r == 0)
		r = bm_flush(tm->bm);
	if (r < 0) {
		tm->failed = true;
		return fail(tm, r, "commit");
	}
	return 0;
}

int tm_lock_super(struct tm *tm, const struct bm_validator *v, struct bm_block **out)
{
	int r;

	if (tm->failed)
		return -EIO;
	r = bm_write_lock_zero(tm->bm, 0, v, out);
	return r < 0 ? fail(tm, r, "superblock") : 0;
}

int tm_commit(struct tm *tm, struct bm_block *super)
{
	int r = bm_write_now(super, DEV_FUA);

	bm_unlock(super);
	if (r < 0) {
		tm->failed = true;
		return fail(tm, r, "writing the superblock");
	}
	memset(tm->set, 0, (tm->set_mask + 1) * sizeof(*tm->set));
	tm->set_used = 0;
	return 0;
}
