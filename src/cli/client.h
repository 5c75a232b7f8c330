/* How ulvm reaches ulvmd: the control socket of the run directory. */
#ifndef ULVM_CLI_CLIENT_H
#define ULVM_CLI_CLIENT_H

#include "common/jsonrpc.h"
#include "common/log.h"

/* Options every ulvm command shares. */
struct cli_globals {
	const char *run_dir; /* --run-dir, or NULL */
	int verbose;
};

/* Connect to the daemon of @g's run directory.  When none listens there
 * the message says so and names the socket tried. */
int daemon_connect(const struct cli_globals *g, struct jsonrpc_client *c, struct err *e);

#endif
