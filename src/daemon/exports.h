/* What ulvmd serves over NBD: every mapped device with a live table,
 * under its dm name. */
#ifndef ULVM_DAEMON_EXPORTS_H
#define ULVM_DAEMON_EXPORTS_H

#include "export/nbd.h"

struct dm_context;

void exports_init(struct nbd_exports *ex, struct dm_context *dm);

#endif
