/* lvm2's selection language (common/select.h) on lvm2's own field table.
 *
 * The expected matches and messages are what lvm2 2.03.16 (Debian 12)
 * prints for the same -S on lvs, vgs and pvs; rows here are plain
 * arrays of values, as a report row holds them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/report.h"
#include "common/select.h"
#include "common/select_internal.h"
#include "lvm/report_lvm.h"

/* One LV row: what lvs would set. */
struct row {
	const char *name, *tags, *attr, *pe_ranges;
	uint64_t size_bytes, seg_count;
	int64_t data_percent; /* -1: invalid (inactive) */
	bool allocatable;
	int64_t ctime; /* 0: not known */
};

static void get(void *ctx, unsigned field, struct select_value *v)
{
	const struct row *r = ctx;

	v->sep = ',';
	switch (field) {
	case RF_LV_NAME: v->str = r->name; break;
	case RF_LV_TAGS: v->str = r->tags; break;
	case RF_LV_ATTR: v->str = r->attr; break;
	case RF_SEG_PE_RANGES: v->str = r->pe_ranges; v->sep = ' '; break;
	case RF_LV_SIZE: v->num = r->size_bytes; v->set = true; break;
	case RF_SEG_COUNT: v->num = r->seg_count; v->set = true; break;
	case RF_DATA_PERCENT: v->num = (uint64_t)r->data_percent; v->set = true; break;
	case RF_PV_ALLOCATABLE: v->num = r->allocatable; v->set = true; break;
	case RF_LV_TIME: v->num = (uint64_t)r->ctime; v->set = r->ctime != 0; break;
	default: break; /* never set: no value */
	}
}

static const struct row rows[] = {
	/* created 2026-12-01 00:00:00, 2026-11-30 23:59:59, 2024-02-29 12:00:00 UTC, unknown */
	{ "lv1", "alpha,zeta", "-wi-a-----", "/dev/loop0:0-1", 8 << 20, 1, -1, true, 1796083200 },
	{ "lv2", "", "-wi-------", "/dev/loop0:2-2 /dev/loop1:0-0", 4 << 20, 2, 0, false, 1796083199 },
	{ "thin1", "zeta", "Vwi-a-tz--", "", 40 << 20, 1, 25000000, true, 1709208000 },
	{ "tpool_tdata", "", "Twi-ao----", "/dev/loop1:1-5", 20 << 20, 1, -1, true, 0 },
};
#define NROWS (sizeof(rows) / sizeof(rows[0]))

/* The names of the rows @text selects, joined by ' '. */
static const char *matches(const char *text)
{
	static char out[256];
	struct err e = { { 0 } };
	struct selection *s;
	size_t n = 0;

	out[0] = '\0';
	if (select_parse(&report_lvm_registry, "lv_", text, &s, &e))
		fail_msg("%s: %s", text, e.msg);
	for (unsigned i = 0; i < NROWS; i++)
		if (select_match(s, get, (void *)&rows[i]))
			n += (size_t)snprintf(out + n, sizeof(out) - n, "%s%s", n ? " " : "", rows[i].name);
	select_free(s);
	return out;
}

static void want(const char *text, const char *names)
{
	const char *got = matches(text);

	if (strcmp(got, names))
		fail_msg("-S '%s': got '%s', want '%s'", text, got, names);
}

/* The parse fails with @rc and @msg among its lines. */
static void refused(const char *text, int rc, const char *msg)
{
	struct err e = { { 0 } };
	struct selection *s = NULL;
	int r = select_parse(&report_lvm_registry, "lv_", text, &s, &e);

	if (r != rc || !strstr(e.msg, msg))
		fail_msg("-S '%s': rc %d (want %d), message '%s' (want '%s')", text, r, rc, e.msg, msg);
	assert_null(s);
}

static void test_strings(void **state)
{
	(void)state;
	want("lv_name=lv1", "lv1");
	want("name=lv1", "lv1");            /* the report's prefix may go */
	want("LV_NAME=lv1", "lv1");         /* case and '_' do not matter */
	want("lvname = 'lv1'", "lv1");
	want("name=\"lv1\"", "lv1");
	want("name!=lv1", "lv2 thin1 tpool_tdata");
	want("name=", "");
	want("name=lv1 || name=thin1", "lv1 thin1");
	want("name=lv1 # name=thin1", "lv1 thin1");
	want("name!=lv1, name!=lv2", "thin1 tpool_tdata");
	want("!(name=lv1)", "lv2 thin1 tpool_tdata");
	want("!(!(name=lv1))", "lv2 thin1 tpool_tdata"); /* lvm2: a flag, set twice */
	want("(name=lv1 || name=lv2) && size>4m", "lv1");
	want("all", "lv1 lv2 thin1 tpool_tdata");
	want("", "lv1 lv2 thin1 tpool_tdata");
}

static void test_regex(void **state)
{
	(void)state;
	want("name=~^t", "thin1 tpool_tdata");
	want("name=~(^t)", "thin1 tpool_tdata"); /* () [] {} enclose a regex */
	want("name=~[lv.$]", "lv1 lv2");
	want("name=~\"in\"", "thin1");
	want("name!~in", "lv1 lv2 tpool_tdata");
	want("attr=~^V", "thin1");
}

static void test_numbers(void **state)
{
	(void)state;
	want("lv_size>4m", "lv1 thin1 tpool_tdata");
	want("size>=8m && name=~^l", "lv1");
	want("size<4.5m", "lv2");
	want("size=4", "lv2");              /* MiB by default */
	want("size=4096k", "lv2");
	want("size=8192s", "lv2");
	want("size>1g", "");
	want("size=.5", "");
	want("seg_count=2", "lv2");
	want("seg_count>1", "lv2");
	want("seg_count=undefined", "");
	want("seg_count!=-1", "lv1 lv2 thin1 tpool_tdata");
	want("seg_count>undef", "");        /* never ordered against a reserved value */
	want("data_percent>20", "thin1");
	want("data_percent>=0%", "lv2 thin1"); /* invalid percents never match */
	want("data_percent!=25", "lv2");
	want("pv_allocatable=allocatable", "lv1 thin1 tpool_tdata");
	want("pv_allocatable=no", "lv2");
	want("pv_allocatable=1", "lv1 thin1 tpool_tdata");
	want("lv_major=5", "");             /* no value in the rows */
	want("lv_major!=5", "lv1 lv2 thin1 tpool_tdata");
}

static void test_lists(void **state)
{
	(void)state;
	want("tags=zeta", "lv1 thin1");     /* one item: any */
	want("lv_tags=[zeta]", "thin1");    /* []: exactly */
	want("tags=[zeta,alpha]", "lv1");
	want("tags=[ alpha , zeta ]", "lv1");
	want("tags={zeta}", "lv1 thin1");   /* {}: among others */
	want("tags={alpha && zeta}", "lv1");
	want("tags={alpha,beta}", "");
	want("tags=[alpha||beta]", "lv1");
	want("tags={zeta#beta}", "lv1 thin1");
	want("tags=\"\"", "lv2 tpool_tdata");
	want("tags=[]", "lv2 tpool_tdata");
	want("tags={alpha,}", "");
	want("tags!={alpha}", "lv2 thin1 tpool_tdata");
	want("seg_pe_ranges={/dev/loop1:0-0}", "lv2"); /* items joined by ' ' */
}

/* lvm2's date and time forms, in UTC; what lvm2 2.03.16 selects. */
static void test_time_formatted(void **state)
{
	(void)state;
	want("lv_time since \"2026-12-01\"", "lv1");
	want("lv_time after \"2026-11-30\"", "lv1");
	want("lv_time until \"2026-11-30\"", "lv2 thin1 tpool_tdata");
	want("lv_time before \"2026-12\"", "lv2 thin1 tpool_tdata");
	want("lv_time = \"2026-11\"", "lv2");
	want("lv_time = 2024-02-29", "thin1");
	want("lv_time = 202402", "thin1");
	want("lv_time = \"2024\"", "thin1");
	want("lv_time = \"2026-11-30 23\"", "lv2");
	want("lv_time = \"2026-11-30 23:59\"", "lv2");
	want("lv_time = \"2026-11-30 235959\"", "lv2");
	want("lv_time > \"2026-11-30 23:59:58\"", "lv1 lv2");
	want("lv_time = \"2026-12-01 01:00 +01:00\"", "lv1");
	want("lv_time = \"2026-11-30 22:59:59 -0100\"", "lv2");
	want("lv_time = @1796083200", "lv1");
	want("lv_time != @1796083200", "lv2 thin1 tpool_tdata");
	want("lv_time != \"2026-12-01\"", "lv1"); /* lvm2's: inside the span */
	want("lv_time < @1", "tpool_tdata");
	want("lv_time >= \"2024-02-29 12\" && lv_time < \"2026-12\"", "lv2 thin1");
	refused("lv_time since \"2026-13-01\"", -EINVAL, "Specified month out of range.");
	refused("lv_time since \"2026-02-29\"", -EINVAL, "Specified day out of range.");
	refused("lv_time since \"2026-12-01 24:00\"", -EINVAL, "Specified hours out of range.");
	refused("lv_time since \"10:00\"", -EINVAL, "Incorrect date format.");
	refused("lv_time since \"2026-12 10:00\"", -EINVAL, "Full date specification needed.");
	refused("lv_time since \"2026-12-01 1:2:3:4\"", -EINVAL, "Failed to parse time value for selection field lv_time.");
	refused("lv_time since \"2026-12-01 +15\"", -EINVAL, "Failed to parse time value for selection field lv_time.");
	refused("lv_time =~ 2026", -EINVAL, "incompatible comparison type for selection field lv_time");
}

/* lvm2's words, at Monday 2026-12-07 10:31:36 UTC. */
static void test_time_words(void **state)
{
	static const struct {
		const char *text;
		int64_t t1, t2;
	} cases[] = {
		{ "yesterday", 1796515200, 1796601599 },
		{ "today", 1796601600, 1796687999 },
		{ "2 hours ago", 1796632296 - 3601, 1796632296 },
		{ "2hours ago", 1796632296 - 3601, 1796632296 },
		{ "noon yesterday", 1796558400, 1796558400 },
		{ "noon", 1796644800, 1796644800 },
		{ "Dec 1", 1796083200, 1796083200 + 86399 },
		{ "1 Dec 2026", 1796083200, 1796083200 + 86399 },
		{ "2026 Dec 1", 1796083200, 1796083200 + 86399 },
		{ "Nov 2026", 1793491200, 1796083199 },
		{ "1 week ago", 1795996800, 1795996800 + 86399 },
		{ "3 days ago", 1796342400, 1796342400 + 86399 },
		{ "1 year ago", 1765065600, 1765065600 + 86399 },
		{ "Monday", 1796601600, 1796687999 },
		{ "Sundays", 1796515200, 1796601599 },
		{ "9 AM", 1796634000, 1796634000 + 3599 },
		{ "9:15 AM yesterday", 1796548500, 1796548500 + 59 },
		{ "5 PM", 1796662800, 1796662800 + 3599 },
	};
	char why[160];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct time_span t = { 0 };
		int r = select_time_fuzzy(cases[i].text, 1796639496, &t, why, sizeof(why));

		if (r != 1 || !t.range || t.t1 != cases[i].t1 || t.t2 != cases[i].t2)
			fail_msg("'%s': %d [%lld, %lld], want [%lld, %lld]", cases[i].text, r, (long long)t.t1,
				 (long long)t.t2, (long long)cases[i].t1, (long long)cases[i].t2);
	}
	/* digits and -:+ only: the formatted form's, not these */
	assert_int_equal(select_time_fuzzy("2026-12-07 10:00", 1796639496, &(struct time_span){ 0 }, why, 160), 0);
	assert_int_equal(select_time_fuzzy("blah", 0, &(struct time_span){ 0 }, why, 160), -EINVAL);
	assert_string_equal(why, "Unrecognized string in date/time specification at \"blah\".");
	assert_int_equal(select_time_fuzzy("today yesterday", 0, &(struct time_span){ 0 }, why, 160), -EINVAL);
	assert_string_equal(why, "Ambiguous date specification found at \"yesterday\".");
	assert_int_equal(select_time_fuzzy("2 hours ago 3 PM", 0, &(struct time_span){ 0 }, why, 160), -EINVAL);
	assert_string_equal(why, "Mixed absolute and relative time specification found at \"PM\".");
	/* a clock at the very end, and more items than it keeps */
	assert_int_equal(select_time_fuzzy("yesterday 9:15", 1796639496, &(struct time_span){ 0 }, why, 160), 1);
	{
		char many[400] = "";

		for (int i = 0; i < 35; i++) /* 70 items */
			strcat(many, "1 day ");
		strcat(many, "ago");
		assert_int_equal(select_time_fuzzy(many, 1796639496, &(struct time_span){ 0 }, why, 160), 0);
	}
}

static void test_errors(void **state)
{
	(void)state;
	refused("foo=1", -ENOENT, "Unrecognised selection field: foo\n  Selection syntax error at 'foo=1'.\n"
				  "  Use 'help' for selection to get more help.");
	refused("help=1", -ENOENT, "Selection field is uncomparable: help.");
	refused("lv_name", -EDOM, "Unrecognised comparison operator: \n");
	refused("lv_name>a", -EDOM, "Operator can be used only with number, size, time or percent fields: lv_name>a");
	refused("lv_name since a", -EDOM, "Operator can be used only with time fields: lv_name since a");
	refused("lv_size>abc", -EINVAL, "Failed to parse numeric value for selection field lv_size.\n"
					"  Selection syntax error at 'lv_size>abc'.");
	refused("seg_count=1%", -EINVAL, "Found percent value but numeric value expected for selection field seg_count.");
	refused("seg_count=1k", -EINVAL, "Found size unit specifier but numeric value expected for selection field seg_count.");
	refused("data_percent=1k", -EINVAL, "Found size unit specifier but percent value expected");
	refused("lv_size=1%", -EINVAL, "Found percent value but size value expected for selection field lv_size.");
	refused("data_percent>101", -EINVAL, "Field selection value 101 out of supported range for field data_percent.");
	refused("seg_count=18446744073709551615", -EINVAL, "Numeric value 18446744073709551615 found in selection is reserved.");
	refused("lv_name=\"lv1", -EINVAL, "Missing end quote.\n  Missing end quote.\n"
					  "  Failed to parse string value for selection field lv_name.");
	refused("name=~[a-", -EINVAL, "Missing end quote.\n  Failed to parse regex value for selection field lv_name.");
	refused("name=~\"a((\"", -EINVAL, "dm_report: failed to create regex matcher for selection field lv_name");
	/* repetitions that regcomp would expand to 2^36 nodes (the fuzzer's
	 * find), or to 100^3 copies: refused before regcomp runs */
	refused("name=~s++++++++++++++++++++++++++++++++++++i(rz", -EINVAL,
		"Regular expression too complex: its repetitions expand past 2048 nodes");
	refused("name=~\"((a{100}){100}){100}\"", -EINVAL, "Regular expression too complex");
	refused("name=~\"(((((((((((((x+)+)+)+)+)+)+)+)+)+)+)+)+)\"", -EINVAL, "Regular expression too complex");
	want("name=~\"^(lv|thin)[0-9]+$\"", "lv1 lv2 thin1");
	want("name=~\"^l{1,2}v[[:digit:]]{1}\"", "lv1 lv2");
	refused("tags=~a", -EINVAL, "dm_report: incompatible comparison type for selection field lv_tags");
	refused("seg_count=~1", -EINVAL, "dm_report: incompatible comparison type for selection field seg_count");
	refused("tags=[a,b", -EINVAL, "Invalid operator in selection list.\n"
				      "  Failed to parse string list value for selection field lv_tags.");
	refused("tags=[a,b}", -EINVAL, "List ended with incorrect character, expecting ']'.");
	refused("tags=[a,b#c]", -EINVAL, "Only one type of logical operator allowed in selection list at a time.");
	refused("tags=[a,", -EINVAL, "Missing list end for selection field lv_tags");
	refused("name=lv1 name=lv2", -EINVAL, "Expecting logical operator\n  Selection syntax error at 'name=lv2'.");
	refused("lv_size=1.5.3m", -EINVAL, "Selection syntax error at '.3m'.");
	refused("(name=lv1", -EINVAL, "Syntax error: right parenthesis expected at ''");
	refused("!name=lv1", -EINVAL, "Syntax error: left parenthesis expected at 'name=lv1'");
	refused("name=lv1&&", -EINVAL, "Expecting field name\n  Selection syntax error at ''.");
	refused("&&name=lv1", -EINVAL, "Expecting field name\n  Selection syntax error at '&&name=lv1'.");
	refused("lv_time>1", -EINVAL, "Incorrect date format.\n  Failed to parse time value for selection field lv_time.");
}

static void test_fields_and_help(void **state)
{
	struct err e = { { 0 } };
	struct selection *s;
	const unsigned *f;
	char *text = NULL;
	size_t len;
	FILE *out;

	(void)state;
	assert_int_equal(select_parse(&report_lvm_registry, "lv_", "name=a || (size>1 && name=b) || tags=x", &s, &e), 0);
	assert_int_equal(select_fields(s, &f), 3);
	assert_int_equal(f[0], RF_LV_NAME);
	select_free(s);
	assert_true(select_is_help("help"));
	assert_true(select_is_help("?"));
	assert_false(select_is_help("name=help"));
	assert_non_null(out = open_memstream(&text, &len));
	select_help(&report_lvm_registry, out);
	fclose(out);
	assert_non_null(strstr(text, "    -1, unknown, undefined, undef   - Reserved value for undefined numeric value. [number]\n"));
	assert_non_null(strstr(text, "    read-only, r, ro                -  [unknown]\n   \n  Selection operators\n"));
	assert_non_null(strstr(text, "          =~  - Matching regular expression. [regex]\n"));
	assert_non_null(strstr(text, "         }  - List subset end\n   \n"));
	free(text);
}

/* Through the report: unselected rows are not printed, unless
 * "selected" is shown; hidden LVs sort by their name without brackets. */
static void test_report(void **state)
{
	static const char *const opts[] = { "lv_name,selected" };
	struct report_opts o;
	struct report *rep;
	struct err e = { { 0 } };
	char *text = NULL;
	size_t len;
	FILE *out;

	(void)state;
	report_opts_init(&o);
	o.options = opts;
	o.noptions = 1;
	o.selection = "lv_size>5m";
	assert_int_equal(report_create(&report_lvm_registry, &report_lvm_lvs, &o, &rep, &e), 0);
	assert_true(report_wants(rep, RF_LV_SIZE));
	for (unsigned i = 0; i < NROWS; i++) {
		struct report_row *r = report_row_new(rep);
		char shown[64];

		snprintf(shown, sizeof(shown), rows[i].name[0] == 't' && rows[i].name[1] == 'p' ? "[%s]" : "%s",
			 rows[i].name);
		report_set_str_key(r, RF_LV_NAME, shown, rows[i].name);
		report_set_str(r, RF_VG_NAME, "vg");
		report_set_bytes(r, RF_LV_SIZE, rows[i].size_bytes);
		assert_int_equal(report_row_selected(r), rows[i].size_bytes > (5 << 20));
	}
	assert_non_null(out = open_memstream(&text, &len));
	assert_int_equal(report_output(rep, out), 0);
	fclose(out);
	assert_string_equal(text, "  LV            Selected\n"
				  "  lv1                  1\n"
				  "  lv2                  0\n"
				  "  thin1                1\n"
				  "  [tpool_tdata]        1\n");
	free(text);
	report_free(rep);

	o.options = (const char *const[]){ "lv_name" };
	o.selection = "size<5m || name=~data$";
	assert_int_equal(report_create(&report_lvm_registry, &report_lvm_lvs, &o, &rep, &e), 0);
	for (unsigned i = 0; i < NROWS; i++) {
		struct report_row *r = report_row_new(rep);

		report_set_str_key(r, RF_LV_NAME, rows[i].name, rows[i].name);
		report_set_bytes(r, RF_LV_SIZE, rows[i].size_bytes);
	}
	text = NULL;
	assert_non_null(out = open_memstream(&text, &len));
	assert_int_equal(report_output(rep, out), 0);
	fclose(out);
	assert_string_equal(text, "  LV         \n  lv2        \n  tpool_tdata\n");
	free(text);
	report_free(rep);

	o.selection = "nosuch=1";
	assert_int_equal(report_create(&report_lvm_registry, &report_lvm_lvs, &o, &rep, &e), -ENOENT);
	o.selection = "?";
	assert_int_equal(report_create(&report_lvm_registry, &report_lvm_lvs, &o, &rep, &e), 0);
	assert_true(report_select_help_requested(rep));
	report_free(rep);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_regex),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_lists),
		cmocka_unit_test(test_time_formatted),
		cmocka_unit_test(test_time_words),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_fields_and_help),
		cmocka_unit_test(test_report),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
