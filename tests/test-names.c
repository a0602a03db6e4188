/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "policy.h"

static void expect_canonical(const char *in, const char *want)
{
	char *c = NULL;

	assert_int_equal(names_canonical(in, &c), 0);
	assert_string_equal(c, want);
	free(c);
}

static void test_canonical(void **state)
{
	(void)state;
	expect_canonical("  张三  ", "张三");
	expect_canonical("张\xe3\x80\x80三", "张三");		/* ideographic space */
	expect_canonical("\xe3\x80\x80王芳\xe3\x80\x80", "王芳");
	expect_canonical("Li   Ming", "Li Ming");
	expect_canonical("Li\t\xc2\xa0Ming", "Li Ming");	/* tab, no-break space */
	expect_canonical("ＬＩ　Ｍｉｎｇ", "LI Ming");		/* full-width letters */
	expect_canonical("王 Fang", "王Fang");
	expect_canonical("", "");
	expect_canonical(" \xe3\x80\x80 ", "");
	/* NFKC composes: e + combining acute is é */
	expect_canonical("Rene\xcc\x81", "Ren\xc3\xa9");
}

static void test_equal(void **state)
{
	char *k = NULL;

	(void)state;
	assert_true(names_equal("张　三", "张三"));
	assert_true(names_equal("张 三", "张三"));
	assert_true(names_equal("Wang Fang", "wang  fang"));
	assert_true(names_equal("ＷＡＮＧ", "wang"));
	assert_true(names_equal("", "  "));
	assert_false(names_equal("张三", "张四"));
	assert_false(names_equal("Li Ming", "LiMing"));
	assert_false(names_equal("张三", ""));
	/* not UTF-8: bytes, ASCII case ignored */
	assert_true(names_equal("\xff" "Ab ", "\xff" "aB"));
	assert_false(names_equal("\xff", "\xfe"));
	assert_int_equal(names_key("\xff", &k), -EILSEQ);
	assert_null(k);
	/* every caller of the policy compares the same way */
	assert_true(policy_same_person("张　三", "张三"));
	assert_true(policy_same_person(" ADMIN ", "admin"));
	assert_false(policy_same_person("张三", "李四"));
	assert_true(names_blank(" \xe3\x80\x80"));
	assert_true(names_blank(NULL));
	assert_false(names_blank("王"));
}

static void expect_split(const char *list, size_t n, const char *const *want)
{
	char **v = NULL, *cause = NULL;
	size_t got = 99;

	assert_int_equal(names_split(list, &v, &got, &cause), 0);
	assert_null(cause);
	assert_int_equal(got, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(v[i], want[i]);
	names_list_free(v, got);
}

static void test_split(void **state)
{
	static const char *const two[] = { "王芳", "刘强" };
	static const char *const three[] = { "王芳", "刘强", "Li Ming" };
	char **v = NULL, *cause = NULL;
	size_t n = 0;

	(void)state;
	expect_split("王芳，刘强", 2, two);
	expect_split("王芳,刘强", 2, two);
	expect_split("王芳、刘强", 2, two);
	expect_split("王芳；刘强", 2, two);
	expect_split(" 王芳 ; 刘 强 ", 2, two);
	expect_split("王芳，，刘强，", 2, two);
	expect_split("王芳、刘强;Li  Ming", 3, three);
	expect_split("王芳", 1, two);
	expect_split("", 0, NULL);
	expect_split(" ，、 ", 0, NULL);
	assert_int_equal(names_split("a,\xff", &v, &n, &cause), -EILSEQ);
	assert_non_null(cause);
	assert_null(v);
	assert_int_equal(n, 0);
	free(cause);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_canonical),
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
