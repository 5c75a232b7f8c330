/* The I/O engines, in one list.  See engine.h. */
#include "io/engine.h"

#include <string.h>

const struct io_engine *const io_engines[] = { &io_engine_sync, &io_engine_uring, NULL };

const struct io_engine *io_engine_find(const char *name)
{
	for (unsigned i = 0; io_engines[i]; i++)
		if (!strcmp(io_engines[i]->name, name))
			return io_engines[i];
	return NULL;
}
