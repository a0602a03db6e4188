/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * register-store: the storage layer of the register: SQLite statements and
 * errors, rows to structs, the plain reads (one row, lists, histories), and
 * the ONE table of the media record's fields (register_media_fields) that
 * drives the column list, the row reader, the JSON of a medium and the
 * central register's schema, upsert and reader (register-pg.c).
 *
 * Layers: register-store.c (SQL) <- register-replay.c (states, replaying a
 * history) <- register-query.c (lookups with the history check, verify,
 * certificates) <- register.c (the lifecycle: enrolment, custody,
 * sanitization, destruction, on top of storage and policy).  The chain
 * (register-chain.c: event hash, signatures, head) sits beside the store.
 */
#include "register-private.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define FIELD(f, json, k) { #f, json, REGISTER_FIELD_##k, \
			    offsetof(struct register_media, f), \
			    sizeof(((struct register_media *)0)->f) }

/* In the order of REGISTER_MEDIA_COLS (checked by test-register). */
const struct register_field register_media_fields[] = {
	FIELD(id, "id", I64),
	FIELD(register_no, "register_no", TEXT),
	FIELD(asset_tag, "asset_tag", TEXT),
	FIELD(media_type, "media_type", TEXT),
	FIELD(vendor, "vendor", TEXT),
	FIELD(model, "model", TEXT),
	FIELD(serial, "serial", TEXT),
	FIELD(wwn, "wwn", TEXT),
	FIELD(backing_file, "backing_file", TEXT),
	FIELD(capacity_bytes, "capacity_bytes", U64),
	FIELD(classification, "classification", TEXT),
	FIELD(highest_class, "highest_classification", TEXT),
	FIELD(custodian, "custodian", TEXT),
	FIELD(department, "department", TEXT),
	FIELD(holder, "holder", TEXT),
	FIELD(state, "state", TEXT),
	FIELD(note, "note", TEXT),
	FIELD(source, "source", TEXT),
	FIELD(unregistered, "unregistered", BOOL),
	FIELD(created_at, "created_at", TEXT),
	FIELD(updated_at, "updated_at", TEXT),
};
_Static_assert(sizeof(register_media_fields) / sizeof(register_media_fields[0]) ==
	       REGISTER_N_MEDIA_FIELDS, "one entry per media column");

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


int register_query_one(struct register_db *db, const char *where, const char *a,
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
	rc = register_query_one(db, "id = CAST(?1 AS INTEGER)", key, NULL, false, out, cause);
	if (rc == -ENOENT)
		util_fail(cause, rc, _("register: no medium with id %lld"), (long long)id);
	return rc;
}
