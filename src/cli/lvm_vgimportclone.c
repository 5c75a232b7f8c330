/* vgimportclone (lvm2's tools/vgimportclone.c): the PVs of a copied VG
 * (a cloned disk image, a snapshot of the disks) get new PV uuids, the VG
 * a new uuid and a name no other VG has, so the copy is used beside the
 * original.
 *
 * Two device sets: the devices given, alone (they share their PV uuids
 * with the original, so they are never scanned beside it), and the
 * usual ones (the devices file or --devices) without them, for the VG
 * names in use.  The new name is -n NAME or the old one, with 1, 2, ...
 * added until no VG there has it (lvm2's rule).  Every PV of the VG must
 * be given and every device given must be one of its PVs.
 *
 * Crash argument (lvm2's order): everything is checked first, then each
 * PV label gets its new uuid, then the VG text with the new ids is
 * committed.  A crash in between leaves labels that the old text does not
 * name (the VG reads with those PVs missing); the window is the few
 * sector writes between the two.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/lvm_cmds.h"
#include "io/dev.h"

/* The VG names the usual devices hold, the devices given left out. */
static int names_in_use(struct lvm_cmd *c, int argc, char **argv, struct lvm_env *other, const char ***names,
			unsigned *n)
{
	struct err e = { { 0 } };

	if (lvm_env_init(other, opt_val(c, c->common + G_CONFDIR),
			 opt_set(c, c->common + G_DEVICES) ? opt_val(c, c->common + G_DEVICES) : NULL, NULL, c->cmdline,
			 false, &e))
		return lvm_fail("%s", e.msg);
	for (int i = 0; i < argc; i++)
		lvm_env_skip_path(other, argv[i]);
	if (lvm_scan(other, &e) || lvm_vg_names(other, names, n, &e))
		return lvm_fail("%s", e.msg);
	return 0;
}

static bool name_taken(const char **names, unsigned n, const char *name)
{
	for (unsigned i = 0; i < n; i++)
		if (!strcmp(names[i], name))
			return true;
	return false;
}

/* The devices given, alone: one VG on them, its name in @vgname. */
static int scan_given(struct lvm_cmd *c, int argc, char **argv, const char **vgname)
{
	struct err e = { { 0 } };
	struct cfg_tree *override = NULL;

	*vgname = NULL;
	if (opt_set(c, c->common + G_CONFIG) && cfg_parse_settings(opt_val(c, c->common + G_CONFIG), &override, &e)) {
		lvm_fail("--config: %s", e.msg);
		lvm_fail("Failed to set overridden configuration entries.");
		return LVM_EINVALID;
	}
	/* "": a device set of its own (as --devices), none yet */
	if (lvm_env_init(&c->env, opt_val(c, c->common + G_CONFDIR), "", override, c->cmdline, true, &e))
		return lvm_fail("%s", e.msg);
	c->env.run_dir = c->g->run_dir;
	c->env.importing = true; /* read an exported VG too: -i decides */
	for (int i = 0; i < argc; i++) {
		struct lvm_dev *d;
		const char *name;

		if (lvm_env_add_path(&c->env, argv[i], &d, &e))
			return lvm_fail("%s", e.msg);
		if (!d->pv)
			return lvm_fail("Failed to find device %s.", argv[i]);
		if (!(name = lvm_dev_vgname(d)))
			continue;
		if (*vgname && strcmp(*vgname, name))
			return lvm_fail("Devices must be from the same VG.");
		*vgname = name;
	}
	if (lvm_scan(&c->env, &e))
		return lvm_fail("%s", e.msg);
	if (!*vgname)
		return lvm_fail("No VG found on devices.");
	return 0;
}

/* lvm2's _update_vg checks: every PV given, nothing else, none in use. */
static int check_vg(struct lvm_cmd *c, struct vgh *h, int argc, char **argv)
{
	struct vg *vg = h->vg;
	struct err e = { { 0 } };
	unsigned busy = 0;

	if ((vg->status & FLAG(VGF_EXPORTED)) && !opt_set(c, C_IMPORT))
		return lvm_fail("VG %s is exported, use the --import option.", vg->name);
	if (h->missing) {
		lvm_fail("VG %s is partial, it must be complete.", vg->name);
		for (unsigned i = 0; i < vg->npv; i++)
			if (!vg->pv[i]->pv) {
				char id[LVM_ID_TEXT_LEN + 1];

				lvm_id_format(vg->pv[i]->id, id);
				lvm_fail("PV with UUID %s is part of VG %s, but is not included in the devices to import.",
					 id, vg->name);
			}
		return lvm_fail("All PVs in the VG must be imported together.");
	}
	for (int i = 0; i < argc; i++) {
		char real[PATH_MAX];
		bool found = false;

		if (!lvm_canon_path(argv[i], real, sizeof(real)))
			for (unsigned k = 0; k < vg->npv; k++)
				found |= vg->pv[k]->path && !strcmp(vg->pv[k]->path, real);
		if (!found) {
			lvm_fail("Device %s was not found in VG %s.", argv[i], vg->name);
			return lvm_fail("The devices to import must match the devices in the VG.");
		}
	}
	for (unsigned i = 0; i < vg->npv; i++)
		if (dev_path_claimed(vg->pv[i]->path, 0, vg->pv[i]->pv->dev->size) == 1) {
			lvm_fail("Device %s has active LVs, deactivate first.", vg->pv[i]->path);
			busy++;
		}
	if (busy)
		return LVM_FAILED;
	return lvm_vg_writable(h, &e) ? lvm_fail("%s", e.msg) : 0;
}

int lvm_vgimportclone(void *ctx, int argc, char **argv)
{
	struct lvm_cmd *c = ctx;
	struct err e = { { 0 } };
	struct lvm_env other = { 0 };
	struct vgh h = { .lock_fd = -1 };
	const char **names = NULL, *old;
	char base[LVM_NAME_LEN + 1], name[LVM_NAME_LEN + 16], lock[LVM_NAME_LEN + 24], (*ids)[LVM_ID_LEN + 1] = NULL;
	unsigned nnames = 0, count;
	int glock = -1, nlock = -1, r;

	if ((r = scan_given(c, argc, argv, &old)))
		return r;
	if (lvm_lock(&c->env, "P_global", true, &glock, &e))
		return lvm_fail("%s", e.msg);
	if ((r = names_in_use(c, argc, argv, &other, &names, &nnames)))
		goto out;
	/* lvm2: -n NAME as it is, else the old name with 1; then 1, 2... until free */
	snprintf(base, sizeof(base), "%s", opt_set(c, C_BASEVGNAME) ? opt_val(c, C_BASEVGNAME) : old);
	count = opt_set(c, C_BASEVGNAME) ? 0 : 1;
	if (count)
		snprintf(name, sizeof(name), "%s%u", base, count);
	else
		snprintf(name, sizeof(name), "%s", base);
	while (name_taken(names, nnames, name))
		snprintf(name, sizeof(name), "%s%u", base, ++count);
	if (!lvm_name_valid(name)) {
		r = lvm_fail("New volume group name \"%s\" is invalid.", name);
		goto out;
	}
	/* the new name's lock, unless the copy keeps its name (a lock taken twice waits for itself) */
	snprintf(lock, sizeof(lock), "V_%s", name);
	if ((strcmp(name, old) && lvm_lock(&c->env, lock, true, &nlock, &e)) || lvm_vg_read(&c->env, old, &h, &e)) {
		lvm_fail("%s", e.msg);
		r = lvm_fail("Failed to read VG %s from devices being imported.", old);
		goto out;
	}
	if ((r = check_vg(c, &h, argc, argv))) {
		lvm_fail("Failed to update VG on devices being imported.");
		goto out;
	}
	/* the new VG: a copy of a shared VG is imported as a local one */
	struct vg *vg = h.vg;
	if (!(ids = calloc(vg->npv + 1, sizeof(*ids)))) {
		r = lvm_fail("out of memory");
		goto out;
	}
	free(vg->name);
	free(vg->lock_type);
	free(vg->lock_args);
	free(vg->system_id);
	vg->lock_type = vg->lock_args = vg->system_id = NULL;
	if (!(vg->name = strdup(name)) || (c->env.system_id[0] && !(vg->system_id = strdup(c->env.system_id)))) {
		r = lvm_fail("out of memory");
		goto out;
	}
	if (opt_set(c, C_IMPORT))
		vg->status &= ~FLAG(VGF_EXPORTED);
	if (lvm_id_create(vg->id, &e)) {
		r = lvm_fail("%s", e.msg);
		goto out;
	}
	for (unsigned i = 0; i < vg->npv; i++) {
		if (opt_set(c, C_IMPORT))
			vg->pv[i]->status &= ~FLAG(PVF_EXPORTED);
		if (lvm_id_create(ids[i], &e)) {
			r = lvm_fail("%s", e.msg);
			goto out;
		}
		memcpy(vg->pv[i]->id, ids[i], sizeof(ids[i]));
	}
	for (unsigned i = 0; i < vg->nlv; i++) {
		free(vg->lv[i]->lock_args);
		vg->lv[i]->lock_args = NULL;
	}
	if (vg_validate(vg, &e) || lvm_vg_writable(&h, &e)) {
		r = lvm_fail("%s; nothing was written", e.msg);
		goto out;
	}
	/* lvm2's order: the PV labels, then the VG text naming them */
	for (unsigned i = 0; i < vg->npv; i++)
		if (pv_set_uuid(vg->pv[i]->pv, ids[i], &e)) {
			r = lvm_fail("%s", e.msg);
			goto out;
		}
	if (lvm_vg_commit(&c->env, &h, &e)) {
		r = lvm_fail("%s", e.msg);
		goto out;
	}
	/* the copy joins the usual devices under its new uuids */
	for (unsigned i = 0; i < vg->npv; i++)
		if (lvm_devices_file_update(&other, vg->pv[i]->path, ids[i], true, &e)) {
			r = lvm_fail("Failed to write devices file: %s", e.msg);
			goto out;
		}
out:
	free(ids);
	free(names);
	lvm_vg_release(&h);
	lvm_env_free(&other);
	lvm_unlock(nlock);
	lvm_unlock(glock);
	return r;
}
