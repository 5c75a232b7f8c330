/* What report.c shares with report_output.c: the report's own
 * structures (not for users of the engine: they include report.h). */
#ifndef ULVM_COMMON_REPORT_INT_H
#define ULVM_COMMON_REPORT_INT_H

#include "common/report.h"

#define LINE_PREFIX "  "
#define JSON_INDENT 4
#define ID_MAX 64

struct report_cell {
	char *str;      /* NULL: never set, prints empty */
	char *key;      /* sorted and selected by, when not str */
	uint64_t sort;
	bool set;
};

struct report_row {
	struct report *rep;
	size_t seq;     /* insertion order: the last sort key */
	struct report_cell cells[];
};

struct report_col {
	unsigned field;
	unsigned slot;
	size_t width;
	bool compact;   /* -o#: hide when blank in every row */
	bool hidden;
};

struct report_key {
	unsigned slot;
	bool desc;
};

struct report {
	const struct report_registry *reg;
	const struct report_spec *spec;
	struct report_opts opts;
	const char *prefix;     /* the spec object's, "lv_" */
	char *separator;
	bool aligned, headings;

	int *slot_of;           /* per field: its slot or -1 */
	unsigned *slot_field;   /* per slot: its field */
	unsigned nslots;
	struct report_col *cols;
	unsigned ncols;
	struct report_key *keys;
	unsigned nkeys;
	uint32_t objects;
	bool help, select_help;
	struct selection *sel;
	int selected_col;       /* a shown "selected" column, or -1 */

	struct report_row **rows;
	size_t nrows, cap;
	int error;              /* sticky, from the setters */
};

/* Fields every report knows besides the registry's, as libdm's implicit
 * ones: "selected" (field number nfields) and the two names of help. */
extern const char *const report_help_ids[2];
extern const struct report_field report_selected_field;

static inline const struct report_field *report_def(const struct report *rep, unsigned f)
{
	return report_field_def(rep->reg, f);
}

/* What a cell prints ("" when never set). */
static inline const char *report_text(const struct report_row *row, unsigned slot)
{
	const char *s = row->cells[slot].str;

	return s ? s : "";
}

/* What a string sorts and selects by. */
static inline const char *report_key_of(const struct report_row *row, unsigned slot)
{
	const char *k = row->cells[slot].key;

	return k ? k : report_text(row, slot);
}

const struct report_object *report_find_object(const struct report_registry *reg, uint32_t id);
/* Keep the rows the selection matches, or all of them with "selected"
 * shown as 1 or 0. */
void report_apply_selection(struct report *rep);

#endif
