/* The socket side of a connection: bounded reads, whole-message sends, and
 * the reply queue.
 *
 * Replies are sent by flat combining: a thread with a reply appends it to
 * the connection's queue; if no thread is sending on that connection, it
 * becomes the sender and sends queued replies, each as one sendmsg, until
 * the queue is empty.  So replies never interleave, and a client that
 * stops reading holds at most one worker (the sender, blocked for at most
 * NBD_SEND_TIMEOUT_SEC), not every worker that has a reply for it.
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
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "common/log.h"

int nbd_conn_new(struct nbd_server *s, int fd, struct nbd_conn **out)
{
	struct nbd_conn *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->s = s;
	c->fd = fd;
	c->out_tail = &c->out_head;
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
	nbd_meta_clear(c);
	free(c);
}

struct nbd_req *nbd_req_new(struct nbd_conn *c, const struct nbd_request *r, size_t n)
{
	struct nbd_req *q;

	pthread_mutex_lock(&c->lock);
	while (c->inflight >= c->s->cfg.max_inflight ||
	       (c->bytes && c->bytes + n > NBD_CONN_BUDGET))
		pthread_cond_wait(&c->cond, &c->lock);
	c->inflight++;
	c->bytes += n;
	pthread_mutex_unlock(&c->lock);

	q = calloc(1, sizeof(*q));
	if (!q) {
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
	pthread_mutex_unlock(&c->lock);
	free(q);
}

void nbd_reply(struct nbd_req *q)
{
	struct nbd_conn *c = q->c;
	struct nbd_req *batch, *next;

	pthread_mutex_lock(&c->lock);
	q->next = NULL;
	*c->out_tail = q;
	c->out_tail = &q->next;
	if (c->sending) {
		pthread_mutex_unlock(&c->lock);
		return;
	}
	c->sending = true;
	while ((batch = c->out_head)) {
		c->out_head = NULL;
		c->out_tail = &c->out_head;
		pthread_mutex_unlock(&c->lock);
		for (; batch; batch = next) {
			next = batch->next;
			nbd_send(c, batch->iov, batch->niov);
			nbd_req_release(batch);
		}
		pthread_mutex_lock(&c->lock);
	}
	c->sending = false;
	/* The reader may wait for the last sender to leave. */
	if (!c->inflight)
		pthread_cond_signal(&c->cond);
	pthread_mutex_unlock(&c->lock);
}

int nbd_send(struct nbd_conn *c, const struct iovec *iov_in, int n)
{
	struct iovec iov[NBD_MAX_IOV];
	struct msghdr msg = { .msg_iov = iov };
	int r = 0;

	if (n < 1 || n > NBD_MAX_IOV)
		return -EINVAL;
	memcpy(iov, iov_in, sizeof(*iov) * (size_t)n);
	msg.msg_iovlen = (size_t)n;
	pthread_mutex_lock(&c->send_lock);
	while (!c->broken && msg.msg_iovlen) {
		ssize_t w = sendmsg(c->fd, &msg, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			/* A timeout or a dead peer: stop talking to this client
			 * and wake its reader. */
			if (r == -EAGAIN)
				log_info("nbd: connection %u: no reply read for %d s, disconnecting",
					 c->id, NBD_SEND_TIMEOUT_SEC);
			c->broken = true;
			shutdown(c->fd, SHUT_RDWR);
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
	pthread_mutex_unlock(&c->send_lock);
	return r;
}

int nbd_recv_timed(struct nbd_conn *c, void *buf, size_t n, int timeout_ms)
{
	char *p = buf;
	size_t got = 0;

	while (got < n) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		ssize_t r = recv(c->fd, p + got, n - got, timeout_ms < 0 ? 0 : MSG_DONTWAIT);

		if (r < 0 && errno == EAGAIN && timeout_ms >= 0) {
			if (poll(&pfd, 1, timeout_ms) == 0)
				return -ETIMEDOUT;
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;
		if (r == 0)
			return got ? -ECONNRESET : -ENODATA;
		got += (size_t)r;
	}
	return 0;
}

int nbd_recv(struct nbd_conn *c, void *buf, size_t n)
{
	return nbd_recv_timed(c, buf, n, -1);
}
