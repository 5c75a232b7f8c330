/* Reading a VG from the scanned PVs, committing it, archive and backup.
 * See devices.h for the rules and the crash-safety argument. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lvm/devices.h"
#include "lvm/label.h"

int lvm_write_file_atomic(const char *dir, const char *name, const char *text, size_t len,
			  struct err *e);

/* The VG text summary of the metadata on @d, NULL when it has none. */
static const struct vgtext_summary *dev_vg(const struct lvm_dev *d)
{
	return d->pv ? pv_vg(d->pv, NULL, NULL) : NULL;
}

const char *lvm_dev_vgname(const struct lvm_dev *d)
{
	const struct vgtext_summary *s = dev_vg(d);

	return s ? s->vgname : d->owner;
}

bool lvm_dev_used_unknown(const struct lvm_dev *d)
{
	return d->pv && !lvm_dev_vgname(d) && (d->pv->label.ext_flags & PV_EXT_USED);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int lvm_vg_names(struct lvm_env *env, const char ***names, unsigned *n, struct err *e)
{
	const char **v = calloc(env->ndev + 1, sizeof(*v));

	*n = 0;
	if (!v)
		return err_set(e, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < env->ndev; i++) {
		const char *name = lvm_dev_vgname(&env->dev[i]);
		bool dup = false;

		for (unsigned j = 0; name && j < *n; j++)
			dup |= !strcmp(v[j], name);
		if (name && !dup)
			v[(*n)++] = name;
	}
	qsort(v, *n, sizeof(*v), name_cmp);
	*names = v;
	return 0;
}

void lvm_vg_release(struct vgh *h)
{
	vg_free(h->vg);
	free(h->old_text);
	free(h->outdated);
	lvm_unlock(h->lock_fd);
	memset(h, 0, sizeof(*h));
	h->lock_fd = -1;
}

static void note_truncation(struct vgh *h, const struct vg_pv *p)
{
	uint64_t need = p->pe_start + (uint64_t)p->pe_count * h->vg->extent_size;

	if (p->pv->dev->size / 512 < need) {
		log_warn("WARNING: PV %s is %llu sectors, smaller than the %llu its metadata describes",
			 p->path, (unsigned long long)(p->pv->dev->size / 512), (unsigned long long)need);
		if (!h->damaged++)
			err_set(&h->damage, -EUCLEAN, "PV %s is truncated: %llu sectors, the VG needs %llu",
				p->path, (unsigned long long)(p->pv->dev->size / 512), (unsigned long long)need);
	}
}

static void note_damage(struct vgh *h, const struct vg_pv *p)
{
	for (unsigned j = 0; j < p->pv->nmda; j++) {
		const struct pv_mda *m = &p->pv->mda[j];

		if (!m->status && (!m->text_status || m->text_status == -ENODATA))
			continue;
		if (!h->damaged++)
			err_set(&h->damage, -EUCLEAN, "metadata area %u on %s is damaged (%s); vgck --updatemetadata "
				"repairs it", j + 1, p->path, m->status ? m->why.msg : m->text_why.msg);
	}
	note_truncation(h, p);
}

/* A PV whose device is back while the text says MISSING (a command wrote
 * the VG without it): unused, it is simply back; with extents, their data
 * may be older than the VG's (a mirror leg written without), so it stays
 * missing until vgextend --restoremissing (lvm2's vg_read).  True when
 * it counts as missing. */
static bool reappeared(struct vgh *h, struct vg_pv *p)
{
	char id[LVM_ID_TEXT_LEN + 1];

	lvm_id_format(p->id, id);
	log_warn("WARNING: VG %s was previously updated while PV %s was missing.", h->vg->name, p->path);
	if (!vg_pv_used(h->vg, p)) {
		log_warn("WARNING: VG %s has unused reappeared PV %s %s.", h->vg->name, p->path, id);
		p->status &= ~FLAG(PVF_MISSING);
		p->missing_cleared = true;
		return false;
	}
	log_warn("WARNING: VG %s was missing PV %s %s.", h->vg->name, p->path, id);
	p->stale = p->pv;
	p->stale_path = p->path;
	p->pv = NULL;
	p->path = NULL;
	h->missing++;
	return true;
}

/* A commit or wipe may go ahead: every PV present, none damaged. */
int lvm_vg_writable(const struct vgh *h, struct err *e)
{
	for (unsigned i = 0; i < h->vg->npv; i++)
		if (!h->vg->pv[i]->pv && h->partial) {
			h->vg->pv[i]->status |= FLAG(PVF_MISSING);
		} else if (!h->vg->pv[i]->pv) {
			char id[LVM_ID_TEXT_LEN + 1];

			lvm_id_format(h->vg->pv[i]->id, id);
			return err_set(e, -ENXIO, "Cannot change VG %s while PVs are missing (uuid %s%s); see "
				       "vgreduce --removemissing and vgextend --restoremissing", h->vg->name, id,
				       h->vg->pv[i]->stale ? ", back but marked missing" : "");
		}
	if (h->damaged)
		return err_set(e, -EUCLEAN,
			       "Cannot change VG %s: %s; nothing was written", h->vg->name, h->damage.msg);
	return 0;
}

bool lvm_vg_foreign(const struct lvm_env *env, const struct vg *vg)
{
	return vg->system_id && *vg->system_id && strcmp(vg->system_id, env->system_id);
}

int lvm_vg_access(const struct lvm_env *env, const struct vg *vg, const char *what, struct err *e)
{
	if (vg->lock_type && *vg->lock_type && strcmp(vg->lock_type, "none"))
		return err_set(e, -EACCES, "Cannot %s VG %s with lock type %s: ulvm has no lock manager (lvmlockd) "
			       "for shared VGs yet.", what, vg->name, vg->lock_type);
	if (lvm_vg_foreign(env, vg))
		return err_set(e, -EACCES, "Cannot access VG %s with system ID %s with %slocal system ID%s%s.",
			       vg->name, vg->system_id, env->system_id[0] ? "" : "unknown ",
			       env->system_id[0] ? " " : "", env->system_id);
	if ((vg->status & FLAG(VGF_EXPORTED)) && !env->importing)
		return err_set(e, -EACCES, "Volume group %s is exported", vg->name);
	return 0;
}

/* The PVs with this VG's metadata at an older seqno than @best's (on
 * device @bdev), named as lvm2 names them; how many. A PV in the VG is
 * rewritten by the next commit. */
static unsigned older_copies(const struct lvm_env *env, const struct vgtext_summary *best, unsigned bdev)
{
	unsigned n = 0;

	for (unsigned i = 0; i < env->ndev; i++) {
		const struct vgtext_summary *s = dev_vg(&env->dev[i]);

		if (!s || strcmp(s->vgid, best->vgid) || s->seqno == best->seqno)
			continue;
		log_warn("WARNING: ignoring metadata seqno %u on %s for seqno %u on %s for VG %s.", s->seqno,
			 env->dev[i].path, best->seqno, env->dev[bdev].path, best->vgname);
		n++;
	}
	if (n) {
		log_warn("WARNING: Inconsistent metadata found for VG %s.", best->vgname);
		log_warn("See vgck --updatemetadata to correct inconsistency.");
	}
	return n;
}

/* Of the older copies, those on PVs the VG does not list: h->outdated. */
static int find_outdated(struct lvm_env *env, struct vgh *h, const struct vgtext_summary *best, struct err *e)
{
	for (unsigned i = 0; i < env->ndev; i++) {
		const struct vgtext_summary *s = dev_vg(&env->dev[i]);
		bool listed = false;
		struct lvm_dev **o;

		if (!s || strcmp(s->vgid, best->vgid) || s->seqno >= best->seqno)
			continue;
		for (unsigned p = 0; p < h->vg->npv && !listed; p++)
			listed = !strcmp(h->vg->pv[p]->id, env->dev[i].pv->label.pv_uuid);
		if (listed)
			continue;
		if (!(o = realloc(h->outdated, (h->noutdated + 1) * sizeof(*o))))
			return err_set(e, -ENOMEM, "out of memory");
		h->outdated = o;
		h->outdated[h->noutdated++] = &env->dev[i];
		log_warn("WARNING: outdated PV %s seqno %u has been removed in current VG %s seqno %u.",
			 env->dev[i].path, s->seqno, best->vgname, best->seqno);
		log_warn("See vgck --updatemetadata to clear outdated metadata.");
	}
	return 0;
}

const char *lvm_vg_name_of_id(const struct lvm_env *env, const char *vgid)
{
	for (unsigned i = 0; i < env->ndev; i++) {
		const struct vgtext_summary *s = dev_vg(&env->dev[i]);

		if (s && !strcmp(s->vgid, vgid))
			return s->vgname;
	}
	return NULL;
}

int lvm_vg_read(struct lvm_env *env, const char *name, struct vgh *h, struct err *e)
{
	return lvm_vg_read_id(env, name, NULL, h, e);
}

int lvm_vg_read_id(struct lvm_env *env, const char *name, const char *vgid, struct vgh *h, struct err *e)
{
	const struct vgtext_summary *best = NULL;
	const char *btext = NULL;
	size_t blen = 0;
	char lock[LVM_NAME_LEN + 8];
	unsigned bdev = 0, older;
	int r;

	memset(h, 0, sizeof(*h));
	h->lock_fd = -1;
	snprintf(lock, sizeof(lock), "V_%s", name);
	if ((r = lvm_lock(env, lock, env->rw, &h->lock_fd, e)))
		return r;
	/* The scan ran before the lock: what another command (ulvm or lvm2)
	 * committed meanwhile is read now. */
	for (unsigned i = 0; i < env->ndev; i++)
		if (env->dev[i].pv)
			pv_refresh(env->dev[i].pv);
	for (unsigned i = 0; i < env->ndev; i++) {
		const char *t;
		size_t l;
		const struct vgtext_summary *s = env->dev[i].pv ? pv_vg(env->dev[i].pv, &t, &l) : NULL;

		if (!s || strcmp(s->vgname, name) || (vgid && strcmp(s->vgid, vgid)))
			continue;
		if (best && strcmp(best->vgid, s->vgid)) {
			lvm_vg_release(h);
			return err_set(e, -EEXIST, "multiple VGs found with the same name %s: refusing to use it",
				       name);
		}
		if (!best || s->seqno > best->seqno) {
			best = s;
			btext = t;
			blen = l;
			bdev = i;
		}
	}
	if (!best) {
		lvm_vg_release(h);
		return err_set(e, -ENOENT, "Volume group \"%s\" not found", name);
	}
	older = older_copies(env, best, bdev);
	h->max_seqno = best->seqno;
	if (!(h->old_text = malloc(blen + 1))) {
		lvm_vg_release(h);
		return err_set(e, -ENOMEM, "out of memory");
	}
	memcpy(h->old_text, btext, blen);
	h->old_text[blen] = 0;
	if ((r = vg_import(best->vg, &h->vg, e)) || (env->rw && (r = lvm_vg_access(env, h->vg, "change", e))) ||
	    (older && (r = find_outdated(env, h, best, e)))) {
		lvm_vg_release(h);
		return r;
	}
	for (unsigned i = 0; i < h->vg->npv; i++) {
		struct vg_pv *p = h->vg->pv[i];

		for (unsigned d = 0; d < env->ndev && !p->pv; d++)
			if (env->dev[d].pv && !strcmp(env->dev[d].pv->label.pv_uuid, p->id)) {
				p->pv = env->dev[d].pv;
				if (!(p->path = strdup(env->dev[d].path))) {
					lvm_vg_release(h);
					return err_set(e, -ENOMEM, "out of memory");
				}
			}
		if (!p->pv) {
			char id[LVM_ID_TEXT_LEN + 1];

			lvm_id_format(p->id, id);
			log_warn("WARNING: VG %s: couldn't find device with uuid %s", name, id);
			h->missing++;
			continue;
		}
		if ((p->status & FLAG(PVF_MISSING)) && reappeared(h, p))
			continue;
		note_damage(h, p);
	}
	return 0;
}

int lvm_vg_restore_missing(struct vgh *h, struct vg_pv *p)
{
	if (p->stale) {
		p->pv = p->stale;
		p->path = p->stale_path;
		p->stale = NULL;
		p->stale_path = NULL;
		h->missing--;
	} else if (!p->missing_cleared) {
		return -EALREADY;
	}
	p->status &= ~FLAG(PVF_MISSING);
	p->missing_cleared = false;
	return 0;
}

int lvm_vg_create(struct lvm_env *env, struct vg *vg, struct vgh *h, struct err *e)
{
	char lock[LVM_NAME_LEN + 8];
	const char **names;
	unsigned n;
	int r;

	memset(h, 0, sizeof(*h));
	h->lock_fd = -1;
	snprintf(lock, sizeof(lock), "V_%s", vg->name);
	if ((r = lvm_lock(env, lock, true, &h->lock_fd, e)))
		return r;
	if ((r = lvm_vg_names(env, &names, &n, e)))
		return r;
	for (unsigned i = 0; i < n && !r; i++)
		if (!strcmp(names[i], vg->name))
			r = err_set(e, -EEXIST, "a volume group called %s already exists", vg->name);
	free(names);
	if (!r)
		h->vg = vg;
	return r;
}

static void cmd_desc(const struct lvm_env *env, char *buf, size_t size, const char *fmt)
{
	snprintf(buf, size, fmt, env->cmdline ? env->cmdline : "ulvm");
}

static int write_archive(struct lvm_env *env, const struct vgh *h, struct err *e)
{
	char dir[PATH_MAX + 16], name[LVM_NAME_LEN + 64], desc[4096], *text;
	struct cfg_tree *t = NULL;
	struct vg *old = NULL;
	struct cfg_node *v;
	size_t len;
	int r;

	if (!env->archive || !h->old_text)
		return 0;
	snprintf(dir, sizeof(dir), "%s/archive", env->confdir);
	/* <vg>_<NNNNN>-<random>.vg as LVM2, NNNNN the seqno archived */
	if ((r = cfg_parse(h->old_text, strlen(h->old_text), &t, e)) || !(v = vgtext_vg(t)) ||
	    (r = vg_import(v, &old, e))) {
		cfg_tree_free(t);
		return r ? r : err_set(e, -EINVAL, "old metadata has no VG");
	}
	cmd_desc(env, desc, sizeof(desc), "Created *before* executing '%s'");
	struct vg_export_info info = { .description = desc, .when = time(NULL) };
	r = vg_export(old, VGTEXT_BACKUP, &info, &text, &len, e);
	vg_free(old);
	cfg_tree_free(t);
	if (r)
		return r;
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	snprintf(name, sizeof(name), "%s_%05u-%d.vg", h->vg->name, h->max_seqno, rand() % 1000000000);
	r = lvm_write_file_atomic(dir, name, text, len, e);
	free(text);
	return r;
}

static int write_backup(struct lvm_env *env, const struct vgh *h, struct err *e)
{
	char dir[PATH_MAX + 16], desc[4096], *text;
	size_t len;
	int r;

	if (!env->backup)
		return 0;
	cmd_desc(env, desc, sizeof(desc), "Created *after* executing '%s'");
	struct vg_export_info info = { .description = desc, .when = time(NULL) };
	if ((r = vg_export(h->vg, VGTEXT_BACKUP, &info, &text, &len, e)))
		return r;
	snprintf(dir, sizeof(dir), "%s/backup", env->confdir);
	r = lvm_write_file_atomic(dir, h->vg->name, text, len, e);
	free(text);
	return r;
}

int lvm_vg_backup_to(struct lvm_env *env, const struct vgh *h, const char *path, struct err *e)
{
	char desc[4096], *text;
	size_t len;
	FILE *f;
	int r;

	cmd_desc(env, desc, sizeof(desc), "Created *after* executing '%s'");
	struct vg_export_info info = { .description = desc, .when = time(NULL) };
	if ((r = vg_export(h->vg, VGTEXT_BACKUP, &info, &text, &len, e)))
		return r;
	if (!(f = fopen(path, "w"))) {
		r = err_set(e, -errno, "%s: %s", path, strerror(errno));
	} else {
		r = fwrite(text, 1, len, f) == len ? 0 : -EIO;
		if (fclose(f) || r)
			r = err_set(e, -EIO, "%s: write failed", path);
	}
	free(text);
	return r;
}

static unsigned present_pvs(const struct vgh *h, struct pv **pvs)
{
	unsigned n = 0;

	for (unsigned i = 0; i < h->vg->npv; i++)
		if (h->vg->pv[i]->pv)
			pvs[n++] = h->vg->pv[i]->pv;
	return n;
}

/* lvm2's _vg_adjust_ignored_mdas, before every write: with
 * metadata_copies N (--vgmetadatacopies), mdas are taken into use or
 * ignored until N are in use (all of them when there are fewer);
 * unmanaged, one is taken into use when none is.  lvm2 picks them at
 * random; here the copies are spread over as many PVs as can be (an mda
 * is taken into use on the PV with the fewest in use, the first such,
 * and ignored on the one with the most, the last such), so that losing
 * one PV loses as few copies as it can, and a command's result is the
 * same every time. */
static struct pv_mda *mda_to_flip(struct pv *const *pvs, unsigned n, bool ignore)
{
	struct pv_mda *best = NULL;
	unsigned best_used = 0;

	for (unsigned i = 0; i < n; i++) {
		unsigned used = pv_mdas_in_use(pvs[i]);

		for (unsigned k = 0; k < pvs[i]->nmda; k++) {
			/* ignoring: the mda at the end of the PV first */
			struct pv_mda *m = &pvs[i]->mda[ignore ? pvs[i]->nmda - 1 - k : k];

			if (m->status || mda_ignored(&m->hdr) != !ignore)
				continue;
			if (!best || (ignore ? used >= best_used : used < best_used))
				best = m, best_used = used;
			break;
		}
	}
	return best;
}

static void adjust_ignored_mdas(struct vg *vg, struct pv *const *pvs, unsigned n)
{
	unsigned count = 0, used = 0, want;
	struct pv_mda *m;

	for (unsigned i = 0; i < n; i++) {
		count += pv_mdas_good(pvs[i]);
		used += pv_mdas_in_use(pvs[i]);
	}
	if (!vg->metadata_copies)
		want = used ? used : count ? 1 : 0;
	else
		want = vg->metadata_copies < count ? vg->metadata_copies : count;
	for (; used < want && (m = mda_to_flip(pvs, n, false)); used++)
		pv_mda_set_ignored(m, false);
	for (; used > want && (m = mda_to_flip(pvs, n, true)); used--)
		pv_mda_set_ignored(m, true);
	if (vg->metadata_copies == VG_MDA_COPIES_ALL)
		vg->metadata_copies = 0;
}

int lvm_vg_commit(struct lvm_env *env, struct vgh *h, struct err *e)
{
	char desc[4096], *text;
	struct pv **pvs;
	size_t len;
	unsigned n;
	int r;

	if ((r = lvm_vg_writable(h, e)))
		return r;
	if ((r = vg_validate(h->vg, e)))
		return err_set(e, r, "internal error: refusing to write an invalid VG");
	if ((r = write_archive(env, h, e)))
		return r;
	h->vg->seqno = h->max_seqno + 1;
	h->writes++;
	if (h->writes == 1)
		snprintf(desc, sizeof(desc), "Write from %s.", env->cmdline ? env->cmdline : "ulvm");
	else
		snprintf(desc, sizeof(desc), "Write[%u] from %s.", h->writes, env->cmdline ? env->cmdline : "ulvm");
	if (!(pvs = calloc(h->vg->npv + 1, sizeof(*pvs))))
		return err_set(e, -ENOMEM, "out of memory");
	n = present_pvs(h, pvs);
	adjust_ignored_mdas(h->vg, pvs, n);
	struct vg_export_info info = { .description = desc, .when = time(NULL) };
	if ((r = vg_export(h->vg, VGTEXT_MDA, &info, &text, &len, e))) {
		free(pvs);
		return r;
	}
	for (unsigned i = 0; i < n && !r; i++)
		r = pv_set_in_use(pvs[i], true, e);
	if (!r)
		r = pv_write_metadata(pvs, n, text, len + 1, e);
	free(pvs);
	free(text);
	if (r)
		return r;
	h->max_seqno = h->vg->seqno;
	/* the next commit of this command archives what is now on disk */
	free(h->old_text);
	h->old_text = NULL;
	return write_backup(env, h, e);
}

/* Where the PV label places metadata area @m of @p is believable: on the
 * device, clear of the extents. */
static bool mda_place_sane(const struct vgh *h, const struct vg_pv *p, const struct pv_mda *m)
{
	uint64_t ds = p->pe_start * 512, de = (p->pe_start + (uint64_t)p->pe_count * h->vg->extent_size) * 512;

	return m->locn.size >= MDA_HEADER_SIZE && m->locn.offset <= p->pv->dev->size &&
	       m->locn.size <= p->pv->dev->size - m->locn.offset &&
	       (m->locn.offset + m->locn.size <= ds || m->locn.offset >= de);
}

int lvm_vg_update_metadata(struct lvm_env *env, struct vgh *h, unsigned *fixed, struct err *e)
{
	*fixed = 0;
	/* first every damaged header's place, so that a refusal writes nothing */
	for (unsigned i = 0; i < h->vg->npv; i++) {
		const struct vg_pv *p = h->vg->pv[i];

		for (unsigned j = 0; p->pv && j < p->pv->nmda; j++)
			if (p->pv->mda[j].status && !mda_place_sane(h, p, &p->pv->mda[j]))
				return err_set(e, -EUCLEAN, "metadata area %u on %s: the PV label's place for it is "
					       "damaged too (%s); not repaired, nothing was written", j + 1, p->path,
					       p->pv->mda[j].why.msg);
	}
	/* what is left to refuse a write for: a PV shorter than the VG says */
	h->damaged = 0;
	memset(&h->damage, 0, sizeof(h->damage));
	for (unsigned i = 0; i < h->vg->npv; i++)
		if (h->vg->pv[i]->pv)
			note_truncation(h, h->vg->pv[i]);
	if (h->damaged)
		return err_set(e, -EUCLEAN, "Cannot repair VG %s: %s; nothing was written", h->vg->name, h->damage.msg);
	/* PVs removed from the VG while they were missing: orphans now */
	for (unsigned i = 0; i < h->noutdated; i++) {
		struct lvm_dev *d = h->outdated[i];
		int r;

		log_warn("WARNING: wiping mda on outdated PV %s", d->path);
		for (unsigned j = 0; j < d->pv->nmda; j++)
			if (!d->pv->mda[j].status && (r = mda_clear(d->pv->dev, &d->pv->mda[j].hdr, e)))
				return r;
		log_warn("WARNING: wiping header on outdated PV %s", d->path);
		if ((r = pv_set_in_use(d->pv, false, e)))
			return r;
		(*fixed)++;
	}
	h->noutdated = 0;
	for (unsigned i = 0; i < h->vg->npv; i++) {
		struct vg_pv *p = h->vg->pv[i];

		for (unsigned j = 0; p->pv && j < p->pv->nmda; j++) {
			struct pv_mda *m = &p->pv->mda[j];
			struct mda_header hdr;
			int r;

			/* a damaged text: the commit below writes it again */
			*fixed += m->status || (m->text_status && m->text_status != -ENODATA);
			if (!m->status)
				continue;
			log_warn("WARNING: repairing the damaged header of metadata area %u on %s", j + 1, p->path);
			mda_header_init(&hdr, m->locn.offset, m->locn.size, false);
			if ((r = mda_header_write(p->pv->dev, &hdr, e)))
				return r;
			m->hdr = hdr;
			m->status = 0;
			memset(&m->why, 0, sizeof(m->why));
		}
	}
	return lvm_vg_commit(env, h, e);
}

int lvm_vg_wipe(struct lvm_env *env, struct vgh *h, struct err *e)
{
	int r;

	if ((r = lvm_vg_writable(h, e)) || (r = write_archive(env, h, e)))
		return r;
	for (unsigned i = 0; i < h->vg->npv; i++) {
		struct pv *p = h->vg->pv[i]->pv;

		if (!p)
			continue;
		for (unsigned j = 0; j < p->nmda; j++)
			if (!p->mda[j].status && (r = mda_clear(p->dev, &p->mda[j].hdr, e)))
				return r;
		if ((r = pv_set_in_use(p, false, e)))
			return r;
	}
	return 0;
}
