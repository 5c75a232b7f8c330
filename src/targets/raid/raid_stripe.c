/* The stripe rows of the parity levels in use, MD's stripe cache without
 * the cache: who holds a row, and the writes waiting for it.
 *
 * A row is held by one thread at a time while its data and parity change
 * or while a chunk is rebuilt from it.  Holders are listed per bucket
 * (row mod RAID_STRIPE_LOCKS), each hold on its holder's stack.  A writer
 * that finds its row held by another writer does not wait for the row: it
 * queues its unit on that hold and sleeps until the holder has written it,
 * merged with its own and every other queued write of the row (one parity
 * update for all: neighbouring writes in flight together cost one
 * read-modify-write, and enough of them make a full row that needs no
 * read).  A row held exclusively (a rebuilding read, the sync thread)
 * takes no queue: writers wait for it to be released.  Lock order: the
 * bucket's mutex is never held across I/O.
 */
#include "targets/raid/raid.h"

static struct raid_row_bucket *bucket(struct raid_set *rs, uint64_t row)
{
	return &rs->rows[row % RAID_STRIPE_LOCKS];
}

static struct raid_row_hold *find(struct raid_row_bucket *b, uint64_t row)
{
	for (struct raid_row_hold *h = b->busy; h; h = h->next)
		if (h->row == row)
			return h;
	return NULL;
}

static void unlink_hold(struct raid_row_bucket *b, struct raid_row_hold *h)
{
	for (struct raid_row_hold **p = &b->busy; *p; p = &(*p)->next) {
		if (*p == h) {
			*p = h->next;
			return;
		}
	}
}

void raid_row_lock(struct raid_set *rs, uint64_t row, struct raid_row_hold *h)
{
	struct raid_row_bucket *b = bucket(rs, row);

	*h = (struct raid_row_hold){ .row = row };
	pthread_mutex_lock(&b->lock);
	while (find(b, row))
		pthread_cond_wait(&b->cond, &b->lock);
	h->next = b->busy;
	b->busy = h;
	pthread_mutex_unlock(&b->lock);
}

void raid_row_unlock(struct raid_set *rs, struct raid_row_hold *h)
{
	struct raid_row_bucket *b = bucket(rs, h->row);

	pthread_mutex_lock(&b->lock);
	unlink_hold(b, h);
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
}

bool raid_row_join(struct raid_set *rs, struct raid_wunit *u, struct raid_row_hold *h)
{
	struct raid_row_bucket *b = bucket(rs, u->row);
	struct raid_row_hold *o;

	*h = (struct raid_row_hold){ .row = u->row, .batch = true };
	pthread_mutex_lock(&b->lock);
	for (;;) {
		if (!(o = find(b, u->row))) {
			h->next = b->busy;
			b->busy = h;
			pthread_mutex_unlock(&b->lock);
			return true;
		}
		if (o->batch && !o->closed)
			break;
		pthread_cond_wait(&b->cond, &b->lock);
	}
	u->next = NULL;
	u->done = false;
	{
		struct raid_wunit **p = &o->pending;

		while (*p)
			p = &(*p)->next;
		*p = u;
	}
	while (!u->done)
		pthread_cond_wait(&b->cond, &b->lock);
	pthread_mutex_unlock(&b->lock);
	return false;
}

struct raid_wunit *raid_row_next(struct raid_set *rs, struct raid_row_hold *h, struct raid_wunit *done,
				 unsigned max)
{
	struct raid_row_bucket *b = bucket(rs, h->row);
	struct raid_wunit *batch = NULL, **tail = &batch;
	unsigned n = 0;

	unsigned lo = 0, hi = 0;

	pthread_mutex_lock(&b->lock);
	for (struct raid_wunit *u = done; u; u = u->next)
		u->done = true;
	/* the waiting writes whose ranges fit one unit with the first's */
	for (struct raid_wunit **p = &h->pending; *p && n < max;) {
		struct raid_wunit *u = *p;
		unsigned a = n && u->lo > lo ? lo : u->lo, z = n && u->hi < hi ? hi : u->hi;

		if (z - a > RAID_PUNIT) {
			p = &u->next;
			continue;
		}
		lo = a, hi = z;
		*p = u->next;
		u->next = NULL;
		*tail = u;
		tail = &u->next;
		n++;
	}
	if (!batch) {
		h->closed = true;
		unlink_hold(b, h);
	}
	pthread_cond_broadcast(&b->cond);
	pthread_mutex_unlock(&b->lock);
	return batch;
}

void raid_rows_init(struct raid_set *rs)
{
	for (unsigned i = 0; i < RAID_STRIPE_LOCKS; i++) {
		pthread_mutex_init(&rs->rows[i].lock, NULL);
		pthread_cond_init(&rs->rows[i].cond, NULL);
		rs->rows[i].busy = NULL;
	}
}

void raid_rows_destroy(struct raid_set *rs)
{
	for (unsigned i = 0; i < RAID_STRIPE_LOCKS; i++) {
		pthread_mutex_destroy(&rs->rows[i].lock);
		pthread_cond_destroy(&rs->rows[i].cond);
	}
}
