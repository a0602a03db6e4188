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

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "sign.h"
#include "util.h"

struct keys {
	char dir[64];
	char *priv[2], *pub[2];
};

static int setup(void **state)
{
	static struct keys k;

	util_strlcpy(k.dir, "/tmp/custos-test-sign-XXXXXX", sizeof(k.dir));
	if (!mkdtemp(k.dir))
		return -1;
	for (int t = 0; t < 2; t++) {
		k.priv[t] = util_asprintf("%s/%d.key", k.dir, t);
		k.pub[t] = util_asprintf("%s/%d.pub", k.dir, t);
	}
	*state = &k;
	return 0;
}

static int teardown(void **state)
{
	struct keys *k = *state;

	for (int t = 0; t < 2; t++) {
		unlink(k->priv[t]);
		unlink(k->pub[t]);
		free(k->priv[t]);
		free(k->pub[t]);
	}
	rmdir(k->dir);
	return 0;
}

static void test_parse(void **state)
{
	enum sign_key_type t;

	(void)state;
	assert_int_equal(sign_key_type_parse("ed25519", &t), 0);
	assert_int_equal(t, SIGN_KEY_ED25519);
	assert_int_equal(sign_key_type_parse("sm2", &t), 0);
	assert_int_equal(t, SIGN_KEY_SM2);
	assert_int_equal(sign_key_type_parse("rsa", &t), -EINVAL);
	assert_string_equal(sign_key_type_name(SIGN_KEY_SM2), "sm2");
	assert_string_equal(sign_key_type_name(SIGN_KEY_ED25519), "ed25519");
}

/* Generate, load both halves, sign, verify, tamper: for one key type. */
static void roundtrip(struct keys *k, enum sign_key_type type)
{
	static const char msg[] = "certificate body: /dev/sdb wiped, 3 passes, verified";
	struct sign_key *priv = NULL, *pub = NULL, *pub2 = NULL;
	char fp1[65], fp2[65], fp3[65], *pem = NULL, *cause = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	struct stat st;
	int t = (int)type;

	assert_int_equal(sign_generate(type, k->priv[t], k->pub[t], &cause), 0);
	assert_int_equal(stat(k->priv[t], &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(k->pub[t], &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	assert_int_equal(sign_load_private(k->priv[t], &priv, &cause), 0);
	assert_int_equal(sign_load_public(k->pub[t], &pub, &cause), 0);
	assert_int_equal(sign_key_type_of(priv), type);
	assert_int_equal(sign_key_type_of(pub), type);

	/* the fingerprint is the same from either half and from the PEM text */
	assert_int_equal(sign_fingerprint(priv, fp1), 0);
	assert_int_equal(sign_fingerprint(pub, fp2), 0);
	assert_string_equal(fp1, fp2);
	assert_int_equal(strlen(fp1), 64);
	assert_int_equal(sign_public_pem(priv, &pem), 0);
	assert_non_null(strstr(pem, "-----BEGIN PUBLIC KEY-----"));
	assert_int_equal(sign_load_public_pem(pem, strlen(pem), &pub2, &cause), 0);
	assert_int_equal(sign_fingerprint(pub2, fp3), 0);
	assert_string_equal(fp1, fp3);

	assert_int_equal(sign_data(priv, msg, sizeof(msg) - 1, &sig, &siglen), 0);
	if (type == SIGN_KEY_ED25519)
		assert_int_equal(siglen, 64);
	assert_int_equal(sign_verify(pub, msg, sizeof(msg) - 1, sig, siglen), 0);
	assert_int_equal(sign_verify(pub2, msg, sizeof(msg) - 1, sig, siglen), 0);
	/* a changed message or signature fails */
	assert_int_equal(sign_verify(pub, msg, sizeof(msg) - 2, sig, siglen), -EBADMSG);
	sig[siglen / 2] ^= 0x01;
	assert_int_equal(sign_verify(pub, msg, sizeof(msg) - 1, sig, siglen), -EBADMSG);
	assert_int_equal(sign_verify(pub, msg, sizeof(msg) - 1, sig, 3), -EBADMSG);

	free(sig);
	free(pem);
	sign_key_free(priv);
	sign_key_free(pub);
	sign_key_free(pub2);
}

static void test_ed25519(void **state)
{
	roundtrip(*state, SIGN_KEY_ED25519);
}

static void test_sm2(void **state)
{
	roundtrip(*state, SIGN_KEY_SM2);
}

/* An SM2 signature made by libcrypto directly with SM3 and the default
 * identifier verifies with sign_verify: the identifier is the standard one. */
static void test_sm2_interop(void **state)
{
	static const char msg[] = "message digest";
	struct keys *k = *state;
	struct sign_key *pub = NULL;
	unsigned char sig[128];
	size_t siglen = sizeof(sig);
	EVP_PKEY_CTX *pctx;
	EVP_MD_CTX *ctx;
	EVP_PKEY *pkey;
	FILE *f;

	assert_int_equal(sign_generate(SIGN_KEY_SM2, k->priv[1], k->pub[1], NULL), 0);
	f = fopen(k->priv[1], "r");
	assert_non_null(f);
	pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(pkey);
	ctx = EVP_MD_CTX_new();
	pctx = EVP_PKEY_CTX_new(pkey, NULL);
	assert_int_equal(EVP_PKEY_CTX_set1_id(pctx, "1234567812345678", 16), 1);
	EVP_MD_CTX_set_pkey_ctx(ctx, pctx);
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, EVP_sm3(), NULL, pkey), 1);
	assert_int_equal(EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)msg,
					sizeof(msg) - 1), 1);
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_CTX_free(pctx);
	EVP_PKEY_free(pkey);
	assert_int_equal(sign_load_public(k->pub[1], &pub, NULL), 0);
	assert_int_equal(sign_verify(pub, msg, sizeof(msg) - 1, sig, siglen), 0);
	sign_key_free(pub);
}

static void test_wrong_key(void **state)
{
	static const char msg[] = "register export";
	struct keys *k = *state;
	struct sign_key *a = NULL, *b = NULL, *bpub = NULL, *sm2 = NULL;
	char fpa[65], fpb[65];
	unsigned char *sig = NULL;
	size_t siglen;

	assert_int_equal(sign_generate(SIGN_KEY_ED25519, k->priv[0], k->pub[0], NULL), 0);
	assert_int_equal(sign_load_private(k->priv[0], &a, NULL), 0);
	assert_int_equal(sign_generate(SIGN_KEY_ED25519, k->priv[0], k->pub[0], NULL), 0);
	assert_int_equal(sign_load_private(k->priv[0], &b, NULL), 0);
	assert_int_equal(sign_load_public(k->pub[0], &bpub, NULL), 0);
	assert_int_equal(sign_fingerprint(a, fpa), 0);
	assert_int_equal(sign_fingerprint(b, fpb), 0);
	assert_string_not_equal(fpa, fpb);
	assert_int_equal(sign_data(a, msg, sizeof(msg), &sig, &siglen), 0);
	assert_int_equal(sign_verify(bpub, msg, sizeof(msg), sig, siglen), -EBADMSG);
	assert_int_equal(sign_generate(SIGN_KEY_SM2, k->priv[1], k->pub[1], NULL), 0);
	assert_int_equal(sign_load_public(k->pub[1], &sm2, NULL), 0);
	assert_int_not_equal(sign_verify(sm2, msg, sizeof(msg), sig, siglen), 0);
	free(sig);
	sign_key_free(a);
	sign_key_free(b);
	sign_key_free(bpub);
	sign_key_free(sm2);
}

static void test_bad_input(void **state)
{
	struct keys *k = *state;
	struct sign_key *key = NULL;
	char *cause = NULL;
	char path[128];

	snprintf(path, sizeof(path), "%s/missing.pem", k->dir);
	assert_int_equal(sign_load_public(path, &key, &cause), -ENOENT);
	assert_non_null(strstr(cause, path));
	free(cause);
	cause = NULL;
	assert_int_equal(sign_load_public_pem("garbage", 7, &key, &cause), -EINVAL);
	assert_null(key);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	/* a public key is not a private key */
	assert_int_equal(sign_generate(SIGN_KEY_ED25519, k->priv[0], k->pub[0], NULL), 0);
	assert_int_equal(sign_load_private(k->pub[0], &key, &cause), -EINVAL);
	free(cause);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_ed25519),
		cmocka_unit_test(test_sm2),
		cmocka_unit_test(test_sm2_interop),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
