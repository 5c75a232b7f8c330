/* LV -> dm table.  See activate.h. */
#include "lvm/activate.h"

#include "io/dev.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t dm_escape(const char *s, char *out)
{
	size_t n = 0;

	for (; *s; s++) {
		out[n++] = *s;
		if (*s == '-')
			out[n++] = '-';
	}
	out[n] = 0;
	return n;
}

void vg_dm_prefix(const char *vgname, char out[LV_DM_NAME_MAX])
{
	size_t n = dm_escape(vgname, out);

	out[n++] = '-';
	out[n] = 0;
}

void lv_dm_name(const struct vg *vg, const struct vg_lv *lv, char out[LV_DM_NAME_MAX])
{
	size_t n = dm_escape(vg->name, out);

	out[n++] = '-';
	dm_escape(lv->name, out + n);
}

void lv_dm_uuid(const struct vg *vg, const struct vg_lv *lv, char out[LV_DM_UUID_MAX])
{
	snprintf(out, LV_DM_UUID_MAX, "LVM-%s%s", vg->id, lv->id);
}

void lv_export_name(const struct vg *vg, const struct vg_lv *lv, char *out, size_t size)
{
	snprintf(out, size, "%s/%s", vg->name, lv->name);
}

int lv_extents_claimed(const struct vg *vg, const struct vg_lv *lv)
{
	uint64_t E = (uint64_t)vg->extent_size * 512;

	for (unsigned i = 0; i < lv->nseg; i++) {
		const struct lv_seg *s = &lv->seg[i];

		for (unsigned k = 0; k < s->narea; k++) {
			const struct vg_pv *p = s->area[k].pv;
			int r;

			if (!p->path)
				continue;
			r = dev_path_claimed(p->path, p->pe_start * 512 + s->area[k].pe * E, seg_area_len(s) * E);
			if (r)
				return r;
		}
	}
	return 0;
}

int lv_table(const struct vg *vg, const struct vg_lv *lv, char **text, struct err *e)
{
	uint64_t E = vg->extent_size;
	size_t len = 0;
	FILE *f;

	*text = NULL;
	for (unsigned i = 0; i < lv->nseg; i++) {
		const struct lv_seg *s = &lv->seg[i];

		if (!s->striped)
			return err_set(e, -EOPNOTSUPP, "LV %s/%s: segment type %s cannot be activated yet",
				       vg->name, lv->name, s->type);
		for (unsigned k = 0; k < s->narea; k++)
			if (!s->area[k].pv->pv || !s->area[k].pv->path) {
				char id[LVM_ID_TEXT_LEN + 1];

				lvm_id_format(s->area[k].pv->id, id);
				return err_set(e, -ENODEV, "LV %s/%s uses missing PV %s", vg->name, lv->name, id);
			}
	}
	if (!(f = open_memstream(text, &len)))
		return err_set(e, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < lv->nseg; i++) {
		const struct lv_seg *s = &lv->seg[i];
		fprintf(f, "%s%" PRIu64 " %" PRIu64, i ? "\n" : "", s->le * E, s->len * E);
		if (s->narea == 1)
			fprintf(f, " linear %s %" PRIu64, s->area[0].pv->path,
				s->area[0].pv->pe_start + s->area[0].pe * E);
		else
			fprintf(f, " striped %u %u", s->narea, s->stripe_size);
		for (unsigned k = 0; s->narea > 1 && k < s->narea; k++)
			fprintf(f, " %s %" PRIu64, s->area[k].pv->path, s->area[k].pv->pe_start + s->area[k].pe * E);
	}
	if (fclose(f)) {
		free(*text);
		*text = NULL;
		return err_set(e, -ENOMEM, "out of memory");
	}
	return 0;
}
