/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * register-pg: the central register on PostgreSQL (register-central.h).
 *
 * The media field table of register-store.c (register_media_fields)
 * drives the central media table too: its schema, the upsert of a pushed
 * row, reading a row back and the JSON of the views.
 */
#include "register-central.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cert.h"
#include "keyring.h"
#include "register-private.h"
#include "sign.h"
#include "station.h"
#include "util.h"

#define GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

#ifndef HAVE_LIBPQ

static int no_pq(char **cause)
{
	return util_fail(cause, -ENOTSUP, _("this custos was built without libpq: no central "
			 "register (configure --with-libpq)"));
}

const char *register_central_schema_sql(void) { return NULL; }
int register_central_init(const char *c, char **cause) { (void)c; return no_pq(cause); }
int register_central_apply(const char *c, const char *s, char **cause)
{ (void)c; (void)s; return no_pq(cause); }
char *register_central_add_station_sql(const char *s, const char *l, char **cause)
{ (void)s; (void)l; no_pq(cause); return NULL; }
int register_central_push(struct register_db *db, const struct station *st, const char *c,
			  struct register_push_result *r, char **cause)
{ (void)db; (void)st; (void)c; (void)r; return no_pq(cause); }
int register_central_verify(const char *c, bool all, struct register_central_verify *r,
			    char **cause)
{ (void)c; (void)all; (void)r; return no_pq(cause); }
int register_central_open(const char *ci, struct register_central **o, char **cause)
{ (void)ci; *o = NULL; return no_pq(cause); }
void register_central_close(struct register_central *c) { (void)c; }
int register_central_push_to(struct register_central *c, struct register_db *db,
			     const struct station *st, struct register_push_result *r, char **cause)
{ (void)c; (void)db; (void)st; (void)r; return no_pq(cause); }
int register_central_against(struct register_db *db, const struct station *st, const char *c,
			     struct register_against_result *r, char **cause)
{ (void)db; (void)st; (void)c; (void)r; return no_pq(cause); }
int register_central_list(const char *c, const char *s, json_t **o, char **cause)
{ (void)c; (void)s; (void)o; return no_pq(cause); }
int register_central_find(const char *c, const char *r, json_t **o, char **cause)
{ (void)c; (void)r; (void)o; return no_pq(cause); }
int register_central_inventory(const char *c, json_t **o, char **cause)
{ (void)c; (void)o; return no_pq(cause); }
int register_central_overdue(const char *c, int d, json_t **o, char **cause)
{ (void)c; (void)d; (void)o; return no_pq(cause); }
int register_central_lookup(const char *c, const struct device_info *d, struct register_media *o,
			    char *s, char **cause)
{ (void)c; (void)d; (void)o; (void)s; return no_pq(cause); }
int register_central_lookup_ref(const char *c, const char *r, struct register_media *o, char *s,
				char **cause)
{ (void)c; (void)r; (void)o; (void)s; return no_pq(cause); }

#else

/* The media record: the field table of register-store.c. */
#define media_fields register_media_fields
#define N_MFIELDS REGISTER_N_MEDIA_FIELDS
#define MF_TEXT REGISTER_FIELD_TEXT
#define MF_I64 REGISTER_FIELD_I64
#define MF_U64 REGISTER_FIELD_U64
#define MF_BOOL REGISTER_FIELD_BOOL
#define mfield register_field

/* The value of field @f of @m as text into @buf. */
static const char *mfield_get(const struct register_media *m, const struct mfield *f,
			      char *buf, size_t size)
{
	const char *p = (const char *)m + f->off;

	switch (f->kind) {
	case MF_I64:
		snprintf(buf, size, "%" PRId64, *(const int64_t *)p);
		return buf;
	case MF_U64:
		snprintf(buf, size, "%" PRIu64, *(const uint64_t *)p);
		return buf;
	case MF_BOOL:
		return *(const bool *)p ? "1" : "0";
	default:
		return p;
	}
}

static void mfield_set(struct register_media *m, const struct mfield *f, const char *v)
{
	char *p = (char *)m + f->off;

	switch (f->kind) {
	case MF_I64:
		*(int64_t *)p = strtoll(v, NULL, 10);
		break;
	case MF_U64:
		*(uint64_t *)p = strtoull(v, NULL, 10);
		break;
	case MF_BOOL:
		*(bool *)p = strcmp(v, "1") == 0 || strcmp(v, "t") == 0;
		break;
	default:
		util_strlcpy(p, v, f->size);
	}
}

static json_t *media_json(const struct register_media *m, const char *station)
{
	json_t *o = json_object();
	char buf[32];

	for (size_t i = 0; o && i < N_MFIELDS; i++) {
		const struct mfield *f = &media_fields[i];
		const char *v = mfield_get(m, f, buf, sizeof(buf));

		if (f->kind == MF_TEXT)
			json_object_set_new(o, f->json, json_string(v));
		else if (f->kind == MF_BOOL)
			json_object_set_new(o, f->json, json_boolean(*v == '1'));
		else
			json_object_set_new(o, f->json, json_integer(strtoll(v, NULL, 10)));
	}
	json_object_set_new(o, "station", json_string(station));
	return o;
}


#include <libpq-fe.h>

/* Tables, triggers and roles.  Per-station chains: (station, seq) is the
 * key; events_extend refuses an event that does not extend its station's
 * chain, so two writers of one station cannot fork it either. */
static const char schema_head[] =
	"CREATE TABLE IF NOT EXISTS stations ("
	" name TEXT PRIMARY KEY, org TEXT NOT NULL, prefix TEXT NOT NULL,"
	" key_fpr TEXT NOT NULL, first_push TIMESTAMPTZ NOT NULL DEFAULT now(),"
	" last_push TIMESTAMPTZ NOT NULL DEFAULT now());\n"
	"CREATE TABLE IF NOT EXISTS station_keys ("
	" station TEXT NOT NULL REFERENCES stations(name), fpr TEXT NOT NULL,"
	" key_type TEXT NOT NULL, public_pem TEXT NOT NULL, valid_from TEXT NOT NULL DEFAULT '',"
	" PRIMARY KEY (station, fpr));\n"
	"CREATE TABLE IF NOT EXISTS events ("
	" station TEXT NOT NULL REFERENCES stations(name), seq BIGINT NOT NULL,"
	" media_id BIGINT NOT NULL, at TEXT NOT NULL, kind TEXT NOT NULL,"
	" operator TEXT NOT NULL, station_name TEXT NOT NULL, details TEXT NOT NULL,"
	" prev_hash TEXT NOT NULL, hash TEXT NOT NULL, PRIMARY KEY (station, seq));\n"
	"CREATE INDEX IF NOT EXISTS events_media ON events(station, media_id, seq);\n"
	"CREATE TABLE IF NOT EXISTS event_signatures ("
	" station TEXT NOT NULL, seq BIGINT NOT NULL, key_fpr TEXT NOT NULL, sig TEXT NOT NULL,"
	" PRIMARY KEY (station, seq, key_fpr),"
	" FOREIGN KEY (station, seq) REFERENCES events(station, seq));\n"
	"CREATE TABLE IF NOT EXISTS certificates ("
	" id TEXT PRIMARY KEY, station TEXT NOT NULL REFERENCES stations(name),"
	" media_id BIGINT NOT NULL, kind TEXT NOT NULL, issued_at TEXT NOT NULL,"
	" json TEXT NOT NULL, event_hash TEXT NOT NULL);\n";

static const char schema_tail[] =
	"CREATE INDEX IF NOT EXISTS media_serial ON media(serial);\n"
	"CREATE INDEX IF NOT EXISTS media_wwn ON media(wwn);\n"
	"CREATE INDEX IF NOT EXISTS media_tag ON media(asset_tag);\n"
	"CREATE OR REPLACE FUNCTION custos_append_only() RETURNS trigger LANGUAGE plpgsql AS $$\n"
	"BEGIN RAISE EXCEPTION 'custos register: % is append-only', TG_TABLE_NAME; END $$;\n"
	"CREATE OR REPLACE FUNCTION custos_events_extend() RETURNS trigger LANGUAGE plpgsql AS $$\n"
	"DECLARE prev TEXT;\n"
	"BEGIN\n"
	"  IF NEW.seq = 1 THEN prev := '" GENESIS "';\n"
	"  ELSE SELECT hash INTO prev FROM events WHERE station = NEW.station AND seq = NEW.seq - 1;\n"
	"  END IF;\n"
	"  IF prev IS NULL OR prev <> NEW.prev_hash THEN\n"
	"    RAISE EXCEPTION 'custos register: event % of station % does not extend its chain',"
	" NEW.seq, NEW.station;\n"
	"  END IF;\n"
	"  RETURN NEW;\n"
	"END $$;\n"
	"DROP TRIGGER IF EXISTS events_extend ON events;\n"
	"CREATE TRIGGER events_extend BEFORE INSERT ON events"
	" FOR EACH ROW EXECUTE FUNCTION custos_events_extend();\n"
	"DROP TRIGGER IF EXISTS events_append_only ON events;\n"
	"CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events"
	" FOR EACH ROW EXECUTE FUNCTION custos_append_only();\n"
	"DROP TRIGGER IF EXISTS events_no_truncate ON events;\n"
	"CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events"
	" FOR EACH STATEMENT EXECUTE FUNCTION custos_append_only();\n"
	"DROP TRIGGER IF EXISTS signatures_append_only ON event_signatures;\n"
	"CREATE TRIGGER signatures_append_only BEFORE UPDATE OR DELETE ON event_signatures"
	" FOR EACH ROW EXECUTE FUNCTION custos_append_only();\n"
	"DROP TRIGGER IF EXISTS certificates_append_only ON certificates;\n"
	"CREATE TRIGGER certificates_append_only BEFORE UPDATE OR DELETE ON certificates"
	" FOR EACH ROW EXECUTE FUNCTION custos_append_only();\n"
	"DROP TRIGGER IF EXISTS keys_append_only ON station_keys;\n"
	"CREATE TRIGGER keys_append_only BEFORE UPDATE OR DELETE ON station_keys"
	" FOR EACH ROW EXECUTE FUNCTION custos_append_only();\n"
	"DO $$ BEGIN\n"
	"  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'custos_station') THEN\n"
	"    CREATE ROLE custos_station NOLOGIN; END IF;\n"
	"  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'custos_auditor') THEN\n"
	"    CREATE ROLE custos_auditor NOLOGIN; END IF;\n"
	"END $$;\n"
	"REVOKE ALL ON stations, station_keys, events, event_signatures, certificates, media"
	" FROM PUBLIC, custos_station, custos_auditor;\n"
	"GRANT SELECT, INSERT ON events, event_signatures, certificates, station_keys"
	" TO custos_station;\n"
	"GRANT SELECT, INSERT, UPDATE ON stations, media TO custos_station;\n"
	"GRANT SELECT ON stations, station_keys, events, event_signatures, certificates, media"
	" TO custos_auditor;\n"
	/* each station writes only its own rows: station_logins ties a station
	 * to the login that pushes it (custos_register_station() claims an
	 * unclaimed name at its first push; init-server --add-station maps it
	 * beforehand); row-level security checks the station column against it */
	"CREATE TABLE IF NOT EXISTS station_logins ("
	" station TEXT PRIMARY KEY, login TEXT NOT NULL,"
	" since TIMESTAMPTZ NOT NULL DEFAULT now());\n"
	"REVOKE ALL ON station_logins FROM PUBLIC, custos_station, custos_auditor;\n"
	"GRANT SELECT ON station_logins TO custos_station, custos_auditor;\n"
	/* a name is claimed at a push only while the centre has never seen it;
	 * a known station is mapped by the administrator (--add-station).  Runs
	 * as its owner: its search path is pinned below with pg_temp last, so a
	 * caller's temporary table cannot stand in for station_logins */
	"CREATE OR REPLACE FUNCTION custos_register_station(n TEXT, o TEXT, p TEXT, f TEXT)"
	" RETURNS void LANGUAGE plpgsql SECURITY DEFINER AS $$\n"
	"DECLARE holder TEXT;\n"
	"BEGIN\n"
	"  IF NOT EXISTS (SELECT 1 FROM stations WHERE name = n) THEN\n"
	"    INSERT INTO station_logins(station, login) VALUES (n, session_user)"
	" ON CONFLICT (station) DO NOTHING;\n"
	"  END IF;\n"
	"  SELECT login INTO holder FROM station_logins WHERE station = n;\n"
	"  IF holder IS NULL THEN\n"
	"    RAISE EXCEPTION 'custos register: station % is known to the central register but"
	" mapped to no login: the administrator maps it (custos register init-server"
	" --add-station % --login %)', n, n, session_user USING ERRCODE = '42501';\n"
	"  END IF;\n"
	"  IF holder <> session_user THEN\n"
	"    RAISE EXCEPTION 'custos register: station % belongs to login %, not to %',"
	" n, holder, session_user USING ERRCODE = '42501';\n"
	"  END IF;\n"
	"  INSERT INTO stations(name, org, prefix, key_fpr) VALUES (n, o, p, f)"
	" ON CONFLICT (name) DO UPDATE SET org = o, prefix = p, key_fpr = f, last_push = now();\n"
	"END $$;\n"
	"DO $$ BEGIN EXECUTE format('ALTER FUNCTION custos_register_station(TEXT, TEXT, TEXT,"
	" TEXT) SET search_path = %I, pg_temp', current_schema()); END $$;\n"
	"REVOKE ALL ON FUNCTION custos_register_station(TEXT, TEXT, TEXT, TEXT) FROM PUBLIC;\n"
	"GRANT EXECUTE ON FUNCTION custos_register_station(TEXT, TEXT, TEXT, TEXT)"
	" TO custos_station;\n"
	"DO $$ DECLARE t TEXT; c TEXT; BEGIN\n"
	"  FOREACH t IN ARRAY ARRAY['stations', 'station_keys', 'events', 'event_signatures',"
	" 'certificates', 'media'] LOOP\n"
	"    c := CASE WHEN t = 'stations' THEN 'name' ELSE 'station' END;\n"
	"    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);\n"
	"    EXECUTE format('DROP POLICY IF EXISTS custos_read ON %I', t);\n"
	"    EXECUTE format('CREATE POLICY custos_read ON %I FOR SELECT USING (true)', t);\n"
	"    EXECUTE format('DROP POLICY IF EXISTS custos_own_insert ON %I', t);\n"
	"    EXECUTE format('CREATE POLICY custos_own_insert ON %I FOR INSERT TO custos_station"
	" WITH CHECK (%I IN (SELECT l.station FROM station_logins l"
	" WHERE l.login = session_user))', t, c);\n"
	"    EXECUTE format('DROP POLICY IF EXISTS custos_own_update ON %I', t);\n"
	"    IF t IN ('stations', 'media') THEN\n"
	"      EXECUTE format('CREATE POLICY custos_own_update ON %I FOR UPDATE TO custos_station"
	" USING (%I IN (SELECT l.station FROM station_logins l WHERE l.login = session_user))"
	" WITH CHECK (%I IN (SELECT l.station FROM station_logins l"
	" WHERE l.login = session_user))', t, c, c);\n"
	"    END IF;\n"
	"  END LOOP;\n"
	"END $$;\n";

/* A role name init-server --add-station accepts: an unquoted identifier. */
static bool login_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63 || !strchr("abcdefghijklmnopqrstuvwxyz_", s[0]))
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_") == n;
}

char *register_central_add_station_sql(const char *station, const char *login, char **cause)
{
	char lit[2 * 128 + 1];
	size_t j = 0;

	if (!login_name_ok(login)) {
		util_fail(cause, -EINVAL, _("'%s' is no login role name (lower-case letters, digits "
			  "and _, at most 63)"), login);
		return NULL;
	}
	if (!*station || strlen(station) >= 128) {
		util_fail(cause, -EINVAL, _("'%s' is no station name"), station);
		return NULL;
	}
	for (const char *c = station; *c; c++) {
		if ((unsigned char)*c < 0x20 || *c == 0x7f) {
			util_fail(cause, -EINVAL, _("'%s' is no station name"), station);
			return NULL;
		}
		if (*c == '\'')
			lit[j++] = '\'';
		lit[j++] = *c;
	}
	lit[j] = '\0';
	return util_asprintf("-- station %s writes as login %s (custos-register(5))\n"
			     "SET client_min_messages = warning;\n"
			     "DO $$ BEGIN\n"
			     "  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '%s') THEN\n"
			     "    CREATE ROLE %s LOGIN; END IF;\n"
			     "END $$;\n"
			     "GRANT custos_station TO %s;\n"
			     "INSERT INTO station_logins(station, login) VALUES ('%s', '%s')"
			     " ON CONFLICT (station) DO UPDATE SET login = EXCLUDED.login,"
			     " since = now();\n", lit, login, login, login, login, lit, login);
}

static char *schema_text;

/* The media table from media_fields. */
static char *media_schema(void)
{
	char *s = util_asprintf("CREATE TABLE IF NOT EXISTS media ("
				" station TEXT NOT NULL REFERENCES stations(name)");

	for (size_t i = 0; s && i < N_MFIELDS; i++) {
		const struct mfield *f = &media_fields[i];
		char *n = util_asprintf("%s, %s %s NOT NULL", s, f->name,
					f->kind == MF_TEXT ? "TEXT" :
					f->kind == MF_BOOL ? "BOOLEAN" : "BIGINT");

		free(s);
		s = n;
	}
	if (s) {
		char *n = util_asprintf("%s, PRIMARY KEY (station, id));\n", s);

		free(s);
		s = n;
	}
	/* a centre set up by an older custos gains the fields added since
	 * (re-running init-server --apply is the migration) */
	for (size_t i = 0; s && i < N_MFIELDS; i++) {
		const struct mfield *f = &media_fields[i];
		char *n = util_asprintf("%sALTER TABLE media ADD COLUMN IF NOT EXISTS %s %s NOT NULL"
					" DEFAULT %s;\n", s, f->name,
					f->kind == MF_TEXT ? "TEXT" :
					f->kind == MF_BOOL ? "BOOLEAN" : "BIGINT",
					f->kind == MF_TEXT ? "''" : f->kind == MF_BOOL ? "false" : "0");

		free(s);
		s = n;
	}
	return s;
}

const char *register_central_schema_sql(void)
{
	if (!schema_text) {
		char *media = media_schema();

		if (media)
			schema_text = util_asprintf("-- custos central register (custos-register(5))\n"
						    "SET client_min_messages = warning;\n%s%s%s",
						    schema_head, media, schema_tail);
		free(media);
	}
	return schema_text;
}

/* ---- connections ---------------------------------------------------------- */

static int pg_connect(const char *conninfo, PGconn **out, char **cause)
{
	/* a bounded wait for an unreachable server (the station screen and a
	 * sanitization plan look media up); the conninfo may set its own */
	static const char *const keys[] = { "connect_timeout", "dbname", NULL };
	const char *vals[] = { "5", conninfo, NULL };
	PGconn *c = PQconnectdbParams(keys, vals, 1);
	char *msg;

	*out = NULL;
	if (!c)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	if (PQstatus(c) != CONNECTION_OK) {
		msg = strdup(PQerrorMessage(c));
		if (msg)
			util_strstrip(msg);
		util_fail(cause, -EHOSTUNREACH, _("central register unreachable (%s): %s"), conninfo,
			  msg ? msg : "?");
		free(msg);
		PQfinish(c);
		return -EHOSTUNREACH;
	}
	PQsetErrorVerbosity(c, PQERRORS_TERSE);
	*out = c;
	return 0;
}

static int pg_fail(PGconn *c, PGresult *r, char **cause, const char *what)
{
	char *msg = strdup(PQerrorMessage(c));
	int rc = PQstatus(c) != CONNECTION_OK ? -EHOSTUNREACH : -EIO;

	if (msg)
		util_strstrip(msg);
	util_fail(cause, rc, _("central register: %s: %s"), what, msg ? msg : "?");
	free(msg);
	PQclear(r);
	return rc;
}

static int pg_exec(PGconn *c, const char *sql, char **cause)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType s = PQresultStatus(r);

	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		return pg_fail(c, r, cause, sql);
	PQclear(r);
	return 0;
}

/* A query with text parameters; *@out holds the result on success. */
static int pg_query(PGconn *c, const char *sql, int n, const char *const *params,
		    PGresult **out, char **cause)
{
	PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);
	ExecStatusType s = PQresultStatus(r);

	*out = NULL;
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		return pg_fail(c, r, cause, "query");
	*out = r;
	return 0;
}

int register_central_init(const char *conninfo, char **cause)
{
	const char *sql = register_central_schema_sql();

	if (!sql)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	return register_central_apply(conninfo, sql, cause);
}

int register_central_apply(const char *conninfo, const char *sql, char **cause)
{
	PGconn *c;
	int rc;

	rc = pg_connect(conninfo, &c, cause);
	if (rc < 0)
		return rc;
	rc = pg_exec(c, "BEGIN", cause);
	if (rc == 0)
		rc = pg_exec(c, sql, cause);
	if (rc == 0)
		rc = pg_exec(c, "COMMIT", cause);
	PQfinish(c);
	return rc;
}

/* ---- push ----------------------------------------------------------------- */

static int push_station(PGconn *c, const struct station *st, char **cause)
{
	const char *p[4] = { st->name, st->org, st->prefix, st->fingerprint };
	PGresult *r = PQexecParams(c, "SELECT custos_register_station($1, $2, $3, $4)", 4, NULL,
				   p, NULL, NULL, 0);
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		PQclear(r);
		return 0;
	}
	if (state && strcmp(state, "42883") == 0) {	/* undefined_function */
		PQclear(r);
		return util_fail(cause, -EIO, _("the central register was set up by an older "
				 "custos: its administrator runs 'custos register init-server "
				 "--apply CONNINFO' again (custos-register(5))"));
	}
	return pg_fail(c, r, cause, "station");
}

/* The station's key history (keys/), public keys included. */
/* The station's keys the centre verifies its chain and certificates with:
 * those of its keyring its register introduced (the first key, the new key
 * of each key-rotated event); a key merely dropped into keys/ stays home. */
static int push_keys(PGconn *c, struct register_db *db, const struct station *st, char **cause)
{
	struct keyring_key *k = NULL;
	size_t n = 0;
	int rc = keyring_list(st->state_dir, &k, &n, cause);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		struct sign_key *key = NULL;
		char *pem = NULL;
		PGresult *r = NULL;
		bool introduced = false;

		rc = register_key_introduced(db, k[i].fingerprint, &introduced, cause);
		if (rc < 0 || !introduced)
			continue;
		rc = keyring_find(st->state_dir, k[i].fingerprint, &key, NULL, cause);
		if (rc == 0)
			rc = sign_public_pem(key, &pem);
		if (rc == 0) {
			const char *p[5] = { st->name, k[i].fingerprint, k[i].key_type, pem,
					     k[i].valid_from };

			rc = pg_query(c, "INSERT INTO station_keys(station, fpr, key_type, public_pem,"
				      " valid_from) VALUES ($1, $2, $3, $4, $5)"
				      " ON CONFLICT DO NOTHING", 5, p, &r, cause);
		} else if (cause && !*cause) {
			util_fail(cause, rc, _("cannot read key %s"), k[i].fingerprint);
		}
		PQclear(r);
		free(pem);
		sign_key_free(key);
	}
	free(k);
	return rc;
}

/* The station's newest seq and hash at the centre (0, genesis when none). */
static char *media_upsert_sql(void);

/* The statements a push uses, prepared once per connection. */
static int push_prepare(PGconn *c, char **cause)
{
	char *sql;
	PGresult *r = PQprepare(c, "ins_event", "INSERT INTO events(station, seq, media_id, at,"
				" kind, operator, station_name, details, prev_hash, hash)"
				" VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)", 10, NULL);

	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		return pg_fail(c, r, cause, "prepare");
	PQclear(r);
	r = PQprepare(c, "ins_sig", "INSERT INTO event_signatures(station, seq, key_fpr, sig)"
		      " VALUES ($1, $2, $3, $4)", 4, NULL);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		return pg_fail(c, r, cause, "prepare");
	PQclear(r);
	sql = media_upsert_sql();
	if (!sql)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	r = PQprepare(c, "upsert_media", sql, (int)N_MFIELDS + 1, NULL);
	free(sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		return pg_fail(c, r, cause, "prepare");
	PQclear(r);
	return 0;
}

/* The writes of one push go out in one pipeline (one round trip), COMMIT
 * included; their results are read by batch_finish(). */
struct batch {
	PGconn *c;
	int sent;
	int count_from;			/* results from here on count certificates */
	int64_t counted;
	char certs_mark[48];		/* the certificate rows sent (cert_mark()) */
};

static int batch_send(struct batch *b, const char *stmt, const char *sql, int n,
		      const char *const *p, char **cause)
{
	int ok = stmt ? PQsendQueryPrepared(b->c, stmt, n, p, NULL, NULL, 0) :
		 PQsendQueryParams(b->c, sql, n, NULL, p, NULL, NULL, 0);

	if (!ok)
		return pg_fail(b->c, NULL, cause, "send");
	b->sent++;
	return 0;
}

/* Read every result: 0 when all succeeded (the COMMIT last among them). */
static int batch_finish(struct batch *b, char **cause)
{
	PGresult *r;
	int rc = 0;

	if (!PQpipelineSync(b->c))
		return pg_fail(b->c, NULL, cause, "sync");
	for (int i = 0; i < b->sent; i++) {
		r = PQgetResult(b->c);
		if (rc == 0 && PQresultStatus(r) != PGRES_COMMAND_OK &&
		    PQresultStatus(r) != PGRES_TUPLES_OK) {
			char *msg = strdup(PQresultErrorMessage(r));

			if (msg)
				util_strstrip(msg);
			rc = util_fail(cause, -EIO, _("central register: append: %s"),
				       msg && *msg ? msg : "aborted");
			free(msg);
		} else if (rc == 0 && i >= b->count_from) {
			b->counted += strtoll(PQcmdTuples(r), NULL, 10);
		}
		PQclear(r);
		while ((r = PQgetResult(b->c)))	/* the NULL that ends each query */
			PQclear(r);
	}
	r = PQgetResult(b->c);			/* PGRES_PIPELINE_SYNC */
	PQclear(r);
	while ((r = PQgetResult(b->c)))
		PQclear(r);
	if (!PQexitPipelineMode(b->c) && rc == 0)
		rc = pg_fail(b->c, NULL, cause, "pipeline");
	return rc;
}

static int push_events(struct batch *b, struct register_db *db, const char *station, int64_t after,
		       struct register_push_result *res, char **cause)
{
	sqlite3_stmt *s;
	int rc = register_cached(db, "SELECT " REGISTER_EVENT_COLS " FROM events WHERE seq > ?1"
				 " ORDER BY seq", &s, cause);

	if (rc < 0)
		return rc;
	sqlite3_bind_int64(s, 1, after);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct register_event ev;
		char seq[24], mid[24];
		const char *p[10];

		rc = register_row_to_event(s, &ev);
		if (rc < 0)
			break;
		snprintf(seq, sizeof(seq), "%" PRId64, ev.seq);
		snprintf(mid, sizeof(mid), "%" PRId64, ev.media_id);
		p[0] = station; p[1] = seq; p[2] = mid; p[3] = ev.at; p[4] = ev.kind;
		p[5] = ev.operator_name; p[6] = ev.station; p[7] = ev.details;
		p[8] = ev.prev_hash; p[9] = ev.hash;
		rc = batch_send(b, "ins_event", NULL, 10, p, cause);
		free(ev.details);
		if (rc < 0)
			break;
		res->events++;
	}
	register_release(s);
	return rc == SQLITE_DONE ? 0 : rc < 0 ? rc : register_sql_fail(db, cause, "read events");
}

static int push_signatures(struct batch *b, struct register_db *db, const char *station, int64_t after,
			   struct register_push_result *res, char **cause)
{
	sqlite3_stmt *s;
	int rc = register_cached(db, "SELECT e.seq, s.key_fpr, s.sig FROM event_signatures s"
				 " JOIN events e ON e.id = s.event_id WHERE e.seq > ?1"
				 " ORDER BY e.seq", &s, cause);

	if (rc < 0)
		return rc;
	sqlite3_bind_int64(s, 1, after);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *p[4] = { station, (const char *)sqlite3_column_text(s, 0),
				     (const char *)sqlite3_column_text(s, 1),
				     (const char *)sqlite3_column_text(s, 2) };

		rc = batch_send(b, "ins_sig", NULL, 4, p, cause);
		if (rc < 0)
			break;
		res->signatures++;
	}
	register_release(s);
	return rc == SQLITE_DONE ? 0 : rc < 0 ? rc : register_sql_fail(db, cause, "read signatures");
}

/* "INSERT INTO media(station, <fields>) VALUES ... ON CONFLICT DO UPDATE" */
static char *media_upsert_sql(void)
{
	char *cols = strdup("station"), *vals = strdup("$1"), *set = strdup(""), *sql;

	for (size_t i = 0; cols && vals && set && i < N_MFIELDS; i++) {
		const char *n = media_fields[i].name;
		char *a = util_asprintf("%s, %s", cols, n);
		char *b = util_asprintf("%s, $%zu", vals, i + 2);
		char *d = util_asprintf("%s%s%s = EXCLUDED.%s", set, *set ? ", " : "", n, n);

		free(cols);
		free(vals);
		free(set);
		cols = a;
		vals = b;
		set = d;
	}
	sql = cols && vals && set ? util_asprintf("INSERT INTO media(%s) VALUES (%s) ON CONFLICT"
						  " (station, id) DO UPDATE SET %s", cols, vals,
						  set) : NULL;
	free(cols);
	free(vals);
	free(set);
	return sql;
}

static int push_one_media(struct batch *b, const char *station,
			  const struct register_media *m, char **cause)
{
	char bufs[N_MFIELDS][32];
	const char *p[N_MFIELDS + 1];

	p[0] = station;
	for (size_t i = 0; i < N_MFIELDS; i++) {
		p[i + 1] = mfield_get(m, &media_fields[i], bufs[i], sizeof(bufs[i]));
		if (media_fields[i].kind == MF_BOOL)
			p[i + 1] = *p[i + 1] == '1' ? "true" : "false";
	}
	return batch_send(b, "upsert_media", NULL, (int)N_MFIELDS + 1, p, cause);
}

/* The media rows the new events touched (all of them on the first push). */
static int push_media(struct batch *b, struct register_db *db, const char *station, int64_t after,
		      struct register_push_result *res, char **cause)
{
	sqlite3_stmt *s = NULL;
	/* the rows as stored (register verify compares them with their events) */
	int rc = register_cached(db, "SELECT " REGISTER_MEDIA_COLS " FROM media WHERE id IN"
				 " (SELECT media_id FROM events WHERE seq > ?1)", &s, cause);

	if (rc < 0)
		return rc;
	sqlite3_bind_int64(s, 1, after);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct register_media m;

		register_row_to_media(s, &m);
		rc = push_one_media(b, station, &m, cause);
		if (rc < 0)
			break;
		res->media++;
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = register_sql_fail(db, cause, "read media");
	register_release(s);
	return rc;
}

struct register_central {
	PGconn *conn;
	char station[128];		/* whose keys this connection has sent */
	char certs_sent[48];		/* cert_mark() of the rows sent, "" at first */
	bool tail_known;		/* the station's chain at the centre ends at */
	int64_t tail_seq;		/* tail_seq after this connection's last push */
};

/* What changes when a certificate row is added: their number and newest
 * rowid (certificate rows are append-only). */
static int cert_mark(struct register_db *db, char *mark, size_t size, char **cause)
{
	sqlite3_stmt *s = NULL;
	int rc = register_cached(db, "SELECT COUNT(*), COALESCE(MAX(rowid), 0) FROM certificates",
				 &s, cause);

	if (rc < 0)
		return rc;
	if (sqlite3_step(s) == SQLITE_ROW)
		snprintf(mark, size, "%lld:%lld", (long long)sqlite3_column_int64(s, 0),
			 (long long)sqlite3_column_int64(s, 1));
	else
		rc = register_sql_fail(db, cause, "read certificates");
	register_release(s);
	return rc;
}

/* The certificate rows (the centre ignores those it holds), unless none
 * was added since this connection last sent them. */
static int push_certificates(struct batch *b, struct register_central *h, struct register_db *db,
			     const char *station, char **cause)
{
	struct register_cert *cs = NULL;
	char mark[48];
	size_t n = 0;
	int rc = cert_mark(db, mark, sizeof(mark), cause);

	if (rc < 0 || (strcmp(mark, h->certs_sent) == 0 && strcmp(h->station, station) == 0))
		return rc;
	rc = register_list_certificates(db, 0, &cs, &n, cause);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		char mid[24];
		const char *p[7] = { cs[i].id, station, mid, cs[i].kind, cs[i].issued_at,
				     cs[i].json ? cs[i].json : "", cs[i].event_hash };

		snprintf(mid, sizeof(mid), "%" PRId64, cs[i].media_id);
		rc = batch_send(b, NULL, "INSERT INTO certificates(id, station, media_id, kind,"
				" issued_at, json, event_hash) VALUES ($1, $2, $3, $4, $5, $6, $7)"
				" ON CONFLICT DO NOTHING", 7, p, cause);
	}
	register_certs_free(cs, n);
	if (rc == 0)	/* kept only once the push commits (push_to) */
		util_strlcpy(b->certs_mark, mark, sizeof(b->certs_mark));
	return rc;
}

int register_central_open(const char *conninfo, struct register_central **out, char **cause)
{
	struct register_central *c = calloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	if (!c)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	rc = pg_connect(conninfo, &c->conn, cause);
	if (rc == 0)
		rc = push_prepare(c->conn, cause);
	if (rc < 0) {
		register_central_close(c);
		return rc;
	}
	*out = c;
	return 0;
}

void register_central_close(struct register_central *c)
{
	if (!c)
		return;
	if (c->conn)
		PQfinish(c->conn);
	free(c);
}

/* BEGIN, the station's push lock and its newest event at the centre (seq
 * 0 and the genesis hash when none) in one round trip. */
static int begin_locked(PGconn *c, const char *station, int64_t *seq, char *hash, char **cause)
{
	char *lit = PQescapeLiteral(c, station, strlen(station)), *sql;
	PGresult *r;

	if (!lit)
		return pg_fail(c, NULL, cause, "escape");
	/* one pusher per station at a time; other stations are not held up */
	sql = util_asprintf("BEGIN; SELECT pg_advisory_xact_lock(hashtext('custos-push:' || %s));"
			    " SELECT seq, hash FROM events WHERE station = %s"
			    " ORDER BY seq DESC LIMIT 1", lit, lit);
	PQfreemem(lit);
	if (!sql)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	r = PQexec(c, sql);	/* the last statement's result */
	free(sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_fail(c, r, cause, "lock");
	*seq = 0;
	util_strlcpy(hash, GENESIS, 65);
	if (PQntuples(r) == 1) {
		*seq = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		util_strlcpy(hash, PQgetvalue(r, 0, 1), 65);
	}
	PQclear(r);
	return 0;
}

/* The events after @cseq, their signatures, the media rows they changed,
 * the certificates and COMMIT, into the pipeline @b; then every result. */
static int push_batch(struct register_central *h, struct batch *b, struct register_db *db,
		      const struct station *st, int64_t cseq, struct register_push_result *res,
		      char **cause)
{
	int rc = push_events(b, db, st->name, cseq, res, cause);

	if (rc == 0)
		rc = push_signatures(b, db, st->name, cseq, res, cause);
	if (rc == 0)
		rc = push_media(b, db, st->name, cseq, res, cause);
	b->count_from = b->sent;
	if (rc == 0 && (res->events > 0 || h->station[0] == '\0'))
		rc = push_certificates(b, h, db, st->name, cause);
	if (rc == 0)
		rc = batch_send(b, NULL, "COMMIT", 0, NULL, cause);
	/* every result read, also after a failure (the pipeline must end) */
	if (batch_finish(b, rc < 0 ? NULL : cause) < 0 && rc == 0)
		rc = -EIO;
	res->certificates = b->counted;
	if (rc == 0 && b->certs_mark[0])
		util_strlcpy(h->certs_sent, b->certs_mark, sizeof(h->certs_sent));
	res->central_seq = cseq + res->events;
	return rc;
}

static int push_locked(struct register_central *h, struct register_db *db,
		       const struct station *st, struct register_push_result *res, char **cause)
{
	struct batch b = { .c = h->conn, .count_from = INT32_MAX };
	char chash[65], lhash[65];
	PGconn *c = h->conn;
	int64_t cseq = 0;
	int rc = begin_locked(c, st->name, &cseq, chash, cause);

	/* the station and its key history: once per connection */
	if (rc == 0 && strcmp(h->station, st->name) != 0) {
		rc = push_station(c, st, cause);
		if (rc == 0)
			rc = push_keys(c, db, st, cause);
	}
	if (rc == 0 && cseq > 0)
		rc = register_chain_hash_at(db, cseq, lhash, cause);
	if (rc < 0)
		return rc;
	if (cseq > 0 && !lhash[0])
		return util_fail(cause, -EBADMSG, _("the central register holds event %" PRId64
				 " of station %s, the local register ends before it: the local "
				 "register was truncated or rolled back"), cseq, st->name);
	if (cseq > 0 && strcmp(lhash, chash) != 0)
		return util_fail(cause, -EBADMSG, _("event %" PRId64 " of station %s differs between "
				 "the local register (%.16s...) and the central one (%.16s...): one "
				 "of them was rewritten"), cseq, st->name, lhash, chash);
	if (!PQenterPipelineMode(c))
		return pg_fail(c, NULL, cause, "pipeline");
	return push_batch(h, &b, db, st, cseq, res, cause);
}

/* A push in one round trip, when this connection's last push left the
 * station's chain at the centre at h->tail_seq: BEGIN, the lock, the events
 * after it, COMMIT in one pipeline.  Should the centre's chain have moved
 * meanwhile, its trigger refuses the first event (it must extend the chain
 * there) and nothing is written; the caller then pushes the checked way. */
static int push_fast(struct register_central *h, struct register_db *db,
		     const struct station *st, struct register_push_result *res, char **cause)
{
	struct batch b = { .c = h->conn, .count_from = INT32_MAX };
	const char *p[1] = { st->name };
	int rc;

	if (!PQenterPipelineMode(h->conn))
		return pg_fail(h->conn, NULL, cause, "pipeline");
	rc = batch_send(&b, NULL, "BEGIN", 0, NULL, cause);
	if (rc == 0)
		rc = batch_send(&b, NULL, "SELECT pg_advisory_xact_lock(hashtext('custos-push:'"
				" || $1))", 1, p, cause);
	if (rc < 0) {
		batch_finish(&b, NULL);
		return rc;
	}
	return push_batch(h, &b, db, st, h->tail_seq, res, cause);
}

static void rollback_push(struct register_central *c, struct register_push_result *res)
{
	PGresult *r = PQexec(c->conn, "ROLLBACK");

	PQclear(r);
	memset(res, 0, sizeof(*res));
	c->tail_known = false;
}

int register_central_push_to(struct register_central *c, struct register_db *db,
			     const struct station *st, struct register_push_result *res,
			     char **cause)
{
	int rc;

	memset(res, 0, sizeof(*res));
	rc = register_check_head(db, cause);
	if (rc < 0)
		return rc;
	if (c->tail_known && strcmp(c->station, st->name) == 0) {
		char *why = NULL;

		rc = push_fast(c, db, st, res, &why);
		free(why);
		if (rc == 0)
			goto done;
		rollback_push(c, res);	/* the chain moved: the checked way */
	}
	rc = push_locked(c, db, st, res, cause);
	if (rc < 0) {
		rollback_push(c, res);
		return rc;
	}
	util_strlcpy(c->station, st->name, sizeof(c->station));
done:
	c->tail_seq = res->central_seq;
	c->tail_known = true;
	return 0;
}

int register_central_push(struct register_db *db, const struct station *st, const char *conninfo,
			  struct register_push_result *res, char **cause)
{
	struct register_central *c;
	int rc;

	memset(res, 0, sizeof(*res));
	rc = register_central_open(conninfo, &c, cause);
	if (rc < 0)
		return rc;
	rc = register_central_push_to(c, db, st, res, cause);
	register_central_close(c);
	return rc;
}

/* ---- verify --------------------------------------------------------------- */

/* A key the centre holds for a station (station_keys). */
struct ckey {
	char fpr[65];
	struct sign_key *key;		/* NULL: its PEM does not load */
};

/* A station's keys: those the centre holds, and those its chain
 * introduced (its first key, then the new key of each key-rotated event,
 * in seq order); only the latter verify its events and certificates. */
struct station_keys {
	struct ckey *k;
	size_t n;
	struct keyring_fprs chain;
};

/* A key-rotated event of the chain (verify_chain collects them). */
struct rotation {
	int64_t seq;
	char old[65], new[65];
};

/* What verify_chain learns of a station's chain. */
struct chain_info {
	int64_t last_seq;
	char last_hash[65];
	struct rotation *rot;		/* in seq order */
	size_t n_rot;
};

static void keys_free(struct station_keys *k)
{
	for (size_t i = 0; i < k->n; i++)
		sign_key_free(k->k[i].key);
	free(k->k);
	keyring_fprs_free(&k->chain);
	memset(k, 0, sizeof(*k));
}

static int load_keys(PGconn *c, const char *station, struct station_keys *k, char **cause)
{
	const char *p[1] = { station };
	PGresult *r;
	int rc = pg_query(c, "SELECT fpr, public_pem FROM station_keys WHERE station = $1"
			  " ORDER BY fpr", 1, p, &r, cause);

	if (rc < 0)
		return rc;
	k->k = calloc((size_t)PQntuples(r) + 1, sizeof(*k->k));
	if (!k->k) {
		PQclear(r);
		return util_fail(cause, -ENOMEM, _("out of memory"));
	}
	for (int i = 0; i < PQntuples(r); i++) {
		const char *pem = PQgetvalue(r, i, 1);
		struct ckey *ck = &k->k[k->n++];

		util_strlcpy(ck->fpr, PQgetvalue(r, i, 0), sizeof(ck->fpr));
		if (sign_load_public_pem(pem, strlen(pem), &ck->key, NULL) < 0)
			ck->key = NULL;
	}
	PQclear(r);
	return 0;
}

static const struct sign_key *key_of(const struct station_keys *k, const char *fpr)
{
	for (size_t i = 0; i < k->n; i++)
		if (strcmp(k->k[i].fpr, fpr) == 0)
			return k->k[i].key;
	return NULL;
}

static bool is_hex(const char *s, size_t len)
{
	return strlen(s) == len && strspn(s, "0123456789abcdef") == len;
}

/* The statement register-chain.c signs for an event, checked with @key. */
static int check_sig(const struct sign_key *key, int64_t seq, const char *hash,
		     const char *sighex)
{
	unsigned char sig[512];
	char msg[160];
	size_t len = strlen(sighex) / 2;
	int n;

	/* a hash from the centre is not trusted to be one */
	if (!is_hex(hash, 64) || !is_hex(sighex, 2 * len) || len > sizeof(sig))
		return -EBADMSG;
	n = snprintf(msg, sizeof(msg), "custos-register-head-v1\nseq=%lld\nhash=%s\n",
		     (long long)seq, hash);
	if (n < 0 || (size_t)n >= sizeof(msg))
		return -EBADMSG;
	for (size_t i = 0; i < len; i++) {
		unsigned v;

		if (sscanf(sighex + 2 * i, "%2x", &v) != 1)
			return -EBADMSG;
		sig[i] = (unsigned char)v;
	}
	if (!key)
		return -ENOKEY;
	return sign_verify(key, msg, (size_t)n, sig, len);
}

__attribute__((format(printf, 4, 5)))
static void verify_fail(struct register_central_verify *v, const char *station, int64_t seq,
			const char *fmt, ...)
{
	va_list ap;

	if (!v->ok)
		return;
	v->ok = false;
	util_strlcpy(v->station, station, sizeof(v->station));
	v->seq = seq;
	va_start(ap, fmt);
	vsnprintf(v->message, sizeof(v->message), fmt, ap);
	va_end(ap);
}

/* A key-rotated event's fingerprints into @ci->rot. */
static int note_rotation(struct chain_info *ci, int64_t seq, const char *details)
{
	json_t *d = json_loads(details, 0, NULL);
	const char *o = json_string_value(json_object_get(d, "old_fingerprint"));
	const char *n = json_string_value(json_object_get(d, "new_fingerprint"));
	struct rotation *r = realloc(ci->rot, (ci->n_rot + 1) * sizeof(*r));

	if (!r) {
		json_decref(d);
		return -ENOMEM;
	}
	ci->rot = r;
	r += ci->n_rot++;
	r->seq = seq;
	util_strlcpy(r->old, o && is_hex(o, 64) ? o : "", sizeof(r->old));
	util_strlcpy(r->new, n && is_hex(n, 64) ? n : "", sizeof(r->new));
	json_decref(d);
	return 0;
}

/* Stream one station's chain (single-row mode) and recompute it; its
 * key-rotated events into @ci. */
static int verify_chain(PGconn *c, const char *station, struct register_central_verify *v,
			struct chain_info *ci, char **cause)
{
	const char *p[1] = { station };
	char prev[65] = GENESIS;
	int64_t expect = 1;
	PGresult *r;
	int rc = 0;

	if (!PQsendQueryParams(c, "SELECT seq, media_id, at, kind, operator, station_name,"
			       " details, prev_hash, hash FROM events WHERE station = $1"
			       " ORDER BY seq", 1, NULL, p, NULL, NULL, 0) ||
	    !PQsetSingleRowMode(c))
		return pg_fail(c, NULL, cause, "read events");
	while ((r = PQgetResult(c))) {
		struct register_event ev = { 0 };
		char h[65];

		if (PQresultStatus(r) == PGRES_TUPLES_OK || rc < 0) {
			PQclear(r);
			continue;
		}
		if (PQresultStatus(r) != PGRES_SINGLE_TUPLE) {
			PGresult *x;

			while ((x = PQgetResult(c)))
				PQclear(x);
			return pg_fail(c, r, cause, "read events");
		}
		ev.seq = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		ev.media_id = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
		util_strlcpy(ev.at, PQgetvalue(r, 0, 2), sizeof(ev.at));
		util_strlcpy(ev.kind, PQgetvalue(r, 0, 3), sizeof(ev.kind));
		util_strlcpy(ev.operator_name, PQgetvalue(r, 0, 4), sizeof(ev.operator_name));
		util_strlcpy(ev.station, PQgetvalue(r, 0, 5), sizeof(ev.station));
		ev.details = PQgetvalue(r, 0, 6);
		util_strlcpy(ev.prev_hash, PQgetvalue(r, 0, 7), sizeof(ev.prev_hash));
		util_strlcpy(ev.hash, PQgetvalue(r, 0, 8), sizeof(ev.hash));
		register_event_hash(&ev, h);
		if (ev.seq != expect)
			verify_fail(v, station, expect, _("station %s: event %lld is missing"), station,
				    (long long)expect);
		else if (strcmp(ev.prev_hash, prev) != 0)
			verify_fail(v, station, ev.seq, _("station %s: event %lld does not link to its "
				    "predecessor"), station, (long long)ev.seq);
		else if (strcmp(h, ev.hash) != 0)
			verify_fail(v, station, ev.seq, _("station %s: event %lld was altered (hash "
				    "%.16s...)"), station, (long long)ev.seq, h);
		if (strcmp(ev.kind, "key-rotated") == 0)
			rc = note_rotation(ci, ev.seq, ev.details);
		util_strlcpy(prev, ev.hash, sizeof(prev));
		expect = ev.seq + 1;
		v->events++;
		PQclear(r);
	}
	if (rc < 0)
		return util_fail(cause, rc, _("out of memory"));
	util_strlcpy(ci->last_hash, prev, sizeof(ci->last_hash));
	ci->last_seq = expect - 1;
	return 0;
}

/* One event's signature rows (the first two; a key-rotated event has two). */
struct sig_group {
	int64_t seq;
	const char *hash;
	size_t n;
	int row[2];
};

/* The signature of @g by @fpr verifies (a failure named, false). */
static bool group_sig_ok(PGresult *r, const struct sig_group *g, const char *fpr,
			 const struct station_keys *k, const char *station,
			 struct register_central_verify *v)
{
	int ok = -ENOKEY;

	for (size_t i = 0; i < g->n && i < 2; i++)
		if (strcmp(PQgetvalue(r, g->row[i], 2), fpr) == 0)
			ok = check_sig(key_of(k, fpr), g->seq, g->hash, PQgetvalue(r, g->row[i], 3));
	if (ok == 0) {
		v->signatures++;
		return true;
	}
	if (ok == -ENOKEY)
		verify_fail(v, station, g->seq, _("station %s: event %lld is signed by key %.16s... "
			    "the centre does not hold for it"), station, (long long)g->seq, fpr);
	else
		verify_fail(v, station, g->seq, _("station %s: the signature of event %lld does "
			    "not verify"), station, (long long)g->seq);
	return false;
}

/* The key walk over a station's signed events, in seq order. */
struct key_walk {
	const struct chain_info *ci;
	size_t next_rot;		/* the next key-rotated event */
	int64_t first_signed, prev_seq, good_seq;
	char active[65];		/* the key the chain is signed with now */
	bool all;
};

static int walk_rotation(struct key_walk *w, PGresult *r, const struct sig_group *g,
			 struct station_keys *k, const char *station,
			 struct register_central_verify *v)
{
	const struct rotation *ro = &w->ci->rot[w->next_rot++];

	if (!ro->old[0] || !ro->new[0] || g->n != 2) {
		verify_fail(v, station, g->seq, _("station %s: event %lld (key-rotated) is not "
			    "signed by both the old and the new key it names"), station,
			    (long long)g->seq);
		return 0;
	}
	if (w->active[0] && strcmp(ro->old, w->active) != 0) {
		verify_fail(v, station, g->seq, _("station %s: event %lld (key-rotated) retires key "
			    "%.16s..., but the chain was signed with %.16s..."), station,
			    (long long)g->seq, ro->old, w->active);
		return 0;
	}
	if (!group_sig_ok(r, g, ro->old, k, station, v) ||
	    !group_sig_ok(r, g, ro->new, k, station, v))
		return 0;
	util_strlcpy(w->active, ro->new, sizeof(w->active));
	w->good_seq = g->seq;
	if (keyring_fprs_add(&k->chain, ro->old) < 0 ||
	    keyring_fprs_add(&k->chain, ro->new) < 0)
		return -ENOMEM;
	return 0;
}

/* One signed event of the walk. */
static int walk_group(struct key_walk *w, PGresult *r, const struct sig_group *g,
		      struct station_keys *k, const char *station,
		      struct register_central_verify *v)
{
	const char *fpr = PQgetvalue(r, g->row[0], 2);
	const struct chain_info *ci = w->ci;

	if (w->next_rot < ci->n_rot && ci->rot[w->next_rot].seq < g->seq)
		verify_fail(v, station, ci->rot[w->next_rot].seq, _("station %s: event %lld "
			    "(key-rotated) carries no signature"), station,
			    (long long)ci->rot[w->next_rot].seq);
	else if (w->all && w->first_signed && g->seq != w->prev_seq + 1)
		verify_fail(v, station, w->prev_seq + 1, _("station %s: event %lld has no "
			    "signature, although event %lld and later ones are signed"), station,
			    (long long)w->prev_seq + 1, (long long)w->first_signed);
	if (!v->ok)
		return 0;
	if (!w->first_signed)
		w->first_signed = g->seq;
	w->prev_seq = g->seq;
	if (w->next_rot < ci->n_rot && ci->rot[w->next_rot].seq == g->seq)
		return walk_rotation(w, r, g, k, station, v);
	if (!w->active[0]) {		/* the station's first key: its first signer */
		util_strlcpy(w->active, fpr, sizeof(w->active));
		if (keyring_fprs_add(&k->chain, fpr) < 0)
			return -ENOMEM;
	}
	if (g->n != 1 || strcmp(fpr, w->active) != 0) {
		verify_fail(v, station, g->seq, _("station %s: event %lld is signed by key %.16s..., "
			    "which the station's chain did not introduce (the chain's key there is "
			    "%.16s...; no key-rotated event names it)"), station, (long long)g->seq,
			    g->n != 1 ? PQgetvalue(r, g->row[1], 2) : fpr, w->active);
		return 0;
	}
	/* the first signed event proves the first key; the newest the chain */
	if ((w->all || g->seq == w->first_signed || g->seq == ci->last_seq) &&
	    group_sig_ok(r, g, fpr, k, station, v))
		w->good_seq = g->seq;
	return 0;
}

/* The signature rows the walk needs, by seq: every one with @all, else
 * those of the first signed event, the key-rotated ones and the newest. */
static int read_sigs(PGconn *c, const char *station, bool all, const struct chain_info *ci,
		     PGresult **r, char **cause)
{
	char seq[24], *rots = strdup("{");
	const char *p[3] = { station, seq, NULL };
	int rc;

	for (size_t i = 0; rots && i < ci->n_rot; i++) {
		char *n = util_asprintf("%s%s%lld", rots, i ? "," : "", (long long)ci->rot[i].seq);

		free(rots);
		rots = n;
	}
	if (rots) {
		char *n = util_asprintf("%s}", rots);

		free(rots);
		rots = n;
	}
	if (!rots)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	p[2] = rots;
	snprintf(seq, sizeof(seq), "%" PRId64, ci->last_seq);
	if (all)
		rc = pg_query(c, "SELECT s.seq, e.hash, s.key_fpr, s.sig FROM event_signatures s"
			      " JOIN events e ON e.station = s.station AND e.seq = s.seq"
			      " WHERE s.station = $1 ORDER BY s.seq, s.key_fpr", 1, p, r, cause);
	else
		rc = pg_query(c, "SELECT s.seq, e.hash, s.key_fpr, s.sig FROM event_signatures s"
			      " JOIN events e ON e.station = s.station AND e.seq = s.seq"
			      " WHERE s.station = $1 AND s.seq IN (SELECT unnest($3::bigint[])"
			      " UNION SELECT $2::bigint UNION SELECT min(f.seq) FROM event_signatures f"
			      " WHERE f.station = $1) ORDER BY s.seq, s.key_fpr", 3, p, r, cause);
	free(rots);
	return rc;
}

/* The key chain (first key, key-rotated events in seq order) and the
 * signatures: the newest event's (every event's with @all) by the key the
 * chain was signed with there.  @k->chain gets the keys the chain
 * introduced (@registered, the station's key, when no event is signed). */
static int verify_sigs(PGconn *c, const char *station, const char *registered, bool all,
		       const struct chain_info *ci, struct station_keys *k,
		       struct register_central_verify *v, char **cause)
{
	struct key_walk w = { .ci = ci, .good_seq = -1, .all = all };
	PGresult *r = NULL;
	int rc = ci->last_seq > 0 ? read_sigs(c, station, all, ci, &r, cause) : 0;

	for (int i = 0; rc == 0 && v->ok && r && i < PQntuples(r);) {
		struct sig_group g = { .seq = strtoll(PQgetvalue(r, i, 0), NULL, 10),
				       .hash = PQgetvalue(r, i, 1) };

		for (; i < PQntuples(r) && strtoll(PQgetvalue(r, i, 0), NULL, 10) == g.seq; i++)
			if (g.n++ < 2)
				g.row[g.n - 1] = i;
		rc = walk_group(&w, r, &g, k, station, v);
	}
	PQclear(r);
	if (rc == 0 && v->ok && w.next_rot < ci->n_rot)
		verify_fail(v, station, ci->rot[w.next_rot].seq, _("station %s: event %lld "
			    "(key-rotated) carries no signature"), station,
			    (long long)ci->rot[w.next_rot].seq);
	if (rc == 0 && v->ok && ci->last_seq > 0 && w.good_seq != ci->last_seq)
		verify_fail(v, station, ci->last_seq, _("station %s: its newest event %lld "
			    "(%.16s...) has no valid signature"), station, (long long)ci->last_seq,
			    ci->last_hash);
	if (rc == 0 && !w.first_signed)
		rc = keyring_fprs_add(&k->chain, registered);
	if (rc == -ENOMEM)
		rc = util_fail(cause, rc, _("out of memory"));
	return rc;
}

/* A certificate of @kind belongs to an event of @ev_kind (as register
 * verify checks it locally). */
static bool cert_kind_fits(const char *kind, const char *ev_kind)
{
	if (strcmp(kind, "destruction") == 0)
		return strcmp(ev_kind, "destroyed") == 0;
	return strcmp(ev_kind, "sanitized") == 0 || strcmp(ev_kind, "not-erased") == 0;
}

static const char *cert_doc_field(const json_t *doc, const char *key)
{
	const char *s = json_string_value(json_object_get(json_object_get(doc, "certificate"),
							  key));

	return s ? s : "";
}

/* Columns: 0 id, 1 media_id, 2 kind, 3 json, 4 event_hash, 5 e.seq (NULL:
 * no such event), 6 e.media_id, 7 e.kind, 8 e.details. */
static void check_central_cert(const struct station_keys *k, const char *station, PGresult *r,
			       int i, struct register_central_verify *v)
{
	const char *id = PQgetvalue(r, i, 0), *eh = PQgetvalue(r, i, 4);
	json_t *doc = json_loads(PQgetvalue(r, i, 3), JSON_REJECT_DUPLICATES, NULL);
	json_t *det = PQgetisnull(r, i, 8) ? NULL : json_loads(PQgetvalue(r, i, 8), 0, NULL);
	const char *fpr = json_string_value(json_object_get(json_object_get(doc, "signature"),
							    "key_fingerprint"));
	const char *ecid = json_string_value(json_object_get(det, "certificate_id"));
	const struct sign_key *key = fpr ? key_of(k, fpr) : NULL;
	char *cause = NULL;

	if (!doc || !fpr)
		verify_fail(v, station, 0, _("station %s: certificate %s: the stored row is not a "
			    "signed certificate document"), station, id);
	else if (!keyring_fprs_has(&k->chain, fpr))
		verify_fail(v, station, 0, _("station %s: certificate %s: INVALID: signed by key "
			    "%.16s..., which the station's chain never introduced (neither its first "
			    "key nor one a key-rotated event names)"), station, id, fpr);
	else if (!key)
		verify_fail(v, station, 0, _("station %s: certificate %s: INVALID: signed by key "
			    "%.16s..., which the centre does not hold for the station"), station, id,
			    fpr);
	else if (cert_verify_doc(doc, key, &cause) < 0)
		verify_fail(v, station, 0, _("station %s: certificate %s: INVALID signature: %s (the "
			    "row was edited)"), station, id, cause ? cause : "does not verify");
	else if (strcmp(cert_doc_field(doc, "id"), id) != 0 ||
		 strcmp(cert_doc_field(doc, "register_event_hash"), eh) != 0)
		verify_fail(v, station, 0, _("station %s: certificate %s: the row's id or event hash "
			    "differs from the signed document's"), station, id);
	else if (PQgetisnull(r, i, 5))
		verify_fail(v, station, 0, _("station %s: certificate %s names event %.16s..., which "
			    "is not in the station's chain"), station, id, eh);
	else if ((strtoll(PQgetvalue(r, i, 1), NULL, 10) > 0 &&
		  strcmp(PQgetvalue(r, i, 1), PQgetvalue(r, i, 6)) != 0) ||
		 !cert_kind_fits(PQgetvalue(r, i, 2), PQgetvalue(r, i, 7)) ||
		 (ecid && strcmp(ecid, id) != 0))
		verify_fail(v, station, strtoll(PQgetvalue(r, i, 5), NULL, 10), _("station %s: "
			    "certificate %s does not match event %s (%s) it names: another medium, "
			    "kind or certificate"), station, id, PQgetvalue(r, i, 5),
			    PQgetvalue(r, i, 7));
	else
		v->certificates++;
	free(cause);
	json_decref(det);
	json_decref(doc);
}

/* Every certificate row of @station: its signed document by a key the
 * station's chain introduced, and the event of the chain it names (what
 * register verify checks in a station's own register). */
static int verify_certs(PGconn *c, const char *station, const struct station_keys *k,
			struct register_central_verify *v, char **cause)
{
	const char *p[1] = { station };
	PGresult *r = NULL;
	int rc = pg_query(c, "SELECT c.id, c.media_id, c.kind, c.json, c.event_hash, e.seq,"
			  " e.media_id, e.kind, e.details FROM certificates c LEFT JOIN events e"
			  " ON e.station = c.station AND e.hash = c.event_hash"
			  " WHERE c.station = $1 ORDER BY c.id", 1, p, &r, cause);

	for (int i = 0; rc == 0 && i < PQntuples(r); i++)
		check_central_cert(k, station, r, i, v);
	PQclear(r);
	return rc;
}

static int verify_station(PGconn *c, const char *name, const char *registered, bool all,
			  struct register_central_verify *res, char **cause)
{
	struct chain_info ci = { 0 };
	struct station_keys k = { 0 };
	int rc = verify_chain(c, name, res, &ci, cause);

	if (rc == 0)
		rc = load_keys(c, name, &k, cause);
	if (rc == 0)
		rc = verify_sigs(c, name, registered, all, &ci, &k, res, cause);
	if (rc == 0)
		rc = verify_certs(c, name, &k, res, cause);
	keys_free(&k);
	free(ci.rot);
	return rc;
}

int register_central_verify(const char *conninfo, bool all, struct register_central_verify *res,
			    char **cause)
{
	PGresult *st = NULL;
	PGconn *c;
	int rc;

	memset(res, 0, sizeof(*res));
	res->ok = true;
	rc = pg_connect(conninfo, &c, cause);
	if (rc < 0)
		return rc;
	rc = pg_exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", cause);
	if (rc == 0)
		rc = pg_query(c, "SELECT name, key_fpr FROM stations ORDER BY name", 0, NULL, &st,
			      cause);
	for (int i = 0; rc == 0 && i < PQntuples(st); i++) {
		rc = verify_station(c, PQgetvalue(st, i, 0), PQgetvalue(st, i, 1), all, res, cause);
		res->stations++;
	}
	PQclear(st);
	PQfinish(c);
	return rc;
}

/* ---- local against central ------------------------------------------------ */

/* Row @i of "seq, media_id, at, kind, operator, station_name, details,
 * prev_hash, hash": its recomputed hash into @h; false when it differs
 * from the hash stored with it. */
static bool central_event_hash(PGresult *r, int i, char *h)
{
	struct register_event ev = { 0 };

	ev.seq = strtoll(PQgetvalue(r, i, 0), NULL, 10);
	ev.media_id = strtoll(PQgetvalue(r, i, 1), NULL, 10);
	util_strlcpy(ev.at, PQgetvalue(r, i, 2), sizeof(ev.at));
	util_strlcpy(ev.kind, PQgetvalue(r, i, 3), sizeof(ev.kind));
	util_strlcpy(ev.operator_name, PQgetvalue(r, i, 4), sizeof(ev.operator_name));
	util_strlcpy(ev.station, PQgetvalue(r, i, 5), sizeof(ev.station));
	ev.details = PQgetvalue(r, i, 6);
	util_strlcpy(ev.prev_hash, PQgetvalue(r, i, 7), sizeof(ev.prev_hash));
	register_event_hash(&ev, h);
	return strcmp(h, PQgetvalue(r, i, 8)) == 0;
}

static void against_fail(struct register_against_result *res, int64_t seq, const char *what)
{
	if (!res->ok)
		return;
	res->ok = false;
	snprintf(res->message, sizeof(res->message), "event %lld %s", (long long)seq, what);
}

int register_central_against(struct register_db *db, const struct station *st,
			     const char *conninfo, struct register_against_result *res,
			     char **cause)
{
	const char *p[1] = { st->name };
	sqlite3_stmt *s = NULL;
	PGresult *r = NULL;
	PGconn *c;
	int64_t i = 0, n;
	int rc;

	memset(res, 0, sizeof(*res));
	res->ok = true;
	rc = pg_connect(conninfo, &c, cause);
	if (rc < 0)
		return rc;
	rc = pg_query(c, "SELECT seq, media_id, at, kind, operator, station_name, details,"
		      " prev_hash, hash FROM events WHERE station = $1 ORDER BY seq", 1, p, &r,
		      cause);
	if (rc == 0)
		rc = register_prepare(db, "SELECT seq, hash FROM events ORDER BY seq", &s, cause);
	n = rc == 0 ? PQntuples(r) : 0;
	res->central_events = n;
	while (rc == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t seq = sqlite3_column_int64(s, 0);
		const char *h = (const char *)sqlite3_column_text(s, 1);
		char ch[65];

		res->local_events++;
		rc = 0;
		if (i >= n) {
			res->queued++;
			continue;
		}
		if (strtoll(PQgetvalue(r, (int)i, 0), NULL, 10) != seq)
			against_fail(res, seq, "is missing at the centre, or the local register "
				     "renumbered");
		else if (!central_event_hash(r, (int)i, ch))
			against_fail(res, seq, "was altered at the centre (its fields no longer give "
				     "its hash)");
		else if (strcmp(ch, h ? h : "") != 0)
			against_fail(res, seq, "differs between the local register and the central "
				     "one: one of them was rewritten");
		i++;
	}
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc > 0)
		rc = register_sql_fail(db, cause, "read events");
	if (rc == 0 && res->ok && i < n) {
		res->ok = false;
		snprintf(res->message, sizeof(res->message), "the central register holds events "
			 "%lld to %lld of station %s that the local register lacks: the local "
			 "register was truncated or replaced", (long long)i + 1, (long long)n,
			 st->name);
	}
	sqlite3_finalize(s);
	PQclear(r);
	PQfinish(c);
	return rc;
}

/* ---- views ---------------------------------------------------------------- */

static char *media_select(const char *where)
{
	char *cols = strdup("station");

	for (size_t i = 0; cols && i < N_MFIELDS; i++) {
		char *n = util_asprintf(media_fields[i].kind == MF_BOOL ? "%s, %s::int" :
					"%s, %s", cols, media_fields[i].name);

		free(cols);
		cols = n;
	}
	if (cols) {
		char *n = util_asprintf("SELECT %s FROM media %s", cols, where);

		free(cols);
		cols = n;
	}
	return cols;
}

static void row_to_media(PGresult *r, int row, struct register_media *m)
{
	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < N_MFIELDS; i++)
		mfield_set(m, &media_fields[i], PQgetvalue(r, row, (int)i + 1));
}

static int media_query(const char *conninfo, const char *where, int n, const char *const *p,
		       json_t **out, char **cause)
{
	char *sql = media_select(where);
	PGresult *r = NULL;
	PGconn *c;
	int rc;

	*out = NULL;
	if (!sql)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	rc = pg_connect(conninfo, &c, cause);
	if (rc == 0) {
		rc = pg_query(c, sql, n, p, &r, cause);
		PQfinish(c);
	}
	free(sql);
	if (rc < 0)
		return rc;
	*out = json_array();
	for (int i = 0; i < PQntuples(r); i++) {
		struct register_media m;

		row_to_media(r, i, &m);
		json_array_append_new(*out, media_json(&m, PQgetvalue(r, i, 0)));
	}
	PQclear(r);
	return 0;
}

int register_central_list(const char *conninfo, const char *station, json_t **out, char **cause)
{
	const char *p[1] = { station };

	if (station)
		return media_query(conninfo, "WHERE station = $1 ORDER BY station, id", 1, p, out,
				   cause);
	return media_query(conninfo, "ORDER BY station, id", 0, NULL, out, cause);
}

/* The events of every row that is the same medium as (@station, @id). */
static int attach_history(PGconn *c, json_t *m, char **cause)
{
	const char *serial = json_string_value(json_object_get(m, "serial"));
	const char *wwn = json_string_value(json_object_get(m, "wwn"));
	const char *file = json_string_value(json_object_get(m, "backing_file"));
	char id[24];
	const char *p[5] = { json_string_value(json_object_get(m, "station")), id, serial, wwn,
			     file };
	json_t *h = json_array();
	PGresult *r;
	int rc;

	snprintf(id, sizeof(id), "%" JSON_INTEGER_FORMAT,
		 json_integer_value(json_object_get(m, "id")));
	/* the rows of the medium: (@station, @id), the row it was received
	 * from (its origin), every row received from that origin, and rows of
	 * the same serial, WWN or backing file */
	rc = pg_query(c, "WITH rcv AS (SELECT e.station, e.media_id, e.details::jsonb -> 'from'"
		      " AS f FROM events e WHERE e.kind = 'received'),"
		      " origin AS (SELECT COALESCE((SELECT f ->> 'station' FROM rcv WHERE"
		      " rcv.station = $1 AND rcv.media_id = $2::bigint LIMIT 1), $1) AS station,"
		      " COALESCE((SELECT (f ->> 'id')::bigint FROM rcv WHERE rcv.station = $1 AND"
		      " rcv.media_id = $2::bigint LIMIT 1), $2::bigint) AS id)"
		      " SELECT e.station, e.seq, e.at, e.kind, e.operator, e.details, e.hash"
		      " FROM events e JOIN media m ON m.station = e.station AND m.id = e.media_id"
		      " CROSS JOIN origin o"
		      " WHERE (m.station = $1 AND m.id = $2::bigint) OR (m.station = o.station AND"
		      " m.id = o.id) OR EXISTS (SELECT 1 FROM rcv WHERE rcv.station = m.station AND"
		      " rcv.media_id = m.id AND rcv.f ->> 'station' = o.station AND"
		      " (rcv.f ->> 'id')::bigint = o.id) OR ($3 <> '' AND m.serial = $3)"
		      " OR ($4 <> '' AND m.wwn = $4) OR ($5 <> '' AND m.backing_file = $5)"
		      " ORDER BY e.at, e.station, e.seq", 5, p, &r, cause);
	for (int i = 0; rc == 0 && i < PQntuples(r); i++)
		json_array_append_new(h, json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s}",
						   "station", PQgetvalue(r, i, 0),
						   "seq", (json_int_t)strtoll(PQgetvalue(r, i, 1),
									      NULL, 10),
						   "at", PQgetvalue(r, i, 2),
						   "kind", PQgetvalue(r, i, 3),
						   "operator", PQgetvalue(r, i, 4),
						   "details", PQgetvalue(r, i, 5),
						   "hash", PQgetvalue(r, i, 6)));
	PQclear(r);
	json_object_set_new(m, "history", h);
	return rc;
}

int register_central_find(const char *conninfo, const char *ref, json_t **out, char **cause)
{
	const char *p[1] = { ref };
	PGconn *c;
	size_t i;
	json_t *m;
	int rc = media_query(conninfo, "WHERE register_no = $1 OR (asset_tag <> '' AND asset_tag ="
			     " $1) OR (serial <> '' AND serial = $1) OR (wwn <> '' AND"
			     " lower(wwn) = lower($1)) ORDER BY station, id", 1, p, out, cause);

	if (rc < 0)
		return rc;
	if (json_array_size(*out) == 0) {
		json_decref(*out);
		*out = NULL;
		return util_fail(cause, -ENOENT, _("no station's register holds %s"), ref);
	}
	rc = pg_connect(conninfo, &c, cause);
	json_array_foreach(*out, i, m)
		if (rc == 0)
			rc = attach_history(c, m, cause);
	if (c)
		PQfinish(c);
	if (rc < 0) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

static int rows_json(const char *conninfo, const char *sql, int n, const char *const *p,
		     json_t **out, char **cause)
{
	PGresult *r = NULL;
	PGconn *c;
	int rc = pg_connect(conninfo, &c, cause);

	*out = NULL;
	if (rc < 0)
		return rc;
	rc = pg_query(c, sql, n, p, &r, cause);
	PQfinish(c);
	if (rc < 0)
		return rc;
	*out = json_array();
	for (int i = 0; i < PQntuples(r); i++) {
		json_t *o = json_object();

		for (int f = 0; f < PQnfields(r); f++)
			json_object_set_new(o, PQfname(r, f), json_string(PQgetvalue(r, i, f)));
		json_array_append_new(*out, o);
	}
	PQclear(r);
	return 0;
}

int register_central_inventory(const char *conninfo, json_t **out, char **cause)
{
	return rows_json(conninfo, "SELECT classification, state, station, count(*)::text AS"
			 " media FROM media GROUP BY classification, state, station ORDER BY"
			 " classification, state, station", 0, NULL, out, cause);
}

int register_central_overdue(const char *conninfo, int days, json_t **out, char **cause)
{
	char cutoff[24];
	const char *p[1] = { cutoff };

	util_iso8601(util_unix_now() - (int64_t)days * 86400, cutoff, sizeof(cutoff));
	return rows_json(conninfo, "SELECT m.station, m.register_no, m.asset_tag, m.serial,"
			 " m.classification, m.state, m.custodian, m.holder, max(e.at) AS last_event"
			 " FROM media m JOIN events e ON e.station = m.station AND e.media_id = m.id"
			 " WHERE m.state NOT IN ('destroyed', 'lost', 'scrapped')"
			 " GROUP BY m.station, m.id HAVING max(e.at) < $1"
			 " ORDER BY max(e.at), m.station, m.id", 1, p, out, cause);
}

/* Media rows matching @where (a WHERE clause over media, no ORDER BY), in
 * service first, the newest first; after the media columns each row's
 * origin: the station and id it was received from (its "received" event),
 * else its own. */
static int central_rows(const char *conninfo, const char *where, int n, const char *const *p,
			PGresult **out, char **cause)
{
	char *inner = media_select(where), *sql = NULL;
	PGconn *c = NULL;
	int rc = inner ? 0 : -ENOMEM;

	*out = NULL;
	if (rc == 0)
		sql = util_asprintf("SELECT q.*, COALESCE(rc.details::jsonb -> 'from' ->> 'station',"
				    " q.station), COALESCE(rc.details::jsonb -> 'from' ->> 'id',"
				    " q.id::text) FROM (%s) q LEFT JOIN LATERAL (SELECT details FROM"
				    " events e WHERE e.station = q.station AND e.media_id = q.id AND"
				    " e.kind = 'received' ORDER BY e.seq LIMIT 1) rc ON true ORDER BY"
				    " q.state IN ('destroyed', 'lost'), q.updated_at DESC", inner);
	free(inner);
	if (rc == 0 && !sql)
		rc = -ENOMEM;
	if (rc < 0)
		return util_fail(cause, rc, _("out of memory"));
	rc = pg_connect(conninfo, &c, cause);
	if (rc == 0)
		rc = pg_query(c, sql, n, p, out, cause);
	if (c)
		PQfinish(c);
	free(sql);
	return rc;
}

/* Row @i of central_rows() into @out (id 0: not a local row), @station
 * (128 bytes) the station holding it. */
static void central_row_to_media(PGresult *r, int i, struct register_media *out, char *station)
{
	row_to_media(r, i, out);
	util_strlcpy(station, PQgetvalue(r, i, 0), 128);
	util_strlcpy(out->central_station, PQgetvalue(r, i, (int)N_MFIELDS + 1),
		     sizeof(out->central_station));
	out->central_id = strtoll(PQgetvalue(r, i, (int)N_MFIELDS + 2), NULL, 10);
	out->id = 0;
}

/* Rows of central_rows() that are one medium share their origin: -EEXIST
 * (naming two stations) when they do not. */
static int one_origin(PGresult *r, const char *what, const char *hint, char **cause)
{
	int o = (int)N_MFIELDS + 1;

	for (int i = 1; i < PQntuples(r); i++)
		if (strcmp(PQgetvalue(r, i, o), PQgetvalue(r, 0, o)) != 0 ||
		    strcmp(PQgetvalue(r, i, o + 1), PQgetvalue(r, 0, o + 1)) != 0)
			return util_fail(cause, -EEXIST, _("%s matches several media in the central "
					 "register (stations %s and %s): %s"), what,
					 PQgetvalue(r, 0, 0), PQgetvalue(r, i, 0), hint);
	return 0;
}

int register_central_lookup(const char *conninfo, const struct device_info *dev,
			    struct register_media *out, char *station, char **cause)
{
	const char *p[3] = { dev->wwn, dev->serial, dev->model };
	bool file = dev->transport == DEVICE_TRANSPORT_FILE ||
		    dev->transport == DEVICE_TRANSPORT_VIRTUAL;
	PGresult *r = NULL;
	int rc;

	/* by WWN or serial (+ model) only: a backing file's path is local to
	 * its machine, another station's same path is another medium.  Asked
	 * even without them: an unreachable centre keeps refusing unknown
	 * media (register-query.c) */
	/* a virtual medium's serial is its image's own attribute: it names
	 * only virtual media, and a drive's serial never a virtual medium */
	rc = central_rows(conninfo, file ?
			  "WHERE NOT unregistered AND media_type = 'virtual' AND (($1 <> '' AND"
			  " lower(wwn) = lower($1)) OR ($2 <> '' AND serial = $2 AND (model = $3 OR"
			  " model = '' OR $3 = '')))" :
			  "WHERE NOT unregistered AND media_type <> 'virtual' AND (($1 <> '' AND"
			  " lower(wwn) = lower($1)) OR ($2 <> '' AND serial = $2 AND (model = $3 OR"
			  " model = '' OR $3 = '')))", 3, p, &r, cause);
	if (rc < 0)
		return rc;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return util_fail(cause, -ENOENT, _("%s is in no station's register"), dev->path);
	}
	/* two media of one serial or WWN (junk serials): none is taken */
	rc = one_origin(r, dev->path, _("its serial number or WWN is not unique; enrol it at "
			"this station"), cause);
	if (rc == 0)
		central_row_to_media(r, 0, out, station);
	PQclear(r);
	return rc;
}

int register_central_lookup_ref(const char *conninfo, const char *ref,
				struct register_media *out, char *station, char **cause)
{
	const char *colon = strchr(ref, ':');
	char st[128] = "";
	const char *p[2] = { ref, st };
	PGresult *r = NULL;
	int rc;

	/* "STATION:REF": a register number of that station */
	if (colon && (size_t)(colon - ref) < sizeof(st)) {
		memcpy(st, ref, (size_t)(colon - ref));
		st[colon - ref] = '\0';
		p[0] = colon + 1;
	}
	rc = central_rows(conninfo, "WHERE NOT unregistered AND ($2 = '' OR station = $2) AND"
			  " (register_no = $1 OR (asset_tag <> '' AND asset_tag = $1) OR"
			  " (serial <> '' AND serial = $1) OR (wwn <> '' AND lower(wwn) = lower($1)))",
			  2, p, &r, cause);
	if (rc < 0)
		return rc;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return util_fail(cause, -ENOENT, _("'%s' is in no station's register"), ref);
	}
	/* rows of one medium share their origin; others make @ref ambiguous */
	for (int i = 1; i < PQntuples(r); i++) {
		int o = (int)N_MFIELDS + 1;

		if (strcmp(PQgetvalue(r, i, o), PQgetvalue(r, 0, o)) != 0 ||
		    strcmp(PQgetvalue(r, i, o + 1), PQgetvalue(r, 0, o + 1)) != 0) {
			rc = util_fail(cause, -EEXIST, _("'%s' names several media in the central "
				       "register (stations %s and %s): name it STATION:%s"), ref,
				       PQgetvalue(r, 0, 0), PQgetvalue(r, i, 0), p[0]);
			PQclear(r);
			return rc;
		}
	}
	central_row_to_media(r, 0, out, station);
	PQclear(r);
	return 0;
}

#endif

int register_central_inventory_csv(json_t *inv, char **text)
{
	size_t i, cap = 256 + json_array_size(inv) * 160, len;
	char *s = malloc(cap);
	json_t *o;

	if (!s)
		return -ENOMEM;
	len = (size_t)snprintf(s, cap, "密级 classification,状态 state,工作站 station,"
			       "数量 media\r\n");
	json_array_foreach(inv, i, o) {
		const char *f[4] = { json_string_value(json_object_get(o, "classification")),
				     json_string_value(json_object_get(o, "state")),
				     json_string_value(json_object_get(o, "station")),
				     json_string_value(json_object_get(o, "media")) };

		for (int k = 0; k < 4; k++) {
			const char *v = f[k] ? f[k] : "";
			bool quote = strpbrk(v, ",\"\r\n") != NULL;

			if (len + 2 * strlen(v) + 8 > cap) {
				char *n = realloc(s, cap = cap * 2 + 2 * strlen(v) + 8);

				if (!n) {
					free(s);
					return -ENOMEM;
				}
				s = n;
			}
			if (quote)
				s[len++] = '"';
			if (strchr("=+-@\t\r", *v) && *v)	/* no spreadsheet formula */
				s[len++] = '\'';
			for (const char *c = v; *c; c++) {
				if (*c == '"')
					s[len++] = '"';
				s[len++] = *c;
			}
			if (quote)
				s[len++] = '"';
			s[len++] = k < 3 ? ',' : '\r';
		}
		s[len++] = '\n';
	}
	s[len] = '\0';
	*text = s;
	return 0;
}

int register_sync_central(struct register_db *db, char **cause)
{
	struct register_push_result res;

	if (!db->unsynced || !db->central || !db->attached)
		return 0;
	db->unsynced = false;	/* tried once; a failure leaves them queued */
	return register_central_push(db, db->attached, db->central, &res, cause);
}
