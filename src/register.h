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
 * caught as well.  register_verify() recomputes everything.  Each event's
 * hash is also signed by the station key (table event_signatures), and the
 * latest signed head is kept outside the database (register.head): see
 * register_set_signer() below and custos-register(5).
 *
 * Lifecycle states: in-stock, issued, in-repair, sanitizing (a run started
 * with "sanitize-started" and has not ended: running, or interrupted when
 * no process works on it), sanitized, scrapped
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
 *
 * Text that enters the register (every text field of an enrolment, the
 * person or repairer, notes, destruction details, the sanitization's
 * names, the actor) must be valid UTF-8 without control characters:
 * otherwise -EINVAL with a cause naming the field and the byte, before
 * anything is allocated or written (util_text_check()).  Strings from a
 * device enter through register_media_from_device(), which replaces
 * such bytes with '?'.
 */

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "device.h"
#include "policy.h"

#define REGISTER_SCHEMA_VERSION 5
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
	/* id 0, from the central register (another station's medium): the
	 * station and id of the row it was first enrolled as there */
	char central_station[128];
	int64_t central_id;
	/* A local row received from the central register (register_receive()):
	 * the station, row id and register number it was enrolled as there;
	 * empty and 0 for a medium enrolled here.  One local row per origin. */
	char origin_station[128];
	int64_t origin_id;
	char origin_register_no[16];
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
	char what[32];			/* "hash", "prev_hash", "seq", "head",
					   "media", "integrity" (SQLite integrity_check
					   found the file damaged: message) */
	char expected[65];
	char found[65];
	char message[256];
	int64_t mismatches;		/* media rows that differ from their history */
	/* the signed chain (register-chain.c) */
	int64_t signatures;		/* signatures verified */
	int64_t unsigned_events;	/* written before events were signed */
	int64_t key_rotations;
	int64_t certificates;		/* certificate rows verified */
	int64_t cert_files;		/* <state-dir>/certs/<id>.json found in the register */
	int64_t head_seq;		/* register.head's event; -1 when none */
	char key[65];			/* the key the chain is signed with now ("": none) */
	int64_t unfinished;		/* media left "sanitizing" (register_unfinished()) */
	int64_t missing_certs;		/* certificate numbers events name that the
					 * register does not hold (makes !ok) */
};

struct register_verify_opts {
	bool all_signatures;		/* every event's signature, not only the newest */
};

/* A sanitization that started and has not ended: the medium is "sanitizing". */
struct register_unfinished {
	int64_t media_id;
	char register_no[16];
	char started_at[24];		/* the last sanitize-started */
	char profile[64];
	char destination[32];
	char operator_name[128];
};

/* Every medium in state "sanitizing", oldest start first (malloc'd). */
int register_unfinished(struct register_db *db, struct register_unfinished **out, size_t *n,
			char **cause);

/* A media row field that differs from what the medium's events say. */
struct register_mismatch {
	int64_t media_id;
	char register_no[16];		/* "#ID" when the row is gone */
	char field[24];			/* column; "history" (row without events),
					   "row" (events without row) */
	char expected[PATH_MAX];	/* from the history */
	char found[PATH_MAX];		/* in the row */
};

/* The central register (custos-register(5)): when the station attached
 * with register_attach_station() has one and this handle committed events
 * since, push them (register-central.h).  0 also when there is nothing to
 * do; else the push's error, the events staying queued in the register.
 * register_close() does it too (errors ignored) when it was not done since
 * the last commit. */
int register_sync_central(struct register_db *db, char **cause);

/* Open (creating and migrating as needed) the register at @path. */
int register_open(const char *path, struct register_db **out, char **cause);
void register_close(struct register_db *db);
/* register_open() of <@state_dir>/register.db. */
int register_open_dir(const char *state_dir, struct register_db **out, char **cause);

/* Who writes the events: copied; NULL means "unknown".  -EINVAL (nothing
 * changed) for text that is not valid or longer than an event's field. */
int register_set_actor(struct register_db *db, const char *operator_name, const char *station);

/*
 * The signed chain (register-chain.c, custos-register(5)).  Every event's
 * chain hash is signed by the station key and the latest signed head is
 * also kept in <dir of the register>/register.head.  Appending needs a
 * signer: without one every write is refused (-EPERM).  @key is owned by
 * the register from then on.  A register written before events were
 * signed is adopted: its current end is signed as the head, and the key
 * put into the keyring (keys/).  -EPERM (cause says why) when the register
 * does not match its signed head (emptied, deleted, truncated, rolled
 * back or rewritten): nothing may be written to it.
 */
struct sign_key;
struct station;
int register_set_signer(struct register_db *db, struct sign_key *key, char **cause);
/* register_set_actor(@operator_name, station name) and the station's key
 * as signer: what every writing command does.  @st must outlive @db (its
 * central register, station.conf "register", is pushed to at close). */
int register_attach_station(struct register_db *db, const struct station *st,
			    const char *operator_name, char **cause);
/* 0 when the register matches its signed head (or has none yet). */
int register_check_head(struct register_db *db, char **cause);
/* Record "key-rotated" (media_id 0): the current signer (the old key)
 * and @new_key both sign it; @hash (65 bytes) may be NULL. */
int register_record_key_rotation(struct register_db *db, const struct sign_key *new_key,
				 char *hash, char **cause);
/* The key the chain is signed with now: the newest event's signer (the
 * new key of a newest "key-rotated").  @fpr (65 bytes) is "" when no event
 * is signed.  @since (24 bytes, may be NULL) receives when that key was
 * introduced (the "at" of its key-rotated event; "" for the first key). */
int register_chain_key(struct register_db *db, char *fpr, char *since, char **cause);
/* Did the chain introduce the key @fpr?  Derived as verify does, every
 * signature checked: the key of its first signed event, then the new key
 * of each "key-rotated" event signed by the key it retires and by itself,
 * in seq order (the newest event signed by the last), register.head
 * signed by one of them.  A register with no signed event: the key of its
 * valid signed head, else (never signed) station.pub's.  0 and *@yes; a
 * key merely dropped into keys/ is not one.  -EPERM with a cause (*@yes
 * false) when the key history or the head does not verify. */
int register_key_introduced(struct register_db *db, const char *fpr, bool *yes, char **cause);

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
/* A medium another station enrolled (@m from register_find_ref() or
 * register_find_by_device() with id 0 and central_station set), received
 * here before this station records anything about it: a local row with its
 * identity, classification, highest level, state and holder as the centre
 * has them, and a "received" event naming the station and id it came from
 * (custos-register(5)).  @m gets the local row. */
int register_receive(struct register_db *db, struct register_media *m, char **cause);

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
 * Register numbers: M-NNNNNN (enrolled) and U-NNNNNN (unregistered) each
 * have their own increasing sequence (since schema version 4).
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
 * and the state stays as it was; a medium in state "sanitizing" (its run
 * was started with register_start_sanitization()) goes back to the state
 * it had before the run, named in the event's "state".  @out_id and @hash (65 bytes) may be NULL.  Policy is NOT
 * checked here: check it before wiping (register_policy_check_sanitize()).
 */
int register_record_sanitization(struct register_db *db, int64_t media_id,
				 const struct device_info *dev,
				 const struct register_sanitization *s, int64_t *out_id,
				 char *hash, char **cause);

/* The start of a sanitization (sanitize.c), before the first write. */
struct register_start {
	const char *profile;
	const char *destination;	/* policy_dest_name() */
	const char *operator_name;
	const char *method;		/* profile_method_name() */
	const char *verify;		/* profile_verify_name() */
	unsigned passes;
	bool resume;			/* continues the run that left it sanitizing */
	const char *previous_profile;	/* unused by the register; may be NULL */
};

/*
 * Append "sanitize-started" {profile, destination, operator, method,
 * verify, passes, resume, state_before} and move the medium to state
 * "sanitizing" (from in-stock, issued, in-repair, sanitized, scrapped,
 * awaiting-destruction when the destination is destruction, or sanitizing).
 * @media_id <= 0: an unenrolled medium gets its unregistered "U-" row from
 * @dev first.  A medium already "sanitizing" whose run is not resumed
 * (!s->resume) first gets "not-erased" {result.outcome "interrupted",
 * state}: its old run is closed (its hash into @interrupted_hash, 65
 * bytes, may be NULL; "" when none was written).  One transaction.
 * @out_id and @hash may be NULL.
 */
int register_start_sanitization(struct register_db *db, int64_t media_id,
				const struct device_info *dev, const struct register_start *s,
				int64_t *out_id, char *hash, char *interrupted_hash,
				char **cause);

/* "certificate-failed" {event_hash, document, reason}: the document of the
 * end event @event_hash could not be issued.  No state change. */
int register_record_certificate_failure(struct register_db *db, int64_t media_id,
					const char *event_hash, const char *kind,
					const char *reason, char **cause);

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
/* Does a certificate row name the event whose hash is @hash? */
bool register_event_has_cert(struct register_db *db, const char *hash);
/* The medium of the event whose hash is @hash: 0, or -ENOENT (no such event). */
int register_event_media(struct register_db *db, const char *hash, int64_t *media_id,
			 char **cause);
/* Of one medium (@media_id > 0) or all (0), oldest first. */
int register_list_certificates(struct register_db *db, int64_t media_id,
			       struct register_cert **out, size_t *n, char **cause);
void register_cert_clear(struct register_cert *c);
void register_certs_free(struct register_cert *c, size_t n);

/* Run SQLite's integrity check (a damaged file: res->ok false, what
 * "integrity", nothing else checked), recompute the chain, then replay every medium's history against its row
 * (register_verify_media()).  Returns 0 when the check ran (res->ok says
 * whether the chain holds and no row differs: res->mismatches, the first
 * one in res->message), or a negative errno when the database cannot be
 * read. */
int register_verify(struct register_db *db, struct register_verify_result *res, char **cause);
/* The same with options (@o may be NULL: the defaults). */
int register_verify_ex(struct register_db *db, const struct register_verify_opts *o,
		       struct register_verify_result *res, char **cause);

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

/* Can the register take a record now?  A write transaction (BEGIN
 * IMMEDIATE, a row written) that is rolled back: -EROFS (read-only file,
 * directory or mount), -ENOSPC (full), -EBUSY, -EIO with the reason. */
int register_probe_write(struct register_db *db, char **cause);

/* cert_seq_fn over the register (@data a struct register_db *): the
 * certificate numbers of @year for the station prefix in the register's
 * prefix; one above the highest
 * sequence of any certificate id "<prefix>-<year>-NNNNNN" the register
 * holds, so a number is taken only when its certificate is stored. */
int register_next_cert_seq(struct register_db *db, const char *prefix, int year,
			   uint64_t *seq, char **cause);

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
