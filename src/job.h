/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_JOB_H
#define CUSTOS_JOB_H

/*
 * job: one medium sanitized end to end, in its own thread; the layer the
 * CLI and the TUI share.  The caller has probed the device, checked the
 * guards and got the person's confirmation; job_start() opens the target
 * (exclusively) and runs the profile's method, job_snapshot() reads its
 * progress at any time, job_cancel() stops it (outcome "aborted"), and
 * job_wait() joins it and hands over the result.
 *
 * Integration hooks: @on_complete runs in the job's thread after the
 * medium is done and before job_wait() returns (register event, policy
 * decision, certificate); @firmware runs methods other than "overwrite".
 */

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include "device.h"
#include "fw-job.h"
#include "profile.h"
#include "wipe.h"

struct job;

enum job_state { JOB_STATE_RUNNING = 0, JOB_STATE_DONE };

/* A firmware method (ATA/NVMe erase): fill @res (outcome, passes, cause)
 * and return 0, or a negative errno.  It may read @monitor's cancel flag
 * and publish progress there. */
typedef int (*job_firmware_fn)(const struct device_info *dev, const struct profile *profile,
			       struct wipe_monitor *monitor, struct wipe_result *res,
			       void *data, char **cause);

/* Called in the job's thread with the final result; may return a
 * negative errno and a cause, which job_wait() reports as hook_error
 * (the wipe's outcome is not changed by it). */
typedef int (*job_complete_fn)(struct job *job, const struct device_info *dev,
			       const struct profile *profile, const struct wipe_result *res,
			       void *data, char **cause);

struct job_spec {
	const struct device_info *device;	/* probed, eligible, confirmed (copied) */
	const struct profile *profile;		/* copied */
	bool verify_set;			/* else the profile's default */
	enum profile_verify verify;
	const char *state_dir;			/* checkpoints in <state_dir>/jobs/ */
	bool resume;				/* continue from the device's checkpoint */
	const char *operator_name;		/* recorded for the hooks; may be NULL */
	const char *destination;		/* media destination; may be NULL */
	uint32_t block_size;			/* 0: the engine's default */
	bool sample_seed_set;
	uint64_t sample_seed;
	unsigned checkpoint_ms;			/* 0: engine default (5 s) */
	const struct blkio_ops *io_ops;		/* NULL: libc (tests inject faults: the I/O
						 * calls only, the target is anchored and
						 * guarded all the same) */
	struct fw_job *fw;			/* firmware options (restore-max, USB bridge:
						 * also for an overwrite's hidden areas) and the
						 * evidence of a firmware method; NULL: defaults */
	job_firmware_fn firmware;		/* NULL: fw_job_run with @fw, after
						 * fw_job_guard(); tests inject a runner */
	job_complete_fn on_complete;		/* NULL: none */
	void *complete_data;
	bool keep_checkpoint;			/* the hook's owner removes it once recorded */
	/* Overwrite on an ATA drive: hidden areas first (fw_job_hidden()), with
	 * @fw's restore-max and allow_usb_bridge (OR'ed with the profile's
	 * restore-max).  Test seams: */
	struct sgio_dev *hidden_sgio;		/* NULL: the device's own transport */
	fw_job_rescan_fn rescan;		/* NULL: fw_job_rescan (sysfs) */
	void *rescan_data;
};

struct job_snapshot {
	char device[PATH_MAX];
	char name[64];
	char profile[64];
	enum job_state state;
	struct wipe_progress progress;
};

/* Start the job.  An overwrite on an ATA drive first records its hidden
 * areas (HPA/DCO/AMA) and, when asked, restores the native max so the
 * overwrite covers it (see job_hidden_areas()).  Errors before any write:
 * -EOPNOTSUPP (firmware method on a target without ATA/NVMe firmware),
 * -EOPNOTSUPP / -EPERM from fw_job_guard() (the real runner: the drive
 * cannot do the method now; @fw's options are used), -EIO (hidden areas: restore-max cannot be honoured, or the kernel
 * does not see the restored size), -EBUSY (cannot open exclusively),
 * -ESTALE (checkpoint for another device), ...; *@cause says why.  The
 * policy is not checked here: see sanitize_plan(). */
int job_start(const struct job_spec *spec, struct job **out, char **cause);

/*
 * job_start() in two steps, for a caller that records the start in
 * between.  job_prepare() checks @spec and takes the target: an image file
 * is opened (locked, guarded on the open descriptor); a disk is anchored
 * (device_anchor: the medium probed, by device and disk sequence number,
 * every guard on that descriptor) and opened exclusively for an overwrite,
 * or, when its own commands come first (a firmware method, restore-max on
 * an ATA drive), an exclusive open is tried and the firmware guard asked
 * through the anchor.  Nothing is written, and a refusal here (-EPERM
 * guard, -EBUSY locked, held or open elsewhere, -EAGAIN the path or the
 * medium changed since the probe) leaves no trace.  job_run() does the
 * rest (hidden areas, then the exclusive open if it waited, the thread);
 * every open of a disk, a firmware command's too, goes through the
 * anchor.  On failure job_run() frees @job.
 */
int job_prepare(const struct job_spec *spec, struct job **out, char **cause);
int job_run(struct job *job, char **cause);

void job_snapshot(struct job *job, struct job_snapshot *out);
void job_cancel(struct job *job);			/* async-signal-safe */
bool job_is_done(struct job *job);

/* Join the job.  *@res points into the job (valid until job_free()).
 * Returns 0, or the negative errno that kept the wipe from producing a
 * result (then *@cause says why and *@res is NULL). */
int job_wait(struct job *job, const struct wipe_result **res, char **cause);

/* An overwrite's hidden-area record (what was hidden, restored, still
 * hidden: fw_job_hidden_text()); NULL when not applicable (files, loop,
 * virtual, NVMe, firmware methods, whose own result holds it) or @job is
 * NULL. */
const struct fw_result *job_hidden_areas(const struct job *job);

/* The completion hook's error, if it failed (else NULL). */
const char *job_hook_error(struct job *job);

/* Where the checkpoint of @dev lives: <state_dir>/jobs/<id>.json. */
char *job_checkpoint_path(const char *state_dir, const struct device_info *dev);

/* The operator and destination given in the spec ("" if none). */
const char *job_operator(struct job *job);
const char *job_destination(struct job *job);

void job_free(struct job *job);

#endif
