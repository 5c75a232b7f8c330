/* The parsed form of a selection, shared by its parser (select.c) and
 * its evaluation (select_eval.c).  Not for use outside them. */
#ifndef ULVM_COMMON_SELECT_INTERNAL_H
#define ULVM_COMMON_SELECT_INTERNAL_H

#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "common/report.h"
#include "common/select.h"

/* Comparison flags (libdm's FLD_CMP_*). */
enum {
	CMP_EQUAL = 1u << 0,
	CMP_NOT = 1u << 1,
	CMP_GT = 1u << 2,
	CMP_LT = 1u << 3,
	CMP_REGEX = 1u << 4,
	CMP_NUMBER = 1u << 5,
	CMP_TIME = 1u << 6,
};

/* Logical and list operators (libdm's SEL_*). */
enum {
	L_AND = 1u << 0,
	L_OR = 1u << 1,
	L_NOT = 1u << 2,
	L_PS = 1u << 3,
	L_PE = 1u << 4,
	L_LS = 1u << 5,
	L_LE = 1u << 6,
	L_SLS = 1u << 7,
	L_SLE = 1u << 8,
};

struct op {
	const char *s;
	unsigned flags;
	const char *desc;
};

/* lvm2's operators, in its order: a longer one before its prefixes. */
extern const struct op select_cmp_ops[];
extern const struct op select_log_ops[];

#define PERCENT_1 1000000u
#define PERCENT_100 (100u * PERCENT_1)

enum node_kind { N_ITEM, N_AND, N_OR };

struct node {
	enum node_kind kind;
	bool neg;
	struct node **kids;
	unsigned nkids;
	/* N_ITEM */
	unsigned field;
	enum report_type type;
	unsigned cmp;
	uint64_t num;     /* NUM, PERCENT */
	double sectors;   /* SIZE */
	char *str;        /* STR */
	regex_t re;
	bool has_re;
	int64_t t1, t2;   /* TIME: the span (t2: with trange) */
	bool trange;
	char **items;     /* STR_LIST, sorted */
	unsigned nitems;
	bool subset, any; /* {..}; items joined by || */
};

struct selection {
	const struct report_registry *reg;
	struct node *root;
	struct node **arena;
	unsigned narena, carena;
	unsigned *fields;
	unsigned nfields;
};

/* Reserved value @r is for @field (of type @type). */
bool select_reserved_for(const struct report_reserved *r, unsigned field, enum report_type type);
/* A strictly reserved value (not only a name) of @field equal to @num or
 * @str: ordering comparisons never match it. */
bool select_strictly_reserved(const struct report_registry *reg, unsigned field, enum report_type type,
			      uint64_t num, const char *str);

/* select_time.c: a time value, [t1, t2] if @range, else t1. */
struct time_span {
	int64_t t1, t2;
	bool range;
};
/* lvm2's words ("2 hours ago", "yesterday", "Dec 1"...) at @now: 1 with
 * *@out, 0 when @s is not in them (nothing said), -EINVAL saying why in
 * @why, -ENOMEM. */
int select_time_fuzzy(const char *s, time_t now, struct time_span *out, char *why, size_t n);
/* "YYYY-MM-DD HH:MM:SS +HH:MM" and its shorter forms: 0 with *@out, or
 * -EINVAL with @why ("" when lvm2 says nothing more). */
int select_time_formatted(const char *s, struct time_span *out, char *why, size_t n);

/* select_regex.c: 0 when regcomp may compile @re, -E2BIG when its
 * repetitions would expand it past SELECT_RE_NODES nodes. */
#define SELECT_RE_NODES 2048
int select_regex_check(const char *re);

#endif
