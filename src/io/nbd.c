/* struct dev over an NBD export, through libnbd (a table names it by URI).
 *
 * One connection per URI, driven asynchronously.  A dev op issues its
 * commands with the nbd_aio_* calls, which take the handle lock only to
 * queue a command and start sending it, then sleeps until the commands'
 * completion callbacks have run.  One dispatcher thread per connection
 * polls the socket and feeds libnbd's state machine
 * (nbd_aio_notify_read/write): that is where replies are read and the
 * callbacks run.  So every worker thread's request is in flight at once on
 * the one connection, whatever the server says about multi-conn.  (A pool
 * of connections with the blocking calls would be a little less code, but
 * a libnbd handle serialises its blocking calls, and qemu-nbd by default
 * takes one client (--shared=1) and does not offer multi-conn, so the pool
 * would be one connection, one request at a time.  qemu-nbd and nbdkit
 * answer the requests of one connection in parallel.)
 *
 * The dispatcher polls for what libnbd says it waits for (read, or read
 * and write while a request is half sent).  A submitter that leaves a
 * request half sent (the socket was full) kicks it through an eventfd so
 * that it polls for POLLOUT too.
 *
 * Reads and writes larger than the server's maximum block size (32 MiB at
 * most) and trims and zeroes past 1 GiB are split, and the pieces issued
 * together.  What the export cannot do is emulated as dev.h says: FUA
 * becomes a flush, zeroes are written as buffers, extents report data.
 *
 * If the connection dies, libnbd completes every command in flight with
 * ENOTCONN; those and all later ops fail -EIO, and the loss is logged
 * once.  There is no reconnection: the tables using the URI are removed
 * and loaded again (which opens a new connection).
 */
#include "io/dev.h"

#include <errno.h>
#include <libnbd.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/log.h"

#define MAX_IO (32u << 20)     /* the NBD default maximum payload */
#define MAX_NO_DATA (1u << 30) /* trim, zero, block status: 32-bit count */

struct nbd_dev {
	struct dev dev;
	struct nbd_handle *h;
	int kick;               /* eventfd: wakes the dispatcher */
	pthread_t thread;
	atomic_bool stop;
	atomic_bool lost;       /* the connection is gone (logged) */
	uint32_t max_io;
	bool can_flush, can_fua, can_trim, can_zero, can_fast_zero, can_extents;
};

/* One dev op: its commands in flight and the first error. */
struct nbd_wait {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	unsigned pending;
	int err;          /* errno */
	uint32_t *ext;    /* block status: (length, flags) pairs */
	size_t next;      /* how many pairs */
};

enum nbd_cmd { CMD_READ, CMD_WRITE, CMD_FLUSH, CMD_TRIM, CMD_ZERO, CMD_STATUS };

static struct nbd_dev *to_nbd(struct dev *d) { return (struct nbd_dev *)d; }

/* The connection is gone: say so once. */
static void lost(struct nbd_dev *n, const char *why)
{
	if (!atomic_exchange(&n->lost, true))
		log_err("%s: NBD connection lost: %s; I/O to it fails from now on", n->dev.name, why);
}

static bool is_gone(struct nbd_dev *n)
{
	return atomic_load(&n->lost) || nbd_aio_is_dead(n->h) > 0 || nbd_aio_is_closed(n->h) > 0;
}

static void kick(struct nbd_dev *n)
{
	uint64_t one = 1;

	if (write(n->kick, &one, sizeof(one)) < 0) {
		/* The counter is non-zero (EAGAIN): a wake-up is pending. */
	}
}

static void *dispatch(void *arg)
{
	struct nbd_dev *n = arg;
	int fd = nbd_aio_get_fd(n->h);
	char why[256];

	while (!atomic_load(&n->stop)) {
		unsigned dir = nbd_aio_get_direction(n->h);
		struct pollfd p[2] = {
			{ .fd = dir ? fd : -1,
			  .events = (dir & LIBNBD_AIO_DIRECTION_READ ? POLLIN : 0) |
				    (dir & LIBNBD_AIO_DIRECTION_WRITE ? POLLOUT : 0) },
			{ .fd = n->kick, .events = POLLIN },
		};
		int r = 0;

		if (poll(p, 2, -1) < 0)
			continue; /* EINTR; nothing else is possible here */
		if (p[1].revents & POLLIN) {
			uint64_t v;
			if (read(n->kick, &v, sizeof(v)) < 0) {
				/* EAGAIN: another wake-up drained it */
			}
		}
		/* A direction read before a submitter ran can be stale: libnbd
		 * refuses the notification (EINVAL) and we poll again. */
		if ((p[0].revents & (POLLIN | POLLHUP | POLLERR)) && (dir & LIBNBD_AIO_DIRECTION_READ))
			r = nbd_aio_notify_read(n->h);
		else if (p[0].revents & (POLLOUT | POLLHUP | POLLERR))
			r = nbd_aio_notify_write(n->h);
		if (r < 0)
			snprintf(why, sizeof(why), "%s", nbd_get_error());
		if (!atomic_load(&n->lost) && is_gone(n))
			lost(n, r < 0 ? why : "the server closed the connection");
	}
	return NULL;
}

static int on_done(void *opaque, int *error)
{
	struct nbd_wait *w = opaque;

	pthread_mutex_lock(&w->lock);
	if (*error && !w->err)
		w->err = *error;
	if (--w->pending == 0)
		pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	return 1; /* retire the command */
}

/* Runs on the dispatcher with the handle locked: copy, call nothing. */
static int on_extents(void *opaque, const char *context, uint64_t off, uint32_t *entries,
		      size_t nr, int *error)
{
	struct nbd_wait *w = opaque;

	(void)off;
	if (strcmp(context, LIBNBD_CONTEXT_BASE_ALLOCATION) || w->ext || nr < 2)
		return 0;
	w->ext = malloc(nr * sizeof(*entries));
	if (!w->ext) {
		*error = ENOMEM;
		return -1;
	}
	memcpy(w->ext, entries, nr * sizeof(*entries));
	w->next = nr / 2;
	return 0;
}

static int64_t submit(struct nbd_dev *n, enum nbd_cmd c, void *buf, uint64_t len, uint64_t off,
		      uint32_t flags, struct nbd_wait *w)
{
	nbd_completion_callback done = { .callback = on_done, .user_data = w };

	switch (c) {
	case CMD_READ:
		return nbd_aio_pread(n->h, buf, len, off, done, flags);
	case CMD_WRITE:
		return nbd_aio_pwrite(n->h, buf, len, off, done, flags);
	case CMD_FLUSH:
		return nbd_aio_flush(n->h, done, flags);
	case CMD_TRIM:
		return nbd_aio_trim(n->h, len, off, done, flags);
	case CMD_ZERO:
		return nbd_aio_zero(n->h, len, off, done, flags);
	case CMD_STATUS: {
		nbd_extent_callback ext = { .callback = on_extents, .user_data = w };
		return nbd_aio_block_status(n->h, len, off, ext, done, flags);
	}
	}
	return -1;
}

static void wait_init(struct nbd_wait *w)
{
	*w = (struct nbd_wait){ .pending = 0 };
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
}

static void wait_destroy(struct nbd_wait *w)
{
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->cond);
	free(w->ext);
}

/* Issue @c over [off, off+len) in pieces of at most @piece bytes, all in
 * flight together, and wait for them.  @buf advances with the offset. */
static int run(struct nbd_dev *n, enum nbd_cmd c, char *buf, uint64_t len, uint64_t off,
	       uint32_t flags, uint64_t piece, struct nbd_wait *w)
{
	int err = 0;

	if (atomic_load(&n->lost))
		return -EIO;
	do {
		uint64_t l = len < piece ? len : piece;

		pthread_mutex_lock(&w->lock);
		w->pending++;
		pthread_mutex_unlock(&w->lock);
		if (submit(n, c, buf, l, off, flags, w) < 0) {
			/* Not queued: libnbd will not call on_done. */
			err = nbd_get_errno() ? nbd_get_errno() : EIO;
			if (!is_gone(n))
				log_err("%s: NBD request refused: %s", n->dev.name, nbd_get_error());
			pthread_mutex_lock(&w->lock);
			w->pending--;
			pthread_mutex_unlock(&w->lock);
			break;
		}
		if (buf)
			buf += l;
		off += l;
		len -= l;
	} while (len);
	if (nbd_aio_get_direction(n->h) & LIBNBD_AIO_DIRECTION_WRITE)
		kick(n);
	pthread_mutex_lock(&w->lock);
	while (w->pending)
		pthread_cond_wait(&w->cond, &w->lock);
	if (!err)
		err = w->err;
	pthread_mutex_unlock(&w->lock);
	if (err && is_gone(n)) {
		lost(n, "the connection is closed");
		return -EIO;
	}
	return -err;
}

static int run1(struct nbd_dev *n, enum nbd_cmd c, void *buf, uint64_t len, uint64_t off,
		uint32_t flags, uint64_t piece)
{
	struct nbd_wait w;
	int r;

	wait_init(&w);
	r = run(n, c, buf, len, off, flags, piece, &w);
	wait_destroy(&w);
	return r;
}

static int nbd_flush_op(struct dev *d)
{
	struct nbd_dev *n = to_nbd(d);

	/* A server that cannot flush writes through. */
	return n->can_flush ? run1(n, CMD_FLUSH, NULL, 0, 0, 0, 1) : 0;
}

/* FUA as the server does it, or the command and then a flush. */
static int with_fua(struct nbd_dev *n, enum nbd_cmd c, void *buf, uint64_t len, uint64_t off,
		    uint32_t flags, unsigned dflags, uint64_t piece)
{
	bool fua = dflags & DEV_FUA;
	int r;

	if (fua && n->can_fua)
		flags |= LIBNBD_CMD_FLAG_FUA;
	r = run1(n, c, buf, len, off, flags, piece);
	if (!r && fua && !n->can_fua)
		r = nbd_flush_op(&n->dev);
	return r;
}

static int nbd_read_op(struct dev *d, void *buf, size_t len, uint64_t off)
{
	struct nbd_dev *n = to_nbd(d);

	return run1(n, CMD_READ, buf, len, off, 0, n->max_io);
}

static int nbd_write_op(struct dev *d, const void *buf, size_t len, uint64_t off, unsigned flags)
{
	struct nbd_dev *n = to_nbd(d);

	return with_fua(n, CMD_WRITE, (void *)buf, len, off, 0, flags, n->max_io);
}

static int nbd_discard_op(struct dev *d, uint64_t off, uint64_t len)
{
	struct nbd_dev *n = to_nbd(d);

	/* A discard is advisory. */
	return n->can_trim ? run1(n, CMD_TRIM, NULL, len, off, 0, MAX_NO_DATA) : 0;
}

static int nbd_write_zeroes_op(struct dev *d, uint64_t off, uint64_t len, unsigned flags)
{
	struct nbd_dev *n = to_nbd(d);
	uint32_t f = 0;

	if (!n->can_zero || ((flags & DEV_FAST_ZERO) && !n->can_fast_zero)) {
		if (flags & DEV_FAST_ZERO)
			return -ENOTSUP;
		return dev_write_zero_buffers(d, off, len, flags);
	}
	if (flags & DEV_NO_HOLE)
		f |= LIBNBD_CMD_FLAG_NO_HOLE;
	if (flags & DEV_FAST_ZERO)
		f |= LIBNBD_CMD_FLAG_FAST_ZERO;
	return with_fua(n, CMD_ZERO, NULL, len, off, f, flags, MAX_NO_DATA);
}

/* One block status command at a time: the server may answer less than
 * asked, so each next one starts where the last answer ended. */
static int nbd_extents_op(struct dev *d, uint64_t off, uint64_t len, dev_extent_fn fn,
			  void *opaque)
{
	struct nbd_dev *n = to_nbd(d);
	uint64_t end = off + len;

	if (!n->can_extents)
		return fn(opaque, off, len, 0) < 0 ? -EIO : 0;
	while (off < end) {
		uint64_t ask = end - off < MAX_NO_DATA ? end - off : MAX_NO_DATA;
		uint64_t at = off;
		struct nbd_wait w;
		int r;

		wait_init(&w);
		r = run(n, CMD_STATUS, NULL, ask, off, 0, ask, &w);
		for (size_t i = 0; !r && i < w.next && at < end; i++) {
			uint64_t l = w.ext[2 * i];
			uint32_t flags = w.ext[2 * i + 1] & (DEV_EXT_HOLE | DEV_EXT_ZERO);

			if (l > end - at)
				l = end - at;
			if (!l)
				break;
			r = fn(opaque, at, l, flags);
			at += l;
		}
		wait_destroy(&w);
		if (r)
			return r < 0 ? r : 0;
		if (at == off) /* nothing answered: call the rest data */
			return fn(opaque, off, end - off, 0) < 0 ? -EIO : 0;
		off = at;
	}
	return 0;
}

/* An export's size does not change while connected; a lost one is an
 * error for whoever wants to use it again. */
static int nbd_refresh_op(struct dev *d)
{
	return is_gone(to_nbd(d)) ? -ENOTCONN : 0;
}

static void stop_dispatcher(struct nbd_dev *n)
{
	atomic_store(&n->stop, true);
	kick(n);
	pthread_join(n->thread, NULL);
}

static void nbd_destroy_op(struct dev *d)
{
	struct nbd_dev *n = to_nbd(d);

	stop_dispatcher(n);
	/* Say goodbye without waiting for the server to hang up. */
	if (!is_gone(n))
		nbd_aio_disconnect(n->h, 0);
	nbd_close(n->h);
	close(n->kick);
	free(n);
}

static const struct dev_ops nbd_ops = {
	.read = nbd_read_op,
	.write = nbd_write_op,
	.flush = nbd_flush_op,
	.discard = nbd_discard_op,
	.write_zeroes = nbd_write_zeroes_op,
	.extents = nbd_extents_op,
	.refresh = nbd_refresh_op,
	.destroy = nbd_destroy_op,
};

bool dev_is_nbd_uri(const char *s)
{
	static const char *const schemes[] = {
		"nbd:", "nbds:", "nbd+unix:", "nbds+unix:", "nbd+vsock:", "nbds+vsock:",
	};

	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (!strncmp(s, schemes[i], strlen(schemes[i])))
			return true;
	return false;
}

static int nbd_fail(struct err *e)
{
	int r = nbd_get_errno() ? -nbd_get_errno() : -EIO;

	return err_set(e, r, "%s", nbd_get_error() ? nbd_get_error() : "libnbd error");
}

/* The export's properties, read once after connecting. */
static void nbd_probe(struct nbd_dev *n, unsigned flags)
{
	struct nbd_handle *h = n->h;
	int64_t min = nbd_get_block_size(h, LIBNBD_SIZE_MINIMUM);
	int64_t max = nbd_get_block_size(h, LIBNBD_SIZE_MAXIMUM);

	n->dev.read_only = (flags & DEV_OPEN_RDONLY) || nbd_is_read_only(h) != 0;
	n->can_flush = nbd_can_flush(h) > 0;
	n->can_fua = nbd_can_fua(h) > 0;
	n->can_trim = nbd_can_trim(h) > 0;
	n->can_zero = nbd_can_zero(h) > 0;
	n->can_fast_zero = nbd_can_fast_zero(h) > 0;
	n->can_extents = nbd_can_meta_context(h, LIBNBD_CONTEXT_BASE_ALLOCATION) > 0;
	n->dev.can_discard = n->can_trim;
	n->max_io = max > 0 && max < MAX_IO ? (uint32_t)max : MAX_IO;
	if (min == 4096)
		n->dev.block_size = 4096;
}

int dev_open_nbd(const char *uri, unsigned flags, struct dev **out, struct err *e)
{
	struct nbd_dev *n;
	int64_t size;
	int r;

	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->kick = -1;
	n->h = nbd_create();
	if (!n->h) {
		r = nbd_fail(e);
		goto fail;
	}
	if (nbd_supports_uri(n->h) != 1) {
		r = err_set(e, -ENOTSUP, "this libnbd cannot parse NBD URIs");
		goto fail;
	}
	/* Reads that fail return an error, so libnbd need not zero buffers. */
	nbd_set_pread_initialize(n->h, false);
	/* nbds:// URIs may name their certificates or PSK file: whoever loads
	 * a table may name any file in it already. */
	nbd_set_uri_allow_local_file(n->h, true);
	if (nbd_add_meta_context(n->h, LIBNBD_CONTEXT_BASE_ALLOCATION) < 0 ||
	    nbd_connect_uri(n->h, uri) < 0 || (size = nbd_get_size(n->h)) < 0) {
		r = nbd_fail(e);
		goto fail;
	}
	n->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (n->kick < 0) {
		r = err_set(e, -errno, "eventfd: %s", strerror(errno));
		goto fail;
	}
	dev_init(&n->dev, &nbd_ops, uri, (uint64_t)size);
	nbd_probe(n, flags);
	r = -pthread_create(&n->thread, NULL, dispatch, n);
	if (r) {
		free(n->dev.name);
		r = err_set(e, r, "cannot start a thread: %s", strerror(-r));
		goto fail;
	}
	*out = &n->dev;
	return 0;
fail:
	if (n->kick >= 0)
		close(n->kick);
	nbd_close(n->h);
	free(n);
	return r;
}
