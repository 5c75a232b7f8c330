/* Column reports as lvm2 prints them: the engine behind lvs, vgs and pvs.
 *
 * A copy of libdm's dm_report (libdm/libdm-report.c) as lvm2 2.03 drives
 * it from tools/reporter.c, with its selection (-S, common/select.h).  The caller describes
 * its fields once (struct report_registry), builds a report from the
 * command-line options, adds one row per object and sets the values of
 * the fields the report wants; report_output() sorts the rows and prints
 * them in the basic (columns) or JSON format.  report_lvm.h has lvm2's
 * own field table, ready to use.
 *
 *   struct report_opts o;
 *   struct report *rep;
 *
 *   report_opts_init(&o);
 *   o.options = argv_of_each_o; o.noptions = n; o.sort = last_O;
 *   rc = report_create(&report_lvm_registry, &report_lvm_lvs, &o, &rep, &e);
 *   if (rc == -ENOENT) { report_print_fields(&report_lvm_registry, stderr); ... }
 *   if (report_help_requested(rep)) { report_print_fields(...); ... }
 *   for each LV {
 *           struct report_row *r = report_row_new(rep);
 *           report_set_str(r, RF_LV_NAME, lv->name);
 *           if (report_wants(rep, RF_DEVICES)) report_set_str(r, RF_DEVICES, ...);
 *           report_set_sectors(r, RF_LV_SIZE, lv->size);
 *   }
 *   rc = report_output(rep, stdout);
 *   report_free(rep);
 *
 * Field names on the command line follow lvm2: case and underscores do
 * not matter, and the report's own prefix may be left out ("size" is
 * lv_size in lvs, vg_size in vgs); "all" and "<prefix>all" ("lv_all",
 * "seg_all") add every field of those object types.  `-o a,b` replaces
 * the default list, `-o+a` appends, `-o-a` removes, `-o#a` hides a column
 * that is blank in every row; several -o are applied in order.  `-O`
 * takes keys with an optional '-' (descending) or '+'; sort keys that are
 * not displayed are still asked for (report_wants()).
 *
 * With a selection, the fields it reads are asked for too, and
 * report_output() prints only the rows it selects (all of them, with a
 * 1 or 0, when the implicit field "selected" is shown);
 * report_row_selected() answers for one row, for commands that select
 * objects to act on.
 *
 * Values set on a field the report does not show are ignored, fields
 * never set print empty.  Setters never fail: an allocation failure is
 * remembered and returned by report_output().
 */
#ifndef ULVM_COMMON_REPORT_H
#define ULVM_COMMON_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/log.h"
#include "common/units.h"

/* Value types; they decide alignment and how rows sort. */
enum report_type {
	REPORT_STR,      /* left aligned, sorted as strings */
	REPORT_NUM,      /* right aligned, sorted as numbers */
	REPORT_SIZE,     /* right aligned, sorted by size */
	REPORT_PERCENT,  /* left aligned (as lvm2), sorted as numbers */
	REPORT_TIME,     /* left aligned, sorted as numbers */
	REPORT_STR_LIST, /* a string list, items joined by ',': as REPORT_STR, but selected as a list */
};

#define REPORT_ALIGN_LEFT  0x1u  /* override the type's alignment */
#define REPORT_ALIGN_RIGHT 0x2u
#define REPORT_LIST_BLANK  0x4u  /* a REPORT_STR_LIST whose items are joined by ' ', not ',' */
#define REPORT_BINARY      0x8u  /* a word for 1, blank for 0 ("unknown" for -1); --binary: 1, 0, -1 */

/* A kind of object a field describes, lvm2's dm_report_object_type. */
struct report_object {
	uint32_t id;         /* one bit */
	const char *desc;    /* "Logical Volume": for report_print_fields() */
	const char *prefix;  /* "lv_" */
};

struct report_field {
	const char *id;       /* "lv_name": matched by -o and -O, the JSON key */
	const char *heading;  /* "LV" */
	uint32_t object;      /* a report_object id */
	enum report_type type;
	unsigned width;       /* minimum column width; 0 means the heading's */
	unsigned flags;       /* REPORT_ALIGN_* */
	const char *desc;     /* one line for report_print_fields(), or NULL */
};

/* A name the selection reserves for a value (lvm2's lib/report/values.h):
 * "undefined" for a number, "allocatable" for pv_allocatable's 1. */
struct report_reserved {
	int field;                /* the field it is for, or -1: every field of @type */
	enum report_type type;    /* with field -1 */
	bool named;               /* only a name: not kept out of <, >, ... */
	const char *const *names; /* NULL-terminated */
	uint64_t num;             /* the value, for number and percent fields */
	const char *str;          /* for string fields */
	const char *desc;
};

struct report_registry {
	const struct report_object *objects;
	size_t nobjects;
	const struct report_field *fields;  /* indexed by the caller's field numbers */
	size_t nfields;
	const struct report_reserved *reserved; /* in lvm2's order, which its help keeps */
	size_t nreserved;
};

/* The field a name stands for in a report whose own prefix is @prefix
 * (case and '_' do not matter; "size" is lv_size in lvs): its number,
 * REPORT_FIELD_SELECTED(reg) for the implicit "selected", -2 for "help"
 * or "?", -1 for none. */
int report_field_find(const struct report_registry *reg, const char *prefix, const char *word,
		      size_t len);
#define REPORT_FIELD_SELECTED(reg) ((int)(reg)->nfields)
/* The description of field @f, the implicit ones included. */
const struct report_field *report_field_def(const struct report_registry *reg, unsigned f);

/* One report command: lvs, vgs, pvs, lvs --segments, ... */
struct report_spec {
	const char *name;            /* "lv": the JSON array holding the rows */
	uint32_t object;             /* whose prefix may be omitted */
	const char *fields;          /* default -o */
	const char *fields_verbose;  /* default -o with -v, or NULL */
	const char *sort;            /* default -O */
};

enum report_format { REPORT_BASIC, REPORT_JSON };

struct report_opts {
	const char *const *options;  /* each -o argument, in order */
	size_t noptions;
	const char *sort;            /* the last -O, or NULL for the default */
	const char *separator;       /* --separator; NULL is " " and aligned */
	bool aligned;                /* --aligned: pad even with a separator */
	bool noheadings;
	bool nameprefixes;           /* LVM2_LV_NAME='x' (unaligned) */
	bool unquoted;               /* with nameprefixes: no quotes */
	bool rows;                   /* --rows: one line per field */
	bool unbuffered;             /* --unbuffered: rows as they came, columns as wide as headings */
	bool binary;                 /* --binary: REPORT_BINARY fields as 1, 0 and -1 */
	bool verbose;                /* -v: the spec's verbose field list */
	enum report_format format;   /* --reportformat */
	struct units units;          /* --units, --nosuffix */
	const char *selection;       /* -S, or NULL */
};

struct report;
struct report_row;

/* --binary from the configuration (report/binary_values_as_numeric),
 * read after report_create: before the first row. */
void report_set_binary(struct report *rep);

/* Defaults: basic format, headings, aligned, units "r". */
void report_opts_init(struct report_opts *o);

/* Parse "basic" or "json"; -EINVAL otherwise ("Invalid argument for
 * --reportformat: %s" in lvm2). */
int report_parse_format(const char *s, enum report_format *f);

/* Build a report.  Returns 0, -ENOENT for an unknown field or sort key
 * (@e says "Unrecognised field: foo"; lvm2 prints report_print_fields()
 * first and exits 5), -EINVAL for an empty -o ("Invalid options string:
 * ") or a bad selection, -EDOM for a selection operator that a field
 * cannot take (lvm2 prints select_help() first), or -ENOMEM. */
int report_create(const struct report_registry *reg, const struct report_spec *spec,
		  const struct report_opts *opts, struct report **rep, struct err *e);
void report_free(struct report *rep);

/* `-o help` or `-o ?`: print report_print_fields() and no report;
 * `-S help`: the fields and select_help(). */
bool report_help_requested(const struct report *rep);
bool report_select_help_requested(const struct report *rep);
/* Whether @field is shown or sorted on, so its value is needed. */
bool report_wants(const struct report *rep, unsigned field);
/* The same through one of its rows (false for a NULL row). */
bool report_row_wants(const struct report_row *row, unsigned field);
/* The report_object ids of all fields shown or sorted on; lvs uses it to
 * see whether rows are segments, or PV and LV fields are mixed. */
uint32_t report_objects(const struct report *rep);

/* lvm2's field list ("Logical Volume Fields\n ---..."), to @out. */
void report_print_fields(const struct report_registry *reg, FILE *out);
/* The same with each field's type, as lvm2 lists them for -S. */
void report_print_fields_typed(const struct report_registry *reg, FILE *out);

/* A new row; NULL only when out of memory (setters accept NULL). */
struct report_row *report_row_new(struct report *rep);

void report_set_str(struct report_row *row, unsigned field, const char *s);
/* Shown as @s, sorted and selected by @key (lv_name "[hidden]" by "hidden"). */
void report_set_str_key(struct report_row *row, unsigned field, const char *s, const char *key);
void report_set_fmt(struct report_row *row, unsigned field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void report_set_u64(struct report_row *row, unsigned field, uint64_t v);
void report_set_s64(struct report_row *row, unsigned field, int64_t v);
/* A size in the report's units; sorts by size. */
void report_set_sectors(struct report_row *row, unsigned field, uint64_t sectors);
void report_set_bytes(struct report_row *row, unsigned field, uint64_t bytes);
/* Any text with its own sort value, which numeric types sort by and
 * REPORT_STR ignores (binary fields as "active"/"" with 1/0, times). */
void report_set_value(struct report_row *row, unsigned field, const char *s, uint64_t sort);

/* Percentages as dm_percent_t: millionths of a percent, lvm2's rounding
 * (nothing below 100% prints as 100.00, nothing above 0% as 0.00). */
#define REPORT_PERCENT_1 1000000
#define REPORT_PERCENT_100 (100 * REPORT_PERCENT_1)
#define REPORT_PERCENT_INVALID (-1)  /* prints empty */
int32_t report_make_percent(uint64_t numerator, uint64_t denominator);
void report_set_percent(struct report_row *row, unsigned field, int32_t percent);

/* Whether the row passes the selection, by the values set so far. */
bool report_row_selected(struct report_row *row);

/* Sort the rows and print everything, as lvm2 does: two spaces before
 * each line, no output at all for zero rows in the basic format.  Returns
 * 0, the first -ENOMEM a setter met, or -EIO if @out failed. */
int report_output(struct report *rep, FILE *out);

#endif
