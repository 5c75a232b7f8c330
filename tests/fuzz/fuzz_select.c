/* libFuzzer: lvm2's selection language (src/common/select*.c) on lvm2's
 * field table.  Any input is parsed or refused with a message, never
 * crashes or leaks; what parses is evaluated against a few rows with and
 * without values, and through a report whose rows it filters. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/report.h"
#include "common/select.h"
#include "lvm/report_lvm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Row @ctx: 0 has no values, 1 and 2 some of every type. */
static void get(void *ctx, unsigned field, struct select_value *v)
{
	static const char *const strs[] = { "lv1", "a,b,zeta", "", "/dev/x:0-1 /dev/y:2-2" };
	uintptr_t row = (uintptr_t)ctx;

	if (!row)
		return;
	v->str = strs[(field + row) % 4];
	v->num = row == 1 ? field * 1048576u : UINT64_MAX;
	v->set = true;
	v->sep = field % 2 ? ',' : ' ';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err e = { { 0 } };
	struct selection *s;
	struct report_opts o;
	struct report *rep;
	char *text = malloc(size + 1);
	int rc;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0'; /* a command-line argument: up to its first NUL */
	rc = select_parse(&report_lvm_registry, "lv_", text, &s, &e);
	if (rc) {
		if (!e.msg[0])
			abort(); /* every refusal says why */
	} else {
		const unsigned *f;
		unsigned n = select_fields(s, &f);

		for (unsigned i = 0; i < n; i++)
			if (f[i] > report_lvm_registry.nfields)
				abort();
		for (uintptr_t row = 0; row < 3; row++)
			(void)select_match(s, get, (void *)row);
		select_free(s);
	}
	/* The same through a report: two rows, printed to nowhere. */
	report_opts_init(&o);
	o.selection = text;
	err_clear(&e);
	if (!report_create(&report_lvm_registry, &report_lvm_lvs, &o, &rep, &e)) {
		for (int i = 0; i < 2; i++) {
			struct report_row *r = report_row_new(rep);

			report_set_str_key(r, RF_LV_NAME, i ? "[x]" : "y", i ? "x" : "y");
			report_set_str(r, RF_LV_TAGS, i ? "a,b" : "");
			report_set_sectors(r, RF_LV_SIZE, (uint64_t)i * 8192);
			report_set_u64(r, RF_SEG_COUNT, (uint64_t)i);
			report_set_percent(r, RF_DATA_PERCENT, i ? 5000000 : REPORT_PERCENT_INVALID);
			(void)report_row_selected(r);
		}
		FILE *null = fopen("/dev/null", "w");

		if (null) {
			(void)report_output(rep, null);
			fclose(null);
		}
		report_free(rep);
	} else if (!e.msg[0]) {
		abort();
	}
	free(text);
	return 0;
}
