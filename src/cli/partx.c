/* ulvm partx / ulvm kpartx: the partitions of a disk (GPT, MBR with its
 * logical partitions, and the other tables libblkid reads) mapped as
 * linear devices of ulvmd, named as kpartx names them, so that a PV or a
 * LUKS container inside a partition can be opened like any device.
 *
 * The table is read by libblkid (util-linux), never by hand.  A disk that
 * is a file or block device is probed in place; an NBD URI or a device of
 * ulvmd is probed through a private sparse copy (cli/blockdev.h) holding
 * its first and last MiB (MBR, GPT and GPT's backup) and, for MBR logical
 * partitions, each EBR of the chain, found where the one before links
 * (wherever the partitioning tool put it).
 *
 * Names: kpartx's, BASE DELIM N: BASE is the device's name (a file's name
 * without extension, a block device's, the ulvmd device's, an NBD export's
 * or its socket's), DELIM is -p (or "p" after a digit, "" otherwise, for
 * block devices, as kpartx) unless given.  A partition running past the
 * end of the disk refuses the whole table before anything is mapped.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <blkid.h>
#include <json-c/json.h>

#include "cli/blockdev.h"
#include "cli/cmdline.h"
#include "cli/partx.h"
#include "common/args.h"
#include "common/dmctl.h"
#include "common/le.h"
#include "common/log.h"

#define MIB (1ull << 20)
#define MAX_PARTS 256

enum { P_DELIM, P_NAME, P_READONLY, P_NR, P_VERBOSE, P_RUN_DIR, P_HELP, P_COUNT };

static const struct cli_opt opts[P_COUNT] = {
	[P_DELIM] = { "delimiter", "p", "DELIM", "between the name and the number (kpartx's -p)" },
	[P_NAME] = { "name", NULL, "BASE", "the devices are BASE DELIM N (default: the disk's name)" },
	[P_READONLY] = { "read-only", "r", NULL, "map the partitions read-only" },
	[P_NR] = { "nr", "n", "M[:N]", "only partitions M to N (partx's --nr)" },
	[P_VERBOSE] = { "verbose", "v", NULL, "name each device mapped or removed" },
	[P_RUN_DIR] = { "run-dir", NULL, "DIR", "the daemon's run directory" },
	[P_HELP] = { "help", "h", NULL, "show help" },
};

struct part {
	unsigned nr;
	uint64_t start, size; /* sectors */
	bool extended;
	char name[128], uuid[64], type[64];
};

struct px {
	const struct cli_args *a;
	struct cli_globals g;
	struct dmctl d;
	struct blockdev disk;
	struct part p[MAX_PARTS];
	unsigned n;
	char pttype[32];
	unsigned lo, hi;
};

static int v_add(void *ctx, int argc, char **argv);
static int v_delete(void *ctx, int argc, char **argv);
static int v_show(void *ctx, int argc, char **argv);
static int v_list(void *ctx, int argc, char **argv);

#define B(o) CLI_BIT(o)
#define NAMING (B(P_DELIM) | B(P_NAME) | B(P_NR))

static const struct cli_verb verbs[] = {
	{ "add", "DEVICE", 1, 1, NAMING | B(P_READONLY), "Map each partition of DEVICE (partx -a, kpartx -a).", v_add },
	{ "delete", "DEVICE", 1, 1, NAMING, "Remove the partition devices of DEVICE (partx -d, kpartx -d).",
	  v_delete },
	{ "show", "DEVICE", 1, 1, B(P_NR), "List the partitions of DEVICE as partx --show does.", v_show },
	{ "list", "DEVICE", 1, 1, NAMING, "The devices add would make and their tables (kpartx -l).", v_list },
};

static const struct cli_spec spec = {
	.prog = "ulvm partx",
	.synopsis = "ulvm partx --add|--delete|--show|--list [OPTION]... DEVICE\n"
		    "ulvm kpartx -a|-d|-l [OPTION]... DEVICE\n\n"
		    "A disk's partitions (read by libblkid) as linear devices of ulvmd, named as kpartx names\n"
		    "them.  DEVICE is a file, a block device, VG/LV, /dev/mapper/NAME or an NBD URI.\n",
	.opts = opts,
	.nopts = P_COUNT,
	.global_opts = B(P_VERBOSE) | B(P_RUN_DIR) | B(P_HELP),
	.help_opt = P_HELP,
	.verbs = verbs,
	.nverbs = sizeof(verbs) / sizeof(verbs[0]),
};

#define fail(code, ...) cli_fail("ulvm partx", code, __VA_ARGS__)

static bool set(const struct px *x, int o)
{
	return x->a->set & CLI_BIT(o);
}

/* One libblkid pass over the disk (or its copy). */
static int probe(struct px *x)
{
	blkid_probe pr;
	blkid_partlist ls;
	blkid_parttable tab;
	int fd, n;

	x->n = 0;
	x->pttype[0] = 0;
	if ((fd = open(x->disk.file, O_RDONLY | O_CLOEXEC)) < 0)
		return fail(1, "%s: %s", x->disk.spec, strerror(errno));
	if (!(pr = blkid_new_probe()) || blkid_probe_set_device(pr, fd, 0, (blkid_loff_t)x->disk.size)) {
		if (pr)
			blkid_free_probe(pr);
		close(fd);
		return fail(1, "%s: libblkid cannot probe it", x->disk.spec);
	}
	blkid_probe_enable_superblocks(pr, 0);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
	ls = blkid_probe_get_partitions(pr);
	n = ls ? blkid_partlist_numof_partitions(ls) : 0;
	if (ls && (tab = blkid_partlist_get_table(ls)))
		snprintf(x->pttype, sizeof(x->pttype), "%s", blkid_parttable_get_type(tab));
	for (int i = 0; i < n && x->n < MAX_PARTS; i++) {
		blkid_partition p = blkid_partlist_get_partition(ls, i);
		struct part *q = &x->p[x->n++];
		const char *s;

		memset(q, 0, sizeof(*q));
		q->nr = (unsigned)blkid_partition_get_partno(p);
		q->start = (uint64_t)blkid_partition_get_start(p);
		q->size = (uint64_t)blkid_partition_get_size(p);
		q->extended = blkid_partition_is_extended(p);
		if ((s = blkid_partition_get_name(p)))
			snprintf(q->name, sizeof(q->name), "%s", s);
		if ((s = blkid_partition_get_uuid(p)))
			snprintf(q->uuid, sizeof(q->uuid), "%s", s);
		if ((s = blkid_partition_get_type_string(p)))
			snprintf(q->type, sizeof(q->type), "%s", s);
		else
			snprintf(q->type, sizeof(q->type), "0x%x", (unsigned)blkid_partition_get_type(p));
	}
	blkid_free_probe(pr);
	close(fd);
	return 0;
}

/* Through a copy: the EBRs of the extended partition at sector @ext, each
 * found where the one before points (its second entry: a link, its start
 * relative to @ext), copied so that libblkid reads the whole chain.  Only
 * the links are decoded here; libblkid reads the partitions. */
static int fill_ebr_chain(struct px *x, uint64_t ext, struct err *e)
{
	uint64_t at = ext;
	int r;

	for (unsigned k = 0; k < MAX_PARTS && at < x->disk.size / 512; k++) {
		uint8_t ebr[512];
		const uint8_t *link = ebr + 446 + 16;
		int fd;

		if ((r = blockdev_fill_range(&x->disk, at * 512, sizeof(ebr), e)))
			return r;
		if ((fd = open(x->disk.file, O_RDONLY | O_CLOEXEC)) < 0)
			return err_set(e, -errno, "%s: %s", x->disk.file, strerror(errno));
		r = pread(fd, ebr, sizeof(ebr), (off_t)(at * 512)) == (ssize_t)sizeof(ebr) ? 0 : -EIO;
		close(fd);
		if (r || ebr[510] != 0x55 || ebr[511] != 0xaa)
			return 0; /* no EBR there: the chain ends (libblkid judges the rest) */
		if ((link[4] != 0x05 && link[4] != 0x0f && link[4] != 0x85) || !le32_get(link + 8))
			return 0;
		at = ext + le32_get(link + 8);
	}
	return 0;
}

/* Read the table: in place, or through a copy holding what libblkid reads
 * (see the top of this file). */
static int read_table(struct px *x, const char *spec)
{
	struct err e = { { 0 } };
	int r;

	x->d.run_dir = x->g.run_dir;
	if ((r = blockdev_open(&x->disk, spec, &x->d, false, &e)))
		return fail(1, "%s", e.msg);
	if (x->disk.io && ((r = blockdev_fill(&x->disk, MIB, &e)) ||
			   (x->disk.size > MIB &&
			    (r = blockdev_fill_range(&x->disk, x->disk.size - MIB, MIB, &e)))))
		return fail(1, "%s", e.msg);
	if ((r = probe(x)))
		return r;
	if (x->disk.io && !strcmp(x->pttype, "dos")) {
		for (unsigned i = 0, n = x->n; i < n && !r; i++)
			if (x->p[i].extended)
				r = fill_ebr_chain(x, x->p[i].start, &e);
		if (r)
			return fail(1, "%s", e.msg);
		if ((r = probe(x)))
			return r;
	}
	if (!x->pttype[0])
		return fail(1, "%s: no partition table found", spec);
	for (unsigned i = 0; i < x->n; i++)
		if (!x->p[i].size || x->p[i].start + x->p[i].size > x->disk.size / 512)
			return fail(1,
				    "%s: partition %u (sectors %" PRIu64 "-%" PRIu64 ") runs past the end of the disk "
				    "(%" PRIu64 " sectors): the table is damaged, nothing mapped",
				    spec, x->p[i].nr, x->p[i].start, x->p[i].start + x->p[i].size - 1,
				    x->disk.size / 512);
	return 0;
}

static int range_opt(struct px *x)
{
	const char *v = x->a->val[P_NR];
	char *end;

	x->lo = 1;
	x->hi = ~0u;
	if (!set(x, P_NR))
		return 0;
	x->lo = x->hi = (unsigned)strtoul(v, &end, 10);
	if (*end == ':') {
		const char *h = end + 1;

		x->hi = *h ? (unsigned)strtoul(h, &end, 10) : ~0u;
	}
	if (*end || !x->lo || x->hi < x->lo)
		return fail(1, "invalid --nr %s (M or M:N, from 1)", v);
	return 0;
}

static bool wanted(const struct px *x, const struct part *p)
{
	return !p->extended && p->nr >= x->lo && p->nr <= x->hi;
}

static void dm_name(const struct px *x, unsigned nr, char *out, size_t size)
{
	const char *base = set(x, P_NAME) ? x->a->val[P_NAME] : x->disk.name, *delim;
	size_t bl = strlen(base);

	if (set(x, P_DELIM))
		delim = x->a->val[P_DELIM];
	else if (!x->disk.io && !strncmp(x->disk.table, "/dev/", 5))
		delim = bl && base[bl - 1] >= '0' && base[bl - 1] <= '9' ? "p" : "";
	else
		delim = "-p";
	snprintf(out, size, "%s%s%u", base, delim, nr);
}

/* kpartx's uuid, part<N>-<the disk>; the disk as the table names it, cut
 * to dm's 128 characters (delete compares the same cut). */
static void part_uuid(const struct px *x, unsigned nr, char *out)
{
	int n = snprintf(out, 129, "part%u-", nr);
	size_t room = (size_t)(128 - n), len = strlen(x->disk.table);

	memcpy(out + n, x->disk.table, len < room ? len : room);
	out[n + (len < room ? len : room)] = 0;
}

static void table_of(const struct px *x, const struct part *p, char *out, size_t size)
{
	snprintf(out, size, "0 %" PRIu64 " linear %s %" PRIu64, p->size, x->disk.table, p->start);
}

static int v_add(void *ctx, int argc, char **argv)
{
	struct px *x = ctx;
	char name[256], uuid[129], table[PATH_MAX + 200];
	struct err e = { { 0 } };
	int r, made = 0;

	(void)argc;
	if ((r = range_opt(x)) || (r = read_table(x, argv[0])))
		return r;
	blockdev_disconnect(&x->disk); /* ulvmd's own connection comes next */
	if (!dmctl_up(&x->d))
		return fail(1, "%s", x->d.why.msg);
	for (unsigned i = 0; i < x->n; i++) {
		struct part *p = &x->p[i];

		if (!wanted(x, p))
			continue;
		dm_name(x, p->nr, name, sizeof(name));
		part_uuid(x, p->nr, uuid);
		table_of(x, p, table, sizeof(table));
		if ((r = dmctl_create(&x->d, &(struct dmctl_dev){ .name = name, .uuid = uuid, .table = table,
								  .export = name, .readonly = set(x, P_READONLY) },
				      &e)))
			return fail(1, "cannot map partition %u as %s: %s", p->nr, name, e.msg);
		made++;
		if (x->g.verbose)
			printf("add map %s (%s): %s\n", name, p->type, table);
	}
	if (!made)
		return fail(1, "%s: no partitions to map", argv[0]);
	return 0;
}

/* The devices this disk's partitions were mapped as: by uuid, so a table
 * that cannot be read any more still lets its devices go. */
static int v_delete(void *ctx, int argc, char **argv)
{
	struct px *x = ctx;
	struct json_object *res = NULL, *v;
	struct err e = { { 0 } };
	char want[PATH_MAX + 80], mine[129];
	int r;
	size_t n;

	(void)argc;
	if ((r = range_opt(x)))
		return r;
	x->d.run_dir = x->g.run_dir;
	if ((r = blockdev_name(&x->disk, argv[0], &x->d, &e))) /* its devices go by uuid: no need to read it */
		return fail(1, "%s", e.msg);
	if (!dmctl_up(&x->d))
		return fail(1, "%s", x->d.why.msg);
	if (dmctl_call(&x->d, "info", json_object_new_object(), &res, &e))
		return fail(1, "%s", e.msg);
	n = json_object_is_type(res, json_type_array) ? json_object_array_length(res) : 0;
	for (size_t i = n; i-- > 0;) {
		struct json_object *o = json_object_array_get_idx(res, i);
		const char *name = json_object_object_get_ex(o, "name", &v) ? json_object_get_string(v) : "";
		const char *uuid = json_object_object_get_ex(o, "uuid", &v) ? json_object_get_string(v) : "";
		unsigned nr;

		if (sscanf(uuid, "part%u-", &nr) != 1 || nr < x->lo || nr > x->hi)
			continue;
		part_uuid(x, nr, mine);
		if (strcmp(uuid, mine))
			continue;
		snprintf(want, sizeof(want), "%s", name);
		if ((r = dmctl_remove(&x->d, want, &e))) {
			json_object_put(res);
			return fail(1, "cannot remove %s: %s", want, e.msg);
		}
		if (x->g.verbose)
			printf("del devmap : %s\n", want);
	}
	json_object_put(res);
	return 0;
}

static void human(uint64_t bytes, char *out, size_t size)
{
	static const char units[] = "BKMGTPE";
	double v = (double)bytes;
	unsigned u = 0;

	while (v >= 1024 && u < sizeof(units) - 2) {
		v /= 1024;
		u++;
	}
	if (!u || v >= 10 || v == (double)(uint64_t)v)
		snprintf(out, size, "%.0f%c", v, units[u]);
	else
		snprintf(out, size, "%.1f%c", v, units[u]);
}

static int v_show(void *ctx, int argc, char **argv)
{
	struct px *x = ctx;
	int r;

	(void)argc;
	if ((r = range_opt(x)) || (r = read_table(x, argv[0])))
		return r;
	printf("%3s %10s %10s %10s %5s %-16s %s\n", "NR", "START", "END", "SECTORS", "SIZE", "NAME", "UUID");
	for (unsigned i = 0; i < x->n; i++) {
		const struct part *p = &x->p[i];
		char sz[16];

		if (p->nr < x->lo || p->nr > x->hi)
			continue;
		human(p->size * 512, sz, sizeof(sz));
		printf("%3u %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %5s %-16s %s\n", p->nr, p->start,
		       p->start + p->size - 1, p->size, sz, p->name, p->uuid);
	}
	return 0;
}

static int v_list(void *ctx, int argc, char **argv)
{
	struct px *x = ctx;
	char name[256], table[PATH_MAX + 200];
	int r;

	(void)argc;
	if ((r = range_opt(x)) || (r = read_table(x, argv[0])))
		return r;
	for (unsigned i = 0; i < x->n; i++) {
		if (!wanted(x, &x->p[i]))
			continue;
		dm_name(x, x->p[i].nr, name, sizeof(name));
		table_of(x, &x->p[i], table, sizeof(table));
		printf("%s : %s\n", name, table);
	}
	return 0;
}

/* partx's and kpartx's action flags, as the verbs above. */
static const char *verb_of(const char *arg, bool kpartx)
{
	static const struct {
		const char *flag, *verb;
		bool kpartx;
	} map[] = {
		{ "-a", "add", false }, { "--add", "add", false }, { "-d", "delete", false },
		{ "--delete", "delete", false }, { "-s", "show", false }, { "--show", "show", false },
		{ "--list", "list", false }, { "-a", "add", true }, { "-d", "delete", true }, { "-l", "list", true },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].kpartx == kpartx && !strcmp(arg, map[i].flag))
			return map[i].verb;
	return NULL;
}

int partx_main(const struct cli_globals *g, int argc, char **argv)
{
	struct px *x;
	struct cli_args a;
	bool kpartx = !strcmp(argv[0], "kpartx");
	char **args;
	int ret, n = 1, verb_at = -1;

	if (g->complete)
		return cli_complete(&spec, argc > 1 ? argv[1] : NULL, stdout);
	if (!(args = calloc((size_t)argc + 2, sizeof(*args))) || !(x = calloc(1, sizeof(*x)))) {
		free(args);
		return 3;
	}
	args[0] = argv[0];
	for (int i = 1; i < argc; i++) {
		const char *v = verb_of(argv[i], kpartx);

		if (v && verb_at < 0) {
			verb_at = i;
			args[n++] = (char *)v;
		}
	}
	for (int i = 1; i < argc; i++)
		if (i != verb_at)
			args[n++] = argv[i];
	x->g = *g;
	ret = cli_parse(&spec, n, args, &a);
	if (ret) {
		cli_args_free(&a);
		free(args);
		free(x);
		return ret == CLI_HELP_SHOWN ? 0 : 1;
	}
	x->a = &a;
	x->g.verbose += (int)a.count[P_VERBOSE];
	if (a.val[P_RUN_DIR])
		x->g.run_dir = a.val[P_RUN_DIR];
	ret = a.verb->fn(x, a.argc, a.argv);
	blockdev_close(&x->disk);
	dmctl_close(&x->d);
	cli_args_free(&a);
	free(args);
	free(x);
	fflush(stdout);
	return ret;
}
