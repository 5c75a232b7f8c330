/* Sizes printed the way lvm2 prints them.
 *
 * This is libdm's dm_size_to_string() and dm_units_to_factor() with
 * global/si_unit_consistency = 1 (the lvm2 default), so that `--units`
 * and every size in a report or a message match the real tools byte for
 * byte.  The unit is one letter, optionally after a multiplier ("4k"):
 *
 *   r R    human, rounded: the largest unit not above the size, two
 *          decimals, and a '<' in front when the last decimal was rounded
 *          up ("<1.95g").  lvm2's default.
 *   h H    human without the '<'.
 *   b B    bytes, s S  512-byte sectors; no decimals.
 *   k m g t p e    powers of 1024, suffix in lower case;
 *   K M G T P E    powers of 1000, suffix in upper case.
 *
 * Lower-case h and r step by 1024, upper-case H and R by 1000.  A number
 * in front makes a custom unit printed as "U" ("4k": 4096-byte units),
 * except 1, which is the plain letter.  --nosuffix drops the unit letter
 * unless the units are human.
 */
#ifndef ULVM_COMMON_UNITS_H
#define ULVM_COMMON_UNITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct units {
	char type;        /* the letter, or 'U' for a custom multiple */
	uint64_t factor;  /* bytes per unit; 1 for the human units */
	bool suffix;      /* false with --nosuffix */
};

/* How the unit is spelled after the number. */
enum size_style {
	SIZE_UNIT,   /* "4.00m": reports */
	SIZE_SHORT,  /* "4.00 MiB": lvm2's messages (display_size) */
	SIZE_LONG,   /* "4.00 Mebibyte" */
};

#define UNITS_BUF 64

/* lvm2's defaults: "r", with suffix. */
void units_init(struct units *u);

/* Parse a --units argument into @u (its suffix flag is left alone).
 * Returns 0, or -EINVAL: lvm2 says "Invalid units specification". */
int units_parse(const char *s, struct units *u);

/* Print @bytes into @buf (UNITS_BUF bytes are always enough).  Returns
 * the length, or -ENOSPC if @len was too small (@buf holds a prefix). */
int units_format(char *buf, size_t len, uint64_t bytes, const struct units *u,
		 enum size_style style);

#endif
