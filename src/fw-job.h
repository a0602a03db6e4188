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
};

/* The firmware method of @p (FW_METHOD_NONE for overwrite). */
enum fw_method fw_job_method(const struct profile *p);

/* 0 when @p can run on @dev now; -EOPNOTSUPP / -EPERM / ... with the reason.
 * Overwrite profiles always pass.  Opens the device read-only. */
int fw_job_guard(const struct device_info *dev, const struct profile *p, const struct fw_opts *o,
		 char **cause);

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
