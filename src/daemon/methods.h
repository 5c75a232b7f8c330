/* The control methods of ulvmd: one per dmsetup verb (docs/CONTROL.md). */
#ifndef ULVM_DAEMON_METHODS_H
#define ULVM_DAEMON_METHODS_H

#include <json-c/json.h>

#include "common/log.h"

struct dm_context;

/* Why a call failed: a JSON-RPC error code, the errno of a failed
 * operation (0 for protocol errors) and the message for the client. */
struct rpc_error {
	int code;
	int errnum;
	char msg[ERR_MSG_MAX];
};

/* Run @method with @params (an object, or NULL when absent).  Returns 0
 * with a new *@result, or -errno (-EINVAL for a protocol error) with @err
 * filled. */
int methods_call(struct dm_context *dm, const char *method, struct json_object *params,
		 struct json_object **result, struct rpc_error *err);

#endif
