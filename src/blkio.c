/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "blkio.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "device.h"
#include "util.h"

static ssize_t libc_pread(int fd, void *buf, size_t len, off_t off, void *data)
{
	(void)data;
	return pread(fd, buf, len, off);
}

static ssize_t libc_pwrite(int fd, const void *buf, size_t len, off_t off, void *data)
{
	(void)data;
	return pwrite(fd, buf, len, off);
}

static int libc_fdatasync(int fd, void *data)
{
	(void)data;
	return fdatasync(fd);
}

static int libc_ioctl(int fd, unsigned long req, void *arg, void *data)
{
	(void)data;
	return ioctl(fd, req, arg);
}

static int libc_fstat(int fd, struct stat *st, void *data)
{
	(void)data;
	return fstat(fd, st);
}

static int libc_fadvise(int fd, off_t off, off_t len, int advice, void *data)
{
	int rc;

	(void)data;
	rc = posix_fadvise(fd, off, len, advice);
	if (rc) {
		errno = rc;
		return -1;
	}
	return 0;
}

const struct blkio_ops blkio_libc_ops = {
	.pread = libc_pread,
	.pwrite = libc_pwrite,
	.fdatasync = libc_fdatasync,
	.ioctl = libc_ioctl,
	.fstat = libc_fstat,
	.fadvise = libc_fadvise,
};

/* The table member, or libc's when the table leaves it NULL. */
#define OP(io, name) ((io)->ops && (io)->ops->name ? (io)->ops->name : blkio_libc_ops.name)
#define OPDATA(io) ((io)->ops ? (io)->ops->data : NULL)

void *blkio_alloc(size_t len)
{
	void *p = NULL;

	if (posix_memalign(&p, BLKIO_ALIGN, len ? len : BLKIO_ALIGN))
		return NULL;
	return p;
}

/* Open the target for I/O.  Through the anchor (a descriptor of what the
 * guard checked) when there is one: /proc/self/fd/N reopens that very
 * inode, whatever its name points at now. */
static int open_fd(struct blkio *io, bool direct)
{
	int flags = O_CLOEXEC | ((io->flags & BLKIO_WRITE) ? O_RDWR : O_RDONLY);
	char self[64];

	/* Exclusive open: the kernel refuses it while the device is mounted
	 * or held by md/dm, and refuses mounts while we hold it. */
	if (io->is_block && (io->flags & BLKIO_WRITE))
		flags |= O_EXCL;
	if (direct)
		flags |= O_DIRECT;
	snprintf(self, sizeof(self), "/proc/self/fd/%d", io->fd_anchor);
	return open(self, flags);
}

static void close_quiet(int fd)
{
	if (fd >= 0 && util_close(fd) < 0)
		util_debug("blkio: close: %s", strerror(errno));
}

/* Resolve the path once and hold what it names (O_PATH, O_NOFOLLOW). */
static int anchor_path(struct blkio *io, char **cause)
{
	char real[PATH_MAX];

	if (!realpath(io->path, real))
		return util_fail(cause, -errno, "%s: %s", io->path, strerror(errno));
	io->fd_anchor = open(real, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (io->fd_anchor < 0 && errno == ELOOP)
		return util_fail(cause, -EAGAIN, _("%s: became a symbolic link while being opened"),
				 io->path);
	if (io->fd_anchor < 0)
		return util_fail(cause, -errno, "%s: %s", io->path, strerror(errno));
	return 0;
}

/* A writer runs every guard on the anchor, the descriptor every open goes
 * through.  Injected ops (tests) change the I/O, never what is opened. */
static int anchor(struct blkio *io, char **cause)
{
	char self[64];
	struct stat st;
	int rc;

	if (fstat(io->fd_anchor, &st) < 0)
		return util_fail(cause, -errno, _("%s: fstat: %s"), io->path, strerror(errno));
	io->is_block = S_ISBLK(st.st_mode);
	/* O_PATH|O_NOFOLLOW opens a link itself: the resolved name was
	 * replaced by one after realpath() */
	if (S_ISLNK(st.st_mode))
		return util_fail(cause, -EAGAIN, _("%s: became a symbolic link while being opened"),
				 io->path);
	if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode))
		return util_fail(cause, -ENOTBLK, _("%s: neither a block device nor a file"),
				 io->path);
	if (!(io->flags & BLKIO_WRITE))
		return 0;
	rc = device_guard_fd(io->fd_anchor, io->path, cause);
	if (rc < 0 || io->is_block)
		return rc;
	/* An image file: locked for the whole job (flock on a read-only
	 * descriptor, so a loser never holds the file open for writing). */
	snprintf(self, sizeof(self), "/proc/self/fd/%d", io->fd_anchor);
	io->fd_lock = open(self, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (io->fd_lock < 0)
		return util_fail(cause, -errno, "%s: %s", io->path, strerror(errno));
	return device_lock_file(io->fd_lock, -1, io->path, cause);
}

/* The descriptor opened for I/O is the anchored file: same inode. */
static int same_target(struct blkio *io, char **cause)
{
	struct stat a, b;

	if (io->fd_anchor < 0)
		return 0;
	if (fstat(io->fd_anchor, &a) < 0 || fstat(io->fd, &b) < 0)
		return util_fail(cause, -errno, _("%s: fstat: %s"), io->path, strerror(errno));
	if (a.st_dev != b.st_dev || a.st_ino != b.st_ino || a.st_rdev != b.st_rdev)
		return util_fail(cause, -EAGAIN, _("%s: changed while being opened"), io->path);
	if (io->fd_lock < 0)
		return 0;
	return device_lock_file(io->fd_lock, io->fd, io->path, cause);
}

static int probe_size(struct blkio *io, char **cause)
{
	struct stat st;
	int ssz = 0;

	if (OP(io, fstat)(io->fd, &st, OPDATA(io)) < 0)
		return util_fail(cause, -errno, _("%s: fstat: %s"), io->path, strerror(errno));
	io->is_block = S_ISBLK(st.st_mode);
	io->sector_size = 512;
	if (!io->is_block) {
		if (!S_ISREG(st.st_mode))
			return util_fail(cause, -ENOTBLK, _("%s: neither a block device nor a file"),
					 io->path);
		io->size = (uint64_t)st.st_size;
		return 0;
	}
	if (OP(io, ioctl)(io->fd, BLKGETSIZE64, &io->size, OPDATA(io)) < 0)
		return util_fail(cause, -errno, _("%s: BLKGETSIZE64: %s"), io->path, strerror(errno));
	if (OP(io, ioctl)(io->fd, BLKSSZGET, &ssz, OPDATA(io)) < 0)
		return util_fail(cause, -errno, _("%s: BLKSSZGET: %s"), io->path, strerror(errno));
	if (ssz < 512 || ssz > (int)BLKIO_ALIGN || (ssz & (ssz - 1)))
		return util_fail(cause, -EINVAL, _("%s: unsupported logical sector size %d"),
				 io->path, ssz);
	io->sector_size = (uint32_t)ssz;
	return 0;
}

int blkio_refresh_size(struct blkio *io, char **cause)
{
	return probe_size(io, cause);
}

static void detect_tmpfs(struct blkio *io)
{
	struct statfs sfs;

	/* Only meaningful for real files; injected targets stay "not tmpfs". */
	if (!io->is_block && !io->ops && fstatfs(io->fd, &sfs) == 0)
		io->tmpfs = sfs.f_type == TMPFS_MAGIC;
}

/* Open @path, or the target @anchor_fd holds when it is not -1 (dup'ed). */
static int open_common(struct blkio *io, const char *path, int anchor_fd, unsigned flags,
		       const struct blkio_ops *ops, char **cause)
{
	int rc;

	memset(io, 0, sizeof(*io));
	pthread_mutex_init(&io->lock, NULL);
	io->fd = io->fd_buffered = io->fd_anchor = io->fd_lock = -1;
	io->flags = flags;
	io->ops = ops;
	if (util_strlcpy(io->path, path, sizeof(io->path)) >= sizeof(io->path))
		return util_fail(cause, -ENAMETOOLONG, _("%s: path too long"), path);
	if (anchor_fd >= 0) {
		io->fd_anchor = fcntl(anchor_fd, F_DUPFD_CLOEXEC, 3);
		rc = io->fd_anchor < 0 ? util_fail(cause, -errno, "%s: %s", path, strerror(errno))
				       : 0;
	} else {
		rc = anchor_path(io, cause);
	}
	if (rc == 0)
		rc = anchor(io, cause);
	if (rc < 0) {
		blkio_close(io);
		return rc;
	}
	io->direct = !(flags & BLKIO_NO_DIRECT);
	io->fd = open_fd(io, io->direct);
	if (io->fd < 0 && io->direct && errno == EINVAL) {
		/* tmpfs and a few others refuse O_DIRECT: buffered, recorded. */
		io->direct = false;
		io->fd = open_fd(io, false);
	}
	if (io->fd < 0) {
		rc = -errno;
		blkio_close(io);
		if (rc == -EBUSY)
			return util_fail(cause, rc, _("%s: in use (cannot open exclusively)"), path);
		return util_fail(cause, rc, "%s: %s", path, strerror(-rc));
	}
	rc = same_target(io, cause);
	if (rc == 0)
		rc = probe_size(io, cause);
	if (rc < 0) {
		blkio_close(io);
		return rc;
	}
	detect_tmpfs(io);
	return 0;
}

int blkio_open(struct blkio *io, const char *path, unsigned flags, const struct blkio_ops *ops,
	       char **cause)
{
	return open_common(io, path, -1, flags, ops, cause);
}

/* The target opened is the medium @dev describes: a file the same inode; a
 * disk the same device number and medium, asked on the descriptor opened
 * for I/O (device_check_medium: its disk sequence number). */
static int same_medium(struct blkio *io, const struct device_info *dev, char **cause)
{
	struct stat st;

	if (dev->transport != DEVICE_TRANSPORT_FILE)
		return device_check_medium(io->fd, dev, cause);
	if (!dev->ident_dev && !dev->ident_ino)
		return 0;
	if (fstat(io->fd_anchor, &st) < 0)
		return util_fail(cause, -errno, _("%s: fstat: %s"), dev->path, strerror(errno));
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_dev != dev->ident_dev ||
	    (uint64_t)st.st_ino != dev->ident_ino)
		return util_fail(cause, -EAGAIN, _("%s: refused: the path now leads to another "
				 "file or device than the one checked and confirmed"), dev->path);
	return 0;
}

static int open_device(struct blkio *io, const struct device_info *dev, int anchor_fd,
		       unsigned flags, const struct blkio_ops *ops, char **cause)
{
	int rc = open_common(io, dev->path, anchor_fd, flags, ops, cause);

	if (rc == 0)
		rc = same_medium(io, dev, cause);
	if (rc < 0 && io->fd_anchor >= 0)
		blkio_close(io);
	return rc;
}

int blkio_open_device(struct blkio *io, const struct device_info *dev, unsigned flags,
		      const struct blkio_ops *ops, char **cause)
{
	return open_device(io, dev, -1, flags, ops, cause);
}

int blkio_open_anchored(struct blkio *io, const struct device_info *dev, int anchor_fd,
			unsigned flags, const struct blkio_ops *ops, char **cause)
{
	return open_device(io, dev, anchor_fd, flags, ops, cause);
}

int blkio_close(struct blkio *io)
{
	int rc = 0;

	if (io->fd_buffered >= 0 && util_close(io->fd_buffered) < 0)
		rc = -errno;
	if (io->fd >= 0 && util_close(io->fd) < 0)
		rc = -errno;
	close_quiet(io->fd_lock);	/* releases the locks */
	close_quiet(io->fd_anchor);
	io->fd = io->fd_buffered = io->fd_anchor = io->fd_lock = -1;
	pthread_mutex_destroy(&io->lock);
	return rc;
}

/* The buffered descriptor, for transfers O_DIRECT refuses (an unaligned
 * file tail); opened on first use.  Returns it or a negative errno. */
static int buffered_fd(struct blkio *io)
{
	int fd;

	if (!io->direct)
		return io->fd;
	pthread_mutex_lock(&io->lock);
	if (io->fd_buffered < 0)
		io->fd_buffered = open_fd(io, false);
	fd = io->fd_buffered < 0 ? -errno : io->fd_buffered;
	pthread_mutex_unlock(&io->lock);
	return fd;
}

/* Move all @len bytes at @off: a write from @src or, when @src is NULL, a
 * read into @dst (a NULL never leads to a write).  Interrupted calls are
 * retried; more than three calls in a row that move nothing give -EIO (on
 * a read: the medium ended before the expected size, it shrank). */
static int transfer_all(struct blkio *io, int fd, const uint8_t *src, uint8_t *dst, size_t len,
			uint64_t off)
{
	unsigned stalls = 0;
	size_t done = 0;

	while (len) {
		ssize_t n = src ? OP(io, pwrite)(fd, src + done, len, (off_t)off, OPDATA(io)) :
				  OP(io, pread)(fd, dst + done, len, (off_t)off, OPDATA(io));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0) {
			if (++stalls > 3)
				return -EIO;
			continue;
		}
		stalls = 0;
		done += (size_t)n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int write_all(struct blkio *io, int fd, const uint8_t *buf, size_t len, uint64_t off)
{
	return transfer_all(io, fd, buf, NULL, len, off);
}

static int read_all(struct blkio *io, int fd, uint8_t *buf, size_t len, uint64_t off)
{
	return transfer_all(io, fd, NULL, buf, len, off);
}

/* The part of a transfer O_DIRECT refused that it can take after all:
 * whole BLKIO_ALIGN units from an aligned offset, all but a file's
 * unaligned tail.  0 when that is nothing or everything. */
static size_t direct_head(uint64_t off, size_t len)
{
	size_t head = off % BLKIO_ALIGN ? 0 : len - len % BLKIO_ALIGN;

	return head < len ? head : 0;
}

int blkio_pwrite(struct blkio *io, const void *buf, size_t len, uint64_t off)
{
	int rc = write_all(io, io->fd, buf, len, off);
	size_t head;
	int fd;

	if (rc != -EINVAL || !io->direct)
		return rc;
	/* O_DIRECT refused this transfer (an unaligned file tail): the
	 * aligned part direct, the rest buffered (all of it if O_DIRECT
	 * refuses that part too); blkio_sync() covers both descriptors. */
	head = direct_head(off, len);
	rc = head ? write_all(io, io->fd, buf, head, off) : -EINVAL;
	if (rc == 0) {
		buf = (const uint8_t *)buf + head;
		len -= head;
		off += head;
	} else if (rc != -EINVAL) {
		return rc;
	}
	fd = buffered_fd(io);
	return fd < 0 ? fd : write_all(io, fd, buf, len, off);
}

/* Read counters: a reader thread and the engine's thread both read. */
static void count(uint64_t *counter, size_t len)
{
	__atomic_fetch_add(counter, (uint64_t)len, __ATOMIC_RELAXED);
}

/* A buffered read that cannot be served from cache: write back and drop
 * the range first. */
static int read_uncached(struct blkio *io, void *buf, size_t len, uint64_t off)
{
	int fd = buffered_fd(io);
	int rc;

	if (fd < 0)
		return fd;
	if (OP(io, fdatasync)(fd, OPDATA(io)) < 0)
		return -errno;
	if (OP(io, fadvise)(fd, (off_t)off, (off_t)len, POSIX_FADV_DONTNEED, OPDATA(io)) < 0)
		return -errno;
	rc = read_all(io, fd, buf, len, off);
	if (rc == 0)
		count(&io->bytes_read_buffered, len);
	return rc;
}

int blkio_pread(struct blkio *io, void *buf, size_t len, uint64_t off)
{
	size_t head;
	int rc;

	if (!io->direct) {
		/* The whole target was dropped by blkio_drop_cache() before
		 * the verification; reads populate the cache from the medium. */
		rc = read_all(io, io->fd, buf, len, off);
		if (rc == 0)
			count(&io->bytes_read_buffered, len);
		return rc;
	}
	rc = read_all(io, io->fd, buf, len, off);
	if (rc == 0)
		count(&io->bytes_read_direct, len);
	if (rc != -EINVAL)
		return rc;
	/* As blkio_pwrite(): only the unaligned tail is read buffered. */
	head = direct_head(off, len);
	rc = head ? read_all(io, io->fd, buf, head, off) : -EINVAL;
	if (rc == 0) {
		count(&io->bytes_read_direct, head);
		return read_uncached(io, (uint8_t *)buf + head, len - head, off + head);
	}
	return rc == -EINVAL ? read_uncached(io, buf, len, off) : rc;
}

int blkio_sync(struct blkio *io)
{
	if (OP(io, fdatasync)(io->fd, OPDATA(io)) < 0)
		return -errno;
	if (io->fd_buffered >= 0 && OP(io, fdatasync)(io->fd_buffered, OPDATA(io)) < 0)
		return -errno;
	return 0;
}

int blkio_drop_cache(struct blkio *io)
{
	int rc = blkio_sync(io);

	if (rc < 0 || io->direct)
		return rc;
	if (OP(io, fadvise)(io->fd, 0, 0, POSIX_FADV_DONTNEED, OPDATA(io)) < 0)
		return -errno;
	if (io->is_block && OP(io, ioctl)(io->fd, BLKFLSBUF, NULL, OPDATA(io)) < 0)
		return -errno;
	return 0;
}

int blkio_present(struct blkio *io)
{
	uint64_t size = 0;
	struct stat st;

	if (!io->is_block)
		return OP(io, fstat)(io->fd, &st, OPDATA(io)) < 0 ? -ENODEV : 0;
	if (OP(io, ioctl)(io->fd, BLKGETSIZE64, &size, OPDATA(io)) < 0)
		return errno == ENODEV || errno == ENXIO ? -ENODEV : 0;
	/* A removed disk often stays open with its capacity set to zero. */
	return size == 0 ? -ENODEV : 0;
}

void blkio_read_path(const struct blkio *io, char *buf, size_t len)
{
	const char *buffered = io->is_block ?
		"buffered+fdatasync+POSIX_FADV_DONTNEED+BLKFLSBUF" :
		io->tmpfs ? "buffered+fdatasync+POSIX_FADV_DONTNEED (tmpfs: memory is the medium)" :
		"buffered+fdatasync+POSIX_FADV_DONTNEED";

	if (!io->bytes_read_buffered)
		snprintf(buf, len, "%s", io->direct ? "direct" : buffered);
	else if (!io->bytes_read_direct)
		snprintf(buf, len, "%s", buffered);
	else
		snprintf(buf, len, "direct+buffered-tail (%llu bytes %s)",
			 (unsigned long long)io->bytes_read_buffered, buffered);
}
