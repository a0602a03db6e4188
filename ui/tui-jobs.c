/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui-jobs: the station's sanitizations.  Each runs in its engine thread
 * (src/job); the screen only reads snapshots, on its own clock, and joins
 * a job once it says it is done.  Finished jobs stay listed (outcome,
 * certificate) until the same medium is wiped again.
 */
#include "tui-jobs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "wipe.h"

struct tui_job {
	struct job *job;
	struct finish *fin;
	struct tui_job_view view;
	bool stop_asked;
	bool joined;
	uint64_t started_ns;		/* for the average rate when the engine has none yet */
};

/* Point app->job_views at a fresh copy of every view (rows refer to it). */
static int sync_views(struct tui_app *app)
{
	struct tui_job_view *views = calloc(app->n_jobs + 1, sizeof(*views));

	if (!views)
		return -ENOMEM;
	for (size_t i = 0; i < app->n_jobs; i++)
		views[i] = app->jobs[i]->view;
	free(app->job_views);
	app->job_views = views;
	tui_app_rebuild_rows(app);
	return 0;
}

/* Stop @job unless it was joined, free it and its completion data. */
static void drop(struct job *job, bool joined, struct finish *fin)
{
	if (job && !joined) {
		const struct wipe_result *res;
		char *cause = NULL;

		job_cancel(job);
		job_wait(job, &res, &cause);
		free(cause);
	}
	job_free(job);
	finish_clear(fin);
	free(fin);
}

static void free_one(struct tui_job *tj)
{
	if (!tj)
		return;
	drop(tj->job, tj->joined, tj->fin);
	free(tj);
}

int tui_jobs_add(struct tui_app *app, struct job *job, struct finish *fin,
		 const struct device_info *dev)
{
	struct tui_job *tj = calloc(1, sizeof(*tj)), **grown;
	size_t i;

	if (!tj) {
		drop(job, false, fin);
		return -ENOMEM;
	}
	tj->job = job;
	tj->fin = fin;
	util_strlcpy(tj->view.path, dev->path, sizeof(tj->view.path));
	util_strlcpy(tj->view.name, dev->name, sizeof(tj->view.name));
	tj->view.phase = TUI_JOB_RUNNING;
	tj->view.eta_s = -1;
	tj->started_ns = util_mono_ns();
	/* a new job on a medium replaces its finished one */
	for (i = 0; i < app->n_jobs; i++) {
		if (strcmp(app->jobs[i]->view.path, dev->path) == 0) {
			free_one(app->jobs[i]);
			app->jobs[i] = tj;
			return sync_views(app);
		}
	}
	grown = realloc(app->jobs, (app->n_jobs + 1) * sizeof(*grown));
	if (!grown) {
		free_one(tj);
		return -ENOMEM;
	}
	app->jobs = grown;
	app->jobs[app->n_jobs++] = tj;
	return sync_views(app);
}

static void view_progress(struct tui_job *tj, const struct job_snapshot *s)
{
	double secs = (double)(util_mono_ns() - tj->started_ns) / 1e9;

	tui_model_job_progress(&tj->view, &s->progress, s->profile, secs);
}

/* The job said it is done: join it and show its outcome. */
static void finish(struct tui_app *app, struct tui_job *tj)
{
	const struct wipe_result *res = NULL;
	struct tui_job_view *v = &tj->view;
	char *cause = NULL;
	int rc = job_wait(tj->job, &res, &cause);

	tj->joined = true;
	if (rc < 0 || !res) {
		v->phase = TUI_JOB_FAILED;
		util_strlcpy(v->outcome, "failed", sizeof(v->outcome));
		util_strlcpy(v->message, cause ? cause : strerror(-rc), sizeof(v->message));
		free(cause);
		tui_app_message(app, true, "%s: %s", v->name, v->message);
		return;
	}
	util_strlcpy(v->outcome, wipe_outcome_name(res->outcome), sizeof(v->outcome));
	v->phase = res->outcome == WIPE_OUTCOME_ERASED || res->outcome == WIPE_OUTCOME_UNVERIFIED ?
		   TUI_JOB_SUCCEEDED : res->outcome == WIPE_OUTCOME_ABORTED ? TUI_JOB_ABORTED :
		   TUI_JOB_FAILED;
	v->errors = res->errors;
	util_strlcpy(v->message, res->cause, sizeof(v->message));
	util_strlcpy(v->cert_id, tj->fin->cert_id, sizeof(v->cert_id));
	if (job_hook_error(tj->job)) {
		util_strlcpy(v->message, job_hook_error(tj->job), sizeof(v->message));
		tui_app_message(app, true, "%s: %s", v->name, job_hook_error(tj->job));
	} else {
		tui_app_message(app, v->phase != TUI_JOB_SUCCEEDED, "%s: %s%s%s", v->name,
				v->outcome, v->cert_id[0] ? ", certificate " : "", v->cert_id);
	}
}

bool tui_jobs_poll(struct tui_app *app)
{
	bool any = false, ended = false;

	for (size_t i = 0; i < app->n_jobs; i++) {
		struct tui_job *tj = app->jobs[i];
		struct job_snapshot s;

		if (tj->joined)
			continue;
		job_snapshot(tj->job, &s);
		view_progress(tj, &s);
		any = true;
		if (s.state == JOB_STATE_DONE || job_is_done(tj->job)) {
			finish(app, tj);
			ended = true;
		}
	}
	if (any)
		sync_views(app);
	if (ended) {
		/* the register changed, and the media are no longer held by us */
		tui_media_forget();
		tui_app_lookup(app);
		tui_app_rescan(app);
	}
	return any;
}

size_t tui_jobs_running(const struct tui_app *app)
{
	size_t n = 0;

	for (size_t i = 0; i < app->n_jobs; i++)
		if (!app->jobs[i]->joined)
			n++;
	return n;
}

bool tui_jobs_stop(struct tui_app *app, const char *path)
{
	for (size_t i = 0; i < app->n_jobs; i++) {
		struct tui_job *tj = app->jobs[i];

		if (!tj->joined && strcmp(tj->view.path, path) == 0) {
			job_cancel(tj->job);
			tj->stop_asked = true;
			tj->view.phase = TUI_JOB_STOPPING;
			sync_views(app);
			return true;
		}
	}
	return false;
}

void tui_jobs_stop_all(struct tui_app *app)
{
	for (size_t i = 0; i < app->n_jobs; i++)
		if (!app->jobs[i]->joined)
			job_cancel(app->jobs[i]->job);
	for (size_t i = 0; i < app->n_jobs; i++)
		if (!app->jobs[i]->joined)
			finish(app, app->jobs[i]);
	sync_views(app);
}

const struct tui_job_view *tui_jobs_view(const struct tui_app *app, const char *path)
{
	for (size_t i = 0; i < app->n_jobs; i++)
		if (strcmp(app->jobs[i]->view.path, path) == 0)
			return &app->job_views[i];
	return NULL;
}

void tui_jobs_free(struct tui_app *app)
{
	for (size_t i = 0; i < app->n_jobs; i++)
		free_one(app->jobs[i]);
	free(app->jobs);
	free(app->job_views);
	app->jobs = NULL;
	app->job_views = NULL;
	app->n_jobs = 0;
}
