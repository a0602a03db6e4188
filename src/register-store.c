/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * register-store: the storage layer of the register: SQLite statements and
 * errors, rows to structs, the plain reads (one row, lists, histories), and
 * the ONE table of the media record's fields (register_media_fields) that
 * drives the SQLite media table and the columns later schema versions add,
 * the column list, the row reader, the binding of an enrolment's insert and
 * in-place update, the check of free text, the identity an enrolment event
 * carries and the replay compares (register-replay.c), the JSON of a medium,
 * the CSV export's columns (register-export.c) and the central register's
 * schema, upsert and reader (register-pg.c).  A new field is one line here
 * (and a schema version when existing registers need the column).
 *
 * Also the media rows' reads and writes: lookups by identity, the insert,
 * the enrolment in place, numbering, the custody update, lists, histories.
 *
 * Layers: storage (this file and register-sql.c: the connection, schema,
 * transactions, events, certificates) <- register-replay.c (states,
 * replaying a history) <- register-query.c (lookups with the history check,
 * verify) <- register.c (the lifecycle: enrolment, custody, sanitization,
 * destruction, on top of storage and policy).  The chain (register-chain.c:
 * event hash, signatures, head) sits beside the store.
 */
#include "register-private.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define FIELD(f, json_key, k, fl, decl_, since_, label_, csv_, head_)			\
	{ .name = #f, .json = json_key, .kind = REGISTER_FIELD_##k,			\
	  .off = offsetof(struct register_media, f),					\
	  .size = sizeof(((struct register_media *)0)->f), .flags = fl, .decl = decl_,	\
	  .since = since_, .label = label_, .csv = csv_, .csv_head = head_ }
#define ASSIGNED REGISTER_FIELD_ASSIGNED
#define NULL_EMPTY REGISTER_FIELD_NULL_EMPTY
#define DEVICE REGISTER_FIELD_DEVICE
#define CUSTODY REGISTER_FIELD_CUSTODY
#define IDENTITY REGISTER_FIELD_IDENTITY
#define REPLAYED REGISTER_FIELD_REPLAYED
#define TEXT_DEFAULT "TEXT NOT NULL DEFAULT ''"

/*
 * The media record: one line a field, in the order of REGISTER_MEDIA_COLS
 * (checked by test-register) and of the columns of a new register.  The
 * columns: name, JSON key, kind, flags, SQLite declaration, schema version
 * that added it, label of free text, CSV column (the media-register form's
 * order, standards.md §6.1, then custos' own; register-export.c adds the
 * form's columns that are no field of their own) and its header.
 */
const struct register_field register_media_fields[] = {
	FIELD(id, "id", I64, ASSIGNED, "INTEGER PRIMARY KEY", 1, NULL, 0, NULL),
	FIELD(register_no, "register_no", TEXT, ASSIGNED | NULL_EMPTY | IDENTITY, "TEXT UNIQUE",
	      1, NULL, 2, "编号 Register No."),
	FIELD(asset_tag, "asset_tag", TEXT, NULL_EMPTY | IDENTITY, "TEXT UNIQUE", 1, "asset tag",
	      16, "资产标签 Asset tag"),
	FIELD(media_type, "media_type", TEXT, IDENTITY, "TEXT NOT NULL", 1, NULL,
	      1, "介质类型 Media type"),
	FIELD(vendor, "vendor", TEXT, DEVICE | IDENTITY, TEXT_DEFAULT, 1, "vendor", 0, NULL),
	FIELD(model, "model", TEXT, DEVICE | IDENTITY, TEXT_DEFAULT, 1, "model", 0, NULL),
	FIELD(serial, "serial", TEXT, DEVICE | IDENTITY, TEXT_DEFAULT, 1, "serial",
	      8, "硬件序列号 Hardware serial"),
	FIELD(wwn, "wwn", TEXT, DEVICE | IDENTITY, TEXT_DEFAULT, 2, "WWN", 19, "WWN"),
	FIELD(backing_file, "backing_file", TEXT, DEVICE | IDENTITY, TEXT_DEFAULT, 2,
	      "backing file", 0, NULL),
	FIELD(capacity_bytes, "capacity_bytes", U64, DEVICE | IDENTITY,
	      "INTEGER NOT NULL DEFAULT 0", 1, NULL, 20, "容量(字节) Capacity (bytes)"),
	FIELD(classification, "classification", TEXT, REPLAYED, TEXT_DEFAULT, 1, NULL,
	      17, "密级(英文) Classification (en)"),
	FIELD(highest_class, "highest_classification", TEXT, REPLAYED, TEXT_DEFAULT, 2, NULL,
	      18, "最高密级 Highest classification"),
	FIELD(custodian, "custodian", TEXT, IDENTITY, TEXT_DEFAULT, 1, "custodian",
	      4, "责任人 Custodian"),
	FIELD(department, "department", TEXT, IDENTITY, TEXT_DEFAULT, 1, "department",
	      3, "使用处室 Department"),
	FIELD(holder, "holder", TEXT, CUSTODY | REPLAYED, TEXT_DEFAULT, 2, "holder",
	      22, "持有人 Holder"),
	FIELD(state, "state", TEXT, REPLAYED, "TEXT NOT NULL", 1, NULL, 21, "状态 State"),
	FIELD(note, "note", TEXT, IDENTITY, TEXT_DEFAULT, 1, "note", 15, "备注 Note"),
	FIELD(source, "source", TEXT, IDENTITY, "TEXT NOT NULL DEFAULT 'manual'", 2, NULL, 0, NULL),
	FIELD(unregistered, "unregistered", BOOL, REPLAYED, "INTEGER NOT NULL DEFAULT 0", 2, NULL,
	      23, "未登记 Unregistered"),
	FIELD(created_at, "created_at", TEXT, 0, "TEXT NOT NULL", 1, NULL, 0, NULL),
	FIELD(updated_at, "updated_at", TEXT, 0, "TEXT NOT NULL", 1, NULL, 0, NULL),
	/* received from the central register: set by register_receive() only,
	 * replayed from the "received" event's details.from */
	FIELD(origin_station, "origin_station", TEXT, ASSIGNED | REPLAYED, TEXT_DEFAULT, 5, NULL,
	      0, NULL),
	FIELD(origin_id, "origin_id", I64, ASSIGNED | REPLAYED, "INTEGER NOT NULL DEFAULT 0", 5,
	      NULL, 0, NULL),
	FIELD(origin_register_no, "origin_register_no", TEXT, ASSIGNED | REPLAYED, TEXT_DEFAULT, 5,
	      NULL, 0, NULL),
};
_Static_assert(sizeof(register_media_fields) / sizeof(register_media_fields[0]) ==
	       REGISTER_N_MEDIA_FIELDS, "one entry per media column");

size_t register_media_field_index(const char *name)
{
	for (size_t i = 0; i < REGISTER_N_MEDIA_FIELDS; i++)
		if (strcmp(register_media_fields[i].name, name) == 0)
			return i;
	return REGISTER_N_MEDIA_FIELDS;
}

const char *register_field_text(const struct register_media *m, const struct register_field *f,
				char *buf, size_t size)
{
	const char *p = (const char *)m + f->off;

	switch (f->kind) {
	case REGISTER_FIELD_I64:
		snprintf(buf, size, "%lld", (long long)*(const int64_t *)p);
		return buf;
	case REGISTER_FIELD_U64:
		snprintf(buf, size, "%llu", (unsigned long long)*(const uint64_t *)p);
		return buf;
	case REGISTER_FIELD_BOOL:
		return *(const bool *)p ? "1" : "0";
	default:
		return p;
	}
}

int register_field_bind(sqlite3_stmt *st, int idx, const struct register_media *m,
			const struct register_field *f)
{
	const char *p = (const char *)m + f->off;

	switch (f->kind) {
	case REGISTER_FIELD_I64:
		return sqlite3_bind_int64(st, idx, *(const int64_t *)p);
	case REGISTER_FIELD_U64:
		return sqlite3_bind_int64(st, idx, (sqlite3_int64)*(const uint64_t *)p);
	case REGISTER_FIELD_BOOL:
		return sqlite3_bind_int(st, idx, *(const bool *)p);
	default:
		if (!*p && (f->flags & REGISTER_FIELD_NULL_EMPTY))
			return sqlite3_bind_null(st, idx);
		return sqlite3_bind_text(st, idx, p, -1, SQLITE_TRANSIENT);
	}
}

int register_media_text_check(const struct register_media *m, char **cause)
{
	int rc = 0;

	for (size_t i = 0; i < REGISTER_N_MEDIA_FIELDS && rc == 0; i++) {
		const struct register_field *f = &register_media_fields[i];

		if (f->label)
			rc = util_text_check(f->label, (const char *)m + f->off, cause);
	}
	return rc;
}

void register_media_identity_json(const struct register_media *m, json_t *o)
{
	char buf[24];

	for (size_t i = 0; i < REGISTER_N_MEDIA_FIELDS; i++) {
		const struct register_field *f = &register_media_fields[i];
		const char *v = register_field_text(m, f, buf, sizeof(buf));

		if (!(f->flags & REGISTER_FIELD_IDENTITY))
			continue;
		if (f->kind != REGISTER_FIELD_TEXT)
			json_object_set_new(o, f->name, json_integer(strtoll(v, NULL, 10)));
		else if (*v)
			json_object_set_new(o, f->name, json_string(v));
	}
}

/* Append @fmt's text to the malloc'd *@s (NULL stays NULL: out of memory). */
static void append(char **s, const char *fmt, ...) UTIL_PRINTF(2, 3);
static void append(char **s, const char *fmt, ...)
{
	va_list ap;
	char *t, *n = NULL;

	va_start(ap, fmt);
	t = *s ? util_vasprintf(fmt, ap) : NULL;
	va_end(ap);
	if (t)
		n = util_asprintf("%s%s", *s, t);
	free(t);
	free(*s);
	*s = n;
}

/* Whether the media table has column @name already (a register whose
 * version number was set back by hand keeps the columns it has). */
static bool has_column(struct register_db *db, const char *name)
{
	sqlite3_stmt *st = NULL;
	bool has = false;

	if (sqlite3_prepare_v2(db->db, "SELECT 1 FROM pragma_table_info('media') WHERE name = ?1",
			       -1, &st, NULL) != SQLITE_OK)
		return false;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	has = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return has;
}

int register_store_media_columns(struct register_db *db, int from, char **cause)
{
	char *sql = strdup(from == 0 ? "CREATE TABLE media (" : "");
	int rc, n = 0;

	for (size_t i = 0; i < REGISTER_N_MEDIA_FIELDS; i++) {
		const struct register_field *f = &register_media_fields[i];

		if (from == 0)
			append(&sql, "%s %s %s", n++ ? "," : "", f->name, f->decl);
		else if (f->since > from && !has_column(db, f->name))
			append(&sql, "ALTER TABLE media ADD COLUMN %s %s;", f->name, f->decl);
	}
	if (from == 0)
		append(&sql, ");");
	if (!sql)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	rc = *sql ? register_exec(db, sql, cause) : 0;
	free(sql);
	return rc;
}

/* Prepare @sql (malloc'd, freed; NULL: out of memory). */
static int prepare_built(struct register_db *db, char *sql, sqlite3_stmt **st, char **cause)
{
	int rc;

	if (!sql)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	rc = register_prepare(db, sql, st, cause);
	free(sql);
	return rc;
}

/* Step @st once to its end and finalize it. */
static int step_done(struct register_db *db, sqlite3_stmt *st, const char *what, char **cause)
{
	int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : register_sql_fail(db, cause, what);

	sqlite3_finalize(st);
	return rc;
}

int register_store_insert_media(struct register_db *db, const struct register_media *row,
				int64_t *id, char **cause)
{
	char *cols = strdup(""), *vals = strdup("");
	sqlite3_stmt *st = NULL;
	int rc, n = 0;

	for (size_t i = 0; i < REGISTER_N_MEDIA_FIELDS; i++) {
		if (register_media_fields[i].flags & REGISTER_FIELD_ASSIGNED)
			continue;
		append(&cols, "%s%s", n ? ", " : "", register_media_fields[i].name);
		append(&vals, "%s?%d", n ? ", " : "", n + 1);
		n++;
	}
	rc = prepare_built(db, cols && vals ? util_asprintf("INSERT INTO media(%s) VALUES (%s)",
							     cols, vals) : NULL, &st, cause);
	free(cols);
	free(vals);
	if (rc < 0)
		return rc;
	n = 0;
	for (size_t i = 0; i < REGISTER_N_MEDIA_FIELDS; i++)
		if (!(register_media_fields[i].flags & REGISTER_FIELD_ASSIGNED))
			register_field_bind(st, ++n, row, &register_media_fields[i]);
	rc = step_done(db, st, "add medium", cause);
	if (rc == 0)
		*id = sqlite3_last_insert_rowid(db->db);
	return rc;
}

int register_store_enrol_in_place(struct register_db *db, int64_t id,
				  const struct register_media *row, char **cause)
{
	char *set = strdup("");
	sqlite3_stmt *st = NULL;
	int rc, n = 0;

	for (size_t i = 0; i < REGISTER_N_MEDIA_FIELDS; i++) {
		const struct register_field *f = &register_media_fields[i];
		const char *c = f->name, *sep = n ? ", " : "";

		if (f->flags & (REGISTER_FIELD_ASSIGNED | REGISTER_FIELD_CUSTODY))
			continue;
		n++;
		if (!(f->flags & REGISTER_FIELD_DEVICE))
			append(&set, "%s%s = ?%d", sep, c, n);
		else if (f->kind == REGISTER_FIELD_TEXT)
			append(&set, "%s%s = COALESCE(NULLIF(?%d, ''), %s)", sep, c, n, c);
		else
			append(&set, "%s%s = CASE WHEN ?%d > 0 THEN ?%d ELSE %s END", sep, c, n, n,
			       c);
	}
	rc = prepare_built(db, set ? util_asprintf("UPDATE media SET %s WHERE id = ?%d AND"
						   " unregistered = 1", set, n + 1) : NULL,
			   &st, cause);
	free(set);
	if (rc < 0)
		return rc;
	n = 0;
	for (size_t i = 0; i < REGISTER_N_MEDIA_FIELDS; i++)
		if (!(register_media_fields[i].flags &
		      (REGISTER_FIELD_ASSIGNED | REGISTER_FIELD_CUSTODY)))
			register_field_bind(st, ++n, row, &register_media_fields[i]);
	sqlite3_bind_int64(st, n + 1, id);
	return step_done(db, st, "enrol unregistered medium", cause);
}

int register_sql_fail(struct register_db *db, char **cause, const char *what)
{
	int code = sqlite3_errcode(db->db) & 0xff;
	int err = code == SQLITE_BUSY || code == SQLITE_LOCKED ? -EBUSY : -EIO;

	return util_fail(cause, err, _("register: %s: %s"), what, sqlite3_errmsg(db->db));
}


int register_prepare(struct register_db *db, const char *sql, sqlite3_stmt **st, char **cause)
{
	if (sqlite3_prepare_v2(db->db, sql, -1, st, NULL) != SQLITE_OK)
		return register_sql_fail(db, cause, "prepare");
	return 0;
}


bool register_state_is_terminal(const char *state)
{
	return strcmp(state, "destroyed") == 0 || strcmp(state, "lost") == 0;
}


void register_col_text(sqlite3_stmt *st, int col, char *dst, size_t size)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	util_strlcpy(dst, t ? (const char *)t : "", size);
}


int register_bind_opt(sqlite3_stmt *st, int idx, const char *s)
{
	if (!s || !*s)
		return sqlite3_bind_null(st, idx);
	return sqlite3_bind_text(st, idx, s, -1, SQLITE_TRANSIENT);
}


void register_row_to_media(sqlite3_stmt *st, struct register_media *m)
{
	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < REGISTER_N_MEDIA_FIELDS; i++) {
		const struct register_field *f = &register_media_fields[i];
		char *p = (char *)m + f->off;

		switch (f->kind) {
		case REGISTER_FIELD_I64:
			*(int64_t *)p = sqlite3_column_int64(st, (int)i);
			break;
		case REGISTER_FIELD_U64:
			*(uint64_t *)p = (uint64_t)sqlite3_column_int64(st, (int)i);
			break;
		case REGISTER_FIELD_BOOL:
			*(bool *)p = sqlite3_column_int(st, (int)i) != 0;
			break;
		default:
			register_col_text(st, (int)i, p, f->size);
		}
	}
}


int register_row_to_event(sqlite3_stmt *st, struct register_event *ev)
{
	const unsigned char *d = sqlite3_column_text(st, 7);

	memset(ev, 0, sizeof(*ev));
	ev->id = sqlite3_column_int64(st, 0);
	ev->media_id = sqlite3_column_int64(st, 1);
	ev->seq = sqlite3_column_int64(st, 2);
	register_col_text(st, 3, ev->at, sizeof(ev->at));
	register_col_text(st, 4, ev->kind, sizeof(ev->kind));
	register_col_text(st, 5, ev->operator_name, sizeof(ev->operator_name));
	register_col_text(st, 6, ev->station, sizeof(ev->station));
	ev->details = strdup(d ? (const char *)d : "");
	register_col_text(st, 8, ev->prev_hash, sizeof(ev->prev_hash));
	register_col_text(st, 9, ev->hash, sizeof(ev->hash));
	return ev->details ? 0 : -ENOMEM;
}


/* Run one SELECT of media (REGISTER_MEDIA_COLS) with up to two text
 * parameters; first row into @out.  0, -ENOENT, or -EEXIST when
 * @unique and a second row as much in service as the first exists. */
static int query_one(struct register_db *db, const char *where, const char *a,
		     const char *b, bool unique, struct register_media *out, char **cause)
{
	struct register_media second;
	sqlite3_stmt *st = NULL;
	char *sql = util_asprintf("SELECT " REGISTER_MEDIA_COLS " FROM media WHERE %s ORDER BY"
				  " state IN ('destroyed', 'lost'), id DESC LIMIT 2", where);
	int rc;

	if (!sql)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	rc = register_prepare(db, sql, &st, cause);
	free(sql);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, a ? a : "", -1, SQLITE_TRANSIENT);
	if (sqlite3_bind_parameter_count(st) >= 2)
		sqlite3_bind_text(st, 2, b ? b : "", -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		register_row_to_media(st, out);
		rc = 0;
		if (unique && sqlite3_step(st) == SQLITE_ROW) {
			register_row_to_media(st, &second);
			if (register_state_is_terminal(second.state) ==
			    register_state_is_terminal(out->state))
				rc = util_fail(cause, -EEXIST, _("'%s' matches several media (%s, "
					       "%s): use the register number"), a,
					       out->register_no, second.register_no);
		}
	} else {
		rc = rc == SQLITE_DONE ? -ENOENT : register_sql_fail(db, cause, "query");
	}
	sqlite3_finalize(st);
	return rc;
}



/* Lookups by identity (the lifecycle's and the queries' rules) */

int register_store_find_ref(struct register_db *db, const char *ref, struct register_media *out,
			    char **cause)
{
	static const char *const keys[] = {
		"register_no = ?1 COLLATE NOCASE",
		"asset_tag = ?1",
		"serial = ?1 AND serial != ''",
		"wwn = ?1 COLLATE NOCASE AND wwn != ''",
	};
	int rc = -ENOENT;

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(keys) && rc == -ENOENT; i++)
		rc = query_one(db, keys[i], ref, NULL, i >= 2, out, cause);
	return rc;
}

/* A row received from the central register, by its origin there. */
int register_store_find_origin(struct register_db *db, const char *station, int64_t origin_id,
			       struct register_media *out, char **cause)
{
	char key[24];

	if (!station || !*station || origin_id <= 0)
		return -ENOENT;
	snprintf(key, sizeof(key), "%lld", (long long)origin_id);
	return query_one(db, "origin_station = ?1 AND origin_id = CAST(?2 AS INTEGER)", station,
			 key, false, out, cause);
}

int register_store_find_origin_ref(struct register_db *db, const char *station,
				   const char *ref, struct register_media *out, char **cause)
{
	int rc = query_one(db, "origin_register_no = ?1 COLLATE NOCASE AND origin_register_no !="
			   " '' AND (?2 = '' OR origin_station = ?2)", ref, station, true, out,
			   NULL);

	if (rc == -EEXIST)
		return util_fail(cause, rc, _("'%s' names several media received from other "
				 "stations: name it STATION:%s"), ref, ref);
	if (rc < 0 && rc != -ENOENT)
		return register_sql_fail(db, cause, "query");
	return rc;
}

int register_store_set_origin(struct register_db *db, int64_t id, const char *station,
			      int64_t origin_id, const char *register_no, char **cause)
{
	sqlite3_stmt *st = NULL;
	int rc = register_prepare(db, "UPDATE media SET origin_station = ?1, origin_id = ?2,"
				  " origin_register_no = ?3 WHERE id = ?4", &st, cause);

	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, station, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, origin_id);
	sqlite3_bind_text(st, 3, register_no, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 4, id);
	return step_done(db, st, "record the origin of a received medium", cause);
}

/* A virtual medium's serial number is its image's own attribute
 * (user.custos.serial): it names only virtual media, and a drive's serial
 * never a virtual medium, so an image cannot take a stick's record. */
static const char *same_kind(const struct register_media *m)
{
	return strcmp(m->media_type, "virtual") == 0 ? " AND media_type = 'virtual'" :
	       " AND media_type != 'virtual'";
}

int register_store_find_device(struct register_db *db, const struct register_media *id,
			       struct register_media *out, char **cause)
{
	char where[192];
	int rc = -ENOENT;

	if (id->wwn[0]) {
		snprintf(where, sizeof(where), "wwn = ?1 COLLATE NOCASE%s", same_kind(id));
		rc = query_one(db, where, id->wwn, NULL, false, out, cause);
	}
	if (rc == -ENOENT && id->serial[0]) {
		snprintf(where, sizeof(where), "serial = ?1 AND (model = ?2 OR model = '' OR "
			 "?2 = '')%s", same_kind(id));
		rc = query_one(db, where, id->serial, id->model, false, out, cause);
	}
	if (rc == -ENOENT && id->backing_file[0])
		rc = query_one(db, "backing_file = ?1", id->backing_file, NULL, false, out,
			       cause);
	return rc;
}

int register_store_find_same(struct register_db *db, const struct register_media *m,
			     bool unregistered, struct register_media *old, char **cause)
{
	const char *filter = unregistered ? " AND unregistered = 1" : " AND unregistered = 0";
	char where[192];
	int rc = -ENOENT;

	if (m->asset_tag[0]) {
		snprintf(where, sizeof(where), "asset_tag = ?1%s", filter);
		rc = query_one(db, where, m->asset_tag, NULL, false, old, cause);
	}
	if (rc == -ENOENT && m->wwn[0]) {
		snprintf(where, sizeof(where), "wwn = ?1 AND state != 'destroyed'%s%s", filter,
			 same_kind(m));
		rc = query_one(db, where, m->wwn, NULL, false, old, cause);
	}
	if (rc == -ENOENT && m->serial[0]) {
		snprintf(where, sizeof(where), "serial = ?1 AND (model = ?2 OR model = '' OR "
			 "?2 = '') AND state != 'destroyed'%s%s", filter, same_kind(m));
		rc = query_one(db, where, m->serial, m->model, false, old, cause);
	}
	if (rc == -ENOENT && m->backing_file[0]) {
		snprintf(where, sizeof(where), "backing_file = ?1 AND state != 'destroyed'%s",
			 filter);
		rc = query_one(db, where, m->backing_file, NULL, false, old, cause);
	}
	return rc;
}

int register_store_update_media(struct register_db *db, int64_t id, const char *state,
				const char *holder, const char *classification,
				const char *highest, char **cause)
{
	sqlite3_stmt *st = NULL;
	char now[24];
	int rc = register_cached(db, "UPDATE media SET state = COALESCE(?1, state),"
				 " holder = COALESCE(?2, holder),"
				 " classification = COALESCE(?3, classification),"
				 " highest_class = COALESCE(?4, highest_class),"
				 " updated_at = ?5 WHERE id = ?6", &st, cause);

	if (rc < 0)
		return rc;
	util_iso8601(util_unix_now(), now, sizeof(now));
	sqlite3_bind_text(st, 1, state, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, holder, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, classification, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, highest, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 5, now, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 6, id);
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = register_sql_fail(db, cause, "update medium");
	register_release(st);
	return rc;
}

/* Grow *@arr of @size-byte items to hold @n + 1. */
static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
	void *p;
	size_t ncap;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	p = realloc(*arr, ncap * size);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = ncap;
	return 0;
}


/* Step @st to its end, each row converted by @row into a growing array of
 * @size-byte items at *@arr (*@cnt of them, also on failure: the caller
 * frees them), then finalize it.  @what names the query in an error. */
int register_collect(struct register_db *db, sqlite3_stmt *st, int (*row)(sqlite3_stmt *, void *),
		   size_t size, const char *what, void **arr, size_t *cnt, char **cause)
{
	size_t cap = 0;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (grow(arr, &cap, *cnt, size) < 0 ||
		    row(st, (char *)*arr + (*cnt)++ * size) < 0) {
			rc = util_fail(cause, -ENOMEM, _("out of memory"));
			goto out;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : register_sql_fail(db, cause, what);
out:
	sqlite3_finalize(st);
	return rc;
}


static int media_row(sqlite3_stmt *st, void *m)
{
	register_row_to_media(st, m);
	return 0;
}


int register_list(struct register_db *db, const char *classification, const char *state,
		  struct register_media **out, size_t *n, char **cause)
{
	void *arr = NULL;
	size_t cnt = 0;
	sqlite3_stmt *st = NULL;
	int rc = register_prepare(db, "SELECT " REGISTER_MEDIA_COLS " FROM media WHERE"
				  " (?1 IS NULL OR classification = ?1) AND"
				  " (?2 IS NULL OR state = ?2) ORDER BY id", &st, cause);

	if (rc < 0)
		return rc;
	register_bind_opt(st, 1, classification);
	register_bind_opt(st, 2, state);
	rc = register_collect(db, st, media_row, sizeof(**out), "list", &arr, &cnt, cause);
	if (rc < 0) {
		free(arr);
		return rc;
	}
	*out = arr;
	*n = cnt;
	return 0;
}


static int event_row(sqlite3_stmt *st, void *ev)
{
	return register_row_to_event(st, ev);
}


int register_history(struct register_db *db, int64_t media_id, struct register_event **out,
		     size_t *n, char **cause)
{
	void *arr = NULL;
	size_t cnt = 0;
	sqlite3_stmt *st = NULL;
	int rc = register_prepare(db, "SELECT " REGISTER_EVENT_COLS " FROM events WHERE"
				  " ?1 <= 0 OR media_id = ?1 ORDER BY seq", &st, cause);

	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, media_id);
	rc = register_collect(db, st, event_row, sizeof(**out), "history", &arr, &cnt, cause);
	if (rc < 0) {
		register_events_free(arr, cnt);
		return rc;
	}
	*out = arr;
	*n = cnt;
	return 0;
}


void register_events_free(struct register_event *ev, size_t n)
{
	for (size_t i = 0; ev && i < n; i++)
		free(ev[i].details);
	free(ev);
}

int register_store_get(struct register_db *db, int64_t id, struct register_media *out,
		       char **cause)
{
	char key[24];
	int rc;

	snprintf(key, sizeof(key), "%lld", (long long)id);
	rc = query_one(db, "id = CAST(?1 AS INTEGER)", key, NULL, false, out, cause);
	if (rc == -ENOENT)
		util_fail(cause, rc, _("register: no medium with id %lld"), (long long)id);
	return rc;
}

/* The next register number of the @prefix ("M" or "U") sequence: one above
 * the highest handed out so far.  Enrolled and unregistered media have a
 * sequence each, so neither list has gaps the other explains.  (Registers
 * from before schema version 4 shared one sequence: their numbers stay.) */
static int next_number(struct register_db *db, const char *prefix, int64_t *no, char **cause)
{
	sqlite3_stmt *st = NULL;
	int rc = register_prepare(db, "SELECT COALESCE(MAX(CAST(substr(register_no, 3) AS"
				  " INTEGER)), 0) FROM media WHERE substr(register_no, 1, 2) = ?1",
				  &st, cause);
	char p[4];

	if (rc < 0)
		return rc;
	snprintf(p, sizeof(p), "%s-", prefix);
	sqlite3_bind_text(st, 1, p, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) == SQLITE_ROW)
		*no = sqlite3_column_int64(st, 0) + 1;
	else
		rc = register_sql_fail(db, cause, "number medium");
	sqlite3_finalize(st);
	return rc;
}

int register_store_number(struct register_db *db, int64_t id, const char *prefix, char **cause)
{
	sqlite3_stmt *st = NULL;
	char no[32];
	int64_t n = 0;
	int rc = next_number(db, prefix, &n, cause);

	if (rc < 0)
		return rc;
	snprintf(no, sizeof(no), "%s-%06lld", prefix, (long long)n);
	rc = register_prepare(db, "UPDATE media SET register_no = ?1 WHERE id = ?2", &st, cause);
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, no, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	return step_done(db, st, "number medium", cause);
}

int register_next_cert_seq(struct register_db *db, const char *prefix, int year,
			   uint64_t *seq, char **cause)
{
	sqlite3_stmt *st = NULL;
	char like[96];
	int rc = register_prepare(db, "SELECT COALESCE(MAX(CAST(substr(id, ?2) AS INTEGER)), 0)"
				  " FROM certificates WHERE substr(id, 1, ?2 - 1) = ?1", &st, cause);

	if (rc < 0)
		return rc;
	snprintf(like, sizeof(like), "%s-%04d-", prefix, year);
	sqlite3_bind_text(st, 1, like, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 2, (int)strlen(like) + 1);
	if (sqlite3_step(st) == SQLITE_ROW)
		*seq = (uint64_t)sqlite3_column_int64(st, 0) + 1;
	else
		rc = register_sql_fail(db, cause, "next certificate number");
	sqlite3_finalize(st);
	return rc;
}
