/* lvmconfig (dumpconfig, config): lvm2's listing of the configuration, for
 * ulvm.conf (and --config over it) and the settings ulvm honours
 * (lvm/settings.h).
 *
 * --type current (the default): the settings as set, the whole file or
 *   the nodes named (SECTION or SECTION/KEY);
 * --type default: the honoured settings' defaults, commented out as lvm2
 *   prints them ("# key=value");
 * --type full: each honoured setting's value, as set or by default;
 * --type diff: the honoured settings set to something else than their
 *   default;
 * --type list: their paths.
 * Values print as lvm2 prints them: key=value, strings quoted, arrays
 * ["a","b"] (one element: the element alone).  A node named that is
 * neither set nor honoured: "Configuration node X not found", exit 5.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/lvm_cmds.h"
#include "lvm/settings.h"

enum cfgtype { T_CURRENT, T_DEFAULT, T_FULL, T_DIFF, T_LIST };

struct cfgshow {
	enum cfgtype type;
	bool summary; /* --withsummary, or --withcomments (lvm2's first line only) */
};

static void put_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	putchar('"');
}

static void put_scalar(const struct cfg_value *v)
{
	if (v->type == CFG_INT)
		printf("%lld", (long long)v->i);
	else if (v->type == CFG_FLOAT)
		fputs(v->s, stdout);
	else
		put_str(v->s);
}

/* key=value of a set node (a section: its nodes, one level deeper). */
static void put_node(const struct cfg_node *n, unsigned depth);

static void put_section(const char *key, const struct cfg_node *sec, unsigned depth)
{
	printf("%*s%s {\n", (int)depth, "", key);
	for (const struct cfg_node *c = sec->child; c; c = c->next)
		put_node(c, depth + 1);
	printf("%*s}\n", (int)depth, "");
}

static void put_value(const struct cfg_node *n)
{
	if (n->type == CFG_ARRAY && n->nitems == 1) {
		put_scalar(&n->items[0]);
	} else if (n->type == CFG_ARRAY) {
		putchar('[');
		for (unsigned i = 0; i < n->nitems; i++) {
			if (i)
				putchar(',');
			put_scalar(&n->items[i]);
		}
		putchar(']');
	} else {
		put_scalar(&n->v);
	}
}

static void put_node(const struct cfg_node *n, unsigned depth)
{
	if (n->type == CFG_SECTION) {
		put_section(n->key, n, depth);
		return;
	}
	for (unsigned i = 0; i < depth; i++)
		putchar('\t');
	printf("%s=", n->key);
	put_value(n);
	putchar('\n');
}

static void put_default(const struct lvm_setting *s)
{
	if (s->type == CFG_INT)
		printf("%lld", (long long)s->i);
	else
		put_str(s->s ? s->s : "");
}

static bool is_default(const struct lvm_setting *s, const struct cfg_node *n)
{
	if (s->flags & SETTING_NO_DEFAULT)
		return false;
	if (s->type == CFG_INT)
		return n->type == CFG_INT && n->v.i == s->i;
	return n->type == CFG_STRING && !strcmp(n->v.s, s->s ? s->s : "");
}

static const char *key_of(const char *path)
{
	return strchr(path, '/') + 1;
}

/* One honoured setting as --type @t shows it, or nothing; @depth tabs. */
static void put_setting(const struct cfgshow *x, const struct lvm_env *env, const struct lvm_setting *s,
			unsigned depth)
{
	const struct cfg_node *n = lvm_setting_node(env, s->path);
	const char *key = key_of(s->path);
	bool nodef = s->flags & SETTING_NO_DEFAULT;
	char ind[16];

	snprintf(ind, sizeof(ind), "%.*s", (int)(depth < 8 ? depth : 8), "\t\t\t\t\t\t\t\t");
	if ((x->type == T_CURRENT || x->type == T_DIFF) && !n)
		return;
	if (x->type == T_DIFF && is_default(s, n))
		return;
	if (x->summary) {
		printf("\n%s# Configuration option %s.\n%s# %s\n", ind, s->path, ind, s->summary);
		if (s->flags & SETTING_ADVANCED)
			printf("%s# This configuration option is advanced.\n", ind);
		printf("%s# This configuration option %s.\n", ind,
		       nodef ? "does not have a default value defined" : "has an automatic default value");
		if (x->type == T_FULL && n)
			printf("%s# Value defined in existing configuration has been used for this setting.\n", ind);
	}
	if (x->type == T_DEFAULT || (x->type == T_FULL && !n)) {
		if (nodef)
			return;
		printf("%s%s%s=", ind, x->type == T_DEFAULT ? "# " : "", key);
		put_default(s);
		putchar('\n');
		return;
	}
	printf("%s%s=", ind, key);
	put_value(n);
	putchar('\n');
}

static void put_current(const struct lvm_env *env, bool diff, const char *only);

/* The honoured settings of @section (all sections: NULL), as a tree;
 * --type diff: what is set, as lvm2 shows it. */
static void put_settings(const struct cfgshow *x, const struct lvm_env *env, const char *section)
{
	if (x->type == T_DIFF) {
		put_current(env, true, section);
		return;
	}
	for (unsigned i = 0; i < lvm_nsettings; i++) {
		const char *p = lvm_settings[i].path;
		size_t sl = (size_t)(strchr(p, '/') - p);
		bool first = true, any = false;

		for (unsigned k = 0; k < i; k++) /* the section's first setting opens it */
			first &= strncmp(lvm_settings[k].path, p, sl + 1) != 0;
		if (!first || (section && (strlen(section) != sl || strncmp(section, p, sl))))
			continue;
		if (x->type == T_LIST) {
			for (unsigned k = i; k < lvm_nsettings; k++)
				if (!strncmp(lvm_settings[k].path, p, sl + 1))
					printf("%s\n", lvm_settings[k].path);
			continue;
		}
		for (unsigned k = i; k < lvm_nsettings && !any; k++) {
			const struct lvm_setting *s = &lvm_settings[k];
			const struct cfg_node *n = lvm_setting_node(env, s->path);

			any = !strncmp(s->path, p, sl + 1) &&
			      (x->type == T_DEFAULT || x->type == T_FULL ? !(s->flags & SETTING_NO_DEFAULT) || n
									  : n && !is_default(s, n));
		}
		if (!any)
			continue;
		if (x->summary)
			printf("\n# Configuration section %.*s.\n", (int)sl, p);
		printf("%.*s {\n", (int)sl, p);
		for (unsigned k = i; k < lvm_nsettings; k++)
			if (!strncmp(lvm_settings[k].path, p, sl + 1))
				put_setting(x, env, &lvm_settings[k], 1);
		printf("}\n");
	}
}

/* --type diff leaves out a setting ulvm honours that is set to its
 * default (lvm2 leaves out any of its own so; those ulvm does not know
 * stay, as set). */
static bool at_default(const char *sec, const struct cfg_node *n)
{
	char path[512];
	const struct lvm_setting *s;

	snprintf(path, sizeof(path), "%s/%s", sec, n->key);
	return (s = lvm_setting_find(path)) && is_default(s, n);
}

/* A section of the files as set: ulvm.conf's, with --config's nodes over
 * its own (@diff: not those at their default).  False when nothing. */
static bool put_current_section(const struct lvm_env *env, const char *name, bool diff)
{
	const struct cfg_node *base = env->conf ? cfg_find(cfg_root(env->conf), name) : NULL;
	const struct cfg_node *over = env->override ? cfg_find(cfg_root(env->override), name) : NULL;
	const struct cfg_node *show[256];
	unsigned n = 0;

	if (base && base->type != CFG_SECTION)
		base = NULL;
	if (over && over->type != CFG_SECTION)
		over = NULL;
	if (!base && !over)
		return false;
	for (const struct cfg_node *c = base ? base->child : NULL; c && n < 256; c = c->next) {
		const struct cfg_node *o = over ? cfg_find(over, c->key) : NULL;

		show[n++] = o ? o : c;
	}
	for (const struct cfg_node *c = over ? over->child : NULL; c && n < 256; c = c->next)
		if (!base || !cfg_find(base, c->key))
			show[n++] = c;
	unsigned kept = 0;
	for (unsigned i = 0; i < n; i++)
		if (!diff || !at_default(name, show[i]))
			show[kept++] = show[i];
	if (diff && !kept)
		return false;
	printf("%s {\n", name);
	for (unsigned i = 0; i < kept; i++)
		put_node(show[i], 1);
	printf("}\n");
	return true;
}

/* The whole file (@only: that section) in lvm2's order: its first
 * section, then the others last to first (how libdm's copy of the tree
 * comes out); then the sections only --config has. */
static void put_current(const struct lvm_env *env, bool diff, const char *only)
{
	const struct cfg_node *first = env->conf ? cfg_root(env->conf)->child : NULL, *c;
	unsigned n = 0;

	for (c = first; c; c = c->next)
		n++;
	for (unsigned k = 0; k < n; k++) {
		unsigned want = k ? n - k : 0, i = 0;

		for (c = first; c && i < want; c = c->next)
			i++;
		if (c && c->type == CFG_SECTION && (!only || !strcmp(only, c->key)))
			put_current_section(env, c->key, diff);
	}
	for (c = env->override ? cfg_root(env->override)->child : NULL; c; c = c->next)
		if (c->type == CFG_SECTION && !(env->conf && cfg_find(cfg_root(env->conf), c->key)) &&
		    (!only || !strcmp(only, c->key)))
			put_current_section(env, c->key, diff);
}

/* One node named on the command line; false when not found. */
static bool put_named(const struct cfgshow *x, const struct lvm_env *env, const char *path)
{
	const struct lvm_setting *s = lvm_setting_find(path);
	const struct cfg_node *n;

	if (!strchr(path, '/')) { /* a section */
		if (x->type == T_CURRENT)
			return put_current_section(env, path, false);
		for (unsigned i = 0; i < lvm_nsettings; i++)
			if (!strncmp(lvm_settings[i].path, path, strlen(path)) &&
			    lvm_settings[i].path[strlen(path)] == '/') {
				put_settings(x, env, path);
				return true;
			}
		return put_current_section(env, path, x->type == T_DIFF);
	}
	if (x->type == T_LIST) {
		if (s)
			printf("%s\n", path);
		return s != NULL;
	}
	if (s) {
		put_setting(x, env, s, 0);
		return true;
	}
	/* not honoured by ulvm: shown only as set, as lvm2's current */
	if (x->type == T_DEFAULT || !(n = lvm_setting_node(env, path)))
		return false;
	if (n->type == CFG_SECTION)
		put_section(n->key, n, 0);
	else
		put_node(n, 0);
	return true;
}

int lvm_lvmconfig(void *ctx, int argc, char **argv)
{
	static const char *const names[] = { "current", "default", "full", "diff", "list" };
	struct lvm_cmd *c = ctx;
	struct cfgshow x = { .summary = opt_set(c, C_WITHSUMMARY) || opt_set(c, C_WITHCOMMENTS) };
	int o = opt_set(c, C_TYPECONFIG) ? C_TYPECONFIG : C_TYPE, r = 0;

	if (opt_set(c, o)) {
		unsigned i = 0;

		while (i < sizeof(names) / sizeof(names[0]) && strcmp(names[i], opt_val(c, o)))
			i++;
		if (i == sizeof(names) / sizeof(names[0])) {
			lvm_fail("Invalid argument for --typeconfig: %s", opt_val(c, o));
			lvm_fail("Error during parsing of command line.");
			return LVM_EINVALID;
		}
		x.type = (enum cfgtype)i;
	}
	if ((r = lvm_setup_config(c)))
		return r;
	if (!argc) {
		if (x.type == T_CURRENT)
			put_current(&c->env, false, NULL);
		else
			put_settings(&x, &c->env, NULL);
		return 0;
	}
	for (int i = 0; i < argc; i++)
		if (!put_named(&x, &c->env, argv[i])) {
			fflush(stdout);
			r = lvm_fail("Configuration node %s not found", argv[i]);
		}
	return r;
}
