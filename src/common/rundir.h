/* Where ulvmd keeps its sockets, and how ulvm finds them.
 *
 * The run directory is, first found wins: the --run-dir option, the
 * ULVM_RUN_DIR environment variable, /run/ulvm when running as root, else
 * $XDG_RUNTIME_DIR/ulvm.  It holds:
 *   control.sock   the control socket (JSON-RPC, docs/CONTROL.md), mode 0600
 *   nbd.sock       the NBD server's unix socket
 *   ulvmd.pid      the daemon's pid
 *   ulvmd.lock     flock()ed by the live daemon, so only one owns the dir
 */
#ifndef ULVM_COMMON_RUNDIR_H
#define ULVM_COMMON_RUNDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "common/log.h"

#define RUNDIR_CONTROL "control.sock"
#define RUNDIR_NBD "nbd.sock"
#define RUNDIR_PID "ulvmd.pid"
#define RUNDIR_LOCK "ulvmd.lock"
#define RUNDIR_ENV "ULVM_RUN_DIR"
#define RUNDIR_ROOT "/run/ulvm"

/* The name a daemon of @dir gives its FUSE mount (fsname; mountinfo's
 * source, "fuse.ulvmd" its type): "ulvmd-DEV-INODE" of @dir, so that
 * `lvresize -r` finds the FUSE export of its own daemon among others. */
int rundir_fuse_name(const char *dir, char *out, size_t size, struct err *e);
/* Pick the run directory (see above) into @out, made absolute. */
int rundir_resolve(const char *opt, char *out, size_t size, struct err *e);
/* @dir/@name into @out; -ENAMETOOLONG if it does not fit. */
int rundir_path(const char *dir, const char *name, char *out, size_t size, struct err *e);
/* A unix socket address for @path; -ENAMETOOLONG past sun_path. */
int rundir_sockaddr(const char *path, struct sockaddr_un *sa, socklen_t *len, struct err *e);
/* Create @dir and missing parents; the last component gets mode 0700.
 * An existing @dir must pass rundir_check. */
int rundir_mkdir(const char *dir, struct err *e);
/* As ssh-agent and tmux: @dir is a directory owned by this user (or, for
 * a client, by root), writable by no one else; otherwise another user
 * could put their own control.sock there and receive our requests.
 * -EPERM with a message naming the owner and mode. */
int rundir_check(const char *dir, bool client, struct err *e);
/* A client's check of the socket it is about to talk to: a socket owned
 * by this user or root, in a run dir that passes rundir_check. */
int rundir_check_socket(const char *dir, const char *sock, struct err *e);

#endif
