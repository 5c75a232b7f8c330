/* LVM2's calc_crc: the reference vectors, and the checksums stored in a
 * PV made by real lvm2 (label sector, mda header, metadata text). */
#include "test_lvm.h"

#include "lvm/crc.h"
#include "common/le.h"
#include "lvm/mda.h"

static void test_vectors(void **state)
{
	uint8_t zero[508] = { 0 };
	uint8_t hdr[MDA_HEADER_SIZE];
	struct mda_header h;

	(void)state;
	assert_int_equal(lvm_crc(LVM_INITIAL_CRC, "", 0), 0xf597a6cf);
	assert_int_equal(lvm_crc(LVM_INITIAL_CRC, "123456789", 9), 0x4991cf02);
	assert_int_equal(lvm_crc(LVM_INITIAL_CRC, zero, sizeof(zero)), 0x6702d122);
	/* The empty mda header pvcreate writes. */
	mda_header_init(&h, 4096, 1044480, false);
	mda_header_encode(&h, hdr);
	assert_int_equal(le32_get(hdr), 0xdb8ed616);
	assert_int_equal(lvm_crc(LVM_INITIAL_CRC, hdr + 4, 508), 0xdb8ed616);
}

/* Bitwise definition: reflected, polynomial 0xEDB88320, no final XOR. */
static uint32_t crc_bitwise(uint32_t crc, const uint8_t *p, size_t n)
{
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ ((crc & 1) ? 0xEDB88320u : 0);
	}
	return crc;
}

static void test_table_matches_bitwise_and_chains(void **state)
{
	uint8_t buf[1000];

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 131 + 7);
	for (size_t n = 0; n < sizeof(buf); n += 37)
		assert_int_equal(lvm_crc(LVM_INITIAL_CRC, buf, n),
				 crc_bitwise(LVM_INITIAL_CRC, buf, n));
	/* A wrapped text is checksummed in two pieces. */
	assert_int_equal(lvm_crc(lvm_crc(LVM_INITIAL_CRC, buf, 300), buf + 300, 700),
			 lvm_crc(LVM_INITIAL_CRC, buf, 1000));
}

static void test_real_pv_checksums(void **state)
{
	size_t n, tlen;
	char *label = read_fixture("fmtvg-pv0.label.bin", &n);
	char *mdah = read_fixture("fmtvg-pv0.mdahdr.bin", NULL);
	char *text = read_fixture("fmtvg.mda.txt", &tlen);

	(void)state;
	assert_int_equal(n, 512);
	/* label: bytes 20..511, stored at 16 */
	assert_int_equal(lvm_crc(LVM_INITIAL_CRC, label + 20, 492), le32_get((uint8_t *)label + 16));
	/* mda header: bytes 4..511, stored at 0 */
	assert_int_equal(lvm_crc(LVM_INITIAL_CRC, mdah + 4, 508), le32_get((uint8_t *)mdah));
	/* text + its NUL: raw_locns[0].checksum (offset 40 + 16) */
	assert_int_equal(le64_get((uint8_t *)mdah + 48), tlen + 1);
	assert_int_equal(lvm_crc(LVM_INITIAL_CRC, text, tlen + 1), le32_get((uint8_t *)mdah + 56));
	free(label);
	free(mdah);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_table_matches_bitwise_and_chains),
		cmocka_unit_test(test_real_pv_checksums),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
