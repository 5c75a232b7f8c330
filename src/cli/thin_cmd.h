/* ulvm thin: thin pool tools (thin_cmd.c). */
#ifndef ULVM_CLI_THIN_CMD_H
#define ULVM_CLI_THIN_CMD_H

#include "cli/client.h"

int thin_main(const struct cli_globals *g, int argc, char **argv);

#endif
