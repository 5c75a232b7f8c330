#ifndef ULVM_CLI_CRYPTSETUP_H
#define ULVM_CLI_CRYPTSETUP_H

#include "cli/client.h"

/* ulvm cryptsetup VERB ...: cryptsetup's LUKS verbs (cryptsetup.c). */
int cryptsetup_main(const struct cli_globals *g, int argc, char **argv);

#endif
