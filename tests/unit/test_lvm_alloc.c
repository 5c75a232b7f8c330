/* The VG model, the extent allocator and PV segments (src/lvm/vg.c,
 * alloc.c, pvseg.c), on a
 * model without devices: PVs only need to look present. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lvm/alloc.h"
#include "lvm/pvseg.h"
#include "lvm/vg.h"

static struct pv *const present = (struct pv *)1; /* never dereferenced */

static struct vg *mkvg(unsigned npv, uint32_t pe_count)
{
	struct err e = { { 0 } };
	struct vg *vg;

	assert_int_equal(vg_new("vg0", 8192, &vg, &e), 0);
	for (unsigned i = 0; i < npv; i++) {
		struct vg_pv *p;

		assert_int_equal(vg_add_pv(vg, &p, &e), 0);
		assert_int_equal(lvm_id_create(p->id, &e), 0);
		p->pv = present;
		p->status = FLAG(PVF_ALLOCATABLE);
		p->pe_start = 2048;
		p->pe_count = pe_count;
	}
	return vg;
}

static void free_vg(struct vg *vg)
{
	for (unsigned i = 0; i < vg->npv; i++)
		vg->pv[i]->pv = NULL;
	vg_free(vg);
}

static void test_linear_then_extend_in_place(void **state)
{
	struct alloc_req req = { .extents = 5, .stripes = 1 };
	struct err e = { { 0 } };
	struct vg *vg = mkvg(2, 15);
	struct vg_lv *lv;

	(void)state;
	assert_int_equal(vg_add_lv(vg, "a", &lv, &e), 0);
	assert_int_equal(alloc_extend(vg, lv, &req, &e), 0);
	assert_int_equal(lv->nseg, 1);
	assert_ptr_equal(lv->seg[0].area[0].pv, vg->pv[0]);
	req.extents = 3;
	assert_int_equal(alloc_extend(vg, lv, &req, &e), 0);
	assert_int_equal(lv->nseg, 1); /* merged: contiguous */
	assert_int_equal(lv->le_count, 8);
	assert_int_equal(vg_validate(vg, &e), 0);
	assert_int_equal(lv_reduce(lv, 2, &e), 0);
	assert_int_equal(lv->le_count, 6);
	free_vg(vg);
}

static void test_striped_distinct_pvs(void **state)
{
	struct alloc_req req = { .extents = 6, .stripes = 3, .stripe_size = 128 };
	struct err e = { { 0 } };
	struct vg *vg = mkvg(3, 15);
	struct vg_lv *lv;

	(void)state;
	assert_int_equal(vg_add_lv(vg, "s", &lv, &e), 0);
	assert_int_equal(alloc_extend(vg, lv, &req, &e), 0);
	assert_int_equal(lv->seg[0].narea, 3);
	assert_ptr_not_equal(lv->seg[0].area[0].pv, lv->seg[0].area[1].pv);
	assert_ptr_not_equal(lv->seg[0].area[1].pv, lv->seg[0].area[2].pv);
	assert_int_equal(vg_validate(vg, &e), 0);
	/* 4 stripes on 3 PVs: refused, unless anywhere */
	req.stripes = 4;
	req.extents = 4;
	assert_int_equal(vg_add_lv(vg, "t", &lv, &e), 0);
	assert_int_equal(alloc_extend(vg, lv, &req, &e), -ENOSPC);
	assert_int_equal(lv->le_count, 0);
	free_vg(vg);
}

static void test_no_space_and_ranges(void **state)
{
	struct alloc_range rg;
	struct alloc_req req = { .extents = 31, .stripes = 1 };
	struct err e = { { 0 } };
	struct vg *vg = mkvg(2, 15);
	struct vg_lv *lv;

	(void)state;
	assert_int_equal(vg_add_lv(vg, "a", &lv, &e), 0);
	assert_int_equal(alloc_extend(vg, lv, &req, &e), -ENOSPC);
	rg = (struct alloc_range){ vg->pv[1], 10, 12 };
	req = (struct alloc_req){ .extents = 3, .stripes = 1, .ranges = &rg, .nranges = 1 };
	assert_int_equal(alloc_extend(vg, lv, &req, &e), 0);
	assert_ptr_equal(lv->seg[0].area[0].pv, vg->pv[1]);
	assert_int_equal(lv->seg[0].area[0].pe, 10);
	free_vg(vg);
}

static void test_validate_overlap(void **state)
{
	struct alloc_req req = { .extents = 2, .stripes = 1 };
	struct err e = { { 0 } };
	struct vg *vg = mkvg(1, 15);
	struct vg_lv *a, *b;

	(void)state;
	assert_int_equal(vg_add_lv(vg, "a", &a, &e), 0);
	assert_int_equal(alloc_extend(vg, a, &req, &e), 0);
	assert_int_equal(vg_add_lv(vg, "b", &b, &e), 0);
	assert_int_equal(alloc_extend(vg, b, &req, &e), 0);
	b->seg[0].area[0].pe = 1; /* overlaps a */
	assert_int_equal(vg_validate(vg, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "used by both"));
	free_vg(vg);
}

/* A PV's segments: every area in PE order, the gaps between them free,
 * a striped LV's area once per PV, one free segment of an unused PV. */
static void test_pv_segments(void **state)
{
	struct alloc_req req = { .extents = 3, .stripes = 1 };
	struct alloc_range rg;
	struct err e = { { 0 } };
	struct vg *vg = mkvg(2, 20);
	struct vg_lv *a, *b, *s;
	struct pvseg *g;
	unsigned n;

	(void)state;
	assert_int_equal(vg_add_lv(vg, "a", &a, &e), 0);
	assert_int_equal(alloc_extend(vg, a, &req, &e), 0); /* pv0 0-2 */
	assert_int_equal(vg_add_lv(vg, "b", &b, &e), 0);
	rg = (struct alloc_range){ vg->pv[0], 6, 7 };
	req = (struct alloc_req){ .extents = 2, .stripes = 1, .ranges = &rg, .nranges = 1 };
	assert_int_equal(alloc_extend(vg, b, &req, &e), 0); /* pv0 6-7 */
	rg = (struct alloc_range){ vg->pv[0], 3, 3 };
	req.extents = 1;
	assert_int_equal(alloc_extend(vg, a, &req, &e), 0); /* a's second segment: pv0 3, merged */
	assert_int_equal(vg_add_lv(vg, "s", &s, &e), 0);
	req = (struct alloc_req){ .extents = 4, .stripes = 2, .stripe_size = 128 };
	assert_int_equal(alloc_extend(vg, s, &req, &e), 0); /* two on each PV */
	if (vg_validate(vg, &e))
		fail_msg("%s", e.msg);

	assert_int_equal(pv_segments(vg, vg->pv[0], &g, &n), 0);
	uint32_t at = 0, used = 0;
	for (unsigned i = 0; i < n; i++) {
		assert_int_equal(g[i].pe, at); /* no gap and no overlap */
		assert_true(g[i].len > 0);
		if (i)
			assert_false(!g[i].lv && !g[i - 1].lv); /* free runs are whole */
		used += g[i].lv ? g[i].len : 0;
		at += g[i].len;
	}
	assert_int_equal(at, 20);
	assert_int_equal(used, vg_pv_used(vg, vg->pv[0]));
	assert_ptr_equal(g[0].lv, a);
	assert_int_equal(g[0].len, 4);
	free(g);

	assert_int_equal(pv_segments(vg, vg->pv[1], &g, &n), 0);
	assert_int_equal(n, 2);
	assert_ptr_equal(g[0].lv, s);
	assert_ptr_equal(g[0].seg, &s->seg[0]);
	assert_int_equal(g[0].len, 2);
	assert_null(g[1].lv);
	assert_int_equal(g[1].pe, 2);
	assert_int_equal(g[1].len, 18);
	free(g);

	vg->pv[1]->pe_count = 0; /* no extents: one free segment of none */
	s->nseg = 0;
	assert_int_equal(pv_segments(vg, vg->pv[1], &g, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(g[0].len, 0);
	assert_null(g[0].lv);
	free(g);
	s->nseg = 1;
	free_vg(vg);
}

static void test_sizes(void **state)
{
	struct err e = { { 0 } };
	struct ext_arg x;
	uint64_t s;
	char sign;

	(void)state;
	assert_int_equal(lvm_parse_size("1G", 'm', &sign, &s, &e), 0);
	assert_int_equal(s, 2097152);
	assert_int_equal(lvm_parse_size("+512", 'm', &sign, &s, &e), 0);
	assert_int_equal(sign, '+');
	assert_int_equal(s, 1048576);
	assert_int_equal(lvm_parse_size("1.5k", 'm', &sign, &s, &e), 0);
	assert_int_equal(s, 3);
	assert_int_equal(lvm_parse_size("100s", 'm', &sign, &s, &e), 0);
	assert_int_equal(s, 100);
	assert_int_not_equal(lvm_parse_size("1x", 'm', &sign, &s, &e), 0);
	assert_int_equal(lvm_parse_extents("50%FREE", &x, &e), 0);
	assert_int_equal(x.pct, PCT_FREE);
	assert_int_equal(lvm_parse_extents("-3", &x, &e), 0);
	assert_int_equal(x.sign, '-');
	assert_int_not_equal(lvm_parse_extents("150%VG", &x, &e), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linear_then_extend_in_place),
		cmocka_unit_test(test_striped_distinct_pvs),
		cmocka_unit_test(test_no_space_and_ranges),
		cmocka_unit_test(test_validate_overlap),
		cmocka_unit_test(test_pv_segments),
		cmocka_unit_test(test_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
