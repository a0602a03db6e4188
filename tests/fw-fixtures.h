/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Helpers shared by the firmware tests: fixtures, recorded-command checks. */
#ifndef CUSTOS_TEST_FW_FIXTURES_H
#define CUSTOS_TEST_FW_FIXTURES_H

#include <stdio.h>
#include <stdlib.h>

#include "fakedev.h"

/* Load the IDENTIFY of fixture @name ($CUSTOS_FIXTURES/ata-identify/NAME). */
static inline void fixture_identify(const char *name, uint8_t buf[512])
{
	const char *dir = getenv("CUSTOS_FIXTURES");
	char path[1024];

	snprintf(path, sizeof(path), "%s/ata-identify/%s", dir ? dir : "tests/fixtures", name);
	if (fakedev_blob_identify(path, buf) != 0) {
		fprintf(stderr, "cannot read fixture %s\n", path);
		abort();
	}
}

static inline struct fakedev *fixture_fake(const char *name)
{
	uint8_t buf[512];

	fixture_identify(name, buf);
	return fakedev_new_ata(buf);
}

static inline void hex_bytes(const char *hex, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v = 0;

		if (sscanf(hex + 3 * i, "%2x", &v) != 1)
			abort();
		out[i] = (uint8_t)v;
	}
}

#endif
