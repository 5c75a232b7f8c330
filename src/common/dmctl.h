/* The client side of ulvmd's control socket (docs/CONTROL.md): one API
 * for every command that creates, reloads, messages or removes devices
 * (ulvm dmsetup, LV activation, thin pool transactions).
 *
 * A struct dmctl connects on first use, to the daemon of its run
 * directory (NULL: the default, common/rundir.h); when none listens,
 * dmctl_up() is false and d->why says why.  Calls return 0 or -errno
 * with the daemon's message in @e.  Not thread-safe: one per command.
 */
#ifndef ULVM_COMMON_DMCTL_H
#define ULVM_COMMON_DMCTL_H

#include <stdbool.h>
#include <stdint.h>

#include "common/jsonrpc.h"
#include "common/log.h"

struct dmctl {
	const char *run_dir; /* NULL: the default run directory */
	struct jsonrpc_client c;
	bool connected, tried;
	struct err why; /* why it could not connect */
};

/* Connect to the daemon of @run_dir; the message names the socket
 * tried when none listens there. */
int dmctl_connect(const char *run_dir, struct jsonrpc_client *c, struct err *e);
/* Connect once; false when no daemon runs (the reason in d->why). */
bool dmctl_up(struct dmctl *d);
void dmctl_close(struct dmctl *d);

/* @method with @params (consumed); *res (may be NULL) the answer. */
int dmctl_call(struct dmctl *d, const char *method, struct json_object *params, struct json_object **res,
	       struct err *e);
/* {"name": @name} */
struct json_object *dmctl_named(const char *name);
/* @method (suspend, resume, remove...) of device @name. */
int dmctl_simple(struct dmctl *d, const char *method, const char *name, struct err *e);

/* Device @name: 0 none, 1 there with @uuid, -EEXIST (with a message)
 * there with another uuid: a device that is not the one asked for is
 * never adopted or removed by its name alone. */
int dmctl_device(struct dmctl *d, const char *name, const char *uuid, struct err *e);
bool dmctl_exists(struct dmctl *d, const char *name);
/* Open, by one device's object in an "info" answer: an NBD client, a
 * FUSE file or another device's table holds it. */
bool dmctl_info_open(struct json_object *o);
/* Device @name is there and open (dmctl_info_open). */
bool dmctl_open(struct dmctl *d, const char *name);

struct dmctl_dev {
	const char *name, *uuid, *table;
	const char *export; /* NULL: not exported */
	int readonly;       /* 1 read-only, 0 read-write, -1 as before (reload) */
};
/* Create @dev unless a device of its name and uuid exists already. */
int dmctl_create(struct dmctl *d, const struct dmctl_dev *dev, struct err *e);
/* Load @dev's table into the existing device and resume it. */
int dmctl_reload(struct dmctl *d, const struct dmctl_dev *dev, struct err *e);
/* Remove @name when it exists. */
int dmctl_remove(struct dmctl *d, const char *name, struct err *e);
int dmctl_message(struct dmctl *d, const char *name, const char *msg, struct err *e);
/* The first status line of @name; *line malloc'ed. */
int dmctl_status(struct dmctl *d, const char *name, char **line, struct err *e);
/* The status line of @name's first target of type @type; -ENOENT: none. */
int dmctl_status_of(struct dmctl *d, const char *name, const char *type, char **line, struct err *e);
/* Rename @name to @new_name, and its export to @new_export (NULL: kept). */
int dmctl_rename(struct dmctl *d, const char *name, const char *new_name, const char *new_export,
		 struct err *e);

#endif
