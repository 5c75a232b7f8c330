/* ulvmd --metrics ADDR:PORT: the Prometheus text exposition format at
 * http://ADDR:PORT/metrics (docs/METRICS.md lists every metric). */
#ifndef ULVM_DAEMON_METRICS_H
#define ULVM_DAEMON_METRICS_H

#include <stddef.h>

#include "common/log.h"

struct dm_context;
struct fuse_export;
struct nbd_server;

/* What a scrape reads; @nbd and @fuse may be NULL. */
struct metrics_sources {
	struct dm_context *dm;
	struct nbd_server *nbd;
	struct fuse_export *fuse;
};

struct metrics;

/* Listen on @spec (as --listen takes it; a name that resolves to several
 * addresses binds the first) and serve from a thread of libmicrohttpd's
 * until metrics_stop.  @src must outlive the server. */
int metrics_start(const char *spec, const struct metrics_sources *src, struct metrics **out,
		  struct err *e);
/* Close the socket and join the server's thread; a scrape running ends
 * first.  NULL is a no-op. */
void metrics_stop(struct metrics *m);

/* One scrape: the exposition text in a malloc'ed *@out of *@len bytes. */
int metrics_format(const struct metrics_sources *src, char **out, size_t *len);

#endif
