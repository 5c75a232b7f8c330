#include "daemon/sockets.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/rundir.h"

#define BACKLOG 128

int listen_unix(const char *path, struct err *e)
{
	struct sockaddr_un sa;
	socklen_t salen;
	char tmp[sizeof(sa.sun_path) + 16];
	int fd, ret;

	ret = rundir_sockaddr(path, &sa, &salen, e);
	if (ret)
		return ret;
	if (snprintf(tmp, sizeof(tmp), "%s.new", path) >= (int)sizeof(sa.sun_path))
		return err_set(e, -ENAMETOOLONG, "%s: socket path too long", path);
	ret = rundir_sockaddr(tmp, &sa, &salen, e);
	if (ret)
		return ret;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set(e, -errno, "socket: %s", strerror(errno));
	unlink(tmp);
	if (bind(fd, (struct sockaddr *)&sa, salen)) {
		ret = err_set(e, -errno, "bind %s: %s", tmp, strerror(errno));
		goto fail;
	}
	if (chmod(tmp, 0600) || listen(fd, BACKLOG)) {
		ret = err_set(e, -errno, "%s: %s", tmp, strerror(errno));
		goto fail_unlink;
	}
	if (rename(tmp, path)) {
		ret = err_set(e, -errno, "rename %s to %s: %s", tmp, path, strerror(errno));
		goto fail_unlink;
	}
	return fd;

fail_unlink:
	unlink(tmp);
fail:
	close(fd);
	return ret;
}

int listen_tcp(const char *opt, const char *spec, int *fds, int max, struct err *e)
{
	struct addrinfo hints = { .ai_flags = AI_PASSIVE, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *ai;
	char host[256];
	const char *colon = strrchr(spec, ':'), *node, *port;
	size_t hl;
	int n = 0, ret, last = 0;

	if (!colon || !colon[1])
		return err_set(e, -EINVAL, "%s %s: expected ADDR:PORT", opt, spec);
	hl = (size_t)(colon - spec);
	if (hl >= sizeof(host))
		return err_set(e, -EINVAL, "%s %s: address too long", opt, spec);
	memcpy(host, spec, hl);
	host[hl] = '\0';
	node = host;
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		node = host + 1;
	} else if (strchr(host, ':')) {
		return err_set(e, -EINVAL, "%s %s: write an IPv6 address as [ADDR]:PORT", opt, spec);
	}
	if (!*node)
		node = NULL;
	port = colon + 1;
	/* getaddrinfo takes 99999 and binds 99999 % 65536. */
	if (port[strspn(port, "0123456789")] == '\0' && (strlen(port) > 5 || !atoi(port) || atoi(port) > 65535))
		return err_set(e, -EINVAL, "%s %s: the port must be 1 to 65535", opt, spec);
	ret = getaddrinfo(node, port, &hints, &res);
	if (ret)
		return err_set(e, -EINVAL, "%s %s: %s", opt, spec, gai_strerror(ret));
	for (ai = res; ai && n < max; ai = ai->ai_next) {
		int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		int one = 1;

		if (fd < 0) {
			last = -errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		/* Bind [::] and 0.0.0.0 side by side rather than mapping v4. */
		if (ai->ai_family == AF_INET6)
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, BACKLOG)) {
			last = -errno;
			close(fd);
			continue;
		}
		fds[n++] = fd;
	}
	freeaddrinfo(res);
	if (!n)
		return err_set(e, last ? last : -EADDRNOTAVAIL, "%s %s: %s", opt, spec,
			       strerror(last ? -last : EADDRNOTAVAIL));
	return n;
}
