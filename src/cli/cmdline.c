#include "cli/cmdline.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

int cli_usage_error(const struct cli_spec *spec, const struct cli_verb *v, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", spec->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s %s%s--help'.\n", spec->prog, v ? v->name : "", v ? " " : "");
	return CLI_USAGE;
}

/* ---- help ---- */

/* Print @text wrapped at 76 columns. */
static void print_wrapped(FILE *out, const char *text)
{
	const char *p = text;
	int col = 0;

	while (*p) {
		size_t w = strcspn(p, " ");

		if (col && col + 1 + (int)w > 76) {
			fputc('\n', out);
			col = 0;
		}
		if (col) {
			fputc(' ', out);
			col++;
		}
		fprintf(out, "%.*s", (int)w, p);
		col += (int)w;
		p += w;
		while (*p == ' ')
			p++;
	}
	fputc('\n', out);
}

static void print_synopsis(const struct cli_spec *spec, const struct cli_verb *v, FILE *out)
{
	fprintf(out, "%s", v->name);
	if (*v->operands)
		fprintf(out, " %s", v->operands);
	for (unsigned o = 0; o < spec->nopts; o++) {
		const struct cli_opt *d = &spec->opts[o];

		if (!(v->opts & CLI_BIT(o)))
			continue;
		fputs(" [", out);
		if (d->shorts)
			fprintf(out, "-%c|", d->shorts[0]);
		fprintf(out, "--%s", d->lng);
		if (d->arg)
			fprintf(out, " %s", d->arg);
		fputc(']', out);
	}
	fputc('\n', out);
}

static void print_opt_help(const struct cli_opt *d, FILE *out)
{
	char left[64];
	int n = 0;

	for (const char *c = d->shorts; c && *c; c++)
		n += snprintf(left + n, sizeof(left) - (size_t)n, "-%c, ", *c);
	snprintf(left + n, sizeof(left) - (size_t)n, "--%s%s%s", d->lng, d->arg ? " " : "",
		 d->arg ? d->arg : "");
	fprintf(out, "  %-22s %s\n", left, d->help);
}

void cli_verb_help(const struct cli_spec *spec, const struct cli_verb *v, FILE *out)
{
	fprintf(out, "Usage: %s ", spec->prog);
	print_synopsis(spec, v, out);
	fputc('\n', out);
	print_wrapped(out, v->help);
	fprintf(out, "\nOptions:\n");
	for (unsigned o = 0; o < spec->nopts; o++) {
		if ((v->opts | spec->global_opts) & CLI_BIT(o))
			print_opt_help(&spec->opts[o], out);
	}
}

void cli_family_help(const struct cli_spec *spec, FILE *out)
{
	fprintf(out, "%s\nVerbs:\n", spec->synopsis);
	for (unsigned i = 0; i < spec->nverbs; i++) {
		fprintf(out, "  ");
		print_synopsis(spec, &spec->verbs[i], out);
	}
	fprintf(out, "\nOptions for every verb:\n");
	for (unsigned o = 0; o < spec->nopts; o++) {
		if (spec->global_opts & CLI_BIT(o))
			print_opt_help(&spec->opts[o], out);
	}
	fprintf(out, "\n'%s VERB --help' describes one verb.\n", spec->prog);
}

/* ---- parsing ---- */

const struct cli_verb *cli_find_verb(const struct cli_spec *spec, const char *name)
{
	for (unsigned i = 0; i < spec->nverbs; i++) {
		if (!strcmp(spec->verbs[i].name, name))
			return &spec->verbs[i];
	}
	return NULL;
}

/* A long option by its name or an unambiguous prefix; -1 unknown, -2
 * ambiguous.  A name two options share (lvm2's --uuid: pvcreate's UUID,
 * pvchange's switch) goes to the one @allowed has, as find_short does. */
static int find_long(const struct cli_spec *spec, const char *name, size_t len, cli_mask allowed)
{
	int found = -1;

	for (int pass = 0; pass < 2; pass++)
		for (unsigned o = 0; o < spec->nopts; o++)
			if ((pass || (allowed & CLI_BIT(o))) && strlen(spec->opts[o].lng) == len &&
			    !strncmp(spec->opts[o].lng, name, len))
				return (int)o;
	for (unsigned o = 0; o < spec->nopts; o++) {
		if (!strncmp(spec->opts[o].lng, name, len)) {
			if (found >= 0)
				return -2;
			found = (int)o;
		}
	}
	return found;
}

/* A letter two options share (lvm2's -s: --snapshot for lvcreate,
 * --physicalextentsize for vgcreate) goes to the one @allowed has. */
static int find_short(const struct cli_spec *spec, char c, cli_mask allowed)
{
	for (unsigned o = 0; o < spec->nopts; o++)
		if ((allowed & CLI_BIT(o)) && spec->opts[o].shorts && strchr(spec->opts[o].shorts, c))
			return (int)o;
	for (unsigned o = 0; o < spec->nopts; o++) {
		if (spec->opts[o].shorts && strchr(spec->opts[o].shorts, c))
			return (int)o;
	}
	return -1;
}

static void set_opt(struct cli_args *a, int o, const char *val)
{
	a->set |= CLI_BIT(o);
	a->val[o] = val;
	a->count[o]++;
	a->seq[a->nseq].opt = o;
	a->seq[a->nseq++].val = val;
}

int cli_values(const struct cli_args *a, int opt, const char ***vals, unsigned *n)
{
	*vals = NULL;
	*n = 0;
	if (!a->count[opt])
		return 0;
	if (!(*vals = calloc(a->count[opt], sizeof(**vals))))
		return -ENOMEM;
	for (unsigned i = 0; i < a->nseq; i++)
		if (a->seq[i].opt == opt)
			(*vals)[(*n)++] = a->seq[i].val;
	return 0;
}

static int parse_long(const struct cli_spec *spec, const struct cli_verb *v, struct cli_args *a, int argc,
		      char **argv, int *i, cli_mask allowed)
{
	const char *arg = argv[*i], *eq = strchr(arg + 2, '=');
	size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
	int o = find_long(spec, arg + 2, len, allowed);

	if (o == -2)
		return cli_usage_error(spec, v, "option '%s' is ambiguous", arg);
	if (o < 0)
		return cli_usage_error(spec, v, "unknown option '%s'", arg);
	if (spec->opts[o].arg && eq) {
		set_opt(a, o, eq + 1);
	} else if (spec->opts[o].arg) {
		if (*i + 1 == argc)
			return cli_usage_error(spec, v, "option '--%s' needs an argument",
					       spec->opts[o].lng);
		set_opt(a, o, argv[++*i]);
	} else if (eq) {
		return cli_usage_error(spec, v, "option '--%s' takes no argument",
				       spec->opts[o].lng);
	} else {
		set_opt(a, o, NULL);
	}
	return 0;
}

static int parse_shorts(const struct cli_spec *spec, const struct cli_verb *v, struct cli_args *a, int argc,
			char **argv, int *i, cli_mask allowed)
{
	for (char *c = argv[*i] + 1; *c; c++) {
		int o = find_short(spec, *c, allowed);

		if (o < 0)
			return cli_usage_error(spec, v, "unknown option '-%c'", *c);
		if (!spec->opts[o].arg) {
			set_opt(a, o, NULL);
		} else if (c[1]) {
			set_opt(a, o, c + 1);
			break;
		} else if (*i + 1 < argc) {
			set_opt(a, o, argv[++*i]);
		} else {
			return cli_usage_error(spec, NULL, "option '-%c' needs an argument", *c);
		}
	}
	return 0;
}

int cli_parse(const struct cli_spec *spec, int argc, char **argv, struct cli_args *a)
{
	const struct cli_verb *v = NULL;
	bool only_operands = false;
	int nops = 0, ret;

	cli_mask allowed = spec->global_opts;

	memset(a, 0, sizeof(*a));
	size_t nopt = 1;

	for (int i = 1; i < argc; i++) /* bundled shorts: an option per letter at most */
		nopt += strlen(argv[i]);
	a->argv = calloc((size_t)argc + 1, sizeof(*a->argv));
	a->seq = calloc(nopt, sizeof(*a->seq));
	if (!a->argv || !a->seq)
		return cli_usage_error(spec, NULL, "out of memory");
	if (argc > 1 && argv[1][0] != '-' && (v = cli_find_verb(spec, argv[1])))
		allowed |= v->opts;
	for (int i = 1; i < argc; i++) {
		char *arg = argv[i];

		if (only_operands || arg[0] != '-' || !arg[1])
			a->argv[nops++] = arg;
		else if (!strcmp(arg, "--"))
			only_operands = true;
		else if (arg[1] == '-' && (ret = parse_long(spec, v, a, argc, argv, &i, allowed)))
			return ret;
		else if (arg[1] != '-' && (ret = parse_shorts(spec, v, a, argc, argv, &i, allowed)))
			return ret;
	}
	if (!nops) {
		if (a->set & CLI_BIT(spec->help_opt)) {
			cli_family_help(spec, stdout);
			return CLI_HELP_SHOWN;
		}
		return cli_usage_error(spec, NULL, "no verb given");
	}
	v = cli_find_verb(spec, a->argv[0]);
	if (!v)
		return cli_usage_error(spec, NULL, "unknown verb '%s'", a->argv[0]);
	if (a->set & CLI_BIT(spec->help_opt)) {
		cli_verb_help(spec, v, stdout);
		return CLI_HELP_SHOWN;
	}
	for (unsigned o = 0; o < spec->nopts; o++) {
		if ((a->set & CLI_BIT(o)) && !((v->opts | spec->global_opts) & CLI_BIT(o)))
			return cli_usage_error(spec, v, "option '--%s' does not apply to %s",
					       spec->opts[o].lng, v->name);
	}
	nops--;
	if (nops < v->min || (v->max >= 0 && nops > v->max))
		return cli_usage_error(spec, v, "%s: %s", v->name,
				       nops < v->min ? "too few arguments" : "too many arguments");
	a->verb = v;
	a->argc = nops;
	/* The verb's operands start after its name. */
	memmove(a->argv, a->argv + 1, (size_t)nops * sizeof(*a->argv));
	a->argv[nops] = NULL;
	return 0;
}

void cli_args_free(struct cli_args *a)
{
	free(a->argv);
	free(a->seq);
	a->argv = NULL;
	a->seq = NULL;
}

int cli_complete(const struct cli_spec *spec, const char *verb, FILE *out)
{
	const struct cli_verb *v = verb ? cli_find_verb(spec, verb) : NULL;

	if (!verb) {
		for (unsigned i = 0; i < spec->nverbs; i++)
			fprintf(out, "%s\n", spec->verbs[i].name);
		return 0;
	}
	for (unsigned o = 0; v && o < spec->nopts; o++) {
		if (!((v->opts | spec->global_opts) & CLI_BIT(o)))
			continue;
		fprintf(out, "--%s\n", spec->opts[o].lng);
		for (const char *c = spec->opts[o].shorts; c && *c; c++)
			fprintf(out, "-%c\n", *c);
	}
	return 0;
}

int cli_fail(const char *prefix, int code, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	if (prefix)
		fprintf(stderr, "%s: ", prefix);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}
