/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "i18n-values.h"

/* The catalogue of the build ($CUSTOS_LOCALEDIR, set by make check) in
 * @lang; false when it cannot be had (no such locale installed). */
static bool speak(const char *lang)
{
	setenv("LC_ALL", lang, 1);
	i18n_init();
	return setlocale(LC_MESSAGES, NULL) && strcmp(setlocale(LC_MESSAGES, NULL), lang) == 0;
}

static void test_english(void **state)
{
	char buf[64];

	(void)state;
	speak("C.UTF-8");
	assert_false(i18n_values_zh());
	assert_string_equal(i18n_value_of(VALUE_LEVEL, "secret", buf, sizeof(buf)), "secret");
	assert_string_equal(i18n_value_of(VALUE_STATE, "in-stock", buf, sizeof(buf)), "in-stock");
	assert_string_equal(i18n_value_of(VALUE_LEVEL, NULL, buf, sizeof(buf)), "");
}

static void test_chinese(void **state)
{
	char buf[64];

	(void)state;
	if (!getenv("CUSTOS_LOCALEDIR") || !speak("zh_CN.UTF-8"))
		skip();
	assert_true(i18n_values_zh());
	assert_string_equal(i18n_value_of(VALUE_LEVEL, "secret", buf, sizeof(buf)), "秘密");
	assert_string_equal(i18n_value_of(VALUE_LEVEL, "internal", NULL, 0), "内部");
	assert_string_equal(i18n_value_of(VALUE_STATE, "in-stock", NULL, 0), "在库");
	assert_string_equal(i18n_value_of(VALUE_MEDIA, "usb-flash", NULL, 0), "U盘");
	assert_string_equal(i18n_value_of(VALUE_DEST, "recycling", NULL, 0), "回收");
	assert_string_equal(i18n_value_of(VALUE_OUTCOME, "failed", NULL, 0), "失败");
	assert_string_equal(i18n_value_of(VALUE_EVENT, "enrolled", NULL, 0), "登记");
	/* a remark stays, an unknown code is shown as it is */
	assert_string_equal(i18n_value_of(VALUE_LEVEL, "secret (declared)", buf, sizeof(buf)),
			    "秘密 (declared)");
	assert_string_equal(i18n_value_of(VALUE_LEVEL, "secret (declared)", NULL, 0), "秘密");
	assert_string_equal(i18n_value_of(VALUE_STATE, "on-the-moon", buf, sizeof(buf)),
			    "on-the-moon");
	speak("C.UTF-8");
	assert_false(i18n_values_zh());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_english),
		cmocka_unit_test(test_chinese),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
