/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_SANITIZE_H
#define CUSTOS_SANITIZE_H

/*
 * sanitize: one sanitization as a transaction, from plan to record, the
 * one path the command line and the station screen share.  A face only
 * shows a plan, asks for confirmation, starts it and polls snapshots:
 *
 *   sanitize_request_init(&rq); rq.path = ...; rq.profile = ...;
 *   sanitize_plan(&rq, &plan, &cause);     nothing written, no number taken
 *   (show plan->... ; refused when plan->rc < 0, reasons in plan->reason)
 *   (ask the person to type plan->confirm_text)
 *   sanitize_start(plan, &run, &cause);    "sanitize-started", state sanitizing
 *   sanitize_snapshot(run, &snap) ...      any thread, any time
 *   sanitize_wait(run, &cause);            joins; the end is recorded
 *   sanitize_end(run)->...                 outcome, event, certificate
 *   sanitize_run_free(run); sanitize_plan_free(plan);
 *
 * 1. The plan (sanitize_plan()) probes the medium and decides, before
 *    anything is written or any number reserved: the device's safety
 *    reasons (mounted, system disk, ...), the register lookup and the
 *    medium's lifecycle state (destroyed, lost, awaiting-destruction for a
 *    destination other than destruction...), the policy for the profile,
 *    media kind and destination (every destination: allowed, or the rule
 *    that forbids it), the firmware guard (fw_job_guard), the people
 *    (operator, validator and witnesses distinct, compared with
 *    policy_same_person()), a readable signing key, and that the register
 *    and the certificate directory can take the record (writable, not
 *    full: access(), statvfs(), a probe write and a register write
 *    transaction that is rolled back; at least 8 MiB free).  The operator
 *    is resolved here, in the caller's thread (rq.operator_name, else
 *    station_operator_name()), and copied into the plan: job threads
 *    never call station_operator().
 *
 * 2. sanitize_start() appends "sanitize-started" {profile, destination,
 *    operator, passes, method, resume} and moves the medium to state
 *    "sanitizing" BEFORE the first byte is written (an unenrolled medium
 *    first gets its unregistered "U-" row).  When the medium is already
 *    "sanitizing" (a run that crashed) and rq.resume is false, the old run
 *    is first recorded as "not-erased" with outcome "interrupted".
 *
 * 3. Every run that started ends with exactly ONE end event: "sanitized"
 *    (outcome erased) or "not-erased" with outcome failed, aborted,
 *    unverified or interrupted; then its certificate (erased) or report
 *    (any other outcome) is issued: its number is taken only then, the
 *    document carries the end event's hash and is attached to the medium.
 *    A mid-run failure (out of memory, I/O) is outcome "failed".  When the
 *    document cannot be written (disk full...), no file is left behind and
 *    the register gets a "certificate-failed" event with the reason.  The
 *    checkpoint is removed only after the end event and its document are
 *    durable (or the failure recorded); a stop with sanitize_interrupt()
 *    keeps it for --resume.
 *
 * A process killed during a run leaves the medium "sanitizing":
 * register_verify() reports it, `sanitize --resume` continues it (the same
 * start call with rq.resume = true; a run killed before its first
 * checkpoint has nothing to continue, so it starts over).
 */

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "blkio.h"
#include "device.h"
#include "fw.h"
#include "fw-job.h"
#include "policy.h"
#include "profile.h"
#include "wipe.h"

struct station;
struct register_db;
struct register_media;
struct register_destruction;
struct sanitize_plan;
struct sanitize_run;

/* The level assumed for a medium that is not in the register. */
#define SANITIZE_DEFAULT_CLASS POLICY_LEVEL_INTERNAL
#define SANITIZE_MAX_WITNESSES 8

/* What the person asks for one medium.  Strings are copied by
 * sanitize_plan(); pointers need only live during that call. */
struct sanitize_request {
	const char *state_dir;			/* required */
	const struct station *station;		/* NULL: refused (custos init) */
	const struct policy *policy;		/* required */
	const char *cert_dir;			/* NULL: <state_dir>/certs */
	const char *path;			/* the target: probed by the plan */
	const struct profile *profile;		/* required (copied) */
	const char *destination;		/* policy_dest_name(); NULL: internal-reuse */
	bool verify_set;			/* else the profile's default */
	enum profile_verify verify;
	bool resume;				/* continue the medium's checkpoint (none and
						 * the medium sanitizing: start over) */
	const char *declared_class;		/* unenrolled media: level declared; NULL:
						 * SANITIZE_DEFAULT_CLASS */
	const char *operator_name;		/* NULL or "": station_operator(), resolved
						 * by sanitize_plan() in the caller's thread */
	const char *operator_title;
	const char *validator_name;		/* NULL or "": left for a hand signature */
	const char *validator_title;
	const char *witnesses[SANITIZE_MAX_WITNESSES];	/* optional */
	size_t n_witnesses;
	const char *source_host;		/* the PC the medium came from */
	const char *notes;			/* printed on the certificate */
	struct fw_opts fw;			/* allow_usb_bridge, restore_max (sanitize_
						 * request_init() calls fw_opts_init()) */
	/* engine tuning and test seams */
	uint32_t block_size;			/* 0: the engine's default */
	bool sample_seed_set;
	uint64_t sample_seed;
	unsigned checkpoint_ms;			/* 0: engine default (5 s) */
	const struct blkio_ops *io_ops;		/* NULL: libc */
	struct sgio_dev *hidden_sgio;		/* NULL: the device's own transport */
	fw_job_rescan_fn rescan;		/* NULL: fw_job_rescan */
	void *rescan_data;
};

void sanitize_request_init(struct sanitize_request *rq);

/* One destination as the policy sees it for this medium and profile. */
struct sanitize_dest {
	enum policy_dest dest;
	bool allowed;
	char rule[256];				/* when !allowed: the rule that forbids it */
};

/*
 * The plan (read-only for callers).  rc 0: the run may start after the
 * person typed @confirm_text.  rc < 0: refused; @reason says why and
 * @refusal names the class of refusal:
 *   "probe"       the target cannot be probed
 *   "safety"      device safety reasons (@dev.reason_text lists them all)
 *   "lifecycle"   register state (destroyed, lost, awaiting-destruction...)
 *   "integrity"   the register row differs from its history
 *   "policy"      policy rule for level/kind/category/destination
 *   "people"      operator/validator/witnesses (same person, missing name)
 *   "firmware"    fw_job_guard: the drive cannot run the method now
 *   "register"    register not writable / full / unreadable
 *   "certs"       certificate directory not writable / full, no signing key
 *   "station"     the station is not set up
 *   "resume"      --resume without a checkpoint / with another device's
 *   "input"       bad request (unknown destination, class, ...)
 */
struct sanitize_plan {
	int rc;					/* 0, or the refusal's negative errno */
	char refusal[16];			/* see above; "" when rc == 0 */
	char reason[512];			/* one line for people */
	struct device_info dev;			/* probed */
	struct profile profile;
	char media_kind[16];			/* device_media_kind() */
	/* the register */
	int64_t media_id;			/* > 0: in the register; 0: not enrolled */
	char register_no[16];			/* "" when not in the register */
	char state[24];				/* lifecycle state; "" when not enrolled */
	char classification[16];		/* registered, else the declared level */
	bool declared;				/* @classification was declared, not registered */
	bool interrupted;			/* state "sanitizing": a run never ended */
	/* what will be done */
	enum policy_dest dest;
	char destination[32];
	struct sanitize_dest dests[POLICY_DEST_COUNT];	/* indexed by enum policy_dest */
	char method[32];			/* profile_method_name() */
	char nist[16];				/* category reached: "clear", "purge" */
	unsigned passes;			/* overwrite passes (1 for firmware methods) */
	enum profile_verify verify;
	bool resume;				/* a checkpoint will be continued */
	unsigned resume_pass;			/* its pass (1-based); 0 when !resume */
	char confirm_text[128];			/* what the person types: serial or name */
	char summary[512];			/* "About to ERASE /dev/sdb: ..." */
	uint64_t estimate_s;			/* estimated duration; 0 unknown */
	/* the people, resolved in the caller's thread */
	char operator_name[128];
	char operator_title[128];
	char validator_name[128];
	char validator_title[128];
	char witnesses[SANITIZE_MAX_WITNESSES][128];
	size_t n_witnesses;
	/* private to sanitize.c */
	struct sanitize_plan_priv *priv;
};

/*
 * Make the plan for @rq.  Writes nothing (a probe file in the certificate
 * directory is created and removed; a register transaction is rolled
 * back), takes no number.  Returns plan->rc (0 or the refusal, *@cause a
 * copy of plan->reason) with *@out set whenever a plan could be made, so
 * a face can show every refusal; *@out is NULL only for -ENOMEM or a
 * missing required field (-EINVAL).
 */
int sanitize_plan(const struct sanitize_request *rq, struct sanitize_plan **out, char **cause);
void sanitize_plan_free(struct sanitize_plan *plan);

/* The same plan for another destination (no new probe): recomputes
 * plan->dest, rc, refusal, reason.  -EINVAL for an unknown name. */
int sanitize_plan_set_destination(struct sanitize_plan *plan, const char *destination,
				  char **cause);

/* "allowed" or the rule that forbids @d, for display. */
const char *sanitize_dest_text(const struct sanitize_plan *plan, enum policy_dest d);

/*
 * Start the plan (rc must be 0; -EPERM otherwise): records the start in
 * the register (see above), opens the target exclusively and runs the job
 * in its own thread.  A failure before the first write (the register
 * refused the event, the device cannot be opened) returns a negative
 * errno with *@out NULL; if the start event was already written, the run
 * was ended at once with outcome "failed" and its report (the cause names
 * them), so the register never keeps a "sanitizing" medium that nobody
 * works on.  @plan must outlive @run.
 */
/*
 * An image file is opened and locked before anything is recorded: when
 * that open is refused (-EPERM a guard on the open descriptor, -EBUSY
 * locked or open for writing elsewhere, -EAGAIN the path changed since the
 * plan, -ENOTBLK/-ENODEV/-ELOOP it is no longer a file or a disk) nothing is written and plan->rc, refusal ("safety") and reason say
 * so, as for a refusal of the plan itself.
 */
int sanitize_start(struct sanitize_plan *plan, struct sanitize_run **out, char **cause);

enum sanitize_state {
	SANITIZE_RUNNING = 0,	/* writing / verifying */
	SANITIZE_RECORDING,	/* the medium is done; event and document being written */
	SANITIZE_DONE,		/* sanitize_wait() returns at once */
};

/* One progress model for both faces. */
struct sanitize_progress {
	enum sanitize_state state;
	double percent;			/* overall, 0..100, over every pass and verification */
	uint64_t eta_s;			/* overall; UINT64_MAX unknown */
	double rate;			/* bytes per second now */
	unsigned pass;			/* current pass, 1..n_passes (never above) */
	unsigned n_passes;
	enum wipe_phase phase;
	double phase_percent;		/* of the current pass's phase */
	uint64_t done, total;		/* bytes of all phases */
	uint64_t errors;
	unsigned resumed;
};

void sanitize_snapshot(struct sanitize_run *run, struct sanitize_progress *out);
/* One line: "37.5% pass 2/3 write 85.2 MiB/s ETA 1m20s" (no device name). */
void sanitize_progress_text(const struct sanitize_progress *p, char *buf, size_t len);

/* A deliberate stop: outcome "aborted", the checkpoint is removed.
 * Async-signal-safe. */
void sanitize_abort(struct sanitize_run *run);
/* A stop to be continued (SIGTERM, shutdown): outcome "interrupted", the
 * checkpoint is kept for --resume.  Async-signal-safe. */
void sanitize_interrupt(struct sanitize_run *run);
bool sanitize_is_done(struct sanitize_run *run);

/* How a run ended (valid after sanitize_wait(), until sanitize_run_free()). */
struct sanitize_end {
	char outcome[16];		/* erased, failed, aborted, unverified, interrupted */
	char event[24];			/* "sanitized" or "not-erased"; "" if not recorded */
	char event_hash[65];
	char register_no[16];		/* after recording (a new "U-" row included) */
	char cert_id[96];		/* certificate or report; "" none */
	char cert_kind[32];		/* "sanitization" or "report" */
	char cert_json[PATH_MAX];
	char cert_pdf[PATH_MAX];
	char error[512];		/* recording or document failure; "" none */
	const struct wipe_result *result;	/* NULL when the engine produced none */
	const struct fw_result *fw;	/* firmware methods: the evidence; else NULL */
	const struct fw_result *hidden;	/* overwrite on ATA: hidden areas; else NULL */
	const json_t *doc;		/* the signed document; NULL none */
};

/*
 * Join the run.  0 when the end was recorded and its document issued;
 * else the negative errno of what failed, *@cause and end->error say what
 * (the outcome is still in sanitize_end()).
 */
int sanitize_wait(struct sanitize_run *run, char **cause);
const struct sanitize_end *sanitize_end(const struct sanitize_run *run);
const struct sanitize_plan *sanitize_run_plan(const struct sanitize_run *run);

/* The run's result with the same facts as its certificate (duration,
 * start/end, verification, hidden areas "not applicable" where so,
 * firmware marker proof), the end and the certificate (new reference). */
json_t *sanitize_end_to_json(const struct sanitize_run *run);

void sanitize_run_free(struct sanitize_run *run);

/* Is a process working on medium @media_id now?  (It holds the flock of
 * <state_dir>/jobs/medium-<id>.lock for the whole run.)  A medium in state
 * "sanitizing" that is not running was interrupted: a crash, a power loss. */
bool sanitize_medium_running(const char *state_dir, int64_t media_id);

/* The NIST category @p reaches on @dev for policy decisions (firmware
 * methods: the profile's claim for the media kind).  -EINVAL when the
 * profile claims nothing for the kind. */
int sanitize_nist(const struct profile *p, const struct device_info *dev,
		  enum policy_nist *out);

/*
 * Physical destruction, the one path `custos destroy` and the station
 * screen share (moved from finish.h unchanged, renamed).  In order:
 *   1. before anything is written: the policy's witness rule and the
 *      certificate's rules on the people, a readable signing key and a
 *      certificate directory; a refusal is -EPERM naming the rule, any
 *      other failure a negative errno, and nothing is written;
 *   2. register_destroy(): the "destroyed" event (recorded, hash);
 *   3. the signed destruction certificate, attached to the medium.
 * A failure in step 3 cannot undo the event: the call returns the error
 * with @recorded true and a cause saying so.
 */
struct sanitize_destroy {
	/* in */
	const char *state_dir;
	const struct station *station;	/* NULL: refused before writing (custos init) */
	const char *cert_dir;		/* NULL: <state_dir>/certs */
	const char *operator_name;	/* NULL or "": station_operator() */
	const char *operator_title;
	const char *validator_name;
	const char *validator_title;
	const struct register_destruction *d;
	/* out */
	bool recorded;
	char hash[65];
	char cert_id[96];
	char cert_dir_out[PATH_MAX];
};

int sanitize_destroy(const struct policy *pol, struct register_db *db,
		     const struct register_media *m, struct sanitize_destroy *sd, char **cause);

#endif
