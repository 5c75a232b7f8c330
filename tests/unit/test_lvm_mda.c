/* Metadata areas: the header (a real one, and every refusal), placement in
 * the ring as LVM does it, many commits wrapping around the ring, the two
 * slots, and CRC checks on the text. */
#include "test_lvm.h"

#include <errno.h>

#include "lvm/crc.h"
#include "common/le.h"
#include "lvm/mda.h"

#define MDA_START 4096

static void test_real_header(void **state)
{
	size_t tlen;
	char *raw = read_fixture("fmtvg-pv0.mdahdr.bin", NULL);
	char *text = read_fixture("fmtvg.mda.txt", &tlen);
	uint8_t again[MDA_HEADER_SIZE];
	struct dev *d = mem_dev(1 << 20);
	struct err e = { { 0 } };
	struct mda_header h;
	struct raw_locn rl;
	char *back;
	size_t blen;

	(void)state;
	assert_ok(mda_header_decode((uint8_t *)raw, MDA_START, 1044480, &h, &e), &e);
	assert_true(h.slot[0].offset == 3072 && h.slot[0].size == tlen + 1);
	assert_true(!h.slot[1].offset && !h.slot[1].size);
	mda_header_encode(&h, again);
	assert_memory_equal(raw, again, MDA_HEADER_SIZE);
	/* Read the text where LVM put it. */
	assert_int_equal(dev_write(d, raw, MDA_HEADER_SIZE, MDA_START, 0), 0);
	assert_int_equal(dev_write(d, text, tlen + 1, MDA_START + 3072, 0), 0);
	assert_ok(mda_header_read(d, MDA_START, 1044480, &h, &e), &e);
	assert_ok(mda_read_text(d, &h, &h.slot[0], &back, &blen, &e), &e);
	assert_int_equal(blen, tlen + 1);
	assert_memory_equal(back, text, tlen + 1);
	free(back);
	/* The next copy goes right after it, 512-aligned. */
	assert_int_equal(mda_next_offset(&h), 4608);
	assert_ok(mda_write_text(d, &h, text, tlen + 1, &rl, &e), &e);
	assert_int_equal(rl.offset, 4608);
	assert_int_equal(rl.checksum, h.slot[0].checksum);
	dev_put(d);
	free(raw);
	free(text);
}

/* Placements observed on real LVM (LVM2-FORMAT.md section 6). */
static void test_next_offset(void **state)
{
	struct mda_header h;

	(void)state;
	mda_header_init(&h, MDA_START, 1044480, false);
	assert_int_equal(mda_next_offset(&h), 512);
	h.slot[0] = (struct raw_locn){ .offset = 512, .size = 876 };
	assert_int_equal(mda_next_offset(&h), 1536);
	h.slot[0] = (struct raw_locn){ .offset = 1029632, .size = 15912 }; /* wraps 1064 */
	assert_int_equal(mda_next_offset(&h), 2048);
	h.slot[0] = (struct raw_locn){ .offset = 1033728, .size = 15814 }; /* wraps 5062 */
	assert_int_equal(mda_next_offset(&h), 5632);
	/* Fewer than 512 bytes left after the old copy: back to the start. */
	h.slot[0] = (struct raw_locn){ .offset = 1043456, .size = 700 };
	assert_int_equal(mda_next_offset(&h), 512);
	/* Ignored: as if empty. */
	h.slot[0] = (struct raw_locn){ .offset = 5120, .size = 100, .flags = RAW_LOCN_IGNORED };
	assert_int_equal(mda_next_offset(&h), 512);
	assert_int_equal(mda_max_text_size(&h), 521472);
}

static void test_bad_headers(void **state)
{
	struct dev *d = mem_dev(1 << 20);
	struct err e = { { 0 } };
	struct mda_header h;
	uint8_t buf[MDA_HEADER_SIZE], b2[MDA_HEADER_SIZE];
	static const struct {
		size_t off;
		uint8_t xor;
		bool fix_crc;
		const char *msg;
	} bad[] = {
		{ 100, 0x01, false, "checksum" },
		{ 0, 0x01, false, "checksum" },
		{ 6, 0x01, true, "magic" },
		{ 20, 0x02, true, "version" },
		{ 25, 0x10, true, "records start" },
		{ 33, 0x10, true, "size" },
		{ 42, 0x10, true, "outside the ring" }, /* slot 0 offset >= size */
	};

	(void)state;
	mda_header_init(&h, MDA_START, 65536, false);
	h.slot[0] = (struct raw_locn){ .offset = 512, .size = 100, .checksum = 1 };
	mda_header_encode(&h, buf);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(b2, buf, sizeof(b2));
		b2[bad[i].off] ^= bad[i].xor;
		if (bad[i].fix_crc)
			le32_put(b2, lvm_crc(LVM_INITIAL_CRC, b2 + 4, 508));
		assert_int_equal(dev_write(d, b2, sizeof(b2), MDA_START, 0), 0);
		err_clear(&e);
		assert_int_equal(mda_header_read(d, MDA_START, 65536, &h, &e), -EINVAL);
		if (!strstr(e.msg, bad[i].msg) || !strstr(e.msg, "memory"))
			fail_msg("case %zu: message \"%s\"", i, e.msg);
	}
	/* Past the end of the device. */
	err_clear(&e);
	assert_int_equal(mda_header_read(d, (1 << 20) - 100, 65536, &h, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "past the end"));
	dev_put(d);
}

/* A VG-like text of about @size bytes (NUL included) for commit @n. */
static char *make_text(unsigned n, size_t size)
{
	char *t = malloc(size);
	int w;

	assert_non_null(t);
	w = snprintf(t, size, "vg {\nseqno = %u\n", n);
	for (size_t i = (size_t)w; i < size - 4; i++)
		t[i] = (char)('a' + (i * 7 + n) % 26);
	memcpy(t + size - 4, "}\n\n", 4);
	return t;
}

/* Placement computed independently from the rule in LVM2-FORMAT.md. */
static uint64_t expect_offset(const struct raw_locn *old, uint64_t size)
{
	uint64_t last, next;

	if (!old->offset && !old->size)
		return 512;
	last = old->offset + old->size > size ? 512 + (old->offset + old->size - size) - 1
					       : old->offset + old->size - 1;
	if (size - last < 512)
		return 512;
	next = (last + 512) / 512 * 512;
	return next > size - 512 ? 512 : next;
}

static void test_many_commits_wrap(void **state)
{
	const uint64_t size = 64 * 1024;
	struct dev *d = mem_dev(1 << 20);
	struct err e = { { 0 } };
	struct mda_header h, disk;
	unsigned wraps = 0, seed = 12345;
	char *prev = NULL;
	size_t prev_len = 0;

	(void)state;
	mda_header_init(&h, MDA_START, size, false);
	assert_ok(mda_header_write(d, &h, &e), &e);
	for (unsigned n = 1; n <= 300; n++) {
		size_t len, blen;
		struct raw_locn rl;
		char *text, *back;

		seed = seed * 1103515245 + 12345;
		len = 64 + (seed >> 8) % (mda_max_text_size(&h) - 64);
		if (n % 50 == 0)
			len = mda_max_text_size(&h); /* the largest allowed */
		text = make_text(n, len);
		assert_ok(mda_write_text(d, &h, text, len, &rl, &e), &e);
		assert_int_equal(rl.offset, expect_offset(&h.slot[0], size));
		assert_int_equal(rl.size, len);
		wraps += rl.offset + rl.size > size;
		/* The committed copy is untouched by the new text. */
		if (prev) {
			assert_ok(mda_read_text(d, &h, &h.slot[0], &back, &blen, &e), &e);
			assert_memory_equal(back, prev, prev_len);
			free(back);
		}
		/* Precommit: slot 1 new, reads of slot 0 still old. */
		assert_ok(mda_precommit(d, &h, &rl, &e), &e);
		assert_ok(mda_header_read(d, MDA_START, size, &disk, &e), &e);
		assert_true(disk.slot[1].offset == rl.offset && disk.slot[1].size == len);
		assert_true(!prev || disk.slot[0].size == prev_len);
		/* Commit: slot 0 new, slot 1 cleared. */
		assert_ok(mda_commit(d, &h, &rl, &e), &e);
		assert_ok(mda_header_read(d, MDA_START, size, &disk, &e), &e);
		assert_memory_equal(&disk, &h, sizeof(h));
		assert_true(!disk.slot[1].offset && !disk.slot[1].size);
		assert_ok(mda_read_text(d, &disk, &disk.slot[0], &back, &blen, &e), &e);
		assert_int_equal(blen, len);
		assert_memory_equal(back, text, len);
		free(back);
		free(prev);
		prev = text;
		prev_len = len;
	}
	assert_true(wraps > 10);
	free(prev);
	dev_put(d);
}

static void test_text_refusals(void **state)
{
	struct dev *d = mem_dev(1 << 20);
	struct err e = { { 0 } };
	struct mda_header h;
	struct raw_locn rl;
	char *text = make_text(1, 1000), *big, *back;
	size_t blen;
	uint8_t b;

	(void)state;
	mda_header_init(&h, MDA_START, 65536, false);
	big = make_text(2, mda_max_text_size(&h) + 1);
	err_clear(&e);
	assert_int_equal(mda_write_text(d, &h, big, mda_max_text_size(&h) + 1, &rl, &e), -ENOSPC);
	assert_non_null(strstr(e.msg, "exceeds the maximum"));
	/* Torn text: the CRC catches it. */
	assert_ok(mda_write_text(d, &h, text, 1000, &rl, &e), &e);
	assert_ok(mda_commit(d, &h, &rl, &e), &e);
	assert_int_equal(dev_read(d, &b, 1, MDA_START + rl.offset + 500), 0);
	b ^= 0x20;
	assert_int_equal(dev_write(d, &b, 1, MDA_START + rl.offset + 500, 0), 0);
	err_clear(&e);
	assert_int_equal(mda_read_text(d, &h, &h.slot[0], &back, &blen, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "checksum error"));
	/* An ignored mda is not written; its stale pointer is kept. */
	h.slot[0].flags = RAW_LOCN_IGNORED;
	err_clear(&e);
	assert_int_equal(mda_write_text(d, &h, text, 1000, &rl, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "ignored"));
	assert_true(mda_empty(&h));
	/* vgremove: both slots cleared, the ignore flag kept. */
	assert_ok(mda_clear(d, &h, &e), &e);
	assert_true(!h.slot[0].offset && !h.slot[0].size && mda_ignored(&h));
	free(text);
	free(big);
	dev_put(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_header),
		cmocka_unit_test(test_next_offset),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_many_commits_wrap),
		cmocka_unit_test(test_text_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
