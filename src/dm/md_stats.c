/* I/O accounting of mapped devices, and what monitoring reads of them.
 *
 * Every request at a device's top (md_io.c) calls md_stats_start before
 * it enters the device and md_stats_end once it is done.  The counters are
 * relaxed atomics in struct mapped_device, with no lock: requests of one
 * device run on many threads at once, and a lock here would serialise
 * them a second time (md_enter takes the device lock already, briefly).
 * Relaxed is enough: no one orders other memory by these values; a reader
 * sees each counter exact and monotonic, not all of them at one instant.
 * A request costs two clock reads and five or six atomic adds on the
 * device's own cache lines.
 */
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "dm/dm_internal.h"

/* 10 us to 10 s: a request served from the page cache through NBD takes
 * tens of microseconds, one that waits for a disk or a thin pool's
 * commit milliseconds to seconds. */
const uint64_t md_latency_bounds_ns[MD_LATENCY_BUCKETS] = {
	10000,	   25000,     50000,	 100000,     250000,	500000,	    1000000,
	2500000,   5000000,   10000000,	 25000000,   50000000,	100000000,  250000000,
	500000000, 1000000000, 2500000000, 5000000000, 10000000000,
};

#define ADD(p, v) __atomic_fetch_add((p), (v), __ATOMIC_RELAXED)
#define LOAD(p) __atomic_load_n((p), __ATOMIC_RELAXED)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t md_stats_start(struct mapped_device *md)
{
	ADD(&md->stats.inflight, 1);
	return now_ns();
}

void md_stats_cancel(struct mapped_device *md)
{
	__atomic_fetch_sub(&md->stats.inflight, 1, __ATOMIC_RELAXED);
}

void md_stats_end(struct mapped_device *md, enum md_stat_op op, uint64_t bytes, uint64_t start,
		  int r)
{
	struct md_op_stats *s = &md->stats.op[op];
	uint64_t ns = now_ns() - start;
	unsigned b = 0;

	while (b < MD_LATENCY_BUCKETS && ns > md_latency_bounds_ns[b])
		b++;
	ADD(&s->latency[b], 1);
	ADD(&s->ns, ns);
	ADD(&s->bytes, bytes);
	if (r)
		ADD(&s->errors, 1);
	ADD(&s->ops, 1);
	__atomic_fetch_sub(&md->stats.inflight, 1, __ATOMIC_RELAXED);
}

void md_get_stats(struct mapped_device *md, struct md_stats *out)
{
	for (unsigned o = 0; o < MD_STAT_NOPS; o++) {
		const struct md_op_stats *s = &md->stats.op[o];
		struct md_op_stats *d = &out->op[o];

		d->ops = LOAD(&s->ops);
		d->bytes = LOAD(&s->bytes);
		d->errors = LOAD(&s->errors);
		d->ns = LOAD(&s->ns);
		for (unsigned b = 0; b <= MD_LATENCY_BUCKETS; b++)
			d->latency[b] = LOAD(&s->latency[b]);
	}
	out->inflight = LOAD(&md->stats.inflight);
}

void md_get_names(struct mapped_device *md, char name[DM_NAME_LEN], char export_name[DM_EXPORT_LEN])
{
	pthread_mutex_lock(&md->lock);
	memcpy(name, md->name, DM_NAME_LEN);
	memcpy(export_name, md->export_name, DM_EXPORT_LEN);
	pthread_mutex_unlock(&md->lock);
}

void md_metrics(struct mapped_device *md, dm_metric_fn fn, void *opaque)
{
	struct dm_table *t;

	/* Under the device lock, as a status: tables are swapped and freed
	 * only under it, also while the device is suspended (where counting
	 * in flight would not keep the table: a resume does not wait for
	 * what entered past the gate). */
	pthread_mutex_lock(&md->lock);
	t = md->dead ? NULL : md->live;
	for (unsigned i = 0; t && i < t->ntargets; i++)
		if (t->targets[i].type->metrics)
			t->targets[i].type->metrics(&t->targets[i], fn, opaque);
	pthread_mutex_unlock(&md->lock);
}
