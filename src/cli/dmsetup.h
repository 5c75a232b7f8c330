/* `ulvm dmsetup VERB ...`: dmsetup's verbs, run by ulvmd. */
#ifndef ULVM_CLI_DMSETUP_H
#define ULVM_CLI_DMSETUP_H

#include "cli/client.h"

/* @argv[0] is "dmsetup".  Returns the exit code: 0, 1 for a failure, 2
 * for a usage error. */
int dmsetup_main(const struct cli_globals *g, int argc, char **argv);

#endif
