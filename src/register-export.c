/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * register: JSON objects, the online backup (register_store_backup() and
 * the rename) and the exports (CSV with the media-register form's columns,
 * JSON with histories).
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

int register_backup(struct register_db *db, const char *path, char **cause)
{
	char *tmp = util_asprintf("%s.tmp-%ld", path, (long)getpid());
	int rc;

	if (!tmp)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	unlink(tmp);
	rc = register_store_backup(db, tmp, cause);
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

/* A medium's row being written: the texts computed columns point into. */
struct csv_ctx {
	const struct register_media *m;
	const char *reason;
	char buf[200];
};

typedef const char *(*csv_value_fn)(struct csv_ctx *c);

static const char *col_level_zh(struct csv_ctx *c)
{
	return zh_level(c->m->classification);
}

static const char *col_brand_model(struct csv_ctx *c)
{
	const struct register_media *m = c->m;

	snprintf(c->buf, sizeof(c->buf), "%s%s%s", m->vendor,
		 m->vendor[0] && m->model[0] ? " " : "", m->model);
	return c->buf;
}

/* the label carries the hardware serial */
static const char *col_label(struct csv_ctx *c)
{
	return c->m->serial;
}

/* people read the CSV: local time with its offset */
static const char *col_enrolled(struct csv_ctx *c)
{
	return c->m->unregistered ? "" : util_time_local_text(c->m->created_at, c->buf,
							       sizeof(c->buf));
}

static const char *col_retired(struct csv_ctx *c)
{
	return retired(c->m->state) ? util_time_local_text(c->m->updated_at, c->buf,
							     sizeof(c->buf)) : "";
}

static const char *col_reason(struct csv_ctx *c)
{
	return c->reason;
}

/* The media-register form's columns (standards.md §6.1: 介质类型 ... 备注)
 * that are no field of their own; the signature columns (no function) stay
 * empty for hand signatures on the printout.  The fields' own columns, in
 * the form's order and then custos' own, come from the field table
 * (register_field.csv). */
static const struct csv_col {
	int csv;			/* 1-based */
	const char *head;
	csv_value_fn value;
} form_cols[] = {
	{ 5, "密级 Classification", col_level_zh },
	{ 6, "品牌型号 Brand and model", col_brand_model },
	{ 7, "出厂标签号 Factory label No.", col_label },
	{ 9, "启用日期 Enrolled", col_enrolled },
	{ 10, "报废日期 Retired", col_retired },
	{ 11, "报废原因 Reason retired", col_reason },
	{ 12, "使用人签字 User's signature", NULL },
	{ 13, "技术检查人签字 Technical inspector's signature", NULL },
	{ 14, "保密办签字 Security office's signature", NULL },
};

#define CSV_COLS (UTIL_ARRAY_SIZE(form_cols) + REGISTER_N_MEDIA_FIELDS)

/* The CSV's columns in order: @field[i] (a media field) or @form[i] (a
 * form column) for each; their number into @n.  -EINVAL when the field
 * table and form_cols do not fill 1..n once each. */
static int csv_columns(const struct register_field *field[CSV_COLS],
		       const struct csv_col *form[CSV_COLS], size_t *n)
{
	size_t cnt = 0;

	memset(field, 0, CSV_COLS * sizeof(*field));
	memset(form, 0, CSV_COLS * sizeof(*form));
	for (size_t i = 0; i < REGISTER_N_MEDIA_FIELDS; i++) {
		int k = register_media_fields[i].csv;

		if (k > 0 && (size_t)k <= CSV_COLS && !field[k - 1] && !form[k - 1]) {
			field[k - 1] = &register_media_fields[i];
			cnt++;
		} else if (k != 0) {
			return -EINVAL;
		}
	}
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(form_cols); i++) {
		int k = form_cols[i].csv;

		if (k <= 0 || (size_t)k > CSV_COLS || field[k - 1] || form[k - 1])
			return -EINVAL;
		form[k - 1] = &form_cols[i];
		cnt++;
	}
	for (size_t i = 0; i < cnt; i++)
		if (!field[i] && !form[i])
			return -EINVAL;
	*n = cnt;
	return 0;
}

/* Field @f of @m in the CSV: a flag is "yes" or empty. */
static const char *csv_value(const struct register_media *m, const struct register_field *f,
			     char *buf, size_t size)
{
	const char *v = register_field_text(m, f, buf, size);

	if (f->kind == REGISTER_FIELD_BOOL)
		return strcmp(v, "1") == 0 ? "yes" : "";
	return v;
}

static void csv_row(struct buf *b, const struct register_media *m, const char *reason,
		    const struct register_field *const *field, const struct csv_col *const *form,
		    size_t n)
{
	struct csv_ctx c = { .m = m, .reason = reason };
	char num[24];

	for (size_t k = 0; k < n; k++) {
		const char *v = "";

		if (field[k])
			v = csv_value(m, field[k], num, sizeof(num));
		else if (form[k]->value)
			v = form[k]->value(&c);
		csv_field(b, v, k + 1 == n);
	}
}

/* UTF-8 with a byte-order mark, which spreadsheets need to read the
 * Chinese headers. */
static int export_csv(struct register_db *db, const struct register_media *m, size_t n,
		      char **text, char **cause)
{
	const struct register_field *field[CSV_COLS];
	const struct csv_col *form[CSV_COLS];
	struct buf b = { 0 };
	size_t ncols = 0;
	char *reason;

	if (csv_columns(field, form, &ncols) < 0)
		return util_fail(cause, -EINVAL, _("register: %s"),	/* a bug: test-register */
				 "the CSV columns of the fields and the form overlap or leave a gap");
	buf_add(&b, "\xef\xbb\xbf", 3);
	for (size_t i = 0; i < ncols; i++)
		csv_field(&b, field[i] ? field[i]->csv_head : form[i]->head, i + 1 == ncols);
	for (size_t i = 0; i < n && !b.err; i++) {
		reason = retire_reason(db, &m[i]);
		if (!reason)
			b.err = -ENOMEM;
		else
			csv_row(&b, &m[i], reason, field, form, ncols);
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
