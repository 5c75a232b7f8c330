/* The command line of ulvm's verb families, from one declarative table.
 *
 * A family (`ulvm dmsetup`, later the lvm verbs) lists its options and its
 * verbs once: a verb names its operand counts, the options that apply and
 * its help.  cli_parse turns argv into the verb and its arguments, with the
 * usage errors, and both levels of --help come from the same tables.
 * Options may come anywhere (as with getopt's permutation), long ones by
 * any unambiguous prefix, short ones bundled (-fv, -uUUID); "--" ends them.
 */
#ifndef ULVM_CLI_CMDLINE_H
#define ULVM_CLI_CMDLINE_H

#include <stdint.h>
#include <stdio.h>

#define CLI_MAX_OPTS 128
/* A set of options, one bit each (lvm2's change verbs have more than 64). */
__extension__ typedef unsigned __int128 cli_mask;
#define CLI_BIT(o) ((cli_mask)1 << (o))

struct cli_opt {
	const char *lng;    /* long name, without "--" */
	const char *shorts; /* short forms, or NULL */
	const char *arg;    /* the argument's name, or NULL for a flag */
	const char *help;
};

struct cli_verb {
	const char *name;
	const char *operands; /* for the usage line */
	int min, max;         /* operand count; max < 0: no limit */
	cli_mask opts;        /* options that apply, besides the family's global ones */
	const char *help;
	int (*fn)(void *ctx, int argc, char **argv);
};

struct cli_spec {
	const char *prog;     /* "ulvm dmsetup", in messages and help */
	const char *synopsis; /* first lines of the family's help */
	const struct cli_opt *opts;
	unsigned nopts;
	cli_mask global_opts; /* apply to every verb */
	int help_opt;         /* the index of --help */
	const struct cli_verb *verbs;
	unsigned nverbs;
};

struct cli_optval {
	int opt;
	const char *val;
};

struct cli_args {
	const struct cli_verb *verb;
	cli_mask set;                    /* CLI_BIT(opt) for each option given */
	const char *val[CLI_MAX_OPTS];   /* the last argument given to each */
	unsigned count[CLI_MAX_OPTS];    /* how often each was given */
	struct cli_optval *seq;          /* every option given, in order (--addtag a --addtag b) */
	unsigned nseq;
	int argc;                        /* operands after the verb */
	char **argv;
};

#define CLI_HELP_SHOWN 1 /* cli_parse printed help: exit 0 */
#define CLI_USAGE 2      /* a usage error was printed: exit 2 */

/* @argv[0] is the family's name.  Returns 0 with a->verb to run,
 * CLI_HELP_SHOWN or CLI_USAGE.  Free with cli_args_free in every case. */
int cli_parse(const struct cli_spec *spec, int argc, char **argv, struct cli_args *a);
void cli_args_free(struct cli_args *a);
/* The arguments of option @opt in the order given; *@n of them.  *@vals
 * is malloc'ed (NULL when none). */
int cli_values(const struct cli_args *a, int opt, const char ***vals, unsigned *n);

/* A command's failure: "PREFIX: message" on stderr (no prefix when
 * @prefix is NULL), stdout flushed first; returns @code. */
int cli_fail(const char *prefix, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Print "PROG: message" and a hint to --help; returns CLI_USAGE. */
int cli_usage_error(const struct cli_spec *spec, const struct cli_verb *v, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void cli_family_help(const struct cli_spec *spec, FILE *out);
void cli_verb_help(const struct cli_spec *spec, const struct cli_verb *v, FILE *out);
const struct cli_verb *cli_find_verb(const struct cli_spec *spec, const char *name);

/* For bash completion (`ulvm __complete CMD [VERB]`): the verbs of
 * @spec, one per line, when @verb is NULL; else the options @verb takes
 * (its own and the family's), as --long and -s forms.  Returns 0. */
int cli_complete(const struct cli_spec *spec, const char *verb, FILE *out);

#endif
