/* References between LVs (src/lvm/lvref.c) on richvg, which real lvm2
 * wrote: a thin pool, a raid1 LV, a cache pool and an old-style snapshot
 * beside linear LVs. */
#include "test_lvm.h"

#include <errno.h>

#include "lvm/lvref.h"
#include "lvm/vg.h"
#include "lvm/vgtext.h"

static struct vg *richvg(void)
{
	struct err e = { { 0 } };
	size_t len;
	char *text = read_fixture("richvg.mda.txt", &len);
	struct cfg_tree *t;
	struct cfg_node *sec;
	struct vg *vg;

	assert_ok(cfg_parse(text, len, &t, &e), &e);
	assert_ok(vgtext_check(t, &sec, &e), &e);
	assert_ok(vg_import(sec, &vg, &e), &e);
	cfg_tree_free(t);
	free(text);
	return vg;
}

static struct vg_lv *lv(const struct vg *vg, const char *name)
{
	struct vg_lv *l = vg_find_lv(vg, name);

	if (!l)
		fail_msg("no LV %s", name);
	return l;
}

static void test_users(void **state)
{
	struct vg *vg = richvg();
	const char *key;

	(void)state;
	assert_ptr_equal(lv_first_user(vg, lv(vg, "r1_rimage_1"), &key), lv(vg, "r1"));
	assert_string_equal(key, "raids");
	assert_ptr_equal(lv_first_user(vg, lv(vg, "tp_tmeta"), &key), lv(vg, "tp"));
	assert_string_equal(key, "metadata");
	assert_ptr_equal(lv_first_user(vg, lv(vg, "tp"), &key), lv(vg, "thin1"));
	assert_string_equal(key, "thin_pool");
	assert_ptr_equal(lv_first_user(vg, lv(vg, "other"), &key), lv(vg, "snapshot0"));
	assert_string_equal(key, "origin");
	assert_null(lv_first_user(vg, lv(vg, "data"), &key));
	assert_null(lv_first_user(vg, lv(vg, "lvol0_pmspare"), &key));
	assert_true(lv_uses(vg, lv(vg, "cp"), lv(vg, "cp_cdata"), &key));
	assert_string_equal(key, "data");
	assert_false(lv_uses(vg, lv(vg, "cp"), lv(vg, "tp_tdata"), NULL));
	assert_true(lv_has_subs(vg, lv(vg, "r1")));
	assert_false(lv_has_subs(vg, lv(vg, "thin1")));
	assert_ptr_equal(lv_stands_for(vg, lv(vg, "snap")), lv(vg, "snapshot0"));
	assert_null(lv_stands_for(vg, lv(vg, "r1_rimage_0")));
	assert_null(lv_stands_for(vg, lv(vg, "data")));
	vg_free(vg);
}

static bool has(struct vg_lv **set, unsigned n, const struct vg_lv *l)
{
	for (unsigned i = 0; i < n; i++)
		if (set[i] == l)
			return true;
	return false;
}

static void test_removal_set(void **state)
{
	struct err e = { { 0 } };
	struct vg *vg = richvg();
	struct vg_lv **set;
	unsigned n;

	(void)state;
	/* raid1: the LV and its four sub-LVs */
	assert_ok(lv_removal_set(vg, lv(vg, "r1"), &set, &n, &e), &e);
	assert_int_equal(n, 5);
	assert_ptr_equal(set[0], lv(vg, "r1"));
	assert_true(has(set, n, lv(vg, "r1_rmeta_0")) && has(set, n, lv(vg, "r1_rimage_1")));
	free(set);
	/* the snapshot takes its COW, not its origin */
	assert_ok(lv_removal_set(vg, lv(vg, "snapshot0"), &set, &n, &e), &e);
	assert_int_equal(n, 2);
	assert_true(has(set, n, lv(vg, "snap")) && !has(set, n, lv(vg, "other")));
	free(set);
	/* refused: the origin, a pool with a thin LV */
	assert_int_equal(lv_removal_set(vg, lv(vg, "other"), &set, &n, &e), -EBUSY);
	assert_non_null(strstr(e.msg, "snapshot0"));
	err_clear(&e);
	assert_int_equal(lv_removal_set(vg, lv(vg, "tp"), &set, &n, &e), -EBUSY);
	assert_non_null(strstr(e.msg, "thin1"));
	err_clear(&e);
	/* a thin LV goes alone; so does a plain LV */
	assert_ok(lv_removal_set(vg, lv(vg, "thin1"), &set, &n, &e), &e);
	assert_int_equal(n, 1);
	free(set);
	vg_free(vg);
}

static void test_rename(void **state)
{
	struct err e = { { 0 } };
	struct vg *vg = richvg();

	(void)state;
	assert_ok(lv_rename_with_subs(vg, lv(vg, "tp"), "pool", &e), &e);
	assert_non_null(vg_find_lv(vg, "pool_tmeta"));
	assert_non_null(vg_find_lv(vg, "pool_tdata"));
	assert_null(vg_find_lv(vg, "tp_tdata"));
	assert_ptr_equal(lv_first_user(vg, lv(vg, "pool"), NULL), lv(vg, "thin1"));
	assert_ok(lv_rename_with_subs(vg, lv(vg, "r1"), "mirror", &e), &e);
	assert_non_null(vg_find_lv(vg, "mirror_rimage_0"));
	assert_non_null(vg_find_lv(vg, "mirror_rmeta_1"));
	assert_ok(vg_validate(vg, &e), &e);
	/* a sub-LV's new name taken: nothing changes */
	assert_ok(lv_rename_with_subs(vg, lv(vg, "cp"), "fast", &e), &e);
	assert_non_null(vg_find_lv(vg, "fast_cdata"));
	assert_ok(vg_validate(vg, &e), &e);
	{
		struct vg_lv *x = NULL;

		assert_ok(vg_add_lv(vg, "slow_cmeta", &x, &e), &e);
		assert_int_equal(lv_rename_with_subs(vg, lv(vg, "fast"), "slow", &e), -EEXIST);
		assert_non_null(vg_find_lv(vg, "fast"));
		assert_non_null(vg_find_lv(vg, "fast_cdata"));
		assert_null(vg_find_lv(vg, "slow_cdata"));
		err_clear(&e);
		vg_remove_lv(vg, x);
	}
	vg_free(vg);
}

static void test_dangling(void **state)
{
	struct err e = { { 0 } };
	struct vg *vg = richvg();

	(void)state;
	vg_remove_lv(vg, lv(vg, "r1_rimage_0"));
	assert_int_equal(vg_validate(vg, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "r1_rimage_0"));
	vg_free(vg);
}

/* Deactivation order: each LV after every LV that names it, all once. */
static void test_users_first(void **state)
{
	struct vg *vg = richvg();
	struct vg_lv **order = calloc(vg->nlv, sizeof(*order));
	unsigned at[64];

	(void)state;
	assert_non_null(order);
	assert_true(vg->nlv <= 64);
	vg_lv_users_first(vg, order);
	for (unsigned i = 0; i < vg->nlv; i++) {
		unsigned n = 0;

		for (unsigned k = 0; k < vg->nlv; k++)
			if (order[k] == vg->lv[i]) {
				at[i] = k;
				n++;
			}
		assert_int_equal(n, 1);
	}
	for (unsigned i = 0; i < vg->nlv; i++)
		for (unsigned j = 0; j < vg->nlv; j++)
			if (i != j && lv_uses(vg, vg->lv[j], vg->lv[i], NULL))
				assert_true(at[j] < at[i]);
	free(order);
	vg_free(vg);
}

/* lvm2's generate_lv_name: one past the highest lvolN, lvol0_pmspare
 * included; a free lower number is not reused. */
static void test_next_name(void **state)
{
	struct err e = { { 0 } };
	struct vg *vg = richvg();
	struct vg_lv *x = NULL;
	char name[LVM_NAME_LEN];

	(void)state;
	vg_next_lv_name(vg, name, sizeof(name));
	assert_string_equal(name, "lvol1");
	assert_ok(vg_add_lv(vg, "lvol41backup", &x, &e), &e);
	vg_next_lv_name(vg, name, sizeof(name));
	assert_string_equal(name, "lvol42");
	assert_ok(vg_add_lv(vg, "lvolx", &x, &e), &e);
	vg_next_lv_name(vg, name, sizeof(name));
	assert_string_equal(name, "lvol42");
	vg_free(vg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_users),
		cmocka_unit_test(test_removal_set),
		cmocka_unit_test(test_rename),
		cmocka_unit_test(test_dangling),
		cmocka_unit_test(test_users_first),
		cmocka_unit_test(test_next_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
