/* dm-crypt's IV generators (drivers/md/dm-crypt.c: crypt_iv_*_gen): what
 * goes into a sector's IV (or XTS tweak), from its sector number. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "common/le.h"
#include "targets/crypt/crypt.h"

static int no_init(const char *arg, const uint8_t *key, size_t key_len, uint8_t *state, size_t *state_len,
		   const char **why)
{
	(void)key;
	(void)key_len;
	(void)state;
	*state_len = 0;
	if (arg) {
		*why = "this IV mode takes no option";
		return -EINVAL;
	}
	return 0;
}

/* plain: le32 of the sector's low 32 bits */
static void plain_gen(const uint8_t *st, size_t sl, uint64_t s, uint8_t iv[CRYPT_IV_LEN])
{
	(void)st;
	(void)sl;
	memset(iv, 0, CRYPT_IV_LEN);
	le32_put(iv, (uint32_t)s);
}

/* plain64: le64 of the sector */
static void plain64_gen(const uint8_t *st, size_t sl, uint64_t s, uint8_t iv[CRYPT_IV_LEN])
{
	(void)st;
	(void)sl;
	memset(iv, 0, CRYPT_IV_LEN);
	le64_put(iv, s);
}

/* plain64be: be64 of the sector in the last 8 bytes */
static void plain64be_gen(const uint8_t *st, size_t sl, uint64_t s, uint8_t iv[CRYPT_IV_LEN])
{
	(void)st;
	(void)sl;
	memset(iv, 0, CRYPT_IV_LEN);
	for (int i = 0; i < 8; i++)
		iv[15 - i] = (uint8_t)(s >> (8 * i));
}

/* benbi: be64 of the 1-based count of 16-byte blocks, in the last 8 bytes */
static void benbi_gen(const uint8_t *st, size_t sl, uint64_t s, uint8_t iv[CRYPT_IV_LEN])
{
	plain64be_gen(st, sl, (s << 5) + 1, iv);
}

static void null_gen(const uint8_t *st, size_t sl, uint64_t s, uint8_t iv[CRYPT_IV_LEN])
{
	(void)st;
	(void)sl;
	(void)s;
	memset(iv, 0, CRYPT_IV_LEN);
}

/* essiv:HASH: the salt is HASH(volume key); the IV is AES-ECB of plain64
 * under the salt as key. */
static int essiv_init(const char *arg, const uint8_t *key, size_t key_len, uint8_t *state, size_t *state_len,
		      const char **why)
{
	const EVP_MD *md = arg ? EVP_get_digestbyname(arg) : NULL;
	unsigned n = 0;

	if (!md) {
		*why = "essiv needs a hash OpenSSL knows (essiv:sha256)";
		return -EINVAL;
	}
	if ((size_t)EVP_MD_get_size(md) > CRYPT_MAX_KEY || !EVP_Digest(key, key_len, state, &n, md, NULL) ||
	    (n != 16 && n != 24 && n != 32)) {
		*why = "essiv's hash must give an AES key (16, 24 or 32 bytes: sha256)";
		return -EINVAL;
	}
	*state_len = n;
	return 0;
}

/* essiv's AES-ECB context, one per thread, keyed with the last salt it
 * saw: a sector's IV allocates nothing. */
struct essiv_tl {
	EVP_CIPHER_CTX *ctx;
	uint8_t salt[CRYPT_MAX_KEY];
	size_t len;
};

static pthread_key_t essiv_key;
static pthread_once_t essiv_once = PTHREAD_ONCE_INIT;

static void essiv_tl_free(void *p)
{
	struct essiv_tl *t = p;

	EVP_CIPHER_CTX_free(t->ctx);
	OPENSSL_cleanse(t->salt, sizeof(t->salt));
	free(t);
}

static void essiv_tl_init(void)
{
	pthread_key_create(&essiv_key, essiv_tl_free);
}

static void essiv_gen(const uint8_t *st, size_t sl, uint64_t s, uint8_t iv[CRYPT_IV_LEN])
{
	const EVP_CIPHER *c = sl == 16 ? EVP_aes_128_ecb() : sl == 24 ? EVP_aes_192_ecb() : EVP_aes_256_ecb();
	struct essiv_tl *t;
	uint8_t in[CRYPT_IV_LEN] = { 0 };
	int n = 0;

	memset(iv, 0, CRYPT_IV_LEN);
	pthread_once(&essiv_once, essiv_tl_init);
	if (!(t = pthread_getspecific(essiv_key))) {
		if (!(t = calloc(1, sizeof(*t))) || !(t->ctx = EVP_CIPHER_CTX_new())) {
			free(t);
			return;
		}
		pthread_setspecific(essiv_key, t);
	}
	if (t->len != sl || memcmp(t->salt, st, sl)) {
		t->len = 0;
		if (!EVP_EncryptInit_ex(t->ctx, c, NULL, st, NULL) || !EVP_CIPHER_CTX_set_padding(t->ctx, 0))
			return;
		memcpy(t->salt, st, sl);
		t->len = sl;
	}
	le64_put(in, s);
	EVP_EncryptUpdate(t->ctx, iv, &n, in, CRYPT_IV_LEN);
}

static const struct crypt_iv crypt_ivs[] = {
	{ "plain", false, no_init, plain_gen },
	{ "plain64", false, no_init, plain64_gen },
	{ "plain64be", false, no_init, plain64be_gen },
	{ "benbi", false, no_init, benbi_gen },
	{ "null", false, no_init, null_gen },
	{ "essiv", true, essiv_init, essiv_gen },
};

const struct crypt_iv *crypt_iv_find(const char *name)
{
	for (size_t i = 0; i < sizeof(crypt_ivs) / sizeof(crypt_ivs[0]); i++)
		if (!strcmp(crypt_ivs[i].name, name))
			return &crypt_ivs[i];
	return NULL;
}
