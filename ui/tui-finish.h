/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_TUI_FINISH_H
#define CUSTOS_TUI_FINISH_H

/*
 * tui-finish: the completion hook of the station's jobs (runs in the job's
 * thread): register event, then certificate or report, attached to the
 * medium.  One struct per job, owned by the screen until the job is joined.
 */

#include <stdint.h>

#include "device.h"
#include "fw-job.h"
#include "profile.h"
#include "wipe.h"

struct job;
struct station;

struct tui_finish {
	const char *state_dir;
	const struct station *station;	/* NULL: no certificate (not set up) */
	int64_t media_id;		/* register id; <= 0: not enrolled */
	char destination[32];		/* policy_dest_name() */
	char operator_name[128];
	char cert_id[96];		/* out: the certificate or report issued */
	struct fw_job fw;		/* firmware methods: options and evidence */
};

void tui_finish_free(struct tui_finish *fin);

struct register_db;
struct register_media;
struct register_destruction;

/* The destruction certificate of @m, destroyed as @d (the register's event
 * @hash), attached to it; its id into @id (96 bytes). */
int tui_finish_destruction(const char *state_dir, const struct station *st,
			   struct register_db *db, const struct register_media *m,
			   const struct register_destruction *d, const char *hash, char *id,
			   char **cause);

int tui_finish_hook(struct job *job, const struct device_info *dev,
		    const struct profile *profile, const struct wipe_result *res, void *data,
		    char **cause);

#endif
