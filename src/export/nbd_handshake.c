/* Fixed newstyle option haggling, run by the connection's reader before
 * transmission.  Every option is read whole (at most NBD_MAX_OPTION bytes,
 * longer ones disconnect) and decoded by the pure functions of
 * nbd_proto.c; an option the stream survives gets an error reply.
 *
 * Clients that do not set NBD_FLAG_C_FIXED_NEWSTYLE are served the same way
 * (the protocol allows it); they only ever send NBD_OPT_EXPORT_NAME.
 *
 * TLS (nbd_tls.c).  NBD_OPT_STARTTLS is acknowledged in the clear, then
 * the TLS handshake runs and haggling starts over inside it: what was
 * negotiated before (structured replies, meta contexts) is forgotten, as
 * the protocol asks.  Bytes the client sent after STARTTLS, before the
 * handshake, would be taken as if they came through TLS: such a client is
 * disconnected.  With TLS required, every option but STARTTLS and ABORT
 * gets NBD_REP_ERR_TLS_REQD, and NBD_OPT_EXPORT_NAME (which has no error
 * reply) disconnects.
 */
#include "export/nbd_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

/* Options end with one of these, or 0 to read the next option. */
#define GO_TRANSMISSION 1

static int reply(struct nbd_conn *c, uint32_t opt, uint32_t type, const void *data, size_t len)
{
	uint8_t h[NBD_OPTION_REPLY_SIZE];
	struct iovec iov[2] = { { h, sizeof(h) }, { (void *)data, len } };

	nbd_encode_option_reply(h, opt, type, (uint32_t)len);
	return nbd_send(c, iov, len ? 2 : 1);
}

static int reply_error(struct nbd_conn *c, uint32_t opt, uint32_t type, const char *msg)
{
	log_debug("nbd: connection %u: option %u: %s", c->id, opt, msg);
	return reply(c, opt, type, msg, strlen(msg));
}

static uint16_t export_flags(const struct dev *d)
{
	uint16_t f = NBD_FLAG_HAS_FLAGS | NBD_FLAG_SEND_FLUSH | NBD_FLAG_SEND_FUA |
		     NBD_FLAG_CAN_MULTI_CONN | NBD_FLAG_SEND_CACHE;

	if (d->read_only)
		f |= NBD_FLAG_READ_ONLY;
	else
		f |= NBD_FLAG_SEND_TRIM | NBD_FLAG_SEND_WRITE_ZEROES | NBD_FLAG_SEND_FAST_ZERO;
	return f;
}

/* A client's export name as a C string ("" is the default export); the
 * decoders already refused NUL bytes and names over NBD_MAX_STRING. */
static char *name_dup(const uint8_t *name, uint32_t len)
{
	char *s = malloc((size_t)len + 1);

	if (s) {
		memcpy(s, name, len);
		s[len] = '\0';
	}
	return s;
}

static const char *resolve(struct nbd_conn *c, const char *name)
{
	return name[0] ? name : c->s->exports.default_export;
}

static struct dev *open_export(struct nbd_conn *c, const char *name)
{
	const struct nbd_exports *ex = &c->s->exports;

	name = resolve(c, name);
	return name ? ex->open(ex->opaque, name) : NULL;
}

static void close_export(struct nbd_conn *c, struct dev *d)
{
	c->s->exports.close(c->s->exports.opaque, d);
}

/* NBD_OPT_LIST and NBD_INFO_DESCRIPTION go through exports->list.  The
 * replies are collected first and sent after it returns, so a slow client
 * never holds whatever lock the owner takes around the walk. */
struct listing {
	const char *want;   /* NULL: collect every export; else its description */
	uint8_t *buf;       /* entries: len32, NBD_REP_SERVER payload */
	size_t len, cap;
	int err;
};

static void list_cb(void *arg, const char *name, const char *desc)
{
	struct listing *l = arg;
	size_t nl = strnlen(name, NBD_MAX_STRING), dl = desc ? strnlen(desc, NBD_MAX_STRING) : 0;
	size_t need = l->want ? dl : 8 + nl + dl;

	if (l->err || (l->want && strcmp(l->want, name)))
		return;
	if (l->len + need > l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 4096;
		uint8_t *b;

		while (cap < l->len + need)
			cap *= 2;
		if (cap > (16u << 20) || !(b = realloc(l->buf, cap))) {
			l->err = -ENOMEM;
			return;
		}
		l->buf = b;
		l->cap = cap;
	}
	if (l->want) {
		if (dl)
			memcpy(l->buf, desc, dl);
		l->len = dl;
		return;
	}
	nbd_put32(l->buf + l->len, (uint32_t)(4 + nl + dl));
	nbd_put32(l->buf + l->len + 4, (uint32_t)nl);
	memcpy(l->buf + l->len + 8, name, nl);
	if (dl)
		memcpy(l->buf + l->len + 8 + nl, desc, dl);
	l->len += 8 + nl + dl;
}

static int opt_list(struct nbd_conn *c, uint32_t opt, uint32_t len)
{
	const struct nbd_exports *ex = &c->s->exports;
	struct listing l = { 0 };
	size_t pos;
	int r = 0;

	if (len)
		return reply_error(c, opt, NBD_REP_ERR_INVALID, "LIST takes no data");
	if (ex->list)
		ex->list(ex->opaque, list_cb, &l);
	if (l.err)
		r = reply_error(c, opt, NBD_REP_ERR_TOO_BIG, "too many exports");
	for (pos = 0; !r && !l.err && pos < l.len;) {
		uint32_t n = nbd_get32(l.buf + pos);
		r = reply(c, opt, NBD_REP_SERVER, l.buf + pos + 4, n);
		pos += 4 + n;
	}
	if (!r && !l.err)
		r = reply(c, opt, NBD_REP_ACK, NULL, 0);
	free(l.buf);
	return r;
}

static int send_info(struct nbd_conn *c, uint32_t opt, uint16_t type, const void *data,
		     size_t len)
{
	uint8_t b[2 + NBD_MAX_STRING];

	nbd_put16(b, type);
	memcpy(b + 2, data, len);
	return reply(c, opt, NBD_REP_INFO, b, 2 + len);
}

/* NBD_OPT_INFO and NBD_OPT_GO: GO keeps the export open. */
static int opt_info(struct nbd_conn *c, uint32_t opt, const uint8_t *data, uint32_t len)
{
	const struct nbd_exports *ex = &c->s->exports;
	struct nbd_info_option io;
	bool want_name = false, want_desc = false;
	uint8_t b[14];
	struct dev *d;
	char *name;
	const char *canon;
	unsigned i;
	int r;

	if (nbd_decode_info_option(data, len, &io))
		return reply_error(c, opt, NBD_REP_ERR_INVALID, "malformed INFO/GO request");
	for (i = 0; i < io.nreqs; i++) {
		uint16_t t = nbd_get16(io.reqs + 2 * i);
		want_name |= t == NBD_INFO_NAME;
		want_desc |= t == NBD_INFO_DESCRIPTION;
	}
	name = name_dup(io.name, io.name_len);
	if (!name)
		return -ENOMEM;
	canon = resolve(c, name);
	d = open_export(c, name);
	if (!d) {
		r = reply_error(c, opt, NBD_REP_ERR_UNKNOWN, "no such export");
		goto out;
	}
	c->tflags = export_flags(d);
	nbd_put64(b, d->size);
	nbd_put16(b + 8, c->tflags);
	r = send_info(c, opt, NBD_INFO_EXPORT, b, 10);
	if (!r && want_name)
		r = send_info(c, opt, NBD_INFO_NAME, canon, strnlen(canon, NBD_MAX_STRING));
	if (!r && want_desc && ex->list) {
		struct listing l = { .want = canon };
		ex->list(ex->opaque, list_cb, &l);
		if (l.len)
			r = send_info(c, opt, NBD_INFO_DESCRIPTION, l.buf, l.len);
		free(l.buf);
	}
	/* Minimum 1: the dev_*() calls take any byte range. */
	nbd_put32(b, 1);
	nbd_put32(b + 4, 4096);
	nbd_put32(b + 8, c->s->cfg.max_request);
	if (!r)
		r = send_info(c, opt, NBD_INFO_BLOCK_SIZE, b, 12);
	if (!r)
		r = reply(c, opt, NBD_REP_ACK, NULL, 0);
	if (!r && opt == NBD_OPT_GO) {
		/* Block status only for the export the contexts were set on. */
		if (c->meta_export && strcmp(c->meta_export, name))
			nbd_meta_clear(c);
		c->dev = d;
		r = GO_TRANSMISSION;
	} else {
		close_export(c, d);
	}
out:
	free(name);
	return r;
}

void nbd_meta_clear(struct nbd_conn *c)
{
	const struct nbd_exports *ex = &c->s->exports;

	for (unsigned i = 0; i < c->nmeta; i++)
		ex->close_context(ex->opaque, c->meta[i]);
	c->nmeta = 0;
	c->meta_alloc = false;
	free(c->meta_export);
	c->meta_export = NULL;
}

/* A query names one context, or a whole namespace when it ends in ':'
 * (LIST only: "base:" lists base:allocation and selects nothing). */
static bool query_matches(const uint8_t *q, uint32_t qlen, const char *ctx, bool list)
{
	size_t n = strlen(ctx);

	if (qlen == n && !memcmp(q, ctx, n))
		return true;
	return list && qlen && q[qlen - 1] == ':' && qlen <= n && !memcmp(q, ctx, qlen);
}

/* The owner's contexts of one export, collected before any reply. */
struct ctx_list {
	char **names;
	unsigned n, cap;
	bool nomem;
};

static void ctx_add(void *arg, const char *ctx)
{
	struct ctx_list *l = arg;

	if (l->nomem || strlen(ctx) > NBD_MAX_STRING)
		return;
	if (l->n == l->cap) {
		unsigned cap = l->cap ? 2 * l->cap : 16;
		char **p = realloc(l->names, cap * sizeof(*p));

		if (!p) {
			l->nomem = true;
			return;
		}
		l->names = p;
		l->cap = cap;
	}
	if (!(l->names[l->n] = strdup(ctx)))
		l->nomem = true;
	else
		l->n++;
}

static int reply_ctx(struct nbd_conn *c, uint32_t opt, uint32_t id, const char *ctx)
{
	size_t n = strlen(ctx);
	uint8_t *b = malloc(4 + n);
	int r;

	if (!b)
		return -ENOMEM;
	nbd_put32(b, id);
	memcpy(b + 4, ctx, n);
	r = reply(c, opt, NBD_REP_META_CONTEXT, b, 4 + n);
	free(b);
	return r;
}

/* LIST: every context a query matches (all without queries).  SET: the
 * contexts named exactly, each once, with the ids BLOCK_STATUS uses. */
static int opt_meta(struct nbd_conn *c, uint32_t opt, const uint8_t *data, uint32_t len)
{
	static const char alloc[] = NBD_META_BASE_ALLOCATION;
	const struct nbd_exports *ex = &c->s->exports;
	bool list = opt == NBD_OPT_LIST_META_CONTEXT;
	struct ctx_list cl = { 0 };
	struct nbd_meta_option mo;
	const uint8_t *q;
	uint32_t qlen;
	size_t pos = 0;
	struct dev *d;
	const char *canon;
	char *name;
	int r = 0;

	if (!list) { /* SET replaces the selection, even when it fails */
		nbd_meta_clear(c);
		if (!c->structured)
			return reply_error(c, opt, NBD_REP_ERR_INVALID,
					   "structured replies were not negotiated");
	}
	if (nbd_decode_meta_option(data, len, &mo))
		return reply_error(c, opt, NBD_REP_ERR_INVALID, "malformed meta context request");
	name = name_dup(mo.name, mo.name_len);
	if (!name)
		return -ENOMEM;
	d = open_export(c, name);
	if (!d) {
		r = reply_error(c, opt, NBD_REP_ERR_UNKNOWN, "no such export");
		free(name);
		return r;
	}
	close_export(c, d);
	canon = resolve(c, name);
	if (list && ex->list_contexts && canon)
		ex->list_contexts(ex->opaque, canon, ctx_add, &cl);
	if (cl.nomem)
		r = -ENOMEM;

	if (list && !mo.nqueries) {
		r = r ? r : reply_ctx(c, opt, 0, alloc);
		for (unsigned i = 0; i < cl.n && !r; i++)
			r = reply_ctx(c, opt, 0, cl.names[i]);
	}
	while (!r && mo.nqueries && nbd_meta_next_query(&mo, &pos, &q, &qlen)) {
		if (query_matches(q, qlen, alloc, list)) {
			if (!list && c->meta_alloc)
				continue;
			r = reply_ctx(c, opt, list ? 0 : NBD_META_ID_ALLOCATION, alloc);
			c->meta_alloc = !list || c->meta_alloc;
		} else if (list) {
			for (unsigned i = 0; i < cl.n && !r; i++)
				if (query_matches(q, qlen, cl.names[i], true))
					r = reply_ctx(c, opt, 0, cl.names[i]);
		} else if (ex->open_context && c->nmeta < NBD_MAX_META && canon) {
			char *ctx = name_dup(q, qlen);
			void *h;

			if (!ctx) {
				r = -ENOMEM;
			} else if (!memchr(q, 0, qlen) &&
				   ex->open_context(ex->opaque, canon, ctx, &h) == 0) {
				c->meta[c->nmeta++] = h;
				r = reply_ctx(c, opt, NBD_META_ID_ALLOCATION + c->nmeta, ctx);
			}
			free(ctx);
		}
	}
	for (unsigned i = 0; i < cl.n; i++)
		free(cl.names[i]);
	free(cl.names);
	if (!r && !list && (c->meta_alloc || c->nmeta)) {
		c->meta_export = name;
		name = NULL;
	}
	if (!r)
		r = reply(c, opt, NBD_REP_ACK, NULL, 0);
	free(name);
	return r;
}

/* NBD_OPT_EXPORT_NAME: no way to reply an error, so failing disconnects. */
static int opt_export_name(struct nbd_conn *c, const uint8_t *data, uint32_t len)
{
	uint8_t b[10 + NBD_EXPORT_NAME_ZEROES] = { 0 };
	struct iovec iov = { b, sizeof(b) };
	struct dev *d;
	char *name;
	int r;

	if (len > NBD_MAX_STRING || memchr(data, 0, len))
		return -EINVAL;
	name = name_dup(data, len);
	if (!name)
		return -ENOMEM;
	d = open_export(c, name);
	if (!d) {
		log_info("nbd: connection %u: no export '%s'", c->id, name);
		free(name);
		return -ENOENT;
	}
	if (c->meta_export && strcmp(c->meta_export, name))
		nbd_meta_clear(c);
	free(name);
	c->tflags = export_flags(d);
	nbd_put64(b, d->size);
	nbd_put16(b + 8, c->tflags);
	if (c->no_zeroes)
		iov.iov_len = 10;
	r = nbd_send(c, &iov, 1);
	if (r) {
		close_export(c, d);
		return r;
	}
	c->dev = d;
	return GO_TRANSMISSION;
}

static int opt_starttls(struct nbd_conn *c, uint32_t opt, uint32_t len)
{
	int r;

	if (c->tls_mode == NBD_TLS_OFF)
		return reply_error(c, opt, NBD_REP_ERR_UNSUP, "TLS is not enabled on this server");
	if (c->tls)
		return reply_error(c, opt, NBD_REP_ERR_INVALID, "TLS is on already");
	if (len)
		return reply_error(c, opt, NBD_REP_ERR_INVALID, "STARTTLS takes no data");
	if (nbd_buffered(c)) {
		log_info("nbd: connection %u: data sent after STARTTLS before the TLS handshake, disconnecting",
			 c->id);
		return -EPROTO;
	}
	r = reply(c, opt, NBD_REP_ACK, NULL, 0);
	if (!r)
		r = nbd_tls_start(c);
	if (!r) {
		c->structured = false;
		nbd_meta_clear(c);
	}
	return r;
}

/* TLS is required and not on yet: 0 to go on with the option, 1 when it
 * was refused (the next option follows), or -errno to disconnect. */
static int tls_gate(struct nbd_conn *c, uint32_t opt)
{
	int r;

	switch (opt) {
	case NBD_OPT_STARTTLS:
	case NBD_OPT_ABORT:
		return 0;
	case NBD_OPT_EXPORT_NAME:
		log_info("nbd: connection %u: export chosen before STARTTLS, TLS is required; disconnecting",
			 c->id);
		return -EACCES;
	default:
		if (!c->tls_refused++)
			log_info("nbd: connection %u: options before STARTTLS refused (first: %u), TLS is required",
				 c->id, opt);
		r = reply(c, opt, NBD_REP_ERR_TLS_REQD, "TLS is required", 15);
		return r ? r : 1;
	}
}

static int option(struct nbd_conn *c, const struct nbd_option *o, const uint8_t *data)
{
	if (c->tls_mode == NBD_TLS_REQUIRE && !c->tls) {
		int r = tls_gate(c, o->option);

		if (r)
			return r > 0 ? 0 : r;
	}
	switch (o->option) {
	case NBD_OPT_STARTTLS:
		return opt_starttls(c, o->option, o->length);
	case NBD_OPT_EXPORT_NAME:
		return opt_export_name(c, data, o->length);
	case NBD_OPT_ABORT:
		/* Reply if the client still listens; either way we are done. */
		reply(c, o->option, NBD_REP_ACK, NULL, 0);
		return -ECONNABORTED;
	case NBD_OPT_LIST:
		return opt_list(c, o->option, o->length);
	case NBD_OPT_INFO:
	case NBD_OPT_GO:
		return opt_info(c, o->option, data, o->length);
	case NBD_OPT_STRUCTURED_REPLY:
		if (o->length)
			return reply_error(c, o->option, NBD_REP_ERR_INVALID,
					   "STRUCTURED_REPLY takes no data");
		c->structured = true;
		return reply(c, o->option, NBD_REP_ACK, NULL, 0);
	case NBD_OPT_LIST_META_CONTEXT:
	case NBD_OPT_SET_META_CONTEXT:
		return opt_meta(c, o->option, data, o->length);
	default:
		return reply_error(c, o->option, NBD_REP_ERR_UNSUP, "option not supported");
	}
}

int nbd_handshake(struct nbd_conn *c)
{
	uint8_t hello[NBD_HELLO_SIZE], b[NBD_OPTION_HDR_SIZE];
	struct iovec iov = { hello, sizeof(hello) };
	uint32_t flags;
	int r;

	nbd_encode_hello(hello, NBD_FLAG_FIXED_NEWSTYLE | NBD_FLAG_NO_ZEROES);
	r = nbd_send(c, &iov, 1);
	if (!r)
		r = nbd_recv(c, b, 4);
	if (r)
		return r;
	if (nbd_decode_client_flags(b, 4, &flags)) {
		log_info("nbd: connection %u: unknown client flags %#x, disconnecting", c->id,
			 nbd_get32(b));
		return -EPROTO;
	}
	c->no_zeroes = flags & NBD_FLAG_C_NO_ZEROES;

	for (r = 0; !r;) {
		struct nbd_option o;
		uint8_t *data;

		if (atomic_load(&c->s->stopping))
			return -ESHUTDOWN;
		r = nbd_recv(c, b, sizeof(b));
		if (r)
			return r;
		if (nbd_decode_option(b, sizeof(b), &o)) {
			log_info("nbd: connection %u: bad option magic, disconnecting", c->id);
			return -EPROTO;
		}
		if (o.length > NBD_MAX_OPTION) {
			log_info("nbd: connection %u: %u-byte option, disconnecting", c->id,
				 o.length);
			return -EMSGSIZE;
		}
		data = malloc(o.length ? o.length : 1);
		if (!data)
			return -ENOMEM;
		r = nbd_recv(c, data, o.length);
		if (!r)
			r = option(c, &o, data);
		free(data);
	}
	return r == GO_TRANSMISSION ? 0 : r;
}
