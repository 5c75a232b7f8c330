/* NBD over TLS with GnuTLS: credentials, the server side of STARTTLS, and
 * the record layer under nbd_io.c's sends and receives.
 *
 * Threads.  After the handshake a connection's reader receives and any
 * one thread at a time (under c->send_lock) sends; GnuTLS allows one
 * sender and one receiver on a session at once.  The handshake runs on
 * the reader before any request exists, so nothing sends beside it.
 *
 * Timeouts.  The socket stays blocking.  A handshake that takes longer than
 * handshake_sec fails (a client stalling mid-handshake holds its own
 * thread for that long, nothing else).  Receives honour the caller's
 * timeout through gnutls_record_set_timeout; sends end on the socket's
 * SO_SNDTIMEO (GNUTLS_E_AGAIN from a blocking socket means exactly that).
 *
 * Sends.  One nbd_send (a batch of replies) is corked into as few records
 * as the data needs and flushed once: the TLS analogue of one sendmsg.
 * Large payloads are not copied into the cork buffer but encrypted where
 * they are (TLS_DIRECT_MIN).
 */
#include "export/nbd_tls.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "export/nbd_internal.h"

#define DEFAULT_HANDSHAKE_SEC 10
/* A piece this large is encrypted from where it lies, not corked. */
#define TLS_DIRECT_MIN (64u << 10)

struct nbd_tls {
	gnutls_certificate_credentials_t x509;
	gnutls_psk_server_credentials_t psk;
	gnutls_priority_t prio;
	bool verify_peer;
	unsigned handshake_ms;
};

int nbd_tls_parse_mode(const char *s, enum nbd_tls_mode *mode)
{
	static const char *const names[] = { "off", "on", "require" };

	for (unsigned i = 0; i < 3; i++) {
		if (!strcmp(s, names[i])) {
			*mode = (enum nbd_tls_mode)i;
			return 0;
		}
	}
	return -EINVAL;
}

/* @dir/@name, which must be a readable file unless @optional (then
 * *@path is "" when it is missing). */
static int tls_file(const char *dir, const char *name, bool optional, char *path, size_t size,
		    struct err *e)
{
	if ((size_t)snprintf(path, size, "%s/%s", dir, name) >= size)
		return err_set(e, -ENAMETOOLONG, "--tls-certificates %s: path too long", dir);
	if (access(path, R_OK) == 0)
		return 0;
	if (optional && errno == ENOENT) {
		path[0] = 0;
		return 0;
	}
	return err_set(e, -errno, "TLS: cannot read %s: %s", path, strerror(errno));
}

static int load_x509(struct nbd_tls *t, const char *dir, struct err *e)
{
	char ca[PATH_MAX], crl[PATH_MAX], cert[PATH_MAX], key[PATH_MAX];
	int r;

	if ((r = tls_file(dir, "ca-cert.pem", !t->verify_peer, ca, sizeof(ca), e)) ||
	    (r = tls_file(dir, "ca-crl.pem", true, crl, sizeof(crl), e)) ||
	    (r = tls_file(dir, "server-cert.pem", false, cert, sizeof(cert), e)) ||
	    (r = tls_file(dir, "server-key.pem", false, key, sizeof(key), e)))
		return r;
	if (gnutls_certificate_allocate_credentials(&t->x509) < 0)
		return err_set(e, -ENOMEM, "out of memory");
	if (ca[0] && (r = gnutls_certificate_set_x509_trust_file(t->x509, ca, GNUTLS_X509_FMT_PEM)) < 0)
		return err_set(e, -EINVAL, "TLS: %s: %s", ca, gnutls_strerror(r));
	if (crl[0] && (r = gnutls_certificate_set_x509_crl_file(t->x509, crl, GNUTLS_X509_FMT_PEM)) < 0)
		return err_set(e, -EINVAL, "TLS: %s: %s", crl, gnutls_strerror(r));
	r = gnutls_certificate_set_x509_key_file(t->x509, cert, key, GNUTLS_X509_FMT_PEM);
	if (r < 0)
		return err_set(e, -EINVAL, "TLS: %s with %s: %s", cert, key, gnutls_strerror(r));
	return 0;
}

/* psktool's format: lines of USER:HEXKEY.  GnuTLS reads the file at
 * each handshake; checked here so a wrong path fails at startup. */
static int load_psk(struct nbd_tls *t, const char *file, struct err *e)
{
	char line[1024];
	unsigned n = 0, lineno = 0;
	FILE *f = fopen(file, "re");

	if (!f)
		return err_set(e, -errno, "TLS: cannot read %s: %s", file, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':');
		size_t hex;

		lineno++;
		line[strcspn(line, "\r\n")] = 0;
		if (!line[0])
			continue;
		hex = colon ? strspn(colon + 1, "0123456789abcdefABCDEF") : 0;
		if (!colon || colon == line || !hex || hex % 2 || colon[1 + hex]) {
			fclose(f);
			return err_set(e, -EINVAL, "TLS: %s line %u: expected USER:HEXKEY (psktool's format)",
				       file, lineno);
		}
		n++;
	}
	fclose(f);
	if (!n)
		return err_set(e, -EINVAL, "TLS: %s holds no key", file);
	if (gnutls_psk_allocate_server_credentials(&t->psk) < 0)
		return err_set(e, -ENOMEM, "out of memory");
	if (gnutls_psk_set_server_credentials_file(t->psk, file) < 0)
		return err_set(e, -EINVAL, "TLS: %s: cannot use it", file);
	gnutls_psk_set_server_known_dh_params(t->psk, GNUTLS_SEC_PARAM_MEDIUM);
	return 0;
}

int nbd_tls_new(const struct nbd_tls_config *cfg, struct nbd_tls **out, struct err *e)
{
	struct nbd_tls *t;
	const char *prio;
	int r;

	*out = NULL;
	if (!cfg->x509_dir == !cfg->psk_file)
		return err_set(e, -EINVAL, "TLS needs --tls-certificates DIR or --tls-psk FILE (one of them)");
	if (cfg->verify_peer && !cfg->x509_dir)
		return err_set(e, -EINVAL, "--tls-verify-peer needs --tls-certificates");
	t = calloc(1, sizeof(*t));
	if (!t)
		return err_set(e, -ENOMEM, "out of memory");
	t->verify_peer = cfg->verify_peer;
	t->handshake_ms = 1000u * (cfg->handshake_sec ? cfg->handshake_sec : DEFAULT_HANDSHAKE_SEC);
	r = cfg->x509_dir ? load_x509(t, cfg->x509_dir, e) : load_psk(t, cfg->psk_file, e);
	/* nbdkit's choice: GnuTLS's defaults, PSK key exchanges added. */
	prio = cfg->psk_file ? "NORMAL:+ECDHE-PSK:+DHE-PSK:+PSK" : "NORMAL";
	if (!r && gnutls_priority_init(&t->prio, prio, NULL) < 0)
		r = err_set(e, -EINVAL, "TLS: priority %s refused by GnuTLS", prio);
	if (r) {
		nbd_tls_free(t);
		return r;
	}
	*out = t;
	return 0;
}

void nbd_tls_free(struct nbd_tls *t)
{
	if (!t)
		return;
	if (t->prio)
		gnutls_priority_deinit(t->prio);
	if (t->x509)
		gnutls_certificate_free_credentials(t->x509);
	if (t->psk)
		gnutls_psk_free_server_credentials(t->psk);
	free(t);
}

/* Who the client proved to be, for the log. */
static void peer_name(gnutls_session_t s, char *buf, size_t size)
{
	const gnutls_datum_t *certs;
	gnutls_x509_crt_t crt;
	unsigned n = 0;
	size_t len = size;

	snprintf(buf, size, "anonymous");
	if (gnutls_auth_get_type(s) == GNUTLS_CRD_PSK) {
		const char *user = gnutls_psk_server_get_username(s);

		snprintf(buf, size, "PSK user %s", user ? user : "?");
		return;
	}
	certs = gnutls_certificate_get_peers(s, &n);
	if (!n || gnutls_x509_crt_init(&crt) < 0)
		return;
	if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) == 0 &&
	    gnutls_x509_crt_get_dn(crt, buf, &len) < 0)
		snprintf(buf, size, "a certificate");
	gnutls_x509_crt_deinit(crt);
}

static int fail_handshake(struct nbd_conn *c, gnutls_session_t s, int r)
{
	unsigned status = gnutls_session_get_verify_cert_status(s);
	gnutls_datum_t why = { NULL, 0 };

	if (r == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR && status &&
	    gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &why, 0) == 0) {
		log_info("nbd: connection %u: TLS handshake: client certificate refused: %s", c->id,
			 (const char *)why.data);
		gnutls_free(why.data);
	} else {
		log_info("nbd: connection %u: TLS handshake failed: %s", c->id, gnutls_strerror(r));
	}
	gnutls_deinit(s);
	return r == GNUTLS_E_TIMEDOUT ? -ETIMEDOUT : -EPROTO;
}

int nbd_tls_start(struct nbd_conn *c)
{
	struct nbd_tls *t = c->tls_creds;
	gnutls_session_t s;
	char who[256];
	int r;

	if (gnutls_init(&s, GNUTLS_SERVER | GNUTLS_NO_SIGNAL) < 0)
		return -ENOMEM;
	if ((r = gnutls_priority_set(s, t->prio)) < 0 ||
	    (r = t->x509 ? gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, t->x509)
			 : gnutls_credentials_set(s, GNUTLS_CRD_PSK, t->psk)) < 0)
		return fail_handshake(c, s, r);
	if (t->verify_peer) {
		gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
		gnutls_session_set_verify_cert(s, NULL, 0);
	}
	gnutls_transport_set_int(s, c->fd);
	gnutls_handshake_set_timeout(s, t->handshake_ms);
	do
		r = gnutls_handshake(s);
	while (r < 0 && !gnutls_error_is_fatal(r));
	if (r < 0)
		return fail_handshake(c, s, r);
	peer_name(s, who, sizeof(who));
	log_debug("nbd: connection %u: TLS %s, %s", c->id,
		  gnutls_protocol_get_name(gnutls_protocol_get_version(s)), who);
	c->tls = s;
	return 0;
}

void nbd_tls_end(struct nbd_conn *c)
{
	if (!c->tls)
		return;
	/* close_notify, unless the socket is known dead */
	if (!c->broken && c->fd >= 0)
		gnutls_bye(c->tls, GNUTLS_SHUT_WR);
	gnutls_deinit(c->tls);
	c->tls = NULL;
}

size_t nbd_tls_pending(const struct nbd_conn *c)
{
	return c->tls ? gnutls_record_check_pending(c->tls) : 0;
}

ssize_t nbd_tls_recv(struct nbd_conn *c, void *buf, size_t n, int timeout_ms)
{
	gnutls_session_t s = c->tls;
	ssize_t r;

	gnutls_record_set_timeout(s, timeout_ms < 0 ? 0 : (unsigned)(timeout_ms ? timeout_ms : 1));
	do
		r = gnutls_record_recv(s, buf, n);
	while (r < 0 && r != GNUTLS_E_TIMEDOUT && !gnutls_error_is_fatal((int)r)); /* EINTR, warning alerts */
	if (r >= 0)
		return r;
	switch (r) {
	case GNUTLS_E_TIMEDOUT:
		return -ETIMEDOUT;
	case GNUTLS_E_PREMATURE_TERMINATION: /* the peer closed without close_notify */
		return 0;
	case GNUTLS_E_PUSH_ERROR:
	case GNUTLS_E_PULL_ERROR:
		return -ECONNRESET;
	default:
		log_info("nbd: connection %u: TLS: %s", c->id, gnutls_strerror((int)r));
		return -EPROTO;
	}
}

/* Send what is corked: 0, or -EAGAIN (SO_SNDTIMEO) / -EPIPE. */
static int flush(gnutls_session_t s)
{
	ssize_t r;

	do
		r = gnutls_record_uncork(s, 0);
	while (r == GNUTLS_E_INTERRUPTED);
	if (r >= 0)
		return 0;
	return r == GNUTLS_E_AGAIN ? -EAGAIN : -EPIPE;
}

/* All of @len bytes, uncorked: encrypted straight from @p, a record at a
 * time, without the copy corking makes. */
static int send_direct(gnutls_session_t s, const char *p, size_t len)
{
	while (len) {
		ssize_t r = gnutls_record_send(s, p, len);

		if (r == GNUTLS_E_INTERRUPTED)
			continue;
		if (r < 0)
			return r == GNUTLS_E_AGAIN ? -EAGAIN : -EPIPE;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

int nbd_tls_send(struct nbd_conn *c, const struct iovec *iov, int n)
{
	gnutls_session_t s = c->tls;
	int r = 0;

	/* Headers and small payloads are corked together into few records;
	 * a large payload goes out directly behind them. */
	gnutls_record_cork(s);
	for (int i = 0; i < n && !r; i++) {
		if (iov[i].iov_len >= TLS_DIRECT_MIN) {
			r = flush(s);
			if (!r)
				r = send_direct(s, iov[i].iov_base, iov[i].iov_len);
			gnutls_record_cork(s);
		} else if (gnutls_record_send(s, iov[i].iov_base, iov[i].iov_len) < 0) {
			r = -ENOMEM; /* corked: only buffering can fail */
		}
	}
	return r ? r : flush(s);
}
