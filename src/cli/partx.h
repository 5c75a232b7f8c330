#ifndef ULVM_CLI_PARTX_H
#define ULVM_CLI_PARTX_H

#include "cli/client.h"

/* ulvm partx --add|--delete|--show DEVICE, ulvm kpartx -a|-d|-l DEVICE:
 * a disk's partitions as linear devices of ulvmd (partx.c). */
int partx_main(const struct cli_globals *g, int argc, char **argv);

#endif
