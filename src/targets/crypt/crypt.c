/* crypt <cipher> <key> <iv_offset> <device> <offset> [<#opt> <opt>...]
 *
 * The kernel's dm-crypt (Documentation/admin-guide/device-mapper/
 * dm-crypt.rst, drivers/md/dm-crypt.c): each sector_size unit of the
 * target is encrypted on <device> from sector <offset>, its IV (the XTS
 * tweak) made by an IV generator (crypt_iv.c) from the unit's first
 * 512-byte sector number + iv_offset (>> log2(sector_size / 512) with
 * iv_large_sectors), so that the same device reads the same under the
 * kernel and under cryptsetup.  Ciphers: aes in xts, cbc or ecb mode,
 * written cipher-mode-iv[:ivopts] (aes-xts-plain64, aes-cbc-essiv:sha256)
 * or capi:mode(cipher)-iv; the key in hex, of the size the cipher needs.
 * OpenSSL's EVP does the cipher (AES-NI).  Options: allow_discards,
 * same_cpu_crypt, submit_from_crypt_cpus, no_read_workqueue,
 * no_write_workqueue (accepted: every request is encrypted on the thread
 * that serves it), sector_size:N, iv_large_sectors.  The key is the
 * table's secret argument: `dmsetup table` shows it as zeros unless
 * --showkeys.
 *
 * XTS runs batched (xts_batch): the tweaks of a whole chunk first, then
 * one ECB pass with the data key, instead of a cipher call per unit.
 *
 * Threads: each keeps its own cipher contexts (keyed once) and bounce
 * buffer, so a request allocates nothing and takes no lock; only a write
 * that covers part of a unit (read, decrypt, merge, encrypt, write) locks
 * that unit's stripe of UNIT_LOCKS, so two such writes to one unit do not
 * lose each other's bytes.
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "common/log.h"
#include "targets/crypt/crypt.h"
#include "targets/registry.h"

#define CHUNK (256u << 10) /* bytes encrypted per bounce buffer fill */
#define XTS_SUB (8u << 10) /* bytes per batched XTS pass (xts_batch), sized for L1; >= the largest sector_size (4096) */
#define UNIT_LOCKS 64u

typedef uint64_t v2u64 __attribute__((vector_size(16))); /* one XTS block */
#define TL_SLOTS 4u

struct crypt_cc {
	uint64_t id;             /* for the threads' context caches */
	struct dev *dev;
	uint64_t offset;         /* sectors on dev */
	uint64_t iv_offset;      /* sectors */
	char spec[96];           /* the cipher as the table gave it */
	const EVP_CIPHER *cipher;
	const EVP_CIPHER *ecb;   /* xts: AES-ECB of one half of the key, for the batched XTS */
	uint8_t key[CRYPT_MAX_KEY];
	size_t key_len;
	const struct crypt_iv *iv;
	uint8_t iv_state[CRYPT_MAX_KEY];
	size_t iv_state_len;
	unsigned sector_size, shift; /* bytes; log2(sector_size / 512) */
	bool iv_large, allow_discards, same_cpu, submit_from, no_read_wq, no_write_wq;
	pthread_mutex_t unit_lock[UNIT_LOCKS];
};

static atomic_uint_fast64_t next_id = 1;

/* ---- the threads' cipher contexts and bounce buffers ---- */

/* A thread's contexts for one target: [0] decrypt, [1] encrypt with the
 * table's cipher; for xts (batched) ECB with the data key K1 instead, and
 * [2] ECB-encrypt with the tweak key K2. */
#define TL_CTX 3

struct tl_state {
	struct { uint64_t id; EVP_CIPHER_CTX *ctx[TL_CTX]; } slot[TL_SLOTS];
	unsigned next;
	uint8_t *buf, *tw, *seed; /* bounce buffer; xts: per-block tweaks, per-unit tweak seeds */
};

static pthread_key_t tl_key;
static pthread_once_t tl_once = PTHREAD_ONCE_INIT;

static void tl_free(void *p)
{
	struct tl_state *t = p;

	for (unsigned i = 0; i < TL_SLOTS; i++)
		for (unsigned k = 0; k < TL_CTX; k++)
			EVP_CIPHER_CTX_free(t->slot[i].ctx[k]);
	free(t->buf);
	free(t->tw);
	free(t->seed);
	free(t);
}

static void tl_init(void)
{
	pthread_key_create(&tl_key, tl_free);
}

static struct tl_state *tl_get(void)
{
	struct tl_state *t;

	pthread_once(&tl_once, tl_init);
	if ((t = pthread_getspecific(tl_key)))
		return t;
	if (!(t = calloc(1, sizeof(*t))) || !(t->buf = aligned_alloc(4096, CHUNK + 2 * 4096u)) ||
	    !(t->tw = aligned_alloc(4096, XTS_SUB)) ||
	    !(t->seed = aligned_alloc(64, XTS_SUB / 512 * CRYPT_IV_LEN))) {
		if (t) {
			free(t->buf);
			free(t->tw);
		}
		free(t);
		return NULL;
	}
	pthread_setspecific(tl_key, t);
	return t;
}

/* This thread's context @k (TL_CTX) of @cc, keyed. */
static EVP_CIPHER_CTX *ctx_of(struct tl_state *t, const struct crypt_cc *cc, int k)
{
	unsigned i;

	for (i = 0; i < TL_SLOTS && t->slot[i].id != cc->id; i++)
		;
	if (i == TL_SLOTS) {
		size_t half = cc->key_len / 2;

		i = t->next++ % TL_SLOTS;
		t->slot[i].id = 0;
		for (int j = 0; j < (cc->ecb ? 3 : 2); j++) {
			const EVP_CIPHER *c = cc->ecb ? cc->ecb : cc->cipher;
			const uint8_t *key = j == 2 ? cc->key + half : cc->key;

			if (!t->slot[i].ctx[j] && !(t->slot[i].ctx[j] = EVP_CIPHER_CTX_new()))
				return NULL;
			if (!EVP_CipherInit_ex(t->slot[i].ctx[j], c, NULL, key, NULL, j == 2 ? 1 : j) ||
			    !EVP_CIPHER_CTX_set_padding(t->slot[i].ctx[j], 0))
				return NULL;
		}
		t->slot[i].id = cc->id;
	}
	return t->slot[i].ctx[k];
}

/* XTS over many units with two ECB passes instead of a cipher call per
 * unit (IEEE 1619, as OpenSSL's XTS computes it): each unit's tweak is
 * E_K2(IV), the next block's the previous one times x in GF(2^128)
 * (little-endian, 0x87); a block is E_K1(P ^ T) ^ T (D_K1 to decrypt).
 * Units are multiples of 16 bytes, so no ciphertext stealing.
 *
 * Times x^4 is a shift by 4 and the 4 bits shifted out of the top,
 * reduced: x^(128+k) = x^k (x^7 + x^2 + x + 1), so they come back in as
 * their carry-less product with 0x87 (xts_reduce4). */
#define XTS_LANES 4u
static const uint64_t xts_reduce4[16] = {
	0x0, 0x87, 0x10e, 0x189, 0x21c, 0x29b, 0x312, 0x395,
	0x438, 0x4bf, 0x536, 0x5b1, 0x624, 0x6a3, 0x72a, 0x7ad,
};

static int xts_batch(struct tl_state *t, const struct crypt_cc *cc, uint8_t *p, const uint8_t *in, size_t len,
		     uint64_t off, int enc)
{
	EVP_CIPHER_CTX *k1 = ctx_of(t, cc, enc), *k2 = ctx_of(t, cc, 2);
	size_t blocks = cc->sector_size / 16, sub = XTS_SUB;
	v2u64 *tw = (v2u64 *)t->tw;
	int n;

	if (!k1 || !k2)
		return -ENOMEM;
	/* a few units at a time, so the data and its tweaks stay in the
	 * first-level cache across the three passes */
	for (size_t done = 0; done < len; done += sub) {
		size_t part = len - done < sub ? len - done : sub, units = part / cc->sector_size;
		const uint8_t *src = in + done;
		uint8_t *dst = p + done;

		for (size_t u = 0; u < units; u++) {
			uint64_t s = (off + done + u * cc->sector_size) / 512 + cc->iv_offset;

			cc->iv->gen(cc->iv_state, cc->iv_state_len, cc->iv_large ? s >> cc->shift : s,
				    t->seed + u * CRYPT_IV_LEN);
		}
		if (!EVP_CipherUpdate(k2, t->seed, &n, t->seed, (int)(units * CRYPT_IV_LEN)))
			return -EIO;
		/* each block's tweak, kept for the second XOR, and the first
		 * XOR, in one pass (16-byte vector operations); the tweaks go
		 * in XTS_LANES independent chains, each a step of x^XTS_LANES
		 * from the last, so the CPU runs them side by side */
		for (size_t u = 0; u < units; u++) {
			uint64_t lo[XTS_LANES], hi[XTS_LANES];

			memcpy(&lo[0], t->seed + u * CRYPT_IV_LEN, 8);
			memcpy(&hi[0], t->seed + u * CRYPT_IV_LEN + 8, 8);
			lo[0] = le64toh(lo[0]);
			hi[0] = le64toh(hi[0]);
			for (unsigned j = 1; j < XTS_LANES; j++) {
				hi[j] = hi[j - 1] << 1 | lo[j - 1] >> 63;
				lo[j] = lo[j - 1] << 1 ^ (hi[j - 1] >> 63 ? 0x87 : 0);
			}
			for (size_t b = 0; b < blocks; b += XTS_LANES) {
				for (unsigned j = 0; j < XTS_LANES; j++) {
					size_t i = u * blocks + b + j;
					uint64_t top = hi[j] >> 60;
					v2u64 tv = { htole64(lo[j]), htole64(hi[j]) }, x;

					tw[i] = tv;
					memcpy(&x, src + 16 * i, 16);
					x ^= tv;
					memcpy(dst + 16 * i, &x, 16);
					hi[j] = hi[j] << 4 | lo[j] >> 60;
					lo[j] = lo[j] << 4 ^ xts_reduce4[top];
				}
			}
		}
		if (!EVP_CipherUpdate(k1, dst, &n, dst, (int)part))
			return -EIO;
		for (size_t i = 0; i < part / 16; i++) {
			v2u64 x;

			memcpy(&x, dst + 16 * i, 16);
			x ^= tw[i];
			memcpy(dst + 16 * i, &x, 16);
		}
	}
	return 0;
}

/* En- or decrypt @len bytes (whole units) from @in to @p (in place when
 * they are the same), from target byte @off. */
static int convert_to(struct tl_state *t, const struct crypt_cc *cc, uint8_t *p, const uint8_t *in, size_t len,
		      uint64_t off, int enc)
{
	EVP_CIPHER_CTX *ctx;
	uint8_t iv[CRYPT_IV_LEN];

	if (cc->ecb)
		return xts_batch(t, cc, p, in, len, off, enc);
	if (!(ctx = ctx_of(t, cc, enc)))
		return -ENOMEM;
	for (size_t done = 0; done < len; done += cc->sector_size) {
		uint64_t s = (off + done) / 512 + cc->iv_offset;
		int n;

		cc->iv->gen(cc->iv_state, cc->iv_state_len, cc->iv_large ? s >> cc->shift : s, iv);
		if (!EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, -1) ||
		    !EVP_CipherUpdate(ctx, p + done, &n, in + done, (int)cc->sector_size))
			return -EIO;
	}
	return 0;
}

static int convert(struct tl_state *t, const struct crypt_cc *cc, uint8_t *p, size_t len, uint64_t off, int enc)
{
	return convert_to(t, cc, p, p, len, off, enc);
}

static uint64_t dev_off(const struct crypt_cc *cc, uint64_t off)
{
	return cc->offset * 512 + off;
}

static int crypt_read(struct dm_target *ti, void *buf, size_t len, uint64_t off)
{
	struct crypt_cc *cc = ti->private;
	struct tl_state *t = tl_get();
	uint8_t *out = buf;
	int r = 0;

	if (!t)
		return -ENOMEM;
	while (len && !r) {
		uint64_t a = off - off % cc->sector_size;
		size_t in = (size_t)(off - a), n = len < CHUNK - in ? len : CHUNK - in;
		size_t span = (size_t)((off + n + cc->sector_size - 1) / cc->sector_size * cc->sector_size - a);

		if (!in && span == n) /* whole units: no bounce */
			r = dev_read(cc->dev, out, n, dev_off(cc, a)) ?: convert(t, cc, out, n, a, 0);
		else if (!(r = dev_read(cc->dev, t->buf, span, dev_off(cc, a))) && !(r = convert(t, cc, t->buf, span, a, 0)))
			memcpy(out, t->buf + in, n);
		out += n;
		off += n;
		len -= n;
	}
	return r;
}

static pthread_mutex_t *unit_lock(struct crypt_cc *cc, uint64_t a)
{
	return &cc->unit_lock[(a / cc->sector_size) % UNIT_LOCKS];
}

/* One bounce buffer's worth of a write; the units it covers only in part
 * are read and decrypted first, under their stripe locks. */
static int write_chunk(struct crypt_cc *cc, struct tl_state *t, const uint8_t *src, size_t n, uint64_t off,
		       unsigned flags)
{
	unsigned ss = cc->sector_size;
	uint64_t a = off - off % ss, b = (off + n + ss - 1) / ss * ss;
	size_t span = (size_t)(b - a), in = (size_t)(off - a);
	bool head = in != 0, tail = (off + n) % ss != 0;
	pthread_mutex_t *l1 = NULL, *l2 = NULL;
	int r = 0;

	if (head || tail) { /* the two edge units' locks, in one order */
		pthread_mutex_t *x = unit_lock(cc, a), *y = unit_lock(cc, b - ss);

		l1 = x < y ? x : y;
		l2 = x == y ? NULL : x < y ? y : x;
		pthread_mutex_lock(l1);
		if (l2)
			pthread_mutex_lock(l2);
		if (head && !(r = dev_read(cc->dev, t->buf, ss, dev_off(cc, a))))
			r = convert(t, cc, t->buf, ss, a, 0);
		if (!r && tail && (!head || span > ss) && !(r = dev_read(cc->dev, t->buf + span - ss, ss, dev_off(cc, b - ss))))
			r = convert(t, cc, t->buf + span - ss, ss, b - ss, 0);
	}
	if (!r && !head && !tail) { /* whole units: encrypted from the client's buffer */
		if (!(r = convert_to(t, cc, t->buf, src, span, a, 1)))
			r = dev_write(cc->dev, t->buf, span, dev_off(cc, a), flags);
	} else if (!r) {
		memcpy(t->buf + in, src, n);
		if (!(r = convert(t, cc, t->buf, span, a, 1)))
			r = dev_write(cc->dev, t->buf, span, dev_off(cc, a), flags);
	}
	if (l2)
		pthread_mutex_unlock(l2);
	if (l1)
		pthread_mutex_unlock(l1);
	return r;
}

static int crypt_write(struct dm_target *ti, const void *buf, size_t len, uint64_t off, unsigned flags)
{
	struct crypt_cc *cc = ti->private;
	struct tl_state *t = tl_get();
	const uint8_t *src = buf;
	int r = 0;

	if (!t)
		return -ENOMEM;
	while (len && !r) {
		size_t in = (size_t)(off % cc->sector_size), n = len < CHUNK - in ? len : CHUNK - in;

		r = write_chunk(cc, t, src, n, off, flags);
		src += n;
		off += n;
		len -= n;
	}
	return r;
}

static int crypt_flush(struct dm_target *ti)
{
	return dev_flush(((struct crypt_cc *)ti->private)->dev);
}

static int crypt_discard(struct dm_target *ti, uint64_t off, uint64_t len)
{
	struct crypt_cc *cc = ti->private;

	/* as the kernel: only with allow_discards (it tells what is free) */
	return cc->allow_discards ? dev_discard(cc->dev, dev_off(cc, off), len) : -EOPNOTSUPP;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* "aes-xts-plain64", "aes-cbc-essiv:sha256", "aes-ecb", "capi:xts(aes)-plain64":
 * the cipher, its mode and the IV mode with its option. */
static int parse_cipher(struct crypt_cc *cc, struct dm_target *ti, const char *spec, char *mode, char *ivmode,
			char **ivarg)
{
	static char ivopt[32];
	char c[96], *p, *cipher, *m, *iv;

	if (strlen(spec) >= sizeof(c)) {
		ti->error = "Invalid crypt specification";
		return -EINVAL;
	}
	snprintf(cc->spec, sizeof(cc->spec), "%s", spec);
	strcpy(c, spec);
	if (!strncmp(c, "capi:", 5)) { /* capi:MODE(CIPHER)-IV */
		m = c + 5;
		if (!(p = strchr(m, '(')) || !(cipher = p + 1) || !(p = strchr(cipher, ')'))) {
			ti->error = "Invalid crypt API format (capi:mode(cipher)-iv)";
			return -EINVAL;
		}
		*strchr(m, '(') = 0;
		*p++ = 0;
		iv = *p == '-' ? p + 1 : NULL;
	} else {
		cipher = c;
		if (!(m = strchr(c, '-'))) {
			m = "cbc"; /* dm-crypt's old default: cipher alone is cbc-plain */
			iv = "plain";
		} else {
			*m++ = 0;
			iv = strchr(m, '-');
			if (iv)
				*iv++ = 0;
		}
		if ((p = strchr(cipher, ':'))) { /* cipher:keycount */
			if (strcmp(p, ":1")) {
				ti->error = "Only one key per cipher is supported (cipher:keycount with keycount 1)";
				return -EINVAL;
			}
			*p = 0;
		}
	}
	if (strcmp(cipher, "aes")) {
		dm_target_set_error(ti, "Unknown cipher %s (aes)", cipher);
		return -EINVAL;
	}
	if (strcmp(m, "xts") && strcmp(m, "cbc") && strcmp(m, "ecb")) {
		dm_target_set_error(ti, "Unknown chain mode %s (xts, cbc, ecb)", m);
		return -EINVAL;
	}
	strcpy(mode, m);
	*ivarg = NULL;
	if (!iv || !*iv) {
		if (strcmp(m, "ecb")) {
			ti->error = "IV mechanism required";
			return -EINVAL;
		}
		strcpy(ivmode, "null");
		return 0;
	}
	if ((p = strchr(iv, ':'))) {
		*p++ = 0;
		snprintf(ivopt, sizeof(ivopt), "%s", p);
		*ivarg = ivopt;
	}
	snprintf(ivmode, 32, "%s", iv);
	return 0;
}

static const EVP_CIPHER *pick_cipher(const char *mode, size_t key_len)
{
	if (!strcmp(mode, "xts"))
		return key_len == 32 ? EVP_aes_128_xts() : key_len == 64 ? EVP_aes_256_xts() : NULL;
	if (!strcmp(mode, "cbc"))
		return key_len == 16 ? EVP_aes_128_cbc() : key_len == 24 ? EVP_aes_192_cbc()
			: key_len == 32 ? EVP_aes_256_cbc() : NULL;
	return key_len == 16 ? EVP_aes_128_ecb() : key_len == 24 ? EVP_aes_192_ecb()
		: key_len == 32 ? EVP_aes_256_ecb() : NULL;
}

static int parse_opts(struct crypt_cc *cc, struct dm_target *ti, struct arg_set *as)
{
	uint32_t n;

	if (!as->argc)
		return 0;
	if (arg_u32(as, 1, 16, &n) || n > (uint32_t)as->argc) {
		ti->error = "Invalid number of feature args";
		return -EINVAL;
	}
	while (n--) {
		const char *o = arg_shift(as);
		uint32_t v;

		if (!strcmp(o, "allow_discards"))
			cc->allow_discards = true;
		else if (!strcmp(o, "same_cpu_crypt"))
			cc->same_cpu = true;
		else if (!strcmp(o, "submit_from_crypt_cpus"))
			cc->submit_from = true;
		else if (!strcmp(o, "no_read_workqueue"))
			cc->no_read_wq = true;
		else if (!strcmp(o, "no_write_workqueue"))
			cc->no_write_wq = true;
		else if (!strcmp(o, "iv_large_sectors"))
			cc->iv_large = true;
		else if (!strncmp(o, "sector_size:", 12) && !parse_u32(o + 12, &v) && v >= 512 && v <= 4096 &&
			 !(v & (v - 1)))
			cc->sector_size = v;
		else {
			dm_target_set_error(ti, "Invalid feature arguments: %s", o);
			return -EINVAL;
		}
	}
	return 0;
}

static void crypt_free(struct crypt_cc *cc)
{
	if (!cc)
		return;
	OPENSSL_cleanse(cc->key, sizeof(cc->key));
	OPENSSL_cleanse(cc->iv_state, sizeof(cc->iv_state));
	for (unsigned i = 0; i < UNIT_LOCKS; i++)
		pthread_mutex_destroy(&cc->unit_lock[i]);
	free(cc);
}

static int crypt_ctr(struct dm_target *ti, struct arg_set *as)
{
	const char *spec = arg_shift(as), *key = arg_shift(as), *ivo = arg_shift(as), *path = arg_shift(as),
		   *off = arg_shift(as), *why = NULL;
	char mode[16], ivmode[32], *ivarg;
	struct crypt_cc *cc;
	size_t kl;
	int r = -EINVAL;

	if (!off) {
		ti->error = "Not enough arguments";
		return -EINVAL;
	}
	if (!(cc = calloc(1, sizeof(*cc)))) {
		ti->error = "Cannot allocate encryption context";
		return -ENOMEM;
	}
	for (unsigned i = 0; i < UNIT_LOCKS; i++)
		pthread_mutex_init(&cc->unit_lock[i], NULL);
	cc->id = atomic_fetch_add(&next_id, 1);
	cc->sector_size = 512;
	ti->private = cc;
	if ((r = parse_cipher(cc, ti, spec, mode, ivmode, &ivarg)))
		goto fail;
	r = -EINVAL;
	if (key[0] == ':') {
		ti->error = "Keys in the kernel keyring are not supported: give the key in hex";
		goto fail;
	}
	kl = strlen(key);
	if (kl % 2 || kl / 2 > CRYPT_MAX_KEY) {
		ti->error = "Error decoding and setting key (hex digits, at most 64 bytes)";
		goto fail;
	}
	for (size_t i = 0; i < kl / 2; i++) {
		int h = hexval(key[2 * i]), l = hexval(key[2 * i + 1]);

		if (h < 0 || l < 0) {
			ti->error = "Error decoding and setting key (not hex)";
			goto fail;
		}
		cc->key[i] = (uint8_t)(h << 4 | l);
	}
	cc->key_len = kl / 2;
	if (!(cc->cipher = pick_cipher(mode, cc->key_len))) {
		dm_target_set_error(ti, "Error decoding and setting key: %zu bytes do not fit aes-%s "
				    "(xts: 32 or 64, cbc/ecb: 16, 24 or 32)", cc->key_len, mode);
		goto fail;
	}
	if (!strcmp(mode, "xts") && !memcmp(cc->key, cc->key + cc->key_len / 2, cc->key_len / 2)) {
		ti->error = "Error decoding and setting key: the two halves of an XTS key must differ";
		goto fail;
	}
	if (!strcmp(mode, "xts"))
		cc->ecb = cc->key_len == 64 ? EVP_aes_256_ecb() : EVP_aes_128_ecb();
	if (!(cc->iv = crypt_iv_find(ivmode))) {
		dm_target_set_error(ti, "Invalid IV mode %s (plain, plain64, plain64be, essiv:HASH, benbi, null)", ivmode);
		goto fail;
	}
	if (ivarg && !cc->iv->takes_arg) {
		dm_target_set_error(ti, "IV mode %s takes no option", ivmode);
		goto fail;
	}
	if (cc->iv->init(ivarg, cc->key, cc->key_len, cc->iv_state, &cc->iv_state_len, &why)) {
		dm_target_set_error(ti, "Error creating IV: %s", why);
		goto fail;
	}
	if (parse_u64(ivo, &cc->iv_offset)) {
		ti->error = "Invalid iv_offset sector";
		goto fail;
	}
	if (parse_u64(off, &cc->offset)) {
		ti->error = "Invalid device sector";
		goto fail;
	}
	if ((r = parse_opts(cc, ti, as)))
		goto fail;
	r = -EINVAL;
	if (as->argc) {
		ti->error = "Too many arguments";
		goto fail;
	}
	cc->shift = (unsigned)__builtin_ctz(cc->sector_size / 512);
	if (ti->len % (cc->sector_size / 512)) {
		ti->error = "Device size is not multiple of sector_size feature";
		goto fail;
	}
	if (cc->iv_large && cc->iv_offset % (cc->sector_size / 512)) {
		ti->error = "Invalid iv_offset sector for iv_large_sectors";
		goto fail;
	}
	if ((r = dm_get_device(ti, path, &cc->dev)))
		goto fail;
	r = -EINVAL;
	if (to_bytes(cc->offset) > cc->dev->size || to_bytes(ti->len) > cc->dev->size - to_bytes(cc->offset)) {
		dm_target_set_error(ti, "Device %s is too small for the target", path);
		goto fail;
	}
	return 0;
fail:
	crypt_free(cc);
	ti->private = NULL;
	return r;
}

static void crypt_dtr(struct dm_target *ti)
{
	crypt_free(ti->private);
}

static void crypt_status(struct dm_target *ti, enum status_type type, char *buf, size_t maxlen)
{
	struct crypt_cc *cc = ti->private;
	unsigned n;

	if (type != STATUSTYPE_TABLE)
		return; /* the kernel's INFO line of crypt is empty */
	dm_emit(buf, maxlen, "%s ", cc->spec);
	for (size_t i = 0; i < cc->key_len; i++)
		dm_emit(buf, maxlen, "%02x", cc->key[i]);
	dm_emit(buf, maxlen, " %" PRIu64 " %s %" PRIu64, cc->iv_offset, dm_device_name(ti, cc->dev), cc->offset);
	n = cc->allow_discards + cc->same_cpu + cc->submit_from + cc->no_read_wq + cc->no_write_wq + cc->iv_large +
	    (cc->sector_size != 512);
	if (!n)
		return;
	dm_emit(buf, maxlen, " %u", n);
	if (cc->allow_discards)
		dm_emit(buf, maxlen, " allow_discards");
	if (cc->same_cpu)
		dm_emit(buf, maxlen, " same_cpu_crypt");
	if (cc->submit_from)
		dm_emit(buf, maxlen, " submit_from_crypt_cpus");
	if (cc->no_read_wq)
		dm_emit(buf, maxlen, " no_read_workqueue");
	if (cc->no_write_wq)
		dm_emit(buf, maxlen, " no_write_workqueue");
	if (cc->sector_size != 512)
		dm_emit(buf, maxlen, " sector_size:%u", cc->sector_size);
	if (cc->iv_large)
		dm_emit(buf, maxlen, " iv_large_sectors");
}

static int crypt_iterate(struct dm_target *ti, iterate_devices_fn fn, void *data)
{
	struct crypt_cc *cc = ti->private;

	return fn(ti, cc->dev, to_bytes(cc->offset), to_bytes(ti->len), data);
}

const struct target_type crypt_target = {
	.name = "crypt",
	.version = { 1, 24, 0 },
	.secret_arg = 2,
	.ctr = crypt_ctr,
	.dtr = crypt_dtr,
	.read = crypt_read,
	.write = crypt_write,
	.flush = crypt_flush,
	.discard = crypt_discard,
	.status = crypt_status,
	.iterate_devices = crypt_iterate,
};
