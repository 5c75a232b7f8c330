/* vgcfgrestore --list (lvm2's archive_list, archive_list_file,
 * backup_list): the metadata copies ulvm keeps for a VG, each with its
 * description and time, oldest first, then the backup; for picking the
 * copy to give vgcfgrestore -f. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/lvm_cmds.h"
#include "lvm/config.h"
#include "lvm/vgtext.h"

int lvm_backup_read(const char *path, struct cfg_tree **t, struct cfg_node **v, struct err *e)
{
	char *text = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f = fopen(path, "r");
	int r;

	*t = NULL;
	if (!f)
		return err_set(e, -errno, "Couldn't open %s: %s", path, strerror(errno));
	len = getdelim(&text, &cap, '\0', f);
	fclose(f);
	if (len < 0) {
		free(text);
		return err_set(e, -EIO, "Couldn't read %s", path);
	}
	/* the tree keeps copies of the strings: the text goes at once */
	if ((r = cfg_parse(text, (size_t)len, t, e)) || (r = vgtext_check(*t, v, e))) {
		char why[ERR_MSG_MAX];

		snprintf(why, sizeof(why), "%s", e->msg);
		err_set(e, r, "%s: %s", path, why);
	}
	free(text);
	return r;
}

/* lvm2's _display_archive.  (lvm2 2.03.16 prints "File:" with the file
 * name twice, a slip not copied here.) */
static void show(const char *path)
{
	struct err e = { { 0 } };
	struct cfg_tree *t = NULL;
	struct cfg_node *v;
	const char *desc = NULL;
	char when_s[64] = "";
	int64_t when = 0;

	printf("   \n  File:\t\t%s\n", path);
	if (lvm_backup_read(path, &t, &v, &e)) {
		cfg_tree_free(t);
		lvm_fail("Unable to read archive file.");
		return;
	}
	if (cfg_get_str(cfg_root(t), "description", &desc, &e))
		desc = NULL;
	if (!cfg_get_int(cfg_root(t), "creation_time", &when, &e)) {
		time_t tt = (time_t)when;

		ctime_r(&tt, when_s);
	}
	printf("  VG name:    \t%s\n", v->key);
	printf("  Description:\t%s\n", desc && *desc ? desc : "<No description>");
	printf("  Backup Time:\t%s\n", when_s);
	cfg_tree_free(t);
}

struct archive {
	unsigned long index;
	char *path;
};

static int by_index(const void *a, const void *b)
{
	const struct archive *x = a, *y = b;

	return x->index < y->index ? -1 : x->index > y->index;
}

int lvm_vgcfg_list(struct lvm_cmd *c, const char *vg, const char *file)
{
	char dir[PATH_MAX + 16], path[PATH_MAX + LVM_NAME_LEN + 32];
	struct archive *a = NULL;
	unsigned n = 0;
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (file) {
		if (stat(file, &st))
			return lvm_fail("Archive file %s not found.", file);
		show(file);
		return 0;
	}
	/* <vg>_<NNNNN>-<random>.vg, by NNNNN */
	snprintf(dir, sizeof(dir), "%s/archive", c->env.confdir);
	if ((d = opendir(dir))) {
		size_t vl = strlen(vg);

		while ((de = readdir(d))) {
			const char *s = de->d_name;
			char *end;
			unsigned long idx;
			struct archive *g;

			if (strncmp(s, vg, vl) || s[vl] != '_' || !strchr(s + vl, '-'))
				continue;
			idx = strtoul(s + vl + 1, &end, 10);
			if (*end != '-' || strlen(end) < 4 || strcmp(end + strlen(end) - 3, ".vg"))
				continue;
			if (!(g = realloc(a, (n + 1) * sizeof(*a))))
				break;
			a = g;
			a[n].index = idx;
			if (asprintf(&a[n].path, "%s/%s", dir, s) < 0)
				break;
			n++;
		}
		closedir(d);
	}
	if (!n)
		printf("  No archives found in %s.\n", dir);
	qsort(a, n, sizeof(*a), by_index);
	for (unsigned i = 0; i < n; i++) {
		show(a[i].path);
		free(a[i].path);
	}
	free(a);
	snprintf(path, sizeof(path), "%s/backup/%s", c->env.confdir, vg);
	if (!stat(path, &st))
		show(path);
	return 0;
}
