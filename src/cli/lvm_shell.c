/* `ulvm lvm COMMAND ...`: lvm2's `lvm` front end, for scripts that call
 * `lvm lvs`, `lvm vgchange` and the like; and its own verbs `version`,
 * `segtypes` (the types ulvm can activate, lvm2's listing) and `formats`.
 * lvm2's interactive shell (`lvm` alone) is not provided. */
#include <stdio.h>
#include <string.h>

#include "cli/lvm_cmds.h"
#include "lvm/segtype.h"

static void put_segtypes(void)
{
	for (unsigned i = 0; segtypes[i]; i++) {
		const struct segtype *st = segtypes[i];

		if (!st->plan) /* read and kept, not activated */
			continue;
		if (st->alias)
			printf("  %s\n", st->alias);
		if (!st->names)
			printf("  %s\n", st->name);
		for (const char *const *n = st->names; n && *n; n++)
			printf("  %s\n", *n);
	}
}

int lvm_shell_main(const struct cli_globals *g, int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "ulvm lvm: give a command (lvm lvs, lvm vgchange -ay, ...); lvm2's interactive shell "
				"is not provided\n");
		return LVM_EINVALID;
	}
	if (!strcmp(argv[1], "version")) {
		printf("  ulvm version:    %s\n  LVM2 format:     text metadata, lvm2 2.03's\n"
		       "  Driver:          ulvmd (device-mapper in userspace)\n",
		       ULVM_VERSION);
		return 0;
	}
	if (!strcmp(argv[1], "segtypes")) {
		put_segtypes();
		return 0;
	}
	if (!strcmp(argv[1], "formats")) {
		printf("  lvm2\n");
		return 0;
	}
	return lvm_main(g, argc - 1, argv + 1);
}
