/* lvmdevices and vgimportdevices (lvm2's tools/lvmdevices.c,
 * tools/vgimportdevices.c): the devices file, listed and edited.
 *
 * ulvm never scans /dev: the devices file (or --devices) is the whole
 * set of devices it looks at, so these are how a disk that already holds
 * PVs (an lvm2 host's disk, a disk image) is given to ulvm for good.
 * Entries are matched by path (IDTYPE=devname); --check and --update
 * compare each entry's PVID with the label on the device. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/lvm_cmds.h"
#include "io/dev.h"

static bool present(const struct lvm_dev *d)
{
	struct stat st;

	return d->pv || strstr(d->path, "://") || !stat(d->path, &st);
}

/* The environment of the devices file alone (whatever --devices says). */
static int file_env(struct lvm_cmd *c, struct lvm_env *env)
{
	struct err e = { { 0 } };
	int r;

	if (lvm_env_init(env, opt_val(c, c->common + G_CONFDIR), NULL, NULL, c->cmdline, false, &e))
		return lvm_fail("%s", e.msg);
	env->run_dir = c->g->run_dir;
	/* every device is read even when two share a PV uuid: the file is
	 * listed and fixed all the same */
	if ((r = lvm_scan(env, &e)) == -EEXIST)
		fprintf(stderr, "  WARNING: %s\n", e.msg);
	else if (r)
		return lvm_fail("%s", e.msg);
	return 0;
}

static int list(struct lvm_env *env)
{
	for (unsigned i = 0; i < env->ndev; i++) {
		const struct lvm_dev *d = &env->dev[i];

		if (d->in_file)
			printf("  Device %s IDTYPE=devname IDNAME=%s DEVNAME=%s PVID=%s\n", present(d) ? d->path : "none",
			       d->path, d->path, d->file_pvid[0] ? d->file_pvid : "none");
	}
	return 0;
}

/* --check, --update: each entry's PVID against its device's label. */
static int check(struct lvm_cmd *c, struct lvm_env *env, bool update)
{
	struct err e = { { 0 } };
	unsigned wrong = 0;

	for (unsigned i = 0; i < env->ndev; i++) {
		struct lvm_dev *d = &env->dev[i];
		const char *id = d->pv ? d->pv->label.pv_uuid : NULL;

		if (!d->in_file)
			continue;
		if (!present(d)) {
			fprintf(stderr, "  Devices file PVID %s last seen on %s not found.\n",
				d->file_pvid[0] ? d->file_pvid : "none", d->path);
			continue;
		}
		if (id && strcmp(id, d->file_pvid)) {
			fprintf(stderr, "  Device %s has PVID %s (devices file %s)\n", d->path, id,
				d->file_pvid[0] ? d->file_pvid : "none");
			wrong++;
		} else if (!id && d->file_pvid[0]) {
			fprintf(stderr, "  Device %s has no PVID (devices file %s)\n", d->path, d->file_pvid);
			wrong++;
		} else {
			continue;
		}
		if (update && lvm_devices_file_update(env, d->path, id ? id : "none", true, &e))
			return lvm_fail("%s", e.msg);
	}
	if (update)
		printf(wrong ? "  Updated devices file to version 1.1.1\n" : "  No update for devices file is needed.\n");
	else if (wrong)
		return lvm_fail("Updates needed for devices file.");
	(void)c;
	return 0;
}

static int add(struct lvm_cmd *c, struct lvm_env *env, const char *path)
{
	struct err e = { { 0 } };
	struct lvm_dev *d;

	if (lvm_env_add_path(env, path, &d, &e) || !present(d))
		return lvm_fail("No device found for %s.", path);
	if (!d->pv && d->status != -ENOENT)
		return lvm_fail("Failed to read %s.", path);
	if (lvm_devices_file_update(env, d->path, d->pv ? d->pv->label.pv_uuid : "none", true, &e))
		return lvm_fail("%s", e.msg);
	(void)c;
	return 0;
}

static int del(struct lvm_cmd *c, struct lvm_env *env, const char *path, const char *pvid)
{
	struct err e = { { 0 } };
	struct lvm_dev *d = NULL;
	char q[PATH_MAX + 64];

	if (pvid) {
		char id[LVM_ID_LEN + 1];
		unsigned n = 0;

		if (lvm_id_parse(pvid, id, &e))
			return lvm_fail("Invalid PVID.");
		for (unsigned i = 0; i < env->ndev; i++)
			if (env->dev[i].in_file && !strcmp(env->dev[i].file_pvid, id) && !n++)
				d = &env->dev[i];
		if (!d)
			return lvm_fail("PVID not found in devices file.");
		if (n > 1)
			return lvm_fail("Multiple devices file entries for PVID %s, remove by device name.", id);
	} else {
		char real[PATH_MAX];

		if (!lvm_canon_path(path, real, sizeof(real)))
			for (unsigned i = 0; i < env->ndev && !d; i++)
				if (env->dev[i].in_file && !strcmp(env->dev[i].path, real))
					d = &env->dev[i];
		if (!d)
			return lvm_fail("No devices file entry for %s.", path);
	}
	if (d->pv && dev_path_claimed(d->path, 0, d->pv->dev->size) == 1) {
		snprintf(q, sizeof(q), "Device %s is used by an active LV, continue to remove?", d->path);
		if (!lvm_confirm(c, q))
			return lvm_fail("Device not removed.");
	}
	if (lvm_devices_file_update(env, d->path, NULL, false, &e))
		return lvm_fail("%s", e.msg);
	return 0;
}

/* --addpvid PVID: the device with that PV among those --devices names
 * (lvm2 reads every device of the host; ulvm reads only what it is
 * given). */
static int addpvid(struct lvm_cmd *c, struct lvm_env *file, const char *pvid)
{
	struct err e = { { 0 } };
	char id[LVM_ID_LEN + 1];
	unsigned found = 0;
	int r;

	if (lvm_id_parse(pvid, id, &e))
		return lvm_fail("Invalid PVID.");
	for (unsigned i = 0; i < file->ndev; i++)
		if (file->dev[i].in_file && !strcmp(file->dev[i].file_pvid, id))
			return lvm_fail("PVID already exists in devices file for %s.", file->dev[i].path);
	if (!opt_set(c, c->common + G_DEVICES))
		return lvm_fail("--addpvid searches the devices --devices names (ulvm reads no device it is not given).");
	if ((r = lvm_setup(c, false)))
		return r;
	for (unsigned i = 0; i < c->env.ndev; i++) {
		const struct lvm_dev *d = &c->env.dev[i];

		if (!d->pv || strcmp(d->pv->label.pv_uuid, id))
			continue;
		if (lvm_devices_file_update(file, d->path, id, true, &e))
			return lvm_fail("%s", e.msg);
		found++;
	}
	return found ? 0 : lvm_fail("PVID %s not found on any devices.", id);
}

int lvm_lvmdevices(void *ctx, int argc, char **argv)
{
	struct lvm_cmd *c = ctx;
	struct lvm_env env = { 0 };
	unsigned modes = opt_set(c, C_ADDDEV) + opt_set(c, C_DELDEV) + opt_set(c, C_DELPVID) + opt_set(c, C_CHECK) +
			 opt_set(c, C_UPDATE) + opt_set(c, C_ADDPVID);
	int r;

	(void)argv;
	if (argc || modes > 1)
		return lvm_no_syntax(c);
	if ((r = file_env(c, &env)))
		return r;
	if (opt_set(c, C_ADDDEV))
		r = add(c, &env, opt_val(c, C_ADDDEV));
	else if (opt_set(c, C_ADDPVID))
		r = addpvid(c, &env, opt_val(c, C_ADDPVID));
	else if (opt_set(c, C_DELDEV) || opt_set(c, C_DELPVID))
		r = del(c, &env, opt_val(c, C_DELDEV), opt_set(c, C_DELPVID) ? opt_val(c, C_DELPVID) : NULL);
	else if (opt_set(c, C_CHECK) || opt_set(c, C_UPDATE))
		r = check(c, &env, opt_set(c, C_UPDATE));
	else
		r = list(&env);
	lvm_env_free(&env);
	return r;
}

/* vgimportdevices VG...|-a: the PVs of those VGs, as the devices scanned
 * (--devices, else the devices file) find them, into the devices file. */
int lvm_vgimportdevices(void *ctx, int argc, char **argv)
{
	struct lvm_cmd *c = ctx;
	struct err e = { { 0 } };
	struct lvm_env file = { 0 }, *fenv = &c->env;
	const char **names = NULL;
	unsigned n = 0, added = 0;
	int r;

	if (!argc == !opt_set(c, C_ALL)) {
		lvm_fail("Please specify one or more VG names, or --all.");
		return LVM_EINVALID;
	}
	/* without --devices the devices read are the file's: no second scan */
	if ((r = lvm_setup(c, false)) ||
	    (opt_set(c, c->common + G_DEVICES) && (r = file_env(c, fenv = &file))))
		goto out;
	if (opt_set(c, C_ALL) && lvm_vg_names(&c->env, &names, &n, &e)) {
		r = lvm_fail("%s", e.msg);
		goto out;
	}
	for (unsigned a = 0; a < (opt_set(c, C_ALL) ? n : (unsigned)argc) && !r; a++) {
		const char *vg = opt_set(c, C_ALL) ? names[a] : argv[a];
		unsigned found = 0;

		for (unsigned i = 0; i < c->env.ndev && !r; i++) {
			const struct lvm_dev *d = &c->env.dev[i];
			const char *owner = d->pv ? lvm_dev_vgname(d) : NULL;

			if (!owner || strcmp(owner, vg))
				continue;
			found++;
			if (lvm_devices_file_update(fenv, d->path, d->pv->label.pv_uuid, true, &e))
				r = lvm_fail("%s", e.msg);
		}
		if (!found && !r)
			r = lvm_fail("Volume group \"%s\" not found", vg);
		added += found;
	}
	if (!r)
		printf("  Added %u devices to devices file.\n", added);
out:
	free(names);
	lvm_env_free(&file);
	return r;
}
