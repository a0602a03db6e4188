/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libFuzzer target: the policy parser (policy_parse_text()), then one of
 * each check on the policy it built. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const witnesses[] = { "a", "b", "c" };
	struct policy *pol = NULL;
	char *cause = NULL;

	if (policy_parse_text("fuzz.conf", (const char *)data, size, &pol, &cause) == 0) {
		for (int l = 0; l < POLICY_LEVEL_COUNT; l++)
			for (int d = 0; d < POLICY_DEST_COUNT; d++) {
				free(cause);
				cause = NULL;
				policy_check_sanitize(pol, (enum policy_level)l,
						      (enum policy_level)l, POLICY_KIND_HDD,
						      POLICY_NIST_CLEAR, (enum policy_dest)d,
						      &cause);
			}
		free(cause);
		cause = NULL;
		policy_check_destroy(pol, witnesses, 3, &cause);
		policy_free(pol);
	}
	free(cause);
	return 0;
}
