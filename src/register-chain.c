/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * register: the signed chain.  Every event's chain hash is signed by the
 * station key (table event_signatures), the latest signed head is kept
 * outside the database as well (<state-dir>/register.head), and verify
 * checks signatures, the head, the key history, the certificate rows and
 * the certificate store.  The formats are in custos-register(5).
 */
#include "register-private.h"

#include <openssl/evp.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cert.h"
#include "keyring.h"
#include "sign.h"
#include "station.h"
#include "util.h"

#define HEAD_FILE "register.head"
#define HEAD_MAGIC "custos-register-head-v1"
/* What a head signature covers starts with this instead: an event's
 * signature (in the database) can never be copied into a head file, so a
 * head for an earlier event cannot be rebuilt to hide a truncation. */
#define HEAD_SIG_MAGIC "custos-register-signed-head-v1"
#define GENESIS "0000000000000000000000000000000000000000000000000000000000000000"
#define MAX_SIG_HEX 512
#define KEY_CACHE 16

static const char signatures_schema[] =
	"CREATE TABLE IF NOT EXISTS event_signatures ("
	" event_id INTEGER NOT NULL REFERENCES events(id),"
	" key_fpr TEXT NOT NULL,"
	" sig TEXT NOT NULL,"
	" PRIMARY KEY (event_id, key_fpr));"
	"CREATE TRIGGER IF NOT EXISTS event_signatures_no_update BEFORE UPDATE ON event_signatures"
	" BEGIN SELECT RAISE(ABORT, 'custos register: event signatures are append-only'); END;"
	"CREATE TRIGGER IF NOT EXISTS event_signatures_no_delete BEFORE DELETE ON event_signatures"
	" BEGIN SELECT RAISE(ABORT, 'custos register: event signatures are append-only'); END;";

/* A signature by key @fpr over (seq, hash), known to hold. */
struct known_sig {
	char fpr[65];
	int64_t seq;
	char hash[65];
	char sig[MAX_SIG_HEX + 1];
};

struct register_chain {
	char *dir;			/* register.head and keys/ live here */
	struct sign_key *signer;	/* owned */
	char signer_fpr[65];
	const struct sign_key *cosigner;	/* key-rotated: the new key */
	char cosigner_fpr[65];
	bool pending;			/* a head to write after COMMIT */
	int lock_fd;			/* register.head.lock, open while lock_open */
	bool lock_open;
	mode_t lock_mode;		/* its mode: the register file's bits */
	/* The last event and head signatures by the signer that this handle
	 * made or verified ([0] event, [1] head): the same bytes need not be
	 * verified again before the next append (sig_known()). */
	struct known_sig known[2];
	/* verify: register.head as read before the database snapshot */
	bool pre_read;
	int pre_rc;
	char *pre_why;
	struct head *pre_head;
	struct {
		int64_t seq;
		char hash[65];
		char key[65];
		char sig[MAX_SIG_HEX + 1];
	} head;
};

/* The head: what register.head holds (and what an event signature signs). */
struct head {
	int64_t seq;
	char hash[65];
	char key[65];
	char sig[MAX_SIG_HEX + 1];
};

/* ---- open, close --------------------------------------------------------- */

static int table_exists(struct register_db *db, bool *yes, char **cause)
{
	sqlite3_stmt *st = NULL;
	int rc = register_prepare(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND"
				  " name = 'event_signatures'", &st, cause);

	if (rc < 0)
		return rc;
	rc = sqlite3_step(st);
	*yes = rc == SQLITE_ROW;
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : register_sql_fail(db, cause, "schema");
	sqlite3_finalize(st);
	return rc;
}

/* register.head.lock created with @mode (the umask aside); -EEXIST when
 * it is there already. */
static int create_lock(const char *lock, mode_t mode)
{
	int fd = open(lock, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode), rc;

	if (fd < 0)
		return -errno;
	if (fchmod(fd, mode) < 0)	/* the umask took bits away */
		util_warn(_("register: cannot set the mode of %s: %s"), lock, strerror(errno));
	rc = util_close(fd);
	if (rc < 0)
		util_warn(_("register: cannot close %s: %s"), lock, strerror(-rc));
	return 0;
}

/*
 * register.head.lock gets the permissions of the register file itself
 * (read/write bits), as SQLite gives its -wal and -shm files: whoever may
 * write the register (a group sharing the state dir) may take the lock
 * and so advance the signed head (it is opened read-only: flock needs no
 * more).  Created here, before any head is written; an existing lock of
 * ours with fewer bits is widened.
 */
static void head_lock_mode(struct register_chain *c, const char *path)
{
	char *lock = util_asprintf("%s/" HEAD_FILE ".lock", c->dir);
	struct stat db_sb, sb;
	mode_t mode;

	c->lock_mode = 0600;
	if (!lock || stat(path, &db_sb) < 0) {
		free(lock);
		return;
	}
	mode = db_sb.st_mode & 0666;
	c->lock_mode = mode;
	if (create_lock(lock, mode) == -EEXIST && lstat(lock, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    sb.st_uid == geteuid() && (sb.st_mode & mode) != mode &&
	    chmod(lock, (sb.st_mode & 0666) | mode) < 0)
		util_warn(_("register: cannot set the mode of %s: %s"), lock, strerror(errno));
	free(lock);
}

int register_chain_open(struct register_db *db, const char *path, char **cause)
{
	const char *slash = strrchr(path, '/');
	bool have = false;
	char *err = NULL;
	int rc;

	db->chain = calloc(1, sizeof(*db->chain));
	if (!db->chain)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	db->chain->dir = slash ? strndup(path, (size_t)(slash - path)) : strdup(".");
	if (!db->chain->dir)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	if (slash == path)
		db->chain->dir[0] = '\0';	/* "/register.db": the root */
	head_lock_mode(db->chain, path);
	/* No schema version: created where missing, so it merges with any. */
	rc = table_exists(db, &have, cause);
	if (rc < 0 || have)
		return rc;
	if (sqlite3_exec(db->db, signatures_schema, NULL, NULL, &err) != SQLITE_OK) {
		rc = util_fail(cause, -EIO, _("register: event signatures: %s"),
			       err ? err : "cannot create");
		sqlite3_free(err);
	}
	return rc;
}

void register_chain_close(struct register_db *db)
{
	int rc;

	if (!db->chain)
		return;
	sign_key_free(db->chain->signer);
	rc = db->chain->lock_open ? util_close(db->chain->lock_fd) : 0;
	if (rc < 0)
		util_warn(_("register: cannot close %s/%s: %s"), db->chain->dir,
			  HEAD_FILE ".lock", strerror(-rc));
	free(db->chain->pre_why);
	free(db->chain->pre_head);
	free(db->chain->dir);
	free(db->chain);
	db->chain = NULL;
}

/* ---- the head ------------------------------------------------------------ */

static char *dir_file(const struct register_db *db, const char *name)
{
	return util_asprintf("%s/%s", db->chain->dir, name);
}

/* The bytes a signature covers: an event's (@head false) or the head file's. */
static int statement(int64_t seq, const char *hash, bool head, char *buf, size_t size)
{
	return snprintf(buf, size, "%s\nseq=%lld\nhash=%s\n", head ? HEAD_SIG_MAGIC : HEAD_MAGIC,
			(long long)seq, hash);
}

static int sign_hex(const struct sign_key *key, int64_t seq, const char *hash, bool head,
		    char *out)
{
	char msg[160];
	unsigned char *sig = NULL;
	size_t len = 0;
	int n = statement(seq, hash, head, msg, sizeof(msg));
	int rc = sign_data(key, msg, (size_t)n, &sig, &len);

	if (rc == 0 && len * 2 > MAX_SIG_HEX)
		rc = -EOVERFLOW;
	if (rc == 0)
		util_hex(sig, len, out);
	free(sig);
	return rc;
}

static int unhex(const char *s, unsigned char *out, size_t max, size_t *len)
{
	size_t n = strlen(s);

	if (n % 2 || n / 2 > max)
		return -EINVAL;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1 || !strchr("0123456789abcdef", s[2 * i]) ||
		    !strchr("0123456789abcdef", s[2 * i + 1]))
			return -EINVAL;
		out[i] = (unsigned char)v;
	}
	*len = n / 2;
	return 0;
}

static int check_sig_with(const struct sign_key *key, int64_t seq, const char *hash, bool head,
			  const char *sighex)
{
	unsigned char sig[MAX_SIG_HEX / 2];
	char msg[160];
	size_t len = 0;
	int n = statement(seq, hash, head, msg, sizeof(msg));

	if (unhex(sighex, sig, sizeof(sig), &len) < 0)
		return -EBADMSG;
	return sign_verify(key, msg, (size_t)n, sig, len);
}

/* One "key=value" line of register.head; the bit of the field it set. */
static int head_line(char *line, struct head *h)
{
	char *eq = strchr(line, '=');

	if (!eq)
		return -EBADMSG;
	*eq++ = '\0';
	if (strcmp(line, "seq") == 0) {
		h->seq = strtoll(eq, NULL, 10);
		return h->seq >= 0 ? 1 : -EBADMSG;
	}
	if (strcmp(line, "hash") == 0 && strlen(eq) == 64) {
		util_strlcpy(h->hash, eq, sizeof(h->hash));
		return 2;
	}
	if (strcmp(line, "key") == 0 && keyring_fpr_valid(eq)) {
		util_strlcpy(h->key, eq, sizeof(h->key));
		return 4;
	}
	if (strcmp(line, "sig") == 0 && strlen(eq) <= MAX_SIG_HEX) {
		util_strlcpy(h->sig, eq, sizeof(h->sig));
		return 8;
	}
	return 0;	/* a field of a later version */
}

static int parse_head(char *text, struct head *h)
{
	char *save = NULL, *line = strtok_r(text, "\n", &save);
	int fields = 0, bit;

	memset(h, 0, sizeof(*h));
	if (!line || strcmp(line, HEAD_MAGIC) != 0)
		return -EBADMSG;
	while ((line = strtok_r(NULL, "\n", &save))) {
		bit = head_line(line, h);
		if (bit < 0)
			return bit;
		fields |= bit;
	}
	return fields == 15 ? 0 : -EBADMSG;
}

/* register.head: 0, -ENOENT (none) or -EBADMSG (unreadable) with a cause. */
static int read_head(struct register_db *db, struct head *h, char **cause)
{
	char *path = dir_file(db, HEAD_FILE), *text = NULL;
	int rc = path ? util_read_file(path, &text, NULL) : -ENOMEM;

	if (rc == 0 && parse_head(text, h) < 0)
		rc = util_fail(cause, -EBADMSG, _("%s is not a register head (damaged or edited)"),
			       path);
	else if (rc < 0 && rc != -ENOENT)
		util_fail(cause, rc, _("cannot read %s: %s"), path ? path : HEAD_FILE, strerror(-rc));
	free(path);
	free(text);
	return rc;
}

/* register.head replaced atomically: written to register.head.tmp (one
 * name: writers hold register.head.lock; one left by a killed writer,
 * perhaps another user's, is removed first), its data synced, then renamed
 * over the old head.  The rename is not synced: a power cut may keep the
 * previous head, which names an earlier event of the same chain -- the
 * lag custos-register(5) allows -- but never leaves a head whose contents
 * did not reach the disk. */
static int write_head_file(struct register_db *db, const struct head *h)
{
	char *path = dir_file(db, HEAD_FILE), *tmp = dir_file(db, HEAD_FILE ".tmp");
	char *text = util_asprintf(HEAD_MAGIC "\nseq=%lld\nhash=%s\nkey=%s\nsig=%s\n",
				   (long long)h->seq, h->hash, h->key, h->sig);
	int fd = -1, rc = path && tmp && text ? 0 : -ENOMEM;

	if (rc == 0 && unlink(tmp) < 0 && errno != ENOENT)
		rc = -errno;
	if (rc == 0) {
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd < 0 || fchmod(fd, 0644) < 0)
			rc = -errno;
	}
	if (rc == 0)
		rc = util_write_all(fd, text, strlen(text));
	if (rc == 0 && fdatasync(fd) < 0)
		rc = -errno;
	if (fd >= 0 && util_close(fd) < 0 && rc == 0)
		rc = -EIO;
	if (rc == 0 && rename(tmp, path) < 0)
		rc = -errno;
	free(path);
	free(tmp);
	free(text);
	return rc;
}

/* register.head.lock, opened once per handle. */
static int head_lock_fd(struct register_db *db)
{
	struct register_chain *c = db->chain;
	char *lock;
	int rc;

	if (c->lock_open)
		return c->lock_fd;
	lock = dir_file(db, HEAD_FILE ".lock");
	if (!lock)
		return -ENOMEM;
	/* removed since the register was opened: made again, with its mode */
	create_lock(lock, c->lock_mode);
	c->lock_fd = open(lock, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	rc = c->lock_fd < 0 ? -errno : 0;
	free(lock);
	if (rc < 0)
		return rc;
	c->lock_open = true;
	return c->lock_fd;
}

/* Write @h unless a later head is there already (another process appended
 * after us), under an flock so two writers do not interleave. */
static int write_head(struct register_db *db, const struct head *h)
{
	struct head cur;
	int fd = head_lock_fd(db), rc;

	if (fd < 0)
		return fd;
	if (flock(fd, LOCK_EX) < 0)
		return -errno;
	rc = read_head(db, &cur, NULL);
	if (rc == 0 && cur.seq > h->seq)
		rc = 0;
	else
		rc = write_head_file(db, h);
	if (flock(fd, LOCK_UN) < 0 && rc == 0)
		rc = -errno;
	return rc;
}

int register_chain_hash_at(struct register_db *db, int64_t seq, char *hash, char **cause)
{
	sqlite3_stmt *st = NULL;
	int rc = register_cached(db, "SELECT hash FROM events WHERE seq = ?", &st, cause);

	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, seq);
	hash[0] = '\0';
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		register_col_text(st, 0, hash, 65);
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : register_sql_fail(db, cause, "read chain");
	register_release(st);
	return rc;
}

/* Does the register still hold the signed head @h?  -EPERM with a cause
 * when it ends before it or has another event there. */
static int head_matches(struct register_db *db, const struct head *h, char **cause)
{
	char last[65], at[65];
	int64_t seq = 0;
	int rc = register_store_chain_tail(db, &seq, last, cause);

	if (rc < 0)
		return rc;
	if (h->seq > seq)
		return util_fail(cause, -EPERM, _("the register ends at event %lld but its signed "
				 "head (%s) is at event %lld: the register was emptied, "
				 "deleted, truncated or rolled back; restore it from a backup"),
				 (long long)seq, HEAD_FILE, (long long)h->seq);
	if (h->seq == 0)
		return strcmp(h->hash, GENESIS) == 0 ? 0 :
		       util_fail(cause, -EPERM, _("%s names event 0 with a hash"), HEAD_FILE);
	rc = register_chain_hash_at(db, h->seq, at, cause);
	if (rc == 0 && strcmp(at, h->hash) != 0)
		rc = util_fail(cause, -EPERM, _("event %lld has hash %.16s... but the signed head "
			       "(%s) says %.16s...: the register was rewritten"),
			       (long long)h->seq, at[0] ? at : "(none)", HEAD_FILE, h->hash);
	return rc;
}

static bool signed_events(struct register_db *db)
{
	sqlite3_stmt *st = NULL;
	bool yes = true;	/* when unsure: signed */

	if (register_prepare(db, "SELECT 1 FROM event_signatures LIMIT 1", &st, NULL) == 0)
		yes = sqlite3_step(st) != SQLITE_DONE;
	sqlite3_finalize(st);
	return yes;
}

/* Does the register hold any event signature?  false when it cannot tell
 * (no table yet: a register from before signing). */
static bool has_signatures(struct register_db *db)
{
	sqlite3_stmt *st = NULL;
	bool yes = false;

	if (register_prepare(db, "SELECT 1 FROM event_signatures LIMIT 1", &st, NULL) == 0)
		yes = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return yes;
}

static bool keyring_exists(struct register_db *db)
{
	char *path = dir_file(db, KEYRING_DIR);
	bool yes = path && access(path, F_OK) == 0;

	free(path);
	return yes;
}

/* Has this handle made or verified exactly this signature by the key
 * @fpr?  Verifying the same key, statement and signature again gives the
 * same answer; anything changed in between (another process appended, a
 * row or the head file was edited, the signer switched) differs and is
 * verified in full. */
static bool sig_known(const struct register_chain *c, const char *fpr, int64_t seq,
		      const char *hash, bool head, const char *sig)
{
	const struct known_sig *k = &c->known[head];

	return k->seq == seq && seq > 0 && k->fpr[0] && strcmp(k->fpr, fpr) == 0 &&
	       strcmp(k->hash, hash) == 0 && strcmp(k->sig, sig) == 0;
}

static void sig_remember(struct register_chain *c, const char *fpr, int64_t seq,
			 const char *hash, bool head, const char *sig)
{
	util_strlcpy(c->known[head].fpr, fpr, sizeof(c->known[head].fpr));
	c->known[head].seq = seq;
	util_strlcpy(c->known[head].hash, hash, sizeof(c->known[head].hash));
	util_strlcpy(c->known[head].sig, sig, sizeof(c->known[head].sig));
}

/* The signature @sig by key @fpr (from the keyring) over (@seq, @hash). */
static int check_sig_fpr(struct register_db *db, int64_t seq, const char *hash, bool head,
			 const char *fpr, const char *sig, const char *what, char **cause)
{
	struct sign_key *key = NULL;
	int rc;

	/* the station's own key (what it signed last): no keyring file to read
	 * and decode before every append */
	if (db->chain->signer && strcmp(fpr, db->chain->signer_fpr) == 0) {
		if (sig_known(db->chain, fpr, seq, hash, head, sig))
			return 0;
		rc = check_sig_with(db->chain->signer, seq, hash, head, sig);
		if (rc == 0)
			sig_remember(db->chain, fpr, seq, hash, head, sig);
	} else {
		rc = keyring_find(db->chain->dir, fpr, &key, NULL, cause);
		if (rc == 0)
			rc = check_sig_with(key, seq, hash, head, sig);
		sign_key_free(key);
	}
	if (rc == -EBADMSG)
		util_fail(cause, rc, _("%s (event %lld): the signature does not match: the register "
			  "was rewritten without the station key"), what, (long long)seq);
	return rc < 0 ? -EPERM : 0;
}

/* The newest event's signature, when the register is signed at all. */
static int check_tail_sig(struct register_db *db, char **cause)
{
	sqlite3_stmt *st = NULL;
	char hash[65], fpr[65], sig[MAX_SIG_HEX + 1];
	int64_t seq;
	int rc = register_cached(db, "SELECT e.seq, e.hash, s.key_fpr, s.sig FROM events e"
				 " LEFT JOIN event_signatures s ON s.event_id = e.id"
				 " ORDER BY e.seq DESC, s.key_fpr LIMIT 1", &st, cause);

	if (rc < 0)
		return rc;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW) {
		rc = rc == SQLITE_DONE ? 0 : register_sql_fail(db, cause, "read chain");
		register_release(st);
		return rc;
	}
	seq = sqlite3_column_int64(st, 0);
	register_col_text(st, 1, hash, sizeof(hash));
	register_col_text(st, 2, fpr, sizeof(fpr));
	register_col_text(st, 3, sig, sizeof(sig));
	rc = sqlite3_column_type(st, 2) == SQLITE_NULL;
	register_release(st);
	if (rc)	/* unsigned: fine only in a register never signed */
		return signed_events(db) ? util_fail(cause, -EPERM, _("the newest event (%lld) has "
						     "no signature: the register was rewritten"),
						     (long long)seq) : 0;
	return check_sig_fpr(db, seq, hash, false, fpr, sig, "the newest event", cause);
}

/* Every event after the signed head carries a signature: one without was
 * written without the station's key (its signatures stripped, then events
 * forged on top).  -EPERM naming the first. */
static int unsigned_after(struct register_db *db, int64_t head_seq, char **cause)
{
	sqlite3_stmt *st = NULL;
	int rc = register_cached(db, "SELECT MIN(e.seq) FROM events e WHERE e.seq > ?1 AND NOT"
				 " EXISTS (SELECT 1 FROM event_signatures s WHERE s.event_id = e.id)",
				 &st, cause);

	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, head_seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
		rc = util_fail(cause, -EPERM, _("event %lld, after the signed head (event %lld), has "
			       "no signature: it was written without the station key"),
			       (long long)sqlite3_column_int64(st, 0), (long long)head_seq);
	else
		rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 :
			register_sql_fail(db, cause, "read signatures");
	register_release(st);
	return rc;
}

int register_check_head(struct register_db *db, char **cause)
{
	struct head h;
	int rc = read_head(db, &h, cause);

	if (rc == -ENOENT && keyring_exists(db))
		return util_fail(cause, -EPERM, _("%s/%s is missing: the register's "
				 "signed head was deleted; restore it (and the register) from a "
				 "backup"), db->chain->dir, HEAD_FILE);
	if (rc == -ENOENT)
		return 0;	/* a register from before signing, not adopted yet */
	if (rc < 0)
		return rc == -EBADMSG ? -EPERM : rc;
	rc = head_matches(db, &h, cause);
	if (rc == 0)
		rc = check_sig_fpr(db, h.seq, h.hash, true, h.key, h.sig, HEAD_FILE, cause);
	if (rc == 0)
		rc = unsigned_after(db, h.seq, cause);
	if (rc == 0)
		rc = check_tail_sig(db, cause);
	return rc;
}

/* A register written before events were signed, used by a station key for
 * the first time: its head is signed as it is (the unsigned events are
 * covered by the hash chain of the first signed head). */
static int adopt(struct register_db *db, char **cause)
{
	struct head h;
	struct stat sb;
	char *pub = dir_file(db, "station.pub"), from[24] = "";
	int rc = read_head(db, &h, NULL);

	/* only a register never signed: one whose signatures exist lost its
	 * head and keyring, and signing its end now would bless a truncation */
	if (rc == -ENOENT && has_signatures(db)) {
		free(pub);
		return util_fail(cause, -EPERM, _("%s/%s and the keyring are missing "
				 "from a signed register: restore them (and the register) from a "
				 "backup"), db->chain->dir, HEAD_FILE);
	}
	if (rc == -ENOENT) {
		rc = register_store_chain_tail(db, &h.seq, h.hash, cause);
		util_strlcpy(h.key, db->chain->signer_fpr, sizeof(h.key));
		if (rc == 0)
			rc = sign_hex(db->chain->signer, h.seq, h.hash, true, h.sig);
		if (rc == 0)
			rc = write_head(db, &h);
		/* the head's rename on disk before keys/ can be: a power cut must
		 * not leave a keyring without the head it came with */
		if (rc == 0)
			rc = util_sync_dir(db->chain->dir);
		if (rc < 0 && cause && !*cause)
			util_fail(cause, rc, _("cannot write %s/%s: %s"), db->chain->dir, HEAD_FILE,
				  strerror(-rc));
	} else {
		rc = 0;
	}
	if (rc == 0 && pub && stat(pub, &sb) == 0)
		util_iso8601(sb.st_mtime, from, sizeof(from));
	free(pub);
	return rc < 0 ? rc : keyring_add(db->chain->dir, db->chain->signer, from[0] ? from : NULL,
					 cause);
}

int register_set_signer(struct register_db *db, struct sign_key *key, char **cause)
{
	struct register_chain *c = db->chain;
	char fpr[65];

	if (!key)
		return util_fail(cause, -EINVAL, _("register: no signing key"));
	if (sign_fingerprint(key, fpr) < 0) {
		sign_key_free(key);
		return util_fail(cause, -EIO, _("register: cannot fingerprint the signing key"));
	}
	sign_key_free(c->signer);
	c->signer = key;
	util_strlcpy(c->signer_fpr, fpr, sizeof(c->signer_fpr));
	memset(c->known, 0, sizeof(c->known));
	if (!keyring_exists(db)) {
		int rc = adopt(db, cause);

		if (rc < 0)
			return rc;
	}
	return register_check_head(db, cause);
}

int register_chain_key(struct register_db *db, char *fpr, char *since, char **cause)
{
	sqlite3_stmt *st = NULL;
	char kind[24] = "";
	json_t *d = NULL;
	int rc = register_prepare(db, "SELECT e.kind, e.details, e.at, s.key_fpr FROM events e"
				  " LEFT JOIN event_signatures s ON s.event_id = e.id"
				  " ORDER BY e.seq DESC, s.key_fpr LIMIT 1", &st, cause);

	fpr[0] = '\0';
	if (since)
		since[0] = '\0';
	if (rc < 0)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 3) != SQLITE_NULL) {
		register_col_text(st, 0, kind, sizeof(kind));
		register_col_text(st, 3, fpr, 65);
		if (strcmp(kind, "key-rotated") == 0) {
			const char *t = (const char *)sqlite3_column_text(st, 1);
			const char *nf;

			d = json_loads(t ? t : "", 0, NULL);
			nf = json_string_value(json_object_get(d, "new_fingerprint"));
			util_strlcpy(fpr, nf && keyring_fpr_valid(nf) ? nf : "", 65);
			if (since)
				register_col_text(st, 2, since, 24);
		}
	}
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : register_sql_fail(db, cause, "read chain");
	sqlite3_finalize(st);
	json_decref(d);
	if (rc == 0 && since && fpr[0] && strcmp(kind, "key-rotated") != 0) {
		rc = register_prepare(db, "SELECT at FROM events WHERE kind = 'key-rotated' AND"
				      " json_extract(details, '$.new_fingerprint') = ?"
				      " ORDER BY seq DESC LIMIT 1", &st, cause);
		if (rc < 0)
			return rc;
		sqlite3_bind_text(st, 1, fpr, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW)
			register_col_text(st, 0, since, 24);
		rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 :
			register_sql_fail(db, cause, "read chain");
		sqlite3_finalize(st);
	}
	return rc;
}

/* Is a re-key unfinished (station.key.new or station.pub.new left, or a
 * station key @fpr that is not the chain's)?  Then finish it under the
 * re-key lock, with the chain's key read again once the lock is held (a
 * re-key that held it may have committed meanwhile).  1 when it ran. */
static int resume_rekey(struct register_db *db, const char *state_dir, const char *fpr,
			bool wait, char **cause)
{
	char chain[65], since[24];
	char *kn = util_asprintf("%s/station.key.new", state_dir);
	char *pn = util_asprintf("%s/station.pub.new", state_dir);
	bool left = (kn && access(kn, F_OK) == 0) || (pn && access(pn, F_OK) == 0);
	int fd = -1, crc, rc = register_chain_key(db, chain, NULL, cause);

	free(kn);
	free(pn);
	if (rc < 0 || (!left && (!chain[0] || strcmp(chain, fpr) == 0)))
		return rc;
	rc = keyring_rekey_lock(state_dir, wait, &fd, cause);
	if (rc == 0)
		rc = register_chain_key(db, chain, since, cause);
	if (rc == 0)
		rc = keyring_resume_rekey(state_dir, chain, since, cause);
	crc = util_close(fd);	/* the lock is released whatever it says */
	if (crc < 0)
		util_warn(_("register: cannot close %s/%s: %s"), state_dir, "rekey.lock",
			  strerror(-crc));
	return rc < 0 ? rc : 1;
}

/* The station's key, after an interrupted re-key was finished. */
static int load_station_key(struct register_db *db, const struct station *st,
			    struct sign_key **key, char **cause)
{
	char fpr[65], *why = NULL;
	int rc = station_load_signing_key(st, key, cause);

	if (rc < 0 || sign_fingerprint(*key, fpr) < 0)
		return rc;
	rc = resume_rekey(db, st->state_dir, fpr, true, &why);
	if (rc == 0)
		return 0;
	if (rc < 0)
		util_warn("%s", why ? why : _("cannot finish an interrupted re-key"));
	free(why);
	sign_key_free(*key);
	return station_load_signing_key(st, key, cause);
}

int register_attach_station(struct register_db *db, const struct station *st,
			    const char *operator_name, char **cause)
{
	struct sign_key *key = NULL;
	int rc = register_set_actor(db, operator_name, st->name);

	if (rc < 0)
		return util_fail(cause, rc, _("out of memory"));
	db->attached = st;
	if (!db->central && st->register_conninfo) {
		db->central = strdup(st->register_conninfo);
		if (!db->central)
			return util_fail(cause, -ENOMEM, _("out of memory"));
	}
	rc = load_station_key(db, st, &key, cause);
	if (rc < 0)
		return rc;
	return register_set_signer(db, key, cause);
}

/* ---- appending ----------------------------------------------------------- */

/* Reload the station's key into the signer when it is now @chain (a
 * re-key by another process, or an interrupted one finished now): 1 when
 * switched, 0 when not, -EBUSY while another process holds the re-key
 * lock (re-keying now). */
static int switch_to(struct register_db *db, const char *chain)
{
	struct sign_key *key = NULL;
	char fpr[65], *why = NULL;
	bool ok;
	int rc;

	if (!db->attached)
		return 0;
	rc = resume_rekey(db, db->chain->dir, db->chain->signer_fpr, false, &why);
	if (rc == -EBUSY) {
		free(why);
		return rc;
	}
	if (rc < 0) {
		util_warn("%s", why ? why : _("cannot finish an interrupted re-key"));
		free(why);
		return 0;
	}
	ok = station_load_signing_key(db->attached, &key, NULL) == 0 &&
	     sign_fingerprint(key, fpr) == 0 && strcmp(fpr, chain) == 0;
	if (!ok) {
		sign_key_free(key);
		return 0;
	}
	sign_key_free(db->chain->signer);
	db->chain->signer = key;
	util_strlcpy(db->chain->signer_fpr, fpr, sizeof(db->chain->signer_fpr));
	memset(db->chain->known, 0, sizeof(db->chain->known));
	return 1;
}

/* An event the station signs must be signed by the chain's key: one by a
 * retired key (a re-key interrupted before the new key was installed, or
 * done by another process) is refused rather than written, since
 * verification would reject it and every event after it. */
static int check_signer(struct register_db *db, char **cause)
{
	char chain[65];
	int rc = register_chain_key(db, chain, NULL, cause);

	if (rc < 0 || !chain[0] || strcmp(chain, db->chain->signer_fpr) == 0)
		return rc;
	rc = switch_to(db, chain);
	if (rc == -EBUSY)
		return util_fail(cause, rc, _("register: the station is being re-keyed by another "
				 "process; nothing is written: retry when that has finished"));
	if (rc > 0)
		return 0;
	return util_fail(cause, -EPERM, _("register: the register is signed with key "
			 "SHA256:%.16s... (introduced by its last key-rotated event), but the "
			 "station's key %s/station.key is SHA256:%.16s...: an event signed by it "
			 "would not verify, so nothing is written (an interrupted re-key is finished "
			 "by the next writing command while station.key.new is there; without it, "
			 "restore the station's key pair from a backup)"), chain, db->chain->dir,
			 db->chain->signer_fpr);
}

int register_chain_before_append(struct register_db *db, char **cause)
{
	int rc;

	if (!db->chain->signer)
		return util_fail(cause, -EPERM, _("register: writing the register needs the "
				 "station's private key (every event is signed): set the station "
				 "up with 'custos init' and run as a user who can read its key"));
	rc = register_check_head(db, cause);
	return rc < 0 ? rc : check_signer(db, cause);
}

static int insert_sig(struct register_db *db, const struct register_event *ev,
		      const struct sign_key *key, const char *fpr, char *hex, char **cause)
{
	sqlite3_stmt *st = NULL;
	int rc = sign_hex(key, ev->seq, ev->hash, false, hex);

	if (rc < 0)
		return util_fail(cause, rc, _("register: cannot sign event %lld"), (long long)ev->seq);
	rc = register_cached(db, "INSERT INTO event_signatures(event_id, key_fpr, sig)"
			     " SELECT id, ?2, ?3 FROM events WHERE seq = ?1", &st, cause);
	if (rc < 0)
		return rc;
	sqlite3_bind_int64(st, 1, ev->seq);
	sqlite3_bind_text(st, 2, fpr, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, hex, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE || sqlite3_changes(db->db) != 1)
		rc = register_sql_fail(db, cause, "sign event");
	register_release(st);
	return rc;
}

int register_chain_sign(struct register_db *db, const struct register_event *ev, char **cause)
{
	struct register_chain *c = db->chain;
	int rc = insert_sig(db, ev, c->signer, c->signer_fpr, c->head.sig, cause);

	if (rc == 0)
		sig_remember(c, c->signer_fpr, ev->seq, ev->hash, false, c->head.sig);
	util_strlcpy(c->head.key, c->signer_fpr, sizeof(c->head.key));
	/* the head carries the newest key's signature */
	if (rc == 0 && c->cosigner) {
		rc = insert_sig(db, ev, c->cosigner, c->cosigner_fpr, c->head.sig, cause);
		util_strlcpy(c->head.key, c->cosigner_fpr, sizeof(c->head.key));
	}
	/* the head's own signature, by the newest key */
	if (rc == 0 && sign_hex(c->cosigner ? c->cosigner : c->signer, ev->seq, ev->hash, true,
				c->head.sig) < 0)
		rc = util_fail(cause, -EIO, _("register: cannot sign the head"));
	if (rc == 0 && !c->cosigner)
		sig_remember(c, c->signer_fpr, ev->seq, ev->hash, true, c->head.sig);
	c->pending = rc == 0;
	c->head.seq = ev->seq;
	util_strlcpy(c->head.hash, ev->hash, sizeof(c->head.hash));
	return rc;
}

void register_chain_committed(struct register_db *db, bool committed)
{
	struct register_chain *c = db->chain;
	struct head h;
	int rc;

	if (!c || !c->pending)
		return;
	c->pending = false;
	if (!committed)
		return;
	db->unsynced = true;	/* for the central register (register_sync_central()) */
	h.seq = c->head.seq;
	util_strlcpy(h.hash, c->head.hash, sizeof(h.hash));
	util_strlcpy(h.key, c->head.key, sizeof(h.key));
	util_strlcpy(h.sig, c->head.sig, sizeof(h.sig));
	rc = write_head(db, &h);
	if (rc < 0)
		util_warn(_("register: cannot write %s/%s: %s"), c->dir, HEAD_FILE, strerror(-rc));
}

int register_record_key_rotation(struct register_db *db, const struct sign_key *new_key,
				 char *hash, char **cause)
{
	struct register_chain *c = db->chain;
	json_t *d;
	int rc;

	if (!c->signer)
		return register_chain_before_append(db, cause);
	if (sign_fingerprint(new_key, c->cosigner_fpr) < 0)
		return util_fail(cause, -EIO, _("register: cannot fingerprint the new key"));
	d = json_pack("{s:s, s:s, s:s}", "old_fingerprint", c->signer_fpr, "new_fingerprint",
		      c->cosigner_fpr, "new_key_type",
		      sign_key_type_name(sign_key_type_of(new_key)));
	c->cosigner = new_key;
	rc = register_append_station_event(db, "key-rotated", d, hash, cause);
	c->cosigner = NULL;
	c->cosigner_fpr[0] = '\0';
	return rc;
}

/* ---- verifying ----------------------------------------------------------- */

struct vctx {
	struct register_db *db;
	const struct register_verify_opts *o;
	struct register_verify_result *r;
	struct {
		char fpr[65];
		struct sign_key *key;	/* NULL: the station never had it */
		char *cause;
	} keys[KEY_CACHE];
	size_t nkeys;
	/* the keys the chain introduced: its first key and the new key of
	 * every key-rotated event (only these sign heads and certificates) */
	struct keyring_fprs chain;
};

static void vctx_free(struct vctx *v)
{
	for (size_t i = 0; i < v->nkeys; i++) {
		sign_key_free(v->keys[i].key);
		free(v->keys[i].cause);
	}
	keyring_fprs_free(&v->chain);
}

/* The key with @fpr (cached); NULL with *@why when there is none. */
static const struct sign_key *key_for(struct vctx *v, const char *fpr, const char **why)
{
	size_t i;

	for (i = 0; i < v->nkeys; i++)
		if (strcmp(v->keys[i].fpr, fpr) == 0)
			break;
	if (i == v->nkeys) {
		if (i == KEY_CACHE) {
			sign_key_free(v->keys[0].key);
			free(v->keys[0].cause);
			memmove(&v->keys[0], &v->keys[1], sizeof(v->keys[0]) * (KEY_CACHE - 1));
			i = --v->nkeys;
		}
		memset(&v->keys[i], 0, sizeof(v->keys[i]));
		util_strlcpy(v->keys[i].fpr, fpr, sizeof(v->keys[i].fpr));
		keyring_find(v->db->chain->dir, fpr, &v->keys[i].key, NULL, &v->keys[i].cause);
		v->nkeys++;
	}
	*why = v->keys[i].cause ? v->keys[i].cause : _("cannot load the key");
	return v->keys[i].key;
}

static void fail_at(struct register_verify_result *r, int64_t seq, const char *what,
		    const char *fmt, ...) UTIL_PRINTF(4, 5);

static void fail_at(struct register_verify_result *r, int64_t seq, const char *what,
		    const char *fmt, ...)
{
	va_list ap;

	if (!r->ok)
		return;		/* the first failure is the one reported */
	r->ok = false;
	r->seq = seq;
	util_strlcpy(r->what, what, sizeof(r->what));
	va_start(ap, fmt);
	vsnprintf(r->message, sizeof(r->message), fmt, ap);
	va_end(ap);
}

static void note_key(struct vctx *v, const char *fpr)
{
	if (keyring_fprs_add(&v->chain, fpr) < 0)
		fail_at(v->r, 0, "signature", _("out of memory"));
}

/* Check one signature; false (and @r failed) when it does not hold. */
static bool verify_sig(struct vctx *v, int64_t seq, const char *hash, bool head,
		       const char *fpr, const char *sig)
{
	const char *why = NULL;
	const struct sign_key *key = key_for(v, fpr, &why);

	if (!key) {
		fail_at(v->r, seq, "signature", _("event %lld: %s"), (long long)seq, why);
		return false;
	}
	v->r->signatures++;
	if (check_sig_with(key, seq, hash, head, sig) == 0)
		return true;
	fail_at(v->r, seq, "signature", _("event %lld: the signature by key SHA256:%.16s... does "
		"not match its chain hash (the event or its signature was forged)"), (long long)seq,
		fpr);
	return false;
}

/* One event and its signature rows, read from the joined query. */
struct sev {
	int64_t id, seq;
	char hash[65];
	char kind[24];
	char *details;
	size_t nsig;
	char fpr[2][65];
	char sig[2][MAX_SIG_HEX + 1];
};

struct walk {
	struct sev cur, last;
	bool have_cur;
	int64_t first_signed;
	char active[65];		/* the key the chain is signed with now */
};

static bool has_sig(const struct sev *e, const char *fpr, size_t *idx)
{
	for (size_t i = 0; i < e->nsig && i < 2; i++)
		if (strcmp(e->fpr[i], fpr) == 0) {
			*idx = i;
			return true;
		}
	return false;
}

/* A key-rotated event: signed by the key it retires and the one it starts. */
static void check_rotation(struct vctx *v, struct walk *w, const struct sev *e)
{
	json_t *d = json_loads(e->details ? e->details : "", 0, NULL);
	const char *old = json_string_value(json_object_get(d, "old_fingerprint"));
	const char *new = json_string_value(json_object_get(d, "new_fingerprint"));
	size_t io = 0, in = 0;

	if (!old || !new || !has_sig(e, old, &io) || !has_sig(e, new, &in)) {
		fail_at(v->r, e->seq, "key-rotated", _("event %lld (key-rotated) is not signed by "
			"both the old and the new key it names"), (long long)e->seq);
	} else if (w->active[0] && strcmp(old, w->active) != 0) {
		fail_at(v->r, e->seq, "key-rotated", _("event %lld (key-rotated) retires key "
			"SHA256:%.16s..., but the register was signed with SHA256:%.16s..."),
			(long long)e->seq, old, w->active);
	} else if (verify_sig(v, e->seq, e->hash, false, old, e->sig[io]) &&
		   verify_sig(v, e->seq, e->hash, false, new, e->sig[in])) {
		v->r->key_rotations++;
		note_key(v, old);	/* the first key, when the chain starts here */
		note_key(v, new);
		util_strlcpy(w->active, new, sizeof(w->active));
	}
	json_decref(d);
}

static void check_event(struct vctx *v, struct walk *w, const struct sev *e)
{
	if (e->nsig == 0) {
		if (w->first_signed)
			fail_at(v->r, e->seq, "signature", _("event %lld has no signature, although "
				"event %lld and later ones are signed (signature deleted or event "
				"forged)"), (long long)e->seq, (long long)w->first_signed);
		else
			v->r->unsigned_events++;
		return;
	}
	if (!w->first_signed)
		w->first_signed = e->seq;
	if (strcmp(e->kind, "key-rotated") == 0) {
		check_rotation(v, w, e);
		return;
	}
	if (e->nsig != 1) {
		fail_at(v->r, e->seq, "signature", _("event %lld carries %zu signatures, but only a "
			"key-rotated event has more than one (a signature row was added)"),
			(long long)e->seq, e->nsig);
		return;
	}
	if (!w->active[0]) {
		util_strlcpy(w->active, e->fpr[0], sizeof(w->active));
		note_key(v, e->fpr[0]);		/* the station's first key */
	}
	if (strcmp(e->fpr[0], w->active) != 0) {
		fail_at(v->r, e->seq, "signature", _("event %lld is signed by key SHA256:%.16s..., "
			"but the register's key there is SHA256:%.16s... (no key-rotated event "
			"introduces it)"), (long long)e->seq, e->fpr[0], w->active);
		return;
	}
	if (v->o && v->o->all_signatures)
		verify_sig(v, e->seq, e->hash, false, e->fpr[0], e->sig[0]);
}

static void sev_clear(struct sev *e)
{
	free(e->details);
	memset(e, 0, sizeof(*e));
}

/* The finished event @w->cur is checked and becomes @w->last. */
static void flush(struct vctx *v, struct walk *w)
{
	if (!w->have_cur)
		return;
	check_event(v, w, &w->cur);
	sev_clear(&w->last);
	w->last = w->cur;
	memset(&w->cur, 0, sizeof(w->cur));
	w->have_cur = false;
}

static int read_row(sqlite3_stmt *st, struct vctx *v, struct walk *w)
{
	int64_t id = sqlite3_column_int64(st, 0);
	const unsigned char *d;

	if (!w->have_cur || w->cur.id != id) {
		flush(v, w);
		w->have_cur = true;
		w->cur.id = id;
		w->cur.seq = sqlite3_column_int64(st, 1);
		register_col_text(st, 2, w->cur.hash, sizeof(w->cur.hash));
		register_col_text(st, 3, w->cur.kind, sizeof(w->cur.kind));
		d = sqlite3_column_text(st, 4);
		if (d && !(w->cur.details = strdup((const char *)d)))
			return -ENOMEM;
	}
	if (sqlite3_column_type(st, 5) == SQLITE_NULL)
		return 0;
	if (w->cur.nsig < 2) {
		register_col_text(st, 5, w->cur.fpr[w->cur.nsig], 65);
		register_col_text(st, 6, w->cur.sig[w->cur.nsig], MAX_SIG_HEX + 1);
	}
	w->cur.nsig++;
	return 0;
}

/* The columns read_row() reads: each event with its signature rows. */
#define EVENT_SIGS "SELECT e.id, e.seq, e.hash, e.kind, CASE WHEN e.kind = 'key-rotated'" \
	" THEN e.details END, s.key_fpr, s.sig FROM events e" \
	" LEFT JOIN event_signatures s ON s.event_id = e.id"

/* The events @sql selects (EVENT_SIGS, ORDER BY e.seq, s.key_fpr), each
 * checked by check_event(); @w holds the last one (sev_clear() it). */
static int walk_events(struct vctx *v, struct walk *w, const char *sql, char **cause)
{
	sqlite3_stmt *st = NULL;
	int rc = register_prepare(v->db, sql, &st, cause);

	memset(w, 0, sizeof(*w));
	if (rc < 0)
		return rc;
	while (v->r->ok && (rc = sqlite3_step(st)) == SQLITE_ROW)
		if (read_row(st, v, w) < 0) {
			rc = -ENOMEM;
			break;
		}
	if (rc == -ENOMEM)
		rc = util_fail(cause, rc, _("out of memory"));
	else if (v->r->ok && rc != SQLITE_DONE)
		rc = register_sql_fail(v->db, cause, "read signatures");
	else
		rc = 0;
	sqlite3_finalize(st);
	flush(v, w);
	sev_clear(&w->cur);
	return rc;
}

/* Every event's signature rows: presence, key history, and the
 * signatures themselves (the newest, key rotations, or all). */
static int walk_signatures(struct vctx *v, struct head *newest, char **cause)
{
	struct walk w;
	int rc = walk_events(v, &w, EVENT_SIGS " ORDER BY e.seq, s.key_fpr", cause);

	/* the newest signature proves the whole chain before it */
	if (rc == 0 && v->r->ok && w.last.nsig == 1 && !(v->o && v->o->all_signatures))
		verify_sig(v, w.last.seq, w.last.hash, false, w.last.fpr[0], w.last.sig[0]);
	memset(newest, 0, sizeof(*newest));
	newest->seq = w.last.seq;
	util_strlcpy(newest->key, w.first_signed ? w.active : "", sizeof(newest->key));
	sev_clear(&w.last);
	return rc;
}

/* register.head against the register. */
static void check_head_file(struct vctx *v, const struct head *newest)
{
	struct register_chain *c = v->db->chain;
	struct head h;
	char *why = NULL;
	int rc;

	if (c->pre_read && c->pre_head) {	/* read before the snapshot */
		rc = c->pre_rc;
		h = *c->pre_head;
		why = c->pre_why;
		c->pre_why = NULL;
		c->pre_read = false;
	} else {
		rc = read_head(v->db, &h, &why);
	}

	v->r->head_seq = -1;
	if (rc == -ENOENT) {
		free(why);
		why = NULL;
		if (keyring_exists(v->db) || newest->key[0])
			fail_at(v->r, 0, "head", _("%s/%s is missing: the register's "
				"signed head was deleted"), v->db->chain->dir, HEAD_FILE);
		return;
	}
	if (rc == 0 && v->chain.n > 0 && !keyring_fprs_has(&v->chain, h.key))
		fail_at(v->r, h.seq, "head", _("%s/register.head is signed by key "
			"SHA256:%.16s..., which the register never introduced (neither its first "
			"key nor one a key-rotated event names): the head was forged with a key "
			"put into keys/"), c->dir, h.key);
	else if (rc == 0 && verify_sig(v, h.seq, h.hash, true, h.key, h.sig))
		rc = head_matches(v->db, &h, &why);
	/* no signed event: the head (init's or an adoption's) names the first key */
	if (rc == 0 && v->r->ok && v->chain.n == 0)
		note_key(v, h.key);
	if (rc == 0 && v->r->ok)
		rc = unsigned_after(v->db, h.seq, &why);
	else if (rc < 0)
		fail_at(v->r, 0, "head", "%s", why ? why : "cannot read " HEAD_FILE);
	if (rc < 0 && v->r->ok)
		fail_at(v->r, h.seq, "head", "%s",
			why ? why : "the register does not match its head");
	free(why);
	if (v->r->ok)
		v->r->head_seq = h.seq;
}

/* ---- the keys the chain introduced ------------------------------------------ */

/*
 * The events that decide which keys the chain introduced: its first signed
 * event, every key-rotated event and the newest event.  Walked as verify
 * walks them all, with every signature checked: the first signed event's
 * (one, by the first key), each rotation's (by the key it retires, which
 * must be the key reached so far, and by the key it starts), the newest
 * event's (by the key reached last).  A signature row that does not verify
 * introduces nothing, and a few rotations cost a few signature checks.
 */
static const char key_events_sql[] = EVENT_SIGS " WHERE e.id IN ("
	"SELECT id FROM events WHERE kind = 'key-rotated'"
	" UNION SELECT id FROM (SELECT e2.id FROM events e2 WHERE EXISTS (SELECT 1 FROM"
	"  event_signatures s2 WHERE s2.event_id = e2.id) ORDER BY e2.seq LIMIT 1)"
	" UNION SELECT id FROM (SELECT id FROM events ORDER BY seq DESC LIMIT 1))"
	" ORDER BY e.seq, s.key_fpr";

/* A register never signed (no signed event, no head, no keyring: from
 * before signing, not adopted yet): the station's key, station.pub. */
static int station_pub_key(struct vctx *v, char **cause)
{
	struct sign_key *key = NULL;
	char fpr[65], *pub = dir_file(v->db, "station.pub");
	int rc = 0;

	if (!pub)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	if (access(pub, F_OK) == 0) {
		rc = sign_load_public(pub, &key, cause);
		if (rc == 0 && sign_fingerprint(key, fpr) < 0)
			rc = util_fail(cause, -EIO, _("cannot fingerprint the key in %s"), pub);
		if (rc == 0)
			note_key(v, fpr);
	}
	sign_key_free(key);
	free(pub);
	return rc;
}

/* The keys the chain introduced, into @v->chain, and register.head
 * checked against them as verify checks it (signed by one of them, its
 * signature holding, the register matching it; without a signed event the
 * head names the first key).  -EPERM with a cause when the key history or
 * the head does not verify: then the register vouches for no key. */
static int chain_keys(struct vctx *v, char **cause)
{
	struct head newest;
	struct walk w;
	bool own = false;
	int rc;

	/* as verify: the head before the snapshot, which it can only lag */
	register_chain_pre_read_head(v->db);
	rc = register_store_read_begin(v->db, &own, cause);
	if (rc < 0)
		return rc;
	rc = walk_events(v, &w, key_events_sql, cause);
	memset(&newest, 0, sizeof(newest));
	newest.seq = w.last.seq;
	util_strlcpy(newest.key, w.first_signed ? w.active : "", sizeof(newest.key));
	sev_clear(&w.last);
	if (rc == 0 && v->r->ok)
		check_head_file(v, &newest);
	v->db->chain->pre_read = false;		/* when not used */
	register_store_read_end(v->db, own);
	if (rc == 0 && v->r->ok && v->chain.n == 0)
		rc = station_pub_key(v, cause);
	if (rc == 0 && !v->r->ok)
		rc = util_fail(cause, -EPERM, _("the register's key history does not verify, so it "
			       "vouches for no key: %s (see 'custos register verify')"),
			       v->r->message);
	return rc;
}

int register_key_introduced(struct register_db *db, const char *fpr, bool *yes, char **cause)
{
	struct register_verify_opts o = { .all_signatures = true };
	struct register_verify_result r = { .ok = true };
	struct vctx v = { .db = db, .o = &o, .r = &r };
	int rc = chain_keys(&v, cause);

	*yes = rc == 0 && keyring_fprs_has(&v.chain, fpr);
	vctx_free(&v);
	return rc;
}

/* ---- certificates -------------------------------------------------------- */

static const char *cert_field(const json_t *doc, const char *key)
{
	const char *s = json_string_value(json_object_get(json_object_get(doc, "certificate"),
							  key));

	return s ? s : "";
}

/* Does a certificate of @kind belong to an event of @ev_kind? */
static bool kind_fits(const char *kind, const char *ev_kind)
{
	if (strcmp(kind, "destruction") == 0)
		return strcmp(ev_kind, "destroyed") == 0;
	return strcmp(ev_kind, "sanitized") == 0 || strcmp(ev_kind, "not-erased") == 0;
}

/* Columns: 0 id, 1 media_id, 2 kind, 3 json, 4 event_hash, 5 e.seq,
 * 6 e.media_id, 7 e.kind, 8 the event's certificate_id. */
static void check_cert_row(struct vctx *v, sqlite3_stmt *st)
{
	const char *id = (const char *)sqlite3_column_text(st, 0);
	const char *kind = (const char *)sqlite3_column_text(st, 2);
	const char *text = (const char *)sqlite3_column_text(st, 3);
	const char *eh = (const char *)sqlite3_column_text(st, 4);
	const char *ek = (const char *)sqlite3_column_text(st, 7);
	const char *ecid = (const char *)sqlite3_column_text(st, 8);
	json_t *doc = json_loads(text ? text : "", JSON_REJECT_DUPLICATES, NULL);
	const char *fpr = json_string_value(json_object_get(json_object_get(doc, "signature"),
							    "key_fingerprint"));
	const struct sign_key *key = NULL;
	const char *why = NULL;
	char *cause = NULL;

	id = id ? id : "";
	if (doc && fpr)
		key = key_for(v, fpr, &why);
	if (!doc || !fpr)
		fail_at(v->r, 0, "certificate", _("certificate %s: the stored row is not a signed "
			"certificate document"), id);
	else if (v->chain.n > 0 && !keyring_fprs_has(&v->chain, fpr))
		fail_at(v->r, 0, "certificate", _("certificate %s: INVALID: signed by key "
			"SHA256:%.16s..., which the register never introduced (neither the "
			"station's first key nor one a key-rotated event names): a key put into "
			"keys/ signs nothing"), id, fpr);
	else if (!key)
		fail_at(v->r, 0, "certificate", _("certificate %s: INVALID: %s"), id, why);
	else if (cert_verify_doc(doc, key, &cause) < 0)
		fail_at(v->r, 0, "certificate", _("certificate %s: INVALID signature: %s (the row "
			"was edited)"), id, cause ? cause : "does not verify");
	else if (strcmp(cert_field(doc, "id"), id) != 0 ||
		 strcmp(cert_field(doc, "register_event_hash"), eh ? eh : "") != 0)
		fail_at(v->r, 0, "certificate", _("certificate %s: the row's id or event hash "
			"differs from the signed document's"), id);
	else if (sqlite3_column_type(st, 5) == SQLITE_NULL)
		fail_at(v->r, 0, "certificate", _("certificate %s names event %.16s..., which is not "
			"in the register (events deleted?)"), id, eh ? eh : "");
	else if ((sqlite3_column_int64(st, 1) > 0 &&
		  sqlite3_column_int64(st, 1) != sqlite3_column_int64(st, 6)) ||
		 !kind_fits(kind ? kind : "", ek ? ek : "") || (ecid && strcmp(ecid, id) != 0))
		fail_at(v->r, 0, "certificate", _("certificate %s does not match event %lld (%s) it "
			"names: another medium, kind or certificate"), id,
			(long long)sqlite3_column_int64(st, 5), ek ? ek : "");
	else
		v->r->certificates++;
	free(cause);
	json_decref(doc);
}

static int check_cert_rows(struct vctx *v, char **cause)
{
	sqlite3_stmt *st = NULL;
	int rc = register_prepare(v->db, "SELECT c.id, c.media_id, c.kind, c.json, c.event_hash,"
				  " e.seq, e.media_id, e.kind, json_extract(e.details,"
				  " '$.certificate_id') FROM certificates c LEFT JOIN events e"
				  " ON e.hash = c.event_hash ORDER BY c.rowid", &st, cause);

	if (rc < 0)
		return rc;
	while (v->r->ok && (rc = sqlite3_step(st)) == SQLITE_ROW)
		check_cert_row(v, st);
	rc = !v->r->ok || rc == SQLITE_DONE ? 0 : register_sql_fail(v->db, cause,
								     "read certificates");
	sqlite3_finalize(st);
	return rc;
}

static int json_name(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 5 && strcmp(d->d_name + n - 5, ".json") == 0;
}

/* The event hash the certificate row @id names: 1, 0 (no row) or -errno. */
static int row_event(struct register_db *db, const char *id, char *hash, json_t **row)
{
	sqlite3_stmt *st = NULL;
	int rc = register_prepare(db, "SELECT event_hash, json FROM certificates WHERE id = ?",
				  &st, NULL);

	*row = NULL;
	if (rc < 0)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		register_col_text(st, 0, hash, 65);
		if (sqlite3_column_text(st, 1))
			*row = json_loads((const char *)sqlite3_column_text(st, 1), 0, NULL);
	}
	rc = rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -EIO;
	sqlite3_finalize(st);
	return rc;
}

/* One <id>.json of the store: a certificate whose row is in the register
 * and names the same event (the row itself was checked with its event). */
static void check_cert_file(struct vctx *v, const char *dir, const char *name)
{
	char *path = util_asprintf("%s/%s", dir, name), id[256], hash[65] = "";
	json_t *doc = path ? json_load_file(path, JSON_REJECT_DUPLICATES, NULL) : NULL, *row;
	size_t len = strlen(name) - 5;
	int found;

	snprintf(id, sizeof(id), "%.*s", (int)(len < 255 ? len : 255), name);
	found = row_event(v->db, id, hash, &row);
	if (found < 0)
		fail_at(v->r, 0, "certificate", _("cannot look up certificate %s"), id);
	else if (!found)
		fail_at(v->r, 0, "certificate", _("%s has no row in the register: the certificate's "
			"record was deleted (or the file was put there)"), path ? path : name);
	else if (!doc || strcmp(cert_field(doc, "id"), id) != 0 ||
		 strcmp(cert_field(doc, "register_event_hash"), hash) != 0)
		fail_at(v->r, 0, "certificate", _("%s is not the certificate the register holds "
			"as %s (another document or another event)"), path ? path : name, id);
	else if (!row || !json_equal(doc, row))	/* the row was verified: the file must be it */
		fail_at(v->r, 0, "certificate", _("%s differs from the signed certificate the "
			"register holds as %s: the file was changed"), path ? path : name, id);
	else
		v->r->cert_files++;
	json_decref(row);
	json_decref(doc);
	free(path);
}

/* Every <id>.json of <state-dir>/certs must have its row in the register. */
static void check_cert_store(struct vctx *v)
{
	struct dirent **names = NULL;
	char *dir = dir_file(v->db, "certs");
	int n = dir ? scandir(dir, &names, json_name, alphasort) : -1;

	for (int i = 0; i < n; i++) {
		if (v->r->ok)
			check_cert_file(v, dir, names[i]->d_name);
		free(names[i]);
	}
	free(names);
	free(dir);
}

/*
 * register.head is written after COMMIT: read before the database snapshot
 * a verification works on, it can never be ahead of that snapshot, even
 * when another process appends meanwhile.  Read it later and a concurrent
 * append makes an intact register look rolled back.
 */
void register_chain_pre_read_head(struct register_db *db)
{
	struct register_chain *c = db->chain;

	if (!c)
		return;
	free(c->pre_why);
	c->pre_why = NULL;
	if (!c->pre_head)
		c->pre_head = calloc(1, sizeof(*c->pre_head));
	if (!c->pre_head) {
		c->pre_read = false;
		return;
	}
	c->pre_rc = read_head(db, c->pre_head, &c->pre_why);
	c->pre_read = true;
}

int register_chain_verify(struct register_db *db, const struct register_verify_opts *o,
			  struct register_verify_result *r, char **cause)
{
	struct vctx v = { .db = db, .o = o, .r = r };
	struct head newest;
	int rc = walk_signatures(&v, &newest, cause);

	if (rc == 0 && r->ok)
		util_strlcpy(r->key, newest.key, sizeof(r->key));
	if (rc == 0 && r->ok)
		check_head_file(&v, &newest);
	if (rc == 0 && r->ok)
		rc = check_cert_rows(&v, cause);
	if (rc == 0 && r->ok)
		check_cert_store(&v);
	vctx_free(&v);
	return rc;
}

/* ---- the event hash (custos-register(5)) ------------------------------------ */

/* Append NAME "=" LENGTH ":" VALUE "\n" at @p (room reserved by the
 * caller); returns the end. */
static char *hash_field(char *p, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value), v = vl;
	char digits[24];
	int nd = 0;

	memcpy(p, name, nl);
	p += nl;
	*p++ = '=';
	do
		digits[nd++] = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	while (nd > 0)
		*p++ = digits[--nd];
	*p++ = ':';
	memcpy(p, value, vl);
	p += vl;
	*p++ = '\n';
	return p;
}

/* The digest, fetched once (an implicit fetch per event costs more than
 * the hashing of a short event). */
static EVP_MD *sha256_md(void)
{
	static EVP_MD *md;

	if (!__atomic_load_n(&md, __ATOMIC_ACQUIRE)) {
		EVP_MD *m = EVP_MD_fetch(NULL, "SHA256", NULL), *none = NULL;

		if (m && !__atomic_compare_exchange_n(&md, &none, m, false, __ATOMIC_ACQ_REL,
						      __ATOMIC_ACQUIRE))
			EVP_MD_free(m);
	}
	return __atomic_load_n(&md, __ATOMIC_ACQUIRE);
}

int register_event_hash(const struct register_event *ev, char *out)
{
	static const char magic[] = "custos-event-v1\n";
	const char *details = ev->details ? ev->details : "";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char seq[24], media[24], stack[1024], *buf = stack, *p;
	/* 8 fields: name, '=', up to 20 digits, ':', value, '\n' */
	size_t need = sizeof(magic) + 8 * 40 + strlen(ev->at) + strlen(ev->kind) +
		      strlen(ev->operator_name) + strlen(ev->station) + strlen(details) +
		      strlen(ev->prev_hash) + 2 * sizeof(seq);
	int rc = 0;

	if (need > sizeof(stack) && !(buf = malloc(need)))
		return -ENOMEM;
	snprintf(seq, sizeof(seq), "%lld", (long long)ev->seq);
	snprintf(media, sizeof(media), "%lld", (long long)ev->media_id);
	memcpy(buf, magic, sizeof(magic) - 1);
	p = buf + sizeof(magic) - 1;
	p = hash_field(p, "seq", seq);
	p = hash_field(p, "media_id", media);
	p = hash_field(p, "at", ev->at);
	p = hash_field(p, "kind", ev->kind);
	p = hash_field(p, "operator", ev->operator_name);
	p = hash_field(p, "station", ev->station);
	p = hash_field(p, "details", details);
	p = hash_field(p, "prev_hash", ev->prev_hash);
	if (!sha256_md() ||
	    EVP_Digest(buf, (size_t)(p - buf), md, &mdlen, sha256_md(), NULL) != 1 || mdlen != 32)
		rc = -EIO;
	if (rc == 0)
		util_hex(md, mdlen, out);
	if (buf != stack)
		free(buf);
	return rc;
}

