/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_FW_JOB_H
#define CUSTOS_FW_JOB_H

/*
 * fw-job: firmware methods as a job's firmware hook.  fw_job_guard() is
 * the check a caller runs before confirmation ("a profile a device cannot
 * do is refused before anything is written"); fw_job_run() has the
 * job_firmware_fn signature of job.h: set job_spec.firmware = fw_job_run
 * and job_spec.firmware_data = a struct fw_job per job.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"
#include "fw.h"
#include "profile.h"
#include "wipe.h"

struct fw_job {
	struct fw_opts opts;		/* state_dir, allow_usb_bridge, restore_max (OR'ed
					 * with the profile's); media_kind and markers are
					 * taken from the device and the profile */
	struct fw_result result;	/* the run's full result (certificate evidence);
					 * free with fw_result_clear() */
	bool anchored;			/* @anchor holds the disk (device_anchor, set by
					 * the job): the command goes through it; else
					 * fw_job_run anchors and guards the disk itself */
	int anchor;
};

/*
 * Hidden areas before an overwrite.  On an ATA drive (SATA through
 * libata; a USB bridge or another SCSI-ATA translator only with
 * allow_usb_bridge) fw_job_hidden() probes HPA/DCO/AMA read-only and, when
 * opts.restore_max or the profile's restore-max asks, restores the native
 * max address, then makes the kernel see the new capacity (@rescan) and
 * refuses unless it grew exactly as the drive says: the overwrite then
 * covers the restored sectors.  Files, loop, virtual and NVMe targets
 * (no HPA) are not applicable.  Nothing else is written.
 */

/* Make the kernel see @path's new capacity: 0 with the size it now has in
 * @bytes (it may still differ from @expect: the caller decides).  @path is
 * /proc/self/fd/N of the job's anchor when the job holds the disk. */
typedef int (*fw_job_rescan_fn)(const char *path, uint64_t expect, uint64_t *bytes, void *data,
				char **cause);

/* The real one: "1" into /sys/dev/block/<major:minor>/device/rescan of
 * the device @path leads to, then BLKGETSIZE64 on @path until it shows
 * @expect (at most about 3 s). */
int fw_job_rescan(const char *path, uint64_t expect, uint64_t *bytes, void *data, char **cause);

struct fw_job_hidden {
	/* in */
	struct fw_opts opts;		/* restore_max (OR'ed with the profile's),
					 * allow_usb_bridge */
	struct sgio_dev *sdev;		/* NULL: open the device (tests hand a fake in) */
	bool anchored;			/* @anchor holds the disk (device_anchor): it is
					 * opened through it, never by name */
	int anchor;
	fw_job_rescan_fn rescan;	/* NULL: fw_job_rescan */
	void *rescan_data;
	/* out */
	bool applicable;		/* an ATA target: @result says what was found */
	uint64_t size;			/* bytes the host sees after a restore; 0 unchanged */
	struct fw_result result;	/* hidden, warnings, failure (fw_result_clear) */
};

/* 0 to go on (@h filled; result.hidden.checked false when it could not be
 * asked, with the reason in result.hidden.note); a negative errno refuses
 * the overwrite before anything is written (a restore asked but impossible
 * to determine, or a kernel that does not see the restored capacity). */
int fw_job_hidden(const struct device_info *dev, const struct profile *p, struct fw_job_hidden *h,
		  char **cause);

/* One line for people: "none", "4096 sectors hidden (HPA/DCO/AMA), all
 * restored and overwritten", "... hidden area of 4096 sectors NOT
 * overwritten", "not checked: ...".  NULL @r: "not applicable". */
void fw_job_hidden_text(const struct fw_result *r, char *buf, size_t len);

/* The record as JSON: the `hidden` object of fw (status "hidden", "none",
 * "unknown"; "not checked", "not applicable") with its "summary" line. */
json_t *fw_job_hidden_to_json(const struct fw_result *r);

/* The firmware method of @p (FW_METHOD_NONE for overwrite). */
enum fw_method fw_job_method(const struct profile *p);

/* 0 when @p can run on @dev now; -EOPNOTSUPP / -EPERM / ... with the reason.
 * Overwrite profiles always pass.  Opens the device read-only. */
int fw_job_guard(const struct device_info *dev, const struct profile *p, const struct fw_opts *o,
		 char **cause);
/* The same through @anchor (device_anchor): the disk the job holds. */
int fw_job_guard_at(int anchor, const struct device_info *dev, const struct profile *p,
		    const struct fw_opts *o, char **cause);

/* job_firmware_fn.  Returns a negative errno when nothing was written
 * (refused before the first write); otherwise 0 with @res->outcome
 * ERASED, FAILED or ABORTED and @res->cause. */
int fw_job_run(const struct device_info *dev, const struct profile *profile,
	       struct wipe_monitor *monitor, struct wipe_result *res, void *data, char **cause);
/* The same through an open transport (tests). */
int fw_job_run_dev(struct sgio_dev *sdev, const struct device_info *dev,
		   const struct profile *profile, struct wipe_monitor *monitor,
		   struct wipe_result *res, void *data, char **cause);

#endif
