/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_DEVICE_H
#define CUSTOS_DEVICE_H

/*
 * device: discovery, identity and safety facts of storage media.
 *
 * Whole disks come from libudev, or from sysfs when no udev database
 * exists (containers).  Virtual media are regular image files, either
 * named explicitly or found in a station's virtual media directory.
 * The safety facts computed here are the guards every writer obeys:
 * a medium is eligible for wiping only when no reason applies.
 */

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

enum device_transport {
	DEVICE_TRANSPORT_UNKNOWN = 0,
	DEVICE_TRANSPORT_SATA,		/* ATA behind libata (sata/pata/ahci) */
	DEVICE_TRANSPORT_SAS,		/* SCSI/SAS */
	DEVICE_TRANSPORT_USB,
	DEVICE_TRANSPORT_NVME,
	DEVICE_TRANSPORT_MMC,
	DEVICE_TRANSPORT_VIRTUAL,	/* loop, ram, virtio, other virtual block devices */
	DEVICE_TRANSPORT_FILE,		/* a regular image file */
};

/* Why a medium may not be written.  Bits, so a device lists every reason. */
enum device_reason {
	DEVICE_REASON_MOUNTED = 1u << 0,	/* it or a partition is mounted */
	DEVICE_REASON_SWAP = 1u << 1,		/* it or a partition is active swap */
	DEVICE_REASON_HELD = 1u << 2,		/* holders: md, dm/LVM, a loop on it */
	DEVICE_REASON_SYSTEM = 1u << 3,		/* the running system or its boot medium */
	DEVICE_REASON_READONLY = 1u << 4,	/* read-only device or file */
	DEVICE_REASON_IN_USE = 1u << 5,		/* open exclusively by someone else */
	DEVICE_REASON_NO_MEDIUM = 1u << 6,	/* size 0: empty card reader, no medium */
	DEVICE_REASON_BACKING = 1u << 7,	/* a regular file backing a loop device */
	DEVICE_REASON_NOT_MEDIUM = 1u << 8,	/* a regular file outside the virtual-media dirs */
	DEVICE_REASON_UNSAFE = 1u << 9,		/* others could have placed or swapped it */
	DEVICE_REASON_PARTITION = 1u << 10,	/* a partition, not a whole disk */
};

struct device_smart {
	bool available;			/* SMART read succeeded */
	char source[16];		/* "libatasmart" or "sg_io" (custos's own ATA path) */
	char unavailable[192];		/* why not, when it was tried and failed */
	bool good;			/* overall status good */
	char overall[32];		/* libatasmart overall verdict, e.g. "GOOD" */
	uint64_t power_on_hours;	/* UINT64_MAX when unknown */
	uint64_t reallocated_sectors;	/* UINT64_MAX when unknown */
	double temperature_c;		/* < -273 when unknown */
};

struct device_info {
	char path[PATH_MAX];		/* /dev/sdb, /dev/loop3, or an image file */
	char name[64];			/* kernel name (sdb) or file base name */
	char vendor[64];
	char model[128];
	char serial[128];
	char wwn[64];
	char firmware_rev[32];
	char backing_file[PATH_MAX];	/* loop: the file behind it; file: its real path */
	uint64_t ident_dev;		/* what was described: a file's st_dev, a disk's */
	uint64_t ident_ino;		/* st_rdev (ino 0); both 0 when not known */
	uint64_t diskseq;		/* a disk's sequence number (Linux >= 5.15: a new
					 * one for every medium, attach, re-plug); 0 unknown */
	uint64_t size_bytes;
	uint32_t logical_sector_size;
	uint32_t physical_sector_size;
	bool rotational;
	bool removable;
	enum device_transport transport;
	unsigned reasons;		/* enum device_reason bits */
	char *reason_text[16];		/* one message per reason, e.g. "mounted on /mnt" */
	size_t n_reasons;
	struct device_smart smart;
};

/* Roots of the files discovery reads, so tests can point it at fixtures.
 * NULL restores the default ("/sys", "/proc", "/dev", "/run/udev"). */
struct device_roots {
	const char *sysfs;
	const char *proc;
	const char *dev;
	const char *udev_db;	/* udev's database directory: absent -> sysfs only */
};
void device_set_roots(const struct device_roots *roots);

/* Every whole disk, plus each regular *.img file in @virtual_dir (may be
 * NULL or missing).  Not listed: device-mapper and md devices (they are
 * holders, reported on their disks), optical and floppy drives, nbd, and
 * loop devices with nothing attached.  A disk that vanishes meanwhile is
 * left out.  Listing never opens the disks for the IN_USE check (polling
 * must not disturb other tools); SMART is read for SATA disks only
 * (libatasmart, else SMART RETURN STATUS and READ DATA through SG_IO), and
 * never wakes a sleeping disk.
 * *@out is an array of *@n devices; free with device_list_free(). */
int device_list(const char *virtual_dir, struct device_info **out, size_t *n, char **cause);
void device_list_free(struct device_info *devs, size_t n);

/* Describe one block device or image file named by @path.  The path is
 * resolved once and opened (O_PATH, O_NOFOLLOW); every fact is taken from
 * that descriptor.  For a block device this also tries an exclusive open:
 * EBUSY with no other reason found adds DEVICE_REASON_IN_USE.  A partition
 * is described with DEVICE_REASON_PARTITION (and no identity).  A regular
 * file gets the reasons of device_check_file().  Errors:
 * -ENOENT (no such path), -ENOTBLK (neither a block device nor a regular
 * file), -ENODEV (vanished while being described); *@cause names the
 * device.  Free with device_info_clear(). */
int device_probe(const char *path, struct device_info *out, char **cause);

/*
 * Which regular files are virtual media.  A regular file may be wiped only
 * when it lies inside @state_dir/virtual or inside one of the @n directories
 * in @dirs (station.conf's virtual_media_dirs), is not a file of @state_dir
 * outside virtual/, has one link, and is owned by root (or the user custos
 * runs as) unless its directory is theirs and writable by no one else.
 * Copies the strings; directories are resolved (realpath) at each check.
 * @state_dir NULL and @n 0: no file is a medium (the default).  Call
 * before any thread probes devices.
 */
int device_set_media_dirs(const char *state_dir, const char *const *dirs, size_t n);

/* Is @dir acceptable as a virtual-media directory?  0, or -EINVAL with
 * *@cause: not absolute, "/", a system directory (/etc, /usr, /boot, /var,
 * /var/lib ...) or a directory holding one, or inside /etc, /usr, /boot,
 * /proc, /sys, /dev. */
int device_media_dir_valid(const char *dir, char **cause);

/*
 * The guard every writer runs on the descriptor it is about to write
 * through (blkio_open calls it; @fd may be an O_PATH descriptor): the facts
 * are read from @fd (fstat, /proc/self/fd), never from a name.  A block
 * device must be a whole disk with no reason but IN_USE; a regular file
 * must be a virtual medium (device_set_media_dirs) with no reason.
 * 0, or -EPERM (refused: *@cause gives the reason), or a negative errno.
 */
int device_guard_fd(int fd, const char *name, char **cause);

/*
 * Exclusive use of an image file for a whole job.  @fd is a descriptor of
 * the file (any access mode); @wfd one opened for writing (for the OFD
 * lock; may equal @fd), or -1 for the flock alone.  Takes flock(LOCK_EX)
 * on @fd and an OFD write lock on @wfd, then makes sure no other process
 * has the file open for writing.  Take the flock (@wfd -1) before opening
 * for writing, so that of two custos the loser never holds the file open
 * for writing.  -EBUSY with *@cause naming the holder (pid and command) when
 * it can be found; the locks live as long as the descriptors.
 */
int device_lock_file(int fd, int wfd, const char *name, char **cause);
void device_info_clear(struct device_info *dev);

/*
 * Is the block device open at @fd (any descriptor, O_PATH too) still the
 * medium @dev describes?  Same device number (ident_dev), and the same disk
 * sequence number (ioctl BLKGETDISKSEQ on @fd, else sysfs diskseq of its
 * device number): a disk swapped or a loop device re-attached under the
 * same name has another.  When the probe saw no sequence number (an older
 * kernel), serial, WWN and size read again from sysfs must match.  0, or
 * -EAGAIN with *@cause: another medium.
 */
int device_check_medium(int fd, const struct device_info *dev, char **cause);

/*
 * Anchor the disk @dev describes: resolve its path once, open it O_PATH |
 * O_NOFOLLOW, check it is still that medium (device_check_medium) and run
 * the guard on it (device_guard_fd).  Every later open of the disk reopens
 * the anchor through /proc/self/fd, so no rename or retargeted link can
 * redirect it.  0 with the descriptor in *@fd (close it), -EAGAIN (another
 * device or medium now), -EPERM (a guard), or a negative errno.
 */
int device_anchor(const struct device_info *dev, int *fd, char **cause);

static inline bool device_is_eligible(const struct device_info *dev)
{
	return dev->reasons == 0;
}

/* Add @reason with a message to @dev (used by other guards too). */
int device_add_reason(struct device_info *dev, enum device_reason reason, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

const char *device_transport_name(enum device_transport t);	/* "sata", "usb", ... */
const char *device_reason_name(enum device_reason r);		/* "mounted", ... */

/* Media kind for the register and policy: "hdd", "ssd", "nvme",
 * "usb-flash", "sd-mmc", "virtual" (loop or file). */
const char *device_media_kind(const struct device_info *dev);

/* The device as a JSON object (the fields of `custos devices --json`):
 * path, name, vendor, model, serial, wwn (null when unknown), size_bytes,
 * logical_sector_size, physical_sector_size, rotational, transport,
 * removable, media_kind, eligible, reasons (messages), smart (object:
 * available true with overall, good, power_on_hours, reallocated_sectors,
 * temperature_c and source, or available false with the reason; null when
 * SMART is not read for this kind of medium), firmware (null; the
 * firmware module fills it), and when known firmware_rev and backing_file. */
json_t *device_to_json(const struct device_info *dev);

#endif
