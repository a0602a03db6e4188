/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer target: certificate documents as `custos cert verify` and
 * `cert show` read them: JSON, shape, canonical form, digest, signature
 * (against the key of the seed certificates, so mutations of a valid
 * document reach the content checks), then the text, rows and QR payload.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cert.h"
#include "sign.h"

#ifndef FUZZ_CERT_PUBKEY
#define FUZZ_CERT_PUBKEY "tests/fuzz/cert-seed.pub"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct sign_key *pub;

static void load_key(void)
{
	const char *path = getenv("CUSTOS_FUZZ_PUBKEY");
	char *cause = NULL;

	if (sign_load_public(path ? path : FUZZ_CERT_PUBKEY, &pub, &cause) < 0) {
		fprintf(stderr, "fuzz-cert: %s\n", cause ? cause : "cannot load the key");
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cert_row *rows = NULL;
	char *cause = NULL, *text = NULL, *qr = NULL, digest[65];
	size_t n = 0;
	json_t *doc = NULL;

	if (!pub)
		load_key();
	cert_verify((const char *)data, size, pub, &doc, &cause);
	free(cause);
	cause = NULL;
	if (!doc)
		return 0;
	if (cert_text(doc, &text, &cause) == 0)
		free(text);
	free(cause);
	cause = NULL;
	if (cert_rows(doc, &rows, &n, &cause) == 0)
		cert_rows_free(rows, n);
	free(cause);
	cause = NULL;
	if (cert_qr_payload(doc, &qr, &cause) == 0) {
		free(cause);
		cause = NULL;
		cert_qr_check(doc, qr, &cause);
		free(qr);
	}
	free(cause);
	cause = NULL;
	cert_digest(doc, digest, &cause);
	free(cause);
	json_decref(doc);
	return 0;
}
