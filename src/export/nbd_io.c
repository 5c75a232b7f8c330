/* The socket side of a connection: bounded reads, whole-message sends, and
 * the reply queue.
 *
 * Replies are sent by flat combining: a thread with a reply appends it to
 * the connection's queue; if no thread is sending on that connection, it
 * becomes the sender and sends queued replies, up to NBD_SEND_BATCH of
 * them in one sendmsg, until the queue is empty.  So replies never
 * interleave, and a client that stops reading holds at most one worker
 * (the sender, blocked for at most NBD_SEND_TIMEOUT_SEC), not every
 * worker that has a reply for it.  The reader, running requests itself
 * while the next ones are already in its buffer, corks: its replies wait
 * in the queue and go out together when it uncorks, which it does before
 * anything that can block (recv, admission, the end of the connection).
 *
 * The reader receives through a buffer of NBD_RBUF_SIZE: one recv brings
 * as many headers and small payloads as the socket holds; large payloads
 * go straight into their request's buffer.  Requests are reused from a
 * per-connection free list (under c->lock, taken anyway for the counts).
 *
 * Every request counts in c->inflight until its reply is sent, and not
 * longer: the sender releases each request as soon as its reply is out,
 * not when its loop ends.  A sender may loop, or block in sendmsg, for
 * long; answered requests must not hold the reader's admission slots
 * meanwhile, or a client that sends requests before it reads replies
 * deadlocks with the reader (waiting for a slot) and the sender (waiting
 * for the client).  The reader waits for c->inflight to reach 0 and for
 * no thread to be sending, so it is the last to touch the connection.
 */
#include "export/nbd_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>

#include "common/log.h"

int nbd_conn_new(struct nbd_server *s, int fd, struct nbd_conn **out)
{
	struct nbd_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	if (!(c->rbuf = malloc(NBD_RBUF_SIZE))) {
		free(c);
		return -ENOMEM;
	}
	c->s = s;
	c->fd = fd;
	c->out_tail = &c->out_head;
	c->avg_ns[0] = c->avg_ns[1] = NBD_AVG_START_NS;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->cond, NULL);
	pthread_mutex_init(&c->send_lock, NULL);
	*out = c;
	return 0;
}

void nbd_conn_free(struct nbd_conn *c)
{
	if (!c)
		return;
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->send_lock);
	nbd_tls_end(c);
	nbd_meta_clear(c);
	while (c->free) {
		struct nbd_req *q = c->free;

		c->free = q->next;
		free(q);
	}
	free(c->rbuf);
	free(c);
}

struct nbd_req *nbd_req_new(struct nbd_conn *c, const struct nbd_request *r, size_t n)
{
	struct nbd_req *q;

	pthread_mutex_lock(&c->lock);
	while (c->inflight >= c->s->cfg.max_inflight || (c->bytes && c->bytes + n > NBD_CONN_BUDGET)) {
		if (c->corked) { /* the replies held back may be what frees a slot */
			pthread_mutex_unlock(&c->lock);
			nbd_uncork(c);
			pthread_mutex_lock(&c->lock);
			continue;
		}
		pthread_cond_wait(&c->cond, &c->lock);
	}
	c->inflight++;
	c->bytes += n;
	if ((q = c->free)) {
		c->free = q->next;
		c->nfree--;
	}
	pthread_mutex_unlock(&c->lock);

	if (q)
		memset(q, 0, sizeof(*q));
	else if (!(q = calloc(1, sizeof(*q)))) {
		pthread_mutex_lock(&c->lock);
		c->inflight--;
		c->bytes -= n;
		pthread_cond_signal(&c->cond);
		pthread_mutex_unlock(&c->lock);
		return NULL;
	}
	q->c = c;
	q->r = *r;
	q->len = n; /* the payload buffer comes with the budget (nbd_budget_get) */
	return q;
}

void nbd_req_release(struct nbd_req *q)
{
	struct nbd_conn *c = q->c;

	free(q->extra);
	if (q->charged)
		nbd_budget_put(c->s, q->buf, q->len);
	pthread_mutex_lock(&c->lock);
	c->inflight--;
	c->bytes -= q->len;
	pthread_cond_signal(&c->cond);
	if (c->nfree < c->s->cfg.max_inflight) {
		q->next = c->free;
		c->free = q;
		c->nfree++;
		q = NULL;
	}
	pthread_mutex_unlock(&c->lock);
	free(q);
}

/* The thread that reads this connection (while it is in nbd_conn_serve). */
static __thread struct nbd_conn *reading;

void nbd_set_reader(struct nbd_conn *c)
{
	reading = c;
}

/* With c->lock held and c->sending taken: send the queue, a batch per
 * sendmsg, until it is empty; releases what it sent. */
static void send_queue(struct nbd_conn *c)
{
	struct iovec iov[NBD_SEND_BATCH * NBD_MAX_IOV];
	struct nbd_req *batch, *next;

	while ((batch = c->out_head)) {
		c->out_head = NULL;
		c->out_tail = &c->out_head;
		pthread_mutex_unlock(&c->lock);
		while (batch) {
			struct nbd_req *end = batch;
			int n = 0;

			for (unsigned k = 0; end && k < NBD_SEND_BATCH; k++, end = end->next) {
				memcpy(iov + n, end->iov, sizeof(*iov) * (size_t)end->niov);
				n += end->niov;
			}
			nbd_send(c, iov, n);
			for (; batch != end; batch = next) {
				next = batch->next;
				nbd_req_release(batch);
			}
		}
		pthread_mutex_lock(&c->lock);
	}
	c->sending = false;
	/* The reader may wait for the last sender to leave. */
	if (!c->inflight)
		pthread_cond_signal(&c->cond);
}

void nbd_reply(struct nbd_req *q)
{
	struct nbd_conn *c = q->c;

	pthread_mutex_lock(&c->lock);
	q->next = NULL;
	*c->out_tail = q;
	c->out_tail = &q->next;
	if (c->sending || (c->corked && reading == c)) {
		pthread_mutex_unlock(&c->lock);
		return;
	}
	c->sending = true;
	send_queue(c);
	pthread_mutex_unlock(&c->lock);
}

void nbd_cork(struct nbd_conn *c)
{
	c->corked = true;
}

void nbd_uncork(struct nbd_conn *c)
{
	if (!c->corked)
		return;
	c->corked = false;
	pthread_mutex_lock(&c->lock);
	if (!c->sending && c->out_head) {
		c->sending = true;
		send_queue(c);
	}
	pthread_mutex_unlock(&c->lock);
}

/* A send failed (@r): stop talking to this client and wake its reader. */
static void send_failed(struct nbd_conn *c, int r)
{
	if (r == -EAGAIN)
		log_info("nbd: connection %u: no reply read for %d s, disconnecting", c->id,
			 NBD_SEND_TIMEOUT_SEC);
	c->broken = true;
	shutdown(c->fd, SHUT_RDWR);
}

/* With the send lock held: all of @iov_in (1 to NBD_SEND_BATCH *
 * NBD_MAX_IOV pieces) in order, sendmsg's @flags beside MSG_NOSIGNAL.
 * 0, or -errno with the connection marked broken. */
static int send_locked(struct nbd_conn *c, const struct iovec *iov_in, int n, int flags)
{
	struct iovec iov[NBD_SEND_BATCH * NBD_MAX_IOV];
	struct msghdr msg = { .msg_iov = iov };
	int r = 0;

	if (c->tls && !c->broken && (r = nbd_tls_send(c, iov_in, n)))
		send_failed(c, r);
	memcpy(iov, iov_in, sizeof(*iov) * (size_t)n);
	msg.msg_iovlen = c->tls ? 0 : (size_t)n;
	while (!c->broken && msg.msg_iovlen) {
		ssize_t w = sendmsg(c->fd, &msg, MSG_NOSIGNAL | flags);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			send_failed(c, r = -errno);
			break;
		}
		while (msg.msg_iovlen && (size_t)w >= msg.msg_iov->iov_len) {
			w -= (ssize_t)msg.msg_iov->iov_len;
			msg.msg_iov++;
			msg.msg_iovlen--;
		}
		if (msg.msg_iovlen) {
			msg.msg_iov->iov_base = (char *)msg.msg_iov->iov_base + w;
			msg.msg_iov->iov_len -= (size_t)w;
		}
	}
	if (c->broken && !r)
		r = -EPIPE;
	return r;
}

int nbd_send(struct nbd_conn *c, const struct iovec *iov, int n)
{
	int r;

	if (n < 1 || n > NBD_SEND_BATCH * NBD_MAX_IOV)
		return -EINVAL;
	pthread_mutex_lock(&c->send_lock);
	r = send_locked(c, iov, n, 0);
	pthread_mutex_unlock(&c->send_lock);
	return r;
}

int nbd_send_pipe(struct nbd_conn *c, const void *head, size_t hlen, int pipefd, size_t len)
{
	struct iovec h = { (void *)(uintptr_t)head, hlen };
	int r;

	pthread_mutex_lock(&c->send_lock);
	r = send_locked(c, &h, 1, MSG_MORE);
	/* SO_SNDTIMEO bounds each wait here too: a stalled client gets
	 * -EAGAIN, as from sendmsg.  splice has no MSG_NOSIGNAL: the reader
	 * blocks SIGPIPE (nbd_conn_serve), and takes back what a client
	 * that left raised. */
	while (!c->broken && len) {
		ssize_t w = splice(pipefd, NULL, c->fd, NULL, len, SPLICE_F_MOVE);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (w < 0 && errno == EPIPE) {
				sigset_t pipe_set;
				struct timespec now = { 0, 0 };

				sigemptyset(&pipe_set);
				sigaddset(&pipe_set, SIGPIPE);
				while (sigtimedwait(&pipe_set, NULL, &now) < 0 && errno == EINTR)
					;
				errno = EPIPE;
			}
			send_failed(c, r = w < 0 ? -errno : -EPIPE);
			break;
		}
		len -= (size_t)w;
	}
	if (c->broken && !r)
		r = -EPIPE;
	pthread_mutex_unlock(&c->send_lock);
	return r;
}

/* One receive of up to @n bytes into @buf: its length, 0 at EOF, or
 * -errno (-ETIMEDOUT when nothing came for @timeout_ms; < 0: wait). */
static ssize_t recv_some(struct nbd_conn *c, void *buf, size_t n, int timeout_ms)
{
	for (;;) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		ssize_t r;

		if (c->tls)
			return nbd_tls_recv(c, buf, n, timeout_ms);
		r = recv(c->fd, buf, n, timeout_ms < 0 ? 0 : MSG_DONTWAIT);
		if (r >= 0)
			return r;
		if (errno == EAGAIN && timeout_ms >= 0) {
			if (poll(&pfd, 1, timeout_ms) == 0)
				return -ETIMEDOUT;
		} else if (errno != EINTR) {
			return -errno;
		}
	}
}

int nbd_recv_timed(struct nbd_conn *c, void *buf, size_t n, int timeout_ms)
{
	char *p = buf;
	size_t got = nbd_buffered(c) < n ? nbd_buffered(c) : n;

	memcpy(p, c->rbuf + c->rpos, got);
	c->rpos += got;
	if (c->rpos == c->rlen)
		c->rpos = c->rlen = 0;
	while (got < n) {
		/* a large rest straight to its place, else through the buffer */
		bool direct = n - got >= NBD_RBUF_SIZE / 2;
		ssize_t r = recv_some(c, direct ? p + got : (char *)c->rbuf, direct ? n - got : NBD_RBUF_SIZE,
				      timeout_ms);

		if (r < 0)
			return (int)r;
		if (r == 0)
			return got ? -ECONNRESET : -ENODATA;
		if (direct) {
			got += (size_t)r;
			continue;
		}
		c->rlen = (size_t)r;
		c->rpos = (size_t)r < n - got ? (size_t)r : n - got;
		memcpy(p + got, c->rbuf, c->rpos);
		got += c->rpos;
		if (c->rpos == c->rlen)
			c->rpos = c->rlen = 0;
	}
	return 0;
}

int nbd_recv(struct nbd_conn *c, void *buf, size_t n)
{
	return nbd_recv_timed(c, buf, n, -1);
}
