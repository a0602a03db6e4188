/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests for ui/tui-finish.c: what the station records and certifies
 * when a job ends, run with real jobs on small image files. */
#include <errno.h>
#include <ftw.h>
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

#include "job.h"
#include "register.h"
#include "station.h"
#include "tui-finish.h"
#include "util.h"

struct fixture {
	char dir[64];
	char img[128];
	struct station *st;
	struct register_db *db;
	struct profile zero;
	struct device_info dev;
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
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/custos-tui-finish.XXXXXX");
	if (!mkdtemp(fx->dir) || station_init(fx->dir, &o, NULL) < 0 ||
	    station_open(fx->dir, &fx->st, NULL) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", fx->dir, REGISTER_FILE);
	if (register_open(path, &fx->db, NULL) < 0 ||
	    profile_find("zero", NULL, &fx->zero, NULL) < 0)
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
	register_close(fx->db);
	station_free(fx->st);
	nftw(fx->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	free(fx);
	return 0;
}

/* Run the zero profile on the fixture's image with the station's hook. */
static const struct wipe_result *run(struct fixture *fx, struct tui_finish *fin,
				     struct job **job)
{
	struct job_spec spec = {
		.device = &fx->dev,
		.profile = &fx->zero,
		.state_dir = fx->dir,
		.operator_name = fin->operator_name,
		.destination = fin->destination,
		.on_complete = tui_finish_hook,
		.complete_data = fin,
	};
	const struct wipe_result *res = NULL;

	fin->state_dir = fx->dir;
	util_strlcpy(fin->destination, "internal-reuse", sizeof(fin->destination));
	util_strlcpy(fin->operator_name, "tester", sizeof(fin->operator_name));
	assert_int_equal(job_start(&spec, job, NULL), 0);
	assert_int_equal(job_wait(*job, &res, NULL), 0);
	assert_non_null(res);
	return res;
}

static void check_cert_file(const struct fixture *fx, const char *id)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/certs/%s.json", fx->dir, id);
	assert_int_equal(access(path, R_OK), 0);
	snprintf(path, sizeof(path), "%s/certs/%s.pdf", fx->dir, id);
	assert_int_equal(access(path, R_OK), 0);
}

static void test_enrolled(void **state)
{
	struct fixture *fx = *state;
	struct tui_finish fin = { .station = fx->st };
	struct register_media m, now;
	struct register_cert *certs = NULL;
	struct register_event *ev = NULL;
	struct job *job = NULL;
	size_t n = 0, nev = 0;

	memset(&m, 0, sizeof(m));
	register_media_from_device(&m, &fx->dev);
	util_strlcpy(m.classification, "internal", sizeof(m.classification));
	util_strlcpy(m.custodian, "张三", sizeof(m.custodian));
	util_strlcpy(m.source, "device", sizeof(m.source));
	assert_int_equal(register_enroll(fx->db, &m, &m, NULL), 0);
	fin.media_id = m.id;
	assert_int_equal(run(fx, &fin, &job)->outcome, WIPE_OUTCOME_ERASED);
	assert_null(job_hook_error(job));
	assert_true(fin.cert_id[0] != '\0');
	check_cert_file(fx, fin.cert_id);
	/* the medium's state, event and certificate */
	assert_int_equal(register_get(fx->db, m.id, &now, NULL), 0);
	assert_string_equal(now.state, "sanitized");
	assert_int_equal(register_list_certificates(fx->db, m.id, &certs, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_string_equal(certs[0].id, fin.cert_id);
	assert_string_equal(certs[0].kind, "sanitization");
	assert_int_equal(register_history(fx->db, m.id, &ev, &nev, NULL), 0);
	assert_int_equal(nev, 2);
	assert_string_equal(ev[1].kind, "sanitized");
	assert_string_equal(certs[0].event_hash, ev[1].hash);
	register_events_free(ev, nev);
	register_certs_free(certs, n);
	job_free(job);
	fw_result_clear(&fin.fw.result);
}

static void test_unenrolled(void **state)
{
	struct fixture *fx = *state;
	struct tui_finish fin = { .station = fx->st };
	struct register_media m;
	struct job *job = NULL;

	assert_int_equal(run(fx, &fin, &job)->outcome, WIPE_OUTCOME_ERASED);
	assert_null(job_hook_error(job));
	assert_true(fin.cert_id[0] != '\0');
	/* recorded as an unregistered medium */
	assert_int_equal(register_find_by_device(fx->db, &fx->dev, &m, NULL), 0);
	assert_true(m.unregistered);
	assert_int_equal(strncmp(m.register_no, "U-", 2), 0);
	job_free(job);
}

static void test_no_station(void **state)
{
	struct fixture *fx = *state;
	struct tui_finish fin = { .station = NULL };
	struct register_media m;
	struct job *job = NULL;

	assert_int_equal(run(fx, &fin, &job)->outcome, WIPE_OUTCOME_ERASED);
	/* the register still has it; the missing certificate is the hook's error */
	assert_non_null(job_hook_error(job));
	assert_non_null(strstr(job_hook_error(job), "custos init"));
	assert_string_equal(fin.cert_id, "");
	assert_int_equal(register_find_by_device(fx->db, &fx->dev, &m, NULL), 0);
	job_free(job);
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
		cmocka_unit_test_setup_teardown(test_enrolled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unenrolled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_station, setup, teardown),
	};

	if (!getenv("CUSTOS_PROFILE_DIR") && getenv("top_srcdir")) {
		char dir[1024];

		snprintf(dir, sizeof(dir), "%s/profiles", getenv("top_srcdir"));
		setenv("CUSTOS_PROFILE_DIR", dir, 1);
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
