/* The settings table: see settings.h. */
#include "lvm/settings.h"

#include <stdio.h>
#include <string.h>

#include "lvm/devices.h"

#define I(p, d, sum) { .path = p, .type = CFG_INT, .i = d, .summary = sum }
#define S(p, d, sum) { .path = p, .type = CFG_STRING, .s = d, .summary = sum }

/* In lvm2's order (config_settings.h, `lvm lvmconfig --type list`), which
 * lvmconfig's listings keep. */
const struct lvm_setting lvm_settings[] = {
	I("devices/require_restorefile_with_uuid", 1, "Allow use of pvcreate --uuid without requiring --restorefile."),
	I("allocation/cache_metadata_format", 0, "Sets default metadata format for new cache."),
	S("allocation/cache_mode", "writethrough", "The default cache mode used for new cache."),
	{ .path = "allocation/cache_policy", .type = CFG_STRING, .s = "smq", .flags = SETTING_NO_DEFAULT,
	  .summary = "The default cache policy used for new cache volume." },
	{ .path = "allocation/cache_pool_chunk_size", .type = CFG_INT, .i = 0, .flags = SETTING_NO_DEFAULT,
	  .summary = "The minimal chunk size in KiB for cache pool volumes." },
	I("backup/backup", 1, "Maintain a backup of the current metadata configuration."),
	I("backup/archive", 1, "Maintain an archive of old metadata configurations."),
	S("global/locking_dir", "/run/lock/lvm", "Directory to use for LVM command file locks."),
	I("global/prioritise_write_locks", 1, "Allow quicker VG write access during high volume read access."),
	S("global/sparse_segtype_default", "thin", "The segment type used by the -V -L combination."),
	S("global/thin_dump_executable", "/usr/sbin/thin_dump", "The full path to the thin_dump command."),
	S("global/thin_repair_executable", "/usr/sbin/thin_repair", "The full path to the thin_repair command."),
	S("global/system_id_source", "none", "The method LVM uses to set the local system ID."),
	{ .path = "activation/missing_stripe_filler", .type = CFG_STRING, .s = "error", .flags = SETTING_ADVANCED,
	  .summary = "Method to fill missing stripes when activating an incomplete LV." },
	{ .path = "activation/auto_activation_volume_list", .type = CFG_ARRAY, .flags = SETTING_NO_DEFAULT,
	  .summary = "A list of VGs or LVs that should be autoactivated." },
	S("activation/raid_fault_policy", "warn", "Defines how a device failure in a RAID LV is handled."),
	S("activation/mirror_image_fault_policy", "remove", "Defines how a device failure in a 'mirror' LV is handled."),
	S("activation/mirror_log_fault_policy", "allocate", "Defines how a device failure in a 'mirror' log LV is handled."),
	I("activation/snapshot_autoextend_threshold", 100, "Auto-extend a snapshot when its usage exceeds this percent."),
	I("activation/snapshot_autoextend_percent", 20, "Auto-extending a snapshot adds this percent extra space."),
	I("activation/thin_pool_autoextend_threshold", 100, "Auto-extend a thin pool when its usage exceeds this percent."),
	I("activation/thin_pool_autoextend_percent", 20, "Auto-extending a thin pool adds this percent extra space."),
	S("activation/activation_mode", "degraded", "How LVs with missing devices are activated."),
	I("report/binary_values_as_numeric", 0, "Use binary values 0 or 1 instead of descriptive literal values."),
	S("report/time_format", "%Y-%m-%d %T %z", "Set time format for fields reporting time values."),
	S("local/system_id", "", "Defines the local system ID for lvmlocal mode."),
};
const unsigned lvm_nsettings = sizeof(lvm_settings) / sizeof(lvm_settings[0]);

const struct lvm_setting *lvm_setting_find(const char *path)
{
	for (unsigned i = 0; i < lvm_nsettings; i++)
		if (!strcmp(lvm_settings[i].path, path))
			return &lvm_settings[i];
	return NULL;
}

/* @path split at its '/': the section into @sec. */
static const char *split(const char *path, char *sec, size_t size)
{
	const char *slash = strchr(path, '/');
	size_t n = slash ? (size_t)(slash - path) : 0;

	if (!slash || n >= size)
		return NULL;
	memcpy(sec, path, n);
	sec[n] = 0;
	return slash + 1;
}

const struct cfg_node *lvm_setting_node(const struct lvm_env *env, const char *path)
{
	struct cfg_tree *const t[2] = { env->override, env->conf };
	char sec[64];
	const char *key = split(path, sec, sizeof(sec));

	for (unsigned i = 0; key && i < 2; i++) {
		const struct cfg_node *s = t[i] ? cfg_find(cfg_root(t[i]), sec) : NULL;
		const struct cfg_node *n = s && s->type == CFG_SECTION ? cfg_find(s, key) : NULL;

		if (n)
			return n;
	}
	return NULL;
}

static const struct lvm_setting *known(const char *path)
{
	const struct lvm_setting *s = lvm_setting_find(path);

	if (!s)
		log_err("internal error: setting %s is not in the table", path);
	return s;
}

int64_t lvm_setting_int(const struct lvm_env *env, const char *path)
{
	const struct lvm_setting *s = known(path);
	const struct cfg_node *n = s ? lvm_setting_node(env, path) : NULL;

	if (!s)
		return 0;
	return n && n->type == CFG_INT ? n->v.i : s->i;
}

const char *lvm_setting_str(const struct lvm_env *env, const char *path)
{
	const struct lvm_setting *s = known(path);
	const struct cfg_node *n = s ? lvm_setting_node(env, path) : NULL;

	if (!s)
		return "";
	return n && n->type == CFG_STRING ? n->v.s : s->s ? s->s : "";
}
