/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_TUI_JOBS_H
#define CUSTOS_TUI_JOBS_H

/* tui-jobs: starting jobs into the station's list (the rest is in tui.h). */

#include "finish.h"
#include "tui.h"

struct job;

/* Take over a started @job on @dev and its completion data @fin (malloc'd;
 * cleared and freed with the job). */
int tui_jobs_add(struct tui_app *app, struct job *job, struct finish *fin,
		 const struct device_info *dev);

#endif
