/* lvm2's raid segment types (lib/raid/raid.c; RAID.md §6): raid0,
 * raid0_meta, raid1, raid10, raid4, raid5 (and raid5_la/ra/ls/rs/n),
 * raid6 (and raid6_zr/nr/nc/n_6/la_6/ra_6/ls_6/rs_6), served through the
 * raid target; "raid5" is raid5_ls and "raid6" raid6_zr there, as lvm2's
 * libdm emits them.
 *
 * The section is kept as read and parsed into struct raid_seg: the level,
 * device_count (stripe_count for raid0), data_copies, region_size,
 * stripe_size, writebehind, the recovery rates and `raids` - pairs of
 * "<lv>_rmeta_N", "<lv>_rimage_N" (raid0 without metadata: images only,
 * under raid0_lvs or raids).  The sub-LVs are hidden striped LVs the raid
 * LV owns.
 *
 * Plan, bottom-up: each rmeta and rimage (their own types' devices), then
 * the LV itself: the raid table as lvm2 emits it (libdm-deptree.c:
 * _raid_emit_segment_line): `raid <level> <#params> <stripe_size>
 * [nosync] [rebuild i]... [min_recovery_rate] [max_recovery_rate]
 * [write_mostly i]... [max_write_behind] region_size R [raid10_copies N]
 * <#devs> <meta> <image>...`, NOTSYNCED giving nosync, REBUILD and
 * WRITEMOSTLY on an image giving rebuild / write_mostly.
 *
 * lvcreate --type raid1 -m N, --type raid10 -i N [-m 1], --type raid0 -i N:
 * each image and its rmeta (one extent, first) from one PV, every image on
 * a PV of its own, as lvm2 allocates them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/dmctl.h"
#include "common/units.h"
#include "lvm/activate.h"
#include "lvm/alloc.h"
#include "lvm/devices.h"
#include "lvm/report_lvm.h"
#include "lvm/segtype.h"
#include "lvm/vg_internal.h"
#include "lvm/wipe.h"

#include "lvm/segtype/raid_lv.h"

static const char *const raid_names[] = {
	"raid0", "raid0_meta", "raid1", "raid10", "raid10_near", "raid4", "raid5", "raid5_n", "raid5_la",
	"raid5_ra", "raid5_ls", "raid5_rs", "raid6", "raid6_zr", "raid6_nr", "raid6_nc", "raid6_n_6",
	"raid6_ls_6", "raid6_rs_6", "raid6_la_6", "raid6_ra_6", NULL,
};

unsigned raid_parity_devs(const char *level)
{
	return !strncmp(level, "raid6", 5) ? 2 : !strncmp(level, "raid5", 5) || !strcmp(level, "raid4") ? 1 : 0;
}

/* vgreduce --removemissing --force: as lvm2's _make_vg_consistent, a
 * raid LV is kept whatever it lost, its images and rmetas on missing PVs
 * made error LVs (raid_convert's remove_missing): one that can still run
 * runs degraded until lvconvert --repair replaces them; one that cannot
 * (raid0, too many lost) is the user's to lvremove. */
enum seg_missing raid_missing(const struct vg *vg, const struct vg_lv *lv)
{
	struct images im;

	return lv_seg_model(lv, &segtype_raid) && !raid_images_of(vg, lv, &im, NULL) ? SEG_MISSING_DROP
										     : SEG_MISSING_REMOVE;
}

unsigned raid_data_images(const struct raid_seg *m)
{
	if (!strcmp(m->level, "raid1"))
		return 1;
	if (!strcmp(m->level, "raid10"))
		return m->count / (m->data_copies ? m->data_copies : 2);
	return m->count - raid_parity_devs(m->level);
}

/* The raid target's name for an lvm2 level (libdm-deptree.c: _dm_segtypes). */
static const char *target_level(const char *level)
{
	return !strcmp(level, "raid0_meta") ? "raid0" : !strcmp(level, "raid5") ? "raid5_ls"
		: !strcmp(level, "raid6") ? "raid6_zr" : level;
}

bool raid_image_tracked(const struct vg_lv *img)
{
	return img && (img->status & FLAG(LVF_VISIBLE)) && !(img->status & FLAG(LVF_WRITE));
}

void raid_seg_free(struct lv_seg *s)
{
	struct raid_seg *r = s->priv;

	if (r) {
		free(r->meta);
		free(r->image);
		free(r);
	}
	s->priv = NULL;
}

static uint32_t opt_u32(const struct cfg_node *sn, const char *key)
{
	uint32_t v = 0;

	if (cfg_find(sn, key) && cfg_get_u32(sn, key, &v, NULL))
		v = 0;
	return v;
}

static int raid_parse(const struct vg *vg, struct lv_seg *s, struct err *e)
{
	const struct cfg_node *sn = s->raw, *list = cfg_find(sn, "raids");
	struct raid_seg *r;
	size_t n = strcspn(s->type, "+");
	bool meta;
	unsigned i = 0;

	(void)vg;
	raid_seg_free(s);
	if (!(r = calloc(1, sizeof(*r))))
		return err_set(e, -ENOMEM, "out of memory");
	snprintf(r->level, sizeof(r->level), "%.*s", (int)(n < sizeof(r->level) ? n : sizeof(r->level) - 1), s->type);
	if (!strcmp(r->level, "raid10_near"))
		strcpy(r->level, "raid10");
	r->servable = false;
	for (unsigned k = 0; raid_names[k]; k++) /* raid10_far etc. are not lvm2 segment types */
		r->servable |= !strcmp(r->level, raid_names[k]);
	r->count = opt_u32(sn, "device_count");
	if (!r->count)
		r->count = opt_u32(sn, "stripe_count");
	r->data_copies = opt_u32(sn, "data_copies");
	r->region_size = opt_u32(sn, "region_size");
	r->stripe_size = opt_u32(sn, "stripe_size");
	r->writebehind = opt_u32(sn, "writebehind");
	r->min_rate = opt_u32(sn, "min_recovery_rate");
	r->max_rate = opt_u32(sn, "max_recovery_rate");
	if (!list)
		list = cfg_find(sn, "raid0_lvs");
	meta = strcmp(r->level, "raid0") != 0;
	if (!r->count || r->count > 64 || !list || list->type != CFG_ARRAY ||
	    list->nitems != (meta ? 2 : 1) * r->count) {
		s->priv = r;
		raid_seg_free(s);
		return err_set(e, -EINVAL, "%s segment: no device_count, or a raids list that does not match it",
			       s->type);
	}
	r->meta = calloc(r->count, sizeof(*r->meta));
	r->image = calloc(r->count, sizeof(*r->image));
	s->priv = r;
	if (!r->meta || !r->image)
		return raid_seg_free(s), err_set(e, -ENOMEM, "out of memory");
	for (unsigned k = 0; k < list->nitems; k++) {
		const struct cfg_value *v = &list->items[k];

		if (v->type != CFG_STRING)
			return raid_seg_free(s), err_set(e, -EINVAL, "%s segment: a raids entry is not a name", s->type);
		if (meta && k % 2 == 0)
			r->meta[i] = v->s;
		else
			r->image[i++] = v->s;
	}
	return 0;
}

static bool has_flag(const struct vg_lv *lv, enum lv_flag f)
{
	return lv->status & FLAG(f);
}

static int raid_plan(struct lv_plan *p, const struct vg *vg, const struct vg_lv *lv, struct err *e)
{
	const struct raid_seg *r = lv_seg_model(lv, lv_segtype(lv));
	char params[512] = "", devs[4096] = "", name[LV_DM_NAME_MAX], *t;
	unsigned np = 1;
	size_t pl = 0, dl = 0;
	int ret;

	if (!r || !r->servable)
		return err_set(e, -EOPNOTSUPP, "LV %s/%s: segment type %s cannot be activated yet", vg->name, lv->name,
			       lv->seg[0].type);
#define PARAM(words, ...) (np += (words), pl += (size_t)snprintf(params + pl, sizeof(params) - pl, __VA_ARGS__))
	if (has_flag(lv, LVF_NOTSYNCED))
		PARAM(1, " nosync");
	for (unsigned i = 0; i < r->count; i++) {
		const struct vg_lv *img = vg_find_lv(vg, r->image[i]), *m = r->meta[i] ? vg_find_lv(vg, r->meta[i]) : NULL;

		if (!img || (r->meta[i] && !m))
			return err_set(e, -ENOENT, "raid LV %s/%s: its sub-LV %s is missing", vg->name, lv->name,
				       !img ? r->image[i] : r->meta[i]);
		if (has_flag(img, LVF_REBUILD) || (m && has_flag(m, LVF_REBUILD)))
			PARAM(2, " rebuild %u", i);
	}
	if (r->min_rate)
		PARAM(2, " min_recovery_rate %u", r->min_rate);
	if (r->max_rate)
		PARAM(2, " max_recovery_rate %u", r->max_rate);
	for (unsigned i = 0; i < r->count; i++)
		if (has_flag(vg_find_lv(vg, r->image[i]), LVF_WRITEMOSTLY))
			PARAM(2, " write_mostly %u", i);
	if (r->writebehind)
		PARAM(2, " max_write_behind %u", r->writebehind);
	if (r->region_size && strncmp(r->level, "raid0", 5))
		PARAM(2, " region_size %u", r->region_size);
	if (r->data_copies > 2 && !strcmp(r->level, "raid10"))
		PARAM(2, " raid10_copies %u", r->data_copies);
#undef PARAM
	for (unsigned i = 0; i < r->count; i++) {
		struct vg_lv *img = vg_find_lv(vg, r->image[i]), *m = r->meta[i] ? vg_find_lv(vg, r->meta[i]) : NULL;
		char mname[LV_DM_NAME_MAX + 16] = "-";

		/* an image on a missing PV is a missing leg: the array runs
		 * degraded if its level allows (lvm2's activation_mode degraded);
		 * so is one split off with --trackchanges */
		if (raid_on_missing_pv(img) || raid_on_missing_pv(m) || raid_image_tracked(img)) {
			if (!raid_image_tracked(img) && p->env && p->env->activation_mode == LVM_ACT_COMPLETE)
				return err_set(e, -ENODEV, "Refusing activation of partial LV %s/%s.  Use "
					       "'--activationmode partial' to override.", vg->name, lv->name);
			dl += (size_t)snprintf(devs + dl, sizeof(devs) - dl, " - -");
			continue;
		}
		if (m) {
			if ((ret = lv_plan_sub(p, m, true, e)))
				return ret;
			p->dev[p->n - 1].readonly = false;
			lv_dm_name(vg, m, name);
			snprintf(mname, sizeof(mname), "/dev/mapper/%s", name);
		}
		if ((ret = lv_plan_sub(p, img, true, e)))
			return ret;
		p->dev[p->n - 1].readonly = false;
		lv_dm_name(vg, img, name);
		dl += (size_t)snprintf(devs + dl, sizeof(devs) - dl, " %s /dev/mapper/%s", mname, name);
	}
	if (pl >= sizeof(params) || dl >= sizeof(devs))
		return err_set(e, -E2BIG, "raid LV %s/%s: table too long", vg->name, lv->name);
	if (asprintf(&t, "0 %" PRIu64 " raid %s %u %u%s %u%s", (uint64_t)lv->le_count * vg->extent_size,
		     target_level(r->level), np, r->stripe_size, params, r->count,
		     devs) < 0)
		return err_set(e, -ENOMEM, "out of memory");
	return lv_plan_add(p, lv, NULL, t, e) ? 0 : -ENOMEM;
}

static struct vg_lv *raid_owner_of(const struct vg *vg, const struct vg_lv *owner, const struct vg_lv *lv)
{
	const struct raid_seg *r = lv_seg_model(owner, lv_segtype(owner));

	for (unsigned i = 0; r && i < r->count; i++)
		if (vg_find_lv(vg, r->image[i]) == lv || (r->meta[i] && vg_find_lv(vg, r->meta[i]) == lv))
			return (struct vg_lv *)owner;
	return NULL;
}

int raid_status_of(struct dmctl *d, const char *name, struct raid_status *st)
{
	struct err e = { { 0 } };
	char *line = NULL, level[32];
	unsigned n;
	int r = -EINVAL;

	if (dmctl_status(d, name, &line, &e))
		return -ENODEV;
	/* "0 LEN raid LEVEL N HEALTH A/B ACTION MISMATCH" */
	if (line && sscanf(line, "%*u %*u raid %31s %u %64s %" SCNu64 "/%" SCNu64 " %15s %" SCNu64, level, &n, st->health,
			   &st->done, &st->total, st->action, &st->mismatches) == 7)
		r = 0;
	free(line);
	return r;
}

/* lvm2's reshapable levels (raid4/5/6/10) report a reshape length, 0
 * as ulvm does not reshape, on the LV and its images. */
static bool reshapable(const struct raid_seg *r)
{
	return strncmp(r->level, "raid1", 5) || !strcmp(r->level, "raid10") ? strncmp(r->level, "raid0", 5) != 0
									  : false;
}

static void reshape_fields(const struct seg_report_ctx *x)
{
	report_set_sectors(x->row, RF_RESHAPE_LEN, 0);
	report_set_u64(x->row, RF_RESHAPE_LEN_LE, 0);
}

/* lvm2's area_len of an image: the segment's for the levels without
 * parity (raid10 too), a data image's share for raid4/5/6. */
static uint32_t image_extents(const struct raid_seg *r, uint32_t len)
{
	unsigned parity = raid_parity_devs(r->level);

	return parity && r->count > parity ? (len + r->count - parity - 1) / (r->count - parity) : len;
}

/* lv_layout ("raid,raid5,raid5_ls": lvm2 names the rotating layouts of
 * raid5 and raid6, and "raid5"/"raid6" alone are raid5_ls/raid6_zr),
 * lv_modules, the copies and stripes, and the image lists lvm2 prints
 * from the segment's areas. */
static void raid_kind(const struct seg_report_ctx *x, const struct raid_seg *r)
{
	static const char *const named[] = { "raid5_la", "raid5_ra", "raid5_ls", "raid5_rs", "raid6_zr", "raid6_nr",
					     "raid6_nc" };
	char layout[64], pe[2048] = "", le[2048] = "", md[2048] = "", mle[2048] = "";
	const char *lvl = !strcmp(r->level, "raid5") ? "raid5_ls" : !strcmp(r->level, "raid6") ? "raid6_zr" : r->level;
	unsigned parity = raid_parity_devs(r->level), copies;
	size_t a = 0, b = 0, c = 0, d = 0;

	snprintf(layout, sizeof(layout), "raid,%.5s", lvl);
	for (size_t i = 0; i < sizeof(named) / sizeof(*named); i++)
		if (!strcmp(lvl, named[i]))
			snprintf(layout, sizeof(layout), "raid,%.5s,%s", lvl, lvl);
	if (!strncmp(lvl, "raid10", 6))
		snprintf(layout, sizeof(layout), "raid,raid10");
	seg_report_kind(x, layout, NULL, "raid", false);
	copies = !strcmp(r->level, "raid10") ? 2 : !strcmp(r->level, "raid1") ? r->count : parity + 1;
	report_set_u64(x->row, RF_DATA_COPIES, copies);
	report_set_u64(x->row, RF_DATA_STRIPES, !strcmp(r->level, "raid10") ? (r->count - parity) / copies
					      : r->count - parity);
	if (parity || copies > 1)
		report_set_u64(x->row, RF_PARITY_CHUNKS, parity ? parity : copies - 1);
	if (!has_flag(x->lv, LVF_NOTSYNCED))
		report_set_value(x->row, RF_LV_INITIAL_IMAGE_SYNC, "initial image sync", 1);
	if (reshapable(r))
		reshape_fields(x);
	for (unsigned i = 0; i < r->count; i++) {
		const struct vg_lv *img = vg_find_lv(x->vg, r->image[i]);
		uint32_t n = img && img->le_count ? img->le_count : 1; /* the report counts the image's own */

		a += (size_t)snprintf(pe + a, a < sizeof(pe) ? sizeof(pe) - a : 0, "%s%s:0-%u", i ? " " : "",
				      r->image[i], n - 1);
		b += (size_t)snprintf(le + b, b < sizeof(le) ? sizeof(le) - b : 0, "%s[%s]:0-%u", i ? "," : "",
				      r->image[i], n - 1);
		if (!r->meta || !r->meta[i])
			continue;
		const struct vg_lv *m = vg_find_lv(x->vg, r->meta[i]);

		c += (size_t)snprintf(md + c, c < sizeof(md) ? sizeof(md) - c : 0, "%s%s(0)", c ? "," : "", r->meta[i]);
		d += (size_t)snprintf(mle + d, d < sizeof(mle) ? sizeof(mle) - d : 0, "%s[%s]:0-%u", d ? "," : "",
				      r->meta[i], m && m->le_count ? m->le_count - 1 : 0);
	}
	report_set_str(x->row, RF_SEG_PE_RANGES, pe);
	report_set_str(x->row, RF_SEG_LE_RANGES, le);
	report_set_str(x->row, RF_METADATA_DEVICES, md);
	report_set_str(x->row, RF_SEG_METADATA_LE_RANGES, mle);
}

static void raid_report(const struct seg_report_ctx *x, const struct vg_lv *owner)
{
	const struct vg *vg = x->vg;
	const struct raid_seg *r;
	struct raid_status st;
	char name[LV_DM_NAME_MAX];

	if (owner) { /* rimage 'i' ('I' while not in sync; 'w' health if write-mostly), rmeta 'e' */
		r = lv_seg_model(owner, lv_segtype(owner));
		for (unsigned i = 0; r && i < r->count; i++) {
			if (vg_find_lv(vg, r->image[i]) == x->lv) {
				/* an image lvm2 made an error LV stays 'v', as in lvm2's lv_attr */
				if (lv_segtype(x->lv) && (lv_segtype(x->lv)->flags & SEGTYPE_VIRTUAL)) {
					seg_report_kind(x, NULL, "raid,image", NULL, true);
					seg_report_lv(x, RF_LV_PARENT, -1, owner->name);
					return;
				}
				x->attr[0] = 'i';
				if (has_flag(x->lv, LVF_WRITEMOSTLY))
					x->attr[8] = 'w'; /* lvm2's health char of a write-mostly image */
				lv_dm_name(vg, owner, name);
				if (x->d && !raid_status_of(x->d, name, &st) && i < strlen(st.health) &&
				    st.health[i] != 'A')
					x->attr[0] = 'I';
			}
		}
		if (x->attr[0] != 'i' && x->attr[0] != 'I')
			x->attr[0] = 'e';
		seg_report_kind(x, NULL, x->attr[0] == 'e' ? "raid,metadata" : "raid,image", NULL, true);
		seg_report_lv(x, RF_LV_PARENT, -1, owner->name);
		if (x->attr[0] != 'e' && r && reshapable(r))
			reshape_fields(x);
		return;
	}
	r = lv_seg_model(x->lv, lv_segtype(x->lv));
	if (!r)
		return;
	raid_kind(x, r);
	{
		char devs[64 * (LVM_NAME_LEN + 4)];
		size_t n = 0;

		devs[0] = 0;
		for (unsigned i = 0; i < r->count && n < sizeof(devs); i++)
			n += (size_t)snprintf(devs + n, sizeof(devs) - n, "%s%s(0)", i ? "," : "", r->image[i]);
		report_set_str(x->row, RF_DEVICES, devs);
	}
	report_set_u64(x->row, RF_STRIPES, r->count); /* lvm2: the images */
	report_set_sectors(x->row, RF_STRIPE_SIZE, r->stripe_size);
	if (r->region_size)
		report_set_sectors(x->row, RF_REGION_SIZE, r->region_size);
	if (has_flag(x->lv, LVF_NOTSYNCED))
		x->attr[0] = 'R';
	if (r->writebehind)
		report_set_u64(x->row, RF_RAID_WRITE_BEHIND, r->writebehind);
	if (r->min_rate)
		report_set_u64(x->row, RF_RAID_MIN_RECOVERY_RATE, r->min_rate);
	if (r->max_rate)
		report_set_u64(x->row, RF_RAID_MAX_RECOVERY_RATE, r->max_rate);
	lv_dm_name(vg, x->lv, name);
	if (!x->d || raid_status_of(x->d, name, &st))
		return;
	if (st.total && strncmp(r->level, "raid0", 5)) {
		int32_t pct = (int32_t)(st.done * (uint64_t)REPORT_PERCENT_100 / st.total);

		report_set_percent(x->row, RF_COPY_PERCENT, pct);
		report_set_percent(x->row, RF_SYNC_PERCENT, pct);
	}
	report_set_str(x->row, RF_RAID_SYNC_ACTION, st.action);
	report_set_u64(x->row, RF_RAID_MISMATCH_COUNT, st.mismatches);
	for (unsigned i = 0; i < r->count && i < strlen(st.health); i++)
		if (raid_image_tracked(vg_find_lv(vg, r->image[i])))
			st.health[i] = 'A'; /* left out on purpose: not a loss */
	if (strchr(st.health, 'D') || strchr(st.health, '-')) {
		x->attr[8] = 'p';
		report_set_str(x->row, RF_LV_HEALTH_STATUS, "partial");
	} else if (st.mismatches && !strcmp(st.action, "idle")) {
		x->attr[8] = 'm';
		report_set_str(x->row, RF_LV_HEALTH_STATUS, "mismatches exist");
	}
}

/* ---- lvcreate ---- */

int raid_set_seg(struct vg *vg, struct vg_lv *lv, uint32_t extents, const struct raid_seg *m, struct vg_lv **meta,
		 struct vg_lv **image, struct err *e)
{
	bool r0 = !strcmp(m->level, "raid0");
	struct cfg_node *sn = seg_new_raw(vg, extents, m->level), *list;

	if (!sn)
		return err_set(e, -ENOMEM, "out of memory");
	cfg_add_int(sn, r0 ? "stripe_count" : "device_count", m->count);
	if (m->data_copies)
		cfg_add_int(sn, "data_copies", m->data_copies);
	if (m->region_size)
		cfg_add_int(sn, "region_size", m->region_size);
	if (m->stripe_size)
		cfg_add_int(sn, "stripe_size", m->stripe_size);
	if (m->writebehind)
		cfg_add_int(sn, "writebehind", m->writebehind);
	if (m->min_rate)
		cfg_add_int(sn, "min_recovery_rate", m->min_rate);
	if (m->max_rate)
		cfg_add_int(sn, "max_recovery_rate", m->max_rate);
	cfg_add_blank(list = cfg_add_array(sn, r0 ? "raid0_lvs" : "raids"), 1);
	for (unsigned i = 0; i < m->count; i++) {
		if (!r0)
			cfg_array_add_str(list, meta[i]->name, true);
		cfg_array_add_str(list, image[i]->name, r0);
	}
	lv->le_count = extents;
	return lv_set_raw_seg(vg, lv, extents, &segtype_raid, sn, e);
}

/* The PVs a new image may take, in order: those named (each once), else
 * the VG's; never one in @avoid (the other images'). */
static unsigned candidate_pvs(const struct lv_change *ch, const struct vg *vg, struct vg_pv *const *avoid,
			      unsigned navoid, struct vg_pv **out, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < (ch->nranges ? ch->nranges : vg->npv) && n < max; i++) {
		struct vg_pv *pv = ch->nranges ? ch->ranges[i].pv : vg->pv[i];
		bool seen = false;

		for (unsigned j = 0; j < n; j++)
			seen |= out[j] == pv;
		for (unsigned j = 0; j < navoid; j++)
			seen |= avoid[j] == pv;
		if (!seen)
			out[n++] = pv;
	}
	return n;
}

/* @pv's part of the command line's ranges, or all of it. */
static unsigned pv_ranges(const struct lv_change *ch, struct vg_pv *pv, struct alloc_range *out, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < ch->nranges && n < max; i++)
		if (ch->ranges[i].pv == pv)
			out[n++] = ch->ranges[i];
	if (!n)
		out[n++] = (struct alloc_range){ pv, 0, UINT32_MAX };
	return n;
}

int raid_alloc(struct lv_change *ch, struct vg *vg, const char *name, unsigned first, unsigned images,
	       bool with_meta, uint64_t per, struct vg_pv *const *avoid, unsigned navoid, struct vg_lv **meta,
	       struct vg_lv **image, struct err *e)
{
	struct vg_pv *pvs[256];
	unsigned npv = candidate_pvs(ch, vg, avoid, navoid, pvs, 256), used = 0;
	char sub[LVM_NAME_LEN + 16];
	int r;

	for (unsigned i = first; i < first + images; i++) {
		struct alloc_range rg[64];
		struct alloc_req req = { .stripes = 1, .ranges = rg };
		bool found = false;

		while (!found && used < npv) {
			req.nranges = pv_ranges(ch, pvs[used++], rg, 64);
			found = pvs[used - 1]->pv && alloc_free_extents(vg, &req) >= per + with_meta;
		}
		if (!found)
			return err_set(e, -ENOSPC,
				       "Insufficient suitable allocatable extents for logical volume %s: image %u needs "
				       "%" PRIu64 " free extents on a PV no other image uses",
				       name, i, per + with_meta);
		if (with_meta) {
			snprintf(sub, sizeof(sub), "%s_rmeta_%u", name, i);
			req.extents = 1;
			if ((r = lv_change_add_hidden(ch, sub, 0, false, &meta[i], e)) ||
			    (r = alloc_extend(vg, meta[i], &req, e)))
				return r;
		}
		snprintf(sub, sizeof(sub), "%s_rimage_%u", name, i);
		req.extents = (uint32_t)per;
		if ((r = lv_change_add_hidden(ch, sub, 0, false, &image[i], e)) || (r = alloc_extend(vg, image[i], &req, e)))
			return r;
	}
	return 0;
}

/* Zero the rmeta LVs' first 8 KiB on their PVs (superblock and bitmap
 * superblock), as lvm2 wipes them: the array starts new. */
int raid_wipe_rmeta(const struct vg *vg, const struct vg_lv *m, struct err *e)
{
	return lv_wipe_new(vg, m, false, 8192, e);
}

static int raid_create(struct lv_change *ch, const struct lv_create_req *req, struct err *e)
{
	struct vg *vg = ch->h->vg;
	const char *level = req->type_name;
	bool r10 = !strcmp(level, "raid10"), r0 = !strncmp(level, "raid0", 5), r1 = !strcmp(level, "raid1");
	unsigned np = raid_parity_devs(level), known = 0;
	unsigned stripes = req->stripes ? req->stripes : r10 || r0 ? 2 : np ? np + 1 : 1;
	unsigned images = r1 ? (req->mirrors ? req->mirrors : 1) + 1 : r10 ? stripes * 2 : stripes + np;
	uint32_t region = req->region_size ? req->region_size : 4096; /* lvm2: 2 MiB */
	uint32_t stripe_size = r1 ? 0 : req->stripe_size ? req->stripe_size : 128;
	uint64_t ext = req->extents, per;
	const char *name;
	char nbuf[LVM_NAME_LEN];
	struct vg_lv *lv, **meta, **image;
	int r;

	for (unsigned k = 0; raid_names[k]; k++)
		known |= !strcmp(level, raid_names[k]);
	if (!known || !strcmp(level, "raid10_near"))
		return err_set(e, -EOPNOTSUPP, "Segment type %s is not supported yet.", level);
	if (np && req->mirrors)
		return err_set(e, -EINVAL, "%s takes no --mirrors: its redundancy is its parity.", level);
	if (np && stripes < np + 1)
		return err_set(e, -EINVAL, "Minimum of %u stripes required for %s.", np + 1, level);
	if (r1 && req->stripes > 1)
		return err_set(e, -EINVAL, "raid1 takes no --stripes.");
	if (r10 && req->mirrors > 1)
		return err_set(e, -EINVAL, "RAID10 currently supports only 2-way mirroring (-m 1).");
	if ((r10 || r0) && stripes < 2)
		return err_set(e, -EINVAL, "%s needs at least 2 stripes (-i).", level);
	if (images > 64)
		return err_set(e, -EINVAL, "%u images: lvm2 allows at most 64.", images);
	if (!ext)
		return err_set(e, -EINVAL, "Please specify either size or extents.");
	if (region & (region - 1) || region < 8)
		return err_set(e, -EINVAL, "Region size %u is not a power of two of at least 4 KiB.", region);
	/* extents per image: rounded up so the data stripes divide the LV */
	{
		unsigned data = r1 ? 1 : stripes;

		if (!r1 && (stripe_size & (stripe_size - 1) || stripe_size < 8))
			return err_set(e, -EINVAL, "Stripe size %u sectors is not a power of two of at least 4 KiB.",
				       stripe_size);
		if (np && (uint64_t)vg->extent_size % stripe_size)
			return err_set(e, -EINVAL, "Stripe size %u sectors does not divide the extent size.", stripe_size);

		if (ext % data)
			ext += data - ext % data;
		per = ext / data;
	}
	if ((r = lv_change_new_name(vg, req, "raid", nbuf, sizeof(nbuf), &name, e)))
		return r;
	meta = calloc(images, sizeof(*meta));
	image = calloc(images, sizeof(*image));
	if (!meta || !image) {
		free(meta);
		free(image);
		return err_set(e, -ENOMEM, "out of memory");
	}
	if ((r = lv_change_add_lv(ch, req, name, &lv, e)))
		goto out;
	/* each image with its rmeta on a PV of its own */
	if ((r = raid_alloc(ch, vg, name, 0, images, !r0, per, NULL, 0, meta, image, e)))
		goto out;
	for (unsigned i = 0; !r0 && i < images; i++)
		if ((r = raid_wipe_rmeta(vg, meta[i], e)))
			goto out;
	if (req->nosync)
		lv->status |= FLAG(LVF_NOTSYNCED);
	{
		struct raid_seg m = { .count = images, .data_copies = r10 ? 2 : 0, .region_size = r0 ? 0 : region,
				      .stripe_size = stripe_size,
				      .max_rate = req->max_rate > 0 && !r0 ? (uint32_t)req->max_rate : 0,
				      .min_rate = req->min_rate > 0 && !r0 ? (uint32_t)req->min_rate : 0 };

		snprintf(m.level, sizeof(m.level), "%s", r0 ? "raid0" : level);
		if ((r = raid_set_seg(vg, lv, (uint32_t)ext, &m, meta, image, e)) ||
		    (r = lvm_vg_commit(ch->env, ch->h, e)))
			goto out;
	}
	r = lv_change_created(ch, req, name, e);
out:
	free(meta);
	free(image);
	return r;
}

/* lvdisplay: "Mirrored volumes" of raid1 and raid10 (lvm2's
 * SEG_AREAS_MIRRORED levels); --maps: each image and rmeta (_raid_display). */
static void raid_display(struct seg_display_ctx *x)
{
	const struct raid_seg *r = lv_seg_model(x->lv, lv_segtype(x->lv));

	if (r && x->at == SEG_DISPLAY_MORE && (!strcmp(r->level, "raid1") || !strcmp(r->level, "raid10")))
		fprintf(x->out, "  Mirrored volumes       %u\n", r->count);
}

static void raid_display_seg(const struct seg_display_ctx *x, const struct lv_seg *s)
{
	const struct raid_seg *r = s->priv;

	uint32_t len = r ? image_extents(r, s->len) : 0;

	for (unsigned i = 0; r && i < r->count; i++) {
		fprintf(x->out, "    Raid Data LV%2u\n", i);
		fprintf(x->out, "      Logical volume\t%s\n      Logical extents\t0 to %u\n", r->image[i], len - 1);
	}
	for (unsigned i = 0; r && r->meta && i < r->count; i++)
		if (r->meta[i])
			fprintf(x->out, "    Raid Metadata LV%2u\t%s\n", i, r->meta[i]);
	fprintf(x->out, "   \n");
}

static const struct seg_ref_key raid_refs[] = {
	{ "raids", true, 1, false, NULL },
	{ "raid0_lvs", true, 1, false, NULL },
	{ NULL, false, 0, false, NULL },
};

const struct segtype segtype_raid = {
	.name = "raid",
	.names = raid_names,
	.create_names = "raid0, raid1, raid10, raid4, raid5, raid5_la, raid5_ra, raid5_ls, raid5_rs, raid5_n, raid6, "
			"raid6_zr, raid6_nr, raid6_nc, raid6_n_6, raid6_la_6, raid6_ra_6, raid6_ls_6, raid6_rs_6",
	.flags = SEGTYPE_KEPT | SEGTYPE_MONITORED,
	.refs = raid_refs,
	.attr_volume = 'r',
	.attr_target = 'r',
	.parse = raid_parse,
	.free = raid_seg_free,
	.plan = raid_plan,
	.owner_of = raid_owner_of,
	.report = raid_report,
	.display = raid_display,
	.display_seg = raid_display_seg,
	.create = raid_create,
	.convert = raid_convert,
	.missing = raid_missing,
	.resize = raid_resize,
};
