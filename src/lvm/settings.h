/* The lvm.conf settings ulvm honours (in ulvm.conf, and --config over it),
 * each once, with lvm2's default and lvm2's one-line summary: every
 * command reads them through lvm_setting_*, and `ulvm lvmconfig` lists
 * them (--type default|full|diff|list).  A test checks each default
 * against lvm2's `lvmconfig --type full`.
 */
#ifndef ULVM_LVM_SETTINGS_H
#define ULVM_LVM_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "lvm/config.h"

struct lvm_env;

#define SETTING_NO_DEFAULT 1u /* lvm2: "does not have a default value defined"; @s/@i is what is used unset */
#define SETTING_ADVANCED 2u   /* lvm2: "This configuration option is advanced." */

struct lvm_setting {
	const char *path;    /* "section/key" */
	enum cfg_type type;  /* CFG_INT, CFG_STRING or CFG_ARRAY (no default) */
	int64_t i;           /* CFG_INT's default */
	const char *s;       /* CFG_STRING's default */
	unsigned flags;      /* SETTING_* */
	const char *summary; /* lvm2's first line of comment */
};

extern const struct lvm_setting lvm_settings[];
extern const unsigned lvm_nsettings;

const struct lvm_setting *lvm_setting_find(const char *path);
/* The node @path names as set (--config first, then ulvm.conf), or NULL. */
const struct cfg_node *lvm_setting_node(const struct lvm_env *env, const char *path);
/* A registered setting's value: as set, else its default.  @path must be
 * in the table (an internal error otherwise: 0 or ""). */
int64_t lvm_setting_int(const struct lvm_env *env, const char *path);
const char *lvm_setting_str(const struct lvm_env *env, const char *path);

#endif
