/* nbd-serve: the NBD server alone, for tests that need no daemon.
 *
 *   nbd-serve [-v] [-r] [-w WORKERS] [-m MAX_REQUEST] [-i MAX_INFLIGHT]
 *             [-t PORT] [-d DEFAULT] SOCKET NAME=SPEC...
 *
 * SPEC is a file or block device path, mem:SIZE (zeroed memory), err:SIZE
 * (memory whose second half fails reads and writes with EIO) or slow:SIZE
 * (memory whose reads at offset 0 take 300 ms, to see replies overtake)
 * or direct:PATH (the file opened O_DIRECT, as ulvmd --cache=none does).
 * SIZE takes a K, M or G suffix.  -r opens every export read-only, -t also
 * listens on 127.0.0.1:PORT, -d names the export a client gets for "".
 * The socket appears (by rename) only once it listens.  SIGINT or SIGTERM
 * shut the server down cleanly.  SIGPIPE keeps its default action on
 * purpose: the server must not raise it.
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "export/nbd.h"
#include "io/dev.h"

#define MAX_EXPORTS 256

enum { T_ERR = 1, T_SLOW };

struct test_dev {
	struct dev dev;
	unsigned char *data;
	int mode;
};

struct export {
	char *name;
	const char *spec;
	struct dev *dev;
};

static struct export exports[MAX_EXPORTS];
static unsigned nexports;

static struct test_dev *to_test(struct dev *d) { return (struct test_dev *)d; }

static int check(struct dev *d, uint64_t off, uint64_t len)
{
	if (to_test(d)->mode == T_ERR && off + len > d->size / 2)
		return -EIO;
	return 0;
}

static int t_read(struct dev *d, void *buf, size_t len, uint64_t off)
{
	int r = check(d, off, len);

	if (!r && to_test(d)->mode == T_SLOW && off == 0) {
		struct timespec ts = { .tv_nsec = 300 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	if (!r)
		memcpy(buf, to_test(d)->data + off, len);
	return r;
}

static int t_write(struct dev *d, const void *buf, size_t len, uint64_t off, unsigned flags)
{
	int r = check(d, off, len);

	(void)flags;
	if (!r)
		memcpy(to_test(d)->data + off, buf, len);
	return r;
}

static int t_write_zeroes(struct dev *d, uint64_t off, uint64_t len, unsigned flags)
{
	int r = check(d, off, len);

	(void)flags;
	if (!r)
		memset(to_test(d)->data + off, 0, len);
	return r;
}

static void t_destroy(struct dev *d)
{
	free(to_test(d)->data);
	free(d);
}

static const struct dev_ops test_ops = {
	.read = t_read,
	.write = t_write,
	.write_zeroes = t_write_zeroes,
	.destroy = t_destroy,
};

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'G': v <<= 10; /* fall through */
	case 'M': v <<= 10; /* fall through */
	case 'K': v <<= 10; end++; break;
	}
	if (*end)
		return -EINVAL;
	*out = v;
	return 0;
}

static int open_spec(const char *spec, bool ro, struct dev **out)
{
	struct test_dev *t;
	uint64_t size;
	int mode = 0;

	if (!strncmp(spec, "mem:", 4)) {
		if (parse_size(spec + 4, &size))
			return -EINVAL;
		return dev_new_memory(size, out);
	}
	if (!strncmp(spec, "direct:", 7))
		return dev_open_file(spec + 7, DEV_OPEN_DIRECT | (ro ? DEV_OPEN_RDONLY : 0), out);
	if (!strncmp(spec, "err:", 4))
		mode = T_ERR;
	else if (!strncmp(spec, "slow:", 5))
		mode = T_SLOW;
	else
		return dev_open_file(spec, ro ? DEV_OPEN_RDONLY : 0, out);
	if (parse_size(strchr(spec, ':') + 1, &size))
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t || !(t->data = calloc(1, size ? size : 1))) {
		free(t);
		return -ENOMEM;
	}
	t->mode = mode;
	dev_init(&t->dev, &test_ops, spec, size);
	*out = &t->dev;
	return 0;
}

static struct dev *ex_open(void *opaque, const char *name)
{
	unsigned i;

	(void)opaque;
	for (i = 0; i < nexports; i++)
		if (!strcmp(exports[i].name, name))
			return dev_get(exports[i].dev);
	return NULL;
}

static void ex_close(void *opaque, struct dev *d)
{
	(void)opaque;
	dev_put(d);
}

static void ex_list(void *opaque, void (*fn)(void *, const char *, const char *), void *arg)
{
	unsigned i;

	(void)opaque;
	for (i = 0; i < nexports; i++)
		fn(arg, exports[i].name, exports[i].spec);
}

static int listen_unix(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char tmp[sizeof(sa.sun_path)];
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, tmp, strlen(tmp) + 1);
	unlink(tmp);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 128) || rename(tmp, path)) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static int listen_tcp(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int one = 1, fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 128)) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

static void usage(void)
{
	fprintf(stderr, "usage: nbd-serve [-v] [-r] [-w WORKERS] [-m MAX_REQUEST] "
			"[-i MAX_INFLIGHT] [-t PORT] [-d DEFAULT] SOCKET NAME=SPEC...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct nbd_server_config cfg = { 0 };
	struct nbd_exports ex = { .open = ex_open, .close = ex_close, .list = ex_list };
	struct nbd_server *s;
	const char *sock;
	uint64_t v;
	sigset_t set;
	bool ro = false;
	int opt, fd, sig, port = 0, r;
	unsigned i;

	log_set_prog("nbd-serve");
	while ((opt = getopt(argc, argv, "vrw:m:i:t:d:")) != -1) {
		switch (opt) {
		case 'v': log_set_level(LOG_DEBUG); break;
		case 'r': ro = true; break;
		case 'w': cfg.workers = (unsigned)atoi(optarg); break;
		case 'm':
			if (parse_size(optarg, &v) || v > UINT32_MAX)
				usage();
			cfg.max_request = (uint32_t)v;
			break;
		case 'i': cfg.max_inflight = (unsigned)atoi(optarg); break;
		case 't': port = atoi(optarg); break;
		case 'd': ex.default_export = optarg; break;
		default: usage();
		}
	}
	if (argc - optind < 2 || argc - optind - 1 > MAX_EXPORTS)
		usage();
	sock = argv[optind++];
	for (; optind < argc; optind++) {
		struct export *e = &exports[nexports];
		char *eq = strchr(argv[optind], '=');

		if (!eq)
			usage();
		*eq = '\0';
		e->name = argv[optind];
		e->spec = eq + 1;
		r = open_spec(e->spec, ro, &e->dev);
		if (r) {
			log_err("%s: %s", e->spec, strerror(-r));
			return 1;
		}
		if (ro)
			e->dev->read_only = true;
		nexports++;
	}

	/* Threads inherit the mask: only sigwait below sees these. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	r = nbd_server_new(&cfg, &ex, &s);
	if (r) {
		log_err("server: %s", strerror(-r));
		return 1;
	}
	fd = listen_unix(sock);
	if (fd >= 0)
		r = nbd_server_listen(s, fd);
	if (fd < 0 || r) {
		log_err("%s: %s", sock, strerror(fd < 0 ? -fd : -r));
		return 1;
	}
	if (port) {
		fd = listen_tcp(port);
		r = fd < 0 ? fd : nbd_server_listen(s, fd);
		if (r) {
			log_err("port %d: %s", port, strerror(-r));
			return 1;
		}
	}
	sigwait(&set, &sig);
	log_info("signal %d: %u connection(s) open, shutting down", sig, nbd_server_connections(s));
	nbd_server_shutdown(s);
	nbd_server_free(s);
	unlink(sock);
	for (i = 0; i < nexports; i++)
		dev_put(exports[i].dev);
	return 0;
}
