/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * device: discovery, identity and safety facts of storage media.
 *
 * Every read of /sys, /proc and /dev goes through the roots set with
 * device_set_roots(), so the unit tests describe hand-made fixture trees.
 * A scan gathers the machine-wide facts once (block devices and their
 * partitions, mounts, swaps, loop devices, the system's disks); each
 * medium is then described against it.
 */
#include "device-private.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <atasmart.h>
#include <libudev.h>

#include "ata.h"
#include "sgio.h"
#include "util.h"

static void close_fd(int fd, const char *name)
{
	if (util_close(fd) < 0)
		util_debug("%s: close: %s", name, strerror(errno));
}

/* ---- identity ---------------------------------------------------------- */

static enum device_transport transport_of(const char *name, const char *link)
{
	if (strncmp(name, "nvme", 4) == 0 || strstr(link, "/nvme"))
		return DEVICE_TRANSPORT_NVME;
	if (strncmp(name, "mmcblk", 6) == 0 || strstr(link, "/mmc"))
		return DEVICE_TRANSPORT_MMC;
	if (strstr(link, "/usb"))
		return DEVICE_TRANSPORT_USB;
	if (strstr(link, "/ata"))
		return DEVICE_TRANSPORT_SATA;
	if (strstr(link, "/virtual/") || strstr(link, "/virtio") || strstr(link, "/vbd-") ||
	    strncmp(name, "loop", 4) == 0 || strncmp(name, "ram", 3) == 0 ||
	    strncmp(name, "zram", 4) == 0 || strncmp(name, "vd", 2) == 0 ||
	    strncmp(name, "xvd", 3) == 0)
		return DEVICE_TRANSPORT_VIRTUAL;
	if (strstr(link, "/host") || strstr(link, "/end_device") || strncmp(name, "sd", 2) == 0)
		return DEVICE_TRANSPORT_SAS;
	return DEVICE_TRANSPORT_UNKNOWN;
}

/* The serial in a SCSI unit serial number VPD page (0x80). */
static void serial_from_vpd80(const char *name, char *out, size_t len)
{
	char path[PATH_MAX + 80], *data = NULL, *p;
	size_t n = 0, plen;

	device_bprintf(path, sizeof(path), "%s/block/%s/device/vpd_pg80", device_sysfs_dir(), name);
	if (util_read_file(path, &data, &n) < 0)
		return;
	if (n > 4 && (unsigned char)data[1] == 0x80) {
		plen = ((size_t)(unsigned char)data[2] << 8) | (unsigned char)data[3];
		if (plen > n - 4)
			plen = n - 4;
		data[4 + plen] = '\0';
		for (p = data + 4; *p; p++)
			if (!isprint((unsigned char)*p))
				*p = ' ';
		util_strlcpy(out, util_strstrip(data + 4), len);
	}
	free(data);
}

/* A USB disk's serial lives on the USB device, an ancestor of the SCSI disk. */
static void serial_from_usb(const char *link, char *out, size_t len)
{
	char dir[PATH_MAX + 16], buf[128], *slash;

	device_bprintf(dir, sizeof(dir), "block/%s", link);
	while ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		if (strchr(device_base_name(dir), ':') ||
		    strncmp(device_base_name(dir), "usb", 3) == 0)
			continue;
		if (device_sys_read(buf, sizeof(buf), "%s/serial", dir) == 0 && buf[0]) {
			util_strlcpy(out, buf, len);
			return;
		}
	}
}

static void wwn_from_sysfs(struct device_info *dev)
{
	char buf[128];

	if (device_sys_read(buf, sizeof(buf), "block/%s/wwid", dev->name) < 0 &&
	    device_sys_read(buf, sizeof(buf), "block/%s/device/wwid", dev->name) < 0)
		return;
	if (strncmp(buf, "naa.", 4) == 0)
		device_bprintf(dev->wwn, sizeof(dev->wwn), "0x%s", buf + 4);
	else if (strncmp(buf, "eui.", 4) == 0)
		util_strlcpy(dev->wwn, buf, sizeof(dev->wwn));
	/* t10 and nvme.<vendor> ids are not world wide names */
}

static void identity_sysfs(struct device_info *dev, const char *link)
{
	const char *n = dev->name;

	device_sys_read(dev->vendor, sizeof(dev->vendor), "block/%s/device/vendor", n);
	if (strncmp(dev->vendor, "0x", 2) == 0)	/* a PCI id (virtio), not a name */
		dev->vendor[0] = '\0';
	if (device_sys_read(dev->model, sizeof(dev->model), "block/%s/device/model", n) < 0)
		device_sys_read(dev->model, sizeof(dev->model), "block/%s/device/name", n);
	if (device_sys_read(dev->serial, sizeof(dev->serial), "block/%s/device/serial", n) < 0 &&
	    device_sys_read(dev->serial, sizeof(dev->serial), "block/%s/serial", n) < 0)
		serial_from_vpd80(n, dev->serial, sizeof(dev->serial));
	if (!dev->serial[0] && dev->transport == DEVICE_TRANSPORT_USB)
		serial_from_usb(link, dev->serial, sizeof(dev->serial));
	if (device_sys_read(dev->firmware_rev, sizeof(dev->firmware_rev),
			    "block/%s/device/rev", n) < 0 &&
	    device_sys_read(dev->firmware_rev, sizeof(dev->firmware_rev),
			    "block/%s/device/firmware_rev", n) < 0)
		device_sys_read(dev->firmware_rev, sizeof(dev->firmware_rev),
				"block/%s/device/fwrev", n);
	wwn_from_sysfs(dev);
}

static void copy_prop(struct udev_device *u, const char *key, char *out, size_t len)
{
	const char *v = udev_device_get_property_value(u, key);

	if (v && *v)
		util_strlcpy(out, v, len);
}

/* udev's database knows serials and WWNs the kernel does not export (ATA via SCSI). */
static void identity_udev(struct device_info *dev)
{
	struct udev_device *u;
	struct udev *udev;

	udev = udev_new();
	if (!udev)
		return;
	u = udev_device_new_from_subsystem_sysname(udev, "block", dev->name);
	if (u) {
		if (!dev->serial[0])
			copy_prop(u, "ID_SERIAL_SHORT", dev->serial, sizeof(dev->serial));
		if (!dev->wwn[0])
			copy_prop(u, "ID_WWN_WITH_EXTENSION", dev->wwn, sizeof(dev->wwn));
		if (!dev->model[0])
			copy_prop(u, "ID_MODEL", dev->model, sizeof(dev->model));
		if (!dev->vendor[0])
			copy_prop(u, "ID_VENDOR", dev->vendor, sizeof(dev->vendor));
		if (!dev->firmware_rev[0])
			copy_prop(u, "ID_REVISION", dev->firmware_rev, sizeof(dev->firmware_rev));
		udev_device_unref(u);
	}
	udev_unref(udev);
}

static void smart_unknown(struct device_smart *sm)
{
	memset(sm, 0, sizeof(*sm));
	sm->power_on_hours = UINT64_MAX;
	sm->reallocated_sectors = UINT64_MAX;
	sm->temperature_c = -1000.0;
}

static void smart_attr(SkDisk *d, const SkSmartAttributeParsedData *a, void *data)
{
	struct device_smart *sm = data;

	(void)d;
	if (a->id == 5 && a->pretty_unit == SK_SMART_ATTRIBUTE_UNIT_SECTORS)
		sm->reallocated_sectors = a->pretty_value;
}

/* SMART summary through libatasmart.  0 when read (or the disk sleeps and
 * is left alone), else -1 with @why. */
static int smart_sk(struct device_info *dev, char *why, size_t len)
{
	struct device_smart *sm = &dev->smart;
	SkBool avail = 0, awake = 1, good = 0;
	const char *step = "open";
	SkSmartOverall ov;
	uint64_t v;
	SkDisk *sk;

	errno = 0;
	if (sk_disk_open(dev->path, &sk) < 0) {
		snprintf(why, len, "libatasmart: open: %s", strerror(errno ? errno : EIO));
		return -1;
	}
	step = "SMART available";
	if (sk_disk_smart_is_available(sk, &avail) < 0)
		goto fail;
	errno = EOPNOTSUPP;
	if (!avail)
		goto fail;
	if (sk_disk_check_sleep_mode(sk, &awake) == 0 && !awake) {
		snprintf(sm->unavailable, sizeof(sm->unavailable),
			 "not read: the disk is asleep (standby) and is not woken");
		sk_disk_free(sk);
		return 0;
	}
	step = "read data";
	if (sk_disk_smart_read_data(sk) < 0)
		goto fail;
	sm->available = true;
	util_strlcpy(sm->source, "libatasmart", sizeof(sm->source));
	if (sk_disk_smart_status(sk, &good) == 0)
		sm->good = good;
	if (sk_disk_smart_get_overall(sk, &ov) == 0) {
		util_strlcpy(sm->overall, sk_smart_overall_to_string(ov), sizeof(sm->overall));
		sm->good = ov == SK_SMART_OVERALL_GOOD ||
			   ov == SK_SMART_OVERALL_BAD_ATTRIBUTE_IN_THE_PAST;
	}
	if (sk_disk_smart_get_power_on(sk, &v) == 0)
		sm->power_on_hours = v / 3600000u;
	if (sk_disk_smart_get_temperature(sk, &v) == 0)
		sm->temperature_c = ((double)v - 273150.0) / 1000.0;
	sk_disk_smart_parse_attributes(sk, smart_attr, sm);
	sk_disk_free(sk);
	return 0;
fail:
	snprintf(why, len, "libatasmart: %s: %s", step, strerror(errno ? errno : EIO));
	sk_disk_free(sk);
	return -1;
}

void device_smart_from_ata(struct device_smart *sm, const struct ata_smart *a)
{
	if (a->asleep) {
		snprintf(sm->unavailable, sizeof(sm->unavailable),
			 "not read: the disk is asleep (standby) and is not woken");
		return;
	}
	sm->available = true;
	util_strlcpy(sm->source, "sg_io", sizeof(sm->source));
	sm->good = a->status_known && a->good;
	util_strlcpy(sm->overall, !a->status_known ? "UNKNOWN" : a->good ? "GOOD" : "BAD_STATUS",
		     sizeof(sm->overall));
	sm->power_on_hours = a->power_on_hours;
	sm->reallocated_sectors = a->reallocated_sectors;
	if (a->temperature_c != INT16_MIN)
		sm->temperature_c = a->temperature_c;
}

/* SMART through custos's own ATA PASS-THROUGH path (libatasmart fails on
 * some AHCI setups).  0 when read or asleep, else -1 with @why. */
static int smart_sgio(struct device_info *dev, char *why, size_t len)
{
	struct sgio_dev *sg = NULL;
	struct ata_smart a;
	char *cause = NULL;
	int rc;

	rc = sgio_open(dev->path, false, &sg, &cause);
	if (rc == 0 && sg->kind != SGIO_KIND_ATA)
		rc = util_fail(&cause, -EOPNOTSUPP, _("not an ATA device"));
	if (rc == 0)
		rc = ata_smart_read(sg, &a, &cause);
	if (sg)
		sgio_close(sg);
	if (rc == 0)
		device_smart_from_ata(&dev->smart, &a);
	else
		snprintf(why, len, "SG_IO: %s", cause ? cause : strerror(-rc));
	free(cause);
	return rc < 0 ? -1 : 0;
}

/* SMART summary of an ATA disk.  Failures leave it unavailable with the
 * reason: discovery never fails because of SMART, and a sleeping disk is
 * not woken up. */
static void read_smart(struct device_info *dev)
{
	char sk_why[96] = "", sg_why[96] = "";

	if (smart_sk(dev, sk_why, sizeof(sk_why)) == 0 ||
	    smart_sgio(dev, sg_why, sizeof(sg_why)) == 0)
		return;
	snprintf(dev->smart.unavailable, sizeof(dev->smart.unavailable), "%s; %s", sk_why,
		 sg_why);
}

static void read_geometry(struct device_info *dev)
{
	uint64_t v;

	if (device_sys_read_u64(&v, dev->name, "queue/logical_block_size") == 0)
		dev->logical_sector_size = (uint32_t)v;
	if (device_sys_read_u64(&v, dev->name, "queue/physical_block_size") == 0)
		dev->physical_sector_size = (uint32_t)v;
	if (!dev->logical_sector_size)
		dev->logical_sector_size = 512;
	if (dev->physical_sector_size < dev->logical_sector_size)
		dev->physical_sector_size = dev->logical_sector_size;
	if (device_sys_read_u64(&v, dev->name, "queue/rotational") == 0)
		dev->rotational = v != 0;
	if (device_sys_read_u64(&v, dev->name, "removable") == 0)
		dev->removable = v != 0;
}

/* Describe the whole disk @name against @s. */
static int describe_disk(const struct device_scan *s, const char *name, struct device_info *dev,
			 bool smart, char **cause)
{
	char link[PATH_MAX + 8], sysl[PATH_MAX + 16];
	uint64_t sectors;
	ssize_t n;
	int rc;

	memset(dev, 0, sizeof(*dev));
	smart_unknown(&dev->smart);
	util_strlcpy(dev->name, name, sizeof(dev->name));
	device_bprintf(dev->path, sizeof(dev->path), "%s/%s", device_dev_dir(), name);
	rc = device_sys_read_u64(&sectors, name, "size");
	if (rc == -ENOENT)
		return util_fail(cause, -ENODEV, _("%s vanished while being described"), dev->path);
	if (rc < 0)
		return util_fail(cause, rc, _("%s: cannot read %s/block/%s/size: %s"), dev->path,
				 device_sysfs_dir(), name, strerror(-rc));
	dev->size_bytes = sectors * 512u;
	device_bprintf(sysl, sizeof(sysl), "%s/block/%s", device_sysfs_dir(), name);
	n = readlink(sysl, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	dev->transport = transport_of(name, link);
	read_geometry(dev);
	if (device_sys_read_u64(&dev->diskseq, name, "diskseq") < 0)
		dev->diskseq = 0;	/* before Linux 5.15, or a fixture */
	identity_sysfs(dev, link);
	if (device_use_udev())
		identity_udev(dev);
	device_sys_read(dev->backing_file, sizeof(dev->backing_file), "block/%s/loop/backing_file",
			name);
	rc = device_check_disk(s, dev);
	if (rc == 0 && access(sysl, F_OK) != 0)
		rc = util_fail(cause, -ENODEV, _("%s vanished while being described"), dev->path);
	else if (rc < 0)
		rc = util_fail(cause, rc, "%s: %s", dev->path, strerror(-rc));
	if (smart && rc == 0 && dev->transport == DEVICE_TRANSPORT_SATA && device_real_roots() &&
	    dev->size_bytes)
		read_smart(dev);
	if (rc < 0)
		device_info_clear(dev);
	return rc;
}

/* Describe the regular file open at @fd (an O_PATH descriptor is enough). */
/* A virtual medium's serial number: the image file's extended attribute
 * user.custos.serial (printable ASCII, like a drive's), so an image stands
 * for one stick wherever it is plugged in (a central register recognises
 * media by serial, never by a file's path).  Empty when not set. */
static void file_serial(const char *self, struct device_info *dev)
{
	char buf[sizeof(dev->serial)];
	ssize_t n = getxattr(self, "user.custos.serial", buf, sizeof(buf) - 1);

	if (n <= 0)
		return;
	buf[n] = '\0';
	for (ssize_t i = 0; i < n; i++)
		if (buf[i] < 0x21 || buf[i] > 0x7e)
			return;
	util_strlcpy(dev->serial, buf, sizeof(dev->serial));
}

static int describe_file(const struct device_scan *s, const char *path, int fd,
			 const struct stat *st, struct device_info *dev, char **cause)
{
	char self[64];
	int rc;

	memset(dev, 0, sizeof(*dev));
	smart_unknown(&dev->smart);
	util_strlcpy(dev->path, path, sizeof(dev->path));
	util_strlcpy(dev->name, device_base_name(path), sizeof(dev->name));
	dev->size_bytes = (uint64_t)st->st_size;
	dev->logical_sector_size = 512;
	dev->physical_sector_size = 4096;
	dev->transport = DEVICE_TRANSPORT_FILE;
	dev->ident_dev = (uint64_t)st->st_dev;
	dev->ident_ino = (uint64_t)st->st_ino;
	rc = device_check_file(s, fd, st, dev);
	if (rc == 0)
		rc = device_check_backing(s, dev, st);
	if (rc == 0)
		rc = device_check_file_use(st, dev);
	snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
	if (rc == 0)
		file_serial(self, dev);
	if (rc == 0 && access(self, W_OK) != 0)
		rc = device_add_reason(dev, DEVICE_REASON_READONLY, _("read-only file (%s)"),
				       strerror(errno));
	if (rc < 0) {
		device_info_clear(dev);
		return util_fail(cause, rc, "%s: %s", path, strerror(-rc));
	}
	return 0;
}

/* A partition: described only as far as needed to refuse it. */
static int describe_partition(const struct device_blkent *b, const char *path,
			      struct device_info *dev, char **cause)
{
	char attr[DEVICE_NAME_LEN + 8];
	uint64_t sectors = 0;
	int rc;

	memset(dev, 0, sizeof(*dev));
	smart_unknown(&dev->smart);
	util_strlcpy(dev->path, path, sizeof(dev->path));
	util_strlcpy(dev->name, b->name, sizeof(dev->name));
	device_bprintf(attr, sizeof(attr), "%s/size", b->name);
	if (device_sys_read_u64(&sectors, b->disk, attr) == 0)
		dev->size_bytes = sectors * 512u;
	dev->logical_sector_size = dev->physical_sector_size = 512;
	dev->transport = transport_of(b->disk, "");
	rc = device_add_reason(dev, DEVICE_REASON_PARTITION,
			       _("a partition (%s of %s): name the whole disk %s/%s"), b->name,
			       b->disk, device_dev_dir(), b->disk);
	if (rc < 0)
		return util_fail(cause, rc, "%s: %s", path, strerror(-rc));
	return 0;
}

static int probe_block(const struct device_scan *s, const char *path, const struct stat *st,
		       struct device_info *out, char **cause)
{
	const struct device_blkent *b = device_find_devno(s, st->st_rdev);
	int rc;

	if (!b)
		return util_fail(cause, -ENODEV, _("%s: block device %u:%u is not in %s/block"),
				 path, major(st->st_rdev), minor(st->st_rdev), device_sysfs_dir());
	if (strcmp(b->name, b->disk) != 0)
		return describe_partition(b, path, out, cause);
	rc = describe_disk(s, b->disk, out, true, cause);
	if (rc == 0 && strcmp(path, out->path) != 0 && device_real_roots())
		util_strlcpy(out->path, path, sizeof(out->path));
	if (rc == 0)
		out->ident_dev = (uint64_t)st->st_rdev;
	if (rc == 0)
		rc = device_check_in_use(out);
	return rc;
}

/* Resolve @path once and open what it names without following a link
 * that appeared since: O_PATH, so no driver is woken and no file read. */
static int open_target(const char *path, int *fd, struct stat *st, char **cause)
{
	char real[PATH_MAX];

	if (!realpath(path, real))
		return util_fail(cause, -errno, "%s: %s", path, strerror(errno));
	*fd = open(real, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (*fd < 0 && errno == ELOOP)
		return util_fail(cause, -EAGAIN, _("%s: became a symbolic link while being opened"),
				 path);
	if (*fd < 0)
		return util_fail(cause, -errno, "%s: %s", path, strerror(errno));
	if (fstat(*fd, st) < 0) {
		int rc = -errno;

		close_fd(*fd, path);
		return util_fail(cause, rc, _("%s: fstat: %s"), path, strerror(-rc));
	}
	return 0;
}

int device_probe(const char *path, struct device_info *out, char **cause)
{
	struct device_scan s;
	struct stat st;
	int rc, fd;

	memset(out, 0, sizeof(*out));
	rc = open_target(path, &fd, &st, cause);
	if (rc < 0)
		return rc;
	if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode)) {
		close_fd(fd, path);
		return util_fail(cause, -ENOTBLK, _("%s is neither a block device nor a regular file"),
				 path);
	}
	rc = device_scan_build(&s, cause);
	if (rc == 0) {
		if (S_ISBLK(st.st_mode))
			rc = probe_block(&s, path, &st, out, cause);
		else
			rc = describe_file(&s, path, fd, &st, out, cause);
		device_scan_free(&s);
	}
	close_fd(fd, path);
	return rc;
}

/* Join the reasons of @dev into a refusal. */
static int refuse(const struct device_info *dev, const char *name, char **cause)
{
	char text[1024] = "";

	for (size_t i = 0; i < dev->n_reasons; i++) {
		size_t used = strlen(text);

		device_bprintf(text + used, sizeof(text) - used, "%s%s", i ? "; " : "",
			       dev->reason_text[i]);
	}
	return util_fail(cause, -EPERM, _("%s: refused: %s"), name, text);
}

static int guard_block(const struct device_scan *s, const struct stat *st, const char *name,
		       char **cause)
{
	const struct device_blkent *b = device_find_devno(s, st->st_rdev);
	struct device_info dev;
	int rc;

	if (!b)
		return util_fail(cause, -ENODEV, _("%s: block device %u:%u is not in %s/block"),
				 name, major(st->st_rdev), minor(st->st_rdev), device_sysfs_dir());
	if (strcmp(b->name, b->disk) != 0)
		rc = describe_partition(b, name, &dev, cause);
	else
		rc = describe_disk(s, b->disk, &dev, false, cause);
	if (rc < 0)
		return rc;
	dev.reasons &= ~(unsigned)DEVICE_REASON_IN_USE;	/* that may be us */
	rc = dev.reasons ? refuse(&dev, name, cause) : 0;
	device_info_clear(&dev);
	return rc;
}

static int guard_file(const struct device_scan *s, int fd, const struct stat *st,
		      const char *name, char **cause)
{
	struct device_info dev;
	int rc;

	memset(&dev, 0, sizeof(dev));
	util_strlcpy(dev.name, device_base_name(name), sizeof(dev.name));
	rc = device_check_file(s, fd, st, &dev);
	if (rc == 0)
		rc = device_check_backing(s, &dev, st);
	if (rc < 0)
		rc = util_fail(cause, rc, "%s: %s", name, strerror(-rc));
	else if (dev.reasons)
		rc = refuse(&dev, name, cause);
	device_info_clear(&dev);
	return rc;
}

int device_guard_fd(int fd, const char *name, char **cause)
{
	struct device_scan s;
	struct stat st;
	int rc;

	if (fstat(fd, &st) < 0)
		return util_fail(cause, -errno, _("%s: fstat: %s"), name, strerror(errno));
	if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode))
		return util_fail(cause, -ENOTBLK, _("%s is neither a block device nor a regular file"),
				 name);
	rc = device_scan_build(&s, cause);
	if (rc < 0)
		return rc;
	if (S_ISBLK(st.st_mode))
		rc = guard_block(&s, &st, name, cause);
	else
		rc = guard_file(&s, fd, &st, name, cause);
	device_scan_free(&s);
	return rc;
}

/* ---- the medium a job was confirmed for ----------------------------------- */

/* The disk sequence number of the block device @st open at @fd: the
 * ioctl (a real open), else sysfs by device number (an O_PATH descriptor,
 * or a kernel whose headers lack the ioctl).  0, or a negative errno. */
static int read_diskseq(int fd, const struct stat *st, uint64_t *seq)
{
	char buf[64];
	int rc;

#ifdef BLKGETDISKSEQ
	if (ioctl(fd, BLKGETDISKSEQ, seq) == 0)
		return 0;
#else
	(void)fd;
#endif
	rc = device_sys_read(buf, sizeof(buf), "dev/block/%u:%u/diskseq", major(st->st_rdev),
			     minor(st->st_rdev));
	return rc < 0 ? rc : util_parse_u64(buf, seq, 0);
}

/* No sequence number at the probe (Linux before 5.15): serial, WWN, a loop
 * device's backing file and size, read again.  A disk with none of the
 * first three (many virtual disks, cheap sticks) cannot be told from
 * another of its size: refused rather than guessed. */
static int same_identity(const struct stat *st, const struct device_info *dev, char **cause)
{
	const struct device_blkent *b;
	struct device_scan s;
	struct device_info now;
	bool same;
	int rc;

	if (!dev->serial[0] && !dev->wwn[0] && !dev->backing_file[0])
		return util_fail(cause, -EAGAIN, _("%s: refused: this kernel gives no disk sequence "
				 "number and the disk has no serial number, WWN or backing file, "
				 "so custos cannot tell it is still the medium checked and "
				 "confirmed: nothing was written"), dev->path);
	rc = device_scan_build(&s, cause);
	if (rc < 0)
		return rc;
	b = device_find_devno(&s, st->st_rdev);
	rc = b ? describe_disk(&s, b->disk, &now, false, cause) : -ENODEV;
	device_scan_free(&s);
	if (rc == -ENODEV)
		return util_fail(cause, -EAGAIN, _("%s: refused: the disk vanished since it was "
				 "checked and confirmed"), dev->path);
	if (rc < 0)
		return rc;
	same = now.size_bytes == dev->size_bytes && strcmp(now.serial, dev->serial) == 0 &&
	       strcmp(now.wwn, dev->wwn) == 0 &&
	       strcmp(now.backing_file, dev->backing_file) == 0;
	device_info_clear(&now);
	if (!same)
		return util_fail(cause, -EAGAIN, _("%s: refused: another medium than the one checked "
				 "and confirmed (serial, WWN, backing file or size differ): nothing "
				 "was written"),
				 dev->path);
	return 0;
}

int device_check_medium(int fd, const struct device_info *dev, char **cause)
{
	struct stat st;
	uint64_t seq = 0;

	if (fstat(fd, &st) < 0)
		return util_fail(cause, -errno, _("%s: fstat: %s"), dev->path, strerror(errno));
	if (!S_ISBLK(st.st_mode) || (dev->ident_dev && (uint64_t)st.st_rdev != dev->ident_dev))
		return util_fail(cause, -EAGAIN, _("%s: refused: the path now leads to another "
				 "file or device than the one checked and confirmed"), dev->path);
	if (!dev->diskseq)
		return same_identity(&st, dev, cause);
	if (read_diskseq(fd, &st, &seq) < 0 || seq != dev->diskseq)
		return util_fail(cause, -EAGAIN, _("%s: refused: the medium changed since it was "
				 "checked and confirmed (disk sequence number %llu, now %llu): "
				 "nothing was written"), dev->path, (unsigned long long)dev->diskseq,
				 (unsigned long long)seq);
	return 0;
}

int device_anchor(const struct device_info *dev, int *fd, char **cause)
{
	struct stat st;
	int rc;

	rc = open_target(dev->path, fd, &st, cause);
	if (rc < 0) {
		*fd = -1;
		return rc;
	}
	rc = device_check_medium(*fd, dev, cause);
	if (rc == 0)
		rc = device_guard_fd(*fd, dev->path, cause);
	if (rc < 0) {
		close_fd(*fd, dev->path);
		*fd = -1;
	}
	return rc;
}

/* ---- listing ----------------------------------------------------------- */

/* Block devices that are not media: device-mapper and md arrays (they are
 * holders), optical drives, floppies, network block devices, the boot and
 * RPMB areas of an eMMC (parts of its main disk), and loop devices with
 * nothing attached. */
static bool listed(const struct device_scan *s, const char *name)
{
	static const char *const skip[] = { "dm-", "md", "sr", "fd", "nbd" };

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(skip); i++)
		if (strncmp(name, skip[i], strlen(skip[i])) == 0)
			return false;
	if (strncmp(name, "mmcblk", 6) == 0 && (strstr(name, "boot") || strstr(name, "rpmb")))
		return false;
	if (strncmp(name, "loop", 4) == 0) {
		for (size_t i = 0; i < s->n_loops; i++)
			if (strcmp(s->loops[i].name, name) == 0)
				return true;
		return false;
	}
	return true;
}

struct names {
	char (*v)[DEVICE_NAME_LEN];
	size_t n;
};

static int names_add(struct names *nm, const char *name)
{
	char (*v)[DEVICE_NAME_LEN];

	if (strlen(name) >= DEVICE_NAME_LEN)
		return 0;
	v = device_grow(nm->v, nm->n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	nm->v = v;
	util_strlcpy(nm->v[nm->n++], name, DEVICE_NAME_LEN);
	return 0;
}

static int names_udev(struct names *nm)
{
	struct udev_enumerate *e = NULL;
	struct udev_list_entry *le;
	struct udev *udev;
	int rc = -ENOMEM;

	udev = udev_new();
	if (udev)
		e = udev_enumerate_new(udev);
	if (!e || udev_enumerate_add_match_subsystem(e, "block") < 0 ||
	    udev_enumerate_add_match_property(e, "DEVTYPE", "disk") < 0 ||
	    udev_enumerate_scan_devices(e) < 0)
		goto out;
	rc = 0;
	udev_list_entry_foreach(le, udev_enumerate_get_list_entry(e)) {
		const char *sys = udev_list_entry_get_name(le);

		rc = names_add(nm, device_base_name(sys));
		if (rc < 0)
			break;
	}
out:
	if (e)
		udev_enumerate_unref(e);
	if (udev)
		udev_unref(udev);
	return rc;
}

static int names_sysfs(const struct device_scan *s, struct names *nm)
{
	int rc = 0;

	for (size_t i = 0; i < s->n_blk && rc == 0; i++)
		if (strcmp(s->blk[i].name, s->blk[i].disk) == 0)
			rc = names_add(nm, s->blk[i].name);
	return rc;
}

static int cmp_name(const void *a, const void *b)
{
	return strverscmp(a, b);
}

static int list_append_dev(struct device_info **devs, size_t *n, const struct device_info *d)
{
	struct device_info *v = device_grow(*devs, *n, sizeof(**devs));

	if (!v)
		return -ENOMEM;
	*devs = v;
	v[(*n)++] = *d;
	return 0;
}

static int list_disks(const struct device_scan *s, struct device_info **devs, size_t *n)
{
	struct names nm = { NULL, 0 };
	struct device_info d;
	char *why = NULL;
	int rc;

	rc = device_use_udev() ? names_udev(&nm) : names_sysfs(s, &nm);
	if (rc == 0 && nm.n)
		qsort(nm.v, nm.n, sizeof(*nm.v), cmp_name);
	for (size_t i = 0; i < nm.n && rc == 0; i++) {
		if (!listed(s, nm.v[i]))
			continue;
		rc = describe_disk(s, nm.v[i], &d, true, &why);
		if (rc == -ENODEV || (rc < 0 && rc != -ENOMEM)) {
			util_debug("%s", why ? why : nm.v[i]);	/* gone: not listed */
			rc = 0;
		} else if (rc == 0 && (rc = list_append_dev(devs, n, &d)) < 0) {
			device_info_clear(&d);
		}
		free(why);
		why = NULL;
	}
	free(nm.v);
	return rc;
}

static bool is_image(const char *name)
{
	size_t len = strlen(name);

	return name[0] != '.' && len > 4 && strcmp(name + len - 4, ".img") == 0;
}

static int list_virtual(const struct device_scan *s, const char *dir, struct device_info **devs,
			size_t *n)
{
	struct names nm = { NULL, 0 };
	struct dirent *de;
	int rc = 0;
	DIR *d;

	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while (rc == 0 && (de = readdir(d)))
		if (is_image(de->d_name))
			rc = names_add(&nm, de->d_name);
	closedir(d);
	if (nm.n)
		qsort(nm.v, nm.n, sizeof(*nm.v), cmp_name);
	for (size_t i = 0; i < nm.n && rc == 0; i++) {
		char path[PATH_MAX];
		struct device_info dev;
		struct stat st;

		int fd;

		device_bprintf(path, sizeof(path), "%s/%s", dir, nm.v[i]);
		fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);	/* links are not listed */
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
			rc = describe_file(s, path, fd, &st, &dev, NULL);
			if (rc == 0 && (rc = list_append_dev(devs, n, &dev)) < 0)
				device_info_clear(&dev);
		}
		close_fd(fd, path);
	}
	free(nm.v);
	return rc;
}

int device_list(const char *virtual_dir, struct device_info **out, size_t *n, char **cause)
{
	struct device_info *devs = NULL;
	size_t count = 0;
	struct device_scan s;
	int rc;

	*out = NULL;
	*n = 0;
	rc = device_scan_build(&s, cause);
	if (rc < 0)
		return rc;
	rc = list_disks(&s, &devs, &count);
	if (rc < 0)
		rc = util_fail(cause, rc, _("cannot list block devices: %s"), strerror(-rc));
	else if (virtual_dir && (rc = list_virtual(&s, virtual_dir, &devs, &count)) < 0)
		rc = util_fail(cause, rc, _("cannot list virtual media in %s: %s"), virtual_dir,
			       strerror(-rc));
	device_scan_free(&s);
	if (rc < 0) {
		device_list_free(devs, count);
		return rc;
	}
	*out = devs;
	*n = count;
	return 0;
}

void device_info_clear(struct device_info *dev)
{
	for (size_t i = 0; i < dev->n_reasons; i++) {
		free(dev->reason_text[i]);
		dev->reason_text[i] = NULL;
	}
	dev->n_reasons = 0;
	dev->reasons = 0;
}

void device_list_free(struct device_info *devs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		device_info_clear(&devs[i]);
	free(devs);
}

/* ---- names and JSON ---------------------------------------------------- */

const char *device_transport_name(enum device_transport t)
{
	static const char *const names[] = {
		[DEVICE_TRANSPORT_UNKNOWN] = "unknown", [DEVICE_TRANSPORT_SATA] = "sata",
		[DEVICE_TRANSPORT_SAS] = "sas",	[DEVICE_TRANSPORT_USB] = "usb",
		[DEVICE_TRANSPORT_NVME] = "nvme", [DEVICE_TRANSPORT_MMC] = "mmc",
		[DEVICE_TRANSPORT_VIRTUAL] = "virtual", [DEVICE_TRANSPORT_FILE] = "file",
	};

	if ((size_t)t >= UTIL_ARRAY_SIZE(names))
		return "unknown";
	return names[t];
}

const char *device_reason_name(enum device_reason r)
{
	switch (r) {
	case DEVICE_REASON_MOUNTED: return "mounted";
	case DEVICE_REASON_SWAP: return "swap";
	case DEVICE_REASON_HELD: return "held";
	case DEVICE_REASON_SYSTEM: return "system";
	case DEVICE_REASON_READONLY: return "read-only";
	case DEVICE_REASON_IN_USE: return "in-use";
	case DEVICE_REASON_NO_MEDIUM: return "no-medium";
	case DEVICE_REASON_BACKING: return "backing";
	case DEVICE_REASON_NOT_MEDIUM: return "outside";	/* the virtual-media dirs */
	case DEVICE_REASON_UNSAFE: return "unsafe";
	case DEVICE_REASON_PARTITION: return "partition";
	}
	return "unknown";
}

const char *device_media_kind(const struct device_info *dev)
{
	switch (dev->transport) {
	case DEVICE_TRANSPORT_NVME:
		return "nvme";
	case DEVICE_TRANSPORT_USB:	/* sticks often claim to rotate; disks are not removable */
		return dev->rotational && !dev->removable ? "hdd" : "usb-flash";
	case DEVICE_TRANSPORT_MMC:
		return "sd-mmc";
	case DEVICE_TRANSPORT_VIRTUAL:
	case DEVICE_TRANSPORT_FILE:
		return "virtual";
	default:
		return dev->rotational ? "hdd" : "ssd";
	}
}

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

static json_t *smart_to_json(const struct device_smart *sm)
{
	if (!sm->available && sm->unavailable[0])
		return json_pack("{s:b, s:s}", "available", 0, "reason", sm->unavailable);
	if (!sm->available)
		return json_null();
	return json_pack("{s:b, s:o, s:o, s:b, s:o, s:o, s:o}",
			 "available", 1, "source", str_or_null(sm->source),
			 "overall", str_or_null(sm->overall),
			 "good", sm->good,
			 "power_on_hours", sm->power_on_hours == UINT64_MAX ? json_null() :
				json_integer((json_int_t)sm->power_on_hours),
			 "reallocated_sectors", sm->reallocated_sectors == UINT64_MAX ?
				json_null() : json_integer((json_int_t)sm->reallocated_sectors),
			 "temperature_c", sm->temperature_c < -273.0 ? json_null() :
				json_real(sm->temperature_c));
}

json_t *device_to_json(const struct device_info *dev)
{
	json_t *j, *reasons;

	reasons = json_array();
	for (size_t i = 0; reasons && i < dev->n_reasons; i++)
		json_array_append_new(reasons, json_string(dev->reason_text[i]));
	j = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:I, s:i, s:i, s:b, s:s, s:b, s:s, s:b, "
		      "s:o, s:o, s:n}",
		      "path", dev->path, "name", dev->name,
		      "vendor", str_or_null(dev->vendor), "model", str_or_null(dev->model),
		      "serial", str_or_null(dev->serial), "wwn", str_or_null(dev->wwn),
		      "size_bytes", (json_int_t)dev->size_bytes,
		      "logical_sector_size", (int)dev->logical_sector_size,
		      "physical_sector_size", (int)dev->physical_sector_size,
		      "rotational", dev->rotational,
		      "transport", device_transport_name(dev->transport),
		      "removable", dev->removable,
		      "media_kind", device_media_kind(dev),
		      "eligible", device_is_eligible(dev),
		      "reasons", reasons ? reasons : json_array(),
		      "smart", smart_to_json(&dev->smart),
		      "firmware");
	if (j && dev->firmware_rev[0])
		json_object_set_new(j, "firmware_rev", json_string(dev->firmware_rev));
	if (j && dev->backing_file[0])
		json_object_set_new(j, "backing_file", json_string(dev->backing_file));
	return j;
}
