/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profile.h"
#include "util.h"

static const char *const shipped[] = {
	"zero", "one", "random", "nist-clear", "dod-3pass", "dod-7pass", "gutmann", "schneier",
	"vsitr", "hmg-is5-baseline", "hmg-is5-enhanced", "rcmp-ops2", "gost",
};

static void test_shipped_parse(void **state)
{
	struct profile *v = NULL;
	char *cause = NULL;
	size_t n = 0;

	(void)state;
	assert_non_null(getenv("CUSTOS_PROFILE_DIR"));
	/* Strict: every file of the directory must parse. */
	assert_int_equal(profile_list(NULL, true, &v, &n, &cause), 0);
	for (size_t i = 0; i < sizeof(shipped) / sizeof(shipped[0]); i++) {
		struct profile p;

		assert_int_equal(profile_find(shipped[i], NULL, &p, &cause), 0);
		assert_int_equal(p.method, PROFILE_METHOD_OVERWRITE);
		assert_true(p.n_passes >= 1);
		for (size_t k = 0; k < PROFILE_N_KINDS; k++)
			assert_true(p.nist[k] != PROFILE_NIST_PURGE);
	}
	free(v);
}

static void test_gutmann_exact(void **state)
{
	static const uint8_t rot[6][3] = {
		{ 0x92, 0x49, 0x24 }, { 0x49, 0x24, 0x92 }, { 0x24, 0x92, 0x49 },
		{ 0x6d, 0xb6, 0xdb }, { 0xb6, 0xdb, 0x6d }, { 0xdb, 0x6d, 0xb6 },
	};
	struct profile p;
	char *cause = NULL;

	(void)state;
	assert_int_equal(profile_find("gutmann", NULL, &p, &cause), 0);
	assert_int_equal(p.n_passes, 35);
	for (size_t i = 0; i < 4; i++) {
		assert_int_equal(p.passes[i].kind, PROFILE_PASS_RANDOM);
		assert_int_equal(p.passes[31 + i].kind, PROFILE_PASS_RANDOM);
	}
	assert_int_equal(p.passes[4].pattern[0], 0x55);
	assert_int_equal(p.passes[5].pattern[0], 0xaa);
	for (size_t i = 0; i < 3; i++) {
		assert_memory_equal(p.passes[6 + i].pattern, rot[i], 3);
		assert_memory_equal(p.passes[25 + i].pattern, rot[i], 3);
		assert_memory_equal(p.passes[28 + i].pattern, rot[3 + i], 3);
	}
	for (size_t i = 0; i < 16; i++) {
		assert_int_equal(p.passes[9 + i].pattern_len, 1);
		assert_int_equal(p.passes[9 + i].pattern[0], 0x11 * i);
	}
}

static void test_dod3(void **state)
{
	struct profile p;
	char *cause = NULL, d[64];

	(void)state;
	assert_int_equal(profile_find("dod-3pass", NULL, &p, &cause), 0);
	assert_int_equal(p.n_passes, 3);
	profile_pass_describe(&p.passes[0], d, sizeof(d));
	assert_string_equal(d, "byte 0x00");
	assert_int_equal(p.passes[1].kind, PROFILE_PASS_COMPLEMENT);
	assert_int_equal(p.passes[2].kind, PROFILE_PASS_RANDOM);
	assert_int_equal(p.verify, PROFILE_VERIFY_LAST);
	assert_int_equal(profile_nist_for(&p, "usb-flash"), PROFILE_NIST_CLEAR);
	assert_int_equal(profile_find("zero", NULL, &p, &cause), 0);
	assert_int_equal(profile_nist_for(&p, "usb-flash"), PROFILE_NIST_NONE);
}

/* Parse @text as x.profile; expect failure with @msg. */
static void bad(const char *text, const char *msg)
{
	struct profile p;
	char *cause = NULL;

	assert_int_equal(profile_parse("dir/x.profile", text, &p, &cause), -EINVAL);
	assert_non_null(cause);
	if (strcmp(cause, msg) != 0)
		fail_msg("got '%s', want '%s'", cause, msg);
	free(cause);
}

#define HEAD "name = x\ntitle = T\n"

static void test_errors(void **state)
{
	(void)state;
	bad(HEAD "method = overwrite\nfoo = 1\n", "dir/x.profile:4: unknown key 'foo'");
	bad(HEAD "method = overwrite\n\n# c\npass = byte 0x100\n",
	    "dir/x.profile:6: bad byte '0x100' (want 0x00 .. 0xff)");
	bad(HEAD "method = overwrite\npass = byte 0x00 0x01\n",
	    "dir/x.profile:4: pattern longer than 1 bytes");
	bad(HEAD "method = overwrite\npass = complement\n",
	    "dir/x.profile:4: complement needs a previous pass");
	bad(HEAD "method = scrub\n", "dir/x.profile:3: unknown method 'scrub'");
	bad(HEAD "method = overwrite\npass = zeros\n",
	    "dir/x.profile:4: bad pass 'zeros' (want byte, pattern, complement or random)");
	bad(HEAD "method = overwrite\npass = random\nverify = full\n",
	    "dir/x.profile:5: verify must be last, all, sample or none, not 'full'");
	bad(HEAD "title = again\n", "dir/x.profile:3: title given twice");
	bad(HEAD "method overwrite\n", "dir/x.profile:3: expected 'key = value'");
	bad("title = T\nmethod = overwrite\npass = random\n",
	    "dir/x.profile: missing required key 'name'");
	bad("name = y\ntitle = T\nmethod = overwrite\npass = random\n",
	    "dir/x.profile: name 'y' differs from the file name 'x'");
	bad(HEAD "method = overwrite\n", "dir/x.profile: method overwrite needs at least one pass");
	bad(HEAD "method = ata-secure-erase\npass = random\n",
	    "dir/x.profile: pass lines are only for method = overwrite");
	bad(HEAD "method = overwrite\npass = random\nnist.floppy = clear\n",
	    "dir/x.profile:5: unknown media kind 'nist.floppy'");
	bad(HEAD "method = overwrite\npass = random\nmarkers = maybe\n",
	    "dir/x.profile:5: markers must be yes or no, not 'maybe'");
}

static void test_overwrite_purge_refused(void **state)
{
	struct profile p;
	char *cause = NULL;

	(void)state;
	/* A host overwrite is Clear on every media kind, magnetic included. */
	bad(HEAD "method = overwrite\npass = random\nnist.ssd = clear\nnist.hdd = purge\n",
	    "dir/x.profile:6: an overwrite is at most clear on hdd; purge refused");
	bad(HEAD "method = overwrite\npass = random\nnist.hdd = clear\nnist.ssd = purge\n",
	    "dir/x.profile:6: an overwrite is at most clear on ssd; purge refused");
	bad(HEAD "method = overwrite\npass = random\nnist.usb-flash = purge\n",
	    "dir/x.profile:5: an overwrite is at most clear on usb-flash; purge refused");
	bad(HEAD "method = overwrite\npass = random\nnist.virtual = purge\n",
	    "dir/x.profile:5: an overwrite is at most clear on virtual; purge refused");
	assert_int_equal(profile_parse("x.profile", HEAD "method = overwrite\npass = random\n"
				       "nist.hdd = clear\nnist.virtual = clear\n", &p, &cause), 0);
	assert_int_equal(p.nist[0], PROFILE_NIST_CLEAR);
	/* Firmware methods may claim purge, and have no passes. */
	assert_int_equal(profile_parse("x.profile", HEAD "method = nvme-sanitize-crypto\n"
				       "nist.nvme = purge\n", &p, &cause), 0);
	assert_int_equal(p.method, PROFILE_METHOD_NVME_SANITIZE_CRYPTO);
	assert_int_equal(p.nist[2], PROFILE_NIST_PURGE);
	assert_true(p.markers);
	assert_int_equal(p.n_passes, 0);
}

static void test_forms(void **state)
{
	struct profile p;
	char *cause = NULL, d[512];

	(void)state;
	assert_int_equal(profile_parse("x.profile", HEAD "# comment\nmethod = overwrite  # inline\n"
				       "pass = pattern 0x92 0x49 0x24\npass = complement\n"
				       "verify = sample\nrestore-max = yes\n", &p, &cause), 0);
	assert_int_equal(p.n_passes, 2);
	profile_pass_describe(&p.passes[0], d, sizeof(d));
	assert_string_equal(d, "pattern 0x92 0x49 0x24");
	assert_int_equal(p.verify, PROFILE_VERIFY_SAMPLE);
	assert_true(p.restore_max);
	assert_false(p.markers);
	assert_int_equal(p.nist[0], PROFILE_NIST_NONE);
	assert_int_equal(profile_find("no-such-profile", NULL, &p, &cause), -ENOENT);
	free(cause);
	cause = NULL;
	assert_int_equal(profile_find("../etc/passwd", NULL, &p, &cause), -EINVAL);
	free(cause);
}

/* A NUL byte before two random passes used to load as one pass. */
static void test_nul_and_files(void **state)
{
	static const char text[] = "name = t\ntitle = T\nmethod = overwrite\npass = zero\n\0"
				   "pass = random\npass = random\n";
	char dir[] = "/tmp/custos-profile-XXXXXX", *path, *cause = NULL;
	struct profile p;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = util_asprintf("%s/t.profile", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(util_write_all(fd, text, sizeof(text) - 1), 0);
	assert_int_equal(util_close(fd), 0);
	assert_int_equal(profile_load_file(path, &p, &cause), -EINVAL);
	assert_non_null(strstr(cause, "t.profile:5: NUL byte"));
	unlink(path);
	/* a FIFO named like a profile: refused without blocking */
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(profile_load_file(path, &p, &cause), -EINVAL);
	assert_non_null(strstr(cause, "not a regular file"));
	unlink(path);
	/* a symlink to /dev/zero: refused, nothing read */
	assert_int_equal(symlink("/dev/zero", path), 0);
	assert_int_equal(profile_load_file(path, &p, &cause), -EINVAL);
	assert_non_null(strstr(cause, "not a regular file"));
	unlink(path);
	free(path);
	free(cause);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_parse),
		cmocka_unit_test(test_gutmann_exact),
		cmocka_unit_test(test_dod3),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_overwrite_purge_refused),
		cmocka_unit_test(test_forms),
		cmocka_unit_test(test_nul_and_files),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
