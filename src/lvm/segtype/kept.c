/* lvm2's other segment types, which ulvm keeps as read (SEGTYPE_KEPT)
 * and cannot activate yet: what each knows is its name, its lv_attr
 * letters, and the keys by which it names other LVs (lib/<type>/ *.c
 * text_import), so that lvremove, lvrename and "in use" checks follow
 * them.  Each moves to a file of its own when ulvm serves it.
 *
 * The fallback for a name the registry does not know is kept too, and
 * names nothing: lvm2 does not read it either.
 */
#include <stddef.h>

#include "common/report.h"
#include "lvm/report_lvm.h"
#include "lvm/segtype.h"

#define KEPT_TYPE(id, nm, nms, fl, v, t, rep, ...)                                                           \
	static const struct seg_ref_key id##_refs[] = { __VA_ARGS__ { NULL, false, 0, false, NULL } };            \
	const struct segtype segtype_##id = { .name = nm, .names = nms, .flags = SEGTYPE_KEPT | (fl),        \
					      .refs = id##_refs, .attr_volume = v, .attr_target = t,       \
					      .report = rep }

KEPT_TYPE(integrity, "integrity", NULL, 0, 0, 0, NULL, { "origin", true, 0, false, NULL },
	  { "meta_dev", true, 0, false, NULL },);
KEPT_TYPE(vdo, "vdo", NULL, SEGTYPE_VIRTUAL, 0, 0, NULL, { "vdo_pool", true, 0, false, NULL },);
KEPT_TYPE(vdo_pool, "vdo-pool", NULL, 0, 0, 0, NULL, { "data", true, 0, false, NULL },);
KEPT_TYPE(unknown, NULL, NULL, 0, 0, 0, NULL, );
