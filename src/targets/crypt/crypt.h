/* The crypt target family: crypt.c (table, I/O), crypt_iv.c (the IV
 * generators, one struct crypt_iv each, listed in crypt_ivs[]). */
#ifndef ULVM_TARGETS_CRYPT_H
#define ULVM_TARGETS_CRYPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRYPT_MAX_KEY 64 /* bytes: AES-256-XTS */
#define CRYPT_IV_LEN 16

/* An IV generator (dm-crypt's crypt_iv_operations). */
struct crypt_iv {
	const char *name;
	bool takes_arg;      /* essiv:HASH */
	/* Check @arg and derive what it needs from the volume key; 0 or
	 * -EINVAL with *@why.  @state is CRYPT_MAX_KEY bytes of the target's. */
	int (*init)(const char *arg, const uint8_t *key, size_t key_len, uint8_t *state, size_t *state_len,
		    const char **why);
	/* The IV of sector @s (already shifted for iv_large_sectors). */
	void (*gen)(const uint8_t *state, size_t state_len, uint64_t s, uint8_t iv[CRYPT_IV_LEN]);
};

const struct crypt_iv *crypt_iv_find(const char *name);

#endif
