/* ulvmd --on-event: run a command when a mapped device raises a dm event.
 *
 * A target raises an event with dm_table_event (a thin pool crossing its
 * low water mark); the device's event number goes up and our handler
 * only kicks an eventfd, so the I/O path never waits on us.  One thread
 * then compares each device's event number with the last one it saw and
 * runs
 *     CMD... <dm name>
 * (CMD split on blanks, no shell; the export name and event number in
 * the environment) with posix_spawn: at most one command per device at a
 * time, no sooner than `interval` seconds after the previous one started;
 * events that come meanwhile are folded into one more run.  The
 * command's output goes to the log, line by line.
 */
#ifndef ULVM_DAEMON_EVENTS_H
#define ULVM_DAEMON_EVENTS_H

#include "common/log.h"

struct dm_context;
struct events;

struct events_config {
	const char *cmd;      /* "ulvm lvextend --use-policies" */
	unsigned interval;    /* seconds between two runs for one device */
	const char *run_dir;  /* exported to the command as ULVM_RUN_DIR */
};

/* Start watching @dm's devices (registers the dm event handler). */
int events_start(struct dm_context *dm, const struct events_config *cfg, struct events **out,
		 struct err *e);
/* Stop the thread and end the commands still running (SIGTERM, then
 * SIGKILL); events raised afterwards are ignored. */
void events_stop(struct events *ev);
/* Free, once no device can raise an event any more (after
 * dm_context_free). */
void events_free(struct events *ev);

#endif
