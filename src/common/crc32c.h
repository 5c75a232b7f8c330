/* CRC-32C (Castagnoli), as the kernel's crc32c() computes it.
 *
 * Reflected polynomial 0x82F63B78, the caller passes the seed and there is
 * no final inversion: crc32c(~0u, "123456789", 9) == 0x1CF96D7C (the
 * "standard" CRC-32C, 0xE3069283, is its complement).  persistent-data
 * checksums are crc32c(~0u, block + 4, 4092) ^ salt.
 *
 * Why our own table-driven code and not ISA-L: one 4 KiB block costs a few
 * microseconds with slicing-by-8, which is small next to the I/O, and it
 * keeps the build free of another library.  Swap in a hardware version
 * here if a benchmark shows checksums matter.
 */
#ifndef ULVM_COMMON_CRC32C_H
#define ULVM_COMMON_CRC32C_H

#include <stddef.h>
#include <stdint.h>

uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

#endif
