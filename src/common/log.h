/* Logging and error messages.
 *
 * One convention everywhere: functions return 0 or -errno.  When a caller
 * must be told *why*, the callee fills a `struct err` with one message
 * (err_set) and the top of the stack prints it or sends it to a client.
 * Diagnostics for the operator go through log_msg.
 */
#ifndef ULVM_COMMON_LOG_H
#define ULVM_COMMON_LOG_H

#include <stdarg.h>

enum log_level { LOG_ERR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(int level);
int log_get_level(void);
void log_set_prog(const char *prog);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#define ERR_MSG_MAX 512

/* A reason for a failure, filled by the layer that knows it. */
struct err {
	char msg[ERR_MSG_MAX];
};

/* Fill @e (which may be NULL) and return @rc, so a caller writes
 *   return err_set(e, -EINVAL, "line %u: ...", n);
 * If @e already holds a message the new text is prefixed to it, joined by
 * ": ", so outer layers can add context to an inner reason. */
int err_set(struct err *e, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void err_clear(struct err *e);

#endif
