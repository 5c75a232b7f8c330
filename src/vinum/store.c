/* Vinum drives: reading and saving the configuration, loading volumes
 * into ulvmd.  See vinum.h.
 *
 * Crash argument: a save writes the header, then copy 1, then copy 2 of
 * each drive, flushing each drive before the next; start reads copy 1 of
 * the drive whose header says it was updated last.  A save cut short
 * leaves every drive with either the old or the new text in copy 1 (a
 * 64 KiB write the device may tear is the one risk, as in gvinum), and the
 * drives not yet written keep the old configuration with an older
 * last_update, so the newest complete one wins.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "common/dmctl.h"
#include "io/dev.h"
#include "vinum/vinum.h"

int vn_dev_size(const char *path, uint64_t *bytes, struct err *e)
{
	struct dev *d;
	int r;

	if ((r = dev_open_spec(path, NULL, DEV_OPEN_RDONLY, &d, e)))
		return r;
	*bytes = d->size;
	dev_put(d);
	return 0;
}

struct found {
	struct vn_header h;
	char *text, path[VN_PATH_MAX];
	uint64_t size;
};

static int cmp_newest(const void *a, const void *b)
{
	const struct found *x = a, *y = b;

	if (x->h.upd_sec != y->h.upd_sec)
		return x->h.upd_sec > y->h.upd_sec ? -1 : 1;
	return x->h.upd_usec > y->h.upd_usec ? -1 : x->h.upd_usec < y->h.upd_usec;
}

/* Header and copy 1 of @path; -ENOENT when it is no vinum drive. */
static int read_drive(const char *path, struct found *f, struct err *e)
{
	uint8_t hdr[VN_HDR_LEN];
	struct dev *d;
	int r;

	memset(f, 0, sizeof(*f));
	if ((r = dev_open_spec(path, NULL, DEV_OPEN_RDONLY, &d, e)))
		return r;
	f->size = d->size;
	if (d->size < VN_DATA_START)
		r = -ENOENT;
	else if ((r = dev_read(d, hdr, sizeof(hdr), VN_HDR_OFFSET)))
		r = err_set(e, r, "%s: %s", path, strerror(-r));
	else if (!(r = vn_header_decode(hdr, &f->h, e))) {
		if (!(f->text = malloc(VN_CFG_LEN + 1)))
			r = err_set(e, -ENOMEM, "out of memory");
		else if ((r = dev_read(d, f->text, VN_CFG_LEN, VN_CFG_OFFSET)))
			r = err_set(e, r, "%s: reading the configuration: %s", path, strerror(-r));
		else
			f->text[VN_CFG_LEN] = 0;
	} else if (r != -ENOENT) {
		err_set(e, r, "%s", path);
	}
	dev_put(d);
	snprintf(f->path, sizeof(f->path), "%.*s", (int)sizeof(f->path) - 1, path);
	if (r) {
		free(f->text);
		f->text = NULL;
	}
	return r;
}

/* Does @s hold a copy that others can rebuild (a raid5 plex's, or a
 * plex's of a volume with more)?  Only then can its data go stale: the
 * only copy of a concat or striped volume missed no write, those failed. */
static bool redundant(const struct vn_conf *c, const struct vn_sd *s)
{
	const struct vn_plex *p = vn_find_plex(c, s->plex), *pl[2];
	const struct vn_volume *v = p ? vn_find_vol(c, p->vol) : NULL;

	return p && (p->org == VN_RAID5 || (v && vn_vol_plexes(c, v, pl, 2) > 1));
}

static bool all_up(const struct vn_conf *c, const struct vn_plex *p)
{
	for (unsigned k = 0; k < c->nsd; k++)
		if (!strcmp(c->sd[k].plex, p->name) && strcmp(c->sd[k].state, "up"))
			return false;
	return true;
}

int vn_load(struct vn_conf *c, char *const *paths, unsigned n, bool warn, struct err *e)
{
	struct found *f = calloc(n ? n : 1, sizeof(*f));
	unsigned nf = 0;
	int r = 0;

	memset(c, 0, sizeof(*c));
	if (!f)
		return err_set(e, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < n; i++) {
		struct err why = { { 0 } };

		r = read_drive(paths[i], &f[nf], &why);
		if (!r) {
			bool dup = false;

			for (unsigned k = 0; k < nf; k++)
				dup |= !strcmp(f[k].h.name, f[nf].h.name);
			if (dup) {
				r = err_set(e, -EEXIST, "two devices hold vinum drive %s: %s and another", f[nf].h.name,
					    paths[i]);
				free(f[nf].text);
				goto out;
			}
			nf++;
		} else if (warn) {
			if (why.msg[0])
				fprintf(stderr, "%s\n", why.msg);
			else
				fprintf(stderr, "%s: no vinum drive header, skipped\n", paths[i]);
		}
		r = 0;
	}
	qsort(f, nf, sizeof(*f), cmp_newest);
	for (unsigned i = 0; i < nf && !r; i++) {
		struct vn_drive *d = realloc(c->drive, (c->ndrive + 1) * sizeof(*d));

		if (!d) {
			r = err_set(e, -ENOMEM, "out of memory");
			break;
		}
		c->drive = d;
		d = &c->drive[c->ndrive++];
		memset(d, 0, sizeof(*d));
		snprintf(d->name, sizeof(d->name), "%.*s", (int)sizeof(d->name) - 1, f[i].h.name);
		snprintf(d->path, sizeof(d->path), "%.*s", (int)sizeof(d->path) - 1, f[i].path);
		snprintf(d->state, sizeof(d->state), "up");
		snprintf(d->sysname, sizeof(d->sysname), "%.*s", (int)sizeof(d->sysname) - 1, f[i].h.sysname);
		d->size = f[i].size;
		d->born_sec = f[i].h.born_sec;
		d->born_usec = f[i].h.born_usec;
		d->upd_sec = f[i].h.upd_sec;
		d->upd_usec = f[i].h.upd_usec;
	}
	for (unsigned i = 0; i < nf && !r; i++) {
		char where[VN_PATH_MAX + 64];

		snprintf(where, sizeof(where), "%s (drive %s)", f[i].path, f[i].h.name);
		r = vn_parse(c, f[i].text, true, where, NULL, e);
	}
	/* the text lists objects newest first: back to creation order */
#define REVERSE(arr, n)                                              \
	for (unsigned i = 0; i < c->n / 2; i++) {                    \
		__typeof__(*c->arr) t = c->arr[i];                   \
		c->arr[i] = c->arr[c->n - 1 - i];                     \
		c->arr[c->n - 1 - i] = t;                             \
	}
	REVERSE(vol, nvol)
	REVERSE(plex, nplex)
	REVERSE(sd, nsd)
#undef REVERSE
	/* a subdisk whose drive is not here is down; one recorded down whose
	 * drive is here again is stale: its data missed the writes made
	 * meanwhile, and it serves nothing until `start` revives it
	 * (gvinum's gv_update_sd_state) */
	for (unsigned i = 0; i < c->nsd && !r; i++) {
		struct vn_sd *s = &c->sd[i];
		const struct vn_drive *d = vn_find_drive(c, s->drive);
		const char *to = !d || !d->path[0] ? "down" : !strcmp(s->state, "down") ? redundant(c, s) ? "stale" : "up"
											   : NULL;

		if (to && strcmp(s->state, to)) {
			snprintf(s->state, sizeof(s->state), "%s", to);
			c->states_changed = true;
		}
	}
	/* and a plex with subdisks that serve nothing: a raid5 plex missing
	 * one is degraded, any other down (gvinum's gv_update_plex_state) */
	for (unsigned i = 0; i < c->nplex && !r; i++) {
		struct vn_plex *p = &c->plex[i];
		unsigned out = 0;
		const char *to;

		for (unsigned k = 0; k < c->nsd; k++)
			out += !strcmp(c->sd[k].plex, p->name) && vn_sd_left_out(c->sd[k].state);
		if (out)
			to = p->org == VN_RAID5 && out == 1 ? "degraded" : "down";
		else /* back: up when every subdisk is (reviving ones come up as they sync) */
			to = (!strcmp(p->state, "down") || !strcmp(p->state, "degraded")) && all_up(c, p) ? "up" : NULL;
		if (to && strcmp(p->state, to)) {
			snprintf(p->state, sizeof(p->state), "%s", to);
			c->states_changed = true;
		}
	}
out:
	for (unsigned i = 0; i < nf; i++)
		free(f[i].text);
	free(f);
	if (r)
		vn_conf_free(c);
	return r;
}

static int write_drive(struct vn_drive *d, const char *text, struct timeval now, struct err *e)
{
	struct vn_header h = { .magic = VN_MAGIC, .config_length = VN_CFG_LEN };
	uint8_t hdr[VN_HDR_LEN];
	char *cfg = calloc(1, VN_CFG_LEN);
	struct dev *dv;
	int r;

	if (!cfg)
		return err_set(e, -ENOMEM, "out of memory");
	memcpy(cfg, text, strlen(text));
	if (!d->born_sec) {
		d->born_sec = now.tv_sec;
		d->born_usec = now.tv_usec;
		if (gethostname(d->sysname, sizeof(d->sysname) - 1))
			snprintf(d->sysname, sizeof(d->sysname), "localhost");
	}
	d->upd_sec = now.tv_sec;
	d->upd_usec = now.tv_usec;
	snprintf(h.sysname, sizeof(h.sysname), "%.*s", (int)sizeof(h.sysname) - 1, d->sysname);
	snprintf(h.name, sizeof(h.name), "%.*s", (int)sizeof(h.name) - 1, d->name);
	h.born_sec = d->born_sec;
	h.born_usec = d->born_usec;
	h.upd_sec = d->upd_sec;
	h.upd_usec = d->upd_usec;
	h.drive_size = d->size;
	vn_header_encode(&h, hdr);
	if ((r = dev_open_spec(d->path, NULL, 0, &dv, e))) {
		free(cfg);
		return r;
	}
	if ((r = dev_write(dv, hdr, sizeof(hdr), VN_HDR_OFFSET, 0)) || (r = dev_flush(dv)) ||
	    (r = dev_write(dv, cfg, VN_CFG_LEN, VN_CFG_OFFSET, 0)) || (r = dev_flush(dv)) ||
	    (r = dev_write(dv, cfg, VN_CFG_LEN, VN_CFG_OFFSET + VN_CFG_LEN, 0)) || (r = dev_flush(dv)))
		r = err_set(e, r, "drive %s (%s): writing the configuration: %s", d->name, d->path, strerror(-r));
	dev_put(dv);
	free(cfg);
	return r;
}

int vn_save(struct vn_conf *c, struct err *e)
{
	struct timeval now;
	unsigned written = 0;
	char *text;
	int r;

	if ((r = vn_format_config(c, &text, e)))
		return r;
	gettimeofday(&now, NULL);
	/* as gvinum: a drive that cannot be written goes down and the others
	 * carry the configuration; none written is an error */
	for (unsigned i = 0; i < c->ndrive; i++) {
		struct vn_drive *d = &c->drive[i];
		struct err why = { { 0 } };

		if (!d->path[0] || strcmp(d->state, "up"))
			continue;
		if (write_drive(d, text, now, &why)) {
			fprintf(stderr, "ulvm vinum: %s: drive %s is down now\n", why.msg, d->name);
			snprintf(d->state, sizeof(d->state), "down");
			if (!r)
				*e = why;
			r = r ? r : -EIO;
		} else {
			written++;
		}
	}
	free(text);
	return written ? 0 : r;
}

int vn_wipe_drive(const struct vn_drive *d, struct err *e)
{
	uint8_t *buf = calloc(1, VN_DATA_START - VN_HDR_OFFSET);
	struct dev *dv;
	int r;

	if (!buf)
		return err_set(e, -ENOMEM, "out of memory");
	buf[0] = 'V', buf[1] = 'I', buf[2] = 'N', buf[3] = 'U', buf[4] = 'M', buf[5] = '-', buf[6] = '-';
	if (!(r = dev_open_spec(d->path, NULL, 0, &dv, e))) {
		if ((r = dev_write(dv, buf, VN_DATA_START - VN_HDR_OFFSET, VN_HDR_OFFSET, 0)) || (r = dev_flush(dv)))
			r = err_set(e, r, "drive %s: %s", d->name, strerror(-r));
		dev_put(dv);
	}
	free(buf);
	return r;
}

int vn_activate(struct dmctl *d, const struct vn_conf *c, const struct vn_volume *v, struct err *e)
{
	struct vn_dev *dev;
	unsigned n;
	int r;

	if ((r = vn_plan(c, v, &dev, &n, e)))
		return r;
	for (unsigned i = 0; i < n && !r; i++) {
		struct dmctl_dev x = { dev[i].name, dev[i].uuid, dev[i].table, dev[i].export[0] ? dev[i].export : NULL,
				       -1 };

		r = dmctl_exists(d, dev[i].name) ? dmctl_reload(d, &x, e) : (x.readonly = 0, dmctl_create(d, &x, e));
	}
	vn_plan_free(dev, n);
	return r;
}

/* The vinum devices ulvmd has: names and uuids, in its order. */
static json_object *devices(struct dmctl *d, struct err *e)
{
	json_object *res = NULL;

	if (dmctl_call(d, "info", json_object_new_object(), &res, e))
		return NULL;
	return res;
}

/* A string field of a device's info, "" when absent. */
static const char *field(json_object *o, const char *key)
{
	json_object *v;

	return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : "";
}

int vn_deactivate(struct dmctl *d, const struct vn_conf *c, const char *only, struct err *e)
{
	static const char *const order[] = { VN_UUID_PREFIX "vol-", VN_UUID_PREFIX "plex-", VN_UUID_PREFIX "sd-" };
	json_object *res = devices(d, e), *v;
	int r = 0;

	if (!res)
		return -EIO;
	/* nothing goes while a volume it would take is open: a refusal
	 * leaves every volume as it was (gvinum: "volume still in use") */
	for (size_t i = 0; i < json_object_array_length(res) && !r; i++) {
		json_object *o = json_object_array_get_idx(res, i);
		const char *name = field(o, "name"), *uuid = field(o, "uuid");
		int64_t open = json_object_object_get_ex(o, "open_count", &v) ? json_object_get_int64(v) : 0;

		if (!strncmp(uuid, order[0], strlen(order[0])) && (!only || !strcmp(uuid + strlen(order[0]), only)) &&
		    open > 0)
			r = err_set(e, -EBUSY, "volume %s is in use (%s is open)", uuid + strlen(order[0]), name);
	}
	for (unsigned k = 0; k < 3 && !r; k++)
		for (size_t i = 0; i < json_object_array_length(res) && !r; i++) {
			json_object *o = json_object_array_get_idx(res, i);
			const char *name = field(o, "name"), *uuid = field(o, "uuid");
			const char *obj = uuid + strlen(order[k]);

			if (strncmp(uuid, order[k], strlen(order[k])))
				continue;
			if (only) {
				/* the volume, its plexes, their subdisks */
				const struct vn_volume *vol = vn_find_vol(c, only);
				const struct vn_plex *pl = vn_find_plex(c, obj);
				const struct vn_sd *sd = vn_find_sd(c, obj);

				if (k == 0 && strcmp(obj, only))
					continue;
				if (k == 1 && (!pl || !vol || strcmp(pl->vol, only)))
					continue;
				if (k == 2 && (!sd || !(pl = vn_find_plex(c, sd->plex)) || strcmp(pl->vol, only)))
					continue;
			}
			r = dmctl_remove(d, name, e);
		}
	json_object_put(res);
	return r;
}

/* States the targets bring up on their own once in sync; others (stale,
 * crashed, down: a failure or the administrator's setstate) wait for
 * `start`, which makes them reviving. */
static bool transitional(const char *s)
{
	return !strcmp(s, "empty") || !strcmp(s, "init") || !strcmp(s, "initializing") || !strcmp(s, "reviving") ||
	       !strcmp(s, "degraded");
}

static void set_state(char *field, const char *s, bool *changed)
{
	if (strcmp(field, s)) {
		snprintf(field, VN_STATE_MAX, "%s", s);
		*changed = true;
	}
}

/* The health characters and sync state of a raid device's status line:
 * "raid <type> <n> <health> <cur>/<total> <action> ..." */
static bool raid_status(struct dmctl *d, const char *name, char *health, size_t hs, bool *in_sync)
{
	char *line = NULL, type[32], act[32];
	unsigned n;
	unsigned long long cur, tot;
	struct err e = { { 0 } };
	bool ok = false;

	if (!dmctl_status_of(d, name, "raid", &line, &e) &&
	    sscanf(line, "%*u %*u raid %31s %u %255s %llu/%llu %31s", type, &n, health, &cur, &tot, act) == 6) {
		health[hs - 1] = 0;
		*in_sync = cur == tot && !strcmp(act, "idle");
		ok = true;
	}
	free(line);
	return ok;
}

bool vn_refresh(struct dmctl *d, struct vn_conf *c)
{
	bool changed = false;

	for (unsigned i = 0; i < c->nplex; i++) {
		struct vn_plex *p = &c->plex[i];
		char name[VN_NAME_MAX + 8], health[256];
		bool sync;

		/* a raid5 plex's own device, or its volume's when it is the only plex */
		snprintf(name, sizeof(name), "vinum-%s", p->name);
		if (p->org == VN_RAID5 && (dmctl_exists(d, name) || (snprintf(name, sizeof(name), "vinum-%s", p->vol),
								      dmctl_exists(d, name))) &&
		    raid_status(d, name, health, sizeof(health), &sync)) {
			const struct vn_sd *m[256];
			unsigned n = vn_plex_sds(c, p, m, 256), dead = 0;

			for (unsigned k = 0; k < n && health[k]; k++) {
				struct vn_sd *s = vn_find_sd(c, m[k]->name);

				if (health[k] == 'D' || health[k] == '-') {
					dead++;
					if (!vn_sd_left_out(s->state)) /* a failure, not a leg left out */
						set_state(s->state, "crashed", &changed);
				} else if (health[k] == 'A' && sync && transitional(s->state)) {
					set_state(s->state, "up", &changed);
				}
			}
			set_state(p->state, dead > 1 ? "down" : dead ? "degraded" : sync && transitional(p->state) ? "up"
												     : p->state,
				  &changed);
		}
	}
	for (unsigned i = 0; i < c->nvol; i++) {
		const struct vn_plex *pl[256];
		unsigned n = vn_vol_plexes(c, &c->vol[i], pl, 256);
		char name[VN_NAME_MAX + 8], health[256];
		bool sync;

		snprintf(name, sizeof(name), "vinum-%s", c->vol[i].name);
		if (n < 2 || !raid_status(d, name, health, sizeof(health), &sync))
			continue;
		for (unsigned k = 0; k < n && health[k]; k++) {
			struct vn_plex *p = vn_find_plex(c, pl[k]->name);
			const char *ps = health[k] == 'D' || health[k] == '-' ? "crashed" : health[k] == 'A' && sync ? "up" : NULL;

			if (!ps || (!strcmp(ps, "up") && !transitional(p->state)))
				continue;
			set_state(p->state, ps, &changed);
			for (unsigned s = 0; s < c->nsd; s++)
				if (!strcmp(c->sd[s].plex, p->name) && strcmp(c->sd[s].state, "down"))
					set_state(c->sd[s].state, !strcmp(ps, "up") ? "up" : "stale", &changed);
		}
	}
	return changed;
}
