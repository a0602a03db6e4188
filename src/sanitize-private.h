/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_SANITIZE_PRIVATE_H
#define CUSTOS_SANITIZE_PRIVATE_H

/* Internals shared by sanitize.c (the plan), sanitize-run.c (start, end,
 * record) and sanitize-cert.c (certificates, reports, destruction). */

#include <stdatomic.h>

#include "cert.h"
#include "job.h"
#include "register.h"
#include "sanitize.h"

struct sanitize_plan_priv {
	char state_dir[PATH_MAX];
	char cert_dir[PATH_MAX];
	const struct station *station;
	const struct policy *policy;
	char declared_class[16];	/* unenrolled / unclassified: the level used */
	char source_host[256];
	char notes[256];
	struct fw_opts fw;		/* fw.state_dir points at @state_dir */
	bool verify_set;
	uint32_t block_size;
	bool sample_seed_set;
	uint64_t sample_seed;
	unsigned checkpoint_ms;
	const struct blkio_ops *io_ops;
	struct sgio_dev *hidden_sgio;
	fw_job_rescan_fn rescan;
	void *rescan_data;
	/* what the policy decides on */
	enum policy_level level, highest;
	enum policy_kind kind;
	bool have_cat;
	enum policy_nist cat;
	bool in_register;
	struct register_media m;
	bool dest_refused;		/* plan->rc is the destination's verdict */
};

enum sanitize_stop { SANITIZE_STOP_NONE = 0, SANITIZE_STOP_ABORT, SANITIZE_STOP_INTERRUPT };

struct sanitize_run {
	struct sanitize_plan *plan;
	struct job *job;
	struct fw_job fw;		/* options from the plan, evidence of the run */
	int64_t media_id;
	char start_hash[65];
	char lock_path[PATH_MAX];
	int lock_fd;
	atomic_int stop;		/* enum sanitize_stop */
	atomic_bool recording;
	bool recorded;			/* record_end() ran */
	bool waited;
	int64_t started;		/* unix seconds of the start */
	uint64_t started_ns;
	const struct wipe_result *result;
	const struct fw_result *hidden;	/* overwrite on ATA: the job's record */
	int rc;				/* of the end: 0 recorded and documented */
	struct sanitize_end end;
	json_t *doc;
	struct wipe_result failed;	/* the result of a run that broke before the engine's */
};

/* sanitize-cert.c: issue the certificate (outcome erased) or the report
 * (any other) for @run's end event (end.event_hash), take its number only
 * now, attach it to the medium; on failure remove what was written and
 * return the error (the caller records it). */
int sanitize_certify(struct sanitize_run *run, struct register_db *db,
		     const struct wipe_result *res, const struct fw_result *hid, char **cause);
/* The certificate directory of @state_dir / @cert_dir (malloc'd). */
char *sanitize_cert_dir(const char *state_dir, const char *cert_dir);
/* The verification statement of @res ("full", "sampled ...", "none"). */
void sanitize_verify_text(const struct wipe_result *res, char *out, size_t len);
/* The hidden-area line of a firmware result ("not applicable" for NVMe). */
void sanitize_fw_hidden_text(const struct fw_result *fr, char *out, size_t len);
/* The NIST SP 800-88 category @run's record states: for a firmware method
 * the one the method actually used reaches on this media, else the
 * profile's for the media kind. */
const char *sanitize_nist_text(const struct sanitize_run *run);
/* The marker proof of a firmware result; "" when none. */
void sanitize_fw_marker_text(const struct fw_result *fr, char *out, size_t len);
/* cert_seq_fn over the register (@data: struct sanitize_seq). */
struct sanitize_seq {
	struct register_db *db;
	const char *prefix;
};
int sanitize_cert_seq(void *data, int year, uint64_t *seq, char **cause);

#endif
