/* A new LV starts clean, as lvm2's wipe_lv (lib/metadata/lv_manip.c):
 * known signatures in it are wiped (libblkid, as wipefs does) and its first
 * 4 KiB are zeroed, so an old file system, RAID member or partition table
 * that lay on those extents never shows through the new LV.
 *
 * ulvm writes the PVs directly, through the LV's mapping: the LV need not
 * be active.  blkid probes a region of a PV: the LV's first area (for a
 * striped segment, its first stripe chunk, the only part contiguous on
 * one PV) finds what sits at the start of the LV (file systems, swap,
 * partition tables, LVM labels, RAID superblocks at the start); the last
 * area of the last segment, probed on its own, finds what sits at the end
 * (md 1.0, a backup GPT) when the LV ends there.  Only bytes inside the
 * new LV's extents are written.
 */
#include "lvm/wipe.h"

#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Wipe every signature blkid finds in [off, off + len) of @fd. */
static int wipe_region(int fd, uint64_t off, uint64_t len, const char *lvname, unsigned *n, struct err *e)
{
	blkid_probe pr = blkid_new_probe();
	int r = 0;

	if (!pr)
		return err_set(e, -ENOMEM, "out of memory");
	if (blkid_probe_set_device(pr, fd, (blkid_loff_t)off, (blkid_loff_t)len)) {
		blkid_free_probe(pr);
		return err_set(e, -EIO, "%s: cannot probe for signatures", lvname);
	}
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_MAGIC | BLKID_SUBLKS_TYPE | BLKID_SUBLKS_BADCSUM);
	blkid_probe_enable_partitions(pr, 1);
	blkid_probe_set_partitions_flags(pr, BLKID_PARTS_MAGIC);
	while (blkid_do_probe(pr) == 0) {
		const char *type = NULL;

		if (blkid_probe_lookup_value(pr, "TYPE", &type, NULL) &&
		    blkid_probe_lookup_value(pr, "PTTYPE", &type, NULL))
			type = "unknown";
		printf("  Wiping %s signature on %s.\n", type, lvname);
		if (blkid_do_wipe(pr, 0)) {
			r = err_set(e, -EIO, "%s: wiping the %s signature failed", lvname, type);
			break;
		}
		(*n)++;
	}
	blkid_free_probe(pr);
	return r;
}

/* Byte range of area @k of segment @s on its PV; for a striped segment
 * only the first stripe chunk is contiguous there. */
static void area_range(const struct vg *vg, const struct lv_seg *s, unsigned k, uint64_t *off, uint64_t *len)
{
	uint64_t E = (uint64_t)vg->extent_size * 512;

	*off = s->area[k].pv->pe_start * 512 + s->area[k].pe * E;
	*len = s->narea > 1 ? (uint64_t)s->stripe_size * 512 : seg_area_len(s) * E;
}

static int with_pv(const struct vg_pv *p, int *fd, struct err *e)
{
	if (!p->path)
		return err_set(e, -ENODEV, "a PV of the new LV is missing");
	if ((*fd = open(p->path, O_RDWR | O_CLOEXEC)) < 0)
		return err_set(e, -errno, "%s: %s", p->path, strerror(errno));
	return 0;
}

int lv_wipe_new(const struct vg *vg, const struct vg_lv *lv, bool signatures, size_t zero, struct err *e)
{
	static const char zeroes[4096];
	char name[2 * LVM_NAME_LEN + 2];
	const struct lv_seg *first, *last;
	uint64_t off, len;
	unsigned n = 0;
	int fd = -1, r;

	/* a new LV's areas are on PVs (lvcreate never makes sub-LV areas) */
	if (!lv->nseg || !lv->seg[0].striped || !seg_on_pvs(&lv->seg[0]) || !seg_on_pvs(&lv->seg[lv->nseg - 1]) ||
	    !(signatures || zero))
		return 0;
	snprintf(name, sizeof(name), "%s/%s", vg->name, lv->name);
	first = &lv->seg[0];
	last = &lv->seg[lv->nseg - 1];
	area_range(vg, first, 0, &off, &len);
	if ((r = with_pv(first->area[0].pv, &fd, e)))
		return r;
	if (signatures)
		r = wipe_region(fd, off, len, name, &n, e);
	if (zero > len)
		zero = (size_t)len;
	for (size_t at = 0; !r && at < zero; at += sizeof(zeroes)) {
		size_t n = zero - at < sizeof(zeroes) ? zero - at : sizeof(zeroes);

		if (pwrite(fd, zeroes, n, (off_t)(off + at)) != (ssize_t)n)
			r = err_set(e, errno ? -errno : -EIO, "zeroing the start of %s: %s", name, strerror(errno));
	}
	if (!r && fdatasync(fd))
		r = err_set(e, -errno, "%s: %s", first->area[0].pv->path, strerror(errno));
	close(fd);
	if (r || !signatures || !last->striped || (last == first && first->narea == 1))
		return r;
	area_range(vg, last, last->narea - 1, &off, &len);
	if ((r = with_pv(last->area[last->narea - 1].pv, &fd, e)))
		return r;
	r = wipe_region(fd, off, len, name, &n, e);
	if (!r && n && fdatasync(fd))
		r = err_set(e, -errno, "%s: %s", last->area[last->narea - 1].pv->path, strerror(errno));
	close(fd);
	return r;
}
