/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * device-safety: why a medium must not be wiped.  Mounted, active swap,
 * held by a holder or a loop device, a system or boot disk (including the
 * boot medium named on /proc/cmdline), read-only, in use, backing a loop;
 * for regular files: outside the virtual-media directories, placed by
 * someone else, locked or open for writing by another program.
 */
#include "device-private.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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
		/* "system disk: " is added where it becomes a reason */
		device_bprintf(why, sizeof(why), _("holds %s (%s)"), m->target, m->source);
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
		device_bprintf(why, sizeof(why), _("boot medium named on the kernel command "
						   "line (%s)"), w);
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
	return device_add_reason(dev, DEVICE_REASON_MOUNTED, _("mounted on %s"), list);
}

static int check_swaps(const struct device_scan *s, struct device_info *dev)
{
	for (size_t i = 0; i < s->n_swaps; i++)
		if (in_disk(s, device_find_path(s, s->swaps[i]), dev->name))
			return device_add_reason(dev, DEVICE_REASON_SWAP, _("active swap (%s)"),
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
			return device_add_reason(dev, DEVICE_REASON_HELD, _("held by %s"), holder);
		if (holder[0])
			return device_add_reason(dev, DEVICE_REASON_HELD, _("held by %s (via %s)"),
						 holder, b->name);
	}
	for (size_t i = 0; i < s->n_loops; i++)
		if (in_disk(s, device_find_path(s, s->loops[i].backing), dev->name))
			return device_add_reason(dev, DEVICE_REASON_HELD,
						 _("held by %s (a loop device over %s)"),
						 s->loops[i].name, s->loops[i].backing);
	return 0;
}

static int check_system(const struct device_scan *s, struct device_info *dev)
{
	for (size_t i = 0; i < s->n_sys; i++)
		if (strcmp(s->sys[i].disk, dev->name) == 0)
			return device_add_reason(dev, DEVICE_REASON_SYSTEM, _("system disk: %s"),
						 s->sys[i].why);
	return 0;
}

static int check_loop_file(struct device_info *dev);

int device_check_disk(const struct device_scan *s, struct device_info *dev)
{
	char ro[16];
	int rc;

	rc = check_loop_file(dev);
	if (rc == 0)
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
				       _("read-only (the kernel says ro)"));
	if (rc == 0 && dev->size_bytes == 0)
		rc = device_add_reason(dev, DEVICE_REASON_NO_MEDIUM, _("no medium (size 0)"));
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
						 _("backs loop device %s/%s"), device_dev_dir(),
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
				 _("in use: opened exclusively by another program"));
}

/* ---- regular files: which are virtual media ----------------------------- */

/* The directories files may be wiped in (device_set_media_dirs). */
static struct {
	char *state_dir;
	char **dirs;
	size_t n;
} media;

static void media_free(void)
{
	free(media.state_dir);
	for (size_t i = 0; i < media.n; i++)
		free(media.dirs[i]);
	free(media.dirs);
	memset(&media, 0, sizeof(media));
}

static pthread_mutex_t media_lock = PTHREAD_MUTEX_INITIALIZER;

static bool media_same(const char *state_dir, const char *const *dirs, size_t n)
{
	if (n != media.n || !state_dir != !media.state_dir ||
	    (state_dir && strcmp(state_dir, media.state_dir) != 0))
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(dirs[i], media.dirs[i]) != 0)
			return false;
	return true;
}

static int media_set(const char *state_dir, const char *const *dirs, size_t n)
{
	if (media_same(state_dir, dirs, n))
		return 0;	/* the station opened again */
	media_free();
	if (state_dir && !(media.state_dir = strdup(state_dir)))
		return -ENOMEM;
	media.dirs = n ? calloc(n, sizeof(*media.dirs)) : NULL;
	if (n && !media.dirs)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		media.dirs[i] = strdup(dirs[i]);
		if (!media.dirs[i])
			goto nomem;
		media.n++;
	}
	return 0;
nomem:
	media_free();
	return -ENOMEM;
}

int device_set_media_dirs(const char *state_dir, const char *const *dirs, size_t n)
{
	int rc;

	pthread_mutex_lock(&media_lock);
	rc = media_set(state_dir, dirs, n);
	pthread_mutex_unlock(&media_lock);
	return rc;
}

/* Directories that hold the system, or that are too wide to be a home for
 * virtual media: never a virtual-media directory, nor inside one. */
static const char *const wide_dirs[] = {
	"/", "/etc", "/usr", "/boot", "/var", "/var/lib", "/bin", "/sbin", "/lib", "/lib32",
	"/lib64", "/root", "/home", "/opt", "/tmp", "/var/tmp", "/proc", "/sys", "/dev", "/run",
};

/* Trees no virtual-media directory may be inside of. */
static const char *const system_trees[] = {
	"/etc", "/usr", "/boot", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/proc", "/sys",
	"/dev",
};

/* Is @path @dir itself (@self) or below it?  Both absolute and clean. */
static bool below(const char *path, const char *dir, bool self)
{
	size_t len = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return self || path[1] != '\0';
	if (strncmp(path, dir, len) != 0)
		return false;
	return path[len] == '/' || (self && path[len] == '\0');
}

/* Check @dir (clean, absolute); messages name it as configured, @name. */
static int dir_check(const char *dir, const char *name, char **cause)
{
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(wide_dirs); i++)
		if (below(wide_dirs[i], dir, true))
			return util_fail(cause, -EINVAL, _("virtual_media_dirs: %s holds %s, "
					 "a system directory"), name, wide_dirs[i]);
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(system_trees); i++)
		if (below(dir, system_trees[i], false))
			return util_fail(cause, -EINVAL, _("virtual_media_dirs: %s is inside %s, "
					 "a system directory"), name, system_trees[i]);
	return 0;
}

int device_media_dir_valid(const char *dir, char **cause)
{
	char clean[PATH_MAX], real[PATH_MAX];
	size_t len;
	int rc;

	if (dir[0] != '/')
		return util_fail(cause, -EINVAL, _("virtual_media_dirs: %s is not an absolute path"),
				 dir);
	len = util_strlcpy(clean, dir, sizeof(clean));
	if (len >= sizeof(clean))
		return util_fail(cause, -EINVAL, _("virtual_media_dirs: %s: path too long"), dir);
	while (len > 1 && clean[len - 1] == '/')	/* "/var/" is "/var" */
		clean[--len] = '\0';
	rc = dir_check(clean, dir, cause);
	if (rc == 0 && realpath(dir, real))
		rc = dir_check(real, dir, cause);
	return rc;
}

/* @dir (a configured name) resolved into @out; false when it does not exist. */
static bool resolve_dir(const char *dir, const char *sub, char *out)
{
	char path[PATH_MAX];

	if (device_bprintf(path, sizeof(path), "%s%s", dir, sub) < 0)
		return false;
	return realpath(path, out) != NULL;
}

/* Where the file open at @fd really is (its name in /proc/self/fd). */
static int fd_path(int fd, char *out, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, out, len - 1);
	if (n < 0)
		return -errno;
	if ((size_t)n >= len - 1)
		return -ENAMETOOLONG;
	out[n] = '\0';
	return 0;
}

static const char *system_tree_of(const char *real)
{
	static const char *const trees[] = {
		"/etc", "/usr", "/boot", "/var/lib", "/bin", "/sbin", "/lib", "/lib32", "/lib64",
		"/root", "/dev", "/proc", "/sys", "/run",
	};

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(trees); i++)
		if (below(real, trees[i], false))
			return trees[i];
	return NULL;
}

/* STATE-DIR/virtual as it must be to hold media: a real directory (not a
 * link that could lead into the state directory or /etc), owned by root or
 * the user custos runs as, writable by nobody else; resolved into @out. */
static bool virtual_dir(const char *state_dir, char *out)
{
	char path[PATH_MAX];
	struct stat st;

	if (device_bprintf(path, sizeof(path), "%s/virtual", state_dir) < 0 ||
	    lstat(path, &st) < 0 || !S_ISDIR(st.st_mode) ||
	    (st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & 022))
		return false;
	return realpath(path, out) != NULL;
}

/*
 * Is the file at @real (the name of the descriptor @st describes) on the
 * same mount as @dir?  A bind mount inside virtual/ shows a path below it
 * while the file lies elsewhere (the state directory, /etc): the mount id
 * tells them apart.  Without STATX_MNT_ID the device number decides.
 */
static bool same_mount(const char *real, const struct stat *st, const char *dir)
{
	struct statx a, b;

	if (statx(AT_FDCWD, real, AT_SYMLINK_NOFOLLOW, STATX_INO | STATX_MNT_ID, &a) < 0 ||
	    statx(AT_FDCWD, dir, 0, STATX_MNT_ID, &b) < 0)
		return false;
	if (a.stx_ino != st->st_ino || makedev(a.stx_dev_major, a.stx_dev_minor) != st->st_dev)
		return false;	/* not the file the descriptor holds */
	if ((a.stx_mask & STATX_MNT_ID) && (b.stx_mask & STATX_MNT_ID))
		return a.stx_mnt_id == b.stx_mnt_id;
	return makedev(b.stx_dev_major, b.stx_dev_minor) == st->st_dev;
}

/* A loop device writes into its backing file: never a file of the state
 * directory (outside virtual/) or a system file, whoever attached it. */
static int check_loop_file(struct device_info *dev)
{
	char file[PATH_MAX], real[PATH_MAX], dir[PATH_MAX], virt[PATH_MAX];
	const char *tree;
	struct stat st;
	char *del;
	int rc = 0;

	if (!dev->backing_file[0])
		return 0;
	util_strlcpy(file, dev->backing_file, sizeof(file));
	del = strstr(file, " (deleted)");
	if (del)
		*del = '\0';
	/* a regular file of this machine (a loop over a disk, or a fixture's
	 * name that exists nowhere here, is judged as a disk) */
	if (!realpath(file, real) || stat(real, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	pthread_mutex_lock(&media_lock);
	if (media.state_dir && resolve_dir(media.state_dir, "", dir) && below(real, dir, false) &&
	    !(virtual_dir(media.state_dir, virt) && below(real, virt, false)))
		rc = device_add_reason(dev, DEVICE_REASON_BACKING, _("a loop device over %s, a "
				       "file of the station's state directory"), real);
	pthread_mutex_unlock(&media_lock);
	tree = rc == 0 ? system_tree_of(real) : NULL;
	if (tree)
		rc = device_add_reason(dev, DEVICE_REASON_BACKING, _("a loop device over %s, a "
				       "system file under %s"), real, tree);
	return rc;
}

/* Inside the station's virtual/ or a named directory?  Reasons otherwise. */
static int check_place_locked(const struct device_scan *s, const struct stat *st,
			      const char *real, struct device_info *dev)
{
	char dir[PATH_MAX], virt[PATH_MAX], at[PATH_MAX + 32] = "";
	const struct device_blkent *b;
	const char *tree, *why;

	if (media.state_dir && virtual_dir(media.state_dir, virt) && below(real, virt, false) &&
	    same_mount(real, st, virt))
		return 0;
	if (strcmp(real, dev->path) != 0)
		device_bprintf(at, sizeof(at), " (the path leads to %s)", real);
	if (media.state_dir && resolve_dir(media.state_dir, "", dir) && below(real, dir, false))
		return device_add_reason(dev, DEVICE_REASON_NOT_MEDIUM,
					 _("a file of the station's state directory %s, not a "
					 "virtual medium (only its virtual/ holds media)%s"), dir, at);
	/* before the named directories: one of them may have become a link */
	tree = system_tree_of(real);
	if (tree)
		return device_add_reason(dev, DEVICE_REASON_NOT_MEDIUM,
					 _("a system file under %s, not a virtual medium%s"), tree, at);
	for (size_t i = 0; i < media.n; i++)
		if (resolve_dir(media.dirs[i], "", dir) && below(real, dir, false) &&
		    dir_check(dir, media.dirs[i], NULL) == 0 && same_mount(real, st, dir))
			return 0;
	b = device_find_devno(s, st->st_dev);
	for (size_t i = 0; b && i < s->n_sys; i++) {
		if (strcmp(s->sys[i].disk, b->disk) != 0)
			continue;
		why = s->sys[i].why;
		return device_add_reason(dev, DEVICE_REASON_SYSTEM,
					 _("a file on the system disk %s (%s), not a virtual "
					 "medium%s"), b->disk, why, at);
	}
	return device_add_reason(dev, DEVICE_REASON_NOT_MEDIUM,
				 _("not a virtual medium: a regular file is wiped only inside "
				 "STATE-DIR/virtual or a directory named by virtual_media_dirs "
				 "in station.conf%s"), at);
}

static int check_place(const struct device_scan *s, const struct stat *st, const char *real,
		       struct device_info *dev)
{
	int rc;

	pthread_mutex_lock(&media_lock);
	rc = check_place_locked(s, st, real, dev);
	pthread_mutex_unlock(&media_lock);
	return rc;
}

/* Root, or the user custos runs as. */
static bool trusted_uid(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

/* A file someone else owns (not root, not the user running custos), in a
 * directory that person or others can write, may have been put there for
 * root to overwrite. */
static int check_owner(const struct stat *st, const char *real, struct device_info *dev)
{
	char parent[PATH_MAX], *slash;
	struct stat pst;

	if (st->st_nlink != 1)
		return device_add_reason(dev, DEVICE_REASON_UNSAFE,
					 _("has %lu hard links (a virtual medium has one name)"),
					 (unsigned long)st->st_nlink);
	if (trusted_uid(st->st_uid))
		return 0;
	util_strlcpy(parent, real, sizeof(parent));
	slash = strrchr(parent, '/');
	if (slash)
		slash[slash == parent ? 1 : 0] = '\0';
	if (stat(parent, &pst) == 0 && trusted_uid(pst.st_uid) &&
	    !(pst.st_mode & (S_IWGRP | S_IWOTH)))
		return 0;
	return device_add_reason(dev, DEVICE_REASON_UNSAFE,
				 _("owned by uid %u in %s, a directory others can write"),
				 (unsigned)st->st_uid, parent);
}

/* Add the reasons of the regular file open at @fd (stat @st). */
int device_check_file(const struct device_scan *s, int fd, const struct stat *st,
		      struct device_info *dev)
{
	char real[PATH_MAX];
	int rc;

	rc = fd_path(fd, real, sizeof(real));
	if (rc < 0)
		return device_add_reason(dev, DEVICE_REASON_NOT_MEDIUM,
					 _("cannot tell where the file lies (%s)"), strerror(-rc));
	util_strlcpy(dev->backing_file, real, sizeof(dev->backing_file));
	if (real[0] != '/' || st->st_nlink == 0)
		return device_add_reason(dev, DEVICE_REASON_NOT_MEDIUM,
					 _("the file has no name in the file system (%s)"), real);
	rc = check_place(s, st, real, dev);
	if (rc == 0)
		rc = check_owner(st, real, dev);
	return rc;
}

/* ---- regular files: exclusive use --------------------------------------- */

static void describe_pid(pid_t pid, const char *how, char *out, size_t len)
{
	char path[64], comm[64] = "";

	char *data = NULL;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	if (util_read_file(path, &data, &n) == 0) {
		util_strlcpy(comm, util_strstrip(data), sizeof(comm));
		free(data);
	}
	snprintf(out, len, "%s by pid %d (%s)", how, (int)pid, comm[0] ? comm : "?");
}

static bool pid_opens(const char *pid, const struct stat *st, bool writers, char *out,
		      size_t len);

enum lock_seen { LOCK_NONE, LOCK_OTHER, LOCK_NAMED };

/*
 * The locks on @st in /proc/locks held by anyone but us (a waiter is not a
 * holder): LOCK_NAMED with the first living holder described in @out,
 * LOCK_OTHER when no holder shows a living pid (an OFD lock shows -1, the
 * locker may be gone; an OFD lock of ours is not counted), LOCK_NONE.
 */
static enum lock_seen lock_scan(const struct stat *st, char *out, size_t len)
{
	char line[256], type[16], proc[32];
	unsigned ma, mi;
	unsigned long long ino;
	enum lock_seen seen = LOCK_NONE;
	FILE *f;
	int pid;

	f = fopen("/proc/locks", "re");
	if (!f)
		return LOCK_NONE;
	while (seen != LOCK_NAMED && fgets(line, sizeof(line), f)) {
		const char *p = strchr(line, ':');

		if (!p || strstr(line, "->") ||
		    sscanf(p + 1, " %15s %*s %*s %d %x:%x:%llu", type, &pid, &ma, &mi, &ino) != 5)
			continue;
		if (ma != major(st->st_dev) || mi != minor(st->st_dev) ||
		    ino != (unsigned long long)st->st_ino || pid == getpid())
			continue;
		/* an OFD lock shows no pid: ours, when we have the file open */
		if (pid < 0 && pid_opens("self", st, false, NULL, 0))
			continue;
		seen = LOCK_OTHER;
		snprintf(proc, sizeof(proc), "/proc/%d", pid);
		if (pid <= 0 || access(proc, F_OK) != 0)
			continue;	/* the locker is gone; whoever inherited it is found by fd */
		describe_pid(pid, strcmp(type, "FLOCK") == 0 ? "locked (flock)" :
			     strcmp(type, "OFDLCK") == 0 ? "locked (OFD lock)" : "locked (fcntl)",
			     out, len);
		seen = LOCK_NAMED;
	}
	fclose(f);
	return seen;
}

/* Access mode of descriptor @fd of @pid, from its fdinfo; -1 unknown,
 * O_PATH for a descriptor that only names the file (no I/O). */
static int fd_accmode(const char *pid, const char *fd)
{
	char path[PATH_MAX], *data = NULL, *p;
	unsigned long flags;
	size_t n;
	int mode = -1;

	device_bprintf(path, sizeof(path), "/proc/%s/fdinfo/%s", pid, fd);
	if (util_read_file(path, &data, &n) < 0)
		return -1;
	p = strstr(data, "flags:");
	if (p && sscanf(p + 6, "%lo", &flags) == 1)
		mode = (flags & O_PATH) ? O_PATH : (int)(flags & O_ACCMODE);
	free(data);
	return mode;
}

/* Does process @pid (a /proc entry) have @st open, for writing when
 * @writers?  Describes it into @out. */
static bool pid_opens(const char *pid, const struct stat *st, bool writers, char *out, size_t len)
{
	char path[PATH_MAX];
	struct dirent *de;
	bool found = false;
	struct stat fst;
	DIR *d;

	device_bprintf(path, sizeof(path), "/proc/%s/fd", pid);
	d = opendir(path);
	while (d && !found && (de = readdir(d))) {
		int mode;

		if (de->d_name[0] == '.')
			continue;
		device_bprintf(path, sizeof(path), "/proc/%s/fd/%s", pid, de->d_name);
		if (stat(path, &fst) != 0 || fst.st_dev != st->st_dev || fst.st_ino != st->st_ino)
			continue;
		mode = fd_accmode(pid, de->d_name);
		if (mode == O_PATH || (writers && mode == O_RDONLY))
			continue;
		if (out)
			describe_pid((pid_t)atoi(pid), mode == O_RDONLY ? "open" :
				     "open for writing", out, len);
		found = true;
	}
	if (d)
		closedir(d);
	return found;
}

/* The first other process with @st open (for writing when @writers). */
static bool file_opener(const struct stat *st, bool writers, char *out, size_t len)
{
	struct dirent *de;
	bool found = false;
	char self[32];
	DIR *d;

	snprintf(self, sizeof(self), "%d", (int)getpid());
	d = opendir("/proc");
	while (d && !found && (de = readdir(d)))
		if (isdigit((unsigned char)de->d_name[0]) && strcmp(de->d_name, self) != 0)
			found = pid_opens(de->d_name, st, writers, out, len);
	if (d)
		closedir(d);
	return found;
}

/* In use by another process: a lock on it, or open for writing. */
int device_check_file_use(const struct stat *st, struct device_info *dev)
{
	char who[160];
	enum lock_seen lock = lock_scan(st, who, sizeof(who));

	if (lock == LOCK_NAMED || file_opener(st, true, who, sizeof(who)))
		return device_add_reason(dev, DEVICE_REASON_IN_USE, _("in use: %s"), who);
	if (lock == LOCK_NONE)
		return 0;
	if (!file_opener(st, false, who, sizeof(who)))
		util_strlcpy(who, "another program holds a lock on it", sizeof(who));
	return device_add_reason(dev, DEVICE_REASON_IN_USE, _("in use: %s (a lock)"), who);
}

/* Name whoever keeps us from locking @st: a lock holder, else any opener. */
static int busy(const struct stat *st, const char *name, const char *what, char **cause)
{
	char who[160];

	if (lock_scan(st, who, sizeof(who)) == LOCK_NAMED ||
	    file_opener(st, false, who, sizeof(who)))
		return util_fail(cause, -EBUSY, _("%s: in use: %s (%s refused)"), name, who, what);
	return util_fail(cause, -EBUSY, _("%s: in use: another program holds a lock on it (%s "
			 "refused)"), name, what);
}

int device_lock_file(int fd, int wfd, const char *name, char **cause)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char who[160];
	struct stat st;

	if (fstat(fd, &st) < 0)
		return util_fail(cause, -errno, _("%s: fstat: %s"), name, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			return busy(&st, name, "flock", cause);
		return util_fail(cause, -errno, _("%s: flock: %s"), name, strerror(errno));
	}
	if (wfd < 0)
		return 0;
	if (fcntl(wfd, F_OFD_SETLK, &fl) < 0) {
		if (errno == EAGAIN || errno == EACCES)
			return busy(&st, name, "OFD lock", cause);
		return util_fail(cause, -errno, _("%s: F_OFD_SETLK: %s"), name, strerror(errno));
	}
	if (file_opener(&st, true, who, sizeof(who)))
		return util_fail(cause, -EBUSY, _("%s: in use: %s"), name, who);
	return 0;
}
