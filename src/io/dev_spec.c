/* Devices as a user names them on a command line: a file or block device,
 * an NBD URI, or /dev/mapper/NAME of the running ulvmd (its export NAME,
 * reached over the daemon's NBD socket).  See dev.h. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "common/log.h"
#include "common/rundir.h"
#include "io/dev.h"

#define MAPPER "/dev/mapper/"

bool dev_spec_mapped(const char *spec, const char **name)
{
	struct stat st;

	if (strncmp(spec, MAPPER, strlen(MAPPER)) || !spec[strlen(MAPPER)] || strchr(spec + strlen(MAPPER), '/'))
		return false;
	/* a kernel device-mapper node of that name is the kernel's */
	if (!stat(spec, &st))
		return false;
	if (name)
		*name = spec + strlen(MAPPER);
	return true;
}

/* @s percent-encoded for a URI (RFC 3986 unreserved and '/' kept). */
static int encode(const char *s, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
			     strchr("-._~/", c);

		if (n + 4 > size)
			return -ENAMETOOLONG;
		if (plain) {
			out[n++] = (char)c;
		} else {
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	out[n] = 0;
	return 0;
}

int dev_export_uri(const char *run_dir, const char *export, char *out, size_t size, struct err *e)
{
	char dir[4096], sock[4096 + 16], es[1024], ss[3 * sizeof(sock)];
	int r;

	if ((r = rundir_resolve(run_dir, dir, sizeof(dir), e)) || (r = rundir_path(dir, RUNDIR_NBD, sock, sizeof(sock), e)))
		return r;
	if (encode(export, es, sizeof(es)) || encode(sock, ss, sizeof(ss)) ||
	    (size_t)snprintf(out, size, "nbd+unix:///%s?socket=%s", es, ss) >= size)
		return err_set(e, -ENAMETOOLONG, "export %s: name too long", export);
	return 0;
}

int dev_open_spec(const char *spec, const char *run_dir, unsigned flags, struct dev **out, struct err *e)
{
	char uri[8192];
	const char *name;
	int r;

	if (dev_is_nbd_uri(spec))
		return dev_open_nbd(spec, flags, out, e);
	if (dev_spec_mapped(spec, &name)) {
		if ((r = dev_export_uri(run_dir, name, uri, sizeof(uri), e)))
			return r;
		if ((r = dev_open_nbd(uri, flags, out, e)))
			return err_set(e, r, "%s: not a device of the running ulvmd", spec);
		return 0;
	}
	if ((r = dev_open_file(spec, flags, out)))
		return err_set(e, r, "%s: %s", spec, strerror(-r));
	return 0;
}
