/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * keyring: the station's key history (keys/FPR.pub, keys/FPR.conf) and
 * re-keying.  The format is described in keyring.h and custos-register(5).
 */
#include "keyring.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
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

#define REKEY_LOCK "rekey.lock"

struct key_paths {
	char *key, *pub, *key_new, *pub_new;
};

static void paths_free(struct key_paths *p)
{
	free(p->key);
	free(p->pub);
	free(p->key_new);
	free(p->pub_new);
	memset(p, 0, sizeof(*p));
}

static int paths_get(const char *state_dir, struct key_paths *p, char **cause)
{
	p->key = util_asprintf("%s/station.key", state_dir);
	p->pub = util_asprintf("%s/station.pub", state_dir);
	p->key_new = util_asprintf("%s/station.key.new", state_dir);
	p->pub_new = util_asprintf("%s/station.pub.new", state_dir);
	if (p->key && p->pub && p->key_new && p->pub_new)
		return 0;
	paths_free(p);
	return util_fail(cause, -ENOMEM, _("out of memory"));
}

/* A lock's descriptor closed (the lock goes with it, whatever close says). */
static void close_lock(const char *state_dir, int fd)
{
	int rc = util_close(fd);

	if (rc < 0)
		util_warn(_("cannot close %s/%s: %s"), state_dir, REKEY_LOCK, strerror(-rc));
}

/* <state-dir>/rekey.lock: one re-key, or its completion, at a time.  Read
 * only: flock needs no write permission, so any user of the station may
 * take it whoever created it. */
int keyring_rekey_lock(const char *state_dir, bool wait, int *fd, char **cause)
{
	char *path = util_asprintf("%s/" REKEY_LOCK, state_dir);
	int rc = 0;

	*fd = path ? open(path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644) : -1;
	if (*fd < 0) {
		rc = path ? util_fail(cause, -errno, _("cannot open %s: %s"), path, strerror(errno)) :
			    util_fail(cause, -ENOMEM, _("out of memory"));
	} else if (flock(*fd, LOCK_EX | (wait ? 0 : LOCK_NB)) < 0) {
		rc = errno == EWOULDBLOCK ?
			util_fail(cause, -EBUSY, _("the station in %s is being re-keyed; try again "
				  "when that has finished"), state_dir) :
			util_fail(cause, -errno, _("cannot lock %s: %s"), path, strerror(errno));
		close_lock(state_dir, *fd);
		*fd = -1;
	}
	free(path);
	return rc;
}

/* The fingerprint of the private key in @path (and the key, when @out). */
static int private_fpr(const char *path, char *fpr, struct sign_key **out, char **cause)
{
	struct sign_key *key = NULL;
	int rc = sign_load_private(path, &key, cause);

	fpr[0] = '\0';
	if (rc == 0 && sign_fingerprint(key, fpr) < 0)
		rc = util_fail(cause, -EIO, _("cannot fingerprint %s"), path);
	if (rc == 0 && out)
		*out = key;
	else
		sign_key_free(key);
	return rc;
}

static int public_fpr(const char *path, char *fpr)
{
	struct sign_key *key = NULL;
	int rc = sign_load_public(path, &key, NULL);

	fpr[0] = '\0';
	if (rc == 0 && sign_fingerprint(key, fpr) < 0)
		rc = -EIO;
	sign_key_free(key);
	return rc;
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

/* Key @fpr stopped signing at @until, unless its end is recorded already. */
static int retire_once(const char *state_dir, const char *fpr, const char *until,
		       char **cause)
{
	struct keyring_key k;

	if (read_conf(state_dir, fpr, &k) == 0 && k.valid_until[0])
		return 0;
	return keyring_retire(state_dir, fpr, until && until[0] ? until : NULL, cause);
}

/*
 * station.key.new over station.key: the signing key switches in one
 * rename, keeping the old file's mode and group (a state dir shared by a
 * group keeps working).  Then station.pub.new over station.pub.
 */
static int install(const char *state_dir, const struct key_paths *p, char **cause)
{
	struct stat sb;

	if (stat(p->key, &sb) == 0) {
		if (chmod(p->key_new, sb.st_mode & 0777) < 0 ||
		    (chown(p->key_new, (uid_t)-1, sb.st_gid) < 0 && errno != EPERM))
			util_warn(_("%s: cannot keep the mode and group of %s: %s"), p->key_new,
				  p->key, strerror(errno));
	}
	if (rename(p->key_new, p->key) < 0)
		return util_fail(cause, -errno, _("cannot install the new key %s: %s"), p->key,
				 strerror(errno));
	util_test_crash("rekey-key-installed");
	if (access(p->pub_new, F_OK) == 0 && rename(p->pub_new, p->pub) < 0)
		return util_fail(cause, -errno, _("cannot install the new key %s: %s"), p->pub,
				 strerror(errno));
	if (util_sync_dir(state_dir) < 0)
		util_warn(_("cannot sync %s: %s"), state_dir, strerror(errno));
	return 0;
}

/* station.pub from station.key when they differ (a re-key stopped between
 * its two renames). */
static int match_pub(const struct key_paths *p, char **cause)
{
	struct sign_key *key = NULL;
	char kf[65], pf[65], nf[65];
	char *pem = NULL;
	int rc = private_fpr(p->key, kf, &key, cause);

	if (rc == 0 && (public_fpr(p->pub, pf) < 0 || strcmp(kf, pf) != 0)) {
		if (public_fpr(p->pub_new, nf) == 0 && strcmp(kf, nf) == 0) {
			if (rename(p->pub_new, p->pub) < 0)
				rc = util_fail(cause, -errno, _("cannot install %s: %s"), p->pub,
					       strerror(errno));
		} else {
			rc = sign_public_pem(key, &pem);
			if (rc == 0)
				rc = util_write_file_atomic(p->pub, pem, strlen(pem), 0644);
			if (rc < 0)
				util_fail(cause, rc, _("cannot write %s: %s"), p->pub, strerror(-rc));
		}
	}
	if (rc == 0 && unlink(p->pub_new) < 0 && errno != ENOENT)
		util_warn(_("cannot remove %s: %s"), p->pub_new, strerror(errno));
	sign_key_free(key);
	free(pem);
	return rc;
}

/* keyring_resume_rekey() with the re-key lock held. */
static int resume_locked(const char *state_dir, const struct key_paths *p, const char *chain,
			 const char *since, char **cause)
{
	struct sign_key *nk = NULL;
	char nf[65], kf[65];
	int rc = 0;

	if (access(p->key_new, F_OK) == 0) {
		rc = private_fpr(p->key_new, nf, &nk, cause);
		if (rc < 0)
			return rc;
		if (chain[0] && strcmp(nf, chain) == 0) {
			/* recorded by key-rotated, not installed */
			if (private_fpr(p->key, kf, NULL, NULL) == 0 && strcmp(kf, nf) != 0)
				rc = retire_once(state_dir, kf, since, cause);
			if (rc == 0)
				rc = keyring_add(state_dir, nk, since[0] ? since : NULL, cause);
			if (rc == 0)
				rc = install(state_dir, p, cause);
			if (rc == 0)
				util_info(_("finished the re-key of the station that was interrupted: "
					    "its key is now SHA256:%s"), nf);
		} else {
			/* never recorded: it signed nothing */
			unadd(state_dir, nf);
			if (unlink(p->key_new) < 0 && errno != ENOENT)
				rc = util_fail(cause, -errno, _("cannot remove %s: %s"), p->key_new,
					       strerror(errno));
			if (rc == 0)
				util_info(_("removed the key pair SHA256:%.16s... of a re-key that "
					    "was interrupted before the register recorded it"), nf);
		}
		sign_key_free(nk);
	}
	return rc == 0 ? match_pub(p, cause) : rc;
}

int keyring_resume_rekey(const char *state_dir, const char *chain_fpr, const char *since,
			 char **cause)
{
	struct key_paths p;
	int rc = paths_get(state_dir, &p, cause);

	if (rc == 0)
		rc = resume_locked(state_dir, &p, chain_fpr ? chain_fpr : "", since ? since : "",
				   cause);
	paths_free(&p);
	return rc;
}

struct rekey {
	const char *state_dir;
	struct key_paths p;
	struct station *st;
	struct register_db *db;
	struct sign_key *old_key, *new_key;
	char chain[65], since[24], old_fpr[65], new_fpr[65], now[24];
	int lock;
};

/* Under the lock: the register, an earlier re-key finished, the current
 * key (which must be the chain's) in the keyring. */
static int rekey_prepare(struct rekey *r, const char *operator_name, char **cause)
{
	int rc = keyring_rekey_lock(r->state_dir, true, &r->lock, cause);

	if (rc == 0)
		rc = station_open(r->state_dir, &r->st, cause);
	if (rc == 0)
		rc = register_open_dir(r->state_dir, &r->db, cause);
	if (rc == 0 && register_set_actor(r->db, operator_name, r->st->name) < 0)
		rc = util_fail(cause, -EINVAL, _("the operator's and the station's names must be "
			       "UTF-8 text without control characters"));
	if (rc == 0)
		rc = register_chain_key(r->db, r->chain, r->since, cause);
	if (rc == 0)
		rc = resume_locked(r->state_dir, &r->p, r->chain, r->since, cause);
	if (rc == 0)
		rc = private_fpr(r->p.key, r->old_fpr, &r->old_key, cause);
	if (rc == 0 && r->chain[0] && strcmp(r->chain, r->old_fpr) != 0)
		rc = util_fail(cause, -EPERM, _("the station's key %s (SHA256:%.16s...) is not "
			       "the key the register is signed with now (SHA256:%.16s...): restore "
			       "the station's key pair from a backup before re-keying"), r->p.key,
			       r->old_fpr, r->chain);
	/* a station set up before the keyring: its key goes there first */
	if (rc == 0)
		rc = keyring_ensure_current(r->state_dir, cause);
	return rc;
}

/* The new pair, durable (station.key.new, station.pub.new) before the
 * register names it, and in the keyring. */
static int rekey_generate(struct rekey *r, enum sign_key_type type, char **cause)
{
	int rc = sign_generate(type, r->p.key_new, r->p.pub_new, cause);

	if (rc == 0)
		rc = private_fpr(r->p.key_new, r->new_fpr, &r->new_key, cause);
	util_test_crash("rekey-generated");
	if (rc == 0)
		rc = keyring_add(r->state_dir, r->new_key, r->now, cause);
	util_test_crash("rekey-keyring");
	return rc;
}

/* After key-rotated is committed: the old key retired, the new installed. */
static int rekey_finish(struct rekey *r, char **cause)
{
	char *why = NULL;
	int rc = keyring_retire(r->state_dir, r->old_fpr, r->now, &why);

	util_test_crash("rekey-retired");
	if (rc == 0)
		rc = install(r->state_dir, &r->p, &why);
	if (rc < 0)
		util_fail(cause, rc, _("the register records the new key SHA256:%.16s..., but "
			  "it could not be installed (%s); the next command that writes to the "
			  "register finishes it"), r->new_fpr, why ? why : strerror(-rc));
	free(why);
	return rc;
}

/* Did the register record the new key after all (an error reported after
 * its commit)?  1 yes, 0 no, -1 cannot tell: then the pair is kept for the
 * next writing command to decide (keyring_resume_rekey()). */
static int recorded(struct rekey *r)
{
	char chain[65];

	if (!r->new_fpr[0] || !r->db)
		return 0;
	if (register_chain_key(r->db, chain, NULL, NULL) < 0)
		return -1;
	return strcmp(chain, r->new_fpr) == 0;
}

static void discard(struct rekey *r)
{
	if (r->new_fpr[0])
		unadd(r->state_dir, r->new_fpr);
	if (unlink(r->p.key_new) < 0 && errno != ENOENT)
		util_warn(_("cannot remove %s: %s"), r->p.key_new, strerror(errno));
	if (unlink(r->p.pub_new) < 0 && errno != ENOENT)
		util_warn(_("cannot remove %s: %s"), r->p.pub_new, strerror(errno));
}

/* The re-key failed (@rc) after the new pair was written: it is removed
 * when the register did not record it, the re-key finished when it did
 * (an error reported after the commit), kept when that is unknown. */
static int rekey_failed(struct rekey *r, int rc, char **cause)
{
	int rec = recorded(r);

	if (rec == 0)
		discard(r);
	if (rec != 1 || rekey_finish(r, NULL) < 0)
		return rc;
	if (cause) {
		free(*cause);
		*cause = NULL;
	}
	return 0;
}

int keyring_rekey(const char *state_dir, enum sign_key_type type, const char *operator_name,
		  char *new_fpr, char **cause)
{
	struct rekey r = { .state_dir = state_dir, .lock = -1 };
	bool generated = false;
	int rc = paths_get(state_dir, &r.p, cause);

	now_iso(r.now, sizeof(r.now));
	if (rc == 0)
		rc = rekey_prepare(&r, operator_name, cause);
	if (rc == 0) {
		generated = true;
		rc = rekey_generate(&r, type, cause);
	}
	if (rc == 0) {
		rc = register_set_signer(r.db, r.old_key, cause);
		r.old_key = NULL;	/* the register owns it now */
	}
	if (rc == 0)
		rc = register_record_key_rotation(r.db, r.new_key, NULL, cause);
	if (rc < 0 && generated) {
		rc = rekey_failed(&r, rc, cause);
	} else if (rc == 0) {
		util_test_crash("rekey-recorded");
		rc = rekey_finish(&r, cause);
	}
	if (rc == 0 && new_fpr)
		util_strlcpy(new_fpr, r.new_fpr, 65);
	register_close(r.db);
	sign_key_free(r.old_key);
	sign_key_free(r.new_key);
	station_free(r.st);
	close_lock(state_dir, r.lock);
	paths_free(&r.p);
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

bool keyring_fprs_has(const struct keyring_fprs *s, const char *fpr)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->fpr[i], fpr) == 0)
			return true;
	return false;
}

int keyring_fprs_add(struct keyring_fprs *s, const char *fpr)
{
	char (*n)[65];

	if (!fpr[0] || keyring_fprs_has(s, fpr))
		return 0;
	n = realloc(s->fpr, (s->n + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	s->fpr = n;
	util_strlcpy(n[s->n++], fpr, sizeof(*n));
	return 0;
}

void keyring_fprs_free(struct keyring_fprs *s)
{
	free(s->fpr);
	s->fpr = NULL;
	s->n = 0;
}
