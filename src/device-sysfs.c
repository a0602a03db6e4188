/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * device-sysfs: the roots seam, attribute readers and the machine-wide scan.
 *
 * Every read of /sys, /proc and /dev goes through the roots set with
 * device_set_roots(), so the unit tests describe hand-made fixture trees.
 * A scan gathers the machine-wide facts once (block devices and their
 * partitions, mounts, swaps, loop devices, the system's disks); each
 * medium is then described against it (device.c, device-safety.c).
 */
#include "device-private.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "util.h"

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

const char *device_sysfs_dir(void)
{
	return roots.sysfs;
}

const char *device_dev_dir(void)
{
	return roots.dev;
}

/* snprintf into @buf; -ENAMETOOLONG when the result did not fit. */
int device_bprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* True when reading the real machine (libudev and libatasmart only work there). */
bool device_real_roots(void)
{
	return strcmp(roots.sysfs, "/sys") == 0 && strcmp(roots.dev, "/dev") == 0;
}

bool device_use_udev(void)
{
	char p[PATH_MAX];

	if (!device_real_roots())
		return false;
	device_bprintf(p, sizeof(p), "%s/data", roots.udev_db);
	return access(p, F_OK) == 0;
}

/* Grow @arr to hold one more element of @size; NULL on failure (arr kept). */
void *device_grow(void *arr, size_t n, size_t size)
{
	if (n % 16)
		return arr;
	return realloc(arr, (n + 16) * size);
}

/* Read <sysfs>/<rel> into @buf with white space stripped; 0 or -errno. */
int device_sys_read(char *buf, size_t len, const char *fmt, ...)
{
	char rel[PATH_MAX], path[PATH_MAX * 2];
	char *data = NULL;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	device_bprintf(path, sizeof(path), "%s/%s", roots.sysfs, rel);
	buf[0] = '\0';
	rc = util_read_file(path, &data, NULL);
	if (rc < 0)
		return rc;
	util_strlcpy(buf, util_strstrip(data), len);
	free(data);
	return 0;
}

/* <sysfs>/block/<name>/<attr> as a number. */
int device_sys_read_u64(uint64_t *out, const char *name, const char *attr)
{
	char buf[64];
	int rc;

	rc = device_sys_read(buf, sizeof(buf), "block/%s/%s", name, attr);
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

const char *device_base_name(const char *p)
{
	const char *s = strrchr(p, '/');

	return s ? s + 1 : p;
}

/* ---- the scan ---------------------------------------------------------- */

void device_scan_free(struct device_scan *s)
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
static int scan_add_blk(struct device_scan *s, const char *disk, const char *part)
{
	const char *name = part ? part : disk;
	char buf[64];
	struct device_blkent *b;
	dev_t devno;

	if (device_sys_read(buf, sizeof(buf), "block/%s/%s%sdev", disk, part ? part : "",
			    part ? "/" : "") < 0 || parse_devno(buf, &devno) < 0)
		return 0;	/* vanished or odd: not a block device we can use */
	b = device_grow(s->blk, s->n_blk, sizeof(*b));
	if (!b)
		return -ENOMEM;
	s->blk = b;
	b = &s->blk[s->n_blk++];
	util_strlcpy(b->name, name, sizeof(b->name));
	util_strlcpy(b->disk, disk, sizeof(b->disk));
	b->devno = devno;
	return 0;
}

static int scan_add_loop(struct device_scan *s, const char *name)
{
	char backing[PATH_MAX];
	struct device_loopent *l;
	char *del;

	if (device_sys_read(backing, sizeof(backing), "block/%s/loop/backing_file", name) < 0 ||
	    !backing[0])
		return 0;
	del = strstr(backing, " (deleted)");
	if (del)
		*del = '\0';
	l = device_grow(s->loops, s->n_loops, sizeof(*l));
	if (!l)
		return -ENOMEM;
	s->loops = l;
	l = &s->loops[s->n_loops++];
	util_strlcpy(l->name, name, sizeof(l->name));
	util_strlcpy(l->backing, backing, sizeof(l->backing));
	return 0;
}

/* A disk's partitions are the subdirectories holding a "partition" file. */
static int scan_partitions(struct device_scan *s, const char *disk)
{
	char path[PATH_MAX * 2];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	device_bprintf(path, sizeof(path), "%s/block/%s", roots.sysfs, disk);
	d = opendir(path);
	if (!d)
		return 0;
	while (rc == 0 && (de = readdir(d))) {
		char part[PATH_MAX * 3];

		if (de->d_name[0] == '.')
			continue;
		device_bprintf(part, sizeof(part), "%s/%s/partition", path, de->d_name);
		if (access(part, F_OK) == 0)
			rc = scan_add_blk(s, disk, de->d_name);
	}
	closedir(d);
	return rc;
}

static int scan_blocks(struct device_scan *s)
{
	char path[PATH_MAX + 8];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	device_bprintf(path, sizeof(path), "%s/block", roots.sysfs);
	d = opendir(path);
	if (!d)
		return -errno;
	while (rc == 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.' || strlen(de->d_name) >= DEVICE_NAME_LEN)
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
static int scan_mount_line(struct device_scan *s, char *line)
{
	char *f[6] = { NULL }, *sep, *save = NULL, *tok;
	struct device_mountent *m;
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
	m = device_grow(s->mnt, s->n_mnt, sizeof(*m));
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
static int for_each_line(const char *rel, struct device_scan *s,
			 int (*fn)(struct device_scan *, char *))
{
	char path[PATH_MAX + 32];
	char *data = NULL, *save = NULL, *line;
	int rc;

	device_bprintf(path, sizeof(path), "%s/%s", roots.proc, rel);
	rc = util_read_file(path, &data, NULL);
	if (rc < 0)
		return rc == -ENOENT ? 0 : rc;
	for (line = strtok_r(data, "\n", &save); line && rc == 0;
	     line = strtok_r(NULL, "\n", &save))
		rc = fn(s, line);
	free(data);
	return rc;
}

static int scan_swap_line(struct device_scan *s, char *line)
{
	char *end, **sw;

	if (strncmp(line, "Filename", 8) == 0)
		return 0;
	end = strpbrk(line, " \t");
	if (end)
		*end = '\0';
	sw = device_grow(s->swaps, s->n_swaps, sizeof(*sw));
	if (!sw)
		return -ENOMEM;
	s->swaps = sw;
	s->swaps[s->n_swaps] = strdup(line);
	if (!s->swaps[s->n_swaps])
		return -ENOMEM;
	unescape(s->swaps[s->n_swaps++]);
	return 0;
}

const struct device_blkent *device_find_devno(const struct device_scan *s, dev_t devno)
{
	for (size_t i = 0; i < s->n_blk; i++)
		if (s->blk[i].devno == devno)
			return &s->blk[i];
	return NULL;
}

const struct device_blkent *device_find_name(const struct device_scan *s, const char *name)
{
	for (size_t i = 0; i < s->n_blk; i++)
		if (strcmp(s->blk[i].name, name) == 0)
			return &s->blk[i];
	return NULL;
}

/* The block device a path names: by its device number when it exists on
 * this machine, else by the base name of a /dev path (fixtures). */
const struct device_blkent *device_find_path(const struct device_scan *s, const char *path)
{
	const struct device_blkent *b = NULL;
	struct stat st;

	if (device_real_roots() && stat(path, &st) == 0 && S_ISBLK(st.st_mode))
		b = device_find_devno(s, st.st_rdev);
	if (!b && strncmp(path, "/dev/", 5) == 0)
		b = device_find_name(s, device_base_name(path));
	return b;
}

int device_scan_build(struct device_scan *s, char **cause)
{
	int rc;

	memset(s, 0, sizeof(*s));
	rc = scan_blocks(s);
	if (rc < 0) {
		rc = util_fail(cause, rc, _("cannot read %s/block: %s"), roots.sysfs, strerror(-rc));
		goto out;
	}
	rc = for_each_line("self/mountinfo", s, scan_mount_line);
	if (rc == 0)
		rc = for_each_line("swaps", s, scan_swap_line);
	if (rc == 0)
		rc = device_scan_system(s);
	if (rc == 0)
		rc = for_each_line("cmdline", s, device_scan_cmdline);
	if (rc < 0)
		rc = util_fail(cause, rc, _("cannot read mounts and swaps under %s: %s"), roots.proc,
			       strerror(-rc));
out:
	if (rc < 0)
		device_scan_free(s);
	return rc;
}
