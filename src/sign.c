/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sign: station key pairs and detached signatures through libcrypto (EVP).
 * Ed25519 signs the message itself (pure EdDSA); SM2 signs its SM3 digest
 * with the distinguishing identifier GM/T 0009 names as the default.
 */
#include "sign.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "util.h"

#define SM2_ID "1234567812345678"

struct sign_key {
	EVP_PKEY *pkey;
	enum sign_key_type type;
};

int sign_key_type_parse(const char *s, enum sign_key_type *out)
{
	if (strcmp(s, "ed25519") == 0)
		*out = SIGN_KEY_ED25519;
	else if (strcmp(s, "sm2") == 0)
		*out = SIGN_KEY_SM2;
	else
		return -EINVAL;
	return 0;
}

const char *sign_key_type_name(enum sign_key_type t)
{
	return t == SIGN_KEY_SM2 ? "sm2" : "ed25519";
}

/* The last libcrypto error as text, for causes. */
static const char *ssl_error(void)
{
	static __thread char buf[256];
	unsigned long e = ERR_get_error();

	if (!e)
		return "unknown libcrypto error";
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

static EVP_PKEY *generate(enum sign_key_type type)
{
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey = NULL;

	ctx = EVP_PKEY_CTX_new_from_name(NULL, type == SIGN_KEY_SM2 ? "SM2" : "ED25519", NULL);
	if (!ctx || EVP_PKEY_keygen_init(ctx) <= 0 || EVP_PKEY_generate(ctx, &pkey) <= 0)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

/* Write what @bio holds to @path atomically with @mode, then wipe it. */
static int bio_to_file(BIO *bio, const char *path, mode_t mode)
{
	char *data;
	long len;
	int rc;

	len = BIO_get_mem_data(bio, &data);
	if (len <= 0)
		return -EIO;
	rc = util_write_file_atomic(path, data, (size_t)len, mode);
	util_wipe_secret(data, (size_t)len);
	return rc;
}

int sign_generate(enum sign_key_type type, const char *priv_path, const char *pub_path,
		  char **cause)
{
	BIO *priv = NULL, *pub = NULL;
	EVP_PKEY *pkey;
	int rc;

	pkey = generate(type);
	if (!pkey)
		return util_fail(cause, -EIO, _("cannot generate an %s key: %s"),
				 sign_key_type_name(type), ssl_error());
	priv = BIO_new(BIO_s_mem());
	pub = BIO_new(BIO_s_mem());
	if (!priv || !pub || !PEM_write_bio_PrivateKey(priv, pkey, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_bio_PUBKEY(pub, pkey)) {
		rc = util_fail(cause, -ENOMEM, _("cannot encode the key pair: %s"), ssl_error());
		goto out;
	}
	rc = bio_to_file(priv, priv_path, 0600);
	if (rc < 0) {
		rc = util_fail(cause, rc, _("cannot write %s: %s"), priv_path, strerror(-rc));
		goto out;
	}
	rc = bio_to_file(pub, pub_path, 0644);
	if (rc < 0)
		rc = util_fail(cause, rc, _("cannot write %s: %s"), pub_path, strerror(-rc));
out:
	BIO_free(priv);
	BIO_free(pub);
	EVP_PKEY_free(pkey);
	return rc;
}

static int wrap(EVP_PKEY *pkey, struct sign_key **out, const char *what, char **cause)
{
	struct sign_key *k;

	if (EVP_PKEY_is_a(pkey, "ED25519")) {
		k = calloc(1, sizeof(*k));
		if (k)
			k->type = SIGN_KEY_ED25519;
	} else if (EVP_PKEY_is_a(pkey, "SM2")) {
		k = calloc(1, sizeof(*k));
		if (k)
			k->type = SIGN_KEY_SM2;
	} else {
		EVP_PKEY_free(pkey);
		return util_fail(cause, -EINVAL, _("%s: not an Ed25519 or SM2 key"), what);
	}
	if (!k) {
		EVP_PKEY_free(pkey);
		return util_fail(cause, -ENOMEM, _("out of memory"));
	}
	k->pkey = pkey;
	*out = k;
	return 0;
}

/* Parse PEM @pem (private or public) into a key. */
static int load_pem(const char *pem, size_t len, bool private, const char *what,
		    struct sign_key **out, char **cause)
{
	EVP_PKEY *pkey;
	BIO *bio;

	*out = NULL;
	if (len > (size_t)INT32_MAX)
		return util_fail(cause, -EINVAL, _("%s: too large for a key"), what);
	bio = BIO_new_mem_buf(pem, (int)len);
	if (!bio)
		return util_fail(cause, -ENOMEM, _("out of memory"));
	if (private)
		pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	else
		pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (!pkey)
		return util_fail(cause, -EINVAL, _("%s: not a PEM %s key: %s"), what,
				 private ? "private" : "public", ssl_error());
	return wrap(pkey, out, what, cause);
}

static int load_file(const char *path, bool private, struct sign_key **out, char **cause)
{
	char *data = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	/* a regular file of bounded size (--pubkey may name anything) */
	rc = util_read_bounded(path, UTIL_CONFIG_MAX, &data, &len, cause);
	if (rc < 0)
		return rc;
	rc = load_pem(data, len, private, path, out, cause);
	util_wipe_secret(data, len);
	free(data);
	return rc;
}

int sign_load_private(const char *path, struct sign_key **out, char **cause)
{
	return load_file(path, true, out, cause);
}

int sign_load_public(const char *path, struct sign_key **out, char **cause)
{
	return load_file(path, false, out, cause);
}

int sign_load_public_pem(const char *pem, size_t len, struct sign_key **out, char **cause)
{
	return load_pem(pem, len, false, "public key", out, cause);
}

void sign_key_free(struct sign_key *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);
	free(key);
}

enum sign_key_type sign_key_type_of(const struct sign_key *key)
{
	return key->type;
}

int sign_public_pem(const struct sign_key *key, char **pem)
{
	char *data, *s;
	long len;
	BIO *bio;
	int rc = -ENOMEM;

	*pem = NULL;
	bio = BIO_new(BIO_s_mem());
	if (!bio || !PEM_write_bio_PUBKEY(bio, key->pkey))
		goto out;
	len = BIO_get_mem_data(bio, &data);
	s = len > 0 ? malloc((size_t)len + 1) : NULL;
	if (!s)
		goto out;
	memcpy(s, data, (size_t)len);
	s[len] = '\0';
	*pem = s;
	rc = 0;
out:
	BIO_free(bio);
	return rc;
}

int sign_fingerprint(const struct sign_key *key, char out[65])
{
	unsigned char md[32], *der = NULL;
	unsigned int mdlen = 0;
	int len, rc = -EIO;

	out[0] = '\0';
	len = i2d_PUBKEY(key->pkey, &der);
	if (len <= 0)
		return -ENOMEM;
	if (EVP_Digest(der, (size_t)len, md, &mdlen, EVP_sha256(), NULL) == 1 && mdlen == 32) {
		util_hex(md, 32, out);
		rc = 0;
	}
	OPENSSL_free(der);
	return rc;
}

/* A digest-sign/verify context for @key: SM3 with the SM2 identifier, or
 * no digest for Ed25519.  *@pctx must be freed after the context. */
static EVP_MD_CTX *md_ctx(const struct sign_key *key, bool sign, EVP_PKEY_CTX **pctx)
{
	const EVP_MD *md = NULL;
	EVP_MD_CTX *ctx;
	int ok;

	*pctx = NULL;
	ctx = EVP_MD_CTX_new();
	if (!ctx)
		return NULL;
	if (key->type == SIGN_KEY_SM2) {
		*pctx = EVP_PKEY_CTX_new(key->pkey, NULL);
		if (!*pctx || EVP_PKEY_CTX_set1_id(*pctx, SM2_ID, strlen(SM2_ID)) <= 0)
			goto fail;
		EVP_MD_CTX_set_pkey_ctx(ctx, *pctx);
		md = EVP_sm3();
	}
	if (sign)
		ok = EVP_DigestSignInit(ctx, NULL, md, NULL, key->pkey);
	else
		ok = EVP_DigestVerifyInit(ctx, NULL, md, NULL, key->pkey);
	if (ok == 1)
		return ctx;
fail:
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_CTX_free(*pctx);
	*pctx = NULL;
	return NULL;
}

int sign_data(const struct sign_key *key, const void *data, size_t len, unsigned char **sig,
	      size_t *siglen)
{
	EVP_PKEY_CTX *pctx;
	EVP_MD_CTX *ctx;
	unsigned char *buf = NULL;
	size_t n = 0;
	int rc = -EIO;

	*sig = NULL;
	*siglen = 0;
	ctx = md_ctx(key, true, &pctx);
	if (!ctx)
		goto out;
	if (EVP_DigestSign(ctx, NULL, &n, data, len) != 1)
		goto out;
	buf = malloc(n);
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	if (EVP_DigestSign(ctx, buf, &n, data, len) != 1)
		goto out;
	*sig = buf;
	*siglen = n;
	buf = NULL;
	rc = 0;
out:
	free(buf);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_CTX_free(pctx);
	ERR_clear_error();
	return rc;
}

int sign_verify(const struct sign_key *key, const void *data, size_t len,
		const unsigned char *sig, size_t siglen)
{
	EVP_PKEY_CTX *pctx;
	EVP_MD_CTX *ctx;
	int rc = -EBADMSG;

	ctx = md_ctx(key, false, &pctx);
	if (!ctx)
		return -EIO;
	if (EVP_DigestVerify(ctx, sig, siglen, data, len) == 1)
		rc = 0;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_CTX_free(pctx);
	ERR_clear_error();
	return rc;
}
