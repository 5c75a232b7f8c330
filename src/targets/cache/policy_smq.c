/* smq, the stochastic multiqueue policy, as ulvm does it.
 *
 * What it keeps of the kernel's (dm-cache-policy-smq.c): cached blocks
 * sit in a multiqueue of NR_LEVELS LRU lists; a hit moves a block to the
 * tail of the next level up, a level over its share pushes its head one
 * level down, so the bottom level's head is the coldest block and the
 * demotion victim.  Promotion is decided by hotspot tracking: a table of
 * hit counters over origin blocks (halved every nr_cblocks misses, so
 * old heat fades) promotes a block when its counter reaches the read or
 * write threshold.  Sequential streams (the kernel's mq/smq detector, here
 * per stream: up to NR_STREAMS interleaved ones) bypass the cache once
 * they run sequential_threshold I/Os, so a backup or a big copy does not
 * evict the hot set.  Hints are levels, written at a clean shutdown.
 *
 * What it drops: the kernel's stochastic sentinels, its hotspot blocks
 * larger than a cache block and its background writeback queue (the
 * target writes dirty blocks back itself).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common/args.h"
#include "dm/target.h"
#include "targets/cache/policy.h"

#define NR_LEVELS 8
#define NR_STREAMS 8
#define NONE UINT32_MAX
#define INSERT_LEVEL 2
#define VICTIM_SCAN 4096

enum { CFG_SEQ, CFG_RANDOM, CFG_READ, CFG_WRITE, CFG_DISCARD, NR_CFG };
static const char *const cfg_names[NR_CFG] = {
	"sequential_threshold", "random_threshold", "read_promote_adjustment",
	"write_promote_adjustment", "discard_promote_adjustment",
};

struct smq {
	struct cache_policy base;
	uint32_t n, cap;
	uint32_t *prev, *next;
	uint8_t *level, *in;
	uint32_t head[NR_LEVELS], tail[NR_LEVELS], count[NR_LEVELS];
	/* hotspot counters */
	uint32_t hs_mask;
	uint64_t *hs_tag;
	uint8_t *hs_hits;
	uint64_t misses;
	/* streams */
	struct stream { uint64_t next_off, last_use; uint32_t ios; } streams[NR_STREAMS];
	uint64_t clock;
	uint32_t cfg[NR_CFG];
	bool cfg_set[NR_CFG];
};

static struct smq *to_smq(struct cache_policy *p) { return (struct smq *)p; }

/* ---- the multiqueue ---- */

static void unlink_c(struct smq *s, uint32_t c)
{
	unsigned l = s->level[c];

	if (s->prev[c] != NONE)
		s->next[s->prev[c]] = s->next[c];
	else
		s->head[l] = s->next[c];
	if (s->next[c] != NONE)
		s->prev[s->next[c]] = s->prev[c];
	else
		s->tail[l] = s->prev[c];
	s->count[l]--;
}

static void push_tail(struct smq *s, uint32_t c, unsigned l)
{
	s->level[c] = (uint8_t)l;
	s->prev[c] = s->tail[l];
	s->next[c] = NONE;
	if (s->tail[l] != NONE)
		s->next[s->tail[l]] = c;
	else
		s->head[l] = c;
	s->tail[l] = c;
	s->count[l]++;
}

/* Keep each level within its share: the overflow goes down a level. */
static void rebalance(struct smq *s, unsigned l)
{
	while (l > 0 && s->count[l] > s->cap) {
		uint32_t h = s->head[l];

		unlink_c(s, h);
		push_tail(s, h, l - 1);
		l--;
	}
}

static void smq_insert(struct cache_policy *p, uint32_t c, uint32_t hint, bool hint_valid)
{
	struct smq *s = to_smq(p);
	unsigned l = hint_valid ? (hint < NR_LEVELS ? hint : NR_LEVELS - 1) : INSERT_LEVEL;

	if (c >= s->n || s->in[c])
		return;
	s->in[c] = 1;
	push_tail(s, c, l);
	rebalance(s, l);
}

static void smq_remove(struct cache_policy *p, uint32_t c)
{
	struct smq *s = to_smq(p);

	if (c >= s->n || !s->in[c])
		return;
	unlink_c(s, c);
	s->in[c] = 0;
}

static void smq_hit(struct cache_policy *p, uint32_t c, uint64_t off, uint64_t len)
{
	struct smq *s = to_smq(p);
	unsigned l;

	(void)off;
	(void)len;
	if (c >= s->n || !s->in[c])
		return;
	l = s->level[c] + 1u < NR_LEVELS ? s->level[c] + 1u : NR_LEVELS - 1;
	unlink_c(s, c);
	push_tail(s, c, l);
	rebalance(s, l);
}

static int smq_victim(struct cache_policy *p, bool (*ok)(void *, uint32_t), void *ctx, uint32_t *out)
{
	struct smq *s = to_smq(p);
	unsigned scanned = 0;

	for (unsigned l = 0; l < NR_LEVELS; l++)
		for (uint32_t c = s->head[l]; c != NONE && scanned < VICTIM_SCAN; c = s->next[c], scanned++)
			if (ok(ctx, c)) {
				*out = c;
				return 0;
			}
	return -ENOENT;
}

static uint32_t smq_hint(struct cache_policy *p, uint32_t c)
{
	struct smq *s = to_smq(p);

	return c < s->n && s->in[c] ? s->level[c] : 0;
}

/* ---- promotion: streams and hotspots ---- */

/* True if this I/O continues a stream that has run long enough to bypass. */
static bool sequential(struct smq *s, uint64_t off, uint64_t len)
{
	struct stream *lru = &s->streams[0];

	s->clock++;
	for (unsigned i = 0; i < NR_STREAMS; i++) {
		struct stream *st = &s->streams[i];

		if (st->ios && st->next_off == off) {
			st->next_off = off + len;
			st->last_use = s->clock;
			if (st->ios < UINT32_MAX)
				st->ios++;
			return s->cfg[CFG_SEQ] && st->ios >= s->cfg[CFG_SEQ];
		}
		if (st->last_use < lru->last_use)
			lru = st;
	}
	*lru = (struct stream){ .next_off = off + len, .last_use = s->clock, .ios = 1 };
	return false;
}

static void age(struct smq *s)
{
	for (uint32_t i = 0; i <= s->hs_mask; i++)
		s->hs_hits[i] >>= 1;
}

static bool smq_miss(struct cache_policy *p, uint64_t oblock, uint64_t off, uint64_t len, bool write)
{
	struct smq *s = to_smq(p);
	uint32_t i = (uint32_t)((oblock * 0x9E3779B97F4A7C15ull) >> 32) & s->hs_mask;
	uint32_t need = write ? s->cfg[CFG_WRITE] : s->cfg[CFG_READ];

	if (sequential(s, off, len))
		return false;
	if (++s->misses % s->n == 0)
		age(s);
	if (s->hs_tag[i] != oblock) {
		s->hs_tag[i] = oblock;
		s->hs_hits[i] = 0;
	}
	if (s->hs_hits[i] < UINT8_MAX)
		s->hs_hits[i]++;
	return s->hs_hits[i] >= (need ? need : 1);
}

/* ---- config ---- */

static int smq_set_config(struct cache_policy *p, const char *key, const char *value)
{
	struct smq *s = to_smq(p);
	uint32_t v;

	for (unsigned i = 0; i < NR_CFG; i++)
		if (!strcmp(key, cfg_names[i])) {
			if (parse_u32(value, &v))
				return -EINVAL;
			s->cfg[i] = v;
			s->cfg_set[i] = true;
			return 0;
		}
	return -EINVAL;
}

static void smq_emit_config(struct cache_policy *p, char *buf, size_t maxlen)
{
	struct smq *s = to_smq(p);
	unsigned n = 0;

	for (unsigned i = 0; i < NR_CFG; i++)
		n += s->cfg_set[i];
	dm_emit(buf, maxlen, "%u", n * 2);
	for (unsigned i = 0; i < NR_CFG; i++)
		if (s->cfg_set[i])
			dm_emit(buf, maxlen, " %s %u", cfg_names[i], s->cfg[i]);
}

static void smq_destroy(struct cache_policy *p)
{
	struct smq *s = to_smq(p);

	if (!s)
		return;
	free(s->prev);
	free(s->next);
	free(s->level);
	free(s->in);
	free(s->hs_tag);
	free(s->hs_hits);
	free(s);
}

static const struct cache_policy_ops smq_ops = {
	.destroy = smq_destroy,
	.miss = smq_miss,
	.hit = smq_hit,
	.insert = smq_insert,
	.remove = smq_remove,
	.victim = smq_victim,
	.hint = smq_hint,
	.set_config = smq_set_config,
	.emit_config = smq_emit_config,
};

static int smq_create(uint32_t n, uint64_t nr_oblocks, uint64_t block_bytes, struct cache_policy **out)
{
	struct smq *s = calloc(1, sizeof(*s));
	uint32_t hs = 1024;

	(void)nr_oblocks;
	if (!s)
		return -ENOMEM;
	s->base.ops = &smq_ops;
	s->n = n ? n : 1;
	s->cap = (s->n + NR_LEVELS - 1) / NR_LEVELS * 2;
	while (hs < 4ull * s->n && hs < (1u << 26))
		hs <<= 1;
	s->hs_mask = hs - 1;
	s->prev = malloc(s->n * sizeof(uint32_t));
	s->next = malloc(s->n * sizeof(uint32_t));
	s->level = calloc(s->n, 1);
	s->in = calloc(s->n, 1);
	s->hs_tag = malloc(hs * sizeof(uint64_t));
	s->hs_hits = calloc(hs, 1);
	if (!s->prev || !s->next || !s->level || !s->in || !s->hs_tag || !s->hs_hits) {
		smq_destroy(&s->base);
		return -ENOMEM;
	}
	memset(s->hs_tag, 0xff, hs * sizeof(uint64_t));
	for (unsigned l = 0; l < NR_LEVELS; l++)
		s->head[l] = s->tail[l] = NONE;
	/* A stream of 4 MiB of I/O at least, and of 16 I/Os. */
	s->cfg[CFG_SEQ] = (uint32_t)(4u << 20) / (block_bytes ? (uint32_t)block_bytes : 1);
	if (s->cfg[CFG_SEQ] < 16)
		s->cfg[CFG_SEQ] = 16;
	s->cfg[CFG_READ] = 2;
	s->cfg[CFG_WRITE] = 4;
	*out = &s->base;
	return 0;
}

const struct cache_policy_type smq_policy = {
	.id = { .name = "smq", .version = { 2, 0, 0 }, .hint_size = 4 },
	.create = smq_create,
};

const struct cache_policy_type mq_policy = { .id = { .name = "mq" }, .alias_of = "smq" };
const struct cache_policy_type default_policy = { .id = { .name = "default" }, .alias_of = "smq" };
