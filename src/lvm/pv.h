/* One physical volume at the format level: its label, its metadata areas
 * and the VG text they hold (no VG model here).
 *
 * Scan: the label (sectors 0-3), then each mda listed in it: header, then
 * the committed copy (slot 0) with its CRC, then the text is parsed enough
 * to know the VG name, id and seqno.  A bad mda does not fail the scan: it
 * is recorded with its reason, and the others serve, as in LVM.
 *
 * Create (pvcreate): sizes and places the areas exactly as LVM2 2.03 does
 * (_text_pv_initialise, _text_pv_add_metadata_area), all in 512-byte
 * sectors: pe_start = data alignment (1 MiB) + offset; mda1 at 4096 sized
 * so that it ends on the alignment; mda2 at the end of the device with its
 * start aligned down; a bootloader area goes between mda1 and pe_start.
 * Writes, in order: zeroes over sectors 0-3 and the first 4 KiB of each
 * mda, the empty mda headers, then the label (last, so that a crash leaves
 * no half-made PV that looks whole).
 *
 * Write (every metadata change): the same text bytes go to every mda in
 * use on every PV of the VG, with the commit protocol of mda.h done as
 * three rounds over all of them: text, flush, precommit, commit.
 */
#ifndef ULVM_LVM_PV_H
#define ULVM_LVM_PV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/log.h"
#include "io/dev.h"
#include "lvm/label.h"
#include "lvm/mda.h"
#include "lvm/vgtext.h"

#define PV_MAX_MDAS 2                         /* FMT_TEXT_MAX_MDAS_PER_PV */
#define PV_MIN_SIZE (2048 * 1024ull)          /* bytes, DEFAULT_PV_MIN_SIZE_KB */
#define PV_DEFAULT_DATA_ALIGNMENT (1u << 20)  /* bytes: pe_start 1 MiB */
#define PV_DEFAULT_MDA_SIZE (2040 * 512u)     /* bytes: 1 MiB - 4 KiB (4 KiB pages) */
#define PV_MDA_WIPE_SIZE 4096                 /* bytes zeroed at a new mda's start */
#define PV_PAGE_SIZE 4096u                    /* the page size LVM aligns mda1 to */

struct pv_mda {
	struct disk_locn locn; /* from the label, bytes */
	int status;            /* 0: header good; else -errno, reason in why */
	struct err why;
	struct mda_header hdr;
	/* Committed copy, when the header is good, slot 0 holds one and it
	 * reads back with a good CRC and a parsable VG; else text_status. */
	int text_status; /* 0, -ENODATA (empty or ignored), or the error */
	struct err text_why;
	char *text; /* raw_locn.size bytes + a NUL */
	size_t text_len;
	struct vgtext_summary sum;
	/* The ignore flag in hdr was changed (pv_mda_set_ignored) and is not
	 * on disk yet: the next pv_write_metadata writes this mda too. */
	bool ignore_changed;
};

struct pv {
	struct dev *dev; /* holds a reference */
	struct pv_label label;
	unsigned nmda;
	struct pv_mda mda[PV_MAX_MDAS];
	int best; /* the mda whose text has the highest seqno, or -1 */
	bool reread; /* written since: pv_vg reads the mdas again */
	/* Texts read before a reread: names and trees handed out from them
	 * stay valid until pv_free. */
	struct pv_stale { struct pv_stale *next; char *text; struct cfg_tree *tree; } *stale;
};

/* -ENOENT when @d has no LVM2 label; other errors for a bad label or I/O. */
int pv_scan(struct dev *d, struct pv **out, struct err *e);
/* The same, sharing the parsed tree of a text identical to one on @seen
 * (PVs scanned before; NULL entries are skipped). */
int pv_scan_shared(struct dev *d, struct pv *const *seen, unsigned nseen, struct pv **out,
		   struct err *e);
void pv_free(struct pv *pv);
/* Another process may have committed since the scan (it held the VG
 * lock we now hold): read each mda header again and, where its committed
 * slot moved or the scan found the copy damaged (it may have raced with
 * the writer), read the text again on the next pv_vg.  One sector per
 * mda when nothing changed. */
void pv_refresh(struct pv *pv);
/* The committed text with the highest seqno on this PV, or NULL. */
const struct vgtext_summary *pv_vg(const struct pv *pv, const char **text, size_t *len);

struct pv_create_opts {
	const char *uuid;               /* NULL: a random one */
	uint64_t size;                  /* bytes to use; 0: the device size */
	unsigned mda_copies;            /* 0, 1 or 2 (--pvmetadatacopies) */
	uint64_t mda_size;              /* bytes (--metadatasize) */
	uint64_t data_alignment;        /* bytes (--dataalignment) */
	uint64_t data_alignment_offset; /* bytes (--dataalignmentoffset) */
	uint64_t ba_size;               /* bytes (--bootloaderareasize) */
	unsigned label_sector;          /* 0..3 (--labelsector) */
	bool mda_ignored;               /* --metadataignore y */
	bool no_zero;                   /* -Z n: leave sectors 0-3 alone */
	/* pvcreate --restorefile: the data area and bootloader area of the
	 * PV in a VG backup, in bytes (pe_start 0: none).  pe_start is kept
	 * (lvm2's pe_start_locked): mda1 fits before it (and the bootloader
	 * area), mda2 after pe_end. */
	uint64_t pe_start, pe_end, ba_start;
};
/* LVM's defaults: 1 mda of 1044480 bytes, 1 MiB alignment, label sector 1. */
void pv_create_opts_default(struct pv_create_opts *o);

/* The layout pv_create would write, without writing. */
struct pv_layout {
	uint64_t size;      /* bytes used (the label's device_size) */
	uint64_t pe_start;  /* bytes */
	uint64_t ba_start, ba_size;
	unsigned nmda;
	struct disk_locn mda[PV_MAX_MDAS];
};
int pv_plan(uint64_t dev_size, const struct pv_create_opts *o, struct pv_layout *l,
	    struct err *e);
/* Initialise @d as an orphan PV.  *out (may be NULL) is the scanned PV. */
int pv_create(struct dev *d, const struct pv_create_opts *o, struct pv **out, struct err *e);

/* Extents that fit: (device_size - pe_start - mda2 size) / extent size.
 * @pe_start in bytes, @extent_size in sectors. */
uint64_t pv_pe_count(const struct pv *pv, uint64_t pe_start, uint32_t extent_size);
/* Set or clear PV_EXT_USED (and ext version 2), rewriting the label only
 * if it changes. */
int pv_set_in_use(struct pv *pv, bool used, struct err *e);
/* Rewrite the label with the uuid @id32 (pvchange -u, vgimportclone);
 * the VG text naming the PV is the caller's to commit. */
int pv_set_uuid(struct pv *pv, const char *id32, struct err *e);

/* pvresize at the format level (lvm2's _text_pv_resize and pv_write):
 * a second mda moves to the end of the first @dev_bytes of the device
 * (the same size; 4 KiB zeroed there and an empty header written, its
 * ignore flag kept), then the label is written with device_size
 * @label_size and the mda's new place.  The caller commits the VG text
 * next, which puts the metadata in the moved mda too; a crash before
 * leaves it empty and the first mda holding the VG as it was.  -ENOSPC
 * when the mda would start before @min_offset (the data area's start). */
int pv_resize_areas(struct pv *pv, uint64_t dev_bytes, uint64_t label_size, uint64_t min_offset,
		    struct err *e);

/* Metadata areas of @pv whose header reads well; those of them in use
 * (not ignored), as lvm2's pv_mda_count and pv_mda_used_count. */
unsigned pv_mdas_good(const struct pv *pv);
unsigned pv_mdas_in_use(const struct pv *pv);
/* Set or clear the ignore flag (--metadataignore) of mda @m, a good one,
 * in memory; the next pv_write_metadata puts it on disk.  An mda taken
 * into use is emptied first (lvm2 treats an ignored mda's slots as
 * empty), and that write fills it with the VG; one set ignored gets the
 * text too and then its flag, as lvm2's vg_write and vg_commit do.
 * False when the flag already was so. */
bool pv_mda_set_ignored(struct pv_mda *m, bool ignored);
/* An orphan PV (no VG text): its good mdas' headers written again,
 * empty, each with its ignore flag. */
int pv_write_empty_headers(struct pv *pv, struct err *e);

/* Write @len bytes of @text (with its final NUL) as the new committed
 * metadata of every usable mda of @pvs: text, flush, precommit, commit.
 * Usable: header good and not ignored; at least one is needed.  An mda
 * whose ignore flag changed is written as well, its header carrying the
 * new flag.  On an
 * error before the commit round the precommits are reverted; an error
 * during the commit round leaves some mdas on the new copy (the highest
 * seqno wins on the next read).  The cached texts are dropped. */
int pv_write_metadata(struct pv *const *pvs, unsigned npvs, const char *text, size_t len,
		      struct err *e);

#endif
