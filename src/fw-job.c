/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * fw-job: the bridge between a job (device, profile, monitor, wipe_result)
 * and the firmware layer.
 */
#include "fw-job.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

enum fw_method fw_job_method(const struct profile *p)
{
	enum fw_method m;

	if (p->method == PROFILE_METHOD_OVERWRITE ||
	    fw_method_parse(profile_method_name(p->method), &m) < 0)
		return FW_METHOD_NONE;
	return m;
}

int fw_job_guard(const struct device_info *dev, const struct profile *p, const struct fw_opts *o,
		 char **cause)
{
	enum fw_method m = fw_job_method(p);
	struct sgio_dev *sdev = NULL;
	struct fw_caps caps;
	int rc;

	if (p->method == PROFILE_METHOD_OVERWRITE)
		return 0;
	if (m == FW_METHOD_NONE)
		return util_fail(cause, -EOPNOTSUPP, "not supported: unknown firmware method");
	rc = sgio_open(dev->path, false, &sdev, cause);
	if (rc == 0)
		rc = fw_probe_dev(sdev, device_media_kind(dev), &caps, cause);
	if (rc == 0)
		rc = fw_check(&caps, m, o, cause);
	sgio_close(sdev);
	return rc;
}

/* Publish firmware progress as a one-pass "write" (erase) / "verify" (markers). */
static void on_progress(const struct fw_progress *p, void *data)
{
	struct wipe_monitor *m = data;
	uint64_t done = p->fraction >= 0 ? (uint64_t)(p->fraction * 1000) : 0;

	pthread_mutex_lock(&m->lock);
	m->progress.pass = 1;
	m->progress.n_passes = 1;
	m->progress.phase = strcmp(p->phase, "verify") == 0 ? WIPE_PHASE_VERIFY : WIPE_PHASE_WRITE;
	m->progress.phase_done = done;
	m->progress.phase_total = 1000;
	m->progress.done = done;
	m->progress.total = 1000;
	m->progress.eta_s = p->eta_s ? p->eta_s : UINT64_MAX;
	pthread_mutex_unlock(&m->lock);
}

static void fill_result(const struct fw_result *r, const struct device_info *dev,
			const struct profile *profile, int rc, struct wipe_result *res)
{
	res->outcome = rc == 0 ? WIPE_OUTCOME_ERASED : rc == -ECANCELED ? WIPE_OUTCOME_ABORTED :
		       WIPE_OUTCOME_FAILED;
	util_strlcpy(res->profile, profile->name, sizeof(res->profile));
	util_strlcpy(res->device, dev->path, sizeof(res->device));
	res->size = r->sectors * r->sector_size;
	res->sector_size = r->sector_size;
	res->verify = PROFILE_VERIFY_NONE;
	res->start = r->started;
	res->end = r->finished;
	res->duration = (double)(r->finished - r->started);
	res->first_mismatch = UINT64_MAX;
	res->mismatch_bytes = r->markers.survived * (uint64_t)r->sector_size;
	snprintf(res->cause, sizeof(res->cause), "%s%s%s", r->failure ? r->failure : "",
		 r->recovery ? " " : "", r->recovery ? r->recovery : "");
}

static int run(struct sgio_dev *sdev, const struct device_info *dev,
	       const struct profile *profile, struct wipe_monitor *monitor,
	       struct wipe_result *res, struct fw_job *fj, char **cause)
{
	enum fw_method m = fw_job_method(profile);
	struct fw_result local, *r = fj ? &fj->result : &local;
	struct fw_opts o;
	int rc;

	if (fj)
		o = fj->opts;
	else
		fw_opts_init(&o);
	o.media_kind = device_media_kind(dev);
	o.restore_max = o.restore_max || profile->restore_max;
	o.markers = profile->markers;
	if (!o.n_markers)
		o.n_markers = 16;
	if (m == FW_METHOD_NONE)
		return util_fail(cause, -EOPNOTSUPP, "not supported: not a firmware method");
	if (sdev)
		rc = fw_run_dev(sdev, m, &o, on_progress, monitor, &monitor->cancel, r, cause);
	else
		rc = fw_run(dev->path, m, &o, on_progress, monitor, &monitor->cancel, r, cause);
	if (rc < 0 && !r->touched) {
		if (r == &local)
			fw_result_clear(r);
		return rc;
	}
	fill_result(r, dev, profile, rc, res);
	if (r == &local)
		fw_result_clear(r);
	return 0;
}

int fw_job_run(const struct device_info *dev, const struct profile *profile,
	       struct wipe_monitor *monitor, struct wipe_result *res, void *data, char **cause)
{
	return run(NULL, dev, profile, monitor, res, data, cause);
}

int fw_job_run_dev(struct sgio_dev *sdev, const struct device_info *dev,
		   const struct profile *profile, struct wipe_monitor *monitor,
		   struct wipe_result *res, void *data, char **cause)
{
	return run(sdev, dev, profile, monitor, res, data, cause);
}
