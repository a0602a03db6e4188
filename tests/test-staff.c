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

#include "register.h"
#include "staff.h"
#include "station.h"
#include "util.h"

static char dir[] = "/tmp/custos-test-staff-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char *p = util_asprintf("%s/staff.json", dir);

	(void)state;
	unlink(p);
	free(p);
	return rmdir(dir);
}

static struct staff *fresh(void)
{
	struct staff *r = NULL;
	char *p = util_asprintf("%s/staff.json", dir), *cause = NULL;

	unlink(p);
	free(p);
	assert_int_equal(staff_load(dir, &r, &cause), 0);
	assert_int_equal(r->n, 0);
	return r;
}

static void test_roles(void **state)
{
	unsigned b = 0;
	char buf[64];

	(void)state;
	assert_int_equal(staff_roles_parse("operator,witness", &b), 0);
	assert_int_equal(b, STAFF_ROLE_OPERATOR | STAFF_ROLE_WITNESS);
	assert_int_equal(staff_roles_parse("监销人、责任人", &b), 0);
	assert_int_equal(b, STAFF_ROLE_WITNESS | STAFF_ROLE_CUSTODIAN);
	assert_int_equal(staff_roles_parse("Validator", &b), 0);
	assert_int_equal(b, STAFF_ROLE_VALIDATOR);
	assert_int_equal(staff_roles_parse("boss", &b), -EINVAL);
	assert_int_equal(staff_roles_parse(" , ", &b), -EINVAL);
	staff_roles_format(STAFF_ROLE_OPERATOR | STAFF_ROLE_CUSTODIAN, buf, sizeof(buf));
	assert_string_equal(buf, "operator, custodian");
	assert_string_equal(staff_role_name_zh(STAFF_ROLE_WITNESS), "监销人");
}

static void test_add_find_save(void **state)
{
	struct staff *r = fresh(), *r2 = NULL;
	const struct staff_person *p;
	char *cause = NULL, *path;
	struct stat sb;

	(void)state;
	assert_int_equal(staff_add(r, "王　芳", STAFF_ROLE_OPERATOR | STAFF_ROLE_WITNESS,
				   "保密员", "办公室", "010-12345678", &cause), 0);
	assert_int_equal(staff_add(r, " 刘强 ", STAFF_ROLE_WITNESS, NULL, NULL, NULL, &cause), 0);
	/* the same person typed differently */
	assert_int_equal(staff_add(r, "王芳", STAFF_ROLE_WITNESS, NULL, NULL, NULL, &cause),
			 -EEXIST);
	free(cause);
	cause = NULL;
	assert_int_equal(staff_add(r, "", STAFF_ROLE_WITNESS, NULL, NULL, NULL, &cause), -EINVAL);
	free(cause);
	cause = NULL;
	assert_int_equal(staff_add(r, "X", 0, NULL, NULL, NULL, &cause), -EINVAL);
	free(cause);
	cause = NULL;
	assert_int_equal(staff_add(r, "Y", STAFF_ROLE_WITNESS, "a\x01b", NULL, NULL, &cause),
			 -EINVAL);
	free(cause);
	cause = NULL;
	/* a name is never a list: the faces split witnesses on these */
	assert_int_equal(staff_add(r, "刘强，周明", STAFF_ROLE_WITNESS, NULL, NULL, NULL, &cause),
			 -EINVAL);
	assert_non_null(strstr(cause, "separator"));
	free(cause);
	cause = NULL;
	assert_int_equal(staff_add(r, "A;B", STAFF_ROLE_WITNESS, NULL, NULL, NULL, &cause),
			 -EINVAL);
	free(cause);
	cause = NULL;
	assert_int_equal(r->n, 2);
	p = staff_find(r, "王芳");
	assert_non_null(p);
	assert_string_equal(p->name, "王芳");
	assert_string_equal(p->title, "保密员");
	assert_ptr_equal(staff_find(r, "刘　强"), &r->people[1]);
	assert_null(staff_find(r, "张三"));
	assert_null(staff_find(r, " "));
	assert_int_equal(staff_save(r, &cause), 0);
	path = util_asprintf("%s/staff.json", dir);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	free(path);
	assert_int_equal(staff_load(dir, &r2, &cause), 0);
	assert_int_equal(r2->n, 2);
	assert_string_equal(r2->people[0].phone, "010-12345678");
	assert_int_equal(r2->people[0].roles, STAFF_ROLE_OPERATOR | STAFF_ROLE_WITNESS);
	assert_string_equal(r2->people[1].name, "刘强");
	assert_int_equal(staff_remove(r2, "刘 强", &cause), 0);
	assert_int_equal(r2->n, 1);
	assert_int_equal(staff_remove(r2, "刘强", &cause), -ENOENT);
	assert_non_null(strstr(cause, "王芳 (operator, witness)"));
	free(cause);
	staff_free(r);
	staff_free(r2);
}

static void test_require(void **state)
{
	struct staff *r = fresh();
	const struct staff_person *p = (void *)1;
	char *cause = NULL;

	(void)state;
	/* no roster kept: any name, no person */
	assert_int_equal(staff_require(r, "anyone", STAFF_ROLE_WITNESS, &p, &cause), 0);
	assert_null(p);
	assert_int_equal(staff_require(r, " ", STAFF_ROLE_WITNESS, &p, &cause), -EINVAL);
	free(cause);
	cause = NULL;
	assert_int_equal(staff_add(r, "王芳", STAFF_ROLE_OPERATOR, "保密员", NULL, NULL, NULL), 0);
	assert_int_equal(staff_add(r, "刘强", STAFF_ROLE_WITNESS, NULL, NULL, NULL, NULL), 0);
	assert_int_equal(staff_add(r, "周明", STAFF_ROLE_WITNESS, NULL, NULL, NULL, NULL), 0);
	assert_int_equal(staff_require(r, "王　芳", STAFF_ROLE_OPERATOR, &p, &cause), 0);
	assert_ptr_equal(p, &r->people[0]);
	assert_int_equal(staff_require(r, "刘强", 0, &p, &cause), 0);
	assert_ptr_equal(p, &r->people[1]);
	/* on the roster, wrong role */
	assert_int_equal(staff_require(r, "王芳", STAFF_ROLE_WITNESS, &p, &cause), -EPERM);
	assert_null(p);
	assert_non_null(strstr(cause, "as operator, not as witness"));
	free(cause);
	cause = NULL;
	/* unknown: refused, the roster's witnesses listed */
	assert_int_equal(staff_require(r, "root", STAFF_ROLE_WITNESS, &p, &cause), -ENOENT);
	assert_non_null(strstr(cause, "刘强 (witness); 周明 (witness)"));
	assert_null(strstr(cause, "王芳"));
	free(cause);
	/* a long roster is cut in messages */
	for (int i = 0; i < 30; i++) {
		char name[16];

		snprintf(name, sizeof(name), "W%02d", i);
		assert_int_equal(staff_add(r, name, STAFF_ROLE_WITNESS, NULL, NULL, NULL, NULL), 0);
	}
	cause = staff_describe(r, STAFF_ROLE_WITNESS);
	assert_non_null(strstr(cause, "; W17 (witness) and 12 more"));
	free(cause);
	staff_free(r);
}

static void test_damaged(void **state)
{
	struct staff *r = NULL;
	char *cause = NULL, *path = util_asprintf("%s/staff.json", dir);
	FILE *f;

	(void)state;
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("{\"format\":\"custos-staff/1\",\"people\":[{\"name\":\"A\",\"roles\":[\"boss\"]}]}",
	      f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(staff_load(dir, &r, &cause), -EINVAL);
	assert_non_null(strstr(cause, "person 1: unknown role"));
	free(cause);
	cause = NULL;
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("[1,2", f);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(staff_load(dir, &r, &cause), -EINVAL);
	assert_null(r);
	free(cause);
	free(path);
}

static void test_default_operator(void **state)
{
	struct station st = { .operator_name = (char *)"王芳" };

	(void)state;
	unsetenv("CUSTOS_OPERATOR");
	assert_null(staff_default_operator(NULL));
	assert_string_equal(staff_default_operator(&st), "王芳");
	setenv("CUSTOS_OPERATOR", "刘强", 1);
	assert_string_equal(staff_default_operator(&st), "刘强");
	setenv("CUSTOS_OPERATOR", "　", 1);
	assert_string_equal(staff_default_operator(&st), "王芳");
	unsetenv("CUSTOS_OPERATOR");
}

/* The destruction methods both faces offer are one list (register.h). */
static void test_destroy_methods(void **state)
{
	char *all = register_destroy_methods_text();
	size_t i;

	(void)state;
	for (i = 0; register_destroy_method_codes[i]; i++)
		assert_string_equal(register_destroy_method_codes[i],
				    register_destroy_methods[i].code);
	assert_int_equal(i, register_n_destroy_methods);
	assert_string_equal(register_destroy_method_find("粉碎")->code, "shred");
	assert_string_equal(register_destroy_method_find("Degauss+Shred")->code, "degauss+shred");
	assert_null(register_destroy_method_find("burn"));
	assert_null(register_destroy_method_find(NULL));
	assert_string_equal(all, "shred, disintegrate, incinerate, degauss+shred, pulverize");
	free(all);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_add_find_save),
		cmocka_unit_test(test_require),
		cmocka_unit_test(test_damaged),
		cmocka_unit_test(test_default_operator),
		cmocka_unit_test(test_destroy_methods),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
