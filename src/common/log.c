#include "common/log.h"

#include <stdio.h>
#include <string.h>

static int cur_level = LOG_INFO;
static const char *prog_name = "ulvm";

void log_set_level(int level) { cur_level = level; }
int log_get_level(void) { return cur_level; }
void log_set_prog(const char *prog) { prog_name = prog; }

void log_msg(int level, const char *fmt, ...)
{
	static const char *const tag[] = { "error", "warning", "info", "debug" };
	char line[1024];
	va_list ap;

	if (level > cur_level)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One write per line so lines from several threads do not interleave.
	 * A message that says WARNING itself (lvm2's word) gets no second tag. */
	if (level == LOG_WARN && !strncmp(line, "WARNING: ", 9))
		fprintf(stderr, "%s: %s\n", prog_name, line);
	else
		fprintf(stderr, "%s: %s: %s\n", prog_name, tag[level], line);
}

int err_set(struct err *e, int rc, const char *fmt, ...)
{
	char tmp[ERR_MSG_MAX];
	va_list ap;

	if (!e)
		return rc;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (e->msg[0]) {
		char inner[ERR_MSG_MAX];
		size_t n = strlen(tmp);

		/* "outer: inner", cut to fit */
		memcpy(inner, e->msg, sizeof(inner));
		memcpy(e->msg, tmp, n);
		if (n + 2 < sizeof(e->msg)) {
			memcpy(e->msg + n, ": ", 2);
			n += 2;
			size_t m = strnlen(inner, sizeof(inner) - 1);
			if (m > sizeof(e->msg) - 1 - n)
				m = sizeof(e->msg) - 1 - n;
			memcpy(e->msg + n, inner, m);
			e->msg[n + m] = '\0';
		} else {
			e->msg[n] = '\0';
		}
	} else {
		memcpy(e->msg, tmp, sizeof(tmp));
	}
	return rc;
}

void err_clear(struct err *e)
{
	if (e)
		e->msg[0] = '\0';
}
