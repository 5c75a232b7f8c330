/* The text format: parse -> emit gives back the bytes real LVM2 wrote (mda
 * and backup layouts), lookups, builders, the envelope, and the refusals
 * of malformed text with their line numbers. */
#include "test_lvm.h"

#include <errno.h>
#include <time.h>

#include "lvm/config.h"
#include "lvm/vgtext.h"

static struct cfg_tree *parse_ok(const char *text, size_t len)
{
	struct err e = { { 0 } };
	struct cfg_tree *t;

	assert_ok(cfg_parse(text, len, &t, &e), &e);
	return t;
}

static char *emit_ok(const struct cfg_tree *t, unsigned flags, size_t *len)
{
	struct err e = { { 0 } };
	char *out;

	assert_ok(cfg_emit(t, flags, &out, len, &e), &e);
	return out;
}

static void check_identical(const char *fixture, unsigned flags)
{
	size_t len, olen;
	char *text = read_fixture(fixture, &len);
	struct cfg_tree *t = parse_ok(text, len);
	char *out = emit_ok(t, flags, &olen);

	if (olen != len || memcmp(out, text, len)) {
		size_t i = 0;

		while (i < len && i < olen && out[i] == text[i])
			i++;
		fail_msg("%s: re-emitted text differs at byte %zu: \"%.40s\" vs \"%.40s\"",
			 fixture, i, out + i, text + i);
	}
	free(out);
	cfg_tree_free(t);
	free(text);
}

static void test_reemit_real_lvm(void **state)
{
	(void)state;
	check_identical("fmtvg.mda.txt", 0);
	check_identical("richvg.mda.txt", 0);
	check_identical("fmtvg.backup", CFG_EMIT_INDENT);
	check_identical("richvg.backup", CFG_EMIT_INDENT);
}

static void test_lookups(void **state)
{
	size_t len;
	char *text = read_fixture("fmtvg.mda.txt", &len);
	struct cfg_tree *t = parse_ok(text, len);
	struct err e = { { 0 } };
	struct cfg_node *vg, *pvs, *pv0, *seg, *stripes;
	const char *s;
	uint32_t u32;
	uint64_t u64;
	int64_t i64;

	(void)state;
	assert_ok(vgtext_check(t, &vg, &e), &e);
	assert_string_equal(vg->key, "fmtvg");
	assert_ok(cfg_get_u32(vg, "extent_size", &u32, &e), &e);
	assert_int_equal(u32, 8192);
	assert_ok(cfg_get_str(vg, "format", &s, &e), &e);
	assert_string_equal(s, "lvm2");
	assert_ok(cfg_get_section(vg, "physical_volumes", &pvs, &e), &e);
	assert_ok(cfg_get_section(pvs, "pv0", &pv0, &e), &e);
	assert_ok(cfg_get_u64(pv0, "pe_start", &u64, &e), &e);
	assert_true(u64 == 2048);
	seg = cfg_find(cfg_find(cfg_find(vg, "logical_volumes"), "str"), "segment1");
	assert_non_null(seg);
	stripes = cfg_find(seg, "stripes");
	assert_int_equal(stripes->type, CFG_ARRAY);
	assert_int_equal(stripes->nitems, 4);
	assert_string_equal(stripes->items[2].s, "pv1");
	assert_true(stripes->items[2].nl_before && !stripes->items[3].nl_before);
	assert_true(stripes->nl_before_close);
	/* Errors name the path. */
	err_clear(&e);
	assert_int_equal(cfg_get_int(pv0, "nope", &i64, &e), -ENOENT);
	assert_string_equal(e.msg, "fmtvg/physical_volumes/pv0/nope: missing");
	err_clear(&e);
	assert_int_equal(cfg_get_int(pv0, "id", &i64, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "pv0/id: expected an integer"));
	err_clear(&e);
	assert_int_equal(cfg_get_str(vg, "seqno", &s, &e), -EINVAL);
	err_clear(&e);
	assert_int_equal(cfg_get_section(vg, "seqno", &pvs, &e), -EINVAL);
	cfg_tree_free(t);
	free(text);
}

static void test_refusals(void **state)
{
	static const struct {
		const char *text;
		const char *msg;
	} bad[] = {
		{ "vg {\nseqno = 1\n", "line 3: section \"vg\" opened at line 1 is not closed" },
		{ "vg {\n}\n}\n", "line 3: '}' without a section" },
		{ "a = \"abc\n\n", "line 1: unterminated string" },
		{ "a = 'abc", "line 1: unterminated string" },
		{ "\n\na b = 1\n", "line 3: expected '=' or '{' after \"a\", found 'b'" },
		{ "a = [1, 2\n\n", "line 1: array opened here is not closed" },
		{ "a = [1,, 2]", "line 1: expected a value, found ','" },
		{ "a = [,]", "expected a value, found ','" },
		{ "a = [[1]]", "arrays do not nest" },
		{ "a = 12abc", "invalid number" },
		{ "a = 1.2.3", "invalid number" },
		{ "a = -", "invalid number" },
		{ "a = 99999999999999999999", "out of range" },
		{ "a = 09", "invalid number" },
		{ "a =", "expected a value, found end of text" },
		{ "a = }", "expected a value, found '}'" },
		{ "= 1", "expected a key, found '='" },
		{ "a/b = 1", "invalid character '/' in key" },
		{ "\"a b\" = 1", "invalid key \"a b\"" },
		{ "a = [1 {]", "expected a value or ']'" },
		{ "a\n", "line 2: expected '=' or '{' after \"a\", found end of text" },
		{ "k\x01 = 1", "byte 0x01" },
	};
	struct cfg_tree *t;
	char deep[2 * 70 + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct err e = { { 0 } };
		int r = cfg_parse(bad[i].text, strlen(bad[i].text), &t, &e);

		if (r != -EINVAL || t || !strstr(e.msg, bad[i].msg))
			fail_msg("\"%s\": %d \"%s\", want \"%s\"", bad[i].text, r, e.msg, bad[i].msg);
	}
	/* Nesting is bounded. */
	for (int i = 0; i < 70; i++)
		memcpy(deep + 2 * i, "a{", 2);
	deep[140] = '\0';
	{
		struct err e = { { 0 } };

		assert_int_equal(cfg_parse(deep, strlen(deep), &t, &e), -EINVAL);
		assert_non_null(strstr(e.msg, "nested deeper"));
	}
}

/* Inputs LVM accepts in forms it never writes: the tree survives a
 * round trip and the emitted text is a fixed point. */
static void test_odd_inputs_round_trip(void **state)
{
	static const char *const in[] = {
		"vg{id=\"x\" seqno=5 status=[\"A\",\"B\"] pv{a=1}}",
		"a = 'single' b = bare c = \"esc\\\"aped\\\\\" d = \"\"\n",
		"a = 010\nb = -7\nc = +3\nd = 1.50\ne = .5\nf = 9223372036854775807\ng = -9223372036854775808\n",
		"a = []\nb = [\n]\nc = [1,]\nd = [1 2 \"x\"]\ne = [\n\"pv0\", 3,\n\"pv1\", 0\n]\n",
		"\r\n# top\r\n\r\nvg { # after brace\r\n\ta = 1\t# trailing\r\n}\r\n\r\n",
		"# only a comment",
		"",
		"\n\n\n",
		"a = [ # inside\n 1, # more\n 2 ]",
		"a = \"multi\nline\nstring\"\nb = 2\n",
		"\"quoted\" = 1\n'single' { x = 2 }\n",
		"s { } t {\n\n} u {\n# c\n}\n",
		"a = 1 # c1\nb = 2# c2\n  # indented\n\tc { d = [1] } # after section\n",
		"a = 1\x00 this is after the NUL",
		"dup = 1\ndup = 2\ndup { }\n",
	};
	struct err e = { { 0 } };

	(void)state;
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		size_t n = i == 13 ? 28 : strlen(in[i]), l1, l2; /* 13 holds a NUL */
		struct cfg_tree *t1 = parse_ok(in[i], n), *t2;
		char *o1 = emit_ok(t1, 0, &l1), *o2, *o3;

		if (cfg_parse(o1, l1, &t2, &e))
			fail_msg("input %zu: re-parse of \"%s\": %s", i, o1, e.msg);
		if (!cfg_equal(t1, t2))
			fail_msg("input %zu: tree changed through \"%s\"", i, o1);
		o2 = emit_ok(t2, 0, &l2);
		assert_int_equal(l1, l2);
		assert_memory_equal(o1, o2, l1);
		/* The indented layout round-trips as well. */
		o3 = emit_ok(t1, CFG_EMIT_INDENT, NULL);
		cfg_tree_free(t2);
		t2 = parse_ok(o3, strlen(o3));
		assert_true(cfg_equal(t1, t2));
		free(o1);
		free(o2);
		free(o3);
		cfg_tree_free(t1);
		cfg_tree_free(t2);
	}
	/* A few values as they come out. */
	{
		struct cfg_tree *t = parse_ok(in[2], strlen(in[2]));
		int64_t v;

		assert_ok(cfg_get_int(cfg_root(t), "a", &v, &e), &e);
		assert_true(v == 8); /* strtoll base 0, as LVM */
		assert_ok(cfg_get_int(cfg_root(t), "g", &v, &e), &e);
		assert_true(v == INT64_MIN);
		assert_string_equal(cfg_find(cfg_root(t), "d")->v.s, "1.50");
		cfg_tree_free(t);
		t = parse_ok(in[1], strlen(in[1]));
		assert_string_equal(cfg_find(cfg_root(t), "c")->v.s, "esc\"aped\\");
		assert_string_equal(cfg_find(cfg_root(t), "b")->v.s, "bare");
		cfg_tree_free(t);
	}
}

static void test_builders(void **state)
{
	static const char raw[] =
		"vg {\n"
		"id = \"x\"\n"
		"format = \"lvm2\"\n"
		"extent_size = 8192\n"
		"\n"
		"stripes = [\n"
		"\"pv0\", 0,\n"
		"\"pv1\", 5\n"
		"]\n"
		"}\n"
		"# Generated\n"
		"\n"
		"host = \"h\"\t# Linux h\n"
		"\n";
	static const char indented[] =
		"vg {\n"
		"\tid = \"x\"\n"
		"\tformat = \"lvm2\"\t\t\t# informational\n"
		"\textent_size = 8192\t\t# 4 Megabytes\n"
		"\n"
		"\tstripes = [\n"
		"\t\t\"pv0\", 0,\n"
		"\t\t\"pv1\", 5\n"
		"\t]\n"
		"}\n"
		"# Generated\n"
		"\n"
		"host = \"h\"\t# Linux h\n"
		"\n";
	struct err e = { { 0 } };
	struct cfg_tree *t, *t2;
	struct cfg_node *vg, *a, *n;
	char *out;
	size_t len;

	(void)state;
	assert_int_equal(cfg_tree_new(&t), 0);
	vg = cfg_add_section(cfg_root(t), "vg");
	cfg_add_str(vg, "id", "x");
	cfg_set_comment(cfg_add_str(vg, "format", "lvm2"), "# informational", true);
	cfg_set_comment(cfg_add_int(vg, "extent_size", 8192), "# 4 Megabytes", true);
	a = cfg_add_blank(cfg_add_array(vg, "stripes"), 1);
	cfg_array_add_str(a, "pv0", true);
	cfg_array_add_int(a, 0, false);
	cfg_array_add_str(a, "pv1", true);
	cfg_array_add_int(a, 5, false);
	a->nl_before_close = true;
	n = cfg_add_str(cfg_root(t), "host", "h");
	cfg_add_blank(cfg_add_comment_line(n, "# Generated"), 1);
	cfg_set_comment(n, "\t# Linux h", false);
	cfg_add_post_blank(cfg_root(t), 1);
	assert_ok(cfg_tree_status(t, &e), &e);
	out = emit_ok(t, 0, &len);
	assert_string_equal(out, raw);
	free(out);
	out = emit_ok(t, CFG_EMIT_INDENT, &len);
	assert_string_equal(out, indented);
	free(out);

	/* Copy, remove, append. */
	assert_int_equal(cfg_tree_new(&t2), 0);
	assert_non_null(cfg_add_copy(cfg_root(t2), vg));
	cfg_remove(cfg_find(cfg_find(cfg_root(t2), "vg"), "format"));
	a = cfg_find(cfg_find(cfg_root(t2), "vg"), "id");
	cfg_remove(a);
	assert_non_null(cfg_append(cfg_find(cfg_root(t2), "vg"), a));
	out = emit_ok(t2, 0, &len);
	assert_string_equal(out, "vg {\nextent_size = 8192\n\nstripes = [\n\"pv0\", 0,\n\"pv1\", 5\n]\nid = \"x\"\n}\n");
	free(out);
	cfg_tree_free(t2);

	/* Errors stick, and later builders are no-ops. */
	assert_null(cfg_add_int(vg, "bad key", 1));
	assert_null(cfg_add_int(vg, "fine", 1));
	err_clear(&e);
	assert_int_equal(cfg_tree_status(t, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "invalid key \"bad key\""));
	cfg_tree_free(t);
}

/* The fixture's VG plus an envelope built from its values gives back the
 * exact text LVM wrote, in both layouts. */
static void check_envelope(const char *fixture, enum vgtext_layout layout, unsigned flags)
{
	size_t len, olen;
	char *text = read_fixture(fixture, &len), *out, gen[128], un[256];
	struct cfg_tree *t = parse_ok(text, len), *t2;
	struct cfg_node *root = cfg_root(t), *c = cfg_find(root, "contents");
	struct vgtext_info info = { 0 };
	struct err e = { { 0 } };
	const char *nl = strchr(c->pre, '\n');
	int64_t when;

	/* "# Generated by <gen>: <24-char ctime>\n" */
	snprintf(gen, sizeof(gen), "%.*s", (int)(nl - c->pre - 15 - 26), c->pre + 15);
	snprintf(un, sizeof(un), "%s", cfg_find(root, "creation_host")->comment + 3);
	info.generator = gen;
	info.uname = un;
	assert_ok(cfg_get_str(root, "description", &info.description, &e), &e);
	assert_ok(cfg_get_str(root, "creation_host", &info.host, &e), &e);
	assert_ok(cfg_get_int(root, "creation_time", &when, &e), &e);
	info.when = (time_t)when;
	assert_int_equal(cfg_tree_new(&t2), 0);
	assert_non_null(cfg_add_copy(cfg_root(t2), vgtext_vg(t)));
	if (layout == VGTEXT_BACKUP)
		vgtext_vg(t2)->pre = NULL; /* the envelope adds the blank line */
	assert_ok(vgtext_add_envelope(t2, layout, &info, &e), &e);
	out = emit_ok(t2, flags, &olen);
	if (olen != len || memcmp(out, text, len))
		fail_msg("%s: rebuilt envelope differs:\n%s", fixture, out);
	free(out);
	cfg_tree_free(t);
	cfg_tree_free(t2);
	free(text);
}

static void test_envelope(void **state)
{
	struct err e = { { 0 } };
	struct cfg_tree *t;
	struct cfg_node *vg;

	(void)state;
	/* The fixtures were written on a host running in UTC. */
	setenv("TZ", "UTC", 1);
	tzset();
	check_envelope("fmtvg.mda.txt", VGTEXT_MDA, 0);
	check_envelope("richvg.mda.txt", VGTEXT_MDA, 0);
	check_envelope("fmtvg.backup", VGTEXT_BACKUP, CFG_EMIT_INDENT);

	t = parse_ok("vg { }\nversion = 1\n", 19);
	err_clear(&e);
	assert_int_equal(vgtext_check(t, &vg, &e), -EINVAL);
	cfg_tree_free(t);
	t = parse_ok("vg { }\ncontents = \"Text Format Volume Group\"\nversion = 2\n", 57);
	err_clear(&e);
	assert_int_equal(vgtext_check(t, &vg, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "version 2"));
	cfg_tree_free(t);
	t = parse_ok("-vg { }\ncontents = \"Text Format Volume Group\"\nversion = 1\n", 58);
	err_clear(&e);
	assert_int_equal(vgtext_check(t, &vg, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "invalid volume group name"));
	cfg_tree_free(t);

	assert_int_equal(vgtext_check_start("vg{", 3, NULL), 0);
	assert_int_equal(vgtext_check_start("vg {", 4, NULL), 0);
	assert_int_equal(vgtext_check_start(" vg {", 5, NULL), -EINVAL);
	assert_int_equal(vgtext_check_start("# c\nvg {", 8, NULL), -EINVAL);
	assert_int_equal(vgtext_check_start("\nvg {", 5, NULL), -EINVAL);
	assert_true(lvm_name_valid("a+b_c.d-e"));
	assert_false(lvm_name_valid(".."));
	assert_false(lvm_name_valid("a b"));
}

/* A cache pool's policy_settings as lvm2 writes them (libdm's
 * dm_config_write_node: "key=value", one tab per level below the section
 * in an mda too): both layouts come back byte for byte, and a builder's
 * section with the flag is written the same way. */
/* lvm2's --config: paths become sections, lvm.conf text stays as it is,
 * a path-like text inside a string or array is left alone. */
static void test_settings(void **state)
{
	struct err e = { { 0 } };
	struct cfg_tree *t;
	const struct cfg_node *n;
	const char *s;
	int64_t i;

	(void)state;
	assert_ok(cfg_parse_settings("report/time_format=\"%s %z\" global/a/b=3 devices { filter = "
				     "[ \"a|/dev/x/y=1|\", \"r|.*|\" ] } backup/archive=0", &t, &e), &e);
	assert_ok(cfg_get_str(cfg_find(cfg_root(t), "report"), "time_format", &s, &e), &e);
	assert_string_equal(s, "%s %z");
	assert_ok(cfg_get_int(cfg_find(cfg_find(cfg_root(t), "global"), "a"), "b", &i, &e), &e);
	assert_int_equal(i, 3);
	n = cfg_find(cfg_find(cfg_root(t), "devices"), "filter");
	assert_non_null(n);
	assert_int_equal(n->nitems, 2);
	assert_string_equal(n->items[0].s, "a|/dev/x/y=1|");
	assert_ok(cfg_get_int(cfg_find(cfg_root(t), "backup"), "archive", &i, &e), &e);
	assert_int_equal(i, 0);
	cfg_tree_free(t);
	/* what lvm2 refuses too: a path with no value, a word alone */
	assert_int_not_equal(cfg_parse_settings("report/time_format", &t, &e), 0);
	assert_int_not_equal(cfg_parse_settings("bogus", &t, &e), 0);
	assert_int_not_equal(cfg_parse_settings("a/b=\"unterminated", &t, &e), 0);
	assert_int_not_equal(cfg_parse_settings("[\"x\"]", &t, &e), 0); /* an array with no key */
}

static void test_libdm_section(void **state)
{
	static const char mda[] = "seg {\ntype = \"cache-pool\"\npolicy = \"smq\"\npolicy_settings {\n"
				  "\trandom_threshold=8\n\tmigration_threshold=4096\n}\n}\n";
	static const char backup[] = "seg {\n\ttype = \"cache-pool\"\n\tpolicy = \"smq\"\n\tpolicy_settings {\n"
				     "\t\trandom_threshold=8\n\t\tmigration_threshold=4096\n\t}\n}\n";
	struct cfg_tree *t = parse_ok(mda, strlen(mda)), *b;
	struct cfg_node *ps;
	size_t len;
	char *out;

	(void)state;
	out = emit_ok(t, 0, &len);
	assert_string_equal(out, mda);
	free(out);
	out = emit_ok(t, CFG_EMIT_INDENT, &len);
	assert_string_equal(out, backup);
	free(out);
	assert_int_equal(cfg_tree_new(&b), 0);
	ps = cfg_add_section(cfg_add_str(cfg_add_str(cfg_add_section(cfg_root(b), "seg"), "type", "cache-pool")->parent,
					 "policy", "smq")->parent, "policy_settings");
	ps->libdm = true;
	cfg_add_int(ps, "random_threshold", 8);
	cfg_add_int(ps, "migration_threshold", 4096);
	assert_true(cfg_equal(t, b));
	out = emit_ok(b, 0, &len);
	assert_string_equal(out, mda);
	free(out);
	cfg_tree_free(b);
	cfg_tree_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reemit_real_lvm),
		cmocka_unit_test(test_lookups),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_odd_inputs_round_trip),
		cmocka_unit_test(test_builders),
		cmocka_unit_test(test_envelope),
		cmocka_unit_test(test_libdm_section),
		cmocka_unit_test(test_settings),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
