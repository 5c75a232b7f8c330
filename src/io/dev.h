/* struct dev: anything with a size that can be read and written.
 *
 * Offsets and lengths are in bytes.  Every op returns 0 or -errno, reads
 * and writes transfer the whole range or fail.  Ops must be safe to call
 * from many threads at once (the NBD server runs a pool of workers).
 *
 * Callers use the dev_*() wrappers, never the ops directly: the wrappers
 * hold the invariants once (range, read-only) and emulate what a backend
 * leaves NULL (write_zeroes writes zero buffers, FUA becomes a flush,
 * discard is a no-op, extents reports one data extent).
 */
#ifndef ULVM_IO_DEV_H
#define ULVM_IO_DEV_H

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dev;
struct dev_direct;
struct dev_direct_hold;
struct err;

/* write / write_zeroes flags */
#define DEV_FUA       (1u << 0) /* durable before the call returns */
#define DEV_NO_HOLE   (1u << 1) /* write_zeroes: allocate, do not punch */
#define DEV_FAST_ZERO (1u << 2) /* write_zeroes: fail -ENOTSUP rather than write slowly */

/* extent flags (the values of NBD base:allocation) */
#define DEV_EXT_HOLE (1u << 0) /* not allocated */
#define DEV_EXT_ZERO (1u << 1) /* reads as zeroes */

/* Called for consecutive extents in order.  Return 0 to go on, >0 to stop
 * early (enough was reported), <0 to abort with that error. */
typedef int (*dev_extent_fn)(void *opaque, uint64_t off, uint64_t len, uint32_t flags);

struct dev_ops {
	int (*read)(struct dev *d, void *buf, size_t len, uint64_t off);
	int (*write)(struct dev *d, const void *buf, size_t len, uint64_t off, unsigned flags);
	int (*flush)(struct dev *d);
	int (*discard)(struct dev *d, uint64_t off, uint64_t len);
	int (*write_zeroes)(struct dev *d, uint64_t off, uint64_t len, unsigned flags);
	/* Report extents covering [off, off+len) (may stop early). */
	int (*extents)(struct dev *d, uint64_t off, uint64_t len, dev_extent_fn fn, void *opaque);
	/* Re-read the size (a file or block device grown or shrunk by
	 * someone else); optional. */
	int (*refresh)(struct dev *d);
	/* Forget what is cached of [off, off+len), so the next read comes
	 * from the device (another process wrote it with O_DIRECT); optional. */
	void (*drop_cache)(struct dev *d, uint64_t off, uint64_t len);
	/* Asynchronous direct I/O (optional; see dev_direct_begin): where
	 * [off, off+len) of @buf lies on an O_DIRECT file descriptor.  Fill
	 * @io->fd and @io->off, or go one level down with dev_direct, and
	 * push one hold (dev_direct_push) for what must stay held while the
	 * transfer runs.  -ENOTSUP or -EAGAIN: use read / write instead. */
	int (*direct)(struct dev *d, void *buf, size_t len, uint64_t off, struct dev_direct *io);
	/* The transfer of @io ended with @r (0 or -errno): release the hold
	 * @h that direct pushed. */
	void (*direct_end)(struct dev *d, const struct dev_direct *io, const struct dev_direct_hold *h,
			   int r);
	/* Release the backend; called when the last reference goes. */
	void (*destroy)(struct dev *d);
};

struct dev {
	const struct dev_ops *ops;
	char *name;           /* path or mapped-device name, for messages */
	uint64_t size;        /* bytes; may change (a mapped device is reloaded) */
	uint32_t block_size;  /* logical block size, bytes (512 or 4096) */
	bool read_only;
	bool can_discard;     /* discard frees space (punch hole / BLKDISCARD) */
	atomic_uint refs;
};

/* Claims: which byte ranges of a file or block device a process maps, as
 * open-file-description read locks (F_OFD_SETLK) that any other process
 * can test, the userspace stand-in for the kernel's bd_claim and for dm's
 * "device in use".  A claim lives on its own open description, so closing
 * its fd drops exactly its ranges.  Devices that are not files or block
 * devices (memory, NBD, mapped devices) cannot be claimed: -ENOTSUP. */
int dev_claim_open(const struct dev *d);
int dev_claim_range(int fd, uint64_t off, uint64_t len);
/* 1 when another process claims a byte of [off, off+len) of @path, 0 when
 * none does, or -errno. */
int dev_path_claimed(const char *path, uint64_t off, uint64_t len);

/* Lifetime: a dev starts with one reference. */
void dev_init(struct dev *d, const struct dev_ops *ops, const char *name, uint64_t size);
struct dev *dev_get(struct dev *d);
void dev_put(struct dev *d);

int dev_read(struct dev *d, void *buf, size_t len, uint64_t off);
int dev_write(struct dev *d, const void *buf, size_t len, uint64_t off, unsigned flags);
int dev_flush(struct dev *d);
/* Pick up a size change of the backing file or device. */
int dev_refresh(struct dev *d);
void dev_drop_cache(struct dev *d, uint64_t off, uint64_t len);
int dev_discard(struct dev *d, uint64_t off, uint64_t len);
int dev_write_zeroes(struct dev *d, uint64_t off, uint64_t len, unsigned flags);
int dev_extents(struct dev *d, uint64_t off, uint64_t len, dev_extent_fn fn, void *opaque);
/* Asynchronous direct I/O, as device-mapper remaps a bio: a caller with
 * its own ring (the NBD server with --cache=none) asks where a READ or
 * WRITE of [off, off+len) lies.  When the whole range goes, unchanged, to
 * one O_DIRECT file (linear maps, a stripe's chunk, down to the file),
 * dev_direct_begin returns 0 with the fd and its offset, and every device
 * on the way holds what the transfer needs (a mapped device its table, in
 * flight, so a suspend waits for it; a file its share of the lock that
 * keeps unaligned writes apart) until dev_direct_end, which the caller
 * calls with the transfer's result once it is done, on the thread that
 * began it (holds may be read locks).  A short transfer is
 * the caller's to redo with dev_read / dev_write.  Anything else (a target
 * that does its own I/O, a suspended device, a buffered file, an
 * unaligned buffer) returns -ENOTSUP or -EAGAIN, and nothing is held: use
 * dev_read / dev_write.  Never blocks.
 * With DEV_DIRECT_SPLICE the caller moves the bytes through the fd with
 * splice(2) (no buffer of its own: @buf is NULL): then it is the other
 * way round, only a buffered file answers, for reads and writes alike
 * (the page cache is what splice moves; an O_DIRECT file would want
 * aligned pipe pages). */
#define DEV_DIRECT_DEPTH 8
#define DEV_DIRECT_WRITE  1u
#define DEV_DIRECT_SPLICE 2u
/* A FUA write: the caller makes the transfer durable (RWF_DSYNC); a
 * device whose FUA needs more than that (a thin pool's uncommitted
 * mappings) says no. */
#define DEV_DIRECT_FUA    4u
struct dev_direct {
	int fd;           /* where the transfer goes */
	uint64_t off;
	size_t len;
	bool write;
	bool splice;      /* DEV_DIRECT_SPLICE */
	bool fua;         /* DEV_DIRECT_FUA */
	unsigned n;       /* holds taken, the outermost device first */
	struct dev_direct_hold {
		struct dev *dev;
		uint64_t start; /* the device's own: a time, a flag */
		void *arg;      /* the device's own, NULL unless it sets it */
	} hold[DEV_DIRECT_DEPTH];
};
/* @how: DEV_DIRECT_WRITE, DEV_DIRECT_SPLICE, DEV_DIRECT_FUA (0: an O_DIRECT read). */
int dev_direct_begin(struct dev *d, void *buf, size_t len, uint64_t off, unsigned how,
		     struct dev_direct *io);
void dev_direct_end(struct dev_direct *io, int r);
/* Let go without a transfer (the caller asked, then did it another way):
 * the holds are dropped and nothing is counted.  Each direct_end gets
 * DEV_DIRECT_CANCELED as its result. */
#define DEV_DIRECT_CANCELED (-ECANCELED)
void dev_direct_cancel(struct dev_direct *io);
/* For backends: one level down (checks the range, as dev_read), and
 * the hold of @d, whose direct_end gets it back (@start, arg NULL). */
int dev_direct(struct dev *d, void *buf, size_t len, uint64_t off, struct dev_direct *io);
struct dev_direct_hold *dev_direct_push(struct dev_direct *io, struct dev *d, uint64_t start);

/* For backends: write_zeroes done with ordinary writes of zero buffers. */
int dev_write_zero_buffers(struct dev *d, uint64_t off, uint64_t len, unsigned flags);

/* Backends */
#define DEV_OPEN_RDONLY (1u << 0)
#define DEV_OPEN_DIRECT (1u << 1) /* O_DIRECT, any request still served (file.c) */
/* A regular file or a block device, with the sync I/O engine. */
int dev_open_file(const char *path, unsigned flags, struct dev **out);
/* ... with I/O engine @eng (io/engine.h). */
struct io_engine;
int dev_open_file_with(const char *path, unsigned flags, const struct io_engine *eng, struct dev **out);
/* Zero-filled memory of @size bytes (unit tests). */
int dev_new_memory(uint64_t size, struct dev **out);
/* Does @s name an NBD export (nbd:, nbds:, nbd+unix:, nbds+unix:,
 * nbd+vsock:, nbds+vsock: URIs)? */
bool dev_is_nbd_uri(const char *s);
/* An NBD export, connected with libnbd.  Read-only if the server says so.
 * On failure @e says why (libnbd's message). */
int dev_open_nbd(const char *uri, unsigned flags, struct dev **out, struct err *e);

/* Devices as a user names them (io/dev_spec.c): a file or block device,
 * an NBD URI, or /dev/mapper/NAME, a device of the ulvmd of @run_dir
 * (NULL: the default run directory) reached through its export NAME. */
int dev_open_spec(const char *spec, const char *run_dir, unsigned flags, struct dev **out, struct err *e);
/* Is @spec /dev/mapper/NAME with no such node on this system (*@name:
 * NAME)?  Tables name ulvmd's devices so. */
bool dev_spec_mapped(const char *spec, const char **name);
/* The URI of ulvmd's export @export (its NBD socket in @run_dir). */
int dev_export_uri(const char *run_dir, const char *export, char *out, size_t size, struct err *e);

#endif
