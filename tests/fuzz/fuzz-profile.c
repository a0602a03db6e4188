/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * libFuzzer target: the profile parser, as profile_load_file() feeds it
 * (the bounded reader's NUL and size checks, then profile_parse()).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text, *cause = NULL, desc[512];
	struct profile p;

	if (util_check_config_text("fuzz.profile", (const char *)data, size, UTIL_CONFIG_MAX,
				   &cause) < 0) {
		free(cause);
		return 0;
	}
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (profile_parse("fuzz.profile", text, &p, &cause) == 0) {
		for (size_t i = 0; i < p.n_passes; i++)
			profile_pass_describe(&p.passes[i], desc, sizeof(desc));
		json_decref(profile_to_json(&p));
	}
	free(cause);
	free(text);
	return 0;
}
