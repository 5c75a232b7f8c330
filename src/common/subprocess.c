#include "common/subprocess.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* stderr, one line at a time, less the lines holding @drop (a line
 * longer than the buffer is judged by its first part) */
struct err_filter {
	const char *drop;
	char line[4096];
	size_t len;
	bool skip; /* the rest of a long line already judged */
};

static void err_emit(struct err_filter *f)
{
	if (!f->skip && f->len) {
		f->line[f->len] = 0;
		if (!strstr(f->line, f->drop))
			fputs(f->line, stderr);
		else
			f->skip = f->line[f->len - 1] != '\n';
	} else if (f->len && f->line[f->len - 1] == '\n') {
		f->skip = false;
	}
	f->len = 0;
}

static void err_feed(struct err_filter *f, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		f->line[f->len++] = p[i];
		if (p[i] == '\n' || f->len == sizeof(f->line) - 1)
			err_emit(f);
	}
}

int spawn_wait(const char *const argv[], const struct spawn_io *io)
{
	static const struct spawn_io none;
	posix_spawn_file_actions_t fa;
	struct err_filter ef;
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, st, r;
	size_t got = 0;
	pid_t pid;

	if (!io)
		io = &none;
	if ((io->out && pipe2(po, O_CLOEXEC)) || (io->drop && pipe2(pe, O_CLOEXEC))) {
		r = -errno;
		if (po[0] >= 0)
			close(po[0]), close(po[1]);
		return r;
	}
	fflush(stdout);
	fflush(stderr);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (io->out)
		posix_spawn_file_actions_adddup2(&fa, po[1], 1);
	if (io->drop)
		posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
	r = posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (po[1] >= 0)
		close(po[1]);
	if (pe[1] >= 0)
		close(pe[1]);
	if (r) {
		if (po[0] >= 0)
			close(po[0]);
		if (pe[0] >= 0)
			close(pe[0]);
		return -r;
	}
	ef = (struct err_filter){ .drop = io->drop };
	while (po[0] >= 0 || pe[0] >= 0) {
		struct pollfd p[2] = { { .fd = po[0], .events = POLLIN }, { .fd = pe[0], .events = POLLIN } };
		char buf[4096];
		ssize_t k;

		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[0].revents) { /* keep the first @size - 1 bytes, drain the rest */
			bool room = got + 1 < io->size;

			k = read(po[0], room ? io->out + got : buf, room ? io->size - 1 - got : sizeof(buf));
			if (k > 0 && room)
				got += (size_t)k;
			else if (!k || (k < 0 && errno != EINTR && errno != EAGAIN))
				close(po[0]), po[0] = -1;
		}
		if (p[1].revents) {
			k = read(pe[0], buf, sizeof(buf));
			if (k > 0)
				err_feed(&ef, buf, (size_t)k);
			else if (!k || (errno != EINTR && errno != EAGAIN))
				close(pe[0]), pe[0] = -1;
		}
	}
	if (po[0] >= 0)
		close(po[0]);
	if (pe[0] >= 0)
		close(pe[0]);
	if (io->out && io->size)
		io->out[got] = 0;
	if (io->drop)
		err_emit(&ef);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
