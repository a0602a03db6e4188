/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include <dirent.h>

#include "keyring.h"
#include "register-private.h"
#include "register.h"
#include "station.h"
#include "sign.h"
#include "util.h"

/* Every writer signs its events: a test key pair in @dir (made once). */
static int attach_key(struct register_db *db, const char *dir)
{
	char priv[160], pub[160];
	struct sign_key *k = NULL;

	snprintf(priv, sizeof(priv), "%s/test.key", dir);
	snprintf(pub, sizeof(pub), "%s/test.pub", dir);
	if (access(priv, F_OK) != 0 && sign_generate(SIGN_KEY_ED25519, priv, pub, NULL) < 0)
		return -1;
	if (sign_load_private(priv, &k, NULL) < 0)
		return -1;
	return register_set_signer(db, k, NULL);
}

struct fixture {
	char dir[64];
	char path[128];
	struct register_db *db;
	struct policy *pol;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char *cause = NULL;

	if (!f)
		return -1;
	util_strlcpy(f->dir, "/tmp/custos-test-register-XXXXXX", sizeof(f->dir));
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/register.db", f->dir);
	if (register_open(f->path, &f->db, &cause) < 0 ||
	    policy_load(NULL, 0, &f->pol, &cause) < 0) {
		print_error("%s\n", cause);
		return -1;
	}
	register_set_actor(f->db, "tester", "WS-TEST");
	if (attach_key(f->db, f->dir) < 0)
		return -1;
	*state = f;
	return 0;
}

static void rm_dir(const char *dir)
{
	static const char *const names[] = { "register.db", "register.db-wal", "register.db-shm",
					     "backup.db", "v1.db", "v1.db-wal", "v1.db-shm",
					     "register.head", "register.head.lock", "test.key",
					     "test.pub", "other.key", "other.pub" };
	char p[512];
	struct dirent *d;
	DIR *kd;

	snprintf(p, sizeof(p), "%s/keys", dir);
	kd = opendir(p);
	while (kd && (d = readdir(kd))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/keys/%s", dir, d->d_name);
		unlink(p);
	}
	if (kd)
		closedir(kd);
	snprintf(p, sizeof(p), "%s/keys", dir);
	rmdir(p);

	for (size_t i = 0; i < UTIL_ARRAY_SIZE(names); i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		unlink(p);
	}
	rmdir(dir);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	register_close(f->db);
	policy_free(f->pol);
	rm_dir(f->dir);
	free(f);
	return 0;
}

/* Enrol a virtual medium with @tag as asset tag and serial. */
static int64_t enroll(struct fixture *f, const char *tag, const char *level)
{
	struct register_media m;
	char *cause = NULL;

	memset(&m, 0, sizeof(m));
	util_strlcpy(m.asset_tag, tag, sizeof(m.asset_tag));
	util_strlcpy(m.serial, tag, sizeof(m.serial));
	util_strlcpy(m.media_type, "usb-flash", sizeof(m.media_type));
	util_strlcpy(m.classification, level, sizeof(m.classification));
	util_strlcpy(m.custodian, "张三", sizeof(m.custodian));
	m.capacity_bytes = 8u << 20;
	if (register_enroll(f->db, &m, &m, &cause) != 0)
		print_error("%s\n", cause);
	assert_true(m.id > 0);
	return m.id;
}

static void verify_ok(struct register_db *db, int64_t events)
{
	struct register_verify_result r;
	char *cause = NULL;

	assert_int_equal(register_verify(db, &r, &cause), 0);
	if (!r.ok)
		print_error("%s\n", r.message);
	assert_true(r.ok);
	assert_int_equal(r.events, events);
}

/* Run SQL on the file behind the library's back. */
static int raw_sql(const char *path, const char *sql)
{
	sqlite3 *db = NULL;
	int rc;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	sqlite3_close(db);
	return rc;
}

static void test_enroll_and_chain(void **state)
{
	struct fixture *f = *state;
	struct register_media m;
	int64_t a = enroll(f, "T-1", "secret"), b = enroll(f, "T-2", "internal");
	char *cause = NULL;

	assert_int_equal(register_get(f->db, a, &m, NULL), 0);
	assert_string_equal(m.register_no, "M-000001");
	assert_string_equal(m.state, "in-stock");
	assert_string_equal(m.highest_class, "secret");
	assert_int_equal(register_issue(f->db, a, "李四", NULL), 0);
	assert_int_equal(register_return(f->db, a, NULL), 0);
	assert_int_equal(register_repair(f->db, b, "Vendor Co", NULL), 0);
	assert_int_equal(register_return(f->db, b, NULL), 0);
	assert_int_equal(register_reclassify(f->db, f->pol, b, POLICY_LEVEL_SECRET, NULL), 0);
	verify_ok(f->db, 7);
	/* the same asset tag or serial again is refused */
	memset(&m, 0, sizeof(m));
	util_strlcpy(m.serial, "T-1", sizeof(m.serial));
	util_strlcpy(m.media_type, "hdd", sizeof(m.media_type));
	util_strlcpy(m.classification, "secret", sizeof(m.classification));
	assert_int_equal(register_enroll(f->db, &m, &m, &cause), -EEXIST);
	assert_non_null(strstr(cause, "M-000001"));
	free(cause);
	cause = NULL;
	verify_ok(f->db, 7);
}

/* Text that JSON cannot carry, or that would drive a terminal, never
 * enters the register: every entry point refuses it with nothing written
 * and nothing leaked (issue 11). */
static void test_text_refused(void **state)
{
	static const char *const bad[] = { "\xff\xfe", "\xc0\xaf", "a\x1b[31m", "x\ay",
					   "a\xc2\x9b" };
	struct fixture *f = *state;
	int64_t a = enroll(f, "T-1", "secret");
	const char *w[2] = { "W1", "W2" };
	struct register_media m;
	char *cause = NULL;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct register_destruction d = { .method = "shred", .place = "Room",
						  .witnesses = w, .n_witnesses = 2 };
		struct register_sanitization s = { .result_json = "{\"outcome\":\"erased\"}",
						   .destination = "internal-reuse",
						   .nist_category = "clear", .profile = bad[i] };

		memset(&m, 0, sizeof(m));
		util_strlcpy(m.media_type, "hdd", sizeof(m.media_type));
		util_strlcpy(m.classification, "internal", sizeof(m.classification));
		util_strlcpy(m.serial, "S-NEW", sizeof(m.serial));
		util_strlcpy(m.custodian, bad[i], sizeof(m.custodian));
		assert_int_equal(register_enroll(f->db, &m, &m, &cause), -EINVAL);
		assert_non_null(strstr(cause, "custodian: "));
		assert_int_equal(register_issue(f->db, a, bad[i], &cause), -EINVAL);
		assert_int_equal(register_repair(f->db, a, bad[i], &cause), -EINVAL);
		assert_int_equal(register_lost(f->db, a, bad[i], &cause), -EINVAL);
		d.place = bad[i];
		assert_int_equal(register_destroy(f->db, f->pol, a, &d, NULL, &cause), -EINVAL);
		d.place = "Room";
		w[1] = bad[i];
		assert_int_equal(register_destroy(f->db, f->pol, a, &d, NULL, &cause), -EINVAL);
		w[1] = "W2";
		assert_int_equal(register_record_sanitization(f->db, a, NULL, &s, NULL, NULL,
							      &cause), -EINVAL);
		assert_int_equal(register_set_actor(f->db, bad[i], "S"), -EINVAL);
		assert_int_equal(register_set_actor(f->db, "op", bad[i]), -EINVAL);
	}
	/* refused before anything is allocated (no leak under ASan) */
	assert_int_equal(register_issue(f->db, a, "", &cause), -EINVAL);
	assert_int_equal(register_repair(f->db, a, NULL, &cause), -EINVAL);
	assert_int_equal(register_reclassify(f->db, f->pol, a, POLICY_LEVEL_COUNT, &cause),
			 -EINVAL);
	free(cause);
	assert_int_equal(register_get(f->db, a, &m, NULL), 0);
	assert_string_equal(m.state, "in-stock");
	verify_ok(f->db, 1);
}

static void test_history(void **state)
{
	struct fixture *f = *state;
	int64_t a = enroll(f, "H-1", "secret");
	struct register_event *ev = NULL;
	size_t n = 0;

	enroll(f, "H-2", "secret");
	assert_int_equal(register_issue(f->db, a, "李四", NULL), 0);
	assert_int_equal(register_history(f->db, a, &ev, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_string_equal(ev[0].kind, "enrolled");
	assert_string_equal(ev[1].kind, "issued");
	assert_string_equal(ev[1].operator_name, "tester");
	assert_string_equal(ev[1].station, "WS-TEST");
	assert_string_equal(ev[1].details, "{\"to\":\"李四\"}");
	assert_int_equal(ev[1].seq, 3);		/* one global chain */
	register_events_free(ev, n);
}

static void test_changed_byte(void **state)
{
	struct fixture *f = *state;
	struct register_verify_result r;
	int64_t a = enroll(f, "C-1", "secret");

	assert_int_equal(register_issue(f->db, a, "Alice", NULL), 0);
	assert_int_equal(register_return(f->db, a, NULL), 0);
	verify_ok(f->db, 3);
	assert_int_equal(raw_sql(f->path, "DROP TRIGGER events_no_update;"
				 "UPDATE events SET details = replace(details, 'Alice', 'Alicf')"
				 " WHERE seq = 2"), SQLITE_OK);
	assert_int_equal(register_verify(f->db, &r, NULL), 0);
	assert_false(r.ok);
	assert_int_equal(r.seq, 2);
	assert_string_equal(r.what, "hash");
	assert_string_not_equal(r.expected, r.found);
	assert_non_null(strstr(r.message, "seq 2"));
}

static void test_removed_event(void **state)
{
	struct fixture *f = *state;
	struct register_verify_result r;
	int64_t a = enroll(f, "R-1", "secret");

	assert_int_equal(register_issue(f->db, a, "Alice", NULL), 0);
	assert_int_equal(register_return(f->db, a, NULL), 0);
	assert_int_equal(register_issue(f->db, a, "Bob", NULL), 0);
	assert_int_equal(raw_sql(f->path, "DROP TRIGGER events_no_delete;"
				 "DELETE FROM events WHERE seq = 2"), SQLITE_OK);
	assert_int_equal(register_verify(f->db, &r, NULL), 0);
	assert_false(r.ok);
	assert_int_equal(r.seq, 3);
	assert_string_equal(r.what, "seq");
	assert_string_equal(r.expected, "2");
	assert_string_equal(r.found, "3");
}

static void test_removed_tail(void **state)
{
	struct fixture *f = *state;
	struct register_verify_result r;
	int64_t a = enroll(f, "R-2", "secret");

	assert_int_equal(register_issue(f->db, a, "Alice", NULL), 0);
	assert_int_equal(raw_sql(f->path, "DROP TRIGGER events_no_delete;"
				 "DELETE FROM events WHERE seq = 2"), SQLITE_OK);
	assert_int_equal(register_verify(f->db, &r, NULL), 0);
	assert_false(r.ok);
	assert_non_null(strstr(r.what, "head"));
}

static void test_triggers(void **state)
{
	struct fixture *f = *state;
	struct register_media m;

	enroll(f, "X-1", "internal");
	assert_int_equal(raw_sql(f->path, "UPDATE events SET kind = 'x'"), SQLITE_CONSTRAINT);
	assert_int_equal(raw_sql(f->path, "DELETE FROM events"), SQLITE_CONSTRAINT);
	assert_int_equal(raw_sql(f->path, "DELETE FROM certificates"), SQLITE_OK);
	verify_ok(f->db, 1);
	assert_int_equal(register_find_ref(f->db, "x-1", &m, NULL), -ENOENT);
	assert_int_equal(register_find_ref(f->db, "X-1", &m, NULL), 0);
	assert_int_equal(register_find_ref(f->db, "m-000001", &m, NULL), 0);
}

static void test_lifecycle_refusals(void **state)
{
	struct fixture *f = *state;
	const char *w[] = { "Li Wei", "Wang Fang" };
	const char *w1[] = { "Li Wei", "li wei" };
	struct register_destruction d = { .method = "shred", .place = "Room 101",
					  .witnesses = w, .n_witnesses = 2 };
	struct register_media before, after;
	int64_t a = enroll(f, "L-1", "confidential");
	char *cause = NULL, hash[65];

	assert_int_equal(register_get(f->db, a, &before, NULL), 0);
	assert_int_equal(register_reclassify(f->db, f->pol, a, POLICY_LEVEL_SECRET, &cause),
			 -EPERM);
	assert_non_null(strstr(cause, "policy rule no-downgrade"));
	free(cause);
	cause = NULL;
	assert_int_equal(register_reclassify(f->db, f->pol, a, POLICY_LEVEL_CONFIDENTIAL, NULL),
			 -EALREADY);
	assert_int_equal(register_return(f->db, a, &cause), -EPERM);
	assert_non_null(strstr(cause, "lifecycle rule"));
	free(cause);
	cause = NULL;
	d.witnesses = w1;
	assert_int_equal(register_destroy(f->db, f->pol, a, &d, hash, NULL), -EPERM);
	assert_int_equal(register_get(f->db, a, &after, NULL), 0);
	assert_memory_equal(&before, &after, sizeof(before));
	verify_ok(f->db, 1);
	d.witnesses = w;
	assert_int_equal(register_destroy(f->db, f->pol, a, &d, hash, NULL), 0);
	assert_int_equal(strlen(hash), 64);
	assert_int_equal(register_issue(f->db, a, "Bob", &cause), -EPERM);
	assert_non_null(strstr(cause, "destroyed"));
	free(cause);
	cause = NULL;
	assert_int_equal(register_lost(f->db, a, NULL, NULL), -EPERM);
	assert_int_equal(register_get(f->db, a, &after, NULL), 0);
	assert_int_equal(register_check_sanitize_state(&before, NULL), 0);
	assert_int_equal(register_check_sanitize_state(&after, NULL), -EPERM);
	verify_ok(f->db, 2);
}

static void test_lost_found(void **state)
{
	struct fixture *f = *state;
	struct register_media m;
	struct register_event *ev = NULL;
	size_t n = 0;
	int64_t a = enroll(f, "F-1", "secret");

	assert_int_equal(register_issue(f->db, a, "Bob", NULL), 0);
	assert_int_equal(register_lost(f->db, a, "left on a train", NULL), 0);
	assert_int_equal(register_issue(f->db, a, "Bob", NULL), -EPERM);
	assert_int_equal(register_return(f->db, a, NULL), 0);
	assert_int_equal(register_get(f->db, a, &m, NULL), 0);
	assert_string_equal(m.state, "in-stock");
	assert_int_equal(register_history(f->db, a, &ev, &n, NULL), 0);
	assert_string_equal(ev[n - 1].kind, "found");
	register_events_free(ev, n);
}

static void test_recognise(void **state)
{
	struct fixture *f = *state;
	struct device_info dev;
	struct register_media m;

	memset(&dev, 0, sizeof(dev));
	util_strlcpy(dev.path, "/dev/loop7", sizeof(dev.path));
	util_strlcpy(dev.backing_file, "/tmp/img/disk.img", sizeof(dev.backing_file));
	dev.transport = DEVICE_TRANSPORT_VIRTUAL;
	dev.size_bytes = 1 << 20;
	memset(&m, 0, sizeof(m));
	register_media_from_device(&m, &dev);
	assert_string_equal(m.media_type, "virtual");
	util_strlcpy(m.classification, "internal", sizeof(m.classification));
	assert_int_equal(register_enroll(f->db, &m, &m, NULL), 0);
	/* the same file, as a file now */
	util_strlcpy(dev.path, "/tmp/img/disk.img", sizeof(dev.path));
	dev.transport = DEVICE_TRANSPORT_FILE;
	memset(&m, 0, sizeof(m));
	assert_int_equal(register_find_by_device(f->db, &dev, &m, NULL), 0);
	assert_string_equal(m.register_no, "M-000001");
	/* a real disk by serial, then by WWN */
	memset(&dev, 0, sizeof(dev));
	dev.transport = DEVICE_TRANSPORT_SATA;
	util_strlcpy(dev.serial, "WD-123", sizeof(dev.serial));
	util_strlcpy(dev.model, "WDC WD10", sizeof(dev.model));
	util_strlcpy(dev.wwn, "0x5000c500a1b2c3d4", sizeof(dev.wwn));
	dev.rotational = true;
	assert_int_equal(register_find_by_device(f->db, &dev, &m, NULL), -ENOENT);
	memset(&m, 0, sizeof(m));
	register_media_from_device(&m, &dev);
	assert_string_equal(m.media_type, "hdd");
	util_strlcpy(m.classification, "secret", sizeof(m.classification));
	assert_int_equal(register_enroll(f->db, &m, &m, NULL), 0);
	dev.wwn[0] = '\0';
	assert_int_equal(register_find_by_device(f->db, &dev, &m, NULL), 0);
	assert_string_equal(m.register_no, "M-000002");
	assert_int_equal(register_find_ref(f->db, "WD-123", &m, NULL), 0);
	assert_int_equal(register_find_ref(f->db, "0x5000C500A1B2C3D4", &m, NULL), 0);
}

static void test_sanitization(void **state)
{
	struct fixture *f = *state;
	struct register_sanitization s = { .result_json = "{\"outcome\":\"erased\"}",
					   .certificate_id = "WS-2026-000001",
					   .destination = "internal-reuse",
					   .nist_category = "clear", .profile = "zero-verify" };
	struct register_cert c = { .media_id = 0 }, got;
	struct register_cert *list = NULL;
	struct register_event *ev = NULL;
	struct register_media m;
	struct device_info dev;
	int64_t a = enroll(f, "S-1", "secret"), b, id = 0;
	size_t n = 0;
	char hash[65];

	assert_int_equal(register_get(f->db, a, &m, NULL), 0);
	assert_int_equal(register_policy_check_sanitize(f->pol, &m, POLICY_NIST_CLEAR,
							POLICY_DEST_INTERNAL_REUSE, NULL), -EPERM);
	assert_int_equal(register_record_sanitization(f->db, a, NULL, &s, &id, hash, NULL), 0);
	assert_int_equal(id, a);
	assert_int_equal(register_get(f->db, a, &m, NULL), 0);
	assert_string_equal(m.state, "sanitized");
	assert_int_equal(register_history(f->db, a, &ev, &n, NULL), 0);
	assert_string_equal(ev[1].kind, "sanitized");
	assert_string_equal(ev[1].hash, hash);
	assert_non_null(strstr(ev[1].details, "\"certificate_id\":\"WS-2026-000001\""));
	register_events_free(ev, n);
	/* an unenrolled medium */
	memset(&dev, 0, sizeof(dev));
	dev.transport = DEVICE_TRANSPORT_USB;
	util_strlcpy(dev.serial, "USB-9", sizeof(dev.serial));
	s.destination = "recycling";
	assert_int_equal(register_record_sanitization(f->db, 0, &dev, &s, &id, NULL, NULL), 0);
	assert_int_equal(register_get(f->db, id, &m, NULL), 0);
	assert_true(m.unregistered);
	assert_string_equal(m.register_no, "U-000001");	/* its own sequence */
	assert_string_equal(m.state, "scrapped");
	assert_string_equal(m.media_type, "usb-flash");
	/* a job that did not erase is recorded, but the medium's state stays */
	b = enroll(f, "S-3", "internal");
	s.result_json = "{\"outcome\":\"failed\"}";
	s.destination = "internal-reuse";
	assert_int_equal(register_record_sanitization(f->db, b, NULL, &s, NULL, NULL, NULL), 0);
	assert_int_equal(register_get(f->db, b, &m, NULL), 0);
	assert_string_equal(m.state, "in-stock");
	assert_int_equal(register_history(f->db, b, &ev, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_string_equal(ev[1].kind, "not-erased");
	register_events_free(ev, n);
	s.result_json = "{\"outcome\":\"erased\"}";
	/* the events name certificate WS-2026-000001, not stored yet: verify says so */
	{
		struct register_verify_result r;

		assert_int_equal(register_verify(f->db, &r, NULL), 0);
		assert_false(r.ok);
		assert_int_equal(r.missing_certs, 3);
		assert_non_null(strstr(r.message, "WS-2026-000001"));
	}
	/* certificates */
	util_strlcpy(c.id, "WS-2026-000001", sizeof(c.id));
	c.media_id = a;
	util_strlcpy(c.kind, "sanitization", sizeof(c.kind));
	util_strlcpy(c.issued_at, "2026-11-21T10:00:00Z", sizeof(c.issued_at));
	c.json = (char *)"{\"id\":\"WS-2026-000001\"}";
	util_strlcpy(c.event_hash, hash, sizeof(c.event_hash));
	assert_int_equal(register_add_certificate(f->db, &c, NULL), 0);
	assert_int_equal(register_add_certificate(f->db, &c, NULL), -EEXIST);
	util_strlcpy(c.id, "WS-2026-000002", sizeof(c.id));
	c.media_id = 999;	/* no such medium: a foreign key error, not a duplicate */
	assert_int_equal(register_add_certificate(f->db, &c, NULL), -EIO);
	util_strlcpy(c.id, "WS-2026-000001", sizeof(c.id));
	c.media_id = a;
	assert_int_equal(register_get_certificate(f->db, "WS-2026-000001", &got, NULL), 0);
	assert_string_equal(got.json, c.json);
	assert_string_equal(got.event_hash, hash);
	register_cert_clear(&got);
	assert_int_equal(register_get_certificate(f->db, "nope", &got, NULL), -ENOENT);
	assert_int_equal(register_list_certificates(f->db, a, &list, &n, NULL), 0);
	assert_int_equal(n, 1);
	register_certs_free(list, n);
}

/* A medium sanitized before it was enrolled is enrolled in place. */
static void test_enroll_unregistered(void **state)
{
	struct fixture *f = *state;
	struct register_sanitization s = { .result_json = "{\"outcome\":\"erased\"}",
					   .destination = "internal-reuse",
					   .nist_category = "clear", .profile = "zero" };
	struct register_event *ev = NULL;
	struct register_media m, got;
	struct device_info dev;
	char *cause = NULL;
	int64_t a = enroll(f, "A-1", "internal"), id = 0;
	size_t n = 0;

	memset(&dev, 0, sizeof(dev));
	dev.transport = DEVICE_TRANSPORT_USB;
	util_strlcpy(dev.serial, "USB-7", sizeof(dev.serial));
	util_strlcpy(dev.model, "Stick", sizeof(dev.model));
	assert_int_equal(register_record_sanitization(f->db, 0, &dev, &s, &id, NULL, NULL), 0);
	assert_int_equal(register_get(f->db, id, &got, NULL), 0);
	assert_string_equal(got.register_no, "U-000001");	/* its own sequence */
	enroll(f, "A-3", "internal");	/* M-000002 */
	memset(&m, 0, sizeof(m));
	register_media_from_device(&m, &dev);
	util_strlcpy(m.asset_tag, "A-2", sizeof(m.asset_tag));
	util_strlcpy(m.classification, "secret", sizeof(m.classification));
	util_strlcpy(m.custodian, "张伟", sizeof(m.custodian));
	util_strlcpy(m.department, "机要室", sizeof(m.department));
	if (register_enroll(f->db, &m, &m, &cause) != 0)
		print_error("%s\n", cause);
	assert_int_equal(m.id, id);
	assert_false(m.unregistered);
	assert_string_equal(m.register_no, "M-000003");
	assert_string_equal(m.state, "in-stock");
	assert_string_equal(m.classification, "secret");
	assert_string_equal(m.highest_class, "secret");
	assert_string_equal(m.custodian, "张伟");
	assert_string_equal(m.asset_tag, "A-2");
	assert_string_equal(m.serial, "USB-7");
	assert_int_equal(register_history(f->db, id, &ev, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_string_equal(ev[0].kind, "sanitized");
	assert_string_equal(ev[1].kind, "enrolled");
	assert_non_null(strstr(ev[1].details, "\"register_no\":\"M-000003\""));
	register_events_free(ev, n);
	verify_ok(f->db, 4);
	/* enrolled now: a second enrolment is refused, a new medium numbered after */
	assert_int_equal(register_enroll(f->db, &m, &got, NULL), -EEXIST);
	assert_true(enroll(f, "A-5", "internal") > a);
	assert_int_equal(register_find_ref(f->db, "A-5", &got, NULL), 0);
	assert_string_equal(got.register_no, "M-000004");
	assert_int_equal(register_find_ref(f->db, "U-000001", &got, NULL), -ENOENT);
	verify_ok(f->db, 5);
}

static void test_backup_export(void **state)
{
	struct fixture *f = *state;
	struct register_db *b = NULL;
	char path[160], *text = NULL;
	json_t *j;

	enroll(f, "E-1", "secret");
	enroll(f, "E,2", "public");
	enroll(f, "=HYPERLINK(1)", "public");
	enroll(f, "-2+3", "public");
	snprintf(path, sizeof(path), "%s/backup.db", f->dir);
	assert_int_equal(register_backup(f->db, path, NULL), 0);
	assert_int_equal(register_open(path, &b, NULL), 0);
	verify_ok(b, 4);
	register_close(b);
	assert_int_equal(register_export(f->db, REGISTER_FORMAT_CSV, &text, NULL), 0);
	/* UTF-8 BOM, the office form's columns first */
	assert_memory_equal(text, "\xef\xbb\xbf介质类型 Media type,编号 Register No.,", 45);
	assert_non_null(strstr(text, ",出厂标签号 Factory label No.,硬件序列号 Hardware serial,"));
	assert_non_null(strstr(text, ",报废原因 Reason retired,使用人签字 User's signature,"));
	assert_non_null(strstr(text, "\r\nusb-flash,M-000001,,张三,秘密,,E-1,E-1,"));
	assert_non_null(strstr(text, ",,,,,E-1,secret,secret,"));
	assert_non_null(strstr(text, "\"E,2\""));
	/* formulas neutralised */
	assert_non_null(strstr(text, ",\"'=HYPERLINK(1)\","));
	assert_non_null(strstr(text, ",\"'-2+3\","));
	assert_null(strstr(text, ",=HYPERLINK"));
	free(text);
	assert_int_equal(register_export(f->db, REGISTER_FORMAT_JSON, &text, NULL), 0);
	j = json_loads(text, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, "media")), 4);
	json_decref(j);
	free(text);
}

/* Sanitized for destruction: out of service until destroyed. */
static void test_awaiting_destruction(void **state)
{
	struct fixture *f = *state;
	struct register_sanitization s = { .result_json = "{\"outcome\":\"erased\"}",
					   .destination = "destruction",
					   .nist_category = "clear", .profile = "zero" };
	const char *w[] = { "赵强", "陈静" };
	struct register_destruction d = { .method = "shred", .place = "room 101",
					  .witnesses = w, .n_witnesses = 2 };
	struct register_media m;
	struct register_db *db2 = NULL;
	struct device_info dev;
	int64_t a = enroll(f, "D-1", "top-secret"), id = 0;
	char *cause = NULL, *text = NULL;

	assert_int_equal(register_record_sanitization(f->db, a, NULL, &s, NULL, NULL, NULL), 0);
	assert_int_equal(register_get(f->db, a, &m, NULL), 0);
	assert_string_equal(m.state, "awaiting-destruction");
	assert_int_equal(register_issue(f->db, a, "李四", &cause), -EPERM);
	assert_non_null(strstr(cause, "lifecycle rule"));
	free(cause);
	cause = NULL;
	assert_int_equal(register_repair(f->db, a, "Vendor", NULL), -EPERM);
	assert_int_equal(register_check_sanitize_state(&m, NULL), -EPERM);
	assert_int_equal(register_export(f->db, REGISTER_FORMAT_CSV, &text, NULL), 0);
	assert_non_null(strstr(text, "信息消除 sanitized for destruction"));
	free(text);
	verify_ok(f->db, 2);
	/* a version 2 register left such a medium "sanitized": migrated */
	assert_int_equal(raw_sql(f->path, "UPDATE media SET state = 'sanitized';"
				 "PRAGMA user_version = 2"), SQLITE_OK);
	assert_int_equal(register_open(f->path, &db2, NULL), 0);
	assert_int_equal(register_get(db2, a, &m, NULL), 0);
	assert_string_equal(m.state, "awaiting-destruction");
	verify_ok(db2, 2);
	register_close(db2);
	assert_int_equal(register_destroy(f->db, f->pol, a, &d, NULL, NULL), 0);
	assert_int_equal(register_get(f->db, a, &m, NULL), 0);
	assert_string_equal(m.state, "destroyed");
	assert_int_equal(register_export(f->db, REGISTER_FORMAT_CSV, &text, NULL), 0);
	assert_non_null(strstr(text, "销毁 destroyed: shred, room 101"));
	free(text);
	verify_ok(f->db, 3);
	/* an unenrolled medium sanitized for destruction is not enrolled into stock */
	memset(&dev, 0, sizeof(dev));
	dev.transport = DEVICE_TRANSPORT_USB;
	util_strlcpy(dev.serial, "USB-D", sizeof(dev.serial));
	assert_int_equal(register_record_sanitization(f->db, 0, &dev, &s, &id, NULL, NULL), 0);
	memset(&m, 0, sizeof(m));
	register_media_from_device(&m, &dev);
	util_strlcpy(m.classification, "secret", sizeof(m.classification));
	assert_int_equal(register_enroll(f->db, &m, &m, &cause), -EPERM);
	assert_non_null(strstr(cause, "lifecycle rule"));
	free(cause);
	assert_int_equal(register_get(f->db, id, &m, NULL), 0);
	assert_string_equal(m.state, "awaiting-destruction");
	assert_true(m.unregistered);
	verify_ok(f->db, 4);
}

/* Find @field in @x[@n] (for medium @id). */
static const struct register_mismatch *mismatch(const struct register_mismatch *x, size_t n,
						int64_t id, const char *field)
{
	for (size_t i = 0; i < n; i++)
		if (x[i].media_id == id && strcmp(x[i].field, field) == 0)
			return &x[i];
	return NULL;
}

/* Edits of the media table behind custos' back are found by replaying
 * the events, and the tampered row is not used for decisions. */
static void test_tampered_row(void **state)
{
	struct fixture *f = *state;
	struct register_verify_result r;
	struct register_mismatch *x = NULL;
	const struct register_mismatch *one;
	struct register_media m;
	int64_t a = enroll(f, "X-1", "top-secret"), b = enroll(f, "X-2", "secret");
	char *cause = NULL;
	size_t n = 0;

	assert_int_equal(register_issue(f->db, b, "李四", NULL), 0);
	assert_int_equal(register_reclassify(f->db, f->pol, b, POLICY_LEVEL_CONFIDENTIAL, NULL),
			 0);
	verify_ok(f->db, 4);
	assert_int_equal(raw_sql(f->path, "UPDATE media SET classification = 'public',"
				 " highest_class = 'public' WHERE id = 1;"
				 "UPDATE media SET holder = 'nobody', custodian = 'x',"
				 " unregistered = 1 WHERE id = 2"), SQLITE_OK);
	assert_int_equal(register_verify(f->db, &r, NULL), 0);
	assert_false(r.ok);
	assert_string_equal(r.what, "media");
	assert_int_equal(r.mismatches, 5);
	assert_non_null(strstr(r.message, "M-000001: classification"));
	assert_int_equal(register_verify_media(f->db, 0, &x, &n, NULL), 0);
	assert_int_equal(n, 5);
	one = mismatch(x, n, a, "classification");
	assert_non_null(one);
	assert_string_equal(one->expected, "top-secret");
	assert_string_equal(one->found, "public");
	assert_non_null(mismatch(x, n, a, "highest_class"));
	one = mismatch(x, n, b, "holder");
	assert_non_null(one);
	assert_string_equal(one->expected, "李四");
	assert_non_null(mismatch(x, n, b, "custodian"));
	assert_non_null(mismatch(x, n, b, "unregistered"));
	free(x);
	/* the tampered row is not trusted */
	assert_int_equal(register_get(f->db, a, &m, NULL), 0);
	assert_true(m.history_differs);
	assert_int_equal(register_policy_check_sanitize(f->pol, &m, POLICY_NIST_PURGE,
							POLICY_DEST_EXTERNAL_REUSE, &cause), -EPERM);
	assert_non_null(strstr(cause, "register rule integrity"));
	free(cause);
	cause = NULL;
	assert_int_equal(register_check_sanitize_state(&m, NULL), -EPERM);
	assert_int_equal(register_find_ref(f->db, "X-1", &m, NULL), 0);
	assert_true(m.history_differs);
	assert_int_equal(register_issue(f->db, a, "王五", &cause), -EPERM);
	assert_non_null(strstr(cause, "integrity"));
	free(cause);
	assert_int_equal(register_return(f->db, b, NULL), -EPERM);
	/* a loss is always recorded */
	assert_int_equal(register_lost(f->db, a, NULL, NULL), 0);
	/* restored by hand: verified again */
	assert_int_equal(raw_sql(f->path, "UPDATE media SET classification = 'top-secret',"
				 " highest_class = 'top-secret' WHERE id = 1;"
				 "UPDATE media SET holder = '李四', custodian = '张三',"
				 " unregistered = 0 WHERE id = 2"), SQLITE_OK);
	verify_ok(f->db, 5);
	assert_int_equal(register_get(f->db, a, &m, NULL), 0);
	assert_false(m.history_differs);
	/* a row without history, events without a row */
	assert_int_equal(raw_sql(f->path, "INSERT INTO media(register_no, media_type, state,"
				 " classification, created_at, updated_at) VALUES ('M-000099',"
				 " 'hdd', 'in-stock', 'public', '', '')"), SQLITE_OK);
	assert_int_equal(register_verify_media(f->db, 0, &x, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_string_equal(x[0].field, "history");
	assert_string_equal(x[0].register_no, "M-000099");
	free(x);
	assert_int_equal(raw_sql(f->path, "PRAGMA foreign_keys = OFF; DELETE FROM media"
				 " WHERE register_no = 'M-000099'; DELETE FROM media WHERE id = 2"),
			 SQLITE_OK);
	assert_int_equal(register_verify_media(f->db, 0, &x, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_string_equal(x[0].field, "row");
	assert_int_equal(x[0].media_id, b);
	free(x);
}

/* The media table of the register at @path has exactly the field table's
 * columns (in its order when @ordered: a new register), each with the type,
 * NOT NULL and key its declaration says. */
static void check_media_columns(const char *path, bool ordered)
{
	bool seen[REGISTER_N_MEDIA_FIELDS] = { false };
	sqlite3_stmt *st = NULL;
	sqlite3 *db = NULL;
	size_t n = 0;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT cid, name, type, \"notnull\", pk FROM"
					    " pragma_table_info('media') ORDER BY cid", -1, &st,
					    NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 1);
		const char *type = (const char *)sqlite3_column_text(st, 2);
		size_t i = register_media_field_index(name);
		const struct register_field *f;

		if (i == REGISTER_N_MEDIA_FIELDS)
			print_error("column %s is no field\n", name);
		assert_true(i < REGISTER_N_MEDIA_FIELDS);
		f = &register_media_fields[i];
		assert_false(seen[i]);
		seen[i] = true;
		assert_true(f->since >= 1 && f->since <= REGISTER_SCHEMA_VERSION);
		if (ordered)
			assert_int_equal(i, n);
		assert_int_equal(strncmp(f->decl, type, strlen(type)), 0);
		assert_true(f->decl[strlen(type)] == ' ' || f->decl[strlen(type)] == '\0');
		assert_string_equal(type, f->kind == REGISTER_FIELD_TEXT ? "TEXT" : "INTEGER");
		assert_int_equal(sqlite3_column_int(st, 3), strstr(f->decl, "NOT NULL") != NULL);
		assert_int_equal(sqlite3_column_int(st, 4) != 0,
				 strstr(f->decl, "PRIMARY KEY") != NULL);
		n++;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	assert_int_equal(n, REGISTER_N_MEDIA_FIELDS);
}

/* The version 1 schema, as shipped before certificates, WWN and virtual
 * media were registered. */
static const char v1_schema[] =
	"CREATE TABLE media (id INTEGER PRIMARY KEY, register_no TEXT UNIQUE,"
	" asset_tag TEXT UNIQUE, media_type TEXT NOT NULL, vendor TEXT NOT NULL DEFAULT '',"
	" model TEXT NOT NULL DEFAULT '', serial TEXT NOT NULL DEFAULT '',"
	" capacity_bytes INTEGER NOT NULL DEFAULT 0, classification TEXT NOT NULL DEFAULT '',"
	" custodian TEXT NOT NULL DEFAULT '', department TEXT NOT NULL DEFAULT '',"
	" state TEXT NOT NULL, note TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL,"
	" updated_at TEXT NOT NULL);"
	"CREATE TABLE events (id INTEGER PRIMARY KEY, media_id INTEGER NOT NULL"
	" REFERENCES media(id), seq INTEGER NOT NULL UNIQUE, at TEXT NOT NULL,"
	" kind TEXT NOT NULL, operator TEXT NOT NULL, station TEXT NOT NULL,"
	" details TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
	"CREATE TRIGGER events_no_update BEFORE UPDATE ON events"
	" BEGIN SELECT RAISE(ABORT, 'append-only'); END;"
	"CREATE TRIGGER events_no_delete BEFORE DELETE ON events"
	" BEGIN SELECT RAISE(ABORT, 'append-only'); END;"
	"INSERT INTO media VALUES (1, 'M-000001', 'OLD-1', 'hdd', 'WDC', 'WD10', 'S1', 1000,"
	" 'confidential', 'Wang', 'Office 3', 'issued', '', '2025-01-01T00:00:00Z',"
	" '2025-02-01T00:00:00Z');"
	"PRAGMA user_version = 1;";

static void v1_event(sqlite3 *db, struct register_event *ev, int64_t seq, const char *kind,
		     const char *details)
{
	char sql[1024];

	ev->id = seq;
	ev->media_id = 1;
	ev->seq = seq;
	snprintf(ev->at, sizeof(ev->at), "2025-0%lld-01T00:00:00Z", (long long)seq);
	util_strlcpy(ev->kind, kind, sizeof(ev->kind));
	util_strlcpy(ev->operator_name, "old", sizeof(ev->operator_name));
	util_strlcpy(ev->station, "WS-OLD", sizeof(ev->station));
	ev->details = (char *)details;
	assert_int_equal(register_event_hash(ev, ev->hash), 0);
	snprintf(sql, sizeof(sql), "INSERT INTO events(media_id, seq, at, kind, operator, station,"
		 " details, prev_hash, hash) VALUES (1, %lld, '%s', '%s', 'old', 'WS-OLD', '%s',"
		 " '%s', '%s')", (long long)seq, ev->at, kind, details, ev->prev_hash, ev->hash);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
}

static void test_migration_v1(void **state)
{
	struct fixture *f = *state;
	struct register_event e1 = { .id = 0 }, e2 = { .id = 0 };
	struct register_db *db = NULL;
	struct register_media m;
	char path[160], dir[96], *cause = NULL;
	sqlite3 *raw = NULL;

	/* a directory of its own: its signed head is this register's, not the
	 * fixture's (a head with unsigned events after it is a forgery) */
	snprintf(dir, sizeof(dir), "%s/v1", f->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/v1.db", dir);
	assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, v1_schema, NULL, NULL, NULL), SQLITE_OK);
	memset(e1.prev_hash, '0', 64);
	v1_event(raw, &e1, 1, "enrolled", "{\"classification\":\"confidential\"}");
	util_strlcpy(e2.prev_hash, e1.hash, sizeof(e2.prev_hash));
	v1_event(raw, &e2, 2, "issued", "{\"to\":\"Wang\"}");
	sqlite3_close(raw);

	if (register_open(path, &db, &cause) != 0)
		print_error("%s\n", cause);
	assert_non_null(db);
	register_set_actor(db, "tester", "WS-TEST");
	assert_int_equal(attach_key(db, dir), 0);
	assert_int_equal(register_get(db, 1, &m, NULL), 0);
	assert_string_equal(m.highest_class, "confidential");
	assert_string_equal(m.wwn, "");
	assert_false(m.unregistered);
	verify_ok(db, 2);
	check_media_columns(path, false);	/* every field, the added ones last */
	assert_int_equal(register_return(db, 1, NULL), 0);
	assert_int_equal(register_reclassify(db, f->pol, 1, POLICY_LEVEL_SECRET, NULL), -EPERM);
	verify_ok(db, 3);
	register_close(db);
	/* opened again: nothing to migrate, still valid */
	assert_int_equal(register_open(path, &db, NULL), 0);
	verify_ok(db, 3);
	register_close(db);
	assert_int_equal(raw_sql(path, "PRAGMA user_version = 99"), SQLITE_OK);
	assert_int_equal(register_open(path, &db, NULL), -EPROTO);
}

/* A row as the central register hands it: another station's medium
 * (id 0, central_station set), here with no asset tag, serial or WWN, so
 * that only its origin tells it apart. */
static void central_row(struct register_media *m, const char *station, int64_t id,
			const char *no)
{
	memset(m, 0, sizeof(*m));
	util_strlcpy(m->register_no, no, sizeof(m->register_no));
	util_strlcpy(m->media_type, "usb-flash", sizeof(m->media_type));
	util_strlcpy(m->classification, "secret", sizeof(m->classification));
	util_strlcpy(m->highest_class, "secret", sizeof(m->highest_class));
	util_strlcpy(m->state, "issued", sizeof(m->state));
	util_strlcpy(m->holder, "王五", sizeof(m->holder));
	util_strlcpy(m->source, "device", sizeof(m->source));
	util_strlcpy(m->central_station, station, sizeof(m->central_station));
	m->central_id = id;
}

/* The number of @kind events of medium @id. */
static size_t events_of(struct register_db *db, int64_t id, const char *kind)
{
	struct register_event *ev = NULL;
	size_t n = 0, k = 0;

	assert_int_equal(register_history(db, id, &ev, &n, NULL), 0);
	for (size_t i = 0; i < n; i++)
		k += strcmp(ev[i].kind, kind) == 0;
	register_events_free(ev, n);
	return k;
}

static size_t media_rows(struct register_db *db)
{
	struct register_media *all = NULL;
	size_t n = 0;

	assert_int_equal(register_list(db, NULL, NULL, &all, &n, NULL), 0);
	free(all);
	return n;
}

static void rows_match_history(struct register_db *db)
{
	struct register_mismatch *x = NULL;
	size_t n = 0;
	char text[512];

	assert_int_equal(register_verify_media(db, 0, &x, &n, NULL), 0);
	if (n)
		register_mismatch_text(&x[0], text, sizeof(text));
	if (n)
		print_error("%s\n", text);
	assert_int_equal(n, 0);
	free(x);
}

struct receiver {
	const char *path;
	const char *dir;
	int64_t id;
	int rc;
};

static void *receive_one(void *arg)
{
	struct receiver *w = arg;
	struct register_db *db = NULL;
	struct register_media m;

	central_row(&m, "WS-A", 7, "M-000077");
	w->rc = register_open(w->path, &db, NULL);
	if (w->rc < 0)
		return NULL;
	register_set_actor(db, "thread", "WS-TEST");
	w->rc = attach_key(db, w->dir) < 0 ? -1 : register_receive(db, &m, NULL);
	w->id = m.id;
	register_close(db);
	return NULL;
}

/* A medium of another station received once: a second receive (the same
 * reference again, another run planned before the first received it, a
 * second process at once) gets the first's row; lookups by the origin's
 * register number find it; the origin is replayed from the events. */
static void test_receive_once(void **state)
{
	struct fixture *f = *state;
	struct receiver w[2] = { { .path = f->path, .dir = f->dir },
				 { .path = f->path, .dir = f->dir } };
	struct register_media m, again, found;
	struct register_db *db2 = NULL;
	pthread_t t[2];
	char *cause = NULL;
	int64_t own = enroll(f, "OWN-1", "internal");	/* this station's M-000001 */

	central_row(&m, "WS-A", 42, "M-000001");
	assert_int_equal(register_receive(f->db, &m, &cause), 0);
	assert_true(m.id > 0 && m.id != own);
	assert_string_equal(m.origin_station, "WS-A");
	assert_int_equal(m.origin_id, 42);
	assert_string_equal(m.origin_register_no, "M-000001");
	assert_string_equal(m.state, "issued");
	central_row(&again, "WS-A", 42, "M-000001");
	assert_int_equal(register_receive(f->db, &again, NULL), 0);
	assert_int_equal(again.id, m.id);
	assert_int_equal(media_rows(f->db), 2);
	assert_int_equal(events_of(f->db, m.id, "received"), 1);

	/* this station's own numbers first; the origin's by STATION:REF */
	assert_int_equal(register_find_ref(f->db, "M-000001", &found, NULL), 0);
	assert_int_equal(found.id, own);
	assert_int_equal(register_find_ref(f->db, "WS-A:M-000001", &found, NULL), 0);
	assert_int_equal(found.id, m.id);
	assert_int_equal(register_find_ref(f->db, "ws-a:m-000001", &found, NULL), -ENOENT);
	/* a plain number only the origin has */
	central_row(&m, "WS-C", 5, "M-000099");
	assert_int_equal(register_receive(f->db, &m, NULL), 0);
	assert_int_equal(register_find_ref(f->db, "M-000099", &found, NULL), 0);
	assert_int_equal(found.id, m.id);
	/* two stations' M-000050: ambiguous without the station */
	central_row(&m, "WS-A", 50, "M-000050");
	assert_int_equal(register_receive(f->db, &m, NULL), 0);
	central_row(&again, "WS-C", 50, "M-000050");
	assert_int_equal(register_receive(f->db, &again, NULL), 0);
	assert_int_not_equal(again.id, m.id);
	assert_int_equal(register_find_ref(f->db, "M-000050", &found, &cause), -EEXIST);
	assert_non_null(strstr(cause, "STATION:M-000050"));
	free(cause);
	cause = NULL;
	assert_int_equal(register_find_ref(f->db, "WS-C:M-000050", &found, NULL), 0);
	assert_int_equal(found.id, again.id);
	assert_int_equal(media_rows(f->db), 5);

	/* two processes receiving the same medium at once: one row */
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, receive_one, &w[i]), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(w[0].rc, 0);
	assert_int_equal(w[1].rc, 0);
	assert_int_equal(w[0].id, w[1].id);
	assert_int_equal(media_rows(f->db), 6);
	assert_int_equal(events_of(f->db, w[0].id, "received"), 1);
	/* a medium enrolled here with the same serial is not received again */
	central_row(&m, "WS-A", 60, "M-000060");
	util_strlcpy(m.serial, "OWN-1", sizeof(m.serial));
	assert_int_equal(register_receive(f->db, &m, NULL), 0);
	assert_int_equal(m.id, own);
	verify_ok(f->db, 6);
	rows_match_history(f->db);

	/* the origin is part of what the history says */
	assert_int_equal(raw_sql(f->path, "UPDATE media SET origin_id = 43 WHERE origin_id = 42"),
			 SQLITE_OK);
	assert_int_equal(register_find_ref(f->db, "WS-A:M-000001", &found, NULL), 0);
	assert_true(found.history_differs);
	assert_non_null(strstr(found.history_note, "origin_id"));
	assert_int_equal(raw_sql(f->path, "UPDATE media SET origin_id = 42 WHERE origin_id = 43"),
			 SQLITE_OK);
	/* a version 4 register (no origin kept) gets it from its events */
	assert_int_equal(raw_sql(f->path, "UPDATE media SET origin_station = '', origin_id = 0,"
				 " origin_register_no = ''; PRAGMA user_version = 4"), SQLITE_OK);
	assert_int_equal(register_open(f->path, &db2, NULL), 0);
	rows_match_history(db2);
	assert_int_equal(register_find_ref(db2, "WS-C:M-000099", &found, NULL), 0);
	assert_string_equal(found.origin_station, "WS-C");
	assert_int_equal(found.origin_id, 5);
	register_close(db2);
}

struct worker {
	const char *path;
	const char *dir;
	int64_t media;
	int loops;
	int failures;
};

static void *work(void *arg)
{
	struct worker *w = arg;
	struct register_db *db = NULL;
	char *cause = NULL;

	if (register_open(w->path, &db, &cause) < 0) {
		w->failures++;
		free(cause);
	cause = NULL;
		return NULL;
	}
	register_set_actor(db, "thread", "WS-TEST");
	if (attach_key(db, w->dir) < 0)
		w->failures++;
	for (int i = 0; i < w->loops; i++) {
		if (register_issue(db, w->media, "Alice", NULL) < 0)
			w->failures++;
		if (register_return(db, w->media, NULL) < 0)
			w->failures++;
	}
	register_close(db);
	return NULL;
}

static void test_concurrent_writers(void **state)
{
	struct fixture *f = *state;
	struct worker w[2] = {
		{ .path = f->path, .dir = f->dir, .media = enroll(f, "W-1", "secret"),
		  .loops = 40 },
		{ .path = f->path, .dir = f->dir, .media = enroll(f, "W-2", "secret"),
		  .loops = 40 },
	};
	pthread_t t[2];

	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(w[0].failures + w[1].failures, 0);
	verify_ok(f->db, 2 + 2 * 2 * 40);
}


static void verify_fails(struct register_db *db, const struct register_verify_opts *o,
			 const char *what, const char *text)
{
	struct register_verify_result r;

	assert_int_equal(register_verify_ex(db, o, &r, NULL), 0);
	assert_false(r.ok);
	if (strcmp(r.what, what) != 0 || !strstr(r.message, text))
		print_error("%s: %s\n", r.what, r.message);
	assert_string_equal(r.what, what);
	assert_non_null(strstr(r.message, text));
}

/* Every event signed; a damaged signature found (the newest by default,
 * the others with all_signatures); no signer, no write. */
static void test_signatures(void **state)
{
	struct fixture *f = *state;
	struct register_verify_opts all = { .all_signatures = true };
	struct register_verify_result r;
	struct register_db *ro = NULL;
	int64_t id = enroll(f, "S-1", "secret");
	char *cause = NULL;

	assert_int_equal(register_issue(f->db, id, "Alice", NULL), 0);
	assert_int_equal(register_return(f->db, id, NULL), 0);
	assert_int_equal(register_verify_ex(f->db, &all, &r, NULL), 0);
	assert_true(r.ok);
	assert_int_equal(r.signatures, 3 + 1);	/* every event, and the head */
	assert_int_equal(r.unsigned_events, 0);
	assert_int_equal(r.head_seq, 3);
	assert_int_equal(register_verify(f->db, &r, NULL), 0);
	assert_int_equal(r.signatures, 1 + 1);	/* the newest event, the head */

	/* without a signer nothing is written */
	assert_int_equal(register_open(f->path, &ro, NULL), 0);
	assert_int_equal(register_issue(ro, id, "Bob", &cause), -EPERM);
	assert_non_null(strstr(cause, "private key"));
	free(cause);
	register_close(ro);

	/* event 1 carries event 2's signature: only all_signatures sees it */
	assert_int_equal(raw_sql(f->path, "DROP TRIGGER event_signatures_no_update;"
				 "UPDATE event_signatures SET sig = (SELECT sig FROM event_signatures"
				 " WHERE event_id = 2) WHERE event_id = 1"), SQLITE_OK);
	verify_ok(f->db, 3);
	verify_fails(f->db, &all, "signature", "event 1: the signature");
	/* the newest one damaged: the default check and any write see it */
	assert_int_equal(raw_sql(f->path, "UPDATE event_signatures SET sig = (SELECT sig"
				 " FROM event_signatures WHERE event_id = 2) WHERE event_id = 3"),
			 SQLITE_OK);
	verify_fails(f->db, NULL, "signature", "event 3: the signature");
	assert_int_equal(register_issue(f->db, id, "Bob", NULL), -EPERM);
}

/* The signed head outside the database: a removed tail (with the head in
 * the database fixed) and an emptied register are refused. */
static void test_signed_head(void **state)
{
	struct fixture *f = *state;
	int64_t id = enroll(f, "H-1", "secret");
	char *cause = NULL;

	assert_int_equal(register_issue(f->db, id, "Alice", NULL), 0);
	verify_ok(f->db, 2);
	assert_int_equal(raw_sql(f->path, "DROP TRIGGER events_no_delete;"
				 "DROP TRIGGER event_signatures_no_delete;"
				 "DELETE FROM event_signatures WHERE event_id = 2;"
				 "DELETE FROM events WHERE seq = 2;"
				 "UPDATE media SET state = 'in-stock', holder = '';"
				 "UPDATE meta SET value = '1' WHERE key = 'head_seq';"
				 "UPDATE meta SET value = (SELECT hash FROM events WHERE seq = 1)"
				 " WHERE key = 'head_hash'"), SQLITE_OK);
	verify_fails(f->db, NULL, "head", "truncated or rolled back");
	assert_int_equal(register_issue(f->db, id, "Mallory", &cause), -EPERM);
	assert_non_null(strstr(cause, "register.head"));
	free(cause);
	cause = NULL;
	assert_int_equal(register_check_head(f->db, NULL), -EPERM);
	/* emptied */
	assert_int_equal(raw_sql(f->path, "DELETE FROM events; DELETE FROM media;"
				 " DELETE FROM meta"), SQLITE_OK);
	verify_fails(f->db, NULL, "head", "emptied");
}

/* An event written behind custos' back after the last one, with a valid
 * hash and a valid signature by @key. */
static void forge_event(struct fixture *f, const struct sign_key *key)
{
	struct register_event ev;
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	unsigned char *sig = NULL;
	char fpr[65], msg[200], hex[300], details[] = "{}", *sql;
	size_t len = 0;
	int n;

	memset(&ev, 0, sizeof(ev));
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT seq, hash FROM events ORDER BY seq DESC"
					    " LIMIT 1", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	ev.seq = sqlite3_column_int64(st, 0) + 1;
	util_strlcpy(ev.prev_hash, (const char *)sqlite3_column_text(st, 1), sizeof(ev.prev_hash));
	sqlite3_finalize(st);
	util_strlcpy(ev.at, "2026-01-01T00:00:00Z", sizeof(ev.at));
	util_strlcpy(ev.kind, "forged", sizeof(ev.kind));
	util_strlcpy(ev.operator_name, "Mallory", sizeof(ev.operator_name));
	util_strlcpy(ev.station, "WS-TEST", sizeof(ev.station));
	ev.details = details;
	assert_int_equal(register_event_hash(&ev, ev.hash), 0);
	n = snprintf(msg, sizeof(msg), "custos-register-head-v1\nseq=%lld\nhash=%s\n",
		     (long long)ev.seq, ev.hash);
	assert_int_equal(sign_data(key, msg, (size_t)n, &sig, &len), 0);
	assert_true(len * 2 < sizeof(hex));
	util_hex(sig, len, hex);
	free(sig);
	assert_int_equal(sign_fingerprint(key, fpr), 0);
	sql = sqlite3_mprintf("INSERT INTO events(media_id, seq, at, kind, operator, station,"
			      " details, prev_hash, hash) VALUES (0, %lld, %Q, %Q, %Q, %Q, %Q, %Q,"
			      " %Q); INSERT INTO event_signatures(event_id, key_fpr, sig) SELECT id,"
			      " %Q, %Q FROM events WHERE seq = %lld; UPDATE meta SET value = %lld"
			      " WHERE key = 'head_seq'; UPDATE meta SET value = %Q WHERE key ="
			      " 'head_hash'", (long long)ev.seq, ev.at, ev.kind, ev.operator_name,
			      ev.station, ev.details, ev.prev_hash, ev.hash, fpr, hex,
			      (long long)ev.seq, (long long)ev.seq, ev.hash);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_free(sql);
	sqlite3_close(db);
}

/* A key that no key-rotated event introduced; then a proper rotation. */
static void test_key_history(void **state)
{
	struct fixture *f = *state;
	struct register_verify_opts all = { .all_signatures = true };
	struct register_verify_result r;
	struct sign_key *old = NULL, *new = NULL;
	char priv[160], pub[160], *cause = NULL;
	int64_t id = enroll(f, "K-1", "secret");

	snprintf(priv, sizeof(priv), "%s/other.key", f->dir);
	snprintf(pub, sizeof(pub), "%s/other.pub", f->dir);
	assert_int_equal(sign_generate(SIGN_KEY_SM2, priv, pub, NULL), 0);
	assert_int_equal(sign_load_private(priv, &new, NULL), 0);
	/* rotation: signed by the current key and the new one */
	assert_int_equal(keyring_add(f->dir, new, NULL, NULL), 0);
	assert_int_equal(register_record_key_rotation(f->db, new, NULL, NULL), 0);
	assert_int_equal(register_set_signer(f->db, new, NULL), 0);
	assert_int_equal(register_issue(f->db, id, "Alice", NULL), 0);
	assert_int_equal(register_verify_ex(f->db, &all, &r, NULL), 0);
	if (!r.ok)
		print_error("%s\n", r.message);
	assert_true(r.ok);
	assert_int_equal(r.key_rotations, 1);
	/* back to the first key without a rotation: not the register's key,
	 * so custos refuses to sign with it ... */
	snprintf(priv, sizeof(priv), "%s/test.key", f->dir);
	assert_int_equal(sign_load_private(priv, &old, NULL), 0);
	assert_int_equal(register_set_signer(f->db, old, NULL), 0);
	assert_int_equal(register_return(f->db, id, &cause), -EPERM);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "would not verify"));
	free(cause);
	assert_int_equal(register_verify_ex(f->db, &all, &r, NULL), 0);
	assert_true(r.ok);
	/* ... and an event written with it behind custos' back fails verify */
	assert_int_equal(sign_load_private(priv, &old, NULL), 0);
	forge_event(f, old);
	sign_key_free(old);
	verify_fails(f->db, NULL, "signature", "no key-rotated event introduces it");
}

/* Is @key one the register introduced?  (asserts the call itself works) */
static bool introduced(struct fixture *f, const struct sign_key *key)
{
	char fpr[65];
	bool yes = true;

	assert_int_equal(sign_fingerprint(key, fpr), 0);
	assert_int_equal(register_key_introduced(f->db, fpr, &yes, NULL), 0);
	return yes;
}

/* The keys the chain introduced come from signatures that verify: the
 * signed head's key while no event is signed, the first signer, each
 * properly signed rotation; a key in keys/ or a bare signature row naming
 * it is not one. */
static void test_key_introduced(void **state)
{
	struct fixture *f = *state;
	struct sign_key *first = NULL, *second = NULL, *dropped = NULL;
	char priv[160], pub[160], fpr[65], *sql, *cause = NULL;
	bool yes = true;
	int64_t id;

	snprintf(priv, sizeof(priv), "%s/test.key", f->dir);
	assert_int_equal(sign_load_private(priv, &first, NULL), 0);
	snprintf(priv, sizeof(priv), "%s/other.key", f->dir);
	snprintf(pub, sizeof(pub), "%s/other.pub", f->dir);
	assert_int_equal(sign_generate(SIGN_KEY_ED25519, priv, pub, NULL), 0);
	assert_int_equal(sign_load_private(priv, &dropped, NULL), 0);
	assert_int_equal(keyring_add(f->dir, dropped, NULL, NULL), 0);
	/* no signed event yet: the signed head's key, no other */
	assert_true(introduced(f, first));
	assert_false(introduced(f, dropped));
	id = enroll(f, "I-1", "secret");
	assert_true(introduced(f, first));
	assert_false(introduced(f, dropped));
	/* a proper rotation introduces its new key */
	assert_int_equal(sign_generate(SIGN_KEY_SM2, priv, pub, NULL), 0);
	assert_int_equal(sign_load_private(priv, &second, NULL), 0);
	assert_int_equal(keyring_add(f->dir, second, NULL, NULL), 0);
	assert_int_equal(register_record_key_rotation(f->db, second, NULL, NULL), 0);
	assert_int_equal(register_set_signer(f->db, second, NULL), 0);
	assert_int_equal(register_issue(f->db, id, "Alice", NULL), 0);
	assert_true(introduced(f, first));
	assert_true(introduced(f, second));
	assert_false(introduced(f, dropped));
	/* a signature row naming the dropped key on the first signed event */
	assert_int_equal(sign_fingerprint(dropped, fpr), 0);
	sql = sqlite3_mprintf("INSERT INTO event_signatures(event_id, key_fpr, sig) SELECT id, %Q,"
			      " '00' FROM events ORDER BY seq LIMIT 1", fpr);
	assert_int_equal(raw_sql(f->path, sql), SQLITE_OK);
	sqlite3_free(sql);
	assert_int_equal(register_key_introduced(f->db, fpr, &yes, &cause), -EPERM);
	assert_false(yes);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "key history does not verify"));
	free(cause);
	sign_key_free(first);
	sign_key_free(dropped);
}

/* The one media field table is the column list, and drives the reader and
 * the JSON: a row read back and turned into JSON carries every field. */
static void test_field_table(void **state)
{
	char cols[1024] = "";
	json_t *o;

	(void)state;
	for (size_t i = 0; i < REGISTER_N_MEDIA_FIELDS; i++) {
		if (i)
			strcat(cols, ", ");
		strcat(cols, register_media_fields[i].name);
	}
	assert_string_equal(cols, REGISTER_MEDIA_COLS);
	o = register_media_to_json(&(struct register_media){ .id = 7, .capacity_bytes = 9,
							     .unregistered = true,
							     .highest_class = "secret" });
	assert_int_equal(json_object_size(o), REGISTER_N_MEDIA_FIELDS);
	assert_int_equal(json_integer_value(json_object_get(o, "capacity_bytes")), 9);
	assert_true(json_is_true(json_object_get(o, "unregistered")));
	assert_string_equal(json_string_value(json_object_get(o, "highest_classification")),
			    "secret");
	json_decref(o);
}

/* The events' details are hash input: an enrolment and the first event of
 * an unenrolled medium carry exactly the keys and values they always did
 * (the strings were written by custos before the field table drove them). */
static void test_event_details(void **state)
{
	struct fixture *f = *state;
	struct register_sanitization s = { .result_json = "{\"outcome\":\"erased\"}",
					   .destination = "internal-reuse",
					   .nist_category = "clear", .profile = "zero" };
	struct register_event *ev = NULL;
	struct register_media m;
	struct device_info dev;
	int64_t id = 0;
	size_t n = 0;

	memset(&m, 0, sizeof(m));
	util_strlcpy(m.asset_tag, "A-1", sizeof(m.asset_tag));
	util_strlcpy(m.media_type, "hdd", sizeof(m.media_type));
	util_strlcpy(m.vendor, "WDC", sizeof(m.vendor));
	util_strlcpy(m.model, "WD10", sizeof(m.model));
	util_strlcpy(m.serial, "S-1", sizeof(m.serial));
	util_strlcpy(m.wwn, "0x5000", sizeof(m.wwn));
	util_strlcpy(m.classification, "秘密", sizeof(m.classification));
	util_strlcpy(m.custodian, "张三", sizeof(m.custodian));
	util_strlcpy(m.department, "Office 3", sizeof(m.department));
	util_strlcpy(m.holder, "ignored", sizeof(m.holder));
	util_strlcpy(m.note, "n", sizeof(m.note));
	util_strlcpy(m.state, "issued", sizeof(m.state));
	m.capacity_bytes = 1000;
	assert_int_equal(register_enroll(f->db, &m, &m, NULL), 0);
	assert_string_equal(m.holder, "");
	assert_string_equal(m.state, "in-stock");
	assert_string_equal(m.source, "manual");
	assert_string_equal(m.highest_class, "secret");
	memset(&dev, 0, sizeof(dev));
	dev.transport = DEVICE_TRANSPORT_USB;
	util_strlcpy(dev.serial, "USB-9", sizeof(dev.serial));
	util_strlcpy(dev.vendor, "SanDisk", sizeof(dev.vendor));
	dev.size_bytes = 4096;
	assert_int_equal(register_record_sanitization(f->db, 0, &dev, &s, &id, NULL, NULL), 0);
	assert_int_equal(register_history(f->db, 0, &ev, &n, NULL), 0);
	assert_int_equal(n, 2);
	assert_string_equal(ev[0].details,
			    "{\"asset_tag\":\"A-1\",\"capacity_bytes\":1000,\"classification\":\"secret\","
			    "\"custodian\":\"张三\",\"department\":\"Office 3\",\"media_type\":\"hdd\","
			    "\"model\":\"WD10\",\"note\":\"n\",\"register_no\":\"M-000001\",\"serial\":\"S-1\","
			    "\"source\":\"manual\",\"vendor\":\"WDC\",\"wwn\":\"0x5000\"}");
	assert_string_equal(ev[1].details,
			    "{\"destination\":\"internal-reuse\",\"medium\":{\"capacity_bytes\":4096,"
			    "\"media_type\":\"usb-flash\",\"register_no\":\"U-000001\",\"serial\":\"USB-9\","
			    "\"source\":\"sanitize\",\"vendor\":\"SanDisk\"},\"nist_category\":\"clear\","
			    "\"profile\":\"zero\",\"result\":{\"outcome\":\"erased\"}}");
	register_events_free(ev, n);
	verify_ok(f->db, 2);
}

/* The field table is the SQLite schema of a new register. */
static void test_schema_from_table(void **state)
{
	struct fixture *f = *state;

	check_media_columns(f->path, true);
}

/* Split the CSV line at @p (no quoted commas in it) into @v[@max]. */
static size_t csv_split(char *p, char **v, size_t max)
{
	size_t n = 0;

	p[strcspn(p, "\r\n")] = '\0';
	while (n < max) {
		v[n++] = p;
		p = strchr(p, ',');
		if (!p)
			break;
		*p++ = '\0';
	}
	return n;
}

/* Every field with a CSV column has it, under its header, with its value;
 * no two share one; a field without one is in no column. */
static void test_csv_from_table(void **state)
{
	struct fixture *f = *state;
	struct register_media m;
	char *text = NULL, *line2, *head[64], *val[64], buf[24];
	size_t nh, nv, used = 0;
	int64_t id = enroll(f, "CSV-TAG", "secret");

	assert_int_equal(register_issue(f->db, id, "Holder Name", NULL), 0);
	assert_int_equal(register_get(f->db, id, &m, NULL), 0);
	assert_int_equal(register_export(f->db, REGISTER_FORMAT_CSV, &text, NULL), 0);
	assert_memory_equal(text, "\xef\xbb\xbf", 3);
	line2 = strchr(text, '\n');
	assert_non_null(line2);
	*line2++ = '\0';
	nh = csv_split(text + 3, head, 64);
	nv = csv_split(line2, val, 64);
	assert_int_equal(nh, nv);
	for (size_t i = 0; i < REGISTER_N_MEDIA_FIELDS; i++) {
		const struct register_field *fl = &register_media_fields[i];
		const char *want = register_field_text(&m, fl, buf, sizeof(buf));

		if (!fl->csv) {
			assert_null(fl->csv_head);
			continue;
		}
		assert_true((size_t)fl->csv <= nh);
		assert_false(used & (1ull << fl->csv));
		used |= 1ull << fl->csv;
		assert_string_equal(head[fl->csv - 1], fl->csv_head);
		if (fl->kind == REGISTER_FIELD_BOOL)
			want = strcmp(want, "1") == 0 ? "yes" : "";
		assert_string_equal(val[fl->csv - 1], want);
	}
	/* the values are the medium's, not empty cells */
	assert_string_equal(val[register_media_fields[register_media_field_index("asset_tag")]
				.csv - 1], "CSV-TAG");
	assert_string_equal(val[register_media_fields[register_media_field_index("holder")]
				.csv - 1], "Holder Name");
	free(text);
}

/* The replay checks every identity and replayed field of the table: a row
 * edited in that one column is found, under that field's name; the other
 * columns (row id aside) are not the history's to check. */
static void test_replay_from_table(void **state)
{
	struct fixture *f = *state;
	struct register_mismatch *x = NULL;
	int64_t id = enroll(f, "R-TAG", "secret");
	char sql[256];
	size_t n = 0;

	struct register_media m;
	char buf[24], *undo;

	assert_int_equal(register_issue(f->db, id, "Holder", NULL), 0);
	assert_int_equal(register_get(f->db, id, &m, NULL), 0);
	for (size_t i = 0; i < REGISTER_N_MEDIA_FIELDS; i++) {
		const struct register_field *fl = &register_media_fields[i];
		bool checked = fl->flags & (REGISTER_FIELD_IDENTITY | REGISTER_FIELD_REPLAYED);
		bool text = fl->kind == REGISTER_FIELD_TEXT;

		if (i == register_media_field_index("id"))
			continue;
		snprintf(sql, sizeof(sql), "UPDATE media SET %s = %s WHERE id = %lld", fl->name,
			 text ? "'tampered'" : "7", (long long)id);
		assert_int_equal(raw_sql(f->path, sql), SQLITE_OK);
		assert_int_equal(register_verify_media(f->db, id, &x, &n, NULL), 0);
		if (n != (checked ? 1u : 0u))
			print_error("%s: %zu mismatches\n", fl->name, n);
		assert_int_equal(n, checked ? 1 : 0);
		if (checked)
			assert_string_equal(x[0].field, fl->name);
		free(x);
		x = NULL;
		undo = sqlite3_mprintf(text ? "UPDATE media SET %s = %Q WHERE id = %lld" :
				       "UPDATE media SET %s = %s WHERE id = %lld", fl->name,
				       register_field_text(&m, fl, buf, sizeof(buf)), (long long)id);
		assert_int_equal(raw_sql(f->path, undo), SQLITE_OK);
		sqlite3_free(undo);
	}
	verify_ok(f->db, 2);
}

/* station set register: added, replaced, removed; other keys kept. */
static void test_station_register_key(void **state)
{
	char dir[] = "/tmp/custos-test-stset.XXXXXX", *conf, *text = NULL;
	struct station_init_opts o = { .org = "Org", .name = "WS1",
				       .key_type = SIGN_KEY_ED25519,
				       .register_conninfo = "dbname=a" };
	struct station *st = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_int_equal(station_init(dir, &o, NULL), 0);
	assert_int_equal(station_open(dir, &st, NULL), 0);
	assert_string_equal(st->register_conninfo, "dbname=a");
	station_free(st);
	assert_int_equal(station_set(dir, "register", "host=/run/pg dbname=b", NULL), 0);
	assert_int_equal(station_open(dir, &st, NULL), 0);
	assert_string_equal(st->register_conninfo, "host=/run/pg dbname=b");
	assert_string_equal(st->name, "WS1");
	station_free(st);
	assert_int_equal(station_set(dir, "register", NULL, NULL), 0);
	assert_int_equal(station_open(dir, &st, NULL), 0);
	assert_null(st->register_conninfo);
	station_free(st);
	assert_int_equal(station_set(dir, "name", "X", NULL), -EINVAL);
	assert_int_equal(station_set(dir, "register", "a\nb", NULL), -EINVAL);
	conf = util_asprintf("%s/station.conf", dir);
	assert_int_equal(util_read_file(conf, &text, NULL), 0);
	assert_null(strstr(text, "register"));
	assert_non_null(strstr(text, "org=Org"));
	free(text);
	free(conf);
	conf = util_asprintf("rm -rf '%s'", dir);
	assert_int_equal(system(conf), 0);
	free(conf);
}

/* A handle that meets a re-key done by another process switches to the
 * new key -- unless a re-key holds rekey.lock right then: it says so
 * (retry), writes nothing, and is not sent to a backup. */
static void test_rekey_busy(void **state)
{
	char dir[] = "/tmp/custos-test-rkbusy.XXXXXX", *cause = NULL, *rm;
	struct station_init_opts o = { .org = "Org", .name = "WS1",
				       .key_type = SIGN_KEY_ED25519 };
	struct register_verify_opts all = { .all_signatures = true };
	struct register_verify_result r;
	struct station *st = NULL;
	struct fixture f;
	int64_t id, n;
	int fd = -1;

	(void)state;
	memset(&f, 0, sizeof(f));
	assert_non_null(mkdtemp(dir));
	assert_int_equal(station_init(dir, &o, NULL), 0);
	assert_int_equal(station_open(dir, &st, NULL), 0);
	assert_int_equal(register_open_dir(dir, &f.db, NULL), 0);
	assert_int_equal(register_attach_station(f.db, st, "tester", NULL), 0);
	id = enroll(&f, "B-1", "secret");
	assert_int_equal(keyring_rekey(dir, SIGN_KEY_ED25519, "tester", NULL, NULL), 0);
	assert_int_equal(register_verify_ex(f.db, &all, &r, NULL), 0);
	n = r.events;
	assert_int_equal(keyring_rekey_lock(dir, true, &fd, NULL), 0);
	assert_int_equal(register_issue(f.db, id, "Alice", &cause), -EBUSY);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "being re-keyed by another process"));
	assert_null(strstr(cause, "backup"));
	free(cause);
	assert_int_equal(register_verify_ex(f.db, &all, &r, NULL), 0);
	assert_int_equal(r.events, n);
	assert_int_equal(util_close(fd), 0);
	assert_int_equal(register_issue(f.db, id, "Alice", NULL), 0);
	assert_int_equal(register_verify_ex(f.db, &all, &r, NULL), 0);
	if (!r.ok)
		print_error("%s\n", r.message);
	assert_true(r.ok);
	assert_int_equal(r.key_rotations, 1);
	register_close(f.db);
	station_free(st);
	rm = util_asprintf("rm -rf '%s'", dir);
	assert_int_equal(system(rm), 0);
	free(rm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_enroll_and_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_text_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_history, setup, teardown),
		cmocka_unit_test_setup_teardown(test_changed_byte, setup, teardown),
		cmocka_unit_test_setup_teardown(test_removed_event, setup, teardown),
		cmocka_unit_test_setup_teardown(test_removed_tail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_triggers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lifecycle_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_found, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recognise, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sanitization, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enroll_unregistered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backup_export, setup, teardown),
		cmocka_unit_test_setup_teardown(test_migration_v1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_awaiting_destruction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tampered_row, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_writers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_receive_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signatures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signed_head, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_history, setup, teardown),
		cmocka_unit_test_setup_teardown(test_key_introduced, setup, teardown),
		cmocka_unit_test(test_rekey_busy),
		cmocka_unit_test_setup_teardown(test_event_details, setup, teardown),
		cmocka_unit_test_setup_teardown(test_schema_from_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_csv_from_table, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replay_from_table, setup, teardown),
		cmocka_unit_test(test_field_table),
		cmocka_unit_test(test_station_register_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
