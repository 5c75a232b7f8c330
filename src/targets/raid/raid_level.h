/* RAID levels of the raid target: a small vtable per level (as SPDK's
 * raid modules), one file each, listed in raid_levels[] (raid.c).
 *
 * A level knows geometry only: which devices and sectors hold the copies
 * of an array sector, and whether the array survives a set of failed
 * devices.  Everything else - bitmap, resync, failures, the I/O itself -
 * is the family's (raid.c, raid_io.c, raid_sync.c), the same for all.
 * Sectors are 512 bytes; data devices start at sector 0 (data_offset 0).
 */
#ifndef ULVM_TARGETS_RAID_LEVEL_H
#define ULVM_TARGETS_RAID_LEVEL_H

#include <stdbool.h>
#include <stdint.h>

#include <stddef.h>

#include "targets/raid/raid_format.h"

enum raid10_format { RAID10_NEAR, RAID10_FAR, RAID10_OFFSET };

/* What the table asked that shapes the geometry. */
struct raid_params {
	uint32_t chunk;           /* <chunk_size>, sectors (0: none given) */
	unsigned copies;          /* raid10_copies (0: default 2) */
	enum raid10_format format;
	bool near_sets;           /* raid10_use_near_sets */
};

struct raid_parity;

struct raid_geom {
	unsigned ndevs;
	uint32_t chunk;           /* sectors; a power of two where used */
	unsigned nc, fc;          /* raid10 near and far copies */
	bool far_offset;
	unsigned far_set_size;
	uint64_t stride;          /* raid10: sectors between far copies */
	uint64_t array_sectors;   /* the target's length */
	uint64_t dev_sectors;     /* used on each data device */
	uint64_t sync_sectors;    /* what resync walks and the bitmap covers */
	unsigned ndata;           /* parity levels: data chunks per stripe */
	const struct raid_parity *par; /* parity levels: their stripes */
	uint32_t md_level, md_layout;
};

struct raid_copy {
	unsigned dev;
	uint64_t sector;
};

#define RAID_NO_DEV UINT32_MAX

/* Parity levels: where a stripe's P, Q and data chunks lie.  A stripe is
 * one chunk at the same device sectors on every device (stripe * chunk). */
struct raid_stripe {
	unsigned pd, qd;                 /* qd: RAID_NO_DEV without Q */
	bool ddf;                        /* Q's slots are the device indexes */
	unsigned ndata;
	unsigned data[RAID_MAX_DEVS];    /* data index -> device */
	unsigned slot[RAID_MAX_DEVS];    /* device -> its Q syndrome slot (raid_parity_slots) */
	unsigned nslots;
};

/* The second, smaller vtable of a parity level (raid4, raid5, raid6). */
struct raid_parity {
	unsigned nparity;                /* 1: P; 2: P and Q */
	/* pd, qd, ddf and data[] of stripe @stripe, as MD's
	 * raid5_compute_sector places them for g->md_layout. */
	void (*stripe)(const struct raid_geom *g, uint64_t stripe, struct raid_stripe *out);
};

struct raid_level {
	const char *name;         /* the table's raid_type */
	unsigned min_devs;
	bool redundant;           /* bitmap, resync, degraded operation */
	/* From g->ndevs, g->array_sectors and @p: the rest of @g; -EINVAL
	 * with *@why when the table's geometry is impossible. */
	int (*setup)(struct raid_geom *g, const struct raid_params *p, const char **why);
	/* The copies of array sector @s (the first one is the primary):
	 * their count; *@run sectors from @s are contiguous on each. */
	unsigned (*map)(const struct raid_geom *g, uint64_t s, struct raid_copy *out, uint64_t *run);
	/* The table's own parameters, to print back (" raid10_copies 2"...);
	 * optional. */
	void (*print_params)(const struct raid_geom *g, char *buf, size_t maxlen);
	/* Parity levels only: their stripes.  Their sync domain is the
	 * device sectors (g->sync_sectors == g->dev_sectors) and map gives
	 * the one data copy. */
	const struct raid_parity *parity;
};

extern const struct raid_level raid_level_raid0, raid_level_raid1, raid_level_raid10,
	raid_level_raid10_near, raid_level_raid10_far, raid_level_raid10_offset, raid_level_raid4,
	raid_level_raid5_la, raid_level_raid5_ra, raid_level_raid5_ls, raid_level_raid5_rs, raid_level_raid5_n,
	raid_level_raid6_zr, raid_level_raid6_nr, raid_level_raid6_nc, raid_level_raid6_n_6,
	raid_level_raid6_la_6, raid_level_raid6_ra_6, raid_level_raid6_ls_6, raid_level_raid6_rs_6;

/* raid_parity.c: what the parity levels share.  setup for @md_level and
 * @md_layout with @nparity parity devices; map (the data copy); the Q
 * slots of a stripe from its pd, qd and ddf (linux raid5.c: raid6_d0,
 * raid6_idx_to_slot). */
int raid_parity_setup(struct raid_geom *g, const struct raid_params *p, unsigned md_level, unsigned md_layout,
		      const struct raid_parity *par, const char **why);
unsigned raid_parity_map(const struct raid_geom *g, uint64_t s, struct raid_copy *out, uint64_t *run);
void raid_parity_slots(const struct raid_geom *g, struct raid_stripe *st);
/* The whole layout of stripe @stripe: the level's stripe(), then slots. */
void raid_parity_layout(const struct raid_geom *g, uint64_t stripe, struct raid_stripe *st);

/* Can the array serve every sector with the devices in @failed gone? */
bool raid_survives(const struct raid_level *l, const struct raid_geom *g, const uint64_t *failed);

#endif
