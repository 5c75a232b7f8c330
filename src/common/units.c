/* Size formatting after libdm's dm_size_to_string() (libdm-string.c).
 *
 * The suffix table has the same rows as libdm's so the odd corners come
 * out the same: a zero printed in human units is "0 " (the unknown-unit
 * row's suffix is a blank), bytes and sectors get no decimals, and SI
 * kilo is spelled "kB" in the short style. */
#include "common/units.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KIB UINT64_C(1024)
#define KB UINT64_C(1000)

enum { UNIT_PREFIXES = 6 };

/* Rows of libdm's size_str[], indexed by enum size_style. */
struct suffix {
	const char *s[3];
};

static const struct suffix unknown_row = { { " ", "   ", "         " } };

static const struct suffix base_1024[UNIT_PREFIXES + 1] = {
	{ { "e", " EiB", " Exbibyte" } },
	{ { "p", " PiB", " Pebibyte" } },
	{ { "t", " TiB", " Tebibyte" } },
	{ { "g", " GiB", " Gibibyte" } },
	{ { "m", " MiB", " Mebibyte" } },
	{ { "k", " KiB", " Kibibyte" } },
	{ { "b", " B", " Byte    " } },
};

/* Its seventh row is libdm's first "special" one, shared with bytes. */
static const struct suffix base_1000[UNIT_PREFIXES + 1] = {
	{ { "E", " EB", " Exabyte" } },
	{ { "P", " PB", " Petabyte" } },
	{ { "T", " TB", " Terabyte" } },
	{ { "G", " GB", " Gigabyte" } },
	{ { "M", " MB", " Megabyte" } },
	{ { "K", " kB", " Kilobyte" } },
	{ { "B", " B ", " Byte    " } },
};

static const struct suffix special[3] = {
	{ { "B", " B ", " Byte    " } },
	{ { "U", " Un", " Units   " } },
	{ { "S", " Se", " Sectors " } },
};

static const char prefix_1000[] = "EPTGMK";
static const char prefix_1024[] = "eptgmk";
static const char special_letters[] = "BUS";

void units_init(struct units *u)
{
	u->type = 'r';
	u->factor = 1;
	u->suffix = true;
}

static bool close_enough(double a, double b)
{
	double d = a - b;

	return (d < 0 ? -d : d) < DBL_EPSILON;
}

int units_parse(const char *s, struct units *u)
{
	uint64_t v = 1, mult, pow = 1;
	double custom = 0;
	const char *p;
	char type;

	if (!s)
		return -EINVAL;
	if (isdigit((unsigned char)*s)) {
		char *end;

		custom = strtod(s, &end);
		if (end == s)
			return -EINVAL;
		v = strtoull(s, NULL, 10);
		if (close_enough((double)v, custom))
			custom = 0; /* integer arithmetic */
		s = end;
	}
	if (!s[0] || s[1])
		return -EINVAL;
	type = v == 1 ? *s : 'U';

	if ((p = strchr("hHrR", *s))) {
		mult = v = 1;
		type = *s;
	} else if (*s == 'b' || *s == 'B') {
		mult = 1;
	} else if (*s == 's' || *s == 'S') {
		mult = 512;
	} else if ((p = strchr(prefix_1024, *s))) {
		for (long i = UNIT_PREFIXES - (p - prefix_1024); i > 0; i--)
			pow *= KIB;
		mult = pow;
	} else if ((p = strchr(prefix_1000, *s))) {
		for (long i = UNIT_PREFIXES - (p - prefix_1000); i > 0; i--)
			pow *= KB;
		mult = pow;
	} else {
		return -EINVAL;
	}

	u->type = type;
	u->factor = close_enough(custom, 0) ? v * mult : (uint64_t)(custom * (double)mult);
	if (!u->factor)
		return -EINVAL;
	return 0;
}

/* floorl(d) != nearbyintl(d) for 0 <= d < 2^52, rounding to nearest even
 * as nearbyint does in the default mode, without libm. */
static bool rounds_up(double d)
{
	double f = (double)(uint64_t)d;
	double frac = d - f;

	if (frac > 0.5)
		return true;
	if (frac < 0.5)
		return false;
	return ((uint64_t)f & 1) != 0;
}

int units_format(char *buf, size_t len, uint64_t bytes, const struct units *u,
		 enum size_style style)
{
	const struct suffix *row = NULL;
	const char *prefix = "";
	bool suffix = u->suffix;
	uint64_t byte;
	const char *p;
	int precision, n;
	char t = u->type;

	/* Which row of the table the unit letter names. */
	if ((p = strchr(prefix_1000, t)) && t)
		row = &base_1000[p - prefix_1000];
	else if ((p = strchr(prefix_1024, t)) && t)
		row = &base_1024[p - prefix_1024];
	else if ((p = strchr(special_letters, toupper((unsigned char)t))) && t)
		row = &special[p - special_letters];

	if (!bytes) {
		n = snprintf(buf, len, "0%s",
			     suffix ? (row ? row : &unknown_row)->s[style] : "");
		return n < 0 || (size_t)n >= len ? -ENOSPC : n;
	}

	if (row) {
		byte = u->factor;
	} else {
		/* Human: the largest unit not above the size. */
		bool si = t == 'H' || t == 'R';
		uint64_t step = si ? KB : KIB;
		const struct suffix *base = si ? base_1000 : base_1024;
		unsigned s;

		byte = step * step * step * step * step * step;
		for (s = 0; s < UNIT_PREFIXES && bytes < byte; s++)
			byte /= step;
		if (s < UNIT_PREFIXES && (t == 'r' || t == 'R') &&
		    rounds_up(100. * (double)bytes / (double)byte))
			prefix = "<";
		row = &base[s];
		suffix = true;
	}

	switch (toupper((unsigned char)row->s[SIZE_UNIT][0])) {
	case 'B':
	case 'S':
		precision = 0;
		break;
	default:
		precision = 2;
	}
	n = snprintf(buf, len, "%s%.*f%s", prefix, precision, (double)bytes / (double)byte,
		     suffix ? row->s[style] : "");
	return n < 0 || (size_t)n >= len ? -ENOSPC : n;
}
