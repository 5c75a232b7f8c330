/* The NBD server: fixed newstyle handshake, structured replies,
 * base:allocation block status (and the owner's own meta contexts), many requests in flight per connection.
 * The protocol is doc/proto.md of the NBD project.
 *
 * The server knows nothing of device mapper: it asks its owner for exports
 * through struct nbd_exports and only calls dev_*() on what it gets.
 */
#ifndef ULVM_EXPORT_NBD_H
#define ULVM_EXPORT_NBD_H

#include <stdbool.h>
#include <stdint.h>

#include "export/nbd_tls.h"
#include "io/dev.h"

struct nbd_server;

struct nbd_exports {
	/* Open the export @name for a client: a referenced dev, or NULL
	 * (the client is told the export is unknown). */
	struct dev *(*open)(void *opaque, const char *name);
	/* The client is gone: undo open. */
	void (*close)(void *opaque, struct dev *dev);
	/* Call @fn for every export (NBD_OPT_LIST). */
	void (*list)(void *opaque, void (*fn)(void *arg, const char *name, const char *desc),
		     void *arg);
	/* Meta contexts besides base:allocation, all optional (NULL: none).
	 * list_contexts: call @fn with every context export @name offers.
	 * open_context: select @ctx on export @name: 0 and *@handle, or
	 * -errno (not offered).  context_extents: the context's state flags
	 * over [off, off+len) of @dev (the open export), in order, as
	 * dev_extents does.  close_context: the selection is gone. */
	void (*list_contexts)(void *opaque, const char *name,
			      void (*fn)(void *arg, const char *ctx), void *arg);
	int (*open_context)(void *opaque, const char *name, const char *ctx, void **handle);
	int (*context_extents)(void *opaque, void *handle, struct dev *dev, uint64_t off,
			       uint64_t len, dev_extent_fn fn, void *arg);
	void (*close_context)(void *opaque, void *handle);
	/* The export used when a client asks for "" (NULL: none). */
	const char *default_export;
	void *opaque;
};

struct nbd_server_config {
	unsigned workers;        /* I/O threads shared by all connections (default 16) */
	uint32_t max_request;    /* largest READ/WRITE payload (default 32 MiB) */
	unsigned max_inflight;   /* per connection (default 64) */
};

int nbd_server_new(const struct nbd_server_config *cfg, const struct nbd_exports *exports,
		   struct nbd_server **out);
/* Serve clients accepted on the listening socket @fd (unix or TCP), in a
 * thread of the server's; the server owns @fd from now on. */
int nbd_server_listen(struct nbd_server *s, int fd);
/* The same, with TLS on this socket's connections as @mode says, with the
 * credentials @tls (the owner keeps them until nbd_server_free). */
int nbd_server_listen_tls(struct nbd_server *s, int fd, struct nbd_tls *tls, enum nbd_tls_mode mode);
/* Stop accepting, let in-flight requests finish and reply, disconnect
 * every client, join every thread. */
void nbd_server_shutdown(struct nbd_server *s);
void nbd_server_free(struct nbd_server *s);
unsigned nbd_server_connections(struct nbd_server *s);

#endif
