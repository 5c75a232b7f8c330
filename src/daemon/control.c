/* Connection threads of the control socket.
 *
 * Each thread reads a line, checks the JSON-RPC envelope here and hands
 * method and params to methods_call; whatever is wrong with one request
 * gets an error response and the connection goes on.  Threads are
 * detached and listed in struct control, so shutdown can cut their input
 * (shutdown(SHUT_RD) wakes a blocked read) and wait for the list to
 * empty: after control_wait no thread touches the dm context any more.
 */
#include "daemon/control.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/jsonrpc.h"
#include "daemon/methods.h"

struct conn {
	struct conn *next, *prev;
	struct control *ctl;
	int fd;
};

struct control {
	struct dm_context *dm;
	pthread_mutex_t lock;
	pthread_cond_t cond; /* a connection ended */
	struct conn *conns;
	bool stopping;
};

int control_new(struct dm_context *dm, struct control **out)
{
	struct control *ctl = calloc(1, sizeof(*ctl));

	if (!ctl)
		return -ENOMEM;
	ctl->dm = dm;
	pthread_mutex_init(&ctl->lock, NULL);
	pthread_cond_init(&ctl->cond, NULL);
	*out = ctl;
	return 0;
}

void control_free(struct control *ctl)
{
	if (!ctl)
		return;
	pthread_cond_destroy(&ctl->cond);
	pthread_mutex_destroy(&ctl->lock);
	free(ctl);
}

/* Is @o usable as a request id (string, number or null)? */
static bool id_ok(struct json_object *o)
{
	switch (json_object_get_type(o)) {
	case json_type_null:
	case json_type_string:
	case json_type_int:
	case json_type_double:
		return true;
	default:
		return false;
	}
}

static struct json_object *bad_request(struct json_object *id, int code, const char *msg)
{
	return jsonrpc_error(json_object_get(id), code, msg, NULL);
}

/* Answer one line: a response, or NULL for a notification. */
static struct json_object *handle_line(struct control *ctl, const char *line, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	struct json_object *req, *id = NULL, *o, *params = NULL, *result = NULL, *resp;
	struct rpc_error err = { 0 };
	enum json_tokener_error jerr;
	const char *method;
	bool has_id;
	size_t end;

	if (!tok)
		return jsonrpc_error(NULL, JSONRPC_INTERNAL_ERROR, "out of memory", NULL);
	req = json_tokener_parse_ex(tok, line, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (jerr == json_tokener_continue)
		jerr = json_tokener_error_parse_eof;
	if (!req || jerr != json_tokener_success) {
		char msg[256];

		json_object_put(req);
		snprintf(msg, sizeof(msg), "parse error: %s", json_tokener_error_desc(jerr));
		return jsonrpc_error(NULL, JSONRPC_PARSE_ERROR, msg, NULL);
	}
	if (strspn(line + end, " \t\r") != len - end) {
		json_object_put(req);
		return jsonrpc_error(NULL, JSONRPC_PARSE_ERROR,
				     "parse error: data after the request object", NULL);
	}

	if (json_object_is_type(req, json_type_array)) {
		resp = bad_request(NULL, JSONRPC_INVALID_REQUEST, "batch requests are not supported");
		goto out;
	}
	if (!json_object_is_type(req, json_type_object)) {
		resp = bad_request(NULL, JSONRPC_INVALID_REQUEST, "a request must be a JSON object");
		goto out;
	}
	has_id = json_object_object_get_ex(req, "id", &id);
	if (has_id && !id_ok(id)) {
		resp = bad_request(NULL, JSONRPC_INVALID_REQUEST,
				   "id must be a string, a number or null");
		goto out;
	}
	if (!json_object_object_get_ex(req, "jsonrpc", &o) ||
	    !json_object_is_type(o, json_type_string) || strcmp(json_object_get_string(o), "2.0")) {
		resp = bad_request(id, JSONRPC_INVALID_REQUEST, "jsonrpc must be \"2.0\"");
		goto out;
	}
	if (!json_object_object_get_ex(req, "method", &o) || !json_object_is_type(o, json_type_string)) {
		resp = bad_request(id, JSONRPC_INVALID_REQUEST, "method must be a string");
		goto out;
	}
	method = json_object_get_string(o);
	json_object_object_get_ex(req, "params", &params);
	if (params && json_object_is_type(params, json_type_null))
		params = NULL;

	log_debug("control: %s", line);
	if (methods_call(ctl->dm, method, params, &result, &err)) {
		struct json_object *data = NULL;

		if (err.errnum) {
			data = json_object_new_object();
			json_object_object_add(data, "errno", json_object_new_int(err.errnum));
		}
		log_debug("control: %s failed: %s", method, err.msg);
		resp = jsonrpc_error(json_object_get(id), err.code, err.msg, data);
	} else {
		resp = jsonrpc_result(json_object_get(id), result);
	}
	/* A notification is answered by nothing (JSON-RPC 2.0, section 4.1). */
	if (!has_id) {
		json_object_put(resp);
		resp = NULL;
	}
out:
	json_object_put(req);
	return resp;
}

static void *conn_thread(void *arg)
{
	struct conn *c = arg;
	struct control *ctl = c->ctl;
	struct jsonrpc_reader rd;
	char *line;
	size_t len;
	int ret;

	jsonrpc_reader_init(&rd, c->fd, JSONRPC_MAX_LINE);
	for (;;) {
		struct json_object *resp;
		bool stopping;

		ret = jsonrpc_read_line(&rd, &line, &len);
		pthread_mutex_lock(&ctl->lock);
		stopping = ctl->stopping;
		pthread_mutex_unlock(&ctl->lock);
		if (ret == 0 || stopping)
			break;
		if (ret == -EMSGSIZE) {
			resp = jsonrpc_error(NULL, JSONRPC_INVALID_REQUEST,
					     "request too long (over 1 MiB)", NULL);
		} else if (ret < 0) {
			log_debug("control: read: %s", strerror(-ret));
			break;
		} else {
			resp = handle_line(ctl, line, len);
		}
		if (!resp)
			continue;
		ret = jsonrpc_write(c->fd, resp);
		json_object_put(resp);
		if (ret) {
			log_debug("control: write: %s", strerror(-ret));
			break;
		}
	}
	jsonrpc_reader_free(&rd);

	pthread_mutex_lock(&ctl->lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		ctl->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	close(c->fd);
	free(c);
	pthread_cond_broadcast(&ctl->cond);
	pthread_mutex_unlock(&ctl->lock);
	return NULL;
}

int control_serve(struct control *ctl, int fd)
{
	struct conn *c = calloc(1, sizeof(*c));
	pthread_attr_t attr;
	pthread_t th;
	int ret;

	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->ctl = ctl;
	c->fd = fd;
	pthread_mutex_lock(&ctl->lock);
	if (ctl->stopping) {
		pthread_mutex_unlock(&ctl->lock);
		close(fd);
		free(c);
		return -ESHUTDOWN;
	}
	c->next = ctl->conns;
	if (c->next)
		c->next->prev = c;
	ctl->conns = c;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	ret = -pthread_create(&th, &attr, conn_thread, c);
	pthread_attr_destroy(&attr);
	if (ret) {
		ctl->conns = c->next;
		if (c->next)
			c->next->prev = NULL;
		close(fd);
		free(c);
	}
	pthread_mutex_unlock(&ctl->lock);
	return ret;
}

void control_stop(struct control *ctl)
{
	pthread_mutex_lock(&ctl->lock);
	ctl->stopping = true;
	for (struct conn *c = ctl->conns; c; c = c->next)
		shutdown(c->fd, SHUT_RD);
	pthread_mutex_unlock(&ctl->lock);
}

/* Running requests get STOP_GRACE_SECONDS to answer; after that a client
 * that does not read its responses cannot hold a thread in send(). */
#define STOP_GRACE_SECONDS 5

void control_wait(struct control *ctl)
{
	struct timespec deadline;
	bool cut = false;

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += STOP_GRACE_SECONDS;
	pthread_mutex_lock(&ctl->lock);
	while (ctl->conns) {
		if (cut) {
			pthread_cond_wait(&ctl->cond, &ctl->lock);
		} else if (pthread_cond_timedwait(&ctl->cond, &ctl->lock, &deadline) == ETIMEDOUT) {
			for (struct conn *c = ctl->conns; c; c = c->next)
				shutdown(c->fd, SHUT_RDWR);
			cut = true;
		}
	}
	pthread_mutex_unlock(&ctl->lock);
}
