/* What every ulvm command shares (common/dmctl.h reaches ulvmd). */
#ifndef ULVM_CLI_CLIENT_H
#define ULVM_CLI_CLIENT_H

#include <stdbool.h>

#include "common/dmctl.h"

/* Options every ulvm command shares. */
struct cli_globals {
	const char *run_dir; /* --run-dir, or NULL */
	int verbose;
	bool complete; /* `ulvm __complete ...`: print the words that may come next */
};

#endif
