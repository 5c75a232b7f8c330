/* ulvm thin: tools over thin pools that LVM2 has no verb for.
 *
 *   ulvm thin delta VG/LV_A VG/LV_B          LVs of one pool, from the VG metadata
 *   ulvm thin delta --pool DMNAME ID_A ID_B  dm names and device ids
 *
 * The ranges whose mappings differ (changed-block tracking) come from the
 * pool's "delta" message (src/targets/thin_pool.c), asked page by page
 * until it stops answering "more"; no data is read.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli/lvm_cmds.h"
#include "common/args.h"
#include "lvm/activate.h"
#include "lvm/thin_lv.h"

#define PROG "ulvm thin"

enum { T_POOL, T_UNITS, T_REPORTFORMAT, T_SAME, T_COMMON };

static const struct cli_opt thin_opts[T_COMMON + G_COUNT] = {
	[T_POOL] = { "pool", NULL, "DMNAME", "operands are device ids of this thin-pool device" },
	[T_UNITS] = { "units", NULL, "s|b", "ranges in sectors (default) or bytes" },
	[T_REPORTFORMAT] = { "reportformat", NULL, "basic|json", "output format" },
	[T_SAME] = { "same", NULL, NULL, "also list the ranges mapped alike (as thin_delta)" },
	[T_COMMON + G_DEVICES] = { "devices", NULL, "PATH,...", "use only these devices (no devices file)" },
	[T_COMMON + G_CONFDIR] = { "config-dir", NULL, "DIR", "the config dir (devices file, ulvm.conf)" },
	[T_COMMON + G_CONFIG] = { "config", NULL, "SETTINGS", "ulvm.conf settings for this command only" },
	[T_COMMON + G_RUNDIR] = { "run-dir", NULL, "DIR", "the run directory of ulvmd" },
	[T_COMMON + G_VERBOSE] = { "verbose", "v", NULL, "more messages" },
	[T_COMMON + G_QUIET] = { "quiet", "q", NULL, "no -v messages" },
	[T_COMMON + G_HELP] = { "help", "h", NULL, "show help and exit" },
};

#define TBIT(o) CLI_BIT(o)
#define T_GLOBAL (TBIT(T_COMMON + G_DEVICES) | TBIT(T_COMMON + G_CONFDIR) | TBIT(T_COMMON + G_CONFIG) | \
		  TBIT(T_COMMON + G_RUNDIR) | TBIT(T_COMMON + G_VERBOSE) | TBIT(T_COMMON + G_HELP))

static int thin_delta(void *ctx, int argc, char **argv);

static const struct cli_verb thin_verbs[] = {
	{ "delta", "VG/LV_A VG/LV_B | --pool DMNAME ID_A ID_B", 2, 2,
	  TBIT(T_POOL) | TBIT(T_UNITS) | TBIT(T_REPORTFORMAT) | TBIT(T_SAME),
	  "List the ranges whose blocks differ between two thin volumes (snapshots) of "
	  "one pool, from the pool's mappings alone: different (both mapped, other data), "
	  "left_only, right_only; with --same also same.  Cost follows the changes, not "
	  "the volume size.",
	  thin_delta },
};

static const struct cli_spec thin_spec = {
	.prog = PROG,
	.synopsis = "Usage: ulvm thin VERB [OPTION]... [ARG]...\n\nThin pool tools of ulvm.",
	.opts = thin_opts,
	.nopts = T_COMMON + G_COUNT,
	.global_opts = T_GLOBAL,
	.help_opt = T_COMMON + G_HELP,
	.verbs = thin_verbs,
	.nverbs = sizeof(thin_verbs) / sizeof(thin_verbs[0]),
};

struct side {
	char pool[LV_DM_NAME_MAX];
	uint64_t id;
};

/* "vg/lv": its pool's dm device and its device id, from the VG metadata. */
static int resolve_lv(struct lvm_cmd *c, const char *arg, struct side *s)
{
	char vgname[LVM_NAME_LEN];
	struct vgh h = { .lock_fd = -1 };
	struct err e = { { 0 } };
	struct thin_seg ts;
	struct vg_lv *lv, *pool;
	const char *name;
	int r = 0;

	if (lvm_split_lvname(arg, vgname, sizeof(vgname), &name))
		return LVM_FAILED;
	if (lvm_vg_read(&c->env, vgname, &h, &e))
		return lvm_fail("%s", e.msg);
	lv = vg_find_lv(h.vg, name);
	if (!lv)
		r = lvm_fail("Failed to find logical volume \"%s/%s\"", vgname, name);
	else if (!lv_is_thin(lv))
		r = lvm_fail("%s/%s is not a thin volume.", vgname, name);
	else if (lv_thin_seg(lv, &ts, &e))
		r = lvm_fail("%s", e.msg);
	else if (!(pool = thin_pool_of(h.vg, lv)))
		r = lvm_fail("%s/%s: pool %s not found.", vgname, name, ts.pool);
	else {
		lv_dm_layer_name(h.vg, pool, "tpool", s->pool, sizeof(s->pool));
		s->id = ts.device_id;
	}
	lvm_vg_release(&h);
	return r;
}

struct range_out {
	const char *kind;
	uint64_t begin, len; /* data blocks */
};

struct delta_out {
	struct range_out *r;
	size_t n, cap;
	uint64_t block_sectors;
};

/* One page of the pool's reply; *more is where to go on, or UINT64_MAX. */
static int parse_page(char *text, struct delta_out *o, uint64_t *more)
{
	*more = UINT64_MAX;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		char kind[32];
		uint64_t a, b;

		if (sscanf(line, "data_block_size %" SCNu64, &a) == 1) {
			o->block_sectors = a;
		} else if (sscanf(line, "more %" SCNu64, &a) == 1) {
			*more = a;
		} else if (sscanf(line, "%31s %" SCNu64 " %" SCNu64, kind, &a, &b) == 3) {
			static const char *const kinds[] = { "same", "different", "left_only",
							     "right_only" };
			const char *k = NULL;

			for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
				if (!strcmp(kind, kinds[i]))
					k = kinds[i];
			if (!k)
				return -EPROTO;
			if (o->n == o->cap) {
				void *p = realloc(o->r, (o->cap ? 2 * o->cap : 256) * sizeof(*o->r));

				if (!p)
					return -ENOMEM;
				o->r = p;
				o->cap = o->cap ? 2 * o->cap : 256;
			}
			o->r[o->n++] = (struct range_out){ k, a, b };
		} else {
			return -EPROTO;
		}
	}
	return 0;
}

static int fetch_delta(struct lvm_cmd *c, const struct side *a, const struct side *b,
		       struct delta_out *o)
{
	struct dmctl d = { 0 };
	uint64_t from = 0;
	int ret = 0;

	if (!lvm_daemon_up(c, &d))
		return lvm_fail("%s", d.why.msg);
	while (!ret) {
		struct json_object *p = json_object_new_object(), *res = NULL, *v;
		struct err e = { { 0 } };
		char msg[128];
		char *text;
		int r;

		snprintf(msg, sizeof(msg), "delta %" PRIu64 " %" PRIu64 " %" PRIu64 "%s", a->id,
			 b->id, from, opt_set(c, T_SAME) ? " same" : "");
		json_object_object_add(p, "name", json_object_new_string(a->pool));
		json_object_object_add(p, "sector", json_object_new_uint64(0));
		json_object_object_add(p, "message", json_object_new_string(msg));
		r = dmctl_call(&d, "message", p, &res, &e);
		if (r) {
			ret = lvm_fail("%s", e.msg);
			break;
		}
		if (!json_object_object_get_ex(res, "result", &v) ||
		    !(text = strdup(json_object_get_string(v)))) {
			json_object_put(res);
			ret = lvm_fail("%s: no reply to the delta message", a->pool);
			break;
		}
		json_object_put(res);
		r = parse_page(text, o, &from);
		free(text);
		if (r)
			ret = lvm_fail("%s: bad reply to the delta message: %s", a->pool,
				       strerror(-r));
		else if (from == UINT64_MAX)
			break;
	}
	dmctl_close(&d);
	return ret;
}

static void print_delta(struct lvm_cmd *c, const char *left, const char *right,
			const struct delta_out *o)
{
	bool bytes = opt_set(c, T_UNITS) && !strcmp(opt_val(c, T_UNITS), "b");
	uint64_t unit = o->block_sectors * (bytes ? 512 : 1);

	if (opt_set(c, T_REPORTFORMAT) && !strcmp(opt_val(c, T_REPORTFORMAT), "json")) {
		struct json_object *top = json_object_new_object(), *d = json_object_new_object();
		struct json_object *arr = json_object_new_array();

		json_object_object_add(d, "left", json_object_new_string(left));
		json_object_object_add(d, "right", json_object_new_string(right));
		json_object_object_add(d, "units", json_object_new_string(bytes ? "bytes" : "sectors"));
		json_object_object_add(d, "data_block_size",
				       json_object_new_uint64(o->block_sectors * (bytes ? 512 : 1)));
		for (size_t i = 0; i < o->n; i++) {
			struct json_object *r = json_object_new_object();

			json_object_object_add(r, "type", json_object_new_string(o->r[i].kind));
			json_object_object_add(r, "start", json_object_new_uint64(o->r[i].begin * unit));
			json_object_object_add(r, "length", json_object_new_uint64(o->r[i].len * unit));
			json_object_array_add(arr, r);
		}
		json_object_object_add(d, "ranges", arr);
		json_object_object_add(top, "delta", d);
		puts(json_object_to_json_string_ext(top, JSON_C_TO_STRING_PRETTY |
							 JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(top);
		return;
	}
	for (size_t i = 0; i < o->n; i++)
		printf("%-10s %" PRIu64 " %" PRIu64 "\n", o->r[i].kind, o->r[i].begin * unit,
		       o->r[i].len * unit);
}

static int thin_delta(void *ctx, int argc, char **argv)
{
	struct lvm_cmd *c = ctx;
	struct side s[2] = { 0 };
	struct delta_out o = { 0 };
	int r = 0;

	(void)argc;
	if (opt_set(c, T_UNITS) && strcmp(opt_val(c, T_UNITS), "s") &&
	    strcmp(opt_val(c, T_UNITS), "b"))
		return cli_usage_error(c->spec, c->a.verb, "--units is s or b");
	if (opt_set(c, T_REPORTFORMAT) && strcmp(opt_val(c, T_REPORTFORMAT), "basic") &&
	    strcmp(opt_val(c, T_REPORTFORMAT), "json"))
		return cli_usage_error(c->spec, c->a.verb, "--reportformat is basic or json");
	if (opt_set(c, T_POOL)) {
		for (int i = 0; i < 2; i++) {
			if (parse_u64(argv[i], &s[i].id))
				return cli_usage_error(c->spec, c->a.verb, "invalid device id '%s'",
						       argv[i]);
			snprintf(s[i].pool, sizeof(s[i].pool), "%s", opt_val(c, T_POOL));
		}
	} else {
		if ((r = lvm_setup(c, false)) || (r = resolve_lv(c, argv[0], &s[0])) ||
		    (r = resolve_lv(c, argv[1], &s[1])))
			return r;
		if (strcmp(s[0].pool, s[1].pool))
			return lvm_fail("%s and %s are in different pools.", argv[0], argv[1]);
	}
	r = fetch_delta(c, &s[0], &s[1], &o);
	if (!r)
		print_delta(c, argv[0], argv[1], &o);
	free(o.r);
	return r;
}

int thin_main(const struct cli_globals *g, int argc, char **argv)
{
	struct lvm_cmd c = { .g = g, .spec = &thin_spec, .common = T_COMMON };
	struct cli_globals g2 = *g;
	size_t n = 0;
	int r;

	if (g->complete)
		return cli_complete(&thin_spec, argc > 1 ? argv[1] : NULL, stdout);
	for (int i = 0; i < argc && n + 2 < sizeof(c.cmdline); i++)
		n += (size_t)snprintf(c.cmdline + n, sizeof(c.cmdline) - n, "%s%s", i ? " " : "",
				      argv[i]);
	r = cli_parse(&thin_spec, argc, argv, &c.a);
	if (r == CLI_HELP_SHOWN) {
		r = 0;
	} else if (!r) {
		c.verb = c.a.verb->name;
		if (opt_set(&c, T_COMMON + G_RUNDIR))
			g2.run_dir = opt_val(&c, T_COMMON + G_RUNDIR);
		if (opt_set(&c, T_COMMON + G_VERBOSE))
			log_set_level(LOG_INFO + (int)c.a.count[T_COMMON + G_VERBOSE] - 1);
		c.g = &g2;
		r = c.a.verb->fn(&c, c.a.argc, c.a.argv);
	}
	cli_args_free(&c.a);
	lvm_env_free(&c.env);
	return r;
}
