/* ulvmd's control methods from the client side.  See dmctl.h. */
#include "common/dmctl.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "common/rundir.h"

int dmctl_connect(const char *run_dir, struct jsonrpc_client *c, struct err *e)
{
	char dir[4096], path[4096];
	struct err ce = { 0 };
	int ret;

	if ((ret = rundir_resolve(run_dir, dir, sizeof(dir), e)) ||
	    (ret = rundir_path(dir, RUNDIR_CONTROL, path, sizeof(path), e)))
		return ret;
	ret = rundir_check_socket(dir, path, &ce);
	if (ret == -ENOENT)
		return err_set(e, ret, "ulvmd is not running: cannot connect to %s: %s", path, strerror(-ret));
	if (ret)
		return err_set(e, ret, "%s", ce.msg);
	ret = jsonrpc_connect(path, c, &ce);
	if (ret == -ENOENT || ret == -ECONNREFUSED)
		return err_set(e, ret, "ulvmd is not running: cannot connect to %s: %s", path, strerror(-ret));
	if (ret)
		return err_set(e, ret, "%s", ce.msg);
	return 0;
}

bool dmctl_up(struct dmctl *d)
{
	if (!d->tried) {
		d->tried = true;
		d->connected = !dmctl_connect(d->run_dir, &d->c, &d->why);
	}
	return d->connected;
}

void dmctl_close(struct dmctl *d)
{
	if (d->connected)
		jsonrpc_close(&d->c);
	d->connected = false;
}

int dmctl_call(struct dmctl *d, const char *method, struct json_object *params, struct json_object **res,
	       struct err *e)
{
	struct json_object *x = NULL;
	int r;

	if (res)
		*res = NULL;
	if (!dmctl_up(d)) {
		json_object_put(params);
		return err_set(e, -ENOTCONN, "%s", d->why.msg);
	}
	r = jsonrpc_call(&d->c, method, params, &x, NULL, e);
	if (res && !r)
		*res = x;
	else
		json_object_put(x);
	return r;
}

struct json_object *dmctl_named(const char *name)
{
	struct json_object *p = json_object_new_object();

	json_object_object_add(p, "name", json_object_new_string(name));
	return p;
}

int dmctl_simple(struct dmctl *d, const char *method, const char *name, struct err *e)
{
	int r = dmctl_call(d, method, dmctl_named(name), NULL, e);

	return r ? err_set(e, r, "%s %s", method, name) : 0;
}

/* The answer of "info" for one device: its object. */
static struct json_object *info_of(struct json_object *res)
{
	return json_object_is_type(res, json_type_array) ? json_object_array_get_idx(res, 0) : res;
}

int dmctl_device(struct dmctl *d, const char *name, const char *uuid, struct err *e)
{
	struct json_object *res = NULL, *o, *u;
	struct err e2 = { { 0 } };
	const char *have = "";
	int r;

	if (dmctl_call(d, "info", dmctl_named(name), &res, &e2))
		return 0;
	if ((o = info_of(res)) && json_object_object_get_ex(o, "uuid", &u))
		have = json_object_get_string(u);
	r = !strcmp(have, uuid ? uuid : "") ? 1
		: err_set(e, -EEXIST, "device %s exists with uuid \"%s\", not \"%s\": it is not this LV's; "
			  "remove it (ulvm dmsetup remove %s) or rename it", name, have, uuid ? uuid : "", name);
	json_object_put(res);
	return r;
}

bool dmctl_exists(struct dmctl *d, const char *name)
{
	struct err e = { { 0 } };

	return !dmctl_call(d, "info", dmctl_named(name), NULL, &e);
}

bool dmctl_open(struct dmctl *d, const char *name)
{
	struct json_object *res = NULL, *o;
	struct err e = { { 0 } };
	bool open = false;

	if (dmctl_call(d, "info", dmctl_named(name), &res, &e) || !res)
		return false;
	o = json_object_is_type(res, json_type_array) ? json_object_array_get_idx(res, 0) : res;
	open = dmctl_info_open(o);
	json_object_put(res);
	return open;
}

bool dmctl_info_open(struct json_object *o)
{
	struct json_object *v;
	bool open = false;

	if (o && json_object_object_get_ex(o, "open_count", &v))
		open |= json_object_get_int64(v) > 0;
	if (o && json_object_object_get_ex(o, "holders", &v))
		open |= json_object_is_type(v, json_type_array) ? json_object_array_length(v) > 0 :
								  json_object_get_int64(v) > 0;
	return open;
}



static struct json_object *dev_params(const struct dmctl_dev *dev)
{
	struct json_object *p = dmctl_named(dev->name);

	if (dev->uuid)
		json_object_object_add(p, "uuid", json_object_new_string(dev->uuid));
	json_object_object_add(p, "table", json_object_new_string(dev->table));
	if (dev->export)
		json_object_object_add(p, "export", json_object_new_string(dev->export));
	if (dev->readonly >= 0)
		json_object_object_add(p, "readonly", json_object_new_boolean(dev->readonly));
	return p;
}

int dmctl_create(struct dmctl *d, const struct dmctl_dev *dev, struct err *e)
{
	int r;

	if ((r = dmctl_device(d, dev->name, dev->uuid, e)))
		return r < 0 ? r : 0;
	if ((r = dmctl_call(d, "create", dev_params(dev), NULL, e)))
		return err_set(e, r, "creating %s", dev->name);
	return 0;
}

int dmctl_reload(struct dmctl *d, const struct dmctl_dev *dev, struct err *e)
{
	struct json_object *p = dev_params(dev);
	int r;

	json_object_object_del(p, "uuid");
	json_object_object_del(p, "export");
	if ((r = dmctl_call(d, "load", p, NULL, e)))
		return err_set(e, r, "reloading %s", dev->name);
	return dmctl_simple(d, "resume", dev->name, e);
}

int dmctl_remove(struct dmctl *d, const char *name, struct err *e)
{
	return dmctl_exists(d, name) ? dmctl_simple(d, "remove", name, e) : 0;
}

int dmctl_message(struct dmctl *d, const char *name, const char *msg, struct err *e)
{
	struct json_object *p = dmctl_named(name);
	int r;

	json_object_object_add(p, "sector", json_object_new_int64(0));
	json_object_object_add(p, "message", json_object_new_string(msg));
	if ((r = dmctl_call(d, "message", p, NULL, e)))
		return err_set(e, r, "message \"%s\" to %s", msg, name);
	return 0;
}

int dmctl_status_of(struct dmctl *d, const char *name, const char *type, char **line, struct err *e)
{
	struct json_object *res = NULL, *lines;
	const char *l = NULL;
	int r;

	*line = NULL;
	if ((r = dmctl_call(d, "status", dmctl_named(name), &res, e)))
		return err_set(e, r, "status of %s", name);
	if (json_object_is_type(res, json_type_array) && json_object_array_length(res) &&
	    json_object_object_get_ex(json_object_array_get_idx(res, 0), "lines", &lines)) {
		for (size_t i = 0; i < json_object_array_length(lines) && !l; i++) {
			const char *x = json_object_get_string(json_object_array_get_idx(lines, i));
			char t[64];

			if (x && (!type || (sscanf(x, "%*u %*u %63s", t) == 1 && !strcmp(t, type))))
				l = x;
		}
	}
	if (!l)
		r = err_set(e, type ? -ENOENT : -EPROTO, "%s: the daemon's status has no %s line", name,
			    type ? type : "");
	else if (!(*line = strdup(l)))
		r = err_set(e, -ENOMEM, "out of memory");
	json_object_put(res);
	return r;
}

int dmctl_status(struct dmctl *d, const char *name, char **line, struct err *e)
{
	return dmctl_status_of(d, name, NULL, line, e);
}

int dmctl_rename(struct dmctl *d, const char *name, const char *new_name, const char *new_export,
		 struct err *e)
{
	struct json_object *p = dmctl_named(name);

	json_object_object_add(p, "new_name", json_object_new_string(new_name));
	if (new_export)
		json_object_object_add(p, "new_export", json_object_new_string(new_export));
	return dmctl_call(d, "rename", p, NULL, e);
}
