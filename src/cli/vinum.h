#ifndef ULVM_CLI_VINUM_H
#define ULVM_CLI_VINUM_H

#include "cli/client.h"

/* ulvm vinum COMMAND ...: vinum(8)'s commands (vinum.c). */
int vinum_main(const struct cli_globals *g, int argc, char **argv);

#endif
