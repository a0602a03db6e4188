/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tui-jobs: the station's sanitizations.  Each is a run of src/sanitize
 * (its own thread; the start, the end event and the certificate are the
 * library's); the screen only reads snapshots, on its own clock, and joins
 * a run once it says it is done.  Finished runs stay listed (outcome,
 * certificate) until the same medium is wiped again.
 */
#include "tui-jobs.h"
#include "i18n.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct tui_job {
	struct sanitize_run *run;
	struct sanitize_plan *plan;	/* outlives the run */
	struct tui_job_view view;
	bool joined;
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

/* Stop @run unless it was joined (a deliberate stop: aborted), free it and its plan. */
static void drop(struct sanitize_run *run, bool joined, struct sanitize_plan *plan)
{
	if (run && !joined) {
		char *cause = NULL;

		sanitize_abort(run);
		sanitize_wait(run, &cause);
		free(cause);
	}
	sanitize_run_free(run);
	sanitize_plan_free(plan);
}

static void free_one(struct tui_job *tj)
{
	if (!tj)
		return;
	drop(tj->run, tj->joined, tj->plan);
	free(tj);
}

int tui_jobs_add(struct tui_app *app, struct sanitize_run *run, struct sanitize_plan *plan)
{
	struct tui_job *tj = calloc(1, sizeof(*tj)), **grown;
	const struct device_info *dev = &plan->dev;
	size_t i;

	if (!tj) {
		drop(run, false, plan);
		return -ENOMEM;
	}
	tj->run = run;
	tj->plan = plan;
	util_strlcpy(tj->view.path, dev->path, sizeof(tj->view.path));
	util_strlcpy(tj->view.name, dev->name, sizeof(tj->view.name));
	tj->view.phase = TUI_JOB_RUNNING;
	tj->view.eta_s = -1;
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

static enum tui_job_phase outcome_phase(const char *outcome)
{
	if (strcmp(outcome, "erased") == 0 || strcmp(outcome, "unverified") == 0)
		return TUI_JOB_SUCCEEDED;
	if (strcmp(outcome, "aborted") == 0 || strcmp(outcome, "interrupted") == 0)
		return TUI_JOB_ABORTED;
	return TUI_JOB_FAILED;
}

/* The run said it is done: join it and show its outcome, its document and
 * any failure to record them. */
static void finish(struct tui_app *app, struct tui_job *tj)
{
	struct tui_job_view *v = &tj->view;
	const struct sanitize_end *end;
	char *cause = NULL;
	int rc = sanitize_wait(tj->run, &cause);

	tj->joined = true;
	end = sanitize_end(tj->run);
	if (!end || !end->outcome[0]) {
		v->phase = TUI_JOB_FAILED;
		util_strlcpy(v->outcome, "failed", sizeof(v->outcome));
		util_strlcpy(v->message, cause ? cause : strerror(-rc), sizeof(v->message));
		free(cause);
		tui_app_message(app, true, _("%s: %s"), v->name, v->message);
		return;
	}
	util_strlcpy(v->outcome, end->outcome, sizeof(v->outcome));
	v->phase = outcome_phase(end->outcome);
	if (end->result) {
		v->errors = end->result->errors;
		util_strlcpy(v->message, end->result->cause, sizeof(v->message));
	}
	util_strlcpy(v->cert_id, end->cert_id, sizeof(v->cert_id));
	if (rc < 0 || end->error[0]) {
		util_strlcpy(v->message, end->error[0] ? end->error : cause ? cause :
			     strerror(-rc), sizeof(v->message));
		tui_app_message(app, true, _("%s: %s: %s"), v->name, i18n_value(v->outcome),
				v->message);
	} else {
		const char *doc = strcmp(end->cert_kind, "report") == 0 ? _(", report ") :
				  _(", certificate ");

		tui_app_message(app, v->phase != TUI_JOB_SUCCEEDED, "%s: %s%s%s", v->name,
				i18n_value(v->outcome), v->cert_id[0] ? doc : "", v->cert_id);
	}
	free(cause);
}

bool tui_jobs_poll(struct tui_app *app)
{
	bool any = false, ended = false;

	for (size_t i = 0; i < app->n_jobs; i++) {
		struct tui_job *tj = app->jobs[i];
		struct sanitize_progress s;

		if (tj->joined)
			continue;
		sanitize_snapshot(tj->run, &s);
		tui_model_job_progress(&tj->view, &s, tj->plan->profile.name);
		any = true;
		if (s.state == SANITIZE_DONE || sanitize_is_done(tj->run)) {
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
			sanitize_abort(tj->run);	/* deliberate: outcome aborted */
			tj->view.phase = TUI_JOB_STOPPING;
			sync_views(app);
			return true;
		}
	}
	return false;
}

void tui_jobs_stop_all(struct tui_app *app, bool resumable)
{
	for (size_t i = 0; i < app->n_jobs; i++) {
		if (app->jobs[i]->joined)
			continue;
		if (resumable)
			sanitize_interrupt(app->jobs[i]->run);
		else
			sanitize_abort(app->jobs[i]->run);
	}
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
