/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_KEYRING_H
#define CUSTOS_KEYRING_H

/*
 * keyring: every key pair a station has had, so that what an earlier key
 * signed (certificates, register events) keeps verifying after a re-key.
 * <state-dir>/keys/ holds, per key (FPR: the SHA-256 fingerprint of the
 * public key, sign_fingerprint()):
 *   FPR.pub    the public key (PEM)
 *   FPR.conf   key_type=, valid_from=, valid_until= (ISO 8601, UTC;
 *              valid_until empty while the key is the station's current one)
 * A key is found by its fingerprint only, and a loaded key whose
 * fingerprint is not its file name is refused, so the files cannot lend
 * another key a fingerprint.  Which keys the station really had is proved
 * by the register: the first signed event names the first key and every
 * later key is introduced by a "key-rotated" event signed by the old and
 * the new key (custos-register(5)).
 */

#include <stdbool.h>
#include <stddef.h>

#include "sign.h"

#define KEYRING_DIR "keys"

struct keyring_key {
	char fingerprint[65];
	char key_type[16];
	char valid_from[24];		/* "" when unknown */
	char valid_until[24];		/* "" while current */
};

/* Is @s 64 lower-case hex digits (a fingerprint)? */
bool keyring_fpr_valid(const char *s);

/* A set of key fingerprints in the order they were added (the keys a chain
 * introduced: its first key, then each key-rotated event's new key). */
struct keyring_fprs {
	char (*fpr)[65];
	size_t n;
};
bool keyring_fprs_has(const struct keyring_fprs *s, const char *fpr);
/* Add @fpr unless it is "" or already there: 0, or -ENOMEM. */
int keyring_fprs_add(struct keyring_fprs *s, const char *fpr);
void keyring_fprs_free(struct keyring_fprs *s);

/* Add (or keep) public key @pub valid from @valid_from (NULL: now). */
int keyring_add(const char *state_dir, const struct sign_key *pub, const char *valid_from,
		char **cause);
/* Record that key @fpr stopped signing at @until (NULL: now). */
int keyring_retire(const char *state_dir, const char *fpr, const char *until, char **cause);

/* The public key with fingerprint @fpr: the keyring's, else station.pub
 * when it has that fingerprint (a station set up before the keyring).
 * -ENOKEY, with a cause saying the station never had that key, when
 * neither has it.  @info (may be NULL) receives its validity. */
int keyring_find(const char *state_dir, const char *fpr, struct sign_key **out,
		 struct keyring_key *info, char **cause);

/* Every key of the keyring, oldest first (malloc'd, free()). */
int keyring_list(const char *state_dir, struct keyring_key **out, size_t *n, char **cause);

/* Put the station's current public key into the keyring when it is not
 * there yet (stations set up before the keyring existed; valid_from is
 * then station.pub's modification time). */
int keyring_ensure_current(const char *state_dir, char **cause);

/*
 * Re-key the station in @state_dir: generate a new key pair of @type
 * (station.key.new, station.pub.new, synced), put both public keys into
 * the keyring, record the event "key-rotated" (signed by the old and the
 * new key) in the register, retire the old key (valid until now) and
 * install the new pair: station.key renamed over (the signing key switches
 * atomically, keeping the old file's mode and group), then station.pub.
 * Interrupted anywhere, the next writing command finishes it
 * (keyring_resume_rekey()): the new key is installed exactly when the
 * register recorded it.  @operator_name
 * names who did it in the event.  @new_fpr (65 bytes, may be NULL)
 * receives the new fingerprint.  The register must agree with its signed
 * head (register.head), else nothing changes.
 */
int keyring_rekey(const char *state_dir, enum sign_key_type type, const char *operator_name,
		  char *new_fpr, char **cause);

/* Take the re-key lock <state-dir>/rekey.lock (flock) into *@fd (close it
 * to release); @wait false: -EBUSY while another process holds it. */
int keyring_rekey_lock(const char *state_dir, bool wait, int *fd, char **cause);

/*
 * Finish (or undo) a re-key that was interrupted; the caller holds the
 * re-key lock and read @chain_fpr after taking it: the chain's current key
 * (register_chain_key(), "" when no event is signed), @since when it was
 * introduced.  A station.key.new with that key was recorded by key-rotated
 * but not installed: the old key is retired (valid until @since) and the
 * new pair installed.  Any other station.key.new never signed anything:
 * it and its keyring entry are removed.  station.pub is made to match
 * station.key.  Nothing to do: 0.
 */
int keyring_resume_rekey(const char *state_dir, const char *chain_fpr, const char *since,
			 char **cause);

/* A station just set up: its register is opened and signed (the head
 * register.head of its current end) and its key put into the keyring. */
int keyring_init_station(const char *state_dir, const char *operator_name, char **cause);

#endif
