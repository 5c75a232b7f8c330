/* Report selection (-S/--select): lvm2's selection language, as libdm's
 * libdm-report.c parses and evaluates it (lvm2 2.03.16).
 *
 *   SELECTION := OR
 *   OR        := AND (("||" | "#") AND)*
 *   AND       := EX  (("&&" | ",") EX)*
 *   EX        := "!" "(" OR ")" | "(" OR ")" | FIELD OP VALUE
 *   OP        := "=~" | "!~" | "=" | "!=" | ">=" | ">" | "<=" | "<"
 *
 * FIELD is a report field named as -o names it (case and '_' do not
 * matter, the report's own prefix may be left out).  VALUE is read by the
 * field's type: a string, quoted with ' or " or ending at an operator, ')'
 * or a blank; a number; a size with an optional unit letter (lvm2's
 * dm_units_to_factor: b s k m g t p e, K M G ... for powers of 1000; MiB
 * when none); a percent with an optional '%'; a string list, one item or
 * "[a,b]" (exactly these items, order free) or "{a,b}" (these among
 * others), items joined all by "&&"/"," or all by "||"/"#" (any of
 * them); a regex after =~ or !~ (POSIX extended here, lvm2's own engine
 * there), which may be quoted or enclosed in (), [] or {}.  Names the
 * registry reserves for a field or a type stand for their values
 * ("undefined" for a number, "allocatable" for 1 of pv_allocatable);
 * ordering comparisons never match a strictly reserved value.
 *
 * Errors say what lvm2 says, one line each ("Selection syntax error at
 * '...'."), joined by "\n  " for a caller that prints "  " first.
 * A time (lv_time) is "@EPOCH", libdm's "YYYY-MM-DD HH:MM:SS +HH:MM" (or
 * a shorter form: the span it covers) or lvm2's words ("1 week ago",
 * "yesterday", "noon", "Dec 1"): select_time.c.
 * Not done: reserved ranges.
 */
#ifndef ULVM_COMMON_SELECT_H
#define ULVM_COMMON_SELECT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/log.h"

struct report_registry;
struct selection;

/* What a row holds for one field.  @str: a string field's text (a string
 * list's items joined by @sep); @num: a number, a percent (millionths, as
 * report_set_percent), a size in bytes.  Neither set: the field has no
 * value in this row, which no comparison but "!=" and "!~" matches. */
struct select_value {
	const char *str;
	uint64_t num;
	bool set;
	char sep; /* between a list's items: ',', or ' ' (REPORT_LIST_BLANK) */
};

typedef void (*select_get_fn)(void *ctx, unsigned field, struct select_value *v);

/* Parse @text for a report whose fields are @reg's and whose own prefix
 * is @prefix ("lv_").  Returns 0 with *out (NULL for an empty selection
 * or "all": everything matches), or, with @e saying why:
 *   -ENOENT  an unknown or uncomparable field (lvm2 lists the fields first),
 *   -EDOM    an operator the field cannot take (lvm2 prints select_help first),
 *   -EINVAL  any other syntax or value error, -ENOMEM. */
int select_parse(const struct report_registry *reg, const char *prefix, const char *text,
		 struct selection **out, struct err *e);
void select_free(struct selection *s);

/* "help" or "?": the caller prints the fields and select_help. */
bool select_is_help(const char *text);

/* The fields @s reads, each once (*fields lives as long as @s). */
unsigned select_fields(const struct selection *s, const unsigned **fields);

/* Whether a row matches; @get gives its value of each field @s reads.
 * A NULL selection matches every row. */
bool select_match(const struct selection *s, select_get_fn get, void *ctx);

/* lvm2's "Selection operands/Reserved values/Selection operators". */
void select_help(const struct report_registry *reg, FILE *out);

#endif
