/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host.h"
#include "util.h"

static void put(const char *dir, const char *name, const char *value)
{
	char *path = util_asprintf("%s/%s", dir, name);

	assert_int_equal(util_write_file_atomic(path, value, strlen(value), 0644), 0);
	free(path);
}

static void test_host_dmi(void **state)
{
	char dir[] = "/tmp/custos-host-XXXXXX";
	struct host_info h;
	char desc[512];
	json_t *j;

	(void)state;
	assert_non_null(mkdtemp(dir));
	put(dir, "sys_vendor", "LENOVO\n");
	put(dir, "product_name", "ThinkCentre M720\n");
	put(dir, "product_serial", "PC0ABCDE\n");
	put(dir, "chassis_asset_tag", "To Be Filled By O.E.M.\n");
	host_read(dir, &h);
	assert_string_equal(h.vendor, "LENOVO");
	assert_string_equal(h.model, "ThinkCentre M720");
	assert_string_equal(h.serial, "PC0ABCDE");
	assert_string_equal(h.asset_tag, "");	/* placeholder dropped */
	host_describe(&h, desc, sizeof(desc));
	assert_non_null(strstr(desc, "LENOVO ThinkCentre M720, S/N PC0ABCDE"));
	assert_null(strstr(desc, "asset tag"));
	j = host_to_json(&h);
	assert_string_equal(json_string_value(json_object_get(j, "serial")), "PC0ABCDE");
	json_decref(j);
	for (const char *const *n = (const char *const[]){ "sys_vendor", "product_name",
			"product_serial", "chassis_asset_tag", NULL }; *n; n++) {
		char *p = util_asprintf("%s/%s", dir, *n);

		assert_int_equal(unlink(p), 0);
		free(p);
	}
	host_read(dir, &h);	/* nothing readable: empty fields, no failure */
	assert_string_equal(h.vendor, "");
	util_strlcpy(h.hostname, "vm", sizeof(h.hostname));
	host_describe(&h, desc, sizeof(desc));
	assert_string_equal(desc, "vm");
	util_strlcpy(h.asset_tag, "PC-7", sizeof(h.asset_tag));
	host_describe(&h, desc, sizeof(desc));
	assert_string_equal(desc, "vm (asset tag PC-7)");
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_dmi),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
