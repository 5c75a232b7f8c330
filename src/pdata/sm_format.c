/* Validators of the space-map blocks; layouts in sm_format.h. */
#include "pdata/sm_format.h"

const struct bm_validator sm_index_validator = {
	.name = "space map index",
	.salt = SM_INDEX_CSUM_XOR,
	.prepare = bm_prepare_std,
	.check = bm_check_std,
};

const struct bm_validator sm_bitmap_validator = {
	.name = "space map bitmap",
	.salt = SM_BITMAP_CSUM_XOR,
	.prepare = bm_prepare_std,
	.check = bm_check_std,
};
