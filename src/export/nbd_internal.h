/* What the files of the NBD server share: nbd.c (server, accept, workers,
 * buffer budget), nbd_handshake.c (option haggling), nbd_conn.c
 * (transmission), nbd_io.c (socket, requests, reply queue), nbd_proto.c
 * (wire codec).  Not for users of the server: they include nbd.h. */
#ifndef ULVM_EXPORT_NBD_INTERNAL_H
#define ULVM_EXPORT_NBD_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "export/nbd.h"
#include "export/nbd_proto.h"
#include "export/nbd_tls.h"

/* Stacks of every server thread: 64 connections stay cheap.  Device ops
 * run on the workers, so a target must not put big buffers on its stack. */
#define NBD_THREAD_STACK (256u * 1024)
/* A client that reads no reply, or sends no byte of a WRITE payload, for
 * this long is disconnected: it cannot hold workers (blocked in send) or
 * the payload budget for longer. */
#define NBD_SEND_TIMEOUT_SEC 30
#define NBD_RECV_TIMEOUT_SEC 30
/* SO_SNDBUF of a unix-socket connection (the kernel doubles it and caps it
 * at net.core.wmem_max).  A unix stream socket only queues what its
 * sender's buffer holds, 208 KiB by default: a 1 MiB reply then goes out
 * in five rounds of the sender sleeping until the client has read, and
 * the client waiting for the next piece while the CPU it needs runs the
 * next request.  1 MiB (2 MiB queued) took 1 MiB reads from 5.8-5.9 to
 * 9.8-10.7 GB/s on linear, 2.3 to 2.9-3.2 GB/s on crypt
 * (docs/PERFORMANCE.md); more measured no better.  TCP keeps the
 * kernel's autotuning, which a fixed SO_SNDBUF would turn off.  Bounded:
 * a client that stops reading holds at most this much kernel memory (x2)
 * until NBD_SEND_TIMEOUT_SEC disconnects it. */
#define NBD_UNIX_SNDBUF (1u << 20)
/* Payload bytes buffered for requests in flight: all connections
 * together, and one connection's share.  A request larger than either
 * still runs, alone.  8 MiB: a client's usual QD8 of 1 MiB requests all in
 * flight (2 MiB held 1 MiB reads at 0.92 of nbdkit, 8 MiB 0.95; writes
 * 0.95 -> 1.02: docs/PERFORMANCE.md); NBD_BUDGET still bounds the sum. */
#define NBD_BUDGET      (32u << 20)
#define NBD_CONN_BUDGET (8u << 20)
/* An oversize WRITE up to this length has its payload drained and gets
 * EINVAL; a longer one is taken as an attack and disconnects. */
#define NBD_DRAIN_MAX (64u << 20)
/* Descriptors in one BLOCK_STATUS reply. */
#define NBD_MAX_EXTENTS 2048
/* Context id of base:allocation; the owner's contexts (nbd_exports
 * open_context) get NBD_META_ID_ALLOCATION + 1 + their index. */
#define NBD_META_ID_ALLOCATION 1
#define NBD_MAX_META 8

struct nbd_req;

#define NBD_BUF_CLASSES 48 /* payload buffers of 2^c bytes, c < 48 */

struct nbd_server {
	struct nbd_server_config cfg;
	struct nbd_exports exports;
	atomic_bool stopping;

	pthread_mutex_t lock;        /* the lists and counts below */
	pthread_cond_t conn_gone;
	struct nbd_conn *conns;      /* live connections */
	struct nbd_conn *zombies;    /* finished, thread to join */
	unsigned nconns;
	unsigned next_id;
	struct nbd_listener *listeners;
	bool shut;
	int wake[2];                 /* wakes acceptors: stop, or zombies to reap */

	pthread_mutex_t qlock;       /* worker queue */
	pthread_cond_t qcond;
	struct nbd_req *qhead, *qtail;
	bool qstop;
	pthread_t *workers;
	unsigned nworkers;

	pthread_mutex_t block;       /* buffer budget, granted in ticket order */
	pthread_cond_t bcond;
	uint64_t bused;
	uint64_t bcached;            /* bytes in the buffer cache */
	void *bcache[NBD_BUF_CLASSES]; /* free buffers per power-of-two class */
	uint64_t ticket_next, ticket_serving;
};

struct nbd_conn {
	struct nbd_server *s;
	struct nbd_conn *next;
	pthread_t thread;
	unsigned id;
	int fd;
	/* TLS as the listener offers it; tls is the GnuTLS session once
	 * STARTTLS succeeded (then every byte goes through it). */
	struct nbd_tls *tls_creds;
	enum nbd_tls_mode tls_mode;
	void *tls;
	unsigned tls_refused;        /* options refused for want of TLS */

	/* Negotiated in the handshake, read-only afterwards. */
	struct dev *dev;
	uint16_t tflags;
	bool structured;
	bool no_zeroes;
	bool meta_alloc;             /* base:allocation selected for this export */
	char *meta_export;           /* the export SET_META_CONTEXT named */
	void *meta[NBD_MAX_META];    /* handles of the owner's selected contexts */
	unsigned nmeta;

	/* The reader's receive buffer: what one recv brought beyond the
	 * bytes asked for (the next headers, small payloads). */
	uint8_t *rbuf;
	size_t rpos, rlen;

	pthread_mutex_t lock;        /* inflight, bytes, the reply queue, free */
	pthread_cond_t cond;
	unsigned inflight;           /* requests not yet released */
	size_t bytes;                /* their payload buffers */
	struct nbd_req *out_head, **out_tail;
	bool sending;                /* a thread is sending the queue */
	bool corked;                 /* the reader holds its replies back (nbd_uncork) */
	unsigned corked_n;           /* replies held back since the last uncork */
	struct nbd_req *free;        /* released requests, for reuse */
	unsigned nfree;

	_Atomic uint32_t avg_ns[2];  /* moving average of READ [0] and WRITE [1] times (nbd_conn.c) */

	struct nbd_ring *ring;       /* the reader's ring (nbd_ring.c), NULL until used */
	int pipe[2];                 /* the reader's pipe (nbd_splice.c), if pipe_cap */
	size_t pipe_cap;
	bool pipe_failed;            /* no pipe of NBD_PIPE_MAX: do not ask again */

	pthread_mutex_t send_lock;   /* one message at a time on the socket */
	bool broken;                 /* a send failed: the socket is shut down */
};

/* READs and WRITEs from this size up are spliced (nbd_splice.c), READs
 * up to the pipe's size at most. */
#define NBD_SPLICE_MIN (64u << 10)
#define NBD_PIPE_MAX (1u << 20) /* fs.pipe-max-size's default */

#define NBD_MAX_IOV 3
/* The reader's receive buffer; replies sent by one sendmsg at the most. */
#define NBD_RBUF_SIZE (64u << 10)
#define NBD_SEND_BATCH 32
/* The reader sends its held-back replies at least every this many. */
#define NBD_CORK_MAX 16
/* A connection's requests start as if they took this long (nbd_conn.c). */
#define NBD_AVG_START_NS 1000000

/* A request from header to reply. */
struct nbd_req {
	struct nbd_req *next;        /* worker queue, then reply queue */
	struct nbd_conn *c;
	struct nbd_request r;
	void *buf;                   /* READ/WRITE payload */
	size_t len;                  /* its size */
	bool charged;                /* len is taken from the server's budget */

	/* The reply: iov points into head, msg, buf or extra. */
	uint8_t head[NBD_CHUNK_HDR_SIZE + 8];
	char msg[96];
	void *extra;                 /* BLOCK_STATUS descriptors */
	struct iovec iov[NBD_MAX_IOV];
	int niov;

	uint64_t t0;                 /* READ/WRITE: when it started (nbd_req_complete) */
	struct dev_direct dio;       /* on the connection's ring: where it went (nbd_ring.c) */
};

/* nbd.c */
int nbd_thread_create(pthread_t *t, void *(*fn)(void *), void *arg);
void nbd_queue(struct nbd_server *s, struct nbd_req *q);
/* wait for @n bytes of budget and return a buffer of that size
 * (NULL: out of memory, budget not taken); _put gives both back. */
void *nbd_budget_get(struct nbd_server *s, uint64_t n);
/* The same, but with @wait false NBD_BUDGET_BUSY instead of waiting. */
#define NBD_BUDGET_BUSY ((void *)1)
void *nbd_budget_take(struct nbd_server *s, uint64_t n, bool wait);
void nbd_budget_put(struct nbd_server *s, void *buf, uint64_t n);

/* nbd_io.c */
int nbd_conn_new(struct nbd_server *s, int fd, struct nbd_conn **out);
void nbd_conn_free(struct nbd_conn *c);
/* A request with an @n-byte payload buffer, once the connection has room
 * for it (max_inflight, NBD_CONN_BUDGET).  NULL: no memory. */
struct nbd_req *nbd_req_new(struct nbd_conn *c, const struct nbd_request *r, size_t n);
void nbd_req_release(struct nbd_req *q);
/* Send the reply in q->iov, then release @q.  While the connection is
 * corked, a reply made on the reader waits in the queue for nbd_uncork. */
void nbd_reply(struct nbd_req *q);
/* The reader has more requests buffered: hold its replies, to send them
 * together; nbd_uncork sends what is queued.  The reader uncorks before
 * it can block (recv, admission), so a held reply never waits on the
 * client. */
void nbd_cork(struct nbd_conn *c);
void nbd_uncork(struct nbd_conn *c);
/* The calling thread reads @c from now on (NULL: none). */
void nbd_set_reader(struct nbd_conn *c);
/* Bytes buffered on the reader side. */
static inline size_t nbd_buffered(const struct nbd_conn *c) { return c->rlen - c->rpos; }
/* One message: all of @iov in order, under the send lock. */
int nbd_send(struct nbd_conn *c, const struct iovec *iov, int n);
/* One message: @hlen bytes of @head, then @len bytes spliced from the
 * pipe @pipefd, under the send lock. */
int nbd_send_pipe(struct nbd_conn *c, const void *head, size_t hlen, int pipefd, size_t len);
/* Exactly @n bytes: 0, -ENODATA on EOF before the first byte, -ECONNRESET
 * on EOF after it, -ETIMEDOUT when no byte came for @timeout_ms (< 0: wait
 * for ever), or -errno. */
int nbd_recv_timed(struct nbd_conn *c, void *buf, size_t n, int timeout_ms);
int nbd_recv(struct nbd_conn *c, void *buf, size_t n);

/* nbd_tls.c: the server side of STARTTLS on c->fd (0, c->tls set; or
 * -errno, logged); the session's end; the record layer as nbd_io.c uses
 * it: a receive as recv (bytes, 0 at EOF, -errno, -ETIMEDOUT), and all of
 * @iov (0, -EAGAIN on SO_SNDTIMEO, -EPIPE). */
int nbd_tls_start(struct nbd_conn *c);
void nbd_tls_end(struct nbd_conn *c);
ssize_t nbd_tls_recv(struct nbd_conn *c, void *buf, size_t n, int timeout_ms);
int nbd_tls_send(struct nbd_conn *c, const struct iovec *iov, int n);
/* Bytes GnuTLS has decrypted and not yet given (0 without TLS). */
size_t nbd_tls_pending(const struct nbd_conn *c);

/* nbd_ring.c: READ and WRITE on the reader's own ring, for devices that
 * map them onto a file that takes them (dev_direct_begin).  Reader only. */
/* Take @q onto the ring (true), or leave it to the caller (false). */
bool nbd_ring_submit(struct nbd_conn *c, struct nbd_req *q);
/* Are transfers on the ring? */
bool nbd_ring_busy(const struct nbd_conn *c);
/* Submit what is prepared (the reader is about to block on the socket). */
void nbd_ring_flush(struct nbd_conn *c);
/* The reader needs the socket: reply to completions until it is
 * readable, or nothing is on the ring. */
void nbd_ring_wait(struct nbd_conn *c);
/* Reap until the connection has room for a request of @n bytes
 * (nbd_req_new would not wait for the ring's own requests). */
void nbd_ring_room(struct nbd_conn *c, size_t n);
/* A payload buffer while the ring holds budget: reap until one is
 * granted or nothing is on the ring (then NBD_BUDGET_BUSY: wait). */
void *nbd_ring_budget(struct nbd_conn *c, size_t n);
/* Wait for everything on the ring and release it. */
void nbd_ring_drain(struct nbd_conn *c);

/* nbd_splice.c: large READs and WRITEs of devices that map them onto a
 * buffered file, moved by splice(2).  Reader only, for a request that has
 * its admission (nbd_req_new) but no buffer: 1 when it took @q (replied,
 * or the reply failed and the connection is broken), 0 when @q is left to
 * the caller (nothing consumed), -errno when the socket failed. */
int nbd_splice(struct nbd_conn *c, struct nbd_req *q);
/* The reader is done: close its pipe. */
void nbd_splice_end(struct nbd_conn *c);

/* nbd_conn.c */
/* Handshake, then transmission until the client leaves; returns when
 * every request has replied and the export is closed.  Does not close
 * the socket. */
void nbd_conn_serve(struct nbd_conn *c);
/* Worker side: run one request and reply. */
void nbd_req_run(struct nbd_req *q);
/* A READ or WRITE that started at q->t0 ended with @ret: reply. */
void nbd_req_complete(struct nbd_req *q, int ret);
/* The header of a READ's successful reply, in q->head: its length. */
size_t nbd_read_reply_head(struct nbd_req *q);
/* Reader: q->buf, of q->len bytes from the payload budget: 0 or -ENOMEM. */
int nbd_req_buffer(struct nbd_req *q);
uint64_t nbd_now_ns(void);

/* nbd_handshake.c: 0 with c->dev open (go on to transmission), or -errno
 * (close the connection). */
int nbd_handshake(struct nbd_conn *c);
/* Drop every selected meta context. */
void nbd_meta_clear(struct nbd_conn *c);

#endif
