/* lvm2's cache family in the VG model (lib/cache_segtype/cache.c,
 * lib/metadata/cache_manip.c, lib/writecache/writecache.c,
 * lib/metadata/writecache_manip.c, tools/lvconvert.c; LVM2-FORMAT.md
 * §10.6): three segment types sharing what is here.
 *
 *   cache-pool  POOL: data = "POOL_cdata", metadata = "POOL_cmeta", then
 *               the settings once the pool is used (metadata_format,
 *               chunk_size, cache_mode, policy, policy_settings {k=v});
 *               "cache-pool+METADATA_FORMAT" with format 2.  Attached, the
 *               pool is hidden and renamed POOL_cpool (its sub-LVs with it).
 *   cache       LV: cache_pool = "POOL_cpool", origin = "LV_corig" (the
 *               LV's old segments, hidden), cleaner = 1 while a flush
 *               runs.  With a cachevol ("cache+CACHE_USES_CACHEVOL") the
 *               pool is a plain LV renamed FAST_cvol (flags CACHE_VOL,
 *               hidden) and the settings sit on this segment, with
 *               metadata_start/len and data_start/len: sectors of the cvol.
 *   writecache  LV: writecache = "FAST_cvol", origin = "LV_wcorig",
 *               writecache_block_size (bytes), the dm-writecache settings.
 *
 * Sections are kept as read and parsed into the structs below (s->priv);
 * strings point into the kept tree.  A change writes a whole new section
 * from the model, in lvm2's key order.
 *
 * Devices, as lvm2's dev_manager stacks them (names vg-LV; a cvol's
 * ranges as layers of the cvol's device):
 *   vg-LV_corig, vg-POOL_cpool_cdata, vg-POOL_cpool_cmeta   sub-LVs
 *   vg-FAST_cvol, vg-FAST_cvol-cdata, vg-FAST_cvol-cmeta    cachevol
 *   vg-LV     cache <cmeta> <cdata> <origin> <chunk> <#features>
 *             [metadata2] <mode> <policy> <#args> [k v]...
 *   vg-LV     writecache s <wcorig> <cvol> <block size> <#opts> [opts]
 */
#ifndef ULVM_LVM_SEGTYPE_CACHE_LV_H
#define ULVM_LVM_SEGTYPE_CACHE_LV_H

#include <stdbool.h>
#include <stdint.h>

#include "lvm/activate.h"
#include "lvm/segtype.h"

#define CACHE_CHUNK_MIN 64		/* sectors: 32 KiB (DM_CACHE_MIN_DATA_BLOCK_SIZE) */
#define CACHE_CHUNK_MAX 2097152		/* 1 GiB */
#define CACHE_CHUNK_DEFAULT 128		/* allocation/cache_pool_chunk_size: 64 KiB */
#define CACHE_MAX_CHUNKS 1000000ull	/* allocation/cache_pool_max_chunks */
#define CACHE_META_MAX (16ull * 1024 * 1024 * 2) /* sectors: 16 GiB */

enum cache_mode { CACHE_MODE_UNSET, CACHE_MODE_WRITETHROUGH, CACHE_MODE_WRITEBACK, CACHE_MODE_PASSTHROUGH };

/* One policy setting (policy_settings { key = value }), as read. */
struct cache_kv {
	const char *key;
	struct cfg_value v;
};

/* What the settings segment carries (the pool's, or a cachevol cache's). */
struct cache_settings {
	uint32_t chunk_size;   /* sectors; 0: not in the text */
	unsigned format;       /* metadata_format 1 or 2; 0: not in the text */
	enum cache_mode mode;  /* UNSET: not in the text */
	const char *policy;    /* NULL: not in the text */
	struct cache_kv *set;  /* malloc'ed */
	unsigned nset;
};

struct cache_pool_seg {
	const char *data, *metadata;
	struct cache_settings cs;
};

struct cache_seg {
	const char *pool, *origin;
	bool cleaner;  /* a flush is running: the table has the cleaner policy */
	bool cachevol; /* the pool is a cachevol: the ranges and settings below */
	struct cache_settings cs;
	uint64_t metadata_start, metadata_len, data_start, data_len; /* sectors of the cvol */
	const char *metadata_id, *data_id; /* NULL: the cvol's id */
};

extern const struct segtype segtype_cache, segtype_cache_pool, segtype_writecache;

/* ---- settings (cache_pool.c) ---- */
const char *cache_mode_name(enum cache_mode m);
/* lvm2's set_cache_mode: "Unknown cache mode: X." */
int cache_mode_parse(const char *s, enum cache_mode *m, struct err *e);
/* lvm2's validate_cache_chunk_size, with its messages. */
int cache_chunk_check(uint32_t chunk, struct err *e);
/* chunk_size, metadata_format, cache_mode, policy, policy_settings of
 * section @sn into @cs (the segment named @lvname in messages). */
int cache_settings_parse(const struct cfg_node *sn, const char *lvname, struct cache_settings *cs, struct err *e);
void cache_settings_free(struct cache_settings *cs);
/* The keys _settings_text_export writes: chunk_size, cache_mode, policy,
 * policy_settings { k=v } (libdm's layout). */
void cache_settings_export(struct cfg_node *sn, const struct cache_settings *cs);
/* lvm2's get_cache_params + cache_set_policy/cache_set_cache_mode on
 * @cs: the mode, the policy, and the settings merged as libdm's
 * dm_config_flatten orders them, "k=default" dropped.  @cs's settings
 * array is replaced (strings live in @vg's kept tree). */
int cache_opts_apply(struct vg *vg, const struct lv_cache_opts *o, struct cache_settings *cs, struct err *e);
/* "k=v,k=v" as lvs shows cache_settings. */
void cache_settings_list(const struct cache_settings *cs, char *buf, size_t size);
/* The report fields of settings (cache_mode, cache_policy, ...). */
void cache_settings_report(const struct seg_report_ctx *x, const struct cache_settings *cs);
/* What a cached LV (cache or writecache, @kind) reports of its layout:
 * for the LV itself (@owner NULL) pool_lv [FAST], origin, devices,
 * seg_pe_ranges, lv_layout and lv_modules; for a sub-LV of @owner its
 * attr characters and, for the origin, its role. */
void cache_family_report(const struct seg_report_ctx *x, const struct vg_lv *owner, const char *origin,
			 const char *fast, const char *kind);

/* ---- cache pools (cache_pool.c) ---- */
const struct cache_pool_seg *cache_pool_model(const struct vg_lv *lv);
/* The cache LV using @pool (a cache pool or a cachevol), or NULL. */
struct vg_lv *cache_pool_user(const struct vg *vg, const struct vg_lv *pool);
/* Give @pool a cache-pool segment from @m (the type string with
 * +METADATA_FORMAT for format 2). */
int cache_pool_set(struct vg *vg, struct vg_lv *pool, const struct cache_pool_seg *m, struct err *e);
/* lvm2's _cache_min_metadata_size: sectors for @data sectors in @chunk. */
uint64_t cache_min_metadata(uint64_t data, uint32_t chunk);
/* A pool's own report fields (data_lv, metadata_lv, settings...). */
void cache_pool_report_fields(const struct seg_report_ctx *x, const struct vg_lv *pool);
/* Remove @pool and its sub-LVs (and the spare with the last pool). */
void cache_pool_drop(struct vg *vg, struct vg_lv *pool);

/* ---- LVs and layers (cache_pool.c) ---- */
/* lvm2's validate_lv_cache_create_origin: what may be cached. */
int cache_origin_check(const struct vg *vg, const struct vg_lv *lv, struct err *e);
/* lvm2's insert_layer_for_lv: @lv's segments move into a new hidden LV
 * "<lv><suffix>" (new id; the sub-LVs "<lv>_*" of those segments renamed
 * "<lv><suffix>_*"), which *out is. */
int cache_insert_layer(struct vg *vg, struct vg_lv *lv, const char *suffix, struct vg_lv **out, struct err *e);
/* remove_layer_from_lv: @layer's segments back to @lv, @layer removed. */
int cache_remove_layer(struct vg *vg, struct vg_lv *lv, struct vg_lv *layer, struct err *e);
/* "NAME_SUFFIX": cut the suffix of @lv, or an unused lvolN when that
 * name is taken (lvm2's drop_lvname_suffix + lv_uniq_rename_update). */
int cache_rename_back(struct vg *vg, struct vg_lv *lv, const char *suffix, struct err *e);
/* lvextend of a cached LV @lv: its origin grows (lv->le_count with it);
 * the caller rewrites @lv's segment and commits. */
int cache_extend_origin(struct lv_change *ch, struct vg_lv *lv, struct vg_lv *origin, const struct lv_resize_req *req,
			struct err *e);
/* The detach both cache and writecache do once the cache is clean:
 * @orig's segments back to @lv, @fast visible again, renamed back by
 * cutting @suffix (NULL: its name kept), then removed by @drop (NULL:
 * kept), one commit, @lv's devices restacked.  @fastname gets @fast's
 * final name (for messages); @lv is not valid afterwards. */
int cache_family_detach(struct lv_change *ch, struct vg_lv *lv, struct vg_lv *orig, struct vg_lv *fast,
			const char *suffix, void (*drop)(struct vg *vg, struct vg_lv *fast), char *fastname,
			size_t size, struct err *e);
/* lvconvert --type cache --cachepool POOL | --cachevol FAST |
 * --cachedevice PV LV (cache.c); lvcreate --type cache (cache_create.c). */
int cache_attach(struct lv_change *ch, struct vg_lv *lv, const struct lv_convert_req *req, struct err *e);
int cache_create(struct lv_change *ch, const struct lv_create_req *req, struct err *e);
/* --cachedevice (cache_vol.c): after cache_origin_check of *@lvp, a new
 * linear cachevol for it on ch's PVs, committed; *out is it, and *@lvp
 * the LV found again in the VG. */
int cache_vol_new(struct lv_change *ch, struct vg_lv **lvp, const struct lv_convert_req *req, struct vg_lv **out,
		  struct err *e);
/* "VG/LV" or "LV" of option @opt naming an LV of @vg. */
struct vg_lv *cache_find_arg(const struct vg *vg, const char *arg, const char *opt, struct err *e);
/* Sleep @ms milliseconds. */
void cache_sleep(unsigned ms);

/* lvdisplay --maps of a segment with settings @cs (lvm2's _cache_display). */
void cache_settings_display(const struct seg_display_ctx *x, const struct cache_settings *cs);

/* ---- cached LVs (cache.c) ---- */
const struct cache_seg *cache_model(const struct vg_lv *lv);
/* The device status of an active cache (dm-cache's status line). */
struct cache_status {
	uint64_t meta_used, meta_total, block, used, total;
	uint64_t read_hits, read_misses, write_hits, write_misses, demotions, promotions, dirty;
	bool metadata2, writeback, writethrough, passthrough;
	char policy[32];
	char settings[256]; /* core and policy args, "k=v,k=v" */
	bool fail, read_only, needs_check;
};
int cache_status_read(struct dmctl *d, const struct vg *vg, const struct vg_lv *lv, struct cache_status *s);
/* The status fields and lv_attr letters of an active cache, for @x (the
 * cache LV or its pool). */
void cache_status_report(const struct seg_report_ctx *x, const struct vg_lv *cache_lv, bool attr);

/* Flush and detach the cache of @lv (a cache LV): --splitcache, or with
 * @remove --uncache (the pool or cachevol goes too). */
int cache_detach(struct lv_change *ch, struct vg_lv *lv, bool remove, const struct lv_convert_req *req,
		 struct err *e);
/* lvremove of @lv, a cache LV: everything under it goes, unflushed. */
int cache_remove_all(struct lv_change *ch, struct vg_lv *lv, struct err *e);
/* Shared by cache.c and cache_detach.c. */
struct cache_settings cache_effective(const struct cache_settings *cs);
const struct cache_settings *cache_settings_of(const struct vg *vg, const struct cache_seg *m);
int cache_seg_set(struct vg *vg, struct vg_lv *lv, const struct cache_seg *m, struct err *e);
bool cache_confirm(struct lv_change *ch, const char *fmt, const char *a, const char *b);
/* lvconvert --type cache-pool [--poolmetadata MLV] VG/LV (lvm2's
 * _lvconvert_to_pool for a cache pool): after lvm2's warning and
 * question, LV becomes LV_cdata under a new cache pool of its name, MLV
 * (or a new LV of the size the data needs) LV_cmeta, wiped unless -Z n;
 * the spare follows.  Committed. */
int cache_pool_from_lv(struct lv_change *ch, struct vg_lv *lv, const struct lv_convert_req *req, struct err *e);
/* Make the cache clean (the cleaner policy until no block is dirty). */
int cache_flush_lv(struct lv_change *ch, struct vg_lv *lv, struct err *e);
/* lvremove of a cache LV, its pool or cachevol, or a sub-LV. */
int cache_remove_lv(struct lv_change *ch, struct vg_lv *lv, struct err *e);

#endif
