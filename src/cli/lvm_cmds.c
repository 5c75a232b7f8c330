/* The lvm2 verbs: their options and help in two declarative tables (see
 * lvm_cmds.h for why two), and the common setup. */
#include "cli/lvm_cmds.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/args.h"
#include "lvm/alloc.h"

#define BIT(o) CLI_BIT(o)
#define CBIT(o) CLI_BIT(C_COMMON + (o))
#define RBIT(o) CLI_BIT(R_COMMON + (o))
#define COMMON_OPTS(base)                                                                      \
	[base + G_DEVICES] = { "devices", NULL, "PATH,...", "use only these devices (no devices file)" }, \
	[base + G_CONFDIR] = { "config-dir", NULL, "DIR", "the config dir (devices file, ulvm.conf, backups)" }, \
	[base + G_CONFIG] = { "config", NULL, "SETTINGS", "ulvm.conf settings for this command only, lvm.conf " \
			      "syntax or section/key=value" },                                              \
	[base + G_RUNDIR] = { "run-dir", NULL, "DIR", "the run directory of ulvmd" },              \
	[base + G_VERBOSE] = { "verbose", "v", NULL, "more messages" },                             \
	[base + G_QUIET] = { "quiet", "q", NULL, "no -v messages; -qq: change commands print nothing on " \
			     "standard output and every question is answered no (lvm2's)" },            \
	[base + G_HELP] = { "help", "h", NULL, "show help and exit" }

static const struct cli_opt change_opts[C_COMMON + G_COUNT] = {
	[C_SIZE] = { "size", "L", "SIZE", "size, default unit MiB (k m g t p e, s = sectors); +/- to grow or shrink" },
	[C_EXTENTS] = { "extents", "l", "N[%FREE|%VG|%PVS]", "size in extents, or a percentage; +/- to grow or shrink" },
	[C_NAME] = { "name", "n", "NAME", "the LV's name" },
	[C_STRIPES] = { "stripes", "i", "N", "number of stripes" },
	[C_STRIPESIZE] = { "stripesize", "I", "SIZE", "stripe size (KiB by default), a power of 2" },
	[C_TYPE] = { "type", NULL, "TYPE", "segment type: linear, striped, raid*, mirror, thin-pool, thin, snapshot, "
		     "cache-pool; lvconvert: raid1, cache, writecache" },
	[C_ACTIVATE] = { "activate", "a", "y|n", "activate or deactivate" },
	[C_YES] = { "yes", "y", NULL, "answer yes to every question" },
	[C_FORCE] = { "force", "f", NULL, "override checks" },
	[C_ALLOC] = { "alloc", NULL, "POLICY", "allocation policy: normal, contiguous, anywhere" },
	[C_PESIZE] = { "physicalextentsize", "s", "SIZE", "extent size (MiB by default; 4 MiB)" },
	[C_MDCOPIES] = { "metadatacopies", NULL, "N", "pv commands: metadata areas on each PV (0, 1 or 2); "
			 "vg commands: as --vgmetadatacopies" },
	[C_PVMDCOPIES] = { "pvmetadatacopies", NULL, "0|1|2", "metadata areas on each PV" },
	[C_MDSIZE] = { "metadatasize", NULL, "SIZE", "size of each metadata area" },
	[C_DATAALIGN] = { "dataalignment", NULL, "SIZE", "align the first PE to this (1 MiB)" },
	[C_UUID] = { "uuid", "u", "UUID", "the new PV's uuid" },
	[C_ZERO] = { "zero", "Z", "y|n", "zero: a new LV's first 4 KiB (default y), a new thin pool's blocks; "
		     "lvconvert --type cache: wipe the cache pool's metadata (y, asked without -y or -Z)" },
	[C_WIPE] = { "wipesignatures", "W", "y|n", "wipe known signatures in a new LV (default: as -Z)" },
	[C_ALLOCATABLE] = { "allocatable", "x", "y|n", "whether extents may be allocated on the PV" },
	[C_REMOVEMISSING] = { "removemissing", NULL, NULL, "remove the missing PVs (and, with --force, their LVs)" },
	[C_SETPVSIZE] = { "setphysicalvolumesize", NULL, "SIZE", "the PV size to use" },
	[C_ALL] = { "all", "aA", NULL, "every PV (pvchange), every PV without LVs (vgreduce)" },
	[C_THIN] = { "thin", "T", NULL, "thin: -L makes pool VG/POOL, -V a thin LV in it" },
	[C_VIRTUALSIZE] = { "virtualsize", "V", "SIZE", "a thin LV's size (MiB by default)" },
	[C_SNAPSHOT] = { "snapshot", "s", NULL, "a thin snapshot of VG/LV (with --thinpool: LV is an external origin)" },
	[C_THINPOOL] = { "thinpool", NULL, "VG/POOL", "the thin pool of the new thin LV" },
	[C_CHUNKSIZE] = { "chunksize", "c", "SIZE", "thin pool or cache chunk (KiB by default; 64 KiB; a cache's a "
			  "multiple of 32 KiB)" },
	[C_POOLMDSIZE] = { "poolmetadatasize", NULL, "SIZE", "thin or cache pool metadata size (MiB; +SIZE to grow a "
			   "thin pool's); a cachevol's metadata part" },
	[C_DISCARDS] = { "discards", NULL, "ignore|nopassdown|passdown", "thin pool discards (passdown)" },
	[C_USEPOLICIES] = { "use-policies", NULL, NULL, "what ulvm.conf says for the event: thin pools "
			    "autoextend (activation/thin_pool_autoextend_*), raid LVs repair (raid_fault_policy)" },
	[C_PERMISSION] = { "permission", "p", "r|rw", "make the LV read-only or read-write (an active one at once)" },
	[C_SYSTEMID] = { "systemid", NULL, "ID", "the VG's system ID (the host that owns it; \"\" for none)" },
	[C_SETAUTOACT] = { "setautoactivation", NULL, "y|n", "whether -aay (and ulvmd --autoactivate) activates it" },
	[C_IGNORESKIP] = { "ignoreactivationskip", "K", NULL, "activate LVs flagged to be skipped (lvcreate -ky)" },
	[C_MIRRORS] = { "mirrors", "m", "N", "N more copies: a raid1 LV (lvm2's default mirror type); raid10: 1" },
	[C_REGIONSIZE] = { "regionsize", "R", "SIZE", "raid: the size the write-intent bitmap tracks (default 2m)" },
	[C_NOSYNC] = { "nosync", NULL, NULL, "raid: skip the initial sync (the LV's data is garbage until written)" },
	[C_REPAIR] = { "repair", NULL, NULL, "raid: replace failed images with free extents of other PVs, rebuild them" },
	[C_SYNCACTION] = { "syncaction", NULL, "check|repair", "raid: compare the images (check) or make them equal" },
	[C_REBUILD] = { "rebuild", NULL, "PV", "raid: rebuild the images on PV from the others" },
	[C_WRITEMOSTLY] = { "writemostly", NULL, "PV[:y|n|t]", "raid1: reads avoid the image on PV (y, the default), "
			    "no longer (n), or the other way (t); may be given again" },
	[C_WRITEBEHIND] = { "writebehind", NULL, "N", "raid1: at most N writes outstanding to write-mostly images "
			    "(0: none)" },
	[C_REFRESH] = { "refresh", NULL, NULL, "reload an active LV's tables (raid: legs that came back resync)" },
	[C_SPLITMIRRORS] = { "splitmirrors", NULL, "N", "raid1: split N images off into a new LV (-n NAME), or one "
			     "read-only image with --trackchanges" },
	[C_TRACKCHANGES] = { "trackchanges", NULL, NULL, "raid1 --splitmirrors 1: the raid LV tracks what changes, "
			     "so --merge copies back only that" },
	[C_MAXRECOVERY] = { "raidmaxrecoveryrate", NULL, "RATE", "raid: at most RATE (kB/s per device, k/m/g units; "
			    "0: no limit) for resync and rebuild" },
	[C_MINRECOVERY] = { "raidminrecoveryrate", NULL, "RATE", "raid: at least RATE for resync and rebuild, even "
			    "under client I/O (0: none)" },
	[C_MERGE] = { "merge", NULL, NULL, "raid1: an image split with --trackchanges rejoins its LV (VG/LV_rimage_N); "
		      "a snapshot (VG/SNAP) merges back into its origin (-i: progress every N seconds)" },
	[C_MIRRORLOG] = { "mirrorlog", NULL, "core|disk", "--type mirror: where the mirror keeps which regions are in "
			  "sync (disk: an _mlog LV; core: memory, all copied at each activation)" },
	[C_INTERVAL] = { "interval", "i", "SECONDS", "pvmove, lvconvert --merge: report progress every SECONDS (0: none)" },
	[C_ABORT] = { "abort", NULL, NULL, "pvmove: stop the move; what is checkpointed stays moved" },
	[C_ATOMIC] = { "atomic", NULL, NULL, "pvmove: move all or nothing (the LVs point at the source until the end)" },
	[C_POLL] = { "poll", NULL, "y|n", "-ay: follow a pvmove or a snapshot merge in progress in the background (y, "
		     "the default) or not" },
	[C_ADDTAG] = { "addtag", NULL, "TAG", "add a tag (letters, digits and ._+/=!:&#-; may be given again)" },
	[C_DELTAG] = { "deltag", NULL, "TAG", "remove a tag (may be given again)" },
	[C_SELECT] = { "select", "S", "SELECTION", "act on what matches (lvm2's selection, as lvs -S; -S help)" },
	[C_CACHEPOOL] = { "cachepool", NULL, "VG/POOL", "lvconvert/lvcreate --type cache: the cache pool that caches the LV" },
	[C_CACHEVOL] = { "cachevol", NULL, "VG/LV", "lvconvert --type cache|writecache: the LV that caches it (its "
			 "data is erased)" },
	[C_CACHEMODE] = { "cachemode", NULL, "writethrough|writeback|passthrough", "cache mode (writethrough)" },
	[C_CACHEPOLICY] = { "cachepolicy", NULL, "POLICY", "cache policy (smq; mq, cleaner)" },
	[C_CACHESETTINGS] = { "cachesettings", NULL, "KEY=VALUE", "cache policy or writecache settings (may be given "
			      "again; KEY=default drops one)" },
	[C_CACHEMDFORMAT] = { "cachemetadataformat", NULL, "auto|1|2", "cache metadata format (auto: 2)" },
	[C_SPLITCACHE] = { "splitcache", NULL, NULL, "flush the cache, then detach it; the pool or cachevol stays" },
	[C_UNCACHE] = { "uncache", NULL, NULL, "flush the cache, then detach and remove it" },
	[C_BASEVGNAME] = { "basevgname", "n", "NAME", "vgimportclone: the new VG's name (1, 2... added while taken)" },
	[C_IMPORT] = { "import", "i", NULL, "vgimportclone: import an exported VG too" },
	[C_ACTMODE] = { "activationmode", NULL, "partial|degraded|complete", "-ay of LVs with parts on missing PVs: "
			 "raid ones that can run degraded (the default), any (missing parts fail I/O), or none" },
	[C_PARTIAL] = { "partial", "P", NULL, "the same as --activationmode partial" },
	[C_RESTOREFILE] = { "restorefile", NULL, "FILE", "pvcreate --uuid: the PV's data area as in this VG backup" },
	[C_NORESTOREFILE] = { "norestorefile", NULL, NULL, "pvcreate --uuid without a VG backup" },
	[C_NEWUUID] = { "uuid", "u", NULL, "pvchange, vgchange: a new random uuid for the PV or the VG" },
	[C_RESTOREMISSING] = { "restoremissing", NULL, NULL, "vgextend: use again PVs that came back but are marked "
			       "missing (their extents may hold older data)" },
	[C_ADDDEV] = { "adddev", NULL, "PATH", "lvmdevices: add a device to the devices file" },
	[C_DELDEV] = { "deldev", NULL, "PATH", "lvmdevices: remove a device from the devices file" },
	[C_DELPVID] = { "delpvid", NULL, "PVID", "lvmdevices: remove the entry with this PVID" },
	[C_ADDPVID] = { "addpvid", NULL, "PVID", "lvmdevices: add the device of --devices that has this PVID" },
	[C_POOLMETADATA] = { "poolmetadata", NULL, "VG/LV", "lvconvert --type thin-pool, --swapmetadata: this LV becomes the pool's metadata" },
	[C_SWAPMETADATA] = { "swapmetadata", NULL, NULL, "lvconvert: a thin pool's metadata LV and --poolmetadata LV trade places" },
	[C_CACHEDEVICE] = { "cachedevice", NULL, "PV", "--type cache|writecache: a new cachevol on this PV (may be "
			    "repeated)" },
	[C_CACHESIZE] = { "cachesize", NULL, "SIZE", "with --cachedevice: the new cachevol's size (all of the PVs by "
			  "default)" },
	[C_RESIZEABLE] = { "resizeable", "x", "y|n", "whether PVs may be added to or removed from the VG" },
	[C_MAXLV] = { "logicalvolume", "l", "N", "the VG's MaxLogicalVolume (0: unlimited)" },
	[C_MAXPV] = { "maxphysicalvolumes", "p", "N", "the VG's MaxPhysicalVolumes (0: unlimited)" },
	[C_MAXLVS] = { "maxlogicalvolumes", "l", "N", "the VG's MaxLogicalVolume (0: unlimited)" },
	[C_MDIGNORE] = { "metadataignore", NULL, "y|n", "the PV's metadata areas ignored (no VG text written there) "
			 "or in use" },
	[C_RESIZEFS] = { "resizefs", "r", NULL, "resize the LV's filesystem (ext2/3/4) with it, as lvm2's fsadm: fsck, "
			 "resize2fs; online when mounted from a loop device over ulvmd's FUSE file" },
	[C_NOFSCK] = { "nofsck", "n", NULL, "-r: no fsck before the resize" },
	[C_TYPECONFIG] = { "typeconfig", NULL, "TYPE", "lvmconfig: current, default, full, diff or list (also --type)" },
	[C_WITHSUMMARY] = { "withsummary", NULL, NULL, "lvmconfig: each setting's one-line description" },
	[C_WITHCOMMENTS] = { "withcomments", NULL, NULL, "lvmconfig: as --withsummary (ulvm keeps lvm2's first line)" },
	[C_CONTIGUOUS] = { "contiguous", "C", "y|n", "allocation policy contiguous (y) or inherited from the VG (n)" },
	[C_SETACTSKIP] = { "setactivationskip", "k", "y|n", "the LV is skipped by activation unless -K" },
	[C_READAHEAD] = { "readahead", "r", "auto|none|N", "the LV's read ahead, in sectors (or with a unit)" },
	[C_ERRORWHENFULL] = { "errorwhenfull", NULL, "y|n", "a thin pool fails writes when full (y) or queues them" },
	[C_VGMDCOPIES] = { "vgmetadatacopies", NULL, "N|all|unmanaged", "metadata areas of the VG kept in use "
			   "(the others ignored); all: every one, then unmanaged" },
	[C_ORIGINNAME] = { "originname", NULL, "NAME", "lvconvert --type thin: the name of the new external origin "
			   "(lvolN by default)" },
	[C_CHECK] = { "check", NULL, NULL, "lvmdevices: compare each entry's PVID with its device's label" },
	[C_UPDATE] = { "update", NULL, NULL, "lvmdevices: write the PVIDs the labels have" },
	COMMON_OPTS(C_COMMON),
};

static const struct cli_opt report_opts[R_COMMON + G_COUNT] = {
	[R_OPTIONS] = { "options", "o", "FIELDS", "fields to show; +FIELDS adds to the default ones" },
	[R_UNITS] = { "units", NULL, "hHbBsSkKmMgGtTpPeE", "units of sizes (h: human, upper case: powers of 1000)" },
	[R_NOHEADINGS] = { "noheadings", NULL, NULL, "no heading line" },
	[R_SEPARATOR] = { "separator", NULL, "SEP", "separate columns by SEP (not aligned)" },
	[R_NOSUFFIX] = { "nosuffix", NULL, NULL, "sizes without their unit" },
	[R_REPORTFORMAT] = { "reportformat", NULL, "basic|json", "output format" },
	[R_ALL] = { "all", "a", NULL, "hidden LVs too" },
	[R_SEGMENTS] = { "segments", NULL, NULL, "one line per segment, with its fields" },
	[R_SORT] = { "sort", "O", "FIELDS", "accepted; rows are in VG and LV order" },
	[R_FILE] = { "file", "f", "FILE", "the backup file to write or read" },
	[R_FORCE] = { "force", NULL, NULL, "vgcfgrestore: restore even with segment types it cannot change" },
	[R_COLUMNS] = { "columns", "C", NULL, "display: in columns, as the report verbs" },
	[R_FOREIGN] = { "foreign", NULL, NULL, "also VGs whose system ID names another host" },
	[R_NAMEPREFIXES] = { "nameprefixes", NULL, NULL, "each value as LVM2_FIELD='value' (for scripts)" },
	[R_UNQUOTED] = { "unquoted", NULL, NULL, "with --nameprefixes: values without quotes" },
	[R_ROWS] = { "rows", NULL, NULL, "one line per field, the objects across" },
	[R_ALIGNED] = { "aligned", NULL, NULL, "with --separator: pad the columns too" },
	[R_UNBUFFERED] = { "unbuffered", NULL, NULL, "rows as they are found (unsorted without -O), columns as wide as "
			   "their headings" },
	[R_BINARY] = { "binary", NULL, NULL, "binary fields (pv_allocatable, lv_merging...) as 1 and 0, not words "
		       "(report/binary_values_as_numeric)" },
	[R_UPDATEMETADATA] = { "updatemetadata", NULL, NULL, "rewrite every metadata area of the VG from its best "
			       "copy: damaged headers and texts, and older copies, repaired" },
	[R_SHORT] = { "short", "s", NULL, "pvscan: the PV names only; vgdisplay: one line per VG" },
	[R_UUIDS] = { "uuid", "u", NULL, "pvscan: each PV's uuid too" },
	[R_EXPORTED] = { "exported", "e", NULL, "pvscan: only the PVs of exported VGs" },
	[R_NOVOLUMEGROUP] = { "novolumegroup", "n", NULL, "pvscan: only the PVs in no VG" },
	[R_MAPS] = { "maps", "m", NULL, "display: a PV's extents and what uses them, an LV's segments and where they lie" },
	[R_SELECT] = { "select", "S", "SELECTION", "only the rows that match: FIELD OP VALUE joined by && || ! (), -S help" },
	[R_DUMP] = { "dump", NULL, "headers|metadata|metadata_all|metadata_search", "pvck: print the headers, the "
		     "current metadata, every copy in the area, or every copy found without the headers" },
	[R_SETTINGS] = { "settings", NULL, "KEY=VAL...", "pvck --dump: mda_num=1|2, mda_offset=, mda_size= (bytes), "
			 "metadata_offset=, seqno= (one copy)" },
	[R_READONLY] = { "readonly", NULL, NULL, "lvm2's read-only mode: accepted (a report never writes)" },
	[R_LIST] = { "list", "l", NULL, "vgcfgrestore: list the VG's archived metadata and backup (or -f FILE's), "
		     "with their descriptions and times" },
	[R_LABELSECTOR] = { "labelsector", NULL, "N", "pvck: the sector of the label (0 to 3; 1)" },
	COMMON_OPTS(R_COMMON),
};

#define C_GLOBAL (CBIT(G_DEVICES) | CBIT(G_CONFDIR) | CBIT(G_CONFIG) | CBIT(G_RUNDIR) | CBIT(G_VERBOSE) | CBIT(G_QUIET) | \
		  CBIT(G_HELP))
#define R_GLOBAL (RBIT(G_DEVICES) | RBIT(G_CONFDIR) | RBIT(G_CONFIG) | RBIT(G_RUNDIR) | RBIT(G_VERBOSE) | RBIT(G_QUIET) | \
		  RBIT(G_HELP))
#define PVCREATE_OPTS (BIT(C_MDCOPIES) | BIT(C_PVMDCOPIES) | BIT(C_MDSIZE) | BIT(C_DATAALIGN) | \
		       BIT(C_UUID) | BIT(C_YES) | BIT(C_FORCE) | BIT(C_ZERO) | BIT(C_MDIGNORE))
#define RESIZE_OPTS (BIT(C_SIZE) | BIT(C_EXTENTS) | BIT(C_STRIPES) | BIT(C_STRIPESIZE) | BIT(C_YES) | \
		     BIT(C_FORCE) | BIT(C_ALLOC) | BIT(C_POOLMDSIZE) | BIT(C_USEPOLICIES) | BIT(C_RESIZEFS) | BIT(C_NOFSCK))
#define REPORT_OPTS (BIT(R_OPTIONS) | BIT(R_UNITS) | BIT(R_NOHEADINGS) | BIT(R_SEPARATOR) | \
		     BIT(R_NOSUFFIX) | BIT(R_REPORTFORMAT) | BIT(R_ALL) | BIT(R_SORT) | BIT(R_FOREIGN) | \
		     BIT(R_NAMEPREFIXES) | BIT(R_UNQUOTED) | BIT(R_ROWS) | BIT(R_ALIGNED) | BIT(R_SELECT) | \
		     BIT(R_UNBUFFERED) | BIT(R_BINARY) | BIT(R_READONLY))
#define TAG_OPTS (BIT(C_ADDTAG) | BIT(C_DELTAG))

#define V(name, ops, min, max, opts, help, fn) { name, ops, min, max, opts, help, fn }

static const struct cli_verb change_verbs[] = {
	V("pvcreate", "PV...", 1, -1, PVCREATE_OPTS | BIT(C_RESTOREFILE) | BIT(C_NORESTOREFILE),
	  "Initialise each PV (a file or a block device) and add it to the devices file.", lvm_pvcreate),
	V("pvremove", "PV...", 1, -1, BIT(C_YES) | BIT(C_FORCE), "Wipe the label of each PV (not in a VG).",
	  lvm_pvremove),
	V("pvresize", "PV...", 1, -1, BIT(C_SETPVSIZE) | BIT(C_YES),
	  "Resize each PV to its device's size (or --setphysicalvolumesize).", lvm_pvresize),
	V("pvmove", "[SOURCE_PV[:PE[-PE]]...] [DEST_PV[:PE[-PE]]...]", 0, -1,
	  BIT(C_NAME) | BIT(C_INTERVAL) | BIT(C_ABORT) | BIT(C_ATOMIC),
	  "Move the extents of SOURCE_PV (or its PE ranges) to other PVs while the LVs stay in use, with progress "
	  "every -i seconds; without a PV, take up every move in progress; --abort ends one.", lvm_pvmove),
	V("pvchange", "PV|@TAG...", 0, -1,
	  BIT(C_ALLOCATABLE) | BIT(C_YES) | TAG_OPTS | BIT(C_SELECT) | BIT(C_ALL) | BIT(C_NEWUUID) | BIT(C_MDIGNORE) |
		  BIT(C_FORCE),
	  "Change PVs (named, -a all, or -S): -x y|n makes their free extents allocatable or not, "
	  "--addtag/--deltag their tags, -u gives each a new uuid, --metadataignore y|n stops or starts "
	  "writing the VG's metadata to their metadata areas.", lvm_pvchange),
	V("lvmconfig", "[SECTION|SECTION/KEY...]", 0, -1, BIT(C_TYPE) | BIT(C_TYPECONFIG) | BIT(C_WITHSUMMARY) |
		  BIT(C_WITHCOMMENTS),
	  "The configuration as lvm2's lvmconfig shows it: ulvm.conf (and --config) as set, or (--type "
	  "default|full|diff|list) the settings ulvm honours with lvm2's defaults.", lvm_lvmconfig),
	V("dumpconfig", "[SECTION|SECTION/KEY...]", 0, -1, BIT(C_TYPE) | BIT(C_TYPECONFIG) | BIT(C_WITHSUMMARY) |
		  BIT(C_WITHCOMMENTS), "lvmconfig (lvm2's other name).", lvm_lvmconfig),
	V("config", "[SECTION|SECTION/KEY...]", 0, -1, BIT(C_TYPE) | BIT(C_TYPECONFIG) | BIT(C_WITHSUMMARY) |
		  BIT(C_WITHCOMMENTS), "lvmconfig (lvm2's other name).", lvm_lvmconfig),
	V("vgcreate", "VG PV...", 2, -1, BIT(C_PESIZE) | PVCREATE_OPTS | BIT(C_ALLOC) | BIT(C_SYSTEMID) | BIT(C_SETAUTOACT) |
		  BIT(C_ADDTAG) | BIT(C_MAXLVS) | BIT(C_MAXPV) | BIT(C_VGMDCOPIES),
	  "Create VG on the PVs (made PVs first when they are not); --[vg]metadatacopies: how many of their "
	  "metadata areas hold the VG's metadata.", lvm_vgcreate),
	V("vgextend", "VG PV...", 2, -1, (PVCREATE_OPTS & ~BIT(C_MDCOPIES)) | BIT(C_RESTOREMISSING),
	  "Add PVs to VG; --restoremissing: use again PVs of VG that came back.", lvm_vgextend),
	V("vgreduce", "VG [PV...]", 1, -1, BIT(C_REMOVEMISSING) | BIT(C_FORCE) | BIT(C_ALL) | BIT(C_YES),
	  "Remove unused PVs from VG, or --removemissing the PVs that are gone.", lvm_vgreduce),
	V("vgremove", "VG|@TAG...", 0, -1, BIT(C_YES) | BIT(C_FORCE) | BIT(C_SELECT),
	  "Remove each VG (named, or -S) with its LVs (asks unless -y or -f).", lvm_vgremove),
	V("vgrename", "VG NEW", 2, 2, 0, "Rename a VG.", lvm_vgrename),
	V("vgsplit", "VG NEWVG [PV...]", 2, -1, BIT(C_NAME) | BIT(C_ALLOC),
	  "Move PVs (or those of LV -n) and the LVs on them into a new or an existing VG.", lvm_vgsplit),
	V("vgmerge", "VG FROMVG...", 2, -1, 0, "Merge inactive VGs into VG.", lvm_vgmerge),
	V("lvmdevices", "", 0, 0,
	  BIT(C_ADDDEV) | BIT(C_DELDEV) | BIT(C_DELPVID) | BIT(C_ADDPVID) | BIT(C_CHECK) | BIT(C_UPDATE) | BIT(C_YES),
	  "List the devices file, or change it: --adddev, --addpvid, --deldev, --delpvid, --check, --update.", lvm_lvmdevices),
	V("vgimportdevices", "VG...|-a", 0, -1, BIT(C_ALL),
	  "Add the PVs of VGs (those --devices finds) to the devices file.", lvm_vgimportdevices),
	V("vgimportclone", "PV...", 1, -1, BIT(C_BASEVGNAME) | BIT(C_IMPORT),
	  "Give a copied VG (a cloned disk image) new PV and VG uuids and a free name, to use it beside the original.",
	  lvm_vgimportclone),
	V("vgexport", "VG...", 1, -1, 0, "Export VGs: no host uses them until vgimport (move the disks).", lvm_vgexport),
	V("vgimport", "VG...", 1, -1, 0, "Import exported VGs.", lvm_vgexport),
	V("vgchange", "[VG|@TAG...]", 0, -1, BIT(C_ACTIVATE) | BIT(C_ALLOC) | BIT(C_IGNORESKIP) | BIT(C_SYSTEMID) |
		  BIT(C_SETAUTOACT) | TAG_OPTS | BIT(C_SELECT) | BIT(C_POLL) | BIT(C_NEWUUID) | BIT(C_ACTMODE) |
		  BIT(C_PARTIAL) | BIT(C_RESIZEABLE) | BIT(C_MAXLV) | BIT(C_MAXPV) | BIT(C_REFRESH) |
		  BIT(C_VGMDCOPIES) | BIT(C_MDCOPIES),
	  "Activate (-ay) or deactivate (-an) every LV of each VG (all, or -S) in ulvmd; change VG tags, "
	  "system ID, autoactivation, allocation policy (--alloc), uuid (-u), resizeable (-x), "
	  "MaxLogicalVolume (-l), MaxPhysicalVolumes (-p) and the metadata copies kept (--[vg]metadatacopies); "
	  "--refresh reloads every active LV.", lvm_vgchange),
	V("lvcreate", "VG [PV[:PE[-PE]]...]", 1, -1,
	  BIT(C_SIZE) | BIT(C_EXTENTS) | BIT(C_NAME) | BIT(C_STRIPES) | BIT(C_STRIPESIZE) | BIT(C_TYPE) |
		  BIT(C_ACTIVATE) | BIT(C_YES) | BIT(C_ALLOC) | BIT(C_ZERO) | BIT(C_WIPE) | BIT(C_THIN) |
		  BIT(C_VIRTUALSIZE) | BIT(C_SNAPSHOT) | BIT(C_THINPOOL) | BIT(C_CHUNKSIZE) | BIT(C_POOLMDSIZE) |
		  BIT(C_DISCARDS) | BIT(C_SETAUTOACT) | BIT(C_MIRRORS) | BIT(C_REGIONSIZE) | BIT(C_NOSYNC) |
		  BIT(C_ADDTAG) | BIT(C_MAXRECOVERY) | BIT(C_MINRECOVERY) | BIT(C_MIRRORLOG) | BIT(C_CACHEMODE) |
		  BIT(C_CACHEPOLICY) | BIT(C_CACHESETTINGS) | BIT(C_CACHEMDFORMAT) | BIT(C_CACHEPOOL) | BIT(C_CACHEVOL) |
		  BIT(C_CACHEDEVICE) | BIT(C_CACHESIZE) | BIT(C_CONTIGUOUS) | BIT(C_SETACTSKIP) | BIT(C_READAHEAD) |
		  BIT(C_PERMISSION) | BIT(C_ERRORWHENFULL),
	  "Create an LV (linear, striped, raid0, raid1, raid10, raid4/5/6, thin-pool, thin, thin snapshot, cache-pool) "
	  "and activate it in ulvmd unless -an; --type cache|writecache --cachevol LV or --cachepool POOL: a new "
	  "LV cached at once (or --cachedevice PV [--cachesize SIZE]: on a new cachevol); --type cache VG/LV: a new "
	  "cache pool of that size caches LV.",
	  lvm_lvcreate),
	V("lvextend", "VG/LV [PV[:PE[-PE]]...]", 1, -1, RESIZE_OPTS,
	  "Grow an LV; an active one is reloaded online.", lvm_lvresize),
	V("lvreduce", "VG/LV", 1, 1, RESIZE_OPTS, "Shrink an LV (asks unless --yes).", lvm_lvresize),
	V("lvresize", "VG/LV [PV[:PE[-PE]]...]", 1, -1, RESIZE_OPTS, "Grow or shrink an LV.", lvm_lvresize),
	V("lvrename", "VG/LV NEW | VG LV NEW", 2, 3, 0, "Rename an LV.", lvm_lvrename),
	V("lvremove", "VG/LV|@TAG...", 0, -1, BIT(C_YES) | BIT(C_FORCE) | BIT(C_SELECT),
	  "Remove LVs (named, or -S), deactivating them first.", lvm_lvremove),
	V("lvchange", "VG/LV|VG|@TAG...", 0, -1, BIT(C_ACTIVATE) | BIT(C_YES) | BIT(C_PERMISSION) | BIT(C_IGNORESKIP) |
		  BIT(C_SETAUTOACT) | BIT(C_SYNCACTION) | BIT(C_REBUILD) | BIT(C_REFRESH) | TAG_OPTS | BIT(C_SELECT) |
		  BIT(C_MAXRECOVERY) | BIT(C_MINRECOVERY) | BIT(C_POLL) | BIT(C_CACHEMODE) | BIT(C_CACHEPOLICY) |
		  BIT(C_CACHESETTINGS) | BIT(C_WRITEMOSTLY) | BIT(C_WRITEBEHIND) | BIT(C_ACTMODE) | BIT(C_PARTIAL) |
		  BIT(C_ALLOC) | BIT(C_CONTIGUOUS) | BIT(C_SETACTSKIP) | BIT(C_READAHEAD) | BIT(C_ERRORWHENFULL) |
		  BIT(C_DISCARDS) | BIT(C_ZERO),
	  "Activate (-ay) or deactivate (-an) LVs (named, or -S) in ulvmd; -p r|rw sets their permission, "
	  "--addtag/--deltag their tags, --alloc/-C their allocation policy, -k their activation skip flag, "
	  "-r their read ahead; --errorwhenfull, --discards and -Z act on thin pools; "
	  "--refresh reloads them; --syncaction, --rebuild, --writemostly and "
	  "--writebehind act on raid LVs; "
	  "--cachemode, --cachepolicy and --cachesettings on cache and writecache LVs.",
	  lvm_lvchange),
	V("lvconvert", "VG/LV [PV...]", 0, -1, BIT(C_TYPE) | BIT(C_MIRRORS) | BIT(C_REPAIR) | BIT(C_USEPOLICIES) | BIT(C_YES) |
		  BIT(C_THINPOOL) | BIT(C_POOLMETADATA) | BIT(C_SWAPMETADATA) | BIT(C_THIN) | BIT(C_ORIGINNAME) |
		  BIT(C_CACHEDEVICE) | BIT(C_CACHESIZE) |
		  BIT(C_SPLITMIRRORS) | BIT(C_TRACKCHANGES) | BIT(C_MERGE) | BIT(C_NAME) | BIT(C_INTERVAL) |
		  BIT(C_CACHEPOOL) | BIT(C_CACHEVOL) | BIT(C_CACHEMODE) | BIT(C_CACHEPOLICY) | BIT(C_CACHESETTINGS) |
		  BIT(C_CACHEMDFORMAT) | BIT(C_SPLITCACHE) | BIT(C_UNCACHE) | BIT(C_CHUNKSIZE) | BIT(C_POOLMDSIZE) |
		  BIT(C_ZERO) | BIT(C_FORCE) | BIT(C_MIRRORLOG),
	  "Change an LV's layout: linear to raid1 (--type raid1 -m N), raid1 images (-m N; -m 0: linear), "
	  "a mirror's legs (-m N) and log (--mirrorlog core|disk), "
	  "--repair failed raid images (onto the PVs given, or any), --splitmirrors 1 -n NAME or --trackchanges, "
	  "--merge a tracked image back; raid takeover with the data in place (--type raid5 of a 2-image raid1 and "
	  "back, --type raid6 of a raid5, --type raid5 of a raid6_*_6, a striped LV to raid0, raid5_n, raid6_n_6 "
	  "and back); --type cache --cachepool POOL or --cachevol LV, --type writecache --cachevol "
	  "LV (or --cachedevice PV [--cachesize SIZE]: a new cachevol LV_cache); --splitcache or --uncache (flushed first); --type thin-pool [--poolmetadata LV] (or --thinpool "
	  "VG/LV): the LV becomes a thin pool's data; --repair of a thin pool; --swapmetadata --poolmetadata LV; "
	  "--type thin --thinpool POOL [--originname NAME] (or -T): the LV becomes a thin LV over a read-only copy of "
	  "itself, its external origin.",
	  lvm_lvconvert),
};

static const struct cli_verb report_verbs[] = {
	V("pvs", "[PV|@TAG...]", 0, -1, REPORT_OPTS | BIT(R_SEGMENTS), "Report PVs.", lvm_report),
	V("vgs", "[VG|@TAG...]", 0, -1, REPORT_OPTS, "Report VGs.", lvm_report),
	V("lvs", "[VG|VG/LV|@TAG...]", 0, -1, REPORT_OPTS | BIT(R_SEGMENTS), "Report LVs.", lvm_report),
	V("pvdisplay", "[PV...]", 0, -1, BIT(R_COLUMNS) | BIT(R_UNITS) | BIT(R_MAPS), "Show PVs in detail.",
	  lvm_display),
	V("vgdisplay", "[VG...]", 0, -1, BIT(R_COLUMNS) | BIT(R_UNITS) | BIT(R_SHORT),
	  "Show VGs in detail (-s: one line each).", lvm_display),
	V("lvdisplay", "[VG|VG/LV...]", 0, -1, BIT(R_COLUMNS) | BIT(R_UNITS) | BIT(R_ALL) | BIT(R_MAPS),
	  "Show LVs in detail.", lvm_display),
	V("pvscan", "", 0, 0, BIT(R_SHORT) | BIT(R_UUIDS) | BIT(R_EXPORTED) | BIT(R_NOVOLUMEGROUP),
	  "List the PVs and their VGs, sizes and free space, and the totals, as lvm2's pvscan.", lvm_pvscan),
	V("vgscan", "", 0, 0, 0, "List the VGs found, as lvm2's vgscan.", lvm_vgscan),
	V("lvscan", "", 0, 0, BIT(R_ALL),
	  "List the LVs, active or not, with their paths, sizes and allocation policies, as lvm2's lvscan.",
	  lvm_lvscan),
	V("vgck", "[VG...]", 0, -1, BIT(R_UPDATEMETADATA),
	  "Check VG metadata (as strictly as lvm2's vgck); --updatemetadata repairs damaged or old copies.",
	  lvm_vgck),
	V("pvck", "PV...", 1, -1, BIT(R_DUMP) | BIT(R_FILE) | BIT(R_SETTINGS) | BIT(R_LABELSECTOR),
	  "Check PV labels and metadata areas; --dump prints them, -f FILE saves metadata copies (for "
	  "vgcfgrestore -f). Nothing is written to the PV.", lvm_pvck),
	V("vgcfgbackup", "[VG...]", 0, -1, BIT(R_FILE),
	  "Write the VG metadata to the backup dir, or to --file.", lvm_vgcfgbackup),
	V("vgcfgrestore", "VG", 0, 1, BIT(R_FILE) | BIT(R_FORCE) | BIT(R_LIST),
	  "Write the metadata of a backup file (-f, else the VG's backup) to the VG's PVs; --list the copies kept.",
	  lvm_vgcfgrestore),
};

static const struct cli_spec change_spec = {
	.prog = "ulvm",
	.synopsis = "Usage: ulvm VERB [OPTION]... [ARG]...\nlvm2's commands that change PVs, VGs and LVs.\n",
	.opts = change_opts,
	.nopts = C_COMMON + G_COUNT,
	.global_opts = C_GLOBAL,
	.help_opt = C_COMMON + G_HELP,
	.verbs = change_verbs,
	.nverbs = sizeof(change_verbs) / sizeof(change_verbs[0]),
};

static const struct cli_spec report_spec = {
	.prog = "ulvm",
	.synopsis = "Usage: ulvm VERB [OPTION]... [ARG]...\nlvm2's commands that show PVs, VGs and LVs.\n",
	.opts = report_opts,
	.nopts = R_COMMON + G_COUNT,
	.global_opts = R_GLOBAL,
	.help_opt = R_COMMON + G_HELP,
	.verbs = report_verbs,
	.nverbs = sizeof(report_verbs) / sizeof(report_verbs[0]),
};

int lvm_fail(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("  ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return LVM_FAILED;
}

int lvm_apply_tags(const struct lvm_cmd *c, struct strv *t)
{
	return lvm_tags_change(t, c->tags.add, c->tags.nadd, c->tags.del, c->tags.ndel) ? lvm_fail("out of memory") : 0;
}

/* lvm2's refusal of an option's value while parsing the command line. */
static int bad_value(const char *opt, const char *v)
{
	lvm_fail("Invalid argument for --%s: %s", opt, v);
	lvm_fail("Error during parsing of command line.");
	return LVM_EINVALID;
}

/* --addtag/--deltag values as lvm2's tag_arg() takes them: '@' dropped,
 * then validate_tag(); a bad one is a command-line error. */
static int read_tags(struct lvm_cmd *c, int opt, const char ***out, unsigned *n)
{
	if (cli_values(&c->a, opt, out, n))
		return lvm_fail("out of memory");
	for (unsigned i = 0; i < *n; i++) {
		const char *t = (*out)[i][0] == '@' ? (*out)[i] + 1 : (*out)[i];

		if (!lvm_tag_valid(t))
			return bad_value(change_opts[opt].lng, (*out)[i]);
		(*out)[i] = t;
	}
	return 0;
}

/* lvm2's yes_no_prompt: --yes, or a 'y' on standard input. */
bool lvm_confirm(const struct lvm_cmd *c, const char *question)
{
	char line[64];

	if (opt_set(c, C_YES))
		return true;
	if (c->a.count[c->common + G_QUIET] > 1) { /* lvm2's silent mode: the question, answered no */
		fprintf(stderr, "%s [y/n]: [n]\n", question);
		return false;
	}
	printf("%s [y/n]: ", question);
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin)) {
		printf("\n");
		return false;
	}
	return line[0] == 'y' || line[0] == 'Y';
}

static int setup(struct lvm_cmd *c, bool rw, bool scan)
{
	struct err e = { { 0 } };
	struct cfg_tree *override = NULL;
	int r;

	if (opt_set(c, c->common + G_CONFIG) && cfg_parse_settings(opt_val(c, c->common + G_CONFIG), &override, &e)) {
		lvm_fail("--config: %s", e.msg);
		lvm_fail("Failed to set overridden configuration entries.");
		return LVM_EINVALID;
	}
	r = lvm_env_init(&c->env, opt_val(c, c->common + G_CONFDIR),
			 opt_set(c, c->common + G_DEVICES) ? opt_val(c, c->common + G_DEVICES) : NULL, override,
			 c->cmdline, rw, &e);
	c->env.run_dir = c->g->run_dir;
	/* PVs that are ulvmd's devices are reached in its run dir, also by
	 * the layers that are not handed the environment */
	if (c->g->run_dir)
		setenv("ULVM_RUN_DIR", c->g->run_dir, 1);
	if (!r && scan)
		r = lvm_scan(&c->env, &e);
	return r ? lvm_fail("%s", e.msg) : 0;
}

int lvm_setup(struct lvm_cmd *c, bool rw) { return setup(c, rw, true); }
int lvm_setup_config(struct lvm_cmd *c) { return setup(c, false, false); }

int lvm_parse_activate(struct lvm_cmd *c, bool *on, bool *autoact)
{
	const char *v = opt_val(c, C_ACTIVATE);

	*autoact = !strcmp(v, "ay");
	if (!strcmp(v, "y") || !strcmp(v, "ay"))
		*on = true;
	else if (!strcmp(v, "n") || !strcmp(v, "an"))
		*on = false;
	else
		return lvm_fail("Invalid argument for --activate: %s (y, n or ay)", v);
	return 0;
}

bool lvm_lv_props_given(const struct lvm_cmd *c)
{
	return opt_set(c, C_CONTIGUOUS) || opt_set(c, C_SETACTSKIP) || opt_set(c, C_READAHEAD) ||
	       (opt_set(c, C_ALLOC) && !strcmp(c->verb, "lvchange"));
}

/* lvm2's readahead_arg: auto, none, or a size (sectors without a unit),
 * rounded down to whole 4 KiB pages (at least one) with its warning. */
static int read_ahead_arg(const struct lvm_cmd *c, bool *set, int64_t *sectors)
{
	const char *v = opt_val(c, C_READAHEAD);
	struct err e = { { 0 } };
	uint64_t n;
	char sign;

	*set = true;
	if (!strcmp(v, "auto")) {
		*set = false;
		return 0;
	}
	if (!strcmp(v, "none")) {
		*sectors = -1;
		return 0;
	}
	if (lvm_parse_size(v, 's', &sign, &n, &e) || sign || n > UINT32_MAX - 1)
		return lvm_fail("Invalid argument for --readahead: %s", v);
	if (n % 8) {
		n = n < 8 ? 8 : n / 8 * 8;
		fflush(stdout);
		fprintf(stderr, "  WARNING: Overriding readahead to %llu sectors, a multiple of 4K page size.\n",
			(unsigned long long)n);
	}
	*sectors = (int64_t)n;
	return 0;
}

int lvm_lv_props(const struct lvm_cmd *c, const struct vg *vg, struct vg_lv *lv, bool create, bool *changed)
{
	int r;

	if (opt_set(c, C_ALLOC) || opt_set(c, C_CONTIGUOUS)) { /* lvchange.c's _lvchange_alloc */
		bool contiguous = false;
		const char *want, *now = lv->alloc ? lv->alloc : "inherit";
		enum alloc_policy p;
		struct err e = { { 0 } };

		if (opt_set(c, C_CONTIGUOUS) && (r = lvm_opt_yn(c, C_CONTIGUOUS, &contiguous)))
			return r;
		want = opt_set(c, C_ALLOC) ? opt_val(c, C_ALLOC) : contiguous ? "contiguous" : "inherit";
		if (strcmp(want, "inherit") && alloc_policy_parse(want, &p, &e))
			return lvm_fail("%s", e.msg);
		if (!strcmp(want, now) && !create)
			return lvm_fail("Allocation policy of logical volume %s/%s is already %s.", vg->name, lv->name, now);
		free(lv->alloc);
		lv->alloc = strcmp(want, "inherit") ? strdup(want) : NULL;
		*changed = true;
	}
	if (opt_set(c, C_SETACTSKIP)) { /* lv_set_activation_skip: no "already" */
		bool skip = false;

		if ((r = lvm_opt_yn(c, C_SETACTSKIP, &skip)))
			return r;
		lv->status = skip ? lv->status | FLAG(LVF_ACTIVATION_SKIP) : lv->status & ~FLAG(LVF_ACTIVATION_SKIP);
		*changed = true;
	}
	if (opt_set(c, C_READAHEAD)) { /* _lvchange_readahead */
		bool set;
		int64_t n = 0;

		if ((r = read_ahead_arg(c, &set, &n)))
			return r;
		if (!create && set == lv->has_read_ahead && (!set || n == lv->read_ahead)) {
			if (!set)
				return lvm_fail("Read ahead is already auto for %s/%s.", vg->name, lv->name);
			return lvm_fail("Read ahead is already %u for %s/%s.", n < 0 ? 0u : (unsigned)n, vg->name, lv->name);
		}
		lv->has_read_ahead = set;
		lv->read_ahead = n;
		*changed = true;
	}
	return 0;
}

int lvm_opt_yn(const struct lvm_cmd *c, int o, bool *v)
{
	const char *s = opt_val(c, o);

	if (!strcmp(s, "y")) /* lvm2's yes_no_arg: y or n, not yes or no */
		*v = true;
	else if (!strcmp(s, "n"))
		*v = false;
	else
		return lvm_fail("Invalid argument for --%s: %s (y or n)", c->spec->opts[o].lng, s);
	return 0;
}

int lvm_set_autoactivation(struct lvm_cmd *c, uint32_t *status, uint32_t bit)
{
	bool on;
	int r = lvm_opt_yn(c, C_SETAUTOACT, &on);

	if (!r)
		*status = on ? *status & ~bit : *status | bit;
	return r;
}

int lvm_split_lvname(const char *arg, char *vg, size_t vgsize, const char **lv)
{
	const char *slash = strchr(arg, '/');

	if (!strncmp(arg, "/dev/", 5)) /* /dev/vg/lv as lvm2 accepts */
		arg += 5, slash = strchr(arg, '/');
	if (!slash || (size_t)(slash - arg) >= vgsize || !slash[1] || strchr(slash + 1, '/')) {
		lvm_fail("\"%s\": an LV is named VG/LV", arg);
		return -1;
	}
	snprintf(vg, vgsize, "%.*s", (int)(slash - arg), arg);
	*lv = slash + 1;
	return 0;
}

/* A dm name as LVM2 makes them, VG-LV[-LAYER] with each '-' of a name
 * doubled, back to the LV it belongs to: "vg-pool-tpool" and
 * "vg-pool_tdata" are vg/pool.  -1 if @arg is not such a name. */
int lvm_split_dmname(const char *arg, char *vg, size_t vgsize, char *lv, size_t lvsize)
{
	static const char *const layers[] = { "tpool", "pool", "tdata", "tmeta", NULL };
	static const char *const subs[] = { "_tdata", "_tmeta", NULL };
	char part[3][LVM_NAME_LEN];
	size_t len[3] = { 0 };
	unsigned n = 0;
	size_t l;

	if (!strncmp(arg, "/dev/mapper/", 12))
		arg += 12;
	for (const char *s = arg; *s; s++) {
		if (*s == '-' && s[1] == '-') {
			s++;
		} else if (*s == '-') {
			if (++n == 3)
				return -1;
			continue;
		}
		if (len[n] + 1 >= LVM_NAME_LEN)
			return -1;
		part[n][len[n]++] = *s;
	}
	for (unsigned i = 0; i <= n; i++)
		part[i][len[i]] = '\0';
	if (n < 1 || !len[0] || !len[1] || len[0] >= vgsize)
		return -1;
	if (n == 2) {
		unsigned i = 0;

		while (layers[i] && strcmp(layers[i], part[2]))
			i++;
		if (!layers[i])
			return -1;
	}
	for (unsigned i = 0; subs[i]; i++) { /* a pool's sub-LV: the pool */
		l = strlen(subs[i]);
		if (len[1] > l && !strcmp(part[1] + len[1] - l, subs[i]))
			part[1][len[1] - l] = '\0';
	}
	snprintf(vg, vgsize, "%s", part[0]);
	snprintf(lv, lvsize, "%s", part[1]);
	return 0;
}

/* Values whose syntax lvm2 checks while parsing (size_mb_arg,
 * extents_arg, alloc_arg, int_arg): refused before any VG is read. */
static int check_value_args(struct lvm_cmd *c)
{
	struct err e = { { 0 } };
	struct ext_arg x;
	enum alloc_policy pol;
	uint64_t v;
	char sign;

	if (opt_set(c, C_SIZE) && lvm_parse_size(opt_val(c, C_SIZE), 'm', &sign, &v, &e)) {
		lvm_fail("Size requires number argument.");
		return bad_value("size", opt_val(c, C_SIZE));
	}
	if (opt_set(c, C_EXTENTS) && lvm_parse_extents(opt_val(c, C_EXTENTS), &x, &e))
		return bad_value("extents", opt_val(c, C_EXTENTS));
	if (opt_set(c, C_ALLOC) && alloc_policy_parse(opt_val(c, C_ALLOC), &pol, &e)) {
		lvm_fail("Unrecognised allocation policy %s", opt_val(c, C_ALLOC));
		return bad_value("alloc", opt_val(c, C_ALLOC));
	}
	if (opt_set(c, C_STRIPES)) {
		if (parse_u64(opt_val(c, C_STRIPES), &v))
			return bad_value("stripes", opt_val(c, C_STRIPES));
		if (!v) {
			lvm_fail("--stripes may not be zero.");
			lvm_fail("Run `%s --help' for more information.", c->verb);
			return LVM_EINVALID;
		}
	}
	return 0;
}

/* The options lvm2 parses with yes_no_arg: y or n, checked before any
 * VG is read, as lvm2 does (a VG that does not exist is not what the
 * user hears about first). */
static int check_yn_args(struct lvm_cmd *c)
{
	static const int yn[] = { C_ZERO, C_WIPE, C_ALLOCATABLE, C_SETAUTOACT, C_POLL, C_RESIZEABLE,
				  C_MDIGNORE, C_CONTIGUOUS, C_SETACTSKIP, C_ERRORWHENFULL };
	const char **v;
	unsigned n;

	for (size_t k = 0; k < sizeof(yn) / sizeof(yn[0]); k++) {
		if (!opt_set(c, yn[k]))
			continue;
		if (cli_values(&c->a, yn[k], &v, &n))
			return lvm_fail("out of memory");
		for (unsigned i = 0; i < n; i++)
			if (strcmp(v[i], "y") && strcmp(v[i], "n")) {
				int r = bad_value(change_opts[yn[k]].lng, v[i]);

				free(v);
				return r;
			}
		free(v);
	}
	return 0;
}

int lvm_main(const struct cli_globals *g, int argc, char **argv)
{
	const struct cli_spec *spec = cli_find_verb(&report_spec, argv[0]) ? &report_spec : &change_spec;
	struct lvm_cmd c = { .g = g, .spec = spec };
	char **av = calloc((size_t)argc + 2, sizeof(*av));
	size_t n = 0;
	int r;

	if (!av)
		return lvm_fail("out of memory");
	if (g->complete) {
		free(av);
		return cli_complete(spec, argv[0], stdout);
	}
	av[0] = (char *)"ulvm";
	memcpy(av + 1, argv, (size_t)argc * sizeof(*av));
	c.common = spec == &report_spec ? R_COMMON : C_COMMON;
	c.verb = argv[0];
	for (int i = 0; i < argc && n + 2 < sizeof(c.cmdline); i++)
		n += (size_t)snprintf(c.cmdline + n, sizeof(c.cmdline) - n, "%s%s", i ? " " : "", argv[i]);
	r = cli_parse(spec, argc + 1, av, &c.a);
	if (r == CLI_HELP_SHOWN) {
		r = 0;
	} else if (r) {
		r = LVM_EINVALID; /* lvm2's EINVALID_CMD_LINE for any command-line error */
	} else {
		struct cli_globals g2 = *g;

		if (opt_set(&c, c.common + G_RUNDIR))
			g2.run_dir = opt_val(&c, c.common + G_RUNDIR);
		if (opt_set(&c, c.common + G_VERBOSE) && !opt_set(&c, c.common + G_QUIET)) /* -q wins, as in lvm2 */
			log_set_level(LOG_INFO + (int)c.a.count[c.common + G_VERBOSE] - 1);
		if (c.a.count[c.common + G_QUIET] > 1 && spec == &change_spec) {
			/* -qq: lvm2's log_print_unless_silent lines ("created",
			 * "changed") go; reports, warnings and errors stay */
			int null = open("/dev/null", O_WRONLY);

			fflush(stdout);
			if (null >= 0 && dup2(null, STDOUT_FILENO) >= 0)
				close(null);
		}
		c.g = &g2;
		if (spec != &change_spec || (!(r = read_tags(&c, C_ADDTAG, &c.tags.add, &c.tags.nadd)) &&
					     !(r = read_tags(&c, C_DELTAG, &c.tags.del, &c.tags.ndel)) &&
					     !(r = check_yn_args(&c)) && !(r = check_value_args(&c))))
			r = c.a.verb->fn(&c, c.a.argc, c.a.argv);
	}
	free(c.tags.add);
	free(c.tags.del);
	cli_args_free(&c.a);
	lvm_env_free(&c.env);
	free(av);
	return r;
}

int lvm_vg_resizeable(const struct vg *vg)
{
	return vg->status & FLAG(VGF_RESIZEABLE) ? 0 : lvm_fail("Volume group %s is not resizeable.", vg->name);
}

int lvm_vg_lv_room(const struct vg *vg)
{
	if (!vg->max_lv || vg_visible_lvs(vg) < vg->max_lv)
		return 0;
	return lvm_fail("Maximum number of logical volumes (%u) reached in volume group %s", vg->max_lv, vg->name);
}
