/* LVM2's checksum (lib/misc/crc.c: calc_crc).
 *
 * A reflected CRC-32 with the zlib polynomial 0xEDB88320, started from
 * LVM_INITIAL_CRC and with no final XOR, so it is NOT zlib's crc32():
 *   lvm_crc(LVM_INITIAL_CRC, b, n) == ~crc32(~LVM_INITIAL_CRC, b, n)
 * Chaining works as with any CRC: lvm_crc(lvm_crc(i, a, n), b, m) is the
 * checksum of a followed by b (metadata text that wraps in the ring).
 *
 * Covered bytes: the label sector from offset 20 to 511, the mda header
 * from offset 4 to 511, and the metadata text (raw_locn.size bytes).
 */
#ifndef ULVM_LVM_CRC_H
#define ULVM_LVM_CRC_H

#include <stddef.h>
#include <stdint.h>

#define LVM_INITIAL_CRC 0xf597a6cfu

uint32_t lvm_crc(uint32_t crc, const void *buf, size_t len);

#endif
