/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * monitor: udev events plus a polled fingerprint of what device_list()
 * depends on (see monitor.h).
 */
#include "monitor.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libudev.h>

#include "util.h"

struct monitor {
	char *sysfs;
	char *proc;
	char *virtual_dir;
	uint64_t poll_ns;
	uint64_t last_poll_ns;
	uint64_t fingerprint;
	bool primed;			/* the first call has happened */
	struct udev *udev;
	struct udev_monitor *umon;
};

#define FNV_OFFSET 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

static uint64_t fnv(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= FNV_PRIME;
	}
	return h;
}

static uint64_t fnv_str(uint64_t h, const char *s)
{
	return fnv(h, s, strlen(s) + 1);
}

/* Hash the contents of @dir/@name (absent files hash as empty). */
static uint64_t hash_file(uint64_t h, const char *dir, const char *name)
{
	char *path = util_asprintf("%s/%s", dir, name), *data = NULL;
	size_t len = 0;

	if (path && util_read_file(path, &data, &len) == 0)
		h = fnv(h, data, len);
	free(path);
	free(data);
	return h;
}

/* Hash the entry names of @dir, independent of their order. */
static uint64_t hash_names(uint64_t h, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	uint64_t acc = 0;

	if (!d)
		return h;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			acc ^= fnv_str(FNV_OFFSET, e->d_name);
	closedir(d);
	return fnv(h, &acc, sizeof(acc));
}

/* One block device: its name, size, read-only flag and holders. */
static uint64_t hash_block(const char *block_dir, const char *name)
{
	char *dir = util_asprintf("%s/%s", block_dir, name), *holders;
	uint64_t h = fnv_str(FNV_OFFSET, name);

	if (!dir)
		return h;
	h = hash_file(h, dir, "size");
	h = hash_file(h, dir, "ro");
	holders = util_asprintf("%s/holders", dir);
	if (holders)
		h = hash_names(h, holders);
	free(holders);
	free(dir);
	return h;
}

static uint64_t hash_sysfs(uint64_t h, const char *sysfs)
{
	char *block_dir = util_asprintf("%s/block", sysfs);
	struct dirent *e;
	uint64_t acc = 0;
	DIR *d;

	if (!block_dir)
		return h;
	d = opendir(block_dir);
	if (d) {
		while ((e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				acc ^= hash_block(block_dir, e->d_name);
		closedir(d);
	}
	free(block_dir);
	return fnv(h, &acc, sizeof(acc));
}

/* Virtual media: names, sizes and writability of the directory's files. */
static uint64_t hash_virtual(uint64_t h, const char *vdir)
{
	struct dirent *e;
	uint64_t acc = 0;
	struct stat st;
	DIR *d = opendir(vdir);

	if (!d)
		return h;
	while ((e = readdir(d)) != NULL) {
		uint64_t eh;

		if (e->d_name[0] == '.' || fstatat(dirfd(d), e->d_name, &st, 0) != 0)
			continue;
		eh = fnv_str(FNV_OFFSET, e->d_name);
		eh = fnv(eh, &st.st_size, sizeof(st.st_size));
		eh = fnv(eh, &st.st_mode, sizeof(st.st_mode));
		acc ^= eh;
	}
	closedir(d);
	return fnv(h, &acc, sizeof(acc));
}

static uint64_t fingerprint(const struct monitor *mon)
{
	uint64_t h = FNV_OFFSET;

	h = hash_sysfs(h, mon->sysfs);
	h = hash_file(h, mon->proc, "self/mountinfo");
	h = hash_file(h, mon->proc, "swaps");
	if (mon->virtual_dir)
		h = hash_virtual(h, mon->virtual_dir);
	return h;
}

/* Connect to udev's event stream for block devices; failure is not an
 * error (containers): the monitor then polls only. */
static void open_udev(struct monitor *mon)
{
	mon->udev = udev_new();
	if (!mon->udev)
		return;
	mon->umon = udev_monitor_new_from_netlink(mon->udev, "udev");
	if (!mon->umon ||
	    udev_monitor_filter_add_match_subsystem_devtype(mon->umon, "block", NULL) < 0 ||
	    udev_monitor_enable_receiving(mon->umon) < 0) {
		util_debug("monitor: no udev events, polling only");
		if (mon->umon)
			udev_monitor_unref(mon->umon);
		mon->umon = NULL;
		return;
	}
	/* the descriptor is non-blocking already; make sure of it */
	(void)fcntl(udev_monitor_get_fd(mon->umon), F_SETFL,
		    fcntl(udev_monitor_get_fd(mon->umon), F_GETFL) | O_NONBLOCK);
}

int monitor_open(const struct monitor_opts *opts, struct monitor **out, char **cause)
{
	struct monitor *mon = calloc(1, sizeof(*mon));

	if (!mon)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	mon->sysfs = strdup(opts && opts->sysfs ? opts->sysfs : "/sys");
	mon->proc = strdup(opts && opts->proc ? opts->proc : "/proc");
	mon->virtual_dir = opts && opts->virtual_dir ? strdup(opts->virtual_dir) : NULL;
	if (!mon->sysfs || !mon->proc || (opts && opts->virtual_dir && !mon->virtual_dir)) {
		monitor_close(mon);
		return util_fail(cause, -ENOMEM, _("out of memory"));
	}
	mon->poll_ns = (uint64_t)(opts && opts->poll_ms ? opts->poll_ms : 2000) * 1000000ull;
	if (!opts || !opts->no_udev)
		open_udev(mon);
	*out = mon;
	return 0;
}

void monitor_close(struct monitor *mon)
{
	if (!mon)
		return;
	if (mon->umon)
		udev_monitor_unref(mon->umon);
	if (mon->udev)
		udev_unref(mon->udev);
	free(mon->sysfs);
	free(mon->proc);
	free(mon->virtual_dir);
	free(mon);
}

/* Read every pending event; true if there was at least one. */
static bool drain_udev(struct monitor *mon)
{
	struct udev_device *dev;
	bool any = false;

	if (!mon->umon)
		return false;
	while ((dev = udev_monitor_receive_device(mon->umon)) != NULL) {
		util_debug("monitor: %s %s", udev_device_get_action(dev) ?
			   udev_device_get_action(dev) : "event", udev_device_get_sysname(dev));
		udev_device_unref(dev);
		any = true;
	}
	return any;
}

int monitor_changed(struct monitor *mon)
{
	uint64_t now = util_mono_ns(), fp;
	bool changed = drain_udev(mon);

	if (!mon->primed || now - mon->last_poll_ns >= mon->poll_ns) {
		fp = fingerprint(mon);
		if (!mon->primed || fp != mon->fingerprint)
			changed = true;
		mon->fingerprint = fp;
		mon->last_poll_ns = now;
		mon->primed = true;
	}
	return changed ? 1 : 0;
}

int monitor_fd(const struct monitor *mon)
{
	return mon->umon ? udev_monitor_get_fd(mon->umon) : -1;
}

bool monitor_has_udev(const struct monitor *mon)
{
	return mon->umon != NULL;
}
