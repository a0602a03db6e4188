/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <utime.h>
#include <unistd.h>

#include "util.h"

static void test_parse_u64(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(util_parse_u64("4096", &v, 0), 0);
	assert_int_equal(v, 4096);
	assert_int_equal(util_parse_u64("0x10", &v, 0), 0);
	assert_int_equal(v, 16);
	assert_int_equal(util_parse_u64("4G", &v, 1), 0);
	assert_int_equal(v, 4ull << 30);
	assert_int_equal(util_parse_u64("64MiB", &v, 1), 0);
	assert_int_equal(v, 64ull << 20);
	assert_int_equal(util_parse_u64("4G", &v, 0), -EINVAL);
	assert_int_equal(util_parse_u64("-1", &v, 0), -EINVAL);
	assert_int_equal(util_parse_u64("", &v, 0), -EINVAL);
	assert_int_equal(util_parse_u64("12x", &v, 1), -EINVAL);
	assert_int_equal(util_parse_u64("99999999999999999999", &v, 0), -ERANGE);
	assert_int_equal(util_parse_u64("20000000T", &v, 1), -ERANGE);
}

static void test_format(void **state)
{
	char buf[32];

	(void)state;
	util_format_size(512, buf, sizeof(buf));
	assert_string_equal(buf, "512 B");
	util_format_size(4ull << 30, buf, sizeof(buf));
	assert_string_equal(buf, "4.0 GiB");
	util_format_duration(3723, buf, sizeof(buf));
	assert_string_equal(buf, "1h02m03s");
	util_format_duration(125, buf, sizeof(buf));
	assert_string_equal(buf, "2m05s");
	util_iso8601(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	util_hex("\x01\xab", 2, buf);
	assert_string_equal(buf, "01ab");
}

static void test_atomic_write(void **state)
{
	char dir[] = "/tmp/custos-test-XXXXXX";
	char *path, *sub, *data = NULL;
	struct stat st;
	size_t len = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	sub = util_asprintf("%s/a/b/c", dir);
	assert_int_equal(util_mkdir_p(sub, 0700), 0);
	assert_int_equal(util_mkdir_p(sub, 0700), 0);
	path = util_asprintf("%s/file", sub);
	assert_int_equal(util_write_file_atomic(path, "hello", 5, 0600), 0);
	assert_int_equal(util_write_file_atomic(path, "bye", 3, 0600), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(util_read_file(path, &data, &len), 0);
	assert_int_equal(len, 3);
	assert_string_equal(data, "bye");
	free(data);
	assert_int_equal(util_read_file("/nonexistent/x", &data, NULL), -ENOENT);
	unlink(path);
	free(path);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(rmdir(sub), 0);
		*strrchr(sub, '/') = '\0';
	}
	assert_int_equal(rmdir(dir), 0);
	free(sub);
}

static void test_strings(void **state)
{
	char s[] = "  padded \t\n";
	char small[4];
	char *cause = NULL;

	(void)state;
	assert_string_equal(util_strstrip(s), "padded");
	assert_int_equal(util_strlcpy(small, "abcdef", sizeof(small)), 6);
	assert_string_equal(small, "abc");
	assert_int_equal(util_fail(&cause, -EINVAL, "bad %s", "thing"), -EINVAL);
	assert_string_equal(cause, "bad thing");
	free(cause);
}

static void test_display_width(void **state)
{
	char buf[64];

	(void)state;
	if (!setlocale(LC_ALL, "C.UTF-8") && !setlocale(LC_ALL, "en_US.UTF-8"))
		skip();
	/* ASCII */
	assert_int_equal(util_display_width(""), 0);
	assert_int_equal(util_display_width(NULL), 0);
	assert_int_equal(util_display_width("M-000001"), 8);
	/* wide characters: 2 columns each */
	assert_int_equal(util_display_width("张伟"), 4);
	assert_int_equal(util_display_width("张伟 (Office 3)"), 15);
	assert_int_equal(util_display_width("机要室/Zhang"), 12);
	/* invalid bytes count 1 each; a truncated sequence too */
	assert_int_equal(util_display_width("a\xff\xfe"), 3);
	assert_int_equal(util_display_width("\xe5\xbc"), 2);
	/* padding by columns, not bytes */
	assert_int_equal(util_fit_width("张伟", 8, true, buf, sizeof(buf)), 8);
	assert_string_equal(buf, "张伟    ");
	assert_int_equal(util_fit_width("abc", 5, true, buf, sizeof(buf)), 5);
	assert_string_equal(buf, "abc  ");
	assert_int_equal(util_fit_width("abc", 5, false, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "abc");
	/* exact fit: no ellipsis */
	assert_int_equal(util_fit_width("张伟", 4, true, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "张伟");
	/* too long: cut with an ellipsis, never inside a character */
	assert_int_equal(util_fit_width("abcdefgh", 5, true, buf, sizeof(buf)), 5);
	assert_string_equal(buf, "abcd\xe2\x80\xa6");
	assert_int_equal(util_fit_width("张伟明", 4, true, buf, sizeof(buf)), 4);
	assert_string_equal(buf, "张\xe2\x80\xa6 ");	/* 伟 would need columns 3-4 */
	assert_int_equal(util_fit_width("张伟明", 5, true, buf, sizeof(buf)), 5);
	assert_string_equal(buf, "张伟\xe2\x80\xa6");
	assert_int_equal(util_fit_width("a张伟", 3, false, buf, sizeof(buf)), 2);
	assert_string_equal(buf, "a\xe2\x80\xa6");
	assert_int_equal(util_fit_width("张伟", 0, true, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "");
	/* a small buffer cuts between characters too */
	util_fit_width("张伟明", 20, false, buf, 8);
	assert_int_equal(strlen(buf), 6);
	assert_string_equal(buf, "张伟");
	/* control characters and invalid bytes never reach the terminal */
	assert_int_equal(util_fit_width("a\x1b[2Jb\xff" "c", 10, false, buf, sizeof(buf)), 8);
	assert_string_equal(buf, "a?[2Jb?c");
	setlocale(LC_ALL, "C");
}

static void test_text_valid(void **state)
{
	char *cause = NULL;
	size_t bad = 99;

	(void)state;
	assert_true(util_text_valid("", NULL));
	assert_true(util_text_valid(NULL, NULL));
	assert_true(util_text_valid("M-000001 张伟 (Office 3) ☃ \xf0\x9f\x98\x80", NULL));
	/* invalid UTF-8: stray continuation, overlong, surrogate, > U+10FFFF,
	 * truncated */
	assert_false(util_text_valid("\xff\xfe", &bad));
	assert_int_equal(bad, 0);
	assert_false(util_text_valid("ab\x80", &bad));
	assert_int_equal(bad, 2);
	assert_false(util_text_valid("\xc0\xaf", NULL));
	assert_false(util_text_valid("\xe0\x80\xaf", NULL));
	assert_false(util_text_valid("\xed\xa0\x80", NULL));
	assert_false(util_text_valid("\xf4\x90\x80\x80", NULL));
	assert_false(util_text_valid("\xe5\xbc", NULL));
	/* control characters: C0, DEL, C1 */
	assert_false(util_text_valid("a\x1b[31m", &bad));
	assert_int_equal(bad, 1);
	assert_false(util_text_valid("a\tb", NULL));
	assert_false(util_text_valid("a\nb", NULL));
	assert_false(util_text_valid("a\x7f", NULL));
	assert_false(util_text_valid("a\xc2\x9b" "b", &bad));
	assert_int_equal(bad, 1);
	assert_true(util_text_valid("\xc2\xa0", NULL));	/* U+00A0 is text */
	/* the message names the field and the byte */
	assert_int_equal(util_text_check("asset tag", "x\xff", &cause), -EINVAL);
	assert_string_equal(cause, "asset tag: invalid UTF-8 at byte 2 (0xff)");
	assert_int_equal(util_text_check("note", "\x07", &cause), -EINVAL);
	assert_string_equal(cause, "note: control character U+0007 at byte 1");
	assert_int_equal(util_text_check("note", "\xc2\x9b", &cause), -EINVAL);
	assert_string_equal(cause, "note: control character U+009B at byte 1");
	free(cause);
	cause = NULL;
	assert_int_equal(util_text_check("note", NULL, &cause), 0);
	assert_int_equal(util_text_check("note", "好", &cause), 0);
	assert_null(cause);
}

static void test_text_safe(void **state)
{
	char buf[64], *dup;

	(void)state;
	/* locale independent: no setlocale here */
	assert_string_equal(util_text_safe("张伟 ok", false, buf, sizeof(buf)), "张伟 ok");
	assert_string_equal(util_text_safe("a\x1b[2Jb", false, buf, sizeof(buf)), "a?[2Jb");
	assert_string_equal(util_text_safe("\xff\xfe" "x", false, buf, sizeof(buf)), "??x");
	/* a C1 control is one '?' */
	assert_string_equal(util_text_safe("a\xc2\x9b" "b", false, buf, sizeof(buf)), "a?b");
	assert_string_equal(util_text_safe("l1\nl2\r", true, buf, sizeof(buf)), "l1\nl2?");
	assert_string_equal(util_text_safe("l1\nl2", false, buf, sizeof(buf)), "l1?l2");
	/* cut between characters */
	assert_string_equal(util_text_safe("张伟", false, buf, 5), "张");
	/* in place */
	strcpy(buf, "\x1b\x1b" "ab\xc2\x9b" "张");
	assert_string_equal(util_text_safe(buf, false, buf, sizeof(buf)), "??ab?张");
	dup = util_text_safe_dup("x\ay", true);
	assert_string_equal(dup, "x?y");
	free(dup);
}

/* A file of @len bytes of @text in @dir; returns its malloc'd path. */
static char *make_file(const char *dir, const char *name, const char *text, size_t len)
{
	char *path = util_asprintf("%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(util_write_all(fd, text, len), 0);
	assert_int_equal(util_close(fd), 0);
	return path;
}

static void test_read_config(void **state)
{
	char dir[] = "/tmp/custos-test-XXXXXX";
	char *path, *data = NULL, *cause = NULL, *big;
	size_t len = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	path = make_file(dir, "ok.conf", "a = 1\nb = 2\n", 12);
	assert_int_equal(util_read_config(path, &data, &len, &cause), 0);
	assert_int_equal(len, 12);
	assert_string_equal(data, "a = 1\nb = 2\n");
	free(data);
	unlink(path);
	free(path);
	/* a NUL byte names file and line */
	path = make_file(dir, "nul.conf", "# x\n\n# y\0\nminimum x\n", 20);
	assert_int_equal(util_read_config(path, &data, &len, &cause), -EINVAL);
	assert_null(data);
	assert_non_null(strstr(cause, "nul.conf:3: NUL byte"));
	unlink(path);
	free(path);
	/* larger than the limit */
	big = calloc(1, UTIL_CONFIG_MAX + 1);
	memset(big, '#', UTIL_CONFIG_MAX + 1);
	path = make_file(dir, "big.conf", big, UTIL_CONFIG_MAX + 1);
	assert_int_equal(util_read_config(path, &data, &len, &cause), -EFBIG);
	assert_non_null(strstr(cause, "larger than"));
	unlink(path);
	free(path);
	/* exactly the limit is fine */
	path = make_file(dir, "max.conf", big, UTIL_CONFIG_MAX);
	assert_int_equal(util_read_config(path, &data, &len, &cause), 0);
	assert_int_equal(len, UTIL_CONFIG_MAX);
	free(data);
	unlink(path);
	free(path);
	free(big);
	/* not regular files: a FIFO (no hang), a device, a directory, a
	 * symlink to /dev/zero */
	path = util_asprintf("%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(util_read_config(path, &data, &len, &cause), -EINVAL);
	assert_non_null(strstr(cause, "not a regular file"));
	unlink(path);
	free(path);
	assert_int_equal(util_read_config("/dev/zero", &data, &len, &cause), -EINVAL);
	assert_int_equal(util_read_config(dir, &data, &len, &cause), -EINVAL);
	path = util_asprintf("%s/zero", dir);
	assert_int_equal(symlink("/dev/zero", path), 0);
	assert_int_equal(util_read_config(path, &data, &len, &cause), -EINVAL);
	unlink(path);
	free(path);
	assert_int_equal(util_read_config("/nonexistent/x", &data, &len, &cause), -ENOENT);
	/* documents may be binary, with their own limit */
	path = make_file(dir, "doc.pdf", "%PDF-\0\1\2", 8);
	assert_int_equal(util_read_bounded(path, 8, &data, &len, &cause), 0);
	assert_int_equal(len, 8);
	assert_memory_equal(data, "%PDF-\0\1\2", 8);
	free(data);
	assert_int_equal(util_read_bounded(path, 7, &data, &len, &cause), -EFBIG);
	assert_null(data);
	unlink(path);
	free(path);
	assert_int_equal(util_read_bounded("/dev/zero", UTIL_DOCUMENT_MAX, &data, &len, &cause),
			 -EINVAL);
	/* in memory */
	assert_int_equal(util_check_config_text("t", "a\nb\0", 4, 100, &cause), -EINVAL);
	assert_string_equal(cause, "t:2: NUL byte");
	assert_int_equal(util_check_config_text("t", "abc", 3, 2, &cause), -EFBIG);
	assert_int_equal(util_check_config_text("t", "abc", 3, 3, &cause), 0);
	free(cause);
	assert_int_equal(rmdir(dir), 0);
}

static void test_clean_temps(void **state)
{
	char dir[] = "/tmp/custos-test-XXXXXX";
	const char *names[] = { "register.db.tmp.AbC123", ".seq.tmp.x1Y2z3", "keep.tmp.short",
				"keep.json", "new.tmp.QQQQQQ" };
	struct utimbuf old = { .actime = time(NULL) - 600, .modtime = time(NULL) - 600 };
	char *p;

	(void)state;
	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < UTIL_ARRAY_SIZE(names); i++) {
		p = make_file(dir, names[i], "x", 1);
		if (i < 4)
			assert_int_equal(utime(p, &old), 0);
		free(p);
	}
	/* .seq temps only */
	assert_int_equal(util_clean_temps(dir, ".seq", 0), 1);
	/* the rest when old enough: the fresh one stays */
	assert_int_equal(util_clean_temps(dir, "", 60), 1);
	p = util_asprintf("%s/new.tmp.QQQQQQ", dir);
	assert_int_equal(access(p, F_OK), 0);
	free(p);
	assert_int_equal(util_clean_temps(dir, "", 0), 1);
	for (size_t i = 2; i < 4; i++) {
		p = util_asprintf("%s/%s", dir, names[i]);
		assert_int_equal(access(p, F_OK), 0);
		unlink(p);
		free(p);
	}
	assert_int_equal(rmdir(dir), 0);
	assert_true(util_clean_temps("/nonexistent", "", 0) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_atomic_write),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_display_width),
		cmocka_unit_test(test_text_valid),
		cmocka_unit_test(test_text_safe),
		cmocka_unit_test(test_read_config),
		cmocka_unit_test(test_clean_temps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
