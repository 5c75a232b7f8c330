/* `ulvm dmsetup`: dmsetup's verbs and output, carried out by ulvmd.
 *
 * Everything the user can type is in two tables below: the options
 * (opt_defs) and the verbs (operand counts, which options apply, help).
 * Parsing, the usage errors and both levels of --help come from them
 * (cli/cmdline.c); a verb's function only talks to the daemon and prints.
 * Output follows dmsetup 1.02 (libdm/dm-tools/dmsetup.c) byte for byte
 * where it has an equivalent.
 */
#include "cli/dmsetup.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cmdline.h"
#include "common/args.h"

#define PROG "ulvm dmsetup"
#define DM_READ_MAX (64u << 20) /* largest table file read */

enum opt {
	O_TABLE,
	O_UUID,
	O_READONLY,
	O_NOTABLE,
	O_NOFLUSH,
	O_NOLOCKFS,
	O_FORCE,
	O_SETUUID,
	O_INACTIVE,
	O_TARGET,
	O_SHOWKEYS,
	O_COLUMNS,
	O_NOHEADINGS,
	O_SEPARATOR,
	O_VERBOSE,
	O_RUN_DIR,
	O_HELP,
	O_COUNT
};

#define BIT(o) CLI_BIT(o)
#define GLOBAL_OPTS (BIT(O_VERBOSE) | BIT(O_RUN_DIR) | BIT(O_HELP))

static const struct cli_opt opt_defs[O_COUNT] = {
	[O_TABLE] = { "table", NULL, "TABLE", "the table itself, lines separated by newlines" },
	[O_UUID] = { "uuid", "u", "UUID", "the device's uuid" },
	[O_READONLY] = { "readonly", "r", NULL, "the device refuses writes" },
	[O_NOTABLE] = { "notable", "n", NULL, "create the device without a table" },
	[O_NOFLUSH] = { "noflush", NULL, NULL, "do not flush the device once its I/O is drained" },
	[O_NOLOCKFS] = { "nolockfs", NULL, NULL, "accepted for dmsetup compatibility" },
	[O_FORCE] = { "force", "f", NULL, "remove devices even if open" },
	[O_SETUUID] = { "setuuid", NULL, NULL, "set the uuid instead of the name" },
	[O_INACTIVE] = { "inactive", NULL, NULL, "use the inactive table instead of the live one" },
	[O_TARGET] = { "target", NULL, "TYPE", "only targets of type TYPE" },
	[O_SHOWKEYS] = { "showkeys", NULL, NULL, "table: show crypt keys (zeros otherwise)" },
	[O_COLUMNS] = { "columns", "cC", NULL, "one line per device, in columns" },
	[O_NOHEADINGS] = { "noheadings", NULL, NULL, "no heading line with --columns" },
	[O_SEPARATOR] = { "separator", NULL, "SEP", "--columns: the fields joined by SEP, not aligned" },
	[O_VERBOSE] = { "verbose", "v", NULL, "more messages" },
	[O_RUN_DIR] = { "run-dir", NULL, "DIR", "the daemon's run directory" },
	[O_HELP] = { "help", "h", NULL, "show help and exit" },
};

struct dms {
	struct cli_globals g;
	const struct cli_verb *verb;
	cli_mask set;               /* BIT(opt) for each option given */
	const char *const *val;     /* their arguments */
	struct dmctl d;
};

static int v_create(void *ctx, int argc, char **argv);
static int v_load(void *ctx, int argc, char **argv);
static int v_simple(void *ctx, int argc, char **argv);
static int v_remove_all(void *ctx, int argc, char **argv);
static int v_rename(void *ctx, int argc, char **argv);
static int v_message(void *ctx, int argc, char **argv);
static int v_table(void *ctx, int argc, char **argv);
static int v_info(void *ctx, int argc, char **argv);
static int v_ls(void *ctx, int argc, char **argv);
static int v_deps(void *ctx, int argc, char **argv);
static int v_nothing(void *ctx, int argc, char **argv)
{
	(void)ctx;
	(void)argc;
	(void)argv;
	return 0;
}

static int v_targets(void *ctx, int argc, char **argv);
static int v_version(void *ctx, int argc, char **argv);
static int v_help(void *ctx, int argc, char **argv);
static int v_nothing(void *ctx, int argc, char **argv);

static const struct cli_verb verbs[] = {
	{ "create", "NAME [FILE]", 1, 2,
	  BIT(O_TABLE) | BIT(O_UUID) | BIT(O_READONLY) | BIT(O_NOTABLE),
	  "Create device NAME, load its table and make it live.  The table comes from "
	  "--table, from FILE, or from standard input; an empty one (or --notable) "
	  "creates a device without a table.  Relative paths in the table are taken from "
	  "the current directory.", v_create },
	{ "load", "NAME [FILE]", 1, 2, BIT(O_TABLE),
	  "Load a table into the inactive slot of NAME; resume makes it live.  The table "
	  "comes from --table, from FILE, or from standard input.", v_load },
	{ "reload", "NAME [FILE]", 1, 2, BIT(O_TABLE), "The same as load.", v_load },
	{ "clear", "NAME...", 1, -1, 0, "Drop the inactive table of each NAME.", v_simple },
	{ "suspend", "NAME...", 1, -1, BIT(O_NOFLUSH) | BIT(O_NOLOCKFS),
	  "Suspend each NAME: new I/O waits, I/O in flight finishes, then the device is "
	  "flushed (unless --noflush).", v_simple },
	{ "resume", "NAME...", 1, -1, 0,
	  "Resume each NAME, making its inactive table live if it has one.", v_simple },
	{ "remove", "NAME...", 1, -1, BIT(O_FORCE),
	  "Remove each NAME.  A device held open (by an NBD client) is refused unless "
	  "--force; one that another device's table uses is always refused.", v_simple },
	{ "remove_all", "", 0, 0, BIT(O_FORCE),
	  "Remove every device that is not open; with --force, open ones too.",
	  v_remove_all },
	{ "rename", "NAME NEW", 2, 2, BIT(O_SETUUID),
	  "Rename NAME to NEW; with --setuuid, set the uuid of NAME (which has none) to "
	  "NEW.", v_rename },
	{ "message", "NAME SECTOR MESSAGE...", 3, -1, 0,
	  "Send MESSAGE to the target of NAME's live table that holds SECTOR, and print "
	  "its reply.", v_message },
	{ "table", "[NAME...]", 0, -1, BIT(O_INACTIVE) | BIT(O_TARGET) | BIT(O_SHOWKEYS),
	  "Print the table of each NAME, or of every device with each line prefixed by "
	  "the device's name.", v_table },
	{ "status", "[NAME...]", 0, -1, BIT(O_INACTIVE) | BIT(O_TARGET),
	  "Print the status of the targets of each NAME, or of every device with each "
	  "line prefixed by the device's name.", v_table },
	{ "info", "[NAME...]", 0, -1, BIT(O_COLUMNS) | BIT(O_NOHEADINGS) | BIT(O_SEPARATOR),
	  "Print the state of each NAME, or of every device.", v_info },
	{ "ls", "", 0, 0, BIT(O_TARGET),
	  "List the devices with their major and minor numbers.", v_ls },
	{ "deps", "[NAME...]", 0, -1, 0,
	  "List the devices that the live table of each NAME (or of every device) uses.",
	  v_deps },
	{ "targets", "", 0, 0, 0, "List the target types and their versions.", v_targets },
	{ "version", "", 0, 0, 0, "Print the versions of ulvm and of the daemon.", v_version },
	{ "help", "[VERB]", 0, 1, 0, "Print the list of verbs, or the help of VERB.", v_help },
	/* dmsetup's verbs for device nodes and udev synchronisation: ulvm has
	 * neither, so there is nothing to wait for or to make; scripts that
	 * call them (as lvm2's do) go on */
	{ "mknodes", "[NAME...]", 0, -1, 0, "Nothing to do: ulvm devices have no device nodes.", v_nothing },
	{ "udevcomplete", "COOKIE", 1, 1, 0, "Nothing to do: ulvm does not synchronise with udev.", v_nothing },
	{ "udevcomplete_all", "[AGE]", 0, 1, 0, "Nothing to do: ulvm does not synchronise with udev.", v_nothing },
	{ "udevcookies", "", 0, 0, 0, "Nothing to list: ulvm does not synchronise with udev.", v_nothing },
	{ "udevreleasecookie", "[COOKIE]", 0, 1, 0, "Nothing to do: ulvm does not synchronise with udev.",
	  v_nothing },
};

static const struct cli_spec spec = {
	.prog = PROG,
	.synopsis = "Usage: ulvm [--run-dir DIR] dmsetup [-v] VERB [OPTION]... [ARG]...\n"
		    "The device-mapper verbs of dmsetup, carried out by ulvmd.\n",
	.opts = opt_defs,
	.nopts = O_COUNT,
	.global_opts = GLOBAL_OPTS,
	.help_opt = O_HELP,
	.verbs = verbs,
	.nverbs = sizeof(verbs) / sizeof(verbs[0]),
};

static void fail_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void fail_msg(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, PROG ": ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

#define usage_error(v, ...) cli_usage_error(&spec, (v), __VA_ARGS__)

/* ---- talking to the daemon ---- */

/* Call @method (takes @params); 0 with *@result, or 1 with the reason
 * printed. */
static int call(struct dms *s, const char *method, struct json_object *params,
		struct json_object **result)
{
	struct err e = { 0 };
	struct json_object *res = NULL;
	int ret;

	s->d.run_dir = s->g.run_dir;
	ret = dmctl_call(&s->d, method, params, &res, &e);
	if (ret) {
		fail_msg("%s", e.msg[0] ? e.msg : strerror(-ret));
		return 1;
	}
	if (result)
		*result = res;
	else
		json_object_put(res);
	return 0;
}

/* As call, for methods that answer with a list. */
static int call_list(struct dms *s, const char *method, struct json_object *params,
		     struct json_object **result)
{
	int ret = call(s, method, params, result);

	if (ret)
		return ret;
	if (!json_object_is_type(*result, json_type_array)) {
		json_object_put(*result);
		fail_msg("%s: the daemon's answer is not a list", method);
		return 1;
	}
	return 0;
}

static struct json_object *params_name(const char *name)
{
	struct json_object *p = json_object_new_object();

	if (name)
		json_object_object_add(p, "name", json_object_new_string(name));
	return p;
}

static void add_str(struct json_object *p, const char *key, const char *val)
{
	if (val)
		json_object_object_add(p, key, json_object_new_string(val));
}

static void add_flag(struct dms *s, struct json_object *p, const char *key, enum opt o)
{
	if (s->set & BIT(o))
		json_object_object_add(p, key, json_object_new_boolean(true));
}

static const char *jstr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return "";
	return json_object_get_string(v);
}

static int64_t jint(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return 0;
	return json_object_get_int64(v);
}

static bool jbool(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && json_object_get_boolean(v);
}

static struct json_object *jarr(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_array))
		return NULL;
	return v;
}

/* ---- tables ---- */

static int read_stream(FILE *f, const char *what, char **out)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);

	if (!buf)
		return -ENOMEM;
	for (;;) {
		size_t n;

		if (cap - len < 4096) {
			char *nb;

			if (cap >= DM_READ_MAX) {
				free(buf);
				fail_msg("%s: table too large", what);
				return -EFBIG;
			}
			nb = realloc(buf, cap * 2);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap *= 2;
		}
		n = fread(buf + len, 1, cap - len - 1, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		free(buf);
		fail_msg("%s: read error", what);
		return -EIO;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/* The table from --table, from @file, or from standard input. */
static int get_table(struct dms *s, const char *file, char **out)
{
	FILE *f;
	int ret;

	if (s->set & BIT(O_TABLE)) {
		*out = strdup(s->val[O_TABLE]);
		return *out ? 0 : -ENOMEM;
	}
	if (!file)
		return read_stream(stdin, "standard input", out);
	f = fopen(file, "r");
	if (!f) {
		fail_msg("Couldn't open '%s' for reading: %s", file, strerror(errno));
		return -errno;
	}
	ret = read_stream(f, file, out);
	fclose(f);
	return ret;
}

/* Has @text a target line (not blank, not a comment)? */
static bool has_targets(const char *text)
{
	while (*text) {
		size_t skip = strspn(text, " \t\r");
		size_t len = strcspn(text + skip, "\n");

		if (len && text[skip] != '#')
			return true;
		text += skip + len;
		if (*text == '\n')
			text++;
	}
	return false;
}

static char *current_dir(void)
{
	return getcwd(NULL, 0);
}

/* ---- the verbs ---- */

static int v_create(void *ctx, int argc, char **argv)
{
	struct dms *s = ctx;
	struct json_object *p = params_name(argv[0]);
	char *table = NULL, *cwd;
	int ret;

	if ((s->set & BIT(O_NOTABLE)) && ((s->set & BIT(O_TABLE)) || argc > 1)) {
		json_object_put(p);
		return usage_error(s->verb, "--notable and a table exclude each other");
	}
	if ((s->set & BIT(O_TABLE)) && argc > 1) {
		json_object_put(p);
		return usage_error(s->verb, "give the table with --table or as FILE, not both");
	}
	if (!(s->set & BIT(O_NOTABLE))) {
		ret = get_table(s, argc > 1 ? argv[1] : NULL, &table);
		if (ret) {
			json_object_put(p);
			return 1;
		}
	}
	if (table && has_targets(table))
		add_str(p, "table", table);
	else
		json_object_object_add(p, "notable", json_object_new_boolean(true));
	free(table);
	add_str(p, "uuid", s->val[O_UUID]);
	add_flag(s, p, "readonly", O_READONLY);
	cwd = current_dir();
	add_str(p, "cwd", cwd);
	free(cwd);
	return call(s, "create", p, NULL);
}

static int v_load(void *ctx, int argc, char **argv)
{
	struct dms *s = ctx;
	struct json_object *p;
	char *table, *cwd;

	if ((s->set & BIT(O_TABLE)) && argc > 1)
		return usage_error(s->verb, "give the table with --table or as FILE, not both");
	p = params_name(argv[0]);
	if (get_table(s, argc > 1 ? argv[1] : NULL, &table)) {
		json_object_put(p);
		return 1;
	}
	add_str(p, "table", table);
	free(table);
	cwd = current_dir();
	add_str(p, "cwd", cwd);
	free(cwd);
	return call(s, "load", p, NULL);
}

/* clear, suspend, resume, remove: one request per NAME, stopping at the
 * first failure as dmsetup does.  The method is the verb's name. */
static int v_simple(void *ctx, int argc, char **argv)
{
	struct dms *s = ctx;
	for (int i = 0; i < argc; i++) {
		struct json_object *p = params_name(argv[i]);

		add_flag(s, p, "noflush", O_NOFLUSH);
		add_flag(s, p, "nolockfs", O_NOLOCKFS);
		add_flag(s, p, "force", O_FORCE);
		if (call(s, s->verb->name, p, NULL))
			return 1;
	}
	return 0;
}

static int v_remove_all(void *ctx, int argc, char **argv)
{
	struct dms *s = ctx;
	struct json_object *p = json_object_new_object(), *res, *a;
	int ret;

	(void)argc, (void)argv;
	add_flag(s, p, "force", O_FORCE);
	ret = call(s, "remove_all", p, &res);
	if (ret)
		return ret;
	a = jarr(res, "left");
	if (s->g.verbose && a && json_object_array_length(a))
		fprintf(stderr, PROG ": %zu open device(s) left\n", json_object_array_length(a));
	json_object_put(res);
	return 0;
}

static int v_rename(void *ctx, int argc, char **argv)
{
	struct dms *s = ctx;
	struct json_object *p = params_name(argv[0]);

	(void)argc;
	add_str(p, (s->set & BIT(O_SETUUID)) ? "new_uuid" : "new_name", argv[1]);
	return call(s, "rename", p, NULL);
}

static int v_message(void *ctx, int argc, char **argv)
{
	struct dms *s = ctx;
	struct json_object *p, *res;
	uint64_t sector;
	size_t len = 1;
	char *msg;
	const char *reply;
	int ret;

	if (parse_u64(argv[1], &sector))
		return usage_error(s->verb, "invalid sector '%s'", argv[1]);
	for (int i = 2; i < argc; i++)
		len += strlen(argv[i]) + 1;
	msg = malloc(len);
	if (!msg)
		return 1;
	msg[0] = '\0';
	for (int i = 2; i < argc; i++) {
		if (i > 2)
			strcat(msg, " ");
		strcat(msg, argv[i]);
	}
	p = params_name(argv[0]);
	json_object_object_add(p, "sector", json_object_new_uint64(sector));
	add_str(p, "message", msg);
	free(msg);
	ret = call(s, "message", p, &res);
	if (ret)
		return ret;
	reply = jstr(res, "result");
	/* As dmsetup: a reply gets a newline unless it has one. */
	if (!*reply || reply[strlen(reply) - 1] == '\n')
		fputs(reply, stdout);
	else
		puts(reply);
	json_object_put(res);
	return 0;
}

/* One table or status request: for @name, or every device if NULL. */
static int print_table(struct dms *s, const char *name, bool multiple)
{
	struct json_object *p = params_name(name), *res;
	const char *target = s->val[O_TARGET];
	size_t n;
	int ret;

	add_flag(s, p, "inactive", O_INACTIVE);
	if (!strcmp(s->verb->name, "table"))
		add_flag(s, p, "showkeys", O_SHOWKEYS);
	add_str(p, "target", target);
	ret = call_list(s, s->verb->name, p, &res);
	if (ret)
		return ret;
	n = json_object_array_length(res);
	if (!name && !n)
		puts("No devices found");
	for (size_t i = 0; i < n; i++) {
		struct json_object *dev = json_object_array_get_idx(res, i);
		struct json_object *lines = jarr(dev, "lines");
		size_t nl = lines ? json_object_array_length(lines) : 0;

		/* A device without a table still gets its (empty) line. */
		if (!nl && !target)
			printf("%s%s\n", multiple ? jstr(dev, "name") : "", multiple ? ": " : "");
		for (size_t l = 0; l < nl; l++) {
			const char *line = json_object_get_string(json_object_array_get_idx(lines, l));
			int words = 0;

			for (const char *c = line; *c && words < 3; c++)
				words += *c == ' ';
			if (multiple)
				printf("%s: ", jstr(dev, "name"));
			/* dmsetup prints "%llu %llu %s " and then the parameters,
			 * so a target without any ends in a space. */
			printf("%s%s\n", line, words < 3 ? " " : "");
		}
	}
	json_object_put(res);
	return 0;
}

static int v_table(void *ctx, int argc, char **argv)
{
	struct dms *s = ctx;
	if (!argc)
		return print_table(s, NULL, true);
	for (int i = 0; i < argc; i++) {
		int ret = print_table(s, argv[i], argc > 1);

		if (ret)
			return ret;
	}
	return 0;
}

static void info_long(struct json_object *d)
{
	bool live = jbool(d, "live_table"), inactive = jbool(d, "inactive_table");
	const char *uuid = jstr(d, "uuid");

	printf("Name:              %s\n", jstr(d, "name"));
	printf("State:             %s%s\n", jbool(d, "suspended") ? "SUSPENDED" : "ACTIVE",
	       jbool(d, "read_only") ? " (READ-ONLY)" : "");
	printf("Read Ahead:        %" PRId64 "\n", jint(d, "read_ahead"));
	if (!live && !inactive)
		printf("Tables present:    None\n");
	else
		printf("Tables present:    %s%s%s\n", live ? "LIVE" : "",
		       live && inactive ? " & " : "", inactive ? "INACTIVE" : "");
	printf("Open count:        %" PRId64 "\n", jint(d, "open_count"));
	printf("Event number:      %" PRId64 "\n", jint(d, "event_nr"));
	printf("Major, minor:      %" PRId64 ", %" PRId64 "\n", jint(d, "major"), jint(d, "minor"));
	printf("Number of targets: %" PRId64 "\n", jint(d, "ntargets"));
	if (*uuid)
		printf("UUID: %s\n", uuid);
	putchar('\n');
}

/* dmsetup info -c: the default report fields of dmsetup, with their
 * minimum widths; numbers are right-aligned, and every column is padded,
 * the last too. */
#define NCOLS 8

static void info_columns(struct json_object **devs, size_t n, bool headings, const char *sep)
{
	static const char *const head[NCOLS] = { "Name", "Maj", "Min", "Stat",
						  "Open", "Targ", "Event", "UUID" };
	static const bool right[NCOLS] = { false, true, true, false, true, true, true, false };
	int width[NCOLS] = { 16, 3, 3, 4, 4, 4, 6, 32 };
	char (*cell)[NCOLS][160] = calloc(n ? n : 1, sizeof(*cell));

	if (!cell)
		return;
	for (size_t i = 0; i < n; i++) {
		struct json_object *d = devs[i];

		snprintf(cell[i][0], 160, "%s", jstr(d, "name"));
		snprintf(cell[i][1], 160, "%" PRId64, jint(d, "major"));
		snprintf(cell[i][2], 160, "%" PRId64, jint(d, "minor"));
		snprintf(cell[i][3], 160, "%c%c%c%c", jbool(d, "live_table") ? 'L' : '-',
			 jbool(d, "inactive_table") ? 'I' : '-', jbool(d, "suspended") ? 's' : '-',
			 jbool(d, "read_only") ? 'r' : 'w');
		snprintf(cell[i][4], 160, "%" PRId64, jint(d, "open_count"));
		snprintf(cell[i][5], 160, "%" PRId64, jint(d, "ntargets"));
		snprintf(cell[i][6], 160, "%" PRId64, jint(d, "event_nr"));
		snprintf(cell[i][7], 160, "%s", jstr(d, "uuid"));
		for (int c = 0; c < NCOLS; c++) {
			int l = (int)strlen(cell[i][c]);
			if (l > width[c])
				width[c] = l;
		}
	}
	if (headings) {
		for (int c = 0; c < NCOLS; c++)
			printf("%s%-*s", c ? sep ? sep : " " : "", sep ? 0 : width[c], head[c]);
		putchar('\n');
	}
	for (size_t i = 0; i < n; i++) { /* libdm's report: a separator given, no alignment */
		for (int c = 0; c < NCOLS; c++)
			printf(right[c] ? "%s%*s" : "%s%-*s", c ? sep ? sep : " " : "", sep ? 0 : width[c], cell[i][c]);
		putchar('\n');
	}
	free(cell);
}

static int v_info(void *ctx, int argc, char **argv)
{
	struct dms *s = ctx;
	struct json_object *all = json_object_new_array(), **devs;
	size_t n;
	int ret = 0;

	/* Gather first: columns need every row to size themselves. */
	for (int i = 0; i < (argc ? argc : 1) && !ret; i++) {
		struct json_object *res;

		ret = call_list(s, "info", params_name(argc ? argv[i] : NULL), &res);
		if (ret)
			break;
		for (size_t j = 0; j < json_object_array_length(res); j++)
			json_object_array_add(all, json_object_get(json_object_array_get_idx(res, j)));
		json_object_put(res);
	}
	n = json_object_array_length(all);
	if (!argc && !n)
		puts("No devices found");
	devs = calloc(n ? n : 1, sizeof(*devs));
	for (size_t i = 0; devs && i < n; i++)
		devs[i] = json_object_array_get_idx(all, i);
	if (devs && (s->set & BIT(O_COLUMNS))) {
		if (n)
			info_columns(devs, n, !(s->set & BIT(O_NOHEADINGS)), s->set & BIT(O_SEPARATOR) ? s->val[O_SEPARATOR] : NULL);
	} else {
		for (size_t i = 0; devs && i < n; i++)
			info_long(devs[i]);
	}
	free(devs);
	json_object_put(all);
	return ret;
}

static int v_ls(void *ctx, int argc, char **argv)
{
	struct dms *s = ctx;
	const char *target = s->val[O_TARGET];
	struct json_object *res, *p;
	int ret;

	(void)argc, (void)argv;
	ret = call_list(s, "ls", NULL, &res);
	if (ret)
		return ret;
	if (!json_object_array_length(res)) {
		puts("No devices found");
	} else if (target) {
		/* dmsetup ls --target goes through its status code and prints
		 * the numbers as "(major, minor)". */
		json_object_put(res);
		p = json_object_new_object();
		add_str(p, "target", target);
		ret = call_list(s, "ls", p, &res);
		if (ret)
			return ret;
		for (size_t i = 0; i < json_object_array_length(res); i++) {
			struct json_object *d = json_object_array_get_idx(res, i);

			printf("%s\t(%" PRId64 ", %" PRId64 ")\n", jstr(d, "name"), jint(d, "major"),
			       jint(d, "minor"));
		}
	} else {
		for (size_t i = 0; i < json_object_array_length(res); i++) {
			struct json_object *d = json_object_array_get_idx(res, i);

			printf("%s\t(%" PRId64 ":%" PRId64 ")\n", jstr(d, "name"), jint(d, "major"),
			       jint(d, "minor"));
		}
	}
	json_object_put(res);
	return 0;
}

static int v_deps(void *ctx, int argc, char **argv)
{
	struct dms *s = ctx;
	bool multiple = argc != 1;

	for (int i = 0; i < (argc ? argc : 1); i++) {
		struct json_object *res;
		size_t n;
		int ret = call_list(s, "deps", params_name(argc ? argv[i] : NULL), &res);

		if (ret)
			return ret;
		n = json_object_array_length(res);
		if (!argc && !n)
			puts("No devices found");
		for (size_t j = 0; j < n; j++) {
			struct json_object *d = json_object_array_get_idx(res, j);
			struct json_object *deps = jarr(d, "deps");
			size_t nd = deps ? json_object_array_length(deps) : 0;

			if (multiple)
				printf("%s: ", jstr(d, "name"));
			printf("%zu dependencies\t:", nd);
			for (size_t k = 0; k < nd; k++)
				printf(" (%s)", json_object_get_string(json_object_array_get_idx(deps, k)));
			putchar('\n');
		}
		json_object_put(res);
	}
	return 0;
}

static int v_targets(void *ctx, int argc, char **argv)
{
	struct dms *s = ctx;
	struct json_object *res;
	int ret;

	(void)argc, (void)argv;
	ret = call_list(s, "targets", NULL, &res);
	if (ret)
		return ret;
	for (size_t i = 0; i < json_object_array_length(res); i++) {
		struct json_object *t = json_object_array_get_idx(res, i);
		struct json_object *v = jarr(t, "version");
		int64_t ver[3] = { 0, 0, 0 };

		for (size_t k = 0; v && k < 3 && k < json_object_array_length(v); k++)
			ver[k] = json_object_get_int64(json_object_array_get_idx(v, k));
		printf("%-16s v%" PRId64 ".%" PRId64 ".%" PRId64 "\n", jstr(t, "name"), ver[0],
		       ver[1], ver[2]);
	}
	json_object_put(res);
	return 0;
}

/* The library is this program; the driver is the daemon. */
static int v_version(void *ctx, int argc, char **argv)
{
	struct dms *s = ctx;
	struct json_object *res;
	int ret;

	(void)argc, (void)argv;
	printf("Library version:   %s\n", ULVM_VERSION);
	ret = call(s, "version", NULL, &res);
	if (ret)
		return ret;
	printf("Driver version:    %s\n", jstr(res, "driver"));
	json_object_put(res);
	return 0;
}

static int v_help(void *ctx, int argc, char **argv)
{
	const struct cli_verb *v;

	(void)ctx;
	if (!argc) {
		cli_family_help(&spec, stdout);
		return 0;
	}
	v = cli_find_verb(&spec, argv[0]);
	if (!v)
		return usage_error(NULL, "unknown verb '%s'", argv[0]);
	cli_verb_help(&spec, v, stdout);
	return 0;
}

int dmsetup_main(const struct cli_globals *g, int argc, char **argv)
{
	struct dms s = { .g = *g, .d = { .c = { .fd = -1 } } };
	struct cli_args a;
	int ret;

	if (g->complete)
		return cli_complete(&spec, argc > 1 ? argv[1] : NULL, stdout);
	ret = cli_parse(&spec, argc, argv, &a);

	if (ret) {
		cli_args_free(&a);
		return ret == CLI_HELP_SHOWN ? 0 : ret;
	}
	s.verb = a.verb;
	s.set = a.set;
	s.val = a.val;
	s.g.verbose += (int)a.count[O_VERBOSE];
	if (a.val[O_RUN_DIR])
		s.g.run_dir = a.val[O_RUN_DIR];
	if (s.g.verbose)
		log_set_level(s.g.verbose > 1 ? LOG_DEBUG : LOG_INFO);
	ret = a.verb->fn(&s, a.argc, a.argv);
	dmctl_close(&s.d);
	cli_args_free(&a);
	fflush(stdout);
	return ret;
}
