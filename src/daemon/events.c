/* ulvmd --on-event (see events.h).
 *
 * Everything but the handler runs on one thread, which owns the watch
 * list, so the list needs no lock.  The handler may run on any thread
 * with target locks held: it writes to a non-blocking eventfd and
 * returns.  The thread wakes on that eventfd, on a command's output, or
 * at the next deadline (a deferred run, or a child to reap), then scans
 * the devices' event numbers: a device whose number moved gets a run.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/clock.h"
#include "daemon/events.h"
#include "dm/md.h"

extern char **environ;

#define MAX_WORDS 64
#define LINE_MAX_LEN 1024
#define REAP_POLL_MS 100

struct watch {
	char name[DM_NAME_LEN];
	char export_name[DM_EXPORT_LEN];
	uint32_t seen;      /* the event number last acted on */
	uint32_t nr;        /* the current one */
	bool pending;       /* an event since the last run started */
	bool present;       /* found by the last scan */
	pid_t pid;          /* running command, or 0 */
	int out_fd;         /* its stdout and stderr, or -1 */
	uint64_t last_ms;   /* when the last run started */
	size_t blen;
	char buf[LINE_MAX_LEN];
};

struct events {
	struct dm_context *dm;
	char *words;                 /* the command, split in place */
	char *argv[MAX_WORDS + 2];   /* words, the dm name, NULL */
	unsigned nwords;
	char *run_dir;
	uint64_t interval_ms;
	int efd;
	bool stop;                   /* atomic */
	bool started;
	pthread_t thread;
	struct watch *w;
	unsigned nw;
};

static void on_event(void *opaque, struct mapped_device *md)
{
	struct events *ev = opaque;
	uint64_t one = 1;
	ssize_t n;

	(void)md; /* the thread reads every device's event number */
	n = write(ev->efd, &one, sizeof(one)); /* EAGAIN: a kick is pending */
	(void)n;
}

/* ---- the command's output ---- */

static void log_line(struct watch *w, const char *line, size_t len)
{
	log_info("on-event %s: %.*s", w->name, (int)len, line);
}

/* Read what is there; false at end of file. */
static bool drain(struct watch *w)
{
	for (;;) {
		ssize_t n = read(w->out_fd, w->buf + w->blen, sizeof(w->buf) - w->blen);
		char *nl;

		if (n < 0)
			return errno == EAGAIN || errno == EINTR;
		if (n == 0) {
			if (w->blen)
				log_line(w, w->buf, w->blen);
			w->blen = 0;
			return false;
		}
		w->blen += (size_t)n;
		while ((nl = memchr(w->buf, '\n', w->blen))) {
			size_t l = (size_t)(nl - w->buf);

			log_line(w, w->buf, l);
			memmove(w->buf, nl + 1, w->blen - l - 1);
			w->blen -= l + 1;
		}
		if (w->blen == sizeof(w->buf)) { /* a very long line: cut it */
			log_line(w, w->buf, w->blen);
			w->blen = 0;
		}
	}
}

static void close_output(struct watch *w)
{
	if (w->out_fd >= 0)
		close(w->out_fd);
	w->out_fd = -1;
}

static void reaped(struct watch *w, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		log_info("on-event %s: done", w->name);
	else if (WIFEXITED(status))
		log_warn("on-event %s: exited with status %d", w->name, WEXITSTATUS(status));
	else
		log_warn("on-event %s: killed by signal %d", w->name, WTERMSIG(status));
	w->pid = 0;
}

static void try_reap(struct watch *w)
{
	int status;
	pid_t r = waitpid(w->pid, &status, WNOHANG);

	if (r == w->pid) {
		if (w->out_fd >= 0 && !drain(w))
			close_output(w);
		close_output(w);
		reaped(w, status);
	} else if (r < 0 && errno == ECHILD) {
		close_output(w);
		w->pid = 0;
	}
}

/* ---- running the command ---- */

static int env_add(char **env, size_t *n, const char *key, const char *val)
{
	size_t len = strlen(key) + strlen(val) + 2;
	char *s = malloc(len);

	if (!s)
		return -ENOMEM;
	snprintf(s, len, "%s=%s", key, val);
	env[(*n)++] = s;
	return 0;
}

static bool env_ours(const char *s)
{
	return !strncmp(s, "ULVM_RUN_DIR=", 13) || !strncmp(s, "ULVM_EVENT_", 11);
}

static void spawn(struct events *ev, struct watch *w)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, dfl;
	size_t nenv = 0, nbase = 0, ours;
	char **env, nr[16];
	int pfd[2], r;

	/* Whatever happens, this event is handled: a failure waits for the
	 * next event, no busy retry. */
	w->last_ms = clock_ms();
	w->pending = false;
	w->seen = w->nr;
	for (char **e = environ; *e; e++)
		nbase++;
	env = calloc(nbase + 5, sizeof(*env));
	if (!env || pipe2(pfd, O_CLOEXEC)) {
		free(env);
		log_err("on-event %s: %s", w->name, strerror(errno));
		return;
	}
	for (char **e = environ; *e; e++)
		if (!env_ours(*e))
			env[nenv++] = *e;
	ours = nenv;
	snprintf(nr, sizeof(nr), "%" PRIu32, w->nr);
	if (env_add(env, &nenv, "ULVM_RUN_DIR", ev->run_dir) ||
	    env_add(env, &nenv, "ULVM_EVENT_DEVICE", w->name) ||
	    env_add(env, &nenv, "ULVM_EVENT_EXPORT", w->export_name) ||
	    env_add(env, &nenv, "ULVM_EVENT_NR", nr)) {
		log_err("on-event %s: out of memory", w->name);
		goto out;
	}
	ev->argv[ev->nwords] = w->name;
	ev->argv[ev->nwords + 1] = NULL;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	/* The daemon blocks SIGTERM/SIGINT (signalfd) and ignores SIGPIPE;
	 * the command gets the defaults, in a process group of its own. */
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGINT);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
					POSIX_SPAWN_SETPGROUP);
	r = posix_spawnp(&w->pid, ev->argv[0], &fa, &attr, ev->argv, env);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	if (r) {
		log_err("on-event %s: cannot run %s: %s", w->name, ev->argv[0], strerror(r));
		w->pid = 0;
		goto out;
	}
	log_info("on-event %s: event %" PRIu32 ", running %s %s (pid %d)", w->name, w->nr,
		 ev->words, w->name, (int)w->pid);
	w->out_fd = pfd[0];
	pfd[0] = -1;
	fcntl(w->out_fd, F_SETFL, O_NONBLOCK);
out:
	for (size_t i = ours; i < nenv; i++)
		free(env[i]);
	free(env);
	if (pfd[0] >= 0)
		close(pfd[0]);
	close(pfd[1]);
}

/* ---- the watch list ---- */

static struct watch *lookup_watch(struct events *ev, const char *name)
{
	for (unsigned i = 0; i < ev->nw; i++)
		if (!strcmp(ev->w[i].name, name))
			return &ev->w[i];
	return NULL;
}

static struct watch *find_watch(struct events *ev, const char *name)
{
	struct watch *w = lookup_watch(ev, name);

	if (w)
		return w;
	w = realloc(ev->w, (ev->nw + 1) * sizeof(*w));
	if (!w)
		return NULL;
	ev->w = w;
	w = &ev->w[ev->nw++];
	memset(w, 0, sizeof(*w));
	w->out_fd = -1;
	snprintf(w->name, sizeof(w->name), "%s", name);
	return w;
}

static void scan(struct events *ev)
{
	struct mapped_device **mds;
	unsigned n;

	for (unsigned i = 0; i < ev->nw; i++)
		ev->w[i].present = false;
	if (dm_get_all(ev->dm, &mds, &n) == 0) {
		for (unsigned i = 0; i < n; i++) {
			struct md_info info;
			struct watch *w;

			md_get_info(mds[i], &info);
			/* Event numbers start at 0: a device first seen with
			 * a number above has had events. */
			if (!info.event_nr && !lookup_watch(ev, mds[i]->name))
				continue;
			if (!(w = find_watch(ev, mds[i]->name)))
				break;
			w->present = true;
			snprintf(w->export_name, sizeof(w->export_name), "%s", mds[i]->export_name);
			w->nr = info.event_nr;
			if (w->nr != w->seen && !w->pending) {
				w->pending = true;
				log_info("on-event %s: event %" PRIu32, w->name, w->nr);
			}
		}
		dm_put_all(mds, n);
	}
	/* Forget devices that are gone, once their command has ended. */
	for (unsigned i = 0; i < ev->nw;) {
		if (!ev->w[i].present && !ev->w[i].pid) {
			close_output(&ev->w[i]);
			ev->w[i] = ev->w[--ev->nw];
		} else {
			i++;
		}
	}
}

/* ---- the thread ---- */

static void *events_thread(void *arg)
{
	struct events *ev = arg;

	while (!__atomic_load_n(&ev->stop, __ATOMIC_ACQUIRE)) {
		struct pollfd *pfd = calloc(ev->nw + 1, sizeof(*pfd));
		struct watch **pw = calloc(ev->nw + 1, sizeof(*pw));
		unsigned np = 1;
		int timeout = -1;
		uint64_t now = clock_ms();

		if (!pfd || !pw) {
			free(pfd);
			free(pw);
			usleep(100000);
			continue;
		}
		pfd[0] = (struct pollfd){ .fd = ev->efd, .events = POLLIN };
		for (unsigned i = 0; i < ev->nw; i++) {
			struct watch *w = &ev->w[i];

			if (w->out_fd >= 0) {
				pw[np] = w;
				pfd[np++] = (struct pollfd){ .fd = w->out_fd, .events = POLLIN };
			}
			if (w->pid) {
				timeout = REAP_POLL_MS;
			} else if (w->pending) {
				uint64_t due = w->last_ms + ev->interval_ms;
				int wait = due > now ? (int)(due - now) : 0;

				if (timeout < 0 || wait < timeout)
					timeout = wait;
			}
		}
		if (poll(pfd, np, timeout) > 0) {
			uint64_t v;

			if (pfd[0].revents && read(ev->efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
				log_warn("on-event: eventfd: %s", strerror(errno));
			for (unsigned i = 1; i < np; i++)
				if (pfd[i].revents && !drain(pw[i]))
					close_output(pw[i]);
		}
		free(pfd);
		free(pw);
		for (unsigned i = 0; i < ev->nw; i++)
			if (ev->w[i].pid)
				try_reap(&ev->w[i]);
		scan(ev);
		now = clock_ms();
		for (unsigned i = 0; i < ev->nw; i++) {
			struct watch *w = &ev->w[i];

			if (w->pending && !w->pid && (!w->last_ms || now >= w->last_ms + ev->interval_ms))
				spawn(ev, w);
		}
	}
	return NULL;
}

int events_start(struct dm_context *dm, const struct events_config *cfg, struct events **out,
		 struct err *e)
{
	struct events *ev = calloc(1, sizeof(*ev));
	char *save = NULL, *tok;
	int r;

	if (!ev)
		return -ENOMEM;
	ev->dm = dm;
	ev->efd = -1;
	ev->interval_ms = (uint64_t)cfg->interval * 1000;
	ev->words = strdup(cfg->cmd);
	ev->run_dir = strdup(cfg->run_dir);
	if (!ev->words || !ev->run_dir) {
		r = -ENOMEM;
		goto bad;
	}
	/* argv points into a second copy; ev->words stays whole for the log. */
	tok = strdup(cfg->cmd);
	if (!tok) {
		r = -ENOMEM;
		goto bad;
	}
	for (char *s = strtok_r(tok, " \t", &save); s; s = strtok_r(NULL, " \t", &save)) {
		if (ev->nwords == MAX_WORDS) {
			free(tok);
			r = err_set(e, -E2BIG, "--on-event: more than %d words", MAX_WORDS);
			goto bad;
		}
		ev->argv[ev->nwords++] = s;
	}
	if (!ev->nwords) {
		free(tok);
		r = err_set(e, -EINVAL, "--on-event: empty command");
		goto bad;
	}
	ev->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ev->efd < 0) {
		r = err_set(e, -errno, "eventfd: %s", strerror(errno));
		goto bad;
	}
	r = pthread_create(&ev->thread, NULL, events_thread, ev);
	if (r) {
		r = err_set(e, -r, "on-event thread: %s", strerror(r));
		goto bad;
	}
	ev->started = true;
	dm_set_event_handler(dm, on_event, ev);
	*out = ev;
	return 0;
bad:
	if (ev->nwords)
		free(ev->argv[0]);
	events_free(ev);
	return r;
}

void events_stop(struct events *ev)
{
	uint64_t one = 1;
	ssize_t n;

	if (!ev || !ev->started)
		return;
	dm_set_event_handler(ev->dm, NULL, NULL);
	__atomic_store_n(&ev->stop, true, __ATOMIC_RELEASE);
	n = write(ev->efd, &one, sizeof(one));
	(void)n;
	pthread_join(ev->thread, NULL);
	ev->started = false;
	for (unsigned i = 0; i < ev->nw; i++) {
		struct watch *w = &ev->w[i];

		if (!w->pid)
			continue;
		log_warn("on-event %s: stopping pid %d", w->name, (int)w->pid);
		kill(-w->pid, SIGTERM);
		for (int t = 0; t < 50 && w->pid; t++) {
			try_reap(w);
			if (w->pid)
				usleep(100000);
		}
		if (w->pid) {
			kill(-w->pid, SIGKILL);
			waitpid(w->pid, NULL, 0);
			w->pid = 0;
		}
		close_output(w);
	}
	free(ev->argv[0]);
	ev->argv[0] = NULL;
}

void events_free(struct events *ev)
{
	if (!ev)
		return;
	events_stop(ev);
	if (ev->efd >= 0)
		close(ev->efd);
	free(ev->w);
	free(ev->words);
	free(ev->run_dir);
	free(ev);
}
