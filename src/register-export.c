/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * register: JSON objects, the online backup and the exports (CSV with the
 * media-register form's columns, JSON with histories).
 */
#include "register-private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static void put_str(json_t *o, const char *key, const char *val)
{
	json_object_set_new(o, key, json_string(val ? val : ""));
}

json_t *register_media_to_json(const struct register_media *m)
{
	json_t *o = json_object();

	for (size_t i = 0; o && i < REGISTER_N_MEDIA_FIELDS; i++) {
		const struct register_field *f = &register_media_fields[i];
		const char *p = (const char *)m + f->off;

		switch (f->kind) {
		case REGISTER_FIELD_I64:
			json_object_set_new(o, f->json, json_integer(*(const int64_t *)p));
			break;
		case REGISTER_FIELD_U64:
			json_object_set_new(o, f->json,
					    json_integer((json_int_t)*(const uint64_t *)p));
			break;
		case REGISTER_FIELD_BOOL:
			json_object_set_new(o, f->json, json_boolean(*(const bool *)p));
			break;
		default:
			put_str(o, f->json, p);
		}
	}
	return o;
}

json_t *register_event_to_json(const struct register_event *ev)
{
	json_t *o = json_object(), *d;

	if (!o)
		return NULL;
	d = json_loads(ev->details ? ev->details : "{}", 0, NULL);
	json_object_set_new(o, "seq", json_integer(ev->seq));
	put_str(o, "at", ev->at);
	put_str(o, "kind", ev->kind);
	put_str(o, "operator", ev->operator_name);
	put_str(o, "station", ev->station);
	json_object_set_new(o, "details", d ? d : json_string(ev->details ? ev->details : ""));
	put_str(o, "prev_hash", ev->prev_hash);
	put_str(o, "hash", ev->hash);
	return o;
}

json_t *register_cert_to_json(const struct register_cert *c)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	put_str(o, "id", c->id);
	json_object_set_new(o, "media_id", c->media_id > 0 ? json_integer(c->media_id) :
				json_null());
	put_str(o, "kind", c->kind);
	put_str(o, "issued_at", c->issued_at);
	put_str(o, "event_hash", c->event_hash);
	put_str(o, "path", c->path);
	return o;
}

/* Copy the live database page by page; other writers may go on. */
static int backup_into(struct register_db *db, const char *tmp, char **cause)
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

int register_backup(struct register_db *db, const char *path, char **cause)
{
	char *tmp = util_asprintf("%s.tmp-%ld", path, (long)getpid());
	int rc;

	if (!tmp)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	unlink(tmp);
	rc = backup_into(db, tmp, cause);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = util_fail(cause, -errno, _("backup: rename to %s: %s"), path, strerror(errno));
	if (rc < 0)
		unlink(tmp);
	free(tmp);
	return rc;
}

/* A growing text buffer. */
struct buf {
	char *p;
	size_t len, cap;
	int err;
};

static void buf_add(struct buf *b, const char *s, size_t n)
{
	char *np;

	if (b->err)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->cap + n + 1) * 2;

		np = realloc(b->p, cap);
		if (!np) {
			b->err = -ENOMEM;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* One CSV field (RFC 4180 quoting) and its separator.  A cell starting
 * with = + - @ (or a tab or carriage return) would be a formula to a
 * spreadsheet: it is written with a leading apostrophe. */
static void csv_field(struct buf *b, const char *s, bool last)
{
	bool formula = s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL;

	if (formula || strpbrk(s, ",\"\r\n")) {
		buf_add(b, "\"", 1);
		if (formula)
			buf_add(b, "'", 1);
		for (const char *q = s; *q; q++)
			buf_add(b, *q == '"' ? "\"\"" : q, *q == '"' ? 2 : 1);
		buf_add(b, "\"", 1);
	} else {
		buf_add(b, s, strlen(s));
	}
	buf_add(b, last ? "\r\n" : ",", last ? 2 : 1);
}

/* The media-register form's columns in the form's order (standards.md
 * §6.1: 介质类型 ... 备注; the signature columns stay empty for hand
 * signatures on the printout), then custos' own columns. */
static const char *const csv_headers[] = {
	"介质类型 Media type", "编号 Register No.", "使用处室 Department",
	"责任人 Custodian", "密级 Classification", "品牌型号 Brand and model",
	"出厂标签号 Factory label No.", "硬件序列号 Hardware serial", "启用日期 Enrolled",
	"报废日期 Retired", "报废原因 Reason retired", "使用人签字 User's signature",
	"技术检查人签字 Technical inspector's signature",
	"保密办签字 Security office's signature", "备注 Note",
	"资产标签 Asset tag", "密级(英文) Classification (en)",
	"最高密级 Highest classification", "WWN", "容量(字节) Capacity (bytes)",
	"状态 State", "持有人 Holder", "未登记 Unregistered",
};

static const char *zh_level(const char *en)
{
	enum policy_level l;

	return policy_level_parse(en, &l) == 0 ? policy_level_name_zh(l) : "";
}

static bool retired(const char *state)
{
	return strcmp(state, "destroyed") == 0 || strcmp(state, "scrapped") == 0 ||
	       strcmp(state, "awaiting-destruction") == 0;
}

/* 报废原因: from the event that retired the medium (or lost it). */
static char *reason_of(const struct register_event *ev)
{
	json_t *d = json_loads(ev->details ? ev->details : "{}", 0, NULL);
	const char *a = json_string_value(json_object_get(d, "method"));
	const char *b = json_string_value(json_object_get(d, "place"));
	const char *note = json_string_value(json_object_get(d, "note"));
	const char *dest = json_string_value(json_object_get(d, "destination"));
	char *t;

	if (strcmp(ev->kind, "destroyed") == 0)
		t = util_asprintf("销毁 destroyed: %s, %s%s%s", a ? a : "-", b ? b : "-",
				  note ? "; " : "", note ? note : "");
	else if (strcmp(ev->kind, "lost") == 0)
		t = util_asprintf("丢失 lost%s%s", note ? ": " : "", note ? note : "");
	else
		t = util_asprintf("信息消除 sanitized for %s", dest ? dest : "-");
	json_decref(d);
	return t;
}

/* The reason @m left service, malloc'd ("" while in service). */
static char *retire_reason(struct register_db *db, const struct register_media *m)
{
	struct register_event *ev = NULL;
	size_t n = 0;
	char *t = NULL;

	if ((!retired(m->state) && strcmp(m->state, "lost") != 0) ||
	    register_history(db, m->id, &ev, &n, NULL) < 0)
		return strdup("");
	for (size_t i = n; i-- > 0 && !t;)
		if (strcmp(ev[i].kind, "destroyed") == 0 || strcmp(ev[i].kind, "lost") == 0 ||
		    strcmp(ev[i].kind, "sanitized") == 0)
			t = reason_of(&ev[i]);
	register_events_free(ev, n);
	return t ? t : strdup("");
}

static void csv_row(struct buf *b, const struct register_media *m, const char *reason)
{
	char model[200], cap[24], created[UTIL_TIME_LEN], updated[UTIL_TIME_LEN];
	const char *f[UTIL_ARRAY_SIZE(csv_headers)];
	size_t i = 0;

	snprintf(model, sizeof(model), "%s%s%s", m->vendor, m->vendor[0] && m->model[0] ? " " :
		 "", m->model);
	snprintf(cap, sizeof(cap), "%llu", (unsigned long long)m->capacity_bytes);
	f[i++] = m->media_type;
	f[i++] = m->register_no;
	f[i++] = m->department;
	f[i++] = m->custodian;
	f[i++] = zh_level(m->classification);
	f[i++] = model;
	f[i++] = m->serial;		/* the label carries the hardware serial */
	f[i++] = m->serial;
	/* people read the CSV: local time with its offset */
	f[i++] = m->unregistered ? "" : util_time_local_text(m->created_at, created,
							      sizeof(created));
	f[i++] = retired(m->state) ? util_time_local_text(m->updated_at, updated,
							   sizeof(updated)) : "";
	f[i++] = reason;
	f[i++] = "";			/* 使用人签字, by hand */
	f[i++] = "";			/* 技术检查人签字 */
	f[i++] = "";			/* 保密办签字 */
	f[i++] = m->note;
	f[i++] = m->asset_tag;
	f[i++] = m->classification;
	f[i++] = m->highest_class;
	f[i++] = m->wwn;
	f[i++] = cap;
	f[i++] = m->state;
	f[i++] = m->holder;
	f[i++] = m->unregistered ? "yes" : "";
	for (size_t k = 0; k < i; k++)
		csv_field(b, f[k], k + 1 == i);
}

/* UTF-8 with a byte-order mark, which spreadsheets need to read the
 * Chinese headers. */
static int export_csv(struct register_db *db, const struct register_media *m, size_t n,
		      char **text, char **cause)
{
	struct buf b = { 0 };
	char *reason;

	buf_add(&b, "\xef\xbb\xbf", 3);
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(csv_headers); i++)
		csv_field(&b, csv_headers[i], i + 1 == UTIL_ARRAY_SIZE(csv_headers));
	for (size_t i = 0; i < n && !b.err; i++) {
		reason = retire_reason(db, &m[i]);
		if (!reason)
			b.err = -ENOMEM;
		else
			csv_row(&b, &m[i], reason);
		free(reason);
	}
	if (b.err) {
		free(b.p);
		return util_fail(cause, b.err, _("out of memory"));
	}
	*text = b.p;
	return 0;
}

static json_t *media_with_history(struct register_db *db, const struct register_media *m,
				  char **cause)
{
	struct register_event *ev = NULL;
	size_t n = 0;
	json_t *o = register_media_to_json(m), *h = json_array();

	if (!o || !h || register_history(db, m->id, &ev, &n, cause) < 0) {
		json_decref(o);
		json_decref(h);
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		json_array_append_new(h, register_event_to_json(&ev[i]));
	register_events_free(ev, n);
	json_object_set_new(o, "history", h);
	return o;
}

static int export_json(struct register_db *db, const struct register_media *m, size_t n,
		       char **text, char **cause)
{
	json_t *root = json_object(), *arr = json_array(), *o;
	char now[24];
	int rc = 0;

	if (!root || !arr) {
		rc = util_fail(cause, -ENOMEM, _("out of memory"));
		goto out;
	}
	util_iso8601(util_unix_now(), now, sizeof(now));
	json_object_set_new(root, "format", json_string("custos-register"));
	json_object_set_new(root, "schema_version", json_integer(REGISTER_SCHEMA_VERSION));
	json_object_set_new(root, "exported_at", json_string(now));
	for (size_t i = 0; i < n && rc == 0; i++) {
		o = media_with_history(db, &m[i], cause);
		if (!o)
			rc = cause && *cause ? -EIO : util_fail(cause, -ENOMEM, _("out of memory"));
		else
			json_array_append_new(arr, o);
	}
	json_object_set(root, "media", arr);
	*text = rc == 0 ? json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	if (rc == 0 && !*text)
		rc = util_fail(cause, -ENOMEM, _("out of memory"));
out:
	json_decref(arr);
	json_decref(root);
	return rc;
}

int register_export(struct register_db *db, enum register_format fmt, char **text,
		    char **cause)
{
	struct register_media *m = NULL;
	size_t n = 0;
	int rc = register_list(db, NULL, NULL, &m, &n, cause);

	if (rc < 0)
		return rc;
	if (fmt == REGISTER_FORMAT_CSV)
		rc = export_csv(db, m, n, text, cause);
	else
		rc = export_json(db, m, n, text, cause);
	free(m);
	return rc;
}
