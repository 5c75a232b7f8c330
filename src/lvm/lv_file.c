/* An LV's bytes to and from a file through its PV extents (lv_file.h).
 * The LV must be inactive: nothing here coordinates with ulvmd. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "io/dev.h"
#include "lvm/lv_file.h"

#define LV_FILE_CHUNK (1u << 20)

int lv_file_copy(const struct vg *vg, const struct vg_lv *lv, int fd, bool to_lv, const char *run_dir,
		 struct err *e)
{
	uint8_t *buf = malloc(LV_FILE_CHUNK);
	int r = 0;

	if (!buf)
		return err_set(e, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < lv->nseg && !r; i++) {
		const struct lv_seg *s = &lv->seg[i];
		uint64_t pos = (uint64_t)s->le * vg->extent_size * 512, len = (uint64_t)s->len * vg->extent_size * 512;
		uint64_t pvoff;
		struct dev *dv;

		if (!s->striped || s->narea != 1 || !s->area[0].pv || !s->area[0].pv->path) {
			r = err_set(e, -EOPNOTSUPP, "LV %s/%s: segment %u is not linear on a present PV", vg->name,
				    lv->name, i + 1);
			break;
		}
		pvoff = (s->area[0].pv->pe_start + (uint64_t)s->area[0].pe * vg->extent_size) * 512;
		if ((r = dev_open_spec(s->area[0].pv->path, run_dir, to_lv ? 0 : DEV_OPEN_RDONLY, &dv, e)))
			break;
		for (uint64_t done = 0; done < len && !r;) {
			size_t n = len - done < LV_FILE_CHUNK ? (size_t)(len - done) : LV_FILE_CHUNK;
			ssize_t k;

			if (to_lv) {
				k = pread(fd, buf, n, (off_t)(pos + done));
				if (k != (ssize_t)n)
					r = err_set(e, k < 0 ? -errno : -EIO, "reading the file for %s/%s at %" PRIu64,
						    vg->name, lv->name, pos + done);
				else if ((r = dev_write(dv, buf, n, pvoff + done, 0)))
					r = err_set(e, r, "%s: writing %s/%s: %s", s->area[0].pv->path, vg->name,
						    lv->name, strerror(-r));
			} else if ((r = dev_read(dv, buf, n, pvoff + done))) {
				r = err_set(e, r, "%s: reading %s/%s: %s", s->area[0].pv->path, vg->name, lv->name,
					    strerror(-r));
			} else if ((k = pwrite(fd, buf, n, (off_t)(pos + done))) != (ssize_t)n) {
				r = err_set(e, k < 0 ? -errno : -EIO, "writing a copy of %s/%s", vg->name, lv->name);
			}
			done += n;
		}
		if (!r && to_lv && (r = dev_flush(dv)))
			r = err_set(e, r, "%s: flush: %s", s->area[0].pv->path, strerror(-r));
		dev_put(dv);
	}
	free(buf);
	return r;
}
