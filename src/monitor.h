/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_MONITOR_H
#define CUSTOS_MONITOR_H

/*
 * monitor: tells a caller that block devices (or virtual media files) may
 * have been added, removed, attached, mounted or unmounted, so it can list
 * them again.  Events come from a libudev monitor when udev runs; a cheap
 * fingerprint of sysfs, the mount table and the virtual media directory is
 * compared every poll interval as well, so containers without udev events
 * (and loop devices attached there) are seen too.  Never blocks.
 */

#include <stdbool.h>

struct monitor;

struct monitor_opts {
	const char *sysfs;		/* NULL: "/sys" */
	const char *proc;		/* NULL: "/proc" */
	const char *virtual_dir;	/* NULL: none watched */
	unsigned poll_ms;		/* 0: 2000 */
	bool no_udev;			/* polling only (tests) */
};

int monitor_open(const struct monitor_opts *opts, struct monitor **out, char **cause);
void monitor_close(struct monitor *mon);

/* 1 when something may have changed since the previous call (the first
 * call always says 1), 0 when not.  Reads pending udev events and, once
 * the poll interval has passed, recomputes the fingerprint. */
int monitor_changed(struct monitor *mon);

/* The udev monitor's file descriptor for poll(2), or -1 when polling only. */
int monitor_fd(const struct monitor *mon);

/* True when a udev monitor is connected. */
bool monitor_has_udev(const struct monitor *mon);

#endif
