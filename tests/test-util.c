/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_atomic_write),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_display_width),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
