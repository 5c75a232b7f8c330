/* libFuzzer: the first blocks of a writecache's cache device, as ctr and
 * preresume read them: the superblock is checked against a block size
 * (from the last byte) and the input's size as the device's; when it
 * passes, its entries are replayed.  Any input is accepted or refused with
 * a reason; a replay never keeps two live entries for one block, nor an
 * uncommitted or unaligned one; the superblock encodes back to itself; the
 * layout of the input's size is the largest that fits. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "targets/writecache/writecache_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static void check_layout(uint64_t area, uint32_t bs)
{
	uint64_t n, mb;

	if (wcf_layout(area, bs, &n, &mb))
		return;
	if (mb != wcf_meta_bytes(n, bs) || mb + n * bs > area || mb % bs)
		abort();
	if (wcf_meta_bytes(n + 1, bs) + (n + 1) * bs <= area) /* one more would have fit */
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t bs = WCF_MIN_BLOCK << (size ? data[size - 1] & 3 : 0);
	uint8_t again[WCF_SB_SIZE];
	struct wcf_sb sb, sb2;
	struct wcf_replay rep;
	const char *why = NULL;
	uint64_t mb, spb = bs >> 9;
	uint8_t *verdict;

	check_layout(size, bs);
	check_layout((uint64_t)size << 20, bs);
	if (size < WCF_SB_SIZE)
		return 0;
	wcf_sb_decode(data, &sb);
	wcf_sb_encode(again, &sb);
	wcf_sb_decode(again, &sb2);
	if (sb.magic != sb2.magic || sb.version != sb2.version || sb.block_size != sb2.block_size ||
	    sb.n_blocks != sb2.n_blocks || sb.seq_count != sb2.seq_count || memcmp(again, data, 12) ||
	    memcmp(again + 16, data + 16, 16))
		abort();
	if (wcf_sb_check(&sb, bs, size, &mb, &why)) {
		if (!why)
			abort();
		return 0;
	}
	if (mb > size || mb < WCF_SB_SIZE + sb.n_blocks * WCF_ENTRY_SIZE || sb.n_blocks > size)
		abort();
	if (!(verdict = malloc(sb.n_blocks ? sb.n_blocks : 1)))
		return 0;
	if (wcf_replay(data, sb.n_blocks, sb.seq_count, bs, verdict, &rep)) {
		free(verdict);
		return 0;
	}
	uint64_t live = 0, *sectors = malloc((sb.n_blocks ? sb.n_blocks : 1) * sizeof(*sectors));

	for (uint64_t i = 0; sectors && i < sb.n_blocks; i++) {
		uint64_t s, q;

		wcf_entry_decode(data, i, &s, &q);
		if (verdict[i] == WCF_FREE && q != WCF_NONE)
			abort();
		if (verdict[i] != WCF_LIVE)
			continue;
		if (q >= sb.seq_count || s % spb)
			abort();
		sectors[live++] = s;
	}
	/* one live entry per block, one per distinct block the replay met */
	if (sectors) {
		qsort(sectors, live, sizeof(*sectors), cmp_u64);
		for (uint64_t i = 1; i < live; i++)
			if (sectors[i] == sectors[i - 1])
				abort();
		if (live != rep.live)
			abort();
	}
	free(sectors);
	free(verdict);
	return 0;
}
