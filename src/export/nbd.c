/* The NBD server: threads, queues, shutdown.
 *
 * Threads.  Each listening socket has an acceptor thread.  Each connection
 * has one thread, its reader: it runs the handshake, then parses requests,
 * reads WRITE payloads and queues the requests to one pool of cfg->workers
 * workers shared by every connection.  A worker runs the request on the
 * export's struct dev (blocking calls, the nbdkit model) and replies
 * itself: each reply is one sendmsg under the connection's send lock, so
 * replies leave in whatever order their requests finish and never
 * interleave.  When several replies of one connection are ready at once,
 * one thread sends them all (nbd_io.c), so a client that stops reading
 * holds one worker, not all of them.  All threads have NBD_THREAD_STACK
 * stacks.
 *
 * Back-pressure.  A reader stops reading while its connection has
 * cfg->max_inflight requests admitted or NBD_CONN_BUDGET bytes of payload
 * buffers, and while the buffers of all connections would exceed
 * NBD_BUDGET (granted in ticket order, so a large request is not starved
 * by small ones; a request larger than a budget runs alone).  So payload
 * memory stays within max(NBD_BUDGET, cfg->max_request) whatever the
 * clients do.  Nothing a worker does waits for a reader, so the waits end.
 * A client that holds budget and stalls - stops reading replies, or stops
 * in the middle of a WRITE payload - is disconnected after
 * NBD_SEND_TIMEOUT_SEC / NBD_RECV_TIMEOUT_SEC.
 *
 * Ordering and flush.  Requests may run and reply in any order.  FLUSH is
 * dev_flush() on the export's dev, which every connection to that export
 * shares: it covers every write that has completed, on any connection,
 * when the flush starts - in particular every write the client saw a reply
 * for, which is what the protocol asks, also across connections; hence
 * CAN_MULTI_CONN.  A write still in flight beside the flush may or may not
 * be covered.  FUA goes down to dev_write() as DEV_FUA.
 *
 * Errors.  A protocol error the stream survives (bad flags, range, unknown
 * command) gets an error reply; one it does not (bad magic, absurd
 * lengths, EOF mid-message, send failure) ends that connection only.
 * Nothing here exits or aborts; sends use MSG_NOSIGNAL.
 *
 * Shutdown.  Stop the acceptors; shut the read side of every connection,
 * so each reader sees EOF, waits for its requests to reply and closes;
 * then stop the workers once the queue is empty.  A request the client
 * sent before is still read and served (a unix peer cannot send after
 * SHUT_RD; a TCP peer can, so a reader takes max_inflight more at most).
 * A finished connection thread is joined by an acceptor (woken through a
 * pipe) or by shutdown.
 */
#include "export/nbd_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

struct nbd_listener {
	struct nbd_listener *next;
	struct nbd_server *s;
	pthread_t thread;
	int fd;
	struct nbd_tls *tls;
	enum nbd_tls_mode tls_mode;
};

int nbd_thread_create(pthread_t *t, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	int r;

	r = pthread_attr_init(&attr);
	if (r)
		return -r;
	r = pthread_attr_setstacksize(&attr, NBD_THREAD_STACK);
	if (!r)
		r = pthread_create(t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return -r;
}

void nbd_queue(struct nbd_server *s, struct nbd_req *q)
{
	q->next = NULL;
	pthread_mutex_lock(&s->qlock);
	if (s->qtail)
		s->qtail->next = q;
	else
		s->qhead = q;
	s->qtail = q;
	pthread_cond_signal(&s->qcond);
	pthread_mutex_unlock(&s->qlock);
}

static void *worker_main(void *arg)
{
	struct nbd_server *s = arg;

	for (;;) {
		struct nbd_req *q;

		pthread_mutex_lock(&s->qlock);
		while (!s->qhead && !s->qstop)
			pthread_cond_wait(&s->qcond, &s->qlock);
		q = s->qhead;
		if (q) {
			s->qhead = q->next;
			if (!s->qhead)
				s->qtail = NULL;
		}
		pthread_mutex_unlock(&s->qlock);
		if (!q)
			return NULL;
		nbd_req_run(q);
	}
}

/* payload buffers and budget together.  Buffers in use (bused)
 * plus buffers kept for reuse (bcached) never exceed NBD_BUDGET (but for
 * one request larger than the budget, running alone), so reuse costs no
 * memory beyond the budget, and a request does not mmap, fault in every
 * page and munmap each time.  Buffers are powers of two from 4 KiB. */
static unsigned buf_class(uint64_t n)
{
	unsigned c = 12;

	while (((uint64_t)1 << c) < n)
		c++;
	return c;
}

static void *buf_map(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* A cached buffer dropped to make room: the list runs through the
 * buffers themselves, each remembering its size class. */
struct dropped {
	struct dropped *next;
	unsigned cls;
};

void *nbd_budget_get(struct nbd_server *s, uint64_t n)
{
	return nbd_budget_take(s, n, true);
}

void *nbd_budget_take(struct nbd_server *s, uint64_t n, bool wait)
{
	struct dropped *drop = NULL;
	uint64_t ticket, size;
	unsigned cls;
	void *buf;

	if (!n)
		return NULL;
	cls = buf_class(n);
	size = (uint64_t)1 << cls;
	pthread_mutex_lock(&s->block);
	if (!wait && (s->ticket_next != s->ticket_serving || (s->bused && s->bused + size > NBD_BUDGET))) {
		pthread_mutex_unlock(&s->block);
		return NBD_BUDGET_BUSY;
	}
	ticket = s->ticket_next++;
	while (ticket != s->ticket_serving || (s->bused && s->bused + size > NBD_BUDGET))
		pthread_cond_wait(&s->bcond, &s->block);
	s->ticket_serving++;
	s->bused += size;
	buf = s->bcache[cls];
	if (buf) {
		s->bcache[cls] = *(void **)buf;
		s->bcached -= size;
	}
	/* A new buffer must fit beside the cached ones: drop others. */
	for (unsigned c = 0; !buf && c < NBD_BUF_CLASSES && s->bused + s->bcached > NBD_BUDGET; c++) {
		while (s->bcache[c] && s->bused + s->bcached > NBD_BUDGET) {
			struct dropped *d = s->bcache[c];

			s->bcache[c] = *(void **)d;
			s->bcached -= (uint64_t)1 << c;
			d->next = drop;
			d->cls = c;
			drop = d;
		}
	}
	pthread_cond_broadcast(&s->bcond);
	pthread_mutex_unlock(&s->block);
	while (drop) {
		struct dropped *next = drop->next;

		munmap(drop, (size_t)1 << drop->cls);
		drop = next;
	}
	if (!buf && !(buf = buf_map(size)))
		nbd_budget_put(s, NULL, n);
	return buf;
}

void nbd_budget_put(struct nbd_server *s, void *buf, uint64_t n)
{
	unsigned cls;
	uint64_t size;

	if (!n)
		return;
	cls = buf_class(n);
	size = (uint64_t)1 << cls;
	pthread_mutex_lock(&s->block);
	s->bused -= size;
	if (buf && s->bused + s->bcached + size <= NBD_BUDGET) {
		*(void **)buf = s->bcache[cls];
		s->bcache[cls] = buf;
		s->bcached += size;
		buf = NULL;
	}
	pthread_cond_broadcast(&s->bcond);
	pthread_mutex_unlock(&s->block);
	if (buf)
		munmap(buf, size);
}

static void wake_acceptors(struct nbd_server *s)
{
	char b = 0;

	/* A full pipe already wakes them: EAGAIN is fine. */
	if (write(s->wake[1], &b, 1) < 0 && errno != EAGAIN)
		log_debug("nbd: waking acceptors: %s", strerror(errno));
}

static void reap(struct nbd_server *s)
{
	struct nbd_conn *c, *next;

	pthread_mutex_lock(&s->lock);
	c = s->zombies;
	s->zombies = NULL;
	pthread_mutex_unlock(&s->lock);
	for (; c; c = next) {
		next = c->next;
		pthread_join(c->thread, NULL);
		nbd_conn_free(c);
	}
}

static void *conn_main(void *arg)
{
	struct nbd_conn *c = arg, **pp;
	struct nbd_server *s = c->s;

	nbd_conn_serve(c);
	pthread_mutex_lock(&s->lock);
	for (pp = &s->conns; *pp != c; pp = &(*pp)->next)
		;
	*pp = c->next;
	/* Off the live list, nobody else touches the socket: close it now so
	 * the client sees EOF before the thread is joined. */
	close(c->fd);
	c->fd = -1;
	c->next = s->zombies;
	s->zombies = c;
	s->nconns--;
	pthread_cond_broadcast(&s->conn_gone);
	pthread_mutex_unlock(&s->lock);
	wake_acceptors(s);
	log_debug("nbd: connection %u closed", c->id);
	return NULL;
}

static void setup_socket(int fd)
{
	struct timeval tv = { .tv_sec = NBD_SEND_TIMEOUT_SEC };
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int one = 1, sndbuf = NBD_UNIX_SNDBUF;

	if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		log_debug("nbd: SO_SNDTIMEO: %s", strerror(errno));
	if (getsockname(fd, (struct sockaddr *)&ss, &len))
		return;
	if ((ss.ss_family == AF_INET || ss.ss_family == AF_INET6) &&
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		log_debug("nbd: TCP_NODELAY: %s", strerror(errno));
	if (ss.ss_family == AF_UNIX && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)))
		log_debug("nbd: SO_SNDBUF: %s", strerror(errno));
}

static void add_conn(struct nbd_listener *l, int fd)
{
	struct nbd_server *s = l->s;
	struct nbd_conn *c;
	unsigned id = 0;
	int r;

	setup_socket(fd);
	r = nbd_conn_new(s, fd, &c);
	if (r) {
		log_warn("nbd: cannot serve a client: %s", strerror(-r));
		close(fd);
		return;
	}
	c->tls_creds = l->tls;
	c->tls_mode = l->tls ? l->tls_mode : NBD_TLS_OFF;
	pthread_mutex_lock(&s->lock);
	if (atomic_load(&s->stopping)) {
		r = -ESHUTDOWN;
	} else {
		id = c->id = s->next_id++;
		r = nbd_thread_create(&c->thread, conn_main, c);
	}
	if (!r) {
		c->next = s->conns;
		s->conns = c;
		s->nconns++;
	}
	pthread_mutex_unlock(&s->lock);
	if (r) {
		if (r != -ESHUTDOWN)
			log_warn("nbd: cannot start a connection thread: %s", strerror(-r));
		close(fd);
		nbd_conn_free(c);
		return;
	}
	/* not c->id: the connection may be over, and reaped, already */
	log_debug("nbd: connection %u accepted", id);
}

static void *accept_main(void *arg)
{
	struct nbd_listener *l = arg;
	struct nbd_server *s = l->s;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = l->fd, .events = POLLIN },
			{ .fd = s->wake[0], .events = POLLIN },
		};
		int fd;

		if (poll(p, 2, -1) < 0 && errno != EINTR) {
			log_err("nbd: poll: %s", strerror(errno));
			return NULL;
		}
		if (atomic_load(&s->stopping))
			return NULL;
		if (p[1].revents) {
			char buf[64];
			while (read(s->wake[0], buf, sizeof(buf)) > 0)
				;
			reap(s);
		}
		if (!(p[0].revents & POLLIN))
			continue;
		fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			add_conn(l, fd);
		} else if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
			/* Out of descriptors or memory: back off, do not spin. */
			struct timespec ts = { .tv_nsec = 100 * 1000 * 1000 };
			log_warn("nbd: accept: %s", strerror(errno));
			nanosleep(&ts, NULL);
		}
	}
}

int nbd_server_new(const struct nbd_server_config *cfg, const struct nbd_exports *exports,
		   struct nbd_server **out)
{
	struct nbd_server *s;
	unsigned i;
	int r;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	if (cfg)
		s->cfg = *cfg;
	if (!s->cfg.workers)
		s->cfg.workers = 16;
	if (!s->cfg.max_request)
		s->cfg.max_request = 32u << 20;
	/* At least the preferred block size; at most what we are willing to
	 * allocate for one request (and 8 + it fits a chunk length). */
	if (s->cfg.max_request < 4096)
		s->cfg.max_request = 4096;
	if (s->cfg.max_request > (1u << 30))
		s->cfg.max_request = 1u << 30;
	if (!s->cfg.max_inflight)
		s->cfg.max_inflight = 64;
	s->exports = *exports;
	atomic_init(&s->stopping, false);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->conn_gone, NULL);
	pthread_mutex_init(&s->qlock, NULL);
	pthread_cond_init(&s->qcond, NULL);
	pthread_mutex_init(&s->block, NULL);
	pthread_cond_init(&s->bcond, NULL);
	s->wake[0] = s->wake[1] = -1;
	if (pipe2(s->wake, O_NONBLOCK | O_CLOEXEC)) {
		r = -errno;
		goto fail;
	}
	s->workers = calloc(s->cfg.workers, sizeof(*s->workers));
	if (!s->workers) {
		r = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < s->cfg.workers; i++) {
		r = nbd_thread_create(&s->workers[i], worker_main, s);
		if (r)
			goto fail;
		s->nworkers++;
	}
	*out = s;
	return 0;
fail:
	nbd_server_free(s);
	return r;
}

int nbd_server_listen(struct nbd_server *s, int fd)
{
	return nbd_server_listen_tls(s, fd, NULL, NBD_TLS_OFF);
}

int nbd_server_listen_tls(struct nbd_server *s, int fd, struct nbd_tls *tls, enum nbd_tls_mode mode)
{
	struct nbd_listener *l;
	int r, fl;

	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK)) {
		r = -errno;
		close(fd);
		return r;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		close(fd);
		return -ENOMEM;
	}
	l->s = s;
	l->fd = fd;
	l->tls = tls;
	l->tls_mode = mode;
	pthread_mutex_lock(&s->lock);
	r = s->shut ? -ESHUTDOWN : nbd_thread_create(&l->thread, accept_main, l);
	if (!r) {
		l->next = s->listeners;
		s->listeners = l;
	}
	pthread_mutex_unlock(&s->lock);
	if (r) {
		close(fd);
		free(l);
	}
	return r;
}

static void stop_workers(struct nbd_server *s)
{
	unsigned i;

	pthread_mutex_lock(&s->qlock);
	s->qstop = true;
	pthread_cond_broadcast(&s->qcond);
	pthread_mutex_unlock(&s->qlock);
	for (i = 0; i < s->nworkers; i++)
		pthread_join(s->workers[i], NULL);
	s->nworkers = 0;
}

void nbd_server_shutdown(struct nbd_server *s)
{
	struct nbd_listener *l, *ln;
	struct nbd_conn *c;

	pthread_mutex_lock(&s->lock);
	s->shut = true;
	atomic_store(&s->stopping, true);
	l = s->listeners;
	s->listeners = NULL;
	pthread_mutex_unlock(&s->lock);

	if (s->wake[1] >= 0)
		wake_acceptors(s);
	for (; l; l = ln) {
		ln = l->next;
		pthread_join(l->thread, NULL);
		close(l->fd);
		free(l);
	}

	/* Readers see EOF, let their requests reply, and leave; replies can
	 * still be written. */
	pthread_mutex_lock(&s->lock);
	for (c = s->conns; c; c = c->next)
		shutdown(c->fd, SHUT_RD);
	while (s->conns)
		pthread_cond_wait(&s->conn_gone, &s->lock);
	pthread_mutex_unlock(&s->lock);
	reap(s);
	stop_workers(s);
}

void nbd_server_free(struct nbd_server *s)
{
	if (!s)
		return;
	nbd_server_shutdown(s); /* a no-op when it already ran */
	if (s->wake[0] >= 0)
		close(s->wake[0]);
	if (s->wake[1] >= 0)
		close(s->wake[1]);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->conn_gone);
	pthread_mutex_destroy(&s->qlock);
	pthread_cond_destroy(&s->qcond);
	pthread_mutex_destroy(&s->block);
	pthread_cond_destroy(&s->bcond);
	for (unsigned c = 0; c < NBD_BUF_CLASSES; c++)
		while (s->bcache[c]) {
			void *p = s->bcache[c];
			s->bcache[c] = *(void **)p;
			munmap(p, (size_t)1 << c);
		}
	free(s->workers);
	free(s);
}

unsigned nbd_server_connections(struct nbd_server *s)
{
	unsigned n;

	pthread_mutex_lock(&s->lock);
	n = s->nconns;
	pthread_mutex_unlock(&s->lock);
	return n;
}
