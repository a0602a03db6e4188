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
#include "device.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <atasmart.h>
#include <libudev.h>

#include "util.h"

#define NAME_LEN 64
#define MAX_DEPTH 8		/* dm on md on partitions: deep enough, no cycles */

struct blkent {
	char name[NAME_LEN];	/* sdb1 */
	char disk[NAME_LEN];	/* sdb (equal to name for a whole disk) */
	dev_t devno;
};

struct mountent {
	dev_t devno;
	char *source;
	char *target;
};

struct loopent {
	char name[NAME_LEN];
	char backing[PATH_MAX];
};

struct sysdisk {
	char disk[NAME_LEN];
	char why[256];
};

/* Machine-wide facts gathered once per list or probe. */
struct scan {
	struct blkent *blk;
	size_t n_blk;
	struct mountent *mnt;
	size_t n_mnt;
	char **swaps;
	size_t n_swaps;
	struct loopent *loops;
	size_t n_loops;
	struct sysdisk *sys;
	size_t n_sys;
};

static struct {
	char sysfs[PATH_MAX];
	char proc[PATH_MAX];
	char dev[PATH_MAX];
	char udev_db[PATH_MAX];
} roots = { "/sys", "/proc", "/dev", "/run/udev" };

void device_set_roots(const struct device_roots *r)
{
	util_strlcpy(roots.sysfs, r && r->sysfs ? r->sysfs : "/sys", sizeof(roots.sysfs));
	util_strlcpy(roots.proc, r && r->proc ? r->proc : "/proc", sizeof(roots.proc));
	util_strlcpy(roots.dev, r && r->dev ? r->dev : "/dev", sizeof(roots.dev));
	util_strlcpy(roots.udev_db, r && r->udev_db ? r->udev_db : "/run/udev",
		     sizeof(roots.udev_db));
}

/* snprintf into @buf; -ENAMETOOLONG when the result did not fit. */
static int bprintf(char *buf, size_t len, const char *fmt, ...) UTIL_PRINTF(3, 4);
static int bprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* True when reading the real machine (libudev and libatasmart only work there). */
static bool real_roots(void)
{
	return strcmp(roots.sysfs, "/sys") == 0 && strcmp(roots.dev, "/dev") == 0;
}

static bool use_udev(void)
{
	char p[PATH_MAX];

	if (!real_roots())
		return false;
	bprintf(p, sizeof(p), "%s/data", roots.udev_db);
	return access(p, F_OK) == 0;
}

/* Grow @arr to hold one more element of @size; NULL on failure (arr kept). */
static void *grow(void *arr, size_t n, size_t size)
{
	if (n % 16)
		return arr;
	return realloc(arr, (n + 16) * size);
}

/* Read <sysfs>/<rel> into @buf with white space stripped; 0 or -errno. */
static int sys_read(char *buf, size_t len, const char *fmt, ...) UTIL_PRINTF(3, 4);
static int sys_read(char *buf, size_t len, const char *fmt, ...)
{
	char rel[PATH_MAX], path[PATH_MAX * 2];
	char *data = NULL;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	bprintf(path, sizeof(path), "%s/%s", roots.sysfs, rel);
	buf[0] = '\0';
	rc = util_read_file(path, &data, NULL);
	if (rc < 0)
		return rc;
	util_strlcpy(buf, util_strstrip(data), len);
	free(data);
	return 0;
}

/* <sysfs>/block/<name>/<attr> as a number. */
static int sys_read_u64(uint64_t *out, const char *name, const char *attr)
{
	char buf[64];
	int rc;

	rc = sys_read(buf, sizeof(buf), "block/%s/%s", name, attr);
	if (rc < 0)
		return rc;
	return util_parse_u64(buf, out, 0);
}

static int parse_devno(const char *s, dev_t *out)
{
	unsigned ma, mi;
	char end;

	if (sscanf(s, "%u:%u%c", &ma, &mi, &end) != 2)
		return -EINVAL;
	*out = makedev(ma, mi);
	return 0;
}

/* Undo the octal escapes (\040) of /proc/self/mountinfo and /proc/swaps. */
static void unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*w++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 3;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* ---- the scan ---------------------------------------------------------- */

static void scan_free(struct scan *s)
{
	for (size_t i = 0; i < s->n_mnt; i++) {
		free(s->mnt[i].source);
		free(s->mnt[i].target);
	}
	for (size_t i = 0; i < s->n_swaps; i++)
		free(s->swaps[i]);
	free(s->blk);
	free(s->mnt);
	free(s->swaps);
	free(s->loops);
	free(s->sys);
	memset(s, 0, sizeof(*s));
}

/* Record the whole disk @disk, or its partition @part when not NULL. */
static int scan_add_blk(struct scan *s, const char *disk, const char *part)
{
	const char *name = part ? part : disk;
	char buf[64];
	struct blkent *b;
	dev_t devno;

	if (sys_read(buf, sizeof(buf), "block/%s/%s%sdev", disk, part ? part : "",
		     part ? "/" : "") < 0 || parse_devno(buf, &devno) < 0)
		return 0;	/* vanished or odd: not a block device we can use */
	b = grow(s->blk, s->n_blk, sizeof(*b));
	if (!b)
		return -ENOMEM;
	s->blk = b;
	b = &s->blk[s->n_blk++];
	util_strlcpy(b->name, name, sizeof(b->name));
	util_strlcpy(b->disk, disk, sizeof(b->disk));
	b->devno = devno;
	return 0;
}

static int scan_add_loop(struct scan *s, const char *name)
{
	char backing[PATH_MAX];
	struct loopent *l;
	char *del;

	if (sys_read(backing, sizeof(backing), "block/%s/loop/backing_file", name) < 0 ||
	    !backing[0])
		return 0;
	del = strstr(backing, " (deleted)");
	if (del)
		*del = '\0';
	l = grow(s->loops, s->n_loops, sizeof(*l));
	if (!l)
		return -ENOMEM;
	s->loops = l;
	l = &s->loops[s->n_loops++];
	util_strlcpy(l->name, name, sizeof(l->name));
	util_strlcpy(l->backing, backing, sizeof(l->backing));
	return 0;
}

/* A disk's partitions are the subdirectories holding a "partition" file. */
static int scan_partitions(struct scan *s, const char *disk)
{
	char path[PATH_MAX * 2];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	bprintf(path, sizeof(path), "%s/block/%s", roots.sysfs, disk);
	d = opendir(path);
	if (!d)
		return 0;
	while (rc == 0 && (de = readdir(d))) {
		char part[PATH_MAX * 3];

		if (de->d_name[0] == '.')
			continue;
		bprintf(part, sizeof(part), "%s/%s/partition", path, de->d_name);
		if (access(part, F_OK) == 0)
			rc = scan_add_blk(s, disk, de->d_name);
	}
	closedir(d);
	return rc;
}

static int scan_blocks(struct scan *s)
{
	char path[PATH_MAX + 8];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	bprintf(path, sizeof(path), "%s/block", roots.sysfs);
	d = opendir(path);
	if (!d)
		return -errno;
	while (rc == 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= NAME_LEN)
			continue;
		rc = scan_add_blk(s, de->d_name, NULL);
		if (rc == 0)
			rc = scan_partitions(s, de->d_name);
		if (rc == 0 && strncmp(de->d_name, "loop", 4) == 0)
			rc = scan_add_loop(s, de->d_name);
	}
	closedir(d);
	return rc;
}

/* One line of mountinfo: "id parent maj:min root target opts... - fstype source superopts". */
static int scan_mount_line(struct scan *s, char *line)
{
	char *f[6] = { NULL }, *sep, *save = NULL, *tok;
	struct mountent *m;
	dev_t devno;
	int i = 0;

	sep = strstr(line, " - ");
	if (!sep)
		return 0;
	*sep = '\0';
	for (tok = strtok_r(line, " ", &save); tok && i < 5; tok = strtok_r(NULL, " ", &save))
		f[i++] = tok;
	if (i < 5 || parse_devno(f[2], &devno) < 0)
		return 0;
	save = NULL;
	strtok_r(sep + 3, " ", &save);			/* fstype */
	f[5] = strtok_r(NULL, " ", &save);		/* source */
	m = grow(s->mnt, s->n_mnt, sizeof(*m));
	if (!m)
		return -ENOMEM;
	s->mnt = m;
	m = &s->mnt[s->n_mnt];
	m->devno = devno;
	m->target = strdup(f[4]);
	m->source = strdup(f[5] ? f[5] : "none");
	if (!m->target || !m->source) {
		free(m->target);
		free(m->source);
		return -ENOMEM;
	}
	unescape(m->target);
	unescape(m->source);
	s->n_mnt++;
	return 0;
}

/* Call @fn on each line of <proc>/<rel>; a missing file counts as empty. */
static int for_each_line(const char *rel, struct scan *s, int (*fn)(struct scan *, char *))
{
	char path[PATH_MAX + 32];
	char *data = NULL, *save = NULL, *line;
	int rc;

	bprintf(path, sizeof(path), "%s/%s", roots.proc, rel);
	rc = util_read_file(path, &data, NULL);
	if (rc < 0)
		return rc == -ENOENT ? 0 : rc;
	for (line = strtok_r(data, "\n", &save); line && rc == 0; line = strtok_r(NULL, "\n", &save))
		rc = fn(s, line);
	free(data);
	return rc;
}

static int scan_swap_line(struct scan *s, char *line)
{
	char *end, **sw;

	if (strncmp(line, "Filename", 8) == 0)
		return 0;
	end = strpbrk(line, " \t");
	if (end)
		*end = '\0';
	sw = grow(s->swaps, s->n_swaps, sizeof(*sw));
	if (!sw)
		return -ENOMEM;
	s->swaps = sw;
	s->swaps[s->n_swaps] = strdup(line);
	if (!s->swaps[s->n_swaps])
		return -ENOMEM;
	unescape(s->swaps[s->n_swaps++]);
	return 0;
}

static const struct blkent *find_devno(const struct scan *s, dev_t devno)
{
	for (size_t i = 0; i < s->n_blk; i++)
		if (s->blk[i].devno == devno)
			return &s->blk[i];
	return NULL;
}

static const struct blkent *find_name(const struct scan *s, const char *name)
{
	for (size_t i = 0; i < s->n_blk; i++)
		if (strcmp(s->blk[i].name, name) == 0)
			return &s->blk[i];
	return NULL;
}

/* The block device a path names: by its device number when it exists on
 * this machine, else by the base name of a /dev path (fixtures). */
static const struct blkent *find_path(const struct scan *s, const char *path)
{
	const struct blkent *b = NULL;
	struct stat st;

	if (real_roots() && stat(path, &st) == 0 && S_ISBLK(st.st_mode))
		b = find_devno(s, st.st_rdev);
	if (!b && strncmp(path, "/dev/", 5) == 0)
		b = find_name(s, base_name(path));
	return b;
}

static int mark_system(struct scan *s, const char *disk, const char *why)
{
	struct sysdisk *sd;

	for (size_t i = 0; i < s->n_sys; i++)
		if (strcmp(s->sys[i].disk, disk) == 0)
			return 0;
	sd = grow(s->sys, s->n_sys, sizeof(*sd));
	if (!sd)
		return -ENOMEM;
	s->sys = sd;
	sd = &s->sys[s->n_sys++];
	util_strlcpy(sd->disk, disk, sizeof(sd->disk));
	util_strlcpy(sd->why, why, sizeof(sd->why));
	return 0;
}

static int resolve_system(struct scan *s, const struct blkent *b, const char *why, int depth);

/* Follow the slaves/ of a dm or md device, and the file behind a loop. */
static int resolve_lower(struct scan *s, const char *disk, const char *why, int depth)
{
	char path[PATH_MAX + 80];
	struct dirent *de;
	struct stat st;
	int rc = 0, n = 0;
	DIR *d;

	bprintf(path, sizeof(path), "%s/block/%s/slaves", roots.sysfs, disk);
	d = opendir(path);
	while (d && rc == 0 && (de = readdir(d))) {
		const struct blkent *lower;

		if (de->d_name[0] == '.')
			continue;
		n++;
		lower = find_name(s, de->d_name);
		if (lower)
			rc = resolve_system(s, lower, why, depth + 1);
	}
	if (d)
		closedir(d);
	if (rc || n)
		return rc;
	for (size_t i = 0; i < s->n_loops; i++) {
		if (strcmp(s->loops[i].name, disk) != 0 || !real_roots() ||
		    stat(s->loops[i].backing, &st) != 0)
			continue;
		if (S_ISBLK(st.st_mode) && find_devno(s, st.st_rdev))
			return resolve_system(s, find_devno(s, st.st_rdev), why, depth + 1);
		if (find_devno(s, st.st_dev))
			return resolve_system(s, find_devno(s, st.st_dev), why, depth + 1);
	}
	return mark_system(s, disk, why);
}

static int resolve_system(struct scan *s, const struct blkent *b, const char *why, int depth)
{
	if (depth > MAX_DEPTH)
		return 0;
	return resolve_lower(s, b->disk, why, depth);
}

/* The disks holding /, /boot, /boot/efi, /usr, and a live system's boot medium. */
static int scan_system(struct scan *s)
{
	static const char *const targets[] = {
		"/", "/boot", "/boot/efi", "/usr",
		"/run/live/medium", "/lib/live/mount/medium", "/cdrom",
	};
	int rc = 0;

	for (size_t i = 0; i < s->n_mnt && rc == 0; i++) {
		const struct mountent *m = &s->mnt[i];
		const struct blkent *b;
		bool wanted = false;
		char why[256];

		for (size_t t = 0; t < UTIL_ARRAY_SIZE(targets); t++)
			wanted |= strcmp(m->target, targets[t]) == 0;
		if (!wanted)
			continue;
		b = find_devno(s, m->devno);
		if (!b)
			b = find_path(s, m->source);	/* btrfs: anonymous device numbers */
		if (!b)
			continue;
		bprintf(why, sizeof(why), "system disk: holds %s (%s)", m->target, m->source);
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
static const struct blkent *find_link(const struct scan *s, const char *rel)
{
	char path[PATH_MAX + 80], target[PATH_MAX];
	ssize_t n;

	bprintf(path, sizeof(path), "%s%s", roots.dev, rel);
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return NULL;
	target[n] = '\0';
	return find_name(s, base_name(target));
}

/* A device named as /dev/..., or TAG=value (UUID, LABEL, CDLABEL, PARTUUID,
 * PARTLABEL) looked up in <dev>/disk/by-*; dracut's "live:" prefix allowed. */
static const struct blkent *find_spec(const struct scan *s, const char *spec)
{
	static const struct {
		const char *tag, *dir;
	} tags[] = {
		{ "UUID=", "by-uuid" }, { "LABEL=", "by-label" }, { "CDLABEL=", "by-label" },
		{ "PARTUUID=", "by-partuuid" }, { "PARTLABEL=", "by-partlabel" },
	};
	char rel[PATH_MAX];
	const struct blkent *b;

	if (strncmp(spec, "live:", 5) == 0)
		spec += 5;
	if (strncmp(spec, "/dev/", 5) == 0) {
		b = find_link(s, spec + 4);
		return b ? b : find_path(s, spec);
	}
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(tags); i++) {
		size_t t = strlen(tags[i].tag);
		char enc[NAME_MAX + 1];

		if (strncmp(spec, tags[i].tag, t) != 0 || !spec[t])
			continue;
		udev_encode(spec + t, enc, sizeof(enc));
		bprintf(rel, sizeof(rel), "/disk/%s/%s", tags[i].dir, enc);
		return find_link(s, rel);
	}
	return NULL;
}

/* One word of the command line: root=, live-media=, bootfrom= and a
 * BOOT_IMAGE= that names a device (GRUB's own (hdX,Y) names cannot be
 * resolved and are ignored). */
static int cmdline_word(struct scan *s, const char *w)
{
	static const char *const keys[] = { "root=", "live-media=", "bootfrom=", "BOOT_IMAGE=" };
	const struct blkent *b;
	char why[256];

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(keys); i++) {
		size_t k = strlen(keys[i]);

		if (strncmp(w, keys[i], k) != 0)
			continue;
		b = find_spec(s, w + k);
		if (!b)
			return 0;
		bprintf(why, sizeof(why), "system disk: boot medium named on the kernel "
			"command line (%s)", w);
		return resolve_system(s, b, why, 0);
	}
	return 0;
}

/* <proc>/cmdline: words separated by spaces, "double quotes" group. */
static int scan_cmdline(struct scan *s, char *line)
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

static int scan_build(struct scan *s, char **cause)
{
	int rc;

	memset(s, 0, sizeof(*s));
	rc = scan_blocks(s);
	if (rc < 0) {
		rc = util_fail(cause, rc, "cannot read %s/block: %s", roots.sysfs, strerror(-rc));
		goto out;
	}
	rc = for_each_line("self/mountinfo", s, scan_mount_line);
	if (rc == 0)
		rc = for_each_line("swaps", s, scan_swap_line);
	if (rc == 0)
		rc = scan_system(s);
	if (rc == 0)
		rc = for_each_line("cmdline", s, scan_cmdline);
	if (rc < 0)
		rc = util_fail(cause, rc, "cannot read mounts and swaps under %s: %s", roots.proc,
			       strerror(-rc));
out:
	if (rc < 0)
		scan_free(s);
	return rc;
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
	bprintf(buf + used, len - used, "%s%s (%s)", used ? ", " : "", target, source);
}

static bool in_disk(const struct scan *s, const struct blkent *b, const char *disk)
{
	(void)s;
	return b && strcmp(b->disk, disk) == 0;
}

static int check_mounts(const struct scan *s, struct device_info *dev)
{
	char list[512] = "";

	for (size_t i = 0; i < s->n_mnt; i++) {
		const struct mountent *m = &s->mnt[i];
		const struct blkent *b = find_devno(s, m->devno);

		if (!in_disk(s, b, dev->name) && strncmp(m->source, "/dev/", 5) == 0)
			b = find_path(s, m->source);
		if (in_disk(s, b, dev->name))
			list_append(list, sizeof(list), m->target, m->source);
	}
	if (!list[0])
		return 0;
	return device_add_reason(dev, DEVICE_REASON_MOUNTED, "mounted on %s", list);
}

static int check_swaps(const struct scan *s, struct device_info *dev)
{
	for (size_t i = 0; i < s->n_swaps; i++)
		if (in_disk(s, find_path(s, s->swaps[i]), dev->name))
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
	bprintf(path, sizeof(path), "%s/block/%s/holders", roots.sysfs, rel);
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

static int check_holders(const struct scan *s, struct device_info *dev)
{
	char holder[NAME_LEN], rel[NAME_LEN * 2 + 2];

	for (size_t i = 0; i < s->n_blk; i++) {
		const struct blkent *b = &s->blk[i];

		if (strcmp(b->disk, dev->name) != 0)
			continue;
		if (strcmp(b->name, b->disk) == 0)
			bprintf(rel, sizeof(rel), "%s", b->name);
		else
			bprintf(rel, sizeof(rel), "%s/%s", b->disk, b->name);
		first_holder(rel, holder, sizeof(holder));
		if (holder[0] && strcmp(b->name, b->disk) == 0)
			return device_add_reason(dev, DEVICE_REASON_HELD, "held by %s", holder);
		if (holder[0])
			return device_add_reason(dev, DEVICE_REASON_HELD, "held by %s (via %s)",
						 holder, b->name);
	}
	for (size_t i = 0; i < s->n_loops; i++)
		if (in_disk(s, find_path(s, s->loops[i].backing), dev->name))
			return device_add_reason(dev, DEVICE_REASON_HELD,
						 "held by %s (a loop device over %s)",
						 s->loops[i].name, s->loops[i].backing);
	return 0;
}

static int check_system(const struct scan *s, struct device_info *dev)
{
	for (size_t i = 0; i < s->n_sys; i++)
		if (strcmp(s->sys[i].disk, dev->name) == 0)
			return device_add_reason(dev, DEVICE_REASON_SYSTEM, "%s", s->sys[i].why);
	return 0;
}

static int check_disk(const struct scan *s, struct device_info *dev)
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
	if (rc == 0 && sys_read(ro, sizeof(ro), "block/%s/ro", dev->name) == 0 &&
	    strcmp(ro, "1") == 0)
		rc = device_add_reason(dev, DEVICE_REASON_READONLY, "read-only (the kernel says ro)");
	if (rc == 0 && dev->size_bytes == 0)
		rc = device_add_reason(dev, DEVICE_REASON_NO_MEDIUM, "no medium (size 0)");
	return rc;
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

	bprintf(path, sizeof(path), "%s/block/%s/device/vpd_pg80", roots.sysfs, name);
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

	bprintf(dir, sizeof(dir), "block/%s", link);
	while ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		if (strchr(base_name(dir), ':') || strncmp(base_name(dir), "usb", 3) == 0)
			continue;
		if (sys_read(buf, sizeof(buf), "%s/serial", dir) == 0 && buf[0]) {
			util_strlcpy(out, buf, len);
			return;
		}
	}
}

static void wwn_from_sysfs(struct device_info *dev)
{
	char buf[128];

	if (sys_read(buf, sizeof(buf), "block/%s/wwid", dev->name) < 0 &&
	    sys_read(buf, sizeof(buf), "block/%s/device/wwid", dev->name) < 0)
		return;
	if (strncmp(buf, "naa.", 4) == 0)
		bprintf(dev->wwn, sizeof(dev->wwn), "0x%s", buf + 4);
	else if (strncmp(buf, "eui.", 4) == 0)
		util_strlcpy(dev->wwn, buf, sizeof(dev->wwn));
	/* t10 and nvme.<vendor> ids are not world wide names */
}

static void identity_sysfs(struct device_info *dev, const char *link)
{
	const char *n = dev->name;

	sys_read(dev->vendor, sizeof(dev->vendor), "block/%s/device/vendor", n);
	if (strncmp(dev->vendor, "0x", 2) == 0)	/* a PCI id (virtio), not a name */
		dev->vendor[0] = '\0';
	if (sys_read(dev->model, sizeof(dev->model), "block/%s/device/model", n) < 0)
		sys_read(dev->model, sizeof(dev->model), "block/%s/device/name", n);
	if (sys_read(dev->serial, sizeof(dev->serial), "block/%s/device/serial", n) < 0 &&
	    sys_read(dev->serial, sizeof(dev->serial), "block/%s/serial", n) < 0)
		serial_from_vpd80(n, dev->serial, sizeof(dev->serial));
	if (!dev->serial[0] && dev->transport == DEVICE_TRANSPORT_USB)
		serial_from_usb(link, dev->serial, sizeof(dev->serial));
	if (sys_read(dev->firmware_rev, sizeof(dev->firmware_rev), "block/%s/device/rev", n) < 0 &&
	    sys_read(dev->firmware_rev, sizeof(dev->firmware_rev),
		     "block/%s/device/firmware_rev", n) < 0)
		sys_read(dev->firmware_rev, sizeof(dev->firmware_rev), "block/%s/device/fwrev", n);
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

/* SMART summary of an ATA disk.  Failures leave it unavailable: discovery
 * never fails because of SMART, and a sleeping disk is not woken up. */
static void read_smart(struct device_info *dev)
{
	struct device_smart *sm = &dev->smart;
	SkBool avail = 0, awake = 1, good = 0;
	SkSmartOverall ov;
	uint64_t v;
	SkDisk *sk;

	if (sk_disk_open(dev->path, &sk) < 0)
		return;
	if (sk_disk_smart_is_available(sk, &avail) < 0 || !avail ||
	    (sk_disk_check_sleep_mode(sk, &awake) == 0 && !awake) ||
	    sk_disk_smart_read_data(sk) < 0)
		goto out;
	sm->available = true;
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
out:
	sk_disk_free(sk);
}

static void read_geometry(struct device_info *dev)
{
	uint64_t v;

	if (sys_read_u64(&v, dev->name, "queue/logical_block_size") == 0)
		dev->logical_sector_size = (uint32_t)v;
	if (sys_read_u64(&v, dev->name, "queue/physical_block_size") == 0)
		dev->physical_sector_size = (uint32_t)v;
	if (!dev->logical_sector_size)
		dev->logical_sector_size = 512;
	if (dev->physical_sector_size < dev->logical_sector_size)
		dev->physical_sector_size = dev->logical_sector_size;
	if (sys_read_u64(&v, dev->name, "queue/rotational") == 0)
		dev->rotational = v != 0;
	if (sys_read_u64(&v, dev->name, "removable") == 0)
		dev->removable = v != 0;
}

/* Describe the whole disk @name against @s. */
static int describe_disk(const struct scan *s, const char *name, struct device_info *dev,
			 char **cause)
{
	char link[PATH_MAX + 8], sysl[PATH_MAX + 16];
	uint64_t sectors;
	ssize_t n;
	int rc;

	memset(dev, 0, sizeof(*dev));
	smart_unknown(&dev->smart);
	util_strlcpy(dev->name, name, sizeof(dev->name));
	bprintf(dev->path, sizeof(dev->path), "%s/%s", roots.dev, name);
	rc = sys_read_u64(&sectors, name, "size");
	if (rc == -ENOENT)
		return util_fail(cause, -ENODEV, "%s vanished while being described", dev->path);
	if (rc < 0)
		return util_fail(cause, rc, "%s: cannot read %s/block/%s/size: %s", dev->path,
				 roots.sysfs, name, strerror(-rc));
	dev->size_bytes = sectors * 512u;
	bprintf(sysl, sizeof(sysl), "%s/block/%s", roots.sysfs, name);
	n = readlink(sysl, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	dev->transport = transport_of(name, link);
	read_geometry(dev);
	identity_sysfs(dev, link);
	if (use_udev())
		identity_udev(dev);
	sys_read(dev->backing_file, sizeof(dev->backing_file), "block/%s/loop/backing_file", name);
	rc = check_disk(s, dev);
	if (rc == 0 && access(sysl, F_OK) != 0)
		rc = util_fail(cause, -ENODEV, "%s vanished while being described", dev->path);
	else if (rc < 0)
		rc = util_fail(cause, rc, "%s: %s", dev->path, strerror(-rc));
	if (rc == 0 && dev->transport == DEVICE_TRANSPORT_SATA && real_roots() && dev->size_bytes)
		read_smart(dev);
	if (rc < 0)
		device_info_clear(dev);
	return rc;
}

/* Loop devices whose backing file is @st (or named @path, for fixtures). */
static int check_backing(const struct scan *s, struct device_info *dev, const struct stat *st)
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
						 "backs loop device %s/%s", roots.dev,
						 s->loops[i].name);
	}
	return 0;
}

static int describe_file(const struct scan *s, const char *path, const struct stat *st,
			 struct device_info *dev, char **cause)
{
	int rc;

	memset(dev, 0, sizeof(*dev));
	smart_unknown(&dev->smart);
	util_strlcpy(dev->path, path, sizeof(dev->path));
	util_strlcpy(dev->name, base_name(path), sizeof(dev->name));
	if (!realpath(path, dev->backing_file))
		util_strlcpy(dev->backing_file, path, sizeof(dev->backing_file));
	dev->size_bytes = (uint64_t)st->st_size;
	dev->logical_sector_size = 512;
	dev->physical_sector_size = 4096;
	dev->transport = DEVICE_TRANSPORT_FILE;
	rc = check_backing(s, dev, st);
	if (rc == 0 && access(path, W_OK) != 0)
		rc = device_add_reason(dev, DEVICE_REASON_READONLY, "read-only file (%s)",
				       strerror(errno));
	if (rc < 0) {
		device_info_clear(dev);
		return util_fail(cause, rc, "%s: %s", path, strerror(-rc));
	}
	return 0;
}

/* An exclusive open fails with EBUSY while the kernel or a program holds
 * the device.  Only worth saying when no other reason explains it. */
static int check_in_use(struct device_info *dev)
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

static int probe_block(const struct scan *s, const char *path, const struct stat *st,
		       struct device_info *out, char **cause)
{
	const struct blkent *b = find_devno(s, st->st_rdev);
	int rc;

	if (!b)
		return util_fail(cause, -ENODEV, "%s: block device %u:%u is not in %s/block",
				 path, major(st->st_rdev), minor(st->st_rdev), roots.sysfs);
	if (strcmp(b->name, b->disk) != 0)
		return util_fail(cause, -ENOTBLK,
				 "%s is partition %s of %s; name the whole disk %s/%s", path,
				 b->name, b->disk, roots.dev, b->disk);
	rc = describe_disk(s, b->disk, out, cause);
	if (rc == 0 && strcmp(path, out->path) != 0 && real_roots())
		util_strlcpy(out->path, path, sizeof(out->path));
	if (rc == 0)
		rc = check_in_use(out);
	return rc;
}

int device_probe(const char *path, struct device_info *out, char **cause)
{
	struct scan s;
	struct stat st;
	int rc;

	memset(out, 0, sizeof(*out));
	if (stat(path, &st) < 0)
		return util_fail(cause, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISBLK(st.st_mode) && !S_ISREG(st.st_mode))
		return util_fail(cause, -ENOTBLK, "%s is neither a block device nor a regular file",
				 path);
	rc = scan_build(&s, cause);
	if (rc < 0)
		return rc;
	if (S_ISBLK(st.st_mode))
		rc = probe_block(&s, path, &st, out, cause);
	else
		rc = describe_file(&s, path, &st, out, cause);
	scan_free(&s);
	return rc;
}

/* ---- listing ----------------------------------------------------------- */

/* Block devices that are not media: device-mapper and md arrays (they are
 * holders), optical drives, floppies, network block devices, the boot and
 * RPMB areas of an eMMC (parts of its main disk), and loop devices with
 * nothing attached. */
static bool listed(const struct scan *s, const char *name)
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
	char (*v)[NAME_LEN];
	size_t n;
};

static int names_add(struct names *nm, const char *name)
{
	char (*v)[NAME_LEN];

	if (strlen(name) >= NAME_LEN)
		return 0;
	v = grow(nm->v, nm->n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	nm->v = v;
	util_strlcpy(nm->v[nm->n++], name, NAME_LEN);
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

		rc = names_add(nm, base_name(sys));
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

static int names_sysfs(const struct scan *s, struct names *nm)
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
	struct device_info *v = grow(*devs, *n, sizeof(**devs));

	if (!v)
		return -ENOMEM;
	*devs = v;
	v[(*n)++] = *d;
	return 0;
}

static int list_disks(const struct scan *s, struct device_info **devs, size_t *n)
{
	struct names nm = { NULL, 0 };
	struct device_info d;
	char *why = NULL;
	int rc;

	rc = use_udev() ? names_udev(&nm) : names_sysfs(s, &nm);
	if (rc == 0 && nm.n)
		qsort(nm.v, nm.n, sizeof(*nm.v), cmp_name);
	for (size_t i = 0; i < nm.n && rc == 0; i++) {
		if (!listed(s, nm.v[i]))
			continue;
		rc = describe_disk(s, nm.v[i], &d, &why);
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

static int list_virtual(const struct scan *s, const char *dir, struct device_info **devs,
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

		bprintf(path, sizeof(path), "%s/%s", dir, nm.v[i]);
		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		rc = describe_file(s, path, &st, &dev, NULL);
		if (rc == 0 && (rc = list_append_dev(devs, n, &dev)) < 0)
			device_info_clear(&dev);
	}
	free(nm.v);
	return rc;
}

int device_list(const char *virtual_dir, struct device_info **out, size_t *n, char **cause)
{
	struct device_info *devs = NULL;
	size_t count = 0;
	struct scan s;
	int rc;

	*out = NULL;
	*n = 0;
	rc = scan_build(&s, cause);
	if (rc < 0)
		return rc;
	rc = list_disks(&s, &devs, &count);
	if (rc < 0)
		rc = util_fail(cause, rc, "cannot list block devices: %s", strerror(-rc));
	else if (virtual_dir && (rc = list_virtual(&s, virtual_dir, &devs, &count)) < 0)
		rc = util_fail(cause, rc, "cannot list virtual media in %s: %s", virtual_dir,
			       strerror(-rc));
	scan_free(&s);
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
	if (!sm->available)
		return json_null();
	return json_pack("{s:o, s:b, s:o, s:o, s:o}",
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
