/* ulvm: the command line.  Global options, then a command; each command
 * parses the rest itself.  Only `dmsetup` so far. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/client.h"
#include "cli/cryptsetup.h"
#include "cli/dmsetup.h"
#include "cli/lvm_cmds.h"
#include "cli/partx.h"
#include "cli/thin_cmd.h"
#include "cli/vinum.h"
#include "common/log.h"

static const struct command {
	const char *name;
	const char *help;
	int (*main)(const struct cli_globals *g, int argc, char **argv);
} commands[] = {
	{ "dmsetup", "device-mapper verbs, carried out by ulvmd (ulvm dmsetup --help)",
	  dmsetup_main },
	{ "cryptsetup", "LUKS volumes: luksFormat, open, close, status... (cryptsetup's; ulvm cryptsetup --help)",
	  cryptsetup_main },
	{ "partx", "a disk's partitions as devices: --add, --delete, --show (partx's; ulvm partx --help)", partx_main },
	{ "kpartx", "the same with kpartx's flags: -a, -d, -l (ulvm kpartx --help)", partx_main },
	{ "pvcreate", "initialise PVs (lvm2's; ulvm pvcreate --help)", lvm_main },
	{ "pvremove", "wipe PV labels (lvm2's; ulvm pvremove --help)", lvm_main },
	{ "pvresize", "resize PVs (lvm2's; ulvm pvresize --help)", lvm_main },
	{ "pvmove", "move extents off a PV while its LVs are in use (lvm2's; ulvm pvmove --help)", lvm_main },
	{ "pvchange", "change PVs (-x, -u, --metadataignore, tags) (lvm2's; ulvm pvchange --help)", lvm_main },
	{ "pvs", "report PVs (lvm2's; ulvm pvs --help)", lvm_main },
	{ "pvscan", "list PVs with their VGs and sizes (lvm2's; ulvm pvscan --help)", lvm_main },
	{ "pvdisplay", "show PVs (lvm2's; ulvm pvdisplay --help)", lvm_main },
	{ "vgcreate", "create a VG (lvm2's; ulvm vgcreate --help)", lvm_main },
	{ "vgextend", "add PVs to a VG (lvm2's; ulvm vgextend --help)", lvm_main },
	{ "vgreduce", "remove PVs from a VG (lvm2's; ulvm vgreduce --help)", lvm_main },
	{ "vgremove", "remove VGs (lvm2's; ulvm vgremove --help)", lvm_main },
	{ "vgrename", "rename a VG (lvm2's; ulvm vgrename --help)", lvm_main },
	{ "vgsplit", "move PVs and their LVs to another VG (lvm2's; ulvm vgsplit --help)", lvm_main },
	{ "lvmdevices", "the devices file: list, --adddev, --addpvid, --deldev, --check, --update (lvm2's)", lvm_main },
	{ "vgimportdevices", "add a VG's PVs to the devices file (lvm2's; ulvm vgimportdevices --help)", lvm_main },
	{ "lvm", "lvm2's front end: lvm COMMAND ... (lvm lvs, lvm vgchange), lvm version, segtypes, formats",
	  lvm_shell_main },
	{ "lvmconfig", "the configuration: as set, defaults, full (lvm2's; ulvm lvmconfig --help)", lvm_main },
	{ "dumpconfig", "lvmconfig (lvm2's other name)", lvm_main },
	{ "config", "lvmconfig (lvm2's other name)", lvm_main },
	{ "pvck", "check PV labels and metadata areas, dump them (lvm2's; ulvm pvck --help)", lvm_main },
	{ "vgmerge", "merge VGs into one (lvm2's; ulvm vgmerge --help)", lvm_main },
	{ "vgimportclone", "new uuids and name for a copied VG (lvm2's; ulvm vgimportclone --help)", lvm_main },
	{ "vgchange", "activate VGs (-a), set their system ID (lvm2's; ulvm vgchange --help)", lvm_main },
	{ "vgexport", "export VGs for another host (lvm2's; ulvm vgexport --help)", lvm_main },
	{ "vgimport", "import exported VGs (lvm2's; ulvm vgimport --help)", lvm_main },
	{ "vgs", "report VGs (lvm2's; ulvm vgs --help)", lvm_main },
	{ "vgdisplay", "show VGs (lvm2's; ulvm vgdisplay --help)", lvm_main },
	{ "vgck", "check VG metadata (lvm2's; ulvm vgck --help)", lvm_main },
	{ "vgscan", "list the VGs found (lvm2's; ulvm vgscan --help)", lvm_main },
	{ "vgcfgbackup", "back up VG metadata (lvm2's; ulvm vgcfgbackup --help)", lvm_main },
	{ "vgcfgrestore", "restore VG metadata (lvm2's; ulvm vgcfgrestore --help)", lvm_main },
	{ "lvcreate", "create an LV (lvm2's; ulvm lvcreate --help)", lvm_main },
	{ "lvextend", "grow an LV (lvm2's; ulvm lvextend --help)", lvm_main },
	{ "lvreduce", "shrink an LV (lvm2's; ulvm lvreduce --help)", lvm_main },
	{ "lvresize", "resize an LV (lvm2's; ulvm lvresize --help)", lvm_main },
	{ "lvrename", "rename an LV (lvm2's; ulvm lvrename --help)", lvm_main },
	{ "lvremove", "remove LVs (lvm2's; ulvm lvremove --help)", lvm_main },
	{ "lvchange", "activate (-a), refresh LVs, set their permission (-p), raid --syncaction (lvm2's; ulvm lvchange --help)", lvm_main },
	{ "lvconvert", "change an LV's layout: linear <-> raid1, raid1 images, --repair (lvm2's; ulvm lvconvert --help)", lvm_main },
	{ "lvs", "report LVs (lvm2's; ulvm lvs --help)", lvm_main },
	{ "lvdisplay", "show LVs (lvm2's; ulvm lvdisplay --help)", lvm_main },
	{ "lvscan", "list LVs, active or not (lvm2's; ulvm lvscan --help)", lvm_main },
	{ "vinum", "vinum(8)'s drives, volumes, plexes and subdisks: create, list, start, stop... (ulvm vinum --help)",
	  vinum_main },
	{ "thin", "thin pool tools: delta of two snapshots (ulvm thin --help)", thin_main },
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fprintf(out, "Usage: ulvm [--run-dir DIR] [-v] COMMAND [ARG]...\n\n"
		     "Options:\n"
		     "  --run-dir DIR   the daemon's run directory (default: $ULVM_RUN_DIR,\n"
		     "                  /run/ulvm for root, else $XDG_RUNTIME_DIR/ulvm)\n"
		     "  -v, --verbose   more messages\n"
		     "  -h, --help      this help\n"
		     "  -V, --version   print the version\n\n"
		     "Commands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(out, "  %-13s %s\n", commands[i].name, commands[i].help);
}

/* Options of the LVM commands that docs/LVM.md lets come before the
 * command too ("ulvm --devices a,b lvs"): moved after the command word. */
static bool lvm_option_first(const char *a, bool *takes_arg)
{
	static const char *const opts[] = { "--devices", "--config-dir" };

	for (size_t k = 0; k < sizeof(opts) / sizeof(opts[0]); k++) {
		size_t n = strlen(opts[k]);

		if (!strncmp(a, opts[k], n) && (!a[n] || a[n] == '=')) {
			*takes_arg = !a[n];
			return true;
		}
	}
	return false;
}

int main(int argc, char **argv)
{
	struct cli_globals g = { 0 };
	char *moved[16];
	int i, nmoved = 0;
	bool takes;

	log_set_prog("ulvm");
	log_set_level(LOG_WARN);
	if (argc > 1 && !strcmp(argv[1], "__complete")) { /* bash completion (dist/ulvm.bash) */
		g.complete = true;
		if (argc == 2) {
			for (size_t c = 0; c < NCOMMANDS; c++)
				printf("%s\n", commands[c].name);
			return 0;
		}
		for (size_t c = 0; c < NCOMMANDS; c++)
			if (!strcmp(argv[2], commands[c].name))
				return commands[c].main(&g, argc - 2, argv + 2);
		return 0;
	}
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--run-dir") && i + 1 < argc) {
			g.run_dir = argv[++i];
		} else if (!strncmp(a, "--run-dir=", 10)) {
			g.run_dir = a + 10;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			g.verbose++;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			printf("ulvm %s\n", ULVM_VERSION);
			return 0;
		} else if (!strcmp(a, "--")) {
			i++;
			break;
		} else if (nmoved + 2 <= (int)(sizeof(moved) / sizeof(moved[0])) && lvm_option_first(a, &takes)) {
			moved[nmoved++] = argv[i];
			if (takes && i + 1 < argc)
				moved[nmoved++] = argv[++i];
		} else {
			fprintf(stderr, "ulvm: unknown option '%s'\n", a);
			usage(stderr);
			return 2;
		}
	}
	if (i == argc) {
		usage(stderr);
		return 2;
	}
	for (size_t c = 0; c < NCOMMANDS; c++) {
		if (!strcmp(argv[i], commands[c].name)) {
			int n = argc - i, r;
			char **av = argv + i;

			if (nmoved) { /* COMMAND, the options given before it, the rest */
				av = calloc((size_t)(n + nmoved + 1), sizeof(*av));
				if (!av) {
					fprintf(stderr, "ulvm: out of memory\n");
					return 5;
				}
				av[0] = argv[i];
				memcpy(av + 1, moved, (size_t)nmoved * sizeof(*av));
				memcpy(av + 1 + nmoved, argv + i + 1, (size_t)(n - 1) * sizeof(*av));
				n += nmoved;
			}
			r = commands[c].main(&g, n, av);
			if (av != argv + i)
				free(av);
			return r;
		}
	}
	fprintf(stderr, "ulvm: unknown command '%s'\n", argv[i]);
	usage(stderr);
	return 2;
}
