/* vgck, vgcfgbackup, vgcfgrestore: a VG's metadata checked, written to a
 * backup file, and put back from one (the archive's listing:
 * lvm_archive.c). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/lvm_each.h"
#include "lvm/activate.h"
#include "lvm/segtype.h"

/* The VG names of the arguments, or every VG. */
static int each_vg(struct lvm_cmd *c, int argc, char **argv, const char ***names, unsigned *n)
{
	struct err e = { { 0 } };

	if (argc) {
		*names = calloc((size_t)argc, sizeof(**names));
		if (!*names)
			return lvm_fail("out of memory");
		for (int i = 0; i < argc; i++)
			(*names)[i] = argv[i];
		*n = (unsigned)argc;
		return 0;
	}
	return lvm_vg_names(&c->env, names, n, &e) ? lvm_fail("%s", e.msg) : 0;
}

int lvm_vgck(void *ctx, int argc, char **argv)
{
	struct lvm_cmd *c = ctx;
	const char **names;
	unsigned n;
	int ret = 0, r;
	bool update = opt_set(c, R_UPDATEMETADATA);

	if ((r = lvm_setup(c, update)) || (r = each_vg(c, argc, argv, &names, &n)))
		return r;
	for (unsigned i = 0; i < n; i++) {
		struct err e = { { 0 } };
		struct vgh h = { .lock_fd = -1 };
		unsigned fixed;

		if (lvm_vg_read(&c->env, names[i], &h, &e)) {
			ret = lvm_fail("%s", e.msg);
		} else if (h.missing) {
			ret = lvm_fail("The volume group %s is missing %u physical volume(s).", names[i], h.missing);
		} else if (update) {
			if (lvm_vg_update_metadata(&c->env, &h, &fixed, &e))
				ret = lvm_fail("%s", e.msg);
			else if (fixed)
				printf("  Repaired %u metadata area%s of VG %s.\n", fixed, fixed > 1 ? "s" : "",
				       names[i]);
		} else if (h.damaged) {
			/* lvm2 says so and goes on (exit 0): the other copies serve */
			fprintf(stderr, "  WARNING: %s\n", h.damage.msg);
		}
		lvm_vg_release(&h);
	}
	free(names);
	return ret;
}

int lvm_vgcfgbackup(void *ctx, int argc, char **argv)
{
	struct lvm_cmd *c = ctx;
	const char **names;
	unsigned n;
	int ret = 0, r;

	if ((r = lvm_setup(c, false)) || (r = each_vg(c, argc, argv, &names, &n)))
		return r;
	if (opt_set(c, R_FILE) && n > 1) {
		free(names);
		return lvm_fail("One volume group at a time with --file.");
	}
	for (unsigned i = 0; i < n; i++) {
		struct err e = { { 0 } };
		struct vgh h = { .lock_fd = -1 };
		char path[PATH_MAX + LVM_NAME_LEN + 16];

		if (lvm_vg_read(&c->env, names[i], &h, &e)) {
			ret = lvm_fail("%s", e.msg);
			continue;
		}
		if (opt_set(c, R_FILE))
			snprintf(path, sizeof(path), "%s", opt_val(c, R_FILE));
		else
			snprintf(path, sizeof(path), "%s/backup/%s", c->env.confdir, names[i]);
		if (!opt_set(c, R_FILE)) {
			char dir[PATH_MAX + 16];

			snprintf(dir, sizeof(dir), "%s/backup", c->env.confdir);
			mkdir(c->env.confdir, 0700);
			mkdir(dir, 0700);
		}
		if (lvm_vg_backup_to(&c->env, &h, path, &e))
			ret = lvm_fail("%s", e.msg);
		else
			printf("  Volume group \"%s\" successfully backed up.\n", names[i]);
		lvm_vg_release(&h);
	}
	free(names);
	return ret;
}

/* An LV served now (by this ulvmd, or mapped by any) whose extents the
 * restored metadata drops or moves would be left writing over extents the
 * VG may give to another LV: refused as lvm2 does for active LVs, unless
 * --force. */
static bool same_mapping(const struct vg_lv *a, const struct vg_lv *b)
{
	if (a->nseg != b->nseg)
		return false;
	for (unsigned i = 0; i < a->nseg; i++) {
		const struct lv_seg *x = &a->seg[i], *y = &b->seg[i];

		if (x->le != y->le || x->len != y->len || x->striped != y->striped || x->narea != y->narea ||
		    x->stripe_size != y->stripe_size)
			return false;
		for (unsigned k = 0; k < x->narea; k++)
			if (x->area[k].pe != y->area[k].pe || !x->area[k].pv != !y->area[k].pv ||
			    strcmp(x->area[k].pv ? x->area[k].pv->id : x->area[k].lv->name,
				   y->area[k].pv ? y->area[k].pv->id : y->area[k].lv->name))
				return false;
	}
	return true;
}

static int restore_check_active(struct lvm_cmd *c, const struct vg *cur, const struct vg *to)
{
	struct dmctl d = { 0 };
	unsigned n = 0;
	char names[512] = "";

	for (unsigned l = 0; l < cur->nlv; l++) {
		const struct vg_lv *lv = cur->lv[l], *nl = NULL;

		if (!lv_is_active(c, &d, cur, lv) && lv_extents_claimed(cur, lv) != 1)
			continue;
		for (unsigned k = 0; k < to->nlv && !nl; k++)
			if (!strcmp(to->lv[k]->id, lv->id))
				nl = to->lv[k];
		if (nl && same_mapping(lv, nl))
			continue;
		n++;
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", n > 1 ? ", " : "", lv->name);
	}
	dmctl_close(&d);
	if (!n)
		return 0;
	if (opt_set(c, R_FORCE)) {
		fprintf(stderr, "  WARNING: restoring %s over %u active logical volume(s) it drops or moves: %s.\n",
			cur->name, n, names);
		return 0;
	}
	return lvm_fail("Cannot restore Volume Group %s with %u active logical volume(s) whose extents it drops or "
			"moves (%s): deactivate them first, or --force.", cur->name, n, names);
}

int lvm_vgcfgrestore(void *ctx, int argc, char **argv)
{
	struct lvm_cmd *c = ctx;
	struct err e = { { 0 } };
	struct vgh h = { .lock_fd = -1 }, cur = { .lock_fd = -1 };
	struct cfg_tree *t = NULL;
	struct cfg_node *v;
	char path[PATH_MAX + LVM_NAME_LEN + 16];
	int r = 0;

	if (opt_set(c, R_LIST) && (argc || opt_set(c, R_FILE)))
		return (r = lvm_setup(c, false)) ? r
						 : lvm_vgcfg_list(c, argc ? argv[0] : NULL,
								  opt_set(c, R_FILE) ? opt_val(c, R_FILE) : NULL);
	if (argc != 1)
		return lvm_no_syntax(c);
	if ((r = lvm_setup(c, true)))
		return r;
	if (opt_set(c, R_FILE))
		snprintf(path, sizeof(path), "%s", opt_val(c, R_FILE));
	else
		snprintf(path, sizeof(path), "%s/backup/%s", c->env.confdir, argv[0]);
	if (lvm_backup_read(path, &t, &v, &e)) {
		r = lvm_fail("%s", e.msg);
		goto out;
	}
	if (vg_import(v, &h.vg, &e)) {
		r = lvm_fail("%s: %s", path, e.msg);
		goto out;
	}
	if (strcmp(h.vg->name, argv[0])) {
		r = lvm_fail("VG name mismatch: file has %s, not %s.", h.vg->name, argv[0]);
		goto out;
	}
	for (unsigned l = 0; l < h.vg->nlv && !opt_set(c, R_FORCE); l++)
		for (unsigned s = 0; s < h.vg->lv[l]->nseg; s++)
			if (h.vg->lv[l]->seg[s].st->flags & SEGTYPE_OUTSIDE) { /* lvm2 asks this of thin */
				r = lvm_fail("Consider using option --force to restore Volume Group %s with thin volumes.",
					     h.vg->name);
				goto out;
			}
	h.max_seqno = h.vg->seqno;
	/* lock the VG; an existing copy on disk is archived and outnumbered */
	if (!lvm_vg_read(&c->env, argv[0], &cur, &e)) {
		if ((r = restore_check_active(c, cur.vg, h.vg)))
			goto out;
		h.old_text = cur.old_text;
		cur.old_text = NULL;
		if (cur.max_seqno > h.max_seqno)
			h.max_seqno = cur.max_seqno;
		h.lock_fd = cur.lock_fd;
		cur.lock_fd = -1;
	} else {
		err_clear(&e);
		if (lvm_lock(&c->env, "V_restore", true, &h.lock_fd, &e)) {
			r = lvm_fail("%s", e.msg);
			goto out;
		}
	}
	for (unsigned i = 0; i < h.vg->npv; i++) {
		struct vg_pv *p = h.vg->pv[i];

		for (unsigned d = 0; d < c->env.ndev && !p->pv; d++)
			if (c->env.dev[d].pv && !strcmp(c->env.dev[d].pv->label.pv_uuid, p->id)) {
				p->pv = c->env.dev[d].pv;
				p->path = strdup(c->env.dev[d].path);
			}
		if (!p->pv) {
			char id[LVM_ID_TEXT_LEN + 1];

			lvm_id_format(p->id, id);
			r = lvm_fail("Couldn't find device with uuid %s.\n  Cannot restore Volume Group %s with 1 PVs marked as missing.",
				     id, h.vg->name);
			goto out;
		}
	}
	if (lvm_vg_commit(&c->env, &h, &e)) {
		r = lvm_fail("%s", e.msg);
		goto out;
	}
	printf("  Restored volume group %s.\n", h.vg->name);
out:
	lvm_vg_release(&cur);
	lvm_vg_release(&h);
	cfg_tree_free(t);
	return r;
}
