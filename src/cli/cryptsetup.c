/* ulvm cryptsetup: cryptsetup's verbs with libcryptsetup doing every bit
 * of header work (PBKDF, keyslots, anti-forensic split, LUKS1 and LUKS2,
 * plain's passphrase hashing), and ulvmd's crypt target doing the data:
 * `open` unlocks the volume key in userspace (libcryptsetup's
 * crypt_volume_key_get, no device-mapper) and creates the crypt device
 * with cryptsetup's table and uuid (CRYPT-<TYPE>-<uuid>-<name>).
 *
 * Devices: a file or block device is handed to libcryptsetup as it is; an
 * LV, /dev/mapper/NAME or an NBD URI cannot be, so its header is read into
 * a private copy (cli/blockdev.h: the first 16 MiB, then up to the data
 * offset the header names), libcryptsetup works on the copy as on a
 * device, and a verb that changes the header writes what changed back
 * only when libcryptsetup succeeded.  --header FILE keeps the header in a
 * file of its own (detached, as cryptsetup).
 *
 * Passphrases: --key-file F (- for stdin; the whole file, as cryptsetup),
 * else a prompt without echo on a terminal, else one line of stdin.  Exit
 * codes are cryptsetup's: 1 wrong parameters, 2 no permission (a wrong
 * passphrase), 3 out of memory, 4 wrong device, 5 device busy or exists.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <libcryptsetup.h>

#include <json-c/json.h>

#include "cli/blockdev.h"
#include "cli/client.h"
#include "cli/cmdline.h"
#include "cli/cryptsetup.h"
#include "common/args.h"
#include "common/dmctl.h"
#include "common/log.h"
#include "io/dev.h"

enum {
	K_TYPE, K_KEYFILE, K_CIPHER, K_KEYSIZE, K_SECTOR, K_READONLY, K_DISCARDS, K_BATCH, K_PBKDF, K_ITER,
	K_FORCEITER, K_PBKDFMEM, K_TESTPASS, K_BACKUPFILE, K_SLOT, K_HEADER, K_HASH, K_OFFSET, K_SKIP, K_SIZE, K_VERBOSE, K_RUN_DIR, K_HELP, K_COUNT
};

static const struct cli_opt opts[K_COUNT] = {
	[K_TYPE] = { "type", "M", "luks|luks1|luks2|plain", "the header type (luksFormat: luks2; open: any LUKS)" },
	[K_KEYFILE] = { "key-file", "d", "FILE", "the passphrase is this file's bytes (- for standard input)" },
	[K_CIPHER] = { "cipher", "c", "CIPHER", "the cipher (luksFormat: aes-xts-plain64; plain: aes-cbc-essiv:sha256)" },
	[K_KEYSIZE] = { "key-size", "s", "BITS", "the volume key size (luksFormat: 512 for XTS, else 256; plain: 256)" },
	[K_SECTOR] = { "sector-size", NULL, "BYTES", "luksFormat: the encryption sector size (luks2; 512 or 4096)" },
	[K_READONLY] = { "readonly", "r", NULL, "open: the mapping is read-only" },
	[K_DISCARDS] = { "allow-discards", NULL, NULL, "open: discards reach the device (it tells what is free)" },
	[K_BATCH] = { "batch-mode", "q", NULL, "do not ask for confirmation" },
	[K_PBKDF] = { "pbkdf", NULL, "pbkdf2|argon2i|argon2id", "the keyslot's key derivation" },
	[K_ITER] = { "iter-time", "i", "MS", "the key derivation's time on this machine" },
	[K_FORCEITER] = { "pbkdf-force-iterations", NULL, "N", "the key derivation's cost, not benchmarked" },
	[K_BACKUPFILE] = { "header-backup-file", NULL, "FILE", "luksHeaderBackup/Restore: the backup's file" },
	[K_TESTPASS] = { "test-passphrase", NULL, NULL, "open: only check that the passphrase unlocks DEVICE" },
	[K_PBKDFMEM] = { "pbkdf-memory", NULL, "KIB", "argon2's memory cost (default 1048576 KiB, as cryptsetup)" },
	[K_SLOT] = { "key-slot", "S", "N", "the keyslot to use" },
	[K_HEADER] = { "header", NULL, "FILE", "the LUKS header is in FILE (detached), the data on DEVICE" },
	[K_HASH] = { "hash", "h", "HASH", "plain: the passphrase's hash (ripemd160; plain: none; not for a key file)" },
	[K_OFFSET] = { "offset", "o", "SECTORS", "plain: where the data starts on DEVICE (512-byte sectors)" },
	[K_SKIP] = { "skip", "p", "SECTORS", "plain: the IV of the first sector (512-byte sectors)" },
	[K_SIZE] = { "size", "b", "SECTORS", "plain: the mapping's size (512-byte sectors; default: the rest)" },
	[K_VERBOSE] = { "verbose", "v", NULL, "more messages" },
	[K_RUN_DIR] = { "run-dir", NULL, "DIR", "the daemon's run directory" },
	[K_HELP] = { "help", "?", NULL, "show help" },
};

#define B(o) CLI_BIT(o)
#define PBKDF_OPTS (B(K_PBKDF) | B(K_ITER) | B(K_FORCEITER) | B(K_PBKDFMEM))
#define PLAIN_OPTS (B(K_CIPHER) | B(K_KEYSIZE) | B(K_HASH) | B(K_OFFSET) | B(K_SKIP) | B(K_SIZE))

struct cs {
	const struct cli_args *a;
	struct cli_globals g;
	struct dmctl d;
};

static int v_format(void *ctx, int argc, char **argv);
static int v_open(void *ctx, int argc, char **argv);
static int v_close(void *ctx, int argc, char **argv);
static int v_status(void *ctx, int argc, char **argv);
static int v_dump(void *ctx, int argc, char **argv);
static int v_isluks(void *ctx, int argc, char **argv);
static int v_uuid(void *ctx, int argc, char **argv);
static int v_addkey(void *ctx, int argc, char **argv);
static int v_removekey(void *ctx, int argc, char **argv);
static int v_changekey(void *ctx, int argc, char **argv);
static int v_killslot(void *ctx, int argc, char **argv);
static int v_hdrbackup(void *ctx, int argc, char **argv);
static int v_erase(void *ctx, int argc, char **argv);

static const struct cli_verb verbs[] = {
	{ "luksFormat", "DEVICE [KEYFILE]", 1, 2,
	  B(K_TYPE) | B(K_KEYFILE) | B(K_CIPHER) | B(K_KEYSIZE) | B(K_SECTOR) | B(K_BATCH) | PBKDF_OPTS | B(K_SLOT) |
		  B(K_HEADER),
	  "Write a LUKS header and its first keyslot.", v_format },
	{ "open", "DEVICE NAME", 1, 2,
	  B(K_TYPE) | B(K_KEYFILE) | B(K_READONLY) | B(K_DISCARDS) | B(K_SLOT) | B(K_HEADER) | B(K_TESTPASS) | PLAIN_OPTS,
	  "Unlock DEVICE and map it as NAME in ulvmd (an NBD export, /dev/mapper/NAME in tables).", v_open },
	{ "close", "NAME", 1, 1, 0, "Remove the mapping NAME.", v_close },
	{ "status", "NAME", 1, 1, 0, "Show the mapping NAME as cryptsetup does.", v_status },
	{ "luksDump", "DEVICE", 1, 1, B(K_HEADER), "Show the LUKS header.", v_dump },
	{ "isLuks", "DEVICE", 1, 1, B(K_HEADER) | B(K_TYPE), "Exit 0 when DEVICE has a LUKS header (of --type).",
	  v_isluks },
	{ "luksUUID", "DEVICE", 1, 1, B(K_HEADER), "Print the LUKS header's UUID.", v_uuid },
	{ "luksAddKey", "DEVICE [NEWKEYFILE]", 1, 2, B(K_KEYFILE) | B(K_SLOT) | PBKDF_OPTS | B(K_HEADER),
	  "Add a keyslot, unlocked by an existing passphrase.", v_addkey },
	{ "luksRemoveKey", "DEVICE", 1, 1, B(K_KEYFILE) | B(K_BATCH) | B(K_HEADER),
	  "Remove the keyslot the passphrase opens.", v_removekey },
	{ "luksChangeKey", "DEVICE [NEWKEYFILE]", 1, 2, B(K_KEYFILE) | B(K_SLOT) | PBKDF_OPTS | B(K_HEADER),
	  "Change the passphrase of the keyslot the old one opens.", v_changekey },
	{ "luksKillSlot", "DEVICE SLOT", 2, 2, B(K_KEYFILE) | B(K_BATCH) | B(K_HEADER),
	  "Remove keyslot SLOT, given a passphrase of another one.", v_killslot },
	{ "luksHeaderBackup", "DEVICE", 1, 1, B(K_BACKUPFILE) | B(K_HEADER),
	  "Copy the LUKS header and keyslots to --header-backup-file.", v_hdrbackup },
	{ "luksHeaderRestore", "DEVICE", 1, 1, B(K_BACKUPFILE) | B(K_BATCH) | B(K_HEADER),
	  "Put back the header of --header-backup-file.", v_hdrbackup },
	{ "erase", "DEVICE", 1, 1, B(K_BATCH) | B(K_HEADER), "Remove every keyslot (the data cannot be unlocked).",
	  v_erase },
	{ "luksErase", "DEVICE", 1, 1, B(K_BATCH) | B(K_HEADER), "The same as erase.", v_erase },
	{ "luksOpen", "DEVICE NAME", 2, 2, B(K_KEYFILE) | B(K_READONLY) | B(K_DISCARDS) | B(K_SLOT) | B(K_HEADER),
	  "The same as open --type luks.", v_open },
	{ "luksClose", "NAME", 1, 1, 0, "The same as close.", v_close },
};

static const struct cli_spec spec = {
	.prog = "ulvm cryptsetup",
	.synopsis = "ulvm cryptsetup [OPTION]... VERB [ARG]...\n\n"
		    "cryptsetup's verbs: libcryptsetup handles the header, ulvmd's crypt target the data.\n"
		    "DEVICE is a file, a block device, VG/LV, /dev/mapper/NAME or an NBD URI.\n",
	.opts = opts,
	.nopts = K_COUNT,
	.global_opts = B(K_VERBOSE) | B(K_RUN_DIR) | B(K_HELP),
	.help_opt = K_HELP,
	.verbs = verbs,
	.nverbs = sizeof(verbs) / sizeof(verbs[0]),
};

static bool set(const struct cs *c, int o)
{
	return c->a->set & CLI_BIT(o);
}

static const char *val(const struct cs *c, int o)
{
	return c->a->val[o];
}

/* cryptsetup's messages carry no program name */
#define fail(code, ...) cli_fail(NULL, code, __VA_ARGS__)

/* libcryptsetup's errno as cryptsetup's exit code. */
static int exit_of(int r)
{
	return r == -EPERM || r == -ENOENT ? 2 : r == -ENOMEM ? 3 : r == -ENODEV || r == -ENOTBLK ? 4
		: r == -EBUSY || r == -EEXIST ? 5 : 1;
}

/* libcryptsetup's messages; a device read through a private copy is
 * named as the user named it, not by the copy's path (@usrptr: the
 * struct blockdev, or NULL). */
static void cs_log(int level, const char *msg, void *usrptr)
{
	const struct blockdev *b = usrptr;
	FILE *f = level == CRYPT_LOG_NORMAL ? stdout : level == CRYPT_LOG_ERROR ? stderr : NULL;
	const char *at = b && b->io && b->file[0] ? strstr(msg, b->file) : NULL;

	if (!f)
		return;
	if (at)
		fprintf(f, "%.*s%s%s", (int)(at - msg), msg, b->spec, at + strlen(b->file));
	else
		fputs(msg, f);
}

static void burn(char *p, size_t len)
{
	if (p)
		crypt_safe_memzero(p, len);
	free(p);
}

#define KEYFILE_MAX (8u << 20)

/* A passphrase: --key-file's bytes, a prompt, or one line of stdin.
 * malloc'ed in *@out, *@len bytes; 0 or an exit code. */
static int read_passphrase(const char *file, const char *prompt, char **out, size_t *len)
{
	FILE *f;
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;

	*out = NULL;
	if (file) {
		size_t got = 0;

		if (!(f = strcmp(file, "-") ? fopen(file, "rb") : stdin))
			return fail(1, "Failed to open key file %s.", file);
		/* cryptsetup's keyfile_size_max: 8 MiB, read whole */
		if (!(buf = malloc(KEYFILE_MAX + 1))) {
			if (f != stdin)
				fclose(f);
			return 3;
		}
		got = fread(buf, 1, KEYFILE_MAX + 1, f);
		if (f != stdin)
			fclose(f);
		if (got > KEYFILE_MAX) {
			burn(buf, KEYFILE_MAX + 1);
			return fail(1, "Maximum keyfile size exceeded.");
		}
		*out = buf;
		*len = got;
		return 0;
	}
	if (isatty(STDIN_FILENO)) {
		struct termios t, quiet;

		tcgetattr(STDIN_FILENO, &t);
		quiet = t;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet); /* before the prompt: what is typed after it stays */
		fprintf(stderr, "%s", prompt);
		n = getline(&buf, &cap, stdin);
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &t);
		fputc('\n', stderr);
	} else {
		n = getline(&buf, &cap, stdin);
	}
	if (n < 0) {
		free(buf);
		return fail(1, "Error reading passphrase.");
	}
	if (n && buf[n - 1] == '\n')
		buf[--n] = 0;
	*out = buf;
	*len = (size_t)n;
	return 0;
}

/* As read_passphrase; a new passphrase typed on a terminal is asked twice
 * (cryptsetup's "Verify passphrase:"), and two that differ are refused. */
static int passphrase_new(const char *file, const char *prompt, char **out, size_t *len)
{
	char *again = NULL;
	size_t alen = 0;
	int r;

	if ((r = read_passphrase(file, prompt, out, len)) || file || !isatty(STDIN_FILENO))
		return r;
	if ((r = read_passphrase(NULL, "Verify passphrase: ", &again, &alen))) {
		burn(*out, *len);
		*out = NULL;
		return r;
	}
	r = alen != *len || memcmp(again, *out, alen);
	burn(again, alen);
	if (r) {
		burn(*out, *len);
		*out = NULL;
		return fail(2, "Passphrases do not match.");
	}
	return 0;
}

/* cryptsetup's yesDialog, on a terminal: "YES" goes on. */
static bool yes(const char *warning)
{
	char *answer = NULL;
	size_t cap = 0;
	bool ok;

	fprintf(stderr, "\nWARNING!\n========\n%s\n\nAre you sure? (Type 'yes' in capital letters): ", warning);
	ok = getline(&answer, &cap, stdin) >= 0 && !strcmp(answer, "YES\n");
	free(answer);
	return ok;
}

/* A LUKS header being worked on: on the device (through a copy when
 * libcryptsetup cannot open the device) or in --header's file. */
struct hdr {
	struct blockdev data;
	struct crypt_device *cd;
	bool detached;
	uint64_t len; /* bytes of the device the header covers (written back) */
};

#define HEAD_COPY (16ull << 20) /* LUKS2's default header area; LUKS1's is 2 MiB */

static void hdr_close(struct hdr *h)
{
	if (h->cd)
		crypt_free(h->cd);
	h->cd = NULL;
	blockdev_close(&h->data);
}

/* Open @spec's device and, unless @format, load its header (quietly:
 * isLuks); 0 or an exit code (messages printed). */
static int hdr_open(struct cs *c, const char *spec, bool rw, bool format, bool quiet, struct hdr *h)
{
	struct err e = { { 0 } };
	int r;

	memset(h, 0, sizeof(*h));
	c->d.run_dir = c->g.run_dir;
	h->detached = set(c, K_HEADER);
	if ((r = blockdev_open(&h->data, spec, &c->d, rw && !h->detached, &e)))
		return quiet ? 4 : fail(4, "%s", e.msg);
	if (!format && !h->detached && (r = blockdev_fill(&h->data, HEAD_COPY, &e))) {
		hdr_close(h);
		return quiet ? 4 : fail(4, "%s", e.msg);
	}
	for (int pass = 0; pass < 2; pass++) {
		r = h->detached ? crypt_init_data_device(&h->cd, val(c, K_HEADER), h->data.file)
				: crypt_init(&h->cd, h->data.file);
		if (r) {
			hdr_close(h);
			return quiet ? 4 : fail(4, "Device %s does not exist or access denied.",
						h->detached ? val(c, K_HEADER) : spec);
		}
		crypt_set_log_callback(h->cd, quiet ? NULL : cs_log, &h->data);
		if (format)
			return 0;
		if ((r = crypt_load(h->cd, CRYPT_LUKS, NULL))) {
			hdr_close(h);
			return quiet ? 1 : fail(1, "Device %s is not a valid LUKS device.",
						h->detached ? val(c, K_HEADER) : spec);
		}
		h->len = crypt_get_data_offset(h->cd) * 512;
		if (h->detached || !h->data.io || h->len <= h->data.filled)
			break;
		/* keyslots past the first copy: read up to the data and load again */
		crypt_free(h->cd);
		h->cd = NULL;
		if ((r = blockdev_fill(&h->data, h->len, &e))) {
			hdr_close(h);
			return quiet ? 4 : fail(4, "%s", e.msg);
		}
	}
	if (h->len < h->data.filled)
		h->len = h->data.filled;
	return 0;
}

/* Write what libcryptsetup changed in the header back to the device. */
static int hdr_commit(struct hdr *h)
{
	struct err e = { { 0 } };

	if (h->detached || !h->data.io)
		return 0;
	if (!h->len && h->cd)
		h->len = crypt_get_data_offset(h->cd) * 512;
	if (blockdev_commit(&h->data, h->len, &e))
		return fail(4, "Cannot write the header back to %s: %s", h->data.spec, e.msg);
	return 0;
}

static int pbkdf(const struct cs *c, struct crypt_device *cd)
{
	struct crypt_pbkdf_type p = { 0 };
	const struct crypt_pbkdf_type *def = crypt_get_pbkdf_default(crypt_get_type(cd) ? crypt_get_type(cd) : CRYPT_LUKS2);
	uint32_t n;

	if (!set(c, K_PBKDF) && !set(c, K_ITER) && !set(c, K_FORCEITER) && !set(c, K_PBKDFMEM))
		return 0;
	if (def)
		p = *def;
	if (set(c, K_PBKDF))
		p.type = val(c, K_PBKDF);
	if (!strcmp(crypt_get_type(cd) ? crypt_get_type(cd) : "", CRYPT_LUKS1) || !strcmp(p.type, CRYPT_KDF_PBKDF2))
		p.max_memory_kb = p.parallel_threads = 0;
	if (set(c, K_ITER)) {
		if (parse_u32(val(c, K_ITER), &n) || !n)
			return fail(1, "Invalid argument for --iter-time: %s", val(c, K_ITER));
		p.time_ms = n;
	}
	if (set(c, K_FORCEITER)) {
		if (parse_u32(val(c, K_FORCEITER), &n) || !n)
			return fail(1, "Invalid argument for --pbkdf-force-iterations: %s", val(c, K_FORCEITER));
		p.iterations = n;
		p.flags |= CRYPT_PBKDF_NO_BENCHMARK;
	}
	if (set(c, K_PBKDFMEM)) {
		if (parse_u32(val(c, K_PBKDFMEM), &n) || n < 32 || n > 4194304)
			return fail(1, "Invalid argument for --pbkdf-memory: %s (32 to 4194304 KiB)", val(c, K_PBKDFMEM));
		if (strcmp(p.type, CRYPT_KDF_PBKDF2))
			p.max_memory_kb = n;
	}
	if (crypt_set_pbkdf_type(cd, &p))
		return fail(1, "Invalid PBKDF parameters.");
	return 0;
}

static int slot_opt(const struct cs *c, int *slot)
{
	uint32_t n;

	*slot = CRYPT_ANY_SLOT;
	if (!set(c, K_SLOT))
		return 0;
	if (parse_u32(val(c, K_SLOT), &n) || n > 31)
		return fail(1, "Invalid argument for --key-slot: %s", val(c, K_SLOT));
	*slot = (int)n;
	return 0;
}

/* Is @spec in use by ulvmd: one of its devices open (an NBD or FUSE
 * client) or under another table, a file or URI named by a table?
 * cryptsetup opens the device exclusively for luksFormat and open. */
static bool in_use(struct cs *c, const char *spec)
{
	struct blockdev b;
	struct err e = { { 0 } };
	json_object *res = NULL, *params = json_object_new_object(), *v;
	const char *name = NULL;
	bool mapped, used = false;

	c->d.run_dir = c->g.run_dir;
	if (!params || blockdev_name(&b, spec, &c->d, &e) || !dmctl_up(&c->d)) {
		json_object_put(params);
		return false;
	}
	mapped = dev_spec_mapped(b.table, &name);
	if (mapped)
		json_object_object_add(params, "name", json_object_new_string(name));
	if (dmctl_call(&c->d, mapped ? "info" : "deps", params, &res, &e))
		return false;
	for (size_t i = 0; !used && i < json_object_array_length(res); i++) {
		json_object *o = json_object_array_get_idx(res, i);

		if (mapped) {
			used = (json_object_object_get_ex(o, "open_count", &v) && json_object_get_int64(v) > 0) ||
			       (json_object_object_get_ex(o, "holders", &v) && json_object_get_int64(v) > 0);
			continue;
		}
		if (!json_object_object_get_ex(o, "deps", &v))
			continue;
		for (size_t k = 0; !used && k < json_object_array_length(v); k++)
			used = !strcmp(json_object_get_string(json_object_array_get_idx(v, k)), b.table);
	}
	json_object_put(res);
	return used;
}

static int v_format(void *ctx, int argc, char **argv)
{
	struct cs *c = ctx;
	const char *type = set(c, K_TYPE) ? val(c, K_TYPE) : "luks2", *cipher = set(c, K_CIPHER) ? val(c, K_CIPHER)
											 : "aes-xts-plain64";
	struct hdr h;
	struct crypt_params_luks2 p2 = { 0 };
	struct crypt_params_luks1 p1 = { 0 };
	char cname[32], mode[64], *pass = NULL;
	const char *made = NULL; /* the header file this command made */
	uint32_t bits = 512, sector = 0;
	size_t plen = 0;
	int r, slot;

	if (!strcmp(type, "luks"))
		type = "luks2";
	if (strcmp(type, "luks1") && strcmp(type, "luks2"))
		return fail(1, "Unknown LUKS type %s (luks1 or luks2).", type);
	if (set(c, K_KEYSIZE) && (parse_u32(val(c, K_KEYSIZE), &bits) || bits % 8 || !bits || bits > 1024))
		return fail(1, "Invalid argument for --key-size: %s", val(c, K_KEYSIZE));
	if (set(c, K_SECTOR) && (parse_u32(val(c, K_SECTOR), &sector) || sector < 512 || sector > 4096 ||
				 (sector & (sector - 1)) || !strcmp(type, "luks1")))
		return fail(1, "Unsupported encryption sector size %s (512 to 4096, a power of two; luks2 only).",
			    val(c, K_SECTOR));
	if (sscanf(cipher, "%31[^-]-%63s", cname, mode) != 2)
		return fail(1, "No known cipher specification pattern detected: %s", cipher);
	if (!set(c, K_KEYSIZE) && !strstr(mode, "xts")) /* cryptsetup: 512 bits for XTS (two keys), else 256 */
		bits = 256;
	if ((r = slot_opt(c, &slot)))
		return r;
	if (!set(c, K_BATCH) && isatty(STDIN_FILENO)) { /* cryptsetup's yesDialog asks a terminal only */
		char w[PATH_MAX + 64];

		snprintf(w, sizeof(w), "This will overwrite data on %s irrevocably.", argv[0]);
		if (!yes(w))
			return fail(1, "Operation aborted.");
	}
	if ((r = passphrase_new(argc > 1 ? argv[1] : val(c, K_KEYFILE), "Enter passphrase for the new LUKS device: ",
			    &pass, &plen)))
		return r;
	if (in_use(c, argv[0])) {
		burn(pass, plen);
		return fail(1, "Cannot exclusively open %s, device in use.", argv[0]);
	}
	if (set(c, K_HEADER) && access(val(c, K_HEADER), F_OK)) {
		/* as cryptsetup: a detached header's file is made when missing,
		 * private (0600), sized for the default header (LUKS2's metadata
		 * and keyslots, LUKS1's eight keyslots of a 512-bit key); it goes
		 * again if the format fails */
		int fd = open(val(c, K_HEADER), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

		if (fd < 0 || ftruncate(fd, !strcmp(type, "luks2") ? 16 << 20 : 2 << 20)) {
			int err = errno;

			if (fd >= 0) {
				close(fd);
				unlink(val(c, K_HEADER));
			}
			burn(pass, plen);
			return fail(4, "Cannot create header file %s: %s.", val(c, K_HEADER), strerror(err));
		}
		close(fd);
		made = val(c, K_HEADER);
	}
	if ((r = hdr_open(c, argv[0], true, true, false, &h))) {
		burn(pass, plen);
		if (made)
			unlink(made);
		return r;
	}
	p2.sector_size = sector ? sector : 512;
	p1.data_alignment = p2.data_alignment = 0;
	r = crypt_format(h.cd, !strcmp(type, "luks1") ? CRYPT_LUKS1 : CRYPT_LUKS2, cname, mode, NULL, NULL,
			 bits / 8, !strcmp(type, "luks1") ? (void *)&p1 : (void *)&p2);
	if (!r && (r = pbkdf(c, h.cd)))
		r = -EINVAL;
	if (!r && (r = crypt_keyslot_add_by_volume_key(h.cd, slot, NULL, 0, pass, plen)) >= 0)
		r = 0;
	burn(pass, plen);
	if (r) {
		hdr_close(&h);
		if (made)
			unlink(made);
		return fail(exit_of(r), "Cannot format device %s: %s.", argv[0], strerror(-r));
	}
	/* a copy of a ulvm device is a file libcryptsetup grows to the header
	 * it wants: nothing is written when the device cannot hold it */
	if (!h.detached && h.data.io && crypt_get_data_offset(h.cd) * 512 >= h.data.size) {
		uint64_t need = crypt_get_data_offset(h.cd) * 512, have = h.data.size;

		hdr_close(&h);
		return fail(1, "Device %s is too small: the %s header needs %" PRIu64 " bytes and data after them, "
			    "it has %" PRIu64 ".", argv[0], type, need, have);
	}
	r = hdr_commit(&h);
	hdr_close(&h);
	return r;
}

/* The key of @cd's volume with a passphrase from the options: 0 and the
 * keyslot in *@slot, or an exit code. */
static int unlock(const struct cs *c, struct crypt_device *cd, const char *dev, char *vk, size_t *vk_len, int *slot)
{
	char *pass = NULL, prompt[PATH_MAX + 32];
	size_t plen = 0;
	int r, want;

	if ((r = slot_opt(c, &want)))
		return r;
	snprintf(prompt, sizeof(prompt), "Enter passphrase for %s: ", dev);
	if ((r = read_passphrase(val(c, K_KEYFILE), prompt, &pass, &plen)))
		return r;
	r = crypt_volume_key_get(cd, want, vk, vk_len, pass, plen);
	burn(pass, plen);
	if (r < 0)
		return r == -EPERM || r == -ENOENT ? fail(2, "No key available with this passphrase.")
						   : fail(exit_of(r), "Cannot unlock %s: %s.", dev, strerror(-r));
	*slot = r;
	return 0;
}

static int daemon_up(struct cs *c)
{
	c->d.run_dir = c->g.run_dir;
	if (!dmctl_up(&c->d))
		return fail(4, "%s", c->d.why.msg);
	return 0;
}

/* Plain mode (no header): the key is the hashed passphrase (libcryptsetup
 * hashes as cryptsetup does), or a key file's first key-size bytes as
 * they are (cryptsetup hashes no key file but standard input). */
static int plain_key(struct cs *c, struct hdr *h, char *vk, size_t *vk_len, uint64_t *off, uint64_t *ivo,
		     uint64_t *size)
{
	const char *cipher = set(c, K_CIPHER) ? val(c, K_CIPHER) : "aes-cbc-essiv:sha256";
	const char *kf = val(c, K_KEYFILE);
	struct crypt_params_plain p = { .hash = set(c, K_HASH) ? val(c, K_HASH) : "ripemd160" };
	char cname[32], mode[64], *pass = NULL, prompt[PATH_MAX + 32];
	uint32_t bits = 256;
	size_t plen = 0;
	int r;

	if (!strcmp(p.hash, "plain")) /* cryptsetup: the passphrase itself, zero-padded */
		p.hash = NULL;

	if (set(c, K_KEYSIZE) && (parse_u32(val(c, K_KEYSIZE), &bits) || bits % 8 || !bits || bits > 8 * *vk_len))
		return fail(1, "Invalid argument for --key-size: %s", val(c, K_KEYSIZE));
	if (sscanf(cipher, "%31[^-]-%63s", cname, mode) != 2)
		return fail(1, "No known cipher specification pattern detected: %s", cipher);
	if ((set(c, K_OFFSET) && parse_u64(val(c, K_OFFSET), &p.offset)) ||
	    (set(c, K_SKIP) && parse_u64(val(c, K_SKIP), &p.skip)) ||
	    (set(c, K_SIZE) && (parse_u64(val(c, K_SIZE), &p.size) || !p.size)))
		return fail(1, "Invalid argument for --offset, --skip or --size.");
	if (p.offset >= h->data.size / 512 || (p.size && p.size > h->data.size / 512 - p.offset))
		return fail(4, "Device %s is too small.", h->data.spec);
	if ((r = crypt_format(h->cd, CRYPT_PLAIN, cname, mode, NULL, NULL, bits / 8, &p)))
		return fail(exit_of(r), "Cannot use cipher %s with a %u-bit key: %s.", cipher, bits, strerror(-r));
	*vk_len = bits / 8;
	if (kf && strcmp(kf, "-")) {
		FILE *f = fopen(kf, "rb");
		size_t got = f ? fread(vk, 1, *vk_len, f) : 0;

		if (f)
			fclose(f);
		if (!f)
			return fail(1, "Failed to open key file %s.", kf);
		if (got != *vk_len)
			return fail(1, "Cannot read %zu bytes from key file %s.", *vk_len, kf);
	} else {
		snprintf(prompt, sizeof(prompt), "Enter passphrase for %s: ", h->data.spec);
		if ((r = read_passphrase(kf, prompt, &pass, &plen)))
			return r;
		if (p.hash) {
			r = crypt_volume_key_get(h->cd, CRYPT_ANY_SLOT, vk, vk_len, pass, plen);
		} else { /* no hash: the passphrase cut or zero-padded to the key */
			memset(vk, 0, *vk_len);
			memcpy(vk, pass, plen < *vk_len ? plen : *vk_len);
			r = 0;
		}
		burn(pass, plen);
		if (r < 0)
			return fail(exit_of(r), "Cannot hash the passphrase with %s: %s.", p.hash, strerror(-r));
	}
	*off = p.offset;
	*ivo = p.skip;
	*size = p.size ? p.size : h->data.size / 512 - p.offset;
	return 0;
}

/* ulvm maps a LUKS device as one crypt line over its data: refused when
 * the header says otherwise (LUKS2 requirements: a reencryption in
 * progress, whose segments are part plain text, part ciphertext). */
static int whole_crypt(struct hdr *h, const char *dev)
{
	uint32_t req = 0;

	if (!strcmp(crypt_get_type(h->cd), CRYPT_LUKS2) &&
	    crypt_persistent_flags_get(h->cd, CRYPT_FLAGS_REQUIREMENTS, &req))
		return fail(1, "Cannot read the requirements of the LUKS2 header of %s.", dev);
	if (req & CRYPT_REQUIREMENT_ONLINE_REENCRYPT)
		return fail(1, "Device %s is being reencrypted (its data is part plain text, part ciphertext): "
			    "finish it with cryptsetup reencrypt first.", dev);
	if (req)
		return fail(1, "Device %s has LUKS2 requirements (0x%x) ulvm does not support.", dev, req);
	return 0;
}

static int v_open(void *ctx, int argc, char **argv)
{
	struct cs *c = ctx;
	struct hdr h;
	char vk[256], uuid[64], dmuuid[160], *table = NULL;
	const char *type = set(c, K_TYPE) ? val(c, K_TYPE) : "luks";
	bool plain = !strcmp(type, "plain");
	size_t vk_len = sizeof(vk);
	struct err e = { { 0 } };
	uint64_t off = 0, size = 0, ivo = 0;
	int r, slot = -1, ss = 512;
	FILE *f;

	if (strcmp(type, "luks") && strcmp(type, "luks1") && strcmp(type, "luks2") && !plain)
		return fail(1, "Unknown device type %s (luks, luks1, luks2 or plain).", type);
	if (plain && set(c, K_HEADER))
		return fail(1, "A plain device has no header (--header).");
	if (set(c, K_TESTPASS)) { /* cryptsetup: unlock, map nothing (a name is not needed) */
		if (plain)
			return fail(1, "--test-passphrase needs a LUKS device.");
		if ((r = hdr_open(c, argv[0], false, false, false, &h)))
			return r;
		r = unlock(c, h.cd, argv[0], vk, &vk_len, &slot);
		crypt_safe_memzero(vk, sizeof(vk));
		hdr_close(&h);
		return r;
	}
	if (argc < 2)
		return fail(1, "Command requires device and mapped name as arguments.");
	if ((r = daemon_up(c)))
		return r;
	if (dmctl_exists(&c->d, argv[1]))
		return fail(5, "Device %s already exists.", argv[1]);
	if (in_use(c, argv[0]))
		return fail(5, "Cannot use device %s which is in use (already mapped or mounted).", argv[0]);
	if ((r = hdr_open(c, argv[0], false, plain, false, &h)))
		return r;
	if (plain) {
		if ((r = plain_key(c, &h, vk, &vk_len, &off, &ivo, &size)))
			goto out;
	} else {
		if (strcmp(type, "luks") && strcmp(crypt_get_type(h.cd), !strcmp(type, "luks1") ? CRYPT_LUKS1 : CRYPT_LUKS2)) {
			r = fail(1, "Device %s is not a valid %s device.", argv[0], type);
			goto out;
		}
		if ((r = whole_crypt(&h, argv[0])) || (r = unlock(c, h.cd, argv[0], vk, &vk_len, &slot)))
			goto out;
		off = crypt_get_data_offset(h.cd);
		ivo = crypt_get_iv_offset(h.cd);
		ss = crypt_get_sector_size(h.cd);
		size = h.data.size / 512;
		if (size <= off) {
			r = fail(4, "Device %s is too small.", argv[0]);
			goto out;
		}
		size -= off;
		if (ss > 512)
			size -= size % (uint64_t)(ss / 512);
	}
	if (!(f = open_memstream(&table, &(size_t){ 0 }))) {
		r = 3;
		goto out;
	}
	fprintf(f, "0 %" PRIu64 " crypt %s-%s ", size, crypt_get_cipher(h.cd), crypt_get_cipher_mode(h.cd));
	for (size_t i = 0; i < vk_len; i++)
		fprintf(f, "%02x", (unsigned char)vk[i]);
	fprintf(f, " %" PRIu64 " %s %" PRIu64, ivo, h.data.table, off);
	if (ss > 512 || set(c, K_DISCARDS)) {
		fprintf(f, " %d", (ss > 512) + set(c, K_DISCARDS));
		if (set(c, K_DISCARDS))
			fprintf(f, " allow_discards");
		if (ss > 512)
			fprintf(f, " sector_size:%d", ss);
	}
	fclose(f);
	if (plain) {
		snprintf(dmuuid, sizeof(dmuuid), "CRYPT-PLAIN-%s", argv[1]);
	} else {
		snprintf(uuid, sizeof(uuid), "%s", crypt_get_uuid(h.cd) ? crypt_get_uuid(h.cd) : "");
		for (char *s = uuid, *d = uuid;; s++) /* cryptsetup's dm uuid has the LUKS uuid without dashes */
			if (*s != '-' && !(*d++ = *s))
				break;
		snprintf(dmuuid, sizeof(dmuuid), "CRYPT-%s-%s-%s", crypt_get_type(h.cd), uuid, argv[1]);
	}
	blockdev_disconnect(&h.data); /* ulvmd's own connection comes next */
	r = dmctl_create(&c->d, &(struct dmctl_dev){ .name = argv[1], .uuid = dmuuid, .table = table,
						     .export = argv[1], .readonly = set(c, K_READONLY) },
			 &e);
	crypt_safe_memzero(table, strlen(table));
	free(table);
	if (r) {
		r = fail(exit_of(r), "Cannot map %s: %s", argv[1], e.msg);
		goto out;
	}
	if (c->g.verbose && !plain)
		printf("Key slot %d unlocked.\nCommand successful.\n", slot);
out:
	crypt_safe_memzero(vk, sizeof(vk));
	hdr_close(&h);
	return r;
}

/* A mapping named as cryptsetup takes it: NAME or /dev/mapper/NAME. */
static char *mapping_name(char *arg)
{
	const char *name;

	return dev_spec_mapped(arg, &name) ? (char *)name : arg;
}

static int v_close(void *ctx, int argc, char **argv)
{
	struct cs *c = ctx;
	struct err e = { { 0 } };
	int r;

	(void)argc;
	argv[0] = mapping_name(argv[0]);
	if ((r = daemon_up(c)))
		return r;
	if (!dmctl_exists(&c->d, argv[0]))
		return fail(4, "Device %s is not active.", argv[0]);
	if ((r = dmctl_simple(&c->d, "remove", argv[0], &e)))
		return fail(exit_of(r), "Cannot close %s: %s", argv[0], e.msg);
	return 0;
}

static int v_status(void *ctx, int argc, char **argv)
{
	struct cs *c = ctx;
	struct json_object *res = NULL, *o, *v;
	struct err e = { { 0 } };
	char cipher[128], key[600], dev[PATH_MAX], type[16] = "n/a", *line = NULL;
	uint64_t start, len, ivo, off;
	int r, n, ss = 512;
	size_t bits;
	bool ro = false, discards = false;
	const char *uuid = "";

	(void)argc;
	argv[0] = mapping_name(argv[0]);
	if ((r = daemon_up(c)))
		return r;
	if (dmctl_call(&c->d, "info", dmctl_named(argv[0]), &res, &e)) {
		printf("/dev/mapper/%s is inactive.\n", argv[0]);
		return 4;
	}
	o = json_object_is_type(res, json_type_array) ? json_object_array_get_idx(res, 0) : res;
	if (o && json_object_object_get_ex(o, "uuid", &v))
		uuid = json_object_get_string(v);
	if (o && json_object_object_get_ex(o, "read_only", &v))
		ro = json_object_get_boolean(v);
	if (!strncmp(uuid, "CRYPT-", 6))
		sscanf(uuid + 6, "%15[^-]", type);
	r = dmctl_status_of(&c->d, argv[0], "crypt", &line, &e);
	json_object_put(res);
	if (r) {
		printf("/dev/mapper/%s is active.\n", argv[0]);
		return 0;
	}
	free(line);
	/* the table line with its key: only its length is shown */
	{
		struct json_object *p = dmctl_named(argv[0]), *t = NULL, *lines;

		json_object_object_add(p, "showkeys", json_object_new_boolean(1));
		if (dmctl_call(&c->d, "table", p, &t, &e) || !json_object_object_get_ex(json_object_array_get_idx(t, 0),
											"lines", &lines)) {
			json_object_put(t);
			return fail(1, "Cannot read the table of %s: %s", argv[0], e.msg);
		}
		n = sscanf(json_object_get_string(json_object_array_get_idx(lines, 0)),
			   "%" SCNu64 " %" SCNu64 " crypt %127s %599s %" SCNu64 " %4095s %" SCNu64, &start, &len, cipher,
			   key, &ivo, dev, &off);
		if (strstr(json_object_get_string(json_object_array_get_idx(lines, 0)), "sector_size:"))
			sscanf(strstr(json_object_get_string(json_object_array_get_idx(lines, 0)), "sector_size:"),
			       "sector_size:%d", &ss);
		discards = strstr(json_object_get_string(json_object_array_get_idx(lines, 0)), " allow_discards");
		json_object_put(t);
	}
	bits = strlen(key) * 4;
	crypt_safe_memzero(key, sizeof(key));
	if (n != 7)
		return fail(1, "%s is not a crypt mapping.", argv[0]);
	printf("/dev/mapper/%s is active.\n", argv[0]);
	printf("  type:    %s\n", type);
	printf("  cipher:  %s\n", cipher);
	printf("  keysize: %zu bits\n", bits);
	printf("  key location: dm-crypt\n");
	printf("  device:  %s\n", dev);
	printf("  sector size:  %d\n", ss);
	printf("  offset:  %" PRIu64 " sectors\n", off);
	printf("  size:    %" PRIu64 " sectors\n", len);
	if (ivo)
		printf("  skipped: %" PRIu64 " sectors\n", ivo);
	printf("  mode:    %s\n", ro ? "readonly" : "read/write");
	if (discards)
		printf("  flags:   discards \n");
	return 0;
}

/* Load @dev's header (quietly: isLuks) and run @fn on it, if any. */
static int with_header(struct cs *c, const char *dev, bool quiet, int (*fn)(struct crypt_device *cd))
{
	struct hdr h;
	int r;

	if ((r = hdr_open(c, dev, false, false, quiet, &h)))
		return r;
	r = fn ? fn(h.cd) : 0;
	hdr_close(&h);
	return r;
}

static int dump_fn(struct crypt_device *cd)
{
	int r = crypt_dump(cd);

	return r ? exit_of(r) : 0;
}

static int uuid_fn(struct crypt_device *cd)
{
	printf("%s\n", crypt_get_uuid(cd) ? crypt_get_uuid(cd) : "");
	return 0;
}

static int v_dump(void *ctx, int argc, char **argv)
{
	(void)argc;
	return with_header(ctx, argv[0], false, dump_fn);
}

static int v_isluks(void *ctx, int argc, char **argv)
{
	struct cs *c = ctx;
	const char *type = set(c, K_TYPE) ? val(c, K_TYPE) : "luks";
	struct hdr h;
	int r;

	(void)argc;
	if (strcmp(type, "luks") && strcmp(type, "luks1") && strcmp(type, "luks2"))
		return fail(1, "Unknown LUKS type %s (luks, luks1 or luks2).", type);
	if ((r = hdr_open(c, argv[0], false, false, true, &h)))
		return r;
	if (strcmp(type, "luks") && strcmp(crypt_get_type(h.cd), !strcmp(type, "luks1") ? CRYPT_LUKS1 : CRYPT_LUKS2))
		r = 1;
	hdr_close(&h);
	return r;
}

/* luksHeaderBackup / luksHeaderRestore --header-backup-file FILE: the
 * header area to a file (refused over an existing one) or back from it,
 * through libcryptsetup; a restore asks first, as cryptsetup. */
static int v_hdrbackup(void *ctx, int argc, char **argv)
{
	struct cs *c = ctx;
	bool restore = !strcmp(c->a->verb->name, "luksHeaderRestore");
	const char *file = val(c, K_BACKUPFILE);
	struct hdr h;
	int r;

	(void)argc;
	if (!file)
		return fail(1, "Option --header-backup-file is required.");
	if ((r = hdr_open(c, argv[0], restore, restore, false, &h)))
		return r;
	if (!restore) {
		if ((r = crypt_header_backup(h.cd, NULL, file)))
			r = fail(exit_of(r), "Cannot write the header backup %s: %s.", file, strerror(-r));
		hdr_close(&h);
		return r;
	}
	/* the device's header area, so that what is restored over is known */
	if ((r = blockdev_fill(&h.data, HEAD_COPY, &(struct err){ { 0 } }))) {
		hdr_close(&h);
		return fail(4, "Cannot read %s.", argv[0]);
	}
	if (!set(c, K_BATCH) && isatty(STDIN_FILENO)) {
		char w[PATH_MAX + 96];

		snprintf(w, sizeof(w), "Device %s already contains LUKS header. Replacing header will destroy "
			 "existing keyslots.", argv[0]);
		if (!yes(w)) {
			hdr_close(&h);
			return fail(1, "Operation aborted.");
		}
	}
	if ((r = crypt_header_restore(h.cd, NULL, file))) {
		hdr_close(&h);
		return fail(exit_of(r), "Cannot restore the header from %s: %s.", file, strerror(-r));
	}
	{ /* what the restore wrote: the backup's header area (its file's size) */
		struct stat st;

		h.len = !stat(file, &st) ? (uint64_t)st.st_size : HEAD_COPY;
		if (h.len > h.data.size)
			h.len = h.data.size;
	}
	r = hdr_commit(&h);
	hdr_close(&h);
	return r;
}

/* A keyslot that holds a key (bound to the volume or not). */
static bool slot_used(crypt_keyslot_info st)
{
	return st == CRYPT_SLOT_ACTIVE || st == CRYPT_SLOT_ACTIVE_LAST || st == CRYPT_SLOT_UNBOUND;
}

/* erase: every keyslot destroyed, after YES at a terminal (cryptsetup's
 * luksErase). */
static int v_erase(void *ctx, int argc, char **argv)
{
	struct cs *c = ctx;
	struct hdr h;
	char w[PATH_MAX + 96];
	int r = 0;

	(void)argc;
	if ((r = hdr_open(c, argv[0], true, false, false, &h)))
		return r;
	snprintf(w, sizeof(w), "Operation will erase all keyslots on device %s.\nDevice will become unusable after "
		 "this operation.", argv[0]);
	if (!set(c, K_BATCH) && isatty(STDIN_FILENO) && !yes(w)) {
		hdr_close(&h);
		return fail(1, "Operation aborted, keyslots were NOT wiped.");
	}
	for (int k = 0; !r && k < crypt_keyslot_max(crypt_get_type(h.cd)); k++) {
		crypt_keyslot_info st = crypt_keyslot_status(h.cd, k);

		if (slot_used(st) && (r = crypt_keyslot_destroy(h.cd, k)) < 0)
			r = fail(exit_of(r), "Cannot wipe keyslot %d: %s.", k, strerror(-r));
	}
	if (!r)
		r = hdr_commit(&h);
	hdr_close(&h);
	return r;
}

static int v_uuid(void *ctx, int argc, char **argv)
{
	(void)argc;
	return with_header(ctx, argv[0], false, uuid_fn);
}

/* luksAddKey / luksChangeKey: the old passphrase (--key-file or a prompt),
 * the new one (NEWKEYFILE or a prompt). */
static int keychange(struct cs *c, int argc, char **argv, bool change)
{
	struct hdr h;
	char *old = NULL, *new = NULL, prompt[PATH_MAX + 32];
	size_t ol = 0, nl = 0;
	int r, slot;

	if ((r = slot_opt(c, &slot)) || (r = hdr_open(c, argv[0], true, false, false, &h)))
		return r;
	snprintf(prompt, sizeof(prompt), "Enter any existing passphrase: ");
	if ((r = pbkdf(c, h.cd)) || (r = read_passphrase(val(c, K_KEYFILE), prompt, &old, &ol)) ||
	    (r = passphrase_new(argc > 1 ? argv[1] : NULL, "Enter new passphrase for key slot: ", &new, &nl))) {
		burn(old, ol);
		hdr_close(&h);
		return r;
	}
	r = change ? crypt_keyslot_change_by_passphrase(h.cd, CRYPT_ANY_SLOT, slot, old, ol, new, nl)
		   : crypt_keyslot_add_by_passphrase(h.cd, slot, old, ol, new, nl);
	burn(old, ol);
	burn(new, nl);
	if (r == -EPERM || r == -ENOENT)
		r = fail(2, "No key available with this passphrase.");
	else if (r < 0)
		r = fail(exit_of(r), "Cannot %s key: %s.", change ? "change" : "add", strerror(-r));
	else
		r = hdr_commit(&h);
	hdr_close(&h);
	return r;
}

static int v_addkey(void *ctx, int argc, char **argv)
{
	return keychange(ctx, argc, argv, false);
}

static int v_changekey(void *ctx, int argc, char **argv)
{
	return keychange(ctx, argc, argv, true);
}

static int v_removekey(void *ctx, int argc, char **argv)
{
	struct cs *c = ctx;
	struct hdr h;
	char *pass = NULL, prompt[PATH_MAX + 32];
	size_t plen = 0;
	int r;

	(void)argc;
	if ((r = hdr_open(c, argv[0], true, false, false, &h)))
		return r;
	snprintf(prompt, sizeof(prompt), "Enter passphrase to be deleted: ");
	if ((r = read_passphrase(val(c, K_KEYFILE), prompt, &pass, &plen))) {
		hdr_close(&h);
		return r;
	}
	r = crypt_activate_by_passphrase(h.cd, NULL, CRYPT_ANY_SLOT, pass, plen, 0);
	burn(pass, plen);
	if (r < 0)
		r = fail(2, "No key available with this passphrase.");
	else if (!set(c, K_BATCH) && isatty(STDIN_FILENO) &&
		 crypt_keyslot_status(h.cd, r) == CRYPT_SLOT_ACTIVE_LAST && /* cryptsetup's own test */
		 !yes("This is the last keyslot. Device will become unusable after purging this key."))
		r = fail(2, "Operation aborted, the keyslot was NOT wiped.");
	else if ((r = crypt_keyslot_destroy(h.cd, r)) < 0)
		r = fail(exit_of(r), "Cannot remove the keyslot: %s.", strerror(-r));
	else
		r = hdr_commit(&h);
	hdr_close(&h);
	return r;
}

/* luksKillSlot DEVICE SLOT: the passphrase given must open another
 * keyslot (cryptsetup's verify_keyslot), unless -q and none is given;
 * the last keyslot asks first at a terminal. */
static int v_killslot(void *ctx, int argc, char **argv)
{
	struct cs *c = ctx;
	struct hdr h;
	char *pass = NULL;
	size_t plen = 0;
	uint32_t n;
	int r, slot;
	crypt_keyslot_info st;

	(void)argc;
	if (parse_u32(argv[1], &n) || n > 31)
		return fail(1, "Invalid key slot %s.", argv[1]);
	slot = (int)n;
	if ((r = hdr_open(c, argv[0], true, false, false, &h)))
		return r;
	st = crypt_keyslot_status(h.cd, slot);
	if (!slot_used(st)) {
		hdr_close(&h);
		return fail(1, "Keyslot %d is not active.", slot);
	}
	if (!set(c, K_BATCH) || val(c, K_KEYFILE) || !isatty(STDIN_FILENO)) {
		if ((r = read_passphrase(val(c, K_KEYFILE), "Enter any remaining passphrase: ", &pass, &plen))) {
			hdr_close(&h);
			return r;
		}
		r = crypt_activate_by_passphrase(h.cd, NULL, CRYPT_ANY_SLOT, pass, plen, 0);
		burn(pass, plen);
		if (r < 0) {
			hdr_close(&h);
			return fail(2, "No key available with this passphrase.");
		}
		if (r == slot && st != CRYPT_SLOT_ACTIVE_LAST) { /* another one must be given */
			hdr_close(&h);
			return fail(2, "The passphrase opens keyslot %d itself: give one of another keyslot.", slot);
		}
	}
	if (st == CRYPT_SLOT_ACTIVE_LAST && !set(c, K_BATCH) && isatty(STDIN_FILENO) &&
	    !yes("This is the last keyslot. Device will become unusable after purging this key.")) {
		hdr_close(&h);
		return fail(2, "Operation aborted, the keyslot was NOT wiped.");
	}
	if ((r = crypt_keyslot_destroy(h.cd, slot)) < 0)
		r = fail(exit_of(r), "Cannot wipe keyslot %d: %s.", slot, strerror(-r));
	else
		r = hdr_commit(&h);
	hdr_close(&h);
	return r;
}

int cryptsetup_main(const struct cli_globals *g, int argc, char **argv)
{
	struct cs c = { .g = *g };
	struct cli_args a;
	int ret;

	if (g->complete)
		return cli_complete(&spec, argc > 1 ? argv[1] : NULL, stdout);
	ret = cli_parse(&spec, argc, argv, &a);
	if (ret) {
		cli_args_free(&a);
		return ret == CLI_HELP_SHOWN ? 0 : 1;
	}
	c.a = &a;
	c.g.verbose += (int)a.count[K_VERBOSE];
	if (a.val[K_RUN_DIR])
		c.g.run_dir = a.val[K_RUN_DIR];
	if (c.g.verbose)
		log_set_level(LOG_INFO);
	ret = a.verb->fn(&c, a.argc, a.argv);
	dmctl_close(&c.d);
	cli_args_free(&a);
	fflush(stdout);
	return ret;
}
