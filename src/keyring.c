/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * keyring: the station's key history (keys/FPR.pub, keys/FPR.conf) and
 * re-keying.  The format is described in keyring.h and custos-register(5).
 */
#include "keyring.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "register.h"
#include "station.h"
#include "util.h"

bool keyring_fpr_valid(const char *s)
{
	size_t n = 0;

	for (; s && s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return false;
	return n == 64;
}

static char *key_file(const char *state_dir, const char *fpr, const char *ext)
{
	return util_asprintf("%s/" KEYRING_DIR "/%s.%s", state_dir, fpr, ext);
}

static void now_iso(char *buf, size_t size)
{
	util_iso8601(util_unix_now(), buf, size);
}

static int write_conf(const char *state_dir, const struct keyring_key *k, char **cause)
{
	char *path = key_file(state_dir, k->fingerprint, "conf");
	char *text = util_asprintf("# custos keyring entry\nkey_type=%s\nvalid_from=%s\n"
				   "valid_until=%s\n", k->key_type, k->valid_from,
				   k->valid_until);
	int rc = path && text ? util_write_file_atomic(path, text, strlen(text), 0644) : -ENOMEM;

	if (rc < 0)
		util_fail(cause, rc, _("keyring: cannot write %s: %s"), path ? path : "entry",
			  strerror(-rc));
	free(path);
	free(text);
	return rc;
}

/* Read FPR.conf into @k (fields missing stay empty). */
static int read_conf(const char *state_dir, const char *fpr, struct keyring_key *k)
{
	char *path = key_file(state_dir, fpr, "conf"), *text = NULL, *save = NULL, *line;
	int rc = path ? util_read_file(path, &text, NULL) : -ENOMEM;

	memset(k, 0, sizeof(*k));
	util_strlcpy(k->fingerprint, fpr, sizeof(k->fingerprint));
	free(path);
	if (rc < 0)
		return rc;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *eq = strchr(line, '=');

		if (!eq || line[0] == '#')
			continue;
		*eq++ = '\0';
		if (strcmp(line, "key_type") == 0)
			util_strlcpy(k->key_type, eq, sizeof(k->key_type));
		else if (strcmp(line, "valid_from") == 0)
			util_strlcpy(k->valid_from, eq, sizeof(k->valid_from));
		else if (strcmp(line, "valid_until") == 0)
			util_strlcpy(k->valid_until, eq, sizeof(k->valid_until));
	}
	free(text);
	return 0;
}

int keyring_add(const char *state_dir, const struct sign_key *pub, const char *valid_from,
		char **cause)
{
	struct keyring_key k;
	char *dir = util_asprintf("%s/" KEYRING_DIR, state_dir), *path = NULL, *pem = NULL;
	int rc = dir ? util_mkdir_p(dir, 0755) : -ENOMEM;

	memset(&k, 0, sizeof(k));
	if (rc < 0) {
		util_fail(cause, rc, _("keyring: cannot create %s: %s"), dir ? dir : KEYRING_DIR,
			  strerror(-rc));
		goto out;
	}
	rc = sign_fingerprint(pub, k.fingerprint);
	if (rc == 0)
		rc = sign_public_pem(pub, &pem);
	if (rc < 0) {
		util_fail(cause, rc, _("keyring: cannot encode the public key"));
		goto out;
	}
	path = key_file(state_dir, k.fingerprint, "pub");
	if (!path) {
		rc = util_fail(cause, -ENOMEM, _("out of memory"));
		goto out;
	}
	if (access(path, F_OK) == 0)
		goto out;	/* kept: its validity is already recorded */
	rc = util_write_file_atomic(path, pem, strlen(pem), 0644);
	if (rc < 0) {
		util_fail(cause, rc, _("keyring: cannot write %s: %s"), path, strerror(-rc));
		goto out;
	}
	util_strlcpy(k.key_type, sign_key_type_name(sign_key_type_of(pub)), sizeof(k.key_type));
	if (valid_from)
		util_strlcpy(k.valid_from, valid_from, sizeof(k.valid_from));
	else
		now_iso(k.valid_from, sizeof(k.valid_from));
	rc = write_conf(state_dir, &k, cause);
out:
	free(dir);
	free(path);
	free(pem);
	return rc;
}

int keyring_retire(const char *state_dir, const char *fpr, const char *until, char **cause)
{
	struct keyring_key k;
	int rc = read_conf(state_dir, fpr, &k);

	if (rc < 0)
		return util_fail(cause, rc, _("keyring: key %s has no entry: %s"), fpr,
				 strerror(-rc));
	if (until)
		util_strlcpy(k.valid_until, until, sizeof(k.valid_until));
	else
		now_iso(k.valid_until, sizeof(k.valid_until));
	return write_conf(state_dir, &k, cause);
}

/* Load @path and accept it only when its fingerprint is @fpr. */
static int load_checked(const char *path, const char *fpr, struct sign_key **out,
			char **cause)
{
	struct sign_key *key = NULL;
	char got[65];
	int rc = sign_load_public(path, &key, cause);

	if (rc < 0)
		return rc;
	if (sign_fingerprint(key, got) < 0 || strcmp(got, fpr) != 0) {
		sign_key_free(key);
		return -ENOKEY;
	}
	*out = key;
	return 0;
}

int keyring_find(const char *state_dir, const char *fpr, struct sign_key **out,
		 struct keyring_key *info, char **cause)
{
	char *path;
	int rc;

	*out = NULL;
	if (!keyring_fpr_valid(fpr))
		return util_fail(cause, -ENOKEY, _("'%.70s' is not a key fingerprint"),
				 fpr ? fpr : "");
	path = key_file(state_dir, fpr, "pub");
	rc = path ? (access(path, F_OK) == 0 ? load_checked(path, fpr, out, cause) : -ENOENT) :
		    -ENOMEM;
	free(path);
	if (rc == -ENOENT) {
		path = util_asprintf("%s/station.pub", state_dir);
		rc = path ? load_checked(path, fpr, out, NULL) : -ENOMEM;
		free(path);
		if (rc < 0 && rc != -ENOMEM)
			rc = -ENOKEY;
	}
	if (rc == -ENOKEY)
		return util_fail(cause, rc, _("signed by key SHA256:%s, which this station never had "
				 "(not its key and not in its keyring %s/%s)"), fpr,
				 state_dir, KEYRING_DIR);
	if (rc == 0 && info && read_conf(state_dir, fpr, info) < 0) {
		util_strlcpy(info->key_type, sign_key_type_name(sign_key_type_of(*out)),
			     sizeof(info->key_type));
	}
	return rc;
}

static int pub_file(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n == 68 && strcmp(d->d_name + 64, ".pub") == 0;
}

static int by_validity(const void *a, const void *b)
{
	const struct keyring_key *x = a, *y = b;
	int c = strcmp(x->valid_from, y->valid_from);

	if (c == 0)	/* the current key (no end) last */
		c = (x->valid_until[0] == '\0') - (y->valid_until[0] == '\0');
	return c;
}

int keyring_list(const char *state_dir, struct keyring_key **out, size_t *n, char **cause)
{
	struct dirent **names = NULL;
	struct keyring_key *keys;
	char *dir = util_asprintf("%s/" KEYRING_DIR, state_dir);
	int cnt = dir ? scandir(dir, &names, pub_file, alphasort) : -1;
	size_t k = 0;

	*out = NULL;
	*n = 0;
	free(dir);
	if (cnt < 0)
		return errno == ENOENT ? 0 : util_fail(cause, -errno, _("keyring: %s"),
						       strerror(errno));
	keys = calloc((size_t)cnt + 1, sizeof(*keys));
	for (int i = 0; i < cnt; i++) {
		char fpr[65];

		util_strlcpy(fpr, names[i]->d_name, sizeof(fpr));
		if (keys && keyring_fpr_valid(fpr))
			read_conf(state_dir, fpr, &keys[k++]);
		free(names[i]);
	}
	free(names);
	if (!keys)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	qsort(keys, k, sizeof(*keys), by_validity);
	*out = keys;
	*n = k;
	return 0;
}

int keyring_ensure_current(const char *state_dir, char **cause)
{
	struct sign_key *pub = NULL;
	char *path = util_asprintf("%s/station.pub", state_dir), from[24] = "";
	struct stat sb;
	int rc = path ? sign_load_public(path, &pub, cause) : -ENOMEM;

	if (rc == 0 && stat(path, &sb) == 0)
		util_iso8601(sb.st_mtime, from, sizeof(from));
	if (rc == 0)
		rc = keyring_add(state_dir, pub, from, cause);
	sign_key_free(pub);
	free(path);
	return rc;
}

/* ---- re-keying ------------------------------------------------------------ */

struct rekey {
	const char *state_dir;
	struct station *st;
	struct sign_key *old_key, *new_key, *new_pub;
	struct register_db *db;
	char *key, *pub, *new_key_path, *new_pub_path;
	char old_fpr[65], new_fpr[65];
};

static void rekey_free(struct rekey *r)
{
	if (r->new_key_path)
		unlink(r->new_key_path);
	if (r->new_pub_path)
		unlink(r->new_pub_path);
	register_close(r->db);
	sign_key_free(r->old_key);
	sign_key_free(r->new_key);
	sign_key_free(r->new_pub);
	station_free(r->st);
	free(r->key);
	free(r->pub);
	free(r->new_key_path);
	free(r->new_pub_path);
}

static int rekey_load(struct rekey *r, enum sign_key_type type, char **cause)
{
	int rc = station_open(r->state_dir, &r->st, cause);

	r->key = util_asprintf("%s/station.key", r->state_dir);
	r->pub = util_asprintf("%s/station.pub", r->state_dir);
	r->new_key_path = util_asprintf("%s/station.key.new", r->state_dir);
	r->new_pub_path = util_asprintf("%s/station.pub.new", r->state_dir);
	if (rc == 0 && (!r->key || !r->pub || !r->new_key_path || !r->new_pub_path))
		rc = util_fail(cause, -ENOMEM, _("out of memory"));
	if (rc == 0)
		rc = station_load_signing_key(r->st, &r->old_key, cause);
	if (rc == 0)
		rc = sign_fingerprint(r->old_key, r->old_fpr);
	if (rc == 0)
		rc = sign_generate(type, r->new_key_path, r->new_pub_path, cause);
	if (rc == 0)
		rc = sign_load_private(r->new_key_path, &r->new_key, cause);
	if (rc == 0)
		rc = sign_load_public(r->new_pub_path, &r->new_pub, cause);
	if (rc == 0)
		rc = sign_fingerprint(r->new_pub, r->new_fpr);
	return rc;
}

/* The register, signed by the old key (a register written before events
 * were signed is adopted by it, which also puts it into the keyring). */
static int rekey_open(struct rekey *r, const char *operator_name, char **cause)
{
	int rc = register_open_dir(r->state_dir, &r->db, cause);

	if (rc < 0)
		return rc;
	register_set_actor(r->db, operator_name, r->st->name);
	rc = register_set_signer(r->db, r->old_key, cause);
	r->old_key = NULL;	/* the register owns it now */
	return rc;
}

static int install(struct rekey *r, char **cause)
{
	if (rename(r->new_pub_path, r->pub) < 0 || rename(r->new_key_path, r->key) < 0)
		return util_fail(cause, -errno, _("cannot install the new key pair in %s: %s"),
				 r->state_dir, strerror(errno));
	free(r->new_key_path);
	free(r->new_pub_path);
	r->new_key_path = r->new_pub_path = NULL;
	return 0;
}

/* Forget a key added to the keyring for a rotation that did not happen. */
static void unadd(const char *state_dir, const char *fpr)
{
	char *pub = key_file(state_dir, fpr, "pub"), *conf = key_file(state_dir, fpr, "conf");

	if (pub)
		unlink(pub);
	if (conf)
		unlink(conf);
	free(pub);
	free(conf);
}

int keyring_rekey(const char *state_dir, enum sign_key_type type, const char *operator_name,
		  char *new_fpr, char **cause)
{
	struct rekey r = { .state_dir = state_dir };
	bool added = false;
	char now[24];
	int rc = rekey_load(&r, type, cause);

	now_iso(now, sizeof(now));
	if (rc == 0)
		rc = rekey_open(&r, operator_name, cause);
	/* the new key is in the keyring before any event names it */
	if (rc == 0)
		rc = keyring_add(state_dir, r.new_pub, now, cause);
	added = rc == 0;
	if (rc == 0)
		rc = register_record_key_rotation(r.db, r.new_key, NULL, cause);
	if (rc < 0 && added)
		unadd(state_dir, r.new_fpr);
	if (rc == 0)	/* station.pub is still the old key */
		rc = keyring_ensure_current(state_dir, cause);
	if (rc == 0)
		rc = keyring_retire(state_dir, r.old_fpr, now, cause);
	if (rc == 0)
		rc = install(&r, cause);
	if (rc == 0 && new_fpr)
		util_strlcpy(new_fpr, r.new_fpr, 65);
	rekey_free(&r);
	return rc;
}

int keyring_init_station(const char *state_dir, const char *operator_name, char **cause)
{
	struct station *st = NULL;
	struct register_db *db = NULL;
	int rc = station_open(state_dir, &st, cause);

	if (rc == 0)
		rc = register_open_dir(state_dir, &db, cause);
	if (rc == 0)
		rc = register_attach_station(db, st, operator_name, cause);
	register_close(db);
	station_free(st);
	return rc;
}
