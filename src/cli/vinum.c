/* ulvm vinum: vinum(8)'s commands over src/vinum (the configuration
 * language, gvinum's on-disk format, the listings) and ulvmd's targets.
 *
 * Which drives exist: vinum tastes every disk; ulvm keeps the list of
 * devices that hold its drives in the config dir (`vinum.drives`, one
 * path per line), written by `create` and `start DEVICE...`.  `start`
 * with devices reads their headers wherever the files are now, so drives
 * are found by name after a move.
 *
 * A command that changes the configuration builds the new one on a copy,
 * checks it, and writes nothing to any drive unless all of it is right.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli/cmdline.h"
#include "cli/vinum.h"
#include "common/dmctl.h"
#include "common/log.h"
#include "io/dev.h"
#include "lvm/devices.h"
#include "vinum/vinum.h"

enum { O_R, O_V, O_VV, O_F, O_N, O_S, O_CONFDIR, O_RUNDIR, O_HELP, O_COUNT };

static const struct cli_opt opts[O_COUNT] = {
	[O_R] = { "recurse", "r", NULL, "list: the members of each object too" },
	[O_V] = { "verbose", "v", NULL, "list: an object per block, with sizes and offsets" },
	[O_VV] = { "Verbose", "V", NULL, "list: also a plex's subdisks and a volume's plexes" },
	[O_F] = { "force", "f", NULL, "create: take devices that hold a vinum drive; rm, resetconfig: do not ask" },
	[O_N] = { "name", "n", "NAME", "concat, stripe, raid5, mirror: the volume's name" },
	[O_S] = { "stripesize", "s", "SIZE", "stripe, raid5, mirror -s: the stripe size (256k)" },
	[O_CONFDIR] = { "config-dir", NULL, "DIR", "where vinum.drives is kept (as the LVM commands')" },
	[O_RUNDIR] = { "run-dir", NULL, "DIR", "the daemon's run directory" },
	[O_HELP] = { "help", "h", NULL, "show help" },
};

struct vc {
	const struct cli_args *a;
	struct cli_globals g;
	struct dmctl d;
	char list[PATH_MAX + 32];
	char **paths;
	unsigned npaths;
	struct vn_conf c;
};

#define B(o) CLI_BIT(o)
#define LISTO (B(O_R) | B(O_V) | B(O_VV))

static int v_create(void *ctx, int argc, char **argv);
static int v_list(void *ctx, int argc, char **argv);
static int v_printconfig(void *ctx, int argc, char **argv);
static int v_start(void *ctx, int argc, char **argv);
static int v_stop(void *ctx, int argc, char **argv);
static int v_rm(void *ctx, int argc, char **argv);
static int v_resetconfig(void *ctx, int argc, char **argv);
static int v_setstate(void *ctx, int argc, char **argv);
static int v_saveconfig(void *ctx, int argc, char **argv);
static int v_parity(void *ctx, int argc, char **argv);
static int v_quick(void *ctx, int argc, char **argv);
static int v_rename(void *ctx, int argc, char **argv);

static const struct cli_verb verbs[] = {
	{ "create", "FILE", 1, 1, B(O_F), "Create the drives, volumes, plexes and subdisks FILE describes.", v_create },
	{ "list", "[OBJECT...]", 0, -1, LISTO, "List everything, or the objects named (also: l).", v_list },
	{ "l", "[OBJECT...]", 0, -1, LISTO, "As list.", v_list },
	{ "ld", "[DRIVE...]", 0, -1, LISTO, "List drives.", v_list },
	{ "lv", "[VOLUME...]", 0, -1, LISTO, "List volumes.", v_list },
	{ "lp", "[PLEX...]", 0, -1, LISTO, "List plexes.", v_list },
	{ "ls", "[SUBDISK...]", 0, -1, LISTO, "List subdisks.", v_list },
	{ "printconfig", "", 0, 0, 0, "The configuration as create reads it, drives and devices included.", v_printconfig },
	{ "start", "[DEVICE...|PLEX|VOLUME]", 0, -1, 0,
	  "Find the drives on DEVICEs (by their headers, wherever they are) and serve every volume; "
	  "with a plex or volume: revive what is not up.", v_start },
	{ "init", "PLEX...", 1, -1, 0,
	  "Write a raid5 plex's parity from its data (its subdisks initializing, the plex up once done); "
	  "another plex is revived as by start.", v_start },
	{ "stop", "", 0, 0, 0, "Take every vinum volume down (the drives keep the configuration).", v_stop },
	{ "rm", "OBJECT...", 1, -1, B(O_R) | B(O_F), "Remove objects (-r: with their members).", v_rm },
	{ "rename", "OBJECT NEWNAME", 2, 2, B(O_R),
	  "Rename an object (-r: a volume's plexes and subdisks, a plex's subdisks, take the default names "
	  "under the new one).", v_rename },
	{ "resetconfig", "", 0, 0, B(O_F), "Remove every object and wipe the drives' configuration.", v_resetconfig },
	{ "saveconfig", "", 0, 0, 0, "Write the configuration to every drive again (every change already does).",
	  v_saveconfig },
	{ "setstate", "STATE OBJECT...", 2, -1, B(O_F), "Set the state of objects (up, down, stale...).", v_setstate },
	{ "checkparity", "PLEX", 1, 1, B(O_F), "Check a raid5 plex's parity.", v_parity },
	{ "rebuildparity", "PLEX", 1, 1, B(O_F), "Rewrite a raid5 plex's parity from its data.", v_parity },
	{ "concat", "DEVICE...", 1, -1, B(O_N) | B(O_F), "A concatenated volume over the devices (new drives).",
	  v_quick },
	{ "stripe", "DEVICE...", 2, -1, B(O_N) | B(O_S) | B(O_F), "A striped volume over the devices.", v_quick },
	{ "raid5", "DEVICE...", 3, -1, B(O_N) | B(O_S) | B(O_F), "A raid5 volume over the devices.", v_quick },
	{ "mirror", "DEVICE...", 2, -1, B(O_N) | B(O_S) | B(O_F),
	  "A volume of two plexes, the devices dealt between them (-s: striped plexes).", v_quick },
};

static const struct cli_spec spec = {
	.prog = "ulvm vinum",
	.synopsis = "ulvm vinum [OPTION]... COMMAND [ARG]...\n\n"
		    "vinum(8)'s drives, volumes, plexes and subdisks, in gvinum's on-disk format; volumes are\n"
		    "served by ulvmd as NBD exports vinum/NAME.\n",
	.opts = opts,
	.nopts = O_COUNT,
	.global_opts = B(O_CONFDIR) | B(O_RUNDIR) | B(O_HELP),
	.help_opt = O_HELP,
	.verbs = verbs,
	.nverbs = sizeof(verbs) / sizeof(verbs[0]),
};

#define fail(...) cli_fail("ulvm vinum", 1, __VA_ARGS__)

static bool set(const struct vc *v, int o)
{
	return v->a->set & CLI_BIT(o);
}

static void free_paths(struct vc *v)
{
	for (unsigned i = 0; i < v->npaths; i++)
		free(v->paths[i]);
	free(v->paths);
	v->paths = NULL;
	v->npaths = 0;
}

static int add_path(struct vc *v, const char *p)
{
	char real[PATH_MAX], **n;
	const char *keep = realpath(p, real) ? real : p;

	for (unsigned i = 0; i < v->npaths; i++)
		if (!strcmp(v->paths[i], keep))
			return 0;
	if (!(n = realloc(v->paths, (v->npaths + 1) * sizeof(*n))) || !(n[v->npaths] = strdup(keep)))
		return -ENOMEM;
	v->paths = n;
	v->npaths++;
	return 0;
}

static int read_list(struct vc *v)
{
	FILE *f = fopen(v->list, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int r = 0;

	if (!f)
		return errno == ENOENT ? 0 : -errno;
	while (!r && (n = getline(&line, &cap, f)) > 0) {
		line[strcspn(line, "\n")] = 0;
		if (*line && *line != '#')
			r = add_path(v, line);
	}
	free(line);
	fclose(f);
	return r;
}

static int write_list(struct vc *v)
{
	char tmp[PATH_MAX + 40];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", v->list);
	if (!(f = fopen(tmp, "w")))
		return -errno;
	fprintf(f, "# ulvm vinum: the devices that hold vinum drives\n");
	for (unsigned i = 0; i < v->c.ndrive; i++)
		if (v->c.drive[i].path[0])
			fprintf(f, "%s\n", v->c.drive[i].path);
	if (fflush(f) || fsync(fileno(f))) {
		fclose(f);
		return -errno;
	}
	fclose(f);
	return rename(tmp, v->list) ? -errno : 0;
}

static int load(struct vc *v, bool warn)
{
	struct err e = { { 0 } };
	int r;

	if ((r = vn_load(&v->c, v->paths, v->npaths, warn, &e)))
		return fail("%s", e.msg);
	return 0;
}

static int daemon_up(struct vc *v)
{
	v->d.run_dir = v->g.run_dir;
	if (!dmctl_up(&v->d))
		return fail("%s", v->d.why.msg);
	return 0;
}

/* Serve every volume that has plexes.  States that changed with what
 * is here (a drive gone, or back) are on the drives first: a subdisk
 * that missed writes must still be known stale when its drive returns
 * after the others were written. */
static int activate_all(struct vc *v)
{
	struct err e = { { 0 } };
	int bad = 0;

	if (v->c.states_changed) {
		if (vn_save(&v->c, &e))
			return fail("recording the states of the subdisks whose drives are gone or back: %s", e.msg);
		v->c.states_changed = false;
	}

	for (unsigned i = 0; i < v->c.nvol; i++) {
		const struct vn_plex *p[1];

		if (!vn_vol_plexes(&v->c, &v->c.vol[i], p, 1))
			continue;
		if (vn_activate(&v->d, &v->c, &v->c.vol[i], &e)) {
			fprintf(stderr, "ulvm vinum: volume %s: %s\n", v->c.vol[i].name, e.msg);
			bad++;
		}
	}
	return bad ? 1 : 0;
}

/* Save @next as the configuration (all drives), then the list. */
static int commit(struct vc *v, struct vn_conf *next)
{
	struct err e = { { 0 } };

	if (vn_check(next, &e))
		return fail("%s", e.msg);
	if (vn_save(next, &e))
		return fail("%s", e.msg);
	vn_conf_free(&v->c);
	v->c = *next;
	memset(next, 0, sizeof(*next));
	if (write_list(v))
		return fail("%s: %s", v->list, strerror(errno));
	return 0;
}

/* New drives' devices must not be vinum drives already (unless -f). */
static int fresh_devices(struct vc *v, const struct vn_conf *next)
{
	for (unsigned i = 0; i < next->ndrive; i++) {
		const struct vn_drive *d = &next->drive[i];
		uint8_t hdr[VN_HDR_LEN];
		struct vn_header h;
		struct err e = { { 0 } };
		struct dev *dv;

		if (vn_find_drive(&v->c, d->name) || !d->path[0])
			continue;
		if (dev_open_spec(d->path, NULL, DEV_OPEN_RDONLY, &dv, &e))
			return fail("drive %s: %s", d->name, e.msg);
		if (!dev_read(dv, hdr, sizeof(hdr), VN_HDR_OFFSET) && !vn_header_decode(hdr, &h, &e) && !set(v, O_F)) {
			dev_put(dv);
			return fail("drive %s: %s holds vinum drive %s already (start it, or create -f to take it)",
				    d->name, d->path, h.name);
		}
		dev_put(dv);
	}
	return 0;
}

static int create_text(struct vc *v, const char *text, const char *where)
{
	struct vn_conf next;
	struct err e = { { 0 } };
	int r;

	if ((r = daemon_up(v)) || (r = load(v, true)))
		return r;
	if (vn_conf_copy(&next, &v->c))
		return fail("out of memory");
	if (vn_parse(&next, text, false, where, vn_dev_size, &e)) {
		vn_conf_free(&next);
		return fail("%s (nothing was created)", e.msg);
	}
	for (unsigned i = 0; i < next.ndrive; i++) { /* tables name devices by their full path */
		char real[PATH_MAX];

		if (!vn_find_drive(&v->c, next.drive[i].name) && realpath(next.drive[i].path, real))
			snprintf(next.drive[i].path, sizeof(next.drive[i].path), "%.*s",
				 (int)sizeof(next.drive[i].path) - 1, real);
	}
	if ((r = fresh_devices(v, &next)) || (r = commit(v, &next))) {
		vn_conf_free(&next);
		return r;
	}
	r = activate_all(v);
	vn_list_summary(stdout, &v->c);
	return r;
}

static int v_create(void *ctx, int argc, char **argv)
{
	struct vc *v = ctx;
	FILE *f = fopen(argv[0], "r");
	char *text = NULL;
	size_t cap = 0;
	int r;

	(void)argc;
	if (!f)
		return fail("Can't open %s: %s", argv[0], strerror(errno));
	if (getdelim(&text, &cap, 0, f) < 0 && !text)
		text = strdup("");
	fclose(f);
	r = create_text(v, text ? text : "", argv[0]);
	free(text);
	return r;
}

static int v_list(void *ctx, int argc, char **argv)
{
	struct vc *v = ctx;
	const char *verb = v->a->verb->name;
	unsigned fl = (set(v, O_R) ? VN_LIST_R : 0) | (set(v, O_V) ? VN_LIST_V : 0) | (set(v, O_VV) ? VN_LIST_VV : 0);
	int r;

	if ((r = load(v, false)))
		return r;
	v->d.run_dir = v->g.run_dir;
	if (dmctl_up(&v->d) && vn_refresh(&v->d, &v->c)) {
		struct err e = { { 0 } };

		if (vn_save(&v->c, &e))
			fprintf(stderr, "ulvm vinum: %s\n", e.msg);
	}
	if ((!strcmp(verb, "list") || !strcmp(verb, "l")) && !argc) {
		vn_list_all(stdout, &v->c, fl);
		return 0;
	}
	return vn_list_objects(stdout, &v->c, verb[0] == 'l' && verb[1] ? verb[1] : 0, argc, argv, fl) ? 1 : 0;
}

static int v_printconfig(void *ctx, int argc, char **argv)
{
	struct vc *v = ctx;
	char host[256] = "localhost";
	time_t now = time(NULL);
	int r;

	(void)argc;
	(void)argv;
	if ((r = load(v, false)))
		return r;
	gethostname(host, sizeof(host) - 1);
	vn_printconfig(stdout, &v->c, host, ctime(&now));
	return 0;
}

static bool is_device(const char *s)
{
	struct stat st;

	return dev_is_nbd_uri(s) || dev_spec_mapped(s, NULL) || !stat(s, &st);
}

static int v_start(void *ctx, int argc, char **argv)
{
	struct vc *v = ctx;
	struct err e = { { 0 } };
	bool devices = argc && is_device(argv[0]) && strcmp(v->a->verb->name, "init");
	int r;

	if ((r = daemon_up(v)))
		return r;
	if (devices) {
		free_paths(v);
		for (int i = 0; i < argc; i++)
			if ((r = add_path(v, argv[i])))
				return fail("%s", strerror(-r));
	}
	if ((r = load(v, devices)))
		return r;
	if (!v->c.ndrive)
		return fail("no vinum drives found%s", devices ? " on those devices" : " (start DEVICE...)");
	if (devices && write_list(v))
		return fail("%s: %s", v->list, strerror(errno));
	if (!devices) {
		/* revive the named plexes (or a volume's plexes) that are not up */
		for (int i = 0; i < argc; i++) {
			struct vn_volume *vol = vn_find_vol(&v->c, argv[i]);
			struct vn_plex *p = vn_find_plex(&v->c, argv[i]);
			struct vn_sd *only = vn_find_sd(&v->c, argv[i]); /* start SUBDISK: that one */

			if (only && !(p = vn_find_plex(&v->c, only->plex)))
				return fail("subdisk %s is in no plex: nothing to start", argv[i]);
			if (!vol && !p)
				return fail("Can't find object: %s", argv[i]);
			for (unsigned k = 0; k < v->c.nplex; k++) {
				struct vn_plex *x = &v->c.plex[k];
				bool revive = strcmp(x->state, "up");

				if ((p && x != p) || (vol && strcmp(x->vol, vol->name)))
					continue;
				for (unsigned s = 0; s < v->c.nsd; s++) {
					struct vn_sd *sd = &v->c.sd[s];
					const struct vn_drive *dr = vn_find_drive(&v->c, sd->drive);

					if (strcmp(sd->plex, x->name) || !strcmp(sd->state, "up") || !dr || !dr->path[0] ||
					    (only && sd != only))
						continue;
					snprintf(sd->state, sizeof(sd->state), "%s",
						 x->org == VN_RAID5 && !strcmp(v->a->verb->name, "init") ? "initializing"
													 : "reviving");
					revive = true;
				}
				if (x->org == VN_RAID5 && !strcmp(v->a->verb->name, "init")) {
					/* all of it: parity from the data, as the target's first sync */
					snprintf(x->state, sizeof(x->state), "init");
					continue;
				}
				if (revive)
					snprintf(x->state, sizeof(x->state), "%s",
						 x->org == VN_RAID5 && !strcmp(x->state, "init") ? "initializing" : "reviving");
			}
		}
		if (argc && vn_save(&v->c, &e))
			return fail("%s", e.msg);
	}
	return activate_all(v);
}

static int v_stop(void *ctx, int argc, char **argv)
{
	struct vc *v = ctx;
	struct err e = { { 0 } };
	int r;

	(void)argc;
	(void)argv;
	if ((r = daemon_up(v)))
		return r;
	if (vn_deactivate(&v->d, &v->c, NULL, &e))
		return fail("%s", e.msg);
	return 0;
}

static bool confirm(const struct vc *v, const char *what)
{
	char reply[32] = "";

	if (set(v, O_F))
		return true;
	if (!isatty(STDIN_FILENO)) {
		fprintf(stderr, "ulvm vinum: %s needs -f when not on a terminal\n", what);
		return false;
	}
	printf(" WARNING!  This command will completely wipe out your vinum configuration.\n"
	       " All data will be lost.  If you really want to do this, enter the text\n\n"
	       " NO FUTURE\n Enter text -> ");
	fflush(stdout);
	if (!fgets(reply, sizeof(reply), stdin) || strcmp(reply, "NO FUTURE\n")) {
		printf("\n No change\n");
		return false;
	}
	return true;
}

/* Remove what @name holds, then @name (no checks: the caller made them). */
static void drop_obj(struct vn_conf *c, const char *obj)
{
	char name[VN_NAME_MAX]; /* @obj may be a field of what moves below */
	struct vn_volume *vol;
	struct vn_plex *p;
	struct vn_sd *s;

	snprintf(name, sizeof(name), "%s", obj);
	if ((vol = vn_find_vol(c, name))) {
		for (unsigned i = 0; i < c->nplex; i++)
			if (!strcmp(c->plex[i].vol, name)) {
				drop_obj(c, c->plex[i].name);
				i = (unsigned)-1;
			}
		vol = vn_find_vol(c, name);
		*vol = c->vol[c->nvol - 1];
		c->nvol--;
	} else if ((p = vn_find_plex(c, name))) {
		for (unsigned i = 0; i < c->nsd; i++)
			if (!strcmp(c->sd[i].plex, name)) {
				c->sd[i] = c->sd[c->nsd - 1];
				c->nsd--;
				i = (unsigned)-1;
			}
		*p = c->plex[c->nplex - 1];
		c->nplex--;
	} else if ((s = vn_find_sd(c, name))) {
		*s = c->sd[c->nsd - 1];
		c->nsd--;
	}
}

/* Remove @name from @c, with gv_remove's rules: a volume with plexes or a
 * plex with subdisks only with -r (@recurse), never the only plex of a
 * volume nor a subdisk still in a plex; a drive with subdisks only with
 * -r, which takes their volumes too.  The volumes whose devices change
 * are added to @affected (@naff of them, at most @max). */
static int remove_obj(struct vn_conf *c, const char *name, bool recurse, char (*affected)[VN_NAME_MAX],
		      unsigned *naff, unsigned max, struct err *e)
{
	struct vn_volume *vol = vn_find_vol(c, name);
	struct vn_plex *p = vn_find_plex(c, name);
	struct vn_sd *s = vn_find_sd(c, name);
	struct vn_drive *d = vn_find_drive(c, name);
	const char *v = vol ? vol->name : p ? p->vol : NULL;

	if (vol || p) {
		const struct vn_plex *pl[2];

		if (vol && vn_vol_plexes(c, vol, pl, 2) && !recurse)
			return err_set(e, -EBUSY, "volume '%s' has attached plexes - need recursive removal", name);
		if (p) {
			const struct vn_sd *m[1];

			if (vn_plex_sds(c, p, m, 1) && !recurse)
				return err_set(e, -EBUSY, "plex '%s' has attached subdisks - need recursive removal",
					       name);
			if (p->vol[0] && vn_find_vol(c, p->vol) && vn_vol_plexes(c, vn_find_vol(c, p->vol), pl, 2) == 1)
				return err_set(e, -EBUSY, "plex '%s' is still attached to volume '%s'", name, p->vol);
		}
	} else if (s) {
		if (s->plex[0] && vn_find_plex(c, s->plex))
			return err_set(e, -EBUSY, "subdisk '%s' is still attached to plex '%s'", name, s->plex);
	} else if (d) {
		for (unsigned i = 0; i < c->nsd; i++) {
			const struct vn_plex *o;

			if (strcmp(c->sd[i].drive, name))
				continue;
			if (!recurse)
				return err_set(e, -EBUSY, "drive '%s' holds subdisk '%s' - need recursive removal", name,
					       c->sd[i].name);
			/* gv_rm_drive -r: the volumes of its subdisks go, and
			 * subdisks in no volume */
			o = vn_find_plex(c, c->sd[i].plex);
			if (o && o->vol[0] && vn_find_vol(c, o->vol)) {
				if (remove_obj(c, o->vol, true, affected, naff, max, e))
					return -EBUSY;
			} else {
				c->sd[i] = c->sd[--c->nsd];
			}
			i = (unsigned)-1;
		}
		if (d->path[0] && vn_wipe_drive(d, e))
			return -EIO;
		*d = c->drive[c->ndrive - 1];
		c->ndrive--;
		return 0;
	} else {
		return err_set(e, -ENOENT, "Can't find object: %s", name);
	}
	if (v && v[0] && *naff < max) {
		bool seen = false;

		for (unsigned i = 0; i < *naff; i++)
			seen |= !strcmp(affected[i], v);
		if (!seen)
			snprintf(affected[(*naff)++], VN_NAME_MAX, "%s", v);
	}
	drop_obj(c, name);
	return 0;
}

static int v_rm(void *ctx, int argc, char **argv)
{
	struct vc *v = ctx;
	struct vn_conf next;
	struct err e = { { 0 } };
	char affected[64][VN_NAME_MAX];
	unsigned naff = 0;
	int r;

	if ((r = daemon_up(v)) || (r = load(v, false)))
		return r;
	if (vn_conf_copy(&next, &v->c))
		return fail("out of memory");
	for (int i = 0; i < argc; i++)
		if (remove_obj(&next, argv[i], set(v, O_R), affected, &naff, 64, &e)) {
			vn_conf_free(&next);
			return fail("Can't remove %s: %s", argv[i], e.msg);
		}
	if (vn_check(&next, &e)) {
		vn_conf_free(&next);
		return fail("Can't remove %s: %s", argv[0], e.msg);
	}
	/* the volumes whose devices change go down first (refused while a
	 * client has one open); the others stay up */
	for (unsigned i = 0; i < naff; i++)
		if (vn_deactivate(&v->d, &v->c, affected[i], &e)) {
			vn_conf_free(&next);
			activate_all(v);
			return fail("Can't remove %s: volume %s: %s", argv[0], affected[i], e.msg);
		}
	if ((r = commit(v, &next))) {
		vn_conf_free(&next);
		activate_all(v);
		return r;
	}
	return activate_all(v);
}

static int v_saveconfig(void *ctx, int argc, char **argv)
{
	struct vc *v = ctx;
	struct err e = { { 0 } };
	int r;

	(void)argc;
	(void)argv;
	if ((r = load(v, false)))
		return r;
	if (vn_save(&v->c, &e))
		return fail("%s", e.msg);
	return 0;
}

static int v_resetconfig(void *ctx, int argc, char **argv)
{
	struct vc *v = ctx;
	struct err e = { { 0 } };
	int r;

	(void)argc;
	(void)argv;
	if ((r = daemon_up(v)) || (r = load(v, false)))
		return r;
	if (!confirm(v, "resetconfig"))
		return 1;
	if (vn_deactivate(&v->d, &v->c, NULL, &e))
		return fail("Can't reset configuration: %s", e.msg);
	for (unsigned i = 0; i < v->c.ndrive; i++)
		if (v->c.drive[i].path[0] && vn_wipe_drive(&v->c.drive[i], &e))
			return fail("%s", e.msg);
	unlink(v->list);
	printf(" Vinum configuration obliterated\n");
	return 0;
}

/* gvinum's gv_set_sd_state: may subdisk @sd go to @to?  0, or why not in @why. */
static int sd_state_ok(const struct vn_conf *c, const struct vn_sd *sd, const char *to, bool force, char *why,
		       size_t size)
{
	const struct vn_plex *p = vn_find_plex(c, sd->plex), *pl[2];
	const struct vn_drive *d = vn_find_drive(c, sd->drive);
	bool only_plex = p && vn_find_vol(c, p->vol) && vn_vol_plexes(c, vn_find_vol(c, p->vol), pl, 2) == 1;

	if (!strcmp(to, sd->state) || force)
		return 0;
	if (!strcmp(to, "down") && p)
		snprintf(why, size, "subdisk %s is attached to plex %s (-f to take it down)", sd->name, p->name);
	else if (!strcmp(to, "up") && (!d || !d->path[0] || strcmp(d->state, "up")))
		snprintf(why, size, "the drive of subdisk %s is not up", sd->name);
	else if (!strcmp(to, "up") && !strcmp(sd->state, "down") && p && p->org == VN_RAID5)
		snprintf(why, size, "subdisk %s of raid5 plex %s comes up by being revived: start %s", sd->name, p->name,
			 p->name);
	else if (!strcmp(to, "up") && !strcmp(sd->state, "stale") && p && (p->org == VN_RAID5 || !only_plex))
		snprintf(why, size, "stale subdisk %s must be revived first: start %s", sd->name, p->name);
	else if (!strcmp(to, "up") && strcmp(sd->state, "down") && strcmp(sd->state, "stale") &&
		 strcmp(sd->state, "reviving") && strcmp(sd->state, "initializing"))
		snprintf(why, size, "subdisk %s cannot come up from %s", sd->name, sd->state);
	else if (strcmp(to, "up") && strcmp(to, "down"))
		snprintf(why, size, "setting subdisk %s %s needs -f", sd->name, to);
	else
		return 0;
	return -EPERM;
}

/* setstate STATE OBJECT...: the states gvinum accepts for each kind of
 * object, the subdisk transitions it allows without -f; the volumes
 * whose objects changed are reloaded, so a subdisk taken down or made
 * stale serves nothing from then on. */
static int v_setstate(void *ctx, int argc, char **argv)
{
	static const char *const sd_states[] = { "up", "down", "stale", "crashed", "initializing", "reviving", NULL };
	static const char *const plex_states[] = { "up", "down", "initializing", "degraded", "growable", NULL };
	static const char *const vol_states[] = { "up", "down", NULL };
	static const char *const drive_states[] = { "up", "down", NULL };
	struct vc *v = ctx;
	struct err e = { { 0 } };
	char affected[64][VN_NAME_MAX], why[256];
	unsigned naff = 0;
	int r;

	if ((r = load(v, false)))
		return r;
	for (int i = 1; i < argc; i++) {
		struct vn_volume *vol = vn_find_vol(&v->c, argv[i]);
		struct vn_plex *p = vn_find_plex(&v->c, argv[i]);
		struct vn_sd *s = vn_find_sd(&v->c, argv[i]);
		struct vn_drive *d = vn_find_drive(&v->c, argv[i]);
		const char *const *ok = vol ? vol_states : p ? plex_states : s ? sd_states : drive_states;
		const char *kind = vol ? "volume" : p ? "plex" : s ? "subdisk" : "drive";
		char *st = vol ? vol->state : p ? p->state : s ? s->state : d ? d->state : NULL;
		const struct vn_plex *owner = s ? vn_find_plex(&v->c, s->plex) : NULL;
		const char *in = vol ? vol->name : p ? p->vol : owner ? owner->vol : "";
		bool valid = false;

		if (!st)
			return fail("Can't find object: %s", argv[i]);
		for (unsigned k = 0; ok[k]; k++)
			valid |= !strcmp(ok[k], argv[0]);
		if (!valid)
			return fail("invalid %s state '%s'", kind, argv[0]);
		if (s && sd_state_ok(&v->c, s, argv[0], set(v, O_F), why, sizeof(why)))
			return fail("%s", why);
		snprintf(st, VN_STATE_MAX, "%s", argv[0]);
		if (in[0] && naff < 64)
			snprintf(affected[naff++], VN_NAME_MAX, "%s", in);
	}
	if (vn_save(&v->c, &e))
		return fail("%s", e.msg);
	v->d.run_dir = v->g.run_dir;
	for (unsigned i = 0; i < naff && dmctl_up(&v->d); i++) {
		struct vn_volume *vol = vn_find_vol(&v->c, affected[i]);
		char dm[VN_NAME_MAX + 8];

		snprintf(dm, sizeof(dm), "vinum-%.*s", (int)sizeof(dm) - 7, affected[i]);
		if (vol && dmctl_exists(&v->d, dm) && vn_activate(&v->d, &v->c, vol, &e))
			return fail("volume %s: %s", affected[i], e.msg);
	}
	return 0;
}

/* checkparity / rebuildparity: the raid target's check / repair over the
 * plex, waited for; mismatches counted as the target counts them. */
static int v_parity(void *ctx, int argc, char **argv)
{
	struct vc *v = ctx;
	bool rebuild = !strcmp(v->a->verb->name, "rebuildparity");
	struct vn_plex *p;
	char dm[VN_NAME_MAX + 8], *line = NULL, act[32] = "";
	unsigned long long cur = 0, tot = 1, mism = 0;
	struct err e = { { 0 } };
	int r;

	(void)argc;
	if ((r = daemon_up(v)) || (r = load(v, false)))
		return r;
	if (!(p = vn_find_plex(&v->c, argv[0])) || p->org != VN_RAID5)
		return fail("%s is not a raid5 plex", argv[0]);
	snprintf(dm, sizeof(dm), "vinum-%s", p->name);
	if (!dmctl_exists(&v->d, dm))
		snprintf(dm, sizeof(dm), "vinum-%s", p->vol);
	if (!dmctl_exists(&v->d, dm))
		return fail("plex %s is not started", p->name);
	if (dmctl_message(&v->d, dm, rebuild ? "repair" : "check", &e))
		return fail("%s: %s", p->name, e.msg);
	for (;;) {
		usleep(100 * 1000);
		free(line);
		line = NULL;
		if (dmctl_status_of(&v->d, dm, "raid", &line, &e))
			return fail("%s: %s", p->name, e.msg);
		if (sscanf(line, "%*u %*u raid %*s %*u %*s %llu/%llu %31s %llu", &cur, &tot, act, &mism) == 4 &&
		    !strcmp(act, "idle") && cur == tot)
			break;
	}
	free(line);
	if (rebuild)
		printf("Rebuilt parity on %s\n", p->name);
	else if (mism)
		printf("Parity incorrect on %s: %llu sectors\n", p->name, mism);
	else
		printf("%s has correct parity\n", p->name);
	return !rebuild && mism ? 1 : 0;
}

/* gvinum's quick commands: drives gvinumdriveN on the devices, a volume
 * gvinumvolumeN (or -n) of one plex, or two for mirror. */
static int v_quick(void *ctx, int argc, char **argv)
{
	struct vc *v = ctx;
	const char *verb = v->a->verb->name, *stripe = set(v, O_S) ? v->a->val[O_S] : "256k";
	char *text = NULL, vol[VN_NAME_MAX], (*names)[32];
	size_t len = 0;
	unsigned dn = 0, vn = 0;
	FILE *f;
	int r;

	if (!strcmp(verb, "mirror") && argc % 2)
		return fail("mirror needs an even number of drives");
	if ((r = load(v, false)))
		return r;
	if (!(names = calloc((size_t)argc, sizeof(*names))))
		return 3;
	if (!(f = open_memstream(&text, &len))) {
		free(names);
		return 3;
	}
	for (int i = 0; i < argc; i++) {
		do
			snprintf(names[i], sizeof(names[i]), "gvinumdrive%u", dn++);
		while (vn_name_taken(&v->c, names[i]));
		fprintf(f, "drive %s device '%s'\n", names[i], argv[i]);
	}
	if (set(v, O_N))
		snprintf(vol, sizeof(vol), "%.*s", (int)sizeof(vol) - 1, v->a->val[O_N]);
	else
		do
			snprintf(vol, sizeof(vol), "gvinumvolume%u", vn++);
		while (vn_name_taken(&v->c, vol));
	fprintf(f, "volume %s\n", vol);
	for (int plex = 0; plex < (!strcmp(verb, "mirror") ? 2 : 1); plex++) {
		const char *org = !strcmp(verb, "concat") || (!strcmp(verb, "mirror") && !set(v, O_S)) ? "concat"
				  : !strcmp(verb, "raid5") ? "raid5" : "striped";

		fprintf(f, "plex org %s%s%s\n", org, strcmp(org, "concat") ? " " : "", strcmp(org, "concat") ? stripe : "");
		for (int i = 0; i < argc; i++)
			if (strcmp(verb, "mirror") || i % 2 == plex)
				fprintf(f, "sd length 0 drive %s\n", names[i]);
	}
	fclose(f);
	free(names);
	vn_conf_free(&v->c);
	r = create_text(v, text, verb);
	free(text);
	return r;
}

/* Rename @old to @new in @c with every reference to it. */
static void rename_refs(struct vn_conf *c, const char *old, const char *new)
{
	for (unsigned i = 0; i < c->nplex; i++)
		if (!strcmp(c->plex[i].vol, old))
			snprintf(c->plex[i].vol, sizeof(c->plex[i].vol), "%.*s", VN_NAME_MAX - 1, new);
	for (unsigned i = 0; i < c->nsd; i++) {
		if (!strcmp(c->sd[i].plex, old))
			snprintf(c->sd[i].plex, sizeof(c->sd[i].plex), "%.*s", VN_NAME_MAX - 1, new);
		if (!strcmp(c->sd[i].drive, old))
			snprintf(c->sd[i].drive, sizeof(c->sd[i].drive), "%.*s", VN_DRIVE_NAME_MAX - 1, new);
	}
}

static int rename_one(struct vn_conf *c, const char *old, const char *new, bool recurse, struct err *e)
{
	struct vn_volume *vol = vn_find_vol(c, old);
	struct vn_plex *p = vn_find_plex(c, old);
	struct vn_sd *s = vn_find_sd(c, old);
	struct vn_drive *d = vn_find_drive(c, old);
	char *name = vol ? vol->name : p ? p->name : s ? s->name : d ? d->name : NULL;
	size_t max = d ? VN_DRIVE_NAME_MAX : VN_NAME_MAX;

	if (!name)
		return err_set(e, -ENOENT, "Can't find object: %s", old);
	if (strcmp(old, new) && vn_name_taken(c, new))
		return err_set(e, -EEXIST, "the name %s is taken", new);
	if (!*new || strlen(new) >= max || strchr(new, '/') || strchr(new, ' '))
		return err_set(e, -EINVAL, "%s: not a name vinum can hold", new);
	snprintf(name, max, "%s", new);
	rename_refs(c, old, new);
	if (!recurse || (!vol && !p))
		return 0;
	/* members take the default names under the new one: NEW.pN, NEW.pN.sM */
	for (unsigned i = 0, k = 0; i < (vol ? c->nplex : c->nsd); i++) {
		char *mname = vol ? c->plex[i].name : c->sd[i].name, want[VN_NAME_MAX + 16], was[VN_NAME_MAX];
		const char *parent = vol ? c->plex[i].vol : c->sd[i].plex;

		if (strcmp(parent, new))
			continue;
		snprintf(want, sizeof(want), "%s.%c%u", new, vol ? 'p' : 's', k++);
		snprintf(was, sizeof(was), "%s", mname);
		if (rename_one(c, was, want, vol != NULL, e))
			return -EEXIST;
	}
	return 0;
}

static int v_rename(void *ctx, int argc, char **argv)
{
	struct vc *v = ctx;
	struct vn_conf next;
	struct err e = { { 0 } };
	const struct vn_sd *s;
	const struct vn_plex *p;
	const char *vol = NULL;
	int r;

	(void)argc;
	if ((r = daemon_up(v)) || (r = load(v, false)))
		return r;
	/* the volume it belongs to goes down and comes back under the new names */
	if (vn_find_vol(&v->c, argv[0]))
		vol = argv[0];
	else if ((p = vn_find_plex(&v->c, argv[0])))
		vol = p->vol;
	else if ((s = vn_find_sd(&v->c, argv[0])) && (p = vn_find_plex(&v->c, s->plex)))
		vol = p->vol;
	if (vn_conf_copy(&next, &v->c))
		return fail("out of memory");
	if (rename_one(&next, argv[0], argv[1], set(v, O_R), &e)) {
		vn_conf_free(&next);
		return fail("Can't rename %s: %s", argv[0], e.msg);
	}
	if (vol && *vol && vn_deactivate(&v->d, &v->c, vol, &e)) {
		vn_conf_free(&next);
		return fail("Can't rename %s: volume %s: %s", argv[0], vol, e.msg);
	}
	if ((r = commit(v, &next))) {
		vn_conf_free(&next);
		return r;
	}
	return activate_all(v);
}

int vinum_main(const struct cli_globals *g, int argc, char **argv)
{
	struct vc v = { .g = *g };
	struct cli_args a;
	char dir[PATH_MAX];
	struct err e = { { 0 } };
	int ret;

	if (g->complete)
		return cli_complete(&spec, argc > 1 ? argv[1] : NULL, stdout);
	ret = cli_parse(&spec, argc, argv, &a);
	if (ret) {
		cli_args_free(&a);
		return ret == CLI_HELP_SHOWN ? 0 : 1;
	}
	v.a = &a;
	if (a.val[O_RUNDIR])
		v.g.run_dir = a.val[O_RUNDIR];
	if (v.g.run_dir)
		setenv("ULVM_RUN_DIR", v.g.run_dir, 1);
	if (lvm_confdir_resolve(a.val[O_CONFDIR], dir, sizeof(dir), &e) || lvm_mkdirs(dir)) {
		cli_args_free(&a);
		return fail("%s", e.msg[0] ? e.msg : "cannot make the config dir");
	}
	snprintf(v.list, sizeof(v.list), "%s/vinum.drives", dir);
	if ((ret = read_list(&v)))
		ret = fail("%s: %s", v.list, strerror(-ret));
	else
		ret = a.verb->fn(&v, a.argc, a.argv);
	vn_conf_free(&v.c);
	free_paths(&v);
	dmctl_close(&v.d);
	cli_args_free(&a);
	fflush(stdout);
	return ret;
}
