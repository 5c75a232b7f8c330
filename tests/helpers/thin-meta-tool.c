/* thin-meta-tool: drive src/thin/thin_metadata on a file, for
 * tests/integration/thin-meta.sh (which checks the result with
 * thin-provisioning-tools).
 *
 *   thin-meta-tool FILE format DATA_BLOCK_SECTORS NR_DATA_BLOCKS
 *   thin-meta-tool FILE < script
 *
 * Script lines (one command each; # starts a comment):
 *   create_thin ID | create_snap ID ORIGIN | delete ID
 *   map ID VBLOCK            allocate a data block and map VBLOCK to it
 *   unmap ID VBLOCK
 *   random ID N RANGE SEED   N random maps (70%) / unmaps in [0, RANGE)
 *   set_transaction_id CUR NEW | reserve_metadata_snap | release_metadata_snap
 *   discard ID BEGIN END     unmap [BEGIN, END)
 *   resize_data NR_BLOCKS | resize_metadata (to the file's size) | commit | check
 *   dump                     "D id mapped trans ctime stime" then
 *                            "M id vblock data time" lines, sorted
 *   stat                     "data FREE/TOTAL meta FREE/TOTAL time T trans X held H"
 *   data_sm                  the data space map: "C block count" for every
 *                            block with a count, then "T nr_blocks free"
 * Nothing is committed unless the script says so; exit 1 at the first
 * failing command, with its reason.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/dev.h"
#include "thin/thin_metadata.h"

static int print_map(void *opaque, uint64_t vblock, uint64_t data, uint32_t time)
{
	printf("M %" PRIu64 " %" PRIu64 " %" PRIu64 " %u\n", *(uint64_t *)opaque, vblock, data,
	       time);
	return 0;
}

struct devlist {
	struct thin_dev_info d[4096];
	unsigned n;
};

static int collect(void *opaque, const struct thin_dev_info *info)
{
	struct devlist *l = opaque;

	if (l->n >= 4096)
		return -ENOSPC;
	l->d[l->n++] = *info;
	return 0;
}

static int dump_data_sm(struct thin_meta *t, struct err *e)
{
	uint64_t nr = thin_meta_data_blocks(t);

	for (uint64_t b = 0; b < nr; b++) {
		uint32_t c;
		int r = thin_meta_data_block_count(t, b, &c);

		if (r)
			return err_set(e, r, "data block %" PRIu64 ": cannot read its count", b);
		if (c)
			printf("C %" PRIu64 " %u\n", b, c);
	}
	printf("T %" PRIu64 " %" PRIu64 "\n", nr, thin_meta_data_free(t));
	return 0;
}

static int dump(struct thin_meta *t)
{
	static struct devlist l;
	int r;

	l.n = 0;
	r = thin_meta_list_devs(t, collect, &l);
	for (unsigned i = 0; i < l.n && r == 0; i++)
		printf("D %" PRIu64 " %" PRIu64 " %" PRIu64 " %u %u\n", l.d[i].id,
		       l.d[i].mapped_blocks, l.d[i].transaction_id, l.d[i].creation_time,
		       l.d[i].snapshotted_time);
	for (unsigned i = 0; i < l.n && r == 0; i++)
		r = thin_meta_walk(t, l.d[i].id, print_map, &l.d[i].id);
	return r;
}

static int map_new(struct thin_meta *t, uint64_t id, uint64_t vblock, struct err *e)
{
	uint64_t b;
	int r = thin_meta_alloc_data_block(t, &b, e);

	return r < 0 ? r : thin_meta_insert(t, id, vblock, b, e);
}

static int run(struct thin_meta *t, char *line, struct err *e)
{
	char cmd[64];
	uint64_t a = 0, b = 0, c = 0, d = 0;
	int n = sscanf(line, "%63s %" SCNu64 " %" SCNu64 " %" SCNu64 " %" SCNu64, cmd, &a, &b, &c, &d);

	if (n < 1 || cmd[0] == '#')
		return 0;
	if (!strcmp(cmd, "create_thin") && n == 2)
		return thin_meta_create_thin(t, a, e);
	if (!strcmp(cmd, "create_snap") && n == 3)
		return thin_meta_create_snap(t, a, b, e);
	if (!strcmp(cmd, "delete") && n == 2)
		return thin_meta_delete(t, a, e);
	if (!strcmp(cmd, "map") && n == 3)
		return map_new(t, a, b, e);
	if (!strcmp(cmd, "unmap") && n == 3)
		return thin_meta_remove(t, a, b, e);
	if (!strcmp(cmd, "random") && n == 5) {
		unsigned seed = (unsigned)d;

		for (uint64_t i = 0; i < b; i++) {
			uint64_t vb = (uint64_t)rand_r(&seed) % c;
			int r;

			if (rand_r(&seed) % 100 < 70) {
				r = map_new(t, a, vb, e);
			} else {
				r = thin_meta_remove(t, a, vb, e);
				if (r == -ENODATA)
					r = 0;
			}
			if (r < 0)
				return r;
		}
		return 0;
	}
	if (!strcmp(cmd, "set_transaction_id") && n == 3)
		return thin_meta_set_transaction_id(t, a, b, e);
	if (!strcmp(cmd, "reserve_metadata_snap"))
		return thin_meta_reserve_metadata_snap(t, e);
	if (!strcmp(cmd, "release_metadata_snap"))
		return thin_meta_release_metadata_snap(t, e);
	if (!strcmp(cmd, "resize_data") && n == 2)
		return thin_meta_resize_data(t, a, e);
	if (!strcmp(cmd, "resize_metadata"))
		return thin_meta_resize_metadata(t, e);
	if (!strcmp(cmd, "discard") && n == 4)
		return thin_meta_remove_range(t, a, b, c, NULL, e);
	if (!strcmp(cmd, "commit"))
		return thin_meta_commit(t, e);
	if (!strcmp(cmd, "check"))
		return thin_meta_check(t, e);
	if (!strcmp(cmd, "dump"))
		return dump(t);
	if (!strcmp(cmd, "data_sm"))
		return dump_data_sm(t, e);
	if (!strcmp(cmd, "stat")) {
		printf("data %" PRIu64 "/%" PRIu64 " meta %" PRIu64 "/%" PRIu64
		       " time %u trans %" PRIu64 " held %" PRIu64 "\n",
		       thin_meta_data_free(t), thin_meta_data_blocks(t), thin_meta_metadata_free(t),
		       thin_meta_metadata_blocks(t), thin_meta_time(t), thin_meta_transaction_id(t),
		       thin_meta_held_root(t));
		return 0;
	}
	return err_set(e, -EINVAL, "unknown command or wrong arguments");
}

int main(int argc, char **argv)
{
	struct thin_meta *t = NULL;
	struct err e = { { 0 } };
	struct dev *dev;
	char line[512];
	unsigned lineno = 0;
	int r;

	if (argc != 2 && !(argc == 5 && !strcmp(argv[2], "format"))) {
		fprintf(stderr, "usage: %s FILE [format DATA_BLOCK_SECTORS NR_DATA_BLOCKS] < script\n",
			argv[0]);
		return 2;
	}
	r = dev_open_file(argv[1], 0, &dev);
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", argv[1], strerror(-r));
		return 1;
	}
	if (argc == 5)
		r = thin_meta_format(dev, (uint32_t)strtoul(argv[3], NULL, 0),
				     strtoull(argv[4], NULL, 0), NULL, &t, &e);
	else
		r = thin_meta_open(dev, 0, NULL, &t, &e);
	dev_put(dev);
	if (r < 0) {
		fprintf(stderr, "%s\n", e.msg);
		return 1;
	}
	if (argc == 2) {
		while (fgets(line, sizeof(line), stdin)) {
			lineno++;
			r = run(t, line, &e);
			if (r < 0) {
				line[strcspn(line, "\n")] = 0;
				fprintf(stderr, "line %u (%s): %s (%s)\n", lineno, line,
					e.msg[0] ? e.msg : "failed", strerror(-r));
				break;
			}
		}
	}
	thin_meta_close(t);
	return r < 0 ? 1 : 0;
}
