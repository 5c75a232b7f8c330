/* PV label: decode of a real one, encode/decode round trips, the sector
 * scan and every refusal with its message. */
#include "test_lvm.h"

#include <errno.h>

#include "lvm/crc.h"
#include "lvm/label.h"
#include "common/le.h"

static void test_real_label(void **state)
{
	uint8_t sec[LABEL_SIZE], again[LABEL_SIZE];
	struct err e = { { 0 } };
	struct pv_label l;
	char *raw = read_fixture("fmtvg-pv0.label.bin", NULL);

	(void)state;
	memcpy(sec, raw, sizeof(sec));
	assert_ok(pv_label_decode(sec, 1, &l, &e), &e);
	assert_int_equal(l.sector, 1);
	assert_int_equal(strlen(l.pv_uuid), 32);
	assert_true(l.device_size == 64ull << 20);
	assert_int_equal(l.n_data, 1);
	assert_true(l.data[0].offset == 1 << 20 && l.data[0].size == 0);
	assert_int_equal(l.n_mda, 1);
	assert_true(l.mda[0].offset == 4096 && l.mda[0].size == 1044480);
	assert_int_equal(l.ext_version, 2);
	assert_int_equal(l.ext_flags, PV_EXT_USED);
	assert_int_equal(l.n_ba, 0);
	/* What we write is what LVM wrote. */
	assert_ok(pv_label_encode(&l, again, &e), &e);
	assert_memory_equal(sec, again, LABEL_SIZE);
	free(raw);
}

static void test_round_trip(void **state)
{
	struct pv_label l = {
		.sector = 3, .pv_uuid = "abcdefghijklmnopqrstuvwxyzABCD01",
		.device_size = 1ull << 40,
		.n_data = 1, .data = { { 2 << 20, 0 } },
		.n_mda = 2, .mda = { { 4096, 1044480 }, { (1ull << 40) - (1 << 20), 1 << 20 } },
		.n_ba = 1, .ba = { { 1 << 20, 1 << 20 } },
		.ext_version = 2, .ext_flags = PV_EXT_USED,
	};
	uint8_t sec[LABEL_SIZE];
	struct err e = { { 0 } };
	struct pv_label back;

	(void)state;
	assert_ok(pv_label_encode(&l, sec, &e), &e);
	assert_ok(pv_label_decode(sec, 3, &back, &e), &e);
	assert_memory_equal(&l, &back, sizeof(l));
	/* Offsets are fixed: pv_header at 32, lists from 72. */
	assert_int_equal(le32_get(sec + 20), 32);
	assert_true(le64_get(sec + 72) == 2 << 20);
	/* Reading it from another sector is refused. */
	err_clear(&e);
	assert_int_equal(pv_label_decode(sec, 1, &back, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "label for sector 3 found at sector 1"));
}

static void test_scan_sectors(void **state)
{
	struct pv_label l = {
		.pv_uuid = "0123456789abcdefghijklmnopqrstuv", .device_size = 8 << 20,
		.n_data = 1, .data = { { 1 << 20, 0 } }, .ext_version = 2,
	};
	struct dev *d = mem_dev(8 << 20);
	struct err e = { { 0 } };
	struct pv_label back;
	uint8_t sec[LABEL_SIZE];

	(void)state;
	err_clear(&e);
	assert_int_equal(pv_label_read(d, &back, &e), -ENOENT);
	assert_non_null(strstr(e.msg, "no LVM2 label"));
	for (uint64_t s = 0; s < LABEL_SCAN_SECTORS; s++) {
		assert_int_equal(dev_write_zeroes(d, 0, LABEL_SCAN_SIZE, 0), 0);
		l.sector = s;
		assert_ok(pv_label_write(d, &l, &e), &e);
		assert_ok(pv_label_read(d, &back, &e), &e);
		assert_int_equal(back.sector, s);
		assert_string_equal(back.pv_uuid, l.pv_uuid);
	}
	/* A bad copy in sector 0 is skipped for the good one in sector 3. */
	assert_ok(pv_label_encode(&l, sec, &e), &e);
	sec[100] ^= 1;
	memcpy(sec + 8, "\0\0\0\0\0\0\0\0", 8); /* sector_xl 0 */
	assert_int_equal(dev_write(d, sec, sizeof(sec), 0, 0), 0);
	assert_ok(pv_label_read(d, &back, &e), &e);
	assert_int_equal(back.sector, 3);
	/* Only the bad one: refused, and the message says why. */
	assert_int_equal(dev_write_zeroes(d, 3 * 512, 512, 0), 0);
	err_clear(&e);
	assert_int_equal(pv_label_read(d, &back, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "label checksum"));
	dev_put(d);
}

/* Re-checksum a hand-edited sector. */
static void fix_crc(uint8_t *sec)
{
	le32_put(sec + 16, lvm_crc(LVM_INITIAL_CRC, sec + 20, 492));
}

static void test_refusals(void **state)
{
	struct pv_label l = {
		.sector = 1, .pv_uuid = "0123456789abcdefghijklmnopqrstuv", .device_size = 8 << 20,
		.n_data = 1, .data = { { 1 << 20, 0 } }, .n_mda = 1, .mda = { { 4096, 4096 } },
		.ext_version = 2,
	};
	static const struct {
		size_t off;
		uint8_t val;
		const char *msg;
	} bad[] = {
		{ 24, 'X', "label type" },           /* "LVM2 001" */
		{ 32 + 5, '*', "invalid characters" }, /* uuid */
		{ 20, 0, "pv_header offset" },        /* offset_xl = 0 */
	};
	uint8_t sec[LABEL_SIZE], s2[LABEL_SIZE];
	struct err e = { { 0 } };
	struct pv_label back;

	(void)state;
	assert_ok(pv_label_encode(&l, sec, &e), &e);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(s2, sec, sizeof(s2));
		s2[bad[i].off] = bad[i].val;
		fix_crc(s2);
		err_clear(&e);
		assert_int_equal(pv_label_decode(s2, 1, &back, &e), -EINVAL);
		if (!strstr(e.msg, bad[i].msg))
			fail_msg("case %zu: message \"%s\"", i, e.msg);
	}
	/* A pv_header with no room for its lists. */
	memcpy(s2, sec, sizeof(s2));
	le32_put(s2 + 20, 500);
	fix_crc(s2);
	err_clear(&e);
	assert_int_equal(pv_label_decode(s2, 1, &back, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "pv_header offset"));
	/* A list that never ends inside the sector. */
	memcpy(s2, sec, sizeof(s2));
	for (size_t o = 72; o + 16 <= 512; o += 16)
		le64_put(s2 + o, 4096);
	fix_crc(s2);
	err_clear(&e);
	assert_int_equal(pv_label_decode(s2, 1, &back, &e), -EINVAL);
	assert_true(strstr(e.msg, "runs past") || strstr(e.msg, "more than"));
	/* Encoding refuses what cannot be written. */
	l.data[0].offset = 0;
	err_clear(&e);
	assert_int_equal(pv_label_encode(&l, sec, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "offset 0"));
	l.data[0].offset = 1 << 20;
	l.n_data = PV_LABEL_MAX_AREAS;
	l.n_mda = PV_LABEL_MAX_AREAS;
	l.n_ba = PV_LABEL_MAX_AREAS;
	for (unsigned i = 0; i < PV_LABEL_MAX_AREAS; i++)
		l.data[i] = l.mda[i] = l.ba[i] = (struct disk_locn){ 4096, 1 };
	/* The most we keep still fits in the sector... */
	assert_ok(pv_label_encode(&l, sec, &e), &e);
	assert_ok(pv_label_decode(sec, 1, &back, &e), &e);
	assert_int_equal(back.n_ba, PV_LABEL_MAX_AREAS);
	/* ...and more is refused. */
	l.n_data++;
	err_clear(&e);
	assert_int_equal(pv_label_encode(&l, sec, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "at most"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_label),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_scan_sectors),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
