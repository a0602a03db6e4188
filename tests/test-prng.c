/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "prng.h"

static const uint8_t key[32] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
				 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32 };

/* The block at offset N equals the Nth block of the stream from 0. */
static void check_addressing(size_t key_len)
{
	const size_t len = 1 << 20;
	uint8_t *whole = malloc(len), *part = malloc(len);
	struct prng *p = NULL;

	assert_int_equal(prng_new(&p, key, key_len, NULL), 0);
	assert_int_equal(prng_fill(p, 0, whole, len), 0);
	for (uint64_t off = 0; off < len; off += 65536 + 16) {
		assert_int_equal(prng_fill(p, off, part, 4096), 0);
		assert_memory_equal(part, whole + off, off + 4096 <= len ? 4096 : len - off);
	}
	/* Unaligned offsets and lengths too. */
	assert_int_equal(prng_fill(p, 12345, part, 777), 0);
	assert_memory_equal(part, whole + 12345, 777);
	assert_int_equal(prng_fill(p, 7, part, 3), 0);
	assert_memory_equal(part, whole + 7, 3);
	/* Sequential calls that continue mid-block, and short ones inside a block. */
	assert_int_equal(prng_fill(p, 100, part, 5), 0);
	assert_int_equal(prng_fill(p, 105, part + 5, 3), 0);
	assert_int_equal(prng_fill(p, 108, part + 8, 1000), 0);
	assert_int_equal(prng_fill(p, 1108, part + 1008, 7), 0);
	assert_memory_equal(part, whole + 100, 1015);
	assert_int_equal(prng_fill(p, 50, part, 3), 0);
	assert_int_equal(prng_fill(p, 53, part + 3, 40), 0);
	assert_memory_equal(part, whole + 50, 43);
	/* Pieces glued together give the same stream. */
	assert_int_equal(prng_fill(p, 0, part, 1000), 0);
	assert_int_equal(prng_fill(p, 1000, part + 1000, len - 1000), 0);
	assert_memory_equal(part, whole, len);
	prng_free(p);
	free(whole);
	free(part);
}

static void test_addressing_128(void **state)
{
	(void)state;
	check_addressing(16);
}

static void test_addressing_256(void **state)
{
	(void)state;
	check_addressing(32);
}

/* Block N is AES(key, N) as a 128-bit big-endian counter. */
static void test_counter_layout(void **state)
{
	uint8_t ctr[16] = { 0 }, want[16], got[16];
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	struct prng *p = NULL;
	uint64_t n = 0x0102030405ull;
	int outl = 0;

	(void)state;
	for (int i = 0; i < 8; i++)
		ctr[15 - i] = (uint8_t)(n >> (8 * i));
	assert_int_equal(EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), NULL, key, NULL), 1);
	EVP_CIPHER_CTX_set_padding(ctx, 0);
	assert_int_equal(EVP_EncryptUpdate(ctx, want, &outl, ctr, 16), 1);
	EVP_CIPHER_CTX_free(ctx);
	assert_int_equal(prng_new(&p, key, 16, NULL), 0);
	assert_int_equal(prng_fill(p, n * 16, got, 16), 0);
	assert_memory_equal(got, want, 16);
	prng_free(p);
}

/* XOR with the stream at an offset turns matching data into zeros. */
static void test_xor(void **state)
{
	uint8_t data[5000], zero[5000] = { 0 };
	struct prng *p = NULL;

	(void)state;
	assert_int_equal(prng_new(&p, key, 16, NULL), 0);
	assert_int_equal(prng_fill(p, 333, data, sizeof(data)), 0);
	assert_int_equal(prng_xor(p, 333, data, sizeof(data)), 0);
	assert_memory_equal(data, zero, sizeof(data));
	assert_int_equal(prng_fill(p, 333, data, sizeof(data)), 0);
	data[1234] ^= 0x01;
	assert_int_equal(prng_xor(p, 333, data, sizeof(data)), 0);
	assert_int_equal(data[1234], 0x01);
	data[1234] = 0;
	assert_memory_equal(data, zero, sizeof(data));
	prng_free(p);
}

static void test_keys(void **state)
{
	uint8_t a[16], b[16];
	struct prng *p = NULL;
	char *cause = NULL;

	(void)state;
	assert_int_equal(prng_random_key(a, sizeof(a)), 0);
	assert_int_equal(prng_random_key(b, sizeof(b)), 0);
	assert_true(memcmp(a, b, sizeof(a)) != 0);
	assert_int_equal(prng_new(&p, a, 15, &cause), -22);
	free(cause);
	assert_string_equal(prng_name(16), "aes-128-ctr");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addressing_128),
		cmocka_unit_test(test_addressing_256),
		cmocka_unit_test(test_counter_layout),
		cmocka_unit_test(test_xor),
		cmocka_unit_test(test_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
