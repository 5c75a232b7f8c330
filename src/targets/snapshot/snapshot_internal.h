/* What snapshot.c and merge.c (snapshot-merge) share: one snapshot's
 * state and the store's loading.  Locking as snapshot.c says. */
#ifndef ULVM_TARGETS_SNAPSHOT_INTERNAL_H
#define ULVM_TARGETS_SNAPSHOT_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "dm/target.h"

struct exmap {
	uint64_t *k, *v; /* open addressing; key UINT64_MAX: empty */
	size_t cap, n;
};

struct snap {
	struct dm_target *ti;
	struct dev *origin, *cow;
	char kind;                  /* 'P', 'O' (PO) or 'N' */
	uint32_t chunk;             /* sectors */
	size_t cb;                  /* bytes */
	pthread_mutex_t lock;
	struct exmap map;
	uint64_t next_free;         /* COW chunk */
	uint64_t area;              /* the area being filled */
	size_t count;               /* its entries */
	uint8_t *abuf, *cbuf;       /* that area; a chunk being copied */
	uint8_t *sbuf;              /* the area as a group commit writes it */
	uint64_t staged, synced;    /* exceptions put in abuf / on disk */
	bool syncing;               /* a group commit is writing sbuf */
	pthread_cond_t cond;        /* it finished */
	bool loaded, valid, overflow, registered;
	unsigned used_step;         /* 5 % steps of the COW device used, for events */
	struct snap *next;          /* in the registry */
	/* snapshot-merge (merge.c) */
	pthread_t mthread;
	bool mrunning, mstop, mfailed, mdone;
};

/* An exception of origin chunk @k: *@v its COW chunk (MERGED: none, merged back). */
#define SNAP_MERGED UINT64_MAX
bool exmap_get(const struct exmap *m, uint64_t k, uint64_t *v);
int exmap_put(struct exmap *m, uint64_t k, uint64_t v);
bool snap_persistent(const struct snap *s);
int snap_set_chunk(struct snap *s, uint32_t chunk);
/* Read (or make) the store: the exceptions, the allocator, the last area in s->abuf. */
int snap_load(struct snap *s);
void snap_free(struct snap *s);
/* Origin chunk @c into s->cbuf (zeroes past the origin's end). */
int snap_read_origin_chunk(struct snap *s, uint64_t c);
/* The table of snapshot or snapshot-merge (@merge: the origin writable). */
int snap_ctr_common(struct dm_target *ti, struct arg_set *as, bool merge);
void snap_status(struct dm_target *ti, enum status_type type, char *buf, size_t maxlen);
int snap_iterate(struct dm_target *ti, iterate_devices_fn fn, void *data);

#endif
