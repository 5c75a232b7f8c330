#include "lvm/id.h"

#include <errno.h>
#include <string.h>
#include <sys/random.h>

static const char id_chars[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!#";

static bool id_char_ok(char c) { return c && strchr(id_chars, c); }

bool lvm_id_valid(const char *id)
{
	for (int i = 0; i < LVM_ID_LEN; i++)
		if (!id_char_ok(id[i]))
			return false;
	return true;
}

int lvm_id_parse(const char *s, char out[LVM_ID_LEN + 1], struct err *e)
{
	size_t n = 0;

	for (const char *p = s; *p; p++) {
		if (*p == '-')
			continue;
		if (!id_char_ok(*p))
			return err_set(e, -EINVAL, "UUID \"%s\" contains invalid character '%c'", s, *p);
		if (n == LVM_ID_LEN)
			return err_set(e, -EINVAL, "UUID \"%s\" has more than %d characters", s, LVM_ID_LEN);
		out[n++] = *p;
	}
	if (n != LVM_ID_LEN)
		return err_set(e, -EINVAL, "UUID \"%s\" has %zu characters, not %d", s, n, LVM_ID_LEN);
	out[n] = '\0';
	return 0;
}

void lvm_id_format(const char *id, char out[LVM_ID_TEXT_LEN + 1])
{
	static const int group[] = { 6, 4, 4, 4, 4, 4, 6 };
	char *o = out;

	for (int g = 0; g < 7; g++) {
		if (g)
			*o++ = '-';
		memcpy(o, id, (size_t)group[g]);
		o += group[g];
		id += group[g];
	}
	*o = '\0';
}

int lvm_id_create(char out[LVM_ID_LEN + 1], struct err *e)
{
	unsigned char rnd[LVM_ID_LEN];
	size_t got = 0;

	while (got < sizeof(rnd)) {
		ssize_t r = getrandom(rnd + got, sizeof(rnd) - got, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return err_set(e, -errno, "getrandom: %s", strerror(errno));
		}
		got += (size_t)r;
	}
	/* 256 % 62 != 0: the bias is what LVM has too (it takes rnd % 62). */
	for (int i = 0; i < LVM_ID_LEN; i++)
		out[i] = id_chars[rnd[i] % 62];
	out[LVM_ID_LEN] = '\0';
	return 0;
}
