/* The thin-pool target's messages: the kernel's (create_thin,
 * create_snap, delete, set_transaction_id, reserve_metadata_snap,
 * release_metadata_snap) and ulvm's read-only "delta" (changed-block
 * tracking).
 *
 * Locking.  A message that changes the metadata takes the pool's io_lock
 * for write (no thin I/O, and no transfer the server runs on a thin's
 * behalf, is in flight while a device is deleted or a snapshot taken),
 * then p->lock; it commits after both are dropped.  "delta" only reads
 * and takes p->lock alone.
 *
 * Failure.  A refused message (bad arguments, unknown or existing device)
 * leaves the metadata as it was; any other failure of the update aborts
 * the transaction and leaves the pool read-only (pool_metadata_error).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/args.h"
#include "targets/thin_pool.h"

static int parse_id(const char *s, uint64_t max, uint64_t *out)
{
	return parse_u64(s, out) || *out > max ? -EINVAL : 0;
}

static int do_message(struct dm_target *ti, struct pool *p, int argc, char **argv,
		      struct err *e)
{
	uint64_t a, b;

#define ARGS(n)                                                                \
	do {                                                                   \
		if (argc != (n)) {                                             \
			ti->error = "Incorrect number of arguments";           \
			return -EINVAL;                                        \
		}                                                              \
	} while (0)
	if (!strcasecmp(argv[0], "create_thin")) {
		ARGS(2);
		if (parse_id(argv[1], THIN_MAX_DEV_ID, &a)) {
			ti->error = "Invalid device id";
			return -EINVAL;
		}
		return thin_meta_create_thin(p->tm, a, e);
	}
	if (!strcasecmp(argv[0], "create_snap")) {
		ARGS(3);
		if (parse_id(argv[1], THIN_MAX_DEV_ID, &a) ||
		    parse_id(argv[2], THIN_MAX_DEV_ID, &b)) {
			ti->error = "Invalid device id";
			return -EINVAL;
		}
		return thin_meta_create_snap(p->tm, a, b, e);
	}
	if (!strcasecmp(argv[0], "delete")) {
		ARGS(2);
		if (parse_id(argv[1], THIN_MAX_DEV_ID, &a)) {
			ti->error = "Invalid device id";
			return -EINVAL;
		}
		if (pool_thin_is_open(p, a)) /* the kernel's __delete_device */
			return err_set(e, -EBUSY, "Deletion of thin device %" PRIu64 " failed: it is open", a);
		return thin_meta_delete(p->tm, a, e);
	}
	if (!strcasecmp(argv[0], "set_transaction_id")) {
		ARGS(3);
		if (parse_u64(argv[1], &a) || parse_u64(argv[2], &b)) {
			ti->error = "Invalid transaction id";
			return -EINVAL;
		}
		return thin_meta_set_transaction_id(p->tm, a, b, e);
	}
	if (!strcasecmp(argv[0], "reserve_metadata_snap")) {
		ARGS(1);
		return thin_meta_reserve_metadata_snap(p->tm, e);
	}
	if (!strcasecmp(argv[0], "release_metadata_snap")) {
		ARGS(1);
		return thin_meta_release_metadata_snap(p->tm, e);
	}
#undef ARGS
	ti->error = "Unrecognised thin pool target message received";
	return -EINVAL;
}

/* Errors that leave the metadata as it was: the request was refused. */
static bool refused(int r)
{
	return r == -EINVAL || r == -EEXIST || r == -ENODEV || r == -ENODATA || r == -EBUSY ||
	       r == -ENOENT;
}

/* "delta <dev a> <dev b> [<from vblock>] [same]", ulvm's own and
 * read-only (changed-block tracking; the kernel has no such message):
 * "data_block_size <sectors>", then "<kind> <begin> <length>" per range
 * (thin_meta_delta, in data blocks) that begins at or after <from>.  When
 * @result is full, a last line "more <vblock>" is the <from> to ask next. */
struct delta_reply {
	char *buf;
	size_t maxlen, pos;
	uint64_t from, more;
	bool full;
};

#define DELTA_MORE_RESERVE 32 /* "more " + 20 digits + newline + NUL */

static int delta_line(void *opaque, const struct thin_delta_range *r)
{
	struct delta_reply *d = opaque;
	char line[96];
	int n;

	if (r->begin < d->from)
		return 0;
	n = snprintf(line, sizeof(line), "%s %" PRIu64 " %" PRIu64 "\n",
		     thin_delta_kind_name(r->kind), r->begin, r->len);
	if (d->pos + (size_t)n + DELTA_MORE_RESERVE > d->maxlen) {
		d->full = true;
		d->more = r->begin;
		return 1;
	}
	memcpy(d->buf + d->pos, line, (size_t)n + 1);
	d->pos += (size_t)n;
	return 0;
}

static int delta_message(struct dm_target *ti, struct pool *p, int argc, char **argv,
			 char *result, size_t maxlen)
{
	struct delta_reply d = { .buf = result, .maxlen = maxlen };
	unsigned flags = 0;
	uint64_t a, b;
	int r;

	if (argc < 3 || argc > 5) {
		ti->error = "Incorrect number of arguments";
		return -EINVAL;
	}
	if (parse_id(argv[1], THIN_MAX_DEV_ID, &a) || parse_id(argv[2], THIN_MAX_DEV_ID, &b)) {
		ti->error = "Invalid device id";
		return -EINVAL;
	}
	for (int i = 3; i < argc; i++) {
		if (!strcasecmp(argv[i], "same")) {
			flags |= THIN_DELTA_WITH_SAME;
		} else if (parse_u64(argv[i], &d.from)) {
			ti->error = "Invalid delta argument";
			return -EINVAL;
		}
	}
	if (maxlen < 2 * DELTA_MORE_RESERVE + 64) {
		ti->error = "Result buffer too small";
		return -ENOBUFS;
	}
	pthread_mutex_lock(&p->lock);
	d.pos = (size_t)snprintf(result, maxlen, "data_block_size %" PRIu32 "\n",
				 p->sectors_per_block);
	r = thin_meta_delta(p->tm, a, b, flags, delta_line, &d);
	pthread_mutex_unlock(&p->lock);
	if (r == -ENODEV) {
		ti->error = "No such thin device";
		return r;
	}
	if (r < 0) {
		ti->error = "Cannot read the thin mappings";
		return r;
	}
	if (d.full)
		snprintf(result + d.pos, maxlen - d.pos, "more %" PRIu64 "\n", d.more);
	return 0;
}

int pool_message_run(struct dm_target *ti, struct pool *p, int argc, char **argv, char *result,
		     size_t maxlen)
{
	struct err e = { { 0 } };
	int r;

	if (!strcasecmp(argv[0], "delta"))
		return delta_message(ti, p, argc, argv, result, maxlen);
	pthread_rwlock_wrlock(&p->io_lock);
	pthread_mutex_lock(&p->lock);
	if (p->mode >= PM_OUT_OF_METADATA_SPACE) {
		ti->error = "unable to service pool target messages in READ_ONLY or FAIL mode";
		r = -EOPNOTSUPP;
		goto out;
	}
	r = do_message(ti, p, argc, argv, &e);
	if (r && !ti->error) {
		if (!refused(r))
			pool_metadata_error(p, r, &e);
		dm_target_set_error(ti, "%.200s", e.msg);
	} else if (!r) {
		p->dirty = true;
	}
out:
	pthread_mutex_unlock(&p->lock);
	pthread_rwlock_unlock(&p->io_lock);
	if (!r)
		r = pool_commit(p, POOL_FLUSH_MAPPED);
	return r;
}
