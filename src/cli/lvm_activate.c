/* LV activation: the tables of src/lvm/activate.c created, reloaded and
 * removed in ulvmd over the control socket (docs/CONTROL.md). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cli/lvm_cmds.h"
#include "lvm/poll.h"
#include "lvm/activate.h"
#include "lvm/lvref.h"
#include "lvm/segtype.h"
#include "lvm/settings.h"

/* activation/auto_activation_volume_list: unset lets every LV in. */
static bool in_auto_list(const struct lvm_cmd *c, const struct vg *vg, const struct vg_lv *lv)
{
	const struct cfg_node *l = lvm_setting_node(&c->env, "activation/auto_activation_volume_list");
	size_t vl = strlen(vg->name);

	if (!l || l->type != CFG_ARRAY)
		return true;
	for (unsigned i = 0; i < l->nitems; i++) {
		const char *x = l->items[i].type == CFG_STRING ? l->items[i].s : "";

		if (!strcmp(x, vg->name) || (!strncmp(x, vg->name, vl) && x[vl] == '/' && !strcmp(x + vl + 1, lv->name)))
			return true;
		for (unsigned t = 0; x[0] == '@' && t < lv->tags.n; t++)
			if (!strcmp(x + 1, lv->tags.s[t]))
				return true;
		for (unsigned t = 0; x[0] == '@' && t < vg->tags.n; t++)
			if (!strcmp(x + 1, vg->tags.s[t]))
				return true;
	}
	return false;
}

bool lv_skip_activation(const struct lvm_cmd *c, const struct vg *vg, const struct vg_lv *lv, bool autoact)
{
	const char *why = NULL;

	if ((lv->status & FLAG(LVF_ACTIVATION_SKIP)) && !opt_set(c, C_IGNORESKIP))
		why = "its activation skip flag is set (-K overrides)";
	else if (autoact && ((vg->status & FLAG(VGF_NOAUTOACTIVATE)) || (lv->status & FLAG(LVF_NOAUTOACTIVATE))))
		why = "autoactivation is off (--setautoactivation n)";
	else if (autoact && !in_auto_list(c, vg, lv))
		why = "it is not in activation/auto_activation_volume_list";
	if (why)
		log_info("Skipping activation of %s/%s: %s.", vg->name, lv->name, why);
	return why != NULL;
}

bool lv_is_active(struct lvm_cmd *c, struct dmctl *d, const struct vg *vg, const struct vg_lv *lv)
{
	return lvm_daemon_up(c, d) && lv_dm_active(d, vg, lv);
}

int lv_open_count(struct lvm_cmd *c, struct dmctl *d, const struct vg *vg, const struct vg_lv *lv)
{
	char name[LV_DM_NAME_MAX];
	struct json_object *res = NULL, *o;
	struct err e = { { 0 } };
	int n = -1;

	if (!lvm_daemon_up(c, d))
		return -1;
	lv_dm_name(vg, lv, name);
	/* info answers with an array: the one device of that name */
	if (!dmctl_call(d, "info", dmctl_named(name), &res, &e) && res && json_object_is_type(res, json_type_array) &&
	    json_object_array_length(res) == 1)
		n = json_object_object_get_ex(json_object_array_get_idx(res, 0), "open_count", &o) ? json_object_get_int(o)
												   : 0;
	json_object_put(res);
	return n;
}

const struct vg_lv *lvm_vg_lv_in_use(struct lvm_cmd *c, struct dmctl *d, const struct vg *vg)
{
	for (unsigned i = 0; i < vg->nlv; i++)
		if (lv_is_active(c, d, vg, vg->lv[i]) || lv_extents_claimed(vg, vg->lv[i]) == 1)
			return vg->lv[i];
	return NULL;
}

int lv_rename_active(struct lvm_cmd *c, struct dmctl *d, const char *old_dm, const struct vg *vg,
		     const struct vg_lv *lv, struct err *e)
{
	char name[LV_DM_NAME_MAX], exp[2 * LVM_NAME_LEN + 2];
	int r;

	if (!lvm_daemon_up(c, d))
		return err_set(e, -ENOTCONN, "%s", d->why.msg);
	lv_dm_name(vg, lv, name);
	lv_export_name(vg, lv, exp, sizeof(exp));
	if ((r = dmctl_rename(d, old_dm, name, exp, e)))
		return err_set(e, r, "renaming active device %s to %s (export %s)", old_dm, name, exp);
	return 0;
}

/* The CLI's: the daemon of the command's run directory. */
int lv_activate(struct lvm_cmd *c, struct dmctl *d, const struct vg *vg, const struct vg_lv *lv,
		struct err *e)
{
	lvm_daemon_up(c, d);
	return lvm_lv_activate(&c->env, d, vg, lv, e);
}

int lvm_activation_opts(struct lvm_cmd *c)
{
	struct err e = { { 0 } };

	if (opt_set(c, C_ACTMODE) && opt_set(c, C_PARTIAL) && strcmp(opt_val(c, C_ACTMODE), "partial")) {
		lvm_fail("--partial and --activationmode are mutually exclusive arguments");
		return LVM_EINVALID;
	}
	if ((opt_set(c, C_ACTMODE) || opt_set(c, C_PARTIAL)) &&
	    lvm_activation_mode_set(&c->env, opt_set(c, C_ACTMODE) ? opt_val(c, C_ACTMODE) : "partial", &e)) {
		lvm_fail("%s", e.msg);
		return LVM_EINVALID;
	}
	if (c->env.activation_mode == LVM_ACT_PARTIAL)
		fprintf(stderr, "  PARTIAL MODE. Incomplete logical volumes will be processed.\n");
	return 0;
}

int lvm_poll_opt(const struct lvm_cmd *c)
{
	if (opt_set(c, C_POLL) && strcmp(opt_val(c, C_POLL), "y") && strcmp(opt_val(c, C_POLL), "n"))
		return lvm_fail("Invalid argument for --poll: %s (y or n)", opt_val(c, C_POLL));
	return 0;
}

void lv_poll(struct lvm_cmd *c, struct dmctl *d, const struct vg *vg, struct lvm_poll_seen *seen)
{
	if (opt_set(c, C_POLL) && !strcmp(opt_val(c, C_POLL), "n"))
		return;
	lvm_poll_background(&c->env, c->g->run_dir, vg, d, seen);
}

int lv_deactivate(struct lvm_cmd *c, struct dmctl *d, const struct vg *vg, const struct vg_lv *lv,
		  struct err *e)
{
	lvm_daemon_up(c, d);
	return lvm_lv_deactivate(d, vg, lv, e);
}

int lv_reload(struct lvm_cmd *c, struct dmctl *d, const struct vg *vg, const struct vg_lv *lv,
	      struct err *e)
{
	lvm_daemon_up(c, d);
	return lvm_lv_reload(&c->env, d, vg, lv, e);
}

int vg_rename_prepare(struct lvm_cmd *c, struct dmctl *d, const struct vg *vg, const char *new_name,
		      struct vg_renames *rn, struct err *e)
{
	char uprefix[LV_DM_UUID_MAX], oldp[LV_DM_NAME_MAX], newp[LV_DM_NAME_MAX];
	struct json_object *res = NULL, *o;
	size_t n, ol = strlen(vg->name);
	int r;

	memset(rn, 0, sizeof(*rn));
	if (!lvm_daemon_up(c, d))
		return 0; /* nothing is active here */
	snprintf(uprefix, sizeof(uprefix), "LVM-%s", vg->id);
	vg_dm_prefix(vg->name, oldp);
	vg_dm_prefix(new_name, newp);
	if ((r = dmctl_call(d, "info", json_object_new_object(), &res, e)))
		return err_set(e, r, "listing the active devices");
	n = json_object_array_length(res);
	rn->old = calloc(n + 1, sizeof(*rn->old));
	rn->name = calloc(n + 1, sizeof(*rn->name));
	rn->exp = calloc(n + 1, sizeof(*rn->exp));
	if (!rn->old || !rn->name || !rn->exp) {
		json_object_put(res);
		return err_set(e, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		const char *name = NULL, *uuid = NULL, *exp = NULL;

		o = json_object_array_get_idx(res, i);
		json_object *v;
		if (json_object_object_get_ex(o, "name", &v))
			name = json_object_get_string(v);
		if (json_object_object_get_ex(o, "uuid", &v))
			uuid = json_object_get_string(v);
		if (json_object_object_get_ex(o, "export", &v))
			exp = json_object_get_string(v);
		if (!name || !uuid || strncmp(uuid, uprefix, strlen(uprefix)))
			continue;
		if (strncmp(name, oldp, strlen(oldp))) {
			json_object_put(res);
			return err_set(e, -EINVAL, "active device %s of VG %s is not named %s...: not renamed", name,
				       vg->name, oldp);
		}
		snprintf(rn->old[rn->n], sizeof(rn->old[0]), "%s", name);
		if ((size_t)snprintf(rn->name[rn->n], sizeof(rn->name[0]), "%s%s", newp, name + strlen(oldp)) >=
		    sizeof(rn->name[0])) {
			json_object_put(res);
			return err_set(e, -ENAMETOOLONG, "device %s: the new name is too long", name);
		}
		rn->exp[rn->n][0] = 0;
		if (exp && !strncmp(exp, vg->name, ol) && exp[ol] == '/')
			snprintf(rn->exp[rn->n], sizeof(rn->exp[0]), "%s%s", new_name, exp + ol);
		rn->n++;
	}
	json_object_put(res);
	for (unsigned i = 0; i < rn->n; i++)
		if (dmctl_exists(d, rn->name[i]))
			return err_set(e, -EEXIST, "a device named %s exists: VG %s not renamed", rn->name[i],
				       vg->name);
	return 0;
}

int vg_rename_apply(struct dmctl *d, const struct vg_renames *rn, struct err *e)
{
	int ret = 0, r;

	for (unsigned i = 0; i < rn->n; i++)
		if ((r = dmctl_rename(d, rn->old[i], rn->name[i], rn->exp[i][0] ? rn->exp[i] : NULL, e)) && !ret)
			ret = err_set(e, r, "renaming active device %s to %s", rn->old[i], rn->name[i]);
	return ret;
}

void vg_renames_free(struct vg_renames *rn)
{
	free(rn->old);
	free(rn->name);
	free(rn->exp);
	memset(rn, 0, sizeof(*rn));
}
