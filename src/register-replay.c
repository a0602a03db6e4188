/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * register: replaying a medium's events to derive what its media row must
 * say (classification, highest level, state, holder, custodian, identity),
 * so that an edit of the media table behind custos' back is detected the
 * way the hash chain detects an edit of the events.
 *
 * What each event determines:
 *   enrolled       unregistered = 0, state in-stock, classification and
 *                  highest level = details.classification; the medium's
 *                  identity (the fields flagged REGISTER_FIELD_IDENTITY in
 *                  register-store.c).  Events written since schema 2 carry
 *                  them all (an absent key means empty); older ones (no
 *                  "register_no") only what they carry.
 *   issued         state issued, holder = details.to
 *   returned, repaired, found   state in-stock, holder empty
 *   repair         state in-repair, holder = details.to
 *   reclassified   classification = details.to, highest = max(highest, to)
 *   sanitized      state from details.destination (register_sanitized_state())
 *   sanitize-started  state sanitizing
 *   not-erased     state = details.state when present (the state the
 *                  medium had before its run started), else nothing
 *   certificate-failed  nothing
 *   destroyed      state destroyed, holder empty
 *   lost           state lost
 *   received       unregistered = 0; classification, highest level, state and
 *                  holder = details' (a medium another station enrolled, as
 *                  the central register had it); identity: details.medium;
 *                  origin_station, origin_id, origin_register_no =
 *                  details.from's station, id and register_no (the first
 *                  received event; every other row has none)
 * A row created by a sanitization (unregistered) starts in-stock, without
 * classification; its first event carries the row's identity in
 * details.medium (since this check exists; older ones: identity unchecked).
 */
#include "register-private.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* The fields a replay determines: the identity (from the enrolment or
 * details.medium) and those the events derive (register-store.c). */
#define FIELDS register_media_fields
#define N_FIELDS REGISTER_N_MEDIA_FIELDS
_Static_assert(N_FIELDS < 32, "a bit of struct replay.known per field");

static char *field_at(struct register_media *m, size_t i)
{
	return (char *)m + FIELDS[i].off;
}

/* The derived row and which of its fields the history determines. */
struct replay {
	struct register_media d;
	unsigned known;
};

/* Text field @i of the derived row is @val. */
static void set_text(struct replay *r, size_t i, const char *val)
{
	util_strlcpy(field_at(&r->d, i), val ? val : "", FIELDS[i].size);
	r->known |= 1u << i;
}

static void set_field(struct replay *r, const char *name, const char *val)
{
	set_text(r, register_media_field_index(name), val);
}

/* Integer field @name of the derived row is @val. */
static void set_i64(struct replay *r, const char *name, int64_t val)
{
	size_t i = register_media_field_index(name);

	*(int64_t *)field_at(&r->d, i) = val;
	r->known |= 1u << i;
}

static const char *str_of(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* The enrolment's fields from @o (details or details.medium): a text
 * field absent from a full enrolment (one naming the register number) is
 * empty; a number only when present. */
static void take_identity(struct replay *r, json_t *o)
{
	bool full = json_object_get(o, "register_no") != NULL;

	for (size_t i = 0; i < N_FIELDS; i++) {
		const struct register_field *f = &FIELDS[i];
		json_t *v = json_object_get(o, f->name);

		if (!(f->flags & REGISTER_FIELD_IDENTITY))
			continue;
		if (f->kind == REGISTER_FIELD_TEXT && (full || v)) {
			set_text(r, i, json_string_value(v));
		} else if (f->kind == REGISTER_FIELD_U64 && json_is_integer(v)) {
			*(uint64_t *)field_at(&r->d, i) = (uint64_t)json_integer_value(v);
			r->known |= 1u << i;
		}
	}
}

static void raise_to(struct replay *r, const char *level)
{
	enum policy_level l, h;

	set_field(r, "classification", level);
	if (policy_level_parse(r->d.highest_class, &h) < 0 ||
	    (policy_level_parse(level, &l) == 0 && l > h))
		set_field(r, "highest_class", level);
}

static void replay_enrolled(struct replay *r, json_t *d)
{
	const char *cls = str_of(d, "classification");

	r->d.unregistered = false;
	set_field(r, "state", "in-stock");
	if (cls) {
		set_field(r, "classification", cls);
		set_field(r, "highest_class", cls);
	}
	take_identity(r, d);
}

/* Move to @state; @holder NULL keeps the holder. */
static void move(struct replay *r, const char *state, const char *holder)
{
	set_field(r, "state", state);
	if (holder)
		set_field(r, "holder", holder);
}

/* A medium another station enrolled, received here: as the centre had it. */
static void replay_received(struct replay *r, json_t *d)
{
	r->d.unregistered = false;
	set_field(r, "classification", str_of(d, "classification"));
	set_field(r, "highest_class", str_of(d, "highest_class"));
	set_field(r, "state", str_of(d, "state"));
	set_field(r, "holder", str_of(d, "holder"));
	/* where it came from: the first receive names it (a later one of the
	 * same row would be a second receive, which register_receive() refuses) */
	if (!r->d.origin_station[0]) {
		json_t *from = json_object_get(d, "from");

		set_field(r, "origin_station", str_of(from, "station"));
		set_i64(r, "origin_id", json_integer_value(json_object_get(from, "id")));
		set_field(r, "origin_register_no", str_of(from, "register_no"));
	}
}

static void replay_event(struct replay *r, const char *kind, json_t *d)
{
	if (json_is_object(json_object_get(d, "medium")))
		take_identity(r, json_object_get(d, "medium"));
	if (strcmp(kind, "enrolled") == 0)
		replay_enrolled(r, d);
	else if (strcmp(kind, "issued") == 0)
		move(r, "issued", str_of(d, "to"));
	else if (strcmp(kind, "returned") == 0 || strcmp(kind, "repaired") == 0 ||
		 strcmp(kind, "found") == 0)
		move(r, "in-stock", "");
	else if (strcmp(kind, "repair") == 0)
		move(r, "in-repair", str_of(d, "to"));
	else if (strcmp(kind, "reclassified") == 0 && str_of(d, "to"))
		raise_to(r, str_of(d, "to"));
	else if (strcmp(kind, "sanitized") == 0)
		move(r, register_sanitized_state(str_of(d, "destination")), NULL);
	else if (strcmp(kind, "sanitize-started") == 0)
		move(r, "sanitizing", NULL);
	else if (strcmp(kind, "not-erased") == 0 && str_of(d, "state"))
		move(r, str_of(d, "state"), NULL);	/* back where the run started */
	else if (strcmp(kind, "destroyed") == 0)
		move(r, "destroyed", "");
	else if (strcmp(kind, "lost") == 0)
		move(r, "lost", NULL);
	else if (strcmp(kind, "received") == 0)
		replay_received(r, d);
}

static void replay_row(const char *kind, const char *details, void *arg)
{
	json_t *d = json_loads(details, 0, NULL);

	replay_event(arg, kind, d);
	json_decref(d);
}

/* Replay the events of @id (in seq order) into @r. */
static int replay_medium(struct register_db *db, int64_t id, struct replay *r, int64_t *n,
			 char **cause)
{
	memset(r, 0, sizeof(*r));
	r->d.unregistered = true;
	r->known = 1u << register_media_field_index("unregistered");
	move(r, "in-stock", "");
	set_field(r, "classification", "");
	set_field(r, "highest_class", "");
	set_field(r, "origin_station", "");
	set_i64(r, "origin_id", 0);
	set_field(r, "origin_register_no", "");
	return register_store_media_events(db, id, replay_row, r, n, cause);
}

/* A growing list of differences. */
struct diffs {
	struct register_mismatch *v;
	size_t n, cap;
	int err;
};

static void add_diff(struct diffs *l, const struct register_media *m, const char *field,
		     const char *expected, const char *found)
{
	struct register_mismatch *x;

	if (l->err)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;

		x = realloc(l->v, cap * sizeof(*x));
		if (!x) {
			l->err = -ENOMEM;
			return;
		}
		l->v = x;
		l->cap = cap;
	}
	x = &l->v[l->n++];
	memset(x, 0, sizeof(*x));
	x->media_id = m->id;
	if (m->register_no[0])
		util_strlcpy(x->register_no, m->register_no, sizeof(x->register_no));
	else
		snprintf(x->register_no, sizeof(x->register_no), "#%lld", (long long)m->id);
	util_strlcpy(x->field, field, sizeof(x->field));
	util_strlcpy(x->expected, expected, sizeof(x->expected));
	util_strlcpy(x->found, found, sizeof(x->found));
}

/* The fields the history determines that @m's row does not carry. */
static void compare(struct diffs *l, const struct register_media *m, const struct replay *r)
{
	const unsigned checked = REGISTER_FIELD_IDENTITY | REGISTER_FIELD_REPLAYED;
	char a[24], b[24];

	for (size_t i = 0; i < N_FIELDS; i++) {
		const struct register_field *f = &FIELDS[i];
		const char *want, *got;

		if (!(f->flags & checked) || !(r->known & (1u << i)))
			continue;
		want = register_field_text(&r->d, f, a, sizeof(a));
		got = register_field_text(m, f, b, sizeof(b));
		if (strcmp(want, got) != 0)
			add_diff(l, m, f->name, want, got);
	}
}

/* Replay @m's history and add its differences to @l. */
static int check_medium(struct register_db *db, const struct register_media *m,
			struct diffs *l, char **cause)
{
	struct replay r;
	int64_t n = 0;
	int rc = replay_medium(db, m->id, &r, &n, cause);

	if (rc < 0)
		return rc;
	if (n == 0)
		add_diff(l, m, "history", "events (every medium has an enrolment or "
			 "sanitization event)", "none: the row was added behind custos' back");
	else
		compare(l, m, &r);
	return 0;
}

static void orphan(int64_t media_id, void *arg)
{
	struct register_media m;

	memset(&m, 0, sizeof(m));
	m.id = media_id;
	add_diff(arg, &m, "row", "present (the medium has events)", "missing (deleted)");
}

/* Events whose medium row is gone (deleted with foreign keys off). */
static int check_orphans(struct register_db *db, struct diffs *l, char **cause)
{
	return register_store_orphans(db, orphan, l, cause);
}

static int check_all(struct register_db *db, int64_t media_id, struct diffs *l, char **cause)
{
	struct register_media *m = NULL, one;
	size_t n = 0;
	int rc;

	if (media_id > 0) {
		rc = register_store_get(db, media_id, &one, cause);
		return rc < 0 ? rc : check_medium(db, &one, l, cause);
	}
	rc = register_list(db, NULL, NULL, &m, &n, cause);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = check_medium(db, &m[i], l, cause);
	free(m);
	if (rc == 0)
		rc = check_orphans(db, l, cause);
	return rc;
}

int register_verify_media(struct register_db *db, int64_t media_id,
			  struct register_mismatch **out, size_t *n, char **cause)
{
	struct diffs l = { 0 };
	bool own;
	int rc;

	*out = NULL;
	*n = 0;
	/* one snapshot of rows and events */
	rc = register_store_read_begin(db, &own, cause);
	if (rc < 0)
		return rc;
	rc = check_all(db, media_id, &l, cause);
	register_store_read_end(db, own);
	if (rc == 0 && l.err)
		rc = util_fail(cause, l.err, _("out of memory"));
	if (rc < 0) {
		free(l.v);
		return rc;
	}
	*out = l.v;
	*n = l.n;
	return 0;
}

void register_mismatch_text(const struct register_mismatch *x, char *buf, size_t size)
{
	char *t = util_asprintf("%s: %s: expected from history \"%s\", found \"%s\"",
				x->register_no, x->field, x->expected, x->found);

	util_strlcpy(buf, t ? t : x->field, size);
	free(t);
}

int register_history_check(struct register_db *db, struct register_media *m, char **cause)
{
	struct register_mismatch *x = NULL;
	struct diffs l = { 0 };
	int rc = check_medium(db, m, &l, cause);

	x = l.v;
	m->history_differs = rc == 0 && l.n > 0;
	m->history_note[0] = '\0';
	if (m->history_differs)
		register_mismatch_text(&x[0], m->history_note, sizeof(m->history_note));
	free(x);
	if (rc == 0 && l.err)
		rc = util_fail(cause, l.err, _("out of memory"));
	return rc;
}

int register_check_integrity(const struct register_media *m, char **cause)
{
	if (!m->history_differs)
		return 0;
	return util_fail(cause, -EPERM, _("register rule integrity: the register row of %s "
			 "differs from its history (%s): run `custos register verify` and "
			 "restore the row before using it"), m->register_no, m->history_note);
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

