/* JSON-RPC 2.0 over a stream socket, one message per line.
 *
 * Shared by ulvmd (the server side: read a line, answer it) and ulvm (the
 * client side: send a request, wait for its response).  A line is at most
 * JSONRPC_MAX_LINE bytes; a longer one is reported once and skipped up to
 * its newline, so one bad request never desynchronises the stream.  The
 * methods themselves are in docs/CONTROL.md.
 */
#ifndef ULVM_COMMON_JSONRPC_H
#define ULVM_COMMON_JSONRPC_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/log.h"

#define JSONRPC_MAX_LINE (1u << 20)

/* Error codes: the first five are JSON-RPC 2.0's own, the last is ours
 * for a failed operation (its data member is {"errno": N}). */
#define JSONRPC_PARSE_ERROR      (-32700)
#define JSONRPC_INVALID_REQUEST  (-32600)
#define JSONRPC_METHOD_NOT_FOUND (-32601)
#define JSONRPC_INVALID_PARAMS   (-32602)
#define JSONRPC_INTERNAL_ERROR   (-32603)
#define JSONRPC_DEVICE_ERROR     (-32000)

struct jsonrpc_reader {
	int fd;
	size_t max;     /* longest line accepted */
	char *buf;
	size_t cap;
	size_t pos;     /* start of unread data */
	size_t len;     /* end of data */
	bool skipping;  /* discarding the rest of an over-long line */
};

void jsonrpc_reader_init(struct jsonrpc_reader *r, int fd, size_t max);
void jsonrpc_reader_free(struct jsonrpc_reader *r);
/* Next non-blank line, NUL-terminated, without its newline; valid until
 * the next call.  Returns 1, 0 at end of stream, -EMSGSIZE once for a line
 * over the limit (the rest of it is skipped), or -errno. */
int jsonrpc_read_line(struct jsonrpc_reader *r, char **line, size_t *len);

/* Send @msg as one line.  Does not take the reference. */
int jsonrpc_write(int fd, struct json_object *msg);

/* Builders; each takes the references it is given (@id, @result, @data,
 * @params may be NULL). */
struct json_object *jsonrpc_result(struct json_object *id, struct json_object *result);
struct json_object *jsonrpc_error(struct json_object *id, int code, const char *message,
				  struct json_object *data);
struct json_object *jsonrpc_request(int64_t id, const char *method, struct json_object *params);

/* The client side. */
struct jsonrpc_client {
	int fd;
	int64_t next_id;
	struct jsonrpc_reader rd;
};

/* Connect to the unix socket @path.  -ENOENT / -ECONNREFUSED mean no
 * daemon listens there. */
int jsonrpc_connect(const char *path, struct jsonrpc_client *c, struct err *e);
void jsonrpc_close(struct jsonrpc_client *c);
/* Send one request (takes @params) and wait for its response.  Returns 0
 * with *@result (the caller puts it; it may be NULL for a JSON null), or
 * -errno: the server's data.errno for an operation that failed, -EPROTO
 * for any other error response, with its message in @e and its code in
 * *@code (if not NULL); or a transport error. */
int jsonrpc_call(struct jsonrpc_client *c, const char *method, struct json_object *params,
		 struct json_object **result, int *code, struct err *e);

#endif
