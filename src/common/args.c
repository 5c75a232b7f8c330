#include "common/args.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

int parse_u64(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

int parse_u32(const char *s, uint32_t *out)
{
	uint64_t v;
	int r = parse_u64(s, &v);

	if (r)
		return r;
	if (v > UINT32_MAX)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

int parse_size(const char *s, uint64_t *bytes)
{
	static const char units[] = "bkmgtpe";
	char num[64];
	size_t n;
	uint64_t v, mul = 1;
	const char *u;
	int r;

	if (!s || !*s)
		return -EINVAL;
	n = strlen(s);
	if (n >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, n + 1);
	if (isalpha((unsigned char)num[n - 1])) {
		char c = (char)tolower((unsigned char)num[n - 1]);
		num[--n] = '\0';
		if (c == 's') {
			mul = 512;
		} else if ((u = strchr(units, c)) && c) {
			for (long i = 0; i < u - units; i++)
				mul *= 1024;
		} else {
			return -EINVAL;
		}
	}
	r = parse_u64(num, &v);
	if (r)
		return r;
	if (v && mul > UINT64_MAX / v)
		return -ERANGE;
	*bytes = v * mul;
	return 0;
}

int split_words(char *line, char **argv, int max)
{
	int n = 0;
	char *p = line;

	for (;;) {
		while (*p && isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (n == max)
			return -E2BIG;
		argv[n++] = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		*p++ = '\0';
	}
	return n;
}

const char *arg_shift(struct arg_set *as)
{
	if (as->argc <= 0)
		return NULL;
	as->argc--;
	return *as->argv++;
}

int arg_u32(struct arg_set *as, uint32_t min, uint32_t max, uint32_t *out)
{
	uint32_t v;
	const char *s = arg_shift(as);

	if (!s || parse_u32(s, &v) || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int arg_u64(struct arg_set *as, uint64_t *out)
{
	const char *s = arg_shift(as);

	if (!s)
		return -EINVAL;
	return parse_u64(s, out);
}
