/* libFuzzer: the NBD server's parsing, two ways.
 *
 * 1. The pure decoders of nbd_proto.c on the raw bytes (options, requests,
 *    INFO/GO and meta context payloads), with invariants checked.
 * 2. The bytes as a client's whole side of a connection: handshake and
 *    transmission run against a 1 MiB memory export over a socketpair,
 *    while a pump thread feeds the input and swallows the replies.  Each
 *    input runs twice: TLS off, and TLS required (PSK): the gate before
 *    STARTTLS, then GnuTLS's handshake on what follows.
 *
 * Seeds: tests/fuzz/corpus/nbd (see gen-nbd-corpus.py beside this file).
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/log.h"
#include "export/nbd_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct dev *mem;
static struct nbd_server *server;
static struct nbd_tls *tls;

static struct dev *ex_open(void *opaque, const char *name)
{
	(void)opaque;
	return strcmp(name, "m") ? NULL : dev_get(mem);
}

static void ex_close(void *opaque, struct dev *d)
{
	(void)opaque;
	dev_put(d);
}

static void ex_list(void *opaque, void (*fn)(void *, const char *, const char *), void *arg)
{
	(void)opaque;
	fn(arg, "m", "memory");
}

static void setup(void)
{
	static const struct nbd_exports ex = {
		.open = ex_open, .close = ex_close, .list = ex_list, .default_export = "m",
	};
	struct nbd_server_config cfg = { .workers = 2, .max_request = 4096, .max_inflight = 4 };

	char psk[] = "/tmp/fuzz_nbd_psk.XXXXXX";
	struct nbd_tls_config tc = { .psk_file = psk, .handshake_sec = 1 };
	int fd;

	log_set_level(LOG_ERR);
	if (dev_new_memory(1 << 20, &mem) || nbd_server_new(&cfg, &ex, &server))
		abort();
	fd = mkstemp(psk);
	if (fd < 0 || write(fd, "fuzz:00112233445566778899aabbccddeeff\n", 38) != 38 ||
	    nbd_tls_new(&tc, &tls, NULL))
		abort();
	close(fd);
	unlink(psk); /* GnuTLS reads it at each handshake: it fails, as a wrong key would */
}

static void decoders(const uint8_t *b, size_t n)
{
	struct nbd_request r;
	struct nbd_option o;
	struct nbd_info_option io;
	struct nbd_meta_option mo;
	uint8_t enc[NBD_REQUEST_SIZE];
	uint32_t flags, qlen, count = 0;
	const uint8_t *q;
	size_t pos = 0;

	nbd_decode_client_flags(b, n, &flags);
	nbd_decode_option(b, n, &o);
	if (!nbd_decode_request(b, n, &r)) {
		nbd_encode_request(enc, &r);
		if (memcmp(enc, b, sizeof(enc)))
			abort(); /* decode and encode are inverses */
	}
	if (!nbd_decode_info_option(b, n, &io) &&
	    (io.name_len > NBD_MAX_STRING || 6 + io.name_len + 2 * (size_t)io.nreqs != n))
		abort();
	if (!nbd_decode_meta_option(b, n, &mo)) {
		while (nbd_meta_next_query(&mo, &pos, &q, &qlen)) {
			if (q < b || q + qlen > b + n)
				abort();
			count++;
		}
		if (count != mo.nqueries)
			abort();
	}
}

struct pump {
	int fd;
	const uint8_t *data;
	size_t size;
};

/* Feed the input, then read until the server closes. */
static void *pump_main(void *arg)
{
	struct pump *p = arg;
	size_t off = 0;
	char sink[65536];

	for (;;) {
		struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
		ssize_t k;

		if (off < p->size)
			pfd.events |= POLLOUT;
		if (poll(&pfd, 1, -1) < 0)
			continue;
		if (pfd.revents & POLLOUT) {
			k = send(p->fd, p->data + off, p->size - off, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (k > 0)
				off += (size_t)k;
			if (k < 0 && errno != EAGAIN)
				off = p->size;
			if (off == p->size)
				shutdown(p->fd, SHUT_WR);
		}
		if (pfd.revents & (POLLIN | POLLHUP | POLLERR)) {
			k = recv(p->fd, sink, sizeof(sink), MSG_DONTWAIT);
			if (k == 0 || (k < 0 && errno != EAGAIN))
				return NULL;
		}
	}
}

static void stream(const uint8_t *data, size_t size, bool with_tls)
{
	struct pump p = { .data = data, .size = size };
	struct nbd_conn *c;
	pthread_t t;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		abort();
	p.fd = sv[1];
	if (!size)
		shutdown(sv[1], SHUT_WR);
	if (nbd_conn_new(server, sv[0], &c) || pthread_create(&t, NULL, pump_main, &p))
		abort();
	c->tls_creds = with_tls ? tls : NULL;
	c->tls_mode = with_tls ? NBD_TLS_REQUIRE : NBD_TLS_OFF;
	nbd_conn_serve(c);
	close(sv[0]);
	pthread_join(t, NULL);
	close(sv[1]);
	nbd_conn_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!server)
		setup();
	decoders(data, size);
	stream(data, size, false);
	stream(data, size, true);
	return 0;
}
