#include "common/jsonrpc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/rundir.h"

#define READ_CHUNK (64u << 10)

void jsonrpc_reader_init(struct jsonrpc_reader *r, int fd, size_t max)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->max = max;
}

void jsonrpc_reader_free(struct jsonrpc_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = r->len = r->pos = 0;
}

/* Make room for READ_CHUNK more bytes after r->len. */
static int reader_reserve(struct jsonrpc_reader *r)
{
	size_t want;
	char *nb;

	if (r->pos) {
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
		r->len -= r->pos;
		r->pos = 0;
	}
	want = r->len + READ_CHUNK + 1;
	if (want <= r->cap)
		return 0;
	nb = realloc(r->buf, want);
	if (!nb)
		return -ENOMEM;
	r->buf = nb;
	r->cap = want;
	return 0;
}

int jsonrpc_read_line(struct jsonrpc_reader *r, char **line, size_t *len)
{
	size_t scanned = 0;

	for (;;) {
		char *start = r->buf + r->pos;
		size_t avail = r->len - r->pos;
		char *nl = avail > scanned ? memchr(start + scanned, '\n', avail - scanned) : NULL;
		ssize_t n;
		int ret;

		if (nl) {
			size_t l = (size_t)(nl - start);

			r->pos += l + 1;
			scanned = 0;
			if (r->skipping) {
				r->skipping = false;
				continue;
			}
			if (l > r->max)
				return -EMSGSIZE;
			if (l && start[l - 1] == '\r')
				l--;
			start[l] = '\0';
			if (strspn(start, " \t\r") == l)
				continue; /* blank line */
			*line = start;
			*len = l;
			return 1;
		}
		scanned = avail;
		if (r->skipping) {
			r->pos = r->len = 0;
			scanned = 0;
		} else if (avail > r->max) {
			r->skipping = true;
			r->pos = r->len = 0;
			return -EMSGSIZE;
		}
		ret = reader_reserve(r);
		if (ret)
			return ret;
		do {
			n = read(r->fd, r->buf + r->len, READ_CHUNK);
		} while (n < 0 && errno == EINTR);
		if (n < 0)
			return -errno;
		if (n == 0) {
			/* A last line without a newline still counts. */
			if (r->len > r->pos && !r->skipping) {
				r->buf[r->len++] = '\n';
				continue;
			}
			return 0;
		}
		r->len += (size_t)n;
	}
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == ENOTSOCK)
			n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int jsonrpc_write(int fd, struct json_object *msg)
{
	size_t len;
	const char *s = json_object_to_json_string_length(
		msg, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	char *line;
	int ret;

	if (!s)
		return -ENOMEM;
	/* One write per message, so the newline never travels alone. */
	line = malloc(len + 1);
	if (!line)
		return -ENOMEM;
	memcpy(line, s, len);
	line[len] = '\n';
	ret = write_all(fd, line, len + 1);
	free(line);
	return ret;
}

static struct json_object *envelope(struct json_object *id)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "jsonrpc", json_object_new_string("2.0"));
	json_object_object_add(o, "id", id);
	return o;
}

struct json_object *jsonrpc_result(struct json_object *id, struct json_object *result)
{
	struct json_object *o = envelope(id);

	json_object_object_add(o, "result", result);
	return o;
}

struct json_object *jsonrpc_error(struct json_object *id, int code, const char *message,
				  struct json_object *data)
{
	struct json_object *o = envelope(id), *err = json_object_new_object();

	json_object_object_add(err, "code", json_object_new_int(code));
	json_object_object_add(err, "message", json_object_new_string(message));
	if (data)
		json_object_object_add(err, "data", data);
	json_object_object_add(o, "error", err);
	return o;
}

struct json_object *jsonrpc_request(int64_t id, const char *method, struct json_object *params)
{
	struct json_object *o = envelope(json_object_new_int64(id));

	json_object_object_add(o, "method", json_object_new_string(method));
	if (params)
		json_object_object_add(o, "params", params);
	return o;
}

int jsonrpc_connect(const char *path, struct jsonrpc_client *c, struct err *e)
{
	struct sockaddr_un sa;
	socklen_t salen;
	int fd, ret;

	ret = rundir_sockaddr(path, &sa, &salen, e);
	if (ret)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set(e, -errno, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, salen)) {
		ret = -errno;
		close(fd);
		return err_set(e, ret, "cannot connect to %s: %s", path, strerror(-ret));
	}
	c->fd = fd;
	c->next_id = 1;
	/* Responses (a table of every device) may be larger than requests. */
	jsonrpc_reader_init(&c->rd, fd, 256u << 20);
	return 0;
}

void jsonrpc_close(struct jsonrpc_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	jsonrpc_reader_free(&c->rd);
}

/* Turn an error member into -errno and a message. */
static int decode_error(struct json_object *err, int *code, struct err *e)
{
	struct json_object *o, *data;
	const char *msg = "unknown error";
	int c = JSONRPC_INTERNAL_ERROR, ret = -EPROTO;

	if (json_object_object_get_ex(err, "code", &o))
		c = json_object_get_int(o);
	if (json_object_object_get_ex(err, "message", &o) && json_object_is_type(o, json_type_string))
		msg = json_object_get_string(o);
	if (json_object_object_get_ex(err, "data", &data) &&
	    json_object_object_get_ex(data, "errno", &o)) {
		int n = json_object_get_int(o);
		if (n > 0)
			ret = -n;
	}
	if (code)
		*code = c;
	return err_set(e, ret, "%s", msg);
}

int jsonrpc_call(struct jsonrpc_client *c, const char *method, struct json_object *params,
		 struct json_object **result, int *code, struct err *e)
{
	int64_t id = c->next_id++;
	struct json_object *req = jsonrpc_request(id, method, params), *resp, *o;
	enum json_tokener_error jerr;
	size_t len;
	char *line;
	int ret;

	if (code)
		*code = 0;
	*result = NULL;
	ret = jsonrpc_write(c->fd, req);
	json_object_put(req);
	if (ret)
		return err_set(e, ret, "sending request: %s", strerror(-ret));
	for (;;) {
		ret = jsonrpc_read_line(&c->rd, &line, &len);
		if (ret == 0)
			return err_set(e, -ECONNRESET, "the daemon closed the connection");
		if (ret < 0)
			return err_set(e, ret, "reading response: %s", strerror(-ret));
		resp = json_tokener_parse_verbose(line, &jerr);
		if (!resp || !json_object_is_type(resp, json_type_object)) {
			json_object_put(resp);
			return err_set(e, -EPROTO, "the daemon sent a malformed response");
		}
		/* One request is outstanding: its answer carries its id, or a
		 * null id when the server could not read it (too long). */
		if (json_object_object_get_ex(resp, "id", &o) &&
		    (!o || (json_object_is_type(o, json_type_int) && json_object_get_int64(o) == id)))
			break;
		json_object_put(resp);
	}
	if (json_object_object_get_ex(resp, "error", &o)) {
		ret = decode_error(o, code, e);
	} else if (json_object_object_get_ex(resp, "result", &o)) {
		*result = json_object_get(o);
		ret = 0;
	} else {
		ret = err_set(e, -EPROTO, "the daemon sent a response without result or error");
	}
	json_object_put(resp);
	return ret;
}
