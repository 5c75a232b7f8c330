/* Argument helpers shared by table constructors and the CLI.
 * Every number parser rejects empty strings, signs, trailing junk and
 * overflow; each returns 0 or -EINVAL / -ERANGE. */
#ifndef ULVM_COMMON_ARGS_H
#define ULVM_COMMON_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int parse_u64(const char *s, uint64_t *out);
int parse_u32(const char *s, uint32_t *out);
/* A size with an optional unit suffix (s = 512-byte sectors, b, k, m, g, t,
 * p, e; powers of 1024; case-insensitive), returned in bytes. */
int parse_size(const char *s, uint64_t *bytes);

/* Split @line at blanks into at most @max words, in place; returns the
 * number of words or -E2BIG. */
int split_words(char *line, char **argv, int max);

/* A cursor over an argv, as the kernel's dm_arg_set. */
struct arg_set {
	int argc;
	char **argv;
};

const char *arg_shift(struct arg_set *as);
/* Read one unsigned number in [min, max]; @what names it in the error. */
int arg_u32(struct arg_set *as, uint32_t min, uint32_t max, uint32_t *out);
int arg_u64(struct arg_set *as, uint64_t *out);

static inline bool is_pow2_u64(uint64_t v) { return v && !(v & (v - 1)); }

#endif
