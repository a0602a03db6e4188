/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef CUSTOS_PRNG_H
#define CUSTOS_PRNG_H

/*
 * prng: the random data of overwrite passes, an AES-CTR keystream
 * (libcrypto) addressable by byte offset.  The counter block of byte
 * offset N is N / 16 (128-bit big-endian, nonce zero), so the stream at
 * offset N is the same whether it was produced from 0 or started at N:
 * a random pass can be regenerated for sampled verification and resume.
 * One struct prng per thread.
 */

#include <stddef.h>
#include <stdint.h>

#define PRNG_KEY_MAX 32

struct prng;

/* @key_len: 16 (AES-128-CTR) or 32 (AES-256-CTR). */
int prng_new(struct prng **out, const uint8_t *key, size_t key_len, char **cause);
void prng_free(struct prng *p);

/* Fill @buf with the @len keystream bytes that start at byte @offset. */
int prng_fill(struct prng *p, uint64_t offset, void *buf, size_t len);

/* XOR @buf with the keystream at @offset (in place).  Data that matches
 * the stream becomes zeros: verification in one pass. */
int prng_xor(struct prng *p, uint64_t offset, void *buf, size_t len);

/* A fresh key from the system's CSPRNG (RAND_bytes). */
int prng_random_key(uint8_t *key, size_t len);

/* "aes-128-ctr" / "aes-256-ctr" for @key_len. */
const char *prng_name(size_t key_len);

#endif
