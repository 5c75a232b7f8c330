/* ulvmd: the userspace device-mapper "kernel".
 *
 * It owns the mapped devices, serves them over NBD and takes orders on a
 * control socket (docs/CONTROL.md), all in one run directory (see
 * common/rundir.h).  It always runs in the foreground: a service manager
 * or the shell's `&` puts it in the background.
 *
 * Start:    lock the run directory (one daemon per directory), then the
 *           NBD sockets, the FUSE export and the metrics server, the pid
 *           file and last the control socket, which appears only once the
 *           daemon is ready.
 * Shutdown (SIGTERM, SIGINT): stop the metrics server (it reads the
 *           devices and the servers); stop accepting control connections, cut
 *           the input of open ones and wait for requests running; resume
 *           suspended devices (on their live table) so queued I/O can
 *           end; stop the NBD server (it drains the I/O in flight); flush
 *           and remove every device; remove the sockets and the pid file.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/args.h"
#include "common/log.h"
#include "common/rundir.h"
#include "daemon/control.h"
#include "daemon/events.h"
#include "daemon/exports.h"
#include "daemon/metrics.h"
#include "daemon/sockets.h"
#include "dm/md.h"
#include "io/dev.h"
#include "io/engine.h"
#include "export/fuse.h"
#include "export/nbd.h"
#include "targets/registry.h"

#define MAX_TCP 16

struct options {
	const char *run_dir;
	const char *listen[MAX_TCP];
	unsigned nlisten;
	unsigned workers;
	int log_level;
	const char *on_event;
	unsigned on_event_interval;
	bool autoactivate;
	unsigned file_flags;		/* --cache=none: DEV_OPEN_DIRECT */
	const char *fuse_dir;		/* --fuse DIR */
	enum nbd_tls_mode tls_mode;	/* --tls */
	bool tls_given;
	struct nbd_tls_config tls;	/* --tls-certificates, --tls-psk, --tls-verify-peer */
	const char *metrics;		/* --metrics ADDR:PORT */
	const struct io_engine *engine; /* --aio */
	/* target parameters: --thin-no-space-timeout, --thin-metadata-cache */
	struct target_setting { const char *type, *name; uint64_t value; } param[4];
	unsigned nparam;
};

struct daemon {
	char dir[4096];
	char control_path[4096];
	char nbd_path[4096];
	char pid_path[4096];
	int lock_fd;
	int control_fd;
	int signal_fd;
	bool pid_written;
	struct dm_context *dm;
	struct nbd_server *nbd;
	struct control *ctl;
	struct nbd_exports exports;
	struct events *events;
	struct fuse_export *fuse;
	struct nbd_tls *tls;
	struct metrics_sources msrc;
	struct metrics *metrics;
};

/* A target parameter from the command line; given again, the last wins. */
static void set_param(struct options *o, const char *type, const char *name, uint64_t value)
{
	unsigned i = 0;

	while (i < o->nparam && (strcmp(o->param[i].type, type) || strcmp(o->param[i].name, name)))
		i++;
	if (i == sizeof(o->param) / sizeof(o->param[0]))
		return; /* cannot happen: one slot per parameter ulvmd has an option for */
	o->param[i] = (struct target_setting){ type, name, value };
	if (i == o->nparam)
		o->nparam++;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: ulvmd [OPTION]...\n"
		"The ulvm daemon: holds the mapped devices, serves them over NBD and\n"
		"answers `ulvm dmsetup` on its control socket.  It runs in the\n"
		"foreground; SIGTERM or SIGINT stops it cleanly.\n"
		"\n"
		"  --run-dir DIR        sockets and pid file here (default: $ULVM_RUN_DIR,\n"
		"                       /run/ulvm for root, else $XDG_RUNTIME_DIR/ulvm)\n"
		"  --listen ADDR:PORT   also serve NBD over TCP (ADDR may be [::1]; repeatable);\n"
		"                       without TLS whoever reaches it reads and writes every volume\n"
		"  --tls MODE           TLS on the --listen sockets: off, on (the client\n"
		"                       chooses) or require; on when credentials are given\n"
		"  --tls-certificates DIR\n"
		"                       X.509: DIR/ca-cert.pem, server-cert.pem, server-key.pem\n"
		"                       (ca-crl.pem if there), as qemu-nbd and nbdkit read them\n"
		"  --tls-psk FILE       pre-shared keys instead: USER:HEXKEY lines (psktool)\n"
		"  --tls-verify-peer    X.509: accept only clients with a certificate the CA signed\n"
		"  --workers N          NBD I/O threads (default: the NBD server's)\n"
		"  --log-level LEVEL    error, warning, info (default) or debug\n"
		"  --thin-no-space-timeout SECS\n"
		"                       how long writes to a thin pool out of data space\n"
		"                       wait for it to grow (default 60, 0 = forever)\n"
		"  --thin-metadata-cache MIB\n"
		"                       metadata block cache of each thin pool (default 64)\n"
		"  --on-event CMD       when a device raises a dm event (a thin pool past its\n"
		"                       low water mark), run CMD DMNAME: CMD split on blanks,\n"
		"                       no shell; one run per device at a time; output logged\n"
		"  --on-event-interval SECS\n"
		"                       at least SECS between two runs for one device (default 5)\n"
		"  --cache MODE         writeback (default): files and devices through the page\n"
		"                       cache; none: O_DIRECT, no second copy (qemu-nbd's\n"
		"                       --cache=none); flush and FUA are kept in both\n"
		"  --aio ENGINE         threads (default): pread/pwrite on the NBD threads;\n"
		"                       io_uring: the same through a ring per thread\n"
		"  --fuse DIR           also serve every active device as a file under DIR\n"
		"                       (DIR/vg/lv, DIR/NAME): losetup makes it a block device\n"
		"  --metrics ADDR:PORT  serve Prometheus metrics at http://ADDR:PORT/metrics\n"
		"                       (e.g. 127.0.0.1:9627; per device I/O, thin pools,\n"
		"                       exports); no authentication: bind loopback\n"
		"  --autoactivate       once ready, run `ulvm vgchange -aay` (lvm2's autoactivation):\n"
		"                       a restarted daemon serves again what should be served\n"
		"  -v, --verbose        one log level more (repeatable)\n"
		"  --foreground         accepted; ulvmd never daemonizes\n"
		"  -h, --help           this help\n"
		"  -V, --version        print the version\n");
}

static int parse_level(const char *s)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	static const char *const shortn[] = { "err", "warn", "info", "debug" };
	uint32_t v;

	for (int i = 0; i < 4; i++) {
		if (!strcmp(s, names[i]) || !strcmp(s, shortn[i]))
			return i;
	}
	if (!parse_u32(s, &v) && v <= LOG_DEBUG)
		return (int)v;
	return -1;
}

/* Returns 0, or the exit code. */
static int parse_options(int argc, char **argv, struct options *o)
{
	enum { OPT_RUN_DIR = 256, OPT_LISTEN, OPT_WORKERS, OPT_LOG_LEVEL, OPT_FOREGROUND,
	       OPT_THIN_TIMEOUT, OPT_THIN_META_CACHE, OPT_ON_EVENT, OPT_ON_EVENT_INTERVAL, OPT_AUTOACTIVATE,
	       OPT_CACHE, OPT_AIO, OPT_FUSE, OPT_TLS, OPT_TLS_CERTS, OPT_TLS_PSK, OPT_TLS_VERIFY,
	       OPT_METRICS };
	static const struct option longopts[] = {
		{ "run-dir", required_argument, NULL, OPT_RUN_DIR },
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "workers", required_argument, NULL, OPT_WORKERS },
		{ "log-level", required_argument, NULL, OPT_LOG_LEVEL },
		{ "foreground", no_argument, NULL, OPT_FOREGROUND },
		{ "thin-no-space-timeout", required_argument, NULL, OPT_THIN_TIMEOUT },
		{ "thin-metadata-cache", required_argument, NULL, OPT_THIN_META_CACHE },
		{ "on-event", required_argument, NULL, OPT_ON_EVENT },
		{ "on-event-interval", required_argument, NULL, OPT_ON_EVENT_INTERVAL },
		{ "autoactivate", no_argument, NULL, OPT_AUTOACTIVATE },
		{ "cache", required_argument, NULL, OPT_CACHE },
		{ "aio", required_argument, NULL, OPT_AIO },
		{ "fuse", required_argument, NULL, OPT_FUSE },
		{ "tls", required_argument, NULL, OPT_TLS },
		{ "tls-certificates", required_argument, NULL, OPT_TLS_CERTS },
		{ "tls-psk", required_argument, NULL, OPT_TLS_PSK },
		{ "tls-verify-peer", no_argument, NULL, OPT_TLS_VERIFY },
		{ "metrics", required_argument, NULL, OPT_METRICS },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	uint32_t v;
	int c;

	o->log_level = LOG_INFO;
	o->on_event_interval = 5;
	while ((c = getopt_long(argc, argv, "vhV", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_RUN_DIR:
			o->run_dir = optarg;
			break;
		case OPT_LISTEN:
			if (o->nlisten == MAX_TCP) {
				log_err("at most %d --listen options", MAX_TCP);
				return 2;
			}
			o->listen[o->nlisten++] = optarg;
			break;
		case OPT_THIN_TIMEOUT:
			if (parse_u32(optarg, &v) || v > 86400) {
				log_err("--thin-no-space-timeout %s: expected seconds, 0 to 86400", optarg);
				return 2;
			}
			set_param(o, "thin-pool", "no_space_timeout", v);
			break;
		case OPT_THIN_META_CACHE:
			if (parse_u32(optarg, &v) || !v || v > 65536) {
				log_err("--thin-metadata-cache %s: expected MiB, 1 to 65536", optarg);
				return 2;
			}
			set_param(o, "thin-pool", "metadata_cache", (uint64_t)v << 20);
			break;
		case OPT_ON_EVENT:
			if (!optarg[strspn(optarg, " \t")]) {
				log_err("--on-event: expected a command");
				return 2;
			}
			o->on_event = optarg;
			break;
		case OPT_ON_EVENT_INTERVAL:
			if (parse_u32(optarg, &v) || v > 86400) {
				log_err("--on-event-interval %s: expected seconds, 0 to 86400", optarg);
				return 2;
			}
			o->on_event_interval = v;
			break;
		case OPT_WORKERS:
			if (parse_u32(optarg, &v) || v == 0 || v > 1024) {
				log_err("--workers %s: expected a number from 1 to 1024", optarg);
				return 2;
			}
			o->workers = v;
			break;
		case OPT_LOG_LEVEL:
			o->log_level = parse_level(optarg);
			if (o->log_level < 0) {
				log_err("--log-level %s: expected error, warning, info or debug", optarg);
				return 2;
			}
			break;
		case OPT_FOREGROUND:
			break;
		case OPT_AUTOACTIVATE:
			o->autoactivate = true;
			break;
		case OPT_CACHE:
			if (strcmp(optarg, "writeback") && strcmp(optarg, "none")) {
				log_err("--cache %s: expected writeback or none", optarg);
				return 2;
			}
			o->file_flags = strcmp(optarg, "none") ? 0 : DEV_OPEN_DIRECT;
			break;
		case OPT_FUSE:
			o->fuse_dir = optarg;
			break;
		case OPT_TLS:
			if (nbd_tls_parse_mode(optarg, &o->tls_mode)) {
				log_err("--tls %s: expected off, on or require", optarg);
				return 2;
			}
			o->tls_given = true;
			break;
		case OPT_TLS_CERTS:
			o->tls.x509_dir = optarg;
			break;
		case OPT_TLS_PSK:
			o->tls.psk_file = optarg;
			break;
		case OPT_TLS_VERIFY:
			o->tls.verify_peer = true;
			break;
		case OPT_METRICS:
			o->metrics = optarg;
			break;
		case OPT_AIO:
			if (!(o->engine = io_engine_find(optarg))) {
				log_err("--aio %s: expected threads or io_uring", optarg);
				return 2;
			}
			break;
		case 'v':
			if (o->log_level < LOG_DEBUG)
				o->log_level++;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		case 'V':
			printf("ulvmd %s\n", ULVM_VERSION);
			exit(0);
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		log_err("unexpected argument '%s'", argv[optind]);
		usage(stderr);
		return 2;
	}
	/* Credentials alone mean TLS on, as with qemu-nbd's --tls-creds. */
	if (!o->tls_given && (o->tls.x509_dir || o->tls.psk_file))
		o->tls_mode = NBD_TLS_ON;
	if (o->tls_mode != NBD_TLS_OFF && !o->tls.x509_dir && !o->tls.psk_file) {
		log_err("--tls %s needs --tls-certificates DIR or --tls-psk FILE",
			o->tls_mode == NBD_TLS_ON ? "on" : "require");
		return 2;
	}
	if (o->tls_mode != NBD_TLS_OFF && !o->nlisten) {
		log_err("--tls applies to the --listen sockets, and there is none (the local socket is "
			"protected by its mode, 0600)");
		return 2;
	}
	return 0;
}

/* Say who can reach the volumes through a TCP listener. */
static void warn_tcp(const struct options *o, const char *addr)
{
	if (o->tls_mode == NBD_TLS_OFF)
		log_warn("WARNING: NBD over TCP on %s has no TLS and no authentication: every user of this "
			 "machine (and every host that reaches the address) can read and write every volume",
			 addr);
	else if (o->tls_mode == NBD_TLS_ON)
		log_warn("WARNING: NBD on %s: TLS offered, not required (--tls=require): clients may "
			 "still read and write every volume in the clear", addr);
	log_info("serving NBD on %s%s%s", addr,
		 o->tls_mode == NBD_TLS_OFF ? "" : o->tls_mode == NBD_TLS_ON ? ", TLS offered" : ", TLS required",
		 o->tls_mode == NBD_TLS_OFF ? "" : o->tls.psk_file ? " (PSK)" :
		 o->tls.verify_peer ? " (X.509, client certificates verified)" : " (X.509, any client)");
}

/* Take the run directory: flock its lock file, so a second daemon on the
 * same directory is refused while the first lives, and a dead one's
 * sockets can be removed safely. */
static int lock_run_dir(struct daemon *d, struct err *e)
{
	char path[4096], pid[32] = "";
	int fd, ret;

	ret = rundir_path(d->dir, RUNDIR_LOCK, path, sizeof(path), e);
	if (ret)
		return ret;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return err_set(e, -errno, "%s: %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		ret = -errno;
		close(fd);
		if (ret != -EWOULDBLOCK)
			return err_set(e, ret, "flock %s: %s", path, strerror(-ret));
		fd = open(d->pid_path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			ssize_t n = read(fd, pid, sizeof(pid) - 1);
			pid[n > 0 ? n : 0] = '\0';
			pid[strcspn(pid, "\n")] = '\0';
			close(fd);
		}
		return err_set(e, -EBUSY, "another ulvmd%s%s%s is running in %s", *pid ? " (pid " : "",
			       pid, *pid ? ")" : "", d->dir);
	}
	d->lock_fd = fd;
	return 0;
}

static int write_pid_file(struct daemon *d, struct err *e)
{
	char buf[32];
	int fd, n;

	fd = open(d->pid_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return err_set(e, -errno, "%s: %s", d->pid_path, strerror(errno));
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n) {
		close(fd);
		return err_set(e, -EIO, "%s: short write", d->pid_path);
	}
	close(fd);
	d->pid_written = true;
	return 0;
}

/* Block the signals we wait for in every thread (threads inherit the
 * mask, so this runs before any is made) and read them from a signalfd. */
static int setup_signals(struct daemon *d, struct err *e)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &set, NULL))
		return err_set(e, -EINVAL, "pthread_sigmask failed");
	d->signal_fd = signalfd(-1, &set, SFD_CLOEXEC);
	if (d->signal_fd < 0)
		return err_set(e, -errno, "signalfd: %s", strerror(errno));
	return 0;
}

static int start(struct daemon *d, const struct options *o, struct err *e)
{
	struct nbd_server_config cfg = { .workers = o->workers };
	int ret, fd;

	ret = rundir_resolve(o->run_dir, d->dir, sizeof(d->dir), e);
	if (ret)
		return ret;
	if ((ret = rundir_path(d->dir, RUNDIR_CONTROL, d->control_path, sizeof(d->control_path), e)) ||
	    (ret = rundir_path(d->dir, RUNDIR_NBD, d->nbd_path, sizeof(d->nbd_path), e)) ||
	    (ret = rundir_path(d->dir, RUNDIR_PID, d->pid_path, sizeof(d->pid_path), e)))
		return ret;
	ret = rundir_mkdir(d->dir, e);
	if (ret)
		return ret;
	ret = lock_run_dir(d, e);
	if (ret)
		return ret;
	/* We own the directory now: what is left in it is a dead daemon's. */
	unlink(d->control_path);
	unlink(d->nbd_path);

	ret = setup_signals(d, e);
	if (ret)
		return ret;
	ret = dm_context_new(ulvm_targets, ulvm_ntargets, &d->dm);
	if (ret)
		return err_set(e, ret, "device mapper: %s", strerror(-ret));
	dm_context_set_io(d->dm, o->file_flags, o->engine);
	for (unsigned i = 0; i < o->nparam; i++)
		if ((ret = dm_context_set_param(d->dm, o->param[i].type, o->param[i].name, o->param[i].value, e)))
			return ret;
	if (o->on_event) {
		struct events_config ec = { .cmd = o->on_event, .interval = o->on_event_interval,
					    .run_dir = d->dir };

		ret = events_start(d->dm, &ec, &d->events, e);
		if (ret)
			return ret;
	}
	ret = control_new(d->dm, &d->ctl);
	if (ret)
		return err_set(e, ret, "%s", strerror(-ret));

	exports_init(&d->exports, d->dm);
	ret = nbd_server_new(&cfg, &d->exports, &d->nbd);
	if (ret)
		return err_set(e, ret, "NBD server: %s", strerror(-ret));
	fd = listen_unix(d->nbd_path, e);
	if (fd < 0)
		return fd;
	ret = nbd_server_listen(d->nbd, fd);
	if (ret)
		return err_set(e, ret, "NBD server on %s: %s", d->nbd_path, strerror(-ret));
	if (o->tls_mode != NBD_TLS_OFF && (ret = nbd_tls_new(&o->tls, &d->tls, e)))
		return ret;
	for (unsigned i = 0; i < o->nlisten; i++) {
		int fds[MAX_TCP], n = listen_tcp("--listen", o->listen[i], fds, MAX_TCP, e);

		if (n < 0)
			return n;
		for (int j = 0; j < n; j++) {
			ret = nbd_server_listen_tls(d->nbd, fds[j], d->tls, o->tls_mode);
			if (ret) {
				for (int k = j + 1; k < n; k++)
					close(fds[k]);
				return err_set(e, ret, "NBD server on %s: %s", o->listen[i],
					       strerror(-ret));
			}
		}
		warn_tcp(o, o->listen[i]);
	}

	if (o->fuse_dir) {
		char fsname[64];

		if ((ret = rundir_fuse_name(d->dir, fsname, sizeof(fsname), e)) ||
		    (ret = fuse_export_start(o->fuse_dir, fsname, &d->exports, &d->fuse, e)))
			return ret;
		log_info("serving files under %s", o->fuse_dir);
	}
	if (o->metrics) {
		d->msrc = (struct metrics_sources){ .dm = d->dm, .nbd = d->nbd, .fuse = d->fuse };
		if ((ret = metrics_start(o->metrics, &d->msrc, &d->metrics, e)))
			return ret;
		log_info("serving metrics on http://%s/metrics", o->metrics);
	}
	ret = write_pid_file(d, e);
	if (ret)
		return ret;
	d->control_fd = listen_unix(d->control_path, e);
	if (d->control_fd < 0)
		return d->control_fd;
	log_info("ready: control %s, NBD %s", d->control_path, d->nbd_path);
	return 0;
}

/* ulvm next to this binary (installed side by side), or in the build
 * tree (src/daemon/ulvmd, src/cli/ulvm), else on the PATH. */
static void find_ulvm(char *out, size_t size)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	snprintf(out, size, "ulvm");
	if (n <= 0)
		return;
	self[n] = 0;
	if (!(slash = strrchr(self, '/')))
		return;
	*slash = 0;
	snprintf(out, size, "%s/ulvm", self);
	if (!access(out, X_OK))
		return;
	snprintf(out, size, "%s/../cli/ulvm", self);
	if (!access(out, X_OK))
		return;
	snprintf(out, size, "ulvm");
}

/* --autoactivate: `ulvm vgchange -aay --run-dir DIR` in a grandchild,
 * which talks to us once run() serves the control socket; the child in
 * between is reaped at once, so nothing is left to wait for. */
static void autoactivate(struct daemon *d)
{
	char ulvm[4200];
	pid_t pid;

	find_ulvm(ulvm, sizeof(ulvm));
	log_info("autoactivation: %s vgchange -aay --run-dir %s", ulvm, d->dir);
	pid = fork();
	if (pid < 0) {
		log_warn("autoactivation: fork: %s", strerror(errno));
		return;
	}
	if (!pid) {
		sigset_t all;

		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		if (fork() == 0) {
			char *argv[] = { ulvm, "vgchange", "-aay", "--run-dir", d->dir, NULL };

			execvp(ulvm, argv);
			_exit(127);
		}
		_exit(0);
	}
	waitpid(pid, NULL, 0);
}

/* Serve until SIGTERM or SIGINT. */
static void run(struct daemon *d)
{
	struct pollfd pfd[2] = {
		{ .fd = d->signal_fd, .events = POLLIN },
		{ .fd = d->control_fd, .events = POLLIN },
	};

	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			log_err("poll: %s", strerror(errno));
			return;
		}
		if (pfd[0].revents) {
			struct signalfd_siginfo si;

			if (read(d->signal_fd, &si, sizeof(si)) == sizeof(si)) {
				log_info("%s: shutting down", strsignal((int)si.ssi_signo));
				return;
			}
		}
		if (pfd[1].revents) {
			int fd = accept4(d->control_fd, NULL, NULL, SOCK_CLOEXEC);

			if (fd < 0) {
				if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
					log_warn("accept: %s", strerror(errno));
				/* Out of descriptors: do not spin. */
				if (errno == EMFILE || errno == ENFILE)
					usleep(100000);
				continue;
			}
			if (control_serve(d->ctl, fd))
				log_warn("control: cannot serve a connection");
		}
	}
}

/* I/O queued on a suspended device would never end, and the NBD server
 * could not drain.  Drop any inactive table and resume on the live one:
 * every device is about to go anyway. */
static void resume_suspended(struct dm_context *dm)
{
	struct mapped_device **mds;
	unsigned n;

	if (dm_get_all(dm, &mds, &n))
		return;
	for (unsigned i = 0; i < n; i++) {
		struct md_info info;

		md_get_info(mds[i], &info);
		if (!info.suspended)
			continue;
		log_warn("%s is suspended: resuming it to shut down", mds[i]->name);
		dm_clear(dm, mds[i]->name, NULL);
		dm_resume(dm, mds[i]->name, NULL);
	}
	dm_put_all(mds, n);
}

static void stop(struct daemon *d)
{
	/* A scrape reads the devices and the servers: it goes first. */
	metrics_stop(d->metrics);
	/* A command still running would talk to a daemon going away. */
	events_stop(d->events);
	if (d->control_fd >= 0) {
		close(d->control_fd);
		unlink(d->control_path);
	}
	/* Let running control requests end (a suspend waits for I/O, which
	 * still flows), then no one changes the devices any more. */
	if (d->ctl) {
		control_stop(d->ctl);
		control_wait(d->ctl);
		control_free(d->ctl);
	}
	/* Files open through FUSE fail from here on; their devices close. */
	fuse_export_stop(d->fuse);
	if (d->dm) {
		resume_suspended(d->dm);
		dm_presuspend_all(d->dm);
	}
	if (d->nbd) {
		nbd_server_shutdown(d->nbd);
		nbd_server_free(d->nbd);
		unlink(d->nbd_path);
	}
	nbd_tls_free(d->tls);
	if (d->dm) {
		int ret = dm_flush_all(d->dm);

		if (ret)
			log_warn("flushing devices: %s", strerror(-ret));
		dm_context_free(d->dm);
	}
	events_free(d->events);
	if (d->pid_written)
		unlink(d->pid_path);
	if (d->signal_fd >= 0)
		close(d->signal_fd);
	/* The lock file stays: removing it would race with a new daemon
	 * that already opened it.  Closing drops the lock. */
	if (d->lock_fd >= 0)
		close(d->lock_fd);
}

int main(int argc, char **argv)
{
	struct daemon d = { .lock_fd = -1, .control_fd = -1, .signal_fd = -1 };
	struct options o = { 0 };
	struct err e = { 0 };
	int ret;

	log_set_prog("ulvmd");
	ret = parse_options(argc, argv, &o);
	if (ret)
		return ret;
	log_set_level(o.log_level);

	ret = start(&d, &o, &e);
	if (ret) {
		log_err("%s", e.msg[0] ? e.msg : strerror(-ret));
		/* Undoes what was done; nothing of another daemon's, since the
		 * lock comes before any socket. */
		stop(&d);
		return 1;
	}
	if (o.autoactivate)
		autoactivate(&d);
	run(&d);
	stop(&d);
	log_info("stopped");
	return 0;
}
