/* pvcreate, pvremove, pvresize, pvchange, and the PV helpers vgcreate and
 * vgextend share. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/lvm_each.h"
#include "cli/lvm_pv.h"
#include "common/args.h"
#include "lvm/alloc.h"
#include "lvm/config.h"
#include "lvm/label.h"
#include "lvm/report_lvm.h"
#include "lvm/settings.h"

static int size_opt(struct lvm_cmd *c, int o, char unit, uint64_t *bytes)
{
	struct err e = { { 0 } };
	uint64_t s;
	char sign;

	if (lvm_parse_size(opt_val(c, o), unit, &sign, &s, &e) || sign)
		return lvm_fail("Invalid argument for --%s: %s", c->spec->opts[o].lng, opt_val(c, o));
	*bytes = s * 512;
	return 0;
}

int lvm_pv_opts(struct lvm_cmd *c, struct pv_create_opts *o)
{
	uint64_t v;
	int r;

	pv_create_opts_default(o);
	for (int k = C_MDCOPIES; k <= C_PVMDCOPIES; k++)
		if (opt_set(c, k) && (k == C_PVMDCOPIES || !strncmp(c->verb, "pv", 2))) {
			if (parse_u64(opt_val(c, k), &v) || v > 2)
				return lvm_fail("Invalid argument for --%s: %s", c->spec->opts[k].lng, opt_val(c, k));
			o->mda_copies = (unsigned)v;
		}
	if (opt_set(c, C_MDSIZE) && (r = size_opt(c, C_MDSIZE, 'm', &o->mda_size)))
		return r;
	if (opt_set(c, C_DATAALIGN) && (r = size_opt(c, C_DATAALIGN, 'k', &o->data_alignment)))
		return r;
	if (opt_set(c, C_UUID))
		o->uuid = opt_val(c, C_UUID);
	if (opt_set(c, C_MDIGNORE) && (r = lvm_opt_yn(c, C_MDIGNORE, &o->mda_ignored)))
		return r;
	return 0;
}

int lvm_vg_mda_copies_opt(const struct lvm_cmd *c, uint32_t *copies)
{
	int o = opt_set(c, C_VGMDCOPIES) ? C_VGMDCOPIES : C_MDCOPIES;
	const char *v = opt_val(c, o);
	uint64_t n;

	if (!strcasecmp(v, "all"))
		*copies = VG_MDA_COPIES_ALL;
	else if (!strcasecmp(v, "unmanaged"))
		*copies = 0;
	else if (!parse_u64(v, &n) && n < VG_MDA_COPIES_ALL)
		*copies = (uint32_t)n;
	else
		return lvm_fail("Invalid argument for --%s: %s (a number, all or unmanaged)", c->spec->opts[o].lng, v);
	return 0;
}

int lvm_pv_make(struct lvm_cmd *c, const char *path, const struct pv_create_opts *o,
		struct lvm_dev **out)
{
	struct err e = { { 0 } };
	struct lvm_dev *d;
	const char *vg;
	struct dev *dv;
	struct pv *pv;
	int r;

	if (lvm_env_add_path(&c->env, path, &d, &e))
		return lvm_fail("%s", e.msg);
	if ((vg = lvm_dev_vgname(d)))
		return lvm_fail("Can't initialize physical volume \"%s\" of volume group \"%s\".", path, vg);
	if (lvm_dev_used_unknown(d))
		return lvm_fail("PV %s is used by a VG but its metadata is missing.", path);
	if (d->status && d->status != -ENOENT && !d->pv)
		if (d->status != -EINVAL)
			return lvm_fail("Cannot use %s: %s", path, d->why.msg);
	if ((r = lvm_open_dev(&c->env, d->path, 0, &dv, &e)))
		return lvm_fail("Cannot use %s: %s", path, e.msg);
	r = pv_create(dv, o, &pv, &e);
	dev_put(dv);
	if (r)
		return lvm_fail("%s: %s", path, e.msg);
	pv_free(d->pv);
	d->pv = pv;
	d->status = 0;
	if (lvm_devices_file_update(&c->env, d->path, pv->label.pv_uuid, true, &e))
		return lvm_fail("%s", e.msg);
	printf("  Physical volume \"%s\" successfully created.\n", path);
	if (out)
		*out = d;
	return 0;
}

/* A device for vgcreate/vgextend: an orphan PV, made one if it is not. */
int lvm_pv_orphan(struct lvm_cmd *c, const char *path, const struct pv_create_opts *o,
		  struct lvm_dev **out)
{
	struct err e = { { 0 } };
	struct lvm_dev *d;
	const char *vg;

	if (lvm_env_add_path(&c->env, path, &d, &e))
		return lvm_fail("%s", e.msg);
	if ((vg = lvm_dev_vgname(d)))
		return lvm_fail("Physical volume '%s' is already in volume group '%s'", path, vg);
	if (lvm_dev_used_unknown(d))
		return lvm_fail("PV %s is used by a VG but its metadata is missing.", path);
	if (d->pv) {
		if (lvm_devices_file_update(&c->env, d->path, d->pv->label.pv_uuid, true, &e))
			return lvm_fail("%s", e.msg);
		*out = d;
		return 0;
	}
	return lvm_pv_make(c, path, o, out);
}

/* pvcreate --uuid U --restorefile FILE (lvm2's
 * _pvcreate_restore_params_from_backup): the data area (and bootloader
 * area) PV U has in the VG backup FILE, so that vgcfgrestore finds its
 * extents where they were.  Nothing is wiped then but the label sectors
 * lvm2 writes. */
static int restore_params(struct lvm_cmd *c, struct pv_create_opts *o)
{
	struct err e = { { 0 } };
	const char *file = opt_val(c, C_RESTOREFILE);
	char want[LVM_ID_LEN + 1], got[LVM_ID_LEN + 1];
	struct cfg_tree *t;
	struct cfg_node *v, *pvs;
	uint64_t pe_start = 0, pe_count = 0, ba_start = 0, ba_size = 0;
	uint32_t extent_size = 0;
	const char *id;
	int r = 0;

	if (lvm_id_parse(o->uuid, want, &e))
		return lvm_fail("%s", e.msg);
	if (lvm_backup_read(file, &t, &v, &e)) {
		cfg_tree_free(t);
		return lvm_fail("Unable to read volume group from %s", file);
	}
	pvs = cfg_find(v, "physical_volumes");
	for (struct cfg_node *p = pvs ? pvs->child : NULL; p; p = p->next)
		if (p->type == CFG_SECTION && !cfg_get_str(p, "id", &id, &e) && !lvm_id_parse(id, got, &e) &&
		    !strcmp(got, want)) {
			if (cfg_get_u64(p, "pe_start", &pe_start, &e) || cfg_get_u64(p, "pe_count", &pe_count, &e) ||
			    cfg_get_u32(v, "extent_size", &extent_size, &e))
				r = lvm_fail("%s: %s", file, e.msg);
			if (cfg_find(p, "ba_start") && (cfg_get_u64(p, "ba_start", &ba_start, &e) ||
							cfg_get_u64(p, "ba_size", &ba_size, &e)))
				r = lvm_fail("%s: %s", file, e.msg);
			break;
		}
	cfg_tree_free(t);
	if (r)
		return r;
	if (!pe_start)
		return lvm_fail("Can't find uuid %s in backup file %s", o->uuid, file);
	o->pe_start = pe_start * 512;
	o->pe_end = (pe_start + pe_count * extent_size) * 512;
	o->ba_start = ba_start * 512;
	o->ba_size = ba_size * 512;
	o->no_zero = true;
	/* lvm2: without --metadatasize, the most that fits before pe_start */
	if (!opt_set(c, C_MDSIZE))
		o->mda_size = o->pe_start;
	return 0;
}

int lvm_pvcreate(void *ctx, int argc, char **argv)
{
	struct lvm_cmd *c = ctx;
	struct pv_create_opts o;
	int lock, ret = 0, r;
	struct err e = { { 0 } };

	if ((r = lvm_pv_opts(c, &o)) || (r = lvm_setup(c, true)))
		return r;
	/* lvm2's rules: devices/require_restorefile_with_uuid, on by default */
	if (opt_set(c, C_RESTOREFILE) && !o.uuid)
		return lvm_fail("--uuid is required with --restorefile");
	if (o.uuid && !opt_set(c, C_RESTOREFILE) && !opt_set(c, C_NORESTOREFILE) &&
	    lvm_setting_int(&c->env, "devices/require_restorefile_with_uuid"))
		return lvm_fail("--restorefile is required with --uuid");
	if (o.uuid && argc > 1)
		return lvm_fail("Can only set uuid on one volume at once.");
	if (opt_set(c, C_RESTOREFILE) && (r = restore_params(c, &o)))
		return r;
	if (lvm_lock(&c->env, "P_global", true, &lock, &e))
		return lvm_fail("%s", e.msg);
	for (int i = 0; i < argc; i++)
		if ((r = lvm_pv_make(c, argv[i], &o, NULL)))
			ret = r;
	lvm_unlock(lock);
	return ret;
}

int lvm_pvremove(void *ctx, int argc, char **argv)
{
	struct lvm_cmd *c = ctx;
	int lock, ret = 0, r;
	struct err e = { { 0 } };

	if ((r = lvm_setup(c, true)))
		return r;
	if (lvm_lock(&c->env, "P_global", true, &lock, &e))
		return lvm_fail("%s", e.msg);
	for (int i = 0; i < argc; i++) {
		static const uint8_t zero[LABEL_SIZE];
		struct lvm_dev *d;
		const char *vg;

		if (lvm_env_add_path(&c->env, argv[i], &d, &e)) {
			ret = lvm_fail("%s", e.msg);
			continue;
		}
		if (!d->pv) {
			ret = lvm_fail("No PV found on device %s.", argv[i]);
			continue;
		}
		if ((vg = lvm_dev_vgname(d))) {
			ret = lvm_fail("PV %s is used by VG %s so please use vgreduce first.", argv[i], vg);
			continue;
		}
		if (lvm_dev_used_unknown(d)) {
			ret = lvm_fail("PV %s is used by a VG but its metadata is missing.", argv[i]);
			continue;
		}
		/* as label_remove: only the label sector */
		if ((r = dev_write(d->pv->dev, zero, LABEL_SIZE, d->pv->label.sector * LABEL_SIZE, DEV_FUA))) {
			ret = lvm_fail("%s: %s", argv[i], strerror(-r));
			continue;
		}
		lvm_devices_file_update(&c->env, d->path, NULL, false, &e);
		printf("  Labels on physical volume \"%s\" successfully wiped.\n", argv[i]);
	}
	lvm_unlock(lock);
	return ret;
}

/* The first PE of @p past every allocated one, and how many are. */
static uint32_t pv_used_end(const struct vg *vg, const struct vg_pv *p, uint32_t *count)
{
	uint32_t end = 0;

	*count = 0;
	for (unsigned l = 0; l < vg->nlv; l++)
		for (unsigned s = 0; s < vg->lv[l]->nseg; s++) {
			const struct lv_seg *sg = &vg->lv[l]->seg[s];

			for (unsigned a = 0; a < sg->narea; a++)
				if (sg->area[a].pv == p) {
					*count += seg_area_len(sg);
					if (sg->area[a].pe + seg_area_len(sg) > end)
						end = sg->area[a].pe + seg_area_len(sg);
				}
		}
	return end;
}

/* One PV, as lvm2's pv_resize_single: the device's size (or
 * --setphysicalvolumesize) less pe_start and a second metadata area,
 * which moves to the new end, gives pe_count and the text's dev_size (that
 * reduced size, as lvm2 writes it).  The label is written for an orphan
 * and for a PV with a second mda only (its device_size the same reduced
 * size in a VG), then the VG.  Every check comes before any write. */
static int pvresize_one(struct lvm_cmd *c, const char *arg, uint64_t want)
{
	struct err e = { { 0 } };
	struct lvm_dev *d = lvm_find_dev(&c->env, arg);
	const char *vgn = d ? lvm_dev_vgname(d) : NULL;
	struct vgh h = { .lock_fd = -1 };
	struct vg_pv *p;
	uint64_t size, mda2, dev_size, pe_count;
	uint32_t used, count;
	int ret = 0;

	if (!d || !d->pv)
		return lvm_fail("Failed to find physical volume \"%s\".", arg);
	size = want ? want : d->pv->dev->size / 512;
	if (size > d->pv->dev->size / 512)
		return lvm_fail("%s: size %llu sectors is larger than the device (%llu sectors).", arg,
				(unsigned long long)size, (unsigned long long)(d->pv->dev->size / 512));
	mda2 = d->pv->nmda > 1 ? d->pv->mda[1].locn.size / 512 : 0;
	if (size < PV_MIN_SIZE / 512)
		return lvm_fail("Size must exceed minimum of %llu sectors on PV %s.",
				(unsigned long long)(PV_MIN_SIZE / 512), arg);
	if (!vgn) {
		if (pv_resize_areas(d->pv, size * 512, size * 512, d->pv->label.data[0].offset, &e))
			return lvm_fail("%s\n  Format specific resize of PV %s failed.", e.msg, arg);
		printf("  Physical volume \"%s\" changed\n", arg);
		return 0;
	}
	if (lvm_vg_read(&c->env, vgn, &h, &e))
		return lvm_fail("%s", e.msg);
	if (!(p = vg_find_pv_path(h.vg, d->path))) {
		ret = lvm_fail("Physical volume %s is not in volume group %s.", arg, vgn);
		goto out;
	}
	if (size < p->pe_start + mda2) {
		ret = mda2 ? lvm_fail("Not enough space available for metadata area with index 1 on PV %s.", arg)
			   : lvm_fail("Size must exceed physical extent start of %llu sectors on PV %s.",
				      (unsigned long long)p->pe_start, arg);
		goto out;
	}
	dev_size = size - p->pe_start - mda2;
	pe_count = dev_size / h.vg->extent_size;
	used = pv_used_end(h.vg, p, &count);
	if (!pe_count)
		ret = lvm_fail("Size must leave space for at least one physical extent of %u sectors on PV %s.",
			       h.vg->extent_size, arg);
	else if (pe_count > UINT32_MAX)
		ret = lvm_fail("%s: too large for %u-sector extents.", arg, h.vg->extent_size);
	else if (pe_count < count)
		ret = lvm_fail("%s: cannot resize to %llu extents as %u are allocated.", arg,
			       (unsigned long long)pe_count, count);
	else if (pe_count < used)
		ret = lvm_fail("%s: cannot resize to %llu extents as later ones are allocated.", arg,
			       (unsigned long long)pe_count);
	if (ret)
		goto out;
	p->pe_count = (uint32_t)pe_count;
	p->dev_size = dev_size;
	p->has_dev_size = true;
	if ((mda2 && pv_resize_areas(d->pv, size * 512, dev_size * 512, p->pe_start * 512, &e)) ||
	    lvm_vg_commit(&c->env, &h, &e)) {
		ret = lvm_fail("%s\n  Failed to store physical volume \"%s\" in volume group \"%s\"", e.msg, arg, vgn);
		goto out;
	}
	printf("  Physical volume \"%s\" changed\n", arg);
out:
	lvm_vg_release(&h);
	return ret;
}

int lvm_pvresize(void *ctx, int argc, char **argv)
{
	struct lvm_cmd *c = ctx;
	uint64_t want = 0;
	unsigned done = 0;
	int ret = 0, r;

	if (opt_set(c, C_SETPVSIZE) && (r = size_opt(c, C_SETPVSIZE, 'm', &want)))
		return r;
	if ((r = lvm_setup(c, true)))
		return r;
	for (int i = 0; i < argc; i++)
		if ((r = pvresize_one(c, argv[i], want / 512)))
			ret = r;
		else
			done++;
	printf("  %u physical volume(s) resized or updated / %u physical volume(s) not resized\n", done,
	       (unsigned)argc - done);
	return ret;
}

struct pvchange {
	bool alloc, on;
	unsigned total, done;
	struct dmctl d;
};

/* pvchange -u: the label gets a new uuid (lvm2 writes it before the VG
 * text that names it); *@id is it. */
static int new_pv_uuid(struct pv *pv, char id[LVM_ID_LEN + 1], struct err *e)
{
	int r = lvm_id_create(id, e);

	return r ? r : pv_set_uuid(pv, id, e);
}

static unsigned vg_mdas_in_use(const struct vg *vg)
{
	unsigned n = 0;

	for (unsigned i = 0; i < vg->npv; i++)
		n += vg->pv[i]->pv ? pv_mdas_in_use(vg->pv[i]->pv) : 0;
	return n;
}

/* lvm2's pvchange --metadataignore (pv_change_metadataignore and
 * pv_mda_set_ignored): every metadata area of the PV set ignored (y) or
 * in use (n), in memory.  In a VG whose copies are managed
 * (--vgmetadatacopies N) it asks first (not with -f) and the VG keeps as
 * many copies as are in use after; a PV that holds every area in use of
 * its VG is refused either way, as lvm2 does.  0, or lvm_fail's code. */
static int pv_metadataignore(const struct lvm_cmd *c, struct vg *vg, struct pv *pv, const char *name)
{
	bool on = false;
	unsigned good = pv_mdas_good(pv), used = pv_mdas_in_use(pv);
	int r;

	if ((r = lvm_opt_yn(c, C_MDIGNORE, &on)))
		return r;
	if (vg && vg->metadata_copies && !opt_set(c, C_FORCE)) {
		char q[512];

		snprintf(q, sizeof(q), "Override preferred number of copies of VG %s metadata?", vg->name);
		if (!lvm_confirm(c, q))
			return LVM_FAILED;
	}
	if (on && !used)
		return lvm_fail("Metadata areas on physical volume \"%s\" already ignored.", name);
	if (!on && used == good)
		return lvm_fail("Metadata areas on physical volume \"%s\" already marked as in-use.", name);
	if (vg && used == vg_mdas_in_use(vg))
		return lvm_fail("Cannot disable all metadata areas in volume group %s.", vg->name);
	for (unsigned j = 0; j < pv->nmda; j++)
		pv_mda_set_ignored(&pv->mda[j], on);
	if (vg && vg->metadata_copies) {
		unsigned now = vg_mdas_in_use(vg);

		fflush(stdout);
		fprintf(stderr, "  WARNING: Changing preferred number of copies of VG %s metadata from %u to %u\n",
			vg->name, vg->metadata_copies, now);
		vg->metadata_copies = now;
	}
	return 0;
}

/* pvchange.c's _pvchange_single(): -x and the tags, one commit per PV. */
static int pvchange_one(struct lvm_cmd *c, struct vgh *h, struct lvm_dev *d, struct vg_pv *p, void *arg)
{
	struct pvchange *x = arg;
	struct err e = { { 0 } };
	const char *name = p && p->path ? p->path : d ? d->path : "[unknown]";
	bool done = false;
	char id[LVM_ID_LEN + 1] = "";
	int r;

	x->total++;
	if (!p && (opt_set(c, C_NEWUUID) || opt_set(c, C_MDIGNORE)) && !x->alloc && !lvm_tags_given(c) && d && d->pv) {
		/* an orphan PV: its label and empty mda headers are all there is */
		if (opt_set(c, C_MDIGNORE) &&
		    (pv_metadataignore(c, NULL, d->pv, name) || pv_write_empty_headers(d->pv, &e))) {
			if (e.msg[0])
				lvm_fail("%s", e.msg);
			goto bad;
		}
		if (opt_set(c, C_NEWUUID) &&
		    (new_pv_uuid(d->pv, id, &e) || lvm_devices_file_update(&c->env, d->path, id, true, &e))) {
			lvm_fail("%s", e.msg);
			goto bad;
		}
		printf("  Physical volume \"%s\" changed\n", name);
		x->done++;
		return 0;
	}
	if (!p) {
		if (lvm_tags_given(c))
			lvm_fail("Can't change tag on Physical Volume %s not in volume group", name);
		else
			lvm_fail("Allocatability not supported by orphan lvm2 format PV %s", name);
		goto bad;
	}
	if (x->alloc) {
		if (x->on == !!(p->status & FLAG(PVF_ALLOCATABLE))) {
			fflush(stdout);
			fprintf(stderr, "  Physical volume \"%s\" is already %sallocatable.\n", name, x->on ? "" : "un");
		} else {
			p->status = x->on ? p->status | FLAG(PVF_ALLOCATABLE) : p->status & ~FLAG(PVF_ALLOCATABLE);
			done = true;
		}
	}
	if (lvm_tags_given(c)) {
		if ((r = lvm_apply_tags(c, &p->tags)))
			return r;
		done = true;
	}
	if (opt_set(c, C_MDIGNORE)) {
		if (!p->pv) {
			lvm_fail("%s: the PV is missing", name);
			goto bad;
		}
		if (pv_metadataignore(c, h->vg, p->pv, name))
			goto bad;
		done = true;
	}
	if (opt_set(c, C_NEWUUID)) {
		if (lvm_vg_lv_in_use(c, &x->d, h->vg)) {
			lvm_fail("Volume group containing %s has active logical volumes", name);
			goto bad;
		}
		if (!p->pv || lvm_vg_writable(h, &e) || new_pv_uuid(p->pv, id, &e)) {
			lvm_fail("%s", p->pv ? e.msg : "the PV is missing");
			goto bad;
		}
		memcpy(p->id, id, sizeof(id));
		done = true;
	}
	if (!done) {
		printf("  Physical volume %s not changed\n", name);
		return 0;
	}
	if (lvm_vg_commit(&c->env, h, &e) || (id[0] && lvm_devices_file_update(&c->env, p->path, id, true, &e))) {
		lvm_fail("%s", e.msg);
		goto bad;
	}
	printf("  Physical volume \"%s\" changed\n", name);
	x->done++;
	return 0;
bad:
	lvm_fail("Physical volume %s not changed", name);
	return LVM_FAILED;
}

int lvm_pvchange(void *ctx, int argc, char **argv)
{
	struct lvm_cmd *c = ctx;
	struct pvchange x = { .alloc = opt_set(c, C_ALLOCATABLE) };
	struct lvm_each how = { .pv = pvchange_one, .arg = &x, .foreign = true, .orphans = true };
	int r;

	if (!x.alloc && !lvm_tags_given(c) && !opt_set(c, C_NEWUUID) && !opt_set(c, C_MDIGNORE)) {
		lvm_fail("Please give one or more of -x, -u, --metadataignore, --addtag or --deltag");
		return LVM_EINVALID;
	}
	if (x.alloc) {
		if (!strcmp(opt_val(c, C_ALLOCATABLE), "y"))
			x.on = true;
		else if (strcmp(opt_val(c, C_ALLOCATABLE), "n"))
			return lvm_fail("Invalid argument for --allocatable: %s", opt_val(c, C_ALLOCATABLE));
	}
	if (!opt_set(c, C_ALL) && !argc && !opt_set(c, C_SELECT)) {
		lvm_fail("Please give a physical volume path or use --select for selection.");
		return LVM_EINVALID;
	}
	if (opt_set(c, C_ALL) && argc) {
		lvm_fail("Option --all and PhysicalVolumePath are exclusive.");
		return LVM_EINVALID;
	}
	if ((r = lvm_setup(c, true)) || (r = lvm_sel_init(c, C_SELECT, &report_lvm_pvs, &how.sel)))
		return r;
	r = lvm_each_pv(c, argc, argv, &how);
	printf("  %u physical volume%s changed / %u physical volume%s not changed\n", x.done, x.done == 1 ? "" : "s",
	       x.total - x.done, x.total - x.done == 1 ? "" : "s");
	lvm_sel_free(how.sel);
	dmctl_close(&x.d);
	return r;
}
