/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_BLKIO_H
#define CUSTOS_BLKIO_H

/*
 * blkio: the only place that opens, reads, writes, syncs and ioctls a
 * wipe target.  Block devices are opened exclusively (O_EXCL) and with
 * O_DIRECT; targets that refuse O_DIRECT (tmpfs files) fall back to
 * buffered I/O, and the read path used is recorded so a verification can
 * say honestly whether it could have read cached data.
 *
 * The I/O calls go through an ops table so tests can inject short writes,
 * EIO at chosen offsets and device removal (ENODEV).  The ops behave like
 * the libc calls: -1 with errno set on failure.  Opening and closing are
 * not in the table: whatever a test injects, the target is anchored,
 * guarded and opened through its anchor like any other.
 */

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

struct blkio_ops {
	ssize_t (*pread)(int fd, void *buf, size_t len, off_t off, void *data);
	ssize_t (*pwrite)(int fd, const void *buf, size_t len, off_t off, void *data);
	int (*fdatasync)(int fd, void *data);
	int (*ioctl)(int fd, unsigned long req, void *arg, void *data);
	int (*fstat)(int fd, struct stat *st, void *data);
	int (*fadvise)(int fd, off_t off, off_t len, int advice, void *data);
	void *data;
};

/* The libc implementation (also used for any NULL member of a table). */
extern const struct blkio_ops blkio_libc_ops;

enum blkio_flags {
	BLKIO_WRITE = 1u << 0,		/* open read-write (else read-only) */
	BLKIO_NO_DIRECT = 1u << 1,	/* do not try O_DIRECT */
};

/* Buffer alignment for every I/O buffer (>= the logical sector size). */
#define BLKIO_ALIGN 4096u

struct blkio {
	int fd;			/* O_DIRECT when @direct */
	int fd_buffered;	/* lazily opened buffered fd, for I/O O_DIRECT refuses; -1 */
	int fd_anchor;		/* O_PATH fd of the guarded target, every open goes through it */
	int fd_lock;		/* image file: read-only fd holding the flock for the job */
	pthread_mutex_t lock;	/* guards the lazy open of @fd_buffered (reader threads) */
	char path[PATH_MAX];
	unsigned flags;
	bool is_block;
	bool direct;		/* @fd was opened with O_DIRECT */
	bool tmpfs;		/* a file on tmpfs: the page cache is the medium */
	uint64_t size;
	uint32_t sector_size;	/* logical sector size (512 for files) */
	uint64_t bytes_read_direct;
	uint64_t bytes_read_buffered;
	const struct blkio_ops *ops;
};

/* Open @path for wiping (@flags: enum blkio_flags).  @ops may be NULL.
 * The path is resolved once and opened O_PATH|O_NOFOLLOW; every later
 * open reopens that inode through /proc/self/fd.  With BLKIO_WRITE the
 * guard runs on that descriptor (device_guard_fd: -EPERM, refused) and an
 * image file is locked for as long as it stays open (device_lock_file:
 * -EBUSY naming the holder). */
int blkio_open(struct blkio *io, const char *path, unsigned flags, const struct blkio_ops *ops,
	       char **cause);

/* blkio_open() of the medium @dev describes (device_probe), refused with
 * -EAGAIN when its path now leads to another file or device than the one
 * that was described and confirmed: a file must be the same inode, a disk
 * the same device number and the same medium (device_check_medium, on the
 * descriptor opened for I/O: a disk swapped or a loop device re-attached
 * under the same name is refused). */
struct device_info;
int blkio_open_device(struct blkio *io, const struct device_info *dev, unsigned flags,
		      const struct blkio_ops *ops, char **cause);
/* The same for a disk already anchored (device_anchor): @anchor_fd is
 * duplicated, the name is not resolved again. */
int blkio_open_anchored(struct blkio *io, const struct device_info *dev, int anchor_fd,
			unsigned flags, const struct blkio_ops *ops, char **cause);
int blkio_close(struct blkio *io);

/* Whole-length I/O at @off: retries EINTR and short transfers.  Returns 0
 * or a negative errno; -EIO also for a transfer that makes no progress. */
/* Read the open target's size again (after its hidden areas were restored). */
int blkio_refresh_size(struct blkio *io, char **cause);
int blkio_pwrite(struct blkio *io, const void *buf, size_t len, uint64_t off);
int blkio_pread(struct blkio *io, void *buf, size_t len, uint64_t off);
int blkio_sync(struct blkio *io);

/* Prepare for reads that must come from the medium: sync, then (for a
 * target without O_DIRECT) drop its cached pages (POSIX_FADV_DONTNEED,
 * and BLKFLSBUF on block devices). */
int blkio_drop_cache(struct blkio *io);

/* Is the target still there?  0, or -ENODEV when it has vanished. */
int blkio_present(struct blkio *io);

/* Describe how reads reached the medium so far: "direct",
 * "buffered+fdatasync+POSIX_FADV_DONTNEED[+BLKFLSBUF]", or
 * "direct+buffered-tail (N bytes buffered+...)" for a file whose unaligned
 * tail O_DIRECT refused (only that tail is read buffered). */
void blkio_read_path(const struct blkio *io, char *buf, size_t len);

/* posix_memalign(BLKIO_ALIGN) buffer, or NULL. */
void *blkio_alloc(size_t len);

/* Is @err a sign the device is gone (ENODEV, ENXIO)? */
static inline bool blkio_err_is_removal(int err)
{
	return err == -ENODEV || err == -ENXIO;
}

#endif
