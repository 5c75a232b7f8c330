/* Asynchronous READ and WRITE on a connection's own ring (liburing), for
 * requests that wait for a disk: with ulvmd --cache=none every transfer
 * is O_DIRECT; in the default mode, reads of pages not yet cached, and
 * reads that come in batches (one io_uring_enter for many).
 *
 * The reader owns the ring; no other thread touches it.  A READ or WRITE
 * that would go to the workers (nbd_conn.c: its kind has been slow on this
 * connection) first asks its device where it lies (dev_direct_begin,
 * io/dev.h: a linear map onto a file, as device-mapper remaps a bio; the
 * file says which transfers it takes).  If the device says yes, the reader
 * prepares the transfer on the ring and goes on reading requests; the
 * prepared ones are submitted together before the reader can block (the
 * next header not buffered, a payload still on the wire, the ring full).
 * Where it would wait for the socket with transfers in flight, it waits
 * on the ring instead, for a completion or for the socket (a POLL_ADD
 * there), and replies to what completed, corked into few sendmsg calls.
 * So a client at QD32 has 32 transfers in the kernel at once from one
 * thread, and no request is handed between threads (qemu-nbd's model with
 * --aio=io_uring, here beside the workers that still run everything else).
 *
 * Invariants: a request on the ring holds its device (dev_direct) and
 * counts in c->inflight until its reply is made; the reader reaps before
 * it waits for anything its own transfers could be holding (an admission
 * slot, the payload budget: nbd_ring_room, nbd_ring_budget), and drains the
 * ring before the connection ends (nbd_ring_drain).  A poll completion
 * armed in an earlier wait can be stale (the reader consumed the bytes
 * since), so then readiness is checked again with poll(2) before the
 * reader commits to a blocking recv.
 * A transfer that came back short (a file that shrank) or failed is
 * redone by the synchronous path on a worker, which knows how to finish
 * it or which error to give (a raid reads another copy).  The reader
 * never runs a request itself while it has transfers on the ring
 * (nbd_ring_busy): that request could wait for a suspend (md_enter), and
 * the suspend for the transfers only the reader reaps.
 */
#include "export/nbd_internal.h"

#include <errno.h>
#include <liburing.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"

/* Submit prepared transfers once this many wait (the reader may find
 * many headers in one recv: do not hold the first ones back for long). */
#define AIO_SUBMIT_BATCH 8
#define POLL_TAG ((uint64_t)1)

struct nbd_ring {
	struct io_uring ring;
	unsigned inflight;  /* transfers prepared or submitted, not yet reaped */
	unsigned prepared;  /* of which not yet submitted */
	bool poll_armed;    /* a POLL_ADD on the socket is in the ring */
	bool readable;      /* it completed */
	bool stale;         /* it was armed before bytes were read since: check */
	bool failed;        /* no ring on this kernel: never try again (nothing
			     * is ever prepared or in flight on it) */
};

static struct nbd_ring *ring_get(struct nbd_conn *c)
{
	struct nbd_ring *a = c->ring;
	unsigned entries = 4;
	int e;

	if (a)
		return a->failed ? NULL : a;
	if (!(a = calloc(1, sizeof(*a))))
		return NULL;
	c->ring = a;
	/* every admitted request, and the poll, fit at once */
	while (entries < c->s->cfg.max_inflight + 1)
		entries *= 2;
	e = io_uring_queue_init(entries, &a->ring, 0);
	if (e) {
		log_info("nbd: connection %u: no io_uring (%s): transfers stay on the workers", c->id,
			 strerror(-e));
		a->failed = true;
		return NULL;
	}
	return a;
}

static void submitted(struct nbd_ring *a, int e)
{
	if (e >= 0)
		a->prepared -= (unsigned)e < a->prepared ? (unsigned)e : a->prepared;
}

static void submit(struct nbd_ring *a)
{
	int e;

	if (!a->prepared)
		return;
	do
		e = io_uring_submit(&a->ring);
	while (e == -EINTR);
	submitted(a, e);
}

/* Submit what is prepared and wait for a completion.  The kernel may
 * refuse for a while (-EAGAIN, -EBUSY: out of memory, completions
 * backed up); then try again a millisecond later rather than wait on a
 * ring whose entries were never submitted, or spin. */
static void submit_wait(struct nbd_conn *c)
{
	struct nbd_ring *a = c->ring;
	struct timespec ms = { 0, 1000000 };
	bool warned = false;
	int e;

	for (;;) {
		e = io_uring_submit_and_wait(&a->ring, 1);
		submitted(a, e);
		if (e >= 0 || io_uring_cq_ready(&a->ring))
			return;
		if (e == -EINTR)
			continue;
		if (!warned) {
			log_warn("nbd: connection %u: io_uring_enter: %s: retrying", c->id, strerror(-e));
			warned = true;
		}
		nanosleep(&ms, NULL);
	}
}

bool nbd_ring_submit(struct nbd_conn *c, struct nbd_req *q)
{
	const struct nbd_request *r = &q->r;
	bool write = r->type == NBD_CMD_WRITE;
	struct io_uring_sqe *sqe;
	struct nbd_ring *a;

	if ((r->type != NBD_CMD_READ && !write) || (c->ring && c->ring->failed))
		return false;
	/* the device first: a connection to a buffered device makes no ring */
	if (dev_direct_begin(c->dev, q->buf, r->length, r->offset,
			     !write ? 0 : DEV_DIRECT_WRITE | (r->flags & NBD_CMD_FLAG_FUA ? DEV_DIRECT_FUA : 0),
			     &q->dio))
		return false;
	if (!(a = ring_get(c))) {
		dev_direct_cancel(&q->dio);
		return false;
	}
	if (!(sqe = io_uring_get_sqe(&a->ring))) {
		submit(a);
		if (!(sqe = io_uring_get_sqe(&a->ring))) {
			dev_direct_cancel(&q->dio);
			return false;
		}
	}
	if (write) {
		io_uring_prep_write(sqe, q->dio.fd, q->buf, r->length, q->dio.off);
		if (r->flags & NBD_CMD_FLAG_FUA)
			sqe->rw_flags = RWF_DSYNC;
	} else {
		io_uring_prep_read(sqe, q->dio.fd, q->buf, r->length, q->dio.off);
	}
	io_uring_sqe_set_data(sqe, q);
	a->inflight++;
	if (++a->prepared >= AIO_SUBMIT_BATCH)
		submit(a);
	return true;
}

bool nbd_ring_busy(const struct nbd_conn *c)
{
	return c->ring && c->ring->inflight;
}

void nbd_ring_flush(struct nbd_conn *c)
{
	if (c->ring) /* a failed ring has nothing prepared */
		submit(c->ring);
}

/* Finish what completed; with @wait, wait for at least one completion
 * first.  Replies are corked and go out together. */
static void reap(struct nbd_conn *c, bool wait)
{
	struct nbd_ring *a = c->ring;
	struct io_uring_cqe *cqe;
	bool corked = c->corked;
	unsigned head, n = 0;

	if (wait)
		submit_wait(c);
	nbd_cork(c);
	io_uring_for_each_cqe(&a->ring, head, cqe) {
		struct nbd_req *q = io_uring_cqe_get_data(cqe);
		int res = cqe->res;

		n++;
		if ((uintptr_t)q == POLL_TAG) {
			a->poll_armed = false;
			a->readable = true;
			continue;
		}
		a->inflight--;
		if (res < 0 || (uint32_t)res < q->r.length) {
			/* short or failed: the synchronous path finishes it, or
			 * says why not (a raid reads another copy) */
			dev_direct_cancel(&q->dio);
			nbd_queue(c->s, q);
		} else {
			dev_direct_end(&q->dio, 0);
			nbd_req_complete(q, 0);
		}
	}
	io_uring_cq_advance(&a->ring, n);
	if (!corked)
		nbd_uncork(c);
}

static bool socket_ready(struct nbd_conn *c)
{
	struct pollfd pfd = { .fd = c->fd, .events = POLLIN };

	return nbd_tls_pending(c) || poll(&pfd, 1, 0) != 0;
}

void nbd_ring_wait(struct nbd_conn *c)
{
	struct nbd_ring *a = c->ring;

	if (!nbd_ring_busy(c))
		return;
	submit(a);
	reap(c, false);
	while (a->inflight && !nbd_tls_pending(c)) {
		if (a->readable) {
			a->readable = false;
			if (!a->stale || socket_ready(c))
				return;
		}
		if (!a->poll_armed) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&a->ring);

			if (!sqe) { /* cannot happen: the ring has room for all */
				reap(c, true);
				continue;
			}
			io_uring_prep_poll_add(sqe, c->fd, POLLIN);
			io_uring_sqe_set_data64(sqe, POLL_TAG);
			a->poll_armed = true;
			a->stale = false;
			a->prepared++;
		}
		reap(c, true);
	}
	/* the reader consumes bytes now: what the poll says later may be old */
	a->stale = a->poll_armed || a->readable;
}

void nbd_ring_room(struct nbd_conn *c, size_t n)
{
	for (;;) {
		bool full;

		if (!nbd_ring_busy(c))
			return;
		pthread_mutex_lock(&c->lock);
		full = c->inflight >= c->s->cfg.max_inflight ||
		       (c->bytes && c->bytes + n > NBD_CONN_BUDGET);
		pthread_mutex_unlock(&c->lock);
		if (!full)
			return;
		reap(c, true);
	}
}

void *nbd_ring_budget(struct nbd_conn *c, size_t n)
{
	void *buf = nbd_budget_take(c->s, n, false);

	while (buf == NBD_BUDGET_BUSY && nbd_ring_busy(c)) {
		reap(c, true);
		buf = nbd_budget_take(c->s, n, false);
	}
	return buf;
}

void nbd_ring_drain(struct nbd_conn *c)
{
	struct nbd_ring *a = c->ring;

	if (!a)
		return;
	if (!a->failed) {
		while (a->inflight)
			reap(c, true);
		io_uring_queue_exit(&a->ring);
	}
	free(a);
	c->ring = NULL;
}
