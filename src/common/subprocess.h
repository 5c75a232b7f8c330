/* Running another program to its end (thin_repair, e2fsck, resize2fs...).
 *
 * The program gets /dev/null as stdin. Its stdout goes to the caller's
 * stdout, or into a buffer; its stderr goes to the caller's stderr,
 * less the lines that contain a given string. Both pipes are drained
 * together, so a program that writes much to one never blocks on the
 * other.
 */
#ifndef ULVM_COMMON_SUBPROCESS_H
#define ULVM_COMMON_SUBPROCESS_H

#include <stddef.h>

struct spawn_io {
	char *out;        /* stdout's first @size - 1 bytes, NUL-ended; NULL: inherited */
	size_t size;
	const char *drop; /* stderr lines containing this are not passed on; NULL: inherited */
};

/* Run @argv (PATH searched) and wait: its exit status, 128 + the signal
 * that ended it, or -errno when it could not be started. @io may be NULL. */
int spawn_wait(const char *const argv[], const struct spawn_io *io);

#endif
