/* NBD over TLS: the server's credentials (GnuTLS), made once by the owner
 * and given to the listeners that offer TLS (nbd_server_listen_tls).
 *
 * X.509: a directory laid out as qemu-nbd and nbdkit read it: ca-cert.pem
 * (needed to verify clients), server-cert.pem, server-key.pem, and
 * ca-crl.pem if present.  PSK: a file in psktool's format (USER:HEXKEY per
 * line).  One of the two.
 */
#ifndef ULVM_EXPORT_NBD_TLS_H
#define ULVM_EXPORT_NBD_TLS_H

#include <stdbool.h>

#include "common/log.h"

struct nbd_tls;

enum nbd_tls_mode {
	NBD_TLS_OFF,     /* STARTTLS is refused (unsupported) */
	NBD_TLS_ON,      /* the client chooses */
	NBD_TLS_REQUIRE, /* nothing but STARTTLS (and ABORT) before the handshake */
};

struct nbd_tls_config {
	const char *x509_dir;   /* or: */
	const char *psk_file;
	bool verify_peer;       /* X.509: clients must show a certificate the CA signed */
	unsigned handshake_sec; /* a handshake taking longer fails (0: 10 s) */
};

/* Load the credentials: 0, or -errno with a message naming the file. */
int nbd_tls_new(const struct nbd_tls_config *cfg, struct nbd_tls **out, struct err *e);
void nbd_tls_free(struct nbd_tls *t);
/* "off", "on", "require" -> mode; -EINVAL for anything else. */
int nbd_tls_parse_mode(const char *s, enum nbd_tls_mode *mode);

#endif
