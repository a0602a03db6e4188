/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_TUI_JOBS_H
#define CUSTOS_TUI_JOBS_H

/* tui-jobs: starting runs into the station's list (the rest is in tui.h). */

#include "sanitize.h"
#include "tui.h"

/* Take over a started @run of @plan (sanitize_start()); both are freed
 * with the job.  On failure the run is stopped (aborted) and freed. */
int tui_jobs_add(struct tui_app *app, struct sanitize_run *run, struct sanitize_plan *plan);

#endif
