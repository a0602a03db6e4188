/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyring.h"
#include "register.h"
#include "station.h"
#include "util.h"

static char base[64];

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int setup(void **state)
{
	util_strlcpy(base, "/tmp/custos-test-station-XXXXXX", sizeof(base));
	if (!mkdtemp(base))
		return -1;
	*state = util_asprintf("%s/state/dir", base);	/* parents created too */
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	free(*state);
	return nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static mode_t mode_of(const char *dir, const char *name)
{
	char *p = util_asprintf("%s/%s", dir, name);
	struct stat st;

	assert_non_null(p);
	assert_int_equal(stat(p, &st), 0);
	free(p);
	return st.st_mode & 07777;
}

static char *read_key(const char *dir, const char *name)
{
	char *p = util_asprintf("%s/%s", dir, name), *data = NULL;

	assert_int_equal(util_read_file(p, &data, NULL), 0);
	free(p);
	return data;
}

static void test_not_initialised(void **state)
{
	struct station *st = (struct station *)1;
	char *cause = NULL;

	assert_int_equal(station_open(*state, &st, &cause), -ENOENT);
	assert_null(st);
	assert_non_null(strstr(cause, "custos init"));
	assert_non_null(strstr(cause, *state));
	free(cause);
}

static void test_init_open(void **state)
{
	const char *dir = *state;
	struct station_init_opts o = {
		.org = "Demo Office / 演示单位", .name = "Office 3 West", .key_type = SIGN_KEY_ED25519,
	};
	struct station *st = NULL;
	struct sign_key *key = NULL;
	char *cause = NULL, *path, fp[65];

	assert_int_equal(station_init(dir, &o, &cause), 0);
	assert_int_equal(mode_of(dir, ".") & 0777, 0700);
	assert_int_equal(mode_of(dir, "certs") & 0777, 0700);
	assert_int_equal(mode_of(dir, "virtual") & 0777, 0700);
	assert_int_equal(mode_of(dir, "jobs") & 0777, 0700);
	assert_int_equal(mode_of(dir, "station.key"), 0600);
	assert_int_equal(station_open(dir, &st, &cause), 0);
	assert_string_equal(st->org, "Demo Office / 演示单位");
	assert_string_equal(st->name, "Office 3 West");
	assert_string_equal(st->prefix, "OFFICE3W");
	assert_string_equal(st->state_dir, dir);
	assert_int_equal(st->key_type, SIGN_KEY_ED25519);
	assert_int_equal(strlen(st->fingerprint), 64);
	path = station_path(st, "certs");
	assert_non_null(strstr(path, "/state/dir/certs"));
	free(path);
	assert_int_equal(station_load_signing_key(st, &key, &cause), 0);
	assert_int_equal(sign_fingerprint(key, fp), 0);
	assert_string_equal(fp, st->fingerprint);
	sign_key_free(key);
	assert_int_equal(station_load_public_key(st, &key, &cause), 0);
	sign_key_free(key);
	station_free(st);
}

static void test_refuse_and_force(void **state)
{
	const char *dir = *state;
	struct station_init_opts o = {
		.org = "Other", .name = "ws2", .prefix = "WS02", .key_type = SIGN_KEY_SM2,
	};
	struct station *st = NULL;
	char *cause = NULL, *before, *after;

	before = read_key(dir, "station.key");
	assert_int_equal(station_init(dir, &o, &cause), -EEXIST);
	assert_non_null(strstr(cause, "--force"));
	free(cause);
	cause = NULL;
	after = read_key(dir, "station.key");
	assert_string_equal(before, after);	/* untouched */
	free(after);
	assert_int_equal(station_open(dir, &st, &cause), 0);
	assert_string_equal(st->org, "Demo Office / 演示单位");
	station_free(st);

	o.force = true;
	assert_int_equal(station_init(dir, &o, &cause), 0);
	after = read_key(dir, "station.key");
	assert_string_not_equal(before, after);
	assert_int_equal(mode_of(dir, "station.key"), 0600);
	free(before);
	free(after);
	assert_int_equal(station_open(dir, &st, &cause), 0);
	assert_string_equal(st->org, "Other");
	assert_string_equal(st->prefix, "WS02");
	assert_int_equal(st->key_type, SIGN_KEY_SM2);
	station_free(st);
}

static void test_bad_values(void **state)
{
	struct station_init_opts o = { .org = "a\nb", .name = "x", .key_type = SIGN_KEY_ED25519 };
	char *cause = NULL, *conf, *dir;
	struct station *st = NULL;

	assert_int_equal(station_init(*state, &o, &cause), -EINVAL);
	free(cause);
	cause = NULL;
	o.org = "ok";
	o.prefix = "WS 1";
	assert_int_equal(station_init(*state, &o, &cause), -EINVAL);
	free(cause);
	cause = NULL;
	o.prefix = "WS-1";
	assert_int_equal(station_init(*state, &o, &cause), -EINVAL);
	assert_non_null(strstr(cause, "letters and digits"));
	free(cause);
	cause = NULL;
	/* a name that yields no ASCII prefix asks for one instead of giving "1" */
	o.prefix = NULL;
	o.name = "保密室-1";
	assert_int_equal(station_init(*state, &o, &cause), -EINVAL);
	assert_non_null(strstr(cause, "--prefix"));
	free(cause);
	cause = NULL;
	o.name = "保密室 West";
	assert_int_equal(station_init(*state, &o, &cause), -EINVAL);
	free(cause);
	cause = NULL;
	o.name = "--";
	assert_int_equal(station_init(*state, &o, &cause), -EINVAL);
	free(cause);
	cause = NULL;
	o.name = "3rd floor";
	assert_int_equal(station_init(*state, &o, &cause), -EINVAL);
	free(cause);
	cause = NULL;

	/* a damaged station.conf is reported with its line */
	dir = util_asprintf("%s/broken", base);
	assert_int_equal(util_mkdir_p(dir, 0700), 0);
	conf = util_asprintf("%s/station.conf", dir);
	assert_int_equal(util_write_file_atomic(conf, "org=x\nname=y\nkey_type=rsa\n", 27, 0644),
			 0);
	assert_int_equal(station_open(dir, &st, &cause), -EINVAL);
	assert_non_null(strstr(cause, "line 3"));
	free(cause);
	free(conf);
	free(dir);
}

static void test_prefix(void **state)
{
	struct station_init_opts o = {
		.org = "测试单位", .name = "保密室-1", .prefix = "BMS1",
		.key_type = SIGN_KEY_ED25519,
	};
	char *dir = util_asprintf("%s/prefix", base), *cause = NULL;
	struct station *st = NULL;

	(void)state;
	assert_int_equal(station_init(dir, &o, &cause), 0);
	assert_int_equal(station_open(dir, &st, &cause), 0);
	assert_string_equal(st->name, "保密室-1");
	assert_string_equal(st->prefix, "BMS1");
	station_free(st);
	free(dir);
}

/* The default operator: station.conf's "operator" line, set and cleared
 * without touching the rest. */
static void test_set_operator(void **state)
{
	char *dir = util_asprintf("%s/prefix", base), *cause = NULL, *conf, *text = NULL;
	struct station *st = NULL;

	(void)state;
	conf = util_asprintf("%s/station.conf", dir);
	assert_int_equal(station_set_operator(dir, "王芳", &cause), 0);
	assert_int_equal(station_set_operator(dir, "刘强", &cause), 0);
	assert_int_equal(station_open(dir, &st, &cause), 0);
	assert_string_equal(st->operator_name, "刘强");
	assert_string_equal(st->prefix, "BMS1");
	station_free(st);
	assert_int_equal(util_read_file(conf, &text, NULL), 0);
	assert_null(strstr(text, "王芳"));	/* replaced, not added */
	free(text);
	assert_int_equal(station_set_operator(dir, "a\nb", &cause), -EINVAL);
	free(cause);
	cause = NULL;
	assert_int_equal(station_set_operator(dir, NULL, &cause), 0);
	assert_int_equal(station_open(dir, &st, &cause), 0);
	assert_null(st->operator_name);
	assert_string_equal(st->name, "保密室-1");
	station_free(st);
	assert_int_equal(station_set_operator(base, "x", &cause), -ENOENT);
	free(cause);
	free(conf);
	free(dir);
}

static void test_operator(void **state)
{
	(void)state;
	setenv("CUSTOS_OPERATOR", "clerk-7", 1);
	assert_string_equal(station_operator(), "clerk-7");
	unsetenv("CUSTOS_OPERATOR");
	assert_non_null(station_operator());
	assert_true(strlen(station_operator()) > 0);
}


/* The keyring: the first key at init, the old key kept by a re-key, keys
 * found by fingerprint only, a key the station never had refused. */
static void test_keyring_rekey(void **state)
{
	char *dir = util_asprintf("%s/rekey", base);
	struct station_init_opts o = { .org = "O", .name = "ws", .key_type = SIGN_KEY_ED25519 };
	struct station *st = NULL;
	struct keyring_key *keys = NULL, info;
	struct sign_key *key = NULL;
	struct register_verify_result r;
	struct register_db *db = NULL;
	char *cause = NULL, *p, *q, old[65], new[65], other[65];
	size_t n = 0;

	assert_int_equal(station_init(dir, &o, &cause), 0);
	assert_int_equal(station_open(dir, &st, &cause), 0);
	util_strlcpy(old, st->fingerprint, sizeof(old));
	station_free(st);
	/* init signed the (empty) register's head and filled the keyring */
	assert_int_equal(keyring_list(dir, &keys, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_string_equal(keys[0].fingerprint, old);
	assert_string_equal(keys[0].valid_until, "");
	free(keys);
	p = util_asprintf("%s/register.head", dir);
	assert_int_equal(access(p, F_OK), 0);
	free(p);

	assert_int_equal(keyring_rekey(dir, SIGN_KEY_SM2, "tester", new, &cause), 0);
	assert_string_not_equal(old, new);
	assert_int_equal(station_open(dir, &st, &cause), 0);
	assert_string_equal(st->fingerprint, new);
	station_free(st);
	assert_int_equal(keyring_list(dir, &keys, &n, &cause), 0);
	assert_int_equal(n, 2);
	assert_string_equal(keys[0].fingerprint, old);
	assert_true(keys[0].valid_until[0] != '\0');
	assert_string_equal(keys[1].fingerprint, new);
	assert_string_equal(keys[1].key_type, "sm2");
	free(keys);
	assert_int_equal(keyring_find(dir, old, &key, &info, &cause), 0);
	assert_string_equal(info.key_type, "ed25519");
	sign_key_free(key);

	/* the register holds key-rotated, signed by both keys, and verifies */
	assert_int_equal(register_open_dir(dir, &db, &cause), 0);
	assert_int_equal(register_verify(db, &r, &cause), 0);
	if (!r.ok)
		print_error("%s\n", r.message);
	assert_true(r.ok);
	assert_int_equal(r.events, 1);
	assert_int_equal(r.key_rotations, 1);
	assert_string_equal(r.key, new);
	register_close(db);

	/* never had: a well-formed fingerprint of no key here */
	memset(other, 'a', 64);
	other[64] = '\0';
	assert_int_equal(keyring_find(dir, other, &key, NULL, &cause), -ENOKEY);
	assert_non_null(strstr(cause, "never had"));
	free(cause);
	cause = NULL;
	assert_int_equal(keyring_find(dir, "../station", &key, NULL, NULL), -ENOKEY);
	/* a key file cannot lend its key another fingerprint */
	p = util_asprintf("%s/keys/%s.pub", dir, old);
	q = util_asprintf("%s/keys/%s.pub", dir, other);
	assert_int_equal(rename(p, q), 0);
	assert_int_equal(keyring_find(dir, other, &key, NULL, NULL), -ENOKEY);
	assert_int_equal(keyring_find(dir, old, &key, NULL, NULL), -ENOKEY);
	assert_int_equal(rename(q, p), 0);
	free(p);
	free(q);
	free(dir);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_initialised),
		cmocka_unit_test(test_init_open),
		cmocka_unit_test(test_refuse_and_force),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_set_operator),
		cmocka_unit_test(test_operator),
		cmocka_unit_test(test_keyring_rekey),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
