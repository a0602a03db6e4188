/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * device-private.h: internals shared by device.c, device-sysfs.c and
 * device-safety.c.  Not part of the device interface (see device.h).
 */
#ifndef CUSTOS_DEVICE_PRIVATE_H
#define CUSTOS_DEVICE_PRIVATE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "device.h"
#include "util.h"

#define DEVICE_NAME_LEN 64

struct device_blkent {
	char name[DEVICE_NAME_LEN];	/* sdb1 */
	char disk[DEVICE_NAME_LEN];	/* sdb (equal to name for a whole disk) */
	dev_t devno;
};

struct device_mountent {
	dev_t devno;
	char *source;
	char *target;
};

struct device_loopent {
	char name[DEVICE_NAME_LEN];
	char backing[PATH_MAX];
};

struct device_sysdisk {
	char disk[DEVICE_NAME_LEN];
	char why[256];
};

/* Machine-wide facts gathered once per list or probe. */
struct device_scan {
	struct device_blkent *blk;
	size_t n_blk;
	struct device_mountent *mnt;
	size_t n_mnt;
	char **swaps;
	size_t n_swaps;
	struct device_loopent *loops;
	size_t n_loops;
	struct device_sysdisk *sys;
	size_t n_sys;
};

/* device-sysfs.c: the roots seam and attribute readers */
const char *device_sysfs_dir(void);
const char *device_dev_dir(void);
bool device_real_roots(void);
bool device_use_udev(void);
int device_bprintf(char *buf, size_t len, const char *fmt, ...) UTIL_PRINTF(3, 4);
void *device_grow(void *arr, size_t n, size_t size);
int device_sys_read(char *buf, size_t len, const char *fmt, ...) UTIL_PRINTF(3, 4);
int device_sys_read_u64(uint64_t *out, const char *name, const char *attr);
const char *device_base_name(const char *p);

/* device-sysfs.c: the scan */
int device_scan_build(struct device_scan *s, char **cause);
void device_scan_free(struct device_scan *s);
const struct device_blkent *device_find_devno(const struct device_scan *s, dev_t devno);
const struct device_blkent *device_find_name(const struct device_scan *s, const char *name);
const struct device_blkent *device_find_path(const struct device_scan *s, const char *path);

/* device.c: a SMART summary from custos's own ATA path (tests use it) */
struct ata_smart;
void device_smart_from_ata(struct device_smart *sm, const struct ata_smart *a);

/* device-safety.c */
int device_scan_system(struct device_scan *s);
int device_scan_cmdline(struct device_scan *s, char *line);
int device_check_disk(const struct device_scan *s, struct device_info *dev);
int device_check_backing(const struct device_scan *s, struct device_info *dev,
			 const struct stat *st);
int device_check_in_use(struct device_info *dev);
int device_check_file(const struct device_scan *s, int fd, const struct stat *st,
		      struct device_info *dev);
int device_check_file_use(const struct stat *st, struct device_info *dev);

#endif
