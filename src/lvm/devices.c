/* The config dir, ulvm.conf, the devices file and the scan.  See devices.h. */
#include "lvm/devices.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "io/dev.h"
#include "lvm/settings.h"

#define DEVICES_FILE "devices"
#define CONF_FILE "ulvm.conf"

int lvm_confdir_resolve(const char *opt, char *out, size_t size, struct err *e)
{
	const char *env = getenv("ULVM_CONF_DIR"), *xdg = getenv("XDG_CONFIG_HOME"),
		   *home = getenv("HOME");
	int n;

	if (opt && *opt)
		n = snprintf(out, size, "%s", opt);
	else if (env && *env)
		n = snprintf(out, size, "%s", env);
	else if (!geteuid())
		n = snprintf(out, size, "/etc/ulvm");
	else if (xdg && *xdg)
		n = snprintf(out, size, "%s/ulvm", xdg);
	else if (home && *home)
		n = snprintf(out, size, "%s/.config/ulvm", home);
	else
		return err_set(e, -ENOENT, "no config dir: give --config-dir or set ULVM_CONF_DIR");
	if (n < 0 || (size_t)n >= size)
		return err_set(e, -ENAMETOOLONG, "config dir path too long");
	return 0;
}

static int read_file(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "r");
	size_t cap = 0;
	ssize_t n;

	*buf = NULL;
	*len = 0;
	if (!f)
		return -errno;
	n = getdelim(buf, &cap, '\0', f);
	fclose(f);
	if (n < 0) {
		*buf = strdup("");
		return *buf ? 0 : -ENOMEM;
	}
	*len = (size_t)n;
	return 0;
}

int lvm_canon_path(const char *path, char *out, size_t size)
{
	if (realpath(path, out))
		return 0;
	if (!dev_is_nbd_uri(path) && !dev_spec_mapped(path, NULL))
		return errno ? -errno : -ENOENT;
	return (size_t)snprintf(out, size, "%s", path) < size ? 0 : -ENAMETOOLONG;
}

int lvm_open_dev(const struct lvm_env *env, const char *path, unsigned flags, struct dev **out, struct err *e)
{
	return dev_open_spec(path, env->run_dir, flags, out, e);
}

int lvm_dev_pread(const char *path, void *buf, size_t len, uint64_t off, struct err *e)
{
	struct dev *dv;
	int r;

	if ((r = dev_open_spec(path, NULL, DEV_OPEN_RDONLY, &dv, e)))
		return r;
	if ((r = dev_read(dv, buf, len, off)))
		r = err_set(e, r, "%s: reading %zu bytes at %llu: %s", path, len, (unsigned long long)off, strerror(-r));
	dev_put(dv);
	return r;
}

int lvm_dev_pwrite(const char *path, const void *buf, size_t len, uint64_t off, const char *what, struct err *e)
{
	struct dev *dv;
	int r;

	if ((r = dev_open_spec(path, NULL, 0, &dv, e)))
		return r;
	if ((r = dev_write(dv, buf, len, off, 0)) || (r = dev_flush(dv)))
		r = err_set(e, r, "%s on %s: %s", what, path, strerror(-r));
	dev_put(dv);
	return r;
}

static int add_dev(struct lvm_env *env, const char *path, bool in_file, struct lvm_dev **out,
		   struct err *e)
{
	char real[PATH_MAX];
	struct lvm_dev *n;

	if (!realpath(path, real)) {
		/* keep it: reported as missing when scanned */
		if (snprintf(real, sizeof(real), "%s", path) >= (int)sizeof(real))
			return err_set(e, -ENAMETOOLONG, "%s: path too long", path);
	}
	for (unsigned i = 0; i < env->ndev; i++)
		if (!strcmp(env->dev[i].path, real)) {
			env->dev[i].in_file |= in_file;
			if (out)
				*out = &env->dev[i];
			return 0;
		}
	if (!(n = realloc(env->dev, (env->ndev + 1) * sizeof(*n))))
		return err_set(e, -ENOMEM, "out of memory");
	env->dev = n;
	n = &env->dev[env->ndev];
	memset(n, 0, sizeof(*n));
	n->status = -ENODATA; /* not scanned yet */
	n->in_file = in_file;
	if (!(n->path = strdup(real)))
		return err_set(e, -ENOMEM, "out of memory");
	env->ndev++;
	if (out)
		*out = n;
	return 0;
}

static int read_devices_file(struct lvm_env *env, struct err *e)
{
	char path[PATH_MAX + 16], *buf, *line, *save = NULL;
	size_t len;
	int r;

	snprintf(path, sizeof(path), "%s/" DEVICES_FILE, env->confdir);
	if ((r = read_file(path, &buf, &len)) == -ENOENT)
		return 0;
	if (r)
		return err_set(e, r, "%s: %s", path, strerror(-r));
	for (line = strtok_r(buf, "\n", &save); line && !r; line = strtok_r(NULL, "\n", &save)) {
		char *p = line + strspn(line, " \t"), *dev, *pvid, id[LVM_ID_LEN + 1] = "";
		struct lvm_dev *d;

		if (!*p || *p == '#' || !strncmp(p, "VERSION=", 8) || !strncmp(p, "SYSTEMID=", 9))
			continue;
		if ((pvid = strstr(p, "PVID=")) && strcspn(pvid + 5, " \t") == LVM_ID_LEN)
			memcpy(id, pvid + 5, LVM_ID_LEN);
		if ((dev = strstr(p, "DEVNAME=")) || (dev = strstr(p, "IDNAME="))) {
			dev = strchr(dev, '=') + 1;
			dev[strcspn(dev, " \t")] = 0;
		} else {
			dev = p;
			dev[strcspn(dev, "\t")] = 0;
		}
		if (!(r = add_dev(env, dev, true, &d, e)) && lvm_id_valid(id))
			memcpy(d->file_pvid, id, sizeof(id));
	}
	free(buf);
	return r;
}

/* lvm2's global/system_id_source: none (default: no local system ID),
 * uname (the node name), lvmlocal (local/system_id, here in ulvm.conf),
 * machineid (/etc/machine-id). */
static int local_system_id(struct lvm_env *env, struct err *e)
{
	const char *src = lvm_setting_str(env, "global/system_id_source");
	struct utsname u;
	FILE *f;

	env->system_id[0] = 0;
	if (!strcmp(src, "none")) {
		return 0;
	} else if (!strcmp(src, "uname")) {
		if (!uname(&u))
			snprintf(env->system_id, sizeof(env->system_id), "%s", u.nodename);
	} else if (!strcmp(src, "lvmlocal")) {
		snprintf(env->system_id, sizeof(env->system_id), "%s", lvm_setting_str(env, "local/system_id"));
	} else if (!strcmp(src, "machineid")) {
		if ((f = fopen("/etc/machine-id", "r"))) {
			if (!fgets(env->system_id, sizeof(env->system_id), f))
				env->system_id[0] = 0;
			env->system_id[strcspn(env->system_id, "\n")] = 0;
			fclose(f);
		}
	} else {
		return err_set(e, -EINVAL, "ulvm.conf: global/system_id_source \"%s\" is not none, uname, lvmlocal, "
			       "or machineid (appmachineid is not supported yet)", src);
	}
	return 0;
}

int lvm_env_init(struct lvm_env *env, const char *confdir, const char *devices, struct cfg_tree *override,
		 const char *cmdline, bool rw, struct err *e)
{
	char path[PATH_MAX + 16], *buf;
	size_t len;
	int r;

	memset(env, 0, sizeof(*env));
	env->override = override;
	env->rw = rw;
	env->cmdline = cmdline;
	if ((r = lvm_confdir_resolve(confdir, env->confdir, sizeof(env->confdir), e)))
		return r;
	snprintf(path, sizeof(path), "%s/" CONF_FILE, env->confdir);
	if (!(r = read_file(path, &buf, &len))) {
		r = cfg_parse(buf, len, &env->conf, e);
		free(buf);
		if (r)
			return err_set(e, r, "%s", path);
	} else if (r != -ENOENT) {
		return err_set(e, r, "%s: %s", path, strerror(-r));
	}
	if ((r = local_system_id(env, e)))
		return r;
	if ((r = lvm_activation_mode_set(env, lvm_setting_str(env, "activation/activation_mode"), e)))
		return r;
	env->archive = lvm_setting_int(env, "backup/archive") != 0;
	env->backup = lvm_setting_int(env, "backup/backup") != 0;
	if (devices) {
		char *copy = strdup(devices), *tok, *save = NULL;

		if (!copy)
			return err_set(e, -ENOMEM, "out of memory");
		env->from_cmdline = true;
		r = 0;
		for (tok = strtok_r(copy, ",", &save); tok && !r; tok = strtok_r(NULL, ",", &save))
			r = add_dev(env, tok, false, NULL, e);
		free(copy);
		return r;
	}
	return read_devices_file(env, e);
}

int lvm_activation_mode_set(struct lvm_env *env, const char *mode, struct err *e)
{
	if (!strcmp(mode, "degraded"))
		env->activation_mode = LVM_ACT_DEGRADED;
	else if (!strcmp(mode, "partial"))
		env->activation_mode = LVM_ACT_PARTIAL;
	else if (!strcmp(mode, "complete"))
		env->activation_mode = LVM_ACT_COMPLETE;
	else
		return err_set(e, -EINVAL, "Invalid activation mode given.");
	return 0;
}

void lvm_env_free(struct lvm_env *env)
{
	for (unsigned i = 0; i < env->ndev; i++) {
		pv_free(env->dev[i].pv);
		free(env->dev[i].path);
	}
	free(env->dev);
	cfg_tree_free(env->conf);
	cfg_tree_free(env->override);
	memset(env, 0, sizeof(*env));
}

static void scan_one(struct lvm_env *env, struct lvm_dev *d)
{
	struct pv *seen[64];
	unsigned nseen = 0;
	struct dev *dv;
	int r;

	for (unsigned i = 0; i < env->ndev && nseen < 64; i++)
		if (env->dev[i].pv)
			seen[nseen++] = env->dev[i].pv;

	err_clear(&d->why);
	if ((r = lvm_open_dev(env, d->path, env->rw ? 0 : DEV_OPEN_RDONLY, &dv, &d->why))) {
		d->status = r;
		return;
	}
	d->status = pv_scan_shared(dv, seen, nseen, &d->pv, &d->why);
	dev_put(dv);
	/* A listed device that is not a PV, or a label that is damaged */
	if (d->status && (d->status != -ENOENT || d->in_file))
		log_warn("WARNING: %s", d->why.msg);
	if (d->pv)
		for (unsigned j = 0; j < d->pv->nmda; j++) {
			const struct pv_mda *m = &d->pv->mda[j];

			if (m->status)
				log_warn("WARNING: %s: metadata area %u skipped: %s", d->path, j + 1, m->why.msg);
			else if (m->text_status && m->text_status != -ENODATA)
				log_warn("WARNING: %s: metadata area %u skipped: %s", d->path, j + 1,
					 m->text_why.msg);
		}
}

/* Does the VG section @vg list a PV with id @id32? */
static bool vg_lists_pv(const struct cfg_node *vg, const char *id32)
{
	const struct cfg_node *pvs = cfg_find(vg, "physical_volumes");
	char id[LVM_ID_LEN + 1];
	struct err e = { { 0 } };
	const char *s;

	for (const struct cfg_node *p = pvs ? pvs->child : NULL; p; p = p->next)
		if (p->type == CFG_SECTION && !cfg_get_str(p, "id", &s, &e) && !lvm_id_parse(s, id, &e) &&
		    !strcmp(id, id32))
			return true;
	return false;
}

/* A PV without metadata of its own belongs to the VG that names it
 * (lvm2 reads every VG's PV list the same way). */
static void assign_owners(struct lvm_env *env)
{
	for (unsigned i = 0; i < env->ndev; i++) {
		struct lvm_dev *d = &env->dev[i];

		d->owner = NULL;
		if (!d->pv || pv_vg(d->pv, NULL, NULL))
			continue;
		for (unsigned j = 0; j < env->ndev && !d->owner; j++) {
			const struct vgtext_summary *s = env->dev[j].pv ? pv_vg(env->dev[j].pv, NULL, NULL) : NULL;

			if (s && vg_lists_pv(s->vg, d->pv->label.pv_uuid))
				d->owner = s->vgname;
		}
	}
}

int lvm_scan(struct lvm_env *env, struct err *e)
{
	for (unsigned i = 0; i < env->ndev; i++)
		if (env->dev[i].status == -ENODATA && !env->dev[i].pv)
			scan_one(env, &env->dev[i]);
	for (unsigned i = 0; i < env->ndev; i++)
		for (unsigned j = 0; j < i; j++)
			if (env->dev[i].pv && env->dev[j].pv &&
			    !strcmp(env->dev[i].pv->label.pv_uuid, env->dev[j].pv->label.pv_uuid)) {
				char id[LVM_ID_TEXT_LEN + 1];

				lvm_id_format(env->dev[i].pv->label.pv_uuid, id);
				return err_set(e, -EEXIST, "duplicate PV uuid %s on %s and %s: refusing to use either",
					       id, env->dev[j].path, env->dev[i].path);
			}
	assign_owners(env);
	return 0;
}

void lvm_env_skip_path(struct lvm_env *env, const char *path)
{
	struct lvm_dev *d;
	struct err e = { { 0 } };

	if (add_dev(env, path, false, &d, &e) || d->pv)
		return;
	d->status = -ECANCELED;
	err_set(&d->why, -ECANCELED, "%s: left out of this scan", d->path);
}

int lvm_env_add_path(struct lvm_env *env, const char *path, struct lvm_dev **out, struct err *e)
{
	int r = add_dev(env, path, false, out, e);

	if (!r && (*out)->status == -ENODATA && !(*out)->pv) {
		scan_one(env, *out);
		assign_owners(env);
	}
	return r;
}

struct lvm_dev *lvm_find_dev(struct lvm_env *env, const char *path)
{
	char real[PATH_MAX];

	if (lvm_canon_path(path, real, sizeof(real)))
		return NULL;
	for (unsigned i = 0; i < env->ndev; i++)
		if (!strcmp(env->dev[i].path, real))
			return &env->dev[i];
	return NULL;
}

int lvm_mkdirs(const char *dir)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			if (mkdir(buf, 0755) && errno != EEXIST)
				return -errno;
			*p = '/';
		}
	if (mkdir(buf, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int lvm_write_file_atomic(const char *dir, const char *name, const char *text, size_t len,
			  struct err *e);
int lvm_write_file_atomic(const char *dir, const char *name, const char *text, size_t len,
			  struct err *e)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	int fd, r;

	if ((r = lvm_mkdirs(dir)))
		return err_set(e, r, "cannot create %s: %s", dir, strerror(-r));
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
		return err_set(e, -errno, "%s: %s", tmp, strerror(errno));
	r = write(fd, text, len) == (ssize_t)len && !fsync(fd) ? 0 : -errno;
	close(fd);
	if (!r && rename(tmp, path))
		r = -errno;
	if (r) {
		unlink(tmp);
		return err_set(e, r, "%s: %s", path, strerror(-r ?: EIO));
	}
	return 0;
}

int lvm_devices_file_update(struct lvm_env *env, const char *path, const char *id32, bool add,
			    struct err *e)
{
	char real[PATH_MAX], *text = NULL;
	size_t len = 0;
	FILE *f;
	struct lvm_dev *d = NULL;
	int r;

	if (env->from_cmdline)
		return 0;
	if (!realpath(path, real))
		snprintf(real, sizeof(real), "%s", path);
	if (add && (r = add_dev(env, real, true, &d, e)))
		return r;
	if (d && id32)
		snprintf(d->file_pvid, sizeof(d->file_pvid), "%s", id32);
	if (!(f = open_memstream(&text, &len)))
		return err_set(e, -ENOMEM, "out of memory");
	fprintf(f, "# ulvm devices file: the PVs ulvm uses (as LVM2's system.devices)\n"
		   "VERSION=1.1.1\n");
	for (unsigned i = 0; i < env->ndev; i++) {
		struct lvm_dev *x = &env->dev[i];
		const char *pvid = x->pv ? x->pv->label.pv_uuid : x->file_pvid[0] ? x->file_pvid : "none";

		if (x == d && id32)
			pvid = id32;
		if (!x->in_file || (!add && !strcmp(x->path, real)))
			continue;
		fprintf(f, "IDTYPE=devname IDNAME=%s DEVNAME=%s PVID=%s\n", x->path, x->path, pvid);
	}
	fclose(f);
	if (!add)
		for (unsigned i = 0; i < env->ndev; i++)
			if (!strcmp(env->dev[i].path, real))
				env->dev[i].in_file = false;
	r = lvm_write_file_atomic(env->confdir, DEVICES_FILE, text, len, e);
	free(text);
	return r;
}

