/* vgcreate, vgextend, vgreduce, vgremove, vgrename, vgexport, vgimport,
 * vgchange (vgck, vgcfgbackup and vgcfgrestore: lvm_vgcfg.c). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/lvm_each.h"
#include "cli/lvm_pv.h"
#include "common/args.h"
#include "lvm/activate.h"
#include "lvm/alloc.h"
#include "lvm/lvref.h"
#include "lvm/poll.h"
#include "lvm/report_lvm.h"
#include "lvm/segtype.h"

/* Add the orphan PV of @d to @vg. */
static int add_pv(struct vg *vg, struct lvm_dev *d)
{
	struct err e = { { 0 } };
	struct vg_pv *p;
	const struct pv_label *l = &d->pv->label;

	if (vg_add_pv(vg, &p, &e))
		return lvm_fail("%s", e.msg);
	memcpy(p->id, l->pv_uuid, sizeof(p->id));
	p->pv = d->pv;
	if (!(p->path = strdup(d->path)))
		return lvm_fail("out of memory");
	p->status = FLAG(PVF_ALLOCATABLE);
	p->has_dev_size = true;
	p->dev_size = l->device_size / 512;
	p->pe_start = l->n_data ? l->data[0].offset / 512 : 2048;
	p->pe_count = (uint32_t)pv_pe_count(d->pv, p->pe_start * 512, vg->extent_size);
	if (l->n_ba) {
		p->has_ba = true;
		p->ba_start = l->ba[0].offset / 512;
		p->ba_size = l->ba[0].size / 512;
	}
	if (!p->pe_count)
		return lvm_fail("Physical volume %s is too small for one extent of %u sectors.", d->path,
				vg->extent_size);
	return 0;
}

/* lvm2's vg_extend check of MaxPhysicalVolumes before PV @name joins. */
static int pv_room(const struct vg *vg, const char *name)
{
	if (!vg->max_pv || vg->npv < vg->max_pv)
		return 0;
	return lvm_fail("No space for '%s' - volume group '%s' holds max %u physical volume(s).\n"
			"  PV %s cannot be added to VG %s.", name, vg->name, vg->max_pv, name, vg->name);
}

int lvm_vgcreate(void *ctx, int argc, char **argv)
{
	struct lvm_cmd *c = ctx;
	struct pv_create_opts o;
	struct err e = { { 0 } };
	struct vgh h = { .lock_fd = -1 };
	struct vg *vg = NULL;
	uint64_t es = 8192, max_lv = 0, max_pv = 0;
	int lock = -1, r;

	if ((r = lvm_pv_opts(c, &o)) || (r = lvm_setup(c, true)))
		return r;
	if (opt_set(c, C_PESIZE)) {
		char sign;

		if (lvm_parse_size(opt_val(c, C_PESIZE), 'm', &sign, &es, &e) || sign || !es ||
		    es > UINT32_MAX || (!is_pow2_u64(es) && es % 256))
			return lvm_fail("Invalid argument for --physicalextentsize: %s", opt_val(c, C_PESIZE));
	}
	if (opt_set(c, C_MAXLVS) && (parse_u64(opt_val(c, C_MAXLVS), &max_lv) || max_lv > UINT32_MAX))
		return lvm_fail("Invalid argument for --maxlogicalvolumes: %s", opt_val(c, C_MAXLVS));
	if (opt_set(c, C_MAXPV) && (parse_u64(opt_val(c, C_MAXPV), &max_pv) || max_pv > UINT32_MAX))
		return lvm_fail("Invalid argument for --maxphysicalvolumes: %s", opt_val(c, C_MAXPV));
	if (!lvm_name_valid(argv[0]))
		return lvm_fail("New volume group name \"%s\" is invalid.", argv[0]);
	if (vg_new(argv[0], (uint32_t)es, &vg, &e))
		return lvm_fail("%s", e.msg);
	vg->max_lv = (uint32_t)max_lv;
	vg->max_pv = (uint32_t)max_pv;
	if ((opt_set(c, C_VGMDCOPIES) || opt_set(c, C_MDCOPIES)) && (r = lvm_vg_mda_copies_opt(c, &vg->metadata_copies))) {
		vg_free(vg);
		return r;
	}
	if (lvm_lock(&c->env, "P_global", true, &lock, &e)) {
		vg_free(vg);
		return lvm_fail("%s", e.msg);
	}
	if (lvm_vg_create(&c->env, vg, &h, &e)) {
		vg_free(vg);
		r = lvm_fail("%s", e.msg);
		goto out;
	}
	if ((opt_set(c, C_SETAUTOACT) && (r = lvm_set_autoactivation(c, &vg->status, FLAG(VGF_NOAUTOACTIVATE)))) ||
	    (r = lvm_apply_tags(c, &vg->tags)))
		goto out;
	/* lvm2 gives a new VG the local system ID (or the one asked for) */
	if (opt_set(c, C_SYSTEMID) ? *opt_val(c, C_SYSTEMID) != 0 : c->env.system_id[0] != 0)
		vg->system_id = strdup(opt_set(c, C_SYSTEMID) ? opt_val(c, C_SYSTEMID) : c->env.system_id);
	if (opt_set(c, C_ALLOC) && strcmp(opt_val(c, C_ALLOC), "normal")) {
		enum alloc_policy p;

		if (alloc_policy_parse(opt_val(c, C_ALLOC), &p, &e)) {
			r = lvm_fail("%s", e.msg);
			goto out;
		}
		vg->alloc = strdup(opt_val(c, C_ALLOC));
	}
	for (int i = 1; i < argc; i++) {
		struct lvm_dev *d;

		if ((r = pv_room(vg, argv[i])) || (r = lvm_pv_orphan(c, argv[i], &o, &d)) || (r = add_pv(vg, d)))
			goto out;
	}
	if (lvm_vg_commit(&c->env, &h, &e)) {
		r = lvm_fail("%s", e.msg);
		goto out;
	}
	printf("  Volume group \"%s\" successfully created\n", vg->name);
out:
	lvm_vg_release(&h);
	lvm_unlock(lock);
	return r;
}

/* vgextend --restoremissing (lvm2's _restore_pv): the PVs named, back
 * but marked missing, are used again; the other missing ones keep their
 * flag (a partial commit). */
static int restore_missing(struct vgh *h, int argc, char **argv)
{
	unsigned fixed = 0;

	for (int i = 0; i < argc; i++) {
		char real[PATH_MAX];
		struct vg_pv *p = NULL;

		if (!lvm_canon_path(argv[i], real, sizeof(real)))
			for (unsigned k = 0; k < h->vg->npv && !p; k++) {
				struct vg_pv *q = h->vg->pv[k];

				if ((q->path && !strcmp(q->path, real)) || (q->stale_path && !strcmp(q->stale_path, real)))
					p = q;
			}
		if (!p)
			fprintf(stderr, "  WARNING: PV %s not found in VG %s\n", argv[i], h->vg->name);
		else if (lvm_vg_restore_missing(h, p))
			fprintf(stderr, "  WARNING: PV %s was not missing in VG %s\n", argv[i], h->vg->name);
		else
			fixed++;
	}
	if (!fixed)
		return lvm_fail("No PV has been restored.");
	h->partial = true;
	return 0;
}

int lvm_vgextend(void *ctx, int argc, char **argv)
{
	struct lvm_cmd *c = ctx;
	struct pv_create_opts o;
	struct err e = { { 0 } };
	struct vgh h = { .lock_fd = -1 };
	int lock = -1, r;

	if ((r = lvm_pv_opts(c, &o)) || (r = lvm_setup(c, true)))
		return r;
	if (lvm_lock(&c->env, "P_global", true, &lock, &e))
		return lvm_fail("%s", e.msg);
	if (lvm_vg_read(&c->env, argv[0], &h, &e)) {
		r = lvm_fail("%s", e.msg);
		goto out;
	}
	if (opt_set(c, C_RESTOREMISSING)) {
		if ((r = restore_missing(&h, argc - 1, argv + 1)))
			goto out;
	} else {
		if ((r = lvm_vg_resizeable(h.vg)))
			goto out;
		for (int i = 1; i < argc; i++) {
			struct lvm_dev *d;

			if ((r = pv_room(h.vg, argv[i])) || (r = lvm_pv_orphan(c, argv[i], &o, &d)) ||
			    (r = add_pv(h.vg, d)))
				goto out;
		}
	}
	if (lvm_vg_commit(&c->env, &h, &e)) {
		r = lvm_fail("%s", e.msg);
		goto out;
	}
	printf("  Volume group \"%s\" successfully extended\n", h.vg->name);
out:
	lvm_vg_release(&h);
	lvm_unlock(lock);
	return r;
}

/* A PV leaving its VG: no metadata, no "used" flag. */
static void make_orphan(struct pv *p)
{
	struct err e = { { 0 } };

	for (unsigned j = 0; j < p->nmda; j++)
		if (!p->mda[j].status)
			mda_clear(p->dev, &p->mda[j].hdr, &e);
	pv_set_in_use(p, false, &e);
}

/* The LV that @lv is a part of (a mirror's leg, a pool's data LV: what
 * uses it, up to one that nothing uses). */
static struct vg_lv *top_of(const struct vg *vg, struct vg_lv *lv)
{
	struct vg_lv *u;

	for (unsigned k = 0; k < vg->nlv && (u = lv_first_user(vg, lv, NULL)); k++)
		lv = u;
	return lv;
}

/* What --force does with the LV that @lv (on a missing PV) is part of:
 * its type's missing hook, asked of the LV at the top (*@top). */
static enum seg_missing missing_action(const struct vg *vg, struct vg_lv *lv, struct vg_lv **top)
{
	const struct segtype *st;

	*top = top_of(vg, lv);
	st = lv_segtype(*top);
	return *top != lv && st && st->missing ? st->missing(vg, *top) : SEG_MISSING_REMOVE;
}

/* vgreduce --removemissing, as lvm2's _consolidate_vg and, with --force,
 * _make_vg_consistent: without --force, the missing PVs go only if no LV
 * has extents on them (the partial LVs are named, nothing is written);
 * with it, a mirror loses its legs and log there and keeps its data
 * (lvm2's mirror_remove_missing), a raid LV keeps its images there as
 * error LVs (lvm2's lv_raid_remove_missing; lvconvert --repair replaces
 * them), any other LV goes with its sub-LVs.  Every LV is looked at before
 * anything is written; parts of an LV are never removed on their own. */
static int remove_missing(struct lvm_cmd *c, struct dmctl *d, struct vgh *h)
{
	struct err e = { { 0 } };
	const struct vg_lv *repaired[64];
	unsigned nrepaired = 0, npartial = 0;
	bool *partial = calloc(h->vg->nlv + 1, sizeof(*partial));

	if (!partial)
		return lvm_fail("out of memory");
	/* partial, as lvm2's vg_mark_partial_lvs: on a missing PV, or built
	 * on an LV that is (its top, here) */
	for (unsigned l = 0; l < h->vg->nlv; l++)
		for (unsigned i = 0; i < h->vg->npv; i++)
			if (!h->vg->pv[i]->pv && lv_uses_pv(h->vg->lv[l], h->vg->pv[i])) {
				struct vg_lv *top;

				missing_action(h->vg, h->vg->lv[l], &top);
				partial[l] = true;
				for (unsigned k = 0; k < h->vg->nlv; k++)
					partial[k] |= h->vg->lv[k] == top;
				break;
			}
	for (unsigned l = 0; l < h->vg->nlv && !opt_set(c, C_FORCE); l++)
		if (partial[l]) {
			fprintf(stderr, "  WARNING: Partial LV %s needs to be repaired or removed. \n",
				h->vg->lv[l]->name);
			npartial++;
		}
	free(partial);
	if (npartial) {
		lvm_fail("There are still partial LVs in VG %s.", h->vg->name);
		lvm_fail("To remove them unconditionally use: vgreduce --removemissing --force.");
		return LVM_FAILED;
	}
	h->partial = true;
	for (unsigned i = 0; i < h->vg->npv;) {
		struct vg_pv *p = h->vg->pv[i];
		struct vg_lv *lv = NULL, *top, **set;
		enum seg_missing act;
		bool again = false;
		unsigned n;
		int r;

		for (unsigned l = 0; !p->pv && l < h->vg->nlv && !lv; l++)
			if (lv_uses_pv(h->vg->lv[l], p))
				lv = h->vg->lv[l];
		if (p->pv) {
			i++;
			continue;
		}
		if (!lv) {
			vg_remove_pv(h->vg, p);
			continue;
		}
		act = missing_action(h->vg, lv, &top);
		for (unsigned k = 0; k < nrepaired; k++)
			again |= repaired[k] == top;
		/* once per LV: what it leaves on the PV then goes as any LV's */
		if (act == SEG_MISSING_DROP && !again && nrepaired < 64) {
			if ((r = lvm_hooks_remove_missing(c, d, h, top)))
				return r;
			repaired[nrepaired++] = top;
			continue; /* @lv may be gone: look again */
		}
		if (lv_removal_set(h->vg, top, &set, &n, &e))
			return lvm_fail("%s", e.msg);
		fprintf(stderr, "  WARNING: Removing partial LV %s/%s.\n", h->vg->name, top->name);
		printf("  Logical volume \"%s\" successfully removed.\n", top->name);
		for (unsigned k = 0; k < n; k++)
			vg_remove_lv(h->vg, set[k]);
		free(set);
	}
	return 0;
}

int lvm_vgreduce(void *ctx, int argc, char **argv)
{
	struct lvm_cmd *c = ctx;
	struct err e = { { 0 } };
	struct vgh h = { .lock_fd = -1 };
	struct pv *gone[256];
	char names[256][PATH_MAX];
	unsigned ngone = 0;
	int lock = -1, r = 0;

	if ((r = lvm_setup(c, true)))
		return r;
	if (!opt_set(c, C_REMOVEMISSING) && argc < 2 && !opt_set(c, C_ALL))
		return lvm_fail("Please give volume group name and physical volume paths.");
	if (lvm_lock(&c->env, "P_global", true, &lock, &e))
		return lvm_fail("%s", e.msg);
	if (lvm_vg_read(&c->env, argv[0], &h, &e)) {
		r = lvm_fail("%s", e.msg);
		goto out;
	}
	if (opt_set(c, C_REMOVEMISSING)) {
		struct dmctl d = { 0 };

		r = remove_missing(c, &d, &h);
		dmctl_close(&d);
		if (r)
			goto out;
		if (!h.vg->npv) {
			r = lvm_fail("Cannot remove every PV of VG %s.", h.vg->name);
			goto out;
		}
		if (lvm_vg_commit(&c->env, &h, &e)) {
			r = lvm_fail("%s", e.msg);
			goto out;
		}
		printf("  Wrote out consistent volume group %s.\n", h.vg->name);
		goto out;
	}
	if ((r = lvm_vg_resizeable(h.vg)))
		goto out;
	for (unsigned i = 0; i < h.vg->npv && ngone < 256;) {
		struct vg_pv *p = h.vg->pv[i];
		bool named = opt_set(c, C_ALL) && p->pv;

		for (int a = 1; a < argc && p->path; a++) {
			char real[PATH_MAX];

			named |= !lvm_canon_path(argv[a], real, sizeof(real)) && !strcmp(real, p->path);
		}
		if (!named) {
			i++;
			continue;
		}
		if (vg_pv_used(h.vg, p)) {
			if (opt_set(c, C_ALL)) {
				i++;
				continue;
			}
			r = lvm_fail("Physical volume \"%s\" still in use", p->path);
			goto out;
		}
		gone[ngone] = p->pv;
		snprintf(names[ngone++], PATH_MAX, "%s", p->path);
		vg_remove_pv(h.vg, p);
	}
	if (!h.vg->npv) {
		r = lvm_fail("Can't remove final physical volume from volume group \"%s\"", argv[0]);
		goto out;
	}
	if (!ngone) {
		r = lvm_fail("No PV to remove from volume group \"%s\"", argv[0]);
		goto out;
	}
	if (lvm_vg_commit(&c->env, &h, &e)) {
		r = lvm_fail("%s", e.msg);
		goto out;
	}
	for (unsigned i = 0; i < ngone; i++) {
		make_orphan(gone[i]);
		printf("  Removed \"%s\" from volume group \"%s\"\n", names[i], h.vg->name);
	}
out:
	lvm_vg_release(&h);
	lvm_unlock(lock);
	return r;
}

/* What lvm2 says it removed: each visible LV once, in the order its
 * vgremove meets them (vg_lv_order), an LV that others go down with (a
 * pool, its thin LVs) after those others. */
static void print_removed(const struct vg *vg)
{
	struct vg_lv **order = calloc(vg->nlv + 1, sizeof(*order));
	bool *done = calloc(vg->nlv + 1, sizeof(*done));

	if (!order || !done)
		goto out;
	vg_lv_order(vg, order);
	for (unsigned i = 0; i < vg->nlv; i++) {
		const struct vg_lv *lv = order[i];

		for (unsigned k = 0; k < vg->nlv; k++) {
			const struct vg_lv *u = vg->lv[k];
			if (!done[k] && (u->status & FLAG(LVF_VISIBLE)) && lv_cascades_from(vg, u, lv)) {
				printf("  Logical volume \"%s\" successfully removed.\n", u->name);
				done[k] = true;
			}
		}
		for (unsigned k = 0; k < vg->nlv; k++)
			if (vg->lv[k] == lv && !done[k] && (lv->status & FLAG(LVF_VISIBLE))) {
				printf("  Logical volume \"%s\" successfully removed.\n", lv->name);
				done[k] = true;
			}
	}
out:
	free(order);
	free(done);
}

struct worded_users {
	const struct vg_lv *lv;
	const bool *done; /* by the VG's LV index */
	const struct vg *vg;
	unsigned n;
	const char *word;
};

/* Users of x->lv not yet asked about whose key has lvm2's word for it in
 * its question (a pool's thin LVs: "pool"). */
static int count_worded(const struct lv_ref *r, void *data)
{
	struct worded_users *x = data;

	if (r->to != x->lv || r->from == x->lv || !r->dependent || !*r->dependent)
		return 0;
	for (unsigned k = 0; k < x->vg->nlv; k++)
		if (x->vg->lv[k] == r->from && x->done[k])
			return 0;
	x->n++;
	x->word = r->dependent;
	return 0;
}

static int ask_active(struct lvm_cmd *c, struct dmctl *d, const struct vg *vg, const struct vg_lv *lv)
{
	char q[600];

	if (!(lv->status & FLAG(LVF_VISIBLE)) || !lv_is_active(c, d, vg, lv))
		return 0;
	snprintf(q, sizeof(q), "Do you really want to remove active logical volume %s/%s?", vg->name, lv->name);
	return lvm_confirm(c, q) ? 0 : lvm_fail("Logical volume %s/%s not removed.", vg->name, lv->name);
}

/* The questions lvm2's vgremove asks after the VG's, as its lvremove_single
 * meets the LVs (vg_lv_order, lv_remove_with_dependencies): for a pool
 * with thin LVs "Removing pool VG/POOL will remove N dependent
 * volume(s). Proceed?", then about each active LV that goes with it and
 * about it.  All are asked before anything is removed. */
static int vgremove_questions(struct lvm_cmd *c, struct dmctl *d, const struct vg *vg)
{
	struct vg_lv **order = calloc(vg->nlv + 1, sizeof(*order));
	bool *done = calloc(vg->nlv + 1, sizeof(*done));
	int r = 0;

	if (!order || !done) {
		free(order);
		free(done);
		return lvm_fail("out of memory");
	}
	vg_lv_order(vg, order);
	for (unsigned i = 0; i < vg->nlv && !r; i++) {
		struct worded_users x = { .lv = order[i], .done = done, .vg = vg };
		unsigned self = 0;
		char q[600];

		for (unsigned k = 0; k < vg->nlv; k++)
			if (vg->lv[k] == order[i])
				self = k;
		if (done[self])
			continue;
		lv_refs_each(vg, NULL, count_worded, &x);
		if (x.n) {
			snprintf(q, sizeof(q), "Removing %s %s/%s will remove %u dependent volume(s). Proceed?", x.word,
				 vg->name, order[i]->name, x.n);
			if (!lvm_confirm(c, q))
				r = lvm_fail("Logical volume %s/%s not removed.", vg->name, order[i]->name);
		}
		for (unsigned k = 0; k < vg->nlv && !r; k++)
			if (!done[k] && k != self && lv_cascades_from(vg, vg->lv[k], order[i])) {
				r = ask_active(c, d, vg, vg->lv[k]);
				done[k] = true;
			}
		if (!r)
			r = ask_active(c, d, vg, order[i]);
		done[self] = true;
	}
	free(order);
	free(done);
	return r;
}

/* vgremove.c's _vgremove_single(): asks about a VG with (visible) LVs
 * and about each active one, unless -f or -y. */
static int vgremove_one(struct lvm_cmd *c, struct vgh *h, void *arg)
{
	struct dmctl *d = arg;
	struct err e = { { 0 } };
	struct vg *vg = h->vg;
	struct vg_lv **order;
	bool ask = !opt_set(c, C_FORCE);
	unsigned visible = vg_visible_lvs(vg);
	char q[600];
	int r;

	if (visible && ask) {
		if (h->missing && !opt_set(c, C_YES))
			fprintf(stderr, "  WARNING: %u physical volumes are currently missing from the system.\n",
				h->missing);
		snprintf(q, sizeof(q), "Do you really want to remove volume group \"%s\" containing %u logical volumes?",
			 vg->name, visible);
		if (!lvm_confirm(c, q))
			return lvm_fail("Volume group \"%s\" not removed", vg->name);
	}
	for (unsigned l = 0; l < vg->nlv; l++)
		if (!lv_is_active(c, d, vg, vg->lv[l]) && lv_extents_claimed(vg, vg->lv[l]) == 1)
			return lvm_fail("Logical volume %s/%s in use: a ulvmd that this command does not reach "
					"maps its extents; deactivate it there first.", vg->name, vg->lv[l]->name);
	if (ask && (r = vgremove_questions(c, d, vg)))
		return r;
	if (!(order = calloc(vg->nlv ? vg->nlv : 1, sizeof(*order))))
		return lvm_fail("out of memory");
	vg_lv_users_first(vg, order);
	for (unsigned l = 0; l < vg->nlv; l++)
		if (lv_deactivate(c, d, vg, order[l], &e)) {
			free(order);
			return lvm_fail("%s", e.msg);
		}
	free(order);
	if (lvm_vg_wipe(&c->env, h, &e))
		return lvm_fail("%s", e.msg);
	print_removed(vg);
	printf("  Volume group \"%s\" successfully removed\n", vg->name);
	return 0;
}

int lvm_vgremove(void *ctx, int argc, char **argv)
{
	struct lvm_cmd *c = ctx;
	struct dmctl d = { 0 };
	struct lvm_each how = { .vg = vgremove_one, .arg = &d, .foreign = true };
	int r;

	if (!argc && !opt_set(c, C_SELECT)) {
		lvm_fail("Please enter one or more volume group paths or use --select for selection.");
		return LVM_EINVALID;
	}
	if ((r = lvm_setup(c, true)) || (r = lvm_sel_init(c, C_SELECT, &report_lvm_vgs, &how.sel)))
		return r;
	r = lvm_each_vg(c, argc, argv, &how);
	lvm_sel_free(how.sel);
	dmctl_close(&d);
	return r;
}

int lvm_vgrename(void *ctx, int argc, char **argv)
{
	struct lvm_cmd *c = ctx;
	struct dmctl d = { 0 };
	struct err e = { { 0 } };
	struct vgh h = { .lock_fd = -1 };
	const char **names, *old = argv[0], *byid = NULL, *found;
	unsigned n;
	int lock = -1, r;
	char name[LVM_NAME_LEN + 8], vgid[LVM_ID_LEN + 1], oldname[LVM_NAME_LEN + 1];
	bool named = false;
	struct vg_renames rn = { 0 };

	(void)argc;
	if ((r = lvm_setup(c, true)))
		return r;
	if (!lvm_name_valid(argv[1]))
		return lvm_fail("New volume group name \"%s\" is invalid", argv[1]);
	if (lvm_vg_names(&c->env, &names, &n, &e))
		return lvm_fail("%s", e.msg);
	for (unsigned i = 0; i < n; i++) {
		if (!strcmp(names[i], argv[1])) {
			free(names);
			return lvm_fail("New volume group \"%s\" already exists", argv[1]);
		}
		named |= !strcmp(names[i], argv[0]);
	}
	free(names);
	/* lvm2: the old VG may be given by its UUID, the way to rename one of
	 * two VGs that share a name */
	if (!named && !lvm_id_parse(argv[0], vgid, &e) && (found = lvm_vg_name_of_id(&c->env, vgid))) {
		snprintf(oldname, sizeof(oldname), "%s", found); /* the scan's text is read again below */
		old = oldname;
		printf("  Processing VG %s because of matching UUID %s\n", old, argv[0]);
		byid = vgid;
	}
	err_clear(&e);
	snprintf(name, sizeof(name), "V_%s", argv[1]);
	if (lvm_lock(&c->env, name, true, &lock, &e))
		return lvm_fail("%s", e.msg);
	if (lvm_vg_read_id(&c->env, old, byid, &h, &e)) {
		r = lvm_fail("%s", e.msg);
		goto out;
	}
	/* Every active device of the VG (LVs, sub-LVs, pool layers) is
	 * renamed after the commit (vg-..., vg/...); a name taken refuses
	 * the rename before anything changes. */
	if (vg_rename_prepare(c, &d, h.vg, argv[1], &rn, &e)) {
		r = lvm_fail("%s", e.msg);
		goto out;
	}
	free(h.vg->name);
	if (!(h.vg->name = strdup(argv[1]))) {
		r = lvm_fail("out of memory");
		goto out;
	}
	if (lvm_vg_commit(&c->env, &h, &e)) {
		r = lvm_fail("%s", e.msg);
		goto out;
	}
	if (vg_rename_apply(&d, &rn, &e))
		r = lvm_fail("%s (the metadata is renamed)", e.msg);
	if (!r)
		printf("  Volume group \"%s\" successfully renamed to \"%s\"\n", old, argv[1]);
out:
	vg_renames_free(&rn);
	dmctl_close(&d);
	lvm_vg_release(&h);
	lvm_unlock(lock);
	return r;
}

/* vgexport: no host uses the VG until vgimport (export.c: EXPORTED on the
 * VG and its PVs, the system ID cleared); vgimport undoes it and gives
 * the VG the local system ID.  An active LV keeps a VG from export. */
int lvm_vgexport(void *ctx, int argc, char **argv)
{
	struct lvm_cmd *c = ctx;
	bool import = !strcmp(c->verb, "vgimport");
	struct dmctl d = { 0 };
	int ret = 0, r;

	if ((r = lvm_setup(c, true)))
		return r;
	c->env.importing = import; /* after lvm_setup, which resets the env */
	for (int i = 0; i < argc; i++) {
		struct err e = { { 0 } };
		struct vgh h = { .lock_fd = -1 };
		bool exported, busy = false;

		if (lvm_vg_read(&c->env, argv[i], &h, &e)) {
			ret = lvm_fail("%s", e.msg);
			continue;
		}
		exported = h.vg->status & FLAG(VGF_EXPORTED);
		for (unsigned l = 0; l < h.vg->nlv && !import; l++)
			busy |= lv_is_active(c, &d, h.vg, h.vg->lv[l]) || lv_extents_claimed(h.vg, h.vg->lv[l]) == 1;
		if (import && !exported) {
			ret = lvm_fail("Volume group \"%s\" is not exported", argv[i]);
		} else if (busy) {
			ret = lvm_fail("Volume group \"%s\" has active logical volumes", argv[i]);
		} else {
			free(h.vg->system_id);
			h.vg->system_id = import && c->env.system_id[0] ? strdup(c->env.system_id) : NULL;
			h.vg->status = import ? h.vg->status & ~FLAG(VGF_EXPORTED) : h.vg->status | FLAG(VGF_EXPORTED);
			for (unsigned p = 0; p < h.vg->npv; p++)
				h.vg->pv[p]->status = import ? h.vg->pv[p]->status & ~FLAG(PVF_EXPORTED)
							     : h.vg->pv[p]->status | FLAG(PVF_EXPORTED);
			if (lvm_vg_commit(&c->env, &h, &e))
				ret = lvm_fail("%s", e.msg);
			else
				printf("  Volume group \"%s\" successfully %s\n", argv[i], import ? "imported" : "exported");
		}
		lvm_vg_release(&h);
	}
	dmctl_close(&d);
	return ret;
}

struct vgchange {
	struct dmctl d;
	bool on, autoact, named;
	struct lvm_poll_seen seen;
};

/* --systemid ID (the host that owns the VG from now on; lvm2 warns that
 * another host's ID makes the VG foreign here), --setautoactivation y|n,
 * --addtag/--deltag: one commit. */
static int vgchange_meta(struct lvm_cmd *c, struct dmctl *d, struct vgh *h)
{
	const char *id = opt_set(c, C_SYSTEMID) ? opt_val(c, C_SYSTEMID) : NULL;
	struct vg *vg = h->vg;
	struct err e = { { 0 } };
	unsigned visible = vg_visible_lvs(vg);
	uint64_t v;
	int r;

	/* lvm2's order: -l, -p, -x, then the rest */
	if (opt_set(c, C_MAXLV)) {
		if (parse_u64(opt_val(c, C_MAXLV), &v) || v > UINT32_MAX)
			return lvm_fail("Invalid argument for --logicalvolume: %s", opt_val(c, C_MAXLV));
		if (!(vg->status & FLAG(VGF_RESIZEABLE)))
			return lvm_fail("Volume group \"%s\" must be resizeable to change MaxLogicalVolume", vg->name);
		if (v && v < visible)
			return lvm_fail("MaxLogicalVolume is less than the current number %u of LVs for %s", visible,
					vg->name);
		vg->max_lv = (uint32_t)v;
	}
	if (opt_set(c, C_MAXPV)) {
		if (parse_u64(opt_val(c, C_MAXPV), &v) || v > UINT32_MAX)
			return lvm_fail("Invalid argument for --maxphysicalvolumes: %s", opt_val(c, C_MAXPV));
		if (!(vg->status & FLAG(VGF_RESIZEABLE)))
			return lvm_fail("Volume group \"%s\" must be resizeable to change MaxPhysicalVolumes", vg->name);
		if (v && v < vg->npv)
			return lvm_fail("MaxPhysicalVolumes is less than the current number %u of PVs for \"%s\"",
					vg->npv, vg->name);
		vg->max_pv = (uint32_t)v;
	}
	if (opt_set(c, C_RESIZEABLE)) {
		bool want = opt_val(c, C_RESIZEABLE)[0] == 'y', now = vg->status & FLAG(VGF_RESIZEABLE);

		if (want == now)
			return lvm_fail("Volume group \"%s\" is already %sresizeable", vg->name, now ? "" : "not ");
		vg->status ^= FLAG(VGF_RESIZEABLE);
	}
	if (opt_set(c, C_NEWUUID)) {
		/* an active LV's device names the VG uuid (LVM-<vg><lv>) */
		if (lvm_vg_lv_in_use(c, d, h->vg))
			return lvm_fail("Volume group has active logical volumes");
		if (lvm_id_create(h->vg->id, &e))
			return lvm_fail("%s", e.msg);
	}
	if (opt_set(c, C_ALLOC)) {
		const char *want = opt_val(c, C_ALLOC), *now = h->vg->alloc ? h->vg->alloc : "normal";
		enum alloc_policy p;

		if (alloc_policy_parse(want, &p, &e))
			return lvm_fail("%s", e.msg);
		if (!strcmp(want, now))
			return lvm_fail("Volume group allocation policy is already %s", now);
		free(h->vg->alloc);
		h->vg->alloc = strcmp(want, "normal") ? strdup(want) : NULL;
	}
	if (opt_set(c, C_VGMDCOPIES) || opt_set(c, C_MDCOPIES)) {
		uint32_t n;

		if ((r = lvm_vg_mda_copies_opt(c, &n)))
			return r;
		if (n == vg->metadata_copies) {
			fflush(stdout);
			if (n)
				fprintf(stderr, "  Number of metadata copies for VG %s is already %u.\n", vg->name, n);
			else
				fprintf(stderr, "  Number of metadata copies for VG %s is already unmanaged.\n", vg->name);
		}
		vg->metadata_copies = n; /* balanced at the commit */
	}

	if (id && *id && strcmp(id, c->env.system_id))
		fprintf(stderr, "  WARNING: Requested system ID %s does not match local system ID %s.\n"
			"  WARNING: Volume group %s might become inaccessible from this machine.\n", id,
			c->env.system_id[0] ? c->env.system_id : "(none)", h->vg->name);
	if (id) {
		free(h->vg->system_id);
		if (!(h->vg->system_id = strdup(id)))
			return lvm_fail("out of memory");
	}
	if ((opt_set(c, C_SETAUTOACT) && (r = lvm_set_autoactivation(c, &h->vg->status, FLAG(VGF_NOAUTOACTIVATE)))) ||
	    (r = lvm_apply_tags(c, &h->vg->tags)))
		return r;
	if (lvm_vg_commit(&c->env, h, &e))
		return lvm_fail("%s", e.msg);
	printf("  Volume group \"%s\" successfully changed\n", h->vg->name);
	return 0;
}

/* vgchange options that change the VG's text. */
static bool vgchange_meta_wanted(const struct lvm_cmd *c)
{
	return opt_set(c, C_SYSTEMID) || opt_set(c, C_SETAUTOACT) || lvm_tags_given(c) || opt_set(c, C_NEWUUID) ||
	       opt_set(c, C_ALLOC) || opt_set(c, C_RESIZEABLE) || opt_set(c, C_MAXLV) || opt_set(c, C_MAXPV) ||
	       opt_set(c, C_VGMDCOPIES) || opt_set(c, C_MDCOPIES);
}

static int vgchange_one(struct lvm_cmd *c, struct vgh *h, void *arg)
{
	struct vgchange *x = arg;
	struct err e = { { 0 } };
	struct vg_lv **order;
	unsigned active = 0;
	int ret = 0;

	if (vgchange_meta_wanted(c) && (ret = vgchange_meta(c, &x->d, h)))
		return ret;
	if (opt_set(c, C_REFRESH)) /* lvm2's vg_refresh_visible: each active LV's tables loaded again */
		for (unsigned l = 0; l < h->vg->nlv; l++) {
			const struct vg_lv *lv = h->vg->lv[l];

			err_clear(&e);
			if (lv_listed(h->vg, lv) && lv_is_active(c, &x->d, h->vg, lv) &&
			    lvm_lv_refresh(&c->env, &x->d, h->vg, lv, &e))
				ret = lvm_fail("%s", e.msg);
		}
	if (!opt_set(c, C_ACTIVATE))
		return ret;
	if (x->on && lvm_vg_access(&c->env, h->vg, "activate", &e))
		/* named: say why; all VGs: another host's are passed over, as lvm2 */
		return x->named ? lvm_fail("%s", e.msg) : 0;
	if (!(order = calloc(h->vg->nlv ? h->vg->nlv : 1, sizeof(*order))))
		return lvm_fail("out of memory");
	if (x->on)
		memcpy(order, h->vg->lv, h->vg->nlv * sizeof(*order));
	else /* users first: a thin LV lets go of its external origin */
		vg_lv_users_first(h->vg, order);
	for (unsigned l = 0; l < h->vg->nlv; l++) {
		const struct vg_lv *lv = order[l];

		if (!lv_listed(h->vg, lv)) /* what lvs lists: an old snapshot by its COW LV */
			continue;
		err_clear(&e);
		if (x->on && lv_skip_activation(c, h->vg, lv, x->autoact))
			;
		else if (x->on && lv_activate(c, &x->d, h->vg, lv, &e))
			ret = lvm_fail("%s", e.msg);
		else if (!x->on && lv_deactivate(c, &x->d, h->vg, lv, &e))
			ret = lvm_fail("%s", e.msg);
		active += lv_is_active(c, &x->d, h->vg, lv);
	}
	free(order);
	printf("  %u logical volume(s) in volume group \"%s\" now active\n", active, h->vg->name);
	if (x->on)
		lv_poll(c, &x->d, h->vg, &x->seen);
	return ret;
}

int lvm_vgchange(void *ctx, int argc, char **argv)
{
	struct lvm_cmd *c = ctx;
	struct vgchange x = { .d = { 0 }, .named = argc > 0 };
	struct lvm_each how = { .vg = vgchange_one, .arg = &x, .foreign = true };
	bool meta = vgchange_meta_wanted(c);
	int r;

	if (!opt_set(c, C_ACTIVATE) && !opt_set(c, C_REFRESH) && !meta)
		return lvm_fail("Only vgchange -a y|n|ay, --refresh, --addtag/--deltag, --systemid, --setautoactivation, "
				"--alloc, -x, -l, -p, -u and --vgmetadatacopies are implemented yet.");
	if (opt_set(c, C_ACTIVATE) && opt_set(c, C_REFRESH))
		return lvm_fail("--refresh goes without -a.");
	if ((opt_set(c, C_ACTIVATE) && (r = lvm_parse_activate(c, &x.on, &x.autoact))) || (r = lvm_poll_opt(c)))
		return r;
	if ((r = lvm_setup(c, meta)) || (r = lvm_activation_opts(c)) ||
	    (r = lvm_sel_init(c, C_SELECT, &report_lvm_vgs, &how.sel)))
		return r;
	if ((opt_set(c, C_ACTIVATE) || opt_set(c, C_REFRESH)) && !lvm_daemon_up(c, &x.d)) {
		lvm_sel_free(how.sel);
		return lvm_fail("%s", x.d.why.msg);
	}
	r = lvm_each_vg(c, argc, argv, &how);
	lvm_sel_free(how.sel);
	lvm_poll_seen_free(&x.seen);
	dmctl_close(&x.d);
	return r;
}
