/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * device-safety: why a medium must not be wiped.  Mounted, active swap,
 * held by a holder or a loop device, a system or boot disk (including the
 * boot medium named on /proc/cmdline), read-only, in use, backing a loop.
 */
#include "device-private.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

#define MAX_DEPTH 8		/* dm on md on partitions: deep enough, no cycles */

/* ---- system disks ------------------------------------------------------ */

static int mark_system(struct device_scan *s, const char *disk, const char *why)
{
	struct device_sysdisk *sd;

	for (size_t i = 0; i < s->n_sys; i++)
		if (strcmp(s->sys[i].disk, disk) == 0)
			return 0;
	sd = device_grow(s->sys, s->n_sys, sizeof(*sd));
	if (!sd)
		return -ENOMEM;
	s->sys = sd;
	sd = &s->sys[s->n_sys++];
	util_strlcpy(sd->disk, disk, sizeof(sd->disk));
	util_strlcpy(sd->why, why, sizeof(sd->why));
	return 0;
}

static int resolve_system(struct device_scan *s, const struct device_blkent *b, const char *why,
			  int depth);

/* Follow the slaves/ of a dm or md device, and the file behind a loop. */
static int resolve_lower(struct device_scan *s, const char *disk, const char *why, int depth)
{
	char path[PATH_MAX + 80];
	struct dirent *de;
	struct stat st;
	int rc = 0, n = 0;
	DIR *d;

	device_bprintf(path, sizeof(path), "%s/block/%s/slaves", device_sysfs_dir(), disk);
	d = opendir(path);
	while (d && rc == 0 && (de = readdir(d))) {
		const struct device_blkent *lower;

		if (de->d_name[0] == '.')
			continue;
		n++;
		lower = device_find_name(s, de->d_name);
		if (lower)
			rc = resolve_system(s, lower, why, depth + 1);
	}
	if (d)
		closedir(d);
	if (rc || n)
		return rc;
	for (size_t i = 0; i < s->n_loops; i++) {
		if (strcmp(s->loops[i].name, disk) != 0 || !device_real_roots() ||
		    stat(s->loops[i].backing, &st) != 0)
			continue;
		if (S_ISBLK(st.st_mode) && device_find_devno(s, st.st_rdev))
			return resolve_system(s, device_find_devno(s, st.st_rdev), why, depth + 1);
		if (device_find_devno(s, st.st_dev))
			return resolve_system(s, device_find_devno(s, st.st_dev), why, depth + 1);
	}
	return mark_system(s, disk, why);
}

static int resolve_system(struct device_scan *s, const struct device_blkent *b, const char *why,
			  int depth)
{
	if (depth > MAX_DEPTH)
		return 0;
	return resolve_lower(s, b->disk, why, depth);
}

/* The disks holding /, /boot, /boot/efi, /usr, and a live system's boot medium. */
int device_scan_system(struct device_scan *s)
{
	static const char *const targets[] = {
		"/", "/boot", "/boot/efi", "/usr",
		"/run/live/medium", "/lib/live/mount/medium", "/cdrom",
	};
	int rc = 0;

	for (size_t i = 0; i < s->n_mnt && rc == 0; i++) {
		const struct device_mountent *m = &s->mnt[i];
		const struct device_blkent *b;
		bool wanted = false;
		char why[256];

		for (size_t t = 0; t < UTIL_ARRAY_SIZE(targets); t++)
			wanted |= strcmp(m->target, targets[t]) == 0;
		if (!wanted)
			continue;
		b = device_find_devno(s, m->devno);
		if (!b)
			b = device_find_path(s, m->source); /* btrfs: anonymous device numbers */
		if (!b)
			continue;
		device_bprintf(why, sizeof(why), "system disk: holds %s (%s)", m->target,
			       m->source);
		rc = resolve_system(s, b, why, 0);
	}
	return rc;
}

/* ---- boot medium named on the kernel command line ----------------------- */

/* udev's encoding of a label or id in /dev/disk/by-*: \xNN for the unsafe. */
static void udev_encode(const char *in, char *out, size_t len)
{
	size_t o = 0;

	for (; *in && o + 5 < len; in++) {
		unsigned char c = (unsigned char)*in;

		if (isalnum(c) || strchr("#+-.:=@_", c))
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, len - o, "\\x%02x", c);
	}
	out[o] = '\0';
}

/* The block device a link under <dev> (rel starts with '/') points to. */
static const struct device_blkent *find_link(const struct device_scan *s, const char *rel)
{
	char path[PATH_MAX + 80], target[PATH_MAX];
	ssize_t n;

	device_bprintf(path, sizeof(path), "%s%s", device_dev_dir(), rel);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return NULL;
	target[n] = '\0';
	return device_find_name(s, device_base_name(target));
}

/* A device named as /dev/..., or TAG=value (UUID, LABEL, CDLABEL, PARTUUID,
 * PARTLABEL) looked up in <dev>/disk/by-*; dracut's "live:" prefix allowed. */
static const struct device_blkent *find_spec(const struct device_scan *s, const char *spec)
{
	static const struct {
		const char *tag, *dir;
	} tags[] = {
		{ "UUID=", "by-uuid" }, { "LABEL=", "by-label" }, { "CDLABEL=", "by-label" },
		{ "PARTUUID=", "by-partuuid" }, { "PARTLABEL=", "by-partlabel" },
	};
	char rel[PATH_MAX];
	const struct device_blkent *b;

	if (strncmp(spec, "live:", 5) == 0)
		spec += 5;
	if (strncmp(spec, "/dev/", 5) == 0) {
		b = find_link(s, spec + 4);
		return b ? b : device_find_path(s, spec);
	}
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(tags); i++) {
		size_t t = strlen(tags[i].tag);
		char enc[NAME_MAX + 1];

		if (strncmp(spec, tags[i].tag, t) != 0 || !spec[t])
			continue;
		udev_encode(spec + t, enc, sizeof(enc));
		device_bprintf(rel, sizeof(rel), "/disk/%s/%s", tags[i].dir, enc);
		return find_link(s, rel);
	}
	return NULL;
}

/* One word of the command line: root=, live-media=, bootfrom= and a
 * BOOT_IMAGE= that names a device (GRUB's own (hdX,Y) names cannot be
 * resolved and are ignored). */
static int cmdline_word(struct device_scan *s, const char *w)
{
	static const char *const keys[] = { "root=", "live-media=", "bootfrom=", "BOOT_IMAGE=" };
	const struct device_blkent *b;
	char why[256];

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(keys); i++) {
		size_t k = strlen(keys[i]);

		if (strncmp(w, keys[i], k) != 0)
			continue;
		b = find_spec(s, w + k);
		if (!b)
			return 0;
		device_bprintf(why, sizeof(why), "system disk: boot medium named on the kernel "
			       "command line (%s)", w);
		return resolve_system(s, b, why, 0);
	}
	return 0;
}

/* <proc>/cmdline: words separated by spaces, "double quotes" group. */
int device_scan_cmdline(struct device_scan *s, char *line)
{
	char word[1024];
	size_t n = 0;
	bool quoted = false;
	int rc = 0;

	for (const char *p = line;; p++) {
		if (*p == '"') {
			quoted = !quoted;
			continue;
		}
		if (*p && (quoted || !isspace((unsigned char)*p))) {
			if (n + 1 < sizeof(word))
				word[n++] = *p;
			continue;
		}
		word[n] = '\0';
		if (n && rc == 0)
			rc = cmdline_word(s, word);
		n = 0;
		if (!*p)
			return rc;
	}
}

/* ---- reasons ----------------------------------------------------------- */

int device_add_reason(struct device_info *dev, enum device_reason reason, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (dev->reasons & reason)
		return 0;
	if (dev->n_reasons >= UTIL_ARRAY_SIZE(dev->reason_text))
		return -ENOSPC;
	va_start(ap, fmt);
	msg = util_vasprintf(fmt, ap);
	va_end(ap);
	if (!msg)
		return -ENOMEM;
	dev->reasons |= reason;
	dev->reason_text[dev->n_reasons++] = msg;
	return 0;
}

/* Append "target (source)" to a growing list in @buf. */
static void list_append(char *buf, size_t len, const char *target, const char *source)
{
	size_t used = strlen(buf);

	if (used + 8 >= len)
		return;
	device_bprintf(buf + used, len - used, "%s%s (%s)", used ? ", " : "", target, source);
}

static bool in_disk(const struct device_scan *s, const struct device_blkent *b, const char *disk)
{
	(void)s;
	return b && strcmp(b->disk, disk) == 0;
}

static int check_mounts(const struct device_scan *s, struct device_info *dev)
{
	char list[512] = "";

	for (size_t i = 0; i < s->n_mnt; i++) {
		const struct device_mountent *m = &s->mnt[i];
		const struct device_blkent *b = device_find_devno(s, m->devno);

		if (!in_disk(s, b, dev->name) && strncmp(m->source, "/dev/", 5) == 0)
			b = device_find_path(s, m->source);
		if (in_disk(s, b, dev->name))
			list_append(list, sizeof(list), m->target, m->source);
	}
	if (!list[0])
		return 0;
	return device_add_reason(dev, DEVICE_REASON_MOUNTED, "mounted on %s", list);
}

static int check_swaps(const struct device_scan *s, struct device_info *dev)
{
	for (size_t i = 0; i < s->n_swaps; i++)
		if (in_disk(s, device_find_path(s, s->swaps[i]), dev->name))
			return device_add_reason(dev, DEVICE_REASON_SWAP, "active swap (%s)",
						 s->swaps[i]);
	return 0;
}

/* The first entry of <sysfs>/block/<rel>/holders into @out, or "". */
static void first_holder(const char *rel, char *out, size_t len)
{
	char path[PATH_MAX + 80];
	struct dirent *de;
	DIR *d;

	out[0] = '\0';
	device_bprintf(path, sizeof(path), "%s/block/%s/holders", device_sysfs_dir(), rel);
	d = opendir(path);
	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			util_strlcpy(out, de->d_name, len);
			break;
		}
	closedir(d);
}

static int check_holders(const struct device_scan *s, struct device_info *dev)
{
	char holder[DEVICE_NAME_LEN], rel[DEVICE_NAME_LEN * 2 + 2];

	for (size_t i = 0; i < s->n_blk; i++) {
		const struct device_blkent *b = &s->blk[i];

		if (strcmp(b->disk, dev->name) != 0)
			continue;
		if (strcmp(b->name, b->disk) == 0)
			device_bprintf(rel, sizeof(rel), "%s", b->name);
		else
			device_bprintf(rel, sizeof(rel), "%s/%s", b->disk, b->name);
		first_holder(rel, holder, sizeof(holder));
		if (holder[0] && strcmp(b->name, b->disk) == 0)
			return device_add_reason(dev, DEVICE_REASON_HELD, "held by %s", holder);
		if (holder[0])
			return device_add_reason(dev, DEVICE_REASON_HELD, "held by %s (via %s)",
						 holder, b->name);
	}
	for (size_t i = 0; i < s->n_loops; i++)
		if (in_disk(s, device_find_path(s, s->loops[i].backing), dev->name))
			return device_add_reason(dev, DEVICE_REASON_HELD,
						 "held by %s (a loop device over %s)",
						 s->loops[i].name, s->loops[i].backing);
	return 0;
}

static int check_system(const struct device_scan *s, struct device_info *dev)
{
	for (size_t i = 0; i < s->n_sys; i++)
		if (strcmp(s->sys[i].disk, dev->name) == 0)
			return device_add_reason(dev, DEVICE_REASON_SYSTEM, "%s", s->sys[i].why);
	return 0;
}

int device_check_disk(const struct device_scan *s, struct device_info *dev)
{
	char ro[16];
	int rc;

	rc = check_mounts(s, dev);
	if (rc == 0)
		rc = check_swaps(s, dev);
	if (rc == 0)
		rc = check_holders(s, dev);
	if (rc == 0)
		rc = check_system(s, dev);
	if (rc == 0 && device_sys_read(ro, sizeof(ro), "block/%s/ro", dev->name) == 0 &&
	    strcmp(ro, "1") == 0)
		rc = device_add_reason(dev, DEVICE_REASON_READONLY,
				       "read-only (the kernel says ro)");
	if (rc == 0 && dev->size_bytes == 0)
		rc = device_add_reason(dev, DEVICE_REASON_NO_MEDIUM, "no medium (size 0)");
	return rc;
}

/* Loop devices whose backing file is @st (or named @path, for fixtures). */
int device_check_backing(const struct device_scan *s, struct device_info *dev,
			 const struct stat *st)
{
	for (size_t i = 0; i < s->n_loops; i++) {
		struct stat bs;
		bool same;

		if (stat(s->loops[i].backing, &bs) == 0)
			same = bs.st_dev == st->st_dev && bs.st_ino == st->st_ino;
		else
			same = strcmp(s->loops[i].backing, dev->backing_file) == 0;
		if (same)
			return device_add_reason(dev, DEVICE_REASON_BACKING,
						 "backs loop device %s/%s", device_dev_dir(),
						 s->loops[i].name);
	}
	return 0;
}

/* An exclusive open fails with EBUSY while the kernel or a program holds
 * the device.  Only worth saying when no other reason explains it. */
int device_check_in_use(struct device_info *dev)
{
	int fd;

	fd = open(dev->path, O_RDONLY | O_EXCL | O_CLOEXEC | O_NONBLOCK);
	if (fd >= 0) {
		if (util_close(fd) < 0)
			util_debug("%s: close: %s", dev->path, strerror(errno));
		return 0;
	}
	if (errno != EBUSY || dev->reasons)
		return 0;
	return device_add_reason(dev, DEVICE_REASON_IN_USE,
				 "in use: opened exclusively by another program");
}
