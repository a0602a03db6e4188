/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_REGISTER_PRIVATE_H
#define CUSTOS_REGISTER_PRIVATE_H

/* Internals of the register's layers: storage (register-store.c: the media
 * field table, rows, media reads and writes; register-sql.c: the connection,
 * schema, transactions, events, certificates, verification reads, backup)
 * <- register-replay.c (states, replay) <- register-query.c (lookups,
 * verify) <- register.c (lifecycle); register-chain.c (hash, signatures,
 * head) beside the store; register-pg.c (the central register). */

#include <sqlite3.h>

#include "register.h"

#define REGISTER_STMT_CACHE 24

struct register_db {
	sqlite3 *db;
	char *operator_name;
	char *station;
	struct register_chain *chain;	/* signing and the head (register-chain.c) */
	char *home_station;		/* station.conf's name (the centre's copies
					 * of this station's rows name it) */
	char *central;			/* station.conf "register": the central
					 * register's conninfo, NULL when none */
	const struct station *attached;	/* register_attach_station(), not owned */
	bool unsynced;			/* committed events not pushed by this handle */
	int64_t central_down_until;	/* lookups fail fast until then (unix s) */
	/* statements of the append path, prepared once (register_cached()) */
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} cache[REGISTER_STMT_CACHE];
};

#define REGISTER_MEDIA_COLS                                                              \
	"id, register_no, asset_tag, media_type, vendor, model, serial, wwn, backing_file, " \
	"capacity_bytes, classification, highest_class, custodian, department, holder, "      \
	"state, note, source, unregistered, created_at, updated_at, origin_station, "         \
	"origin_id, origin_register_no"

/* The media record's fields, in REGISTER_MEDIA_COLS order (register-store.c). */
enum register_field_kind {
	REGISTER_FIELD_TEXT,
	REGISTER_FIELD_I64,
	REGISTER_FIELD_U64,
	REGISTER_FIELD_BOOL,
};

/* What the register does with a field (struct register_field.flags). */
enum {
	/* set by the store: the row id, the register number (numbered after
	 * the insert), the origin of a received medium; never bound from a
	 * medium */
	REGISTER_FIELD_ASSIGNED = 1 << 0,
	/* a UNIQUE column: an empty value is stored as NULL */
	REGISTER_FIELD_NULL_EMPTY = 1 << 1,
	/* read from the device: the enrolment of an unregistered row in place
	 * keeps the row's value where the enrolment has none */
	REGISTER_FIELD_DEVICE = 1 << 2,
	/* custody: kept by an enrolment in place */
	REGISTER_FIELD_CUSTODY = 1 << 3,
	/* the medium's identity: carried by its enrolment event (and by
	 * details.medium of an unenrolled medium's first event) and replayed
	 * from it (register-replay.c) */
	REGISTER_FIELD_IDENTITY = 1 << 4,
	/* derived by replaying the events other than from the identity */
	REGISTER_FIELD_REPLAYED = 1 << 5,
};

struct register_field {
	const char *name;		/* column, and key in the events' details */
	const char *json;		/* key in register_media_to_json() */
	enum register_field_kind kind;
	size_t off;			/* in struct register_media */
	size_t size;
	unsigned flags;			/* REGISTER_FIELD_ASSIGNED ... */
	const char *decl;		/* the SQLite column's type and constraints */
	int since;			/* the schema version that added the column */
	const char *label;		/* text people enter: its name in a refusal
					 * (util_text_check()); NULL: not free text */
	int csv;			/* its column in the CSV export (1-based; 0:
					 * none of its own, register-export.c) */
	const char *csv_head;		/* that column's header */
};

#define REGISTER_N_MEDIA_FIELDS 24
extern const struct register_field register_media_fields[REGISTER_N_MEDIA_FIELDS];

/* The index of field @name in register_media_fields, or
 * REGISTER_N_MEDIA_FIELDS. */
size_t register_media_field_index(const char *name);
/* Field @f of @m as text: itself, a decimal number or "1"/"0". */
const char *register_field_text(const struct register_media *m, const struct register_field *f,
				char *buf, size_t size);
/* Bind field @f of @m to parameter @idx of @st. */
int register_field_bind(sqlite3_stmt *st, int idx, const struct register_media *m,
			const struct register_field *f);

/*
 * The storage interface.  The lifecycle (register.c), the replay, the
 * queries and the exports reach the SQLite file only through these; none
 * of them holds SQL text.  Each returns 0 or a negative errno and fills
 * @cause (-EBUSY when the file is locked past the busy timeout, -EIO for
 * another SQLite error, "register: WHAT: message").
 *
 *   connection   register_store_open(), register_store_close()
 *                (WAL, synchronous FULL, the schema migrated)
 *   transactions register_store_begin() (BEGIN IMMEDIATE: the write lock),
 *                register_store_commit(), register_store_rollback();
 *                register_store_read_begin()/_read_end() (one snapshot);
 *                register_store_foreign_keys() (off for a station event)
 *   events       register_store_chain_tail(), register_store_insert_event()
 *                (and the meta head), register_store_each_event(),
 *                register_store_media_events(), register_store_orphans(),
 *                register_store_state_before(), register_store_meta_get()
 *   media        register_store_get(), register_store_find_ref(),
 *                register_store_find_device(), register_store_find_same(),
 *                register_store_insert_media(), register_store_enrol_in_place(),
 *                register_store_number(), register_store_update_media(),
 *                register_list(), register_history()
 *   certificates register_add_certificate(), register_get_certificate(),
 *                register_list_certificates(), register_cert_id_taken(),
 *                register_event_has_cert(), register_next_cert_seq(),
 *                register_store_missing_certs()
 *   the file     register_store_integrity(), register_store_backup(),
 *                register_store_probe_write(), register_store_version()
 *
 * The append path (register_store_chain_tail(), _insert_event(),
 * _update_media()) runs statements prepared once per handle
 * (register_cached(), handed back with register_release(), never
 * finalized): no extra round trip or sync per event.  The chain
 * (register-chain.c) and the push to the central register (register-pg.c)
 * still prepare their own SQLite statements (register_prepare(),
 * register_cached()) against the same handle: the SQLite level at the end
 * of this list.
 */
int register_store_open(struct register_db *db, const char *path, char **cause);
void register_store_close(struct register_db *db);
int register_store_begin(struct register_db *db, char **cause);
int register_store_commit(struct register_db *db, char **cause);
/* ROLLBACK when a transaction is open (the chain's state is the caller's). */
void register_store_rollback(struct register_db *db);
/* A read transaction (one snapshot).  With @own: only when none is open,
 * *@own says whether one was begun (hand it to register_store_read_end()). */
int register_store_read_begin(struct register_db *db, bool *own, char **cause);
void register_store_read_end(struct register_db *db, bool own);
int register_store_foreign_keys(struct register_db *db, bool on, char **cause);

/* The last event's seq and hash (0 and the genesis hash when empty). */
int register_store_chain_tail(struct register_db *db, int64_t *seq, char *hash, char **cause);
/* Insert @ev (hashed by the caller) and make it the meta head. */
int register_store_insert_event(struct register_db *db, const struct register_event *ev,
				char **cause);
/* Every event in seq order to @fn until it returns non-zero. */
int register_store_each_event(struct register_db *db,
			      int (*fn)(const struct register_event *ev, void *arg), void *arg,
			      char **cause);
/* The kind and details of every event of @media_id in seq order; their
 * number into @n. */
int register_store_media_events(struct register_db *db, int64_t media_id,
				void (*fn)(const char *kind, const char *details, void *arg),
				void *arg, int64_t *n, char **cause);
/* Every medium id events name but the media table lacks. */
int register_store_orphans(struct register_db *db, void (*fn)(int64_t media_id, void *arg),
			   void *arg, char **cause);
/* The meta value of @key: 0, -ENOENT. */
int register_store_meta_get(struct register_db *db, const char *key, char *val, size_t size);

/* Lookups by identity.  register_no, asset tag, serial (unique unless one
 * is destroyed or lost), WWN: */
int register_store_find_ref(struct register_db *db, const char *ref, struct register_media *out,
			    char **cause);
/* WWN, serial + model, backing file of @id (a device's identity): */
int register_store_find_device(struct register_db *db, const struct register_media *id,
			       struct register_media *out, char **cause);
/* The row received from the central register's row @origin_id of
 * @station (register_receive()): 0, -ENOENT or an error. */
int register_store_find_origin(struct register_db *db, const char *station, int64_t origin_id,
			       struct register_media *out, char **cause);
/* The row received as register number @ref of @station ("" or NULL: of
 * any station; -EEXIST when two stations' rows match). */
int register_store_find_origin_ref(struct register_db *db, const char *station,
				   const char *ref, struct register_media *out, char **cause);
/* Record on row @id where it was received from (UNIQUE per origin). */
int register_store_set_origin(struct register_db *db, int64_t id, const char *station,
			      int64_t origin_id, const char *register_no, char **cause);
/* The medium not destroyed that carries @m's asset tag or identity (WWN,
 * serial + model, backing file), enrolled (@unregistered false) or not:
 * 0 with it in @old, -ENOENT, or an error. */
int register_store_find_same(struct register_db *db, const struct register_media *m,
			     bool unregistered, struct register_media *old, char **cause);
/* Set the non-NULL ones of @state ... @highest on medium @id, updated now. */
int register_store_update_media(struct register_db *db, int64_t id, const char *state,
				const char *holder, const char *classification,
				const char *highest, char **cause);

/* Events naming a certificate the register lacks: their number into @n,
 * the first one's seq and certificate id into @seq and @id. */
int register_store_missing_certs(struct register_db *db, int64_t *n, int64_t *seq, char *id,
				 size_t size, char **cause);
/* SQLite's integrity check: false with its first messages in @msgs. */
bool register_store_integrity(struct register_db *db, char *msgs, size_t size);
/* An online copy of the file into @tmp (register_backup() renames it). */
int register_store_backup(struct register_db *db, const char *tmp, char **cause);

/* Insert @row (every field but the assigned ones): its id into @id. */
int register_store_insert_media(struct register_db *db, const struct register_media *row,
				int64_t *id, char **cause);
/* Enrol the unregistered row @id in place with @row's fields (but the
 * assigned and custody ones; device fields only where @row has them). */
int register_store_enrol_in_place(struct register_db *db, int64_t id,
				  const struct register_media *row, char **cause);
/* The schema version (PRAGMA user_version). */
int register_store_version(struct register_db *db, int *v, char **cause);
int register_store_set_version(struct register_db *db, int v, char **cause);
/* Give row @id the next register number of the @prefix ("M", "U") sequence. */
int register_store_number(struct register_db *db, int64_t id, const char *prefix, char **cause);
/* details.state_before of the last sanitize-started event of @id into
 * @out ("in-stock" when there is none). */
int register_store_state_before(struct register_db *db, int64_t id, char *out, size_t len,
				char **cause);
/* Take the write lock and write a page, then roll back: 0, -EROFS,
 * -ENOSPC or another error (register_probe_write()). */
int register_store_probe_write(struct register_db *db, char **cause);
/* Check every free text field of @m (util_text_check()). */
int register_media_text_check(const struct register_media *m, char **cause);
/* Set @m's identity fields on @o (text when not empty; numbers always). */
void register_media_identity_json(const struct register_media *m, json_t *o);

/* The row of medium @id as stored (no history check): 0, -ENOENT. */
int register_store_get(struct register_db *db, int64_t id, struct register_media *out,
		       char **cause);

/*
 * The SQLite level, below the storage interface: for the store itself, the
 * chain (register-chain.c) and the push (register-pg.c); the lifecycle, the
 * replay, the queries and the exports do not use it.
 */
/* Run @sql (several statements): 0, -EBUSY or -EIO. */
int register_exec(struct register_db *db, const char *sql, char **cause);
/* The media table of schema version @from brought to the columns of the
 * field table: created (@from 0) or the columns added since (ALTER TABLE). */
int register_store_media_columns(struct register_db *db, int from, char **cause);
/* Step @st to its end, one @row() into a growing array of @size-byte items. */
int register_collect(struct register_db *db, sqlite3_stmt *st, int (*row)(sqlite3_stmt *, void *),
		     size_t size, const char *what, void **arr, size_t *n, char **cause);

#define REGISTER_EVENT_COLS \
	"id, media_id, seq, at, kind, operator, station, details, prev_hash, hash"

/* -EIO with "register: WHAT: sqlite message" (-EBUSY when locked). */
int register_sql_fail(struct register_db *db, char **cause, const char *what);
int register_prepare(struct register_db *db, const char *sql, sqlite3_stmt **st, char **cause);
/* register_prepare() for a statement run on every append: prepared once per
 * handle (@sql a string constant), handed back with register_release()
 * (reset, bindings cleared) instead of sqlite3_finalize(). */
int register_cached(struct register_db *db, const char *sql, sqlite3_stmt **st, char **cause);
void register_release(sqlite3_stmt *st);
void register_col_text(sqlite3_stmt *st, int col, char *dst, size_t size);
void register_row_to_media(sqlite3_stmt *st, struct register_media *m);
int register_row_to_event(sqlite3_stmt *st, struct register_event *ev);
/* Bind @s, or NULL when @s is NULL or empty. */
int register_bind_opt(sqlite3_stmt *st, int idx, const char *s);

/* The state a medium is left in by an erasure for destination @dest. */
const char *register_sanitized_state(const char *dest);
/* Replay @m's history: set m->history_differs and m->history_note. */
int register_history_check(struct register_db *db, struct register_media *m, char **cause);

/* station.conf's "register" key of @state_dir into db->central. */
int register_central_from_conf(struct register_db *db, const char *state_dir, char **cause);

/* register-chain.c: the event_signatures table and the head file. */
int register_chain_open(struct register_db *db, const char *path, char **cause);
void register_chain_close(struct register_db *db);
/* Inside the append's transaction: a signer is set and the register
 * matches its signed head, else -EPERM. */
int register_chain_before_append(struct register_db *db, char **cause);
/* Sign the event just inserted (by seq); its head is written after COMMIT. */
int register_chain_sign(struct register_db *db, const struct register_event *ev, char **cause);
/* After COMMIT (@committed) or ROLLBACK. */
void register_chain_committed(struct register_db *db, bool committed);
/* The hash of the event at @seq into @hash (65 bytes; "" when there is none). */
int register_chain_hash_at(struct register_db *db, int64_t seq, char *hash, char **cause);
/* Read register.head now, for the next register_chain_verify(): call it
 * before the verification's read transaction starts. */
void register_chain_pre_read_head(struct register_db *db);
/* Signatures, head file, key history, certificate rows and store. */
int register_chain_verify(struct register_db *db, const struct register_verify_opts *o,
			  struct register_verify_result *r, char **cause);
/* Append an event of the station itself (media_id 0) in its own
 * transaction; @details is consumed. */
int register_append_station_event(struct register_db *db, const char *kind, json_t *details,
				  char *hash, char **cause);

#endif
