/* The control methods, as one table: each names its parameters with their
 * types, and the parameters are checked here, once, before a handler runs
 * (unknown members, wrong types and missing required ones are -32602).
 * Handlers only call the dm layer and shape its answer as JSON; a failed
 * dm call becomes JSONRPC_DEVICE_ERROR with the dm layer's message and
 * data.errno.
 */
#include "daemon/methods.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/jsonrpc.h"
#include "dm/md.h"

/* What `dmsetup info` prints as "Read Ahead": the kernel's default of 256
 * sectors; there is no page cache here to read ahead into. */
#define READ_AHEAD_SECTORS 256
#define MESSAGE_RESULT_MAX 4096

enum ptype { P_STR, P_BOOL, P_U64 };

struct param {
	const char *name;
	enum ptype type;
	bool required;
};

struct call {
	struct dm_context *dm;
	struct json_object *params;
	struct json_object *result;
	struct rpc_error *err;
};

struct method {
	const char *name;
	int (*fn)(struct call *c);
	struct param params[8]; /* ends at a NULL name */
};

static int fail(struct call *c, int code, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(struct call *c, int code, int errnum, const char *fmt, ...)
{
	va_list ap;

	c->err->code = code;
	c->err->errnum = errnum;
	va_start(ap, fmt);
	vsnprintf(c->err->msg, sizeof(c->err->msg), fmt, ap);
	va_end(ap);
	return errnum ? -errnum : -EINVAL;
}

/* A dm call failed with @ret: pass its message on, or make one. */
static int dm_fail(struct call *c, int ret, const struct err *e, const char *name)
{
	if (e && e->msg[0])
		return fail(c, JSONRPC_DEVICE_ERROR, -ret, "%s", e->msg);
	if (name)
		return fail(c, JSONRPC_DEVICE_ERROR, -ret, "%s: %s", name, strerror(-ret));
	return fail(c, JSONRPC_DEVICE_ERROR, -ret, "%s", strerror(-ret));
}

static int no_device(struct call *c, const char *name)
{
	return fail(c, JSONRPC_DEVICE_ERROR, ENXIO, "device %s not found", name);
}

/* The name of @md now (a rename changes it under md->lock). */
static void copy_name(struct mapped_device *md, char name[DM_NAME_LEN])
{
	pthread_mutex_lock(&md->lock);
	memcpy(name, md->name, DM_NAME_LEN);
	pthread_mutex_unlock(&md->lock);
}

static struct json_object *name_of(struct mapped_device *md)
{
	char name[DM_NAME_LEN];

	copy_name(md, name);
	return json_object_new_string(name);
}

static const char *p_str(struct call *c, const char *name)
{
	struct json_object *o;

	if (!json_object_object_get_ex(c->params, name, &o) || json_object_is_type(o, json_type_null))
		return NULL;
	return json_object_get_string(o);
}

static bool p_bool(struct call *c, const char *name)
{
	struct json_object *o;

	return json_object_object_get_ex(c->params, name, &o) && json_object_get_boolean(o);
}

static uint64_t p_u64(struct call *c, const char *name)
{
	struct json_object *o;

	if (!json_object_object_get_ex(c->params, name, &o))
		return 0;
	return json_object_get_uint64(o);
}

static struct json_object *device_brief(struct mapped_device *md)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "name", name_of(md));
	json_object_object_add(o, "major", json_object_new_int(DM_MAJOR));
	json_object_object_add(o, "minor", json_object_new_int((int)md->minor));
	return o;
}

/* The devices a query is about: the one named, or all of them. */
static int select_devices(struct call *c, struct mapped_device ***mds, unsigned *n)
{
	const char *name = p_str(c, "name");
	struct mapped_device *md;
	int ret;

	if (!name) {
		ret = dm_get_all(c->dm, mds, n);
		if (ret)
			return dm_fail(c, ret, NULL, NULL);
		return 0;
	}
	md = dm_lookup(c->dm, name);
	if (!md)
		return no_device(c, name);
	*mds = malloc(sizeof(**mds));
	if (!*mds) {
		dev_put(&md->dev);
		return dm_fail(c, -ENOMEM, NULL, NULL);
	}
	(*mds)[0] = md;
	*n = 1;
	return 0;
}

/* Does "<start> <len> <type> ..." have type @type? */
static bool line_has_type(const char *line, const char *type)
{
	size_t tl = strlen(type);

	for (int i = 0; i < 2; i++) {
		line = strchr(line, ' ');
		if (!line)
			return false;
		line++;
	}
	return !strncmp(line, type, tl) && (line[tl] == ' ' || line[tl] == '\0');
}

/* Split the text of md_format into a JSON array of lines, keeping those of
 * target type @type (all if NULL). */
static struct json_object *split_lines(char *text, const char *type)
{
	struct json_object *a = json_object_new_array();
	char *save = NULL;

	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (!type || line_has_type(l, type))
			json_object_array_add(a, json_object_new_string(l));
	}
	return a;
}

static int format_lines(struct call *c, struct mapped_device *md, enum status_type type,
			bool inactive, const char *target, struct json_object **out)
{
	char *text = NULL, name[DM_NAME_LEN];
	int ret = md_format(md, type, inactive, &text);

	if (ret) {
		copy_name(md, name);
		return dm_fail(c, ret, NULL, name);
	}
	*out = split_lines(text, target);
	free(text);
	return 0;
}

static int m_create(struct call *c)
{
	const char *name = p_str(c, "name"), *table = p_str(c, "table");
	struct dm_create_args a = {
		.name = name, .uuid = p_str(c, "uuid"), .table = table, .cwd = p_str(c, "cwd"),
		.export_name = p_str(c, "export"),
		.flags = p_bool(c, "readonly") ? DM_READONLY : 0,
	};
	struct mapped_device *md;
	struct err e = { 0 };
	int ret;

	if (table && p_bool(c, "notable"))
		return fail(c, JSONRPC_INVALID_PARAMS, 0, "table and notable exclude each other");
	ret = dm_create_ex(c->dm, &a, &e);
	if (ret)
		return dm_fail(c, ret, &e, name);
	log_info("created %s%s", name, table ? "" : " (no table)");
	md = dm_lookup(c->dm, name);
	if (!md) /* removed again already */
		return no_device(c, name);
	c->result = device_brief(md);
	dev_put(&md->dev);
	return 0;
}

static int m_load(struct call *c)
{
	const char *name = p_str(c, "name");
	struct err e = { 0 };
	struct json_object *ro;
	int ret = dm_load(c->dm, name, p_str(c, "table"), p_str(c, "cwd"),
			  json_object_object_get_ex(c->params, "readonly", &ro) ? json_object_get_boolean(ro) : -1, &e);

	if (ret)
		return dm_fail(c, ret, &e, name);
	log_debug("loaded an inactive table into %s", name);
	return 0;
}

static int m_clear(struct call *c)
{
	const char *name = p_str(c, "name");
	struct err e = { 0 };
	int ret = dm_clear(c->dm, name, &e);

	return ret ? dm_fail(c, ret, &e, name) : 0;
}

static int m_suspend(struct call *c)
{
	const char *name = p_str(c, "name");
	unsigned flags = (p_bool(c, "noflush") ? DM_NOFLUSH : 0) |
			 (p_bool(c, "nolockfs") ? DM_NOLOCKFS : 0);
	struct err e = { 0 };
	int ret = dm_suspend(c->dm, name, flags, &e);

	return ret ? dm_fail(c, ret, &e, name) : 0;
}

static int m_resume(struct call *c)
{
	const char *name = p_str(c, "name");
	struct err e = { 0 };
	int ret = dm_resume(c->dm, name, &e);

	return ret ? dm_fail(c, ret, &e, name) : 0;
}

/* An NBD client that sent its disconnect and exited still holds its
 * device for the moment the server takes to see it go (the kernel's
 * close is synchronous; ours is not): a remove right after it waits that
 * long, as lvm2 retries a deactivation (activation/retry_deactivation).
 * A device still open after it is refused unless forced. */
#define REMOVE_GRACE_MS 2000u

static int m_remove(struct call *c)
{
	const char *name = p_str(c, "name");
	struct err e = { 0 };
	bool force = p_bool(c, "force");
	int ret;

	if (!force)
		md_wait_closed(c->dm, name, REMOVE_GRACE_MS);
	ret = dm_remove(c->dm, name, force ? DM_FORCE : 0, &e);

	if (ret)
		return dm_fail(c, ret, &e, name);
	log_info("removed %s", name);
	return 0;
}

/* Remove every device, those stacked on others first: keep passing over
 * the list while a pass removes something.  As the kernel's
 * DM_REMOVE_ALL, open devices stay (and that is no error) unless forced. */
static int m_remove_all(struct call *c)
{
	unsigned flags = p_bool(c, "force") ? DM_FORCE : 0;
	struct json_object *removed = json_object_new_array(), *left;
	struct mapped_device **mds;
	unsigned n, nleft;
	bool progress;
	int ret;

	do {
		ret = dm_get_all(c->dm, &mds, &n);
		if (ret) {
			json_object_put(removed);
			return dm_fail(c, ret, NULL, NULL);
		}
		progress = false;
		for (unsigned i = 0; i < n; i++) {
			char name[DM_NAME_LEN];

			copy_name(mds[i], name);
			if (!dm_remove(c->dm, name, flags, NULL)) {
				json_object_array_add(removed, json_object_new_string(name));
				progress = true;
			}
		}
		dm_put_all(mds, n);
	} while (progress && n);

	ret = dm_get_all(c->dm, &mds, &n);
	if (ret) {
		json_object_put(removed);
		return dm_fail(c, ret, NULL, NULL);
	}
	left = json_object_new_array();
	for (unsigned i = 0; i < n; i++)
		json_object_array_add(left, name_of(mds[i]));
	dm_put_all(mds, n);
	nleft = n;
	if (flags & DM_FORCE && nleft) {
		json_object_put(removed);
		json_object_put(left);
		return fail(c, JSONRPC_DEVICE_ERROR, EBUSY, "Unable to remove %u device(s).", nleft);
	}
	c->result = json_object_new_object();
	json_object_object_add(c->result, "removed", removed);
	json_object_object_add(c->result, "left", left);
	return 0;
}

static int m_rename(struct call *c)
{
	const char *name = p_str(c, "name"), *new_name = p_str(c, "new_name");
	const char *new_uuid = p_str(c, "new_uuid"), *new_export = p_str(c, "new_export");
	struct err e = { 0 };
	int ret;

	if (new_uuid ? new_name || new_export : !new_name && !new_export)
		return fail(c, JSONRPC_INVALID_PARAMS, 0,
			    "give new_name and/or new_export, or new_uuid alone");
	if (new_uuid)
		ret = dm_set_uuid(c->dm, name, new_uuid, &e);
	else
		ret = dm_rename_export(c->dm, name, new_name, new_export, &e);
	if (ret)
		return dm_fail(c, ret, &e, name);
	if (new_name)
		log_info("renamed %s to %s", name, new_name);
	if (new_export)
		log_info("export of %s is now %s", new_name ? new_name : name, new_export);
	return 0;
}

static int m_message(struct call *c)
{
	const char *name = p_str(c, "name");
	char *out = calloc(1, MESSAGE_RESULT_MAX);
	struct err e = { 0 };
	int ret;

	if (!out)
		return dm_fail(c, -ENOMEM, NULL, name);
	ret = dm_message(c->dm, name, p_u64(c, "sector"), p_str(c, "message"), out,
			 MESSAGE_RESULT_MAX, &e);
	if (ret) {
		free(out);
		return dm_fail(c, ret, &e, name);
	}
	c->result = json_object_new_object();
	json_object_object_add(c->result, "result", json_object_new_string(out));
	free(out);
	return 0;
}

/* table and status: [{name, lines}] for one device or all. */
static int table_or_status(struct call *c, enum status_type type)
{
	const char *target = p_str(c, "target");
	bool inactive = p_bool(c, "inactive");
	struct mapped_device **mds;
	unsigned n;
	int ret = select_devices(c, &mds, &n);

	if (ret)
		return ret;
	c->result = json_object_new_array();
	for (unsigned i = 0; i < n; i++) {
		struct json_object *o, *lines = NULL;

		ret = format_lines(c, mds[i], type, inactive, target, &lines);
		if (ret)
			break;
		o = json_object_new_object();
		json_object_object_add(o, "name", name_of(mds[i]));
		json_object_object_add(o, "lines", lines);
		json_object_array_add(c->result, o);
	}
	dm_put_all(mds, n);
	if (ret) {
		json_object_put(c->result);
		c->result = NULL;
	}
	return ret;
}

static int m_table(struct call *c)
{
	return table_or_status(c, p_bool(c, "showkeys") ? STATUSTYPE_TABLE_KEYS : STATUSTYPE_TABLE);
}

static int m_status(struct call *c)
{
	return table_or_status(c, STATUSTYPE_INFO);
}

static struct json_object *info_object(struct mapped_device *md)
{
	struct json_object *o = json_object_new_object();
	struct md_info info;

	md_get_info(md, &info);
	json_object_object_add(o, "name", name_of(md));
	json_object_object_add(o, "uuid", json_object_new_string(md->uuid));
	json_object_object_add(o, "export", json_object_new_string(md->export_name));
	json_object_object_add(o, "exists", json_object_new_boolean(info.exists));
	json_object_object_add(o, "suspended", json_object_new_boolean(info.suspended));
	json_object_object_add(o, "live_table", json_object_new_boolean(info.live_table));
	json_object_object_add(o, "inactive_table", json_object_new_boolean(info.inactive_table));
	json_object_object_add(o, "read_only", json_object_new_boolean(info.read_only));
	json_object_object_add(o, "open_count", json_object_new_int64(info.open_count));
	json_object_object_add(o, "holders", json_object_new_int64(info.holders));
	json_object_object_add(o, "event_nr", json_object_new_int64(info.event_nr));
	json_object_object_add(o, "major", json_object_new_int(DM_MAJOR));
	json_object_object_add(o, "minor", json_object_new_int64(info.minor));
	json_object_object_add(o, "ntargets", json_object_new_int64(info.ntargets));
	json_object_object_add(o, "sectors", json_object_new_uint64(info.sectors));
	json_object_object_add(o, "read_ahead", json_object_new_int(READ_AHEAD_SECTORS));
	return o;
}

static int m_info(struct call *c)
{
	struct mapped_device **mds;
	unsigned n;
	int ret = select_devices(c, &mds, &n);

	if (ret)
		return ret;
	c->result = json_object_new_array();
	for (unsigned i = 0; i < n; i++)
		json_object_array_add(c->result, info_object(mds[i]));
	dm_put_all(mds, n);
	return 0;
}

/* Does the live table of @md have a target of type @type?  A device
 * without a live table (or gone meanwhile) has none. */
static bool has_target(struct mapped_device *md, const char *type)
{
	char *text = NULL, *save = NULL;
	bool found = false;

	if (md_format(md, STATUSTYPE_TABLE, false, &text))
		return false;
	for (char *l = strtok_r(text, "\n", &save); l && !found; l = strtok_r(NULL, "\n", &save))
		found = line_has_type(l, type);
	free(text);
	return found;
}

/* Names with major:minor; with @target only devices whose live table has
 * a target of that type. */
static int m_ls(struct call *c)
{
	const char *target = p_str(c, "target");
	struct mapped_device **mds;
	unsigned n;
	int ret = dm_get_all(c->dm, &mds, &n);

	if (ret)
		return dm_fail(c, ret, NULL, NULL);
	c->result = json_object_new_array();
	for (unsigned i = 0; i < n; i++) {
		if (!target || has_target(mds[i], target))
			json_object_array_add(c->result, device_brief(mds[i]));
	}
	dm_put_all(mds, n);
	return 0;
}

static int m_deps(struct call *c)
{
	struct mapped_device **mds;
	unsigned n;
	int ret = select_devices(c, &mds, &n);

	if (ret)
		return ret;
	c->result = json_object_new_array();
	for (unsigned i = 0; i < n; i++) {
		struct json_object *o;
		char *text = NULL;

		ret = md_deps(mds[i], &text);
		if (ret) {
			char name[DM_NAME_LEN];

			copy_name(mds[i], name);
			ret = dm_fail(c, ret, NULL, name);
			break;
		}
		o = json_object_new_object();
		json_object_object_add(o, "name", name_of(mds[i]));
		json_object_object_add(o, "deps", split_lines(text, NULL));
		free(text);
		json_object_array_add(c->result, o);
	}
	dm_put_all(mds, n);
	if (ret) {
		json_object_put(c->result);
		c->result = NULL;
	}
	return ret;
}

static void add_target_type(void *opaque, const struct target_type *tt)
{
	struct json_object *a = opaque, *o = json_object_new_object(), *v = json_object_new_array();

	for (int i = 0; i < 3; i++)
		json_object_array_add(v, json_object_new_int((int)tt->version[i]));
	json_object_object_add(o, "name", json_object_new_string(tt->name));
	json_object_object_add(o, "version", v);
	json_object_array_add(a, o);
}

static int m_targets(struct call *c)
{
	c->result = json_object_new_array();
	dm_list_target_types(c->dm, add_target_type, c->result);
	return 0;
}

static int m_version(struct call *c)
{
	c->result = json_object_new_object();
	json_object_object_add(c->result, "library", json_object_new_string(ULVM_VERSION));
	json_object_object_add(c->result, "driver", json_object_new_string(ULVM_VERSION));
	return 0;
}

#define NAME { "name", P_STR, true }
#define OPT_NAME { "name", P_STR, false }

static const struct method methods[] = {
	{ "create", m_create, { NAME, { "uuid", P_STR, false }, { "table", P_STR, false },
				{ "cwd", P_STR, false }, { "readonly", P_BOOL, false },
				{ "notable", P_BOOL, false }, { "export", P_STR, false } } },
	{ "load", m_load, { NAME, { "table", P_STR, true }, { "cwd", P_STR, false }, { "readonly", P_BOOL, false } } },
	{ "clear", m_clear, { NAME } },
	{ "suspend", m_suspend, { NAME, { "noflush", P_BOOL, false }, { "nolockfs", P_BOOL, false } } },
	{ "resume", m_resume, { NAME } },
	{ "remove", m_remove, { NAME, { "force", P_BOOL, false } } },
	{ "remove_all", m_remove_all, { { "force", P_BOOL, false } } },
	{ "rename", m_rename,
	  { NAME, { "new_name", P_STR, false }, { "new_uuid", P_STR, false }, { "new_export", P_STR, false } } },
	{ "message", m_message, { NAME, { "sector", P_U64, true }, { "message", P_STR, true } } },
	{ "table", m_table, { OPT_NAME, { "inactive", P_BOOL, false }, { "target", P_STR, false },
			      { "showkeys", P_BOOL, false } } },
	{ "status", m_status, { OPT_NAME, { "inactive", P_BOOL, false }, { "target", P_STR, false } } },
	{ "info", m_info, { OPT_NAME } },
	{ "ls", m_ls, { { "target", P_STR, false } } },
	{ "deps", m_deps, { OPT_NAME } },
	{ "targets", m_targets, { { NULL, P_STR, false } } },
	{ "version", m_version, { { NULL, P_STR, false } } },
};

static const char *ptype_name(enum ptype t)
{
	switch (t) {
	case P_STR: return "a string";
	case P_BOOL: return "a boolean";
	case P_U64: return "a non-negative integer";
	}
	return "?";
}

static bool type_ok(struct json_object *o, enum ptype t)
{
	switch (t) {
	case P_STR:
		/* A NUL inside would cut the string short under C. */
		return json_object_is_type(o, json_type_string) &&
		       strlen(json_object_get_string(o)) == (size_t)json_object_get_string_len(o);
	case P_BOOL:
		return json_object_is_type(o, json_type_boolean);
	case P_U64:
		if (!json_object_is_type(o, json_type_int))
			return false;
		if (json_object_get_int64(o) < 0)
			return false;
		/* json-c saturates what does not fit. */
		return json_object_get_uint64(o) != UINT64_MAX;
	}
	return false;
}

static int check_params(struct call *c, const struct method *m)
{
	if (c->params && !json_object_is_type(c->params, json_type_object))
		return fail(c, JSONRPC_INVALID_PARAMS, 0, "params must be an object");
	if (c->params) {
		json_object_object_foreach(c->params, key, val) {
			const struct param *p = NULL;

			for (const struct param *q = m->params; q->name; q++) {
				if (!strcmp(q->name, key))
					p = q;
			}
			if (!p)
				return fail(c, JSONRPC_INVALID_PARAMS, 0, "%s: unknown parameter '%s'",
					    m->name, key);
			if (json_object_is_type(val, json_type_null) && !p->required)
				continue;
			if (!type_ok(val, p->type))
				return fail(c, JSONRPC_INVALID_PARAMS, 0, "%s: parameter '%s' must be %s",
					    m->name, key, ptype_name(p->type));
		}
	}
	for (const struct param *p = m->params; p->name; p++) {
		struct json_object *o;

		if (p->required && (!json_object_object_get_ex(c->params, p->name, &o) ||
				    json_object_is_type(o, json_type_null)))
			return fail(c, JSONRPC_INVALID_PARAMS, 0, "%s: missing parameter '%s'",
				    m->name, p->name);
	}
	return 0;
}

int methods_call(struct dm_context *dm, const char *method, struct json_object *params,
		 struct json_object **result, struct rpc_error *err)
{
	struct call c = { .dm = dm, .params = params, .err = err };
	const struct method *m = NULL;
	int ret;

	for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
		if (!strcmp(methods[i].name, method))
			m = &methods[i];
	}
	if (!m)
		return fail(&c, JSONRPC_METHOD_NOT_FOUND, 0, "unknown method '%s'", method);
	ret = check_params(&c, m);
	if (ret)
		return ret;
	ret = m->fn(&c);
	if (ret) {
		json_object_put(c.result);
		return ret;
	}
	/* Methods that only act answer with an empty object. */
	*result = c.result ? c.result : json_object_new_object();
	return 0;
}
