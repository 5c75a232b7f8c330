/* LV activation: the tables of src/lvm/activate.c created, reloaded and
 * removed in ulvmd over the control socket (docs/CONTROL.md). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/lvm_cmds.h"
#include "lvm/activate.h"

bool lvm_daemon_up(struct lvm_cmd *c, struct lvm_daemon *d)
{
	if (!d->tried) {
		d->tried = true;
		d->connected = !daemon_connect(c->g, &d->c, &d->why);
	}
	return d->connected;
}

void lvm_daemon_close(struct lvm_daemon *d)
{
	if (d->connected)
		jsonrpc_close(&d->c);
	d->connected = false;
}

static int call(struct lvm_daemon *d, const char *method, struct json_object *params, struct err *e)
{
	struct json_object *res = NULL;
	int r = jsonrpc_call(&d->c, method, params, &res, NULL, e);

	json_object_put(res);
	return r;
}

bool lv_is_active(struct lvm_cmd *c, struct lvm_daemon *d, const struct vg *vg, const struct vg_lv *lv)
{
	char name[LV_DM_NAME_MAX];
	struct json_object *p;
	struct err e = { { 0 } };

	if (!lvm_daemon_up(c, d))
		return false;
	lv_dm_name(vg, lv, name);
	p = json_object_new_object();
	json_object_object_add(p, "name", json_object_new_string(name));
	return !call(d, "info", p, &e);
}

int lv_rename_active(struct lvm_cmd *c, struct lvm_daemon *d, const char *old_dm, const struct vg *vg,
		     const struct vg_lv *lv, struct err *e)
{
	char name[LV_DM_NAME_MAX], exp[2 * LVM_NAME_LEN + 2];
	struct json_object *p;
	int r;

	if (!lvm_daemon_up(c, d))
		return err_set(e, -ENOTCONN, "%s", d->why.msg);
	lv_dm_name(vg, lv, name);
	lv_export_name(vg, lv, exp, sizeof(exp));
	p = json_object_new_object();
	json_object_object_add(p, "name", json_object_new_string(old_dm));
	json_object_object_add(p, "new_name", json_object_new_string(name));
	json_object_object_add(p, "new_export", json_object_new_string(exp));
	if ((r = call(d, "rename", p, e)))
		return err_set(e, r, "renaming active device %s to %s (export %s)", old_dm, name, exp);
	return 0;
}

int lv_activate(struct lvm_cmd *c, struct lvm_daemon *d, const struct vg *vg, const struct vg_lv *lv,
		struct err *e)
{
	char name[LV_DM_NAME_MAX], uuid[LV_DM_UUID_MAX], exp[2 * LVM_NAME_LEN + 2], *table;
	struct json_object *p;
	int r;

	if (thin_handles(vg, lv))
		return thin_activate(c, d, vg, lv, e);
	if ((r = lv_table(vg, lv, &table, e)))
		return r;
	if (!lvm_daemon_up(c, d)) {
		free(table);
		return err_set(e, -ENOTCONN, "%s", d->why.msg);
	}
	if (lv_is_active(c, d, vg, lv)) {
		free(table);
		return 0;
	}
	lv_dm_name(vg, lv, name);
	lv_dm_uuid(vg, lv, uuid);
	lv_export_name(vg, lv, exp, sizeof(exp));
	p = json_object_new_object();
	json_object_object_add(p, "name", json_object_new_string(name));
	json_object_object_add(p, "uuid", json_object_new_string(uuid));
	json_object_object_add(p, "table", json_object_new_string(table));
	json_object_object_add(p, "export", json_object_new_string(exp));
	free(table);
	if ((r = call(d, "create", p, e)))
		return err_set(e, r, "activating %s/%s", vg->name, lv->name);
	return 0;
}

int lv_deactivate(struct lvm_cmd *c, struct lvm_daemon *d, const struct vg *vg, const struct vg_lv *lv,
		  struct err *e)
{
	char name[LV_DM_NAME_MAX];
	struct json_object *p;
	int r;

	if (thin_handles(vg, lv))
		return thin_deactivate(c, d, vg, lv, e);
	if (!lv_is_active(c, d, vg, lv))
		return 0;
	lv_dm_name(vg, lv, name);
	p = json_object_new_object();
	json_object_object_add(p, "name", json_object_new_string(name));
	if ((r = call(d, "remove", p, e)))
		return err_set(e, r, "deactivating %s/%s", vg->name, lv->name);
	return 0;
}

int lv_reload(struct lvm_cmd *c, struct lvm_daemon *d, const struct vg *vg, const struct vg_lv *lv,
	      struct err *e)
{
	char name[LV_DM_NAME_MAX], *table;
	struct json_object *p;
	int r;

	if (!lv_is_active(c, d, vg, lv))
		return 0;
	if ((r = lv_table(vg, lv, &table, e)))
		return r;
	lv_dm_name(vg, lv, name);
	p = json_object_new_object();
	json_object_object_add(p, "name", json_object_new_string(name));
	json_object_object_add(p, "table", json_object_new_string(table));
	free(table);
	if ((r = call(d, "load", p, e)))
		return err_set(e, r, "reloading %s/%s", vg->name, lv->name);
	p = json_object_new_object();
	json_object_object_add(p, "name", json_object_new_string(name));
	if ((r = call(d, "resume", p, e)))
		return err_set(e, r, "resuming %s/%s", vg->name, lv->name);
	return 0;
}
