/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * register-sql: the storage layer's SQLite connection and the SQL that is
 * not about the media record's fields (register-store.c holds those): the
 * connection and its statement cache, the schema and its migrations,
 * transactions, the appends to the event chain, certificates, the reads of
 * verification (events, the meta head, unfinished runs, certificate
 * numbers, SQLite's own integrity check) and the online backup.  The
 * lifecycle (register.c), the replay, the queries and the exports reach
 * SQLite only through the functions listed in register-private.h.
 */
#include "register-private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define BUSY_TIMEOUT_MS 10000
#define GENESIS_HASH "0000000000000000000000000000000000000000000000000000000000000000"

/* The tables of schema version 2 but media (register_store_media_columns()
 * creates it from the field table), also those of the later versions, which
 * add what migrate_v2_v3, migrate_v3_v4 and migrate_v4_v5 say. */
static const char schema_v2[] =
	"CREATE TABLE events ("
	" id INTEGER PRIMARY KEY,"
	" media_id INTEGER NOT NULL REFERENCES media(id),"
	" seq INTEGER NOT NULL UNIQUE,"
	" at TEXT NOT NULL,"
	" kind TEXT NOT NULL,"
	" operator TEXT NOT NULL,"
	" station TEXT NOT NULL,"
	" details TEXT NOT NULL,"
	" prev_hash TEXT NOT NULL,"
	" hash TEXT NOT NULL);"
	"CREATE INDEX events_media ON events(media_id, seq);"
	"CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
	" BEGIN SELECT RAISE(ABORT, 'custos register: events are append-only'); END;"
	"CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
	" BEGIN SELECT RAISE(ABORT, 'custos register: events are append-only'); END;";

/* What version 2 adds to a version 1 register (and a fresh one). */
static const char schema_v2_extra[] =
	"CREATE INDEX IF NOT EXISTS media_serial ON media(serial);"
	"CREATE INDEX IF NOT EXISTS media_wwn ON media(wwn);"
	"CREATE INDEX IF NOT EXISTS media_backing ON media(backing_file);"
	"CREATE TABLE certificates ("
	" id TEXT PRIMARY KEY,"
	" media_id INTEGER REFERENCES media(id),"
	" kind TEXT NOT NULL,"
	" issued_at TEXT NOT NULL,"
	" json TEXT NOT NULL,"
	" event_hash TEXT NOT NULL DEFAULT '',"
	" path TEXT NOT NULL DEFAULT '');"
	"CREATE TRIGGER certificates_no_delete BEFORE DELETE ON certificates"
	" BEGIN SELECT RAISE(ABORT, 'custos register: certificates are kept'); END;"
	"CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);";

/* Version 1 -> 2: columns for WWN, virtual media, the highest level held,
 * the holder, the row's source and unregistered media (the fields of
 * version 2, added by register_store_media_columns()), filled here;
 * certificates; the chain head (taken from the last event, which verify
 * then checks). */
static const char migrate_v1_v2[] =
	"UPDATE media SET highest_class = classification;"
	/* the holder, as register verify derives it from the events */
	"UPDATE media SET holder = COALESCE((SELECT json_extract(e.details, '$.to')"
	" FROM events e WHERE e.media_id = media.id AND e.kind IN ('issued', 'repair')"
	" ORDER BY e.seq DESC LIMIT 1), '') WHERE state IN ('issued', 'in-repair');";

/* Version 2 -> 3: the state awaiting-destruction.  A medium whose last
 * erasure was for destruction and that has not moved since was left
 * "sanitized", from which it could be issued; it now waits for destruction,
 * as register verify derives from its events (no event is written: the
 * events already say it). */
static const char migrate_v2_v3[] =
	"UPDATE media SET state = 'awaiting-destruction' WHERE state = 'sanitized' AND"
	" (SELECT json_extract(e.details, '$.destination') FROM events e"
	" WHERE e.media_id = media.id AND e.kind = 'sanitized' ORDER BY e.seq DESC LIMIT 1)"
	" = 'destruction';";

/* Version 3 -> 4: a sanitization is a transaction in the register: the
 * state "sanitizing" (between "sanitize-started" and its end event) and
 * the event kinds sanitize-started and certificate-failed, which an older
 * custos would not understand; register verify finds unfinished runs and
 * the certificates events name through this index. */
static const char migrate_v3_v4[] =
	"CREATE INDEX IF NOT EXISTS events_kind ON events(kind, media_id);";

/* Version 4 -> 5: a medium received from the central register keeps its
 * origin (the station, row id and register number details.from of its
 * "received" event names; the columns are added by
 * register_store_media_columns()), one local row per origin.  A register
 * that received a medium twice keeps the origin on the first row only: the
 * second one differs from its history (register verify names it). */
static const char migrate_v4_v5[] =
	"UPDATE media SET"
	" origin_station = COALESCE(json_extract(r.details, '$.from.station'), ''),"
	" origin_id = COALESCE(json_extract(r.details, '$.from.id'), 0),"
	" origin_register_no = COALESCE(json_extract(r.details, '$.from.register_no'), '')"
	" FROM (SELECT media_id, details FROM events e WHERE e.kind = 'received' AND e.seq ="
	" (SELECT min(seq) FROM events f WHERE f.media_id = e.media_id AND f.kind = 'received'))"
	" r WHERE r.media_id = media.id;"
	"UPDATE media SET origin_station = '', origin_id = 0, origin_register_no = ''"
	" WHERE origin_station != '' AND EXISTS (SELECT 1 FROM media o WHERE"
	" o.origin_station = media.origin_station AND o.origin_id = media.origin_id AND"
	" o.id < media.id);";

/* Version 5: one local row per origin (a fresh register and a migrated one). */
static const char schema_v5[] =
	"CREATE UNIQUE INDEX IF NOT EXISTS media_origin ON media(origin_station, origin_id)"
	" WHERE origin_station != '';";

static const char set_head_from_events[] =
	"INSERT OR REPLACE INTO meta(key, value)"
	" SELECT 'head_seq', CAST(seq AS TEXT) FROM events ORDER BY seq DESC LIMIT 1;"
	"INSERT OR REPLACE INTO meta(key, value)"
	" SELECT 'head_hash', hash FROM events ORDER BY seq DESC LIMIT 1;";

int register_cached(struct register_db *db, const char *sql, sqlite3_stmt **st, char **cause)
{
	size_t i;

	for (i = 0; i < REGISTER_STMT_CACHE && db->cache[i].sql; i++) {
		if (db->cache[i].sql == sql || strcmp(db->cache[i].sql, sql) == 0) {
			*st = db->cache[i].st;
			return 0;
		}
	}
	if (i == REGISTER_STMT_CACHE)		/* more call sites than slots: a bug */
		return util_fail(cause, -EOVERFLOW, _("register: statement cache full"));
	if (sqlite3_prepare_v3(db->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK)
		return register_sql_fail(db, cause, "prepare");
	db->cache[i].sql = sql;
	db->cache[i].st = *st;
	return 0;
}

void register_release(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static void cache_free(struct register_db *db)
{
	for (size_t i = 0; i < REGISTER_STMT_CACHE && db->cache[i].sql; i++) {
		sqlite3_finalize(db->cache[i].st);
		db->cache[i].sql = NULL;
	}
}

int register_exec(struct register_db *db, const char *sql, char **cause)
{
	char *err = NULL;
	int rc = sqlite3_exec(db->db, sql, NULL, NULL, &err);

	if (rc == SQLITE_OK)
		return 0;
	rc = (rc & 0xff) == SQLITE_BUSY ? -EBUSY : -EIO;
	util_fail(cause, rc, _("register: %s"), err ? err : sqlite3_errstr(rc));
	sqlite3_free(err);
	return rc;
}

/* BEGIN IMMEDIATE takes the write lock now (waiting up to the busy
 * timeout), so a transaction never fails half-way on a lock upgrade. */
int register_store_begin(struct register_db *db, char **cause)
{
	return register_exec(db, "BEGIN IMMEDIATE", cause);
}

int register_store_commit(struct register_db *db, char **cause)
{
	return register_exec(db, "COMMIT", cause);
}

void register_store_rollback(struct register_db *db)
{
	if (!sqlite3_get_autocommit(db->db))
		sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
}

int register_store_read_begin(struct register_db *db, bool *own, char **cause)
{
	if (own) {
		*own = sqlite3_get_autocommit(db->db) != 0;
		if (!*own)
			return 0;
	}
	if (sqlite3_exec(db->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return register_sql_fail(db, cause, "begin");
	return 0;
}

void register_store_read_end(struct register_db *db, bool own)
{
	if (own)
		sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL);
}

int register_store_foreign_keys(struct register_db *db, bool on, char **cause)
{
	return register_exec(db, on ? "PRAGMA foreign_keys = ON" : "PRAGMA foreign_keys = OFF",
			     cause);
}

int register_store_version(struct register_db *db, int *v, char **cause)
{
	sqlite3_stmt *st = NULL;
	int rc = register_prepare(db, "PRAGMA user_version", &st, cause);

	if (rc < 0)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW)
		*v = sqlite3_column_int(st, 0);
	else
		rc = register_sql_fail(db, cause, "read schema version");
	sqlite3_finalize(st);
	return rc;
}

int register_store_set_version(struct register_db *db, int v, char **cause)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v);
	return register_exec(db, sql, cause);
}

/* Bring the schema to REGISTER_SCHEMA_VERSION inside one transaction. */
static int migrate(struct register_db *db, char **cause)
{
	int v = 0, rc = register_store_version(db, &v, cause);

	/* Up to date: no write lock needed (readers do not queue behind
	 * writers); otherwise check again under the lock. */
	if (rc < 0 || v == REGISTER_SCHEMA_VERSION)
		return rc;
	rc = register_store_begin(db, cause);

	if (rc == 0)
		rc = register_store_version(db, &v, cause);
	if (rc == 0 && v > REGISTER_SCHEMA_VERSION)
		rc = util_fail(cause, -EPROTO, _("register: schema version %d is newer than this "
			       "custos understands (%d)"), v, REGISTER_SCHEMA_VERSION);
	if (rc == 0 && v == 0)
		rc = register_exec(db, schema_v2, cause);
	/* the media table, or the columns added since version v */
	if (rc == 0)
		rc = register_store_media_columns(db, v, cause);
	if (rc == 0 && v == 1)
		rc = register_exec(db, migrate_v1_v2, cause);
	if (rc == 0 && v < 2)
		rc = register_exec(db, schema_v2_extra, cause);
	if (rc == 0 && v == 1)
		rc = register_exec(db, set_head_from_events, cause);
	if (rc == 0 && v >= 1 && v < 3)
		rc = register_exec(db, migrate_v2_v3, cause);
	if (rc == 0 && v < 4)
		rc = register_exec(db, migrate_v3_v4, cause);
	if (rc == 0 && v >= 1 && v < 5)
		rc = register_exec(db, migrate_v4_v5, cause);
	if (rc == 0 && v < 5)
		rc = register_exec(db, schema_v5, cause);
	if (rc == 0 && v < REGISTER_SCHEMA_VERSION)
		rc = register_store_set_version(db, REGISTER_SCHEMA_VERSION, cause);
	if (rc == 0 && v != 0 && v < REGISTER_SCHEMA_VERSION)
		util_info(_("register: schema migrated from version %d to %d"), v,
			  REGISTER_SCHEMA_VERSION);
	if (rc == 0)
		return register_store_commit(db, cause);
	register_store_rollback(db);
	return rc;
}

int register_store_open(struct register_db *db, const char *path, char **cause)
{
	int rc;

	if (sqlite3_open_v2(path, &db->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK)
		return util_fail(cause, -EIO, _("register %s: %s"), path,
				 db->db ? sqlite3_errmsg(db->db) : "cannot open");
	sqlite3_busy_timeout(db->db, BUSY_TIMEOUT_MS);
	rc = register_exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
			   " PRAGMA foreign_keys = ON;", cause);
	return rc < 0 ? rc : migrate(db, cause);
}

void register_store_close(struct register_db *db)
{
	cache_free(db);
	sqlite3_close(db->db);
	db->db = NULL;
}

int register_store_probe_write(struct register_db *db, char **cause)
{
	int rc = register_exec(db, "BEGIN IMMEDIATE", cause);
	int code;

	if (rc == 0)
		rc = register_exec(db, "INSERT OR REPLACE INTO meta(key, value) VALUES"
				   " ('write_probe', hex(randomblob(512)))", cause);
	code = sqlite3_extended_errcode(db->db) & 0xff;
	register_store_rollback(db);
	if (rc == 0)
		return 0;
	if (code == SQLITE_READONLY || code == SQLITE_CANTOPEN || code == SQLITE_PERM)
		rc = -EROFS;
	else if (code == SQLITE_FULL)
		rc = -ENOSPC;
	return rc;
}

/* The chain's events */

int register_store_chain_tail(struct register_db *db, int64_t *seq, char *hash, char **cause)
{
	sqlite3_stmt *st = NULL;
	int rc = register_cached(db, "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1",
				 &st, cause);

	if (rc < 0)
		return rc;
	*seq = 0;
	util_strlcpy(hash, GENESIS_HASH, 65);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*seq = sqlite3_column_int64(st, 0);
		register_col_text(st, 1, hash, 65);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? 0 : register_sql_fail(db, cause, "read chain");
	}
	register_release(st);
	return rc;
}

int register_store_insert_event(struct register_db *db, const struct register_event *ev,
				char **cause)
{
	sqlite3_stmt *st = NULL;
	char seq[24];
	int rc = register_cached(db, "INSERT INTO events(media_id, seq, at, kind, operator,"
				 " station, details, prev_hash, hash)"
				 " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", &st, cause);

	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, ev->media_id);
	sqlite3_bind_int64(st, 2, ev->seq);
	sqlite3_bind_text(st, 3, ev->at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, ev->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, ev->operator_name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, ev->station, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, ev->details, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 8, ev->prev_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 9, ev->hash, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = register_sql_fail(db, cause, "append event");
	register_release(st);
	/* the meta head: @ev is the newest event */
	if (rc == 0)
		rc = register_cached(db, "INSERT OR REPLACE INTO meta(key, value)"
				     " VALUES ('head_seq', ?1), ('head_hash', ?2)", &st, cause);
	if (rc < 0)
		return rc;
	snprintf(seq, sizeof(seq), "%lld", (long long)ev->seq);
	sqlite3_bind_text(st, 1, seq, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ev->hash, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = register_sql_fail(db, cause, "append event");
	register_release(st);
	return rc;
}

int register_store_each_event(struct register_db *db,
			      int (*fn)(const struct register_event *ev, void *arg), void *arg,
			      char **cause)
{
	struct register_event ev;
	sqlite3_stmt *st = NULL;
	int rc = register_prepare(db, "SELECT " REGISTER_EVENT_COLS " FROM events ORDER BY seq",
				  &st, cause), stop = 0;

	if (rc < 0)
		return rc;
	while (!stop && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (register_row_to_event(st, &ev) < 0) {
			sqlite3_finalize(st);
			return util_fail(cause, -ENOMEM, _("out of memory"));
		}
		stop = fn(&ev, arg);
		free(ev.details);
	}
	rc = stop || rc == SQLITE_DONE ? 0 : register_sql_fail(db, cause, "read events");
	sqlite3_finalize(st);
	return rc;
}

int register_store_media_events(struct register_db *db, int64_t media_id,
				void (*fn)(const char *kind, const char *details, void *arg),
				void *arg, int64_t *n, char **cause)
{
	sqlite3_stmt *st = NULL;
	int rc = register_prepare(db, "SELECT kind, details FROM events WHERE media_id = ?1"
				  " ORDER BY seq", &st, cause);

	*n = 0;
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, media_id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		fn((const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
		   arg);
		(*n)++;
	}
	rc = rc == SQLITE_DONE ? 0 : register_sql_fail(db, cause, "read history");
	sqlite3_finalize(st);
	return rc;
}

int register_store_orphans(struct register_db *db, void (*fn)(int64_t media_id, void *arg),
			   void *arg, char **cause)
{
	sqlite3_stmt *st = NULL;
	int rc = register_prepare(db, "SELECT DISTINCT media_id FROM events WHERE media_id NOT IN"
				  " (SELECT id FROM media) AND media_id != 0 ORDER BY media_id", &st,
				  cause);

	if (rc < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		fn(sqlite3_column_int64(st, 0), arg);
	rc = rc == SQLITE_DONE ? 0 : register_sql_fail(db, cause, "read events");
	sqlite3_finalize(st);
	return rc;
}

int register_store_state_before(struct register_db *db, int64_t id, char *out, size_t len,
				char **cause)
{
	sqlite3_stmt *st = NULL;
	int rc = register_prepare(db, "SELECT json_extract(details, '$.state_before') FROM events"
				  " WHERE media_id = ?1 AND kind = 'sanitize-started'"
				  " ORDER BY seq DESC LIMIT 1", &st, cause);
	const char *v;

	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	rc = sqlite3_step(st);
	v = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
	util_strlcpy(out, v && *v ? v : "in-stock", len);
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 :
	     register_sql_fail(db, cause, "read the start of the sanitization");
	sqlite3_finalize(st);
	return rc;
}

int register_store_meta_get(struct register_db *db, const char *key, char *val, size_t size)
{
	sqlite3_stmt *st = NULL;
	int rc = register_prepare(db, "SELECT value FROM meta WHERE key = ?", &st, NULL);

	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	val[0] = '\0';
	rc = sqlite3_step(st) == SQLITE_ROW ? 0 : -ENOENT;
	if (rc == 0)
		register_col_text(st, 0, val, size);
	sqlite3_finalize(st);
	return rc;
}

int register_event_media(struct register_db *db, const char *hash, int64_t *media_id,
			 char **cause)
{
	sqlite3_stmt *st = NULL;
	int rc = register_prepare(db, "SELECT media_id FROM events WHERE hash = ?", &st, cause);

	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*media_id = sqlite3_column_int64(st, 0);
	rc = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ?
		util_fail(cause, -ENOENT, _("no event of the register has hash %.16s..."), hash) :
		register_sql_fail(db, cause, "find an event");
	sqlite3_finalize(st);
	return rc;
}

/* Certificates */

int register_add_certificate(struct register_db *db, const struct register_cert *c,
			     char **cause)
{
	sqlite3_stmt *st = NULL;
	int rc = register_prepare(db, "INSERT INTO certificates(id, media_id, kind, issued_at,"
				  " json, event_hash, path) VALUES (?, ?, ?, ?, ?, ?, ?)", &st,
				  cause);

	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, c->id, -1, SQLITE_STATIC);
	if (c->media_id > 0)
		sqlite3_bind_int64(st, 2, c->media_id);
	else
		sqlite3_bind_null(st, 2);
	sqlite3_bind_text(st, 3, c->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, c->issued_at, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, c->json ? c->json : "{}", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, c->event_hash, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, c->path, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (sqlite3_extended_errcode(db->db) == SQLITE_CONSTRAINT_PRIMARYKEY)
		rc = util_fail(cause, -EEXIST, _("certificate %s is already stored"), c->id);
	else
		rc = register_sql_fail(db, cause, "add certificate");
	sqlite3_finalize(st);
	return rc;
}

static int row_to_cert(sqlite3_stmt *st, struct register_cert *c)
{
	const unsigned char *j = sqlite3_column_text(st, 4);

	memset(c, 0, sizeof(*c));
	register_col_text(st, 0, c->id, sizeof(c->id));
	c->media_id = sqlite3_column_int64(st, 1);
	register_col_text(st, 2, c->kind, sizeof(c->kind));
	register_col_text(st, 3, c->issued_at, sizeof(c->issued_at));
	c->json = strdup(j ? (const char *)j : "");
	register_col_text(st, 5, c->event_hash, sizeof(c->event_hash));
	register_col_text(st, 6, c->path, sizeof(c->path));
	return c->json ? 0 : -ENOMEM;
}

#define CERT_COLS "id, media_id, kind, issued_at, json, event_hash, path"

int register_get_certificate(struct register_db *db, const char *id, struct register_cert *out,
			     char **cause)
{
	sqlite3_stmt *st = NULL;
	int rc = register_prepare(db, "SELECT " CERT_COLS " FROM certificates WHERE id = ?", &st,
				  cause);

	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = row_to_cert(st, out);
	else if (rc == SQLITE_DONE)
		rc = util_fail(cause, -ENOENT, _("no certificate %s in the register"), id);
	else
		rc = register_sql_fail(db, cause, "certificate");
	sqlite3_finalize(st);
	return rc;
}

bool register_cert_id_taken(void *db, const char *id)
{
	sqlite3_stmt *st = NULL;
	bool taken;

	if (register_prepare(db, "SELECT 1 FROM certificates WHERE id = ?", &st, NULL) < 0)
		return true;	/* cannot tell: do not risk a duplicate */
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	taken = sqlite3_step(st) != SQLITE_DONE;
	sqlite3_finalize(st);
	return taken;
}


bool register_event_has_cert(struct register_db *db, const char *hash)
{
	sqlite3_stmt *st = NULL;
	bool has;

	if (register_prepare(db, "SELECT 1 FROM certificates WHERE event_hash = ?", &st, NULL) < 0)
		return true;	/* cannot tell: do not record a second one */
	sqlite3_bind_text(st, 1, hash, -1, SQLITE_STATIC);
	has = sqlite3_step(st) != SQLITE_DONE;
	sqlite3_finalize(st);
	return has;
}

static int cert_row(sqlite3_stmt *st, void *c)
{
	return row_to_cert(st, c);
}

int register_list_certificates(struct register_db *db, int64_t media_id,
			       struct register_cert **out, size_t *n, char **cause)
{
	void *arr = NULL;
	size_t cnt = 0;
	sqlite3_stmt *st = NULL;
	int rc = register_prepare(db, "SELECT " CERT_COLS " FROM certificates WHERE ?1 <= 0 OR"
				  " media_id = ?1 ORDER BY issued_at, rowid", &st, cause);

	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, media_id);
	rc = register_collect(db, st, cert_row, sizeof(**out), "certificates", &arr, &cnt, cause);
	if (rc < 0) {
		register_certs_free(arr, cnt);
		return rc;
	}
	*out = arr;
	*n = cnt;
	return 0;
}

void register_cert_clear(struct register_cert *c)
{
	free(c->json);
	c->json = NULL;
}

void register_certs_free(struct register_cert *c, size_t n)
{
	for (size_t i = 0; c && i < n; i++)
		register_cert_clear(&c[i]);
	free(c);
}

int register_unfinished(struct register_db *db, struct register_unfinished **out, size_t *n,
			char **cause)
{
	sqlite3_stmt *st = NULL;
	struct register_unfinished *v = NULL, *grown;
	size_t cap = 0;
	int rc = register_prepare(db, "SELECT m.id, m.register_no, e.at,"
		" COALESCE(json_extract(e.details, '$.profile'), ''),"
		" COALESCE(json_extract(e.details, '$.destination'), ''), e.operator"
		" FROM media m LEFT JOIN events e ON e.seq = (SELECT MAX(seq) FROM events"
		" WHERE media_id = m.id AND kind = 'sanitize-started')"
		" WHERE m.state = 'sanitizing' ORDER BY e.seq", &st, cause);

	*out = NULL;
	*n = 0;
	if (rc < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct register_unfinished *u;

		if (*n == cap) {
			cap = cap ? 2 * cap : 8;
			grown = realloc(v, cap * sizeof(*v));
			if (!grown) {
				rc = SQLITE_NOMEM;
				break;
			}
			v = grown;
		}
		u = &v[(*n)++];
		memset(u, 0, sizeof(*u));
		u->media_id = sqlite3_column_int64(st, 0);
		util_strlcpy(u->register_no, (const char *)sqlite3_column_text(st, 1) ?: "",
			     sizeof(u->register_no));
		util_strlcpy(u->started_at, (const char *)sqlite3_column_text(st, 2) ?: "",
			     sizeof(u->started_at));
		util_strlcpy(u->profile, (const char *)sqlite3_column_text(st, 3) ?: "",
			     sizeof(u->profile));
		util_strlcpy(u->destination, (const char *)sqlite3_column_text(st, 4) ?: "",
			     sizeof(u->destination));
		util_strlcpy(u->operator_name, (const char *)sqlite3_column_text(st, 5) ?: "",
			     sizeof(u->operator_name));
	}
	if (rc == SQLITE_NOMEM)
		rc = util_fail(cause, -ENOMEM, _("out of memory"));
	else if (rc != SQLITE_DONE)
		rc = register_sql_fail(db, cause, "list unfinished sanitizations");
	else
		rc = 0;
	sqlite3_finalize(st);
	if (rc < 0) {
		free(v);
		*n = 0;
		return rc;
	}
	*out = v;
	return 0;
}


/* Reads of verification */

int register_store_missing_certs(struct register_db *db, int64_t *n, int64_t *seq, char *id,
				 size_t size, char **cause)
{
	sqlite3_stmt *st = NULL;
	int rc = register_prepare(db, "SELECT e.seq, json_extract(e.details, '$.certificate_id')"
		" FROM events e WHERE e.kind IN ('sanitized', 'not-erased') AND"
		" COALESCE(json_extract(e.details, '$.certificate_id'), '') != '' AND NOT EXISTS"
		" (SELECT 1 FROM certificates c WHERE c.id = json_extract(e.details,"
		" '$.certificate_id')) ORDER BY e.seq", &st, cause);

	*n = 0;
	if (rc < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((*n)++)
			continue;
		*seq = sqlite3_column_int64(st, 0);
		util_strlcpy(id, (const char *)sqlite3_column_text(st, 1) ?: "", size);
	}
	rc = rc == SQLITE_DONE ? 0 : register_sql_fail(db, cause, "check certificate numbers");
	sqlite3_finalize(st);
	return rc;
}

bool register_store_integrity(struct register_db *db, char *msgs, size_t size)
{
	sqlite3_stmt *st = NULL;
	bool ok = true;
	int rc = sqlite3_prepare_v2(db->db, "PRAGMA integrity_check(10)", -1, &st, NULL);

	msgs[0] = '\0';
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *m = (const char *)sqlite3_column_text(st, 0);

		if (m && strcmp(m, "ok") == 0)
			continue;
		ok = false;
		if (msgs[0])
			strncat(msgs, "; ", size - strlen(msgs) - 1);
		strncat(msgs, m ? m : "?", size - strlen(msgs) - 1);
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW && rc != SQLITE_OK) {
		ok = false;
		snprintf(msgs, size, "%s", sqlite3_errmsg(db->db));
	}
	sqlite3_finalize(st);
	return ok;
}

/* Copy the live database page by page into @tmp; other writers may go on. */
int register_store_backup(struct register_db *db, const char *tmp, char **cause)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	int rc;

	if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		rc = util_fail(cause, -EIO, _("backup %s: %s"), tmp,
			       dst ? sqlite3_errmsg(dst) : "cannot create");
		goto out;
	}
	b = sqlite3_backup_init(dst, "main", db->db, "main");
	if (!b) {
		rc = util_fail(cause, -EIO, _("backup: %s"), sqlite3_errmsg(dst));
		goto out;
	}
	do {
		rc = sqlite3_backup_step(b, 64);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(50);
	} while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	rc = rc == SQLITE_DONE ? 0 : util_fail(cause, -EIO, _("backup: %s"), sqlite3_errstr(rc));
out:
	if (sqlite3_close(dst) != SQLITE_OK && rc == 0)
		rc = util_fail(cause, -EIO, _("backup: cannot close %s"), tmp);
	return rc;
}
