#include "lvm/pv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SECTOR 512u

static void mda_drop_text(struct pv_mda *m)
{
	free(m->text);
	m->text = NULL;
	m->text_len = 0;
	cfg_tree_free(m->sum.tree);
	memset(&m->sum, 0, sizeof(m->sum));
}

/* Keep the text and tree of @m aside (callers may still hold names from
 * them) and clear it for a new read. */
static void keep_stale(struct pv *pv, struct pv_mda *m)
{
	struct pv_stale *s = (m->text || m->sum.tree) ? malloc(sizeof(*s)) : NULL;

	if (!s) {
		if (m->text || m->sum.tree) /* no memory: keep them where they are */
			return;
		mda_drop_text(m);
		return;
	}
	*s = (struct pv_stale){ pv->stale, m->text, m->sum.tree };
	pv->stale = s;
	m->text = NULL;
	m->text_len = 0;
	memset(&m->sum, 0, sizeof(m->sum));
}

void pv_free(struct pv *pv)
{
	if (!pv)
		return;
	while (pv->stale) {
		struct pv_stale *s = pv->stale;

		pv->stale = s->next;
		free(s->text);
		cfg_tree_free(s->tree);
		free(s);
	}
	for (unsigned i = 0; i < pv->nmda; i++)
		mda_drop_text(&pv->mda[i]);
	dev_put(pv->dev);
	free(pv);
}

/* The same text already parsed on a PV scanned before: share its tree.
 * A VG's PVs hold identical copies; a VG of 1,000 LVs has ~350 KiB of
 * text, and parsing it once per PV was most of the time of `lvs`. */
static bool share_summary(struct pv_mda *m, struct pv *const *seen, unsigned nseen)
{
	for (unsigned i = 0; i < nseen; i++)
		for (unsigned j = 0; seen[i] && j < seen[i]->nmda; j++) {
			const struct pv_mda *o = &seen[i]->mda[j];

			if (o->text_status || !o->sum.tree || o->text_len != m->text_len ||
			    memcmp(o->text, m->text, m->text_len))
				continue;
			m->sum = o->sum;
			m->sum.tree = cfg_tree_ref(o->sum.tree);
			return true;
		}
	return false;
}

static void scan_mda(struct pv *pv, struct pv_mda *m, struct pv *const *seen, unsigned nseen)
{
	struct dev *d = pv->dev;

	m->status = mda_header_read(d, m->locn.offset, m->locn.size, &m->hdr, &m->why);
	if (m->status) {
		m->text_status = m->status;
		return;
	}
	if (mda_empty(&m->hdr)) {
		m->text_status = err_set(&m->text_why, -ENODATA, "%s: mda at %llu %s", d->name,
					 (unsigned long long)m->locn.offset,
					 mda_ignored(&m->hdr) ? "is ignored" : "holds no metadata");
		return;
	}
	m->text_status = mda_read_text(d, &m->hdr, &m->hdr.slot[0], &m->text, &m->text_len,
				       &m->text_why);
	if (m->text_status || share_summary(m, seen, nseen))
		return;
	m->text_status = vgtext_summarize(m->text, m->text_len, &m->sum, &m->text_why);
	if (m->text_status) {
		err_set(&m->text_why, m->text_status, "%s: metadata at %llu", d->name,
			(unsigned long long)(m->locn.offset + m->hdr.slot[0].offset));
		free(m->text);
		m->text = NULL;
	}
}

static void scan_mdas(struct pv *pv, struct pv *const *seen, unsigned nseen)
{
	pv->best = -1;
	for (unsigned i = 0; i < pv->nmda; i++) {
		struct pv_mda *m = &pv->mda[i];

		err_clear(&m->why);
		err_clear(&m->text_why);
		scan_mda(pv, m, seen, nseen);
		if (!m->text_status && (pv->best < 0 || m->sum.seqno > pv->mda[pv->best].sum.seqno))
			pv->best = (int)i;
	}
}

int pv_scan(struct dev *d, struct pv **out, struct err *e)
{
	return pv_scan_shared(d, NULL, 0, out, e);
}

int pv_scan_shared(struct dev *d, struct pv *const *seen, unsigned nseen, struct pv **out,
		   struct err *e)
{
	struct pv *pv = calloc(1, sizeof(*pv));
	int r;

	*out = NULL;
	if (!pv)
		return err_set(e, -ENOMEM, "out of memory");
	pv->dev = dev_get(d);
	pv->best = -1;
	if ((r = pv_label_read(d, &pv->label, e))) {
		pv_free(pv);
		return r;
	}
	if (pv->label.n_mda > PV_MAX_MDAS) {
		pv_free(pv);
		return err_set(e, -EINVAL, "%s: %u metadata areas in the label, at most %d", d->name,
			       pv->label.n_mda, PV_MAX_MDAS);
	}
	pv->nmda = pv->label.n_mda;
	for (unsigned i = 0; i < pv->nmda; i++)
		pv->mda[i].locn = pv->label.mda[i];
	scan_mdas(pv, seen, nseen);
	*out = pv;
	return 0;
}

void pv_refresh(struct pv *pv)
{
	/* Read under the lock from the device, not from pages cached by the
	 * scan: lvm2 writes metadata with O_DIRECT, and a page the scan was
	 * reading at that moment can stay stale in the page cache. */
	for (unsigned i = 0; i < pv->nmda; i++)
		dev_drop_cache(pv->dev, pv->mda[i].locn.offset, pv->mda[i].locn.size);
	for (unsigned i = 0; i < pv->nmda && !pv->reread; i++) {
		const struct pv_mda *m = &pv->mda[i];
		struct mda_header h;
		struct err e = { { 0 } };
		int r = mda_header_read(pv->dev, m->locn.offset, m->locn.size, &h, &e);

		/* a slot that moved, or a copy found damaged: the scan may
		 * have raced with a writer (lvm2 too) that we now exclude */
		pv->reread = r || m->status || (m->text_status && m->text_status != -ENODATA) ||
			     memcmp(&h.slot[0], &m->hdr.slot[0], sizeof(h.slot[0]));
	}
}

const struct vgtext_summary *pv_vg(const struct pv *cpv, const char **text, size_t *len)
{
	struct pv *pv = (struct pv *)cpv; /* a cache: reading again changes no meaning */
	const struct pv_mda *m;

	if (pv->reread) { /* a second VG read in one command, after a commit */
		pv->reread = false;
		for (unsigned i = 0; i < pv->nmda; i++)
			keep_stale(pv, &pv->mda[i]);
		scan_mdas(pv, NULL, 0);
	}
	if (pv->best < 0)
		return NULL;
	m = &pv->mda[pv->best];
	if (text)
		*text = m->text;
	if (len)
		*len = m->text_len;
	return &m->sum;
}

void pv_create_opts_default(struct pv_create_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->mda_copies = 1;
	o->mda_size = PV_DEFAULT_MDA_SIZE;
	o->data_alignment = PV_DEFAULT_DATA_ALIGNMENT;
	o->label_sector = 1;
}

/* mda1 at the start (_text_pv_add_metadata_area, mda_index 0); all in
 * bytes.  Unlocked, it ends below the device's end less the bootloader
 * area, and pe_start (and ba_start) move behind it.  With pe_start
 * @locked (a restored PV) it ends below pe_start less the bootloader
 * area, taking all the room there is when it does not fit. */
static int plan_mda1(struct pv_layout *l, bool locked, uint64_t mda_size, uint64_t align, uint64_t align_off,
		     struct err *e)
{
	uint64_t limit, start = LABEL_SCAN_SIZE, adj, tmp;

	if (locked && (l->pe_start < l->ba_size || l->pe_start - l->ba_size < start))
		return err_set(e, -ENOSPC, "no room for a metadata area before the data area at %llu",
			       (unsigned long long)l->pe_start);
	limit = locked ? l->pe_start - l->ba_size : l->size - l->ba_size;
	if (limit - start >= MDA_SIZE_MIN && (adj = start % PV_PAGE_SIZE))
		start += PV_PAGE_SIZE - adj;
	if ((adj = (start + mda_size) % align)) {
		tmp = mda_size + align - adj;
		if (start + tmp <= limit)
			mda_size = tmp;
	}
	if (align_off && (start + mda_size) % align == 0 && start + mda_size + align_off <= limit)
		mda_size += align_off;
	if (start + mda_size > limit) {
		if (!locked && limit - start > align * 2) {
			mda_size = limit - start - align * 2;
			if ((adj = (start + mda_size) % align))
				mda_size += align - adj;
			if (start + mda_size > limit)
				return err_set(e, -ENOSPC, "not enough space for the first metadata area");
		} else {
			mda_size = limit - start;
		}
	}
	if (mda_size < MDA_SIZE_MIN)
		return err_set(e, -ENOSPC, "metadata area size %llu is below the minimum of %u bytes",
			       (unsigned long long)mda_size, MDA_SIZE_MIN);
	l->mda[l->nmda++] = (struct disk_locn){ start, mda_size };
	if (locked)
		return 0;
	if (l->ba_size) {
		l->ba_start = start + mda_size;
		l->pe_start = l->ba_start + l->ba_size;
	} else {
		l->pe_start = start + mda_size;
	}
	return 0;
}

/* mda2 at the end (mda_index 1): after @limit (pe_start, or a restored
 * PV's pe_end), start aligned down. */
static int plan_mda2(struct pv_layout *l, uint64_t limit, uint64_t mda_size, uint64_t align, struct err *e)
{
	uint64_t disk = l->size, start, adj;

	if (limit >= disk)
		return err_set(e, -ENOSPC, "not enough space for the second metadata area");
	if (mda_size > disk)
		mda_size = disk - limit;
	start = disk - mda_size;
	if (disk - mda_size < limit) {
		mda_size = disk - limit;
		start = disk - mda_size;
	} else if ((adj = start % align) && mda_size + adj < disk && disk - (mda_size + adj) >= limit) {
		mda_size += adj;
		start = disk - mda_size;
	}
	if (mda_size < MDA_SIZE_MIN)
		return err_set(e, -ENOSPC, "metadata area size %llu is below the minimum of %u bytes",
			       (unsigned long long)mda_size, MDA_SIZE_MIN);
	l->mda[l->nmda++] = (struct disk_locn){ start, mda_size };
	return 0;
}

int pv_plan(uint64_t dev_size, const struct pv_create_opts *o, struct pv_layout *l,
	    struct err *e)
{
	uint64_t align = o->data_alignment ? o->data_alignment : PV_DEFAULT_DATA_ALIGNMENT;
	uint64_t final, adj;
	int r;

	memset(l, 0, sizeof(*l));
	if (o->size > dev_size)
		return err_set(e, -EINVAL, "size %llu is larger than the device (%llu bytes)",
			       (unsigned long long)o->size, (unsigned long long)dev_size);
	/* LVM counts the device in sectors. */
	l->size = (o->size ? o->size : dev_size) / SECTOR * SECTOR;
	if (align % SECTOR || o->data_alignment_offset % SECTOR || o->mda_size % SECTOR ||
	    o->ba_size % SECTOR)
		return err_set(e, -EINVAL, "alignments and sizes must be multiples of 512 bytes");
	if (o->mda_copies > PV_MAX_MDAS)
		return err_set(e, -EINVAL, "%u metadata copies, at most %d", o->mda_copies, PV_MAX_MDAS);
	if (o->label_sector >= LABEL_SCAN_SECTORS)
		return err_set(e, -EINVAL, "label sector %u is not in 0..%d", o->label_sector,
			       LABEL_SCAN_SECTORS - 1);
	if (l->size < PV_MIN_SIZE)
		return err_set(e, -EINVAL, "size %llu is below the minimum of %llu bytes",
			       (unsigned long long)l->size, PV_MIN_SIZE);
	if (align < o->data_alignment_offset)
		return err_set(e, -EINVAL, "data alignment offset exceeds the data alignment");
	final = align + o->data_alignment_offset;
	if (l->size < final + o->ba_size)
		return err_set(e, -EINVAL, "data alignment must not exceed the device size");
	if (o->pe_start) { /* --restorefile */
		if (o->pe_start % SECTOR || o->pe_end < o->pe_start || o->pe_end > l->size ||
		    (o->ba_size && (o->ba_start < LABEL_SCAN_SIZE || o->ba_start + o->ba_size > o->pe_start)))
			return err_set(e, -EINVAL, "the data area %llu-%llu of the backup does not fit the device "
				       "(%llu bytes)", (unsigned long long)o->pe_start, (unsigned long long)o->pe_end,
				       (unsigned long long)l->size);
		l->pe_start = o->pe_start;
		l->ba_start = o->ba_size ? o->ba_start : 0;
		l->ba_size = o->ba_size;
		if (o->mda_copies >= 1 && (r = plan_mda1(l, true, o->mda_size, align, o->data_alignment_offset, e)))
			return r;
		if (o->mda_copies >= 2 && (r = plan_mda2(l, o->pe_end, o->mda_size, align, e)))
			return r;
		return 0;
	}
	if (o->ba_size) {
		l->ba_start = final;
		l->ba_size = o->ba_size;
		if ((adj = o->ba_size % align))
			l->ba_size += align - adj;
		if (l->size < l->ba_start + l->ba_size)
			l->ba_size = l->size - l->ba_start;
		l->pe_start = l->ba_start + l->ba_size;
	} else {
		l->pe_start = final;
	}
	if (o->mda_copies >= 1 &&
	    (r = plan_mda1(l, false, o->mda_size, align, o->data_alignment_offset, e)))
		return r;
	if (o->mda_copies >= 2 && (r = plan_mda2(l, l->pe_start, o->mda_size, align, e)))
		return r;
	if (l->pe_start > l->size)
		return err_set(e, -ENOSPC, "no room for data after the metadata areas");
	return 0;
}

int pv_create(struct dev *d, const struct pv_create_opts *o, struct pv **out, struct err *e)
{
	struct pv_layout l;
	struct pv_label lab = { 0 };
	int r;

	if (out)
		*out = NULL;
	if ((r = pv_plan(d->size, o, &l, e)))
		return err_set(e, r, "%s", d->name);
	if (o->uuid)
		r = lvm_id_parse(o->uuid, lab.pv_uuid, e);
	else
		r = lvm_id_create(lab.pv_uuid, e);
	if (r)
		return r;
	lab.sector = o->label_sector;
	lab.device_size = l.size;
	lab.n_data = 1;
	lab.data[0] = (struct disk_locn){ l.pe_start, 0 };
	lab.n_mda = l.nmda;
	memcpy(lab.mda, l.mda, sizeof(l.mda));
	lab.ext_version = PV_HEADER_EXT_VSN;
	if (l.ba_size) {
		lab.n_ba = 1;
		lab.ba[0] = (struct disk_locn){ l.ba_start, l.ba_size };
	}

	if (!o->no_zero && (r = dev_write_zeroes(d, 0, LABEL_SCAN_SIZE, 0)))
		return err_set(e, r, "%s: wiping the label sectors: %s", d->name, strerror(-r));
	for (unsigned i = 0; i < l.nmda; i++) {
		uint64_t n = l.mda[i].size < PV_MDA_WIPE_SIZE ? l.mda[i].size : PV_MDA_WIPE_SIZE;
		struct mda_header h;

		if ((r = dev_write_zeroes(d, l.mda[i].offset, n, 0)))
			return err_set(e, r, "%s: wiping the metadata area at %llu: %s", d->name,
				       (unsigned long long)l.mda[i].offset, strerror(-r));
		mda_header_init(&h, l.mda[i].offset, l.mda[i].size, o->mda_ignored);
		if ((r = mda_header_write(d, &h, e)))
			return r;
	}
	if ((r = dev_flush(d)))
		return err_set(e, r, "%s: flush: %s", d->name, strerror(-r));
	if ((r = pv_label_write(d, &lab, e)))
		return r;
	return out ? pv_scan(d, out, e) : 0;
}

uint64_t pv_pe_count(const struct pv *pv, uint64_t pe_start, uint32_t extent_size)
{
	uint64_t end = pv->label.device_size;

	if (pv->nmda == 2)
		end -= pv->mda[1].locn.size;
	if (!extent_size || end <= pe_start)
		return 0;
	return (end - pe_start) / ((uint64_t)extent_size * SECTOR);
}

int pv_set_uuid(struct pv *pv, const char *id32, struct err *e)
{
	struct pv_label lab = pv->label;
	int r;

	memcpy(lab.pv_uuid, id32, sizeof(lab.pv_uuid));
	if ((r = pv_label_write(pv->dev, &lab, e)))
		return r;
	pv->label = lab;
	return 0;
}

int pv_resize_areas(struct pv *pv, uint64_t dev_bytes, uint64_t label_size, uint64_t min_offset,
		    struct err *e)
{
	struct pv_label lab = pv->label;
	struct pv_mda *m = pv->nmda > 1 ? &pv->mda[1] : NULL;
	struct mda_header h;
	int r;

	lab.device_size = label_size;
	if (m) {
		uint64_t size = m->locn.size, off = dev_bytes - size;
		bool ignored = !m->status && mda_ignored(&m->hdr);

		if (dev_bytes < size || off < min_offset || lab.n_mda < 2)
			return err_set(e, -ENOSPC, "Not enough space available for metadata area with index 1 on PV %s.",
				       pv->dev->name);
		if ((r = dev_write_zeroes(pv->dev, off, size < PV_MDA_WIPE_SIZE ? size : PV_MDA_WIPE_SIZE, 0)))
			return err_set(e, r, "%s: wiping the metadata area at %llu: %s", pv->dev->name,
				       (unsigned long long)off, strerror(-r));
		mda_header_init(&h, off, size, ignored);
		if ((r = mda_header_write(pv->dev, &h, e)))
			return r;
		if ((r = dev_flush(pv->dev)))
			return err_set(e, r, "%s: flush: %s", pv->dev->name, strerror(-r));
		lab.mda[1].offset = off;
	}
	if ((r = pv_label_write(pv->dev, &lab, e)))
		return r;
	pv->label = lab;
	if (m) { /* the commit that follows writes there; reads see it afresh */
		m->locn = lab.mda[1];
		m->hdr = h;
		m->status = 0;
		pv->reread = true;
	}
	return 0;
}

int pv_set_in_use(struct pv *pv, bool used, struct err *e)
{
	struct pv_label lab = pv->label;
	int r;

	lab.ext_version = PV_HEADER_EXT_VSN;
	lab.ext_flags = used ? lab.ext_flags | PV_EXT_USED : lab.ext_flags & ~PV_EXT_USED;
	if (lab.ext_version == pv->label.ext_version && lab.ext_flags == pv->label.ext_flags)
		return 0;
	if ((r = pv_label_write(pv->dev, &lab, e)))
		return r;
	pv->label = lab;
	return 0;
}

static bool usable(const struct pv_mda *m) { return !m->status && !mda_ignored(&m->hdr); }
/* written by the next commit: in use, or its ignore flag just changed */
static bool written(const struct pv_mda *m) { return !m->status && (!mda_ignored(&m->hdr) || m->ignore_changed); }

unsigned pv_mdas_good(const struct pv *pv)
{
	unsigned n = 0;

	for (unsigned j = 0; j < pv->nmda; j++)
		n += !pv->mda[j].status;
	return n;
}

unsigned pv_mdas_in_use(const struct pv *pv)
{
	unsigned n = 0;

	for (unsigned j = 0; j < pv->nmda; j++)
		n += usable(&pv->mda[j]);
	return n;
}

bool pv_mda_set_ignored(struct pv_mda *m, bool ignored)
{
	if (m->status || mda_ignored(&m->hdr) == ignored)
		return false;
	if (ignored) {
		m->hdr.slot[0].flags |= RAW_LOCN_IGNORED;
	} else {
		memset(m->hdr.slot, 0, sizeof(m->hdr.slot));
	}
	m->ignore_changed = !m->ignore_changed;
	return true;
}

int pv_write_empty_headers(struct pv *pv, struct err *e)
{
	for (unsigned j = 0; j < pv->nmda; j++) {
		struct pv_mda *m = &pv->mda[j];
		struct mda_header h;
		int r;

		if (m->status)
			continue;
		mda_header_init(&h, m->locn.offset, m->locn.size, mda_ignored(&m->hdr));
		if ((r = mda_header_write(pv->dev, &h, e)))
			return r;
		m->hdr = h;
		m->ignore_changed = false;
	}
	pv->best = -1;
	pv->reread = true;
	return 0;
}

int pv_write_metadata(struct pv *const *pvs, unsigned npvs, const char *text, size_t len,
		      struct err *e)
{
	struct raw_locn (*rl)[PV_MAX_MDAS];
	unsigned used = 0, i, j;
	int r = 0;

	for (i = 0; i < npvs; i++)
		for (j = 0; j < pvs[i]->nmda; j++)
			used += usable(&pvs[i]->mda[j]);
	if (!used)
		return err_set(e, -ENODEV, "no usable metadata area to write to");
	if (!(rl = calloc(npvs, sizeof(*rl))))
		return err_set(e, -ENOMEM, "out of memory");

	/* 1. the text, into every ring (one being set ignored too) */
	for (i = 0; i < npvs && !r; i++)
		for (j = 0; j < pvs[i]->nmda && !r; j++)
			if (written(&pvs[i]->mda[j])) {
				struct mda_header h = pvs[i]->mda[j].hdr;

				h.slot[0].flags &= ~RAW_LOCN_IGNORED;
				r = mda_write_text(pvs[i]->dev, &h, text, len, &rl[i][j], e);
			}
	/* 2. durable before any header points at it */
	for (i = 0; i < npvs && !r; i++)
		if ((r = dev_flush(pvs[i]->dev)))
			err_set(e, r, "%s: flush: %s", pvs[i]->dev->name, strerror(-r));
	/* 3. precommit everywhere */
	for (i = 0; i < npvs && !r; i++)
		for (j = 0; j < pvs[i]->nmda && !r; j++)
			if (written(&pvs[i]->mda[j]))
				r = mda_precommit(pvs[i]->dev, &pvs[i]->mda[j].hdr, &rl[i][j], e);
	if (r) {
		/* Best effort: clear the precommit slots we wrote. */
		for (i = 0; i < npvs; i++)
			for (j = 0; j < pvs[i]->nmda; j++)
				if (written(&pvs[i]->mda[j]) && pvs[i]->mda[j].hdr.slot[1].size)
					mda_revert(pvs[i]->dev, &pvs[i]->mda[j].hdr, NULL);
		free(rl);
		return r;
	}
	/* 4. commit everywhere; the header carries the ignore flag */
	for (i = 0; i < npvs && !r; i++)
		for (j = 0; j < pvs[i]->nmda && !r; j++)
			if (written(&pvs[i]->mda[j])) {
				r = mda_commit(pvs[i]->dev, &pvs[i]->mda[j].hdr, &rl[i][j], e);
				pvs[i]->mda[j].ignore_changed = r != 0;
			}
	for (i = 0; i < npvs; i++) {
		for (j = 0; j < pvs[i]->nmda; j++)
			keep_stale(pvs[i], &pvs[i]->mda[j]);
		pvs[i]->best = -1;
		pvs[i]->reread = true;
	}
	free(rl);
	return r;
}
