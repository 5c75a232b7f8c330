/* The control socket: JSON-RPC 2.0 requests, one per line, each
 * connection served by its own thread (a suspend may wait for in-flight
 * I/O, and must not hold up other clients). */
#ifndef ULVM_DAEMON_CONTROL_H
#define ULVM_DAEMON_CONTROL_H

struct control;
struct dm_context;

int control_new(struct dm_context *dm, struct control **out);
/* Serve the accepted connection @fd (taken, even on failure). */
int control_serve(struct control *ctl, int fd);
/* Shutdown, step 1: read no more requests; requests running go on. */
void control_stop(struct control *ctl);
/* Step 2: wait until every connection thread has finished (after a grace
 * period, connections are cut both ways). */
void control_wait(struct control *ctl);
void control_free(struct control *ctl);

#endif
