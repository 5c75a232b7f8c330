/* Background polling, as lvm2's polldaemon when vgchange/lvchange -ay
 * meets an operation in progress (a pvmove, a merging snapshot): a
 * detached `ulvm VERB ARGS... -i 0` follows it to its end, with the same
 * run dir, config dir and device list, its output discarded. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "lvm/poll.h"
#include "lvm/segtype.h"

#define POLL_ARGS 16

static void spawn(const struct lvm_env *env, const char *run_dir, char *words)
{
	char *argv[POLL_ARGS + 8], *devs = NULL, *save = NULL;
	size_t dl = 0;
	unsigned n = 0;
	pid_t pid;

	argv[n++] = "ulvm";
	if (run_dir) {
		argv[n++] = "--run-dir";
		argv[n++] = (char *)run_dir;
	}
	for (char *w = strtok_r(words, "\n", &save); w && n < POLL_ARGS; w = strtok_r(NULL, "\n", &save))
		argv[n++] = w;
	argv[n++] = "--config-dir";
	argv[n++] = (char *)env->confdir;
	if (env->from_cmdline && env->ndev) {
		FILE *f = open_memstream(&devs, &dl);

		for (unsigned i = 0; f && i < env->ndev; i++)
			fprintf(f, "%s%s", i ? "," : "", env->dev[i].path);
		if (!f || fclose(f))
			return;
		argv[n++] = "--devices";
		argv[n++] = devs;
	}
	argv[n] = NULL;
	fflush(NULL);
	if ((pid = fork()) < 0) {
		log_warn("cannot start the background poll: %s", strerror(errno));
	} else if (!pid) { /* detached: a second fork, so nobody waits for it */
		int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (fork())
			_exit(0);
		setsid();
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv("/proc/self/exe", argv);
		_exit(127);
	} else {
		waitpid(pid, NULL, 0);
	}
	free(devs);
}

void lvm_poll_seen_free(struct lvm_poll_seen *s)
{
	for (unsigned i = 0; i < s->n; i++)
		free(s->cmd[i]);
	s->n = 0;
}

unsigned lvm_poll_background(const struct lvm_env *env, const char *run_dir, const struct vg *vg, struct dmctl *d,
			     struct lvm_poll_seen *seen)
{
	char buf[1024];
	unsigned n = 0;

	for (unsigned i = 0; i < vg->nlv; i++) {
		const struct segtype *st = lv_segtype(vg->lv[i]);
		bool again = false;

		if (!st || !st->poll || !st->poll(vg, vg->lv[i], d, buf, sizeof(buf)))
			continue;
		for (unsigned k = 0; k < seen->n; k++)
			again |= !strcmp(seen->cmd[k], buf);
		if (again || seen->n == 64 || !(seen->cmd[seen->n] = strdup(buf)))
			continue;
		seen->n++;
		log_info("%s/%s: following it in the background", vg->name, vg->lv[i]->name);
		spawn(env, run_dir, buf);
		n++;
	}
	return n;
}
