/* One NBD connection in transmission: the reader loop, and the worker
 * side of a request.  See nbd.c for the threads and their ordering, and
 * nbd_io.c for how replies reach the socket.
 *
 * The reader consumes exactly the bytes each header announces, so the
 * stream stays in step after any error it replies to.  It checks a request
 * once (flags, range, size limits, read-only) before queueing it; the
 * dev_*() wrappers check the range again against the current size.
 */
#include "export/nbd_internal.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"

static void set_iov(struct nbd_req *q, void *head, size_t hlen, void *data, size_t dlen)
{
	q->iov[0] = (struct iovec){ head, hlen };
	q->iov[1] = (struct iovec){ data, dlen };
	q->niov = dlen ? 2 : 1;
}

static void reply_error(struct nbd_req *q, uint32_t err, const char *msg)
{
	struct nbd_conn *c = q->c;
	uint8_t *h = q->head;
	size_t mlen;

	if (!c->structured) {
		nbd_encode_simple_reply(h, err, q->r.cookie);
		set_iov(q, h, NBD_SIMPLE_REPLY_SIZE, NULL, 0);
	} else {
		/* An error chunk, with a message for the human. */
		mlen = (size_t)snprintf(q->msg, sizeof(q->msg), "%s", msg);
		if (mlen >= sizeof(q->msg))
			mlen = sizeof(q->msg) - 1;
		nbd_encode_chunk(h, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_ERROR, q->r.cookie,
				 (uint32_t)(6 + mlen));
		nbd_put32(h + NBD_CHUNK_HDR_SIZE, err);
		nbd_put16(h + NBD_CHUNK_HDR_SIZE + 4, (uint16_t)mlen);
		set_iov(q, h, NBD_CHUNK_HDR_SIZE + 6, q->msg, mlen);
	}
	nbd_reply(q);
}

static void reply_ok(struct nbd_req *q)
{
	/* Allowed with structured replies too: no payload, not a READ. */
	nbd_encode_simple_reply(q->head, 0, q->r.cookie);
	set_iov(q, q->head, NBD_SIMPLE_REPLY_SIZE, NULL, 0);
	nbd_reply(q);
}

size_t nbd_read_reply_head(struct nbd_req *q)
{
	uint8_t *h = q->head;

	if (!q->c->structured) {
		nbd_encode_simple_reply(h, 0, q->r.cookie);
		return NBD_SIMPLE_REPLY_SIZE;
	}
	nbd_encode_chunk(h, NBD_REPLY_FLAG_DONE, NBD_REPLY_TYPE_OFFSET_DATA, q->r.cookie, 8 + q->r.length);
	nbd_put64(h + NBD_CHUNK_HDR_SIZE, q->r.offset);
	return NBD_CHUNK_HDR_SIZE + 8;
}

static void reply_read(struct nbd_req *q)
{
	set_iov(q, q->head, nbd_read_reply_head(q), q->buf, q->r.length);
	nbd_reply(q);
}

/* One context's extents: clip them to the request, merge equal
 * neighbours, stop at the first gap or when the chunk is full.  For
 * base:allocation the dev's flags become NBD states; the owner's contexts
 * give their states as they are. */
struct extents {
	uint8_t *p;       /* descriptors: length32, flags32 */
	unsigned n, max;
	uint64_t pos, end;
	bool raw;
};

static int extent_cb(void *opaque, uint64_t off, uint64_t len, uint32_t flags)
{
	struct extents *e = opaque;
	uint32_t st = e->raw ? flags : (flags & DEV_EXT_HOLE ? NBD_STATE_HOLE : 0) |
				       (flags & DEV_EXT_ZERO ? NBD_STATE_ZERO : 0);
	uint8_t *last = e->n ? e->p + 8 * (e->n - 1) : NULL;

	if (off > e->pos)
		return 1;
	if (off + len <= e->pos)
		return 0;
	len -= e->pos - off;
	if (len > e->end - e->pos)
		len = e->end - e->pos;
	if (last && nbd_get32(last + 4) == st) {
		/* The request is at most 4 GiB - 1, so the sum fits. */
		nbd_put32(last, nbd_get32(last) + (uint32_t)len);
	} else if (e->n == e->max) {
		return 1;
	} else {
		nbd_put32(e->p + 8 * e->n, (uint32_t)len);
		nbd_put32(e->p + 8 * e->n + 4, st);
		e->n++;
	}
	e->pos += len;
	return e->pos >= e->end;
}

/* One BLOCK_STATUS chunk per selected context, base:allocation first,
 * each with its context id; the last one ends the reply.  All chunks go
 * out as one buffer, so they are never interleaved with other replies. */
static int block_status(struct nbd_req *q)
{
	const struct nbd_request *r = &q->r;
	struct nbd_conn *c = q->c;
	const struct nbd_exports *ex = &c->s->exports;
	unsigned first = c->meta_alloc ? 0 : 1, nctx = 1 + c->nmeta - first;
	unsigned max = r->flags & NBD_CMD_FLAG_REQ_ONE ? 1 : NBD_MAX_EXTENTS;
	size_t pos = 0;
	uint8_t *buf;

	buf = q->extra = malloc((NBD_CHUNK_HDR_SIZE + 4 + 8 * (size_t)max) * nctx);
	if (!buf)
		return -ENOMEM;
	for (unsigned k = first; k <= c->nmeta; k++) {
		uint8_t *h = buf + pos;
		struct extents e = { .p = h + NBD_CHUNK_HDR_SIZE + 4, .max = max, .pos = r->offset,
				     .end = r->offset + r->length, .raw = k > 0 };
		int ret = k == 0 ? dev_extents(c->dev, r->offset, r->length, extent_cb, &e) :
				   ex->context_extents(ex->opaque, c->meta[k - 1], c->dev, r->offset,
						       r->length, extent_cb, &e);

		if (ret < 0)
			return ret;
		if (!e.n)
			return -EIO;
		nbd_encode_chunk(h, k == c->nmeta ? NBD_REPLY_FLAG_DONE : 0,
				 NBD_REPLY_TYPE_BLOCK_STATUS, r->cookie, 4 + 8 * e.n);
		nbd_put32(h + NBD_CHUNK_HDR_SIZE, NBD_META_ID_ALLOCATION + k);
		pos += NBD_CHUNK_HDR_SIZE + 4 + 8 * (size_t)e.n;
	}
	set_iov(q, buf, pos, NULL, 0);
	nbd_reply(q);
	return 0;
}

/* Where a request runs.  Handing it to a worker costs two thread
 * switches, more than a read or write the page cache serves (a few µs);
 * running it on the reader serializes the connection, which only costs
 * when the I/O waits for a disk.  So each connection keeps the moving
 * average of how long its reads and its writes take, wherever they run,
 * and the reader runs a READ or WRITE itself while that average is under
 * NBD_INLINE_NS, and while it is over puts it on the connection's ring
 * if its device maps it onto a file that takes it (nbd_ring.c), else
 * hands it to the workers (in parallel either way); the average follows
 * the cache warming up or going cold.  A fast READ with more requests
 * already buffered behind it goes on the ring too, where the batch costs
 * one io_uring_enter instead of a pread each (system calls are most of a
 * cached 4 KiB read); alone (QD1) it stays a pread.  It
 * starts slow (NBD_AVG_START_NS), so a new connection runs in parallel
 * until its requests have shown they are fast: a slow request then
 * delays the ones read after it on its connection at most once, before
 * the average moves.  Other commands (flush, trim, zeroes, block
 * status) go to the workers. */
#define NBD_INLINE_NS 20000

uint64_t nbd_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool run_inline(struct nbd_conn *c, const struct nbd_request *r)
{
	if (r->type != NBD_CMD_READ && r->type != NBD_CMD_WRITE)
		return false;
	return atomic_load_explicit(&c->avg_ns[r->type == NBD_CMD_WRITE], memory_order_relaxed) < NBD_INLINE_NS;
}

/* avg += (t - avg) / 8, racy by design: a lost update only delays the switch. */
static void account(struct nbd_conn *c, bool write, uint64_t t0)
{
	uint64_t t = nbd_now_ns() - t0, avg = atomic_load_explicit(&c->avg_ns[write], memory_order_relaxed);

	if (t > 1000000000u)
		t = 1000000000u;
	atomic_store_explicit(&c->avg_ns[write], (uint32_t)(avg - avg / 8 + t / 8), memory_order_relaxed);
}

/* The reply to @q, which ended with @ret. */
static void finish(struct nbd_req *q, int ret)
{
	const struct nbd_request *r = &q->r;

	if (!ret) {
		if (r->type == NBD_CMD_READ)
			reply_read(q);
		else
			reply_ok(q);
		return;
	}
	/* A fast-zero refusal is expected; anything else is worth a note. */
	if (ret != -ENOTSUP)
		log_debug("nbd: connection %u: command %u at %llu+%u: %s", q->c->id, r->type,
			  (unsigned long long)r->offset, r->length, strerror(-ret));
	reply_error(q, nbd_errno(ret), strerror(-ret));
}

void nbd_req_complete(struct nbd_req *q, int ret)
{
	account(q->c, q->r.type == NBD_CMD_WRITE, q->t0);
	finish(q, ret);
}

void nbd_req_run(struct nbd_req *q)
{
	struct nbd_conn *c = q->c;
	const struct nbd_request *r = &q->r;
	bool fua = r->flags & NBD_CMD_FLAG_FUA;
	unsigned zf = (fua ? DEV_FUA : 0) | (r->flags & NBD_CMD_FLAG_NO_HOLE ? DEV_NO_HOLE : 0) |
		      (r->flags & NBD_CMD_FLAG_FAST_ZERO ? DEV_FAST_ZERO : 0);
	int ret = 0;

	switch (r->type) {
	case NBD_CMD_READ:
		q->t0 = nbd_now_ns();
		nbd_req_complete(q, dev_read(c->dev, q->buf, r->length, r->offset));
		return;
	case NBD_CMD_WRITE:
		q->t0 = nbd_now_ns();
		nbd_req_complete(q, dev_write(c->dev, q->buf, r->length, r->offset, fua ? DEV_FUA : 0));
		return;
	case NBD_CMD_FLUSH:
		ret = dev_flush(c->dev);
		break;
	case NBD_CMD_TRIM:
		ret = dev_discard(c->dev, r->offset, r->length);
		if (!ret && fua)
			ret = dev_flush(c->dev);
		break;
	case NBD_CMD_WRITE_ZEROES:
		ret = dev_write_zeroes(c->dev, r->offset, r->length, zf);
		break;
	case NBD_CMD_BLOCK_STATUS:
		ret = block_status(q);
		if (!ret)
			return;
		break;
	case NBD_CMD_CACHE:
		break; /* a hint: the page cache or the backend does the caching */
	}
	finish(q, ret);
}

static uint32_t fail(const char **msg, const char *why, uint32_t err)
{
	*msg = why;
	return err;
}

/* Why @r cannot run: an NBD error and a message, or 0. */
static uint32_t check_request(struct nbd_conn *c, const struct nbd_request *r, const char **msg)
{
	static const uint16_t allowed[] = {
		[NBD_CMD_READ] = NBD_CMD_FLAG_FUA,
		[NBD_CMD_WRITE] = NBD_CMD_FLAG_FUA,
		[NBD_CMD_FLUSH] = NBD_CMD_FLAG_FUA,
		[NBD_CMD_TRIM] = NBD_CMD_FLAG_FUA,
		[NBD_CMD_CACHE] = NBD_CMD_FLAG_FUA,
		[NBD_CMD_WRITE_ZEROES] = NBD_CMD_FLAG_FUA | NBD_CMD_FLAG_NO_HOLE |
					 NBD_CMD_FLAG_FAST_ZERO,
		[NBD_CMD_BLOCK_STATUS] = NBD_CMD_FLAG_FUA | NBD_CMD_FLAG_REQ_ONE,
	};
	bool write = r->type == NBD_CMD_WRITE || r->type == NBD_CMD_TRIM ||
		     r->type == NBD_CMD_WRITE_ZEROES;
	uint64_t size = c->dev->size;

	if (r->type >= sizeof(allowed) / sizeof(allowed[0]) || r->type == NBD_CMD_DISC)
		return fail(msg, "unknown command", NBD_EINVAL);
	if (r->flags & ~allowed[r->type])
		return fail(msg, "flag not valid for this command", NBD_EINVAL);
	if (r->type == NBD_CMD_FLUSH) {
		if (r->offset || r->length)
			return fail(msg, "flush with an offset or a length", NBD_EINVAL);
		return 0;
	}
	if (write && (c->tflags & NBD_FLAG_READ_ONLY))
		return fail(msg, "read-only export", NBD_EPERM);
	if (r->type == NBD_CMD_BLOCK_STATUS && !c->meta_alloc && !c->nmeta)
		return fail(msg, "no meta context was negotiated", NBD_EINVAL);
	if (!r->length)
		return fail(msg, "zero length", NBD_EINVAL);
	if ((r->type == NBD_CMD_READ || r->type == NBD_CMD_WRITE) &&
	    r->length > c->s->cfg.max_request)
		return fail(msg, "request larger than the maximum payload", NBD_EINVAL);
	if (r->offset > size || r->length > size - r->offset)
		return fail(msg, "request beyond the end of the export",
			    write ? NBD_ENOSPC : NBD_EINVAL);
	return 0;
}

static void drain(struct nbd_conn *c, uint32_t n, int *ret)
{
	char buf[4096];

	while (n && !*ret) {
		uint32_t k = n < sizeof(buf) ? n : sizeof(buf);
		*ret = nbd_recv(c, buf, k);
		n -= k;
	}
}

/* A request refused before it runs: skip its payload, reply the error. */
static int refuse(struct nbd_conn *c, const struct nbd_request *r, uint32_t err, const char *msg)
{
	struct nbd_req *q;
	int ret = 0;

	log_debug("nbd: connection %u: command %u: %s", c->id, r->type, msg);
	if (r->type == NBD_CMD_WRITE) {
		/* Drain to stay in step, unless too large to be a mistake. */
		if (r->length > NBD_DRAIN_MAX) {
			log_info("nbd: connection %u: %u-byte write, disconnecting", c->id,
				 r->length);
			return -EMSGSIZE;
		}
		drain(c, r->length, &ret);
		if (ret)
			return ret;
	}
	/* Error replies count against max_inflight too: a client that
	 * sends garbage and reads nothing cannot make the queue grow. */
	nbd_ring_room(c, 0);
	q = nbd_req_new(c, r, 0);
	if (!q)
		return -ENOMEM;
	reply_error(q, err, msg);
	return 0;
}

int nbd_req_buffer(struct nbd_req *q)
{
	struct nbd_conn *c = q->c;

	if (q->len) {
		/* held-back replies and transfers on the ring hold budget
		 * too: send and reap them before waiting for it */
		q->buf = nbd_budget_take(c->s, q->len, false);
		if (q->buf == NBD_BUDGET_BUSY) {
			nbd_uncork(c);
			q->buf = nbd_ring_budget(c, q->len);
		}
		if (q->buf == NBD_BUDGET_BUSY)
			q->buf = nbd_budget_get(c->s, q->len);
		if (!q->buf)
			return -ENOMEM;
	}
	q->charged = true;
	return 0;
}

/* One request off the socket: 0 to go on, <0 to end the connection. */
static int read_request(struct nbd_conn *c)
{
	uint8_t h[NBD_REQUEST_SIZE];
	struct nbd_request r;
	struct nbd_req *q;
	const char *msg = NULL;
	uint32_t err;
	size_t n;
	bool inl;
	int ret;

	if (nbd_buffered(c) < sizeof(h)) {
		/* recv may block: the replies held back go first, and the
		 * transfers on the ring are waited for along with the socket */
		nbd_uncork(c);
		nbd_ring_wait(c);
	}
	ret = nbd_recv(c, h, sizeof(h));
	if (ret)
		return ret;
	ret = nbd_decode_request(h, sizeof(h), &r);
	if (ret) {
		log_info("nbd: connection %u: bad request magic, disconnecting", c->id);
		return ret;
	}
	if (r.type == NBD_CMD_DISC)
		return -ECONNABORTED;
	err = check_request(c, &r, &msg);
	if (err)
		return refuse(c, &r, err, msg);
	n = r.type == NBD_CMD_READ || r.type == NBD_CMD_WRITE ? r.length : 0;
	nbd_ring_room(c, n);
	q = nbd_req_new(c, &r, n);
	if (!q)
		return refuse(c, &r, NBD_ENOMEM, "out of memory");
	if (n >= NBD_SPLICE_MIN) {
		/* a spliced payload may wait for the socket: the ring's
		 * prepared transfers go first */
		if (r.type == NBD_CMD_WRITE && nbd_buffered(c) < r.length)
			nbd_ring_flush(c);
		ret = nbd_splice(c, q);
		if (ret)
			return ret < 0 ? ret : 0;
	}
	if (nbd_req_buffer(q)) {
		nbd_req_release(q);
		return refuse(c, &r, NBD_ENOMEM, "out of memory");
	}
	if (r.type == NBD_CMD_WRITE) {
		/* The payload fills budgeted memory: a client stalling in the
		 * middle of it is disconnected rather than left holding it. */
		if (nbd_buffered(c) < r.length)
			nbd_ring_flush(c);
		ret = nbd_recv_timed(c, q->buf, r.length, NBD_RECV_TIMEOUT_SEC * 1000);
		if (ret) {
			nbd_req_release(q);
			return ret;
		}
	}
	inl = run_inline(c, &r);
	/* the ring first for a request that will not run here, and for a
	 * fast READ with more requests behind it (see above; 4 KiB reads on
	 * 2 connections at QD32: 5.6 -> 4.9 µs of server CPU per request) */
	if (!inl || nbd_ring_busy(c) || (r.type == NBD_CMD_READ && nbd_buffered(c) >= NBD_REQUEST_SIZE)) {
		q->t0 = nbd_now_ns();
		if (nbd_ring_submit(c, q))
			return 0;
	}
	if (inl && !nbd_ring_busy(c)) {
		/* More requests are here already: reply to several at once, but
		 * not to all; a client waiting for its whole window of replies
		 * idles while the reader works (16: 4 KiB writes on one
		 * connection at QD32 went from 155k to 217k IOPS). */
		if (nbd_buffered(c) >= NBD_REQUEST_SIZE && ++c->corked_n < NBD_CORK_MAX) {
			nbd_cork(c);
		} else {
			c->corked_n = 0;
			nbd_uncork(c);
		}
		nbd_req_run(q);
	} else {
		nbd_queue(c->s, q);
	}
	return 0;
}

void nbd_conn_serve(struct nbd_conn *c)
{
	struct nbd_exports *ex = &c->s->exports;
	unsigned grace = c->s->cfg.max_inflight;
	int ret;

	nbd_set_reader(c);
	{
		/* This thread is the connection's: splicing into a socket the
		 * client closed raises SIGPIPE (nbd_send_pipe), which no
		 * program embedding the server should see. */
		sigset_t pipe_set;

		sigemptyset(&pipe_set);
		sigaddset(&pipe_set, SIGPIPE);
		pthread_sigmask(SIG_BLOCK, &pipe_set, NULL);
	}
	ret = nbd_handshake(c);
	if (ret) {
		if (ret != -ENODATA && ret != -ECONNABORTED)
			log_debug("nbd: connection %u: handshake: %s", c->id, strerror(-ret));
		nbd_set_reader(NULL);
		nbd_tls_end(c);
		return;
	}
	/* Once the server stops, the reader still takes the requests the
	 * client sent before: shutdown's SHUT_RD (nbd.c) turns the end of
	 * what is buffered into EOF.  A TCP peer may go on sending after
	 * SHUT_RD, so max_inflight more requests at most. */
	do {
		if (atomic_load(&c->s->stopping) && !grace--)
			ret = -ESHUTDOWN;
		else
			ret = read_request(c);
	} while (!ret);
	if (ret != -ENODATA && ret != -ECONNABORTED && ret != -ESHUTDOWN)
		log_debug("nbd: connection %u: %s", c->id, strerror(-ret));

	/* Every request replies (or finds the socket broken) first, and the
	 * last sender leaves its loop (nbd_io.c). */
	nbd_ring_drain(c);
	nbd_splice_end(c);
	nbd_uncork(c);
	nbd_set_reader(NULL);
	pthread_mutex_lock(&c->lock);
	while (c->inflight || c->sending)
		pthread_cond_wait(&c->cond, &c->lock);
	pthread_mutex_unlock(&c->lock);
	ex->close(ex->opaque, c->dev);
	c->dev = NULL;
	nbd_tls_end(c);
}
