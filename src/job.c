/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "job.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blkio.h"
#include "fw-job.h"
#include "util.h"

struct job {
	struct device_info dev;
	struct profile profile;
	struct job_spec spec;		/* pointers into this struct, or the caller's hooks */
	char operator_name[128];
	char destination[128];
	char *ckpt_path;
	struct blkio io;
	bool io_open;
	int anchor;			/* a disk: O_PATH descriptor of the guarded medium
					 * (device_anchor), every open goes through it; -1 */
	struct wipe_monitor monitor;
	struct wipe_result res;
	struct fw_job_hidden hidden;	/* overwrite: hidden areas before the first write */
	struct fw_job own_fw;		/* spec.fw when the caller gave none */
	char state_dir[PATH_MAX];	/* own_fw.opts.state_dir */
	pthread_t thread;
	bool started;
	atomic_bool done;
	int rc;				/* wipe_run()'s or the firmware's return */
	char *cause;
	char *hook_error;
};

char *job_checkpoint_path(const char *state_dir, const struct device_info *dev)
{
	const char *base = dev->name[0] ? dev->name : strrchr(dev->path, '/');
	char id[64];
	size_t n = 0;

	if (!base)
		base = dev->path;
	if (*base == '/')
		base++;
	for (; *base && n + 1 < sizeof(id); base++)
		id[n++] = isalnum((unsigned char)*base) || *base == '-' || *base == '_' ||
			  *base == '.' ? *base : '_';
	id[n] = '\0';
	if (!n || id[0] == '.')
		id[0] = '_';
	return util_asprintf("%s/jobs/%s.json", state_dir ? state_dir : ".", id);
}

static bool has_firmware(const struct device_info *dev)
{
	return dev->transport != DEVICE_TRANSPORT_FILE && dev->transport != DEVICE_TRANSPORT_VIRTUAL;
}

static void *job_main(void *arg)
{
	struct job *job = arg;
	const struct job_spec *s = &job->spec;
	char *hook_cause = NULL;

	if (job->profile.method == PROFILE_METHOD_OVERWRITE) {
		struct wipe_params p = {
			.profile = &job->profile,
			.verify = s->verify_set ? s->verify : job->profile.verify,
			.io = &job->io,
			.monitor = &job->monitor,
			.serial = job->dev.serial,
			.backing = job->dev.backing_file,
			.checkpoint_path = job->ckpt_path,
			.resume = s->resume,
			.block_size = s->block_size,
			.sample_seed_set = s->sample_seed_set,
			.sample_seed = s->sample_seed,
			.checkpoint_ms = s->checkpoint_ms,
			.keep_checkpoint = s->keep_checkpoint,
		};

		job->rc = wipe_run(&p, &job->res, &job->cause);
	} else {
		job_firmware_fn run = s->firmware ? s->firmware : fw_job_run;

		job->rc = run(&job->dev, &job->profile, &job->monitor, &job->res, s->fw,
			      &job->cause);
	}
	if (job->io_open) {
		int rc = blkio_close(&job->io);

		job->io_open = false;
		if (rc < 0 && job->rc == 0 && job->res.outcome != WIPE_OUTCOME_FAILED) {
			job->res.outcome = WIPE_OUTCOME_FAILED;
			snprintf(job->res.cause, sizeof(job->res.cause), "close: %s", strerror(-rc));
		}
	}
	if (job->rc == 0 && s->on_complete &&
	    s->on_complete(job, &job->dev, &job->profile, &job->res, s->complete_data,
			   &hook_cause) < 0)
		job->hook_error = hook_cause ? hook_cause : strdup("completion hook failed");
	atomic_store(&job->done, true);
	return NULL;
}

static int check_method(const struct job_spec *spec, char **cause)
{
	if (spec->profile->method == PROFILE_METHOD_OVERWRITE)
		return 0;
	if (!has_firmware(spec->device))
		return util_fail(cause, -EOPNOTSUPP,
				 _("%s: not supported: no ATA/NVMe firmware on this target"),
				 spec->device->path);
	return 0;
}

/* The real firmware runner: refuse what this drive cannot do now, before
 * anything is written (the plan ran it too, before asking), asking the
 * disk the job holds. */
static int check_firmware(struct job *job, char **cause)
{
	char *why = NULL;
	int rc;

	if (job->profile.method == PROFILE_METHOD_OVERWRITE || job->spec.firmware)
		return 0;
	rc = fw_job_guard_at(job->anchor, &job->dev, &job->profile, &job->spec.fw->opts, &why);
	if (rc < 0)
		util_fail(cause, rc, "%s: %s", job->dev.path, why ? why : strerror(-rc));
	free(why);
	return rc;
}

/* Will the disk's own commands need it to themselves after the start?  A
 * firmware method, or restoring an ATA drive's hidden areas (SET MAX):
 * then the exclusive open of the overwrite waits for them. */
static bool needs_disk_alone(const struct job *job)
{
	const struct device_info *d = &job->dev;

	if (job->profile.method != PROFILE_METHOD_OVERWRITE)
		return true;
	if (!job->profile.restore_max && !job->spec.fw->opts.restore_max)
		return false;
	return !job->spec.hidden_sgio && (d->transport == DEVICE_TRANSPORT_SATA ||
					  d->transport == DEVICE_TRANSPORT_USB ||
					  d->transport == DEVICE_TRANSPORT_SAS);
}

/* Is anyone else holding the disk now (mounted, md/dm, another exclusive
 * opener)?  An exclusive open through the anchor, closed again. */
static int try_exclusive(struct job *job, char **cause)
{
	char self[64];
	int fd;

	snprintf(self, sizeof(self), "/proc/self/fd/%d", job->anchor);
	fd = open(self, O_RDONLY | O_EXCL | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 && errno == EBUSY)
		return util_fail(cause, -EBUSY, _("%s: in use (cannot open exclusively)"),
				 job->dev.path);
	if (fd < 0)
		return util_fail(cause, -errno, "%s: %s", job->dev.path, strerror(errno));
	if (util_close(fd) < 0)
		return util_fail(cause, -EIO, _("%s: close failed"), job->dev.path);
	return 0;
}

/*
 * A disk, before anything is recorded: anchored (the medium probed and
 * confirmed, every guard on that descriptor), and opened exclusively for
 * an overwrite; when its own commands come first (firmware, restore-max)
 * an exclusive open is tried and closed, so a disk held elsewhere is
 * refused here.  Every later open, the firmware's too, goes through the
 * anchor.
 */
static int prepare_disk(struct job *job, char **cause)
{
	int rc = device_anchor(&job->dev, &job->anchor, cause);

	if (rc < 0)
		return rc;
	job->spec.fw->anchored = true;
	job->spec.fw->anchor = job->anchor;
	job->hidden.anchored = true;
	job->hidden.anchor = job->anchor;
	if (needs_disk_alone(job)) {
		rc = try_exclusive(job, cause);
		return rc < 0 ? rc : check_firmware(job, cause);
	}
	rc = blkio_open_anchored(&job->io, &job->dev, job->anchor, BLKIO_WRITE, job->spec.io_ops,
				 cause);
	job->io_open = rc == 0;
	return rc;
}

/* Hidden areas of an ATA target: probed, restored when asked, and the size
 * the kernel sees afterwards becomes the device's. */
static int job_hidden(struct job *job, const struct job_spec *spec, char **cause)
{
	struct fw_job_hidden *h = &job->hidden;
	const struct fw_job *fj = spec->fw;
	char *why = NULL;
	int rc;

	if (fj)
		h->opts = fj->opts;
	else
		fw_opts_init(&h->opts);
	h->sdev = spec->hidden_sgio;
	h->rescan = spec->rescan;
	h->rescan_data = spec->rescan_data;
	rc = fw_job_hidden(&job->dev, &job->profile, h, &why);
	if (rc < 0)
		util_fail(cause, rc, "%s: %s", job->dev.path, why ? why : strerror(-rc));
	else if (h->size)
		job->dev.size_bytes = h->size;
	free(why);
	return rc;
}

static int job_setup(struct job *job, const struct job_spec *spec, char **cause)
{
	int rc;

	job->dev = *spec->device;
	memset(job->dev.reason_text, 0, sizeof(job->dev.reason_text));
	job->dev.n_reasons = 0;
	job->profile = *spec->profile;
	job->spec = *spec;
	job->spec.device = &job->dev;
	job->spec.profile = &job->profile;
	util_strlcpy(job->operator_name, spec->operator_name ? spec->operator_name : "",
		     sizeof(job->operator_name));
	util_strlcpy(job->destination, spec->destination ? spec->destination : "",
		     sizeof(job->destination));
	job->spec.operator_name = job->operator_name;
	job->spec.destination = job->destination;
	job->spec.state_dir = NULL;
	if (!job->spec.fw) {
		fw_opts_init(&job->own_fw.opts);
		util_strlcpy(job->state_dir, spec->state_dir ? spec->state_dir : "",
			     sizeof(job->state_dir));
		job->own_fw.opts.state_dir = job->state_dir[0] ? job->state_dir : NULL;
		job->spec.fw = &job->own_fw;
	}
	wipe_monitor_init(&job->monitor);
	atomic_init(&job->done, false);
	if (job->profile.method == PROFILE_METHOD_OVERWRITE) {
		job->ckpt_path = job_checkpoint_path(spec->state_dir, spec->device);
		if (!job->ckpt_path)
			return util_fail(cause, -ENOMEM, _("out of memory"));
	}
	job->spec.fw->anchored = false;		/* set by prepare_disk() alone */
	if (job->dev.transport != DEVICE_TRANSPORT_FILE)
		return prepare_disk(job, cause);
	if (job->profile.method != PROFILE_METHOD_OVERWRITE)
		return 0;
	rc = blkio_open_device(&job->io, &job->dev, BLKIO_WRITE, spec->io_ops, cause);
	job->io_open = rc == 0;
	return rc;
}

int job_prepare(const struct job_spec *spec, struct job **out, char **cause)
{
	struct job *job;
	int rc;

	*out = NULL;
	if (!spec->device || !spec->profile)
		return util_fail(cause, -EINVAL, _("job: missing device or profile"));
	if (!device_is_eligible(spec->device))
		return util_fail(cause, -EPERM, _("%s: not eligible for wiping"), spec->device->path);
	rc = check_method(spec, cause);
	if (rc < 0)
		return rc;
	job = calloc(1, sizeof(*job));
	if (!job)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	job->anchor = -1;
	rc = job_setup(job, spec, cause);
	if (rc < 0) {
		job_free(job);
		return rc;
	}
	*out = job;
	return 0;
}

int job_run(struct job *job, char **cause)
{
	int rc = 0;

	/* An ATA disk's hidden areas first (they may need the device to
	 * themselves), then the exclusive open of the disk. */
	if (job->profile.method == PROFILE_METHOD_OVERWRITE) {
		rc = job_hidden(job, &job->spec, cause);
		if (rc == 0 && job->io_open && job->hidden.size) {
			/* opened before a restore changed its size */
			rc = blkio_refresh_size(&job->io, cause);
		} else if (rc == 0 && !job->io_open) {
			/* after the hidden areas' own commands: through the anchor */
			rc = blkio_open_anchored(&job->io, &job->dev, job->anchor, BLKIO_WRITE,
						 job->spec.io_ops, cause);
			job->io_open = rc == 0;
		}
	}
	if (rc == 0 && pthread_create(&job->thread, NULL, job_main, job) != 0)
		rc = util_fail(cause, -EAGAIN, _("cannot start a thread for %s"), job->dev.path);
	if (rc < 0) {
		job_free(job);
		return rc;
	}
	job->started = true;
	return 0;
}

int job_start(const struct job_spec *spec, struct job **out, char **cause)
{
	int rc = job_prepare(spec, out, cause);

	if (rc == 0) {
		rc = job_run(*out, cause);
		if (rc < 0)
			*out = NULL;
	}
	return rc;
}

void job_snapshot(struct job *job, struct job_snapshot *out)
{
	memset(out, 0, sizeof(*out));
	util_strlcpy(out->device, job->dev.path, sizeof(out->device));
	util_strlcpy(out->name, job->dev.name, sizeof(out->name));
	util_strlcpy(out->profile, job->profile.name, sizeof(out->profile));
	out->state = atomic_load(&job->done) ? JOB_STATE_DONE : JOB_STATE_RUNNING;
	wipe_monitor_snapshot(&job->monitor, &out->progress);
}

void job_cancel(struct job *job)
{
	wipe_monitor_cancel(&job->monitor);
}

bool job_is_done(struct job *job)
{
	return atomic_load(&job->done);
}

int job_wait(struct job *job, const struct wipe_result **res, char **cause)
{
	if (job->started) {
		pthread_join(job->thread, NULL);
		job->started = false;
	}
	*res = NULL;
	if (job->rc < 0)
		return util_fail(cause, job->rc, "%s", job->cause ? job->cause :
				 strerror(-job->rc));
	*res = &job->res;
	return 0;
}

const struct fw_result *job_hidden_areas(const struct job *job)
{
	return job && job->hidden.applicable ? &job->hidden.result : NULL;
}

const char *job_hook_error(struct job *job)
{
	return job->hook_error;
}

const char *job_operator(struct job *job)
{
	return job->operator_name;
}

const char *job_destination(struct job *job)
{
	return job->destination;
}

void job_free(struct job *job)
{
	if (!job)
		return;
	if (job->started) {
		job_cancel(job);
		pthread_join(job->thread, NULL);
	}
	if (job->io_open)
		blkio_close(&job->io);
	if (job->anchor >= 0 && util_close(job->anchor) < 0)
		util_debug("job: closing the anchor of %s failed", job->dev.path);
	if (job->spec.fw && job->spec.fw->anchored && job->spec.fw->anchor == job->anchor)
		job->spec.fw->anchored = false;	/* the caller's struct outlives the job */
	wipe_result_clear(&job->res);
	fw_result_clear(&job->hidden.result);
	fw_result_clear(&job->own_fw.result);
	wipe_monitor_destroy(&job->monitor);
	free(job->ckpt_path);
	free(job->cause);
	free(job->hook_error);
	free(job);
}
