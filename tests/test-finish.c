/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for src/finish.c: the policy check before a sanitization, and
 * what is recorded and certified when a job ends (real jobs on small image
 * files, and the hook called directly with a failed result). */
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
#include <unistd.h>

#include <cmocka.h>

#include "cert.h"
#include "fakedev.h"
#include "finish.h"
#include "fw-fixtures.h"
#include "job.h"
#include "policy.h"
#include "register.h"
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
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/custos-finish.XXXXXX");
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


/* Run the zero profile on the fixture's image with the shared hook. */
static const struct wipe_result *run(struct fixture *fx, struct finish *fin, struct job **job)
{
	struct job_spec spec = {
		.device = &fx->dev,
		.profile = &fx->zero,
		.state_dir = fx->dir,
		.on_complete = finish_hook,
		.complete_data = fin,
	};
	const struct wipe_result *res = NULL;

	fin->state_dir = fx->dir;
	util_strlcpy(fin->operator_name, "tester", sizeof(fin->operator_name));
	assert_int_equal(job_start(&spec, job, NULL), 0);
	assert_int_equal(job_wait(*job, &res, NULL), 0);
	assert_non_null(res);
	return res;
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

static int check(struct fixture *fx, struct finish *fin, const char *dest, const char *cls)
{
	char *cause = NULL;
	int rc;

	util_strlcpy(fin->destination, dest, sizeof(fin->destination));
	util_strlcpy(fin->declared_class, cls ? cls : "", sizeof(fin->declared_class));
	rc = finish_check(fx->pol, fx->db, &fx->dev, &fx->zero, fin, &cause);
	if (rc == -EPERM)
		assert_non_null(strstr(cause, "policy rule"));
	free(cause);
	return rc;
}

static void test_check_unenrolled(void **state)
{
	struct fixture *fx = *state;
	struct finish fin;

	finish_init(&fin);
	assert_string_equal(fin.destination, "internal-reuse");
	/* no level declared: internal, recorded as declared */
	assert_int_equal(check(fx, &fin, "internal-reuse", NULL), 0);
	assert_string_equal(fin.declared_class, "internal");
	assert_true(fin.media_id <= 0);
	assert_int_equal(check(fx, &fin, "recycling", NULL), 0);
	assert_int_equal(check(fx, &fin, "recycling", "secret"), -EPERM);
	assert_int_equal(check(fx, &fin, "internal-reuse", "top-secret"), -EPERM);
	assert_int_equal(check(fx, &fin, "destruction", "top-secret"), 0);
	assert_int_equal(check(fx, &fin, "internal-reuse", "no-such-level"), -EINVAL);
	assert_int_equal(check(fx, &fin, "nowhere", NULL), -EINVAL);
	finish_clear(&fin);
}

static void test_check_enrolled(void **state)
{
	struct fixture *fx = *state;
	int64_t id = enroll(fx, "top-secret");
	struct finish fin;

	finish_init(&fin);
	/* the register's level wins over a declared one */
	assert_int_equal(check(fx, &fin, "internal-reuse", "public"), -EPERM);
	assert_int_equal(fin.media_id, id);
	assert_int_equal(check(fx, &fin, "destruction", NULL), 0);
	assert_string_equal(fin.declared_class, "");
	finish_clear(&fin);
}

static void test_check_no_category(void **state)
{
	struct fixture *fx = *state;
	struct profile p = fx->zero;
	struct finish fin;
	char *cause = NULL;

	finish_init(&fin);
	for (size_t i = 0; i < PROFILE_N_KINDS; i++)
		p.nist[i] = PROFILE_NIST_NONE;
	assert_int_equal(finish_check(fx->pol, fx->db, &fx->dev, &p, &fin, &cause), -EPERM);
	assert_non_null(strstr(cause, "minimum-sanitization"));
	free(cause);
	finish_clear(&fin);
}

static void test_enrolled(void **state)
{
	struct fixture *fx = *state;
	int64_t id = enroll(fx, "internal");
	struct register_media now;
	struct register_cert *certs = NULL;
	struct register_event *ev = NULL;
	struct job *job = NULL;
	struct finish fin;
	size_t n = 0, nev = 0;

	finish_init(&fin);
	fin.station = fx->st;
	assert_int_equal(check(fx, &fin, "internal-reuse", NULL), 0);
	assert_int_equal(fin.media_id, id);
	assert_int_equal(run(fx, &fin, &job)->outcome, WIPE_OUTCOME_ERASED);
	assert_null(job_hook_error(job));
	assert_string_equal(fin.cert_kind, "sanitization");
	assert_int_equal(access(fin.cert_json, R_OK), 0);
	assert_int_equal(access(fin.cert_pdf, R_OK), 0);
	assert_non_null(fin.doc);
	assert_int_equal(register_get(fx->db, id, &now, NULL), 0);
	assert_string_equal(now.state, "sanitized");
	assert_string_equal(fin.register_no, now.register_no);
	assert_int_equal(register_list_certificates(fx->db, id, &certs, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_string_equal(certs[0].id, fin.cert_id);
	assert_string_equal(certs[0].kind, "sanitization");
	assert_int_equal(register_history(fx->db, id, &ev, &nev, NULL), 0);
	assert_int_equal(nev, 2);
	assert_string_equal(ev[1].kind, "sanitized");
	assert_string_equal(certs[0].event_hash, ev[1].hash);
	register_events_free(ev, nev);
	register_certs_free(certs, n);
	job_free(job);
	finish_clear(&fin);
}

/* Unenrolled, declared level, own cert dir, source host: all in the record. */
static const char *cert_field(const struct finish *fin, const char *key)
{
	const json_t *c = json_object_get(fin->doc, "certificate");
	const char *v = json_string_value(json_object_get(json_object_get(c, "sanitization"),
							  key));

	if (strcmp(key, "notes") == 0)
		v = json_string_value(json_object_get(c, "notes"));
	return v ? v : "";
}

static void test_unenrolled(void **state)
{
	struct fixture *fx = *state;
	struct register_media m;
	struct job *job = NULL;
	struct finish fin;
	char dir[128];
	const char *notes;

	snprintf(dir, sizeof(dir), "%s/out", fx->dir);
	finish_init(&fin);
	fin.station = fx->st;
	fin.cert_dir = dir;
	util_strlcpy(fin.source_host, "pc-42 (Acme X1, asset tag PC-42)", sizeof(fin.source_host));
	assert_int_equal(check(fx, &fin, "recycling", "public"), 0);
	assert_int_equal(run(fx, &fin, &job)->outcome, WIPE_OUTCOME_ERASED);
	assert_null(job_hook_error(job));
	assert_int_equal(strncmp(fin.cert_json, dir, strlen(dir)), 0);
	assert_int_equal(access(fin.cert_json, R_OK), 0);
	assert_int_equal(register_find_by_device(fx->db, &fx->dev, &m, NULL), 0);
	assert_true(m.unregistered);
	assert_int_equal(strncmp(m.register_no, "U-", 2), 0);
	assert_string_equal(m.state, "scrapped");
	notes = json_string_value(json_object_get(json_object_get(fin.doc, "certificate"),
						  "notes"));
	assert_non_null(notes);
	assert_non_null(strstr(notes, "public declared"));
	/* an image file has no hidden areas to speak of */
	assert_null(job_hidden_areas(job));
	assert_non_null(strstr(cert_field(&fin, "hidden_areas"), "not applicable"));
	job_free(job);
	finish_clear(&fin);
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

static int start_hidden(struct fixture *fx, struct finish *fin, struct fakedev *f,
			bool restore, void *rescan_data, struct job **job, char **cause)
{
	struct job_spec spec = {
		.device = &fx->dev,
		.profile = &fx->zero,
		.state_dir = fx->dir,
		.firmware = fw_job_run,		/* as the CLI: --restore-max in its options */
		.firmware_data = &fin->fw,
		.on_complete = finish_hook,
		.complete_data = fin,
		.hidden_sgio = &f->dev,
		.rescan = fake_rescan,
		.rescan_data = rescan_data,
	};

	fin->state_dir = fx->dir;
	fin->station = fx->st;
	fin->fw.opts.restore_max = restore;
	util_strlcpy(fin->operator_name, "tester", sizeof(fin->operator_name));
	return job_start(&spec, job, cause);
}

/* HPA present, no restore: recorded as staying hidden, and said plainly. */
static void test_hidden_stays(void **state)
{
	struct fixture *fx = *state;
	struct fakedev *f = hpa_drive();
	const struct wipe_result *res = NULL;
	const struct fw_result *hid;
	struct job *job = NULL;
	struct finish fin;
	struct stat st;

	finish_init(&fin);
	assert_int_equal(start_hidden(fx, &fin, f, false, NULL, &job, NULL), 0);
	assert_int_equal(job_wait(job, &res, NULL), 0);
	assert_int_equal(res->outcome, WIPE_OUTCOME_ERASED);
	assert_int_equal(res->size, 2048 * 512);
	assert_null(job_hook_error(job));
	hid = job_hidden_areas(job);
	assert_non_null(hid);
	assert_true(hid->hidden.checked && hid->hidden.known);
	assert_int_equal(hid->hidden.hidden_sectors, HID_SECTORS);
	assert_false(hid->hidden.restore_attempted);
	assert_int_equal(hid->hidden.still_hidden_sectors, HID_SECTORS);
	assert_int_equal(f->current_max, 2047);
	assert_non_null(strstr(cert_field(&fin, "hidden_areas"),
			       "hidden area of 256 sectors NOT overwritten"));
	assert_non_null(strstr(cert_field(&fin, "notes"),
			       "Hidden area of 256 sectors (HPA/DCO/AMA) NOT overwritten"));
	assert_int_equal(stat(fx->img, &st), 0);
	assert_int_equal(st.st_size, 1 << 20);
	job_free(job);
	finish_clear(&fin);
	fakedev_free(f);
}

/* --restore-max: the native max comes back, the kernel sees it, and the
 * overwrite covers it. */
static void test_hidden_restored(void **state)
{
	struct fixture *fx = *state;
	struct fakedev *f = hpa_drive();
	const struct wipe_result *res = NULL;
	const struct fw_result *hid;
	struct job *job = NULL;
	struct finish fin;

	finish_init(&fin);
	assert_int_equal(start_hidden(fx, &fin, f, true, NULL, &job, NULL), 0);
	assert_int_equal(job_wait(job, &res, NULL), 0);
	assert_int_equal(res->outcome, WIPE_OUTCOME_ERASED);
	assert_int_equal(res->size, (2048 + HID_SECTORS) * 512);
	assert_int_equal(res->bytes_written, (2048 + HID_SECTORS) * 512);
	hid = job_hidden_areas(job);
	assert_non_null(hid);
	assert_true(hid->hidden.restore_attempted);
	assert_int_equal(hid->hidden.hidden_sectors, HID_SECTORS);
	assert_int_equal(hid->hidden.restored_sectors, HID_SECTORS);
	assert_int_equal(hid->hidden.still_hidden_sectors, 0);
	assert_int_equal(f->current_max, f->native_max);
	assert_non_null(strstr(cert_field(&fin, "hidden_areas"),
			       "256 sectors were hidden (HPA/DCO/AMA): restored"));
	assert_null(strstr(cert_field(&fin, "notes"), "NOT overwritten"));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(
		fin.doc, "certificate"), "medium"), "capacity_bytes")), (2048 + HID_SECTORS) * 512);
	job_free(job);
	finish_clear(&fin);
	fakedev_free(f);
}

/* The drive grew but the kernel did not follow: refused, nothing written. */
static void test_hidden_rescan_refused(void **state)
{
	struct fixture *fx = *state;
	struct fakedev *f = hpa_drive();
	struct job *job = NULL;
	struct finish fin;
	char *cause = NULL, first;
	FILE *img;

	finish_init(&fin);
	assert_int_equal(start_hidden(fx, &fin, f, true, fx, &job, &cause), -EIO);
	assert_null(job);
	assert_non_null(strstr(cause, "the kernel sees 1048576 bytes"));
	img = fopen(fx->img, "r");
	assert_non_null(img);
	assert_int_equal(fread(&first, 1, 1, img), 1);
	assert_int_equal(first, 'M');
	fclose(img);
	free(cause);
	finish_clear(&fin);
	fakedev_free(f);
}

/* A failed job yields a report, never a certificate of erasure. */
static void test_failed_report(void **state)
{
	struct fixture *fx = *state;
	struct wipe_result res;
	struct finish fin;

	memset(&res, 0, sizeof(res));
	res.outcome = WIPE_OUTCOME_FAILED;
	util_strlcpy(res.profile, "zero", sizeof(res.profile));
	util_strlcpy(res.device, fx->dev.path, sizeof(res.device));
	util_strlcpy(res.cause, "write error", sizeof(res.cause));
	res.first_mismatch = UINT64_MAX;
	finish_init(&fin);
	fin.station = fx->st;
	fin.state_dir = fx->dir;
	assert_int_equal(finish_hook(NULL, &fx->dev, &fx->zero, &res, &fin, NULL), 0);
	assert_string_equal(fin.cert_kind, "report");
	finish_clear(&fin);
}

static void test_no_station(void **state)
{
	struct fixture *fx = *state;
	struct job *job = NULL;
	struct finish fin;

	finish_init(&fin);
	assert_int_equal(run(fx, &fin, &job)->outcome, WIPE_OUTCOME_ERASED);
	assert_non_null(job_hook_error(job));
	assert_non_null(strstr(job_hook_error(job), "custos init"));
	assert_string_equal(fin.cert_id, "");
	job_free(job);
	finish_clear(&fin);
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
	struct finish_destroy fd = {
		.state_dir = fx->dir, .operator_name = "tester", .validator_name = "Chief", .d = &d,
	};
	struct register_media m;
	struct register_cert *certs = NULL;
	char path[PATH_MAX + 128], st[32];
	char *cause = NULL;
	size_t n = 0, n_ev = events_of(fx, mid, st);
	json_t *doc, *jw;

	assert_int_equal(register_get(fx->db, mid, &m, NULL), 0);
	assert_int_equal(finish_destroy(fx->pol, fx->db, &m, &fd, &cause), -ENOENT);
	assert_non_null(strstr(cause, "custos init"));
	free(cause);
	assert_false(fd.recorded);
	assert_int_equal(events_of(fx, mid, st), n_ev);
	fd.station = fx->st;
	assert_int_equal(finish_destroy(fx->pol, fx->db, &m, &fd, NULL), 0);
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
static void refused(struct fixture *fx, int64_t mid, struct finish_destroy *fd,
		    const char *rule)
{
	struct register_media m;
	struct register_cert *certs = NULL;
	char *cause = NULL, st[32];
	size_t n = 0, n_ev = events_of(fx, mid, st);

	assert_int_equal(register_get(fx->db, mid, &m, NULL), 0);
	assert_int_equal(finish_destroy(fx->pol, fx->db, &m, fd, &cause), -EPERM);
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
	struct finish_destroy fd = {
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
	struct finish_destroy fd = {
		.state_dir = fx->dir, .station = fx->st, .operator_name = "tester", .d = &d,
	};
	struct register_media m;
	struct register_cert *certs = NULL;
	char path[128], st[32], *cause = NULL;
	size_t n = 0;

	/* the sequence file cannot be opened: no id can be taken */
	snprintf(path, sizeof(path), "%s/certs/.seq", fx->dir);
	assert_int_equal(util_mkdir_p(path, 0700), 0);
	assert_int_equal(register_get(fx->db, mid, &m, NULL), 0);
	assert_true(finish_destroy(fx->pol, fx->db, &m, &fd, &cause) < 0);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_check_unenrolled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_enrolled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_no_category, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enrolled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unenrolled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hidden_stays, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hidden_restored, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hidden_rescan_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_report, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_station, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destruction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destruction_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destruction_no_cert, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
