/* PVs at the format level: layouts pvcreate would make (values checked
 * against real lvm2 2.03.16, where the integration test also compares
 * whole images), scan, writing one text to every mda of a VG, highest
 * seqno wins, a bad mda is skipped. */
#include "test_lvm.h"

#include <errno.h>

#include "lvm/pv.h"

#define MiB (1ull << 20)

static void test_plan(void **state)
{
	static const struct {
		uint64_t dev;
		unsigned copies;
		uint64_t mda_size, align, ba;
		uint64_t pe_start, mda0_size, mda1_start, mda1_size, ba_start, ba_size;
	} cases[] = {
		/* pvcreate */
		{ 64 * MiB, 1, 0, 0, 0, MiB, 1044480, 0, 0, 0, 0 },
		/* --metadatacopies 2: mda2 start aligned down to 1 MiB */
		{ 64 * MiB, 2, 0, 0, 0, MiB, 1044480, 63 * MiB, MiB, 0, 0 },
		/* --metadatacopies 0 */
		{ 64 * MiB, 0, 0, 0, 0, MiB, 0, 0, 0, 0, 0 },
		/* --dataalignment 4m */
		{ 64 * MiB, 1, 0, 4 * MiB, 0, 4 * MiB, 4 * MiB - 4096, 0, 0, 0, 0 },
		/* --metadatasize 4m: the end is aligned up */
		{ 200 * MiB, 1, 4 * MiB, 0, 0, 5 * MiB, 5 * MiB - 4096, 0, 0, 0, 0 },
		/* --bootloaderareasize 1m */
		{ 64 * MiB, 1, 0, 0, MiB, 2 * MiB, 1044480, 0, 0, MiB, MiB },
		/* --metadatacopies 2 --bootloaderareasize 3m --dataalignment 2m */
		{ 200 * MiB, 2, 0, 2 * MiB, 3 * MiB, 6 * MiB, 2 * MiB - 4096, 198 * MiB, 2 * MiB,
		  2 * MiB, 4 * MiB },
	};
	struct err e = { { 0 } };

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pv_create_opts o;
		struct pv_layout l;

		pv_create_opts_default(&o);
		o.mda_copies = cases[i].copies;
		if (cases[i].mda_size)
			o.mda_size = cases[i].mda_size;
		if (cases[i].align)
			o.data_alignment = cases[i].align;
		o.ba_size = cases[i].ba;
		assert_ok(pv_plan(cases[i].dev, &o, &l, &e), &e);
		if (l.pe_start != cases[i].pe_start || l.nmda != cases[i].copies ||
		    (l.nmda && (l.mda[0].offset != 4096 || l.mda[0].size != cases[i].mda0_size)) ||
		    (l.nmda > 1 && (l.mda[1].offset != cases[i].mda1_start ||
				    l.mda[1].size != cases[i].mda1_size)) ||
		    l.ba_start != cases[i].ba_start || l.ba_size != cases[i].ba_size)
			fail_msg("case %zu: pe_start %llu mda0 %llu+%llu mda1 %llu+%llu ba %llu+%llu", i,
				 (unsigned long long)l.pe_start,
				 (unsigned long long)l.mda[0].offset, (unsigned long long)l.mda[0].size,
				 (unsigned long long)l.mda[1].offset, (unsigned long long)l.mda[1].size,
				 (unsigned long long)l.ba_start, (unsigned long long)l.ba_size);
	}
}

static void test_plan_refusals(void **state)
{
	struct err e = { { 0 } };
	struct pv_create_opts o;
	struct pv_layout l;

	(void)state;
	pv_create_opts_default(&o);
	assert_int_equal(pv_plan(MiB, &o, &l, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "minimum"));
	o.mda_copies = 3;
	err_clear(&e);
	assert_int_equal(pv_plan(64 * MiB, &o, &l, &e), -EINVAL);
	o.mda_copies = 1;
	o.data_alignment = 1000;
	err_clear(&e);
	assert_int_equal(pv_plan(64 * MiB, &o, &l, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "multiples of 512"));
	o.data_alignment = MiB;
	o.size = 128 * MiB;
	err_clear(&e);
	assert_int_equal(pv_plan(64 * MiB, &o, &l, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "larger than the device"));
}

static struct pv *create(struct dev *d, unsigned copies, const char *uuid)
{
	struct pv_create_opts o;
	struct err e = { { 0 } };
	struct pv *pv;

	pv_create_opts_default(&o);
	o.mda_copies = copies;
	o.uuid = uuid;
	assert_ok(pv_create(d, &o, &pv, &e), &e);
	return pv;
}

static char *vg_text(unsigned seqno, size_t *len)
{
	char *t;
	int n = asprintf(&t,
			 "vg0 {\nid = \"n9Sy03-cZwk-QLjT-v6wH-k8g4-G9kd-OC7Fag\"\nseqno = %u\n"
			 "status = [\"RESIZEABLE\", \"READ\", \"WRITE\"]\nextent_size = 8192\n"
			 "max_lv = 0\nmax_pv = 0\n\nphysical_volumes {\n}\n\n\n}\n"
			 "contents = \"Text Format Volume Group\"\nversion = 1\n\n",
			 seqno);

	assert_true(n > 0);
	*len = (size_t)n + 1; /* with the NUL, as LVM writes it */
	return t;
}

static void test_create_write_scan(void **state)
{
	struct dev *d1 = mem_dev(64 * MiB), *d2 = mem_dev(64 * MiB);
	struct err e = { { 0 } };
	struct pv *pv[2], *back;
	const struct vgtext_summary *s;
	const char *text;
	size_t len, tl;
	char *t;

	(void)state;
	pv[0] = create(d1, 1, "lOifAR-sHFZ-rCBD-94aS-K3t3-xngS-1ut5tY");
	pv[1] = create(d2, 2, NULL);
	assert_string_equal(pv[0]->label.pv_uuid, "lOifARsHFZrCBD94aSK3t3xngS1ut5tY");
	assert_int_equal(pv[1]->nmda, 2);
	assert_null(pv_vg(pv[0], NULL, NULL));
	assert_int_equal(pv[0]->mda[0].text_status, -ENODATA);
	assert_int_equal(pv[0]->label.ext_flags, 0);
	assert_int_equal(pv_pe_count(pv[0], MiB, 8192), 15);
	assert_int_equal(pv_pe_count(pv[1], MiB, 8192), 15);
	assert_int_equal(pv_pe_count(pv[1], MiB, 2048), 62);

	for (unsigned seq = 1; seq <= 5; seq++) {
		t = vg_text(seq, &len);
		for (int i = 0; i < 2; i++)
			assert_ok(pv_set_in_use(pv[i], true, &e), &e);
		assert_ok(pv_write_metadata(pv, 2, t, len, &e), &e);
		/* Every mda carries the same bytes. */
		for (int i = 0; i < 2; i++) {
			assert_ok(pv_scan(i ? d2 : d1, &back, &e), &e);
			assert_int_equal(back->label.ext_flags, PV_EXT_USED);
			for (unsigned m = 0; m < back->nmda; m++) {
				assert_int_equal(back->mda[m].text_status, 0);
				assert_int_equal(back->mda[m].text_len, len);
				assert_memory_equal(back->mda[m].text, t, len);
				assert_int_equal(back->mda[m].sum.seqno, seq);
			}
			s = pv_vg(back, &text, &tl);
			assert_non_null(s);
			assert_string_equal(s->vgname, "vg0");
			assert_string_equal(s->vgid, "n9Sy03cZwkQLjTv6wHk8g4G9kdOC7Fag");
			pv_free(back);
		}
		free(t);
	}
	pv_free(pv[0]);
	pv_free(pv[1]);
	dev_put(d1);
	dev_put(d2);
}

static void test_highest_seqno_and_bad_mda(void **state)
{
	struct dev *d = mem_dev(64 * MiB);
	struct err e = { { 0 } };
	struct pv *pv, *back;
	struct raw_locn rl;
	size_t len;
	char *t;
	uint8_t b;

	(void)state;
	pv = create(d, 2, NULL);
	t = vg_text(7, &len);
	assert_ok(pv_write_metadata(&pv, 1, t, len, &e), &e);
	free(t);
	/* mda2 alone moves to seqno 8: it wins. */
	t = vg_text(8, &len);
	assert_ok(mda_write_text(d, &pv->mda[1].hdr, t, len, &rl, &e), &e);
	assert_ok(mda_commit(d, &pv->mda[1].hdr, &rl, &e), &e);
	free(t);
	assert_ok(pv_scan(d, &back, &e), &e);
	assert_int_equal(back->best, 1);
	assert_int_equal(pv_vg(back, NULL, NULL)->seqno, 8);
	pv_free(back);
	/* A torn mda2 header: skipped with its reason, mda1 serves. */
	assert_int_equal(dev_read(d, &b, 1, pv->mda[1].locn.offset + 30), 0);
	b ^= 0xff;
	assert_int_equal(dev_write(d, &b, 1, pv->mda[1].locn.offset + 30, 0), 0);
	assert_ok(pv_scan(d, &back, &e), &e);
	assert_int_equal(back->mda[1].status, -EINVAL);
	assert_non_null(strstr(back->mda[1].why.msg, "checksum"));
	assert_int_equal(back->best, 0);
	assert_int_equal(pv_vg(back, NULL, NULL)->seqno, 7);
	/* Writing skips the bad mda and still succeeds. */
	t = vg_text(9, &len);
	assert_ok(pv_write_metadata(&back, 1, t, len, &e), &e);
	free(t);
	pv_free(back);
	assert_ok(pv_scan(d, &back, &e), &e);
	assert_int_equal(pv_vg(back, NULL, NULL)->seqno, 9);
	pv_free(back);
	/* Text that is not a VG is reported, not fatal. */
	t = strdup("# not a vg\n");
	assert_ok(pv_write_metadata(&pv, 1, t, strlen(t) + 1, &e), &e);
	free(t);
	assert_ok(pv_scan(d, &back, &e), &e);
	assert_int_equal(back->best, -1);
	assert_int_equal(back->mda[0].text_status, -EINVAL);
	assert_non_null(strstr(back->mda[0].text_why.msg, "invalid name"));
	pv_free(back);
	pv_free(pv);
	/* No label at all. */
	assert_int_equal(dev_write_zeroes(d, 0, 4096, 0), 0);
	err_clear(&e);
	assert_int_equal(pv_scan(d, &back, &e), -ENOENT);
	dev_put(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plan),
		cmocka_unit_test(test_plan_refusals),
		cmocka_unit_test(test_create_write_scan),
		cmocka_unit_test(test_highest_seqno_and_bad_mda),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
