/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * i18n-values: codes shown in the interface language (ui/i18n-values.h).
 */
#include "i18n-values.h"

#include <stdio.h>
#include <string.h>

#include "i18n.h"

bool i18n_values_zh(void)
{
	/* TRANSLATORS: not shown.  Translate as "values: zh" when the words of
	 * docs/TERMINOLOGY.md (秘密, 在库, ...) are to replace the codes
	 * (secret, in-stock, ...) on the command line and the station screen;
	 * leave it "values: en" to keep the codes. */
	return strcmp(_("values: en"), "values: zh") == 0;
}

const char *i18n_value_of(enum value_kind k, const char *code, char *buf, unsigned len)
{
	const struct value_name *v;
	size_t n;

	if (!code)
		return "";
	if (!i18n_values_zh())
		return code;
	v = values_find(k, code);
	if (!v)
		return code;
	n = strlen(v->code);
	if (!code[n] || !buf || len == 0)
		return v->zh;
	snprintf(buf, len, "%s%s", v->zh, code + n);
	return buf;
}

/* The kinds a bare code is looked up in, in this order: a word that is both
 * a state and an event ("sanitized", "destroyed") reads the same in both. */
static const enum value_kind any_kind[] = {
	VALUE_LEVEL, VALUE_MEDIA, VALUE_DEST, VALUE_OUTCOME, VALUE_STATE, VALUE_EVENT,
	VALUE_DESTROY, VALUE_VERIFY, VALUE_NIST, VALUE_METHOD, VALUE_CERT_KIND,
	VALUE_TRANSPORT,
};

const char *i18n_value(const char *code)
{
	if (!code)
		return "";
	if (!i18n_values_zh())
		return code;
	for (size_t i = 0; i < sizeof(any_kind) / sizeof(any_kind[0]); i++) {
		const struct value_name *v = values_find(any_kind[i], code);

		if (v && strcmp(v->code, code) == 0)
			return v->zh;
	}
	return code;
}
