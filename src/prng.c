/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "prng.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/types.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "util.h"

#define ZERO_CHUNK (64u << 10)

struct prng {
	EVP_CIPHER_CTX *ctx;
	uint8_t *zeros;			/* ZERO_CHUNK zero bytes: the plaintext */
	const EVP_CIPHER *cipher;
	uint8_t key[PRNG_KEY_MAX];
	size_t key_len;
	bool positioned;		/* the cipher state is at byte @pos */
	uint64_t pos;
};

const char *prng_name(size_t key_len)
{
	return key_len == 32 ? "aes-256-ctr" : "aes-128-ctr";
}

int prng_new(struct prng **out, const uint8_t *key, size_t key_len, char **cause)
{
	struct prng *p;

	if (key_len != 16 && key_len != 32)
		return util_fail(cause, -EINVAL, _("prng: key must be 16 or 32 bytes"));
	p = calloc(1, sizeof(*p));
	if (!p)
		return util_fail(cause, -ENOMEM, _("prng: out of memory"));
	p->ctx = EVP_CIPHER_CTX_new();
	p->cipher = key_len == 32 ? EVP_aes_256_ctr() : EVP_aes_128_ctr();
	p->zeros = calloc(1, ZERO_CHUNK);
	if (!p->ctx || !p->cipher || !p->zeros) {
		prng_free(p);
		return util_fail(cause, -ENOMEM, _("prng: cannot set up AES-CTR"));
	}
	memcpy(p->key, key, key_len);
	p->key_len = key_len;
	*out = p;
	return 0;
}

void prng_free(struct prng *p)
{
	if (!p)
		return;
	EVP_CIPHER_CTX_free(p->ctx);
	free(p->zeros);
	util_wipe_secret(p->key, sizeof(p->key));
	free(p);
}

/* Position the keystream at the 16-byte block @block.  (Re-keying costs
 * microseconds, so sequential callers skip it: see at().) */
static int seek_block(struct prng *p, uint64_t block)
{
	uint8_t iv[16] = { 0 };

	p->positioned = false;
	for (int i = 0; i < 8; i++)
		iv[15 - i] = (uint8_t)(block >> (8 * i));
	if (EVP_EncryptInit_ex(p->ctx, p->cipher, NULL, p->key, iv) != 1)
		return -EIO;
	return 0;
}

/* Encrypt @in (zeros for the bare keystream) into @out, in chunks that
 * fit an int; @in may equal @out. */
static int crypt(struct prng *p, const uint8_t *in, uint8_t *out, size_t len)
{
	while (len) {
		int chunk = len > (1u << 30) ? 1 << 30 : (int)len;
		int outl = 0;

		if (EVP_EncryptUpdate(p->ctx, out, &outl, in, chunk) != 1 || outl != chunk)
			return -EIO;
		in += chunk;
		out += chunk;
		len -= (size_t)chunk;
	}
	return 0;
}

/* The keystream: zeros encrypted (no memset pass over @buf). */
static int keystream(struct prng *p, uint8_t *buf, size_t len)
{
	while (len) {
		size_t n = len < ZERO_CHUNK ? len : ZERO_CHUNK;
		int rc = crypt(p, p->zeros, buf, n);

		if (rc < 0)
			return rc;
		buf += n;
		len -= n;
	}
	return 0;
}

/* Bring the stream to byte @offset: XOR (or, for @xor false, write) the
 * bytes up to the next 16-byte boundary into @buf.  Returns how many
 * bytes of @buf were done, or a negative errno. */
static ssize_t at(struct prng *p, uint64_t offset, uint8_t *buf, size_t len, bool xor)
{
	size_t skip = offset % 16, n;
	uint8_t first[16];
	int rc;

	if (p->positioned && p->pos == offset)
		return 0;	/* the cipher keeps its place, even mid-block */
	rc = seek_block(p, offset / 16);
	if (rc < 0 || !skip)
		return rc;
	rc = keystream(p, first, sizeof(first));
	if (rc < 0)
		return rc;
	n = 16 - skip < len ? 16 - skip : len;
	for (size_t i = 0; i < n; i++)
		buf[i] = xor ? buf[i] ^ first[skip + i] : first[skip + i];
	return (ssize_t)n;
}

static int run(struct prng *p, uint64_t offset, uint8_t *buf, size_t len, bool xor)
{
	ssize_t done = at(p, offset, buf, len, xor);
	int rc;

	if (done < 0)
		return (int)done;
	if (offset % 16 && done && (size_t)done < 16 - offset % 16) {
		/* All of @len lay inside one block; the cipher is past it. */
		p->positioned = false;
		return 0;
	}
	rc = xor ? crypt(p, buf + done, buf + done, len - (size_t)done) :
		keystream(p, buf + done, len - (size_t)done);
	p->positioned = rc == 0;
	p->pos = offset + len;
	return rc;
}

int prng_fill(struct prng *p, uint64_t offset, void *buf, size_t len)
{
	return run(p, offset, buf, len, false);
}

int prng_xor(struct prng *p, uint64_t offset, void *buf, size_t len)
{
	return run(p, offset, buf, len, true);
}

int prng_random_key(uint8_t *key, size_t len)
{
	return RAND_bytes(key, (int)len) == 1 ? 0 : -EIO;
}
