/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * register: the lifecycle of a medium (enrol, custody, sanitization,
 * destruction): states and rules on top of storage (register-store.c,
 * register-sql.c: every SQL statement, through the functions listed in
 * register-private.h) and policy; each change appends one event to the
 * hash chain (format in register.h), signed by register-chain.c.
 */
#include "register-private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "station.h"
#include "util.h"

/* The lifecycle's transactions: the store's, with the chain's signed head
 * written after COMMIT (register-chain.c). */
static int begin(struct register_db *db, char **cause)
{
	return register_store_begin(db, cause);
}

static int commit(struct register_db *db, char **cause)
{
	int rc = register_store_commit(db, cause);

	if (rc == 0)
		register_chain_committed(db, true);	/* the signed head, outside */
	return rc;
}

static void rollback(struct register_db *db)
{
	register_store_rollback(db);
	register_chain_committed(db, false);
}

int register_open(const char *path, struct register_db **out, char **cause)
{
	struct register_db *db = calloc(1, sizeof(*db));
	int rc;

	if (!db)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	rc = register_store_open(db, path, cause);
	if (rc == 0)
		rc = register_chain_open(db, path, cause);
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
		return util_fail(cause, -ENOMEM, _("out of memory"));
	rc = register_open(path, out, cause);
	free(path);
	if (rc == 0)
		rc = register_central_from_conf(*out, state_dir, cause);
	return rc;
}

/* The station's central register (station.conf "register"), if any: media
 * unknown here are looked up there (register_find_by_device()). */
int register_central_from_conf(struct register_db *db, const char *state_dir, char **cause)
{
	struct station *st = NULL;

	if (station_open(state_dir, &st, NULL) < 0)
		return 0;	/* a bare register without a station */
	free(db->central);
	db->central = st->register_conninfo;	/* taken over */
	st->register_conninfo = NULL;
	free(db->home_station);
	db->home_station = st->name;		/* taken over */
	st->name = NULL;
	station_free(st);
	(void)cause;
	return 0;
}

void register_close(struct register_db *db)
{
	if (!db)
		return;
	if (db->unsynced)
		register_sync_central(db, NULL);
	register_chain_close(db);
	register_store_close(db);
	free(db->operator_name);
	free(db->station);
	free(db->central);
	free(db->home_station);
	free(db);
}

static bool actor_name_ok(const char *s, size_t size)
{
	return !s || (util_text_valid(s, NULL) && strlen(s) < size);
}

int register_set_actor(struct register_db *db, const char *operator_name, const char *station)
{
	struct register_event ev;
	char *op, *stn;

	/* the names go into every event: refuse what an event cannot carry */
	if (!actor_name_ok(operator_name, sizeof(ev.operator_name)) ||
	    !actor_name_ok(station, sizeof(ev.station)))
		return -EINVAL;
	op = strdup(operator_name && *operator_name ? operator_name : "unknown");
	stn = strdup(station && *station ? station : "unknown");
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

/* Append one event to the chain inside the caller's transaction.
 * @details is consumed.  @hash_out (65 bytes) may be NULL. */
static int append_event(struct register_db *db, int64_t media_id, const char *kind,
			json_t *details, char *hash_out, char **cause)
{
	struct register_event ev = { .media_id = media_id };
	int rc;

	if (!details)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	ev.details = json_dumps(details, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(details);
	if (!ev.details)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	rc = register_chain_before_append(db, cause);
	if (rc == 0)
		rc = register_store_chain_tail(db, &ev.seq, ev.prev_hash, cause);
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
		rc = register_store_insert_event(db, &ev, cause);
	if (rc == 0)
		rc = register_chain_sign(db, &ev, cause);
	if (rc == 0 && hash_out)
		util_strlcpy(hash_out, ev.hash, 65);
out:
	free(ev.details);
	return rc;
}

int register_append_station_event(struct register_db *db, const char *kind, json_t *details,
				  char *hash, char **cause)
{
	/* events of the station name no medium (media_id 0): the foreign key
	 * is off for this one transaction of this connection */
	int rc = register_store_foreign_keys(db, false, cause);

	if (rc == 0)
		rc = begin(db, cause);
	if (rc == 0) {
		rc = append_event(db, 0, kind, details, hash, cause);
		details = NULL;
	}
	if (rc == 0)
		rc = commit(db, cause);
	if (rc < 0)
		rollback(db);
	json_decref(details);
	register_store_foreign_keys(db, true, NULL);
	return rc;
}

/* Load one row by id inside a transaction. */
static int load(struct register_db *db, int64_t id, struct register_media *m, char **cause)
{
	return register_store_get(db, id, m, cause);
}

int register_get(struct register_db *db, int64_t id, struct register_media *out, char **cause)
{
	int rc = register_store_get(db, id, out, cause);

	if (rc == 0)
		rc = register_history_check(db, out, cause);
	return rc;
}

static void set_text(json_t *o, const char *key, const char *val)
{
	if (val && *val)
		json_object_set_new(o, key, json_string(val));
}

/*
 * Text that enters the register must be valid UTF-8 without control
 * characters (util_text_check()): JSON (the events) cannot carry invalid
 * UTF-8, so a row holding it would differ from its history for good.
 * The free text fields are those the field table gives a label.
 */
static int check_media_text(const struct register_media *m, char **cause)
{
	return register_media_text_check(m, cause);
}

/* The enrolment event's details (also details.medium of an unenrolled
 * medium's first event): the identity fields and the classification. */
static json_t *enroll_details(const struct register_media *m)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	register_media_identity_json(m, o);
	set_text(o, "classification", m->classification);
	return o;
}

static int refuse_existing(const struct register_media *old, char **cause)
{
	return util_fail(cause, -EEXIST, _("already in the register as %s (%s, %s, state %s)"),
			 old->register_no, old->media_type,
			 old->classification[0] ? old->classification : "unclassified",
			 old->state);
}

/* An enrolled medium already carrying the asset tag or identity of @m. */
static int check_unique(struct register_db *db, const struct register_media *m, char **cause)
{
	struct register_media old;
	int rc = register_store_find_same(db, m, false, &old, cause);

	if (rc == 0)
		return refuse_existing(&old, cause);
	return rc == -ENOENT ? 0 : rc;
}

/* The row an enrolment writes for @m: no holder, its classification the
 * highest it held, created and updated now (the enrolment date). */
static void enrol_values(const struct register_media *m, struct register_media *row)
{
	*row = *m;
	row->id = 0;
	row->register_no[0] = '\0';
	row->holder[0] = '\0';
	util_strlcpy(row->highest_class, m->classification, sizeof(row->highest_class));
	if (!row->source[0])
		util_strlcpy(row->source, "manual", sizeof(row->source));
	util_iso8601(util_unix_now(), row->created_at, sizeof(row->created_at));
	util_strlcpy(row->updated_at, row->created_at, sizeof(row->updated_at));
}

static int insert_media(struct register_db *db, const struct register_media *m,
			const char *prefix, int64_t *id, char **cause)
{
	struct register_media row;
	int rc;

	enrol_values(m, &row);
	rc = register_store_insert_media(db, &row, id, cause);
	return rc < 0 ? rc : register_store_number(db, *id, prefix, cause);
}

/*
 * Enrol the unregistered row @id (a medium sanitized before it was
 * enrolled) in place: the enrolment's classification, custodian and so on,
 * its identity where the enrolment has one, state in-stock, a new M- number,
 * created_at = now (the enrolment date).  Its events and holder stay.
 */
static int convert_unregistered(struct register_db *db, int64_t id,
				const struct register_media *m, char **cause)
{
	struct register_media row;
	int rc;

	enrol_values(m, &row);
	row.unregistered = false;
	rc = register_store_enrol_in_place(db, id, &row, cause);
	return rc < 0 ? rc : register_store_number(db, id, "M", cause);
}

/* Inside the enrolment's transaction: convert the unregistered row that
 * carries @m's identity, or insert a new row.  @id receives the row. */
static int enroll_row(struct register_db *db, const struct register_media *m, int64_t *id,
		      char **cause)
{
	struct register_media old;
	int rc = check_unique(db, m, cause);

	if (rc == 0)
		rc = register_store_find_same(db, m, true, &old, cause);
	if (rc == -ENOENT)
		return insert_media(db, m, "M", id, cause);
	if (rc < 0)
		return rc;
	if (register_state_is_terminal(old.state))
		return refuse_existing(&old, cause);
	/* enrolment would put it back in stock */
	if (strcmp(old.state, "awaiting-destruction") == 0)
		return util_fail(cause, -EPERM, _("lifecycle rule: cannot enrol %s: it was sanitized "
				 "for destruction (awaiting-destruction); destroy it as %s"),
				 old.register_no, old.register_no);
	*id = old.id;
	return convert_unregistered(db, old.id, m, cause);
}

static int check_enroll_fields(const struct register_media *m, char **cause)
{
	enum policy_level l;
	enum policy_kind k;

	if (policy_level_parse(m->classification, &l) < 0)
		return util_fail(cause, -EINVAL, _("unknown classification '%s'"), m->classification);
	if (policy_kind_parse(m->media_type, &k) < 0)
		return util_fail(cause, -EINVAL, _("unknown media type '%s'"), m->media_type);
	return check_media_text(m, cause);
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
	      ACT_LOST, ACT_START, ACT_CERT_FAILED };

struct action_rule {
	const char *verb;		/* N_(): only for the message */
	const char *from[8];
	const char *to;
	const char *kind;
};

static const struct action_rule rules[] = {
	[ACT_ISSUE] = { N_("issue"), { "in-stock", "sanitized" }, "issued", "issued" },
	[ACT_RETURN] = { N_("return"), { "issued", "in-repair", "lost" }, "in-stock", NULL },
	[ACT_REPAIR] = { N_("send for repair"), { "in-stock", "issued", "sanitized" }, "in-repair",
			 "repair" },
	[ACT_RECLASSIFY] = { N_("reclassify"),
			     { "in-stock", "issued", "in-repair", "sanitized", "scrapped",
			       "awaiting-destruction" }, NULL, "reclassified" },
	[ACT_SANITIZE] = { N_("record a sanitization of"),
			   { "in-stock", "issued", "in-repair", "sanitized", "scrapped",
			     "sanitizing" }, NULL, "sanitized" },
	[ACT_START] = { N_("start a sanitization of"),
			{ "in-stock", "issued", "in-repair", "sanitized", "scrapped",
			  "sanitizing", "awaiting-destruction" }, "sanitizing", "sanitize-started" },
	[ACT_CERT_FAILED] = { N_("record a certificate failure of"),
			      { "in-stock", "issued", "in-repair", "sanitized", "scrapped",
				"sanitizing", "awaiting-destruction" }, NULL,
			      "certificate-failed" },
	[ACT_DESTROY] = { N_("destroy"), { "in-stock", "sanitized", "scrapped",
				       "awaiting-destruction" }, "destroyed", "destroyed" },
	[ACT_LOST] = { N_("record as lost"),
		       { "in-stock", "issued", "in-repair", "sanitized", "scrapped",
			 "awaiting-destruction" }, "lost", "lost" },
};

static int check_lifecycle(enum action act, const struct register_media *m, char **cause)
{
	const struct action_rule *r = &rules[act];
	char allowed[192] = "";

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(r->from) && r->from[i]; i++) {
		if (strcmp(r->from[i], m->state) == 0)
			return 0;
		if (i)
			strncat(allowed, ", ", sizeof(allowed) - strlen(allowed) - 1);
		strncat(allowed, r->from[i], sizeof(allowed) - strlen(allowed) - 1);
	}
	return util_fail(cause, -EPERM, _("lifecycle rule: cannot %s %s: it is %s (allowed from: %s)"),
			 _(r->verb), m->register_no, m->state, allowed);
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
	char state_buf[24];		/* @state when a change_fn computes it */
};

static int add_unregistered(struct register_db *db, const struct device_info *dev,
			    int64_t *id, char **cause);

/* Callback deciding the change once the current row is known (inside the
 * transaction); may refuse with -EPERM. */
typedef int (*change_fn)(const struct register_media *m, struct change *c, const void *arg,
			 char **cause);

/* Actions that record what happens to the medium anyway (a wipe, a loss):
 * not refused for a row that differs from its history. */
static bool recording(enum action a)
{
	return a == ACT_SANITIZE || a == ACT_LOST || a == ACT_START || a == ACT_CERT_FAILED;
}

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
		rc = util_fail(cause, -EINVAL, _("no medium given"));
	}
	if (rc == 0)
		rc = load(db, id, &m, cause);
	if (rc == -ENOENT)
		util_fail(cause, rc, _("register: no medium with id %lld"), (long long)id);
	if (rc == 0 && c->create_dev)
		json_object_set_new(c->details, "medium", enroll_details(&m));
	if (rc == 0 && !recording(c->act))
		rc = register_history_check(db, &m, cause);
	if (rc == 0 && !recording(c->act))
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
		rc = register_store_update_media(db, id, c->state, c->holder, c->classification,
						 c->highest, cause);
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

/* What a "received" event says (custos-register(5)): the local row's
 * identity, the state the centre gave, and where the medium came from. */
static json_t *receive_details(const struct register_media *local,
			       const struct register_media *m)
{
	return json_pack("{s:o, s:s, s:s, s:s, s:s, s:{s:s, s:I, s:s}}",
			 "medium", enroll_details(local), "classification", m->classification,
			 "highest_class", m->highest_class, "state", m->state, "holder", m->holder,
			 "from", "station", m->central_station, "id", (json_int_t)m->central_id,
			 "register_no", m->register_no);
}

/* Inside register_receive()'s transaction: the local row that already is
 * @m (received before from the same origin, or with the same WWN or serial
 * + model, of the same kind): 0 with it in @local, -ENOENT, or an error.
 * Not by asset tag or backing file: another station's tag or image path
 * may name another medium here (a clash of tags is refused by the insert). */
static int received_before(struct register_db *db, const struct register_media *m,
			   struct register_media *local, char **cause)
{
	struct register_media id = *m;
	int rc = register_store_find_origin(db, m->central_station, m->central_id, local, cause);

	id.backing_file[0] = '\0';
	if (rc == -ENOENT && (id.wwn[0] || id.serial[0]))
		rc = register_store_find_device(db, &id, local, cause);
	return rc;
}

int register_receive(struct register_db *db, struct register_media *m, char **cause)
{
	struct register_media row = *m, local;
	struct change c = { .classification = m->classification, .highest = m->highest_class,
			    .state = m->state, .holder = m->holder };
	int64_t id = 0;
	int rc;

	if (m->id > 0 || !m->central_station[0])
		return util_fail(cause, -EINVAL, _("register: %s is not a medium of the central "
				 "register"), m->register_no);
	rc = check_media_text(m, cause);
	if (rc == 0)
		rc = util_text_check("origin station", m->central_station, cause);
	if (rc == 0)
		rc = register_chain_before_append(db, cause);
	if (rc == 0)
		rc = begin(db, cause);
	if (rc < 0)
		return rc;
	/* under the write lock: a second action by the same reference, or a
	 * second run planned before the first received it, finds the first's row */
	rc = received_before(db, m, &local, cause);
	if (rc == 0) {
		rollback(db);
		util_info(_("register: %s of station %s is already in this station's register "
			    "as %s"), m->register_no, m->central_station, local.register_no);
		rc = register_history_check(db, &local, cause);
		if (rc == 0)
			*m = local;
		return rc;
	}
	rc = rc == -ENOENT ? 0 : rc;
	row.unregistered = false;
	if (rc == 0)
		rc = insert_media(db, &row, "M", &id, cause);
	if (rc == 0)
		rc = register_store_set_origin(db, id, m->central_station, m->central_id,
					       m->register_no, cause);
	if (rc == 0)
		rc = register_store_update_media(db, id, c.state, c.holder, c.classification,
						 c.highest, cause);
	if (rc == 0)
		rc = load(db, id, &local, cause);
	if (rc == 0)
		rc = append_event(db, id, "received", receive_details(&local, m), NULL, cause);
	if (rc == 0)
		rc = commit(db, cause);
	if (rc < 0) {
		rollback(db);
		return rc;
	}
	util_info(_("register: %s of station %s received here as %s"), m->register_no,
		  m->central_station, local.register_no);
	*m = local;
	return 0;
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
	struct change c = { .act = ACT_ISSUE, .holder = to };

	/* validate before allocating: a refusal leaks nothing */
	if (!to || !*to)
		return util_fail(cause, -EINVAL, _("issue: the person to issue to is missing"));
	if (util_text_check("issue: the person", to, cause) < 0)
		return -EINVAL;
	c.details = details1("to", to);
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
	struct change c = { .act = ACT_REPAIR, .holder = vendor };

	if (!vendor || !*vendor)
		return util_fail(cause, -EINVAL, _("repair: the repairer is missing"));
	if (util_text_check("repair: the repairer", vendor, cause) < 0)
		return -EINVAL;
	c.details = details1("to", vendor);
	return apply(db, id, &c, NULL, NULL, NULL, cause);
}

int register_lost(struct register_db *db, int64_t id, const char *note, char **cause)
{
	struct change c = { .act = ACT_LOST };

	if (util_text_check("lost: the note", note, cause) < 0)
		return -EINVAL;
	c.details = details1("note", note);
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
		return util_fail(cause, rc, _("%s has no classification"), m->register_no);
	rc = policy_check_reclassify(a->pol, from, a->to, cause);
	if (rc < 0)
		return rc;
	if (a->to == from)
		return util_fail(cause, -EALREADY, _("%s is already %s"), m->register_no,
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
	struct change c = { .act = ACT_RECLASSIFY };

	if ((unsigned)to >= POLICY_LEVEL_COUNT)
		return util_fail(cause, -EINVAL, _("reclassify: bad level"));
	c.details = json_object();
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

static int check_destroy_text(const struct register_destruction *d, char **cause)
{
	int rc = util_text_check("destroy: the method", d->method, cause);

	if (rc == 0)
		rc = util_text_check("destroy: the place", d->place, cause);
	if (rc == 0)
		rc = util_text_check("destroy: the note", d->note, cause);
	for (size_t i = 0; i < d->n_witnesses && rc == 0; i++)
		rc = util_text_check("destroy: a witness", d->witnesses[i], cause);
	return rc;
}

int register_destroy(struct register_db *db, const struct policy *pol, int64_t id,
		     const struct register_destruction *d, char *hash, char **cause)
{
	struct change c = { .act = ACT_DESTROY, .holder = "" };
	int rc;

	if (!d->method || !*d->method || !d->place || !*d->place)
		return util_fail(cause, -EINVAL, _("destroy: the method and the place are required"));
	rc = check_destroy_text(d, cause);
	if (rc < 0)
		return rc;

	if (!register_destroy_method_find(d->method) ||
	    strcmp(register_destroy_method_find(d->method)->code, d->method) != 0) {
		char *all = register_destroy_methods_text();

		rc = util_fail(cause, -EINVAL, _("destroy: unknown method '%s' (one of: %s)"),
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
		return util_fail(cause, -EINVAL, _("%s has no classification"), m->register_no);
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
			util_fail(cause, -EINVAL, _("sanitization result is not JSON: %s"), err.text);
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

/* An unenrolled medium: a row flagged unregistered, inside the caller's
 * transaction. */
static int add_unregistered(struct register_db *db, const struct device_info *dev,
			    int64_t *id, char **cause)
{
	struct register_media m;

	if (!dev)
		return util_fail(cause, -EINVAL, _("sanitization of an unenrolled medium needs "
				 "its device description"));
	memset(&m, 0, sizeof(m));
	register_media_from_device(&m, dev);
	util_strlcpy(m.state, "in-stock", sizeof(m.state));
	util_strlcpy(m.source, "sanitize", sizeof(m.source));
	m.unregistered = true;
	return insert_media(db, &m, "U", id, cause);
}

static int end_state(const struct register_media *m, struct change *c, const void *arg,
		     char **cause);

int register_record_sanitization(struct register_db *db, int64_t media_id,
				 const struct device_info *dev,
				 const struct register_sanitization *s, int64_t *out_id,
				 char *hash, char **cause)
{
	struct change c = { .act = ACT_SANITIZE,
			    .state = register_sanitized_state(s->destination) };
	int rc = util_text_check("sanitization: the certificate number", s->certificate_id, cause);

	if (rc == 0)
		rc = util_text_check("sanitization: the profile", s->profile, cause);
	if (rc == 0)
		rc = util_text_check("sanitization: the NIST category", s->nist_category, cause);
	if (rc < 0)
		return rc;
	if (s->destination && s->destination[0]) {
		enum policy_dest d;

		if (policy_dest_parse(s->destination, &d) < 0)
			return util_fail(cause, -EINVAL, _("unknown destination '%s'"),
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
		return util_fail(cause, -EINVAL, _("sanitization of an unenrolled medium needs "
				 "its device description"));
	}
	rc = apply(db, media_id, &c, end_state, db, hash, cause);
	if (rc == 0 && out_id)
		*out_id = media_id > 0 ? media_id : c.created_id;
	return rc;
}

static int state_before(struct register_db *db, int64_t id, char *out, size_t len,
			char **cause)
{
	return register_store_state_before(db, id, out, len, cause);
}

/* The end of a run that started (state sanitizing): a medium not erased
 * goes back to the state it had when the run started, recorded in the
 * event so that its history says so. */
static int end_state(const struct register_media *m, struct change *c, const void *arg,
		     char **cause)
{
	int rc;

	if (strcmp(m->state, "sanitizing") != 0 || strcmp(c->kind ? c->kind : "", "not-erased"))
		return 0;
	rc = state_before((struct register_db *)arg, m->id, c->state_buf, sizeof(c->state_buf),
			  cause);
	if (rc < 0)
		return rc;
	c->state = c->state_buf;
	json_object_set_new(c->details, "state", json_string(c->state_buf));
	return 0;
}

struct start_arg {
	struct register_db *db;
	const struct register_start *s;
	char *interrupted_hash;
};

/* Inside the start's transaction: a run of the medium that never ended is
 * recorded as interrupted first (unless this start resumes it). */
static int start_check(const struct register_media *m, struct change *c, const void *arg,
		       char **cause)
{
	const struct start_arg *a = arg;
	char before[24];
	json_t *d;
	int rc;

	if (strcmp(m->state, "awaiting-destruction") == 0 &&
	    strcmp(a->s->destination ? a->s->destination : "", "destruction") != 0)
		return util_fail(cause, -EPERM, _("lifecycle rule: %s was sanitized for destruction "
				 "(awaiting-destruction): only destruction may follow"),
				 m->register_no);
	if (strcmp(m->state, "sanitizing") != 0) {
		json_object_set_new(c->details, "state_before", json_string(m->state));
		return 0;
	}
	rc = state_before(a->db, m->id, before, sizeof(before), cause);
	if (rc < 0)
		return rc;
	json_object_set_new(c->details, "state_before", json_string(before));
	if (a->s->resume)
		return 0;
	d = json_pack("{s:{s:s, s:s}, s:s}", "result", "outcome", "interrupted", "cause",
		      "the run never ended (the program was killed or the station lost power)",
		      "state", before);
	if (!d)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	if (a->s->previous_profile)
		json_object_set_new(d, "profile", json_string(a->s->previous_profile));
	return append_event(a->db, m->id, "not-erased", d, a->interrupted_hash, cause);
}

static json_t *start_details(const struct register_start *s)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	set_text(o, "profile", s->profile);
	set_text(o, "destination", s->destination);
	set_text(o, "operator", s->operator_name);
	set_text(o, "method", s->method);
	set_text(o, "verify", s->verify);
	json_object_set_new(o, "passes", json_integer(s->passes));
	json_object_set_new(o, "resume", json_boolean(s->resume));
	return o;
}

int register_start_sanitization(struct register_db *db, int64_t media_id,
				const struct device_info *dev, const struct register_start *s,
				int64_t *out_id, char *hash, char *interrupted_hash,
				char **cause)
{
	struct change c = { .act = ACT_START };
	struct start_arg a = { .db = db, .s = s, .interrupted_hash = interrupted_hash };
	int rc;

	if (interrupted_hash)
		interrupted_hash[0] = '\0';
	if (!s->profile || !*s->profile)
		return util_fail(cause, -EINVAL, _("sanitize-started: no profile"));
	if (media_id <= 0 && !dev)
		return util_fail(cause, -EINVAL, _("sanitization of an unenrolled medium needs "
				 "its device description"));
	c.details = start_details(s);
	if (!c.details)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	c.create_dev = media_id <= 0 ? dev : NULL;
	rc = apply(db, media_id, &c, start_check, &a, hash, cause);
	if (rc == 0 && out_id)
		*out_id = media_id > 0 ? media_id : c.created_id;
	return rc;
}

int register_record_certificate_failure(struct register_db *db, int64_t media_id,
					const char *event_hash, const char *kind,
					const char *reason, char **cause)
{
	struct change c = { .act = ACT_CERT_FAILED };

	c.details = json_object();
	if (!c.details)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	set_text(c.details, "event_hash", event_hash);
	set_text(c.details, "document", kind);
	set_text(c.details, "reason", reason);
	return apply(db, media_id, &c, NULL, NULL, NULL, cause);
}

int register_probe_write(struct register_db *db, char **cause)
{
	int rc = register_store_probe_write(db, cause);

	register_chain_committed(db, false);
	return rc;
}
