/* pvck: lvm2's check of a PV's label and metadata areas, and its dumps
 * (--dump headers|metadata|metadata_all|metadata_search, -f FILE,
 * --settings) for finding and saving older metadata to restore with
 * vgcfgrestore -f.  Read-only: nothing is written to the device.  The
 * work is lvm/pvck.c's; this opens the device (a file, a block device,
 * ulvmd's /dev/mapper/NAME, an NBD URI) and picks the mode. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/lvm_cmds.h"
#include "io/dev.h"
#include "lvm/pvck.h"

static int dev_reader(void *ctx, void *buf, size_t len, uint64_t off)
{
	return dev_read(ctx, buf, len, off);
}

/* lvm2 creates the file with "wx": an existing one is never overwritten. */
static FILE *create(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (fd >= 0 && !f)
		close(fd);
	if (!f)
		lvm_fail("Failed to create file %s", path);
	return f;
}

/* One device: its mode of pvck, 0 or LVM_FAILED. */
static int pvck_one(struct lvm_cmd *c, const char *path, const struct pvck_settings *set, uint64_t labelsector)
{
	struct err e = { { 0 } };
	struct dev *d;
	const char *dump = opt_set(c, R_DUMP) ? opt_val(c, R_DUMP) : NULL;
	bool verbose = opt_set(c, c->common + G_VERBOSE), ok;
	FILE *tofile = NULL;

	int r = lvm_open_dev(&c->env, path, DEV_OPEN_RDONLY, &d, &e);

	if (r)
		return r == -ENOENT && dump ? lvm_fail("Cannot access %s.", path)
					    : lvm_fail("Cannot use %s: %s.", path, e.msg);
	struct pvck_io io = { .read = dev_reader, .ctx = d, .dev_size = d->size, .out = stdout, .err = stderr };
	if (dump && strcmp(dump, "headers") && opt_set(c, R_FILE) && !(tofile = create(opt_val(c, R_FILE)))) {
		dev_put(d);
		return LVM_FAILED;
	}
	if (!dump)
		ok = pvck_found(&io, set, labelsector, path);
	else if (!strcmp(dump, "headers"))
		ok = pvck_dump_headers(&io, set, labelsector);
	else if (!strcmp(dump, "metadata"))
		ok = pvck_dump_metadata(&io, set, labelsector, PVCK_TEXT_CURRENT, tofile, verbose);
	else if (!strcmp(dump, "metadata_all"))
		ok = pvck_dump_metadata(&io, set, labelsector, PVCK_TEXT_ALL, tofile, verbose);
	else
		ok = pvck_dump_search(&io, set, labelsector, tofile, verbose);
	if (tofile && fclose(tofile)) {
		lvm_fail("Failed to write file %s: %s", opt_val(c, R_FILE), strerror(errno));
		ok = false;
	}
	dev_put(d);
	return ok ? 0 : LVM_FAILED;
}

int lvm_pvck(void *ctx, int argc, char **argv)
{
	struct lvm_cmd *c = ctx;
	struct err e = { { 0 } };
	struct pvck_settings set = { 0 };
	struct pvck_io io = { .out = stdout, .err = stderr };
	const char *dump = opt_set(c, R_DUMP) ? opt_val(c, R_DUMP) : NULL;
	uint64_t labelsector = 1;
	int r = 0;

	if (dump && strcmp(dump, "headers") && strcmp(dump, "metadata") && strcmp(dump, "metadata_all") &&
	    strcmp(dump, "metadata_search"))
	{
		lvm_fail("Invalid argument for --dump: %s", dump);
		lvm_fail("Error during parsing of command line.");
		return LVM_EINVALID;
	}
	if (opt_set(c, R_LABELSECTOR)) {
		char *end;

		errno = 0;
		labelsector = strtoull(opt_val(c, R_LABELSECTOR), &end, 10);
		if (errno || *end || end == opt_val(c, R_LABELSECTOR) || labelsector > 3) {
			lvm_fail("Invalid argument for --labelsector: %s (0 to 3)", opt_val(c, R_LABELSECTOR));
			return LVM_EINVALID;
		}
	}
	if (opt_set(c, R_SETTINGS) && pvck_settings_parse(&io, opt_val(c, R_SETTINGS), &set))
		return LVM_FAILED;
	/* the devices named, alone: pvck looks at any device, a PV or not */
	if (lvm_env_init(&c->env, opt_val(c, c->common + G_CONFDIR), "", NULL, c->cmdline, false, &e))
		return lvm_fail("%s", e.msg);
	c->env.run_dir = c->g->run_dir;
	/* a dump looks at one device, as lvm2's */
	for (int i = 0; i < (dump ? 1 : argc); i++)
		if (pvck_one(c, argv[i], &set, labelsector))
			r = LVM_FAILED;
	return r;
}
