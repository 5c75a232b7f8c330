/* Listening sockets of ulvmd. */
#ifndef ULVM_DAEMON_SOCKETS_H
#define ULVM_DAEMON_SOCKETS_H

#include "common/log.h"

/* Listen on the unix socket @path, mode 0600.  It is bound under a
 * temporary name and renamed into place once listening, so a client that
 * sees @path can connect. */
int listen_unix(const char *path, struct err *e);
/* Listen on TCP "ADDR:PORT" ("[v6addr]:PORT", "host:PORT", ":PORT" for
 * every address): every address ADDR resolves to, up to @max sockets in
 * @fds.  Returns the number of sockets or -errno; messages name the
 * option @opt ("--listen") and @spec. */
int listen_tcp(const char *opt, const char *spec, int *fds, int max, struct err *e);

#endif
