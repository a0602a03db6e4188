/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_REGISTER_H
#define CUSTOS_REGISTER_H

/*
 * register: the media register, an SQLite database (<state-dir>/register.db,
 * WAL, 10 s busy timeout, every write in BEGIN IMMEDIATE) that several
 * processes (the station screen and CLI commands) may write at once.
 *
 * Tables: media (one row per medium), events (append-only: triggers refuse
 * UPDATE and DELETE), certificates, meta (chain head).  The schema version
 * is PRAGMA user_version; register_open() migrates older schemas.
 *
 * The event chain.  All events of the register form ONE global chain,
 * ordered by seq (1, 2, 3, ...), so removing any event anywhere breaks it.
 * Each event's hash is the lower-case hex SHA-256 of these bytes:
 *
 *   "custos-event-v1\n"
 *   then, for each field in this order: seq, media_id, at, kind, operator,
 *   station, details, prev_hash, one line
 *     NAME "=" LENGTH ":" VALUE "\n"
 *   where LENGTH is the decimal byte length of VALUE, seq and media_id are
 *   decimal integers, at is "YYYY-MM-DDTHH:MM:SSZ", details is the stored
 *   JSON text byte for byte (written compact with sorted keys), and
 *   prev_hash is the previous event's hash (64 '0' for seq 1).
 *
 * meta.head_seq/head_hash record the last event, so a removed tail is
 * caught as well.  register_verify() recomputes everything.
 *
 * Lifecycle states: in-stock, issued, in-repair, sanitized, scrapped
 * (left service through recycling, external reuse or the manufacturer),
 * awaiting-destruction (sanitized with destination destruction: only
 * destroy, lost and reclassify (up) are allowed, never issue),
 * destroyed (terminal), lost (terminal except "found" via return).
 *
 * The media table is checked against the events as well: replaying a
 * medium's events gives its classification, highest level, state, holder
 * and enrolment fields (register-replay.c); register_verify() reports rows
 * that differ, and actions on such a row are refused (rule integrity)
 * except recording a sanitization (the wipe already happened) and a loss.
 * Refusals (lifecycle, policy) return -EPERM with a cause naming the rule.
 */

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "device.h"
#include "policy.h"

#define REGISTER_SCHEMA_VERSION 3
#define REGISTER_FILE "register.db"

struct register_db;

struct register_media {
	int64_t id;
	char register_no[16];		/* "M-000042"; "U-000043" when unregistered */
	char asset_tag[64];
	char media_type[16];		/* policy_kind_name() names */
	char vendor[64];
	char model[128];
	char serial[128];
	char wwn[64];
	char backing_file[PATH_MAX];	/* virtual media: the image file */
	uint64_t capacity_bytes;
	char classification[16];	/* policy_level_name(); "" when unknown */
	char highest_class[16];		/* highest level ever held */
	char custodian[128];		/* 责任人, the responsible person */
	char department[128];		/* 使用处室 */
	char holder[128];		/* issued to (person) or repairer (vendor) */
	char state[24];			/* "awaiting-destruction" is the longest */
	char note[512];
	char source[16];		/* "device", "manual" or "sanitize" */
	bool unregistered;		/* created by a sanitization, never enrolled */
	char created_at[24];
	char updated_at[24];
	/* Set by register_get(), register_find_ref() and register_find_by_device():
	 * the row differs from what its events say (register_verify_media()). */
	bool history_differs;
	char history_note[256];		/* the first difference */
};

struct register_event {
	int64_t id;
	int64_t media_id;
	int64_t seq;
	char at[24];
	char kind[24];
	char operator_name[128];
	char station[128];
	char *details;			/* JSON text, malloc'd */
	char prev_hash[65];
	char hash[65];
};

struct register_cert {
	char id[96];
	int64_t media_id;		/* 0 when not tied to a medium */
	char kind[32];			/* "sanitization", "destruction" */
	char issued_at[24];
	char *json;			/* the certificate JSON, malloc'd */
	char event_hash[65];		/* the event it certifies */
	char path[PATH_MAX];		/* where its files are */
};

struct register_verify_result {
	bool ok;
	int64_t events;			/* events checked */
	int64_t event_id;		/* first broken link (when !ok) */
	int64_t seq;
	char what[32];			/* "hash", "prev_hash", "seq", "head" */
	char expected[65];
	char found[65];
	char message[256];
	int64_t mismatches;		/* media rows that differ from their history */
};

/* A media row field that differs from what the medium's events say. */
struct register_mismatch {
	int64_t media_id;
	char register_no[16];		/* "#ID" when the row is gone */
	char field[24];			/* column; "history" (row without events),
					   "row" (events without row) */
	char expected[PATH_MAX];	/* from the history */
	char found[PATH_MAX];		/* in the row */
};

/* Open (creating and migrating as needed) the register at @path. */
int register_open(const char *path, struct register_db **out, char **cause);
void register_close(struct register_db *db);
/* register_open() of <@state_dir>/register.db. */
int register_open_dir(const char *state_dir, struct register_db **out, char **cause);

/* Who writes the events: copied; NULL means "unknown". */
int register_set_actor(struct register_db *db, const char *operator_name, const char *station);

/* Lookups: 0, -ENOENT (nothing matches) or another negative errno. */
int register_get(struct register_db *db, int64_t id, struct register_media *out, char **cause);
/* REF: register number, asset tag, serial or WWN (not a device path: probe
 * it and use register_find_by_device()).  -EEXIST when several media carry
 * the serial. */
int register_find_ref(struct register_db *db, const char *ref, struct register_media *out,
		      char **cause);
/* By WWN, then serial (+ model when both have one), then the backing file
 * of virtual media.  Media still in service are preferred. */
int register_find_by_device(struct register_db *db, const struct device_info *dev,
			    struct register_media *out, char **cause);

/* Fill media_type/vendor/model/serial/wwn/backing_file/capacity of @m from
 * a probed device. */
void register_media_from_device(struct register_media *m, const struct device_info *dev);

/* Enter @m (identity, classification, custodian, department, asset tag,
 * note, source) into the register: assigns id and register_no, state
 * in-stock, event "enrolled".  -EEXIST when the asset tag or the identity
 * (serial/WWN/backing file) is already on an enrolled medium still in the
 * register (cause names it); -EINVAL for a bad classification or media type.
 * A medium sanitized before it was enrolled (an unregistered row with the
 * same identity, not destroyed or lost) is enrolled in place: same id, the
 * next M- number, the enrolment's fields (identity fields only where @m
 * has them), unregistered = 0, created_at = now, and "enrolled" appended
 * to its history after its "sanitized" events.  One sanitized for
 * destruction (awaiting-destruction) is not enrolled: -EPERM (lifecycle).
 * Register numbers M-/U-NNNNNN share one increasing sequence.
 * @out (may be @m) receives the stored row. */
int register_enroll(struct register_db *db, const struct register_media *m,
		    struct register_media *out, char **cause);

/* Custody.  Each appends one event and moves the state; refusals -EPERM. */
int register_issue(struct register_db *db, int64_t id, const char *to, char **cause);
/* From issued ("returned"), in-repair ("repaired") or lost ("found"). */
int register_return(struct register_db *db, int64_t id, char **cause);
int register_repair(struct register_db *db, int64_t id, const char *vendor, char **cause);
int register_lost(struct register_db *db, int64_t id, const char *note, char **cause);
/* Raise the classification (policy rule no-downgrade checked against the
 * stored level inside the transaction).  Equal level: -EALREADY. */
int register_reclassify(struct register_db *db, const struct policy *pol, int64_t id,
			enum policy_level to, char **cause);

/*
 * The methods of physical destruction both faces offer, in this order
 * (custos(8), `custos destroy --help`): code, English and Chinese label.
 * register_destroy() accepts only these codes.
 */
struct register_destroy_method {
	const char *code;	/* "shred" */
	const char *en;		/* "shredding" */
	const char *zh;		/* "粉碎" */
};
extern const struct register_destroy_method register_destroy_methods[];
extern const size_t register_n_destroy_methods;
/* The codes alone, NULL-terminated (the station screen's choice field). */
extern const char *const register_destroy_method_codes[];
/* The method with this code or Chinese label ("shred", "粉碎"; ASCII case
 * ignored), or NULL. */
const struct register_destroy_method *register_destroy_method_find(const char *s);
/* "shred, disintegrate, ..." (malloc'd; NULL on ENOMEM), for messages. */
char *register_destroy_methods_text(void);

struct register_destruction {
	const char *method;		/* a register_destroy_methods[] code */
	const char *place;
	const char *const *witnesses;	/* distinct names, checked by policy_check_destroy */
	size_t n_witnesses;
	const char *note;
};
/* Record physical destruction (state destroyed, event "destroyed").
 * @hash (65 bytes, may be NULL) receives the event hash for the
 * destruction certificate. */
int register_destroy(struct register_db *db, const struct policy *pol, int64_t id,
		     const struct register_destruction *d, char *hash, char **cause);

struct register_sanitization {
	const char *result_json;	/* the job's result object (JSON text) */
	const char *certificate_id;	/* may be NULL */
	const char *destination;	/* policy_dest_name() */
	const char *nist_category;	/* policy_nist_name() */
	const char *profile;		/* profile or method name */
};
/*
 * Record a finished sanitization.  @media_id > 0: that medium (states
 * in-stock, issued, in-repair, sanitized, scrapped).  @media_id <= 0: an
 * unenrolled medium: a row is created from @dev with unregistered = 1,
 * register number "U-NNNNNN", source "sanitize", no classification.
 * When the result's "outcome" is "erased", the state becomes scrapped for
 * destinations that leave the office (external-reuse, recycling,
 * manufacturer), else sanitized, with event "sanitized".  Any other outcome
 * (failed, aborted, unverified, or none) is recorded as event "not-erased"
 * and the state stays as it was.  @out_id and @hash (65 bytes) may be NULL.  Policy is NOT
 * checked here: check it before wiping (register_policy_check_sanitize()).
 */
int register_record_sanitization(struct register_db *db, int64_t media_id,
				 const struct device_info *dev,
				 const struct register_sanitization *s, int64_t *out_id,
				 char *hash, char **cause);

/* May @m be sanitized at all (lifecycle: not destroyed or lost)?  Call it
 * before wiping, so the record afterwards cannot be refused.  0 or -EPERM. */
int register_check_sanitize_state(const struct register_media *m, char **cause);

/* policy_check_sanitize() for a registered medium: its classification,
 * highest level and media type.  Unknown classification: -EINVAL. */
int register_policy_check_sanitize(const struct policy *pol, const struct register_media *m,
				   enum policy_nist cat, enum policy_dest dest, char **cause);
/* The medium's level and highest level; -EINVAL when unclassified. */
int register_media_levels(const struct register_media *m, enum policy_level *level,
			  enum policy_level *highest);

/* Lists.  Filters may be NULL.  Free with free(). */
int register_list(struct register_db *db, const char *classification, const char *state,
		  struct register_media **out, size_t *n, char **cause);
/* Events of one medium (@media_id > 0) or of the whole register (0). */
int register_history(struct register_db *db, int64_t media_id, struct register_event **out,
		     size_t *n, char **cause);
void register_events_free(struct register_event *ev, size_t n);

/* Certificates: stored for the cert module; ids are unique (-EEXIST). */
int register_add_certificate(struct register_db *db, const struct register_cert *c,
			     char **cause);
int register_get_certificate(struct register_db *db, const char *id, struct register_cert *out,
			     char **cause);
/* Is certificate @id stored in the register @db (a struct register_db *)?
 * Shaped as cert_taken_fn for cert_issue_opts.id_taken. */
bool register_cert_id_taken(void *db, const char *id);
/* Of one medium (@media_id > 0) or all (0), oldest first. */
int register_list_certificates(struct register_db *db, int64_t media_id,
			       struct register_cert **out, size_t *n, char **cause);
void register_cert_clear(struct register_cert *c);
void register_certs_free(struct register_cert *c, size_t n);

/* Recompute the chain, then replay every medium's history against its row
 * (register_verify_media()).  Returns 0 when the check ran (res->ok says
 * whether the chain holds and no row differs: res->mismatches, the first
 * one in res->message), or a negative errno when the database cannot be
 * read. */
int register_verify(struct register_db *db, struct register_verify_result *res, char **cause);

/* Replay the history of medium @media_id (> 0) or of every medium (0) and
 * list every field of its row that differs into *@out (malloc'd, free()),
 * rows without events and events without row included. */
int register_verify_media(struct register_db *db, int64_t media_id,
			  struct register_mismatch **out, size_t *n, char **cause);
/* "M-000001: classification: expected from history "x", found "y"". */
void register_mismatch_text(const struct register_mismatch *x, char *buf, size_t size);
/* 0, or -EPERM (rule integrity) when @m->history_differs. */
int register_check_integrity(const struct register_media *m, char **cause);

/* The hash of @ev (fields as documented above) into @out (65 bytes). */
int register_event_hash(const struct register_event *ev, char *out);

/* Online backup (sqlite3_backup_*) into @path, written atomically. */
int register_backup(struct register_db *db, const char *path, char **cause);

enum register_format { REGISTER_FORMAT_CSV, REGISTER_FORMAT_JSON };
/* The whole register as CSV (media-register form columns, bilingual
 * headers) or JSON (media with their histories), malloc'd into *@text. */
int register_export(struct register_db *db, enum register_format fmt, char **text,
		    char **cause);

/* JSON objects (snake_case keys) for listings. */
json_t *register_media_to_json(const struct register_media *m);
json_t *register_event_to_json(const struct register_event *ev);
json_t *register_cert_to_json(const struct register_cert *c);

/* State names and the terminal test. */
bool register_state_is_terminal(const char *state);

#endif
