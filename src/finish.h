/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_FINISH_H
#define CUSTOS_FINISH_H

/*
 * finish: the two ends of a sanitization that every front end shares.
 *
 * Before writing, finish_check() decides whether the medium may be
 * sanitized with this profile towards this destination: the register's
 * lifecycle rule (not destroyed or lost) and the classification policy,
 * with the medium's registered level, or for a medium that is not in the
 * register the level the operator declared (FINISH_DEFAULT_CLASS when
 * none).  A refusal is -EPERM naming the rule; nothing is written.
 *
 * After the job, finish_hook() (a job_complete_fn: job_spec.on_complete,
 * complete_data = the struct finish) runs in the job's thread: it appends
 * the "sanitized" event to the register (its own connection; an
 * unenrolled medium becomes an unregistered "U-" row), issues the signed
 * certificate, or a report when the outcome is not "erased" (cert.c
 * decides), into the certificate directory with ids the register has
 * never seen, and attaches it to the medium.  Jobs ending together
 * certify one after the other.
 */

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "device.h"
#include "fw-job.h"
#include "policy.h"
#include "profile.h"
#include "wipe.h"

struct job;
struct station;
struct register_db;
struct register_media;
struct register_destruction;

/* The level assumed for a medium that is not in the register. */
#define FINISH_DEFAULT_CLASS POLICY_LEVEL_INTERNAL

struct finish {
	/* in */
	const char *state_dir;
	const struct station *station;	/* NULL: no certificate (the hook fails) */
	const char *cert_dir;		/* NULL: <state_dir>/certs */
	int64_t media_id;		/* register id; <= 0: not enrolled */
	char destination[32];		/* policy_dest_name() */
	char operator_name[128];	/* "" : station_operator() */
	char operator_title[128];
	char validator_name[128];	/* "": left for a hand signature */
	char validator_title[128];
	char declared_class[16];	/* unenrolled media: the level declared (policy name) */
	char source_host[256];		/* the PC the medium came from; "" unknown */
	char notes[256];
	struct fw_job fw;		/* firmware methods: options and evidence */
	/* out */
	char cert_id[96];		/* the certificate or report issued; "" none */
	char cert_kind[32];		/* "sanitization" or "report" */
	char cert_json[PATH_MAX];
	char cert_pdf[PATH_MAX];
	char register_no[16];		/* the medium's register number after recording */
	json_t *doc;			/* the signed document (owned; finish_clear) */
};

/* Zero @fin and set its defaults (fw options, destination internal-reuse). */
void finish_init(struct finish *fin);
/* Release what finish_hook() and the fw job left in @fin. */
void finish_clear(struct finish *fin);

/* The NIST category @p reaches on @dev for policy decisions (firmware
 * methods: the profile's claim for the media kind).  -EINVAL when the
 * profile claims nothing for the kind. */
int finish_nist(const struct profile *p, const struct device_info *dev, enum policy_nist *out);

/*
 * The check before writing.  Looks @dev up in @db (may be NULL: then the
 * medium counts as unenrolled), sets fin->media_id, and checks the
 * lifecycle state and the policy for @p and fin->destination.  For an
 * unenrolled medium fin->declared_class is used, set to
 * FINISH_DEFAULT_CLASS's name when empty.  0, -EPERM (refused, cause
 * names the rule) or another negative errno.
 */
int finish_check(const struct policy *pol, struct register_db *db, const struct device_info *dev,
		 const struct profile *p, struct finish *fin, char **cause);

/* job_complete_fn: register event, certificate or report, attachment. */
int finish_hook(struct job *job, const struct device_info *dev, const struct profile *profile,
		const struct wipe_result *res, void *data, char **cause);

/*
 * Physical destruction, the one path `custos destroy` and the station
 * screen share.  In order:
 *   1. before anything is written: the policy's witness rule
 *      (two-witnesses) and the certificate's rules on the people (the
 *      validator is not the operator, no witness is the operator...), a
 *      readable signing key and a certificate directory; a refusal is
 *      -EPERM naming the rule, any other failure a negative errno, and
 *      nothing is written (fd->recorded stays false);
 *   2. register_destroy(): the "destroyed" event (fd->recorded = true,
 *      fd->hash its hash);
 *   3. the signed destruction certificate carrying the event hash and all
 *      the witnesses, into the certificate directory, then attached to the
 *      medium (register_add_certificate).
 * A failure in step 3 cannot undo the event: the call returns the error
 * with fd->recorded true and a cause saying that the medium is recorded as
 * destroyed but has no certificate (or one the register could not store).
 */
struct finish_destroy {
	/* in */
	const char *state_dir;
	const struct station *station;	/* NULL: refused before writing (custos init) */
	const char *cert_dir;		/* NULL: <state_dir>/certs */
	const char *operator_name;	/* NULL or "": station_operator() */
	const char *operator_title;	/* NULL or "": none */
	const char *validator_name;	/* NULL or "": left for a hand signature */
	const char *validator_title;
	const struct register_destruction *d; /* method, place, witnesses, note */
	/* out */
	bool recorded;			/* the register event was written */
	char hash[65];			/* its hash */
	char cert_id[96];		/* the certificate issued; "" none */
	char cert_dir_out[PATH_MAX];	/* the directory it went to (absolute) */
};

int finish_destroy(const struct policy *pol, struct register_db *db,
		   const struct register_media *m, struct finish_destroy *fd, char **cause);

#endif
