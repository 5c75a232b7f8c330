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
 *
 * blkid needs a descriptor: a PV that is a file or block device is probed
 * in place; any other (a device of ulvmd, an NBD export) on a sparse
 * memory copy of the region's first and last MiB (where the signatures
 * blkid knows live), and what blkid wiped there is written back.
 */
#include "lvm/wipe.h"

#include <blkid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/dev.h"
#include "lvm/devices.h"

#define WINDOW (1u << 20)

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

/* The windows of [off, off+len) a copy holds: its first and last MiB. */
static void windows(uint64_t off, uint64_t len, uint64_t w[2][2])
{
	w[0][0] = off;
	w[0][1] = len < WINDOW ? len : WINDOW;
	w[1][0] = len > 2 * WINDOW ? off + len - WINDOW : off + w[0][1];
	w[1][1] = off + len - w[1][0];
}

/* Copy the windows between @fd and @dv: into @fd, or (@back) what differs
 * back to @dv. */
static int copy_windows(struct dev *dv, int fd, uint64_t w[2][2], bool back, struct err *e)
{
	char *a = malloc(4096), *b = malloc(4096);
	int r = 0;

	if (!a || !b)
		r = err_set(e, -ENOMEM, "out of memory");
	for (int i = 0; i < 2 && !r; i++)
		for (uint64_t at = w[i][0]; !r && at < w[i][0] + w[i][1]; at += 4096) {
			size_t n = w[i][0] + w[i][1] - at < 4096 ? (size_t)(w[i][0] + w[i][1] - at) : 4096;

			if ((r = dev_read(dv, a, n, at)))
				r = err_set(e, r, "%s: %s", dv->name, strerror(-r));
			else if (!back && pwrite(fd, a, n, (off_t)at) != (ssize_t)n)
				r = err_set(e, -EIO, "copying %s: %s", dv->name, strerror(errno));
			else if (back && pread(fd, b, n, (off_t)at) != (ssize_t)n)
				r = err_set(e, -EIO, "reading the copy of %s", dv->name);
			else if (back && memcmp(a, b, n) && (r = dev_write(dv, b, n, at, 0)))
				r = err_set(e, r, "%s: %s", dv->name, strerror(-r));
		}
	if (!r && back)
		r = dev_flush(dv);
	free(a);
	free(b);
	return r;
}

/* wipe_region on PV @path, in place or on a copy (above). */
static int wipe_pv(const char *path, uint64_t off, uint64_t len, const char *lvname, struct err *e)
{
	uint64_t w[2][2];
	struct dev *dv = NULL;
	struct stat st;
	unsigned n = 0;
	int fd, r;

	if (!path)
		return err_set(e, -ENODEV, "a PV of the new LV is missing");
	if (!stat(path, &st) && (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))) {
		if ((fd = open(path, O_RDWR | O_CLOEXEC)) < 0)
			return err_set(e, -errno, "%s: %s", path, strerror(errno));
		r = wipe_region(fd, off, len, lvname, &n, e);
		if (!r && n && fdatasync(fd))
			r = err_set(e, -errno, "%s: %s", path, strerror(errno));
		close(fd);
		return r;
	}
	if ((r = dev_open_spec(path, NULL, 0, &dv, e)))
		return r;
	windows(off, len, w);
	if ((fd = memfd_create("ulvm-wipe", MFD_CLOEXEC)) < 0 || ftruncate(fd, (off_t)(off + len)))
		r = err_set(e, -errno, "memfd: %s", strerror(errno));
	if (!r)
		r = copy_windows(dv, fd, w, false, e);
	if (!r)
		r = wipe_region(fd, off, len, lvname, &n, e);
	if (!r && n)
		r = copy_windows(dv, fd, w, true, e);
	if (fd >= 0)
		close(fd);
	dev_put(dv);
	return r;
}

int lv_wipe_new(const struct vg *vg, const struct vg_lv *lv, bool signatures, size_t zero, struct err *e)
{
	char name[2 * LVM_NAME_LEN + 2], *zeroes;
	const struct lv_seg *first, *last;
	uint64_t off, len;
	int r = 0;

	/* a new LV's areas are on PVs (lvcreate never makes sub-LV areas) */
	if (!lv->nseg || !lv->seg[0].striped || !seg_on_pvs(&lv->seg[0]) || !seg_on_pvs(&lv->seg[lv->nseg - 1]) ||
	    !(signatures || zero))
		return 0;
	snprintf(name, sizeof(name), "%s/%s", vg->name, lv->name);
	first = &lv->seg[0];
	last = &lv->seg[lv->nseg - 1];
	area_range(vg, first, 0, &off, &len);
	if (signatures)
		r = wipe_pv(first->area[0].pv->path, off, len, name, e);
	if (zero > len)
		zero = (size_t)len;
	if (!r && zero) {
		if (!(zeroes = calloc(1, zero)))
			return err_set(e, -ENOMEM, "out of memory");
		r = lvm_dev_pwrite(first->area[0].pv->path, zeroes, zero, off, "zeroing the start of the new LV", e);
		free(zeroes);
	}
	if (r || !signatures || !last->striped || (last == first && first->narea == 1))
		return r;
	area_range(vg, last, last->narea - 1, &off, &len);
	return wipe_pv(last->area[last->narea - 1].pv->path, off, len, name, e);
}
