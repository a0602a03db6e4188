/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * register: schema and migrations, the hash-chained event log, and the
 * lifecycle of a medium (enrol, custody, sanitization, destruction).
 * The chain format is documented in register.h.
 */
#include "register-private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "util.h"

#define BUSY_TIMEOUT_MS 10000
#define GENESIS_HASH "0000000000000000000000000000000000000000000000000000000000000000"

/* The tables of schema version 2, also those of version 3 (current), which
 * only adds the state awaiting-destruction (migrate_v2_v3). */
static const char schema_v2[] =
	"CREATE TABLE media ("
	" id INTEGER PRIMARY KEY,"
	" register_no TEXT UNIQUE,"
	" asset_tag TEXT UNIQUE,"
	" media_type TEXT NOT NULL,"
	" vendor TEXT NOT NULL DEFAULT '',"
	" model TEXT NOT NULL DEFAULT '',"
	" serial TEXT NOT NULL DEFAULT '',"
	" wwn TEXT NOT NULL DEFAULT '',"
	" backing_file TEXT NOT NULL DEFAULT '',"
	" capacity_bytes INTEGER NOT NULL DEFAULT 0,"
	" classification TEXT NOT NULL DEFAULT '',"
	" highest_class TEXT NOT NULL DEFAULT '',"
	" custodian TEXT NOT NULL DEFAULT '',"
	" department TEXT NOT NULL DEFAULT '',"
	" holder TEXT NOT NULL DEFAULT '',"
	" state TEXT NOT NULL,"
	" note TEXT NOT NULL DEFAULT '',"
	" source TEXT NOT NULL DEFAULT 'manual',"
	" unregistered INTEGER NOT NULL DEFAULT 0,"
	" created_at TEXT NOT NULL,"
	" updated_at TEXT NOT NULL);"
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
 * the holder, the row's source and unregistered media; certificates; the
 * chain head (taken from the last event, which verify then checks). */
static const char migrate_v1_v2[] =
	"ALTER TABLE media ADD COLUMN wwn TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE media ADD COLUMN backing_file TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE media ADD COLUMN highest_class TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE media ADD COLUMN holder TEXT NOT NULL DEFAULT '';"
	"ALTER TABLE media ADD COLUMN source TEXT NOT NULL DEFAULT 'manual';"
	"ALTER TABLE media ADD COLUMN unregistered INTEGER NOT NULL DEFAULT 0;"
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

static const char set_head_from_events[] =
	"INSERT OR REPLACE INTO meta(key, value)"
	" SELECT 'head_seq', CAST(seq AS TEXT) FROM events ORDER BY seq DESC LIMIT 1;"
	"INSERT OR REPLACE INTO meta(key, value)"
	" SELECT 'head_hash', hash FROM events ORDER BY seq DESC LIMIT 1;";

int register_sql_fail(struct register_db *db, char **cause, const char *what)
{
	int code = sqlite3_errcode(db->db) & 0xff;
	int err = code == SQLITE_BUSY || code == SQLITE_LOCKED ? -EBUSY : -EIO;

	return util_fail(cause, err, "register: %s: %s", what, sqlite3_errmsg(db->db));
}

int register_prepare(struct register_db *db, const char *sql, sqlite3_stmt **st, char **cause)
{
	if (sqlite3_prepare_v2(db->db, sql, -1, st, NULL) != SQLITE_OK)
		return register_sql_fail(db, cause, "prepare");
	return 0;
}

static int exec(struct register_db *db, const char *sql, char **cause)
{
	char *err = NULL;
	int rc = sqlite3_exec(db->db, sql, NULL, NULL, &err);

	if (rc == SQLITE_OK)
		return 0;
	rc = (rc & 0xff) == SQLITE_BUSY ? -EBUSY : -EIO;
	util_fail(cause, rc, "register: %s", err ? err : sqlite3_errstr(rc));
	sqlite3_free(err);
	return rc;
}

/* BEGIN IMMEDIATE takes the write lock now (waiting up to the busy
 * timeout), so a transaction never fails half-way on a lock upgrade. */
static int begin(struct register_db *db, char **cause)
{
	return exec(db, "BEGIN IMMEDIATE", cause);
}

static int commit(struct register_db *db, char **cause)
{
	return exec(db, "COMMIT", cause);
}

static void rollback(struct register_db *db)
{
	if (!sqlite3_get_autocommit(db->db))
		sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
}

static int user_version(struct register_db *db, int *v, char **cause)
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

static int set_version(struct register_db *db, int v, char **cause)
{
	char sql[64];

	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v);
	return exec(db, sql, cause);
}

/* Bring the schema to REGISTER_SCHEMA_VERSION inside one transaction. */
static int migrate(struct register_db *db, char **cause)
{
	int v = 0, rc = user_version(db, &v, cause);

	/* Up to date: no write lock needed (readers do not queue behind
	 * writers); otherwise check again under the lock. */
	if (rc < 0 || v == REGISTER_SCHEMA_VERSION)
		return rc;
	rc = begin(db, cause);

	if (rc == 0)
		rc = user_version(db, &v, cause);
	if (rc == 0 && v > REGISTER_SCHEMA_VERSION)
		rc = util_fail(cause, -EPROTO, "register: schema version %d is newer than this "
			       "custos understands (%d)", v, REGISTER_SCHEMA_VERSION);
	if (rc == 0 && v == 0)
		rc = exec(db, schema_v2, cause);
	if (rc == 0 && v == 1)
		rc = exec(db, migrate_v1_v2, cause);
	if (rc == 0 && v < 2)
		rc = exec(db, schema_v2_extra, cause);
	if (rc == 0 && v == 1)
		rc = exec(db, set_head_from_events, cause);
	if (rc == 0 && v >= 1 && v < 3)
		rc = exec(db, migrate_v2_v3, cause);
	if (rc == 0 && v < REGISTER_SCHEMA_VERSION)
		rc = set_version(db, REGISTER_SCHEMA_VERSION, cause);
	if (rc == 0 && v != 0 && v < REGISTER_SCHEMA_VERSION)
		util_info("register: schema migrated from version %d to %d", v,
			  REGISTER_SCHEMA_VERSION);
	if (rc == 0)
		return commit(db, cause);
	rollback(db);
	return rc;
}

int register_open(const char *path, struct register_db **out, char **cause)
{
	struct register_db *db = calloc(1, sizeof(*db));
	int rc;

	if (!db)
		return util_fail(cause, -ENOMEM, "out of memory");
	if (sqlite3_open_v2(path, &db->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		rc = util_fail(cause, -EIO, "register %s: %s", path,
			       db->db ? sqlite3_errmsg(db->db) : "cannot open");
		goto fail;
	}
	sqlite3_busy_timeout(db->db, BUSY_TIMEOUT_MS);
	rc = exec(db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
		  " PRAGMA foreign_keys = ON;", cause);
	if (rc == 0)
		rc = migrate(db, cause);
	if (rc < 0)
		goto fail;
	*out = db;
	return 0;
fail:
	register_close(db);
	return rc;
}

int register_open_dir(const char *state_dir, struct register_db **out, char **cause)
{
	char *path = util_asprintf("%s/%s", state_dir, REGISTER_FILE);
	int rc;

	if (!path)
		return util_fail(cause, -ENOMEM, "out of memory");
	rc = register_open(path, out, cause);
	free(path);
	return rc;
}

void register_close(struct register_db *db)
{
	if (!db)
		return;
	sqlite3_close(db->db);
	free(db->operator_name);
	free(db->station);
	free(db);
}

int register_set_actor(struct register_db *db, const char *operator_name, const char *station)
{
	char *op = strdup(operator_name && *operator_name ? operator_name : "unknown");
	char *stn = strdup(station && *station ? station : "unknown");

	if (!op || !stn) {
		free(op);
		free(stn);
		return -ENOMEM;
	}
	free(db->operator_name);
	free(db->station);
	db->operator_name = op;
	db->station = stn;
	return 0;
}

static int hash_field(EVP_MD_CTX *ctx, const char *name, const char *value)
{
	char head[64];
	size_t len = strlen(value);
	int n = snprintf(head, sizeof(head), "%s=%zu:", name, len);

	if (EVP_DigestUpdate(ctx, head, (size_t)n) != 1 || EVP_DigestUpdate(ctx, value, len) != 1 ||
	    EVP_DigestUpdate(ctx, "\n", 1) != 1)
		return -EIO;
	return 0;
}

int register_event_hash(const struct register_event *ev, char *out)
{
	static const char magic[] = "custos-event-v1\n";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char seq[24], media[24];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int rc = -EIO;

	if (!ctx)
		return -ENOMEM;
	snprintf(seq, sizeof(seq), "%lld", (long long)ev->seq);
	snprintf(media, sizeof(media), "%lld", (long long)ev->media_id);
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, magic, sizeof(magic) - 1) != 1)
		goto out;
	if (hash_field(ctx, "seq", seq) || hash_field(ctx, "media_id", media) ||
	    hash_field(ctx, "at", ev->at) || hash_field(ctx, "kind", ev->kind) ||
	    hash_field(ctx, "operator", ev->operator_name) ||
	    hash_field(ctx, "station", ev->station) ||
	    hash_field(ctx, "details", ev->details ? ev->details : "") ||
	    hash_field(ctx, "prev_hash", ev->prev_hash))
		goto out;
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1 || mdlen != 32)
		goto out;
	util_hex(md, mdlen, out);
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* The last event's seq and hash (0 and the genesis hash when empty). */
static int chain_tail(struct register_db *db, int64_t *seq, char *hash, char **cause)
{
	sqlite3_stmt *st = NULL;
	int rc = register_prepare(db, "SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1",
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
	sqlite3_finalize(st);
	return rc;
}

static int insert_event(struct register_db *db, const struct register_event *ev, char **cause)
{
	sqlite3_stmt *st = NULL;
	int rc = register_prepare(db, "INSERT INTO events(media_id, seq, at, kind, operator,"
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
	sqlite3_finalize(st);
	if (rc < 0)
		return rc;
	return exec(db, "INSERT OR REPLACE INTO meta(key, value) SELECT 'head_seq',"
		    " CAST(seq AS TEXT) FROM events ORDER BY seq DESC LIMIT 1;"
		    "INSERT OR REPLACE INTO meta(key, value) SELECT 'head_hash', hash"
		    " FROM events ORDER BY seq DESC LIMIT 1;", cause);
}

/* Append one event to the chain inside the caller's transaction.
 * @details is consumed.  @hash_out (65 bytes) may be NULL. */
static int append_event(struct register_db *db, int64_t media_id, const char *kind,
			json_t *details, char *hash_out, char **cause)
{
	struct register_event ev = { .media_id = media_id };
	int rc;

	if (!details)
		return util_fail(cause, -ENOMEM, "out of memory");
	ev.details = json_dumps(details, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(details);
	if (!ev.details)
		return util_fail(cause, -ENOMEM, "out of memory");
	rc = chain_tail(db, &ev.seq, ev.prev_hash, cause);
	if (rc < 0)
		goto out;
	ev.seq++;
	util_iso8601(util_unix_now(), ev.at, sizeof(ev.at));
	util_strlcpy(ev.kind, kind, sizeof(ev.kind));
	util_strlcpy(ev.operator_name, db->operator_name ? db->operator_name : "unknown",
		     sizeof(ev.operator_name));
	util_strlcpy(ev.station, db->station ? db->station : "unknown", sizeof(ev.station));
	rc = register_event_hash(&ev, ev.hash);
	if (rc == 0)
		rc = insert_event(db, &ev, cause);
	if (rc == 0 && hash_out)
		util_strlcpy(hash_out, ev.hash, 65);
out:
	free(ev.details);
	return rc;
}

bool register_state_is_terminal(const char *state)
{
	return strcmp(state, "destroyed") == 0 || strcmp(state, "lost") == 0;
}

/* Load one row by id inside a transaction. */
static int load(struct register_db *db, int64_t id, struct register_media *m, char **cause)
{
	char key[24];

	snprintf(key, sizeof(key), "%lld", (long long)id);
	return register_query_one(db, "id = CAST(?1 AS INTEGER)", key, NULL, false, m, cause);
}

int register_get(struct register_db *db, int64_t id, struct register_media *out, char **cause)
{
	int rc = load(db, id, out, cause);

	if (rc == -ENOENT)
		util_fail(cause, rc, "register: no medium with id %lld", (long long)id);
	if (rc == 0)
		rc = register_history_check(db, out, cause);
	return rc;
}

static void set_text(json_t *o, const char *key, const char *val)
{
	if (val && *val)
		json_object_set_new(o, key, json_string(val));
}

static json_t *enroll_details(const struct register_media *m)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	set_text(o, "register_no", m->register_no);
	set_text(o, "asset_tag", m->asset_tag);
	set_text(o, "media_type", m->media_type);
	set_text(o, "vendor", m->vendor);
	set_text(o, "model", m->model);
	set_text(o, "serial", m->serial);
	set_text(o, "wwn", m->wwn);
	set_text(o, "backing_file", m->backing_file);
	set_text(o, "classification", m->classification);
	set_text(o, "custodian", m->custodian);
	set_text(o, "department", m->department);
	set_text(o, "note", m->note);
	set_text(o, "source", m->source);
	json_object_set_new(o, "capacity_bytes", json_integer((json_int_t)m->capacity_bytes));
	return o;
}

/* The medium not destroyed that carries @m's asset tag or identity
 * (WWN, serial + model, backing file) and matches @filter (SQL, e.g.
 * " AND unregistered = 0"): 0 with it in @old, -ENOENT, or an error. */
static int find_same(struct register_db *db, const struct register_media *m, const char *filter,
		     struct register_media *old, char **cause)
{
	char where[192];
	int rc = -ENOENT;

	if (m->asset_tag[0]) {
		snprintf(where, sizeof(where), "asset_tag = ?1%s", filter);
		rc = register_query_one(db, where, m->asset_tag, NULL, false, old, cause);
	}
	if (rc == -ENOENT && m->wwn[0]) {
		snprintf(where, sizeof(where), "wwn = ?1 AND state != 'destroyed'%s", filter);
		rc = register_query_one(db, where, m->wwn, NULL, false, old, cause);
	}
	if (rc == -ENOENT && m->serial[0]) {
		snprintf(where, sizeof(where), "serial = ?1 AND (model = ?2 OR model = '' OR "
			 "?2 = '') AND state != 'destroyed'%s", filter);
		rc = register_query_one(db, where, m->serial, m->model, false, old, cause);
	}
	if (rc == -ENOENT && m->backing_file[0]) {
		snprintf(where, sizeof(where), "backing_file = ?1 AND state != 'destroyed'%s",
			 filter);
		rc = register_query_one(db, where, m->backing_file, NULL, false, old, cause);
	}
	return rc;
}

static int refuse_existing(const struct register_media *old, char **cause)
{
	return util_fail(cause, -EEXIST, "already in the register as %s (%s, %s, state %s)",
			 old->register_no, old->media_type,
			 old->classification[0] ? old->classification : "unclassified",
			 old->state);
}

/* An enrolled medium already carrying the asset tag or identity of @m. */
static int check_unique(struct register_db *db, const struct register_media *m, char **cause)
{
	struct register_media old;
	int rc = find_same(db, m, " AND unregistered = 0", &old, cause);

	if (rc == 0)
		return refuse_existing(&old, cause);
	return rc == -ENOENT ? 0 : rc;
}

/* The next register number: above every number handed out so far (M- and
 * U- share one sequence) and at least @id. */
static int next_number(struct register_db *db, int64_t id, int64_t *no, char **cause)
{
	sqlite3_stmt *st = NULL;
	int rc = register_prepare(db, "SELECT COALESCE(MAX(CAST(substr(register_no, 3) AS"
				  " INTEGER)), 0) FROM media", &st, cause);

	if (rc < 0)
		return rc;
	if (sqlite3_step(st) == SQLITE_ROW)
		*no = sqlite3_column_int64(st, 0) + 1;
	else
		rc = register_sql_fail(db, cause, "number medium");
	sqlite3_finalize(st);
	if (*no < id)
		*no = id;
	return rc;
}

static int set_number(struct register_db *db, int64_t id, const char *prefix, char **cause)
{
	sqlite3_stmt *st = NULL;
	char no[32];
	int64_t n = 0;
	int rc = next_number(db, id, &n, cause);

	if (rc < 0)
		return rc;
	snprintf(no, sizeof(no), "%s-%06lld", prefix, (long long)n);
	rc = register_prepare(db, "UPDATE media SET register_no = ?1 WHERE id = ?2", &st, cause);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, no, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = register_sql_fail(db, cause, "number medium");
	sqlite3_finalize(st);
	return rc;
}

/* Bind @m's enrolment fields to ?1..?14, in the order insert_media() and
 * convert_unregistered() both use (?9 is classification and highest_class). */
static void bind_media(sqlite3_stmt *st, const struct register_media *m)
{
	register_bind_opt(st, 1, m->asset_tag);
	sqlite3_bind_text(st, 2, m->media_type, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, m->vendor, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, m->model, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, m->serial, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, m->wwn, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 7, m->backing_file, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)m->capacity_bytes);
	sqlite3_bind_text(st, 9, m->classification, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 10, m->custodian, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 11, m->department, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 12, m->state, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 13, m->note, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 14, m->source[0] ? m->source : "manual", -1, SQLITE_STATIC);
}

static int insert_media(struct register_db *db, const struct register_media *m,
			const char *prefix, int64_t *id, char **cause)
{
	sqlite3_stmt *st = NULL;
	char now[24];
	int rc = register_prepare(db, "INSERT INTO media(asset_tag, media_type, vendor, model,"
		" serial, wwn, backing_file, capacity_bytes, classification, highest_class,"
		" custodian, department, state, note, source, unregistered, created_at, updated_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9, ?10, ?11, ?12, ?13, ?14, ?15,"
		" ?16, ?16)", &st, cause);

	if (rc < 0)
		return rc;
	util_iso8601(util_unix_now(), now, sizeof(now));
	bind_media(st, m);
	sqlite3_bind_int(st, 15, m->unregistered);
	sqlite3_bind_text(st, 16, now, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = register_sql_fail(db, cause, "add medium");
	sqlite3_finalize(st);
	if (rc < 0)
		return rc;
	*id = sqlite3_last_insert_rowid(db->db);
	return set_number(db, *id, prefix, cause);
}

/*
 * Enrol the unregistered row @id (a medium sanitized before it was
 * enrolled) in place: the enrolment's classification, custodian and so on,
 * its identity where the enrolment has one, state in-stock, a new M- number,
 * created_at = now (the enrolment date).  Its events stay with it.
 */
static int convert_unregistered(struct register_db *db, int64_t id,
				const struct register_media *m, char **cause)
{
	static const char sql[] = "UPDATE media SET asset_tag = ?1,"
		" media_type = ?2, vendor = COALESCE(NULLIF(?3, ''), vendor),"
		" model = COALESCE(NULLIF(?4, ''), model), serial = COALESCE(NULLIF(?5, ''), serial),"
		" wwn = COALESCE(NULLIF(?6, ''), wwn),"
		" backing_file = COALESCE(NULLIF(?7, ''), backing_file),"
		" capacity_bytes = CASE WHEN ?8 > 0 THEN ?8 ELSE capacity_bytes END,"
		" classification = ?9, highest_class = ?9, custodian = ?10, department = ?11,"
		" state = ?12, note = ?13, source = ?14, unregistered = 0, created_at = ?15,"
		" updated_at = ?15 WHERE id = ?16 AND unregistered = 1";
	sqlite3_stmt *st = NULL;
	char now[24];
	int rc = register_prepare(db, sql, &st, cause);

	if (rc < 0)
		return rc;
	util_iso8601(util_unix_now(), now, sizeof(now));
	bind_media(st, m);
	sqlite3_bind_text(st, 15, now, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 16, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = register_sql_fail(db, cause, "enrol unregistered medium");
	sqlite3_finalize(st);
	if (rc == 0)
		rc = set_number(db, id, "M", cause);
	return rc;
}

/* Inside the enrolment's transaction: convert the unregistered row that
 * carries @m's identity, or insert a new row.  @id receives the row. */
static int enroll_row(struct register_db *db, const struct register_media *m, int64_t *id,
		      char **cause)
{
	struct register_media old;
	int rc = check_unique(db, m, cause);

	if (rc == 0)
		rc = find_same(db, m, " AND unregistered = 1", &old, cause);
	if (rc == -ENOENT)
		return insert_media(db, m, "M", id, cause);
	if (rc < 0)
		return rc;
	if (register_state_is_terminal(old.state))
		return refuse_existing(&old, cause);
	/* enrolment would put it back in stock */
	if (strcmp(old.state, "awaiting-destruction") == 0)
		return util_fail(cause, -EPERM, "lifecycle rule: cannot enrol %s: it was sanitized "
				 "for destruction (awaiting-destruction); destroy it as %s",
				 old.register_no, old.register_no);
	*id = old.id;
	return convert_unregistered(db, old.id, m, cause);
}

static int check_enroll_fields(const struct register_media *m, char **cause)
{
	enum policy_level l;
	enum policy_kind k;

	if (policy_level_parse(m->classification, &l) < 0)
		return util_fail(cause, -EINVAL, "unknown classification '%s'", m->classification);
	if (policy_kind_parse(m->media_type, &k) < 0)
		return util_fail(cause, -EINVAL, "unknown media type '%s'", m->media_type);
	return 0;
}

int register_enroll(struct register_db *db, const struct register_media *in,
		    struct register_media *out, char **cause)
{
	struct register_media m = *in;
	enum policy_level l;
	int64_t id = 0;
	int rc = check_enroll_fields(&m, cause);

	if (rc < 0)
		return rc;
	policy_level_parse(m.classification, &l);
	util_strlcpy(m.classification, policy_level_name(l), sizeof(m.classification));
	util_strlcpy(m.state, "in-stock", sizeof(m.state));
	m.unregistered = false;
	rc = begin(db, cause);
	if (rc < 0)
		return rc;
	rc = enroll_row(db, &m, &id, cause);
	if (rc == 0)
		rc = load(db, id, &m, cause);
	if (rc == 0)
		rc = append_event(db, id, "enrolled", enroll_details(&m), NULL, cause);
	if (rc == 0)
		rc = commit(db, cause);
	if (rc < 0) {
		rollback(db);
		return rc;
	}
	*out = m;
	return 0;
}

/*
 * The lifecycle: which states each action starts from and where it leads
 * (NULL: the state is kept or decided by the action).
 */
enum action { ACT_ISSUE, ACT_RETURN, ACT_REPAIR, ACT_RECLASSIFY, ACT_SANITIZE, ACT_DESTROY,
	      ACT_LOST };

struct action_rule {
	const char *verb;
	const char *from[6];
	const char *to;
	const char *kind;
};

static const struct action_rule rules[] = {
	[ACT_ISSUE] = { "issue", { "in-stock", "sanitized" }, "issued", "issued" },
	[ACT_RETURN] = { "return", { "issued", "in-repair", "lost" }, "in-stock", NULL },
	[ACT_REPAIR] = { "send for repair", { "in-stock", "issued", "sanitized" }, "in-repair",
			 "repair" },
	[ACT_RECLASSIFY] = { "reclassify",
			     { "in-stock", "issued", "in-repair", "sanitized", "scrapped",
			       "awaiting-destruction" }, NULL, "reclassified" },
	[ACT_SANITIZE] = { "record a sanitization of",
			   { "in-stock", "issued", "in-repair", "sanitized", "scrapped" },
			   NULL, "sanitized" },
	[ACT_DESTROY] = { "destroy", { "in-stock", "sanitized", "scrapped",
				       "awaiting-destruction" }, "destroyed", "destroyed" },
	[ACT_LOST] = { "record as lost",
		       { "in-stock", "issued", "in-repair", "sanitized", "scrapped",
			 "awaiting-destruction" }, "lost", "lost" },
};

static int check_lifecycle(enum action act, const struct register_media *m, char **cause)
{
	const struct action_rule *r = &rules[act];
	char allowed[128] = "";

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(r->from) && r->from[i]; i++) {
		if (strcmp(r->from[i], m->state) == 0)
			return 0;
		if (i)
			strncat(allowed, ", ", sizeof(allowed) - strlen(allowed) - 1);
		strncat(allowed, r->from[i], sizeof(allowed) - strlen(allowed) - 1);
	}
	return util_fail(cause, -EPERM, "lifecycle rule: cannot %s %s: it is %s (allowed from: %s)",
			 r->verb, m->register_no, m->state, allowed);
}

/* One change of a medium: the new values (NULL keeps) and its event. */
struct change {
	enum action act;
	json_t *details;		/* consumed */
	const char *state;
	const char *holder;
	const char *classification;
	const char *highest;
	const char *kind;
	const struct device_info *create_dev;	/* id <= 0: add an unregistered row */
	int64_t created_id;
};

static int update_media(struct register_db *db, int64_t id, const struct change *c,
			char **cause)
{
	sqlite3_stmt *st = NULL;
	char now[24];
	int rc = register_prepare(db, "UPDATE media SET state = COALESCE(?1, state),"
				  " holder = COALESCE(?2, holder),"
				  " classification = COALESCE(?3, classification),"
				  " highest_class = COALESCE(?4, highest_class),"
				  " updated_at = ?5 WHERE id = ?6", &st, cause);

	if (rc < 0)
		return rc;
	util_iso8601(util_unix_now(), now, sizeof(now));
	sqlite3_bind_text(st, 1, c->state, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, c->holder, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c->classification, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, c->highest, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = register_sql_fail(db, cause, "update medium");
	sqlite3_finalize(st);
	return rc;
}

static int add_unregistered(struct register_db *db, const struct device_info *dev,
			    int64_t *id, char **cause);

/* Callback deciding the change once the current row is known (inside the
 * transaction); may refuse with -EPERM. */
typedef int (*change_fn)(const struct register_media *m, struct change *c, const void *arg,
			 char **cause);

static int apply(struct register_db *db, int64_t id, struct change *c, change_fn fn,
		 const void *arg, char *hash, char **cause)
{
	struct register_media m;
	int rc = begin(db, cause);

	if (rc < 0)
		goto out;
	if (id <= 0 && c->create_dev) {
		rc = add_unregistered(db, c->create_dev, &id, cause);
		c->created_id = id;
	} else if (id <= 0) {
		rc = util_fail(cause, -EINVAL, "no medium given");
	}
	if (rc == 0)
		rc = load(db, id, &m, cause);
	if (rc == -ENOENT)
		util_fail(cause, rc, "register: no medium with id %lld", (long long)id);
	if (rc == 0 && c->create_dev)
		json_object_set_new(c->details, "medium", enroll_details(&m));
	if (rc == 0 && c->act != ACT_SANITIZE && c->act != ACT_LOST)
		rc = register_history_check(db, &m, cause);
	if (rc == 0 && c->act != ACT_SANITIZE && c->act != ACT_LOST)
		rc = register_check_integrity(&m, cause);
	if (rc == 0)
		rc = check_lifecycle(c->act, &m, cause);
	if (rc == 0 && fn)
		rc = fn(&m, c, arg, cause);
	if (rc == 0) {
		if (!c->state)
			c->state = rules[c->act].to;
		if (!c->kind)
			c->kind = rules[c->act].kind;
		rc = update_media(db, id, c, cause);
	}
	if (rc == 0) {
		rc = append_event(db, id, c->kind, c->details, hash, cause);
		c->details = NULL;
	}
	if (rc == 0)
		rc = commit(db, cause);
out:
	json_decref(c->details);
	if (rc < 0)
		rollback(db);
	return rc;
}

static json_t *details1(const char *key, const char *val)
{
	json_t *o = json_object();

	if (o && val && *val)
		json_object_set_new(o, key, json_string(val));
	return o;
}

int register_issue(struct register_db *db, int64_t id, const char *to, char **cause)
{
	struct change c = { .act = ACT_ISSUE, .details = details1("to", to), .holder = to };

	if (!to || !*to)
		return util_fail(cause, -EINVAL, "issue: the person to issue to is missing");
	return apply(db, id, &c, NULL, NULL, NULL, cause);
}

static int return_kind(const struct register_media *m, struct change *c, const void *arg,
		       char **cause)
{
	(void)arg;
	(void)cause;
	if (strcmp(m->state, "in-repair") == 0)
		c->kind = "repaired";
	else if (strcmp(m->state, "lost") == 0)
		c->kind = "found";
	else
		c->kind = "returned";
	if (m->holder[0])
		json_object_set_new(c->details, "from", json_string(m->holder));
	return 0;
}

int register_return(struct register_db *db, int64_t id, char **cause)
{
	struct change c = { .act = ACT_RETURN, .details = json_object(), .holder = "" };

	return apply(db, id, &c, return_kind, NULL, NULL, cause);
}

int register_repair(struct register_db *db, int64_t id, const char *vendor, char **cause)
{
	struct change c = { .act = ACT_REPAIR, .details = details1("to", vendor),
			    .holder = vendor };

	if (!vendor || !*vendor)
		return util_fail(cause, -EINVAL, "repair: the repairer is missing");
	return apply(db, id, &c, NULL, NULL, NULL, cause);
}

int register_lost(struct register_db *db, int64_t id, const char *note, char **cause)
{
	struct change c = { .act = ACT_LOST, .details = details1("note", note) };

	return apply(db, id, &c, NULL, NULL, NULL, cause);
}

struct reclass_arg {
	const struct policy *pol;
	enum policy_level to;
};

static int reclass_check(const struct register_media *m, struct change *c, const void *arg,
			 char **cause)
{
	const struct reclass_arg *a = arg;
	enum policy_level from, highest;
	int rc = register_media_levels(m, &from, &highest);

	if (rc < 0)
		return util_fail(cause, rc, "%s has no classification", m->register_no);
	rc = policy_check_reclassify(a->pol, from, a->to, cause);
	if (rc < 0)
		return rc;
	if (a->to == from)
		return util_fail(cause, -EALREADY, "%s is already %s", m->register_no,
				 policy_level_name(from));
	c->classification = policy_level_name(a->to);
	c->highest = policy_level_name(a->to > highest ? a->to : highest);
	json_object_set_new(c->details, "from", json_string(policy_level_name(from)));
	json_object_set_new(c->details, "to", json_string(c->classification));
	return 0;
}

int register_reclassify(struct register_db *db, const struct policy *pol, int64_t id,
			enum policy_level to, char **cause)
{
	struct reclass_arg a = { .pol = pol, .to = to };
	struct change c = { .act = ACT_RECLASSIFY, .details = json_object() };

	if ((unsigned)to >= POLICY_LEVEL_COUNT)
		return util_fail(cause, -EINVAL, "reclassify: bad level");
	return apply(db, id, &c, reclass_check, &a, NULL, cause);
}

static json_t *destroy_details(const struct register_destruction *d)
{
	json_t *o = json_object(), *w = json_array();

	if (!o || !w) {
		json_decref(o);
		json_decref(w);
		return NULL;
	}
	set_text(o, "method", d->method);
	set_text(o, "place", d->place);
	set_text(o, "note", d->note);
	for (size_t i = 0; i < d->n_witnesses; i++)
		json_array_append_new(w, json_string(d->witnesses[i]));
	json_object_set_new(o, "witnesses", w);
	return o;
}

int register_destroy(struct register_db *db, const struct policy *pol, int64_t id,
		     const struct register_destruction *d, char *hash, char **cause)
{
	struct change c = { .act = ACT_DESTROY, .holder = "" };
	int rc;

	if (!d->method || !*d->method || !d->place || !*d->place)
		return util_fail(cause, -EINVAL, "destroy: the method and the place are required");
	if (!register_destroy_method_find(d->method) ||
	    strcmp(register_destroy_method_find(d->method)->code, d->method) != 0) {
		char *all = register_destroy_methods_text();

		rc = util_fail(cause, -EINVAL, "destroy: unknown method '%s' (one of: %s)",
			       d->method, all ? all : "?");
		free(all);
		return rc;
	}
	rc = policy_check_destroy(pol, d->witnesses, d->n_witnesses, cause);
	if (rc < 0)
		return rc;
	c.details = destroy_details(d);
	return apply(db, id, &c, NULL, NULL, hash, cause);
}

int register_check_sanitize_state(const struct register_media *m, char **cause)
{
	int rc = register_check_integrity(m, cause);

	return rc < 0 ? rc : check_lifecycle(ACT_SANITIZE, m, cause);
}

int register_media_levels(const struct register_media *m, enum policy_level *level,
			  enum policy_level *highest)
{
	if (m->history_differs)
		return -EPERM;	/* the row's levels are not to be trusted */
	if (policy_level_parse(m->classification, level) < 0)
		return -EINVAL;
	if (policy_level_parse(m->highest_class, highest) < 0 || *highest < *level)
		*highest = *level;
	return 0;
}

int register_policy_check_sanitize(const struct policy *pol, const struct register_media *m,
				   enum policy_nist cat, enum policy_dest dest, char **cause)
{
	enum policy_level level, highest;
	enum policy_kind kind;

	if (m->history_differs)
		return register_check_integrity(m, cause);
	if (register_media_levels(m, &level, &highest) < 0)
		return util_fail(cause, -EINVAL, "%s has no classification", m->register_no);
	if (policy_kind_parse(m->media_type, &kind) < 0)
		kind = POLICY_KIND_OTHER;
	return policy_check_sanitize(pol, level, highest, kind, cat, dest, cause);
}

static json_t *sanitize_details(const struct register_sanitization *s, char **cause)
{
	json_t *o = json_object(), *res = NULL;
	json_error_t err;

	if (!o)
		return NULL;
	if (s->result_json && *s->result_json) {
		res = json_loads(s->result_json, 0, &err);
		if (!res) {
			util_fail(cause, -EINVAL, "sanitization result is not JSON: %s", err.text);
			json_decref(o);
			return NULL;
		}
		json_object_set_new(o, "result", res);
	}
	set_text(o, "certificate_id", s->certificate_id);
	set_text(o, "destination", s->destination);
	set_text(o, "nist_category", s->nist_category);
	set_text(o, "profile", s->profile);
	return o;
}

/* Did the job erase the medium?  Only the outcome "erased" counts: failed,
 * aborted and unverified jobs leave the medium in its state. */
static bool sanitization_erased(json_t *details)
{
	const char *outcome = json_string_value(json_object_get(json_object_get(details, "result"),
							       "outcome"));

	return outcome && strcmp(outcome, "erased") == 0;
}

const char *register_sanitized_state(const char *dest)
{
	if (dest && (strcmp(dest, "external-reuse") == 0 || strcmp(dest, "recycling") == 0 ||
		     strcmp(dest, "manufacturer") == 0))
		return "scrapped";
	/* the policy allowed it only because destruction follows: never back
	 * into service */
	if (dest && strcmp(dest, "destruction") == 0)
		return "awaiting-destruction";
	return "sanitized";
}

/* An unenrolled medium: a row flagged unregistered, inside the caller's
 * transaction. */
static int add_unregistered(struct register_db *db, const struct device_info *dev,
			    int64_t *id, char **cause)
{
	struct register_media m;

	if (!dev)
		return util_fail(cause, -EINVAL, "sanitization of an unenrolled medium needs "
				 "its device description");
	memset(&m, 0, sizeof(m));
	register_media_from_device(&m, dev);
	util_strlcpy(m.state, "in-stock", sizeof(m.state));
	util_strlcpy(m.source, "sanitize", sizeof(m.source));
	m.unregistered = true;
	return insert_media(db, &m, "U", id, cause);
}

int register_record_sanitization(struct register_db *db, int64_t media_id,
				 const struct device_info *dev,
				 const struct register_sanitization *s, int64_t *out_id,
				 char *hash, char **cause)
{
	struct change c = { .act = ACT_SANITIZE,
			    .state = register_sanitized_state(s->destination) };
	int rc = 0;

	if (s->destination && s->destination[0]) {
		enum policy_dest d;

		if (policy_dest_parse(s->destination, &d) < 0)
			return util_fail(cause, -EINVAL, "unknown destination '%s'",
					 s->destination);
	}
	c.details = sanitize_details(s, cause);
	if (!c.details)
		return cause && *cause ? -EINVAL : -ENOMEM;
	if (!sanitization_erased(c.details)) {
		/* Recorded, but the medium's state does not move: it was not erased. */
		c.state = NULL;
		c.kind = "not-erased";
	}
	c.create_dev = media_id <= 0 ? dev : NULL;
	if (media_id <= 0 && !dev) {
		json_decref(c.details);
		return util_fail(cause, -EINVAL, "sanitization of an unenrolled medium needs "
				 "its device description");
	}
	rc = apply(db, media_id, &c, NULL, NULL, hash, cause);
	if (rc == 0 && out_id)
		*out_id = media_id > 0 ? media_id : c.created_id;
	return rc;
}
