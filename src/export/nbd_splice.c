/* Large READs and WRITEs moved by splice(2), for devices that map them
 * onto a buffered file: the bytes go between the socket and the page
 * cache through a pipe, and never through a buffer of ours.
 *
 * A READ the page cache holds whole (cachestat(2)) is spliced from the
 * file into the connection's pipe, which takes references to the cached
 * pages, then, after the reply's header, from the pipe into the socket,
 * which takes the same references: no copy on the server.  A WRITE's
 * payload is spliced from the socket into the pipe (references to the
 * socket's pages) and from the pipe into the file: one copy, into the
 * page cache, where a recv and a pwrite make two.  Reads that would wait
 * for the disk stay on the ring (nbd_ring.c), which runs them in
 * parallel; requests under NBD_SPLICE_MIN or over the pipe's size
 * (NBD_PIPE_MAX), TLS sessions, FUA writes and O_DIRECT files
 * (--cache=none) keep the paths they had.
 *
 * Runs on the reader, which owns the pipe.  The request counts in
 * c->inflight from its admission to its reply, as on the other paths.
 * The device is held (dev_direct_begin, DEV_DIRECT_SPLICE) only while
 * file bytes move, never while the reader waits for the client: a READ
 * fills the pipe, lets go, then sends; a WRITE's whole payload is in the
 * pipe before the device is held and the pipe emptied into the file.  So
 * a READ is answered only once the pipe holds all of it (a read error is
 * still an error reply), its header and data go out under the send lock
 * as one message, and a client that leaves in the middle of a WRITE's
 * payload has written nothing.  A pipe left with bytes in it after an
 * error is closed, and the next transfer makes a new one.
 */
#include "export/nbd_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/log.h"

#ifndef __NR_cachestat
#define __NR_cachestat 451 /* Linux 6.5, the same number on every architecture */
#endif

struct nbd_cachestat_range {
	uint64_t off, len;
};

struct nbd_cachestat {
	uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
};

#define PAGE_BYTES 4096u

static void pipe_close(struct nbd_conn *c)
{
	if (!c->pipe_cap)
		return;
	close(c->pipe[0]);
	close(c->pipe[1]);
	c->pipe_cap = 0;
}

/* The connection's pipe, able to hold @len bytes; false: no such pipe
 * (the user's pipe quota, fs.pipe-max-size, a transfer over NBD_PIPE_MAX).
 * It is made, and sized to NBD_PIPE_MAX, once; where that fails it is
 * never asked again. */
static bool pipe_get(struct nbd_conn *c, size_t len)
{
	int cap;

	if (c->pipe_cap >= len)
		return true;
	if (c->pipe_failed || len > NBD_PIPE_MAX)
		return false;
	if (!c->pipe_cap && pipe2(c->pipe, O_CLOEXEC)) {
		c->pipe_failed = true;
		return false;
	}
	cap = fcntl(c->pipe[1], F_SETPIPE_SZ, (int)NBD_PIPE_MAX);
	if (cap < 0)
		cap = fcntl(c->pipe[1], F_GETPIPE_SZ);
	c->pipe_cap = cap > 0 ? (size_t)cap : 1;
	if (c->pipe_cap < NBD_PIPE_MAX) {
		log_debug("nbd: connection %u: a pipe of %zu bytes, not %u: larger transfers are copied", c->id,
			  c->pipe_cap, NBD_PIPE_MAX);
		c->pipe_failed = true;
	}
	return c->pipe_cap >= len;
}

/* Does the page cache hold all of [off, off+len) of @fd?  A kernel
 * without cachestat (before Linux 6.5) says no: a splice of pages not
 * cached would read them with the reader blocked, so such kernels keep
 * their reads on the ring, and splice only writes. */
static bool cached(int fd, uint64_t off, size_t len)
{
	struct nbd_cachestat_range cr = { off, len };
	struct nbd_cachestat cs;
	uint64_t pages = (off + len - 1) / PAGE_BYTES - off / PAGE_BYTES + 1;

	if (syscall(__NR_cachestat, fd, &cr, &cs, 0))
		return false;
	return cs.nr_cache >= pages;
}

/* All @n bytes from @in to @out by splice (offsets as splice takes them):
 * 0, or -errno (-EIO where @in ended early: a file that shrank). */
static int splice_all(int in, loff_t *in_off, int out, loff_t *out_off, size_t n)
{
	while (n) {
		ssize_t k = splice(in, in_off, out, out_off, n, SPLICE_F_MOVE);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		n -= (size_t)k;
	}
	return 0;
}

static int splice_read(struct nbd_conn *c, struct nbd_req *q)
{
	const struct nbd_request *r = &q->r;
	struct dev_direct dio;
	loff_t at;
	size_t hlen;
	int e;

	if (!pipe_get(c, r->length) ||
	    dev_direct_begin(c->dev, NULL, r->length, r->offset, DEV_DIRECT_SPLICE, &dio))
		return 0;
	if (!cached(dio.fd, dio.off, r->length)) {
		dev_direct_cancel(&dio);
		return 0;
	}
	at = (loff_t)dio.off;
	e = splice_all(dio.fd, &at, c->pipe[1], NULL, r->length);
	if (e) {
		/* the synchronous path reads it again, counts it and replies */
		dev_direct_cancel(&dio);
		pipe_close(c);
		return 0;
	}
	dev_direct_end(&dio, 0);
	hlen = nbd_read_reply_head(q);
	e = nbd_send_pipe(c, q->head, hlen, c->pipe[0], r->length);
	if (e)
		pipe_close(c); /* the connection is broken: its reader ends */
	nbd_req_release(q);
	return 1;
}

/* The payload's next bytes, at most @n (the room in the pipe), from the
 * socket into the pipe: how many, or -errno (-ETIMEDOUT: none came for
 * NBD_RECV_TIMEOUT_SEC). */
static ssize_t take(struct nbd_conn *c, size_t n)
{
	for (;;) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		ssize_t k = splice(c->fd, NULL, c->pipe[1], NULL, n, SPLICE_F_NONBLOCK | SPLICE_F_MOVE);

		if (k > 0)
			return k;
		if (k == 0)
			return -ECONNRESET;
		if (errno == EAGAIN) {
			if (poll(&pfd, 1, NBD_RECV_TIMEOUT_SEC * 1000) == 0)
				return -ETIMEDOUT;
		} else if (errno != EINTR) {
			return -errno;
		}
	}
}

/* @n bytes of @p into the empty pipe (a copy: the reader's buffer is
 * reused at once). */
static int put_pipe(struct nbd_conn *c, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t k = write(c->pipe[1], p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? -errno : -EIO;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* All of @q's payload into the pipe: 0, or -errno from the socket. */
static int take_payload(struct nbd_conn *c, struct nbd_req *q)
{
	size_t left = q->r.length, in = nbd_buffered(c) < left ? nbd_buffered(c) : left;
	int e;

	/* what the reader's buffer holds already: the payload's head (at most
	 * NBD_RBUF_SIZE; the pipe holds NBD_SPLICE_MIN or more) */
	if ((e = put_pipe(c, c->rbuf + c->rpos, in)))
		return e;
	c->rpos += in;
	if (c->rpos == c->rlen)
		c->rpos = c->rlen = 0;
	for (left -= in; left;) {
		ssize_t k = take(c, left);

		if (k < 0)
			return (int)k;
		left -= (size_t)k;
	}
	return 0;
}

/* The device said no once the payload was in the pipe (it was suspended
 * meanwhile): the payload goes into a buffer, and @q to the workers. */
static int fall_back(struct nbd_conn *c, struct nbd_req *q)
{
	size_t got = 0;

	if (nbd_req_buffer(q)) {
		pipe_close(c);
		nbd_req_complete(q, -ENOMEM);
		return 1;
	}
	while (got < q->r.length) {
		ssize_t k = read(c->pipe[0], (char *)q->buf + got, q->r.length - got);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			pipe_close(c);
			nbd_req_complete(q, k < 0 ? -errno : -EIO);
			return 1;
		}
		got += (size_t)k;
	}
	nbd_queue(c->s, q);
	return 1;
}

/* Returns 1 (taken), 0 (left to the caller) or -errno (the socket
 * failed).  The payload goes into the pipe whole, and only then is the
 * device held and the pipe emptied into the file: a client slow to send
 * never holds up a suspend, and one that leaves in the middle of a
 * payload changes nothing, as on the other paths. */
static int splice_write(struct nbd_conn *c, struct nbd_req *q)
{
	const struct nbd_request *r = &q->r;
	unsigned how = DEV_DIRECT_WRITE | DEV_DIRECT_SPLICE;
	struct dev_direct dio;
	loff_t at;
	int e;

	/* a device that would take it, asked before a byte is consumed */
	if (!pipe_get(c, r->length) || dev_direct_begin(c->dev, NULL, r->length, r->offset, how, &dio))
		return 0;
	dev_direct_cancel(&dio);
	q->t0 = nbd_now_ns();
	if ((e = take_payload(c, q))) {
		pipe_close(c);
		nbd_req_release(q);
		return e;
	}
	if (dev_direct_begin(c->dev, NULL, r->length, r->offset, how, &dio))
		return fall_back(c, q);
	at = (loff_t)dio.off;
	e = splice_all(c->pipe[0], NULL, dio.fd, &at, r->length);
	dev_direct_end(&dio, e);
	if (e)
		pipe_close(c); /* with what the file did not take */
	nbd_req_complete(q, e);
	return 1;
}

int nbd_splice(struct nbd_conn *c, struct nbd_req *q)
{
	const struct nbd_request *r = &q->r;

	if (c->tls || r->length < NBD_SPLICE_MIN)
		return 0;
	if (r->type == NBD_CMD_READ)
		return splice_read(c, q);
	if (r->type == NBD_CMD_WRITE && !(r->flags & NBD_CMD_FLAG_FUA))
		return splice_write(c, q);
	return 0;
}

void nbd_splice_end(struct nbd_conn *c)
{
	pipe_close(c);
}
