/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sanitize: the plan/start/poll/end transaction of sanitize.h.
 * STUB: the API compiles so the station screen can be written against it;
 * every call refuses with -ENOSYS until the implementation lands.
 */
#include "sanitize.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void sanitize_request_init(struct sanitize_request *rq)
{
	memset(rq, 0, sizeof(*rq));
	fw_opts_init(&rq->fw);
}

int sanitize_plan(const struct sanitize_request *rq, struct sanitize_plan **out, char **cause)
{
	(void)rq;
	*out = NULL;
	return util_fail(cause, -ENOSYS, "sanitize: not implemented yet");
}

void sanitize_plan_free(struct sanitize_plan *plan)
{
	free(plan);
}

int sanitize_plan_set_destination(struct sanitize_plan *plan, const char *destination,
				  char **cause)
{
	(void)plan;
	(void)destination;
	return util_fail(cause, -ENOSYS, "sanitize: not implemented yet");
}

const char *sanitize_dest_text(const struct sanitize_plan *plan, enum policy_dest d)
{
	return plan->dests[d].allowed ? "allowed" : plan->dests[d].rule;
}

int sanitize_start(struct sanitize_plan *plan, struct sanitize_run **out, char **cause)
{
	(void)plan;
	*out = NULL;
	return util_fail(cause, -ENOSYS, "sanitize: not implemented yet");
}

void sanitize_snapshot(struct sanitize_run *run, struct sanitize_progress *out)
{
	(void)run;
	memset(out, 0, sizeof(*out));
	out->state = SANITIZE_DONE;
}

void sanitize_progress_text(const struct sanitize_progress *p, char *buf, size_t len)
{
	snprintf(buf, len, "%5.1f%%", p->percent);
}

void sanitize_abort(struct sanitize_run *run)
{
	(void)run;
}

void sanitize_interrupt(struct sanitize_run *run)
{
	(void)run;
}

bool sanitize_is_done(struct sanitize_run *run)
{
	(void)run;
	return true;
}

int sanitize_wait(struct sanitize_run *run, char **cause)
{
	(void)run;
	return util_fail(cause, -ENOSYS, "sanitize: not implemented yet");
}

const struct sanitize_end *sanitize_end(const struct sanitize_run *run)
{
	(void)run;
	return NULL;
}

const struct sanitize_plan *sanitize_run_plan(const struct sanitize_run *run)
{
	(void)run;
	return NULL;
}

json_t *sanitize_end_to_json(const struct sanitize_run *run)
{
	(void)run;
	return NULL;
}

void sanitize_run_free(struct sanitize_run *run)
{
	free(run);
}

/* Until finish.c is folded in: the same functions under their new names. */
#include "finish.h"

int sanitize_nist(const struct profile *p, const struct device_info *dev,
		  enum policy_nist *out)
{
	return finish_nist(p, dev, out);
}

int sanitize_destroy(const struct policy *pol, struct register_db *db,
		     const struct register_media *m, struct sanitize_destroy *sd, char **cause)
{
	struct finish_destroy fd = {
		.state_dir = sd->state_dir, .station = sd->station, .cert_dir = sd->cert_dir,
		.operator_name = sd->operator_name, .operator_title = sd->operator_title,
		.validator_name = sd->validator_name, .validator_title = sd->validator_title,
		.d = sd->d,
	};
	int rc = finish_destroy(pol, db, m, &fd, cause);

	sd->recorded = fd.recorded;
	memcpy(sd->hash, fd.hash, sizeof(sd->hash));
	memcpy(sd->cert_id, fd.cert_id, sizeof(sd->cert_id));
	memcpy(sd->cert_dir_out, fd.cert_dir_out, sizeof(sd->cert_dir_out));
	return rc;
}
