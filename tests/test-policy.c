/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "policy.h"
#include "util.h"

#define L(x) POLICY_LEVEL_##x
#define K(x) POLICY_KIND_##x
#define N(x) POLICY_NIST_##x
#define D(x) POLICY_DEST_##x

/* One decision: NULL rule means allowed. */
struct decision {
	enum policy_level level, highest;
	enum policy_kind kind;
	enum policy_nist cat;
	enum policy_dest dest;
	const char *rule;
};

static const struct decision table[] = {
	{ L(PUBLIC), L(PUBLIC), K(USB_FLASH), N(CLEAR), D(RECYCLING), NULL },
	{ L(PUBLIC), L(PUBLIC), K(HDD), N(CLEAR), D(EXTERNAL_REUSE), NULL },
	{ L(INTERNAL), L(INTERNAL), K(SSD), N(CLEAR), D(EXTERNAL_REUSE), NULL },
	{ L(INTERNAL), L(INTERNAL), K(HDD), N(CLEAR), D(MANUFACTURER), NULL },
	{ L(INTERNAL), L(INTERNAL), K(OPTICAL), N(CLEAR), D(RECYCLING), "minimum-sanitization" },
	{ L(INTERNAL), L(INTERNAL), K(OPTICAL), N(CLEAR), D(DESTRUCTION), NULL },
	/* once secret, never released outside even when reclassified (no way down anyway) */
	{ L(INTERNAL), L(SECRET), K(HDD), N(PURGE), D(EXTERNAL_REUSE), "release-internal-only" },
	{ L(SECRET), L(SECRET), K(HDD), N(CLEAR), D(INTERNAL_REUSE), NULL },
	{ L(SECRET), L(SECRET), K(HDD), N(PURGE), D(RECYCLING), "release-internal-only" },
	{ L(SECRET), L(SECRET), K(HDD), N(PURGE), D(MANUFACTURER), "destinations" },
	{ L(SECRET), L(SECRET), K(USB_FLASH), N(CLEAR), D(INTERNAL_REUSE), "minimum-sanitization" },
	{ L(SECRET), L(SECRET), K(SSD), N(CLEAR), D(INTERNAL_REUSE), "minimum-sanitization" },
	{ L(SECRET), L(SECRET), K(SSD), N(PURGE), D(INTERNAL_REUSE), NULL },
	{ L(SECRET), L(SECRET), K(NVME), N(PURGE), D(INTERNAL_REUSE), NULL },
	{ L(SECRET), L(SECRET), K(USB_FLASH), N(CLEAR), D(DESTRUCTION), NULL },
	{ L(SECRET), L(SECRET), K(VIRTUAL), N(CLEAR), D(INTERNAL_REUSE), NULL },
	{ L(CONFIDENTIAL), L(CONFIDENTIAL), K(HDD), N(CLEAR), D(INTERNAL_REUSE),
	  "minimum-sanitization" },
	{ L(CONFIDENTIAL), L(CONFIDENTIAL), K(HDD), N(PURGE), D(INTERNAL_REUSE), NULL },
	{ L(CONFIDENTIAL), L(CONFIDENTIAL), K(SD_MMC), N(PURGE), D(INTERNAL_REUSE),
	  "minimum-sanitization" },
	{ L(CONFIDENTIAL), L(CONFIDENTIAL), K(SSD), N(PURGE), D(EXTERNAL_REUSE),
	  "release-internal-only" },
	{ L(TOP_SECRET), L(TOP_SECRET), K(HDD), N(PURGE), D(INTERNAL_REUSE),
	  "top-secret-destruction" },
	{ L(TOP_SECRET), L(TOP_SECRET), K(HDD), N(PURGE), D(RECYCLING), "top-secret-destruction" },
	{ L(TOP_SECRET), L(TOP_SECRET), K(NVME), N(CLEAR), D(DESTRUCTION), NULL },
};

static void check_table(const struct policy *pol, const struct decision *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *cause = NULL;
		char want[96];
		int rc = policy_check_sanitize(pol, t[i].level, t[i].highest, t[i].kind, t[i].cat,
					       t[i].dest, &cause);

		if (!t[i].rule) {
			if (rc != 0)
				print_error("row %zu: %s\n", i, cause);
			assert_int_equal(rc, 0);
			assert_true(policy_is_allowed(pol, t[i].level, t[i].highest, t[i].kind,
						      t[i].cat, t[i].dest));
			continue;
		}
		if (rc != -EPERM)
			print_error("row %zu: expected rule %s\n", i, t[i].rule);
		assert_int_equal(rc, -EPERM);
		snprintf(want, sizeof(want), "policy rule %s: ", t[i].rule);
		assert_non_null(cause);
		if (strncmp(cause, want, strlen(want)) != 0)
			print_error("row %zu: %s\n", i, cause);
		assert_memory_equal(cause, want, strlen(want));
		assert_false(policy_is_allowed(pol, t[i].level, t[i].highest, t[i].kind, t[i].cat,
					       t[i].dest));
		free(cause);
	}
}

static void test_defaults_table(void **state)
{
	struct policy *pol = NULL;
	char *cause = NULL;

	(void)state;
	assert_int_equal(policy_load(NULL, 0, &pol, &cause), 0);
	check_table(pol, table, UTIL_ARRAY_SIZE(table));
	assert_int_equal(policy_minimum(pol, L(SECRET), K(USB_FLASH)), N(PURGE));
	assert_int_equal(policy_minimum(pol, L(TOP_SECRET), K(HDD)), N(DESTROY));
	policy_free(pol);
}

/* The shipped file must say the same as the built-in defaults. */
static void test_shipped_file(void **state)
{
	const char *dir = getenv("top_srcdir");
	struct policy *pol = NULL;
	char *cause = NULL, *path;

	(void)state;
	if (!dir)
		skip();
	path = util_asprintf("%s/profiles/policy.conf", dir);
	assert_non_null(path);
	assert_int_equal(access(path, R_OK), 0);
	if (policy_load((const char *const *)&path, 1, &pol, &cause) != 0)
		print_error("%s\n", cause);
	assert_non_null(pol);
	check_table(pol, table, UTIL_ARRAY_SIZE(table));
	policy_free(pol);
	free(path);
}

/* Installed file, then the station's own: the station tightens. */
static void test_load_default(void **state)
{
	char dir[] = "/tmp/custos-policy-dir-XXXXXX", path[64];
	const char *top = getenv("top_srcdir");
	struct policy *pol = NULL;
	char *cause = NULL, *prof;

	(void)state;
	if (!top)
		skip();
	prof = util_asprintf("%s/profiles", top);
	assert_non_null(prof);
	assert_int_equal(setenv("CUSTOS_PROFILE_DIR", prof, 1), 0);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/policy.conf", dir);
	assert_int_equal(util_write_file_atomic(path, "witnesses 4\n", 12, 0644), 0);
	assert_int_equal(policy_load_default(dir, &pol, &cause), 0);
	assert_int_equal(policy_witnesses(pol), 4);
	policy_free(pol);
	unlink(path);
	rmdir(dir);
	free(prof);
}

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/custos-policy-XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(util_write_all(fd, text, strlen(text)), 0);
	assert_int_equal(util_close(fd), 0);
	return path;
}

static void expect_parse_error(const char *text, unsigned line, const char *needle)
{
	char *path = write_tmp(text), *cause = NULL, want[64];
	struct policy *pol = NULL;

	assert_int_equal(policy_load((const char *const *)&path, 1, &pol, &cause), -EINVAL);
	assert_null(pol);
	assert_non_null(cause);
	snprintf(want, sizeof(want), "%s:%u: ", path, line);
	if (strncmp(cause, want, strlen(want)) != 0 || !strstr(cause, needle))
		print_error("got: %s\n", cause);
	assert_memory_equal(cause, want, strlen(want));
	assert_non_null(strstr(cause, needle));
	free(cause);
	unlink(path);
	free(path);
}

static void test_parse_errors(void **state)
{
	(void)state;
	expect_parse_error("# x\n\nfoo bar\n", 3, "unknown directive 'foo'");
	expect_parse_error("destinations ultra destruction\n", 1, "unknown classification");
	expect_parse_error("destinations secret recycling\n", 1, "release-internal-only");
	expect_parse_error("\ndestinations top-secret internal-reuse\n", 2,
			   "top-secret-destruction");
	expect_parse_error("minimum secret hdd strong\n", 1, "unknown NIST category");
	expect_parse_error("minimum secret floppy clear\n", 1, "unknown media kind");
	expect_parse_error("witnesses 1\n", 1, "two-witnesses");
	expect_parse_error("minimum secret hdd\n", 1, "usage");
}

/* An office tightens: secret HDDs need purge, three witnesses; a station
 * file on top of that relaxes nothing it may not. */
static void test_tighten(void **state)
{
	char *p1 = write_tmp("minimum secret hdd purge  # tighter\nwitnesses 3\n");
	char *p2 = write_tmp("destinations internal internal-reuse destruction\n");
	const char *paths[] = { p1, NULL, "/nonexistent/policy.conf", p2 };
	const char *w2[] = { "Li Wei", "Wang Fang" };
	const char *w3[] = { "Li Wei", "Wang Fang", "Zhao Min" };
	struct policy *pol = NULL;
	char *cause = NULL;

	(void)state;
	assert_int_equal(policy_load(paths, 4, &pol, &cause), 0);
	assert_int_equal(policy_check_sanitize(pol, L(SECRET), L(SECRET), K(HDD), N(CLEAR),
					       D(INTERNAL_REUSE), NULL), -EPERM);
	assert_int_equal(policy_check_sanitize(pol, L(INTERNAL), L(INTERNAL), K(HDD), N(CLEAR),
					       D(RECYCLING), &cause), -EPERM);
	assert_non_null(strstr(cause, "policy rule destinations: "));
	free(cause);
	assert_int_equal(policy_witnesses(pol), 3);
	assert_int_equal(policy_check_destroy(pol, w2, 2, NULL), -EPERM);
	assert_int_equal(policy_check_destroy(pol, w3, 3, NULL), 0);
	policy_free(pol);
	unlink(p1);
	unlink(p2);
	free(p1);
	free(p2);
}

static void test_reclassify(void **state)
{
	char *cause = NULL;

	(void)state;
	assert_int_equal(policy_check_reclassify(NULL, L(INTERNAL), L(SECRET), NULL), 0);
	assert_int_equal(policy_check_reclassify(NULL, L(SECRET), L(SECRET), NULL), 0);
	assert_int_equal(policy_check_reclassify(NULL, L(SECRET), L(CONFIDENTIAL), NULL), 0);
	assert_int_equal(policy_check_reclassify(NULL, L(CONFIDENTIAL), L(SECRET), &cause), -EPERM);
	assert_non_null(strstr(cause, "policy rule no-downgrade: "));
	assert_non_null(strstr(cause, "机密"));
	free(cause);
	assert_int_equal(policy_check_reclassify(NULL, L(TOP_SECRET), L(PUBLIC), NULL), -EPERM);
}

static void test_witnesses(void **state)
{
	const char *same[] = { "Li Wei", " li wei " };
	const char *blank[] = { "Li Wei", "  " };
	const char *ok[] = { "Li Wei", "Wang Fang" };
	const char *one[] = { "Li Wei" };
	const char *three[] = { "Li Wei", "Wang Fang", "Zhao Qiang" };
	const char *three_dup[] = { "Li Wei", "Wang Fang", "WANG FANG" };
	const char *three_blank[] = { "Li Wei", "Wang Fang", "" };
	char *cause = NULL;

	(void)state;
	assert_int_equal(policy_check_destroy(NULL, ok, 2, NULL), 0);
	assert_int_equal(policy_check_destroy(NULL, one, 1, NULL), -EPERM);
	assert_int_equal(policy_check_destroy(NULL, blank, 2, NULL), -EPERM);
	assert_int_equal(policy_check_destroy(NULL, same, 2, &cause), -EPERM);
	assert_non_null(strstr(cause, "policy rule two-witnesses: "));
	free(cause);
	cause = NULL;
	/* more than needed: all of them distinct and named */
	assert_int_equal(policy_check_destroy(NULL, three, 3, NULL), 0);
	assert_int_equal(policy_check_destroy(NULL, three_dup, 3, &cause), -EPERM);
	assert_non_null(strstr(cause, "policy rule two-witnesses: "));
	assert_non_null(strstr(cause, "named twice"));
	free(cause);
	assert_int_equal(policy_check_destroy(NULL, three_blank, 3, NULL), -EPERM);
}

static void test_names(void **state)
{
	enum policy_level l;
	enum policy_dest d;
	enum policy_kind k;

	(void)state;
	assert_int_equal(policy_level_parse("绝密", &l), 0);
	assert_int_equal(l, L(TOP_SECRET));
	assert_int_equal(policy_level_parse("Secret", &l), 0);
	assert_int_equal(l, L(SECRET));
	assert_string_equal(policy_level_name_zh(L(CONFIDENTIAL)), "机密");
	assert_string_equal(policy_level_name(L(INTERNAL)), "internal");
	assert_int_equal(policy_level_parse("restricted", &l), -EINVAL);
	assert_int_equal(policy_dest_parse("external-reuse", &d), 0);
	assert_int_equal(d, D(EXTERNAL_REUSE));
	assert_int_equal(policy_kind_parse("usb-flash", &k), 0);
	assert_string_equal(policy_kind_name(k), "usb-flash");
	/* the order the issue fixes */
	assert_true(L(PUBLIC) < L(INTERNAL) && L(INTERNAL) < L(SECRET) &&
		    L(SECRET) < L(CONFIDENTIAL) && L(CONFIDENTIAL) < L(TOP_SECRET));
}

/* The case: a NUL byte used to end the file silently, so the rule
 * after it was lost and a dry run went through. */
static void test_nul_and_files(void **state)
{
	static const char text[] = "# x\0\nminimum internal virtual destroy\n";
	char path[] = "/tmp/custos-policy-XXXXXX", *cause = NULL, fifo[64];
	struct policy *pol = NULL;
	const char *p = path;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(util_write_all(fd, text, sizeof(text) - 1), 0);
	assert_int_equal(util_close(fd), 0);
	assert_int_equal(policy_load(&p, 1, &pol, &cause), -EINVAL);
	assert_null(pol);
	assert_non_null(strstr(cause, ":1: NUL byte"));
	assert_memory_equal(cause, path, strlen(path));
	unlink(path);
	/* the same text parsed from memory */
	assert_int_equal(policy_parse_text("mem", text, sizeof(text) - 1, &pol, &cause), -EINVAL);
	assert_string_equal(cause, "mem:1: NUL byte");
	/* without the NUL the rule holds: internal virtual media only go to
	 * destruction */
	assert_int_equal(policy_parse_text("mem", text + 5, sizeof(text) - 6, &pol, &cause), 0);
	assert_int_equal(policy_check_sanitize(pol, L(INTERNAL), L(INTERNAL), K(VIRTUAL), N(CLEAR),
					       D(INTERNAL_REUSE), &cause), -EPERM);
	policy_free(pol);
	pol = NULL;
	/* a FIFO or a device is no policy: refused at once, no hang */
	snprintf(fifo, sizeof(fifo), "/tmp/custos-policy-fifo-%d", (int)getpid());
	assert_int_equal(mkfifo(fifo, 0600), 0);
	p = fifo;
	assert_int_equal(policy_load(&p, 1, &pol, &cause), -EINVAL);
	assert_non_null(strstr(cause, "not a regular file"));
	unlink(fifo);
	p = "/dev/zero";
	assert_int_equal(policy_load(&p, 1, &pol, &cause), -EINVAL);
	assert_null(pol);
	/* a missing file is still skipped */
	p = "/nonexistent/policy.conf";
	assert_int_equal(policy_load(&p, 1, &pol, &cause), 0);
	policy_free(pol);
	free(cause);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults_table),
		cmocka_unit_test(test_shipped_file),
		cmocka_unit_test(test_load_default),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_tighten),
		cmocka_unit_test(test_reclassify),
		cmocka_unit_test(test_witnesses),
		cmocka_unit_test(test_nul_and_files),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
