/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * register: reading the register: lookups and recognition, lists and
 * histories, certificates, chain verification, backup and export.
 */
#include "register-private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "register-central.h"
#include "util.h"

static int central_lookup(struct register_db *db, const char *ref,
			  const struct device_info *dev, struct register_media *out, char **cause);

int register_find_ref(struct register_db *db, const char *ref, struct register_media *out,
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
		rc = register_query_one(db, keys[i], ref, NULL, i >= 2, out, cause);
	if (rc == -ENOENT && db->central)
		return central_lookup(db, ref, NULL, out, cause);
	if (rc == -ENOENT)
		util_fail(cause, rc, _("'%s' is not in the register (register number, asset tag, "
			  "serial or device path)"), ref);
	if (rc == 0)
		rc = register_history_check(db, out, cause);
	return rc;
}

/* Not in this station's register: the central one knows it when another
 * station enrolled it (id 0: not in the local register; its real
 * classification and state).  Unreachable: refused, since the medium may
 * well be classified (custos-register(5)).  By @ref, else by @dev. */
static int central_lookup(struct register_db *db, const char *ref,
			  const struct device_info *dev, struct register_media *out, char **cause)
{
	const char *what = ref ? ref : dev->path;
	char station[128], *why = NULL;
	int rc;

	/* one failed connection costs up to its timeout: the station screen
	 * looks up every device, so wait a minute before trying again */
	if (util_unix_now() < db->central_down_until)
		return util_fail(cause, -EHOSTUNREACH, _("%s is not in this station's register and "
				 "the central register was unreachable a moment ago"), what);
	rc = ref ? register_central_lookup_ref(db->central, ref, out, station, &why) :
	     register_central_lookup(db->central, dev, out, station, &why);
	if (rc == -EHOSTUNREACH)
		db->central_down_until = util_unix_now() + 60;

	if ((rc == -ENOENT || rc == -ENOTSUP) && ref) {
		free(why);
		return util_fail(cause, -ENOENT, _("'%s' is not in the register (register number, "
				 "asset tag, serial or device path)"), ref);
	}
	if (rc == -ENOENT || rc == -ENOTSUP) {
		free(why);
		return util_fail(cause, -ENOENT, _("%s is not in the register"), what);
	}
	if (rc == -EEXIST) {
		util_fail(cause, rc, "%s", why ? why : "ambiguous");
		free(why);
		return rc;
	}
	if (rc < 0) {
		util_fail(cause, rc, _("%s is not in this station's register and the central "
			  "register cannot say whether another station enrolled it: %s"), what,
			  why ? why : strerror(-rc));
		free(why);
		return rc;
	}
	free(why);
	out->history_differs = false;
	snprintf(out->history_note, sizeof(out->history_note), "enrolled at station %s",
		 station);
	return 0;
}

int register_find_by_device(struct register_db *db, const struct device_info *dev,
			    struct register_media *out, char **cause)
{
	struct register_media id;	/* the identity as the register stores it */
	int rc = -ENOENT;

	memset(&id, 0, sizeof(id));
	register_media_from_device(&id, dev);
	if (id.wwn[0])
		rc = register_query_one(db, "wwn = ?1 COLLATE NOCASE", id.wwn, NULL, false,
					out, cause);
	if (rc == -ENOENT && id.serial[0])
		rc = register_query_one(db, "serial = ?1 AND (model = ?2 OR model = '' OR "
					"?2 = '')", id.serial, id.model, false, out, cause);
	if (rc == -ENOENT && id.backing_file[0])
		rc = register_query_one(db, "backing_file = ?1", id.backing_file, NULL, false,
					out, cause);
	if (rc == 0)
		return register_history_check(db, out, cause);
	if (rc == -ENOENT && db->central)
		return central_lookup(db, NULL, dev, out, cause);
	if (rc == -ENOENT)
		util_fail(cause, rc, _("%s is not in the register"), dev->path);
	return rc;
}

void register_media_from_device(struct register_media *m, const struct device_info *dev)
{
	/* the same kind the certificate, the firmware layer and the policy use */
	util_strlcpy(m->media_type, device_media_kind(dev), sizeof(m->media_type));
	/* Strings from hardware (and file names) enter the register as valid
	 * UTF-8 without control characters: anything else becomes '?'. */
	util_text_safe(dev->vendor, false, m->vendor, sizeof(m->vendor));
	util_text_safe(dev->model, false, m->model, sizeof(m->model));
	util_text_safe(dev->serial, false, m->serial, sizeof(m->serial));
	util_text_safe(dev->wwn, false, m->wwn, sizeof(m->wwn));
	if (dev->transport == DEVICE_TRANSPORT_VIRTUAL || dev->transport == DEVICE_TRANSPORT_FILE)
		util_text_safe(dev->backing_file, false, m->backing_file,
			       sizeof(m->backing_file));
	m->capacity_bytes = dev->size_bytes;
	util_strlcpy(m->source, "device", sizeof(m->source));
}

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

static void broken(struct register_verify_result *r, const struct register_event *ev,
		   const char *what, const char *expected, const char *found)
{
	r->ok = false;
	r->event_id = ev ? ev->id : 0;
	r->seq = ev ? ev->seq : 0;
	util_strlcpy(r->what, what, sizeof(r->what));
	util_strlcpy(r->expected, expected, sizeof(r->expected));
	util_strlcpy(r->found, found, sizeof(r->found));
	if (ev)
		snprintf(r->message, sizeof(r->message), "event id %lld (seq %lld): %s: expected "
			 "%s, found %s", (long long)ev->id, (long long)ev->seq, what, expected,
			 found);
	else
		snprintf(r->message, sizeof(r->message), "chain head: %s: expected %s, found %s",
			 what, expected, found);
}

/* Check one event against its predecessor: false when broken. */
static bool check_link(struct register_verify_result *r, const struct register_event *ev,
		       int64_t want_seq, const char *prev)
{
	char a[24], b[24], h[65];

	if (ev->seq != want_seq) {
		snprintf(a, sizeof(a), "%lld", (long long)want_seq);
		snprintf(b, sizeof(b), "%lld", (long long)ev->seq);
		broken(r, ev, "seq", a, b);
		return false;
	}
	if (strcmp(ev->prev_hash, prev) != 0) {
		broken(r, ev, "prev_hash", prev, ev->prev_hash);
		return false;
	}
	if (register_event_hash(ev, h) < 0 || strcmp(h, ev->hash) != 0) {
		broken(r, ev, "hash", h, ev->hash);
		return false;
	}
	return true;
}

static int meta_get(struct register_db *db, const char *key, char *val, size_t size)
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

/* The recorded head must be the last event seen (a removed tail). */
static void check_head(struct register_db *db, struct register_verify_result *r,
		       int64_t last_seq, const char *last_hash)
{
	char seq[24], head_seq[24] = "0", head_hash[65] = "";

	snprintf(seq, sizeof(seq), "%lld", (long long)last_seq);
	if (meta_get(db, "head_seq", head_seq, sizeof(head_seq)) < 0 && last_seq == 0)
		return;
	meta_get(db, "head_hash", head_hash, sizeof(head_hash));
	if (strcmp(head_seq, seq) != 0)
		broken(r, NULL, "head seq (events at the end removed?)", head_seq, seq);
	else if (strcmp(head_hash, last_hash) != 0)
		broken(r, NULL, "head hash", head_hash, last_hash);
}

/* The media rows against their histories: the first difference into @r. */
static int check_rows(struct register_db *db, struct register_verify_result *r, char **cause)
{
	struct register_mismatch *x = NULL;
	char line[512];
	size_t n = 0;
	int rc = register_verify_media(db, 0, &x, &n, cause);

	if (rc < 0 || n == 0)
		return rc;
	r->mismatches = (int64_t)n;
	if (r->ok) {
		r->ok = false;
		util_strlcpy(r->what, "media", sizeof(r->what));
		util_strlcpy(r->expected, x[0].expected, sizeof(r->expected));
		util_strlcpy(r->found, x[0].found, sizeof(r->found));
		r->event_id = 0;
		r->seq = 0;
		register_mismatch_text(&x[0], line, sizeof(line));
		snprintf(r->message, sizeof(r->message),
			 "media row differs from its history: %.200s", line);
	}
	free(x);
	return 0;
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

/* Every certificate number an event names is in the register. */
static int check_cert_numbers(struct register_db *db, struct register_verify_result *r,
			      char **cause)
{
	sqlite3_stmt *st = NULL;
	int rc = register_prepare(db, "SELECT e.seq, json_extract(e.details, '$.certificate_id')"
		" FROM events e WHERE e.kind IN ('sanitized', 'not-erased') AND"
		" COALESCE(json_extract(e.details, '$.certificate_id'), '') != '' AND NOT EXISTS"
		" (SELECT 1 FROM certificates c WHERE c.id = json_extract(e.details,"
		" '$.certificate_id')) ORDER BY e.seq", &st, cause);

	if (rc < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (r->missing_certs++ || !r->ok)
			continue;
		r->ok = false;
		r->seq = sqlite3_column_int64(st, 0);
		util_strlcpy(r->what, "missing-certificate", sizeof(r->what));
		util_strlcpy(r->expected, (const char *)sqlite3_column_text(st, 1) ?: "",
			     sizeof(r->expected));
		snprintf(r->message, sizeof(r->message), "event %lld names certificate %.96s, "
			 "which the register does not hold (never issued)",
			 (long long)r->seq, r->expected);
	}
	rc = rc == SQLITE_DONE ? 0 : register_sql_fail(db, cause, "check certificate numbers");
	sqlite3_finalize(st);
	return rc;
}

static int count_unfinished(struct register_db *db, struct register_verify_result *r,
			    char **cause)
{
	struct register_unfinished *u = NULL;
	size_t n = 0;
	int rc = register_unfinished(db, &u, &n, cause);

	r->unfinished = (int64_t)n;
	free(u);
	return rc;
}

/*
 * SQLite's own check of the file (pages, indexes, free list): corruption
 * that the hash chain cannot see, for instance in a page of the media
 * table.  The first messages go into @r; false when the file is damaged.
 */
static bool check_integrity(struct register_db *db, struct register_verify_result *r)
{
	sqlite3_stmt *st = NULL;
	char msgs[sizeof(r->message)] = "";
	bool ok = true;
	int rc = sqlite3_prepare_v2(db->db, "PRAGMA integrity_check(10)", -1, &st, NULL);

	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *m = (const char *)sqlite3_column_text(st, 0);

		if (m && strcmp(m, "ok") == 0)
			continue;
		ok = false;
		if (msgs[0])
			strncat(msgs, "; ", sizeof(msgs) - strlen(msgs) - 1);
		strncat(msgs, m ? m : "?", sizeof(msgs) - strlen(msgs) - 1);
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW && rc != SQLITE_OK) {
		ok = false;
		snprintf(msgs, sizeof(msgs), "%s", sqlite3_errmsg(db->db));
	}
	sqlite3_finalize(st);
	if (ok)
		return true;
	for (char *c = msgs; *c; c++)
		if (*c == '\n')
			*c = ' ';
	r->ok = false;
	util_strlcpy(r->what, "integrity", sizeof(r->what));
	snprintf(r->message, sizeof(r->message), "database file damaged (SQLite integrity "
		 "check): %.180s", msgs);
	return false;
}

int register_verify(struct register_db *db, struct register_verify_result *r, char **cause)
{
	return register_verify_ex(db, NULL, r, cause);
}

int register_verify_ex(struct register_db *db, const struct register_verify_opts *o,
		       struct register_verify_result *r, char **cause)
{
	struct register_event ev;
	char prev[65] = "0000000000000000000000000000000000000000000000000000000000000000";
	sqlite3_stmt *st = NULL;
	int rc;

	memset(r, 0, sizeof(*r));
	r->ok = true;
	/* register.head first: it may lag the snapshot, never lead it */
	register_chain_pre_read_head(db);
	/* One read transaction: the events and the head from one snapshot. */
	if (sqlite3_exec(db->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
		return register_sql_fail(db, cause, "begin");
	if (!check_integrity(db, r)) {
		rc = 0;
		goto out;
	}
	rc = register_prepare(db, "SELECT " REGISTER_EVENT_COLS " FROM events ORDER BY seq",
			      &st, cause);
	if (rc < 0)
		goto out;
	while (r->ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (register_row_to_event(st, &ev) < 0) {
			rc = util_fail(cause, -ENOMEM, _("out of memory"));
			sqlite3_finalize(st);
			goto out;
		}
		if (check_link(r, &ev, r->events + 1, prev))
			r->events++;
		util_strlcpy(prev, ev.hash, sizeof(prev));
		free(ev.details);
	}
	if (r->ok && rc != SQLITE_DONE)
		rc = register_sql_fail(db, cause, "read events");
	else
		rc = 0;
	sqlite3_finalize(st);
	if (rc == 0 && r->ok)
		check_head(db, r, r->events, prev);
	if (rc == 0 && r->ok)
		rc = register_chain_verify(db, o, r, cause);
	if (rc == 0)
		rc = check_rows(db, r, cause);
	if (rc == 0)
		rc = check_cert_numbers(db, r, cause);
	if (rc == 0)
		rc = count_unfinished(db, r, cause);
out:
	sqlite3_exec(db->db, "COMMIT", NULL, NULL, NULL);
	return rc;
}
