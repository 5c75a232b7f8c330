/* Small helpers over memory buffers. */
#ifndef ULVM_COMMON_MEM_H
#define ULVM_COMMON_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* @n bytes at @p are all zero (a blank superblock, a hole's contents):
 * the first byte, then every byte against the one before it. */
static inline bool mem_is_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	return !n || (!b[0] && !memcmp(b, b + 1, n - 1));
}

#endif
