/* ulvmd --metrics: Prometheus metrics over HTTP (libmicrohttpd).
 *
 * What a scrape reads.  The device list (dm_get_all: the context lock,
 * briefly, and a reference on each device); per device its names and
 * state (md_get_names, md_get_info: the device lock, briefly, to copy),
 * its I/O counters (md_get_stats: relaxed atomic loads, no lock) and its
 * targets' own values (md_metrics: the device lock for the call, as a
 * status takes it; the thin pool reads its numbers under its pool lock
 * and hands them over).  Then the NBD connection count (the server's
 * lock, briefly) and the FUSE export's open files (an atomic).  All of it
 * is copied into this scrape's arrays first; the text is written after,
 * with no lock held, so a slow scrape delays no I/O and no control
 * request.
 *
 * Why the I/O path takes no lock for this: requests of one device run
 * on many NBD and FUSE threads at once; the counters are atomics in the
 * device (src/dm/md_stats.c), exact one by one, not one instant as a set.
 * A scrape sees each counter monotonic, which is what Prometheus needs.
 *
 * HTTP.  One libmicrohttpd polling thread serves every client, at most
 * MAX_CLIENTS connections at once, each closed after TIMEOUT_SEC idle.
 * GET or HEAD /metrics: the text format 0.0.4; another path: 404; another
 * method: 405; what is not HTTP: libmicrohttpd answers 400 and closes.
 * Nothing a client sends reaches the devices.  metrics_stop (first in the
 * daemon's shutdown, while every device still exists) joins the thread.
 */
#include "daemon/metrics.h"

#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/sockets.h"
#include "dm/md.h"
#include "export/fuse.h"
#include "export/nbd.h"

#define MAX_CLIENTS 16
#define TIMEOUT_SEC 10
#define LABEL_MAX 64
#define CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct metrics {
	struct MHD_Daemon *httpd;
	struct metrics_sources src;
};

/* ---- one scrape: copy first, then write ---- */

struct dev_snap {
	char name[DM_NAME_LEN];
	char export_name[DM_EXPORT_LEN];
	struct md_info info;
	struct md_stats st;
};

/* A value a target reported (md_metrics). */
struct sample {
	const struct dm_metric *m;
	unsigned dev;
	char label[LABEL_MAX];
	uint64_t value;
};

struct scrape {
	struct dev_snap *devs;
	unsigned ndevs;
	struct sample *samples;
	unsigned nsamples, cap;
	unsigned cur; /* the device md_metrics is reporting */
	int err;
	unsigned nbd_connections, fuse_open_files;
	bool nbd, fuse;
};

static void take_sample(void *opaque, const struct dm_metric *m, const char *label_value,
			uint64_t value)
{
	struct scrape *sc = opaque;
	struct sample *s;

	if (sc->nsamples == sc->cap) {
		unsigned cap = sc->cap ? 2 * sc->cap : 64;
		struct sample *v = realloc(sc->samples, cap * sizeof(*v));

		if (!v) {
			sc->err = -ENOMEM;
			return;
		}
		sc->samples = v;
		sc->cap = cap;
	}
	s = &sc->samples[sc->nsamples++];
	s->m = m;
	s->dev = sc->cur;
	snprintf(s->label, sizeof(s->label), "%s", label_value ? label_value : "");
	s->value = value;
}

static int collect(const struct metrics_sources *src, struct scrape *sc)
{
	struct mapped_device **mds;
	unsigned n;
	int r = dm_get_all(src->dm, &mds, &n);

	if (r)
		return r;
	sc->devs = calloc(n ? n : 1, sizeof(*sc->devs));
	if (!sc->devs) {
		dm_put_all(mds, n);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < n; i++) {
		struct dev_snap *d = &sc->devs[i];

		md_get_names(mds[i], d->name, d->export_name);
		md_get_info(mds[i], &d->info);
		md_get_stats(mds[i], &d->st);
		sc->cur = i;
		md_metrics(mds[i], take_sample, sc);
	}
	sc->ndevs = n;
	dm_put_all(mds, n);
	if ((sc->nbd = src->nbd))
		sc->nbd_connections = nbd_server_connections(src->nbd);
	if ((sc->fuse = src->fuse))
		sc->fuse_open_files = fuse_export_open_files(src->fuse);
	return sc->err;
}

/* ---- the text format ---- */

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP ulvm_%s %s\n# TYPE ulvm_%s %s\n", name, help, name, type);
}

/* The length of the valid UTF-8 sequence at @s, or 0. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n = s[0] < 0x80			  ? 1 :
		   s[0] >= 0xc2 && s[0] < 0xe0 ? 2 :
		   s[0] >= 0xe0 && s[0] < 0xf0 ? 3 :
		   s[0] >= 0xf0 && s[0] < 0xf5 ? 4 :
						 0;

	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* No overlong forms, no surrogates, nothing past U+10FFFF. */
	if ((n == 3 && ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0))) ||
	    (n == 4 && ((s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))))
		return 0;
	return n;
}

/* A label value: backslash, double quote and line feed escaped, and a
 * byte that is not UTF-8 as U+FFFD: a device name may hold any byte, and
 * one invalid value would make Prometheus drop the whole scrape. */
static void label_value(FILE *f, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	while (*s) {
		size_t n = utf8_len(s);

		if (*s == '\\' || *s == '"')
			fputc('\\', f);
		if (!n) {
			fputs("\xef\xbf\xbd", f);
			n = 1;
		} else if (*s == '\n') {
			fputs("\\n", f);
		} else {
			fwrite(s, 1, n, f);
		}
		s += n;
	}
}

/* "ulvm_NAME{device="..."" without the closing brace, for more labels. */
static void series(FILE *f, const char *name, const char *suffix, const struct dev_snap *d)
{
	fprintf(f, "ulvm_%s%s{device=\"", name, suffix);
	label_value(f, d->name);
	fputc('"', f);
}

/* The per-device values that are one number each. */
struct dev_family {
	const char *name, *type, *help;
	enum md_stat_op op;
	uint64_t (*get)(const struct dev_snap *d, enum md_stat_op op);
};

static uint64_t get_ops(const struct dev_snap *d, enum md_stat_op op) { return d->st.op[op].ops; }
static uint64_t get_bytes(const struct dev_snap *d, enum md_stat_op op) { return d->st.op[op].bytes; }
static uint64_t get_inflight(const struct dev_snap *d, enum md_stat_op op) { (void)op; return d->st.inflight; }
static uint64_t get_size(const struct dev_snap *d, enum md_stat_op op) { (void)op; return d->info.sectors * 512; }
static uint64_t get_open(const struct dev_snap *d, enum md_stat_op op) { (void)op; return d->info.open_count; }
static uint64_t get_suspended(const struct dev_snap *d, enum md_stat_op op) { (void)op; return d->info.suspended; }
static uint64_t get_ro(const struct dev_snap *d, enum md_stat_op op) { (void)op; return d->info.read_only; }

static const struct dev_family dev_families[] = {
	{ "device_size_bytes", "gauge", "Size of the mapped device's live table in bytes (0: no table).",
	  0, get_size },
	{ "device_suspended", "gauge", "1 while the mapped device is suspended.", 0, get_suspended },
	{ "device_read_only", "gauge", "1 when the mapped device refuses writes.", 0, get_ro },
	{ "device_open_handles", "gauge",
	  "Handles holding the mapped device open: NBD connections and open FUSE files.", 0, get_open },
	{ "device_reads_completed_total", "counter", "Read requests completed, failed ones included.",
	  MD_STAT_READ, get_ops },
	{ "device_read_bytes_total", "counter", "Bytes of the read requests completed.", MD_STAT_READ,
	  get_bytes },
	{ "device_writes_completed_total", "counter",
	  "Write requests completed (write-zeroes included), failed ones included.", MD_STAT_WRITE, get_ops },
	{ "device_written_bytes_total", "counter", "Bytes of the write requests completed.", MD_STAT_WRITE,
	  get_bytes },
	{ "device_discards_completed_total", "counter", "Discard (trim) requests completed, failed ones included.",
	  MD_STAT_DISCARD, get_ops },
	{ "device_discarded_bytes_total", "counter", "Bytes of the discard requests completed.",
	  MD_STAT_DISCARD, get_bytes },
	{ "device_flush_requests_total", "counter", "Flush requests completed, failed ones included.",
	  MD_STAT_FLUSH, get_ops },
	{ "device_io_now", "gauge", "Requests in progress on the mapped device.", 0, get_inflight },
};

static const char *const op_names[MD_STAT_NOPS] = { "read", "write", "discard", "flush" };

static void write_devices(FILE *f, const struct scrape *sc)
{
	family(f, "device_info", "gauge", "Every mapped device, with its NBD export name; always 1.");
	for (unsigned i = 0; i < sc->ndevs; i++) {
		series(f, "device_info", "", &sc->devs[i]);
		fputs(",export=\"", f);
		label_value(f, sc->devs[i].export_name);
		fputs("\"} 1\n", f);
	}
	for (size_t k = 0; k < sizeof(dev_families) / sizeof(dev_families[0]); k++) {
		const struct dev_family *df = &dev_families[k];

		family(f, df->name, df->type, df->help);
		for (unsigned i = 0; i < sc->ndevs; i++) {
			series(f, df->name, "", &sc->devs[i]);
			fprintf(f, "} %" PRIu64 "\n", df->get(&sc->devs[i], df->op));
		}
	}
	family(f, "device_io_errors_total", "counter", "Requests that failed, by kind (op).");
	for (unsigned i = 0; i < sc->ndevs; i++)
		for (unsigned o = 0; o < MD_STAT_NOPS; o++) {
			series(f, "device_io_errors_total", "", &sc->devs[i]);
			fprintf(f, ",op=\"%s\"} %" PRIu64 "\n", op_names[o], sc->devs[i].st.op[o].errors);
		}
}

/* ulvm_device_OP_seconds: one histogram family per kind of request. */
static void write_histograms(FILE *f, const struct scrape *sc)
{
	for (unsigned o = 0; o < MD_STAT_NOPS; o++) {
		char name[64], help[128];

		snprintf(name, sizeof(name), "device_%s_seconds", op_names[o]);
		snprintf(help, sizeof(help), "Time of %s requests, from their start to their end.", op_names[o]);
		family(f, name, "histogram", help);
		for (unsigned i = 0; i < sc->ndevs; i++) {
			const struct md_op_stats *s = &sc->devs[i].st.op[o];
			uint64_t cum = 0;

			for (unsigned b = 0; b <= MD_LATENCY_BUCKETS; b++) {
				cum += s->latency[b];
				series(f, name, "_bucket", &sc->devs[i]);
				if (b < MD_LATENCY_BUCKETS)
					fprintf(f, ",le=\"%.9g\"} %" PRIu64 "\n",
						(double)md_latency_bounds_ns[b] / 1e9, cum);
				else
					fprintf(f, ",le=\"+Inf\"} %" PRIu64 "\n", cum);
			}
			series(f, name, "_sum", &sc->devs[i]);
			fprintf(f, "} %.9f\n", (double)s->ns / 1e9);
			/* The count is the +Inf bucket's, read once: the two agree. */
			series(f, name, "_count", &sc->devs[i]);
			fprintf(f, "} %" PRIu64 "\n", cum);
		}
	}
}

/* The targets' families, each with all its samples under one header, in
 * the order they first came. */
static void write_targets(FILE *f, const struct scrape *sc)
{
	for (unsigned i = 0; i < sc->nsamples; i++) {
		const struct dm_metric *m = sc->samples[i].m;
		bool seen = false;

		for (unsigned j = 0; j < i && !seen; j++)
			seen = !strcmp(sc->samples[j].m->name, m->name);
		if (seen)
			continue;
		family(f, m->name, m->type == DM_METRIC_COUNTER ? "counter" : "gauge", m->help);
		for (unsigned j = i; j < sc->nsamples; j++) {
			const struct sample *s = &sc->samples[j];

			if (strcmp(s->m->name, m->name))
				continue;
			series(f, m->name, "", &sc->devs[s->dev]);
			if (s->m->label) {
				fprintf(f, ",%s=\"", s->m->label);
				label_value(f, s->label);
				fputc('"', f);
			}
			fprintf(f, "} %" PRIu64 "\n", s->value);
		}
	}
}

int metrics_format(const struct metrics_sources *src, char **out, size_t *len)
{
	struct scrape sc = { 0 };
	FILE *f;
	int r = collect(src, &sc);

	*out = NULL;
	f = r ? NULL : open_memstream(out, len);
	if (f) {
		family(f, "build_info", "gauge", "The version of ulvmd; always 1.");
		fprintf(f, "ulvm_build_info{version=\"%s\"} 1\n", ULVM_VERSION);
		family(f, "devices", "gauge", "Mapped devices.");
		fprintf(f, "ulvm_devices %u\n", sc.ndevs);
		if (sc.nbd) {
			family(f, "nbd_connections", "gauge", "Clients connected to the NBD server.");
			fprintf(f, "ulvm_nbd_connections %u\n", sc.nbd_connections);
		}
		if (sc.fuse) {
			family(f, "fuse_open_files", "gauge", "Files open on the FUSE export.");
			fprintf(f, "ulvm_fuse_open_files %u\n", sc.fuse_open_files);
		}
		write_devices(f, &sc);
		write_histograms(f, &sc);
		write_targets(f, &sc);
		r = ferror(f) ? -ENOMEM : 0;
		if (fclose(f))
			r = -ENOMEM;
	} else if (!r) {
		r = -errno;
	}
	free(sc.devs);
	free(sc.samples);
	if (r) {
		free(*out);
		*out = NULL;
	}
	return r;
}

/* ---- HTTP ---- */

static enum MHD_Result reply(struct MHD_Connection *c, unsigned status, char *body, size_t len,
			     bool owned, const char *content_type, const char *allow)
{
	struct MHD_Response *resp =
		owned ? MHD_create_response_from_buffer_with_free_callback(len, body, free)
		      : MHD_create_response_from_buffer(len, body, MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!resp) {
		if (owned)
			free(body);
		return MHD_NO; /* libmicrohttpd closes the connection */
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	if (allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result text(struct MHD_Connection *c, unsigned status, const char *msg,
			    const char *allow)
{
	return reply(c, status, (char *)msg, strlen(msg), false, "text/plain; charset=utf-8", allow);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_size, void **req_cls)
{
	static int headers_seen;
	struct metrics *m = cls;
	char *body;
	size_t len;
	int r;

	(void)version;
	(void)upload_data;
	/* Another method is answered at its headers, its body never read
	 * (libmicrohttpd then closes the connection). */
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n", "GET, HEAD");
	/* GET and HEAD are answered once the request is complete (a body
	 * is dropped), which lets libmicrohttpd keep the connection alive
	 * for the next scrape. */
	if (!*req_cls) {
		*req_cls = &headers_seen;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (strcmp(url, "/metrics"))
		return text(c, MHD_HTTP_NOT_FOUND, "not found: the metrics are at /metrics\n", NULL);
	r = metrics_format(&m->src, &body, &len);
	if (r) {
		log_warn("metrics: %s", strerror(-r));
		return text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot collect the metrics\n", NULL);
	}
	return reply(c, MHD_HTTP_OK, body, len, true, CONTENT_TYPE, NULL);
}

static void httpd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	log_debug("metrics: %s", msg);
}

int metrics_start(const char *spec, const struct metrics_sources *src, struct metrics **out,
		  struct err *e)
{
	struct metrics *m;
	int fd, n;

	*out = NULL;
	n = listen_tcp("--metrics", spec, &fd, 1, e);
	if (n < 0)
		return n;
	m = calloc(1, sizeof(*m));
	if (!m) {
		close(fd);
		return err_set(e, -ENOMEM, "--metrics: out of memory");
	}
	m->src = *src;
	/* Port 0: the socket is ours, already listening; libmicrohttpd
	 * closes it at MHD_stop_daemon. */
	m->httpd = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
				    answer, m,
				    MHD_OPTION_EXTERNAL_LOGGER, httpd_log, NULL,
				    MHD_OPTION_LISTEN_SOCKET, fd,
				    MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CLIENTS,
				    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)TIMEOUT_SEC,
				    MHD_OPTION_END);
	if (!m->httpd) {
		close(fd);
		free(m);
		return err_set(e, -EIO, "--metrics %s: libmicrohttpd did not start", spec);
	}
	*out = m;
	return 0;
}

void metrics_stop(struct metrics *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->httpd);
	free(m);
}
