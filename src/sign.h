/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_SIGN_H
#define CUSTOS_SIGN_H

/*
 * sign: station key pairs and detached signatures through libcrypto.
 * Ed25519 by default; SM2 with SM3 (GM/T 0003, 0004) where required.
 */

#include <stddef.h>

enum sign_key_type { SIGN_KEY_ED25519, SIGN_KEY_SM2 };

struct sign_key;	/* opaque: wraps an EVP_PKEY */

/* Parse "ed25519" / "sm2". */
int sign_key_type_parse(const char *s, enum sign_key_type *out);
const char *sign_key_type_name(enum sign_key_type t);

/* Generate a key pair; write the private key (PEM, mode 0600) to
 * @priv_path and the public key (PEM, 0644) to @pub_path, atomically. */
int sign_generate(enum sign_key_type type, const char *priv_path, const char *pub_path,
		  char **cause);

/* Load a PEM private key (for signing) or public key (for verifying). */
int sign_load_private(const char *path, struct sign_key **out, char **cause);
int sign_load_public(const char *path, struct sign_key **out, char **cause);
int sign_load_public_pem(const char *pem, size_t len, struct sign_key **out, char **cause);
void sign_key_free(struct sign_key *key);
enum sign_key_type sign_key_type_of(const struct sign_key *key);

/* The public key as PEM text (malloc'd, NUL-terminated). */
int sign_public_pem(const struct sign_key *key, char **pem);

/* SHA-256 of the DER SubjectPublicKeyInfo, lower-case hex (65 bytes). */
int sign_fingerprint(const struct sign_key *key, char out[65]);

/* Sign @len bytes; *@sig is malloc'd.  Ed25519: pure EdDSA; SM2: SM3
 * digest with the default SM2 identifier "1234567812345678". */
int sign_data(const struct sign_key *key, const void *data, size_t len,
	      unsigned char **sig, size_t *siglen);

/* 0 when @sig is a valid signature of @data by @key, -EBADMSG when not. */
int sign_verify(const struct sign_key *key, const void *data, size_t len,
		const unsigned char *sig, size_t siglen);

#endif
