/* Write-behind (md's --write-behind; dm-raid's max_write_behind): on a
 * raid1 with metadata, a write to a write_mostly leg is queued and the
 * client is answered once the other legs have it, so a slow or remote leg
 * (another host over NBD) does not slow the writes down.  At most
 * max_write_behind / 2 writes wait behind (the kernel halves the table's
 * value: md counts writes where dm-raid says sectors), and at most
 * RAID_BEHIND_BYTES of their copies; past either, a write waits for
 * room.  FUA writes never go behind: they wait for the leg's queue and
 * go to the leg at once.
 *
 * Invariants.  A queued write holds its regions in the write-intent
 * bitmap (raid_bm_hold) until its leg has it, so they stay marked on
 * disk: after a crash they resync from a leg that is not write-mostly
 * (raid_sync.c takes those as source), and a resync or check of a region
 * waits for the writes behind in it.  RAID_BEHIND_THREADS threads per
 * write-mostly leg start its queued writes in queue order, as many at
 * once as they are (a leg on another host answers them in parallel), but
 * none while an earlier write in flight overlaps it: writes to one
 * sector reach the leg in the client's order.  A write-mostly leg is read only when no other leg
 * can serve, and only after its queue is empty (raid_behind_drain); the
 * server's ring and splice never read it while writes wait.  A leg that
 * fails a queued write is failed as a client write would fail it, and
 * the regions stay marked for resync.
 *
 * Locking.  rs->behind_lock guards every queue and the counters; a leg's
 * threads drop it for the write.  postsuspend drains the queues (the
 * client I/O has stopped by then), so a table swap or a clean stop never
 * leaves writes behind; dtr stops the threads.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "targets/raid/raid.h"

#define RAID_BEHIND_BYTES (64u << 20)
#define RAID_BEHIND_THREADS 32

struct raid_behind_io {
	struct raid_behind_io *next;
	bool started;
	enum raid_op op;
	uint64_t off, len; /* on the leg, bytes */
	uint64_t s, n;     /* bitmap range, sync-domain sectors */
	unsigned char data[];
};

struct behind_arg {
	struct raid_set *rs;
	unsigned leg;
};

/* rs->behind_lock held: the write of leg @l to start next (the first not
 * started, if no earlier one in flight overlaps it), or NULL. */
static struct raid_behind_io *next_io(struct raid_leg *l)
{
	struct raid_behind_io *io = l->bhead;

	while (io && io->started)
		io = io->next;
	if (!io)
		return NULL;
	for (struct raid_behind_io *e = l->bhead; e != io; e = e->next)
		if (e->off < io->off + io->len && io->off < e->off + e->len)
			return NULL;
	return io;
}

static void unlink_io(struct raid_leg *l, struct raid_behind_io *io)
{
	struct raid_behind_io **pp = &l->bhead, *prev = NULL;

	while (*pp != io) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	*pp = io->next;
	if (l->btail == io)
		l->btail = prev;
}

static void *behind_thread(void *arg)
{
	struct behind_arg *a = arg;
	struct raid_set *rs = a->rs;
	unsigned i = a->leg;
	struct raid_leg *l = &rs->legs[i];

	free(a);
	pthread_mutex_lock(&rs->behind_lock);
	for (;;) {
		struct raid_behind_io *io;
		int e = -EIO;

		while (!(io = next_io(l)) && !(rs->behind_stop && !l->bhead))
			pthread_cond_wait(&rs->behind_cond, &rs->behind_lock);
		if (!io)
			break;
		io->started = true;
		pthread_mutex_unlock(&rs->behind_lock);
		if (raid_leg_writable(rs, i))
			e = raid_leg_op(l, io->op, io->op == RAID_OP_WRITE ? io->data : NULL, io->len, io->off, 0);
		if (e && raid_leg_writable(rs, i))
			raid_fail_leg(rs, i, e);
		raid_bm_endwrite(rs, io->s, io->n, !e);
		pthread_mutex_lock(&rs->behind_lock);
		unlink_io(l, io);
		rs->behind_ios--;
		rs->behind_bytes -= io->op == RAID_OP_WRITE ? io->len : 0;
		pthread_cond_broadcast(&rs->behind_cond);
		free(io);
	}
	pthread_mutex_unlock(&rs->behind_lock);
	return NULL;
}

int raid_behind_start(struct raid_set *rs)
{
	if (rs->level != &raid_level_raid1 || rs->max_write_behind / 2 == 0 || !rs->has_meta)
		return 0;
	for (unsigned i = 0; i < rs->ndevs; i++) {
		struct raid_leg *l = &rs->legs[i];

		if (!l->write_mostly || !l->data || l->bthreads)
			continue;
		if (!(l->bthread = calloc(RAID_BEHIND_THREADS, sizeof(*l->bthread))))
			return -ENOMEM;
		for (unsigned t = 0; t < RAID_BEHIND_THREADS; t++) {
			struct behind_arg *a = malloc(sizeof(*a));

			if (!a)
				return -ENOMEM;
			*a = (struct behind_arg){ rs, i };
			if (pthread_create(&l->bthread[t], NULL, behind_thread, a)) {
				free(a);
				return -EAGAIN;
			}
			l->bthreads++;
		}
	}
	return 0;
}

void raid_behind_drain(struct raid_set *rs, int leg)
{
	pthread_mutex_lock(&rs->behind_lock);
	for (unsigned i = 0; i < rs->ndevs; i++)
		while ((leg < 0 || (unsigned)leg == i) && rs->legs[i].bhead)
			pthread_cond_wait(&rs->behind_cond, &rs->behind_lock);
	pthread_mutex_unlock(&rs->behind_lock);
}

void raid_behind_stop(struct raid_set *rs)
{
	if (!rs)
		return;
	raid_behind_drain(rs, -1);
	pthread_mutex_lock(&rs->behind_lock);
	rs->behind_stop = true;
	pthread_cond_broadcast(&rs->behind_cond);
	pthread_mutex_unlock(&rs->behind_lock);
	for (unsigned i = 0; i < rs->ndevs; i++) {
		struct raid_leg *l = &rs->legs[i];

		for (unsigned t = 0; t < l->bthreads; t++)
			pthread_join(l->bthread[t], NULL);
		l->bthreads = 0;
		free(l->bthread);
		l->bthread = NULL;
	}
}

void raid_behind_counts(struct raid_set *rs, uint64_t *ios, uint64_t *bytes)
{
	pthread_mutex_lock(&rs->behind_lock);
	*ios = rs->behind_ios;
	*bytes = rs->behind_bytes;
	pthread_mutex_unlock(&rs->behind_lock);
}

bool raid_behind_pending(struct raid_set *rs, unsigned leg)
{
	bool busy;

	pthread_mutex_lock(&rs->behind_lock);
	busy = rs->legs[leg].bhead != NULL;
	pthread_mutex_unlock(&rs->behind_lock);
	return busy;
}

bool raid_behind_queue(struct raid_set *rs, unsigned leg, enum raid_op op, const void *buf, uint64_t len,
		       uint64_t off, uint64_t s, uint64_t n, unsigned flags)
{
	struct raid_leg *l = &rs->legs[leg];
	uint64_t bytes = op == RAID_OP_WRITE ? len : 0;
	struct raid_behind_io *io;

	if (!l->bthreads || (flags & DEV_FUA) || bytes > RAID_BEHIND_BYTES ||
	    !(io = malloc(sizeof(*io) + bytes)))
		return false;
	*io = (struct raid_behind_io){ .op = op, .off = off, .len = len, .s = s, .n = n };
	if (bytes)
		memcpy(io->data, buf, bytes);
	pthread_mutex_lock(&rs->behind_lock);
	while (!rs->behind_stop && (rs->behind_ios >= rs->max_write_behind / 2 ||
				    rs->behind_bytes + bytes > RAID_BEHIND_BYTES))
		pthread_cond_wait(&rs->behind_cond, &rs->behind_lock); /* room first */
	if (rs->behind_stop) {
		pthread_mutex_unlock(&rs->behind_lock);
		free(io);
		return false;
	}
	rs->behind_ios++;
	rs->behind_bytes += bytes;
	raid_bm_hold(rs, s, n);
	if (l->btail)
		l->btail->next = io;
	else
		l->bhead = io;
	l->btail = io;
	pthread_cond_broadcast(&rs->behind_cond);
	pthread_mutex_unlock(&rs->behind_lock);
	return true;
}
