/* The kernel's disk log (dm-log.c, struct log_header_disk) as bytes.
 *
 * Sector 0: le32 magic "MiRr", le32 version 2, le64 nr_regions; from
 * byte 1024 the clean bits, one per region (1: clean), in le32 words,
 * bit i of the log being bit i % 32 of word i / 32.  Header and bits are
 * one I/O from sector 0, rounded up to whole sectors.
 */
#ifndef ULVM_TARGETS_MIRROR_LOG_DISK_H
#define ULVM_TARGETS_MIRROR_LOG_DISK_H

#include <stddef.h>
#include <stdint.h>

#define MLOG_MAGIC 0x4D695272u
#define MLOG_VERSION 2u
#define MLOG_BITS_OFFSET 1024u

/* Bytes of the log for @nregions regions. */
size_t mlog_size(uint64_t nregions);
/* Encode into @buf (mlog_size bytes, zeroed here). */
void mlog_encode(uint8_t *buf, uint64_t nregions, const uint32_t *bits);
/* Decode @len bytes into @bits (@words 32-bit words, for @nregions
 * regions; bits of regions the log does not have are cleared): 0,
 * -ENODATA for a log never written (no magic), -EINVAL with *@why. */
int mlog_decode(const uint8_t *buf, size_t len, uint64_t nregions, uint32_t *bits, size_t words, const char **why);

#endif
