/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for src/sanitize*.c: every refusal the plan can give (nothing
 * written, nothing numbered), the record of a run from sanitize-started to
 * its end event and document, an interrupted run, a document that cannot
 * be written, the numbering, hidden areas before an overwrite, and
 * physical destruction. */
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "cert.h"
#include "fakedev.h"
#include "fw-fixtures.h"
#include "job.h"
#include "policy.h"
#include "register.h"
#include "sanitize.h"
#include "sanitize-private.h"
#include "station.h"
#include "util.h"

struct fixture {
	char dir[64];
	char img[128];
	struct station *st;
	struct register_db *db;
	struct profile zero;
	struct device_info dev;
	struct policy *pol;
};

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	struct station_init_opts o = { .org = "Test Office 测试单位", .name = "ws-unit" };
	struct fixture *fx = calloc(1, sizeof(*fx));
	char path[128], data[4096];

	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/custos-sanitize.XXXXXX");
	if (!mkdtemp(fx->dir) || station_init(fx->dir, &o, NULL) < 0 ||
	    station_open(fx->dir, &fx->st, NULL) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", fx->dir, REGISTER_FILE);
	if (register_open(path, &fx->db, NULL) < 0 ||
	    register_attach_station(fx->db, fx->st, "tester", NULL) < 0 ||
	    profile_find("zero", NULL, &fx->zero, NULL) < 0 ||
	    policy_load(NULL, 0, &fx->pol, NULL) < 0)
		return -1;
	memset(data, 'M', sizeof(data));
	snprintf(path, sizeof(path), "%s/virtual", fx->dir);
	snprintf(fx->img, sizeof(fx->img), "%s/virtual/medium.img", fx->dir);
	if (util_mkdir_p(path, 0700) < 0)
		return -1;
	if (util_write_file_atomic(fx->img, data, sizeof(data), 0600) < 0 ||
	    truncate(fx->img, 1 << 20) < 0 || device_probe(fx->img, &fx->dev, NULL) < 0)
		return -1;
	setenv("CUSTOS_OPERATOR", "tester", 1);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;

	device_info_clear(&fx->dev);
	policy_free(fx->pol);
	register_close(fx->db);
	station_free(fx->st);
	nftw(fx->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

static void request(struct fixture *fx, struct sanitize_request *rq, const char *dest,
		    const char *cls)
{
	sanitize_request_init(rq);
	rq->state_dir = fx->dir;
	rq->station = fx->st;
	rq->policy = fx->pol;
	rq->path = fx->img;
	rq->profile = &fx->zero;
	rq->destination = dest;
	rq->declared_class = cls;
	rq->operator_name = "tester";
}

static int64_t enroll(struct fixture *fx, const char *level)
{
	struct register_media m;

	memset(&m, 0, sizeof(m));
	register_media_from_device(&m, &fx->dev);
	util_strlcpy(m.classification, level, sizeof(m.classification));
	util_strlcpy(m.custodian, "张三", sizeof(m.custodian));
	util_strlcpy(m.source, "device", sizeof(m.source));
	assert_int_equal(register_enroll(fx->db, &m, &m, NULL), 0);
	return m.id;
}

/* Everything a refusal must leave as it was. */
struct world {
	size_t events;
	size_t certs;
	size_t files;		/* in <dir>/certs */
	char first;		/* first byte of the image */
};

static size_t count_files(const char *dir)
{
	char cmd[256];
	size_t n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ls -A '%s' 2>/dev/null | grep -v '^\\.seq$' | wc -l", dir);
	p = popen(cmd, "r");
	if (p) {
		if (fscanf(p, "%zu", &n) != 1)
			n = 0;
		pclose(p);
	}
	return n;
}

static void world(struct fixture *fx, struct world *w)
{
	struct register_event *ev = NULL;
	struct register_cert *c = NULL;
	char dir[128];
	FILE *f = fopen(fx->img, "r");

	memset(w, 0, sizeof(*w));
	assert_int_equal(register_history(fx->db, 0, &ev, &w->events, NULL), 0);
	register_events_free(ev, w->events);
	assert_int_equal(register_list_certificates(fx->db, 0, &c, &w->certs, NULL), 0);
	register_certs_free(c, w->certs);
	snprintf(dir, sizeof(dir), "%s/certs", fx->dir);
	w->files = count_files(dir);
	if (f) {
		if (fread(&w->first, 1, 1, f) != 1)
			w->first = 0;
		fclose(f);
	}
}

/* Plan @rq: refused with @rc and class @what (reason containing @text),
 * and nothing changed anywhere. */
static struct sanitize_plan *refused_plan(struct fixture *fx, const struct sanitize_request *rq,
					  int rc, const char *what, const char *text)
{
	struct sanitize_plan *plan = NULL;
	struct world before, after;
	char *cause = NULL;

	world(fx, &before);
	assert_int_equal(sanitize_plan(rq, &plan, &cause), rc);
	assert_non_null(plan);
	assert_non_null(cause);
	assert_int_equal(plan->rc, rc);
	assert_string_equal(plan->refusal, what);
	if (text && !strstr(plan->reason, text))
		fail_msg("reason '%s' lacks '%s'", plan->reason, text);
	free(cause);
	world(fx, &after);
	assert_int_equal(after.events, before.events);
	assert_int_equal(after.certs, before.certs);
	assert_int_equal(after.files, before.files);
	assert_int_equal(after.first, before.first);
	return plan;
}

static void refused_free(struct fixture *fx, const struct sanitize_request *rq, int rc,
			 const char *what, const char *text)
{
	sanitize_plan_free(refused_plan(fx, rq, rc, what, text));
}

static void test_refuse_input(void **state)
{
	struct fixture *fx = *state;
	struct sanitize_request rq;
	struct sanitize_plan *plan = NULL;

	request(fx, &rq, "nowhere", NULL);
	refused_free(fx, &rq, -EINVAL, "input", "unknown destination");
	request(fx, &rq, NULL, "no-such-level");
	refused_free(fx, &rq, -EINVAL, "input", "unknown classification");
	/* a request without its required parts has no plan at all */
	request(fx, &rq, NULL, NULL);
	rq.profile = NULL;
	assert_int_equal(sanitize_plan(&rq, &plan, NULL), -EINVAL);
	assert_null(plan);
}

/* (The device's safety reasons, class "safety", need block devices: a
 * mounted loop device is refused in tests/integ-batch.sh.) */
static void test_refuse_probe(void **state)
{
	struct fixture *fx = *state;
	struct sanitize_request rq;

	request(fx, &rq, NULL, NULL);
	rq.path = "/nonexistent/custos-test.img";
	refused_free(fx, &rq, -ENOENT, "probe", NULL);
}

static void test_refuse_lifecycle(void **state)
{
	struct fixture *fx = *state;
	int64_t id = enroll(fx, "secret");
	const char *w[2] = { "王五", "Jane Roe" };
	struct register_destruction d = {
		.method = "shred", .place = "room 101", .witnesses = w, .n_witnesses = 2,
	};
	struct sanitize_request rq;

	assert_int_equal(register_lost(fx->db, id, "left in a taxi", NULL), 0);
	request(fx, &rq, "destruction", NULL);
	refused_free(fx, &rq, -EPERM, "lifecycle", "lifecycle rule");
	assert_int_equal(register_return(fx->db, id, NULL), 0);	/* found */
	assert_int_equal(register_destroy(fx->db, fx->pol, id, &d, NULL, NULL), 0);
	refused_free(fx, &rq, -EPERM, "lifecycle", "destroyed");
}

/* Sanitized for destruction: only destruction may follow, and the plan
 * says so for every other destination. */
static void test_refuse_awaiting_destruction(void **state)
{
	struct fixture *fx = *state;
	int64_t id = enroll(fx, "secret");
	struct sanitize_request rq;
	struct sanitize_plan *plan = NULL;
	struct sanitize_run *run = NULL;

	request(fx, &rq, "destruction", NULL);
	assert_int_equal(sanitize_plan(&rq, &plan, NULL), 0);
	assert_int_equal(sanitize_start(plan, &run, NULL), 0);
	assert_int_equal(sanitize_wait(run, NULL), 0);
	sanitize_run_free(run);
	sanitize_plan_free(plan);
	assert_int_equal(sanitize_plan(&rq, &plan, NULL), 0);	/* destruction again: fine */
	sanitize_plan_free(plan);
	request(fx, &rq, "internal-reuse", NULL);
	plan = refused_plan(fx, &rq, -EPERM, "lifecycle", "awaiting-destruction");
	assert_false(plan->dests[POLICY_DEST_INTERNAL_REUSE].allowed);
	assert_true(plan->dests[POLICY_DEST_DESTRUCTION].allowed);
	assert_non_null(strstr(sanitize_dest_text(plan, POLICY_DEST_RECYCLING), "lifecycle"));
	assert_string_equal(plan->register_no, "M-000001");
	assert_int_equal(plan->media_id, id);
	/* the same plan for the allowed destination: no new probe needed */
	assert_int_equal(sanitize_plan_set_destination(plan, "destruction", NULL), 0);
	assert_int_equal(plan->rc, 0);
	sanitize_plan_free(plan);
}

static void test_refuse_integrity(void **state)
{
	struct fixture *fx = *state;
	int64_t id = enroll(fx, "secret");
	struct sanitize_request rq;
	char path[128], sql[128];
	sqlite3 *db;

	snprintf(path, sizeof(path), "%s/%s", fx->dir, REGISTER_FILE);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql), "UPDATE media SET classification = 'public' WHERE id = %lld",
		 (long long)id);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	request(fx, &rq, NULL, NULL);
	refused_free(fx, &rq, -EPERM, "integrity", NULL);
}

static void test_refuse_policy(void **state)
{
	struct fixture *fx = *state;
	struct sanitize_request rq;
	struct sanitize_plan *plan;
	struct profile p = fx->zero;

	/* unenrolled: the declared level decides, per destination */
	request(fx, &rq, "recycling", "secret");
	plan = refused_plan(fx, &rq, -EPERM, "policy", "policy rule");
	assert_true(plan->declared);
	assert_string_equal(plan->classification, "secret");
	assert_true(plan->dests[POLICY_DEST_INTERNAL_REUSE].allowed);
	assert_false(plan->dests[POLICY_DEST_RECYCLING].allowed);
	assert_non_null(strstr(plan->dests[POLICY_DEST_RECYCLING].rule, "policy rule"));
	sanitize_plan_free(plan);
	/* enrolled: the register's level wins over a declared one */
	enroll(fx, "top-secret");
	request(fx, &rq, "internal-reuse", "public");
	refused_free(fx, &rq, -EPERM, "policy", "policy rule");
	/* a profile that reaches no category on this media */
	for (size_t i = 0; i < PROFILE_N_KINDS; i++)
		p.nist[i] = PROFILE_NIST_NONE;
	request(fx, &rq, "internal-reuse", NULL);
	rq.profile = &p;
	refused_free(fx, &rq, -EPERM, "policy", "minimum-sanitization");
}

/* The people: distinct, compared with policy_same_person(); refused
 * before anything is written and before any number is taken. */
static void test_refuse_people(void **state)
{
	struct fixture *fx = *state;
	struct sanitize_request rq;

	request(fx, &rq, NULL, NULL);
	rq.validator_name = " Tester";
	refused_free(fx, &rq, -EPERM, "people", "validator");
	request(fx, &rq, NULL, NULL);
	rq.validator_title = "Head of IT";
	refused_free(fx, &rq, -EPERM, "people", "without a validator");
	request(fx, &rq, NULL, NULL);
	rq.witnesses[0] = "tester";
	rq.n_witnesses = 1;
	refused_free(fx, &rq, -EPERM, "people", "operator");
	request(fx, &rq, NULL, NULL);
	rq.validator_name = "Chief";
	rq.witnesses[0] = "Li Si";
	rq.witnesses[1] = "chief";
	rq.n_witnesses = 2;
	refused_free(fx, &rq, -EPERM, "people", "validator");
	rq.witnesses[1] = " li si";
	refused_free(fx, &rq, -EPERM, "people", "twice");
	rq.n_witnesses = SANITIZE_MAX_WITNESSES + 1;
	refused_free(fx, &rq, -EINVAL, "input", "witnesses");
}

static void test_refuse_firmware_station_certs(void **state)
{
	struct fixture *fx = *state;
	struct sanitize_request rq;
	struct profile fw = fx->zero;
	char file[128];

	fw.method = PROFILE_METHOD_ATA_SECURE_ERASE;
	request(fx, &rq, NULL, NULL);
	rq.profile = &fw;
	refused_free(fx, &rq, -EOPNOTSUPP, "firmware", NULL);
	request(fx, &rq, NULL, NULL);
	rq.station = NULL;
	refused_free(fx, &rq, -ENOENT, "station", "custos init");
	snprintf(file, sizeof(file), "%s/not-a-dir", fx->dir);
	assert_int_equal(util_write_file_atomic(file, "x", 1, 0600), 0);
	request(fx, &rq, NULL, NULL);
	rq.cert_dir = file;
	refused_free(fx, &rq, -ENOTDIR, "certs", "certificate directory");
	request(fx, &rq, NULL, NULL);
	rq.resume = true;
	refused_free(fx, &rq, -ENOENT, "resume", "no checkpoint");
}

/* A read-only register: refused by the plan.  (As root access() passes on
 * a 0444 file, so the register is made unwritable by a trigger-free trick:
 * a read-only database file opened by SQLite read-only is what matters;
 * the integration test covers a read-only mount.) */
static void test_refuse_register(void **state)
{
	struct fixture *fx = *state;
	struct sanitize_request rq;
	char path[128];

	if (geteuid() == 0)
		skip();		/* root writes 0444 files: tests/integ-crash.sh mounts ro */
	snprintf(path, sizeof(path), "%s/%s", fx->dir, REGISTER_FILE);
	assert_int_equal(chmod(path, 0400), 0);
	request(fx, &rq, NULL, NULL);
	refused_free(fx, &rq, -EROFS, "register", "not writable");
	chmod(path, 0600);
}

/* The plan itself: what it shows before the confirmation. */
static void test_plan_contents(void **state)
{
	struct fixture *fx = *state;
	struct sanitize_request rq;
	struct sanitize_plan *plan = NULL;
	struct world before, after;

	world(fx, &before);
	request(fx, &rq, "recycling", NULL);
	rq.operator_name = NULL;	/* resolved from CUSTOS_OPERATOR, here */
	assert_int_equal(sanitize_plan(&rq, &plan, NULL), 0);
	assert_string_equal(plan->operator_name, "tester");
	assert_string_equal(plan->destination, "recycling");
	assert_string_equal(plan->confirm_text, "medium.img");
	assert_non_null(strstr(plan->summary, "About to ERASE"));
	assert_string_equal(plan->method, "overwrite");
	assert_int_equal(plan->passes, fx->zero.n_passes);
	assert_true(plan->estimate_s >= 1);
	assert_int_equal(plan->media_id, 0);
	assert_true(plan->declared);
	assert_string_equal(plan->classification, "internal");
	for (int d = 0; d < POLICY_DEST_COUNT; d++)
		assert_true(plan->dests[d].allowed || plan->dests[d].rule[0]);
	world(fx, &after);
	assert_int_equal(after.events, before.events);
	assert_int_equal(after.files, before.files);
	sanitize_plan_free(plan);
}

static void kinds(struct fixture *fx, int64_t id, char kinds_out[][24], size_t *n)
{
	struct register_event *ev = NULL;

	assert_int_equal(register_history(fx->db, id, &ev, n, NULL), 0);
	for (size_t i = 0; i < *n && i < 8; i++)
		util_strlcpy(kinds_out[i], ev[i].kind, 24);
	register_events_free(ev, *n);
}

static void run_plan(struct fixture *fx, const struct sanitize_request *rq,
		     struct sanitize_plan **plan, struct sanitize_run **run)
{
	(void)fx;
	assert_int_equal(sanitize_plan(rq, plan, NULL), 0);
	assert_int_equal(sanitize_start(*plan, run, NULL), 0);
	assert_int_equal(sanitize_wait(*run, NULL), 0);
}

static void test_enrolled_run(void **state)
{
	struct fixture *fx = *state;
	int64_t id = enroll(fx, "internal");
	struct sanitize_request rq;
	struct sanitize_plan *plan = NULL;
	struct sanitize_run *run = NULL;
	const struct sanitize_end *e;
	struct sanitize_progress p;
	struct register_media now;
	struct register_cert *certs = NULL;
	struct register_event *ev = NULL;
	char k[8][24], *ckpt;
	size_t n = 0, nev = 0;
	json_t *j;

	request(fx, &rq, NULL, NULL);
	run_plan(fx, &rq, &plan, &run);
	e = sanitize_end(run);
	assert_string_equal(e->outcome, "erased");
	assert_string_equal(e->event, "sanitized");
	assert_string_equal(e->cert_kind, "sanitization");
	assert_string_equal(e->error, "");
	assert_int_equal(access(e->cert_json, R_OK), 0);
	assert_int_equal(access(e->cert_pdf, R_OK), 0);
	assert_non_null(e->doc);
	sanitize_snapshot(run, &p);
	assert_int_equal(p.state, SANITIZE_DONE);
	assert_true(p.percent == 100.0 && p.pass <= p.n_passes);
	assert_int_equal(register_get(fx->db, id, &now, NULL), 0);
	assert_string_equal(now.state, "sanitized");
	assert_string_equal(e->register_no, now.register_no);
	kinds(fx, id, k, &nev);
	assert_int_equal(nev, 3);
	assert_string_equal(k[1], "sanitize-started");
	assert_string_equal(k[2], "sanitized");
	assert_int_equal(register_list_certificates(fx->db, id, &certs, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_string_equal(certs[0].id, e->cert_id);
	assert_int_equal(register_history(fx->db, id, &ev, &nev, NULL), 0);
	assert_string_equal(certs[0].event_hash, ev[2].hash);
	assert_string_equal(e->event_hash, ev[2].hash);
	assert_non_null(strstr(ev[1].details, "\"operator\":\"tester\""));
	assert_non_null(strstr(ev[1].details, "\"state_before\":\"in-stock\""));
	register_events_free(ev, nev);
	register_certs_free(certs, n);
	/* the checkpoint is gone once the record and the document are there */
	ckpt = job_checkpoint_path(fx->dir, &fx->dev);
	assert_int_equal(access(ckpt, F_OK), -1);
	free(ckpt);
	j = sanitize_end_to_json(run);
	assert_string_equal(json_string_value(json_object_get(j, "outcome")), "erased");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "certificate"),
							      "id")), e->cert_id);
	json_decref(j);
	sanitize_run_free(run);
	sanitize_plan_free(plan);
}

/* Unenrolled: its U- row exists from the start; U- and M- have their own
 * sequences. */
static void test_unenrolled_run(void **state)
{
	struct fixture *fx = *state;
	struct sanitize_request rq;
	struct sanitize_plan *plan = NULL;
	struct sanitize_run *run = NULL;
	struct register_media m, other;
	const char *notes;

	request(fx, &rq, "recycling", "public");
	rq.source_host = "pc-42 (Acme X1, asset tag PC-42)";
	run_plan(fx, &rq, &plan, &run);
	assert_int_equal(register_find_by_device(fx->db, &fx->dev, &m, NULL), 0);
	assert_true(m.unregistered);
	assert_string_equal(m.register_no, "U-000001");
	assert_string_equal(m.state, "scrapped");
	assert_string_equal(sanitize_end(run)->register_no, "U-000001");
	notes = json_string_value(json_object_get(json_object_get(sanitize_end(run)->doc,
								   "certificate"), "notes"));
	assert_non_null(notes);
	assert_non_null(strstr(notes, "public declared"));
	memset(&other, 0, sizeof(other));
	util_strlcpy(other.media_type, "hdd", sizeof(other.media_type));
	util_strlcpy(other.serial, "OTHER-1", sizeof(other.serial));
	util_strlcpy(other.classification, "internal", sizeof(other.classification));
	assert_int_equal(register_enroll(fx->db, &other, &other, NULL), 0);
	assert_string_equal(other.register_no, "M-000001");
	sanitize_run_free(run);
	sanitize_plan_free(plan);
}

/* A run that never ended (the process was killed after sanitize-started):
 * the medium is sanitizing, listed as unfinished; a fresh start records
 * the old run as interrupted first and goes back to where it was. */
static void test_interrupted_then_fresh(void **state)
{
	struct fixture *fx = *state;
	int64_t id = enroll(fx, "internal");
	struct register_start s = { .profile = "zero", .destination = "internal-reuse",
				    .operator_name = "tester", .method = "overwrite", .passes = 1 };
	struct register_verify_result v;
	struct register_unfinished *u = NULL;
	struct sanitize_request rq;
	struct sanitize_plan *plan = NULL;
	struct sanitize_run *run = NULL;
	struct register_media m;
	char k[8][24];
	size_t n = 0;

	assert_int_equal(register_start_sanitization(fx->db, id, NULL, &s, NULL, NULL, NULL,
						     NULL), 0);
	assert_int_equal(register_get(fx->db, id, &m, NULL), 0);
	assert_string_equal(m.state, "sanitizing");
	assert_false(sanitize_medium_running(fx->dir, id));
	assert_int_equal(register_verify(fx->db, &v, NULL), 0);
	assert_true(v.ok);	/* the chain holds ... */
	assert_int_equal(v.unfinished, 1);	/* ... and the run is reported */
	assert_int_equal(register_unfinished(fx->db, &u, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(u[0].media_id, id);
	assert_string_equal(u[0].profile, "zero");
	free(u);
	request(fx, &rq, NULL, NULL);
	assert_int_equal(sanitize_plan(&rq, &plan, NULL), 0);
	assert_true(plan->interrupted);
	assert_int_equal(sanitize_start(plan, &run, NULL), 0);
	assert_int_equal(sanitize_wait(run, NULL), 0);
	kinds(fx, id, k, &n);
	assert_int_equal(n, 5);
	assert_string_equal(k[1], "sanitize-started");
	assert_string_equal(k[2], "not-erased");
	assert_string_equal(k[3], "sanitize-started");
	assert_string_equal(k[4], "sanitized");
	assert_int_equal(register_verify(fx->db, &v, NULL), 0);
	assert_true(v.ok);
	assert_int_equal(v.unfinished, 0);
	sanitize_run_free(run);
	sanitize_plan_free(plan);
}

/* A not-erased run goes back to the state it started from. */
static void test_failed_back_to_state(void **state)
{
	struct fixture *fx = *state;
	int64_t id = enroll(fx, "internal");
	struct register_start s = { .profile = "zero", .destination = "internal-reuse",
				    .operator_name = "tester", .method = "overwrite", .passes = 1 };
	struct register_sanitization rs = {
		.result_json = "{\"outcome\":\"failed\"}", .destination = "internal-reuse",
		.profile = "zero",
	};
	struct register_verify_result v;
	struct register_media m;

	assert_int_equal(register_issue(fx->db, id, "Li Si", NULL), 0);
	assert_int_equal(register_start_sanitization(fx->db, id, NULL, &s, NULL, NULL, NULL,
						     NULL), 0);
	assert_int_equal(register_record_sanitization(fx->db, id, NULL, &rs, NULL, NULL, NULL),
			 0);
	assert_int_equal(register_get(fx->db, id, &m, NULL), 0);
	assert_string_equal(m.state, "issued");
	assert_int_equal(register_verify(fx->db, &v, NULL), 0);
	assert_true(v.ok);
}

/* Block the next certificate number's PDF (a directory in its place): the
 * document cannot be written.  The id into @id. */
static void next_doc_blocked(struct fixture *fx, const char *dir, char *id, size_t len)
{
	char path[PATH_MAX];
	time_t now = time(NULL);
	struct tm tm;
	uint64_t seq = 0;

	gmtime_r(&now, &tm);
	assert_int_equal(register_next_cert_seq(fx->db, fx->st->prefix, tm.tm_year + 1900, &seq,
						NULL), 0);
	snprintf(id, len, "%s-%04d-%06llu", fx->st->prefix, tm.tm_year + 1900,
		 (unsigned long long)seq);
	snprintf(path, sizeof(path), "%s/%s.pdf/x", dir ? dir : fx->dir, id);
	if (!dir)
		snprintf(path, sizeof(path), "%s/certs/%s.pdf/x", fx->dir, id);
	assert_int_equal(util_mkdir_p(path, 0700), 0);
}

/* The document cannot be written: the end event stays, the failure is
 * recorded with its reason, no file is left and no number is taken. */
static void test_document_fails(void **state)
{
	struct fixture *fx = *state;
	int64_t id = enroll(fx, "internal");
	struct sanitize_request rq;
	struct sanitize_plan *plan = NULL;
	struct sanitize_run *run = NULL;
	const struct sanitize_end *e;
	struct register_cert *certs = NULL;
	char blocked[128], path[PATH_MAX], k[8][24], *cause = NULL, *ckpt;
	struct register_verify_result v;
	size_t n = 0;

	request(fx, &rq, NULL, NULL);
	assert_int_equal(sanitize_plan(&rq, &plan, NULL), 0);
	next_doc_blocked(fx, NULL, blocked, sizeof(blocked));
	assert_int_equal(sanitize_start(plan, &run, NULL), 0);
	assert_true(sanitize_wait(run, &cause) < 0);
	assert_non_null(cause);
	e = sanitize_end(run);
	assert_string_equal(e->event, "sanitized");
	assert_string_equal(e->cert_id, "");
	assert_non_null(strstr(e->error, "NOT issued"));
	snprintf(path, sizeof(path), "%s/certs/%s.json", fx->dir, blocked);
	assert_int_equal(access(path, F_OK), -1);	/* no orphan */
	kinds(fx, id, k, &n);
	assert_string_equal(k[n - 1], "certificate-failed");
	assert_int_equal(register_list_certificates(fx->db, 0, &certs, &n, NULL), 0);
	assert_int_equal(n, 0);
	register_certs_free(certs, n);
	ckpt = job_checkpoint_path(fx->dir, &fx->dev);
	assert_int_equal(access(ckpt, F_OK), -1);
	free(ckpt);
	free(cause);
	sanitize_run_free(run);
	sanitize_plan_free(plan);
	/* the number was not taken: the next document gets it */
	snprintf(path, sizeof(path), "%s/certs/%s.pdf/x", fx->dir, blocked);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/certs/%s.pdf", fx->dir, blocked);
	rmdir(path);
	request(fx, &rq, NULL, NULL);
	run_plan(fx, &rq, &plan, &run);
	assert_string_equal(sanitize_end(run)->cert_id, blocked);
	assert_int_equal(register_verify(fx->db, &v, NULL), 0);
	assert_true(v.ok);
	assert_int_equal(v.missing_certs, 0);
	sanitize_run_free(run);
	sanitize_plan_free(plan);
}

/* register verify: a certificate number an event names must exist. */
static void test_verify_missing_cert(void **state)
{
	struct fixture *fx = *state;
	int64_t id = enroll(fx, "internal");
	struct register_sanitization rs = {
		.result_json = "{\"outcome\":\"erased\"}", .destination = "internal-reuse",
		.profile = "zero", .certificate_id = "WS-2026-000042",
	};
	struct register_verify_result v;

	assert_int_equal(register_record_sanitization(fx->db, id, NULL, &rs, NULL, NULL, NULL),
			 0);
	assert_int_equal(register_verify(fx->db, &v, NULL), 0);
	assert_false(v.ok);
	assert_int_equal(v.missing_certs, 1);
	assert_non_null(strstr(v.message, "WS-2026-000042"));
}

/* Writes that take a while, so that a run can be stopped in the middle. */
static ssize_t slow_pwrite(int fd, const void *buf, size_t len, off_t off, void *data)
{
	(void)data;
	usleep(20000);
	return pwrite(fd, buf, len, off);
}

static const struct blkio_ops slow_ops = { .pwrite = slow_pwrite };

static void start_slow(struct fixture *fx, struct sanitize_plan **plan, struct sanitize_run **run)
{
	struct sanitize_request rq;
	struct sanitize_progress p;

	request(fx, &rq, NULL, NULL);
	rq.io_ops = &slow_ops;
	rq.profile = &fx->zero;
	rq.checkpoint_ms = 1;
	rq.block_size = 1u << 20;
	assert_int_equal(truncate(fx->img, 8 << 20), 0);
	assert_int_equal(sanitize_plan(&rq, plan, NULL), 0);
	assert_int_equal(sanitize_start(*plan, run, NULL), 0);
	do {
		usleep(10000);
		sanitize_snapshot(*run, &p);
		assert_true(p.pass <= p.n_passes);
		assert_true(p.percent >= 0 && p.percent <= 100);
	} while (p.done < (2u << 20) && p.state == SANITIZE_RUNNING);
}

/* A deliberate stop: aborted, recorded with its report, the checkpoint
 * removed, the medium back where it was. */
static void test_abort(void **state)
{
	struct fixture *fx = *state;
	int64_t id = enroll(fx, "internal");
	struct sanitize_plan *plan = NULL;
	struct sanitize_run *run = NULL;
	const struct sanitize_end *e;
	struct register_media m;
	char *ckpt = job_checkpoint_path(fx->dir, &fx->dev);

	start_slow(fx, &plan, &run);
	sanitize_abort(run);
	assert_int_equal(sanitize_wait(run, NULL), 0);
	e = sanitize_end(run);
	assert_string_equal(e->outcome, "aborted");
	assert_string_equal(e->event, "not-erased");
	assert_string_equal(e->cert_kind, "report");
	assert_int_equal(access(ckpt, F_OK), -1);
	assert_int_equal(register_get(fx->db, id, &m, NULL), 0);
	assert_string_equal(m.state, "in-stock");
	free(ckpt);
	sanitize_run_free(run);
	sanitize_plan_free(plan);
}

/* A stop to be continued: interrupted, recorded, the checkpoint kept; the
 * resumed run certifies every pass and counts the interruption. */
static void test_interrupt_resume(void **state)
{
	struct fixture *fx = *state;
	struct sanitize_plan *plan = NULL;
	struct sanitize_run *run = NULL;
	struct sanitize_request rq;
	const struct sanitize_end *e;
	const json_t *san;
	char *ckpt = job_checkpoint_path(fx->dir, &fx->dev);

	enroll(fx, "internal");
	start_slow(fx, &plan, &run);
	sanitize_interrupt(run);
	assert_int_equal(sanitize_wait(run, NULL), 0);
	e = sanitize_end(run);
	assert_string_equal(e->outcome, "interrupted");
	assert_string_equal(e->event, "not-erased");
	assert_int_equal(access(ckpt, F_OK), 0);
	sanitize_run_free(run);
	sanitize_plan_free(plan);
	request(fx, &rq, NULL, NULL);
	rq.resume = true;
	run_plan(fx, &rq, &plan, &run);
	e = sanitize_end(run);
	assert_string_equal(e->outcome, "erased");
	assert_int_equal(e->result->resumed, 1);
	assert_int_equal(e->result->interruptions, 1);
	san = json_object_get(json_object_get(e->doc, "certificate"), "sanitization");
	assert_int_equal(json_integer_value(json_object_get(san, "interruptions")), 1);
	assert_int_equal(access(ckpt, F_OK), -1);
	free(ckpt);
	sanitize_run_free(run);
	sanitize_plan_free(plan);
}

/* The firmware facts the JSON and the certificate share: NVMe hidden
 * areas are not applicable, an ATA drive not asked is "not checked", the
 * marker proof is stated. */
static void test_firmware_texts(void **state)
{
	struct fw_result fr;
	char buf[320];

	(void)state;
	memset(&fr, 0, sizeof(fr));
	util_strlcpy(fr.media_kind, "nvme", sizeof(fr.media_kind));
	sanitize_fw_hidden_text(&fr, buf, sizeof(buf));
	assert_non_null(strstr(buf, "not applicable"));
	util_strlcpy(fr.media_kind, "ssd", sizeof(fr.media_kind));
	sanitize_fw_hidden_text(&fr, buf, sizeof(buf));
	assert_string_equal(buf, "not checked");
	fr.hidden.checked = fr.hidden.known = true;
	sanitize_fw_hidden_text(&fr, buf, sizeof(buf));
	assert_string_equal(buf, "none");
	sanitize_fw_marker_text(&fr, buf, sizeof(buf));
	assert_string_equal(buf, "");
	fr.markers.checked = true;
	fr.markers.count = 8;
	sanitize_fw_marker_text(&fr, buf, sizeof(buf));
	assert_string_equal(buf, "8 random markers written before the erase, 0 survived");
}

/* ---- hidden areas before an overwrite (a fake ATA drive behind the image) ---------- */

#define HID_SECTORS 256u		/* the image is 2048 sectors of 512 bytes */

/* A drive showing the image's 2048 sectors and hiding HID_SECTORS more (HPA). */
static struct fakedev *hpa_drive(void)
{
	struct fakedev *f = fixture_fake("FUJITSU_MHZ2160BH_G1--0084000A");

	f->current_max = 2047;
	f->native_max = f->dco_max = 2047 + HID_SECTORS;
	f->nblocks = 2048;
	return f;
}

/* The kernel's side in the tests: the image grows as the drive says (or
 * not, when @data is non-NULL). */
static int fake_rescan(const char *path, uint64_t expect, uint64_t *bytes, void *data,
		       char **cause)
{
	struct stat st;

	(void)cause;
	if (!data && truncate(path, (off_t)expect) < 0)
		return -errno;
	if (stat(path, &st) < 0)
		return -errno;
	*bytes = (uint64_t)st.st_size;
	return 0;
}

static int start_hidden(struct fixture *fx, struct sanitize_plan **plan,
			struct sanitize_run **run, struct fakedev *f, bool restore,
			void *rescan_data, char **cause)
{
	struct sanitize_request rq;
	int rc;

	request(fx, &rq, NULL, NULL);
	rq.fw.restore_max = restore;
	rq.hidden_sgio = &f->dev;
	rq.rescan = fake_rescan;
	rq.rescan_data = rescan_data;
	rc = sanitize_plan(&rq, plan, cause);
	if (rc == 0)
		rc = sanitize_start(*plan, run, cause);
	return rc;
}

static const char *cert_field(const json_t *doc, const char *key)
{
	const json_t *c = json_object_get(doc, "certificate");
	const char *v = json_string_value(json_object_get(json_object_get(c, "sanitization"),
							  key));

	if (strcmp(key, "notes") == 0)
		v = json_string_value(json_object_get(c, "notes"));
	return v ? v : "";
}

/* HPA present, no restore: recorded as staying hidden, and said plainly. */
static void test_hidden_stays(void **state)
{
	struct fixture *fx = *state;
	struct fakedev *f = hpa_drive();
	struct sanitize_plan *plan = NULL;
	struct sanitize_run *run = NULL;
	const struct sanitize_end *e;
	const struct fw_result *hid;

	assert_int_equal(start_hidden(fx, &plan, &run, f, false, NULL, NULL), 0);
	assert_int_equal(sanitize_wait(run, NULL), 0);
	e = sanitize_end(run);
	assert_string_equal(e->outcome, "erased");
	assert_int_equal(e->result->size, 2048 * 512);
	hid = e->hidden;
	assert_non_null(hid);
	assert_int_equal(hid->hidden.hidden_sectors, HID_SECTORS);
	assert_int_equal(hid->hidden.still_hidden_sectors, HID_SECTORS);
	assert_non_null(strstr(cert_field(e->doc, "hidden_areas"),
			       "hidden area of 256 sectors NOT overwritten"));
	assert_non_null(strstr(cert_field(e->doc, "notes"),
			       "Hidden area of 256 sectors (HPA/DCO/AMA) NOT overwritten"));
	sanitize_run_free(run);
	sanitize_plan_free(plan);
	fakedev_free(f);
}

static void test_hidden_restored(void **state)
{
	struct fixture *fx = *state;
	struct fakedev *f = hpa_drive();
	struct sanitize_plan *plan = NULL;
	struct sanitize_run *run = NULL;
	const struct sanitize_end *e;

	assert_int_equal(start_hidden(fx, &plan, &run, f, true, NULL, NULL), 0);
	assert_int_equal(sanitize_wait(run, NULL), 0);
	e = sanitize_end(run);
	assert_string_equal(e->outcome, "erased");
	assert_int_equal(e->result->bytes_written, (2048 + HID_SECTORS) * 512);
	assert_int_equal(e->hidden->hidden.restored_sectors, HID_SECTORS);
	assert_int_equal(f->current_max, f->native_max);
	assert_non_null(strstr(cert_field(e->doc, "hidden_areas"),
			       "256 sectors were hidden (HPA/DCO/AMA): restored"));
	sanitize_run_free(run);
	sanitize_plan_free(plan);
	fakedev_free(f);
}

/* The drive grew but the kernel did not follow: the start fails before
 * the first write; the run is ended as failed with its report. */
static void test_hidden_rescan_refused(void **state)
{
	struct fixture *fx = *state;
	struct fakedev *f = hpa_drive();
	struct sanitize_plan *plan = NULL;
	struct sanitize_run *run = NULL;
	struct register_media m;
	char *cause = NULL, first;
	FILE *img;

	assert_int_equal(start_hidden(fx, &plan, &run, f, true, fx, &cause), -EIO);
	assert_non_null(strstr(cause, "the kernel sees 1048576 bytes"));
	assert_null(run);
	/* started in the register, so ended there: not-erased, with its report */
	assert_non_null(strstr(cause, "not-erased, report"));
	assert_int_equal(register_find_by_device(fx->db, &fx->dev, &m, NULL), 0);
	assert_string_equal(m.state, "in-stock");
	img = fopen(fx->img, "r");
	assert_non_null(img);
	assert_int_equal(fread(&first, 1, 1, img), 1);
	assert_int_equal(first, 'M');
	fclose(img);
	free(cause);
	sanitize_run_free(run);
	sanitize_plan_free(plan);
	fakedev_free(f);
}

/* The medium's state and number of history events. */
static size_t events_of(struct fixture *fx, int64_t mid, char *state)
{
	struct register_event *ev = NULL;
	struct register_media m;
	size_t n = 0;

	assert_int_equal(register_get(fx->db, mid, &m, NULL), 0);
	util_strlcpy(state, m.state, 32);
	assert_int_equal(register_history(fx->db, mid, &ev, &n, NULL), 0);
	register_events_free(ev, n);
	return n;
}

/* Destruction: refused without a station, then the certificate is issued
 * into <state_dir>/certs with every witness and the "destroyed" event's
 * hash, and attached to the medium. */
static void test_destruction(void **state)
{
	struct fixture *fx = *state;
	int64_t mid = enroll(fx, "secret");
	const char *w[3] = { "王五", "Jane Roe", "Li Si" };
	struct register_destruction d = {
		.method = "shred", .place = "room 101", .witnesses = w, .n_witnesses = 3,
		.note = "",
	};
	struct sanitize_destroy fd = {
		.state_dir = fx->dir, .operator_name = "tester", .validator_name = "Chief", .d = &d,
	};
	struct register_media m;
	struct register_cert *certs = NULL;
	char path[PATH_MAX + 128], st[32];
	char *cause = NULL;
	size_t n = 0, n_ev = events_of(fx, mid, st);
	json_t *doc, *jw;

	assert_int_equal(register_get(fx->db, mid, &m, NULL), 0);
	assert_int_equal(sanitize_destroy(fx->pol, fx->db, &m, &fd, &cause), -ENOENT);
	assert_non_null(strstr(cause, "custos init"));
	free(cause);
	assert_false(fd.recorded);
	assert_int_equal(events_of(fx, mid, st), n_ev);
	fd.station = fx->st;
	assert_int_equal(sanitize_destroy(fx->pol, fx->db, &m, &fd, NULL), 0);
	assert_true(fd.recorded);
	assert_true(fd.cert_id[0] != '\0');
	assert_int_equal(strlen(fd.hash), 64);
	assert_int_equal(events_of(fx, mid, st), n_ev + 1);
	assert_string_equal(st, "destroyed");
	snprintf(path, sizeof(path), "%s/%s.json", fd.cert_dir_out, fd.cert_id);
	assert_int_equal(access(path, R_OK), 0);
	snprintf(path, sizeof(path), "%s/certs/%s.pdf", fx->dir, fd.cert_id);
	assert_int_equal(access(path, R_OK), 0);
	assert_int_equal(register_list_certificates(fx->db, mid, &certs, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_string_equal(certs[0].id, fd.cert_id);
	assert_string_equal(certs[0].kind, "destruction");
	assert_string_equal(certs[0].event_hash, fd.hash);
	assert_true(certs[0].issued_at[0] != '\0');
	doc = json_loads(certs[0].json, 0, NULL);
	assert_non_null(doc);
	jw = json_object_get(json_object_get(json_object_get(doc, "certificate"), "destruction"),
			     "witnesses");
	assert_int_equal(json_array_size(jw), 3);
	for (size_t i = 0; i < 3; i++)
		assert_string_equal(json_string_value(json_object_get(json_array_get(jw, i),
								      "name")), w[i]);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
		json_object_get(doc, "certificate"), "validator"), "name")), "Chief");
	json_decref(doc);
	register_certs_free(certs, n);
}

/* One refused destruction: -EPERM, nothing recorded, no certificate. */
static void refused(struct fixture *fx, int64_t mid, struct sanitize_destroy *fd,
		    const char *rule)
{
	struct register_media m;
	struct register_cert *certs = NULL;
	char *cause = NULL, st[32];
	size_t n = 0, n_ev = events_of(fx, mid, st);

	assert_int_equal(register_get(fx->db, mid, &m, NULL), 0);
	assert_int_equal(sanitize_destroy(fx->pol, fx->db, &m, fd, &cause), -EPERM);
	assert_non_null(cause);
	if (rule)
		assert_non_null(strstr(cause, rule));
	free(cause);
	assert_false(fd->recorded);
	assert_string_equal(fd->cert_id, "");
	assert_int_equal(events_of(fx, mid, st), n_ev);
	assert_string_not_equal(st, "destroyed");
	assert_int_equal(register_list_certificates(fx->db, mid, &certs, &n, NULL), 0);
	assert_int_equal(n, 0);
	register_certs_free(certs, n);
}

/* The rules on the people are checked before the register is written. */
static void test_destruction_refused(void **state)
{
	struct fixture *fx = *state;
	int64_t mid = enroll(fx, "secret");
	const char *w[CERT_MAX_WITNESSES + 1] = { "王五", "tester", "Li Si" };
	struct register_destruction d = {
		.method = "shred", .place = "room 101", .witnesses = w, .n_witnesses = 1,
	};
	struct sanitize_destroy fd = {
		.state_dir = fx->dir, .station = fx->st, .operator_name = "tester", .d = &d,
	};
	char name[CERT_MAX_WITNESSES + 1][16];

	refused(fx, mid, &fd, "two-witnesses");		/* too few */
	d.n_witnesses = 2;
	refused(fx, mid, &fd, NULL);			/* the operator witnesses */
	w[1] = "Jane Roe";
	fd.validator_name = " Tester";
	refused(fx, mid, &fd, NULL);			/* the operator validates */
	fd.validator_name = NULL;
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(w); i++) {
		snprintf(name[i], sizeof(name[i]), "witness %zu", i);
		w[i] = name[i];
	}
	d.n_witnesses = UTIL_ARRAY_SIZE(w);
	refused(fx, mid, &fd, "two-witnesses");		/* more than a certificate holds */
}

/* Issuance failing after the event: the medium stays destroyed and the
 * cause says it has no certificate. */
static void test_destruction_no_cert(void **state)
{
	struct fixture *fx = *state;
	int64_t mid = enroll(fx, "secret");
	const char *w[2] = { "王五", "Jane Roe" };
	struct register_destruction d = {
		.method = "shred", .place = "room 101", .witnesses = w, .n_witnesses = 2,
	};
	struct sanitize_destroy fd = {
		.state_dir = fx->dir, .station = fx->st, .operator_name = "tester", .d = &d,
	};
	struct register_media m;
	struct register_cert *certs = NULL;
	char path[PATH_MAX], st[32], *cause = NULL;
	size_t n = 0;

	/* the PDF of the next number cannot be written: no certificate */
	next_doc_blocked(fx, NULL, path, sizeof(path));
	assert_int_equal(register_get(fx->db, mid, &m, NULL), 0);
	assert_true(sanitize_destroy(fx->pol, fx->db, &m, &fd, &cause) < 0);
	assert_true(fd.recorded);
	assert_string_equal(fd.cert_id, "");
	assert_non_null(cause);
	assert_non_null(strstr(cause, "recorded as destroyed"));
	assert_non_null(strstr(cause, "no certificate"));
	free(cause);
	events_of(fx, mid, st);
	assert_string_equal(st, "destroyed");
	assert_int_equal(register_list_certificates(fx->db, mid, &certs, &n, NULL), 0);
	assert_int_equal(n, 0);
	register_certs_free(certs, n);
}

/* fontconfig's process-lifetime caches are not leaks (see tests/lsan-cert.supp). */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libfontconfig.so\n";
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_refuse_input), T(test_refuse_probe), T(test_refuse_lifecycle),
		T(test_refuse_awaiting_destruction), T(test_refuse_integrity),
		T(test_refuse_policy), T(test_refuse_people),
		T(test_refuse_firmware_station_certs), T(test_refuse_register),
		T(test_plan_contents), T(test_enrolled_run), T(test_unenrolled_run),
		T(test_interrupted_then_fresh), T(test_failed_back_to_state),
		T(test_document_fails), T(test_verify_missing_cert),
		T(test_abort), T(test_interrupt_resume),
		T(test_firmware_texts), T(test_hidden_stays), T(test_hidden_restored), T(test_hidden_rescan_refused),
		T(test_destruction), T(test_destruction_refused), T(test_destruction_no_cert),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
