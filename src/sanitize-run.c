/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sanitize: start, progress and the end of a planned sanitization.
 *
 * Order of a run (sanitize.h): "sanitize-started" and state sanitizing in
 * the caller's thread before the job opens the device; in the job's thread
 * when the medium is done: the end event, then the certificate or report
 * (its number taken only then), then the checkpoint removed.  A run killed
 * anywhere in between leaves the medium "sanitizing" (register verify) and
 * its checkpoint (sanitize --resume).
 */
#include "sanitize-private.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "station.h"
#include "util.h"

/* <state_dir>/jobs/medium-<id>.lock: held (flock) while a process works on
 * the medium, so a "sanitizing" medium whose lock is free was interrupted. */
static void medium_lock_path(const char *state_dir, int64_t id, char *buf, size_t len)
{
	snprintf(buf, len, "%.3900s/jobs/medium-%lld.lock", state_dir, (long long)id);
}

static int take_lock(struct sanitize_run *run)
{
	char dir[PATH_MAX + 8];
	int fd;

	snprintf(dir, sizeof(dir), "%s/jobs", run->plan->priv->state_dir);
	if (util_mkdir_p(dir, 0700) < 0)
		return -errno;
	medium_lock_path(run->plan->priv->state_dir, run->media_id, run->lock_path,
			 sizeof(run->lock_path));
	fd = open(run->lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int err = errno == EWOULDBLOCK ? -EBUSY : -errno;

		close(fd);
		return err;
	}
	run->lock_fd = fd;
	return 0;
}

static void drop_lock(struct sanitize_run *run)
{
	if (run->lock_fd < 0)
		return;
	if (close(run->lock_fd) < 0)
		util_warn("%s: %s", run->lock_path, strerror(errno));
	run->lock_fd = -1;
}

bool sanitize_medium_running(const char *state_dir, int64_t media_id)
{
	char path[PATH_MAX];
	bool busy;
	int fd;

	medium_lock_path(state_dir, media_id, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	busy = flock(fd, LOCK_SH | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return busy;
}

/* The outcome as the register and the certificate state it. */
static const char *outcome_name(const struct sanitize_run *run, const struct wipe_result *res)
{
	if (res->outcome == WIPE_OUTCOME_ABORTED &&
	    atomic_load(&run->stop) == SANITIZE_STOP_INTERRUPT)
		return "interrupted";
	return wipe_outcome_name(res->outcome);
}

const char *sanitize_nist_text(const struct sanitize_run *run)
{
	const struct fw_result *fr = &run->fw.result;
	const struct profile *p = &run->plan->profile;

	if (p->method != PROFILE_METHOD_OVERWRITE && fr->used != FW_METHOD_NONE &&
	    fr->nist != FW_NIST_NONE)
		return fw_nist_name(fr->nist);
	return profile_nist_name(profile_nist_for(p, run->plan->media_kind));
}

/* The result with what the record adds: outcome as stated, hidden areas,
 * the firmware evidence, the declared level, the source host. */
static json_t *result_json(const struct sanitize_run *run, const struct wipe_result *res,
			   const struct fw_result *hid)
{
	const struct sanitize_plan *plan = run->plan;
	json_t *j = wipe_result_to_json(res);
	char text[320];

	if (!j)
		return NULL;
	json_object_set_new(j, "outcome", json_string(outcome_name(run, res)));
	if (plan->profile.method == PROFILE_METHOD_OVERWRITE) {
		json_object_set_new(j, "hidden_areas", fw_job_hidden_to_json(hid));
	} else {
		const struct fw_result *fr = &run->fw.result;
		json_t *h;

		json_object_set_new(j, "verify", json_string("firmware-status"));
		sanitize_fw_hidden_text(fr, text, sizeof(text));
		if (!fr->hidden.checked && strcmp(fr->media_kind, "nvme") == 0)
			h = json_pack("{s:s, s:s}", "status", "not applicable", "summary", text);
		else
			h = fw_job_hidden_to_json(fr);
		if (h)
			json_object_set_new(h, "summary", json_string(text));
		json_object_set_new(j, "hidden_areas", h);
		sanitize_fw_marker_text(fr, text, sizeof(text));
		json_object_set_new(j, "marker_proof", text[0] ? json_string(text) : json_null());
		json_object_set_new(j, "firmware", fw_result_to_json(fr));
	}
	if (plan->declared)
		json_object_set_new(j, "declared_classification",
				    json_string(plan->classification));
	if (plan->priv->source_host[0])
		json_object_set_new(j, "source_host", json_string(plan->priv->source_host));
	return j;
}

static int open_db(const struct sanitize_run *run, struct register_db **db, char **cause)
{
	const struct sanitize_plan *plan = run->plan;
	int rc = register_open_dir(plan->priv->state_dir, db, cause);

	if (rc < 0)
		return rc;
	/* every event is signed: the station's key signs the chain */
	if (plan->priv->station)
		rc = register_attach_station(*db, plan->priv->station, plan->operator_name, cause);
	else
		rc = register_set_actor(*db, plan->operator_name, NULL);
	if (rc < 0) {
		register_close(*db);
		*db = NULL;
	}
	return rc;
}

static void remove_checkpoint(struct sanitize_run *run)
{
	char *path = job_checkpoint_path(run->plan->priv->state_dir, &run->plan->dev);

	if (path && unlink(path) < 0 && errno != ENOENT)
		util_warn(_("cannot remove checkpoint %s: %s"), path, strerror(errno));
	free(path);
}

/* A firmware method whose result carries no real times: the run's own. */
static void fix_times(struct sanitize_run *run, struct wipe_result *res)
{
	if (run->plan->profile.method == PROFILE_METHOD_OVERWRITE)
		return;
	if (!res->start || res->end < res->start) {
		res->start = run->started;
		res->end = util_unix_now();
	}
	if (res->duration <= 0)
		res->duration = (double)(util_mono_ns() - run->started_ns) / 1e9;
}

/* The end event, then its document, then the checkpoint: in this order. */
static int record_end(struct sanitize_run *run, const struct wipe_result *in,
		      const struct fw_result *hid, char **cause)
{
	struct sanitize_end *end = &run->end;
	struct wipe_result res = *in;	/* shallow: the ranges stay the job's */
	struct register_db *db = NULL;
	struct register_media m;
	struct register_sanitization s = {
		.destination = run->plan->destination,
		.nist_category = sanitize_nist_text(run),
		.profile = run->plan->profile.name,
	};
	json_t *j;
	char *text = NULL, *why = NULL;
	int rc;

	atomic_store(&run->recording, true);
	fix_times(run, &res);
	util_strlcpy(end->outcome, outcome_name(run, &res), sizeof(end->outcome));
	j = result_json(run, &res, hid);
	text = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(j);
	if (!text)
		return util_fail(cause, -ENOMEM, _("out of memory: the end of the run is not "
				 "recorded (the medium stays sanitizing)"));
	s.result_json = text;
	rc = open_db(run, &db, cause);
	if (rc == 0)
		rc = register_record_sanitization(db, run->media_id, &run->plan->dev, &s, NULL,
						  end->event_hash, cause);
	free(text);
	if (rc < 0) {
		register_close(db);
		return rc;	/* stays sanitizing, checkpoint kept: register verify says so */
	}
	util_strlcpy(end->event, res.outcome == WIPE_OUTCOME_ERASED ? "sanitized" : "not-erased",
		     sizeof(end->event));
	if (register_get(db, run->media_id, &m, NULL) == 0)
		util_strlcpy(end->register_no, m.register_no, sizeof(end->register_no));
	rc = sanitize_certify(run, db, &res, hid, &why);
	if (rc < 0) {
		char *why2 = NULL;

		snprintf(end->error, sizeof(end->error), "%s recorded as %s, but its %s was NOT "
			 "issued: %s", end->register_no, end->event,
			 res.outcome == WIPE_OUTCOME_ERASED ? "certificate" : "report",
			 why ? why : strerror(-rc));
		if (register_record_certificate_failure(db, run->media_id, end->event_hash,
			res.outcome == WIPE_OUTCOME_ERASED ? "sanitization" : "report",
			why ? why : strerror(-rc), &why2) < 0)
			util_warn(_("%s: the certificate failure is not recorded either: %s"),
				  end->register_no, why2 ? why2 : "?");
		free(why2);
		util_fail(cause, rc, "%s", end->error);
	}
	free(why);
	register_close(db);
	/* Only now: a crash before this point resumes or reports the run. */
	if (strcmp(end->outcome, "interrupted") != 0)
		remove_checkpoint(run);
	return rc;
}

/* job_complete_fn, in the job's thread. */
static int end_hook(struct job *job, const struct device_info *dev, const struct profile *profile,
		    const struct wipe_result *res, void *data, char **cause)
{
	struct sanitize_run *run = data;

	(void)dev;
	(void)profile;
	run->hidden = job_hidden_areas(job);
	run->rc = record_end(run, res, run->hidden, cause);
	run->recorded = true;
	return run->rc;
}

/* A run that broke before the engine produced a result: outcome failed. */
static int record_failed(struct sanitize_run *run, const char *why, char **cause)
{
	struct wipe_result *res = &run->failed;

	memset(res, 0, sizeof(*res));
	res->outcome = WIPE_OUTCOME_FAILED;
	util_strlcpy(res->profile, run->plan->profile.name, sizeof(res->profile));
	util_strlcpy(res->device, run->plan->dev.path, sizeof(res->device));
	res->size = run->plan->dev.size_bytes;
	res->verify = run->plan->verify;
	res->first_mismatch = UINT64_MAX;
	res->start = run->started;
	res->end = util_unix_now();
	util_strlcpy(res->cause, why, sizeof(res->cause));
	run->result = res;
	run->rc = record_end(run, res, NULL, cause);
	run->recorded = true;
	return run->rc;
}

static void fill_spec(struct sanitize_run *run, struct job_spec *spec)
{
	const struct sanitize_plan *plan = run->plan;
	const struct sanitize_plan_priv *pv = plan->priv;

	memset(spec, 0, sizeof(*spec));
	spec->device = &plan->dev;
	spec->profile = &plan->profile;
	spec->verify_set = true;
	spec->verify = plan->verify;
	spec->state_dir = pv->state_dir;
	spec->resume = plan->resume;
	spec->operator_name = plan->operator_name;
	spec->destination = plan->destination;
	spec->block_size = pv->block_size;
	spec->sample_seed_set = pv->sample_seed_set;
	spec->sample_seed = pv->sample_seed;
	spec->checkpoint_ms = pv->checkpoint_ms;
	spec->io_ops = pv->io_ops;
	spec->fw = &run->fw;
	spec->on_complete = end_hook;
	spec->complete_data = run;
	spec->keep_checkpoint = true;
	spec->hidden_sgio = pv->hidden_sgio;
	spec->rescan = pv->rescan;
	spec->rescan_data = pv->rescan_data;
}

/* "sanitize-started" (and the old run closed as interrupted), in the
 * caller's thread, before the job opens the device. */
static int record_start(struct sanitize_run *run, char **cause)
{
	const struct sanitize_plan *plan = run->plan;
	struct register_start s = {
		.profile = plan->profile.name,
		.destination = plan->destination,
		.operator_name = plan->operator_name,
		.method = plan->method,
		.verify = profile_verify_name(plan->verify),
		.passes = plan->passes,
		.resume = plan->resume,
	};
	struct register_db *db = NULL;
	struct register_media m = plan->priv->m;
	int64_t id = plan->media_id;
	int rc = open_db(run, &db, cause);

	/* another station's medium (the central register): received here
	 * first, so the run joins its one history with its classification */
	if (rc == 0 && id <= 0 && plan->priv->in_register && m.central_station[0]) {
		rc = register_receive(db, &m, cause);
		id = m.id;
	}
	if (rc == 0)
		rc = register_start_sanitization(db, id, &plan->dev, &s, &run->media_id,
						 run->start_hash, NULL, cause);
	register_close(db);
	return rc;
}

/* The target refused at its open: the plan says so (a safety refusal). */
static void refuse_at_open(struct sanitize_plan *plan, int rc, const char *why)
{
	if (rc != -EPERM && rc != -EBUSY && rc != -EAGAIN && rc != -ENOTBLK && rc != -ENODEV &&
	    rc != -ELOOP)
		return;
	plan->rc = rc;
	util_strlcpy(plan->refusal, "safety", sizeof(plan->refusal));
	snprintf(plan->reason, sizeof(plan->reason), "%s", why ? why : strerror(-rc));
}

int sanitize_start(struct sanitize_plan *plan, struct sanitize_run **out, char **cause)
{
	struct sanitize_run *run;
	struct job_spec spec;
	char *why = NULL;
	int rc;

	*out = NULL;
	if (plan->rc < 0)
		return util_fail(cause, -EPERM, _("refused: %s"), plan->reason);
	run = calloc(1, sizeof(*run));
	if (!run)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	run->plan = plan;
	run->lock_fd = -1;
	run->fw.opts = plan->priv->fw;
	run->started = util_unix_now();
	run->started_ns = util_mono_ns();
	/* The target is anchored, guarded and (an image file, or a disk to be
	 * overwritten) opened exclusively first: a guard that fails on the open
	 * descriptor (locked, held or open elsewhere, path swapped, another
	 * medium under the same name) is a refusal that leaves no trace, like
	 * the plan's own. */
	fill_spec(run, &spec);
	rc = job_prepare(&spec, &run->job, &why);
	if (rc < 0) {
		refuse_at_open(plan, rc, why);
		util_fail(cause, rc, "%s", why ? why : strerror(-rc));
		free(why);
		free(run);
		return rc;	/* nothing written anywhere */
	}
	/* A new run removes an earlier run's checkpoint before it is recorded
	 * as started: once the register says "sanitizing", a checkpoint there
	 * is this run's.  (One left by a run killed after its end was recorded
	 * would otherwise be resumed, a pass at a time, over whatever the
	 * medium holds now.)  Killed in between, the old run stays as it was
	 * recorded; an interrupted one then starts over on --resume. */
	if (!plan->resume)
		remove_checkpoint(run);
	rc = record_start(run, cause);
	if (rc < 0) {
		job_free(run->job);
		free(run);
		return rc;	/* nothing written anywhere */
	}
	wipe_test_pause("CUSTOS_TEST_PAUSE_AFTER_START", NULL);
	if (take_lock(run) < 0)
		util_warn(_("%s: cannot lock %s: others may not see that it is running"),
			  plan->dev.path, run->lock_path);
	rc = job_run(run->job, &why);
	if (rc < 0) {
		/* Started in the register: it ends there, failed, with its report. */
		char *rec = NULL;
		const struct sanitize_end *e = &run->end;

		run->job = NULL;	/* freed by job_run() */

		record_failed(run, why ? why : strerror(-rc), &rec);
		if (e->cert_id[0])
			util_fail(cause, rc, _("%s (recorded: %s %s, report %s)"),
				  why ? why : strerror(-rc), e->register_no, e->event, e->cert_id);
		else
			util_fail(cause, rc, "%s%s%s", why ? why : strerror(-rc),
				  rec ? "; " : "", rec ? rec : "");
		free(rec);
		free(why);
		drop_lock(run);
		fw_result_clear(&run->fw.result);
		json_decref(run->doc);
		free(run);
		return rc;
	}
	*out = run;
	return 0;
}

void sanitize_snapshot(struct sanitize_run *run, struct sanitize_progress *out)
{
	struct job_snapshot s;
	const struct wipe_progress *p = &s.progress;

	memset(out, 0, sizeof(*out));
	out->eta_s = UINT64_MAX;
	out->n_passes = run->plan->passes;
	if (!run->job || run->waited) {
		out->state = SANITIZE_DONE;
		out->percent = 100;
		out->pass = out->n_passes;
		out->eta_s = 0;
		return;
	}
	job_snapshot(run->job, &s);
	out->rate = p->rate;
	out->phase = p->phase;
	out->done = p->done;
	out->total = p->total;
	out->errors = p->errors;
	out->resumed = p->resumed;
	if (p->n_passes)
		out->n_passes = p->n_passes;
	out->pass = p->pass > out->n_passes ? out->n_passes : p->pass;
	out->phase_percent = p->phase_total ? 100.0 * (double)p->phase_done /
					      (double)p->phase_total : 0;
	if (p->total)
		out->percent = 100.0 * (double)(p->done > p->total ? p->total : p->done) /
			       (double)p->total;
	else
		out->percent = out->phase_percent;	/* firmware: one phase */
	if (p->rate > 0 && p->total > p->done)
		out->eta_s = (uint64_t)((double)(p->total - p->done) / p->rate);
	else if (p->eta_s != UINT64_MAX)
		out->eta_s = p->eta_s;
	if (p->phase == WIPE_PHASE_DONE || s.state == JOB_STATE_DONE) {
		out->percent = 100;
		out->eta_s = 0;
		out->state = atomic_load(&run->recording) ? SANITIZE_RECORDING : SANITIZE_RUNNING;
		if (sanitize_is_done(run))
			out->state = SANITIZE_DONE;
	}
}

void sanitize_progress_text(const struct sanitize_progress *p, char *buf, size_t len)
{
	char rate[32] = "-", eta[32] = "?";

	if (p->rate > 0)
		util_format_size((uint64_t)p->rate, rate, sizeof(rate));
	if (p->eta_s != UINT64_MAX)
		util_format_duration(p->eta_s, eta, sizeof(eta));
	if (p->state == SANITIZE_DONE) {
		snprintf(buf, len, _("100.0%% done"));
		return;
	}
	if (p->state == SANITIZE_RECORDING) {
		snprintf(buf, len, _("100.0%% recording"));
		return;
	}
	snprintf(buf, len, _("%5.1f%% pass %u/%u %-6s %s/s ETA %s%s"), p->percent,
		 p->pass ? p->pass : 1, p->n_passes ? p->n_passes : 1, wipe_phase_name(p->phase),
		 rate, eta, p->errors ? _(" ERRORS") : "");
}

void sanitize_abort(struct sanitize_run *run)
{
	int none = SANITIZE_STOP_NONE;

	atomic_compare_exchange_strong(&run->stop, &none, SANITIZE_STOP_ABORT);
	if (run->job)
		job_cancel(run->job);
}

void sanitize_interrupt(struct sanitize_run *run)
{
	int none = SANITIZE_STOP_NONE;

	atomic_compare_exchange_strong(&run->stop, &none, SANITIZE_STOP_INTERRUPT);
	if (run->job)
		job_cancel(run->job);
}

bool sanitize_is_done(struct sanitize_run *run)
{
	return !run->job || run->waited || job_is_done(run->job);
}

int sanitize_wait(struct sanitize_run *run, char **cause)
{
	const struct wipe_result *res = NULL;
	char *why = NULL;
	int rc;

	if (run->waited)
		goto out;
	run->waited = true;
	if (!run->job)
		goto out;
	rc = job_wait(run->job, &res, &why);
	run->result = res;
	if (rc < 0 && !run->recorded) {
		/* the engine could not run at all (a bad checkpoint...): failed */
		char *rec = NULL;

		record_failed(run, why ? why : strerror(-rc), &rec);
		free(rec);
		if (!run->rc)
			run->rc = rc;
		if (!run->end.error[0])
			snprintf(run->end.error, sizeof(run->end.error), "%s",
				 why ? why : strerror(-rc));
	} else if (!run->recorded) {
		snprintf(run->end.error, sizeof(run->end.error), "the end was not recorded");
		run->rc = -EIO;
	} else if (run->rc < 0 && !run->end.error[0]) {
		snprintf(run->end.error, sizeof(run->end.error), "%s",
			 job_hook_error(run->job) ? job_hook_error(run->job) : "recording failed");
	}
	free(why);
out:
	drop_lock(run);
	run->end.result = run->result;
	run->end.fw = run->plan->profile.method != PROFILE_METHOD_OVERWRITE ? &run->fw.result
									  : NULL;
	run->end.hidden = run->hidden;
	run->end.doc = run->doc;
	if (run->rc < 0)
		return util_fail(cause, run->rc, "%s", run->end.error[0] ? run->end.error :
				 strerror(-run->rc));
	return 0;
}

const struct sanitize_end *sanitize_end(const struct sanitize_run *run)
{
	return &run->end;
}

const struct sanitize_plan *sanitize_run_plan(const struct sanitize_run *run)
{
	return run->plan;
}

static json_t *cert_json(const struct sanitize_end *e)
{
	if (!e->cert_id[0])
		return json_null();
	return json_pack("{s:s, s:s, s:s, s:s}", "id", e->cert_id, "kind", e->cert_kind,
			 "json", e->cert_json, "pdf", e->cert_pdf);
}

json_t *sanitize_end_to_json(const struct sanitize_run *run)
{
	const struct sanitize_end *e = &run->end;
	json_t *j;

	if (e->result) {
		struct wipe_result res = *e->result;

		fix_times((struct sanitize_run *)run, &res);
		j = result_json(run, &res, e->hidden);
	} else {
		j = json_object();
	}
	if (!j)
		return NULL;
	json_object_set_new(j, "device", json_string(run->plan->dev.path));
	json_object_set_new(j, "outcome", json_string(e->outcome[0] ? e->outcome : "failed"));
	json_object_set_new(j, "profile", json_string(run->plan->profile.name));
	json_object_set_new(j, "destination", json_string(run->plan->destination));
	json_object_set_new(j, "nist_category", json_string(sanitize_nist_text(run)));
	json_object_set_new(j, "register_no", json_string(e->register_no));
	json_object_set_new(j, "event", json_string(e->event));
	json_object_set_new(j, "certificate", cert_json(e));
	if (e->error[0])
		json_object_set_new(j, "record_error", json_string(e->error));
	return j;
}

void sanitize_run_free(struct sanitize_run *run)
{
	if (!run)
		return;
	if (run->job && !run->waited) {
		sanitize_interrupt(run);
		sanitize_wait(run, NULL);
	}
	job_free(run->job);
	drop_lock(run);
	fw_result_clear(&run->fw.result);
	json_decref(run->doc);
	free(run);
}
