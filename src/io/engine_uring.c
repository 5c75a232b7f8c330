/* The io_uring engine (liburing).  See engine.h.
 *
 * Each thread that does I/O gets its own small ring, made on its first
 * call and torn down when the thread exits (a pthread key's destructor),
 * so no lock is shared between threads.  One operation per submit: the
 * device stack above is synchronous.  Where a ring cannot be made (a
 * kernel or a container that refuses io_uring), that thread falls back to
 * the system calls, and says so once.
 */
#include "io/engine.h"

#include <errno.h>
#include <liburing.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

#define RING_ENTRIES 4

struct ring {
	struct io_uring ring;
	bool ok;
};

static pthread_key_t ring_key;
static pthread_once_t ring_once = PTHREAD_ONCE_INIT;

static void ring_free(void *p)
{
	struct ring *r = p;

	if (r->ok)
		io_uring_queue_exit(&r->ring);
	free(r);
}

static void ring_key_make(void)
{
	if (pthread_key_create(&ring_key, ring_free))
		abort();
}

/* This thread's ring; NULL: use the system calls. */
static struct io_uring *ring_get(void)
{
	static bool warned;
	struct ring *r;
	int e;

	pthread_once(&ring_once, ring_key_make);
	if ((r = pthread_getspecific(ring_key)))
		return r->ok ? &r->ring : NULL;
	if (!(r = calloc(1, sizeof(*r))))
		return NULL;
	e = io_uring_queue_init(RING_ENTRIES, &r->ring, 0);
	r->ok = !e;
	if (e && !__atomic_exchange_n(&warned, true, __ATOMIC_RELAXED))
		log_warn("io_uring: cannot set up a ring (%s): using pread/pwrite", strerror(-e));
	if (pthread_setspecific(ring_key, r)) {
		ring_free(r);
		return NULL;
	}
	return r->ok ? &r->ring : NULL;
}

/* Submit the one prepared entry and wait for it: its result. */
static ssize_t run(struct io_uring *ring)
{
	struct io_uring_cqe *cqe;
	ssize_t res;
	int e;

	do
		e = io_uring_submit_and_wait(ring, 1);
	while (e == -EINTR);
	if (e < 0)
		return e;
	do
		e = io_uring_wait_cqe(ring, &cqe);
	while (e == -EINTR);
	if (e < 0)
		return e;
	res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

static ssize_t uring_pread(int fd, void *buf, size_t len, uint64_t off)
{
	struct io_uring *ring = ring_get();
	struct io_uring_sqe *sqe;

	if (!ring || !(sqe = io_uring_get_sqe(ring)))
		return io_engine_sync.pread(fd, buf, len, off);
	io_uring_prep_read(sqe, fd, buf, (unsigned)(len > 1u << 30 ? 1u << 30 : len), off);
	return run(ring);
}

static ssize_t uring_pwrite(int fd, const void *buf, size_t len, uint64_t off, int rwf)
{
	struct io_uring *ring = ring_get();
	struct io_uring_sqe *sqe;

	if (!ring || !(sqe = io_uring_get_sqe(ring)))
		return io_engine_sync.pwrite(fd, buf, len, off, rwf);
	io_uring_prep_write(sqe, fd, buf, (unsigned)(len > 1u << 30 ? 1u << 30 : len), off);
	sqe->rw_flags = rwf;
	return run(ring);
}

static int uring_fdatasync(int fd)
{
	struct io_uring *ring = ring_get();
	struct io_uring_sqe *sqe;

	if (!ring || !(sqe = io_uring_get_sqe(ring)))
		return io_engine_sync.fdatasync(fd);
	io_uring_prep_fsync(sqe, fd, IORING_FSYNC_DATASYNC);
	return (int)run(ring);
}

const struct io_engine io_engine_uring = {
	.name = "io_uring",
	.pread = uring_pread,
	.pwrite = uring_pwrite,
	.fdatasync = uring_fdatasync,
};
