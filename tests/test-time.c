/* SPDX-License-Identifier: GPL-3.0-or-later */
/* util's local time for people: TZ honoured, offsets, the Chinese date. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

/* 2026-12-04T03:20:07Z */
#define T0 INT64_C(1796354407)

static void test_parse(void **state)
{
	int64_t t = 0;

	(void)state;
	assert_int_equal(util_time_parse("2026-12-04T03:20:07Z", &t), 0);
	assert_int_equal(t, T0);
	assert_int_equal(util_time_parse("2026-12-04T11:20:07+08:00", &t), 0);
	assert_int_equal(t, T0);
	assert_int_equal(util_time_parse("2026-12-03T22:20:07-05:00", &t), 0);
	assert_int_equal(t, T0);
	assert_int_equal(util_time_parse("2026-12-04 03:20:07", &t), -EINVAL);
	assert_int_equal(util_time_parse("2026-12-04T03:20:07Zx", &t), -EINVAL);
	assert_int_equal(util_time_parse("2026-13-04T03:20:07Z", &t), -EINVAL);
	assert_int_equal(util_time_parse("", &t), -EINVAL);
	assert_int_equal(util_time_parse(NULL, &t), -EINVAL);
}

static void test_shanghai(void **state)
{
	char buf[UTIL_TIME_LEN];

	(void)state;
	setenv("TZ", "Asia/Shanghai", 1);
	util_time_local(T0, buf, sizeof(buf));
	assert_string_equal(buf, "2026-12-04T11:20:07+08:00");
	util_time_local_zh(T0, buf, sizeof(buf));
	assert_string_equal(buf, "2026年12月4日 11:20");
	/* before 08:00 local the UTC date is the day before */
	util_time_local_zh(T0 - 4 * 3600, buf, sizeof(buf));
	assert_string_equal(buf, "2026年12月4日 07:20");
	util_time_local(T0 - 4 * 3600, buf, sizeof(buf));
	assert_string_equal(buf, "2026-12-04T07:20:07+08:00");
	assert_string_equal(util_time_local_text("2026-12-03T23:20:07Z", buf, sizeof(buf)),
			    "2026-12-04T07:20:07+08:00");
	assert_string_equal(util_time_local_text("-", buf, sizeof(buf)), "-");
	assert_string_equal(util_time_local_text("", buf, sizeof(buf)), "");
}

static void test_other_zones(void **state)
{
	char buf[UTIL_TIME_LEN];

	(void)state;
	setenv("TZ", "UTC", 1);
	util_time_local(T0, buf, sizeof(buf));
	assert_string_equal(buf, "2026-12-04T03:20:07Z");
	setenv("TZ", "America/New_York", 1);
	util_time_local(T0, buf, sizeof(buf));
	assert_string_equal(buf, "2026-12-03T22:20:07-05:00");
	setenv("TZ", "Asia/Kolkata", 1);
	util_time_local(T0, buf, sizeof(buf));
	assert_string_equal(buf, "2026-12-04T08:50:07+05:30");
	/* a short buffer is cut, never overrun */
	util_time_local(T0, buf, 8);
	assert_int_equal(strlen(buf), 0);
	unsetenv("TZ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_shanghai),
		cmocka_unit_test(test_other_zones),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
